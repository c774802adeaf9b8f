//! The mint's rules, free of HTTP and SQL: verify inputs, balance amounts and fees, sign outputs with DLEQ
//! proofs, and hand every effect of a request to the store as one atomic [`Commit`].
//!
//! The spent set is the database's: whether a note was presented first is decided by the store's unique
//! key on `Y`, inside the transaction that stores the outputs' signatures, never by a check-then-write here.

pub(crate) mod bolt11;
mod error;
mod keysets;

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use tokio::sync::Semaphore;

use sha2::{Digest, Sha256};
use shared::nuts::{
    CheckStateRequest, CheckStateResponse, KeysResponse, KeysetResponse, MeltQuoteBolt11Response, MeltQuoteState,
    MeltRequest, MintQuoteBolt11Request, MintQuoteBolt11Response, MintQuoteState, MintRequest, MintResponse,
    ProofState, RestoreRequest, RestoreResponse, State, SwapRequest, SwapResponse,
};
use shared::{Amount, BlindSignature, BlindedMessage, CurrencyUnit, Id, Proof, PublicKey, dhke, dleq};
use zeroize::Zeroizing;

pub use error::MintError;
pub use keysets::{Keysets, LoadedKeyset};

use crate::funding::{Funding, Payout, bank::Bank, fake::FakeBolt11};
use crate::store::{
    Account, AccountChange, Commit, KeysetRecord, MeltQuote, MintQuote, MintStore, QuoteTransition, StoreError,
    unix_now,
};
use shared::nuts::bank::BankPayRequest;

/// Rules and limits an operator can set.
#[derive(Debug, Clone)]
pub struct MintSettings {
    /// The unit of the default keyset.
    pub unit: CurrencyUnit,
    /// Denominations per keyset: 2^0 .. 2^(max_order-1).
    pub max_order: u8,
    /// Fee per input of new keysets, in parts per thousand.
    pub input_fee_ppk: u64,
    /// Most inputs per request.
    pub max_inputs: usize,
    /// Most outputs per request.
    pub max_outputs: usize,
    /// Whether the fake `bolt11` backend is on: mint quotes are paid at once, melts pay nothing.
    pub fake_bolt11: bool,
    /// Largest amount of one mint or melt quote.
    pub max_quote_amount: Amount,
    /// How long quotes stay valid, in seconds.
    pub quote_ttl_secs: u64,
    /// NUT-19: how long cached responses are kept, in seconds; `None` keeps them forever.
    pub response_cache_ttl_secs: Option<u64>,
}

impl Default for MintSettings {
    fn default() -> Self {
        MintSettings {
            unit: CurrencyUnit::Sat,
            max_order: 32,
            input_fee_ppk: 0,
            max_inputs: 1000,
            max_outputs: 1000,
            fake_bolt11: false,
            max_quote_amount: Amount::from_u64(1 << 31),
            quote_ttl_secs: 3600,
            response_cache_ttl_secs: Some(crate::config::DEFAULT_CACHE_TTL_SECS),
        }
    }
}

/// The key under which a request's response is cached (NUT-19): `SHA256(method || path || body)`.
pub fn cache_key(method: &str, path: &str, body: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(method.as_bytes())
        .chain_update([0])
        .chain_update(path.as_bytes())
        .chain_update([0])
        .chain_update(body)
        .finalize()
        .into()
}

/// Requests with at most this many inputs plus outputs are verified and signed on the async worker itself
/// (about 80 µs per input and 200 µs per output on this project's machine: at most about half a millisecond).
const INLINE_MAX_POINTS: usize = 3;

/// The mint.
#[derive(Debug)]
pub struct Mint {
    store: Arc<dyn MintStore>,
    master: Zeroizing<Vec<u8>>,
    keysets: RwLock<Arc<Keysets>>,
    settings: MintSettings,
    funding: Vec<Arc<dyn Funding>>,
    cpu_slots: Semaphore,
}

impl Mint {
    /// Load the keysets from the store, creating the first active keyset of the default unit if there is
    /// none.
    pub async fn new(store: Arc<dyn MintStore>, master: Vec<u8>, settings: MintSettings) -> Result<Self, MintError> {
        let master = Zeroizing::new(master);
        let keysets = Keysets::load(&master, store.keysets().await?)?;
        let mut funding: Vec<Arc<dyn Funding>> = vec![Arc::new(Bank::new(Arc::clone(&store)))];
        if settings.fake_bolt11 {
            funding.push(Arc::new(FakeBolt11));
        }
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let mint = Mint {
            store,
            master,
            keysets: RwLock::new(Arc::new(keysets)),
            settings,
            funding,
            cpu_slots: Semaphore::new(cores),
        };
        let unit = mint.settings.unit.clone();
        let fee = mint.settings.input_fee_ppk;
        if mint.keysets().iter().all(|k| k.record.unit != unit) {
            // First start: the first keyset has index 0, so instances starting together on one database all
            // try to insert the same keyset; one insert wins and the others find it.
            match mint.add_keyset(unit, 0, fee).await {
                Ok(_) | Err(MintError::Internal(_)) => mint.reload_keysets().await?,
                Err(other) => return Err(other),
            }
        } else if mint.keysets().active(&unit).is_none() {
            mint.rotate_keyset(unit, fee).await?;
        }
        Ok(mint)
    }

    /// Run CPU-bound work (verifying inputs, signing outputs) for a request with `points` inputs and
    /// outputs.
    ///
    /// Up to [`INLINE_MAX_POINTS`] (under half a millisecond of work) it runs right here on the async
    /// worker: handing it to another thread and back costs two thread wake-ups, a noticeable share of such a
    /// small request. Larger work goes to the blocking pool, with at most one such job per core at a time.
    /// Without that limit, 64 concurrent requests start 64 threads that time-slice the cores: every request
    /// finishes late and the switching costs CPU; with it, requests wait their turn in order (FIFO), asleep.
    async fn cpu<T: Send + 'static>(
        &self,
        points: usize,
        work: impl FnOnce() -> Result<T, MintError> + Send + 'static,
    ) -> Result<T, MintError> {
        if points <= INLINE_MAX_POINTS {
            return work();
        }
        let _slot = self.cpu_slots.acquire().await.map_err(|_| MintError::Internal("no CPU slots".into()))?;
        tokio::task::spawn_blocking(work).await.map_err(|e| MintError::Internal(format!("CPU task failed: {e}")))?
    }

    /// The settings.
    pub fn settings(&self) -> &MintSettings {
        &self.settings
    }

    /// The payment methods on offer.
    pub fn funding(&self) -> &[Arc<dyn Funding>] {
        &self.funding
    }

    fn backend(&self, method: &str, unit: &CurrencyUnit) -> Result<Arc<dyn Funding>, MintError> {
        let backend = self
            .funding
            .iter()
            .find(|f| f.method() == method)
            .ok_or_else(|| MintError::UnsupportedMethod(method.to_owned()))?;
        if *unit != self.settings.unit {
            return Err(MintError::UnsupportedUnit(unit.to_string()));
        }
        Ok(Arc::clone(backend))
    }

    /// The current keysets.
    pub fn keysets(&self) -> Arc<Keysets> {
        match self.keysets.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Re-read the keysets from the store (after a rotation by another instance).
    pub async fn reload_keysets(&self) -> Result<(), MintError> {
        let keysets = Arc::new(Keysets::load(&self.master, self.store.keysets().await?)?);
        match self.keysets.write() {
            Ok(mut guard) => *guard = keysets,
            Err(poisoned) => *poisoned.into_inner() = keysets,
        }
        Ok(())
    }

    /// Create a new active keyset for `unit`; older keysets of that unit become inactive (still redeemable,
    /// never signed with again).
    pub async fn rotate_keyset(&self, unit: CurrencyUnit, input_fee_ppk: u64) -> Result<KeysetRecord, MintError> {
        self.reload_keysets().await?;
        let index = self.keysets().next_index(&unit);
        self.add_keyset(unit, index, input_fee_ppk).await
    }

    /// Add the keyset with this derivation index as the active one of its unit.
    async fn add_keyset(&self, unit: CurrencyUnit, index: u32, input_fee_ppk: u64) -> Result<KeysetRecord, MintError> {
        let current = self.keysets();
        let record = KeysetRecord {
            id: Id::V1([0; 8]),
            unit: unit.clone(),
            derivation_index: index,
            max_order: self.settings.max_order,
            input_fee_ppk,
            final_expiry: None,
            active: true,
        };
        let derived = shared::keyset::MintKeySet::derive(
            &self.master,
            unit.clone(),
            record.derivation_index,
            record.max_order,
            input_fee_ppk,
            None,
        )
        .map_err(|e| MintError::Internal(e.to_string()))?;
        let record = KeysetRecord { id: derived.id, ..record };
        self.store.add_keyset(&record).await?;
        for old in current.iter().filter(|k| k.record.unit == unit && k.record.active) {
            self.store.set_keyset_active(&old.record.id, false).await?;
        }
        self.reload_keysets().await?;
        Ok(record)
    }

    /// A keyset by id, reloading once if this instance has not seen it (another instance may have made it).
    async fn keyset_known(&self, id: &Id) -> Result<(), MintError> {
        if self.keysets().get(id).is_some() {
            return Ok(());
        }
        self.reload_keysets().await?;
        if self.keysets().get(id).is_some() { Ok(()) } else { Err(MintError::UnknownKeyset(id.to_string())) }
    }

    /// `GET /v1/keys`.
    pub fn keys(&self) -> KeysResponse {
        self.keysets().keys_response()
    }

    /// `GET /v1/keys/{id}`.
    pub async fn keyset_keys(&self, id: &Id) -> Result<KeysResponse, MintError> {
        self.keyset_known(id).await?;
        let keysets = self.keysets();
        let keyset = keysets.get(id).ok_or_else(|| MintError::UnknownKeyset(id.to_string()))?;
        Ok(KeysResponse { keysets: vec![keyset.keys.to_keyset(keyset.record.active)] })
    }

    /// `GET /v1/keysets`.
    pub fn keyset_infos(&self) -> KeysetResponse {
        self.keysets().keysets_response()
    }

    /// Make sure every keyset a request names is loaded.
    async fn load_keysets_of(&self, inputs: &[Proof], outputs: &[BlindedMessage]) -> Result<(), MintError> {
        let ids: HashSet<Id> = inputs.iter().map(|p| p.keyset_id).chain(outputs.iter().map(|o| o.keyset_id)).collect();
        for id in ids {
            self.keyset_known(&id).await?;
        }
        Ok(())
    }

    /// Structural checks that need no crypto: limits and duplicates.
    fn check_shape(&self, inputs: &[Proof], outputs: &[BlindedMessage]) -> Result<(), MintError> {
        if inputs.len() > self.settings.max_inputs {
            return Err(MintError::TooManyInputs(self.settings.max_inputs));
        }
        if outputs.len() > self.settings.max_outputs {
            return Err(MintError::TooManyOutputs(self.settings.max_outputs));
        }
        let mut secrets = HashSet::with_capacity(inputs.len());
        if !inputs.iter().all(|p| secrets.insert(p.secret.as_str())) {
            return Err(MintError::DuplicateInputs);
        }
        let mut blinded = HashSet::with_capacity(outputs.len());
        if !outputs.iter().all(|o| blinded.insert(o.blinded_secret)) {
            return Err(MintError::DuplicateOutputs);
        }
        Ok(())
    }

    /// `POST /v1/swap`. `cache_key` identifies the request for NUT-19.
    ///
    /// No response is cached and none is looked up: an identical retry verifies and signs again, which
    /// gives the identical response (signatures and DLEQ nonces are deterministic), then loses the insert
    /// race to the first request and finds its inputs spent under its own request key (`Commit::request`),
    /// which makes it a success. Storing the key on the spent rows instead of a response in a table of its
    /// own saves a third of a swap's writes.
    pub async fn swap(&self, request: SwapRequest, cache_key: [u8; 32]) -> Result<SwapResponse, MintError> {
        if request.inputs.is_empty() {
            return Err(MintError::BadRequest("a swap needs at least one input".into()));
        }
        self.check_shape(&request.inputs, &request.outputs)?;
        self.load_keysets_of(&request.inputs, &request.outputs).await?;
        // From here to the commit this request is on its way to the store (group commit may wait for it).
        let intent = self.store.intend_commit();
        let keysets = self.keysets();
        let SwapRequest { inputs, outputs } = request;
        let points = inputs.len() + outputs.len();
        let (spend, signatures) = self
            .cpu(points, move || -> Result<_, MintError> {
                let (spend, input_unit, fee, input_total) = verify_inputs(&keysets, inputs)?;
                let (output_unit, output_total) = check_outputs(&keysets, &outputs)?;
                if input_unit != output_unit && !outputs.is_empty() {
                    return Err(MintError::UnitMismatch);
                }
                let expected = input_total.checked_sub(fee).map_err(|_| {
                    MintError::Unbalanced(format!("inputs ({input_total}) do not cover the fee ({fee})"))
                })?;
                if expected != output_total {
                    return Err(MintError::Unbalanced(format!(
                        "inputs {input_total} - fee {fee} != outputs {output_total}"
                    )));
                }
                Ok((spend, sign_outputs(&keysets, &outputs)?))
            })
            .await?;

        let response = SwapResponse { signatures: signatures.iter().map(|(_, s)| s.clone()).collect() };
        let commit = Commit { spend, signatures, request: Some(cache_key), ..Commit::default() };
        drop(intent);
        match self.store.commit(&commit).await {
            Ok(()) => Ok(response),
            Err(error @ (StoreError::AlreadySpent(_) | StoreError::OutputsAlreadySigned)) => {
                if self.spent_by_request(&commit, &cache_key).await? { Ok(response) } else { Err(error.into()) }
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Were all of `commit`'s inputs spent by the request with this key (an identical earlier request)?
    async fn spent_by_request(&self, commit: &Commit, key: &[u8; 32]) -> Result<bool, MintError> {
        let ys: Vec<PublicKey> = commit.spend.iter().map(|(y, _)| *y).collect();
        let states = self.store.proof_states(&ys).await?;
        Ok(states.len() == ys.len()
            && states.iter().all(|stored| stored.state == State::Spent && stored.request.as_ref() == Some(key)))
    }

    /// The cached response of an identical earlier request.
    async fn cached<T: serde::de::DeserializeOwned>(&self, key: &[u8; 32]) -> Result<Option<T>, MintError> {
        match self.store.cached_response(key).await? {
            Some(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| MintError::Internal(format!("unreadable cached response: {e}"))),
            None => Ok(None),
        }
    }

    /// Commit; if it lost a race against an identical request (same cache key), that is a success too:
    /// the caller answers with the same response (NUT-19).
    async fn commit_or_cached(&self, commit: &Commit, key: &[u8; 32]) -> Result<(), MintError> {
        match self.store.commit(commit).await {
            Ok(()) => Ok(()),
            Err(
                error @ (StoreError::AlreadySpent(_)
                | StoreError::OutputsAlreadySigned
                | StoreError::Duplicate
                | StoreError::QuoteStateConflict(_)),
            ) => {
                if self.store.cached_response(key).await?.is_some() {
                    Ok(())
                } else {
                    Err(match error {
                        StoreError::QuoteStateConflict(_) => MintError::QuoteIssued,
                        other => other.into(),
                    })
                }
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Delete cached responses older than the TTL (NUT-19). Returns how many; none without a TTL.
    pub async fn evict_expired_responses(&self) -> Result<u64, MintError> {
        match self.settings.response_cache_ttl_secs {
            Some(ttl) => {
                let ttl = i64::try_from(ttl).unwrap_or(i64::MAX);
                Ok(self.store.evict_cached_responses(unix_now().saturating_sub(ttl)).await?)
            }
            None => Ok(0),
        }
    }

    /// `POST /v1/checkstate`.
    pub async fn check_state(&self, request: CheckStateRequest) -> Result<CheckStateResponse, MintError> {
        if request.ys.len() > self.settings.max_inputs {
            return Err(MintError::TooManyInputs(self.settings.max_inputs));
        }
        let stored = self.store.proof_states(&request.ys).await?;
        let states = request
            .ys
            .iter()
            .map(|y| match stored.iter().find(|s| s.y == *y) {
                Some(found) => ProofState { y: *y, state: found.state, witness: found.witness.clone() },
                None => ProofState { y: *y, state: State::Unspent, witness: None },
            })
            .collect();
        Ok(CheckStateResponse { states })
    }

    /// `POST /v1/restore`: the signatures of outputs the mint has signed, in request order.
    pub async fn restore(&self, request: RestoreRequest) -> Result<RestoreResponse, MintError> {
        if request.outputs.len() > self.settings.max_outputs {
            return Err(MintError::TooManyOutputs(self.settings.max_outputs));
        }
        let blinded: Vec<PublicKey> = request.outputs.iter().map(|o| o.blinded_secret).collect();
        let found = self.store.signatures(&blinded).await?;
        let mut response = RestoreResponse { outputs: Vec::new(), signatures: Vec::new() };
        for output in request.outputs {
            if let Some((_, signature)) = found.iter().find(|(b, _)| *b == output.blinded_secret) {
                response.signatures.push(signature.clone());
                response.outputs.push(output);
            }
        }
        Ok(response)
    }

    fn check_quote_amount(&self, amount: Amount) -> Result<(), MintError> {
        if amount == Amount::ZERO || amount > self.settings.max_quote_amount {
            return Err(MintError::AmountOutOfRange(format!(
                "amount must be between 1 and {}",
                self.settings.max_quote_amount
            )));
        }
        Ok(())
    }

    fn expiry(&self) -> u64 {
        u64::try_from(unix_now()).unwrap_or(0).saturating_add(self.settings.quote_ttl_secs)
    }

    /// `POST /v1/mint/quote/{method}`. The fake backend's quotes are paid at once.
    pub async fn mint_quote(
        &self,
        method: &str,
        request: MintQuoteBolt11Request,
    ) -> Result<MintQuoteBolt11Response, MintError> {
        let backend = self.backend(method, &request.unit)?;
        self.check_quote_amount(request.amount)?;
        let id = uuid::Uuid::new_v4().to_string();
        let payment = backend.mint_request(&id, request.amount, &request.unit).await?;
        let quote = MintQuote {
            request: payment.request,
            id,
            method: method.to_owned(),
            unit: request.unit,
            amount: request.amount,
            state: MintQuoteState::Unpaid,
            expiry: self.expiry(),
        };
        self.store.add_mint_quote(&quote).await?;
        if payment.paid {
            let paid = Commit { quote: Some(QuoteTransition::MintPaid(quote.id.clone())), ..Commit::default() };
            self.store.commit(&paid).await?;
        }
        self.mint_quote_state(method, &quote.id).await
    }

    /// `GET /v1/mint/quote/{method}/{id}`.
    pub async fn mint_quote_state(&self, method: &str, id: &str) -> Result<MintQuoteBolt11Response, MintError> {
        let quote = self.store.mint_quote(id).await?.filter(|q| q.method == method).ok_or(MintError::QuoteNotFound)?;
        Ok(MintQuoteBolt11Response {
            quote: quote.id,
            method: Some(quote.method),
            request: quote.request,
            amount: Some(quote.amount),
            unit: Some(quote.unit),
            state: quote.state,
            expiry: Some(quote.expiry),
            pubkey: None,
        })
    }

    /// `POST /v1/bank/pay`: pay a `bank` mint quote from an account, authorised by the account key.
    pub async fn pay_mint_quote_from_account(
        &self,
        request: BankPayRequest,
    ) -> Result<MintQuoteBolt11Response, MintError> {
        let quote = self
            .store
            .mint_quote(&request.quote)
            .await?
            .filter(|q| q.method == "bank")
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
        shared::nuts::bank::verify_payment(&account.pubkey, &quote.id, &request.signature)
            .map_err(|_| MintError::BadRequest("the payment signature does not verify with the account key".into()))?;
        let delta =
            i64::try_from(quote.amount.to_u64()).map_err(|_| MintError::AmountOutOfRange("too large".into()))?;
        let commit = Commit {
            quote: Some(QuoteTransition::MintPaid(quote.id.clone())),
            account: Some(AccountChange {
                account_id: account.id,
                delta: -delta,
                reason: "mint".into(),
                reference: Some(quote.id.clone()),
            }),
            ..Commit::default()
        };
        match self.store.commit(&commit).await {
            Ok(()) => {}
            Err(StoreError::InsufficientFunds) => return Err(MintError::InsufficientFunds),
            Err(StoreError::UnknownAccount) => return Err(MintError::UnknownAccount),
            Err(StoreError::QuoteStateConflict(_)) => return Err(MintError::QuotePaid),
            Err(other) => return Err(other.into()),
        }
        self.mint_quote_state("bank", &quote.id).await
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
        self.store.add_account(&account).await.map_err(|e| match e {
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
        let delta = i64::try_from(amount.to_u64()).map_err(|_| MintError::AmountOutOfRange("too large".into()))?;
        let change = AccountChange { account_id: id.to_owned(), delta, reason: "credit".into(), reference };
        self.store.commit(&Commit { account: Some(change), ..Commit::default() }).await.map_err(|e| match e {
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

    /// `POST /v1/mint/{method}`.
    pub async fn mint(
        &self,
        method: &str,
        request: MintRequest,
        cache_key: [u8; 32],
    ) -> Result<MintResponse, MintError> {
        if let Some(cached) = self.cached(&cache_key).await? {
            return Ok(cached);
        }
        let quote = self
            .store
            .mint_quote(&request.quote)
            .await?
            .filter(|q| q.method == method)
            .ok_or(MintError::QuoteNotFound)?;
        match quote.state {
            MintQuoteState::Unpaid => return Err(MintError::QuoteNotPaid),
            MintQuoteState::Issued => return Err(MintError::QuoteIssued),
            MintQuoteState::Paid => {}
        }
        if request.outputs.is_empty() {
            return Err(MintError::BadRequest("minting needs at least one output".into()));
        }
        self.check_shape(&[], &request.outputs)?;
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
        let commit = Commit {
            signatures,
            quote_id: Some(request.quote.clone()),
            quote: Some(QuoteTransition::MintIssued(request.quote)),
            cache: Some((cache_key, to_json(&response)?)),
            ..Commit::default()
        };
        drop(intent);
        self.commit_or_cached(&commit, &cache_key).await?;
        Ok(response)
    }

    /// Finish melts a crash interrupted: their inputs are `PENDING`. Asks the backend to pay again (the
    /// bank and fake backends have no outside effect before the settling commit, so paying again is the
    /// same payment; a Lightning backend would look the payment up instead), then settles or releases.
    /// Returns how many quotes were finished.
    pub async fn recover_pending_melts(&self) -> Result<usize, MintError> {
        let quotes = self.store.pending_melt_quotes().await?;
        for quote in &quotes {
            let ys = self.store.pending_for_quote(&quote.id).await?;
            let backend = self.backend(&quote.method, &quote.unit);
            let payout = match backend {
                Ok(backend) => backend.pay(quote).await.unwrap_or_else(|e| Payout::Failed(e.to_string())),
                Err(e) => Payout::Failed(e.to_string()),
            };
            let commit = match payout {
                Payout::Paid { preimage, account } => Commit {
                    settle_pending: ys,
                    quote: Some(QuoteTransition::MeltPaid(quote.id.clone(), preimage)),
                    account,
                    ..Commit::default()
                },
                Payout::Failed(_) => Commit {
                    release_pending: ys,
                    quote: Some(QuoteTransition::MeltFailed(quote.id.clone())),
                    ..Commit::default()
                },
            };
            self.store.commit(&commit).await?;
            tracing::info!(quote = %quote.id, "finished a melt interrupted by a restart");
        }
        Ok(quotes.len())
    }

    /// `POST /v1/melt/quote/{method}`.
    pub async fn melt_quote(
        &self,
        method: &str,
        request: String,
        unit: CurrencyUnit,
        amount: Option<Amount>,
    ) -> Result<MeltQuoteBolt11Response, MintError> {
        let backend = self.backend(method, &unit)?;
        let (amount, fee_reserve) = backend.melt_amount(&request, amount).await?;
        self.check_quote_amount(amount)?;
        let quote = MeltQuote {
            id: uuid::Uuid::new_v4().to_string(),
            method: method.to_owned(),
            unit,
            amount,
            fee_reserve,
            request,
            state: MeltQuoteState::Unpaid,
            expiry: self.expiry(),
            payment_preimage: None,
        };
        self.store.add_melt_quote(&quote).await?;
        Ok(melt_response(quote))
    }

    /// `GET /v1/melt/quote/{method}/{id}`.
    pub async fn melt_quote_state(&self, method: &str, id: &str) -> Result<MeltQuoteBolt11Response, MintError> {
        let quote = self.store.melt_quote(id).await?.filter(|q| q.method == method).ok_or(MintError::QuoteNotFound)?;
        Ok(melt_response(quote))
    }

    /// `POST /v1/melt/{method}`: inputs become pending, the backend pays, then the inputs are spent in the
    /// transaction that records the payment (or released if it failed).
    pub async fn melt(
        &self,
        method: &str,
        request: MeltRequest,
        cache_key: [u8; 32],
    ) -> Result<MeltQuoteBolt11Response, MintError> {
        if let Some(cached) = self.cached(&cache_key).await? {
            return Ok(cached);
        }
        let quote = self
            .store
            .melt_quote(&request.quote)
            .await?
            .filter(|q| q.method == method)
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
        self.check_shape(&request.inputs, &[])?;
        self.load_keysets_of(&request.inputs, &[]).await?;
        let keysets = self.keysets();
        let inputs = request.inputs;
        let quote_unit = quote.unit.clone();
        let required = quote.amount.checked_add(quote.fee_reserve)?;
        let spend = self
            .cpu(inputs.len(), move || -> Result<_, MintError> {
                let (spend, unit, fee, total) = verify_inputs(&keysets, inputs)?;
                if unit != quote_unit {
                    return Err(MintError::UnitMismatch);
                }
                let needed = required.checked_add(fee)?;
                if total < needed {
                    return Err(MintError::Unbalanced(format!(
                        "inputs {total} < amount + fee reserve + fees {needed}"
                    )));
                }
                Ok(spend)
            })
            .await?;

        let ys: Vec<PublicKey> = spend.iter().map(|(y, _)| *y).collect();
        self.store
            .commit(&Commit {
                spend,
                spend_pending: true,
                quote_id: Some(quote.id.clone()),
                quote: Some(QuoteTransition::MeltPending(quote.id.clone())),
                ..Commit::default()
            })
            .await
            .map_err(|error| match error {
                StoreError::QuoteStateConflict(_) => MintError::QuotePending,
                other => other.into(),
            })?;
        let payout = match backend.pay(&quote).await {
            Ok(payout) => payout,
            Err(error) => Payout::Failed(error.to_string()),
        };
        match payout {
            Payout::Paid { preimage, account } => {
                let mut paid = quote;
                paid.state = MeltQuoteState::Paid;
                paid.payment_preimage = preimage.clone();
                let response = melt_response(paid.clone());
                self.store
                    .commit(&Commit {
                        settle_pending: ys,
                        quote: Some(QuoteTransition::MeltPaid(paid.id.clone(), preimage)),
                        account,
                        cache: Some((cache_key, to_json(&response)?)),
                        ..Commit::default()
                    })
                    .await?;
                Ok(response)
            }
            Payout::Failed(reason) => {
                self.store
                    .commit(&Commit {
                        release_pending: ys,
                        quote: Some(QuoteTransition::MeltFailed(quote.id.clone())),
                        ..Commit::default()
                    })
                    .await?;
                Err(MintError::PaymentFailed(reason))
            }
        }
    }
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

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, MintError> {
    serde_json::to_string(value).map_err(|e| MintError::Internal(e.to_string()))
}

/// Verify every input's signature. Returns the spend list (with `Y`), the inputs' unit, the fee and the
/// total.
#[allow(clippy::type_complexity)]
fn verify_inputs(
    keysets: &Keysets,
    inputs: Vec<Proof>,
) -> Result<(Vec<(PublicKey, Proof)>, CurrencyUnit, Amount, Amount), MintError> {
    let mut unit: Option<CurrencyUnit> = None;
    let mut fees_ppk = Vec::with_capacity(inputs.len());
    let mut total = Amount::ZERO;
    let mut spend = Vec::with_capacity(inputs.len());
    for proof in inputs {
        let keyset =
            keysets.get(&proof.keyset_id).ok_or_else(|| MintError::UnknownKeyset(proof.keyset_id.to_string()))?;
        match &unit {
            None => unit = Some(keyset.record.unit.clone()),
            Some(u) if *u != keyset.record.unit => return Err(MintError::MultipleUnits),
            Some(_) => {}
        }
        let k = keyset
            .keys
            .secret_key(proof.amount)
            .map_err(|_| MintError::ProofInvalid(format!("keyset has no key for amount {}", proof.amount)))?;
        let y = proof.y().map_err(|e| MintError::ProofInvalid(e.to_string()))?;
        dhke::verify_message_with_y(k, &proof.c, &y)
            .map_err(|_| MintError::ProofInvalid("signature does not match".into()))?;
        fees_ppk.push(keyset.record.input_fee_ppk);
        total = total.checked_add(proof.amount)?;
        spend.push((y, proof));
    }
    let fee = shared::keyset::fee_for_inputs(fees_ppk)?;
    Ok((spend, unit.unwrap_or_default(), fee, total))
}

/// Check outputs: known, active keysets of one unit, amounts the keyset signs. Returns unit and total.
fn check_outputs(keysets: &Keysets, outputs: &[BlindedMessage]) -> Result<(CurrencyUnit, Amount), MintError> {
    let mut unit: Option<CurrencyUnit> = None;
    let mut total = Amount::ZERO;
    for output in outputs {
        let keyset =
            keysets.get(&output.keyset_id).ok_or_else(|| MintError::UnknownKeyset(output.keyset_id.to_string()))?;
        if !keyset.record.active {
            return Err(MintError::InactiveKeyset(output.keyset_id.to_string()));
        }
        match &unit {
            None => unit = Some(keyset.record.unit.clone()),
            Some(u) if *u != keyset.record.unit => return Err(MintError::MultipleUnits),
            Some(_) => {}
        }
        keyset.secret_key(output.amount)?;
        total = total.checked_add(output.amount)?;
    }
    Ok((unit.unwrap_or_default(), total))
}

/// Sign outputs (already checked), each with its DLEQ proof.
fn sign_outputs(keysets: &Keysets, outputs: &[BlindedMessage]) -> Result<Vec<(PublicKey, BlindSignature)>, MintError> {
    outputs
        .iter()
        .map(|output| {
            let keyset =
                keysets.get(&output.keyset_id).ok_or_else(|| MintError::UnknownKeyset(output.keyset_id.to_string()))?;
            let k = keyset.secret_key(output.amount)?;
            let c = dhke::sign_message(k, &output.blinded_secret).map_err(|e| MintError::BadRequest(e.to_string()))?;
            let proof =
                dleq::calculate_dleq(k, &output.blinded_secret, &c).map_err(|e| MintError::Internal(e.to_string()))?;
            Ok((
                output.blinded_secret,
                BlindSignature { amount: output.amount, keyset_id: output.keyset_id, c, dleq: Some(proof) },
            ))
        })
        .collect()
}
