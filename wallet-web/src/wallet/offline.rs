//! Offline coins, the operations that need no mint: cache keysets, take withdrawn coins in, the offline
//! balance, pay a request (payer) and create requests and verify payments (payee). Withdrawal, deposit and
//! refund at the mint (`wallet::offline_mint`) meet this module at [`add_coins`] (coins in), the
//! [`OfflineRequestRecord`]s holding received payments and their payee keys (deposits out), and
//! [`CoinOrigin::Restored`] (refunds).
//!
//! **Spend invariant.** [`pay`] runs under the wallet's locks, reads coins fresh from the store, and commits
//! in one batch that the chosen coins are spent to the request together with the payment's text, before it
//! returns anything to show. A coin spent to one request never answers another; the same request gets the
//! stored payment again (`tests/engine_offline.rs`).

use shared::offline::{IdentitySecret, OfflineError, OfflineKeyset, PaymentRequest};
use shared::{PublicKey, SecretKey};

use super::engine::{Engine, to_json};
use crate::WalletError;
use crate::offline::coins::{answer_request, check_payment, open_coin, wallet_coin};
use crate::offline::denominations::{describe_ranges, payable_ranges, pick_exact};
use crate::offline::records::{
    CoinOrigin, OfflineBalanceView, OfflineCoinRecord, OfflineCoinState, OfflineKeysetRecord, OfflineKeysetView,
    OfflinePaymentRecord, OfflinePaymentView, OfflineRequestRecord, OfflineRequestView, ReceivedPayment, WithdrawnCoin,
    payment_key,
};
use crate::offline::text::{payment_from_text, request_from_text, request_to_text};
use crate::store::{Batch, Table, get_all_json, get_json};

/// The most ranges of payable amounts a balance lists.
pub const PAYABLE_RANGES: usize = 8;

pub(crate) fn now_secs(engine: &Engine) -> u64 {
    (engine.now_ms() / 1000.0).max(0.0) as u64
}

async fn identity(engine: &Engine) -> Result<IdentitySecret, WalletError> {
    Ok(IdentitySecret::from_seed(engine.seed().await?.as_bytes())?)
}

pub(crate) async fn keysets(engine: &Engine) -> Result<Vec<OfflineKeysetRecord>, WalletError> {
    get_all_json(&*engine.store, Table::OfflineKeysets).await
}

pub(crate) async fn coins(engine: &Engine) -> Result<Vec<OfflineCoinRecord>, WalletError> {
    get_all_json(&*engine.store, Table::OfflineCoins).await
}

/// Caches a mint's offline keysets for use with no network; each id is checked against its content.
pub(crate) async fn store_keysets(engine: &Engine, mint: &str, keysets: Vec<OfflineKeyset>) -> Result<(), WalletError> {
    let mut batch = Batch::new();
    for keyset in keysets {
        keyset.verify_id_vartime()?;
        let key = keyset.id.to_hex();
        batch.put(Table::OfflineKeysets, key, &OfflineKeysetRecord { mint: mint.to_owned(), keyset })?;
    }
    engine.store.commit(batch).await
}

/// Takes coins in (the seam a withdrawal or a restore calls): each must check against its cached keyset
/// and open with the secrets derived from this wallet's seed. Returns the value added.
pub(crate) async fn add_coins(
    engine: &Engine,
    mint: &str,
    coins: Vec<WithdrawnCoin>,
    origin: CoinOrigin,
) -> Result<u64, WalletError> {
    let mut batch = Batch::new();
    let added = stage_coins(engine, mint, coins, origin, &mut batch).await?;
    engine.store.commit(batch).await?;
    Ok(added)
}

/// [`add_coins`] into `batch`, so the caller commits the coins with its own records (a withdrawal's
/// journal and counter). Coins already held keep their state. Returns the value added.
pub(crate) async fn stage_coins(
    engine: &Engine,
    mint: &str,
    coins: Vec<WithdrawnCoin>,
    origin: CoinOrigin,
    batch: &mut Batch,
) -> Result<u64, WalletError> {
    let seed = engine.seed().await?;
    let identity = IdentitySecret::from_seed(seed.as_bytes())?.identity()?;
    let cached = keysets(engine).await?;
    let mut added: u64 = 0;
    for withdrawn in coins {
        let keyset =
            cached.iter().find(|k| k.keyset.id == withdrawn.coin.keyset_id).ok_or(OfflineError::UnknownKeyset)?;
        open_coin(seed.as_bytes(), &identity, &keyset.keyset, &withdrawn)?;
        let key = withdrawn.coin.a_point.to_hex();
        if get_json::<OfflineCoinRecord>(&*engine.store, Table::OfflineCoins, &key).await?.is_some() {
            continue; // already held: its state stays as it is
        }
        added = added.checked_add(withdrawn.coin.amount).ok_or(shared::Error::AmountOverflow)?;
        let record = OfflineCoinRecord {
            mint: mint.to_owned(),
            coin: withdrawn.coin,
            counter: withdrawn.counter,
            a0: withdrawn.a0,
            b0: withdrawn.b0,
            origin,
            state: OfflineCoinState::Unspent,
        };
        batch.put(Table::OfflineCoins, key, &record)?;
    }
    Ok(added)
}

/// Whether a coin may pay a request of time `time`: withdrawn here, unspent, its keyset cached and valid.
fn spendable_at<'a>(
    coin: &OfflineCoinRecord,
    cached: &'a [OfflineKeysetRecord],
    time: u64,
) -> Option<&'a OfflineKeysetRecord> {
    if coin.origin != CoinOrigin::Withdrawn || coin.state != OfflineCoinState::Unspent {
        return None;
    }
    cached.iter().find(|k| k.keyset.id == coin.coin.keyset_id && k.keyset.check_payment_time(time).is_ok())
}

/// The offline balance at the clock's time.
pub(crate) async fn balance(engine: &Engine) -> Result<OfflineBalanceView, WalletError> {
    let now = now_secs(engine);
    let cached = keysets(engine).await?;
    let coins = coins(engine).await?;
    let spendable: Vec<u64> =
        coins.iter().filter(|c| spendable_at(c, &cached, now).is_some()).map(|c| c.coin.amount).collect();
    let restored = coins
        .iter()
        .filter(|c| c.origin == CoinOrigin::Restored && c.state == OfflineCoinState::Unspent)
        .try_fold(0u64, |sum, c| sum.checked_add(c.coin.amount))
        .ok_or(shared::Error::AmountOverflow)?;
    let (payable, payable_truncated) = payable_ranges(&spendable, PAYABLE_RANGES);
    let mut views = Vec::new();
    for record in &cached {
        let own: Vec<&OfflineCoinRecord> = coins
            .iter()
            .filter(|c| c.coin.keyset_id == record.keyset.id && spendable_at(c, &cached, now).is_some())
            .collect();
        views.push(OfflineKeysetView {
            id: record.keyset.id.to_hex(),
            mint: record.mint.clone(),
            unit: record.keyset.unit.to_string(),
            coins: own.len(),
            amount: own
                .iter()
                .try_fold(0u64, |s, c| s.checked_add(c.coin.amount))
                .ok_or(shared::Error::AmountOverflow)?,
            valid_until: record.keyset.valid_until,
            deposit_deadline: record.keyset.deposit_deadline,
        });
    }
    views.sort_by_key(|v| v.valid_until);
    Ok(OfflineBalanceView {
        spendable: spendable.iter().try_fold(0u64, |s, c| s.checked_add(*c)).ok_or(shared::Error::AmountOverflow)?,
        restored,
        payable,
        payable_truncated,
        keysets: views,
    })
}

fn payment_view(key: String, record: &OfflinePaymentRecord) -> OfflinePaymentView {
    OfflinePaymentView {
        id: key,
        amount: record.request.amount,
        coins: record.coins.len(),
        text: record.text.clone(),
        at: record.at,
    }
}

/// Reads a request's text (no store, no lock): for the pay screen's preview.
pub(crate) fn read_request(text: &str) -> Result<PaymentRequest, WalletError> {
    request_from_text(text)
}

/// Pays a request offline. The caller holds the wallet's locks. The same request again gets the stored
/// payment; a request the coins cannot pay exactly is refused in plain words, saying what they can pay.
pub(crate) async fn pay(engine: &Engine, text: &str) -> Result<OfflinePaymentView, WalletError> {
    let request = request_from_text(text)?;
    let key = payment_key(&request);
    if let Some(done) = get_json::<OfflinePaymentRecord>(&*engine.store, Table::OfflinePayments, &key).await? {
        if done.request == request {
            return Ok(payment_view(key, &done));
        }
        return Err(WalletError::Invalid(
            "A request with this nonce was paid already with other contents; ask the payee for a new request.".into(),
        ));
    }
    let cached = keysets(engine).await?;
    let mut candidates: Vec<(OfflineCoinRecord, u64)> = coins(engine)
        .await?
        .into_iter()
        .filter_map(|c| spendable_at(&c, &cached, request.time).map(|k| k.keyset.valid_until).map(|until| (c, until)))
        .collect();
    // Coins whose keyset expires first are spent first.
    candidates.sort_by_key(|(_, until)| *until);
    let amounts: Vec<u64> = candidates.iter().map(|(c, _)| c.coin.amount).collect();
    let Some(picked) = pick_exact(&amounts, request.amount) else {
        let restored: u64 = coins(engine)
            .await?
            .iter()
            .filter(|c| c.origin == CoinOrigin::Restored && c.state == OfflineCoinState::Unspent)
            .try_fold(0u64, |s, c| s.checked_add(c.coin.amount))
            .ok_or(shared::Error::AmountOverflow)?;
        let restored_note = if restored > 0 {
            format!(
                " Your {restored} in restored offline coins are never spent offline: this wallet cannot know which of them the lost device spent, and spending one twice would unmask you. They come back to your bank account at the mint online, after their keyset's deposit deadline."
            )
        } else {
            String::new()
        };
        let (ranges, more) = payable_ranges(&amounts, PAYABLE_RANGES);
        let total: u64 =
            amounts.iter().try_fold(0u64, |s, a| s.checked_add(*a)).ok_or(shared::Error::AmountOverflow)?;
        let refusal = if total < request.amount {
            format!(
                "Not enough offline coins: {total} available, {} asked. Offline payments need coins withdrawn beforehand.",
                request.amount
            )
        } else {
            format!(
                "Your offline coins cannot make exactly {} (there is no change offline). They can pay: {}.",
                request.amount,
                describe_ranges(&ranges, more)
            )
        };
        return Err(WalletError::Invalid(format!("{refusal}{restored_note}")));
    };
    let seed = engine.seed().await?;
    let identity_secret = IdentitySecret::from_seed(seed.as_bytes())?;
    let identity = identity_secret.identity()?;
    let mut wallet_coins = Vec::with_capacity(picked.len());
    for index in &picked {
        let (record, _) = &candidates[*index];
        wallet_coins.push(wallet_coin(
            seed.as_bytes(),
            &identity,
            &record.coin,
            record.counter,
            &record.a0,
            &record.b0,
        )?);
    }
    let text = answer_request(&identity_secret, &wallet_coins, &request)?;
    let record = OfflinePaymentRecord {
        request,
        coins: picked.iter().map(|i| candidates[*i].0.coin.a_point.to_hex()).collect(),
        text,
        at: engine.now_ms(),
    };
    // One commit: the coins are spent to this request and the payment is stored, before anything is shown.
    let mut batch = Batch::new();
    for index in &picked {
        let mut coin = candidates[*index].0.clone();
        coin.state = OfflineCoinState::Spent { payment: key.clone() };
        batch.put(Table::OfflineCoins, coin.coin.a_point.to_hex(), &coin)?;
    }
    batch.put(Table::OfflinePayments, key.clone(), &record)?;
    engine.store.commit(batch).await?;
    Ok(payment_view(key, &record))
}

/// Payments made, newest first.
pub(crate) async fn payments(engine: &Engine) -> Result<Vec<OfflinePaymentView>, WalletError> {
    // Payments to the wallet's own requests (its coins exchanged before expiry) are no payments to show.
    let own: Vec<String> = get_all_json::<OfflineRequestRecord>(&*engine.store, Table::OfflineRequests)
        .await?
        .iter()
        .filter(|r| r.own_exchange)
        .map(|r| payment_key(&r.request))
        .collect();
    let mut views: Vec<OfflinePaymentView> = engine
        .store
        .get_all(Table::OfflinePayments)
        .await?
        .into_iter()
        .filter(|(key, _)| !own.contains(key))
        .map(|(key, json)| {
            let record: OfflinePaymentRecord =
                serde_json::from_str(&json).map_err(|e| WalletError::Storage(e.to_string()))?;
            Ok(payment_view(key, &record))
        })
        .collect::<Result<_, WalletError>>()?;
    views.sort_by(|a, b| b.at.total_cmp(&a.at));
    Ok(views)
}

fn request_view(record: &OfflineRequestRecord) -> Result<OfflineRequestView, WalletError> {
    Ok(OfflineRequestView {
        id: record.request.nonce.to_hex(),
        amount: record.request.amount,
        text: request_to_text(&record.request)?,
        created_at: record.created_at,
        received_at: record.received.as_ref().map(|r| r.received_at),
        deposited: record
            .deposits
            .iter()
            .try_fold(0u64, |sum, d| sum.checked_add(d.amount_paid))
            .ok_or(shared::Error::AmountOverflow)?,
        receipts: record.deposits.iter().filter(|d| d.receipt.is_some()).count(),
        deposit_problem: record.deposits.iter().find_map(|d| d.refused.clone()),
    })
}

/// A new request as payee: a fresh key `P` (kept to sign the deposit), a fresh nonce, the clock's time.
pub(crate) async fn create_request(engine: &Engine, amount: u64) -> Result<OfflineRequestView, WalletError> {
    if amount == 0 {
        return Err(WalletError::Invalid("Choose an amount above zero.".into()));
    }
    if amount > super::engine::MAX_TOKEN_VALUE {
        return Err(WalletError::Invalid("This amount is larger than any payment can be.".into()));
    }
    let payee_secret = SecretKey::random()?;
    let request = PaymentRequest::new(payee_secret.public_key(), now_secs(engine), amount)?;
    let record = OfflineRequestRecord {
        request,
        payee_secret,
        created_at: engine.now_ms(),
        received: None,
        deposits: Vec::new(),
        own_exchange: false,
    };
    let mut batch = Batch::new();
    batch.put(Table::OfflineRequests, record.request.nonce.to_hex(), &record)?;
    engine.store.commit(batch).await?;
    request_view(&record)
}

/// Verifies a payment for one of this wallet's requests against the cached keysets, with no network, and
/// stores it to deposit later. The same payment again is accepted again (nothing changes); another
/// payment for a paid request, or a coin already received, is refused.
pub(crate) async fn receive(engine: &Engine, text: &str) -> Result<OfflineRequestView, WalletError> {
    let message = payment_from_text(text)?;
    let nonce = message.request.nonce.to_hex();
    let mut record: OfflineRequestRecord = get_json(&*engine.store, Table::OfflineRequests, &nonce)
        .await?
        .ok_or_else(|| WalletError::Invalid("This payment is not for a request made by this wallet.".into()))?;
    if record.request != message.request {
        return Err(WalletError::Invalid("This payment answers a different request than the one shown.".into()));
    }
    if let Some(received) = &record.received {
        let same = payment_from_text(&received.text).map(|stored| stored == message).unwrap_or(false);
        return if same {
            request_view(&record)
        } else {
            Err(WalletError::Invalid("This request has been paid already.".into()))
        };
    }
    let cached: Vec<OfflineKeyset> = keysets(engine).await?.into_iter().map(|k| k.keyset).collect();
    check_payment(&message, &record.request, &cached)?;
    let now = now_secs(engine);
    for spent in &message.coins {
        let keyset = cached.iter().find(|k| k.id == spent.coin.keyset_id).ok_or(OfflineError::UnknownKeyset)?;
        if keyset.check_deposit_time(now).is_err() {
            return Err(WalletError::Invalid(
                "These coins can no longer be deposited (their deposit deadline has passed).".into(),
            ));
        }
    }
    // A coin paid to this wallet before is a double spend: refuse it now rather than find out at deposit.
    let serials: Vec<PublicKey> = message.coins.iter().map(|c| c.coin.a_point).collect();
    let others: Vec<OfflineRequestRecord> = get_all_json(&*engine.store, Table::OfflineRequests).await?;
    for other in others.iter().filter_map(|o| o.received.as_ref()) {
        let earlier = payment_from_text(&other.text)?;
        if earlier.coins.iter().any(|c| serials.contains(&c.coin.a_point)) {
            return Err(WalletError::Invalid(
                "A coin of this payment was paid to you before: the payer is spending it twice. Refused.".into(),
            ));
        }
    }
    record.received = Some(ReceivedPayment { text: text.trim().to_owned(), received_at: engine.now_ms() });
    let mut batch = Batch::new();
    batch.put_raw(Table::OfflineRequests, nonce, to_json(&record)?);
    engine.store.commit(batch).await?;
    request_view(&record)
}

/// Requests made as payee, newest first (received ones included: they wait for their deposit).
pub(crate) async fn requests(engine: &Engine) -> Result<Vec<OfflineRequestView>, WalletError> {
    let records: Vec<OfflineRequestRecord> = get_all_json(&*engine.store, Table::OfflineRequests).await?;
    let mut views: Vec<OfflineRequestView> =
        records.iter().filter(|r| !r.own_exchange).map(request_view).collect::<Result<_, _>>()?;
    views.sort_by(|a, b| b.created_at.total_cmp(&a.created_at));
    Ok(views)
}

/// This wallet's offline identity `I = u1 g1` (hex), derived from the recovery words.
pub(crate) async fn identity_hex(engine: &Engine) -> Result<String, WalletError> {
    Ok(identity(engine).await?.identity()?.to_hex())
}
