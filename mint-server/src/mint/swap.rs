//! `POST /v1/swap`: spend inputs, sign outputs of the same value less fees, in one commit.

use shared::PublicKey;
use shared::nuts::{State, SwapRequest, SwapResponse};

use super::checks::{check_outputs, check_shape, check_swap_balance, sign_outputs, verify_inputs};
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
        // From here to the commit this request is on its way to the store (group commit may wait for it).
        let intent = self.store.intend_commit();
        let keysets = self.keysets();
        let SwapRequest { inputs, outputs } = request;
        let points = inputs.len() + outputs.len();
        let (spend, signatures) = self
            .cpu(points, move || -> Result<_, MintError> {
                let (spend, input_unit, fee, input_total) = verify_inputs(&keysets, inputs)?;
                let (output_unit, output_total) = check_outputs(&keysets, &outputs)?;
                check_swap_balance(&input_unit, input_total, fee, &output_unit, output_total, !outputs.is_empty())?;
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

    /// Were all of `commit`'s inputs spent by the request with this key (an identical earlier request)?
    async fn spent_by_request(&self, commit: &Commit, key: &[u8; 32]) -> Result<bool, MintError> {
        let ys: Vec<PublicKey> = commit.spends().iter().map(|(y, _)| *y).collect();
        let states = self.store.proof_states(&ys).await?;
        Ok(states.len() == ys.len()
            && states.iter().all(|stored| stored.state == State::Spent && stored.request.as_ref() == Some(key)))
    }
}
