//! One request's [`Commit`] on the writer's connection, inside the batch's open transaction. The statements
//! both backends share come from `rows`; those written here are SQLite's one-row-per-statement forms.

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use shared::PublicKey;

use crate::store::rows::{self, proof_rows, signature_rows, spend_state};
use crate::store::{Commit, StoreError, StoredProofState};

/// Insert one spent-set row.
const INSERT_PROOF: &str = "INSERT INTO proofs \
     (y, keyset_id, amount, secret, c, witness, state, quote_id, request_key, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
/// Insert one signature row.
const INSERT_SIGNATURE: &str = "INSERT INTO blind_signatures \
     (b, amount, keyset_id, c, dleq_e, dleq_s, quote_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
/// A pending serial becomes spent.
const SETTLE_PENDING: &str = "UPDATE proofs SET state = 'SPENT' WHERE y = $1 AND state = 'PENDING'";
/// A pending serial is released (unspent again).
const RELEASE_PENDING: &str = "DELETE FROM proofs WHERE y = $1 AND state = 'PENDING'";
/// One serial's state.
const SELECT_PROOF_STATE: &str = "SELECT state, witness, request_key FROM proofs WHERE y = $1";

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Backend(error.to_string())
    }
}

/// Did `error` come from a UNIQUE or PRIMARY KEY constraint?
fn is_unique_violation(error: &rusqlite::Error) -> bool {
    // SQLITE_CONSTRAINT_PRIMARYKEY and SQLITE_CONSTRAINT_UNIQUE.
    matches!(error, rusqlite::Error::SqliteFailure(failure, _)
        if failure.code == ErrorCode::ConstraintViolation && matches!(failure.extended_code, 1555 | 2067))
}

/// An insert's outcome: a unique violation becomes `conflict`, other failures become backend errors.
fn unique_or(
    inserted: Result<usize, rusqlite::Error>,
    conflict: impl FnOnce() -> StoreError,
) -> Result<(), StoreError> {
    match inserted {
        Ok(_) => Ok(()),
        Err(error) if is_unique_violation(&error) => Err(conflict()),
        Err(error) => Err(error.into()),
    }
}

/// Rows `commit` writes (what the checkpointer counts).
pub(super) fn rows_written(commit: &Commit) -> usize {
    commit.spend.len() + commit.signatures.len()
}

/// Apply one request's commit inside the open transaction (the caller rolls it back, or back to its
/// savepoint, if this fails).
pub(super) fn apply(connection: &Connection, commit: &Commit, now: i64) -> Result<(), StoreError> {
    if let Some(transition) = &commit.quote {
        let (sql, id, preimage) = rows::quote_transition_sql(transition);
        let mut statement = connection.prepare_cached(sql)?;
        let updated = match preimage {
            Some(preimage) => statement.execute(params![preimage, id])?,
            None => statement.execute(params![id])?,
        };
        if updated != 1 {
            return Err(StoreError::QuoteStateConflict(id.to_owned()));
        }
    }

    let state = spend_state(commit);
    let quote_id = commit.quote_id.as_deref();
    let request = commit.request.as_ref().map(|key| &key[..]);
    let mut insert = connection.prepare_cached(INSERT_PROOF)?;
    for proof in proof_rows(commit)? {
        let inserted = insert.execute(params![
            &proof.y[..],
            proof.keyset_id,
            proof.amount,
            proof.secret,
            &proof.c[..],
            proof.witness,
            state,
            quote_id,
            request,
            now
        ]);
        if let Err(error) = inserted {
            if !is_unique_violation(&error) {
                return Err(error.into());
            }
            // A failed statement leaves the transaction open in SQLite: look at what holds the serials (this
            // sees the batch's earlier requests too).
            let ys: Vec<PublicKey> = commit.spend.iter().map(|(y, _)| *y).collect();
            return Err(rows::classify_conflict(&proof_states(connection, &ys)?));
        }
    }

    for y in &commit.settle_pending {
        let updated = connection.prepare_cached(SETTLE_PENDING)?.execute(params![&y.to_bytes()[..]])?;
        if updated != 1 {
            return Err(StoreError::Backend(format!("pending proof {y} vanished")));
        }
    }
    for y in &commit.release_pending {
        connection.prepare_cached(RELEASE_PENDING)?.execute(params![&y.to_bytes()[..]])?;
    }

    let mut insert = connection.prepare_cached(INSERT_SIGNATURE)?;
    for signature in signature_rows(commit)? {
        let inserted = insert.execute(params![
            &signature.b[..],
            signature.amount,
            signature.keyset_id,
            &signature.c[..],
            &signature.e[..],
            &signature.s[..],
            quote_id,
            now
        ]);
        unique_or(inserted, || StoreError::OutputsAlreadySigned)?;
    }

    if let Some(change) = &commit.account {
        let updated = connection
            .prepare_cached(rows::balance_update(change.delta))?
            .execute(params![change.delta, change.account_id])?;
        if updated != 1 {
            let blocked: Option<i64> = connection
                .prepare_cached(rows::SELECT_ACCOUNT_BLOCKED)?
                .query_row(params![change.account_id], |row| row.get(0))
                .optional()?;
            return Err(rows::balance_refusal(blocked, change.delta));
        }
        connection.prepare_cached(rows::INSERT_LEDGER_ENTRY)?.execute(params![
            change.account_id,
            change.delta,
            change.reason,
            change.reference,
            now
        ])?;
    }

    if let Some((key, response)) = &commit.cache {
        let inserted =
            connection.prepare_cached(rows::INSERT_CACHED_RESPONSE)?.execute(params![&key[..], response, now]);
        unique_or(inserted, || StoreError::Duplicate)?;
    }
    Ok(())
}

/// States of the given serials as this connection sees them (inside the open transaction).
fn proof_states(connection: &Connection, ys: &[PublicKey]) -> Result<Vec<StoredProofState>, StoreError> {
    let mut select = connection.prepare_cached(SELECT_PROOF_STATE)?;
    let mut states = Vec::new();
    for y in ys {
        let row = select
            .query_row(params![&y.to_bytes()[..]], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?, row.get::<_, Option<Vec<u8>>>(2)?))
            })
            .optional()?;
        if let Some((state, witness, request)) = row {
            states.push(rows::stored_proof_state(*y, &state, witness, request)?);
        }
    }
    Ok(states)
}
