//! NUT-01: `GET /v1/keys` and `GET /v1/keys/{keyset_id}`.

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::KeySet;

/// Response of `GET /v1/keys` (active keysets) and `GET /v1/keys/{id}` (that keyset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysResponse {
    /// Keysets with their keys.
    pub keysets: Vec<KeySet>,
}
