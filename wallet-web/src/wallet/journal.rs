//! The journal that makes every operation crash safe, and the swap-shaped request most operations send.
//!
//! Every operation that talks to a mint about money follows one pattern:
//! 1. **Start** (one store commit, [`start`]): reserve the input notes (`reserved(op)`), advance the
//!    derivation counter past the outputs, write the op record with the exact request body and the
//!    outputs' secrets and blinding factors, and a `pending` history entry.
//! 2. **Send** the request ([`drive`]).
//! 3. **Finish** (one store commit): the new notes, the inputs deleted, the op deleted, history `done`.
//!    Or, on a definitive refusal by the mint ([`WalletError::is_definitive_refusal`]: a 4xx Cashu error
//!    whose code proves nothing was applied) and once `/v1/restore` by the stored `B'` shows none of the
//!    outputs signed, **roll back** (one commit): inputs released, the counters given back when no later
//!    op took any, op deleted, history `failed`. No verdict changes nothing (no answer, a timeout, a 5xx,
//!    a proxy's 502/504, a body that is no Cashu error, an unknown code): the op stays and recovery
//!    resends the identical body later (NUT-19 gives the same answer). When the mint says the inputs are
//!    spent or the quote issued (11001, 20002), the outputs are looked up the same way by their `B'`.

use shared::nuts::{
    BlindSignature, CheckStateRequest, CheckStateResponse, ErrorCode, MeltQuoteBolt11Response, MeltQuoteState,
    MintQuoteBolt11Response, MintQuoteState, MintRequest, PaymentMethod, RestoreRequest, RestoreResponse, State,
    SwapRequest, SwapResponse,
};
use shared::{Amount, CurrencyUnit, Proof, PublicKey, SecretKey, Token};

use super::crypto::{blinded_messages, build_outputs, unblind};
use super::engine::{
    Engine, MAX_OUTPUTS_PER_OP, bad_response, melt_method, melt_quote_state_path, mint_path, mint_quote_state_path,
    new_id, quote_key, sum, to_json,
};
use super::mints::keyset_keys;
use super::records::{
    Destination, MintRecord, NoteRecord, NoteState, OpKind, OpRecord, OutputRecord, QuoteRecord, SendRecord,
};
use super::views::{HistoryEntry, HistoryStatus};
use crate::WalletError;
use crate::mint_url::MintUrl;
use crate::store::{Batch, Table, get_json};

/// How a journaled operation ended this time.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Finished: the notes it added.
    Done(Vec<NoteRecord>),
    /// Waiting for the mint (unreachable, or a payment in progress); the op stays in the journal.
    Pending(WalletError),
    /// Undone after a definitive refusal: the error to report.
    RolledBack(WalletError),
}

impl Outcome {
    /// The notes added, or the error the caller reports.
    pub(crate) fn done(self) -> Result<Vec<NoteRecord>, WalletError> {
        match self {
            Outcome::Done(notes) => Ok(notes),
            Outcome::Pending(error) | Outcome::RolledBack(error) => Err(error),
        }
    }
}

/// The wallet's error for a mint's refusal of an op of `kind`. "Already spent" means a redeemed token only
/// when receiving; for the wallet's own notes it is the mint's plain refusal.
fn refusal_for(kind: OpKind, code: ErrorCode, detail: String) -> WalletError {
    match code {
        ErrorCode::TokenAlreadySpent if kind != OpKind::Receive => WalletError::Mint { code, detail },
        ErrorCode::TokenAlreadySpent => WalletError::AlreadySpent,
        ErrorCode::QuoteNotPaid => WalletError::QuoteNotPaid,
        _ => WalletError::Mint { code, detail },
    }
}

/// What a swap-shaped request spends.
#[derive(Debug)]
pub(crate) enum Funding<'a> {
    /// `POST /v1/swap`: the wallet's own notes (reserved while it runs) and a token's notes.
    Swap {
        /// Own notes.
        own: &'a [NoteRecord],
        /// A received token's notes (without DLEQ proofs).
        foreign: Vec<Proof>,
    },
    /// `POST /v1/mint/{method}`: a mint quote, paid or paid first.
    Mint {
        /// The quote's payment method.
        method: PaymentMethod,
        /// The quote id.
        quote: String,
        /// The `POST /v1/bank/pay` body that pays it first, in the same op.
        pay: Option<String>,
        /// NUT-20: the key the quote is locked to; the journaled body carries its signature.
        lock: Option<SecretKey>,
    },
}

/// A swap-shaped operation: what it spends, the outputs it asks for in the mint's active keyset, and what it
/// records.
#[derive(Debug)]
pub(crate) struct Swap<'a> {
    /// The op kind, for recovery and for what the finished op writes.
    pub(crate) kind: OpKind,
    /// The mint.
    pub(crate) mint: &'a MintRecord,
    /// What is spent.
    pub(crate) funding: Funding<'a>,
    /// The outputs' amounts and where each goes.
    pub(crate) outputs: &'a [(Amount, Destination)],
    /// The pending send the `Send` outputs go to (or, for a reclaim, the send taken back).
    pub(crate) send_id: Option<String>,
    /// Memo of the send's token.
    pub(crate) memo: Option<String>,
    /// The history entry it updates.
    pub(crate) history: &'a HistoryEntry,
}

impl Swap<'_> {
    /// Journals the swap, sends it, and finishes, rolls back or leaves it pending. Returns the op as
    /// journaled (its outputs) and how it ended.
    pub(crate) async fn run(self, engine: &Engine) -> Result<(OpRecord, Outcome), WalletError> {
        if self.outputs.len() > MAX_OUTPUTS_PER_OP {
            return Err(WalletError::Invalid(format!(
                "This would need {} notes in one request; the wallet makes at most {MAX_OUTPUTS_PER_OP}.",
                self.outputs.len()
            )));
        }
        let seed = engine.seed().await?;
        let keyset = self.mint.active_keyset().ok_or_else(|| WalletError::UnknownMint(self.mint.url.to_string()))?;
        let first = engine.counter(&keyset.id).await?;
        let outputs = build_outputs(&seed, keyset.id, first, self.outputs)?;
        let messages = blinded_messages(&outputs);
        let (path, body, own, quote, pay) = match self.funding {
            Funding::Mint { method, quote, pay, lock } => {
                let mut request = MintRequest { quote: quote.clone(), outputs: messages, signature: None };
                if let Some(key) = lock {
                    request.signature = Some(shared::nuts::nut20::sign_mint_request(&key, &request)?);
                }
                let body = to_json(&request)?;
                (mint_path(&method), body, &[][..], Some(quote), pay)
            }
            Funding::Swap { own, foreign } => {
                let mut proofs: Vec<Proof> = own.iter().map(NoteRecord::to_input).collect();
                proofs.extend(foreign);
                let body = to_json(&SwapRequest { inputs: proofs, outputs: messages })?;
                ("/v1/swap".to_owned(), body, own, None, None)
            }
        };
        let op = OpRecord {
            id: new_id()?,
            kind: self.kind,
            mint: self.mint.url.clone(),
            path,
            body,
            inputs: own.iter().map(|n| n.y.clone()).collect(),
            outputs,
            send_id: self.send_id,
            quote,
            pay,
            memo: self.memo,
            history_id: self.history.id.clone(),
            created_at: engine.now_ms(),
        };
        start(engine, &op, own, self.history).await?;
        let outcome = drive(engine, &op).await?;
        Ok((op, outcome))
    }
}

/// Step 1: one commit of reservations, counter, op and history.
pub(crate) async fn start(
    engine: &Engine,
    op: &OpRecord,
    reserve: &[NoteRecord],
    history: &HistoryEntry,
) -> Result<(), WalletError> {
    let mut batch = Batch::new();
    for note in reserve {
        let mut note = note.clone();
        note.state = NoteState::Reserved(op.id.clone());
        batch.put(Table::Notes, note.y.clone(), &note)?;
    }
    if let Some(last) = op.outputs.iter().map(|o| (o.keyset_id, o.counter)).max_by_key(|(_, c)| *c) {
        let next = last.1.checked_add(1).ok_or_else(|| WalletError::Invalid("counter overflow".into()))?;
        if next > engine.counter(&last.0).await? {
            batch.put(Table::Counters, last.0.to_string(), &next)?;
        }
    }
    batch.put(Table::Ops, op.id.clone(), op)?;
    batch.put(Table::History, history.id.clone(), history)?;
    engine.store.commit(batch).await
}

/// Sets the status of history entry `id` in `batch`, its fee less `refund` (a melt's NUT-08 change). The
/// entry of an internal swap (to exact denominations before a melt) is removed instead: the melt's entry
/// tells the story, fee included.
async fn history_update(
    engine: &Engine,
    batch: &mut Batch,
    id: &str,
    status: HistoryStatus,
    refund: Amount,
) -> Result<(), WalletError> {
    let entry: Option<HistoryEntry> = get_json(&*engine.store, Table::History, id).await?;
    if entry.as_ref().is_some_and(|entry| entry.status == HistoryStatus::Internal) {
        batch.delete(Table::History, id.to_owned());
        return Ok(());
    }
    if let Some(mut entry) = entry {
        entry.status = status;
        entry.fee = entry.fee.checked_sub(refund).unwrap_or(Amount::ZERO);
        batch.put(Table::History, id.to_owned(), &entry)?;
    }
    Ok(())
}

/// Steps 2 and 3: sends the op's request (a bank payment first, when the op holds one) and finishes,
/// rolls back or leaves it pending.
pub(crate) async fn drive(engine: &Engine, op: &OpRecord) -> Result<Outcome, WalletError> {
    let paid;
    let op = match &op.pay {
        None => op,
        Some(pay) => match pay_first(engine, op, pay).await? {
            Some(outcome) => return Ok(outcome),
            None => {
                paid = OpRecord { pay: None, ..op.clone() };
                let mut batch = Batch::new();
                batch.put(Table::Ops, paid.id.clone(), &paid)?;
                engine.store.commit(batch).await?;
                &paid
            }
        },
    };
    match engine.connector.post(op.mint.as_str(), &op.path, &op.body).await {
        Ok(text) => on_answer(engine, op, &text).await,
        Err(error @ WalletError::Network { .. }) => Ok(Outcome::Pending(error)),
        Err(WalletError::Mint { code, detail }) => on_refusal(engine, op, code, detail).await,
        Err(other) => Err(other),
    }
}

/// Pays a mint op's `bank` quote (`POST /v1/bank/pay` with the stored body). `None` once the quote is
/// paid (this time, before, or the answer lost: the quote's state tells); else how the op ends for now:
/// rolled back when the mint refused and the quote is unpaid, pending when no verdict came.
async fn pay_first(engine: &Engine, op: &OpRecord, pay: &str) -> Result<Option<Outcome>, WalletError> {
    let error = match engine.connector.post(op.mint.as_str(), "/v1/bank/pay", pay).await {
        Ok(_) => return Ok(None),
        Err(error @ (WalletError::Network { .. } | WalletError::Mint { .. })) => error,
        Err(other) => return Err(other),
    };
    let quote = op.quote.clone().unwrap_or_default();
    let state: MintQuoteBolt11Response =
        match engine.get_as(&op.mint, &mint_quote_state_path(&PaymentMethod::Bank, &quote)).await {
            Ok(state) => state,
            Err(error @ WalletError::Network { .. }) => return Ok(Some(Outcome::Pending(error))),
            Err(other) => return Err(other),
        };
    match (state.state, &error) {
        (MintQuoteState::Paid | MintQuoteState::Issued, _) => Ok(None),
        (MintQuoteState::Unpaid, WalletError::Mint { .. }) => {
            roll_back(engine, op).await?;
            Ok(Some(Outcome::RolledBack(error)))
        }
        (MintQuoteState::Unpaid, _) => Ok(Some(Outcome::Pending(error))),
    }
}

async fn on_answer(engine: &Engine, op: &OpRecord, text: &str) -> Result<Outcome, WalletError> {
    if op.kind == OpKind::Melt {
        let answer: MeltQuoteBolt11Response = serde_json::from_str(text).map_err(bad_response)?;
        return on_melt_state(engine, op, answer.state, answer.change, None).await;
    }
    let answer: SwapResponse = serde_json::from_str(text).map_err(bad_response)?;
    if answer.signatures.len() != op.outputs.len() {
        return Err(WalletError::BadResponse("the mint signed a different number of outputs".into()));
    }
    let pairs = op.outputs.iter().cloned().zip(answer.signatures).collect();
    finish(engine, op, pairs).await.map(Outcome::Done)
}

/// A melt in `state`; `change` is what the mint's answer carried (NUT-08), if anything.
async fn on_melt_state(
    engine: &Engine,
    op: &OpRecord,
    state: MeltQuoteState,
    change: Option<Vec<BlindSignature>>,
    refusal: Option<WalletError>,
) -> Result<Outcome, WalletError> {
    match state {
        MeltQuoteState::Paid => match melt_change(engine, op, change).await? {
            Some(pairs) => finish(engine, op, pairs).await.map(Outcome::Done),
            None => Ok(Outcome::Pending(WalletError::Pending)),
        },
        MeltQuoteState::Pending => Ok(Outcome::Pending(WalletError::Pending)),
        MeltQuoteState::Unpaid => {
            let error = refusal
                .unwrap_or_else(|| WalletError::Mint { code: ErrorCode::Unknown(0), detail: "payment failed".into() });
            roll_back(engine, op).await?;
            Ok(Outcome::RolledBack(error))
        }
    }
}

/// NUT-08: the change of a paid melt, each signature with the blank output it signs (its amount the
/// mint's). The answer's `change` signs the first blank outputs in order; without one (an answer that
/// carried none, a mint whose quote state omits it), `/v1/restore` finds the signed blanks by their `B'`.
/// `None` when the mint could not be asked (the op stays pending).
async fn melt_change(
    engine: &Engine,
    op: &OpRecord,
    change: Option<Vec<BlindSignature>>,
) -> Result<Option<Vec<(OutputRecord, BlindSignature)>>, WalletError> {
    if op.outputs.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let pairs: Vec<(OutputRecord, BlindSignature)> = match change {
        Some(change) => {
            if change.len() > op.outputs.len() {
                return Err(WalletError::BadResponse("the mint returned more change than blank outputs".into()));
            }
            op.outputs.iter().cloned().zip(change).collect()
        }
        None => {
            let request = RestoreRequest { outputs: blinded_messages(&op.outputs) };
            let restored: RestoreResponse = match engine.post_as(&op.mint, "/v1/restore", &request).await {
                Ok(restored) => restored,
                Err(WalletError::Network { .. }) => return Ok(None),
                Err(other) => return Err(other),
            };
            let mut pairs = Vec::new();
            for (message, signature) in restored.outputs.iter().zip(restored.signatures) {
                if let Some(output) = op.outputs.iter().find(|o| o.blinded == message.blinded_secret) {
                    pairs.push((output.clone(), signature));
                }
            }
            pairs
        }
    };
    // A blank output's amount is the mint's to choose.
    Ok(Some(
        pairs
            .into_iter()
            .map(|(output, signature)| (OutputRecord { amount: signature.amount, ..output }, signature))
            .collect(),
    ))
}

async fn on_refusal(engine: &Engine, op: &OpRecord, code: ErrorCode, detail: String) -> Result<Outcome, WalletError> {
    if op.kind == OpKind::Melt {
        if code == ErrorCode::TokenPending || code == ErrorCode::QuotePending {
            return Ok(Outcome::Pending(WalletError::Pending));
        }
        let quote = op.quote.clone().unwrap_or_default();
        let method =
            melt_method(&op.path).ok_or_else(|| WalletError::Storage(format!("a melt op with path {:?}", op.path)))?;
        let state: MeltQuoteBolt11Response =
            match engine.get_as(&op.mint, &melt_quote_state_path(&method, &quote)).await {
                Ok(state) => state,
                Err(error @ WalletError::Network { .. }) => return Ok(Outcome::Pending(error)),
                // A mint deletes only unpaid quotes (once expired): nothing was paid.
                Err(WalletError::Mint { code: ErrorCode::QuoteNotFound, .. }) => {
                    roll_back(engine, op).await?;
                    return Ok(Outcome::RolledBack(refusal_for(op.kind, code, detail)));
                }
                Err(other) => return Err(other),
            };
        if state.state == MeltQuoteState::Unpaid && code == ErrorCode::TokenAlreadySpent {
            // Our inputs went elsewhere (another device with the same seed): settle them by their state.
            return give_up_spent(engine, op, refusal_for(op.kind, code, detail)).await;
        }
        return on_melt_state(engine, op, state.state, state.change, Some(refusal_for(op.kind, code, detail))).await;
    }
    let spent =
        matches!(code, ErrorCode::TokenAlreadySpent | ErrorCode::TokensAlreadyIssued | ErrorCode::OutputsAlreadySigned);
    if matches!(code, ErrorCode::TokenPending | ErrorCode::QuotePending | ErrorCode::OutputsPending) {
        return Ok(Outcome::Pending(WalletError::Pending));
    }
    if !spent && !WalletError::is_definitive_refusal(code) {
        // Pending at the mint, or a code that proves nothing: resend the identical body later (NUT-19).
        return Ok(Outcome::Pending(WalletError::Mint { code, detail }));
    }
    // Whatever the code, outputs the mint signed are ours: look them up by their stored `B'` first.
    let request = RestoreRequest { outputs: blinded_messages(&op.outputs) };
    let restored: RestoreResponse = match engine.post_as(&op.mint, "/v1/restore", &request).await {
        Ok(restored) => restored,
        Err(error @ WalletError::Network { .. }) => return Ok(Outcome::Pending(error)),
        Err(other) => return Err(other),
    };
    let mut pairs = Vec::new();
    for (message, signature) in restored.outputs.iter().zip(restored.signatures) {
        if let Some(output) = op.outputs.iter().find(|o| o.blinded == message.blinded_secret) {
            pairs.push((output.clone(), signature));
        }
    }
    if !pairs.is_empty() {
        finish(engine, op, pairs).await.map(Outcome::Done)
    } else if spent {
        give_up_spent(engine, op, refusal_for(op.kind, code, detail)).await
    } else {
        roll_back(engine, op).await?;
        Ok(Outcome::RolledBack(refusal_for(op.kind, code, detail)))
    }
}

/// The mint will never sign this op's outputs because its inputs were spent elsewhere: delete the
/// inputs the mint reports spent, release the others, drop the op.
async fn give_up_spent(engine: &Engine, op: &OpRecord, error: WalletError) -> Result<Outcome, WalletError> {
    let notes = engine.all_notes().await?;
    let inputs: Vec<&NoteRecord> = notes.iter().filter(|n| op.inputs.contains(&n.y)).collect();
    let states = if inputs.is_empty() {
        Vec::new()
    } else {
        let ys = inputs.iter().map(|n| PublicKey::from_hex(&n.y)).collect::<Result<Vec<_>, _>>()?;
        match engine.post_as::<CheckStateResponse>(&op.mint, "/v1/checkstate", &CheckStateRequest { ys }).await {
            Ok(response) => response.states,
            Err(error @ WalletError::Network { .. }) => return Ok(Outcome::Pending(error)),
            Err(other) => return Err(other),
        }
    };
    let mut batch = Batch::new();
    for note in inputs {
        let spent = states.iter().any(|s| s.y.to_hex() == note.y && s.state == State::Spent);
        if spent {
            batch.delete(Table::Notes, note.y.clone());
        } else {
            let mut note = note.clone();
            note.state = released_state(op);
            batch.put(Table::Notes, note.y.clone(), &note)?;
        }
    }
    rewind_counter(engine, &mut batch, op).await?;
    batch.delete(Table::Ops, op.id.clone());
    history_update(engine, &mut batch, &op.history_id, HistoryStatus::Failed, Amount::ZERO).await?;
    engine.store.commit(batch).await?;
    Ok(Outcome::RolledBack(error))
}

/// Gives the op's derivation counters back when no later op took any: the mint signed none of its
/// outputs (checked by `B'` before every undo) and never will, so the next op reuses them and leaves no
/// gap for a restore ([`super::restore`]) to cross.
async fn rewind_counter(engine: &Engine, batch: &mut Batch, op: &OpRecord) -> Result<(), WalletError> {
    let (Some(first), Some(last)) =
        (op.outputs.iter().min_by_key(|o| o.counter), op.outputs.iter().max_by_key(|o| o.counter))
    else {
        return Ok(());
    };
    if engine.counter(&first.keyset_id).await? == last.counter.saturating_add(1) {
        batch.put(Table::Counters, first.keyset_id.to_string(), &first.counter)?;
    }
    Ok(())
}

/// Where an op's inputs go back to when it is undone: a reclaim's to its pending send, others' to spendable.
fn released_state(op: &OpRecord) -> NoteState {
    match (&op.kind, &op.send_id) {
        (OpKind::Reclaim, Some(send)) => NoteState::PendingSend(send.clone()),
        _ => NoteState::Unspent,
    }
}

/// Undoes an op the mint refused for good: inputs released, op deleted, history `failed`.
async fn roll_back(engine: &Engine, op: &OpRecord) -> Result<(), WalletError> {
    let mut batch = Batch::new();
    for note in engine.all_notes().await?.into_iter().filter(|n| op.inputs.contains(&n.y)) {
        let mut note = note;
        note.state = released_state(op);
        batch.put(Table::Notes, note.y.clone(), &note)?;
    }
    rewind_counter(engine, &mut batch, op).await?;
    batch.delete(Table::Ops, op.id.clone());
    history_update(engine, &mut batch, &op.history_id, HistoryStatus::Failed, Amount::ZERO).await?;
    engine.store.commit(batch).await
}

/// Unblinds the signed outputs and commits the result with the op's end.
async fn finish(
    engine: &Engine,
    op: &OpRecord,
    pairs: Vec<(OutputRecord, BlindSignature)>,
) -> Result<Vec<NoteRecord>, WalletError> {
    let mut record = engine.mint_record(op.mint.as_str()).await?;
    let mut notes = Vec::new();
    for (output, signature) in &pairs {
        if signature.amount != output.amount {
            return Err(WalletError::BadResponse("a signature is for another amount".into()));
        }
        let keyset = keyset_keys(engine, &mut record, &output.keyset_id).await?;
        let state = match (output.destination, &op.send_id) {
            (Destination::Send, Some(send)) => NoteState::PendingSend(send.clone()),
            _ => NoteState::Unspent,
        };
        notes.push(unblind(&op.mint, output, signature, &keyset, state)?);
    }
    let mut batch = Batch::new();
    for y in &op.inputs {
        batch.delete(Table::Notes, y.clone());
    }
    for note in &notes {
        batch.put(Table::Notes, note.y.clone(), note)?;
    }
    match (op.kind, &op.send_id) {
        (OpKind::SwapForSend, Some(send_id)) => {
            let sent: Vec<NoteRecord> =
                notes.iter().filter(|n| n.state == NoteState::PendingSend(send_id.clone())).cloned().collect();
            let send = send_record(&op.mint, send_id, &sent, op.memo.clone(), op.created_at)?;
            batch.put(Table::Sends, send_id.clone(), &send)?;
        }
        (OpKind::Reclaim, Some(send_id)) => {
            batch.delete(Table::Sends, send_id.clone());
        }
        // The quote is issued: recovery no longer looks at it.
        (OpKind::Mint, _) => {
            let key = quote_key(&op.mint, op.quote.as_deref().unwrap_or_default());
            if let Some(mut quote) = get_json::<QuoteRecord>(&*engine.store, Table::Meta, &key).await? {
                quote.issued = true;
                batch.put(Table::Meta, key, &quote)?;
            }
        }
        _ => {}
    }
    batch.delete(Table::Ops, op.id.clone());
    // A melt's notes are its change, which comes off the fee its entry started with.
    let refund = if op.kind == OpKind::Melt { sum(&notes)? } else { Amount::ZERO };
    history_update(engine, &mut batch, &op.history_id, HistoryStatus::Done, refund).await?;
    engine.store.commit(batch).await?;
    Ok(notes)
}

/// The pending send of `notes`, with its token.
pub(crate) fn send_record(
    mint: &MintUrl,
    send_id: &str,
    notes: &[NoteRecord],
    memo: Option<String>,
    created_at: f64,
) -> Result<SendRecord, WalletError> {
    let proofs = notes.iter().map(NoteRecord::to_token_proof).collect();
    let token = Token::new(mint.as_str(), proofs, memo, CurrencyUnit::Sat).encode()?;
    Ok(SendRecord {
        id: send_id.to_owned(),
        mint: mint.clone(),
        amount: sum(notes)?,
        token,
        ys: notes.iter().map(|n| n.y.clone()).collect(),
        created_at,
    })
}
