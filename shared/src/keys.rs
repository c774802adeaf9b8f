//! Strict secp256k1 points and scalars.
//!
//! Every point decoded here is a 33-byte SEC1 *compressed* encoding of a point on the curve, and never the
//! identity; every scalar is 32 big-endian bytes in [1, q-1]. Anything else is refused at the boundary, so
//! the rest of the code never sees an invalid value.

use alloc::borrow::Cow;
use alloc::string::String;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::str::FromStr;

use k256::elliptic_curve::PrimeField;
use k256::elliptic_curve::group::Group;
use k256::elliptic_curve::sec1::{FromSec1Point, ToSec1Point};
use k256::{AffinePoint, NonZeroScalar, ProjectivePoint, Scalar};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroize;

use crate::Error;

/// A point on secp256k1 that is not the identity, as SEC1 compressed hex on the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    point: AffinePoint,
}

impl PublicKey {
    /// Decode a 33-byte SEC1 compressed point. Uncompressed encodings, the identity and points that are not
    /// on the curve are refused.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != 33 {
            return Err(Error::InvalidPublicKey("expected 33 bytes (SEC1 compressed)"));
        }
        if bytes[0] != 0x02 && bytes[0] != 0x03 {
            return Err(Error::InvalidPublicKey("expected prefix 02 or 03 (SEC1 compressed)"));
        }
        let encoded =
            k256::Sec1Point::from_bytes(bytes).map_err(|_| Error::InvalidPublicKey("malformed SEC1 encoding"))?;
        let point: Option<AffinePoint> = AffinePoint::from_sec1_point(&encoded).into_option();
        let point = point.ok_or(Error::InvalidPublicKey("not a point on secp256k1"))?;
        Self::from_affine(point)
    }

    /// Decode hex of a 33-byte SEC1 compressed point.
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        let bytes: [u8; 33] =
            crate::util::hex_array(text).map_err(|_| Error::InvalidPublicKey("expected 66 hex characters"))?;
        Self::from_slice(&bytes)
    }

    pub(crate) fn from_affine(point: AffinePoint) -> Result<Self, Error> {
        if bool::from(ProjectivePoint::from(point).is_identity()) {
            return Err(Error::IdentityPoint);
        }
        Ok(PublicKey { point })
    }

    pub(crate) fn from_projective(point: ProjectivePoint) -> Result<Self, Error> {
        Self::from_affine(point.to_affine())
    }

    pub(crate) fn to_projective(self) -> ProjectivePoint {
        ProjectivePoint::from(self.point)
    }

    /// The 33-byte SEC1 compressed encoding.
    pub fn to_bytes(&self) -> [u8; 33] {
        let encoded = self.point.to_sec1_point(true);
        let mut out = [0u8; 33];
        out.copy_from_slice(encoded.as_bytes());
        out
    }

    /// The 65-byte SEC1 uncompressed encoding (used by NUT-12's hash and nonce).
    pub fn to_uncompressed_bytes(&self) -> [u8; 65] {
        let encoded = self.point.to_sec1_point(false);
        let mut out = [0u8; 65];
        out.copy_from_slice(encoded.as_bytes());
        out
    }

    /// Lowercase hex of the compressed encoding.
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Hash for PublicKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.to_bytes().hash(state);
    }
}

impl PartialOrd for PublicKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PublicKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.to_bytes().cmp(&other.to_bytes())
    }
}

impl FromStr for PublicKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::from_hex(s)
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        PublicKey::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// A scalar in [1, q-1]: a private key, blinding factor or proof value. Zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey {
    scalar: NonZeroScalar,
}

impl SecretKey {
    /// Decode 32 big-endian bytes; 0 and values >= q are refused.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| Error::InvalidSecretKey("expected 32 bytes"))?;
        let scalar: Option<Scalar> = Scalar::from_repr(array.into()).into_option();
        let scalar = scalar.ok_or(Error::InvalidSecretKey("value is not below the group order"))?;
        Self::from_scalar(scalar)
    }

    /// Decode hex of 32 big-endian bytes.
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        let mut bytes: [u8; 32] =
            crate::util::hex_array(text).map_err(|_| Error::InvalidSecretKey("expected 64 hex characters"))?;
        let key = Self::from_slice(&bytes);
        bytes.zeroize();
        key
    }

    /// A fresh key from the operating system's or browser's random number generator.
    pub fn random() -> Result<Self, Error> {
        // Rejection sampling: the chance of a retry is about 2^-128.
        for _ in 0..64 {
            let mut bytes: [u8; 32] = crate::util::random_bytes()?;
            let key = Self::from_slice(&bytes);
            bytes.zeroize();
            if let Ok(key) = key {
                return Ok(key);
            }
        }
        Err(Error::Rng)
    }

    pub(crate) fn from_scalar(scalar: Scalar) -> Result<Self, Error> {
        let scalar: Option<NonZeroScalar> = NonZeroScalar::new(scalar).into_option();
        let scalar = scalar.ok_or(Error::InvalidSecretKey("zero is not allowed"))?;
        Ok(SecretKey { scalar })
    }

    pub(crate) fn as_scalar(&self) -> &Scalar {
        self.scalar.as_ref()
    }

    /// The public key `k G`.
    pub fn public_key(&self) -> PublicKey {
        // k is non-zero and G has prime order, so k G is never the identity.
        PublicKey { point: ProjectivePoint::mul_by_generator(self.as_scalar()).to_affine() }
    }

    /// 32 big-endian bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.scalar.to_repr().into()
    }

    /// Lowercase hex of the 32 bytes.
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.scalar.zeroize();
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print secret material.
        f.write_str("SecretKey(..)")
    }
}

impl Serialize for SecretKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for SecretKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        SecretKey::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use alloc::format;

    use super::*;

    #[test]
    fn rejects_uncompressed_and_identity() {
        let g = SecretKey::from_hex("0000000000000000000000000000000000000000000000000000000000000001")
            .unwrap()
            .public_key();
        assert_eq!(g.to_hex(), "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
        assert!(PublicKey::from_slice(&g.to_uncompressed_bytes()).is_err());
        assert!(PublicKey::from_slice(&[0u8; 33]).is_err());
        assert!(PublicKey::from_slice(&[0u8; 1]).is_err());
    }

    #[test]
    fn rejects_zero_and_order() {
        assert!(SecretKey::from_hex(&"00".repeat(32)).is_err());
        let q = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
        assert!(SecretKey::from_hex(q).is_err());
        let q_minus_1 = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140";
        assert!(SecretKey::from_hex(q_minus_1).is_ok());
    }

    #[test]
    fn debug_does_not_print_secrets() {
        let key = SecretKey::random().unwrap();
        assert_eq!(format!("{key:?}"), "SecretKey(..)");
    }
}
