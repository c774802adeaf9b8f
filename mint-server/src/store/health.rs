//! Whether a store can still be trusted with writes: once it cannot, it stays so until the process restarts.
//!
//! Two kinds of failure (PostgreSQL's rule since "fsyncgate": after a failed fsync nobody knows which writes
//! reached the disk, and retrying the fsync may report success for pages the kernel already dropped):
//! - [`Unhealthy::WritesRefused`]: a sync of the log failed. Every later write is refused; reads go on.
//! - [`Unhealthy::Stopped`]: a thread the store needs (writer, syncer, checkpointer) panicked or ended.
//!   The serving process exits non-zero (`main.rs` watches for it) instead of answering 500 forever.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Why a store is unhealthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unhealthy {
    /// A sync of the log failed: writes are refused until restart.
    WritesRefused(String),
    /// A thread the store needs has died: the process must restart.
    Stopped(String),
}

impl Unhealthy {
    /// The reason, for the health endpoint and the logs.
    pub fn reason(&self) -> &str {
        match self {
            Unhealthy::WritesRefused(reason) | Unhealthy::Stopped(reason) => reason,
        }
    }
}

/// The shared health of one store. The first failure is kept; a thread's death overrides a refused write
/// (the process must exit in either order).
#[derive(Debug, Default)]
pub(crate) struct Health {
    /// Set once a failure is recorded: every commit checks it, without taking the lock.
    failed: AtomicBool,
    failure: Mutex<Option<Unhealthy>>,
}

impl Health {
    /// `Ok` while healthy.
    pub(crate) fn check(&self) -> Result<(), Unhealthy> {
        if !self.failed.load(Ordering::Acquire) {
            return Ok(());
        }
        match &*self.failure.lock().unwrap_or_else(PoisonError::into_inner) {
            None => Ok(()),
            Some(unhealthy) => Err(unhealthy.clone()),
        }
    }

    /// Record a failure.
    pub(crate) fn fail(&self, unhealthy: Unhealthy) {
        let mut state = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        match (&*state, &unhealthy) {
            (None, _) | (Some(Unhealthy::WritesRefused(_)), Unhealthy::Stopped(_)) => {
                tracing::error!(reason = unhealthy.reason(), "the store is unhealthy");
                *state = Some(unhealthy);
                self.failed.store(true, Ordering::Release);
            }
            _ => {}
        }
    }
}

/// Held by a thread the store needs: if the thread panics, or ends without calling [`ThreadWatch::done`],
/// the store becomes [`Unhealthy::Stopped`].
pub(crate) struct ThreadWatch {
    name: &'static str,
    health: Arc<Health>,
    done: bool,
}

impl ThreadWatch {
    /// Watch the thread `name`.
    pub(crate) fn new(name: &'static str, health: &Arc<Health>) -> Self {
        ThreadWatch { name, health: Arc::clone(health), done: false }
    }

    /// The thread ends as it should (its work is over: the store was dropped).
    pub(crate) fn done(mut self) {
        self.done = true;
    }
}

impl Drop for ThreadWatch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.health.fail(Unhealthy::Stopped(format!("the {} thread panicked", self.name)));
        } else if !self.done {
            self.health.fail(Unhealthy::Stopped(format!("the {} thread stopped", self.name)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_thread_overrides_refused_writes_and_the_first_reason_stays() {
        let health = Arc::new(Health::default());
        assert_eq!(health.check(), Ok(()));
        health.fail(Unhealthy::WritesRefused("sync failed".into()));
        health.fail(Unhealthy::WritesRefused("another".into()));
        assert_eq!(health.check(), Err(Unhealthy::WritesRefused("sync failed".into())));
        let watched = Arc::clone(&health);
        let _ = std::thread::spawn(move || {
            let _watch = ThreadWatch::new("test", &watched);
            panic!("dies");
        })
        .join();
        assert_eq!(health.check(), Err(Unhealthy::Stopped("the test thread panicked".into())));
    }

    #[test]
    fn a_thread_that_ends_without_done_is_a_failure() {
        let health = Arc::new(Health::default());
        ThreadWatch::new("clean", &health).done();
        assert_eq!(health.check(), Ok(()));
        drop(ThreadWatch::new("early", &health));
        assert_eq!(health.check(), Err(Unhealthy::Stopped("the early thread stopped".into())));
    }
}
