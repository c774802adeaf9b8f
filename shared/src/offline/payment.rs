//! Offline payment: the payee's request `(P, n, t, amount)`, the challenge
//! `d = Hq(pay, kid || j || enc(A) || enc(B) || enc(P) || n || BE64(t))` per coin, the payer's answers
//! `r1 = d u1 s + x1`, `r2 = d s + x2`, and the payee's check `r1 g1 + r2 g2 == d A + B`.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use k256::elliptic_curve::ops::LinearCombination;
use k256::{ProjectivePoint, Scalar};
use serde::{Deserialize, Serialize};

use super::account::IdentitySecret;
use super::coin::Coin;
use super::error::OfflineError;
use super::generators::generators;
use super::hash::{TAG_PAY, hash_to_scalar};
use super::keyset::OfflineKeyset;
use super::wire::{HexBytes, PublicScalar};
use super::withdrawal::WalletCoin;
use crate::PublicKey;

/// The most coins one payment may carry (64 covers every amount below 2^64 in distinct denominations).
pub const MAX_PAYMENT_COINS: usize = 64;

/// The payee's request. JSON: `{"payee": enc(P), "nonce": 32-byte hex, "time": u64, "amount": u64}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRequest {
    /// `P`: the key that will sign the deposit (per payment or long-term).
    pub payee: PublicKey,
    /// `n`: 32 fresh random bytes from the payee, so two spends always get different challenges.
    pub nonce: HexBytes<32>,
    /// `t`: the payee's clock, Unix seconds.
    pub time: u64,
    /// The amount asked; the coins must add up to it exactly (no change offline).
    pub amount: u64,
}

impl PaymentRequest {
    /// A request with a fresh nonce from the RNG.
    pub fn new(payee: PublicKey, time: u64, amount: u64) -> Result<Self, OfflineError> {
        let nonce = crate::util::random_bytes()?;
        Ok(PaymentRequest { payee, nonce: HexBytes(nonce), time, amount })
    }

    /// The challenge `d` for one coin.
    pub fn challenge(&self, coin: &Coin) -> Result<Scalar, OfflineError> {
        payment_challenge(coin, &self.payee, &self.nonce.0, self.time)
    }
}

/// `d = Hq(pay, kid || j || enc(A) || enc(B) || enc(P) || n || BE64(t))`.
pub fn payment_challenge(coin: &Coin, payee: &PublicKey, nonce: &[u8; 32], time: u64) -> Result<Scalar, OfflineError> {
    hash_to_scalar(
        TAG_PAY,
        &[
            &coin.keyset_id.to_bytes(),
            &[coin.denomination()?],
            &coin.a_point.to_bytes(),
            &coin.b_point.to_bytes(),
            &payee.to_bytes(),
            nonce,
            &time.to_be_bytes(),
        ],
    )
}

/// `r1 g1 + r2 g2 == d A + B`.
pub fn verify_response_vartime(
    coin: &Coin,
    d: &Scalar,
    r1: &PublicScalar,
    r2: &PublicScalar,
) -> Result<(), OfflineError> {
    let gens = generators()?;
    let lhs = ProjectivePoint::lincomb_vartime(&[
        (gens.g1, *r1.as_scalar()),
        (gens.g2, *r2.as_scalar()),
        (coin.a_point.to_projective(), -*d),
    ]);
    if lhs == coin.b_point.to_projective() { Ok(()) } else { Err(OfflineError::InvalidPaymentResponse) }
}

/// One coin of a payment with the payer's answers. JSON: `{"coin": Coin, "r1", "r2"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpentCoin {
    /// The coin.
    pub coin: Coin,
    /// `r1 = d u1 s + x1`.
    pub r1: PublicScalar,
    /// `r2 = d s + x2`.
    pub r2: PublicScalar,
}

impl WalletCoin {
    /// Answer the challenge of `request` for this coin (constant time in `u1, s, x1, x2`). The wallet must
    /// record that this coin is spent to this request before it shows the answer, and never answer a
    /// second request with it: two answers reveal `u1`.
    pub fn respond(&self, identity: &IdentitySecret, request: &PaymentRequest) -> Result<SpentCoin, OfflineError> {
        let d = request.challenge(&self.coin)?;
        let ds = d * self.s.as_scalar();
        let r1 = ds * identity.expose_secret().as_scalar() + self.x1.as_scalar();
        let r2 = ds + self.x2.as_scalar();
        Ok(SpentCoin { coin: self.coin.clone(), r1: PublicScalar::new(r1)?, r2: PublicScalar::new(r2)? })
    }
}

/// A payment: the coins with their answers. JSON: `{"coins": [SpentCoin, ...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The coins, adding up to the request's amount.
    pub coins: Vec<SpentCoin>,
}

impl Payment {
    /// The payer's side: answer `request` with `coins` (which must add up to its amount).
    pub fn pay(
        identity: &IdentitySecret,
        coins: &[WalletCoin],
        request: &PaymentRequest,
    ) -> Result<Self, OfflineError> {
        let payment = Payment { coins: coins.iter().map(|c| c.respond(identity, request)).collect::<Result<_, _>>()? };
        payment.check_shape(request)?;
        Ok(payment)
    }

    fn check_shape(&self, request: &PaymentRequest) -> Result<(), OfflineError> {
        if self.coins.is_empty() || self.coins.len() > MAX_PAYMENT_COINS {
            return Err(OfflineError::PaymentSize(MAX_PAYMENT_COINS));
        }
        let mut paid: u64 = 0;
        let mut serials = BTreeSet::new();
        for spent in &self.coins {
            spent.coin.denomination()?;
            paid = paid
                .checked_add(spent.coin.amount)
                .ok_or(OfflineError::AmountMismatch { paid: u64::MAX, requested: request.amount })?;
            if !serials.insert(spent.coin.a_point) {
                return Err(OfflineError::DuplicateCoin);
            }
        }
        if paid != request.amount {
            return Err(OfflineError::AmountMismatch { paid, requested: request.amount });
        }
        Ok(())
    }

    /// The payee's check, offline, against the cached keysets: amounts add up, no coin twice, each coin's
    /// keyset is known and valid at the request's time, each coin checks and each answer opens `B`.
    /// (The payee checks its own request's freshness; this function has no clock.)
    pub fn verify_vartime(&self, request: &PaymentRequest, keysets: &[OfflineKeyset]) -> Result<(), OfflineError> {
        self.check_shape(request)?;
        for spent in &self.coins {
            let keyset = keysets.iter().find(|k| k.id == spent.coin.keyset_id).ok_or(OfflineError::UnknownKeyset)?;
            keyset.check_payment_time(request.time)?;
            spent.coin.verify_vartime(keyset)?;
            let d = request.challenge(&spent.coin)?;
            verify_response_vartime(&spent.coin, &d, &spent.r1, &spent.r2)?;
        }
        Ok(())
    }
}
