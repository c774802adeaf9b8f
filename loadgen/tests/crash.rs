//! `loadgen crash` end to end, briefly: it spawns the real mint on SQLite, kills it with SIGKILL twice under
//! load, restarts it, checks every operation and the books, and prints its table. Guards the crash-test tool
//! itself; `scripts/crash-test` runs it at length on both databases (the PostgreSQL run also in scripts/test).
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[test]
fn crash_test_kills_and_checks_a_spawned_sqlite_mint() {
    let loadgen = std::path::Path::new(env!("CARGO_BIN_EXE_loadgen"));
    let mint = std::env::var_os("MINT_BIN").map_or_else(|| loadgen.with_file_name("mint-server"), Into::into);
    assert!(mint.is_file(), "no mint binary at {} (cargo build -p mint-server, or set MINT_BIN)", mint.display());
    let output = Command::new(loadgen)
        .args(["crash", "--backend", "sqlite", "--kills", "2", "--clients", "3", "--max-delay-ms", "400"])
        // Melts caught in flight are finished within seconds, not after the default two-minute lease.
        .args(["--mint-arg=--melt-lease-secs=2", "--settle-timeout-secs", "30"])
        .arg("--mint-bin")
        .arg(&mint)
        .env_remove("MINT_DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "crash test failed:\n{stdout}\n{stderr}");
    // | kills | operations | acknowledged | refused | unacknowledged | retried | melts in flight at a restart |
    //   half-applied | acknowledged but missing | lost value | seconds |
    let row = stdout.lines().find(|line| line.starts_with("| 2 |")).unwrap_or_else(|| panic!("no row:\n{stdout}"));
    let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
    assert_eq!(cells.len(), 11, "{row}");
    assert!(cells[2].parse::<usize>().unwrap() > 0, "nothing acknowledged: {row}");
    assert_eq!(&cells[7..10], &["0", "0", "0"], "{row}");
    assert!(stdout.contains("audit holds"), "{stdout}");
}
