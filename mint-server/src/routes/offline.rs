//! The offline coins' endpoints under `/v1/offline` (`docs/offline-coins-endpoints.md`): extract, call
//! [`crate::offline::OfflineMint`], map errors. Malformed bodies are refused with code 13000.

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::de::DeserializeOwned;
use shared::offline::api::{
    AccountResponse, BondRequest, DepositBatchRequest, DepositBatchResponse, DepositRequest, DepositResponse,
    EvidenceResponse, KeysetsResponse, ReadAuth, RefundRequest, RefundResponse, RegisterRequest, SessionRequest,
    SessionResponseBody, WithdrawRequest, WithdrawalTranscript, WithdrawalsResponse,
};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use tower_governor::GovernorError;
use tower_governor::governor::GovernorConfig;

use crate::AppState;
use crate::error::ApiError;
use crate::offline::OfflineMintError;
use crate::routes::limit::{PeerIp, peer_ip, refusal};

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

/// The deposits' rate limit ([`crate::routes::limit`]), for `POST /v1/offline/deposits` to draw one
/// permit per deposit (the layer drew the first).
#[derive(Clone)]
pub(crate) struct DepositLimit(pub(crate) Option<Arc<GovernorConfig<PeerIp, NoOpMiddleware>>>);

/// `POST /v1/offline/deposits`: a batch counts as many deposits against the client's rate limit as it holds.
pub(crate) async fn deposit_batch(
    State(state): State<AppState>,
    Extension(limit): Extension<DepositLimit>,
    request: Request,
) -> Result<Json<DepositBatchResponse>, Response> {
    let client = peer_ip(&request);
    let OfflineJson(batch) = OfflineJson::<DepositBatchRequest>::from_request(request, &state).await?;
    let extra = u32::try_from(batch.deposits.len().saturating_sub(1)).unwrap_or(u32::MAX);
    if let (Some(config), Some(extra)) = (&limit.0, NonZeroU32::new(extra)) {
        match config.limiter().check_key_n(&client, extra) {
            Ok(Ok(())) => {}
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now()).as_secs_f64().ceil() as u64;
                return Err(refusal(GovernorError::TooManyRequests { wait_time: wait.max(1), headers: None }));
            }
            Err(_) => {
                let detail = "more deposits in one request than a client's burst of deposits".into();
                return Err(ApiError::from(OfflineMintError::BadRequest(detail)).into_response());
            }
        }
    }
    let answer = state.mint.offline().deposit_batch(batch, state.mint.as_ref()).await;
    answer.map(Json).map_err(|error| ApiError::from(error).into_response())
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
