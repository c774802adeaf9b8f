//! The mint's deposit receipt: a BIP-340 signature by the mint's receipt key over
//! `TH("offline/v1/receipt", coin hash || transcript hash || enc(P) || outcome || BE64(amount_paid) ||
//! BE64(amount_from_bond) || BE64(time))`. A payee holding one can prove what the mint decided.
//!
//! A refund's receipt has the same form: `transcript` is the message the account holder signed for the
//! refund, `auth_message("refund", account id, coin hash)`, `payee` the account's key, `amount_paid` the
//! coin's value and `amount_from_bond` 0 ([`DepositReceipt::sign_refund`]).

use serde::{Deserialize, Serialize};

use super::auth::{self, op};
use super::coin::Coin;
use super::deposit::DepositTranscript;
use super::error::OfflineError;
use super::hash::{TAG_RECEIPT, tagged_hash};
use super::wire::{Bip340Signature, HexBytes, bip340_sign, bip340_verify};
use crate::{PublicKey, SecretKey};

/// What the mint decided about a deposit. One byte in the signed message; snake case on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepositOutcome {
    /// First deposit of the coin: paid in full from the value debited at withdrawal (byte `0x01`).
    Paid,
    /// A later deposit of a double-spent coin: paid from the cheater's bond as far as it reaches (`0x02`).
    DoubleSpend,
    /// A refund of a coin never deposited, after the deposit deadline, to its owner's account (`0x03`).
    Refunded,
}

impl DepositOutcome {
    /// The byte in the signed message.
    pub fn to_byte(self) -> u8 {
        match self {
            DepositOutcome::Paid => 1,
            DepositOutcome::DoubleSpend => 2,
            DepositOutcome::Refunded => 3,
        }
    }
}

/// A receipt. JSON: `{"coin": 32-byte hex, "transcript": 32-byte hex, "payee", "outcome", "amount_paid",
/// "amount_from_bond", "time", "signature": 64-byte hex}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositReceipt {
    /// [`crate::offline::Coin::hash`] of the deposited coin.
    pub coin: HexBytes<32>,
    /// [`DepositTranscript::message`]: which deposit of the coin this receipt is for.
    pub transcript: HexBytes<32>,
    /// `P`, the payee.
    pub payee: PublicKey,
    /// What the mint decided.
    pub outcome: DepositOutcome,
    /// What the payee received.
    pub amount_paid: u64,
    /// How much of `amount_paid` came from a cheater's bond.
    pub amount_from_bond: u64,
    /// The mint's time of the decision (Unix seconds).
    pub time: u64,
    /// BIP-340 by the x-only form of the mint's receipt key over [`DepositReceipt::message`].
    pub signature: Bip340Signature,
}

impl DepositReceipt {
    /// The mint signs its decision on `transcript` with its receipt key.
    pub fn sign(
        receipt_key: &SecretKey,
        transcript: &DepositTranscript,
        outcome: DepositOutcome,
        amount_paid: u64,
        amount_from_bond: u64,
        time: u64,
    ) -> Result<Self, OfflineError> {
        let mut receipt = DepositReceipt {
            coin: HexBytes(transcript.coin.hash()?),
            transcript: HexBytes(transcript.message()?),
            payee: transcript.payee,
            outcome,
            amount_paid,
            amount_from_bond,
            time,
            signature: HexBytes([0; 64]),
        };
        receipt.signature = bip340_sign(receipt_key, &receipt.message())?;
        Ok(receipt)
    }

    /// The mint signs the refund of `coin` to the account `account` whose key is `account_key`, at `time`.
    pub fn sign_refund(
        receipt_key: &SecretKey,
        coin: &Coin,
        account: &str,
        account_key: &PublicKey,
        time: u64,
    ) -> Result<Self, OfflineError> {
        let hash = coin.hash()?;
        let mut receipt = DepositReceipt {
            coin: HexBytes(hash),
            transcript: HexBytes(auth::auth_message(op::REFUND, &[account.as_bytes(), &hash])?),
            payee: *account_key,
            outcome: DepositOutcome::Refunded,
            amount_paid: coin.amount,
            amount_from_bond: 0,
            time,
            signature: HexBytes([0; 64]),
        };
        receipt.signature = bip340_sign(receipt_key, &receipt.message())?;
        Ok(receipt)
    }

    /// Whether this receipt is for the refund of `coin` to `account` with key `account_key`.
    pub fn is_for_refund(&self, coin: &Coin, account: &str, account_key: &PublicKey) -> Result<bool, OfflineError> {
        let hash = coin.hash()?;
        Ok(self.outcome == DepositOutcome::Refunded
            && self.coin.0 == hash
            && self.transcript.0 == auth::auth_message(op::REFUND, &[account.as_bytes(), &hash])?
            && self.payee == *account_key
            && self.amount_paid == coin.amount)
    }

    /// `TH("offline/v1/receipt", coin || transcript || enc(P) || outcome byte || BE64(amount_paid) ||
    /// BE64(amount_from_bond) || BE64(time))`.
    pub fn message(&self) -> [u8; 32] {
        tagged_hash(
            TAG_RECEIPT,
            &[
                &self.coin.0,
                &self.transcript.0,
                &self.payee.to_bytes(),
                &[self.outcome.to_byte()],
                &self.amount_paid.to_be_bytes(),
                &self.amount_from_bond.to_be_bytes(),
                &self.time.to_be_bytes(),
            ],
        )
    }

    /// Check the signature against the mint's published receipt key (x-only form) and that
    /// `amount_from_bond <= amount_paid`.
    pub fn verify_vartime(&self, receipt_key: &PublicKey) -> Result<(), OfflineError> {
        if self.amount_from_bond > self.amount_paid {
            return Err(OfflineError::InvalidSignature);
        }
        bip340_verify(receipt_key, &self.message(), &self.signature)
    }

    /// Whether this receipt is for `transcript` (same coin and the same deposit).
    pub fn is_for(&self, transcript: &DepositTranscript) -> Result<bool, OfflineError> {
        Ok(self.coin.0 == transcript.coin.hash()? && self.transcript.0 == transcript.message()?)
    }
}
