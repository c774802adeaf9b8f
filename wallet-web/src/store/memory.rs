//! [`MemoryStore`]: the store contract in memory, for tests (and for a wallet that must not persist).

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::{Batch, Table, WalletStore, Write};
use crate::WalletError;

/// A store in memory. Clones share nothing; wrap it in an `Rc` to share it between wallets.
#[derive(Debug)]
pub struct MemoryStore {
    name: String,
    tables: RefCell<BTreeMap<Table, BTreeMap<String, String>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        MemoryStore { name: format!("memory-{}", NEXT.fetch_add(1, Ordering::Relaxed)), tables: RefCell::default() }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

#[async_trait::async_trait(?Send)]
impl WalletStore for MemoryStore {
    fn name(&self) -> String {
        self.name.clone()
    }

    async fn get(&self, table: Table, key: &str) -> Result<Option<String>, WalletError> {
        Ok(self.tables.borrow().get(&table).and_then(|records| records.get(key).cloned()))
    }

    async fn get_all(&self, table: Table) -> Result<Vec<(String, String)>, WalletError> {
        Ok(self
            .tables
            .borrow()
            .get(&table)
            .map(|records| records.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    async fn commit(&self, batch: Batch) -> Result<(), WalletError> {
        // Nothing here can fail half way, so applying in order is atomic.
        let mut tables = self.tables.borrow_mut();
        for write in batch.writes {
            match write {
                Write::Put { table, key, value } => {
                    tables.entry(table).or_default().insert(key, value);
                }
                Write::Delete { table, key } => {
                    if let Some(records) = tables.get_mut(&table) {
                        records.remove(&key);
                    }
                }
            }
        }
        Ok(())
    }
}
