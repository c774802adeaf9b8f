//! Deposits (`PROTOCOL.md` section 2, "Deposit" and "Bond, limits, receipts"). The payee's transcript,
//! signed with its key, is credited to the bank account the payee names (signed with the same key). The
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
use shared::offline::api::{DepositRequest, DepositResponse, EvidenceResponse};
use shared::offline::auth::{self, op};
use shared::offline::{
    DepositOutcome, DepositReceipt, DepositTranscript, DoubleSpendEvidence, OfflineError, PublicScalar,
};

use super::{OfflineMint, OfflineMintError, from_json, invalid, to_json};
use crate::store::offline::{self as rows, BankMove, BondPayout, DepositRecord, OfflineCommit, OfflineConflict};
use crate::store::{Commit, StoreError};

/// How often a deposit is decided again after losing a race, before giving up.
const ATTEMPTS: usize = 8;

impl OfflineMint {
    /// `POST /v1/offline/deposit`.
    pub async fn deposit(&self, request: DepositRequest) -> Result<DepositResponse, OfflineMintError> {
        let now = self.clock.now();
        let transcript = &request.transcript;
        let keyset = self.keyset(&transcript.coin.keyset_id)?;
        keyset.public.check_deposit_time(now).map_err(|_| OfflineMintError::DepositDeadlinePassed)?;
        self.store.account(&request.account).await?.ok_or(OfflineMintError::NotRegistered)?;
        let message = transcript.message().map_err(invalid)?;
        auth::verify_vartime(
            &transcript.payee,
            op::DEPOSIT,
            &[request.account.as_bytes(), &message],
            &request.signature,
        )
        .map_err(|_| OfflineMintError::InvalidSignature)?;
        let d = transcript.verify_vartime(&keyset.public).map_err(|error| match error {
            OfflineError::OutsideValidity { .. } => OfflineMintError::OutsideValidity,
            other => invalid(other),
        })?;
        let challenge = PublicScalar::new(d).map_err(invalid)?.to_hex();
        let coin = transcript.coin.a_point.to_hex();
        let request_key = hex::encode(Sha256::digest(to_json(&request)?.as_bytes()));
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
        let credit = |amount: u64| -> Result<Option<BankMove>, OfflineMintError> {
            if amount == 0 {
                return Ok(None);
            }
            let delta = i64::try_from(amount).map_err(|_| OfflineMintError::BadRequest("amount too large".into()))?;
            Ok(Some(BankMove {
                account_id: request.account.clone(),
                delta,
                reason: "offline-deposit",
                reference: coin.clone(),
            }))
        };

        for _ in 0..ATTEMPTS {
            let earlier = rows::deposits(self.store.as_ref(), &coin).await?;
            if let Some(same) = earlier.iter().find(|found| found.challenge == challenge) {
                return if same.request_key == request_key {
                    from_json(&same.response)
                } else {
                    Err(OfflineMintError::AlreadyDeposited)
                };
            }
            let commit = match earlier.first() {
                None => {
                    let amount = transcript.coin.amount;
                    let response = self.answer(&request, DepositOutcome::Paid, amount, 0, now)?;
                    let deposit = record(&response)?;
                    (OfflineCommit::Deposit { deposit, credit: credit(amount)? }, response)
                }
                Some(first) => {
                    let first: DepositTranscript = from_json(&first.transcript)?;
                    let (evidence, identity) =
                        DoubleSpendEvidence::new(keyset.public.clone(), first, transcript.clone()).map_err(invalid)?;
                    let cheater = rows::account_by_identity(self.store.as_ref(), &identity).await?;
                    let payout = cheater.map(|cheater| BondPayout {
                        paid: cheater.bond.min(transcript.coin.amount),
                        bond_before: cheater.bond,
                        account_id: cheater.account_id,
                    });
                    let paid = payout.as_ref().map_or(0, |p| p.paid);
                    let response = self.answer(&request, DepositOutcome::DoubleSpend, paid, paid, now)?;
                    let deposit = record(&response)?;
                    let evidence = to_json(&evidence)?;
                    (OfflineCommit::DoubleSpend { deposit, evidence, payout, credit: credit(paid)? }, response)
                }
            };
            let (commit, response) = commit;
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

    fn answer(
        &self,
        request: &DepositRequest,
        outcome: DepositOutcome,
        paid: u64,
        from_bond: u64,
        now: u64,
    ) -> Result<DepositResponse, OfflineMintError> {
        let receipt = DepositReceipt::sign(&self.receipt_key, &request.transcript, outcome, paid, from_bond, now)
            .map_err(|e| OfflineMintError::Internal(e.to_string()))?;
        Ok(DepositResponse { receipt, account: request.account.clone() })
    }

    /// `GET /v1/offline/evidence`: every published double-spend evidence, oldest first.
    pub async fn evidence(&self) -> Result<EvidenceResponse, OfflineMintError> {
        let evidence =
            rows::evidence(self.store.as_ref()).await?.iter().map(|text| from_json(text)).collect::<Result<_, _>>()?;
        Ok(EvidenceResponse { evidence })
    }
}
