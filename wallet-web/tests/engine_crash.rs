//! Crash recovery for each journaled operation kind, natively against the in-process mint: the connector
//! fails one request either before it leaves ("the tab died") or after the mint handled it ("the answer
//! was lost"); the wallet is reopened on the same store and recovers. The same scenarios run in Chromium in
//! tests/crash.rs.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod in_process;

use std::rc::Rc;

use in_process::{Fault, InProcess, MINT, Mints, fresh_wallet, fund, ops, reopen, total};
use shared::Amount;
use shared::nuts::{ErrorCode, PaymentMethod};
use wallet_web::store::WalletStore;
use wallet_web::{HistoryStatus, RecoveryReport, WalletError};

fn sat(n: u64) -> Amount {
    Amount::from(n)
}

fn faults(path: &str) -> [Fault; 2] {
    [Fault::FailBeforeSend(path.to_owned()), Fault::LoseAnswer(path.to_owned())]
}

fn is_network(result: &Result<impl std::fmt::Debug, WalletError>) -> bool {
    matches!(result, Err(WalletError::Network { .. }))
}

const ONE_FINISHED: RecoveryReport = RecoveryReport { finished: 1, rolled_back: 0, still_pending: 0 };

/// After recovery: nothing journaled, and the store's notes are exactly the unspent ones at the mint.
async fn assert_consistent(store: &dyn WalletStore) {
    assert_eq!(ops(store).await, 0, "the journal is empty");
    let notes = in_process::notes(store).await;
    let mut ys: Vec<&str> = notes.iter().map(|n| n.y.as_str()).collect();
    ys.sort_unstable();
    ys.dedup();
    assert_eq!(ys.len(), notes.len(), "no note twice");
}

#[tokio::test]
async fn mint_survives_a_crash() {
    let mints = Mints::start().await;
    for fault in faults("/v1/mint/") {
        let (wallet, store, wire) = fresh_wallet(&mints).await;
        let quote = wallet.request_mint_quote(MINT, PaymentMethod::Bolt11, sat(21)).await.unwrap();
        wire.inject(fault.clone());
        assert!(is_network(&wallet.mint_paid_quote(MINT, &quote.id).await), "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(0));
        assert_eq!(ops(&*store).await, 1);
        let wallet = reopen(&mints, store.clone()).await;
        assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(21), "{fault:?}");
        assert_consistent(&*store).await;
        // The quote is issued once only.
        assert!(wallet.mint_paid_quote(MINT, &quote.id).await.is_err());
        assert_eq!(wallet.balance().await.unwrap(), sat(21));
    }
}

#[tokio::test]
async fn send_survives_a_crash() {
    let mints = Mints::start().await;
    for fault in faults("/v1/swap") {
        let (wallet, store, wire) = fresh_wallet(&mints).await;
        fund(&wallet, 100).await;
        wire.inject(fault.clone());
        assert!(is_network(&wallet.send(MINT, sat(30), None).await), "{fault:?}");
        // The inputs are reserved meanwhile: not spendable, not lost.
        assert_eq!(total(&*store).await, 100);
        let wallet = reopen(&mints, store.clone()).await;
        assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(70), "{fault:?}");
        let sends = wallet.pending_sends().await.unwrap();
        assert_eq!((sends.len(), sends[0].amount), (1, sat(30)));
        assert_consistent(&*store).await;
        // The token works.
        let (bob, _, _) = fresh_wallet(&mints).await;
        assert_eq!(bob.receive(&sends[0].token, false).await.unwrap().amount, sat(30));
    }
}

#[tokio::test]
async fn receive_survives_a_crash() {
    let mints = Mints::start().await;
    for fault in faults("/v1/swap") {
        let (alice, _, _) = fresh_wallet(&mints).await;
        fund(&alice, 16).await;
        let token = alice.send(MINT, sat(16), None).await.unwrap().token;
        let (bob, store, wire) = fresh_wallet(&mints).await;
        wire.inject(fault.clone());
        assert!(is_network(&bob.receive(&token, false).await), "{fault:?}");
        let bob = reopen(&mints, store.clone()).await;
        assert_eq!(bob.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        assert_eq!(bob.balance().await.unwrap(), sat(16), "{fault:?}");
        assert_consistent(&*store).await;
        assert_eq!(bob.receive(&token, false).await, Err(WalletError::AlreadySpent));
    }
}

#[tokio::test]
async fn reclaim_survives_a_crash() {
    let mints = Mints::start().await;
    for fault in faults("/v1/swap") {
        let (wallet, store, wire) = fresh_wallet(&mints).await;
        fund(&wallet, 24).await; // 8 + 16
        let sent = wallet.send(MINT, sat(8), None).await.unwrap();
        assert_eq!(wallet.balance().await.unwrap(), sat(16));
        wire.inject(fault.clone());
        assert!(is_network(&wallet.reclaim(&sent.send_id).await), "{fault:?}");
        let wallet = reopen(&mints, store.clone()).await;
        assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(24), "{fault:?}");
        assert!(wallet.pending_sends().await.unwrap().is_empty());
        assert_consistent(&*store).await;
    }
}

#[tokio::test]
async fn melt_survives_a_crash() {
    let mints = Mints::start().await;
    for fault in faults("/v1/melt/bank") {
        let (wallet, store, wire) = fresh_wallet(&mints).await;
        let account = mints.open_account(MINT, &wallet.account_pubkey(MINT).await.unwrap(), 0).await;
        fund(&wallet, 40).await; // 8 + 32
        wire.inject(fault.clone());
        assert!(is_network(&wallet.withdraw_to_account(MINT, sat(32), &account).await), "{fault:?}");
        let wallet = reopen(&mints, store.clone()).await;
        assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(8), "{fault:?}");
        assert_eq!(mints.account_balance(MINT, &account).await, 32, "{fault:?}: paid exactly once");
        assert_consistent(&*store).await;
    }
}

#[tokio::test]
async fn the_swap_before_a_withdrawal_survives_a_crash() {
    let mints = Mints::start().await;
    for fault in faults("/v1/swap") {
        let (wallet, store, wire) = fresh_wallet(&mints).await;
        let account = mints.open_account(MINT, &wallet.account_pubkey(MINT).await.unwrap(), 0).await;
        fund(&wallet, 64).await;
        wire.inject(fault.clone());
        // 10 is no exact subset of {64}: a swap into exact denominations comes first, and fails here.
        assert!(is_network(&wallet.withdraw_to_account(MINT, sat(10), &account).await), "{fault:?}");
        let wallet = reopen(&mints, store.clone()).await;
        assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        // The swap is done, the melt never started: all 64 are still here, in new notes.
        assert_eq!(wallet.balance().await.unwrap(), sat(64), "{fault:?}");
        assert_eq!(mints.account_balance(MINT, &account).await, 0);
        assert_consistent(&*store).await;
        assert_eq!(wallet.withdraw_to_account(MINT, sat(10), &account).await.unwrap(), sat(10));
        assert_eq!(mints.account_balance(MINT, &account).await, 10);
        // The internal swap leaves no line in the history.
        let kinds: Vec<_> = wallet.history().await.unwrap().iter().map(|h| h.kind).collect();
        assert_eq!(kinds, vec![wallet_web::HistoryKind::Withdrawn, wallet_web::HistoryKind::Minted]);
    }
}

#[tokio::test]
async fn a_definitive_refusal_rolls_back() {
    let mints = Mints::start().await;
    let (wallet, store, wire) = fresh_wallet(&mints).await;
    fund(&wallet, 100).await;
    wire.inject(Fault::Refuse("/v1/swap".into(), 11005));
    assert!(matches!(
        wallet.send(MINT, sat(30), None).await,
        Err(WalletError::Mint { code: ErrorCode::TransactionUnbalanced, .. })
    ));
    assert_eq!(wallet.balance().await.unwrap(), sat(100), "the reserved notes are released");
    assert_eq!(ops(&*store).await, 0);
    assert_eq!(wallet.history().await.unwrap()[0].status, HistoryStatus::Failed);
    assert_eq!(wallet.recover().await.unwrap(), RecoveryReport::default());
    // The released notes spend normally.
    assert_eq!(wallet.send(MINT, sat(30), None).await.unwrap().amount, sat(30));
    assert_eq!(wallet.balance().await.unwrap(), sat(70));
}

#[tokio::test]
async fn restore_survives_a_crash() {
    let mints = Mints::start().await;
    let (alice, _, _) = fresh_wallet(&mints).await;
    fund(&alice, 50).await;
    let words = alice.mnemonic().await.unwrap();
    for fault in faults("/v1/restore") {
        let store = Rc::new(wallet_web::store::MemoryStore::new());
        let wire = InProcess::new(&mints);
        let wallet = wallet_web::Wallet::open(store.clone(), wire.clone()).await.unwrap();
        wallet.set_mnemonic(&words).await.unwrap();
        wallet.add_mint(MINT).await.unwrap();
        wire.inject(fault.clone());
        assert!(is_network(&wallet.restore(MINT).await), "{fault:?}");
        let wallet = reopen(&mints, store.clone()).await;
        assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(50), "{fault:?}");
        assert_consistent(&*store).await;
    }
}

#[tokio::test]
async fn an_unreachable_mint_keeps_operations_pending() {
    let mints = Mints::start().await;
    let (wallet, store, wire) = fresh_wallet(&mints).await;
    fund(&wallet, 100).await;
    wire.inject(Fault::LoseAnswer("/v1/swap".into()));
    assert!(is_network(&wallet.send(MINT, sat(30), None).await));
    // Recovery while the mint is still unreachable: nothing changes, nothing is lost.
    let offline = InProcess::new(&mints);
    offline.inject(Fault::Offline);
    let wallet2 = wallet_web::Wallet::open(store.clone(), offline).await.unwrap();
    assert_eq!(wallet2.recover().await.unwrap(), RecoveryReport { finished: 0, rolled_back: 0, still_pending: 1 });
    assert_eq!(total(&*store).await, 100);
    assert_eq!(ops(&*store).await, 1);
    let wallet3 = reopen(&mints, store.clone()).await;
    assert_eq!(wallet3.recover().await.unwrap(), ONE_FINISHED);
    assert_eq!(wallet3.balance().await.unwrap(), sat(70));
}
