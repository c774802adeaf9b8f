//! One request's [`Commit`] on the writer's connection, inside the batch's open transaction. The statements
//! both backends share come from `rows`; those written here are SQLite's one-row-per-statement forms.

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use shared::PublicKey;

use crate::store::offline::{Expect, OfflineCommit, OfflineValue};
use crate::store::rows::{self, Effects, proof_rows, signature_rows};
use crate::store::{Commit, StoreError, StoredProofState};

/// Insert one spent-set row.
const INSERT_PROOF: &str = "INSERT INTO proofs \
     (y, keyset_id, amount, secret, c, witness, state, quote_id, request_key, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
/// Insert one signature row.
const INSERT_SIGNATURE: &str = "INSERT INTO blind_signatures \
     (b, amount, keyset_id, c, dleq_e, dleq_s, quote_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
/// A serial pending for quote `$2` becomes spent.
const SETTLE_PENDING: &str = "UPDATE proofs SET state = 'SPENT' WHERE y = $1 AND state = 'PENDING' AND quote_id = $2";
/// A serial pending for quote `$2` is released (unspent again).
const RELEASE_PENDING: &str = "DELETE FROM proofs WHERE y = $1 AND state = 'PENDING' AND quote_id = $2";
/// One serial's state, for classifying a conflict inside the writer's transaction: the witness (up to
/// `max_witness_len`, and unbounded in rows stored before that limit) is not read there.
const SELECT_PROOF_STATE: &str = "SELECT state, request_key FROM proofs WHERE y = $1";

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

/// Rows `commit` writes to the spent set and the signatures (what the checkpointer counts).
pub(super) fn rows_written(commit: &Commit) -> usize {
    Effects::of(commit).map_or(0, |effects| effects.rows())
}

/// Apply one request's commit inside the open transaction (the caller rolls it back, or back to its
/// savepoint, if this fails).
pub(super) fn apply(connection: &Connection, commit: &Commit, now: i64) -> Result<(), StoreError> {
    if let Commit::Offline(offline) = commit {
        return apply_offline(connection, offline, now);
    }
    let effects = Effects::of(commit)?;
    create(connection, &effects, now)?;

    if let Some(transition) = effects.transition {
        let (sql, id, preimage) = transition.sql();
        let mut statement = connection.prepare_cached(sql)?;
        let updated = match preimage {
            Some(preimage) => statement.execute(params![preimage, id])?,
            None => statement.execute(params![id])?,
        };
        if updated != 1 {
            return Err(StoreError::QuoteStateConflict(id.to_owned()));
        }
    }

    if !effects.spend.is_empty() {
        let mut insert = connection.prepare_cached(INSERT_PROOF)?;
        let request = effects.request.map(|key| &key[..]);
        for proof in proof_rows(effects.spend)? {
            let inserted = insert.execute(params![
                &proof.y[..],
                proof.keyset_id,
                proof.amount,
                proof.secret,
                &proof.c[..],
                proof.witness,
                effects.spend_state,
                effects.quote_id,
                request,
                now
            ]);
            if let Err(error) = inserted {
                if !is_unique_violation(&error) {
                    return Err(error.into());
                }
                // A failed statement leaves the transaction open in SQLite: look at what holds the serials
                // (this sees the batch's earlier requests too).
                let ys: Vec<PublicKey> = effects.spend.iter().map(|(y, _)| *y).collect();
                return Err(rows::classify_conflict(&proof_states(connection, &ys)?));
            }
        }
    }

    for y in effects.settle {
        let updated =
            connection.prepare_cached(SETTLE_PENDING)?.execute(params![&y.to_bytes()[..], effects.quote_id])?;
        if updated != 1 {
            return Err(StoreError::Backend(format!("pending proof {y} vanished")));
        }
    }
    for y in effects.release {
        connection.prepare_cached(RELEASE_PENDING)?.execute(params![&y.to_bytes()[..], effects.quote_id])?;
    }

    if !effects.signatures.is_empty() {
        let mut insert = connection.prepare_cached(INSERT_SIGNATURE)?;
        for signature in signature_rows(effects.signatures)? {
            let inserted = insert.execute(params![
                &signature.b[..],
                signature.amount,
                signature.keyset_id,
                &signature.c[..],
                &signature.e[..],
                &signature.s[..],
                effects.quote_id,
                now
            ]);
            unique_or(inserted, || StoreError::OutputsAlreadySigned)?;
        }
    }

    if let Some(change) = effects.balance {
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

    if let Some(cached) = effects.cache {
        let inserted = connection.prepare_cached(rows::INSERT_CACHED_RESPONSE)?.execute(params![
            &cached.key[..],
            cached.body,
            now
        ]);
        unique_or(inserted, || StoreError::Duplicate)?;
    }
    Ok(())
}

/// An offline commit's statements (`store/offline.rs`), in order; the first that fails its condition fails
/// the commit (the caller rolls back).
fn apply_offline(connection: &Connection, commit: &OfflineCommit, now: i64) -> Result<(), StoreError> {
    for statement in commit.statements(now)? {
        let values = statement.args.iter().map(|value| match value {
            OfflineValue::Int(int) => rusqlite::types::Value::Integer(*int),
            OfflineValue::Text(text) => rusqlite::types::Value::Text(text.clone()),
            OfflineValue::Bytes(bytes) => rusqlite::types::Value::Blob(bytes.clone()),
        });
        let changed = match connection.prepare_cached(statement.sql)?.execute(rusqlite::params_from_iter(values)) {
            Ok(changed) => changed,
            Err(error) if is_unique_violation(&error) => return Err(StoreError::Offline(statement.on_unique)),
            Err(error) => return Err(error.into()),
        };
        if let Expect::One(conflict) = statement.expect {
            if changed != 1 {
                return Err(StoreError::Offline(conflict));
            }
        }
    }
    Ok(())
}

/// The rows a commit creates or flags: keysets, quotes, accounts.
fn create(connection: &Connection, effects: &Effects<'_>, now: i64) -> Result<(), StoreError> {
    if let Some(keyset) = effects.rotate_keyset {
        let (id, unit) = (keyset.id.to_string(), keyset.unit.to_string());
        let inserted = connection.prepare_cached(rows::INSERT_ACTIVE_KEYSET)?.execute(params![
            id,
            unit,
            i64::from(keyset.derivation_index),
            i64::from(keyset.max_order),
            rows::to_i64(keyset.input_fee_ppk)?,
            keyset.final_expiry.map(rows::to_i64).transpose()?,
            now
        ]);
        unique_or(inserted, || StoreError::Duplicate)?;
        connection.prepare_cached(rows::DEACTIVATE_OTHER_KEYSETS)?.execute(params![unit, id])?;
    }
    if let Some((quote, state)) = effects.new_mint_quote {
        let inserted = connection.prepare_cached(rows::INSERT_MINT_QUOTE)?.execute(params![
            quote.id,
            quote.method,
            quote.unit.to_string(),
            rows::to_i64(quote.amount.to_u64())?,
            quote.request,
            state,
            rows::to_i64(quote.expiry)?,
            now,
            quote.pubkey.map(|key| key.to_bytes().to_vec())
        ]);
        unique_or(inserted, || StoreError::Duplicate)?;
    }
    if let Some(quote) = effects.new_melt_quote {
        let inserted = connection.prepare_cached(rows::INSERT_MELT_QUOTE)?.execute(params![
            quote.id,
            quote.method,
            quote.unit.to_string(),
            rows::to_i64(quote.amount.to_u64())?,
            rows::to_i64(quote.fee_reserve.to_u64())?,
            quote.request,
            rows::melt_quote_state_name(quote.state),
            rows::to_i64(quote.expiry)?,
            quote.payment_preimage,
            now
        ]);
        unique_or(inserted, || StoreError::Duplicate)?;
    }
    if let Some(account) = effects.new_account {
        let inserted = connection.prepare_cached(rows::INSERT_ACCOUNT)?.execute(params![
            account.id,
            &account.pubkey.to_bytes()[..],
            account.unit.to_string(),
            i64::from(account.blocked),
            now
        ]);
        unique_or(inserted, || StoreError::Duplicate)?;
    }
    if let Some((account_id, blocked)) = effects.block {
        let updated =
            connection.prepare_cached(rows::SET_ACCOUNT_BLOCKED)?.execute(params![i64::from(blocked), account_id])?;
        if updated != 1 {
            return Err(StoreError::UnknownAccount);
        }
    }
    Ok(())
}

/// States of the given serials as this connection sees them (inside the open transaction), without their
/// witnesses.
fn proof_states(connection: &Connection, ys: &[PublicKey]) -> Result<Vec<StoredProofState>, StoreError> {
    let mut select = connection.prepare_cached(SELECT_PROOF_STATE)?;
    let mut states = Vec::new();
    for y in ys {
        let row = select
            .query_row(params![&y.to_bytes()[..]], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, Option<Vec<u8>>>(1)?))
            })
            .optional()?;
        if let Some((state, request)) = row {
            states.push(rows::stored_proof_state(*y, &state, None, request)?);
        }
    }
    Ok(states)
}
