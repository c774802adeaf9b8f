//! The mint's keysets: derived from the master secret, recorded in the store, rotated by the operator.

use std::collections::HashMap;

use shared::keyset::MintKeySet;
use shared::nuts::{KeysResponse, KeysetResponse};
use shared::{Amount, CurrencyUnit, Id, KeySetInfo, SecretKey};

use super::MintError;
use crate::store::KeysetRecord;

/// A keyset with its private keys.
#[derive(Debug, Clone)]
pub struct LoadedKeyset {
    /// As stored.
    pub record: KeysetRecord,
    /// Keys derived from the master secret.
    pub keys: MintKeySet,
}

impl LoadedKeyset {
    /// Derive a stored keyset's keys, refusing a record whose id does not match (wrong master secret).
    pub fn derive(master: &[u8], record: KeysetRecord) -> Result<Self, MintError> {
        let keys = MintKeySet::derive(
            master,
            record.unit.clone(),
            record.derivation_index,
            record.max_order,
            record.input_fee_ppk,
            record.final_expiry,
        )
        .map_err(|e| MintError::Internal(e.to_string()))?;
        if keys.id != record.id {
            return Err(MintError::Internal(format!(
                "keyset {} in the database does not derive from this master secret (got {}): wrong master secret?",
                record.id, keys.id
            )));
        }
        Ok(LoadedKeyset { record, keys })
    }

    /// The private key for an amount, or a refusal naming the amount.
    pub fn secret_key(&self, amount: Amount) -> Result<&SecretKey, MintError> {
        self.keys.secret_key(amount).map_err(|_| {
            MintError::AmountOutOfRange(format!("keyset {} has no key for amount {amount}", self.record.id))
        })
    }

    /// Metadata for `GET /v1/keysets`.
    pub fn info(&self) -> KeySetInfo {
        KeySetInfo {
            id: self.record.id,
            unit: self.record.unit.clone(),
            active: self.record.active,
            input_fee_ppk: self.record.input_fee_ppk,
            final_expiry: self.record.final_expiry,
        }
    }
}

/// All keysets, indexed by id. Immutable: a reload builds a new one.
#[derive(Debug, Clone, Default)]
pub struct Keysets {
    by_id: HashMap<Id, LoadedKeyset>,
    order: Vec<Id>,
}

impl Keysets {
    /// Derive every stored keyset.
    pub fn load(master: &[u8], records: Vec<KeysetRecord>) -> Result<Self, MintError> {
        Ok(Self::reload(master, records, &Keysets::default())?.0)
    }

    /// The stored keysets, reusing the keys of those `previous` holds (a keyset's id is a hash of its keys,
    /// unit, fee and expiry, so the same id with the same derivation parameters is the same keys; only
    /// `active` may change) and deriving only new ones: a reload after a rotation, or for a request naming an
    /// unknown id, costs one derivation per *new* keyset, not one per keyset. Also returns how many keysets
    /// were derived.
    pub fn reload(master: &[u8], records: Vec<KeysetRecord>, previous: &Keysets) -> Result<(Self, usize), MintError> {
        let mut keysets = Keysets::default();
        let mut derived = 0;
        for record in records {
            let loaded = match previous.get(&record.id) {
                Some(known) if same_keys(&known.record, &record) => LoadedKeyset { record, keys: known.keys.clone() },
                _ => {
                    derived += 1;
                    LoadedKeyset::derive(master, record)?
                }
            };
            keysets.order.push(loaded.record.id);
            keysets.by_id.insert(loaded.record.id, loaded);
        }
        Ok((keysets, derived))
    }

    /// A keyset by id.
    pub fn get(&self, id: &Id) -> Option<&LoadedKeyset> {
        self.by_id.get(id)
    }

    /// Keysets in creation order.
    pub fn iter(&self) -> impl Iterator<Item = &LoadedKeyset> {
        self.order.iter().filter_map(|id| self.by_id.get(id))
    }

    /// The active keyset of a unit (the newest if several).
    pub fn active(&self, unit: &CurrencyUnit) -> Option<&LoadedKeyset> {
        self.iter().filter(|k| k.record.active && &k.record.unit == unit).last()
    }

    /// `GET /v1/keys`: active keysets with their keys.
    pub fn keys_response(&self) -> KeysResponse {
        KeysResponse { keysets: self.iter().filter(|k| k.record.active).map(|k| k.keys.to_keyset(true)).collect() }
    }

    /// `GET /v1/keysets`.
    pub fn keysets_response(&self) -> KeysetResponse {
        KeysetResponse { keysets: self.iter().map(LoadedKeyset::info).collect() }
    }

    /// The next free derivation index for a unit.
    pub fn next_index(&self, unit: &CurrencyUnit) -> u32 {
        self.iter().filter(|k| &k.record.unit == unit).map(|k| k.record.derivation_index + 1).max().unwrap_or(0)
    }
}

/// Do two records describe the same derived keys (everything but `active`)?
fn same_keys(a: &KeysetRecord, b: &KeysetRecord) -> bool {
    a.id == b.id
        && a.unit == b.unit
        && a.derivation_index == b.derivation_index
        && a.max_order == b.max_order
        && a.input_fee_ppk == b.input_fee_ppk
        && a.final_expiry == b.final_expiry
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASTER: [u8; 32] = [9; 32];

    fn record(index: u32, active: bool) -> KeysetRecord {
        let keys = MintKeySet::derive(&MASTER, CurrencyUnit::Sat, index, 8, 0, None).unwrap();
        KeysetRecord {
            id: keys.id,
            unit: CurrencyUnit::Sat,
            derivation_index: index,
            max_order: 8,
            input_fee_ppk: 0,
            final_expiry: None,
            active,
        }
    }

    #[test]
    fn a_reload_derives_only_new_keysets() {
        let (first, derived) =
            Keysets::reload(&MASTER, vec![record(0, true), record(1, false)], &Keysets::default()).unwrap();
        assert_eq!(derived, 2);
        // Nothing new (as for a request naming an unknown id): nothing derived.
        let (same, derived) = Keysets::reload(&MASTER, vec![record(0, true), record(1, false)], &first).unwrap();
        assert_eq!(derived, 0);
        assert_eq!(same.iter().map(|k| k.record.id).collect::<Vec<_>>(), [record(0, true).id, record(1, true).id]);
        // A rotation: one new keyset derived, the old one's new state taken from the store.
        let (rotated, derived) =
            Keysets::reload(&MASTER, vec![record(0, false), record(1, false), record(2, true)], &same).unwrap();
        assert_eq!(derived, 1);
        assert!(!rotated.get(&record(0, true).id).unwrap().record.active);
        assert_eq!(rotated.active(&CurrencyUnit::Sat).unwrap().record.derivation_index, 2);
        // A reused keyset has the keys a fresh derivation gives.
        let fresh = Keysets::load(&MASTER, vec![record(2, true)]).unwrap();
        let id = record(2, true).id;
        assert_eq!(fresh.get(&id).unwrap().keys.to_keyset(true), rotated.get(&id).unwrap().keys.to_keyset(true));
    }
}
