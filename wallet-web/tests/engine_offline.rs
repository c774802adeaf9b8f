//! Offline coins in the wallet, natively, with the network off on both sides: a payee's request, the
//! payer's exact coins committed as spent before the payment is shown, the payee's verification against
//! cached keysets. Crashes around the payer's commit, two "tabs" on one store, and every refusal. The coins
//! are seeded by `offline_fixture` (a test mint made with `shared::offline`): the wallet's withdrawal at a
//! real mint comes with the mint's offline endpoints.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod offline_fixture;

use std::collections::BTreeSet;
use std::rc::Rc;

use offline_fixture::{
    Crash, FaultyStore, NetworkOff, OFFLINE_MINT, fresh_offline_wallet, open_offline, public, seed_coins, seed_of,
    test_keyset, withdraw,
};
use shared::offline::{Payment, PaymentRequest};
use wallet_web::offline::records::{OfflineCoinRecord, OfflineCoinState};
use wallet_web::offline::text::{PaymentMessage, payment_from_text, payment_to_text, request_from_text};
use wallet_web::store::{MemoryStore, Table, WalletStore, get_all_json};
use wallet_web::{Wallet, WalletError};

async fn coin_records(store: &dyn WalletStore) -> Vec<OfflineCoinRecord> {
    get_all_json(store, Table::OfflineCoins).await.unwrap()
}

/// No coin is spent to two payments, and every spent coin is in exactly the payment it names.
async fn assert_no_coin_answers_twice(store: &dyn WalletStore, wallet: &Wallet) {
    let payments = wallet.offline_payments().await.unwrap();
    let mut seen = BTreeSet::new();
    for payment in &payments {
        for spent in payment_from_text(&payment.text).unwrap().coins {
            assert!(seen.insert(spent.coin.a_point.to_hex()), "a coin answers two requests");
        }
    }
    for record in coin_records(store).await {
        let key = record.coin.a_point.to_hex();
        match record.state {
            OfflineCoinState::Unspent | OfflineCoinState::Refunded { .. } | OfflineCoinState::Settled => {
                assert!(!seen.contains(&key))
            }
            OfflineCoinState::Spent { payment } => {
                let shown = payments.iter().find(|p| p.id == payment).expect("the payment it is spent to exists");
                assert!(payment_from_text(&shown.text).unwrap().coins.iter().any(|c| c.coin.a_point.to_hex() == key));
            }
        }
    }
}

#[tokio::test]
async fn a_payment_between_two_wallets_with_the_network_off() {
    let keyset = test_keyset(0);
    let (payer, payer_store, payer_net) = fresh_offline_wallet().await;
    let (payee, _, payee_net) = fresh_offline_wallet().await;
    seed_coins(&payer, &keyset, 0, &offline_spread(100)).await;
    payee.store_offline_keysets(OFFLINE_MINT, public(&[&keyset])).await.unwrap();

    let balance = payer.offline_balance().await.unwrap();
    assert_eq!((balance.spendable, balance.payable.clone()), (100, vec![(1, 100)]));
    assert_eq!(balance.keysets.len(), 1);
    assert_eq!(balance.keysets[0].valid_until, keyset.public.valid_until);
    // The online balance is apart.
    assert_eq!(payer.balance().await.unwrap(), shared::Amount::from(0));

    let request = payee.request_offline(37).await.unwrap();
    assert_eq!(Wallet::read_offline_request(&request.text).unwrap().amount, 37);
    let payment = payer.pay_offline(&request.text).await.unwrap();
    assert_eq!(payment.amount, 37);
    let received = payee.receive_offline(&payment.text).await.unwrap();
    assert_eq!((received.amount, received.received_at.is_some()), (37, true));
    assert_eq!(payee.offline_requests().await.unwrap()[0].received_at, received.received_at);

    assert_eq!(payer.offline_balance().await.unwrap().spendable, 63);
    assert_eq!(payer.offline_balance().await.unwrap().payable, vec![(1, 63)]);
    assert_no_coin_answers_twice(&*payer_store, &payer).await;
    // Nothing tried the network.
    assert_eq!((payer_net.calls.get(), payee_net.calls.get()), (0, 0));
}

/// The spread the withdrawal will ask for.
fn offline_spread(amount: u64) -> Vec<u64> {
    let denominations: Vec<u64> = (0..11).map(|j| 1u64 << j).collect();
    wallet_web::offline::denominations::withdrawal_spread(&denominations, amount).unwrap()
}

#[tokio::test]
async fn the_same_request_gets_the_same_payment_and_a_spent_coin_never_answers_another() {
    let keyset = test_keyset(0);
    let (payer, store, _) = fresh_offline_wallet().await;
    let (payee, _, _) = fresh_offline_wallet().await;
    seed_coins(&payer, &keyset, 0, &[4, 8]).await;
    let first = payee.request_offline(12).await.unwrap();
    let paid = payer.pay_offline(&first.text).await.unwrap();
    let again = payer.pay_offline(&first.text).await.unwrap();
    assert_eq!(again.text, paid.text);
    assert_eq!(payer.offline_payments().await.unwrap().len(), 1);

    let second = payee.request_offline(4).await.unwrap();
    let refused = payer.pay_offline(&second.text).await.unwrap_err();
    assert!(refused.to_string().contains("Not enough offline coins: 0 available, 4 asked"), "{refused}");
    assert_no_coin_answers_twice(&*store, &payer).await;
}

#[tokio::test]
async fn amounts_the_coins_cannot_make_exactly_are_refused_in_plain_words() {
    let keyset = test_keyset(0);
    let (payer, _, _) = fresh_offline_wallet().await;
    let (payee, _, _) = fresh_offline_wallet().await;
    seed_coins(&payer, &keyset, 0, &[4, 8]).await;
    assert_eq!(payer.offline_balance().await.unwrap().payable, vec![(4, 4), (8, 8), (12, 12)]);
    let request = payee.request_offline(5).await.unwrap();
    let refused = payer.pay_offline(&request.text).await.unwrap_err();
    assert_eq!(
        refused.to_string(),
        "Your offline coins cannot make exactly 5 (there is no change offline). They can pay: 4, 8, 12."
    );
    assert!(payer.offline_payments().await.unwrap().is_empty());
    assert_eq!(payer.offline_balance().await.unwrap().spendable, 12);
}

#[tokio::test]
async fn a_crash_between_commit_and_display_shows_the_same_payment_after_reload() {
    let keyset = test_keyset(0);
    let inner = Rc::new(MemoryStore::new());
    let store = Rc::new(FaultyStore::new(inner.clone(), Table::OfflinePayments));
    let network = Rc::new(NetworkOff::default());
    let payer = open_offline(store.clone(), network.clone()).await;
    payer.set_mnemonic(&Wallet::new_mnemonic().unwrap()).await.unwrap();
    let (payee, _, _) = fresh_offline_wallet().await;
    seed_coins(&payer, &keyset, 0, &[1, 2, 4, 8]).await;
    payee.store_offline_keysets(OFFLINE_MINT, public(&[&keyset])).await.unwrap();

    // The tab dies before the commit: nothing spent, nothing to show.
    let request = payee.request_offline(6).await.unwrap();
    store.crash.set(Crash::BeforeCommit);
    assert!(matches!(payer.pay_offline(&request.text).await, Err(WalletError::Storage(_))));
    assert!(payer.offline_payments().await.unwrap().is_empty());
    assert_eq!(payer.offline_balance().await.unwrap().spendable, 15);

    // The commit completes and the tab dies before it shows the payment.
    store.crash.set(Crash::AfterCommit);
    assert!(matches!(payer.pay_offline(&request.text).await, Err(WalletError::Storage(_))));
    let reloaded = open_offline(inner.clone(), network).await;
    let shown = reloaded.offline_payments().await.unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(reloaded.offline_balance().await.unwrap().spendable, 9);
    // The same request shows the committed payment; the payee accepts it.
    assert_eq!(reloaded.pay_offline(&request.text).await.unwrap().text, shown[0].text);
    payee.receive_offline(&shown[0].text).await.unwrap();
    // Another request for the same amount gets other coins or none: here 6 = 2 + 4 is gone, 9 = 1 + 8 left.
    let other = payee.request_offline(6).await.unwrap();
    assert!(reloaded.pay_offline(&other.text).await.is_err());
    assert_no_coin_answers_twice(&*inner, &reloaded).await;
}

#[tokio::test]
async fn two_tabs_on_one_store_never_spend_one_coin_twice() {
    let keyset = test_keyset(0);
    let inner = Rc::new(MemoryStore::new());
    let store = Rc::new(FaultyStore::new(inner.clone(), Table::OfflinePayments));
    let network = Rc::new(NetworkOff::default());
    let tab1 = open_offline(store.clone(), network.clone()).await;
    tab1.set_mnemonic(&Wallet::new_mnemonic().unwrap()).await.unwrap();
    let tab2 = open_offline(store.clone(), network).await;
    let (payee, _, _) = fresh_offline_wallet().await;
    seed_coins(&tab1, &keyset, 0, &[1, 2, 4]).await;
    for _ in 0..5 {
        let (r1, r2) = (payee.request_offline(4).await.unwrap(), payee.request_offline(4).await.unwrap());
        let (a, b) = tokio::join!(tab1.pay_offline(&r1.text), tab2.pay_offline(&r2.text));
        // At most one of them had the 4 (or 1 + 2 + ... while coins last).
        if let (Ok(a), Ok(b)) = (a, b) {
            let ca = payment_from_text(&a.text).unwrap().coins;
            let cb = payment_from_text(&b.text).unwrap().coins;
            assert!(ca.iter().all(|x| cb.iter().all(|y| x.coin.a_point != y.coin.a_point)));
        }
    }
    assert_eq!(tab1.offline_payments().await.unwrap().len(), 1, "only the 4 pays 4 exactly: 1 + 2 is 3");
    assert_no_coin_answers_twice(&*inner, &tab2).await;
}

#[tokio::test]
async fn the_payee_refuses_what_does_not_verify_and_accepts_the_same_payment_again() {
    let keyset = test_keyset(0);
    let (payer, _, _) = fresh_offline_wallet().await;
    let (payee, _, _) = fresh_offline_wallet().await;
    let coins = seed_coins(&payer, &keyset, 0, &[1, 2, 4, 8]).await;
    let request = payee.request_offline(3).await.unwrap();
    let payment = payer.pay_offline(&request.text).await.unwrap();

    // Without the mint's keyset cached, nothing verifies.
    let refused = payee.receive_offline(&payment.text).await.unwrap_err();
    assert!(refused.to_string().contains("unknown offline keyset"), "{refused}");
    payee.store_offline_keysets(OFFLINE_MINT, public(&[&keyset])).await.unwrap();

    // A tampered answer.
    let mut tampered = payment_from_text(&payment.text).unwrap();
    tampered.coins[0].r1 = tampered.coins[0].r2;
    assert!(payee.receive_offline(&payment_to_text(&tampered).unwrap()).await.is_err());
    // Someone else's request.
    let (stranger, _, _) = fresh_offline_wallet().await;
    let theirs = stranger.request_offline(4).await.unwrap();
    let to_stranger = payer.pay_offline(&theirs.text).await.unwrap();
    let refused = payee.receive_offline(&to_stranger.text).await.unwrap_err();
    assert!(refused.to_string().contains("not for a request made by this wallet"), "{refused}");
    // The honest payment, twice: accepted, then the same again changes nothing.
    let first = payee.receive_offline(&payment.text).await.unwrap();
    assert_eq!(payee.receive_offline(&payment.text).await.unwrap(), first);

    // The payer cheats behind its wallet's back: a coin already paid to this payee, answered again.
    let message = payment_from_text(&payment.text).unwrap();
    let spent_again = coins.iter().find(|c| c.coin == message.coins[0].coin).unwrap();
    let second = payee.request_offline(spent_again.coin.amount).await.unwrap();
    let second_request: PaymentRequest = request_from_text(&second.text).unwrap();
    let identity = shared::offline::IdentitySecret::from_seed(seed_of(&payer).await.as_bytes()).unwrap();
    let cheat = Payment::pay(&identity, std::slice::from_ref(spent_again), &second_request).unwrap();
    let cheat_text = payment_to_text(&PaymentMessage { request: second_request, coins: cheat.coins }).unwrap();
    let refused = payee.receive_offline(&cheat_text).await.unwrap_err();
    assert!(refused.to_string().contains("spending it twice"), "{refused}");
    // And another payment for an already paid request.
    let other = Payment::pay(&identity, std::slice::from_ref(&coins[3]), &request_from_text(&request.text).unwrap());
    assert!(other.is_err(), "8 is not 3");
    let refused = payee
        .receive_offline(&payment_to_text(&PaymentMessage { request: message.request.clone(), coins: vec![] }).unwrap())
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("paid already"), "{refused}");
}

#[tokio::test]
async fn coins_that_do_not_open_with_this_wallets_seed_are_not_taken_in() {
    let keyset = test_keyset(0);
    let (wallet, _, _) = fresh_offline_wallet().await;
    let (other, _, _) = fresh_offline_wallet().await;
    wallet.store_offline_keysets(OFFLINE_MINT, public(&[&keyset])).await.unwrap();
    let (_, theirs) = withdraw(&keyset, &seed_of(&other).await, 0, 4);
    assert!(wallet.add_offline_coins(OFFLINE_MINT, vec![theirs.clone()]).await.is_err());
    // Right seed, wrong counter.
    let (_, mine) = withdraw(&keyset, &seed_of(&wallet).await, 7, 4);
    let wrong_counter = wallet_web::offline::records::WithdrawnCoin { counter: 8, ..mine.clone() };
    assert!(wallet.add_offline_coins(OFFLINE_MINT, vec![wrong_counter]).await.is_err());
    // A keyset not cached.
    let unknown = test_keyset(1);
    let (_, elsewhere) = withdraw(&unknown, &seed_of(&wallet).await, 0, 4);
    assert!(wallet.add_offline_coins(OFFLINE_MINT, vec![elsewhere]).await.is_err());
    // A keyset whose id does not match its content.
    let mut forged = unknown.public.clone();
    forged.valid_until += 1;
    assert!(wallet.store_offline_keysets(OFFLINE_MINT, vec![forged]).await.is_err());
    assert_eq!(wallet.add_offline_coins(OFFLINE_MINT, vec![mine.clone()]).await.unwrap(), 4);
    // Twice is once.
    assert_eq!(wallet.add_offline_coins(OFFLINE_MINT, vec![mine]).await.unwrap(), 0);
    assert_eq!(wallet.offline_balance().await.unwrap().spendable, 4);
}
