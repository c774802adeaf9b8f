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

use tokio::sync::oneshot;

use super::{Commit, StoreError};

/// A commit waiting for the writer, and where its outcome goes once it is durable.
struct Job {
    commit: Commit,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

/// A batch that has been applied, with the outcome for each of its requests, waiting for the log's fsync.
type Applied = Vec<(Job, Result<(), StoreError>)>;
