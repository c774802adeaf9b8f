//! The coin `(kid, j, A, B, z', a', b', r')` and its check by anyone, offline, with public data only:
//! `r' G == c' h_j + a'` and `r' A == c' z' + b'` with `c' = Hq(sig, kid || j || enc(A) || enc(B) || enc(z') ||
//! enc(a') || enc(b'))`.

use alloc::vec::Vec;

use k256::ProjectivePoint;
use k256::elliptic_curve::ops::{LinearCombination, MulByGeneratorVartime};
use serde::{Deserialize, Serialize};

use super::error::OfflineError;
use super::hash::{TAG_COIN, TAG_SIG, hash_to_scalar, tagged_hash};
use super::keyset::{OfflineKeyset, OfflineKeysetId, denomination};
use super::wire::PublicScalar;
use crate::PublicKey;

/// Length of [`Coin::to_bytes`]: `kid (32) || j (1) || 5 points (33 each) || r' (32)`.
pub const COIN_BYTES: usize = 32 + 1 + 5 * 33 + 32;

/// A coin: the mint's blind signature `(z', a', b', r')` on `(A, B)`.
///
/// JSON: `{"id", "amount", "A", "B", "z", "a", "b", "r"}` (points compressed hex, `r` 32-byte hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coin {
    /// The offline keyset.
    #[serde(rename = "id")]
    pub keyset_id: OfflineKeysetId,
    /// The value `2^j`.
    pub amount: u64,
    /// `A = s (I + g2)`: the coin's serial, bound to the owner's identity.
    #[serde(rename = "A")]
    pub a_point: PublicKey,
    /// `B = x1 g1 + x2 g2`: the commitment a payment opens.
    #[serde(rename = "B")]
    pub b_point: PublicKey,
    /// `z' = s z_j = x_j A`.
    #[serde(rename = "z")]
    pub z: PublicKey,
    /// `a' = u a0 + v G`.
    #[serde(rename = "a")]
    pub a: PublicKey,
    /// `b' = s u b0 + v A`.
    #[serde(rename = "b")]
    pub b: PublicKey,
    /// `r' = u r0 + v`.
    #[serde(rename = "r")]
    pub r: PublicScalar,
}

/// `c' = Hq(sig, kid || j || enc(A) || enc(B) || enc(z') || enc(a') || enc(b'))`.
pub(crate) fn signature_challenge(
    keyset_id: &OfflineKeysetId,
    j: u8,
    points: [&PublicKey; 5],
) -> Result<k256::Scalar, OfflineError> {
    let [a_point, b_point, z, a, b] = points.map(PublicKey::to_bytes);
    hash_to_scalar(TAG_SIG, &[&keyset_id.to_bytes(), &[j], &a_point, &b_point, &z, &a, &b])
}

impl Coin {
    /// `j` for the coin's amount.
    pub fn denomination(&self) -> Result<u8, OfflineError> {
        denomination(self.amount)
    }

    /// The signature challenge `c'`.
    pub fn challenge(&self) -> Result<k256::Scalar, OfflineError> {
        signature_challenge(
            &self.keyset_id,
            self.denomination()?,
            [&self.a_point, &self.b_point, &self.z, &self.a, &self.b],
        )
    }

    /// `kid || j || enc(A) || enc(B) || enc(z') || enc(a') || enc(b') || ser32(r')` (230 bytes).
    pub fn to_bytes(&self) -> Result<Vec<u8>, OfflineError> {
        let mut out = Vec::with_capacity(COIN_BYTES);
        out.extend_from_slice(&self.keyset_id.to_bytes());
        out.push(self.denomination()?);
        for point in [&self.a_point, &self.b_point, &self.z, &self.a, &self.b] {
            out.extend_from_slice(&point.to_bytes());
        }
        out.extend_from_slice(&self.r.to_bytes());
        Ok(out)
    }

    /// The coin's identifier in receipts: `TH("offline/v1/coin", to_bytes())`.
    pub fn hash(&self) -> Result<[u8; 32], OfflineError> {
        Ok(tagged_hash(TAG_COIN, &[&self.to_bytes()?]))
    }

    /// The coin check with public data only: the keyset is the coin's, has a key for its amount, and
    /// `r' G == c' h_j + a'`, `r' A == c' z' + b'` (`A != O` holds by decoding).
    pub fn verify_vartime(&self, keyset: &OfflineKeyset) -> Result<(), OfflineError> {
        if keyset.id != self.keyset_id {
            return Err(OfflineError::WrongKeyset);
        }
        let h = keyset.key(self.amount)?;
        let c = self.challenge()?;
        let r = self.r.as_scalar();
        // r' G - c' h == a'
        let lhs = ProjectivePoint::mul_by_generator_and_mul_add_vartime(r, &-c, &h.to_projective());
        if lhs != self.a.to_projective() {
            return Err(OfflineError::InvalidCoin);
        }
        // r' A - c' z' == b'
        let lhs = ProjectivePoint::lincomb_vartime(&[(self.a_point.to_projective(), *r), (self.z.to_projective(), -c)]);
        if lhs != self.b.to_projective() {
            return Err(OfflineError::InvalidCoin);
        }
        Ok(())
    }
}
