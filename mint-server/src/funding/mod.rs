//! How money enters and leaves the mint: one [`Funding`] backend per payment method.
//!
//! - [`bank::Bank`] (`bank`): internal accounts. Always on; an operator credits accounts, holders pay mint
//!   quotes from them and melt back into them.
//! - [`fake::FakeBolt11`] (`bolt11`): quotes paid at once, payments that pay nothing. For development and
//!   interop tests only; off unless configured.
//!
//! The mint offers the methods of the backends in its [`FundingRegistry`] (built by `setup.rs` from the
//! configuration); `GET /v1/info` lists them. A Lightning node backend would implement the same trait:
//! `mint_request` makes an invoice, `pay` pays one.
//!
//! Backends refuse with their own [`FundingError`]; the mint maps it to a Cashu error.
//!
//! Architecture invariant: no file here imports the mint (it uses backends, never the reverse); the test
//! `funding::tests::backends_never_import_the_mint` checks the sources.

pub mod bank;
mod error;
pub mod fake;
mod registry;

use std::fmt;

use async_trait::async_trait;
use shared::nuts::PaymentMethod;
use shared::{Amount, CurrencyUnit};

pub use error::FundingError;
pub use registry::FundingRegistry;

use crate::store::{AccountChange, MeltQuote};

/// What a new mint quote looks like to its payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintRequest {
    /// The payment request shown to the payer.
    pub request: String,
    /// Whether the quote counts as paid already (the fake backend).
    pub paid: bool,
}

/// The outcome of paying out a melt quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payout {
    /// Paid. `account` is a balance change to apply in the same transaction that spends the inputs.
    Paid {
        /// Proof of payment.
        preimage: Option<String>,
        /// Internal settlement (bank).
        account: Option<AccountChange>,
        /// The fee the payment really cost (at most the quote's fee reserve); the rest of the reserve is
        /// returned to the wallet's blank outputs (NUT-08).
        fee_paid: Amount,
    },
    /// Definitely not paid: the inputs are released.
    Failed(String),
}

/// A payment method's backend.
#[async_trait]
pub trait Funding: Send + Sync + fmt::Debug {
    /// The method this backend serves: the `{method}` of NUT-04/05 URLs, and of quotes.
    fn method(&self) -> PaymentMethod;
    /// A human-readable name for wallets.
    fn method_name(&self) -> &'static str;
    /// The NUT-04 `options` of this method in `GET /v1/info`, if it has any.
    fn mint_options(&self) -> Option<serde_json::Value> {
        None
    }
    /// The payment request for a new mint quote.
    async fn mint_request(
        &self,
        quote_id: &str,
        amount: Amount,
        unit: &CurrencyUnit,
    ) -> Result<MintRequest, FundingError>;
    /// The amount and fee reserve of a melt request (`amount` is the request body's, where the method has one).
    async fn melt_amount(&self, request: &str, amount: Option<Amount>) -> Result<(Amount, Amount), FundingError>;
    /// Pay out a melt quote whose inputs are held pending.
    async fn pay(&self, quote: &MeltQuote) -> Result<Payout, FundingError>;
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every `.rs` file under `dir`, with its text.
    fn sources(dir: &Path, found: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }

    #[test]
    fn backends_never_import_the_mint() {
        let mut found = Vec::new();
        sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/funding"), &mut found);
        assert!(found.len() >= 6, "{found:?}");
        for (path, text) in found {
            assert!(!text.contains(concat!("crate::", "mint")), "{path} imports the mint");
        }
    }
}
