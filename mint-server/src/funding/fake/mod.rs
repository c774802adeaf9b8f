//! The fake `bolt11` backend: quotes are paid at once and melts pay nothing (but a configurable fee).

mod bolt11;

use async_trait::async_trait;
use shared::nuts::PaymentMethod;
use shared::{Amount, CurrencyUnit};

use crate::funding::{Funding, FundingError, MintRequest, Payout};
use crate::store::MeltQuote;

/// Fake Lightning, like the reference mints' fake wallets. Its melts reserve `fee_reserve` and pay
/// `fee_paid` of it (both zero by default); the difference is what NUT-08 returns as change.
#[derive(Debug, Default)]
pub struct FakeBolt11 {
    fee_reserve: Amount,
    fee_paid: Amount,
}

impl FakeBolt11 {
    /// A fake backend whose melts reserve `fee_reserve` and really cost `fee_paid` (capped at the reserve).
    pub fn with_fees(fee_reserve: Amount, fee_paid: Amount) -> Self {
        FakeBolt11 { fee_reserve, fee_paid: fee_paid.min(fee_reserve) }
    }
}

#[async_trait]
impl Funding for FakeBolt11 {
    fn method(&self) -> PaymentMethod {
        PaymentMethod::Bolt11
    }

    fn method_name(&self) -> &'static str {
        "Lightning (fake, development only)"
    }

    fn mint_options(&self) -> Option<serde_json::Value> {
        // NUT-04 bolt11: invoices carry no description chosen by the wallet.
        Some(serde_json::json!({ "description": false }))
    }

    async fn mint_request(
        &self,
        _quote_id: &str,
        amount: Amount,
        _unit: &CurrencyUnit,
    ) -> Result<MintRequest, FundingError> {
        Ok(MintRequest { request: bolt11::fake_invoice(amount)?, paid: true })
    }

    async fn melt_amount(&self, request: &str, _amount: Option<Amount>) -> Result<(Amount, Amount), FundingError> {
        Ok((bolt11::invoice_amount_sat(request)?, self.fee_reserve))
    }

    async fn pay(&self, _quote: &MeltQuote) -> Result<Payout, FundingError> {
        // Nothing was paid, so there is no real preimage. 64 zeros is what the reference fake wallets
        // return, and what wallets know not to check against the invoice's payment hash.
        Ok(Payout::Paid { preimage: Some("0".repeat(64)), account: None, fee_paid: self.fee_paid })
    }
}
