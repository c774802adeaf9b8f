//! Offline coins at the mint (issue 13, section 3) over HTTP, on SQLite and PostgreSQL. The test plays the
//! wallets with `shared::offline`: register (a bad proof refused), bond and limit, withdraw (one open session
//! per account, sessions time out, the limit enforced), deposit with receipts (replay refused, retry
//! answered identically), double spend (identity extracted, evidence verifiable by `shared`'s verifier,
//! account blocked, honest payees paid from the bond until it is exhausted), the deposit deadline, the
//! conservation of value and the ledgers. Times come from a hand-set clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::wallet::{Pending, TestMint};
use mint_server::funding::FundingRegistry;
use mint_server::mint::{Mint, MintSettings};
use mint_server::offline::{Clock, OfflineSettings};
use mint_server::store::offline as offline_rows;
use mint_server::store::{FaultInjection, MintStore, SqliteOptions, SqliteStore};
use shared::nuts::ErrorResponse;
use shared::nuts::bank::AccountInfo;
use shared::offline::api::{
    AccountResponse, BondRequest, DepositRequest, DepositResponse, EvidenceResponse, KeysetsResponse, ReadAuth,
    RefundRequest, RefundResponse, RegisterRequest, SessionRequest, SessionResponseBody, WithdrawRequest,
    WithdrawalTranscript, WithdrawalsResponse,
};
use shared::offline::api::{DepositBatchRequest, DepositBatchResponse, DepositResult, deposit_parts};
use shared::offline::auth::{self, op};
use shared::offline::{
    CoinSecrets, DepositOutcome, DepositTranscript, IdentitySecret, OfflineKeyset, PaymentRequest, PendingWithdrawal,
    WalletCoin,
};
use shared::{KeySet, PublicKey, SecretKey};

const TOKEN: [u8; 32] = [9; 32];
/// Period 10 of 1000 s: valid 10000..=11000, deposits until 11500.
const START: u64 = 10_100;
/// Refunds from 11501 until 13500.
const SETTINGS: OfflineSettings = OfflineSettings {
    period_secs: 1000,
    deposit_grace_secs: 500,
    denominations: 8,
    session_ttl_secs: 60,
    refund_window_secs: 2000,
};

struct World {
    mint: TestMint,
    clock: Clock,
    store: Arc<dyn MintStore>,
}

async fn world(store: Arc<dyn MintStore>) -> World {
    let clock = Clock::manual(START);
    let funding = FundingRegistry::standard(Arc::clone(&store), true);
    let mint = Mint::new(Arc::clone(&store), vec![7u8; 32], MintSettings::default(), funding)
        .await
        .unwrap()
        .with_offline(SETTINGS, clock.clone())
        .unwrap();
    World { mint: TestMint::serve_with_token(Arc::new(mint), TOKEN.to_vec()).await, clock, store }
}

/// A bank account holder.
struct Holder {
    key: SecretKey,
    account: String,
}

/// A payer: a bank account registered for offline use.
struct Payer {
    holder: Holder,
    u1: IdentitySecret,
}

impl World {
    async fn admin_post<T: serde::de::DeserializeOwned>(&self, path: &str, body: serde_json::Value) -> T {
        let response = self
            .mint
            .client
            .post(self.mint.url(path))
            .bearer_auth(hex::encode(TOKEN))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn holder(&self, credit: u64) -> Holder {
        let key = SecretKey::random().unwrap();
        let account: AccountInfo =
            self.admin_post("/admin/accounts", serde_json::json!({ "pubkey": key.public_key() })).await;
        if credit > 0 {
            let _: AccountInfo = self
                .admin_post(&format!("/admin/accounts/{}/credit", account.id), serde_json::json!({ "amount": credit }))
                .await;
        }
        Holder { key, account: account.id }
    }

    async fn balance(&self, account: &str) -> u64 {
        let response = self
            .mint
            .client
            .get(self.mint.url(&format!("/admin/accounts/{account}")))
            .bearer_auth(hex::encode(TOKEN))
            .send()
            .await
            .unwrap();
        response.json::<AccountInfo>().await.unwrap().balance.to_u64()
    }

    async fn keyset(&self) -> (OfflineKeyset, PublicKey) {
        let keysets: KeysetsResponse = self.mint.get("/v1/offline/keysets").await.unwrap();
        let now = self.clock.now();
        let current = keysets.keysets.iter().find(|k| k.valid_from <= now && now < k.valid_until).unwrap().clone();
        (current, keysets.receipt_key)
    }

    async fn register(&self, holder: Holder) -> Result<Payer, ErrorResponse> {
        let u1 = IdentitySecret::random().unwrap();
        let registration = u1.prove_registration(holder.account.as_bytes()).unwrap();
        let identity = registration.identity.to_bytes();
        let signature = auth::sign(&holder.key, op::REGISTER, &[holder.account.as_bytes(), &identity]).unwrap();
        let request = RegisterRequest { account: holder.account.clone(), registration, signature };
        let answer: AccountResponse = self.mint.post("/v1/offline/register", &request).await?;
        assert_eq!(answer.identity, u1.identity().unwrap());
        Ok(Payer { holder, u1 })
    }

    async fn bond(&self, payer: &Payer, bond: u64, limit: u64) -> Result<AccountResponse, ErrorResponse> {
        let account = payer.holder.account.as_bytes();
        let parts: [&[u8]; 3] = [account, &bond.to_be_bytes(), &limit.to_be_bytes()];
        let signature = auth::sign(&payer.holder.key, op::BOND, &parts).unwrap();
        let request = BondRequest { account: payer.holder.account.clone(), bond, limit, signature };
        self.mint.post("/v1/offline/bond", &request).await
    }

    async fn session(&self, payer: &Payer, amount: u64) -> Result<SessionResponseBody, ErrorResponse> {
        let (keyset, _) = self.keyset().await;
        let request = SessionRequest::sign(
            &payer.holder.key,
            &payer.holder.account,
            keyset.id,
            amount,
            SecretKey::random().unwrap().to_bytes(),
        )
        .unwrap();
        self.mint.post("/v1/offline/session", &request).await
    }

    async fn answer(&self, payer: &Payer, session: &SessionResponseBody) -> (PendingWithdrawal, WithdrawRequest) {
        let (keyset, _) = self.keyset().await;
        let identity = payer.u1.identity().unwrap();
        let (pending, challenge) =
            PendingWithdrawal::prepare(&identity, &keyset, &session.start, CoinSecrets::random().unwrap()).unwrap();
        let account = &payer.holder.account;
        let parts: [&[u8]; 3] = [account.as_bytes(), session.session.as_bytes(), &challenge.c0.to_bytes()];
        let signature = auth::sign(&payer.holder.key, op::WITHDRAW, &parts).unwrap();
        (pending, WithdrawRequest { account: account.clone(), session: session.session.clone(), challenge, signature })
    }

    async fn withdraw(&self, payer: &Payer, amount: u64) -> Result<WalletCoin, ErrorResponse> {
        let session = self.session(payer, amount).await?;
        let (pending, request) = self.answer(payer, &session).await;
        let answer: WithdrawalTranscript = self.mint.post("/v1/offline/withdraw", &request).await?;
        Ok(pending.finish(&answer.response).unwrap())
    }

    /// The payer pays `coin` offline to a fresh payee key; the payee's signed transcript.
    fn pay(&self, payer: &Payer, coin: &WalletCoin) -> (DepositTranscript, SecretKey) {
        let payee = SecretKey::random().unwrap();
        let request = PaymentRequest::new(payee.public_key(), self.clock.now(), coin.coin.amount).unwrap();
        let spent = coin.respond(&payer.u1, &request).unwrap();
        (DepositTranscript::sign(&spent, &request, &payee).unwrap(), payee)
    }

    fn deposit_request(transcript: &DepositTranscript, payee: &SecretKey, account: &str) -> DepositRequest {
        let message = transcript.message().unwrap();
        let parts = deposit_parts(Some(account), &message, None);
        let signature = auth::sign(payee, op::DEPOSIT, &[&parts[0], &parts[1], &parts[2]]).unwrap();
        DepositRequest { transcript: transcript.clone(), account: Some(account.to_owned()), outputs: None, signature }
    }

    /// A deposit paid as blind signatures on fresh outputs of these amounts (the payee stays anonymous).
    async fn anonymous_request(
        &self,
        transcript: &DepositTranscript,
        payee: &SecretKey,
        amounts: &[u64],
    ) -> (DepositRequest, Pending, KeySet) {
        let keyset = self.mint.keyset().await;
        let pending = TestMint::outputs(&keyset, amounts);
        let message = transcript.message().unwrap();
        let parts = deposit_parts(None, &message, Some(&pending.outputs));
        let signature = auth::sign(payee, op::DEPOSIT, &[&parts[0], &parts[1], &parts[2]]).unwrap();
        let request = DepositRequest {
            transcript: transcript.clone(),
            account: None,
            outputs: Some(pending.outputs.clone()),
            signature,
        };
        (request, pending, keyset)
    }

    async fn deposit(&self, request: &DepositRequest) -> Result<DepositResponse, ErrorResponse> {
        self.mint.post("/v1/offline/deposit", request).await
    }

    async fn account(&self, payer: &Payer) -> AccountResponse {
        let auth = ReadAuth::sign(&payer.holder.key, &payer.holder.account, self.clock.now()).unwrap();
        self.mint.get(&format!("/v1/offline/accounts/{}?{}", payer.holder.account, auth.to_query())).await.unwrap()
    }

    /// GET an account's path (`""` or `"/withdrawals"`) with this query; the error code if refused.
    async fn read_with(&self, payer: &Payer, tail: &str, query: &str) -> Result<serde_json::Value, u16> {
        let path = format!("/v1/offline/accounts/{}{tail}{query}", payer.holder.account);
        self.mint.get::<serde_json::Value>(&path).await.map_err(code)
    }
}

fn code(error: ErrorResponse) -> u16 {
    error.code.to_code()
}

/// Register (a bad proof refused), bond and limit, sessions (a newer one aborts the older, timeouts), the
/// limit per period, the kept transcripts.
async fn register_bond_withdraw(store: Arc<dyn MintStore>) {
    let world = world(store).await;
    // The receipt key is in /v1/info (an extension Cashu clients ignore) and beside the keysets.
    let info: serde_json::Value = world.mint.get("/v1/info").await.unwrap();
    let (keyset, receipt_key) = world.keyset().await;
    assert_eq!(info["offline"]["receipt_key"], serde_json::json!(receipt_key));
    assert!(info["nuts"].is_object());
    keyset.verify_id_vartime().unwrap();
    assert_eq!((keyset.valid_from, keyset.valid_until, keyset.deposit_deadline), (10_000, 11_000, 11_500));
    assert_eq!(keyset.keys.len(), 8);

    // A proof of knowledge for another identity (one hiding a g2 part would look the same) is refused.
    let holder = world.holder(1000).await;
    let mut forged = IdentitySecret::random().unwrap().prove_registration(holder.account.as_bytes()).unwrap();
    forged.identity = IdentitySecret::random().unwrap().identity().unwrap();
    let signature =
        auth::sign(&holder.key, op::REGISTER, &[holder.account.as_bytes(), &forged.identity.to_bytes()]).unwrap();
    let bad = RegisterRequest { account: holder.account.clone(), registration: forged, signature };
    assert_eq!(code(world.mint.post::<_, AccountResponse>("/v1/offline/register", &bad).await.unwrap_err()), 13010);
    // A signature by another key is refused.
    let stranger = Holder { key: SecretKey::random().unwrap(), account: holder.account.clone() };
    assert_eq!(code(world.register(stranger).await.err().unwrap()), 13013);
    // An over-long account id is refused before any lookup.
    let long = Holder { key: holder.key.clone(), account: "a".repeat(65) };
    assert_eq!(code(world.register(long).await.err().unwrap()), 13000);
    let payer = world.register(holder).await.unwrap();
    // Registered once only.
    let again = Holder { key: payer.holder.key.clone(), account: payer.holder.account.clone() };
    assert_eq!(code(world.register(again).await.err().unwrap()), 13011);

    // No bond, no limit: nothing to withdraw.
    assert_eq!(code(world.session(&payer, 4).await.unwrap_err()), 13021);
    // The limit cannot exceed the bond; the bond cannot exceed the balance.
    assert_eq!(code(world.bond(&payer, 100, 101).await.unwrap_err()), 13015);
    assert_eq!(code(world.bond(&payer, 2000, 10).await.unwrap_err()), 13014);
    let bonded = world.bond(&payer, 100, 64).await.unwrap();
    assert_eq!((bonded.bond, bonded.limit), (100, 64));
    assert_eq!(world.balance(&payer.holder.account).await, 900);
    assert_eq!(bonded.bond_entries.len(), 1);
    assert_eq!((bonded.bond_entries[0].delta, bonded.bond_entries[0].reason.as_str()), (100, "lock"));
    // A replayed bond request moves nothing more.
    world.bond(&payer, 100, 64).await.unwrap();
    assert_eq!(world.balance(&payer.holder.account).await, 900);
    // A bond is never lowered.
    assert_eq!(code(world.bond(&payer, 50, 10).await.unwrap_err()), 13015);

    // A withdrawal: the coin verifies against the cached keyset and is bound to the payer.
    let coin = world.withdraw(&payer, 32).await.unwrap();
    coin.coin.verify_vartime(&keyset).unwrap();
    assert!(coin.is_bound_to(&payer.u1).unwrap());
    assert_eq!(world.balance(&payer.holder.account).await, 868);

    // A new session aborts the open one: answering the old one is refused, the new one works.
    let first = world.session(&payer, 8).await.unwrap();
    let second = world.session(&payer, 8).await.unwrap();
    let (_, late) = world.answer(&payer, &first).await;
    assert_eq!(
        code(world.mint.post::<_, WithdrawalTranscript>("/v1/offline/withdraw", &late).await.unwrap_err()),
        13020
    );
    let (pending, request) = world.answer(&payer, &second).await;
    let answer: WithdrawalTranscript = world.mint.post("/v1/offline/withdraw", &request).await.unwrap();
    // The identical retry gets the identical answer; the session cannot answer another challenge.
    let retried: WithdrawalTranscript = world.mint.post("/v1/offline/withdraw", &request).await.unwrap();
    assert_eq!(retried, answer);
    let (_, other) = world.answer(&payer, &second).await;
    assert_eq!(
        code(world.mint.post::<_, WithdrawalTranscript>("/v1/offline/withdraw", &other).await.unwrap_err()),
        13020
    );
    pending.finish(&answer.response).unwrap();
    assert_eq!(world.balance(&payer.holder.account).await, 860);

    // Sessions time out.
    let session = world.session(&payer, 8).await.unwrap();
    world.clock.advance(61);
    let (_, request) = world.answer(&payer, &session).await;
    assert_eq!(
        code(world.mint.post::<_, WithdrawalTranscript>("/v1/offline/withdraw", &request).await.unwrap_err()),
        13020
    );

    // The limit: 40 of 64 withdrawn this period; 32 more is refused, 16 and 8 pass, then nothing.
    assert_eq!(code(world.withdraw(&payer, 32).await.unwrap_err()), 13021);
    world.withdraw(&payer, 16).await.unwrap();
    world.withdraw(&payer, 8).await.unwrap();
    assert_eq!(code(world.withdraw(&payer, 1).await.unwrap_err()), 13021);
    let account = world.account(&payer).await;
    assert_eq!((account.withdrawn, account.period_keyset.clone()), (64, keyset.id.to_hex()));
    assert_eq!(world.balance(&payer.holder.account).await, 1000 - 100 - 64);

    // The next period has a new keyset and a fresh limit; the old keyset is still listed (deposits).
    world.clock.advance(1000);
    let (next, _) = world.keyset().await;
    assert_ne!(next.id, keyset.id);
    let keysets: KeysetsResponse = world.mint.get("/v1/offline/keysets").await.unwrap();
    assert!(keysets.keysets.iter().any(|k| k.id == keyset.id));
    // A session for the old keyset is refused as not current.
    let old = SessionRequest::sign(
        &payer.holder.key,
        &payer.holder.account,
        keyset.id,
        8,
        SecretKey::random().unwrap().to_bytes(),
    )
    .unwrap();
    assert_eq!(code(world.mint.post::<_, SessionResponseBody>("/v1/offline/session", &old).await.unwrap_err()), 13002);
    world.withdraw(&payer, 32).await.unwrap();

    // Every withdrawal's public transcript is kept for the account.
    let auth = ReadAuth::sign(&payer.holder.key, &payer.holder.account, world.clock.now()).unwrap();
    let path = format!("/v1/offline/accounts/{}/withdrawals?{}", payer.holder.account, auth.to_query());
    let kept: WithdrawalsResponse = world.mint.get(&path).await.unwrap();
    let amounts: Vec<u64> = kept.withdrawals.iter().map(|w| w.start.amount).collect();
    assert_eq!(amounts.iter().sum::<u64>(), 64 + 32);
    assert!(kept.withdrawals.iter().any(|w| w == &answer));
}

/// Deposits: receipts, retries, replays; a double spend unmasks the payer, whose bond pays the honest
/// payees in deposit order until it is exhausted; the deadline; conservation and ledgers.
async fn deposit_and_double_spend(store: Arc<dyn MintStore>) {
    let world = world(store).await;
    let (keyset, receipt_key) = world.keyset().await;
    let payer = world.register(world.holder(1000).await).await.unwrap();
    world.bond(&payer, 100, 128).await.unwrap_err();
    world.bond(&payer, 100, 100).await.unwrap();
    let coins = [
        world.withdraw(&payer, 64).await.unwrap(),
        world.withdraw(&payer, 16).await.unwrap(),
        world.withdraw(&payer, 8).await.unwrap(),
        world.withdraw(&payer, 4).await.unwrap(),
    ];
    let withdrawn: u64 = coins.iter().map(|c| c.coin.amount).sum();
    let shop = world.holder(0).await;

    // An honest deposit: paid the coin's value, with a receipt the payee can check.
    let (transcript, payee) = world.pay(&payer, &coins[1]);
    let request = World::deposit_request(&transcript, &payee, &shop.account);
    // Only the payee key chooses the account: a signature by another key is refused.
    let thief = world.holder(0).await;
    let stolen = World::deposit_request(&transcript, &SecretKey::random().unwrap(), &thief.account);
    assert_eq!(code(world.deposit(&stolen).await.unwrap_err()), 13013);
    // The payee's signature for one account does not take the money to another.
    let mut stolen = World::deposit_request(&transcript, &payee, &thief.account);
    stolen.signature = request.signature;
    assert_eq!(code(world.deposit(&stolen).await.unwrap_err()), 13013);
    let paid = world.deposit(&request).await.unwrap();
    paid.receipt.verify_vartime(&receipt_key).unwrap();
    assert!(paid.receipt.is_for(&transcript).unwrap());
    assert_eq!(
        (paid.receipt.outcome, paid.receipt.amount_paid, paid.receipt.amount_from_bond),
        (DepositOutcome::Paid, 16, 0)
    );
    assert_eq!(paid.receipt.payee, payee.public_key());
    assert_eq!(world.balance(&shop.account).await, 16);
    // The identical request again: the identical answer, paid once.
    world.clock.advance(5);
    assert_eq!(world.deposit(&request).await.unwrap(), paid);
    assert_eq!(world.balance(&shop.account).await, 16);
    // The same transcript to another account: a replay, refused.
    let thief = world.holder(0).await;
    let replay = World::deposit_request(&transcript, &payee, &thief.account);
    assert_eq!(code(world.deposit(&replay).await.unwrap_err()), 13031);
    // A tampered transcript is refused.
    let mut tampered = transcript.clone();
    tampered.time += 1;
    assert_eq!(
        code(world.deposit(&World::deposit_request(&tampered, &payee, &shop.account)).await.unwrap_err()),
        13030
    );
    assert_eq!(world.balance(&thief.account).await, 0);
    assert!(world.mint.get::<EvidenceResponse>("/v1/offline/evidence").await.unwrap().evidence.is_empty());

    // The 64 coin spent three times: the first payee is paid from the withdrawal, the second from the
    // bond (64 of 100), the third from what is left (36 of 64), a fourth gets nothing: the bond is exhausted.
    let mut receipts = Vec::new();
    let mut shops = Vec::new();
    for _ in 0..4 {
        let (transcript, payee) = world.pay(&payer, &coins[0]);
        let shop = world.holder(0).await;
        let answer = world.deposit(&World::deposit_request(&transcript, &payee, &shop.account)).await.unwrap();
        answer.receipt.verify_vartime(&receipt_key).unwrap();
        receipts.push(answer.receipt);
        shops.push(shop);
    }
    let outcomes: Vec<(DepositOutcome, u64, u64)> =
        receipts.iter().map(|r| (r.outcome, r.amount_paid, r.amount_from_bond)).collect();
    assert_eq!(
        outcomes,
        [
            (DepositOutcome::Paid, 64, 0),
            (DepositOutcome::DoubleSpend, 64, 64),
            (DepositOutcome::DoubleSpend, 36, 36),
            (DepositOutcome::DoubleSpend, 0, 0)
        ]
    );
    for (shop, expected) in shops.iter().zip([64, 64, 36, 0]) {
        assert_eq!(world.balance(&shop.account).await, expected);
    }

    // The evidence: one self-contained entry per later deposit, each naming the payer by shared's verifier.
    let evidence: EvidenceResponse = world.mint.get("/v1/offline/evidence").await.unwrap();
    assert_eq!(evidence.evidence.len(), 3);
    for entry in &evidence.evidence {
        assert_eq!(entry.verify_vartime().unwrap(), payer.u1.identity().unwrap());
        assert_eq!(entry.keyset, keyset);
    }

    // The payer is blocked from further offline withdrawals; its bond's every movement is on record.
    let account = world.account(&payer).await;
    assert!(account.blocked);
    assert_eq!(account.bond, 0);
    let movements: Vec<(i64, &str)> = account.bond_entries.iter().map(|e| (e.delta, e.reason.as_str())).collect();
    assert_eq!(movements, [(100, "lock"), (-64, "double-spend"), (-36, "double-spend")]);
    assert_eq!(code(world.session(&payer, 1).await.unwrap_err()), 13016);
    assert_eq!(code(world.bond(&payer, 200, 10).await.unwrap_err()), 13016);

    // The coin paid before the period's end can still be deposited until the deadline, not after.
    let (late, late_payee) = world.pay(&payer, &coins[2]);
    world.clock.advance(11_500 - world.clock.now());
    let on_time = world.deposit(&World::deposit_request(&late, &late_payee, &shop.account)).await.unwrap();
    assert_eq!(on_time.receipt.amount_paid, 8);
    let (expired, expired_payee) = {
        // Paid during the period (the payee's request time), deposited one second after the deadline.
        let payee = SecretKey::random().unwrap();
        let request = PaymentRequest::new(payee.public_key(), 10_900, 4).unwrap();
        let spent = coins[3].respond(&payer.u1, &request).unwrap();
        (DepositTranscript::sign(&spent, &request, &payee).unwrap(), payee)
    };
    world.clock.advance(1);
    assert_eq!(
        code(world.deposit(&World::deposit_request(&expired, &expired_payee, &shop.account)).await.unwrap_err()),
        13003
    );
    // Past its deadline the keyset is still listed, for refunds (a wallet restored now must rebuild its coins),
    // until its refund window closes; then it is not.
    let keysets: KeysetsResponse = world.mint.get("/v1/offline/keysets").await.unwrap();
    assert!(keysets.keysets.iter().any(|k| k.id == keyset.id));
    world.clock.advance(SETTINGS.refund_window_secs - 1); // at the window's last second
    let keysets: KeysetsResponse = world.mint.get("/v1/offline/keysets").await.unwrap();
    assert!(keysets.keysets.iter().any(|k| k.id == keyset.id));
    world.clock.advance(1);
    let keysets: KeysetsResponse = world.mint.get("/v1/offline/keysets").await.unwrap();
    assert!(keysets.keysets.iter().all(|k| k.id != keyset.id));

    // Conservation: the value withdrawn is the value first deposited plus what is outstanding (the 4 coin,
    // never deposited); bond payouts came from the bond, not from the withdrawals.
    // Counted from the mint's own records: the ledger's withdrawal debits, the receipts of first deposits.
    let ledger = offline_rows::ledger(world.store.as_ref(), &payer.holder.account).await.unwrap();
    let debited: i64 = ledger.iter().filter(|e| e.reason == "offline-withdraw").map(|e| -e.delta).sum();
    let all_receipts = receipts.iter().chain([&paid.receipt, &on_time.receipt]);
    let first_deposits: u64 = all_receipts.filter(|r| r.outcome == DepositOutcome::Paid).map(|r| r.amount_paid).sum();
    let outstanding = coins[3].coin.amount;
    assert_eq!(u64::try_from(debited).unwrap(), withdrawn);
    assert_eq!(withdrawn, first_deposits + outstanding);
    assert_eq!(world.balance(&payer.holder.account).await, 1000 - 100 - withdrawn);
    let mut credited = world.balance(&shop.account).await;
    for shop in &shops {
        credited += world.balance(&shop.account).await;
    }
    assert_eq!(credited, first_deposits + 100);

    // The bank ledger shows the bond's lock and every withdrawal's debit; each payee's credit names the coin.
    let ledger = offline_rows::ledger(world.store.as_ref(), &payer.holder.account).await.unwrap();
    let entries: Vec<(i64, &str)> = ledger.iter().map(|e| (e.delta, e.reason.as_str())).collect();
    assert_eq!(
        entries,
        [
            (1000, "credit"),
            (-100, "offline-bond"),
            (-64, "offline-withdraw"),
            (-16, "offline-withdraw"),
            (-8, "offline-withdraw"),
            (-4, "offline-withdraw")
        ]
    );
    let ledger = offline_rows::ledger(world.store.as_ref(), &shops[2].account).await.unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!((ledger[0].delta, ledger[0].reason.as_str()), (36, "offline-deposit"));
    assert_eq!(ledger[0].reference, coins[0].coin.a_point.to_hex());
}

impl World {
    fn refund_request(payer: &Payer, coin: &WalletCoin, proof_context: &str) -> RefundRequest {
        let proof = coin.prove_ownership(&payer.u1, proof_context.as_bytes()).unwrap();
        let account = &payer.holder.account;
        let hash = coin.coin.hash().unwrap();
        let signature = auth::sign(&payer.holder.key, op::REFUND, &[account.as_bytes(), &hash]).unwrap();
        RefundRequest { account: account.clone(), coin: coin.coin.clone(), proof, signature }
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundResponse, ErrorResponse> {
        self.mint.post("/v1/offline/refund", request).await
    }
}

/// Nothing lost with a lost phone: after the deadline a never-deposited coin is refunded to its owner's
/// account, once; a deposited one never; someone else's never; after the refund window nothing, and the
/// keyset's spent coins can be pruned.
async fn refund_after_the_deadline(store: Arc<dyn MintStore>) {
    let world = world(store).await;
    let (keyset, receipt_key) = world.keyset().await;
    let payer = world.register(world.holder(1000).await).await.unwrap();
    world.bond(&payer, 50, 50).await.unwrap();
    let deposited = world.withdraw(&payer, 8).await.unwrap();
    let lost = world.withdraw(&payer, 4).await.unwrap();
    let kept = world.withdraw(&payer, 2).await.unwrap();
    let other = world.register(world.holder(0).await).await.unwrap();
    let shop = world.holder(0).await;
    let (transcript, payee) = world.pay(&payer, &deposited);
    world.deposit(&World::deposit_request(&transcript, &payee, &shop.account)).await.unwrap();

    // Not before the deadline.
    assert_eq!(
        code(world.refund(&World::refund_request(&payer, &lost, &payer.holder.account)).await.unwrap_err()),
        13004
    );
    world.clock.advance(11_501 - world.clock.now());
    // A proof for another account is no proof for this one; another account cannot claim the coin.
    let wrong_context = World::refund_request(&payer, &lost, &other.holder.account);
    assert_eq!(code(world.refund(&wrong_context).await.unwrap_err()), 13033);
    let mut stolen = World::refund_request(&payer, &lost, &other.holder.account);
    stolen.account = other.holder.account.clone();
    stolen.signature =
        auth::sign(&other.holder.key, op::REFUND, &[other.holder.account.as_bytes(), &lost.coin.hash().unwrap()])
            .unwrap();
    assert_eq!(code(world.refund(&stolen).await.unwrap_err()), 13033);

    let before = world.balance(&payer.holder.account).await;
    let refunded = world.refund(&World::refund_request(&payer, &lost, &payer.holder.account)).await.unwrap();
    assert_eq!((refunded.amount, refunded.coin.0), (4, lost.coin.hash().unwrap()));
    // With a receipt signed by the receipt key: the coin, the account's key, the time, the outcome, the amount.
    refunded.receipt.verify_vartime(&receipt_key).unwrap();
    let account_key = payer.holder.key.public_key();
    assert!(refunded.receipt.is_for_refund(&lost.coin, &payer.holder.account, &account_key).unwrap());
    assert!(!refunded.receipt.is_for_refund(&lost.coin, &other.holder.account, &account_key).unwrap());
    assert_eq!(
        (refunded.receipt.outcome, refunded.receipt.amount_paid, refunded.receipt.amount_from_bond),
        (DepositOutcome::Refunded, 4, 0)
    );
    assert_eq!(refunded.receipt.time, world.clock.now());
    assert_eq!(world.balance(&payer.holder.account).await, before + 4);
    // Never twice (the identical request again is a retry: the identical answer, nothing more credited;
    // another request for the coin is refused); a deposited coin never.
    let retry = World::refund_request(&payer, &lost, &payer.holder.account);
    assert_eq!(world.refund(&retry).await.unwrap(), refunded);
    let mut other = retry;
    other.signature.0[0] ^= 1;
    assert_eq!(code(world.refund(&other).await.unwrap_err()), 13031);
    assert_eq!(code(world.refund(&stolen).await.unwrap_err()), 13031);
    assert_eq!(
        code(world.refund(&World::refund_request(&payer, &deposited, &payer.holder.account)).await.unwrap_err()),
        13031
    );
    assert_eq!(world.balance(&payer.holder.account).await, before + 4);
    // And a refunded coin cannot be deposited (the deadline has passed anyway).
    let (late, late_payee) = world.pay(&payer, &lost);
    assert_eq!(
        code(world.deposit(&World::deposit_request(&late, &late_payee, &shop.account)).await.unwrap_err()),
        13003
    );

    // Conservation: withdrawn = deposited + refunded + outstanding; the ledger names each movement.
    assert_eq!(8 + 4 + 2, 8 + refunded.amount + kept.coin.amount);
    let ledger = offline_rows::ledger(world.store.as_ref(), &payer.holder.account).await.unwrap();
    let last = ledger.last().unwrap();
    assert_eq!((last.delta, last.reason.as_str()), (4, "offline-refund"));

    // After the refund window: refused, and the keyset's spent coins can be pruned.
    assert_eq!(offline_rows::spent_count(world.store.as_ref(), &keyset.id.to_hex()).await.unwrap(), 2);
    let response = world
        .mint
        .client
        .post(world.mint.url("/admin/offline/prune"))
        .bearer_auth(hex::encode(TOKEN))
        .send()
        .await
        .unwrap();
    let pruned: serde_json::Value = response.json().await.unwrap();
    assert!(!pruned["keysets"].as_array().unwrap().contains(&serde_json::json!(keyset.id)));
    assert_eq!(offline_rows::spent_count(world.store.as_ref(), &keyset.id.to_hex()).await.unwrap(), 2);
    world.clock.advance(13_501 - world.clock.now());
    assert_eq!(
        code(world.refund(&World::refund_request(&payer, &kept, &payer.holder.account)).await.unwrap_err()),
        13005
    );
    let response = world
        .mint
        .client
        .post(world.mint.url("/admin/offline/prune"))
        .bearer_auth(hex::encode(TOKEN))
        .send()
        .await
        .unwrap();
    let pruned: serde_json::Value = response.json().await.unwrap();
    assert!(pruned["keysets"].as_array().unwrap().contains(&serde_json::json!(keyset.id)));
    assert_eq!(offline_rows::spent_count(world.store.as_ref(), &keyset.id.to_hex()).await.unwrap(), 0);
}

/// A retried refund (the identical request, its answer lost) gets the identical answer, receipt and all,
/// and credits nothing more; so do identical requests at once; another request for the coin is refused.
async fn a_retried_refund_gets_the_identical_answer(store: Arc<dyn MintStore>) {
    let world = world(store).await;
    let payer = world.register(world.holder(100).await).await.unwrap();
    world.bond(&payer, 50, 50).await.unwrap();
    let first_coin = world.withdraw(&payer, 4).await.unwrap();
    let second_coin = world.withdraw(&payer, 2).await.unwrap();
    world.clock.advance(11_501 - world.clock.now());
    let account = payer.holder.account.as_str();
    let before = world.balance(account).await;

    let request = World::refund_request(&payer, &first_coin, account);
    let answer = world.refund(&request).await.unwrap();
    world.clock.advance(7);
    let retried = world.refund(&request).await.unwrap();
    assert_eq!(retried, answer);
    assert_eq!(world.balance(account).await, before + 4);
    // Any other request for the coin: refused, as before, and answered without curve work.
    let mut other = request.clone();
    other.signature.0[63] ^= 1;
    assert_eq!(code(world.refund(&other).await.unwrap_err()), 13031);

    // The identical request twice at once: both get the one answer; the coin is credited once.
    let request = World::refund_request(&payer, &second_coin, account);
    let (one, two) = tokio::join!(world.refund(&request), world.refund(&request));
    assert_eq!(one.unwrap(), two.unwrap());
    assert_eq!(world.balance(account).await, before + 4 + 2);
    let ledger = offline_rows::ledger(world.store.as_ref(), account).await.unwrap();
    assert_eq!(ledger.iter().filter(|entry| entry.reason == "offline-refund").count(), 2);
}

/// A deposit paid as blind signatures on the payee's own outputs: the notes are good Cashu notes (they
/// swap); a retry gets the same signatures; a double spend paid partly from the bond signs only the outputs
/// the bond covers, and the receipt says so.
async fn anonymous_deposits(store: Arc<dyn MintStore>) {
    let world = world(store).await;
    let (_, receipt_key) = world.keyset().await;
    let payer = world.register(world.holder(100).await).await.unwrap();
    world.bond(&payer, 12, 12).await.unwrap();
    let coin = world.withdraw(&payer, 8).await.unwrap();

    let (transcript, payee) = world.pay(&payer, &coin);
    // Outputs must add up to the coin's value; exactly one destination.
    let (short, _, _) = world.anonymous_request(&transcript, &payee, &[4, 2]).await;
    assert_eq!(code(world.deposit(&short).await.unwrap_err()), 13000);
    let (mut both, _, _) = world.anonymous_request(&transcript, &payee, &[4, 2, 1, 1]).await;
    both.account = Some(payer.holder.account.clone());
    assert_eq!(code(world.deposit(&both).await.unwrap_err()), 13000);
    // Outputs swapped for others than the payee signed: refused.
    let (mut swapped, _, _) = world.anonymous_request(&transcript, &payee, &[4, 2, 1, 1]).await;
    let (other, _, _) = world.anonymous_request(&transcript, &payee, &[4, 2, 1, 1]).await;
    swapped.outputs = other.outputs;
    assert_eq!(code(world.deposit(&swapped).await.unwrap_err()), 13013);

    let (request, pending, keyset) = world.anonymous_request(&transcript, &payee, &[4, 2, 1, 1]).await;
    let answer = world.deposit(&request).await.unwrap();
    answer.receipt.verify_vartime(&receipt_key).unwrap();
    assert_eq!(
        (answer.receipt.outcome, answer.receipt.amount_paid, answer.account.clone()),
        (DepositOutcome::Paid, 8, None)
    );
    assert_eq!(world.deposit(&request).await.unwrap(), answer);
    let signatures: Vec<_> = answer.signatures.iter().map(|s| s.clone().unwrap()).collect();
    let notes = TestMint::unblind(&keyset, &pending, &signatures);
    assert_eq!(world.mint.swap(notes, &[8]).await.unwrap().len(), 1);

    // The same coin to another payee, paid from the 12 of bond: 8, then the 4 left, to outputs 2, 4, 1, 1:
    // the 2 and both 1 are signed (4 of 8 paid), the 4 is not.
    let (again, again_payee) = world.pay(&payer, &coin);
    let shop = world.holder(0).await;
    let full = world.deposit(&World::deposit_request(&again, &again_payee, &shop.account)).await.unwrap();
    assert_eq!((full.receipt.amount_paid, full.receipt.amount_from_bond), (8, 8));
    let (third, third_payee) = world.pay(&payer, &coin);
    let (request, pending, keyset) = world.anonymous_request(&third, &third_payee, &[2, 4, 1, 1]).await;
    let partial = world.deposit(&request).await.unwrap();
    let receipt = &partial.receipt;
    assert_eq!((receipt.outcome, receipt.amount_paid, receipt.amount_from_bond), (DepositOutcome::DoubleSpend, 4, 4));
    let signed: Vec<bool> = partial.signatures.iter().map(Option::is_some).collect();
    assert_eq!(signed, [true, false, true, true]);
    let chosen = [0, 2, 3];
    let subset = Pending {
        outputs: chosen.iter().map(|&i| pending.outputs[i].clone()).collect(),
        secrets: chosen.iter().map(|&i| pending.secrets[i].clone()).collect(),
    };
    let signatures: Vec<_> = partial.signatures.iter().flatten().cloned().collect();
    let notes = TestMint::unblind(&keyset, &subset, &signatures);
    assert_eq!(world.mint.swap(notes, &[4]).await.unwrap().len(), 1);
    assert_eq!(world.account(&payer).await.bond, 0);
}

/// Many deposits of one coin at once (and the same request twice): exactly one is paid from the withdrawal,
/// every other is a double spend, the bond pays out exactly what it held, nothing is paid twice.
async fn concurrent_deposits(store: Arc<dyn MintStore>) {
    let world = world(store).await;
    let payer = world.register(world.holder(100).await).await.unwrap();
    world.bond(&payer, 20, 20).await.unwrap();
    let coin = world.withdraw(&payer, 16).await.unwrap();
    let mut requests = Vec::new();
    let mut shops = Vec::new();
    for _ in 0..6 {
        let (transcript, payee) = world.pay(&payer, &coin);
        let shop = world.holder(0).await;
        requests.push(World::deposit_request(&transcript, &payee, &shop.account));
        shops.push(shop);
    }
    // The first request twice: a retry racing its original.
    requests.push(requests[0].clone());
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let (client, url) = (world.mint.client.clone(), world.mint.url("/v1/offline/deposit"));
            tokio::spawn(async move {
                let response = client.post(url).json(&request).send().await.unwrap();
                assert_eq!(response.status(), 200);
                response.json::<DepositResponse>().await.unwrap()
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    assert_eq!(answers[0], answers[6]);
    let answers = &answers[..6];
    let paid: Vec<_> = answers.iter().filter(|a| a.receipt.outcome == DepositOutcome::Paid).collect();
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].receipt.amount_paid, 16);
    let from_bond: u64 = answers.iter().map(|a| a.receipt.amount_from_bond).sum();
    assert_eq!(from_bond, 20);
    let mut credited = 0;
    for shop in &shops {
        credited += world.balance(&shop.account).await;
    }
    assert_eq!(credited, 16 + 20);
    let account = world.account(&payer).await;
    assert!(account.blocked);
    assert_eq!(account.bond, 0);
    let evidence: EvidenceResponse = world.mint.get("/v1/offline/evidence").await.unwrap();
    assert_eq!(evidence.evidence.len(), 5);
}

impl World {
    /// Jobs the mint has run on its CPU pool (`mint_cpu_pool_jobs_total` of `GET /metrics`).
    async fn cpu_jobs(&self) -> u64 {
        let text = self.mint.client.get(self.mint.url("/metrics")).send().await.unwrap().text().await.unwrap();
        let line = text.lines().find(|line| line.starts_with("mint_cpu_pool_jobs_total ")).expect("no CPU pool metric");
        line.rsplit(' ').next().unwrap().parse().unwrap()
    }
}

/// A deposit's curve work runs on the CPU pool, and cheap checks come before it: a replay of a deposited
/// transcript (even with a bad signature) and a coin of an unknown keyset are refused without any job on
/// the pool.
async fn deposits_check_cheap_things_first_and_verify_on_the_cpu_pool(store: Arc<dyn MintStore>) {
    let world = world(store).await;
    let payer = world.register(world.holder(100).await).await.unwrap();
    world.bond(&payer, 20, 20).await.unwrap();
    let coin = world.withdraw(&payer, 8).await.unwrap();
    let shop = world.holder(0).await;
    let (transcript, payee) = world.pay(&payer, &coin);
    let request = World::deposit_request(&transcript, &payee, &shop.account);
    let before = world.cpu_jobs().await;
    world.deposit(&request).await.unwrap();
    let after = world.cpu_jobs().await;
    assert!(after > before, "the deposit was verified on the async worker");
    // A deposit to an account reads nothing before its curve work: a replay with a signature that does not
    // verify is refused for its signature, on the pool; the identical retry gets the stored answer.
    let mut replay = World::deposit_request(&transcript, &payee, &shop.account);
    replay.signature = shared::offline::HexBytes([0; 64]);
    assert_eq!(code(world.deposit(&replay).await.unwrap_err()), 13013);
    let first = world.deposit(&request).await.unwrap();
    assert_eq!(world.deposit(&request).await.unwrap(), first);
    let after = world.cpu_jobs().await;
    // A deposit paid as blind signatures reads the coin's deposits first: a replay (even with a bad
    // signature) and the identical retry are answered without any curve work.
    let coin = world.withdraw(&payer, 4).await.unwrap();
    let (transcript, payee) = world.pay(&payer, &coin);
    let (anonymous, _, _) = world.anonymous_request(&transcript, &payee, &[4]).await;
    let answer = world.deposit(&anonymous).await.unwrap();
    let after_anonymous = world.cpu_jobs().await;
    assert!(after_anonymous > after);
    assert_eq!(world.deposit(&anonymous).await.unwrap(), answer);
    let (mut replay, _, _) = world.anonymous_request(&transcript, &payee, &[4]).await;
    replay.signature = shared::offline::HexBytes([0; 64]);
    assert_eq!(code(world.deposit(&replay).await.unwrap_err()), 13031);
    // A coin of an unknown keyset: refused before any curve work.
    let mut unknown = request.clone();
    unknown.transcript.coin.keyset_id = shared::offline::OfflineKeysetId::from_bytes([7; 32]);
    assert_eq!(code(world.deposit(&unknown).await.unwrap_err()), 13001);
    assert_eq!(world.cpu_jobs().await, after_anonymous);
}

impl World {
    async fn deposit_batch(&self, deposits: Vec<DepositRequest>) -> Result<Vec<DepositResult>, ErrorResponse> {
        let answer: DepositBatchResponse =
            self.mint.post("/v1/offline/deposits", &DepositBatchRequest { deposits }).await?;
        Ok(answer.results)
    }
}

fn response(result: &DepositResult) -> &DepositResponse {
    match result {
        DepositResult::Response(response) => response,
        DepositResult::Error(error) => panic!("refused: {error:?}"),
    }
}

fn refusal(result: &DepositResult) -> u16 {
    match result {
        DepositResult::Error(error) => error.code.to_code(),
        DepositResult::Response(response) => panic!("answered: {response:?}"),
    }
}

/// `POST /v1/offline/deposits`: deposits to accounts of fresh coins are verified in one CPU job and
/// committed together; the identical batch again gets identical answers; a batch mixing a double spend
/// (also of a coin twice in one batch), refusals and a deposit paid as blind signatures answers each as
/// the single endpoint would; empty and oversized batches are refused.
async fn deposit_batches(store: Arc<dyn MintStore>) {
    let world = world(store).await;
    let (_, receipt_key) = world.keyset().await;
    let payer = world.register(world.holder(100).await).await.unwrap();
    world.bond(&payer, 30, 30).await.unwrap();
    let other_payer = world.register(world.holder(100).await).await.unwrap();
    world.bond(&other_payer, 30, 30).await.unwrap();
    let (shop_a, shop_b) = (world.holder(0).await, world.holder(0).await);
    let mut coins = Vec::new();
    for amount in [1, 2, 4, 8] {
        coins.push(world.withdraw(&payer, amount).await.unwrap());
    }
    let mut batch = Vec::new();
    for (coin, shop) in coins[..3].iter().zip([&shop_a, &shop_a, &shop_b]) {
        let (transcript, payee) = world.pay(&payer, coin);
        batch.push(World::deposit_request(&transcript, &payee, &shop.account));
    }
    let jobs = world.cpu_jobs().await;
    let results = world.deposit_batch(batch.clone()).await.unwrap();
    assert_eq!(world.cpu_jobs().await, jobs + 1, "one CPU job for the batch");
    assert_eq!(results.len(), 3);
    for (result, amount) in results.iter().zip([1, 2, 4]) {
        let answer = response(result);
        answer.receipt.verify_vartime(&receipt_key).unwrap();
        assert_eq!((answer.receipt.outcome, answer.receipt.amount_paid), (DepositOutcome::Paid, amount));
    }
    assert_eq!((world.balance(&shop_a.account).await, world.balance(&shop_b.account).await), (3, 4));
    assert_eq!(world.deposit_batch(batch.clone()).await.unwrap(), results, "a retry gets the same answers");
    // The single endpoint answers a deposit of the batch the same way.
    assert_eq!(&world.deposit(&batch[0]).await.unwrap(), response(&results[0]));

    // A mixed batch: coin 0 again to another payee (a double spend, paid from the bond), coin 3 twice
    // (paid, then a double spend), a bad signature, an unknown keyset, coin 1 anonymously (a double spend
    // paid as blind signatures from the bond).
    let (again, again_payee) = world.pay(&payer, &coins[0]);
    let (fourth, fourth_payee) = world.pay(&payer, &coins[3]);
    let (fourth_again, fourth_again_payee) = world.pay(&payer, &coins[3]);
    let mut bad = World::deposit_request(&fourth, &fourth_payee, &shop_a.account);
    bad.signature = shared::offline::HexBytes([0; 64]);
    let mut unknown = bad.clone();
    unknown.transcript.coin.keyset_id = shared::offline::OfflineKeysetId::from_bytes([7; 32]);
    let (second, second_payee) = world.pay(&payer, &coins[1]);
    let (anonymous, _, _) = world.anonymous_request(&second, &second_payee, &[2]).await;
    let mixed = vec![
        World::deposit_request(&again, &again_payee, &shop_b.account),
        World::deposit_request(&fourth, &fourth_payee, &shop_a.account),
        World::deposit_request(&fourth_again, &fourth_again_payee, &shop_b.account),
        bad,
        unknown,
        anonymous,
    ];
    let results = world.deposit_batch(mixed.clone()).await.unwrap();
    let outcome = |i: usize| {
        let r = &response(&results[i]).receipt;
        (r.outcome, r.amount_paid, r.amount_from_bond)
    };
    assert_eq!(outcome(0), (DepositOutcome::DoubleSpend, 1, 1));
    assert_eq!(outcome(1), (DepositOutcome::Paid, 8, 0));
    assert_eq!(outcome(2), (DepositOutcome::DoubleSpend, 8, 8));
    assert_eq!((refusal(&results[3]), refusal(&results[4])), (13013, 13001));
    assert_eq!(outcome(5), (DepositOutcome::DoubleSpend, 2, 2));
    assert_eq!(response(&results[5]).signatures.iter().flatten().count(), 1);
    assert_eq!((world.balance(&shop_a.account).await, world.balance(&shop_b.account).await), (3 + 8, 4 + 1 + 8));
    assert!(world.account(&payer).await.blocked);
    assert_eq!(world.deposit_batch(mixed).await.unwrap(), results, "a retry gets the same answers");

    // Fresh coins paid as blind signatures: one job verifies both, one signs all their outputs.
    let mut anonymous = Vec::new();
    let mut pendings = Vec::new();
    for amount in [2, 4] {
        let coin = world.withdraw(&other_payer, amount).await.unwrap();
        let (transcript, payee) = world.pay(&other_payer, &coin);
        let (request, pending, _) = world.anonymous_request(&transcript, &payee, &[amount / 2, amount / 2]).await;
        anonymous.push(request);
        pendings.push(pending);
    }
    let jobs = world.cpu_jobs().await;
    let results = world.deposit_batch(anonymous.clone()).await.unwrap();
    assert_eq!(world.cpu_jobs().await, jobs + 2, "one job verifies, one signs");
    let keyset = world.mint.keyset().await;
    for (result, pending) in results.iter().zip(&pendings) {
        let answer = response(result);
        assert_eq!(answer.receipt.outcome, DepositOutcome::Paid);
        let signatures: Vec<_> = answer.signatures.iter().map(|s| s.clone().unwrap()).collect();
        let notes = TestMint::unblind(&keyset, pending, &signatures);
        assert_eq!(world.mint.swap(notes, &[answer.receipt.amount_paid]).await.unwrap().len(), 1);
    }
    assert_eq!(world.deposit_batch(anonymous).await.unwrap(), results, "a retry gets the same answers");

    // Bounds: no deposit, or more than the most, is a malformed request.
    assert_eq!(code(world.deposit_batch(Vec::new()).await.unwrap_err()), 13000);
    let many = vec![batch[0].clone(); shared::offline::api::MAX_DEPOSIT_BATCH + 1];
    assert_eq!(code(world.deposit_batch(many).await.unwrap_err()), 13000);
}

/// Deposits are rate-limited per client like the mint's other unauthenticated writes: after the burst a
/// client gets 429 with a Cashu error body and `retry-after`; another client has its own bucket; the signed
/// endpoints are not limited.
async fn deposits_are_rate_limited_per_client(store: Arc<dyn MintStore>) {
    use mint_server::routes::limit::RateLimit;
    let funding = FundingRegistry::standard(Arc::clone(&store), true);
    let mint = Mint::new(Arc::clone(&store), vec![7u8; 32], MintSettings::default(), funding)
        .await
        .unwrap()
        .with_offline(SETTINGS, Clock::manual(START))
        .unwrap();
    let info = mint_server::MintInfoSettings { name: "Limited".into(), description: "rate limits".into() };
    let mut state = mint_server::AppState::new(info, "/nonexistent-wallet", Arc::new(mint));
    state.quote_rate_limit = Some(RateLimit { burst: 3, per_minute: 1 });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(mint_server::serve(listener, mint_server::app(state), std::future::pending()));

    let client = reqwest::Client::new();
    let deposit = serde_json::json!({ "transcript": {}, "account": "a", "signature": "00".repeat(64) });
    for _ in 0..3 {
        let response = client.post(format!("{base}/v1/offline/deposit")).json(&deposit).send().await.unwrap();
        assert_eq!(response.status(), 400);
    }
    let refused = client.post(format!("{base}/v1/offline/deposit")).json(&deposit).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().get("retry-after").is_some());
    let body: ErrorResponse = refused.json().await.unwrap();
    assert_eq!(body.code.to_code(), 14006);
    assert!(body.detail.starts_with("too many requests from this client"), "{}", body.detail);
    // The signed endpoints are not limited.
    let session =
        serde_json::json!({ "account": "a", "keyset": "00".repeat(32), "amount": 1, "signature": "00".repeat(64) });
    for _ in 0..5 {
        let response = client.post(format!("{base}/v1/offline/session")).json(&session).send().await.unwrap();
        assert_eq!(response.status(), 400);
    }
    // Another client (another source address) has its own bucket.
    let other = reqwest::Client::builder().local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap()).build();
    let response = other.unwrap().post(format!("{base}/v1/offline/deposit")).json(&deposit).send().await.unwrap();
    assert_eq!(response.status(), 400);

    // A batch draws one permit per deposit: a batch of 3 uses up a burst of 3, the next deposit is refused;
    // a batch of 4 exceeds it at once.
    let world = world(Arc::clone(&store)).await;
    let payer = world.register(world.holder(100).await).await.unwrap();
    world.bond(&payer, 4, 4).await.unwrap();
    let coin = world.withdraw(&payer, 1).await.unwrap();
    let (transcript, payee) = world.pay(&payer, &coin);
    let one = World::deposit_request(&transcript, &payee, &payer.holder.account);
    let from = |address: &str| {
        reqwest::Client::builder().local_address(address.parse::<std::net::IpAddr>().unwrap()).build().unwrap()
    };
    let batch = |n: usize| DepositBatchRequest { deposits: vec![one.clone(); n] };
    let third = from("127.0.0.3");
    let response = third.post(format!("{base}/v1/offline/deposits")).json(&batch(3)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let refused = third.post(format!("{base}/v1/offline/deposit")).json(&one).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    let response = from("127.0.0.4").post(format!("{base}/v1/offline/deposits")).json(&batch(4)).send().await.unwrap();
    assert_eq!(response.status(), 429);
}

/// An account's bond, limit and withdrawal transcripts are read only with a signature by the account key
/// over a time close to the mint's clock: no signature, a stale or future time, another key, or the
/// signature of another time are refused; a fresh one works, for both reads.
async fn account_reads_need_the_account_key(store: Arc<dyn MintStore>) {
    let world = world(store).await;
    let payer = world.register(world.holder(100).await).await.unwrap();
    world.bond(&payer, 20, 20).await.unwrap();
    world.withdraw(&payer, 8).await.unwrap();
    let account = payer.holder.account.as_str();
    let now = world.clock.now();
    for tail in ["", "/withdrawals"] {
        // Knowing the account id (or the identity key) is not enough.
        assert_eq!(world.read_with(&payer, tail, "").await.unwrap_err(), 13017);
        assert_eq!(world.read_with(&payer, tail, "?time=abc&signature=00").await.unwrap_err(), 13017);
        let stale = ReadAuth::sign(&payer.holder.key, account, now - 121).unwrap();
        assert_eq!(world.read_with(&payer, tail, &format!("?{}", stale.to_query())).await.unwrap_err(), 13017);
        let future = ReadAuth::sign(&payer.holder.key, account, now + 121).unwrap();
        assert_eq!(world.read_with(&payer, tail, &format!("?{}", future.to_query())).await.unwrap_err(), 13017);
        let stranger = ReadAuth::sign(&SecretKey::random().unwrap(), account, now).unwrap();
        assert_eq!(world.read_with(&payer, tail, &format!("?{}", stranger.to_query())).await.unwrap_err(), 13013);
        let mut moved = ReadAuth::sign(&payer.holder.key, account, now - 10).unwrap();
        moved.time = now;
        assert_eq!(world.read_with(&payer, tail, &format!("?{}", moved.to_query())).await.unwrap_err(), 13013);
        // A signature for another account does not read this one.
        let other = ReadAuth::sign(&payer.holder.key, "another-account", now).unwrap();
        assert_eq!(world.read_with(&payer, tail, &format!("?{}", other.to_query())).await.unwrap_err(), 13013);
        let fresh = ReadAuth::sign(&payer.holder.key, account, now - 120).unwrap();
        world.read_with(&payer, tail, &format!("?{}", fresh.to_query())).await.unwrap();
    }
    let account = world.account(&payer).await;
    assert_eq!((account.bond, account.withdrawn), (20, 8));
}

/// A captured session request cannot be used again: replayed, it gets the answer it got before and opens
/// nothing (the account's open session stays open); with its nonce in another request it is refused
/// (13022). A captured withdraw request is bound to its session: replayed, it gets the same transcript and
/// debits nothing more.
async fn session_and_withdraw_requests_cannot_be_replayed(store: Arc<dyn MintStore>) {
    let world = world(store).await;
    let payer = world.register(world.holder(100).await).await.unwrap();
    world.bond(&payer, 50, 50).await.unwrap();
    let (keyset, _) = world.keyset().await;
    let key = &payer.holder.key;
    let account = payer.holder.account.as_str();
    let captured = SessionRequest::sign(key, account, keyset.id, 8, [1; 32]).unwrap();
    let first: SessionResponseBody = world.mint.post("/v1/offline/session", &captured).await.unwrap();
    // The holder opens another session, which aborts the first.
    let second = world.session(&payer, 8).await.unwrap();
    // The captured request replayed: the identical answer, and the holder's open session is untouched.
    let replayed: SessionResponseBody = world.mint.post("/v1/offline/session", &captured).await.unwrap();
    assert_eq!(replayed, first);
    // Its nonce in another request (even one the holder signed): refused.
    let reused = SessionRequest::sign(key, account, keyset.id, 4, [1; 32]).unwrap();
    assert_eq!(
        code(world.mint.post::<_, SessionResponseBody>("/v1/offline/session", &reused).await.unwrap_err()),
        13022
    );
    let (pending, request) = world.answer(&payer, &second).await;
    let answer: WithdrawalTranscript = world.mint.post("/v1/offline/withdraw", &request).await.unwrap();
    pending.finish(&answer.response).unwrap();
    assert_eq!(world.balance(account).await, 100 - 50 - 8);
    // The withdraw request replayed: the same transcript, nothing more debited, nothing more counted.
    let again: WithdrawalTranscript = world.mint.post("/v1/offline/withdraw", &request).await.unwrap();
    assert_eq!(again, answer);
    assert_eq!(world.balance(account).await, 100 - 50 - 8);
    assert_eq!(world.account(&payer).await.withdrawn, 8);
    // A request of the first session, opened by the captured request, is refused (aborted long ago).
    let (_, late) = world.answer(&payer, &first).await;
    assert_eq!(
        code(world.mint.post::<_, WithdrawalTranscript>("/v1/offline/withdraw", &late).await.unwrap_err()),
        13020
    );
}

/// Answered session requests are forgotten once no retry can need them: a row older than a keyset period
/// disappears when the prune runs (the server's minute sweep, `OfflineMint::forget_session_requests`, or
/// `POST /admin/offline/prune`), and its request replayed is refused all the same (its keyset is no longer
/// current); a fresh row stays, and its retry still gets the identical answer.
async fn old_session_requests_are_forgotten(store: Arc<dyn MintStore>) {
    let world = world(store).await;
    let payer = world.register(world.holder(100).await).await.unwrap();
    world.bond(&payer, 50, 50).await.unwrap();
    let (key, account) = (&payer.holder.key, payer.holder.account.as_str());
    let stored = |nonce: [u8; 32]| {
        let store = Arc::clone(&world.store);
        async move { offline_rows::session_request(store.as_ref(), account, &hex::encode(nonce)).await.unwrap() }
    };
    let (keyset, _) = world.keyset().await;
    let old = SessionRequest::sign(key, account, keyset.id, 8, [1; 32]).unwrap();
    let _: SessionResponseBody = world.mint.post("/v1/offline/session", &old).await.unwrap();

    // Within a period of it, the row stays.
    world.clock.advance(SETTINGS.period_secs);
    world.mint.mint.offline().forget_session_requests().await.unwrap();
    assert!(stored([1; 32]).await.is_some());

    // The next period's request, then past the old one's horizon.
    let (current, _) = world.keyset().await;
    assert_ne!(current.id, keyset.id);
    let fresh = SessionRequest::sign(key, account, current.id, 4, [2; 32]).unwrap();
    let fresh_answer: SessionResponseBody = world.mint.post("/v1/offline/session", &fresh).await.unwrap();
    world.clock.advance(1);
    world.mint.mint.offline().forget_session_requests().await.unwrap();
    assert!(stored([1; 32]).await.is_none());
    assert!(stored([2; 32]).await.is_some());
    // The forgotten request replayed opens nothing: its keyset is not the current one (13002).
    let replayed = world.mint.post::<_, SessionResponseBody>("/v1/offline/session", &old).await;
    assert_eq!(code(replayed.unwrap_err()), 13002);
    let open = offline_rows::session(world.store.as_ref(), account).await.unwrap().unwrap();
    assert_eq!(open.session_id, fresh_answer.session);
    // The fresh one's retry: the identical answer.
    let retried: SessionResponseBody = world.mint.post("/v1/offline/session", &fresh).await.unwrap();
    assert_eq!(retried, fresh_answer);

    // The operator's prune forgets them too.
    world.clock.advance(SETTINGS.period_secs);
    let _: serde_json::Value = world.admin_post("/admin/offline/prune", serde_json::json!({})).await;
    assert!(stored([2; 32]).await.is_none());
}

/// SQLite, durable or down: a deposit whose commit never reached the disk is not answered, and neither is
/// its retry (the stored answer is read only from durable state).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_retry_is_answered_from_durable_state_only() {
    let dir = tempfile::tempdir().unwrap();
    let faults = Arc::new(FaultInjection::default());
    let options = SqliteOptions { faults: Some(Arc::clone(&faults)), ..SqliteOptions::default() };
    let store: Arc<dyn MintStore> =
        Arc::new(SqliteStore::open_with(&dir.path().join("mint.sqlite"), options).await.unwrap());
    let world = world(store).await;
    let payer = world.register(world.holder(100).await).await.unwrap();
    world.bond(&payer, 10, 10).await.unwrap();
    let coin = world.withdraw(&payer, 8).await.unwrap();
    let shop = world.holder(0).await;
    let (transcript, payee) = world.pay(&payer, &coin);
    let request = World::deposit_request(&transcript, &payee, &shop.account);

    faults.fail_syncs();
    let first = world.mint.client.post(world.mint.url("/v1/offline/deposit")).json(&request).send().await.unwrap();
    assert_eq!(first.status(), 503);
    let retry = world.mint.client.post(world.mint.url("/v1/offline/deposit")).json(&request).send().await.unwrap();
    assert_eq!(retry.status(), 503, "a retry was answered from state that is not durable");
    let error: ErrorResponse = retry.json().await.unwrap();
    assert_eq!(error.code.to_code(), 0);
}

macro_rules! offline_tests {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn register_bond_withdraw() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::register_bond_withdraw(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn deposit_and_double_spend() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::deposit_and_double_spend(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn refund_after_the_deadline() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::refund_after_the_deadline(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_retried_refund_gets_the_identical_answer() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::a_retried_refund_gets_the_identical_answer(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn anonymous_deposits() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::anonymous_deposits(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn deposits_check_cheap_things_first_and_verify_on_the_cpu_pool() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::deposits_check_cheap_things_first_and_verify_on_the_cpu_pool(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn deposits_are_rate_limited_per_client() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::deposits_are_rate_limited_per_client(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn account_reads_need_the_account_key() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::account_reads_need_the_account_key(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn session_and_withdraw_requests_cannot_be_replayed() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::session_and_withdraw_requests_cannot_be_replayed(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn deposit_batches() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::deposit_batches(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn old_session_requests_are_forgotten() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::old_session_requests_are_forgotten(store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_deposits() {
                #[allow(unused_variables)]
                let (store, guard) = $make;
                super::concurrent_deposits(store).await;
            }
        }
    };
}

offline_tests!(sqlite, common::sqlite_store().await);
offline_tests!(postgres, (common::postgres_store().await, ()));
