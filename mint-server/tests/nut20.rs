//! NUT-20 over HTTP on SQLite and PostgreSQL: a mint quote requested with a `pubkey` keeps it, answers it,
//! and is minted only with that key's signature over the quote id and the very outputs (20008 otherwise,
//! and the quote stays PAID); quotes without a key mint as before; `/v1/info` claims NUT-20. For both
//! payment methods (fake bolt11 and the bank). A `pubkey` that is no public key is refused with 20009.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::wallet::TestMint;
use mint_server::store::MintStore;
use shared::nuts::bank::{AccountInfo, BankPayRequest};
use shared::nuts::nut20::sign_mint_request;
use shared::nuts::{
    ErrorCode, MintInfo, MintQuoteBolt11Request, MintQuoteBolt11Response, MintQuoteState, MintRequest, MintResponse,
};
use shared::{Amount, CurrencyUnit, SecretKey};

const TOKEN: [u8; 32] = [9; 32];

fn quote_request(amount: u64, pubkey: Option<shared::PublicKey>) -> MintQuoteBolt11Request {
    MintQuoteBolt11Request { amount: Amount::from_u64(amount), unit: CurrencyUnit::Sat, description: None, pubkey }
}

/// Mints the locked, paid `quote` of 12 (4 + 8) at `method`: refused unsigned, signed by another key,
/// signed over other outputs; then minted with the right signature.
async fn locked_quote_needs_its_signature(
    mint: &TestMint,
    method: &str,
    quote: &MintQuoteBolt11Response,
    key: &SecretKey,
) {
    let keyset = mint.keyset().await;
    let pending = TestMint::outputs(&keyset, &[4, 8]);
    let unsigned = MintRequest { quote: quote.quote.clone(), outputs: pending.outputs.clone(), signature: None };
    let stranger = SecretKey::random().unwrap();
    let by_stranger =
        MintRequest { signature: Some(sign_mint_request(&stranger, &unsigned).unwrap()), ..unsigned.clone() };
    let mut swapped = unsigned.clone();
    swapped.outputs.reverse();
    let for_other_order =
        MintRequest { signature: Some(sign_mint_request(key, &swapped).unwrap()), ..unsigned.clone() };
    let other_outputs = TestMint::outputs(&keyset, &[4, 8]);
    let for_other_outputs = MintRequest {
        signature: Some(
            sign_mint_request(key, &MintRequest { outputs: other_outputs.outputs, ..unsigned.clone() }).unwrap(),
        ),
        ..unsigned.clone()
    };
    let garbage = MintRequest { signature: Some("00".into()), ..unsigned.clone() };
    for (case, request) in [
        ("unsigned", &unsigned),
        ("another key", &by_stranger),
        ("outputs in another order", &for_other_order),
        ("other outputs", &for_other_outputs),
        ("not a signature", &garbage),
    ] {
        let error = mint.post::<_, MintResponse>(&format!("/v1/mint/{method}"), request).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::WitnessMissingOrInvalid, "{method} {case}: {}", error.detail);
        let state: MintQuoteBolt11Response =
            mint.get(&format!("/v1/mint/quote/{method}/{}", quote.quote)).await.unwrap();
        assert_eq!(state.state, MintQuoteState::Paid, "{method} {case}");
    }
    let signed = MintRequest { signature: Some(sign_mint_request(key, &unsigned).unwrap()), ..unsigned };
    let response: MintResponse = mint.post(&format!("/v1/mint/{method}"), &signed).await.unwrap();
    let notes = TestMint::unblind(&keyset, &pending, &response.signatures);
    assert_eq!(notes.iter().map(|n| n.amount.to_u64()).sum::<u64>(), 12);
    let state: MintQuoteBolt11Response = mint.get(&format!("/v1/mint/quote/{method}/{}", quote.quote)).await.unwrap();
    assert_eq!(state.state, MintQuoteState::Issued);
}

async fn nut20(store: Arc<dyn MintStore>) {
    let mint = TestMint::start_with_master(store, vec![7; 32], TOKEN.to_vec()).await;
    let info: MintInfo = mint.get("/v1/info").await.unwrap();
    assert!(info.nuts.nut20.supported);

    // bolt11 (fake: paid at once).
    let key = SecretKey::random().unwrap();
    let quote: MintQuoteBolt11Response =
        mint.post("/v1/mint/quote/bolt11", &quote_request(12, Some(key.public_key()))).await.unwrap();
    assert_eq!(quote.pubkey, Some(key.public_key()));
    let state: MintQuoteBolt11Response = mint.get(&format!("/v1/mint/quote/bolt11/{}", quote.quote)).await.unwrap();
    assert_eq!(state.pubkey, Some(key.public_key()));
    locked_quote_needs_its_signature(&mint, "bolt11", &quote, &key).await;

    // bank: paid from an account, then minted with the quote key's signature.
    let holder = SecretKey::random().unwrap();
    let client = &mint.client;
    let created: AccountInfo = client
        .post(mint.url("/admin/accounts"))
        .bearer_auth(hex::encode(TOKEN))
        .json(&serde_json::json!({ "pubkey": holder.public_key() }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    client
        .post(mint.url(&format!("/admin/accounts/{}/credit", created.id)))
        .bearer_auth(hex::encode(TOKEN))
        .json(&serde_json::json!({ "amount": 12 }))
        .send()
        .await
        .unwrap();
    let key = SecretKey::random().unwrap();
    let quote: MintQuoteBolt11Response =
        mint.post("/v1/mint/quote/bank", &quote_request(12, Some(key.public_key()))).await.unwrap();
    assert_eq!(quote.pubkey, Some(key.public_key()));
    let signature = mint.pay_signature(&holder, &quote, &created.id);
    let pay = BankPayRequest { quote: quote.quote.clone(), account: created.id.clone(), signature };
    let _: MintQuoteBolt11Response = mint.post("/v1/bank/pay", &pay).await.unwrap();
    locked_quote_needs_its_signature(&mint, "bank", &quote, &key).await;

    // Without a key: minted without a signature, as before; the empty string some wallets send means none.
    let open: MintQuoteBolt11Response = mint
        .post("/v1/mint/quote/bolt11", &serde_json::json!({ "amount": 4, "unit": "sat", "pubkey": "" }))
        .await
        .unwrap();
    assert_eq!(open.pubkey, None);
    // NUT-20's 20009: a `pubkey` that is no public key (not on the curve, not hex, not a string).
    for pubkey in
        [serde_json::json!(format!("02{}", "ff".repeat(32))), serde_json::json!("not a key"), serde_json::json!(42)]
    {
        let body = serde_json::json!({ "amount": 4, "unit": "sat", "pubkey": pubkey });
        let error = mint.post::<_, MintQuoteBolt11Response>("/v1/mint/quote/bolt11", &body).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::PubkeyRequired, "{pubkey}: {}", error.detail);
    }
    // Any other malformed body is not about the key.
    let body = serde_json::json!({ "amount": "four", "unit": "sat", "pubkey": key.public_key() });
    let error = mint.post::<_, MintQuoteBolt11Response>("/v1/mint/quote/bolt11", &body).await.unwrap_err();
    assert_ne!(error.code, ErrorCode::PubkeyRequired, "{}", error.detail);
    let keyset = mint.keyset().await;
    let pending = TestMint::outputs(&keyset, &[4]);
    let request = MintRequest { quote: open.quote, outputs: pending.outputs, signature: None };
    let _: MintResponse = mint.post("/v1/mint/bolt11", &request).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nut20_on_sqlite() {
    let (store, _dir) = common::sqlite_store().await;
    nut20(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nut20_on_postgres() {
    nut20(common::postgres_store().await).await;
}
