//! NUT-06: `GET /v1/info`.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use shared::nuts::nut04::MintSettings;
use shared::nuts::nut05::MeltSettings;
use shared::nuts::{MintInfo, Nuts};

use crate::{AppState, MintInfoSettings};

/// `implementation/version`, as NUT-06 asks.
pub const VERSION: &str = concat!("chaumian-mint/", env!("CARGO_PKG_VERSION"));

/// The NUTs this mint implements, and nothing more: wallets decide what to offer from this.
///
/// Minting (NUT-04) and melting (NUT-05) have no payment method yet, so both are reported disabled.
pub fn supported_nuts() -> Nuts {
    Nuts {
        nut04: MintSettings { methods: Vec::new(), disabled: true },
        nut05: MeltSettings { methods: Vec::new(), disabled: true },
        ..Nuts::default()
    }
}

/// The info document for the given settings at Unix time `now`.
pub fn mint_info(settings: &MintInfoSettings, now: Option<u64>) -> MintInfo {
    MintInfo {
        name: Some(settings.name.clone()),
        version: Some(VERSION.to_owned()),
        description: Some(settings.description.clone()),
        time: now,
        nuts: supported_nuts(),
        ..MintInfo::default()
    }
}

/// Seconds since the Unix epoch, or `None` if the clock is set before it.
fn unix_now() -> Option<u64> {
    SystemTime::now().duration_since(UNIX_EPOCH).ok().map(|elapsed| elapsed.as_secs())
}

/// `GET /v1/info`.
pub async fn get_info(State(state): State<AppState>) -> Json<MintInfo> {
    Json(mint_info(&state.info, unix_now()))
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
    fn reports_name_version_and_time() {
        let info = mint_info(&settings(), Some(1_700_000_000));
        assert_eq!(info.name.as_deref(), Some("Unit mint"));
        assert_eq!(info.description.as_deref(), Some("for unit tests"));
        assert_eq!(info.version.as_deref(), Some(concat!("chaumian-mint/", env!("CARGO_PKG_VERSION"))));
        assert_eq!(info.time, Some(1_700_000_000));
        assert_eq!(info.pubkey, None);
    }

    #[test]
    fn claims_no_nut_that_is_not_implemented() {
        let nuts = supported_nuts();
        assert!(nuts.nut04.disabled && nuts.nut04.methods.is_empty());
        assert!(nuts.nut05.disabled && nuts.nut05.methods.is_empty());
        for optional in [nuts.nut07, nuts.nut08, nuts.nut09, nuts.nut10, nuts.nut11, nuts.nut12] {
            assert!(!optional.supported);
        }
        assert_eq!(nuts.nut19, None);
    }

    #[test]
    fn the_clock_is_after_the_epoch() {
        assert!(unix_now().is_some_and(|now| now > 1_600_000_000));
    }

    #[tokio::test]
    async fn the_route_answers_json() {
        let state = AppState::new(settings(), "/nonexistent");
        let request = Request::get("/v1/info").body(Body::empty()).unwrap();
        let response = crate::app(state).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let info: MintInfo = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(info.name.as_deref(), Some("Unit mint"));
        assert!(info.time.is_some());
    }
}
