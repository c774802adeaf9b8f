//! Frozen known-answer vectors of the offline coins: `tests/vectors/offline-v1.json`, produced by this code
//! from fixed inputs. The test recomputes every value and compares; it also verifies what the file holds
//! with the public verifiers only (as an implementer of `docs/offline-coins.md` would). After an intended
//! change of the protocol (a new tag version), rewrite the file with
//! `REGENERATE_VECTORS=1 cargo test -p cash-shared --test offline_vectors`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use serde_json::{Value, json};
use shared::offline::generators::{G1_MESSAGE, G2_MESSAGE, GENERATOR_DST};
use shared::offline::hash::{TAG_REG, hash_to_scalar};
use shared::offline::withdrawal::derive_session_nonce;
use shared::offline::{
    CoinSecrets, DepositOutcome, DepositReceipt, DepositTranscript, DoubleSpendEvidence, HexBytes, IdentitySecret,
    MintSession, OfflineKeyset, OfflineMintKeyset, Payment, PaymentRequest, PendingWithdrawal, PublicScalar,
    Registration, generators,
};
use shared::{CurrencyUnit, PublicKey, SecretKey};

const FILE: &str = include_str!("vectors/offline-v1.json");

fn scalar_hex(scalar: k256::Scalar) -> String {
    PublicScalar::new(scalar).unwrap().to_hex()
}

fn bytes32(first: u8) -> [u8; 32] {
    core::array::from_fn(|i| first.wrapping_add(i as u8))
}

/// Every value, from the fixed inputs below.
fn compute() -> Value {
    let gens = generators().unwrap();
    let wallet_seed: [u8; 64] = core::array::from_fn(|i| i as u8);
    let mint_master = b"offline-v1 test vector mint master";
    let session_secret = b"offline-v1 test vector session secret";
    let (valid_from, valid_until, deposit_deadline) = (1_767_225_600u64, 1_769_904_000u64, 1_772_323_200u64);
    let mint =
        OfflineMintKeyset::derive(mint_master, 0, 4, CurrencyUnit::Sat, valid_from, valid_until, deposit_deadline)
            .unwrap();
    let keyset = mint.public.clone();

    // Registration.
    let context = b"account-42";
    let u1 = IdentitySecret::from_seed(&wallet_seed).unwrap();
    let registration = u1.prove_registration(context).unwrap();
    registration.verify_vartime(context).unwrap();
    let c = hash_to_scalar(TAG_REG, &[&registration.identity.to_bytes(), &registration.commitment.to_bytes(), context])
        .unwrap();

    // Withdrawal of an 8-sat coin, counter 0.
    let amount = 8;
    let w = derive_session_nonce(session_secret, b"session-1").unwrap();
    let w_hex = w.to_hex();
    let (session, start) = MintSession::start(&mint, amount, &registration.identity, w).unwrap();
    let secrets = CoinSecrets::derive(&wallet_seed, &keyset.id, 0, &start.a0, &start.b0).unwrap();
    let secrets_json: Vec<String> = secrets.expose_secrets().iter().map(|k| k.to_hex()).collect();
    let (pending, challenge) = PendingWithdrawal::prepare(&registration.identity, &keyset, &start, secrets).unwrap();
    let response = session.respond(&challenge).unwrap();
    let wallet_coin = pending.finish(&response).unwrap();
    let coin = wallet_coin.coin.clone();

    // Payment to payee 1, deposit.
    let payee1 = SecretKey::from_slice(&bytes32(0xa0)).unwrap();
    let request1 =
        PaymentRequest { payee: payee1.public_key(), nonce: HexBytes(bytes32(0x10)), time: valid_from + 3_600, amount };
    let payment1 = Payment::pay(&u1, std::slice::from_ref(&wallet_coin), &request1).unwrap();
    let transcript1 = DepositTranscript::sign(&payment1.coins[0], &request1, &payee1).unwrap();

    // The same coin spent again to payee 2: the double spend.
    let payee2 = SecretKey::from_slice(&bytes32(0xb0)).unwrap();
    let request2 =
        PaymentRequest { payee: payee2.public_key(), nonce: HexBytes(bytes32(0x20)), time: valid_from + 7_200, amount };
    let payment2 = Payment::pay(&u1, std::slice::from_ref(&wallet_coin), &request2).unwrap();
    let transcript2 = DepositTranscript::sign(&payment2.coins[0], &request2, &payee2).unwrap();
    let (evidence, identity) =
        DoubleSpendEvidence::new(keyset.clone(), transcript1.clone(), transcript2.clone()).unwrap();

    // Receipts by the mint's receipt key.
    let receipt_key = SecretKey::from_slice(&bytes32(0xc0)).unwrap();
    let receipt1 =
        DepositReceipt::sign(&receipt_key, &transcript1, DepositOutcome::Paid, 8, 0, valid_from + 86_400).unwrap();
    let receipt2 =
        DepositReceipt::sign(&receipt_key, &transcript2, DepositOutcome::DoubleSpend, 8, 8, valid_from + 90_000)
            .unwrap();

    json!({
        "description": "Offline coins v1 (docs/offline-coins.md). Produced by shared/tests/offline_vectors.rs; every value is recomputed by that test.",
        "generators": {
            "suite": "secp256k1_XMD:SHA-256_SSWU_RO_",
            "dst": String::from_utf8(GENERATOR_DST.to_vec()).unwrap(),
            "g1_message": String::from_utf8(G1_MESSAGE.to_vec()).unwrap(),
            "g1": gens.g1_public().unwrap(),
            "g2_message": String::from_utf8(G2_MESSAGE.to_vec()).unwrap(),
            "g2": gens.g2_public().unwrap(),
        },
        "inputs": {
            "wallet_seed": hex::encode(wallet_seed),
            "mint_master": hex::encode(mint_master),
            "keyset_index": 0,
            "denominations": 4,
            "session_secret": hex::encode(session_secret),
            "session_id": hex::encode(b"session-1"),
            "coin_counter": 0,
            "payee_secret_1": payee1.to_hex(),
            "payee_secret_2": payee2.to_hex(),
            "receipt_secret": receipt_key.to_hex(),
        },
        "mint_keys": mint.public.keys.keys().map(|a| json!({"amount": a, "x": mint.secret(*a).unwrap().to_hex()})).collect::<Vec<_>>(),
        "keyset": keyset,
        "registration": {
            "context": hex::encode(context),
            "u1": u1.expose_secret().to_hex(),
            "c": scalar_hex(c),
            "message": registration,
        },
        "withdrawal": {
            "w": w_hex,
            "start": start,
            "secrets": {"s": secrets_json[0], "u": secrets_json[1], "v": secrets_json[2], "x1": secrets_json[3], "x2": secrets_json[4]},
            "c_prime": scalar_hex(coin.challenge().unwrap()),
            "challenge": challenge,
            "response": response,
        },
        "coin": coin,
        "coin_hash": hex::encode(coin.hash().unwrap()),
        "payment": {
            "request": request1,
            "d": scalar_hex(request1.challenge(&coin).unwrap()),
            "payment": payment1,
        },
        "deposit": {
            "message": hex::encode(transcript1.message().unwrap()),
            "transcript": transcript1,
        },
        "double_spend": {
            "request": request2,
            "d": scalar_hex(request2.challenge(&coin).unwrap()),
            "transcript": transcript2,
            "evidence": evidence,
            // What the extraction recovers from the two transcripts: the coin's s and the payer's u1.
            "extracted": {"s": secrets_json[0], "u1": u1.expose_secret().to_hex()},
            "identity": identity,
        },
        "receipts": {
            "receipt_key": receipt_key.public_key(),
            "paid": {"message": hex::encode(receipt1.message()), "receipt": receipt1},
            "double_spend": {"message": hex::encode(receipt2.message()), "receipt": receipt2},
        },
    })
}

/// The first path where two JSON values differ.
fn first_difference(path: &str, expected: &Value, actual: &Value) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for key in e.keys().chain(a.keys()) {
                let (ev, av) = (e.get(key).unwrap_or(&Value::Null), a.get(key).unwrap_or(&Value::Null));
                if let Some(d) = first_difference(&format!("{path}.{key}"), ev, av) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            e.iter().zip(a).enumerate().find_map(|(i, (ev, av))| first_difference(&format!("{path}[{i}]"), ev, av))
        }
        _ if expected == actual => None,
        _ => Some(format!("{path}: file has {expected}, code computes {actual}")),
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn offline_v1_vectors_recompute() {
    let computed = compute();
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var_os("REGENERATE_VECTORS").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/offline-v1.json");
        std::fs::write(path, serde_json::to_string_pretty(&computed).unwrap() + "\n").unwrap();
        return;
    }
    let file: Value = serde_json::from_str(FILE).unwrap();
    if let Some(difference) = first_difference("$", &file, &computed) {
        panic!("offline-v1.json differs from the code: {difference}");
    }
}

/// What the file holds verifies with the public verifiers alone.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn offline_v1_vectors_verify_from_the_file() {
    let file: Value = serde_json::from_str(FILE).unwrap();
    let keyset: OfflineKeyset = serde_json::from_value(file["keyset"].clone()).unwrap();
    keyset.verify_id_vartime().unwrap();
    let context = hex::decode(file["registration"]["context"].as_str().unwrap()).unwrap();
    let registration: Registration = serde_json::from_value(file["registration"]["message"].clone()).unwrap();
    registration.verify_vartime(&context).unwrap();
    assert!(registration.verify_vartime(b"another account").is_err());
    let coin: shared::offline::Coin = serde_json::from_value(file["coin"].clone()).unwrap();
    coin.verify_vartime(&keyset).unwrap();
    let request: PaymentRequest = serde_json::from_value(file["payment"]["request"].clone()).unwrap();
    let payment: Payment = serde_json::from_value(file["payment"]["payment"].clone()).unwrap();
    payment.verify_vartime(&request, std::slice::from_ref(&keyset)).unwrap();
    let transcript: DepositTranscript = serde_json::from_value(file["deposit"]["transcript"].clone()).unwrap();
    transcript.verify_deposit_vartime(&keyset, keyset.deposit_deadline).unwrap();
    let evidence: DoubleSpendEvidence = serde_json::from_value(file["double_spend"]["evidence"].clone()).unwrap();
    let identity: PublicKey = serde_json::from_value(file["double_spend"]["identity"].clone()).unwrap();
    assert_eq!(evidence.verify_vartime().unwrap(), identity);
    assert_eq!(identity, registration.identity);
    let receipt_key: PublicKey = serde_json::from_value(file["receipts"]["receipt_key"].clone()).unwrap();
    for which in ["paid", "double_spend"] {
        let receipt: DepositReceipt = serde_json::from_value(file["receipts"][which]["receipt"].clone()).unwrap();
        receipt.verify_vartime(&receipt_key).unwrap();
    }
}

/// The specification names what the code uses: every tag, the generators' DST, messages and values. A new tag
/// version or generator in the code fails here until `docs/offline-coins.md` says so.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn specification_names_every_tag_and_generator() {
    use shared::offline::hash::*;
    let spec = include_str!("../../docs/offline-coins.md");
    let gens = generators().unwrap();
    let texts = [
        TAG_REG.to_owned(),
        TAG_SIG.to_owned(),
        TAG_PAY.to_owned(),
        TAG_DEPOSIT.to_owned(),
        TAG_RECEIPT.to_owned(),
        TAG_COIN.to_owned(),
        TAG_KEYSET.to_owned(),
        TAG_DERIVE_IDENTITY.to_owned(),
        TAG_DERIVE_COIN.to_owned(),
        TAG_DERIVE_REG_NONCE.to_owned(),
        TAG_DERIVE_SESSION.to_owned(),
        TAG_DERIVE_MINT_KEY.to_owned(),
        String::from_utf8(GENERATOR_DST.to_vec()).unwrap(),
        String::from_utf8(G1_MESSAGE.to_vec()).unwrap(),
        String::from_utf8(G2_MESSAGE.to_vec()).unwrap(),
        gens.g1_public().unwrap().to_hex(),
        gens.g2_public().unwrap().to_hex(),
    ];
    for text in texts {
        let named = spec.contains(&format!("`{text}`")) || spec.contains(&format!("\"{text}\""));
        assert!(named, "docs/offline-coins.md does not name `{text}`");
    }
}
