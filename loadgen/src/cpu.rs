//! CPU accounting from /proc.

use std::collections::BTreeMap;
use std::process::Command;

use crate::cli::Backend;

pub fn clock_ticks_per_second() -> f64 {
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
pub fn process_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Name (any trailing number dropped: `tokio-rt-worker`, `sqlite-writer`, ...) and CPU nanoseconds so far
/// (the scheduler's exact count) of each thread of process `pid`, by thread id.
pub fn thread_nanos(pid: u32) -> BTreeMap<u64, (String, u64)> {
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
pub fn thread_use(
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
pub fn ticks_of_command(name: &str) -> u64 {
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
pub fn system_ticks() -> (u64, u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let values: Vec<u64> =
        stat.lines().next().unwrap_or("").split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    let get = |i: usize| values.get(i).copied().unwrap_or(0);
    // user nice system idle iowait irq softirq steal
    let (idle, iowait) = (get(3), get(4));
    let total: u64 = values.iter().take(8).sum();
    (total.saturating_sub(idle + iowait), iowait, total)
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

#[derive(Debug, Default, Clone, Copy)]
pub struct CpuSnapshot {
    pub mint: Option<u64>,
    pub postgres: u64,
    pub client: u64,
    pub system: (u64, u64, u64),
}

impl CpuSnapshot {
    pub fn take(mint_pid: Option<u32>, backend: Backend) -> CpuSnapshot {
        CpuSnapshot {
            mint: mint_pid.and_then(|pid| process_ticks(&pid.to_string())),
            postgres: if backend == Backend::Postgres { ticks_of_command("postgres") } else { 0 },
            client: process_ticks("self").unwrap_or(0),
            system: system_ticks(),
        }
    }

    /// Add the ticks between `before` and `after` to these totals.
    pub fn add_interval(&mut self, before: &CpuSnapshot, after: &CpuSnapshot) {
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
pub struct CpuUse {
    /// CPU microseconds per swap: mint process, PostgreSQL processes, this load generator.
    pub mint_us: Option<f64>,
    pub postgres_us: Option<f64>,
    pub client_us: f64,
    /// Share of the whole machine busy / in iowait.
    pub busy: f64,
    pub iowait: f64,
    /// Share of the whole machine busy with other processes (not the mint, PostgreSQL or this generator):
    /// the noise in this measurement.
    pub others: f64,
}

pub fn cpu_use(before: &CpuSnapshot, after: &CpuSnapshot, swaps: usize, backend: Backend, tick: f64) -> CpuUse {
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
