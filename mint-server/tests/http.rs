//! The mint over real HTTP: the server runs on an ephemeral 127.0.0.1 port and is called with reqwest.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use mint_server::{AppState, MintInfoSettings};
use reqwest::StatusCode;
use shared::nuts::{ErrorResponse, MintInfo};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server running in this process; stops when dropped or by [`TestServer::stop`].
struct TestServer {
    base: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    async fn start(wallet_dir: &Path) -> TestServer {
        Self::start_with(wallet_dir, mint_server::ServeLimits::default()).await
    }

    async fn start_with(wallet_dir: &Path, limits: mint_server::ServeLimits) -> TestServer {
        let info = MintInfoSettings { name: "Integration mint".into(), description: "over HTTP".into() };
        let db = tempfile::tempdir().unwrap();
        let store: std::sync::Arc<dyn mint_server::store::MintStore> =
            std::sync::Arc::new(mint_server::store::SqliteStore::open(&db.path().join("mint.sqlite")).await.unwrap());
        let funding = mint_server::funding::FundingRegistry::standard(std::sync::Arc::clone(&store), false);
        let mint =
            mint_server::mint::Mint::new(store, vec![3; 32], mint_server::mint::MintSettings::default(), funding)
                .await
                .unwrap();
        // SQLite keeps its open file; the directory can go when the test ends.
        std::mem::forget(db);
        let mut state = AppState::new(info, wallet_dir, std::sync::Arc::new(mint));
        state.max_body_bytes = 1024;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(mint_server::serve_with(listener, mint_server::app(state), limits, shutdown));
        TestServer { base: format!("http://{address}"), stop: Some(stop), task: Some(task) }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).unwrap();
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// A wallet directory shaped like trunk's output.
fn wallet_bundle() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<!DOCTYPE html><html><title>Test wallet</title></html>").unwrap();
    std::fs::write(dir.path().join("wallet-web-0123abcd_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.path().join("wallet-web-0123abcd.js"), "export default function init() {}").unwrap();
    std::fs::write(dir.path().join("style-0123abcd.css"), "body { margin: 0 }").unwrap();
    dir
}

#[tokio::test]
async fn info_parses_as_mint_info() {
    let bundle = wallet_bundle();
    let server = TestServer::start(bundle.path()).await;
    let response = reqwest::get(server.url("/v1/info")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let info: MintInfo = response.json().await.unwrap();
    assert_eq!(info.name.as_deref(), Some("Integration mint"));
    assert_eq!(info.description.as_deref(), Some("over HTTP"));
    let version = info.version.unwrap();
    assert!(version.starts_with("chaumian-mint/"), "{version}");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(info.time.is_some_and(|time| time.abs_diff(now) < 60));
    // Without the fake backend, only the bank method is offered.
    let methods: Vec<&str> = info.nuts.nut04.methods.iter().map(|m| m.method.as_str()).collect();
    assert_eq!(methods, ["bank"]);
    assert!(!info.nuts.nut04.disabled && !info.nuts.nut05.disabled);
    assert!(info.nuts.nut07.supported && info.nuts.nut09.supported && info.nuts.nut12.supported);
    server.stop().await;
}

#[tokio::test]
async fn the_wallet_is_served_at_the_root() {
    let bundle = wallet_bundle();
    let server = TestServer::start(bundle.path()).await;
    for path in ["/", "/settings/mints"] {
        let response = reqwest::get(server.url(path)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/html"), "{path}: {content_type}");
        assert!(response.text().await.unwrap().contains("<title>Test wallet</title>"), "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn assets_have_the_right_mime_types() {
    let bundle = wallet_bundle();
    let server = TestServer::start(bundle.path()).await;
    let wasm = reqwest::get(server.url("/wallet-web-0123abcd_bg.wasm")).await.unwrap();
    assert_eq!(wasm.status(), StatusCode::OK);
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(wasm.bytes().await.unwrap().as_ref(), b"\0asm\x01\0\0\0");
    let js = reqwest::get(server.url("/wallet-web-0123abcd.js")).await.unwrap();
    assert!(js.headers()["content-type"].to_str().unwrap().contains("javascript"));
    let css = reqwest::get(server.url("/style-0123abcd.css")).await.unwrap();
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    server.stop().await;
}

#[tokio::test]
async fn unknown_api_paths_are_cashu_errors() {
    let bundle = wallet_bundle();
    let server = TestServer::start(bundle.path()).await;
    for path in ["/v1/nope", "/v1/keys/00ad268c4d1f5826/extra", "/v1"] {
        let response = reqwest::get(server.url(path)).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json", "{path}");
        let error: ErrorResponse = response.json().await.unwrap();
        assert_eq!(error.code.to_code(), mint_server::error::GENERIC_ERROR_CODE);
        assert!(error.detail.contains(path), "{path}: {}", error.detail);
    }
    server.stop().await;
}

#[tokio::test]
async fn wrong_methods_are_cashu_errors() {
    let bundle = wallet_bundle();
    let server = TestServer::start(bundle.path()).await;
    let response = reqwest::Client::new().delete(server.url("/v1/info")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let error: ErrorResponse = response.json().await.unwrap();
    assert!(error.detail.contains("DELETE"), "{}", error.detail);
    server.stop().await;
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let bundle = wallet_bundle();
    let server = TestServer::start(bundle.path()).await;
    let response = reqwest::Client::new().post(server.url("/v1/swap")).body(vec![b'x'; 4096]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    server.stop().await;
}

#[tokio::test]
async fn the_api_allows_other_origins() {
    let bundle = wallet_bundle();
    let server = TestServer::start(bundle.path()).await;
    let response = reqwest::Client::new()
        .get(server.url("/v1/info"))
        .header("origin", "https://wallet.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    server.stop().await;
}

#[tokio::test]
async fn without_a_bundle_the_root_says_how_to_build_it() {
    let empty = tempfile::tempdir().unwrap();
    let server = TestServer::start(&empty.path().join("dist")).await;
    let response = reqwest::get(server.url("/")).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    assert!(response.text().await.unwrap().contains("trunk build"));
    // The API does not depend on the bundle.
    assert_eq!(reqwest::get(server.url("/v1/info")).await.unwrap().status(), StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn the_admin_api_allows_other_origins_but_still_needs_its_token() {
    let bundle = wallet_bundle();
    let server = TestServer::start(bundle.path()).await;
    let client = reqwest::Client::new();
    let preflight = client
        .request(reqwest::Method::OPTIONS, server.url("/admin/accounts"))
        .header("origin", "https://console.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let refused = client
        .post(server.url("/admin/accounts"))
        .header("origin", "https://console.example")
        .header("authorization", "Bearer not-the-token")
        .json(&serde_json::json!({ "pubkey": "02".repeat(33) }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn without_an_admin_token_the_admin_api_is_closed() {
    // `AppState::new` configures no token: no request may pass, with or without an empty bearer.
    let bundle = wallet_bundle();
    let server = TestServer::start(bundle.path()).await;
    let client = reqwest::Client::new();
    for authorization in [None, Some("Bearer "), Some("Bearer")] {
        let mut request = client.post(server.url("/admin/keysets/rotate"));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{authorization:?}");
        let body: ErrorResponse = response.json().await.unwrap();
        assert_eq!(body.detail, "missing or wrong admin token");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let bundle = wallet_bundle();
    let limits = mint_server::ServeLimits { header_read_timeout: Duration::from_millis(300), ..Default::default() };
    let server = TestServer::start_with(bundle.path(), limits).await;
    let mut slow = tokio::net::TcpStream::connect(server.base.trim_start_matches("http://")).await.unwrap();
    slow.write_all(b"GET /v1/info HTTP/1.1\r\nhost: mint\r\n").await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was still open after 5 s");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    // Honest clients are served meanwhile and after.
    assert_eq!(reqwest::get(server.url("/v1/info")).await.unwrap().status(), StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let bundle = wallet_bundle();
    let limits = mint_server::ServeLimits { max_connections: 2, ..Default::default() };
    let server = TestServer::start_with(bundle.path(), limits).await;
    let address = server.base.trim_start_matches("http://").to_owned();
    let first = tokio::net::TcpStream::connect(&address).await.unwrap();
    let _second = tokio::net::TcpStream::connect(&address).await.unwrap();
    let client = reqwest::Client::builder().timeout(Duration::from_millis(700)).build().unwrap();
    assert!(client.get(server.url("/v1/info")).send().await.is_err(), "a third connection was served");
    drop(first);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    assert_eq!(client.get(server.url("/v1/info")).send().await.unwrap().status(), StatusCode::OK);
    server.stop().await;
}
