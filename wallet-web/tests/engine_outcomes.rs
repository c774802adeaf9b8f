//! Only a definitive refusal rolls back (issue 12, point 1): the connector sends each operation's request
//! to the real in-process mint, then replaces the answer with a proxy's 502, a 500 carrying a Cashu body,
//! garbage (4xx and 2xx) or a dropped connection. Each is an unknown outcome: the op stays pending, and
//! after `recover()` the wallet agrees with the mint note for note (every note it holds is unspent at the
//! mint, a restore from the seed finds exactly its notes), nothing lost and nothing counted twice.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod in_process;

use std::collections::BTreeSet;
use std::rc::Rc;

use axum::http::Method;
use in_process::{Fault, InProcess, MINT, Mints, fresh_wallet, fund, ops, total};
use shared::Amount;
use shared::PublicKey;
use shared::nuts::{CheckStateRequest, CheckStateResponse, PaymentMethod, State};
use wallet_web::Wallet;
use wallet_web::store::{MemoryStore, WalletStore};

fn sat(n: u64) -> Amount {
    Amount::from(n)
}

/// The answers that carry no verdict, for requests to `path`.
fn no_verdicts(path: &str) -> Vec<Fault> {
    let p = path.to_owned();
    vec![
        Fault::Replace(p.clone(), 502, "<html><body>502 Bad Gateway</body></html>".into()),
        Fault::Replace(p.clone(), 504, String::new()),
        Fault::Replace(p.clone(), 500, r#"{"code":0,"detail":"could not sync the batch"}"#.into()),
        Fault::Replace(p.clone(), 400, "garbage".into()),
        Fault::Replace(p.clone(), 200, "{not json".into()),
        Fault::LoseAnswer(p),
    ]
}

/// The Ys of the notes in `store`.
async fn ys(store: &dyn WalletStore) -> BTreeSet<String> {
    in_process::notes(store).await.into_iter().map(|n| n.y).collect()
}

/// Recovers, then checks that the wallet agrees with the mint note for note and holds `expected` sats.
async fn assert_agrees(mints: &Rc<Mints>, wallet: &Wallet, store: &Rc<MemoryStore>, expected: u64, what: &str) {
    let report = wallet.recover().await.unwrap();
    assert_eq!(report.still_pending, 0, "{what}: {report:?}");
    assert_eq!(ops(&**store).await, 0, "{what}: the journal is empty");
    assert_eq!(total(&**store).await, expected, "{what}: nothing lost, nothing counted twice");
    let held = ys(&**store).await;
    assert_eq!(held.len(), in_process::notes(&**store).await.len(), "{what}: no note twice");
    // Every note the wallet holds is unspent at the mint.
    let request = CheckStateRequest { ys: held.iter().map(|y| PublicKey::from_hex(y).unwrap()).collect() };
    let body = serde_json::to_string(&request).unwrap();
    let (status, text) = mints.call(Method::POST, MINT, "/v1/checkstate", Some(&body)).await;
    assert_eq!(status, 200, "{text}");
    let states: CheckStateResponse = serde_json::from_str(&text).unwrap();
    assert!(states.states.iter().all(|s| s.state == State::Unspent), "{what}: {states:?}");
    // And the mint holds no unspent note of this seed that the wallet does not.
    let fresh = Rc::new(MemoryStore::new());
    let twin = Wallet::open(fresh.clone(), InProcess::new(mints)).await.unwrap();
    twin.set_mnemonic(&wallet.mnemonic().await.unwrap()).await.unwrap();
    twin.restore(MINT).await.unwrap();
    assert_eq!(ys(&*fresh).await, held, "{what}: a restore finds exactly the wallet's notes");
}

#[tokio::test]
async fn a_send_without_verdict_stays_pending_and_recovers() {
    let mints = Mints::start().await;
    for fault in no_verdicts("/v1/swap") {
        let (wallet, store, wire) = fresh_wallet(&mints).await;
        fund(&wallet, 100).await;
        wire.inject(fault.clone());
        assert!(wallet.send(MINT, sat(30), None).await.is_err(), "{fault:?}");
        assert_eq!(ops(&*store).await, 1, "{fault:?}: the op stays pending");
        assert_agrees(&mints, &wallet, &store, 100, &format!("{fault:?}")).await;
        assert_eq!(wallet.balance().await.unwrap(), sat(70), "{fault:?}");
        assert_eq!(wallet.pending_sends().await.unwrap().len(), 1, "{fault:?}");
    }
}

#[tokio::test]
async fn a_receive_without_verdict_stays_pending_and_recovers() {
    let mints = Mints::start().await;
    for fault in no_verdicts("/v1/swap") {
        let (alice, _, _) = fresh_wallet(&mints).await;
        fund(&alice, 50).await;
        let token = alice.send(MINT, sat(50), None).await.unwrap().token;
        let (bob, store, wire) = fresh_wallet(&mints).await;
        wire.inject(fault.clone());
        assert!(bob.receive(&token, false).await.is_err(), "{fault:?}");
        assert_eq!(ops(&*store).await, 1, "{fault:?}: the op stays pending");
        assert_agrees(&mints, &bob, &store, 50, &format!("{fault:?}")).await;
        assert_eq!(bob.balance().await.unwrap(), sat(50), "{fault:?}");
    }
}

#[tokio::test]
async fn a_mint_without_verdict_stays_pending_and_recovers() {
    let mints = Mints::start().await;
    for fault in no_verdicts("/v1/mint/") {
        let (wallet, store, wire) = fresh_wallet(&mints).await;
        let quote = wallet.request_mint_quote(MINT, PaymentMethod::Bolt11, sat(21)).await.unwrap();
        wire.inject(fault.clone());
        assert!(wallet.mint_paid_quote(MINT, &quote.id).await.is_err(), "{fault:?}");
        assert_eq!(ops(&*store).await, 1, "{fault:?}: the op stays pending");
        assert_agrees(&mints, &wallet, &store, 21, &format!("{fault:?}")).await;
        assert_eq!(wallet.balance().await.unwrap(), sat(21), "{fault:?}");
    }
}

#[tokio::test]
async fn a_melt_without_verdict_stays_pending_and_recovers() {
    let mints = Mints::start().await;
    for fault in no_verdicts("/v1/melt/bank") {
        let (wallet, store, wire) = fresh_wallet(&mints).await;
        let account = mints.open_account(MINT, &wallet.account_pubkey(MINT).await.unwrap(), 0).await;
        fund(&wallet, 40).await; // 8 + 32
        wire.inject(fault.clone());
        // Pending (the melt was paid, but no verdict came back), or settled by the melt quote's state.
        let _ = wallet.withdraw_to_account(MINT, sat(32), &account).await;
        assert_agrees(&mints, &wallet, &store, 8, &format!("{fault:?}")).await;
        assert_eq!(mints.account_balance(MINT, &account).await, 32, "{fault:?}: paid exactly once");
    }
}
