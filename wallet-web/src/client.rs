//! HTTP calls to the mint that served this page. Paths are relative, so the browser sends them to the
//! same origin: no CORS, and no mint URL to configure.

use gloo_net::http::Request;
use shared::nuts::MintInfo;

use crate::ClientError;
use crate::mint_info::{INFO_PATH, error_from_response, parse_info};

/// The origin (`http://host:port`) of the mint that served this page, which is the mint this wallet uses.
pub fn mint_origin() -> Option<String> {
    web_sys::window()?.location().origin().ok()
}

/// `GET /v1/info`.
pub async fn fetch_info() -> Result<MintInfo, ClientError> {
    let body = get_text(INFO_PATH).await?;
    parse_info(&body)
}

/// GETs `path` and returns the body of a successful answer.
async fn get_text(path: &str) -> Result<String, ClientError> {
    let unreachable = |error: gloo_net::Error| ClientError::Unreachable { reason: error.to_string() };
    let response = Request::get(path).header("accept", "application/json").send().await.map_err(unreachable)?;
    let body = response.text().await.map_err(unreachable)?;
    if response.ok() { Ok(body) } else { Err(error_from_response(response.status(), &body)) }
}
