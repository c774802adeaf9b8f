//! Bank accounts: opening and crediting them (operator), paying a `bank` mint quote from one.

use shared::nuts::bank::{BankPayRequest, Payment};
use shared::nuts::{MintQuoteBolt11Response, MintQuoteState, PaymentMethod};
use shared::{Amount, PublicKey};

use super::{Mint, MintError};
use crate::store::{Account, Commit, StoreError, unix_now};

impl Mint {
    /// `POST /v1/bank/pay`: pay a `bank` mint quote from an account, authorised by the account key.
    pub async fn pay_mint_quote_from_account(
        &self,
        request: BankPayRequest,
    ) -> Result<MintQuoteBolt11Response, MintError> {
        let quote = self
            .store
            .mint_quote(&request.quote)
            .await?
            .filter(|q| q.method == PaymentMethod::Bank.as_str())
            .ok_or(MintError::QuoteNotFound)?;
        match quote.state {
            MintQuoteState::Unpaid => {}
            MintQuoteState::Paid => return Err(MintError::QuotePaid),
            MintQuoteState::Issued => return Err(MintError::QuoteIssued),
        }
        if quote.expiry < u64::try_from(unix_now()).unwrap_or(u64::MAX) {
            return Err(MintError::QuoteExpired);
        }
        let account = self.store.account(&request.account).await?.ok_or(MintError::UnknownAccount)?;
        let payment = Payment {
            mint: &self.identity,
            quote: &quote.id,
            amount: quote.amount,
            unit: &quote.unit,
            account: &account.id,
        };
        shared::nuts::bank::verify_payment(&account.pubkey, &payment, &request.signature).map_err(|_| {
            MintError::BadSignature(
                "the payment signature does not verify: it must be by the account's key over this mint's \
                 identity, this quote, its amount and unit, and this account"
                    .into(),
            )
        })?;
        i64::try_from(quote.amount.to_u64()).map_err(|_| MintError::AmountOutOfRange("too large".into()))?;
        let commit = Commit::PayMintQuote { quote_id: quote.id.clone(), account_id: account.id, amount: quote.amount };
        match self.store.commit(&commit).await {
            Ok(()) => {}
            Err(StoreError::InsufficientFunds) => return Err(MintError::InsufficientFunds),
            Err(StoreError::UnknownAccount) => return Err(MintError::UnknownAccount),
            Err(StoreError::QuoteStateConflict(_)) => return Err(MintError::QuotePaid),
            Err(other) => return Err(other.into()),
        }
        self.mint_quote_state(&PaymentMethod::Bank, &quote.id).await
    }

    /// Open a bank account for a key.
    pub async fn create_account(&self, pubkey: PublicKey) -> Result<Account, MintError> {
        let account = Account {
            id: uuid::Uuid::new_v4().to_string(),
            pubkey,
            unit: self.settings.unit.clone(),
            balance: Amount::ZERO,
            blocked: false,
        };
        self.store.commit(&Commit::CreateAccount(account.clone())).await.map_err(|e| match e {
            StoreError::Duplicate => MintError::BadRequest("an account with this key exists already".into()),
            other => other.into(),
        })?;
        Ok(account)
    }

    /// Credit an account (operator).
    pub async fn credit_account(
        &self,
        id: &str,
        amount: Amount,
        reference: Option<String>,
    ) -> Result<Account, MintError> {
        if amount == Amount::ZERO {
            return Err(MintError::AmountOutOfRange("a credit must be positive".into()));
        }
        i64::try_from(amount.to_u64()).map_err(|_| MintError::AmountOutOfRange("too large".into()))?;
        let credit = Commit::CreditAccount { account_id: id.to_owned(), amount, reference };
        self.store.commit(&credit).await.map_err(|e| match e {
            StoreError::UnknownAccount => MintError::UnknownAccount,
            StoreError::OutOfRange => MintError::AmountOutOfRange("the balance would overflow".into()),
            other => other.into(),
        })?;
        self.account(id).await
    }

    /// An account.
    pub async fn account(&self, id: &str) -> Result<Account, MintError> {
        self.store.account(id).await?.ok_or(MintError::UnknownAccount)
    }
}
