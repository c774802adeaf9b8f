//! The mint's storage: one trait, [`MintStore`], with an SQLite and a PostgreSQL implementation.
//!
//! Every state change a request makes is one [`Commit`]: an enum with one variant per kind of request, so
//! only effects that belong together can be committed together.
//!
//! # Contract
//!
//! - [`MintStore::commit`] applies a [`Commit`] **atomically**: all of its effects or none.
//! - The spent set is keyed by `Y`. Of any number of commits (in this process or in other mint processes
//!   on the same database) that insert the same `Y`, **exactly one succeeds**; the others get
//!   [`StoreError::AlreadySpent`] (or [`StoreError::Pending`] when the winner holds it as pending).
//! - An output (`B'`) is signed at most once: a second commit with the same `B'` gets
//!   [`StoreError::OutputsAlreadySigned`].
//! - Quote state changes are compare-and-set: a commit whose quote is not in the state its transition
//!   starts from fails with [`StoreError::QuoteStateConflict`] and nothing is applied.
//! - An account balance never goes below zero: a debit that would fails with
//!   [`StoreError::InsufficientFunds`]. Every balance change is recorded in the ledger.
//! - Creating a row whose key exists (quote, account, keyset) fails with [`StoreError::Duplicate`].
//! - The cached response of a commit (NUT-19) is stored in the same transaction as its effects, so a
//!   retried request finds either no effects and no cache, or both. Entries live until evicted
//!   ([`MintStore::evict_cached_responses`], after the TTL the mint advertises). A swap's request key
//!   ([`Commit::Swap`]) is stored on its spent rows, so it is there exactly when they are; a melt's
//!   ([`Commit::MeltStart`]) on its pending rows, for whoever settles it.
//! - `commit` returns only once its effects are durable, except for the commits
//!   [`Commit::may_answer_before_durable`] names (creating an unpaid quote): those return once applied
//!   (visible to reads), durable with the next sync. Once a sync to disk has failed, or a thread the
//!   store needs has died, every later `commit` fails with [`StoreError::Unavailable`] until restart, and
//!   [`MintStore::health`] says why (`health.rs`).
//! - Cached responses and signatures are read only from durable state: a read that finds a commit not yet
//!   synced waits for its sync (and fails if the sync does). Implementations may apply several concurrent
//!   commits in one transaction (SQLite does: group commit), but the outcome of each is as if it ran alone
//!   in some serial order.
//!
//! One conformance suite (`mint-server/tests/store_conformance.rs`) checks this contract against both
//! backends.

mod health;
pub mod offline;
mod postgres;
mod rows;
mod sqlite;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use shared::nuts::{MeltQuoteState, MintQuoteState, State};
use shared::{Amount, BlindSignature, CurrencyUnit, Id, Proof, PublicKey};

pub use health::Unhealthy;
pub use postgres::PostgresStore;
pub use sqlite::{DEFAULT_COMMIT_DELAY, FaultInjection, SqliteOptions, SqliteStore};

/// What can go wrong in storage. The first variants are outcomes of the contract, the last is a failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An input's `Y` is already in the spent set.
    #[error("proof already spent")]
    AlreadySpent(Vec<PublicKey>),
    /// An input's `Y` is held by an operation in flight.
    #[error("proof is pending")]
    Pending(Vec<PublicKey>),
    /// An output has been signed before.
    #[error("output already signed")]
    OutputsAlreadySigned,
    /// A quote was not in the state a transition requires.
    #[error("quote {0} is not in the expected state")]
    QuoteStateConflict(String),
    /// A debit exceeds the account's balance.
    #[error("insufficient funds")]
    InsufficientFunds,
    /// No such account (or it is blocked, for debits).
    #[error("unknown or blocked account")]
    UnknownAccount,
    /// A row with this key exists already.
    #[error("duplicate record")]
    Duplicate,
    /// A value does not fit the database's integer type.
    #[error("value out of range for storage")]
    OutOfRange,
    /// The database failed or returned something unreadable.
    #[error("database error: {0}")]
    Backend(String),
    /// An offline commit's condition failed ([`offline::OfflineConflict`]); nothing was applied.
    #[error("offline: {0}")]
    Offline(offline::OfflineConflict),
    /// The store refuses writes until the process restarts (see [`Unhealthy`]).
    #[error("the store refuses writes: {0}")]
    Unavailable(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Backend(error.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Backend(error.to_string())
    }
}

/// A keyset the mint created. Its private keys are derived from the master secret, never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysetRecord {
    /// Keyset id.
    pub id: Id,
    /// Unit.
    pub unit: CurrencyUnit,
    /// Rotation index in the key derivation.
    pub derivation_index: u32,
    /// Number of denominations (2^0 .. 2^(max_order-1)).
    pub max_order: u8,
    /// Fee per input in ppk.
    pub input_fee_ppk: u64,
    /// Final expiry.
    pub final_expiry: Option<u64>,
    /// Whether new outputs are signed with it.
    pub active: bool,
}

/// A mint quote as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintQuote {
    /// Quote id (UUID v4, random).
    pub id: String,
    /// Payment method (`bolt11`, `bank`).
    pub method: String,
    /// Unit.
    pub unit: CurrencyUnit,
    /// Amount to mint.
    pub amount: Amount,
    /// The payment request shown to the payer.
    pub request: String,
    /// State.
    pub state: MintQuoteState,
    /// Unix time until which it can be paid.
    pub expiry: u64,
    /// NUT-20: the key that must sign the mint request, if the quote was locked to one.
    pub pubkey: Option<PublicKey>,
}

/// A melt quote as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeltQuote {
    /// Quote id.
    pub id: String,
    /// Payment method.
    pub method: String,
    /// Unit.
    pub unit: CurrencyUnit,
    /// Amount to pay out.
    pub amount: Amount,
    /// Fee reserve the inputs must also cover.
    pub fee_reserve: Amount,
    /// Where the money goes.
    pub request: String,
    /// State.
    pub state: MeltQuoteState,
    /// Unix time until which it is valid.
    pub expiry: u64,
    /// Proof of payment, once paid.
    pub payment_preimage: Option<String>,
    /// NUT-08: the blank outputs and the most change they may carry (the mint's JSON), from `MeltStart`.
    pub change_request: Option<String>,
}

/// A bank account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Account id.
    pub id: String,
    /// The key that authorises spending from it.
    pub pubkey: PublicKey,
    /// Unit.
    pub unit: CurrencyUnit,
    /// Balance.
    pub balance: Amount,
    /// Blocked accounts cannot be debited.
    pub blocked: bool,
}

/// A change of an account's balance, as a payment backend settles it (`funding::bank`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChange {
    /// Account id.
    pub account_id: String,
    /// Positive credits, negative debits.
    pub delta: i64,
    /// Why (ledger).
    pub reason: String,
    /// A reference such as a quote id (ledger).
    pub reference: Option<String>,
}

/// NUT-19: the response to return to a retry of the same request, stored with the request's effects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedResponse {
    /// `SHA256(method, path, body)` of the request.
    pub key: [u8; 32],
    /// The response body (JSON).
    pub body: String,
}

/// Everything one state-changing request does, applied in one transaction: one variant per kind of request,
/// so that only effects that belong together can be committed together.
#[derive(Debug, Clone)]
pub enum Commit {
    /// `POST /v1/swap`: the inputs (with their `Y`) become spent and the outputs' signatures (with their
    /// `B'`) are stored. No response is cached: `request` (the NUT-19 key) is recorded on each spent row, and
    /// a retry, which computes the identical response again, is recognised by it.
    Swap {
        /// Inputs and their serials.
        inputs: Vec<(PublicKey, Proof)>,
        /// Signatures issued, with the `B'` they sign.
        outputs: Vec<(PublicKey, BlindSignature)>,
        /// NUT-19 key of the request.
        request: [u8; 32],
    },
    /// `POST /v1/mint/quote/{method}`: a new mint quote, `UNPAID`, or `PAID` when the backend counts it paid
    /// at once (fake bolt11): creation and payment are one commit. A quote cannot be created `ISSUED`
    /// ([`StoreError::QuoteStateConflict`]).
    CreateMintQuote(MintQuote),
    /// `POST /v1/bank/pay`: the account pays the mint quote: quote `UNPAID -> PAID` and the account debited
    /// by `amount` (ledger reason `mint`, reference the quote id).
    PayMintQuote {
        /// The quote paid.
        quote_id: String,
        /// The account debited.
        account_id: String,
        /// The quote's amount.
        amount: Amount,
    },
    /// `POST /v1/mint/{method}`: quote `PAID -> ISSUED`, the outputs' signatures, the cached response.
    Issue {
        /// The quote issued.
        quote_id: String,
        /// Signatures issued, with the `B'` they sign.
        outputs: Vec<(PublicKey, BlindSignature)>,
        /// NUT-19.
        response: CachedResponse,
    },
    /// `POST /v1/melt/quote/{method}`: a new melt quote.
    CreateMeltQuote(MeltQuote),
    /// `POST /v1/melt/{method}`, before paying: quote `UNPAID -> PENDING`, the inputs held `PENDING` for it.
    MeltStart {
        /// The quote being paid.
        quote_id: String,
        /// Inputs and their serials.
        inputs: Vec<(PublicKey, Proof)>,
        /// NUT-19 key of the melt request, recorded on its pending rows: an instance that finishes the melt
        /// after the requesting one died caches the answer under it, for the identical retry.
        request: Option<[u8; 32]>,
        /// NUT-08: the blank outputs and the most change (the mint's JSON), kept for whoever settles it.
        change: Option<String>,
    },
    /// The melt was paid: its pending inputs become spent, quote `UNPAID | PENDING -> PAID` with the proof of
    /// payment, and the backend's internal settlement (a bank credit) and the cached response, if any.
    MeltSettle {
        /// The quote paid.
        quote_id: String,
        /// Serials of the inputs held for it.
        inputs: Vec<PublicKey>,
        /// Proof of payment.
        preimage: Option<String>,
        /// Internal settlement (`funding::bank`).
        credit: Option<AccountChange>,
        /// NUT-19 (none when a restarted mint finishes the melt).
        response: Option<CachedResponse>,
        /// NUT-08: signatures of the blank outputs that return the overpaid fee reserve, with their `B'`.
        change: Vec<(PublicKey, BlindSignature)>,
    },
    /// The melt's payment failed: its pending inputs are released (unspent again), quote
    /// `PENDING -> UNPAID`.
    MeltRelease {
        /// The quote.
        quote_id: String,
        /// Serials of the inputs held for it.
        inputs: Vec<PublicKey>,
    },
    /// Open an account, with zero balance whatever `balance` says.
    CreateAccount(Account),
    /// The operator credits an account (ledger reason `credit`).
    CreditAccount {
        /// The account.
        account_id: String,
        /// Amount added.
        amount: Amount,
        /// Ledger reference.
        reference: Option<String>,
    },
    /// Block or unblock an account ([`StoreError::UnknownAccount`] if there is none).
    SetAccountBlocked {
        /// The account.
        account_id: String,
        /// Blocked accounts cannot be debited.
        blocked: bool,
    },
    /// Add a keyset as the active one of its unit (whatever its `active` says); every other keyset of that
    /// unit becomes inactive in the same transaction.
    RotateKeyset(KeysetRecord),
    /// An offline-coins request's effects (their own tables, `offline.rs`).
    Offline(offline::OfflineCommit),
}

impl Commit {
    /// Whether the commit may be answered before it is durable: creating a quote nobody has paid
    /// (`CreateMintQuote` of an `UNPAID` quote, `CreateMeltQuote`). A crash may lose such a quote, and that
    /// loses nothing: paying it is a later, durable commit that needs the quote (`PayMintQuote`,
    /// `MeltStart`), so it fails cleanly with "quote not found", and a durable later commit makes every
    /// earlier one durable too (SQLite syncs the log in order; PostgreSQL flushes its WAL in order). A quote
    /// created `PAID` (fake bolt11) is money received: it waits for its sync like every other commit.
    pub fn may_answer_before_durable(&self) -> bool {
        match self {
            Commit::CreateMintQuote(quote) => quote.state == MintQuoteState::Unpaid,
            Commit::CreateMeltQuote(_) => true,
            _ => false,
        }
    }

    /// The inputs this commit inserts into the spent set (a swap's, a starting melt's), with their `Y`.
    pub fn spends(&self) -> &[(PublicKey, Proof)] {
        match self {
            Commit::Swap { inputs, .. } | Commit::MeltStart { inputs, .. } => inputs,
            _ => &[],
        }
    }
}

/// Value and number of notes of one keyset (`mint-server audit`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeysetTotal {
    /// Keyset id, as stored.
    pub keyset_id: String,
    /// Sum of the amounts.
    pub value: u64,
    /// Number of rows.
    pub count: u64,
}

/// One account's stored balance beside its ledger (`mint-server audit`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LedgerTotal {
    /// Account id.
    pub account_id: String,
    /// The balance stored on the account.
    pub balance: i64,
    /// The sum of its ledger entries' deltas.
    pub entries_sum: i64,
    /// How many ledger entries it has.
    pub entries: u64,
}

/// What `mint-server audit` reads, all from one snapshot of the database ([`MintStore::audit_totals`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditTotals {
    /// Signatures issued, per keyset.
    pub signed: Vec<KeysetTotal>,
    /// Spent notes, per keyset.
    pub spent: Vec<KeysetTotal>,
    /// Notes held `PENDING` for a melt in flight, per keyset.
    pub pending: Vec<KeysetTotal>,
    /// Every account.
    pub accounts: Vec<LedgerTotal>,
}

/// What the store measures of its own work, for `GET /metrics`: histograms that the store's threads
/// observe and the mint's metrics registry exports (cloning shares them).
#[derive(Debug, Clone)]
pub struct StoreMetrics {
    /// Commits per group-commit transaction (SQLite's writer).
    pub batch_size: prometheus_client::metrics::histogram::Histogram,
    /// Seconds per fsync of the write-ahead log (SQLite's syncer).
    pub fsync_seconds: prometheus_client::metrics::histogram::Histogram,
}

impl Default for StoreMetrics {
    fn default() -> Self {
        use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
        StoreMetrics {
            // 1 .. 128 (the largest batch).
            batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 8)),
            // 50 µs .. about 3.3 s.
            fsync_seconds: Histogram::new(exponential_buckets(0.000_05, 2.0, 17)),
        }
    }
}

/// Value signed and value spent with one keyset, in its unit (`GET /metrics` shows the difference: the
/// value outstanding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysetTotals {
    /// The keyset.
    pub keyset_id: String,
    /// Its unit.
    pub unit: String,
    /// Sum of the amounts of every signature issued with it.
    pub signed: u64,
    /// Sum of the amounts of its notes spent (`SPENT`; notes held `PENDING` by a melt count as outstanding).
    pub spent: u64,
}

/// The state of a proof the mint has seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProofState {
    /// Its serial.
    pub y: PublicKey,
    /// `SPENT` or `PENDING` (never `UNSPENT`: unseen proofs are not stored).
    pub state: State,
    /// Witness it was spent with.
    pub witness: Option<String>,
    /// Key of the request that spent it, if that request recorded one (a swap: [`Commit::Swap`]).
    pub request: Option<[u8; 32]>,
}

/// A request's word that it will call [`MintStore::commit`] soon: it is verifying and signing now. A store
/// that commits in groups may hold a group back a little for such requests (SQLite does, see
/// `sqlite/writer.rs`). Dropping the intent withdraws it: drop it right before calling `commit`, or when the
/// request fails before.
#[derive(Debug, Default)]
pub struct CommitIntent(Option<Arc<AtomicUsize>>);

impl CommitIntent {
    /// Count one more request preparing a commit, until the intent is dropped.
    pub(crate) fn announce(preparing: &Arc<AtomicUsize>) -> Self {
        preparing.fetch_add(1, Ordering::AcqRel);
        CommitIntent(Some(Arc::clone(preparing)))
    }
}

impl Drop for CommitIntent {
    fn drop(&mut self) {
        if let Some(preparing) = self.0.take() {
            preparing.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// The mint's storage. See the module documentation for the contract.
#[async_trait]
pub trait MintStore: Send + Sync + fmt::Debug {
    /// Apply a commit atomically.
    async fn commit(&self, commit: &Commit) -> Result<(), StoreError>;

    /// Announce a commit this request will make soon (see [`CommitIntent`]). Stores that do not group
    /// commits ignore it.
    fn intend_commit(&self) -> CommitIntent {
        CommitIntent::default()
    }

    /// All keysets, oldest first.
    async fn keysets(&self) -> Result<Vec<KeysetRecord>, StoreError>;

    /// States of the given serials that the mint has seen (absent ones are unspent), in any order.
    async fn proof_states(&self, ys: &[PublicKey]) -> Result<Vec<StoredProofState>, StoreError>;
    /// Pending serials held for a quote.
    async fn pending_for_quote(&self, quote_id: &str) -> Result<Vec<PublicKey>, StoreError>;
    /// Signatures issued for the given `B'` (absent ones were never signed), in any order.
    async fn signatures(&self, blinded: &[PublicKey]) -> Result<Vec<(PublicKey, BlindSignature)>, StoreError>;
    /// The cached response for a request key.
    async fn cached_response(&self, key: &[u8; 32]) -> Result<Option<String>, StoreError>;
    /// Delete unpaid quotes (mint quotes `UNPAID`, melt quotes `UNPAID`) whose expiry is before Unix time
    /// `expired_before`; never a quote in any other state. Returns how many.
    async fn delete_expired_quotes(&self, expired_before: i64) -> Result<u64, StoreError>;
    /// Delete cached responses stored before Unix time `created_before` (NUT-19's TTL has passed for them);
    /// returns how many.
    async fn evict_cached_responses(&self, created_before: i64) -> Result<u64, StoreError>;

    /// A mint quote.
    async fn mint_quote(&self, id: &str) -> Result<Option<MintQuote>, StoreError>;
    /// A melt quote.
    async fn melt_quote(&self, id: &str) -> Result<Option<MeltQuote>, StoreError>;
    /// Melt quotes whose payment was in flight (`PENDING`): what a restarted mint must finish.
    async fn pending_melt_quotes(&self) -> Result<Vec<MeltQuote>, StoreError>;
    /// Take the lease of melt quote `id` for `holder` until Unix time `until`, if the quote is in `state`
    /// and its lease has expired by `now` (compare-and-set: of any number of takers, in this process or
    /// in others on the same database, one wins). Whoever holds it pays and settles the melt.
    async fn take_melt_lease(
        &self,
        id: &str,
        state: MeltQuoteState,
        holder: &str,
        until: i64,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Give the lease of melt quote `id` back, if `holder` holds it.
    async fn release_melt_lease(&self, id: &str, holder: &str) -> Result<(), StoreError>;

    /// An account by id.
    async fn account(&self, id: &str) -> Result<Option<Account>, StoreError>;

    /// Totals of the signatures, the spent set and the bank ledger, read in one snapshot (one read
    /// transaction): what `mint-server audit` checks. Scans whole tables: an operator command, not a request.
    async fn audit_totals(&self) -> Result<AuditTotals, StoreError>;

    /// Rows of an offline read (`offline.rs`), every column selected as text.
    async fn offline_select(&self, sql: &str, args: &[offline::OfflineValue]) -> Result<Vec<Vec<String>>, StoreError>;

    /// Value signed and spent per keyset (every keyset, oldest first). A full scan of the spent set and the
    /// signatures: the mint calls it periodically, never per request.
    async fn keyset_totals(&self) -> Result<Vec<KeysetTotals>, StoreError>;

    /// The store's own measurements, if it makes any (SQLite's group commit does).
    fn metrics(&self) -> Option<StoreMetrics> {
        None
    }

    /// `Ok` while the store takes writes; once it does not, why (until restart). PostgreSQL's server
    /// enforces the rule itself (it stops after a failed fsync), so its store is always `Ok` here.
    fn health(&self) -> Result<(), Unhealthy> {
        Ok(())
    }

    /// Write a consistent copy of the database to `path` (a new file), synced to disk, while other
    /// connections and processes go on reading and writing. Only the embedded store can; PostgreSQL has
    /// `pg_dump` and WAL archiving.
    async fn backup(&self, path: &std::path::Path) -> Result<(), StoreError> {
        Err(StoreError::Backend(format!(
            "cannot back up to {}: this database is backed up with its own tools (pg_dump, WAL archiving)",
            path.display()
        )))
    }
}

/// Unix time in seconds, as the store records it (`created_at`).
pub fn unix_time() -> i64 {
    unix_now()
}

/// Unix time in seconds.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
