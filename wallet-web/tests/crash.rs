//! Crash recovery for each journaled operation kind. A fault-injecting wrapper around the real HTTP
//! connector fails one request either before it leaves ("the tab died") or after the mint handled it ("the
//! answer was lost"). Then the wallet is reopened on the same store, as after a reload, and recovers: the
//! balance must be right and no note lost or duplicated.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::rc::Rc;

use shared::Amount;
use shared::nuts::{ErrorCode, PaymentMethod};
use support::{Fault, account_balance, fresh_wallet, fund, mint_url, open_account, ops, reopen, total};
use wallet_web::store::WalletStore;
use wallet_web::{HistoryStatus, RecoveryReport, WalletError};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

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
    let notes = support::notes(store).await;
    let mut ys: Vec<&str> = notes.iter().map(|n| n.y.as_str()).collect();
    ys.sort_unstable();
    ys.dedup();
    assert_eq!(ys.len(), notes.len(), "no note twice");
}

#[wasm_bindgen_test]
async fn mint_survives_a_crash() {
    for fault in faults("/v1/mint/") {
        let (wallet, store, wire) = fresh_wallet().await;
        let quote = wallet.request_mint_quote(&mint_url(), PaymentMethod::Bolt11, sat(21)).await.unwrap();
        wire.inject(fault.clone());
        assert!(is_network(&wallet.mint_paid_quote(&mint_url(), &quote.id).await), "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(0));
        assert_eq!(ops(&*store).await, 1);
        let wallet = reopen(store.clone()).await;
        assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(21), "{fault:?}");
        assert_consistent(&*store).await;
        // The quote is issued once only.
        assert!(wallet.mint_paid_quote(&mint_url(), &quote.id).await.is_err());
        assert_eq!(wallet.balance().await.unwrap(), sat(21));
    }
}

#[wasm_bindgen_test]
async fn send_survives_a_crash() {
    for fault in faults("/v1/swap") {
        let (wallet, store, wire) = fresh_wallet().await;
        fund(&wallet, 100).await;
        wire.inject(fault.clone());
        assert!(is_network(&wallet.send(&mint_url(), sat(30), None).await), "{fault:?}");
        // The inputs are reserved meanwhile: not spendable, not lost.
        assert_eq!(total(&*store).await, 100);
        let wallet = reopen(store.clone()).await;
        assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(70), "{fault:?}");
        let sends = wallet.pending_sends().await.unwrap();
        assert_eq!((sends.len(), sends[0].amount), (1, sat(30)));
        assert_consistent(&*store).await;
        // The token works.
        let (bob, _, _) = fresh_wallet().await;
        assert_eq!(bob.receive(&sends[0].token, false).await.unwrap().amount, sat(30));
    }
}

#[wasm_bindgen_test]
async fn receive_survives_a_crash() {
    for fault in faults("/v1/swap") {
        let (alice, _, _) = fresh_wallet().await;
        fund(&alice, 16).await;
        let token = alice.send(&mint_url(), sat(16), None).await.unwrap().token;
        let (bob, store, wire) = fresh_wallet().await;
        wire.inject(fault.clone());
        assert!(is_network(&bob.receive(&token, false).await), "{fault:?}");
        let bob = reopen(store.clone()).await;
        assert_eq!(bob.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        assert_eq!(bob.balance().await.unwrap(), sat(16), "{fault:?}");
        assert_consistent(&*store).await;
        assert_eq!(bob.receive(&token, false).await, Err(WalletError::AlreadySpent));
    }
}

#[wasm_bindgen_test]
async fn reclaim_survives_a_crash() {
    for fault in faults("/v1/swap") {
        let (wallet, store, wire) = fresh_wallet().await;
        fund(&wallet, 24).await; // 8 + 16
        let sent = wallet.send(&mint_url(), sat(8), None).await.unwrap();
        assert_eq!(wallet.balance().await.unwrap(), sat(16));
        wire.inject(fault.clone());
        assert!(is_network(&wallet.reclaim(&sent.send_id).await), "{fault:?}");
        let wallet = reopen(store.clone()).await;
        assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(24), "{fault:?}");
        assert!(wallet.pending_sends().await.unwrap().is_empty());
        assert_consistent(&*store).await;
    }
}

#[wasm_bindgen_test]
async fn melt_survives_a_crash() {
    for fault in faults("/v1/melt/bank") {
        let (wallet, store, wire) = fresh_wallet().await;
        let account = open_account(&wallet.account_pubkey(&mint_url()).await.unwrap(), 0).await;
        fund(&wallet, 40).await; // 8 + 32
        wire.inject(fault.clone());
        assert!(is_network(&wallet.withdraw_to_account(&mint_url(), sat(32), &account).await), "{fault:?}");
        let wallet = reopen(store.clone()).await;
        assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(8), "{fault:?}");
        assert_eq!(account_balance(&account).await, 32, "{fault:?}: paid exactly once");
        assert_consistent(&*store).await;
    }
}

#[wasm_bindgen_test]
async fn the_swap_before_a_withdrawal_survives_a_crash() {
    for fault in faults("/v1/swap") {
        let (wallet, store, wire) = fresh_wallet().await;
        let account = open_account(&wallet.account_pubkey(&mint_url()).await.unwrap(), 0).await;
        fund(&wallet, 64).await;
        wire.inject(fault.clone());
        // 10 is no exact subset of {64}: a swap into exact denominations comes first, and fails here.
        assert!(is_network(&wallet.withdraw_to_account(&mint_url(), sat(10), &account).await), "{fault:?}");
        let wallet = reopen(store.clone()).await;
        assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        // The swap is done, the melt never started: all 64 are still here, in new notes.
        assert_eq!(wallet.balance().await.unwrap(), sat(64), "{fault:?}");
        assert_eq!(account_balance(&account).await, 0);
        assert_consistent(&*store).await;
        assert_eq!(wallet.withdraw_to_account(&mint_url(), sat(10), &account).await.unwrap(), sat(10));
        assert_eq!(account_balance(&account).await, 10);
        // The internal swap leaves no line in the history.
        let kinds: Vec<_> = wallet.history().await.unwrap().iter().map(|h| h.kind).collect();
        assert_eq!(kinds, vec![wallet_web::HistoryKind::Withdrawn, wallet_web::HistoryKind::Minted]);
    }
}

#[wasm_bindgen_test]
async fn a_definitive_refusal_rolls_back() {
    let (wallet, store, wire) = fresh_wallet().await;
    fund(&wallet, 100).await;
    wire.inject(Fault::Refuse("/v1/swap".into(), 11005));
    assert!(matches!(
        wallet.send(&mint_url(), sat(30), None).await,
        Err(WalletError::Mint { code: ErrorCode::TransactionUnbalanced, .. })
    ));
    assert_eq!(wallet.balance().await.unwrap(), sat(100), "the reserved notes are released");
    assert_eq!(ops(&*store).await, 0);
    assert_eq!(wallet.history().await.unwrap()[0].status, HistoryStatus::Failed);
    assert_eq!(wallet.recover().await.unwrap(), RecoveryReport::default());
    // The released notes spend normally.
    assert_eq!(wallet.send(&mint_url(), sat(30), None).await.unwrap().amount, sat(30));
    assert_eq!(wallet.balance().await.unwrap(), sat(70));
}

#[wasm_bindgen_test]
async fn restore_survives_a_crash() {
    let (alice, _, _) = fresh_wallet().await;
    fund(&alice, 50).await;
    let words = alice.mnemonic().await.unwrap();
    for fault in faults("/v1/restore") {
        let store = Rc::new(wallet_web::store::MemoryStore::new());
        let wire = support::TestConnector::new();
        let wallet = wallet_web::Wallet::open(store.clone(), wire.clone()).await.unwrap();
        wallet.set_mnemonic(&words).await.unwrap();
        wallet.add_mint(&mint_url()).await.unwrap();
        wire.inject(fault.clone());
        assert!(is_network(&wallet.restore(&mint_url()).await), "{fault:?}");
        let wallet = reopen(store.clone()).await;
        assert_eq!(wallet.recover().await.unwrap(), ONE_FINISHED, "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(50), "{fault:?}");
        assert_consistent(&*store).await;
    }
}

#[wasm_bindgen_test]
async fn an_unreachable_mint_keeps_operations_pending() {
    let (wallet, store, wire) = fresh_wallet().await;
    fund(&wallet, 100).await;
    wire.inject(Fault::LoseAnswer("/v1/swap".into()));
    assert!(is_network(&wallet.send(&mint_url(), sat(30), None).await));
    // Recovery while the mint is still unreachable: nothing changes, nothing is lost.
    let offline = TestConnectorOffline;
    let wallet2 = wallet_web::Wallet::open(store.clone(), Rc::new(offline)).await.unwrap();
    assert_eq!(wallet2.recover().await.unwrap(), RecoveryReport { finished: 0, rolled_back: 0, still_pending: 1 });
    assert_eq!(total(&*store).await, 100);
    assert_eq!(ops(&*store).await, 1);
    let wallet3 = reopen(store.clone()).await;
    assert_eq!(wallet3.recover().await.unwrap(), ONE_FINISHED);
    assert_eq!(wallet3.balance().await.unwrap(), sat(70));
}

/// A connector whose every request fails as if the network were down.
#[derive(Debug)]
struct TestConnectorOffline;

#[async_trait::async_trait(?Send)]
impl wallet_web::connector::MintConnector for TestConnectorOffline {
    async fn get(&self, mint: &str, _path: &str) -> Result<String, WalletError> {
        Err(WalletError::Network { mint: mint.to_owned(), reason: "offline".into() })
    }
    async fn post(&self, mint: &str, _path: &str, _body: &str) -> Result<String, WalletError> {
        Err(WalletError::Network { mint: mint.to_owned(), reason: "offline".into() })
    }
}
