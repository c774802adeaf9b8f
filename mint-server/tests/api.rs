//! The Cashu API over real HTTP against a real database (SQLite and PostgreSQL): every endpoint, the
//! first-presentation rule under concurrency, the refusals with their Cashu error codes, NUT-19 retries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::wallet::TestMint;
use mint_server::mint::MintSettings;
use mint_server::store::MintStore;
use shared::nuts::{
    CheckStateRequest, CheckStateResponse, ErrorCode, KeysResponse, KeysetResponse, MeltQuoteBolt11Request,
    MeltQuoteBolt11Response, MeltQuoteState, MeltRequest, MintInfo, MintQuoteBolt11Request, MintQuoteBolt11Response,
    MintQuoteState, MintRequest, MintResponse, RestoreRequest, RestoreResponse, State, SwapRequest, SwapResponse,
};
use shared::{Amount, CurrencyUnit, Proof};

fn quote_request(amount: u64) -> MintQuoteBolt11Request {
    MintQuoteBolt11Request {
        amount: Amount::from_u64(amount),
        unit: CurrencyUnit::Sat,
        description: None,
        pubkey: None,
    }
}

fn code_of(error: shared::nuts::ErrorResponse) -> ErrorCode {
    error.code
}

async fn keys_and_keysets(store: Arc<dyn MintStore>) {
    let mint = TestMint::start(store, MintSettings::default()).await;
    let keys: KeysResponse = mint.get("/v1/keys").await.unwrap();
    assert_eq!(keys.keysets.len(), 1);
    let keyset = &keys.keysets[0];
    keyset.verify_id().unwrap();
    assert_eq!(keyset.keys.len(), 32);
    let infos: KeysetResponse = mint.get("/v1/keysets").await.unwrap();
    assert_eq!(infos.keysets, vec![keyset.info()]);
    let one: KeysResponse = mint.get(&format!("/v1/keys/{}", keyset.id)).await.unwrap();
    assert_eq!(one.keysets[0], *keyset);
    let unknown = format!("01{}", "ab".repeat(32));
    assert_eq!(
        code_of(mint.get::<KeysResponse>(&format!("/v1/keys/{unknown}")).await.unwrap_err()),
        ErrorCode::KeysetNotFound
    );
    assert_eq!(code_of(mint.get::<KeysResponse>("/v1/keys/not-an-id").await.unwrap_err()), ErrorCode::KeysetNotFound);
    // The info document now claims what is implemented.
    let info: MintInfo = mint.get("/v1/info").await.unwrap();
    assert!(info.nuts.nut07.supported && info.nuts.nut09.supported && info.nuts.nut12.supported);
    let methods: Vec<&str> = info.nuts.nut04.methods.iter().map(|m| m.method.as_str()).collect();
    assert_eq!(methods, ["bank", "bolt11"]);
    assert!(info.nuts.nut19.unwrap().cached_endpoints.iter().any(|e| e.path == "/v1/swap"));
}

async fn mint_via_fake_bolt11(store: Arc<dyn MintStore>) {
    let mint = TestMint::start(store, MintSettings::default()).await;
    let keyset = mint.keyset().await;
    let quote: MintQuoteBolt11Response = mint.post("/v1/mint/quote/bolt11", &quote_request(13)).await.unwrap();
    assert_eq!(quote.state, MintQuoteState::Paid);
    assert_eq!(quote.amount, Some(Amount::from_u64(13)));
    let polled: MintQuoteBolt11Response = mint.get(&format!("/v1/mint/quote/bolt11/{}", quote.quote)).await.unwrap();
    assert_eq!(polled, quote);
    // Outputs must add up to the quote.
    let wrong = TestMint::outputs(&keyset, &[8, 4]);
    let request = MintRequest { quote: quote.quote.clone(), outputs: wrong.outputs, signature: None };
    assert_eq!(
        code_of(mint.post::<_, MintResponse>("/v1/mint/bolt11", &request).await.unwrap_err()),
        ErrorCode::TransactionUnbalanced
    );
    let pending = TestMint::outputs(&keyset, &[1, 4, 8]);
    let request = MintRequest { quote: quote.quote.clone(), outputs: pending.outputs.clone(), signature: None };
    let response: MintResponse = mint.post("/v1/mint/bolt11", &request).await.unwrap();
    let proofs = TestMint::unblind(&keyset, &pending, &response.signatures);
    assert_eq!(proofs.len(), 3);
    // NUT-19: the identical request gets the identical answer, and no second issuance.
    let again: MintResponse = mint.post("/v1/mint/bolt11", &request).await.unwrap();
    assert_eq!(again, response);
    // Other outputs on the same quote: already issued.
    let other = TestMint::outputs(&keyset, &[1, 4, 8]);
    let request = MintRequest { quote: quote.quote.clone(), outputs: other.outputs, signature: None };
    assert_eq!(
        code_of(mint.post::<_, MintResponse>("/v1/mint/bolt11", &request).await.unwrap_err()),
        ErrorCode::TokensAlreadyIssued
    );
    let issued: MintQuoteBolt11Response = mint.get(&format!("/v1/mint/quote/bolt11/{}", quote.quote)).await.unwrap();
    assert_eq!(issued.state, MintQuoteState::Issued);
    // Limits and unknowns.
    assert_eq!(
        code_of(mint.post::<_, MintQuoteBolt11Response>("/v1/mint/quote/bolt11", &quote_request(0)).await.unwrap_err()),
        ErrorCode::AmountOutofLimitRange
    );
    let usd = MintQuoteBolt11Request { unit: CurrencyUnit::Usd, ..quote_request(5) };
    assert_eq!(
        code_of(mint.post::<_, MintQuoteBolt11Response>("/v1/mint/quote/bolt11", &usd).await.unwrap_err()),
        ErrorCode::UnsupportedUnit
    );
    assert!(mint.get::<MintQuoteBolt11Response>("/v1/mint/quote/bolt11/nope").await.is_err());
    assert!(mint.post::<_, MintQuoteBolt11Response>("/v1/mint/quote/bolt12", &quote_request(5)).await.is_err());
}

async fn swap_and_double_spend(store: Arc<dyn MintStore>) {
    let mint = TestMint::start(store, MintSettings::default()).await;
    let notes = mint.mint_notes(&[8, 2]).await;
    let swapped = mint.swap(notes.clone(), &[2, 4, 4]).await.unwrap();
    assert_eq!(swapped.iter().map(|p| p.amount.to_u64()).sum::<u64>(), 10);
    // The same notes again: already spent.
    assert_eq!(code_of(mint.swap(notes.clone(), &[2, 8]).await.unwrap_err()), ErrorCode::TokenAlreadySpent);
    // One spent note among fresh ones spoils the whole request, and the fresh ones stay unspent.
    let fresh = mint.mint_notes(&[1]).await;
    let mixed = vec![fresh[0].clone(), notes[0].clone()];
    assert_eq!(code_of(mint.swap(mixed, &[1, 8]).await.unwrap_err()), ErrorCode::TokenAlreadySpent);
    let states: CheckStateResponse = mint
        .post("/v1/checkstate", &CheckStateRequest { ys: vec![fresh[0].y().unwrap(), notes[0].y().unwrap()] })
        .await
        .unwrap();
    assert_eq!(states.states.iter().map(|s| s.state).collect::<Vec<_>>(), vec![State::Unspent, State::Spent]);
    assert_eq!(states.states[0].y, fresh[0].y().unwrap());
    mint.swap(fresh, &[1]).await.unwrap();
}

async fn concurrent_presentations(store: Arc<dyn MintStore>) {
    let mint = Arc::new(TestMint::start(store, MintSettings::default()).await);
    let note = mint.mint_notes(&[4]).await;
    let keyset = mint.keyset().await;
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let mint = Arc::clone(&mint);
            let outputs = TestMint::outputs(&keyset, &[4]).outputs;
            let request = SwapRequest { inputs: note.clone(), outputs };
            tokio::spawn(async move { mint.post::<_, SwapResponse>("/v1/swap", &request).await })
        })
        .collect();
    let mut successes = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => successes += 1,
            Err(error) => assert!(
                matches!(error.code, ErrorCode::TokenAlreadySpent | ErrorCode::TokenPending),
                "unexpected {error:?}"
            ),
        }
    }
    assert_eq!(successes, 1, "exactly one of 200 concurrent presentations may succeed");
}

async fn identical_retries_are_idempotent(store: Arc<dyn MintStore>) {
    let mint = Arc::new(TestMint::start(store, MintSettings::default()).await);
    let notes = mint.mint_notes(&[16]).await;
    let keyset = mint.keyset().await;
    let request = SwapRequest { inputs: notes, outputs: TestMint::outputs(&keyset, &[8, 8]).outputs };
    let body = serde_json::to_vec(&request).unwrap();
    // Ten identical requests at once (a wallet retrying over a flaky network): all get the same answer.
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let mint = Arc::clone(&mint);
            let body = body.clone();
            tokio::spawn(async move {
                let response = mint
                    .client
                    .post(mint.url("/v1/swap"))
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                (response.status(), response.text().await.unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        let (status, text) = task.await.unwrap();
        assert_eq!(status, 200, "{text}");
        answers.push(serde_json::from_str::<SwapResponse>(&text).unwrap());
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
}

/// NUT-19 with a TTL: advertised in the info, retries answered from the cache until the entry expires and
/// is evicted; afterwards a retry is an ordinary request again (here a mint request: its quote is issued).
/// A swap caches no response: its retry is recognised by its inputs, spent under its own request key, so
/// it is answered after the TTL as well.
async fn cached_responses_expire(store: Arc<dyn MintStore>) {
    let settings = MintSettings { response_cache_ttl_secs: Some(1), ..MintSettings::default() };
    let mint = TestMint::start(store, settings).await;
    let info: MintInfo = mint.get("/v1/info").await.unwrap();
    assert_eq!(info.nuts.nut19.unwrap().ttl, Some(1));
    let keyset = mint.keyset().await;
    let quote: MintQuoteBolt11Response = mint
        .post(
            "/v1/mint/quote/bolt11",
            &MintQuoteBolt11Request {
                amount: Amount::from_u64(4),
                unit: CurrencyUnit::Sat,
                description: None,
                pubkey: None,
            },
        )
        .await
        .unwrap();
    let minting =
        MintRequest { quote: quote.quote, outputs: TestMint::outputs(&keyset, &[4]).outputs, signature: None };
    let minted: MintResponse = mint.post("/v1/mint/bolt11", &minting).await.unwrap();

    let notes = mint.mint_notes(&[4]).await;
    let swap = SwapRequest { inputs: notes, outputs: TestMint::outputs(&keyset, &[4]).outputs };
    let swapped: SwapResponse = mint.post("/v1/swap", &swap).await.unwrap();
    // Within the TTL an eviction keeps the cached response, and the retries get the same answers.
    assert_eq!(mint.mint.evict_expired_responses().await.unwrap(), 0);
    assert_eq!(mint.post::<_, MintResponse>("/v1/mint/bolt11", &minting).await.unwrap(), minted);
    assert_eq!(mint.post::<_, SwapResponse>("/v1/swap", &swap).await.unwrap(), swapped);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert!(mint.mint.evict_expired_responses().await.unwrap() >= 1);
    assert_eq!(
        code_of(mint.post::<_, MintResponse>("/v1/mint/bolt11", &minting).await.unwrap_err()),
        ErrorCode::TokensAlreadyIssued
    );
    assert_eq!(mint.post::<_, SwapResponse>("/v1/swap", &swap).await.unwrap(), swapped);
    // The same inputs with other outputs are a different request: refused.
    let other = SwapRequest { inputs: swap.inputs.clone(), outputs: TestMint::outputs(&keyset, &[4]).outputs };
    assert_eq!(
        code_of(mint.post::<_, SwapResponse>("/v1/swap", &other).await.unwrap_err()),
        ErrorCode::TokenAlreadySpent
    );
}

async fn refusals(store: Arc<dyn MintStore>) {
    let settings = MintSettings { max_inputs: 5, max_outputs: 5, ..MintSettings::default() };
    let mint = TestMint::start(store, settings).await;
    let keyset = mint.keyset().await;
    let notes = mint.mint_notes(&[1, 2, 4, 8]).await;
    let swap_err = |inputs: Vec<Proof>, outputs| SwapRequest { inputs, outputs };
    let post = |request: SwapRequest| {
        let mint = &mint;
        async move { code_of(mint.post::<_, SwapResponse>("/v1/swap", &request).await.unwrap_err()) }
    };
    // Unbalanced, both ways.
    assert_eq!(
        post(swap_err(notes[..2].to_vec(), TestMint::outputs(&keyset, &[4]).outputs)).await,
        ErrorCode::TransactionUnbalanced
    );
    assert_eq!(
        post(swap_err(notes[..2].to_vec(), TestMint::outputs(&keyset, &[1]).outputs)).await,
        ErrorCode::TransactionUnbalanced
    );
    // Duplicates.
    assert_eq!(
        post(swap_err(vec![notes[0].clone(), notes[0].clone()], TestMint::outputs(&keyset, &[2]).outputs)).await,
        ErrorCode::DuplicateInputs
    );
    let mut twice = TestMint::outputs(&keyset, &[1]).outputs;
    twice.push(twice[0].clone());
    assert_eq!(post(swap_err(vec![notes[1].clone()], twice)).await, ErrorCode::DuplicateOutputs);
    // Limits.
    assert_eq!(
        post(swap_err(notes.clone(), TestMint::outputs(&keyset, &[1; 6]).outputs)).await,
        ErrorCode::MaxOutputsExceeded
    );
    let six: Vec<Proof> = std::iter::repeat_n(notes[0].clone(), 6).collect();
    assert_eq!(post(swap_err(six, vec![])).await, ErrorCode::MaxInputsExceeded);
    // A forged signature.
    let mut forged = notes[0].clone();
    forged.c = notes[1].c;
    assert_eq!(
        post(swap_err(vec![forged], TestMint::outputs(&keyset, &[1]).outputs)).await,
        ErrorCode::TokenNotVerified
    );
    // An amount the keyset does not sign, and an overflowing sum.
    assert_eq!(
        post(swap_err(vec![notes[0].clone()], TestMint::outputs(&keyset, &[3]).outputs)).await,
        ErrorCode::AmountOutofLimitRange
    );
    let huge = TestMint::outputs(&keyset, &[1 << 31; 4]).outputs;
    assert!(matches!(
        post(swap_err(vec![notes[0].clone()], huge)).await,
        ErrorCode::TransactionUnbalanced | ErrorCode::AmountOutofLimitRange
    ));
    // Unknown keyset.
    let mut unknown = TestMint::outputs(&keyset, &[1]).outputs;
    unknown[0].keyset_id = format!("01{}", "cd".repeat(32)).parse().unwrap();
    assert_eq!(post(swap_err(vec![notes[0].clone()], unknown)).await, ErrorCode::KeysetNotFound);
    // Malformed bodies get a Cashu error body too.
    let response = mint
        .client
        .post(mint.url("/v1/swap"))
        .header("content-type", "application/json")
        .body("{\"inputs\": 5")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: shared::nuts::ErrorResponse = response.json().await.unwrap();
    assert!(body.detail.contains("invalid request body"), "{}", body.detail);
    let bad_point =
        format!(r#"{{"inputs":[],"outputs":[{{"amount":1,"id":"{}","B_":"02{}"}}]}}"#, keyset.id, "00".repeat(32));
    let response = mint.client.post(mint.url("/v1/swap")).body(bad_point).send().await.unwrap();
    assert_eq!(response.status(), 400);
    // Nothing above spent anything.
    let ys = notes.iter().map(|p| p.y().unwrap()).collect();
    let states: CheckStateResponse = mint.post("/v1/checkstate", &CheckStateRequest { ys }).await.unwrap();
    assert!(states.states.iter().all(|s| s.state == State::Unspent));
}

async fn rotation_and_fees(store: Arc<dyn MintStore>) {
    let mint = TestMint::start(store, MintSettings::default()).await;
    let old_keyset = mint.keyset().await;
    let notes = mint.mint_notes(&[1, 2, 4]).await;
    mint.mint.rotate_keyset(CurrencyUnit::Sat, 100).await.unwrap();
    let new_keyset = mint.keyset().await;
    assert_ne!(new_keyset.id, old_keyset.id);
    assert_eq!(new_keyset.input_fee_ppk, 100);
    let infos: KeysetResponse = mint.get("/v1/keysets").await.unwrap();
    assert_eq!(infos.keysets.iter().filter(|k| k.active).count(), 1);
    // The old keyset no longer signs...
    let old_outputs = TestMint::outputs(&old_keyset, &[1]).outputs;
    let request = SwapRequest { inputs: vec![notes[0].clone()], outputs: old_outputs };
    assert_eq!(
        code_of(mint.post::<_, SwapResponse>("/v1/swap", &request).await.unwrap_err()),
        ErrorCode::KeysetInactive
    );
    // ...but its notes are still redeemable (old keyset charges no fee).
    let new_notes = mint.swap(notes, &[1, 2, 4]).await.unwrap();
    // Spending 3 notes of the new keyset costs ceil(300/1000) = 1.
    assert_eq!(code_of(mint.swap(new_notes.clone(), &[1, 2, 4]).await.unwrap_err()), ErrorCode::TransactionUnbalanced);
    let after_fee = mint.swap(new_notes, &[2, 4]).await.unwrap();
    assert_eq!(after_fee.len(), 2);
}

async fn checkstate_and_restore(store: Arc<dyn MintStore>) {
    let mint = TestMint::start(store, MintSettings::default()).await;
    let keyset = mint.keyset().await;
    let quote: MintQuoteBolt11Response = mint.post("/v1/mint/quote/bolt11", &quote_request(6)).await.unwrap();
    let pending = TestMint::outputs(&keyset, &[2, 4]);
    let _: MintResponse = mint
        .post("/v1/mint/bolt11", &MintRequest { quote: quote.quote, outputs: pending.outputs.clone(), signature: None })
        .await
        .unwrap();
    // Lost the response? Restore returns the signatures for known outputs only, in request order.
    let unknown = TestMint::outputs(&keyset, &[8]).outputs;
    let outputs = vec![pending.outputs[1].clone(), unknown[0].clone(), pending.outputs[0].clone()];
    let restored: RestoreResponse = mint.post("/v1/restore", &RestoreRequest { outputs }).await.unwrap();
    assert_eq!(restored.outputs, vec![pending.outputs[1].clone(), pending.outputs[0].clone()]);
    let reordered = common::wallet::Pending {
        outputs: restored.outputs.clone(),
        secrets: vec![pending.secrets[1].clone(), pending.secrets[0].clone()],
    };
    let proofs = TestMint::unblind(&keyset, &reordered, &restored.signatures);
    mint.swap(proofs, &[2, 4]).await.unwrap();
}

async fn melt_via_fake_bolt11(store: Arc<dyn MintStore>) {
    let mint = TestMint::start(store, MintSettings::default()).await;
    let notes = mint.mint_notes(&[8, 2]).await;
    let invoice = "lnbc100n1pfakeinvoicefortests";
    let quote: MeltQuoteBolt11Response = mint
        .post(
            "/v1/melt/quote/bolt11",
            &MeltQuoteBolt11Request { request: invoice.into(), unit: CurrencyUnit::Sat, options: None },
        )
        .await
        .unwrap();
    assert_eq!(quote.amount, Amount::from_u64(10));
    assert_eq!(quote.state, MeltQuoteState::Unpaid);
    // Too little.
    let short =
        MeltRequest { quote: quote.quote.clone(), inputs: vec![notes[0].clone()], outputs: None, prefer_async: false };
    assert_eq!(
        code_of(mint.post::<_, MeltQuoteBolt11Response>("/v1/melt/bolt11", &short).await.unwrap_err()),
        ErrorCode::TransactionUnbalanced
    );
    let request = MeltRequest { quote: quote.quote.clone(), inputs: notes.clone(), outputs: None, prefer_async: false };
    let paid: MeltQuoteBolt11Response = mint.post("/v1/melt/bolt11", &request).await.unwrap();
    assert_eq!(paid.state, MeltQuoteState::Paid);
    assert!(paid.payment_preimage.is_some());
    // Retried: same answer; the inputs are spent; the quote is paid.
    let again: MeltQuoteBolt11Response = mint.post("/v1/melt/bolt11", &request).await.unwrap();
    assert_eq!(again, paid);
    assert_eq!(code_of(mint.swap(notes, &[8, 2]).await.unwrap_err()), ErrorCode::TokenAlreadySpent);
    let polled: MeltQuoteBolt11Response = mint.get(&format!("/v1/melt/quote/bolt11/{}", quote.quote)).await.unwrap();
    assert_eq!(polled.state, MeltQuoteState::Paid);
    let bad = MeltQuoteBolt11Request { request: "not an invoice".into(), unit: CurrencyUnit::Sat, options: None };
    assert!(mint.post::<_, MeltQuoteBolt11Response>("/v1/melt/quote/bolt11", &bad).await.is_err());
}

async fn interrupted_melts_are_finished_at_restart(store: Arc<dyn MintStore>) {
    use mint_server::store::Commit;
    let mint = TestMint::start(Arc::clone(&store), MintSettings::default()).await;
    let notes = mint.mint_notes(&[4]).await;
    // A melt that crashed after holding its input: quote PENDING, input PENDING.
    let quote: MeltQuoteBolt11Response = mint
        .post(
            "/v1/melt/quote/bolt11",
            &MeltQuoteBolt11Request { request: "lnbc40n1pcrash".into(), unit: CurrencyUnit::Sat, options: None },
        )
        .await
        .unwrap();
    let y = notes[0].y().unwrap();
    store
        .commit(&Commit::MeltStart {
            quote_id: quote.quote.clone(),
            inputs: vec![(y, notes[0].clone())],
            change: None,
            request: None,
        })
        .await
        .unwrap();
    let states: CheckStateResponse = mint.post("/v1/checkstate", &CheckStateRequest { ys: vec![y] }).await.unwrap();
    assert_eq!(states.states[0].state, State::Pending);
    assert_eq!(code_of(mint.swap(notes.clone(), &[4]).await.unwrap_err()), ErrorCode::TokenPending);
    // The restart finishes it: the fake backend pays, the input is spent, the quote paid.
    assert_eq!(mint.mint.recover_pending_melts().await.unwrap(), 1);
    let states: CheckStateResponse = mint.post("/v1/checkstate", &CheckStateRequest { ys: vec![y] }).await.unwrap();
    assert_eq!(states.states[0].state, State::Spent);
    let polled: MeltQuoteBolt11Response = mint.get(&format!("/v1/melt/quote/bolt11/{}", quote.quote)).await.unwrap();
    assert_eq!(polled.state, MeltQuoteState::Paid);
    assert_eq!(mint.mint.recover_pending_melts().await.unwrap(), 0);
}

macro_rules! api_tests {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $name() {
                        #[allow(unused_variables)]
                        let (store, guard) = $make;
                        super::$name(store).await;
                    }
                };
            }

            case!(keys_and_keysets);
            case!(mint_via_fake_bolt11);
            case!(swap_and_double_spend);
            case!(concurrent_presentations);
            case!(identical_retries_are_idempotent);
            case!(refusals);
            case!(cached_responses_expire);
            case!(rotation_and_fees);
            case!(checkstate_and_restore);
            case!(melt_via_fake_bolt11);
            case!(interrupted_melts_are_finished_at_restart);
        }
    };
}

api_tests!(sqlite, common::sqlite_store().await);
api_tests!(postgres, (common::postgres_store().await, ()));
