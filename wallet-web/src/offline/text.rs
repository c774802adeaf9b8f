//! The text forms of a payment request (payee → payer) and a payment (payer → payee), for copy and paste
//! and for QR codes: a prefix and the base64url (no padding) of the JSON that `docs/offline-coins.md`
//! specifies ("Payment"). The payment's JSON also carries the request it answers, so the payee finds its
//! request by nonce; readers of the plain `{"coins": [...]}` ignore the extra field.
//!
//! Parsing is bounded: longer texts are refused before any decoding.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use shared::offline::{Payment, PaymentRequest, SpentCoin};

use crate::WalletError;

/// The prefix of a payment request's text.
pub const REQUEST_PREFIX: &str = "offlinereq1";
/// The prefix of a payment's text.
pub const PAYMENT_PREFIX: &str = "offlinepay1";
/// The longest request text read.
pub const MAX_REQUEST_TEXT: usize = 1_000;
/// The longest payment text read (64 coins with their answers take about 62 000 characters).
pub const MAX_PAYMENT_TEXT: usize = 128 * 1024;
/// The size budget of a payment's text, per coin, in bytes. Held by a test, with
/// [`PAYMENT_TEXT_FIXED_BUDGET`], so that a payment of [`PAYMENT_COINS_PER_QR`] coins fits one QR code.
pub const PAYMENT_TEXT_PER_COIN_BUDGET: usize = 1_000;
/// The size budget of a payment's text apart from its coins (prefix and request), in bytes.
pub const PAYMENT_TEXT_FIXED_BUDGET: usize = 400;
/// The coins a payment may carry and still fit one QR code (version 40, error correction level L: 2,953
/// bytes), as the wallet shows it.
pub const PAYMENT_COINS_PER_QR: usize = 2;
const _: () = assert!(PAYMENT_TEXT_FIXED_BUDGET + PAYMENT_COINS_PER_QR * PAYMENT_TEXT_PER_COIN_BUDGET <= 2_953);

/// A payment with the request it answers. JSON: `{"request": PaymentRequest, "coins": [SpentCoin, ...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentMessage {
    /// The request answered.
    pub request: PaymentRequest,
    /// The coins with their answers.
    pub coins: Vec<SpentCoin>,
}

impl PaymentMessage {
    /// The payment alone.
    pub fn payment(&self) -> Payment {
        Payment { coins: self.coins.clone() }
    }
}

fn encode<T: Serialize>(prefix: &str, value: &T) -> Result<String, WalletError> {
    let json = serde_json::to_vec(value).map_err(|e| WalletError::Storage(e.to_string()))?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(json)))
}

fn decode<T: serde::de::DeserializeOwned>(text: &str, prefix: &str, max: usize, what: &str) -> Result<T, WalletError> {
    let text = text.trim();
    if text.len() > max {
        return Err(WalletError::Invalid(format!("This {what} is too long to be one.")));
    }
    let body = text.strip_prefix(prefix).ok_or_else(|| {
        WalletError::Invalid(format!("This is not an offline {what} (it should start with {prefix})."))
    })?;
    let json = URL_SAFE_NO_PAD
        .decode(body.trim_end_matches('='))
        .map_err(|_| WalletError::Invalid(format!("This offline {what} is damaged: copy it again.")))?;
    serde_json::from_slice(&json)
        .map_err(|_| WalletError::Invalid(format!("This offline {what} is damaged or invalid.")))
}

/// The text of a request.
pub fn request_to_text(request: &PaymentRequest) -> Result<String, WalletError> {
    encode(REQUEST_PREFIX, request)
}

/// A request from its text (points and scalars are checked by their types).
pub fn request_from_text(text: &str) -> Result<PaymentRequest, WalletError> {
    let request: PaymentRequest = decode(text, REQUEST_PREFIX, MAX_REQUEST_TEXT, "payment request")?;
    if request.amount == 0 {
        return Err(WalletError::Invalid("This payment request asks for nothing.".into()));
    }
    Ok(request)
}

/// The text of a payment.
pub fn payment_to_text(message: &PaymentMessage) -> Result<String, WalletError> {
    encode(PAYMENT_PREFIX, message)
}

/// A payment from its text (not yet verified: see the payee's side).
pub fn payment_from_text(text: &str) -> Result<PaymentMessage, WalletError> {
    decode(text, PAYMENT_PREFIX, MAX_PAYMENT_TEXT, "payment")
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::SecretKey;

    #[test]
    fn request_round_trip_and_refusals() {
        let request = PaymentRequest::new(SecretKey::random().unwrap().public_key(), 1_700_000_000, 21).unwrap();
        let text = request_to_text(&request).unwrap();
        assert!(text.starts_with(REQUEST_PREFIX));
        assert_eq!(request_from_text(&format!("  {text}\n")).unwrap(), request);
        assert!(request_from_text(&text[1..]).unwrap_err().to_string().contains("not an offline payment request"));
        let mut damaged = text.clone();
        damaged.truncate(text.len() - 5);
        assert!(request_from_text(&damaged).is_err());
        assert!(request_from_text(&"x".repeat(MAX_REQUEST_TEXT + 1)).unwrap_err().to_string().contains("too long"));
        let zero = PaymentRequest { amount: 0, ..request };
        assert!(request_from_text(&request_to_text(&zero).unwrap()).unwrap_err().to_string().contains("nothing"));
        // A payment is not a request.
        let payment = payment_to_text(&PaymentMessage { request: zero, coins: vec![] }).unwrap();
        assert!(request_from_text(&payment).is_err());
        assert_eq!(payment_from_text(&payment).unwrap().coins, vec![]);
    }
}
