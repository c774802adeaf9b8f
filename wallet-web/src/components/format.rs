//! Plain logic behind the screens: amounts, times, addresses and the recovery-word check. No DOM here, so all of
//! it runs in native unit tests.

use shared::Amount;
use shared::nuts::PaymentMethod;

use crate::offline::denominations::describe_ranges;
use crate::offline::records::OfflineBalanceView;

/// `1,024 sat`: the amount with thousands separators, then the unit.
pub fn format_amount(amount: Amount, unit: &str) -> String {
    format!("{} {unit}", group_thousands(amount.to_u64()))
}

/// `1,024` for 1024.
pub fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// Reads an amount a person typed: digits, optionally grouped with commas, spaces or underscores, and
/// optionally followed by `sat`. Zero and anything else are refused with a sentence saying why.
pub fn parse_amount(text: &str) -> Result<Amount, String> {
    let trimmed = text.trim();
    let number = trimmed.strip_suffix("sats").or_else(|| trimmed.strip_suffix("sat")).unwrap_or(trimmed).trim();
    if number.is_empty() {
        return Err("Enter an amount.".to_owned());
    }
    let digits: String = number.chars().filter(|c| !matches!(c, ',' | ' ' | '_' | '\u{a0}')).collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("Enter the amount as a whole number of sat, for example 100.".to_owned());
    }
    match digits.parse::<u64>() {
        Ok(0) => Err("The amount must be more than 0.".to_owned()),
        Ok(value) => Ok(Amount::from_u64(value)),
        Err(_) => Err("That amount is too large.".to_owned()),
    }
}

/// `2026-11-23 23:18 UTC` for a time in milliseconds since 1970 (as JavaScript's `Date.now()` gives).
pub fn format_time_ms(milliseconds: f64) -> String {
    if !milliseconds.is_finite() || milliseconds < 0.0 {
        return "unknown time".to_owned();
    }
    // Whole seconds; the cast saturates for absurd values, which the calendar code handles.
    let seconds = (milliseconds / 1000.0) as u64;
    let full = format_unix_time(seconds);
    // Drop the seconds: `YYYY-MM-DD HH:MM:SS UTC` → `YYYY-MM-DD HH:MM UTC`.
    match (full.get(..16), full.get(19..)) {
        (Some(minutes), Some(zone)) => format!("{minutes}{zone}"),
        _ => full,
    }
}

/// `2026-11-24 00:18` for a time in milliseconds since 1970 in a time zone `offset_minutes` east of UTC (the
/// page passes the browser's offset for that instant: `components::browser::local_time_ms`). Times before
/// 1970 in that zone read as 1970-01-01 00:00.
pub fn format_local_time_ms(milliseconds: f64, offset_minutes: i32) -> String {
    if !milliseconds.is_finite() || milliseconds < 0.0 {
        return "unknown time".to_owned();
    }
    // Whole seconds (the cast saturates for absurd values), shifted into the zone.
    let seconds = (milliseconds / 1000.0) as u64;
    let shift = u64::from(offset_minutes.unsigned_abs()) * 60;
    let local = if offset_minutes >= 0 { seconds.saturating_add(shift) } else { seconds.saturating_sub(shift) };
    let full = format_unix_time(local);
    // `YYYY-MM-DD HH:MM:SS UTC` → `YYYY-MM-DD HH:MM`.
    full.get(..16).map_or(full.clone(), str::to_owned)
}

/// `2024-09-02 19:14:40 UTC` for Unix time `seconds`.
pub fn format_unix_time(seconds: u64) -> String {
    let days = seconds / 86_400;
    let second_of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// `mint.example.com` for `https://mint.example.com/`: the address without scheme and trailing slash.
pub fn short_url(url: &str) -> String {
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    without_scheme.trim_end_matches('/').to_owned()
}

/// The words (1-based positions) a person re-enters to show they wrote the recovery words down.
pub const CONFIRM_POSITIONS: [usize; 3] = [3, 7, 11];

/// The words of a mnemonic, lower-cased, in order.
pub fn mnemonic_words(mnemonic: &str) -> Vec<String> {
    mnemonic.split_whitespace().map(str::to_lowercase).collect()
}

/// Whether `answers` (one per [`CONFIRM_POSITIONS`] entry) match the mnemonic. Returns the positions that
/// do not match, empty when all do.
pub fn wrong_confirmations(mnemonic: &str, answers: &[String]) -> Vec<usize> {
    let words = mnemonic_words(mnemonic);
    CONFIRM_POSITIONS
        .iter()
        .enumerate()
        .filter(|(index, position)| {
            let expected = words.get(**position - 1).map(String::as_str);
            let given = answers.get(*index).map(|answer| answer.trim().to_lowercase());
            expected.is_none() || given.as_deref() != expected
        })
        .map(|(_, position)| *position)
        .collect()
}

/// Tidies recovery words a person typed or pasted: lower case, single spaces, and numbering such as `1.`
/// or `1)` from a printed list removed.
pub fn tidy_mnemonic(text: &str) -> String {
    text.split_whitespace()
        .filter(|word| !word.trim_end_matches(['.', ')', ':']).chars().all(|c| c.is_ascii_digit()))
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Removes what people add around a pasted token: whitespace, line breaks, a `cashu:` or `web+cashu://` prefix.
pub fn tidy_token(text: &str) -> String {
    let joined: String = text.split_whitespace().collect();
    let lower = joined.to_ascii_lowercase();
    for prefix in ["web+cashu://", "cashu://", "cashu:"] {
        if lower.starts_with(prefix) && joined.len() > prefix.len() {
            let rest = joined.get(prefix.len()..).unwrap_or_default();
            // `cashu:cashuB...` — keep the token itself.
            if rest.to_ascii_lowercase().starts_with("cashu") {
                return rest.to_owned();
            }
        }
    }
    joined
}

/// `text` with its first letter in upper case: the wallet's own sentences start with an ASCII letter, and
/// ASCII case mapping keeps core's Unicode case tables (about 12 KB) out of the bundle.
pub fn capitalized(mut text: String) -> String {
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    text
}

/// `1 note` / `3 notes`.
pub fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{} {}", group_thousands(count as u64), if count == 1 { one } else { many })
}

/// `bank` → "bank account", `bolt11` → "Lightning invoice", another method by its name.
pub fn method_label(method: &PaymentMethod) -> String {
    match method {
        PaymentMethod::Bank => "bank account".to_owned(),
        PaymentMethod::Bolt11 => "Lightning invoice".to_owned(),
        PaymentMethod::Other(name) => name.clone(),
    }
}

/// The passphrase chosen in a pair of fields ("passphrase", "repeat"): none when both are empty, refused
/// when they differ. Typed exactly (no trimming: spaces count).
pub fn passphrase_choice(first: &str, repeat: &str) -> Result<Option<String>, String> {
    if first != repeat {
        return Err("The two passphrases are not the same. Type the same passphrase twice.".to_owned());
    }
    Ok((!first.is_empty()).then(|| first.to_owned()))
}

/// Whether the offline coins pay an amount exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payable {
    /// Yes.
    Yes,
    /// Perhaps: the list of payable amounts was cut short before it (the wallet decides when paying).
    Unknown,
    /// No; why, in plain words, with the amounts that can be paid.
    No(String),
}

/// Whether `balance`'s coins pay `amount` exactly.
pub fn payable(balance: &OfflineBalanceView, amount: u64) -> Payable {
    if balance.payable.iter().any(|(from, to)| (*from..=*to).contains(&amount)) {
        return Payable::Yes;
    }
    if balance.spendable < amount {
        return Payable::No(format!(
            "You have {} in offline coins, less than the {} asked. Offline coins must be withdrawn beforehand, \
             while online.",
            sat(balance.spendable),
            sat(amount)
        ));
    }
    if balance.payable_truncated && balance.payable.last().is_some_and(|(_, to)| *to < amount) {
        return Payable::Unknown;
    }
    Payable::No(format!(
        "Your offline coins cannot make exactly {} (there is no change offline). They can pay: {}.",
        sat(amount),
        describe_ranges(&balance.payable, balance.payable_truncated)
    ))
}

fn sat(amount: u64) -> String {
    format_amount(Amount::from_u64(amount), "sat")
}

/// `02ab12cd…89ef` for a long hex key: enough to compare by eye.
pub fn short_key(hex: &str) -> String {
    match (hex.get(..8), hex.get(hex.len().saturating_sub(4)..)) {
        (Some(head), Some(tail)) if hex.len() > 16 => format!("{head}…{tail}"),
        _ => hex.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sentences_start_in_upper_case() {
        assert_eq!(capitalized("finished 1 payment".into()), "Finished 1 payment");
        assert_eq!(capitalized("3 payments are waiting".into()), "3 payments are waiting");
        assert_eq!(capitalized(String::new()), "");
    }

    #[test]
    fn amounts_get_thousands_separators() {
        assert_eq!(format_amount(Amount::from_u64(0), "sat"), "0 sat");
        assert_eq!(format_amount(Amount::from_u64(999), "sat"), "999 sat");
        assert_eq!(format_amount(Amount::from_u64(1024), "sat"), "1,024 sat");
        assert_eq!(format_amount(Amount::from_u64(1_000_000), "sat"), "1,000,000 sat");
        assert_eq!(group_thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn typed_amounts() {
        assert_eq!(parse_amount(" 1,024 ").unwrap(), Amount::from_u64(1024));
        assert_eq!(parse_amount("100 sat").unwrap(), Amount::from_u64(100));
        assert_eq!(parse_amount("2 000sats").unwrap(), Amount::from_u64(2000));
        assert_eq!(parse_amount("").unwrap_err(), "Enter an amount.");
        assert_eq!(parse_amount("0").unwrap_err(), "The amount must be more than 0.");
        assert!(parse_amount("1.5").is_err());
        assert!(parse_amount("-3").is_err());
        assert!(parse_amount("99999999999999999999999").unwrap_err().contains("too large"));
    }

    #[test]
    fn formats_dates() {
        assert_eq!(format_unix_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_unix_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_unix_time(1_725_304_480), "2024-09-02 19:14:40 UTC");
        assert_eq!(format_unix_time(4_102_444_799), "2099-12-31 23:59:59 UTC");
    }

    #[test]
    fn times_and_addresses() {
        assert_eq!(format_time_ms(1_725_304_480_123.0), "2024-09-02 19:14 UTC");
        assert_eq!(format_time_ms(f64::NAN), "unknown time");
        assert_eq!(short_url("https://mint.example.com/"), "mint.example.com");
        assert_eq!(short_url("http://127.0.0.1:3338"), "127.0.0.1:3338");
    }

    #[test]
    fn local_times_shift_by_the_zone_offset() {
        let at = 1_725_304_480_123.0; // 2024-09-02 19:14:40 UTC
        assert_eq!(format_local_time_ms(at, 0), "2024-09-02 19:14");
        assert_eq!(format_local_time_ms(at, 120), "2024-09-02 21:14");
        assert_eq!(format_local_time_ms(at, 330), "2024-09-03 00:44", "India, past midnight");
        assert_eq!(format_local_time_ms(at, -420), "2024-09-02 12:14", "California");
        assert_eq!(format_local_time_ms(0.0, -60), "1970-01-01 00:00", "clamped at 1970");
        assert_eq!(format_local_time_ms(f64::NAN, 60), "unknown time");
        assert_eq!(format_local_time_ms(-1.0, 60), "unknown time");
    }

    #[test]
    fn recovery_word_confirmation() {
        let mnemonic = "one two three four five six seven eight nine ten eleven twelve";
        let answers = |a: &str, b: &str, c: &str| vec![a.to_owned(), b.to_owned(), c.to_owned()];
        assert!(wrong_confirmations(mnemonic, &answers("three", " Seven ", "eleven")).is_empty());
        assert_eq!(wrong_confirmations(mnemonic, &answers("three", "six", "")), vec![7, 11]);
        assert_eq!(wrong_confirmations("too short", &answers("", "", "")), vec![3, 7, 11]);
    }

    #[test]
    fn pasted_text_is_tidied() {
        assert_eq!(tidy_mnemonic("1. Abandon 2. ability\n3) able"), "abandon ability able");
        assert_eq!(tidy_token("  cashuBo2F0\n gXAB  "), "cashuBo2F0gXAB");
        assert_eq!(tidy_token("cashu:cashuBxyz"), "cashuBxyz");
        assert_eq!(tidy_token("web+cashu://cashuAabc"), "cashuAabc");
        assert_eq!(plural(1, "note", "notes"), "1 note");
        assert_eq!(plural(1200, "note", "notes"), "1,200 notes");
    }

    #[test]
    fn a_passphrase_is_typed_twice_and_empty_means_none() {
        assert_eq!(passphrase_choice("", ""), Ok(None));
        assert_eq!(passphrase_choice("open sesame", "open sesame"), Ok(Some("open sesame".to_owned())));
        assert_eq!(passphrase_choice(" x", " x"), Ok(Some(" x".to_owned())));
        assert!(passphrase_choice("open sesame", "open sesam").is_err());
        assert!(passphrase_choice("x", "").is_err());
    }

    fn balance(spendable: u64, payable: Vec<(u64, u64)>, truncated: bool) -> OfflineBalanceView {
        OfflineBalanceView { spendable, restored: 0, payable, payable_truncated: truncated, keysets: vec![] }
    }

    #[test]
    fn amounts_are_payable_or_refused_in_plain_words() {
        let coins = balance(12, vec![(4, 4), (8, 8), (12, 12)], false);
        assert_eq!(payable(&coins, 8), Payable::Yes);
        assert_eq!(
            payable(&coins, 5),
            Payable::No(
                "Your offline coins cannot make exactly 5 sat (there is no change offline). They can pay: 4, 8, 12."
                    .to_owned()
            )
        );
        let Payable::No(reason) = payable(&coins, 20) else { panic!("more than the coins hold") };
        assert!(reason.starts_with("You have 12 sat in offline coins, less than the 20 sat asked."), "{reason}");
        assert_eq!(payable(&balance(100, vec![(1, 1), (4, 5)], true), 50), Payable::Unknown);
        assert!(matches!(payable(&balance(0, vec![], false), 1), Payable::No(_)));
    }

    #[test]
    fn keys_are_shortened_for_the_eye() {
        assert_eq!(short_key("02abcdef0123456789abcdef"), "02abcdef…cdef");
        assert_eq!(short_key("02ab"), "02ab");
    }
}
