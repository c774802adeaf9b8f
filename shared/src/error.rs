//! The error type of the `shared` crate.
//!
//! Every fallible function here returns [`Error`]; each variant says in plain words what was wrong with
//! the input. The mint maps these to Cashu wire codes (see [`crate::nuts::error`]).

use alloc::string::String;

/// What went wrong in a protocol or crypto operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A point is not a valid 33-byte SEC1 compressed encoding of a point on secp256k1.
    #[error("invalid public key: {0}")]
    InvalidPublicKey(&'static str),
    /// A point is the identity (point at infinity), which no protocol value may be.
    #[error("invalid public key: the identity point is not allowed")]
    IdentityPoint,
    /// A scalar is not in [1, q-1] or not 32 bytes.
    #[error("invalid secret key: {0}")]
    InvalidSecretKey(&'static str),
    /// Hex text could not be decoded.
    #[error("invalid hex: {0}")]
    InvalidHex(String),
    /// hash_to_curve found no point (never happens in practice; bounded so that it cannot loop forever).
    #[error("hash_to_curve found no valid point")]
    NoValidPoint,
    /// The unblinded signature does not match the mint's key.
    #[error("signature verification failed")]
    VerificationFailed,
    /// A DLEQ proof does not verify.
    #[error("DLEQ proof is invalid")]
    InvalidDleq,
    /// A DLEQ proof was needed but is absent.
    #[error("DLEQ proof is missing")]
    MissingDleq,
    /// Amount arithmetic overflowed u64.
    #[error("amount overflow")]
    AmountOverflow,
    /// Amount arithmetic would go below zero.
    #[error("amount underflow")]
    AmountUnderflow,
    /// An amount that must be a power of two is not.
    #[error("amount {0} is not a power of two")]
    NotPowerOfTwo(u64),
    /// A keyset id is malformed.
    #[error("invalid keyset id: {0}")]
    InvalidKeysetId(String),
    /// A keyset's id does not match the id derived from its keys.
    #[error("keyset id {claimed} does not match its keys (derived {derived})")]
    KeysetIdMismatch {
        /// The id the keyset claims.
        claimed: String,
        /// The id derived from its keys.
        derived: String,
    },
    /// A keyset has no key for this amount.
    #[error("keyset has no key for amount {0}")]
    AmountNotInKeyset(u64),
    /// A proof names a keyset that is not the one given.
    #[error("unknown keyset {0}")]
    UnknownKeyset(String),
    /// A short keyset id in a token matches no known keyset, or more than one.
    #[error("short keyset id {0} cannot be resolved: {1}")]
    UnresolvableShortId(String, &'static str),
    /// A token string or byte sequence could not be decoded.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// A mnemonic is not a valid BIP-39 phrase.
    #[error("invalid mnemonic: {0}")]
    InvalidMnemonic(String),
    /// Key derivation failed (for example a derived scalar was zero).
    #[error("key derivation failed: {0}")]
    Derivation(String),
    /// The platform's random number generator failed.
    #[error("random number generator failed")]
    Rng,
}
