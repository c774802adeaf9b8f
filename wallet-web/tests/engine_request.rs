//! Paying a payment request (NUT-18, in-band) natively against the real mint in this process
//! (tests/in_process/): one step makes a token of exactly the amount asked, at a mint the request accepts;
//! what the wallet cannot honour is refused in plain words and changes nothing.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod in_process;

use in_process::{FEE_MINT, MINT, Mints, fresh_wallet, fund, ops};
use shared::Amount;
use wallet_web::{RequestAsk, WalletError};

fn sat(n: u64) -> Amount {
    Amount::from(n)
}

fn ask(amount: Option<u64>, mints: &[&str]) -> RequestAsk {
    RequestAsk {
        id: Some("b7a90176".into()),
        amount: amount.map(Amount::from),
        unit: Some("sat".into()),
        mints: mints.iter().map(|url| (*url).to_owned()).collect(),
        description: Some("coffee".into()),
        locked: false,
    }
}

#[tokio::test]
async fn a_request_is_paid_with_a_token_of_exactly_its_amount_from_an_accepted_mint() {
    let mints = Mints::start().await;
    let (alice, _, _) = fresh_wallet(&mints).await;
    let (bob, _, _) = fresh_wallet(&mints).await;
    alice.add_mint(FEE_MINT).await.unwrap();
    fund(&alice, 100).await;

    // Bob asks 21 sat at either mint (written with a trailing slash); Alice has money only at MINT.
    let request = ask(Some(21), &[FEE_MINT, &format!("{MINT}/")]);
    let paid = alice.pay_request(&request, None).await.unwrap();
    assert_eq!((paid.amount, paid.fee), (sat(21), sat(0)));
    let preview = bob.inspect_token(&paid.token).await.unwrap();
    assert_eq!((preview.mint.as_str(), preview.amount, preview.memo.as_deref()), (MINT, sat(21), Some("coffee")));
    assert_eq!(alice.balance().await.unwrap(), sat(79));

    // Bob receives exactly the amount he asked for.
    assert_eq!(bob.receive(&paid.token, false).await.unwrap().amount, sat(21));
    assert_eq!(bob.balance().await.unwrap(), sat(21));

    // A request with no amount is paid with the amount typed; one with no mints at any of the wallet's.
    let open = RequestAsk { amount: None, mints: Vec::new(), unit: None, ..ask(None, &[]) };
    let paid = alice.pay_request(&open, Some(sat(7))).await.unwrap();
    assert_eq!(paid.amount, sat(7));
    assert_eq!(bob.receive(&paid.token, false).await.unwrap().amount, sat(7));
    // The request's amount wins over a typed one.
    assert_eq!(alice.pay_request(&ask(Some(3), &[MINT]), Some(sat(50))).await.unwrap().amount, sat(3));
    assert_eq!(alice.balance().await.unwrap(), sat(100 - 21 - 7 - 3));
}

#[tokio::test]
async fn what_the_wallet_cannot_honour_is_refused_and_changes_nothing() {
    let mints = Mints::start().await;
    let (alice, store, _) = fresh_wallet(&mints).await;
    fund(&alice, 50).await;

    let refusal = |result: Result<wallet_web::SendView, WalletError>| match result {
        Err(error) => error.to_string(),
        Ok(sent) => panic!("paid {sent:?}"),
    };
    let usd = RequestAsk { unit: Some("usd".into()), ..ask(Some(5), &[MINT]) };
    assert!(refusal(alice.pay_request(&usd, None).await).contains("pays only in sat"));
    let locked = RequestAsk { locked: true, ..ask(Some(5), &[MINT]) };
    assert!(refusal(alice.pay_request(&locked, None).await).contains("spending condition"));
    assert!(refusal(alice.pay_request(&ask(None, &[MINT]), None).await).contains("names no amount"));
    assert!(refusal(alice.pay_request(&ask(None, &[MINT]), Some(sat(0))).await).contains("more than 0"));
    let elsewhere = refusal(alice.pay_request(&ask(Some(5), &["https://other.example"]), None).await);
    assert!(elsewhere.contains("https://other.example") && elsewhere.contains("holds no money"), "{elsewhere}");
    // A mint the wallet knows but has no money at counts as too little money, not as unknown.
    alice.add_mint(FEE_MINT).await.unwrap();
    assert_eq!(
        alice.pay_request(&ask(Some(5), &[FEE_MINT]), None).await.unwrap_err(),
        WalletError::InsufficientFunds { available: sat(0), needed: sat(5) }
    );
    assert_eq!(
        alice.pay_request(&ask(Some(51), &[MINT]), None).await.unwrap_err(),
        WalletError::InsufficientFunds { available: sat(50), needed: sat(51) }
    );

    assert_eq!(alice.balance().await.unwrap(), sat(50));
    assert!(alice.pending_sends().await.unwrap().is_empty());
    assert_eq!(ops(&*store).await, 0);
}

#[tokio::test]
async fn a_request_made_by_one_wallet_is_read_and_paid_by_another() {
    let mints = Mints::start().await;
    let (alice, _, _) = fresh_wallet(&mints).await;
    let (bob, _, _) = fresh_wallet(&mints).await;
    fund(&alice, 64).await;

    let text = bob.payment_request(sat(21), Some("two coffees".into())).await.unwrap();
    let ask = wallet_web::Wallet::read_payment_request(&text).unwrap();
    assert_eq!(
        (ask.amount, ask.mints.clone(), ask.description.as_deref()),
        (Some(sat(21)), vec![MINT.to_owned()], Some("two coffees"))
    );
    // Each request has its own id.
    let again = wallet_web::Wallet::read_payment_request(&bob.payment_request(sat(21), None).await.unwrap()).unwrap();
    assert!(ask.id.is_some() && ask.id != again.id);

    let paid = alice.pay_request(&ask, None).await.unwrap();
    assert_eq!(paid.amount, sat(21));
    assert_eq!(bob.receive(&paid.token, false).await.unwrap().amount, sat(21));
    assert_eq!((alice.balance().await.unwrap(), bob.balance().await.unwrap()), (sat(43), sat(21)));
}
