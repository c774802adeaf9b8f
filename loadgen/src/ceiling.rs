//! The crypto-only ceiling (the mint's verify + sign + DLEQ work in-process on every core) and the
//! storage-only ceiling (the SQLite store alone, in-process).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use mint_server::store::{Commit, MintStore, SqliteStore};
use shared::keyset::MintKeySet;
use shared::{
    Amount, BlindSignature, BlindSignatureDleq, CurrencyUnit, Proof, PublicKey, Secret, SecretKey, dhke, dleq,
};

use crate::cpu::{clock_ticks_per_second, process_ticks, system_ticks};

/// A precomputed swap for the in-process ceiling: a valid input note and a fresh blinded output.
pub struct CryptoSwap {
    pub secret: Secret,
    pub c: PublicKey,
    pub blinded: PublicKey,
}

pub fn ceiling_workload(count: usize) -> anyhow::Result<(MintKeySet, Vec<CryptoSwap>)> {
    let mut master = [0u8; 32];
    getrandom::fill(&mut master).map_err(|e| anyhow!("random: {e}"))?;
    let keyset = MintKeySet::derive(&master, CurrencyUnit::Sat, 0, 1, 0, None)?;
    let k = keyset.secret_key(Amount::from_u64(1))?.clone();
    let swaps = (0..count)
        .map(|_| -> anyhow::Result<CryptoSwap> {
            let secret = Secret::generate()?;
            let c = dhke::sign_message(&k, &secret.to_y()?)?;
            let (blinded, _r) = dhke::blind_message(Secret::generate()?.as_bytes(), None)?;
            Ok(CryptoSwap { secret, c, blinded })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((keyset, swaps))
}

/// The mint's cryptographic work for one 1-input, 1-output swap: `Y = hash_to_curve(x)`, `C == k Y`,
/// `C' = k B'`, and the DLEQ proof on `C'`.
pub fn crypto_swap(k: &SecretKey, swap: &CryptoSwap) -> anyhow::Result<()> {
    let y = dhke::hash_to_curve(swap.secret.as_bytes())?;
    dhke::verify_message_with_y(k, &swap.c, &y)?;
    let signature = dhke::sign_message(k, &swap.blinded)?;
    let proof = dleq::calculate_dleq(k, &swap.blinded, &signature)?;
    std::hint::black_box((y, signature, proof));
    Ok(())
}

/// A ceiling measurement: swaps per second, how long it ran, and the share of the machine other processes
/// took meanwhile.
#[derive(Debug, Clone, Copy)]
pub struct Ceiling {
    pub rate: f64,
    pub seconds: f64,
    pub others: f64,
}

/// The precomputed inputs of [`crypto_ceiling`], drawn once and reused by every measurement.
pub struct CeilingWork {
    pub keyset: MintKeySet,
    pub swaps: Vec<CryptoSwap>,
    pub threads: usize,
}

impl CeilingWork {
    pub fn new(threads: usize) -> anyhow::Result<CeilingWork> {
        let (keyset, swaps) = ceiling_workload(512)?;
        Ok(CeilingWork { keyset, swaps, threads })
    }
}

/// Swaps per second of [`crypto_swap`] on `work.threads` threads for `seconds`.
pub fn crypto_ceiling(work: &CeilingWork, seconds: f64) -> anyhow::Result<Ceiling> {
    let CeilingWork { keyset, swaps, threads } = work;
    let k = keyset.secret_key(Amount::from_u64(1))?;
    let duration = Duration::from_secs_f64(seconds);
    let barrier = Barrier::new(*threads);
    let (system_before, self_before) = (system_ticks(), process_ticks("self").unwrap_or(0));
    let counts = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..*threads)
            .map(|t| {
                let barrier = &barrier;
                scope.spawn(move || -> anyhow::Result<(usize, Duration)> {
                    barrier.wait();
                    let start = Instant::now();
                    let mut done = 0usize;
                    while start.elapsed() < duration {
                        crypto_swap(k, &swaps[(t * 97 + done) % swaps.len()])?;
                        done += 1;
                    }
                    Ok((done, start.elapsed()))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().map_err(|_| anyhow!("ceiling thread panicked"))?).collect::<Vec<_>>()
    });
    let (system_after, self_after) = (system_ticks(), process_ticks("self").unwrap_or(0));
    let mut rate = 0.0;
    for count in counts {
        let (done, elapsed) = count?;
        rate += done as f64 / elapsed.as_secs_f64();
    }
    let busy = system_after.0.saturating_sub(system_before.0);
    let total = system_after.2.saturating_sub(system_before.2).max(1);
    let others = busy.saturating_sub(self_after.saturating_sub(self_before)) as f64 / total as f64;
    Ok(Ceiling { rate, seconds, others })
}

/// The time-weighted mean rate of `runs`, and the slowest and fastest run.
pub fn mean_ceiling(runs: &[Ceiling]) -> (f64, f64, f64) {
    let seconds: f64 = runs.iter().map(|c| c.seconds).sum();
    let mean = runs.iter().map(|c| c.rate * c.seconds).sum::<f64>() / seconds.max(1e-9);
    let low = runs.iter().map(|c| c.rate).fold(f64::INFINITY, f64::min);
    let high = runs.iter().map(|c| c.rate).fold(0.0, f64::max);
    (mean, low, high)
}

/// Single-thread microseconds of each step of [`crypto_swap`].
#[derive(Debug, Default)]
pub struct Breakdown {
    pub hash_to_curve: f64,
    pub verify: f64,
    pub sign: f64,
    pub dleq: f64,
}

pub fn crypto_breakdown() -> anyhow::Result<Breakdown> {
    let (keyset, swaps) = ceiling_workload(256)?;
    let k = keyset.secret_key(Amount::from_u64(1))?;
    let rounds = 2;
    let mut result = Breakdown::default();
    let per = |start: Instant| start.elapsed().as_secs_f64() * 1e6 / (rounds * swaps.len()) as f64;
    let ys: Vec<PublicKey> = swaps.iter().map(|s| s.secret.to_y()).collect::<Result<_, _>>()?;
    let signatures: Vec<PublicKey> =
        swaps.iter().map(|s| dhke::sign_message(k, &s.blinded)).collect::<Result<_, _>>()?;
    let start = Instant::now();
    for _ in 0..rounds {
        for swap in &swaps {
            std::hint::black_box(dhke::hash_to_curve(swap.secret.as_bytes())?);
        }
    }
    result.hash_to_curve = per(start);
    let start = Instant::now();
    for _ in 0..rounds {
        for (swap, y) in swaps.iter().zip(&ys) {
            dhke::verify_message_with_y(k, &swap.c, y)?;
        }
    }
    result.verify = per(start);
    let start = Instant::now();
    for _ in 0..rounds {
        for swap in &swaps {
            std::hint::black_box(dhke::sign_message(k, &swap.blinded)?);
        }
    }
    result.sign = per(start);
    let start = Instant::now();
    for _ in 0..rounds {
        for (swap, signature) in swaps.iter().zip(&signatures) {
            std::hint::black_box(dleq::calculate_dleq(k, &swap.blinded, signature)?);
        }
    }
    result.dleq = per(start);
    Ok(result)
}

// ---------------------------------------------------------------------------------------------------------
// Storage-only ceiling

/// The embedded store alone, in this process: `tasks` tasks commit what a 1-input, 1-output swap commits (one
/// spent row, one signature row, the request key), back to back, for `seconds`. No HTTP and no crypto: the
/// points are drawn beforehand. The store's CPU per commit (this process's CPU time: the async workers, the
/// writer and the syncer thread) is what a swap's durable write costs the machine, on the same cores as
/// its crypto.
#[derive(Debug, Clone, Copy)]
pub struct StorageCeiling {
    pub tasks: usize,
    pub rate: f64,
    pub cpu_us: f64,
    pub busy: f64,
    pub ran_out: bool,
}

/// What a 1-input, 1-output swap commits: the only place that knows the shape of [`Commit`].
fn swap_commit(spent: (PublicKey, Proof), signed: (PublicKey, BlindSignature), request: [u8; 32]) -> Commit {
    Commit::Swap { inputs: vec![spent], outputs: vec![signed], request }
}

/// Commits drawn beforehand for the storage-only ceiling; each is used once (its `Y` and `B'` are fresh).
pub fn storage_workload(count: usize, threads: usize) -> anyhow::Result<Vec<Commit>> {
    let keyset_id = MintKeySet::derive(b"loadgen storage", CurrencyUnit::Sat, 0, 1, 0, None)?.id;
    let fixed_point = dhke::hash_to_curve(b"loadgen storage: C")?;
    let dleq = BlindSignatureDleq { e: SecretKey::random()?, s: SecretKey::random()? };
    let per_thread = count.div_ceil(threads.max(1));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                let dleq = dleq.clone();
                scope.spawn(move || -> anyhow::Result<Vec<Commit>> {
                    (0..per_thread)
                        .map(|_| {
                            let secret = Secret::generate()?;
                            let y = secret.to_y()?;
                            let blinded = dhke::hash_to_curve(Secret::generate()?.as_bytes())?;
                            let mut request = [0u8; 32];
                            getrandom::fill(&mut request).map_err(|e| anyhow!("random: {e}"))?;
                            let amount = Amount::from_u64(1);
                            let proof = Proof { amount, keyset_id, secret, c: fixed_point, witness: None, dleq: None };
                            let signature =
                                BlindSignature { amount, keyset_id, c: fixed_point, dleq: Some(dleq.clone()) };
                            Ok(swap_commit((y, proof), (blinded, signature), request))
                        })
                        .collect()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(count);
        for handle in handles {
            all.extend(handle.join().map_err(|_| anyhow!("workload thread panicked"))??);
        }
        Ok(all)
    })
}

/// Measure [`StorageCeiling`] on a fresh SQLite store in a temporary directory, with a Tokio runtime shaped
/// like the mint's (one worker per core).
pub fn storage_ceiling(tasks: usize, seconds: f64, cores: usize, max_commits: usize) -> anyhow::Result<StorageCeiling> {
    let dir = std::env::temp_dir().join(format!("loadgen-store-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let result = storage_ceiling_in(&dir, tasks, seconds, cores, max_commits);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

pub fn storage_ceiling_in(
    dir: &std::path::Path,
    tasks: usize,
    seconds: f64,
    cores: usize,
    max_commits: usize,
) -> anyhow::Result<StorageCeiling> {
    let commits = storage_workload(max_commits, cores)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(cores).enable_all().build()?;
    runtime.block_on(async {
        let store = Arc::new(SqliteStore::open(&dir.join("store.sqlite")).await?);
        let commits = Arc::new(commits);
        let next = Arc::new(AtomicUsize::new(0));
        let duration = Duration::from_secs_f64(seconds);
        let (system_before, self_before) = (system_ticks(), process_ticks("self").unwrap_or(0));
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (store, commits, next) = (Arc::clone(&store), Arc::clone(&commits), Arc::clone(&next));
                tokio::spawn(async move {
                    let mut done = 0usize;
                    while start.elapsed() < duration {
                        let Some(commit) = commits.get(next.fetch_add(1, Ordering::Relaxed)) else { break };
                        store.commit(commit).await.map_err(|e| anyhow!("storage-only commit: {e}"))?;
                        done += 1;
                    }
                    anyhow::Ok(done)
                })
            })
            .collect();
        let mut done = 0;
        for handle in handles {
            done += handle.await.map_err(|e| anyhow!("storage task: {e}"))??;
        }
        let elapsed = start.elapsed().as_secs_f64();
        let (system_after, self_after) = (system_ticks(), process_ticks("self").unwrap_or(0));
        let tick = clock_ticks_per_second();
        let total = system_after.2.saturating_sub(system_before.2).max(1) as f64;
        Ok(StorageCeiling {
            tasks,
            rate: done as f64 / elapsed,
            cpu_us: self_after.saturating_sub(self_before) as f64 / tick * 1e6 / done.max(1) as f64,
            busy: system_after.0.saturating_sub(system_before.0) as f64 / total,
            ran_out: next.load(Ordering::Relaxed) >= commits.len(),
        })
    })
}
