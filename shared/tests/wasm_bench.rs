//! The benchmarks of `benches/crypto.rs`, timed inside headless Chromium with `performance.now()`.
//!
//! Only built with `--features bench-wasm` (so the normal test run stays fast):
//! `wasm-pack test --release --headless --chrome shared --features bench-wasm --test wasm_bench`.
//! Each line printed is `BENCH <name> <ns per op>`; `scripts/bench` turns them into a table.
#![cfg(all(target_arch = "wasm32", feature = "bench-wasm"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shared::keyset::MintKeySet;
use shared::token::Token;
use shared::{Amount, CurrencyUnit, Proof, ProofDleq, Secret, dhke, dleq};
use std::hint::black_box;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// Run `op` for at least ~1 s (after a short warm-up) and report nanoseconds per call.
fn time(name: &str, mut op: impl FnMut()) {
    for _ in 0..20 {
        op();
    }
    let mut iterations = 0u32;
    let start = now_ms();
    let mut elapsed = 0.0;
    while elapsed < 1000.0 {
        for _ in 0..10 {
            op();
        }
        iterations += 10;
        elapsed = now_ms() - start;
    }
    let ns_per_op = elapsed * 1e6 / f64::from(iterations);
    web_sys::console::log_1(&format!("BENCH {name} {ns_per_op:.0}").into());
}

fn token_with(keyset: &MintKeySet, count: usize) -> Token {
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

#[wasm_bindgen_test]
fn crypto_benchmarks() {
    let keyset = MintKeySet::derive(b"bench master secret", CurrencyUnit::Sat, 0, 32, 0, None).unwrap();
    let secret = Secret::new("407915bc212be61a77e3e6d2aeb4c727980bda51cd06a6afc29e2861768a7837");
    let amount = Amount::from_u64(8);
    let k = keyset.secret_key(amount).unwrap().clone();
    let mint_pubkey = k.public_key();
    let (blinded, r) = dhke::blind_message(secret.as_bytes(), None).unwrap();
    let c_blinded = dhke::sign_message(&k, &blinded).unwrap();
    let proof_dleq = dleq::calculate_dleq(&k, &blinded, &c_blinded).unwrap();
    let unblinded = dhke::unblind_message(&c_blinded, &r, &mint_pubkey).unwrap();

    time("hash_to_curve", || {
        black_box(dhke::hash_to_curve(black_box(secret.as_bytes())).unwrap());
    });
    time("blind", || {
        black_box(dhke::blind_message(black_box(secret.as_bytes()), Some(r.clone())).unwrap());
    });
    time("sign + DLEQ prove", || {
        let signature = dhke::sign_message(&k, black_box(&blinded)).unwrap();
        black_box(dleq::calculate_dleq(&k, &blinded, &signature).unwrap());
    });
    time("unblind + DLEQ verify", || {
        dleq::verify_dleq(&proof_dleq, &mint_pubkey, &blinded, black_box(&c_blinded)).unwrap();
        black_box(dhke::unblind_message(&c_blinded, &r, &mint_pubkey).unwrap());
    });
    time("verify (mint, per input)", || {
        dhke::verify_message(&k, black_box(&unblinded), secret.as_bytes()).unwrap();
    });
    let token = token_with(&keyset, 10);
    let encoded = token.encode().unwrap();
    time("token encode (10 notes, cashuB)", || {
        black_box(black_box(&token).encode().unwrap());
    });
    time("token decode (10 notes, cashuB)", || {
        black_box(Token::decode(black_box(&encoded)).unwrap());
    });
}
