//! The CPU pool: where the mint runs its elliptic-curve work (verifying Cashu inputs, signing outputs,
//! verifying offline deposits) so that the async workers stay free to accept and answer requests.
//!
//! Work goes to tokio's blocking pool with at most one job per core at a time. Without that limit, 64
//! concurrent requests start 64 threads that time-slice the cores: every request finishes late and the
//! switching costs CPU; with it, requests wait their turn in order (FIFO), asleep. The Cashu side and the
//! offline side share one pool (`crate::mint::Mint` and `crate::offline::OfflineMint` hold the same one).

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Semaphore;

/// The CPU pool could not run the work (the pool is closed, or the job panicked).
#[derive(Debug, thiserror::Error)]
#[error("CPU task failed: {0}")]
pub struct CpuError(String);

/// At most one CPU job per core at a time, on the blocking pool.
#[derive(Debug)]
pub struct CpuPool {
    slots: Semaphore,
    jobs: AtomicU64,
}

impl CpuPool {
    /// A pool of one slot per core of this machine.
    pub fn for_this_machine() -> Self {
        CpuPool::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
    }

    /// A pool of `slots` concurrent jobs (at least one).
    pub fn new(slots: usize) -> Self {
        CpuPool { slots: Semaphore::new(slots.max(1)), jobs: AtomicU64::new(0) }
    }

    /// Run `work` on the blocking pool once a slot is free.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, CpuError> {
        let _slot = self.slots.acquire().await.map_err(|_| CpuError("no CPU slots".into()))?;
        self.jobs.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(work).await.map_err(|e| CpuError(e.to_string()))
    }

    /// Jobs run on the pool since the start (`mint_cpu_pool_jobs_total`).
    pub fn jobs(&self) -> u64 {
        self.jobs.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn work_runs_off_the_async_worker_and_is_counted() {
        let pool = CpuPool::new(1);
        let here = std::thread::current().id();
        let there = pool.run(|| std::thread::current().id()).await.unwrap();
        assert_ne!(here, there);
        assert_eq!(pool.jobs(), 1);
    }
}
