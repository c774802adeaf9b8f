//! Per-client rate limits on quote creation (`POST /v1/mint/quote/*`, `POST /v1/melt/quote/*`), on
//! `POST /v1/bank/pay` and on `POST /v1/offline/deposit`: the unauthenticated writes that cost the client
//! nothing. A token bucket per client IP (`tower_governor`):
//! `burst` quotes at once, then one more every `60 / per_minute` seconds. Over the limit a client gets
//! `429 Too Many Requests` with a Cashu error body and a `retry-after` header.
//!
//! Beside them, every `/v1` request body draws on a per-client budget of bytes ([`BodyLimiter`]), so that a
//! few clients sending the largest bodies back to back cannot take the cores that reading and scanning
//! them costs from everyone else.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::{DefaultKeyedRateLimiter, Quota};
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
        Ok(peer_ip(request))
    }
}

/// A client IP's budget of request-body bytes: `burst_kib` at once, refilled at `kib_per_sec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyBudget {
    /// KiB of request bodies a client may send per second in the long run.
    pub kib_per_sec: u32,
    /// KiB a client may send at once; at least the largest accepted body.
    pub burst_kib: u32,
}

/// The granularity of the body budget: a request costs its body's length rounded up to this (a one-input
/// swap, about 400 bytes, costs 512).
const BUDGET_CELL_BYTES: usize = 256;

/// Cells per KiB.
const CELLS_PER_KIB: u32 = (1024 / BUDGET_CELL_BYTES) as u32;

/// The per-client body budget: a token bucket per client IP, in cells of [`BUDGET_CELL_BYTES`].
pub struct BodyLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl std::fmt::Debug for BodyLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyLimiter").field("clients", &self.limiter.len()).finish()
    }
}

impl BodyLimiter {
    /// The limiter for `budget`; `None` when it is off (either figure 0).
    pub fn new(budget: BodyBudget) -> Option<Arc<BodyLimiter>> {
        let rate = NonZeroU32::new(budget.kib_per_sec.saturating_mul(CELLS_PER_KIB))?;
        let burst = NonZeroU32::new(budget.burst_kib.saturating_mul(CELLS_PER_KIB))?;
        let limiter = Arc::new(BodyLimiter {
            limiter: DefaultKeyedRateLimiter::dashmap(Quota::per_second(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
        });
        // Forget clients whose bucket is full again (as for the quote limits).
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let weak = Arc::downgrade(&limiter);
            runtime.spawn(async move {
                let mut every = tokio::time::interval(Duration::from_secs(60));
                loop {
                    every.tick().await;
                    match weak.upgrade() {
                        Some(limiter) => limiter.limiter.retain_recent(),
                        None => break,
                    }
                }
            });
        }
        Some(limiter)
    }

    /// Draws a body of `bytes` from `client`'s budget; over it, the answer to send instead (429 with
    /// `retry-after`, or 413 for a body larger than the whole budget).
    pub(crate) fn charge(&self, client: IpAddr, bytes: usize) -> Result<(), Box<Response<Body>>> {
        if bytes == 0 {
            return Ok(());
        }
        let cells = u32::try_from(bytes.div_ceil(BUDGET_CELL_BYTES)).unwrap_or(u32::MAX);
        let Some(cells) = NonZeroU32::new(cells) else { return Ok(()) };
        match self.limiter.check_key_n(&client, cells) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => {
                let wait_time = not_until.wait_time_from(self.clock.now()).as_secs_f64().ceil() as u64;
                Err(Box::new(refusal(GovernorError::TooManyRequests { wait_time: wait_time.max(1), headers: None })))
            }
            Err(_) => Err(Box::new(
                (StatusCode::PAYLOAD_TOO_LARGE, "request body larger than a client's budget").into_response(),
            )),
        }
    }
}

/// The peer IP a request came from; requests without one (driven in-process) share one key.
pub(crate) fn peer_ip<T>(request: &Request<T>) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(peer)| peer.ip())
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
    let code = if wait.is_some() { ErrorCode::RateLimited } else { ErrorCode::Unknown(0) };
    let body = serde_json::to_vec(&ErrorResponse { code, detail }).unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    response.extensions_mut().insert(crate::error::CashuCode(code.to_code()));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(secs) = wait {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    }
    response
}
