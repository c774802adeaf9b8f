//! Keys and keysets (NUT-01, NUT-02): ids, fees, and the mint's key generation.

use alloc::borrow::{Cow, ToOwned};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::{Amount, Error, PublicKey, SecretKey};

/// The unit a keyset counts in (NUT-01). Lowercase on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum CurrencyUnit {
    /// Satoshi.
    #[default]
    Sat,
    /// Milli-satoshi.
    Msat,
    /// US cent.
    Usd,
    /// Euro cent.
    Eur,
    /// Blind authentication tokens (NUT-22).
    Auth,
    /// Any other unit, lowercase.
    Custom(String),
}

impl CurrencyUnit {
    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            CurrencyUnit::Sat => "sat",
            CurrencyUnit::Msat => "msat",
            CurrencyUnit::Usd => "usd",
            CurrencyUnit::Eur => "eur",
            CurrencyUnit::Auth => "auth",
            CurrencyUnit::Custom(unit) => unit,
        }
    }
}

impl FromStr for CurrencyUnit {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "sat" => CurrencyUnit::Sat,
            "msat" => CurrencyUnit::Msat,
            "usd" => CurrencyUnit::Usd,
            "eur" => CurrencyUnit::Eur,
            "auth" => CurrencyUnit::Auth,
            other => CurrencyUnit::Custom(other.to_owned()),
        })
    }
}

impl fmt::Display for CurrencyUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CurrencyUnit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CurrencyUnit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        CurrencyUnit::from_str(&text).map_err(serde::de::Error::custom)
    }
}

/// A keyset id (NUT-02): version `00` (8 bytes, deprecated) or version `01` (33 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Id {
    /// `00` + the first 7 bytes of SHA256 of the concatenated keys.
    V1([u8; 8]),
    /// `01` + SHA256 of keys, unit, fee and expiry.
    V2([u8; 33]),
}

impl Id {
    /// Version byte of [`Id::V1`].
    pub const VERSION_V1: u8 = 0x00;
    /// Version byte of [`Id::V2`].
    pub const VERSION_V2: u8 = 0x01;

    /// Decode the raw bytes of a full id.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        match (bytes.len(), bytes.first()) {
            (8, Some(&Self::VERSION_V1)) => {
                let mut id = [0u8; 8];
                id.copy_from_slice(bytes);
                Ok(Id::V1(id))
            }
            (33, Some(&Self::VERSION_V2)) => {
                let mut id = [0u8; 33];
                id.copy_from_slice(bytes);
                Ok(Id::V2(id))
            }
            (8, Some(&Self::VERSION_V2)) => {
                Err(Error::InvalidKeysetId("a short (8-byte) version 01 id needs the full 33-byte id here".into()))
            }
            (len, version) => Err(Error::InvalidKeysetId(format!(
                "expected 8 bytes with version 00 or 33 bytes with version 01, got {len} bytes with version {:02x}",
                version.copied().unwrap_or(0)
            ))),
        }
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Id::V1(bytes) => bytes,
            Id::V2(bytes) => bytes,
        }
    }

    /// The version byte.
    pub fn version(&self) -> u8 {
        self.as_bytes()[0]
    }

    /// The first 8 bytes: the whole id for version 00, the short id (NUT-02) for version 01.
    pub fn short(&self) -> [u8; 8] {
        let mut short = [0u8; 8];
        short.copy_from_slice(&self.as_bytes()[..8]);
        short
    }

    /// Derive a version 00 id from keys.
    pub fn v1_from_keys(keys: &Keys) -> Self {
        let mut hasher = Sha256::new();
        for key in keys.0.values() {
            hasher.update(key.to_bytes());
        }
        let hash = hasher.finalize();
        let mut id = [0u8; 8];
        id[0] = Self::VERSION_V1;
        id[1..].copy_from_slice(&hash[..7]);
        Id::V1(id)
    }

    /// Derive a version 01 id from keys, unit, fee and final expiry.
    pub fn v2_from_keys(keys: &Keys, unit: &CurrencyUnit, input_fee_ppk: u64, final_expiry: Option<u64>) -> Self {
        let mut preimage =
            keys.0.iter().map(|(amount, key)| format!("{amount}:{}", key.to_hex())).collect::<Vec<_>>().join(",");
        preimage.push_str("|unit:");
        preimage.push_str(&unit.as_str().to_lowercase());
        if input_fee_ppk != 0 {
            preimage.push_str(&format!("|input_fee_ppk:{input_fee_ppk}"));
        }
        if let Some(expiry) = final_expiry.filter(|expiry| *expiry != 0) {
            preimage.push_str(&format!("|final_expiry:{expiry}"));
        }
        let hash = Sha256::digest(preimage.as_bytes());
        let mut id = [0u8; 33];
        id[0] = Self::VERSION_V2;
        id[1..].copy_from_slice(&hash);
        Id::V2(id)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.as_bytes()))
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({self})")
    }
}

impl FromStr for Id {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let bytes = hex::decode(s).map_err(|e| Error::InvalidKeysetId(format!("not hex: {e}")))?;
        Id::from_bytes(&bytes)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        Id::from_str(&text).map_err(serde::de::Error::custom)
    }
}

/// A keyset's public keys by amount (`{"1": "02..", "2": "03..", ...}` on the wire), sorted by amount.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Keys(BTreeMap<Amount, PublicKey>);

impl Keys {
    /// Keys from a map. Every amount must be a power of two.
    pub fn new(keys: BTreeMap<Amount, PublicKey>) -> Result<Self, Error> {
        if let Some(amount) = keys.keys().find(|amount| !amount.is_power_of_two()) {
            return Err(Error::NotPowerOfTwo(amount.to_u64()));
        }
        Ok(Keys(keys))
    }

    /// The key for an amount.
    pub fn amount_key(&self, amount: Amount) -> Result<&PublicKey, Error> {
        self.0.get(&amount).ok_or(Error::AmountNotInKeyset(amount.to_u64()))
    }

    /// All (amount, key) pairs, smallest amount first.
    pub fn iter(&self) -> impl Iterator<Item = (&Amount, &PublicKey)> {
        self.0.iter()
    }

    /// The largest amount this keyset signs.
    pub fn max_amount(&self) -> Option<Amount> {
        self.0.keys().next_back().copied()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let keys = BTreeMap::<Amount, PublicKey>::deserialize(deserializer)?;
        Keys::new(keys).map_err(serde::de::Error::custom)
    }
}

/// A keyset with its keys, as `GET /v1/keys` returns it (NUT-01).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySet {
    /// Keyset id.
    pub id: Id,
    /// Unit.
    pub unit: CurrencyUnit,
    /// Whether the mint signs new outputs with it. Absent in older mints' responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Fee per input in parts per thousand of the unit.
    #[serde(default, deserialize_with = "null_as_zero")]
    pub input_fee_ppk: u64,
    /// Unix time after which the mint may forget this keyset's spent set.
    #[serde(default)]
    pub final_expiry: Option<u64>,
    /// The public keys.
    pub keys: Keys,
}

impl KeySet {
    /// Check that `id` is the id these keys (and, for version 01, unit, fee and expiry) derive.
    /// Wallets call this before trusting a mint's keys.
    pub fn verify_id(&self) -> Result<(), Error> {
        let derived = match self.id {
            Id::V1(_) => Id::v1_from_keys(&self.keys),
            Id::V2(_) => Id::v2_from_keys(&self.keys, &self.unit, self.input_fee_ppk, self.final_expiry),
        };
        if derived == self.id {
            Ok(())
        } else {
            Err(Error::KeysetIdMismatch { claimed: self.id.to_string(), derived: derived.to_string() })
        }
    }

    /// The keyset's metadata without its keys.
    pub fn info(&self) -> KeySetInfo {
        KeySetInfo {
            id: self.id,
            unit: self.unit.clone(),
            active: self.active.unwrap_or(true),
            input_fee_ppk: self.input_fee_ppk,
            final_expiry: self.final_expiry,
        }
    }
}

/// A keyset's metadata, as `GET /v1/keysets` returns it (NUT-02).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySetInfo {
    /// Keyset id.
    pub id: Id,
    /// Unit.
    pub unit: CurrencyUnit,
    /// Whether the mint signs new outputs with it.
    pub active: bool,
    /// Fee per input in parts per thousand.
    #[serde(default, deserialize_with = "null_as_zero")]
    pub input_fee_ppk: u64,
    /// Unix time after which the mint may forget this keyset's spent set.
    #[serde(default)]
    pub final_expiry: Option<u64>,
}

fn null_as_zero<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    Ok(Option::<u64>::deserialize(deserializer)?.unwrap_or(0))
}

/// The fee for spending inputs (NUT-02): `ceil(sum of input_fee_ppk over inputs / 1000)`.
///
/// `input_fees_ppk` holds one entry per input: the `input_fee_ppk` of that input's keyset.
pub fn fee_for_inputs<I: IntoIterator<Item = u64>>(input_fees_ppk: I) -> Result<Amount, Error> {
    let total_ppk =
        input_fees_ppk.into_iter().try_fold(0u64, |sum, fee| sum.checked_add(fee)).ok_or(Error::AmountOverflow)?;
    Ok(Amount::from_u64(total_ppk.div_ceil(1000)))
}

/// A keyset's private keys: what the mint signs with. Never leaves the mint.
#[derive(Clone)]
pub struct MintKeySet {
    /// Id of the public keyset.
    pub id: Id,
    /// Unit.
    pub unit: CurrencyUnit,
    /// Fee per input in ppk.
    pub input_fee_ppk: u64,
    /// Final expiry.
    pub final_expiry: Option<u64>,
    /// The public keys.
    pub keys: Keys,
    secret_keys: BTreeMap<Amount, SecretKey>,
}

impl fmt::Debug for MintKeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MintKeySet").field("id", &self.id).field("unit", &self.unit).finish_non_exhaustive()
    }
}

/// Domain separator of the mint's key derivation.
const MINT_KEY_TAG: &[u8] = b"chaumian-cash/mint-key/v1";

impl MintKeySet {
    /// Derive a keyset from the mint's master secret.
    ///
    /// `k_a = HMAC-SHA256(master, tag || len(unit) || unit || BE32(index) || BE64(a) || ctr)`, the first
    /// counter that gives a scalar in [1, q-1], for `a = 2^0 .. 2^(max_order-1)`. Deterministic, so a mint
    /// keeps its keys across restarts by keeping only the master secret; `index` distinguishes rotations.
    pub fn derive(
        master: &[u8],
        unit: CurrencyUnit,
        index: u32,
        max_order: u8,
        input_fee_ppk: u64,
        final_expiry: Option<u64>,
    ) -> Result<Self, Error> {
        if max_order == 0 || max_order > 64 {
            return Err(Error::Derivation("max_order must be in 1..=64".into()));
        }
        let mut secret_keys = BTreeMap::new();
        for order in 0..max_order {
            let amount = Amount::from_u64(1u64 << order);
            secret_keys.insert(amount, derive_mint_key(master, &unit, index, amount)?);
        }
        let keys = Keys(secret_keys.iter().map(|(amount, key)| (*amount, key.public_key())).collect());
        let id = Id::v2_from_keys(&keys, &unit, input_fee_ppk, final_expiry);
        Ok(MintKeySet { id, unit, input_fee_ppk, final_expiry, keys, secret_keys })
    }

    /// The private key for an amount.
    pub fn secret_key(&self, amount: Amount) -> Result<&SecretKey, Error> {
        self.secret_keys.get(&amount).ok_or(Error::AmountNotInKeyset(amount.to_u64()))
    }

    /// The public keyset, with its `active` flag.
    pub fn to_keyset(&self, active: bool) -> KeySet {
        KeySet {
            id: self.id,
            unit: self.unit.clone(),
            active: Some(active),
            input_fee_ppk: self.input_fee_ppk,
            final_expiry: self.final_expiry,
            keys: self.keys.clone(),
        }
    }
}

fn derive_mint_key(master: &[u8], unit: &CurrencyUnit, index: u32, amount: Amount) -> Result<SecretKey, Error> {
    let unit = unit.as_str().as_bytes();
    let unit_len = u32::try_from(unit.len()).map_err(|_| Error::Derivation("unit name too long".into()))?;
    for counter in 0..=u8::MAX {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(master).map_err(|e| Error::Derivation(e.to_string()))?;
        mac.update(MINT_KEY_TAG);
        mac.update(&unit_len.to_be_bytes());
        mac.update(unit);
        mac.update(&index.to_be_bytes());
        mac.update(&amount.to_u64().to_be_bytes());
        mac.update(&[counter]);
        if let Ok(key) = SecretKey::from_slice(&mac.finalize().into_bytes()) {
            return Ok(key);
        }
    }
    Err(Error::Derivation("no valid scalar in 256 tries".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_round_up() {
        assert_eq!(fee_for_inputs([]).unwrap(), Amount::ZERO);
        assert_eq!(fee_for_inputs([100, 100, 100]).unwrap(), Amount::from_u64(1));
        assert_eq!(fee_for_inputs(core::iter::repeat_n(100, 10)).unwrap(), Amount::from_u64(1));
        assert_eq!(fee_for_inputs(core::iter::repeat_n(100, 11)).unwrap(), Amount::from_u64(2));
        assert_eq!(fee_for_inputs([1000, 0]).unwrap(), Amount::from_u64(1));
        assert_eq!(fee_for_inputs([u64::MAX, 1]), Err(Error::AmountOverflow));
    }

    #[test]
    fn mint_keyset_is_deterministic_and_self_consistent() {
        let a = MintKeySet::derive(b"master secret", CurrencyUnit::Sat, 0, 64, 100, None).unwrap();
        let b = MintKeySet::derive(b"master secret", CurrencyUnit::Sat, 0, 64, 100, None).unwrap();
        let c = MintKeySet::derive(b"master secret", CurrencyUnit::Sat, 1, 64, 100, None).unwrap();
        assert_eq!(a.id, b.id);
        assert_ne!(a.id, c.id);
        assert_eq!(a.keys.len(), 64);
        a.to_keyset(true).verify_id().unwrap();
        let one = Amount::from_u64(1);
        assert_eq!(a.secret_key(one).unwrap().public_key(), *a.keys.amount_key(one).unwrap());
    }

    #[test]
    fn id_parsing() {
        assert!("009a1f293253e41e".parse::<Id>().is_ok());
        assert!("019a1f293253e41e".parse::<Id>().is_err());
        assert!("029a1f293253e41e".parse::<Id>().is_err());
        assert!("009a1f29".parse::<Id>().is_err());
        assert!("zz9a1f293253e41e".parse::<Id>().is_err());
        let v2 = "015ba18a8adcd02e715a58358eb618da4a4b3791151a4bee5e968bb88406ccf76a";
        let id: Id = v2.parse().unwrap();
        assert_eq!(id.to_string(), v2);
        assert_eq!(hex::encode(id.short()), &v2[..16]);
    }
}
