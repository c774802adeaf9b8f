//! Payment requests (NUT-18): what a receiver asks for (amount, unit, mints, how to deliver), as
//! `"creqA" + base64url(CBOR(PaymentRequest))`, and the [`PaymentRequestPayload`] a sender delivers.
//!
//! Field names are the spec's one-letter CBOR keys. Decoding is bounded ([`MAX_ENCODED_LEN`] characters,
//! checked before any base64 or CBOR work), accepts padded and unpadded base64url (and the standard
//! alphabet), surrounding whitespace and a `cashu:` URI prefix; absent and `null` optional fields are the
//! same; unknown fields are ignored. Encoding writes the keys in the order other wallets do (`t i a u m d
//! s nut10`, so the spec's vectors come out byte for byte) with padded base64url, as the spec's examples.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Deserializer, Serialize};

use crate::{Amount, CurrencyUnit, Proof};

/// Prefix of a version-A (CBOR) payment request: `creq` + version `A`.
pub const PREFIX: &str = "creqA";

/// The longest encoded request [`PaymentRequest::decode`] looks at. A request with an amount, a unit, a
/// few mints, a Nostr transport and a locking condition is under 1 KB.
pub const MAX_ENCODED_LEN: usize = 4096;

/// Transport type: a Nostr direct message (NIP-17) to the `nprofile` in the target.
pub const TRANSPORT_NOSTR: &str = "nostr";
/// Transport type: an HTTP `POST` of the [`PaymentRequestPayload`] to the URL in the target.
pub const TRANSPORT_POST: &str = "post";

/// Encoder: URL-safe alphabet with padding (what the spec's examples show).
const ENCODER: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, GeneralPurposeConfig::new());
/// Decoders: padding optional; the URL-safe alphabet, or the standard one some encoders use.
const DECODER_URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const DECODER_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a payment request cannot be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Nut18Error {
    /// Longer than [`MAX_ENCODED_LEN`].
    #[error("the payment request is {len} characters long, more than the {MAX_ENCODED_LEN} accepted")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// Another `creq` version (e.g. `creqB`, NUT-26).
    #[error("unsupported payment request version {0:?}: only creqA is read")]
    UnsupportedVersion(String),
    /// Not a `creq` text at all.
    #[error("not a payment request: it does not start with creqA")]
    NotARequest,
    /// The base64url part does not decode.
    #[error("invalid base64 in the payment request")]
    InvalidBase64,
    /// The CBOR does not hold a payment request.
    #[error("invalid payment request: {0}")]
    InvalidCbor(String),
    /// Encoding failed (cannot happen for a request in memory).
    #[error("cannot encode the payment request: {0}")]
    Encode(String),
}

/// A NUT-18 payment request. Every field is optional; `t` empty means the payment goes in-band.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PaymentRequest {
    /// Transports, by preference (empty: in-band).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_empty")]
    pub t: Vec<Transport>,
    /// Payment id, echoed in the payload's `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i: Option<String>,
    /// Amount requested (in `u`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a: Option<Amount>,
    /// Unit of the amount (set whenever `a` is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub u: Option<CurrencyUnit>,
    /// Mints the payment may come from (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_empty")]
    pub m: Vec<String>,
    /// Description the sender's wallet shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    /// Single use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s: Option<bool>,
    /// The NUT-10 locking condition the notes must carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nut10: Option<Nut10Option>,
}

/// How the sender delivers the payment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Transport {
    /// Type: [`TRANSPORT_NOSTR`], [`TRANSPORT_POST`] or another.
    pub t: String,
    /// Target: an `nprofile` or a URL.
    pub a: String,
    /// Tags `[tag, value, ...]` (e.g. `["n", "17"]`: the NIPs a Nostr receiver supports).
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_empty")]
    pub g: Vec<Vec<String>>,
}

/// A NUT-10 locking condition the payee requires (kind, data, tags of the well-known secret).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Nut10Option {
    /// Secret kind, e.g. `P2PK`.
    pub k: String,
    /// Secret data, e.g. the public key in hex.
    pub d: String,
    /// Tags `[tag, value, ...]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_empty")]
    pub t: Vec<Vec<String>>,
}

/// What the sender delivers (JSON): the notes, their mint and unit, the request's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRequestPayload {
    /// The request's `i`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A memo for the receiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    /// URL of the mint the notes are from.
    pub mint: String,
    /// Unit of the notes.
    pub unit: CurrencyUnit,
    /// The notes.
    pub proofs: Vec<Proof>,
}

fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

impl PaymentRequest {
    /// `creqA` + padded base64url of the CBOR.
    pub fn encode(&self) -> Result<String, Nut18Error> {
        let mut cbor = Vec::new();
        ciborium::ser::into_writer(self, &mut cbor).map_err(|e| Nut18Error::Encode(alloc::format!("{e}")))?;
        let mut out = String::from(PREFIX);
        ENCODER.encode_string(&cbor, &mut out);
        Ok(out)
    }

    /// Reads a `creqA` request (see the module documentation for what is accepted).
    pub fn decode(text: &str) -> Result<Self, Nut18Error> {
        if text.len() > MAX_ENCODED_LEN {
            return Err(Nut18Error::TooLong { len: text.len() });
        }
        let text = text.trim();
        let text = match text.get(..6) {
            Some(scheme) if scheme.eq_ignore_ascii_case("cashu:") => text.get(6..).unwrap_or_default(),
            _ => text,
        };
        let Some(body) = text.strip_prefix(PREFIX) else {
            if text.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("creq")) {
                let version: String = text.chars().skip(4).take(1).collect();
                return Err(Nut18Error::UnsupportedVersion(version));
            }
            return Err(Nut18Error::NotARequest);
        };
        let cbor = DECODER_URL
            .decode(body)
            .or_else(|_| DECODER_STANDARD.decode(body))
            .map_err(|_| Nut18Error::InvalidBase64)?;
        ciborium::de::from_reader(cbor.as_slice()).map_err(|e| Nut18Error::InvalidCbor(alloc::format!("{e}")))
    }
}

impl FromStr for PaymentRequest {
    type Err = Nut18Error;
    fn from_str(s: &str) -> Result<Self, Nut18Error> {
        Self::decode(s)
    }
}

impl fmt::Display for PaymentRequest {
    /// The `creqA` text (empty if encoding failed, which it cannot for a request in memory).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn minimal() -> PaymentRequest {
        PaymentRequest {
            i: Some("7f4a2b39".into()),
            u: Some(CurrencyUnit::Sat),
            m: vec!["https://mint.example.com".into()],
            ..PaymentRequest::default()
        }
    }

    const MINIMAL: &str = "creqAo2FpaDdmNGEyYjM5YXVjc2F0YW2BeBhodHRwczovL21pbnQuZXhhbXBsZS5jb20=";

    #[test]
    fn minimal_vector_both_ways() {
        assert_eq!(PaymentRequest::decode(MINIMAL), Ok(minimal()));
        assert_eq!(minimal().encode().as_deref(), Ok(MINIMAL));
        assert_eq!(minimal().to_string(), MINIMAL);
        assert_eq!(MINIMAL.parse::<PaymentRequest>(), Ok(minimal()));
    }

    #[test]
    fn accepted_spellings() {
        let unpadded = MINIMAL.trim_end_matches('=');
        for text in [
            unpadded.to_string(),
            alloc::format!("  {MINIMAL}\n"),
            alloc::format!("cashu:{MINIMAL}"),
            alloc::format!("CASHU:{unpadded}"),
        ] {
            assert_eq!(PaymentRequest::decode(&text), Ok(minimal()), "{text}");
        }
    }

    #[test]
    fn refusals() {
        assert_eq!(PaymentRequest::decode("cashuBo2F0"), Err(Nut18Error::NotARequest));
        assert_eq!(PaymentRequest::decode(""), Err(Nut18Error::NotARequest));
        assert_eq!(PaymentRequest::decode("creqB1qqqqqq"), Err(Nut18Error::UnsupportedVersion("B".into())));
        assert_eq!(PaymentRequest::decode("creqA!!!"), Err(Nut18Error::InvalidBase64));
        // CBOR of a number, not a map.
        assert!(matches!(PaymentRequest::decode("creqAAQ"), Err(Nut18Error::InvalidCbor(_))));
        // A map whose "a" is a string.
        let mut cbor = Vec::new();
        let bad = ciborium::Value::Map(vec![("a".into(), "ten".into())]);
        assert!(ciborium::ser::into_writer(&bad, &mut cbor).is_ok());
        let text = alloc::format!("{PREFIX}{}", ENCODER.encode(&cbor));
        assert!(matches!(PaymentRequest::decode(&text), Err(Nut18Error::InvalidCbor(_))));
        let long = alloc::format!("{PREFIX}{}", "A".repeat(MAX_ENCODED_LEN));
        assert_eq!(PaymentRequest::decode(&long), Err(Nut18Error::TooLong { len: MAX_ENCODED_LEN + 5 }));
    }

    #[test]
    fn unknown_fields_ignored_nulls_are_absent() {
        let mut cbor = Vec::new();
        let value = ciborium::Value::Map(vec![
            ("i".into(), "x".into()),
            ("zz".into(), ciborium::Value::Array(vec![1.into(), 2.into()])),
            ("t".into(), ciborium::Value::Null),
            ("m".into(), ciborium::Value::Null),
            ("a".into(), ciborium::Value::Null),
        ]);
        assert!(ciborium::ser::into_writer(&value, &mut cbor).is_ok());
        let text = alloc::format!("{PREFIX}{}", ENCODER.encode(&cbor));
        assert_eq!(
            PaymentRequest::decode(&text),
            Ok(PaymentRequest { i: Some("x".into()), ..PaymentRequest::default() })
        );
    }

    #[test]
    fn payload_json() {
        let json = r#"{"id":"b7a90176","mint":"https://mint.example.com","unit":"sat","proofs":[],"extra":1}"#;
        let payload: PaymentRequestPayload = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(payload.id.as_deref(), Some("b7a90176"));
        assert_eq!(payload.memo, None);
        assert_eq!(payload.unit, CurrencyUnit::Sat);
        let back = serde_json::to_string(&payload).unwrap_or_default();
        assert_eq!(back, r#"{"id":"b7a90176","mint":"https://mint.example.com","unit":"sat","proofs":[]}"#);
    }
}
