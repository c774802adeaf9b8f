//! [`SqliteStore`]: opens the database, applies the migrations, starts the writer, and reads through a pool
//! of sqlx connections. Every commit goes to the writer (`writer.rs`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use shared::nuts::MeltQuoteState;
use shared::{BlindSignature, PublicKey};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite};

use super::FaultInjection;
use super::writer::Writer;
use crate::store::offline::OfflineValue;
use crate::store::rows::{self, AccountRow, KeysetRow, MeltQuoteRow, MintQuoteRow, ProofStateRow, StoredSignatureRow};
use crate::store::{
    Account, AuditTotals, Commit, CommitIntent, KeysetRecord, KeysetTotals, MeltQuote, MintQuote, MintStore,
    StoreError, StoreMetrics, StoredProofState, Unhealthy,
};

/// The embedded store: one SQLite file in WAL mode, every answered commit synced to disk (a committed spend
/// survives a power cut). Reads go through a pool of connections; commits go to one writer thread that
/// applies them in batches (group commit).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: sqlx::Pool<Sqlite>,
    writer: Writer,
}

/// Tuning of the embedded store.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Longest time the group commit holds a batch back for requests that are still verifying and signing.
    /// Zero commits whatever is queued at once.
    pub commit_delay: Duration,
    /// Faults tests may arm in the writer and syncer threads (`None` in production).
    pub faults: Option<Arc<FaultInjection>>,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions { commit_delay: DEFAULT_COMMIT_DELAY, faults: None }
    }
}

/// The default of [`SqliteOptions::commit_delay`].
pub const DEFAULT_COMMIT_DELAY: Duration = Duration::from_micros(1000);

/// Connections of the read pool.
const POOL_CONNECTIONS: u32 = 8;

/// Keys per `IN (…)` list of the reads (far below SQLite's limit on bound parameters).
const ROWS_PER_STATEMENT: usize = 500;

/// States of a list of serials (a [`ProofStateRow`] each); [`SqliteStore::select_in`] appends the list.
const SELECT_PROOF_STATES: &str = "SELECT y, state, witness, request_key FROM proofs WHERE y IN (";
/// Signatures of a list of outputs (a [`StoredSignatureRow`] each); [`SqliteStore::select_in`] appends it.
const SELECT_SIGNATURES: &str = "SELECT b, amount, keyset_id, c, dleq_e, dleq_s FROM blind_signatures WHERE b IN (";

impl SqliteStore {
    /// Open (creating if needed) the database file, apply migrations and start the writer thread, with the
    /// default options.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, SqliteOptions::default()).await
    }

    /// [`SqliteStore::open`] with these options.
    pub async fn open_with(path: &Path, tuning: SqliteOptions) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Backend(format!("create {parent:?}: {e}")))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
            // The writer's checkpointer copies the log into the database file, and the log may grow to
            // 256 MiB between restarts: the pool's own few writes checkpoint only if the log grows past
            // twice that.
            .pragma("wal_autocheckpoint", "131072");
        let pool = SqlitePoolOptions::new().max_connections(POOL_CONNECTIONS).connect_with(options).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let writer = Writer::start(path, wal.into(), tuning.commit_delay, tuning.faults)?;
        Ok(SqliteStore { pool, writer })
    }

    /// `select` (ending in `WHERE key IN (`) for every [`ROWS_PER_STATEMENT`] of `keys`.
    async fn select_in<R>(&self, select: &str, keys: &[PublicKey]) -> Result<Vec<R>, StoreError>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
    {
        let mut rows = Vec::new();
        if keys.is_empty() {
            return Ok(rows);
        }
        let mut connection = self.pool.acquire().await?;
        for chunk in keys.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(select);
            let mut list = query.separated(", ");
            for key in chunk {
                list.push_bind(key.to_bytes().to_vec());
            }
            query.push(")");
            // Lists of every length would fill the statement cache: prepare these afresh.
            rows.extend(query.build_query_as::<R>().persistent(false).fetch_all(&mut *connection).await?);
        }
        Ok(rows)
    }
}

#[async_trait]
impl MintStore for SqliteStore {
    async fn commit(&self, commit: &Commit) -> Result<(), StoreError> {
        self.writer.commit(commit.clone()).await
    }

    fn intend_commit(&self) -> CommitIntent {
        self.writer.intend()
    }

    async fn keyset_totals(&self) -> Result<Vec<KeysetTotals>, StoreError> {
        let found: Vec<rows::KeysetTotalsRow> =
            sqlx::query_as(rows::SELECT_KEYSET_TOTALS).fetch_all(&self.pool).await?;
        found.into_iter().map(rows::keyset_totals).collect()
    }

    fn metrics(&self) -> Option<StoreMetrics> {
        Some(self.writer.metrics())
    }

    async fn keysets(&self) -> Result<Vec<KeysetRecord>, StoreError> {
        let found: Vec<KeysetRow> = sqlx::query_as(rows::SELECT_KEYSETS).fetch_all(&self.pool).await?;
        found.into_iter().map(rows::keyset).collect()
    }

    async fn proof_states(&self, ys: &[PublicKey]) -> Result<Vec<StoredProofState>, StoreError> {
        let found: Vec<ProofStateRow> = self.select_in(SELECT_PROOF_STATES, ys).await?;
        found.into_iter().map(rows::proof_state).collect()
    }

    async fn pending_for_quote(&self, quote_id: &str) -> Result<Vec<PublicKey>, StoreError> {
        let found: Vec<(Vec<u8>,)> =
            sqlx::query_as(rows::SELECT_PENDING_FOR_QUOTE).bind(quote_id).fetch_all(&self.pool).await?;
        found.iter().map(|(y,)| rows::parse_point(y, "serial")).collect()
    }

    async fn signatures(&self, blinded: &[PublicKey]) -> Result<Vec<(PublicKey, BlindSignature)>, StoreError> {
        let found: Vec<StoredSignatureRow> = self.select_in(SELECT_SIGNATURES, blinded).await?;
        if !found.is_empty() {
            // Signatures answer retries and restores: only once they are durable.
            self.writer.durable().await?;
        }
        found.into_iter().map(rows::signature).collect()
    }

    async fn cached_response(&self, key: &[u8; 32]) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as(rows::SELECT_CACHED_RESPONSE).bind(&key[..]).fetch_optional(&self.pool).await?;
        if row.is_some() {
            // A retry is answered from durable state only (the entry's batch may still be syncing).
            self.writer.durable().await?;
        }
        Ok(row.map(|(response,)| response))
    }

    async fn delete_expired_quotes(&self, expired_before: i64) -> Result<u64, StoreError> {
        self.writer.check_writable()?;
        let mut deleted = 0;
        for statement in [rows::DELETE_EXPIRED_MINT_QUOTES, rows::DELETE_EXPIRED_MELT_QUOTES] {
            loop {
                let slice = sqlx::query(statement).bind(expired_before).execute(&self.pool).await?.rows_affected();
                deleted += slice;
                if slice < rows::EVICT_SLICE {
                    break;
                }
            }
        }
        Ok(deleted)
    }

    async fn evict_cached_responses(&self, created_before: i64) -> Result<u64, StoreError> {
        self.writer.check_writable()?;
        let mut evicted = 0;
        loop {
            let deleted = sqlx::query(rows::EVICT_CACHED_RESPONSES)
                .bind(created_before)
                .execute(&self.pool)
                .await?
                .rows_affected();
            evicted += deleted;
            if deleted < rows::EVICT_SLICE {
                return Ok(evicted);
            }
        }
    }

    async fn mint_quote(&self, id: &str) -> Result<Option<MintQuote>, StoreError> {
        let row: Option<MintQuoteRow> =
            sqlx::query_as(rows::SELECT_MINT_QUOTE).bind(id).fetch_optional(&self.pool).await?;
        row.map(rows::mint_quote).transpose()
    }

    async fn melt_quote(&self, id: &str) -> Result<Option<MeltQuote>, StoreError> {
        let row: Option<MeltQuoteRow> =
            sqlx::query_as(rows::SELECT_MELT_QUOTE).bind(id).fetch_optional(&self.pool).await?;
        row.map(rows::melt_quote).transpose()
    }

    async fn pending_melt_quotes(&self) -> Result<Vec<MeltQuote>, StoreError> {
        let found: Vec<MeltQuoteRow> = sqlx::query_as(rows::SELECT_PENDING_MELT_QUOTES).fetch_all(&self.pool).await?;
        found.into_iter().map(rows::melt_quote).collect()
    }

    async fn take_melt_lease(
        &self,
        id: &str,
        state: MeltQuoteState,
        holder: &str,
        until: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.writer.check_writable()?;
        let taken = sqlx::query(rows::TAKE_MELT_LEASE)
            .bind(until)
            .bind(holder)
            .bind(id)
            .bind(rows::melt_state_text(state))
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(taken == 1)
    }

    async fn release_melt_lease(&self, id: &str, holder: &str) -> Result<(), StoreError> {
        self.writer.check_writable()?;
        sqlx::query(rows::RELEASE_MELT_LEASE).bind(id).bind(holder).execute(&self.pool).await?;
        Ok(())
    }

    async fn account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        let row: Option<AccountRow> = sqlx::query_as(rows::SELECT_ACCOUNT).bind(id).fetch_optional(&self.pool).await?;
        row.map(rows::account).transpose()
    }

    async fn audit_totals(&self) -> Result<AuditTotals, StoreError> {
        // One read transaction: in WAL mode its reads see one snapshot, and never block the writer.
        let mut transaction = self.pool.begin().await?;
        let signed = sqlx::query_as(rows::AUDIT_SIGNED).fetch_all(&mut *transaction).await?;
        let spent = sqlx::query_as(rows::AUDIT_SPENT).fetch_all(&mut *transaction).await?;
        let ledger = sqlx::query_as(rows::AUDIT_LEDGER).fetch_all(&mut *transaction).await?;
        transaction.rollback().await?;
        rows::audit_totals(signed, spent, ledger)
    }

    async fn offline_select(&self, sql: &str, args: &[OfflineValue]) -> Result<Vec<Vec<String>>, StoreError> {
        use sqlx::Row;
        let mut query = sqlx::query(sql);
        for value in args {
            query = match value {
                OfflineValue::Int(int) => query.bind(*int),
                OfflineValue::Text(text) => query.bind(text.clone()),
                OfflineValue::Bytes(bytes) => query.bind(bytes.clone()),
            };
        }
        let found = query.fetch_all(&self.pool).await?;
        if !found.is_empty() {
            // Offline reads decide and answer retries (a stored deposit answer, a withdrawal transcript):
            // only from durable state (the rows' batch may still be syncing).
            self.writer.durable().await?;
        }
        found.iter().map(|row| (0..row.len()).map(|i| Ok(row.try_get::<String, _>(i)?)).collect()).collect()
    }

    fn health(&self) -> Result<(), Unhealthy> {
        self.writer.health()
    }

    /// `VACUUM INTO`: one read transaction, so the copy is the database as of one commit (WAL readers never
    /// block the writer); then the copy and its directory are synced.
    async fn backup(&self, path: &Path) -> Result<(), StoreError> {
        if path.exists() {
            return Err(StoreError::Backend(format!("{} exists already; back up into a new file", path.display())));
        }
        let target = path.to_str().ok_or_else(|| StoreError::Backend(format!("{path:?} is not UTF-8")))?;
        sqlx::query("VACUUM INTO ?").bind(target).execute(&self.pool).await?;
        let sync = |path: &Path| std::fs::File::open(path).and_then(|file| file.sync_all());
        sync(path).map_err(|e| StoreError::Backend(format!("sync of {}: {e}", path.display())))?;
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            sync(parent).map_err(|e| StoreError::Backend(format!("sync of {}: {e}", parent.display())))?;
        }
        Ok(())
    }
}
