//! What every operation works with: the store, the connector to mints, the clock, the passphrase cipher and the
//! seed ([`Engine`]), typed
//! requests to a mint, and small helpers (ids, history entries, note selection inputs). Imports no
//! operation module; every operation module imports this one.

use std::cell::RefCell;
use std::rc::Rc;

use shared::derivation::WalletSeed;
use shared::nuts::PaymentMethod;
use shared::{Amount, Id};

use super::records::{CASHU, MintRecord, NoteRecord, NoteState, StoredWords};
use super::select::Candidate;
use super::views::{HistoryEntry, HistoryKind, HistoryStatus};
use crate::WalletError;
use crate::connector::MintConnector;
use crate::mint_url::MintUrl;
use crate::platform::{Clock, PassphraseCipher};
use crate::store::{Table, WalletStore, get_all_json, get_json};

/// Outputs per `/v1/restore` request.
pub const RESTORE_BATCH: u32 = 100;
/// A restore stops after this many batches in a row without a known output.
pub const RESTORE_EMPTY_BATCHES: u32 = 3;
/// The most outputs one operation asks for, so the most derivation counters it moves: two batches less
/// than a restore crosses, so the counters of an op the mint never signed (its request lost, or refused
/// after a later op took counters) leave a gap that a restore ([`super::restore`]) steps over. Checked
/// before any counter moves ([`super::journal::Swap::run`]).
pub const MAX_OUTPUTS_PER_OP: usize = (RESTORE_BATCH * (RESTORE_EMPTY_BATCHES - 1)) as usize;
/// The most notes a token may hold to be received (checked before anything else).
pub const MAX_TOKEN_NOTES: usize = 1000;
/// The largest value a token may claim to be received: every bitcoin there will be, in sat (21 million
/// BTC). Anything above is forged.
pub const MAX_TOKEN_VALUE: u64 = 21_000_000 * 100_000_000;

/// The meta record holding the mnemonic (a [`StoredWords`]).
pub(crate) const MNEMONIC_KEY: &str = "mnemonic";

/// The state the operations share. The caller holds the wallet's locks while an operation runs.
pub(crate) struct Engine {
    /// Where notes, mints and the journal live.
    pub(crate) store: Rc<dyn WalletStore>,
    /// Requests to mints.
    pub(crate) connector: Rc<dyn MintConnector>,
    /// The clock (history entries, op records).
    clock: Rc<dyn Clock>,
    /// Seals and opens the recovery words under a passphrase ([`super::vault`]).
    pub(crate) cipher: Rc<dyn PassphraseCipher>,
    /// The seed, once read or unlocked: the only place it lives when the words are sealed.
    seed: RefCell<Option<WalletSeed>>,
}

pub(crate) fn storage(error: impl std::fmt::Display) -> WalletError {
    WalletError::Storage(error.to_string())
}

pub(crate) fn bad_response(error: impl std::fmt::Display) -> WalletError {
    WalletError::BadResponse(error.to_string())
}

/// A fresh random id (128 bits, hex).
pub(crate) fn new_id() -> Result<String, WalletError> {
    let secret = shared::Secret::generate()?;
    Ok(secret.as_str().chars().take(32).collect())
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, WalletError> {
    serde_json::to_string(value).map_err(storage)
}

/// The notes as candidates for [`super::select`], each with its keyset's input fee.
pub(crate) fn candidates(record: &MintRecord, notes: &[NoteRecord]) -> Vec<Candidate> {
    notes.iter().map(|n| Candidate { amount: n.amount, fee_ppk: record.fee_ppk(&n.keyset_id) }).collect()
}

/// The sum of the notes' amounts.
pub(crate) fn sum(notes: &[NoteRecord]) -> Result<Amount, WalletError> {
    Ok(Amount::try_sum(notes.iter().map(|n| n.amount))?)
}

/// The largest denomination of the mint's active keyset.
pub(crate) fn max_denomination(record: &MintRecord) -> Result<Amount, WalletError> {
    record
        .active_keyset()
        .and_then(|k| k.keys.max_amount())
        .ok_or_else(|| WalletError::UnknownMint(record.url.to_string()))
}

/// The meta record of mint quote `quote` at `mint` (a [`super::records::QuoteRecord`]), kept until the
/// quote is issued.
pub(crate) fn quote_key(mint: &MintUrl, quote: &str) -> String {
    format!("{QUOTE_PREFIX}{mint} {quote}")
}

/// The prefix of [`quote_key`].
pub(crate) const QUOTE_PREFIX: &str = "quote:";

/// NUT-04 `POST /v1/mint/quote/{method}`.
pub(crate) fn mint_quote_path(method: &PaymentMethod) -> String {
    format!("/v1/mint/quote/{method}")
}

/// NUT-04 `GET /v1/mint/quote/{method}/{quote}`.
pub(crate) fn mint_quote_state_path(method: &PaymentMethod, quote: &str) -> String {
    format!("/v1/mint/quote/{method}/{quote}")
}

/// NUT-04 `POST /v1/mint/{method}`.
pub(crate) fn mint_path(method: &PaymentMethod) -> String {
    format!("/v1/mint/{method}")
}

/// NUT-05 `POST /v1/melt/quote/{method}`.
pub(crate) fn melt_quote_path(method: &PaymentMethod) -> String {
    format!("/v1/melt/quote/{method}")
}

/// NUT-05 `GET /v1/melt/quote/{method}/{quote}`.
pub(crate) fn melt_quote_state_path(method: &PaymentMethod, quote: &str) -> String {
    format!("/v1/melt/quote/{method}/{quote}")
}

/// NUT-05 `POST /v1/melt/{method}`.
pub(crate) fn melt_path(method: &PaymentMethod) -> String {
    format!("/v1/melt/{method}")
}

/// The payment method of a melt request's path ([`melt_path`]).
pub(crate) fn melt_method(path: &str) -> Option<PaymentMethod> {
    path.strip_prefix("/v1/melt/").filter(|m| !m.is_empty() && !m.contains('/')).map(PaymentMethod::from)
}

/// Refuses a zero amount.
pub(crate) fn positive(amount: Amount) -> Result<(), WalletError> {
    if amount == Amount::ZERO {
        return Err(WalletError::Invalid("The amount must be more than zero.".into()));
    }
    Ok(())
}

impl Engine {
    pub(crate) fn new(
        store: Rc<dyn WalletStore>,
        connector: Rc<dyn MintConnector>,
        clock: Rc<dyn Clock>,
        cipher: Rc<dyn PassphraseCipher>,
    ) -> Self {
        Engine { store, connector, clock, cipher, seed: RefCell::new(None) }
    }

    /// The wallet's seed: from memory once read or unlocked, else from the stored phrase. Words sealed under
    /// a passphrase and not unlocked yet: [`WalletError::Locked`].
    pub(crate) async fn seed(&self) -> Result<WalletSeed, WalletError> {
        if let Some(seed) = self.seed.borrow().as_ref() {
            return Ok(seed.clone());
        }
        match self.stored_words().await?.ok_or(WalletError::NoSeed)? {
            StoredWords::Plain(phrase) => self.remember_seed(&phrase),
            StoredWords::Sealed(_) => Err(WalletError::Locked),
        }
    }

    /// The stored recovery words, as stored.
    pub(crate) async fn stored_words(&self) -> Result<Option<StoredWords>, WalletError> {
        get_json(&*self.store, Table::Meta, MNEMONIC_KEY).await
    }

    /// Parses `phrase`, keeps its seed in memory and returns it.
    pub(crate) fn remember_seed(&self, phrase: &str) -> Result<WalletSeed, WalletError> {
        let mnemonic = shared::derivation::parse_mnemonic(phrase).map_err(|_| WalletError::InvalidMnemonic)?;
        let seed = WalletSeed::from_mnemonic(&mnemonic);
        *self.seed.borrow_mut() = Some(seed.clone());
        Ok(seed)
    }

    /// Whether the seed is in memory (read or unlocked).
    pub(crate) fn has_seed_in_memory(&self) -> bool {
        self.seed.borrow().is_some()
    }

    pub(crate) async fn all_notes(&self) -> Result<Vec<NoteRecord>, WalletError> {
        get_all_json(&*self.store, Table::Notes).await
    }

    /// Spendable notes at `mint`.
    pub(crate) async fn unspent_notes(&self, mint: &MintUrl) -> Result<Vec<NoteRecord>, WalletError> {
        Ok(self
            .all_notes()
            .await?
            .into_iter()
            .filter(|n| n.mint == *mint && n.state == NoteState::Unspent && n.kind == CASHU)
            .collect())
    }

    /// The stored record of the mint at `url` (any spelling [`MintUrl::parse`] reads).
    pub(crate) async fn mint_record(&self, url: &str) -> Result<MintRecord, WalletError> {
        let url = MintUrl::parse(url)?;
        get_json(&*self.store, Table::Mints, url.as_str()).await?.ok_or_else(|| WalletError::UnknownMint(url.into()))
    }

    /// The next unused derivation counter of a keyset.
    pub(crate) async fn counter(&self, keyset: &Id) -> Result<u32, WalletError> {
        Ok(get_json(&*self.store, Table::Counters, &keyset.to_string()).await?.unwrap_or(0))
    }

    pub(crate) async fn get_as<T: serde::de::DeserializeOwned>(
        &self,
        mint: &MintUrl,
        path: &str,
    ) -> Result<T, WalletError> {
        let text = self.connector.get(mint.as_str(), path).await?;
        serde_json::from_str(&text).map_err(bad_response)
    }

    pub(crate) async fn post_as<T: serde::de::DeserializeOwned>(
        &self,
        mint: &MintUrl,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, WalletError> {
        let text = self.connector.post(mint.as_str(), path, &to_json(body)?).await?;
        serde_json::from_str(&text).map_err(bad_response)
    }

    /// A `pending` history entry, now.
    pub(crate) fn new_entry(
        &self,
        kind: HistoryKind,
        mint: &MintUrl,
        amount: Amount,
        fee: Amount,
        memo: Option<String>,
    ) -> Result<HistoryEntry, WalletError> {
        Ok(HistoryEntry {
            id: new_id()?,
            at: self.now_ms(),
            kind,
            mint: mint.to_string(),
            amount,
            fee,
            status: HistoryStatus::Pending,
            memo,
        })
    }

    /// Milliseconds since the Unix epoch.
    pub(crate) fn now_ms(&self) -> f64 {
        self.clock.now_ms()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn one_op_never_jumps_further_than_a_restore_looks() {
        // An op of MAX_OUTPUTS_PER_OP outputs starting anywhere in a batch leaves at most
        // RESTORE_EMPTY_BATCHES - 1 batches empty in a row.
        let per_op = MAX_OUTPUTS_PER_OP as u32;
        for start in [0, 1, RESTORE_BATCH - 1] {
            let first_empty = start.div_ceil(RESTORE_BATCH);
            let next_used = (start + per_op) / RESTORE_BATCH;
            assert!(next_used - first_empty < RESTORE_EMPTY_BATCHES, "start {start}");
        }
    }

    #[test]
    fn paths_carry_the_method() {
        assert_eq!(mint_quote_path(&PaymentMethod::Bank), "/v1/mint/quote/bank");
        assert_eq!(mint_quote_state_path(&PaymentMethod::Bolt11, "q1"), "/v1/mint/quote/bolt11/q1");
        assert_eq!(mint_path(&PaymentMethod::Bolt11), "/v1/mint/bolt11");
        assert_eq!(melt_quote_path(&PaymentMethod::Bank), "/v1/melt/quote/bank");
        assert_eq!(melt_quote_state_path(&PaymentMethod::Bank, "q2"), "/v1/melt/quote/bank/q2");
        for method in [PaymentMethod::Bank, PaymentMethod::Bolt11, PaymentMethod::Other("bolt12".into())] {
            assert_eq!(melt_method(&melt_path(&method)), Some(method));
        }
        assert_eq!(melt_method("/v1/swap"), None);
        assert_eq!(melt_method("/v1/melt/quote/bank"), None);
    }
}
