//! Deterministic secrets and blinding factors from a BIP-39 mnemonic (NUT-13).
//!
//! Keyset version `01`: `HMAC-SHA256(seed, "Cashu_KDF_HMAC_SHA256" || id || BE64(counter) || type)`.
//! Keyset version `00` (legacy): BIP-32 paths `m/129372'/0'/{id_int}'/{counter}'/{0|1}`.

use alloc::format;
use alloc::string::ToString;
use alloc::vec::Vec;
use core::fmt;

pub use bip39::Mnemonic;
use hmac::{Hmac, KeyInit, Mac};
use k256::elliptic_curve::ops::Reduce;
use k256::{FieldBytes, Scalar};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{Error, Id, Secret, SecretKey};

/// Domain separator of the version 01 derivation.
const KDF_TAG: &[u8] = b"Cashu_KDF_HMAC_SHA256";

/// The 64-byte BIP-39 seed of a wallet. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct WalletSeed([u8; 64]);

impl fmt::Debug for WalletSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WalletSeed(..)")
    }
}

/// A fresh 12-word English mnemonic from the platform's random number generator.
pub fn generate_mnemonic() -> Result<Mnemonic, Error> {
    let mut entropy: [u8; 16] = crate::util::random_bytes()?;
    let mnemonic = Mnemonic::from_entropy(&entropy).map_err(|e| Error::InvalidMnemonic(e.to_string()));
    entropy.zeroize();
    mnemonic
}

/// Parse a mnemonic typed by a person (any case and spacing).
pub fn parse_mnemonic(phrase: &str) -> Result<Mnemonic, Error> {
    let normalized = phrase.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ");
    Mnemonic::parse_normalized(&normalized).map_err(|e| Error::InvalidMnemonic(e.to_string()))
}

impl WalletSeed {
    /// The seed of a mnemonic (empty passphrase, as NUT-13 wallets use): BIP-39's PBKDF2-HMAC-SHA512 of the
    /// words joined by single spaces, salt `"mnemonic"`, 2048 rounds. Computed with `pbkdf2` and `sha2`,
    /// which this crate uses anyway, rather than `bip39`'s own SHA-512, so the wallet's bundle holds one.
    pub fn from_mnemonic(mnemonic: &Mnemonic) -> Self {
        // Room for 24 words of at most 8 letters: the phrase is never moved by a reallocation.
        let mut phrase = zeroize::Zeroizing::new(alloc::string::String::with_capacity(24 * 9));
        for (index, word) in mnemonic.words().enumerate() {
            if index > 0 {
                phrase.push(' ');
            }
            phrase.push_str(word);
        }
        let mut seed = [0u8; 64];
        pbkdf2::pbkdf2_hmac::<sha2::Sha512>(phrase.as_bytes(), b"mnemonic", 2048, &mut seed);
        WalletSeed(seed)
    }

    /// Raw seed bytes.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }

    /// The secret and blinding factor for `counter` in a keyset, by the method its version requires.
    pub fn derive(&self, keyset_id: &Id, counter: u32) -> Result<(Secret, SecretKey), Error> {
        match keyset_id {
            Id::V2(_) => self.derive_hmac(keyset_id, u64::from(counter)),
            Id::V1(_) => self.derive_bip32(keyset_id, counter),
        }
    }

    fn hmac(&self, keyset_id: &Id, counter: u64, kind: u8) -> Result<[u8; 32], Error> {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).map_err(|e| Error::Derivation(e.to_string()))?;
        mac.update(KDF_TAG);
        mac.update(keyset_id.as_bytes());
        mac.update(&counter.to_be_bytes());
        mac.update(&[kind]);
        Ok(mac.finalize().into_bytes().into())
    }

    fn derive_hmac(&self, keyset_id: &Id, counter: u64) -> Result<(Secret, SecretKey), Error> {
        let mut secret_bytes = self.hmac(keyset_id, counter, 0x00)?;
        let secret = Secret::new(hex::encode(secret_bytes));
        secret_bytes.zeroize();
        let mut r_bytes = self.hmac(keyset_id, counter, 0x01)?;
        let r = SecretKey::from_scalar(<Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(r_bytes)))
            .map_err(|_| Error::Derivation("derived blinding factor is zero".into()));
        r_bytes.zeroize();
        Ok((secret, r?))
    }

    fn derive_bip32(&self, keyset_id: &Id, counter: u32) -> Result<(Secret, SecretKey), Error> {
        let id_int = legacy_keyset_int(keyset_id);
        let derive = |leaf: u32| -> Result<SecretKey, Error> {
            let path = format!("m/129372'/0'/{id_int}'/{counter}'/{leaf}");
            let path: bip32::DerivationPath =
                path.parse().map_err(|e: bip32::Error| Error::Derivation(e.to_string()))?;
            let key = bip32::XPrv::derive_from_path(&self.0, &path).map_err(|e| Error::Derivation(e.to_string()))?;
            SecretKey::from_slice(&key.private_key().to_bytes())
        };
        let secret_key = derive(0)?;
        let secret = Secret::new(secret_key.to_hex());
        Ok((secret, derive(1)?))
    }
}

/// The legacy integer form of a keyset id: its first 8 bytes as a big-endian integer mod 2^31 - 1.
pub fn legacy_keyset_int(keyset_id: &Id) -> u32 {
    let value = u64::from_be_bytes(keyset_id.short());
    // The result is below 2^31 - 1, so it fits a u32.
    u32::try_from(value % ((1u64 << 31) - 1)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The seed equals `bip39`'s own computation, for 12 and 24 words.
    #[test]
    fn the_seed_is_bip39s() {
        for entropy in [[0u8; 16].as_slice(), &[0xffu8; 16], &[0x7fu8; 32], &[0x80u8; 32]] {
            let mnemonic = Mnemonic::from_entropy(entropy).unwrap();
            assert_eq!(WalletSeed::from_mnemonic(&mnemonic).as_bytes(), &mnemonic.to_seed_normalized(""));
        }
        let fresh = generate_mnemonic().unwrap();
        assert_eq!(WalletSeed::from_mnemonic(&fresh).as_bytes(), &fresh.to_seed_normalized(""));
    }
}
