//! Offline keysets: one per period, derived from the master secret and the period's index (like Cashu
//! keysets, never stored). Period `k` is `[k * period, (k + 1) * period]`; its deposit deadline is the
//! period's end plus the grace.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use shared::CurrencyUnit;
use shared::offline::api::KeysetsResponse;
use shared::offline::{OfflineKeysetId, OfflineMintKeyset};

use super::{OfflineMint, OfflineMintError};

/// How many periods back a keyset id is looked for (to tell an expired keyset from an unknown one).
pub(super) const LOOKBACK_PERIODS: u64 = 24;

/// Keysets derived so far, by period index.
#[derive(Default)]
pub(super) struct KeysetCache(Mutex<BTreeMap<u32, Arc<OfflineMintKeyset>>>);

impl OfflineMint {
    fn period_index(&self, now: u64) -> u64 {
        now / self.settings.period_secs
    }

    /// The keyset of period `index`.
    pub(super) fn keyset_at(&self, index: u64) -> Result<Arc<OfflineMintKeyset>, OfflineMintError> {
        let index = u32::try_from(index).map_err(|_| OfflineMintError::Internal("period index too large".into()))?;
        let mut cache = self.keysets.0.lock().map_err(|_| OfflineMintError::Internal("keyset cache".into()))?;
        if let Some(keyset) = cache.get(&index) {
            return Ok(Arc::clone(keyset));
        }
        let period = self.settings.period_secs;
        let valid_from = u64::from(index) * period;
        let valid_until = valid_from.saturating_add(period);
        let deadline = valid_until.saturating_add(self.settings.deposit_grace_secs);
        let keyset = OfflineMintKeyset::derive(
            &self.master,
            index,
            self.settings.denominations,
            CurrencyUnit::Sat,
            valid_from,
            valid_until,
            deadline,
        )
        .map_err(|e| OfflineMintError::Internal(e.to_string()))?;
        let keyset = Arc::new(keyset);
        cache.insert(index, Arc::clone(&keyset));
        Ok(keyset)
    }

    /// The keyset withdrawals use now.
    pub(super) fn current_keyset(&self) -> Result<Arc<OfflineMintKeyset>, OfflineMintError> {
        self.keyset_at(self.period_index(self.clock.now()))
    }

    /// The keyset with this id among the current one and those of the last periods (expired or not).
    pub(super) fn keyset(&self, id: &OfflineKeysetId) -> Result<Arc<OfflineMintKeyset>, OfflineMintError> {
        let current = self.period_index(self.clock.now());
        for index in (current.saturating_sub(LOOKBACK_PERIODS)..=current).rev() {
            let keyset = self.keyset_at(index)?;
            if keyset.public.id == *id {
                return Ok(keyset);
            }
        }
        Err(OfflineMintError::UnknownKeyset)
    }

    /// `GET /v1/offline/keysets`: the keysets whose refund window has not closed (deposits until the deadline,
    /// refunds after it), oldest first: a wallet restored after a deadline still needs its keyset to rebuild
    /// and claim back the coins it had.
    pub fn keysets(&self) -> Result<KeysetsResponse, OfflineMintError> {
        let now = self.clock.now();
        let current = self.period_index(now);
        let mut keysets = Vec::new();
        for index in current.saturating_sub(LOOKBACK_PERIODS)..=current {
            let keyset = self.keyset_at(index)?;
            if keyset.public.deposit_deadline.saturating_add(self.settings.refund_window_secs) >= now {
                keysets.push(keyset.public.clone());
            }
        }
        Ok(KeysetsResponse { keysets, receipt_key: self.receipt_public_key() })
    }
}
