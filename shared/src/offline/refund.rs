//! Proof that a coin is bound to an account, for the refund of a never-deposited coin after its keyset's
//! deposit deadline: a Schnorr proof of knowledge of `s` with `A = s m`, `m = I + g2`.
//!
//! - `t = HMAC(s, "offline/v1/derive/refund-nonce", enc(A) || enc(I) || context)` (deterministic, like
//!   RFC 6979: never reused for another statement), `T = t m`;
//! - `c = Hq("offline/v1/refund", enc(A) || enc(I) || enc(T) || context)`, `sigma = t + c s`;
//! - check: `sigma m == T + c A`.
//!
//! The mint uses the account id's bytes as `context`, so a proof for one account is no proof for another.

use core::fmt;

use k256::ProjectivePoint;
use k256::elliptic_curve::ops::LinearCombination;
use serde::{Deserialize, Serialize};

use super::account::{IdentitySecret, account_point};
use super::error::OfflineError;
use super::hash::{hash_to_scalar, hmac_scalar};
use super::wire::PublicScalar;
use super::withdrawal::WalletCoin;
use crate::{PublicKey, SecretKey};

/// Tag of the ownership proof's challenge.
pub const TAG_REFUND: &str = "offline/v1/refund";
/// Tag deriving the ownership proof's nonce.
pub const TAG_DERIVE_REFUND_NONCE: &str = "offline/v1/derive/refund-nonce";

/// A proof of knowledge of `s` with `A = s (I + g2)`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnershipProof {
    /// `T = t m`.
    pub commitment: PublicKey,
    /// `sigma = t + c s`.
    pub response: PublicScalar,
}

impl fmt::Debug for OwnershipProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnershipProof")
            .field("commitment", &self.commitment)
            .field("response", &self.response)
            .finish()
    }
}

fn refund_challenge(
    a_point: &PublicKey,
    identity: &PublicKey,
    commitment: &PublicKey,
    context: &[u8],
) -> Result<k256::Scalar, OfflineError> {
    hash_to_scalar(TAG_REFUND, &[&a_point.to_bytes(), &identity.to_bytes(), &commitment.to_bytes(), context])
}

impl WalletCoin {
    /// Prove that this coin is bound to `identity`'s account (`context`: the account id's bytes).
    pub fn prove_ownership(&self, identity: &IdentitySecret, context: &[u8]) -> Result<OwnershipProof, OfflineError> {
        let public = identity.identity()?;
        let m = account_point(&public)?;
        if m * self.s.as_scalar() != self.coin.a_point.to_projective() {
            return Err(OfflineError::EvidenceMismatch);
        }
        let key = self.s.to_bytes();
        let t = SecretKey::from_scalar(hmac_scalar(
            &key,
            TAG_DERIVE_REFUND_NONCE,
            &[&self.coin.a_point.to_bytes(), &public.to_bytes(), context],
        )?)?;
        let commitment = PublicKey::from_projective(m * t.as_scalar())?;
        let c = refund_challenge(&self.coin.a_point, &public, &commitment, context)?;
        let response = PublicScalar::new(*t.as_scalar() + c * self.s.as_scalar())?;
        Ok(OwnershipProof { commitment, response })
    }
}

impl OwnershipProof {
    /// Check that the coin with `A = a_point` is bound to `identity` (public data only).
    pub fn verify_vartime(
        &self,
        a_point: &PublicKey,
        identity: &PublicKey,
        context: &[u8],
    ) -> Result<(), OfflineError> {
        let m = account_point(identity)?;
        let c = refund_challenge(a_point, identity, &self.commitment, context)?;
        let lhs = ProjectivePoint::lincomb_vartime(&[(m, *self.response.as_scalar()), (a_point.to_projective(), -c)]);
        if lhs == self.commitment.to_projective() { Ok(()) } else { Err(OfflineError::InvalidOwnershipProof) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CurrencyUnit;
    use crate::offline::{CoinSecrets, MintSession, OfflineMintKeyset, PendingWithdrawal};

    fn coin(u1: &IdentitySecret) -> WalletCoin {
        let mint = OfflineMintKeyset::derive(b"master", 0, 4, CurrencyUnit::Sat, 100, 200, 300).unwrap();
        let identity = u1.identity().unwrap();
        let (session, start) = MintSession::start(&mint, 4, &identity, SecretKey::random().unwrap()).unwrap();
        let (pending, challenge) =
            PendingWithdrawal::prepare(&identity, &mint.public, &start, CoinSecrets::random().unwrap()).unwrap();
        pending.finish(&session.respond(&challenge).unwrap()).unwrap()
    }

    #[test]
    fn the_owner_proves_and_no_one_else_passes() {
        let u1 = IdentitySecret::random().unwrap();
        let coin = coin(&u1);
        let identity = u1.identity().unwrap();
        let proof = coin.prove_ownership(&u1, b"account-1").unwrap();
        proof.verify_vartime(&coin.coin.a_point, &identity, b"account-1").unwrap();
        // Another account (context), another identity, another coin: refused.
        assert_eq!(
            proof.verify_vartime(&coin.coin.a_point, &identity, b"account-2"),
            Err(OfflineError::InvalidOwnershipProof)
        );
        let other = IdentitySecret::random().unwrap();
        assert_eq!(
            proof.verify_vartime(&coin.coin.a_point, &other.identity().unwrap(), b"account-1"),
            Err(OfflineError::InvalidOwnershipProof)
        );
        let second = super::tests::coin(&u1);
        assert_eq!(
            proof.verify_vartime(&second.coin.a_point, &identity, b"account-1"),
            Err(OfflineError::InvalidOwnershipProof)
        );
        // A tampered response is refused; someone else's identity cannot prove ownership at all.
        let mut tampered = proof.clone();
        tampered.response = PublicScalar::new(*proof.response.as_scalar() + k256::Scalar::ONE).unwrap();
        assert!(tampered.verify_vartime(&coin.coin.a_point, &identity, b"account-1").is_err());
        assert_eq!(coin.prove_ownership(&other, b"account-1").unwrap_err(), OfflineError::EvidenceMismatch);
        // Deterministic: the same statement gives the same proof.
        assert_eq!(coin.prove_ownership(&u1, b"account-1").unwrap(), proof);
        let json = serde_json::to_string(&proof).unwrap();
        assert_eq!(serde_json::from_str::<OwnershipProof>(&json).unwrap(), proof);
    }
}
