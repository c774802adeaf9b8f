//! One target: fund through the fake bolt11 backend and precompute the swap requests (untimed), then the
//! timed phase at each concurrency level, and the check of every response after the clock stopped.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, ensure};
use shared::nuts::{
    KeysResponse, MintQuoteBolt11Request, MintQuoteBolt11Response, MintRequest, MintResponse, SwapRequest, SwapResponse,
};
use shared::{Amount, BlindedMessage, CurrencyUnit, KeySet, Proof, PublicKey, Secret, dhke};

use crate::ceiling::{Ceiling, CeilingWork, crypto_ceiling, mean_ceiling};
use crate::cli::{Args, Backend};
use crate::cpu::{CpuSnapshot, CpuUse, clock_ticks_per_second, cpu_use, load_average, thread_nanos, thread_use};
use crate::format::fmt_us;
use crate::http::{AsyncConnection, Connection, Endpoint, Response, call};

/// Most outputs the mint takes per request (its default `--max-outputs`).
const MINT_BATCH: usize = 1000;
/// One in this many swap responses gets its DLEQ proof verified after the clock stops.
const DLEQ_SAMPLE_EVERY: usize = 50;

/// A prepared swap: the complete HTTP request and the output it asks the mint to sign.
pub struct PreparedSwap {
    pub request: Vec<u8>,
    pub blinded: PublicKey,
}

impl AsRef<[u8]> for PreparedSwap {
    fn as_ref(&self) -> &[u8] {
        &self.request
    }
}

/// Mint `count` notes of amount 1 and turn each into a prepared swap request.
pub fn mint_batch(
    endpoint: &Endpoint,
    conn: &mut Connection,
    keyset: &KeySet,
    count: usize,
) -> anyhow::Result<Vec<PreparedSwap>> {
    let one = Amount::from_u64(1);
    let key = *keyset.keys.amount_key(one)?;
    let quote_request = MintQuoteBolt11Request {
        amount: Amount::from_u64(count as u64),
        unit: CurrencyUnit::Sat,
        description: None,
        pubkey: None,
    };
    let quote: MintQuoteBolt11Response =
        call(endpoint, conn, "POST", "/v1/mint/quote/bolt11", &serde_json::to_vec(&quote_request)?)?;
    let mut secrets = Vec::with_capacity(count);
    let mut outputs = Vec::with_capacity(count);
    for _ in 0..count {
        let secret = Secret::generate()?;
        let (blinded, r) = dhke::blind_message(secret.as_bytes(), None)?;
        outputs.push(BlindedMessage { amount: one, keyset_id: keyset.id, blinded_secret: blinded, witness: None });
        secrets.push((secret, r));
    }
    let mint_request = MintRequest { quote: quote.quote, outputs, signature: None };
    let minted: MintResponse = call(endpoint, conn, "POST", "/v1/mint/bolt11", &serde_json::to_vec(&mint_request)?)?;
    ensure!(minted.signatures.len() == count, "the mint returned {} signatures for {count}", minted.signatures.len());
    // Spot check: the first promise of every batch carries a valid DLEQ proof.
    minted.signatures[0].verify_dleq(&keyset.keys, &mint_request.outputs[0].blinded_secret)?;

    let mut prepared = Vec::with_capacity(count);
    for (signature, (secret, r)) in minted.signatures.iter().zip(secrets) {
        ensure!(signature.amount == one && signature.keyset_id == keyset.id, "unexpected promise {signature:?}");
        let c = dhke::unblind_message(&signature.c, &r, &key)?;
        let input = Proof { amount: one, keyset_id: keyset.id, secret, c, witness: None, dleq: None };
        let (blinded, _r) = dhke::blind_message(Secret::generate()?.as_bytes(), None)?;
        let output = BlindedMessage { amount: one, keyset_id: keyset.id, blinded_secret: blinded, witness: None };
        let body = serde_json::to_vec(&SwapRequest { inputs: vec![input], outputs: vec![output] })?;
        prepared.push(PreparedSwap { request: endpoint.request_bytes("POST", "/v1/swap", &body), blinded });
    }
    Ok(prepared)
}

/// Mint `count` more notes on `threads` connections in parallel.
pub fn prepare(
    endpoint: &Endpoint,
    keyset: &KeySet,
    count: usize,
    threads: usize,
) -> anyhow::Result<Vec<PreparedSwap>> {
    let batches: Vec<usize> = (0..count.div_ceil(MINT_BATCH)).map(|i| MINT_BATCH.min(count - i * MINT_BATCH)).collect();
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..threads.min(batches.len()).max(1))
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    let mut conn = endpoint.connect()?;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&size) = batches.get(i) else { return Ok(()) };
                        let batch = mint_batch(endpoint, &mut conn, keyset, size)?;
                        results.lock().map_err(|_| anyhow!("poisoned"))?.push(batch);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().map_err(|_| anyhow!("preparation thread panicked"))??;
        }
        Ok(())
    })?;
    Ok(results.into_inner().map_err(|_| anyhow!("poisoned"))?.into_iter().flatten().collect())
}

pub struct Sample {
    pub index: usize,
    pub micros: u64,
    pub outcome: Result<Response, String>,
}

#[derive(Debug, Clone)]
pub struct LevelResult {
    pub concurrency: usize,
    pub swaps: usize,
    pub seconds: f64,
    pub rate: f64,
    /// The crypto-only ceiling measured between this level's slices.
    pub ceilings: Vec<Ceiling>,
    /// The mint's CPU microseconds per swap by thread name, over the whole level.
    pub threads: Vec<(String, f64)>,
    pub p50: u64,
    pub p95: u64,
    pub p99: u64,
    pub max: u64,
    pub errors: usize,
    pub dleq_checked: usize,
    pub pool_ran_out: bool,
    pub cpu: CpuUse,
    pub load: String,
}

/// What a level's slices produced.
pub struct LevelRun {
    pub samples: Vec<Sample>,
    /// Responses that arrived within their slice's time (those still in flight when a slice's time is up
    /// are checked like the others but not counted: the throughput is that of the window, as `wrk`'s is).
    pub in_window: usize,
    /// Seconds under load: the sum of the slices' windows.
    pub seconds: f64,
    pub ran_out: bool,
    /// CPU ticks during the slices only.
    pub cpu: CpuSnapshot,
}

/// `c` connections send the prepared requests (swaps, or offline deposits) from `next` on, back to back, in slices of `slice` seconds until
/// `seconds` of load have passed or the pool is used up. `pause` runs before the first slice and after each
/// one, while every connection is idle (it measures the crypto-only ceiling). All connections are driven
/// by one thread (a single-threaded Tokio runtime, so one wake-up serves every connection that is ready):
/// the load generator shares the cores with the mint, and 64 blocking client threads, each woken for each
/// response, cost the machine about 30 µs per swap.
pub fn timed_level<P: AsRef<[u8]> + Sync>(
    endpoint: &Endpoint,
    pool: &[P],
    next: &AtomicUsize,
    (c, seconds, slice): (usize, f64, f64),
    snapshot: &dyn Fn() -> CpuSnapshot,
    pause: &mut dyn FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<LevelRun> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut conns = Vec::with_capacity(c);
        for _ in 0..c {
            conns.push(AsyncConnection::connect(endpoint.addr).await?);
        }
        let mut run =
            LevelRun { samples: Vec::new(), in_window: 0, seconds: 0.0, ran_out: false, cpu: CpuSnapshot::default() };
        pause()?;
        while run.seconds < seconds && !run.ran_out {
            let duration = Duration::from_secs_f64(slice.min(seconds - run.seconds).max(0.001));
            let before = snapshot();
            let start = Instant::now();
            let deadline = start + duration;
            let clients = conns.iter_mut().map(|conn| async move {
                let mut samples = Vec::with_capacity(1024);
                let mut in_window = 0usize;
                let mut ran_out = false;
                while start.elapsed() < duration {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(swap) = pool.get(index) else {
                        ran_out = true;
                        break;
                    };
                    let sent = Instant::now();
                    let outcome = conn.send(swap.as_ref()).await;
                    let micros = sent.elapsed().as_micros() as u64;
                    in_window += usize::from(Instant::now() <= deadline);
                    let reconnect = match &outcome {
                        Ok(response) => response.close,
                        Err(_) => true,
                    };
                    samples.push(Sample { index, micros, outcome: outcome.map_err(|e| format!("{e:#}")) });
                    if reconnect {
                        match AsyncConnection::connect(endpoint.addr).await {
                            Ok(fresh) => *conn = fresh,
                            Err(_) => break,
                        }
                    }
                }
                (samples, in_window, ran_out)
            });
            for (samples, in_window, out) in futures::future::join_all(clients).await {
                run.samples.extend(samples);
                run.in_window += in_window;
                run.ran_out |= out;
            }
            // A slice that ran out of notes ends early: its window is as long as it lasted.
            run.seconds += if run.ran_out { start.elapsed().min(duration) } else { duration }.as_secs_f64();
            run.cpu.add_interval(&before, &snapshot());
            pause()?;
        }
        Ok(run)
    })
}

pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Check every response after the clock stopped; verify a sample of DLEQ proofs. Returns (errors, checked).
pub fn check_responses(samples: &[Sample], pool: &[PreparedSwap], keyset: &KeySet) -> (usize, usize) {
    let one = Amount::from_u64(1);
    let mut errors = 0;
    let mut checked = 0;
    let mut first_error: Option<String> = None;
    for (n, sample) in samples.iter().enumerate() {
        let verdict = match &sample.outcome {
            Err(error) => Err(error.clone()),
            Ok(response) if response.status != 200 => {
                Err(format!("HTTP {}: {}", response.status, String::from_utf8_lossy(&response.body)))
            }
            Ok(response) => match serde_json::from_slice::<SwapResponse>(&response.body) {
                Err(error) => Err(format!("unreadable swap response: {error}")),
                Ok(parsed) => match parsed.signatures.as_slice() {
                    [signature] if signature.amount == one && signature.keyset_id == keyset.id => {
                        if n % DLEQ_SAMPLE_EVERY == 0 {
                            checked += 1;
                            signature
                                .verify_dleq(&keyset.keys, &pool[sample.index].blinded)
                                .map_err(|e| format!("DLEQ proof does not verify: {e}"))
                        } else {
                            Ok(())
                        }
                    }
                    other => Err(format!("expected one signature of amount 1, got {other:?}")),
                },
            },
        };
        if let Err(error) = verdict {
            errors += 1;
            first_error.get_or_insert(error);
        }
    }
    if let Some(error) = first_error {
        eprintln!("  {errors} failed swaps; the first: {error}");
    }
    (errors, checked)
}

impl LevelResult {
    /// The crypto-only ceiling paired with this level.
    pub fn ceiling(&self) -> f64 {
        mean_ceiling(&self.ceilings).0
    }
}

pub struct TargetResult {
    pub name: String,
    pub levels: Vec<LevelResult>,
}

pub fn measure_target(
    args: &Args,
    work: &CeilingWork,
    name: &str,
    url: &str,
    mint_pid: Option<u32>,
    backend: Backend,
    ceiling: f64,
) -> anyhow::Result<TargetResult> {
    let endpoint = Endpoint::parse(url)?;
    let mut conn = endpoint.connect()?;
    let keys: KeysResponse = call(&endpoint, &mut conn, "GET", "/v1/keys", b"")?;
    let keyset = keys
        .keysets
        .into_iter()
        .find(|k| k.unit == CurrencyUnit::Sat && k.active != Some(false))
        .ok_or_else(|| anyhow!("the mint has no active sat keyset"))?;
    keyset.verify_id()?;
    ensure!(keyset.input_fee_ppk == 0, "the benchmark needs a keyset without input fees");
    let tick = clock_ticks_per_second();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);

    let mut pool: Vec<PreparedSwap> = Vec::new();
    let next = AtomicUsize::new(0);
    let mut minted = 0usize;
    let mut levels: Vec<LevelResult> = Vec::new();
    // The last measured (rate, concurrency): how many notes the next level will need.
    let mut hint: Option<(f64, usize)> = None;
    for &c in &args.concurrency {
        for attempt in 1..=2 {
            let guess = match hint {
                Some((rate, at)) if at == c => rate,
                Some((rate, at)) => (rate * (c as f64 / at as f64).clamp(1.0, 4.0)).min(ceiling),
                None => ceiling * (c.min(cores) as f64 / cores as f64) * 0.5,
            };
            let wanted = (guess * args.seconds * 1.25) as usize + 2 * c;
            let used = next.load(Ordering::Relaxed).min(pool.len());
            pool.drain(..used);
            next.store(0, Ordering::Relaxed);
            let missing = wanted.saturating_sub(pool.len()).min(args.max_notes.saturating_sub(minted));
            if missing > 0 {
                let started = Instant::now();
                eprintln!("{name}: minting {missing} notes of 1 sat for c={c} (untimed) ...");
                pool.extend(prepare(&endpoint, &keyset, missing, cores)?);
                minted += missing;
                eprintln!("  done in {:.1} s", started.elapsed().as_secs_f64());
            }
            ensure!(!pool.is_empty(), "no notes left (raise --max-notes)");
            // Let the database settle after the minting burst.
            std::thread::sleep(Duration::from_millis(500));

            eprintln!("{name}: c={c}, {:.0} s ...", args.seconds);
            let load = load_average();
            let threads_before = mint_pid.map(thread_nanos).unwrap_or_default();
            let before = CpuSnapshot::take(mint_pid, backend);
            let mut ceilings = Vec::new();
            let LevelRun { samples, in_window, seconds: elapsed, ran_out, cpu: slices } = timed_level(
                &endpoint,
                &pool,
                &next,
                (c, args.seconds, args.slice_seconds),
                &|| CpuSnapshot::take(mint_pid, backend),
                &mut || {
                    ceilings.push(crypto_ceiling(work, args.paired_ceiling_seconds)?);
                    Ok(())
                },
            )?;
            let after = CpuSnapshot::take(mint_pid, backend);
            let threads_after = mint_pid.map(thread_nanos).unwrap_or_default();
            let threads = thread_use(&threads_before, &threads_after, samples.len());
            // The machine's figures over the slices; the mint's and the database's over the whole level, since
            // work a slice caused may finish during the next pause (a checkpoint, say).
            let mut cpu = cpu_use(&CpuSnapshot::default(), &slices, samples.len(), backend, tick);
            let whole = cpu_use(&before, &after, samples.len(), backend, tick);
            cpu.mint_us = whole.mint_us;
            cpu.postgres_us = whole.postgres_us;

            let (errors, dleq_checked) = check_responses(&samples, &pool, &keyset);
            let mut micros: Vec<u64> = samples.iter().map(|s| s.micros).collect();
            micros.sort_unstable();
            let result = LevelResult {
                concurrency: c,
                swaps: samples.len(),
                seconds: elapsed,
                rate: in_window as f64 / elapsed.max(1e-9),
                ceilings,
                threads,
                p50: percentile(&micros, 50.0),
                p95: percentile(&micros, 95.0),
                p99: percentile(&micros, 99.0),
                max: micros.last().copied().unwrap_or(0),
                errors,
                dleq_checked,
                pool_ran_out: ran_out,
                cpu,
                load,
            };
            eprintln!(
                "  {} swaps in {:.2} s = {:.0}/s ({:.0}% of the paired ceiling), p50 {} p99 {}, errors {}{}",
                result.swaps,
                result.seconds,
                result.rate,
                100.0 * result.rate / result.ceiling(),
                fmt_us(result.p50),
                fmt_us(result.p99),
                result.errors,
                if ran_out { " (ran out of notes)" } else { "" }
            );
            hint = Some((result.rate, c));
            // Ran out well before the end: mint more from the measured rate and run the level again (once).
            if ran_out && elapsed < 0.8 * args.seconds && attempt < 2 && minted < args.max_notes {
                eprintln!("  too few notes prepared; running c={c} again with more");
                continue;
            }
            levels.push(result);
            break;
        }
    }
    Ok(TargetResult { name: name.to_owned(), levels })
}
