//! The mint: an HTTP server that speaks the Cashu API under `/v1` and serves the browser wallet at `/`.
//!
//! Entry points:
//! - [`Config`]: command-line flags and environment variables (clap).
//! - [`AppState`]: everything a request handler may read; cheap to clone.
//! - [`app`]: the whole [`axum::Router`], without a socket, so tests can drive it with
//!   `tower::ServiceExt::oneshot`.
//! - [`serve`]: runs a router on a bound listener until a shutdown future resolves.
//!
//! Handlers in [`routes`] are thin: extract, call the core, map errors to the Cashu `{code, detail}` body
//! ([`error::ApiError`]). Only this crate knows about HTTP; protocol types come from `shared`.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod config;
pub mod error;
pub mod funding;
pub mod mint;
pub mod routes;
pub mod setup;
pub mod shutdown;
pub mod state;
pub mod store;
pub mod wallet;

use std::future::Future;

use axum::Router;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use config::Config;
pub use state::{AppState, MintInfoSettings};

/// The mint's router: the Cashu API under `/v1`, the wallet bundle everywhere else.
pub fn app(state: AppState) -> Router {
    let max_body_bytes = state.max_body_bytes;
    // Wallets on other origins talk to mints directly, and the API uses no cookies or other ambient
    // credentials, so any origin may call it (as Cashu mints commonly allow).
    // The admin API needs its bearer token (no cookies either), so CORS exposes nothing to a page without
    // it; allowing it lets a browser operator console (and the wallet's browser tests) open accounts.
    let cors = CorsLayer::new().allow_origin(Any).allow_methods(Any).allow_headers(Any);
    Router::new()
        .nest("/v1", routes::v1().layer(cors.clone()))
        .nest("/admin", routes::admin(state.clone()).layer(cors))
        .route("/health", axum::routing::get(routes::health::health))
        .fallback(wallet::serve_bundle)
        .layer(RequestBodyLimitLayer::new(max_body_bytes))
        .layer(
            TraceLayer::new_for_http()
                // Per-request lines at DEBUG (RUST_LOG=tower_http=debug shows them): at INFO they cost about
                // 120 µs of CPU per swap (loadgen A/B, +20% throughput without them).
                .make_span_with(DefaultMakeSpan::new().level(Level::DEBUG))
                .on_response(DefaultOnResponse::new().level(Level::DEBUG)),
        )
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
