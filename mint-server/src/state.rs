//! What request handlers can read.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::mint::Mint;

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
    /// The mint's rules and storage.
    pub mint: Arc<Mint>,
    /// The operator's bearer token for `/admin` (compared as hex).
    pub admin_token: Arc<zeroize::Zeroizing<Vec<u8>>>,
}

impl AppState {
    /// State with the given info, wallet directory and mint, and the default body limit.
    pub fn new(info: MintInfoSettings, wallet_dir: impl Into<PathBuf>, mint: Arc<Mint>) -> Self {
        AppState {
            info: Arc::new(info),
            wallet_dir: Arc::from(wallet_dir.into()),
            max_body_bytes: crate::config::DEFAULT_MAX_BODY_BYTES,
            mint,
            admin_token: Arc::new(zeroize::Zeroizing::new(Vec::new())),
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::funding::FundingRegistry;
    use crate::mint::MintSettings;
    use crate::store::{MintStore, SqliteStore};

    /// A state backed by a fresh SQLite mint in `dir` (kept alive by the caller's tempdir).
    pub(crate) async fn state(dir: &Path, wallet_dir: &Path) -> AppState {
        let store: Arc<dyn MintStore> = Arc::new(SqliteStore::open(&dir.join("mint.sqlite")).await.unwrap());
        let funding = FundingRegistry::standard(Arc::clone(&store), true);
        let mint = Arc::new(Mint::new(store, vec![1; 32], MintSettings::default(), funding).await.unwrap());
        AppState::new(
            MintInfoSettings { name: "Unit mint".into(), description: "for unit tests".into() },
            wallet_dir,
            mint,
        )
    }
}
