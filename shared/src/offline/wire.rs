//! Wire encodings of the offline protocol: public scalars (32-byte hex, in [1, q-1]), 32-byte values
//! (hex) and BIP-340 signatures (64-byte hex). Points use [`crate::PublicKey`] (33-byte compressed hex,
//! never the identity); secrets use [`crate::SecretKey`] (zeroized, never printed).

use alloc::borrow::Cow;
use alloc::string::String;
use core::fmt;

use k256::Scalar;
use k256::elliptic_curve::PrimeField;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::OfflineError;
use crate::Error as EncodingError;

/// A public scalar of the protocol (a challenge or response): 32 big-endian bytes in [1, q-1], as hex.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicScalar(Scalar);

impl PublicScalar {
    /// Wrap a computed scalar; 0 is refused.
    pub fn new(scalar: Scalar) -> Result<Self, OfflineError> {
        if bool::from(scalar.is_zero()) { Err(OfflineError::ZeroScalar) } else { Ok(PublicScalar(scalar)) }
    }

    /// Decode 32 big-endian bytes; 0 and values >= q are refused.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, OfflineError> {
        let scalar: Option<Scalar> = Scalar::from_repr((*bytes).into()).into_option();
        let scalar = scalar.ok_or(EncodingError::InvalidSecretKey("value is not below the group order"))?;
        if bool::from(scalar.is_zero()) {
            return Err(EncodingError::InvalidSecretKey("zero is not allowed").into());
        }
        Ok(PublicScalar(scalar))
    }

    /// Decode 64 hex characters.
    pub fn from_hex(text: &str) -> Result<Self, OfflineError> {
        let bytes: [u8; 32] =
            crate::util::hex_array(text).map_err(|_| EncodingError::InvalidSecretKey("expected 64 hex characters"))?;
        Self::from_bytes(&bytes)
    }

    /// The scalar.
    pub fn as_scalar(&self) -> &Scalar {
        &self.0
    }

    /// 32 big-endian bytes (`ser32`).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_repr().into()
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }
}

impl fmt::Debug for PublicScalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicScalar({})", self.to_hex())
    }
}

impl Serialize for PublicScalar {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for PublicScalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        PublicScalar::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// Fixed-length bytes as lowercase hex on the wire (nonces, hashes, signatures).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HexBytes<const N: usize>(pub [u8; N]);

impl<const N: usize> HexBytes<N> {
    /// Decode `2 N` hex characters.
    pub fn from_hex(text: &str) -> Result<Self, OfflineError> {
        Ok(HexBytes(crate::util::hex_array(text)?))
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl<const N: usize> fmt::Debug for HexBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl<const N: usize> Serialize for HexBytes<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de, const N: usize> Deserialize<'de> for HexBytes<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        HexBytes::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// A 64-byte BIP-340 signature, as 128 hex characters.
pub type Bip340Signature = HexBytes<64>;

/// Sign a 32-byte message with BIP-340 (deterministic: auxiliary randomness 32 zero bytes, so a retried
/// request gets the identical signature). The verifying key is the x-only form of `key.public_key()`.
pub(crate) fn bip340_sign(key: &crate::SecretKey, message: &[u8; 32]) -> Result<Bip340Signature, OfflineError> {
    use k256::schnorr::signature::hazmat::PrehashSigner;
    let signing =
        k256::schnorr::SigningKey::from_bytes(&key.to_bytes().into()).map_err(|_| OfflineError::InvalidSignature)?;
    let signature: k256::schnorr::Signature =
        signing.sign_prehash(message).map_err(|_| OfflineError::InvalidSignature)?;
    Ok(HexBytes(signature.to_bytes()))
}

/// Verify a BIP-340 signature over a 32-byte message by the x-only form of `key`.
pub(crate) fn bip340_verify(
    key: &crate::PublicKey,
    message: &[u8; 32],
    signature: &Bip340Signature,
) -> Result<(), OfflineError> {
    let x_only: [u8; 32] = {
        let bytes = key.to_bytes();
        let mut x = [0u8; 32];
        x.copy_from_slice(&bytes[1..]);
        x
    };
    let verifying =
        k256::schnorr::VerifyingKey::from_bytes(&x_only.into()).map_err(|_| OfflineError::InvalidSignature)?;
    let signature = k256::schnorr::Signature::try_from(&signature.0[..]).map_err(|_| OfflineError::InvalidSignature)?;
    verifying.verify_raw(message, &signature).map_err(|_| OfflineError::InvalidSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_scalar_rejects_zero_and_order() {
        assert!(PublicScalar::from_hex(&"00".repeat(32)).is_err());
        assert!(PublicScalar::from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141").is_err());
        assert!(PublicScalar::from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140").is_ok());
        assert!(PublicScalar::from_hex("01").is_err());
        let one = PublicScalar::from_hex(&alloc::format!("{}01", "00".repeat(31))).unwrap();
        assert_eq!(serde_json::from_str::<PublicScalar>(&serde_json::to_string(&one).unwrap()).unwrap(), one);
    }

    #[test]
    fn bip340_round_trip_with_odd_key() {
        // Whatever the parity of the key's y, the x-only key verifies.
        for i in 1u8..6 {
            let mut bytes = [0u8; 32];
            bytes[31] = i;
            let key = crate::SecretKey::from_slice(&bytes).unwrap();
            let signature = bip340_sign(&key, &[7u8; 32]).unwrap();
            bip340_verify(&key.public_key(), &[7u8; 32], &signature).unwrap();
            assert!(bip340_verify(&key.public_key(), &[8u8; 32], &signature).is_err());
        }
    }
}
