//! Interoperability with Nutshell's MINT (PyPI `cashu`, the reference implementation): our protocol code in
//! `shared` (wire types, blinding, DLEQ checks, keyset ids, fees, tokens, NUT-13 derivation) against a real
//! Nutshell mint with its FakeWallet bolt11 backend.
//!
//! `scripts/interop-nutshell-mint` installs Nutshell (scripts/lib.sh's `ensure_nutshell`), starts its mint on a
//! free 127.0.0.1 port with a temporary SQLite database, lets the Nutshell wallet CLI make a token and a
//! wallet there, and runs this file with:
//!
//! - `NUTSHELL_MINT_URL`: the mint (loopback only);
//! - `NUTSHELL_TOKEN`: a cashuB token the Nutshell wallet sent (unspent);
//! - `NUTSHELL_MNEMONIC`: that wallet's mnemonic (its notes were minted with NUT-13 secrets);
//! - `NUTSHELL_INVOICE`: a signed bolt11 invoice for 10 sat that is not the mint's own (to melt);
//! - `NUTSHELL_TOKEN_OUT` (optional): a file to write a token of ours to, which the script then has the
//!   Nutshell wallet receive.
//!
//! Without `NUTSHELL_MINT_URL` every test here FAILS, unless `NUTSHELL_INTEROP=skip` says to skip them
//! (scripts/test does so for the plain `cargo test --workspace` step and runs this file in its own step).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::wallet::TestMint;
use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::derivation::{WalletSeed, parse_mnemonic};
use shared::keyset::fee_for_inputs;
use shared::nuts::{
    CheckStateRequest, CheckStateResponse, ErrorCode, ErrorResponse, KeysResponse, KeysetResponse,
    MeltQuoteBolt11Request, MeltQuoteBolt11Response, MeltQuoteState, MeltRequest, MintQuoteBolt11Request,
    MintQuoteBolt11Response, MintQuoteState, MintRequest, MintResponse, RestoreRequest, RestoreResponse, State,
    SwapRequest, SwapResponse,
};
use shared::{Amount, BlindedMessage, CurrencyUnit, Id, KeySet, Proof, Token, dhke};

/// The Nutshell mint under test, or `None` when skipping was asked for explicitly.
fn nutshell() -> Option<Nutshell> {
    let url = std::env::var("NUTSHELL_MINT_URL").unwrap_or_default();
    if url.is_empty() {
        if std::env::var("NUTSHELL_INTEROP").as_deref() == Ok("skip") {
            eprintln!(
                "NOTE: Nutshell mint interoperability test SKIPPED (NUTSHELL_INTEROP=skip). \
                 Run scripts/interop-nutshell-mint to run it."
            );
            return None;
        }
        panic!(
            "NUTSHELL_MINT_URL is not set, so there is no Nutshell mint to test against. Run \
             scripts/interop-nutshell-mint (it installs Nutshell, starts its mint with the FakeWallet backend on \
             127.0.0.1 and runs this test), or set NUTSHELL_INTEROP=skip to skip these tests explicitly."
        );
    }
    let base = url.trim_end_matches('/').to_owned();
    assert!(
        base.starts_with("http://127.0.0.1:") || base.starts_with("http://localhost:"),
        "NUTSHELL_MINT_URL must be a loopback address, not {base}"
    );
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    Some(Nutshell { base, client })
}

/// An environment variable the script sets alongside `NUTSHELL_MINT_URL`.
fn required_var(name: &str) -> String {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty()).unwrap_or_else(|| {
        panic!(
            "{name} is not set: scripts/interop-nutshell-mint makes it with the Nutshell wallet CLI and passes it \
             with NUTSHELL_MINT_URL"
        )
    })
}

struct Nutshell {
    base: String,
    client: reqwest::Client,
}

impl Nutshell {
    async fn get<T: DeserializeOwned>(&self, path: &str) -> T {
        let response = self.client.get(format!("{}{path}", self.base)).send().await.unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("GET {path}: our types refuse Nutshell's body: {e}\n{body}"))
    }

    /// POST JSON: Ok(body) on 200, Err(the Cashu error body) on 400.
    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, request: &B) -> Result<T, ErrorResponse> {
        let response = self.client.post(format!("{}{path}", self.base)).json(request).send().await.unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        match status {
            StatusCode::OK => Ok(serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("POST {path}: our types refuse Nutshell's body: {e}\n{body}"))),
            StatusCode::BAD_REQUEST => Err(serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("POST {path}: not a Cashu error body: {e}\n{body}"))),
            other => panic!("POST {path}: HTTP {other}: {body}"),
        }
    }

    /// Every keyset with its keys, each id checked against its keys; and the active `sat` keyset.
    async fn keysets(&self) -> (Vec<KeySet>, KeySet) {
        let all: KeysResponse = self.get("/v1/keys").await;
        for keyset in &all.keysets {
            keyset.verify_id().unwrap_or_else(|e| panic!("Nutshell keyset {}: {e}", keyset.id));
        }
        let infos: KeysetResponse = self.get("/v1/keysets").await;
        let active = infos
            .keysets
            .iter()
            .find(|info| info.active && info.unit == CurrencyUnit::Sat)
            .unwrap_or_else(|| panic!("no active sat keyset in {:?}", infos.keysets))
            .clone();
        let one: KeysResponse = self.get(&format!("/v1/keys/{}", active.id)).await;
        assert_eq!(one.keysets.len(), 1);
        let keyset = one.keysets.into_iter().next().unwrap();
        keyset.verify_id().unwrap();
        assert_eq!(keyset.info(), active, "GET /v1/keys/{{id}} and GET /v1/keysets agree");
        (all.keysets, keyset)
    }

    /// Mint notes of these amounts through the FakeWallet (which pays the invoice by itself), checking the DLEQ
    /// proof of every signature.
    async fn mint(&self, keyset: &KeySet, amounts: &[u64]) -> Vec<Proof> {
        let total = Amount::from_u64(amounts.iter().sum());
        let request =
            MintQuoteBolt11Request { amount: total, unit: CurrencyUnit::Sat, description: None, pubkey: None };
        let quote: MintQuoteBolt11Response = self.post("/v1/mint/quote/bolt11", &request).await.unwrap();
        assert_eq!(quote.amount, Some(total));
        assert!(quote.request.starts_with("lnbc"), "{}", quote.request);
        self.wait_paid(&quote.quote).await;
        let pending = TestMint::outputs(keyset, amounts);
        let response: MintResponse = self
            .post(
                "/v1/mint/bolt11",
                &MintRequest { quote: quote.quote, outputs: pending.outputs.clone(), signature: None },
            )
            .await
            .unwrap();
        TestMint::unblind(keyset, &pending, &response.signatures)
    }

    /// Wait (30 s at most) until the FakeWallet has paid the quote. Reads only `state`: whether our types
    /// parse the whole response is `mint_quote_responses_parse_with_our_types`' business.
    async fn wait_paid(&self, quote: &str) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let checked: serde_json::Value = self.get(&format!("/v1/mint/quote/bolt11/{quote}")).await;
            if checked["state"] == "PAID" {
                return checked;
            }
            assert!(Instant::now() < deadline, "the FakeWallet did not pay the quote in 30 s: {checked}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Swap inputs for outputs of these amounts, checking every signature's DLEQ proof.
    async fn swap(&self, keyset: &KeySet, inputs: &[Proof], amounts: &[u64]) -> Result<Vec<Proof>, ErrorResponse> {
        let pending = TestMint::outputs(keyset, amounts);
        let response: SwapResponse =
            self.post("/v1/swap", &SwapRequest { inputs: inputs.to_vec(), outputs: pending.outputs.clone() }).await?;
        Ok(TestMint::unblind(keyset, &pending, &response.signatures))
    }

    async fn states(&self, proofs: &[Proof]) -> Vec<State> {
        let ys = proofs.iter().map(|proof| proof.y().unwrap()).collect::<Vec<_>>();
        let response: CheckStateResponse =
            self.post("/v1/checkstate", &CheckStateRequest { ys: ys.clone() }).await.unwrap();
        assert_eq!(response.states.iter().map(|state| state.y).collect::<Vec<_>>(), ys, "states in request order");
        response.states.into_iter().map(|state| state.state).collect()
    }
}

/// The fee for spending these proofs, by our reading of NUT-02.
fn fee(keysets: &[KeySet], proofs: &[Proof]) -> u64 {
    let ppk = proofs.iter().map(|proof| keysets.iter().find(|k| k.id == proof.keyset_id).unwrap().input_fee_ppk);
    fee_for_inputs(ppk).unwrap().to_u64()
}

fn amounts(value: u64) -> Vec<u64> {
    Amount::from_u64(value).split().into_iter().map(Amount::to_u64).collect()
}

fn total(proofs: &[Proof]) -> u64 {
    proofs.iter().map(|proof| proof.amount.to_u64()).sum()
}

#[tokio::test]
async fn nutshell_info_keysets_and_keys_parse_and_ids_verify() {
    let Some(nutshell) = nutshell() else { return };
    let info: shared::nuts::MintInfo = nutshell.get("/v1/info").await;
    assert!(info.version.as_deref().is_some_and(|v| v.starts_with("Nutshell/")), "{:?}", info.version);
    assert!(info.nuts.nut07.supported && info.nuts.nut09.supported && info.nuts.nut12.supported);
    assert!(info.nuts.nut04.methods.iter().any(|m| m.method == "bolt11" && m.unit == CurrencyUnit::Sat));

    let (all, active) = nutshell.keysets().await;
    assert!(all.iter().any(|keyset| keyset.id == active.id));
    assert_eq!(active.id.version(), Id::VERSION_V2, "Nutshell's active keyset has a version-01 id: {}", active.id);
    assert_eq!(active.keys.len(), 64, "Nutshell signs amounts 2^0..2^63");
}

#[tokio::test]
async fn mint_quote_responses_parse_with_our_types() {
    let Some(nutshell) = nutshell() else { return };
    let request = MintQuoteBolt11Request {
        amount: Amount::from_u64(5),
        unit: CurrencyUnit::Sat,
        description: None,
        pubkey: None,
    };
    let created: MintQuoteBolt11Response = nutshell.post("/v1/mint/quote/bolt11", &request).await.unwrap();
    assert_eq!(created.amount, Some(Amount::from_u64(5)));
    assert_eq!(created.unit, Some(CurrencyUnit::Sat));
    let raw = nutshell.wait_paid(&created.quote).await;
    // What a wallet on our types (wallet-web) does to learn that a quote is paid.
    let checked: MintQuoteBolt11Response = serde_json::from_value(raw.clone()).unwrap_or_else(|e| {
        panic!("our MintQuoteBolt11Response refuses Nutshell's GET /v1/mint/quote/bolt11/{{id}} body: {e}\n{raw}")
    });
    assert_eq!(checked.quote, created.quote);
    assert_eq!(checked.state, MintQuoteState::Paid);
    assert_eq!(checked.pubkey, None, "the quote is not locked (NUT-20)");
}

#[tokio::test]
async fn mint_swap_with_fees_check_states_and_double_spend_at_nutshell() {
    let Some(nutshell) = nutshell() else { return };
    let (keysets, keyset) = nutshell.keysets().await;

    let minted = nutshell.mint(&keyset, &[64, 32, 16, 8, 4, 2, 1, 1]).await;
    assert_eq!(total(&minted), 128);
    assert!(minted.iter().all(|proof| proof.keyset_id == keyset.id));
    assert_eq!(nutshell.states(&minted).await, vec![State::Unspent; minted.len()]);

    let fee = fee(&keysets, &minted);
    assert_eq!(fee, (8 * keyset.input_fee_ppk).div_ceil(1000));
    if fee > 0 {
        // Outputs worth all of the inputs leave nothing for the fee: refused, and nothing is spent.
        // NUT error code 11005; Nutshell 0.21.0 answers with its generic transaction error, 11000.
        let refused = nutshell.swap(&keyset, &minted, &amounts(128)).await.unwrap_err();
        assert!(matches!(refused.code, ErrorCode::TransactionUnbalanced | ErrorCode::Unknown(11000)), "{refused:?}");
        assert_eq!(nutshell.states(&minted).await, vec![State::Unspent; minted.len()]);
    }

    let mut outputs = amounts(100);
    outputs.extend(amounts(128 - fee - 100));
    let swapped = nutshell.swap(&keyset, &minted, &outputs).await.unwrap();
    assert_eq!(total(&swapped), 128 - fee);
    assert_eq!(nutshell.states(&minted).await, vec![State::Spent; minted.len()]);
    assert_eq!(nutshell.states(&swapped).await, vec![State::Unspent; swapped.len()]);

    let again = nutshell.swap(&keyset, &minted, &amounts(128 - fee)).await.unwrap_err();
    assert_eq!(again.code, ErrorCode::TokenAlreadySpent, "{again:?}");
}

#[tokio::test]
async fn our_tokens_of_nutshell_notes_round_trip() {
    let Some(nutshell) = nutshell() else { return };
    let (keysets, keyset) = nutshell.keysets().await;
    let ids: Vec<Id> = keysets.iter().map(|k| k.id).collect();

    // A token we make and decode again, then redeem at Nutshell.
    let proofs = nutshell.mint(&keyset, &[16, 4, 1]).await;
    let encoded =
        Token::new(&nutshell.base, proofs.clone(), Some("from our code".into()), CurrencyUnit::Sat).encode().unwrap();
    assert!(encoded.starts_with("cashuB"), "{encoded}");
    let decoded = Token::decode(&encoded).unwrap();
    assert_eq!(decoded.mint_url().unwrap(), nutshell.base);
    assert_eq!(decoded.value().unwrap(), Amount::from_u64(21));
    let decoded_proofs = decoded.proofs(&ids).unwrap();
    assert_eq!(decoded_proofs, proofs);
    for proof in &decoded_proofs {
        proof.verify_dleq(&keyset.keys).unwrap();
    }
    let fee = fee(&keysets, &decoded_proofs);
    let received = nutshell.swap(&keyset, &decoded_proofs, &amounts(21 - fee)).await.unwrap();
    assert_eq!(total(&received), 21 - fee);

    // A token for the Nutshell wallet to receive (the script runs `cashu receive` on it).
    if let Ok(path) = std::env::var("NUTSHELL_TOKEN_OUT") {
        let proofs = nutshell.mint(&keyset, &[8, 2, 1]).await;
        let token = Token::new(&nutshell.base, proofs, None, CurrencyUnit::Sat).encode().unwrap();
        std::fs::write(&path, token).unwrap();
    }
}

#[tokio::test]
async fn a_token_from_the_nutshell_wallet_decodes_and_redeems() {
    let Some(nutshell) = nutshell() else { return };
    let text = required_var("NUTSHELL_TOKEN");
    let (keysets, keyset) = nutshell.keysets().await;
    let ids: Vec<Id> = keysets.iter().map(|k| k.id).collect();

    let token = Token::decode(&text).unwrap_or_else(|e| panic!("our decoder refuses Nutshell's token: {e}\n{text}"));
    assert!(text.trim().starts_with("cashuB"));
    assert_eq!(token.mint_url().unwrap(), nutshell.base);
    assert_eq!(token.unit(), CurrencyUnit::Sat);
    assert_eq!(token.value().unwrap(), Amount::from_u64(16));
    let proofs = token.proofs(&ids).unwrap_or_else(|e| panic!("keyset ids of {:?}: {e}", token.keyset_ids()));
    for proof in &proofs {
        assert!(ids.contains(&proof.keyset_id));
        if proof.dleq.is_some() {
            let keys = &keysets.iter().find(|k| k.id == proof.keyset_id).unwrap().keys;
            proof.verify_dleq(keys).unwrap();
        }
    }
    assert_eq!(nutshell.states(&proofs).await, vec![State::Unspent; proofs.len()]);

    let fee = fee(&keysets, &proofs);
    let received = nutshell.swap(&keyset, &proofs, &amounts(16 - fee)).await.unwrap();
    assert_eq!(total(&received), 16 - fee);
    assert_eq!(nutshell.states(&proofs).await, vec![State::Spent; proofs.len()]);
}

#[tokio::test]
async fn our_nut13_derivation_restores_the_nutshell_wallet() {
    let Some(nutshell) = nutshell() else { return };
    let mnemonic = parse_mnemonic(&required_var("NUTSHELL_MNEMONIC")).unwrap();
    let seed = WalletSeed::from_mnemonic(&mnemonic);
    let (keysets, _) = nutshell.keysets().await;

    // The secrets our derivation gives for the first counters of every keyset, blinded as a wallet would.
    let mut derived = Vec::new();
    for keyset in keysets.iter().filter(|k| k.unit == CurrencyUnit::Sat) {
        for counter in 0..50 {
            let (secret, r) = seed.derive(&keyset.id, counter).unwrap();
            let (blinded, r) = dhke::blind_message(secret.as_bytes(), Some(r)).unwrap();
            derived.push((keyset, secret, r, blinded));
        }
    }
    let outputs = derived
        .iter()
        .map(|(keyset, _, _, blinded)| BlindedMessage {
            amount: Amount::from_u64(1), // the mint tells the real amounts
            keyset_id: keyset.id,
            blinded_secret: *blinded,
            witness: None,
        })
        .collect();
    let restored: RestoreResponse = nutshell.post("/v1/restore", &RestoreRequest { outputs }).await.unwrap();
    assert_eq!(restored.outputs.len(), restored.signatures.len());
    // The Nutshell wallet minted and swapped with NUT-13 secrets: the mint knows some of the outputs we
    // derived, which it can only if our derivation equals Nutshell's.
    assert!(restored.signatures.len() >= 2, "Nutshell's mint knows none of the outputs our derivation made");

    let mut proofs = Vec::new();
    for (output, signature) in restored.outputs.iter().zip(&restored.signatures) {
        let (keyset, secret, r, blinded) =
            derived.iter().find(|(_, _, _, blinded)| *blinded == output.blinded_secret).expect("one of ours");
        signature.verify_dleq(&keyset.keys, blinded).unwrap();
        let c = dhke::unblind_message(&signature.c, r, keyset.keys.amount_key(signature.amount).unwrap()).unwrap();
        proofs.push(Proof {
            amount: signature.amount,
            keyset_id: signature.keyset_id,
            secret: secret.clone(),
            c,
            witness: None,
            dleq: None,
        });
    }
    // Each restored note is a real note of that mint: it knows its state.
    let states = nutshell.states(&proofs).await;
    assert_eq!(states.len(), proofs.len());
    assert!(states.contains(&State::Unspent), "the wallet still holds some notes: {states:?}");
}

#[tokio::test]
async fn melt_with_nut08_change_at_nutshell() {
    let Some(nutshell) = nutshell() else { return };
    let (keysets, keyset) = nutshell.keysets().await;
    let minted = nutshell.mint(&keyset, &[32, 16, 8, 4, 2, 1, 1]).await;

    // A signed bolt11 invoice for 10 sat from elsewhere (the script makes it with the `bolt11` package): the
    // FakeWallet "pays" it, reserving a lightning fee and charging less, so there is change.
    let invoice = required_var("NUTSHELL_INVOICE");
    let quote: MeltQuoteBolt11Response = nutshell
        .post(
            "/v1/melt/quote/bolt11",
            &MeltQuoteBolt11Request { request: invoice, unit: CurrencyUnit::Sat, options: None },
        )
        .await
        .unwrap();
    assert_eq!(quote.amount, Amount::from_u64(10));
    assert_eq!(quote.state, MeltQuoteState::Unpaid);
    let raw: serde_json::Value = nutshell.get(&format!("/v1/melt/quote/bolt11/{}", quote.quote)).await;
    let checked: MeltQuoteBolt11Response = serde_json::from_value(raw.clone())
        .unwrap_or_else(|e| panic!("our MeltQuoteBolt11Response refuses Nutshell's GET melt quote body: {e}\n{raw}"));
    assert_eq!(checked.quote, quote.quote);

    // Inputs worth exactly amount + fee reserve + their own input fee, made by a swap.
    let reserve = quote.fee_reserve.to_u64();
    let ppk = keyset.input_fee_ppk;
    let mut needed = 10 + reserve;
    while amounts(needed).len() as u64 * ppk > (needed - 10 - reserve) * 1000 {
        needed += 1;
    }
    let swap_fee = fee(&keysets, &minted);
    let mut outputs = amounts(needed);
    let pay_count = outputs.len();
    outputs.extend(amounts(64 - swap_fee - needed));
    let swapped = nutshell.swap(&keyset, &minted, &outputs).await.unwrap();
    let inputs = swapped[..pay_count].to_vec();
    assert_eq!(total(&inputs), needed);
    let input_fee = fee(&keysets, &inputs);
    assert_eq!(needed, 10 + reserve + input_fee);

    // NUT-08: blank outputs for the change of an overpaid fee reserve.
    let blanks = reserve.max(1).ilog2() as usize + 1;
    let pending = TestMint::outputs(&keyset, &vec![1; blanks]);
    let melt = MeltRequest {
        quote: quote.quote.clone(),
        inputs: inputs.clone(),
        outputs: Some(pending.outputs.clone()),
        prefer_async: false,
    };
    let paid: MeltQuoteBolt11Response = nutshell.post("/v1/melt/bolt11", &melt).await.unwrap();
    assert_eq!(paid.state, MeltQuoteState::Paid);
    assert_eq!(nutshell.states(&inputs).await, vec![State::Spent; inputs.len()]);

    // The change: signatures on some of the blank outputs, amounts chosen by the mint, each with a DLEQ proof.
    let change = paid.change.unwrap_or_default();
    assert!(change.len() <= blanks);
    let mut change_total = 0;
    for (signature, (output, (_, r))) in change.iter().zip(pending.outputs.iter().zip(&pending.secrets)) {
        signature.verify_dleq(&keyset.keys, &output.blinded_secret).unwrap();
        dhke::unblind_message(&signature.c, r, keyset.keys.amount_key(signature.amount).unwrap()).unwrap();
        change_total += signature.amount.to_u64();
    }
    assert!(change_total <= reserve, "change {change_total} exceeds the fee reserve {reserve}");
    // The FakeWallet reserves at least 2 sat and charges 1.
    assert!(reserve < 2 || change_total > 0, "no change for an overpaid fee reserve of {reserve}");
    let again: MeltQuoteBolt11Response = nutshell.get(&format!("/v1/melt/quote/bolt11/{}", quote.quote)).await;
    assert_eq!(again.state, MeltQuoteState::Paid);
}
