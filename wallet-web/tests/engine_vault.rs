//! The recovery words sealed under a passphrase (issue 12, point 14), natively against the real mint in this
//! process, with the RustCrypto cipher (byte-compatible with the browser's WebCrypto path: tests/vault.rs):
//! a wallet created with a passphrase opens locked; a wrong passphrase is refused and touches nothing; the
//! right one unlocks, and the money is there; set, change and remove need the current passphrase; showing
//! the words needs it too; the stored record never holds the phrase, a word of it, or the passphrase.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod in_process;

use std::collections::BTreeMap;
use std::rc::Rc;

use in_process::{InProcess, MINT, Mints, fund, reopen};
use shared::Amount;
use wallet_web::store::{Batch, MemoryStore, Table, WalletStore};
use wallet_web::{Wallet, WalletError, WordsAtRest};

/// Every record of every table.
async fn snapshot(store: &dyn WalletStore) -> BTreeMap<(&'static str, String), String> {
    let mut all = BTreeMap::new();
    for table in Table::ALL {
        for (key, value) in store.get_all(table).await.unwrap() {
            all.insert((table.name(), key), value);
        }
    }
    all
}

/// The stored words' record, parsed.
async fn words_record(store: &dyn WalletStore) -> serde_json::Value {
    serde_json::from_str(&store.get(Table::Meta, "mnemonic").await.unwrap().unwrap()).unwrap()
}

/// Fails if the store holds the phrase, any of its words, or `passphrase`, anywhere in the meta table (the
/// sealed record's hex fields are checked as bytes: their hex text could spell a word like "add" by chance).
async fn assert_sealed_without_secrets(store: &dyn WalletStore, phrase: &str, passphrase: &str) {
    let record = words_record(store).await;
    assert_eq!(record["version"], 1);
    assert_eq!(record["kdf"]["name"], "PBKDF2-HMAC-SHA256");
    assert_eq!(record["kdf"]["iterations"], 600_000);
    assert_eq!(record["cipher"]["name"], "AES-256-GCM");
    let hex_field = |value: &serde_json::Value| hex::decode(value.as_str().unwrap()).unwrap();
    assert_eq!(hex_field(&record["kdf"]["salt"]).len(), 16);
    assert_eq!(hex_field(&record["cipher"]["iv"]).len(), 12);
    let ciphertext = hex_field(&record["ciphertext"]);
    assert_eq!(ciphertext.len(), phrase.len() + 16, "the phrase's bytes and a 16-byte tag");
    let contains = |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
    for word in phrase.split_whitespace().chain([passphrase]) {
        assert!(!contains(&ciphertext, word.as_bytes()), "the ciphertext holds {word:?} in clear");
    }
    // Everything else in the meta table: its keys and every stored value (JSON values without their field
    // names, which are the schema's: "salt" is a field and a BIP-39 word), the sealed byte fields taken out.
    fn values(value: &serde_json::Value, out: &mut String) {
        match value {
            serde_json::Value::Object(fields) => fields.values().for_each(|v| values(v, out)),
            serde_json::Value::Array(items) => items.iter().for_each(|v| values(v, out)),
            serde_json::Value::String(text) => out.push_str(text),
            other => out.push_str(&other.to_string()),
        }
        out.push(' ');
    }
    let mut text = String::new();
    for (key, value) in store.get_all(Table::Meta).await.unwrap() {
        text.push_str(&key);
        text.push(' ');
        match serde_json::from_str::<serde_json::Value>(&value) {
            Ok(json) => values(&json, &mut text),
            Err(_) => text.push_str(&value),
        }
        text.push(' ');
    }
    for field in [&record["kdf"]["salt"], &record["cipher"]["iv"], &record["ciphertext"]] {
        text = text.replace(field.as_str().unwrap(), "");
    }
    assert!(!text.contains(passphrase), "the passphrase is stored");
    let tokens: Vec<String> =
        text.split(|c: char| !c.is_ascii_alphabetic()).map(str::to_ascii_lowercase).filter(|t| !t.is_empty()).collect();
    for word in phrase.split_whitespace() {
        assert!(!tokens.iter().any(|t| t == word), "the word {word:?} is stored: {text}");
    }
    // And no other table holds the phrase.
    for (key, value) in snapshot(store).await {
        assert!(!value.contains(phrase), "{key:?} holds the phrase");
    }
}

#[tokio::test]
async fn a_wallet_with_a_passphrase_opens_locked_and_unlocks_with_it_only() {
    let mints = Mints::start().await;
    let store = Rc::new(MemoryStore::new());
    let wallet = Wallet::open(store.clone(), InProcess::new(&mints)).await.unwrap();
    let phrase = Wallet::new_mnemonic().unwrap();
    assert_eq!(
        wallet.set_mnemonic_with_passphrase(&phrase, "").await,
        Err(WalletError::Invalid("A passphrase cannot be empty.".into()))
    );
    assert_eq!(wallet.words_at_rest().await.unwrap(), WordsAtRest::Absent);
    wallet.set_mnemonic_with_passphrase(&phrase, "tr0ub4dor & 3").await.unwrap();
    assert_eq!(wallet.words_at_rest().await.unwrap(), WordsAtRest::Sealed);
    assert!(!wallet.is_locked().await.unwrap(), "the page that set the passphrase stays unlocked");
    assert_sealed_without_secrets(&*store, &phrase, "tr0ub4dor & 3").await;
    wallet.add_mint(MINT).await.unwrap();
    fund(&wallet, 64).await;

    // A reload: locked. The balance is readable (notes are not sealed), nothing needing the seed runs.
    let reloaded = reopen(&mints, store.clone()).await;
    assert!(reloaded.has_seed().await.unwrap());
    assert!(reloaded.is_locked().await.unwrap());
    assert_eq!(reloaded.balance().await.unwrap(), Amount::from(64));
    let before = snapshot(&*store).await;
    assert_eq!(reloaded.recover().await, Err(WalletError::Locked));
    assert_eq!(reloaded.send(MINT, Amount::from(10), None).await, Err(WalletError::Locked));
    assert_eq!(reloaded.account_pubkey(MINT).await, Err(WalletError::Locked));
    // A wrong passphrase is refused in plain words, and touches nothing.
    for wrong in ["tr0ub4dor & 4", "TR0UB4DOR & 3", " tr0ub4dor & 3"] {
        assert_eq!(reloaded.unlock(wrong).await, Err(WalletError::WrongPassphrase));
    }
    assert_eq!(
        WalletError::WrongPassphrase.to_string(),
        "That passphrase is not right. Nothing was changed; try again."
    );
    assert!(reloaded.is_locked().await.unwrap());
    assert_eq!(snapshot(&*store).await, before, "refused operations and wrong passphrases change nothing");

    // The right one unlocks: the seed is in memory, the store unchanged, and the wallet works.
    reloaded.unlock("tr0ub4dor & 3").await.unwrap();
    assert!(!reloaded.is_locked().await.unwrap());
    assert_eq!(snapshot(&*store).await, before, "unlocking writes nothing");
    assert_eq!(reloaded.account_pubkey(MINT).await.unwrap(), wallet.account_pubkey(MINT).await.unwrap());
    reloaded.recover().await.unwrap();
    let sent = reloaded.send(MINT, Amount::from(10), None).await.unwrap();
    assert_eq!(sent.amount, Amount::from(10));
    assert_eq!(reloaded.balance().await.unwrap(), Amount::from(54));
    assert_sealed_without_secrets(&*store, &phrase, "tr0ub4dor & 3").await;
}

#[tokio::test]
async fn setting_changing_and_removing_need_the_current_passphrase() {
    let mints = Mints::start().await;
    let store = Rc::new(MemoryStore::new());
    let wallet = Wallet::open(store.clone(), InProcess::new(&mints)).await.unwrap();
    let phrase = Wallet::new_mnemonic().unwrap();
    wallet.set_mnemonic(&phrase).await.unwrap();
    // The default: the phrase as text, never locked.
    assert_eq!(wallet.words_at_rest().await.unwrap(), WordsAtRest::Plain);
    assert_eq!(words_record(&*store).await, serde_json::Value::String(phrase.clone()));
    assert!(!reopen(&mints, store.clone()).await.is_locked().await.unwrap());
    let no_passphrase = Err(WalletError::Invalid("This wallet has no passphrase.".into()));
    assert_eq!(wallet.remove_passphrase("anything").await, no_passphrase);
    assert_eq!(wallet.change_passphrase("anything", "new").await, no_passphrase);

    // Set.
    wallet.set_passphrase("first").await.unwrap();
    assert_sealed_without_secrets(&*store, &phrase, "first").await;
    let first = words_record(&*store).await;
    assert_eq!(wallet.set_passphrase("again").await, Err(WalletError::PassphraseRequired));

    // Change: the current one is required and checked; a refusal changes nothing.
    assert_eq!(wallet.change_passphrase("wrong", "second").await, Err(WalletError::WrongPassphrase));
    assert_eq!(
        wallet.change_passphrase("first", "").await,
        Err(WalletError::Invalid("A passphrase cannot be empty.".into()))
    );
    assert_eq!(words_record(&*store).await, first);
    wallet.change_passphrase("first", "second").await.unwrap();
    let second = words_record(&*store).await;
    assert_ne!(second["kdf"]["salt"], first["kdf"]["salt"], "a fresh salt");
    assert_ne!(second["cipher"]["iv"], first["cipher"]["iv"], "a fresh IV");
    assert_sealed_without_secrets(&*store, &phrase, "second").await;
    let reloaded = reopen(&mints, store.clone()).await;
    assert_eq!(reloaded.unlock("first").await, Err(WalletError::WrongPassphrase));
    reloaded.unlock("second").await.unwrap();

    // Remove: back to the phrase as text.
    assert_eq!(wallet.remove_passphrase("first").await, Err(WalletError::WrongPassphrase));
    assert_eq!(words_record(&*store).await, second);
    wallet.remove_passphrase("second").await.unwrap();
    assert_eq!(words_record(&*store).await, serde_json::Value::String(phrase.clone()));
    assert_eq!(wallet.words_at_rest().await.unwrap(), WordsAtRest::Plain);
    assert!(!reopen(&mints, store.clone()).await.is_locked().await.unwrap());
}

#[tokio::test]
async fn showing_the_words_needs_the_passphrase_even_when_unlocked() {
    let mints = Mints::start().await;
    let store = Rc::new(MemoryStore::new());
    let wallet = Wallet::open(store.clone(), InProcess::new(&mints)).await.unwrap();
    let phrase = Wallet::new_mnemonic().unwrap();
    wallet.set_mnemonic_with_passphrase(&phrase, "open sesame").await.unwrap();
    assert!(!wallet.is_locked().await.unwrap());
    assert_eq!(wallet.mnemonic().await, Err(WalletError::PassphraseRequired));
    assert_eq!(wallet.mnemonic_with_passphrase("open sesam").await, Err(WalletError::WrongPassphrase));
    assert_eq!(wallet.mnemonic_with_passphrase("open sesame").await.unwrap(), phrase);
    // A restore from the shown words finds the same wallet (the same account key).
    let twin = Wallet::open(Rc::new(MemoryStore::new()), InProcess::new(&mints)).await.unwrap();
    twin.set_mnemonic(&wallet.mnemonic_with_passphrase("open sesame").await.unwrap()).await.unwrap();
    assert_eq!(twin.account_pubkey(MINT).await.unwrap(), wallet.account_pubkey(MINT).await.unwrap());
}

/// A record of the stated format, made outside this code (Python: `hashlib.pbkdf2_hmac` and
/// `cryptography`'s AESGCM, additional data `chaumian-wallet/recovery-words/v1`), opens: the format is pinned.
const FOREIGN_RECORD: &str = r#"{"version": 1, "kdf": {"name": "PBKDF2-HMAC-SHA256", "iterations": 600000, "salt": "000102030405060708090a0b0c0d0e0f"}, "cipher": {"name": "AES-256-GCM", "iv": "6465666768696a6b6c6d6e6f"}, "ciphertext": "78967ba2f981b4f6c1d4e8ca85dbe819b37265bba35b8fc0fd5b0b09abba037691199f2f244b628f86f391996d0c4c71196fb3e693e6ec04322050e3e8168fbc211322ae7c17b5ff02df22c2788b2888af998ba3e7be0f88cf4ff8bbb8b115c97d0d0fb408eea206af122928b0"}"#;
const FOREIGN_PHRASE: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

async fn wallet_with_record(mints: &Rc<Mints>, record: &str) -> Wallet {
    let store = Rc::new(MemoryStore::new());
    let mut batch = Batch::new();
    batch.put_raw(Table::Meta, "mnemonic", record.to_owned());
    store.commit(batch).await.unwrap();
    Wallet::open(store, InProcess::new(mints)).await.unwrap()
}

#[tokio::test]
async fn a_record_of_the_stated_format_opens_and_damaged_ones_are_refused() {
    let mints = Mints::start().await;
    let wallet = wallet_with_record(&mints, FOREIGN_RECORD).await;
    assert!(wallet.is_locked().await.unwrap());
    assert_eq!(wallet.unlock("correct horse").await, Err(WalletError::WrongPassphrase));
    wallet.unlock("correct horse battery").await.unwrap();
    assert_eq!(wallet.mnemonic_with_passphrase("correct horse battery").await.unwrap(), FOREIGN_PHRASE);

    // Damaged records are refused before any key derivation, in words that say so; a changed byte of the
    // ciphertext, salt or IV fails the tag like a wrong passphrase.
    let record: serde_json::Value = serde_json::from_str(FOREIGN_RECORD).unwrap();
    let damaged = |path: &[&str], value: serde_json::Value| {
        let mut changed = record.clone();
        let mut at = &mut changed;
        for key in path {
            at = &mut at[*key];
        }
        *at = value;
        changed.to_string()
    };
    for (path, value) in [
        (&["version"][..], serde_json::json!(2)),
        (&["kdf", "name"][..], serde_json::json!("PBKDF2-HMAC-SHA1")),
        (&["kdf", "iterations"][..], serde_json::json!(0)),
        (&["kdf", "iterations"][..], serde_json::json!(4_000_000_000u32)),
        (&["kdf", "salt"][..], serde_json::json!("0001")),
        (&["cipher", "name"][..], serde_json::json!("AES-128-GCM")),
        (&["cipher", "iv"][..], serde_json::json!("zz")),
        (&["ciphertext"][..], serde_json::json!("00")),
        (&["ciphertext"][..], serde_json::json!("00".repeat(5000))),
    ] {
        let wallet = wallet_with_record(&mints, &damaged(path, value.clone())).await;
        let refused = wallet.unlock("correct horse battery").await;
        assert!(
            matches!(&refused, Err(WalletError::Storage(reason)) if reason.starts_with("the sealed recovery words are damaged")),
            "{path:?} = {value}: {refused:?}"
        );
    }
    let ciphertext = record["ciphertext"].as_str().unwrap();
    let flipped = format!("{}{}", if ciphertext.starts_with('7') { '8' } else { '7' }, &ciphertext[1..]);
    for (path, value) in [
        (&["ciphertext"][..], serde_json::json!(flipped)),
        (&["kdf", "salt"][..], serde_json::json!("100102030405060708090a0b0c0d0e0f")),
        (&["cipher", "iv"][..], serde_json::json!("7465666768696a6b6c6d6e6f")),
    ] {
        let wallet = wallet_with_record(&mints, &damaged(path, value)).await;
        assert_eq!(wallet.unlock("correct horse battery").await, Err(WalletError::WrongPassphrase), "{path:?}");
    }
}
