//! [`PostgresStore`]: the scale-out store, PostgreSQL shared by any number of mint processes.
//!
//! A commit that only inserts (a swap's) is one statement, [`INSERT_ROWS`]: atomic by itself, so it needs
//! no `BEGIN`/`COMMIT` (one round trip). Other commits run that statement too, inside a transaction with
//! one statement per other kind of effect. Row arrays are bound whole (`UNNEST`), so a commit costs the
//! same number of round trips for any number of inputs and outputs.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use shared::{BlindSignature, Id, PublicKey};
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions};
use sqlx::{Postgres, query::Query};

use super::rows::{
    self, AccountRow, KeysetRow, MeltQuoteRow, MintQuoteRow, ProofRow, ProofStateRow, SignatureRow, StoredSignatureRow,
};
use super::{
    Account, Commit, CommitIntent, KeysetRecord, MeltQuote, MintQuote, MintStore, StoreError, StoredProofState,
    unix_now,
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

/// Pending serials become spent.
const SETTLE_PENDING: &str = "UPDATE proofs SET state = 'SPENT' WHERE y = ANY($1) AND state = 'PENDING'";
/// Pending serials are released (unspent again).
const RELEASE_PENDING: &str = "DELETE FROM proofs WHERE y = ANY($1) AND state = 'PENDING'";

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

    /// What a failed insert of `commit`'s rows means: which unique key it hit (for the spent set: were
    /// the serials spent or pending?), or a backend failure.
    async fn insert_failure(&self, error: sqlx::Error, commit: &Commit) -> StoreError {
        let constraint = match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => db.constraint().unwrap_or_default().to_owned(),
            _ => return error.into(),
        };
        match constraint.as_str() {
            "proofs_pkey" => {
                let ys: Vec<PublicKey> = commit.spend.iter().map(|(y, _)| *y).collect();
                match self.proof_states(&ys).await {
                    Ok(states) => rows::classify_conflict(&states),
                    Err(error) => error,
                }
            }
            "blind_signatures_pkey" => StoreError::OutputsAlreadySigned,
            _ => StoreError::Duplicate,
        }
    }

    /// Apply a commit that does more than insert rows, in one transaction.
    async fn commit_in_transaction(
        &self,
        commit: &Commit,
        inserts: Query<'_, Postgres, PgArguments>,
    ) -> Result<(), StoreError> {
        let now = unix_now();
        let mut tx = self.pool.begin().await?;
        if let Some(transition) = &commit.quote {
            let (sql, id, preimage) = rows::quote_transition_sql(transition);
            let query = match preimage {
                Some(preimage) => sqlx::query(sql).bind(preimage).bind(id),
                None => sqlx::query(sql).bind(id),
            };
            if query.execute(&mut *tx).await?.rows_affected() != 1 {
                return Err(StoreError::QuoteStateConflict(id.to_owned()));
            }
        }
        if let Err(error) = inserts.execute(&mut *tx).await {
            drop(tx);
            return Err(self.insert_failure(error, commit).await);
        }
        if !commit.settle_pending.is_empty() {
            let ys: Vec<Vec<u8>> = commit.settle_pending.iter().map(|y| y.to_bytes().to_vec()).collect();
            let updated = sqlx::query(SETTLE_PENDING).bind(&ys).execute(&mut *tx).await?;
            if updated.rows_affected() != ys.len() as u64 {
                return Err(StoreError::Backend("pending proofs vanished".into()));
            }
        }
        if !commit.release_pending.is_empty() {
            let ys: Vec<Vec<u8>> = commit.release_pending.iter().map(|y| y.to_bytes().to_vec()).collect();
            sqlx::query(RELEASE_PENDING).bind(ys).execute(&mut *tx).await?;
        }
        if let Some(change) = &commit.account {
            let updated = sqlx::query(rows::balance_update(change.delta))
                .bind(change.delta)
                .bind(&change.account_id)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() != 1 {
                let blocked: Option<(i64,)> = sqlx::query_as(rows::SELECT_ACCOUNT_BLOCKED)
                    .bind(&change.account_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                return Err(rows::balance_refusal(blocked.map(|(blocked,)| blocked), change.delta));
            }
            sqlx::query(rows::INSERT_LEDGER_ENTRY)
                .bind(&change.account_id)
                .bind(change.delta)
                .bind(&change.reason)
                .bind(change.reference.as_deref())
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// [`INSERT_ROWS`] with a commit's rows bound.
fn insert_rows<'q>(
    commit: &'q Commit,
    proofs: &[ProofRow<'_>],
    signatures: &[SignatureRow],
    now: i64,
) -> Query<'q, Postgres, PgArguments> {
    let (key, response) = match &commit.cache {
        Some((key, response)) => (Some(key.to_vec()), Some(response.as_str())),
        None => (None, None),
    };
    sqlx::query(INSERT_ROWS)
        .bind(proofs.iter().map(|r| r.y.to_vec()).collect::<Vec<_>>())
        .bind(proofs.iter().map(|r| r.keyset_id.clone()).collect::<Vec<_>>())
        .bind(proofs.iter().map(|r| r.amount).collect::<Vec<_>>())
        .bind(proofs.iter().map(|r| r.secret.to_owned()).collect::<Vec<_>>())
        .bind(proofs.iter().map(|r| r.c.to_vec()).collect::<Vec<_>>())
        .bind(proofs.iter().map(|r| r.witness.map(str::to_owned)).collect::<Vec<_>>())
        .bind(rows::spend_state(commit))
        .bind(commit.quote_id.as_deref())
        .bind(now)
        .bind(signatures.iter().map(|r| r.b.to_vec()).collect::<Vec<_>>())
        .bind(signatures.iter().map(|r| r.amount).collect::<Vec<_>>())
        .bind(signatures.iter().map(|r| r.keyset_id.clone()).collect::<Vec<_>>())
        .bind(signatures.iter().map(|r| r.c.to_vec()).collect::<Vec<_>>())
        .bind(signatures.iter().map(|r| r.e.to_vec()).collect::<Vec<_>>())
        .bind(signatures.iter().map(|r| r.s.to_vec()).collect::<Vec<_>>())
        .bind(key)
        .bind(response)
        .bind(commit.request.as_ref().map(|key| &key[..]))
}

#[async_trait]
impl MintStore for PostgresStore {
    async fn commit(&self, commit: &Commit) -> Result<(), StoreError> {
        let proofs = rows::proof_rows(commit)?;
        let signatures = rows::signature_rows(commit)?;
        let inserts = insert_rows(commit, &proofs, &signatures, unix_now());
        let only_inserts = commit.quote.is_none()
            && commit.account.is_none()
            && commit.settle_pending.is_empty()
            && commit.release_pending.is_empty();
        if !only_inserts {
            return self.commit_in_transaction(commit, inserts).await;
        }
        match inserts.execute(&self.pool).await {
            Ok(_) => Ok(()),
            Err(error) => Err(self.insert_failure(error, commit).await),
        }
    }

    /// Each commit is its own transaction: nothing to wait for.
    fn intend_commit(&self) -> CommitIntent {
        CommitIntent::default()
    }

    async fn keysets(&self) -> Result<Vec<KeysetRecord>, StoreError> {
        let found: Vec<KeysetRow> = sqlx::query_as(rows::SELECT_KEYSETS).fetch_all(&self.pool).await?;
        found.into_iter().map(rows::keyset).collect()
    }

    async fn add_keyset(&self, keyset: &KeysetRecord) -> Result<(), StoreError> {
        let inserted = sqlx::query(rows::INSERT_KEYSET)
            .bind(keyset.id.to_string())
            .bind(keyset.unit.to_string())
            .bind(i64::from(keyset.derivation_index))
            .bind(i64::from(keyset.max_order))
            .bind(rows::to_i64(keyset.input_fee_ppk)?)
            .bind(keyset.final_expiry.map(rows::to_i64).transpose()?)
            .bind(i64::from(keyset.active))
            .bind(unix_now())
            .execute(&self.pool)
            .await;
        rows::unique_or(inserted, StoreError::Duplicate)
    }

    async fn set_keyset_active(&self, id: &Id, active: bool) -> Result<(), StoreError> {
        sqlx::query(rows::SET_KEYSET_ACTIVE).bind(i64::from(active)).bind(id.to_string()).execute(&self.pool).await?;
        Ok(())
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

    async fn add_mint_quote(&self, quote: &MintQuote) -> Result<(), StoreError> {
        let inserted = sqlx::query(rows::INSERT_MINT_QUOTE)
            .bind(&quote.id)
            .bind(&quote.method)
            .bind(quote.unit.to_string())
            .bind(rows::to_i64(quote.amount.to_u64())?)
            .bind(&quote.request)
            .bind(rows::mint_quote_state_name(quote.state))
            .bind(rows::to_i64(quote.expiry)?)
            .bind(unix_now())
            .execute(&self.pool)
            .await;
        rows::unique_or(inserted, StoreError::Duplicate)
    }

    async fn mint_quote(&self, id: &str) -> Result<Option<MintQuote>, StoreError> {
        let row: Option<MintQuoteRow> =
            sqlx::query_as(rows::SELECT_MINT_QUOTE).bind(id).fetch_optional(&self.pool).await?;
        row.map(rows::mint_quote).transpose()
    }

    async fn add_melt_quote(&self, quote: &MeltQuote) -> Result<(), StoreError> {
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
            .bind(unix_now())
            .execute(&self.pool)
            .await;
        rows::unique_or(inserted, StoreError::Duplicate)
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

    async fn add_account(&self, account: &Account) -> Result<(), StoreError> {
        let inserted = sqlx::query(rows::INSERT_ACCOUNT)
            .bind(&account.id)
            .bind(account.pubkey.to_bytes().to_vec())
            .bind(account.unit.to_string())
            .bind(i64::from(account.blocked))
            .bind(unix_now())
            .execute(&self.pool)
            .await;
        rows::unique_or(inserted, StoreError::Duplicate)
    }

    async fn account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        let row: Option<AccountRow> = sqlx::query_as(rows::SELECT_ACCOUNT).bind(id).fetch_optional(&self.pool).await?;
        row.map(rows::account).transpose()
    }

    async fn set_account_blocked(&self, id: &str, blocked: bool) -> Result<(), StoreError> {
        let updated =
            sqlx::query(rows::SET_ACCOUNT_BLOCKED).bind(i64::from(blocked)).bind(id).execute(&self.pool).await?;
        if updated.rows_affected() == 1 { Ok(()) } else { Err(StoreError::UnknownAccount) }
    }
}
