//! Sending: a token of exactly the amount, from an exact subset of notes when there is one (no request),
//! else from a swap into the token's notes and change. The token's notes stay a pending send until the
//! receiver redeems them or the user reclaims them ([`super::reclaim`]).

use shared::Amount;

use super::engine::{Engine, candidates, max_denomination, new_id, positive, storage};
use super::journal::{Funding, Swap, send_record};
use super::records::{Destination, NoteRecord, NoteState, OpKind, SendRecord};
use super::select;
use super::views::{HistoryKind, HistoryStatus};
use crate::WalletError;
use crate::store::{Batch, Table, get_json};

/// Prepares a token of `amount` at `mint`; returns the pending send and the fee paid to the mint.
pub(crate) async fn send(
    engine: &Engine,
    mint: &str,
    amount: Amount,
    memo: Option<String>,
) -> Result<(SendRecord, Amount), WalletError> {
    positive(amount)?;
    let record = engine.mint_record(mint).await?;
    let notes = engine.unspent_notes(&record.url).await?;
    let candidates = candidates(&record, &notes);
    if let Some(chosen) = select::exact_subset(&candidates, amount) {
        let send_id = new_id()?;
        let mut sent: Vec<NoteRecord> = chosen.iter().map(|i| notes[*i].clone()).collect();
        for note in &mut sent {
            note.state = NoteState::PendingSend(send_id.clone());
        }
        let mut history = engine.new_entry(HistoryKind::Sent, &record.url, amount, Amount::ZERO, memo.clone())?;
        history.status = HistoryStatus::Done;
        let send = send_record(&record.url, &send_id, &sent, memo, engine.now_ms())?;
        let mut batch = Batch::new();
        for note in &sent {
            batch.put(Table::Notes, note.y.clone(), note)?;
        }
        batch.put(Table::Sends, send_id, &send)?;
        batch.put(Table::History, history.id.clone(), &history)?;
        engine.store.commit(batch).await?;
        return Ok((send, Amount::ZERO));
    }
    let Some((chosen, total, fee)) = select::cover(&candidates, amount)? else {
        let available = select::spendable(&candidates)?;
        let needed = amount.checked_add(select::input_fee(&candidates)?)?;
        return Err(WalletError::InsufficientFunds { available, needed });
    };
    let inputs: Vec<NoteRecord> = chosen.iter().map(|i| notes[*i].clone()).collect();
    let max = max_denomination(&record)?;
    let change = total.checked_sub(amount)?.checked_sub(fee)?;
    let mut amounts: Vec<(Amount, Destination)> =
        amount.split_with_max(max)?.into_iter().map(|a| (a, Destination::Send)).collect();
    amounts.extend(change.split_with_max(max)?.into_iter().map(|a| (a, Destination::Keep)));
    let send_id = new_id()?;
    let history = engine.new_entry(HistoryKind::Sent, &record.url, amount, fee, memo.clone())?;
    let swap = Swap {
        kind: OpKind::SwapForSend,
        mint: &record,
        funding: Funding::Swap { own: &inputs, foreign: Vec::new() },
        outputs: &amounts,
        send_id: Some(send_id.clone()),
        memo,
        history: &history,
    };
    let (_, outcome) = swap.run(engine).await?;
    outcome.done()?;
    let send: SendRecord =
        get_json(&*engine.store, Table::Sends, &send_id).await?.ok_or_else(|| storage("the send was not stored"))?;
    Ok((send, fee))
}
