//! Deposits (`PROTOCOL.md` section 2, "Deposit" and "Bond, limits, receipts"). The payee's transcript,
//! signed with its key, is paid as blind signatures on the payee's Cashu outputs (anonymous), signed by the
//! Cashu side ([`OutputSigner`]), or credited to a bank account; the payee signs the destination. The
//! mint looks the coin's `A` up among earlier deposits:
//!
//! - none: the coin enters the offline spent set, the payee is paid the coin's value (debited from the payer
//!   at withdrawal), receipt `paid`;
//! - the same challenge `d`: the identical request again gets the identical answer (retry); another request
//!   is a replay, refused;
//! - another challenge: a double spend. The payer's identity is extracted, both transcripts are published as
//!   evidence, the payer's account is blocked and the payee is paid from its bond as far as the bond reaches
//!   (compare-and-set on the bond, so payees are paid in deposit order), receipt `double_spend`.
//!
//! Each case is one commit; a commit that loses a race (another deposit of the coin, another payout from the
//! bond) is decided again from what the store then holds.

use sha2::{Digest, Sha256};
use shared::BlindedMessage;
use shared::nuts::{ErrorCode, ErrorResponse};
use shared::offline::api::{
    DepositBatchRequest, DepositBatchResponse, DepositRequest, DepositResponse, DepositResult, EvidenceResponse,
    MAX_DEPOSIT_BATCH, deposit_parts,
};
use shared::offline::auth::{self, op};
use shared::offline::{
    DepositOutcome, DepositReceipt, DepositTranscript, DoubleSpendEvidence, OfflineError, OfflineKeyset,
    OfflineMintKeyset, PublicScalar,
};

use super::{OfflineMint, OfflineMintError, OutputSigner, check_id, from_json, invalid, to_json};
use crate::store::offline::{
    self as rows, BankMove, BondPayout, DepositRecord, FreshDeposit, OfflineCommit, OfflineConflict,
};
use crate::store::{Commit, StoreError};

/// How often a deposit is decided again after losing a race, before giving up.
const ATTEMPTS: usize = 8;

/// Most outputs of one deposit (a coin of 2^63 needs at most 64).
const MAX_OUTPUTS: usize = 64;

/// The outputs that pay `available`: in the request's order, each taken while the total stays within it.
/// Their indices and total.
fn select(outputs: &[BlindedMessage], available: u64) -> (Vec<usize>, u64) {
    let mut chosen = Vec::new();
    let mut total = 0u64;
    for (index, output) in outputs.iter().enumerate() {
        let amount = output.amount.to_u64();
        if total.saturating_add(amount) <= available {
            total += amount;
            chosen.push(index);
        }
    }
    (chosen, total)
}

/// The key of a deposit request (hex): SHA-256 over the transcript's JSON, the destination (the account, or
/// the outputs' JSON) and the signature, each part after its length; an identical retry has the same key.
fn request_key(request: &DepositRequest, transcript_json: &str) -> Result<String, OfflineMintError> {
    let destination = match (&request.account, &request.outputs) {
        (Some(account), _) => format!("account:{account}"),
        (None, outputs) => format!("outputs:{}", to_json(outputs)?),
    };
    let mut hash = Sha256::new();
    for part in [transcript_json.as_bytes(), destination.as_bytes(), &request.signature.0] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    Ok(hex::encode(hash.finalize()))
}

/// Where a deposit is paid.
enum Destination<'r> {
    Account(&'r str),
    Outputs(&'r [BlindedMessage]),
}

/// The answer to a request for a transcript deposited before: the stored answer for the identical request
/// (a retry), 13031 for any other (a replay); `None` if this transcript was not deposited yet.
fn earlier_answer(
    earlier: &[DepositRecord],
    challenge: &str,
    request_key: &str,
) -> Option<Result<DepositResponse, OfflineMintError>> {
    let same = earlier.iter().find(|found| found.challenge == challenge)?;
    Some(if same.request_key == request_key {
        from_json(&same.response)
    } else {
        Err(OfflineMintError::AlreadyDeposited)
    })
}

/// The curve work of a deposit (on the CPU pool): the payee's signature on the destination, then the
/// transcript (coin, response, the payee's signature on the transcript).
fn verify_deposit(request: &DepositRequest, keyset: &OfflineKeyset) -> Result<(), OfflineMintError> {
    let transcript = &request.transcript;
    let message = transcript.message().map_err(invalid)?;
    let parts = deposit_parts(request.account.as_deref(), &message, request.outputs.as_deref());
    let parts: [&[u8]; 3] = [&parts[0], &parts[1], &parts[2]];
    auth::verify_vartime(&transcript.payee, op::DEPOSIT, &parts, &request.signature)
        .map_err(|_| OfflineMintError::InvalidSignature)?;
    transcript.verify_vartime(keyset).map_err(|error| match error {
        OfflineError::OutsideValidity { .. } => OfflineMintError::OutsideValidity,
        other => invalid(other),
    })?;
    Ok(())
}

/// A deposit past its cheap checks, waiting for (or past) its curve work.
struct Prepared {
    request: DepositRequest,
    keyset: std::sync::Arc<OfflineMintKeyset>,
    /// `A` (hex): the coin's key in the store.
    coin: String,
    /// `d` (hex).
    challenge: String,
    /// The transcript's JSON (as stored).
    transcript_json: String,
    /// [`request_key`]: an identical retry has the same.
    request_key: String,
    /// The coin's earlier deposits as read before the curve work (read only for outputs).
    earlier: Vec<DepositRecord>,
    /// The request's time (Unix seconds).
    now: u64,
}

/// The end of a deposit's cheap checks.
enum Checked {
    /// Answered without curve work: a retry (the stored answer) or a replay (13031).
    Answered(Box<Result<DepositResponse, OfflineMintError>>),
    /// On to the curve work.
    Ready(Box<Prepared>),
}

impl Prepared {
    /// The store's record of this deposit answered with `response`.
    fn record(&self, response: &DepositResponse) -> Result<DepositRecord, OfflineMintError> {
        let transcript = &self.request.transcript;
        Ok(DepositRecord {
            coin: self.coin.clone(),
            challenge: self.challenge.clone(),
            keyset_id: self.keyset.public.id.to_hex(),
            amount: transcript.coin.amount,
            transcript: self.transcript_json.clone(),
            request_key: self.request_key.clone(),
            response: to_json(response)?,
        })
    }

    fn destination(&self) -> Destination<'_> {
        match (&self.request.account, &self.request.outputs) {
            (Some(account), _) => Destination::Account(account),
            (None, Some(outputs)) => Destination::Outputs(outputs),
            // `prepare` admits exactly one of the two.
            (None, None) => Destination::Outputs(&[]),
        }
    }
}

impl OfflineMint {
    /// `POST /v1/offline/deposit`. Outputs are signed by `signer` (the Cashu side).
    ///
    /// Cheap checks come first, on the async worker: the request's shape, the keyset, its deadline, the
    /// payment time; for a deposit paid as blind signatures also the earlier deposits of the coin (found by
    /// `A`; the challenge `d` is a hash), so a retry or a replay gets no output signed. A deposit to an
    /// account reads nothing before its commit: the commit refuses a coin seen before (then the earlier
    /// deposits decide: the stored answer for a retry, 13031 for a replay, a double spend otherwise) and an
    /// unknown account (13012). The curve work (the payee's signatures, the coin, the response, the
    /// evidence of a double spend) runs on the CPU pool.
    pub async fn deposit(
        &self,
        request: DepositRequest,
        signer: &dyn OutputSigner,
    ) -> Result<DepositResponse, OfflineMintError> {
        let prepared = match self.prepare(request, self.clock.now()).await? {
            Checked::Answered(answer) => return *answer,
            Checked::Ready(prepared) => prepared,
        };
        let (prepared, checked) = self
            .cpu
            .run(move || {
                let checked = verify_deposit(&prepared.request, &prepared.keyset.public);
                (prepared, checked)
            })
            .await
            .map_err(|e| OfflineMintError::Internal(e.to_string()))?;
        checked?;
        self.settle(&prepared, signer).await
    }

    /// `POST /v1/offline/deposits`: each deposit decided as [`OfflineMint::deposit`] decides it, with the
    /// curve work of all of them in one job on the CPU pool, and the deposits of coins not seen before in
    /// one commit, their outputs signed in one call ([`OfflineMint::deposit_fresh`]; if that does not go
    /// through, each deposit is decided again on its own). A refusal answers its own deposit only; a failure of ours (the store, the
    /// CPU pool) fails the request, whose retry then gets the same answers for what was decided.
    pub async fn deposit_batch(
        &self,
        batch: DepositBatchRequest,
        signer: &dyn OutputSigner,
    ) -> Result<DepositBatchResponse, OfflineMintError> {
        if batch.deposits.is_empty() || batch.deposits.len() > MAX_DEPOSIT_BATCH {
            return Err(OfflineMintError::BadRequest(format!("between 1 and {MAX_DEPOSIT_BATCH} deposits")));
        }
        let now = self.clock.now();
        let count = batch.deposits.len();
        let mut results: Vec<Option<Result<DepositResponse, OfflineMintError>>> = Vec::with_capacity(count);
        let mut ready = Vec::new();
        for (index, request) in batch.deposits.into_iter().enumerate() {
            results.push(match self.prepare(request, now).await {
                Ok(Checked::Ready(prepared)) => {
                    ready.push((index, prepared));
                    None
                }
                Ok(Checked::Answered(answer)) => Some(*answer),
                Err(error) if error.is_internal() || error.code() == 0 => return Err(error),
                Err(error) => Some(Err(error)),
            });
        }
        // The deposits go to the pool and come back (no copies).
        let (ready, checks) = self
            .cpu
            .run(move || {
                let checks: Vec<_> = ready.iter().map(|(_, p)| verify_deposit(&p.request, &p.keyset.public)).collect();
                (ready, checks)
            })
            .await
            .map_err(|e| OfflineMintError::Internal(e.to_string()))?;
        let mut verified = Vec::with_capacity(ready.len());
        for ((index, prepared), check) in ready.into_iter().zip(checks) {
            match check {
                Ok(()) => verified.push((index, prepared)),
                Err(error) => results[index] = Some(Err(error)),
            }
        }
        if let Some(answers) = self.deposit_fresh(&verified, signer, now).await? {
            for ((index, _), answer) in verified.drain(..).zip(answers) {
                results[index] = Some(Ok(answer));
            }
        }
        for (index, prepared) in &verified {
            results[*index] = Some(match self.settle(prepared, signer).await {
                Err(error) if error.is_internal() || error.code() == 0 => return Err(error),
                other => other,
            });
        }
        let results = results
            .into_iter()
            .map(|result| match result {
                Some(Ok(response)) => Ok(DepositResult::Response(response)),
                Some(Err(error)) => {
                    Ok(DepositResult::Error(ErrorResponse::new(ErrorCode::from_code(error.code()), error.to_string())))
                }
                None => Err(OfflineMintError::Internal("a deposit of the batch was not decided".into())),
            })
            .collect::<Result<_, _>>()?;
        Ok(DepositBatchResponse { results })
    }

    /// The verified deposits of a batch in one commit, if none was seen before (a deposit to an account
    /// reads nothing before: see [`OfflineMint::deposit`]; one to outputs was looked up) and they name
    /// distinct coins: each paid in full, the outputs of all signed in one call. `None` if that does not
    /// apply, if the outputs are refused, or if the commit meets a coin seen before, an unknown account or an
    /// output signed before (each deposit is then decided on its own).
    async fn deposit_fresh(
        &self,
        verified: &[(usize, Box<Prepared>)],
        signer: &dyn OutputSigner,
        now: u64,
    ) -> Result<Option<Vec<DepositResponse>>, OfflineMintError> {
        let coins: std::collections::HashSet<&str> = verified.iter().map(|(_, p)| p.coin.as_str()).collect();
        if verified.is_empty() || coins.len() != verified.len() || verified.iter().any(|(_, p)| !p.earlier.is_empty()) {
            return Ok(None);
        }
        let wanted: Vec<BlindedMessage> = verified
            .iter()
            .filter_map(|(_, p)| match p.destination() {
                Destination::Outputs(outputs) => Some(outputs.iter().cloned()),
                Destination::Account(_) => None,
            })
            .flatten()
            .collect();
        let mut signed = Vec::new().into_iter();
        if !wanted.is_empty() {
            match signer.sign(wanted).await {
                Ok(all) => signed = all.into_iter(),
                Err(error) if error.is_internal() || error.code() == 0 => return Err(error),
                Err(_) => return Ok(None),
            }
        }
        let mut answers = Vec::with_capacity(verified.len());
        let mut deposits = Vec::with_capacity(verified.len());
        for (_, prepared) in verified {
            let transcript = &prepared.request.transcript;
            let amount = transcript.coin.amount;
            let receipt = DepositReceipt::sign(&self.receipt_key, transcript, DepositOutcome::Paid, amount, 0, now)
                .map_err(|e| OfflineMintError::Internal(e.to_string()))?;
            let (response, credit, outputs) = match prepared.destination() {
                Destination::Account(account) => {
                    let credit = BankMove {
                        account_id: account.to_owned(),
                        delta: i64::try_from(amount)
                            .map_err(|_| OfflineMintError::BadRequest("amount too large".into()))?,
                        reason: "offline-deposit",
                        reference: prepared.coin.clone(),
                    };
                    let response =
                        DepositResponse { receipt, account: Some(account.to_owned()), signatures: Vec::new() };
                    (response, Some(credit), Vec::new())
                }
                Destination::Outputs(wanted) => {
                    let outputs: Vec<_> = signed.by_ref().take(wanted.len()).collect();
                    if outputs.len() != wanted.len() {
                        return Err(OfflineMintError::Internal("fewer signatures than outputs".into()));
                    }
                    let signatures = outputs.iter().map(|(_, signature)| Some(signature.clone())).collect();
                    (DepositResponse { receipt, account: None, signatures }, None, outputs)
                }
            };
            deposits.push(FreshDeposit { deposit: prepared.record(&response)?, credit, outputs });
            answers.push(response);
        }
        match self.store.commit(&Commit::Offline(OfflineCommit::DepositBatch { deposits })).await {
            Ok(()) => Ok(Some(answers)),
            Err(StoreError::Offline(
                OfflineConflict::CoinSeen
                | OfflineConflict::AlreadyDeposited
                | OfflineConflict::BondChanged
                | OfflineConflict::NotRegistered
                | OfflineConflict::OutputsAlreadySigned,
            )) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// The cheap checks of a deposit at time `now` (no curve work).
    async fn prepare(&self, request: DepositRequest, now: u64) -> Result<Checked, OfflineMintError> {
        let transcript = &request.transcript;
        match (&request.account, &request.outputs) {
            (Some(account), None) => check_id(account)?,
            (None, Some(outputs)) => {
                if outputs.is_empty() || outputs.len() > MAX_OUTPUTS {
                    return Err(OfflineMintError::BadRequest(format!("between 1 and {MAX_OUTPUTS} outputs")));
                }
                let total = outputs.iter().try_fold(0u64, |sum, o| sum.checked_add(o.amount.to_u64()));
                if total != Some(transcript.coin.amount) {
                    return Err(OfflineMintError::BadRequest("the outputs must add up to the coin's value".into()));
                }
            }
            _ => return Err(OfflineMintError::BadRequest("name exactly one of account and outputs".into())),
        }
        let keyset = self.keyset(&transcript.coin.keyset_id)?;
        keyset.public.check_deposit_time(now).map_err(|_| OfflineMintError::DepositDeadlinePassed)?;
        keyset.public.check_payment_time(transcript.time).map_err(|_| OfflineMintError::OutsideValidity)?;
        let challenge = PublicScalar::new(transcript.challenge().map_err(invalid)?).map_err(invalid)?.to_hex();
        let coin = transcript.coin.a_point.to_hex();
        let transcript_json = to_json(transcript)?;
        let request_key = request_key(&request, &transcript_json)?;
        // Outputs are signed before the commit (curve work per output, up to 64), so a retry or a replay is
        // answered from the store first. A credit to an account is decided by the commit alone.
        let mut earlier = Vec::new();
        if request.outputs.is_some() {
            earlier = rows::deposits(self.store.as_ref(), &coin).await?;
            if let Some(answer) = earlier_answer(&earlier, &challenge, &request_key) {
                return Ok(Checked::Answered(Box::new(answer)));
            }
        }
        let prepared = Prepared { request, keyset, coin, challenge, transcript_json, request_key, earlier, now };
        Ok(Checked::Ready(Box::new(prepared)))
    }

    /// Decide and commit a verified deposit: paid in full, a retry, a replay or a double spend, from what
    /// the store holds; a commit that loses a race is decided again.
    async fn settle(
        &self,
        prepared: &Prepared,
        signer: &dyn OutputSigner,
    ) -> Result<DepositResponse, OfflineMintError> {
        let (request, keyset, now) = (&prepared.request, &prepared.keyset, prepared.now);
        let transcript = &request.transcript;
        let (coin, challenge, request_key) = (&prepared.coin, &prepared.challenge, &prepared.request_key);
        let destination = prepared.destination();
        let mut earlier = prepared.earlier.clone();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                earlier = rows::deposits(self.store.as_ref(), coin).await?;
                if let Some(answer) = earlier_answer(&earlier, challenge, request_key) {
                    return answer;
                }
            }
            // What can be paid: the coin's value, or after a double spend what the cheater's bond holds.
            let (outcome, available, double_spend) = match earlier.first() {
                None => (DepositOutcome::Paid, transcript.coin.amount, None),
                Some(first) => {
                    let first: DepositTranscript = from_json(&first.transcript)?;
                    let (public, second) = (keyset.public.clone(), transcript.clone());
                    let built = self
                        .cpu
                        .run(move || DoubleSpendEvidence::new(public, first, second))
                        .await
                        .map_err(|e| OfflineMintError::Internal(e.to_string()))?;
                    let (evidence, identity) = built.map_err(invalid)?;
                    let cheater = rows::account_by_identity(self.store.as_ref(), &identity).await?;
                    let available = cheater.as_ref().map_or(0, |c| c.bond.min(transcript.coin.amount));
                    (DepositOutcome::DoubleSpend, available, Some((to_json(&evidence)?, cheater)))
                }
            };
            let (paid, credit, outputs, signatures) = match destination {
                Destination::Account(account) => {
                    let credit = (available > 0)
                        .then(|| -> Result<BankMove, OfflineMintError> {
                            Ok(BankMove {
                                account_id: account.to_owned(),
                                delta: i64::try_from(available)
                                    .map_err(|_| OfflineMintError::BadRequest("amount too large".into()))?,
                                reason: "offline-deposit",
                                reference: coin.to_owned(),
                            })
                        })
                        .transpose()?;
                    (available, credit, Vec::new(), Vec::new())
                }
                Destination::Outputs(outputs) => {
                    let (chosen, paid) = select(outputs, available);
                    let signed = signer.sign(chosen.iter().map(|&i| outputs[i].clone()).collect()).await?;
                    let mut signatures = vec![None; outputs.len()];
                    for (&index, (_, signature)) in chosen.iter().zip(&signed) {
                        signatures[index] = Some(signature.clone());
                    }
                    (paid, None, signed, signatures)
                }
            };
            let from_bond = if double_spend.is_some() { paid } else { 0 };
            let receipt = DepositReceipt::sign(&self.receipt_key, transcript, outcome, paid, from_bond, now)
                .map_err(|e| OfflineMintError::Internal(e.to_string()))?;
            let response = DepositResponse { receipt, account: request.account.clone(), signatures };
            let deposit = prepared.record(&response)?;
            let commit = match double_spend {
                None => OfflineCommit::Deposit { deposit, credit, outputs },
                Some((evidence, cheater)) => {
                    let payout = cheater.map(|cheater| BondPayout {
                        account_id: cheater.account_id,
                        bond_before: cheater.bond,
                        paid,
                    });
                    OfflineCommit::DoubleSpend { deposit, evidence, payout, credit, outputs }
                }
            };
            match self.store.commit(&Commit::Offline(commit)).await {
                Ok(()) => return Ok(response),
                // Lost a race: another deposit of this coin, or a payout from the same bond. Decide again.
                Err(StoreError::Offline(
                    OfflineConflict::CoinSeen | OfflineConflict::AlreadyDeposited | OfflineConflict::BondChanged,
                )) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(OfflineMintError::Internal("deposit kept losing races".into()))
    }

    /// `GET /v1/offline/evidence`: every published double-spend evidence, oldest first.
    pub async fn evidence(&self) -> Result<EvidenceResponse, OfflineMintError> {
        let evidence =
            rows::evidence(self.store.as_ref()).await?.iter().map(|text| from_json(text)).collect::<Result<_, _>>()?;
        Ok(EvidenceResponse { evidence })
    }
}
