//! Which coins to withdraw and which coins pay an amount. Offline there is no change: a payment's coins
//! must add up to the asked amount exactly, so the wallet withdraws a spread that can pay every amount up
//! to what it withdraws, and tells the user which amounts its coins can pay.
//!
//! Coins are powers of two. For such coins the greedy choice (largest first, as many as fit) finds an exact
//! subset whenever one exists: every denomination divides the next, so a solution using fewer of a large
//! coin makes up the difference from smaller coins that the greedy choice can take instead (checked against
//! brute force by the property tests below).

/// The most coins one withdrawal plans (each coin is one withdrawal session at the mint).
pub const MAX_WITHDRAWAL_COINS: usize = 64;

/// Why no spread exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpreadError {
    /// Nothing to withdraw.
    Zero,
    /// The keyset has no denominations.
    NoDenominations,
    /// The amount cannot be made from the keyset's denominations (it has no coin small enough).
    NotRepresentable,
    /// It would take more than [`MAX_WITHDRAWAL_COINS`] coins.
    TooManyCoins,
}

impl std::fmt::Display for SpreadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SpreadError::Zero => "Choose an amount above zero.",
            SpreadError::NoDenominations => "The mint offers no offline coins right now.",
            SpreadError::NotRepresentable => "This amount cannot be made from the mint's offline coins.",
            SpreadError::TooManyCoins => "This amount needs too many offline coins at once; withdraw less.",
        })
    }
}

/// The coins to withdraw for `amount`, ascending, from the keyset's `denominations` (powers of two).
///
/// Each step takes the largest denomination that is at most what the coins so far can pay plus one and at
/// most what is left: 1, 2, 4, ... while the amount lasts, then the binary decomposition of the rest. With
/// a keyset that has every power of two up to the largest, the result pays **every** amount from 1 to
/// `amount` exactly, with at most about `2 log2(amount)` coins.
pub fn withdrawal_spread(denominations: &[u64], amount: u64) -> Result<Vec<u64>, SpreadError> {
    if amount == 0 {
        return Err(SpreadError::Zero);
    }
    let mut denominations: Vec<u64> = denominations.iter().copied().filter(|d| d.is_power_of_two()).collect();
    denominations.sort_unstable();
    denominations.dedup();
    if denominations.is_empty() {
        return Err(SpreadError::NoDenominations);
    }
    let mut coins = Vec::new();
    let (mut reach, mut left) = (0u64, amount);
    while left > 0 {
        if coins.len() == MAX_WITHDRAWAL_COINS {
            return Err(SpreadError::TooManyCoins);
        }
        let limit = reach.saturating_add(1).min(left);
        let coin = match denominations.iter().rev().find(|d| **d <= limit) {
            Some(d) => *d,
            // No coin keeps every amount payable (the keyset lacks small coins): take the largest that fits.
            None => *denominations.iter().rev().find(|d| **d <= left).ok_or(SpreadError::NotRepresentable)?,
        };
        coins.push(coin);
        reach = reach.saturating_add(coin);
        left -= coin;
    }
    coins.sort_unstable();
    Ok(coins)
}

/// The coins (indices into `coins`, each a power of two) that add up to `amount` exactly, or `None`.
/// Among coins of one value, earlier indices are taken first (callers order coins by preference, e.g. the
/// keyset that expires first).
pub fn pick_exact(coins: &[u64], amount: u64) -> Option<Vec<usize>> {
    if amount == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..coins.len()).collect();
    // Largest first; stable, so equal values keep the caller's order.
    order.sort_by(|a, b| coins[*b].cmp(&coins[*a]));
    let mut left = amount;
    let mut picked = Vec::new();
    for index in order {
        if coins[index] <= left {
            left -= coins[index];
            picked.push(index);
            if left == 0 {
                return Some(picked);
            }
        }
    }
    None
}

/// Every amount the coins can pay exactly, as inclusive ranges `(from, to)` in ascending order, without 0;
/// at most `max_ranges` of them (the first ones), and whether more were left off.
pub fn payable_ranges(coins: &[u64], max_ranges: usize) -> (Vec<(u64, u64)>, bool) {
    let mut values: Vec<u64> = coins.to_vec();
    values.sort_unstable();
    // The subset sums as disjoint ranges; adding a coin of value c maps S to S ∪ (S + c).
    let mut sums: Vec<(u64, u64)> = vec![(0, 0)];
    let mut truncated = false;
    for coin in values {
        let shifted: Vec<(u64, u64)> =
            sums.iter().filter_map(|(a, b)| Some((a.checked_add(coin)?, b.checked_add(coin)?))).collect();
        sums.extend(shifted);
        sums.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(sums.len());
        for (a, b) in sums {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        // Keep the work bounded: beyond a few hundred ranges the list is no use to a person anyway.
        if merged.len() > 4 * max_ranges.max(1) {
            merged.truncate(4 * max_ranges.max(1));
            truncated = true;
        }
        sums = merged;
    }
    let mut ranges: Vec<(u64, u64)> =
        sums.into_iter().filter_map(|(a, b)| if b == 0 { None } else { Some((a.max(1), b)) }).collect();
    if ranges.len() > max_ranges {
        ranges.truncate(max_ranges);
        truncated = true;
    }
    (ranges, truncated)
}

/// Ranges in words: "1–15, 32–47" (and "…" when more were left off); "nothing" when empty.
pub fn describe_ranges(ranges: &[(u64, u64)], more: bool) -> String {
    if ranges.is_empty() {
        return "nothing".into();
    }
    let mut parts: Vec<String> =
        ranges.iter().map(|(a, b)| if a == b { a.to_string() } else { format!("{a}–{b}") }).collect();
    if more {
        parts.push("…".into());
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [u64; 11] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

    #[test]
    fn spread_pays_every_amount_up_to_the_total() {
        assert_eq!(withdrawal_spread(&ALL, 1).unwrap(), vec![1]);
        assert_eq!(withdrawal_spread(&ALL, 10).unwrap(), vec![1, 1, 2, 2, 4]);
        assert_eq!(withdrawal_spread(&ALL, 100).unwrap(), vec![1, 1, 2, 4, 4, 8, 16, 32, 32]);
        // Only large coins in the keyset: the rest is made of the largest.
        assert_eq!(withdrawal_spread(&[1, 2, 4], 20).unwrap(), vec![1, 1, 2, 4, 4, 4, 4]);
    }

    #[test]
    fn spread_refusals() {
        assert_eq!(withdrawal_spread(&ALL, 0), Err(SpreadError::Zero));
        assert_eq!(withdrawal_spread(&[], 5), Err(SpreadError::NoDenominations));
        assert_eq!(withdrawal_spread(&[4, 8], 6), Err(SpreadError::NotRepresentable));
        assert_eq!(withdrawal_spread(&[1], 65), Err(SpreadError::TooManyCoins));
        assert_eq!(withdrawal_spread(&[1], 64).unwrap().len(), 64);
    }

    #[test]
    fn pick_and_ranges() {
        let coins = [4, 1, 16, 1];
        assert_eq!(pick_exact(&coins, 6), Some(vec![0, 1, 3]));
        assert_eq!(pick_exact(&coins, 3), None);
        assert_eq!(pick_exact(&coins, 0), None);
        assert_eq!(payable_ranges(&coins, 10), (vec![(1, 2), (4, 6), (16, 18), (20, 22)], false));
        assert_eq!(payable_ranges(&coins, 2), (vec![(1, 2), (4, 6)], true));
        assert_eq!(payable_ranges(&[], 10), (vec![], false));
        assert_eq!(describe_ranges(&[(1, 2), (4, 4)], true), "1–2, 4, …");
        assert_eq!(describe_ranges(&[], false), "nothing");
    }

    // proptest is a native dev-dependency only.
    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Every subset sum, by brute force (few coins).
        fn subset_sums(coins: &[u64]) -> std::collections::BTreeSet<u64> {
            let mut sums = std::collections::BTreeSet::from([0u64]);
            for coin in coins {
                let next: Vec<u64> = sums.iter().map(|s| s + coin).collect();
                sums.extend(next);
            }
            sums
        }

        proptest! {
            #[test]
            fn every_amount_up_to_the_withdrawn_total_is_payable(amount in 1u64..5_000, top in 0usize..11) {
                let spread = match withdrawal_spread(&ALL[..=top], amount) {
                    Ok(spread) => spread,
                    Err(error) => {
                        // Only when the largest coin is too small for the amount.
                        prop_assert_eq!(error, SpreadError::TooManyCoins);
                        prop_assert!(amount > (MAX_WITHDRAWAL_COINS as u64 - 2 * top as u64 - 2) * ALL[top]);
                        return Ok(());
                    }
                };
                prop_assert_eq!(spread.iter().sum::<u64>(), amount);
                prop_assert!(spread.len() <= MAX_WITHDRAWAL_COINS);
                for pay in 1..=amount {
                    prop_assert!(pick_exact(&spread, pay).is_some(), "{} not payable from {:?}", pay, spread);
                }
                prop_assert_eq!(payable_ranges(&spread, 10), (vec![(1, amount)], false));
            }

            #[test]
            fn greedy_pick_finds_an_exact_subset_iff_one_exists(
                exps in proptest::collection::vec(0u32..6, 0..10),
                amount in 1u64..200,
            ) {
                let coins: Vec<u64> = exps.iter().map(|e| 1u64 << e).collect();
                let exists = subset_sums(&coins).contains(&amount);
                match pick_exact(&coins, amount) {
                    Some(picked) => {
                        let mut unique = picked.clone();
                        unique.sort_unstable();
                        unique.dedup();
                        prop_assert_eq!(unique.len(), picked.len());
                        prop_assert_eq!(picked.iter().map(|i| coins[*i]).sum::<u64>(), amount);
                    }
                    None => prop_assert!(!exists),
                }
                let (ranges, truncated) = payable_ranges(&coins, 1_000);
                prop_assert!(!truncated);
                let listed: std::collections::BTreeSet<u64> = ranges.iter().flat_map(|(a, b)| *a..=*b).collect();
                let mut expected = subset_sums(&coins);
                expected.remove(&0);
                prop_assert_eq!(listed, expected);
            }
        }
    }
}
