//! The Cashu endpoints (NUT-01..05, 07, 09): extract, call [`crate::mint::Mint`], map errors.
//!
//! State-changing `POST`s read the raw body so that the NUT-19 cache key is the hash of exactly what the
//! client sent; bodies are parsed here so that malformed JSON gets a Cashu error body, not axum's text.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::de::DeserializeOwned;
use shared::Id;
use shared::nuts::{
    CheckStateResponse, KeysResponse, KeysetResponse, MeltQuoteBolt11Request, MeltQuoteBolt11Response, MeltRequest,
    MintQuoteBolt11Request, MintQuoteBolt11Response, MintRequest, MintResponse, RestoreRequest, RestoreResponse,
    SwapRequest, SwapResponse,
};

use crate::AppState;
use crate::error::ApiError;
use crate::mint::{MintError, cache_key};

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("invalid request body: {e}")))
}

fn bolt11_only(method: &str) -> Result<(), ApiError> {
    if method == "bolt11" { Ok(()) } else { Err(MintError::UnsupportedMethod(method.to_owned()).into()) }
}

/// `GET /v1/keys`.
pub async fn keys(State(state): State<AppState>) -> Json<KeysResponse> {
    Json(state.mint.keys())
}

/// `GET /v1/keys/{keyset_id}`.
pub async fn keyset_keys(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<KeysResponse>, ApiError> {
    let id: Id = id.parse().map_err(|_| MintError::UnknownKeyset(id.clone()))?;
    Ok(Json(state.mint.keyset_keys(&id).await?))
}

/// `GET /v1/keysets`.
pub async fn keysets(State(state): State<AppState>) -> Json<KeysetResponse> {
    Json(state.mint.keyset_infos())
}

/// `POST /v1/swap`.
pub async fn swap(State(state): State<AppState>, body: Bytes) -> Result<Json<SwapResponse>, ApiError> {
    let request: SwapRequest = parse(&body)?;
    Ok(Json(state.mint.swap(request, cache_key("POST", "/v1/swap", &body)).await?))
}

/// `POST /v1/checkstate`.
pub async fn check_state(State(state): State<AppState>, body: Bytes) -> Result<Json<CheckStateResponse>, ApiError> {
    Ok(Json(state.mint.check_state(parse(&body)?).await?))
}

/// `POST /v1/restore`.
pub async fn restore(State(state): State<AppState>, body: Bytes) -> Result<Json<RestoreResponse>, ApiError> {
    let request: RestoreRequest = parse(&body)?;
    Ok(Json(state.mint.restore(request).await?))
}

/// `POST /v1/mint/quote/{method}`.
pub async fn mint_quote(
    State(state): State<AppState>,
    Path(method): Path<String>,
    body: Bytes,
) -> Result<Json<MintQuoteBolt11Response>, ApiError> {
    bolt11_only(&method)?;
    let request: MintQuoteBolt11Request = parse(&body)?;
    Ok(Json(state.mint.mint_quote_bolt11(request).await?))
}

/// `GET /v1/mint/quote/{method}/{quote_id}`.
pub async fn mint_quote_state(
    State(state): State<AppState>,
    Path((method, quote)): Path<(String, String)>,
) -> Result<Json<MintQuoteBolt11Response>, ApiError> {
    bolt11_only(&method)?;
    Ok(Json(state.mint.mint_quote_state(&quote).await?))
}

/// `POST /v1/mint/{method}`.
pub async fn mint(
    State(state): State<AppState>,
    Path(method): Path<String>,
    body: Bytes,
) -> Result<Json<MintResponse>, ApiError> {
    bolt11_only(&method)?;
    let request: MintRequest = parse(&body)?;
    let key = cache_key("POST", &format!("/v1/mint/{method}"), &body);
    Ok(Json(state.mint.mint_bolt11(request, key).await?))
}

/// `POST /v1/melt/quote/{method}`.
pub async fn melt_quote(
    State(state): State<AppState>,
    Path(method): Path<String>,
    body: Bytes,
) -> Result<Json<MeltQuoteBolt11Response>, ApiError> {
    bolt11_only(&method)?;
    let request: MeltQuoteBolt11Request = parse(&body)?;
    Ok(Json(state.mint.melt_quote_bolt11(request).await?))
}

/// `GET /v1/melt/quote/{method}/{quote_id}`.
pub async fn melt_quote_state(
    State(state): State<AppState>,
    Path((method, quote)): Path<(String, String)>,
) -> Result<Json<MeltQuoteBolt11Response>, ApiError> {
    bolt11_only(&method)?;
    Ok(Json(state.mint.melt_quote_state(&quote).await?))
}

/// `POST /v1/melt/{method}`.
pub async fn melt(
    State(state): State<AppState>,
    Path(method): Path<String>,
    body: Bytes,
) -> Result<Json<MeltQuoteBolt11Response>, ApiError> {
    bolt11_only(&method)?;
    let request: MeltRequest = parse(&body)?;
    let key = cache_key("POST", &format!("/v1/melt/{method}"), &body);
    Ok(Json(state.mint.melt_bolt11(request, key).await?))
}
