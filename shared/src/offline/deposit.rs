//! Deposit: the payee's transcript of one coin `(coin, P, n, t, r1, r2)`, signed (BIP-340) by `P`'s key
//! over `TH("offline/v1/deposit", coin bytes || enc(P) || n || BE64(t) || ser32(r1) || ser32(r2))`.

use k256::Scalar;
use serde::{Deserialize, Serialize};

use super::coin::Coin;
use super::error::OfflineError;
use super::hash::{TAG_DEPOSIT, tagged_hash};
use super::keyset::OfflineKeyset;
use super::payment::{PaymentRequest, SpentCoin, payment_challenge, verify_response_vartime};
use super::wire::{Bip340Signature, HexBytes, PublicScalar, bip340_sign, bip340_verify};
use crate::{PublicKey, SecretKey};

/// One coin's deposit transcript with the payee's signature.
///
/// JSON: `{"coin": Coin, "payee", "nonce", "time", "r1", "r2", "signature": 64-byte hex}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositTranscript {
    /// The coin.
    pub coin: Coin,
    /// `P`.
    pub payee: PublicKey,
    /// `n`.
    pub nonce: HexBytes<32>,
    /// `t`.
    pub time: u64,
    /// `r1`.
    pub r1: PublicScalar,
    /// `r2`.
    pub r2: PublicScalar,
    /// BIP-340 signature by the x-only form of `P` over [`DepositTranscript::message`].
    pub signature: Bip340Signature,
}

impl DepositTranscript {
    /// The payee signs a coin it was paid under `request` with the secret key of `P`.
    pub fn sign(spent: &SpentCoin, request: &PaymentRequest, payee_key: &SecretKey) -> Result<Self, OfflineError> {
        if payee_key.public_key() != request.payee {
            return Err(OfflineError::InvalidSignature);
        }
        let mut transcript = DepositTranscript {
            coin: spent.coin.clone(),
            payee: request.payee,
            nonce: request.nonce,
            time: request.time,
            r1: spent.r1,
            r2: spent.r2,
            signature: HexBytes([0; 64]),
        };
        transcript.signature = bip340_sign(payee_key, &transcript.message()?)?;
        Ok(transcript)
    }

    /// The signed message: `TH("offline/v1/deposit", coin.to_bytes() || enc(P) || n || BE64(t) || ser32(r1) ||
    /// ser32(r2))`.
    pub fn message(&self) -> Result<[u8; 32], OfflineError> {
        Ok(tagged_hash(
            TAG_DEPOSIT,
            &[
                &self.coin.to_bytes()?,
                &self.payee.to_bytes(),
                &self.nonce.0,
                &self.time.to_be_bytes(),
                &self.r1.to_bytes(),
                &self.r2.to_bytes(),
            ],
        ))
    }

    /// The payment challenge `d` of this transcript.
    pub fn challenge(&self) -> Result<Scalar, OfflineError> {
        payment_challenge(&self.coin, &self.payee, &self.nonce.0, self.time)
    }

    /// Everything but the deadline, with public data only: the coin checks against `keyset`, the time lies
    /// in the keyset's validity period, the answers open `B`, the payee's signature verifies. Returns `d`.
    pub fn verify_vartime(&self, keyset: &OfflineKeyset) -> Result<Scalar, OfflineError> {
        keyset.check_payment_time(self.time)?;
        self.coin.verify_vartime(keyset)?;
        let d = self.challenge()?;
        verify_response_vartime(&self.coin, &d, &self.r1, &self.r2)?;
        bip340_verify(&self.payee, &self.message()?, &self.signature)?;
        Ok(d)
    }

    /// The mint's check of a deposit at time `now` (Unix seconds): the deadline (cheap) first, then
    /// [`DepositTranscript::verify_vartime`]. Returns `d`.
    pub fn verify_deposit_vartime(&self, keyset: &OfflineKeyset, now: u64) -> Result<Scalar, OfflineError> {
        keyset.check_deposit_time(now)?;
        self.verify_vartime(keyset)
    }
}
