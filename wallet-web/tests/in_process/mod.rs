//! Shared by the native engine tests: the real mint, in this process ([`mint_state`], the one place that
//! builds it), a [`MintConnector`] that sends each request through the mint's router with
//! `tower::ServiceExt::oneshot` (no socket), with one injectable fault and a record of every request body,
//! and wallets on a [`MemoryStore`].
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, header};
use mint_server::funding::FundingRegistry;
use mint_server::funding::fake::FakeBolt11;
use mint_server::mint::{Mint, MintSettings};
use mint_server::offline::{Clock as OfflineClock, OfflineSettings};
use mint_server::store::{MintStore, SqliteStore};
use mint_server::{AppState, MintInfoSettings};
use shared::Amount;
use shared::nuts::{ErrorCode, PaymentMethod};
use tower::ServiceExt;
use wallet_web::connector::MintConnector;
use wallet_web::store::{MemoryStore, WalletStore};
use wallet_web::{Wallet, WalletError};

/// The URL of the test mint (no fees).
pub const MINT: &str = "http://mint.test";
/// The URL of the test mint that charges 500 ppk per input.
pub const FEE_MINT: &str = "http://fee-mint.test";

/// The mint's state on a fresh SQLite database in `dir`: fake bolt11 (quotes paid at once), input fee
/// `input_fee_ppk`, master secret `master` (so its identity key). The one function that builds a mint:
/// adapt it when `Mint::new` changes.
pub async fn mint_state(dir: &Path, input_fee_ppk: u64, master: [u8; 32]) -> AppState {
    mint_state_with(dir, input_fee_ppk, master, (0, 0), None).await
}

/// [`mint_state`] whose fake bolt11 melts reserve `lightning.0` sat and really pay `lightning.1` of it
/// (NUT-08 returns the rest), with these offline settings and offline clock when given (the default: the
/// system's).
pub async fn mint_state_with(
    dir: &Path,
    input_fee_ppk: u64,
    master: [u8; 32],
    lightning: (u64, u64),
    offline: Option<(OfflineSettings, OfflineClock)>,
) -> AppState {
    let store: Arc<dyn MintStore> = Arc::new(SqliteStore::open(&dir.join("mint.sqlite")).await.unwrap());
    let settings = MintSettings { input_fee_ppk, ..MintSettings::default() };
    let fake = FakeBolt11::with_fees(Amount::from(lightning.0), Amount::from(lightning.1));
    let funding = FundingRegistry::standard(Arc::clone(&store), true).with(Arc::new(fake));
    let mut mint = Mint::new(store, master.to_vec(), settings, funding).await.unwrap();
    if let Some((settings, clock)) = offline {
        mint = mint.with_offline(settings, clock).unwrap();
    }
    let mint = Arc::new(mint);
    let info = MintInfoSettings { name: "In-process mint".into(), description: "for the wallet's tests".into() };
    AppState::new(info, dir.join("wallet"), mint).with_admin_token(ADMIN_TOKEN.to_vec())
}

/// The test mints' admin token (an empty one closes the admin API).
pub const ADMIN_TOKEN: [u8; 32] = [0x42; 32];

/// The mints of a test, by URL; kept alive with their data directories.
pub struct Mints {
    routers: HashMap<String, axum::Router>,
    _dirs: Vec<tempfile::TempDir>,
    /// Each mint's SQLite database.
    databases: HashMap<String, std::path::PathBuf>,
}

impl Mints {
    /// [`MINT`] and [`FEE_MINT`], each on a fresh database, with their own master secrets (so identities).
    pub async fn start() -> Rc<Mints> {
        Mints::start_with_lightning_fees(0, 0).await
    }

    /// [`Mints::start`] whose fake Lightning melts reserve `reserve` sat and really pay `paid`.
    pub async fn start_with_lightning_fees(reserve: u64, paid: u64) -> Rc<Mints> {
        let mut routers = HashMap::new();
        let mut databases = HashMap::new();
        let mut dirs = Vec::new();
        for (url, fee, master) in [(MINT, 0, [7; 32]), (FEE_MINT, 500, [8; 32])] {
            let dir = tempfile::tempdir().unwrap();
            let state = mint_state_with(dir.path(), fee, master, (reserve, paid), None).await;
            routers.insert(url.to_owned(), mint_server::app(state));
            databases.insert(url.to_owned(), dir.path().join("mint.sqlite"));
            dirs.push(dir);
        }
        Rc::new(Mints { routers, _dirs: dirs, databases })
    }

    /// The mint's store, opened a second time on its database (as another process would).
    pub async fn store(&self, mint: &str) -> SqliteStore {
        SqliteStore::open(&self.databases[mint]).await.unwrap()
    }

    /// [`MINT`] alone, on a fresh database, with these offline settings and a hand-set offline clock.
    pub async fn start_offline(settings: OfflineSettings, clock: OfflineClock) -> Rc<Mints> {
        let dir = tempfile::tempdir().unwrap();
        let state = mint_state_with(dir.path(), 0, [7; 32], (0, 0), Some((settings, clock))).await;
        let routers = HashMap::from([(MINT.to_owned(), mint_server::app(state))]);
        let databases = HashMap::from([(MINT.to_owned(), dir.path().join("mint.sqlite"))]);
        Rc::new(Mints { routers, _dirs: vec![dir], databases })
    }

    /// Sends one request to the mint at `mint`; the status and the body's text.
    pub async fn call(&self, method: Method, mint: &str, path: &str, body: Option<&str>) -> (u16, String) {
        self.call_as(None, method, mint, path, body).await
    }

    /// [`Mints::call`], with this bearer token if any.
    async fn call_as(
        &self,
        token: Option<&str>,
        method: Method,
        mint: &str,
        path: &str,
        body: Option<&str>,
    ) -> (u16, String) {
        let Some(router) = self.routers.get(mint) else {
            return (0, format!("no mint at {mint}"));
        };
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{mint}{path}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request.body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned()))).unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    /// An admin request with [`ADMIN_TOKEN`]; the answer's JSON.
    pub async fn admin(&self, mint: &str, method: Method, path: &str, body: serde_json::Value) -> serde_json::Value {
        let body = if method == Method::GET { None } else { Some(body.to_string()) };
        let token = hex::encode(ADMIN_TOKEN);
        let (status, text) = self.call_as(Some(&token), method, mint, &format!("/admin{path}"), body.as_deref()).await;
        assert!((200..300).contains(&status), "admin {path} failed: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Opens a bank account for `pubkey` at `mint` and credits it; returns its id.
    pub async fn open_account(&self, mint: &str, pubkey: &str, credit: u64) -> String {
        let created = self.admin(mint, Method::POST, "/accounts", serde_json::json!({ "pubkey": pubkey })).await;
        let id = created["id"].as_str().unwrap().to_owned();
        if credit > 0 {
            let body = serde_json::json!({ "amount": credit, "reference": "wallet test" });
            self.admin(mint, Method::POST, &format!("/accounts/{id}/credit"), body).await;
        }
        id
    }

    /// The balance of a bank account at `mint`.
    pub async fn account_balance(&self, mint: &str, id: &str) -> u64 {
        let account = self.admin(mint, Method::GET, &format!("/accounts/{id}"), serde_json::Value::Null).await;
        account["balance"].as_u64().unwrap()
    }
}

/// What the connector does to the next matching POST.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Nothing.
    None,
    /// Fails with a network error without sending (the tab died before the request left).
    FailBeforeSend(String),
    /// Sends, then fails with a network error (the answer was lost).
    LoseAnswer(String),
    /// Does not send; answers as the mint would refuse for good, with this Cashu code.
    Refuse(String, u16),
    /// Every request fails as if the network were down.
    Offline,
    /// Sends to the mint, then replaces its answer with this status and body (a proxy's 502, a 500, garbage).
    Replace(String, u16, String),
    /// Sends to the mint, then answers its successful answer rewritten by this function (a forged answer).
    Rewrite(String, fn(&str) -> String),
}

/// Requests to the in-process mints, with one injectable fault and a record of every POST body.
pub struct InProcess {
    mints: Rc<Mints>,
    fault: RefCell<Fault>,
    /// `(path, body)` of every POST that reached a mint.
    pub bodies: RefCell<Vec<(String, String)>>,
}

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcess").field("fault", &self.fault).finish_non_exhaustive()
    }
}

impl InProcess {
    /// A connector to `mints`.
    pub fn new(mints: &Rc<Mints>) -> Rc<InProcess> {
        Rc::new(InProcess { mints: mints.clone(), fault: RefCell::new(Fault::None), bodies: RefCell::default() })
    }

    /// Sets the fault for the next matching POST (or for every request: [`Fault::Offline`]).
    pub fn inject(&self, fault: Fault) {
        *self.fault.borrow_mut() = fault;
    }

    async fn exchange(
        &self,
        method: Method,
        mint: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<String, WalletError> {
        let (status, text) = self.mints.call(method, mint, path, body).await;
        match status {
            0 => Err(lost(mint)),
            200..=299 => Ok(text),
            _ => Err(WalletError::from_mint_answer(mint, status, &text)),
        }
    }
}

fn lost(mint: &str) -> WalletError {
    WalletError::Network { mint: mint.to_owned(), reason: "injected fault".into() }
}

#[async_trait::async_trait(?Send)]
impl MintConnector for InProcess {
    async fn get(&self, mint: &str, path: &str) -> Result<String, WalletError> {
        if matches!(*self.fault.borrow(), Fault::Offline) {
            return Err(lost(mint));
        }
        self.exchange(Method::GET, mint, path, None).await
    }

    async fn post(&self, mint: &str, path: &str, body: &str) -> Result<String, WalletError> {
        let fault = self.fault.borrow().clone();
        match fault {
            Fault::Offline => return Err(lost(mint)),
            Fault::FailBeforeSend(prefix) if path.starts_with(&prefix) => {
                *self.fault.borrow_mut() = Fault::None;
                return Err(lost(mint));
            }
            Fault::LoseAnswer(prefix) if path.starts_with(&prefix) => {
                *self.fault.borrow_mut() = Fault::None;
                self.bodies.borrow_mut().push((path.to_owned(), body.to_owned()));
                let _ = self.exchange(Method::POST, mint, path, Some(body)).await;
                return Err(lost(mint));
            }
            Fault::Replace(prefix, status, text) if path.starts_with(&prefix) => {
                *self.fault.borrow_mut() = Fault::None;
                self.bodies.borrow_mut().push((path.to_owned(), body.to_owned()));
                let _ = self.exchange(Method::POST, mint, path, Some(body)).await;
                return match status {
                    200..=299 => Ok(text),
                    _ => Err(WalletError::from_mint_answer(mint, status, &text)),
                };
            }
            Fault::Rewrite(prefix, rewrite) if path.starts_with(&prefix) => {
                *self.fault.borrow_mut() = Fault::None;
                self.bodies.borrow_mut().push((path.to_owned(), body.to_owned()));
                return self.exchange(Method::POST, mint, path, Some(body)).await.map(|text| rewrite(&text));
            }
            Fault::Refuse(prefix, code) if path.starts_with(&prefix) => {
                *self.fault.borrow_mut() = Fault::None;
                return Err(WalletError::Mint { code: ErrorCode::from_code(code), detail: "injected refusal".into() });
            }
            _ => {}
        }
        self.bodies.borrow_mut().push((path.to_owned(), body.to_owned()));
        self.exchange(Method::POST, mint, path, Some(body)).await
    }
}

/// A wallet on a fresh memory store with a fresh seed and [`MINT`] added.
pub async fn fresh_wallet(mints: &Rc<Mints>) -> (Wallet, Rc<MemoryStore>, Rc<InProcess>) {
    let store = Rc::new(MemoryStore::new());
    let connector = InProcess::new(mints);
    let wallet = Wallet::open(store.clone(), connector.clone()).await.unwrap();
    wallet.set_mnemonic(&Wallet::new_mnemonic().unwrap()).await.unwrap();
    wallet.add_mint(MINT).await.unwrap();
    (wallet, store, connector)
}

/// Reopens a wallet on `store` with a clean connector (as after a reload).
pub async fn reopen(mints: &Rc<Mints>, store: Rc<dyn WalletStore>) -> Wallet {
    Wallet::open(store, InProcess::new(mints)).await.unwrap()
}

/// Mints `amount` at [`MINT`] through the fake bolt11 backend (paid at once).
pub async fn fund(wallet: &Wallet, amount: u64) {
    let quote = wallet.request_mint_quote(MINT, PaymentMethod::Bolt11, Amount::from(amount)).await.unwrap();
    assert_eq!(wallet.mint_paid_quote(MINT, &quote.id).await.unwrap(), Amount::from(amount));
}

/// Every note in a store.
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
