//! Read-only lookups of notes: NUT-07 check state and NUT-09 restore. Both are linear in the request: what
//! the store found is indexed by key once, then each asked key is one lookup.

use std::collections::HashMap;

use shared::nuts::{CheckStateRequest, CheckStateResponse, ProofState, RestoreRequest, RestoreResponse, State};
use shared::{BlindSignature, PublicKey};

use super::{Mint, MintError};
use crate::store::StoredProofState;

impl Mint {
    /// `POST /v1/checkstate`.
    pub async fn check_state(&self, request: CheckStateRequest) -> Result<CheckStateResponse, MintError> {
        if request.ys.len() > self.settings.max_inputs {
            return Err(MintError::TooManyInputs(self.settings.max_inputs));
        }
        let stored: HashMap<PublicKey, StoredProofState> =
            self.store.proof_states(&request.ys).await?.into_iter().map(|s| (s.y, s)).collect();
        let states = request
            .ys
            .iter()
            .map(|y| match stored.get(y) {
                Some(found) => ProofState { y: *y, state: found.state, witness: found.witness.clone() },
                None => ProofState { y: *y, state: State::Unspent, witness: None },
            })
            .collect();
        Ok(CheckStateResponse { states })
    }

    /// `POST /v1/restore`: the signatures of outputs the mint has signed, in request order.
    pub async fn restore(&self, request: RestoreRequest) -> Result<RestoreResponse, MintError> {
        if request.outputs.len() > self.settings.max_outputs {
            return Err(MintError::TooManyOutputs(self.settings.max_outputs));
        }
        let blinded: Vec<PublicKey> = request.outputs.iter().map(|o| o.blinded_secret).collect();
        let found: HashMap<PublicKey, BlindSignature> = self.store.signatures(&blinded).await?.into_iter().collect();
        let mut response = RestoreResponse { outputs: Vec::new(), signatures: Vec::new() };
        for output in request.outputs {
            if let Some(signature) = found.get(&output.blinded_secret) {
                response.signatures.push(signature.clone());
                response.outputs.push(output);
            }
        }
        Ok(response)
    }
}
