//! Every refusal has its own Cashu code over HTTP, on SQLite and PostgreSQL: the specs' where one exists
//! (an unsupported unit, 11013), this mint's own 14xxx range otherwise (README "Error codes"): a quote that
//! does not exist (14001), a payment method not offered (14002), a malformed body (14000), a payment request
//! that cannot be paid (14003), an unknown account (14004) and an account short of funds (14005) on the bank
//! routes. (Too many requests, 14006 with HTTP 429: `tests/limits.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::wallet::TestMint;
use mint_server::store::MintStore;
use shared::nuts::bank::{AccountInfo, BankPayRequest};
use shared::nuts::{
    ErrorCode, ErrorResponse, MeltQuoteBolt11Response, MeltRequest, MintQuoteBolt11Response, MintRequest, MintResponse,
};

const TOKEN: [u8; 32] = [9; 32];

/// POSTs `body` as is; the status and the Cashu error it carries.
async fn post_raw(mint: &TestMint, path: &str, body: &str) -> (u16, ErrorResponse) {
    let response = mint
        .client
        .post(mint.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: no Cashu error body: {text}")))
}

/// Opens an account for `holder` at `mint`, credited with `amount`; its id.
async fn account(mint: &TestMint, holder: &shared::SecretKey, amount: u64) -> String {
    let created: AccountInfo = mint
        .client
        .post(mint.url("/admin/accounts"))
        .bearer_auth(hex::encode(TOKEN))
        .json(&serde_json::json!({ "pubkey": holder.public_key() }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    mint.client
        .post(mint.url(&format!("/admin/accounts/{}/credit", created.id)))
        .bearer_auth(hex::encode(TOKEN))
        .json(&serde_json::json!({ "amount": amount }))
        .send()
        .await
        .unwrap();
    created.id
}

async fn codes(store: Arc<dyn MintStore>) {
    let mint = TestMint::start_with_master(store, vec![7; 32], TOKEN.to_vec()).await;
    let keyset = mint.keyset().await;

    // A quote that does not exist, or not for this method.
    let bolt11: MintQuoteBolt11Response =
        mint.post("/v1/mint/quote/bolt11", &serde_json::json!({ "amount": 4, "unit": "sat" })).await.unwrap();
    for path in [
        "/v1/mint/quote/bolt11/no-such-quote".to_owned(),
        "/v1/melt/quote/bolt11/no-such-quote".to_owned(),
        format!("/v1/mint/quote/bank/{}", bolt11.quote),
    ] {
        let error = mint.get::<serde_json::Value>(&path).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::QuoteNotFound, "{path}: {}", error.detail);
    }
    let outputs = TestMint::outputs(&keyset, &[4]).outputs;
    let request = MintRequest { quote: "no-such-quote".into(), outputs, signature: None };
    let error = mint.post::<_, MintResponse>("/v1/mint/bolt11", &request).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::QuoteNotFound, "{}", error.detail);
    let notes = mint.mint_notes(&[8]).await;
    let request = MeltRequest { quote: "no-such-quote".into(), inputs: notes, outputs: None, prefer_async: false };
    let error = mint.post::<_, MeltQuoteBolt11Response>("/v1/melt/bolt11", &request).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::QuoteNotFound, "{}", error.detail);
    let pay = BankPayRequest { quote: "no-such-quote".into(), account: "a".into(), signature: "00".repeat(64) };
    let error = mint.post::<_, MintQuoteBolt11Response>("/v1/bank/pay", &pay).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::QuoteNotFound, "{}", error.detail);

    // A payment method not offered; a unit not offered (the spec's code).
    let (status, error) = post_raw(&mint, "/v1/mint/quote/bolt12", r#"{"amount":4,"unit":"sat"}"#).await;
    assert_eq!((status, error.code), (400, ErrorCode::UnsupportedMethod), "{}", error.detail);
    let (status, error) = post_raw(&mint, "/v1/melt/quote/bolt12", r#"{"request":"lno1x","unit":"sat"}"#).await;
    assert_eq!((status, error.code), (400, ErrorCode::UnsupportedMethod), "{}", error.detail);
    let (_, error) = post_raw(&mint, "/v1/mint/quote/bolt11", r#"{"amount":4,"unit":"usd"}"#).await;
    assert_eq!(error.code, ErrorCode::UnsupportedUnit, "{}", error.detail);

    // Malformed bodies, on every kind of endpoint.
    for (path, body) in [
        ("/v1/swap", "{"),
        ("/v1/swap", r#"{"inputs":[],"outputs":[]}"#),
        ("/v1/mint/quote/bolt11", r#"{"amount":"four","unit":"sat"}"#),
        ("/v1/melt/quote/bolt11", "[]"),
        ("/v1/melt/quote/bank", r#"{"request":"a","unit":"sat"}"#),
        ("/v1/checkstate", r#"{"Ys":1}"#),
        ("/v1/restore", ""),
        ("/v1/bank/pay", r#"{"quote":"q"}"#),
    ] {
        let (status, error) = post_raw(&mint, path, body).await;
        assert_eq!((status, error.code), (400, ErrorCode::MalformedRequest), "{path} {body}: {}", error.detail);
    }

    // A payment request that cannot be paid: not an invoice; no such account to melt into.
    let (_, error) = post_raw(&mint, "/v1/melt/quote/bolt11", r#"{"request":"not an invoice","unit":"sat"}"#).await;
    assert_eq!(error.code, ErrorCode::InvalidPaymentRequest, "{}", error.detail);
    let (_, error) =
        post_raw(&mint, "/v1/melt/quote/bank", r#"{"request":"no-such-account","unit":"sat","amount":4}"#).await;
    assert_eq!(error.code, ErrorCode::InvalidPaymentRequest, "{}", error.detail);

    // The bank: an unknown account; an account short of funds (with a good signature).
    let holder = shared::SecretKey::random().unwrap();
    let id = account(&mint, &holder, 3).await;
    let quote: MintQuoteBolt11Response =
        mint.post("/v1/mint/quote/bank", &serde_json::json!({ "amount": 12, "unit": "sat" })).await.unwrap();
    let pay = BankPayRequest {
        quote: quote.quote.clone(),
        account: "no-such-account".into(),
        signature: mint.pay_signature(&holder, &quote, "no-such-account"),
    };
    let error = mint.post::<_, MintQuoteBolt11Response>("/v1/bank/pay", &pay).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::UnknownAccount, "{}", error.detail);
    let pay = BankPayRequest {
        quote: quote.quote.clone(),
        account: id.clone(),
        signature: mint.pay_signature(&holder, &quote, &id),
    };
    let error = mint.post::<_, MintQuoteBolt11Response>("/v1/bank/pay", &pay).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InsufficientAccountFunds, "{}", error.detail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_have_their_codes_on_sqlite() {
    let (store, _dir) = common::sqlite_store().await;
    codes(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_have_their_codes_on_postgres() {
    codes(common::postgres_store().await).await;
}
