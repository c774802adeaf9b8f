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

/// Shared state of the server. Cloning is cheap (reference counts). Its `Debug` shows neither the admin
/// token nor the mint's secrets.
#[derive(Clone)]
pub struct AppState {
    /// What `GET /v1/info` reports.
    pub info: Arc<MintInfoSettings>,
    /// Where the built wallet bundle lives.
    pub wallet_dir: Arc<Path>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// The mint's rules and storage.
    pub mint: Arc<Mint>,
    /// Per-client limit on quote creation; `None` turns it off.
    pub quote_rate_limit: Option<crate::routes::limit::RateLimit>,
    /// Per-client budget of request-body bytes under `/v1`; `None` turns it off.
    pub body_budget: Option<Arc<crate::routes::limit::BodyLimiter>>,
    /// The operator's bearer token for `/admin` (compared as hex). Empty (as [`AppState::new`] leaves it):
    /// the admin API refuses every request.
    pub admin_token: Arc<zeroize::Zeroizing<Vec<u8>>>,
    /// What `GET /metrics` shows.
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("info", &self.info)
            .field("wallet_dir", &self.wallet_dir)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("mint", &self.mint)
            .field("quote_rate_limit", &self.quote_rate_limit)
            .field("body_budget", &self.body_budget)
            .field("admin_token", &"[redacted]")
            .finish()
    }
}

impl AppState {
    /// State with the given info, wallet directory and mint, the default body, body budget and quote rate
    /// limits, and no
    /// admin token
    /// (the admin API closed).
    pub fn new(info: MintInfoSettings, wallet_dir: impl Into<PathBuf>, mint: Arc<Mint>) -> Self {
        AppState {
            info: Arc::new(info),
            wallet_dir: Arc::from(wallet_dir.into()),
            max_body_bytes: crate::config::DEFAULT_MAX_BODY_BYTES,
            quote_rate_limit: Some(crate::config::DEFAULT_QUOTE_RATE_LIMIT),
            body_budget: crate::routes::limit::BodyLimiter::new(crate::config::DEFAULT_BODY_BUDGET),
            admin_token: Arc::new(zeroize::Zeroizing::new(Vec::new())),
            metrics: Arc::new(crate::metrics::Metrics::new(&mint)),
            mint,
        }
    }

    /// This state with the admin API open to the bearer of `token` (sent as hex).
    pub fn with_admin_token(self, token: Vec<u8>) -> Self {
        AppState { admin_token: Arc::new(zeroize::Zeroizing::new(token)), ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn debug_shows_neither_the_master_secret_nor_the_admin_token() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = testing::state(dir.path(), dir.path()).await;
        state.admin_token = Arc::new(zeroize::Zeroizing::new(vec![0xab; 32]));
        let shown = format!("{state:?} {:?} {:#?}", state.mint, state);
        // The master secret is [1; 32]: as Debug shows bytes and as hex.
        for secret in
            [format!("{:?}", vec![1u8; 32]), "01".repeat(32), format!("{:?}", vec![0xabu8; 32]), "ab".repeat(32)]
        {
            assert!(!shown.contains(&secret), "{secret} in {shown}");
        }
        assert!(shown.contains("[redacted]") && shown.contains("Unit mint"), "{shown}");
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
