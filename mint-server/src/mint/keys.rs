//! The mint's keyset operations: the keys endpoints (NUT-01, NUT-02), reloading after another instance
//! rotated, and rotation by the operator.

use std::collections::HashSet;
use std::sync::Arc;

use shared::nuts::{KeysResponse, KeysetResponse};
use shared::{BlindedMessage, CurrencyUnit, Id, Proof};

use super::{Keysets, Mint, MintError};
use crate::store::{Commit, KeysetRecord};

impl Mint {
    /// The current keysets.
    pub fn keysets(&self) -> Arc<Keysets> {
        match self.keysets.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Re-read the keysets from the store (after a rotation by another instance). Only keysets not loaded
    /// yet are derived ([`Keysets::reload`]): a request naming an unknown id costs one small read.
    pub async fn reload_keysets(&self) -> Result<(), MintError> {
        let (keysets, _) = Keysets::reload(&self.master, self.store.keysets().await?, &self.keysets())?;
        let keysets = Arc::new(keysets);
        match self.keysets.write() {
            Ok(mut guard) => *guard = keysets,
            Err(poisoned) => *poisoned.into_inner() = keysets,
        }
        Ok(())
    }

    /// Create a new active keyset for `unit`; older keysets of that unit become inactive (still redeemable,
    /// never signed with again).
    pub async fn rotate_keyset(&self, unit: CurrencyUnit, input_fee_ppk: u64) -> Result<KeysetRecord, MintError> {
        self.reload_keysets().await?;
        let index = self.keysets().next_index(&unit);
        self.add_keyset(unit, index, input_fee_ppk).await
    }

    /// Add the keyset with this derivation index as the active one of its unit.
    pub(super) async fn add_keyset(
        &self,
        unit: CurrencyUnit,
        index: u32,
        input_fee_ppk: u64,
    ) -> Result<KeysetRecord, MintError> {
        let record = KeysetRecord {
            id: Id::V1([0; 8]),
            unit: unit.clone(),
            derivation_index: index,
            max_order: self.settings.max_order,
            input_fee_ppk,
            final_expiry: None,
            active: true,
        };
        let derived = shared::keyset::MintKeySet::derive(
            &self.master,
            unit.clone(),
            record.derivation_index,
            record.max_order,
            input_fee_ppk,
            None,
        )
        .map_err(|e| MintError::Internal(e.to_string()))?;
        let record = KeysetRecord { id: derived.id, ..record };
        // One commit: the new keyset active and every other keyset of its unit inactive, together.
        self.store.commit(&Commit::RotateKeyset(record.clone())).await?;
        self.reload_keysets().await?;
        Ok(record)
    }

    /// A keyset by id, reloading once if this instance has not seen it (another instance may have made it).
    async fn keyset_known(&self, id: &Id) -> Result<(), MintError> {
        if self.keysets().get(id).is_some() {
            return Ok(());
        }
        self.reload_keysets().await?;
        if self.keysets().get(id).is_some() { Ok(()) } else { Err(MintError::UnknownKeyset(id.to_string())) }
    }

    /// `GET /v1/keys`.
    pub fn keys(&self) -> KeysResponse {
        self.keysets().keys_response()
    }

    /// `GET /v1/keys/{id}`.
    pub async fn keyset_keys(&self, id: &Id) -> Result<KeysResponse, MintError> {
        self.keyset_known(id).await?;
        let keysets = self.keysets();
        let keyset = keysets.get(id).ok_or_else(|| MintError::UnknownKeyset(id.to_string()))?;
        Ok(KeysResponse { keysets: vec![keyset.keys.to_keyset(keyset.record.active)] })
    }

    /// `GET /v1/keysets`.
    pub fn keyset_infos(&self) -> KeysetResponse {
        self.keysets().keysets_response()
    }

    /// Make sure every keyset a request names is loaded.
    pub(super) async fn load_keysets_of(&self, inputs: &[Proof], outputs: &[BlindedMessage]) -> Result<(), MintError> {
        let ids: HashSet<Id> = inputs.iter().map(|p| p.keyset_id).chain(outputs.iter().map(|o| o.keyset_id)).collect();
        for id in ids {
            self.keyset_known(&id).await?;
        }
        Ok(())
    }
}
