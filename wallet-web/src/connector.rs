//! How the wallet talks to mints: the [`MintConnector`] trait (GET and POST JSON to a mint URL) and
//! [`HttpConnector`], its implementation with gloo-net (cross-origin `fetch`; mints send CORS headers).
//!
//! A connector returns the answer's text on success, [`WalletError::Mint`] with the parsed Cashu
//! `{code, detail}` on a 4xx answer that carries one ([`WalletError::from_mint_answer`]), and
//! [`WalletError::Network`] when no verdict arrived: no answer, a timeout, a 5xx, a proxy's page. The
//! distinction matters: only a mint's definitive refusal may roll an operation back.

use gloo_net::http::Request;

use crate::WalletError;

/// Requests to a mint. Object safe; futures are not `Send` (wasm is single-threaded).
#[async_trait::async_trait(?Send)]
pub trait MintConnector {
    /// `GET {mint}{path}`; the answer's body.
    async fn get(&self, mint: &str, path: &str) -> Result<String, WalletError>;
    /// `POST {mint}{path}` with a JSON body; the answer's body.
    async fn post(&self, mint: &str, path: &str, body: &str) -> Result<String, WalletError>;
}

/// How long a request may take before it counts as a network failure.
pub const TIMEOUT_MS: u32 = 20_000;

/// The browser's `fetch`, with a timeout.
#[derive(Debug, Clone, Default)]
pub struct HttpConnector;

impl HttpConnector {
    /// A connector.
    pub fn new() -> Self {
        HttpConnector
    }
}

#[async_trait::async_trait(?Send)]
impl MintConnector for HttpConnector {
    async fn get(&self, mint: &str, path: &str) -> Result<String, WalletError> {
        let request = Request::get(&format!("{mint}{path}")).header("accept", "application/json");
        send(mint, request.build().map_err(|e| network(mint, e))?).await
    }

    async fn post(&self, mint: &str, path: &str, body: &str) -> Result<String, WalletError> {
        let request = Request::post(&format!("{mint}{path}"))
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(body.to_owned())
            .map_err(|e| network(mint, e))?;
        send(mint, request).await
    }
}

fn network(mint: &str, reason: impl std::fmt::Display) -> WalletError {
    WalletError::Network { mint: mint.to_owned(), reason: reason.to_string() }
}

async fn send(mint: &str, request: gloo_net::http::Request) -> Result<String, WalletError> {
    use futures::future::{Either, select};
    let exchange = async {
        let response = request.send().await.map_err(|e| network(mint, e))?;
        let text = response.text().await.map_err(|e| network(mint, e))?;
        if response.ok() { Ok(text) } else { Err(WalletError::from_mint_answer(mint, response.status(), &text)) }
    };
    match select(Box::pin(exchange), Box::pin(crate::platform::sleep(TIMEOUT_MS))).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => Err(network(mint, format!("no answer within {} s", TIMEOUT_MS / 1000))),
    }
}
