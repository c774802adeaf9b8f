//! The Cashu endpoints (NUT-01..05, 07, 09): extract, call [`crate::mint::Mint`], map errors.
//!
//! State-changing `POST`s read the raw body so that the NUT-19 cache key is the hash of exactly what the
//! client sent; bodies are parsed here so that malformed JSON gets a Cashu error body, not axum's text.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::de::DeserializeOwned;
use shared::Id;
use shared::nuts::bank::{BankPayRequest, MeltQuoteBankRequest};
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

/// Payment methods are `[a-z0-9_-]+` (NUT-04); anything else cannot name a backend.
fn check_method(method: &str) -> Result<(), ApiError> {
    if !method.is_empty()
        && method.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        Ok(())
    } else {
        Err(MintError::UnsupportedMethod(method.to_owned()).into())
    }
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
    check_method(&method)?;
    let request: MintQuoteBolt11Request = parse(&body)?;
    Ok(Json(state.mint.mint_quote(&method, request).await?))
}

/// `GET /v1/mint/quote/{method}/{quote_id}`.
pub async fn mint_quote_state(
    State(state): State<AppState>,
    Path((method, quote)): Path<(String, String)>,
) -> Result<Json<MintQuoteBolt11Response>, ApiError> {
    check_method(&method)?;
    Ok(Json(state.mint.mint_quote_state(&method, &quote).await?))
}

/// `POST /v1/mint/{method}`.
pub async fn mint(
    State(state): State<AppState>,
    Path(method): Path<String>,
    body: Bytes,
) -> Result<Json<MintResponse>, ApiError> {
    check_method(&method)?;
    let request: MintRequest = parse(&body)?;
    let key = cache_key("POST", &format!("/v1/mint/{method}"), &body);
    Ok(Json(state.mint.mint(&method, request, key).await?))
}

/// `POST /v1/melt/quote/{method}`.
pub async fn melt_quote(
    State(state): State<AppState>,
    Path(method): Path<String>,
    body: Bytes,
) -> Result<Json<MeltQuoteBolt11Response>, ApiError> {
    check_method(&method)?;
    // The bank method names an amount; bolt11 invoices carry theirs.
    let (request, unit, amount) = if method == "bank" {
        let request: MeltQuoteBankRequest = parse(&body)?;
        (request.request, request.unit, Some(request.amount))
    } else {
        let request: MeltQuoteBolt11Request = parse(&body)?;
        (request.request, request.unit, None)
    };
    Ok(Json(state.mint.melt_quote(&method, request, unit, amount).await?))
}

/// `GET /v1/melt/quote/{method}/{quote_id}`.
pub async fn melt_quote_state(
    State(state): State<AppState>,
    Path((method, quote)): Path<(String, String)>,
) -> Result<Json<MeltQuoteBolt11Response>, ApiError> {
    check_method(&method)?;
    Ok(Json(state.mint.melt_quote_state(&method, &quote).await?))
}

/// `POST /v1/melt/{method}`.
pub async fn melt(
    State(state): State<AppState>,
    Path(method): Path<String>,
    body: Bytes,
) -> Result<Json<MeltQuoteBolt11Response>, ApiError> {
    check_method(&method)?;
    let request: MeltRequest = parse(&body)?;
    let key = cache_key("POST", &format!("/v1/melt/{method}"), &body);
    Ok(Json(state.mint.melt(&method, request, key).await?))
}

/// `POST /v1/bank/pay` (our extension): pay a `bank` mint quote from an account.
pub async fn bank_pay(State(state): State<AppState>, body: Bytes) -> Result<Json<MintQuoteBolt11Response>, ApiError> {
    let request: BankPayRequest = parse(&body)?;
    Ok(Json(state.mint.pay_mint_quote_from_account(request).await?))
}
