//! Tagged hashes (`TH`, `Hq`) and keyed derivation of scalars, with every tag of the offline protocol.
//!
//! `TH(tag, m) = SHA256(SHA256(tag) || SHA256(tag) || m)` (BIP-340 style), `Hq(tag, m) = int(TH(tag, m)) mod q`,
//! refused when 0. Tags are versioned: a change of any hash input gets a new version.

use hmac::{Hmac, KeyInit, Mac};
use k256::elliptic_curve::PrimeField;
use k256::elliptic_curve::ops::Reduce;
use k256::{FieldBytes, Scalar};
use sha2::{Digest, Sha256};

use super::error::OfflineError;

/// Registration proof challenge `c = Hq(reg, enc(I) || enc(T) || context)`.
pub const TAG_REG: &str = "offline/v1/reg";
/// Coin signature challenge `c' = Hq(sig, kid || j || enc(A) || enc(B) || enc(z') || enc(a') || enc(b'))`.
pub const TAG_SIG: &str = "offline/v1/sig";
/// Payment challenge `d = Hq(pay, kid || j || enc(A) || enc(B) || enc(P) || n || BE64(t))`.
pub const TAG_PAY: &str = "offline/v1/pay";
/// The message a payee signs (BIP-340) to deposit a transcript.
pub const TAG_DEPOSIT: &str = "offline/v1/deposit";
/// The message the mint signs (BIP-340) in a deposit receipt.
pub const TAG_RECEIPT: &str = "offline/v1/receipt";
/// The coin's identifier in receipts: the hash of all its fields.
pub const TAG_COIN: &str = "offline/v1/coin";
/// An offline keyset's id: the hash of its unit, times and keys.
pub const TAG_KEYSET: &str = "offline/v1/keyset";
/// Derivation of the wallet's identity secret `u1` from the seed (HMAC message prefix).
pub const TAG_DERIVE_IDENTITY: &str = "offline/v1/derive/identity";
/// Derivation of a coin's secrets `(s, u, v, x1, x2)` from the seed (HMAC message prefix).
pub const TAG_DERIVE_COIN: &str = "offline/v1/derive/coin";
/// Derivation of the registration proof's nonce `t` from `u1` (HMAC message prefix).
pub const TAG_DERIVE_REG_NONCE: &str = "offline/v1/derive/reg-nonce";
/// Derivation of the mint's session nonce `w` from a mint secret (HMAC message prefix).
pub const TAG_DERIVE_SESSION: &str = "offline/v1/derive/session";
/// Derivation of an offline keyset's private keys `x_j` from the mint's master secret (HMAC message prefix).
pub const TAG_DERIVE_MINT_KEY: &str = "offline/v1/derive/mint-key";

/// `TH(tag, parts[0] || parts[1] || ...)`.
pub fn tagged_hash(tag: &str, parts: &[&[u8]]) -> [u8; 32] {
    let tag_hash = Sha256::digest(tag.as_bytes());
    let mut hasher = Sha256::new();
    hasher.update(tag_hash);
    hasher.update(tag_hash);
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// `Hq(tag, m) = int(TH(tag, m)) mod q`; 0 is refused.
pub fn hash_to_scalar(tag: &str, parts: &[&[u8]]) -> Result<Scalar, OfflineError> {
    let digest = tagged_hash(tag, parts);
    let scalar = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(digest));
    if bool::from(scalar.is_zero()) { Err(OfflineError::ZeroHash) } else { Ok(scalar) }
}

/// A secret scalar from a key: `HMAC-SHA256(key, tag || parts... || ctr)` for the one-byte counter
/// `ctr = 0, 1, ...`, the first output that is in [1, q-1] (32 big-endian bytes, no reduction).
pub(crate) fn hmac_scalar(key: &[u8], tag: &str, parts: &[&[u8]]) -> Result<Scalar, OfflineError> {
    for counter in 0..=u8::MAX {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| OfflineError::Derivation)?;
        mac.update(tag.as_bytes());
        for part in parts {
            mac.update(part);
        }
        mac.update(&[counter]);
        let digest: [u8; 32] = mac.finalize().into_bytes().into();
        let candidate: Option<Scalar> = Scalar::from_repr(digest.into()).into_option();
        if let Some(scalar) = candidate.filter(|s| !bool::from(s.is_zero())) {
            return Ok(scalar);
        }
    }
    Err(OfflineError::Derivation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_hash_is_bip340_style() {
        // TH(tag, m) equals SHA256(SHA256(tag) || SHA256(tag) || m), whichever way m is split into parts.
        let tag_hash = Sha256::digest(TAG_PAY.as_bytes());
        let mut expected = Sha256::new();
        expected.update(tag_hash);
        expected.update(tag_hash);
        expected.update(b"abcdef");
        let expected: [u8; 32] = expected.finalize().into();
        assert_eq!(tagged_hash(TAG_PAY, &[b"abc", b"def"]), expected);
        assert_eq!(tagged_hash(TAG_PAY, &[b"abcdef"]), expected);
        assert_ne!(tagged_hash(TAG_SIG, &[b"abcdef"]), expected);
    }

    #[test]
    fn hmac_scalar_is_deterministic_and_separated() {
        let a = hmac_scalar(b"key", TAG_DERIVE_COIN, &[b"x"]).unwrap();
        assert_eq!(a, hmac_scalar(b"key", TAG_DERIVE_COIN, &[b"x"]).unwrap());
        assert_ne!(a, hmac_scalar(b"key", TAG_DERIVE_IDENTITY, &[b"x"]).unwrap());
        assert_ne!(a, hmac_scalar(b"other", TAG_DERIVE_COIN, &[b"x"]).unwrap());
    }
}
