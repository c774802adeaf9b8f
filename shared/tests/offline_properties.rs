//! Property tests of the offline coins (`shared::offline`): honest flows always verify, every double spend
//! names its payer, and everything tampered, misdirected, replayed or late is refused (native only).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use shared::offline::{
    BlindedChallenge, CoinSecrets, DepositTranscript, DoubleSpendEvidence, IdentitySecret, MintSession, OfflineError,
    OfflineMintKeyset, Payment, PaymentRequest, PendingWithdrawal, PublicScalar, WalletCoin, extract_identity_vartime,
};
use shared::{CurrencyUnit, SecretKey};

const FROM: u64 = 1_000_000;
const UNTIL: u64 = 2_000_000;
const DEADLINE: u64 = 3_000_000;

fn mint_keyset(index: u32) -> OfflineMintKeyset {
    OfflineMintKeyset::derive(b"property master", index, 8, CurrencyUnit::Sat, FROM, UNTIL, DEADLINE).unwrap()
}

fn user(seed: u8) -> IdentitySecret {
    IdentitySecret::from_seed(&[seed; 64]).unwrap()
}

fn key(byte: u8) -> SecretKey {
    let mut bytes = [0x11u8; 32];
    bytes[31] = byte;
    SecretKey::from_slice(&bytes).unwrap()
}

/// The three moves, with the mint's registration check first.
fn withdraw(mint: &OfflineMintKeyset, u1: &IdentitySecret, amount: u64, seed: u8, counter: u32) -> WalletCoin {
    let registration = u1.prove_registration(b"account").unwrap();
    registration.verify_vartime(b"account").unwrap();
    let identity = registration.identity;
    let (session, start) = MintSession::start(mint, amount, &identity, SecretKey::random().unwrap()).unwrap();
    let secrets = CoinSecrets::derive(&[seed; 64], &mint.public.id, counter, &start.a0, &start.b0).unwrap();
    let (pending, challenge) = PendingWithdrawal::prepare(&identity, &mint.public, &start, secrets).unwrap();
    let response = session.respond(&challenge).unwrap();
    pending.finish(&response).unwrap()
}

fn pay_one(
    u1: &IdentitySecret,
    coin: &WalletCoin,
    payee: &SecretKey,
    nonce: [u8; 32],
    time: u64,
) -> (PaymentRequest, Payment, DepositTranscript) {
    let request = PaymentRequest {
        payee: payee.public_key(),
        nonce: shared::offline::HexBytes(nonce),
        time,
        amount: coin.coin.amount,
    };
    let payment = Payment::pay(u1, std::slice::from_ref(coin), &request).unwrap();
    let transcript = DepositTranscript::sign(&payment.coins[0], &request, payee).unwrap();
    (request, payment, transcript)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn honest_flows_always_verify(
        seed in any::<u8>(),
        exponents in proptest::collection::btree_set(0u32..8, 1..4),
        nonce in any::<[u8; 32]>(),
        time in FROM..=UNTIL,
        deposit_at in FROM..=DEADLINE,
        payee_byte in 1u8..200,
    ) {
        let mint = mint_keyset(0);
        let u1 = user(seed);
        let coins: Vec<WalletCoin> = exponents.iter().enumerate()
            .map(|(i, j)| withdraw(&mint, &u1, 1 << j, seed, i as u32)).collect();
        for coin in &coins {
            coin.coin.verify_vartime(&mint.public).unwrap();
        }
        let amount = coins.iter().map(|c| c.coin.amount).sum();
        let payee = key(payee_byte);
        let request = PaymentRequest { payee: payee.public_key(), nonce: shared::offline::HexBytes(nonce), time, amount };
        let payment = Payment::pay(&u1, &coins, &request).unwrap();
        payment.verify_vartime(&request, std::slice::from_ref(&mint.public)).unwrap();
        // The payment survives its JSON form.
        let decoded: Payment = serde_json::from_str(&serde_json::to_string(&payment).unwrap()).unwrap();
        decoded.verify_vartime(&request, std::slice::from_ref(&mint.public)).unwrap();
        for spent in &payment.coins {
            let transcript = DepositTranscript::sign(spent, &request, &payee).unwrap();
            transcript.verify_deposit_vartime(&mint.public, deposit_at).unwrap();
        }
    }

    #[test]
    fn every_double_spend_names_its_payer(
        seed in any::<u8>(),
        j in 0u32..8,
        nonces in any::<([u8; 32], [u8; 32])>(),
        times in (FROM..=UNTIL, FROM..=UNTIL),
        payees in (1u8..100, 100u8..200),
        same_payee in any::<bool>(),
    ) {
        prop_assume!(nonces.0 != nonces.1 || times.0 != times.1);
        let mint = mint_keyset(0);
        let u1 = user(seed);
        let coin = withdraw(&mint, &u1, 1 << j, seed, 0);
        let second_payee = if same_payee { key(payees.0) } else { key(payees.1) };
        let (_, _, first) = pay_one(&u1, &coin, &key(payees.0), nonces.0, times.0);
        let (_, _, second) = pay_one(&u1, &coin, &second_payee, nonces.1, times.1);
        let identity = u1.identity().unwrap();
        prop_assert_eq!(extract_identity_vartime(&first, &second).unwrap(), identity);
        let (evidence, named) = DoubleSpendEvidence::new(mint.public.clone(), first, second).unwrap();
        prop_assert_eq!(named, identity);
        let decoded: DoubleSpendEvidence = serde_json::from_str(&serde_json::to_string(&evidence).unwrap()).unwrap();
        prop_assert_eq!(decoded.verify_vartime().unwrap(), identity);
    }

    #[test]
    fn a_single_spend_reveals_nothing(seed in any::<u8>(), nonce in any::<[u8; 32]>()) {
        let mint = mint_keyset(0);
        let u1 = user(seed);
        let coin = withdraw(&mint, &u1, 4, seed, 0);
        let (_, _, transcript) = pay_one(&u1, &coin, &key(1), nonce, FROM);
        // Extraction on one transcript (given twice) fails: equal challenges.
        prop_assert_eq!(
            extract_identity_vartime(&transcript, &transcript).unwrap_err(),
            OfflineError::NotADoubleSpend("the challenges are equal")
        );
        let evidence = DoubleSpendEvidence { keyset: mint.public.clone(), first: transcript.clone(), second: transcript };
        prop_assert!(evidence.verify_vartime().is_err());
    }

    #[test]
    fn tampered_transcripts_are_refused(seed in any::<u8>(), nonce in any::<[u8; 32]>(), field in 0usize..6) {
        let mint = mint_keyset(0);
        let u1 = user(seed);
        let coin = withdraw(&mint, &u1, 2, seed, 0);
        let (_, _, transcript) = pay_one(&u1, &coin, &key(1), nonce, FROM + 10);
        let mut tampered = transcript.clone();
        let one = PublicScalar::new(k256_one()).unwrap();
        match field {
            0 => tampered.r1 = one,
            1 => tampered.r2 = one,
            2 => tampered.nonce.0[0] ^= 1,
            3 => tampered.time += 1,
            4 => tampered.coin.r = one,
            _ => tampered.signature.0[10] ^= 1,
        }
        prop_assert!(tampered.verify_deposit_vartime(&mint.public, FROM + 20).is_err());
        // A tampered transcript cannot serve as evidence either.
        let (_, _, other) = pay_one(&u1, &coin, &key(2), [7u8; 32], FROM + 11);
        let evidence = DoubleSpendEvidence { keyset: mint.public.clone(), first: other, second: tampered };
        prop_assert!(evidence.verify_vartime().is_err());
    }

    #[test]
    fn wrong_payee_key_is_refused(seed in any::<u8>(), nonce in any::<[u8; 32]>()) {
        let mint = mint_keyset(0);
        let u1 = user(seed);
        let coin = withdraw(&mint, &u1, 1, seed, 0);
        let (request, payment, _) = pay_one(&u1, &coin, &key(1), nonce, FROM);
        // Signed by another key than P: refused at signing and at verification.
        prop_assert!(DepositTranscript::sign(&payment.coins[0], &request, &key(2)).is_err());
        let mut transcript = DepositTranscript::sign(&payment.coins[0], &request, &key(1)).unwrap();
        let other = DepositTranscript::sign(&payment.coins[0], &PaymentRequest { payee: key(2).public_key(), ..request.clone() }, &key(2)).unwrap();
        transcript.signature = other.signature;
        prop_assert_eq!(transcript.verify_vartime(&mint.public).unwrap_err(), OfflineError::InvalidSignature);
        // The payment presented to a request of another payee does not answer its challenge.
        let diverted = PaymentRequest { payee: key(3).public_key(), ..request };
        prop_assert_eq!(payment.verify_vartime(&diverted, std::slice::from_ref(&mint.public)).unwrap_err(), OfflineError::InvalidPaymentResponse);
    }

    #[test]
    fn reused_nonce_gives_no_extraction(seed in any::<u8>(), nonce in any::<[u8; 32]>()) {
        let mint = mint_keyset(0);
        let u1 = user(seed);
        let coin = withdraw(&mint, &u1, 8, seed, 0);
        // The same request answered twice is the same answer (a replay, not a double spend).
        let (_, _, first) = pay_one(&u1, &coin, &key(1), nonce, FROM);
        let (_, _, second) = pay_one(&u1, &coin, &key(1), nonce, FROM);
        prop_assert_eq!(&first, &second);
        prop_assert!(extract_identity_vartime(&first, &second).is_err());
        let evidence = DoubleSpendEvidence { keyset: mint.public.clone(), first, second };
        prop_assert_eq!(evidence.verify_vartime().unwrap_err(), OfflineError::NotADoubleSpend("the challenges are equal"));
    }

    #[test]
    fn coin_of_another_keyset_is_refused(seed in any::<u8>(), nonce in any::<[u8; 32]>()) {
        let mint = mint_keyset(0);
        let other = mint_keyset(1);
        let u1 = user(seed);
        let coin = withdraw(&mint, &u1, 4, seed, 0);
        prop_assert_eq!(coin.coin.verify_vartime(&other.public).unwrap_err(), OfflineError::WrongKeyset);
        // Relabelled as the other keyset's coin, the signature fails.
        let mut relabelled = coin.coin.clone();
        relabelled.keyset_id = other.public.id;
        prop_assert_eq!(relabelled.verify_vartime(&other.public).unwrap_err(), OfflineError::InvalidCoin);
        let (request, payment, _) = pay_one(&u1, &coin, &key(1), nonce, FROM);
        prop_assert_eq!(payment.verify_vartime(&request, std::slice::from_ref(&other.public)).unwrap_err(), OfflineError::UnknownKeyset);
    }

    #[test]
    fn coin_after_expiry_is_refused(seed in any::<u8>(), late in 1u64..1_000_000) {
        let mint = mint_keyset(0);
        let u1 = user(seed);
        let coin = withdraw(&mint, &u1, 4, seed, 0);
        // A payment dated after the validity period is refused by the payee.
        let (request, payment, transcript) = pay_one(&u1, &coin, &key(1), [1u8; 32], UNTIL + late);
        prop_assert_eq!(payment.verify_vartime(&request, std::slice::from_ref(&mint.public)).unwrap_err(), OfflineError::OutsideValidity { time: UNTIL + late });
        // A deposit after the deadline is refused by the mint, even for a payment made in time.
        let (_, _, in_time) = pay_one(&u1, &coin, &key(1), [2u8; 32], UNTIL);
        prop_assert_eq!(in_time.verify_deposit_vartime(&mint.public, DEADLINE + late).unwrap_err(), OfflineError::DepositDeadlinePassed);
        prop_assert!(transcript.verify_deposit_vartime(&mint.public, DEADLINE).is_err());
    }

    #[test]
    fn response_to_another_challenge_is_refused(seed in any::<u8>(), nonces in any::<([u8; 32], [u8; 32])>()) {
        prop_assume!(nonces.0 != nonces.1);
        let mint = mint_keyset(0);
        let u1 = user(seed);
        let coin = withdraw(&mint, &u1, 4, seed, 0);
        let (_, payment, _) = pay_one(&u1, &coin, &key(1), nonces.0, FROM);
        let (request2, _, _) = pay_one(&u1, &coin, &key(1), nonces.1, FROM);
        prop_assert_eq!(payment.verify_vartime(&request2, std::slice::from_ref(&mint.public)).unwrap_err(), OfflineError::InvalidPaymentResponse);
        // And in withdrawal: the mint's answer to another c0 is refused by the user.
        let identity = u1.identity().unwrap();
        let (session, start) = MintSession::start(&mint, 2, &identity, SecretKey::random().unwrap()).unwrap();
        let (pending, challenge) = PendingWithdrawal::prepare(&identity, &mint.public, &start, CoinSecrets::random().unwrap()).unwrap();
        let shifted = BlindedChallenge { c0: PublicScalar::new(*challenge.c0.as_scalar() + k256_one()).unwrap() };
        prop_assert_eq!(pending.finish(&session.respond(&shifted).unwrap()).unwrap_err(), OfflineError::InvalidMintResponse);
    }
}

proptest! {
    #![proptest_config(config(6))]

    /// Many users, some of whom spend a coin twice: exactly the cheaters are named, no honest user ever.
    #[test]
    fn randomized_run_accuses_no_honest_user(cheaters in proptest::collection::btree_set(0u8..12, 0..5), nonce_seed in any::<u64>()) {
        let mint = mint_keyset(0);
        let users: Vec<IdentitySecret> = (0u8..12).map(|i| user(i.wrapping_mul(17).wrapping_add(3))).collect();
        // The mint's spent table: A -> first transcript.
        let mut spent: std::collections::BTreeMap<[u8; 33], DepositTranscript> = Default::default();
        let mut accused = std::collections::BTreeSet::new();
        let mut nonce = nonce_seed;
        let mut next_nonce = || { nonce = nonce.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); let mut n = [0u8; 32]; n[..8].copy_from_slice(&nonce.to_be_bytes()); n };
        for (i, u1) in users.iter().enumerate() {
            let coin = withdraw(&mint, u1, 2, i as u8, 0);
            let spends = if cheaters.contains(&(i as u8)) { 2 } else { 1 };
            for k in 0..spends {
                let (_, _, transcript) = pay_one(u1, &coin, &key(1 + k), next_nonce(), FROM + i as u64);
                transcript.verify_deposit_vartime(&mint.public, FROM + 100).unwrap();
                let serial = transcript.coin.a_point.to_bytes();
                match spent.get(&serial) {
                    None => { spent.insert(serial, transcript); }
                    Some(first) => {
                        let evidence = DoubleSpendEvidence { keyset: mint.public.clone(), first: first.clone(), second: transcript };
                        accused.insert(evidence.verify_vartime().unwrap().to_bytes());
                    }
                }
            }
        }
        let expected: std::collections::BTreeSet<[u8; 33]> = users.iter().enumerate()
            .filter(|(i, _)| cheaters.contains(&(*i as u8)))
            .map(|(_, u)| u.identity().unwrap().to_bytes()).collect();
        prop_assert_eq!(accused, expected);
    }
}

fn k256_one() -> k256::Scalar {
    k256::Scalar::ONE
}

/// Wire decoding refuses the identity, points off the curve, and scalars 0 or >= q in every field.
#[test]
fn coin_decoding_rejects_bad_points_and_scalars() {
    let mint = mint_keyset(0);
    let coin = withdraw(&mint, &user(1), 4, 1, 0);
    let good = serde_json::to_value(&coin.coin).unwrap();
    assert_eq!(serde_json::from_value::<shared::offline::Coin>(good.clone()).unwrap(), coin.coin);
    let identity = format!("00{}", "00".repeat(32));
    let off_curve = format!("02{}", "00".repeat(31) + "05");
    let uncompressed = format!("04{}", "11".repeat(64));
    for field in ["A", "B", "z", "a", "b"] {
        for bad in [&identity, &off_curve, &uncompressed] {
            let mut value = good.clone();
            value[field] = serde_json::Value::String(bad.clone());
            assert!(serde_json::from_value::<shared::offline::Coin>(value).is_err(), "{field} = {bad}");
        }
    }
    let q = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
    for bad in ["00".repeat(32), q.to_string(), "ff".repeat(32), "01".to_string()] {
        let mut value = good.clone();
        value["r"] = serde_json::Value::String(bad.clone());
        assert!(serde_json::from_value::<shared::offline::Coin>(value).is_err(), "r = {bad}");
    }
    let mut value = good.clone();
    value["amount"] = serde_json::json!(3);
    let odd: shared::offline::Coin = serde_json::from_value(value).unwrap();
    assert_eq!(odd.verify_vartime(&mint.public).unwrap_err(), OfflineError::NotPowerOfTwo(3));
}
