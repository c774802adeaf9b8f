//! Cashu error codes and the `{code, detail}` error body (NUT-00, error_codes.md).

use alloc::string::String;
use core::fmt;

use serde::{Deserialize, Serialize};

/// A Cashu error code. Serialized as its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 10001: proof verification failed.
    TokenNotVerified,
    /// 11001: proofs already spent.
    TokenAlreadySpent,
    /// 11002: proofs are pending.
    TokenPending,
    /// 11003: outputs already signed.
    OutputsAlreadySigned,
    /// 11004: outputs are pending.
    OutputsPending,
    /// 11005: transaction is not balanced.
    TransactionUnbalanced,
    /// 11006: amount outside of limit range.
    AmountOutofLimitRange,
    /// 11007: duplicate inputs provided.
    DuplicateInputs,
    /// 11008: duplicate outputs provided.
    DuplicateOutputs,
    /// 11009: inputs/outputs of multiple units.
    MultipleUnits,
    /// 11010: inputs and outputs not of same unit.
    UnitMismatch,
    /// 11011: amountless invoice is not supported.
    AmountlessInvoiceNotSupported,
    /// 11012: amount in request does not equal invoice.
    IncorrectQuoteAmount,
    /// 11013: unit in request is not supported.
    UnsupportedUnit,
    /// 11014: max inputs exceeded.
    MaxInputsExceeded,
    /// 11015: max outputs exceeded.
    MaxOutputsExceeded,
    /// 12001: keyset is not known.
    KeysetNotFound,
    /// 12002: keyset is inactive, cannot sign messages.
    KeysetInactive,
    /// 12003: keyset has expired.
    KeysetExpired,
    /// 20001: quote request is not paid.
    QuoteNotPaid,
    /// 20002: quote has already been issued.
    TokensAlreadyIssued,
    /// 20003: minting is disabled.
    MintingDisabled,
    /// 20004: lightning payment failed.
    LightningError,
    /// 20005: quote is pending.
    QuotePending,
    /// 20006: invoice already paid.
    InvoiceAlreadyPaid,
    /// 20007: quote is expired.
    QuoteExpired,
    /// 20008: signature for mint request invalid.
    WitnessMissingOrInvalid,
    /// 20009: pubkey required for mint quote.
    PubkeyRequired,
    /// 14000 (this mint's own range, 14xxx: refusals the specs have no code for): the request body is not
    /// what the endpoint takes (malformed JSON, a missing or mistyped field).
    MalformedRequest,
    /// 14001: no such quote (for this payment method).
    QuoteNotFound,
    /// 14002: the payment method is not offered.
    UnsupportedMethod,
    /// 14003: the payment request (invoice, account) cannot be paid by this method.
    InvalidPaymentRequest,
    /// 14004: no such bank account, or it is blocked.
    UnknownAccount,
    /// 14005: the bank account's balance does not cover the payment.
    InsufficientAccountFunds,
    /// 14006: too many requests from this client (HTTP 429, with `retry-after`); nothing was done, try again
    /// later.
    RateLimited,
    /// Any other code (from a newer mint), kept as is.
    Unknown(u16),
}

impl ErrorCode {
    const TABLE: [(ErrorCode, u16); 35] = [
        (ErrorCode::TokenNotVerified, 10001),
        (ErrorCode::TokenAlreadySpent, 11001),
        (ErrorCode::TokenPending, 11002),
        (ErrorCode::OutputsAlreadySigned, 11003),
        (ErrorCode::OutputsPending, 11004),
        (ErrorCode::TransactionUnbalanced, 11005),
        (ErrorCode::AmountOutofLimitRange, 11006),
        (ErrorCode::DuplicateInputs, 11007),
        (ErrorCode::DuplicateOutputs, 11008),
        (ErrorCode::MultipleUnits, 11009),
        (ErrorCode::UnitMismatch, 11010),
        (ErrorCode::AmountlessInvoiceNotSupported, 11011),
        (ErrorCode::IncorrectQuoteAmount, 11012),
        (ErrorCode::UnsupportedUnit, 11013),
        (ErrorCode::MaxInputsExceeded, 11014),
        (ErrorCode::MaxOutputsExceeded, 11015),
        (ErrorCode::KeysetNotFound, 12001),
        (ErrorCode::KeysetInactive, 12002),
        (ErrorCode::KeysetExpired, 12003),
        (ErrorCode::QuoteNotPaid, 20001),
        (ErrorCode::TokensAlreadyIssued, 20002),
        (ErrorCode::MintingDisabled, 20003),
        (ErrorCode::LightningError, 20004),
        (ErrorCode::QuotePending, 20005),
        (ErrorCode::InvoiceAlreadyPaid, 20006),
        (ErrorCode::QuoteExpired, 20007),
        (ErrorCode::WitnessMissingOrInvalid, 20008),
        (ErrorCode::PubkeyRequired, 20009),
        (ErrorCode::MalformedRequest, 14000),
        (ErrorCode::QuoteNotFound, 14001),
        (ErrorCode::UnsupportedMethod, 14002),
        (ErrorCode::InvalidPaymentRequest, 14003),
        (ErrorCode::UnknownAccount, 14004),
        (ErrorCode::InsufficientAccountFunds, 14005),
        (ErrorCode::RateLimited, 14006),
    ];

    /// The numeric code.
    pub fn to_code(self) -> u16 {
        if let ErrorCode::Unknown(code) = self {
            return code;
        }
        Self::TABLE.iter().find(|(known, _)| *known == self).map_or(0, |(_, code)| *code)
    }

    /// The variant for a numeric code.
    pub fn from_code(code: u16) -> Self {
        Self::TABLE.iter().find(|(_, known)| *known == code).map_or(ErrorCode::Unknown(code), |(variant, _)| *variant)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_code())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u16(self.to_code())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(ErrorCode::from_code(u16::deserialize(deserializer)?))
    }
}

/// The body of every error response: HTTP 400 with `{"detail": "...", "code": 11001}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation.
    #[serde(default)]
    pub detail: String,
}

impl ErrorResponse {
    /// An error body.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        ErrorResponse { code, detail: detail.into() }
    }
}

impl fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", self.detail, self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for (variant, code) in ErrorCode::TABLE {
            assert_eq!(variant.to_code(), code);
            assert_eq!(ErrorCode::from_code(code), variant);
        }
        assert_eq!(ErrorCode::from_code(42), ErrorCode::Unknown(42));
        let mut codes: alloc::vec::Vec<u16> = ErrorCode::TABLE.iter().map(|(_, code)| *code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorCode::TABLE.len(), "no code twice");
        let body: ErrorResponse = serde_json::from_str(r#"{"detail":"oops","code":11001}"#).unwrap();
        assert_eq!(body.code, ErrorCode::TokenAlreadySpent);
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"code":11001,"detail":"oops"}"#);
    }
}
