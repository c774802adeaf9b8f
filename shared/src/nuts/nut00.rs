//! NUT-00 models: `BlindedMessage` (output), `BlindSignature` (promise), `Proof` (input), with the NUT-12
//! DLEQ extensions.

use alloc::string::String;

use serde::{Deserialize, Serialize};

// The DLEQ wire types live in `dleq` (which must not depend on this module); re-exported here as part of NUT-00's models.
pub use crate::dleq::{BlindSignatureDleq, ProofDleq};
use crate::{Amount, Error, Id, Keys, PublicKey, Secret, dhke, dleq};

/// An output: a blinded secret the wallet asks the mint to sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlindedMessage {
    /// Requested amount.
    pub amount: Amount,
    /// Keyset the wallet wants the signature from.
    #[serde(rename = "id")]
    pub keyset_id: Id,
    /// `B' = Y + r G`.
    #[serde(rename = "B_")]
    pub blinded_secret: PublicKey,
    /// Optional witness (NUT-20 and later; carried, not interpreted here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness: Option<String>,
}

/// A promise: the mint's blind signature on an output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlindSignature {
    /// Amount.
    pub amount: Amount,
    /// Keyset that signed.
    #[serde(rename = "id")]
    pub keyset_id: Id,
    /// `C' = k B'`.
    #[serde(rename = "C_")]
    pub c: PublicKey,
    /// DLEQ proof that `C'` was made with the keyset's published key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dleq: Option<BlindSignatureDleq>,
}

impl BlindSignature {
    /// Check the DLEQ proof against the keyset's key for this amount and the output we sent.
    pub fn verify_dleq(&self, keys: &Keys, blinded: &PublicKey) -> Result<(), Error> {
        let dleq = self.dleq.as_ref().ok_or(Error::MissingDleq)?;
        dleq::verify_dleq(dleq, keys.amount_key(self.amount)?, blinded, &self.c)
    }
}

/// A note (input): a secret and the mint's unblinded signature on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// Amount.
    pub amount: Amount,
    /// Keyset that signed.
    #[serde(rename = "id")]
    pub keyset_id: Id,
    /// The secret `x`.
    pub secret: Secret,
    /// `C = k Y`.
    #[serde(rename = "C")]
    pub c: PublicKey,
    /// Optional witness (spending conditions; carried, not interpreted here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness: Option<String>,
    /// Optional DLEQ proof for offline checking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dleq: Option<ProofDleq>,
}

impl Proof {
    /// `Y = hash_to_curve(secret)`: the serial the mint records when the note is spent.
    pub fn y(&self) -> Result<PublicKey, Error> {
        dhke::hash_to_curve(self.secret.as_bytes())
    }

    /// Check the note's DLEQ proof against the keyset's key for its amount (offline).
    pub fn verify_dleq(&self, keys: &Keys) -> Result<(), Error> {
        let dleq = self.dleq.as_ref().ok_or(Error::MissingDleq)?;
        dleq::verify_proof_dleq(dleq, keys.amount_key(self.amount)?, self.secret.as_bytes(), &self.c)
    }
}

/// The sum of the proofs' amounts, or an overflow error.
pub fn total_amount<'a, I: IntoIterator<Item = &'a Proof>>(proofs: I) -> Result<Amount, Error> {
    Amount::try_sum(proofs.into_iter().map(|proof| proof.amount))
}
