//! NUT-07: `POST /v1/checkstate`.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::PublicKey;

/// State of a note at the mint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    /// Never presented.
    Unspent,
    /// In a transaction that has not finished.
    Pending,
    /// Spent: its serial is in the spent set.
    Spent,
}

/// Body of `POST /v1/checkstate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckStateRequest {
    /// Serials `Y = hash_to_curve(secret)` to check.
    #[serde(rename = "Ys")]
    pub ys: Vec<PublicKey>,
}

/// The state of one serial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofState {
    /// The serial.
    #[serde(rename = "Y")]
    pub y: PublicKey,
    /// Its state.
    pub state: State,
    /// Witness used when it was spent.
    #[serde(default)]
    pub witness: Option<String>,
}

/// Response of `POST /v1/checkstate`, in the order of the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckStateResponse {
    /// One state per requested serial.
    pub states: Vec<ProofState>,
}
