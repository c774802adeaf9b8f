//! The wallet reads the mint's own refusal codes (14xxx) right: a definitive refusal (a malformed request,
//! a quote the mint does not know) rolls the op back; too many requests (429) is no verdict, so the op
//! stays pending and recovery finishes it.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod in_process;

use axum::http::Method;
use in_process::{Fault, MINT, Mints, fresh_wallet, fund, ops, reopen, total};
use mint_server::store::MintStore;
use shared::Amount;
use shared::nuts::{ErrorCode, MintQuoteBolt11Response};
use wallet_web::{HistoryStatus, RecoveryReport, WalletError};

fn sat(n: u64) -> Amount {
    Amount::from(n)
}

#[tokio::test]
async fn a_definitive_refusal_in_the_mints_own_range_rolls_back() {
    let mints = Mints::start().await;
    for code in [14000, 14001, 14002] {
        let (wallet, store, wire) = fresh_wallet(&mints).await;
        fund(&wallet, 10).await;
        wire.inject(Fault::Refuse("/v1/swap".into(), code));
        let refused = wallet.send(MINT, sat(3), None).await;
        assert!(
            matches!(&refused, Err(WalletError::Mint { code: refused, .. }) if refused.to_code() == code),
            "{code}: {refused:?}"
        );
        assert_eq!(ops(&*store).await, 0, "{code}: rolled back");
        assert_eq!(wallet.balance().await.unwrap(), sat(10), "{code}");
    }
}

#[tokio::test]
async fn too_many_requests_leaves_the_op_pending() {
    let mints = Mints::start().await;
    let (wallet, store, wire) = fresh_wallet(&mints).await;
    fund(&wallet, 10).await;
    // The swap went through; the answer the wallet sees is a rate limiter's.
    let limited = r#"{"code":14006,"detail":"too many requests from this client: retry in 3 s"}"#;
    wire.inject(Fault::Replace("/v1/swap".into(), 429, limited.into()));
    let result = wallet.send(MINT, sat(3), None).await;
    assert!(matches!(result, Err(WalletError::Network { .. })), "{result:?}");
    assert_eq!(ops(&*store).await, 1, "no verdict: the op waits");
    let wallet = reopen(&mints, store.clone()).await;
    assert_eq!(wallet.recover().await.unwrap(), RecoveryReport { finished: 1, rolled_back: 0, still_pending: 0 });
    assert_eq!(wallet.pending_sends().await.unwrap().len(), 1);
    assert_eq!(total(&*store).await, 10, "nothing lost, nothing twice");
}

#[tokio::test]
async fn a_melt_whose_quote_the_mint_deleted_rolls_back() {
    let mints = Mints::start().await;
    let (wallet, store, wire) = fresh_wallet(&mints).await;
    fund(&wallet, 50).await;
    let body = serde_json::json!({ "amount": 20, "unit": "sat" }).to_string();
    let (_, text) = mints.call(Method::POST, MINT, "/v1/mint/quote/bolt11", Some(&body)).await;
    let invoice = serde_json::from_str::<MintQuoteBolt11Response>(&text).unwrap().request;
    // The melt never reaches the mint; meanwhile the mint deletes its unpaid quotes (as once they expire).
    wire.inject(Fault::FailBeforeSend("/v1/melt/bolt11".into()));
    assert!(wallet.pay_invoice(MINT, &invoice).await.is_err());
    assert!(mints.store(MINT).await.delete_expired_quotes(i64::MAX).await.unwrap() > 0);
    // The resent melt: quote not found (14001), and its state too: nothing was paid.
    let wallet = reopen(&mints, store.clone()).await;
    assert_eq!(wallet.recover().await.unwrap(), RecoveryReport { finished: 0, rolled_back: 1, still_pending: 0 });
    assert_eq!((ops(&*store).await, wallet.balance().await.unwrap()), (0, sat(50)));
    let entry = wallet.history().await.unwrap().into_iter().next().unwrap();
    assert_eq!(entry.status, HistoryStatus::Failed);
    assert_eq!(ErrorCode::from_code(14001), ErrorCode::QuoteNotFound);
}
