//! The checks and signing every operation shares, free of I/O: request shape, input signatures, outputs'
//! keysets and amounts, blind signatures with DLEQ proofs.

use std::collections::HashSet;

use shared::{Amount, BlindSignature, BlindedMessage, CurrencyUnit, Proof, PublicKey, dhke, dleq};

use super::{Keysets, Mint, MintError};

impl Mint {
    /// Structural checks that need no crypto: limits and duplicates.
    pub(super) fn check_shape(&self, inputs: &[Proof], outputs: &[BlindedMessage]) -> Result<(), MintError> {
        if inputs.len() > self.settings.max_inputs {
            return Err(MintError::TooManyInputs(self.settings.max_inputs));
        }
        if outputs.len() > self.settings.max_outputs {
            return Err(MintError::TooManyOutputs(self.settings.max_outputs));
        }
        let mut secrets = HashSet::with_capacity(inputs.len());
        if !inputs.iter().all(|p| secrets.insert(p.secret.as_str())) {
            return Err(MintError::DuplicateInputs);
        }
        let mut blinded = HashSet::with_capacity(outputs.len());
        if !outputs.iter().all(|o| blinded.insert(o.blinded_secret)) {
            return Err(MintError::DuplicateOutputs);
        }
        Ok(())
    }
}

/// Verify every input's signature. Returns the spend list (with `Y`), the inputs' unit, the fee and the
/// total.
#[allow(clippy::type_complexity)]
pub(super) fn verify_inputs(
    keysets: &Keysets,
    inputs: Vec<Proof>,
) -> Result<(Vec<(PublicKey, Proof)>, CurrencyUnit, Amount, Amount), MintError> {
    let mut unit: Option<CurrencyUnit> = None;
    let mut fees_ppk = Vec::with_capacity(inputs.len());
    let mut total = Amount::ZERO;
    let mut spend = Vec::with_capacity(inputs.len());
    for proof in inputs {
        let keyset =
            keysets.get(&proof.keyset_id).ok_or_else(|| MintError::UnknownKeyset(proof.keyset_id.to_string()))?;
        match &unit {
            None => unit = Some(keyset.record.unit.clone()),
            Some(u) if *u != keyset.record.unit => return Err(MintError::MultipleUnits),
            Some(_) => {}
        }
        let k = keyset
            .keys
            .secret_key(proof.amount)
            .map_err(|_| MintError::ProofInvalid(format!("keyset has no key for amount {}", proof.amount)))?;
        let y = proof.y().map_err(|e| MintError::ProofInvalid(e.to_string()))?;
        dhke::verify_message_with_y(k, &proof.c, &y)
            .map_err(|_| MintError::ProofInvalid("signature does not match".into()))?;
        fees_ppk.push(keyset.record.input_fee_ppk);
        total = total.checked_add(proof.amount)?;
        spend.push((y, proof));
    }
    let fee = shared::keyset::fee_for_inputs(fees_ppk)?;
    Ok((spend, unit.unwrap_or_default(), fee, total))
}

/// Check outputs: known, active keysets of one unit, amounts the keyset signs. Returns unit and total.
pub(super) fn check_outputs(
    keysets: &Keysets,
    outputs: &[BlindedMessage],
) -> Result<(CurrencyUnit, Amount), MintError> {
    let mut unit: Option<CurrencyUnit> = None;
    let mut total = Amount::ZERO;
    for output in outputs {
        let keyset =
            keysets.get(&output.keyset_id).ok_or_else(|| MintError::UnknownKeyset(output.keyset_id.to_string()))?;
        if !keyset.record.active {
            return Err(MintError::InactiveKeyset(output.keyset_id.to_string()));
        }
        match &unit {
            None => unit = Some(keyset.record.unit.clone()),
            Some(u) if *u != keyset.record.unit => return Err(MintError::MultipleUnits),
            Some(_) => {}
        }
        keyset.secret_key(output.amount)?;
        total = total.checked_add(output.amount)?;
    }
    Ok((unit.unwrap_or_default(), total))
}

/// Sign outputs (already checked), each with its DLEQ proof.
pub(super) fn sign_outputs(
    keysets: &Keysets,
    outputs: &[BlindedMessage],
) -> Result<Vec<(PublicKey, BlindSignature)>, MintError> {
    outputs
        .iter()
        .map(|output| {
            let keyset =
                keysets.get(&output.keyset_id).ok_or_else(|| MintError::UnknownKeyset(output.keyset_id.to_string()))?;
            let k = keyset.secret_key(output.amount)?;
            let c = dhke::sign_message(k, &output.blinded_secret).map_err(|e| MintError::BadRequest(e.to_string()))?;
            let proof =
                dleq::calculate_dleq(k, &output.blinded_secret, &c).map_err(|e| MintError::Internal(e.to_string()))?;
            Ok((
                output.blinded_secret,
                BlindSignature { amount: output.amount, keyset_id: output.keyset_id, c, dleq: Some(proof) },
            ))
        })
        .collect()
}
