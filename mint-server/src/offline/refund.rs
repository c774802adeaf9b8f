//! Nothing lost with a lost phone: after a keyset's deposit deadline, and until its refund window closes,
//! the owner of a coin that was never deposited claims its value back into the account, by showing the coin
//! and proving it is bound to that account (`shared::offline::refund`). The coin enters the offline spent
//! set in the same commit, so a refunded or deposited coin is never paid twice; the same commit keeps the
//! request's key and answer, so the identical request again (a retry) gets the identical answer, and any other
//! request for the coin is refused. After the refund window the keyset's spent coins, deposits and refunds can
//! be pruned ([`OfflineMint::prune`]).

use sha2::{Digest, Sha256};
use shared::PublicKey;
use shared::offline::api::{RefundRequest, RefundResponse};
use shared::offline::auth::op;
use shared::offline::{DepositReceipt, HexBytes, OfflineKeysetId};

use super::{OfflineMint, OfflineMintError, from_json, invalid, to_json};
use crate::store::offline::{self as rows, BankMove, OfflineCommit, OfflineConflict};
use crate::store::{Commit, StoreError};

impl OfflineMint {
    /// The answer to a request for a coin refunded before: the stored answer for the identical request (a
    /// retry), 13031 for any other; `None` if the coin was not refunded.
    async fn earlier_refund(&self, coin: &str, request_key: &str) -> Result<Option<RefundResponse>, OfflineMintError> {
        match rows::refund(self.store.as_ref(), coin).await? {
            None => Ok(None),
            Some((key, response)) if key == request_key => Ok(Some(from_json(&response)?)),
            Some(_) => Err(OfflineMintError::AlreadyDeposited),
        }
    }

    /// `POST /v1/offline/refund`. Cheap checks first (the keyset's deadline and refund window, an earlier
    /// refund of the coin: a retry or another request for it is answered with no curve work), then the
    /// account's signature, the coin and the ownership proof.
    pub async fn refund(&self, request: RefundRequest) -> Result<RefundResponse, OfflineMintError> {
        let now = self.clock.now();
        let keyset = self.keyset(&request.coin.keyset_id)?;
        let deadline = keyset.public.deposit_deadline;
        if now <= deadline {
            return Err(OfflineMintError::DeadlineNotPassed);
        }
        if now > deadline.saturating_add(self.settings.refund_window_secs) {
            return Err(OfflineMintError::RefundWindowClosed);
        }
        let hash = request.coin.hash().map_err(invalid)?;
        let request_key = hex::encode(Sha256::digest(to_json(&request)?.as_bytes()));
        let coin = request.coin.a_point.to_hex();
        if let Some(answer) = self.earlier_refund(&coin, &request_key).await? {
            return Ok(answer);
        }
        let key = self
            .authenticate(&request.account, op::REFUND, &[request.account.as_bytes(), &hash], &request.signature)
            .await?
            .pubkey;
        let account = self.registration(&request.account).await?;
        request.coin.verify_vartime(&keyset.public).map_err(invalid)?;
        let identity = PublicKey::from_hex(&account.identity).map_err(|e| OfflineMintError::Internal(e.to_string()))?;
        request
            .proof
            .verify_vartime(&request.coin.a_point, &identity, request.account.as_bytes())
            .map_err(|_| OfflineMintError::NotOwner)?;
        let amount = request.coin.amount;
        let delta = i64::try_from(amount).map_err(|_| OfflineMintError::BadRequest("amount too large".into()))?;
        let receipt = DepositReceipt::sign_refund(&self.receipt_key, &request.coin, &request.account, &key, now)
            .map_err(|e| OfflineMintError::Internal(e.to_string()))?;
        let response = RefundResponse { account: request.account.clone(), coin: HexBytes(hash), amount, receipt };
        let commit = OfflineCommit::Refund {
            coin: coin.clone(),
            keyset_id: keyset.public.id.to_hex(),
            amount,
            credit: BankMove {
                account_id: request.account.clone(),
                delta,
                reason: "offline-refund",
                reference: coin.clone(),
            },
            request_key: request_key.clone(),
            response: to_json(&response)?,
        };
        match self.store.commit(&Commit::Offline(commit)).await {
            Ok(()) => Ok(response),
            // Deposited, or refunded meanwhile (a concurrent retry, or another request): decide from what the
            // store holds.
            Err(StoreError::Offline(OfflineConflict::CoinSeen)) => {
                self.earlier_refund(&coin, &request_key).await?.ok_or(OfflineMintError::AlreadyDeposited)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Forget the spent coins, deposits and refunds of every keyset (of the last periods) whose refund window
    /// has closed, and the session requests past their horizon
    /// ([`OfflineMint::forget_session_requests`]); returns the keysets' ids. Deposits and refunds of those
    /// keysets are refused by then anyway.
    pub async fn prune(&self) -> Result<Vec<OfflineKeysetId>, OfflineMintError> {
        let now = self.clock.now();
        let mut pruned = Vec::new();
        let current = now / self.settings.period_secs;
        for index in current.saturating_sub(super::keysets::LOOKBACK_PERIODS)..=current {
            let keyset = self.keyset_at(index)?;
            if keyset.public.deposit_deadline.saturating_add(self.settings.refund_window_secs) < now {
                pruned.push(keyset.public.id);
            }
        }
        let keyset_ids = pruned.iter().map(OfflineKeysetId::to_hex).collect();
        let session_requests_before = self.session_requests_horizon(now);
        self.store.commit(&Commit::Offline(OfflineCommit::Prune { keyset_ids, session_requests_before })).await?;
        Ok(pruned)
    }
}
