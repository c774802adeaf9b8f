//! The JSON bodies of the mint's offline endpoints (`/v1/offline/...`, `docs/offline-coins-endpoints.md`).
//! Points are 33-byte compressed hex, scalars 32-byte hex, signatures 64-byte hex, amounts integers.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::account::Registration;
use super::coin::Coin;
use super::deposit::DepositTranscript;
use super::evidence::DoubleSpendEvidence;
use super::keyset::{OfflineKeyset, OfflineKeysetId};
use super::receipt::DepositReceipt;
use super::refund::OwnershipProof;
use super::wire::Bip340Signature;
use super::wire::HexBytes;
use super::withdrawal::{BlindedChallenge, SessionResponse, SessionStart};
use crate::{BlindSignature, BlindedMessage, PublicKey};

/// `GET /v1/offline/keysets`: the keysets a wallet caches for offline use (not past their deposit deadline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysetsResponse {
    /// Oldest first.
    pub keysets: Vec<OfflineKeyset>,
    /// The key that signs deposit receipts (BIP-340 over its x coordinate).
    pub receipt_key: PublicKey,
}

/// `POST /v1/offline/register`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRequest {
    /// The bank account.
    pub account: String,
    /// `I` with its proof of knowledge of `u1`, context = the account id's bytes.
    pub registration: Registration,
    /// By the account key over `auth(register, account, I)`.
    pub signature: Bip340Signature,
}

/// The authorization of an account read (`GET /v1/offline/accounts/{account}` and `.../withdrawals`), sent
/// as the query `?time=T&signature=S` ([`ReadAuth::to_query`]): a signature by the account key over
/// `auth(read, account, BE64(time))`. The mint accepts it while `time` is within
/// [`READ_MAX_SKEW_SECS`] of its clock, so a captured one is of use for at most that long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadAuth {
    /// Unix seconds when the wallet signed.
    pub time: u64,
    /// By the account key over `auth(read, account, BE64(time))`.
    pub signature: Bip340Signature,
}

/// How far, in seconds, a read's `time` may lie from the mint's clock (either way).
pub const READ_MAX_SKEW_SECS: u64 = 120;

impl ReadAuth {
    /// Sign a read of `account` at `time` with the account key.
    pub fn sign(key: &crate::SecretKey, account: &str, time: u64) -> Result<Self, super::OfflineError> {
        let signature = super::auth::sign(key, super::auth::op::READ, &[account.as_bytes(), &time.to_be_bytes()])?;
        Ok(ReadAuth { time, signature })
    }

    /// Check the signature by the account key `key` (the time window is the mint's to check).
    pub fn verify_vartime(&self, key: &PublicKey, account: &str) -> Result<(), super::OfflineError> {
        super::auth::verify_vartime(
            key,
            super::auth::op::READ,
            &[account.as_bytes(), &self.time.to_be_bytes()],
            &self.signature,
        )
    }

    /// `time=T&signature=S` (S in hex), to append to the path after `?`.
    pub fn to_query(&self) -> String {
        alloc::format!("time={}&signature={}", self.time, hex::encode(self.signature.0))
    }
}

/// `POST /v1/offline/bond`: lock more of the bank balance in the bond and set the limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BondRequest {
    /// The account.
    pub account: String,
    /// The bond wanted in total (at least the current one; the difference is debited).
    pub bond: u64,
    /// The offline limit, at most `bond`.
    pub limit: u64,
    /// By the account key over `auth(bond, account, BE64(bond), BE64(limit))`.
    pub signature: Bip340Signature,
}

/// A bond movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BondEntry {
    /// Positive: locked from the bank balance; negative: paid to an honest payee.
    pub delta: i64,
    /// `lock` or `double-spend`.
    pub reason: String,
    /// For payouts, the coin's `A` (hex).
    pub reference: String,
}

/// `GET /v1/offline/accounts/{account}` and the answer of register and bond.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountResponse {
    /// The account.
    pub account: String,
    /// `I`.
    pub identity: PublicKey,
    /// The bond left.
    pub bond: u64,
    /// Value of offline coins it may withdraw per keyset period.
    pub limit: u64,
    /// The keyset whose period `withdrawn` counts (empty: none yet).
    pub period_keyset: String,
    /// Value withdrawn in that period.
    pub withdrawn: u64,
    /// Blocked after a double spend.
    pub blocked: bool,
    /// Every movement of the bond, oldest first.
    pub bond_entries: Vec<BondEntry>,
}

/// `POST /v1/offline/session`: open a withdrawal session (aborting the account's earlier one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRequest {
    /// The account.
    pub account: String,
    /// The current offline keyset.
    pub keyset: OfflineKeysetId,
    /// The coin's value (a power of two the keyset has).
    pub amount: u64,
    /// Fresh random bytes chosen by the wallet, used once per account: the identical request again gets the
    /// identical answer, any other request with this nonce is refused (13022), so a captured request cannot
    /// open (and abort) a session again.
    pub nonce: HexBytes<32>,
    /// By the account key over `auth(session, account, keyset id, BE64(amount), nonce)`.
    pub signature: Bip340Signature,
}

impl SessionRequest {
    /// The request for a session of `amount` of `keyset`, with the wallet's fresh `nonce`, signed by the
    /// account key.
    pub fn sign(
        key: &crate::SecretKey,
        account: &str,
        keyset: OfflineKeysetId,
        amount: u64,
        nonce: [u8; 32],
    ) -> Result<Self, super::OfflineError> {
        let parts = Self::parts(account, &keyset, amount, &nonce);
        let parts: [&[u8]; 4] = [&parts[0], &parts[1], &parts[2], &parts[3]];
        let signature = super::auth::sign(key, super::auth::op::SESSION, &parts)?;
        Ok(SessionRequest { account: account.into(), keyset, amount, nonce: HexBytes(nonce), signature })
    }

    /// The signed parts: account, keyset id, BE64(amount), nonce.
    pub fn parts(account: &str, keyset: &OfflineKeysetId, amount: u64, nonce: &[u8; 32]) -> [Vec<u8>; 4] {
        [account.as_bytes().to_vec(), keyset.to_bytes().to_vec(), amount.to_be_bytes().to_vec(), nonce.to_vec()]
    }

    /// Check the signature by the account key `key`.
    pub fn verify_vartime(&self, key: &PublicKey) -> Result<(), super::OfflineError> {
        let parts = Self::parts(&self.account, &self.keyset, self.amount, &self.nonce.0);
        let parts: [&[u8]; 4] = [&parts[0], &parts[1], &parts[2], &parts[3]];
        super::auth::verify_vartime(key, super::auth::op::SESSION, &parts, &self.signature)
    }
}

/// The answer of `POST /v1/offline/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionResponseBody {
    /// The session's id.
    pub session: String,
    /// The mint's session values (`z`, `a0`, `b0`).
    pub start: SessionStart,
    /// Unix time after which the session cannot be answered.
    pub expires_at: u64,
}

/// `POST /v1/offline/withdraw`: the blinded challenge of the open session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawRequest {
    /// The account.
    pub account: String,
    /// The session.
    pub session: String,
    /// `c0`.
    pub challenge: BlindedChallenge,
    /// By the account key over `auth(withdraw, account, session, c0)`.
    pub signature: Bip340Signature,
}

/// A withdrawal's public transcript, the answer of `POST /v1/offline/withdraw` and what the mint keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalTranscript {
    /// The session.
    pub session: String,
    /// The mint's session values.
    pub start: SessionStart,
    /// `c0`.
    pub challenge: BlindedChallenge,
    /// `r0`.
    pub response: SessionResponse,
}

/// `GET /v1/offline/accounts/{account}/withdrawals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalsResponse {
    /// Oldest first.
    pub withdrawals: Vec<WithdrawalTranscript>,
}

/// `POST /v1/offline/deposit`: a payee deposits a transcript, paid as blind signatures on its outputs (it
/// stays anonymous) or credited to a bank account: exactly one of `outputs` and `account`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositRequest {
    /// The transcript, signed by the payee key `P`.
    pub transcript: DepositTranscript,
    /// The bank account credited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Blinded messages (Cashu NUT-00) of the mint's active keyset adding up to the coin's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<BlindedMessage>>,
    /// By `P` over [`deposit_parts`]: only the payee chooses where it is paid.
    pub signature: Bip340Signature,
}

/// The signed parts of a deposit's destination: `auth(deposit, account or "", transcript message, B_1 || ...
/// || B_n)` (each `B_` 33 bytes compressed, in the request's order).
pub fn deposit_parts(account: Option<&str>, message: &[u8; 32], outputs: Option<&[BlindedMessage]>) -> [Vec<u8>; 3] {
    let mut blinded = Vec::new();
    for output in outputs.unwrap_or_default() {
        blinded.extend_from_slice(&output.blinded_secret.to_bytes());
    }
    [account.unwrap_or_default().as_bytes().to_vec(), message.to_vec(), blinded]
}

/// The answer of `POST /v1/offline/deposit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositResponse {
    /// Signed by the receipt key.
    pub receipt: DepositReceipt,
    /// The account credited with `receipt.amount_paid`, if the request named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// For outputs: one entry per output, in order: its blind signature, or `null` where the payment did not
    /// reach (a double spend paid from a bond that did not cover the coin). They add up to
    /// `receipt.amount_paid`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<Option<BlindSignature>>,
}

/// Most deposits in one `POST /v1/offline/deposits`.
pub const MAX_DEPOSIT_BATCH: usize = 64;

/// `POST /v1/offline/deposits`: several deposits in one request (a payee depositing a whole payment),
/// each exactly as `POST /v1/offline/deposit` takes it; between 1 and [`MAX_DEPOSIT_BATCH`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositBatchRequest {
    /// The deposits, each decided on its own.
    pub deposits: Vec<DepositRequest>,
}

/// One deposit's result in a batch: the answer `POST /v1/offline/deposit` would give, or its error.
///
/// JSON: `{"response": DepositResponse}` or `{"error": {"code", "detail"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // most results are answers: boxing them would cost an allocation each
pub enum DepositResult {
    /// The deposit's answer.
    Response(DepositResponse),
    /// Its refusal (an offline error code, 13xxx).
    Error(crate::nuts::ErrorResponse),
}

/// The answer of `POST /v1/offline/deposits`: one result per deposit, in the request's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositBatchResponse {
    /// In the request's order.
    pub results: Vec<DepositResult>,
}

/// `GET /v1/offline/evidence`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceResponse {
    /// Oldest first; each verifies alone ([`DoubleSpendEvidence::verify_vartime`]).
    pub evidence: Vec<DoubleSpendEvidence>,
}

/// `POST /v1/offline/refund`: after the keyset's deposit deadline, the owner of a never-deposited coin claims
/// its value back into the account it was withdrawn from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// The account.
    pub account: String,
    /// The coin.
    pub coin: Coin,
    /// Proof of knowledge of `s` with `A = s (I + g2)`, context = the account id's bytes.
    pub proof: OwnershipProof,
    /// By the account key over `auth(refund, account, coin hash)`.
    pub signature: Bip340Signature,
}

/// The answer of `POST /v1/offline/refund`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundResponse {
    /// The account credited.
    pub account: String,
    /// The coin's hash.
    pub coin: HexBytes<32>,
    /// The value credited.
    pub amount: u64,
    /// Signed by the receipt key, outcome `refunded` ([`DepositReceipt::sign_refund`]).
    pub receipt: DepositReceipt,
}
