//! The wallet's benchmarks in headless Chromium (`performance.now()`), built only with `--features bench-wasm`:
//! `wasm-pack test --release --headless --chrome wallet-web --features bench-wasm --test wasm_bench`.
//!
//! (a) Blinding, unblinding and DLEQ checks for 100 notes through the wallet's own code path
//!     (`wallet::crypto::build_outputs` + `unblind`) against the bare `shared` calls for the same work, in
//!     the same run, alternating, best of several rounds.
//! (b) A wallet whose IndexedDB holds 10,000 notes: open the store and the wallet, then `balance()`.
//!
//! Lines printed: `WALLETBENCH <name> <milliseconds>`; `scripts/bench` turns them into a table.
#![cfg(all(target_arch = "wasm32", feature = "bench-wasm"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::rc::Rc;

use shared::derivation::{WalletSeed, generate_mnemonic};
use shared::keyset::MintKeySet;
use shared::nuts::BlindSignature;
use shared::{Amount, CurrencyUnit, dhke, dleq};
use wallet_web::MintUrl;
use wallet_web::Wallet;
use wallet_web::connector::HttpConnector;
use wallet_web::store::{Batch, IdbStore, Table, WalletStore};
use wallet_web::wallet::crypto::{build_outputs, unblind};
use wallet_web::wallet::records::{Destination, NoteRecord, NoteState};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

fn report(name: &str, ms: f64) {
    web_sys::console::log_1(&format!("WALLETBENCH {name} {ms:.2}").into());
}

const NOTES: u32 = 100;

#[wasm_bindgen_test]
fn crypto_path_against_bare_shared() {
    let seed = WalletSeed::from_mnemonic(&generate_mnemonic().unwrap());
    let keyset = MintKeySet::derive(&[7u8; 32], CurrencyUnit::Sat, 0, 32, 0, None).unwrap();
    let public = keyset.to_keyset(true);
    let amounts: Vec<(Amount, Destination)> =
        (0..NOTES).map(|i| (Amount::from(1u64 << (i % 16)), Destination::Keep)).collect();
    // The mint's side, not timed: signatures with DLEQ proofs on the (deterministic) outputs.
    let outputs = build_outputs(&seed, keyset.id, 0, &amounts).unwrap();
    let signatures: Vec<BlindSignature> = outputs
        .iter()
        .map(|o| {
            let k = keyset.secret_key(o.amount).unwrap();
            let c = dhke::sign_message(k, &o.blinded).unwrap();
            BlindSignature {
                amount: o.amount,
                keyset_id: keyset.id,
                c,
                dleq: Some(dleq::calculate_dleq(k, &o.blinded, &c).unwrap()),
            }
        })
        .collect();

    let mint_url = MintUrl::parse("https://mint.example").unwrap();
    let wallet_path = || {
        let outputs = build_outputs(&seed, keyset.id, 0, &amounts).unwrap();
        let notes: Vec<NoteRecord> = outputs
            .iter()
            .zip(&signatures)
            .map(|(o, s)| unblind(&mint_url, o, s, &public, NoteState::Unspent).unwrap())
            .collect();
        assert_eq!(notes.len(), NOTES as usize);
    };
    let bare_path = || {
        for (i, ((amount, _), signature)) in amounts.iter().zip(&signatures).enumerate() {
            let (secret, r) = seed.derive(&keyset.id, u32::try_from(i).unwrap()).unwrap();
            let (blinded, r) = dhke::blind_message(secret.as_bytes(), Some(r)).unwrap();
            let key = public.keys.amount_key(*amount).unwrap();
            dleq::verify_dleq(signature.dleq.as_ref().unwrap(), key, &blinded, &signature.c).unwrap();
            let c = dhke::unblind_message(&signature.c, &r, key).unwrap();
            let y = dhke::hash_to_curve(secret.as_bytes()).unwrap();
            std::hint::black_box((c, y));
        }
    };
    wallet_path();
    bare_path();
    let (mut best_wallet, mut best_bare) = (f64::MAX, f64::MAX);
    for _ in 0..5 {
        let start = now_ms();
        wallet_path();
        best_wallet = best_wallet.min(now_ms() - start);
        let start = now_ms();
        bare_path();
        best_bare = best_bare.min(now_ms() - start);
    }
    report("crypto 100 notes (wallet path)", best_wallet);
    report("crypto 100 notes (bare shared)", best_bare);
}

#[wasm_bindgen_test]
async fn open_with_ten_thousand_notes() {
    let name = "wallet-bench-10k";
    IdbStore::delete(name).await.unwrap();
    // 100 real notes, stored 100 times each under distinct serials: the records have the real shape and
    // size, which is what loading costs.
    let seed = WalletSeed::from_mnemonic(&generate_mnemonic().unwrap());
    let keyset = MintKeySet::derive(&[9u8; 32], CurrencyUnit::Sat, 0, 32, 0, None).unwrap();
    let public = keyset.to_keyset(true);
    let amounts: Vec<(Amount, Destination)> =
        (0..100).map(|i| (Amount::from(1u64 << (i % 8)), Destination::Keep)).collect();
    let outputs = build_outputs(&seed, keyset.id, 0, &amounts).unwrap();
    let mint_url = MintUrl::parse("https://mint.example").unwrap();
    let mut real = Vec::new();
    for o in &outputs {
        let k = keyset.secret_key(o.amount).unwrap();
        let c = dhke::sign_message(k, &o.blinded).unwrap();
        let signature = BlindSignature {
            amount: o.amount,
            keyset_id: keyset.id,
            c,
            dleq: Some(dleq::calculate_dleq(k, &o.blinded, &c).unwrap()),
        };
        real.push(unblind(&mint_url, o, &signature, &public, NoteState::Unspent).unwrap());
    }
    let mut expected = 0u64;
    {
        let store = IdbStore::open(name).await.unwrap();
        let mut batch = Batch::new();
        for i in 0..10_000usize {
            let mut note = real[i % real.len()].clone();
            note.y = format!("{i:066x}");
            expected += note.amount.to_u64();
            batch.put(Table::Notes, note.y.clone(), &note).unwrap();
        }
        store.commit(batch).await.unwrap();
    }
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = now_ms();
        let store = IdbStore::open(name).await.unwrap();
        let wallet = Wallet::open(Rc::new(store), Rc::new(HttpConnector::new())).await.unwrap();
        let balance = wallet.balance().await.unwrap();
        best = best.min(now_ms() - start);
        assert_eq!(balance, Amount::from(expected));
    }
    let store = IdbStore::open(name).await.unwrap();
    assert_eq!(store.get_all(Table::Notes).await.unwrap().len(), 10_000);
    report("open + balance, 10000 notes in IndexedDB", best);
}
