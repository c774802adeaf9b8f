//! NUT-06: `GET /v1/info`.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use shared::nuts::nut04::{MintMethodSettings, MintSettings};
use shared::nuts::nut05::MeltSettings;
use shared::nuts::nut06::SupportedSettings;
use shared::nuts::nut19::{self, CachedEndpoint};
use shared::nuts::{MintInfo, Nuts};

use crate::{AppState, MintInfoSettings};

/// `implementation/version`, as NUT-06 asks.
pub const VERSION: &str = concat!("chaumian-mint/", env!("CARGO_PKG_VERSION"));

/// The NUTs this mint implements, and nothing more: wallets decide what to offer from this.
///
/// Minting (NUT-04) and melting (NUT-05) are offered for each configured payment method (`methods`:
/// method and human-readable name): `bank` always, `bolt11` while the fake backend is on.
pub fn supported_nuts(mint: &crate::mint::MintSettings, methods: &[(&str, &str)]) -> Nuts {
    let methods: Vec<MintMethodSettings> = methods
        .iter()
        .map(|(method, name)| MintMethodSettings {
            method: (*method).to_owned(),
            unit: mint.unit.clone(),
            method_name: Some((*name).to_owned()),
            min_amount: Some(shared::Amount::from_u64(1)),
            max_amount: Some(mint.max_quote_amount),
            options: (*method == "bolt11").then(|| serde_json::json!({ "description": false })),
        })
        .collect();
    let cached = |path: &str| CachedEndpoint { method: "POST".into(), path: path.into() };
    let supported = SupportedSettings { supported: true };
    Nuts {
        nut04: MintSettings { disabled: methods.is_empty(), methods: methods.clone() },
        nut05: MeltSettings { disabled: methods.is_empty(), methods },
        nut07: supported,
        nut09: supported,
        nut12: supported,
        nut19: Some(nut19::Settings {
            ttl: mint.response_cache_ttl_secs,
            cached_endpoints: vec![cached("/v1/swap"), cached("/v1/mint/bolt11"), cached("/v1/melt/bolt11")],
        }),
        ..Nuts::default()
    }
}

/// The info document for the given settings at Unix time `now`.
pub fn mint_info(
    settings: &MintInfoSettings,
    mint: &crate::mint::MintSettings,
    methods: &[(&str, &str)],
    now: Option<u64>,
) -> MintInfo {
    MintInfo {
        name: Some(settings.name.clone()),
        version: Some(VERSION.to_owned()),
        description: Some(settings.description.clone()),
        time: now,
        nuts: supported_nuts(mint, methods),
        ..MintInfo::default()
    }
}

/// Seconds since the Unix epoch, or `None` if the clock is set before it.
fn unix_now() -> Option<u64> {
    SystemTime::now().duration_since(UNIX_EPOCH).ok().map(|elapsed| elapsed.as_secs())
}

/// `GET /v1/info`.
pub async fn get_info(State(state): State<AppState>) -> Json<MintInfo> {
    let methods: Vec<(&str, &str)> = state.mint.funding().iter().map(|f| (f.method(), f.method_name())).collect();
    Json(mint_info(&state.info, state.mint.settings(), &methods, unix_now()))
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
        let info = mint_info(&settings(), &crate::mint::MintSettings::default(), &[], Some(1_700_000_000));
        assert_eq!(info.name.as_deref(), Some("Unit mint"));
        assert_eq!(info.description.as_deref(), Some("for unit tests"));
        assert_eq!(info.version.as_deref(), Some(concat!("chaumian-mint/", env!("CARGO_PKG_VERSION"))));
        assert_eq!(info.time, Some(1_700_000_000));
        assert_eq!(info.pubkey, None);
    }

    #[test]
    fn claims_no_nut_that_is_not_implemented() {
        let nuts = supported_nuts(&crate::mint::MintSettings::default(), &[]);
        assert!(nuts.nut04.disabled && nuts.nut04.methods.is_empty());
        assert!(nuts.nut05.disabled && nuts.nut05.methods.is_empty());
        for implemented in [nuts.nut07, nuts.nut09, nuts.nut12] {
            assert!(implemented.supported);
        }
        for not_implemented in [nuts.nut08, nuts.nut10, nuts.nut11] {
            assert!(!not_implemented.supported);
        }
        let nut19 = nuts.nut19.unwrap();
        assert_eq!(nut19.ttl, Some(crate::config::DEFAULT_CACHE_TTL_SECS));
        let paths: Vec<String> = nut19.cached_endpoints.into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/v1/swap", "/v1/mint/bolt11", "/v1/melt/bolt11"]);
        let forever = crate::mint::MintSettings { response_cache_ttl_secs: None, ..Default::default() };
        assert_eq!(supported_nuts(&forever, &[]).nut19.unwrap().ttl, None);
        let nuts = supported_nuts(&crate::mint::MintSettings::default(), &[("bank", "Bank"), ("bolt11", "Fake")]);
        assert!(!nuts.nut04.disabled && nuts.nut04.methods[1].method == "bolt11");
        assert_eq!(nuts.nut05.methods[0].method, "bank");
    }

    #[test]
    fn the_clock_is_after_the_epoch() {
        assert!(unix_now().is_some_and(|now| now > 1_600_000_000));
    }

    #[tokio::test]
    async fn the_route_answers_json() {
        let db = tempfile::tempdir().unwrap();
        let state = crate::state::testing::state(db.path(), std::path::Path::new("/nonexistent")).await;
        let request = Request::get("/v1/info").body(Body::empty()).unwrap();
        let response = crate::app(state).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let info: MintInfo = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(info.name.as_deref(), Some("Unit mint"));
        assert!(info.time.is_some());
        assert!(info.nuts.nut12.supported);
    }
}
