//! Paying a `bank` quote and minting it is one journaled operation (issue 12, point 3): a lost
//! `/v1/bank/pay` answer or a reload between payment and issue ends in notes, minted once, with the
//! account debited once; `recover()` also mints PAID quotes the wallet has not minted.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod in_process;

use in_process::{Fault, MINT, Mints, fresh_wallet, ops, reopen, total};
use shared::Amount;
use shared::nuts::PaymentMethod;
use wallet_web::{RecoveryReport, WalletError};

fn sat(n: u64) -> Amount {
    Amount::from(n)
}

const ONE_FINISHED: RecoveryReport = RecoveryReport { finished: 1, rolled_back: 0, still_pending: 0 };
const NOTHING: RecoveryReport = RecoveryReport { finished: 0, rolled_back: 0, still_pending: 0 };

#[tokio::test]
async fn a_lost_payment_answer_ends_in_notes() {
    let mints = Mints::start().await;
    for fault in [
        Fault::LoseAnswer("/v1/bank/pay".into()),
        Fault::Replace("/v1/bank/pay".into(), 502, "<html>Bad Gateway</html>".into()),
    ] {
        let (wallet, store, wire) = fresh_wallet(&mints).await;
        let account = mints.open_account(MINT, &wallet.account_pubkey(MINT).await.unwrap(), 100).await;
        let quote = wallet.request_mint_quote(MINT, PaymentMethod::Bank, sat(40)).await.unwrap();
        wire.inject(fault.clone());
        // The quote's state shows the payment went through: the op goes on to mint.
        assert_eq!(wallet.pay_and_mint(MINT, &quote.id, &account).await.unwrap(), sat(40), "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(40));
        assert_eq!(mints.account_balance(MINT, &account).await, 60, "{fault:?}: debited once");
        assert_eq!(ops(&*store).await, 0);
        assert_eq!(wallet.recover().await.unwrap(), NOTHING);
        assert_eq!(total(&*store).await, 40, "{fault:?}: minted once");
    }
}

#[tokio::test]
async fn a_crash_between_payment_and_issue_ends_in_notes() {
    let mints = Mints::start().await;
    for fault in [Fault::FailBeforeSend("/v1/mint/".into()), Fault::LoseAnswer("/v1/mint/".into())] {
        let (wallet, store, wire) = fresh_wallet(&mints).await;
        let account = mints.open_account(MINT, &wallet.account_pubkey(MINT).await.unwrap(), 100).await;
        let quote = wallet.request_mint_quote(MINT, PaymentMethod::Bank, sat(40)).await.unwrap();
        wire.inject(fault.clone());
        let result = wallet.pay_and_mint(MINT, &quote.id, &account).await;
        assert!(matches!(result, Err(WalletError::Network { .. })), "{fault:?}: {result:?}");
        assert_eq!(mints.account_balance(MINT, &account).await, 60);
        assert_eq!(ops(&*store).await, 1, "the op waits");
        drop(wallet);
        let wallet = reopen(&mints, store.clone()).await;
        assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(40), "{fault:?}");
        assert_eq!(mints.account_balance(MINT, &account).await, 60, "{fault:?}: debited once");
        assert_eq!(wallet.recover().await.unwrap(), NOTHING);
        assert_eq!(total(&*store).await, 40, "{fault:?}: minted once");
    }
}

#[tokio::test]
async fn a_crash_before_the_payment_left_pays_once_on_recovery() {
    let mints = Mints::start().await;
    let (wallet, store, wire) = fresh_wallet(&mints).await;
    let account = mints.open_account(MINT, &wallet.account_pubkey(MINT).await.unwrap(), 100).await;
    let quote = wallet.request_mint_quote(MINT, PaymentMethod::Bank, sat(40)).await.unwrap();
    wire.inject(Fault::Offline);
    assert!(matches!(wallet.pay_and_mint(MINT, &quote.id, &account).await, Err(WalletError::Network { .. })));
    assert_eq!(mints.account_balance(MINT, &account).await, 100);
    let wallet = reopen(&mints, store.clone()).await;
    assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED);
    assert_eq!(wallet.balance().await.unwrap(), sat(40));
    assert_eq!(mints.account_balance(MINT, &account).await, 60);
}

#[tokio::test]
async fn a_refused_payment_rolls_back() {
    let mints = Mints::start().await;
    let (wallet, store, _) = fresh_wallet(&mints).await;
    let account = mints.open_account(MINT, &wallet.account_pubkey(MINT).await.unwrap(), 10).await;
    let quote = wallet.request_mint_quote(MINT, PaymentMethod::Bank, sat(40)).await.unwrap();
    let refused = wallet.pay_and_mint(MINT, &quote.id, &account).await;
    assert!(matches!(refused, Err(WalletError::Mint { .. })), "{refused:?}");
    assert_eq!(ops(&*store).await, 0);
    assert_eq!(mints.account_balance(MINT, &account).await, 10);
    assert_eq!(total(&*store).await, 0);
}

#[tokio::test]
async fn recovery_mints_paid_quotes_it_has_not_minted() {
    let mints = Mints::start().await;
    let (wallet, store, _) = fresh_wallet(&mints).await;
    let account = mints.open_account(MINT, &wallet.account_pubkey(MINT).await.unwrap(), 100).await;
    // Paid without its issue (the flow before the journaled one, or another device).
    let quote = wallet.request_mint_quote(MINT, PaymentMethod::Bank, sat(40)).await.unwrap();
    wallet.pay_quote_from_account(MINT, &quote.id, &account).await.unwrap();
    // An unpaid quote stays as it is.
    wallet.request_mint_quote(MINT, PaymentMethod::Bank, sat(5)).await.unwrap();
    let wallet = reopen(&mints, store.clone()).await;
    assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED);
    assert_eq!(wallet.balance().await.unwrap(), sat(40));
    assert_eq!(wallet.recover().await.unwrap(), NOTHING);
    assert_eq!(total(&*store).await, 40);
    assert_eq!(mints.account_balance(MINT, &account).await, 60);
}
