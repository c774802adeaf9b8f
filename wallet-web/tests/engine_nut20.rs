//! NUT-20 in the wallet (issue 12, point 12): every mint quote is locked to a fresh key derived from the
//! seed, so a quote id alone mints nothing; the wallet's journaled mint request carries the signature, so a
//! lost answer or a reload still ends in notes, and a wallet reopened on its store re-derives the key.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod in_process;

use axum::http::Method;
use in_process::{Fault, MINT, Mints, fresh_wallet, reopen, total};
use shared::derivation::{WalletSeed, parse_mnemonic};
use shared::nuts::nut20::{quote_secret_key, verify_mint_request};
use shared::nuts::{ErrorCode, ErrorResponse, KeysResponse, MintQuoteBolt11Response, MintRequest, PaymentMethod};
use shared::{Amount, BlindedMessage, SecretKey};
use wallet_web::RecoveryReport;

fn sat(n: u64) -> Amount {
    Amount::from(n)
}

async fn quote_state(mints: &Mints, method: &str, id: &str) -> MintQuoteBolt11Response {
    let (status, text) = mints.call(Method::GET, MINT, &format!("/v1/mint/quote/{method}/{id}"), None).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn quotes_are_locked_to_seed_keys_and_a_quote_id_alone_mints_nothing() {
    let mints = Mints::start().await;
    let (wallet, _store, wire) = fresh_wallet(&mints).await;
    let seed = WalletSeed::from_mnemonic(&parse_mnemonic(&wallet.mnemonic().await.unwrap()).unwrap());
    let first = wallet.request_mint_quote(MINT, PaymentMethod::Bolt11, sat(8)).await.unwrap();
    let second = wallet.request_mint_quote(MINT, PaymentMethod::Bolt11, sat(8)).await.unwrap();
    let lock_1 = quote_state(&mints, "bolt11", &first.id).await.pubkey.unwrap();
    let lock_2 = quote_state(&mints, "bolt11", &second.id).await.pubkey.unwrap();
    // One fresh key per quote, each from the seed (indexes 0 and 1 at this mint).
    assert_eq!(lock_1, quote_secret_key(&seed, MINT, 0).unwrap().public_key());
    assert_eq!(lock_2, quote_secret_key(&seed, MINT, 1).unwrap().public_key());

    // Someone who learnt the quote id cannot mint it.
    let (_, keys) = mints.call(Method::GET, MINT, "/v1/keys", None).await;
    let keys: KeysResponse = serde_json::from_str(&keys).unwrap();
    let thief = MintRequest {
        quote: first.id.clone(),
        outputs: vec![BlindedMessage {
            amount: sat(8),
            keyset_id: keys.keysets[0].id,
            blinded_secret: SecretKey::random().unwrap().public_key(),
            witness: None,
        }],
        signature: None,
    };
    let body = serde_json::to_string(&thief).unwrap();
    let (status, text) = mints.call(Method::POST, MINT, "/v1/mint/bolt11", Some(&body)).await;
    assert_eq!(status, 400);
    let error: ErrorResponse = serde_json::from_str(&text).unwrap();
    assert_eq!(error.code, ErrorCode::WitnessMissingOrInvalid);

    // The wallet mints it: its request is signed by the quote's key over the quote and its outputs.
    assert_eq!(wallet.mint_paid_quote(MINT, &first.id).await.unwrap(), sat(8));
    let bodies = wire.bodies.borrow().clone();
    let (_, sent) = bodies.iter().rev().find(|(path, _)| path == "/v1/mint/bolt11").unwrap();
    let sent: MintRequest = serde_json::from_str(sent).unwrap();
    verify_mint_request(&lock_1, &sent).unwrap();
    assert_eq!(wallet.balance().await.unwrap(), sat(8));
}

#[tokio::test]
async fn a_locked_quote_is_minted_after_a_lost_answer_or_a_reload() {
    let mints = Mints::start().await;
    for fault in [Fault::FailBeforeSend("/v1/mint/".into()), Fault::LoseAnswer("/v1/mint/".into())] {
        let (wallet, store, wire) = fresh_wallet(&mints).await;
        let quote = wallet.request_mint_quote(MINT, PaymentMethod::Bolt11, sat(21)).await.unwrap();
        wire.inject(fault.clone());
        assert!(wallet.mint_paid_quote(MINT, &quote.id).await.is_err(), "{fault:?}");
        drop(wallet);
        let wallet = reopen(&mints, store.clone()).await;
        let report = wallet.recover().await.unwrap();
        assert_eq!(report, RecoveryReport { finished: 1, rolled_back: 0, still_pending: 0 }, "{fault:?}");
        assert_eq!(wallet.balance().await.unwrap(), sat(21), "{fault:?}");
        assert_eq!(total(&*store).await, 21, "{fault:?}");
    }
    // A quote requested before a reload is minted after it: the key comes back from the seed.
    let (wallet, store, _) = fresh_wallet(&mints).await;
    let quote = wallet.request_mint_quote(MINT, PaymentMethod::Bolt11, sat(5)).await.unwrap();
    drop(wallet);
    let wallet = reopen(&mints, store.clone()).await;
    assert_eq!(wallet.mint_paid_quote(MINT, &quote.id).await.unwrap(), sat(5));
}

#[tokio::test]
async fn bank_quotes_are_locked_too() {
    let mints = Mints::start().await;
    let (wallet, _store, _) = fresh_wallet(&mints).await;
    let account = mints.open_account(MINT, &wallet.account_pubkey(MINT).await.unwrap(), 50).await;
    let quote = wallet.request_mint_quote(MINT, PaymentMethod::Bank, sat(30)).await.unwrap();
    assert!(quote_state(&mints, "bank", &quote.id).await.pubkey.is_some());
    assert_eq!(wallet.pay_and_mint(MINT, &quote.id, &account).await.unwrap(), sat(30));
    assert_eq!(mints.account_balance(MINT, &account).await, 20);
}
