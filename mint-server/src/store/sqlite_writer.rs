//! Group commit for SQLite: one writer thread owns one connection and applies the commits of many requests
//! in one transaction.
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
//! - answers are sent only after the batch's `COMMIT` succeeded and a later fsync of the write-ahead log
//!   finished (a crash before it loses only requests that nobody was told about); if the `COMMIT` fails,
//!   every request of the batch gets an error and none of the batch was applied. The fsync is done by a
//!   second thread, the syncer (the writer's connection is `synchronous = NORMAL`, which skips the fsync at
//!   `COMMIT`), so the writer applies the next batch while the disk syncs, and one fsync answers every batch
//!   applied before it began. Refusals wait for the fsync too: they may rest on an earlier batch's effects.
//!
//! The writer is a plain thread with a synchronous connection (rusqlite), not an async task: a batch's
//! statements run back to back without a hand-off per statement, so neither the batch nor the write lock
//! waits for an async worker that is busy verifying and signing other requests. Only the queue (a Tokio
//! channel, so requests wait for room without blocking a worker) and the answers (one-shot channels) cross
//! between the threads.
//!
//! Checkpoints (copying the log into the database file, then an fsync of that file) are not done by the
//! writer, whose batches would wait for them: with a log of thousands of pages a checkpoint takes tens of
//! milliseconds, long enough for every request in flight to pile up behind the writer while the cores idle
//! (measured: without checkpoints during a run the machine is 91 to 95% busy at 64 clients, with them 82 to
//! 89%). The writer's connection has `wal_autocheckpoint = 0`; every [`CHECKPOINT_AFTER_ROWS`] rows it asks
//! a third thread, the checkpointer, for a `PASSIVE` checkpoint on a connection of its own, which copies the
//! log while the writer goes on appending. A log starts over from its beginning only if a checkpoint has
//! copied all of it when the next write transaction begins, which a checkpoint racing the writer never
//! achieves; so once the log has grown past [`RESTART_LOG_PAGES`], the writer, between two batches,
//! checkpoints the pages appended since the checkpointer's run itself (a stall of 10 to 60 ms, once
//! per twenty thousand swaps or so), and its next transaction reuses the log from the start.
//!
//! Commit delay: each transaction costs a fixed amount of CPU besides its rows (SQLite's end-of-transaction
//! work, the log's page headers and the B-trees' interior pages written once per transaction, one fsync and
//! the thread wake-ups around it; measured with `loadgen`'s storage-only ceiling, about 160 µs per
//! transaction against 45 µs per swap's rows), so under load fewer, larger batches leave more of the cores
//! to the crypto. When many connections are open (at least [`BUSY_TASKS`] tasks alive on the mint's
//! runtime: one per connection) and another request is still verifying and signing (it announced itself
//! with a [`CommitIntent`]), the writer lets the batch grow for up to the commit delay, looking again every
//! [`DELAY_SLICE`] and committing as soon as nobody is preparing. A lone request, or a handful of clients,
//! never waits: with few clients a delay would leave the cores idle while everybody waits for the batch.
//! This is PostgreSQL's `commit_delay`/`commit_siblings`, with the siblings counted exactly.
//!
//! A request's outcome is the same as with one transaction per request: the batch is a serial order of its
//! requests, and later requests see the effects of earlier ones (the second presentation of a note in one
//! batch finds it spent).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use shared::PublicKey;
use tokio::sync::{mpsc, oneshot};

use super::sql::{classify_conflict, proof_rows, quote_transition_sql, signature_rows, stored_proof_state};
use super::{Commit, CommitIntent, StoreError, StoredProofState, unix_now};

/// Most commits applied in one transaction.
pub(super) const MAX_BATCH: usize = 128;

/// Tasks alive on the mint's runtime (each open connection is one) from which on the commit delay applies.
const BUSY_TASKS: usize = 32;

/// How often a delayed batch looks whether requests are still preparing.
const DELAY_SLICE: Duration = Duration::from_micros(500);

/// How long a statement waits for another connection's write lock (the pool's occasional writes, another
/// process) before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Rows written between checkpoints (copies of the write-ahead log into the database file). A swap writes
/// two rows into two random-keyed B-trees, about two log pages, so this is a log of roughly 12 MB: a page
/// that several batches change is copied once per checkpoint.
const CHECKPOINT_AFTER_ROWS: usize = 1500;

/// Log pages (4 KiB each) past which the writer catches up with the checkpointer so that the log starts over
/// from its beginning (see the module documentation): a 256 MiB log at most, give or take a checkpoint. Each
/// catch-up stalls the writer for 10 to 60 ms (longer as the database grows), so it should be rare: with
/// 64 MiB there were 24 of them in 20 s at 64 clients, the machine was 95 to 97% busy and the p99 latency
/// 45 to 66 ms; with 256 MiB 5, 97 to 99% and 26 to 30 ms.
const RESTART_LOG_PAGES: i64 = 65_536;

/// The writer's page cache in KiB: SQLite's default, 2 MiB. It holds the B-trees' interior pages; the leaves
/// that random keys land on are mostly read back from the operating system's cache, which costs less than
/// a large cache does here. When a transaction splits a B-tree page, SQLite briefly gives a page the number
/// just past the 1 GiB lock byte, and at the end of such a transaction (nearly every batch) it scans its
/// whole page cache for pages past the end of the file. With a 64 MiB cache that scan was 37% of the
/// writer's CPU once the database held a few hundred thousand notes (perf), and the writer's CPU per swap
/// grew with the database; with 2 MiB it stays flat (measured at 64 clients on a growing database: writer
/// 44, 55, 73 µs per swap with 64 MiB; 47, 50, 47 µs with 2 MiB).
const WRITER_CACHE_KIB: u32 = 2 * 1024;

/// A commit waiting for the writer, and where its outcome goes.
struct Job {
    commit: Commit,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

/// The handle requests use to reach the writer thread. Cloning is cheap; the threads stop when the last
/// handle is dropped.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
    /// Requests that announced a commit and have not sent it yet.
    preparing: Arc<AtomicUsize>,
}

fn stopped() -> StoreError {
    StoreError::Backend("the SQLite writer has stopped".into())
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Backend(error.to_string())
    }
}

impl Writer {
    /// Open the writer's own connection to `path` (an existing, migrated database in WAL mode whose
    /// write-ahead log is the file `wal`) and start the writer and syncer threads. `commit_delay`: see the
    /// module documentation (it needs to be started on the mint's Tokio runtime to apply).
    pub(super) fn start(path: &Path, wal: PathBuf, commit_delay: Duration) -> Result<Self, StoreError> {
        let policy = CheckpointPolicy { after_rows: CHECKPOINT_AFTER_ROWS, restart_log_pages: RESTART_LOG_PAGES };
        Self::start_with(path, wal, commit_delay, policy)
    }

    /// [`Writer::start`] with another checkpoint policy (tests use small ones).
    fn start_with(
        path: &Path,
        wal: PathBuf,
        commit_delay: Duration,
        policy: CheckpointPolicy,
    ) -> Result<Self, StoreError> {
        let connection = open_connection(path)?;
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        let (applied, to_sync) = std_mpsc::channel();
        let preparing = Arc::new(AtomicUsize::new(0));
        let delay = Delay {
            max: commit_delay,
            preparing: Arc::clone(&preparing),
            runtime: tokio::runtime::Handle::try_current().ok(),
        };
        let spawn_failed = |e: std::io::Error| StoreError::Backend(format!("cannot start the SQLite writer: {e}"));
        let checkpoints = Checkpoints::start(path, policy)?;
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(connection, queue, delay, checkpoints, applied))
            .map_err(spawn_failed)?;
        std::thread::Builder::new()
            .name("sqlite-syncer".into())
            .spawn(move || sync_and_answer(&wal, to_sync))
            .map_err(spawn_failed)?;
        Ok(Writer { jobs, preparing })
    }

    /// Announce a commit that this request will send soon.
    pub(super) fn intend(&self) -> CommitIntent {
        CommitIntent::announce(&self.preparing)
    }

    /// Apply `commit` in the writer's next batch; returns once that batch is durable (or failed).
    pub(super) async fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        let (reply, outcome) = oneshot::channel();
        self.jobs.send(Job { commit, reply }).await.map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

/// The writer's connection. `synchronous = NORMAL` on this connection only: its commits reach the log
/// without an fsync, and the syncer makes the log durable (fsync of the WAL file) before any answer of the
/// batch is sent. Checkpoints still sync the log and the database file (NORMAL does), so the log is only
/// reused once its content is durable in the database file.
fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(format!("the SQLite database is in journal mode {mode}, not WAL")));
    }
    connection.execute_batch(&format!(
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0; \
         PRAGMA cache_size = -{WRITER_CACHE_KIB};"
    ))?;
    connection.set_prepared_statement_cache_capacity(32);
    Ok(connection)
}

/// A batch that has been applied, with the outcome for each of its requests, waiting for the log's fsync.
type Applied = Vec<(Job, Result<(), StoreError>)>;

/// When the writer lets a batch grow (see the module documentation).
struct Delay {
    /// Longest delay after the batch's first request.
    max: Duration,
    /// Requests that announced a commit and have not sent it yet.
    preparing: Arc<AtomicUsize>,
    /// The mint's runtime, whose alive tasks tell how many connections are open.
    runtime: Option<tokio::runtime::Handle>,
}

impl Delay {
    /// Is the mint busy enough, and is somebody still on the way?
    fn worth_waiting(&self) -> bool {
        self.preparing.load(Ordering::Acquire) > 0
            && self.runtime.as_ref().is_some_and(|runtime| runtime.metrics().num_alive_tasks() >= BUSY_TASKS)
    }

    /// Let `batch` (which holds what was queued) grow while that is worth it, up to the delay after `first`.
    fn fill(&self, first: Instant, queue: &mut mpsc::Receiver<Job>, batch: &mut Vec<Job>) {
        while batch.len() < MAX_BATCH && self.worth_waiting() {
            let left = self.max.saturating_sub(first.elapsed());
            if left.is_zero() {
                break;
            }
            // A plain sleep: the writer is not woken by each arriving request, only every slice.
            std::thread::sleep(left.min(DELAY_SLICE));
            take_queued(queue, batch);
        }
    }
}

/// Move what is queued into `batch`, up to [`MAX_BATCH`].
fn take_queued(queue: &mut mpsc::Receiver<Job>, batch: &mut Vec<Job>) {
    while batch.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
}

/// When checkpoints happen: [`CHECKPOINT_AFTER_ROWS`] and [`RESTART_LOG_PAGES`] unless a test says otherwise.
#[derive(Debug, Clone, Copy)]
struct CheckpointPolicy {
    /// The writer asks the checkpointer for a run after this many rows.
    after_rows: usize,
    /// The writer catches up once the log is this long (pages).
    restart_log_pages: i64,
}

/// The checkpointer thread and the writer's side of it (see the module documentation).
struct Checkpoints {
    policy: CheckpointPolicy,
    /// Asks the checkpointer for a run; holds at most one request.
    request: std_mpsc::SyncSender<()>,
    /// Set by the checkpointer after a run that left a log longer than the policy's restart length: the
    /// writer catches up.
    catch_up: Arc<AtomicBool>,
    /// Rows the writer wrote since it last asked.
    rows: usize,
}

impl Checkpoints {
    fn start(path: &Path, policy: CheckpointPolicy) -> Result<Self, StoreError> {
        let connection = Connection::open(path)?;
        let (request, requests) = std_mpsc::sync_channel(1);
        let catch_up = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&catch_up);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                // Ends when the writer drops its end.
                while requests.recv().is_ok() {
                    if checkpoint(&connection, "checkpointer").is_some_and(|log| log >= policy.restart_log_pages) {
                        flag.store(true, Ordering::Release);
                    }
                }
            })
            .map_err(|e| StoreError::Backend(format!("cannot start the SQLite checkpointer: {e}")))?;
        Ok(Checkpoints { policy, request, catch_up, rows: 0 })
    }

    /// After a batch that wrote `rows` rows: ask for a checkpoint when enough rows were written, and catch
    /// up when the log has grown long.
    fn after_batch(&mut self, connection: &Connection, rows: usize) {
        self.rows += rows;
        if self.rows >= self.policy.after_rows && self.request.try_send(()).is_ok() {
            self.rows = 0;
        }
        if self.catch_up.swap(false, Ordering::AcqRel) {
            checkpoint(connection, "writer");
        }
    }
}

/// A `PASSIVE` checkpoint on `connection` (it never waits for other connections). Returns the log's length
/// in pages. Failures are logged: the log then grows until a later checkpoint succeeds; nothing is lost.
fn checkpoint(connection: &Connection, who: &str) -> Option<i64> {
    let started = Instant::now();
    let outcome = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
    });
    match outcome {
        Ok((busy, log, copied)) => {
            let micros = started.elapsed().as_micros();
            tracing::debug!(who, busy, log_pages = log, copied_pages = copied, micros, "SQLite checkpoint");
            Some(log)
        }
        Err(error) => {
            tracing::warn!(who, %error, "SQLite checkpoint failed");
            None
        }
    }
}

/// The writer thread: take what is queued (up to [`MAX_BATCH`], and under load what arrives during the commit
/// delay), apply it as one transaction, hand the outcomes to the syncer, go on with the next batch while the
/// log is synced, and keep the log checkpointed ([`Checkpoints`]).
fn run(
    mut connection: Connection,
    mut queue: mpsc::Receiver<Job>,
    delay: Delay,
    mut checkpoints: Checkpoints,
    applied: std_mpsc::Sender<Applied>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.blocking_recv() {
        let arrived = Instant::now();
        batch.push(first);
        take_queued(&mut queue, &mut batch);
        delay.fill(arrived, &mut queue, &mut batch);
        let commits: Vec<&Commit> = batch.iter().map(|job| &job.commit).collect();
        let outcomes = apply_batch(&mut connection, &commits, unix_now());
        let rows = commits.iter().map(|commit| commit.spend.len() + commit.signatures.len()).sum();
        let done: Applied = batch.drain(..).zip(outcomes).collect();
        if applied.send(done).is_err() {
            break;
        }
        checkpoints.after_batch(&connection, rows);
    }
}

/// The syncer thread: fsync the write-ahead log, then answer every batch applied before the fsync began. One
/// fsync covers all batches that are waiting, so the writer never waits for the disk.
fn sync_and_answer(wal: &Path, applied: std_mpsc::Receiver<Applied>) {
    let mut waiting = Vec::new();
    while let Ok(first) = applied.recv() {
        waiting.push(first);
        waiting.extend(applied.try_iter());
        let synced = std::fs::File::open(wal).and_then(|log| log.sync_data());
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

/// One transaction for all of `commits`. Returns one outcome per commit, in order.
fn apply_batch(connection: &mut Connection, commits: &[&Commit], now: i64) -> Vec<Result<(), StoreError>> {
    let all_fail = |error: rusqlite::Error| {
        let text = error.to_string();
        commits.iter().map(|_| Err(StoreError::Backend(text.clone()))).collect()
    };
    // IMMEDIATE takes the write lock now (waiting in the busy handler if another connection holds it), so no
    // statement later has to upgrade a read snapshot.
    if let Err(error) = connection.execute_batch("BEGIN IMMEDIATE") {
        return all_fail(error);
    }
    let outcomes = if let [commit] = commits {
        // Alone in its batch: the transaction is the request's, no savepoint needed.
        vec![apply_one(connection, commit, now)]
    } else {
        match apply_each(connection, commits, now) {
            Ok(outcomes) => outcomes,
            Err(error) => {
                let _ = connection.execute_batch("ROLLBACK");
                return all_fail(error);
            }
        }
    };
    if outcomes.iter().all(Result::is_err) {
        // Nothing to keep (and for a lone request, its failed statements must not be committed).
        return match connection.execute_batch("ROLLBACK") {
            Ok(()) => outcomes,
            Err(error) => all_fail(error),
        };
    }
    match connection.execute_batch("COMMIT") {
        Ok(()) => outcomes,
        Err(error) => {
            // Make sure the connection is out of the transaction before the next batch.
            let _ = connection.execute_batch("ROLLBACK");
            all_fail(error)
        }
    }
}

/// Each commit inside the open transaction, in its own savepoint. The outer error means the transaction
/// itself is in doubt (a savepoint statement failed): the caller rolls everything back.
fn apply_each(
    connection: &mut Connection,
    commits: &[&Commit],
    now: i64,
) -> Result<Vec<Result<(), StoreError>>, rusqlite::Error> {
    let mut outcomes = Vec::with_capacity(commits.len());
    for commit in commits {
        connection.prepare_cached("SAVEPOINT one")?.execute([])?;
        let result = apply_one(connection, commit, now);
        if result.is_err() {
            connection.prepare_cached("ROLLBACK TO one")?.execute([])?;
        }
        connection.prepare_cached("RELEASE one")?.execute([])?;
        outcomes.push(result);
    }
    Ok(outcomes)
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

/// One request's commit inside the open transaction (the caller rolls it back, or back to its savepoint,
/// if this fails).
fn apply_one(connection: &Connection, commit: &Commit, now: i64) -> Result<(), StoreError> {
    if let Some(transition) = &commit.quote {
        let (sql, id, preimage) = quote_transition_sql(transition);
        let mut statement = connection.prepare_cached(sql)?;
        let updated = match preimage {
            Some(preimage) => statement.execute(params![preimage, id])?,
            None => statement.execute(params![id])?,
        };
        if updated != 1 {
            return Err(StoreError::QuoteStateConflict(id.to_owned()));
        }
    }

    let mut insert = connection.prepare_cached(
        "INSERT INTO proofs (y, keyset_id, amount, secret, c, witness, state, quote_id, request_key, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )?;
    for proof in proof_rows(commit)? {
        let inserted = insert.execute(params![
            &proof.y[..],
            proof.keyset_id,
            proof.amount,
            proof.secret,
            &proof.c[..],
            proof.witness,
            proof.state,
            proof.quote_id,
            proof.request,
            now
        ]);
        if let Err(error) = inserted {
            if !is_unique_violation(&error) {
                return Err(error.into());
            }
            // A failed statement leaves the transaction open in SQLite: look at what holds the serials (this
            // sees the batch's earlier requests too).
            let ys: Vec<PublicKey> = commit.spend.iter().map(|(y, _)| *y).collect();
            return Err(classify_conflict(&proof_states(connection, &ys)?));
        }
    }

    for y in &commit.settle_pending {
        let updated = connection
            .prepare_cached("UPDATE proofs SET state = 'SPENT' WHERE y = $1 AND state = 'PENDING'")?
            .execute(params![&y.to_bytes()[..]])?;
        if updated != 1 {
            return Err(StoreError::Backend(format!("pending proof {y} vanished")));
        }
    }
    for y in &commit.release_pending {
        connection
            .prepare_cached("DELETE FROM proofs WHERE y = $1 AND state = 'PENDING'")?
            .execute(params![&y.to_bytes()[..]])?;
    }

    let mut insert = connection.prepare_cached(
        "INSERT INTO blind_signatures (b, amount, keyset_id, c, dleq_e, dleq_s, quote_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )?;
    for signature in signature_rows(commit)? {
        let inserted = insert.execute(params![
            &signature.b[..],
            signature.amount,
            signature.keyset_id,
            &signature.c[..],
            &signature.e[..],
            &signature.s[..],
            signature.quote_id,
            now
        ]);
        unique_or(inserted, || StoreError::OutputsAlreadySigned)?;
    }

    if let Some(change) = &commit.account {
        // Guards keep the balance in [0, i64::MAX] (SQLite would turn an overflow into a float).
        let sql = if change.delta < 0 {
            "UPDATE accounts SET balance = balance + $1 WHERE id = $2 AND blocked = 0 AND balance >= -$1"
        } else {
            "UPDATE accounts SET balance = balance + $1 WHERE id = $2 AND balance <= 9223372036854775807 - $1"
        };
        let updated = connection.prepare_cached(sql)?.execute(params![change.delta, change.account_id])?;
        if updated != 1 {
            let blocked: Option<i64> = connection
                .prepare_cached("SELECT blocked FROM accounts WHERE id = $1")?
                .query_row(params![change.account_id], |row| row.get(0))
                .optional()?;
            return Err(match blocked {
                Some(0) if change.delta < 0 => StoreError::InsufficientFunds,
                Some(0) => StoreError::OutOfRange,
                _ => StoreError::UnknownAccount,
            });
        }
        connection
            .prepare_cached(
                "INSERT INTO account_entries (account_id, delta, reason, reference, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )?
            .execute(params![change.account_id, change.delta, change.reason, change.reference, now])?;
    }

    if let Some((key, response)) = &commit.cache {
        let inserted = connection
            .prepare_cached("INSERT INTO response_cache (key, response, created_at) VALUES ($1, $2, $3)")?
            .execute(params![&key[..], response, now]);
        unique_or(inserted, || StoreError::Duplicate)?;
    }
    Ok(())
}

/// States of the given serials as this connection sees them (inside the open transaction).
fn proof_states(connection: &Connection, ys: &[PublicKey]) -> Result<Vec<StoredProofState>, StoreError> {
    let mut select = connection.prepare_cached("SELECT state, witness, request_key FROM proofs WHERE y = $1")?;
    let mut states = Vec::new();
    for y in ys {
        let row = select
            .query_row(params![&y.to_bytes()[..]], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?, row.get::<_, Option<Vec<u8>>>(2)?))
            })
            .optional()?;
        if let Some((state, witness, request)) = row {
            states.push(stored_proof_state(*y, &state, witness, request)?);
        }
    }
    Ok(states)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AccountChange, MintStore, SqliteStore};
    use shared::nuts::State;
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

    async fn store_and_writer_connection(dir: &std::path::Path) -> (SqliteStore, Connection) {
        let path = dir.join("mint.sqlite");
        let store = SqliteStore::open(&path).await.unwrap();
        (store, open_connection(&path).unwrap())
    }

    fn apply(connection: &mut Connection, commits: &[Commit]) -> Vec<Result<(), StoreError>> {
        apply_batch(connection, &commits.iter().collect::<Vec<_>>(), unix_now())
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
        let commits = vec![
            swap(fresh_a.clone(), 2),
            swap(spent_before.clone(), 3),
            swap(shared_note.clone(), 4),
            swap(shared_note.clone(), 5),
            Commit { signatures: reused_output.signatures.clone(), ..swap(spend(), 7) },
            reused_output.clone(),
            swap(fresh_b.clone(), 8),
        ];
        // The sixth commit signs an output the fifth signed in the same batch: apply in this order.
        let outcomes = apply(&mut connection, &commits);
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
        let signed = store.signatures(&[commits[0].signatures[0].0, commits[1].signatures[0].0]).await.unwrap();
        assert_eq!(signed.len(), 1, "the double spend's output must not be signed");
    }

    /// A full batch of commits that all succeed is applied whole.
    #[tokio::test]
    async fn a_full_batch_is_applied_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut connection) = store_and_writer_connection(dir.path()).await;
        let inputs: Vec<_> = (0..MAX_BATCH).map(|_| spend()).collect();
        let commits: Vec<Commit> = inputs.iter().enumerate().map(|(i, input)| swap(input.clone(), i as u8)).collect();
        assert!(apply(&mut connection, &commits).iter().all(Result::is_ok));
        let ys: Vec<PublicKey> = inputs.iter().map(|(y, _)| *y).collect();
        assert_eq!(store.proof_states(&ys).await.unwrap().len(), MAX_BATCH);
        let outputs: Vec<PublicKey> = commits.iter().map(|c| c.signatures[0].0).collect();
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
        let commits = vec![change(5), change(-6), swap(input.clone(), 9), change(-5)];
        let outcomes = apply(&mut connection, &commits);
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
        let good = Writer::start(&path, dir.path().join("mint.sqlite-wal"), Duration::ZERO).unwrap();
        good.commit(swap(spend(), 1)).await.unwrap();
        let broken = Writer::start(&path, dir.path().join("missing-wal"), Duration::ZERO).unwrap();
        let input = spend();
        let outcome = broken.commit(swap(input.clone(), 2)).await;
        assert!(matches!(&outcome, Err(StoreError::Backend(text)) if text.contains("write-ahead log")), "{outcome:?}");
        // It was applied nonetheless: a retry finds the note spent (and NUT-19 would answer from the cache).
        assert_eq!(store.proof_states(&[input.0]).await.unwrap().len(), 1);
        drop(store);
    }

    /// Writer with a long commit delay on a fresh database, and `tasks` idle tasks alive on the runtime (as
    /// if that many connections were open).
    async fn delayed_writer(dir: &std::path::Path, tasks: usize) -> (SqliteStore, Writer) {
        let path = dir.join("mint.sqlite");
        let store = SqliteStore::open(&path).await.unwrap();
        for _ in 0..tasks {
            tokio::spawn(std::future::pending::<()>());
        }
        let writer = Writer::start(&path, dir.join("mint.sqlite-wal"), Duration::from_secs(3)).unwrap();
        (store, writer)
    }

    /// Under load (many connections), a batch waits for a request that is still preparing, and is committed
    /// as soon as nobody is preparing any more, with what arrived meanwhile.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_busy_batch_waits_for_requests_still_preparing() {
        let dir = tempfile::tempdir().unwrap();
        let (store, writer) = delayed_writer(dir.path(), BUSY_TASKS).await;
        let intent = writer.intend();
        let (first, second) = (spend(), spend());
        let early = tokio::spawn({
            let (writer, commit) = (writer.clone(), swap(first.clone(), 1));
            async move { writer.commit(commit).await }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!early.is_finished(), "the batch must wait while a request is preparing");
        // The request that was preparing sends its commit, then withdraws its intent.
        let late = tokio::spawn({
            let (writer, commit) = (writer.clone(), swap(second.clone(), 2));
            async move { writer.commit(commit).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(intent);
        let waited = Instant::now();
        early.await.unwrap().unwrap();
        late.await.unwrap().unwrap();
        assert!(waited.elapsed() < Duration::from_secs(2), "committed long before the delay ran out");
        assert_eq!(store.proof_states(&[first.0, second.0]).await.unwrap().len(), 2);
    }

    /// A lone request is never delayed: nobody else is preparing, however many connections are open.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lone_request_is_not_delayed() {
        let dir = tempfile::tempdir().unwrap();
        let (_store, busy) = delayed_writer(dir.path(), BUSY_TASKS).await;
        let started = Instant::now();
        busy.commit(swap(spend(), 1)).await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(2), "a lone request waited for the delay");
    }

    /// Nor are the requests of a mint with few connections, even while another request is preparing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_quiet_mint_is_not_delayed() {
        let dir = tempfile::tempdir().unwrap();
        let (_store, quiet) = delayed_writer(dir.path(), 0).await;
        let _intent = quiet.intend();
        let started = Instant::now();
        quiet.commit(swap(spend(), 2)).await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(2), "a quiet mint delayed its batch");
    }

    /// The log is copied into the database file by the checkpointer and starts over once it is long: after
    /// many more log pages than the restart length were written, the log file is still short, and every
    /// row is there.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_is_checkpointed_and_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mint.sqlite");
        let wal = dir.path().join("mint.sqlite-wal");
        let store = SqliteStore::open(&path).await.unwrap();
        let policy = CheckpointPolicy { after_rows: 40, restart_log_pages: 100 };
        let writer = Writer::start_with(&path, wal.clone(), Duration::ZERO, policy).unwrap();
        let database_before = std::fs::metadata(&path).unwrap().len();
        // 16 requests at a time keep the writer busy, so the checkpointer's runs never catch up with it on their
        // own: the writer has to.
        let inputs: Vec<_> = (0..1600).map(|_| spend()).collect();
        let ys: Vec<PublicKey> = inputs.iter().map(|(y, _)| *y).collect();
        let mut tasks = tokio::task::JoinSet::new();
        for chunk in inputs.chunks(100) {
            let (writer, chunk) = (writer.clone(), chunk.to_vec());
            tasks.spawn(async move {
                for input in chunk {
                    writer.commit(Commit { cache: None, ..swap(input, 0) }).await.unwrap();
                }
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
        let log = std::fs::metadata(&wal).unwrap().len();
        // Over 3,200 rows in random places of two B-trees, thousands of log pages; a log that never started
        // over would hold them all.
        assert!(log < 1_500_000, "the log did not start over: {log} bytes");
        assert!(std::fs::metadata(&path).unwrap().len() > database_before, "nothing was checkpointed");
        assert_eq!(store.proof_states(&ys).await.unwrap().len(), ys.len());
    }
}
