//! Accounts: the identity secret `u1`, the identity `I = u1 g1`, and the registration proof of knowledge
//! `T = t g1`, `c = Hq(reg, enc(I) || enc(T) || context)`, `sigma = t + c u1`, checked by `sigma g1 == T + c I`.

use core::fmt;

use k256::ProjectivePoint;
use k256::elliptic_curve::group::Group;
use k256::elliptic_curve::ops::LinearCombination;
use serde::{Deserialize, Serialize};

use super::error::OfflineError;
use super::generators::generators;
use super::hash::{TAG_DERIVE_IDENTITY, TAG_DERIVE_REG_NONCE, TAG_REG, hash_to_scalar, hmac_scalar};
use super::wire::PublicScalar;
use crate::{PublicKey, SecretKey};

/// The wallet's identity secret `u1`. Zeroized on drop; `Debug` prints nothing of it.
#[derive(Clone)]
pub struct IdentitySecret(SecretKey);

impl IdentitySecret {
    /// Wrap a scalar.
    pub fn new(u1: SecretKey) -> Self {
        IdentitySecret(u1)
    }

    /// A fresh secret from the RNG.
    pub fn random() -> Result<Self, OfflineError> {
        Ok(IdentitySecret(SecretKey::random()?))
    }

    /// From the 64-byte BIP-39 seed: `u1 = HMAC-SHA256(seed, "offline/v1/derive/identity" || ctr)`, the first
    /// output in [1, q-1] (`ctr` one byte from 0). A restore from the recovery words brings it back.
    pub fn from_seed(seed: &[u8; 64]) -> Result<Self, OfflineError> {
        Ok(IdentitySecret(SecretKey::from_scalar(hmac_scalar(seed, TAG_DERIVE_IDENTITY, &[])?)?))
    }

    /// `u1`, for known-answer tests and for a wallet that stores it (handle with care).
    pub fn expose_secret(&self) -> &SecretKey {
        &self.0
    }

    /// `I = u1 g1`.
    pub fn identity(&self) -> Result<PublicKey, OfflineError> {
        let gens = generators()?;
        Ok(PublicKey::from_projective(gens.g1 * self.0.as_scalar())?)
    }

    /// The registration proof for `context` (the bytes the mint binds the registration to; the endpoint uses
    /// the UTF-8 account id). The nonce is deterministic:
    /// `t = HMAC-SHA256(ser32(u1), "offline/v1/derive/reg-nonce" || enc(I) || context || ctr)`.
    pub fn prove_registration(&self, context: &[u8]) -> Result<Registration, OfflineError> {
        let gens = generators()?;
        let identity = self.identity()?;
        account_point(&identity)?;
        let key = self.0.to_bytes();
        let t = SecretKey::from_scalar(hmac_scalar(&key, TAG_DERIVE_REG_NONCE, &[&identity.to_bytes(), context])?)?;
        let commitment = PublicKey::from_projective(gens.g1 * t.as_scalar())?;
        let c = registration_challenge(&identity, &commitment, context)?;
        let response = PublicScalar::new(*t.as_scalar() + c * self.0.as_scalar())?;
        Ok(Registration { identity, commitment, response })
    }
}

impl fmt::Debug for IdentitySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentitySecret(..)")
    }
}

/// `m = I + g2`, refused when it is the identity.
pub fn account_point(identity: &PublicKey) -> Result<ProjectivePoint, OfflineError> {
    let m = identity.to_projective() + generators()?.g2;
    if bool::from(m.is_identity()) { Err(OfflineError::DegenerateIdentity) } else { Ok(m) }
}

fn registration_challenge(
    identity: &PublicKey,
    commitment: &PublicKey,
    context: &[u8],
) -> Result<k256::Scalar, OfflineError> {
    hash_to_scalar(TAG_REG, &[&identity.to_bytes(), &commitment.to_bytes(), context])
}

/// A registration: the identity and the proof that its owner knows `u1`.
///
/// JSON: `{"identity": enc(I), "commitment": enc(T), "response": ser32(sigma)}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// `I = u1 g1`.
    pub identity: PublicKey,
    /// `T = t g1`.
    pub commitment: PublicKey,
    /// `sigma = t + c u1`.
    pub response: PublicScalar,
}

impl Registration {
    /// The mint's check: `I + g2 != O` and `sigma g1 == T + c I` with `c = Hq(reg, enc(I) || enc(T) || context)`.
    pub fn verify_vartime(&self, context: &[u8]) -> Result<(), OfflineError> {
        let gens = generators()?;
        account_point(&self.identity)?;
        let c = registration_challenge(&self.identity, &self.commitment, context)?;
        // sigma g1 - c I == T
        let lhs = ProjectivePoint::lincomb_vartime(&[
            (gens.g1, *self.response.as_scalar()),
            (self.identity.to_projective(), -c),
        ]);
        if lhs == self.commitment.to_projective() { Ok(()) } else { Err(OfflineError::InvalidRegistrationProof) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_verifies_and_binds_context() {
        let u1 = IdentitySecret::from_seed(&[7u8; 64]).unwrap();
        let registration = u1.prove_registration(b"account-1").unwrap();
        registration.verify_vartime(b"account-1").unwrap();
        assert_eq!(registration.verify_vartime(b"account-2"), Err(OfflineError::InvalidRegistrationProof));
        // Someone else's identity with this proof is refused.
        let mut stolen = registration.clone();
        stolen.identity = IdentitySecret::random().unwrap().identity().unwrap();
        assert_eq!(stolen.verify_vartime(b"account-1"), Err(OfflineError::InvalidRegistrationProof));
        assert_eq!(alloc::format!("{u1:?}"), "IdentitySecret(..)");
    }

    #[test]
    fn identity_hiding_a_g2_part_is_refused() {
        // I' = I + g2 (a g2 part the owner could use to escape identification) has no known u1 with
        // I' = u1 g1, so no proof for it verifies.
        let u1 = IdentitySecret::random().unwrap();
        let mut forged = u1.prove_registration(b"a").unwrap();
        forged.identity =
            PublicKey::from_projective(forged.identity.to_projective() + generators().unwrap().g2).unwrap();
        assert_eq!(forged.verify_vartime(b"a"), Err(OfflineError::InvalidRegistrationProof));
        // I = -g2 makes m the identity.
        let minus_g2 = PublicKey::from_projective(-generators().unwrap().g2).unwrap();
        assert_eq!(account_point(&minus_g2), Err(OfflineError::DegenerateIdentity));
    }
}
