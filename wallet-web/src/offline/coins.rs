//! The wallet's cryptographic steps with offline coins, plain functions with no store and no network: the
//! operations in `wallet::offline` and `wallet::offline_mint` call these, and so do the benchmarks in
//! Chromium (`tests/wasm_bench.rs`), which thereby time the wallet's own path.
//!
//! - Withdrawal: [`withdrawal_challenge`] (the coin's secrets from the seed, the counter and the session's
//!   `(a0, b0)`; the blinded challenge), then `PendingWithdrawal::finish` on the mint's answer, then
//!   [`open_coin`] when the coin is taken in.
//! - Payer: [`wallet_coin`] for each chosen coin, then [`answer_request`] (the answers and the text shown).
//! - Payee: `payment_from_text`, then [`check_payment`] against the cached keysets.

use shared::PublicKey;
use shared::offline::{
    BlindedChallenge, Coin, CoinSecrets, IdentitySecret, OfflineError, OfflineKeyset, Payment, PaymentRequest,
    PendingWithdrawal, SessionStart, WalletCoin,
};

use super::records::WithdrawnCoin;
use super::text::{PaymentMessage, payment_to_text};
use crate::WalletError;

/// The wallet's first move in a withdrawal session: the coin's secrets derived from the seed, the keyset,
/// the counter and the mint's session values `(a0, b0)`, and the blinded challenge for the mint. The same
/// inputs give the same challenge (a retry, a restore).
pub fn withdrawal_challenge(
    seed: &[u8; 64],
    identity: &PublicKey,
    keyset: &OfflineKeyset,
    counter: u32,
    start: &SessionStart,
) -> Result<(PendingWithdrawal, BlindedChallenge), WalletError> {
    let secrets = CoinSecrets::derive(seed, &keyset.id, counter, &start.a0, &start.b0)?;
    Ok(PendingWithdrawal::prepare(identity, keyset, start, secrets)?)
}

/// A held coin with its secrets rebuilt from the seed (checked to open the coin), ready to answer a
/// request.
pub fn wallet_coin(
    seed: &[u8; 64],
    identity: &PublicKey,
    coin: &Coin,
    counter: u32,
    a0: &PublicKey,
    b0: &PublicKey,
) -> Result<WalletCoin, WalletError> {
    let secrets = CoinSecrets::derive(seed, &coin.keyset_id, counter, a0, b0)?;
    Ok(WalletCoin::from_secrets(coin.clone(), &secrets, identity)?)
}

/// A coin taken in (from a withdrawal or a restore): it must check against its keyset (the mint's
/// signature) and open with the secrets derived from this wallet's seed.
pub fn open_coin(
    seed: &[u8; 64],
    identity: &PublicKey,
    keyset: &OfflineKeyset,
    withdrawn: &WithdrawnCoin,
) -> Result<WalletCoin, WalletError> {
    if withdrawn.coin.keyset_id != keyset.id {
        return Err(OfflineError::WrongKeyset.into());
    }
    withdrawn.coin.verify_vartime(keyset)?;
    wallet_coin(seed, identity, &withdrawn.coin, withdrawn.counter, &withdrawn.a0, &withdrawn.b0)
}

/// The payer's answers to `request` with `coins` (adding up to its amount) and the payment's text to show.
pub fn answer_request(
    identity: &IdentitySecret,
    coins: &[WalletCoin],
    request: &PaymentRequest,
) -> Result<String, WalletError> {
    let payment = Payment::pay(identity, coins, request)?;
    payment_to_text(&PaymentMessage { request: request.clone(), coins: payment.coins })
}

/// The payee's check, with no network, of a payment read from its text (`text::payment_from_text`): it
/// answers `request` (the one this wallet made), and every coin checks against the cached keysets with a
/// valid answer to the request's challenge.
pub fn check_payment(
    message: &PaymentMessage,
    request: &PaymentRequest,
    keysets: &[OfflineKeyset],
) -> Result<(), WalletError> {
    if message.request != *request {
        return Err(WalletError::Invalid("This payment answers a different request than the one shown.".into()));
    }
    Ok(message.payment().verify_vartime(request, keysets)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offline::text::{
        PAYMENT_COINS_PER_QR, PAYMENT_TEXT_FIXED_BUDGET, PAYMENT_TEXT_PER_COIN_BUDGET, payment_from_text,
    };
    use shared::SecretKey;
    use shared::offline::withdrawal::derive_session_nonce;
    use shared::offline::{MintSession, OfflineMintKeyset};

    /// Coins of 1, 2, ..., 2^(n-1) withdrawn through the wallet's steps, and the text of the payment of all
    /// of them, for n = 1 ..= 8.
    fn payment_texts() -> Vec<String> {
        let mint =
            OfflineMintKeyset::derive(b"size master", 0, 16, shared::CurrencyUnit::Sat, 1_000, 2_000, 3_000).unwrap();
        let seed = [5u8; 64];
        let secret = IdentitySecret::from_seed(&seed).unwrap();
        let identity = secret.identity().unwrap();
        let mut coins: Vec<WalletCoin> = Vec::new();
        for counter in 0..8u32 {
            let w = derive_session_nonce(b"size session", &counter.to_be_bytes()).unwrap();
            let (session, start) = MintSession::start(&mint, 1u64 << counter, &identity, w).unwrap();
            let (pending, challenge) = withdrawal_challenge(&seed, &identity, &mint.public, counter, &start).unwrap();
            let coin = pending.finish(&session.respond(&challenge).unwrap()).unwrap().coin;
            coins.push(wallet_coin(&seed, &identity, &coin, counter, &start.a0, &start.b0).unwrap());
        }
        let payee = SecretKey::from_slice(&[0xa0; 32]).unwrap().public_key();
        (1..=8usize)
            .map(|n| {
                let request = PaymentRequest::new(payee, 1_700_000_000, (1u64 << n) - 1).unwrap();
                answer_request(&secret, &coins[..n], &request).unwrap()
            })
            .collect()
    }

    #[test]
    fn payment_text_grows_linearly_within_its_budget() {
        let texts = payment_texts();
        let len: Vec<usize> = texts.iter().map(String::len).collect();
        // Every coin adds the same bytes (up to base64's rounding and the amount's digits) ...
        let per_coin = (len[7] - len[0]) / 7;
        let fixed = len[0] - per_coin;
        for (i, l) in len.iter().enumerate() {
            let linear = fixed + (i + 1) * per_coin;
            assert!(l.abs_diff(linear) <= 8, "{} coins: {l} bytes, {linear} if linear ({len:?})", i + 1);
        }
        // ... within the budget, so that a payment of two coins fits one QR code.
        assert!(per_coin <= PAYMENT_TEXT_PER_COIN_BUDGET, "{per_coin} bytes per coin ({len:?})");
        assert!(fixed <= PAYMENT_TEXT_FIXED_BUDGET, "{fixed} bytes apart from the coins ({len:?})");
        let qr = |text: &str| qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::L);
        assert!(qr(&texts[PAYMENT_COINS_PER_QR - 1]).is_ok());
        // Each text reads back as the payment it encodes.
        for text in &texts {
            assert_eq!(payment_to_text(&payment_from_text(text).unwrap()).unwrap(), *text);
        }
        println!("payment text sizes for 1..=8 coins: {len:?}; fixed {fixed} + {per_coin} per coin");
    }
}
