//! NUT-02: `GET /v1/keysets`.

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::KeySetInfo;

/// Response of `GET /v1/keysets`: every keyset, active or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysetResponse {
    /// Keyset metadata.
    pub keysets: Vec<KeySetInfo>,
}
