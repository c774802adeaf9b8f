//! Blind Diffie-Hellman key exchange (NUT-00).
//!
//! `Y = hash_to_curve(x)`; the wallet blinds `B' = Y + rG`; the mint signs `C' = k B'`; the wallet unblinds
//! `C = C' - rK`; the mint later verifies `C == k Y`.

use k256::ProjectivePoint;
use sha2::{Digest, Sha256};

use crate::{Error, PublicKey, SecretKey};

/// Domain separator of Cashu's hash_to_curve.
pub const DOMAIN_SEPARATOR: &[u8] = b"Secp256k1_HashToCurve_Cashu_";

/// How many counters hash_to_curve tries. About half of all x-coordinates are on the curve, so the
/// chance of needing more than 2^16 tries is 2^-65536; the bound only keeps the loop finite.
const MAX_HASH_TO_CURVE_TRIES: u32 = 1 << 16;

/// Map a message to a point: `Y = decode(0x02 || SHA256(SHA256(DST || x) || LE32(ctr)))` for the first
/// counter that decodes.
pub fn hash_to_curve(message: &[u8]) -> Result<PublicKey, Error> {
    let msg_hash = Sha256::new().chain_update(DOMAIN_SEPARATOR).chain_update(message).finalize();
    let mut candidate = [0u8; 33];
    candidate[0] = 0x02;
    for counter in 0..MAX_HASH_TO_CURVE_TRIES {
        let hash = Sha256::new().chain_update(msg_hash).chain_update(counter.to_le_bytes()).finalize();
        candidate[1..].copy_from_slice(&hash);
        if let Ok(point) = PublicKey::from_slice(&candidate) {
            return Ok(point);
        }
    }
    Err(Error::NoValidPoint)
}

/// Blind a secret: returns `(B', r)` with `B' = hash_to_curve(secret) + r G`.
///
/// `r` is drawn fresh unless given (deterministic wallets pass their NUT-13 blinding factor).
pub fn blind_message(secret: &[u8], blinding_factor: Option<SecretKey>) -> Result<(PublicKey, SecretKey), Error> {
    let y = hash_to_curve(secret)?;
    let r = match blinding_factor {
        Some(r) => r,
        None => SecretKey::random()?,
    };
    let blinded = PublicKey::from_projective(y.to_projective() + ProjectivePoint::mul_by_generator(r.as_scalar()))?;
    Ok((blinded, r))
}

/// The mint's blind signature `C' = k B'`.
pub fn sign_message(k: &SecretKey, blinded_message: &PublicKey) -> Result<PublicKey, Error> {
    PublicKey::from_projective(blinded_message.to_projective() * k.as_scalar())
}

/// Unblind: `C = C' - r K`.
pub fn unblind_message(
    blinded_signature: &PublicKey,
    r: &SecretKey,
    mint_pubkey: &PublicKey,
) -> Result<PublicKey, Error> {
    PublicKey::from_projective(blinded_signature.to_projective() - mint_pubkey.to_projective() * r.as_scalar())
}

/// The mint's check of a spent note: `C == k hash_to_curve(secret)`.
pub fn verify_message(k: &SecretKey, unblinded_signature: &PublicKey, secret: &[u8]) -> Result<(), Error> {
    let y = hash_to_curve(secret)?;
    verify_message_with_y(k, unblinded_signature, &y)
}

/// [`verify_message`] for a caller that already computed `Y` (the mint needs it for the spent set too).
pub fn verify_message_with_y(k: &SecretKey, unblinded_signature: &PublicKey, y: &PublicKey) -> Result<(), Error> {
    // Public data only, so a variable-time comparison is fine.
    if (y.to_projective() * k.as_scalar()) == unblinded_signature.to_projective() {
        Ok(())
    } else {
        Err(Error::VerificationFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let k = SecretKey::random().unwrap();
        let secret = b"test message";
        let (b, r) = blind_message(secret, None).unwrap();
        let c_ = sign_message(&k, &b).unwrap();
        let c = unblind_message(&c_, &r, &k.public_key()).unwrap();
        verify_message(&k, &c, secret).unwrap();
        assert_eq!(verify_message(&k, &c, b"other message"), Err(Error::VerificationFailed));
        let other_k = SecretKey::random().unwrap();
        assert_eq!(verify_message(&other_k, &c, secret), Err(Error::VerificationFailed));
    }
}
