//! Offline coins for the wallet's native tests while the wallet has no withdrawal yet: a test mint made with
//! `shared::offline` (the same state machines the mint uses) withdraws coins to a wallet's identity, with
//! the secrets derived from the wallet's seed exactly as the wallet re-derives them. Withdrawal is seeded
//! here, not done by the wallet. Also a connector with the network off and stores that crash or yield.
#![allow(dead_code)]

use std::cell::Cell;
use std::rc::Rc;

use shared::derivation::{WalletSeed, parse_mnemonic};
use shared::offline::{
    CoinSecrets, IdentitySecret, MintSession, OfflineKeyset, OfflineMintKeyset, PendingWithdrawal, WalletCoin,
};
use shared::{CurrencyUnit, SecretKey};
use wallet_web::offline::records::WithdrawnCoin;
use wallet_web::platform::Platform;
use wallet_web::store::{Batch, MemoryStore, Table, WalletStore};
use wallet_web::{Wallet, WalletError};

/// The mint URL the tests file the keysets under (never contacted).
pub const OFFLINE_MINT: &str = "http://offline.test";

/// Seconds since the epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A mint's offline keyset with denominations 1 .. 1024, valid from an hour ago for 30 days.
pub fn test_keyset(index: u32) -> OfflineMintKeyset {
    let now = now();
    OfflineMintKeyset::derive(
        b"offline test mint",
        index,
        11,
        CurrencyUnit::Sat,
        now - 3600,
        now + 30 * 86_400,
        now + 44 * 86_400,
    )
    .unwrap()
}

/// The wallet's seed, read through its public API.
pub async fn seed_of(wallet: &Wallet) -> WalletSeed {
    WalletSeed::from_mnemonic(&parse_mnemonic(&wallet.mnemonic().await.unwrap()).unwrap())
}

/// One coin of `amount` withdrawn to the wallet of `seed` with derivation counter `counter`; returns the
/// wallet coin (to spend behind the wallet's back in tests) and what the wallet stores.
pub fn withdraw(
    keyset: &OfflineMintKeyset,
    seed: &WalletSeed,
    counter: u32,
    amount: u64,
) -> (WalletCoin, WithdrawnCoin) {
    let identity = IdentitySecret::from_seed(seed.as_bytes()).unwrap().identity().unwrap();
    let (session, start) = MintSession::start(keyset, amount, &identity, SecretKey::random().unwrap()).unwrap();
    let secrets = CoinSecrets::derive(seed.as_bytes(), &keyset.public.id, counter, &start.a0, &start.b0).unwrap();
    let (pending, challenge) = PendingWithdrawal::prepare(&identity, &keyset.public, &start, secrets).unwrap();
    let coin = pending.finish(&session.respond(&challenge).unwrap()).unwrap();
    let stored = WithdrawnCoin { coin: coin.coin.clone(), counter, a0: start.a0, b0: start.b0 };
    (coin, stored)
}

/// Caches `keyset` in the wallet and gives it coins of `amounts` (counters from `first_counter`).
pub async fn seed_coins(
    wallet: &Wallet,
    keyset: &OfflineMintKeyset,
    first_counter: u32,
    amounts: &[u64],
) -> Vec<WalletCoin> {
    wallet.store_offline_keysets(OFFLINE_MINT, vec![keyset.public.clone()]).await.unwrap();
    let seed = seed_of(wallet).await;
    let (coins, stored): (Vec<_>, Vec<_>) =
        amounts.iter().enumerate().map(|(i, a)| withdraw(keyset, &seed, first_counter + i as u32, *a)).unzip();
    assert_eq!(wallet.add_offline_coins(OFFLINE_MINT, stored).await.unwrap(), amounts.iter().sum::<u64>());
    coins
}

/// The public keysets.
pub fn public(keysets: &[&OfflineMintKeyset]) -> Vec<OfflineKeyset> {
    keysets.iter().map(|k| k.public.clone()).collect()
}

/// A connector with the network off: every request fails as unreachable, and is counted.
#[derive(Default)]
pub struct NetworkOff {
    pub calls: Cell<usize>,
}

#[async_trait::async_trait(?Send)]
impl wallet_web::connector::MintConnector for NetworkOff {
    async fn get(&self, mint: &str, _path: &str) -> Result<String, WalletError> {
        self.calls.set(self.calls.get() + 1);
        Err(WalletError::Network { mint: mint.to_owned(), reason: "the network is off".into() })
    }
    async fn post(&self, mint: &str, _path: &str, _body: &str) -> Result<String, WalletError> {
        self.calls.set(self.calls.get() + 1);
        Err(WalletError::Network { mint: mint.to_owned(), reason: "the network is off".into() })
    }
}

/// A wallet with the network off on `store`, with this process's lock between "tabs".
pub async fn open_offline(store: Rc<dyn WalletStore>, network: Rc<NetworkOff>) -> Wallet {
    let platform = Platform::native();
    Wallet::open_with(store, network, platform).await.unwrap()
}

/// A fresh wallet with a fresh seed on a memory store, the network off.
pub async fn fresh_offline_wallet() -> (Wallet, Rc<MemoryStore>, Rc<NetworkOff>) {
    let store = Rc::new(MemoryStore::new());
    let network = Rc::new(NetworkOff::default());
    let wallet = open_offline(store.clone(), network.clone()).await;
    wallet.set_mnemonic(&Wallet::new_mnemonic().unwrap()).await.unwrap();
    (wallet, store, network)
}

/// What a store does with the next commit that touches `table`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crash {
    /// Nothing.
    None,
    /// The tab dies before the transaction completes: nothing is written, the caller sees an error.
    BeforeCommit,
    /// The transaction completes, then the tab dies before the caller sees it.
    AfterCommit,
}

/// A store around another that crashes one commit touching `table`, and yields to other tasks at every
/// call (as IndexedDB does), so two wallets on it interleave unless a lock keeps them apart.
pub struct FaultyStore {
    pub inner: Rc<MemoryStore>,
    pub crash: Cell<Crash>,
    pub table: Table,
}

impl FaultyStore {
    pub fn new(inner: Rc<MemoryStore>, table: Table) -> Self {
        FaultyStore { inner, crash: Cell::new(Crash::None), table }
    }
}

#[async_trait::async_trait(?Send)]
impl WalletStore for FaultyStore {
    fn name(&self) -> String {
        self.inner.name()
    }
    async fn get(&self, table: Table, key: &str) -> Result<Option<String>, WalletError> {
        tokio::task::yield_now().await;
        self.inner.get(table, key).await
    }
    async fn get_all(&self, table: Table) -> Result<Vec<(String, String)>, WalletError> {
        tokio::task::yield_now().await;
        self.inner.get_all(table).await
    }
    async fn commit(&self, batch: Batch) -> Result<(), WalletError> {
        tokio::task::yield_now().await;
        let crash = if batch.tables().contains(&self.table) { self.crash.replace(Crash::None) } else { Crash::None };
        match crash {
            Crash::None => self.inner.commit(batch).await,
            Crash::BeforeCommit => Err(WalletError::Storage("the tab died before the commit".into())),
            Crash::AfterCommit => {
                self.inner.commit(batch).await?;
                Err(WalletError::Storage("the tab died after the commit".into()))
            }
        }
    }
}
