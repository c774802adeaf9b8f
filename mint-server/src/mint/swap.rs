//! `POST /v1/swap`: spend inputs, sign outputs of the same value less fees, in one commit.

use shared::PublicKey;
use shared::nuts::{State, SwapRequest, SwapResponse};
use shared::{BlindSignature, Proof};

use std::collections::HashMap;

use super::checks::{check_outputs, check_shape, check_swap_balance, price_inputs, sign_outputs, verify_signatures};
use super::{Mint, MintError};
use crate::store::{Commit, StoreError};

impl Mint {
    /// `POST /v1/swap`. `cache_key` identifies the request for NUT-19.
    ///
    /// No response is cached and none is looked up: an identical retry verifies and signs again, which
    /// gives the identical response (signatures and DLEQ nonces are deterministic), then loses the insert
    /// race to the first request and finds its inputs spent under its own request key (`Commit::Swap`),
    /// which makes it a success. Storing the key on the spent rows instead of a response in a table of its
    /// own saves a third of a swap's writes.
    pub async fn swap(&self, request: SwapRequest, cache_key: [u8; 32]) -> Result<SwapResponse, MintError> {
        if request.inputs.is_empty() {
            return Err(MintError::BadRequest("a swap needs at least one input".into()));
        }
        check_shape(&self.settings, &request.inputs, &request.outputs)?;
        self.load_keysets_of(&request.inputs, &request.outputs).await?;
        let keysets = self.keysets();
        // Balance first, from keysets and claimed amounts: an unbalanced request costs no cryptography.
        let (input_unit, fee, input_total) = price_inputs(&keysets, &request.inputs)?;
        let (output_unit, output_total) = match check_outputs(&keysets, &request.outputs) {
            Err(MintError::InactiveKeyset(id)) => {
                // Outputs of a keyset rotated away since: a new request is refused, but the retry of a swap
                // that committed before the rotation gets its answer (NUT-19).
                return match self.replay_swap(&request, &cache_key).await? {
                    Some(response) => Ok(response),
                    None => Err(MintError::InactiveKeyset(id)),
                };
            }
            other => other?,
        };
        check_swap_balance(&input_unit, input_total, fee, &output_unit, output_total, !request.outputs.is_empty())?;
        // From here to the commit this request is on its way to the store (group commit may wait for it).
        let intent = self.store.intend_commit();
        let SwapRequest { inputs, outputs } = request;
        let points = inputs.len() + outputs.len();
        let (spend, signatures) = self
            .cpu(points, move || -> Result<_, MintError> {
                let spend = verify_signatures(&keysets, inputs)?;
                Ok((spend, sign_outputs(&keysets, &outputs)?))
            })
            .await?;

        let response = SwapResponse { signatures: signatures.iter().map(|(_, s)| s.clone()).collect() };
        let commit = Commit::Swap { inputs: spend, outputs: signatures, request: cache_key };
        drop(intent);
        match self.store.commit(&commit).await {
            Ok(()) => Ok(response),
            Err(error @ (StoreError::AlreadySpent(_) | StoreError::OutputsAlreadySigned)) => {
                if self.spent_by_request(&commit, &cache_key).await? { Ok(response) } else { Err(error.into()) }
            }
            Err(other) => Err(other.into()),
        }
    }

    /// The answer to an identical retry of a swap that committed: its inputs are all spent under this
    /// request's key (the key hashes the exact body, so these are the same outputs too) and its signatures
    /// are read back from the store, exactly as first sent. `None` if this request never committed.
    async fn replay_swap(&self, request: &SwapRequest, key: &[u8; 32]) -> Result<Option<SwapResponse>, MintError> {
        let inputs: Vec<Proof> = request.inputs.clone();
        let ys: Vec<PublicKey> = self
            .cpu(inputs.len(), move || {
                inputs.iter().map(|p| p.y().map_err(|e| MintError::ProofInvalid(e.to_string()))).collect()
            })
            .await?;
        if !self.all_spent_by_request(&ys, key).await? {
            return Ok(None);
        }
        let blinded: Vec<PublicKey> = request.outputs.iter().map(|o| o.blinded_secret).collect();
        let mut found: HashMap<PublicKey, BlindSignature> =
            self.store.signatures(&blinded).await?.into_iter().collect();
        let signatures: Option<Vec<BlindSignature>> = blinded.iter().map(|b| found.remove(b)).collect();
        Ok(signatures.map(|signatures| SwapResponse { signatures }))
    }

    /// Were all of `commit`'s inputs spent by the request with this key (an identical earlier request)?
    async fn spent_by_request(&self, commit: &Commit, key: &[u8; 32]) -> Result<bool, MintError> {
        let ys: Vec<PublicKey> = commit.spends().iter().map(|(y, _)| *y).collect();
        self.all_spent_by_request(&ys, key).await
    }

    /// Are all of these serials spent by the request with this key?
    async fn all_spent_by_request(&self, ys: &[PublicKey], key: &[u8; 32]) -> Result<bool, MintError> {
        let states = self.store.proof_states(ys).await?;
        Ok(states.len() == ys.len()
            && states.iter().all(|stored| stored.state == State::Spent && stored.request.as_ref() == Some(key)))
    }
}
