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
//!
//! `loadgen --offline --spawn sqlite` measures offline-coin deposits instead (`offline.rs`): deposits per
//! second over HTTP next to the crypto-only ceiling of their curve work, paired the same way.
//!
//! `loadgen crash --backend sqlite|postgres --kills N` is the crash test instead (`crash/`): the mint killed
//! with SIGKILL at random moments under a swap/mint/melt mix, restarted, and checked (scripts/crash-test).

mod ceiling;
mod cli;
mod cpu;
mod crash;
mod format;
mod http;
mod measure;
mod offline;
mod report;
mod spawn;

use anyhow::ensure;
use clap::Parser;

use crate::ceiling::{Ceiling, CeilingWork, crypto_breakdown, crypto_ceiling, mean_ceiling, storage_ceiling};
use crate::cli::{Args, Mode};
use crate::cpu::load_average;
use crate::measure::measure_target;
use crate::report::{Baselines, report};
use crate::spawn::SpawnedMint;

fn main() {
    if let Err(error) = run(Args::parse()) {
        eprintln!("loadgen: {error:#}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    if let Some(Mode::Crash(crash)) = &args.mode {
        return crash::run(crash);
    }
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
    if args.offline {
        return offline::run(&args);
    }
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
