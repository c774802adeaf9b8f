//! Offline coins in the wallet against the real mint, in process, on SQLite, with the mint's offline clock set
//! by hand (and the wallets' clocks reading it): register (idempotent), bond, withdraw with progress, pay
//! offline between two wallets, deposit with a verified receipt; a crash between session and withdraw, a
//! lost deposit answer, a restore whose coins are refused offline and refunded after the deadline, and a
//! double spend by a scripted cheater found in the evidence; the history entries of bonds, withdrawals and
//! refunds (once each, also across a lost answer or a crash in the final commit).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod in_process;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use axum::http::Method;
use in_process::{Fault, InProcess, MINT, Mints};
use mint_server::offline::{Clock as OfflineClock, OfflineSettings};
use shared::derivation::{WalletSeed, parse_mnemonic};
use shared::offline::api::{AccountResponse, ReadAuth};
use shared::offline::{CoinSecrets, IdentitySecret, Payment, WalletCoin};
use wallet_web::offline::records::{CoinOrigin, OfflineCoinRecord, OfflineRequestRecord};
use wallet_web::offline::text::{PaymentMessage, payment_to_text, request_from_text};
use wallet_web::platform::{Clock, Platform};
use wallet_web::store::{Batch, MemoryStore, Table, WalletStore, get_all_json};
use wallet_web::{HistoryEntry, HistoryKind, HistoryStatus, MintUrl, Wallet, WalletError};

/// Period 10 of 1000 s: valid 10000..=11000, deposits until 11500, refunds until 13500.
const START: u64 = 10_100;
const SETTINGS: OfflineSettings = OfflineSettings {
    period_secs: 1000,
    deposit_grace_secs: 500,
    denominations: 8,
    session_ttl_secs: 60,
    refund_window_secs: 2000,
};

/// The wallets' clock: the mint's offline clock.
struct SharedClock(OfflineClock);

impl Clock for SharedClock {
    fn now_ms(&self) -> f64 {
        self.0.now() as f64 * 1000.0
    }
}

struct World {
    mints: Rc<Mints>,
    clock: OfflineClock,
}

async fn world() -> World {
    let clock = OfflineClock::manual(START);
    World { mints: Mints::start_offline(SETTINGS, clock.clone()).await, clock }
}

fn url() -> MintUrl {
    MintUrl::parse(MINT).unwrap()
}

impl World {
    /// A wallet on `store` (the words given, or fresh ones) with the shared clock and `MINT` added.
    async fn wallet_on(&self, store: Rc<dyn WalletStore>, words: Option<&str>) -> (Wallet, Rc<InProcess>) {
        let connector = InProcess::new(&self.mints);
        let platform = Platform { clock: Rc::new(SharedClock(self.clock.clone())), ..Platform::native() };
        let wallet = Wallet::open_with(store, connector.clone(), platform).await.unwrap();
        if !wallet.has_seed().await.unwrap() {
            let words = words.map_or_else(|| Wallet::new_mnemonic().unwrap(), str::to_owned);
            wallet.set_mnemonic(&words).await.unwrap();
        }
        wallet.add_mint(MINT).await.unwrap();
        (wallet, connector)
    }

    async fn wallet(&self) -> (Wallet, Rc<MemoryStore>, Rc<InProcess>) {
        let store = Rc::new(MemoryStore::new());
        let (wallet, connector) = self.wallet_on(store.clone(), None).await;
        (wallet, store, connector)
    }

    /// A bank account opened for the wallet's key and credited.
    async fn account(&self, wallet: &Wallet, credit: u64) -> String {
        self.mints.open_account(MINT, &wallet.account_pubkey(MINT).await.unwrap(), credit).await
    }

    /// The account as the mint shows it to its holder (`wallet`: the read is signed by its account key).
    async fn offline_account(&self, wallet: &Wallet, account: &str) -> AccountResponse {
        let seed = WalletSeed::from_mnemonic(&parse_mnemonic(&wallet.mnemonic().await.unwrap()).unwrap());
        let key = shared::nuts::bank::account_secret_key(&seed, MintUrl::parse(MINT).unwrap().as_str()).unwrap();
        let auth = ReadAuth::sign(&key, account, self.clock.now()).unwrap();
        let path = format!("/v1/offline/accounts/{account}?{}", auth.to_query());
        let (status, text) = self.mints.call(Method::GET, MINT, &path, None).await;
        assert_eq!(status, 200, "{text}");
        serde_json::from_str(&text).unwrap()
    }

    /// A payer: registered, a bond of `bond`, `withdraw` in offline coins. Returns the account id.
    async fn payer(&self, wallet: &Wallet, bond: u64, withdraw: u64) -> String {
        let account = self.account(wallet, 1_000).await;
        wallet.offline_register(&url(), &account).await.unwrap();
        wallet.offline_lock_bond(&url(), bond).await.unwrap();
        assert_eq!(wallet.offline_withdraw(&url(), withdraw, |_, _| {}).await.unwrap(), withdraw);
        account
    }
}

async fn requests(store: &dyn WalletStore) -> Vec<OfflineRequestRecord> {
    get_all_json(store, Table::OfflineRequests).await.unwrap()
}

async fn coins(store: &dyn WalletStore) -> Vec<OfflineCoinRecord> {
    get_all_json(store, Table::OfflineCoins).await.unwrap()
}

fn posts(connector: &InProcess, path: &str) -> Vec<String> {
    connector.bodies.borrow().iter().filter(|(p, _)| p == path).map(|(_, b)| b.clone()).collect()
}

async fn receipt_key(world: &World) -> shared::PublicKey {
    let (_, text) = world.mints.call(Method::GET, MINT, "/v1/info", None).await;
    let info: serde_json::Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(info["offline"]["receipt_key"].clone()).unwrap()
}

#[tokio::test]
async fn register_bond_withdraw_pay_and_deposit_with_a_verified_receipt() {
    let world = world().await;
    let (payer, _, _) = world.wallet().await;
    let (payee, payee_store, _) = world.wallet().await;

    // Not registered yet: the view says so and sends nothing.
    let before = payer.offline_account(&url()).await.unwrap();
    assert!(!before.registered && before.account.is_none());
    assert_eq!(before.identity, payer.offline_identity().await.unwrap());

    let account = world.account(&payer, 1_000).await;
    let registered = payer.offline_register(&url(), &account).await.unwrap();
    assert!(registered.registered);
    assert_eq!(registered.account.as_deref(), Some(account.as_str()));
    // Idempotent.
    assert_eq!(payer.offline_register(&url(), &account).await.unwrap(), registered);

    let bonded = payer.offline_lock_bond(&url(), 200).await.unwrap();
    assert_eq!((bonded.bond, bonded.limit, bonded.available), (200, 200, 200));
    assert_eq!(world.mints.account_balance(MINT, &account).await, 800);
    let entries = world.offline_account(&payer, &account).await.bond_entries;
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].delta, entries[0].reason.as_str()), (200, "lock"));

    let calls = RefCell::new(Vec::new());
    let added = payer.offline_withdraw(&url(), 100, |done, total| calls.borrow_mut().push((done, total))).await;
    assert_eq!(added.unwrap(), 100);
    let calls = calls.into_inner();
    let total = calls[0].1;
    assert_eq!(calls, (0..=total).map(|done| (done, total)).collect::<Vec<_>>());
    assert!(total > 1);
    assert_eq!(world.mints.account_balance(MINT, &account).await, 700);
    let balance = payer.offline_balance().await.unwrap();
    assert_eq!((balance.spendable, balance.payable.clone()), (100, vec![(1, 100)]));
    let view = payer.offline_account(&url()).await.unwrap();
    assert_eq!((view.withdrawn, view.available), (100, 100));
    assert!(view.keysets.iter().any(|k| (k.valid_from, k.valid_until, k.deposit_deadline) == (10_000, 11_000, 11_500)));
    // Above the limit: refused in plain words, nothing withdrawn.
    let refused = payer.offline_withdraw(&url(), 101, |_, _| {}).await.unwrap_err();
    assert!(refused.to_string().contains("100 more"), "{refused}");

    // The payee caches the keysets online, then both are offline for the payment.
    assert!(payee.offline_sync(&url()).await.unwrap().keysets >= 1);
    let request = payee.request_offline(37).await.unwrap();
    let payment = payer.pay_offline(&request.text).await.unwrap();
    payee.receive_offline(&payment.text).await.unwrap();
    assert_eq!(payer.offline_balance().await.unwrap().spendable, 63);

    // Back online: the payee's sync deposits into online notes.
    let synced = payee.offline_sync(&url()).await.unwrap();
    assert_eq!((synced.deposited_amount, synced.from_bond, synced.pending, synced.refused), (37, 0, 0, 0));
    assert_eq!(synced.deposited, shared::Amount::from(37).split().len());
    assert_eq!(payee.balance().await.unwrap(), shared::Amount::from(37));
    let record = &requests(&*payee_store).await[0];
    let key = receipt_key(&world).await;
    assert_eq!(record.deposits.len(), synced.deposited);
    for deposit in &record.deposits {
        let receipt = deposit.receipt.as_ref().expect("a receipt kept");
        receipt.verify_vartime(&key).unwrap();
        assert_eq!(receipt.amount_paid, deposit.amount_paid);
    }
    let history = payee.history().await.unwrap();
    let deposited: Vec<_> = history.iter().filter(|e| e.memo.as_deref() == Some("Offline payment deposited")).collect();
    assert_eq!((deposited.len(), deposited[0].amount), (1, shared::Amount::from(37)));
    let shown = &payee.offline_requests().await.unwrap()[0];
    assert_eq!((shown.deposited, shown.receipts, shown.deposit_problem.as_ref()), (37, synced.deposited, None));
    // Nothing is deposited twice.
    assert_eq!(payee.offline_sync(&url()).await.unwrap().deposited, 0);
    assert_eq!(payee.balance().await.unwrap(), shared::Amount::from(37));
}

/// What decides whether the wallet page loads the offline part at start (`components::on_demand`): a wallet
/// that holds no offline coins, payments, requests or journal is not "in use" and only refreshes its cache
/// of the mint's offline keysets, which is enough to receive an offline payment later with no network.
#[tokio::test]
async fn a_wallet_uses_offline_coins_once_it_holds_any() {
    let world = world().await;
    let (payer, _, _) = world.wallet().await;
    let (payee, payee_store, _) = world.wallet().await;
    assert!(!payer.offline_in_use().await.unwrap());
    assert!(!payee.offline_in_use().await.unwrap());

    // Registered with a bond but no coins yet: still nothing for a sync to move.
    let account = world.account(&payer, 1_000).await;
    payer.offline_register(&url(), &account).await.unwrap();
    payer.offline_lock_bond(&url(), 100).await.unwrap();
    assert!(!payer.offline_in_use().await.unwrap());
    payer.offline_withdraw(&url(), 50, |_, _| {}).await.unwrap();
    assert!(payer.offline_in_use().await.unwrap());

    // The payee only refreshed the keysets (no full sync), yet receives offline.
    assert!(get_all_json::<serde_json::Value>(&*payee_store, Table::OfflineKeysets).await.unwrap().is_empty());
    assert!(payee.offline_refresh_keysets(&url()).await.unwrap() >= 1);
    assert!(!get_all_json::<serde_json::Value>(&*payee_store, Table::OfflineKeysets).await.unwrap().is_empty());
    assert!(!payee.offline_in_use().await.unwrap());
    let request = payee.request_offline(21).await.unwrap();
    assert!(payee.offline_in_use().await.unwrap());
    let payment = payer.pay_offline(&request.text).await.unwrap();
    payee.receive_offline(&payment.text).await.unwrap();
    assert!(payee.offline_requests().await.unwrap()[0].received_at.is_some());
}

/// The coins of received payments go to the mint in one batch (`POST /v1/offline/deposits`), each settled
/// from its own result; a batch the mint refuses as a whole is sent again one deposit at a time; a refusal
/// in a batch's answer for outputs the mint did sign still ends with the notes (found by `/v1/restore`).
#[tokio::test]
async fn received_coins_are_deposited_in_one_batch() {
    let world = world().await;
    let (payee, _, payee_net) = world.wallet().await;
    payee.offline_sync(&url()).await.unwrap();
    // Each payment from a payer of its own, with coins of 1, 1, 2 and 4.
    let pay = |amount: u64| {
        let (world, payee) = (&world, &payee);
        async move {
            let (payer, _, _) = world.wallet().await;
            world.payer(&payer, 100, 8).await;
            let request = payee.request_offline(amount).await.unwrap();
            payee.receive_offline(&payer.pay_offline(&request.text).await.unwrap().text).await.unwrap();
        }
    };
    pay(7).await;
    let synced = payee.offline_sync(&url()).await.unwrap();
    assert!(synced.deposited > 1, "7 is paid with several coins");
    assert_eq!((synced.deposited_amount, synced.pending), (7, 0));
    assert_eq!(posts(&payee_net, "/v1/offline/deposits").len(), 1);
    assert!(posts(&payee_net, "/v1/offline/deposit").is_empty());

    // Refused as a whole (as by a mint without batches): one request per coin instead.
    pay(6).await;
    payee_net.inject(Fault::Refuse("/v1/offline/deposits".into(), 13000));
    let synced = payee.offline_sync(&url()).await.unwrap();
    assert_eq!((synced.deposited_amount, synced.pending), (6, 0));
    assert_eq!(posts(&payee_net, "/v1/offline/deposit").len(), synced.deposited);

    // The answer says the first deposit was refused although the mint signed its outputs.
    pay(5).await;
    payee_net.inject(Fault::Rewrite("/v1/offline/deposits".into(), |text| {
        let mut answer: serde_json::Value = serde_json::from_str(text).unwrap();
        answer["results"][0] = serde_json::json!({ "error": { "code": 13031, "detail": "rewritten" } });
        answer.to_string()
    }));
    let synced = payee.offline_sync(&url()).await.unwrap();
    assert_eq!((synced.deposited_amount, synced.pending, synced.refused), (5, 0, 0));
    assert_eq!(payee.balance().await.unwrap(), shared::Amount::from(7 + 6 + 5));
}

#[tokio::test]
async fn a_crash_between_session_and_withdraw_loses_nothing() {
    let world = world().await;
    let (payer, store, connector) = world.wallet().await;
    let account = world.payer(&payer, 100, 1).await;
    let after_first = world.mints.account_balance(MINT, &account).await;

    // The tab dies as the withdraw request leaves (sent, answer lost): the account paid for the coin.
    connector.inject(Fault::LoseAnswer("/v1/offline/withdraw".into()));
    let lost = payer.offline_withdraw(&url(), 1, |_, _| {}).await.unwrap_err();
    assert!(matches!(lost, WalletError::Network { .. }), "{lost}");
    assert_eq!(world.mints.account_balance(MINT, &account).await, after_first - 1);
    drop(payer);
    // Long after the session timed out, a reload recovers the coin with the identical request.
    world.clock.advance(120);
    let (reloaded, connector) = world.wallet_on(store.clone(), None).await;
    let report = reloaded.recover().await.unwrap();
    assert_eq!((report.finished, report.still_pending), (1, 0));
    assert_eq!(reloaded.offline_balance().await.unwrap().spendable, 2);
    assert_eq!(posts(&connector, "/v1/offline/withdraw").len(), 1);

    // The tab dies before the request leaves and the session times out: nothing debited, nothing kept.
    connector.inject(Fault::FailBeforeSend("/v1/offline/withdraw".into()));
    reloaded.offline_withdraw(&url(), 1, |_, _| {}).await.unwrap_err();
    world.clock.advance(120);
    let (again, _) = world.wallet_on(store.clone(), None).await;
    let report = again.recover().await.unwrap();
    assert_eq!((report.rolled_back, report.still_pending), (1, 0));
    assert_eq!(world.mints.account_balance(MINT, &account).await, after_first - 1);
    // The next withdrawal works, with the counter the dropped one did not use.
    assert_eq!(again.offline_withdraw(&url(), 1, |_, _| {}).await.unwrap(), 1);
    assert_eq!(again.offline_balance().await.unwrap().spendable, 3);
    assert_eq!(world.mints.account_balance(MINT, &account).await, after_first - 2);
    assert_eq!(coins(&*store).await.len(), 3);
}

#[tokio::test]
async fn a_lost_deposit_answer_ends_deposited_exactly_once() {
    let world = world().await;
    let (payer, _, _) = world.wallet().await;
    let (payee, _, payee_net) = world.wallet().await;
    world.payer(&payer, 100, 8).await;
    payee.offline_sync(&url()).await.unwrap();
    // One coin of 4 pays it (the spread of 8 is 1, 1, 2, 4).
    let request = payee.request_offline(4).await.unwrap();
    payee.receive_offline(&payer.pay_offline(&request.text).await.unwrap().text).await.unwrap();

    // The mint deposits, then a proxy answers 502: no verdict, the deposit stays pending.
    payee_net.inject(Fault::Replace("/v1/offline/deposit".into(), 502, "<html>Bad Gateway</html>".into()));
    let first = payee.offline_sync(&url()).await.unwrap();
    assert_eq!((first.deposited, first.pending), (0, 1));
    assert_eq!(payee.balance().await.unwrap(), shared::Amount::ZERO);
    // The next sync sends the identical body and gets the identical answer.
    let second = payee.offline_sync(&url()).await.unwrap();
    assert_eq!((second.deposited, second.deposited_amount, second.pending), (1, 4, 0));
    let bodies = posts(&payee_net, "/v1/offline/deposit");
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(payee.balance().await.unwrap(), shared::Amount::from(4));
    assert_eq!(payee.offline_sync(&url()).await.unwrap().deposited, 0);
    assert_eq!(payee.balance().await.unwrap(), shared::Amount::from(4));
}

#[tokio::test]
async fn a_lost_deposit_answer_is_finished_by_recovery() {
    let world = world().await;
    let (payer, _, _) = world.wallet().await;
    let (payee, payee_store, payee_net) = world.wallet().await;
    world.payer(&payer, 100, 4).await;
    payee.offline_sync(&url()).await.unwrap();
    let request = payee.request_offline(4).await.unwrap();
    payee.receive_offline(&payer.pay_offline(&request.text).await.unwrap().text).await.unwrap();
    // The coins of the payment go in one batch, whose answer is lost: all pending, all finished by recovery.
    payee_net.inject(Fault::LoseAnswer("/v1/offline/deposit".into()));
    let coins = payee.offline_sync(&url()).await.unwrap().pending;
    assert!(coins >= 1);
    drop(payee);
    let (reloaded, _) = world.wallet_on(payee_store, None).await;
    assert_eq!(reloaded.recover().await.unwrap().finished, coins);
    assert_eq!(reloaded.balance().await.unwrap(), shared::Amount::from(4));
    assert_eq!(reloaded.offline_sync(&url()).await.unwrap().deposited, 0);
    assert_eq!(reloaded.balance().await.unwrap(), shared::Amount::from(4));
}

#[tokio::test]
async fn restored_coins_are_never_spent_offline_and_are_refunded_after_the_deadline() {
    let world = world().await;
    let (lost, _, _) = world.wallet().await;
    let account = world.payer(&lost, 100, 15).await;
    let words = lost.mnemonic().await.unwrap();
    let balance = world.mints.account_balance(MINT, &account).await;

    // The phone is lost: the same words in a fresh store.
    let store = Rc::new(MemoryStore::new());
    let (restored, _) = world.wallet_on(store.clone(), Some(&words)).await;
    assert!(restored.offline_register(&url(), &account).await.unwrap().registered);
    assert_eq!(restored.offline_restore(&url()).await.unwrap(), 15);
    assert!(coins(&*store).await.iter().all(|c| c.origin == CoinOrigin::Restored));
    let offline = restored.offline_balance().await.unwrap();
    assert_eq!((offline.spendable, offline.restored), (0, 15));
    // Restoring again adds nothing.
    assert_eq!(restored.offline_restore(&url()).await.unwrap(), 0);

    // Paying with them is refused, in plain words.
    let (payee, _, _) = world.wallet().await;
    payee.offline_sync(&url()).await.unwrap();
    let request = payee.request_offline(5).await.unwrap();
    let refused = restored.pay_offline(&request.text).await.unwrap_err().to_string();
    assert!(refused.contains("restored offline coins are never spent offline"), "{refused}");

    // Before the deadline nothing is refunded; after it, every coin comes back to the account.
    assert_eq!(restored.offline_sync(&url()).await.unwrap().refunded, 0);
    world.clock.advance(11_600 - START);
    let synced = restored.offline_sync(&url()).await.unwrap();
    assert_eq!((synced.refunded_amount, synced.pending), (15, 0));
    assert_eq!(world.mints.account_balance(MINT, &account).await, balance + 15);
    assert_eq!(restored.offline_balance().await.unwrap().restored, 0);
    // Never twice.
    assert_eq!(restored.offline_sync(&url()).await.unwrap().refunded, 0);
    assert_eq!(world.mints.account_balance(MINT, &account).await, balance + 15);
}

/// A phone lost until after the deadline: a wallet restored then has never cached the keyset, yet the mint
/// still lists it during the refund window, so the coins are rebuilt and refunded.
#[tokio::test]
async fn a_wallet_restored_after_the_deadline_rebuilds_and_refunds_its_coins() {
    let world = world().await;
    let (lost, _, _) = world.wallet().await;
    let account = world.payer(&lost, 100, 15).await;
    let words = lost.mnemonic().await.unwrap();
    let balance = world.mints.account_balance(MINT, &account).await;

    world.clock.advance(11_600 - START);
    let store = Rc::new(MemoryStore::new());
    let (restored, _) = world.wallet_on(store.clone(), Some(&words)).await;
    assert!(restored.offline_register(&url(), &account).await.unwrap().registered);
    assert_eq!(restored.offline_restore(&url()).await.unwrap(), 15);
    let synced = restored.offline_sync(&url()).await.unwrap();
    assert_eq!((synced.refunded_amount, synced.pending), (15, 0));
    assert_eq!(world.mints.account_balance(MINT, &account).await, balance + 15);
}

#[tokio::test]
async fn own_coins_are_exchanged_for_online_notes_before_their_keyset_expires() {
    let world = world().await;
    let (payer, _, _) = world.wallet().await;
    world.payer(&payer, 100, 10).await;
    assert_eq!(payer.offline_sync(&url()).await.unwrap().exchanged, 0);
    // Within a quarter of the period of the end of its validity.
    world.clock.advance(10_800 - START);
    let synced = payer.offline_sync(&url()).await.unwrap();
    assert_eq!((synced.exchanged_amount, synced.deposited_amount), (10, 10));
    assert_eq!(payer.offline_balance().await.unwrap().spendable, 0);
    assert_eq!(payer.balance().await.unwrap(), shared::Amount::from(10));
    // Its own exchange is no request or payment of the user's.
    assert!(payer.offline_requests().await.unwrap().is_empty());
    assert!(payer.offline_payments().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_double_spend_by_a_scripted_cheater_is_in_the_evidence() {
    let world = world().await;
    let (cheater, cheater_store, _) = world.wallet().await;
    let (victim, _, _) = world.wallet().await;
    let (other, _, _) = world.wallet().await;
    world.payer(&cheater, 64, 8).await;
    for payee in [&victim, &other] {
        payee.offline_sync(&url()).await.unwrap();
    }

    // Honest first payment through the wallet.
    // The spread of 8 is 1, 1, 2, 4: the coin of 4 pays 4 alone.
    let first = other.request_offline(4).await.unwrap();
    other.receive_offline(&cheater.pay_offline(&first.text).await.unwrap().text).await.unwrap();
    // Then the cheater answers a second request with the same coin, with `shared` behind the wallet's back.
    let seed = WalletSeed::from_mnemonic(&parse_mnemonic(&cheater.mnemonic().await.unwrap()).unwrap());
    let u1 = IdentitySecret::from_seed(seed.as_bytes()).unwrap();
    let record = coins(&*cheater_store).await.into_iter().find(|c| c.coin.amount == 4).unwrap();
    let secrets =
        CoinSecrets::derive(seed.as_bytes(), &record.coin.keyset_id, record.counter, &record.a0, &record.b0).unwrap();
    let coin = WalletCoin::from_secrets(record.coin.clone(), &secrets, &u1.identity().unwrap()).unwrap();
    let second = victim.request_offline(4).await.unwrap();
    let request = request_from_text(&second.text).unwrap();
    let payment = Payment::pay(&u1, &[coin], &request).unwrap();
    let text = payment_to_text(&PaymentMessage { request, coins: payment.coins }).unwrap();
    victim.receive_offline(&text).await.unwrap();

    assert_eq!(other.offline_sync(&url()).await.unwrap().deposited_amount, 4);
    let synced = victim.offline_sync(&url()).await.unwrap();
    assert_eq!((synced.deposited_amount, synced.from_bond), (4, 4));
    assert_eq!(victim.balance().await.unwrap(), shared::Amount::from(4));

    let evidence = victim.offline_evidence(&url()).await.unwrap();
    assert_eq!(evidence.len(), 1);
    let case = &evidence[0];
    assert!(case.verified && case.problem.is_none());
    assert_eq!(case.identity.as_deref(), Some(cheater.offline_identity().await.unwrap().as_str()));
    assert_eq!(case.coin, record.coin.a_point.to_hex());
    assert!(case.concerns_my_deposit && !case.is_me);
    // The cheater's own view: blocked, and the case names it.
    assert!(cheater.offline_account(&url()).await.unwrap().blocked);
    assert!(cheater.offline_evidence(&url()).await.unwrap()[0].is_me);
    // A bystander sees the case verified, not concerning it.
    let (bystander, _, _) = world.wallet().await;
    let seen = bystander.offline_evidence(&url()).await.unwrap();
    assert!(seen[0].verified && !seen[0].concerns_my_deposit && !seen[0].is_me);
}

#[tokio::test]
async fn a_receipt_that_does_not_verify_is_not_kept_but_the_notes_are() {
    let world = world().await;
    let (payer, _, _) = world.wallet().await;
    let (payee, payee_store, payee_net) = world.wallet().await;
    world.payer(&payer, 100, 8).await;
    payee.offline_sync(&url()).await.unwrap();
    // One coin of 4 pays it (the spread of 8 is 1, 1, 2, 4).
    let request = payee.request_offline(4).await.unwrap();
    payee.receive_offline(&payer.pay_offline(&request.text).await.unwrap().text).await.unwrap();
    // The answer's receipt claims another time than the mint signed.
    fn forge(text: &str) -> String {
        let mut answer: serde_json::Value = serde_json::from_str(text).unwrap();
        let time = answer["receipt"]["time"].as_u64().unwrap();
        answer["receipt"]["time"] = serde_json::json!(time + 1);
        answer.to_string()
    }
    payee_net.inject(Fault::Rewrite("/v1/offline/deposit".into(), forge));
    assert_eq!(payee.offline_sync(&url()).await.unwrap().deposited_amount, 4);
    assert_eq!(payee.balance().await.unwrap(), shared::Amount::from(4));
    let deposits = &requests(&*payee_store).await[0].deposits;
    assert_eq!(deposits.len(), 1);
    assert!(deposits[0].receipt.is_none(), "a receipt that does not verify is not kept");
}

/// The history entries of `kind` as `(amount, status)`, by amount (the hand-set clock gives them one time).
async fn entries(wallet: &Wallet, kind: HistoryKind) -> Vec<(u64, HistoryStatus)> {
    let history: Vec<HistoryEntry> = wallet.history().await.unwrap();
    let mut found: Vec<_> = history.iter().filter(|e| e.kind == kind).map(|e| (e.amount.to_u64(), e.status)).collect();
    found.sort_by_key(|(amount, _)| *amount);
    found
}

#[tokio::test]
async fn bonds_withdrawals_and_refunds_each_get_one_history_entry() {
    let world = world().await;
    let (wallet, _, _) = world.wallet().await;
    let account = world.account(&wallet, 1_000).await;
    wallet.offline_register(&url(), &account).await.unwrap();
    assert!(wallet.history().await.unwrap().is_empty(), "registering moves no money");

    wallet.offline_lock_bond(&url(), 200).await.unwrap();
    wallet.offline_lock_bond(&url(), 50).await.unwrap();
    let done = HistoryStatus::Done;
    assert_eq!(entries(&wallet, HistoryKind::BondLocked).await, vec![(50, done), (200, done)]);
    let memos: Vec<String> = wallet.history().await.unwrap().into_iter().filter_map(|e| e.memo).collect();
    assert!(memos.iter().any(|m| m.contains("bond now 250")), "{memos:?}");

    // One entry per withdrawal, whatever the number of coins (the spread of 100 has several).
    assert_eq!(wallet.offline_withdraw(&url(), 100, |_, _| {}).await.unwrap(), 100);
    assert_eq!(entries(&wallet, HistoryKind::OfflineWithdrawn).await, vec![(100, done)]);
    assert_eq!(wallet.offline_withdraw(&url(), 15, |_, _| {}).await.unwrap(), 15);
    assert_eq!(entries(&wallet, HistoryKind::OfflineWithdrawn).await, vec![(15, done), (100, done)]);
    // A refused withdrawal writes nothing.
    wallet.offline_withdraw(&url(), 1_000, |_, _| {}).await.unwrap_err();
    assert_eq!(entries(&wallet, HistoryKind::OfflineWithdrawn).await.len(), 2);

    // After the deposit deadline every coin is refunded: one entry for the sync's refunds.
    let balance = world.mints.account_balance(MINT, &account).await;
    world.clock.advance(11_600 - START);
    assert_eq!(wallet.offline_sync(&url()).await.unwrap().refunded_amount, 115);
    assert_eq!(world.mints.account_balance(MINT, &account).await, balance + 115);
    assert_eq!(entries(&wallet, HistoryKind::OfflineRefunded).await, vec![(115, done)]);
    // A sync (and a recovery) later: nothing refunded, nothing written again.
    assert_eq!(wallet.offline_sync(&url()).await.unwrap().refunded, 0);
    wallet.recover().await.unwrap();
    assert_eq!(entries(&wallet, HistoryKind::OfflineRefunded).await, vec![(115, done)]);
    assert_eq!(wallet.history().await.unwrap().len(), 5);
}

#[tokio::test]
async fn a_withdrawal_whose_answer_is_lost_mid_way_keeps_one_entry_through_recovery() {
    let world = world().await;
    let (wallet, store, connector) = world.wallet().await;
    let account = world.account(&wallet, 1_000).await;
    wallet.offline_register(&url(), &account).await.unwrap();
    wallet.offline_lock_bond(&url(), 100).await.unwrap();
    // The spread of 3 is 1, 2: the answer for the coin of 2 is lost (the mint debited it).
    let lost = wallet
        .offline_withdraw(&url(), 3, |done, _| {
            if done == 1 {
                connector.inject(Fault::LoseAnswer("/v1/offline/withdraw".into()));
            }
        })
        .await
        .unwrap_err();
    assert!(matches!(lost, WalletError::Network { .. }), "{lost}");
    let done = HistoryStatus::Done;
    assert_eq!(entries(&wallet, HistoryKind::OfflineWithdrawn).await, vec![(1, done)]);
    drop(wallet);
    let (reloaded, _) = world.wallet_on(store.clone(), None).await;
    assert_eq!(reloaded.recover().await.unwrap().finished, 1);
    assert_eq!(reloaded.offline_balance().await.unwrap().spendable, 3);
    // The recovered coin joins its withdrawal's entry.
    assert_eq!(entries(&reloaded, HistoryKind::OfflineWithdrawn).await, vec![(3, done)]);
    assert_eq!(reloaded.recover().await.unwrap(), Default::default());
    assert_eq!(entries(&reloaded, HistoryKind::OfflineWithdrawn).await, vec![(3, done)]);
    assert_eq!(reloaded.offline_withdraw(&url(), 1, |_, _| {}).await.unwrap(), 1);
    assert_eq!(entries(&reloaded, HistoryKind::OfflineWithdrawn).await, vec![(1, done), (3, done)]);
}

#[tokio::test]
async fn a_lost_bond_answer_is_recovered_with_one_entry() {
    let world = world().await;
    let (wallet, store, connector) = world.wallet().await;
    let account = world.account(&wallet, 1_000).await;
    wallet.offline_register(&url(), &account).await.unwrap();
    connector.inject(Fault::LoseAnswer("/v1/offline/bond".into()));
    assert!(matches!(wallet.offline_lock_bond(&url(), 60).await, Err(WalletError::Network { .. })));
    assert!(entries(&wallet, HistoryKind::BondLocked).await.is_empty(), "no answer yet");
    drop(wallet);
    let (reloaded, _) = world.wallet_on(store, None).await;
    assert_eq!(reloaded.recover().await.unwrap().finished, 1);
    assert_eq!(entries(&reloaded, HistoryKind::BondLocked).await, vec![(60, HistoryStatus::Done)]);
    assert_eq!(reloaded.recover().await.unwrap(), Default::default());
    assert_eq!(entries(&reloaded, HistoryKind::BondLocked).await.len(), 1);
    assert_eq!(world.offline_account(&reloaded, &account).await.bond, 60);
    // A refused bond (more than the bank balance) writes nothing.
    reloaded.offline_lock_bond(&url(), 10_000).await.unwrap_err();
    assert_eq!(entries(&reloaded, HistoryKind::BondLocked).await.len(), 1);
}

/// A store whose next commit writing to the history fails, applying nothing: the tab dies in the commit
/// that ends an operation.
struct DiesInCommit {
    inner: Rc<MemoryStore>,
    armed: Cell<bool>,
}

#[async_trait::async_trait(?Send)]
impl WalletStore for DiesInCommit {
    fn name(&self) -> String {
        self.inner.name()
    }

    async fn get(&self, table: Table, key: &str) -> Result<Option<String>, WalletError> {
        self.inner.get(table, key).await
    }

    async fn get_all(&self, table: Table) -> Result<Vec<(String, String)>, WalletError> {
        self.inner.get_all(table).await
    }

    async fn commit(&self, batch: Batch) -> Result<(), WalletError> {
        if self.armed.get() && batch.tables().contains(&Table::History) {
            self.armed.set(false);
            return Err(WalletError::Storage("the tab died".into()));
        }
        self.inner.commit(batch).await
    }
}

#[tokio::test]
async fn a_crash_in_the_final_commit_leaves_no_entry_and_recovery_writes_it_once() {
    let world = world().await;
    let inner = Rc::new(MemoryStore::new());
    let dying = Rc::new(DiesInCommit { inner: inner.clone(), armed: Cell::new(false) });
    let (wallet, _) = world.wallet_on(dying.clone(), None).await;
    let account = world.account(&wallet, 1_000).await;
    wallet.offline_register(&url(), &account).await.unwrap();
    let done = HistoryStatus::Done;

    // The bond: the mint locked it, the commit ending its journal dies.
    dying.armed.set(true);
    assert!(matches!(wallet.offline_lock_bond(&url(), 40).await, Err(WalletError::Storage(_))));
    assert_eq!(world.offline_account(&wallet, &account).await.bond, 40);
    assert!(wallet.history().await.unwrap().is_empty());
    drop(wallet);
    let (reloaded, _) = world.wallet_on(inner.clone(), None).await;
    assert_eq!(reloaded.recover().await.unwrap().finished, 1);
    assert_eq!(entries(&reloaded, HistoryKind::BondLocked).await, vec![(40, done)]);
    assert_eq!(world.offline_account(&reloaded, &account).await.bond, 40);
    drop(reloaded);

    // The withdrawal: the mint debited the coin, the commit adding it dies.
    let (wallet, _) = world.wallet_on(dying.clone(), None).await;
    dying.armed.set(true);
    assert!(matches!(wallet.offline_withdraw(&url(), 1, |_, _| {}).await, Err(WalletError::Storage(_))));
    assert_eq!(coins(&*inner).await.len(), 0);
    assert!(entries(&wallet, HistoryKind::OfflineWithdrawn).await.is_empty());
    drop(wallet);
    let (reloaded, _) = world.wallet_on(inner.clone(), None).await;
    assert_eq!(reloaded.recover().await.unwrap().finished, 1);
    assert_eq!(coins(&*inner).await.len(), 1);
    assert_eq!(entries(&reloaded, HistoryKind::OfflineWithdrawn).await, vec![(1, done)]);
    assert_eq!(reloaded.recover().await.unwrap(), Default::default());
    assert_eq!(entries(&reloaded, HistoryKind::OfflineWithdrawn).await, vec![(1, done)]);
    assert_eq!(entries(&reloaded, HistoryKind::BondLocked).await, vec![(40, done)]);
}
