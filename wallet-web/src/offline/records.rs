//! What the offline object stores hold (JSON text, like `wallet::records`), and the views the wallet's
//! offline methods return. Field names are part of the stored schema: renaming one needs a schema upgrade
//! (see [`crate::store::SCHEMA_VERSION`]).
//!
//! | table | key | record |
//! | --- | --- | --- |
//! | `offline_keysets` | keyset id (hex) | [`OfflineKeysetRecord`] |
//! | `offline_coins` | `enc(A)` (hex) | [`OfflineCoinRecord`] |
//! | `offline_payments` | [`payment_key`] | [`OfflinePaymentRecord`] (payments made) |
//! | `offline_requests` | nonce (hex) | [`OfflineRequestRecord`] (requests made, payments received, deposits) |
//! | `meta` | `offline-account:{mint}` | [`OfflineAccountRecord`] |
//! | `meta` | `offline-withdrawal:{mint}` | `wallet::offline_mint::WithdrawalJournal` (a session answered or not) |
//! | `meta` | `offline-bond:{mint}` | the exact `POST /v1/offline/bond` body, until answered |
//! | `meta` | `offline-deposit:{nonce}:{A}` | `wallet::offline_mint::DepositJournal` (a deposit sent, answer unknown) |
//! | `meta` | `offline-counter:{keyset}` | the next coin derivation counter of an offline keyset |

use serde::{Deserialize, Serialize};
use shared::offline::{Coin, OfflineKeyset, PaymentRequest};
use shared::{PublicKey, SecretKey};

/// An offline keyset cached for use with no network (its id checked when stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineKeysetRecord {
    /// The mint's URL.
    pub mint: String,
    /// The keyset as the mint publishes it.
    pub keyset: OfflineKeyset,
}

/// How the wallet got a coin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoinOrigin {
    /// Withdrawn by this wallet: it knows whether it spent it.
    Withdrawn,
    /// Rebuilt by a restore from the mint's transcripts: it may have been spent on the lost device, so it
    /// is never spent offline (a second answer would unmask its owner), only claimed back by a refund.
    Restored,
}

/// A coin's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum OfflineCoinState {
    /// Not answered to any request.
    Unspent,
    /// Answered to the payment stored under `payment` ([`payment_key`]); never answered again.
    Spent {
        /// The key of the [`OfflinePaymentRecord`].
        payment: String,
    },
    /// Refunded into the bank account after its keyset's deposit deadline (`POST /v1/offline/refund`).
    Refunded {
        /// The value credited.
        amount: u64,
    },
    /// The mint refused its refund because the coin was deposited or refunded before (a restored coin
    /// spent on the lost device, or a refund whose answer was lost): nothing more to claim.
    Settled,
}

/// A coin with what re-derives its secrets (`s, u, v, x1, x2` from the seed, the keyset, `counter`, `a0`,
/// `b0`: `shared::offline::CoinSecrets::derive`); no secret is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineCoinRecord {
    /// The mint's URL.
    pub mint: String,
    /// The public coin.
    pub coin: Coin,
    /// The derivation counter of its withdrawal.
    pub counter: u32,
    /// The mint's session value `a0`.
    pub a0: PublicKey,
    /// The mint's session value `b0`.
    pub b0: PublicKey,
    /// Withdrawn here or restored.
    pub origin: CoinOrigin,
    /// Unspent or spent to one payment.
    #[serde(flatten)]
    pub state: OfflineCoinState,
}

/// A coin as the withdrawal (or a test fixture) hands it to the wallet: the coin and its derivation inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawnCoin {
    /// The public coin.
    pub coin: Coin,
    /// The derivation counter.
    pub counter: u32,
    /// `a0` of the withdrawal session.
    pub a0: PublicKey,
    /// `b0` of the withdrawal session.
    pub b0: PublicKey,
}

/// The key of a payment made: the request's nonce and payee key (hex, `nonce:payee`).
pub fn payment_key(request: &PaymentRequest) -> String {
    format!("{}:{}", request.nonce.to_hex(), request.payee.to_hex())
}

/// A payment made: committed, with the coins marked spent to it, before it is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfflinePaymentRecord {
    /// The request answered.
    pub request: PaymentRequest,
    /// `enc(A)` of each coin (hex).
    pub coins: Vec<String>,
    /// The payment's text (`offline::text`), shown again after a reload.
    pub text: String,
    /// When it was made (ms since the epoch).
    pub at: f64,
}

/// A payment received for a request, verified, waiting for its deposit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedPayment {
    /// The payment's text as received (its JSON holds the coins and answers).
    pub text: String,
    /// When it was verified and stored (ms since the epoch).
    pub received_at: f64,
}

/// A request this wallet made as payee, with the key that will sign its deposit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OfflineRequestRecord {
    /// The request.
    pub request: PaymentRequest,
    /// The secret key of `request.payee` (signs the deposit transcripts, BIP-340).
    pub payee_secret: SecretKey,
    /// When it was made (ms since the epoch).
    pub created_at: f64,
    /// The payment received for it, if any.
    pub received: Option<ReceivedPayment>,
    /// The deposits of its coins that are done (or refused for good), one per coin.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposits: Vec<CoinDeposit>,
    /// Whether this wallet made the request to pay itself (exchanging its own coins before their keyset
    /// expires), not to be shown as a request.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_exchange: bool,
}

/// One cached keyset in the offline balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineKeysetView {
    /// Keyset id (hex).
    pub id: String,
    /// The mint's URL.
    pub mint: String,
    /// The unit.
    pub unit: String,
    /// Spendable coins of this keyset.
    pub coins: usize,
    /// Their value.
    pub amount: u64,
    /// Coins pay until then (Unix seconds).
    pub valid_until: u64,
    /// Received coins must be deposited by then (Unix seconds).
    pub deposit_deadline: u64,
}

/// The offline balance, apart from the online one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineBalanceView {
    /// Value of the coins this wallet may spend offline (withdrawn here, unspent, keyset still valid).
    pub spendable: u64,
    /// Value of restored coins, which are only claimed back online (never spent offline).
    pub restored: u64,
    /// The amounts the spendable coins pay exactly, as inclusive ranges.
    pub payable: Vec<(u64, u64)>,
    /// Whether more ranges were left off.
    pub payable_truncated: bool,
    /// Per cached keyset.
    pub keysets: Vec<OfflineKeysetView>,
}

/// A payment shown to the payee.
#[derive(Debug, Clone, PartialEq)]
pub struct OfflinePaymentView {
    /// Its key ([`payment_key`]).
    pub id: String,
    /// The amount paid.
    pub amount: u64,
    /// How many coins.
    pub coins: usize,
    /// The text to hand over.
    pub text: String,
    /// When it was made (ms since the epoch).
    pub at: f64,
}

/// A request made as payee.
#[derive(Debug, Clone, PartialEq)]
pub struct OfflineRequestView {
    /// Its nonce (hex).
    pub id: String,
    /// The amount asked.
    pub amount: u64,
    /// The text to show the payer.
    pub text: String,
    /// When it was made (ms since the epoch).
    pub created_at: f64,
    /// When its payment was verified and stored, if it was.
    pub received_at: Option<f64>,
    /// What its deposits paid into the online balance so far.
    pub deposited: u64,
    /// How many of its deposits came with a receipt that verified against the mint's receipt key.
    pub receipts: usize,
    /// Why the mint refused a deposit of its coins for good, in plain words, if it did.
    pub deposit_problem: Option<String>,
}

/// This wallet's account at a mint for offline use, kept once registered (table `meta`, key
/// `offline-account:{mint}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineAccountRecord {
    /// The mint's URL.
    pub mint: String,
    /// The bank account id at that mint.
    pub account: String,
}

/// A deposit of one received coin, done (table `offline_requests`, inside its [`OfflineRequestRecord`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoinDeposit {
    /// `enc(A)` of the coin (hex).
    pub coin: String,
    /// What the mint paid (in online notes).
    pub amount_paid: u64,
    /// The mint's signed receipt (checked against its receipt key), when the answer carried one.
    pub receipt: Option<shared::offline::DepositReceipt>,
    /// Why the mint refused it for good, in plain words (then `amount_paid` is 0).
    pub refused: Option<String>,
}

/// The state of an account for offline use at one mint, for the offline screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineAccountView {
    /// The mint's URL.
    pub mint: String,
    /// Whether this wallet's identity is registered there.
    pub registered: bool,
    /// The bank account registered, if any.
    pub account: Option<String>,
    /// This wallet's identity `I` (hex), derived from the recovery words.
    pub identity: String,
    /// The bond locked (what repays victims if this wallet ever spent a coin twice).
    pub bond: u64,
    /// Value of offline coins it may withdraw per keyset period.
    pub limit: u64,
    /// Value withdrawn in the current period.
    pub withdrawn: u64,
    /// What it may still withdraw this period.
    pub available: u64,
    /// Blocked from offline withdrawals after a double spend.
    pub blocked: bool,
    /// The mint's offline keysets this wallet has cached, with their expiry and deposit deadline.
    pub keysets: Vec<OfflineKeysetSummary>,
}

/// An offline keyset's dates, for the offline screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineKeysetSummary {
    /// Keyset id (hex).
    pub id: String,
    /// Coins are withdrawn and paid from then (Unix seconds).
    pub valid_from: u64,
    /// Coins pay until then (Unix seconds); the wallet exchanges its coins before.
    pub valid_until: u64,
    /// Received coins must be deposited by then (Unix seconds); afterwards unspent coins are refunded.
    pub deposit_deadline: u64,
}

/// What an [`offline sync`](crate::Wallet::offline_sync) did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineSyncView {
    /// Offline keysets cached.
    pub keysets: usize,
    /// Received coins deposited (this time).
    pub deposited: usize,
    /// Their value paid into the online balance.
    pub deposited_amount: u64,
    /// Of which a double spender's bond paid.
    pub from_bond: u64,
    /// Own coins exchanged before their keyset expires (deposited to this wallet).
    pub exchanged: usize,
    /// Their value.
    pub exchanged_amount: u64,
    /// Coins refunded to the bank account after their keyset's deposit deadline.
    pub refunded: usize,
    /// Their value.
    pub refunded_amount: u64,
    /// Deposits the mint refused for good (the reason is kept with the request).
    pub refused: usize,
    /// Work left for later (no answer from the mint, or a deadline not reached yet).
    pub pending: usize,
}

/// One published double-spend case, verified by this wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceView {
    /// `enc(A)` of the coin spent twice (hex).
    pub coin: String,
    /// Its value.
    pub amount: u64,
    /// Its keyset (hex).
    pub keyset: String,
    /// Whether this wallet's own check of both transcripts passed.
    pub verified: bool,
    /// The cheater's identity `I` (hex) the check extracted, when it passed.
    pub identity: Option<String>,
    /// Why the check failed, in plain words.
    pub problem: Option<String>,
    /// The payee keys of the two deposits (hex).
    pub payees: [String; 2],
    /// Whether one of the two deposits is this wallet's (it received the coin).
    pub concerns_my_deposit: bool,
    /// Whether the identity is this wallet's own.
    pub is_me: bool,
}
