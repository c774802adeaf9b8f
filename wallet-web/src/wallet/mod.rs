//! The wallet's engine: mints, notes, sends and receives, with a journal that makes every operation
//! survive a crash or reload. No DOM here: the UI calls [`Wallet`] and renders its views.
//!
//! One module per operation, each a set of functions over the shared [`engine::Engine`] (store, connector,
//! seed): [`mints`], [`issue`] (mint quotes and minting), [`send`], [`receive`], [`reclaim`], [`melt`],
//! [`restore`], [`recover`]; the journal and the swap they share in [`journal`]. This file holds [`Wallet`],
//! which takes the locks and calls them; no child imports it.

use std::rc::Rc;

use shared::Amount;
use shared::nuts::PaymentMethod;

use crate::WalletError;
use crate::connector::MintConnector;
use crate::platform::{Platform, TabGuard, TabLock};
use crate::store::{Batch, Table, WalletStore, get_all_json, get_json};

pub mod crypto;
mod engine;
mod issue;
mod journal;
mod melt;
mod mints;
mod receive;
mod reclaim;
pub mod records;
mod recover;
mod restore;
pub mod select;
mod send;
mod views;

use engine::{Engine, MNEMONIC_KEY};
pub use engine::{MAX_OUTPUTS_PER_OP, MAX_TOKEN_NOTES, MAX_TOKEN_VALUE, RESTORE_BATCH, RESTORE_EMPTY_BATCHES};
use records::{MintRecord, NoteState, NoteSummary, SendRecord};
pub use views::{
    DleqStatus, HistoryEntry, HistoryKind, HistoryStatus, MintView, PendingSendView, QuoteView, ReceiveView,
    RecoveryReport, SendView, TokenPreview,
};

/// The IndexedDB database of the browser wallet.
pub const DATABASE_NAME: &str = "chaumian-wallet";

/// The wallet. Cheap to clone (an `Rc` inside); every method takes `&self`. Not `Send` (wasm, one thread).
#[derive(Clone)]
pub struct Wallet {
    inner: Rc<Inner>,
}

struct Inner {
    engine: Engine,
    /// The lock every tab shares (the Web Lock in a browser).
    tab_lock: Rc<dyn TabLock>,
    /// The Web Lock's name: one per database, shared by every tab.
    lock_name: String,
    /// Queues this page's operations in call order before they contend for the Web Lock with other tabs.
    mutex: futures::lock::Mutex<()>,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet").field("lock", &self.inner.lock_name).finish_non_exhaustive()
    }
}

impl Wallet {
    /// Opens the browser wallet: IndexedDB database [`DATABASE_NAME`] and the HTTP connector. No network I/O.
    pub async fn open_browser() -> Result<Wallet, WalletError> {
        let store = crate::store::IdbStore::open(DATABASE_NAME).await?;
        Wallet::open(Rc::new(store), Rc::new(crate::connector::HttpConnector::new())).await
    }

    /// Opens on any store and connector (tests use `MemoryStore` and fault-injecting connectors), with this
    /// target's platform ([`Platform::current`]).
    pub async fn open(store: Rc<dyn WalletStore>, connector: Rc<dyn MintConnector>) -> Result<Wallet, WalletError> {
        Wallet::open_with(store, connector, Platform::current()).await
    }

    /// Opens on any store, connector, clock and lock between tabs.
    pub async fn open_with(
        store: Rc<dyn WalletStore>,
        connector: Rc<dyn MintConnector>,
        platform: Platform,
    ) -> Result<Wallet, WalletError> {
        let lock_name = format!("chaumian-wallet-lock:{}", store.name());
        Ok(Wallet {
            inner: Rc::new(Inner {
                engine: Engine::new(store, connector, platform.clock),
                tab_lock: platform.lock,
                lock_name,
                mutex: futures::lock::Mutex::new(()),
            }),
        })
    }

    /// Holds the wallet exclusively: this page's mutex, then the lock every tab shares. Everything read
    /// after this comes fresh from the store (another tab may have changed it).
    async fn exclusive(&self) -> Result<(futures::lock::MutexGuard<'_, ()>, TabGuard), WalletError> {
        let guard = self.inner.mutex.lock().await;
        let lock = self.inner.tab_lock.lock(&self.inner.lock_name).await?;
        Ok((guard, lock))
    }

    /// Whether a seed is stored.
    pub async fn has_seed(&self) -> Result<bool, WalletError> {
        Ok(self.inner.engine.store.get(Table::Meta, MNEMONIC_KEY).await?.is_some())
    }

    /// A fresh 12-word BIP-39 mnemonic (not stored).
    pub fn new_mnemonic() -> Result<String, WalletError> {
        Ok(shared::derivation::generate_mnemonic()?.to_string())
    }

    /// Stores the seed of `mnemonic` (validated). Fails if a seed exists already.
    pub async fn set_mnemonic(&self, mnemonic: &str) -> Result<(), WalletError> {
        let parsed = shared::derivation::parse_mnemonic(mnemonic).map_err(|_| WalletError::InvalidMnemonic)?;
        let _held = self.exclusive().await?;
        if self.has_seed().await? {
            return Err(WalletError::SeedExists);
        }
        let mut batch = Batch::new();
        batch.put(Table::Meta, MNEMONIC_KEY, &parsed.to_string())?;
        self.inner.engine.store.commit(batch).await
    }

    /// The stored mnemonic, for a "show recovery words" screen.
    pub async fn mnemonic(&self) -> Result<String, WalletError> {
        get_json::<String>(&*self.inner.engine.store, Table::Meta, MNEMONIC_KEY).await?.ok_or(WalletError::NoSeed)
    }

    /// Finishes or rolls back every journaled operation (after a crash or reload). Operations whose mint is
    /// unreachable stay pending and are counted; nothing is lost.
    pub async fn recover(&self) -> Result<RecoveryReport, WalletError> {
        let _held = self.exclusive().await?;
        recover::recover(&self.inner.engine).await
    }

    /// Adds (or refreshes) a mint by URL: `GET /v1/info`, `/v1/keysets`, `/v1/keys`; stores them.
    pub async fn add_mint(&self, url: &str) -> Result<MintView, WalletError> {
        let _held = self.exclusive().await?;
        let record = mints::add(&self.inner.engine, url).await?;
        let notes: Vec<NoteSummary> = get_all_json(&*self.inner.engine.store, Table::Notes).await?;
        mints::view(&record, &notes)
    }

    /// Removes a mint; refused while it holds notes.
    pub async fn remove_mint(&self, url: &str) -> Result<(), WalletError> {
        let _held = self.exclusive().await?;
        mints::remove(&self.inner.engine, url).await
    }

    /// The mints in the wallet.
    pub async fn mints(&self) -> Result<Vec<MintView>, WalletError> {
        let records: Vec<MintRecord> = get_all_json(&*self.inner.engine.store, Table::Mints).await?;
        let notes: Vec<NoteSummary> = get_all_json(&*self.inner.engine.store, Table::Notes).await?;
        records.iter().map(|record| mints::view(record, &notes)).collect()
    }

    /// Spendable balance over all mints.
    pub async fn balance(&self) -> Result<Amount, WalletError> {
        let notes: Vec<NoteSummary> = get_all_json(&*self.inner.engine.store, Table::Notes).await?;
        Ok(Amount::try_sum(notes.iter().filter(|n| n.state == NoteState::Unspent).map(|n| n.amount))?)
    }

    /// A mint quote for `method` `bolt11` or `bank` (other methods are refused).
    pub async fn request_mint_quote(
        &self,
        mint: &str,
        method: PaymentMethod,
        amount: Amount,
    ) -> Result<QuoteView, WalletError> {
        let quote = issue::request_quote(&self.inner.engine, mint, &method, amount).await?;
        Ok(views::quote_view(method, amount, quote))
    }

    /// Bank method: pays the quote from the user's account at the mint (`POST /v1/bank/pay`, signed with the
    /// account key derived from the seed), without issuing: [`Wallet::pay_and_mint`] does both, journaled;
    /// a quote paid this way is minted by [`Wallet::mint_paid_quote`] or found by [`Wallet::recover`].
    pub async fn pay_quote_from_account(
        &self,
        mint: &str,
        quote_id: &str,
        account_id: &str,
    ) -> Result<(), WalletError> {
        issue::pay_from_account(&self.inner.engine, mint, quote_id, account_id).await
    }

    /// Bank method: pays the quote from the user's account at the mint and issues its notes, as one
    /// journaled operation (a lost answer or a reload between payment and issue ends in notes on
    /// [`Wallet::recover`]). Returns the amount added.
    pub async fn pay_and_mint(&self, mint: &str, quote_id: &str, account_id: &str) -> Result<Amount, WalletError> {
        let _held = self.exclusive().await?;
        issue::pay_and_mint(&self.inner.engine, mint, quote_id, account_id).await
    }

    /// The seed-derived account public key (hex, SEC1 compressed) at the mint at `mint`, which that mint's
    /// operator registers: `HMAC-SHA256(seed, "chaumian-cash/bank/account-key/v2" || 0x00 || mint URL)` is its
    /// secret key ([`shared::nuts::bank::account_secret_key`]), one key per mint address.
    pub async fn account_pubkey(&self, mint: &str) -> Result<String, WalletError> {
        let url = crate::mint_url::MintUrl::parse(mint)?;
        Ok(issue::account_key(&self.inner.engine, &url).await?.public_key().to_hex())
    }

    /// The quote's state at the mint.
    pub async fn check_mint_quote(&self, mint: &str, quote_id: &str) -> Result<QuoteView, WalletError> {
        let (record, quote) = issue::check_quote(&self.inner.engine, mint, quote_id).await?;
        Ok(views::quote_view(record.method, record.amount, quote))
    }

    /// Issues the notes of a paid quote (journaled). Returns the amount added.
    pub async fn mint_paid_quote(&self, mint: &str, quote_id: &str) -> Result<Amount, WalletError> {
        let _held = self.exclusive().await?;
        issue::mint_paid(&self.inner.engine, mint, quote_id).await
    }

    /// Prepares a token of exactly `amount` (swapping for change when needed). Its notes stay a pending send
    /// until the receiver redeems them or the user reclaims them.
    pub async fn send(&self, mint: &str, amount: Amount, memo: Option<String>) -> Result<SendView, WalletError> {
        let _held = self.exclusive().await?;
        let (send, fee) = send::send(&self.inner.engine, mint, amount, memo).await?;
        Ok(SendView { send_id: send.id, token: send.token, amount: send.amount, fee })
    }

    /// Decodes and checks a token offline (DLEQ against known keys) without changing anything.
    pub async fn inspect_token(&self, token: &str) -> Result<TokenPreview, WalletError> {
        receive::inspect(&self.inner.engine, token).await
    }

    /// Receives a token: checked offline first (at most [`MAX_TOKEN_NOTES`] notes, a value of at most
    /// [`MAX_TOKEN_VALUE`], each amount one of its keyset's, a valid DLEQ proof on every note), then swapped
    /// at the mint for fresh notes. `trust_mint` allows adding a mint not yet in the wallet. Already spent:
    /// [`WalletError::AlreadySpent`]; a note without DLEQ proof: [`WalletError::DleqMissing`] (see
    /// [`Wallet::receive_without_proof`]).
    pub async fn receive(&self, token: &str, trust_mint: bool) -> Result<ReceiveView, WalletError> {
        let _held = self.exclusive().await?;
        receive::receive(&self.inner.engine, token, trust_mint, true).await
    }

    /// [`Wallet::receive`] of a token whose notes come without DLEQ proof, by the user's explicit choice:
    /// the mint checks them when it swaps. Proofs that do come are still checked.
    pub async fn receive_without_proof(&self, token: &str, trust_mint: bool) -> Result<ReceiveView, WalletError> {
        let _held = self.exclusive().await?;
        receive::receive(&self.inner.engine, token, trust_mint, false).await
    }

    /// Tokens sent and not yet known to be redeemed, newest first.
    pub async fn pending_sends(&self) -> Result<Vec<PendingSendView>, WalletError> {
        let mut sends: Vec<SendRecord> = get_all_json(&*self.inner.engine.store, Table::Sends).await?;
        sends.sort_by(|a, b| b.created_at.total_cmp(&a.created_at));
        Ok(sends
            .into_iter()
            .map(|s| PendingSendView {
                send_id: s.id,
                mint: s.mint.into(),
                amount: s.amount,
                token: s.token,
                created_at: s.created_at,
            })
            .collect())
    }

    /// Checks the pending send's notes; marks it done if redeemed, swaps unspent ones back otherwise.
    /// Returns the amount taken back.
    pub async fn reclaim(&self, send_id: &str) -> Result<Amount, WalletError> {
        let _held = self.exclusive().await?;
        reclaim::reclaim(&self.inner.engine, send_id).await
    }

    /// Checks every pending send and marks redeemed ones done. Returns how many finished.
    pub async fn refresh_pending_sends(&self) -> Result<usize, WalletError> {
        let _held = self.exclusive().await?;
        reclaim::refresh(&self.inner.engine).await
    }

    /// Melts to the user's bank account at the mint (method `bank`); returns the amount moved.
    pub async fn withdraw_to_account(
        &self,
        mint: &str,
        amount: Amount,
        account_id: &str,
    ) -> Result<Amount, WalletError> {
        let _held = self.exclusive().await?;
        melt::withdraw(&self.inner.engine, mint, amount, account_id).await
    }

    /// NUT-13 restore from the seed: `/v1/restore` in batches of [`RESTORE_BATCH`] outputs per keyset until
    /// [`RESTORE_EMPTY_BATCHES`] empty batches in a row, then `/v1/checkstate` so spent notes are not
    /// resurrected; counters move past the last used. Returns the amount recovered.
    pub async fn restore(&self, mint: &str) -> Result<Amount, WalletError> {
        let _held = self.exclusive().await?;
        restore::restore(&self.inner.engine, mint).await
    }

    /// The history, newest first.
    pub async fn history(&self) -> Result<Vec<HistoryEntry>, WalletError> {
        let mut entries: Vec<HistoryEntry> = get_all_json(&*self.inner.engine.store, Table::History).await?;
        entries.sort_by(|a, b| b.at.total_cmp(&a.at));
        Ok(entries)
    }
}
