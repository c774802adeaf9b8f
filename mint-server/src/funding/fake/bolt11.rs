//! Just enough of BOLT-11 for the fake backend: make an invoice-shaped string for a mint quote and read the
//! amount from an invoice's human-readable part for a melt quote. Nothing here moves money.

use shared::Amount;

use crate::funding::FundingError;

/// The bech32 alphabet.
const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// An invoice-shaped string for `amount` sat: `lnbc<amount*10>n1` + random bech32 characters. It is not a
/// payable invoice; the fake backend marks its quotes paid by itself.
pub(super) fn fake_invoice(amount: Amount) -> Result<String, FundingError> {
    let tenths =
        amount.checked_mul(10).map_err(|_| FundingError::AmountOutOfRange("amount too large for an invoice".into()))?;
    let mut random = [0u8; 52];
    getrandom::fill(&mut random).map_err(|e| FundingError::Internal(format!("random number generator: {e}")))?;
    let data: String = random.iter().map(|b| char::from(CHARSET[usize::from(b % 32)])).collect();
    Ok(format!("lnbc{tenths}n1{data}"))
}

/// The amount of a BOLT-11 invoice in sat, from its human-readable part (`lnbc2500u1...` is 250,000 sat).
pub(super) fn invoice_amount_sat(invoice: &str) -> Result<Amount, FundingError> {
    let bad = |why: &str| FundingError::InvalidPaymentRequest(why.to_owned());
    let lower = invoice.trim().to_ascii_lowercase();
    let lower = lower.strip_prefix("lightning:").unwrap_or(&lower);
    let separator = lower.rfind('1').ok_or_else(|| bad("not a BOLT-11 invoice"))?;
    let hrp = &lower[..separator];
    let rest = ["lnbcrt", "lntbs", "lnbc", "lntb", "lnsb"]
        .iter()
        .find_map(|prefix| hrp.strip_prefix(prefix))
        .ok_or_else(|| bad("not a BOLT-11 invoice"))?;
    if rest.is_empty() {
        return Err(FundingError::AmountOutOfRange("invoices without an amount are not supported".into()));
    }
    let (digits, multiplier) = match rest.chars().last() {
        Some(m @ ('m' | 'u' | 'n' | 'p')) => (&rest[..rest.len() - 1], Some(m)),
        _ => (rest, None),
    };
    let value: u128 = digits.parse().map_err(|_| bad("bad amount in invoice"))?;
    // In millisatoshi: 1 BTC = 10^11 msat.
    let msat = match multiplier {
        None => value.checked_mul(100_000_000_000),
        Some('m') => value.checked_mul(100_000_000),
        Some('u') => value.checked_mul(100_000),
        Some('n') => value.checked_mul(100),
        Some(_) => {
            if value % 10 != 0 {
                return Err(bad("sub-millisatoshi amount"));
            }
            Some(value / 10)
        }
    }
    .ok_or_else(|| FundingError::AmountOutOfRange("invoice amount too large".into()))?;
    // Round up to whole sat: the payer never pays less than asked.
    let sat = u64::try_from(msat.div_ceil(1000))
        .map_err(|_| FundingError::AmountOutOfRange("invoice amount too large".into()))?;
    Ok(Amount::from_u64(sat))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_from_invoices() {
        assert_eq!(invoice_amount_sat("lnbc2500u1pvjluez").unwrap(), Amount::from_u64(250_000));
        assert_eq!(invoice_amount_sat("lnbc20m1pvjluezpp5").unwrap(), Amount::from_u64(2_000_000));
        assert_eq!(invoice_amount_sat("LNBC100N1P3KDRV5SP5").unwrap(), Amount::from_u64(10));
        assert_eq!(invoice_amount_sat("lnbcrt1u1abc").unwrap(), Amount::from_u64(100));
        assert_eq!(invoice_amount_sat("lnbc10p1abc").unwrap(), Amount::from_u64(1));
        assert!(invoice_amount_sat("lnbc1pvjluez").is_err());
        assert!(invoice_amount_sat("hello").is_err());
        assert!(invoice_amount_sat("lnbc15p1abc").is_err());
        assert!(invoice_amount_sat("lnbc99999999999999999999999m1abc").is_err());
    }

    #[test]
    fn fake_invoices_carry_their_amount() {
        for sat in [1, 21, 1000, 1 << 31] {
            let invoice = fake_invoice(Amount::from_u64(sat)).unwrap();
            assert_eq!(invoice_amount_sat(&invoice).unwrap(), Amount::from_u64(sat));
        }
    }
}
