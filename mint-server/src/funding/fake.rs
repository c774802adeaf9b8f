//! The fake `bolt11` backend: quotes are paid at once and melts pay nothing.

use async_trait::async_trait;
use shared::{Amount, CurrencyUnit};

use super::{Funding, MintRequest, Payout};
use crate::mint::{MintError, bolt11};
use crate::store::MeltQuote;

/// Fake Lightning, like the reference mints' fake wallets.
#[derive(Debug, Default)]
pub struct FakeBolt11;

#[async_trait]
impl Funding for FakeBolt11 {
    fn method(&self) -> &'static str {
        "bolt11"
    }

    fn method_name(&self) -> &'static str {
        "Lightning (fake, development only)"
    }

    async fn mint_request(
        &self,
        _quote_id: &str,
        amount: Amount,
        _unit: &CurrencyUnit,
    ) -> Result<MintRequest, MintError> {
        Ok(MintRequest { request: bolt11::fake_invoice(amount)?, paid: true })
    }

    async fn melt_amount(&self, request: &str, _amount: Option<Amount>) -> Result<(Amount, Amount), MintError> {
        Ok((bolt11::invoice_amount_sat(request)?, Amount::ZERO))
    }

    async fn pay(&self, _quote: &MeltQuote) -> Result<Payout, MintError> {
        // Nothing was paid, so there is no real preimage. 64 zeros is what the reference fake wallets
        // return, and what wallets know not to check against the invoice's payment hash.
        Ok(Payout::Paid { preimage: Some("0".repeat(64)), account: None })
    }
}
