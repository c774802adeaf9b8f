//! What a funding backend refuses or fails at. The mint maps each to its Cashu error
//! (`impl From<FundingError> for MintError`), so backends never need the mint's error type.

use crate::store::StoreError;

/// A refused payment request or a failed backend.
#[derive(Debug, thiserror::Error)]
pub enum FundingError {
    /// The payment request cannot be used with this method (not an invoice, no such account, ...).
    #[error("invalid payment request: {0}")]
    InvalidPaymentRequest(String),
    /// An amount this method cannot carry.
    #[error("amount outside of limit range: {0}")]
    AmountOutOfRange(String),
    /// The request lacks something this method needs (e.g. a `bank` melt quote's amount).
    #[error("{0}")]
    BadRequest(String),
    /// The store the backend reads (the `bank` backend's accounts) failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The backend itself failed (its node, its random number generator, ...).
    #[error("{0}")]
    Internal(String),
}
