//! The SQL implementations of [`MintStore`]: SQLite (embedded, the default) and PostgreSQL (several mint
//! instances on one database).
//!
//! Both run the same statements: they are written once, in [`impl_sql_store!`], with `$n` placeholders
//! numbered in order of first appearance, which SQLite reads as named parameters bound by position and
//! PostgreSQL reads natively. Booleans are stored as integers for the same reason. Each backend has its own
//! append-only migrations under `mint-server/migrations/{sqlite,postgres}/`.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use shared::nuts::{MeltQuoteState, MintQuoteState, State};
use shared::{Amount, BlindSignature, BlindSignatureDleq, CurrencyUnit, Id, PublicKey, SecretKey};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::SqliteConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite};

use super::sqlite_writer::Writer;
use super::{
    Account, Commit, CommitIntent, KeysetRecord, MeltQuote, MintQuote, MintStore, QuoteTransition, StoreError,
    StoredProofState, unix_now,
};

/// The embedded store: one SQLite file in WAL mode, every answered commit synced to disk (a committed spend
/// survives a power cut). Reads go through a pool of connections; commits go to one writer task that applies
/// them in batches (group commit, see `sqlite_writer`).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: sqlx::Pool<sqlx::Sqlite>,
    writer: Writer,
}

/// Tuning of the embedded store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteOptions {
    /// Longest time the group commit holds a batch back for requests that are still verifying and signing
    /// (see `sqlite_writer`). Zero commits whatever is queued at once.
    pub commit_delay: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions { commit_delay: DEFAULT_COMMIT_DELAY }
    }
}

/// The default of [`SqliteOptions::commit_delay`].
pub const DEFAULT_COMMIT_DELAY: Duration = Duration::from_micros(1000);

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
            // The writer's checkpointer copies the log into the database file (see `sqlite_writer`), and the
            // log may grow to 256 MiB between restarts: the pool's own few writes checkpoint only if the log
            // grows past twice that.
            .pragma("wal_autocheckpoint", "131072");
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options.clone()).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let writer = Writer::start(path, wal.into(), tuning.commit_delay)?;
        Ok(SqliteStore { pool, writer })
    }

    async fn commit_impl(&self, commit: &Commit) -> Result<(), StoreError> {
        self.writer.commit(commit.clone()).await
    }

    fn intend_commit_impl(&self) -> CommitIntent {
        self.writer.intend()
    }

    async fn proof_states_impl(&self, ys: &[PublicKey]) -> Result<Vec<StoredProofState>, StoreError> {
        if ys.is_empty() {
            return Ok(Vec::new());
        }
        let mut connection = self.pool.acquire().await?;
        proof_states_on(&mut connection, ys).await
    }

    async fn signatures_impl(&self, blinded: &[PublicKey]) -> Result<Vec<(PublicKey, BlindSignature)>, StoreError> {
        if blinded.is_empty() {
            return Ok(Vec::new());
        }
        let mut connection = self.pool.acquire().await?;
        signatures_on(&mut connection, blinded).await?.iter().map(Self::signature_from_row).collect()
    }
}

/// Keys per `IN (…)` list of the SQLite reads (far below SQLite's limit on bound parameters).
const ROWS_PER_STATEMENT: usize = 500;

/// After a unique violation on the spent set: were the serials spent or pending?
pub(super) fn classify_conflict(states: &[StoredProofState]) -> StoreError {
    let pending: Vec<PublicKey> = states.iter().filter(|s| s.state == State::Pending).map(|s| s.y).collect();
    let spent: Vec<PublicKey> = states.iter().filter(|s| s.state == State::Spent).map(|s| s.y).collect();
    if spent.is_empty() && !pending.is_empty() { StoreError::Pending(pending) } else { StoreError::AlreadySpent(spent) }
}

/// States of the given serials, one query per [`ROWS_PER_STATEMENT`] serials.
async fn proof_states_on(
    connection: &mut SqliteConnection,
    ys: &[PublicKey],
) -> Result<Vec<StoredProofState>, StoreError> {
    let mut states = Vec::new();
    for chunk in ys.chunks(ROWS_PER_STATEMENT) {
        let mut select = QueryBuilder::<Sqlite>::new("SELECT y, state, witness, request_key FROM proofs WHERE y IN (");
        let mut list = select.separated(", ");
        for y in chunk {
            list.push_bind(y.to_bytes().to_vec());
        }
        select.push(")");
        // Lists of every length would fill the statement cache: prepare these afresh.
        for row in select.build().persistent(false).fetch_all(&mut *connection).await? {
            states.push(stored_proof_state(
                parse_point(row.try_get::<&[u8], _>("y")?, "serial")?,
                row.try_get("state")?,
                row.try_get("witness")?,
                row.try_get("request_key")?,
            )?);
        }
    }
    Ok(states)
}

/// Signatures issued for the given `B'`, one query per [`ROWS_PER_STATEMENT`] of them.
async fn signatures_on(
    connection: &mut SqliteConnection,
    blinded: &[PublicKey],
) -> Result<Vec<sqlx::sqlite::SqliteRow>, StoreError> {
    let mut rows = Vec::new();
    for chunk in blinded.chunks(ROWS_PER_STATEMENT) {
        let mut select = QueryBuilder::<Sqlite>::new(
            "SELECT b, amount, keyset_id, c, dleq_e, dleq_s FROM blind_signatures WHERE b IN (",
        );
        let mut list = select.separated(", ");
        for b in chunk {
            list.push_bind(b.to_bytes().to_vec());
        }
        select.push(")");
        rows.extend(select.build().persistent(false).fetch_all(&mut *connection).await?);
    }
    Ok(rows)
}

/// The scale-out store: PostgreSQL, shared by any number of mint processes.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: sqlx::Pool<sqlx::Postgres>,
}

impl PostgresStore {
    /// Connect and apply migrations (PostgreSQL serializes concurrent migrators with an advisory lock, so
    /// several instances may start at once).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PostgresStore { pool })
    }
}

/// One statement for a commit that only inserts (a swap's: spends, signatures, cached response). A single
/// statement is atomic by itself, so this needs no `BEGIN`/`COMMIT`: one round trip instead of one per row
/// plus two. PostgreSQL runs every data-modifying `WITH` part to completion, whether or not it is read.
const PG_PLAIN_COMMIT: &str = "\
WITH spent AS (
    INSERT INTO proofs (y, keyset_id, amount, secret, c, witness, state, quote_id, created_at, request_key)
    SELECT y, keyset_id, amount, secret, c, witness, $7::text, $8::text, $9::bigint, $18::bytea
    FROM UNNEST($1::bytea[], $2::text[], $3::bigint[], $4::text[], $5::bytea[], $6::text[])
        AS t (y, keyset_id, amount, secret, c, witness)
    RETURNING 1
), signed AS (
    INSERT INTO blind_signatures (b, amount, keyset_id, c, dleq_e, dleq_s, quote_id, created_at)
    SELECT b, amount, keyset_id, c, dleq_e, dleq_s, $8::text, $9::bigint
    FROM UNNEST($10::bytea[], $11::bigint[], $12::text[], $13::bytea[], $14::bytea[], $15::bytea[])
        AS t (b, amount, keyset_id, c, dleq_e, dleq_s)
    RETURNING 1
), cached AS (
    INSERT INTO response_cache (key, response, created_at)
    SELECT $16::bytea, $17::text, $9::bigint WHERE $16::bytea IS NOT NULL
    RETURNING 1
)
SELECT (SELECT count(*) FROM spent) + (SELECT count(*) FROM signed) + (SELECT count(*) FROM cached)";

/// Insert spent-set rows from arrays (one round trip for any number of inputs).
const PG_INSERT_PROOFS: &str = "\
INSERT INTO proofs (y, keyset_id, amount, secret, c, witness, state, quote_id, created_at, request_key)
SELECT y, keyset_id, amount, secret, c, witness, $7::text, $8::text, $9::bigint, $10::bytea
FROM UNNEST($1::bytea[], $2::text[], $3::bigint[], $4::text[], $5::bytea[], $6::text[])
    AS t (y, keyset_id, amount, secret, c, witness)";

/// Insert signature rows from arrays.
const PG_INSERT_SIGNATURES: &str = "\
INSERT INTO blind_signatures (b, amount, keyset_id, c, dleq_e, dleq_s, quote_id, created_at)
SELECT b, amount, keyset_id, c, dleq_e, dleq_s, $7::text, $8::bigint
FROM UNNEST($1::bytea[], $2::bigint[], $3::text[], $4::bytea[], $5::bytea[], $6::bytea[])
    AS t (b, amount, keyset_id, c, dleq_e, dleq_s)";

/// The columns of spent-set rows as PostgreSQL arrays.
type ProofArrays = (Vec<Vec<u8>>, Vec<String>, Vec<i64>, Vec<String>, Vec<Vec<u8>>, Vec<Option<String>>);
/// The columns of signature rows as PostgreSQL arrays.
type SignatureArrays = (Vec<Vec<u8>>, Vec<i64>, Vec<String>, Vec<Vec<u8>>, Vec<Vec<u8>>, Vec<Vec<u8>>);

fn proof_arrays(rows: &[ProofRow<'_>]) -> ProofArrays {
    (
        rows.iter().map(|r| r.y.to_vec()).collect(),
        rows.iter().map(|r| r.keyset_id.clone()).collect(),
        rows.iter().map(|r| r.amount).collect(),
        rows.iter().map(|r| r.secret.to_owned()).collect(),
        rows.iter().map(|r| r.c.to_vec()).collect(),
        rows.iter().map(|r| r.witness.map(str::to_owned)).collect(),
    )
}

fn signature_arrays(rows: &[SignatureRow<'_>]) -> SignatureArrays {
    (
        rows.iter().map(|r| r.b.to_vec()).collect(),
        rows.iter().map(|r| r.amount).collect(),
        rows.iter().map(|r| r.keyset_id.clone()).collect(),
        rows.iter().map(|r| r.c.to_vec()).collect(),
        rows.iter().map(|r| r.e.to_vec()).collect(),
        rows.iter().map(|r| r.s.to_vec()).collect(),
    )
}

/// The unique constraint a failed PostgreSQL statement violated, if that is why it failed.
fn violated_constraint(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) if db.is_unique_violation() => Some(db.constraint().unwrap_or_default().to_owned()),
        _ => None,
    }
}

impl PostgresStore {
    /// Each commit is its own statement: nothing to wait for.
    fn intend_commit_impl(&self) -> CommitIntent {
        CommitIntent::default()
    }

    async fn commit_impl(&self, commit: &Commit) -> Result<(), StoreError> {
        let now = unix_now();
        let proofs = proof_rows(commit)?;
        let signatures = signature_rows(commit)?;
        let state = if commit.spend_pending { "PENDING" } else { "SPENT" };
        if commit.quote.is_none()
            && commit.account.is_none()
            && commit.settle_pending.is_empty()
            && commit.release_pending.is_empty()
        {
            let (ys, ids, amounts, secrets, cs, witnesses) = proof_arrays(&proofs);
            let (bs, s_amounts, s_ids, s_cs, es, ss) = signature_arrays(&signatures);
            let (key, response) = match &commit.cache {
                Some((key, response)) => (Some(key.to_vec()), Some(response.as_str())),
                None => (None, None),
            };
            let result = sqlx::query(PG_PLAIN_COMMIT)
                .bind(ys)
                .bind(ids)
                .bind(amounts)
                .bind(secrets)
                .bind(cs)
                .bind(witnesses)
                .bind(state)
                .bind(commit.quote_id.as_deref())
                .bind(now)
                .bind(bs)
                .bind(s_amounts)
                .bind(s_ids)
                .bind(s_cs)
                .bind(es)
                .bind(ss)
                .bind(key)
                .bind(response)
                .bind(commit.request.as_ref().map(|key| &key[..]))
                .execute(&self.pool)
                .await;
            return match result {
                Ok(_) => Ok(()),
                Err(error) => Err(self.insert_failure(error, commit).await),
            };
        }

        let mut tx = self.pool.begin().await?;
        if let Some(transition) = &commit.quote {
            let (sql, id, preimage) = quote_transition_sql(transition);
            let query = match preimage {
                Some(preimage) => sqlx::query(sql).bind(preimage).bind(id),
                None => sqlx::query(sql).bind(id),
            };
            if query.execute(&mut *tx).await?.rows_affected() != 1 {
                return Err(StoreError::QuoteStateConflict(id.to_owned()));
            }
        }
        if !proofs.is_empty() {
            let (ys, ids, amounts, secrets, cs, witnesses) = proof_arrays(&proofs);
            let inserted = sqlx::query(PG_INSERT_PROOFS)
                .bind(ys)
                .bind(ids)
                .bind(amounts)
                .bind(secrets)
                .bind(cs)
                .bind(witnesses)
                .bind(state)
                .bind(commit.quote_id.as_deref())
                .bind(now)
                .bind(commit.request.as_ref().map(|key| &key[..]))
                .execute(&mut *tx)
                .await;
            if let Err(error) = inserted {
                drop(tx);
                return Err(self.insert_failure(error, commit).await);
            }
        }
        if !commit.settle_pending.is_empty() {
            let ys: Vec<Vec<u8>> = commit.settle_pending.iter().map(|y| y.to_bytes().to_vec()).collect();
            let updated = sqlx::query("UPDATE proofs SET state = 'SPENT' WHERE y = ANY($1) AND state = 'PENDING'")
                .bind(&ys)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != ys.len() as u64 {
                return Err(StoreError::Backend("pending proofs vanished".into()));
            }
        }
        if !commit.release_pending.is_empty() {
            let ys: Vec<Vec<u8>> = commit.release_pending.iter().map(|y| y.to_bytes().to_vec()).collect();
            sqlx::query("DELETE FROM proofs WHERE y = ANY($1) AND state = 'PENDING'")
                .bind(ys)
                .execute(&mut *tx)
                .await?;
        }
        if !signatures.is_empty() {
            let (bs, amounts, ids, cs, es, ss) = signature_arrays(&signatures);
            let inserted = sqlx::query(PG_INSERT_SIGNATURES)
                .bind(bs)
                .bind(amounts)
                .bind(ids)
                .bind(cs)
                .bind(es)
                .bind(ss)
                .bind(commit.quote_id.as_deref())
                .bind(now)
                .execute(&mut *tx)
                .await;
            unique_or(inserted, StoreError::OutputsAlreadySigned)?;
        }
        if let Some(change) = &commit.account {
            let updated = if change.delta < 0 {
                sqlx::query(
                    "UPDATE accounts SET balance = balance + $1 WHERE id = $2 AND blocked = 0 AND balance >= -$1",
                )
            } else {
                sqlx::query(
                    "UPDATE accounts SET balance = balance + $1 WHERE id = $2 AND balance <= 9223372036854775807 - $1",
                )
            }
            .bind(change.delta)
            .bind(&change.account_id)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() != 1 {
                drop(tx);
                return Err(match self.account(&change.account_id).await? {
                    Some(account) if !account.blocked && change.delta < 0 => StoreError::InsufficientFunds,
                    Some(account) if !account.blocked => StoreError::OutOfRange,
                    _ => StoreError::UnknownAccount,
                });
            }
            sqlx::query(
                "INSERT INTO account_entries (account_id, delta, reason, reference, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&change.account_id)
            .bind(change.delta)
            .bind(&change.reason)
            .bind(change.reference.as_deref())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if let Some((key, response)) = &commit.cache {
            let inserted = sqlx::query("INSERT INTO response_cache (key, response, created_at) VALUES ($1, $2, $3)")
                .bind(&key[..])
                .bind(response)
                .bind(now)
                .execute(&mut *tx)
                .await;
            unique_or(inserted, StoreError::Duplicate)?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// What a failed insert of `commit`'s rows means: which unique key it hit (for the spent set: were
    /// the serials spent or pending?), or a backend failure.
    async fn insert_failure(&self, error: sqlx::Error, commit: &Commit) -> StoreError {
        match violated_constraint(&error).as_deref() {
            Some("proofs_pkey") => {
                let ys: Vec<PublicKey> = commit.spend.iter().map(|(y, _)| *y).collect();
                match self.proof_states_impl(&ys).await {
                    Ok(states) => classify_conflict(&states),
                    Err(error) => error,
                }
            }
            Some("blind_signatures_pkey") => StoreError::OutputsAlreadySigned,
            Some(_) => StoreError::Duplicate,
            None => error.into(),
        }
    }

    async fn proof_states_impl(&self, ys: &[PublicKey]) -> Result<Vec<StoredProofState>, StoreError> {
        if ys.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<Vec<u8>> = ys.iter().map(|y| y.to_bytes().to_vec()).collect();
        let rows = sqlx::query("SELECT y, state, witness, request_key FROM proofs WHERE y = ANY($1)")
            .bind(keys)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                stored_proof_state(
                    parse_point(row.try_get::<&[u8], _>("y")?, "serial")?,
                    row.try_get("state")?,
                    row.try_get("witness")?,
                    row.try_get("request_key")?,
                )
            })
            .collect()
    }

    async fn signatures_impl(&self, blinded: &[PublicKey]) -> Result<Vec<(PublicKey, BlindSignature)>, StoreError> {
        if blinded.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<Vec<u8>> = blinded.iter().map(|b| b.to_bytes().to_vec()).collect();
        let rows =
            sqlx::query("SELECT b, amount, keyset_id, c, dleq_e, dleq_s FROM blind_signatures WHERE b = ANY($1)")
                .bind(keys)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(Self::signature_from_row).collect()
    }
}

/// A spent-set row, converted and ready to bind.
#[derive(Debug)]
pub(super) struct ProofRow<'a> {
    pub(super) y: [u8; 33],
    pub(super) keyset_id: String,
    pub(super) amount: i64,
    pub(super) secret: &'a str,
    pub(super) c: [u8; 33],
    pub(super) witness: Option<&'a str>,
    pub(super) state: &'static str,
    pub(super) quote_id: Option<&'a str>,
    pub(super) request: Option<&'a [u8]>,
}

/// The spent-set rows a commit inserts.
pub(super) fn proof_rows(commit: &Commit) -> Result<Vec<ProofRow<'_>>, StoreError> {
    let state = if commit.spend_pending { "PENDING" } else { "SPENT" };
    commit
        .spend
        .iter()
        .map(|(y, proof)| {
            Ok(ProofRow {
                y: y.to_bytes(),
                keyset_id: proof.keyset_id.to_string(),
                amount: to_i64(proof.amount.to_u64())?,
                secret: proof.secret.as_str(),
                c: proof.c.to_bytes(),
                witness: proof.witness.as_deref(),
                state,
                quote_id: commit.quote_id.as_deref(),
                request: commit.request.as_ref().map(|key| &key[..]),
            })
        })
        .collect()
}

/// A blind-signature row, converted and ready to bind.
#[derive(Debug)]
pub(super) struct SignatureRow<'a> {
    pub(super) b: [u8; 33],
    pub(super) amount: i64,
    pub(super) keyset_id: String,
    pub(super) c: [u8; 33],
    pub(super) e: [u8; 32],
    pub(super) s: [u8; 32],
    pub(super) quote_id: Option<&'a str>,
}

/// The signature rows a commit inserts.
pub(super) fn signature_rows(commit: &Commit) -> Result<Vec<SignatureRow<'_>>, StoreError> {
    commit
        .signatures
        .iter()
        .map(|(blinded, signature)| {
            let dleq =
                signature.dleq.as_ref().ok_or_else(|| StoreError::Backend("signature without DLEQ proof".into()))?;
            Ok(SignatureRow {
                b: blinded.to_bytes(),
                amount: to_i64(signature.amount.to_u64())?,
                keyset_id: signature.keyset_id.to_string(),
                c: signature.c.to_bytes(),
                e: dleq.e.to_bytes(),
                s: dleq.s.to_bytes(),
                quote_id: commit.quote_id.as_deref(),
            })
        })
        .collect()
}

fn to_i64(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange)
}

fn to_u64(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Backend(format!("negative value {value} in database")))
}

pub(super) fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("unreadable {what} in database: {error}"))
}

pub(super) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// An insert's outcome: a unique violation becomes `conflict`, other failures become backend errors.
fn unique_or<T>(inserted: Result<T, sqlx::Error>, conflict: StoreError) -> Result<(), StoreError> {
    match inserted {
        Ok(_) => Ok(()),
        Err(error) if is_unique_violation(&error) => Err(conflict),
        Err(error) => Err(error.into()),
    }
}

/// A spent-set row's state as read from either backend.
pub(super) fn stored_proof_state(
    y: PublicKey,
    state: &str,
    witness: Option<String>,
    request: Option<Vec<u8>>,
) -> Result<StoredProofState, StoreError> {
    let state = match state {
        "SPENT" => State::Spent,
        "PENDING" => State::Pending,
        other => return Err(corrupt("proof state", other)),
    };
    let request = match request {
        Some(key) => Some(<[u8; 32]>::try_from(key.as_slice()).map_err(|_| corrupt("request key", "not 32 bytes"))?),
        None => None,
    };
    Ok(StoredProofState { y, state, witness, request })
}

pub(super) fn parse_point(bytes: &[u8], what: &str) -> Result<PublicKey, StoreError> {
    PublicKey::from_slice(bytes).map_err(|e| corrupt(what, e))
}

fn parse_id(text: &str) -> Result<Id, StoreError> {
    Id::from_str(text).map_err(|e| corrupt("keyset id", e))
}

fn parse_unit(text: &str) -> Result<CurrencyUnit, StoreError> {
    CurrencyUnit::from_str(text).map_err(|e| corrupt("unit", e))
}

fn mint_quote_state_name(state: MintQuoteState) -> &'static str {
    match state {
        MintQuoteState::Unpaid => "UNPAID",
        MintQuoteState::Paid => "PAID",
        MintQuoteState::Issued => "ISSUED",
    }
}

fn melt_quote_state_name(state: MeltQuoteState) -> &'static str {
    match state {
        MeltQuoteState::Unpaid => "UNPAID",
        MeltQuoteState::Pending => "PENDING",
        MeltQuoteState::Paid => "PAID",
    }
}

fn parse_mint_quote_state(text: &str) -> Result<MintQuoteState, StoreError> {
    match text {
        "UNPAID" => Ok(MintQuoteState::Unpaid),
        "PAID" => Ok(MintQuoteState::Paid),
        "ISSUED" => Ok(MintQuoteState::Issued),
        other => Err(corrupt("mint quote state", other)),
    }
}

fn parse_melt_quote_state(text: &str) -> Result<MeltQuoteState, StoreError> {
    match text {
        "UNPAID" => Ok(MeltQuoteState::Unpaid),
        "PENDING" => Ok(MeltQuoteState::Pending),
        "PAID" => Ok(MeltQuoteState::Paid),
        other => Err(corrupt("melt quote state", other)),
    }
}

/// The SQL and bound values of a quote transition: `(sql, quote id, optional preimage)`. With a preimage,
/// the SQL binds the preimage as `$1` and the id as `$2`; without, the id as `$1`.
pub(super) fn quote_transition_sql(transition: &QuoteTransition) -> (&'static str, &str, Option<&str>) {
    match transition {
        QuoteTransition::MintPaid(id) => {
            ("UPDATE mint_quotes SET state = 'PAID' WHERE id = $1 AND state = 'UNPAID'", id, None)
        }
        QuoteTransition::MintIssued(id) => {
            ("UPDATE mint_quotes SET state = 'ISSUED' WHERE id = $1 AND state = 'PAID'", id, None)
        }
        QuoteTransition::MeltPending(id) => {
            ("UPDATE melt_quotes SET state = 'PENDING' WHERE id = $1 AND state = 'UNPAID'", id, None)
        }
        QuoteTransition::MeltPaid(id, preimage) => (
            // $1 must appear first (SQLite numbers named parameters by first appearance): bound in that order.
            "UPDATE melt_quotes SET state = 'PAID', payment_preimage = $1 WHERE id = $2 AND state IN ('UNPAID', 'PENDING')",
            id,
            Some(preimage.as_deref().unwrap_or("")),
        ),
        QuoteTransition::MeltFailed(id) => {
            ("UPDATE melt_quotes SET state = 'UNPAID' WHERE id = $1 AND state = 'PENDING'", id, None)
        }
    }
}

/// Writes one implementation of [`MintStore`] for a store type whose `pool` is a `sqlx::Pool` of `$db`.
macro_rules! impl_sql_store {
    ($store:ty, $db:ty) => {
        impl $store {
            fn keyset_from_row(row: &<$db as sqlx::Database>::Row) -> Result<KeysetRecord, StoreError> {
                Ok(KeysetRecord {
                    id: parse_id(&row.try_get::<String, _>("id")?)?,
                    unit: parse_unit(&row.try_get::<String, _>("unit")?)?,
                    derivation_index: u32::try_from(row.try_get::<i64, _>("derivation_index")?)
                        .map_err(|e| corrupt("derivation index", e))?,
                    max_order: u8::try_from(row.try_get::<i64, _>("max_order")?)
                        .map_err(|e| corrupt("max order", e))?,
                    input_fee_ppk: to_u64(row.try_get::<i64, _>("input_fee_ppk")?)?,
                    final_expiry: row.try_get::<Option<i64>, _>("final_expiry")?.map(to_u64).transpose()?,
                    active: row.try_get::<i64, _>("active")? != 0,
                })
            }

            fn signature_from_row(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<(PublicKey, BlindSignature), StoreError> {
                let blinded = parse_point(&row.try_get::<Vec<u8>, _>("b")?, "blinded message")?;
                let e = SecretKey::from_slice(&row.try_get::<Vec<u8>, _>("dleq_e")?).map_err(|e| corrupt("dleq e", e))?;
                let s = SecretKey::from_slice(&row.try_get::<Vec<u8>, _>("dleq_s")?).map_err(|e| corrupt("dleq s", e))?;
                Ok((
                    blinded,
                    BlindSignature {
                        amount: Amount::from_u64(to_u64(row.try_get::<i64, _>("amount")?)?),
                        keyset_id: parse_id(&row.try_get::<String, _>("keyset_id")?)?,
                        c: parse_point(&row.try_get::<Vec<u8>, _>("c")?, "blind signature")?,
                        dleq: Some(BlindSignatureDleq { e, s }),
                    },
                ))
            }

            fn account_from_row(row: &<$db as sqlx::Database>::Row) -> Result<Account, StoreError> {
                Ok(Account {
                    id: row.try_get::<String, _>("id")?,
                    pubkey: parse_point(&row.try_get::<Vec<u8>, _>("pubkey")?, "account key")?,
                    unit: parse_unit(&row.try_get::<String, _>("unit")?)?,
                    balance: Amount::from_u64(to_u64(row.try_get::<i64, _>("balance")?)?),
                    blocked: row.try_get::<i64, _>("blocked")? != 0,
                })
            }
        }

        #[async_trait]
        impl MintStore for $store {
            async fn commit(&self, commit: &Commit) -> Result<(), StoreError> {
                self.commit_impl(commit).await
            }

            fn intend_commit(&self) -> CommitIntent {
                self.intend_commit_impl()
            }

            async fn keysets(&self) -> Result<Vec<KeysetRecord>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, unit, derivation_index, max_order, input_fee_ppk, final_expiry, active \
                     FROM keysets ORDER BY created_at, derivation_index",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::keyset_from_row).collect()
            }

            async fn add_keyset(&self, keyset: &KeysetRecord) -> Result<(), StoreError> {
                let inserted = sqlx::query(
                    "INSERT INTO keysets (id, unit, derivation_index, max_order, input_fee_ppk, final_expiry, active, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(keyset.id.to_string())
                .bind(keyset.unit.to_string())
                .bind(i64::from(keyset.derivation_index))
                .bind(i64::from(keyset.max_order))
                .bind(to_i64(keyset.input_fee_ppk)?)
                .bind(keyset.final_expiry.map(to_i64).transpose()?)
                .bind(i64::from(keyset.active))
                .bind(unix_now())
                .execute(&self.pool)
                .await;
                unique_or(inserted, StoreError::Duplicate)
            }

            async fn set_keyset_active(&self, id: &Id, active: bool) -> Result<(), StoreError> {
                sqlx::query("UPDATE keysets SET active = $1 WHERE id = $2")
                    .bind(i64::from(active))
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn proof_states(&self, ys: &[PublicKey]) -> Result<Vec<StoredProofState>, StoreError> {
                self.proof_states_impl(ys).await
            }

            async fn pending_for_quote(&self, quote_id: &str) -> Result<Vec<PublicKey>, StoreError> {
                let rows = sqlx::query("SELECT y FROM proofs WHERE quote_id = $1 AND state = 'PENDING'")
                    .bind(quote_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|row| parse_point(&row.try_get::<Vec<u8>, _>("y")?, "serial")).collect()
            }

            async fn signatures(&self, blinded: &[PublicKey]) -> Result<Vec<(PublicKey, BlindSignature)>, StoreError> {
                self.signatures_impl(blinded).await
            }

            async fn cached_response(&self, key: &[u8; 32]) -> Result<Option<String>, StoreError> {
                let row = sqlx::query("SELECT response FROM response_cache WHERE key = $1")
                    .bind(key.to_vec())
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|row| row.try_get::<String, _>("response")).transpose()?)
            }

            async fn evict_cached_responses(&self, created_before: i64) -> Result<u64, StoreError> {
                // In slices, so that a long backlog never holds the write lock for long.
                let mut evicted = 0;
                loop {
                    let deleted = sqlx::query(
                        "DELETE FROM response_cache WHERE key IN \
                         (SELECT key FROM response_cache WHERE created_at < $1 LIMIT 5000)",
                    )
                    .bind(created_before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                    evicted += deleted;
                    if deleted < 5000 {
                        return Ok(evicted);
                    }
                }
            }

            async fn add_mint_quote(&self, quote: &MintQuote) -> Result<(), StoreError> {
                let inserted = sqlx::query(
                    "INSERT INTO mint_quotes (id, method, unit, amount, request, state, expiry, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&quote.id)
                .bind(&quote.method)
                .bind(quote.unit.to_string())
                .bind(to_i64(quote.amount.to_u64())?)
                .bind(&quote.request)
                .bind(mint_quote_state_name(quote.state))
                .bind(to_i64(quote.expiry)?)
                .bind(unix_now())
                .execute(&self.pool)
                .await;
                unique_or(inserted, StoreError::Duplicate)
            }

            async fn mint_quote(&self, id: &str) -> Result<Option<MintQuote>, StoreError> {
                let row = sqlx::query(
                    "SELECT id, method, unit, amount, request, state, expiry FROM mint_quotes WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|row| {
                    Ok(MintQuote {
                        id: row.try_get("id")?,
                        method: row.try_get("method")?,
                        unit: parse_unit(&row.try_get::<String, _>("unit")?)?,
                        amount: Amount::from_u64(to_u64(row.try_get::<i64, _>("amount")?)?),
                        request: row.try_get("request")?,
                        state: parse_mint_quote_state(&row.try_get::<String, _>("state")?)?,
                        expiry: to_u64(row.try_get::<i64, _>("expiry")?)?,
                    })
                })
                .transpose()
            }

            async fn add_melt_quote(&self, quote: &MeltQuote) -> Result<(), StoreError> {
                let inserted = sqlx::query(
                    "INSERT INTO melt_quotes (id, method, unit, amount, fee_reserve, request, state, expiry, payment_preimage, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(&quote.id)
                .bind(&quote.method)
                .bind(quote.unit.to_string())
                .bind(to_i64(quote.amount.to_u64())?)
                .bind(to_i64(quote.fee_reserve.to_u64())?)
                .bind(&quote.request)
                .bind(melt_quote_state_name(quote.state))
                .bind(to_i64(quote.expiry)?)
                .bind(quote.payment_preimage.as_deref())
                .bind(unix_now())
                .execute(&self.pool)
                .await;
                unique_or(inserted, StoreError::Duplicate)
            }

            async fn pending_melt_quotes(&self) -> Result<Vec<MeltQuote>, StoreError> {
                let rows = sqlx::query("SELECT id FROM melt_quotes WHERE state = 'PENDING' ORDER BY created_at")
                    .fetch_all(&self.pool)
                    .await?;
                let mut quotes = Vec::with_capacity(rows.len());
                for row in rows {
                    let id: String = row.try_get("id")?;
                    if let Some(quote) = self.melt_quote(&id).await? {
                        quotes.push(quote);
                    }
                }
                Ok(quotes)
            }

            async fn melt_quote(&self, id: &str) -> Result<Option<MeltQuote>, StoreError> {
                let row = sqlx::query(
                    "SELECT id, method, unit, amount, fee_reserve, request, state, expiry, payment_preimage \
                     FROM melt_quotes WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|row| {
                    Ok(MeltQuote {
                        id: row.try_get("id")?,
                        method: row.try_get("method")?,
                        unit: parse_unit(&row.try_get::<String, _>("unit")?)?,
                        amount: Amount::from_u64(to_u64(row.try_get::<i64, _>("amount")?)?),
                        fee_reserve: Amount::from_u64(to_u64(row.try_get::<i64, _>("fee_reserve")?)?),
                        request: row.try_get("request")?,
                        state: parse_melt_quote_state(&row.try_get::<String, _>("state")?)?,
                        expiry: to_u64(row.try_get::<i64, _>("expiry")?)?,
                        payment_preimage: row.try_get::<Option<String>, _>("payment_preimage")?.filter(|p| !p.is_empty()),
                    })
                })
                .transpose()
            }

            async fn add_account(&self, account: &Account) -> Result<(), StoreError> {
                let inserted = sqlx::query(
                    "INSERT INTO accounts (id, pubkey, unit, balance, blocked, created_at) VALUES ($1, $2, $3, 0, $4, $5)",
                )
                .bind(&account.id)
                .bind(account.pubkey.to_bytes().to_vec())
                .bind(account.unit.to_string())
                .bind(i64::from(account.blocked))
                .bind(unix_now())
                .execute(&self.pool)
                .await;
                unique_or(inserted, StoreError::Duplicate)
            }

            async fn account(&self, id: &str) -> Result<Option<Account>, StoreError> {
                let row = sqlx::query("SELECT id, pubkey, unit, balance, blocked FROM accounts WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::account_from_row).transpose()
            }

            async fn set_account_blocked(&self, id: &str, blocked: bool) -> Result<(), StoreError> {
                let updated = sqlx::query("UPDATE accounts SET blocked = $1 WHERE id = $2")
                    .bind(i64::from(blocked))
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                if updated.rows_affected() == 1 { Ok(()) } else { Err(StoreError::UnknownAccount) }
            }
        }
    };
}

impl_sql_store!(SqliteStore, sqlx::Sqlite);
impl_sql_store!(PostgresStore, sqlx::Postgres);
