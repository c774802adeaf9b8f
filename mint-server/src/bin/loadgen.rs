//! `loadgen`: swaps per second and latency percentiles of a running mint, next to the crypto-only ceiling
//! (the same verify + sign + DLEQ work in-process, on every core) measured in the same run.
//!
//! ```text
//! loadgen --spawn sqlite --spawn postgres          # start the sibling mint-server binary per backend
//! loadgen --url http://127.0.0.1:3338 --label x   # a mint already running with --fake-bolt11
//! ```
//!
//! For each target: fund itself through the fake `bolt11` backend (untimed), precompute one complete HTTP
//! request per planned swap (1 input of amount 1 -> 1 fresh blinded output), then for each concurrency `c`
//! open `c` keep-alive connections, each sending `POST /v1/swap` back to back for `--seconds`. The timed
//! loop does no client crypto and no JSON: it writes prepared bytes and reads the response. After the clock
//! stops every response is checked (status 200, one signature of amount 1 from the active keyset) and a
//! sample of the DLEQ proofs is verified.
//!
//! The machines this runs on change speed by tens of percent from one second to the next (other tenants on
//! the same host), so a ceiling measured before and after the run says little about a level measured in
//! between. Each level therefore runs in slices (`--slice-seconds`, 1 s): before each slice and after the
//! last one the connections pause and the crypto-only ceiling runs on every core (`--paired-ceiling-seconds`,
//! 0.5 s), and the level is compared with the mean of those paired measurements. A level's throughput is
//! the responses that arrived within the slices' windows over the windows' length (as `wrk` counts):
//! requests still in flight when a slice's time is up are checked but not counted, and the drain that
//! follows is not timed. The figures of the mint
//! and the database include the pauses (work a slice left behind, such as a checkpoint, is counted); the
//! machine's busy share and this generator's CPU cover the slices only.
//!
//! The load generator shares the cores with the mint, so it takes as little CPU as it can: a minimal
//! HTTP/1.1 client (blocking on `std::net` for the untimed setup; in the timed loop all connections on one
//! thread, a single-threaded Tokio runtime). Its own CPU time, the mint's (also by thread, from the
//! scheduler's exact count) and the database's are reported per swap.
//!
//! Prints a markdown table on stdout; progress and diagnostics go to stderr.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail, ensure};
use clap::{Parser, ValueEnum};
use mint_server::store::{Commit, MintStore, SqliteStore};
use shared::keyset::MintKeySet;
use shared::nuts::{
    KeysResponse, MintQuoteBolt11Request, MintQuoteBolt11Response, MintRequest, MintResponse, SwapRequest, SwapResponse,
};
use shared::{
    Amount, BlindSignature, BlindSignatureDleq, BlindedMessage, CurrencyUnit, KeySet, Proof, PublicKey, Secret,
    SecretKey, dhke, dleq,
};

/// Most outputs the mint takes per request (its default `--max-outputs`).
const MINT_BATCH: usize = 1000;
/// Longest wait for one HTTP response.
const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest response body accepted.
const MAX_BODY: usize = 64 << 20;
/// One in this many swap responses gets its DLEQ proof verified after the clock stops.
const DLEQ_SAMPLE_EVERY: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, Parser)]
#[command(name = "loadgen", about = "Swap throughput and latency of a mint, next to the crypto-only ceiling")]
struct Args {
    /// A running mint started with --fake-bolt11, e.g. http://127.0.0.1:3338.
    #[arg(long)]
    url: Option<String>,

    /// Name of the --url target in the table.
    #[arg(long, default_value = "mint")]
    label: String,

    /// Process id of the --url mint, to report its CPU time per swap.
    #[arg(long)]
    mint_pid: Option<u32>,

    /// The database of the --url mint (with `postgres`, the CPU time of all PostgreSQL processes on this
    /// machine is reported per swap).
    #[arg(long, value_enum, default_value = "sqlite")]
    url_backend: Backend,

    /// Start the mint-server binary on this backend (repeatable: each is measured in turn).
    #[arg(long, value_enum)]
    spawn: Vec<Backend>,

    /// The mint-server binary for --spawn. Default: `mint-server` beside this binary.
    #[arg(long)]
    mint_bin: Option<PathBuf>,

    /// `RUST_LOG` of a spawned mint (its log goes to a file in its temporary data directory).
    #[arg(long, default_value = "info")]
    mint_log: String,

    /// Extra arguments for a spawned mint (repeatable), e.g. --mint-arg=--max-inputs=10.
    #[arg(long, allow_hyphen_values = true)]
    mint_arg: Vec<String>,

    /// PostgreSQL server and database the user may `CREATE DATABASE` from; --spawn postgres creates a fresh
    /// database there and drops it afterwards.
    #[arg(long, env = "MINT_TEST_POSTGRES_URL", default_value = "postgres://mint:mint@127.0.0.1:5432/postgres")]
    postgres_admin_url: String,

    /// Concurrency levels (client connections sending back to back).
    #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 8, 64])]
    concurrency: Vec<usize>,

    /// Timed seconds per concurrency level.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,

    /// Seconds of the crypto-only ceiling (measured before and after the end-to-end runs).
    #[arg(long, default_value_t = 3.0)]
    ceiling_seconds: f64,

    /// A level's load runs in slices of this many seconds; before each slice and after the last one the
    /// load pauses and the crypto-only ceiling runs for --paired-ceiling-seconds. Each level is compared
    /// with the ceiling measured around its own slices: this machine's speed changes by tens of percent
    /// from one second to the next, and a ceiling measured a minute apart says little about a given level.
    #[arg(long, default_value_t = 1.0)]
    slice_seconds: f64,

    /// Seconds of each paired ceiling measurement between slices (see --slice-seconds).
    #[arg(long, default_value_t = 0.5)]
    paired_ceiling_seconds: f64,

    /// Seconds of the storage-only ceiling (the SQLite store alone, in this process, committing what swaps
    /// commit from as many tasks as the highest concurrency level); 0 skips it.
    #[arg(long, default_value_t = 3.0)]
    storage_seconds: f64,

    /// Threads of the crypto-only ceiling. Default: the number of cores.
    #[arg(long)]
    ceiling_threads: Option<usize>,

    /// Upper bound on notes minted per target (each timed swap spends one).
    #[arg(long, default_value_t = 300_000)]
    max_notes: usize,
}

fn main() {
    if let Err(error) = run(Args::parse()) {
        eprintln!("loadgen: {error:#}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    ensure!(args.url.is_some() || !args.spawn.is_empty(), "give --url or --spawn");
    ensure!(args.seconds > 0.0 && args.seconds <= 600.0, "--seconds must be in (0, 600]");
    ensure!(args.ceiling_seconds > 0.0 && args.ceiling_seconds <= 60.0, "--ceiling-seconds must be in (0, 60]");
    ensure!(args.slice_seconds > 0.0 && args.slice_seconds <= 600.0, "--slice-seconds must be in (0, 600]");
    ensure!(
        args.paired_ceiling_seconds > 0.0 && args.paired_ceiling_seconds <= 60.0,
        "--paired-ceiling-seconds must be in (0, 60]"
    );
    ensure!((0.0..=60.0).contains(&args.storage_seconds), "--storage-seconds must be in [0, 60]");
    ensure!(!args.concurrency.is_empty(), "--concurrency needs at least one level");
    ensure!(args.concurrency.iter().all(|c| (1..=1024).contains(c)), "concurrency must be in 1..=1024");
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let ceiling_threads = args.ceiling_threads.unwrap_or(cores).clamp(1, 256);
    eprintln!("loadgen: {cores} cores, load average {}", load_average());

    let mut ceilings = Vec::new();
    let mut targets = Vec::new();
    eprintln!("crypto-only ceiling ({ceiling_threads} threads, {:.1} s) ...", args.ceiling_seconds);
    let breakdown = crypto_breakdown()?;
    let work = CeilingWork::new(ceiling_threads)?;
    ceilings.push(crypto_ceiling(&work, args.ceiling_seconds)?);
    eprintln!("  {:.0} swaps/s", ceilings[0].rate);
    let storage = if args.storage_seconds > 0.0 {
        let tasks = args.concurrency.iter().copied().max().unwrap_or(1);
        eprintln!("storage-only ceiling (SQLite in-process, {tasks} tasks, {:.1} s) ...", args.storage_seconds);
        // Enough fresh commits for a store several times faster than this machine's crypto.
        let commits = ((ceilings[0].rate * 4.0 * args.storage_seconds) as usize).clamp(1000, args.max_notes.max(1000));
        let storage = storage_ceiling(tasks, args.storage_seconds, cores, commits)?;
        eprintln!("  {:.0} commits/s, {:.0} µs of CPU each", storage.rate, storage.cpu_us);
        Some(storage)
    } else {
        None
    };

    for backend in &args.spawn {
        let mint = SpawnedMint::start(&args, *backend)?;
        let result =
            measure_target(&args, &work, backend.name(), &mint.url, Some(mint.pid()), *backend, ceilings[0].rate);
        mint.stop();
        targets.push(result?);
    }
    if let Some(url) = &args.url {
        targets.push(measure_target(
            &args,
            &work,
            &args.label,
            url,
            args.mint_pid,
            args.url_backend,
            ceilings[0].rate,
        )?);
    }

    eprintln!("crypto-only ceiling again ...");
    ceilings.push(crypto_ceiling(&work, args.ceiling_seconds)?);
    eprintln!("  {:.0} swaps/s", ceilings[1].rate);
    // Every measurement of the run, the paired ones included, weighted by its duration.
    let paired: Vec<Ceiling> =
        targets.iter().flat_map(|t| &t.levels).flat_map(|l| l.ceilings.iter().copied()).collect();
    let all: Vec<Ceiling> = ceilings.iter().chain(&paired).copied().collect();
    let ceiling = mean_ceiling(&all);

    let baselines = Baselines {
        ceiling_threads,
        ceilings: &ceilings,
        paired: paired.len(),
        ceiling,
        breakdown: &breakdown,
        storage,
    };
    println!("{}", report(&args, cores, &baselines, &targets));
    let errors: usize = targets.iter().flat_map(|t| &t.levels).map(|l| l.errors).sum();
    ensure!(errors == 0, "{errors} swaps failed");
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Crypto-only ceiling

/// A precomputed swap for the in-process ceiling: a valid input note and a fresh blinded output.
struct CryptoSwap {
    secret: Secret,
    c: PublicKey,
    blinded: PublicKey,
}

fn ceiling_workload(count: usize) -> anyhow::Result<(MintKeySet, Vec<CryptoSwap>)> {
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
fn crypto_swap(k: &SecretKey, swap: &CryptoSwap) -> anyhow::Result<()> {
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
struct Ceiling {
    rate: f64,
    seconds: f64,
    others: f64,
}

/// The precomputed inputs of [`crypto_ceiling`], drawn once and reused by every measurement.
struct CeilingWork {
    keyset: MintKeySet,
    swaps: Vec<CryptoSwap>,
    threads: usize,
}

impl CeilingWork {
    fn new(threads: usize) -> anyhow::Result<CeilingWork> {
        let (keyset, swaps) = ceiling_workload(512)?;
        Ok(CeilingWork { keyset, swaps, threads })
    }
}

/// Swaps per second of [`crypto_swap`] on `work.threads` threads for `seconds`.
fn crypto_ceiling(work: &CeilingWork, seconds: f64) -> anyhow::Result<Ceiling> {
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
fn mean_ceiling(runs: &[Ceiling]) -> (f64, f64, f64) {
    let seconds: f64 = runs.iter().map(|c| c.seconds).sum();
    let mean = runs.iter().map(|c| c.rate * c.seconds).sum::<f64>() / seconds.max(1e-9);
    let low = runs.iter().map(|c| c.rate).fold(f64::INFINITY, f64::min);
    let high = runs.iter().map(|c| c.rate).fold(0.0, f64::max);
    (mean, low, high)
}

/// Single-thread microseconds of each step of [`crypto_swap`].
#[derive(Debug, Default)]
struct Breakdown {
    hash_to_curve: f64,
    verify: f64,
    sign: f64,
    dleq: f64,
}

fn crypto_breakdown() -> anyhow::Result<Breakdown> {
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
struct StorageCeiling {
    tasks: usize,
    rate: f64,
    cpu_us: f64,
    busy: f64,
    ran_out: bool,
}

/// Commits drawn beforehand for the storage-only ceiling; each is used once (its `Y` and `B'` are fresh).
fn storage_workload(count: usize, threads: usize) -> anyhow::Result<Vec<Commit>> {
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
                            Ok(Commit {
                                spend: vec![(y, proof)],
                                signatures: vec![(blinded, signature)],
                                request: Some(request),
                                ..Commit::default()
                            })
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
fn storage_ceiling(tasks: usize, seconds: f64, cores: usize, max_commits: usize) -> anyhow::Result<StorageCeiling> {
    let dir = std::env::temp_dir().join(format!("loadgen-store-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let result = storage_ceiling_in(&dir, tasks, seconds, cores, max_commits);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn storage_ceiling_in(
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

// ---------------------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client (keep-alive, Content-Length or chunked bodies)

struct Endpoint {
    addr: SocketAddr,
    host: String,
}

impl Endpoint {
    fn parse(url: &str) -> anyhow::Result<Endpoint> {
        let rest = url.strip_prefix("http://").ok_or_else(|| anyhow!("--url must start with http://"))?;
        let host = rest.trim_end_matches('/');
        ensure!(!host.contains('/'), "--url must be http://HOST:PORT with no path");
        let addr = host
            .to_socket_addrs()
            .with_context(|| format!("cannot resolve {host}"))?
            .next()
            .ok_or_else(|| anyhow!("{host} resolves to nothing"))?;
        Ok(Endpoint { addr, host: host.to_owned() })
    }

    fn request_bytes(&self, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if method == "POST" {
            let _ = write!(head, "Content-Type: application/json\r\nContent-Length: {}\r\n", body.len());
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }

    fn connect(&self) -> anyhow::Result<Connection> {
        let stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(10))
            .with_context(|| format!("cannot connect to {}", self.addr))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(Connection { reader: BufReader::with_capacity(16 * 1024, stream), line: String::new() })
    }
}

struct Connection {
    reader: BufReader<TcpStream>,
    line: String,
}

/// What the client needs of a response head (both the blocking and the timed-loop client read it so).
struct Head {
    status: u16,
    length: Option<usize>,
    chunked: bool,
    close: bool,
}

impl Head {
    fn from_status_line(line: &str) -> anyhow::Result<Head> {
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| anyhow!("bad status line {line:?}"))?;
        Ok(Head { status, length: None, chunked: false, close: false })
    }

    /// Take in one header line.
    fn header(&mut self, line: &str) -> anyhow::Result<()> {
        let Some((name, value)) = line.split_once(':') else { bail!("bad header line {line:?}") };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            self.length = Some(value.parse::<usize>().context("bad content-length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            self.chunked = value.eq_ignore_ascii_case("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            self.close = value.eq_ignore_ascii_case("close");
        }
        Ok(())
    }
}

struct Response {
    status: u16,
    body: Vec<u8>,
    close: bool,
}

impl Connection {
    /// Send a complete request and read the response.
    fn send(&mut self, request: &[u8]) -> anyhow::Result<Response> {
        self.reader.get_mut().write_all(request)?;
        self.read_response()
    }

    fn read_line(&mut self) -> anyhow::Result<&str> {
        self.line.clear();
        let n = (&mut self.reader).take(64 * 1024).read_line(&mut self.line)?;
        ensure!(n > 0, "connection closed by the mint");
        Ok(self.line.trim_end_matches(['\r', '\n']))
    }

    fn read_response(&mut self) -> anyhow::Result<Response> {
        let mut head = Head::from_status_line(self.read_line()?)?;
        for _ in 0..256 {
            let line = self.read_line()?;
            if line.is_empty() {
                break;
            }
            head.header(line)?;
        }
        let Head { status, length, chunked, mut close } = head;
        let body = if chunked {
            let mut body = Vec::new();
            loop {
                let size_line = self.read_line()?;
                let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                    .context("bad chunk size")?;
                ensure!(body.len() + size <= MAX_BODY, "response too large");
                if size == 0 {
                    self.read_line()?;
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                self.reader.read_exact(&mut body[start..])?;
                self.read_line()?;
            }
            body
        } else if let Some(length) = length {
            ensure!(length <= MAX_BODY, "response too large");
            let mut body = vec![0; length];
            self.reader.read_exact(&mut body)?;
            body
        } else {
            close = true;
            let mut body = Vec::new();
            (&mut self.reader).take(MAX_BODY as u64).read_to_end(&mut body)?;
            body
        };
        Ok(Response { status, body, close })
    }
}

/// One JSON request on a fresh or given connection; errors unless the status is 200.
fn call<T: serde::de::DeserializeOwned>(
    endpoint: &Endpoint,
    conn: &mut Connection,
    method: &str,
    path: &str,
    body: &[u8],
) -> anyhow::Result<T> {
    let response = conn.send(&endpoint.request_bytes(method, path, body))?;
    if response.close {
        *conn = endpoint.connect()?;
    }
    ensure!(
        response.status == 200,
        "{method} {path}: HTTP {}: {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    serde_json::from_slice(&response.body).with_context(|| format!("{method} {path}: unreadable response"))
}

// ---------------------------------------------------------------------------------------------------------
// Preparation: fund through the fake bolt11 backend and precompute the swap requests

/// A prepared swap: the complete HTTP request and the output it asks the mint to sign.
struct PreparedSwap {
    request: Vec<u8>,
    blinded: PublicKey,
}

/// Mint `count` notes of amount 1 and turn each into a prepared swap request.
fn mint_batch(
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
fn prepare(endpoint: &Endpoint, keyset: &KeySet, count: usize, threads: usize) -> anyhow::Result<Vec<PreparedSwap>> {
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

// ---------------------------------------------------------------------------------------------------------
// CPU accounting from /proc

fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// utime + stime of a process, in clock ticks (None if it cannot be read).
fn process_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Name (any trailing number dropped: `tokio-rt-worker`, `sqlite-writer`, ...) and CPU nanoseconds so far
/// (the scheduler's exact count) of each thread of process `pid`, by thread id.
fn thread_nanos(pid: u32) -> BTreeMap<u64, (String, u64)> {
    let mut threads = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return threads };
    for entry in entries.flatten() {
        let dir = entry.path();
        let (Ok(comm), Ok(schedstat)) =
            (std::fs::read_to_string(dir.join("comm")), std::fs::read_to_string(dir.join("schedstat")))
        else {
            continue;
        };
        let Some(nanos) = schedstat.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()) else { continue };
        let Some(tid) = entry.file_name().to_str().and_then(|t| t.parse::<u64>().ok()) else { continue };
        let name = comm.trim_end().trim_end_matches(|c: char| c.is_ascii_digit()).trim_end_matches(['-', '_', ' ']);
        threads.insert(tid, (name.to_owned(), nanos));
    }
    threads
}

/// CPU microseconds per swap by thread name between two [`thread_nanos`] snapshots, largest first. Threads
/// that ended in between are not seen, so the sum can fall short of the process's total.
fn thread_use(
    before: &BTreeMap<u64, (String, u64)>,
    after: &BTreeMap<u64, (String, u64)>,
    swaps: usize,
) -> Vec<(String, f64)> {
    let mut by_name: BTreeMap<&str, u64> = BTreeMap::new();
    for (tid, (name, nanos)) in after {
        let earlier = before.get(tid).map_or(0, |(_, nanos)| *nanos);
        *by_name.entry(name).or_insert(0) += nanos.saturating_sub(earlier);
    }
    let mut threads: Vec<(String, f64)> = by_name
        .into_iter()
        .map(|(name, nanos)| (name.to_owned(), nanos as f64 / 1e3 / swaps.max(1) as f64))
        .filter(|(_, micros)| *micros >= 0.5)
        .collect();
    threads.sort_by(|a, b| b.1.total_cmp(&a.1));
    threads
}

/// CPU ticks of all processes whose command name starts with `name` (e.g. the PostgreSQL backends).
fn ticks_of_command(name: &str) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0 };
    let mut total = 0;
    for entry in entries.flatten().take(100_000) {
        let pid = entry.file_name();
        let Some(pid) = pid.to_str().filter(|p| p.bytes().all(|b| b.is_ascii_digit())) else { continue };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim_end().starts_with(name) {
            total += process_ticks(pid).unwrap_or(0);
        }
    }
    total
}

/// (busy, iowait, total) ticks of the whole machine.
fn system_ticks() -> (u64, u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let values: Vec<u64> =
        stat.lines().next().unwrap_or("").split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    let get = |i: usize| values.get(i).copied().unwrap_or(0);
    // user nice system idle iowait irq softirq steal
    let (idle, iowait) = (get(3), get(4));
    let total: u64 = values.iter().take(8).sum();
    (total.saturating_sub(idle + iowait), iowait, total)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

#[derive(Debug, Default, Clone, Copy)]
struct CpuSnapshot {
    mint: Option<u64>,
    postgres: u64,
    client: u64,
    system: (u64, u64, u64),
}

impl CpuSnapshot {
    fn take(mint_pid: Option<u32>, backend: Backend) -> CpuSnapshot {
        CpuSnapshot {
            mint: mint_pid.and_then(|pid| process_ticks(&pid.to_string())),
            postgres: if backend == Backend::Postgres { ticks_of_command("postgres") } else { 0 },
            client: process_ticks("self").unwrap_or(0),
            system: system_ticks(),
        }
    }

    /// Add the ticks between `before` and `after` to these totals.
    fn add_interval(&mut self, before: &CpuSnapshot, after: &CpuSnapshot) {
        let d = |a: u64, b: u64| a.saturating_sub(b);
        self.mint = match (before.mint, after.mint) {
            (Some(b), Some(a)) => Some(self.mint.unwrap_or(0) + d(a, b)),
            _ => None,
        };
        self.postgres += d(after.postgres, before.postgres);
        self.client += d(after.client, before.client);
        self.system.0 += d(after.system.0, before.system.0);
        self.system.1 += d(after.system.1, before.system.1);
        self.system.2 += d(after.system.2, before.system.2);
    }
}

/// Where the CPU went during a level.
#[derive(Debug, Default, Clone)]
struct CpuUse {
    /// CPU microseconds per swap: mint process, PostgreSQL processes, this load generator.
    mint_us: Option<f64>,
    postgres_us: Option<f64>,
    client_us: f64,
    /// Share of the whole machine busy / in iowait.
    busy: f64,
    iowait: f64,
    /// Share of the whole machine busy with other processes (not the mint, PostgreSQL or this generator):
    /// the noise in this measurement.
    others: f64,
}

fn cpu_use(before: &CpuSnapshot, after: &CpuSnapshot, swaps: usize, backend: Backend, tick: f64) -> CpuUse {
    let per_swap = |ticks: u64| ticks as f64 / tick * 1e6 / swaps.max(1) as f64;
    let total = (after.system.2.saturating_sub(before.system.2)).max(1) as f64;
    let busy = after.system.0.saturating_sub(before.system.0);
    let own = after.client.saturating_sub(before.client)
        + after.postgres.saturating_sub(before.postgres)
        + after.mint.unwrap_or(0).saturating_sub(before.mint.unwrap_or(0));
    CpuUse {
        others: busy.saturating_sub(own) as f64 / total,
        mint_us: match (before.mint, after.mint) {
            (Some(b), Some(a)) => Some(per_swap(a.saturating_sub(b))),
            _ => None,
        },
        postgres_us: (backend == Backend::Postgres).then(|| per_swap(after.postgres.saturating_sub(before.postgres))),
        client_us: per_swap(after.client.saturating_sub(before.client)),
        busy: busy as f64 / total,
        iowait: after.system.1.saturating_sub(before.system.1) as f64 / total,
    }
}

// ---------------------------------------------------------------------------------------------------------
// The timed phase

struct Sample {
    index: usize,
    micros: u64,
    outcome: Result<Response, String>,
}

#[derive(Debug, Clone)]
struct LevelResult {
    concurrency: usize,
    swaps: usize,
    seconds: f64,
    rate: f64,
    /// The crypto-only ceiling measured between this level's slices.
    ceilings: Vec<Ceiling>,
    /// The mint's CPU microseconds per swap by thread name, over the whole level.
    threads: Vec<(String, f64)>,
    p50: u64,
    p95: u64,
    p99: u64,
    max: u64,
    errors: usize,
    dleq_checked: usize,
    pool_ran_out: bool,
    cpu: CpuUse,
    load: String,
}

/// What a level's slices produced.
struct LevelRun {
    samples: Vec<Sample>,
    /// Responses that arrived within their slice's time (those still in flight when a slice's time is up
    /// are checked like the others but not counted: the throughput is that of the window, as `wrk`'s is).
    in_window: usize,
    /// Seconds under load: the sum of the slices' windows.
    seconds: f64,
    ran_out: bool,
    /// CPU ticks during the slices only.
    cpu: CpuSnapshot,
}

/// `c` connections send the prepared swaps from `next` on, back to back, in slices of `slice` seconds until
/// `seconds` of load have passed or the pool is used up. `pause` runs before the first slice and after each
/// one, while every connection is idle (it measures the crypto-only ceiling). All connections are driven
/// by one thread (a single-threaded Tokio runtime, so one wake-up serves every connection that is ready):
/// the load generator shares the cores with the mint, and 64 blocking client threads, each woken for each
/// response, cost the machine about 30 µs per swap.
fn timed_level(
    endpoint: &Endpoint,
    pool: &[PreparedSwap],
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
                    let outcome = conn.send(&swap.request).await;
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

/// The timed loop's connection: one request at a time, responses with a `Content-Length` (what the mint
/// sends for JSON).
struct AsyncConnection {
    stream: tokio::net::TcpStream,
    buffer: Vec<u8>,
}

impl AsyncConnection {
    async fn connect(addr: SocketAddr) -> anyhow::Result<AsyncConnection> {
        let stream = tokio::time::timeout(Duration::from_secs(10), tokio::net::TcpStream::connect(addr))
            .await
            .map_err(|_| anyhow!("connecting to {addr} timed out"))?
            .with_context(|| format!("cannot connect to {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(AsyncConnection { stream, buffer: Vec::with_capacity(16 * 1024) })
    }

    async fn send(&mut self, request: &[u8]) -> anyhow::Result<Response> {
        tokio::time::timeout(IO_TIMEOUT, self.exchange(request)).await.map_err(|_| anyhow!("no response in time"))?
    }

    async fn exchange(&mut self, request: &[u8]) -> anyhow::Result<Response> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        self.stream.write_all(request).await?;
        self.buffer.clear();
        let head_end = loop {
            if let Some(at) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            ensure!(self.buffer.len() <= 64 * 1024, "response head too large");
            ensure!(self.stream.read_buf(&mut self.buffer).await? > 0, "connection closed by the mint");
        };
        let head = std::str::from_utf8(&self.buffer[..head_end]).context("response head is not UTF-8")?;
        let mut lines = head.split("\r\n");
        let mut head = Head::from_status_line(lines.next().unwrap_or(""))?;
        for line in lines.filter(|line| !line.is_empty()) {
            head.header(line)?;
        }
        let Head { status, length, chunked, close } = head;
        ensure!(!chunked, "chunked response in the timed loop");
        let length = length.ok_or_else(|| anyhow!("response without Content-Length"))?;
        ensure!(length <= MAX_BODY, "response too large");
        while self.buffer.len() < head_end + length {
            ensure!(self.stream.read_buf(&mut self.buffer).await? > 0, "connection closed by the mint");
        }
        let body = self.buffer[head_end..head_end + length].to_vec();
        Ok(Response { status, body, close })
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Check every response after the clock stopped; verify a sample of DLEQ proofs. Returns (errors, checked).
fn check_responses(samples: &[Sample], pool: &[PreparedSwap], keyset: &KeySet) -> (usize, usize) {
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
    fn ceiling(&self) -> f64 {
        mean_ceiling(&self.ceilings).0
    }
}

struct TargetResult {
    name: String,
    levels: Vec<LevelResult>,
}

fn measure_target(
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

// ---------------------------------------------------------------------------------------------------------
// Spawning the mint

struct SpawnedMint {
    child: Child,
    dir: PathBuf,
    url: String,
    database: Option<(String, String)>,
}

impl SpawnedMint {
    fn start(args: &Args, backend: Backend) -> anyhow::Result<SpawnedMint> {
        let bin = match &args.mint_bin {
            Some(bin) => bin.clone(),
            None => std::env::current_exe()?.with_file_name("mint-server"),
        };
        ensure!(bin.is_file(), "no mint-server binary at {} (build it, or pass --mint-bin)", bin.display());
        let dir = std::env::temp_dir().join(format!("loadgen-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let url = format!("http://127.0.0.1:{port}");
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(create_database(&args.postgres_admin_url)?),
        };
        let log = std::fs::File::create(dir.join("mint.log"))?;
        let mut command = Command::new(&bin);
        command
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--wallet-dir")
            .arg(dir.join("no-wallet"))
            .arg("--fake-bolt11")
            .args(&args.mint_arg)
            .env("RUST_LOG", &args.mint_log)
            .env_remove("MINT_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if let Some((url, _)) = &database {
            command.arg("--database-url").arg(url);
        }
        eprintln!("{}: starting {} on {url} (data in {})", backend.name(), bin.display(), dir.display());
        let child = command.spawn().with_context(|| format!("cannot start {}", bin.display()))?;
        let mut mint = SpawnedMint { child, dir, url, database };
        mint.wait_ready().inspect_err(|_| {
            let log = std::fs::read_to_string(mint.dir.join("mint.log")).unwrap_or_default();
            eprintln!(
                "mint log:\n{}",
                log.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        })?;
        Ok(mint)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn wait_ready(&mut self) -> anyhow::Result<()> {
        let endpoint = Endpoint::parse(&self.url)?;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if let Some(status) = self.child.try_wait()? {
                bail!("mint-server exited at start: {status}");
            }
            if let Ok(mut conn) = endpoint.connect()
                && call::<serde_json::Value>(&endpoint, &mut conn, "GET", "/v1/info", b"").is_ok()
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("mint-server did not answer within 60 s")
    }

    /// SIGTERM, wait (bounded) for a graceful exit, then clean up the data directory and database.
    fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
            let started = Instant::now();
            while matches!(self.child.try_wait(), Ok(None)) && started.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(50));
            }
            if matches!(self.child.try_wait(), Ok(None)) {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((_, name)) = self.database.take()
            && let Some(admin) = self.admin_url_for_drop()
            && let Err(error) = drop_database(&admin, &name)
        {
            eprintln!("could not drop database {name}: {error:#}");
        }
    }

    fn admin_url_for_drop(&self) -> Option<String> {
        std::env::var("MINT_TEST_POSTGRES_URL")
            .ok()
            .or_else(|| Some("postgres://mint:mint@127.0.0.1:5432/postgres".into()))
    }
}

impl Drop for SpawnedMint {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn postgres_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

/// A fresh database on the admin URL's server: (its URL, its name). Named like the tests' databases so
/// that `scripts/lib.sh` drops it if this process dies before it does.
fn create_database(admin_url: &str) -> anyhow::Result<(String, String)> {
    let name = format!("mint_test_bench_{}", uuid::Uuid::new_v4().simple());
    postgres_runtime()?.block_on(async {
        let admin = sqlx::PgPool::connect(admin_url).await.with_context(|| format!("cannot connect to {admin_url}"))?;
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await?;
        admin.close().await;
        anyhow::Ok(())
    })?;
    let (base, _) = admin_url.rsplit_once('/').ok_or_else(|| anyhow!("the PostgreSQL URL must end in /DATABASE"))?;
    Ok((format!("{base}/{name}"), name))
}

fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    postgres_runtime()?.block_on(async {
        let admin = sqlx::PgPool::connect(admin_url).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&admin).await?;
        admin.close().await;
        anyhow::Ok(())
    })
}

// ---------------------------------------------------------------------------------------------------------
// Report

fn fmt_us(micros: u64) -> String {
    if micros >= 10_000 {
        format!("{:.0} ms", micros as f64 / 1000.0)
    } else {
        format!("{:.2} ms", micros as f64 / 1000.0)
    }
}

/// What the end-to-end figures are measured against, all from the same run.
struct Baselines<'a> {
    ceiling_threads: usize,
    /// The crypto-only ceiling runs before and after the end-to-end runs.
    ceilings: &'a [Ceiling],
    /// How many paired runs there were (between the levels' slices).
    paired: usize,
    /// Mean, lowest and highest rate of all crypto-only ceiling runs, weighted by duration.
    ceiling: (f64, f64, f64),
    breakdown: &'a Breakdown,
    storage: Option<StorageCeiling>,
}

fn report(args: &Args, cores: usize, baselines: &Baselines, targets: &[TargetResult]) -> String {
    let Baselines { ceiling_threads, ceilings, paired, ceiling: (ceiling, low, high), breakdown, storage } = *baselines;
    let mut out = String::new();
    let per_swap = breakdown.hash_to_curve + breakdown.verify + breakdown.sign + breakdown.dleq;
    let _ = writeln!(
        out,
        "Swaps (1 input -> 1 output, amount 1) over HTTP, {:.0} s per level in slices of {:.1} s. Crypto-only \
         ceiling = verify + sign + DLEQ in-process on {ceiling_threads} threads ({cores} cores), measured for \
         {:.1} s before each slice and after a level's last one, with the load paused ({paired} runs), and for \
         {:.0} s before and after the whole run ({}): {} swaps/s on average, {} to {} from run to run. Each level \
         is compared with the ceiling measured around its own slices (\"paired ceiling\").\n",
        args.seconds,
        args.slice_seconds.min(args.seconds),
        args.paired_ceiling_seconds,
        args.ceiling_seconds,
        ceilings
            .iter()
            .map(|c| format!("{} with {:.0}% of the machine busy elsewhere", fmt_rate(c.rate), 100.0 * c.others))
            .collect::<Vec<_>>()
            .join("; "),
        fmt_rate(ceiling),
        fmt_rate(low),
        fmt_rate(high),
    );
    let _ = writeln!(
        out,
        "| backend | concurrency | swaps/s | paired ceiling | vs ceiling | p50 | p95 | p99 | max | errors |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| crypto only (in-process, {ceiling_threads} threads, mean of all runs) | - | {} | - | 100% | {} | - | - | - \
         | - |",
        fmt_rate(ceiling),
        fmt_us((per_swap) as u64),
    );
    if let Some(storage) = storage {
        // Crypto and storage share the cores: a swap needs `cores / ceiling` seconds of CPU for its crypto
        // and `cpu_us` for its durable write, so together they allow at most this many swaps per second.
        let combined = cores as f64 / (cores as f64 / ceiling + storage.cpu_us / 1e6);
        let _ = writeln!(
            out,
            "| storage only (SQLite in-process, {} tasks{}) | - | {} commits/s | - | - | - | - | - | - | - |",
            storage.tasks,
            if storage.ran_out { ", ran out of commits" } else { "" },
            fmt_rate(storage.rate),
        );
        let _ = writeln!(
            out,
            "| crypto + storage on the same cores (bound) | - | {} | - | {:.0}% | - | - | - | - | - |",
            fmt_rate(combined),
            100.0 * combined / ceiling,
        );
    }
    for target in targets {
        for level in &target.levels {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:.0}% | {} | {} | {} | {} | {} |",
                target.name,
                level.concurrency,
                fmt_rate(level.rate),
                fmt_rate(level.ceiling()),
                100.0 * level.rate / level.ceiling(),
                fmt_us(level.p50),
                fmt_us(level.p95),
                fmt_us(level.p99),
                fmt_us(level.max),
                level.errors,
            );
        }
    }
    let _ = writeln!(
        out,
        "\nCrypto per swap, one thread: hash_to_curve {:.1} µs + verify {:.1} µs + sign {:.1} µs \
         + DLEQ prove {:.1} µs = {:.1} µs.",
        breakdown.hash_to_curve, breakdown.verify, breakdown.sign, breakdown.dleq, per_swap
    );
    if let Some(storage) = storage {
        let _ = writeln!(
            out,
            "Storage per swap (SQLite, one spent row + one signature row, group commit, fsync of the log): {:.0} µs \
             of CPU in the store's process ({:.0}% of the machine busy during that run).",
            storage.cpu_us,
            100.0 * storage.busy,
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| backend | concurrency | swaps | seconds | mint CPU/swap | PostgreSQL CPU/swap | loadgen CPU/swap \
         | machine busy | of which others | iowait | DLEQ checked | load avg before |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for target in targets {
        for level in &target.levels {
            let opt = |v: Option<f64>| v.map(|v| format!("{v:.0} µs")).unwrap_or_else(|| "-".into());
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.2}{} | {} | {} | {:.0} µs | {:.0}% | {:.0}% | {:.0}% | {} | {} |",
                target.name,
                level.concurrency,
                level.swaps,
                level.seconds,
                if level.pool_ran_out { " (ran out of notes)" } else { "" },
                opt(level.cpu.mint_us),
                opt(level.cpu.postgres_us),
                level.cpu.client_us,
                100.0 * level.cpu.busy,
                100.0 * level.cpu.others,
                100.0 * level.cpu.iowait,
                level.dleq_checked,
                level.load,
            );
        }
    }
    let with_threads: Vec<_> = targets
        .iter()
        .flat_map(|t| t.levels.iter().map(move |l| (t, l)))
        .filter(|(_, l)| !l.threads.is_empty())
        .collect();
    if !with_threads.is_empty() {
        let _ = writeln!(out, "\nMint CPU per swap by thread (scheduler's count, whole level):\n");
        for (target, level) in with_threads {
            let parts: Vec<String> = level.threads.iter().map(|(name, us)| format!("{name} {us:.0} µs")).collect();
            let _ = writeln!(out, "- {} c={}: {}", target.name, level.concurrency, parts.join(", "));
        }
    }
    out
}

fn fmt_rate(rate: f64) -> String {
    let whole = rate.round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
