//! Offline coins (issue 13, Brands' scheme, `PROTOCOL.md` section 2): the mint's side, a second protocol
//! beside Cashu's with its own endpoints (`/v1/offline/...`, `routes/offline.rs`), tables and commits
//! (`store/offline.rs`) and error codes (13000–13099, [`OfflineMintError`]). The cryptography is `shared`'s
//! (`shared::offline`); this module holds the rules:
//!
//! - keysets: one per period of [`OfflineSettings::period_secs`], derived from the master secret and the
//!   period's index, valid for the period, deposits accepted until [`OfflineSettings::deposit_grace_secs`]
//!   after it (`keysets.rs`);
//! - accounts: an identity key registered with its proof of knowledge, a bond locked from the bank balance,
//!   an offline limit no larger than the bond (`accounts.rs`);
//! - withdrawals: one open session per account (a new one aborts the old; sessions time out), the account
//!   debited in the commit that stores the response (`withdraw.rs`);
//! - deposits: receipts, replays, retries, double spends with evidence and the bond payout (`deposit.rs`);
//! - refunds of never-deposited coins after the deadline, pruning after the refund window (`refund.rs`).
//!
//! Times come from a [`Clock`], which tests set by hand.

mod accounts;
mod deposit;
mod error;
mod keysets;
mod refund;
mod withdraw;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use shared::SecretKey;
use zeroize::Zeroizing;

pub use error::OfflineMintError;

use crate::cpu::CpuPool;
use crate::store::MintStore;

/// The time the offline rules use: the system's, or a hand-set one (tests).
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<AtomicU64>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock(None)
    }

    /// A clock that stands at `now` until set or advanced.
    pub fn manual(now: u64) -> Self {
        Clock(Some(Arc::new(AtomicU64::new(now))))
    }

    /// Unix seconds.
    pub fn now(&self) -> u64 {
        match &self.0 {
            Some(now) => now.load(Ordering::SeqCst),
            None => u64::try_from(crate::store::unix_time()).unwrap_or(0),
        }
    }

    /// Move a manual clock forward (a system clock ignores it).
    pub fn advance(&self, seconds: u64) {
        if let Some(now) = &self.0 {
            now.fetch_add(seconds, Ordering::SeqCst);
        }
    }
}

/// Signs Cashu outputs for a deposit paid anonymously: the Cashu side of the mint ([`crate::mint::Mint`])
/// checks them (known amounts of an active keyset, no duplicates) and signs them with DLEQ proofs; the offline
/// side stores the signatures in its deposit's commit.
#[async_trait::async_trait]
pub trait OutputSigner: Send + Sync {
    /// The outputs' signatures, with the `B'` each signs, in order.
    async fn sign(
        &self,
        outputs: Vec<shared::BlindedMessage>,
    ) -> Result<Vec<(shared::PublicKey, shared::BlindSignature)>, OfflineMintError>;
}

/// The operator's offline settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineSettings {
    /// Length of a keyset's validity period, in seconds (also the limit's period).
    pub period_secs: u64,
    /// How long after its period a keyset's coins can still be deposited, in seconds.
    pub deposit_grace_secs: u64,
    /// Denominations per keyset: 2^0 .. 2^(denominations-1).
    pub denominations: u8,
    /// How long a withdrawal session stays open, in seconds.
    pub session_ttl_secs: u64,
    /// How long after a keyset's deposit deadline its never-deposited coins can be refunded, in seconds;
    /// after that its spent coins can be pruned.
    pub refund_window_secs: u64,
}

impl Default for OfflineSettings {
    fn default() -> Self {
        OfflineSettings {
            period_secs: 30 * 24 * 3600,
            deposit_grace_secs: 14 * 24 * 3600,
            denominations: 20,
            session_ttl_secs: 120,
            refund_window_secs: 90 * 24 * 3600,
        }
    }
}

/// The offline side of the mint. Its `Debug` shows no secret.
pub struct OfflineMint {
    store: Arc<dyn MintStore>,
    cpu: Arc<CpuPool>,
    master: Zeroizing<Vec<u8>>,
    settings: OfflineSettings,
    clock: Clock,
    receipt_key: SecretKey,
    keysets: keysets::KeysetCache,
}

impl std::fmt::Debug for OfflineMint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfflineMint")
            .field("settings", &self.settings)
            .field("receipt_key", &self.receipt_key.public_key())
            .finish_non_exhaustive()
    }
}

impl OfflineMint {
    /// The offline mint on `store`, its keys derived from `master`, its curve work on `cpu`.
    pub fn new(
        store: Arc<dyn MintStore>,
        cpu: Arc<CpuPool>,
        master: &[u8],
        settings: OfflineSettings,
        clock: Clock,
    ) -> Result<Self, OfflineMintError> {
        if settings.period_secs == 0 || settings.denominations == 0 || settings.denominations > 64 {
            return Err(OfflineMintError::Internal("offline settings out of range".into()));
        }
        let receipt_key =
            shared::offline::auth::derive_receipt_key(master).map_err(|e| OfflineMintError::Internal(e.to_string()))?;
        Ok(OfflineMint {
            store,
            cpu,
            master: Zeroizing::new(master.to_vec()),
            settings,
            clock,
            receipt_key,
            keysets: keysets::KeysetCache::default(),
        })
    }

    /// The receipt key's public half (in `/v1/info` and `/v1/offline/keysets`).
    pub fn receipt_public_key(&self) -> shared::PublicKey {
        self.receipt_key.public_key()
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The settings.
    pub fn settings(&self) -> &OfflineSettings {
        &self.settings
    }
}

/// Longest account or session id accepted (ours are 32 to 36 characters), checked before any lookup.
const MAX_ID_LEN: usize = 64;

/// Refuse an over-long account or session id (cheap, before any lookup or cryptography).
fn check_id(id: &str) -> Result<(), OfflineMintError> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(OfflineMintError::BadRequest(format!("ids have 1 to {MAX_ID_LEN} bytes")));
    }
    Ok(())
}

/// A `shared` error on a request path: the client's.
fn invalid(error: shared::offline::OfflineError) -> OfflineMintError {
    OfflineMintError::InvalidTranscript(error.to_string())
}

/// JSON of a value we built (cannot fail for our types; an error is ours).
fn to_json<T: serde::Serialize>(value: &T) -> Result<String, OfflineMintError> {
    serde_json::to_string(value).map_err(|e| OfflineMintError::Internal(e.to_string()))
}

/// A value we stored as JSON.
fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, OfflineMintError> {
    serde_json::from_str(text).map_err(|e| OfflineMintError::Internal(format!("stored JSON: {e}")))
}
