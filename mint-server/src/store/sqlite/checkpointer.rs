//! The checkpointer thread: copies the write-ahead log into the database file, so the writer never waits
//! for a checkpoint.
//!
//! With a log of thousands of pages a checkpoint takes tens of milliseconds, long enough for every request
//! in flight to pile up behind the writer while the cores idle. The writer's connection has
//! `wal_autocheckpoint = 0`; every [`CHECKPOINT_AFTER_ROWS`] rows it asks this thread for a `PASSIVE`
//! checkpoint on a connection of its own, which copies the log while the writer goes on appending. A log
//! starts over from its beginning only if a checkpoint has copied all of it when the next write
//! transaction begins, which a checkpoint racing the writer never achieves; so once the log has grown past
//! [`RESTART_LOG_PAGES`], the writer, between two batches, checkpoints the pages appended since this
//! thread's run itself (a short stall, rare), and its next transaction reuses the log from the start. The
//! figures behind both numbers: `docs/benchmarks.md`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::Instant;

use rusqlite::Connection;

use crate::store::StoreError;
use crate::store::health::{Health, ThreadWatch};

/// Rows written between checkpoints. A swap writes two rows into two random-keyed B-trees, about two log
/// pages, so this is a log of roughly 12 MB: a page that several batches change is copied once per
/// checkpoint.
const CHECKPOINT_AFTER_ROWS: usize = 1500;

/// Log pages (4 KiB each) past which the writer catches up with the checkpointer so that the log starts over
/// from its beginning: a 256 MiB log at most, give or take a checkpoint. Each catch-up stalls the writer,
/// so it should be rare.
const RESTART_LOG_PAGES: i64 = 65_536;

/// When checkpoints happen: [`CHECKPOINT_AFTER_ROWS`] and [`RESTART_LOG_PAGES`] unless a test says otherwise.
#[derive(Debug, Clone, Copy)]
pub(super) struct CheckpointPolicy {
    /// The writer asks the checkpointer for a run after this many rows.
    pub(super) after_rows: usize,
    /// The writer catches up once the log is this long (pages).
    pub(super) restart_log_pages: i64,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        CheckpointPolicy { after_rows: CHECKPOINT_AFTER_ROWS, restart_log_pages: RESTART_LOG_PAGES }
    }
}

/// The checkpointer thread and the writer's side of it.
pub(super) struct Checkpoints {
    policy: CheckpointPolicy,
    /// Asks the checkpointer for a run; holds at most one request.
    request: std_mpsc::SyncSender<()>,
    /// Set by the checkpointer after a run that left a log longer than the policy's restart length: the
    /// writer catches up.
    catch_up: Arc<AtomicBool>,
    /// How many times the writer has caught up (read by tests through [`Checkpoints::catch_ups`]).
    catch_ups: Arc<AtomicUsize>,
    /// Rows the writer wrote since it last asked.
    rows: usize,
}

impl Checkpoints {
    /// Open the checkpointer's connection to `path` and start its thread; it ends when this is dropped.
    pub(super) fn start(path: &Path, policy: CheckpointPolicy, health: &Arc<Health>) -> Result<Self, StoreError> {
        let connection = Connection::open(path)?;
        let (request, requests) = std_mpsc::sync_channel(1);
        let catch_up = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&catch_up);
        let watch = ThreadWatch::new("sqlite-checkpoint", health);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                // Ends when the writer drops its end.
                while requests.recv().is_ok() {
                    if checkpoint(&connection, "checkpointer").is_some_and(|log| log >= policy.restart_log_pages) {
                        flag.store(true, Ordering::Release);
                    }
                }
                watch.done();
            })
            .map_err(|e| StoreError::Backend(format!("cannot start the SQLite checkpointer: {e}")))?;
        Ok(Checkpoints { policy, request, catch_up, catch_ups: Arc::new(AtomicUsize::new(0)), rows: 0 })
    }

    /// After a batch that wrote `rows` rows: ask for a checkpoint when enough rows were written, and catch
    /// up when the log has grown long.
    pub(super) fn after_batch(&mut self, connection: &Connection, rows: usize) {
        self.rows += rows;
        if self.rows >= self.policy.after_rows && self.request.try_send(()).is_ok() {
            self.rows = 0;
        }
        if self.catch_up.swap(false, Ordering::AcqRel) {
            checkpoint(connection, "writer");
            self.catch_ups.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The count of the writer's catch-ups, shared with whoever holds it.
    pub(super) fn catch_ups(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.catch_ups)
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
