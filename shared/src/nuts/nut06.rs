//! NUT-06: `GET /v1/info`.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::nut04::MintSettings;
use super::nut05::MeltSettings;
use super::nut19;
use crate::PublicKey;

/// A way to reach the mint's operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactInfo {
    /// For example `email`.
    pub method: String,
    /// For example `ops@mint.example`.
    pub info: String,
}

/// `{"supported": bool}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SupportedSettings {
    /// Whether the NUT is supported.
    pub supported: bool,
}

/// The NUTs the mint supports, keyed by number as strings (`"4"`, `"5"`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Nuts {
    /// Minting.
    #[serde(rename = "4", default)]
    pub nut04: MintSettings,
    /// Melting.
    #[serde(rename = "5", default)]
    pub nut05: MeltSettings,
    /// Token state check.
    #[serde(rename = "7", default)]
    pub nut07: SupportedSettings,
    /// Overpaid fee change.
    #[serde(rename = "8", default)]
    pub nut08: SupportedSettings,
    /// Restore.
    #[serde(rename = "9", default)]
    pub nut09: SupportedSettings,
    /// Spending conditions.
    #[serde(rename = "10", default)]
    pub nut10: SupportedSettings,
    /// P2PK.
    #[serde(rename = "11", default)]
    pub nut11: SupportedSettings,
    /// DLEQ proofs.
    #[serde(rename = "12", default)]
    pub nut12: SupportedSettings,
    /// Cached responses.
    #[serde(rename = "19", default, skip_serializing_if = "Option::is_none")]
    pub nut19: Option<nut19::Settings>,
    /// Signed mint quotes.
    #[serde(rename = "20", default)]
    pub nut20: SupportedSettings,
}

/// Response of `GET /v1/info`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MintInfo {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The mint's public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubkey: Option<PublicKey>,
    /// `implementation/version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Long description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_long: Option<String>,
    /// Contacts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact: Vec<ContactInfo>,
    /// Message of the day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motd: Option<String>,
    /// Icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    /// URLs the mint is reachable at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// Server time (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<u64>,
    /// Terms of service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tos_url: Option<String>,
    /// Supported NUTs and their settings.
    #[serde(default)]
    pub nuts: Nuts,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_example() {
        let json = r#"{
          "name": "Bob's Cashu mint",
          "pubkey": "0283bf290884eed3a7ca2663fc0260de2e2064d6b355ea13f98dec004b7a7ead99",
          "version": "Nutshell/0.15.0",
          "contact": [{"method": "email", "info": "contact@me.com"}],
          "time": 1725304480,
          "nuts": {
            "4": {"methods": [{"method": "bolt11", "unit": "sat", "min_amount": 0, "max_amount": 10000}], "disabled": false},
            "5": {"methods": [{"method": "bolt11", "unit": "sat", "min_amount": 100, "max_amount": 10000}], "disabled": false},
            "7": {"supported": true}, "8": {"supported": true}, "9": {"supported": true},
            "10": {"supported": true}, "12": {"supported": true},
            "19": {"ttl": null, "cached_endpoints": [{"method": "POST", "path": "/v1/swap"}]},
            "99": {"future": "ignored"}
          }
        }"#;
        let info: MintInfo = serde_json::from_str(json).unwrap();
        assert_eq!(info.name.as_deref(), Some("Bob's Cashu mint"));
        assert!(info.nuts.nut12.supported);
        assert!(!info.nuts.nut11.supported);
        assert_eq!(info.nuts.nut04.methods[0].method, "bolt11");
        assert_eq!(info.nuts.nut19.as_ref().map(|s| s.cached_endpoints.len()), Some(1));
        let again: MintInfo = serde_json::from_str(&serde_json::to_string(&info).unwrap()).unwrap();
        assert_eq!(again, info);
    }
}
