//! What the offline endpoints refuse, each with its code of our range 13000–13099 (Cashu-style
//! `{code, detail}` bodies).

use crate::store::StoreError;
use crate::store::offline::OfflineConflict;

/// A refused offline request (the client's fault) or a failure (ours).
#[derive(Debug, thiserror::Error)]
pub enum OfflineMintError {
    /// A malformed request (amount not a power of two of the keyset, ...).
    #[error("{0}")]
    BadRequest(String),
    /// No offline keyset with this id.
    #[error("unknown offline keyset")]
    UnknownKeyset,
    /// Withdrawals use the current keyset only.
    #[error("the offline keyset is not the current one")]
    KeysetNotCurrent,
    /// The keyset's deposit deadline has passed.
    #[error("the keyset's deposit deadline has passed")]
    DepositDeadlinePassed,
    /// The keyset's deposit deadline has not passed yet (refunds wait for it).
    #[error("the keyset's deposit deadline has not passed yet")]
    DeadlineNotPassed,
    /// The keyset's refund window has closed.
    #[error("the keyset's refund window has closed")]
    RefundWindowClosed,
    /// The ownership proof does not show the coin bound to this account.
    #[error("the coin is not shown to be bound to this account")]
    NotOwner,
    /// The registration's proof of knowledge does not verify.
    #[error("the registration proof does not verify")]
    InvalidRegistration,
    /// The account or identity is registered already.
    #[error("already registered for offline use")]
    AlreadyRegistered,
    /// No such bank account, or it is not registered for offline use.
    #[error("unknown account, or not registered for offline use")]
    NotRegistered,
    /// An account read without a signed time, or with a time too far from the mint's clock.
    #[error("this read needs the account key's signature over a time within {0} s of the mint's clock")]
    ReadNotAuthorized(u64),
    /// The request's signature does not verify.
    #[error("the request's signature does not verify")]
    InvalidSignature,
    /// The bank balance does not cover it.
    #[error("insufficient funds in the account")]
    InsufficientFunds,
    /// The limit would exceed the bond, or the bond would shrink.
    #[error("{0}")]
    InvalidBond(String),
    /// The account is blocked from offline withdrawals (after a double spend).
    #[error("the account is blocked from offline withdrawals")]
    Blocked,
    /// The session is not the account's open one: aborted by a newer one, answered, or timed out.
    #[error("no such open withdrawal session (aborted by a newer one, answered, or timed out)")]
    SessionGone,
    /// A session request with this nonce was answered before, and this one is not identical to it.
    #[error("this session request's nonce was used before (a replay)")]
    SessionRequestReplayed,
    /// The withdrawal would exceed the account's offline limit for this keyset period.
    #[error("offline limit reached for this keyset period")]
    LimitExceeded,
    /// The coin, payment response or payee signature does not verify.
    #[error("invalid offline coin or transcript: {0}")]
    InvalidTranscript(String),
    /// This transcript was deposited before (by another request), or this coin refunded or deposited before.
    #[error("this transcript or coin has been deposited or refunded already")]
    AlreadyDeposited,
    /// An output has been signed before.
    #[error("outputs have already been signed before")]
    OutputsAlreadySigned,
    /// The outputs cannot be signed (unknown or inactive keyset, unknown amount, duplicates).
    #[error("invalid outputs: {0}")]
    InvalidOutputs(String),
    /// The payment's time is outside the keyset's validity period.
    #[error("the payment time is outside the keyset's validity period")]
    OutsideValidity,
    /// The store refuses writes until the mint restarts.
    #[error("the mint cannot take writes now: {0}")]
    Unavailable(String),
    /// A failure of ours; the detail is logged, not sent.
    #[error("internal error")]
    Internal(String),
}

impl OfflineMintError {
    /// The error code (13000–13099; 0 for our failures).
    pub fn code(&self) -> u16 {
        match self {
            OfflineMintError::BadRequest(_) => 13000,
            OfflineMintError::UnknownKeyset => 13001,
            OfflineMintError::KeysetNotCurrent => 13002,
            OfflineMintError::DepositDeadlinePassed => 13003,
            OfflineMintError::DeadlineNotPassed => 13004,
            OfflineMintError::RefundWindowClosed => 13005,
            OfflineMintError::NotOwner => 13033,
            OfflineMintError::InvalidRegistration => 13010,
            OfflineMintError::AlreadyRegistered => 13011,
            OfflineMintError::NotRegistered => 13012,
            OfflineMintError::InvalidSignature => 13013,
            OfflineMintError::ReadNotAuthorized(_) => 13017,
            OfflineMintError::InsufficientFunds => 13014,
            OfflineMintError::InvalidBond(_) => 13015,
            OfflineMintError::Blocked => 13016,
            OfflineMintError::SessionGone => 13020,
            OfflineMintError::LimitExceeded => 13021,
            OfflineMintError::SessionRequestReplayed => 13022,
            OfflineMintError::InvalidTranscript(_) => 13030,
            OfflineMintError::AlreadyDeposited => 13031,
            OfflineMintError::OutsideValidity => 13032,
            OfflineMintError::OutputsAlreadySigned => 13034,
            OfflineMintError::InvalidOutputs(_) => 13035,
            OfflineMintError::Unavailable(_) | OfflineMintError::Internal(_) => 0,
        }
    }

    /// Whether this is our failure rather than the client's.
    pub fn is_internal(&self) -> bool {
        matches!(self, OfflineMintError::Internal(_))
    }
}

impl From<StoreError> for OfflineMintError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Offline(conflict) => conflict.into(),
            StoreError::Unavailable(reason) => OfflineMintError::Unavailable(reason),
            other => OfflineMintError::Internal(other.to_string()),
        }
    }
}

impl From<OfflineConflict> for OfflineMintError {
    fn from(conflict: OfflineConflict) -> Self {
        match conflict {
            OfflineConflict::AlreadyRegistered => OfflineMintError::AlreadyRegistered,
            OfflineConflict::NotRegistered => OfflineMintError::NotRegistered,
            OfflineConflict::InsufficientFunds => OfflineMintError::InsufficientFunds,
            OfflineConflict::LimitAboveBond | OfflineConflict::BondChanged => {
                OfflineMintError::InvalidBond("the bond changed meanwhile, or the limit exceeds it".into())
            }
            OfflineConflict::SessionGone => OfflineMintError::SessionGone,
            OfflineConflict::LimitExceeded => OfflineMintError::LimitExceeded,
            OfflineConflict::AlreadyDeposited | OfflineConflict::CoinSeen => OfflineMintError::AlreadyDeposited,
            OfflineConflict::OutputsAlreadySigned => OfflineMintError::OutputsAlreadySigned,
            OfflineConflict::SessionRequestSeen => OfflineMintError::SessionRequestReplayed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_in_the_offline_range_and_distinct() {
        let errors = [
            OfflineMintError::BadRequest(String::new()),
            OfflineMintError::UnknownKeyset,
            OfflineMintError::KeysetNotCurrent,
            OfflineMintError::DepositDeadlinePassed,
            OfflineMintError::DeadlineNotPassed,
            OfflineMintError::RefundWindowClosed,
            OfflineMintError::NotOwner,
            OfflineMintError::InvalidRegistration,
            OfflineMintError::AlreadyRegistered,
            OfflineMintError::NotRegistered,
            OfflineMintError::InvalidSignature,
            OfflineMintError::ReadNotAuthorized(0),
            OfflineMintError::InsufficientFunds,
            OfflineMintError::InvalidBond(String::new()),
            OfflineMintError::Blocked,
            OfflineMintError::SessionGone,
            OfflineMintError::LimitExceeded,
            OfflineMintError::SessionRequestReplayed,
            OfflineMintError::InvalidTranscript(String::new()),
            OfflineMintError::AlreadyDeposited,
            OfflineMintError::OutsideValidity,
            OfflineMintError::OutputsAlreadySigned,
            OfflineMintError::InvalidOutputs(String::new()),
        ];
        let mut codes: Vec<u16> = errors.iter().map(OfflineMintError::code).collect();
        assert!(codes.iter().all(|code| (13000..13100).contains(code)));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
        assert!(OfflineMintError::Internal("x".into()).is_internal());
    }
}
