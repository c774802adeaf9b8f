//! The secret of a note: a string the wallet draws; the mint sees it only when the note is spent.

use alloc::string::String;
use core::fmt;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{Error, PublicKey};

/// A note's secret `x` (NUT-00): a UTF-8 string, by convention 64 hex characters of 32 random bytes.
///
/// Its point `Y = hash_to_curve(x)` is the note's serial in the mint's spent set. Zeroized on drop and
/// never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wrap an existing secret string (as received in a token).
    pub fn new(text: impl Into<String>) -> Self {
        Secret(text.into())
    }

    /// A fresh secret: 32 random bytes as 64 lowercase hex characters.
    pub fn generate() -> Result<Self, Error> {
        let mut bytes: [u8; 32] = crate::util::random_bytes()?;
        let secret = Secret(hex::encode(bytes));
        bytes.zeroize();
        Ok(secret)
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The UTF-8 bytes that hash_to_curve hashes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// `Y = hash_to_curve(secret)`: the note's serial.
    pub fn to_y(&self) -> Result<PublicKey, Error> {
        crate::dhke::hash_to_curve(self.as_bytes())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}
