//! What `GET /v1/info` claims (NUT-06 `nuts`): the NUTs implemented, minting and melting with the
//! registered payment methods, and the endpoints NUT-19 caches. Computed from what the mint really has,
//! so the claims cannot drift from the code.

use shared::Amount;
use shared::nuts::Nuts;
use shared::nuts::nut04::{MintMethodSettings, MintSettings as Nut04Settings};
use shared::nuts::nut05::MeltSettings;
use shared::nuts::nut06::SupportedSettings;
use shared::nuts::nut19;

use super::nut19::cached_endpoints;
use super::{Mint, MintSettings};
use crate::funding::FundingRegistry;

impl Mint {
    /// The NUTs this mint implements, and nothing more: wallets decide what to offer from this.
    pub fn nuts(&self) -> Nuts {
        supported_nuts(&self.settings, &self.funding)
    }
}

/// The claims of a mint with these settings and backends: NUT-04 and NUT-05 for each registered method
/// (in registration order), NUT-07, 08, 09, 12 and 20, and NUT-19 for [`cached_endpoints`].
pub(super) fn supported_nuts(settings: &MintSettings, funding: &FundingRegistry) -> Nuts {
    let methods: Vec<MintMethodSettings> = funding
        .iter()
        .map(|backend| MintMethodSettings {
            method: backend.method().to_string(),
            unit: settings.unit.clone(),
            method_name: Some(backend.method_name().to_owned()),
            min_amount: Some(Amount::from_u64(1)),
            max_amount: Some(settings.max_quote_amount),
            options: backend.mint_options(),
        })
        .collect();
    let supported = SupportedSettings { supported: true };
    Nuts {
        nut04: Nut04Settings { disabled: methods.is_empty(), methods: methods.clone() },
        nut05: MeltSettings { disabled: methods.is_empty(), methods },
        nut07: supported,
        nut08: supported,
        nut09: supported,
        nut12: supported,
        nut20: supported,
        nut19: Some(nut19::Settings {
            ttl: settings.response_cache_ttl_secs,
            cached_endpoints: cached_endpoints(&funding.methods()),
        }),
        ..Nuts::default()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::funding::fake::FakeBolt11;

    #[test]
    fn claims_no_nut_that_is_not_implemented() {
        let nuts = supported_nuts(&MintSettings::default(), &FundingRegistry::new());
        assert!(nuts.nut04.disabled && nuts.nut04.methods.is_empty());
        assert!(nuts.nut05.disabled && nuts.nut05.methods.is_empty());
        for implemented in [nuts.nut07, nuts.nut08, nuts.nut09, nuts.nut12, nuts.nut20] {
            assert!(implemented.supported);
        }
        for not_implemented in [nuts.nut10, nuts.nut11] {
            assert!(!not_implemented.supported);
        }
        let nut19 = nuts.nut19.unwrap();
        assert_eq!(nut19.ttl, Some(MintSettings::DEFAULT_RESPONSE_CACHE_TTL_SECS));
        let paths: Vec<String> = nut19.cached_endpoints.into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/v1/swap"]);
        let forever = MintSettings { response_cache_ttl_secs: None, ..Default::default() };
        assert_eq!(supported_nuts(&forever, &FundingRegistry::new()).nut19.unwrap().ttl, None);
    }

    #[test]
    fn methods_and_cached_endpoints_follow_the_registered_backends() {
        let funding = FundingRegistry::new().with(Arc::new(FakeBolt11::default()));
        let nuts = supported_nuts(&MintSettings::default(), &funding);
        assert!(!nuts.nut04.disabled && !nuts.nut05.disabled);
        assert_eq!(nuts.nut04.methods.len(), 1);
        let bolt11 = &nuts.nut04.methods[0];
        assert_eq!(bolt11.method, "bolt11");
        assert_eq!(bolt11.method_name.as_deref(), Some("Lightning (fake, development only)"));
        assert_eq!(bolt11.options, Some(serde_json::json!({ "description": false })));
        assert_eq!(bolt11.max_amount, Some(MintSettings::default().max_quote_amount));
        assert_eq!(nuts.nut05.methods, nuts.nut04.methods);
        let cached: Vec<(String, String)> =
            nuts.nut19.unwrap().cached_endpoints.into_iter().map(|e| (e.method, e.path)).collect();
        assert_eq!(
            cached,
            [
                ("POST".to_owned(), "/v1/swap".to_owned()),
                ("POST".to_owned(), "/v1/mint/bolt11".to_owned()),
                ("POST".to_owned(), "/v1/melt/bolt11".to_owned()),
            ]
        );
    }
}
