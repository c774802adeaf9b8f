//! The syncer thread: makes the write-ahead log durable, then answers.
//!
//! The writer's connection is `synchronous = NORMAL`, which skips the fsync at `COMMIT`; this thread does
//! it instead, so the writer applies the next batch while the disk syncs, and one fsync answers every batch
//! applied before it began. Refusals wait for the fsync too: they may rest on an earlier batch's effects.
//!
//! A failed fsync is fatal to writes (PostgreSQL's rule since "fsyncgate": the kernel may have dropped the
//! dirty pages and report the next fsync as a success): every batch waiting and every later one is answered
//! with [`StoreError::Unavailable`], the store turns [`Unhealthy::WritesRefused`], and [`Durable`] tells
//! readers that nothing after the last good sync will ever be durable.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use tokio::sync::watch;

use super::{Applied, FaultInjection};
use crate::store::StoreError;
use crate::store::health::{Health, ThreadWatch, Unhealthy};

/// What is known durable: batches up to `synced` (by number), unless `failed` (then no later batch).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Durable {
    /// The highest batch number whose fsync succeeded.
    pub(super) synced: u64,
    /// A sync failed: nothing applied after `synced` will be made durable by this process.
    pub(super) failed: bool,
}

/// Fsync the write-ahead log `wal`, then answer every batch applied before the fsync began; until the
/// writer drops its end of `applied`.
pub(super) fn sync_and_answer(
    wal: &Path,
    applied: std_mpsc::Receiver<Applied>,
    durable: watch::Sender<Durable>,
    health: Arc<Health>,
    faults: Option<Arc<FaultInjection>>,
    fsync_seconds: prometheus_client::metrics::histogram::Histogram,
) {
    let mut waiting = Vec::new();
    // Declared after the waiting batches, so that it reports a panic before their requests hear of it.
    let watch = ThreadWatch::new("sqlite-syncer", &health);
    while let Ok(first) = applied.recv() {
        waiting.push(first);
        waiting.extend(applied.try_iter());
        let last = waiting.iter().map(|batch| batch.number).max().unwrap_or(0);
        let synced = match health.check() {
            Err(unhealthy) => Err(unhealthy.reason().to_owned()),
            Ok(()) if faults.as_deref().is_some_and(FaultInjection::syncs_fail) => {
                Err("a sync of the write-ahead log failed: injected fault".to_owned())
            }
            Ok(()) => {
                let started = std::time::Instant::now();
                let synced = std::fs::File::open(wal)
                    .and_then(|log| log.sync_data())
                    .map_err(|error| format!("a sync of the write-ahead log failed: {error}"));
                fsync_seconds.observe(started.elapsed().as_secs_f64());
                synced
            }
        };
        match &synced {
            Ok(()) => {
                durable.send_modify(|known| known.synced = known.synced.max(last));
            }
            Err(reason) => {
                health.fail(Unhealthy::WritesRefused(reason.clone()));
                durable.send_modify(|known| known.failed = true);
            }
        }
        for (job, outcome) in waiting.drain(..).flat_map(|batch| batch.outcomes) {
            let outcome = match (&synced, outcome) {
                (Ok(()), outcome) => outcome,
                // The commit is in the log but may not survive a crash, and the store takes no more writes.
                (Err(reason), Ok(())) => Err(StoreError::Unavailable(reason.clone())),
                (Err(_), failed) => failed,
            };
            // The requester may have gone away (client disconnected); its commit stands regardless.
            let _ = job.reply.send(outcome);
        }
    }
    watch.done();
}
