//! The load generator (`scripts/bench-mint`) end to end, briefly: it spawns the real mint on SQLite, funds
//! itself, runs two concurrency levels, checks every response and prints its tables. Guards the benchmark
//! tool itself (it is not run anywhere else in the test suite); the figures of a debug build mean nothing.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[test]
fn loadgen_measures_a_spawned_sqlite_mint() {
    // The mint binary: MINT_BIN, or target/debug/mint-server beside this crate's binary (`cargo test
    // --workspace` builds it; alone, build it first with `cargo build -p mint-server`).
    let loadgen = std::path::Path::new(env!("CARGO_BIN_EXE_loadgen"));
    let mint = std::env::var_os("MINT_BIN").map_or_else(|| loadgen.with_file_name("mint-server"), Into::into);
    assert!(mint.is_file(), "no mint binary at {} (cargo build -p mint-server, or set MINT_BIN)", mint.display());
    let output = Command::new(loadgen)
        .args(["--spawn", "sqlite", "--mint-bin"])
        .arg(&mint)
        .args(["--concurrency", "1,4", "--seconds", "0.5", "--ceiling-seconds", "0.2", "--max-notes", "400"])
        .args(["--storage-seconds", "0.3", "--slice-seconds", "0.25", "--paired-ceiling-seconds", "0.05"])
        .env_remove("MINT_DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "loadgen failed:\n{stderr}");
    for level in ["| SQLite | 1 |", "| SQLite | 4 |"] {
        let row =
            stdout.lines().find(|line| line.starts_with(level)).unwrap_or_else(|| panic!("no row {level}:\n{stdout}"));
        // The last column of the first table is the error count: every response must have checked out.
        let errors = row.trim_end_matches('|').rsplit('|').next().unwrap().trim();
        assert_eq!(errors, "0", "{row}");
    }
    assert!(stdout.contains("crypto only (in-process"), "{stdout}");
    // Each level is compared with the ceiling measured between its own slices: a 0.5 s level in 0.25 s
    // slices has two slices (fewer only if it ran out of notes), so up to three paired measurements each.
    assert!(stdout.contains("| backend | concurrency | swaps/s | paired ceiling | vs ceiling |"), "{stdout}");
    let paired: usize = stdout
        .split_once("with the load paused (")
        .and_then(|(_, rest)| rest.split_once(" runs)"))
        .and_then(|(runs, _)| runs.parse().ok())
        .unwrap_or_else(|| panic!("no count of paired runs:\n{stdout}"));
    assert!((4..=6).contains(&paired), "{paired} paired runs:\n{stdout}");
    // The mint's CPU by thread: the async workers and the SQLite writer at least.
    let threads = stdout.lines().find(|line| line.starts_with("- SQLite c=4: ")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(threads.contains("sqlite-writer") && threads.contains("tokio-rt-worker"), "{threads}");
    // The storage-only ceiling ran (every commit succeeded, or loadgen would have failed) and is reported
    // with the bound it sets together with the crypto.
    assert!(stdout.contains("| storage only (SQLite in-process, 4 tasks"), "{stdout}");
    assert!(stdout.contains("| crypto + storage on the same cores (bound) |"), "{stdout}");
    assert!(stdout.contains("Storage per swap (SQLite"), "{stdout}");
}

/// `loadgen --offline` briefly: it withdraws and pays coins through the spawned mint, deposits them at one
/// level, checks every answer (a `paid` receipt for 1, a sample verified) and prints its table and the
/// payment's size.
#[test]
fn loadgen_measures_offline_deposits_at_a_spawned_sqlite_mint() {
    offline_deposits(1);
}

/// The same with four deposits per request (`POST /v1/offline/deposits`).
#[test]
fn loadgen_measures_batches_of_offline_deposits_at_a_spawned_sqlite_mint() {
    offline_deposits(4);
}

fn offline_deposits(per_request: usize) {
    let loadgen = std::path::Path::new(env!("CARGO_BIN_EXE_loadgen"));
    let mint = std::env::var_os("MINT_BIN").map_or_else(|| loadgen.with_file_name("mint-server"), Into::into);
    assert!(mint.is_file(), "no mint binary at {} (cargo build -p mint-server, or set MINT_BIN)", mint.display());
    let output = Command::new(loadgen)
        .args(["--offline", "--spawn", "sqlite", "--mint-bin"])
        .arg(&mint)
        .args(["--concurrency", "4", "--seconds", "0.5", "--ceiling-seconds", "0.2", "--max-notes", "48"])
        .args(["--slice-seconds", "0.25", "--paired-ceiling-seconds", "0.05", "--ceiling-threads", "1"])
        .args(["--deposit-batch", &per_request.to_string()])
        .env_remove("MINT_DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "loadgen failed:\n{stderr}");
    let row = stdout
        .lines()
        .find(|line| line.starts_with(&format!("| SQLite | 4 | {per_request} |")))
        .unwrap_or_else(|| panic!("no row for c=4:\n{stdout}"));
    let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
    assert_eq!(cells[13], "0", "errors: {row}");
    let deposits = cells[3].parse::<usize>().unwrap();
    assert!(deposits > 0 && deposits % per_request == 0, "deposits: {row}");
    assert!(cells[14].split(' ').next().unwrap().parse::<usize>().unwrap() > 0, "no receipt verified: {row}");
    // The mint's CPU per deposit was measured (and the CPU ratio computed from it).
    assert!(cells[9].trim_end_matches(" µs").parse::<f64>().unwrap() > 0.0, "no mint CPU: {row}");
    assert!(stdout.contains("A one-coin payment's JSON"), "{stdout}");
}
