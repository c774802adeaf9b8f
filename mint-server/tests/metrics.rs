//! `GET /metrics` over real HTTP on both backends: after a swap and a refused swap, the Prometheus text parses
//! and shows the requests by route template and status, the latency histogram, the refusal's Cashu code,
//! the value outstanding per keyset, and (SQLite) the group commit's batch sizes and fsync times.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::wallet::TestMint;
use mint_server::mint::MintSettings;
use mint_server::store::MintStore;
use shared::nuts::ErrorCode;

/// One sample: metric name and its labels (sorted).
type Series = (String, BTreeMap<String, String>);

/// A small parser of the text exposition: `name{label="value",...} number` lines; `#` lines must be
/// `HELP`, `TYPE`, `UNIT` or the final `EOF`. Panics on anything else.
fn parse(text: &str) -> BTreeMap<Series, f64> {
    let mut samples = BTreeMap::new();
    let mut lines = text.lines().peekable();
    let mut saw_eof = false;
    while let Some(line) = lines.next() {
        if let Some(comment) = line.strip_prefix("# ") {
            let keyword = comment.split(' ').next().unwrap();
            assert!(["HELP", "TYPE", "UNIT", "EOF"].contains(&keyword), "bad comment line {line:?}");
            if keyword == "EOF" {
                saw_eof = true;
                assert!(lines.peek().is_none(), "text after # EOF");
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value in {line:?}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value in {line:?}"));
        let (name, labels) = match series.split_once('{') {
            None => (series.to_owned(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("unclosed labels in {line:?}"));
                let mut labels = BTreeMap::new();
                // Label values here never hold `",` (route templates, numbers, ids).
                for pair in body.split("\",").filter(|pair| !pair.is_empty()) {
                    let (key, quoted) = pair.split_once("=\"").unwrap_or_else(|| panic!("bad label in {line:?}"));
                    labels.insert(key.to_owned(), quoted.trim_end_matches('"').to_owned());
                }
                (name.to_owned(), labels)
            }
        };
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'), "bad metric name in {line:?}");
        assert!(samples.insert((name, labels), value).is_none(), "duplicate series {line:?}");
    }
    assert!(saw_eof, "no # EOF");
    samples
}

/// The value of one series, by name and labels.
fn value(samples: &BTreeMap<Series, f64>, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    samples.get(&(name.to_owned(), labels)).copied()
}

async fn scrape(mint: &TestMint) -> BTreeMap<Series, f64> {
    let response = mint.client.get(mint.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    parse(&response.text().await.unwrap())
}

async fn metrics_after_a_swap_and_a_refusal(store: Arc<dyn MintStore>, sqlite: bool) {
    let mint = TestMint::start(store, MintSettings::default()).await;
    let notes = mint.mint_notes(&[8, 4]).await;
    mint.swap(vec![notes[0].clone()], &[4, 4]).await.unwrap();
    let refused = mint.swap(vec![notes[0].clone()], &[8]).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::TokenAlreadySpent);
    let missing = mint.client.get(mint.url("/v1/no-such-endpoint")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let quote_id = "00000000-0000-4000-8000-000000000000";
    let unknown = mint.client.get(mint.url(&format!("/v1/mint/quote/bolt11/{quote_id}"))).send().await.unwrap();
    assert_eq!(unknown.status(), 400);

    let samples = scrape(&mint).await;
    let swap_ok = [("method", "POST"), ("endpoint", "/v1/swap"), ("status", "200")];
    assert_eq!(value(&samples, "mint_http_requests_total", &swap_ok), Some(1.0));
    let swap_refused = [("method", "POST"), ("endpoint", "/v1/swap"), ("status", "400")];
    assert_eq!(value(&samples, "mint_http_requests_total", &swap_refused), Some(1.0));
    let code = ErrorCode::TokenAlreadySpent.to_code().to_string();
    let spent = [("endpoint", "/v1/swap"), ("code", code.as_str())];
    assert_eq!(value(&samples, "mint_cashu_errors_total", &spent), Some(1.0));
    let swaps = [("method", "POST"), ("endpoint", "/v1/swap")];
    assert_eq!(value(&samples, "mint_http_request_duration_seconds_count", &swaps), Some(2.0));
    let swaps_inf = [("method", "POST"), ("endpoint", "/v1/swap"), ("le", "+Inf")];
    assert_eq!(value(&samples, "mint_http_request_duration_seconds_bucket", &swaps_inf), Some(2.0));
    assert!(value(&samples, "mint_http_request_duration_seconds_sum", &swaps).unwrap() > 0.0);
    // Route templates, never raw paths: the quote id is nowhere, its route is.
    let quote_state = [("method", "GET"), ("endpoint", "/v1/mint/quote/{method}/{quote_id}"), ("status", "400")];
    assert_eq!(value(&samples, "mint_http_requests_total", &quote_state), Some(1.0));
    let quote_created = [("method", "POST"), ("endpoint", "/v1/mint/quote/{method}"), ("status", "200")];
    assert_eq!(value(&samples, "mint_http_requests_total", &quote_created), Some(1.0));
    assert!(samples.keys().all(|(_, labels)| labels.values().all(|v| !v.contains(quote_id) && v != "bolt11")));
    let unmatched = [("method", "GET"), ("endpoint", "unmatched"), ("status", "404")];
    assert_eq!(value(&samples, "mint_http_requests_total", &unmatched), Some(1.0));
    assert_eq!(value(&samples, "mint_cashu_errors_total", &[("endpoint", "unmatched"), ("code", "0")]), Some(1.0));

    // Minted 12, swapped 8 for 8: outstanding 12, signed 20, spent 8.
    let keyset = mint.keyset().await.id.to_string();
    let labels = [("keyset", keyset.as_str()), ("unit", "sat")];
    assert_eq!(value(&samples, "mint_keyset_outstanding", &labels), Some(12.0));
    assert_eq!(value(&samples, "mint_keyset_signed", &labels), Some(20.0));
    assert_eq!(value(&samples, "mint_keyset_spent", &labels), Some(8.0));
    assert_eq!(value(&samples, "mint_store_healthy", &[]), Some(1.0));

    let batches = value(&samples, "mint_sqlite_batch_size_count", &[]);
    let fsyncs = value(&samples, "mint_sqlite_fsync_duration_seconds_count", &[]);
    if sqlite {
        // Commits: the quote, the issue, the swap, the refused swap.
        assert!(batches.unwrap() >= 1.0, "{batches:?}");
        assert!(value(&samples, "mint_sqlite_batch_size_sum", &[]).unwrap() >= 4.0);
        assert!(fsyncs.unwrap() >= 1.0, "{fsyncs:?}");
    } else {
        assert_eq!((batches, fsyncs), (None, None), "PostgreSQL has no group commit");
    }
    let health = mint.client.get(mint.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_metrics_after_a_swap_and_a_refusal() {
    let (store, _dir) = common::sqlite_store().await;
    metrics_after_a_swap_and_a_refusal(store, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_metrics_after_a_swap_and_a_refusal() {
    metrics_after_a_swap_and_a_refusal(common::postgres_store().await, false).await;
}

#[test]
fn the_parser_refuses_what_is_not_the_format() {
    let good = "# HELP a_total x\n# TYPE a counter\na_total{k=\"v\"} 1\n# EOF\n";
    assert_eq!(parse(good).len(), 1);
    for bad in ["a_total{k=\"v\"} 1\n", "a_total{k=\"v\" 1\n# EOF\n", "a b c\n# EOF\n", "# junk\n# EOF\n"] {
        assert!(std::panic::catch_unwind(|| parse(bad)).is_err(), "{bad:?}");
    }
}
