//! The seeds of the `offline_requests` fuzz target (`fuzz/fuzz_targets/offline_requests.rs`): its committed
//! corpus, `fuzz/corpus/offline_requests/`, holds for every offline endpoint (register, bond, session,
//! withdraw, deposit, refund, a batch of deposits) at least one input whose first byte picks that endpoint and whose rest is a
//! body the mint accepts as well-formed (every field present, signatures and proofs that verify), so the
//! fuzzer starts from real requests rather than from bodies refused at the first field. The seeds are built
//! here with `shared` alone; after a change of a request's shape rewrite them with
//! `REGENERATE_FUZZ_SEEDS=1 cargo test -p cash-shared --test offline_fuzz_seeds`.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::offline::api::{
    BondRequest, DepositBatchRequest, DepositRequest, RefundRequest, RegisterRequest, SessionRequest, WithdrawRequest,
    deposit_parts,
};
use shared::offline::auth::{self, op};
use shared::offline::withdrawal::derive_session_nonce;
use shared::offline::{
    CoinSecrets, DepositTranscript, IdentitySecret, MintSession, OfflineMintKeyset, PaymentRequest, PendingWithdrawal,
};
use shared::{Amount, BlindedMessage, CurrencyUnit, SecretKey};

/// The endpoints in the order of the target's first byte (`which % 7`).
const ENDPOINTS: [&str; 7] = ["register", "bond", "session", "withdraw", "deposit", "refund", "deposits"];

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/offline_requests")
}

/// One body per endpoint (two for deposits: credited to an account, paid as outputs), as the target reads
/// them: the endpoint's index, then the JSON.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let account = "3f2a9c1e5b7d4f608192a3b4c5d6e7f8";
    let key = SecretKey::random().unwrap();
    let mint = OfflineMintKeyset::derive(b"fuzz seed mint", 10, 8, CurrencyUnit::Sat, 10_000, 11_000, 11_500).unwrap();
    let keyset = &mint.public;
    let u1 = IdentitySecret::random().unwrap();
    let identity = u1.identity().unwrap();

    let registration = u1.prove_registration(account.as_bytes()).unwrap();
    let signature = auth::sign(&key, op::REGISTER, &[account.as_bytes(), &identity.to_bytes()]).unwrap();
    let register = RegisterRequest { account: account.into(), registration, signature };

    let (bond, limit) = (100u64, 64u64);
    let signature =
        auth::sign(&key, op::BOND, &[account.as_bytes(), &bond.to_be_bytes(), &limit.to_be_bytes()]).unwrap();
    let bond = BondRequest { account: account.into(), bond, limit, signature };

    let amount = 8;
    let session = SessionRequest::sign(&key, account, keyset.id, amount, [7; 32]).unwrap();

    let session_id = "9d0c3b2a19f8e7d6c5b4a39281706f5e";
    let w = derive_session_nonce(b"fuzz seed sessions", session_id.as_bytes()).unwrap();
    let (mint_session, start) = MintSession::start(&mint, amount, &identity, w).unwrap();
    let (pending, challenge) =
        PendingWithdrawal::prepare(&identity, keyset, &start, CoinSecrets::random().unwrap()).unwrap();
    let parts: [&[u8]; 3] = [account.as_bytes(), session_id.as_bytes(), &challenge.c0.to_bytes()];
    let signature = auth::sign(&key, op::WITHDRAW, &parts).unwrap();
    let withdraw = WithdrawRequest { account: account.into(), session: session_id.into(), challenge, signature };
    let coin = pending.finish(&mint_session.respond(&withdraw.challenge).unwrap()).unwrap();

    let payee = SecretKey::random().unwrap();
    let request = PaymentRequest::new(payee.public_key(), 10_500, amount).unwrap();
    let transcript = DepositTranscript::sign(&coin.respond(&u1, &request).unwrap(), &request, &payee).unwrap();
    let message = transcript.message().unwrap();
    let parts = deposit_parts(Some(account), &message, None);
    let signature = auth::sign(&payee, op::DEPOSIT, &[&parts[0], &parts[1], &parts[2]]).unwrap();
    let credited =
        DepositRequest { transcript: transcript.clone(), account: Some(account.into()), outputs: None, signature };
    let cashu = shared::keyset::MintKeySet::derive(b"fuzz seed cashu", CurrencyUnit::Sat, 0, 8, 0, None).unwrap();
    let outputs: Vec<BlindedMessage> = [4u64, 2, 2]
        .iter()
        .enumerate()
        .map(|(index, &value)| BlindedMessage {
            amount: Amount::from_u64(value),
            keyset_id: cashu.id,
            blinded_secret: shared::dhke::blind_message(format!("seed secret {index}").as_bytes(), None).unwrap().0,
            witness: None,
        })
        .collect();
    let parts = deposit_parts(None, &message, Some(&outputs));
    let signature = auth::sign(&payee, op::DEPOSIT, &[&parts[0], &parts[1], &parts[2]]).unwrap();
    let anonymous = DepositRequest { transcript, account: None, outputs: Some(outputs), signature };
    let batch = DepositBatchRequest { deposits: vec![credited.clone(), anonymous.clone()] };

    let proof = coin.prove_ownership(&u1, account.as_bytes()).unwrap();
    let hash = coin.coin.hash().unwrap();
    let signature = auth::sign(&key, op::REFUND, &[account.as_bytes(), &hash]).unwrap();
    let refund = RefundRequest { account: account.into(), coin: coin.coin, proof, signature };

    fn input<T: Serialize>(endpoint: usize, body: &T) -> Vec<u8> {
        let mut bytes = vec![u8::try_from(endpoint).unwrap()];
        bytes.extend(serde_json::to_vec(body).unwrap());
        bytes
    }
    vec![
        ("valid-register".into(), input(0, &register)),
        ("valid-bond".into(), input(1, &bond)),
        ("valid-session".into(), input(2, &session)),
        ("valid-withdraw".into(), input(3, &withdraw)),
        ("valid-deposit-account".into(), input(4, &credited)),
        ("valid-deposit-outputs".into(), input(4, &anonymous)),
        ("valid-refund".into(), input(5, &refund)),
        ("valid-deposits-batch".into(), input(6, &batch)),
    ]
}

/// The body parses as `T`, and serializing it and parsing again gives the same value (what the target asks).
fn parses<T: DeserializeOwned + Serialize + PartialEq>(body: &[u8]) -> Option<T> {
    let parsed: T = serde_json::from_slice(body).ok()?;
    let again: T = serde_json::from_slice(&serde_json::to_vec(&parsed).ok()?).ok()?;
    (again == parsed).then_some(parsed)
}

/// Whether `data` is a well-formed request of the endpoint its first byte picks; the endpoint's index.
fn well_formed(data: &[u8]) -> Option<usize> {
    let (&which, body) = data.split_first()?;
    let endpoint = usize::from(which % 7);
    let ok = match endpoint {
        0 => {
            parses::<RegisterRequest>(body).is_some_and(|r| r.registration.verify_vartime(r.account.as_bytes()).is_ok())
        }
        1 => parses::<BondRequest>(body).is_some_and(|r| r.limit <= r.bond),
        2 => parses::<SessionRequest>(body).is_some(),
        3 => parses::<WithdrawRequest>(body).is_some(),
        4 => parses::<DepositRequest>(body).is_some_and(|r| {
            r.account.is_some() != r.outputs.is_some()
                && r.transcript.message().is_ok()
                && r.transcript.challenge().is_ok()
        }),
        5 => parses::<RefundRequest>(body).is_some(),
        _ => parses::<DepositBatchRequest>(body).is_some_and(|b| {
            !b.deposits.is_empty()
                && b.deposits
                    .iter()
                    .all(|r| r.account.is_some() != r.outputs.is_some() && r.transcript.challenge().is_ok())
        }),
    };
    ok.then_some(endpoint)
}

#[test]
fn every_offline_endpoint_has_a_well_formed_seed() {
    if std::env::var("REGENERATE_FUZZ_SEEDS").is_ok() {
        for (name, bytes) in seeds() {
            std::fs::write(corpus().join(name), bytes).unwrap();
        }
    }
    let mut covered = [false; 7];
    for entry in std::fs::read_dir(corpus()).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        if let Some(endpoint) = well_formed(&data) {
            covered[endpoint] = true;
        }
    }
    let missing: Vec<&str> = ENDPOINTS.iter().zip(covered).filter(|(_, ok)| !ok).map(|(name, _)| *name).collect();
    assert!(
        missing.is_empty(),
        "fuzz/corpus/offline_requests has no well-formed seed for {missing:?}: run this test with REGENERATE_FUZZ_SEEDS=1"
    );
}

/// The seeds built here are what the check wants, each for its own endpoint: the check can tell.
#[test]
fn the_seeds_built_here_are_well_formed() {
    for (name, bytes) in seeds() {
        let endpoint = well_formed(&bytes).unwrap_or_else(|| panic!("{name} is not well formed"));
        assert!(name.contains(ENDPOINTS[endpoint]), "{name} picks {}", ENDPOINTS[endpoint]);
        // A session body without its nonce (as an older seed had) is not.
        if endpoint == 2 {
            let mut body: serde_json::Value = serde_json::from_slice(&bytes[1..]).unwrap();
            body.as_object_mut().unwrap().remove("nonce");
            let mut stale = vec![2u8];
            stale.extend(serde_json::to_vec(&body).unwrap());
            assert_eq!(well_formed(&stale), None);
        }
    }
}
