//! The `bank` backend: internal accounts of the mint's own ledger.

use std::sync::Arc;

use async_trait::async_trait;
use shared::nuts::PaymentMethod;
use shared::{Amount, CurrencyUnit};

use super::{Funding, FundingError, MintRequest, Payout};
use crate::store::{AccountChange, MeltQuote, MintStore};

/// Accounts in the mint's database.
#[derive(Debug)]
pub struct Bank {
    store: Arc<dyn MintStore>,
}

impl Bank {
    /// A bank over this store.
    pub fn new(store: Arc<dyn MintStore>) -> Self {
        Bank { store }
    }
}

#[async_trait]
impl Funding for Bank {
    fn method(&self) -> PaymentMethod {
        PaymentMethod::Bank
    }

    fn method_name(&self) -> &'static str {
        "Bank account at this mint"
    }

    async fn mint_request(
        &self,
        quote_id: &str,
        _amount: Amount,
        _unit: &CurrencyUnit,
    ) -> Result<MintRequest, FundingError> {
        // Paid with POST /v1/bank/pay, signed by the account key.
        Ok(MintRequest { request: format!("bank:{quote_id}"), paid: false })
    }

    async fn melt_amount(&self, request: &str, amount: Option<Amount>) -> Result<(Amount, Amount), FundingError> {
        let amount = amount.ok_or_else(|| FundingError::BadRequest("a bank melt quote needs an amount".into()))?;
        match self.store.account(request).await? {
            Some(account) if !account.blocked => Ok((amount, Amount::ZERO)),
            _ => Err(FundingError::InvalidPaymentRequest(format!("no open account {request:?}"))),
        }
    }

    async fn pay(&self, quote: &MeltQuote) -> Result<Payout, FundingError> {
        let delta =
            i64::try_from(quote.amount.to_u64()).map_err(|_| FundingError::AmountOutOfRange("too large".into()))?;
        Ok(Payout::Paid {
            preimage: None,
            account: Some(AccountChange {
                account_id: quote.request.clone(),
                delta,
                reason: "melt".into(),
                reference: Some(quote.id.clone()),
            }),
            fee_paid: Amount::ZERO,
        })
    }
}
