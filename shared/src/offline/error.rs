//! The error type of the offline-coin modules.

use crate::Error as EncodingError;

/// What went wrong in an offline-coin operation. Each variant says in plain words what was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfflineError {
    /// A point or scalar failed strict decoding (off the curve, identity, 0 or >= q, bad hex).
    #[error(transparent)]
    Encoding(#[from] EncodingError),
    /// A tagged hash reduced to 0 mod q (probability about 2^-256); the protocol aborts.
    #[error("a challenge hash reduced to zero")]
    ZeroHash,
    /// A derived or computed scalar is zero (probability about 2^-256).
    #[error("a derived scalar is zero")]
    ZeroScalar,
    /// The RFC 9380 hash-to-curve of a generator failed.
    #[error("hash-to-curve of a generator failed")]
    Generators,
    /// An amount is not a power of two between 1 and 2^63.
    #[error("amount {0} is not a power of two")]
    NotPowerOfTwo(u64),
    /// The keyset has no key for this amount.
    #[error("the keyset has no key for amount {0}")]
    UnknownAmount(u64),
    /// The keyset's id is not the hash of its content.
    #[error("the keyset id does not match its keys and times")]
    KeysetIdMismatch,
    /// The times of a keyset are not ordered `valid_from < valid_until <= deposit_deadline`.
    #[error("keyset times must satisfy valid_from < valid_until <= deposit_deadline")]
    InvalidKeysetTimes,
    /// A keyset has no keys, or more than 64.
    #[error("a keyset needs between 1 and 64 keys")]
    InvalidKeysetSize,
    /// The coin names another keyset than the one given.
    #[error("the coin belongs to another keyset")]
    WrongKeyset,
    /// The keyset is unknown to the verifier.
    #[error("unknown offline keyset")]
    UnknownKeyset,
    /// The payment time lies outside the keyset's validity period.
    #[error("the time {time} is outside the keyset's validity period")]
    OutsideValidity {
        /// The time of the payment request (Unix seconds).
        time: u64,
    },
    /// The deposit comes after the keyset's deposit deadline.
    #[error("the keyset's deposit deadline has passed")]
    DepositDeadlinePassed,
    /// `I + g2` is the identity point: such an identity cannot be registered.
    #[error("the identity point is -g2")]
    DegenerateIdentity,
    /// The proof of knowledge in a registration does not verify.
    #[error("the registration proof does not verify")]
    InvalidRegistrationProof,
    /// The mint's withdrawal response `r0` does not verify.
    #[error("the mint's withdrawal response does not verify")]
    InvalidMintResponse,
    /// The coin's signature does not verify against the keyset.
    #[error("the coin's signature does not verify")]
    InvalidCoin,
    /// The payer's responses `(r1, r2)` do not answer the challenge.
    #[error("the payment response does not answer the challenge")]
    InvalidPaymentResponse,
    /// The coins of a payment do not add up to the requested amount.
    #[error("the coins add up to {paid}, the request asks {requested}")]
    AmountMismatch {
        /// Sum of the coins.
        paid: u64,
        /// Requested amount.
        requested: u64,
    },
    /// A payment carries no coin, or more than the limit.
    #[error("a payment needs between 1 and {0} coins")]
    PaymentSize(usize),
    /// The same coin appears twice in one payment.
    #[error("the same coin appears twice")]
    DuplicateCoin,
    /// A BIP-340 signature (deposit or receipt) does not verify or cannot be produced.
    #[error("the signature does not verify")]
    InvalidSignature,
    /// Two transcripts do not show a double spend: a different coin, or the same challenge.
    #[error("not a double spend: {0}")]
    NotADoubleSpend(&'static str),
    /// A coin's ownership proof does not verify (refunds).
    #[error("the ownership proof does not verify")]
    InvalidOwnershipProof,
    /// The extracted identity does not own the coin (`A != s (I + g2)`).
    #[error("the extracted identity does not own the coin")]
    EvidenceMismatch,
    /// The secret derivation found no scalar (never happens in practice; bounded).
    #[error("secret derivation found no valid scalar")]
    Derivation,
}
