//! The operations behind [`Wallet`]'s methods, and the journal that makes them crash safe.
//!
//! Every operation that talks to a mint about money follows one pattern:
//! 1. **Start** (one store commit): reserve the input notes (`reserved(op)`), advance the derivation counter
//!    past the outputs, write the op record with the exact request body and the outputs' secrets and
//!    blinding factors, and a `pending` history entry.
//! 2. **Send** the request.
//! 3. **Finish** (one store commit): the new notes, the inputs deleted, the op deleted, history `done`.
//!    Or, on a definitive refusal by the mint, **roll back** (one commit): inputs released, op deleted,
//!    history `failed`. A network failure changes nothing: the op stays and [`Wallet::recover`] resends the
//!    identical body later (NUT-19 gives the same answer). When the mint says the inputs are spent or the
//!    quote issued (11001, 20002), the outputs are looked up with `/v1/restore` by their stored `B'`.

use shared::derivation::WalletSeed;
use shared::nuts::bank::{BankPayRequest, MeltQuoteBankRequest};
use shared::nuts::{
    BlindSignature, CheckStateRequest, CheckStateResponse, KeysResponse, KeysetResponse, MeltQuoteBolt11Response,
    MeltQuoteState, MeltRequest, MintInfo, MintQuoteBolt11Request, MintQuoteBolt11Response, MintRequest,
    RestoreRequest, RestoreResponse, State, SwapRequest, SwapResponse,
};
use shared::{Amount, CurrencyUnit, Id, KeySet, PublicKey, SecretKey, Token};

use super::crypto::{blinded_messages, build_outputs, unblind};
use super::records::{
    CASHU, Destination, MintRecord, NoteRecord, NoteState, NoteSummary, OpKind, OpRecord, OutputRecord, QuoteRecord,
    SendRecord,
};
use super::select::{self, Candidate};
use super::{HistoryEntry, HistoryKind, MintView, RecoveryReport, Wallet};
use crate::WalletError;
use crate::platform::now_ms;
use crate::store::{Batch, Table, get_all_json, get_json};

/// Outputs per `/v1/restore` request.
pub const RESTORE_BATCH: u32 = 100;
/// A restore stops after this many batches in a row without a known output.
pub const RESTORE_EMPTY_BATCHES: u32 = 3;
/// Domain separator of the bank account key: `HMAC-SHA256(seed, tag)` is the account's secret key.
pub const ACCOUNT_KEY_TAG: &[u8] = b"chaumian-cash/bank/account-key/v1";
/// Status of the history entry of an internal operation while it runs (removed when it ends).
const INTERNAL: &str = "internal";
/// The meta record holding the mnemonic.
pub const MNEMONIC_KEY: &str = "mnemonic";

/// Cashu error codes the journal reacts to.
mod code {
    pub const TOKEN_ALREADY_SPENT: u16 = 11001;
    pub const TOKEN_PENDING: u16 = 11002;
    pub const OUTPUTS_ALREADY_SIGNED: u16 = 11003;
    pub const QUOTE_NOT_PAID: u16 = 20001;
    pub const TOKENS_ALREADY_ISSUED: u16 = 20002;
    pub const QUOTE_PENDING: u16 = 20005;
}

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

fn storage(error: impl std::fmt::Display) -> WalletError {
    WalletError::Storage(error.to_string())
}

fn bad_response(error: impl std::fmt::Display) -> WalletError {
    WalletError::BadResponse(error.to_string())
}

/// A fresh random id (128 bits, hex).
pub(crate) fn new_id() -> Result<String, WalletError> {
    let secret = shared::Secret::generate()?;
    Ok(secret.as_str().chars().take(32).collect())
}

/// The wallet's error for a mint's refusal of an op of `kind`. "Already spent" means a redeemed token only
/// when receiving; for the wallet's own notes it is the mint's plain refusal.
pub(crate) fn refusal_for(kind: OpKind, code: u16, detail: String) -> WalletError {
    match code {
        code::TOKEN_ALREADY_SPENT if kind != OpKind::Receive => WalletError::Mint { code, detail },
        _ => refusal(code, detail),
    }
}

/// The wallet's error for a mint's refusal.
pub(crate) fn refusal(code: u16, detail: String) -> WalletError {
    match code {
        code::TOKEN_ALREADY_SPENT => WalletError::AlreadySpent,
        code::QUOTE_NOT_PAID => WalletError::QuoteNotPaid,
        _ => WalletError::Mint { code, detail },
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, WalletError> {
    serde_json::to_string(value).map_err(storage)
}

fn candidates(record: &MintRecord, notes: &[NoteRecord]) -> Vec<Candidate> {
    notes.iter().map(|n| Candidate { amount: n.amount, fee_ppk: record.fee_ppk(&n.keyset_id) }).collect()
}

fn sum(notes: &[NoteRecord]) -> Result<Amount, WalletError> {
    Ok(Amount::try_sum(notes.iter().map(|n| n.amount))?)
}

impl Wallet {
    // ---------- reading ----------

    pub(crate) async fn seed(&self) -> Result<WalletSeed, WalletError> {
        if let Some(seed) = self.inner.seed.borrow().as_ref() {
            return Ok(seed.clone());
        }
        let phrase: String =
            get_json(&*self.inner.store, Table::Meta, MNEMONIC_KEY).await?.ok_or(WalletError::NoSeed)?;
        let mnemonic = shared::derivation::parse_mnemonic(&phrase).map_err(|_| WalletError::InvalidMnemonic)?;
        let seed = WalletSeed::from_mnemonic(&mnemonic);
        *self.inner.seed.borrow_mut() = Some(seed.clone());
        Ok(seed)
    }

    pub(crate) async fn account_key(&self) -> Result<SecretKey, WalletError> {
        use hmac::{Hmac, KeyInit, Mac};
        let seed = self.seed().await?;
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(seed.as_bytes()).map_err(storage)?;
        mac.update(ACCOUNT_KEY_TAG);
        let bytes: [u8; 32] = mac.finalize().into_bytes().into();
        Ok(SecretKey::from_slice(&bytes)?)
    }

    pub(crate) async fn all_notes(&self) -> Result<Vec<NoteRecord>, WalletError> {
        get_all_json(&*self.inner.store, Table::Notes).await
    }

    async fn unspent_notes(&self, mint: &str) -> Result<Vec<NoteRecord>, WalletError> {
        Ok(self
            .all_notes()
            .await?
            .into_iter()
            .filter(|n| n.mint == mint && n.state == NoteState::Unspent && n.kind == CASHU)
            .collect())
    }

    pub(crate) async fn mint_record(&self, url: &str) -> Result<MintRecord, WalletError> {
        let url = crate::connector::normalize_url(url);
        get_json(&*self.inner.store, Table::Mints, &url).await?.ok_or(WalletError::UnknownMint(url))
    }

    async fn counter(&self, keyset: &Id) -> Result<u32, WalletError> {
        Ok(get_json(&*self.inner.store, Table::Counters, &keyset.to_string()).await?.unwrap_or(0))
    }

    async fn get_as<T: serde::de::DeserializeOwned>(&self, mint: &str, path: &str) -> Result<T, WalletError> {
        let text = self.inner.connector.get(mint, path).await?;
        serde_json::from_str(&text).map_err(bad_response)
    }

    async fn post_as<T: serde::de::DeserializeOwned>(
        &self,
        mint: &str,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, WalletError> {
        let text = self.inner.connector.post(mint, path, &to_json(body)?).await?;
        serde_json::from_str(&text).map_err(bad_response)
    }

    pub(crate) fn mint_view(record: &MintRecord, notes: &[NoteSummary]) -> Result<MintView, WalletError> {
        let of_mint = notes.iter().filter(|n| n.mint == record.url);
        let (spendable, pending): (Vec<&NoteSummary>, Vec<&NoteSummary>) =
            of_mint.partition(|n| n.state == NoteState::Unspent);
        let mut methods: Vec<String> = record.info.nuts.nut04.methods.iter().map(|m| m.method.clone()).collect();
        methods.dedup();
        let active = record.active_keyset();
        Ok(MintView {
            url: record.url.clone(),
            name: record.info.name.clone(),
            description: record.info.description.clone(),
            unit: active.map(|k| k.unit.to_string()).unwrap_or_else(|| "sat".to_owned()),
            balance: Amount::try_sum(spendable.iter().map(|n| n.amount))?,
            pending: Amount::try_sum(pending.iter().map(|n| n.amount))?,
            methods,
            input_fee_ppk: active.map(|k| record.fee_ppk(&k.id)).unwrap_or(0),
            motd: record.info.motd.clone(),
        })
    }

    // ---------- mints ----------

    pub(crate) async fn add_mint_inner(&self, url: &str) -> Result<MintRecord, WalletError> {
        let url = crate::connector::normalize_url(url);
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(WalletError::Invalid(format!("A mint address starts with https:// (got {url:?}).")));
        }
        let info: MintInfo = self.get_as(&url, "/v1/info").await?;
        let keysets: KeysetResponse = self.get_as(&url, "/v1/keysets").await?;
        let keys: KeysResponse = self.get_as(&url, "/v1/keys").await?;
        let previous: Option<MintRecord> = get_json(&*self.inner.store, Table::Mints, &url).await?;
        let mut record = MintRecord { url: url.clone(), info, keysets: keysets.keysets, keys: Vec::new() };
        for keyset in keys.keysets.into_iter().chain(previous.into_iter().flat_map(|p| p.keys)) {
            if keyset.verify_id().is_ok() && record.keyset(&keyset.id).is_none() {
                record.keys.push(keyset);
            }
        }
        if record.active_keyset().is_none() {
            return Err(WalletError::BadResponse("the mint has no active keyset in sat with valid keys".into()));
        }
        let mut batch = Batch::new();
        batch.put(Table::Mints, url, &record)?;
        self.inner.store.commit(batch).await?;
        Ok(record)
    }

    /// The keys of keyset `id`, fetched (and stored) when not yet known.
    async fn keyset_keys(&self, record: &mut MintRecord, id: &Id) -> Result<KeySet, WalletError> {
        if let Some(keyset) = record.keyset(id) {
            return Ok(keyset.clone());
        }
        let response: KeysResponse = self.get_as(&record.url, &format!("/v1/keys/{id}")).await?;
        let keyset = response
            .keysets
            .into_iter()
            .find(|k| k.id == *id)
            .ok_or_else(|| WalletError::BadResponse(format!("the mint sent no keys for keyset {id}")))?;
        keyset.verify_id()?;
        record.keys.push(keyset.clone());
        if !record.keysets.iter().any(|k| k.id == *id) {
            record.keysets.push(keyset.info());
        }
        let mut batch = Batch::new();
        batch.put(Table::Mints, record.url.clone(), record)?;
        self.inner.store.commit(batch).await?;
        Ok(keyset)
    }

    // ---------- the journal ----------

    /// Step 1: one commit of reservations, counter, op and history.
    async fn start_op(&self, op: &OpRecord, reserve: &[NoteRecord], history: &HistoryEntry) -> Result<(), WalletError> {
        let mut batch = Batch::new();
        for note in reserve {
            let mut note = note.clone();
            note.state = NoteState::Reserved(op.id.clone());
            batch.put(Table::Notes, note.y.clone(), &note)?;
        }
        if let Some(last) = op.outputs.iter().map(|o| (o.keyset_id, o.counter)).max_by_key(|(_, c)| *c) {
            let next = last.1.checked_add(1).ok_or_else(|| WalletError::Invalid("counter overflow".into()))?;
            if next > self.counter(&last.0).await? {
                batch.put(Table::Counters, last.0.to_string(), &next)?;
            }
        }
        batch.put(Table::Ops, op.id.clone(), op)?;
        batch.put(Table::History, history.id.clone(), history)?;
        self.inner.store.commit(batch).await
    }

    /// Sets the status of history entry `id` in `batch`. The entry of an internal swap (to exact
    /// denominations before a melt) is removed instead: the melt's entry tells the story, fee included.
    async fn history_update(&self, batch: &mut Batch, id: &str, status: &str) -> Result<(), WalletError> {
        let entry: Option<HistoryEntry> = get_json(&*self.inner.store, Table::History, id).await?;
        if entry.as_ref().is_some_and(|entry| entry.status == INTERNAL) {
            batch.delete(Table::History, id.to_owned());
            return Ok(());
        }
        if let Some(mut entry) = entry {
            entry.status = status.to_owned();
            batch.put(Table::History, id.to_owned(), &entry)?;
        }
        Ok(())
    }

    /// Steps 2 and 3: sends the op's request and finishes, rolls back or leaves it pending.
    pub(crate) async fn drive(&self, op: &OpRecord) -> Result<Outcome, WalletError> {
        match self.inner.connector.post(&op.mint, &op.path, &op.body).await {
            Ok(text) => self.on_answer(op, &text).await,
            Err(error @ WalletError::Network { .. }) => Ok(Outcome::Pending(error)),
            Err(WalletError::Mint { code, detail }) => self.on_refusal(op, code, detail).await,
            Err(other) => Err(other),
        }
    }

    async fn on_answer(&self, op: &OpRecord, text: &str) -> Result<Outcome, WalletError> {
        if op.kind == OpKind::Melt {
            let answer: MeltQuoteBolt11Response = serde_json::from_str(text).map_err(bad_response)?;
            return self.on_melt_state(op, answer.state, None).await;
        }
        let answer: SwapResponse = serde_json::from_str(text).map_err(bad_response)?;
        if answer.signatures.len() != op.outputs.len() {
            return Err(WalletError::BadResponse("the mint signed a different number of outputs".into()));
        }
        let pairs = op.outputs.iter().cloned().zip(answer.signatures).collect();
        self.finish(op, pairs).await.map(Outcome::Done)
    }

    async fn on_melt_state(
        &self,
        op: &OpRecord,
        state: MeltQuoteState,
        refusal: Option<WalletError>,
    ) -> Result<Outcome, WalletError> {
        match state {
            MeltQuoteState::Paid => self.finish(op, Vec::new()).await.map(Outcome::Done),
            MeltQuoteState::Pending => Ok(Outcome::Pending(WalletError::Pending)),
            MeltQuoteState::Unpaid => {
                let error = refusal.unwrap_or_else(|| WalletError::Mint { code: 0, detail: "payment failed".into() });
                self.roll_back(op).await?;
                Ok(Outcome::RolledBack(error))
            }
        }
    }

    async fn on_refusal(&self, op: &OpRecord, code: u16, detail: String) -> Result<Outcome, WalletError> {
        if op.kind == OpKind::Melt {
            if code == code::TOKEN_PENDING || code == code::QUOTE_PENDING {
                return Ok(Outcome::Pending(WalletError::Pending));
            }
            let quote = op.quote.clone().unwrap_or_default();
            let state: MeltQuoteBolt11Response =
                match self.get_as(&op.mint, &format!("/v1/melt/quote/bank/{quote}")).await {
                    Ok(state) => state,
                    Err(error @ WalletError::Network { .. }) => return Ok(Outcome::Pending(error)),
                    Err(other) => return Err(other),
                };
            if state.state == MeltQuoteState::Unpaid && code == code::TOKEN_ALREADY_SPENT {
                // Our inputs went elsewhere (another device with the same seed): settle them by their state.
                return self.give_up_spent(op, refusal_for(op.kind, code, detail)).await;
            }
            return self.on_melt_state(op, state.state, Some(refusal_for(op.kind, code, detail))).await;
        }
        match code {
            code::TOKEN_PENDING | code::QUOTE_PENDING => Ok(Outcome::Pending(WalletError::Pending)),
            code::TOKEN_ALREADY_SPENT | code::TOKENS_ALREADY_ISSUED | code::OUTPUTS_ALREADY_SIGNED => {
                let request = RestoreRequest { outputs: blinded_messages(&op.outputs) };
                let restored: RestoreResponse = match self.post_as(&op.mint, "/v1/restore", &request).await {
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
                if pairs.is_empty() {
                    self.give_up_spent(op, refusal_for(op.kind, code, detail)).await
                } else {
                    self.finish(op, pairs).await.map(Outcome::Done)
                }
            }
            _ => {
                self.roll_back(op).await?;
                Ok(Outcome::RolledBack(refusal_for(op.kind, code, detail)))
            }
        }
    }

    /// The mint will never sign this op's outputs because its inputs were spent elsewhere: delete the
    /// inputs the mint reports spent, release the others, drop the op.
    async fn give_up_spent(&self, op: &OpRecord, error: WalletError) -> Result<Outcome, WalletError> {
        let notes = self.all_notes().await?;
        let inputs: Vec<&NoteRecord> = notes.iter().filter(|n| op.inputs.contains(&n.y)).collect();
        let states = if inputs.is_empty() {
            Vec::new()
        } else {
            let ys = inputs.iter().map(|n| PublicKey::from_hex(&n.y)).collect::<Result<Vec<_>, _>>()?;
            match self.post_as::<CheckStateResponse>(&op.mint, "/v1/checkstate", &CheckStateRequest { ys }).await {
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
                note.state = self.released_state(op);
                batch.put(Table::Notes, note.y.clone(), &note)?;
            }
        }
        batch.delete(Table::Ops, op.id.clone());
        self.history_update(&mut batch, &op.history_id, "failed").await?;
        self.inner.store.commit(batch).await?;
        Ok(Outcome::RolledBack(error))
    }

    fn released_state(&self, op: &OpRecord) -> NoteState {
        match (&op.kind, &op.send_id) {
            (OpKind::Reclaim, Some(send)) => NoteState::PendingSend(send.clone()),
            _ => NoteState::Unspent,
        }
    }

    /// Undoes an op the mint refused for good: inputs released, op deleted, history `failed`.
    async fn roll_back(&self, op: &OpRecord) -> Result<(), WalletError> {
        let mut batch = Batch::new();
        for note in self.all_notes().await?.into_iter().filter(|n| op.inputs.contains(&n.y)) {
            let mut note = note;
            note.state = self.released_state(op);
            batch.put(Table::Notes, note.y.clone(), &note)?;
        }
        batch.delete(Table::Ops, op.id.clone());
        self.history_update(&mut batch, &op.history_id, "failed").await?;
        self.inner.store.commit(batch).await
    }

    /// Unblinds the signed outputs and commits the result with the op's end.
    async fn finish(
        &self,
        op: &OpRecord,
        pairs: Vec<(OutputRecord, BlindSignature)>,
    ) -> Result<Vec<NoteRecord>, WalletError> {
        let mut record = self.mint_record(&op.mint).await?;
        let mut notes = Vec::new();
        for (output, signature) in &pairs {
            if signature.amount != output.amount {
                return Err(WalletError::BadResponse("a signature is for another amount".into()));
            }
            let keyset = self.keyset_keys(&mut record, &output.keyset_id).await?;
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
                let send = self.send_record(&op.mint, send_id, &sent, op.memo.clone(), op.created_at)?;
                batch.put(Table::Sends, send_id.clone(), &send)?;
            }
            (OpKind::Reclaim, Some(send_id)) => {
                batch.delete(Table::Sends, send_id.clone());
            }
            _ => {}
        }
        batch.delete(Table::Ops, op.id.clone());
        self.history_update(&mut batch, &op.history_id, "done").await?;
        self.inner.store.commit(batch).await?;
        Ok(notes)
    }

    fn send_record(
        &self,
        mint: &str,
        send_id: &str,
        notes: &[NoteRecord],
        memo: Option<String>,
        created_at: f64,
    ) -> Result<SendRecord, WalletError> {
        let proofs = notes.iter().map(NoteRecord::to_token_proof).collect();
        let token = Token::new(mint, proofs, memo, CurrencyUnit::Sat).encode()?;
        Ok(SendRecord {
            id: send_id.to_owned(),
            mint: mint.to_owned(),
            amount: sum(notes)?,
            token,
            ys: notes.iter().map(|n| n.y.clone()).collect(),
            created_at,
        })
    }

    fn new_entry(
        kind: HistoryKind,
        mint: &str,
        amount: Amount,
        fee: Amount,
        memo: Option<String>,
    ) -> Result<HistoryEntry, WalletError> {
        Ok(HistoryEntry {
            id: new_id()?,
            at: now_ms(),
            kind,
            mint: mint.to_owned(),
            amount,
            fee,
            status: "pending".to_owned(),
            memo,
        })
    }

    /// A swap-shaped op (swap, mint) of `inputs` into outputs `amounts` in the mint's active keyset.
    #[allow(clippy::too_many_arguments)]
    async fn swap_op(
        &self,
        kind: OpKind,
        record: &MintRecord,
        path: &str,
        inputs: &[NoteRecord],
        foreign_inputs: Vec<shared::Proof>,
        amounts: &[(Amount, Destination)],
        send_id: Option<String>,
        quote: Option<String>,
        memo: Option<String>,
        history: &HistoryEntry,
    ) -> Result<(OpRecord, Outcome), WalletError> {
        let seed = self.seed().await?;
        let keyset = record.active_keyset().ok_or_else(|| WalletError::UnknownMint(record.url.clone()))?;
        let first = self.counter(&keyset.id).await?;
        let outputs = build_outputs(&seed, keyset.id, first, amounts)?;
        let messages = blinded_messages(&outputs);
        let body = match &quote {
            Some(quote) if kind == OpKind::Mint => {
                to_json(&MintRequest { quote: quote.clone(), outputs: messages, signature: None })?
            }
            _ => {
                let mut proofs: Vec<shared::Proof> = inputs.iter().map(NoteRecord::to_input).collect();
                proofs.extend(foreign_inputs);
                to_json(&SwapRequest { inputs: proofs, outputs: messages })?
            }
        };
        let op = OpRecord {
            id: new_id()?,
            kind,
            mint: record.url.clone(),
            path: path.to_owned(),
            body,
            inputs: inputs.iter().map(|n| n.y.clone()).collect(),
            outputs,
            send_id,
            quote,
            memo,
            history_id: history.id.clone(),
            created_at: now_ms(),
        };
        self.start_op(&op, inputs, history).await?;
        let outcome = self.drive(&op).await?;
        Ok((op, outcome))
    }

    fn max_denomination(record: &MintRecord) -> Result<Amount, WalletError> {
        record
            .active_keyset()
            .and_then(|k| k.keys.max_amount())
            .ok_or_else(|| WalletError::UnknownMint(record.url.clone()))
    }

    // ---------- operations (the caller holds the lock) ----------

    pub(crate) async fn recover_inner(&self) -> Result<RecoveryReport, WalletError> {
        let mut report = RecoveryReport::default();
        let ops: Vec<OpRecord> = get_all_json(&*self.inner.store, Table::Ops).await?;
        for op in &ops {
            if op.kind == OpKind::Restore {
                match self.restore_inner(&op.mint).await {
                    Ok(_) => report.finished += 1,
                    Err(_) => report.still_pending += 1,
                }
                continue;
            }
            match self.drive(op).await {
                Ok(Outcome::Done(_)) => report.finished += 1,
                Ok(Outcome::RolledBack(_)) => report.rolled_back += 1,
                Ok(Outcome::Pending(_)) | Err(_) => report.still_pending += 1,
            }
        }
        // Reservations whose op is gone cannot happen with atomic commits; release any all the same.
        let ops: Vec<OpRecord> = get_all_json(&*self.inner.store, Table::Ops).await?;
        let mut batch = Batch::new();
        for mut note in self.all_notes().await? {
            if let NoteState::Reserved(id) = &note.state {
                if !ops.iter().any(|op| op.id == *id) {
                    note.state = NoteState::Unspent;
                    batch.put(Table::Notes, note.y.clone(), &note)?;
                }
            }
        }
        self.inner.store.commit(batch).await?;
        Ok(report)
    }

    pub(crate) async fn send_inner(
        &self,
        mint: &str,
        amount: Amount,
        memo: Option<String>,
    ) -> Result<(SendRecord, Amount), WalletError> {
        if amount == Amount::ZERO {
            return Err(WalletError::Invalid("The amount must be more than zero.".into()));
        }
        let record = self.mint_record(mint).await?;
        let notes = self.unspent_notes(&record.url).await?;
        let candidates = candidates(&record, &notes);
        if let Some(chosen) = select::exact_subset(&candidates, amount) {
            let send_id = new_id()?;
            let mut sent: Vec<NoteRecord> = chosen.iter().map(|i| notes[*i].clone()).collect();
            for note in &mut sent {
                note.state = NoteState::PendingSend(send_id.clone());
            }
            let mut history = Self::new_entry(HistoryKind::Sent, &record.url, amount, Amount::ZERO, memo.clone())?;
            history.status = "done".to_owned();
            let send = self.send_record(&record.url, &send_id, &sent, memo, now_ms())?;
            let mut batch = Batch::new();
            for note in &sent {
                batch.put(Table::Notes, note.y.clone(), note)?;
            }
            batch.put(Table::Sends, send_id, &send)?;
            batch.put(Table::History, history.id.clone(), &history)?;
            self.inner.store.commit(batch).await?;
            return Ok((send, Amount::ZERO));
        }
        let Some((chosen, total, fee)) = select::cover(&candidates, amount)? else {
            let available = select::spendable(&candidates)?;
            let needed = amount.checked_add(select::input_fee(&candidates)?)?;
            return Err(WalletError::InsufficientFunds { available, needed });
        };
        let inputs: Vec<NoteRecord> = chosen.iter().map(|i| notes[*i].clone()).collect();
        let max = Self::max_denomination(&record)?;
        let change = total.checked_sub(amount)?.checked_sub(fee)?;
        let mut amounts: Vec<(Amount, Destination)> =
            amount.split_with_max(max)?.into_iter().map(|a| (a, Destination::Send)).collect();
        amounts.extend(change.split_with_max(max)?.into_iter().map(|a| (a, Destination::Keep)));
        let send_id = new_id()?;
        let history = Self::new_entry(HistoryKind::Sent, &record.url, amount, fee, memo.clone())?;
        let (_, outcome) = self
            .swap_op(
                OpKind::SwapForSend,
                &record,
                "/v1/swap",
                &inputs,
                Vec::new(),
                &amounts,
                Some(send_id.clone()),
                None,
                memo,
                &history,
            )
            .await?;
        match outcome {
            Outcome::Done(_) => {
                let send: SendRecord = get_json(&*self.inner.store, Table::Sends, &send_id)
                    .await?
                    .ok_or_else(|| storage("the send was not stored"))?;
                Ok((send, fee))
            }
            Outcome::Pending(error) | Outcome::RolledBack(error) => Err(error),
        }
    }

    /// Decodes a token and resolves it against the mint's keysets (fetching keys not yet known).
    pub(crate) async fn resolve_token(
        &self,
        token: &str,
        trust_mint: bool,
    ) -> Result<(Token, MintRecord, Vec<shared::Proof>, Vec<KeySet>), WalletError> {
        let token = Token::decode(token)?;
        if token.unit() != CurrencyUnit::Sat {
            return Err(WalletError::InvalidToken(format!("unit {} is not supported (only sat)", token.unit())));
        }
        let url = token.mint_url()?;
        let mut record = match self.mint_record(&url).await {
            Ok(record) => record,
            Err(WalletError::UnknownMint(url)) if !trust_mint => return Err(WalletError::UnknownMint(url)),
            Err(WalletError::UnknownMint(_)) => self.add_mint_inner(&url).await?,
            Err(other) => return Err(other),
        };
        let proofs = token.proofs(&record.keyset_ids()).map_err(|e| WalletError::InvalidToken(e.to_string()))?;
        let mut keysets = Vec::new();
        for proof in &proofs {
            keysets.push(self.keyset_keys(&mut record, &proof.keyset_id).await?);
        }
        Ok((token, record, proofs, keysets))
    }

    pub(crate) async fn receive_inner(
        &self,
        text: &str,
        trust_mint: bool,
    ) -> Result<(String, Amount, Amount), WalletError> {
        let (token, record, proofs, keysets) = self.resolve_token(text, trust_mint).await?;
        for (proof, keyset) in proofs.iter().zip(&keysets) {
            if proof.dleq.is_some() {
                proof.verify_dleq(&keyset.keys).map_err(|_| WalletError::DleqInvalid)?;
            }
        }
        let fee = shared::keyset::fee_for_inputs(proofs.iter().map(|p| record.fee_ppk(&p.keyset_id)))?;
        let value = token.value()?;
        let amount = value
            .checked_sub(fee)
            .ok()
            .filter(|a| *a > Amount::ZERO)
            .ok_or_else(|| WalletError::InvalidToken("the token is worth less than the mint's fee".into()))?;
        let max = Self::max_denomination(&record)?;
        let amounts: Vec<(Amount, Destination)> =
            amount.split_with_max(max)?.into_iter().map(|a| (a, Destination::Keep)).collect();
        let inputs = proofs.into_iter().map(|p| shared::Proof { dleq: None, witness: None, ..p }).collect();
        let history =
            Self::new_entry(HistoryKind::Received, &record.url, amount, fee, token.memo().map(str::to_owned))?;
        let (_, outcome) = self
            .swap_op(OpKind::Receive, &record, "/v1/swap", &[], inputs, &amounts, None, None, None, &history)
            .await?;
        match outcome {
            Outcome::Done(_) => Ok((record.url, amount, fee)),
            Outcome::Pending(error) | Outcome::RolledBack(error) => Err(error),
        }
    }

    /// Checkstate of a send's notes: deletes the spent ones. Returns the unspent and whether any is pending.
    async fn settle_send(&self, send: &SendRecord) -> Result<(Vec<NoteRecord>, bool), WalletError> {
        let notes: Vec<NoteRecord> = self.all_notes().await?.into_iter().filter(|n| send.ys.contains(&n.y)).collect();
        let ys = notes.iter().map(|n| PublicKey::from_hex(&n.y)).collect::<Result<Vec<_>, _>>()?;
        let response: CheckStateResponse =
            self.post_as(&send.mint, "/v1/checkstate", &CheckStateRequest { ys }).await?;
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
        self.inner.store.commit(batch).await?;
        Ok((unspent, pending))
    }

    pub(crate) async fn reclaim_inner(&self, send_id: &str) -> Result<Amount, WalletError> {
        let send: SendRecord = get_json(&*self.inner.store, Table::Sends, send_id)
            .await?
            .ok_or_else(|| WalletError::Invalid("There is no such pending send.".into()))?;
        let (unspent, _pending) = self.settle_send(&send).await?;
        if unspent.is_empty() {
            return Ok(Amount::ZERO);
        }
        let record = self.mint_record(&send.mint).await?;
        let fee = select::input_fee(&candidates(&record, &unspent))?;
        let total = sum(&unspent)?;
        let amount = total.checked_sub(fee).unwrap_or(Amount::ZERO);
        if amount == Amount::ZERO {
            return Err(WalletError::Invalid("These notes are worth less than the mint's fee.".into()));
        }
        let max = Self::max_denomination(&record)?;
        let amounts: Vec<(Amount, Destination)> =
            amount.split_with_max(max)?.into_iter().map(|a| (a, Destination::Keep)).collect();
        let history = Self::new_entry(HistoryKind::Reclaimed, &record.url, amount, fee, None)?;
        let (_, outcome) = self
            .swap_op(
                OpKind::Reclaim,
                &record,
                "/v1/swap",
                &unspent,
                Vec::new(),
                &amounts,
                Some(send.id.clone()),
                None,
                None,
                &history,
            )
            .await?;
        match outcome {
            Outcome::Done(_) => Ok(amount),
            Outcome::Pending(error) | Outcome::RolledBack(error) => Err(error),
        }
    }

    pub(crate) async fn refresh_sends_inner(&self) -> Result<usize, WalletError> {
        let sends: Vec<SendRecord> = get_all_json(&*self.inner.store, Table::Sends).await?;
        let mut finished = 0;
        for send in sends {
            let (unspent, pending) = self.settle_send(&send).await?;
            if unspent.is_empty() && !pending {
                finished += 1;
            }
        }
        Ok(finished)
    }

    pub(crate) async fn request_quote_inner(
        &self,
        mint: &str,
        method: &str,
        amount: Amount,
    ) -> Result<MintQuoteBolt11Response, WalletError> {
        if method != "bolt11" && method != "bank" {
            return Err(WalletError::Invalid(format!("Unknown payment method {method:?}.")));
        }
        if amount == Amount::ZERO {
            return Err(WalletError::Invalid("The amount must be more than zero.".into()));
        }
        let record = self.mint_record(mint).await?;
        let request = MintQuoteBolt11Request { amount, unit: CurrencyUnit::Sat, description: None, pubkey: None };
        let quote: MintQuoteBolt11Response =
            self.post_as(&record.url, &format!("/v1/mint/quote/{method}"), &request).await?;
        let stored =
            QuoteRecord { id: quote.quote.clone(), method: method.to_owned(), mint: record.url.clone(), amount };
        let mut batch = Batch::new();
        batch.put(Table::Meta, format!("quote:{} {}", record.url, quote.quote), &stored)?;
        self.inner.store.commit(batch).await?;
        Ok(quote)
    }

    pub(crate) async fn quote_record(&self, mint: &str, quote_id: &str) -> Result<QuoteRecord, WalletError> {
        let url = crate::connector::normalize_url(mint);
        get_json(&*self.inner.store, Table::Meta, &format!("quote:{url} {quote_id}"))
            .await?
            .ok_or_else(|| WalletError::Invalid("This wallet did not ask for that quote.".into()))
    }

    pub(crate) async fn check_quote_inner(
        &self,
        mint: &str,
        quote_id: &str,
    ) -> Result<(QuoteRecord, MintQuoteBolt11Response), WalletError> {
        let quote = self.quote_record(mint, quote_id).await?;
        let state = self.get_as(&quote.mint, &format!("/v1/mint/quote/{}/{}", quote.method, quote.id)).await?;
        Ok((quote, state))
    }

    pub(crate) async fn pay_quote_inner(&self, mint: &str, quote_id: &str, account: &str) -> Result<(), WalletError> {
        let quote = self.quote_record(mint, quote_id).await?;
        let key = self.account_key().await?;
        let signature = shared::nuts::bank::sign_payment(&key, &quote.id)?;
        let request = BankPayRequest { quote: quote.id.clone(), account: account.to_owned(), signature };
        let _: MintQuoteBolt11Response = self.post_as(&quote.mint, "/v1/bank/pay", &request).await?;
        Ok(())
    }

    pub(crate) async fn mint_quote_inner(&self, mint: &str, quote_id: &str) -> Result<Amount, WalletError> {
        let quote = self.quote_record(mint, quote_id).await?;
        let record = self.mint_record(&quote.mint).await?;
        let max = Self::max_denomination(&record)?;
        let amounts: Vec<(Amount, Destination)> =
            quote.amount.split_with_max(max)?.into_iter().map(|a| (a, Destination::Keep)).collect();
        let history = Self::new_entry(HistoryKind::Minted, &record.url, quote.amount, Amount::ZERO, None)?;
        let path = format!("/v1/mint/{}", quote.method);
        let (_, outcome) = self
            .swap_op(
                OpKind::Mint,
                &record,
                &path,
                &[],
                Vec::new(),
                &amounts,
                None,
                Some(quote.id.clone()),
                None,
                &history,
            )
            .await?;
        match outcome {
            Outcome::Done(_) => Ok(quote.amount),
            Outcome::Pending(error) | Outcome::RolledBack(error) => Err(error),
        }
    }

    pub(crate) async fn withdraw_inner(
        &self,
        mint: &str,
        amount: Amount,
        account: &str,
    ) -> Result<Amount, WalletError> {
        if amount == Amount::ZERO {
            return Err(WalletError::Invalid("The amount must be more than zero.".into()));
        }
        let record = self.mint_record(mint).await?;
        let request = MeltQuoteBankRequest { request: account.to_owned(), unit: CurrencyUnit::Sat, amount };
        let quote: MeltQuoteBolt11Response = self.post_as(&record.url, "/v1/melt/quote/bank", &request).await?;
        let needed = quote.amount.checked_add(quote.fee_reserve)?;
        // The mint gives no change on bank melts, so the inputs must add up exactly to the amount, the fee
        // reserve and their own input fee: use an exact subset, or swap for exact denominations first.
        let notes = self.unspent_notes(&record.url).await?;
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
            None => self.swap_exact(&record, &notes, needed).await?,
        };
        // Whatever the inputs hold beyond the amount goes to the mint (fee reserve, input fees, rounding),
        // and so did the fee of the swap that made them.
        let fee = sum(&inputs)?.checked_sub(amount)?.checked_add(swap_fee)?;
        let history = Self::new_entry(HistoryKind::Withdrawn, &record.url, amount, fee, None)?;
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
            path: "/v1/melt/bank".to_owned(),
            body: to_json(&body)?,
            inputs: inputs.iter().map(|n| n.y.clone()).collect(),
            outputs: Vec::new(),
            send_id: None,
            quote: Some(quote.quote.clone()),
            memo: None,
            history_id: history.id.clone(),
            created_at: now_ms(),
        };
        self.start_op(&op, &inputs, &history).await?;
        match self.drive(&op).await? {
            Outcome::Done(_) => Ok(amount),
            Outcome::Pending(error) | Outcome::RolledBack(error) => Err(error),
        }
    }

    /// Swaps notes into denominations that add up to `needed` plus their own input fee; returns them and the
    /// swap's fee.
    async fn swap_exact(
        &self,
        record: &MintRecord,
        notes: &[NoteRecord],
        needed: Amount,
    ) -> Result<(Vec<NoteRecord>, Amount), WalletError> {
        let max = Self::max_denomination(record)?;
        let active = record.active_keyset().ok_or_else(|| WalletError::UnknownMint(record.url.clone()))?;
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
        let mut history = Self::new_entry(HistoryKind::Sent, &record.url, Amount::ZERO, fee, None)?;
        history.status = INTERNAL.to_owned();
        let (op, outcome) = self
            .swap_op(OpKind::SwapExact, record, "/v1/swap", &inputs, Vec::new(), &amounts, None, None, None, &history)
            .await?;
        let notes = match outcome {
            Outcome::Done(notes) => notes,
            Outcome::Pending(error) | Outcome::RolledBack(error) => return Err(error),
        };
        let exact: Vec<String> = op
            .outputs
            .iter()
            .filter(|o| o.destination == Destination::Send)
            .map(|o| o.secret.to_y().map(|y| y.to_hex()))
            .collect::<Result<_, _>>()?;
        Ok((notes.into_iter().filter(|n| exact.contains(&n.y)).collect(), fee))
    }

    pub(crate) async fn restore_inner(&self, mint: &str) -> Result<Amount, WalletError> {
        let seed = self.seed().await?;
        let mut record = match self.mint_record(mint).await {
            Ok(record) => record,
            Err(WalletError::UnknownMint(_)) => self.add_mint_inner(mint).await?,
            Err(other) => return Err(other),
        };
        let history = Self::new_entry(HistoryKind::Restored, &record.url, Amount::ZERO, Amount::ZERO, None)?;
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
            memo: None,
            history_id: history.id.clone(),
            created_at: now_ms(),
        };
        let existing: Option<OpRecord> = get_json(&*self.inner.store, Table::Ops, &op.id).await?;
        let op = match existing {
            Some(op) => op,
            None => {
                self.start_op(&op, &[], &history).await?;
                op
            }
        };
        let known: Vec<String> = self.all_notes().await?.into_iter().map(|n| n.y).collect();
        let mut recovered = Amount::ZERO;
        let ids: Vec<Id> = record.keysets.iter().filter(|k| k.unit == CurrencyUnit::Sat).map(|k| k.id).collect();
        for id in ids {
            let keyset = self.keyset_keys(&mut record, &id).await?;
            let mut found: Vec<NoteRecord> = Vec::new();
            let mut next_counter = 0u32;
            let mut start = 0u32;
            let mut empty = 0;
            while empty < RESTORE_EMPTY_BATCHES {
                let placeholders = vec![(Amount::from(1), Destination::Keep); RESTORE_BATCH as usize];
                let outputs = build_outputs(&seed, id, start, &placeholders)?;
                let request = RestoreRequest { outputs: blinded_messages(&outputs) };
                let response: RestoreResponse = self.post_as(&record.url, "/v1/restore", &request).await?;
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
                    self.post_as(&record.url, "/v1/checkstate", &CheckStateRequest { ys }).await?;
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
            if next_counter > self.counter(&id).await? {
                batch.put(Table::Counters, id.to_string(), &next_counter)?;
            }
            self.inner.store.commit(batch).await?;
        }
        let mut batch = Batch::new();
        if let Some(mut entry) = get_json::<HistoryEntry>(&*self.inner.store, Table::History, &op.history_id).await? {
            entry.status = "done".to_owned();
            entry.amount = entry.amount.checked_add(recovered)?;
            batch.put(Table::History, entry.id.clone(), &entry)?;
        }
        batch.delete(Table::Ops, op.id.clone());
        self.inner.store.commit(batch).await?;
        Ok(recovered)
    }
}
