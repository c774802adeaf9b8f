//! NUT-03: `POST /v1/swap`.

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::nut00::{BlindSignature, BlindedMessage, Proof};

/// Body of `POST /v1/swap`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapRequest {
    /// Notes to spend.
    pub inputs: Vec<Proof>,
    /// Outputs to sign; their sum equals the inputs' minus fees.
    pub outputs: Vec<BlindedMessage>,
}

/// Response of `POST /v1/swap`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapResponse {
    /// One signature per output, in order.
    pub signatures: Vec<BlindSignature>,
}
