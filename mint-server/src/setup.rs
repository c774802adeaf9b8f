//! Start-up: open the configured store, load (or create) the master secret and admin token, register the
//! payment backends, and (only when serving) run the start-up tasks.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::config::InjectFault;
use crate::funding::FundingRegistry;
use crate::mint::{Mint, MintError, MintSettings};
use crate::store::{FaultInjection, MintStore, PostgresStore, SqliteOptions, SqliteStore, StoreError};
use crate::{AppState, Config, MintInfoSettings};

/// Why the mint could not start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// The master secret could not be loaded.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The keysets could not be loaded.
    #[error("keysets: {0}")]
    Mint(#[from] MintError),
}

/// Everything the server needs, as configured, with its start-up task done: melts a crash interrupted are
/// finished ([`Mint::recover_pending_melts`]). Only the server calls this.
pub async fn build_state(config: &Config) -> Result<AppState, SetupError> {
    let state = open_state(config).await?;
    state.mint.recover_pending_melts().await?;
    Ok(state)
}

/// Store, master secret, payment backends, mint and state, as configured, and nothing run: what the
/// operator commands use, since a server may be serving the same database (a melt pending there may be in
/// flight, not interrupted).
pub async fn open_state(config: &Config) -> Result<AppState, SetupError> {
    let faults = config.inject_fault.map(|fault| {
        tracing::warn!(?fault, "fault injection armed (for tests only)");
        let faults = Arc::new(FaultInjection::default());
        match fault {
            InjectFault::SyncFails => faults.fail_syncs(),
            InjectFault::WriterPanics => faults.panic_writer(),
        }
        faults
    });
    let sqlite = SqliteOptions { commit_delay: Duration::from_micros(config.commit_delay_us), faults };
    let store = open_store(config.database_url.as_deref(), &config.data_dir, sqlite).await?;
    let master = load_master_secret(config.master_secret.as_deref(), &config.data_dir.join("master.secret"))?;
    let settings = MintSettings {
        input_fee_ppk: config.input_fee_ppk,
        max_inputs: config.max_inputs,
        max_outputs: config.max_outputs,
        response_cache_ttl_secs: (config.cache_ttl_secs > 0).then_some(config.cache_ttl_secs),
        melt_lease_secs: config.melt_lease_secs.max(1),
        ..MintSettings::default()
    };
    let mut funding = FundingRegistry::standard(Arc::clone(&store), config.fake_bolt11);
    if config.fake_bolt11 {
        let fees = crate::funding::fake::FakeBolt11::with_fees(
            shared::Amount::from_u64(config.fake_bolt11_fee_reserve),
            shared::Amount::from_u64(config.fake_bolt11_fee_paid),
        );
        funding = funding.with(Arc::new(fees));
    }
    let mint = Arc::new(Mint::new(store, master.to_vec(), settings, funding).await?);
    let info = MintInfoSettings { name: config.name.clone(), description: config.description.clone() };
    let admin_token = load_admin_token(config.admin_token.as_deref(), &config.data_dir.join("admin.token"))?;
    Ok(AppState {
        max_body_bytes: config.max_body_bytes,
        admin_token: Arc::new(admin_token),
        quote_rate_limit: (config.quote_rate_burst > 0 && config.quote_rate_per_minute > 0).then_some(
            crate::routes::limit::RateLimit {
                burst: config.quote_rate_burst,
                per_minute: config.quote_rate_per_minute,
            },
        ),
        // A burst below the largest accepted body would refuse that body forever: raise it.
        body_budget: crate::routes::limit::BodyLimiter::new(crate::routes::limit::BodyBudget {
            kib_per_sec: config.client_body_kib_per_sec,
            burst_kib: config
                .client_body_burst_kib
                .max(u32::try_from(config.max_body_bytes.div_ceil(1024)).unwrap_or(u32::MAX)),
        }),
        ..AppState::new(info, config.wallet_dir.clone(), mint)
    })
}

/// Open the store a database URL names: `postgres://…` or `postgresql://…` for PostgreSQL, `sqlite://PATH`
/// or nothing for SQLite (then `DATA_DIR/mint.sqlite`, opened with `sqlite`).
pub async fn open_store(
    database_url: Option<&str>,
    data_dir: &Path,
    sqlite: SqliteOptions,
) -> Result<Arc<dyn MintStore>, StoreError> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PostgresStore::connect(url, 32).await?))
        }
        Some(url) => {
            let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
            Ok(Arc::new(SqliteStore::open_with(Path::new(path), sqlite).await?))
        }
        None => Ok(Arc::new(SqliteStore::open_with(&data_dir.join("mint.sqlite"), sqlite).await?)),
    }
}

/// Errors loading the master secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Reading or writing the file failed.
    #[error("master secret file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The secret is not 32..=128 bytes of hex.
    #[error("master secret must be 64 to 256 hex characters")]
    Malformed,
    /// The admin token given is empty (an empty token would open the admin API to every caller).
    #[error("the admin token is empty: give 64 to 256 hex characters, or none to use DATA_DIR/admin.token")]
    EmptyAdminToken,
    /// The admin token is not 32..=128 bytes of hex.
    #[error("the admin token must be 64 to 256 hex characters")]
    MalformedAdminToken,
    /// The random number generator failed.
    #[error("random number generator failed")]
    Rng,
}

fn decode(text: &str) -> Result<Zeroizing<Vec<u8>>, SecretError> {
    let bytes = Zeroizing::new(hex::decode(text.trim()).map_err(|_| SecretError::Malformed)?);
    if (32..=128).contains(&bytes.len()) { Ok(bytes) } else { Err(SecretError::Malformed) }
}

/// The admin API's bearer token: given (hex, e.g. from `MINT_ADMIN_TOKEN`), or read from `path`, or created
/// there on first start, as [`load_master_secret`] does. An empty or malformed token is refused: the mint
/// does not start.
pub fn load_admin_token(given: Option<&str>, path: &Path) -> Result<Zeroizing<Vec<u8>>, SecretError> {
    if given.is_some_and(|token| token.trim().is_empty()) {
        return Err(SecretError::EmptyAdminToken);
    }
    match load_master_secret(given, path) {
        Err(SecretError::Malformed) => Err(SecretError::MalformedAdminToken),
        other => other,
    }
}

/// The master secret every keyset's private keys derive from: given (hex, e.g. from `MINT_MASTER_SECRET`),
/// or read from `path`, or created there on first start (32 random bytes, hex, file mode 0600).
pub fn load_master_secret(given: Option<&str>, path: &Path) -> Result<Zeroizing<Vec<u8>>, SecretError> {
    if let Some(given) = given {
        return decode(given);
    }
    let io = |source| SecretError::Io { path: path.display().to_string(), source };
    match std::fs::read_to_string(path) {
        Ok(text) => return decode(&text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(io(error)),
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut secret = Zeroizing::new([0u8; 32]);
    getrandom::fill(secret.as_mut()).map_err(|_| SecretError::Rng)?;
    let text = Zeroizing::new(hex::encode(secret.as_ref()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    decode(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_secret_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("master.secret");
        let first = load_master_secret(None, &path).unwrap();
        let second = load_master_secret(None, &path).unwrap();
        assert_eq!(first.as_slice(), second.as_slice());
        assert_eq!(first.len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn an_empty_or_malformed_admin_token_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin.token");
        for empty in ["", "  "] {
            assert!(matches!(load_admin_token(Some(empty), &path), Err(SecretError::EmptyAdminToken)));
        }
        assert!(matches!(load_admin_token(Some("abcd"), &path), Err(SecretError::MalformedAdminToken)));
        std::fs::write(&path, "").unwrap();
        assert!(matches!(load_admin_token(None, &path), Err(SecretError::MalformedAdminToken)));
        assert_eq!(load_admin_token(Some(&"33".repeat(32)), &path).unwrap().as_slice(), [0x33; 32]);
    }

    #[test]
    fn a_given_secret_wins_and_is_validated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.secret");
        let given = "11".repeat(32);
        assert_eq!(load_master_secret(Some(&given), &path).unwrap().as_slice(), [0x11; 32]);
        assert!(!path.exists());
        assert!(matches!(load_master_secret(Some("abc"), &path), Err(SecretError::Malformed)));
        assert!(matches!(load_master_secret(Some(&"00".repeat(8)), &path), Err(SecretError::Malformed)));
    }
}
