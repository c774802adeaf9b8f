//! Small helpers shared by the modules of this crate.

use alloc::string::ToString;

use crate::Error;

/// Decode hex text into exactly `N` bytes.
pub(crate) fn hex_array<const N: usize>(text: &str) -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).map_err(|e| Error::InvalidHex(e.to_string()))?;
    Ok(out)
}

/// Fill a buffer from the operating system's or browser's random number generator.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|_| Error::Rng)?;
    Ok(out)
}
