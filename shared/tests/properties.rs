//! Property tests: round trips and invariants over random inputs (native only; proptest does not run in
//! the browser, the known-answer and rejection tests do).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use shared::token::Token;
use shared::{Amount, CurrencyUnit, Id, Keys, Proof, ProofDleq, PublicKey, Secret, SecretKey, dhke, dleq};

fn secret_key() -> impl Strategy<Value = SecretKey> {
    any::<[u8; 32]>().prop_filter_map("scalar out of range", |bytes| SecretKey::from_slice(&bytes).ok())
}

fn public_key() -> impl Strategy<Value = PublicKey> {
    secret_key().prop_map(|key| key.public_key())
}

fn keyset_id() -> impl Strategy<Value = Id> {
    prop_oneof![
        any::<[u8; 7]>().prop_map(|tail| {
            let mut id = [0u8; 8];
            id[1..].copy_from_slice(&tail);
            Id::V1(id)
        }),
        any::<[u8; 32]>().prop_map(|tail| {
            let mut id = [1u8; 33];
            id[1..].copy_from_slice(&tail);
            Id::V2(id)
        }),
    ]
}

fn proof() -> impl Strategy<Value = Proof> {
    (
        0u32..64,
        keyset_id(),
        // Secrets are arbitrary UTF-8 (spending conditions are JSON), not only hex.
        any::<String>(),
        public_key(),
        proptest::option::of((secret_key(), secret_key(), secret_key())),
        proptest::option::of("[a-z0-9{}\":,]{0,40}"),
    )
        .prop_map(|(order, keyset_id, secret, c, dleq, witness)| Proof {
            amount: Amount::from_u64(1u64 << order),
            keyset_id,
            secret: Secret::new(secret),
            c,
            witness,
            dleq: dleq.map(|(e, s, r)| ProofDleq { e, s, r }),
        })
}

fn unit() -> impl Strategy<Value = CurrencyUnit> {
    prop_oneof![
        Just(CurrencyUnit::Sat),
        Just(CurrencyUnit::Usd),
        "[a-z]{1,8}".prop_map(|u| u.parse().unwrap_or_default())
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn token_v4_round_trips(
        proofs in proptest::collection::vec(proof(), 1..8),
        memo in proptest::option::of(any::<String>()),
        unit in unit(),
        mint in "https?://[a-z0-9.-]{1,20}(:[0-9]{1,5})?(/[a-z]{0,8})?",
    ) {
        // Sum may overflow with 2^63 notes; keep the property to what a valid token is.
        prop_assume!(Amount::try_sum(proofs.iter().map(|p| p.amount)).is_ok());
        let token = Token::new(&mint, proofs.clone(), memo.clone(), unit.clone());
        let encoded = token.encode().unwrap();
        prop_assert!(encoded.starts_with("cashuB"));
        let decoded = Token::decode(&encoded).unwrap();
        prop_assert_eq!(&decoded, &token);
        // Proofs come back in keyset-grouped order; compare as multisets.
        let mut back = decoded.proofs(&[]).unwrap();
        let mut original = proofs;
        let key = |p: &Proof| (p.keyset_id, p.secret.as_str().to_owned(), p.c, p.amount);
        back.sort_by_key(key);
        original.sort_by_key(key);
        prop_assert_eq!(back, original);
        prop_assert_eq!(decoded.memo(), memo.as_deref());
        prop_assert_eq!(decoded.unit(), unit);
        // The padded and the unpadded form decode alike.
        prop_assert_eq!(Token::decode(encoded.trim_end_matches('=')).unwrap(), token);
    }

    #[test]
    fn token_v3_round_trips(proofs in proptest::collection::vec(proof(), 1..8), memo in proptest::option::of("[ -~]{0,30}")) {
        prop_assume!(Amount::try_sum(proofs.iter().map(|p| p.amount)).is_ok());
        let token = Token::V3(shared::token::TokenV3 {
            token: vec![shared::token::TokenV3Entry { mint: "https://mint.example".into(), proofs: proofs.clone() }],
            unit: Some(CurrencyUnit::Sat),
            memo,
        });
        let decoded = Token::decode(&token.encode().unwrap()).unwrap();
        prop_assert_eq!(&decoded, &token);
        prop_assert_eq!(decoded.proofs(&[]).unwrap(), proofs);
    }

    #[test]
    fn token_decoding_never_panics(text in any::<String>(), bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Token::decode(&text);
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE.encode(&bytes);
        let _ = Token::decode(&format!("cashuB{b64}"));
        let _ = Token::decode(&format!("cashuA{b64}"));
        let _ = shared::token::TokenV4::from_raw_bytes(&[b"crawB".as_slice(), &bytes].concat());
    }

    #[test]
    fn amount_split_sums_to_amount(value in any::<u64>()) {
        let parts = Amount::from_u64(value).split();
        prop_assert_eq!(Amount::try_sum(parts.iter().copied()).unwrap().to_u64(), value);
        prop_assert!(parts.iter().all(|p| p.is_power_of_two()));
        prop_assert!(parts.windows(2).all(|w| w[0] < w[1]), "strictly ascending");
        prop_assert_eq!(parts.len() as u32, value.count_ones());
    }

    #[test]
    fn amount_split_with_max_sums_to_amount(value in 0u64..1u64 << 40, max_order in 0u32..64) {
        let max = Amount::from_u64(1 << max_order);
        let Ok(parts) = Amount::from_u64(value).split_with_max(max) else {
            // Refused only when it would take too many parts.
            prop_assert!(value / max.to_u64() > Amount::MAX_SPLIT_PARTS);
            return Ok(());
        };
        prop_assert_eq!(Amount::try_sum(parts.iter().copied()).unwrap().to_u64(), value);
        prop_assert!(parts.iter().all(|p| p.is_power_of_two() && *p <= max));
    }

    #[test]
    fn amount_checked_add_matches_u128(a in any::<u64>(), b in any::<u64>()) {
        let wide = u128::from(a) + u128::from(b);
        match Amount::from_u64(a).checked_add(Amount::from_u64(b)) {
            Ok(sum) => prop_assert_eq!(u128::from(sum.to_u64()), wide),
            Err(_) => prop_assert!(wide > u128::from(u64::MAX)),
        }
    }

    #[test]
    fn blind_sign_unblind_verify(secret in proptest::collection::vec(any::<u8>(), 0..100), k in secret_key(), r in secret_key()) {
        let (blinded, r) = dhke::blind_message(&secret, Some(r)).unwrap();
        let c_blinded = dhke::sign_message(&k, &blinded).unwrap();
        let mint_pubkey = k.public_key();
        let c = dhke::unblind_message(&c_blinded, &r, &mint_pubkey).unwrap();
        prop_assert!(dhke::verify_message(&k, &c, &secret).is_ok());
        // The mint's DLEQ verifies for the wallet (on B', C') and for a payee (on the note with r).
        let proof = dleq::calculate_dleq(&k, &blinded, &c_blinded).unwrap();
        prop_assert!(dleq::verify_dleq(&proof, &mint_pubkey, &blinded, &c_blinded).is_ok());
        let carried = ProofDleq { e: proof.e.clone(), s: proof.s.clone(), r: r.clone() };
        prop_assert!(dleq::verify_proof_dleq(&carried, &mint_pubkey, &secret, &c).is_ok());
        // A different secret does not verify.
        let mut other = secret.clone();
        other.push(0);
        prop_assert!(dhke::verify_message(&k, &c, &other).is_err());
    }

    #[test]
    fn keys_and_ids_round_trip(keys in proptest::collection::btree_map(0u32..64, public_key(), 1..10), id in keyset_id()) {
        let keys = Keys::new(keys.into_iter().map(|(order, key)| (Amount::from_u64(1 << order), key)).collect()).unwrap();
        let json = serde_json::to_string(&keys).unwrap();
        prop_assert_eq!(serde_json::from_str::<Keys>(&json).unwrap(), keys);
        prop_assert_eq!(id.to_string().parse::<Id>().unwrap(), id);
    }

    #[test]
    fn point_and_scalar_encodings_round_trip(k in secret_key()) {
        prop_assert_eq!(SecretKey::from_hex(&k.to_hex()).unwrap(), k.clone());
        let p = k.public_key();
        prop_assert_eq!(PublicKey::from_hex(&p.to_hex()).unwrap(), p);
        prop_assert_eq!(PublicKey::from_slice(&p.to_bytes()).unwrap(), p);
    }
}
