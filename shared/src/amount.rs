//! Amounts: a `u64` count of the keyset's unit, with checked arithmetic.
//!
//! Overflow is an error, never a wrap: every sum of amounts that comes from the network goes through
//! [`Amount::checked_add`] or [`Amount::try_sum`].

use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// An amount in the smallest unit of a keyset (for example satoshis).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amount(u64);

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount(0);
    /// The largest amount.
    pub const MAX: Amount = Amount(u64::MAX);
    /// The most parts [`Amount::split_with_max`] makes.
    pub const MAX_SPLIT_PARTS: u64 = 10_000;

    /// Wrap a raw `u64`.
    pub const fn from_u64(value: u64) -> Self {
        Amount(value)
    }

    /// The raw value.
    pub const fn to_u64(self) -> u64 {
        self.0
    }

    /// `self + other`, or [`Error::AmountOverflow`].
    pub fn checked_add(self, other: Amount) -> Result<Amount, Error> {
        self.0.checked_add(other.0).map(Amount).ok_or(Error::AmountOverflow)
    }

    /// `self - other`, or [`Error::AmountUnderflow`].
    pub fn checked_sub(self, other: Amount) -> Result<Amount, Error> {
        self.0.checked_sub(other.0).map(Amount).ok_or(Error::AmountUnderflow)
    }

    /// `self * factor`, or [`Error::AmountOverflow`].
    pub fn checked_mul(self, factor: u64) -> Result<Amount, Error> {
        self.0.checked_mul(factor).map(Amount).ok_or(Error::AmountOverflow)
    }

    /// The sum of many amounts, or [`Error::AmountOverflow`].
    pub fn try_sum<I: IntoIterator<Item = Amount>>(amounts: I) -> Result<Amount, Error> {
        amounts.into_iter().try_fold(Amount::ZERO, Amount::checked_add)
    }

    /// Whether this amount is a power of two (the only denominations a keyset signs).
    pub const fn is_power_of_two(self) -> bool {
        self.0.is_power_of_two()
    }

    /// The binary decomposition of this amount, smallest first: `13 -> [1, 4, 8]`.
    ///
    /// Every element is a power of two and they sum to `self`. Zero splits into nothing.
    /// Ascending order is what NUT-03 asks wallets to send, so the mint cannot tell the payment from
    /// the change.
    pub fn split(self) -> Vec<Amount> {
        (0..64).map(|bit| 1u64 << bit).filter(|value| self.0 & value != 0).map(Amount).collect()
    }

    /// Split into powers of two that each are at most `max_denomination` (a power of two), smallest first.
    ///
    /// Used when a keyset does not sign every power of two up to 2^63. Refuses to make more than
    /// [`Amount::MAX_SPLIT_PARTS`] parts, so a small keyset and a huge amount cannot exhaust memory.
    pub fn split_with_max(self, max_denomination: Amount) -> Result<Vec<Amount>, Error> {
        if !max_denomination.is_power_of_two() {
            return Err(Error::NotPowerOfTwo(max_denomination.0));
        }
        let max = max_denomination.0;
        let high_count = self.0 / max;
        if high_count > Self::MAX_SPLIT_PARTS {
            return Err(Error::AmountOverflow);
        }
        let mut parts = Amount(self.0 % max).split();
        parts.extend(core::iter::repeat_n(
            max_denomination,
            usize::try_from(high_count).map_err(|_| Error::AmountOverflow)?,
        ));
        Ok(parts)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<u64> for Amount {
    fn from(value: u64) -> Self {
        Amount(value)
    }
}

impl From<Amount> for u64 {
    fn from(value: Amount) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;

    #[test]
    fn split_is_binary_decomposition() {
        assert_eq!(Amount(0).split(), vec![]);
        assert_eq!(Amount(1).split(), vec![Amount(1)]);
        assert_eq!(Amount(13).split(), vec![Amount(1), Amount(4), Amount(8)]);
        assert_eq!(Amount(u64::MAX).split().len(), 64);
    }

    #[test]
    fn split_with_max_caps_denominations() {
        let parts = Amount(2 * 1024 + 5).split_with_max(Amount(1024)).unwrap();
        assert_eq!(parts, vec![Amount(1), Amount(4), Amount(1024), Amount(1024)]);
        assert!(Amount(5).split_with_max(Amount(3)).is_err());
        assert_eq!(Amount(u64::MAX).split_with_max(Amount(1)), Err(Error::AmountOverflow));
    }

    #[test]
    fn overflow_is_an_error() {
        assert_eq!(Amount::MAX.checked_add(Amount(1)), Err(Error::AmountOverflow));
        assert_eq!(Amount(1).checked_sub(Amount(2)), Err(Error::AmountUnderflow));
        assert_eq!(Amount::try_sum([Amount::MAX, Amount(1)]), Err(Error::AmountOverflow));
        assert_eq!(Amount::try_sum([Amount(3), Amount(4)]), Ok(Amount(7)));
        assert_eq!(Amount(u64::MAX / 2 + 1).checked_mul(2), Err(Error::AmountOverflow));
    }
}
