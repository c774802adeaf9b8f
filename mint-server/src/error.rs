//! Errors as the wire shows them: an HTTP status and a Cashu `{"code": ..., "detail": ...}` body.

use axum::Json;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use shared::nuts::{ErrorCode, ErrorResponse};

/// The code of errors that have no specific Cashu code (as Nutshell does: its base error has code 0).
pub const GENERIC_ERROR_CODE: u16 = 0;

/// The Cashu code of an error answer, kept in the response's extensions for `GET /metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CashuCode(pub u16);

/// An error a handler returns. Each variant decides its status and what the client is told; internals
/// are logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No endpoint at this path.
    #[error("no such endpoint: {method} {path}")]
    NotFound {
        /// The request's method.
        method: Method,
        /// The request's path.
        path: String,
    },
    /// The admin token is missing or wrong.
    #[error("missing or wrong admin token")]
    Unauthorized,
    /// The request body is not what the endpoint takes.
    #[error("{0}")]
    BadRequest(String),
    /// The mint refused the request (or failed).
    #[error(transparent)]
    Mint(#[from] crate::mint::MintError),
    /// The offline side refused the request (or failed).
    #[error(transparent)]
    Offline(#[from] crate::offline::OfflineMintError),
    /// The endpoint exists but not for this method.
    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed {
        /// The request's method.
        method: Method,
        /// The request's path.
        path: String,
    },
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Mint(error) if error.is_internal() => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Mint(crate::mint::MintError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Mint(_) => StatusCode::BAD_REQUEST,
            ApiError::Offline(error) if error.is_internal() => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Offline(crate::offline::OfflineMintError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Offline(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// The Cashu error code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::BadRequest(_) => ErrorCode::MalformedRequest,
            ApiError::NotFound { .. } | ApiError::MethodNotAllowed { .. } | ApiError::Unauthorized => {
                ErrorCode::from_code(GENERIC_ERROR_CODE)
            }
            ApiError::Mint(error) => error.code(),
            ApiError::Offline(error) => ErrorCode::from_code(error.code()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Mint(crate::mint::MintError::Internal(detail))
        | ApiError::Offline(crate::offline::OfflineMintError::Internal(detail)) = &self
        {
            // Internals are logged, never sent.
            tracing::error!(%detail, "internal error");
        }
        let code = self.code();
        let body = ErrorResponse::new(code, self.to_string());
        let mut response = (self.status(), Json(body)).into_response();
        response.extensions_mut().insert(CashuCode(code.to_code()));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn not_found_is_a_cashu_error_body() {
        let response = ApiError::NotFound { method: Method::GET, path: "/v1/nope".into() }.into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let body: ErrorResponse = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body.code.to_code(), GENERIC_ERROR_CODE);
        assert_eq!(body.detail, "no such endpoint: GET /v1/nope");
    }
}
