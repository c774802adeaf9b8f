//! Rejection tests: bad input gets a clear error, never a panic and never a wrong value. Run natively and
//! in headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use shared::keyset::{MintKeySet, fee_for_inputs};
use shared::nuts::{BlindedMessage, SwapRequest};
use shared::token::{Token, TokenV4};
use shared::{Amount, CurrencyUnit, Error, Id, Keys, Proof, PublicKey, Secret, SecretKey, dhke};

const GROUP_ORDER: &str = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
const G: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn points_off_the_curve_are_refused() {
    // x = 5 has no y on secp256k1 (5^3 + 7 = 132 is a non-residue mod p).
    let off_curve = format!("02{:064x}", 5);
    assert!(matches!(PublicKey::from_hex(&off_curve), Err(Error::InvalidPublicKey(_))));
    // x >= p is not a field element.
    let x_too_big = format!("02{}", "ff".repeat(32));
    assert!(PublicKey::from_hex(&x_too_big).is_err());
    // Wrong prefixes, lengths and encodings.
    assert!(PublicKey::from_hex(&format!("04{}", &G[2..])).is_err());
    assert!(PublicKey::from_hex(&format!("05{}", &G[2..])).is_err());
    assert!(PublicKey::from_hex(&G[..64]).is_err());
    assert!(PublicKey::from_hex(&format!("{G}00")).is_err());
    assert!(PublicKey::from_hex("not hex at all").is_err());
    assert!(PublicKey::from_hex("").is_err());
    // The uncompressed encoding of a valid point is refused too (NUT-01 requires compressed keys).
    let g = PublicKey::from_hex(G).unwrap();
    assert!(PublicKey::from_slice(&g.to_uncompressed_bytes()).is_err());
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn the_identity_point_is_refused() {
    // SEC1 encodes the identity as a single 0x00 byte; a 33-byte all-zero string is not a point either.
    assert!(PublicKey::from_slice(&[0x00]).is_err());
    assert!(PublicKey::from_slice(&[0u8; 33]).is_err());
    // Arithmetic that lands on the identity is refused: unblinding C' = rK with r gives C = O.
    let k = SecretKey::from_hex(&format!("{:064x}", 7)).unwrap();
    let r = SecretKey::from_hex(&format!("{:064x}", 3)).unwrap();
    let c_blinded = dhke::sign_message(&k, &r.public_key()).unwrap(); // = 21 G = r K
    assert_eq!(dhke::unblind_message(&c_blinded, &r, &k.public_key()), Err(Error::IdentityPoint));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn scalars_zero_or_at_least_q_are_refused() {
    assert!(SecretKey::from_hex(&"00".repeat(32)).is_err());
    assert!(SecretKey::from_hex(GROUP_ORDER).is_err());
    assert!(SecretKey::from_hex(&"ff".repeat(32)).is_err());
    assert!(SecretKey::from_hex(&"01".repeat(31)).is_err());
    assert!(SecretKey::from_hex(&"01".repeat(33)).is_err());
    // Also inside wire types: a DLEQ with s = q is a parse error, not a silently reduced value.
    let json = format!(
        r#"{{"amount":1,"id":"00882760bfa2eb41","C_":"{G}","dleq":{{"e":"{e}","s":"{GROUP_ORDER}"}}}}"#,
        e = "01".repeat(32)
    );
    assert!(serde_json::from_str::<shared::BlindSignature>(&json).is_err());
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn wrong_keyset_fails_verification() {
    let keyset_a = MintKeySet::derive(b"mint a", CurrencyUnit::Sat, 0, 8, 0, None).unwrap();
    let keyset_b = MintKeySet::derive(b"mint b", CurrencyUnit::Sat, 0, 8, 0, None).unwrap();
    let amount = Amount::from_u64(4);
    let secret = Secret::generate().unwrap();
    let (blinded, r) = dhke::blind_message(secret.as_bytes(), None).unwrap();
    let k_a = keyset_a.secret_key(amount).unwrap();
    let c_blinded = dhke::sign_message(k_a, &blinded).unwrap();
    let c = dhke::unblind_message(&c_blinded, &r, keyset_a.keys.amount_key(amount).unwrap()).unwrap();
    dhke::verify_message(k_a, &c, secret.as_bytes()).unwrap();
    // The other keyset, and another amount's key of the same keyset, do not verify it.
    assert_eq!(
        dhke::verify_message(keyset_b.secret_key(amount).unwrap(), &c, secret.as_bytes()),
        Err(Error::VerificationFailed)
    );
    let k_other_amount = keyset_a.secret_key(Amount::from_u64(8)).unwrap();
    assert_eq!(dhke::verify_message(k_other_amount, &c, secret.as_bytes()), Err(Error::VerificationFailed));
    // A DLEQ made by keyset A does not verify against keyset B's key.
    let dleq = shared::dleq::calculate_dleq(k_a, &blinded, &c_blinded).unwrap();
    let k_b_pub = keyset_b.keys.amount_key(amount).unwrap();
    assert_eq!(shared::dleq::verify_dleq(&dleq, k_b_pub, &blinded, &c_blinded), Err(Error::InvalidDleq));
    // A keyset does not have keys for amounts it does not sign.
    assert_eq!(keyset_a.keys.amount_key(Amount::from_u64(1 << 20)).unwrap_err(), Error::AmountNotInKeyset(1 << 20));
    // Keys whose amount is not a power of two are refused.
    assert!(serde_json::from_str::<Keys>(&format!(r#"{{"3":"{G}"}}"#)).is_err());
    // A keyset id that does not match its keys is caught.
    let mut forged = keyset_a.to_keyset(true);
    forged.keys = keyset_b.keys.clone();
    assert!(matches!(forged.verify_id(), Err(Error::KeysetIdMismatch { .. })));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn malformed_keyset_ids_are_refused() {
    for bad in
        ["", "00", "009a1f293253e41", "009a1f293253e41e00", "029a1f293253e41e", "zz9a1f293253e41e", "019a1f293253e41e"]
    {
        assert!(bad.parse::<Id>().is_err(), "{bad}");
    }
}

fn sample_token() -> Token {
    let keyset = MintKeySet::derive(b"token mint", CurrencyUnit::Sat, 0, 8, 0, None).unwrap();
    let proofs = (0..3)
        .map(|i| {
            let amount = Amount::from_u64(1 << i);
            let secret = Secret::generate().unwrap();
            let (blinded, r) = dhke::blind_message(secret.as_bytes(), None).unwrap();
            let k = keyset.secret_key(amount).unwrap();
            let c_blinded = dhke::sign_message(k, &blinded).unwrap();
            let c = dhke::unblind_message(&c_blinded, &r, &k.public_key()).unwrap();
            Proof { amount, keyset_id: keyset.id, secret, c, witness: None, dleq: None }
        })
        .collect();
    Token::new("https://mint.example", proofs, None, CurrencyUnit::Sat)
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn malformed_and_truncated_tokens_are_refused() {
    let encoded = sample_token().encode().unwrap();
    assert!(Token::decode(&encoded).is_ok());
    // Every truncation is an error, never a panic (dropping only base64 padding is harmless).
    for cut in 0..encoded.trim_end_matches('=').len() {
        let truncated = &encoded[..cut];
        assert!(Token::decode(truncated).is_err(), "truncated at {cut} decoded");
    }
    // Flipping a base64 character gives an error or a different token, never a panic.
    for position in 6..encoded.len() {
        let mut bytes = encoded.clone().into_bytes();
        bytes[position] = if bytes[position] == b'A' { b'B' } else { b'A' };
        let _ = Token::decode(std::str::from_utf8(&bytes).unwrap());
    }
    let cases = [
        ("", "not a Cashu token"),
        ("cashu", "unsupported token version"),
        ("cashuC1234", "unsupported token version"),
        ("cashuA", "empty"),
        ("cashuB", "empty"),
        ("cashuA!!!!", "bad base64"),
        ("cashuAbm90IGpzb24", "bad v3 JSON"),
        ("cashuBbm90IGNib3I", "bad v4 CBOR"),
        ("cashuAeyJ0b2tlbiI6W119", "no notes"), // {"token":[]}
    ];
    for (input, expected) in cases {
        let err = Token::decode(input).unwrap_err().to_string();
        assert!(err.contains(expected), "{input:?}: {err}");
    }
    // A URI prefix and whitespace are fine.
    assert!(Token::decode(&format!("  cashu:{encoded}\n")).is_ok());
    // Binary form without its prefix.
    assert!(TokenV4::from_raw_bytes(b"crawA").is_err());
    assert!(TokenV4::from_raw_bytes(b"").is_err());
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn tokens_with_invalid_fields_are_refused() {
    // v3 token whose C is not a point.
    let json = r#"{"token":[{"mint":"https://m","proofs":[{"amount":1,"id":"009a1f293253e41e","secret":"s","C":"020000000000000000000000000000000000000000000000000000000000000005"}]}]}"#;
    let token = format!("cashuA{}", base64_url(json.as_bytes()));
    assert!(Token::decode(&token).unwrap_err().to_string().contains("bad v3 JSON"));
    // v3 token whose amounts overflow u64 when summed.
    let json = format!(
        r#"{{"token":[{{"mint":"https://m","proofs":[{p},{p}]}}]}}"#,
        p = format!(r#"{{"amount":{},"id":"009a1f293253e41e","secret":"s","C":"{G}"}}"#, u64::MAX)
    );
    let token = format!("cashuA{}", base64_url(json.as_bytes()));
    assert_eq!(Token::decode(&token).unwrap_err(), Error::AmountOverflow);
    // An amount beyond u64 is a parse error.
    let json = format!(
        r#"{{"token":[{{"mint":"https://m","proofs":[{{"amount":18446744073709551616,"id":"009a1f293253e41e","secret":"s","C":"{G}"}}]}}]}}"#
    );
    let token = format!("cashuA{}", base64_url(json.as_bytes()));
    assert!(Token::decode(&token).is_err());
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn oversized_amounts_are_refused() {
    assert_eq!(Amount::MAX.checked_add(Amount::from_u64(1)), Err(Error::AmountOverflow));
    assert_eq!(Amount::try_sum([Amount::from_u64(1 << 63), Amount::from_u64(1 << 63)]), Err(Error::AmountOverflow));
    assert_eq!(fee_for_inputs([u64::MAX, 1000]), Err(Error::AmountOverflow));
    // In a request body: 2^64 does not parse as an amount.
    let json =
        format!(r#"{{"inputs":[],"outputs":[{{"amount":18446744073709551616,"id":"009a1f293253e41e","B_":"{G}"}}]}}"#);
    assert!(serde_json::from_str::<SwapRequest>(&json).is_err());
    // Negative amounts do not parse either.
    let json = format!(r#"{{"amount":-1,"id":"009a1f293253e41e","B_":"{G}"}}"#);
    assert!(serde_json::from_str::<BlindedMessage>(&json).is_err());
}
