//! Group commit: one writer thread owns one connection and applies the commits of many requests in one
//! transaction.
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
//!   finished (`syncer.rs`; a crash before it loses only requests that nobody was told about); if the
//!   `COMMIT` fails, every request of the batch gets an error and none of the batch was applied. The one
//!   exception, creating an unpaid quote ([`Commit::may_answer_before_durable`]), is answered right after
//!   the `COMMIT`: quote creation, the cheapest write a client can ask for, never waits for an fsync.
//!
//! The writer is a plain thread with a synchronous connection (rusqlite), not an async task: a batch's
//! statements run back to back without a hand-off per statement, so neither the batch nor the write lock
//! waits for an async worker that is busy verifying and signing other requests. Only the queue (a Tokio
//! channel, so requests wait for room without blocking a worker) and the answers (one-shot channels) cross
//! between the threads. Checkpoints are another thread's job (`checkpointer.rs`).
//!
//! Commit delay: each transaction costs a fixed amount of CPU besides its rows, so under load fewer, larger
//! batches leave more of the cores to the crypto. When many connections are open (at least [`BUSY_TASKS`]
//! tasks alive on the mint's runtime: one per connection) and another request is still verifying and
//! signing (it announced itself with a [`CommitIntent`]), the writer lets the batch grow for up to the
//! commit delay, looking again every [`DELAY_SLICE`] and committing as soon as nobody is preparing. A lone
//! request, or a handful of clients, never waits: with few clients a delay would leave the cores idle while
//! everybody waits for the batch. This is PostgreSQL's `commit_delay`/`commit_siblings`, with the siblings
//! counted exactly.
//!
//! A request's outcome is the same as with one transaction per request: the batch is a serial order of its
//! requests, and later requests see the effects of earlier ones (the second presentation of a note in one
//! batch finds it spent).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot, watch};

use super::checkpointer::{CheckpointPolicy, Checkpoints};
use super::syncer::{Durable, sync_and_answer};
use super::{Applied, FaultInjection, Job, commit};
use crate::store::health::{Health, ThreadWatch, Unhealthy};
use crate::store::{Commit, CommitIntent, StoreError, StoreMetrics, unix_now};

/// Most commits applied in one transaction.
pub(super) const MAX_BATCH: usize = 128;

/// Tasks alive on the mint's runtime (each open connection is one) from which on the commit delay applies.
pub(super) const BUSY_TASKS: usize = 32;

/// How often a delayed batch looks whether requests are still preparing.
const DELAY_SLICE: Duration = Duration::from_micros(500);

/// How long a statement waits for another connection's write lock (the pool's occasional writes, another
/// process) before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The writer's page cache in KiB: SQLite's default, 2 MiB. It holds the B-trees' interior pages; the leaves
/// that random keys land on are mostly read back from the operating system's cache. A larger cache costs
/// more than it saves: at the end of nearly every batch SQLite scans the whole cache (see
/// `docs/benchmarks.md`).
const WRITER_CACHE_KIB: u32 = 2 * 1024;

/// The handle requests use to reach the writer thread. Cloning is cheap; the threads stop when the last
/// handle is dropped.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
    /// Requests that announced a commit and have not sent it yet.
    preparing: Arc<AtomicUsize>,
    /// How many times the writer has caught up with the checkpointer (tests read it).
    #[cfg_attr(not(test), allow(dead_code))]
    catch_ups: Arc<AtomicUsize>,
    /// The number of the last batch the writer began to apply (counting from 1).
    begun: Arc<AtomicU64>,
    /// What the syncer has made durable.
    durable: watch::Receiver<Durable>,
    /// Shared by the three threads; see `store/health.rs`.
    health: Arc<Health>,
    /// Batch sizes (the writer) and fsync times (the syncer).
    metrics: StoreMetrics,
}

fn stopped() -> StoreError {
    StoreError::Backend("the SQLite writer has stopped".into())
}

impl Writer {
    /// Open the writer's own connection to `path` (an existing, migrated database in WAL mode whose
    /// write-ahead log is the file `wal`) and start the writer, syncer and checkpointer threads.
    /// `commit_delay`: see the module documentation (it needs to be started on the mint's Tokio runtime to
    /// apply).
    pub(super) fn start(
        path: &Path,
        wal: PathBuf,
        commit_delay: Duration,
        faults: Option<Arc<FaultInjection>>,
    ) -> Result<Self, StoreError> {
        Self::start_with(path, wal, commit_delay, CheckpointPolicy::default(), faults)
    }

    /// [`Writer::start`] with another checkpoint policy (tests use small ones).
    pub(super) fn start_with(
        path: &Path,
        wal: PathBuf,
        commit_delay: Duration,
        policy: CheckpointPolicy,
        faults: Option<Arc<FaultInjection>>,
    ) -> Result<Self, StoreError> {
        let connection = open_connection(path)?;
        let health = Arc::new(Health::default());
        let begun = Arc::new(AtomicU64::new(0));
        let (durable_tx, durable) = watch::channel(Durable::default());
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        let (applied, to_sync) = std_mpsc::channel();
        let preparing = Arc::new(AtomicUsize::new(0));
        let delay = Delay {
            max: commit_delay,
            preparing: Arc::clone(&preparing),
            runtime: tokio::runtime::Handle::try_current().ok(),
        };
        let spawn_failed = |e: std::io::Error| StoreError::Backend(format!("cannot start the SQLite writer: {e}"));
        let checkpoints = Checkpoints::start(path, policy, &health)?;
        let catch_ups = checkpoints.catch_ups();
        let metrics = StoreMetrics::default();
        let threads = Threads {
            health: Arc::clone(&health),
            begun: Arc::clone(&begun),
            faults: faults.clone(),
            batch_size: metrics.batch_size.clone(),
        };
        let fsync_seconds = metrics.fsync_seconds.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(connection, queue, delay, checkpoints, applied, threads))
            .map_err(spawn_failed)?;
        let syncer_health = Arc::clone(&health);
        std::thread::Builder::new()
            .name("sqlite-syncer".into())
            .spawn(move || sync_and_answer(&wal, to_sync, durable_tx, syncer_health, faults, fsync_seconds))
            .map_err(spawn_failed)?;
        Ok(Writer { jobs, preparing, catch_ups, begun, durable, health, metrics })
    }

    /// The writer's and syncer's measurements.
    pub(super) fn metrics(&self) -> StoreMetrics {
        self.metrics.clone()
    }

    /// `Ok` while the store takes writes.
    pub(super) fn health(&self) -> Result<(), Unhealthy> {
        self.health.check()
    }

    /// Refuse what would write once the store is unhealthy.
    pub(super) fn check_writable(&self) -> Result<(), StoreError> {
        self.health.check().map_err(|unhealthy| StoreError::Unavailable(unhealthy.reason().to_owned()))
    }

    /// Wait until every batch committed so far is durable: call it after a read whose rows must not be
    /// answered before they are (they may come from a batch whose fsync is still running, or failed).
    pub(super) async fn durable(&self) -> Result<(), StoreError> {
        // A batch's number is taken before its COMMIT, so any row a read saw is from this batch or before.
        let target = self.begun.load(Ordering::SeqCst);
        let mut durable = self.durable.clone();
        let known = durable
            .wait_for(|known| known.failed || known.synced >= target)
            .await
            .map(|known| *known)
            .map_err(|_| stopped())?;
        if known.synced >= target { Ok(()) } else { Err(self.check_writable().err().unwrap_or_else(stopped)) }
    }

    /// How many times the writer has caught up with the checkpointer so that the log starts over.
    #[cfg(test)]
    pub(super) fn catch_ups(&self) -> usize {
        self.catch_ups.load(Ordering::Relaxed)
    }

    /// Announce a commit that this request will send soon.
    pub(super) fn intend(&self) -> CommitIntent {
        CommitIntent::announce(&self.preparing)
    }

    /// Apply `commit` in the writer's next batch; returns once that batch is durable (or failed).
    pub(super) async fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        self.check_writable()?;
        let (reply, outcome) = oneshot::channel();
        self.jobs.send(Job { commit, reply }).await.map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

/// The writer's connection. `synchronous = NORMAL` on this connection only: its commits reach the log
/// without an fsync, and the syncer makes the log durable (fsync of the WAL file) before any answer of the
/// batch is sent. Checkpoints still sync the log and the database file (NORMAL does), so the log is only
/// reused once its content is durable in the database file.
pub(super) fn open_connection(path: &Path) -> Result<Connection, StoreError> {
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

/// What the writer thread shares with the others.
struct Threads {
    health: Arc<Health>,
    begun: Arc<AtomicU64>,
    faults: Option<Arc<FaultInjection>>,
    batch_size: prometheus_client::metrics::histogram::Histogram,
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
    threads: Threads,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Declared after the batch, so that it reports a panic before the batch's requests hear of it.
    let watch = ThreadWatch::new("sqlite-writer", &threads.health);
    while let Some(first) = queue.blocking_recv() {
        let arrived = Instant::now();
        batch.push(first);
        take_queued(&mut queue, &mut batch);
        if let Err(unhealthy) = threads.health.check() {
            // Writes are refused until restart: nothing of this batch is applied.
            for job in batch.drain(..) {
                let _ = job.reply.send(Err(StoreError::Unavailable(unhealthy.reason().to_owned())));
            }
            continue;
        }
        if threads.faults.as_deref().is_some_and(FaultInjection::writer_must_panic) {
            // Fault injection (tests only): a bug in the writer, as a panic.
            #[allow(clippy::panic)]
            {
                panic!("injected fault: the writer panics");
            }
        }
        delay.fill(arrived, &mut queue, &mut batch);
        let number = threads.begun.fetch_add(1, Ordering::SeqCst) + 1;
        let commits: Vec<&Commit> = batch.iter().map(|job| &job.commit).collect();
        let outcomes = apply_batch(&mut connection, &commits, unix_now());
        threads.batch_size.observe(commits.len() as f64);
        let rows = commits.iter().map(|c| commit::rows_written(c)).sum();
        let mut to_answer = Vec::with_capacity(batch.len());
        for (job, outcome) in batch.drain(..).zip(outcomes) {
            if job.commit.may_answer_before_durable() {
                // An unpaid quote: answered now, durable with the next sync (see `Commit`).
                let _ = job.reply.send(outcome);
            } else {
                to_answer.push((job, outcome));
            }
        }
        // Sent even when nobody waits: readers wait for every batch begun to be synced (`Writer::durable`).
        let done = Applied { number, outcomes: to_answer };
        if applied.send(done).is_err() {
            // The syncer is gone (its own watch reported why); the watch of this thread reports it too.
            return;
        }
        checkpoints.after_batch(&connection, rows);
    }
    watch.done();
}

/// One transaction for all of `commits`. Returns one outcome per commit, in order.
pub(super) fn apply_batch(connection: &mut Connection, commits: &[&Commit], now: i64) -> Vec<Result<(), StoreError>> {
    let all_fail = |error: rusqlite::Error| {
        let text = error.to_string();
        commits.iter().map(|_| Err(StoreError::Backend(text.clone()))).collect()
    };
    // IMMEDIATE takes the write lock now (waiting in the busy handler if another connection holds it), so no
    // statement later has to upgrade a read snapshot.
    if let Err(error) = connection.execute_batch("BEGIN IMMEDIATE") {
        return all_fail(error);
    }
    let outcomes = if let [only] = commits {
        // Alone in its batch: the transaction is the request's, no savepoint needed.
        vec![commit::apply(connection, only, now)]
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
    for one in commits {
        connection.prepare_cached("SAVEPOINT one")?.execute([])?;
        let result = commit::apply(connection, one, now);
        if result.is_err() {
            connection.prepare_cached("ROLLBACK TO one")?.execute([])?;
        }
        connection.prepare_cached("RELEASE one")?.execute([])?;
        outcomes.push(result);
    }
    Ok(outcomes)
}
