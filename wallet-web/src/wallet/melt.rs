//! Withdrawing: a melt (NUT-05, method `bank`) into the user's account at the mint. The mint gives no
//! change on bank melts, so the inputs must add up exactly; when no subset of notes does, a swap into exact
//! denominations runs first (journaled on its own, with no line of its own in the history).

use shared::nuts::bank::MeltQuoteBankRequest;
use shared::nuts::{MeltQuoteBolt11Response, MeltRequest, PaymentMethod};
use shared::{Amount, CurrencyUnit};

use super::engine::{Engine, candidates, max_denomination, melt_path, melt_quote_path, new_id, positive, sum, to_json};
use super::journal::{Funding, Swap, drive, start};
use super::records::{Destination, MintRecord, NoteRecord, OpKind, OpRecord};
use super::select::{self, Candidate};
use super::views::{HistoryKind, HistoryStatus};
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
    // reserve and their own input fee: use an exact subset, or swap for exact denominations first.
    let notes = engine.unspent_notes(&record.url).await?;
    let candidates = candidates(&record, &notes);
    let mut inputs = None;
    for extra in 0..4u64 {
        if let Some(chosen) = select::exact_subset(&candidates, needed.checked_add(Amount::from(extra))?) {
            let picked: Vec<Candidate> = chosen.iter().map(|i| candidates[*i]).collect();
            if select::input_fee(&picked)? == Amount::from(extra) {
                inputs = Some(chosen.iter().map(|i| notes[*i].clone()).collect::<Vec<_>>());
                break;
            }
        }
    }
    let (inputs, swap_fee) = match inputs {
        Some(inputs) => (inputs, Amount::ZERO),
        None => swap_exact(engine, &record, &notes, needed).await?,
    };
    // Whatever the inputs hold beyond the amount goes to the mint (fee reserve, input fees, rounding),
    // and so did the fee of the swap that made them.
    let fee = sum(&inputs)?.checked_sub(amount)?.checked_add(swap_fee)?;
    let history = engine.new_entry(HistoryKind::Withdrawn, &record.url, amount, fee, None)?;
    let body = MeltRequest {
        quote: quote.quote.clone(),
        inputs: inputs.iter().map(NoteRecord::to_input).collect(),
        outputs: None,
        prefer_async: false,
    };
    let op = OpRecord {
        id: new_id()?,
        kind: OpKind::Melt,
        mint: record.url.clone(),
        path: melt_path(&method),
        body: to_json(&body)?,
        inputs: inputs.iter().map(|n| n.y.clone()).collect(),
        outputs: Vec::new(),
        send_id: None,
        quote: Some(quote.quote.clone()),
        pay: None,
        memo: None,
        history_id: history.id.clone(),
        created_at: engine.now_ms(),
    };
    start(engine, &op, &inputs, &history).await?;
    drive(engine, &op).await?.done()?;
    Ok(amount)
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
