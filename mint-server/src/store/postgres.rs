//! [`PostgresStore`]: the scale-out store, PostgreSQL shared by any number of mint processes.
//!
//! A commit that only inserts (a swap's) is one statement, [`INSERT_ROWS`]: atomic by itself, so it needs
//! no `BEGIN`/`COMMIT` (one round trip). Other commits run that statement too, inside a transaction with
//! one statement per other kind of effect. Row arrays are bound whole (`UNNEST`), so a commit costs the
//! same number of round trips for any number of inputs and outputs.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use shared::nuts::MeltQuoteState;
use shared::{BlindSignature, Proof, PublicKey};
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions};
use sqlx::{Postgres, query::Query};

use super::offline::{Expect, OfflineCommit, OfflineValue};
use super::rows::{
    self, AccountRow, Effects, KeysetRow, MeltQuoteRow, MintQuoteRow, ProofRow, ProofStateRow, SignatureRow,
    StoredSignatureRow,
};
use super::{
    Account, AuditTotals, Commit, CommitIntent, KeysetRecord, KeysetTotals, MeltQuote, MintQuote, MintStore,
    StoreError, StoredProofState, unix_now,
};

/// A commit's rows: its spent-set rows, its signatures and its cached response, in one statement.
/// PostgreSQL runs every data-modifying `WITH` part to completion, whether or not it is read.
const INSERT_ROWS: &str = "\
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

/// Serials pending for quote `$2` become spent.
const SETTLE_PENDING: &str =
    "UPDATE proofs SET state = 'SPENT' WHERE y = ANY($1) AND state = 'PENDING' AND quote_id = $2";
/// Serials pending for quote `$2` are released (unspent again).
const RELEASE_PENDING: &str = "DELETE FROM proofs WHERE y = ANY($1) AND state = 'PENDING' AND quote_id = $2";

/// States of the serials in `$1` (a [`ProofStateRow`] each).
const SELECT_PROOF_STATES: &str = "SELECT y, state, witness, request_key FROM proofs WHERE y = ANY($1)";
/// Signatures of the outputs in `$1` (a [`StoredSignatureRow`] each).
const SELECT_SIGNATURES: &str =
    "SELECT b, amount, keyset_id, c, dleq_e, dleq_s FROM blind_signatures WHERE b = ANY($1)";

/// The scale-out store: PostgreSQL, shared by any number of mint processes.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: sqlx::Pool<Postgres>,
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

    /// What a failed insert of rows means: which unique key it hit (for the spent set: were the serials of
    /// `spend` spent or pending?), or a backend failure.
    async fn insert_failure(&self, error: sqlx::Error, spend: &[(PublicKey, Proof)]) -> StoreError {
        let constraint = match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => db.constraint().unwrap_or_default().to_owned(),
            _ => return error.into(),
        };
        match constraint.as_str() {
            "proofs_pkey" => {
                let ys: Vec<PublicKey> = spend.iter().map(|(y, _)| *y).collect();
                match self.proof_states(&ys).await {
                    Ok(states) => rows::classify_conflict(&states),
                    Err(error) => error,
                }
            }
            "blind_signatures_pkey" => StoreError::OutputsAlreadySigned,
            _ => StoreError::Duplicate,
        }
    }

    /// Apply a commit that does more than insert rows, in one transaction; `inserts` is its
    /// [`INSERT_ROWS`], if it inserts any.
    async fn commit_in_transaction(
        &self,
        effects: &Effects<'_>,
        inserts: Option<Query<'_, Postgres, PgArguments>>,
        now: i64,
        lazy: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        if lazy {
            // Answered before the WAL flush (see `Commit::may_answer_before_durable`).
            sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
        }
        create(&mut tx, effects, now).await?;
        if let Some(transition) = effects.transition {
            let (sql, id, preimage) = transition.sql();
            let query = match preimage {
                Some(preimage) => sqlx::query(sql).bind(preimage).bind(id),
                None => sqlx::query(sql).bind(id),
            };
            if query.execute(&mut *tx).await?.rows_affected() != 1 {
                return Err(StoreError::QuoteStateConflict(id.to_owned()));
            }
        }
        if let Some(inserts) = inserts {
            if let Err(error) = inserts.execute(&mut *tx).await {
                drop(tx);
                return Err(self.insert_failure(error, effects.spend).await);
            }
        }
        if !effects.settle.is_empty() {
            let ys: Vec<Vec<u8>> = effects.settle.iter().map(|y| y.to_bytes().to_vec()).collect();
            let updated = sqlx::query(SETTLE_PENDING).bind(&ys).bind(effects.quote_id).execute(&mut *tx).await?;
            if updated.rows_affected() != ys.len() as u64 {
                return Err(StoreError::Backend("pending proofs vanished".into()));
            }
        }
        if !effects.release.is_empty() {
            let ys: Vec<Vec<u8>> = effects.release.iter().map(|y| y.to_bytes().to_vec()).collect();
            sqlx::query(RELEASE_PENDING).bind(ys).bind(effects.quote_id).execute(&mut *tx).await?;
        }
        if let Some(change) = effects.balance {
            let updated = sqlx::query(rows::balance_update(change.delta))
                .bind(change.delta)
                .bind(change.account_id)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                let blocked: Option<(i64,)> = sqlx::query_as(rows::SELECT_ACCOUNT_BLOCKED)
                    .bind(change.account_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                return Err(rows::balance_refusal(blocked.map(|(blocked,)| blocked), change.delta));
            }
            sqlx::query(rows::INSERT_LEDGER_ENTRY)
                .bind(change.account_id)
                .bind(change.delta)
                .bind(change.reason)
                .bind(change.reference)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl PostgresStore {
    /// An offline commit's statements (`store/offline.rs`) in one transaction; the first that fails its
    /// condition rolls it back.
    async fn commit_offline(&self, commit: &OfflineCommit, now: i64) -> Result<(), StoreError> {
        let statements = commit.statements(now)?;
        let mut tx = self.pool.begin().await?;
        for statement in &statements {
            let changed = match bind_offline(sqlx::query(statement.sql), &statement.args).execute(&mut *tx).await {
                Ok(done) => done.rows_affected(),
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                    return Err(StoreError::Offline(statement.on_unique));
                }
                Err(error) => return Err(error.into()),
            };
            if let Expect::One(conflict) = statement.expect {
                if changed != 1 {
                    return Err(StoreError::Offline(conflict));
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// `query` with offline values bound in order.
fn bind_offline<'q>(
    mut query: Query<'q, Postgres, PgArguments>,
    args: &[OfflineValue],
) -> Query<'q, Postgres, PgArguments> {
    for value in args {
        query = match value {
            OfflineValue::Int(int) => query.bind(*int),
            OfflineValue::Text(text) => query.bind(text.clone()),
            OfflineValue::Bytes(bytes) => query.bind(bytes.clone()),
        };
    }
    query
}

/// The rows a commit creates or flags: keysets, quotes, accounts.
async fn create(tx: &mut sqlx::PgConnection, effects: &Effects<'_>, now: i64) -> Result<(), StoreError> {
    if let Some(keyset) = effects.rotate_keyset {
        let (id, unit) = (keyset.id.to_string(), keyset.unit.to_string());
        let inserted = sqlx::query(rows::INSERT_ACTIVE_KEYSET)
            .bind(&id)
            .bind(&unit)
            .bind(i64::from(keyset.derivation_index))
            .bind(i64::from(keyset.max_order))
            .bind(rows::to_i64(keyset.input_fee_ppk)?)
            .bind(keyset.final_expiry.map(rows::to_i64).transpose()?)
            .bind(now)
            .execute(&mut *tx)
            .await;
        rows::unique_or(inserted, StoreError::Duplicate)?;
        sqlx::query(rows::DEACTIVATE_OTHER_KEYSETS).bind(&unit).bind(&id).execute(&mut *tx).await?;
    }
    if let Some((quote, state)) = effects.new_mint_quote {
        let inserted = sqlx::query(rows::INSERT_MINT_QUOTE)
            .bind(&quote.id)
            .bind(&quote.method)
            .bind(quote.unit.to_string())
            .bind(rows::to_i64(quote.amount.to_u64())?)
            .bind(&quote.request)
            .bind(state)
            .bind(rows::to_i64(quote.expiry)?)
            .bind(now)
            .bind(quote.pubkey.map(|key| key.to_bytes().to_vec()))
            .execute(&mut *tx)
            .await;
        rows::unique_or(inserted, StoreError::Duplicate)?;
    }
    if let Some(quote) = effects.new_melt_quote {
        let inserted = sqlx::query(rows::INSERT_MELT_QUOTE)
            .bind(&quote.id)
            .bind(&quote.method)
            .bind(quote.unit.to_string())
            .bind(rows::to_i64(quote.amount.to_u64())?)
            .bind(rows::to_i64(quote.fee_reserve.to_u64())?)
            .bind(&quote.request)
            .bind(rows::melt_quote_state_name(quote.state))
            .bind(rows::to_i64(quote.expiry)?)
            .bind(quote.payment_preimage.as_deref())
            .bind(now)
            .execute(&mut *tx)
            .await;
        rows::unique_or(inserted, StoreError::Duplicate)?;
    }
    if let Some(account) = effects.new_account {
        let inserted = sqlx::query(rows::INSERT_ACCOUNT)
            .bind(&account.id)
            .bind(account.pubkey.to_bytes().to_vec())
            .bind(account.unit.to_string())
            .bind(i64::from(account.blocked))
            .bind(now)
            .execute(&mut *tx)
            .await;
        rows::unique_or(inserted, StoreError::Duplicate)?;
    }
    if let Some((account_id, blocked)) = effects.block {
        let updated =
            sqlx::query(rows::SET_ACCOUNT_BLOCKED).bind(i64::from(blocked)).bind(account_id).execute(&mut *tx).await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::UnknownAccount);
        }
    }
    Ok(())
}

/// [`INSERT_ROWS`] with a commit's rows bound.
fn insert_rows<'q>(
    effects: &Effects<'q>,
    proofs: &[ProofRow<'_>],
    signatures: &[SignatureRow],
    now: i64,
) -> Query<'q, Postgres, PgArguments> {
    let (key, response) = match effects.cache {
        Some(cached) => (Some(cached.key.to_vec()), Some(cached.body.as_str())),
        None => (None, None),
    };
    sqlx::query(INSERT_ROWS)
        .bind(proofs.iter().map(|r| r.y.to_vec()).collect::<Vec<_>>())
        .bind(proofs.iter().map(|r| r.keyset_id.clone()).collect::<Vec<_>>())
        .bind(proofs.iter().map(|r| r.amount).collect::<Vec<_>>())
        .bind(proofs.iter().map(|r| r.secret.to_owned()).collect::<Vec<_>>())
        .bind(proofs.iter().map(|r| r.c.to_vec()).collect::<Vec<_>>())
        .bind(proofs.iter().map(|r| r.witness.map(str::to_owned)).collect::<Vec<_>>())
        .bind(effects.spend_state)
        .bind(effects.quote_id)
        .bind(now)
        .bind(signatures.iter().map(|r| r.b.to_vec()).collect::<Vec<_>>())
        .bind(signatures.iter().map(|r| r.amount).collect::<Vec<_>>())
        .bind(signatures.iter().map(|r| r.keyset_id.clone()).collect::<Vec<_>>())
        .bind(signatures.iter().map(|r| r.c.to_vec()).collect::<Vec<_>>())
        .bind(signatures.iter().map(|r| r.e.to_vec()).collect::<Vec<_>>())
        .bind(signatures.iter().map(|r| r.s.to_vec()).collect::<Vec<_>>())
        .bind(key)
        .bind(response)
        .bind(effects.request.map(|key| &key[..]))
}

#[async_trait]
impl MintStore for PostgresStore {
    async fn commit(&self, commit: &Commit) -> Result<(), StoreError> {
        let now = unix_now();
        if let Commit::Offline(offline) = commit {
            return self.commit_offline(offline, now).await;
        }
        let effects = Effects::of(commit)?;
        let proofs = rows::proof_rows(effects.spend)?;
        let signatures = rows::signature_rows(effects.signatures)?;
        let has_rows = !proofs.is_empty() || !signatures.is_empty() || effects.cache.is_some();
        let inserts = has_rows.then(|| insert_rows(&effects, &proofs, &signatures, now));
        match inserts {
            Some(inserts) if effects.only_inserts() => match inserts.execute(&self.pool).await {
                Ok(_) => Ok(()),
                Err(error) => Err(self.insert_failure(error, effects.spend).await),
            },
            inserts => self.commit_in_transaction(&effects, inserts, now, commit.may_answer_before_durable()).await,
        }
    }

    /// Each commit is its own transaction: nothing to wait for.
    fn intend_commit(&self) -> CommitIntent {
        CommitIntent::default()
    }

    async fn keyset_totals(&self) -> Result<Vec<KeysetTotals>, StoreError> {
        let found: Vec<rows::KeysetTotalsRow> =
            sqlx::query_as(rows::SELECT_KEYSET_TOTALS).fetch_all(&self.pool).await?;
        found.into_iter().map(rows::keyset_totals).collect()
    }

    async fn keysets(&self) -> Result<Vec<KeysetRecord>, StoreError> {
        let found: Vec<KeysetRow> = sqlx::query_as(rows::SELECT_KEYSETS).fetch_all(&self.pool).await?;
        found.into_iter().map(rows::keyset).collect()
    }

    async fn proof_states(&self, ys: &[PublicKey]) -> Result<Vec<StoredProofState>, StoreError> {
        if ys.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<Vec<u8>> = ys.iter().map(|y| y.to_bytes().to_vec()).collect();
        let found: Vec<ProofStateRow> = sqlx::query_as(SELECT_PROOF_STATES).bind(keys).fetch_all(&self.pool).await?;
        found.into_iter().map(rows::proof_state).collect()
    }

    async fn pending_for_quote(&self, quote_id: &str) -> Result<Vec<PublicKey>, StoreError> {
        let found: Vec<(Vec<u8>,)> =
            sqlx::query_as(rows::SELECT_PENDING_FOR_QUOTE).bind(quote_id).fetch_all(&self.pool).await?;
        found.iter().map(|(y,)| rows::parse_point(y, "serial")).collect()
    }

    async fn signatures(&self, blinded: &[PublicKey]) -> Result<Vec<(PublicKey, BlindSignature)>, StoreError> {
        if blinded.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<Vec<u8>> = blinded.iter().map(|b| b.to_bytes().to_vec()).collect();
        let found: Vec<StoredSignatureRow> = sqlx::query_as(SELECT_SIGNATURES).bind(keys).fetch_all(&self.pool).await?;
        found.into_iter().map(rows::signature).collect()
    }

    async fn cached_response(&self, key: &[u8; 32]) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as(rows::SELECT_CACHED_RESPONSE).bind(&key[..]).fetch_optional(&self.pool).await?;
        Ok(row.map(|(response,)| response))
    }

    async fn delete_expired_quotes(&self, expired_before: i64) -> Result<u64, StoreError> {
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
        sqlx::query(rows::RELEASE_MELT_LEASE).bind(id).bind(holder).execute(&self.pool).await?;
        Ok(())
    }

    async fn account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        let row: Option<AccountRow> = sqlx::query_as(rows::SELECT_ACCOUNT).bind(id).fetch_optional(&self.pool).await?;
        row.map(rows::account).transpose()
    }

    async fn audit_totals(&self) -> Result<AuditTotals, StoreError> {
        // One snapshot for the three reads (READ COMMITTED would take one per statement).
        let mut transaction = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *transaction).await?;
        let signed = sqlx::query_as(rows::AUDIT_SIGNED).fetch_all(&mut *transaction).await?;
        let spent = sqlx::query_as(rows::AUDIT_SPENT).fetch_all(&mut *transaction).await?;
        let ledger = sqlx::query_as(rows::AUDIT_LEDGER).fetch_all(&mut *transaction).await?;
        transaction.rollback().await?;
        rows::audit_totals(signed, spent, ledger)
    }

    async fn offline_select(&self, sql: &str, args: &[OfflineValue]) -> Result<Vec<Vec<String>>, StoreError> {
        use sqlx::Row;
        let found = bind_offline(sqlx::query(sql), args).fetch_all(&self.pool).await?;
        found.iter().map(|row| (0..row.len()).map(|i| Ok(row.try_get::<String, _>(i)?)).collect()).collect()
    }
}
