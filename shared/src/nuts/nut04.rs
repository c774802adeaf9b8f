//! NUT-04 (+ NUT-23 for `bolt11`): mint quotes and minting.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::nut00::{BlindSignature, BlindedMessage};
use crate::{Amount, CurrencyUnit, PublicKey};

/// State of a mint quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MintQuoteState {
    /// The request is not paid yet.
    Unpaid,
    /// Paid; the notes are not issued yet.
    Paid,
    /// Paid and issued.
    Issued,
}

/// Body of `POST /v1/mint/quote/bolt11`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintQuoteBolt11Request {
    /// Amount to mint.
    pub amount: Amount,
    /// Unit.
    pub unit: CurrencyUnit,
    /// Invoice description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// NUT-20 lock key. Some mints send `""` for none.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "optional_key")]
    pub pubkey: Option<PublicKey>,
}

/// Response of `POST /v1/mint/quote/bolt11` and `GET /v1/mint/quote/bolt11/{quote}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintQuoteBolt11Response {
    /// Quote id (secret between wallet and mint).
    pub quote: String,
    /// Payment method. Not in NUT-23, but Nutshell (0.21) requires it in quote responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The payment request (bolt11 invoice).
    pub request: String,
    /// Amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// Unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<CurrencyUnit>,
    /// State.
    pub state: MintQuoteState,
    /// Unix time until which the request can be paid.
    #[serde(default)]
    pub expiry: Option<u64>,
    /// NUT-20 lock key. Some mints send `""` for none.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "optional_key")]
    pub pubkey: Option<PublicKey>,
}

/// Body of `POST /v1/mint/{method}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintRequest {
    /// Quote id.
    pub quote: String,
    /// Outputs whose sum is the quote's amount.
    pub outputs: Vec<BlindedMessage>,
    /// NUT-20 signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// Response of `POST /v1/mint/{method}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintResponse {
    /// One signature per output.
    pub signatures: Vec<BlindSignature>,
}

/// One method-unit pair in the mint's NUT-04 settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintMethodSettings {
    /// Payment method, e.g. `bolt11`.
    pub method: String,
    /// Unit.
    pub unit: CurrencyUnit,
    /// Human-readable method name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method_name: Option<String>,
    /// Smallest amount per quote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_amount: Option<Amount>,
    /// Largest amount per quote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_amount: Option<Amount>,
    /// Method-specific options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<serde_json::Value>,
}

/// NUT-04 settings in the mint's info.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MintSettings {
    /// Supported method-unit pairs.
    pub methods: Vec<MintMethodSettings>,
    /// Whether minting is disabled.
    pub disabled: bool,
}

/// An optional key where `null`, absence and `""` all mean none (Nutshell sends `"pubkey": ""`).
fn optional_key<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<PublicKey>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(None),
        Some(text) => PublicKey::from_hex(&text).map(Some).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_pubkey_means_none() {
        let json =
            r#"{"quote":"q","request":"lnbc1","amount":1,"unit":"sat","state":"PAID","expiry":null,"pubkey":""}"#;
        let quote: MintQuoteBolt11Response = serde_json::from_str(json).unwrap();
        assert_eq!(quote.pubkey, None);
        let json = r#"{"quote":"q","request":"lnbc1","state":"UNPAID","pubkey":null}"#;
        assert_eq!(serde_json::from_str::<MintQuoteBolt11Response>(json).unwrap().pubkey, None);
        let json = r#"{"quote":"q","request":"lnbc1","state":"UNPAID","pubkey":"02zz"}"#;
        assert!(serde_json::from_str::<MintQuoteBolt11Response>(json).is_err());
    }
}
