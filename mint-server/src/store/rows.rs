//! What both SQL backends share: [`Effects`] (what a [`Commit`] does, as rows and statements), the text of
//! every statement that reads the same in SQLite and PostgreSQL, the rows they read and write, and the
//! conversions between rows and the store's records. It imports neither backend.
//!
//! Placeholders are `$n`, numbered in order of first appearance: PostgreSQL reads them natively, SQLite as
//! named parameters bound by position. Booleans are stored as integers for the same reason. A statement
//! that differs between the dialects (array binds on PostgreSQL, one row per statement on SQLite) is written
//! in its backend's module instead.

use std::str::FromStr;

use shared::nuts::{MeltQuoteState, MintQuoteState, State};
use shared::{Amount, BlindSignature, BlindSignatureDleq, CurrencyUnit, Id, Proof, PublicKey, SecretKey};

use super::{
    Account, AccountChange, AuditTotals, CachedResponse, Commit, KeysetRecord, KeysetTotal, LedgerTotal, MeltQuote,
    MintQuote, StoreError, StoredProofState,
};

// ---------------------------------------------------------------------------------------------------------
// Statements

/// All keysets, oldest first.
pub(super) const SELECT_KEYSETS: &str = "SELECT id, unit, derivation_index, max_order, input_fee_ppk, final_expiry, \
     active FROM keysets ORDER BY created_at, derivation_index";
/// Add an active keyset: id, unit, index, max order, fee, final expiry, created at.
pub(super) const INSERT_ACTIVE_KEYSET: &str = "INSERT INTO keysets \
     (id, unit, derivation_index, max_order, input_fee_ppk, final_expiry, active, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, 1, $7)";
/// Every keyset of unit `$1` but `$2` becomes inactive.
pub(super) const DEACTIVATE_OTHER_KEYSETS: &str = "UPDATE keysets SET active = 0 WHERE unit = $1 AND id <> $2";

/// Pending serials held for a quote.
pub(super) const SELECT_PENDING_FOR_QUOTE: &str = "SELECT y FROM proofs WHERE quote_id = $1 AND state = 'PENDING'";

/// NUT-19: a cached response by key.
pub(super) const SELECT_CACHED_RESPONSE: &str = "SELECT response FROM response_cache WHERE key = $1";
/// NUT-19: store a response: key, response, created at.
pub(super) const INSERT_CACHED_RESPONSE: &str =
    "INSERT INTO response_cache (key, response, created_at) VALUES ($1, $2, $3)";
/// Cached responses deleted per statement, so that a long backlog never holds the write lock for long.
pub(super) const EVICT_SLICE: u64 = 5000;
/// Delete up to [`EVICT_SLICE`] cached responses created before `$1`.
pub(super) const EVICT_CACHED_RESPONSES: &str = "DELETE FROM response_cache WHERE key IN \
     (SELECT key FROM response_cache WHERE created_at < $1 LIMIT 5000)";

/// Delete up to [`EVICT_SLICE`] unpaid mint quotes whose expiry is before `$1`.
pub(super) const DELETE_EXPIRED_MINT_QUOTES: &str = "DELETE FROM mint_quotes WHERE id IN \
     (SELECT id FROM mint_quotes WHERE state = 'UNPAID' AND expiry < $1 LIMIT 5000)";
/// Delete up to [`EVICT_SLICE`] unpaid melt quotes whose expiry is before `$1` (an unpaid melt quote holds no
/// inputs: `MeltStart` makes it `PENDING`, `MeltRelease` deletes its pending inputs).
pub(super) const DELETE_EXPIRED_MELT_QUOTES: &str = "DELETE FROM melt_quotes WHERE id IN \
     (SELECT id FROM melt_quotes WHERE state = 'UNPAID' AND expiry < $1 LIMIT 5000)";

/// Value signed and spent per keyset (id, unit, signed, spent), oldest keyset first; SQL both dialects take.
pub(super) const SELECT_KEYSET_TOTALS: &str = "SELECT k.id, k.unit, \
     CAST(COALESCE((SELECT SUM(b.amount) FROM blind_signatures b WHERE b.keyset_id = k.id), 0) AS BIGINT), \
     CAST(COALESCE((SELECT SUM(p.amount) FROM proofs p WHERE p.keyset_id = k.id AND p.state = 'SPENT'), 0) AS BIGINT) \
     FROM keysets k ORDER BY k.created_at, k.derivation_index";

/// Add a mint quote: id, method, unit, amount, request, state, expiry, created at, NUT-20 pubkey.
pub(super) const INSERT_MINT_QUOTE: &str = "INSERT INTO mint_quotes \
     (id, method, unit, amount, request, state, expiry, created_at, pubkey) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
/// A mint quote by id, in [`MintQuoteRow`]'s order.
pub(super) const SELECT_MINT_QUOTE: &str =
    "SELECT id, method, unit, amount, request, state, expiry, pubkey FROM mint_quotes WHERE id = $1";
/// Add a melt quote: id, method, unit, amount, fee reserve, request, state, expiry, preimage, created at.
pub(super) const INSERT_MELT_QUOTE: &str = "INSERT INTO melt_quotes \
     (id, method, unit, amount, fee_reserve, request, state, expiry, payment_preimage, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
/// A melt quote by id, in [`MeltQuoteRow`]'s order.
pub(super) const SELECT_MELT_QUOTE: &str = "SELECT id, method, unit, amount, fee_reserve, request, state, expiry, \
     payment_preimage, change_request FROM melt_quotes WHERE id = $1";
/// Melt quotes whose payment is in flight, oldest first, in [`MeltQuoteRow`]'s order.
pub(super) const SELECT_PENDING_MELT_QUOTES: &str = "SELECT id, method, unit, amount, fee_reserve, request, \
     state, expiry, payment_preimage, change_request FROM melt_quotes WHERE state = 'PENDING' ORDER BY created_at";

/// Take a melt quote's lease: lease until, holder, quote id, the state the quote must be in, now. One row
/// changed means taken (the quote was in that state and its lease had expired).
pub(super) const TAKE_MELT_LEASE: &str = "UPDATE melt_quotes SET lease_until = $1, lease_holder = $2 \
     WHERE id = $3 AND state = $4 AND lease_until < $5";

/// Audit: value and number of the signatures issued, per keyset.
pub(super) const AUDIT_SIGNED: &str = "SELECT keyset_id, CAST(SUM(amount) AS BIGINT), COUNT(*) FROM blind_signatures \
     GROUP BY keyset_id ORDER BY keyset_id";
/// Audit: value and number of the spent-set rows, per keyset and state (`SPENT`, `PENDING`).
pub(super) const AUDIT_SPENT: &str = "SELECT keyset_id, state, CAST(SUM(amount) AS BIGINT), COUNT(*) FROM proofs \
     GROUP BY keyset_id, state ORDER BY keyset_id, state";
/// Audit: every account's stored balance beside the sum and number of its ledger entries.
pub(super) const AUDIT_LEDGER: &str = "SELECT a.id, a.balance, CAST(COALESCE(SUM(e.delta), 0) AS BIGINT), \
     COUNT(e.id) FROM accounts a LEFT JOIN account_entries e ON e.account_id = a.id \
     GROUP BY a.id, a.balance ORDER BY a.id";

/// Give a melt quote's lease back: quote id, holder.
pub(super) const RELEASE_MELT_LEASE: &str =
    "UPDATE melt_quotes SET lease_until = 0, lease_holder = NULL WHERE id = $1 AND lease_holder = $2";

/// The stored text of a melt quote state.
pub(super) fn melt_state_text(state: MeltQuoteState) -> &'static str {
    match state {
        MeltQuoteState::Unpaid => "UNPAID",
        MeltQuoteState::Pending => "PENDING",
        MeltQuoteState::Paid => "PAID",
    }
}

/// Open an account with zero balance: id, public key, unit, blocked, created at.
pub(super) const INSERT_ACCOUNT: &str =
    "INSERT INTO accounts (id, pubkey, unit, balance, blocked, created_at) VALUES ($1, $2, $3, 0, $4, $5)";
/// An account by id, in [`AccountRow`]'s order.
pub(super) const SELECT_ACCOUNT: &str = "SELECT id, pubkey, unit, balance, blocked FROM accounts WHERE id = $1";
/// Whether an account is blocked (no row: no such account).
pub(super) const SELECT_ACCOUNT_BLOCKED: &str = "SELECT blocked FROM accounts WHERE id = $1";
/// Block or unblock: flag, id.
pub(super) const SET_ACCOUNT_BLOCKED: &str = "UPDATE accounts SET blocked = $1 WHERE id = $2";
/// Debit (`$1` < 0) an open account, never below zero: delta, id.
pub(super) const DEBIT_ACCOUNT: &str =
    "UPDATE accounts SET balance = balance + $1 WHERE id = $2 AND blocked = 0 AND balance >= -$1";
/// Credit (`$1` > 0) an account, never past `i64::MAX` (SQLite would turn an overflow into a float): delta, id.
pub(super) const CREDIT_ACCOUNT: &str =
    "UPDATE accounts SET balance = balance + $1 WHERE id = $2 AND balance <= 9223372036854775807 - $1";
/// The ledger entry of a balance change: account, delta, reason, reference, created at.
pub(super) const INSERT_LEDGER_ENTRY: &str = "INSERT INTO account_entries \
     (account_id, delta, reason, reference, created_at) VALUES ($1, $2, $3, $4, $5)";

/// The statement that moves a balance by `delta`: [`DEBIT_ACCOUNT`] or [`CREDIT_ACCOUNT`].
pub(super) fn balance_update(delta: i64) -> &'static str {
    if delta < 0 { DEBIT_ACCOUNT } else { CREDIT_ACCOUNT }
}

/// Why a balance update matched no row, from the account's `blocked` flag (`None`: no such account).
pub(super) fn balance_refusal(blocked: Option<i64>, delta: i64) -> StoreError {
    match blocked {
        Some(0) if delta < 0 => StoreError::InsufficientFunds,
        Some(0) => StoreError::OutOfRange,
        _ => StoreError::UnknownAccount,
    }
}

/// A quote's compare-and-set state change.
#[derive(Debug, Clone, Copy)]
pub(super) enum Transition<'a> {
    /// Mint quote `UNPAID -> PAID`.
    MintPaid(&'a str),
    /// Mint quote `PAID -> ISSUED`.
    MintIssued(&'a str),
    /// Melt quote `UNPAID -> PENDING`, with its NUT-08 change request (empty text for none).
    MeltPending(&'a str, &'a str),
    /// Melt quote `UNPAID | PENDING -> PAID`, with the proof of payment (empty text for none) and whether
    /// NUT-08 change was signed: without, the change request is cleared, so that the quote's state (which
    /// repeats the change by its blank outputs) never shows signatures another melt made on them.
    MeltPaid(&'a str, &'a str, bool),
    /// Melt quote `PENDING -> UNPAID`.
    MeltFailed(&'a str),
}

impl<'a> Transition<'a> {
    /// The statement and bound values: `(sql, quote id, optional preimage)`. With a preimage, the statement
    /// binds the preimage as `$1` and the id as `$2`; without, the id as `$1`. It changes one row exactly
    /// when the quote is in the state the transition starts from.
    pub(super) fn sql(self) -> (&'static str, &'a str, Option<&'a str>) {
        match self {
            Transition::MintPaid(id) => {
                ("UPDATE mint_quotes SET state = 'PAID' WHERE id = $1 AND state = 'UNPAID'", id, None)
            }
            Transition::MintIssued(id) => {
                ("UPDATE mint_quotes SET state = 'ISSUED' WHERE id = $1 AND state = 'PAID'", id, None)
            }
            Transition::MeltPending(id, change) => (
                "UPDATE melt_quotes SET state = 'PENDING', change_request = $1 WHERE id = $2 AND state = 'UNPAID'",
                id,
                Some(change),
            ),
            Transition::MeltPaid(id, preimage, true) => (
                "UPDATE melt_quotes SET state = 'PAID', payment_preimage = $1 \
                 WHERE id = $2 AND state IN ('UNPAID', 'PENDING')",
                id,
                Some(preimage),
            ),
            Transition::MeltPaid(id, preimage, false) => (
                "UPDATE melt_quotes SET state = 'PAID', payment_preimage = $1, change_request = NULL \
                 WHERE id = $2 AND state IN ('UNPAID', 'PENDING')",
                id,
                Some(preimage),
            ),
            Transition::MeltFailed(id) => {
                ("UPDATE melt_quotes SET state = 'UNPAID' WHERE id = $1 AND state = 'PENDING'", id, None)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Effects

/// A balance change with its ledger entry.
#[derive(Debug, Clone, Copy)]
pub(super) struct Balance<'a> {
    pub(super) account_id: &'a str,
    /// Positive credits, negative debits.
    pub(super) delta: i64,
    pub(super) reason: &'a str,
    pub(super) reference: Option<&'a str>,
}

impl<'a> Balance<'a> {
    fn of(change: &'a AccountChange) -> Self {
        Balance {
            account_id: &change.account_id,
            delta: change.delta,
            reason: &change.reason,
            reference: change.reference.as_deref(),
        }
    }
}

/// What a [`Commit`] does, as rows and statements: written once here for both backends, which apply the
/// parts in this order (creations, the quote's compare-and-set, spent-set inserts, pending rows settled or
/// released, signatures, the balance, the cached response). Borrowed from the commit: building it
/// allocates nothing.
#[derive(Debug, Default)]
pub(super) struct Effects<'a> {
    /// A keyset to add as the active one of its unit (the others of the unit become inactive).
    pub(super) rotate_keyset: Option<&'a KeysetRecord>,
    /// A mint quote to add, with the state it starts in.
    pub(super) new_mint_quote: Option<(&'a MintQuote, &'static str)>,
    pub(super) new_melt_quote: Option<&'a MeltQuote>,
    pub(super) new_account: Option<&'a Account>,
    /// Account id and its new `blocked` flag.
    pub(super) block: Option<(&'a str, bool)>,
    pub(super) transition: Option<Transition<'a>>,
    /// Inputs inserted into the spent set, with [`Effects::spend_state`].
    pub(super) spend: &'a [(PublicKey, Proof)],
    pub(super) spend_state: &'static str,
    /// Pending inputs that become spent, and that are released; both held for [`Effects::quote_id`].
    pub(super) settle: &'a [PublicKey],
    pub(super) release: &'a [PublicKey],
    /// The quote the spent-set and signature rows belong to.
    pub(super) quote_id: Option<&'a str>,
    pub(super) signatures: &'a [(PublicKey, BlindSignature)],
    pub(super) balance: Option<Balance<'a>>,
    pub(super) cache: Option<&'a CachedResponse>,
    /// NUT-19 key recorded on each spent row.
    pub(super) request: Option<&'a [u8; 32]>,
}

/// Spent-set state of inputs that are spent.
const SPENT: &str = "SPENT";
/// Spent-set state of inputs held for a melt in flight.
const PENDING: &str = "PENDING";

impl<'a> Effects<'a> {
    /// The effects of `commit`.
    pub(super) fn of(commit: &'a Commit) -> Result<Self, StoreError> {
        let none = Effects { spend_state: SPENT, ..Effects::default() };
        Ok(match commit {
            Commit::Swap { inputs, outputs, request } => {
                Effects { spend: inputs, signatures: outputs, request: Some(request), ..none }
            }
            Commit::CreateMintQuote(quote) => {
                let state = match quote.state {
                    MintQuoteState::Unpaid | MintQuoteState::Paid => mint_quote_state_name(quote.state),
                    MintQuoteState::Issued => return Err(StoreError::QuoteStateConflict(quote.id.clone())),
                };
                Effects { new_mint_quote: Some((quote, state)), ..none }
            }
            Commit::PayMintQuote { quote_id, account_id, amount } => Effects {
                transition: Some(Transition::MintPaid(quote_id)),
                balance: Some(Balance {
                    account_id,
                    delta: -to_i64(amount.to_u64())?,
                    reason: "mint",
                    reference: Some(quote_id),
                }),
                ..none
            },
            Commit::Issue { quote_id, outputs, response } => Effects {
                transition: Some(Transition::MintIssued(quote_id)),
                quote_id: Some(quote_id),
                signatures: outputs,
                cache: Some(response),
                ..none
            },
            Commit::CreateMeltQuote(quote) => Effects { new_melt_quote: Some(quote), ..none },
            Commit::MeltStart { quote_id, inputs, change, request } => Effects {
                transition: Some(Transition::MeltPending(quote_id, change.as_deref().unwrap_or(""))),
                spend: inputs,
                spend_state: PENDING,
                quote_id: Some(quote_id),
                request: request.as_ref(),
                ..none
            },
            Commit::MeltSettle { quote_id, inputs, preimage, credit, response, change } => Effects {
                transition: Some(Transition::MeltPaid(quote_id, preimage.as_deref().unwrap_or(""), !change.is_empty())),
                settle: inputs,
                quote_id: Some(quote_id),
                signatures: change,
                balance: credit.as_ref().map(Balance::of),
                cache: response.as_ref(),
                ..none
            },
            Commit::MeltRelease { quote_id, inputs } => Effects {
                transition: Some(Transition::MeltFailed(quote_id)),
                release: inputs,
                quote_id: Some(quote_id),
                ..none
            },
            Commit::CreateAccount(account) => Effects { new_account: Some(account), ..none },
            Commit::CreditAccount { account_id, amount, reference } => Effects {
                balance: Some(Balance {
                    account_id,
                    delta: to_i64(amount.to_u64())?,
                    reason: "credit",
                    reference: reference.as_deref(),
                }),
                ..none
            },
            Commit::SetAccountBlocked { account_id, blocked } => {
                Effects { block: Some((account_id.as_str(), *blocked)), ..none }
            }
            Commit::RotateKeyset(keyset) => Effects { rotate_keyset: Some(keyset), ..none },
            // Applied by each backend from its own statements (`offline.rs`).
            Commit::Offline(_) => none,
        })
    }

    /// Does it only insert rows (spent set, signatures, cached response)? Then a single statement can be
    /// the whole commit.
    pub(super) fn only_inserts(&self) -> bool {
        self.rotate_keyset.is_none()
            && self.new_mint_quote.is_none()
            && self.new_melt_quote.is_none()
            && self.new_account.is_none()
            && self.block.is_none()
            && self.transition.is_none()
            && self.settle.is_empty()
            && self.release.is_empty()
            && self.balance.is_none()
    }

    /// Rows inserted into the spent set and the signatures (what the SQLite checkpointer counts).
    pub(super) fn rows(&self) -> usize {
        self.spend.len() + self.signatures.len()
    }
}

// ---------------------------------------------------------------------------------------------------------
// Rows written

/// A spent-set row, converted and ready to bind.
#[derive(Debug)]
pub(super) struct ProofRow<'a> {
    pub(super) y: [u8; 33],
    pub(super) keyset_id: String,
    pub(super) amount: i64,
    pub(super) secret: &'a str,
    pub(super) c: [u8; 33],
    pub(super) witness: Option<&'a str>,
}

/// The spent-set rows to insert.
pub(super) fn proof_rows<'a>(spend: &'a [(PublicKey, Proof)]) -> Result<Vec<ProofRow<'a>>, StoreError> {
    spend
        .iter()
        .map(|(y, proof)| {
            Ok(ProofRow {
                y: y.to_bytes(),
                keyset_id: proof.keyset_id.to_string(),
                amount: to_i64(proof.amount.to_u64())?,
                secret: proof.secret.as_str(),
                c: proof.c.to_bytes(),
                witness: proof.witness.as_deref(),
            })
        })
        .collect()
}

/// A blind-signature row, converted and ready to bind.
#[derive(Debug)]
pub(super) struct SignatureRow {
    pub(super) b: [u8; 33],
    pub(super) amount: i64,
    pub(super) keyset_id: String,
    pub(super) c: [u8; 33],
    pub(super) e: [u8; 32],
    pub(super) s: [u8; 32],
}

/// The signature rows to insert.
pub(super) fn signature_rows(signatures: &[(PublicKey, BlindSignature)]) -> Result<Vec<SignatureRow>, StoreError> {
    signatures
        .iter()
        .map(|(blinded, signature)| {
            let dleq =
                signature.dleq.as_ref().ok_or_else(|| StoreError::Backend("signature without DLEQ proof".into()))?;
            Ok(SignatureRow {
                b: blinded.to_bytes(),
                amount: to_i64(signature.amount.to_u64())?,
                keyset_id: signature.keyset_id.to_string(),
                c: signature.c.to_bytes(),
                e: dleq.e.to_bytes(),
                s: dleq.s.to_bytes(),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------
// Rows read

/// A row of [`SELECT_KEYSET_TOTALS`].
pub(super) type KeysetTotalsRow = (String, String, i64, i64);

/// [`KeysetTotalsRow`] → [`KeysetTotals`](super::KeysetTotals).
pub(super) fn keyset_totals(row: KeysetTotalsRow) -> Result<super::KeysetTotals, StoreError> {
    let (keyset_id, unit, signed, spent) = row;
    Ok(super::KeysetTotals { keyset_id, unit, signed: to_u64(signed)?, spent: to_u64(spent)? })
}

/// A row of [`SELECT_KEYSETS`].
pub(super) type KeysetRow = (String, String, i64, i64, i64, Option<i64>, i64);
/// A row of a signature read: `b, amount, keyset_id, c, dleq_e, dleq_s` (each backend selects by a list of
/// `b` its own way).
pub(super) type StoredSignatureRow = (Vec<u8>, i64, String, Vec<u8>, Vec<u8>, Vec<u8>);
/// A row of a spent-set read: `y, state, witness, request_key`.
pub(super) type ProofStateRow = (Vec<u8>, String, Option<String>, Option<Vec<u8>>);
/// A row of [`SELECT_MINT_QUOTE`].
pub(super) type MintQuoteRow = (String, String, String, i64, String, String, i64, Option<Vec<u8>>);
/// A row of [`SELECT_MELT_QUOTE`] and [`SELECT_PENDING_MELT_QUOTES`].
pub(super) type MeltQuoteRow = (String, String, String, i64, i64, String, String, i64, Option<String>, Option<String>);
/// A row of [`SELECT_ACCOUNT`].
pub(super) type AccountRow = (String, Vec<u8>, String, i64, i64);

/// A row of [`AUDIT_SIGNED`]: keyset id, value, count.
pub(super) type AuditSignedRow = (String, i64, i64);
/// A row of [`AUDIT_SPENT`]: keyset id, state, value, count.
pub(super) type AuditSpentRow = (String, String, i64, i64);
/// A row of [`AUDIT_LEDGER`]: account id, balance, sum of entries, number of entries.
pub(super) type AuditLedgerRow = (String, i64, i64, i64);

/// The audit's rows as totals.
pub(super) fn audit_totals(
    signed: Vec<AuditSignedRow>,
    spent: Vec<AuditSpentRow>,
    ledger: Vec<AuditLedgerRow>,
) -> Result<AuditTotals, StoreError> {
    let signed = signed
        .into_iter()
        .map(|(keyset_id, value, count)| Ok(KeysetTotal { keyset_id, value: to_u64(value)?, count: to_u64(count)? }))
        .collect::<Result<_, StoreError>>()?;
    let mut spent_total = Vec::new();
    let mut pending_total = Vec::new();
    for (keyset_id, state, value, count) in spent {
        let total = KeysetTotal { keyset_id, value: to_u64(value)?, count: to_u64(count)? };
        match state.as_str() {
            "SPENT" => spent_total.push(total),
            "PENDING" => pending_total.push(total),
            other => return Err(corrupt("proof state", other)),
        }
    }
    let accounts = ledger
        .into_iter()
        .map(|(id, balance, entries_sum, entries)| {
            Ok(LedgerTotal { account_id: id, balance, entries_sum, entries: to_u64(entries)? })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(AuditTotals { signed, spent: spent_total, pending: pending_total, accounts })
}

pub(super) fn keyset(row: KeysetRow) -> Result<KeysetRecord, StoreError> {
    let (id, unit, derivation_index, max_order, input_fee_ppk, final_expiry, active) = row;
    Ok(KeysetRecord {
        id: parse_id(&id)?,
        unit: parse_unit(&unit)?,
        derivation_index: u32::try_from(derivation_index).map_err(|e| corrupt("derivation index", e))?,
        max_order: u8::try_from(max_order).map_err(|e| corrupt("max order", e))?,
        input_fee_ppk: to_u64(input_fee_ppk)?,
        final_expiry: final_expiry.map(to_u64).transpose()?,
        active: active != 0,
    })
}

pub(super) fn signature(row: StoredSignatureRow) -> Result<(PublicKey, BlindSignature), StoreError> {
    let (b, amount, keyset_id, c, e, s) = row;
    let e = SecretKey::from_slice(&e).map_err(|e| corrupt("dleq e", e))?;
    let s = SecretKey::from_slice(&s).map_err(|e| corrupt("dleq s", e))?;
    Ok((
        parse_point(&b, "blinded message")?,
        BlindSignature {
            amount: Amount::from_u64(to_u64(amount)?),
            keyset_id: parse_id(&keyset_id)?,
            c: parse_point(&c, "blind signature")?,
            dleq: Some(BlindSignatureDleq { e, s }),
        },
    ))
}

pub(super) fn proof_state(row: ProofStateRow) -> Result<StoredProofState, StoreError> {
    let (y, state, witness, request) = row;
    stored_proof_state(parse_point(&y, "serial")?, &state, witness, request)
}

pub(super) fn mint_quote(row: MintQuoteRow) -> Result<MintQuote, StoreError> {
    let (id, method, unit, amount, request, state, expiry, pubkey) = row;
    Ok(MintQuote {
        id,
        method,
        unit: parse_unit(&unit)?,
        amount: Amount::from_u64(to_u64(amount)?),
        request,
        state: parse_mint_quote_state(&state)?,
        expiry: to_u64(expiry)?,
        pubkey: pubkey.map(|bytes| parse_point(&bytes, "mint quote pubkey")).transpose()?,
    })
}

pub(super) fn melt_quote(row: MeltQuoteRow) -> Result<MeltQuote, StoreError> {
    let (id, method, unit, amount, fee_reserve, request, state, expiry, preimage, change_request) = row;
    Ok(MeltQuote {
        id,
        method,
        unit: parse_unit(&unit)?,
        amount: Amount::from_u64(to_u64(amount)?),
        fee_reserve: Amount::from_u64(to_u64(fee_reserve)?),
        request,
        state: parse_melt_quote_state(&state)?,
        expiry: to_u64(expiry)?,
        payment_preimage: preimage.filter(|p| !p.is_empty()),
        change_request: change_request.filter(|c| !c.is_empty()),
    })
}

pub(super) fn account(row: AccountRow) -> Result<Account, StoreError> {
    let (id, pubkey, unit, balance, blocked) = row;
    Ok(Account {
        id,
        pubkey: parse_point(&pubkey, "account key")?,
        unit: parse_unit(&unit)?,
        balance: Amount::from_u64(to_u64(balance)?),
        blocked: blocked != 0,
    })
}

/// A spent-set row's state as read from either backend.
pub(super) fn stored_proof_state(
    y: PublicKey,
    state: &str,
    witness: Option<String>,
    request: Option<Vec<u8>>,
) -> Result<StoredProofState, StoreError> {
    let state = match state {
        "SPENT" => State::Spent,
        "PENDING" => State::Pending,
        other => return Err(corrupt("proof state", other)),
    };
    let request = match request {
        Some(key) => Some(<[u8; 32]>::try_from(key.as_slice()).map_err(|_| corrupt("request key", "not 32 bytes"))?),
        None => None,
    };
    Ok(StoredProofState { y, state, witness, request })
}

/// After a unique violation on the spent set: were the serials spent or pending?
pub(super) fn classify_conflict(states: &[StoredProofState]) -> StoreError {
    let pending: Vec<PublicKey> = states.iter().filter(|s| s.state == State::Pending).map(|s| s.y).collect();
    let spent: Vec<PublicKey> = states.iter().filter(|s| s.state == State::Spent).map(|s| s.y).collect();
    if spent.is_empty() && !pending.is_empty() { StoreError::Pending(pending) } else { StoreError::AlreadySpent(spent) }
}

// ---------------------------------------------------------------------------------------------------------
// Values

/// An sqlx insert's outcome: a unique violation becomes `conflict`, other failures become backend errors.
pub(super) fn unique_or<T>(inserted: Result<T, sqlx::Error>, conflict: StoreError) -> Result<(), StoreError> {
    match inserted {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(conflict),
        Err(error) => Err(error.into()),
    }
}

pub(super) fn to_i64(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange)
}

pub(super) fn to_u64(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Backend(format!("negative value {value} in database")))
}

pub(super) fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("unreadable {what} in database: {error}"))
}

pub(super) fn parse_point(bytes: &[u8], what: &str) -> Result<PublicKey, StoreError> {
    PublicKey::from_slice(bytes).map_err(|e| corrupt(what, e))
}

fn parse_id(text: &str) -> Result<Id, StoreError> {
    Id::from_str(text).map_err(|e| corrupt("keyset id", e))
}

fn parse_unit(text: &str) -> Result<CurrencyUnit, StoreError> {
    CurrencyUnit::from_str(text).map_err(|e| corrupt("unit", e))
}

pub(super) fn mint_quote_state_name(state: MintQuoteState) -> &'static str {
    match state {
        MintQuoteState::Unpaid => "UNPAID",
        MintQuoteState::Paid => "PAID",
        MintQuoteState::Issued => "ISSUED",
    }
}

pub(super) fn melt_quote_state_name(state: MeltQuoteState) -> &'static str {
    match state {
        MeltQuoteState::Unpaid => "UNPAID",
        MeltQuoteState::Pending => "PENDING",
        MeltQuoteState::Paid => "PAID",
    }
}

fn parse_mint_quote_state(text: &str) -> Result<MintQuoteState, StoreError> {
    match text {
        "UNPAID" => Ok(MintQuoteState::Unpaid),
        "PAID" => Ok(MintQuoteState::Paid),
        "ISSUED" => Ok(MintQuoteState::Issued),
        other => Err(corrupt("mint quote state", other)),
    }
}

fn parse_melt_quote_state(text: &str) -> Result<MeltQuoteState, StoreError> {
    match text {
        "UNPAID" => Ok(MeltQuoteState::Unpaid),
        "PENDING" => Ok(MeltQuoteState::Pending),
        "PAID" => Ok(MeltQuoteState::Paid),
        other => Err(corrupt("melt quote state", other)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn quote(state: MintQuoteState) -> MintQuote {
        MintQuote {
            id: "q".into(),
            method: "bank".into(),
            unit: CurrencyUnit::Sat,
            amount: Amount::from_u64(5),
            request: "bank:q".into(),
            state,
            expiry: 0,
            pubkey: None,
        }
    }

    /// A swap only inserts (PostgreSQL then runs it as one statement); every other kind of commit does more.
    #[test]
    fn only_a_swap_only_inserts() {
        let swap = Commit::Swap { inputs: Vec::new(), outputs: Vec::new(), request: [1; 32] };
        let effects = Effects::of(&swap).unwrap();
        assert!(effects.only_inserts());
        assert_eq!((effects.spend_state, effects.request), (SPENT, Some(&[1; 32])));
        let start = Commit::MeltStart { quote_id: "m".into(), inputs: Vec::new(), change: None, request: None };
        let effects = Effects::of(&start).unwrap();
        assert!(!effects.only_inserts());
        assert_eq!((effects.spend_state, effects.quote_id), (PENDING, Some("m")));
        assert!(!Effects::of(&Commit::CreateMintQuote(quote(MintQuoteState::Paid))).unwrap().only_inserts());
    }

    /// Paying a quote from an account is a debit of its amount, recorded against the quote.
    #[test]
    fn paying_a_quote_debits_the_account() {
        let pay = Commit::PayMintQuote { quote_id: "q".into(), account_id: "a".into(), amount: Amount::from_u64(7) };
        let balance = Effects::of(&pay).unwrap().balance.unwrap();
        assert_eq!(
            (balance.account_id, balance.delta, balance.reason, balance.reference),
            ("a", -7, "mint", Some("q"))
        );
        let credit =
            Commit::CreditAccount { account_id: "a".into(), amount: Amount::from_u64(u64::MAX), reference: None };
        assert!(matches!(Effects::of(&credit), Err(StoreError::OutOfRange)));
    }

    /// A mint quote is created unpaid or paid, never issued.
    #[test]
    fn a_quote_is_not_created_issued() {
        let created = Commit::CreateMintQuote(quote(MintQuoteState::Paid));
        assert_eq!(Effects::of(&created).unwrap().new_mint_quote.map(|(_, state)| state), Some("PAID"));
        let issued = Commit::CreateMintQuote(quote(MintQuoteState::Issued));
        assert!(matches!(Effects::of(&issued), Err(StoreError::QuoteStateConflict(_))));
    }
}
