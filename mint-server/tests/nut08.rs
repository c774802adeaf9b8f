//! NUT-08 over HTTP on SQLite and PostgreSQL: a bolt11 melt whose fee reserve exceeds the fee really paid
//! returns the difference as signatures on the wallet's blank outputs (powers of two, largest first, in the
//! blanks' order, valid notes with DLEQ proofs, found again by NUT-09 restore, the same answer to an
//! identical retry); blank outputs of an unknown keyset or given twice are refused before anything happens;
//! without blank outputs nothing comes back. The fake backend reserves 100 sat and pays 3.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::wallet::{Pending, TestMint};
use mint_server::funding::FundingRegistry;
use mint_server::funding::fake::FakeBolt11;
use mint_server::mint::{Mint, MintSettings};
use mint_server::store::MintStore;
use shared::nuts::{
    ErrorCode, MeltQuoteBolt11Request, MeltQuoteBolt11Response, MeltQuoteState, MeltRequest, MintInfo,
    MintQuoteBolt11Request, MintQuoteBolt11Response, RestoreRequest, RestoreResponse,
};
use shared::{Amount, CurrencyUnit};

async fn start(store: Arc<dyn MintStore>) -> TestMint {
    let fake = FakeBolt11::with_fees(Amount::from_u64(100), Amount::from_u64(3));
    let funding = FundingRegistry::standard(Arc::clone(&store), true).with(Arc::new(fake));
    let mint = Mint::new(store, vec![7; 32], MintSettings::default(), funding).await.unwrap();
    TestMint::serve(Arc::new(mint)).await
}

/// A melt quote for a fake invoice of `amount` sat.
async fn melt_quote(mint: &TestMint, amount: u64) -> MeltQuoteBolt11Response {
    let request = MintQuoteBolt11Request {
        amount: Amount::from_u64(amount),
        unit: CurrencyUnit::Sat,
        description: None,
        pubkey: None,
    };
    let invoice: MintQuoteBolt11Response = mint.post("/v1/mint/quote/bolt11", &request).await.unwrap();
    let request = MeltQuoteBolt11Request { request: invoice.request, unit: CurrencyUnit::Sat, options: None };
    mint.post("/v1/melt/quote/bolt11", &request).await.unwrap()
}

/// NUT-08's number of blank outputs for a fee reserve: `max(ceil(log2(reserve)), 1)`, 0 for none.
fn blank_count(reserve: u64) -> usize {
    if reserve == 0 { 0 } else { (u64::BITS - (reserve - 1).leading_zeros()).max(1) as usize }
}

async fn nut08(store: Arc<dyn MintStore>) {
    let mint = start(store).await;
    let info: MintInfo = mint.get("/v1/info").await.unwrap();
    assert!(info.nuts.nut08.supported);
    assert_eq!((blank_count(100), blank_count(1), blank_count(2), blank_count(1000)), (7, 1, 1, 10));

    let keyset = mint.keyset().await;
    let notes = mint.mint_notes(&[128, 128, 128]).await;
    let quote = melt_quote(&mint, 10).await;
    assert_eq!(quote.fee_reserve, Amount::from_u64(100));
    let blanks = TestMint::outputs(&keyset, &vec![1; blank_count(100)]);

    // Refused before anything happens: a blank output of an unknown keyset, or the same one twice.
    let mut unknown = blanks.outputs.clone();
    unknown[0].keyset_id = "00ffffffffffffff".parse::<shared::Id>().unwrap();
    let mut twice = blanks.outputs.clone();
    twice[1] = twice[0].clone();
    for (outputs, code) in [(unknown, ErrorCode::KeysetNotFound), (twice, ErrorCode::DuplicateOutputs)] {
        let request = MeltRequest {
            quote: quote.quote.clone(),
            inputs: vec![notes[0].clone()],
            outputs: Some(outputs),
            prefer_async: false,
        };
        assert_eq!(mint.post::<_, MeltQuoteBolt11Response>("/v1/melt/bolt11", &request).await.unwrap_err().code, code);
    }

    // Inputs 128 for 10 + reserve 100; paid 3: change 115 = 64 + 32 + 16 + 2 + 1 on the first five blanks.
    let request = MeltRequest {
        quote: quote.quote.clone(),
        inputs: vec![notes[0].clone()],
        outputs: Some(blanks.outputs.clone()),
        prefer_async: false,
    };
    let melted: MeltQuoteBolt11Response = mint.post("/v1/melt/bolt11", &request).await.unwrap();
    assert_eq!(melted.state, MeltQuoteState::Paid);
    let change = melted.change.clone().unwrap();
    let amounts: Vec<u64> = change.iter().map(|s| s.amount.to_u64()).collect();
    assert_eq!(amounts, [64, 32, 16, 2, 1]);
    let used = Pending {
        outputs: blanks
            .outputs
            .iter()
            .zip(&change)
            .map(|(b, s)| shared::BlindedMessage { amount: s.amount, ..b.clone() })
            .collect(),
        secrets: blanks.secrets[..change.len()].to_vec(),
    };
    let change_notes = TestMint::unblind(&keyset, &used, &change);
    // An identical retry gets the identical answer (NUT-19), no second change.
    let again: MeltQuoteBolt11Response = mint.post("/v1/melt/bolt11", &request).await.unwrap();
    assert_eq!(again, melted);
    // NUT-09 restore finds the change by its blank outputs (and nothing for the unused ones).
    let restored: RestoreResponse =
        mint.post("/v1/restore", &RestoreRequest { outputs: blanks.outputs.clone() }).await.unwrap();
    assert_eq!(restored.signatures, change);
    // The change notes are good money: 115 + 128 + 128 = 10 + 3 paid out of 384.
    let swapped = mint.swap(change_notes, &[64, 32, 16, 2, 1]).await.unwrap();
    assert_eq!(swapped.iter().map(|n| n.amount.to_u64()).sum::<u64>(), 115);

    // Without blank outputs the melt works as before and nothing comes back.
    let quote = melt_quote(&mint, 10).await;
    let request =
        MeltRequest { quote: quote.quote.clone(), inputs: vec![notes[1].clone()], outputs: None, prefer_async: false };
    let melted: MeltQuoteBolt11Response = mint.post("/v1/melt/bolt11", &request).await.unwrap();
    assert_eq!((melted.state, melted.change), (MeltQuoteState::Paid, None));

    // Blank outputs signed before (reused by a wallet): the melt still settles, without change.
    let quote = melt_quote(&mint, 10).await;
    let request = MeltRequest {
        quote: quote.quote.clone(),
        inputs: vec![notes[2].clone()],
        outputs: Some(blanks.outputs.clone()),
        prefer_async: false,
    };
    let melted: MeltQuoteBolt11Response = mint.post("/v1/melt/bolt11", &request).await.unwrap();
    assert_eq!((melted.state, melted.change), (MeltQuoteState::Paid, Some(Vec::new())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nut08_on_sqlite() {
    let (store, _dir) = common::sqlite_store().await;
    nut08(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nut08_on_postgres() {
    nut08(common::postgres_store().await).await;
}
