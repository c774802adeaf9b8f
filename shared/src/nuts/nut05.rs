//! NUT-05 (+ NUT-23 for `bolt11`): melt quotes and melting.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::nut00::{BlindSignature, BlindedMessage, Proof};
use super::nut04::MintMethodSettings;
use crate::{Amount, CurrencyUnit};

/// State of a melt quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MeltQuoteState {
    /// Not paid yet.
    Unpaid,
    /// Being paid.
    Pending,
    /// Paid.
    Paid,
}

/// Body of `POST /v1/melt/quote/bolt11`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeltQuoteBolt11Request {
    /// The payment request to pay.
    pub request: String,
    /// Unit to pay with.
    pub unit: CurrencyUnit,
    /// Method options (amountless invoices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<serde_json::Value>,
}

/// Response of the melt quote endpoints and of `POST /v1/melt/bolt11`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeltQuoteBolt11Response {
    /// Quote id.
    pub quote: String,
    /// Payment method. Not in NUT-23, but Nutshell (0.21) requires it in quote responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The payment request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// Amount to pay, before fees.
    pub amount: Amount,
    /// Unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<CurrencyUnit>,
    /// Fee reserve the inputs must cover in addition.
    pub fee_reserve: Amount,
    /// State.
    pub state: MeltQuoteState,
    /// Unix time until which the quote is valid.
    pub expiry: u64,
    /// Proof of payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_preimage: Option<String>,
    /// Change for an overpaid fee reserve (NUT-08).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Vec<BlindSignature>>,
}

/// Body of `POST /v1/melt/{method}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeltRequest {
    /// Quote id.
    pub quote: String,
    /// Notes covering amount + fee reserve + input fees.
    pub inputs: Vec<Proof>,
    /// Blank outputs for change (NUT-08).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<BlindedMessage>>,
    /// Ask for asynchronous processing.
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub prefer_async: bool,
}

/// NUT-05 settings in the mint's info.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MeltSettings {
    /// Supported method-unit pairs (same shape as NUT-04's).
    pub methods: Vec<MintMethodSettings>,
    /// Whether melting is disabled.
    pub disabled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A number in the free-form `options` survives parse -> serialize -> parse unchanged (serde_json's
    /// default float parser is off by an ulp for some inputs; `float_roundtrip` is exact). Input found by the
    /// `mint_requests` fuzz target.
    #[test]
    fn options_numbers_round_trip_exactly() {
        let body = r#"{"request":"","unit":"sat","options":55555515555158888749}"#;
        let parsed: MeltQuoteBolt11Request = serde_json::from_str(body).unwrap();
        let again: MeltQuoteBolt11Request = serde_json::from_str(&serde_json::to_string(&parsed).unwrap()).unwrap();
        assert_eq!(again, parsed);
        assert_eq!(parsed.options.and_then(|o| o.as_f64()), Some(55_555_515_555_158_888_749.0));
    }
}
