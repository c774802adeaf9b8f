//! Pending melts are settled by the serving process under a lease: a client that disconnects mid-melt does
//! not leave it pending, two instances on one PostgreSQL settle a pending melt once, and operator commands
//! run meanwhile touch nothing; a melt whose settler is stuck is taken over once its lease (`--melt-lease-secs`)
//! has expired, and its identical retry then gets the settled answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use common::wallet::TestMint;
use mint_server::funding::bank::Bank;
use mint_server::funding::{Funding, FundingError, FundingRegistry, MintRequest, Payout};
use mint_server::mint::{Mint, MintSettings};
use mint_server::store::{Commit, MeltQuote, MintStore, SqliteStore};
use shared::nuts::bank::MeltQuoteBankRequest;
use shared::nuts::{MeltQuoteBolt11Response, MeltQuoteState, MeltRequest, PaymentMethod};
use shared::{Amount, CurrencyUnit, SecretKey};
use tokio::sync::{Notify, Semaphore};

/// The real bank backend, counting its payments and holding each one until the test lets it go.
#[derive(Debug)]
struct HeldBank {
    bank: Bank,
    pays: Arc<AtomicUsize>,
    entered: Arc<Notify>,
    release: Arc<Semaphore>,
}

#[async_trait]
impl Funding for HeldBank {
    fn method(&self) -> PaymentMethod {
        self.bank.method()
    }
    fn method_name(&self) -> &'static str {
        self.bank.method_name()
    }
    async fn mint_request(&self, id: &str, amount: Amount, unit: &CurrencyUnit) -> Result<MintRequest, FundingError> {
        self.bank.mint_request(id, amount, unit).await
    }
    async fn melt_amount(&self, request: &str, amount: Option<Amount>) -> Result<(Amount, Amount), FundingError> {
        self.bank.melt_amount(request, amount).await
    }
    async fn pay(&self, quote: &MeltQuote) -> Result<Payout, FundingError> {
        self.pays.fetch_add(1, Ordering::SeqCst);
        self.entered.notify_one();
        self.release.acquire().await.unwrap().forget();
        self.bank.pay(quote).await
    }
}

struct Held {
    pays: Arc<AtomicUsize>,
    entered: Arc<Notify>,
    release: Arc<Semaphore>,
}

fn held_registry(store: &Arc<dyn MintStore>, held: &Held) -> FundingRegistry {
    FundingRegistry::standard(Arc::clone(store), true).with(Arc::new(HeldBank {
        bank: Bank::new(Arc::clone(store)),
        pays: Arc::clone(&held.pays),
        entered: Arc::clone(&held.entered),
        release: Arc::clone(&held.release),
    }))
}

fn held() -> Held {
    Held { pays: Arc::new(AtomicUsize::new(0)), entered: Arc::new(Notify::new()), release: Arc::new(Semaphore::new(0)) }
}

const SECRET: [u8; 32] = [7; 32];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_melt_settles_after_its_client_disconnected_and_commands_meanwhile_touch_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn MintStore> = Arc::new(SqliteStore::open(&dir.path().join("mint.sqlite")).await.unwrap());
    let held = held();
    let core = Mint::new(Arc::clone(&store), SECRET.to_vec(), MintSettings::default(), held_registry(&store, &held));
    let mint = TestMint::serve(Arc::new(core.await.unwrap())).await;
    let account = mint.mint.create_account(SecretKey::random().unwrap().public_key()).await.unwrap().id;
    let request =
        MeltQuoteBankRequest { request: account.clone(), unit: CurrencyUnit::Sat, amount: Amount::from_u64(8) };
    let quote: MeltQuoteBolt11Response = mint.post("/v1/melt/quote/bank", &request).await.unwrap();
    let inputs = mint.mint_notes(&[8]).await;
    let melt = MeltRequest { quote: quote.quote.clone(), inputs, outputs: None, prefer_async: false };

    // The client sends the melt and goes away while the backend pays.
    let client = {
        let (url, client) = (mint.url("/v1/melt/bank"), mint.client.clone());
        tokio::spawn(async move { client.post(url).json(&melt).send().await })
    };
    tokio::time::timeout(Duration::from_secs(10), held.entered.notified()).await.expect("the melt never paid");
    client.abort();
    let _ = client.await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Operator commands run meanwhile: they settle nothing and pay nothing.
    let secret = hex::encode(SECRET);
    for args in [vec!["show-account", "--account", &account], vec!["rotate-keyset"]] {
        let output = Command::new(env!("CARGO_BIN_EXE_mint-server"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(&args)
            .env("MINT_MASTER_SECRET", &secret)
            .env("RUST_LOG", "warn")
            .env_remove("MINT_DATABASE_URL")
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(store.melt_quote(&quote.quote).await.unwrap().unwrap().state, MeltQuoteState::Pending);
    }
    assert_eq!(held.pays.load(Ordering::SeqCst), 1);

    // The payment goes through: the melt settles although nobody waits for its answer.
    held.release.add_permits(1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while store.melt_quote(&quote.quote).await.unwrap().unwrap().state != MeltQuoteState::Paid {
        assert!(tokio::time::Instant::now() < deadline, "the melt was left pending by its client's disconnect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(store.account(&account).await.unwrap().unwrap().balance, Amount::from_u64(8));
    assert_eq!(held.pays.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_settle_a_pending_melt_once() {
    let url = common::postgres_url().await;
    let first: Arc<dyn MintStore> = Arc::new(mint_server::store::PostgresStore::connect(&url, 4).await.unwrap());
    let second: Arc<dyn MintStore> = Arc::new(mint_server::store::PostgresStore::connect(&url, 4).await.unwrap());
    let held = held();
    let a = Mint::new(Arc::clone(&first), SECRET.to_vec(), MintSettings::default(), held_registry(&first, &held));
    let a = Arc::new(a.await.unwrap());
    let b = Mint::new(Arc::clone(&second), SECRET.to_vec(), MintSettings::default(), held_registry(&second, &held));
    let b = Arc::new(b.await.unwrap());
    let account = a.create_account(SecretKey::random().unwrap().public_key()).await.unwrap().id;
    // A melt left pending by an instance that died (no lease held).
    let quote = MeltQuote {
        id: "orphan".into(),
        method: "bank".into(),
        unit: CurrencyUnit::Sat,
        amount: Amount::from_u64(100),
        fee_reserve: Amount::ZERO,
        request: account.clone(),
        state: MeltQuoteState::Unpaid,
        expiry: u64::MAX / 2,
        payment_preimage: None,
        change_request: None,
    };
    first.commit(&Commit::CreateMeltQuote(quote)).await.unwrap();
    first
        .commit(&Commit::MeltStart { quote_id: "orphan".into(), inputs: Vec::new(), change: None, request: None })
        .await
        .unwrap();

    // Both instances' recovery tasks find it; the first payment is held until the other has had its try.
    let tasks =
        [Arc::clone(&a), Arc::clone(&b)].map(|mint| tokio::spawn(async move { mint.recover_pending_melts().await }));
    tokio::time::timeout(Duration::from_secs(10), held.entered.notified()).await.expect("nobody paid");
    tokio::time::sleep(Duration::from_millis(300)).await;
    held.release.add_permits(2);
    let mut finished = 0;
    for task in tasks {
        finished += task.await.unwrap().unwrap();
    }
    assert_eq!(finished, 1);
    assert_eq!(held.pays.load(Ordering::SeqCst), 1, "paid twice");
    assert_eq!(first.melt_quote("orphan").await.unwrap().unwrap().state, MeltQuoteState::Paid);
    assert_eq!(first.account(&account).await.unwrap().unwrap().balance, Amount::from_u64(100));
    // Nothing is left for a later round.
    held.release.add_permits(2);
    assert_eq!(a.recover_pending_melts().await.unwrap() + b.recover_pending_melts().await.unwrap(), 0);
}

/// `MintSettings::melt_lease_secs` (`--melt-lease-secs`): a melt whose settler is stuck or dead is taken over
/// by another instance once the lease its settler took has expired, and not before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_instance_takes_over_a_stuck_melt_once_its_lease_expires() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn MintStore> = Arc::new(SqliteStore::open(&dir.path().join("mint.sqlite")).await.unwrap());
    // Instance A settles under one-second leases; its payment never returns (as if it had died).
    let stuck = held();
    let settings = MintSettings { melt_lease_secs: 1, ..MintSettings::default() };
    let a = Mint::new(Arc::clone(&store), SECRET.to_vec(), settings, held_registry(&store, &stuck));
    let mint = TestMint::serve(Arc::new(a.await.unwrap())).await;
    let account = mint.mint.create_account(SecretKey::random().unwrap().public_key()).await.unwrap().id;
    let request =
        MeltQuoteBankRequest { request: account.clone(), unit: CurrencyUnit::Sat, amount: Amount::from_u64(8) };
    let quote: MeltQuoteBolt11Response = mint.post("/v1/melt/quote/bank", &request).await.unwrap();
    let inputs = mint.mint_notes(&[8]).await;
    let melt = MeltRequest { quote: quote.quote.clone(), inputs, outputs: None, prefer_async: false };
    let client = {
        let (url, client, melt) = (mint.url("/v1/melt/bank"), mint.client.clone(), melt.clone());
        tokio::spawn(async move { client.post(url).json(&melt).send().await })
    };
    tokio::time::timeout(Duration::from_secs(10), stuck.entered.notified()).await.expect("the melt never paid");

    // Instance B (the real bank) finds it pending: leased, so not yet; once the lease has expired, it is B's.
    let registry = FundingRegistry::standard(Arc::clone(&store), true);
    let b = Mint::new(Arc::clone(&store), SECRET.to_vec(), MintSettings::default(), registry).await.unwrap();
    assert_eq!(b.recover_pending_melts().await.unwrap(), 0, "taken over before its lease expired");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(b.recover_pending_melts().await.unwrap(), 1, "not taken over after its lease expired");
    assert_eq!(store.melt_quote(&quote.quote).await.unwrap().unwrap().state, MeltQuoteState::Paid);
    assert_eq!(store.account(&account).await.unwrap().unwrap().balance, Amount::from_u64(8));
    client.abort();

    // The client's identical retry (NUT-19), now to B, gets the answer B cached when it settled the melt
    // under the request's key (recorded on the pending rows), not "quote already paid".
    let b = TestMint::serve(Arc::new(b)).await;
    let retried: MeltQuoteBolt11Response = b.post("/v1/melt/bank", &melt).await.unwrap();
    assert_eq!((retried.quote, retried.state), (quote.quote.clone(), MeltQuoteState::Paid));
    assert_eq!(store.account(&account).await.unwrap().unwrap().balance, Amount::from_u64(8), "paid twice");
}
