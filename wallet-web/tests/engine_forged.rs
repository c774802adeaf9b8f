//! A forged token cannot break recovery (issue 12, point 2): a token is checked before any derivation
//! counter moves (notes and value bounded, each amount one of its keyset's, DLEQ proofs present and valid
//! unless the user chooses to receive without proof), and no operation moves the counters further than a
//! restore looks past its last find, so every note minted after a refused token comes back in a restore.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod in_process;

use std::rc::Rc;

use axum::http::Method;
use in_process::{InProcess, MINT, Mints, fresh_wallet, fund, ops, total};
use shared::nuts::KeysResponse;
use shared::{Amount, CurrencyUnit, KeySet, Proof, Secret, Token};
use wallet_web::store::MemoryStore;
use wallet_web::{Wallet, WalletError};

/// The mint's active keyset.
async fn keyset(mints: &Mints) -> KeySet {
    let (status, text) = mints.call(Method::GET, MINT, "/v1/keys", None).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str::<KeysResponse>(&text).unwrap().keysets.remove(0)
}

/// A token of `count` notes of `amount` each in `keyset` that the mint never signed.
fn forged(keyset: &KeySet, count: usize, amount: u64) -> String {
    let c = *keyset.keys.iter().next().unwrap().1; // a valid point, not a signature
    let proofs = (0..count)
        .map(|_| Proof {
            amount: Amount::from(amount),
            keyset_id: keyset.id,
            secret: Secret::generate().unwrap(),
            c,
            witness: None,
            dleq: None,
        })
        .collect();
    Token::new(MINT, proofs, None, CurrencyUnit::Sat).encode().unwrap()
}

/// The total a restore from `wallet`'s seed into a fresh store finds.
async fn restored(mints: &Rc<Mints>, wallet: &Wallet) -> u64 {
    let fresh = Rc::new(MemoryStore::new());
    let twin = Wallet::open(fresh.clone(), InProcess::new(mints)).await.unwrap();
    twin.set_mnemonic(&wallet.mnemonic().await.unwrap()).await.unwrap();
    twin.restore(MINT).await.unwrap();
    total(&*fresh).await
}

#[tokio::test]
async fn a_forged_token_is_refused_and_a_restore_finds_everything_after_it() {
    let mints = Mints::start().await;
    let (wallet, store, wire) = fresh_wallet(&mints).await;
    fund(&wallet, 100).await;
    let keyset = keyset(&mints).await;
    let token = forged(&keyset, 400, 1 << 31);
    let before = wire.bodies.borrow().len();
    assert_eq!(wallet.receive(&token, false).await, Err(WalletError::DleqMissing));
    // Even by choice without proof: 400 outputs are more than one op may ask for.
    assert!(matches!(wallet.receive_without_proof(&token, false).await, Err(WalletError::Invalid(_))));
    assert_eq!(wire.bodies.borrow().len(), before, "refused before any request");
    fund(&wallet, 10).await;
    assert_eq!(ops(&*store).await, 0);
    assert_eq!(wallet.balance().await.unwrap(), Amount::from(110));
    assert_eq!(restored(&mints, &wallet).await, 110, "the restore finds the notes minted after the forgery");
}

#[tokio::test]
async fn forged_tokens_received_without_proof_leave_no_gap() {
    let mints = Mints::start().await;
    let (wallet, _, _) = fresh_wallet(&mints).await;
    fund(&wallet, 100).await;
    let keyset = keyset(&mints).await;
    // Each fits in one op, the mint refuses each (10001): the counters they took are given back.
    for _ in 0..3 {
        let token = forged(&keyset, 150, 1 << 31);
        let refused = wallet.receive_without_proof(&token, false).await;
        assert!(matches!(refused, Err(WalletError::Mint { .. })), "{refused:?}");
    }
    fund(&wallet, 10).await;
    assert_eq!(restored(&mints, &wallet).await, 110);
}

#[tokio::test]
async fn tokens_out_of_bounds_are_refused_before_any_request() {
    let mints = Mints::start().await;
    let (wallet, _, wire) = fresh_wallet(&mints).await;
    let keyset = keyset(&mints).await;
    let before = wire.bodies.borrow().len();
    for (token, what) in [
        (forged(&keyset, wallet_web::wallet::MAX_TOKEN_NOTES + 1, 1), "too many notes"),
        (forged(&keyset, 3, 3), "an amount the keyset does not have"),
        (forged(&keyset, 1, 1 << 40), "an amount above the keyset's largest"),
        (forged(&keyset, 2, 1 << 60), "more value than there can be"),
    ] {
        let refused = wallet.receive_without_proof(&token, false).await;
        assert!(matches!(refused, Err(WalletError::InvalidToken(_))), "{what}: {refused:?}");
    }
    assert_eq!(wire.bodies.borrow().len(), before, "refused before any request");
}
