//! Criterion benchmarks of the offline coins (docs/offline-coins.md): what each side pays per operation,
//! beside the Cashu baseline measured in the same run (the mint's per-input check at a swap:
//! `hash_to_curve` + one multiplication, `dhke::verify_message`), so the table gives ratios.
//!
//! `cargo bench -p cash-shared --bench offline -- --warm-up-time 1 --measurement-time 3`; the figures are in
//! the appendix of docs/offline-coins.md.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

// Criterion does not build for wasm32; there this bench is empty (see benches/crypto.rs).
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;

    use criterion::{BatchSize, Criterion, criterion_group};
    use shared::keyset::MintKeySet;
    use shared::offline::withdrawal::derive_session_nonce;
    use shared::offline::{
        CoinSecrets, DepositTranscript, DoubleSpendEvidence, IdentitySecret, MintSession, OfflineMintKeyset, Payment,
        PaymentRequest, PendingWithdrawal, extract_identity_vartime,
    };
    use shared::{Amount, CurrencyUnit, SecretKey, dhke};

    const SEED: [u8; 64] = [7u8; 64];

    fn bench(c: &mut Criterion) {
        // Cashu baseline: the mint's check of one input at a swap.
        let cashu = MintKeySet::derive(b"bench master secret", CurrencyUnit::Sat, 0, 32, 0, None).unwrap();
        let k = cashu.secret_key(Amount::from_u64(8)).unwrap().clone();
        let secret = b"407915bc212be61a77e3e6d2aeb4c727980bda51cd06a6afc29e2861768a7837";
        let (blinded, r) = dhke::blind_message(secret, None).unwrap();
        let unblinded = dhke::unblind_message(&dhke::sign_message(&k, &blinded).unwrap(), &r, &k.public_key()).unwrap();
        c.bench_function("cashu: verify one input (hash_to_curve + mul)", |b| {
            b.iter(|| dhke::verify_message(&k, black_box(&unblinded), secret).unwrap())
        });

        let mint = OfflineMintKeyset::derive(b"bench master", 0, 16, CurrencyUnit::Sat, 1_000, 2_000, 3_000).unwrap();
        let keyset = mint.public.clone();
        let u1 = IdentitySecret::from_seed(&SEED).unwrap();
        let identity = u1.identity().unwrap();
        let registration = u1.prove_registration(b"account-1").unwrap();
        c.bench_function("offline: registration verify (mint)", |b| {
            b.iter(|| black_box(&registration).verify_vartime(b"account-1").unwrap())
        });

        c.bench_function("offline: withdrawal, mint side (start + respond)", |b| {
            b.iter_batched(
                || {
                    (
                        SecretKey::random().unwrap(),
                        shared::offline::BlindedChallenge {
                            c0: shared::offline::PublicScalar::new(k256::Scalar::from(12345u64)).unwrap(),
                        },
                    )
                },
                |(w, challenge)| {
                    let (session, start) = MintSession::start(&mint, 8, &identity, w).unwrap();
                    (start, session.respond(&challenge).unwrap())
                },
                BatchSize::SmallInput,
            )
        });

        let w = derive_session_nonce(b"bench session secret", b"session-1").unwrap();
        let (session, start) = MintSession::start(&mint, 8, &identity, w).unwrap();
        let secrets = CoinSecrets::derive(&SEED, &keyset.id, 0, &start.a0, &start.b0).unwrap();
        let (pending, challenge) = PendingWithdrawal::prepare(&identity, &keyset, &start, secrets.clone()).unwrap();
        let response = session.respond(&challenge).unwrap();
        let wallet_coin = pending.finish(&response).unwrap();
        c.bench_function("offline: withdrawal, wallet side (prepare + finish)", |b| {
            b.iter_batched(
                || secrets.clone(),
                |secrets| {
                    let (pending, _) = PendingWithdrawal::prepare(&identity, &keyset, &start, secrets).unwrap();
                    pending.finish(black_box(&response)).unwrap()
                },
                BatchSize::SmallInput,
            )
        });

        let coin = wallet_coin.coin.clone();
        c.bench_function("offline: coin check", |b| b.iter(|| black_box(&coin).verify_vartime(&keyset).unwrap()));

        let payee = SecretKey::from_slice(&[0xa0; 32]).unwrap();
        let request = PaymentRequest::new(payee.public_key(), 1_500, 8).unwrap();
        c.bench_function("offline: payer response (1 coin)", |b| {
            b.iter(|| wallet_coin.respond(&u1, black_box(&request)).unwrap())
        });
        let payment = Payment::pay(&u1, std::slice::from_ref(&wallet_coin), &request).unwrap();
        c.bench_function("offline: payee verify (1 coin)", |b| {
            b.iter(|| black_box(&payment).verify_vartime(&request, std::slice::from_ref(&keyset)).unwrap())
        });

        let first = DepositTranscript::sign(&payment.coins[0], &request, &payee).unwrap();
        c.bench_function("offline: deposit verify (mint)", |b| {
            b.iter(|| black_box(&first).verify_deposit_vartime(&keyset, 2_500).unwrap())
        });

        let payee2 = SecretKey::from_slice(&[0xb0; 32]).unwrap();
        let request2 = PaymentRequest::new(payee2.public_key(), 1_600, 8).unwrap();
        let second =
            DepositTranscript::sign(&wallet_coin.respond(&u1, &request2).unwrap(), &request2, &payee2).unwrap();
        c.bench_function("offline: identity extraction (two transcripts)", |b| {
            b.iter(|| extract_identity_vartime(black_box(&first), &second).unwrap())
        });
        let (evidence, _) = DoubleSpendEvidence::new(keyset.clone(), first.clone(), second.clone()).unwrap();
        c.bench_function("offline: evidence verify (anyone)", |b| {
            b.iter(|| black_box(&evidence).verify_vartime().unwrap())
        });
    }

    criterion_group! {
        name = benches;
        config = Criterion::default().sample_size(30);
        targets = bench
    }
}
