//! Durable or down (SQLite, over HTTP): one failed sync refuses every later write, `/health` turns 503, and
//! a retry is never answered from a commit that did not reach the disk.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::wallet::TestMint;
use mint_server::mint::MintSettings;
use mint_server::store::{FaultInjection, MintStore, SqliteOptions, SqliteStore};
use shared::nuts::{ErrorResponse, MintQuoteBolt11Request, MintQuoteBolt11Response, MintRequest};
use shared::{Amount, CurrencyUnit};

fn quote_request(amount: u64) -> MintQuoteBolt11Request {
    MintQuoteBolt11Request {
        amount: Amount::from_u64(amount),
        unit: CurrencyUnit::Sat,
        description: None,
        pubkey: None,
    }
}

async fn health(mint: &TestMint) -> (u16, serde_json::Value) {
    let response = mint.client.get(mint.url("/health")).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn post_raw(mint: &TestMint, path: &str, body: &str) -> (u16, Vec<u8>) {
    let response = mint
        .client
        .post(mint.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn a_failed_sync_refuses_every_later_write_and_fails_the_health_check() {
    let dir = tempfile::tempdir().unwrap();
    let faults = Arc::new(FaultInjection::default());
    let options = SqliteOptions { faults: Some(Arc::clone(&faults)), ..SqliteOptions::default() };
    let store: Arc<dyn MintStore> =
        Arc::new(SqliteStore::open_with(&dir.path().join("mint.sqlite"), options).await.unwrap());
    let mint = TestMint::start(store, MintSettings::default()).await;
    mint.mint_notes(&[4]).await;
    assert_eq!(health(&mint).await, (200, serde_json::json!({ "status": "ok" })));

    let keyset = mint.keyset().await;
    let quote: MintQuoteBolt11Response = mint.post("/v1/mint/quote/bolt11", &quote_request(8)).await.unwrap();
    let request =
        MintRequest { quote: quote.quote, outputs: TestMint::outputs(&keyset, &[8]).outputs, signature: None };
    let body = serde_json::to_string(&request).unwrap();

    faults.fail_syncs();
    // The mint is applied in the log, but its sync fails: the answer is an error, never the signatures.
    let (status, answer) = post_raw(&mint, "/v1/mint/bolt11", &body).await;
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&answer));
    let error: ErrorResponse = serde_json::from_slice(&answer).unwrap();
    assert!(error.detail.contains("cannot take writes"), "{}", error.detail);
    // A retry (NUT-19) finds the cached answer of a commit that never reached the disk: refused too.
    let (status, answer) = post_raw(&mint, "/v1/mint/bolt11", &body).await;
    assert_eq!(
        status,
        503,
        "a retry was answered from state that is not durable: {}",
        String::from_utf8_lossy(&answer)
    );
    // Every later write is refused; reads go on.
    let (status, answer) =
        post_raw(&mint, "/v1/mint/quote/bolt11", &serde_json::to_string(&quote_request(2)).unwrap()).await;
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&answer));
    assert!(serde_json::from_slice::<ErrorResponse>(&answer).is_ok());
    mint.keyset().await;
    let (status, body) = health(&mint).await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "unhealthy");
    assert!(body["reason"].as_str().unwrap().contains("sync of the write-ahead log failed"), "{body}");
}

#[tokio::test]
async fn a_dead_writer_fails_the_health_check() {
    let dir = tempfile::tempdir().unwrap();
    let faults = Arc::new(FaultInjection::default());
    let options = SqliteOptions { faults: Some(Arc::clone(&faults)), ..SqliteOptions::default() };
    let store: Arc<dyn MintStore> =
        Arc::new(SqliteStore::open_with(&dir.path().join("mint.sqlite"), options).await.unwrap());
    let mint = TestMint::start(store, MintSettings::default()).await;
    assert_eq!(health(&mint).await.0, 200);
    faults.panic_writer();
    let (status, _) =
        post_raw(&mint, "/v1/mint/quote/bolt11", &serde_json::to_string(&quote_request(2)).unwrap()).await;
    assert!(status >= 500, "{status}");
    let (status, body) = health(&mint).await;
    assert_eq!(status, 503);
    assert!(body["reason"].as_str().unwrap().contains("sqlite-writer thread panicked"), "{body}");
}
