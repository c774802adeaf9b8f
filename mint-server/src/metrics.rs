//! The mint's measurements, shown by `GET /metrics` (`routes/metrics.rs`) in the Prometheus text format
//! (OpenMetrics), through the `prometheus-client` crate.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `mint_http_requests_total` | counter | `method`, `endpoint` (route template), `status` |
//! | `mint_http_request_duration_seconds` | histogram | `method`, `endpoint` |
//! | `mint_cashu_errors_total` | counter | `endpoint`, `code` (the Cashu code of an error answer) |
//! | `mint_sqlite_batch_size` | histogram | commits per group-commit transaction (SQLite only) |
//! | `mint_sqlite_fsync_duration_seconds` | histogram | fsyncs of the write-ahead log (SQLite only) |
//! | `mint_keyset_signed`, `mint_keyset_spent`, `mint_keyset_outstanding` | gauge | `keyset`, `unit` |
//! | `mint_store_healthy` | gauge | 1 while the store takes writes, 0 after a failed fsync or a dead thread |
//! | `mint_cpu_pool_jobs_total` | counter | jobs run on the CPU pool (`crate::cpu`): Cashu inputs and outputs, offline deposits |
//!
//! Labels are bounded: `endpoint` is the route's template (`/v1/mint/quote/{method}`, never the raw path;
//! `unmatched` for paths no route has), `method` one of the standard methods or `OTHER`.
//!
//! The keyset totals come from one query over the spent set and the signatures (a full scan), run at most
//! once per [`TOTALS_MAX_AGE`] (a task of the serving process refreshes them; a scrape refreshes them only
//! when they were never computed), so a scrape costs no database work.

use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::mint::Mint;

/// How old the keyset totals may get before the serving process computes them again.
pub const TOTALS_MAX_AGE: Duration = Duration::from_secs(60);

/// The `Content-Type` of the answer.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    endpoint: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    method: &'static str,
    endpoint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    endpoint: String,
    code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KeysetLabels {
    keyset: String,
    unit: String,
}

type ValueGauges = Family<KeysetLabels, Gauge<i64, AtomicI64>>;

fn latency_histogram() -> Histogram {
    // 250 µs .. about 4 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
}

/// The mint's metrics: one registry per [`AppState`], cheap to share.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<EndpointLabels, Histogram>,
    errors: Family<ErrorLabels, Counter>,
    signed: ValueGauges,
    spent: ValueGauges,
    outstanding: ValueGauges,
    healthy: Gauge,
    cpu_jobs: Counter,
    /// Held while `cpu_jobs` catches up with the pool, so concurrent scrapes do not both add.
    cpu_catch_up: Mutex<()>,
    /// When the keyset totals were last computed (`None`: never).
    totals_at: Mutex<Option<Instant>>,
    /// Held while the totals are computed, so concurrent refreshes do not each scan.
    refreshing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// A registry with every metric of the module table, the store's histograms included when `mint`'s
    /// store makes them.
    pub fn new(mint: &Mint) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "mint_http_requests",
            "HTTP requests answered, by route template and status",
            requests.clone(),
        );
        let latency = Family::<EndpointLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "mint_http_request_duration_seconds",
            "Time from a request's arrival to its answer's headers, by route template",
            latency.clone(),
        );
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register("mint_cashu_errors", "Error answers by Cashu error code", errors.clone());
        if let Some(store) = mint.store_metrics() {
            registry.register("mint_sqlite_batch_size", "Commits per group-commit transaction", store.batch_size);
            registry.register(
                "mint_sqlite_fsync_duration_seconds",
                "Duration of each fsync of the write-ahead log",
                store.fsync_seconds,
            );
        }
        let signed = ValueGauges::default();
        registry.register("mint_keyset_signed", "Value signed with the keyset, in its unit", signed.clone());
        let spent = ValueGauges::default();
        registry.register("mint_keyset_spent", "Value of the keyset's notes spent, in its unit", spent.clone());
        let outstanding = ValueGauges::default();
        registry.register(
            "mint_keyset_outstanding",
            "Value signed minus value spent (notes held by a pending melt count as outstanding)",
            outstanding.clone(),
        );
        let healthy = Gauge::default();
        registry.register("mint_store_healthy", "1 while the store takes writes, else 0", healthy.clone());
        let cpu_jobs = Counter::default();
        registry.register("mint_cpu_pool_jobs", "Jobs run on the CPU pool", cpu_jobs.clone());
        Metrics {
            registry,
            requests,
            latency,
            errors,
            signed,
            spent,
            outstanding,
            healthy,
            cpu_jobs,
            cpu_catch_up: Mutex::new(()),
            totals_at: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// Count one answered request: `method` and `endpoint` must come from a bounded set (a standard method,
    /// a route template), `code` is the Cashu code of an error answer.
    pub fn observe(&self, method: &'static str, endpoint: String, status: StatusCode, seconds: f64, code: Option<u16>) {
        if let Some(code) = code {
            self.errors.get_or_create(&ErrorLabels { endpoint: endpoint.clone(), code }).inc();
        }
        self.latency.get_or_create(&EndpointLabels { method, endpoint: endpoint.clone() }).observe(seconds);
        self.requests.get_or_create(&RequestLabels { method, endpoint, status: status.as_u16() }).inc();
    }

    /// Compute the keyset totals again (one query over the spent set and the signatures).
    pub async fn refresh_totals(&self, mint: &Mint) -> Result<(), crate::mint::MintError> {
        let _one = self.refreshing.lock().await;
        let totals = mint.keyset_totals().await?;
        for keyset in totals {
            let labels = KeysetLabels { keyset: keyset.keyset_id, unit: keyset.unit };
            let as_i64 = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
            self.signed.get_or_create(&labels).set(as_i64(keyset.signed));
            self.spent.get_or_create(&labels).set(as_i64(keyset.spent));
            let outstanding = i128::from(keyset.signed) - i128::from(keyset.spent);
            let outstanding = i64::try_from(outstanding).unwrap_or(if outstanding < 0 { i64::MIN } else { i64::MAX });
            self.outstanding.get_or_create(&labels).set(outstanding);
        }
        *self.totals_at.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        Ok(())
    }

    /// When the keyset totals were last computed (`None`: never).
    pub fn totals_computed_at(&self) -> Option<Instant> {
        *self.totals_at.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The text exposition.
    pub fn render(&self, mint: &Mint) -> Result<String, std::fmt::Error> {
        self.healthy.set(i64::from(mint.health().is_ok()));
        // The pool counts; the counter catches up at each scrape.
        let _one = self.cpu_catch_up.lock().unwrap_or_else(PoisonError::into_inner);
        let seen = self.cpu_jobs.get();
        self.cpu_jobs.inc_by(mint.cpu_pool().jobs().saturating_sub(seen));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Keep the keyset totals of `state` at most [`TOTALS_MAX_AGE`] old (the serving process spawns this).
pub async fn refresh_periodically(metrics: Arc<Metrics>, mint: Arc<Mint>) {
    let mut every = tokio::time::interval(TOTALS_MAX_AGE);
    loop {
        every.tick().await;
        if let Err(error) = metrics.refresh_totals(&mint).await {
            tracing::warn!(%error, "could not compute the keyset totals");
        }
    }
}
