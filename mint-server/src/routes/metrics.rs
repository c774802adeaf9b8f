//! `GET /metrics` and the middleware that counts and times every request ([`crate::metrics`]).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::CashuCode;
use crate::metrics::CONTENT_TYPE;

/// A standard method's name, or `OTHER` (so that a client cannot invent label values).
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::PATCH,
        Method::CONNECT,
        Method::TRACE,
    ];
    KNOWN.iter().find(|known| *known == method).map_or("OTHER", Method::as_str)
}

/// The route template a request matched, or `unmatched`.
fn endpoint_label(request: &Request) -> String {
    match request.extensions().get::<MatchedPath>().map(MatchedPath::as_str) {
        // A router's fallback matches through a catch-all of axum's own.
        Some(path) if !path.contains("__private__") => path.to_owned(),
        _ => "unmatched".to_owned(),
    }
}

/// Middleware: count and time every request, and the Cashu code of every error answer.
pub(crate) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let endpoint = endpoint_label(&request);
    let response = next.run(request).await;
    let code = response.extensions().get::<CashuCode>().map(|CashuCode(code)| *code);
    state.metrics.observe(method, endpoint, response.status(), started.elapsed().as_secs_f64(), code);
    response
}

/// `GET /metrics`.
pub(crate) async fn serve(State(state): State<AppState>) -> Response {
    if state.metrics.totals_computed_at().is_none() {
        // Never computed (the serving process's task refreshes them): once, here.
        if let Err(error) = state.metrics.refresh_totals(&state.mint).await {
            tracing::warn!(%error, "could not compute the keyset totals");
        }
    }
    match state.metrics.render(&state.mint) {
        Ok(text) => {
            let mut response = text.into_response();
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
            response
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "OTHER");
    }
}
