//! Withdrawal sessions (`PROTOCOL.md` section 2, "Withdrawal" and the ROS rule): at most one open session
//! per account, a new one replaces (aborts) the old one, sessions time out. The mint's nonce `w` is derived
//! from the master secret and the session's random id, so it is fresh per session and never stored. The
//! answer closes the session, counts the value against the period's limit, debits the bank balance and keeps
//! the public transcript, in one commit.

use sha2::{Digest, Sha256};
use shared::offline::api::{SessionRequest, SessionResponseBody, WithdrawRequest, WithdrawalTranscript};
use shared::offline::auth::op;
use shared::offline::withdrawal::derive_session_nonce;
use shared::offline::{MintSession, OfflineMintKeyset};
use shared::{PublicKey, SecretKey};

use super::{OfflineMint, OfflineMintError, check_id, from_json, to_json};
use crate::store::offline::{self as rows, OfflineAccount, OfflineCommit};
use crate::store::{Commit, StoreError};

impl OfflineMint {
    fn session_nonce(&self, session_id: &str) -> Result<SecretKey, OfflineMintError> {
        derive_session_nonce(&self.master, session_id.as_bytes()).map_err(|e| OfflineMintError::Internal(e.to_string()))
    }

    fn identity(account: &OfflineAccount) -> Result<PublicKey, OfflineMintError> {
        PublicKey::from_hex(&account.identity).map_err(|e| OfflineMintError::Internal(e.to_string()))
    }

    fn mint_session(
        &self,
        keyset: &OfflineMintKeyset,
        amount: u64,
        account: &OfflineAccount,
        session_id: &str,
    ) -> Result<(MintSession, shared::offline::SessionStart), OfflineMintError> {
        let identity = Self::identity(account)?;
        MintSession::start(keyset, amount, &identity, self.session_nonce(session_id)?)
            .map_err(|e| OfflineMintError::BadRequest(e.to_string()))
    }

    /// The answer to a session request whose nonce was used before: the stored answer for the identical
    /// request (a retry), 13022 for any other (a replay); `None` if the nonce is new.
    async fn earlier_session(
        &self,
        request: &SessionRequest,
        request_key: &str,
    ) -> Result<Option<SessionResponseBody>, OfflineMintError> {
        let nonce = hex::encode(request.nonce.0);
        match rows::session_request(self.store.as_ref(), &request.account, &nonce).await? {
            None => Ok(None),
            Some((key, response)) if key == request_key => Ok(Some(from_json(&response)?)),
            Some(_) => Err(OfflineMintError::SessionRequestReplayed),
        }
    }

    /// `POST /v1/offline/session`: open a session for one coin of `amount` of the current keyset. Each
    /// request carries a fresh nonce: the identical request again gets the identical answer and opens
    /// nothing; another request with a used nonce is refused (13022).
    pub async fn start_session(&self, request: SessionRequest) -> Result<SessionResponseBody, OfflineMintError> {
        check_id(&request.account)?;
        let request_key = hex::encode(Sha256::digest(to_json(&request)?.as_bytes()));
        if let Some(answer) = self.earlier_session(&request, &request_key).await? {
            return Ok(answer);
        }
        let bank = self.store.account(&request.account).await?.ok_or(OfflineMintError::NotRegistered)?;
        request.verify_vartime(&bank.pubkey).map_err(|_| OfflineMintError::InvalidSignature)?;
        let account = self.registration(&request.account).await?;
        if account.blocked {
            return Err(OfflineMintError::Blocked);
        }
        let keyset = self.current_keyset()?;
        if keyset.public.id != request.keyset {
            return Err(match self.keyset(&request.keyset) {
                Ok(_) => OfflineMintError::KeysetNotCurrent,
                Err(error) => error,
            });
        }
        keyset.public.key(request.amount).map_err(|e| OfflineMintError::BadRequest(e.to_string()))?;
        let id = keyset.public.id.to_hex();
        let withdrawn = if account.period_keyset == id { account.withdrawn } else { 0 };
        if withdrawn.saturating_add(request.amount) > account.limit {
            return Err(OfflineMintError::LimitExceeded);
        }
        // 122 random bits from the OS: the nonce w derived from it is fresh per session.
        let session = uuid::Uuid::new_v4().simple().to_string();
        let (_, start) = self.mint_session(&keyset, request.amount, &account, &session)?;
        let now = self.clock.now();
        let expires_at = now.saturating_add(self.settings.session_ttl_secs);
        let a0 = start.a0.to_hex();
        let b0 = start.b0.to_hex();
        let response = SessionResponseBody { session: session.clone(), start, expires_at };
        let commit = OfflineCommit::StartSession {
            account_id: request.account.clone(),
            session_id: session,
            keyset_id: id,
            amount: request.amount,
            a0,
            b0,
            expires_at,
            nonce: hex::encode(request.nonce.0),
            request_key: request_key.clone(),
            response: to_json(&response)?,
            created_at: now,
        };
        match self.store.commit(&Commit::Offline(commit)).await {
            Ok(()) => Ok(response),
            // The same nonce committed meanwhile (a concurrent retry or replay): decide from what it stored.
            Err(StoreError::Offline(rows::OfflineConflict::SessionRequestSeen)) => self
                .earlier_session(&request, &request_key)
                .await?
                .ok_or_else(|| OfflineMintError::Internal("session request vanished".into())),
            Err(error) => Err(error.into()),
        }
    }

    /// Session requests answered before this time are no longer needed: a request names the keyset current
    /// when it was answered, which stops being current within one period; from then on any request naming
    /// it is refused (13002; 13001 once the keyset is too old to be looked up) before it could open or abort
    /// a session, with or without its row, and its session has long expired (an identical retry could not
    /// use its answer).
    pub(super) fn session_requests_horizon(&self, now: u64) -> u64 {
        now.saturating_sub(self.settings.period_secs.max(self.settings.session_ttl_secs))
    }

    /// Forget the session requests answered before [`Self::session_requests_horizon`] (the server runs
    /// this every minute, beside the sweep of expired quotes; `POST /admin/offline/prune` also does it).
    pub async fn forget_session_requests(&self) -> Result<(), OfflineMintError> {
        let session_requests_before = self.session_requests_horizon(self.clock.now());
        let prune = OfflineCommit::Prune { keyset_ids: Vec::new(), session_requests_before };
        Ok(self.store.commit(&Commit::Offline(prune)).await?)
    }

    /// `POST /v1/offline/withdraw`: answer the open session's blinded challenge. A retry of an answered
    /// session with the same challenge gets the same answer.
    pub async fn withdraw(&self, request: WithdrawRequest) -> Result<WithdrawalTranscript, OfflineMintError> {
        check_id(&request.session)?;
        let parts: [&[u8]; 3] =
            [request.account.as_bytes(), request.session.as_bytes(), &request.challenge.c0.to_bytes()];
        self.authenticate(&request.account, op::WITHDRAW, &parts, &request.signature).await?;
        let account = self.registration(&request.account).await?;
        let now = self.clock.now();
        let open = rows::session(self.store.as_ref(), &request.account).await?;
        let Some(open) = open.filter(|s| s.session_id == request.session && s.expires_at >= now) else {
            return self.answered(&request).await;
        };
        let keyset = self.keyset(&shared::offline::OfflineKeysetId::from_bytes(
            hex::decode(&open.keyset_id)
                .ok()
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .ok_or_else(|| OfflineMintError::Internal("stored keyset id".into()))?,
        ))?;
        let (session, start) = self.mint_session(&keyset, open.amount, &account, &open.session_id)?;
        let response = session.respond(&request.challenge).map_err(|e| OfflineMintError::BadRequest(e.to_string()))?;
        let transcript =
            WithdrawalTranscript { session: open.session_id.clone(), start, challenge: request.challenge, response };
        let commit = OfflineCommit::Withdraw {
            account_id: request.account.clone(),
            session_id: open.session_id,
            keyset_id: open.keyset_id,
            amount: open.amount,
            transcript: to_json(&transcript)?,
            now,
        };
        match self.store.commit(&Commit::Offline(commit)).await {
            Ok(()) => Ok(transcript),
            Err(StoreError::Offline(rows::OfflineConflict::SessionGone)) => self.answered(&request).await,
            Err(error) => Err(error.into()),
        }
    }

    /// The stored answer of a session answered before with this challenge, or [`OfflineMintError::SessionGone`].
    async fn answered(&self, request: &WithdrawRequest) -> Result<WithdrawalTranscript, OfflineMintError> {
        let stored = rows::withdrawal(self.store.as_ref(), &request.session, &request.account).await?;
        match stored {
            Some(text) => {
                let transcript: WithdrawalTranscript = from_json(&text)?;
                if transcript.challenge == request.challenge {
                    Ok(transcript)
                } else {
                    Err(OfflineMintError::SessionGone)
                }
            }
            None => Err(OfflineMintError::SessionGone),
        }
    }
}
