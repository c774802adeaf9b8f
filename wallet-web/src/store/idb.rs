//! [`IdbStore`]: the store contract on the browser's IndexedDB, through `rexie`.
//!
//! Each table is an object store with out-of-line string keys and JSON text values. A [`Batch`] is one
//! read-write transaction over every object store it touches: all requests are issued before the first
//! await, and the batch succeeds only if the transaction reports `complete`.
//!
//! Schema upgrades: the IndexedDB version is [`super::SCHEMA_VERSION`]; opening with a higher version makes
//! IndexedDB create the missing object stores, and [`IdbStore::open`] then runs data migrations from the
//! version recorded in `meta/schema_version` and records the new one. Version 2 added the offline object
//! stores (`offline_keysets`, `offline_coins`, `offline_payments`, `offline_requests`): new and empty, so
//! no data moves.

use rexie::{ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::JsValue;

use super::{Batch, SCHEMA_VERSION, Table, WalletStore, Write};
use crate::WalletError;

/// The IndexedDB database of the browser wallet.
pub struct IdbStore {
    database: Rexie,
    name: String,
}

impl std::fmt::Debug for IdbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdbStore").field("name", &self.name).finish()
    }
}

fn storage(error: impl std::fmt::Display) -> WalletError {
    WalletError::Storage(error.to_string())
}

/// The key under which the meta table records the schema version.
const SCHEMA_KEY: &str = "schema_version";

impl IdbStore {
    /// Opens (creating or upgrading) the database `name`.
    pub async fn open(name: &str) -> Result<IdbStore, WalletError> {
        let mut builder = Rexie::builder(name).version(SCHEMA_VERSION);
        for table in Table::ALL {
            builder = builder.add_object_store(ObjectStore::new(table.name()));
        }
        let database = builder.build().await.map_err(storage)?;
        let store = IdbStore { database, name: name.to_owned() };
        store.upgrade().await?;
        Ok(store)
    }

    /// The IndexedDB database's name.
    pub fn database_name(&self) -> &str {
        &self.name
    }

    /// Deletes the database `name` (tests start from scratch with it).
    pub async fn delete(name: &str) -> Result<(), WalletError> {
        Rexie::delete(name).await.map_err(storage)
    }

    /// Data migrations from the recorded schema version to [`SCHEMA_VERSION`].
    async fn upgrade(&self) -> Result<(), WalletError> {
        let recorded: Option<u32> = super::get_json(self, Table::Meta, SCHEMA_KEY).await?;
        match recorded {
            Some(version) if version == SCHEMA_VERSION => Ok(()),
            Some(version) if version > SCHEMA_VERSION => Err(WalletError::Storage(format!(
                "the wallet's data has schema version {version}, newer than this app ({SCHEMA_VERSION}); reload the page"
            ))),
            // 1 -> 2 only added object stores, which IndexedDB created empty: no data to move. Later versions
            // add steps here.
            _ => {
                let mut batch = Batch::new();
                batch.put(Table::Meta, SCHEMA_KEY, &SCHEMA_VERSION)?;
                self.commit(batch).await
            }
        }
    }
}

#[async_trait::async_trait(?Send)]
impl WalletStore for IdbStore {
    fn name(&self) -> String {
        format!("indexeddb:{}", self.name)
    }

    async fn get(&self, table: Table, key: &str) -> Result<Option<String>, WalletError> {
        let transaction = self.database.transaction(&[table.name()], TransactionMode::ReadOnly).map_err(storage)?;
        let store = transaction.store(table.name()).map_err(storage)?;
        let value = store.get(JsValue::from_str(key)).await.map_err(storage)?;
        Ok(value.and_then(|value| value.as_string()))
    }

    async fn get_all(&self, table: Table) -> Result<Vec<(String, String)>, WalletError> {
        let transaction = self.database.transaction(&[table.name()], TransactionMode::ReadOnly).map_err(storage)?;
        let store = transaction.store(table.name()).map_err(storage)?;
        // Both lists come in key order from one snapshot, so they pair up.
        let keys = store.get_all_keys(None, None);
        let values = store.get_all(None, None);
        let (keys, values) = (keys.await.map_err(storage)?, values.await.map_err(storage)?);
        if keys.len() != values.len() {
            return Err(WalletError::Storage("keys and values of a table differ in number".into()));
        }
        keys.into_iter()
            .zip(values)
            .map(|(key, value)| match (key.as_string(), value.as_string()) {
                (Some(key), Some(value)) => Ok((key, value)),
                _ => Err(WalletError::Storage(format!("a record of {} is not text", table.name()))),
            })
            .collect()
    }

    async fn commit(&self, batch: Batch) -> Result<(), WalletError> {
        if batch.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = batch.tables().into_iter().map(Table::name).collect();
        let transaction = self.database.transaction(&names, TransactionMode::ReadWrite).map_err(storage)?;
        let mut stores = Vec::new();
        for table in batch.tables() {
            stores.push((table, transaction.store(table.name()).map_err(storage)?));
        }
        let store_of = |table: Table| stores.iter().find(|(t, _)| *t == table).map(|(_, store)| store);
        // Issue every request first (IndexedDB commits a transaction once no request is outstanding at an
        // await point), then wait for them.
        let mut requests = Vec::new();
        for write in &batch.writes {
            match write {
                Write::Put { table, key, value } => {
                    let store = store_of(*table).ok_or_else(|| storage("table missing from transaction"))?;
                    let (value, key) = (JsValue::from_str(value), JsValue::from_str(key));
                    requests.push(futures::future::Either::Left(async move {
                        store.put(&value, Some(&key)).await.map(|_| ())
                    }));
                }
                Write::Delete { table, key } => {
                    let store = store_of(*table).ok_or_else(|| storage("table missing from transaction"))?;
                    let key = JsValue::from_str(key);
                    requests.push(futures::future::Either::Right(async move { store.delete(key).await }));
                }
            }
        }
        let results = futures::future::join_all(requests).await;
        if let Some(Err(error)) = results.into_iter().find(Result::is_err) {
            return Err(storage(error));
        }
        let result = transaction.done().await.map_err(storage)?;
        if result.is_committed() { Ok(()) } else { Err(storage("the transaction was aborted")) }
    }
}
