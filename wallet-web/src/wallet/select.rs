//! Note selection and fee math (NUT-02): pure functions, unit-tested natively.

use shared::Amount;
use shared::keyset::fee_for_inputs;

/// A note as selection sees it: amount and its keyset's fee per input (ppk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Amount.
    pub amount: Amount,
    /// Fee of its keyset, parts per thousand per input.
    pub fee_ppk: u64,
}

/// The fee for spending `notes` together: `ceil(Σ fee_ppk / 1000)`.
pub fn input_fee(notes: &[Candidate]) -> Result<Amount, shared::Error> {
    fee_for_inputs(notes.iter().map(|n| n.fee_ppk))
}

/// Indexes of notes that add up to exactly `target`, if a largest-first pass finds them.
pub fn exact_subset(notes: &[Candidate], target: Amount) -> Option<Vec<usize>> {
    if target == Amount::ZERO {
        return None;
    }
    let mut order: Vec<usize> = (0..notes.len()).collect();
    order.sort_by(|a, b| notes[*b].amount.cmp(&notes[*a].amount));
    let mut remaining = target.to_u64();
    let mut chosen = Vec::new();
    for index in order {
        let amount = notes[index].amount.to_u64();
        if amount <= remaining {
            remaining -= amount;
            chosen.push(index);
            if remaining == 0 {
                return Some(chosen);
            }
        }
    }
    None
}

/// Inputs covering `target` plus their own fee: returns the indexes, their total and the fee. Takes the
/// largest notes first (fewest inputs, hence lowest fees); `None` when all notes together do not suffice.
pub fn cover(notes: &[Candidate], target: Amount) -> Result<Option<(Vec<usize>, Amount, Amount)>, shared::Error> {
    let mut order: Vec<usize> = (0..notes.len()).collect();
    order.sort_by(|a, b| notes[*b].amount.cmp(&notes[*a].amount));
    let mut chosen = Vec::new();
    let mut picked = Vec::new();
    let mut total = Amount::ZERO;
    for index in order {
        chosen.push(index);
        picked.push(notes[index]);
        total = total.checked_add(notes[index].amount)?;
        let fee = input_fee(&picked)?;
        if total >= target.checked_add(fee)? {
            return Ok(Some((chosen, total, fee)));
        }
    }
    Ok(None)
}

/// What is spendable from `notes` after the fee of spending all of them.
pub fn spendable(notes: &[Candidate]) -> Result<Amount, shared::Error> {
    let total = Amount::try_sum(notes.iter().map(|n| n.amount))?;
    Ok(total.checked_sub(input_fee(notes)?).unwrap_or(Amount::ZERO))
}

/// Denominations for a melt of `amount` in a keyset with `fee_ppk` (the mint gives no change): parts summing
/// to `amount + f` whose input fee is at most `f`, for the smallest such `f`. Returns the parts and `f`. When
/// no split pays its fee exactly, `f` exceeds the fee by a unit or two, which the mint keeps.
pub fn exact_with_fee(amount: Amount, fee_ppk: u64, max: Amount) -> Result<(Vec<Amount>, Amount), shared::Error> {
    for extra in 0..=1024u64 {
        let fee = Amount::from(extra);
        let parts = amount.checked_add(fee)?.split_with_max(max)?;
        if fee_for_inputs(parts.iter().map(|_| fee_ppk))? <= fee {
            return Ok((parts, fee));
        }
    }
    Err(shared::Error::AmountOverflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notes(amounts: &[u64], fee_ppk: u64) -> Vec<Candidate> {
        amounts.iter().map(|a| Candidate { amount: Amount::from(*a), fee_ppk }).collect()
    }

    #[test]
    fn finds_exact_subsets() {
        let wallet = notes(&[1, 2, 4, 8, 8, 32], 0);
        let chosen = exact_subset(&wallet, Amount::from(13)).unwrap();
        let sum: u64 = chosen.iter().map(|i| wallet[*i].amount.to_u64()).sum();
        assert_eq!(sum, 13);
        assert_eq!(exact_subset(&wallet, Amount::from(16)).unwrap().len(), 2);
        assert_eq!(exact_subset(&notes(&[4, 8], 0), Amount::from(3)), None);
        assert_eq!(exact_subset(&wallet, Amount::ZERO), None);
        assert_eq!(exact_subset(&wallet, Amount::from(100)), None);
    }

    #[test]
    fn fees_round_up_per_thousand() {
        assert_eq!(input_fee(&notes(&[1, 1, 1], 100)).unwrap(), Amount::from(1));
        assert_eq!(input_fee(&notes(&[1; 11], 100)).unwrap(), Amount::from(2));
        assert_eq!(input_fee(&notes(&[1; 10], 100)).unwrap(), Amount::from(1));
        assert_eq!(input_fee(&notes(&[1, 2], 0)).unwrap(), Amount::ZERO);
        assert_eq!(input_fee(&[]).unwrap(), Amount::ZERO);
    }

    #[test]
    fn cover_pays_its_own_fee() {
        let wallet = notes(&[8, 4, 2, 1], 1000);
        // 9 + fee: 8 + 4 = 12 >= 9 + 2.
        let (chosen, total, fee) = cover(&wallet, Amount::from(9)).unwrap().unwrap();
        assert_eq!((chosen.len(), total, fee), (2, Amount::from(12), Amount::from(2)));
        // 12 + 3 = 15 needs all four (fee 4): 15 < 16, not enough.
        assert_eq!(cover(&wallet, Amount::from(12)).unwrap(), None);
        assert_eq!(cover(&notes(&[8, 4, 2, 1], 0), Amount::from(15)).unwrap().unwrap().1, Amount::from(15));
        assert_eq!(spendable(&wallet).unwrap(), Amount::from(11));
    }

    #[test]
    fn exact_denominations_include_their_fee() {
        let (parts, fee) = exact_with_fee(Amount::from(10), 0, Amount::from(1 << 30)).unwrap();
        assert_eq!((parts, fee), (vec![Amount::from(2), Amount::from(8)], Amount::ZERO));
        let (parts, fee) = exact_with_fee(Amount::from(10), 600, Amount::from(1 << 30)).unwrap();
        // 10 + 2 = 12 = 4 + 8: two inputs at 600 ppk cost 2.
        assert_eq!(fee, Amount::from(2));
        assert_eq!(Amount::try_sum(parts.iter().copied()).unwrap(), Amount::from(12));
        // 10 at 500 ppk: 11 = 1 + 2 + 8 would need 2; 12 = 4 + 8 needs 1, so 12 it is (1 unit over).
        let (parts, fee) = exact_with_fee(Amount::from(10), 500, Amount::from(1 << 30)).unwrap();
        assert_eq!((parts, fee), (vec![Amount::from(4), Amount::from(8)], Amount::from(2)));
        // A small largest denomination means more parts.
        let (parts, fee) = exact_with_fee(Amount::from(10), 1000, Amount::from(2)).unwrap();
        assert_eq!(Amount::try_sum(parts.iter().copied()).unwrap(), Amount::from(10).checked_add(fee).unwrap());
        assert!(u64::try_from(parts.len()).unwrap() <= fee.to_u64());
    }
}
