//! Discrete-log-equality proofs (NUT-12): the mint proves that `C' = k B'` uses the same `k` as its public
//! key `K = k G`, so a wallet can check a note's signature with public keys only (offline).

use hmac::{Hmac, KeyInit, Mac};
use k256::elliptic_curve::PrimeField;
use k256::elliptic_curve::ops::Reduce;
use k256::elliptic_curve::ops::{LinearCombination, MulByGeneratorVartime};
use k256::{FieldBytes, ProjectivePoint, Scalar};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, PublicKey, SecretKey, dhke};

/// The mint's DLEQ proof on a blind signature (NUT-12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlindSignatureDleq {
    /// Challenge.
    pub e: SecretKey,
    /// Response.
    pub s: SecretKey,
}

/// A DLEQ proof carried in a note, with the blinding factor so that a payee can check it (NUT-12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofDleq {
    /// Challenge.
    pub e: SecretKey,
    /// Response.
    pub s: SecretKey,
    /// The blinding factor the note was minted with.
    pub r: SecretKey,
}

/// Domain separator of the deterministic nonce.
const NONCE_TAG: &[u8] = b"Cashu_DLEQ_R_v1";

/// `e = SHA256(hex(R1) || hex(R2) || hex(K) || hex(C'))` over uncompressed points as lowercase ASCII hex.
pub fn hash_e(points: &[&PublicKey]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut buf = [0u8; 130];
    for point in points {
        // Encoding into a fixed buffer cannot fail: 65 bytes always fit 130 hex characters.
        if hex::encode_to_slice(point.to_uncompressed_bytes(), &mut buf).is_ok() {
            hasher.update(buf);
        }
    }
    hasher.finalize().into()
}

/// The deterministic nonce `r = HMAC-SHA256(ser32(k), tag || K || B' || C' || ctr)`, retried with the next
/// counter while `r` is 0 or >= q.
fn deterministic_nonce(
    k: &SecretKey,
    mint_pubkey: &PublicKey,
    blinded: &PublicKey,
    signature: &PublicKey,
) -> Result<Scalar, Error> {
    let key_bytes = k.to_bytes();
    let (mint_pubkey, blinded, signature) =
        (mint_pubkey.to_uncompressed_bytes(), blinded.to_uncompressed_bytes(), signature.to_uncompressed_bytes());
    for counter in 0..=u8::MAX {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key_bytes).map_err(|_| Error::InvalidDleq)?;
        mac.update(NONCE_TAG);
        mac.update(&mint_pubkey);
        mac.update(&blinded);
        mac.update(&signature);
        mac.update(&[counter]);
        let digest: [u8; 32] = mac.finalize().into_bytes().into();
        let candidate: Option<Scalar> = Scalar::from_repr(digest.into()).into_option();
        if let Some(r) = candidate.filter(|r| !bool::from(r.is_zero())) {
            return Ok(r);
        }
    }
    Err(Error::InvalidDleq)
}

/// `e` as a scalar (the hash reduced mod q).
fn challenge_scalar(e: &[u8; 32]) -> Scalar {
    <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(*e))
}

/// The mint's proof for `C' = k B'`: `(e, s)` with the deterministic nonce.
pub fn calculate_dleq(k: &SecretKey, blinded: &PublicKey, signature: &PublicKey) -> Result<BlindSignatureDleq, Error> {
    let mint_pubkey = k.public_key();
    let r = deterministic_nonce(k, &mint_pubkey, blinded, signature)?;
    let r1 = PublicKey::from_projective(ProjectivePoint::mul_by_generator(&r))?;
    let r2 = PublicKey::from_projective(blinded.to_projective() * r)?;
    let e_bytes = hash_e(&[&r1, &r2, &mint_pubkey, signature]);
    let e = SecretKey::from_slice(&e_bytes)?;
    let s = SecretKey::from_scalar(r + challenge_scalar(&e_bytes) * k.as_scalar())?;
    Ok(BlindSignatureDleq { e, s })
}

/// Check a proof on a blind signature: `R1 = s G - e K`, `R2 = s B' - e C'`, `e == hash(R1, R2, K, C')`.
pub fn verify_dleq(
    dleq: &BlindSignatureDleq,
    mint_pubkey: &PublicKey,
    blinded: &PublicKey,
    signature: &PublicKey,
) -> Result<(), Error> {
    // Everything here is public, so variable-time arithmetic is safe (and about twice as fast).
    let minus_e = -*dleq.e.as_scalar();
    let s = dleq.s.as_scalar();
    let r1 = ProjectivePoint::mul_by_generator_and_mul_add_vartime(s, &minus_e, &mint_pubkey.to_projective());
    let r2 = ProjectivePoint::lincomb_vartime(&[(blinded.to_projective(), *s), (signature.to_projective(), minus_e)]);
    let r1 = PublicKey::from_projective(r1).map_err(|_| Error::InvalidDleq)?;
    let r2 = PublicKey::from_projective(r2).map_err(|_| Error::InvalidDleq)?;
    if hash_e(&[&r1, &r2, mint_pubkey, signature]) == dleq.e.to_bytes() { Ok(()) } else { Err(Error::InvalidDleq) }
}

/// Check the proof carried by a note (with the sender's blinding factor r): rebuild `B' = Y + r G` and
/// `C' = C + r K`, then verify as above. This is how a payee checks a note offline.
pub fn verify_proof_dleq(
    dleq: &ProofDleq,
    mint_pubkey: &PublicKey,
    secret: &[u8],
    signature: &PublicKey,
) -> Result<(), Error> {
    let y = dhke::hash_to_curve(secret)?;
    // r travels in the token, so the payee may use variable-time arithmetic on it.
    let r = dleq.r.as_scalar();
    let blinded = PublicKey::from_projective(y.to_projective() + ProjectivePoint::mul_by_generator_vartime(r))
        .map_err(|_| Error::InvalidDleq)?;
    let blinded_signature = PublicKey::from_projective(
        ProjectivePoint::lincomb_vartime(&[(mint_pubkey.to_projective(), *r)]) + signature.to_projective(),
    )
    .map_err(|_| Error::InvalidDleq)?;
    verify_dleq(&BlindSignatureDleq { e: dleq.e.clone(), s: dleq.s.clone() }, mint_pubkey, &blinded, &blinded_signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prove_then_verify() {
        let k = SecretKey::random().unwrap();
        let (b, r) = dhke::blind_message(b"secret", None).unwrap();
        let c_ = dhke::sign_message(&k, &b).unwrap();
        let dleq = calculate_dleq(&k, &b, &c_).unwrap();
        verify_dleq(&dleq, &k.public_key(), &b, &c_).unwrap();
        let c = dhke::unblind_message(&c_, &r, &k.public_key()).unwrap();
        let proof_dleq = ProofDleq { e: dleq.e.clone(), s: dleq.s.clone(), r };
        verify_proof_dleq(&proof_dleq, &k.public_key(), b"secret", &c).unwrap();
        assert_eq!(verify_proof_dleq(&proof_dleq, &k.public_key(), b"other", &c), Err(Error::InvalidDleq));
        let other = SecretKey::random().unwrap().public_key();
        assert_eq!(verify_dleq(&dleq, &other, &b, &c_), Err(Error::InvalidDleq));
    }
}
