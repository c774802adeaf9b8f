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
