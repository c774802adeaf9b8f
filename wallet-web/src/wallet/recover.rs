//! Recovery after a crash or reload: every journaled op is resent (or a restore re-run) and finishes, rolls
//! back or stays pending ([`super::journal`]); reservations whose op is gone are released.

use super::engine::Engine;
use super::journal::{Outcome, drive};
use super::records::{NoteState, OpKind, OpRecord};
use super::restore::restore;
use super::views::RecoveryReport;
use crate::WalletError;
use crate::store::{Batch, Table, get_all_json};

/// Finishes or rolls back every journaled operation. Operations whose mint is unreachable stay pending.
pub(crate) async fn recover(engine: &Engine) -> Result<RecoveryReport, WalletError> {
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
