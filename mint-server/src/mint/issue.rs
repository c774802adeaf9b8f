//! NUT-04: mint quotes and minting (issuing notes against a paid quote).

use shared::nuts::{
    MintQuoteBolt11Request, MintQuoteBolt11Response, MintQuoteState, MintRequest, MintResponse, PaymentMethod,
};

use super::checks::{check_outputs, check_shape, sign_outputs};
use super::{Mint, MintError, check_method, to_json};
use crate::store::{CachedResponse, Commit, MintQuote};

impl Mint {
    /// `POST /v1/mint/quote/{method}`. The fake backend's quotes are paid at once. A `pubkey` locks the
    /// quote (NUT-20): minting it then needs that key's signature.
    pub async fn mint_quote(
        &self,
        method: &PaymentMethod,
        request: MintQuoteBolt11Request,
    ) -> Result<MintQuoteBolt11Response, MintError> {
        check_method(method)?;
        let backend = self.backend(method, &request.unit)?;
        self.check_quote_amount(request.amount)?;
        let id = uuid::Uuid::new_v4().to_string();
        let payment = backend.mint_request(&id, request.amount, &request.unit).await?;
        let quote = MintQuote {
            request: payment.request,
            id,
            method: method.to_string(),
            unit: request.unit,
            amount: request.amount,
            // Paid at once (fake backend): created paid, in the same commit.
            state: if payment.paid { MintQuoteState::Paid } else { MintQuoteState::Unpaid },
            expiry: self.expiry(),
            pubkey: request.pubkey,
        };
        let id = quote.id.clone();
        self.store.commit(&Commit::CreateMintQuote(quote)).await?;
        self.mint_quote_state(method, &id).await
    }

    /// `GET /v1/mint/quote/{method}/{id}`.
    pub async fn mint_quote_state(
        &self,
        method: &PaymentMethod,
        id: &str,
    ) -> Result<MintQuoteBolt11Response, MintError> {
        check_method(method)?;
        let quote =
            self.store.mint_quote(id).await?.filter(|q| q.method == method.as_str()).ok_or(MintError::QuoteNotFound)?;
        Ok(MintQuoteBolt11Response {
            quote: quote.id,
            method: Some(quote.method),
            request: quote.request,
            amount: Some(quote.amount),
            unit: Some(quote.unit),
            state: quote.state,
            expiry: Some(quote.expiry),
            pubkey: quote.pubkey,
        })
    }

    /// `POST /v1/mint/{method}`.
    pub async fn mint(
        &self,
        method: &PaymentMethod,
        request: MintRequest,
        cache_key: [u8; 32],
    ) -> Result<MintResponse, MintError> {
        check_method(method)?;
        if let Some(cached) = self.cached(&cache_key).await? {
            return Ok(cached);
        }
        let quote = self
            .store
            .mint_quote(&request.quote)
            .await?
            .filter(|q| q.method == method.as_str())
            .ok_or(MintError::QuoteNotFound)?;
        match quote.state {
            MintQuoteState::Unpaid => return Err(MintError::QuoteNotPaid),
            MintQuoteState::Issued => return Err(MintError::QuoteIssued),
            MintQuoteState::Paid => {}
        }
        if request.outputs.is_empty() {
            return Err(MintError::BadRequest("minting needs at least one output".into()));
        }
        check_shape(&self.settings, &[], &request.outputs)?;
        // NUT-20: a locked quote is minted only with its key's signature over the quote and these outputs
        // (one BIP-340 verification, after the count limits, before any output is decoded or signed).
        if let Some(pubkey) = &quote.pubkey {
            let refusal = if request.signature.is_none() {
                "the mint quote is locked to a key (NUT-20): the mint request needs its signature"
            } else {
                "the signature does not verify with the quote's key over the quote id and these outputs"
            };
            shared::nuts::nut20::verify_mint_request(pubkey, &request)
                .map_err(|_| MintError::BadSignature(refusal.into()))?;
        }
        self.load_keysets_of(&[], &request.outputs).await?;
        let intent = self.store.intend_commit();
        let keysets = self.keysets();
        let outputs = request.outputs;
        let signatures = self
            .cpu(outputs.len(), move || -> Result<_, MintError> {
                let (unit, total) = check_outputs(&keysets, &outputs)?;
                if unit != quote.unit {
                    return Err(MintError::UnitMismatch);
                }
                if total != quote.amount {
                    return Err(MintError::Unbalanced(format!("outputs {total} != quote amount {}", quote.amount)));
                }
                sign_outputs(&keysets, &outputs)
            })
            .await?;
        let response = MintResponse { signatures: signatures.iter().map(|(_, s)| s.clone()).collect() };
        let commit = Commit::Issue {
            quote_id: request.quote,
            outputs: signatures,
            response: CachedResponse { key: cache_key, body: to_json(&response)? },
        };
        drop(intent);
        self.commit_or_cached(&commit, &cache_key).await?;
        Ok(response)
    }
}
