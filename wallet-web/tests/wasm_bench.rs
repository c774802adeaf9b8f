//! The wallet's benchmarks in headless Chromium (`performance.now()`), built only with `--features bench-wasm`:
//! `wasm-pack test --release --headless --chrome wallet-web --features bench-wasm --test wasm_bench`.
//!
//! (a) Blinding, unblinding and DLEQ checks for 100 notes through the wallet's own code path
//!     (`wallet::crypto::build_outputs` + `unblind`) against the bare `shared` calls for the same work, in
//!     the same run, alternating, best of several rounds.
//! (b) A wallet whose IndexedDB holds 10,000 notes: open the store and the wallet, then `balance()`.
//! (c) Offline coins, per coin, through the wallet's own steps (`wallet_web::offline::coins`, called by
//!     `wallet::offline` and `wallet::offline_mint`; store commits and network excluded), each beside the
//!     bare `shared` call that `shared/benches/offline.rs` times natively: withdrawal (the wallet's side,
//!     with the mint's side computed here by `shared` and timed apart), the payer's answer to a request
//!     with 1 and 8 coins, the payee's check of such a payment, and the payment text's size in bytes.
//!
//! Lines printed: `WALLETBENCH <name> <milliseconds>` and `OFFLINEBENCH <name> <microseconds per coin>`
//! (sizes: `OFFLINESIZE <coins> <bytes>`); `scripts/bench` turns them into tables.
#![cfg(all(target_arch = "wasm32", feature = "bench-wasm"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::rc::Rc;

use shared::derivation::{WalletSeed, generate_mnemonic};
use shared::keyset::MintKeySet;
use shared::nuts::BlindSignature;
use shared::offline::withdrawal::derive_session_nonce;
use shared::offline::{
    CoinSecrets, IdentitySecret, MintSession, OfflineMintKeyset, Payment, PaymentRequest, SessionResponse,
    SessionStart, WalletCoin, auth,
};
use shared::{Amount, CurrencyUnit, SecretKey, dhke, dleq};
use wallet_web::MintUrl;
use wallet_web::Wallet;
use wallet_web::connector::HttpConnector;
use wallet_web::offline::coins::{answer_request, check_payment, open_coin, wallet_coin, withdrawal_challenge};
use wallet_web::offline::records::WithdrawnCoin;
use wallet_web::offline::text::payment_from_text;
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

fn report_per_coin(name: &str, micros: f64) {
    web_sys::console::log_1(&format!("OFFLINEBENCH {name} {micros:.2}").into());
}

/// Best of 9 rounds of `f` (each doing `coins` coins' work, repeated until a round lasts 150 ms at least),
/// in microseconds per coin: the best round is the one least disturbed by the machine's other load.
fn per_coin(coins: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut best = f64::MAX;
    for _ in 0..9 {
        let (start, mut runs) = (now_ms(), 0u32);
        while runs == 0 || now_ms() - start < 150.0 {
            f();
            runs += 1;
        }
        best = best.min((now_ms() - start) * 1000.0 / f64::from(runs) / coins as f64);
    }
    best
}

/// Lets the page's event loop run (the test runner polls the page; a long synchronous stretch times it out).
async fn breathe() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

const COINS: usize = 8;
const TIME: u64 = 1_500;

/// A mint's offline keyset and a wallet holding `COINS` coins of 1, 2, ..., 128 withdrawn from it.
struct OfflineSetup {
    mint: OfflineMintKeyset,
    seed: [u8; 64],
    identity_secret: IdentitySecret,
    /// The mint's session values and answers, by counter.
    sessions: Vec<(SessionStart, SessionResponse)>,
    withdrawn: Vec<WithdrawnCoin>,
}

fn offline_setup() -> OfflineSetup {
    let mint = OfflineMintKeyset::derive(b"bench master", 0, 16, CurrencyUnit::Sat, 1_000, 2_000, 3_000).unwrap();
    let seed = *WalletSeed::from_mnemonic(&generate_mnemonic().unwrap()).as_bytes();
    let identity_secret = IdentitySecret::from_seed(&seed).unwrap();
    let identity = identity_secret.identity().unwrap();
    let (mut sessions, mut withdrawn) = (Vec::new(), Vec::new());
    for counter in 0..COINS as u32 {
        let w = derive_session_nonce(b"bench session secret", &counter.to_be_bytes()).unwrap();
        let (session, start) = MintSession::start(&mint, 1u64 << counter, &identity, w).unwrap();
        let (pending, challenge) = withdrawal_challenge(&seed, &identity, &mint.public, counter, &start).unwrap();
        let response = session.respond(&challenge).unwrap();
        let coin = pending.finish(&response).unwrap().coin;
        withdrawn.push(WithdrawnCoin { coin, counter, a0: start.a0, b0: start.b0 });
        sessions.push((start, response));
    }
    OfflineSetup { mint, seed, identity_secret, sessions, withdrawn }
}

/// A request for the first `n` coins (1 + 2 + ... + 2^(n-1)).
fn request_for(n: usize) -> PaymentRequest {
    let payee = SecretKey::from_slice(&[0xa0; 32]).unwrap();
    PaymentRequest::new(payee.public_key(), TIME, (1u64 << n) - 1).unwrap()
}

#[wasm_bindgen_test]
async fn offline_withdraw_per_coin() {
    let setup = offline_setup();
    let (seed, keyset) = (&setup.seed, &setup.mint.public);
    let identity = setup.identity_secret.identity().unwrap();
    let account_key = SecretKey::from_slice(&[0xc0; 32]).unwrap();
    // The wallet's steps for one coin as `wallet::offline_mint` runs them: `withdraw_one` signs the session
    // request, builds the challenge and signs the withdraw request; `finish_withdrawal` rebuilds the
    // challenge from its journal, checks the mint's answers it and unblinds; `stage_coins` opens the coin.
    let wallet_path = || {
        for (counter, (start, response)) in setup.sessions.iter().enumerate() {
            let counter = counter as u32;
            let account = b"account-1".as_slice();
            let amount = start.amount.to_be_bytes();
            std::hint::black_box(
                auth::sign(&account_key, auth::op::SESSION, &[account, &keyset.id.to_bytes(), &amount]).unwrap(),
            );
            let (_, challenge) = withdrawal_challenge(seed, &identity, keyset, counter, start).unwrap();
            let session = b"session-id".as_slice();
            std::hint::black_box(
                auth::sign(&account_key, auth::op::WITHDRAW, &[account, session, &challenge.c0.to_bytes()]).unwrap(),
            );
            let (pending, again) = withdrawal_challenge(seed, &identity, keyset, counter, start).unwrap();
            assert_eq!(challenge, again);
            let coin = pending.finish(response).unwrap().coin;
            let withdrawn = WithdrawnCoin { coin, counter, a0: start.a0, b0: start.b0 };
            open_coin(seed, &identity, keyset, &withdrawn).unwrap();
        }
    };
    // One pass of the wallet's crypto: secrets, challenge, unblind (as `shared/benches/offline.rs`'s
    // "wallet side (prepare + finish)", which takes the secrets as given).
    let one_pass = || {
        for (counter, (start, response)) in setup.sessions.iter().enumerate() {
            let (pending, _) = withdrawal_challenge(seed, &identity, keyset, counter as u32, start).unwrap();
            std::hint::black_box(pending.finish(response).unwrap());
        }
    };
    let secrets: Vec<CoinSecrets> = (0..COINS as u32)
        .map(|c| {
            let (a0, b0) = (&setup.sessions[c as usize].0.a0, &setup.sessions[c as usize].0.b0);
            CoinSecrets::derive(seed, &keyset.id, c, a0, b0).unwrap()
        })
        .collect();
    let bare = || {
        for ((start, response), secrets) in setup.sessions.iter().zip(&secrets) {
            let (pending, _) =
                shared::offline::PendingWithdrawal::prepare(&identity, keyset, start, secrets.clone()).unwrap();
            std::hint::black_box(pending.finish(response).unwrap());
        }
    };
    let check = || {
        for withdrawn in &setup.withdrawn {
            withdrawn.coin.verify_vartime(keyset).unwrap();
        }
    };
    // The mint's side (`MintSession::start` + `respond`), on the challenges the wallet sent.
    let challenges: Vec<_> = setup
        .sessions
        .iter()
        .enumerate()
        .map(|(c, (start, _))| withdrawal_challenge(seed, &identity, keyset, c as u32, start).unwrap().1)
        .collect();
    let mint_side = || {
        for (c, challenge) in challenges.iter().enumerate() {
            let w = derive_session_nonce(b"bench session secret", &(c as u32).to_be_bytes()).unwrap();
            let (session, _) = MintSession::start(&setup.mint, 1u64 << c, &identity, w).unwrap();
            std::hint::black_box(session.respond(challenge).unwrap());
        }
    };
    report_per_coin("withdraw (wallet path)", per_coin(COINS, wallet_path));
    breathe().await;
    report_per_coin("withdraw (derive + prepare + finish)", per_coin(COINS, one_pass));
    breathe().await;
    report_per_coin("withdraw (bare prepare + finish)", per_coin(COINS, bare));
    breathe().await;
    report_per_coin("coin check", per_coin(COINS, check));
    breathe().await;
    report_per_coin("withdraw (mint side)", per_coin(COINS, mint_side));
}

#[wasm_bindgen_test]
async fn offline_pay_and_verify_per_coin() {
    let setup = offline_setup();
    let (seed, keyset) = (&setup.seed, &setup.mint.public);
    let identity = setup.identity_secret.identity().unwrap();
    let keysets = std::slice::from_ref(keyset);
    for n in [1usize, COINS] {
        let request = request_for(n);
        let held = &setup.withdrawn[..n];
        // `wallet::offline::pay`: the chosen coins' secrets rebuilt, the answers and the text to show.
        let payer = || {
            let coins: Vec<WalletCoin> =
                held.iter().map(|w| wallet_coin(seed, &identity, &w.coin, w.counter, &w.a0, &w.b0).unwrap()).collect();
            std::hint::black_box(answer_request(&setup.identity_secret, &coins, &request).unwrap());
        };
        let coins: Vec<WalletCoin> =
            held.iter().map(|w| wallet_coin(seed, &identity, &w.coin, w.counter, &w.a0, &w.b0).unwrap()).collect();
        let bare_payer = || {
            std::hint::black_box(Payment::pay(&setup.identity_secret, &coins, &request).unwrap());
        };
        let text = answer_request(&setup.identity_secret, &coins, &request).unwrap();
        // `wallet::offline::receive`: the text read, then checked against the cached keysets.
        let payee = || {
            let message = payment_from_text(&text).unwrap();
            check_payment(&message, &request, keysets).unwrap();
        };
        let payment = payment_from_text(&text).unwrap().payment();
        let bare_payee = || payment.verify_vartime(&request, keysets).unwrap();
        report_per_coin(&format!("payer {n} (wallet path)"), per_coin(n, payer));
        breathe().await;
        report_per_coin(&format!("payer {n} (bare respond)"), per_coin(n, bare_payer));
        breathe().await;
        report_per_coin(&format!("payee {n} (wallet path)"), per_coin(n, payee));
        breathe().await;
        report_per_coin(&format!("payee {n} (bare verify)"), per_coin(n, bare_payee));
        breathe().await;
    }
    for n in [1usize, 2, 4, 8] {
        let coins: Vec<WalletCoin> = setup.withdrawn[..n]
            .iter()
            .map(|w| wallet_coin(seed, &identity, &w.coin, w.counter, &w.a0, &w.b0).unwrap())
            .collect();
        let text = answer_request(&setup.identity_secret, &coins, &request_for(n)).unwrap();
        web_sys::console::log_1(&format!("OFFLINESIZE {n} {}", text.len()).into());
    }
}
