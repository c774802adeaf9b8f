//! The syncer thread: makes the write-ahead log durable, then answers.
//!
//! The writer's connection is `synchronous = NORMAL`, which skips the fsync at `COMMIT`; this thread does
//! it instead, so the writer applies the next batch while the disk syncs, and one fsync answers every batch
//! applied before it began. Refusals wait for the fsync too: they may rest on an earlier batch's effects.

use std::path::Path;
use std::sync::mpsc as std_mpsc;

use super::Applied;
use crate::store::StoreError;

/// Fsync the write-ahead log `wal`, then answer every batch applied before the fsync began; until the
/// writer drops its end of `applied`.
pub(super) fn sync_and_answer(wal: &Path, applied: std_mpsc::Receiver<Applied>) {
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
