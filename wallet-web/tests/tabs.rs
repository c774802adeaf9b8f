//! Two tabs on one IndexedDB database: two wallets send at the same time and never use the same note or
//! the same derivation counter (the Web Lock serializes them; each reloads its notes inside the lock).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::HashSet;
use std::rc::Rc;

use shared::Amount;
use support::{TestConnector, mint_url};
use wallet_web::store::{IdbStore, WalletStore};
use wallet_web::{Wallet, WalletError};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn two_tabs_never_share_a_note_or_a_counter() {
    let name = "wallet-test-two-tabs";
    IdbStore::delete(name).await.unwrap();
    let (wire_a, wire_b) = (TestConnector::new(), TestConnector::new());
    let tab_a = Wallet::open(Rc::new(IdbStore::open(name).await.unwrap()), wire_a.clone()).await.unwrap();
    let tab_b = Wallet::open(Rc::new(IdbStore::open(name).await.unwrap()), wire_b.clone()).await.unwrap();
    tab_a.set_mnemonic(&Wallet::new_mnemonic().unwrap()).await.unwrap();
    assert!(tab_b.has_seed().await.unwrap());
    tab_a.add_mint(&mint_url()).await.unwrap();
    support::fund(&tab_a, 1000).await;
    assert_eq!(tab_b.balance().await.unwrap(), Amount::from(1000));

    // Each tab sends 6 times 13 at once (13 is never an exact subset here, so each send swaps).
    let sends = |tab: Wallet| async move {
        let mut results = Vec::new();
        for _ in 0..6 {
            results.push(tab.send(&mint_url(), Amount::from(13), None).await);
        }
        results
    };
    let (a, b) = futures::join!(sends(tab_a.clone()), sends(tab_b.clone()));
    let results: Vec<Result<_, WalletError>> = a.into_iter().chain(b).collect();
    for result in &results {
        assert!(result.is_ok(), "{result:?}");
    }
    assert_eq!(tab_a.balance().await.unwrap(), Amount::from(1000 - 12 * 13));
    assert_eq!(tab_b.pending_sends().await.unwrap().len(), 12);

    // No input spent twice, no output (B', hence counter) used twice, over both tabs' requests.
    let mut inputs = HashSet::new();
    let mut outputs = HashSet::new();
    for (path, body) in wire_a.bodies.borrow().iter().chain(wire_b.bodies.borrow().iter()) {
        if path != "/v1/swap" && !path.starts_with("/v1/mint/") {
            continue;
        }
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        for input in json["inputs"].as_array().into_iter().flatten() {
            assert!(inputs.insert(input["secret"].as_str().unwrap().to_owned()), "a note was spent twice");
        }
        for output in json["outputs"].as_array().into_iter().flatten() {
            assert!(outputs.insert(output["B_"].as_str().unwrap().to_owned()), "an output was reused");
        }
    }
    assert!(!inputs.is_empty() && !outputs.is_empty());
    // Sends served from an exact subset made no request: check their notes directly.
    let mut token_secrets = HashSet::new();
    for send in tab_a.pending_sends().await.unwrap() {
        let token = shared::Token::decode(&send.token).unwrap();
        for proof in token.proofs(&[]).unwrap() {
            assert!(token_secrets.insert(proof.secret.as_str().to_owned()), "a note is in two tokens");
        }
    }
    // Every token redeems.
    let (bob, _, _) = support::fresh_wallet().await;
    for send in tab_a.pending_sends().await.unwrap() {
        assert_eq!(bob.receive(&send.token, false).await.unwrap().amount, Amount::from(13));
    }
}

/// A lock request the browser rejects (names starting with `-` are reserved) is an error at once, not a
/// wait for a grant that never comes (issue 12, point 4).
#[wasm_bindgen_test]
async fn a_refused_lock_request_is_an_error_not_a_hang() {
    use futures::future::{Either, select};
    use wallet_web::platform::{TabLock, WebLocks};
    let request = Box::pin(async { WebLocks.lock("-reserved").await.map(|_| ()) });
    match select(request, Box::pin(wallet_web::platform::sleep(5_000))).await {
        Either::Left((result, _)) => assert!(matches!(result, Err(WalletError::Storage(_))), "{result:?}"),
        Either::Right(_) => panic!("the refused lock request hangs"),
    }
    // The lock still works for a proper name afterwards.
    let guard = WebLocks.lock("wallet-test-after-a-refusal").await.unwrap();
    drop(guard);
}

/// Without Web Locks (an insecure context: http on a LAN address) a second tab refuses to write, with a
/// clear message, instead of writing beside the first (issue 12, point 4).
#[wasm_bindgen_test]
async fn without_web_locks_a_second_tab_refuses_to_write() {
    use wallet_web::platform::{LonelyTab, Platform, TabLock, WebLocks};
    let name = "wallet-test-lonely";
    let (tab_a, tab_b) = (LonelyTab::new(), LonelyTab::new());
    drop(tab_a.lock(name).await.unwrap()); // alone: granted
    assert_eq!(tab_b.lock(name).await.err(), Some(WalletError::OtherTab), "the first tab answers");
    assert_eq!(tab_a.lock(name).await.err(), Some(WalletError::OtherTab), "the second listens now");

    // The wallet says so in plain words.
    let store = "wallet-test-lonely-store";
    IdbStore::delete(store).await.unwrap();
    let store = Rc::new(IdbStore::open(store).await.unwrap());
    // The first tab has this wallet open (the lock's name is the wallet's: Wallet::open_with).
    drop(tab_a.lock(&format!("chaumian-wallet-lock:{}", store.name())).await.unwrap());
    let platform = Platform { lock: Rc::new(tab_b.clone()), ..Platform::browser() };
    let wallet = Wallet::open_with(store, TestConnector::new(), platform).await.unwrap();
    let refused = wallet.set_mnemonic(&Wallet::new_mnemonic().unwrap()).await;
    assert_eq!(refused, Err(WalletError::OtherTab));
    assert!(WalletError::OtherTab.to_string().starts_with("This wallet is open in another tab."));

    // WebLocks falls back to it where navigator.locks is missing (another name: the fallback stays open).
    let other = "wallet-test-lonely-fallback";
    let tab_c = LonelyTab::new();
    drop(tab_c.lock(other).await.unwrap());
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).unwrap();
    let hidden = js_sys::Object::new();
    js_sys::Reflect::set(&hidden, &"value".into(), &wasm_bindgen::JsValue::UNDEFINED).unwrap();
    js_sys::Reflect::set(&hidden, &"configurable".into(), &true.into()).unwrap();
    js_sys::Reflect::define_property(&navigator.clone().into(), &"locks".into(), &hidden).unwrap();
    let fallback = WebLocks.lock(other).await.err();
    js_sys::Reflect::delete_property(&navigator.into(), &"locks".into()).unwrap();
    assert_eq!(fallback, Some(WalletError::OtherTab), "the other tab answers");

    // Once the other tab is gone, the first writes again.
    drop(wallet);
    drop(tab_b);
    drop(tab_a.lock(name).await.unwrap());
}
