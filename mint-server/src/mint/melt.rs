//! NUT-05: melt quotes, melting (inputs pending while the backend pays), and finishing melts a crash
//! interrupted.

use std::sync::Arc;

use shared::nuts::bank::MeltQuoteBankRequest;
use shared::nuts::{MeltQuoteBolt11Request, MeltQuoteBolt11Response, MeltQuoteState, MeltRequest, PaymentMethod};
use shared::{Amount, BlindSignature, BlindedMessage, CurrencyUnit, PublicKey};

use super::checks::{check_melt_covers, check_shape, price_inputs, sign_outputs, verify_signatures};
use super::keysets::Keysets;
use super::{Mint, MintError, check_method, to_json};
use crate::funding::{Funding, Payout};
use crate::store::{CachedResponse, Commit, MeltQuote, MintStore, StoreError, unix_now};

/// The body of `POST /v1/melt/quote/{method}`, in the shape its method takes: a `bank` request names the
/// amount to move into the account; a `bolt11` invoice (or another method's request) carries its own.
#[derive(Debug, Clone)]
pub enum MeltQuoteRequest {
    /// `bank`: an account, a unit and an amount.
    Bank(MeltQuoteBankRequest),
    /// `bolt11` and any other method: a payment request and a unit.
    Bolt11(MeltQuoteBolt11Request),
}

impl MeltQuoteRequest {
    /// Parse the JSON body of a melt quote request for `method`.
    pub fn from_json(method: &PaymentMethod, body: &[u8]) -> Result<Self, serde_json::Error> {
        Ok(match method {
            PaymentMethod::Bank => MeltQuoteRequest::Bank(serde_json::from_slice(body)?),
            PaymentMethod::Bolt11 | PaymentMethod::Other(_) => MeltQuoteRequest::Bolt11(serde_json::from_slice(body)?),
        })
    }

    /// The payment request, its unit, and the amount where the method's request names one.
    fn into_parts(self) -> (String, CurrencyUnit, Option<Amount>) {
        match self {
            MeltQuoteRequest::Bank(bank) => (bank.request, bank.unit, Some(bank.amount)),
            MeltQuoteRequest::Bolt11(bolt11) => (bolt11.request, bolt11.unit, None),
        }
    }
}

impl Mint {
    /// Finish melts left `PENDING` whose lease has expired (the request or instance settling them died):
    /// the serving process runs this at start and then periodically (`main.rs`), never the operator
    /// commands. Each melt is taken by its lease first, so of several instances on one database only one
    /// pays and settles it. Asks the backend to pay again (the bank and fake backends have no outside effect
    /// before the settling commit, so paying again is the same payment; a Lightning backend would look the
    /// payment up instead), then settles or releases. Returns how many quotes were finished.
    pub async fn recover_pending_melts(&self) -> Result<usize, MintError> {
        let quotes = self.store.pending_melt_quotes().await?;
        let mut finished = 0;
        let lease = self.melt_lease();
        for quote in quotes {
            let holder = lease_holder();
            let now = unix_now();
            let until = now.saturating_add(lease);
            if !self.store.take_melt_lease(&quote.id, MeltQuoteState::Pending, &holder, until, now).await? {
                continue;
            }
            let ys = self.store.pending_for_quote(&quote.id).await?;
            // The melt request's NUT-19 key, on its pending rows: its identical retry gets this answer.
            let request = self.store.proof_states(&ys).await?.into_iter().find_map(|state| state.request);
            let backend = self.backend(&PaymentMethod::from(quote.method.as_str()), &quote.unit);
            let id = quote.id.clone();
            let change = self.stored_change(&quote).await;
            match pay_and_settle(Arc::clone(&self.store), backend, quote, ys, request, change, holder).await {
                Ok(_) | Err(MintError::PaymentFailed(_)) => {
                    finished += 1;
                    tracing::info!(quote = %id, "finished an interrupted melt");
                }
                Err(error) => return Err(error),
            }
        }
        Ok(finished)
    }

    /// The change a pending melt stored at its start, with the keysets to sign it (`None` if it has none or
    /// it cannot be read: the melt then settles without change rather than not at all).
    async fn stored_change(&self, quote: &MeltQuote) -> Option<Change> {
        let stored: StoredChange = match serde_json::from_str(quote.change_request.as_deref()?) {
            Ok(stored) => stored,
            Err(error) => {
                tracing::error!(quote = %quote.id, %error, "a pending melt's change request does not parse");
                return None;
            }
        };
        if let Err(error) = self.load_keysets_of(&[], &stored.outputs).await {
            tracing::error!(quote = %quote.id, %error, "the keysets of a pending melt's change are not loaded");
        }
        Some(Change { keysets: self.keysets(), blanks: stored.outputs, most: stored.most })
    }

    /// `POST /v1/melt/quote/{method}`.
    pub async fn melt_quote(
        &self,
        method: &PaymentMethod,
        request: MeltQuoteRequest,
    ) -> Result<MeltQuoteBolt11Response, MintError> {
        check_method(method)?;
        let (request, unit, amount) = request.into_parts();
        let backend = self.backend(method, &unit)?;
        let (amount, fee_reserve) = backend.melt_amount(&request, amount).await?;
        self.check_quote_amount(amount)?;
        let quote = MeltQuote {
            id: uuid::Uuid::new_v4().to_string(),
            method: method.to_string(),
            unit,
            amount,
            fee_reserve,
            request,
            state: MeltQuoteState::Unpaid,
            expiry: self.expiry(),
            payment_preimage: None,
            change_request: None,
        };
        self.store.commit(&Commit::CreateMeltQuote(quote.clone())).await?;
        Ok(melt_response(quote))
    }

    /// `GET /v1/melt/quote/{method}/{id}`.
    pub async fn melt_quote_state(
        &self,
        method: &PaymentMethod,
        id: &str,
    ) -> Result<MeltQuoteBolt11Response, MintError> {
        check_method(method)?;
        let quote =
            self.store.melt_quote(id).await?.filter(|q| q.method == method.as_str()).ok_or(MintError::QuoteNotFound)?;
        let change = match (quote.state, quote.change_request.as_deref()) {
            (MeltQuoteState::Paid, Some(stored)) => Some(self.signed_change(&quote.id, stored).await?),
            _ => None,
        };
        Ok(MeltQuoteBolt11Response { change, ..melt_response(quote) })
    }

    /// NUT-08: a paid melt's change, as its answer carried it: the signatures on its blank outputs, in
    /// their order (the change signs the first ones; a paid quote keeps its blank outputs only when change
    /// was signed, see `Transition::MeltPaid`).
    async fn signed_change(&self, id: &str, stored: &str) -> Result<Vec<BlindSignature>, MintError> {
        let stored: StoredChange = serde_json::from_str(stored).map_err(|error| {
            MintError::Internal(format!("melt quote {id}: its change request does not parse: {error}"))
        })?;
        let blinded: Vec<PublicKey> = stored.outputs.iter().map(|o| o.blinded_secret).collect();
        let mut signed: std::collections::HashMap<PublicKey, BlindSignature> =
            self.store.signatures(&blinded).await?.into_iter().collect();
        Ok(blinded.iter().map_while(|b| signed.remove(b)).collect())
    }

    /// `POST /v1/melt/{method}`: inputs become pending, the backend pays, then the inputs are spent in the
    /// transaction that records the payment (or released if it failed).
    pub async fn melt(
        &self,
        method: &PaymentMethod,
        request: MeltRequest,
        cache_key: [u8; 32],
    ) -> Result<MeltQuoteBolt11Response, MintError> {
        check_method(method)?;
        if let Some(cached) = self.cached(&cache_key).await? {
            return Ok(cached);
        }
        let quote = self
            .store
            .melt_quote(&request.quote)
            .await?
            .filter(|q| q.method == method.as_str())
            .ok_or(MintError::QuoteNotFound)?;
        let backend = self.backend(method, &quote.unit)?;
        match quote.state {
            MeltQuoteState::Pending => return Err(MintError::QuotePending),
            MeltQuoteState::Paid => return Err(MintError::QuotePaid),
            MeltQuoteState::Unpaid => {}
        }
        if quote.expiry < u64::try_from(unix_now()).unwrap_or(u64::MAX) {
            return Err(MintError::QuoteExpired);
        }
        if request.inputs.is_empty() {
            return Err(MintError::BadRequest("a melt needs at least one input".into()));
        }
        // NUT-08 blank outputs: their amounts are the mint's to choose, so they are checked for shape, keyset
        // and unit only.
        let blanks = request.outputs.unwrap_or_default();
        if blanks.len() > MAX_BLANK_OUTPUTS {
            return Err(MintError::TooManyOutputs(MAX_BLANK_OUTPUTS));
        }
        check_shape(&self.settings, &request.inputs, &blanks)?;
        self.load_keysets_of(&request.inputs, &blanks).await?;
        let keysets = self.keysets();
        check_blank_outputs(&keysets, &blanks, &quote.unit)?;
        let inputs = request.inputs;
        let quote_unit = quote.unit.clone();
        let required = quote.amount.checked_add(quote.fee_reserve)?;
        // Whether the inputs cover the quote is known from their keysets and amounts: checked before any
        // signature is.
        let (unit, fee, total) = price_inputs(&keysets, &inputs)?;
        check_melt_covers(&unit, total, fee, &quote_unit, required)?;
        // What the inputs hold beyond the amount and their fees: the most the change can be.
        let change =
            Change { keysets: Arc::clone(&keysets), blanks, most: total.checked_sub(fee)?.checked_sub(quote.amount)? };
        // Kept with the PENDING state, so that whoever settles the melt signs the same change.
        let stored_change = if change.blanks.is_empty() {
            None
        } else {
            Some(to_json(&StoredChange { most: change.most, outputs: change.blanks.clone() })?)
        };
        let spend = self.cpu(inputs.len(), move || verify_signatures(&keysets, inputs)).await?;

        let ys: Vec<PublicKey> = spend.iter().map(|(y, _)| *y).collect();
        // From the lease on, the melt runs on a task of its own: a client that disconnects (which drops this
        // request's future) leaves neither a lease nor a pending melt behind.
        let store = Arc::clone(&self.store);
        let lease = self.melt_lease();
        let melting = async move {
            // The lease first: whoever holds it pays and settles (see `recover_pending_melts`).
            let holder = lease_holder();
            let now = unix_now();
            let until = now.saturating_add(lease);
            if !store.take_melt_lease(&quote.id, MeltQuoteState::Unpaid, &holder, until, now).await? {
                return Err(MintError::QuotePending);
            }
            let started = store
                .commit(&Commit::MeltStart {
                    quote_id: quote.id.clone(),
                    inputs: spend,
                    change: stored_change,
                    request: Some(cache_key),
                })
                .await;
            if let Err(error) = started {
                release_lease(store.as_ref(), &quote.id, &holder).await;
                return Err(match error {
                    StoreError::QuoteStateConflict(_) => MintError::QuotePending,
                    other => other.into(),
                });
            }
            pay_and_settle(store, Ok(backend), quote, ys, Some(cache_key), Some(change), holder).await
        };
        tokio::spawn(melting).await.map_err(|error| MintError::Internal(format!("the melt's task failed: {error}")))?
    }
}

impl Mint {
    /// How long a melt's lease lasts, in seconds ([`crate::mint::MintSettings::melt_lease_secs`]).
    fn melt_lease(&self) -> i64 {
        i64::try_from(self.settings().melt_lease_secs).unwrap_or(i64::MAX)
    }
}

/// Most NUT-08 blank outputs per melt: change of up to 2^64 - 1 needs no more.
const MAX_BLANK_OUTPUTS: usize = 64;

/// NUT-08: a pending melt's change as stored with it (`melt_quotes.change_request`).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredChange {
    most: Amount,
    outputs: Vec<BlindedMessage>,
}

/// NUT-08: what a melt may return as change.
struct Change {
    /// The keysets the blank outputs were checked against.
    keysets: Arc<Keysets>,
    /// The blank outputs, in request order.
    blanks: Vec<BlindedMessage>,
    /// The inputs' value beyond the quote's amount and the input fees.
    most: Amount,
}

impl Change {
    /// The signed change for a payment that cost `fee_paid`: the overpaid amount split into powers of two,
    /// largest first, imprinted on the first blank outputs in order (as many as there are; the rest of the
    /// amount stays with the mint if there are too few).
    fn sign(&self, fee_paid: Amount) -> Result<Vec<(PublicKey, BlindSignature)>, MintError> {
        let returned = self.most.checked_sub(fee_paid).unwrap_or(Amount::ZERO);
        let mut parts = returned.split();
        parts.reverse();
        let assigned: Vec<BlindedMessage> =
            self.blanks.iter().zip(parts).map(|(blank, amount)| BlindedMessage { amount, ..blank.clone() }).collect();
        sign_outputs(&self.keysets, &assigned)
    }
}

/// NUT-08 blank outputs: known, active keysets of the quote's unit, no `B'` twice.
fn check_blank_outputs(keysets: &Keysets, blanks: &[BlindedMessage], unit: &CurrencyUnit) -> Result<(), MintError> {
    let mut seen = std::collections::HashSet::with_capacity(blanks.len());
    for blank in blanks {
        let keyset =
            keysets.get(&blank.keyset_id).ok_or_else(|| MintError::UnknownKeyset(blank.keyset_id.to_string()))?;
        if !keyset.record.active {
            return Err(MintError::InactiveKeyset(blank.keyset_id.to_string()));
        }
        if keyset.record.unit != *unit {
            return Err(MintError::UnitMismatch);
        }
        if !seen.insert(blank.blinded_secret) {
            return Err(MintError::DuplicateOutputs);
        }
    }
    Ok(())
}

/// A lease holder's name: unique per attempt.
fn lease_holder() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Give a lease back (best effort: an expired lease is as good).
async fn release_lease(store: &dyn MintStore, id: &str, holder: &str) {
    if let Err(error) = store.release_melt_lease(id, holder).await {
        tracing::warn!(quote = %id, %error, "could not give a melt's lease back; it expires");
    }
}

/// Pay melt `quote` (its inputs `ys` pending, its lease held by `holder`), then settle it (spend the inputs,
/// record the payment, sign the NUT-08 `change` and, with `cache_key`, the NUT-19 response) or release it if
/// the payment failed; give the lease back. A melt finished by [`Mint::recover_pending_melts`] signs the
/// change its start stored.
async fn pay_and_settle(
    store: Arc<dyn MintStore>,
    backend: Result<Arc<dyn Funding>, MintError>,
    quote: MeltQuote,
    ys: Vec<PublicKey>,
    cache_key: Option<[u8; 32]>,
    change: Option<Change>,
    holder: String,
) -> Result<MeltQuoteBolt11Response, MintError> {
    let payout = match backend {
        Ok(backend) => backend.pay(&quote).await.unwrap_or_else(|error| Payout::Failed(error.to_string())),
        Err(error) => Payout::Failed(error.to_string()),
    };
    let id = quote.id.clone();
    let outcome = match payout {
        Payout::Paid { preimage, account, fee_paid } => {
            let mut paid = quote;
            paid.state = MeltQuoteState::Paid;
            paid.payment_preimage = preimage.clone();
            let mut response = melt_response(paid);
            // A failure to sign the change must not undo a payment made: the melt then settles without it.
            let signed = match &change {
                Some(change) => change.sign(fee_paid).unwrap_or_else(|error| {
                    tracing::error!(quote = %id, %error, "could not sign a melt's change; settling without it");
                    Vec::new()
                }),
                None => Vec::new(),
            };
            if change.as_ref().is_some_and(|c| !c.blanks.is_empty()) {
                response.change = Some(signed.iter().map(|(_, s)| s.clone()).collect());
            }
            let settle = |response: &MeltQuoteBolt11Response, change: Vec<(PublicKey, BlindSignature)>| {
                let cached = match cache_key {
                    Some(key) => Some(CachedResponse { key, body: to_json(response)? }),
                    None => None,
                };
                Ok::<_, MintError>(Commit::MeltSettle {
                    quote_id: id.clone(),
                    inputs: ys.clone(),
                    preimage: preimage.clone(),
                    credit: account.clone(),
                    response: cached,
                    change,
                })
            };
            match store.commit(&settle(&response, signed)?).await {
                Ok(()) => Ok(response),
                // A blank output signed before (the wallet reused it): the payment is made, so settle without
                // change rather than leave the melt pending.
                Err(StoreError::OutputsAlreadySigned) => {
                    response.change = response.change.map(|_| Vec::new());
                    store.commit(&settle(&response, Vec::new())?).await.map(|()| response).map_err(MintError::from)
                }
                Err(other) => Err(other.into()),
            }
        }
        Payout::Failed(reason) => match store.commit(&Commit::MeltRelease { quote_id: id.clone(), inputs: ys }).await {
            Ok(()) => Err(MintError::PaymentFailed(reason)),
            Err(error) => Err(error.into()),
        },
    };
    release_lease(store.as_ref(), &id, &holder).await;
    outcome
}

fn melt_response(quote: MeltQuote) -> MeltQuoteBolt11Response {
    MeltQuoteBolt11Response {
        quote: quote.id,
        method: Some(quote.method),
        request: Some(quote.request),
        amount: quote.amount,
        unit: Some(quote.unit),
        fee_reserve: quote.fee_reserve,
        state: quote.state,
        expiry: quote.expiry,
        payment_preimage: quote.payment_preimage,
        change: None,
    }
}
