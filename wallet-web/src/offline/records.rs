//! What the offline object stores hold (JSON text, like `wallet::records`), and the views the wallet's
//! offline methods return. Field names are part of the stored schema: renaming one needs a schema upgrade
//! (see [`crate::store::SCHEMA_VERSION`]).
//!
//! | table | key | record |
//! | --- | --- | --- |
//! | `offline_keysets` | keyset id (hex) | [`OfflineKeysetRecord`] |
//! | `offline_coins` | `enc(A)` (hex) | [`OfflineCoinRecord`] |
//! | `offline_payments` | [`payment_key`] | [`OfflinePaymentRecord`] (payments made) |
//! | `offline_requests` | nonce (hex) | [`OfflineRequestRecord`] (requests made, payments received) |

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
}
