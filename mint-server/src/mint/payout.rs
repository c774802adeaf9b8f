//! Signing Cashu outputs for the offline side: a deposit of an offline coin paid anonymously
//! ([`crate::offline::OutputSigner`]). The same checks and signing as minting; the offline side commits the
//! signatures with its deposit.

use shared::{BlindSignature, BlindedMessage, PublicKey};

use super::checks::{check_outputs, check_shape, sign_outputs};
use super::{Mint, MintError};
use crate::offline::{OfflineMintError, OutputSigner};

#[async_trait::async_trait]
impl OutputSigner for Mint {
    async fn sign(&self, outputs: Vec<BlindedMessage>) -> Result<Vec<(PublicKey, BlindSignature)>, OfflineMintError> {
        let refused = |error: MintError| match error {
            MintError::Internal(detail) => OfflineMintError::Internal(detail),
            MintError::Unavailable(detail) => OfflineMintError::Unavailable(detail),
            other => OfflineMintError::InvalidOutputs(other.to_string()),
        };
        if outputs.is_empty() {
            return Ok(Vec::new());
        }
        check_shape(&self.settings, &[], &outputs).map_err(refused)?;
        self.load_keysets_of(&[], &outputs).await.map_err(refused)?;
        let keysets = self.keysets();
        let wanted = self.settings.unit.clone();
        self.cpu(outputs.len(), move || {
            let (unit, _) = check_outputs(&keysets, &outputs)?;
            if unit != wanted {
                return Err(MintError::UnitMismatch);
            }
            sign_outputs(&keysets, &outputs)
        })
        .await
        .map_err(refused)
    }
}
