//! The passphrase cipher over the recovery words ([`PassphraseCipher`]): AES-256-GCM under a key derived by
//! PBKDF2-HMAC-SHA256 from the passphrase. Two implementations that produce the same bytes: [`WebCrypto`]
//! (the browser's `crypto.subtle`; the derived key is non-extractable) and [`RustCrypto`] (the `pbkdf2` and
//! `aes-gcm` crates; native, and the cross-check of the browser path in `tests/vault.rs`). Salt and IV are
//! chosen by the caller (`wallet::vault`), so both paths are deterministic functions of their inputs.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use zeroize::Zeroizing;

use crate::WalletError;

/// PBKDF2-HMAC-SHA256 iterations of a newly sealed record: OWASP's recommendation for PBKDF2-HMAC-SHA256
/// (Password Storage Cheat Sheet, 2023).
pub const PBKDF2_ITERATIONS: u32 = 600_000;
/// The most iterations a stored record may name, so a damaged record cannot hang the page.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// Bytes of the random PBKDF2 salt.
pub const SALT_LEN: usize = 16;
/// Bytes of the random AES-GCM IV (nonce).
pub const IV_LEN: usize = 12;
/// Bytes of the AES-GCM tag, appended to the ciphertext (as WebCrypto does).
pub const TAG_LEN: usize = 16;

/// Everything but the message that one sealing or opening needs: the passphrase and the parameters stored
/// beside the ciphertext. `Debug` hides the passphrase.
#[derive(Clone, Copy)]
pub struct SealKey<'a> {
    /// The passphrase (its UTF-8 bytes are PBKDF2's password).
    pub passphrase: &'a str,
    /// PBKDF2's salt.
    pub salt: &'a [u8; SALT_LEN],
    /// PBKDF2's iteration count.
    pub iterations: u32,
    /// AES-GCM's IV.
    pub iv: &'a [u8; IV_LEN],
    /// AES-GCM's additional authenticated data.
    pub aad: &'a [u8],
}

impl std::fmt::Debug for SealKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealKey")
            .field("passphrase", &"..")
            .field("salt", &hex::encode(self.salt))
            .field("iterations", &self.iterations)
            .field("iv", &hex::encode(self.iv))
            .finish()
    }
}

/// AES-256-GCM with a key from PBKDF2-HMAC-SHA256(passphrase, salt, iterations), 128-bit tag appended to
/// the ciphertext. Implementations agree byte for byte.
#[async_trait::async_trait(?Send)]
pub trait PassphraseCipher {
    /// Encrypts `plaintext`; returns ciphertext followed by the tag.
    async fn seal(&self, key: &SealKey<'_>, plaintext: &[u8]) -> Result<Vec<u8>, WalletError>;
    /// Decrypts ciphertext followed by the tag. A tag that does not match (a wrong passphrase, or a changed
    /// record) is [`WalletError::WrongPassphrase`].
    async fn open(&self, key: &SealKey<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, WalletError>;
}

fn crypto_failed(what: &str, error: impl std::fmt::Debug) -> WalletError {
    WalletError::Crypto(format!("{what}: {error:?}"))
}

/// The `pbkdf2` and `aes-gcm` crates. Synchronous (600,000 iterations block the thread they run on), so
/// the browser uses [`WebCrypto`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCrypto;

impl RustCrypto {
    fn cipher(key: &SealKey<'_>) -> aes_gcm::Aes256Gcm {
        use aes_gcm::KeyInit;
        let mut derived = Zeroizing::new([0u8; 32]);
        let (password, salt) = (key.passphrase.as_bytes(), &key.salt[..]);
        let recommended = pbkdf2::Params::RECOMMENDED;
        if key.iterations == recommended.rounds() && derived.len() == recommended.output_len() {
            // The same function, compiled inside `pbkdf2` (so at its optimisation level, which debug builds
            // raise: the root Cargo.toml).
            pbkdf2::pbkdf2_hmac_with_params(
                password,
                salt,
                pbkdf2::Algorithm::Pbkdf2Sha256,
                recommended,
                &mut *derived,
            );
        } else {
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, key.iterations, &mut *derived);
        }
        aes_gcm::Aes256Gcm::new(&(*derived).into())
    }
}

#[async_trait::async_trait(?Send)]
impl PassphraseCipher for RustCrypto {
    async fn seal(&self, key: &SealKey<'_>, plaintext: &[u8]) -> Result<Vec<u8>, WalletError> {
        use aes_gcm::aead::{Aead, Payload};
        Self::cipher(key)
            .encrypt(&(*key.iv).into(), Payload { msg: plaintext, aad: key.aad })
            .map_err(|e| crypto_failed("AES-GCM encryption failed", e))
    }

    async fn open(&self, key: &SealKey<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, WalletError> {
        use aes_gcm::aead::{Aead, Payload};
        Self::cipher(key)
            .decrypt(&(*key.iv).into(), Payload { msg: sealed, aad: key.aad })
            .map(Zeroizing::new)
            .map_err(|_| WalletError::WrongPassphrase)
    }
}

/// The browser's WebCrypto (`crypto.subtle`): PBKDF2 `deriveKey` into a non-extractable AES-GCM key, then
/// `encrypt`/`decrypt`. Browsers offer it only in secure contexts (https, localhost); elsewhere every call
/// is a [`WalletError::Crypto`] that says so.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebCrypto;

/// `crypto.subtle` of this page or worker.
fn subtle() -> Result<web_sys::SubtleCrypto, WalletError> {
    let missing = || {
        WalletError::Crypto(
            "this browser offers no WebCrypto here (it does only over https or on localhost), so a passphrase cannot be used"
                .into(),
        )
    };
    let crypto = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).map_err(|_| missing())?;
    if !crypto.is_object() {
        return Err(missing());
    }
    let subtle = js_sys::Reflect::get(&crypto, &JsValue::from_str("subtle")).map_err(|_| missing())?;
    if !subtle.is_object() {
        return Err(missing());
    }
    Ok(subtle.unchecked_into())
}

/// A JS copy of `bytes`, zeroed by [`Scrubbed`]'s drop.
struct Scrubbed(js_sys::Uint8Array);

impl Scrubbed {
    fn new(bytes: &[u8]) -> Self {
        Scrubbed(js_sys::Uint8Array::from(bytes))
    }
}

impl Drop for Scrubbed {
    fn drop(&mut self) {
        self.0.fill(0, 0, self.0.length());
    }
}

impl WebCrypto {
    /// The AES-256-GCM key for `usage` (`"encrypt"` or `"decrypt"`), derived by PBKDF2 and non-extractable.
    async fn key(
        subtle: &web_sys::SubtleCrypto,
        key: &SealKey<'_>,
        usage: &str,
    ) -> Result<web_sys::CryptoKey, WalletError> {
        let password = Scrubbed::new(key.passphrase.as_bytes());
        let base = subtle
            .import_key_with_str("raw", &password.0, "PBKDF2", false, &js_sys::Array::of1(&"deriveKey".into()))
            .map_err(|e| crypto_failed("importing the passphrase failed", e))?;
        let base: web_sys::CryptoKey = JsFuture::from(base)
            .await
            .map_err(|e| crypto_failed("importing the passphrase failed", e))?
            .unchecked_into();
        drop(password);
        let salt = js_sys::Uint8Array::from(&key.salt[..]);
        let params = web_sys::Pbkdf2Params::new_with_str("PBKDF2", "SHA-256", key.iterations, &salt);
        let aes = web_sys::AesDerivedKeyParams::new("AES-GCM", 256);
        let derived = subtle
            .derive_key_with_object_and_object(&params, &base, &aes, false, &js_sys::Array::of1(&usage.into()))
            .map_err(|e| crypto_failed("deriving the key failed", e))?;
        Ok(JsFuture::from(derived).await.map_err(|e| crypto_failed("deriving the key failed", e))?.unchecked_into())
    }

    fn params(key: &SealKey<'_>) -> web_sys::AesGcmParams {
        let params = web_sys::AesGcmParams::new("AES-GCM", &js_sys::Uint8Array::from(&key.iv[..]));
        params.set_additional_data(&js_sys::Uint8Array::from(key.aad));
        params.set_tag_length((TAG_LEN * 8) as u8);
        params
    }
}

#[async_trait::async_trait(?Send)]
impl PassphraseCipher for WebCrypto {
    async fn seal(&self, key: &SealKey<'_>, plaintext: &[u8]) -> Result<Vec<u8>, WalletError> {
        let subtle = subtle()?;
        let aes = WebCrypto::key(&subtle, key, "encrypt").await?;
        let message = Scrubbed::new(plaintext);
        let sealed = subtle
            .encrypt_with_object_and_buffer_source(&WebCrypto::params(key), &aes, &message.0)
            .map_err(|e| crypto_failed("AES-GCM encryption failed", e))?;
        let sealed = JsFuture::from(sealed).await.map_err(|e| crypto_failed("AES-GCM encryption failed", e))?;
        Ok(js_sys::Uint8Array::new(&sealed).to_vec())
    }

    async fn open(&self, key: &SealKey<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, WalletError> {
        let subtle = subtle()?;
        let aes = WebCrypto::key(&subtle, key, "decrypt").await?;
        let sealed = js_sys::Uint8Array::from(sealed);
        let opened = subtle
            .decrypt_with_object_and_buffer_source(&WebCrypto::params(key), &aes, &sealed)
            .map_err(|e| crypto_failed("AES-GCM decryption failed", e))?;
        match JsFuture::from(opened).await {
            Ok(buffer) => {
                let view = Scrubbed(js_sys::Uint8Array::new(&buffer));
                Ok(Zeroizing::new(view.0.to_vec()))
            }
            // WebCrypto reports a tag mismatch as an `OperationError` and nothing else.
            Err(error) if error.dyn_ref::<web_sys::DomException>().is_some_and(|e| e.name() == "OperationError") => {
                Err(WalletError::WrongPassphrase)
            }
            Err(error) => Err(crypto_failed("AES-GCM decryption failed", error)),
        }
    }
}

// Natively (tokio); tests/vault.rs checks the same answer in Chromium on both paths.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Known answers computed independently (Python's `hashlib.pbkdf2_hmac` and `cryptography`'s AESGCM), so
    /// that the RustCrypto path is pinned to the algorithms the record names, not only to itself.
    #[tokio::test(flavor = "current_thread")]
    async fn rust_crypto_matches_a_known_answer() {
        for (iterations, answer) in [(PBKDF2_ITERATIONS, KNOWN_ANSWER_600K), (1000, KNOWN_ANSWER_1000)] {
            let key = SealKey {
                passphrase: "correct horse",
                salt: &[7; SALT_LEN],
                iterations,
                iv: &[9; IV_LEN],
                aad: b"aad",
            };
            let sealed = RustCrypto.seal(&key, b"abandon ability").await.unwrap();
            assert_eq!(hex::encode(&sealed), answer, "{iterations} iterations");
        }
        let key = SealKey {
            passphrase: "correct horse",
            salt: &[7; SALT_LEN],
            iterations: 1000,
            iv: &[9; IV_LEN],
            aad: b"aad",
        };
        let sealed = RustCrypto.seal(&key, b"abandon ability").await.unwrap();
        let opened = RustCrypto.open(&key, &sealed).await.unwrap();
        assert_eq!(&opened[..], b"abandon ability");
        let wrong = SealKey { passphrase: "correct horsf", ..key };
        assert_eq!(RustCrypto.open(&wrong, &sealed).await.unwrap_err(), WalletError::WrongPassphrase);
    }

    const KNOWN_ANSWER_600K: &str = "dd23eca911b0bcb28bbeca272ed73d9400ee8b6e59a50ddcb2a80f122699dc";
    const KNOWN_ANSWER_1000: &str = "3767070353a1342bdf70a177b028a559e3ff9d7357cd638f7cee04682cbb61";
}
