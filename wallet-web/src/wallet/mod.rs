//! The wallet's engine: mints, notes, sends and receives, with a journal that makes every operation
//! survive a crash or reload. No DOM here: the UI calls [`Wallet`] and renders its views.
//!
//! One module per operation, each a set of functions over the shared [`engine::Engine`] (store, connector,
//! seed): [`mints`], [`issue`] (mint quotes and minting), [`send`], [`receive`], [`reclaim`], [`melt`],
//! [`restore`], [`recover`], offline coins without network in [`offline`] and against the mint in
//! [`offline_mint`]; the journal and the swap they share in [`journal`]; the recovery words at rest,
//! optionally sealed under a passphrase, in [`vault`]. This file holds [`Wallet`], which takes the locks and
//! calls them; no child imports it.

use std::rc::Rc;

use shared::Amount;
use shared::nuts::PaymentMethod;

use crate::WalletError;
use crate::connector::MintConnector;
use crate::platform::{Platform, TabGuard, TabLock};
use crate::store::{Batch, Table, WalletStore, get_all_json};

pub mod crypto;
mod engine;
mod issue;
mod journal;
mod melt;
mod mints;
mod offline;
mod offline_mint;
mod on_demand;
mod receive;
mod reclaim;
pub mod records;
mod recover;
mod request;
mod restore;
pub mod select;
mod send;
mod vault;
mod views;

use engine::{Engine, MNEMONIC_KEY};
pub use engine::{MAX_OUTPUTS_PER_OP, MAX_TOKEN_NOTES, MAX_TOKEN_VALUE, RESTORE_BATCH, RESTORE_EMPTY_BATCHES};
pub use offline::PAYABLE_RANGES;
pub use offline_mint::{
    EXCHANGE_BEFORE_SECS, MAX_COINS_PER_SYNC, MAX_EVIDENCE, MAX_OFFLINE_KEYSETS, MAX_TRANSCRIPTS, RESTORE_WINDOW,
};
pub use on_demand::PartNotLoaded;
pub(crate) use on_demand::split_fn;
use records::{MintRecord, NoteState, NoteSummary, SendRecord};
pub use vault::WordsAtRest;
pub use views::{
    DleqStatus, HistoryEntry, HistoryKind, HistoryStatus, InvoiceQuoteView, MintView, PaymentView, PendingSendView,
    QuoteView, ReceiveView, RecoveryReport, RequestAsk, SendView, TokenPreview,
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
                engine: Engine::new(store, connector, platform.clock, platform.cipher),
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

    /// Stores the seed of `mnemonic` (validated) as the phrase itself (the default: no passphrase). Fails if
    /// a seed exists already.
    pub async fn set_mnemonic(&self, mnemonic: &str) -> Result<(), WalletError> {
        self.store_mnemonic(mnemonic, None).await
    }

    /// Stores `mnemonic` (validated) sealed under `passphrase` (see [`Wallet::unlock`]); this page stays
    /// unlocked. Fails if a seed exists already.
    pub async fn set_mnemonic_with_passphrase(&self, mnemonic: &str, passphrase: &str) -> Result<(), WalletError> {
        self.store_mnemonic(mnemonic, Some(passphrase)).await
    }

    async fn store_mnemonic(&self, mnemonic: &str, passphrase: Option<&str>) -> Result<(), WalletError> {
        let parsed = shared::derivation::parse_mnemonic(mnemonic).map_err(|_| WalletError::InvalidMnemonic)?;
        if let Some(passphrase) = passphrase {
            vault::check_passphrase(passphrase)?;
        }
        let _held = self.exclusive().await?;
        if self.has_seed().await? {
            return Err(WalletError::SeedExists);
        }
        let phrase = zeroize::Zeroizing::new(parsed.to_string());
        let record = vault::record_for_new(&self.inner.engine, &phrase, passphrase).await?;
        let mut batch = Batch::new();
        batch.put(Table::Meta, MNEMONIC_KEY, &record)?;
        self.inner.engine.store.commit(batch).await
    }

    /// The stored mnemonic, for a "show recovery words" screen. Words sealed under a passphrase:
    /// [`WalletError::PassphraseRequired`] (see [`Wallet::mnemonic_with_passphrase`]).
    pub async fn mnemonic(&self) -> Result<String, WalletError> {
        Ok(vault::reveal(&self.inner.engine, None).await?.to_string())
    }

    /// The stored mnemonic, opened with `passphrase` when sealed ([`WalletError::WrongPassphrase`] if it is
    /// not the one).
    pub async fn mnemonic_with_passphrase(&self, passphrase: &str) -> Result<String, WalletError> {
        Ok(vault::reveal(&self.inner.engine, Some(passphrase)).await?.to_string())
    }

    /// How the recovery words are kept in this browser: absent, as text, or sealed under a passphrase.
    pub async fn words_at_rest(&self) -> Result<WordsAtRest, WalletError> {
        vault::at_rest(&self.inner.engine).await
    }

    /// Whether the words are sealed and this page has not unlocked them: every operation that needs the
    /// seed answers [`WalletError::Locked`] until [`Wallet::unlock`].
    pub async fn is_locked(&self) -> Result<bool, WalletError> {
        Ok(!self.inner.engine.has_seed_in_memory() && self.words_at_rest().await? == WordsAtRest::Sealed)
    }

    /// Opens the sealed words with `passphrase` and keeps the seed in this page's memory (never stored). A
    /// wrong passphrase is [`WalletError::WrongPassphrase`]; nothing is written either way.
    pub async fn unlock(&self, passphrase: &str) -> Result<(), WalletError> {
        vault::unlock(&self.inner.engine, passphrase).await
    }

    /// Seals the recovery words, stored as text until now, under `passphrase`.
    pub async fn set_passphrase(&self, passphrase: &str) -> Result<(), WalletError> {
        let _held = self.exclusive().await?;
        vault::change(&self.inner.engine, None, Some(passphrase)).await
    }

    /// Seals the recovery words under `new` instead of `current` (fresh salt and IV).
    pub async fn change_passphrase(&self, current: &str, new: &str) -> Result<(), WalletError> {
        let _held = self.exclusive().await?;
        vault::change(&self.inner.engine, Some(current), Some(new)).await
    }

    /// Stores the recovery words as text again, after `current` opened them.
    pub async fn remove_passphrase(&self, current: &str) -> Result<(), WalletError> {
        let _held = self.exclusive().await?;
        vault::change(&self.inner.engine, Some(current), None).await
    }

    /// Finishes or rolls back every journaled operation (after a crash or reload). Operations whose mint is
    /// unreachable stay pending and are counted; nothing is lost.
    pub async fn recover(&self) -> Result<RecoveryReport, WalletError> {
        let _held = self.exclusive().await?;
        // Re-driving an op may need the seed (a restore, a rolled-back op's outputs): a locked wallet waits.
        if self.is_locked().await? {
            return Err(WalletError::Locked);
        }
        recover::recover(self).await
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

    /// A payment request (NUT-18 `creqA…`, in-band, single use) for `amount` sat at this wallet's mints, with
    /// a fresh random id.
    pub async fn payment_request(&self, amount: Amount, description: Option<String>) -> Result<String, WalletError> {
        let mints = self.mints().await?;
        request::make(engine::new_id()?, amount, description, &mints)
    }

    /// Reads a payment request (`creqA…`) into what it asks, without changing anything.
    pub fn read_payment_request(text: &str) -> Result<RequestAsk, WalletError> {
        request::read(text)
    }

    /// Pays a payment request (NUT-18, in-band) in one step: checks what it asks against this wallet (unit,
    /// spending condition, amount, accepted mints, balance; see `request::choose`), then makes a token of
    /// exactly that amount at an accepted mint, to hand over. `typed`: the amount when the request names none.
    pub async fn pay_request(&self, ask: &RequestAsk, typed: Option<Amount>) -> Result<SendView, WalletError> {
        let mints = self.mints().await?;
        let (mint, amount) = request::choose(ask, typed, &mints)?;
        self.send(&mint, amount, ask.description.clone()).await
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

    /// A melt quote (NUT-05, `bolt11`) for a Lightning invoice: its amount and the most its fee may be.
    /// Changes nothing in the wallet (the quote expires unused).
    pub async fn quote_invoice(&self, mint: &str, invoice: &str) -> Result<InvoiceQuoteView, WalletError> {
        melt::quote_invoice(&self.inner.engine, mint, invoice).await
    }

    /// Pays a Lightning invoice through the mint (NUT-05 melt, `bolt11`), journaled: inputs cover the amount,
    /// the fee reserve and their input fee; NUT-08 blank outputs (NUT-13 secrets, so restorable) bring the
    /// unused reserve back as notes. A lost answer leaves the payment pending ([`Wallet::recover`] resends
    /// it and collects the change).
    pub async fn pay_invoice(&self, mint: &str, invoice: &str) -> Result<PaymentView, WalletError> {
        let _held = self.exclusive().await?;
        melt::pay_invoice(&self.inner.engine, mint, invoice).await
    }

    /// NUT-13 restore from the seed: `/v1/restore` in batches of [`RESTORE_BATCH`] outputs per keyset until
    /// [`RESTORE_EMPTY_BATCHES`] empty batches in a row, then `/v1/checkstate` so spent notes are not
    /// resurrected; counters move past the last used. Returns the amount recovered.
    pub async fn restore(&self, mint: &str) -> Result<Amount, WalletError> {
        let _held = self.exclusive().await?;
        restore::restore(&self.inner.engine, mint).await
    }

    /// Caches a mint's offline keysets for payments with no network (ids checked against their content).
    pub async fn store_offline_keysets(
        &self,
        mint: &str,
        keysets: Vec<shared::offline::OfflineKeyset>,
    ) -> Result<(), WalletError> {
        let mint = crate::MintUrl::parse(mint)?;
        let _held = self.exclusive().await?;
        offline::store_keysets(&self.inner.engine, mint.as_str(), keysets).await
    }

    /// Takes withdrawn offline coins in (the seam the withdrawal calls): each must check against its cached
    /// keyset and open with secrets derived from this wallet's seed. Returns the value added.
    pub async fn add_offline_coins(
        &self,
        mint: &str,
        coins: Vec<crate::offline::records::WithdrawnCoin>,
    ) -> Result<u64, WalletError> {
        let mint = crate::MintUrl::parse(mint)?;
        let _held = self.exclusive().await?;
        offline::add_coins(&self.inner.engine, mint.as_str(), coins, crate::offline::records::CoinOrigin::Withdrawn)
            .await
    }

    /// The offline balance (apart from [`Wallet::balance`]), the amounts it pays exactly, per keyset its
    /// expiry.
    pub async fn offline_balance(&self) -> Result<crate::offline::records::OfflineBalanceView, WalletError> {
        offline::balance(&self.inner.engine).await
    }

    /// This wallet's offline identity `I` (hex), derived from the recovery words.
    pub async fn offline_identity(&self) -> Result<String, WalletError> {
        offline::identity_hex(&self.inner.engine).await
    }

    /// Reads a payment request's text without changing anything (the pay screen's preview).
    pub fn read_offline_request(text: &str) -> Result<shared::offline::PaymentRequest, WalletError> {
        offline::read_request(text)
    }

    /// Pays an offline payment request with exact coins. The coins are recorded as spent to this request
    /// before the payment is returned; the same request again returns the same payment, and no coin ever
    /// answers a second request (across tabs too: the wallet's locks).
    pub async fn pay_offline(
        &self,
        request_text: &str,
    ) -> Result<crate::offline::records::OfflinePaymentView, WalletError> {
        let _held = self.exclusive().await?;
        offline::pay(&self.inner.engine, request_text).await
    }

    /// Offline payments made, newest first (each can be shown again).
    pub async fn offline_payments(&self) -> Result<Vec<crate::offline::records::OfflinePaymentView>, WalletError> {
        offline::payments(&self.inner.engine).await
    }

    /// A new offline payment request for `amount` (this wallet is the payee).
    pub async fn request_offline(
        &self,
        amount: u64,
    ) -> Result<crate::offline::records::OfflineRequestView, WalletError> {
        let _held = self.exclusive().await?;
        offline::create_request(&self.inner.engine, amount).await
    }

    /// Verifies a payment for one of this wallet's requests against the cached keysets (no network) and
    /// stores it to deposit later.
    pub async fn receive_offline(
        &self,
        payment_text: &str,
    ) -> Result<crate::offline::records::OfflineRequestView, WalletError> {
        let _held = self.exclusive().await?;
        offline::receive(&self.inner.engine, payment_text).await
    }

    /// Offline requests made, newest first; received ones wait for their deposit.
    pub async fn offline_requests(&self) -> Result<Vec<crate::offline::records::OfflineRequestView>, WalletError> {
        offline::requests(&self.inner.engine).await
    }

    /// This wallet's account for offline use at `mint`: whether it is registered (with which bank account),
    /// its identity, bond, limit, what was withdrawn this period and what remains, whether it is blocked,
    /// and the cached offline keysets with their expiry and deposit deadline. Not registered here yet:
    /// `registered: false` with zeros (no request is sent).
    pub async fn offline_account(
        &self,
        mint: &crate::MintUrl,
    ) -> Result<crate::offline::records::OfflineAccountView, WalletError> {
        offline_mint::account_view(&self.inner.engine, mint).await
    }

    /// Registers this wallet's offline identity (derived from the recovery words) for the bank account
    /// `account` at `mint` (the account opened for [`Wallet::account_pubkey`]). Idempotent: registered
    /// already by this seed (a retry, a restored wallet) is success; the account number is kept for the
    /// other offline operations.
    pub async fn offline_register(
        &self,
        mint: &crate::MintUrl,
        account: &str,
    ) -> Result<crate::offline::records::OfflineAccountView, WalletError> {
        let _held = self.exclusive().await?;
        offline_mint::register(&self.inner.engine, mint, account).await
    }

    /// Locks `amount` more of the bank balance at `mint` in the offline bond and sets the offline limit (the
    /// value of offline coins withdrawable per keyset period) to the whole bond. Journaled: a lost answer is
    /// sent again, identical, by [`Wallet::recover`] or the next call (the mint moves nothing twice).
    pub async fn offline_lock_bond(
        &self,
        mint: &crate::MintUrl,
        amount: u64,
    ) -> Result<crate::offline::records::OfflineAccountView, WalletError> {
        let _held = self.exclusive().await?;
        offline_mint::lock_bond(&self.inner.engine, mint, amount).await
    }

    /// Withdraws `amount` in offline coins of the mint's current keyset, a spread of denominations that
    /// pays every amount up to it exactly, debited from the bank account. One withdrawal session per coin;
    /// `progress(done, total)` is called before the first and after each coin. Every coin's secrets derive
    /// from the recovery words, a counter and the session's values, journaled before the request leaves: a
    /// crash or lost answer never loses a coin the account paid for ([`Wallet::recover`] finishes it, from
    /// the mint's stored transcript if need be). Returns the value added.
    pub async fn offline_withdraw(
        &self,
        mint: &crate::MintUrl,
        amount: u64,
        progress: impl Fn(usize, usize),
    ) -> Result<u64, WalletError> {
        let _held = self.exclusive().await?;
        offline_mint::withdraw(&self.inner.engine, mint, amount, &progress).await
    }

    /// Whether this wallet holds anything a full [`Wallet::offline_sync`] moves on: offline coins, payments
    /// or requests made, or an offline journal. A wallet that never used offline coins answers `false` and
    /// needs only [`Wallet::offline_refresh_keysets`].
    pub async fn offline_in_use(&self) -> Result<bool, WalletError> {
        offline_mint::in_use(&self.inner.engine).await
    }

    /// Fetches and caches `mint`'s offline keysets (the first step of [`Wallet::offline_sync`]), so an offline
    /// payment can later be received and checked with no network. Returns how many the mint lists.
    pub async fn offline_refresh_keysets(&self, mint: &crate::MintUrl) -> Result<usize, WalletError> {
        let _held = self.exclusive().await?;
        Ok(offline_mint::refresh_keysets(&self.inner.engine, mint).await?.len())
    }

    /// When online: refreshes the offline keysets, exchanges own coins whose keyset stops paying soon,
    /// deposits every received payment into online notes (NUT-13 outputs, journaled; the mint's receipts
    /// checked against its receipt key and kept), and claims refunds of unspent coins (restored ones
    /// included) after their keyset's deposit deadline. What could not finish stays for the next sync.
    pub async fn offline_sync(
        &self,
        mint: &crate::MintUrl,
    ) -> Result<crate::offline::records::OfflineSyncView, WalletError> {
        let _held = self.exclusive().await?;
        offline_mint::sync(&self.inner.engine, mint).await
    }

    /// Rebuilds this wallet's offline coins at `mint` from the mint's withdrawal transcripts (after a
    /// restore from the recovery words; register first). Rebuilt coins are never spent offline (this
    /// wallet cannot know which the lost device spent); [`Wallet::offline_sync`] claims them back after
    /// their keyset's deposit deadline. Returns the value rebuilt.
    pub async fn offline_restore(&self, mint: &crate::MintUrl) -> Result<u64, WalletError> {
        let _held = self.exclusive().await?;
        offline_mint::restore(&self.inner.engine, mint).await
    }

    /// The mint's published double-spend evidence, each entry verified by this wallet (not trusting the
    /// mint), flagged when it concerns a coin this wallet received.
    pub async fn offline_evidence(
        &self,
        mint: &crate::MintUrl,
    ) -> Result<Vec<crate::offline::records::EvidenceView>, WalletError> {
        offline_mint::evidence(&self.inner.engine, mint).await
    }

    /// The history, newest first.
    pub async fn history(&self) -> Result<Vec<HistoryEntry>, WalletError> {
        let mut entries: Vec<HistoryEntry> = get_all_json(&*self.inner.engine.store, Table::History).await?;
        entries.sort_by(|a, b| b.at.total_cmp(&a.at));
        Ok(entries)
    }
}
