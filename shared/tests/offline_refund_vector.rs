//! A frozen known-answer vector of the refund's ownership proof (`shared::offline::refund`): a coin withdrawn
//! from fixed inputs, its proof for account `account-42`. The test recomputes and compares, then verifies the
//! frozen values with the public verifier alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use shared::offline::withdrawal::derive_session_nonce;
use shared::offline::{
    CoinSecrets, IdentitySecret, MintSession, OfflineMintKeyset, OwnershipProof, PendingWithdrawal, PublicScalar,
};
use shared::{CurrencyUnit, PublicKey};

/// `A` of the coin, `I`, and the proof `(T, sigma)`.
const A: &str = "02265a2f260874ac84c734135d8203d4c449236a2f446f01eb32d0eb1ce4b9216c";
const IDENTITY: &str = "02b59dca0ec843293266d57c48bdf6846b5b975b6c470cc4776ccbde6f2072ef67";
const COMMITMENT: &str = "02317fb7f0c056511ac2572147189ab7461074f35f9cc72c3b26ccb52bd784cb6a";
const RESPONSE: &str = "d0e399b6fa55c2ed79d48d43f32ecffdf57efc6bb5ec9d0cd3ba3a077218dba5";
const CONTEXT: &[u8] = b"account-42";

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[test]
fn ownership_proof_vector() {
    let seed: [u8; 64] = core::array::from_fn(|i| i as u8);
    let mint =
        OfflineMintKeyset::derive(b"refund vector master", 0, 4, CurrencyUnit::Sat, 1_000, 2_000, 3_000).unwrap();
    let u1 = IdentitySecret::from_seed(&seed).unwrap();
    let identity = u1.identity().unwrap();
    let w = derive_session_nonce(b"refund vector session", b"s1").unwrap();
    let (session, start) = MintSession::start(&mint, 4, &identity, w).unwrap();
    let secrets = CoinSecrets::derive(&seed, &mint.public.id, 0, &start.a0, &start.b0).unwrap();
    let (pending, challenge) = PendingWithdrawal::prepare(&identity, &mint.public, &start, secrets).unwrap();
    let coin = pending.finish(&session.respond(&challenge).unwrap()).unwrap();
    let proof = coin.prove_ownership(&u1, CONTEXT).unwrap();
    let computed = [coin.coin.a_point.to_hex(), identity.to_hex(), proof.commitment.to_hex(), proof.response.to_hex()];
    if std::env::var("PRINT_VECTOR").is_ok() {
        println!("{computed:?}");
    }
    assert_eq!(computed, [A, IDENTITY, COMMITMENT, RESPONSE]);

    // From the frozen values alone.
    let frozen = OwnershipProof {
        commitment: PublicKey::from_hex(COMMITMENT).unwrap(),
        response: PublicScalar::from_hex(RESPONSE).unwrap(),
    };
    let (a, i) = (PublicKey::from_hex(A).unwrap(), PublicKey::from_hex(IDENTITY).unwrap());
    frozen.verify_vartime(&a, &i, CONTEXT).unwrap();
    assert!(frozen.verify_vartime(&a, &i, b"account-43").is_err());
}
