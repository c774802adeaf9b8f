//! What request handlers can read.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::Config;

/// Operator-chosen facts about the mint that `GET /v1/info` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintInfoSettings {
    /// The mint's name.
    pub name: String,
    /// A short description.
    pub description: String,
}

/// Shared state of the server. Cloning is cheap (reference counts).
#[derive(Debug, Clone)]
pub struct AppState {
    /// What `GET /v1/info` reports.
    pub info: Arc<MintInfoSettings>,
    /// Where the built wallet bundle lives.
    pub wallet_dir: Arc<Path>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
}

impl AppState {
    /// State with the given info and wallet directory, and the default body limit.
    pub fn new(info: MintInfoSettings, wallet_dir: impl Into<PathBuf>) -> Self {
        AppState {
            info: Arc::new(info),
            wallet_dir: Arc::from(wallet_dir.into()),
            max_body_bytes: crate::config::DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// State as configured on the command line.
    pub fn from_config(config: &Config) -> Self {
        let info = MintInfoSettings { name: config.name.clone(), description: config.description.clone() };
        AppState { max_body_bytes: config.max_body_bytes, ..AppState::new(info, config.wallet_dir.clone()) }
    }
}
