//! Per-client rate limits on quote creation (`POST /v1/mint/quote/*`, `POST /v1/melt/quote/*`), on
//! `POST /v1/bank/pay` and on `POST /v1/offline/deposit`: the unauthenticated writes that cost the client
//! nothing. A token bucket per client IP (`tower_governor`):
//! `burst` quotes at once, then one more every `60 / per_minute` seconds. Over the limit a client gets
//! `429 Too Many Requests` with a Cashu error body and a `retry-after` header.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use governor::middleware::NoOpMiddleware;
use shared::nuts::{ErrorCode, ErrorResponse};
use tower_governor::GovernorError;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;

/// A rate limit: `burst` requests at once, refilled at `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests a client may make at once.
    pub burst: u32,
    /// Requests per minute a client may make in the long run.
    pub per_minute: u32,
}

/// The client's key: its peer IP address (the server puts it in `ConnectInfo`); requests without one (driven
/// in-process, without a socket) share one bucket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerIp;

impl KeyExtractor for PeerIp {
    type Key = IpAddr;

    fn extract<T>(&self, request: &Request<T>) -> Result<IpAddr, GovernorError> {
        Ok(request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(peer)| peer.ip()))
    }
}

/// The limiter's configuration; `None` when the limit is off (`per_minute` or `burst` 0).
pub(crate) fn config(limit: RateLimit) -> Option<Arc<GovernorConfig<PeerIp, NoOpMiddleware>>> {
    if limit.burst == 0 || limit.per_minute == 0 {
        return None;
    }
    let period_ms = (60_000 / u64::from(limit.per_minute)).max(1);
    let config = GovernorConfigBuilder::default()
        .key_extractor(PeerIp)
        .per_millisecond(period_ms)
        .burst_size(limit.burst)
        .finish()?;
    let config = Arc::new(config);
    // Forget clients whose bucket is full again, so the table stays as small as the set of recent clients.
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let limiter = Arc::downgrade(&config);
        runtime.spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                match limiter.upgrade() {
                    Some(config) => config.limiter().retain_recent(),
                    None => break,
                }
            }
        });
    }
    Some(config)
}

/// The answer over the limit: 429 with a Cashu error body.
pub(crate) fn refusal(error: GovernorError) -> Response<Body> {
    let (status, wait) = match error {
        GovernorError::TooManyRequests { wait_time, .. } => (StatusCode::TOO_MANY_REQUESTS, Some(wait_time)),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, None),
    };
    let detail = match wait {
        Some(secs) => format!("too many requests from this client: retry in {secs} s"),
        None => "rate limiter failed".to_owned(),
    };
    let body = serde_json::to_vec(&ErrorResponse { code: ErrorCode::Unknown(0), detail }).unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    response.extensions_mut().insert(crate::error::CashuCode(0));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(secs) = wait {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    }
    response
}
