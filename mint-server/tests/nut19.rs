//! NUT-19: every endpoint `GET /v1/info` claims to cache answers an identical retry (the same bytes) with
//! the identical response, and the claims include minting and melting with every offered method (the
//! wallet retries `/v1/mint/bank` and `/v1/melt/bank` relying on it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::wallet::TestMint;
use mint_server::mint::MintSettings;
use shared::nuts::bank::{BankPayRequest, MeltQuoteBankRequest};
use shared::nuts::{
    MeltQuoteBolt11Request, MeltQuoteBolt11Response, MeltRequest, MintInfo, MintQuoteBolt11Request,
    MintQuoteBolt11Response, MintRequest, SwapRequest,
};
use shared::{Amount, CurrencyUnit, SecretKey};

/// POST these exact bytes; the status and the body bytes.
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

fn mint_quote_request(amount: u64) -> MintQuoteBolt11Request {
    MintQuoteBolt11Request {
        amount: Amount::from_u64(amount),
        unit: CurrencyUnit::Sat,
        description: None,
        pubkey: None,
    }
}

/// A bank account holding `balance`, and its key.
async fn account(mint: &TestMint, balance: u64) -> (String, SecretKey) {
    let holder = SecretKey::random().unwrap();
    let account = mint.mint.create_account(holder.public_key()).await.unwrap();
    if balance > 0 {
        mint.mint.credit_account(&account.id, Amount::from_u64(balance), None).await.unwrap();
    }
    (account.id, holder)
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap()
}

/// A valid first request to a claimed endpoint, as the JSON the wallet would send.
async fn request_for(mint: &TestMint, path: &str) -> String {
    let keyset = mint.keyset().await;
    match path {
        "/v1/swap" => {
            let inputs = mint.mint_notes(&[4]).await;
            json(&SwapRequest { inputs, outputs: TestMint::outputs(&keyset, &[4]).outputs })
        }
        "/v1/mint/bolt11" => {
            let quote: MintQuoteBolt11Response =
                mint.post("/v1/mint/quote/bolt11", &mint_quote_request(8)).await.unwrap();
            let outputs = TestMint::outputs(&keyset, &[8]).outputs;
            json(&MintRequest { quote: quote.quote, outputs, signature: None })
        }
        "/v1/mint/bank" => {
            let (account, holder) = account(mint, 8).await;
            let quote: MintQuoteBolt11Response =
                mint.post("/v1/mint/quote/bank", &mint_quote_request(8)).await.unwrap();
            let signature = mint.pay_signature(&holder, &quote, &account);
            let pay = BankPayRequest { quote: quote.quote.clone(), account, signature };
            let _: MintQuoteBolt11Response = mint.post("/v1/bank/pay", &pay).await.unwrap();
            let outputs = TestMint::outputs(&keyset, &[8]).outputs;
            json(&MintRequest { quote: quote.quote, outputs, signature: None })
        }
        "/v1/melt/bolt11" => {
            let request =
                MeltQuoteBolt11Request { request: "lnbc40n1pretry".into(), unit: CurrencyUnit::Sat, options: None };
            let quote: MeltQuoteBolt11Response = mint.post("/v1/melt/quote/bolt11", &request).await.unwrap();
            let inputs = mint.mint_notes(&[4]).await;
            json(&MeltRequest { quote: quote.quote, inputs, outputs: None, prefer_async: false })
        }
        "/v1/melt/bank" => {
            let (account, _) = account(mint, 0).await;
            let request =
                MeltQuoteBankRequest { request: account, unit: CurrencyUnit::Sat, amount: Amount::from_u64(4) };
            let quote: MeltQuoteBolt11Response = mint.post("/v1/melt/quote/bank", &request).await.unwrap();
            let inputs = mint.mint_notes(&[4]).await;
            json(&MeltRequest { quote: quote.quote, inputs, outputs: None, prefer_async: false })
        }
        other => panic!("GET /v1/info claims {other} is cached, and this test has no request for it"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_claimed_endpoint_answers_an_identical_retry_identically() {
    let (store, _dir) = common::sqlite_store().await;
    let mint = TestMint::start(store, MintSettings::default()).await;
    let info: MintInfo = mint.get("/v1/info").await.unwrap();
    let claimed = info.nuts.nut19.unwrap().cached_endpoints;
    let paths: Vec<&str> = claimed.iter().map(|e| e.path.as_str()).collect();
    for needed in ["/v1/swap", "/v1/mint/bank", "/v1/melt/bank", "/v1/mint/bolt11", "/v1/melt/bolt11"] {
        assert!(paths.contains(&needed), "{needed} is not claimed: {paths:?}");
    }
    for endpoint in &claimed {
        assert_eq!(endpoint.method, "POST");
        let body = request_for(&mint, &endpoint.path).await;
        let (status, first) = post_raw(&mint, &endpoint.path, &body).await;
        assert_eq!(status, 200, "{}: {}", endpoint.path, String::from_utf8_lossy(&first));
        let (status, retried) = post_raw(&mint, &endpoint.path, &body).await;
        assert_eq!(status, 200, "{} retried: {}", endpoint.path, String::from_utf8_lossy(&retried));
        assert_eq!(first, retried, "{}", endpoint.path);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_is_not_cached_is_not_claimed() {
    let (store, _dir) = common::sqlite_store().await;
    let mint = TestMint::start(store, MintSettings::default()).await;
    let info: MintInfo = mint.get("/v1/info").await.unwrap();
    let claimed = info.nuts.nut19.unwrap().cached_endpoints;
    assert!(claimed.iter().all(|e| e.path != "/v1/bank/pay"));
    // Indeed a retried payment is refused rather than answered as the first.
    let (account, holder) = account(&mint, 8).await;
    let quote: MintQuoteBolt11Response = mint.post("/v1/mint/quote/bank", &mint_quote_request(8)).await.unwrap();
    let signature = mint.pay_signature(&holder, &quote, &account);
    let body = serde_json::to_string(&BankPayRequest { quote: quote.quote, account, signature }).unwrap();
    assert_eq!(post_raw(&mint, "/v1/bank/pay", &body).await.0, 200);
    assert_eq!(post_raw(&mint, "/v1/bank/pay", &body).await.0, 400);
}
