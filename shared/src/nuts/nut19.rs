//! NUT-19: cached responses, so a retried request never has a second effect.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// One cached route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedEndpoint {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path, e.g. `/v1/swap`.
    pub path: String,
}

/// NUT-19 settings in the mint's info.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Settings {
    /// Seconds a response stays cached; `null` means forever.
    pub ttl: Option<u64>,
    /// The cached routes.
    pub cached_endpoints: Vec<CachedEndpoint>,
}
