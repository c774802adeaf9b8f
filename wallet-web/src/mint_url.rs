//! [`MintUrl`]: a mint's address, normalized one way wherever it comes from (typed by a person, read from a
//! token, a stored record or a view). Stored and serialized as its text.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::WalletError;

/// A mint's address: `http://` or `https://`, no whitespace, no trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MintUrl(String);

impl MintUrl {
    /// Normalizes an address: trims it, drops trailing slashes, and adds `https://` when no scheme is given
    /// (`http://` for `localhost` and `127.0.0.1`). Refuses an empty address, whitespace inside, and schemes
    /// other than `http` and `https`, with a sentence saying why.
    pub fn parse(text: &str) -> Result<MintUrl, WalletError> {
        let invalid = |why: &str| Err(WalletError::Invalid(why.to_owned()));
        let trimmed = text.trim().trim_end_matches('/');
        if trimmed.is_empty() {
            return invalid("Enter the mint's address, for example https://mint.example.com.");
        }
        if trimmed.chars().any(char::is_whitespace) {
            return invalid("A mint address has no spaces in it.");
        }
        if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
            Ok(MintUrl(trimmed.to_owned()))
        } else if trimmed.starts_with("localhost") || trimmed.starts_with("127.0.0.1") {
            Ok(MintUrl(format!("http://{trimmed}")))
        } else if trimmed.contains("://") {
            invalid("Mint addresses start with https:// (or http:// on this computer).")
        } else {
            Ok(MintUrl(format!("https://{trimmed}")))
        }
    }

    /// The address, e.g. `https://mint.example.com`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address without its scheme, e.g. `mint.example.com`.
    pub fn without_scheme(&self) -> &str {
        self.0.split_once("://").map_or(self.0.as_str(), |(_, rest)| rest)
    }
}

impl FromStr for MintUrl {
    type Err = WalletError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        MintUrl::parse(text)
    }
}

impl fmt::Display for MintUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<MintUrl> for String {
    fn from(url: MintUrl) -> String {
        url.0
    }
}

impl AsRef<str> for MintUrl {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn one_normal_form() {
        let url = |text: &str| MintUrl::parse(text).unwrap().to_string();
        assert_eq!(url(" mint.example.com/ "), "https://mint.example.com");
        assert_eq!(url("https://mint.example.com//"), "https://mint.example.com");
        assert_eq!(url("127.0.0.1:3338"), "http://127.0.0.1:3338");
        assert_eq!(url("http://localhost:3338/"), "http://localhost:3338");
        assert_eq!(url("localhost:3338"), "http://localhost:3338");
        assert_eq!(url("http://mint.test/cashu/"), "http://mint.test/cashu");
        assert_eq!(MintUrl::parse("https://a.example/").unwrap().without_scheme(), "a.example");
        for bad in ["", "  /", "a b", "ftp://x"] {
            assert!(matches!(MintUrl::parse(bad), Err(WalletError::Invalid(_))), "{bad:?}");
        }
        // Idempotent, and stored as plain text.
        let parsed = MintUrl::parse("mint.example.com").unwrap();
        assert_eq!(MintUrl::parse(parsed.as_str()).unwrap(), parsed);
        assert_eq!(serde_json::to_string(&parsed).unwrap(), r#""https://mint.example.com""#);
    }
}
