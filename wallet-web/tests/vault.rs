//! The passphrase over the recovery words in the browser (issue 12, point 14): the WebCrypto path against the
//! RustCrypto path compiled to wasm (the same bytes from the same inputs; each opens what the other sealed;
//! an independent known answer), a wrong passphrase reported as such, and a wallet on IndexedDB sealed with
//! WebCrypto, reopened locked, refused with a wrong passphrase, unlocked with the right one, and its
//! stored record opened by the RustCrypto path. Needs no mint.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::rc::Rc;

use wallet_web::connector::HttpConnector;
use wallet_web::platform::cipher::{IV_LEN, PBKDF2_ITERATIONS, SALT_LEN, SealKey};
use wallet_web::platform::{PassphraseCipher, Platform, RustCrypto, WebCrypto};
use wallet_web::store::{Batch, IdbStore, MemoryStore, Table, WalletStore};
use wallet_web::{Wallet, WalletError, WordsAtRest};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// The answer Python's `hashlib.pbkdf2_hmac` and `cryptography`'s AESGCM give (also pinned natively in
/// `platform::cipher`'s unit test).
const KNOWN_ANSWER_600K: &str = "dd23eca911b0bcb28bbeca272ed73d9400ee8b6e59a50ddcb2a80f122699dc";

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).unwrap();
    bytes
}

#[wasm_bindgen_test]
async fn web_crypto_and_rust_crypto_agree_byte_for_byte() {
    // The independent known answer, from both.
    let key = SealKey {
        passphrase: "correct horse",
        salt: &[7; SALT_LEN],
        iterations: PBKDF2_ITERATIONS,
        iv: &[9; IV_LEN],
        aad: b"aad",
    };
    for cipher in [&WebCrypto as &dyn PassphraseCipher, &RustCrypto] {
        assert_eq!(hex::encode(cipher.seal(&key, b"abandon ability").await.unwrap()), KNOWN_ANSWER_600K);
    }

    // Random inputs, a real phrase, a passphrase beyond ASCII: the same bytes, and each opens the other's.
    let phrase = Wallet::new_mnemonic().unwrap();
    let (salt, iv) = (random::<SALT_LEN>(), random::<IV_LEN>());
    let key = SealKey {
        passphrase: "pässwörd 🔑",
        salt: &salt,
        iterations: PBKDF2_ITERATIONS,
        iv: &iv,
        aad: b"chaumian-wallet/recovery-words/v1",
    };
    let by_web = WebCrypto.seal(&key, phrase.as_bytes()).await.unwrap();
    let by_rust = RustCrypto.seal(&key, phrase.as_bytes()).await.unwrap();
    assert_eq!(by_web, by_rust);
    assert_eq!(by_web.len(), phrase.len() + 16);
    assert_eq!(&RustCrypto.open(&key, &by_web).await.unwrap()[..], phrase.as_bytes());
    assert_eq!(&WebCrypto.open(&key, &by_rust).await.unwrap()[..], phrase.as_bytes());

    // Another iteration count (the record states it): still the same.
    let fewer = SealKey { iterations: 1000, ..key };
    assert_eq!(
        WebCrypto.seal(&fewer, phrase.as_bytes()).await.unwrap(),
        RustCrypto.seal(&fewer, phrase.as_bytes()).await.unwrap()
    );

    // A wrong passphrase, or other additional data, fails AES-GCM's tag on both paths, and says so.
    let wrong = SealKey { passphrase: "pässwörd 🔒", ..key };
    let other_aad = SealKey { aad: b"something else", ..key };
    for cipher in [&WebCrypto as &dyn PassphraseCipher, &RustCrypto] {
        for key in [&wrong, &other_aad] {
            assert_eq!(cipher.open(key, &by_web).await.unwrap_err(), WalletError::WrongPassphrase);
        }
    }
}

#[wasm_bindgen_test]
async fn a_wallet_sealed_by_web_crypto_opens_locked_and_unlocks_with_its_passphrase_only() {
    let name = "wallet-test-vault";
    IdbStore::delete(name).await.unwrap();
    let store = Rc::new(IdbStore::open(name).await.unwrap());
    let wallet = Wallet::open_with(store.clone(), Rc::new(HttpConnector::new()), Platform::browser()).await.unwrap();
    let phrase = Wallet::new_mnemonic().unwrap();
    wallet.set_mnemonic_with_passphrase(&phrase, "open sesame").await.unwrap();
    assert!(!wallet.is_locked().await.unwrap());

    // What IndexedDB holds: the sealed record, without the phrase or any of its words in clear.
    let stored = store.get(Table::Meta, "mnemonic").await.unwrap().unwrap();
    let record: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(record["kdf"]["iterations"], PBKDF2_ITERATIONS);
    let ciphertext = hex::decode(record["ciphertext"].as_str().unwrap()).unwrap();
    for word in phrase.split_whitespace() {
        assert!(!ciphertext.windows(word.len()).any(|w| w == word.as_bytes()), "{word} in clear");
    }

    // A reload: locked; a wrong passphrase refused and nothing written; the right one unlocks.
    let reloaded = Wallet::open_with(store.clone(), Rc::new(HttpConnector::new()), Platform::browser()).await.unwrap();
    assert_eq!(reloaded.words_at_rest().await.unwrap(), WordsAtRest::Sealed);
    assert!(reloaded.is_locked().await.unwrap());
    assert_eq!(reloaded.unlock("open sesam").await, Err(WalletError::WrongPassphrase));
    assert!(reloaded.is_locked().await.unwrap());
    assert_eq!(store.get(Table::Meta, "mnemonic").await.unwrap().unwrap(), stored);
    reloaded.unlock("open sesame").await.unwrap();
    assert!(!reloaded.is_locked().await.unwrap());
    assert_eq!(
        reloaded.account_pubkey("https://mint.example").await.unwrap(),
        wallet.account_pubkey("https://mint.example").await.unwrap()
    );

    // The same record opens through the RustCrypto path (compiled to wasm), and the other way round: a
    // record RustCrypto sealed (change of passphrase) opens through WebCrypto.
    let copy = Rc::new(MemoryStore::new());
    let mut batch = Batch::new();
    batch.put_raw(Table::Meta, "mnemonic", stored);
    copy.commit(batch).await.unwrap();
    let rust_platform = Platform { cipher: Rc::new(RustCrypto), ..Platform::browser() };
    let rust_wallet = Wallet::open_with(copy.clone(), Rc::new(HttpConnector::new()), rust_platform).await.unwrap();
    assert_eq!(rust_wallet.mnemonic_with_passphrase("open sesame").await.unwrap(), phrase);
    rust_wallet.change_passphrase("open sesame", "by rust").await.unwrap();
    let web_wallet = Wallet::open_with(copy, Rc::new(HttpConnector::new()), Platform::browser()).await.unwrap();
    assert_eq!(web_wallet.unlock("open sesame").await, Err(WalletError::WrongPassphrase));
    assert_eq!(web_wallet.mnemonic_with_passphrase("by rust").await.unwrap(), phrase);
    IdbStore::delete(name).await.unwrap();
}
