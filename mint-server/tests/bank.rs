//! The bank: operator credits an account (admin API, token required), the holder pays a mint quote from it
//! with the account key's signature, mints, swaps, and melts back into the account. On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::wallet::TestMint;
use mint_server::mint::MintSettings;
use mint_server::store::MintStore;
use shared::nuts::bank::{AccountInfo, BankPayRequest, MeltQuoteBankRequest, Payment, sign_payment};
use shared::nuts::{
    ErrorResponse, MeltQuoteBolt11Response, MeltQuoteState, MeltRequest, MintQuoteBolt11Request,
    MintQuoteBolt11Response, MintQuoteState, MintRequest, MintResponse,
};
use shared::{Amount, CurrencyUnit, SecretKey};

const TOKEN: [u8; 32] = [9; 32];

async fn admin_post<T: serde::de::DeserializeOwned>(
    mint: &TestMint,
    path: &str,
    body: serde_json::Value,
) -> (u16, Result<T, ErrorResponse>) {
    let response = mint.client.post(mint.url(path)).bearer_auth(hex::encode(TOKEN)).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    if status == 200 {
        (status, Ok(serde_json::from_str(&text).unwrap()))
    } else {
        (status, Err(serde_json::from_str(&text).unwrap()))
    }
}

async fn bank_round_trip(store: Arc<dyn MintStore>) {
    let mint = TestMint::start_with_admin_token(store, MintSettings::default(), TOKEN.to_vec()).await;
    // The admin API refuses requests without the token, or with a wrong one.
    let anonymous = mint.client.post(mint.url("/admin/accounts")).json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = mint.client.get(mint.url("/admin/accounts/x")).bearer_auth("00".repeat(32)).send().await.unwrap();
    assert_eq!(wrong.status(), 401);

    let holder = SecretKey::random().unwrap();
    let (_, account) =
        admin_post::<AccountInfo>(&mint, "/admin/accounts", serde_json::json!({ "pubkey": holder.public_key() })).await;
    let account = account.unwrap();
    assert_eq!(account.balance, Amount::ZERO);
    let (_, credited) = admin_post::<AccountInfo>(
        &mint,
        &format!("/admin/accounts/{}/credit", account.id),
        serde_json::json!({ "amount": 100, "reference": "wire 42" }),
    )
    .await;
    assert_eq!(credited.unwrap().balance, Amount::from_u64(100));

    // A bank mint quote is unpaid until the holder pays it.
    let quote: MintQuoteBolt11Response = mint
        .post(
            "/v1/mint/quote/bank",
            &MintQuoteBolt11Request {
                amount: Amount::from_u64(60),
                unit: CurrencyUnit::Sat,
                description: None,
                pubkey: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(quote.state, MintQuoteState::Unpaid);
    let keyset = mint.keyset().await;
    let pending = TestMint::outputs(&keyset, &[4, 8, 16, 32]);
    let mint_request = MintRequest { quote: quote.quote.clone(), outputs: pending.outputs.clone(), signature: None };
    assert_eq!(
        mint.post::<_, MintResponse>("/v1/mint/bank", &mint_request).await.unwrap_err().code,
        shared::nuts::ErrorCode::QuoteNotPaid
    );

    // A signature by another key, or over another quote, does not pay it.
    let stranger = SecretKey::random().unwrap();
    let forged = BankPayRequest {
        quote: quote.quote.clone(),
        account: account.id.clone(),
        signature: mint.pay_signature(&stranger, &quote, &account.id),
    };
    assert!(mint.post::<_, MintQuoteBolt11Response>("/v1/bank/pay", &forged).await.is_err());
    let replayed = BankPayRequest {
        quote: quote.quote.clone(),
        account: account.id.clone(),
        signature: mint.pay_signature(
            &holder,
            &MintQuoteBolt11Response { quote: "another".into(), ..quote.clone() },
            &account.id,
        ),
    };
    assert!(mint.post::<_, MintQuoteBolt11Response>("/v1/bank/pay", &replayed).await.is_err());

    let pay = BankPayRequest {
        quote: quote.quote.clone(),
        account: account.id.clone(),
        signature: mint.pay_signature(&holder, &quote, &account.id),
    };
    let paid: MintQuoteBolt11Response = mint.post("/v1/bank/pay", &pay).await.unwrap();
    assert_eq!(paid.state, MintQuoteState::Paid);
    // Paying twice is refused and debits nothing.
    assert!(mint.post::<_, MintQuoteBolt11Response>("/v1/bank/pay", &pay).await.is_err());
    let response: MintResponse = mint.post("/v1/mint/bank", &mint_request).await.unwrap();
    let notes = TestMint::unblind(&keyset, &pending, &response.signatures);

    // More than the balance (40 left): refused.
    let big: MintQuoteBolt11Response = mint
        .post(
            "/v1/mint/quote/bank",
            &MintQuoteBolt11Request {
                amount: Amount::from_u64(41),
                unit: CurrencyUnit::Sat,
                description: None,
                pubkey: None,
            },
        )
        .await
        .unwrap();
    let pay_big = BankPayRequest {
        quote: big.quote.clone(),
        account: account.id.clone(),
        signature: mint.pay_signature(&holder, &big, &account.id),
    };
    let refused = mint.post::<_, MintQuoteBolt11Response>("/v1/bank/pay", &pay_big).await.unwrap_err();
    assert!(refused.detail.contains("insufficient funds"), "{}", refused.detail);

    // Melt 60 back into the account.
    let melt_quote: MeltQuoteBolt11Response = mint
        .post(
            "/v1/melt/quote/bank",
            &MeltQuoteBankRequest {
                request: account.id.clone(),
                unit: CurrencyUnit::Sat,
                amount: Amount::from_u64(60),
            },
        )
        .await
        .unwrap();
    let melted: MeltQuoteBolt11Response = mint
        .post(
            "/v1/melt/bank",
            &MeltRequest { quote: melt_quote.quote, inputs: notes.clone(), outputs: None, prefer_async: false },
        )
        .await
        .unwrap();
    assert_eq!(melted.state, MeltQuoteState::Paid);
    let shown = mint
        .client
        .get(mint.url(&format!("/admin/accounts/{}", account.id)))
        .bearer_auth(hex::encode(TOKEN))
        .send()
        .await
        .unwrap();
    let shown: AccountInfo = shown.json().await.unwrap();
    assert_eq!(shown.balance, Amount::from_u64(100));
    // The melted notes are spent.
    assert_eq!(mint.swap(notes, &[4, 8, 16, 32]).await.unwrap_err().code, shared::nuts::ErrorCode::TokenAlreadySpent);
    // Melting into an unknown account is refused at the quote.
    let unknown =
        MeltQuoteBankRequest { request: "nobody".into(), unit: CurrencyUnit::Sat, amount: Amount::from_u64(1) };
    assert!(mint.post::<_, MeltQuoteBolt11Response>("/v1/melt/quote/bank", &unknown).await.is_err());
    // Key rotation through the admin API.
    let (status, rotated) =
        admin_post::<shared::KeySetInfo>(&mint, "/admin/keysets/rotate", serde_json::json!({ "input_fee_ppk": 100 }))
            .await;
    assert_eq!(status, 200);
    assert_eq!(mint.keyset().await.id, rotated.unwrap().id);
}

async fn open_account(mint: &TestMint, pubkey: shared::PublicKey, credit: u64) -> String {
    let (_, account) =
        admin_post::<AccountInfo>(mint, "/admin/accounts", serde_json::json!({ "pubkey": pubkey })).await;
    let id = account.unwrap().id;
    let body = serde_json::json!({ "amount": credit, "reference": "test" });
    admin_post::<AccountInfo>(mint, &format!("/admin/accounts/{id}/credit"), body).await.1.unwrap();
    id
}

async fn bank_quote(mint: &TestMint, amount: u64) -> MintQuoteBolt11Response {
    let request = MintQuoteBolt11Request {
        amount: Amount::from_u64(amount),
        unit: CurrencyUnit::Sat,
        description: None,
        pubkey: None,
    };
    mint.post("/v1/mint/quote/bank", &request).await.unwrap()
}

/// Issue 12 point 11: a payment signature binds the mint, the quote, its amount and the account. Mint B
/// (another master secret, so another identity) gets a signature from a holder whose key is registered at
/// both mints (the worst case: a wallet of before per-mint keys) for a quote B copied from mint A — same id,
/// same amount, A's account id: replayed at A it is refused with 20008 and debits nothing. Nor does a
/// signature for another amount, quote or account pay; the right one does. The wallet's account keys are
/// per mint, which `account_keys_known_answer_one_per_mint` (shared) and the wallet's engine tests check.
async fn payments_are_bound_to_mint_quote_amount_and_account(store_a: Arc<dyn MintStore>, store_b: Arc<dyn MintStore>) {
    let mint_a = TestMint::start_with_master(store_a, vec![7; 32], TOKEN.to_vec()).await;
    let mint_b = TestMint::start_with_master(store_b, vec![8; 32], TOKEN.to_vec()).await;
    let info_a: shared::nuts::MintInfo = mint_a.get("/v1/info").await.unwrap();
    let info_b: shared::nuts::MintInfo = mint_b.get("/v1/info").await.unwrap();
    assert_eq!(info_a.pubkey, Some(mint_a.mint.pubkey()));
    assert_ne!(info_a.pubkey, info_b.pubkey);

    let holder = SecretKey::random().unwrap();
    let account_a = open_account(&mint_a, holder.public_key(), 100).await;
    let _account_b = open_account(&mint_b, holder.public_key(), 100).await;
    let quote = bank_quote(&mint_a, 60).await;

    let pay = |signature: String| BankPayRequest { quote: quote.quote.clone(), account: account_a.clone(), signature };
    let signed = |mint: &shared::PublicKey, quote_id: &str, amount: u64, account: &str| {
        let payment =
            Payment { mint, quote: quote_id, amount: Amount::from_u64(amount), unit: &CurrencyUnit::Sat, account };
        sign_payment(&holder, &payment).unwrap()
    };
    let other_quote = bank_quote(&mint_a, 60).await;
    let refused = [
        ("captured at mint B", signed(&mint_b.mint.pubkey(), &quote.quote, 60, &account_a)),
        ("another amount", signed(&mint_a.mint.pubkey(), &quote.quote, 59, &account_a)),
        ("another quote", signed(&mint_a.mint.pubkey(), &other_quote.quote, 60, &account_a)),
        ("another account", signed(&mint_a.mint.pubkey(), &quote.quote, 60, "another-account")),
    ];
    for (case, signature) in refused {
        let error = mint_a.post::<_, MintQuoteBolt11Response>("/v1/bank/pay", &pay(signature)).await.unwrap_err();
        assert_eq!(error.code, shared::nuts::ErrorCode::WitnessMissingOrInvalid, "{case}: {}", error.detail);
        assert!(error.detail.contains("signature"), "{case}: {}", error.detail);
    }
    let shown = mint_a.mint.account(&account_a).await.unwrap();
    assert_eq!(shown.balance, Amount::from_u64(100), "a refused payment debits nothing");
    let state: MintQuoteBolt11Response = mint_a.get(&format!("/v1/mint/quote/bank/{}", quote.quote)).await.unwrap();
    assert_eq!(state.state, MintQuoteState::Unpaid);

    let paid: MintQuoteBolt11Response =
        mint_a.post("/v1/bank/pay", &pay(signed(&mint_a.mint.pubkey(), &quote.quote, 60, &account_a))).await.unwrap();
    assert_eq!(paid.state, MintQuoteState::Paid);
    assert_eq!(mint_a.mint.account(&account_a).await.unwrap().balance, Amount::from_u64(40));
}

macro_rules! bank_tests {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn bank_round_trip() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::bank_round_trip(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn payments_are_bound_to_mint_quote_amount_and_account() {
                #[allow(unused_variables)]
                let (store_a, guard_a) = $make;
                #[allow(unused_variables)]
                let (store_b, guard_b) = $make;
                super::payments_are_bound_to_mint_quote_amount_and_account(store_a, store_b).await;
            }
        }
    };
}

bank_tests!(sqlite, common::sqlite_store().await);
bank_tests!(postgres, (common::postgres_store().await, ()));
