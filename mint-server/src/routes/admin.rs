//! The operator's API under `/admin`: accounts (open, credit, show) and keyset rotation. Every request must
//! carry `Authorization: Bearer <admin token>` (the token is `--admin-token`, or `DATA_DIR/admin.token`,
//! created with mode 0600 on first start).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared::nuts::bank::AccountInfo;
use shared::{Amount, CurrencyUnit, KeySetInfo, PublicKey};

use super::extract::{CashuJson, parse};
use crate::AppState;
use crate::error::ApiError;
use crate::store::Account;

/// Body of `POST /admin/accounts`.
#[derive(Debug, Deserialize)]
pub struct CreateAccount {
    /// The key that will authorise payments from the account.
    pub pubkey: PublicKey,
}

/// Body of `POST /admin/accounts/{id}/credit`.
#[derive(Debug, Deserialize)]
pub struct Credit {
    /// Amount to add.
    pub amount: Amount,
    /// A note for the ledger (e.g. a bank transfer reference).
    #[serde(default)]
    pub reference: Option<String>,
}

/// Body of `POST /admin/keysets/rotate`.
#[derive(Debug, Default, Deserialize)]
pub struct Rotate {
    /// Unit (default: the mint's).
    #[serde(default)]
    pub unit: Option<CurrencyUnit>,
    /// Fee per input of the new keyset, in ppk.
    #[serde(default)]
    pub input_fee_ppk: u64,
}

/// The public view of an account.
pub fn account_info(account: Account) -> AccountInfo {
    AccountInfo {
        id: account.id,
        pubkey: account.pubkey,
        unit: account.unit,
        balance: account.balance,
        blocked: account.blocked,
    }
}

/// Refuse requests without the admin token, and every request when no token is configured. Comparison is of SHA-256 digests, so its time does not depend
/// on how much of the token was right.
pub(crate) async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or("");
    // No token configured (as `AppState::new` leaves it): the admin API is closed, never open to all.
    if state.admin_token.is_empty() {
        return Err(ApiError::Unauthorized);
    }
    let expected = hex::encode(state.admin_token.as_slice());
    if Sha256::digest(presented.trim().as_bytes()) != Sha256::digest(expected.as_bytes()) {
        return Err(ApiError::Unauthorized);
    }
    Ok(next.run(request).await)
}

/// `POST /admin/accounts`.
pub(crate) async fn create_account(
    State(state): State<AppState>,
    CashuJson(request): CashuJson<CreateAccount>,
) -> Result<Json<AccountInfo>, ApiError> {
    Ok(Json(account_info(state.mint.create_account(request.pubkey).await?)))
}

/// `GET /admin/accounts/{id}`.
pub(crate) async fn show_account(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AccountInfo>, ApiError> {
    Ok(Json(account_info(state.mint.account(&id).await?)))
}

/// `POST /admin/accounts/{id}/credit`.
pub(crate) async fn credit_account(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CashuJson(request): CashuJson<Credit>,
) -> Result<Json<AccountInfo>, ApiError> {
    Ok(Json(account_info(state.mint.credit_account(&id, request.amount, request.reference).await?)))
}

/// `POST /admin/keysets/rotate`.
pub(crate) async fn rotate_keyset(State(state): State<AppState>, body: Bytes) -> Result<Json<KeySetInfo>, ApiError> {
    // An empty body rotates with the defaults.
    let request: Rotate = if body.is_empty() { Rotate::default() } else { parse(&body)? };
    let unit = request.unit.unwrap_or_else(|| state.mint.settings().unit.clone());
    let record = state.mint.rotate_keyset(unit, request.input_fee_ppk).await?;
    Ok(Json(KeySetInfo {
        id: record.id,
        unit: record.unit,
        active: record.active,
        input_fee_ppk: record.input_fee_ppk,
        final_expiry: record.final_expiry,
    }))
}
