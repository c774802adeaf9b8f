//! The offline coins' storage (issue 13, Brands' scheme): their own tables (`offline_*`), their own commits
//! ([`OfflineCommit`], carried by [`Commit::Offline`](super::Commit::Offline)) and reads.
//!
//! Every offline commit compiles to a list of [`Stmt`]s, SQL text that reads the same in SQLite and
//! PostgreSQL, each with what it must do (change exactly one row, or not hit a unique key) or else which
//! [`OfflineConflict`] the whole commit fails with. Each backend runs the list in one transaction (SQLite:
//! inside the group-commit writer's batch, in the request's savepoint), so the rules are written once.
//! Conditions are compare-and-set in the statements themselves (a debit only if the balance covers it, a
//! session answered only if it is still the account's open one, a bond paid out only if it still holds what
//! the mint read), so concurrent requests and mint processes cannot both win.
//!
//! Reads cast every column to text (`CAST(x AS TEXT)`), so one generic read ([`MintStore::offline_select`])
//! serves both backends; the typed readers here parse the text.

use shared::{BlindSignature, PublicKey};

use super::{MintStore, StoreError, rows};

/// A value bound to a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfflineValue {
    /// An integer.
    Int(i64),
    /// A text.
    Text(String),
    /// Bytes (a blind signature's points).
    Bytes(Vec<u8>),
}

/// Why an offline commit was not applied (nothing of it was).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OfflineConflict {
    /// The identity key or the account is registered already.
    #[error("already registered")]
    AlreadyRegistered,
    /// No offline registration for the account, or it is blocked.
    #[error("the account is not registered for offline use, or is blocked")]
    NotRegistered,
    /// The bank balance does not cover the debit (or the bank account is blocked).
    #[error("insufficient funds")]
    InsufficientFunds,
    /// The bond would not cover the limit.
    #[error("the offline limit would exceed the bond")]
    LimitAboveBond,
    /// The session is not the account's open one (aborted by a newer one, answered, or timed out).
    #[error("no such open session")]
    SessionGone,
    /// The withdrawal would exceed the account's offline limit for the keyset's period.
    #[error("offline limit reached for this period")]
    LimitExceeded,
    /// This transcript (coin and challenge) is deposited already.
    #[error("already deposited")]
    AlreadyDeposited,
    /// The coin was deposited (or refunded) before: the caller re-reads and treats it as a double spend.
    #[error("the coin is in the spent set")]
    CoinSeen,
    /// The cheater's bond changed since it was read: the caller re-reads and tries again.
    #[error("the bond changed")]
    BondChanged,
    /// An output has been signed before.
    #[error("output already signed")]
    OutputsAlreadySigned,
    /// A session request with this nonce was answered before: the caller re-reads it.
    #[error("session request seen before")]
    SessionRequestSeen,
}

/// What a statement must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Anything.
    Any,
    /// Change exactly one row, else the commit fails with this.
    One(OfflineConflict),
}

/// One statement of an offline commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt {
    /// SQL with `$n` placeholders.
    pub sql: &'static str,
    /// Bound values, in order.
    pub args: Vec<OfflineValue>,
    /// What it must do.
    pub expect: Expect,
    /// A unique-key violation fails the commit with this.
    pub on_unique: OfflineConflict,
}

fn stmt(sql: &'static str, args: Vec<OfflineValue>, expect: Expect, on_unique: OfflineConflict) -> Stmt {
    Stmt { sql, args, expect, on_unique }
}

fn int(value: u64) -> Result<OfflineValue, StoreError> {
    Ok(OfflineValue::Int(rows::to_i64(value)?))
}

fn text(value: impl Into<String>) -> OfflineValue {
    OfflineValue::Text(value.into())
}

/// A bank balance movement (ledger reason `reason`, reference `reference`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankMove {
    /// The bank account.
    pub account_id: String,
    /// Positive credit, negative debit.
    pub delta: i64,
    /// Ledger reason.
    pub reason: &'static str,
    /// Ledger reference.
    pub reference: String,
}

/// A stored deposit: its row in `offline_deposits`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositRecord {
    /// The coin's `A` (hex of the compressed point).
    pub coin: String,
    /// The payment challenge `d` (hex).
    pub challenge: String,
    /// The offline keyset id (hex).
    pub keyset_id: String,
    /// The coin's value.
    pub amount: u64,
    /// The deposit transcript (JSON).
    pub transcript: String,
    /// Hash of the request (hex): a retry of the identical request gets [`DepositRecord::response`].
    pub request_key: String,
    /// The answer (JSON).
    pub response: String,
}

/// A double spend's payout from the cheater's bond.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BondPayout {
    /// The cheater's account.
    pub account_id: String,
    /// The bond the mint read (compare-and-set).
    pub bond_before: u64,
    /// Paid from it (at most `bond_before`).
    pub paid: u64,
}

/// Everything one offline request changes, applied atomically ([`Commit::Offline`](super::Commit::Offline)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfflineCommit {
    /// `POST /v1/offline/register`: the account's identity key `I` (hex), no bond, no limit.
    Register {
        /// The bank account.
        account_id: String,
        /// `I` (hex, compressed).
        identity: String,
    },
    /// `POST /v1/offline/bond`: move `amount` from the bank balance into the bond (ledger reason
    /// `offline-bond`) and set the limit, which must not exceed the bond.
    Bond {
        /// The account.
        account_id: String,
        /// The bond the mint read (compare-and-set).
        bond_before: u64,
        /// Added to the bond (may be 0: only the limit changes).
        amount: u64,
        /// The new offline limit.
        limit: u64,
    },
    /// `POST /v1/offline/session`: the account's open session, replacing (aborting) any earlier one.
    StartSession {
        /// The account.
        account_id: String,
        /// Random id; the mint derives its nonce `w` from it.
        session_id: String,
        /// Offline keyset id (hex).
        keyset_id: String,
        /// The coin's value.
        amount: u64,
        /// `a0` (hex).
        a0: String,
        /// `b0` (hex).
        b0: String,
        /// Unix time after which the session cannot be answered.
        expires_at: u64,
        /// The request's nonce (hex), unique per account.
        nonce: String,
        /// SHA-256 of the request's JSON (hex): an identical request is a retry.
        request_key: String,
        /// The answer (JSON), for a retry.
        response: String,
        /// Unix time by the offline clock, kept with the request (its row is forgotten a keyset period later:
        /// [`OfflineCommit::Prune`]).
        created_at: u64,
    },
    /// `POST /v1/offline/withdraw`: the session answered: it is closed, the period's withdrawn value grows
    /// (within the limit), the bank balance is debited (ledger reason `offline-withdraw`), and the public
    /// transcript is kept.
    Withdraw {
        /// The account.
        account_id: String,
        /// The session answered.
        session_id: String,
        /// Offline keyset id (hex): the period.
        keyset_id: String,
        /// The coin's value.
        amount: u64,
        /// The public transcript (JSON: start, challenge, response).
        transcript: String,
        /// Now (the session must not have expired).
        now: u64,
    },
    /// `POST /v1/offline/deposit`, first deposit of a coin: into the spent set, the deposit kept, the payee
    /// paid (an account credit, if any).
    Deposit {
        /// The deposit.
        deposit: DepositRecord,
        /// The payee's account credit.
        credit: Option<BankMove>,
        /// Or the blind signatures on the payee's outputs, with the `B'` they sign.
        outputs: Vec<(PublicKey, BlindSignature)>,
    },
    /// A later deposit of a coin with another challenge: the deposit kept, the evidence published, the
    /// cheater blocked and the honest payee paid from its bond (as far as it reaches).
    DoubleSpend {
        /// The deposit.
        deposit: DepositRecord,
        /// The evidence (JSON of `shared::offline::DoubleSpendEvidence`).
        evidence: String,
        /// The payout from the cheater's bond (`None`: the identity names no account).
        payout: Option<BondPayout>,
        /// The payee's account credit.
        credit: Option<BankMove>,
        /// Or the blind signatures on the payee's outputs, with the `B'` they sign.
        outputs: Vec<(PublicKey, BlindSignature)>,
    },
    /// `POST /v1/offline/deposits`: first deposits of several coins, each as [`OfflineCommit::Deposit`];
    /// all or none.
    DepositBatch {
        /// The deposits.
        deposits: Vec<FreshDeposit>,
    },
    /// `POST /v1/offline/refund`: a never-deposited coin enters the spent set and its value is credited to
    /// its owner's account (ledger reason `offline-refund`); the request's key and answer are kept for retries.
    Refund {
        /// The coin's `A` (hex).
        coin: String,
        /// Offline keyset id (hex).
        keyset_id: String,
        /// The coin's value.
        amount: u64,
        /// The owner's credit.
        credit: BankMove,
        /// SHA-256 of the request's JSON (hex): an identical request is a retry.
        request_key: String,
        /// The answer (JSON), for a retry.
        response: String,
    },
    /// Forget the spent coins, deposits and refunds of keysets past their deadline and refund window, and the
    /// answered session requests stored before `session_requests_before`.
    Prune {
        /// Offline keyset ids (hex).
        keyset_ids: Vec<String>,
        /// Unix time (offline clock): session requests stored earlier are deleted.
        session_requests_before: u64,
    },
}

const INSERT_SIGNATURE: &str = "INSERT INTO blind_signatures \
     (b, amount, keyset_id, c, dleq_e, dleq_s, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
const DELETE_SPENT: &str = "DELETE FROM offline_spent WHERE keyset_id = $1";
const DELETE_DEPOSITS: &str = "DELETE FROM offline_deposits WHERE keyset_id = $1";
const DELETE_REFUNDS: &str = "DELETE FROM offline_refunds WHERE keyset_id = $1";
const INSERT_REFUND: &str = "INSERT INTO offline_refunds (coin, keyset_id, request_key, response, created_at) \
     VALUES ($1, $2, $3, $4, $5)";

const INSERT_ACCOUNT: &str = "INSERT INTO offline_accounts \
     (account_id, identity, bond, offline_limit, period_keyset, period_withdrawn, blocked, created_at) \
     SELECT $1, $2, 0, 0, '', 0, 0, $3 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $1 AND blocked = 0)";
const ADD_BOND: &str = "UPDATE offline_accounts SET bond = bond + $1, offline_limit = $2 \
     WHERE account_id = $3 AND blocked = 0 AND bond = $4 AND bond + $1 >= $2";
const INSERT_BOND_ENTRY: &str = "INSERT INTO offline_bond_entries \
     (account_id, delta, reason, reference, created_at) VALUES ($1, $2, $3, $4, $5)";
const UPSERT_SESSION: &str = "INSERT INTO offline_sessions \
     (account_id, session_id, keyset_id, amount, a0, b0, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (account_id) DO UPDATE SET session_id = excluded.session_id, keyset_id = excluded.keyset_id, \
     amount = excluded.amount, a0 = excluded.a0, b0 = excluded.b0, expires_at = excluded.expires_at";
const DELETE_SESSION_REQUESTS: &str = "DELETE FROM offline_session_requests WHERE created_at < $1";
const INSERT_SESSION_REQUEST: &str = "INSERT INTO offline_session_requests \
     (account_id, nonce, request_key, response, created_at) VALUES ($1, $2, $3, $4, $5)";
const CLOSE_SESSION: &str =
    "DELETE FROM offline_sessions WHERE account_id = $1 AND session_id = $2 AND expires_at >= $3";
const COUNT_WITHDRAWAL: &str = "UPDATE offline_accounts SET \
     period_withdrawn = (CASE WHEN period_keyset = $1 THEN period_withdrawn ELSE 0 END) + $2, period_keyset = $1 \
     WHERE account_id = $3 AND blocked = 0 \
     AND (CASE WHEN period_keyset = $1 THEN period_withdrawn ELSE 0 END) + $2 <= offline_limit";
const INSERT_WITHDRAWAL: &str = "INSERT INTO offline_withdrawals \
     (session_id, account_id, keyset_id, amount, transcript, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
const INSERT_SPENT: &str = "INSERT INTO offline_spent (coin, keyset_id, amount, created_at) VALUES ($1, $2, $3, $4)";
const INSERT_DEPOSIT: &str = "INSERT INTO offline_deposits \
     (coin, challenge, keyset_id, amount, transcript, request_key, response, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const INSERT_EVIDENCE: &str = "INSERT INTO offline_evidence (coin, challenge, account_id, evidence, created_at) \
     VALUES ($1, $2, $3, $4, $5)";
const PAY_FROM_BOND: &str =
    "UPDATE offline_accounts SET bond = bond - $1, blocked = 1 WHERE account_id = $2 AND bond = $3";

fn bank_move(change: &BankMove, now: i64) -> Vec<Stmt> {
    let expect =
        Expect::One(if change.delta < 0 { OfflineConflict::InsufficientFunds } else { OfflineConflict::NotRegistered });
    vec![
        stmt(
            rows::balance_update(change.delta),
            vec![OfflineValue::Int(change.delta), text(change.account_id.clone())],
            expect,
            OfflineConflict::AlreadyDeposited,
        ),
        ledger_entry(change, now),
    ]
}

/// The ledger's entry of a balance change.
fn ledger_entry(change: &BankMove, now: i64) -> Stmt {
    stmt(
        rows::INSERT_LEDGER_ENTRY,
        vec![
            text(change.account_id.clone()),
            OfflineValue::Int(change.delta),
            text(change.reason),
            text(change.reference.clone()),
            OfflineValue::Int(now),
        ],
        Expect::Any,
        OfflineConflict::AlreadyDeposited,
    )
}

/// A coin into the offline spent set (its first deposit or its refund); a coin there already is
/// [`OfflineConflict::CoinSeen`].
fn spent_row(coin: &str, keyset_id: &str, amount: u64, now: i64) -> Result<Stmt, StoreError> {
    Ok(stmt(
        INSERT_SPENT,
        vec![text(coin.to_owned()), text(keyset_id.to_owned()), int(amount)?, OfflineValue::Int(now)],
        Expect::Any,
        OfflineConflict::CoinSeen,
    ))
}

fn deposit_rows(deposit: &DepositRecord, now: i64) -> Result<Stmt, StoreError> {
    Ok(stmt(
        INSERT_DEPOSIT,
        vec![
            text(deposit.coin.clone()),
            text(deposit.challenge.clone()),
            text(deposit.keyset_id.clone()),
            int(deposit.amount)?,
            text(deposit.transcript.clone()),
            text(deposit.request_key.clone()),
            text(deposit.response.clone()),
            OfflineValue::Int(now),
        ],
        Expect::Any,
        OfflineConflict::AlreadyDeposited,
    ))
}

/// One first deposit of a coin in an [`OfflineCommit::DepositBatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreshDeposit {
    /// The deposit.
    pub deposit: DepositRecord,
    /// The payee's account credit.
    pub credit: Option<BankMove>,
    /// Or the blind signatures on the payee's outputs, with the `B'` they sign.
    pub outputs: Vec<(PublicKey, BlindSignature)>,
}

impl OfflineCommit {
    /// The statements, in order, that apply this commit at Unix time `now`.
    pub fn statements(&self, now: i64) -> Result<Vec<Stmt>, StoreError> {
        use OfflineConflict as C;
        let mut out = Vec::new();
        match self {
            OfflineCommit::Register { account_id, identity } => out.push(stmt(
                INSERT_ACCOUNT,
                vec![text(account_id.clone()), text(identity.clone()), OfflineValue::Int(now)],
                Expect::One(C::NotRegistered),
                C::AlreadyRegistered,
            )),
            OfflineCommit::Bond { account_id, bond_before, amount, limit } => {
                out.push(stmt(
                    ADD_BOND,
                    vec![int(*amount)?, int(*limit)?, text(account_id.clone()), int(*bond_before)?],
                    Expect::One(C::BondChanged),
                    C::AlreadyRegistered,
                ));
                if *amount > 0 {
                    let delta = rows::to_i64(*amount)?;
                    let lock = BankMove {
                        account_id: account_id.clone(),
                        delta: -delta,
                        reason: "offline-bond",
                        reference: "lock".into(),
                    };
                    out.extend(bank_move(&lock, now));
                    out.push(bond_entry(account_id, delta, "lock", "", now));
                }
            }
            OfflineCommit::StartSession {
                account_id,
                session_id,
                keyset_id,
                amount,
                a0,
                b0,
                expires_at,
                nonce,
                request_key,
                response,
                created_at,
            } => {
                out.push(stmt(
                    INSERT_SESSION_REQUEST,
                    vec![
                        text(account_id.clone()),
                        text(nonce.clone()),
                        text(request_key.clone()),
                        text(response.clone()),
                        int(*created_at)?,
                    ],
                    Expect::Any,
                    C::SessionRequestSeen,
                ));
                out.push(stmt(
                    UPSERT_SESSION,
                    vec![
                        text(account_id.clone()),
                        text(session_id.clone()),
                        text(keyset_id.clone()),
                        int(*amount)?,
                        text(a0.clone()),
                        text(b0.clone()),
                        int(*expires_at)?,
                    ],
                    Expect::One(C::NotRegistered),
                    C::AlreadyRegistered,
                ));
            }
            OfflineCommit::Withdraw { account_id, session_id, keyset_id, amount, transcript, now: at } => {
                out.push(stmt(
                    CLOSE_SESSION,
                    vec![text(account_id.clone()), text(session_id.clone()), int(*at)?],
                    Expect::One(C::SessionGone),
                    C::SessionGone,
                ));
                out.push(stmt(
                    COUNT_WITHDRAWAL,
                    vec![text(keyset_id.clone()), int(*amount)?, text(account_id.clone())],
                    Expect::One(C::LimitExceeded),
                    C::LimitExceeded,
                ));
                let debit = BankMove {
                    account_id: account_id.clone(),
                    delta: -rows::to_i64(*amount)?,
                    reason: "offline-withdraw",
                    reference: session_id.clone(),
                };
                out.extend(bank_move(&debit, now));
                out.push(stmt(
                    INSERT_WITHDRAWAL,
                    vec![
                        text(session_id.clone()),
                        text(account_id.clone()),
                        text(keyset_id.clone()),
                        int(*amount)?,
                        text(transcript.clone()),
                        OfflineValue::Int(now),
                    ],
                    Expect::Any,
                    C::SessionGone,
                ));
            }
            OfflineCommit::Deposit { deposit, credit, outputs } => {
                out.push(spent_row(&deposit.coin, &deposit.keyset_id, deposit.amount, now)?);
                out.push(deposit_rows(deposit, now)?);
                if let Some(credit) = credit {
                    out.extend(bank_move(credit, now));
                }
                out.extend(signature_stmts(outputs, now)?);
            }
            OfflineCommit::DepositBatch { deposits } => {
                // One balance update per account credited (the sum), one ledger entry per coin.
                let mut sums: Vec<(&str, i64)> = Vec::new();
                for credit in deposits.iter().filter_map(|d| d.credit.as_ref()) {
                    match sums.iter_mut().find(|(account, _)| *account == credit.account_id) {
                        Some((_, sum)) => *sum = sum.saturating_add(credit.delta),
                        None => sums.push((&credit.account_id, credit.delta)),
                    }
                }
                for (account, sum) in sums {
                    out.push(stmt(
                        rows::balance_update(sum),
                        vec![OfflineValue::Int(sum), text(account.to_owned())],
                        Expect::One(C::NotRegistered),
                        C::AlreadyDeposited,
                    ));
                }
                for FreshDeposit { deposit, credit, outputs } in deposits {
                    out.push(spent_row(&deposit.coin, &deposit.keyset_id, deposit.amount, now)?);
                    out.push(deposit_rows(deposit, now)?);
                    if let Some(credit) = credit {
                        out.push(ledger_entry(credit, now));
                    }
                    out.extend(signature_stmts(outputs, now)?);
                }
            }
            OfflineCommit::DoubleSpend { deposit, evidence, payout, credit, outputs } => {
                out.push(deposit_rows(deposit, now)?);
                let cheater = payout.as_ref().map(|p| p.account_id.clone()).unwrap_or_default();
                out.push(stmt(
                    INSERT_EVIDENCE,
                    vec![
                        text(deposit.coin.clone()),
                        text(deposit.challenge.clone()),
                        text(cheater),
                        text(evidence.clone()),
                        OfflineValue::Int(now),
                    ],
                    Expect::Any,
                    C::AlreadyDeposited,
                ));
                if let Some(payout) = payout {
                    out.push(stmt(
                        PAY_FROM_BOND,
                        vec![int(payout.paid)?, text(payout.account_id.clone()), int(payout.bond_before)?],
                        Expect::One(C::BondChanged),
                        C::BondChanged,
                    ));
                    if payout.paid > 0 {
                        let delta = -rows::to_i64(payout.paid)?;
                        out.push(bond_entry(&payout.account_id, delta, "double-spend", &deposit.coin, now));
                    }
                }
                if let Some(credit) = credit {
                    out.extend(bank_move(credit, now));
                }
                out.extend(signature_stmts(outputs, now)?);
            }
            OfflineCommit::Refund { coin, keyset_id, amount, credit, request_key, response } => {
                out.push(spent_row(coin, keyset_id, *amount, now)?);
                out.push(stmt(
                    INSERT_REFUND,
                    vec![
                        text(coin.clone()),
                        text(keyset_id.clone()),
                        text(request_key.clone()),
                        text(response.clone()),
                        OfflineValue::Int(now),
                    ],
                    Expect::Any,
                    C::CoinSeen,
                ));
                out.extend(bank_move(credit, now));
            }
            OfflineCommit::Prune { keyset_ids, session_requests_before } => {
                out.push(stmt(
                    DELETE_SESSION_REQUESTS,
                    vec![int(*session_requests_before)?],
                    Expect::Any,
                    C::SessionRequestSeen,
                ));
                for id in keyset_ids {
                    out.push(stmt(DELETE_SPENT, vec![text(id.clone())], Expect::Any, C::CoinSeen));
                    out.push(stmt(DELETE_DEPOSITS, vec![text(id.clone())], Expect::Any, C::CoinSeen));
                    out.push(stmt(DELETE_REFUNDS, vec![text(id.clone())], Expect::Any, C::CoinSeen));
                }
            }
        }
        Ok(out)
    }
}

/// The rows of blind signatures (Cashu's table: `B'` is signed at most once, whoever asks).
fn signature_stmts(outputs: &[(PublicKey, BlindSignature)], now: i64) -> Result<Vec<Stmt>, StoreError> {
    Ok(rows::signature_rows(outputs)?
        .into_iter()
        .map(|row| {
            stmt(
                INSERT_SIGNATURE,
                vec![
                    OfflineValue::Bytes(row.b.to_vec()),
                    OfflineValue::Int(row.amount),
                    text(row.keyset_id),
                    OfflineValue::Bytes(row.c.to_vec()),
                    OfflineValue::Bytes(row.e.to_vec()),
                    OfflineValue::Bytes(row.s.to_vec()),
                    OfflineValue::Int(now),
                ],
                Expect::Any,
                OfflineConflict::OutputsAlreadySigned,
            )
        })
        .collect())
}

fn bond_entry(account_id: &str, delta: i64, reason: &'static str, reference: &str, now: i64) -> Stmt {
    stmt(
        INSERT_BOND_ENTRY,
        vec![text(account_id), OfflineValue::Int(delta), text(reason), text(reference), OfflineValue::Int(now)],
        Expect::Any,
        OfflineConflict::AlreadyDeposited,
    )
}

// ---------------------------------------------------------------------------------------------------------
// Reads

/// An account's offline registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineAccount {
    /// The bank account.
    pub account_id: String,
    /// `I` (hex).
    pub identity: String,
    /// The bond left.
    pub bond: u64,
    /// Value of offline coins it may withdraw per keyset period.
    pub limit: u64,
    /// The keyset of the period counted in `withdrawn`.
    pub period_keyset: String,
    /// Value withdrawn in that period.
    pub withdrawn: u64,
    /// Blocked after a double spend: no more offline withdrawals.
    pub blocked: bool,
}

/// An open withdrawal session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineSession {
    /// Its id.
    pub session_id: String,
    /// Offline keyset id (hex).
    pub keyset_id: String,
    /// The coin's value.
    pub amount: u64,
    /// Unix time after which it cannot be answered.
    pub expires_at: u64,
}

/// A bond movement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BondEntry {
    /// Positive: locked; negative: paid out.
    pub delta: i64,
    /// `lock` or `double-spend`.
    pub reason: String,
    /// The coin (for payouts).
    pub reference: String,
}

fn parse_u64(text: &str) -> Result<u64, StoreError> {
    text.parse().map_err(|_| StoreError::Backend(format!("not an amount: {text}")))
}

fn parse_i64(text: &str) -> Result<i64, StoreError> {
    text.parse().map_err(|_| StoreError::Backend(format!("not an integer: {text}")))
}

const SELECT_ACCOUNT: &str = "SELECT account_id, identity, CAST(bond AS TEXT), CAST(offline_limit AS TEXT), \
     period_keyset, CAST(period_withdrawn AS TEXT), CAST(blocked AS TEXT) FROM offline_accounts WHERE account_id = $1";
const SELECT_ACCOUNT_BY_IDENTITY: &str = "SELECT account_id, identity, CAST(bond AS TEXT), \
     CAST(offline_limit AS TEXT), period_keyset, CAST(period_withdrawn AS TEXT), CAST(blocked AS TEXT) \
     FROM offline_accounts WHERE identity = $1";
const SELECT_SESSION: &str = "SELECT session_id, keyset_id, CAST(amount AS TEXT), CAST(expires_at AS TEXT) \
     FROM offline_sessions WHERE account_id = $1";
const SELECT_SESSION_REQUEST: &str =
    "SELECT request_key, response FROM offline_session_requests WHERE account_id = $1 AND nonce = $2";
const SELECT_REFUND: &str = "SELECT request_key, response FROM offline_refunds WHERE coin = $1";
const SELECT_WITHDRAWAL: &str = "SELECT transcript FROM offline_withdrawals WHERE session_id = $1 AND account_id = $2";
const SELECT_WITHDRAWALS: &str =
    "SELECT transcript FROM offline_withdrawals WHERE account_id = $1 ORDER BY created_at, session_id";
const SELECT_DEPOSITS: &str = "SELECT coin, challenge, keyset_id, CAST(amount AS TEXT), transcript, request_key, \
     response FROM offline_deposits WHERE coin = $1 ORDER BY created_at, challenge";
const SELECT_EVIDENCE: &str = "SELECT evidence FROM offline_evidence ORDER BY created_at, coin, challenge";
const SELECT_BOND_ENTRIES: &str = "SELECT CAST(delta AS TEXT), reason, reference FROM offline_bond_entries \
     WHERE account_id = $1 ORDER BY id";
const COUNT_SPENT: &str = "SELECT CAST(count(*) AS TEXT) FROM offline_spent WHERE keyset_id = $1";
const SELECT_LEDGER: &str = "SELECT CAST(delta AS TEXT), reason, COALESCE(reference, '') FROM account_entries \
     WHERE account_id = $1 ORDER BY id";

fn account_row(row: &[String]) -> Result<OfflineAccount, StoreError> {
    match row {
        [account_id, identity, bond, limit, period_keyset, withdrawn, blocked] => Ok(OfflineAccount {
            account_id: account_id.clone(),
            identity: identity.clone(),
            bond: parse_u64(bond)?,
            limit: parse_u64(limit)?,
            period_keyset: period_keyset.clone(),
            withdrawn: parse_u64(withdrawn)?,
            blocked: blocked != "0",
        }),
        _ => Err(StoreError::Backend("unexpected offline account row".into())),
    }
}

/// An account's offline registration.
pub async fn account(store: &dyn MintStore, account_id: &str) -> Result<Option<OfflineAccount>, StoreError> {
    let found = store.offline_select(SELECT_ACCOUNT, &[text(account_id)]).await?;
    found.first().map(|row| account_row(row)).transpose()
}

/// The account registered with identity `I` (hex).
pub async fn account_by_identity(
    store: &dyn MintStore,
    identity: &PublicKey,
) -> Result<Option<OfflineAccount>, StoreError> {
    let found = store.offline_select(SELECT_ACCOUNT_BY_IDENTITY, &[text(identity.to_hex())]).await?;
    found.first().map(|row| account_row(row)).transpose()
}

/// The account's open session, if any (it may have expired).
pub async fn session(store: &dyn MintStore, account_id: &str) -> Result<Option<OfflineSession>, StoreError> {
    let found = store.offline_select(SELECT_SESSION, &[text(account_id)]).await?;
    match found.first().map(Vec::as_slice) {
        None => Ok(None),
        Some([session_id, keyset_id, amount, expires_at]) => Ok(Some(OfflineSession {
            session_id: session_id.clone(),
            keyset_id: keyset_id.clone(),
            amount: parse_u64(amount)?,
            expires_at: parse_u64(expires_at)?,
        })),
        Some(_) => Err(StoreError::Backend("unexpected session row".into())),
    }
}

fn single_texts(found: Vec<Vec<String>>) -> Vec<String> {
    found.into_iter().filter_map(|row| row.into_iter().next()).collect()
}

/// The request key and answer (JSON) of the account's session request with this nonce, if it was answered.
pub async fn session_request(
    store: &dyn MintStore,
    account_id: &str,
    nonce: &str,
) -> Result<Option<(String, String)>, StoreError> {
    let found = store.offline_select(SELECT_SESSION_REQUEST, &[text(account_id), text(nonce)]).await?;
    Ok(key_and_answer(found))
}

/// The request key and answer (JSON) of the refund of the coin `A` (hex), if it was refunded.
pub async fn refund(store: &dyn MintStore, coin: &str) -> Result<Option<(String, String)>, StoreError> {
    let found = store.offline_select(SELECT_REFUND, &[text(coin)]).await?;
    Ok(key_and_answer(found))
}

/// The first row's two texts (a request key and an answer).
fn key_and_answer(found: Vec<Vec<String>>) -> Option<(String, String)> {
    found.into_iter().find_map(|row| match <[String; 2]>::try_from(row) {
        Ok([key, response]) => Some((key, response)),
        Err(_) => None,
    })
}

/// The public transcript (JSON) of a finished withdrawal of the account.
pub async fn withdrawal(
    store: &dyn MintStore,
    session_id: &str,
    account_id: &str,
) -> Result<Option<String>, StoreError> {
    let found = store.offline_select(SELECT_WITHDRAWAL, &[text(session_id), text(account_id)]).await?;
    Ok(single_texts(found).into_iter().next())
}

/// The public transcripts (JSON) of every withdrawal of the account, oldest first.
pub async fn withdrawals(store: &dyn MintStore, account_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(single_texts(store.offline_select(SELECT_WITHDRAWALS, &[text(account_id)]).await?))
}

/// Every deposit of the coin `A` (hex), in deposit order.
pub async fn deposits(store: &dyn MintStore, coin: &str) -> Result<Vec<DepositRecord>, StoreError> {
    let found = store.offline_select(SELECT_DEPOSITS, &[text(coin)]).await?;
    found
        .into_iter()
        .map(|row| match row.as_slice() {
            [coin, challenge, keyset_id, amount, transcript, request_key, response] => Ok(DepositRecord {
                coin: coin.clone(),
                challenge: challenge.clone(),
                keyset_id: keyset_id.clone(),
                amount: parse_u64(amount)?,
                transcript: transcript.clone(),
                request_key: request_key.clone(),
                response: response.clone(),
            }),
            _ => Err(StoreError::Backend("unexpected deposit row".into())),
        })
        .collect()
}

/// All published double-spend evidence (JSON), oldest first.
pub async fn evidence(store: &dyn MintStore) -> Result<Vec<String>, StoreError> {
    Ok(single_texts(store.offline_select(SELECT_EVIDENCE, &[]).await?))
}

fn entries(found: Vec<Vec<String>>) -> Result<Vec<BondEntry>, StoreError> {
    found
        .into_iter()
        .map(|row| match row.as_slice() {
            [delta, reason, reference] => {
                Ok(BondEntry { delta: parse_i64(delta)?, reason: reason.clone(), reference: reference.clone() })
            }
            _ => Err(StoreError::Backend("unexpected ledger row".into())),
        })
        .collect()
}

/// Every movement of the account's bond, oldest first.
pub async fn bond_entries(store: &dyn MintStore, account_id: &str) -> Result<Vec<BondEntry>, StoreError> {
    entries(store.offline_select(SELECT_BOND_ENTRIES, &[text(account_id)]).await?)
}

/// The account's bank ledger (every balance change), oldest first.
pub async fn ledger(store: &dyn MintStore, account_id: &str) -> Result<Vec<BondEntry>, StoreError> {
    entries(store.offline_select(SELECT_LEDGER, &[text(account_id)]).await?)
}

/// How many coins of the keyset (hex id) are in the spent set.
pub async fn spent_count(store: &dyn MintStore, keyset_id: &str) -> Result<u64, StoreError> {
    let found = single_texts(store.offline_select(COUNT_SPENT, &[text(keyset_id)]).await?);
    found.first().map_or(Ok(0), |count| parse_u64(count))
}
