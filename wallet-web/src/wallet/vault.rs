//! The recovery words at rest (meta record `mnemonic`, a [`StoredWords`]): the phrase as text by default, or
//! sealed under a passphrase ([`SealedWords`]: PBKDF2-HMAC-SHA256 with [`PBKDF2_ITERATIONS`] and a random
//! 16-byte salt, AES-256-GCM with a random 12-byte IV, through the platform's [`PassphraseCipher`]).
//! Sealed words are opened only to unlock (the seed then lives in the engine's memory only), to show them,
//! and to change or remove the passphrase. Nothing else in the store is sealed.

use zeroize::Zeroizing;

use super::engine::{Engine, MNEMONIC_KEY};
use super::records::{CipherRecord, KdfRecord, SealedWords, StoredWords};
use crate::WalletError;
use crate::platform::cipher::{IV_LEN, MAX_PBKDF2_ITERATIONS, PBKDF2_ITERATIONS, SALT_LEN, SealKey, TAG_LEN};
use crate::store::{Batch, Table};

/// [`SealedWords::version`] this code writes and reads.
pub(crate) const SEALED_VERSION: u32 = 1;
/// [`KdfRecord::name`].
pub(crate) const KDF_NAME: &str = "PBKDF2-HMAC-SHA256";
/// [`CipherRecord::name`].
pub(crate) const CIPHER_NAME: &str = "AES-256-GCM";
/// AES-GCM's additional data: binds the ciphertext to what it is.
pub(crate) const AAD: &[u8] = b"chaumian-wallet/recovery-words/v1";
/// The longest passphrase accepted, in bytes.
pub(crate) const MAX_PASSPHRASE_BYTES: usize = 1024;
/// The longest ciphertext a record may hold (a BIP-39 phrase of 24 words is under 250 bytes).
const MAX_CIPHERTEXT_BYTES: usize = 1024;

/// How the recovery words are kept in this browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordsAtRest {
    /// No recovery words yet.
    Absent,
    /// The phrase as text (the default).
    Plain,
    /// Encrypted under a passphrase.
    Sealed,
}

/// Refuses an empty or overlong passphrase.
pub(crate) fn check_passphrase(passphrase: &str) -> Result<(), WalletError> {
    if passphrase.is_empty() {
        return Err(WalletError::Invalid("A passphrase cannot be empty.".into()));
    }
    if passphrase.len() > MAX_PASSPHRASE_BYTES {
        return Err(WalletError::Invalid(format!("A passphrase can be at most {MAX_PASSPHRASE_BYTES} bytes long.")));
    }
    Ok(())
}

fn random<const N: usize>() -> Result<[u8; N], WalletError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| WalletError::Crypto(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// Seals `phrase` under `passphrase` with a fresh salt and IV.
pub(crate) async fn seal(engine: &Engine, phrase: &str, passphrase: &str) -> Result<SealedWords, WalletError> {
    check_passphrase(passphrase)?;
    let (salt, iv) = (random::<SALT_LEN>()?, random::<IV_LEN>()?);
    let key = SealKey { passphrase, salt: &salt, iterations: PBKDF2_ITERATIONS, iv: &iv, aad: AAD };
    let ciphertext = engine.cipher.seal(&key, phrase.as_bytes()).await?;
    Ok(SealedWords {
        version: SEALED_VERSION,
        kdf: KdfRecord { name: KDF_NAME.into(), iterations: PBKDF2_ITERATIONS, salt: hex::encode(salt) },
        cipher: CipherRecord { name: CIPHER_NAME.into(), iv: hex::encode(iv) },
        ciphertext: hex::encode(ciphertext),
    })
}

fn damaged(what: &str) -> WalletError {
    WalletError::Storage(format!("the sealed recovery words are damaged: {what}"))
}

fn bytes<const N: usize>(hex_text: &str, what: &str) -> Result<[u8; N], WalletError> {
    let mut out = [0u8; N];
    hex::decode_to_slice(hex_text, &mut out).map_err(|_| damaged(what))?;
    Ok(out)
}

/// Opens sealed words with `passphrase`: the phrase, or [`WalletError::WrongPassphrase`]. The record's
/// format is checked first (version, names, sizes, an iteration count that cannot hang the page).
pub(crate) async fn open(
    engine: &Engine,
    sealed: &SealedWords,
    passphrase: &str,
) -> Result<Zeroizing<String>, WalletError> {
    if sealed.version != SEALED_VERSION || sealed.kdf.name != KDF_NAME || sealed.cipher.name != CIPHER_NAME {
        return Err(damaged("unknown format"));
    }
    if !(1..=MAX_PBKDF2_ITERATIONS).contains(&sealed.kdf.iterations) {
        return Err(damaged("iteration count out of range"));
    }
    let salt = bytes::<SALT_LEN>(&sealed.kdf.salt, "salt")?;
    let iv = bytes::<IV_LEN>(&sealed.cipher.iv, "IV")?;
    if sealed.ciphertext.len() > 2 * MAX_CIPHERTEXT_BYTES {
        return Err(damaged("ciphertext too long"));
    }
    let ciphertext = hex::decode(&sealed.ciphertext).map_err(|_| damaged("ciphertext"))?;
    if ciphertext.len() < TAG_LEN {
        return Err(damaged("ciphertext too short"));
    }
    if passphrase.is_empty() {
        return Err(WalletError::PassphraseRequired);
    }
    let key = SealKey { passphrase, salt: &salt, iterations: sealed.kdf.iterations, iv: &iv, aad: AAD };
    let plain = engine.cipher.open(&key, &ciphertext).await?;
    let phrase = std::str::from_utf8(&plain).map_err(|_| damaged("not text"))?;
    Ok(Zeroizing::new(phrase.to_owned()))
}

/// How the words are kept.
pub(crate) async fn at_rest(engine: &Engine) -> Result<WordsAtRest, WalletError> {
    Ok(match engine.stored_words().await? {
        None => WordsAtRest::Absent,
        Some(StoredWords::Plain(_)) => WordsAtRest::Plain,
        Some(StoredWords::Sealed(_)) => WordsAtRest::Sealed,
    })
}

/// The record for new words: the phrase, or sealed under `passphrase`. Sealing keeps the seed in memory
/// (the person who typed the passphrase is using this page).
pub(crate) async fn record_for_new(
    engine: &Engine,
    phrase: &str,
    passphrase: Option<&str>,
) -> Result<StoredWords, WalletError> {
    match passphrase {
        None => Ok(StoredWords::Plain(phrase.to_owned())),
        Some(passphrase) => {
            let sealed = seal(engine, phrase, passphrase).await?;
            engine.remember_seed(phrase)?;
            Ok(StoredWords::Sealed(sealed))
        }
    }
}

/// Opens sealed words and keeps their seed in memory. Writes nothing.
pub(crate) async fn unlock(engine: &Engine, passphrase: &str) -> Result<(), WalletError> {
    match engine.stored_words().await?.ok_or(WalletError::NoSeed)? {
        StoredWords::Plain(phrase) => engine.remember_seed(&phrase).map(|_| ()),
        StoredWords::Sealed(sealed) => {
            let phrase = open(engine, &sealed, passphrase).await?;
            engine.remember_seed(&phrase).map(|_| ())
        }
    }
}

/// The phrase, for a "show recovery words" screen: sealed words need their passphrase even when unlocked.
pub(crate) async fn reveal(engine: &Engine, passphrase: Option<&str>) -> Result<Zeroizing<String>, WalletError> {
    match engine.stored_words().await?.ok_or(WalletError::NoSeed)? {
        StoredWords::Plain(phrase) => Ok(Zeroizing::new(phrase)),
        StoredWords::Sealed(sealed) => open(engine, &sealed, passphrase.ok_or(WalletError::PassphraseRequired)?).await,
    }
}

/// Sets (`current` none, words plain), changes (both given) or removes (`new` none) the passphrase: one
/// write of the words' record, after the current passphrase opened them. The caller holds the wallet's locks.
pub(crate) async fn change(engine: &Engine, current: Option<&str>, new: Option<&str>) -> Result<(), WalletError> {
    if let Some(new) = new {
        check_passphrase(new)?;
    }
    let phrase = match engine.stored_words().await?.ok_or(WalletError::NoSeed)? {
        StoredWords::Plain(_) if current.is_some() || new.is_none() => {
            return Err(WalletError::Invalid("This wallet has no passphrase.".into()));
        }
        StoredWords::Plain(phrase) => Zeroizing::new(phrase),
        StoredWords::Sealed(sealed) => open(engine, &sealed, current.ok_or(WalletError::PassphraseRequired)?).await?,
    };
    let record = match new {
        Some(new) => StoredWords::Sealed(seal(engine, &phrase, new).await?),
        None => StoredWords::Plain(phrase.to_string()),
    };
    engine.remember_seed(&phrase)?;
    let mut batch = Batch::new();
    batch.put(Table::Meta, MNEMONIC_KEY, &record)?;
    engine.store.commit(batch).await
}
