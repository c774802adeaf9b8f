//! `offline-cheater` (used by `e2e/offline.test.mjs`): a scripted double spender of offline coins, written
//! with `shared` alone, outside the wallet. Against a running mint it opens a bank account (with the
//! operator's admin token), credits it, registers an offline identity, locks a bond, withdraws **one** coin
//! and answers every payment request given on the command line (as text, `offlinereq1…`) with that same
//! coin. It prints one payment text (`offlinepay1…`, `docs/offline-coins.md`, "Text forms") per request on
//! stdout, in order, and a JSON line with its account, its identity and `read` (the query authorizing a read
//! of its account, `ReadAuth`, valid for 2 minutes) on stderr, so that the test can check that the mint
//! identifies exactly this payer and blocks it.

use std::path::PathBuf;

use anyhow::{Context, bail, ensure};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Parser;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::SecretKey;
use shared::nuts::bank::AccountInfo;
use shared::offline::api::{
    AccountResponse, BondRequest, KeysetsResponse, ReadAuth, RegisterRequest, SessionRequest, SessionResponseBody,
    WithdrawRequest, WithdrawalTranscript,
};
use shared::offline::auth::{self, op};
use shared::offline::{CoinSecrets, IdentitySecret, PaymentRequest, PendingWithdrawal, SpentCoin};

#[derive(Debug, Parser)]
#[command(name = "offline-cheater", about = "Pays several offline payment requests with one offline coin")]
struct Args {
    /// The mint's URL, e.g. http://127.0.0.1:3338.
    #[arg(long)]
    mint: String,
    /// The mint's admin token file (`<data dir>/admin.token`), to open and credit the cheater's account.
    #[arg(long)]
    admin_token_file: PathBuf,
    /// The coin's value (a power of two); every request must ask for exactly this.
    #[arg(long, default_value_t = 8)]
    amount: u64,
    /// The bond locked (and the offline limit).
    #[arg(long, default_value_t = 8)]
    bond: u64,
    /// The payment requests to pay, as text (`offlinereq1…`).
    #[arg(required = true, num_args = 1..)]
    requests: Vec<String>,
}

/// The payment's text form: `{"request": …, "coins": […]}` (the spec's "Text forms").
#[derive(Serialize)]
struct PaymentMessage<'a> {
    request: &'a PaymentRequest,
    coins: Vec<SpentCoin>,
}

const REQUEST_PREFIX: &str = "offlinereq1";
const PAYMENT_PREFIX: &str = "offlinepay1";

struct Mint {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Mint {
    async fn answer<T: DeserializeOwned>(what: &str, response: reqwest::Response) -> anyhow::Result<T> {
        let status = response.status();
        let text = response.text().await.with_context(|| format!("{what}: reading the answer"))?;
        ensure!(status.is_success(), "{what}: HTTP {status}: {text}");
        serde_json::from_str(&text).with_context(|| format!("{what}: {text}"))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let response = self.client.get(format!("{}{path}", self.base)).send().await.context(path.to_owned())?;
        Self::answer(path, response).await
    }

    async fn post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> anyhow::Result<T> {
        let response =
            self.client.post(format!("{}{path}", self.base)).json(body).send().await.context(path.to_owned())?;
        Self::answer(path, response).await
    }

    async fn admin<T: DeserializeOwned>(&self, path: &str, body: serde_json::Value) -> anyhow::Result<T> {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .context(path.to_owned())?;
        Self::answer(path, response).await
    }
}

fn read_request(text: &str) -> anyhow::Result<PaymentRequest> {
    let body = text.trim().strip_prefix(REQUEST_PREFIX).context("a payment request starts with offlinereq1")?;
    let json = URL_SAFE_NO_PAD.decode(body).context("the request's base64url")?;
    serde_json::from_slice(&json).context("the request's JSON")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let requests: Vec<PaymentRequest> = args.requests.iter().map(|t| read_request(t)).collect::<Result<_, _>>()?;
    for request in &requests {
        ensure!(
            request.amount == args.amount,
            "a request asks for {}, the coin is worth {}",
            request.amount,
            args.amount
        );
    }
    let token = std::fs::read_to_string(&args.admin_token_file)
        .with_context(|| format!("reading {}", args.admin_token_file.display()))?;
    let mint = Mint {
        base: args.mint.trim_end_matches('/').to_owned(),
        token: token.trim().to_owned(),
        client: reqwest::Client::new(),
    };

    // A bank account holding the bond and the coin's value.
    let key = SecretKey::random()?;
    let opened: AccountInfo = mint.admin("/admin/accounts", serde_json::json!({ "pubkey": key.public_key() })).await?;
    let account = opened.id;
    let credit = args.bond.checked_add(args.amount).context("amounts too large")?;
    let _: AccountInfo = mint
        .admin(
            &format!("/admin/accounts/{account}/credit"),
            serde_json::json!({ "amount": credit, "reference": "offline-cheater" }),
        )
        .await?;

    // Register the identity, lock the bond.
    let u1 = IdentitySecret::random()?;
    let identity = u1.identity()?;
    let registration = u1.prove_registration(account.as_bytes())?;
    let signature = auth::sign(&key, op::REGISTER, &[account.as_bytes(), &identity.to_bytes()])?;
    let _: AccountResponse = mint
        .post("/v1/offline/register", &RegisterRequest { account: account.clone(), registration, signature })
        .await?;
    let parts: [&[u8]; 3] = [account.as_bytes(), &args.bond.to_be_bytes(), &args.bond.to_be_bytes()];
    let signature = auth::sign(&key, op::BOND, &parts)?;
    let _: AccountResponse = mint
        .post(
            "/v1/offline/bond",
            &BondRequest { account: account.clone(), bond: args.bond, limit: args.bond, signature },
        )
        .await?;

    // Withdraw one coin of the current keyset.
    let keysets: KeysetsResponse = mint.get("/v1/offline/keysets").await?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    let Some(keyset) = keysets.keysets.into_iter().find(|k| k.valid_from <= now && now < k.valid_until) else {
        bail!("the mint has no current offline keyset");
    };
    // A fresh nonce: the mint answers only this request with it.
    let nonce = SecretKey::random()?.to_bytes();
    let request = SessionRequest::sign(&key, &account, keyset.id, args.amount, nonce)?;
    let session: SessionResponseBody = mint.post("/v1/offline/session", &request).await?;
    let (pending, challenge) = PendingWithdrawal::prepare(&identity, &keyset, &session.start, CoinSecrets::random()?)?;
    let parts: [&[u8]; 3] = [account.as_bytes(), session.session.as_bytes(), &challenge.c0.to_bytes()];
    let signature = auth::sign(&key, op::WITHDRAW, &parts)?;
    let transcript: WithdrawalTranscript = mint
        .post(
            "/v1/offline/withdraw",
            &WithdrawRequest { account: account.clone(), session: session.session.clone(), challenge, signature },
        )
        .await?;
    let coin = pending.finish(&transcript.response)?;

    // The double spend: the same coin answers every request.
    for request in &requests {
        let message = PaymentMessage { request, coins: vec![coin.respond(&u1, request)?] };
        println!("{PAYMENT_PREFIX}{}", URL_SAFE_NO_PAD.encode(serde_json::to_vec(&message)?));
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    let read = ReadAuth::sign(&key, &account, now)?.to_query();
    eprintln!("{}", serde_json::json!({ "account": account, "identity": identity, "read": read }));
    Ok(())
}
