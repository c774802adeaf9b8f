//! Pending sends: learning which were redeemed (`/v1/checkstate`), and taking back the notes of one that
//! was not (a swap of its unspent notes into fresh ones).

use shared::nuts::{CheckStateRequest, CheckStateResponse, State};
use shared::{Amount, PublicKey};

use super::engine::{Engine, candidates, max_denomination, sum};
use super::journal::{Funding, Swap};
use super::records::{Destination, NoteRecord, NoteState, OpKind, SendRecord};
use super::select;
use super::views::HistoryKind;
use crate::WalletError;
use crate::store::{Batch, Table, get_all_json, get_json};

/// Checkstate of a send's notes: deletes the spent ones. Returns the unspent and whether any is pending.
async fn settle(engine: &Engine, send: &SendRecord) -> Result<(Vec<NoteRecord>, bool), WalletError> {
    let notes: Vec<NoteRecord> = engine.all_notes().await?.into_iter().filter(|n| send.ys.contains(&n.y)).collect();
    let ys = notes.iter().map(|n| PublicKey::from_hex(&n.y)).collect::<Result<Vec<_>, _>>()?;
    let response: CheckStateResponse = engine.post_as(&send.mint, "/v1/checkstate", &CheckStateRequest { ys }).await?;
    let state_of = |y: &str| response.states.iter().find(|s| s.y.to_hex() == y).map(|s| s.state);
    let mut batch = Batch::new();
    let mut unspent = Vec::new();
    let mut pending = false;
    for note in notes {
        match state_of(&note.y) {
            Some(State::Spent) => {
                batch.delete(Table::Notes, note.y.clone());
            }
            Some(State::Pending) => pending = true,
            _ => {
                if matches!(note.state, NoteState::PendingSend(_)) {
                    unspent.push(note);
                }
            }
        }
    }
    if unspent.is_empty() && !pending {
        batch.delete(Table::Sends, send.id.clone());
    }
    engine.store.commit(batch).await?;
    Ok((unspent, pending))
}

/// Takes back the unspent notes of pending send `send_id`; returns the amount taken back.
pub(crate) async fn reclaim(engine: &Engine, send_id: &str) -> Result<Amount, WalletError> {
    let send: SendRecord = get_json(&*engine.store, Table::Sends, send_id)
        .await?
        .ok_or_else(|| WalletError::Invalid("There is no such pending send.".into()))?;
    let (unspent, _pending) = settle(engine, &send).await?;
    if unspent.is_empty() {
        return Ok(Amount::ZERO);
    }
    let record = engine.mint_record(send.mint.as_str()).await?;
    let fee = select::input_fee(&candidates(&record, &unspent))?;
    let total = sum(&unspent)?;
    let amount = total.checked_sub(fee).unwrap_or(Amount::ZERO);
    if amount == Amount::ZERO {
        return Err(WalletError::Invalid("These notes are worth less than the mint's fee.".into()));
    }
    let max = max_denomination(&record)?;
    let amounts: Vec<(Amount, Destination)> =
        amount.split_with_max(max)?.into_iter().map(|a| (a, Destination::Keep)).collect();
    let history = engine.new_entry(HistoryKind::Reclaimed, &record.url, amount, fee, None)?;
    let swap = Swap {
        kind: OpKind::Reclaim,
        mint: &record,
        funding: Funding::Swap { own: &unspent, foreign: Vec::new() },
        outputs: &amounts,
        send_id: Some(send.id.clone()),
        memo: None,
        history: &history,
    };
    let (_, outcome) = swap.run(engine).await?;
    outcome.done()?;
    Ok(amount)
}

/// Checks every pending send and drops the redeemed ones. Returns how many finished.
pub(crate) async fn refresh(engine: &Engine) -> Result<usize, WalletError> {
    let sends: Vec<SendRecord> = get_all_json(&*engine.store, Table::Sends).await?;
    let mut finished = 0;
    for send in sends {
        let (unspent, pending) = settle(engine, &send).await?;
        if unspent.is_empty() && !pending {
            finished += 1;
        }
    }
    Ok(finished)
}
