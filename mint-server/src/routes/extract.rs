//! Extractors for request bodies: JSON that answers malformed input with a Cashu error body (axum's own
//! `Json` answers in plain text), and, for the state-changing requests NUT-19 caches, the request's key.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, OriginalUri, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::AppState;
use crate::error::ApiError;
use crate::mint::{MintError, cache_key};
use crate::offline::OfflineMintError;
use shared::offline::api::MAX_DEPOSIT_BATCH;

/// The lists of points a request body may carry, counted without decoding a point.
#[derive(Deserialize)]
struct Counts {
    #[serde(default)]
    inputs: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    outputs: Option<Vec<IgnoredAny>>,
    /// NUT-07's serials.
    #[serde(default, rename = "Ys")]
    ys: Option<Vec<IgnoredAny>>,
    /// A batch of offline deposits (`POST /v1/offline/deposits`), each with its outputs.
    #[serde(default)]
    deposits: Option<Vec<DepositCounts>>,
}

/// One deposit of a batch, its outputs counted.
#[derive(Deserialize)]
struct DepositCounts {
    #[serde(default)]
    outputs: Option<Vec<IgnoredAny>>,
}

/// Middleware for the `/v1` endpoints: draw the body from the client's budget ([`BodyLimiter`], by its
/// declared length before a byte is read), then refuse a body with more inputs (or `Ys`) or outputs than the
/// mint takes before anything decodes its points (a point costs a square root to decompress; a 1 MiB body
/// holds about 15,000). Malformed bodies pass on, for the endpoint's own parser to refuse.
///
/// [`BodyLimiter`]: crate::routes::limit::BodyLimiter
pub(crate) async fn count_limits(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let client = crate::routes::limit::peer_ip(&request);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if let (Some(budget), Some(length)) = (&state.body_budget, declared)
        && let Err(refusal) = budget.charge(client, length)
    {
        return *refusal;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, state.max_body_bytes).await {
        Ok(bytes) => bytes,
        // Over the body limit (or the client went away): what axum's extractors answer then.
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "length limit exceeded").into_response(),
    };
    // A body sent without a length (chunked) is drawn once read; over the budget it is not served either.
    if let (Some(budget), None) = (&state.body_budget, declared)
        && let Err(refusal) = budget.charge(client, bytes.len())
    {
        return *refusal;
    }
    if let Ok(counts) = serde_json::from_slice::<Counts>(&bytes) {
        let settings = state.mint.settings();
        let inputs = counts.inputs.as_ref().map_or(0, Vec::len).max(counts.ys.as_ref().map_or(0, Vec::len));
        if inputs > settings.max_inputs {
            return ApiError::from(MintError::TooManyInputs(settings.max_inputs)).into_response();
        }
        if counts.outputs.as_ref().map_or(0, Vec::len) > settings.max_outputs {
            return ApiError::from(MintError::TooManyOutputs(settings.max_outputs)).into_response();
        }
        if let Some(deposits) = &counts.deposits {
            if deposits.len() > MAX_DEPOSIT_BATCH {
                let detail = format!("between 1 and {MAX_DEPOSIT_BATCH} deposits");
                return ApiError::from(OfflineMintError::BadRequest(detail)).into_response();
            }
            let outputs: usize = deposits.iter().map(|d| d.outputs.as_ref().map_or(0, Vec::len)).sum();
            if outputs > settings.max_outputs {
                let detail = format!("more than {} outputs in one request", settings.max_outputs);
                return ApiError::from(OfflineMintError::BadRequest(detail)).into_response();
            }
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// A JSON request body.
#[derive(Debug)]
pub(crate) struct CashuJson<T>(pub(crate) T);

/// The JSON body of a state-changing request, and its NUT-19 key: [`cache_key`] of the request's method,
/// path and exactly the bytes the client sent, so that an identical retry has the identical key.
#[derive(Debug)]
pub(crate) struct Keyed<T> {
    /// The parsed body.
    pub(crate) request: T,
    /// `SHA-256(method, path, body)`.
    pub(crate) key: [u8; 32],
}

/// Parse a JSON body, refusing it with a Cashu error body.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(invalid_body)
}

/// The refusal of a body that is not the JSON an endpoint takes.
pub(crate) fn invalid_body(error: serde_json::Error) -> ApiError {
    ApiError::BadRequest(format!("invalid request body: {error}"))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CashuJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        // A body over the limit keeps axum's answer (413 Payload Too Large).
        let body = Bytes::from_request(request, state).await.map_err(IntoResponse::into_response)?;
        parse(&body).map(CashuJson).map_err(IntoResponse::into_response)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Keyed<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let method = request.method().clone();
        // The full path (`/v1/swap`), not the one inside the nested router (`/swap`).
        let path = match request.extensions().get::<OriginalUri>() {
            Some(OriginalUri(uri)) => uri.path().to_owned(),
            None => request.uri().path().to_owned(),
        };
        let body = Bytes::from_request(request, state).await.map_err(IntoResponse::into_response)?;
        let parsed = parse(&body).map_err(IntoResponse::into_response)?;
        Ok(Keyed { request: parsed, key: cache_key(method.as_str(), &path, &body) })
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::post;
    use shared::nuts::ErrorResponse;
    use tower::ServiceExt;

    use super::*;

    #[derive(Debug, serde::Deserialize, serde::Serialize)]
    struct Body1 {
        n: u32,
    }

    /// Answers with the parsed number and the hex key.
    async fn echo(keyed: Keyed<Body1>) -> String {
        format!("{} {}", keyed.request.n, hex::encode(keyed.key))
    }

    async fn call(path: &str, body: &'static str) -> (StatusCode, Vec<u8>) {
        let app = Router::new().nest("/v1", Router::new().route("/echo/{x}", post(echo)));
        let response = app.oneshot(Request::post(path).body(Body::from(body)).unwrap()).await.unwrap();
        let status = response.status();
        (status, axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap().to_vec())
    }

    #[tokio::test]
    async fn the_key_is_the_hash_of_method_full_path_and_exact_body() {
        let (status, body) = call("/v1/echo/a", r#"{"n": 1}"#).await;
        assert_eq!(status, StatusCode::OK);
        let expected = format!("1 {}", hex::encode(cache_key("POST", "/v1/echo/a", br#"{"n": 1}"#)));
        assert_eq!(String::from_utf8(body).unwrap(), expected);
        // The same value in other bytes is another request.
        let (_, other) = call("/v1/echo/a", r#"{"n":1}"#).await;
        assert_ne!(String::from_utf8(other).unwrap(), expected);
    }

    #[tokio::test]
    async fn malformed_json_gets_a_cashu_error_body() {
        for bad in ["{", r#"{"n": "one"}"#, ""] {
            let (status, body) = call("/v1/echo/a", bad).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            let error: ErrorResponse = serde_json::from_slice(&body).unwrap();
            assert_eq!(error.code, shared::nuts::ErrorCode::MalformedRequest);
            assert!(error.detail.starts_with("invalid request body"), "{}", error.detail);
        }
    }
}
