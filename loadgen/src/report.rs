//! The markdown tables printed on stdout.

use std::fmt::Write as _;

use crate::ceiling::{Breakdown, Ceiling, StorageCeiling};
use crate::cli::Args;
use crate::format::{fmt_rate, fmt_us};
use crate::measure::TargetResult;

/// What the end-to-end figures are measured against, all from the same run.
pub struct Baselines<'a> {
    pub ceiling_threads: usize,
    /// The crypto-only ceiling runs before and after the end-to-end runs.
    pub ceilings: &'a [Ceiling],
    /// How many paired runs there were (between the levels' slices).
    pub paired: usize,
    /// Mean, lowest and highest rate of all crypto-only ceiling runs, weighted by duration.
    pub ceiling: (f64, f64, f64),
    pub breakdown: &'a Breakdown,
    pub storage: Option<StorageCeiling>,
}

pub fn report(args: &Args, cores: usize, baselines: &Baselines, targets: &[TargetResult]) -> String {
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
