//! `mint-server`: parse the configuration, set up logging, and serve until Ctrl-C or SIGTERM.

use std::io::IsTerminal;

use anyhow::Context;
use clap::Parser;
use mint_server::Config;
use mint_server::config::Command;
use mint_server::routes::admin::account_info;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    init_tracing();
    if let Some(command) = config.command.clone() {
        return run_command(&config, command).await;
    }

    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
    if !config.wallet_dir.join("index.html").is_file() {
        tracing::warn!(
            wallet_dir = %config.wallet_dir.display(),
            "no wallet bundle there; / will explain how to build it (trunk build --release --dist dist)"
        );
    }

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr().context("cannot read the bound address")?;
    tracing::info!(
        data_dir = %config.data_dir.display(),
        wallet_dir = %config.wallet_dir.display(),
        "{} listening on http://{address}",
        mint_server::routes::info::VERSION,
    );

    let state = mint_server::setup::build_state(&config).await.context("cannot start the mint")?;
    tracing::info!(
        database = if config.database_url.as_deref().is_some_and(|u| u.starts_with("postgres")) {
            "postgresql"
        } else {
            "sqlite"
        },
        fake_bolt11 = config.fake_bolt11,
        keysets = state.mint.keyset_infos().keysets.len(),
        "mint ready"
    );
    // Keysets rotated by another instance on the same database show up here within a minute (and at once
    // when a request names one this instance has not seen).
    let mint = std::sync::Arc::clone(&state.mint);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        every.tick().await;
        loop {
            every.tick().await;
            if let Err(error) = mint.reload_keysets().await {
                tracing::warn!(%error, "could not reload keysets");
            }
        }
    });
    // Melts whose settler died (a crashed instance; its lease expired) are finished here, by whichever
    // instance takes their lease first. Operator commands never do this.
    let mint = std::sync::Arc::clone(&state.mint);
    let period = melt_recovery_period(config.melt_lease_secs);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(period);
        every.tick().await;
        loop {
            every.tick().await;
            if let Err(error) = mint.recover_pending_melts().await {
                tracing::warn!(%error, "could not finish pending melts");
            }
        }
    });
    // NUT-19: drop cached responses once their TTL has passed, checking a few times per TTL.
    if let Some(ttl) = state.mint.settings().response_cache_ttl_secs {
        let mint = std::sync::Arc::clone(&state.mint);
        let period = std::time::Duration::from_secs((ttl / 4).clamp(1, 300));
        tokio::spawn(async move {
            let mut every = tokio::time::interval(period);
            loop {
                every.tick().await;
                match mint.evict_expired_responses().await {
                    Ok(0) => {}
                    Ok(evicted) => tracing::debug!(evicted, "expired cached responses deleted"),
                    Err(error) => tracing::warn!(%error, "could not delete expired cached responses"),
                }
            }
        });
    }
    // Unpaid quotes past their expiry are deleted (paid ones never are), and so are offline session requests
    // no retry can need any more.
    let mint = std::sync::Arc::clone(&state.mint);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EXPIRED_QUOTE_SWEEP_PERIOD);
        loop {
            every.tick().await;
            match mint.delete_expired_quotes().await {
                Ok(0) => {}
                Ok(deleted) => tracing::debug!(deleted, "expired unpaid quotes deleted"),
                Err(error) => tracing::warn!(%error, "could not delete expired quotes"),
            }
            if let Err(error) = mint.offline().forget_session_requests().await {
                tracing::warn!(%error, "could not delete old offline session requests");
            }
        }
    });
    // GET /metrics: the value outstanding per keyset, computed once a minute rather than per scrape.
    tokio::spawn(mint_server::metrics::refresh_periodically(
        std::sync::Arc::clone(&state.metrics),
        std::sync::Arc::clone(&state.mint),
    ));
    // Supervision: if a thread the store needs dies, exit non-zero (a supervisor restarts the mint) rather
    // than answer 500 forever. A failed sync only refuses writes: reads go on, `/health` says 503.
    let mint = std::sync::Arc::clone(&state.mint);
    let store_stopped = async move {
        let mut every = tokio::time::interval(std::time::Duration::from_millis(200));
        loop {
            every.tick().await;
            if let Err(unhealthy @ mint_server::store::Unhealthy::Stopped(_)) = mint.health() {
                return unhealthy;
            }
        }
    };
    let app = mint_server::app(state);
    let limits = mint_server::ServeLimits {
        max_connections: config.max_connections,
        header_read_timeout: std::time::Duration::from_secs(config.header_read_timeout_secs),
    };
    tokio::select! {
        served = mint_server::serve_with(listener, app, limits, mint_server::shutdown::signal()) => {
            served.context("server error")?
        }
        unhealthy = store_stopped => {
            anyhow::bail!("the store stopped ({}); exiting so that the mint is restarted", unhealthy.reason())
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// How often the server looks for pending melts whose lease has expired: a quarter of the lease, between 1
/// and 15 seconds.
fn melt_recovery_period(lease_secs: u64) -> std::time::Duration {
    std::time::Duration::from_secs((lease_secs / 4).clamp(1, 15))
}

/// How often the server deletes expired unpaid quotes.
const EXPIRED_QUOTE_SWEEP_PERIOD: std::time::Duration = std::time::Duration::from_secs(60);

/// An operator command: open the database, act, print JSON. No start-up task runs: a server may be serving
/// the same database.
async fn run_command(config: &Config, command: Command) -> anyhow::Result<()> {
    let open = || async { mint_server::setup::open_state(config).await.context("cannot open the mint") };
    let output = match command {
        Command::CreateAccount { pubkey } => {
            let pubkey =
                shared::PublicKey::from_hex(&pubkey).context("--pubkey must be a SEC1 compressed key in hex")?;
            serde_json::to_value(account_info(open().await?.mint.create_account(pubkey).await?))?
        }
        Command::Credit { account, amount, reference } => serde_json::to_value(account_info(
            open().await?.mint.credit_account(&account, shared::Amount::from_u64(amount), reference).await?,
        ))?,
        Command::ShowAccount { account } => {
            serde_json::to_value(account_info(open().await?.mint.account(&account).await?))?
        }
        Command::RotateKeyset { input_fee_ppk } => {
            let state = open().await?;
            let unit = state.mint.settings().unit.clone();
            let record = state.mint.rotate_keyset(unit, input_fee_ppk).await?;
            serde_json::json!({ "id": record.id, "unit": record.unit, "active": record.active, "input_fee_ppk": record.input_fee_ppk })
        }
        Command::Audit { json } => {
            // The database only, like `backup`: no master secret read or created, no keyset created in it.
            let sqlite = mint_server::store::SqliteOptions::default();
            let store = mint_server::setup::open_store(config.database_url.as_deref(), &config.data_dir, sqlite)
                .await
                .context("cannot open the database")?;
            let audit = mint_server::audit::Audit::of(store.as_ref()).await.context("cannot read the books")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&audit)?);
            } else {
                print!("{}", audit.table());
            }
            anyhow::ensure!(audit.holds(), "the books do not hold: {} violation(s)", audit.violations.len());
            return Ok(());
        }
        Command::Backup { path } => {
            // The database only: no master secret read or created, no keyset created in it.
            let sqlite = mint_server::store::SqliteOptions::default();
            let store = mint_server::setup::open_store(config.database_url.as_deref(), &config.data_dir, sqlite)
                .await
                .context("cannot open the database")?;
            store.backup(&path).await.with_context(|| format!("cannot back up to {}", path.display()))?;
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            serde_json::json!({ "backup": path, "bytes": bytes })
        }
    };
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(())
}

/// Logs to stderr, filtered by `RUST_LOG` (default: `info`).
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
