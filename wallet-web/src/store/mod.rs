//! The wallet's storage: a [`WalletStore`] trait with one contract, and two implementations
//! ([`MemoryStore`] for tests, [`IdbStore`] for the browser's IndexedDB).
//!
//! # Contract
//! - Records are JSON text under a string key, in one of the [`Table`]s.
//! - [`WalletStore::commit`] applies a whole [`Batch`] of puts and deletes atomically: after a crash, either
//!   all of it is visible or none of it (IndexedDB: one read-write transaction over every store touched).
//!   Operations of a batch apply in order, so a later put of the same key wins.
//! - [`WalletStore::get_all`] returns every record of a table, ordered by key.
//! - Two stores opened on the same database (two tabs) see each other's commits; serializing writers is the
//!   caller's job (the wallet holds a Web Lock).

mod idb;
mod memory;

pub use idb::IdbStore;
pub use memory::MemoryStore;

use crate::WalletError;

/// The schema version this code writes. [`IdbStore::open`] upgrades older databases to it.
pub const SCHEMA_VERSION: u32 = 2;

/// The object stores (tables) of the wallet's database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// Seed, schema version.
    Meta,
    /// Mints: info, keysets, keys.
    Mints,
    /// Notes, keyed by their serial `Y` (hex).
    Notes,
    /// The journal of operations in flight.
    Ops,
    /// Derivation counters, per keyset id.
    Counters,
    /// Pending sends (tokens not yet redeemed).
    Sends,
    /// History entries.
    History,
    /// Offline keysets cached for use with no network (`offline::records`).
    OfflineKeysets,
    /// Offline coins, keyed by `enc(A)` (hex).
    OfflineCoins,
    /// Offline payments made (payer), each with the request it answers.
    OfflinePayments,
    /// Offline payment requests made (payee), with the payments received for them.
    OfflineRequests,
}

impl Table {
    /// Every table.
    pub const ALL: [Table; 11] = [
        Table::Meta,
        Table::Mints,
        Table::Notes,
        Table::Ops,
        Table::Counters,
        Table::Sends,
        Table::History,
        Table::OfflineKeysets,
        Table::OfflineCoins,
        Table::OfflinePayments,
        Table::OfflineRequests,
    ];

    /// The object store's name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Meta => "meta",
            Table::Mints => "mints",
            Table::Notes => "notes",
            Table::Ops => "ops",
            Table::Counters => "counters",
            Table::Sends => "sends",
            Table::History => "history",
            Table::OfflineKeysets => "offline_keysets",
            Table::OfflineCoins => "offline_coins",
            Table::OfflinePayments => "offline_payments",
            Table::OfflineRequests => "offline_requests",
        }
    }
}

/// One write of a [`Batch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Insert or replace a record.
    Put {
        /// Table.
        table: Table,
        /// Key.
        key: String,
        /// JSON text.
        value: String,
    },
    /// Remove a record (absent is fine).
    Delete {
        /// Table.
        table: Table,
        /// Key.
        key: String,
    },
}

/// Writes that commit together or not at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    /// In order.
    pub writes: Vec<Write>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Batch::default()
    }

    /// Adds a put of raw JSON text.
    pub fn put_raw(&mut self, table: Table, key: impl Into<String>, value: String) -> &mut Self {
        self.writes.push(Write::Put { table, key: key.into(), value });
        self
    }

    /// Adds a put of a serializable record.
    pub fn put<T: serde::Serialize>(
        &mut self,
        table: Table,
        key: impl Into<String>,
        value: &T,
    ) -> Result<&mut Self, WalletError> {
        let json = serde_json::to_string(value).map_err(|e| WalletError::Storage(e.to_string()))?;
        Ok(self.put_raw(table, key, json))
    }

    /// Adds a delete.
    pub fn delete(&mut self, table: Table, key: impl Into<String>) -> &mut Self {
        self.writes.push(Write::Delete { table, key: key.into() });
        self
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// The tables the batch touches, each once.
    pub fn tables(&self) -> Vec<Table> {
        let mut tables: Vec<Table> = self
            .writes
            .iter()
            .map(|write| match write {
                Write::Put { table, .. } | Write::Delete { table, .. } => *table,
            })
            .collect();
        tables.sort();
        tables.dedup();
        tables
    }
}

/// Where the wallet keeps its data. Object safe; futures are not `Send` (wasm is single-threaded).
#[async_trait::async_trait(?Send)]
pub trait WalletStore {
    /// A name for the database, the same for every store opened on it (two tabs); the wallet names its Web
    /// Lock after it.
    fn name(&self) -> String;
    /// One record, or `None`.
    async fn get(&self, table: Table, key: &str) -> Result<Option<String>, WalletError>;
    /// Every record of a table as `(key, JSON)`, ordered by key.
    async fn get_all(&self, table: Table) -> Result<Vec<(String, String)>, WalletError>;
    /// Applies every write of `batch` atomically.
    async fn commit(&self, batch: Batch) -> Result<(), WalletError>;
}

/// Reads and parses one record.
pub async fn get_json<T: serde::de::DeserializeOwned>(
    store: &dyn WalletStore,
    table: Table,
    key: &str,
) -> Result<Option<T>, WalletError> {
    match store.get(table, key).await? {
        Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| WalletError::Storage(e.to_string())),
        None => Ok(None),
    }
}

/// Reads and parses every record of a table.
pub async fn get_all_json<T: serde::de::DeserializeOwned>(
    store: &dyn WalletStore,
    table: Table,
) -> Result<Vec<T>, WalletError> {
    store
        .get_all(table)
        .await?
        .iter()
        .map(|(_, text)| serde_json::from_str(text).map_err(|e| WalletError::Storage(e.to_string())))
        .collect()
}
