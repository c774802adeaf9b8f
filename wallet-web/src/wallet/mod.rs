//! The wallet's engine: mints, notes, sends and receives, with a journal that makes every operation
//! survive a crash or reload. No DOM here: the UI calls [`Wallet`] and renders its views.

use std::rc::Rc;

use shared::Amount;

use crate::WalletError;
use crate::connector::MintConnector;
use crate::store::{Batch, Table, WalletStore, get_json};

/// The meta record holding the mnemonic.
const MNEMONIC_KEY: &str = "mnemonic";

/// The IndexedDB database of the browser wallet.
pub const DATABASE_NAME: &str = "chaumian-wallet";

/// The wallet. Cheap to clone (an `Rc` inside); every method takes `&self`. Not `Send` (wasm, one thread).
#[derive(Clone)]
pub struct Wallet {
    inner: Rc<Inner>,
}

struct Inner {
    #[allow(dead_code)] // Used by the operations that follow in the next commits.
    connector: Rc<dyn MintConnector>,
    store: Rc<dyn WalletStore>,
    lock_name: String,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet").field("lock", &self.inner.lock_name).finish_non_exhaustive()
    }
}

/// A mint as the wallet shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintView {
    /// Its URL (no trailing slash).
    pub url: String,
    /// Its name.
    pub name: Option<String>,
    /// Its short description.
    pub description: Option<String>,
    /// The unit of its keysets this wallet uses (`sat`).
    pub unit: String,
    /// Spendable notes at this mint.
    pub balance: Amount,
    /// Notes in pending sends and operations in flight.
    pub pending: Amount,
    /// Mint (NUT-04) methods it offers, e.g. `bolt11`, `bank`.
    pub methods: Vec<String>,
    /// Fee per input of its active keyset, in parts per thousand.
    pub input_fee_ppk: u64,
    /// Message of the day.
    pub motd: Option<String>,
}

/// A mint quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteView {
    /// Quote id.
    pub id: String,
    /// `bolt11` or `bank`.
    pub method: String,
    /// Amount to mint.
    pub amount: Amount,
    /// What to pay (a bolt11 invoice; for `bank` the mint's reference).
    pub request: String,
    /// `UNPAID`, `PAID` or `ISSUED`.
    pub state: String,
    /// Unix time until which it can be paid.
    pub expiry: Option<u64>,
}

/// A prepared token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendView {
    /// The pending send's id (for [`Wallet::reclaim`]).
    pub send_id: String,
    /// The `cashuB` token.
    pub token: String,
    /// Its value.
    pub amount: Amount,
    /// Fee paid to the mint to prepare it (swap input fees).
    pub fee: Amount,
}

/// Whether a token's notes carry valid DLEQ proofs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DleqStatus {
    /// Every note carries a proof that checks against the mint's keys.
    AllValid,
    /// Some note carries no proof (or the mint's keys are not known yet).
    Missing,
    /// Some proof does not check: the token is forged or damaged.
    Invalid,
}

/// What a token holds, checked offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPreview {
    /// The mint's URL.
    pub mint: String,
    /// Total value.
    pub amount: Amount,
    /// Unit.
    pub unit: String,
    /// Memo.
    pub memo: Option<String>,
    /// Number of notes.
    pub notes: usize,
    /// Whether the mint is in the wallet.
    pub mint_known: bool,
    /// DLEQ check result.
    pub dleq: DleqStatus,
}

/// A received token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiveView {
    /// The mint.
    pub mint: String,
    /// Amount added to the wallet (after fees).
    pub amount: Amount,
    /// Fee the mint took.
    pub fee: Amount,
}

/// A token sent but not yet redeemed.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingSendView {
    /// Id.
    pub send_id: String,
    /// The mint.
    pub mint: String,
    /// Value.
    pub amount: Amount,
    /// The token, to show again.
    pub token: String,
    /// Milliseconds since the epoch.
    pub created_at: f64,
}

/// The kind of a history entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HistoryKind {
    /// Notes issued for a paid quote.
    Minted,
    /// A token prepared.
    Sent,
    /// A token received.
    Received,
    /// A pending send taken back.
    Reclaimed,
    /// Money moved to a bank account.
    Withdrawn,
    /// Notes recovered from the seed.
    Restored,
}

/// One line of the history.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HistoryEntry {
    /// Id.
    pub id: String,
    /// Milliseconds since the epoch.
    pub at: f64,
    /// What happened.
    pub kind: HistoryKind,
    /// The mint.
    pub mint: String,
    /// Amount.
    pub amount: Amount,
    /// Fee.
    pub fee: Amount,
    /// `pending`, `done` or `failed`.
    pub status: String,
    /// Memo.
    pub memo: Option<String>,
}

/// What [`Wallet::recover`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Operations completed.
    pub finished: usize,
    /// Operations undone (their notes released).
    pub rolled_back: usize,
    /// Operations still waiting for their mint.
    pub still_pending: usize,
}

fn not_yet() -> WalletError {
    WalletError::Invalid("not implemented yet".into())
}

impl Wallet {
    /// Opens the browser wallet: IndexedDB database [`DATABASE_NAME`] and the HTTP connector. No network I/O.
    pub async fn open_browser() -> Result<Wallet, WalletError> {
        let store = crate::store::IdbStore::open(DATABASE_NAME).await?;
        Wallet::open(Rc::new(store), Rc::new(crate::connector::HttpConnector::new())).await
    }

    /// Opens on any store and connector (tests use `MemoryStore` and fault-injecting connectors).
    pub async fn open(store: Rc<dyn WalletStore>, connector: Rc<dyn MintConnector>) -> Result<Wallet, WalletError> {
        Ok(Wallet { inner: Rc::new(Inner { store, connector, lock_name: format!("{DATABASE_NAME}/lock") }) })
    }

    /// Whether a seed is stored.
    pub async fn has_seed(&self) -> Result<bool, WalletError> {
        Ok(self.inner.store.get(Table::Meta, MNEMONIC_KEY).await?.is_some())
    }

    /// A fresh 12-word BIP-39 mnemonic (not stored).
    pub fn new_mnemonic() -> Result<String, WalletError> {
        Ok(shared::derivation::generate_mnemonic()?.to_string())
    }

    /// Stores the seed of `mnemonic` (validated). Fails if a seed exists already.
    pub async fn set_mnemonic(&self, mnemonic: &str) -> Result<(), WalletError> {
        let parsed = shared::derivation::parse_mnemonic(mnemonic).map_err(|_| WalletError::InvalidMnemonic)?;
        if self.has_seed().await? {
            return Err(WalletError::SeedExists);
        }
        let mut batch = Batch::new();
        batch.put(Table::Meta, MNEMONIC_KEY, &parsed.to_string())?;
        self.inner.store.commit(batch).await
    }

    /// The stored mnemonic, for a "show recovery words" screen.
    pub async fn mnemonic(&self) -> Result<String, WalletError> {
        get_json::<String>(&*self.inner.store, Table::Meta, MNEMONIC_KEY).await?.ok_or(WalletError::NoSeed)
    }

    /// Finishes or rolls back every journaled operation (after a crash or reload). Operations whose mint is
    /// unreachable stay pending and are counted; nothing is lost.
    pub async fn recover(&self) -> Result<RecoveryReport, WalletError> {
        Err(not_yet())
    }

    /// Adds (or refreshes) a mint by URL: `GET /v1/info`, `/v1/keysets`, `/v1/keys`; stores them.
    pub async fn add_mint(&self, _url: &str) -> Result<MintView, WalletError> {
        Err(not_yet())
    }

    /// Removes a mint; refused while it holds notes.
    pub async fn remove_mint(&self, _url: &str) -> Result<(), WalletError> {
        Err(not_yet())
    }

    /// The mints in the wallet.
    pub async fn mints(&self) -> Result<Vec<MintView>, WalletError> {
        Err(not_yet())
    }

    /// Spendable balance over all mints.
    pub async fn balance(&self) -> Result<Amount, WalletError> {
        Err(not_yet())
    }

    /// A mint quote for `method` `bolt11` or `bank`.
    pub async fn request_mint_quote(
        &self,
        _mint: &str,
        _method: &str,
        _amount: Amount,
    ) -> Result<QuoteView, WalletError> {
        Err(not_yet())
    }

    /// Bank method: pays the quote from the user's account at the mint (`POST /v1/bank/pay`, signed with the
    /// account key derived from the seed).
    pub async fn pay_quote_from_account(
        &self,
        _mint: &str,
        _quote_id: &str,
        _account_id: &str,
    ) -> Result<(), WalletError> {
        Err(not_yet())
    }

    /// The seed-derived account public key (hex, SEC1 compressed) that the mint's operator registers.
    pub async fn account_pubkey(&self) -> Result<String, WalletError> {
        Err(not_yet())
    }

    /// The quote's state at the mint.
    pub async fn check_mint_quote(&self, _mint: &str, _quote_id: &str) -> Result<QuoteView, WalletError> {
        Err(not_yet())
    }

    /// Issues the notes of a paid quote (journaled). Returns the amount added.
    pub async fn mint_paid_quote(&self, _mint: &str, _quote_id: &str) -> Result<Amount, WalletError> {
        Err(not_yet())
    }

    /// Prepares a token of exactly `amount` (swapping for change when needed). Its notes stay a pending send
    /// until the receiver redeems them or the user reclaims them.
    pub async fn send(&self, _mint: &str, _amount: Amount, _memo: Option<String>) -> Result<SendView, WalletError> {
        Err(not_yet())
    }

    /// Decodes and checks a token offline (DLEQ against known keys) without changing anything.
    pub async fn inspect_token(&self, _token: &str) -> Result<TokenPreview, WalletError> {
        Err(not_yet())
    }

    /// Receives a token: offline DLEQ check, then a swap at the mint for fresh notes. `trust_mint` allows
    /// adding a mint not yet in the wallet. Already spent: [`WalletError::AlreadySpent`].
    pub async fn receive(&self, _token: &str, _trust_mint: bool) -> Result<ReceiveView, WalletError> {
        Err(not_yet())
    }

    /// Tokens sent and not yet known to be redeemed.
    pub async fn pending_sends(&self) -> Result<Vec<PendingSendView>, WalletError> {
        Err(not_yet())
    }

    /// Checks the pending send's notes; marks it done if redeemed, swaps unspent ones back otherwise.
    /// Returns the amount taken back.
    pub async fn reclaim(&self, _send_id: &str) -> Result<Amount, WalletError> {
        Err(not_yet())
    }

    /// Checks every pending send and marks redeemed ones done. Returns how many finished.
    pub async fn refresh_pending_sends(&self) -> Result<usize, WalletError> {
        Err(not_yet())
    }

    /// Melts to the user's bank account at the mint (method `bank`); returns the amount moved.
    pub async fn withdraw_to_account(
        &self,
        _mint: &str,
        _amount: Amount,
        _account_id: &str,
    ) -> Result<Amount, WalletError> {
        Err(not_yet())
    }

    /// NUT-13 restore from the seed; returns the amount recovered.
    pub async fn restore(&self, _mint: &str) -> Result<Amount, WalletError> {
        Err(not_yet())
    }

    /// The history, newest first.
    pub async fn history(&self) -> Result<Vec<HistoryEntry>, WalletError> {
        Err(not_yet())
    }
}
