//! Criterion benchmarks of the crypto core: what the mint pays per note (verify, sign + DLEQ prove) and
//! what the wallet pays (hash_to_curve, blind, unblind + DLEQ verify, tokens).
//!
//! `cargo bench -p cash-shared --bench crypto`; `scripts/bench` runs this and the same operations in
//! headless Chromium, and prints both tables.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

// Criterion does not build for wasm32, where the same operations are timed by `tests/wasm_bench.rs`; there
// this bench is empty (so `cargo clippy --target wasm32-unknown-unknown --all-targets` checks the crate).
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{BatchSize, Criterion, criterion_group};
    use shared::keyset::MintKeySet;
    use shared::token::Token;
    use shared::{Amount, CurrencyUnit, Proof, ProofDleq, Secret, dhke, dleq};
    use std::hint::black_box;

    fn fixtures() -> (MintKeySet, Secret) {
        let keyset = MintKeySet::derive(b"bench master secret", CurrencyUnit::Sat, 0, 32, 0, None).unwrap();
        (keyset, Secret::new("407915bc212be61a77e3e6d2aeb4c727980bda51cd06a6afc29e2861768a7837"))
    }

    /// A token of `count` notes with DLEQ proofs, as a wallet sends it.
    pub fn token_with(count: usize) -> Token {
        let (keyset, _) = fixtures();
        let proofs = (0..count)
            .map(|i| {
                let amount = Amount::from_u64(1 << (i % 16));
                let secret = Secret::generate().unwrap();
                let (blinded, r) = dhke::blind_message(secret.as_bytes(), None).unwrap();
                let k = keyset.secret_key(amount).unwrap();
                let c_blinded = dhke::sign_message(k, &blinded).unwrap();
                let proof_dleq = dleq::calculate_dleq(k, &blinded, &c_blinded).unwrap();
                let c = dhke::unblind_message(&c_blinded, &r, &k.public_key()).unwrap();
                Proof {
                    amount,
                    keyset_id: keyset.id,
                    secret,
                    c,
                    witness: None,
                    dleq: Some(ProofDleq { e: proof_dleq.e, s: proof_dleq.s, r }),
                }
            })
            .collect();
        Token::new("https://mint.example", proofs, None, CurrencyUnit::Sat)
    }

    fn bench(c: &mut Criterion) {
        let (keyset, secret) = fixtures();
        let amount = Amount::from_u64(8);
        let k = keyset.secret_key(amount).unwrap().clone();
        let mint_pubkey = k.public_key();
        let (blinded, r) = dhke::blind_message(secret.as_bytes(), None).unwrap();
        let c_blinded = dhke::sign_message(&k, &blinded).unwrap();
        let proof_dleq = dleq::calculate_dleq(&k, &blinded, &c_blinded).unwrap();
        let unblinded = dhke::unblind_message(&c_blinded, &r, &mint_pubkey).unwrap();

        c.bench_function("hash_to_curve", |b| b.iter(|| dhke::hash_to_curve(black_box(secret.as_bytes())).unwrap()));
        c.bench_function("blind", |b| {
            b.iter_batched(
                || r.clone(),
                |r| dhke::blind_message(black_box(secret.as_bytes()), Some(r)).unwrap(),
                BatchSize::SmallInput,
            )
        });
        c.bench_function("sign + DLEQ prove", |b| {
            b.iter(|| {
                let signature = dhke::sign_message(&k, black_box(&blinded)).unwrap();
                dleq::calculate_dleq(&k, &blinded, &signature).unwrap()
            })
        });
        c.bench_function("unblind + DLEQ verify", |b| {
            b.iter(|| {
                dleq::verify_dleq(&proof_dleq, &mint_pubkey, &blinded, black_box(&c_blinded)).unwrap();
                dhke::unblind_message(&c_blinded, &r, &mint_pubkey).unwrap()
            })
        });
        c.bench_function("verify (mint, per input)", |b| {
            b.iter(|| dhke::verify_message(&k, black_box(&unblinded), secret.as_bytes()).unwrap())
        });

        let token = token_with(10);
        let encoded = token.encode().unwrap();
        c.bench_function("token encode (10 notes, cashuB)", |b| b.iter(|| black_box(&token).encode().unwrap()));
        c.bench_function("token decode (10 notes, cashuB)", |b| b.iter(|| Token::decode(black_box(&encoded)).unwrap()));
    }

    criterion_group! {
        name = benches;
        config = Criterion::default().sample_size(50).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
        targets = bench
    }
}
