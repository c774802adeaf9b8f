//! Shared by the wallet's browser tests: the test mint (started by scripts/wallet-test-mint), fresh wallets,
//! funding, the admin API, and a fault-injecting, recording wrapper around the real HTTP connector.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::rc::Rc;

use gloo_net::http::Request;
use shared::Amount;
use shared::nuts::{ErrorCode, PaymentMethod};
use wallet_web::Wallet;
use wallet_web::WalletError;
use wallet_web::connector::{HttpConnector, MintConnector};
use wallet_web::store::{MemoryStore, WalletStore};

/// The test mint's URL. Without it the tests fail: they must not pass without a mint.
pub fn mint_url() -> String {
    match option_env!("WALLET_TEST_MINT_URL") {
        Some(url) if !url.is_empty() => url.to_owned(),
        _ => panic!(
            "WALLET_TEST_MINT_URL is not set: these tests need a real mint. Run them with \
             scripts/wallet-test-mint wasm-pack test --headless --chrome wallet-web"
        ),
    }
}

/// The second test mint, which charges 500 ppk per input.
pub fn fee_mint_url() -> String {
    match option_env!("WALLET_TEST_FEE_MINT_URL") {
        Some(url) if !url.is_empty() => url.to_owned(),
        _ => panic!("WALLET_TEST_FEE_MINT_URL is not set (see mint_url)"),
    }
}

/// The test mint's admin token.
pub fn admin_token() -> String {
    match option_env!("WALLET_TEST_ADMIN_TOKEN") {
        Some(token) if !token.is_empty() => token.to_owned(),
        _ => panic!("WALLET_TEST_ADMIN_TOKEN is not set (see mint_url)"),
    }
}

/// What the fault injector does to the next matching POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Nothing.
    None,
    /// Fails with a network error without sending (the tab died before the request left).
    FailBeforeSend(String),
    /// Sends, then fails with a network error (the answer was lost).
    LoseAnswer(String),
    /// Does not send; answers as the mint would refuse for good, with this Cashu code.
    Refuse(String, u16),
}

/// The real HTTP connector, with one injectable fault and a record of every request body.
#[derive(Debug)]
pub struct TestConnector {
    inner: HttpConnector,
    pub fault: RefCell<Fault>,
    pub bodies: RefCell<Vec<(String, String)>>,
}

impl TestConnector {
    pub fn new() -> Rc<TestConnector> {
        Rc::new(TestConnector {
            inner: HttpConnector::new(),
            fault: RefCell::new(Fault::None),
            bodies: RefCell::default(),
        })
    }

    pub fn inject(&self, fault: Fault) {
        *self.fault.borrow_mut() = fault;
    }
}

#[async_trait::async_trait(?Send)]
impl MintConnector for TestConnector {
    async fn get(&self, mint: &str, path: &str) -> Result<String, WalletError> {
        self.inner.get(mint, path).await
    }

    async fn post(&self, mint: &str, path: &str, body: &str) -> Result<String, WalletError> {
        let fault = self.fault.borrow().clone();
        let lost = |mint: &str| WalletError::Network { mint: mint.to_owned(), reason: "injected fault".into() };
        match fault {
            Fault::FailBeforeSend(prefix) if path.starts_with(&prefix) => {
                *self.fault.borrow_mut() = Fault::None;
                return Err(lost(mint));
            }
            Fault::LoseAnswer(prefix) if path.starts_with(&prefix) => {
                *self.fault.borrow_mut() = Fault::None;
                self.bodies.borrow_mut().push((path.to_owned(), body.to_owned()));
                let _ = self.inner.post(mint, path, body).await;
                return Err(lost(mint));
            }
            Fault::Refuse(prefix, code) if path.starts_with(&prefix) => {
                *self.fault.borrow_mut() = Fault::None;
                return Err(WalletError::Mint { code: ErrorCode::from_code(code), detail: "injected refusal".into() });
            }
            _ => {}
        }
        self.bodies.borrow_mut().push((path.to_owned(), body.to_owned()));
        self.inner.post(mint, path, body).await
    }
}

/// A wallet on a fresh memory store with a fresh seed and the test mint added.
pub async fn fresh_wallet() -> (Wallet, Rc<MemoryStore>, Rc<TestConnector>) {
    let store = Rc::new(MemoryStore::new());
    let connector = TestConnector::new();
    let wallet = Wallet::open(store.clone(), connector.clone()).await.unwrap();
    wallet.set_mnemonic(&Wallet::new_mnemonic().unwrap()).await.unwrap();
    wallet.add_mint(&mint_url()).await.unwrap();
    (wallet, store, connector)
}

/// Reopens a wallet on `store` with a clean connector (as after a reload).
pub async fn reopen(store: Rc<dyn WalletStore>) -> Wallet {
    Wallet::open(store, TestConnector::new()).await.unwrap()
}

/// Mints `amount` through the fake bolt11 backend (paid at once).
pub async fn fund(wallet: &Wallet, amount: u64) {
    let quote = wallet.request_mint_quote(&mint_url(), PaymentMethod::Bolt11, Amount::from(amount)).await.unwrap();
    assert_eq!(wallet.mint_paid_quote(&mint_url(), &quote.id).await.unwrap(), Amount::from(amount));
}

/// Opens a bank account for `pubkey` at the test mint and credits it; returns its id.
pub async fn open_account(pubkey: &str, credit: u64) -> String {
    open_account_at(&mint_url(), pubkey, credit).await
}

/// [`open_account`] at the mint `mint` (both test mints share the admin token).
pub async fn open_account_at(mint: &str, pubkey: &str, credit: u64) -> String {
    let created: serde_json::Value =
        admin_post_at(mint, "/admin/accounts", serde_json::json!({ "pubkey": pubkey })).await;
    let id = created["id"].as_str().unwrap().to_owned();
    if credit == 0 {
        return id;
    }
    let _: serde_json::Value = admin_post_at(
        mint,
        &format!("/admin/accounts/{id}/credit"),
        serde_json::json!({ "amount": credit, "reference": "wallet test" }),
    )
    .await;
    id
}

/// The balance of a bank account.
pub async fn account_balance(id: &str) -> u64 {
    account_balance_at(&mint_url(), id).await
}

/// [`account_balance`] at the mint `mint`.
pub async fn account_balance_at(mint: &str, id: &str) -> u64 {
    let response = Request::get(&format!("{mint}/admin/accounts/{id}"))
        .header("authorization", &format!("Bearer {}", admin_token()))
        .send()
        .await
        .unwrap();
    assert!(response.ok(), "admin GET failed: {}", response.status());
    let account: serde_json::Value = response.json().await.unwrap();
    account["balance"].as_u64().unwrap()
}

async fn admin_post_at(mint: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
    let response = Request::post(&format!("{mint}{path}"))
        .header("authorization", &format!("Bearer {}", admin_token()))
        .json(&body)
        .unwrap()
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!((200..300).contains(&status), "admin POST {path} failed: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

/// Every note in a store: (serial, amount, state as JSON).
pub async fn notes(store: &dyn WalletStore) -> Vec<wallet_web::wallet::records::NoteRecord> {
    wallet_web::store::get_all_json(store, wallet_web::store::Table::Notes).await.unwrap()
}

/// The number of journaled operations in a store.
pub async fn ops(store: &dyn WalletStore) -> usize {
    store.get_all(wallet_web::store::Table::Ops).await.unwrap().len()
}

/// Sum of all notes in a store, whatever their state.
pub async fn total(store: &dyn WalletStore) -> u64 {
    notes(store).await.iter().map(|n| n.amount.to_u64()).sum()
}
