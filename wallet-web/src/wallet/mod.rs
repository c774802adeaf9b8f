//! The wallet's engine: mints, notes, sends and receives, with a journal that makes every operation
//! survive a crash or reload. No DOM here: the UI calls [`Wallet`] and renders its views.

use std::rc::Rc;

use shared::Amount;

use crate::WalletError;
use crate::connector::MintConnector;
use crate::store::{Batch, Table, WalletStore, get_all_json, get_json};

pub mod crypto;
mod engine;
pub mod records;
pub mod select;

use engine::MNEMONIC_KEY;
pub use engine::{ACCOUNT_KEY_TAG, RESTORE_BATCH, RESTORE_EMPTY_BATCHES};
use records::{MintRecord, NoteState, NoteSummary, SendRecord};

/// The IndexedDB database of the browser wallet.
pub const DATABASE_NAME: &str = "chaumian-wallet";

/// The wallet. Cheap to clone (an `Rc` inside); every method takes `&self`. Not `Send` (wasm, one thread).
#[derive(Clone)]
pub struct Wallet {
    inner: Rc<Inner>,
}

struct Inner {
    store: Rc<dyn WalletStore>,
    connector: Rc<dyn MintConnector>,
    /// The Web Lock's name: one per database, shared by every tab.
    lock_name: String,
    /// Queues this page's operations in call order before they contend for the Web Lock with other tabs.
    mutex: futures::lock::Mutex<()>,
    /// The seed, once read.
    seed: std::cell::RefCell<Option<shared::derivation::WalletSeed>>,
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

impl Wallet {
    /// Opens the browser wallet: IndexedDB database [`DATABASE_NAME`] and the HTTP connector. No network I/O.
    pub async fn open_browser() -> Result<Wallet, WalletError> {
        let store = crate::store::IdbStore::open(DATABASE_NAME).await?;
        Wallet::open(Rc::new(store), Rc::new(crate::connector::HttpConnector::new())).await
    }

    /// Opens on any store and connector (tests use `MemoryStore` and fault-injecting connectors).
    pub async fn open(store: Rc<dyn WalletStore>, connector: Rc<dyn MintConnector>) -> Result<Wallet, WalletError> {
        let lock_name = format!("chaumian-wallet-lock:{}", store.name());
        Ok(Wallet {
            inner: Rc::new(Inner {
                store,
                connector,
                lock_name,
                mutex: futures::lock::Mutex::new(()),
                seed: std::cell::RefCell::new(None),
            }),
        })
    }

    /// Holds the wallet exclusively: this page's mutex, then the Web Lock every tab shares. Everything read
    /// after this comes fresh from the store (another tab may have changed it).
    async fn exclusive(&self) -> Result<(futures::lock::MutexGuard<'_, ()>, crate::platform::WebLock), WalletError> {
        let guard = self.inner.mutex.lock().await;
        let lock = crate::platform::web_lock(&self.inner.lock_name).await?;
        Ok((guard, lock))
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
        let _held = self.exclusive().await?;
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
        let _held = self.exclusive().await?;
        self.recover_inner().await
    }

    /// Adds (or refreshes) a mint by URL: `GET /v1/info`, `/v1/keysets`, `/v1/keys`; stores them.
    pub async fn add_mint(&self, url: &str) -> Result<MintView, WalletError> {
        let _held = self.exclusive().await?;
        let record = self.add_mint_inner(url).await?;
        let notes: Vec<NoteSummary> = get_all_json(&*self.inner.store, Table::Notes).await?;
        Self::mint_view(&record, &notes)
    }

    /// Removes a mint; refused while it holds notes.
    pub async fn remove_mint(&self, url: &str) -> Result<(), WalletError> {
        let _held = self.exclusive().await?;
        let record = self.mint_record(url).await?;
        if self.all_notes().await?.iter().any(|n| n.mint == record.url) {
            return Err(WalletError::MintNotEmpty);
        }
        let ops: Vec<records::OpRecord> = get_all_json(&*self.inner.store, Table::Ops).await?;
        if ops.iter().any(|op| op.mint == record.url) {
            return Err(WalletError::MintNotEmpty);
        }
        let mut batch = Batch::new();
        batch.delete(Table::Mints, record.url);
        self.inner.store.commit(batch).await
    }

    /// The mints in the wallet.
    pub async fn mints(&self) -> Result<Vec<MintView>, WalletError> {
        let records: Vec<MintRecord> = get_all_json(&*self.inner.store, Table::Mints).await?;
        let notes: Vec<NoteSummary> = get_all_json(&*self.inner.store, Table::Notes).await?;
        records.iter().map(|record| Self::mint_view(record, &notes)).collect()
    }

    /// Spendable balance over all mints.
    pub async fn balance(&self) -> Result<Amount, WalletError> {
        let notes: Vec<NoteSummary> = get_all_json(&*self.inner.store, Table::Notes).await?;
        Ok(Amount::try_sum(notes.iter().filter(|n| n.state == NoteState::Unspent).map(|n| n.amount))?)
    }

    /// A mint quote for `method` `bolt11` or `bank`.
    pub async fn request_mint_quote(&self, mint: &str, method: &str, amount: Amount) -> Result<QuoteView, WalletError> {
        let quote = self.request_quote_inner(mint, method, amount).await?;
        Ok(quote_view(method, amount, quote))
    }

    /// Bank method: pays the quote from the user's account at the mint (`POST /v1/bank/pay`, signed with the
    /// account key derived from the seed).
    pub async fn pay_quote_from_account(
        &self,
        mint: &str,
        quote_id: &str,
        account_id: &str,
    ) -> Result<(), WalletError> {
        self.pay_quote_inner(mint, quote_id, account_id).await
    }

    /// The seed-derived account public key (hex, SEC1 compressed) that the mint's operator registers:
    /// `HMAC-SHA256(seed, "chaumian-cash/bank/account-key/v1")` is its secret key ([`ACCOUNT_KEY_TAG`]).
    pub async fn account_pubkey(&self) -> Result<String, WalletError> {
        Ok(self.account_key().await?.public_key().to_hex())
    }

    /// The quote's state at the mint.
    pub async fn check_mint_quote(&self, mint: &str, quote_id: &str) -> Result<QuoteView, WalletError> {
        let (record, quote) = self.check_quote_inner(mint, quote_id).await?;
        Ok(quote_view(&record.method, record.amount, quote))
    }

    /// Issues the notes of a paid quote (journaled). Returns the amount added.
    pub async fn mint_paid_quote(&self, mint: &str, quote_id: &str) -> Result<Amount, WalletError> {
        let _held = self.exclusive().await?;
        self.mint_quote_inner(mint, quote_id).await
    }

    /// Prepares a token of exactly `amount` (swapping for change when needed). Its notes stay a pending send
    /// until the receiver redeems them or the user reclaims them.
    pub async fn send(&self, mint: &str, amount: Amount, memo: Option<String>) -> Result<SendView, WalletError> {
        let _held = self.exclusive().await?;
        let (send, fee) = self.send_inner(mint, amount, memo).await?;
        Ok(SendView { send_id: send.id, token: send.token, amount: send.amount, fee })
    }

    /// Decodes and checks a token offline (DLEQ against known keys) without changing anything.
    pub async fn inspect_token(&self, token: &str) -> Result<TokenPreview, WalletError> {
        let decoded = shared::Token::decode(token)?;
        let mint = decoded.mint_url()?;
        let record: Option<MintRecord> = get_json(&*self.inner.store, Table::Mints, &mint).await?;
        let dleq = match &record {
            None => DleqStatus::Missing,
            Some(record) => match decoded.proofs(&record.keyset_ids()) {
                Err(_) => DleqStatus::Missing,
                Ok(proofs) => {
                    let mut status = DleqStatus::AllValid;
                    for proof in &proofs {
                        match (record.keyset(&proof.keyset_id), &proof.dleq) {
                            (Some(keyset), Some(_)) => {
                                if proof.verify_dleq(&keyset.keys).is_err() {
                                    status = DleqStatus::Invalid;
                                    break;
                                }
                            }
                            _ => status = DleqStatus::Missing,
                        }
                    }
                    status
                }
            },
        };
        Ok(TokenPreview {
            mint,
            amount: decoded.value()?,
            unit: decoded.unit().to_string(),
            memo: decoded.memo().map(str::to_owned),
            notes: decoded.proof_count(),
            mint_known: record.is_some(),
            dleq,
        })
    }

    /// Receives a token: offline DLEQ check, then a swap at the mint for fresh notes. `trust_mint` allows
    /// adding a mint not yet in the wallet. Already spent: [`WalletError::AlreadySpent`].
    pub async fn receive(&self, token: &str, trust_mint: bool) -> Result<ReceiveView, WalletError> {
        let _held = self.exclusive().await?;
        let (mint, amount, fee) = self.receive_inner(token, trust_mint).await?;
        Ok(ReceiveView { mint, amount, fee })
    }

    /// Tokens sent and not yet known to be redeemed, newest first.
    pub async fn pending_sends(&self) -> Result<Vec<PendingSendView>, WalletError> {
        let mut sends: Vec<SendRecord> = get_all_json(&*self.inner.store, Table::Sends).await?;
        sends.sort_by(|a, b| b.created_at.total_cmp(&a.created_at));
        Ok(sends
            .into_iter()
            .map(|s| PendingSendView {
                send_id: s.id,
                mint: s.mint,
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
        self.reclaim_inner(send_id).await
    }

    /// Checks every pending send and marks redeemed ones done. Returns how many finished.
    pub async fn refresh_pending_sends(&self) -> Result<usize, WalletError> {
        let _held = self.exclusive().await?;
        self.refresh_sends_inner().await
    }

    /// Melts to the user's bank account at the mint (method `bank`); returns the amount moved.
    pub async fn withdraw_to_account(
        &self,
        mint: &str,
        amount: Amount,
        account_id: &str,
    ) -> Result<Amount, WalletError> {
        let _held = self.exclusive().await?;
        self.withdraw_inner(mint, amount, account_id).await
    }

    /// NUT-13 restore from the seed: `/v1/restore` in batches of [`RESTORE_BATCH`] outputs per keyset until
    /// [`RESTORE_EMPTY_BATCHES`] empty batches in a row, then `/v1/checkstate` so spent notes are not
    /// resurrected; counters move past the last used. Returns the amount recovered.
    pub async fn restore(&self, mint: &str) -> Result<Amount, WalletError> {
        let _held = self.exclusive().await?;
        self.restore_inner(mint).await
    }

    /// The history, newest first.
    pub async fn history(&self) -> Result<Vec<HistoryEntry>, WalletError> {
        let mut entries: Vec<HistoryEntry> = get_all_json(&*self.inner.store, Table::History).await?;
        entries.sort_by(|a, b| b.at.total_cmp(&a.at));
        Ok(entries)
    }
}

fn quote_view(method: &str, amount: Amount, quote: shared::nuts::MintQuoteBolt11Response) -> QuoteView {
    let state = match quote.state {
        shared::nuts::MintQuoteState::Unpaid => "UNPAID",
        shared::nuts::MintQuoteState::Paid => "PAID",
        shared::nuts::MintQuoteState::Issued => "ISSUED",
    };
    QuoteView {
        id: quote.quote,
        method: quote.method.unwrap_or_else(|| method.to_owned()),
        amount: quote.amount.unwrap_or(amount),
        request: quote.request,
        state: state.to_owned(),
        expiry: quote.expiry,
    }
}
