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

/// Start the binary on `data_dir` with these extra environment variables; the child, its base URL and its
/// log lines.
fn spawn(data_dir: &std::path::Path, env: &[(&str, &str)]) -> (std::process::Child, String, mpsc::Receiver<String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mint-server"));
    command
        .args(["--listen", "127.0.0.1:0", "--fake-bolt11", "--data-dir"])
        .arg(data_dir)
        .arg("--wallet-dir")
        .arg(data_dir.join("no-dist"))
        .env("RUST_LOG", "info")
        .env_remove("MINT_INJECT_FAULT")
        .stderr(Stdio::piped())
        .stdout(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
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
    (child, base, lines)
}

/// Wait up to `within` for the child to exit.
fn wait_exit(child: &mut std::process::Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Supervision: when the writer thread dies the mint does not answer 500 forever: `/health` turns 503 and
/// the process exits non-zero (so that its supervisor restarts it).
#[tokio::test]
async fn a_dead_writer_thread_makes_the_process_exit_non_zero() {
    let temp = tempfile::tempdir().unwrap();
    let data_dir = temp.path().join("data");
    // A first start creates the keyset (a write), so the armed fault waits for a request's write.
    let (mut child, base, _lines) = spawn(&data_dir, &[]);
    assert_eq!(reqwest::get(format!("{base}/health")).await.unwrap().status().as_u16(), 200);
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert!(wait_exit(&mut child, Duration::from_secs(10)).unwrap().success());

    let (mut child, base, lines) = spawn(&data_dir, &[("MINT_INJECT_FAULT", "writer-panics")]);
    let health = reqwest::get(format!("{base}/health")).await.unwrap();
    assert_eq!(health.status().as_u16(), 200, "nothing has failed yet");
    let quote = reqwest::Client::new()
        .post(format!("{base}/v1/mint/quote/bolt11"))
        .json(&serde_json::json!({ "amount": 2, "unit": "sat" }))
        .send()
        .await
        .unwrap();
    assert!(quote.status().is_server_error(), "{}", quote.status());
    // Until it exits, whoever asks is told it is unhealthy.
    if let Ok(health) = reqwest::get(format!("{base}/health")).await {
        assert_eq!(health.status().as_u16(), 503);
    }
    let status = wait_exit(&mut child, Duration::from_secs(10)).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("the mint kept running with a dead writer")
    });
    assert!(!status.success(), "exit status {status}");
    let rest: Vec<String> = lines.try_iter().collect();
    assert!(rest.iter().any(|line| line.contains("sqlite-writer thread panicked")), "{rest:?}");
}
