//! The generators `g1`, `g2`: RFC 9380 hash-to-curve (`secp256k1_XMD:SHA-256_SSWU_RO_`) of fixed messages
//! under a fixed domain separation tag, so nobody knows a discrete-log relation among `G`, `g1`, `g2`.

use alloc::boxed::Box;

use k256::elliptic_curve::group::Group;
use k256::{ProjectivePoint, Secp256k1};
use once_cell::race::OnceBox;

use super::error::OfflineError;
use crate::PublicKey;

/// The domain separation tag of the generators' hash-to-curve.
pub const GENERATOR_DST: &[u8] = b"CASH-OFFLINE-V1-with-secp256k1_XMD:SHA-256_SSWU_RO_";
/// The message hashed to `g1`.
pub const G1_MESSAGE: &[u8] = b"offline/v1/g1";
/// The message hashed to `g2`.
pub const G2_MESSAGE: &[u8] = b"offline/v1/g2";

/// `g1` and `g2`, computed once per process.
#[derive(Debug, Clone, Copy)]
pub struct Generators {
    /// `g1`: carries the identity secret `u1` (`I = u1 g1`).
    pub g1: ProjectivePoint,
    /// `g2`.
    pub g2: ProjectivePoint,
}

impl Generators {
    /// `g1` as a public key (33-byte compressed on the wire).
    pub fn g1_public(&self) -> Result<PublicKey, OfflineError> {
        Ok(PublicKey::from_projective(self.g1)?)
    }

    /// `g2` as a public key.
    pub fn g2_public(&self) -> Result<PublicKey, OfflineError> {
        Ok(PublicKey::from_projective(self.g2)?)
    }
}

fn hash_to_curve(message: &[u8], dst: &[u8]) -> Result<ProjectivePoint, OfflineError> {
    use k256::hash2curve::GroupDigest;
    let point =
        <Secp256k1 as GroupDigest>::hash_from_bytes(&[message], &[dst]).map_err(|_| OfflineError::Generators)?;
    if bool::from(point.is_identity()) { Err(OfflineError::Generators) } else { Ok(point) }
}

static GENERATORS: OnceBox<Generators> = OnceBox::new();

/// The generators (hash-to-curve runs on the first call only).
pub fn generators() -> Result<&'static Generators, OfflineError> {
    GENERATORS.get_or_try_init(|| {
        let g1 = hash_to_curve(G1_MESSAGE, GENERATOR_DST)?;
        let g2 = hash_to_curve(G2_MESSAGE, GENERATOR_DST)?;
        Ok(Box::new(Generators { g1, g2 }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_fixed_and_distinct() {
        let gens = generators().unwrap();
        let g1 = gens.g1_public().unwrap().to_hex();
        let g2 = gens.g2_public().unwrap().to_hex();
        // Frozen: a change here changes every coin; the spec (docs/offline-coins.md) lists these values.
        assert_eq!(g1, G1_HEX);
        assert_eq!(g2, G2_HEX);
        assert_ne!(gens.g1, ProjectivePoint::GENERATOR);
        assert_ne!(gens.g2, ProjectivePoint::GENERATOR);
        assert_ne!(gens.g1, gens.g2);
    }

    #[test]
    fn suite_matches_rfc9380() {
        // RFC 9380 appendix J.8.1 (secp256k1_XMD:SHA-256_SSWU_RO_), msg = "": P.x = c1ca..1346, P.y odd.
        let dst = b"QUUX-V01-CS02-with-secp256k1_XMD:SHA-256_SSWU_RO_";
        let point = PublicKey::from_projective(hash_to_curve(b"", dst).unwrap()).unwrap();
        assert_eq!(point.to_hex(), "03c1cae290e291aee617ebaef1be6d73861479c48b841eaba9b7b5852ddfeb1346");
    }

    const G1_HEX: &str = "033d034a63be0d3533a038a11516578cbdd7fb2dbfa726dfdebe3df8cd5fcb0549";
    const G2_HEX: &str = "0380cd31f5f714f6f9b19f0a5280276587c4dafa5c08488e0ab2a74f17b82de4f0";
}
