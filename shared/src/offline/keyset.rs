//! Offline keysets: per denomination `j` (value `2^j`) the mint's key `h_j = x_j G`, a validity period and a
//! deposit deadline. The id is a tagged hash of all of it, and a type of its own ([`OfflineKeysetId`]), so
//! offline and Cashu keys cannot be mixed.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use super::error::OfflineError;
use super::hash::{TAG_DERIVE_MINT_KEY, TAG_KEYSET, hmac_scalar, tagged_hash};
use super::wire::HexBytes;
use crate::{CurrencyUnit, PublicKey, SecretKey};

/// The largest denomination exponent: amounts are `2^j` with `j <= 63`.
pub const MAX_DENOMINATION: u8 = 63;

/// The id of an offline keyset: `TH("offline/v1/keyset", ...)` of its content (32 bytes, hex on the wire).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OfflineKeysetId(HexBytes<32>);

impl OfflineKeysetId {
    /// The 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.0
    }

    /// From 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        OfflineKeysetId(HexBytes(bytes))
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        self.0.to_hex()
    }
}

impl fmt::Debug for OfflineKeysetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OfflineKeysetId({})", self.to_hex())
    }
}

impl fmt::Display for OfflineKeysetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// `j` for an amount `2^j`.
pub fn denomination(amount: u64) -> Result<u8, OfflineError> {
    if amount.is_power_of_two() {
        // trailing_zeros of a non-zero u64 is at most 63.
        u8::try_from(amount.trailing_zeros()).map_err(|_| OfflineError::NotPowerOfTwo(amount))
    } else {
        Err(OfflineError::NotPowerOfTwo(amount))
    }
}

/// An offline keyset's public part, as the mint publishes it and the wallet caches it for offline use.
///
/// JSON: `{"id", "unit", "valid_from", "valid_until", "deposit_deadline", "keys": {"<amount>": "<h_j>"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineKeyset {
    /// `TH("offline/v1/keyset", ...)` of everything below ([`OfflineKeyset::compute_id`]).
    pub id: OfflineKeysetId,
    /// The unit the amounts count in.
    pub unit: CurrencyUnit,
    /// Start of the validity period (Unix seconds): coins are withdrawn and paid in `[valid_from, valid_until]`.
    pub valid_from: u64,
    /// End of the validity period (Unix seconds): no payment request may carry a later time.
    pub valid_until: u64,
    /// Deposits are accepted up to and including this time (Unix seconds).
    pub deposit_deadline: u64,
    /// `h_j = x_j G` by amount `2^j`.
    pub keys: BTreeMap<u64, PublicKey>,
}

impl OfflineKeyset {
    /// Build a keyset and compute its id; times and amounts are checked.
    pub fn new(
        unit: CurrencyUnit,
        valid_from: u64,
        valid_until: u64,
        deposit_deadline: u64,
        keys: BTreeMap<u64, PublicKey>,
    ) -> Result<Self, OfflineError> {
        let mut keyset = OfflineKeyset {
            id: OfflineKeysetId::from_bytes([0; 32]),
            unit,
            valid_from,
            valid_until,
            deposit_deadline,
            keys,
        };
        keyset.id = keyset.compute_id()?;
        Ok(keyset)
    }

    /// `TH("offline/v1/keyset", BE16(len(unit)) || unit || BE64(valid_from) || BE64(valid_until) ||
    /// BE64(deposit_deadline) || for each key by ascending amount: j || enc(h_j))`.
    pub fn compute_id(&self) -> Result<OfflineKeysetId, OfflineError> {
        if !(self.valid_from < self.valid_until && self.valid_until <= self.deposit_deadline) {
            return Err(OfflineError::InvalidKeysetTimes);
        }
        if self.keys.is_empty() || self.keys.len() > 64 {
            return Err(OfflineError::InvalidKeysetSize);
        }
        let unit = self.unit.as_str().as_bytes();
        let unit_len = u16::try_from(unit.len()).map_err(|_| OfflineError::InvalidKeysetSize)?;
        let mut message = Vec::with_capacity(2 + unit.len() + 24 + self.keys.len() * 34);
        message.extend_from_slice(&unit_len.to_be_bytes());
        message.extend_from_slice(unit);
        message.extend_from_slice(&self.valid_from.to_be_bytes());
        message.extend_from_slice(&self.valid_until.to_be_bytes());
        message.extend_from_slice(&self.deposit_deadline.to_be_bytes());
        for (amount, key) in &self.keys {
            message.push(denomination(*amount)?);
            message.extend_from_slice(&key.to_bytes());
        }
        Ok(OfflineKeysetId::from_bytes(tagged_hash(TAG_KEYSET, &[&message])))
    }

    /// Recompute the id and compare (run on every keyset received from elsewhere).
    pub fn verify_id_vartime(&self) -> Result<(), OfflineError> {
        if self.compute_id()? == self.id { Ok(()) } else { Err(OfflineError::KeysetIdMismatch) }
    }

    /// `h_j` for an amount.
    pub fn key(&self, amount: u64) -> Result<&PublicKey, OfflineError> {
        denomination(amount)?;
        self.keys.get(&amount).ok_or(OfflineError::UnknownAmount(amount))
    }

    /// A payment request's time must lie in `[valid_from, valid_until]`.
    pub fn check_payment_time(&self, time: u64) -> Result<(), OfflineError> {
        if self.valid_from <= time && time <= self.valid_until {
            Ok(())
        } else {
            Err(OfflineError::OutsideValidity { time })
        }
    }

    /// A deposit at `now` must come no later than the deposit deadline.
    pub fn check_deposit_time(&self, now: u64) -> Result<(), OfflineError> {
        if now <= self.deposit_deadline { Ok(()) } else { Err(OfflineError::DepositDeadlinePassed) }
    }
}

/// The mint's side of an offline keyset: the public part and the private keys `x_j`.
pub struct OfflineMintKeyset {
    /// What the mint publishes.
    pub public: OfflineKeyset,
    secrets: BTreeMap<u64, SecretKey>,
}

impl OfflineMintKeyset {
    /// From private keys by amount.
    pub fn new(
        unit: CurrencyUnit,
        valid_from: u64,
        valid_until: u64,
        deposit_deadline: u64,
        secrets: BTreeMap<u64, SecretKey>,
    ) -> Result<Self, OfflineError> {
        let keys = secrets.iter().map(|(amount, key)| (*amount, key.public_key())).collect();
        let public = OfflineKeyset::new(unit, valid_from, valid_until, deposit_deadline, keys)?;
        Ok(OfflineMintKeyset { public, secrets })
    }

    /// Derive the private keys for amounts `2^0 .. 2^(denominations-1)` from the mint's master secret:
    /// `x_j = HMAC-SHA256(master, "offline/v1/derive/mint-key" || BE32(index) || j || ctr)` (first value in
    /// [1, q-1], `ctr` one byte from 0). `index` numbers the mint's offline keysets.
    pub fn derive(
        master: &[u8],
        index: u32,
        denominations: u8,
        unit: CurrencyUnit,
        valid_from: u64,
        valid_until: u64,
        deposit_deadline: u64,
    ) -> Result<Self, OfflineError> {
        if denominations == 0 || denominations > MAX_DENOMINATION + 1 {
            return Err(OfflineError::InvalidKeysetSize);
        }
        let mut secrets = BTreeMap::new();
        for j in 0..denominations {
            let x = hmac_scalar(master, TAG_DERIVE_MINT_KEY, &[&index.to_be_bytes(), &[j]])?;
            secrets.insert(1u64 << j, SecretKey::from_scalar(x)?);
        }
        Self::new(unit, valid_from, valid_until, deposit_deadline, secrets)
    }

    /// `x_j` for an amount.
    pub fn secret(&self, amount: u64) -> Result<&SecretKey, OfflineError> {
        denomination(amount)?;
        self.secrets.get(&amount).ok_or(OfflineError::UnknownAmount(amount))
    }
}

impl fmt::Debug for OfflineMintKeyset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OfflineMintKeyset").field("public", &self.public).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyset() -> OfflineMintKeyset {
        OfflineMintKeyset::derive(b"master", 0, 4, CurrencyUnit::Sat, 100, 200, 300).unwrap()
    }

    #[test]
    fn id_commits_to_everything() {
        let mint = keyset();
        let keyset = mint.public.clone();
        keyset.verify_id_vartime().unwrap();
        let mut later = keyset.clone();
        later.deposit_deadline += 1;
        assert_eq!(later.verify_id_vartime(), Err(OfflineError::KeysetIdMismatch));
        let mut fewer = keyset.clone();
        fewer.keys.remove(&8);
        assert_eq!(fewer.verify_id_vartime(), Err(OfflineError::KeysetIdMismatch));
        let json = serde_json::to_string(&keyset).unwrap();
        assert_eq!(serde_json::from_str::<OfflineKeyset>(&json).unwrap(), keyset);
    }

    #[test]
    fn times_and_amounts_are_checked() {
        assert_eq!(
            OfflineMintKeyset::derive(b"m", 0, 4, CurrencyUnit::Sat, 200, 200, 300).unwrap_err(),
            OfflineError::InvalidKeysetTimes
        );
        assert_eq!(
            OfflineMintKeyset::derive(b"m", 0, 4, CurrencyUnit::Sat, 100, 301, 300).unwrap_err(),
            OfflineError::InvalidKeysetTimes
        );
        let mint = keyset();
        assert_eq!(mint.public.key(3).unwrap_err(), OfflineError::NotPowerOfTwo(3));
        assert_eq!(mint.public.key(16).unwrap_err(), OfflineError::UnknownAmount(16));
        assert!(mint.public.check_payment_time(99).is_err());
        assert!(mint.public.check_payment_time(100).is_ok());
        assert!(mint.public.check_payment_time(201).is_err());
        assert!(mint.public.check_deposit_time(300).is_ok());
        assert_eq!(mint.public.check_deposit_time(301), Err(OfflineError::DepositDeadlinePassed));
        assert!(!alloc::format!("{mint:?}").contains("SecretKey"));
    }
}
