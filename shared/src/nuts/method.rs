//! The payment method of NUT-04/05 quotes: the `{method}` segment of `/v1/mint/{method}` and
//! `/v1/melt/{method}`, and the `method` field of quotes and of the mint's NUT-04/05 settings.

use alloc::borrow::{Cow, ToOwned};
use alloc::string::String;
use core::convert::Infallible;
use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A payment method by its wire name. Methods this code does not know (another mint's `bolt12`, say) are
/// kept by name, so a wallet can read any mint's settings and a mint can refuse them by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PaymentMethod {
    /// `bolt11`: Lightning invoices (NUT-23).
    Bolt11,
    /// `bank`: internal accounts at the mint (our extension, [`super::bank`]).
    Bank,
    /// Any other method, by its wire name.
    Other(String),
}

impl PaymentMethod {
    /// The wire name (`bolt11`, `bank`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            PaymentMethod::Bolt11 => "bolt11",
            PaymentMethod::Bank => "bank",
            PaymentMethod::Other(name) => name,
        }
    }
}

impl From<&str> for PaymentMethod {
    fn from(name: &str) -> Self {
        match name {
            "bolt11" => PaymentMethod::Bolt11,
            "bank" => PaymentMethod::Bank,
            other => PaymentMethod::Other(other.to_owned()),
        }
    }
}

impl FromStr for PaymentMethod {
    type Err = Infallible;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(PaymentMethod::from(name))
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for PaymentMethod {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PaymentMethod {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <Cow<'de, str>>::deserialize(deserializer)?;
        Ok(PaymentMethod::from(name.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use alloc::format;
    use alloc::string::ToString;

    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for (method, name) in [
            (PaymentMethod::Bolt11, "bolt11"),
            (PaymentMethod::Bank, "bank"),
            (PaymentMethod::Other("bolt12".into()), "bolt12"),
        ] {
            assert_eq!(method.as_str(), name);
            assert_eq!(PaymentMethod::from(name), method);
            let json = serde_json::to_string(&method).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<PaymentMethod>(&json).unwrap(), method);
        }
    }

    #[test]
    fn unknown_methods_keep_their_name() {
        assert_eq!("bolt12".parse::<PaymentMethod>().unwrap().to_string(), "bolt12");
    }
}
