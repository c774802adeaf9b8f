//! Receiving a token: decoding it, checking its DLEQ proofs offline ([`inspect`]), and swapping its notes
//! at their mint for fresh notes of this wallet ([`receive`]).

use shared::{Amount, CurrencyUnit, KeySet, Token};

use super::engine::{Engine, MAX_TOKEN_NOTES, MAX_TOKEN_VALUE, max_denomination};
use super::journal::{Funding, Swap};
use super::mints;
use super::records::{Destination, MintRecord, OpKind};
use super::views::{DleqStatus, HistoryKind, ReceiveView, TokenPreview};
use crate::WalletError;
use crate::mint_url::MintUrl;
use crate::store::{Table, get_json};

/// What a token holds, checked offline against the keys the wallet knows. Changes nothing.
pub(crate) async fn inspect(engine: &Engine, token: &str) -> Result<TokenPreview, WalletError> {
    let decoded = Token::decode(token)?;
    let mint = MintUrl::parse(&decoded.mint_url()?)?;
    let record: Option<MintRecord> = get_json(&*engine.store, Table::Mints, mint.as_str()).await?;
    let dleq = match &record {
        None => DleqStatus::Missing,
        Some(record) => match decoded.proofs(&record.keyset_ids()) {
            Err(_) => DleqStatus::Missing,
            Ok(proofs) => {
                let mut status = DleqStatus::AllValid;
                for proof in &proofs {
                    match (record.keyset(&proof.keyset_id), &proof.dleq) {
                        (Some(keyset), Some(_)) => {
                            if proof.verify_dleq(&keyset.keys).is_err() {
                                status = DleqStatus::Invalid;
                                break;
                            }
                        }
                        _ => status = DleqStatus::Missing,
                    }
                }
                status
            }
        },
    };
    Ok(TokenPreview {
        mint: mint.into(),
        amount: decoded.value()?,
        unit: decoded.unit().to_string(),
        memo: decoded.memo().map(str::to_owned),
        notes: decoded.proof_count(),
        mint_known: record.is_some(),
        dleq,
    })
}

/// Decodes a token, bounds it (notes, value) and resolves it against the mint's keysets (fetching keys
/// not yet known: a keyset the mint does not know is refused).
async fn resolve(
    engine: &Engine,
    token: &str,
    trust_mint: bool,
) -> Result<(Token, MintRecord, Vec<shared::Proof>, Vec<KeySet>), WalletError> {
    let token = Token::decode(token)?;
    if token.unit() != CurrencyUnit::Sat {
        return Err(WalletError::InvalidToken(format!("unit {} is not supported (only sat)", token.unit())));
    }
    if token.proof_count() > MAX_TOKEN_NOTES {
        return Err(WalletError::InvalidToken(format!("more than {MAX_TOKEN_NOTES} notes")));
    }
    if token.value()? > Amount::from(MAX_TOKEN_VALUE) {
        return Err(WalletError::InvalidToken("it claims more value than there can be".into()));
    }
    let url = token.mint_url()?;
    let mut record = match engine.mint_record(&url).await {
        Ok(record) => record,
        Err(WalletError::UnknownMint(url)) if !trust_mint => return Err(WalletError::UnknownMint(url)),
        Err(WalletError::UnknownMint(_)) => mints::add(engine, &url).await?,
        Err(other) => return Err(other),
    };
    let proofs = token.proofs(&record.keyset_ids()).map_err(|e| WalletError::InvalidToken(e.to_string()))?;
    let mut keysets = Vec::new();
    for proof in &proofs {
        keysets.push(mints::keyset_keys(engine, &mut record, &proof.keyset_id).await?);
    }
    Ok((token, record, proofs, keysets))
}

/// Receives a token: checked offline (bounds, every amount one of its keyset's, DLEQ proofs: required
/// unless `require_proof` is false), then a swap at the mint for fresh notes. Nothing is written, and no
/// derivation counter moves, before every check passed.
pub(crate) async fn receive(
    engine: &Engine,
    text: &str,
    trust_mint: bool,
    require_proof: bool,
) -> Result<ReceiveView, WalletError> {
    let (token, record, proofs, keysets) = resolve(engine, text, trust_mint).await?;
    for (proof, keyset) in proofs.iter().zip(&keysets) {
        if keyset.keys.amount_key(proof.amount).is_err() {
            return Err(WalletError::InvalidToken(format!("keyset {} has no amount {}", keyset.id, proof.amount)));
        }
    }
    for (proof, keyset) in proofs.iter().zip(&keysets) {
        match &proof.dleq {
            Some(_) => proof.verify_dleq(&keyset.keys).map_err(|_| WalletError::DleqInvalid)?,
            None if require_proof => return Err(WalletError::DleqMissing),
            None => {}
        }
    }
    let fee = shared::keyset::fee_for_inputs(proofs.iter().map(|p| record.fee_ppk(&p.keyset_id)))?;
    let value = token.value()?;
    let amount = value
        .checked_sub(fee)
        .ok()
        .filter(|a| *a > Amount::ZERO)
        .ok_or_else(|| WalletError::InvalidToken("the token is worth less than the mint's fee".into()))?;
    let max = max_denomination(&record)?;
    let amounts: Vec<(Amount, Destination)> =
        amount.split_with_max(max)?.into_iter().map(|a| (a, Destination::Keep)).collect();
    let foreign = proofs.into_iter().map(|p| shared::Proof { dleq: None, witness: None, ..p }).collect();
    let history = engine.new_entry(HistoryKind::Received, &record.url, amount, fee, token.memo().map(str::to_owned))?;
    let swap = Swap {
        kind: OpKind::Receive,
        mint: &record,
        funding: Funding::Swap { own: &[], foreign },
        outputs: &amounts,
        send_id: None,
        memo: None,
        history: &history,
    };
    let (_, outcome) = swap.run(engine).await?;
    outcome.done()?;
    Ok(ReceiveView { mint: record.url.into(), amount, fee })
}
