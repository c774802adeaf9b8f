//! The mints in the wallet: adding one (`GET /v1/info`, `/v1/keysets`, `/v1/keys`), fetching a keyset's keys
//! when a note or signature names one not yet known, removing one, and the [`MintView`] of each.

use shared::nuts::{KeysResponse, KeysetResponse, MintInfo, PaymentMethod};
use shared::{Amount, Id, KeySet};

use super::engine::Engine;
use super::records::{MintRecord, NoteRecord, NoteState, NoteSummary, OpRecord};
use super::views::MintView;
use crate::WalletError;
use crate::mint_url::MintUrl;
use crate::store::{Batch, Table, get_all_json, get_json};

/// Adds (or refreshes) the mint at `url` and stores it.
pub(crate) async fn add(engine: &Engine, url: &str) -> Result<MintRecord, WalletError> {
    let url = MintUrl::parse(url)?;
    let info: MintInfo = engine.get_as(&url, "/v1/info").await?;
    let keysets: KeysetResponse = engine.get_as(&url, "/v1/keysets").await?;
    let keys: KeysResponse = engine.get_as(&url, "/v1/keys").await?;
    let previous: Option<MintRecord> = get_json(&*engine.store, Table::Mints, url.as_str()).await?;
    let mut record = MintRecord { url: url.clone(), info, keysets: keysets.keysets, keys: Vec::new() };
    for keyset in keys.keysets.into_iter().chain(previous.into_iter().flat_map(|p| p.keys)) {
        if keyset.verify_id().is_ok() && record.keyset(&keyset.id).is_none() {
            record.keys.push(keyset);
        }
    }
    if record.active_keyset().is_none() {
        return Err(WalletError::BadResponse("the mint has no active keyset in sat with valid keys".into()));
    }
    let mut batch = Batch::new();
    batch.put(Table::Mints, url, &record)?;
    engine.store.commit(batch).await?;
    Ok(record)
}

/// The mint's record, adding the mint first when the wallet does not know it.
pub(crate) async fn known_or_add(engine: &Engine, url: &str) -> Result<MintRecord, WalletError> {
    match engine.mint_record(url).await {
        Ok(record) => Ok(record),
        Err(WalletError::UnknownMint(_)) => add(engine, url).await,
        Err(other) => Err(other),
    }
}

/// Removes a mint; refused while it holds notes or operations.
pub(crate) async fn remove(engine: &Engine, url: &str) -> Result<(), WalletError> {
    let record = engine.mint_record(url).await?;
    let notes: Vec<NoteRecord> = engine.all_notes().await?;
    if notes.iter().any(|n| n.mint == record.url) {
        return Err(WalletError::MintNotEmpty);
    }
    let ops: Vec<OpRecord> = get_all_json(&*engine.store, Table::Ops).await?;
    if ops.iter().any(|op| op.mint == record.url) {
        return Err(WalletError::MintNotEmpty);
    }
    let mut batch = Batch::new();
    batch.delete(Table::Mints, record.url);
    engine.store.commit(batch).await
}

/// The keys of keyset `id`, fetched (and stored) when not yet known.
pub(crate) async fn keyset_keys(engine: &Engine, record: &mut MintRecord, id: &Id) -> Result<KeySet, WalletError> {
    if let Some(keyset) = record.keyset(id) {
        return Ok(keyset.clone());
    }
    let response: KeysResponse = engine.get_as(&record.url, &format!("/v1/keys/{id}")).await?;
    let keyset = response
        .keysets
        .into_iter()
        .find(|k| k.id == *id)
        .ok_or_else(|| WalletError::BadResponse(format!("the mint sent no keys for keyset {id}")))?;
    keyset.verify_id()?;
    record.keys.push(keyset.clone());
    if !record.keysets.iter().any(|k| k.id == *id) {
        record.keysets.push(keyset.info());
    }
    let mut batch = Batch::new();
    batch.put(Table::Mints, record.url.clone(), record)?;
    engine.store.commit(batch).await?;
    Ok(keyset)
}

/// The mint as the wallet shows it, with its balances among `notes`.
pub(crate) fn view(record: &MintRecord, notes: &[NoteSummary]) -> Result<MintView, WalletError> {
    let of_mint = notes.iter().filter(|n| n.mint == record.url);
    let (spendable, pending): (Vec<&NoteSummary>, Vec<&NoteSummary>) =
        of_mint.partition(|n| n.state == NoteState::Unspent);
    let mut methods: Vec<PaymentMethod> =
        record.info.nuts.nut04.methods.iter().map(|m| PaymentMethod::from(m.method.as_str())).collect();
    methods.dedup();
    let active = record.active_keyset();
    Ok(MintView {
        url: record.url.to_string(),
        name: record.info.name.clone(),
        description: record.info.description.clone(),
        unit: active.map(|k| k.unit.to_string()).unwrap_or_else(|| "sat".to_owned()),
        balance: Amount::try_sum(spendable.iter().map(|n| n.amount))?,
        pending: Amount::try_sum(pending.iter().map(|n| n.amount))?,
        methods,
        input_fee_ppk: active.map(|k| record.fee_ppk(&k.id)).unwrap_or(0),
        motd: record.info.motd.clone(),
    })
}
