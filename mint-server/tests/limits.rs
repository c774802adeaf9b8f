//! Work in proportion to what is paid for, over HTTP on real databases: secrets and witnesses are bounded
//! and refused before any cryptography or storage; unbalanced requests are refused before their signatures
//! are checked; the retry of a swap that committed gets its answer even after a keyset rotation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::wallet::{Pending, TestMint};
use mint_server::mint::MintSettings;
use mint_server::store::MintStore;
use shared::nuts::{
    CheckStateRequest, CheckStateResponse, ErrorCode, ErrorResponse, MintQuoteBolt11Request, MintQuoteBolt11Response,
    MintRequest, MintResponse, State, SwapRequest,
};
use shared::{Amount, BlindedMessage, CurrencyUnit, KeySet, Proof, Secret, dhke};

const TOKEN: [u8; 32] = [0x5a; 32];

/// POST these exact bytes; the status and the body's text.
async fn post_raw(mint: &TestMint, path: &str, body: &str) -> (u16, String) {
    let response = mint
        .client
        .post(mint.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn error(status: u16, body: &str) -> ErrorResponse {
    assert_eq!(status, 400, "{body}");
    serde_json::from_str(body).unwrap()
}

/// Outputs whose secrets are these texts.
fn outputs_with(keyset: &KeySet, amount: u64, secrets: &[String]) -> Pending {
    let mut pending = Pending { outputs: Vec::new(), secrets: Vec::new() };
    for text in secrets {
        let secret = Secret::new(text.clone());
        let (blinded_secret, r) = dhke::blind_message(secret.as_bytes(), None).unwrap();
        pending.outputs.push(BlindedMessage {
            amount: Amount::from_u64(amount),
            keyset_id: keyset.id,
            blinded_secret,
            witness: None,
        });
        pending.secrets.push((secret, r));
    }
    pending
}

/// Notes of `amount` each, with these secrets, minted through the fake bolt11 backend.
async fn mint_with_secrets(mint: &TestMint, amount: u64, secrets: &[String]) -> Vec<Proof> {
    let keyset = mint.keyset().await;
    let total = amount * secrets.len() as u64;
    let quote_request = MintQuoteBolt11Request {
        amount: Amount::from_u64(total),
        unit: CurrencyUnit::Sat,
        description: None,
        pubkey: None,
    };
    let quote: MintQuoteBolt11Response = mint.post("/v1/mint/quote/bolt11", &quote_request).await.unwrap();
    let pending = outputs_with(&keyset, amount, secrets);
    let request = MintRequest { quote: quote.quote, outputs: pending.outputs.clone(), signature: None };
    let response: MintResponse = mint.post("/v1/mint/bolt11", &request).await.unwrap();
    TestMint::unblind(&keyset, &pending, &response.signatures)
}

async fn state_of(mint: &TestMint, note: &Proof) -> State {
    let request = CheckStateRequest { ys: vec![note.y().unwrap()] };
    let response: CheckStateResponse = mint.post("/v1/checkstate", &request).await.unwrap();
    response.states[0].state
}

/// A swap of a 4-sat note carrying a 900 KB witness is refused with 11000 and stores nothing; a secret over
/// the limit is refused; a secret and a witness exactly at the limits are accepted.
async fn secrets_and_witnesses_are_bounded(store: Arc<dyn MintStore>) {
    let mint = TestMint::start(store, MintSettings::default()).await;
    let keyset = mint.keyset().await;
    let (max_secret, max_witness) = (MintSettings::DEFAULT_MAX_SECRET_LEN, MintSettings::DEFAULT_MAX_WITNESS_LEN);
    assert_eq!((max_secret, max_witness), (512, 1024));

    let mut note = mint.mint_notes(&[4]).await.remove(0);
    note.witness = Some("w".repeat(900 * 1024));
    let body = serde_json::to_string(&SwapRequest {
        inputs: vec![note.clone()],
        outputs: TestMint::outputs(&keyset, &[4]).outputs,
    })
    .unwrap();
    let (status, text) = post_raw(&mint, "/v1/swap", &body).await;
    let refused = error(status, &text);
    assert_eq!(refused.code, ErrorCode::from_code(11000));
    assert_eq!(refused.detail, "input witness data too long. max: 1024");
    assert_eq!(state_of(&mint, &note).await, State::Unspent);

    // A witness on an output is bounded too.
    note.witness = None;
    let mut outputs = TestMint::outputs(&keyset, &[4]).outputs;
    outputs[0].witness = Some("w".repeat(max_witness + 1));
    let request = SwapRequest { inputs: vec![note.clone()], outputs };
    let refused = mint.post::<_, serde_json::Value>("/v1/swap", &request).await.unwrap_err();
    assert_eq!((refused.code.to_code(), refused.detail.as_str()), (11000, "output witness data too long. max: 1024"));

    // Secrets: one byte over the limit is refused (the mint signed it, so only the length can refuse it),
    // exactly at the limit is accepted, with a witness exactly at its limit.
    let over = mint_with_secrets(&mint, 2, &["s".repeat(max_secret + 1)]).await;
    let refused = mint.swap(over.clone(), &[2]).await.unwrap_err();
    assert_eq!((refused.code.to_code(), refused.detail), (11000, format!("secret too long. max: {max_secret}")));
    assert_eq!(state_of(&mint, &over[0]).await, State::Unspent);
    let mut at_limit = mint_with_secrets(&mint, 2, &["t".repeat(max_secret)]).await;
    at_limit[0].witness = Some("w".repeat(max_witness));
    let mut outputs = TestMint::outputs(&keyset, &[2]);
    outputs.outputs[0].witness = Some("v".repeat(max_witness));
    let _: serde_json::Value =
        mint.post("/v1/swap", &SwapRequest { inputs: at_limit.clone(), outputs: outputs.outputs }).await.unwrap();
    assert_eq!(state_of(&mint, &at_limit[0]).await, State::Spent);
}

/// An unbalanced request is refused for its balance, before any signature is verified: forged notes do not
/// buy signature checks.
async fn balance_is_checked_before_signatures(store: Arc<dyn MintStore>) {
    let mint = TestMint::start(store, MintSettings::default()).await;
    let mut forged = mint.mint_notes(&[4]).await;
    forged[0].secret = Secret::new("never signed");
    let refused = mint.swap(forged.clone(), &[8]).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::TransactionUnbalanced, "{}", refused.detail);
    // Balanced, the forgery is found by its signature.
    let refused = mint.swap(forged, &[4]).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::TokenNotVerified, "{}", refused.detail);
}

/// Swap, rotate the keyset through the admin API, retry the identical body: the identical answer. A new
/// swap with outputs of the now inactive keyset is still refused.
async fn a_committed_swap_is_answered_after_a_rotation(store: Arc<dyn MintStore>) {
    let mint = TestMint::start_with_admin_token(store, MintSettings::default(), TOKEN.to_vec()).await;
    let old = mint.keyset().await;
    let notes = mint.mint_notes(&[4, 8]).await;
    let body = serde_json::to_string(&SwapRequest {
        inputs: notes[..1].to_vec(),
        outputs: TestMint::outputs(&old, &[1, 1, 2]).outputs,
    })
    .unwrap();
    let (status, first) = post_raw(&mint, "/v1/swap", &body).await;
    assert_eq!(status, 200, "{first}");

    let rotated = mint.client.post(mint.url("/admin/keysets/rotate")).bearer_auth(hex::encode(TOKEN)).send();
    assert_eq!(rotated.await.unwrap().status(), 200);
    assert_ne!(mint.keyset().await.id, old.id);

    let (status, retried) = post_raw(&mint, "/v1/swap", &body).await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried, first);

    // A new request on the inactive keyset: refused, and its input stays unspent.
    let new = SwapRequest { inputs: notes[1..].to_vec(), outputs: TestMint::outputs(&old, &[8]).outputs };
    let refused = mint.post::<_, serde_json::Value>("/v1/swap", &new).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::KeysetInactive);
    assert_eq!(state_of(&mint, &notes[1]).await, State::Unspent);
    // The same inputs as the committed swap with other outputs on the old keyset are no retry either.
    let other = SwapRequest { inputs: notes[..1].to_vec(), outputs: TestMint::outputs(&old, &[4]).outputs };
    let refused = mint.post::<_, serde_json::Value>("/v1/swap", &other).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::KeysetInactive);
}

macro_rules! limit_tests {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn secrets_and_witnesses_are_bounded() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::secrets_and_witnesses_are_bounded(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn balance_is_checked_before_signatures() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::balance_is_checked_before_signatures(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_committed_swap_is_answered_after_a_rotation() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::a_committed_swap_is_answered_after_a_rotation(store).await;
            }
        }
    };
}

limit_tests!(sqlite, common::sqlite_store().await);
limit_tests!(postgres, (common::postgres_store().await, ()));

/// Quote creation is limited per client IP: after the burst a client gets 429 with a Cashu error body and
/// `retry-after`; other clients (another source address) and other endpoints are unaffected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quote_creation_and_bank_payments_are_rate_limited_per_client() {
    use mint_server::routes::limit::RateLimit;
    let (store, _dir) = common::sqlite_store().await;
    let funding = mint_server::funding::FundingRegistry::standard(Arc::clone(&store), true);
    let mint = mint_server::mint::Mint::new(store, vec![7; 32], MintSettings::default(), funding).await.unwrap();
    let info = mint_server::MintInfoSettings { name: "Limited".into(), description: "rate limits".into() };
    let mut state = mint_server::AppState::new(info, "/nonexistent-wallet", Arc::new(mint));
    state.quote_rate_limit = Some(RateLimit { burst: 3, per_minute: 1 });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(mint_server::serve(listener, mint_server::app(state), std::future::pending()));

    let quote = MintQuoteBolt11Request {
        amount: Amount::from_u64(8),
        unit: CurrencyUnit::Sat,
        description: None,
        pubkey: None,
    };
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let response = client.post(format!("{base}/v1/mint/quote/bolt11")).json(&quote).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let refused = client.post(format!("{base}/v1/mint/quote/bolt11")).json(&quote).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().get("retry-after").is_some());
    let body: ErrorResponse = refused.json().await.unwrap();
    assert_eq!(body.code, ErrorCode::RateLimited);
    assert!(body.detail.starts_with("too many requests from this client: retry in "), "{}", body.detail);
    // Melt quotes share the bucket.
    let melt = serde_json::json!({ "request": "lnbc80n1fake", "unit": "sat" });
    let refused = client.post(format!("{base}/v1/melt/quote/bolt11")).json(&melt).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    // Paying a bank quote has a bucket of its own: 3 refusals for a bad signature, then 429.
    let pay = serde_json::json!({ "quote": "q", "account": "a", "signature": "00".repeat(64) });
    for _ in 0..3 {
        let response = client.post(format!("{base}/v1/bank/pay")).json(&pay).send().await.unwrap();
        assert_eq!(response.status(), 400);
    }
    let refused = client.post(format!("{base}/v1/bank/pay")).json(&pay).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().get("retry-after").is_some());
    // Other endpoints are not limited.
    for _ in 0..10 {
        assert_eq!(client.get(format!("{base}/v1/keys")).send().await.unwrap().status(), 200);
    }
    // Another client (another source address) has its own bucket.
    let other = reqwest::Client::builder().local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap()).build();
    let response = other.unwrap().post(format!("{base}/v1/mint/quote/bolt11")).json(&quote).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

/// Counts are checked before any point is decoded: 1001 `Ys` that are not points at all get 11014 (too many
/// inputs), not a parse error about the first bad point; at the limit, the points are parsed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_are_checked_before_points_are_decoded() {
    let (store, _dir) = common::sqlite_store().await;
    let settings = MintSettings { max_inputs: 1000, max_outputs: 1000, ..MintSettings::default() };
    let mint = TestMint::start(store, settings).await;
    let not_points = |n: usize| format!(r#"{{"Ys": [{}]}}"#, vec![format!("\"{}\"", "00".repeat(33)); n].join(","));
    let (status, text) = post_raw(&mint, "/v1/checkstate", &not_points(1001)).await;
    assert_eq!(error(status, &text).code, ErrorCode::MaxInputsExceeded, "{text}");
    let (status, text) = post_raw(&mint, "/v1/checkstate", &not_points(1000)).await;
    assert_eq!(error(status, &text).code, ErrorCode::MalformedRequest, "{text}");
    assert!(text.contains("invalid public key"), "{text}");
    // Outputs of restore and swap, and inputs of swap, likewise.
    let outputs = |n: usize| vec![r#"{"amount":1,"id":"00","B_":"00"}"#; n].join(",");
    let (status, text) = post_raw(&mint, "/v1/restore", &format!(r#"{{"outputs": [{}]}}"#, outputs(1001))).await;
    assert_eq!(error(status, &text).code, ErrorCode::MaxOutputsExceeded, "{text}");
    let body = format!(r#"{{"inputs": [{}], "outputs": []}}"#, vec!["{}"; 1001].join(","));
    let (status, text) = post_raw(&mint, "/v1/swap", &body).await;
    assert_eq!(error(status, &text).code, ErrorCode::MaxInputsExceeded, "{text}");
}

/// Request bodies draw on a per-client budget of bytes: past it a client gets 429 with `retry-after`,
/// judged by the declared length before the body is read, or once read for a body sent without a length
/// (chunked); another client, and requests without a body, are unaffected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_draw_on_a_per_client_byte_budget() {
    use mint_server::routes::limit::{BodyBudget, BodyLimiter};
    let (store, _dir) = common::sqlite_store().await;
    let funding = mint_server::funding::FundingRegistry::standard(Arc::clone(&store), true);
    let mint = mint_server::mint::Mint::new(store, vec![7; 32], MintSettings::default(), funding).await.unwrap();
    let info = mint_server::MintInfoSettings { name: "Budget".into(), description: "body budget".into() };
    let mut state = mint_server::AppState::new(info, "/nonexistent-wallet", Arc::new(mint));
    state.max_body_bytes = 64 * 1024;
    state.body_budget = BodyLimiter::new(BodyBudget { kib_per_sec: 1, burst_kib: 64 });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(mint_server::serve(listener, mint_server::app(state), std::future::pending()));

    // About 60 KB of Ys that are not points: within the count limit, refused by the endpoint (400).
    let body = format!(r#"{{"Ys": [{}]}}"#, vec![format!("\"{}\"", "00".repeat(33)); 860].join(","));
    assert!((59_000..64_000).contains(&body.len()), "{}", body.len());
    let client_at =
        |ip: &str| reqwest::Client::builder().local_address(ip.parse::<std::net::IpAddr>().unwrap()).build().unwrap();
    let post = |client: &reqwest::Client| {
        let request = client.post(format!("{base}/v1/checkstate")).header("content-type", "application/json");
        let request = request.body(body.clone());
        async move { request.send().await.unwrap() }
    };
    // The same body, chunked (no content-length), over a raw HTTP/1.1 connection from `ip`; the status.
    let address = listener_address(&base);
    let post_chunked = |ip: &'static str| {
        let body = body.clone();
        async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
            let mut stream = socket.connect(address).await.unwrap();
            let head = format!(
                "POST /v1/checkstate HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n\
                 transfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            stream.write_all(body.as_bytes()).await.unwrap();
            stream.write_all(b"\r\n0\r\n\r\n").await.unwrap();
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await.unwrap();
            let answer = String::from_utf8_lossy(&answer);
            answer.split(' ').nth(1).unwrap().parse::<u16>().unwrap()
        }
    };

    let first = client_at("127.0.0.1");
    assert_eq!(post(&first).await.status(), 400);
    let refused = post(&first).await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=64).contains(&wait), "{wait}");
    let error: ErrorResponse = refused.json().await.unwrap();
    assert!(error.detail.starts_with("too many requests from this client"), "{}", error.detail);
    // A request without a body costs nothing.
    assert_eq!(first.get(format!("{base}/v1/keys")).send().await.unwrap().status(), 200);

    // Another client has its own budget.
    assert_eq!(post(&client_at("127.0.0.2")).await.status(), 400);

    // Sent without a length: read, then drawn.
    assert_eq!(post_chunked("127.0.0.3").await, 400);
    assert_eq!(post_chunked("127.0.0.3").await, 429);
}

fn listener_address(base: &str) -> std::net::SocketAddr {
    base.trim_start_matches("http://").parse().unwrap()
}
