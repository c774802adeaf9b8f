//! Group commit for SQLite: one writer task owns one connection and applies the commits of many requests in
//! one transaction.
//!
//! SQLite has a single writer, and each transaction must reach the disk (fsync) before it is answered. With one
//! transaction per request, requests queue on the write lock (and on the busy handler's sleeps) and the
//! mint's throughput is bounded by transactions per second. Here every [`Commit`] goes through a queue to
//! the writer, which takes up to [`MAX_BATCH`] queued commits at a time and applies them in one
//! `BEGIN IMMEDIATE … COMMIT`:
//!
//! - each request's commit runs inside its own `SAVEPOINT`, so one request's failure (a double spend: a
//!   UNIQUE violation on `Y`; a quote that is not in the expected state; an overdraft) rolls back that
//!   request only, and the others still commit;
//! - the plain commits of a batch (spend, signatures, cached response: what a swap does) are first tried
//!   together as multi-row `INSERT`s inside one savepoint; if anything in them fails, that savepoint is
//!   rolled back and they are applied one by one, each in its own savepoint, as above;
//! - answers are sent only after the batch's `COMMIT` succeeded and a later fsync of the write-ahead log
//!   finished (a crash before it loses only requests that nobody was told about); if the `COMMIT` fails,
//!   every request of the batch gets an error and none of the batch was applied. The fsync is done by a
//!   second task (the writer's connection is `synchronous = NORMAL`, which skips the fsync at `COMMIT`), so
//!   the writer applies the next batch while the disk syncs, and one fsync answers every batch applied
//!   before it began. Refusals wait for the fsync too: they may rest on an earlier batch's effects.
//!
//! A request's outcome is the same as with one transaction per request: the batch is a serial order of its
//! requests, and later requests see the effects of earlier ones (the second presentation of a note in one
//! batch finds it spent).

use shared::PublicKey;
use shared::nuts::State;
use std::path::PathBuf;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteSynchronous};
use sqlx::{Connection, QueryBuilder, Row, Sqlite};
use tokio::sync::{mpsc, oneshot};

use super::sql::{
    ProofRow, SignatureRow, corrupt, is_unique_violation, parse_point, proof_rows, quote_transition_sql, signature_rows,
};
use super::{Commit, StoreError, StoredProofState, unix_now};

/// Most commits applied in one transaction.
pub(super) const MAX_BATCH: usize = 128;

/// Rows per multi-row statement: 9 columns × 500 stays far below SQLite's limit on bound parameters.
const ROWS_PER_STATEMENT: usize = 500;

/// A commit waiting for the writer, and where its outcome goes.
struct Job {
    commit: Commit,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

/// The handle requests use to reach the writer task. Cloning is cheap; the task stops when the last
/// handle is dropped.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
}

fn stopped() -> StoreError {
    StoreError::Backend("the SQLite writer has stopped".into())
}

impl Writer {
    /// Open the writer's own connection (with `options`, which must already name an existing, migrated
    /// database whose write-ahead log is the file `wal`) and start the writer and syncer tasks on the current
    /// Tokio runtime.
    pub(super) async fn start(options: SqliteConnectOptions, wal: PathBuf) -> Result<Self, StoreError> {
        // Multi-row statements differ by row count; keep each prepared once. `synchronous = NORMAL` on this
        // connection only: its commits reach the log without an fsync, and the syncer task makes the log
        // durable (fsync of the WAL file) before any answer of the batch is sent. Checkpoints still sync
        // the log and the database file (NORMAL does), so the log is only reused once its content is durable
        // in the database file.
        let options = options.synchronous(SqliteSynchronous::Normal).statement_cache_capacity(4 * MAX_BATCH);
        let connection = SqliteConnection::connect_with(&options).await?;
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        let (applied, to_sync) = mpsc::unbounded_channel();
        tokio::spawn(run(connection, queue, applied));
        tokio::spawn(sync_and_answer(wal, to_sync));
        Ok(Writer { jobs })
    }

    /// Apply `commit` in the writer's next batch; returns once that batch is durable (or failed).
    pub(super) async fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        let (reply, outcome) = oneshot::channel();
        self.jobs.send(Job { commit, reply }).await.map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

/// A batch that has been applied, with the outcome for each of its requests, waiting for the log's fsync.
type Applied = Vec<(Job, Result<(), StoreError>)>;

/// The writer task: take what is queued (up to [`MAX_BATCH`]), apply it as one transaction, hand the
/// outcomes to the syncer, and go on with the next batch while the log is synced.
async fn run(
    mut connection: SqliteConnection,
    mut queue: mpsc::Receiver<Job>,
    applied: mpsc::UnboundedSender<Applied>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let outcomes = apply_batch(&mut connection, &batch).await;
        let done: Applied = batch.drain(..).zip(outcomes).collect();
        if applied.send(done).is_err() {
            break;
        }
    }
    let _ = connection.close().await;
}

/// The syncer task: fsync the write-ahead log, then answer every batch applied before the fsync began. One
/// fsync covers all batches that are waiting, so the writer never waits for the disk.
async fn sync_and_answer(wal: PathBuf, mut applied: mpsc::UnboundedReceiver<Applied>) {
    let mut waiting = Vec::new();
    while applied.recv_many(&mut waiting, usize::MAX).await > 0 {
        let path = wal.clone();
        let synced = tokio::task::spawn_blocking(move || std::fs::File::open(&path)?.sync_data())
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|result| result);
        for (job, outcome) in waiting.drain(..).flatten() {
            let outcome = match (&synced, outcome) {
                (Ok(()), outcome) => outcome,
                // The commit is in the log but may not survive a crash; the client retries (NUT-19 answers
                // the retry from the cache if it did survive).
                (Err(error), Ok(())) => Err(StoreError::Backend(format!("sync of the write-ahead log: {error}"))),
                (Err(_), failed) => failed,
            };
            // The requester may have gone away (client disconnected); its commit stands regardless.
            let _ = job.reply.send(outcome);
        }
    }
}

async fn execute(connection: &mut SqliteConnection, sql: &str) -> Result<(), StoreError> {
    sqlx::query(sql).execute(&mut *connection).await?;
    Ok(())
}

/// One transaction for all of `jobs`. Returns one outcome per job, in order.
async fn apply_batch(connection: &mut SqliteConnection, jobs: &[Job]) -> Vec<Result<(), StoreError>> {
    let all_fail = |error: StoreError| {
        let text = error.to_string();
        jobs.iter().map(|_| Err(StoreError::Backend(text.clone()))).collect()
    };
    let now = unix_now();
    // IMMEDIATE takes the write lock now (waiting in the busy handler if another process holds it), so no
    // statement later has to upgrade a read snapshot.
    if let Err(error) = execute(connection, "BEGIN IMMEDIATE").await {
        return all_fail(error);
    }
    let outcomes = if let [job] = jobs {
        // Alone in its batch: the transaction is the request's, no savepoint needed.
        vec![apply_one(connection, &job.commit, now).await]
    } else {
        match apply_many(connection, jobs, now).await {
            Ok(outcomes) => outcomes,
            Err(error) => {
                let _ = execute(connection, "ROLLBACK").await;
                return all_fail(error);
            }
        }
    };
    if outcomes.iter().all(Result::is_err) {
        // Nothing to keep (and for a lone request, its failed statements must not be committed).
        return match execute(connection, "ROLLBACK").await {
            Ok(()) => outcomes,
            Err(error) => all_fail(error),
        };
    }
    match execute(connection, "COMMIT").await {
        Ok(()) => outcomes,
        Err(error) => {
            // Make sure the connection is out of the transaction before the next batch.
            let _ = execute(connection, "ROLLBACK").await;
            all_fail(error)
        }
    }
}

/// A commit that only inserts (spends, signatures, cached response), like a swap's: such commits are
/// tried together.
fn is_plain(commit: &Commit) -> bool {
    commit.quote.is_none()
        && commit.account.is_none()
        && commit.settle_pending.is_empty()
        && commit.release_pending.is_empty()
}

/// Several jobs inside the open transaction. The outer error means the transaction itself is in doubt
/// (a savepoint statement failed): the caller rolls everything back.
async fn apply_many(
    connection: &mut SqliteConnection,
    jobs: &[Job],
    now: i64,
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let mut outcomes: Vec<Option<Result<(), StoreError>>> = jobs.iter().map(|_| None).collect();
    let plain: Vec<usize> = (0..jobs.len()).filter(|&i| is_plain(&jobs[i].commit)).collect();
    if plain.len() > 1 {
        execute(connection, "SAVEPOINT plain").await?;
        let commits: Vec<&Commit> = plain.iter().map(|&i| &jobs[i].commit).collect();
        match insert_plain(connection, &commits, now).await {
            Ok(()) => {
                execute(connection, "RELEASE plain").await?;
                for &i in &plain {
                    outcomes[i] = Some(Ok(()));
                }
            }
            // Some request of them fails (or two of them collide): find out which, one by one below.
            Err(_) => {
                execute(connection, "ROLLBACK TO plain").await?;
                execute(connection, "RELEASE plain").await?;
            }
        }
    }
    for (job, outcome) in jobs.iter().zip(outcomes.iter_mut()) {
        if outcome.is_some() {
            continue;
        }
        execute(connection, "SAVEPOINT one").await?;
        let result = apply_one(connection, &job.commit, now).await;
        if result.is_err() {
            execute(connection, "ROLLBACK TO one").await?;
        }
        execute(connection, "RELEASE one").await?;
        *outcome = Some(result);
    }
    Ok(outcomes.into_iter().map(|o| o.unwrap_or_else(|| Err(StoreError::Backend("commit skipped".into())))).collect())
}

/// The inserts of several plain commits as multi-row statements.
async fn insert_plain(connection: &mut SqliteConnection, commits: &[&Commit], now: i64) -> Result<(), StoreError> {
    let mut proofs = Vec::new();
    let mut signatures = Vec::new();
    for commit in commits {
        proofs.extend(proof_rows(commit)?);
        signatures.extend(signature_rows(commit)?);
    }
    insert_proofs(connection, &proofs, now).await.map_err(|e| e.into_store(StoreError::AlreadySpent(Vec::new())))?;
    insert_signatures(connection, &signatures, now)
        .await
        .map_err(|e| e.into_store(StoreError::OutputsAlreadySigned))?;
    let caches: Vec<&([u8; 32], String)> = commits.iter().filter_map(|c| c.cache.as_ref()).collect();
    insert_caches(connection, &caches, now).await.map_err(|e| e.into_store(StoreError::Duplicate))?;
    Ok(())
}

/// A failed insert: a unique violation, or something else.
enum InsertError {
    Unique,
    Other(sqlx::Error),
}

impl InsertError {
    fn into_store(self, on_unique: StoreError) -> StoreError {
        match self {
            InsertError::Unique => on_unique,
            InsertError::Other(error) => error.into(),
        }
    }
}

impl From<sqlx::Error> for InsertError {
    fn from(error: sqlx::Error) -> Self {
        if is_unique_violation(&error) { InsertError::Unique } else { InsertError::Other(error) }
    }
}

async fn insert_proofs(connection: &mut SqliteConnection, rows: &[ProofRow<'_>], now: i64) -> Result<(), InsertError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO proofs (y, keyset_id, amount, secret, c, witness, state, quote_id, created_at) ",
        );
        insert.push_values(chunk, |mut row, proof| {
            row.push_bind(&proof.y[..])
                .push_bind(proof.keyset_id.as_str())
                .push_bind(proof.amount)
                .push_bind(proof.secret)
                .push_bind(&proof.c[..])
                .push_bind(proof.witness)
                .push_bind(proof.state)
                .push_bind(proof.quote_id)
                .push_bind(now);
        });
        insert.build().execute(&mut *connection).await?;
    }
    Ok(())
}

async fn insert_signatures(
    connection: &mut SqliteConnection,
    rows: &[SignatureRow<'_>],
    now: i64,
) -> Result<(), InsertError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO blind_signatures (b, amount, keyset_id, c, dleq_e, dleq_s, quote_id, created_at) ",
        );
        insert.push_values(chunk, |mut row, signature| {
            row.push_bind(&signature.b[..])
                .push_bind(signature.amount)
                .push_bind(signature.keyset_id.as_str())
                .push_bind(&signature.c[..])
                .push_bind(&signature.e[..])
                .push_bind(&signature.s[..])
                .push_bind(signature.quote_id)
                .push_bind(now);
        });
        insert.build().execute(&mut *connection).await?;
    }
    Ok(())
}

async fn insert_caches(
    connection: &mut SqliteConnection,
    caches: &[&([u8; 32], String)],
    now: i64,
) -> Result<(), InsertError> {
    for chunk in caches.chunks(ROWS_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Sqlite>::new("INSERT INTO response_cache (key, response, created_at) ");
        insert.push_values(chunk, |mut row, (key, response)| {
            row.push_bind(&key[..]).push_bind(response.as_str()).push_bind(now);
        });
        insert.build().execute(&mut *connection).await?;
    }
    Ok(())
}

/// One request's commit inside the open transaction (the caller rolls it back, or back to its savepoint,
/// if this fails).
async fn apply_one(connection: &mut SqliteConnection, commit: &Commit, now: i64) -> Result<(), StoreError> {
    if let Some(transition) = &commit.quote {
        let (sql, id, preimage) = quote_transition_sql(transition);
        let query = match preimage {
            Some(preimage) => sqlx::query(sql).bind(preimage).bind(id),
            None => sqlx::query(sql).bind(id),
        };
        if query.execute(&mut *connection).await?.rows_affected() != 1 {
            return Err(StoreError::QuoteStateConflict(id.to_owned()));
        }
    }

    match insert_proofs(connection, &proof_rows(commit)?, now).await {
        Ok(()) => {}
        Err(InsertError::Unique) => {
            // A failed statement leaves the transaction open in SQLite: look at what holds the serials
            // (this sees the batch's earlier requests too).
            let ys: Vec<PublicKey> = commit.spend.iter().map(|(y, _)| *y).collect();
            return Err(classify_conflict(&proof_states_on(connection, &ys).await?));
        }
        Err(InsertError::Other(error)) => return Err(error.into()),
    }

    for y in &commit.settle_pending {
        let updated = sqlx::query("UPDATE proofs SET state = 'SPENT' WHERE y = $1 AND state = 'PENDING'")
            .bind(&y.to_bytes()[..])
            .execute(&mut *connection)
            .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Backend(format!("pending proof {y} vanished")));
        }
    }
    for y in &commit.release_pending {
        sqlx::query("DELETE FROM proofs WHERE y = $1 AND state = 'PENDING'")
            .bind(&y.to_bytes()[..])
            .execute(&mut *connection)
            .await?;
    }

    insert_signatures(connection, &signature_rows(commit)?, now)
        .await
        .map_err(|e| e.into_store(StoreError::OutputsAlreadySigned))?;

    if let Some(change) = &commit.account {
        // Guards keep the balance in [0, i64::MAX] (SQLite would turn an overflow into a float).
        let updated = if change.delta < 0 {
            sqlx::query("UPDATE accounts SET balance = balance + $1 WHERE id = $2 AND blocked = 0 AND balance >= -$1")
        } else {
            sqlx::query(
                "UPDATE accounts SET balance = balance + $1 WHERE id = $2 AND balance <= 9223372036854775807 - $1",
            )
        }
        .bind(change.delta)
        .bind(&change.account_id)
        .execute(&mut *connection)
        .await?;
        if updated.rows_affected() != 1 {
            let blocked: Option<i64> = sqlx::query_scalar("SELECT blocked FROM accounts WHERE id = $1")
                .bind(&change.account_id)
                .fetch_optional(&mut *connection)
                .await?;
            return Err(match blocked {
                Some(0) if change.delta < 0 => StoreError::InsufficientFunds,
                Some(0) => StoreError::OutOfRange,
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
        .execute(&mut *connection)
        .await?;
    }

    if let Some(cache) = &commit.cache {
        insert_caches(connection, &[cache], now).await.map_err(|e| e.into_store(StoreError::Duplicate))?;
    }
    Ok(())
}

/// After a unique violation on the spent set: were the serials spent or pending?
pub(super) fn classify_conflict(states: &[StoredProofState]) -> StoreError {
    let pending: Vec<PublicKey> = states.iter().filter(|s| s.state == State::Pending).map(|s| s.y).collect();
    let spent: Vec<PublicKey> = states.iter().filter(|s| s.state == State::Spent).map(|s| s.y).collect();
    if spent.is_empty() && !pending.is_empty() { StoreError::Pending(pending) } else { StoreError::AlreadySpent(spent) }
}

/// States of the given serials, one query per [`ROWS_PER_STATEMENT`] serials.
pub(super) async fn proof_states_on(
    connection: &mut SqliteConnection,
    ys: &[PublicKey],
) -> Result<Vec<StoredProofState>, StoreError> {
    let mut states = Vec::new();
    for chunk in ys.chunks(ROWS_PER_STATEMENT) {
        let mut select = QueryBuilder::<Sqlite>::new("SELECT y, state, witness FROM proofs WHERE y IN (");
        let mut list = select.separated(", ");
        for y in chunk {
            list.push_bind(y.to_bytes().to_vec());
        }
        select.push(")");
        // Lists of every length would fill the statement cache: prepare these afresh.
        for row in select.build().persistent(false).fetch_all(&mut *connection).await? {
            let state = match row.try_get::<&str, _>("state")? {
                "SPENT" => State::Spent,
                "PENDING" => State::Pending,
                other => return Err(corrupt("proof state", other)),
            };
            states.push(StoredProofState {
                y: parse_point(row.try_get::<&[u8], _>("y")?, "serial")?,
                state,
                witness: row.try_get("witness")?,
            });
        }
    }
    Ok(states)
}

/// Signatures issued for the given `B'`, one query per [`ROWS_PER_STATEMENT`] of them.
pub(super) async fn signatures_on(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AccountChange, MintStore, SqliteStore};
    use shared::{Amount, BlindSignature, BlindSignatureDleq, Id, Proof, Secret, SecretKey};

    fn keyset_id() -> Id {
        shared::keyset::MintKeySet::derive(b"writer tests", shared::CurrencyUnit::Sat, 0, 1, 0, None).unwrap().id
    }

    fn point() -> PublicKey {
        SecretKey::random().unwrap().public_key()
    }

    fn spend() -> (PublicKey, Proof) {
        let proof = Proof {
            amount: Amount::from_u64(1),
            keyset_id: keyset_id(),
            secret: Secret::generate().unwrap(),
            c: point(),
            witness: None,
            dleq: None,
        };
        (proof.y().unwrap(), proof)
    }

    fn signature() -> (PublicKey, BlindSignature) {
        let dleq = BlindSignatureDleq { e: SecretKey::random().unwrap(), s: SecretKey::random().unwrap() };
        (point(), BlindSignature { amount: Amount::from_u64(1), keyset_id: keyset_id(), c: point(), dleq: Some(dleq) })
    }

    fn swap(input: (PublicKey, Proof), key: u8) -> Commit {
        Commit {
            spend: vec![input],
            signatures: vec![signature()],
            cache: Some(([key; 32], format!("response {key}"))),
            ..Commit::default()
        }
    }

    fn job(commit: Commit) -> Job {
        Job { commit, reply: oneshot::channel().0 }
    }

    async fn store_and_writer_connection(dir: &std::path::Path) -> (SqliteStore, SqliteConnection) {
        let path = dir.join("mint.sqlite");
        let store = SqliteStore::open(&path).await.unwrap();
        let connection = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path)).await.unwrap();
        (store, connection)
    }

    /// One batch: two fresh swaps, a double spend of a note spent earlier, a second presentation of a note
    /// spent earlier in the same batch, and a reused output. Only the failing requests are rolled back.
    #[tokio::test]
    async fn a_failing_request_rolls_back_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut connection) = store_and_writer_connection(dir.path()).await;
        let spent_before = spend();
        store.commit(&swap(spent_before.clone(), 1)).await.unwrap();

        let (fresh_a, fresh_b, shared_note) = (spend(), spend(), spend());
        let reused_output = swap(spend(), 6);
        let jobs = vec![
            job(swap(fresh_a.clone(), 2)),
            job(swap(spent_before.clone(), 3)),
            job(swap(shared_note.clone(), 4)),
            job(swap(shared_note.clone(), 5)),
            job(Commit { signatures: reused_output.signatures.clone(), ..swap(spend(), 7) }),
            job(reused_output.clone()),
            job(swap(fresh_b.clone(), 8)),
        ];
        // The sixth job signs an output the fifth signed in the same batch: apply in this order.
        let outcomes = apply_batch(&mut connection, &jobs).await;
        let verdicts: Vec<String> = outcomes
            .iter()
            .map(|o| match o {
                Ok(()) => "ok".to_owned(),
                Err(StoreError::AlreadySpent(ys)) => format!("spent {}", ys.len()),
                Err(other) => format!("{other:?}"),
            })
            .collect();
        assert_eq!(verdicts, ["ok", "spent 1", "ok", "spent 1", "ok", "OutputsAlreadySigned", "ok"]);

        // Committed: the successful requests' spends, signatures and cached responses; nothing of the others.
        let ys = [fresh_a.0, fresh_b.0, shared_note.0, reused_output.spend[0].0];
        let states = store.proof_states(&ys).await.unwrap();
        assert_eq!(states.len(), 3, "the reused-output request's input must not be spent: {states:?}");
        assert!(states.iter().all(|s| s.state == State::Spent && s.y != reused_output.spend[0].0));
        for (key, expected) in [(2, true), (3, false), (4, true), (5, false), (6, false), (7, true), (8, true)] {
            assert_eq!(store.cached_response(&[key; 32]).await.unwrap().is_some(), expected, "cache entry {key}");
        }
        let signed = store.signatures(&[jobs[0].commit.signatures[0].0, jobs[1].commit.signatures[0].0]).await.unwrap();
        assert_eq!(signed.len(), 1, "the double spend's output must not be signed");
    }

    /// A batch of plain commits that all succeed goes through the multi-row path; the result is the same.
    #[tokio::test]
    async fn a_batch_of_plain_commits_is_applied_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut connection) = store_and_writer_connection(dir.path()).await;
        let inputs: Vec<_> = (0..MAX_BATCH).map(|_| spend()).collect();
        let jobs: Vec<Job> = inputs.iter().enumerate().map(|(i, input)| job(swap(input.clone(), i as u8))).collect();
        assert!(apply_batch(&mut connection, &jobs).await.iter().all(Result::is_ok));
        let ys: Vec<PublicKey> = inputs.iter().map(|(y, _)| *y).collect();
        assert_eq!(store.proof_states(&ys).await.unwrap().len(), MAX_BATCH);
        let outputs: Vec<PublicKey> = jobs.iter().map(|j| j.commit.signatures[0].0).collect();
        assert_eq!(store.signatures(&outputs).await.unwrap().len(), MAX_BATCH);
    }

    /// A batch mixing a plain commit with an account change that overdraws: the overdraft fails alone.
    #[tokio::test]
    async fn an_overdraft_in_a_batch_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut connection) = store_and_writer_connection(dir.path()).await;
        let account = crate::store::Account {
            id: "acc".into(),
            pubkey: point(),
            unit: shared::CurrencyUnit::Sat,
            balance: Amount::ZERO,
            blocked: false,
        };
        store.add_account(&account).await.unwrap();
        let change = |delta| Commit {
            account: Some(AccountChange { account_id: "acc".into(), delta, reason: "t".into(), reference: None }),
            ..Commit::default()
        };
        let input = spend();
        let jobs = vec![job(change(5)), job(change(-6)), job(swap(input.clone(), 9)), job(change(-5))];
        let outcomes = apply_batch(&mut connection, &jobs).await;
        assert!(outcomes[0].is_ok() && outcomes[2].is_ok() && outcomes[3].is_ok());
        assert!(matches!(outcomes[1], Err(StoreError::InsufficientFunds)));
        assert_eq!(store.account("acc").await.unwrap().unwrap().balance, Amount::ZERO);
        assert_eq!(store.proof_states(&[input.0]).await.unwrap().len(), 1);
    }

    /// Answers wait for the fsync of the write-ahead log: when that fsync cannot be done (here: the log
    /// path names a missing file), a request that was applied is still answered with an error, never with
    /// success, because its durability is unknown.
    #[tokio::test]
    async fn answers_wait_for_the_log_to_be_durable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mint.sqlite");
        let store = SqliteStore::open(&path).await.unwrap();
        let options = SqliteConnectOptions::new().filename(&path);
        let good = Writer::start(options.clone(), dir.path().join("mint.sqlite-wal")).await.unwrap();
        good.commit(swap(spend(), 1)).await.unwrap();
        let broken = Writer::start(options, dir.path().join("missing-wal")).await.unwrap();
        let input = spend();
        let outcome = broken.commit(swap(input.clone(), 2)).await;
        assert!(matches!(&outcome, Err(StoreError::Backend(text)) if text.contains("write-ahead log")), "{outcome:?}");
        // It was applied nonetheless: a retry finds the note spent (and NUT-19 would answer from the cache).
        assert_eq!(store.proof_states(&[input.0]).await.unwrap().len(), 1);
        drop(store);
    }
}
