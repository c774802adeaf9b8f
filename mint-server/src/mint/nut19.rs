//! NUT-19 cached responses: the request key, looking a response up, committing with one, eviction.

use sha2::{Digest, Sha256};
use shared::nuts::PaymentMethod;
use shared::nuts::nut19::CachedEndpoint;

use super::{Mint, MintError};
use crate::store::{Commit, StoreError, unix_now};

/// The key under which a request's response is cached (NUT-19): `SHA256(method || path || body)`.
pub fn cache_key(method: &str, path: &str, body: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(method.as_bytes())
        .chain_update([0])
        .chain_update(path.as_bytes())
        .chain_update([0])
        .chain_update(body)
        .finalize()
        .into()
}

impl Mint {
    /// The cached response of an identical earlier request.
    pub(super) async fn cached<T: serde::de::DeserializeOwned>(&self, key: &[u8; 32]) -> Result<Option<T>, MintError> {
        match self.store.cached_response(key).await? {
            Some(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| MintError::Internal(format!("unreadable cached response: {e}"))),
            None => Ok(None),
        }
    }

    /// Commit; if it lost a race against an identical request (same cache key), that is a success too:
    /// the caller answers with the same response (NUT-19).
    pub(super) async fn commit_or_cached(&self, commit: &Commit, key: &[u8; 32]) -> Result<(), MintError> {
        match self.store.commit(commit).await {
            Ok(()) => Ok(()),
            Err(
                error @ (StoreError::AlreadySpent(_)
                | StoreError::OutputsAlreadySigned
                | StoreError::Duplicate
                | StoreError::QuoteStateConflict(_)),
            ) => {
                if self.store.cached_response(key).await?.is_some() {
                    Ok(())
                } else {
                    Err(match error {
                        StoreError::QuoteStateConflict(_) => MintError::QuoteIssued,
                        other => other.into(),
                    })
                }
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Delete cached responses older than the TTL (NUT-19). Returns how many; none without a TTL.
    pub async fn evict_expired_responses(&self) -> Result<u64, MintError> {
        match self.settings.response_cache_ttl_secs {
            Some(ttl) => {
                let ttl = i64::try_from(ttl).unwrap_or(i64::MAX);
                Ok(self.store.evict_cached_responses(unix_now().saturating_sub(ttl)).await?)
            }
            None => Ok(0),
        }
    }
}

/// The endpoints whose identical retries get the identical answer, for `GET /v1/info` (NUT-19): `swap`
/// (its inputs are spent under the request's key, see [`Mint::swap`]), and minting and melting with every
/// registered method (their responses are stored under the key in the same commit as their effects).
pub(super) fn cached_endpoints(methods: &[PaymentMethod]) -> Vec<CachedEndpoint> {
    let post = |path: String| CachedEndpoint { method: "POST".into(), path };
    let mut endpoints = vec![post("/v1/swap".into())];
    endpoints.extend(methods.iter().map(|method| post(format!("/v1/mint/{method}"))));
    endpoints.extend(methods.iter().map(|method| post(format!("/v1/melt/{method}"))));
    endpoints
}
