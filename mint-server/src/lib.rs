//! The mint: an HTTP server that speaks the Cashu API under `/v1` and serves the browser wallet at `/`.
//!
//! Entry points:
//! - [`Config`]: command-line flags and environment variables (clap).
//! - [`AppState`]: everything a request handler may read; cheap to clone.
//! - [`app`]: the whole [`axum::Router`], without a socket, so tests can drive it with
//!   `tower::ServiceExt::oneshot`.
//! - [`serve`], [`serve_with`]: run a router on a bound listener, with a connection cap and a header-read
//!   timeout ([`ServeLimits`]), until a shutdown future resolves.
//!
//! Handlers in [`routes`] are thin: extract, call the core, map errors to the Cashu `{code, detail}` body
//! ([`error::ApiError`]). Only this crate knows about HTTP; protocol types come from `shared`.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod audit;
pub mod config;
pub mod cpu;
pub mod error;
pub mod funding;
pub mod metrics;
pub mod mint;
pub mod offline;
pub mod routes;
pub mod setup;
pub mod shutdown;
pub mod state;
pub mod store;
pub mod wallet;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::sync::Semaphore;
use tower::ServiceExt;
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
        .nest("/v1", routes::v1(state.clone()).layer(cors.clone()))
        .nest("/admin", routes::admin(state.clone()).layer(cors))
        .route("/health", axum::routing::get(routes::health::health))
        .route("/metrics", axum::routing::get(routes::serve_metrics))
        .fallback(wallet::serve_bundle)
        // Applied to every route and the fallback, so it sees the matched route's template (`unmatched` when none).
        .layer(axum::middleware::from_fn_with_state(state.clone(), routes::track))
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

/// Limits of the HTTP server itself, before any request reaches a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Most connections open at once; further clients wait in the kernel's accept queue.
    pub max_connections: usize,
    /// Longest time a client may take to send a request's headers (HTTP/1); slower connections are closed.
    pub header_read_timeout: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            max_connections: config::DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: Duration::from_secs(config::DEFAULT_HEADER_READ_TIMEOUT_SECS),
        }
    }
}

/// Serves `app` on `listener` with the default [`ServeLimits`] until `shutdown` resolves, then lets
/// in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, app, ServeLimits::default(), shutdown).await
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight requests finish. Each
/// connection holds one of `limits.max_connections` slots until it closes, and must send each request's
/// headers within `limits.header_read_timeout` (axum's own `serve` sets no timer, so a client that never
/// finishes its headers held a connection and a task forever). Requests carry the peer's address as
/// [`ConnectInfo`].
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted: wait a little
                    // rather than spin, and go on serving.
                    tracing::debug!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(move |mut request: axum::http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request.map(axum::body::Body::new)
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
