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
    let files = ServeDir::new(dir).fallback(ServeFile::new(&index));
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
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if is_html {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        // The policy names the page's inline scripts by hash, so it is computed from the file served. The
        // fallback serves index.html for every client-side route; `/index.html` and `/` are the same file.
        match tokio::fs::read_to_string(&index).await {
            Ok(html) => match HeaderValue::from_str(&content_security_policy(&html)) {
                Ok(policy) => {
                    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
                }
                Err(error) => tracing::error!(%error, "content security policy is not a header value"),
            },
            Err(error) => tracing::error!(%error, "index.html unreadable for its content security policy"),
        }
    }
    response
}

/// The wallet page's Content-Security-Policy: everything from the mint's own origin, scripts only from it
/// and the page's own inline scripts by SHA-256 (Trunk's loader), WebAssembly compilation allowed
/// (`'wasm-unsafe-eval'`, not `'unsafe-eval'`), no plugins, no framing, no `<base>`; `connect-src` admits
/// any http(s) origin because the wallet talks to whichever mints its user adds.
pub fn content_security_policy(html: &str) -> String {
    let mut scripts = String::from("'self' 'wasm-unsafe-eval'");
    for hash in inline_script_hashes(html) {
        scripts.push_str(" 'sha256-");
        scripts.push_str(&hash);
        scripts.push('\'');
    }
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self' https: http:; worker-src 'self'; manifest-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Base64 SHA-256 of the text of every `<script>` element without a `src` attribute, as CSP hashes them
/// (the exact characters between `<script ...>` and `</script>`). The page is the wallet bundle the
/// operator deployed, not user input; a malformed tail simply adds no hash.
fn inline_script_hashes(html: &str) -> Vec<String> {
    use base64::Engine;
    use sha2::{Digest, Sha256};

    let lower = html.to_ascii_lowercase();
    let mut hashes = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<script").map(|offset| at + offset) {
        let Some(open_end) = lower[start..].find('>').map(|offset| start + offset) else { break };
        let Some(close) = lower[open_end..].find("</script").map(|offset| open_end + offset) else { break };
        let attributes = &lower[start + "<script".len()..open_end];
        if !attributes.split_ascii_whitespace().any(|attribute| attribute.starts_with("src=")) {
            let body = &html[open_end + 1..close];
            hashes.push(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_bytes())));
        }
        at = close + "</script".len();
    }
    hashes
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

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = "<html><head><script src=\"/a.js\"></script>\n<SCRIPT type=\"module\">import x;\n</SCRIPT>\
                    <script>1</script></head></html>";
        let hashes = inline_script_hashes(html);
        // echo -n 'import x;\n' | openssl dgst -sha256 -binary | base64 ; and the same for '1'.
        assert_eq!(
            hashes,
            ["RSzyeyhThNfli9Zan+OjZA7U6pGNofSKIxK7HEIyLP0=", "a4ayc/80/OGda4BO/1o/V0etpOqiLx1JwB5S3beHW0s="]
        );
        assert_eq!(inline_script_hashes("<script>unterminated"), Vec::<String>::new());
        let policy = content_security_policy(html);
        assert!(policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-RSzy"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
    }

    #[tokio::test]
    async fn the_page_carries_its_security_headers() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<!doctype html><script>boot()</script>").unwrap();
        std::fs::write(dir.path().join("app.js"), "export {}").unwrap();
        for path in ["/", "/send/token"] {
            let request = Request::get(path).body(Body::empty()).unwrap();
            let response = crate::app(state(dir.path()).await).oneshot(request).await.unwrap();
            let headers = response.headers();
            let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
            assert_eq!(policy, content_security_policy("<script>boot()</script>"), "{path}");
            assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
            assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
            assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        }
        let request = Request::get("/app.js").body(Body::empty()).unwrap();
        let response = crate::app(state(dir.path()).await).oneshot(request).await.unwrap();
        assert!(response.headers().get(header::CONTENT_SECURITY_POLICY).is_none());
        assert_eq!(response.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
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
