//! Recovery after a crash or reload: every journaled op is resent (or a restore re-run) and finishes, rolls
//! back or stays pending ([`super::journal`]); mint quotes the mint reports PAID and this wallet has not
//! minted are minted ([`super::issue::mint_if_paid`]); the offline journal is re-driven
//! ([`super::offline_mint::recover`]); reservations whose op is gone are released.

use super::Wallet;
use super::engine::{Engine, QUOTE_PREFIX};
use super::issue::mint_if_paid;
use super::journal::{Outcome, drive};
use super::offline_mint;
use super::on_demand::offline_recovery;
use super::records::{NoteState, OpKind, OpRecord, QuoteRecord};
use super::restore::restore;
use super::views::RecoveryReport;
use crate::WalletError;
use crate::store::{Batch, Table, get_all_json};

/// Finishes or rolls back every journaled operation. Operations whose mint is unreachable stay pending.
pub(crate) async fn recover(wallet: &Wallet) -> Result<RecoveryReport, WalletError> {
    let engine: &Engine = &wallet.inner.engine;
    let mut report = RecoveryReport::default();
    let ops: Vec<OpRecord> = get_all_json(&*engine.store, Table::Ops).await?;
    for op in &ops {
        if op.kind == OpKind::Restore {
            match restore(engine, op.mint.as_str()).await {
                Ok(_) => report.finished += 1,
                Err(_) => report.still_pending += 1,
            }
            continue;
        }
        match drive(engine, op).await {
            Ok(Outcome::Done(_)) => report.finished += 1,
            Ok(Outcome::RolledBack(_)) => report.rolled_back += 1,
            Ok(Outcome::Pending(_)) | Err(_) => report.still_pending += 1,
        }
    }
    // Quotes paid and never minted: no op holds them (an op's quote is the op's business).
    let ops: Vec<OpRecord> = get_all_json(&*engine.store, Table::Ops).await?;
    for (key, value) in engine.store.get_all(Table::Meta).await? {
        if !key.starts_with(QUOTE_PREFIX) {
            continue;
        }
        let Ok(quote) = serde_json::from_str::<QuoteRecord>(&value) else { continue };
        if quote.issued || ops.iter().any(|op| op.mint == quote.mint && op.quote.as_ref() == Some(&quote.id)) {
            continue;
        }
        match mint_if_paid(engine, &quote).await {
            Ok(true) => report.finished += 1,
            Ok(false) => {}
            Err(_) => report.still_pending += 1,
        }
    }
    // Offline coins: withdrawals, bonds and deposits whose answer was lost. Their code loads on demand
    // (`on_demand`), so only when there is such a journal; if it cannot be fetched they stay pending.
    let journals = offline_mint::journal_count(engine).await?;
    if journals > 0 {
        match offline_recovery(wallet.clone()).await {
            Ok(recovery) => {
                let offline = recovery.await?;
                report.finished += offline.finished;
                report.rolled_back += offline.rolled_back;
                report.still_pending += offline.still_pending;
            }
            Err(_) => report.still_pending += journals,
        }
    }
    // Reservations whose op is gone cannot happen with atomic commits; release any all the same.
    let ops: Vec<OpRecord> = get_all_json(&*engine.store, Table::Ops).await?;
    let mut batch = Batch::new();
    for mut note in engine.all_notes().await? {
        if let NoteState::Reserved(id) = &note.state {
            if !ops.iter().any(|op| op.id == *id) {
                note.state = NoteState::Unspent;
                batch.put(Table::Notes, note.y.clone(), &note)?;
            }
        }
    }
    engine.store.commit(batch).await?;
    Ok(report)
}
