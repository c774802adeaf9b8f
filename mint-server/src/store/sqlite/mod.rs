//! The embedded store: one SQLite file in WAL mode, every answered commit synced to disk.
//!
//! | file | what |
//! |---|---|
//! | `pool.rs` | [`SqliteStore`]: opens the database, runs migrations, reads through a pool of sqlx connections |
//! | `writer.rs` | group commit: the writer thread applies queued commits in batches, one transaction each |
//! | `commit.rs` | one [`Commit`]'s statements on the writer's connection (inside the batch's transaction) |
//! | `syncer.rs` | the syncer thread: fsync of the write-ahead log, then the answers |
//! | `checkpointer.rs` | the checkpointer thread: copies the log into the database file |
//!
//! Dependencies point down this table: `pool` starts the `writer`, which uses the three below it; none of
//! them imports `pool`.

mod checkpointer;
mod commit;
mod pool;
mod syncer;
#[cfg(test)]
mod tests;
mod writer;

pub use pool::{DEFAULT_COMMIT_DELAY, SqliteOptions, SqliteStore};

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::oneshot;

use super::{Commit, StoreError};

/// A commit waiting for the writer, and where its outcome goes once it is durable.
struct Job {
    commit: Commit,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

/// A batch that has been applied (its number, counting from 1, and the outcome for each of its requests),
/// waiting for the log's fsync.
struct Applied {
    number: u64,
    outcomes: Vec<(Job, Result<(), StoreError>)>,
}

/// Faults a test arms to exercise the real writer and syncer on their failure paths (fault injection).
/// Unarmed, nothing changes; the server arms one only when told to (`--inject-fault`, for tests).
#[derive(Debug, Default)]
pub struct FaultInjection {
    sync_fails: AtomicBool,
    writer_panics: AtomicBool,
}

impl FaultInjection {
    /// From now on every fsync of the log fails (as a disk error would).
    pub fn fail_syncs(&self) {
        self.sync_fails.store(true, Ordering::SeqCst);
    }

    /// The writer thread panics at its next batch.
    pub fn panic_writer(&self) {
        self.writer_panics.store(true, Ordering::SeqCst);
    }

    fn syncs_fail(&self) -> bool {
        self.sync_fails.load(Ordering::SeqCst)
    }

    fn writer_must_panic(&self) -> bool {
        self.writer_panics.load(Ordering::SeqCst)
    }
}
