//! Requests an account holder makes to the mint about offline coins are signed (BIP-340) with the bank
//! account key, over [`auth_message`]; a deposit to an account is signed with the payee key `P`, binding the
//! destination to the transcript. The mint's receipt key is derived from its master secret.
//!
//! `auth_message(op, parts) = TH("offline/v1/auth", L(op) || L(part_1) || ... || L(part_n))` where `L(x)` is
//! `BE16(len(x)) || x`.

use alloc::vec::Vec;

use super::error::OfflineError;
use super::hash::{hmac_scalar, tagged_hash};
use super::wire::{Bip340Signature, bip340_sign, bip340_verify};
use crate::{PublicKey, SecretKey};

/// Tag of [`auth_message`].
pub const TAG_AUTH: &str = "offline/v1/auth";
/// Tag deriving the mint's receipt key from its master secret.
pub const TAG_DERIVE_RECEIPT_KEY: &str = "offline/v1/derive/receipt-key";

/// Operation names signed in [`auth_message`].
pub mod op {
    /// `POST /v1/offline/register`: parts account id, `I`.
    pub const REGISTER: &str = "register";
    /// `POST /v1/offline/bond`: parts account id, BE64(bond), BE64(limit).
    pub const BOND: &str = "bond";
    /// `POST /v1/offline/session`: parts account id, keyset id, BE64(amount), the wallet's nonce.
    pub const SESSION: &str = "session";
    /// `POST /v1/offline/withdraw`: parts account id, session id, `c0`.
    pub const WITHDRAW: &str = "withdraw";
    /// `POST /v1/offline/deposit` to an account: parts account id, the transcript's message.
    pub const DEPOSIT: &str = "deposit";
    /// `POST /v1/offline/refund`: parts account id, the coin's hash.
    pub const REFUND: &str = "refund";
    /// `GET /v1/offline/accounts/{account}` and `.../withdrawals`: parts account id, BE64(time).
    pub const READ: &str = "read";
}

/// The 32-byte message signed for operation `op` over `parts`.
pub fn auth_message(op: &str, parts: &[&[u8]]) -> Result<[u8; 32], OfflineError> {
    let mut message = Vec::new();
    for part in core::iter::once(op.as_bytes()).chain(parts.iter().copied()) {
        let len = u16::try_from(part.len()).map_err(|_| OfflineError::InvalidSignature)?;
        message.extend_from_slice(&len.to_be_bytes());
        message.extend_from_slice(part);
    }
    Ok(tagged_hash(TAG_AUTH, &[&message]))
}

/// Sign operation `op` over `parts` with `key` (BIP-340).
pub fn sign(key: &SecretKey, op: &str, parts: &[&[u8]]) -> Result<Bip340Signature, OfflineError> {
    bip340_sign(key, &auth_message(op, parts)?)
}

/// Check a signature of operation `op` over `parts` by `key`'s x coordinate (BIP-340).
pub fn verify_vartime(
    key: &PublicKey,
    op: &str,
    parts: &[&[u8]],
    signature: &Bip340Signature,
) -> Result<(), OfflineError> {
    bip340_verify(key, &auth_message(op, parts)?, signature)
}

/// The mint's receipt key: `HMAC-SHA256(master, TAG_DERIVE_RECEIPT_KEY || 0x00)` (the next counter byte if
/// that is not a valid scalar).
pub fn derive_receipt_key(master: &[u8]) -> Result<SecretKey, OfflineError> {
    Ok(SecretKey::from_scalar(hmac_scalar(master, TAG_DERIVE_RECEIPT_KEY, &[])?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_operation_and_parts() {
        let key = SecretKey::random().unwrap();
        let signature = sign(&key, op::BOND, &[b"acc", &5u64.to_be_bytes()]).unwrap();
        verify_vartime(&key.public_key(), op::BOND, &[b"acc", &5u64.to_be_bytes()], &signature).unwrap();
        assert!(verify_vartime(&key.public_key(), op::SESSION, &[b"acc", &5u64.to_be_bytes()], &signature).is_err());
        assert!(verify_vartime(&key.public_key(), op::BOND, &[b"acc", &6u64.to_be_bytes()], &signature).is_err());
        // Length prefixes: moving bytes between parts changes the message.
        assert_ne!(auth_message(op::BOND, &[b"ab", b"c"]).unwrap(), auth_message(op::BOND, &[b"a", b"bc"]).unwrap());
    }

    #[test]
    fn receipt_key_is_derived_and_separated() {
        let a = derive_receipt_key(b"master").unwrap();
        assert_eq!(a.to_bytes(), derive_receipt_key(b"master").unwrap().to_bytes());
        assert_ne!(a.to_bytes(), derive_receipt_key(b"other").unwrap().to_bytes());
    }
}
