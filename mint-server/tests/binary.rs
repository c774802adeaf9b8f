//! The real `mint-server` binary: flags, data directory, logging the bound address, and a clean exit on
//! SIGTERM.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use shared::nuts::MintInfo;

#[tokio::test]
async fn starts_serves_and_stops_on_sigterm() {
    let temp = tempfile::tempdir().unwrap();
    let data_dir = temp.path().join("nested/data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mint-server"))
        .args(["--listen", "127.0.0.1:0", "--name", "Binary mint", "--data-dir"])
        .arg(&data_dir)
        .arg("--wallet-dir")
        .arg(temp.path().join("no-dist"))
        .env("RUST_LOG", "info")
        .env_remove("MINT_DESCRIPTION")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();

    // The log line "... listening on http://127.0.0.1:PORT" tells the port the OS chose.
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let base = loop {
        let line = lines.recv_timeout(Duration::from_secs(30)).expect("the server did not report its address");
        if let Some(at) = line.find("listening on http://") {
            let url = &line[at + "listening on ".len()..];
            break url.split_whitespace().next().unwrap().to_owned();
        }
    };

    assert!(data_dir.is_dir(), "the data directory was not created");
    let info: MintInfo = reqwest::get(format!("{base}/v1/info")).await.unwrap().json().await.unwrap();
    assert_eq!(info.name.as_deref(), Some("Binary mint"));
    assert_eq!(info.description.as_deref(), Some("A Chaumian e-cash mint speaking the Cashu protocol."));

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "the server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
    let rest: Vec<String> = lines.try_iter().collect();
    assert!(rest.iter().any(|line| line.contains("SIGTERM received")), "{rest:?}");
}
