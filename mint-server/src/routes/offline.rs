//! The offline coins' endpoints under `/v1/offline` (`docs/offline-coins-endpoints.md`): extract, call
//! [`crate::offline::OfflineMint`], map errors. Malformed bodies are refused with code 13000.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use shared::offline::api::{
    AccountResponse, BondRequest, DepositRequest, DepositResponse, EvidenceResponse, KeysetsResponse, ReadAuth,
    RefundRequest, RefundResponse, RegisterRequest, SessionRequest, SessionResponseBody, WithdrawRequest,
    WithdrawalTranscript, WithdrawalsResponse,
};

use crate::AppState;
use crate::error::ApiError;
use crate::offline::OfflineMintError;

/// A JSON body; malformed ones get `{code: 13000, detail}`.
#[derive(Debug)]
pub(crate) struct OfflineJson<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OfflineJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(request, state).await.map_err(IntoResponse::into_response)?;
        serde_json::from_slice(&body).map(OfflineJson).map_err(|error| {
            ApiError::from(OfflineMintError::BadRequest(format!("invalid request body: {error}"))).into_response()
        })
    }
}

/// `GET /v1/offline/keysets`.
pub(crate) async fn keysets(State(state): State<AppState>) -> Result<Json<KeysetsResponse>, ApiError> {
    Ok(Json(state.mint.offline().keysets()?))
}

/// `POST /v1/offline/register`.
pub(crate) async fn register(
    State(state): State<AppState>,
    OfflineJson(request): OfflineJson<RegisterRequest>,
) -> Result<Json<AccountResponse>, ApiError> {
    Ok(Json(state.mint.offline().register(request).await?))
}

/// `POST /v1/offline/bond`.
pub(crate) async fn bond(
    State(state): State<AppState>,
    OfflineJson(request): OfflineJson<BondRequest>,
) -> Result<Json<AccountResponse>, ApiError> {
    Ok(Json(state.mint.offline().bond(request).await?))
}

/// `GET /v1/offline/accounts/{account}?time=T&signature=S`; a missing or malformed query is no
/// authorization (13017).
pub(crate) async fn account(
    State(state): State<AppState>,
    Path(account): Path<String>,
    auth: Result<Query<ReadAuth>, QueryRejection>,
) -> Result<Json<AccountResponse>, ApiError> {
    let auth = auth.ok().map(|Query(auth)| auth);
    Ok(Json(state.mint.offline().read_account(&account, auth.as_ref()).await?))
}

/// `GET /v1/offline/accounts/{account}/withdrawals?time=T&signature=S`.
pub(crate) async fn withdrawals(
    State(state): State<AppState>,
    Path(account): Path<String>,
    auth: Result<Query<ReadAuth>, QueryRejection>,
) -> Result<Json<WithdrawalsResponse>, ApiError> {
    let auth = auth.ok().map(|Query(auth)| auth);
    Ok(Json(state.mint.offline().read_withdrawals(&account, auth.as_ref()).await?))
}

/// `POST /v1/offline/session`.
pub(crate) async fn session(
    State(state): State<AppState>,
    OfflineJson(request): OfflineJson<SessionRequest>,
) -> Result<Json<SessionResponseBody>, ApiError> {
    Ok(Json(state.mint.offline().start_session(request).await?))
}

/// `POST /v1/offline/withdraw`.
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    OfflineJson(request): OfflineJson<WithdrawRequest>,
) -> Result<Json<WithdrawalTranscript>, ApiError> {
    Ok(Json(state.mint.offline().withdraw(request).await?))
}

/// `POST /v1/offline/deposit`.
pub(crate) async fn deposit(
    State(state): State<AppState>,
    OfflineJson(request): OfflineJson<DepositRequest>,
) -> Result<Json<DepositResponse>, ApiError> {
    Ok(Json(state.mint.offline().deposit(request, state.mint.as_ref()).await?))
}

/// `GET /v1/offline/evidence`.
pub(crate) async fn evidence(State(state): State<AppState>) -> Result<Json<EvidenceResponse>, ApiError> {
    Ok(Json(state.mint.offline().evidence().await?))
}

/// `POST /v1/offline/refund`.
pub(crate) async fn refund(
    State(state): State<AppState>,
    OfflineJson(request): OfflineJson<RefundRequest>,
) -> Result<Json<RefundResponse>, ApiError> {
    Ok(Json(state.mint.offline().refund(request).await?))
}

/// The answer of `POST /admin/offline/prune`.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Pruned {
    /// The keysets whose spent coins were forgotten.
    keysets: Vec<shared::offline::OfflineKeysetId>,
}

/// `POST /admin/offline/prune` (operator).
pub(crate) async fn prune(State(state): State<AppState>) -> Result<Json<Pruned>, ApiError> {
    Ok(Json(Pruned { keysets: state.mint.offline().prune().await? }))
}
