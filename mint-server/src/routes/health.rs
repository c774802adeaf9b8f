//! `GET /health`: whether the mint can take writes, for load balancers and supervisors.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::AppState;

/// The body of `GET /health`.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok`, or `unhealthy`.
    pub status: &'static str,
    /// Why not ok (absent when ok).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `200 {"status":"ok"}`, or `503 {"status":"unhealthy","reason":…}` once the store refuses writes (a
/// failed sync to disk, a dead writer thread); it stays so until the mint restarts.
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match state.mint.health() {
        Ok(()) => (StatusCode::OK, Json(Health { status: "ok", reason: None })),
        Err(unhealthy) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health { status: "unhealthy", reason: Some(unhealthy.reason().to_owned()) }),
        ),
    }
}
