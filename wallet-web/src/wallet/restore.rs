//! NUT-13 restore from the seed: `/v1/restore` in batches of [`RESTORE_BATCH`] outputs per keyset until
//! [`RESTORE_EMPTY_BATCHES`] empty batches in a row, then `/v1/checkstate` so spent notes are not
//! resurrected; counters move past the last one found. Journaled as an op that is re-run until it
//! completes (each keyset's results commit at once, so re-running is harmless).

use shared::nuts::{CheckStateRequest, CheckStateResponse, RestoreRequest, RestoreResponse, State};
use shared::{Amount, CurrencyUnit, Id, PublicKey};

use super::crypto::{blinded_messages, build_outputs, unblind};
use super::engine::{Engine, RESTORE_BATCH, RESTORE_EMPTY_BATCHES};
use super::journal::start;
use super::mints;
use super::records::{Destination, NoteRecord, NoteState, OpKind, OpRecord, OutputRecord};
use super::views::{HistoryEntry, HistoryKind, HistoryStatus};
use crate::WalletError;
use crate::store::{Batch, Table, get_json};

/// Restores the notes of this seed at `mint` (adding the mint when unknown); returns the amount recovered.
pub(crate) async fn restore(engine: &Engine, mint: &str) -> Result<Amount, WalletError> {
    let seed = engine.seed().await?;
    let mut record = mints::known_or_add(engine, mint).await?;
    let history = engine.new_entry(HistoryKind::Restored, &record.url, Amount::ZERO, Amount::ZERO, None)?;
    let op = OpRecord {
        id: format!("restore {}", record.url),
        kind: OpKind::Restore,
        mint: record.url.clone(),
        path: "/v1/restore".to_owned(),
        body: String::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        send_id: None,
        quote: None,
        pay: None,
        memo: None,
        history_id: history.id.clone(),
        created_at: engine.now_ms(),
    };
    let existing: Option<OpRecord> = get_json(&*engine.store, Table::Ops, &op.id).await?;
    let op = match existing {
        Some(op) => op,
        None => {
            start(engine, &op, &[], &history).await?;
            op
        }
    };
    let known: Vec<String> = engine.all_notes().await?.into_iter().map(|n| n.y).collect();
    let mut recovered = Amount::ZERO;
    let ids: Vec<Id> = record.keysets.iter().filter(|k| k.unit == CurrencyUnit::Sat).map(|k| k.id).collect();
    for id in ids {
        let keyset = mints::keyset_keys(engine, &mut record, &id).await?;
        let mut found: Vec<NoteRecord> = Vec::new();
        let mut next_counter = 0u32;
        let mut start = 0u32;
        let mut empty = 0;
        while empty < RESTORE_EMPTY_BATCHES {
            let placeholders = vec![(Amount::from(1), Destination::Keep); RESTORE_BATCH as usize];
            let outputs = build_outputs(&seed, id, start, &placeholders)?;
            let request = RestoreRequest { outputs: blinded_messages(&outputs) };
            let response: RestoreResponse = engine.post_as(&record.url, "/v1/restore", &request).await?;
            if response.signatures.is_empty() {
                empty += 1;
            } else {
                empty = 0;
            }
            for (message, signature) in response.outputs.iter().zip(&response.signatures) {
                let Some(output) = outputs.iter().find(|o| o.blinded == message.blinded_secret) else { continue };
                let output = OutputRecord { amount: signature.amount, ..output.clone() };
                found.push(unblind(&record.url, &output, signature, &keyset, NoteState::Unspent)?);
                next_counter = next_counter.max(output.counter.saturating_add(1));
            }
            start = start.saturating_add(RESTORE_BATCH);
        }
        // Only notes the mint reports unspent come back; spent ones must not be resurrected.
        let mut unspent = Vec::new();
        for chunk in found.chunks(500) {
            let ys = chunk.iter().map(|n| PublicKey::from_hex(&n.y)).collect::<Result<Vec<_>, _>>()?;
            let response: CheckStateResponse =
                engine.post_as(&record.url, "/v1/checkstate", &CheckStateRequest { ys }).await?;
            for note in chunk {
                let state = response.states.iter().find(|s| s.y.to_hex() == note.y).map(|s| s.state);
                if state == Some(State::Unspent) && !known.contains(&note.y) {
                    unspent.push(note.clone());
                }
            }
        }
        let mut batch = Batch::new();
        for note in &unspent {
            batch.put(Table::Notes, note.y.clone(), note)?;
            recovered = recovered.checked_add(note.amount)?;
        }
        if next_counter > engine.counter(&id).await? {
            batch.put(Table::Counters, id.to_string(), &next_counter)?;
        }
        engine.store.commit(batch).await?;
    }
    let mut batch = Batch::new();
    if let Some(mut entry) = get_json::<HistoryEntry>(&*engine.store, Table::History, &op.history_id).await? {
        entry.status = HistoryStatus::Done;
        entry.amount = entry.amount.checked_add(recovered)?;
        batch.put(Table::History, entry.id.clone(), &entry)?;
    }
    batch.delete(Table::Ops, op.id.clone());
    engine.store.commit(batch).await?;
    Ok(recovered)
}
