//! NUT-06: `GET /v1/info`.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use shared::PublicKey;
use shared::nuts::{MintInfo, Nuts};

use crate::{AppState, MintInfoSettings};

/// `implementation/version`, as NUT-06 asks.
pub const VERSION: &str = concat!("chaumian-mint/", env!("CARGO_PKG_VERSION"));

/// The info document: the operator's name and description, the mint's identity key, this version, the time
/// `now` (Unix seconds), and the NUT claims the core computed ([`crate::mint::Mint::nuts`]).
pub fn mint_info(settings: &MintInfoSettings, pubkey: PublicKey, nuts: Nuts, now: Option<u64>) -> MintInfo {
    MintInfo {
        name: Some(settings.name.clone()),
        pubkey: Some(pubkey),
        version: Some(VERSION.to_owned()),
        description: Some(settings.description.clone()),
        time: now,
        nuts,
        ..MintInfo::default()
    }
}

/// Seconds since the Unix epoch, or `None` if the clock is set before it.
fn unix_now() -> Option<u64> {
    SystemTime::now().duration_since(UNIX_EPOCH).ok().map(|elapsed| elapsed.as_secs())
}

/// Our extension of the info document: the offline coins' receipt key and where their keysets are. Cashu
/// clients ignore the unknown field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OfflineInfo {
    /// The key that signs offline deposit receipts (BIP-340 over its x coordinate).
    pub receipt_key: shared::PublicKey,
    /// Path of the offline keysets.
    pub keysets: String,
}

/// The body of `GET /v1/info`: NUT-06's document plus our `offline` extension.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InfoBody {
    /// NUT-06.
    #[serde(flatten)]
    pub info: MintInfo,
    /// Offline coins.
    pub offline: OfflineInfo,
}

/// `GET /v1/info`.
pub async fn get_info(State(state): State<AppState>) -> Json<InfoBody> {
    let offline = OfflineInfo {
        receipt_key: state.mint.offline().receipt_public_key(),
        keysets: "/v1/offline/keysets".to_owned(),
    };
    Json(InfoBody { info: mint_info(&state.info, state.mint.pubkey(), state.mint.nuts(), unix_now()), offline })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use tower::ServiceExt;

    fn settings() -> MintInfoSettings {
        MintInfoSettings { name: "Unit mint".into(), description: "for unit tests".into() }
    }

    #[test]
    fn reports_name_version_time_and_the_claims_given() {
        let nuts = Nuts { nut07: shared::nuts::nut06::SupportedSettings { supported: true }, ..Nuts::default() };
        let pubkey = shared::SecretKey::from_slice(&[1; 32]).unwrap().public_key();
        let info = mint_info(&settings(), pubkey, nuts.clone(), Some(1_700_000_000));
        assert_eq!(info.name.as_deref(), Some("Unit mint"));
        assert_eq!(info.description.as_deref(), Some("for unit tests"));
        assert_eq!(info.version.as_deref(), Some(concat!("chaumian-mint/", env!("CARGO_PKG_VERSION"))));
        assert_eq!(info.time, Some(1_700_000_000));
        assert_eq!(info.pubkey, Some(pubkey));
        assert_eq!(info.nuts, nuts);
    }

    #[test]
    fn the_clock_is_after_the_epoch() {
        assert!(unix_now().is_some_and(|now| now > 1_600_000_000));
    }

    #[tokio::test]
    async fn the_route_answers_json() {
        let db = tempfile::tempdir().unwrap();
        let state = crate::state::testing::state(db.path(), std::path::Path::new("/nonexistent")).await;
        let pubkey = state.mint.pubkey();
        let request = Request::get("/v1/info").body(Body::empty()).unwrap();
        let response = crate::app(state).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let info: MintInfo = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(info.name.as_deref(), Some("Unit mint"));
        assert!(info.time.is_some());
        assert_eq!(info.pubkey, Some(pubkey));
        assert!(info.nuts.nut12.supported);
    }
}
