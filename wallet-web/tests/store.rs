//! The store contract, run against MemoryStore and IdbStore alike.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use wallet_web::store::{Batch, IdbStore, MemoryStore, Table, WalletStore};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

async fn conformance(store: &dyn WalletStore) {
    // Empty.
    assert_eq!(store.get(Table::Notes, "a").await.unwrap(), None);
    assert!(store.get_all(Table::Notes).await.unwrap().is_empty());
    store.commit(Batch::new()).await.unwrap();

    // Puts across tables in one batch; get_all is ordered by key.
    let mut batch = Batch::new();
    batch.put_raw(Table::Notes, "b", "2".into()).put_raw(Table::Notes, "a", "1".into());
    batch.put_raw(Table::Ops, "op", r#"{"x":1}"#.into()).put_raw(Table::Counters, "k", "7".into());
    store.commit(batch).await.unwrap();
    assert_eq!(store.get(Table::Notes, "a").await.unwrap().as_deref(), Some("1"));
    assert_eq!(
        store.get_all(Table::Notes).await.unwrap(),
        vec![("a".to_owned(), "1".to_owned()), ("b".to_owned(), "2".to_owned())]
    );
    assert_eq!(store.get(Table::Ops, "op").await.unwrap().as_deref(), Some(r#"{"x":1}"#));
    // Tables are separate namespaces.
    assert_eq!(store.get(Table::History, "a").await.unwrap(), None);

    // Writes apply in order: overwrite, delete, delete of an absent key, put after delete.
    let mut batch = Batch::new();
    batch.put_raw(Table::Notes, "a", "one".into());
    batch.delete(Table::Notes, "b").delete(Table::Notes, "missing");
    batch.put_raw(Table::Notes, "c", "3".into()).delete(Table::Notes, "c").put_raw(Table::Notes, "c", "three".into());
    batch.delete(Table::Ops, "op");
    store.commit(batch).await.unwrap();
    assert_eq!(
        store.get_all(Table::Notes).await.unwrap(),
        vec![("a".to_owned(), "one".to_owned()), ("c".to_owned(), "three".to_owned())]
    );
    assert!(store.get_all(Table::Ops).await.unwrap().is_empty());
    assert_eq!(store.get(Table::Counters, "k").await.unwrap().as_deref(), Some("7"));

    // Typed helpers.
    let mut batch = Batch::new();
    batch.put(Table::Meta, "n", &42u32).unwrap();
    store.commit(batch).await.unwrap();
    assert_eq!(wallet_web::store::get_json::<u32>(store, Table::Meta, "n").await.unwrap(), Some(42));

    // Many records in one batch.
    let mut batch = Batch::new();
    for i in 0..500 {
        batch.put_raw(Table::History, format!("{i:04}"), format!("{i}"));
    }
    store.commit(batch).await.unwrap();
    let all = store.get_all(Table::History).await.unwrap();
    assert_eq!(all.len(), 500);
    assert_eq!(all[499], ("0499".to_owned(), "499".to_owned()));
}

#[wasm_bindgen_test]
async fn memory_store_keeps_the_contract() {
    conformance(&MemoryStore::new()).await;
}

#[wasm_bindgen_test]
async fn indexeddb_store_keeps_the_contract_and_persists() {
    let name = "wallet-test-store-conformance";
    IdbStore::delete(name).await.unwrap();
    {
        let store = IdbStore::open(name).await.unwrap();
        conformance(&store).await;
        // The schema version is recorded at open.
        assert_eq!(store.get(Table::Meta, "schema_version").await.unwrap().as_deref(), Some("2"));
    }
    // A second connection (another tab, a reload) sees the committed data.
    let again = IdbStore::open(name).await.unwrap();
    assert_eq!(again.get(Table::Notes, "a").await.unwrap().as_deref(), Some("one"));
    assert_eq!(again.get_all(Table::History).await.unwrap().len(), 500);
    assert_eq!(again.name(), format!("indexeddb:{name}"));
}

#[wasm_bindgen_test]
async fn a_version_1_database_gains_the_offline_stores_and_keeps_its_data() {
    use rexie::{ObjectStore, Rexie, TransactionMode};
    let name = "wallet-test-store-upgrade-1-2";
    IdbStore::delete(name).await.unwrap();
    {
        // The schema of version 1: seven object stores, a note and the recorded version.
        let mut builder = Rexie::builder(name).version(1);
        for table in ["meta", "mints", "notes", "ops", "counters", "sends", "history"] {
            builder = builder.add_object_store(ObjectStore::new(table));
        }
        let v1 = builder.build().await.unwrap();
        let tx = v1.transaction(&["meta", "notes"], TransactionMode::ReadWrite).unwrap();
        let put = |store: &str, key: &str, value: &str| {
            let store = tx.store(store).unwrap();
            let (key, value) = (wasm_bindgen::JsValue::from_str(key), wasm_bindgen::JsValue::from_str(value));
            async move { store.put(&value, Some(&key)).await.unwrap() }
        };
        put("meta", "schema_version", "1").await;
        put("notes", "y1", "note").await;
        tx.done().await.unwrap();
        v1.close();
    }
    let store = IdbStore::open(name).await.unwrap();
    assert_eq!(store.get(Table::Notes, "y1").await.unwrap().as_deref(), Some("note"));
    assert_eq!(store.get(Table::Meta, "schema_version").await.unwrap().as_deref(), Some("2"));
    let mut batch = Batch::new();
    for table in [Table::OfflineKeysets, Table::OfflineCoins, Table::OfflinePayments, Table::OfflineRequests] {
        batch.put_raw(table, "k", "1".into());
    }
    store.commit(batch).await.unwrap();
    assert_eq!(store.get(Table::OfflineCoins, "k").await.unwrap().as_deref(), Some("1"));
}
