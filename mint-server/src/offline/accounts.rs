//! Accounts for offline use: register an identity key with its proof of knowledge, lock a bond, set the
//! offline limit. Requests are signed with the bank account's key (as `POST /v1/bank/pay` is); so are the
//! reads of an account's bond, limit and withdrawal transcripts, over a time close to the mint's clock.

use shared::PublicKey;
use shared::offline::api::{
    AccountResponse, BondEntry, BondRequest, READ_MAX_SKEW_SECS, ReadAuth, RegisterRequest, WithdrawalTranscript,
    WithdrawalsResponse,
};
use shared::offline::auth::{self, op};
use shared::offline::wire::Bip340Signature;

use super::{OfflineMint, OfflineMintError, check_id, from_json};
use crate::store::offline::{self as rows, OfflineAccount, OfflineCommit};
use crate::store::{Account, Commit};

impl OfflineMint {
    /// The bank account, with the request's signature by its key checked.
    pub(super) async fn authenticate(
        &self,
        account_id: &str,
        operation: &str,
        parts: &[&[u8]],
        signature: &Bip340Signature,
    ) -> Result<Account, OfflineMintError> {
        check_id(account_id)?;
        let account = self.store.account(account_id).await?.ok_or(OfflineMintError::NotRegistered)?;
        auth::verify_vartime(&account.pubkey, operation, parts, signature)
            .map_err(|_| OfflineMintError::InvalidSignature)?;
        Ok(account)
    }

    /// The account's offline registration.
    pub(super) async fn registration(&self, account_id: &str) -> Result<OfflineAccount, OfflineMintError> {
        check_id(account_id)?;
        rows::account(self.store.as_ref(), account_id).await?.ok_or(OfflineMintError::NotRegistered)
    }

    /// `POST /v1/offline/register`.
    pub async fn register(&self, request: RegisterRequest) -> Result<AccountResponse, OfflineMintError> {
        let identity = request.registration.identity;
        self.authenticate(
            &request.account,
            op::REGISTER,
            &[request.account.as_bytes(), &identity.to_bytes()],
            &request.signature,
        )
        .await?;
        request
            .registration
            .verify_vartime(request.account.as_bytes())
            .map_err(|_| OfflineMintError::InvalidRegistration)?;
        let commit = OfflineCommit::Register { account_id: request.account.clone(), identity: identity.to_hex() };
        self.store.commit(&Commit::Offline(commit)).await?;
        self.account(&request.account).await
    }

    /// `POST /v1/offline/bond`: lock more of the bank balance and set the limit (at most the bond).
    pub async fn bond(&self, request: BondRequest) -> Result<AccountResponse, OfflineMintError> {
        let parts: [&[u8]; 3] = [request.account.as_bytes(), &request.bond.to_be_bytes(), &request.limit.to_be_bytes()];
        self.authenticate(&request.account, op::BOND, &parts, &request.signature).await?;
        let current = self.registration(&request.account).await?;
        if current.blocked {
            return Err(OfflineMintError::Blocked);
        }
        if request.limit > request.bond {
            return Err(OfflineMintError::InvalidBond("the offline limit cannot exceed the bond".into()));
        }
        let amount = request
            .bond
            .checked_sub(current.bond)
            .ok_or_else(|| OfflineMintError::InvalidBond("a bond cannot be lowered".into()))?;
        let commit = OfflineCommit::Bond {
            account_id: request.account.clone(),
            bond_before: current.bond,
            amount,
            limit: request.limit,
        };
        self.store.commit(&Commit::Offline(commit)).await?;
        self.account(&request.account).await
    }

    /// A read of the account's data, authorized by `auth` (a signature by the account key over a time
    /// within [`READ_MAX_SKEW_SECS`] of the clock); `None` when the request carried none.
    async fn authorize_read(&self, account_id: &str, auth: Option<&ReadAuth>) -> Result<(), OfflineMintError> {
        check_id(account_id)?;
        let auth = auth.ok_or(OfflineMintError::ReadNotAuthorized(READ_MAX_SKEW_SECS))?;
        if auth.time.abs_diff(self.clock.now()) > READ_MAX_SKEW_SECS {
            return Err(OfflineMintError::ReadNotAuthorized(READ_MAX_SKEW_SECS));
        }
        let account = self.store.account(account_id).await?.ok_or(OfflineMintError::NotRegistered)?;
        auth.verify_vartime(&account.pubkey, account_id).map_err(|_| OfflineMintError::InvalidSignature)
    }

    /// `GET /v1/offline/accounts/{account}`, signed by the account key.
    pub async fn read_account(
        &self,
        account_id: &str,
        auth: Option<&ReadAuth>,
    ) -> Result<AccountResponse, OfflineMintError> {
        self.authorize_read(account_id, auth).await?;
        self.account(account_id).await
    }

    /// `GET /v1/offline/accounts/{account}/withdrawals`, signed by the account key.
    pub async fn read_withdrawals(
        &self,
        account_id: &str,
        auth: Option<&ReadAuth>,
    ) -> Result<WithdrawalsResponse, OfflineMintError> {
        self.authorize_read(account_id, auth).await?;
        self.withdrawals(account_id).await
    }

    /// The account as the answers of register, bond and the account read show it.
    pub(super) async fn account(&self, account_id: &str) -> Result<AccountResponse, OfflineMintError> {
        let found = self.registration(account_id).await?;
        let identity = PublicKey::from_hex(&found.identity).map_err(|e| OfflineMintError::Internal(e.to_string()))?;
        let bond_entries = rows::bond_entries(self.store.as_ref(), account_id)
            .await?
            .into_iter()
            .map(|entry| BondEntry { delta: entry.delta, reason: entry.reason, reference: entry.reference })
            .collect();
        Ok(AccountResponse {
            account: found.account_id,
            identity,
            bond: found.bond,
            limit: found.limit,
            period_keyset: found.period_keyset,
            withdrawn: found.withdrawn,
            blocked: found.blocked,
            bond_entries,
        })
    }

    /// Every withdrawal's public transcript.
    async fn withdrawals(&self, account_id: &str) -> Result<WithdrawalsResponse, OfflineMintError> {
        self.registration(account_id).await?;
        let withdrawals = rows::withdrawals(self.store.as_ref(), account_id)
            .await?
            .iter()
            .map(|text| from_json::<WithdrawalTranscript>(text))
            .collect::<Result<_, _>>()?;
        Ok(WithdrawalsResponse { withdrawals })
    }
}
