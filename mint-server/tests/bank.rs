//! The bank: operator credits an account (admin API, token required), the holder pays a mint quote from it
//! with the account key's signature, mints, swaps, and melts back into the account. On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::wallet::TestMint;
use mint_server::mint::MintSettings;
use mint_server::store::MintStore;
use shared::nuts::bank::{AccountInfo, BankPayRequest, MeltQuoteBankRequest, sign_payment};
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
        signature: sign_payment(&stranger, &quote.quote).unwrap(),
    };
    assert!(mint.post::<_, MintQuoteBolt11Response>("/v1/bank/pay", &forged).await.is_err());
    let replayed = BankPayRequest {
        quote: quote.quote.clone(),
        account: account.id.clone(),
        signature: sign_payment(&holder, "another").unwrap(),
    };
    assert!(mint.post::<_, MintQuoteBolt11Response>("/v1/bank/pay", &replayed).await.is_err());

    let pay = BankPayRequest {
        quote: quote.quote.clone(),
        account: account.id.clone(),
        signature: sign_payment(&holder, &quote.quote).unwrap(),
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
        signature: sign_payment(&holder, &big.quote).unwrap(),
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
        }
    };
}

bank_tests!(sqlite, common::sqlite_store().await);
bank_tests!(postgres, (common::postgres_store().await, ()));
