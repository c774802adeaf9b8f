//! Paying a Lightning invoice (NUT-05 melt, `bolt11`) with NUT-08 change, against the in-process mint whose
//! fake Lightning reserves 10 sat and really pays 3: the balance drops by exactly the amount, the fee paid
//! and the input fees; a lost or unreadable answer leaves the payment pending and `recover()` ends it with
//! its change; a restore into a fresh store finds the change notes (NUT-13 blank outputs).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod in_process;

use std::rc::Rc;

use axum::http::Method;
use in_process::{FEE_MINT, Fault, InProcess, MINT, Mints, fund, ops, reopen, total};
use shared::Amount;
use shared::nuts::{MeltRequest, MintQuoteBolt11Response, PaymentMethod};
use wallet_web::store::MemoryStore;
use wallet_web::{HistoryKind, HistoryStatus, PaymentView, RecoveryReport, Wallet, WalletError};

fn sat(n: u64) -> Amount {
    Amount::from(n)
}

const RESERVE: u64 = 10;
const PAID: u64 = 3;
const ONE_FINISHED: RecoveryReport = RecoveryReport { finished: 1, rolled_back: 0, still_pending: 0 };
const NOTHING: RecoveryReport = RecoveryReport { finished: 0, rolled_back: 0, still_pending: 0 };

/// A fake invoice of `amount` sat from `mint` (a mint quote no wallet knows of, so recovery leaves it).
async fn invoice(mints: &Mints, mint: &str, amount: u64) -> String {
    let body = serde_json::json!({ "amount": amount, "unit": "sat" }).to_string();
    let (status, text) = mints.call(Method::POST, mint, "/v1/mint/quote/bolt11", Some(&body)).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str::<MintQuoteBolt11Response>(&text).unwrap().request
}

/// A wallet on a fresh store with the seed of `words`, both mints added.
async fn wallet_of(mints: &Rc<Mints>, words: &str) -> (Wallet, Rc<MemoryStore>, Rc<InProcess>) {
    let store = Rc::new(MemoryStore::new());
    let connector = InProcess::new(mints);
    let wallet = Wallet::open(store.clone(), connector.clone()).await.unwrap();
    wallet.set_mnemonic(words).await.unwrap();
    wallet.add_mint(MINT).await.unwrap();
    wallet.add_mint(FEE_MINT).await.unwrap();
    (wallet, store, connector)
}

async fn fund_at(wallet: &Wallet, mint: &str, amount: u64) {
    let quote = wallet.request_mint_quote(mint, PaymentMethod::Bolt11, sat(amount)).await.unwrap();
    assert_eq!(wallet.mint_paid_quote(mint, &quote.id).await.unwrap(), sat(amount));
}

/// The last melt request the wallet sent.
fn last_melt(wire: &InProcess) -> MeltRequest {
    let bodies = wire.bodies.borrow();
    let (_, body) = bodies.iter().rev().find(|(path, _)| path == "/v1/melt/bolt11").expect("a melt was sent");
    serde_json::from_str(body).unwrap()
}

#[tokio::test]
async fn paying_an_invoice_costs_the_amount_and_the_fee_really_paid() {
    let mints = Mints::start_with_lightning_fees(RESERVE, PAID).await;
    let (wallet, store, wire) = wallet_of(&mints, &Wallet::new_mnemonic().unwrap()).await;
    fund(&wallet, 100).await;
    let bolt11 = invoice(&mints, MINT, 20).await;

    let preview = wallet.quote_invoice(MINT, &bolt11).await.unwrap();
    assert_eq!((preview.amount, preview.fee_reserve), (sat(20), sat(RESERVE)));
    assert_eq!(wallet.balance().await.unwrap(), sat(100), "a preview changes nothing");

    let paid = wallet.pay_invoice(MINT, &bolt11).await.unwrap();
    // 100 = 64 + 32 + 4: the 64 covers 20 + 10; 64 - 20 - 3 = 41 comes back.
    assert_eq!(paid, PaymentView { amount: sat(20), fee_reserve: sat(RESERVE), fee: sat(PAID), change: sat(41) });
    assert_eq!(wallet.balance().await.unwrap(), sat(100 - 20 - PAID));
    assert_eq!(total(&*store).await, 100 - 20 - PAID);
    assert_eq!(ops(&*store).await, 0);
    // NUT-08: max(ceil(log2(44)), 1) = 6 blank outputs for what the 64 holds beyond the amount.
    assert_eq!(last_melt(&wire).outputs.unwrap().len(), 6);
    let entry = wallet.history().await.unwrap().into_iter().next().unwrap();
    assert_eq!(
        (entry.kind, entry.status, entry.amount, entry.fee),
        (HistoryKind::Paid, HistoryStatus::Done, sat(20), sat(PAID))
    );

    // The change is good money: spend it all.
    let rest = wallet.balance().await.unwrap();
    wallet.send(MINT, rest, None).await.unwrap();
    assert_eq!(wallet.balance().await.unwrap(), sat(0));
}

#[tokio::test]
async fn input_fees_are_paid_once_and_nothing_else_is_lost() {
    let mints = Mints::start_with_lightning_fees(RESERVE, PAID).await;
    let (wallet, _, _) = wallet_of(&mints, &Wallet::new_mnemonic().unwrap()).await;
    fund_at(&wallet, FEE_MINT, 100).await;
    let bolt11 = invoice(&mints, FEE_MINT, 20).await;
    let paid = wallet.pay_invoice(FEE_MINT, &bolt11).await.unwrap();
    // One input at 500 ppk: 1 sat of input fee, on top of the 3 the payment cost.
    assert_eq!((paid.fee, paid.change), (sat(PAID + 1), sat(64 - 20 - PAID - 1)));
    assert_eq!(wallet.balance().await.unwrap(), sat(100 - 20 - PAID - 1));
}

#[tokio::test]
async fn too_little_money_is_refused_before_anything_moves() {
    let mints = Mints::start_with_lightning_fees(RESERVE, PAID).await;
    let (wallet, store, _) = wallet_of(&mints, &Wallet::new_mnemonic().unwrap()).await;
    fund(&wallet, 25).await;
    let bolt11 = invoice(&mints, MINT, 20).await;
    let refused = wallet.pay_invoice(MINT, &bolt11).await;
    assert!(matches!(refused, Err(WalletError::InsufficientFunds { .. })), "{refused:?}");
    assert_eq!((wallet.balance().await.unwrap(), ops(&*store).await), (sat(25), 0));
}

#[tokio::test]
async fn an_unknown_outcome_ends_with_its_change_on_recovery() {
    let mints = Mints::start_with_lightning_fees(RESERVE, PAID).await;
    for fault in [
        Fault::LoseAnswer("/v1/melt/bolt11".into()),
        Fault::FailBeforeSend("/v1/melt/bolt11".into()),
        Fault::Replace("/v1/melt/bolt11".into(), 502, "<html>Bad Gateway</html>".into()),
        Fault::Replace("/v1/melt/bolt11".into(), 500, r#"{"code":0,"detail":"fsync failed"}"#.into()),
        Fault::Replace("/v1/melt/bolt11".into(), 200, "garbage".into()),
    ] {
        let (wallet, store, wire) = wallet_of(&mints, &Wallet::new_mnemonic().unwrap()).await;
        fund(&wallet, 100).await;
        let bolt11 = invoice(&mints, MINT, 20).await;
        wire.inject(fault.clone());
        assert!(wallet.pay_invoice(MINT, &bolt11).await.is_err(), "{fault:?}");
        assert_eq!(ops(&*store).await, 1, "{fault:?}: the payment waits");
        let wallet = reopen(&mints, store.clone()).await;
        assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(100 - 20 - PAID), "{fault:?}: the change came back");
        assert_eq!(wallet.recover().await.unwrap(), NOTHING, "{fault:?}");
        assert_eq!(total(&*store).await, 100 - 20 - PAID, "{fault:?}: nothing twice");
    }
}

#[tokio::test]
async fn a_retry_refused_as_paid_collects_the_change_all_the_same() {
    let mints = Mints::start_with_lightning_fees(RESERVE, PAID).await;
    let (wallet, store, wire) = wallet_of(&mints, &Wallet::new_mnemonic().unwrap()).await;
    fund(&wallet, 100).await;
    let bolt11 = invoice(&mints, MINT, 20).await;
    wire.inject(Fault::LoseAnswer("/v1/melt/bolt11".into()));
    assert!(matches!(wallet.pay_invoice(MINT, &bolt11).await, Err(WalletError::Network { .. })));
    // The resent melt is refused as already paid (its cached answer gone): the quote's state and the
    // change found by the blank outputs end it.
    wire.inject(Fault::Refuse("/v1/melt/bolt11".into(), 20006));
    assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED);
    assert_eq!(wallet.balance().await.unwrap(), sat(100 - 20 - PAID));
    assert_eq!(ops(&*store).await, 0);
}

#[tokio::test]
async fn a_restore_into_a_fresh_store_finds_the_change() {
    let mints = Mints::start_with_lightning_fees(RESERVE, PAID).await;
    let words = Wallet::new_mnemonic().unwrap();
    let (wallet, _, _) = wallet_of(&mints, &words).await;
    fund(&wallet, 100).await;
    let bolt11 = invoice(&mints, MINT, 20).await;
    wallet.pay_invoice(MINT, &bolt11).await.unwrap();
    // Again, so that change notes follow the unused blank outputs of the first payment.
    let bolt11 = invoice(&mints, MINT, 5).await;
    wallet.pay_invoice(MINT, &bolt11).await.unwrap();
    let left = 100 - 20 - PAID - 5 - PAID;
    assert_eq!(wallet.balance().await.unwrap(), sat(left));

    let (fresh, store, _) = wallet_of(&mints, &words).await;
    assert_eq!(fresh.restore(MINT).await.unwrap(), sat(left));
    assert_eq!(fresh.balance().await.unwrap(), sat(left));
    assert_eq!(total(&*store).await, left);
}
