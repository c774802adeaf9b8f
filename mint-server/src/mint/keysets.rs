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
        let mut keysets = Keysets::default();
        for record in records {
            let loaded = LoadedKeyset::derive(master, record)?;
            keysets.order.push(loaded.record.id);
            keysets.by_id.insert(loaded.record.id, loaded);
        }
        Ok(keysets)
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
