//! The mint's rules, free of HTTP and SQL: verify inputs, balance amounts and fees, sign outputs with DLEQ
//! proofs, and hand every effect of a request to the store as one atomic [`Commit`](crate::store::Commit).
//!
//! The spent set is the database's: whether a note was presented first is decided by the store's unique
//! key on `Y`, inside the transaction that stores the outputs' signatures, never by a check-then-write here.
//!
//! One file per operation, each adding its methods to [`Mint`]: `swap`, `issue` (mint quotes and minting),
//! `melt` (melt quotes, melting, finishing interrupted melts), `bank` (accounts), `keys` (keys endpoints,
//! rotation), `state` (check state, restore), `nut19` (cached responses), `info` (the NUT claims of
//! `GET /v1/info`). `checks` holds the checks and signing they share; `keysets` the loaded keysets. This
//! file holds the [`Mint`], its settings, and the helpers every operation uses.
//!
//! Payment methods are the backends of the [`FundingRegistry`] given to [`Mint::new`].

mod bank;
mod checks;
mod error;
mod info;
mod issue;
mod keys;
mod keysets;
mod melt;
mod nut19;
mod payout;
mod state;
mod swap;

use std::sync::{Arc, RwLock};

use shared::nuts::PaymentMethod;
use shared::{Amount, CurrencyUnit};
use zeroize::Zeroizing;

pub use error::MintError;
pub use keysets::{Keysets, LoadedKeyset};
pub use melt::MeltQuoteRequest;
pub use nut19::cache_key;

use crate::cpu::CpuPool;
use crate::funding::{Funding, FundingRegistry};
use crate::offline::{Clock, OfflineMint, OfflineSettings};
use crate::store::{MintStore, unix_now};

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
    /// Longest input secret, in bytes (longer ones are refused with code 11000).
    pub max_secret_len: usize,
    /// Longest witness of an input or output, in bytes (longer ones are refused with code 11000).
    pub max_witness_len: usize,
    /// Largest amount of one mint or melt quote.
    pub max_quote_amount: Amount,
    /// How long quotes stay valid, in seconds.
    pub quote_ttl_secs: u64,
    /// NUT-19: how long cached responses are kept, in seconds; `None` keeps them forever.
    pub response_cache_ttl_secs: Option<u64>,
    /// How long a melt's lease lasts, in seconds: a melt whose settler died (a killed instance) is finished
    /// by another (or the restarted) instance after this.
    pub melt_lease_secs: u64,
}

impl MintSettings {
    /// Default of [`MintSettings::max_inputs`].
    pub const DEFAULT_MAX_INPUTS: usize = 1000;
    /// Default of [`MintSettings::max_outputs`].
    pub const DEFAULT_MAX_OUTPUTS: usize = 1000;
    /// Default of [`MintSettings::max_secret_len`]: Nutshell's limit. NUT-10 secrets (P2PK with a few keys and
    /// tags) fit well within it.
    pub const DEFAULT_MAX_SECRET_LEN: usize = 512;
    /// Default of [`MintSettings::max_witness_len`]: Nutshell's limit, room for several P2PK signatures.
    pub const DEFAULT_MAX_WITNESS_LEN: usize = 1024;
    /// Default of [`MintSettings::input_fee_ppk`].
    pub const DEFAULT_INPUT_FEE_PPK: u64 = 0;
    /// Default of [`MintSettings::response_cache_ttl_secs`]: a day, far longer than any wallet's retries.
    pub const DEFAULT_RESPONSE_CACHE_TTL_SECS: u64 = 24 * 3600;
    /// Default of [`MintSettings::melt_lease_secs`]: longer than any payment takes (the bank and fake
    /// backends pay at once; a Lightning backend would renew it).
    pub const DEFAULT_MELT_LEASE_SECS: u64 = 120;
}

impl Default for MintSettings {
    fn default() -> Self {
        MintSettings {
            unit: CurrencyUnit::Sat,
            max_order: 32,
            input_fee_ppk: Self::DEFAULT_INPUT_FEE_PPK,
            max_inputs: Self::DEFAULT_MAX_INPUTS,
            max_outputs: Self::DEFAULT_MAX_OUTPUTS,
            max_secret_len: Self::DEFAULT_MAX_SECRET_LEN,
            max_witness_len: Self::DEFAULT_MAX_WITNESS_LEN,
            max_quote_amount: Amount::from_u64(1 << 31),
            quote_ttl_secs: 3600,
            response_cache_ttl_secs: Some(Self::DEFAULT_RESPONSE_CACHE_TTL_SECS),
            melt_lease_secs: Self::DEFAULT_MELT_LEASE_SECS,
        }
    }
}

/// How long after its expiry an unpaid quote is deleted: a request that checked the expiry just before it
/// passed has long finished by then (and if not, its commit fails cleanly: the quote is gone).
pub const EXPIRED_QUOTE_GRACE_SECS: i64 = 300;

/// Requests with at most this many inputs plus outputs are verified and signed on the async worker itself
/// (about 80 µs per input and 200 µs per output on this project's machine: at most about half a millisecond).
const INLINE_MAX_POINTS: usize = 3;

/// The mint. Its `Debug` shows neither the master secret nor any key derived from it.
pub struct Mint {
    store: Arc<dyn MintStore>,
    master: Zeroizing<Vec<u8>>,
    /// The mint's identity (`pubkey` of `/v1/info`), derived from the master secret.
    identity: shared::PublicKey,
    keysets: RwLock<Arc<Keysets>>,
    settings: MintSettings,
    funding: FundingRegistry,
    /// Shared with the offline side.
    cpu: Arc<CpuPool>,
    /// The offline coins' side (its own rules, tables and endpoints: `crate::offline`).
    offline: OfflineMint,
}

impl std::fmt::Debug for Mint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keysets: Vec<shared::Id> = self.keysets().iter().map(|k| k.record.id).collect();
        f.debug_struct("Mint")
            .field("master", &"[redacted]")
            .field("keysets", &keysets)
            .field("settings", &self.settings)
            .field("funding", &self.funding)
            .finish_non_exhaustive()
    }
}

impl Mint {
    /// Load the keysets from the store, creating the first active keyset of the default unit if there is
    /// none. `funding` holds the payment methods on offer ([`FundingRegistry::standard`] for the usual set).
    ///
    /// Nothing else runs: finishing interrupted melts is [`Mint::recover_pending_melts`], the server's
    /// start-up task.
    pub async fn new(
        store: Arc<dyn MintStore>,
        master: Vec<u8>,
        settings: MintSettings,
        funding: FundingRegistry,
    ) -> Result<Self, MintError> {
        let master = Zeroizing::new(master);
        let identity = shared::nuts::bank::mint_identity_key(&master)
            .map_err(|e| MintError::Internal(format!("cannot derive the mint's identity key: {e}")))?
            .public_key();
        let keysets = Keysets::load(&master, store.keysets().await?)?;
        let cpu = Arc::new(CpuPool::for_this_machine());
        let offline = OfflineMint::new(
            Arc::clone(&store),
            Arc::clone(&cpu),
            &master,
            OfflineSettings::default(),
            Clock::system(),
        )
        .map_err(|e| MintError::Internal(e.to_string()))?;
        let mint =
            Mint { store, master, identity, keysets: RwLock::new(Arc::new(keysets)), settings, funding, cpu, offline };
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
    /// small request. Larger work goes to the [`CpuPool`] (at most one job per core at a time).
    async fn cpu<T: Send + 'static>(
        &self,
        points: usize,
        work: impl FnOnce() -> Result<T, MintError> + Send + 'static,
    ) -> Result<T, MintError> {
        if points <= INLINE_MAX_POINTS {
            return work();
        }
        self.cpu.run(work).await.map_err(|e| MintError::Internal(e.to_string()))?
    }

    /// This mint with other offline settings and clock (the default: [`OfflineSettings::default`], the
    /// system clock).
    pub fn with_offline(self, settings: OfflineSettings, clock: Clock) -> Result<Self, MintError> {
        let offline = OfflineMint::new(Arc::clone(&self.store), Arc::clone(&self.cpu), &self.master, settings, clock)
            .map_err(|e| MintError::Internal(e.to_string()))?;
        Ok(Mint { offline, ..self })
    }

    /// The CPU pool (shared with the offline side).
    pub fn cpu_pool(&self) -> &CpuPool {
        &self.cpu
    }

    /// The offline coins' side.
    pub fn offline(&self) -> &OfflineMint {
        &self.offline
    }

    /// The mint's public identity key (`pubkey` of `GET /v1/info`): `HMAC-SHA256(master, tag)` as a key
    /// ([`shared::nuts::bank::mint_identity_key`]); bank payments sign it.
    pub fn pubkey(&self) -> shared::PublicKey {
        self.identity
    }

    /// The settings.
    pub fn settings(&self) -> &MintSettings {
        &self.settings
    }

    /// `Ok` while the store takes writes; why not once it does not (until restart).
    pub fn health(&self) -> Result<(), crate::store::Unhealthy> {
        self.store.health()
    }

    /// Value signed and spent per keyset (a full scan: call it periodically, not per request).
    pub async fn keyset_totals(&self) -> Result<Vec<crate::store::KeysetTotals>, MintError> {
        Ok(self.store.keyset_totals().await?)
    }

    /// The store's own measurements, if it makes any.
    pub fn store_metrics(&self) -> Option<crate::store::StoreMetrics> {
        self.store.metrics()
    }

    /// Delete the unpaid quotes that expired more than [`EXPIRED_QUOTE_GRACE_SECS`] ago (the server runs this
    /// periodically). Paid, issued and pending quotes are never deleted. Returns how many.
    pub async fn delete_expired_quotes(&self) -> Result<u64, MintError> {
        Ok(self.store.delete_expired_quotes(unix_now().saturating_sub(EXPIRED_QUOTE_GRACE_SECS)).await?)
    }

    /// The payment methods on offer.
    pub fn funding(&self) -> &FundingRegistry {
        &self.funding
    }

    /// The backend of a registered method, for quotes in `unit`.
    fn backend(&self, method: &PaymentMethod, unit: &CurrencyUnit) -> Result<Arc<dyn Funding>, MintError> {
        let backend = self.funding.get(method).ok_or_else(|| MintError::UnsupportedMethod(method.to_string()))?;
        if *unit != self.settings.unit {
            return Err(MintError::UnsupportedUnit(unit.to_string()));
        }
        Ok(Arc::clone(backend))
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
}

/// Payment method names are `[a-z0-9_-]+` (NUT-04); anything else cannot name a backend, so it is
/// refused as unsupported before any lookup.
fn check_method(method: &PaymentMethod) -> Result<(), MintError> {
    let name = method.as_str();
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        Ok(())
    } else {
        Err(MintError::UnsupportedMethod(name.to_owned()))
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, MintError> {
    serde_json::to_string(value).map_err(|e| MintError::Internal(e.to_string()))
}
