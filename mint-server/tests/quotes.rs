//! Quote expiry over real HTTP on both backends: the answers carry `expiry` (creation + the quote TTL), an
//! expired unpaid quote is refused with Cashu code 20007 when paid (bank) or melted, and the deletion of
//! expired quotes removes it while a paid quote of the same age stays.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::wallet::TestMint;
use mint_server::mint::MintSettings;
use mint_server::store::{MintStore, unix_time};
use shared::nuts::{
    ErrorCode, MeltQuoteBolt11Response, MintQuoteBolt11Request, MintQuoteBolt11Response, MintQuoteState,
};
use shared::{Amount, CurrencyUnit};

fn quote_request(amount: u64) -> MintQuoteBolt11Request {
    MintQuoteBolt11Request {
        amount: Amount::from_u64(amount),
        unit: CurrencyUnit::Sat,
        description: None,
        pubkey: None,
    }
}

async fn expired_quotes_are_refused_and_deleted(store: Arc<dyn MintStore>) {
    // The answers carry the expiry: now + the TTL.
    let mint = TestMint::start(Arc::clone(&store), MintSettings::default()).await;
    let before = u64::try_from(unix_time()).unwrap();
    let quote: MintQuoteBolt11Response = mint.post("/v1/mint/quote/bank", &quote_request(8)).await.unwrap();
    let expiry = quote.expiry.unwrap();
    let ttl = MintSettings::default().quote_ttl_secs;
    assert!(expiry >= before + ttl && expiry <= before + ttl + 2, "{expiry} vs {before} + {ttl}");
    drop(mint);

    // Quotes that expire at once.
    let settings = MintSettings { quote_ttl_secs: 0, ..MintSettings::default() };
    let mint = TestMint::start(Arc::clone(&store), settings).await;
    let unpaid: MintQuoteBolt11Response = mint.post("/v1/mint/quote/bank", &quote_request(8)).await.unwrap();
    assert_eq!(unpaid.state, MintQuoteState::Unpaid);
    let paid: MintQuoteBolt11Response = mint.post("/v1/mint/quote/bolt11", &quote_request(8)).await.unwrap();
    assert_eq!(paid.state, MintQuoteState::Paid);
    let melt_quote: MeltQuoteBolt11Response = mint
        .post("/v1/melt/quote/bolt11", &serde_json::json!({ "request": "lnbc80n1fake", "unit": "sat" }))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let pay = serde_json::json!({ "quote": unpaid.quote, "account": "any", "signature": "00".repeat(64) });
    let refused = mint.post::<_, serde_json::Value>("/v1/bank/pay", &pay).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::QuoteExpired, "{}", refused.detail);
    assert_eq!(refused.code.to_code(), 20007);
    let melt = serde_json::json!({ "quote": melt_quote.quote, "inputs": [] });
    let refused = mint.post::<_, serde_json::Value>("/v1/melt/bolt11", &melt).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::QuoteExpired, "{}", refused.detail);

    // The server's sweep waits a grace period after the expiry; here the store is asked directly.
    assert_eq!(mint.mint.delete_expired_quotes().await.unwrap(), 0, "deleted within the grace period");
    assert_eq!(store.delete_expired_quotes(unix_time()).await.unwrap(), 2);
    let gone = mint.get::<MintQuoteBolt11Response>(&format!("/v1/mint/quote/bank/{}", unpaid.quote)).await;
    assert_eq!(gone.unwrap_err().detail, "quote not found");
    let gone = mint.get::<MeltQuoteBolt11Response>(&format!("/v1/melt/quote/bolt11/{}", melt_quote.quote)).await;
    assert_eq!(gone.unwrap_err().detail, "quote not found");
    // The paid quote stays, and is still minted.
    let kept: MintQuoteBolt11Response = mint.get(&format!("/v1/mint/quote/bolt11/{}", paid.quote)).await.unwrap();
    assert_eq!(kept.state, MintQuoteState::Paid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_expired_quotes_are_refused_and_deleted() {
    let (store, _dir) = common::sqlite_store().await;
    expired_quotes_are_refused_and_deleted(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_expired_quotes_are_refused_and_deleted() {
    expired_quotes_are_refused_and_deleted(common::postgres_store().await).await;
}
