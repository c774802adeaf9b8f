//! The size of an offline payment, per coin (issue 13, section 6): the JSON the payer hands over
//! (`{"coins": [...]}`, docs/offline-coins.md "Payment") and the text the wallet shows and puts in its QR
//! code (`offlinepay1` + base64url, no padding, of that JSON with the request it answers). Printed with
//! `cargo test -p cash-shared --test offline_payment_size -- --nocapture`; README quotes the figures and the
//! bounds below keep them true (hex points and scalars have fixed sizes, so the sizes hardly vary).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use shared::offline::{
    CoinSecrets, IdentitySecret, MintSession, OfflineMintKeyset, Payment, PaymentRequest, PendingWithdrawal, WalletCoin,
};
use shared::{CurrencyUnit, SecretKey};

/// Withdrawn coins of these amounts.
fn coins(mint: &OfflineMintKeyset, u1: &IdentitySecret, amounts: &[u64]) -> Vec<WalletCoin> {
    let identity = u1.identity().unwrap();
    amounts
        .iter()
        .map(|&amount| {
            let (session, start) = MintSession::start(mint, amount, &identity, SecretKey::random().unwrap()).unwrap();
            let (pending, challenge) =
                PendingWithdrawal::prepare(&identity, &mint.public, &start, CoinSecrets::random().unwrap()).unwrap();
            pending.finish(&session.respond(&challenge).unwrap()).unwrap()
        })
        .collect()
}

/// (payment JSON bytes, wallet text bytes) of a payment with these coins.
fn sizes(u1: &IdentitySecret, coins: &[WalletCoin]) -> (usize, usize) {
    let amount = coins.iter().map(|c| c.coin.amount).sum();
    // A realistic time (10 digits) and a large amount's digits do not change the sizes by more than a few bytes.
    let request = PaymentRequest::new(SecretKey::random().unwrap().public_key(), 1_767_300_500, amount).unwrap();
    let payment = Payment::pay(u1, coins, &request).unwrap();
    let json = serde_json::to_vec(&payment).unwrap();
    let message = serde_json::json!({ "request": request, "coins": payment.coins });
    let text = format!("offlinepay1{}", URL_SAFE_NO_PAD.encode(serde_json::to_vec(&message).unwrap()));
    (json.len(), text.len())
}

#[test]
fn payment_size_per_coin() {
    let mint = OfflineMintKeyset::derive(
        b"size master",
        0,
        20,
        CurrencyUnit::Sat,
        1_767_225_600,
        1_769_817_600,
        1_771_027_200,
    )
    .unwrap();
    let u1 = IdentitySecret::random().unwrap();
    let eight = coins(&mint, &u1, &[1, 2, 4, 8, 16, 32, 64, 128]);
    let (one_json, one_text) = sizes(&u1, &eight[..1]);
    let (eight_json, eight_text) = sizes(&u1, &eight);
    let per_coin_json = (eight_json - one_json) as f64 / 7.0;
    let per_coin_text = (eight_text - one_text) as f64 / 7.0;
    println!("one coin: {one_json} bytes of JSON, {one_text} characters of wallet text");
    println!("eight coins: {eight_json} bytes of JSON, {eight_text} characters of wallet text");
    println!("each further coin: {per_coin_json:.0} bytes of JSON, {per_coin_text:.0} characters of wallet text");
    // A coin's JSON: keyset id (64 hex), five points (66 hex each), four scalars (64 hex each), names.
    assert!((600..=760).contains(&one_json), "{one_json}");
    assert!((600.0..=760.0).contains(&per_coin_json), "{per_coin_json}");
    assert!((800..=1300).contains(&one_text), "{one_text}");
    assert!((800.0..=1020.0).contains(&per_coin_text), "{per_coin_text}");
}
