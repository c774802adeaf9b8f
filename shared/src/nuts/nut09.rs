//! NUT-09: `POST /v1/restore`.

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::nut00::{BlindSignature, BlindedMessage};

/// Body of `POST /v1/restore`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreRequest {
    /// Outputs whose signatures the wallet lost.
    pub outputs: Vec<BlindedMessage>,
}

/// Response of `POST /v1/restore`: only the outputs the mint has signed, each with its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreResponse {
    /// Outputs the mint knows.
    pub outputs: Vec<BlindedMessage>,
    /// Their signatures, same order. Older mints call this field `promises`.
    #[serde(alias = "promises")]
    pub signatures: Vec<BlindSignature>,
}
