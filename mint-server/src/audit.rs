//! `mint-server audit`: the books of the mint, read from one snapshot of the database.
//!
//! Per keyset: the value the mint has signed, the value spent (and held pending for melts in flight), and
//! what is left outstanding, `signed - spent - pending`: the value of the notes wallets hold. Per bank
//! account: the stored balance against the sum of its ledger entries.
//!
//! Invariants (a failure is a [`Violation`], and the command exits non-zero):
//! - no keyset has more spent (or pending) than it ever signed: a spent note that was never signed would be
//!   a forgery, or a lost signature;
//! - every account's balance equals the sum of its ledger entries, and is not negative.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::store::{AuditTotals, KeysetRecord, LedgerTotal, MintStore, StoreError};

/// One keyset's books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeysetBooks {
    /// Keyset id.
    pub id: String,
    /// Unit (empty for a keyset id found in the notes but not among the keysets).
    pub unit: String,
    /// Whether the keyset signs new outputs.
    pub active: bool,
    /// Value of the signatures issued.
    pub signed: u64,
    /// Number of signatures issued.
    pub signed_count: u64,
    /// Value of the notes spent.
    pub spent: u64,
    /// Number of notes spent.
    pub spent_count: u64,
    /// Value of the notes held for melts in flight.
    pub pending: u64,
    /// Number of notes held for melts in flight.
    pub pending_count: u64,
    /// `signed - spent - pending`: what wallets hold (negative only when the books are broken).
    pub outstanding: i128,
}

/// One account's books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountBooks {
    /// Account id.
    pub id: String,
    /// The stored balance.
    pub balance: i64,
    /// The sum of its ledger entries.
    pub ledger: i64,
    /// Number of ledger entries.
    pub entries: u64,
}

/// A broken invariant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// What is wrong, in plain words.
    pub detail: String,
}

/// The whole audit: what `mint-server audit --json` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Audit {
    /// Per keyset, in the order the mint created them (ids found only in the notes last).
    pub keysets: Vec<KeysetBooks>,
    /// Per account.
    pub accounts: Vec<AccountBooks>,
    /// Sum of `outstanding` over all keysets (all units together).
    pub outstanding_total: i128,
    /// Sum of the account balances.
    pub balance_total: i128,
    /// Broken invariants; empty when the books hold.
    pub violations: Vec<Violation>,
}

impl Audit {
    /// Read the totals from the store and check them.
    pub async fn of(store: &dyn MintStore) -> Result<Audit, StoreError> {
        let keysets = store.keysets().await?;
        let totals = store.audit_totals().await?;
        Ok(Audit::from_totals(&keysets, totals))
    }

    /// Check the totals read from a store (a pure function, so that tests can hand it broken books).
    pub fn from_totals(keysets: &[KeysetRecord], totals: AuditTotals) -> Audit {
        let mut books: BTreeMap<String, KeysetBooks> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut entry = |id: &str, books: &mut BTreeMap<String, KeysetBooks>| {
            if !books.contains_key(id) {
                order.push(id.to_owned());
                books.insert(
                    id.to_owned(),
                    KeysetBooks {
                        id: id.to_owned(),
                        unit: String::new(),
                        active: false,
                        signed: 0,
                        signed_count: 0,
                        spent: 0,
                        spent_count: 0,
                        pending: 0,
                        pending_count: 0,
                        outstanding: 0,
                    },
                );
            }
        };
        for keyset in keysets {
            let id = keyset.id.to_string();
            entry(&id, &mut books);
            if let Some(book) = books.get_mut(&id) {
                book.unit = keyset.unit.to_string();
                book.active = keyset.active;
            }
        }
        for total in &totals.signed {
            entry(&total.keyset_id, &mut books);
            if let Some(book) = books.get_mut(&total.keyset_id) {
                book.signed = total.value;
                book.signed_count = total.count;
            }
        }
        for total in &totals.spent {
            entry(&total.keyset_id, &mut books);
            if let Some(book) = books.get_mut(&total.keyset_id) {
                book.spent = total.value;
                book.spent_count = total.count;
            }
        }
        for total in &totals.pending {
            entry(&total.keyset_id, &mut books);
            if let Some(book) = books.get_mut(&total.keyset_id) {
                book.pending = total.value;
                book.pending_count = total.count;
            }
        }
        let mut violations = Vec::new();
        let keysets: Vec<KeysetBooks> = order
            .iter()
            .filter_map(|id| books.remove(id))
            .map(|mut book| {
                book.outstanding = i128::from(book.signed) - i128::from(book.spent) - i128::from(book.pending);
                if book.outstanding < 0 {
                    violations.push(Violation {
                        detail: format!(
                            "keyset {}: {} spent and {} pending, but only {} ever signed",
                            book.id, book.spent, book.pending, book.signed
                        ),
                    });
                }
                book
            })
            .collect();
        let accounts: Vec<AccountBooks> = totals
            .accounts
            .into_iter()
            .map(|LedgerTotal { account_id, balance, entries_sum, entries }| {
                if balance != entries_sum {
                    violations.push(Violation {
                        detail: format!(
                            "account {account_id}: balance {balance}, but its {entries} ledger entries sum to \
                             {entries_sum}"
                        ),
                    });
                }
                if balance < 0 {
                    violations.push(Violation { detail: format!("account {account_id}: negative balance {balance}") });
                }
                AccountBooks { id: account_id, balance, ledger: entries_sum, entries }
            })
            .collect();
        Audit {
            outstanding_total: keysets.iter().map(|book| book.outstanding).sum(),
            balance_total: accounts.iter().map(|account| i128::from(account.balance)).sum(),
            keysets,
            accounts,
            violations,
        }
    }

    /// Whether every invariant holds.
    pub fn holds(&self) -> bool {
        self.violations.is_empty()
    }

    /// The audit as plain-text tables for a person.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<18} {:<5} {:<6} {:>14} {:>14} {:>14} {:>14}",
            "keyset", "unit", "active", "signed", "spent", "pending", "outstanding"
        );
        for book in &self.keysets {
            let _ = writeln!(
                out,
                "{:<18} {:<5} {:<6} {:>14} {:>14} {:>14} {:>14}",
                book.id,
                book.unit,
                if book.active { "yes" } else { "no" },
                format!("{} ({})", book.signed, book.signed_count),
                format!("{} ({})", book.spent, book.spent_count),
                format!("{} ({})", book.pending, book.pending_count),
                book.outstanding
            );
        }
        let _ = writeln!(out, "outstanding, all keysets: {}", self.outstanding_total);
        let _ = writeln!(out);
        let _ = writeln!(out, "{:<36} {:>14} {:>14} {:>8}", "account", "balance", "ledger sum", "entries");
        for account in &self.accounts {
            let _ = writeln!(
                out,
                "{:<36} {:>14} {:>14} {:>8}",
                account.id, account.balance, account.ledger, account.entries
            );
        }
        let _ = writeln!(out, "balances, all accounts: {}", self.balance_total);
        let _ = writeln!(out);
        if self.violations.is_empty() {
            let _ = writeln!(out, "the books hold");
        } else {
            for violation in &self.violations {
                let _ = writeln!(out, "VIOLATION: {}", violation.detail);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::KeysetTotal;

    fn total(keyset_id: &str, value: u64, count: u64) -> KeysetTotal {
        KeysetTotal { keyset_id: keyset_id.into(), value, count }
    }

    fn ledger(account_id: &str, balance: i64, entries_sum: i64) -> LedgerTotal {
        LedgerTotal { account_id: account_id.into(), balance, entries_sum, entries: 2 }
    }

    #[test]
    fn outstanding_is_signed_minus_spent_and_pending_per_keyset() {
        let totals = AuditTotals {
            signed: vec![total("00aa", 100, 10), total("00bb", 7, 3)],
            spent: vec![total("00aa", 60, 4)],
            pending: vec![total("00aa", 8, 1)],
            accounts: vec![ledger("acct", 40, 40)],
        };
        let audit = Audit::from_totals(&[], totals);
        assert!(audit.holds(), "{:?}", audit.violations);
        let outstanding: Vec<(&str, i128)> = audit.keysets.iter().map(|b| (b.id.as_str(), b.outstanding)).collect();
        assert_eq!(outstanding, vec![("00aa", 32), ("00bb", 7)]);
        assert_eq!(audit.outstanding_total, 39);
        assert_eq!(audit.balance_total, 40);
        assert!(audit.table().contains("the books hold"));
    }

    #[test]
    fn a_ledger_that_does_not_sum_to_the_balance_is_a_violation() {
        let totals = AuditTotals { accounts: vec![ledger("good", 5, 5), ledger("bad", 50, 45)], ..Default::default() };
        let audit = Audit::from_totals(&[], totals);
        assert_eq!(audit.violations.len(), 1, "{:?}", audit.violations);
        assert!(audit.violations[0].detail.contains("account bad"), "{:?}", audit.violations);
        assert!(audit.table().contains("VIOLATION: account bad"));
    }

    #[test]
    fn spending_more_than_was_signed_is_a_violation() {
        let totals = AuditTotals {
            signed: vec![total("00aa", 10, 1)],
            spent: vec![total("00aa", 8, 1), total("00cc", 1, 1)],
            ..Default::default()
        };
        let audit = Audit::from_totals(&[], totals);
        // 00cc: a note spent from a keyset that never signed anything.
        assert_eq!(audit.violations.len(), 1, "{:?}", audit.violations);
        assert!(audit.violations[0].detail.starts_with("keyset 00cc"), "{:?}", audit.violations);
    }
}
