//! `mint-server`: parse the configuration, set up logging, and serve until Ctrl-C or SIGTERM.

use std::io::IsTerminal;

use anyhow::Context;
use clap::Parser;
use mint_server::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    init_tracing();

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
    let app = mint_server::app(state);
    mint_server::serve(listener, app, mint_server::shutdown::signal()).await.context("server error")?;
    tracing::info!("stopped");
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
