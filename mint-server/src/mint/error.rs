//! What the mint's rules refuse, each with its Cashu error code.

use shared::nuts::ErrorCode;

use crate::funding::FundingError;
use crate::store::StoreError;

/// The generic code of the 11xxx (transaction) range, which Nutshell answers for an input witness that is
/// too long; this mint answers it for secrets and witnesses over the limits.
const TRANSACTION_ERROR: u16 = 11000;

/// A refused request (the client's fault) or an internal failure (ours).
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    /// A proof's signature does not verify.
    #[error("proof verification failed: {0}")]
    ProofInvalid(String),
    /// A proof is spent.
    #[error("proofs already spent")]
    AlreadySpent,
    /// A proof is held by an operation in flight.
    #[error("proofs are pending")]
    Pending,
    /// An output was signed before.
    #[error("outputs have already been signed before")]
    OutputsAlreadySigned,
    /// Inputs, outputs and fees do not add up.
    #[error("transaction is not balanced: {0}")]
    Unbalanced(String),
    /// An amount is outside what this method or keyset allows.
    #[error("amount outside of limit range: {0}")]
    AmountOutOfRange(String),
    /// The same input twice.
    #[error("duplicate inputs provided")]
    DuplicateInputs,
    /// The same output twice.
    #[error("duplicate outputs provided")]
    DuplicateOutputs,
    /// Inputs (or outputs) of several units.
    #[error("inputs or outputs of multiple units")]
    MultipleUnits,
    /// Inputs and outputs of different units.
    #[error("inputs and outputs are not of the same unit")]
    UnitMismatch,
    /// The unit is not offered for this method.
    #[error("unit {0} is not supported")]
    UnsupportedUnit(String),
    /// A secret or witness longer than the mint stores.
    #[error("{0}")]
    TooLong(String),
    /// Too many inputs.
    #[error("too many inputs: at most {0}")]
    TooManyInputs(usize),
    /// Too many outputs.
    #[error("too many outputs: at most {0}")]
    TooManyOutputs(usize),
    /// A keyset the mint does not know.
    #[error("keyset {0} is not known")]
    UnknownKeyset(String),
    /// Outputs for a keyset the mint no longer signs with.
    #[error("keyset {0} is inactive, cannot sign messages")]
    InactiveKeyset(String),
    /// The payment method is not offered.
    #[error("payment method {0} is not supported")]
    UnsupportedMethod(String),
    /// No such quote.
    #[error("quote not found")]
    QuoteNotFound,
    /// The quote is not paid yet.
    #[error("quote request is not paid")]
    QuoteNotPaid,
    /// The quote's notes were issued already.
    #[error("quote has already been issued")]
    QuoteIssued,
    /// The quote is being paid.
    #[error("quote is pending")]
    QuotePending,
    /// The quote was paid already.
    #[error("quote is already paid")]
    QuotePaid,
    /// The quote expired.
    #[error("quote is expired")]
    QuoteExpired,
    /// The payment request cannot be used.
    #[error("invalid payment request: {0}")]
    InvalidPaymentRequest(String),
    /// The payment failed.
    #[error("payment failed: {0}")]
    PaymentFailed(String),
    /// A signature over a mint quote does not verify: a bank payment's, or a NUT-20 mint request's.
    #[error("signature for mint request invalid: {0}")]
    BadSignature(String),
    /// NUT-20: a mint quote request's `pubkey` is no public key.
    #[error("invalid pubkey for mint quote: {0}")]
    InvalidPubkey(String),
    /// No such account, or it is blocked.
    #[error("unknown or blocked account")]
    UnknownAccount,
    /// The account's balance does not cover the payment.
    #[error("insufficient funds in the account")]
    InsufficientFunds,
    /// Another malformed request (bad JSON shape, empty lists, ...).
    #[error("{0}")]
    BadRequest(String),
    /// The store refuses writes until the mint restarts (a failed sync to disk, a dead writer thread).
    #[error("the mint cannot take writes now: {0}")]
    Unavailable(String),
    /// A failure of ours; the detail is logged, not sent.
    #[error("internal error")]
    Internal(String),
}

impl MintError {
    /// The Cashu error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            MintError::ProofInvalid(_) => ErrorCode::TokenNotVerified,
            MintError::AlreadySpent => ErrorCode::TokenAlreadySpent,
            MintError::Pending => ErrorCode::TokenPending,
            MintError::OutputsAlreadySigned => ErrorCode::OutputsAlreadySigned,
            MintError::Unbalanced(_) => ErrorCode::TransactionUnbalanced,
            MintError::AmountOutOfRange(_) => ErrorCode::AmountOutofLimitRange,
            MintError::DuplicateInputs => ErrorCode::DuplicateInputs,
            MintError::DuplicateOutputs => ErrorCode::DuplicateOutputs,
            MintError::MultipleUnits => ErrorCode::MultipleUnits,
            MintError::UnitMismatch => ErrorCode::UnitMismatch,
            MintError::UnsupportedUnit(_) => ErrorCode::UnsupportedUnit,
            MintError::TooLong(_) => ErrorCode::from_code(TRANSACTION_ERROR),
            MintError::TooManyInputs(_) => ErrorCode::MaxInputsExceeded,
            MintError::TooManyOutputs(_) => ErrorCode::MaxOutputsExceeded,
            MintError::UnknownKeyset(_) => ErrorCode::KeysetNotFound,
            MintError::InactiveKeyset(_) => ErrorCode::KeysetInactive,
            MintError::QuoteNotPaid => ErrorCode::QuoteNotPaid,
            MintError::QuoteIssued => ErrorCode::TokensAlreadyIssued,
            MintError::QuotePending => ErrorCode::QuotePending,
            MintError::QuotePaid => ErrorCode::InvoiceAlreadyPaid,
            MintError::QuoteExpired => ErrorCode::QuoteExpired,
            MintError::PaymentFailed(_) => ErrorCode::LightningError,
            MintError::BadSignature(_) => ErrorCode::WitnessMissingOrInvalid,
            MintError::InvalidPubkey(_) => ErrorCode::PubkeyRequired,
            MintError::UnsupportedMethod(_) => ErrorCode::UnsupportedMethod,
            MintError::QuoteNotFound => ErrorCode::QuoteNotFound,
            MintError::UnknownAccount => ErrorCode::UnknownAccount,
            MintError::InsufficientFunds => ErrorCode::InsufficientAccountFunds,
            MintError::InvalidPaymentRequest(_) => ErrorCode::InvalidPaymentRequest,
            MintError::BadRequest(_) => ErrorCode::MalformedRequest,
            MintError::Unavailable(_) | MintError::Internal(_) => ErrorCode::Unknown(0),
        }
    }

    /// Whether this is our failure rather than the client's.
    pub fn is_internal(&self) -> bool {
        matches!(self, MintError::Internal(_))
    }
}

impl From<StoreError> for MintError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::AlreadySpent(_) => MintError::AlreadySpent,
            StoreError::Pending(_) => MintError::Pending,
            StoreError::OutputsAlreadySigned => MintError::OutputsAlreadySigned,
            StoreError::OutOfRange => MintError::AmountOutOfRange("amount too large to store".into()),
            StoreError::Unavailable(reason) => MintError::Unavailable(reason),
            other => MintError::Internal(other.to_string()),
        }
    }
}

impl From<FundingError> for MintError {
    fn from(error: FundingError) -> Self {
        match error {
            FundingError::InvalidPaymentRequest(detail) => MintError::InvalidPaymentRequest(detail),
            FundingError::AmountOutOfRange(detail) => MintError::AmountOutOfRange(detail),
            FundingError::BadRequest(detail) => MintError::BadRequest(detail),
            FundingError::Store(error) => error.into(),
            FundingError::Internal(detail) => MintError::Internal(detail),
        }
    }
}

impl From<shared::Error> for MintError {
    fn from(error: shared::Error) -> Self {
        match error {
            shared::Error::AmountOverflow | shared::Error::AmountUnderflow => MintError::Unbalanced(error.to_string()),
            other => MintError::BadRequest(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn funding_errors_keep_their_meaning_on_the_wire() {
        let cases = [
            (FundingError::InvalidPaymentRequest("no".into()), ErrorCode::InvalidPaymentRequest, false),
            (FundingError::AmountOutOfRange("big".into()), ErrorCode::AmountOutofLimitRange, false),
            (FundingError::BadRequest("needs an amount".into()), ErrorCode::MalformedRequest, false),
            (FundingError::Store(StoreError::OutOfRange), ErrorCode::AmountOutofLimitRange, false),
            (FundingError::Store(StoreError::Duplicate), ErrorCode::Unknown(0), true),
            (FundingError::Internal("node down".into()), ErrorCode::Unknown(0), true),
        ];
        for (funding, code, internal) in cases {
            let shown = funding.to_string();
            let error = MintError::from(funding);
            assert_eq!(error.code(), code, "{shown}");
            assert_eq!(error.is_internal(), internal, "{shown}");
        }
        let error = MintError::from(FundingError::InvalidPaymentRequest("not an invoice".into()));
        assert_eq!(error.to_string(), "invalid payment request: not an invoice");
        assert!(matches!(MintError::from(FundingError::BadRequest("x".into())), MintError::BadRequest(d) if d == "x"));
    }
}
