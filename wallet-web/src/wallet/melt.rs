//! Melts (NUT-05). Withdrawing (method `bank`) into the user's account at the mint: the mint gives no
//! change on bank melts, so the inputs must add up exactly; when no subset of notes does, a swap into exact
//! denominations runs first (journaled on its own, with no line of its own in the history). Paying a
//! Lightning invoice (method `bolt11`): inputs cover the amount and the fee reserve, and NUT-08 blank
//! outputs bring back what the payment did not use ([`super::journal`] collects that change).

use shared::nuts::bank::MeltQuoteBankRequest;
use shared::nuts::{MeltQuoteBolt11Request, MeltQuoteBolt11Response, MeltRequest, PaymentMethod};
use shared::{Amount, CurrencyUnit};

use super::crypto::{blinded_messages, build_outputs};
use super::engine::{Engine, candidates, max_denomination, melt_path, melt_quote_path, new_id, positive, sum, to_json};
use super::journal::{Funding, Swap, drive, start};
use super::records::{Destination, MintRecord, NoteRecord, OpKind, OpRecord, OutputRecord};
use super::select::{self, Candidate};
use super::views::{HistoryEntry, HistoryKind, HistoryStatus, InvoiceQuoteView, PaymentView};
use crate::WalletError;

/// Melts `amount` into bank account `account` at `mint`; returns the amount moved.
pub(crate) async fn withdraw(
    engine: &Engine,
    mint: &str,
    amount: Amount,
    account: &str,
) -> Result<Amount, WalletError> {
    positive(amount)?;
    let record = engine.mint_record(mint).await?;
    let request = MeltQuoteBankRequest { request: account.to_owned(), unit: CurrencyUnit::Sat, amount };
    let method = PaymentMethod::Bank;
    let quote: MeltQuoteBolt11Response = engine.post_as(&record.url, &melt_quote_path(&method), &request).await?;
    let needed = quote.amount.checked_add(quote.fee_reserve)?;
    // The mint gives no change on bank melts, so the inputs must add up exactly to the amount, the fee
    // reserve and their own input fee.
    let notes = engine.unspent_notes(&record.url).await?;
    let (inputs, swap_fee) = exact_inputs(engine, &record, &notes, needed).await?;
    // Whatever the inputs hold beyond the amount goes to the mint (fee reserve, input fees, rounding),
    // and so did the fee of the swap that made them.
    let fee = sum(&inputs)?.checked_sub(amount)?.checked_add(swap_fee)?;
    let history = engine.new_entry(HistoryKind::Withdrawn, &record.url, amount, fee, None)?;
    melt(engine, &record, &method, &quote.quote, &inputs, Vec::new(), &history).await?;
    Ok(amount)
}

/// Journals and runs the melt of `inputs` for `quote` with these blank `outputs` (NUT-08; none for exact
/// inputs): the change notes it brings back.
async fn melt(
    engine: &Engine,
    record: &MintRecord,
    method: &PaymentMethod,
    quote: &str,
    inputs: &[NoteRecord],
    outputs: Vec<OutputRecord>,
    history: &HistoryEntry,
) -> Result<Vec<NoteRecord>, WalletError> {
    let body = MeltRequest {
        quote: quote.to_owned(),
        inputs: inputs.iter().map(NoteRecord::to_input).collect(),
        outputs: (!outputs.is_empty()).then(|| blinded_messages(&outputs)),
        prefer_async: false,
    };
    let op = OpRecord {
        id: new_id()?,
        kind: OpKind::Melt,
        mint: record.url.clone(),
        path: melt_path(method),
        body: to_json(&body)?,
        inputs: inputs.iter().map(|n| n.y.clone()).collect(),
        outputs,
        send_id: None,
        quote: Some(quote.to_owned()),
        pay: None,
        memo: None,
        history_id: history.id.clone(),
        created_at: engine.now_ms(),
    };
    start(engine, &op, inputs, history).await?;
    drive(engine, &op).await?.done()
}

/// Inputs adding up exactly to `needed` plus their own input fee: an exact subset of `notes`, or else
/// notes a swap for exact denominations makes first. Returns them and the swap's fee.
async fn exact_inputs(
    engine: &Engine,
    record: &MintRecord,
    notes: &[NoteRecord],
    needed: Amount,
) -> Result<(Vec<NoteRecord>, Amount), WalletError> {
    let candidates = candidates(record, notes);
    for extra in 0..4u64 {
        if let Some(chosen) = select::exact_subset(&candidates, needed.checked_add(Amount::from(extra))?) {
            let picked: Vec<Candidate> = chosen.iter().map(|i| candidates[*i]).collect();
            if select::input_fee(&picked)? == Amount::from(extra) {
                return Ok((chosen.iter().map(|i| notes[*i].clone()).collect(), Amount::ZERO));
            }
        }
    }
    swap_exact(engine, record, notes, needed).await
}

/// NUT-08's number of blank outputs for change of at most `most`: `max(ceil(log2(most)), 1)`, none for
/// nothing. (NUT-08 counts on the fee reserve; the inputs may hold more than the amount and the reserve,
/// and all of it comes back, so the wallet counts on what they hold beyond the amount.)
pub(crate) fn blank_count(most: Amount) -> usize {
    match most.to_u64() {
        0 => 0,
        most => (u64::BITS - (most - 1).leading_zeros()).max(1) as usize,
    }
}

/// A `bolt11` melt quote for `invoice` at the mint.
async fn invoice_melt_quote(
    engine: &Engine,
    record: &MintRecord,
    invoice: &str,
) -> Result<MeltQuoteBolt11Response, WalletError> {
    let invoice = invoice.trim();
    let invoice = invoice.strip_prefix("lightning:").unwrap_or(invoice);
    if invoice.is_empty() || invoice.len() > MAX_INVOICE_LEN {
        return Err(WalletError::Invalid("Paste a Lightning invoice (it starts with lnbc or lntb).".into()));
    }
    let request = MeltQuoteBolt11Request { request: invoice.to_owned(), unit: CurrencyUnit::Sat, options: None };
    engine.post_as(&record.url, &melt_quote_path(&PaymentMethod::Bolt11), &request).await
}

/// The longest invoice the wallet sends to a mint (BOLT 11 invoices with long route hints stay far below).
const MAX_INVOICE_LEN: usize = 8 * 1024;

/// What paying `invoice` through `mint` costs at most (a fresh melt quote; nothing changes in the wallet).
pub(crate) async fn quote_invoice(engine: &Engine, mint: &str, invoice: &str) -> Result<InvoiceQuoteView, WalletError> {
    let record = engine.mint_record(mint).await?;
    let quote = invoice_melt_quote(engine, &record, invoice).await?;
    Ok(InvoiceQuoteView { id: quote.quote, amount: quote.amount, fee_reserve: quote.fee_reserve, expiry: quote.expiry })
}

/// Pays `invoice` through `mint` (NUT-05 melt, `bolt11`) as one journaled op: inputs covering the amount,
/// the fee reserve and their input fee, and NUT-08 blank outputs (NUT-13 secrets, so a restore finds the
/// change) that bring back what the payment did not use. A mint without NUT-08 gets exact inputs (a swap
/// first if needed), so nothing beyond the reserve is lost.
pub(crate) async fn pay_invoice(engine: &Engine, mint: &str, invoice: &str) -> Result<PaymentView, WalletError> {
    let record = engine.mint_record(mint).await?;
    let quote = invoice_melt_quote(engine, &record, invoice).await?;
    positive(quote.amount)?;
    let needed = quote.amount.checked_add(quote.fee_reserve)?;
    let notes = engine.unspent_notes(&record.url).await?;
    let nut08 = record.info.nuts.nut08.supported;
    let (inputs, swap_fee) = if nut08 {
        let candidates = candidates(&record, &notes);
        let Some((chosen, _, _)) = select::cover(&candidates, needed)? else {
            let available = select::spendable(&candidates)?;
            return Err(WalletError::InsufficientFunds { available, needed });
        };
        (chosen.iter().map(|i| notes[*i].clone()).collect::<Vec<_>>(), Amount::ZERO)
    } else {
        exact_inputs(engine, &record, &notes, needed).await?
    };
    let total = sum(&inputs)?;
    let input_fee = select::input_fee(&candidates(&record, &inputs))?;
    // Everything the inputs hold beyond the amount and their fee may come back as change.
    let most = total.checked_sub(input_fee)?.checked_sub(quote.amount)?;
    let outputs = if nut08 {
        let keyset = record.active_keyset().ok_or_else(|| WalletError::UnknownMint(record.url.to_string()))?;
        // Blank outputs: the mint chooses their amounts; 1 is a placeholder.
        let blanks = vec![(Amount::from(1), Destination::Keep); blank_count(most)];
        build_outputs(&engine.seed().await?, keyset.id, engine.counter(&keyset.id).await?, &blanks)?
    } else {
        Vec::new()
    };
    // The history's fee starts at the most the payment can cost; the change it brings back comes off it.
    let fee = total.checked_sub(quote.amount)?.checked_add(swap_fee)?;
    let history = engine.new_entry(HistoryKind::Paid, &record.url, quote.amount, fee, None)?;
    let notes = melt(engine, &record, &PaymentMethod::Bolt11, &quote.quote, &inputs, outputs, &history).await?;
    let change = sum(&notes)?;
    Ok(PaymentView { amount: quote.amount, fee_reserve: quote.fee_reserve, fee: fee.checked_sub(change)?, change })
}

/// Swaps notes into denominations that add up to `needed` plus their own input fee; returns them and the
/// swap's fee.
async fn swap_exact(
    engine: &Engine,
    record: &MintRecord,
    notes: &[NoteRecord],
    needed: Amount,
) -> Result<(Vec<NoteRecord>, Amount), WalletError> {
    let max = max_denomination(record)?;
    let active = record.active_keyset().ok_or_else(|| WalletError::UnknownMint(record.url.to_string()))?;
    let (parts, _) = select::exact_with_fee(needed, record.fee_ppk(&active.id), max)?;
    let target = Amount::try_sum(parts.iter().copied())?;
    let candidates = candidates(record, notes);
    let Some((chosen, total, fee)) = select::cover(&candidates, target)? else {
        let available = select::spendable(&candidates)?;
        return Err(WalletError::InsufficientFunds { available, needed: target });
    };
    let inputs: Vec<NoteRecord> = chosen.iter().map(|i| notes[*i].clone()).collect();
    let change = total.checked_sub(target)?.checked_sub(fee)?;
    // The exact part is marked `Send` only to tell it apart here; without a send id it stays spendable.
    let mut amounts: Vec<(Amount, Destination)> = parts.iter().map(|a| (*a, Destination::Send)).collect();
    amounts.extend(change.split_with_max(max)?.into_iter().map(|a| (a, Destination::Keep)));
    let mut history = engine.new_entry(HistoryKind::Sent, &record.url, Amount::ZERO, fee, None)?;
    history.status = HistoryStatus::Internal;
    let swap = Swap {
        kind: OpKind::SwapExact,
        mint: record,
        funding: Funding::Swap { own: &inputs, foreign: Vec::new() },
        outputs: &amounts,
        send_id: None,
        memo: None,
        history: &history,
    };
    let (op, outcome) = swap.run(engine).await?;
    let notes = outcome.done()?;
    let exact: Vec<String> = op
        .outputs
        .iter()
        .filter(|o| o.destination == Destination::Send)
        .map(|o| o.secret.to_y().map(|y| y.to_hex()))
        .collect::<Result<_, _>>()?;
    Ok((notes.into_iter().filter(|n| exact.contains(&n.y)).collect(), fee))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_outputs_are_nut08s_count() {
        let count = |most: u64| blank_count(Amount::from(most));
        assert_eq!([0, 1, 2, 3, 10, 44, 64, 100, 1000].map(count), [0, 1, 1, 2, 4, 6, 6, 7, 10]);
    }

    #[test]
    fn blank_outputs_carry_any_change_up_to_what_the_inputs_hold() {
        // The change is at most `most`, split into powers of two: one blank output per bit set.
        for most in 1..=4096u64 {
            let needed = (0..=most).map(u64::count_ones).max().unwrap_or(0) as usize;
            assert!(blank_count(Amount::from(most)) >= needed, "{most}");
        }
    }
}
