//! Two mint processes' worth of mints (separate routers, pools and keyset caches) on one PostgreSQL
//! database behave as one mint: the same note presented to both at once succeeds exactly once, and a
//! keyset rotated on one is honoured by the other.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::wallet::TestMint;
use mint_server::funding::FundingRegistry;
use mint_server::mint::{Mint, MintSettings};
use mint_server::store::{MintStore, PostgresStore};
use shared::CurrencyUnit;
use shared::nuts::{ErrorCode, SwapRequest, SwapResponse};

async fn instance(url: &str) -> Arc<TestMint> {
    let store: Arc<dyn MintStore> = Arc::new(PostgresStore::connect(url, 16).await.unwrap());
    let funding = FundingRegistry::standard(Arc::clone(&store), true);
    let mint = Arc::new(Mint::new(store, vec![7u8; 32], MintSettings::default(), funding).await.unwrap());
    Arc::new(TestMint::serve(mint).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_note_presented_to_two_instances_succeeds_once() {
    let url = common::postgres_url().await;
    // Both start at once on an empty database: they must agree on one first keyset.
    let (a, b) = tokio::join!(instance(&url), instance(&url));
    assert_eq!(a.keyset().await.id, b.keyset().await.id);

    for round in 0..20 {
        let note = a.mint_notes(&[2]).await;
        let keyset = a.keyset().await;
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let mint = if i % 2 == 0 { Arc::clone(&a) } else { Arc::clone(&b) };
                let request = SwapRequest { inputs: note.clone(), outputs: TestMint::outputs(&keyset, &[2]).outputs };
                tokio::spawn(async move { mint.post::<_, SwapResponse>("/v1/swap", &request).await })
            })
            .collect();
        let mut successes = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => successes += 1,
                Err(error) => assert_eq!(error.code, ErrorCode::TokenAlreadySpent),
            }
        }
        assert_eq!(successes, 1, "round {round}");
    }

    // A rotation on A: B signs with the new keyset once it looks it up, and still redeems the old one.
    let old_notes = b.mint_notes(&[1, 4]).await;
    a.mint.rotate_keyset(CurrencyUnit::Sat, 0).await.unwrap();
    b.mint.reload_keysets().await.unwrap();
    let new_keyset = b.keyset().await;
    assert_eq!(new_keyset.id, a.keyset().await.id);
    let swapped = b.swap(old_notes, &[1, 4]).await.unwrap();
    assert!(swapped.iter().all(|p| p.keyset_id == new_keyset.id));
}

/// A real `mint-server` process on the given database; killed when dropped.
struct Process {
    child: std::process::Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_process(database_url: &str) -> Process {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mint-server"))
        .args(["--listen", "127.0.0.1:0", "--fake-bolt11", "--database-url", database_url])
        .args(["--master-secret", &"42".repeat(32)])
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--wallet-dir")
        .arg(dir.path().join("none"))
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        // Keep draining after the address is found: a closed pipe would make the mint's logging fail.
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let base = loop {
        let line = lines.recv_timeout(std::time::Duration::from_secs(60)).expect("the mint did not report its address");
        if let Some(at) = line.find("listening on http://") {
            break line[at + "listening on ".len()..].split_whitespace().next().unwrap().to_owned();
        }
    };
    Process { child, base, _dir: dir }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_mint_processes_on_one_database_are_one_mint() {
    use shared::nuts::{KeysResponse, MintQuoteBolt11Request, MintQuoteBolt11Response, MintRequest, MintResponse};
    let url = common::postgres_url().await;
    let (a, b) = (spawn_process(&url), spawn_process(&url));
    let client = reqwest::Client::new();
    let keys: KeysResponse = client.get(format!("{}/v1/keys", a.base)).send().await.unwrap().json().await.unwrap();
    let keys_b: KeysResponse = client.get(format!("{}/v1/keys", b.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(keys, keys_b, "both processes serve the same keyset");
    let keyset = keys.keysets[0].clone();
    for round in 0..10 {
        let quote: MintQuoteBolt11Response = client
            .post(format!("{}/v1/mint/quote/bolt11", a.base))
            .json(&MintQuoteBolt11Request {
                amount: shared::Amount::from_u64(8),
                unit: CurrencyUnit::Sat,
                description: None,
                pubkey: None,
            })
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let pending = TestMint::outputs(&keyset, &[8]);
        // Minted through B on A's quote: the quote is in the shared database.
        let minted: MintResponse = client
            .post(format!("{}/v1/mint/bolt11", b.base))
            .json(&MintRequest { quote: quote.quote, outputs: pending.outputs.clone(), signature: None })
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let note = TestMint::unblind(&keyset, &pending, &minted.signatures);
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let base = if i % 2 == 0 { a.base.clone() } else { b.base.clone() };
                let request = SwapRequest { inputs: note.clone(), outputs: TestMint::outputs(&keyset, &[8]).outputs };
                let client = client.clone();
                tokio::spawn(async move {
                    client.post(format!("{base}/v1/swap")).json(&request).send().await.unwrap().status().as_u16()
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "round {round}: {statuses:?}");
        assert!(statuses.iter().all(|s| *s == 200 || *s == 400));
    }
}
