//! Double-spend evidence: two deposit transcripts of the same coin under different challenges. Anyone can
//! verify it with public data only and learn the cheater's identity `I`:
//! `s = (r2 - r2') / (d - d')`, `u1 = (r1 - r1') / (r2 - r2')`, `I = u1 g1`, and the coin is bound to `I`:
//! `A == s (I + g2)`. The mint cannot forge a second transcript, so it cannot frame an honest user.

use k256::{ProjectivePoint, Scalar};
use serde::{Deserialize, Serialize};

use super::deposit::DepositTranscript;
use super::error::OfflineError;
use super::generators::generators;
use super::keyset::OfflineKeyset;
use crate::PublicKey;

/// Self-contained evidence: the keyset (its id is recomputed) and both signed transcripts.
///
/// JSON: `{"keyset": OfflineKeyset, "first": DepositTranscript, "second": DepositTranscript}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoubleSpendEvidence {
    /// The coin's keyset.
    pub keyset: OfflineKeyset,
    /// The deposit that came first.
    pub first: DepositTranscript,
    /// The later deposit of the same coin.
    pub second: DepositTranscript,
}

/// The identity of whoever answered two different challenges for the same coin (public data only). Fails on
/// two transcripts of different coins and on equal challenges (a replay, not a double spend). It checks
/// neither the coin nor the signatures: [`DoubleSpendEvidence::verify_vartime`] does.
pub fn extract_identity_vartime(
    first: &DepositTranscript,
    second: &DepositTranscript,
) -> Result<PublicKey, OfflineError> {
    if first.coin != second.coin {
        return Err(OfflineError::NotADoubleSpend("the transcripts are of different coins"));
    }
    let (d1, d2) = (first.challenge()?, second.challenge()?);
    let d_diff = d1 - d2;
    let inverse = |x: Scalar| -> Option<Scalar> { x.invert_vartime().into_option() };
    let d_inv = inverse(d_diff).ok_or(OfflineError::NotADoubleSpend("the challenges are equal"))?;
    let r2_diff = *first.r2.as_scalar() - second.r2.as_scalar();
    let r2_inv = inverse(r2_diff).ok_or(OfflineError::EvidenceMismatch)?;
    let s = r2_diff * d_inv;
    let u1 = (*first.r1.as_scalar() - second.r1.as_scalar()) * r2_inv;
    let gens = generators()?;
    let identity = gens.g1 * u1;
    // The coin must be bound to that identity: A == s (I + g2).
    if (identity + gens.g2) * s != first.coin.a_point.to_projective() {
        return Err(OfflineError::EvidenceMismatch);
    }
    if identity == ProjectivePoint::IDENTITY {
        return Err(OfflineError::EvidenceMismatch);
    }
    Ok(PublicKey::from_projective(identity)?)
}

impl DoubleSpendEvidence {
    /// Build evidence from two transcripts (checked as [`DoubleSpendEvidence::verify_vartime`] does).
    pub fn new(
        keyset: OfflineKeyset,
        first: DepositTranscript,
        second: DepositTranscript,
    ) -> Result<(Self, PublicKey), OfflineError> {
        let evidence = DoubleSpendEvidence { keyset, first, second };
        let identity = evidence.verify_vartime()?;
        Ok((evidence, identity))
    }

    /// Verify with public data only and return the cheater's identity `I`: the keyset's id matches its
    /// content, both transcripts verify (coin, answers, payees' signatures), they are of the same coin under
    /// different challenges, and the extracted identity owns the coin.
    pub fn verify_vartime(&self) -> Result<PublicKey, OfflineError> {
        self.keyset.verify_id_vartime()?;
        if self.first.coin != self.second.coin {
            return Err(OfflineError::NotADoubleSpend("the transcripts are of different coins"));
        }
        let d1 = self.first.verify_vartime(&self.keyset)?;
        let d2 = self.second.verify_vartime(&self.keyset)?;
        if d1 == d2 {
            return Err(OfflineError::NotADoubleSpend("the challenges are equal"));
        }
        extract_identity_vartime(&self.first, &self.second)
    }
}
