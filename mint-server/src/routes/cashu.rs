//! The Cashu endpoints (NUT-01..05, 07, 09): extract, call [`crate::mint::Mint`], map errors.
//!
//! Bodies come through [`CashuJson`] (malformed JSON gets a Cashu error body) or, for the requests NUT-19
//! caches, [`Keyed`] (also the request's key). Payment methods are parsed as
//! [`PaymentMethod`]; which methods exist and what they take is the core's business.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use shared::Id;
use shared::nuts::bank::BankPayRequest;
use shared::nuts::{
    CheckStateRequest, CheckStateResponse, KeysResponse, KeysetResponse, MeltQuoteBolt11Response, MeltRequest,
    MintQuoteBolt11Request, MintQuoteBolt11Response, MintRequest, MintResponse, PaymentMethod, RestoreRequest,
    RestoreResponse, SwapRequest, SwapResponse,
};

use super::extract::{CashuJson, Keyed, invalid_body};
use crate::AppState;
use crate::error::ApiError;
use crate::mint::{MeltQuoteRequest, MintError};

/// `GET /v1/keys`.
pub(crate) async fn keys(State(state): State<AppState>) -> Json<KeysResponse> {
    Json(state.mint.keys())
}

/// `GET /v1/keys/{keyset_id}`.
pub(crate) async fn keyset_keys(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<KeysResponse>, ApiError> {
    let id: Id = id.parse().map_err(|_| MintError::UnknownKeyset(id.clone()))?;
    Ok(Json(state.mint.keyset_keys(&id).await?))
}

/// `GET /v1/keysets`.
pub(crate) async fn keysets(State(state): State<AppState>) -> Json<KeysetResponse> {
    Json(state.mint.keyset_infos())
}

/// `POST /v1/swap`.
pub(crate) async fn swap(
    State(state): State<AppState>,
    Keyed { request, key }: Keyed<SwapRequest>,
) -> Result<Json<SwapResponse>, ApiError> {
    Ok(Json(state.mint.swap(request, key).await?))
}

/// `POST /v1/checkstate`.
pub(crate) async fn check_state(
    State(state): State<AppState>,
    CashuJson(request): CashuJson<CheckStateRequest>,
) -> Result<Json<CheckStateResponse>, ApiError> {
    Ok(Json(state.mint.check_state(request).await?))
}

/// `POST /v1/restore`.
pub(crate) async fn restore(
    State(state): State<AppState>,
    CashuJson(request): CashuJson<RestoreRequest>,
) -> Result<Json<RestoreResponse>, ApiError> {
    Ok(Json(state.mint.restore(request).await?))
}

/// `POST /v1/mint/quote/{method}`.
pub(crate) async fn mint_quote(
    State(state): State<AppState>,
    Path(method): Path<PaymentMethod>,
    body: Bytes,
) -> Result<Json<MintQuoteBolt11Response>, ApiError> {
    let request = mint_quote_request(&body)?;
    Ok(Json(state.mint.mint_quote(&method, request).await?))
}

/// The body of a mint quote request. A `pubkey` that is no public key is NUT-20's 20009 ("invalid
/// `pubkey`"), any other malformed body the generic refusal.
fn mint_quote_request(body: &[u8]) -> Result<MintQuoteBolt11Request, ApiError> {
    /// Just the key, as given.
    #[derive(serde::Deserialize)]
    struct Key {
        #[serde(default)]
        pubkey: Option<serde_json::Value>,
    }
    serde_json::from_slice(body).map_err(|error| match serde_json::from_slice::<Key>(body) {
        Ok(Key { pubkey: Some(serde_json::Value::String(text)) })
            if !text.is_empty() && shared::PublicKey::from_hex(&text).is_err() =>
        {
            MintError::InvalidPubkey(text.chars().take(80).collect()).into()
        }
        Ok(Key { pubkey: Some(other) }) if !other.is_null() && !other.is_string() => {
            MintError::InvalidPubkey(other.to_string().chars().take(80).collect()).into()
        }
        _ => invalid_body(error),
    })
}

/// `GET /v1/mint/quote/{method}/{quote_id}`.
pub(crate) async fn mint_quote_state(
    State(state): State<AppState>,
    Path((method, quote)): Path<(PaymentMethod, String)>,
) -> Result<Json<MintQuoteBolt11Response>, ApiError> {
    Ok(Json(state.mint.mint_quote_state(&method, &quote).await?))
}

/// `POST /v1/mint/{method}`.
pub(crate) async fn mint(
    State(state): State<AppState>,
    Path(method): Path<PaymentMethod>,
    Keyed { request, key }: Keyed<MintRequest>,
) -> Result<Json<MintResponse>, ApiError> {
    Ok(Json(state.mint.mint(&method, request, key).await?))
}

/// `POST /v1/melt/quote/{method}`: the body's shape depends on the method ([`MeltQuoteRequest`]).
pub(crate) async fn melt_quote(
    State(state): State<AppState>,
    Path(method): Path<PaymentMethod>,
    body: Bytes,
) -> Result<Json<MeltQuoteBolt11Response>, ApiError> {
    let request = MeltQuoteRequest::from_json(&method, &body).map_err(invalid_body)?;
    Ok(Json(state.mint.melt_quote(&method, request).await?))
}

/// `GET /v1/melt/quote/{method}/{quote_id}`.
pub(crate) async fn melt_quote_state(
    State(state): State<AppState>,
    Path((method, quote)): Path<(PaymentMethod, String)>,
) -> Result<Json<MeltQuoteBolt11Response>, ApiError> {
    Ok(Json(state.mint.melt_quote_state(&method, &quote).await?))
}

/// `POST /v1/melt/{method}`.
pub(crate) async fn melt(
    State(state): State<AppState>,
    Path(method): Path<PaymentMethod>,
    Keyed { request, key }: Keyed<MeltRequest>,
) -> Result<Json<MeltQuoteBolt11Response>, ApiError> {
    Ok(Json(state.mint.melt(&method, request, key).await?))
}

/// `POST /v1/bank/pay` (our extension): pay a `bank` mint quote from an account.
pub(crate) async fn bank_pay(
    State(state): State<AppState>,
    CashuJson(request): CashuJson<BankPayRequest>,
) -> Result<Json<MintQuoteBolt11Response>, ApiError> {
    Ok(Json(state.mint.pay_mint_quote_from_account(request).await?))
}
