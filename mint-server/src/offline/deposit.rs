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
use shared::offline::api::{DepositRequest, DepositResponse, EvidenceResponse, deposit_parts};
use shared::offline::auth::{self, op};
use shared::offline::{
    DepositOutcome, DepositReceipt, DepositTranscript, DoubleSpendEvidence, OfflineError, OfflineKeyset, PublicScalar,
};

use super::{OfflineMint, OfflineMintError, OutputSigner, check_id, from_json, invalid, to_json};
use crate::store::offline::{self as rows, BankMove, BondPayout, DepositRecord, OfflineCommit, OfflineConflict};
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

impl OfflineMint {
    /// `POST /v1/offline/deposit`. Outputs are signed by `signer` (the Cashu side).
    ///
    /// Cheap checks come first, on the async worker: the request's shape, the keyset, its deadline, the
    /// payment time, and the earlier deposits of the coin (found by `A`; the challenge `d` is a hash), so a
    /// retry or a replay is answered without any elliptic-curve work. The curve work (the payee's
    /// signatures, the coin, the response, the evidence of a double spend) runs on the CPU pool.
    pub async fn deposit(
        &self,
        request: DepositRequest,
        signer: &dyn OutputSigner,
    ) -> Result<DepositResponse, OfflineMintError> {
        let now = self.clock.now();
        let transcript = &request.transcript;
        let destination = match (&request.account, &request.outputs) {
            (Some(account), None) => {
                check_id(account)?;
                Destination::Account(account)
            }
            (None, Some(outputs)) => Destination::Outputs(outputs),
            _ => return Err(OfflineMintError::BadRequest("name exactly one of account and outputs".into())),
        };
        if let Destination::Outputs(outputs) = destination {
            if outputs.is_empty() || outputs.len() > MAX_OUTPUTS {
                return Err(OfflineMintError::BadRequest(format!("between 1 and {MAX_OUTPUTS} outputs")));
            }
            let total = outputs.iter().try_fold(0u64, |sum, o| sum.checked_add(o.amount.to_u64()));
            if total != Some(transcript.coin.amount) {
                return Err(OfflineMintError::BadRequest("the outputs must add up to the coin's value".into()));
            }
        }
        let keyset = self.keyset(&transcript.coin.keyset_id)?;
        keyset.public.check_deposit_time(now).map_err(|_| OfflineMintError::DepositDeadlinePassed)?;
        keyset.public.check_payment_time(transcript.time).map_err(|_| OfflineMintError::OutsideValidity)?;
        let challenge = PublicScalar::new(transcript.challenge().map_err(invalid)?).map_err(invalid)?.to_hex();
        let coin = transcript.coin.a_point.to_hex();
        let request_key = hex::encode(Sha256::digest(to_json(&request)?.as_bytes()));
        let mut earlier = rows::deposits(self.store.as_ref(), &coin).await?;
        if let Some(answer) = earlier_answer(&earlier, &challenge, &request_key) {
            return answer;
        }
        if let Destination::Account(account) = destination {
            self.store.account(account).await?.ok_or(OfflineMintError::NotRegistered)?;
        }
        let checked = {
            let (request, keyset) = (request.clone(), keyset.public.clone());
            self.cpu
                .run(move || verify_deposit(&request, &keyset))
                .await
                .map_err(|e| OfflineMintError::Internal(e.to_string()))?
        };
        checked?;
        let record = |response: &DepositResponse| -> Result<DepositRecord, OfflineMintError> {
            Ok(DepositRecord {
                coin: coin.clone(),
                challenge: challenge.clone(),
                keyset_id: keyset.public.id.to_hex(),
                amount: transcript.coin.amount,
                transcript: to_json(transcript)?,
                request_key: request_key.clone(),
                response: to_json(response)?,
            })
        };

        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                earlier = rows::deposits(self.store.as_ref(), &coin).await?;
                if let Some(answer) = earlier_answer(&earlier, &challenge, &request_key) {
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
                                reference: coin.clone(),
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
            let deposit = record(&response)?;
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
