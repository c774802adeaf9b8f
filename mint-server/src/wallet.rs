//! Serving the wallet bundle (the `trunk build` output) at `/`.

use std::path::Path;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::AppState;

/// Serves files from the wallet directory. Paths that name no file get `index.html`, so the wallet's
/// client-side routes survive a reload. Without a built bundle, answers with how to build one.
pub async fn serve_bundle(State(state): State<AppState>, request: Request) -> Response {
    let dir = &state.wallet_dir;
    let index = dir.join("index.html");
    if !tokio::fs::try_exists(&index).await.unwrap_or(false) {
        return missing_bundle(dir);
    }
    // `.wasm` is served as `application/wasm` (mime_guess), which streaming compilation requires.
    let files = ServeDir::new(dir).fallback(ServeFile::new(index));
    let mut response = match files.oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    };
    // Trunk names assets by content hash, so only the page itself can go stale: make browsers revalidate
    // it, or after an upgrade they could keep an index.html pointing at assets that no longer exist.
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if is_html {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

fn missing_bundle(dir: &Path) -> Response {
    tracing::warn!(dir = %dir.display(), "wallet bundle missing");
    let message = format!(
        "The wallet is not built yet: there is no index.html in {dir}.\n\
         \n\
         Build it from the repository root with\n\
         \n    trunk build --release --dist dist\n\
         \n\
         (scripts/run does this for you), or start the mint with --wallet-dir pointing at a built bundle.\n\
         The mint's API works without it: try /v1/info.\n",
        dir = dir.display()
    );
    (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;

    async fn state(dir: &Path) -> AppState {
        let db = tempfile::tempdir().unwrap();
        let state = crate::state::testing::state(db.path(), dir).await;
        // The database directory may go: SQLite keeps its open file.
        std::mem::forget(db);
        state
    }

    async fn get(state: AppState, path: &str) -> (StatusCode, String, String) {
        let request = Request::get(path).body(Body::empty()).unwrap();
        let response = crate::app(state).oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response.headers()[header::CONTENT_TYPE].to_str().unwrap().to_owned();
        let cache_control = response.headers().get(header::CACHE_CONTROL).map(|value| value.to_str().unwrap());
        if content_type.starts_with("text/html") {
            assert_eq!(cache_control, Some("no-cache"), "{path}");
        } else {
            assert_eq!(cache_control, None, "{path}");
        }
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, content_type, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn a_missing_bundle_explains_how_to_build_it() {
        let dir = tempfile::tempdir().unwrap();
        let (status, content_type, body) = get(state(&dir.path().join("dist")).await, "/").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(content_type.starts_with("text/plain"));
        assert!(body.contains("trunk build"), "{body}");
        assert!(body.contains("/v1/info"), "{body}");
    }

    #[tokio::test]
    async fn client_side_routes_get_the_index() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<!doctype html><title>w</title>").unwrap();
        std::fs::write(dir.path().join("app.js"), "export {}").unwrap();
        for path in ["/", "/index.html", "/send/token", "/receive?x=1"] {
            let (status, content_type, body) = get(state(dir.path()).await, path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(content_type.starts_with("text/html"), "{path}: {content_type}");
            assert!(body.contains("<title>w</title>"), "{path}");
        }
        let (status, content_type, _) = get(state(dir.path()).await, "/app.js").await;
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.contains("javascript"), "{content_type}");
    }

    #[tokio::test]
    async fn unknown_api_paths_do_not_fall_through_to_the_wallet() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<!doctype html>").unwrap();
        let (status, content_type, body) = get(state(dir.path()).await, "/v1/no/such/thing").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(content_type, "application/json");
        assert!(body.contains("\"code\":0"), "{body}");
    }
}
