//! Offline coins, the operations against the mint (`docs/offline-coins-endpoints.md`): register the
//! identity derived from the recovery words, lock a bond, withdraw coins (one session per coin), and, when
//! online, sync: refresh keysets, deposit received payments into online notes (with the mint's receipts),
//! exchange own coins before their keyset expires, claim refunds after the deposit deadline. Also restore
//! coins from the mint's withdrawal transcripts and read the published double-spend evidence.
//!
//! **Journal.** Like Cashu operations ([`super::journal`]), every request that moves money is stored with
//! its exact body before it leaves, and an unknown outcome (no answer, a 5xx, a proxy's page, a body that
//! does not parse) is never a refusal: the record stays and the identical body is sent again
//! ([`recover`]).
//! - A withdrawal (`offline-withdrawal:{mint}`, at most one per account as the mint allows one open
//!   session): the counter, the session's values and the `POST /v1/offline/withdraw` body. The coin's
//!   secrets derive from the seed, that counter and the session's `(a0, b0)`, so the answer (or the mint's
//!   stored transcript, `GET /v1/offline/accounts/{account}/withdrawals`) rebuilds the coin. The counter
//!   moves on in the commit that adds the coin, so answered transcripts use consecutive counters.
//! - A deposit (`offline-deposit:{nonce}:{A}`): the body with the wallet's NUT-13 outputs, whose counters
//!   moved in the same commit, so the notes are restorable; the mint answers a retry identically.
//! - A bond (`offline-bond:{mint}`): the body and what it adds, until answered (the mint moves nothing more
//!   on a replay).
//!
//! **History.** What moves money between the bank account at the mint and this wallet gets a history
//! entry written in the commit that ends the operation, so a crash never leaves one without the other and
//! a retried operation never writes it twice: a withdrawal's entry (id in its journal, growing with each
//! coin added), a sync's refunds (one entry growing with each coin refunded), a bond locked (with the
//! journal's end), a payment deposited (one entry per request, growing with each coin).

use serde::{Deserialize, Serialize};
use shared::nuts::{BlindSignature, RestoreRequest, RestoreResponse};
use shared::offline::api::{
    AccountResponse, BondRequest, DepositBatchResponse, DepositRequest, DepositResponse, DepositResult,
    EvidenceResponse, KeysetsResponse, MAX_DEPOSIT_BATCH, ReadAuth, RefundRequest, RefundResponse, RegisterRequest,
    SessionRequest, SessionResponseBody, WithdrawRequest, WithdrawalTranscript, WithdrawalsResponse, deposit_parts,
};
use shared::offline::auth::{self, op};
use shared::offline::{
    CoinSecrets, DepositOutcome, DepositTranscript, IdentitySecret, OfflineError, OfflineKeyset, OfflineKeysetId,
    PaymentRequest, PendingWithdrawal, SessionStart,
};
use shared::{Amount, PublicKey, SecretKey};

use super::crypto::{blinded_messages, build_outputs, unblind};
use super::engine::{Engine, bad_response, new_id, to_json};
use super::issue::account_key;
use super::mints;
use super::offline::{self, now_secs, stage_coins};
use super::records::{Destination, NoteRecord, NoteState, OutputRecord};
use super::views::{HistoryEntry, HistoryKind, HistoryStatus, RecoveryReport};
use crate::WalletError;
use crate::mint_url::MintUrl;
use crate::offline::coins::{answer_request, wallet_coin, withdrawal_challenge};
use crate::offline::denominations::withdrawal_spread;
use crate::offline::records::{
    CoinDeposit, CoinOrigin, EvidenceView, OfflineAccountRecord, OfflineAccountView, OfflineCoinRecord,
    OfflineCoinState, OfflineKeysetSummary, OfflinePaymentRecord, OfflineRequestRecord, OfflineSyncView,
    ReceivedPayment, WithdrawnCoin, payment_key,
};
use crate::offline::text::payment_from_text;
use crate::store::{Batch, Table, get_all_json, get_json};

/// The most offline keysets a mint's list may hold.
pub const MAX_OFFLINE_KEYSETS: usize = 64;
/// The most withdrawal transcripts a restore reads.
pub const MAX_TRANSCRIPTS: usize = 10_000;
/// The most evidence entries the wallet checks.
pub const MAX_EVIDENCE: usize = 1_000;
/// The most coins one sync deposits, exchanges or refunds (the rest wait for the next sync).
pub const MAX_COINS_PER_SYNC: usize = 256;
/// How many counters past the last one found a restore tries for each transcript.
pub const RESTORE_WINDOW: u32 = 32;
/// Own coins are exchanged when their keyset stops paying within this time (or a quarter of its
/// validity, whichever is shorter).
pub const EXCHANGE_BEFORE_SECS: u64 = 3 * 24 * 3600;
/// The largest answer read from the offline endpoints, in bytes.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

const ACCOUNT_PREFIX: &str = "offline-account:";
const WITHDRAWAL_PREFIX: &str = "offline-withdrawal:";
const BOND_PREFIX: &str = "offline-bond:";
const DEPOSIT_PREFIX: &str = "offline-deposit:";
const COUNTER_PREFIX: &str = "offline-counter:";
/// History entry ids: `{prefix}{random id}` of a withdrawal or a sync's refunds, `{prefix}{nonce}` of a
/// payment's deposits.
const HISTORY_WITHDRAWAL: &str = "offline-withdrawal:";
const HISTORY_REFUND: &str = "offline-refund:";
const HISTORY_DEPOSIT: &str = "offline-deposit:";

/// A withdrawal whose `POST /v1/offline/withdraw` may have been applied: finished from the answer or the
/// mint's stored transcript, or dropped once the mint refuses it and keeps no transcript of the session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WithdrawalJournal {
    mint: MintUrl,
    account: String,
    counter: u32,
    session: String,
    start: SessionStart,
    /// The exact request body.
    body: String,
    /// The id of the withdrawal's history entry (absent in journals written before entries existed: the
    /// coin then gets an entry named after its session).
    #[serde(default)]
    history: Option<String>,
}

/// A bond request sent (or about to be).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct BondJournal {
    /// The exact request body.
    body: String,
    /// What it adds to the bond (the body holds the new total).
    added: u64,
}

impl BondJournal {
    /// The stored journal; a bare body (as stored before the journal had fields) adds an unknown amount,
    /// shown as 0.
    fn parse(value: &str) -> BondJournal {
        serde_json::from_str(value).unwrap_or_else(|_| BondJournal { body: value.to_owned(), added: 0 })
    }
}

/// A deposit sent (or about to be): the exact body and the outputs it asks the mint to sign.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DepositJournal {
    mint: MintUrl,
    /// The request's nonce (the key of its [`OfflineRequestRecord`]).
    nonce: String,
    /// `enc(A)` of the coin (hex).
    coin: String,
    transcript: DepositTranscript,
    outputs: Vec<OutputRecord>,
    /// The exact request body.
    body: String,
}

fn account_key_name(mint: &MintUrl) -> String {
    format!("{ACCOUNT_PREFIX}{mint}")
}

fn withdrawal_key(mint: &MintUrl) -> String {
    format!("{WITHDRAWAL_PREFIX}{mint}")
}

fn bond_key(mint: &MintUrl) -> String {
    format!("{BOND_PREFIX}{mint}")
}

fn deposit_key(nonce: &str, coin: &str) -> String {
    format!("{DEPOSIT_PREFIX}{nonce}:{coin}")
}

fn counter_key(keyset: &OfflineKeysetId) -> String {
    format!("{COUNTER_PREFIX}{}", keyset.to_hex())
}

/// Adds `amount` to the history entry `id` in `batch`, creating it (`done`, of `kind`, with `memo`) when
/// the store has none: the one entry of an operation made of several commits grows in each of them.
async fn grow_entry(
    engine: &Engine,
    batch: &mut Batch,
    id: &str,
    kind: HistoryKind,
    mint: &MintUrl,
    amount: u64,
    memo: &str,
) -> Result<(), WalletError> {
    let amount = Amount::from(amount);
    let entry = match get_json::<HistoryEntry>(&*engine.store, Table::History, id).await? {
        Some(mut entry) => {
            entry.amount = entry.amount.checked_add(amount)?;
            entry
        }
        None => {
            let entry = engine.new_entry(kind, mint, amount, Amount::ZERO, Some(memo.to_owned()))?;
            HistoryEntry { id: id.to_owned(), status: HistoryStatus::Done, ..entry }
        }
    };
    batch.put(Table::History, id.to_owned(), &entry)?;
    Ok(())
}

/// The code of a mint's refusal in our offline range (13000–13099), if it is one.
fn offline_code(error: &WalletError) -> Option<u16> {
    match error {
        WalletError::Mint { code, .. } => Some(code.to_code()).filter(|c| (13000..13100).contains(c)),
        _ => None,
    }
}

/// The mint's refusal in plain words.
fn plain_refusal(error: WalletError) -> WalletError {
    let text = match offline_code(&error) {
        Some(13001) => "The mint no longer knows this offline keyset.",
        Some(13002) => "The mint's offline keyset changed just now; try again.",
        Some(13003) => "The deposit deadline of these coins has passed.",
        Some(13010) => "The mint did not accept this wallet's identity proof.",
        Some(13011) => "This bank account is registered for offline use with another identity.",
        Some(13012) => "The mint does not know this account for offline use. Check the account number and register.",
        Some(13013) => "The mint did not accept this wallet's signature: is the account opened for this wallet's key?",
        Some(13014) => "Not enough money in your bank account at the mint.",
        Some(13015) => "The mint refused the bond (it changed meanwhile, or the limit would exceed it); try again.",
        Some(13016) => "This account is blocked from offline withdrawals after a double spend.",
        Some(13020) => "The withdrawal session expired before it was answered; nothing was debited. Try again.",
        Some(13021) => "You have reached your offline limit for this period.",
        Some(13030) => "The mint found these coins or their payment invalid.",
        Some(13031) => "These coins were deposited or refunded already.",
        Some(13032) => "The payment's time is outside the coins' validity period.",
        _ => return error,
    };
    WalletError::Invalid(text.to_owned())
}

/// `GET` an offline endpoint, refusing an answer over [`MAX_ANSWER_BYTES`] before parsing it.
async fn get_bounded<T: serde::de::DeserializeOwned>(
    engine: &Engine,
    mint: &MintUrl,
    path: &str,
) -> Result<T, WalletError> {
    let text = engine.connector.get(mint.as_str(), path).await?;
    if text.len() > MAX_ANSWER_BYTES {
        return Err(WalletError::BadResponse(format!("the answer of {path} is too large")));
    }
    serde_json::from_str(&text).map_err(bad_response)
}

async fn identity_secret(engine: &Engine) -> Result<IdentitySecret, WalletError> {
    Ok(IdentitySecret::from_seed(engine.seed().await?.as_bytes())?)
}

async fn account_record(engine: &Engine, mint: &MintUrl) -> Result<Option<OfflineAccountRecord>, WalletError> {
    get_json(&*engine.store, Table::Meta, &account_key_name(mint)).await
}

async fn registered_account(engine: &Engine, mint: &MintUrl) -> Result<String, WalletError> {
    Ok(account_record(engine, mint)
        .await?
        .ok_or_else(|| {
            WalletError::Invalid(
                "Register this wallet for offline use at this mint first (with your bank account number there).".into(),
            )
        })?
        .account)
}

/// Fetches the mint's offline keysets (ids checked) and caches them; returns them.
pub(crate) async fn refresh_keysets(engine: &Engine, mint: &MintUrl) -> Result<Vec<OfflineKeyset>, WalletError> {
    let answer: KeysetsResponse = get_bounded(engine, mint, "/v1/offline/keysets").await?;
    if answer.keysets.len() > MAX_OFFLINE_KEYSETS {
        return Err(WalletError::BadResponse("the mint lists too many offline keysets".into()));
    }
    offline::store_keysets(engine, mint.as_str(), answer.keysets.clone()).await?;
    Ok(answer.keysets)
}

/// The keyset whose period contains `now` (the latest such).
fn current_keyset(keysets: &[OfflineKeyset], now: u64) -> Option<&OfflineKeyset> {
    keysets.iter().filter(|k| k.valid_from <= now && now < k.valid_until).max_by_key(|k| k.valid_from)
}

/// The mint's receipt key, from the `offline` extension of `GET /v1/info`.
async fn receipt_key(engine: &Engine, mint: &MintUrl) -> Result<PublicKey, WalletError> {
    #[derive(Deserialize)]
    struct Info {
        offline: Option<OfflineInfo>,
    }
    #[derive(Deserialize)]
    struct OfflineInfo {
        receipt_key: PublicKey,
    }
    let info: Info = engine.get_as(mint, "/v1/info").await?;
    info.offline
        .map(|o| o.receipt_key)
        .ok_or_else(|| WalletError::BadResponse("the mint publishes no receipt key for offline deposits".into()))
}

/// An account number as the mint takes it (1 to 64 bytes) that can stand in a URL path as it is.
fn check_account(account: &str) -> Result<(), WalletError> {
    let fits = (1..=64).contains(&account.len())
        && account.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '/' | '?' | '#' | '%'));
    if fits {
        Ok(())
    } else {
        Err(WalletError::Invalid(
            "An account number has 1 to 64 letters, digits or signs, without spaces; check the one the mint gave you."
                .into(),
        ))
    }
}

/// The path of an account read (`suffix` "" or "/withdrawals"), signed by the account key at the wallet's
/// clock (`ReadAuth`: the mint accepts it within 2 minutes of its own).
async fn account_read_path(
    engine: &Engine,
    mint: &MintUrl,
    account: &str,
    suffix: &str,
) -> Result<String, WalletError> {
    check_account(account)?;
    let key = account_key(engine, mint).await?;
    let auth = ReadAuth::sign(&key, account, now_secs(engine))?;
    Ok(format!("/v1/offline/accounts/{account}{suffix}?{}", auth.to_query()))
}

async fn fetch_account(engine: &Engine, mint: &MintUrl, account: &str) -> Result<AccountResponse, WalletError> {
    let path = account_read_path(engine, mint, account, "").await?;
    engine.get_as(mint, &path).await
}

// ---------------------------------------------------------------------------------------------------------
// Account: view, register, bond.

/// The account's state at the mint (or "not registered"), with the cached keysets' dates.
pub(crate) async fn account_view(engine: &Engine, mint: &MintUrl) -> Result<OfflineAccountView, WalletError> {
    let identity = identity_secret(engine).await?.identity()?;
    let cached: Vec<OfflineKeyset> =
        offline::keysets(engine).await?.into_iter().filter(|k| k.mint == mint.as_str()).map(|k| k.keyset).collect();
    let mut keysets: Vec<OfflineKeysetSummary> = cached
        .iter()
        .map(|k| OfflineKeysetSummary {
            id: k.id.to_hex(),
            valid_from: k.valid_from,
            valid_until: k.valid_until,
            deposit_deadline: k.deposit_deadline,
        })
        .collect();
    keysets.sort_by_key(|k| k.valid_until);
    let mut view = OfflineAccountView {
        mint: mint.to_string(),
        registered: false,
        account: None,
        identity: identity.to_hex(),
        bond: 0,
        limit: 0,
        withdrawn: 0,
        available: 0,
        blocked: false,
        keysets,
    };
    let Some(record) = account_record(engine, mint).await? else { return Ok(view) };
    view.account = Some(record.account.clone());
    let answer = match fetch_account(engine, mint, &record.account).await {
        Ok(answer) => answer,
        Err(error) if offline_code(&error) == Some(13012) => return Ok(view),
        Err(error) => return Err(error),
    };
    let current = current_keyset(&cached, now_secs(engine)).map(|k| k.id.to_hex());
    let withdrawn = if Some(&answer.period_keyset) == current.as_ref() { answer.withdrawn } else { 0 };
    view.registered = answer.identity == identity;
    view.bond = answer.bond;
    view.limit = answer.limit;
    view.withdrawn = withdrawn;
    view.blocked = answer.blocked;
    view.available = if answer.blocked { 0 } else { answer.limit.saturating_sub(withdrawn) };
    Ok(view)
}

/// Registers this wallet's identity for `account` at the mint; done already (by this seed) is success.
pub(crate) async fn register(
    engine: &Engine,
    mint: &MintUrl,
    account: &str,
) -> Result<OfflineAccountView, WalletError> {
    let account = account.trim();
    check_account(account)?;
    let identity = identity_secret(engine).await?;
    let public = identity.identity()?;
    let registration = identity.prove_registration(account.as_bytes())?;
    let key = account_key(engine, mint).await?;
    let signature = auth::sign(&key, op::REGISTER, &[account.as_bytes(), &public.to_bytes()])?;
    let request = RegisterRequest { account: account.to_owned(), registration, signature };
    match engine.post_as::<AccountResponse>(mint, "/v1/offline/register", &request).await {
        Ok(answer) if answer.identity == public => {}
        Ok(_) => return Err(WalletError::BadResponse("the mint registered another identity".into())),
        Err(error) if offline_code(&error) == Some(13011) => {
            // Registered before: by this seed (a retry, a restored wallet), or by someone else.
            let answer = fetch_account(engine, mint, account).await?;
            if answer.identity != public {
                return Err(plain_refusal(error));
            }
        }
        Err(error) => return Err(plain_refusal(error)),
    }
    let mut batch = Batch::new();
    let record = OfflineAccountRecord { mint: mint.to_string(), account: account.to_owned() };
    batch.put(Table::Meta, account_key_name(mint), &record)?;
    engine.store.commit(batch).await?;
    account_view(engine, mint).await
}

/// Sends a journaled bond body; `Ok(None)` when no answer came or it does not parse (the body stays for a
/// retry). The answer ends the journal and writes the bond's history entry, in one commit.
async fn send_bond(
    engine: &Engine,
    mint: &MintUrl,
    journal: &BondJournal,
) -> Result<Option<AccountResponse>, WalletError> {
    match engine.connector.post(mint.as_str(), "/v1/offline/bond", &journal.body).await {
        Ok(text) => {
            let Ok(answer) = serde_json::from_str::<AccountResponse>(&text) else { return Ok(None) };
            let mut batch = Batch::new();
            batch.delete(Table::Meta, bond_key(mint));
            let memo = format!("from your bank account; bond now {}", answer.bond);
            let entry =
                engine.new_entry(HistoryKind::BondLocked, mint, journal.added.into(), Amount::ZERO, Some(memo))?;
            let entry = HistoryEntry { status: HistoryStatus::Done, ..entry };
            batch.put(Table::History, entry.id.clone(), &entry)?;
            engine.store.commit(batch).await?;
            Ok(Some(answer))
        }
        Err(WalletError::Network { .. }) => Ok(None),
        Err(error @ WalletError::Mint { .. }) => {
            // A refusal changes nothing at the mint: forget the body.
            let mut batch = Batch::new();
            batch.delete(Table::Meta, bond_key(mint));
            engine.store.commit(batch).await?;
            Err(plain_refusal(error))
        }
        Err(other) => Err(other),
    }
}

/// Locks `amount` more of the bank balance in the bond and sets the offline limit to the whole bond.
pub(crate) async fn lock_bond(engine: &Engine, mint: &MintUrl, amount: u64) -> Result<OfflineAccountView, WalletError> {
    if amount == 0 {
        return Err(WalletError::Invalid("Choose an amount above zero.".into()));
    }
    if amount > super::engine::MAX_TOKEN_VALUE {
        return Err(WalletError::Invalid("This amount is larger than any bond can be.".into()));
    }
    let account = registered_account(engine, mint).await?;
    // A bond sent earlier whose answer was lost goes first, identical (the mint moves nothing twice).
    if let Some(value) = engine.store.get(Table::Meta, &bond_key(mint)).await? {
        if send_bond(engine, mint, &BondJournal::parse(&value)).await?.is_none() {
            return Err(WalletError::Network {
                mint: mint.to_string(),
                reason: "an earlier bond request is still without an answer".into(),
            });
        }
    }
    let current = fetch_account(engine, mint, &account).await?;
    let bond = current.bond.checked_add(amount).ok_or(shared::Error::AmountOverflow)?;
    let key = account_key(engine, mint).await?;
    let signature = auth::sign(&key, op::BOND, &[account.as_bytes(), &bond.to_be_bytes(), &bond.to_be_bytes()])?;
    let body = to_json(&BondRequest { account, bond, limit: bond, signature })?;
    let journal = BondJournal { body, added: amount };
    let mut batch = Batch::new();
    batch.put(Table::Meta, bond_key(mint), &journal)?;
    engine.store.commit(batch).await?;
    match send_bond(engine, mint, &journal).await? {
        Some(_) => account_view(engine, mint).await,
        None => Err(WalletError::Network {
            mint: mint.to_string(),
            reason: "no answer to the bond request; it is sent again when the mint is back".into(),
        }),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Withdrawal.

async fn next_counter(engine: &Engine, keyset: &OfflineKeysetId) -> Result<u32, WalletError> {
    Ok(get_json(&*engine.store, Table::Meta, &counter_key(keyset)).await?.unwrap_or(0))
}

/// Rebuilds the coin of a journaled withdrawal from the mint's transcript and commits it with the
/// counter's move and the journal's end. Returns the value added.
async fn finish_withdrawal(
    engine: &Engine,
    journal: &WithdrawalJournal,
    transcript: &WithdrawalTranscript,
) -> Result<u64, WalletError> {
    if transcript.session != journal.session || transcript.start != journal.start {
        return Err(WalletError::BadResponse("the mint answered another withdrawal session".into()));
    }
    let keyset = offline::keysets(engine)
        .await?
        .into_iter()
        .find(|k| k.keyset.id == journal.start.keyset_id)
        .ok_or(OfflineError::UnknownKeyset)?
        .keyset;
    let seed = engine.seed().await?;
    let identity = identity_secret(engine).await?.identity()?;
    let (pending, challenge) =
        withdrawal_challenge(seed.as_bytes(), &identity, &keyset, journal.counter, &journal.start)?;
    if challenge != transcript.challenge {
        return Err(WalletError::BadResponse("the mint's transcript answers another challenge".into()));
    }
    let coin = pending.finish(&transcript.response)?;
    let withdrawn =
        WithdrawnCoin { coin: coin.coin.clone(), counter: journal.counter, a0: journal.start.a0, b0: journal.start.b0 };
    let mut batch = Batch::new();
    let added = stage_coins(engine, journal.mint.as_str(), vec![withdrawn], CoinOrigin::Withdrawn, &mut batch).await?;
    if added > 0 {
        let id = journal.history.clone().unwrap_or_else(|| format!("{HISTORY_WITHDRAWAL}{}", journal.session));
        let memo = "from your bank account";
        grow_entry(engine, &mut batch, &id, HistoryKind::OfflineWithdrawn, &journal.mint, added, memo).await?;
    }
    let next = journal.counter.checked_add(1).ok_or_else(|| WalletError::Invalid("counter overflow".into()))?;
    if next > next_counter(engine, &keyset.id).await? {
        batch.put(Table::Meta, counter_key(&keyset.id), &next)?;
    }
    batch.delete(Table::Meta, withdrawal_key(&journal.mint));
    engine.store.commit(batch).await?;
    Ok(added)
}

/// The mint's stored transcript of `session`, if it has one.
async fn stored_transcript(
    engine: &Engine,
    mint: &MintUrl,
    account: &str,
    session: &str,
) -> Result<Option<WithdrawalTranscript>, WalletError> {
    let path = account_read_path(engine, mint, account, "/withdrawals").await?;
    let answer: WithdrawalsResponse = get_bounded(engine, mint, &path).await?;
    Ok(answer.withdrawals.into_iter().take(MAX_TRANSCRIPTS).find(|t| t.session == session))
}

/// Sends a journaled withdrawal's identical body and finishes it: the coin's value, or the error (the
/// journal stays when the outcome is unknown; it is dropped when the mint refused and keeps no transcript).
async fn drive_withdrawal(engine: &Engine, journal: &WithdrawalJournal) -> Result<u64, WalletError> {
    let error = match engine.connector.post(journal.mint.as_str(), "/v1/offline/withdraw", &journal.body).await {
        Ok(text) => {
            let transcript: WithdrawalTranscript = serde_json::from_str(&text).map_err(bad_response)?;
            return finish_withdrawal(engine, journal, &transcript).await;
        }
        Err(error @ WalletError::Mint { .. }) => error,
        Err(other) => return Err(other),
    };
    // Refused: the session may still have been answered (an earlier try whose answer was lost).
    if let Some(transcript) = stored_transcript(engine, &journal.mint, &journal.account, &journal.session).await? {
        return finish_withdrawal(engine, journal, &transcript).await;
    }
    if offline_code(&error).is_some() {
        let mut batch = Batch::new();
        batch.delete(Table::Meta, withdrawal_key(&journal.mint));
        engine.store.commit(batch).await?;
    }
    Err(plain_refusal(error))
}

/// One coin of `amount`: opens a session, journals the answer's request, sends it, adds the coin (to the
/// history entry `history`).
async fn withdraw_one(
    engine: &Engine,
    mint: &MintUrl,
    account: &str,
    key: &SecretKey,
    keyset: &OfflineKeyset,
    amount: u64,
    history: &str,
) -> Result<u64, WalletError> {
    // A fresh nonce per request: the mint answers only this request with it (a captured one opens nothing).
    let mut nonce = [0u8; 32];
    getrandom::fill(&mut nonce).map_err(|e| WalletError::Crypto(format!("no randomness: {e}")))?;
    let request = SessionRequest::sign(key, account, keyset.id, amount, nonce)?;
    let session: SessionResponseBody =
        engine.post_as(mint, "/v1/offline/session", &request).await.map_err(plain_refusal)?;
    if session.start.keyset_id != keyset.id || session.start.amount != amount || session.session.len() > 64 {
        return Err(WalletError::BadResponse("the mint opened a session for another coin".into()));
    }
    let seed = engine.seed().await?;
    let identity = identity_secret(engine).await?.identity()?;
    let counter = next_counter(engine, &keyset.id).await?;
    let (_, challenge) = withdrawal_challenge(seed.as_bytes(), &identity, keyset, counter, &session.start)?;
    let signature =
        auth::sign(key, op::WITHDRAW, &[account.as_bytes(), session.session.as_bytes(), &challenge.c0.to_bytes()])?;
    let body = to_json(&WithdrawRequest {
        account: account.to_owned(),
        session: session.session.clone(),
        challenge,
        signature,
    })?;
    let journal = WithdrawalJournal {
        mint: mint.clone(),
        account: account.to_owned(),
        counter,
        session: session.session,
        start: session.start,
        body,
        history: Some(history.to_owned()),
    };
    // Before the request leaves: whatever happens next, recovery finds the coin the account pays for.
    let mut batch = Batch::new();
    batch.put(Table::Meta, withdrawal_key(mint), &journal)?;
    engine.store.commit(batch).await?;
    drive_withdrawal(engine, &journal).await
}

/// Withdraws `amount` as a spread of coins of the current keyset, one session each; `progress(done,
/// total)` after each. Returns the value added.
pub(crate) async fn withdraw(
    engine: &Engine,
    mint: &MintUrl,
    amount: u64,
    progress: &dyn Fn(usize, usize),
) -> Result<u64, WalletError> {
    let account = registered_account(engine, mint).await?;
    let mut added = 0u64;
    // A withdrawal interrupted earlier is finished first.
    if let Some(journal) = get_json::<WithdrawalJournal>(&*engine.store, Table::Meta, &withdrawal_key(mint)).await? {
        added = drive_withdrawal(engine, &journal).await?;
    }
    let keysets = refresh_keysets(engine, mint).await?;
    let keyset = current_keyset(&keysets, now_secs(engine))
        .ok_or_else(|| WalletError::Invalid("The mint offers no offline coins right now.".into()))?
        .clone();
    let denominations: Vec<u64> = keyset.keys.keys().copied().collect();
    let spread = withdrawal_spread(&denominations, amount).map_err(|e| WalletError::Invalid(e.to_string()))?;
    let state = fetch_account(engine, mint, &account).await.map_err(plain_refusal)?;
    if state.blocked {
        return Err(plain_refusal(WalletError::Mint {
            code: shared::nuts::ErrorCode::from_code(13016),
            detail: String::new(),
        }));
    }
    let withdrawn = if state.period_keyset == keyset.id.to_hex() { state.withdrawn } else { 0 };
    let available = state.limit.saturating_sub(withdrawn);
    if amount > available {
        return Err(WalletError::Invalid(format!(
            "You can withdraw {available} more in offline coins this period (your limit is {}, backed by your bond).",
            state.limit
        )));
    }
    let key = account_key(engine, mint).await?;
    // One history entry for the whole withdrawal, growing with each coin.
    let history = format!("{HISTORY_WITHDRAWAL}{}", new_id()?);
    progress(0, spread.len());
    for (index, coin) in spread.iter().enumerate() {
        let value = withdraw_one(engine, mint, &account, &key, &keyset, *coin, &history).await?;
        added = added.checked_add(value).ok_or(shared::Error::AmountOverflow)?;
        progress(index + 1, spread.len());
    }
    Ok(added)
}

// ---------------------------------------------------------------------------------------------------------
// Restore.

/// Rebuilds this wallet's coins from the mint's withdrawal transcripts as [`CoinOrigin::Restored`] (never
/// spent offline; refunded after their keyset's deposit deadline). Coins still held keep their state.
/// Returns the value added.
pub(crate) async fn restore(engine: &Engine, mint: &MintUrl) -> Result<u64, WalletError> {
    let account = registered_account(engine, mint).await?;
    // Keysets still listed are cached afresh; older ones only if this wallet cached them before.
    if let Err(error) = refresh_keysets(engine, mint).await {
        if !matches!(error, WalletError::BadResponse(_)) {
            return Err(error);
        }
    }
    let cached: Vec<OfflineKeyset> = offline::keysets(engine).await?.into_iter().map(|k| k.keyset).collect();
    let path = account_read_path(engine, mint, &account, "/withdrawals").await?;
    let answer: WithdrawalsResponse = get_bounded(engine, mint, &path).await?;
    if answer.withdrawals.len() > MAX_TRANSCRIPTS {
        return Err(WalletError::BadResponse("the mint lists too many withdrawals".into()));
    }
    let seed = engine.seed().await?;
    let identity = identity_secret(engine).await?.identity()?;
    // Answered sessions use consecutive counters per keyset, but the mint's list need not be in counter
    // order: each transcript is tried against every unused counter up to RESTORE_WINDOW past the last found.
    let mut used: std::collections::BTreeMap<OfflineKeysetId, std::collections::BTreeSet<u32>> =
        std::collections::BTreeMap::new();
    let mut coins = Vec::new();
    for transcript in &answer.withdrawals {
        let Some(keyset) = cached.iter().find(|k| k.id == transcript.start.keyset_id) else { continue };
        let taken = used.entry(keyset.id).or_default();
        let end = taken.last().map_or(0, |last| last.saturating_add(1)).saturating_add(RESTORE_WINDOW);
        for counter in (0..end).filter(|c| !taken.contains(c)) {
            let (a0, b0) = (&transcript.start.a0, &transcript.start.b0);
            let secrets = CoinSecrets::derive(seed.as_bytes(), &keyset.id, counter, a0, b0)?;
            let Ok((pending, challenge)) = PendingWithdrawal::prepare(&identity, keyset, &transcript.start, secrets)
            else {
                break;
            };
            if challenge != transcript.challenge {
                continue;
            }
            if let Ok(coin) = pending.finish(&transcript.response) {
                coins.push(WithdrawnCoin { coin: coin.coin, counter, a0: *a0, b0: *b0 });
            }
            taken.insert(counter);
            break;
        }
    }
    let mut batch = Batch::new();
    let added = stage_coins(engine, mint.as_str(), coins, CoinOrigin::Restored, &mut batch).await?;
    for (keyset, taken) in used {
        let Some(next) = taken.last().map(|last| last.saturating_add(1)) else { continue };
        if next > next_counter(engine, &keyset).await? {
            batch.put(Table::Meta, counter_key(&keyset), &next)?;
        }
    }
    engine.store.commit(batch).await?;
    Ok(added)
}

// ---------------------------------------------------------------------------------------------------------
// Sync: deposits, exchange, refunds.

/// The coins of received payments at this mint not deposited yet and not in flight, with their request.
async fn undeposited(
    engine: &Engine,
    mint: &MintUrl,
) -> Result<Vec<(OfflineRequestRecord, shared::offline::SpentCoin)>, WalletError> {
    let cached = offline::keysets(engine).await?;
    let requests: Vec<OfflineRequestRecord> = get_all_json(&*engine.store, Table::OfflineRequests).await?;
    let mut out = Vec::new();
    for record in requests {
        let Some(received) = &record.received else { continue };
        let message = payment_from_text(&received.text)?;
        for spent in message.coins {
            let coin = spent.coin.a_point.to_hex();
            let ours = cached.iter().any(|k| k.keyset.id == spent.coin.keyset_id && k.mint == mint.as_str());
            if !ours || record.deposits.iter().any(|d| d.coin == coin) {
                continue;
            }
            let nonce = record.request.nonce.to_hex();
            if engine.store.get(Table::Meta, &deposit_key(&nonce, &coin)).await?.is_some() {
                continue;
            }
            out.push((record.clone(), spent));
        }
    }
    Ok(out)
}

/// Journals the deposit of one received coin with fresh NUT-13 outputs (counters moved in the same commit).
async fn start_deposit(
    engine: &Engine,
    mint: &MintUrl,
    record: &OfflineRequestRecord,
    spent: &shared::offline::SpentCoin,
) -> Result<DepositJournal, WalletError> {
    let mint_record = mints::known_or_add(engine, mint.as_str()).await?;
    let active = mint_record.active_keyset().ok_or_else(|| WalletError::UnknownMint(mint.to_string()))?;
    let max = super::engine::max_denomination(&mint_record)?;
    let amounts: Vec<(Amount, Destination)> =
        Amount::from(spent.coin.amount).split_with_max(max)?.into_iter().map(|a| (a, Destination::Keep)).collect();
    if amounts.len() > 64 {
        return Err(WalletError::Invalid("This coin is too large for the mint's online notes.".into()));
    }
    let transcript = DepositTranscript::sign(spent, &record.request, &record.payee_secret)?;
    let seed = engine.seed().await?;
    let first = engine.counter(&active.id).await?;
    let outputs = build_outputs(&seed, active.id, first, &amounts)?;
    let messages = blinded_messages(&outputs);
    let parts = deposit_parts(None, &transcript.message()?, Some(&messages));
    let signature = auth::sign(&record.payee_secret, op::DEPOSIT, &[&parts[0], &parts[1], &parts[2]])?;
    let body =
        to_json(&DepositRequest { transcript: transcript.clone(), account: None, outputs: Some(messages), signature })?;
    let journal = DepositJournal {
        mint: mint.clone(),
        nonce: record.request.nonce.to_hex(),
        coin: spent.coin.a_point.to_hex(),
        transcript,
        outputs,
        body,
    };
    let next = first
        .checked_add(u32::try_from(journal.outputs.len()).map_err(|_| WalletError::Invalid("too many outputs".into()))?)
        .ok_or_else(|| WalletError::Invalid("counter overflow".into()))?;
    let mut batch = Batch::new();
    batch.put(Table::Counters, active.id.to_string(), &next)?;
    batch.put(Table::Meta, deposit_key(&journal.nonce, &journal.coin), &journal)?;
    engine.store.commit(batch).await?;
    Ok(journal)
}

/// How one deposit ended this time.
enum Deposited {
    /// Paid: the value and how much of it came from a cheater's bond.
    Paid { amount: u64, from_bond: u64 },
    /// Refused for good (the reason is kept with the request).
    Refused,
    /// No verdict: the journal stays.
    Pending,
}

/// Commits the notes of a deposit with the request's record of it and the journal's end.
async fn finish_deposit(
    engine: &Engine,
    journal: &DepositJournal,
    pairs: Vec<(OutputRecord, BlindSignature)>,
    deposit: CoinDeposit,
) -> Result<(), WalletError> {
    let mut record = engine.mint_record(journal.mint.as_str()).await?;
    let mut notes: Vec<NoteRecord> = Vec::new();
    for (output, signature) in &pairs {
        if signature.amount != output.amount {
            return Err(WalletError::BadResponse("a signature is for another amount".into()));
        }
        let keyset = mints::keyset_keys(engine, &mut record, &output.keyset_id).await?;
        notes.push(unblind(&journal.mint, output, signature, &keyset, NoteState::Unspent)?);
    }
    let mut request: OfflineRequestRecord = get_json(&*engine.store, Table::OfflineRequests, &journal.nonce)
        .await?
        .ok_or_else(|| WalletError::Storage("a deposit's request is gone".into()))?;
    let mut batch = Batch::new();
    for note in &notes {
        batch.put(Table::Notes, note.y.clone(), note)?;
    }
    if deposit.amount_paid > 0 {
        // The online balance grew: the activity list says from where.
        // One entry per payment, its amount growing with each coin deposited.
        let id = format!("{HISTORY_DEPOSIT}{}", journal.nonce);
        let memo = if request.own_exchange { "Offline coins exchanged" } else { "Offline payment deposited" };
        grow_entry(engine, &mut batch, &id, HistoryKind::Received, &journal.mint, deposit.amount_paid, memo).await?;
    }
    if !request.deposits.iter().any(|d| d.coin == deposit.coin) {
        request.deposits.push(deposit);
    }
    batch.put(Table::OfflineRequests, journal.nonce.clone(), &request)?;
    batch.delete(Table::Meta, deposit_key(&journal.nonce, &journal.coin));
    engine.store.commit(batch).await
}

/// Sends a journaled deposit's identical body and settles it.
async fn drive_deposit(
    engine: &Engine,
    journal: &DepositJournal,
    receipt_key: &PublicKey,
) -> Result<Deposited, WalletError> {
    match engine.connector.post(journal.mint.as_str(), "/v1/offline/deposit", &journal.body).await {
        Ok(text) => match serde_json::from_str::<DepositResponse>(&text) {
            Ok(answer) => settle_answer(engine, journal, answer, receipt_key).await,
            Err(_) => Ok(Deposited::Pending),
        },
        Err(error @ WalletError::Mint { .. }) => settle_refusal(engine, journal, error).await,
        Err(WalletError::Network { .. }) => Ok(Deposited::Pending),
        Err(other) => Err(other),
    }
}

/// Sends journaled deposits to one mint, up to [`MAX_DEPOSIT_BATCH`] per request
/// (`POST /v1/offline/deposits`, each body identical to its journal's), and settles each from its own result,
/// in the journals' order. A batch the mint refuses as a whole is sent again one deposit at a time; an answer
/// this wallet cannot read leaves every deposit of the batch pending.
async fn drive_deposits(
    engine: &Engine,
    journals: &[DepositJournal],
    receipt_key: &PublicKey,
) -> Result<Vec<Deposited>, WalletError> {
    let mut out = Vec::with_capacity(journals.len());
    for chunk in journals.chunks(MAX_DEPOSIT_BATCH) {
        let [first, ..] = chunk else { continue };
        if chunk.len() == 1 {
            out.push(drive_deposit(engine, first, receipt_key).await?);
            continue;
        }
        let bodies: Vec<&str> = chunk.iter().map(|j| j.body.as_str()).collect();
        let body = format!("{{\"deposits\":[{}]}}", bodies.join(","));
        match engine.connector.post(first.mint.as_str(), "/v1/offline/deposits", &body).await {
            Ok(text) => match serde_json::from_str::<DepositBatchResponse>(&text) {
                Ok(answer) if answer.results.len() == chunk.len() => {
                    for (journal, result) in chunk.iter().zip(answer.results) {
                        out.push(match result {
                            DepositResult::Response(answer) => {
                                settle_answer(engine, journal, answer, receipt_key).await?
                            }
                            DepositResult::Error(refusal) => {
                                let error = WalletError::Mint { code: refusal.code, detail: refusal.detail };
                                settle_refusal(engine, journal, error).await?
                            }
                        });
                    }
                }
                _ => out.extend(chunk.iter().map(|_| Deposited::Pending)),
            },
            Err(WalletError::Mint { .. }) => {
                for journal in chunk {
                    out.push(drive_deposit(engine, journal, receipt_key).await?);
                }
            }
            Err(WalletError::Network { .. }) => out.extend(chunk.iter().map(|_| Deposited::Pending)),
            Err(other) => return Err(other),
        }
    }
    Ok(out)
}

/// Settles a deposit from the mint's answer: the notes of the signed outputs, the receipt if it checks.
async fn settle_answer(
    engine: &Engine,
    journal: &DepositJournal,
    answer: DepositResponse,
    receipt_key: &PublicKey,
) -> Result<Deposited, WalletError> {
    if answer.signatures.len() != journal.outputs.len() {
        return Ok(Deposited::Pending);
    }
    let receipt = answer.receipt;
    let valid = receipt.verify_vartime(receipt_key).is_ok()
        && receipt.is_for(&journal.transcript).unwrap_or(false)
        && receipt.payee == journal.transcript.payee
        && receipt.outcome != DepositOutcome::Refunded;
    let pairs: Vec<(OutputRecord, BlindSignature)> = journal
        .outputs
        .iter()
        .cloned()
        .zip(answer.signatures)
        .filter_map(|(output, signature)| signature.map(|s| (output, s)))
        .collect();
    let paid = pairs.iter().try_fold(0u64, |s, (_, sig)| s.checked_add(sig.amount.to_u64()));
    let paid = paid.ok_or(shared::Error::AmountOverflow)?;
    let from_bond = if valid { receipt.amount_from_bond.min(paid) } else { 0 };
    let deposit =
        CoinDeposit { coin: journal.coin.clone(), amount_paid: paid, receipt: valid.then_some(receipt), refused: None };
    finish_deposit(engine, journal, pairs, deposit).await?;
    Ok(Deposited::Paid { amount: paid, from_bond })
}

/// Settles a deposit the mint refused: outputs it signed before are ours whatever it says now; otherwise
/// the refusal is kept (a verdict), or the journal stays (no verdict).
async fn settle_refusal(
    engine: &Engine,
    journal: &DepositJournal,
    error: WalletError,
) -> Result<Deposited, WalletError> {
    // Outputs the mint signed are ours whatever it says now: look them up by their `B'` first.
    let request = RestoreRequest { outputs: blinded_messages(&journal.outputs) };
    let restored: RestoreResponse = match engine.post_as(&journal.mint, "/v1/restore", &request).await {
        Ok(restored) => restored,
        Err(WalletError::Network { .. }) => return Ok(Deposited::Pending),
        Err(other) => return Err(other),
    };
    let mut pairs = Vec::new();
    for (message, signature) in restored.outputs.iter().zip(restored.signatures) {
        if let Some(output) = journal.outputs.iter().find(|o| o.blinded == message.blinded_secret) {
            pairs.push((output.clone(), signature));
        }
    }
    if !pairs.is_empty() {
        let paid = pairs.iter().try_fold(0u64, |s, (_, sig)| s.checked_add(sig.amount.to_u64()));
        let paid = paid.ok_or(shared::Error::AmountOverflow)?;
        let deposit = CoinDeposit { coin: journal.coin.clone(), amount_paid: paid, receipt: None, refused: None };
        finish_deposit(engine, journal, pairs, deposit).await?;
        return Ok(Deposited::Paid { amount: paid, from_bond: 0 });
    }
    match offline_code(&error) {
        // Our outputs: signed before, or not signable (a keyset rotated): the next sync builds new ones.
        Some(13034 | 13035) => {
            let mut batch = Batch::new();
            batch.delete(Table::Meta, deposit_key(&journal.nonce, &journal.coin));
            engine.store.commit(batch).await?;
            Ok(Deposited::Pending)
        }
        Some(13000 | 13001 | 13003 | 13030 | 13031 | 13032) => {
            let reason = plain_refusal(error).to_string();
            let deposit =
                CoinDeposit { coin: journal.coin.clone(), amount_paid: 0, receipt: None, refused: Some(reason) };
            finish_deposit(engine, journal, Vec::new(), deposit).await?;
            Ok(Deposited::Refused)
        }
        _ => Ok(Deposited::Pending),
    }
}

/// Pays this wallet's own coins, whose keyset stops paying soon, to a request of its own, in one commit
/// (the coin spent to that payment, the payment received): the deposits that follow turn them into online
/// notes. Returns the coins and value exchanged.
async fn exchange_expiring(engine: &Engine, mint: &MintUrl) -> Result<(usize, u64), WalletError> {
    let now = now_secs(engine);
    let cached = offline::keysets(engine).await?;
    let seed = engine.seed().await?;
    let identity_secret = identity_secret(engine).await?;
    let identity = identity_secret.identity()?;
    let (mut count, mut value) = (0usize, 0u64);
    let coins: Vec<OfflineCoinRecord> = offline::coins(engine).await?;
    for record in coins.into_iter().filter(|c| c.mint == mint.as_str()).take(MAX_COINS_PER_SYNC) {
        if record.origin != CoinOrigin::Withdrawn || record.state != OfflineCoinState::Unspent {
            continue;
        }
        let Some(keyset) = cached.iter().find(|k| k.keyset.id == record.coin.keyset_id).map(|k| &k.keyset) else {
            continue;
        };
        let margin = EXCHANGE_BEFORE_SECS.min(keyset.valid_until.saturating_sub(keyset.valid_from) / 4);
        if now.saturating_add(margin) < keyset.valid_until || now > keyset.deposit_deadline {
            continue;
        }
        let payee_secret = SecretKey::random()?;
        let time = now.clamp(keyset.valid_from, keyset.valid_until);
        let request = PaymentRequest::new(payee_secret.public_key(), time, record.coin.amount)?;
        let coin = wallet_coin(seed.as_bytes(), &identity, &record.coin, record.counter, &record.a0, &record.b0)?;
        let text = answer_request(&identity_secret, std::slice::from_ref(&coin), &request)?;
        let key = payment_key(&request);
        let mut batch = Batch::new();
        let mut spent = record.clone();
        spent.state = OfflineCoinState::Spent { payment: key.clone() };
        batch.put(Table::OfflineCoins, record.coin.a_point.to_hex(), &spent)?;
        let paid = OfflinePaymentRecord {
            request: request.clone(),
            coins: vec![record.coin.a_point.to_hex()],
            text: text.clone(),
            at: engine.now_ms(),
        };
        batch.put(Table::OfflinePayments, key, &paid)?;
        let received = OfflineRequestRecord {
            request,
            payee_secret,
            created_at: engine.now_ms(),
            received: Some(ReceivedPayment { text, received_at: engine.now_ms() }),
            deposits: Vec::new(),
            own_exchange: true,
        };
        batch.put(Table::OfflineRequests, received.request.nonce.to_hex(), &received)?;
        engine.store.commit(batch).await?;
        count += 1;
        value = value.checked_add(record.coin.amount).ok_or(shared::Error::AmountOverflow)?;
    }
    Ok((count, value))
}

/// Claims back every unspent coin (restored, or withdrawn and never spent) whose keyset's deposit deadline
/// has passed. Returns (refunded, value, pending).
async fn refund_expired(engine: &Engine, mint: &MintUrl) -> Result<(usize, u64, usize), WalletError> {
    let now = now_secs(engine);
    let cached = offline::keysets(engine).await?;
    let due: Vec<OfflineCoinRecord> = offline::coins(engine)
        .await?
        .into_iter()
        .filter(|c| c.mint == mint.as_str() && c.state == OfflineCoinState::Unspent)
        .filter(|c| cached.iter().any(|k| k.keyset.id == c.coin.keyset_id && now > k.keyset.deposit_deadline))
        .take(MAX_COINS_PER_SYNC)
        .collect();
    if due.is_empty() {
        return Ok((0, 0, 0));
    }
    let Some(account) = account_record(engine, mint).await?.map(|r| r.account) else { return Ok((0, 0, due.len())) };
    let seed = engine.seed().await?;
    let identity_secret = identity_secret(engine).await?;
    let identity = identity_secret.identity()?;
    let key = account_key(engine, mint).await?;
    let receipt_key = receipt_key(engine, mint).await?;
    let (mut count, mut value, mut pending) = (0usize, 0u64, 0usize);
    // One history entry for this sync's refunds, growing with each coin.
    let history = format!("{HISTORY_REFUND}{}", new_id()?);
    for mut record in due {
        let coin = wallet_coin(seed.as_bytes(), &identity, &record.coin, record.counter, &record.a0, &record.b0)?;
        let proof = coin.prove_ownership(&identity_secret, account.as_bytes())?;
        let signature = auth::sign(&key, op::REFUND, &[account.as_bytes(), &record.coin.hash()?])?;
        let request = RefundRequest { account: account.clone(), coin: record.coin.clone(), proof, signature };
        record.state = match engine.post_as::<RefundResponse>(mint, "/v1/offline/refund", &request).await {
            // Credited with a receipt that proves it: refunded. A receipt that does not verify (or is for
            // something else) leaves the coin settled, not counted: the mint said so without proof.
            Ok(answer)
                if answer.receipt.verify_vartime(&receipt_key).is_ok()
                    && answer.receipt.is_for_refund(&record.coin, &account, &key.public_key()).unwrap_or(false) =>
            {
                count += 1;
                value = value.checked_add(answer.amount).ok_or(shared::Error::AmountOverflow)?;
                OfflineCoinState::Refunded { amount: answer.amount }
            }
            Ok(_) => OfflineCoinState::Settled,
            Err(error) if matches!(offline_code(&error), Some(13031 | 13005)) => OfflineCoinState::Settled,
            Err(_) => {
                pending += 1;
                continue;
            }
        };
        let mut batch = Batch::new();
        batch.put(Table::OfflineCoins, record.coin.a_point.to_hex(), &record)?;
        if let OfflineCoinState::Refunded { amount } = record.state {
            let memo = "to your bank account";
            grow_entry(engine, &mut batch, &history, HistoryKind::OfflineRefunded, mint, amount, memo).await?;
        }
        engine.store.commit(batch).await?;
    }
    Ok((count, value, pending))
}

/// Everything a wallet does with offline coins when online, in order: keysets, exchange of expiring own
/// coins, deposits (those of earlier syncs still in flight first), refunds after the deadline.
pub(crate) async fn sync(engine: &Engine, mint: &MintUrl) -> Result<OfflineSyncView, WalletError> {
    let mut view = OfflineSyncView { keysets: refresh_keysets(engine, mint).await?.len(), ..Default::default() };
    let (exchanged, exchanged_amount) = exchange_expiring(engine, mint).await?;
    view.exchanged = exchanged;
    view.exchanged_amount = exchanged_amount;
    let receipt_key = receipt_key(engine, mint).await?;
    let mut journals = deposit_journals(engine, Some(mint)).await?;
    for (record, spent) in undeposited(engine, mint).await?.into_iter().take(MAX_COINS_PER_SYNC) {
        journals.push(start_deposit(engine, mint, &record, &spent).await?);
    }
    for deposited in drive_deposits(engine, &journals, &receipt_key).await? {
        match deposited {
            Deposited::Paid { amount, from_bond } => {
                view.deposited += 1;
                view.deposited_amount =
                    view.deposited_amount.checked_add(amount).ok_or(shared::Error::AmountOverflow)?;
                view.from_bond = view.from_bond.checked_add(from_bond).ok_or(shared::Error::AmountOverflow)?;
            }
            Deposited::Refused => view.refused += 1,
            Deposited::Pending => view.pending += 1,
        }
    }
    let (refunded, refunded_amount, pending) = refund_expired(engine, mint).await?;
    view.refunded = refunded;
    view.refunded_amount = refunded_amount;
    view.pending += pending;
    Ok(view)
}

async fn deposit_journals(engine: &Engine, mint: Option<&MintUrl>) -> Result<Vec<DepositJournal>, WalletError> {
    let mut out = Vec::new();
    for (key, value) in engine.store.get_all(Table::Meta).await? {
        if !key.starts_with(DEPOSIT_PREFIX) {
            continue;
        }
        let journal: DepositJournal = serde_json::from_str(&value).map_err(|e| WalletError::Storage(e.to_string()))?;
        if mint.is_none_or(|m| *m == journal.mint) {
            out.push(journal);
        }
    }
    Ok(out)
}

/// How many offline journal records (withdrawals, bonds, deposits) wait to be re-driven by [`recover`]: a
/// count of the meta records by key.
pub(crate) async fn journal_count(engine: &Engine) -> Result<usize, WalletError> {
    let keys = engine.store.get_all(Table::Meta).await?;
    Ok(keys
        .iter()
        .filter(|(key, _)| [WITHDRAWAL_PREFIX, BOND_PREFIX, DEPOSIT_PREFIX].iter().any(|p| key.starts_with(p)))
        .count())
}

/// Whether the wallet holds offline coins, payments or requests made, or an offline journal
/// ([`super::Wallet::offline_in_use`]).
pub(crate) async fn in_use(engine: &Engine) -> Result<bool, WalletError> {
    for table in [Table::OfflineCoins, Table::OfflinePayments, Table::OfflineRequests] {
        if !engine.store.get_all(table).await?.is_empty() {
            return Ok(true);
        }
    }
    Ok(journal_count(engine).await? > 0)
}

/// Recovery of the offline journal: interrupted withdrawals, bonds and deposits are sent again, identical.
pub(crate) async fn recover(engine: &Engine, report: &mut RecoveryReport) -> Result<(), WalletError> {
    for (key, value) in engine.store.get_all(Table::Meta).await? {
        if key.starts_with(WITHDRAWAL_PREFIX) {
            let journal: WithdrawalJournal =
                serde_json::from_str(&value).map_err(|e| WalletError::Storage(e.to_string()))?;
            match drive_withdrawal(engine, &journal).await {
                Ok(_) => report.finished += 1,
                Err(WalletError::Network { .. } | WalletError::BadResponse(_)) => report.still_pending += 1,
                Err(_) => report.rolled_back += 1,
            }
        } else if let Some(mint) = key.strip_prefix(BOND_PREFIX) {
            let mint = MintUrl::parse(mint)?;
            match send_bond(engine, &mint, &BondJournal::parse(&value)).await {
                Ok(Some(_)) => report.finished += 1,
                Ok(None) => report.still_pending += 1,
                Err(_) => report.rolled_back += 1,
            }
        }
    }
    let journals = deposit_journals(engine, None).await?;
    let mut keys: Vec<MintUrl> = journals.iter().map(|j| j.mint.clone()).collect();
    keys.dedup();
    for mint in keys {
        let Ok(key) = receipt_key(engine, &mint).await else {
            report.still_pending += journals.iter().filter(|j| j.mint == mint).count();
            continue;
        };
        let at_mint: Vec<DepositJournal> = journals.iter().filter(|j| j.mint == mint).cloned().collect();
        match drive_deposits(engine, &at_mint, &key).await {
            Ok(results) => {
                for deposited in results {
                    match deposited {
                        Deposited::Paid { .. } => report.finished += 1,
                        Deposited::Refused => report.rolled_back += 1,
                        Deposited::Pending => report.still_pending += 1,
                    }
                }
            }
            Err(_) => report.still_pending += at_mint.len(),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Evidence.

/// The mint's published double-spend evidence, each entry verified here with `shared`'s verifier (the
/// mint is not trusted), flagged when it concerns a coin this wallet received.
pub(crate) async fn evidence(engine: &Engine, mint: &MintUrl) -> Result<Vec<EvidenceView>, WalletError> {
    let answer: EvidenceResponse = get_bounded(engine, mint, "/v1/offline/evidence").await?;
    let me = identity_secret(engine).await?.identity()?;
    let mut received: Vec<String> = Vec::new();
    let requests: Vec<OfflineRequestRecord> = get_all_json(&*engine.store, Table::OfflineRequests).await?;
    for record in requests.iter().filter(|r| !r.own_exchange) {
        if let Some(payment) = &record.received {
            received.extend(payment_from_text(&payment.text)?.coins.iter().map(|c| c.coin.a_point.to_hex()));
        }
    }
    let mut views = Vec::new();
    for entry in answer.evidence.into_iter().take(MAX_EVIDENCE) {
        let coin = entry.first.coin.a_point.to_hex();
        let checked = entry.verify_vartime();
        let identity = checked.as_ref().ok().copied();
        views.push(EvidenceView {
            amount: entry.first.coin.amount,
            keyset: entry.keyset.id.to_hex(),
            verified: checked.is_ok(),
            identity: identity.map(|i| i.to_hex()),
            problem: checked.err().map(|e| WalletError::from(e).to_string()),
            payees: [entry.first.payee.to_hex(), entry.second.payee.to_hex()],
            concerns_my_deposit: received.contains(&coin),
            is_me: identity == Some(me),
            coin,
        });
    }
    Ok(views)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_numbers_are_bounded_and_path_safe() {
        assert!(check_account("3f2a-01").is_ok());
        assert!(check_account(&"a".repeat(64)).is_ok());
        for bad in ["", "a b", "../x", "a?b", "a#b", "%2e", "é"] {
            assert!(check_account(bad).is_err(), "{bad:?}");
        }
        assert!(check_account(&"a".repeat(65)).is_err());
    }

    #[test]
    fn a_bare_bond_body_is_a_journal_of_unknown_amount() {
        let bare = r#"{"account":"a","bond":5,"limit":5,"signature":"00"}"#;
        let journal = BondJournal::parse(bare);
        assert_eq!((journal.body.as_str(), journal.added), (bare, 0));
        let stored = to_json(&BondJournal { body: bare.to_owned(), added: 5 }).unwrap_or_default();
        let journal = BondJournal::parse(&stored);
        assert_eq!((journal.body.as_str(), journal.added), (bare, 5));
    }

    #[test]
    fn only_our_range_is_an_offline_code() {
        let mint = |code| WalletError::Mint { code: shared::nuts::ErrorCode::from_code(code), detail: String::new() };
        assert_eq!(offline_code(&mint(13021)), Some(13021));
        assert_eq!(offline_code(&mint(11001)), None);
        assert!(plain_refusal(mint(13021)).to_string().contains("offline limit"));
        assert_eq!(plain_refusal(mint(11001)), mint(11001));
    }
}
