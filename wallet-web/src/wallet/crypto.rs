//! The wallet's crypto path: deterministic outputs (NUT-13), unblinding with DLEQ checks (NUT-12). The
//! operations and the benchmark call exactly these functions.

use shared::derivation::WalletSeed;
use shared::nuts::{BlindSignature, BlindedMessage};
use shared::{Amount, Id, KeySet, ProofDleq, dhke};

use super::records::{CASHU, Destination, NoteRecord, NoteState, OutputRecord};
use crate::WalletError;
use crate::mint_url::MintUrl;

/// Outputs for `amounts` in keyset `keyset_id`, derived from the seed at counters `first_counter..`.
pub fn build_outputs(
    seed: &WalletSeed,
    keyset_id: Id,
    first_counter: u32,
    amounts: &[(Amount, Destination)],
) -> Result<Vec<OutputRecord>, WalletError> {
    amounts
        .iter()
        .enumerate()
        .map(|(index, (amount, destination))| {
            let counter = first_counter
                .checked_add(u32::try_from(index).map_err(|_| WalletError::Invalid("too many outputs".into()))?)
                .ok_or_else(|| WalletError::Invalid("derivation counter overflow".into()))?;
            let (secret, r) = seed.derive(&keyset_id, counter)?;
            let (blinded, r) = dhke::blind_message(secret.as_bytes(), Some(r))?;
            Ok(OutputRecord { amount: *amount, keyset_id, counter, blinded, secret, r, destination: *destination })
        })
        .collect()
}

/// The blinded messages of `outputs`, as the request carries them.
pub fn blinded_messages(outputs: &[OutputRecord]) -> Vec<BlindedMessage> {
    outputs
        .iter()
        .map(|o| BlindedMessage { amount: o.amount, keyset_id: o.keyset_id, blinded_secret: o.blinded, witness: None })
        .collect()
}

/// Unblinds the mint's signature on `output`, checking its DLEQ proof against `keyset`, into a note.
pub fn unblind(
    mint: &MintUrl,
    output: &OutputRecord,
    signature: &BlindSignature,
    keyset: &KeySet,
    state: NoteState,
) -> Result<NoteRecord, WalletError> {
    if signature.keyset_id != keyset.id || signature.keyset_id != output.keyset_id {
        return Err(WalletError::BadResponse("a signature names another keyset".into()));
    }
    let key = keyset.keys.amount_key(signature.amount)?;
    let dleq = signature.dleq.as_ref().ok_or(WalletError::DleqInvalid)?;
    shared::dleq::verify_dleq(dleq, key, &output.blinded, &signature.c).map_err(|_| WalletError::DleqInvalid)?;
    let c = dhke::unblind_message(&signature.c, &output.r, key)?;
    let y = output.secret.to_y()?;
    Ok(NoteRecord {
        y: y.to_hex(),
        kind: CASHU.to_owned(),
        mint: mint.clone(),
        keyset_id: signature.keyset_id,
        amount: signature.amount,
        secret: output.secret.clone(),
        c,
        dleq: Some(ProofDleq { e: dleq.e.clone(), s: dleq.s.clone(), r: output.r.clone() }),
        state,
    })
}
