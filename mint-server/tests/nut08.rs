//! NUT-08 over HTTP on SQLite and PostgreSQL: a bolt11 melt whose fee reserve exceeds the fee really paid
//! returns the difference as signatures on the wallet's blank outputs (powers of two, largest first, in the
//! blanks' order, valid notes with DLEQ proofs, found again by NUT-09 restore, the same answer to an
//! identical retry); blank outputs of an unknown keyset or given twice are refused before anything happens;
//! without blank outputs nothing comes back; `GET /v1/melt/quote/bolt11/{id}` of a paid quote repeats its
//! change (and none for blank outputs another melt had signed). The fake backend reserves 100 sat and pays 3.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::wallet::{Pending, TestMint};
use mint_server::funding::fake::FakeBolt11;
use mint_server::funding::{Funding, FundingError, FundingRegistry, MintRequest, Payout};
use mint_server::mint::{Mint, MintSettings};
use mint_server::store::{MeltQuote, MintStore};
use shared::nuts::{
    ErrorCode, MeltQuoteBolt11Request, MeltQuoteBolt11Response, MeltQuoteState, MeltRequest, MintInfo,
    MintQuoteBolt11Request, MintQuoteBolt11Response, PaymentMethod, RestoreRequest, RestoreResponse,
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
    // The quote's state repeats the change (NUT-08), as the answer carried it.
    let state: MeltQuoteBolt11Response = mint.get(&format!("/v1/melt/quote/bolt11/{}", quote.quote)).await.unwrap();
    assert_eq!((state.state, state.change.as_ref()), (MeltQuoteState::Paid, Some(&change)));
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
    let state: MeltQuoteBolt11Response = mint.get(&format!("/v1/melt/quote/bolt11/{}", quote.quote)).await.unwrap();
    assert_eq!((state.state, state.change), (MeltQuoteState::Paid, None));

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
    // Its state shows no change either: the signatures on those blanks are another melt's.
    let state: MeltQuoteBolt11Response = mint.get(&format!("/v1/melt/quote/bolt11/{}", quote.quote)).await.unwrap();
    assert_eq!((state.state, state.change), (MeltQuoteState::Paid, None));
}

/// Fake Lightning whose payments never finish: the melt's request dies with its payment in flight.
#[derive(Debug)]
struct Hanging(FakeBolt11);

#[async_trait::async_trait]
impl Funding for Hanging {
    fn method(&self) -> PaymentMethod {
        self.0.method()
    }
    fn method_name(&self) -> &'static str {
        self.0.method_name()
    }
    async fn mint_request(&self, id: &str, amount: Amount, unit: &CurrencyUnit) -> Result<MintRequest, FundingError> {
        self.0.mint_request(id, amount, unit).await
    }
    async fn melt_amount(&self, request: &str, amount: Option<Amount>) -> Result<(Amount, Amount), FundingError> {
        self.0.melt_amount(request, amount).await
    }
    async fn pay(&self, _quote: &MeltQuote) -> Result<Payout, FundingError> {
        std::future::pending().await
    }
}

/// A melt whose serving instance died while paying is finished by another instance's background task, and
/// still returns its change: the blank outputs were stored with the PENDING state; the wallet finds the
/// change by restoring its blank outputs (NUT-09).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovered_melt_still_returns_its_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mint.sqlite");
    let store: Arc<dyn MintStore> = Arc::new(mint_server::store::SqliteStore::open(&path).await.unwrap());
    let hanging = Hanging(FakeBolt11::with_fees(Amount::from_u64(100), Amount::from_u64(3)));
    let funding = FundingRegistry::standard(Arc::clone(&store), true).with(Arc::new(hanging));
    let dying = TestMint::serve(Arc::new(
        Mint::new(Arc::clone(&store), vec![7; 32], MintSettings::default(), funding).await.unwrap(),
    ))
    .await;
    let survivor = start(Arc::clone(&store)).await;

    let keyset = survivor.keyset().await;
    let notes = survivor.mint_notes(&[128]).await;
    let quote = melt_quote(&survivor, 10).await;
    let blanks = TestMint::outputs(&keyset, &vec![1; blank_count(100)]);
    let request = MeltRequest {
        quote: quote.quote.clone(),
        inputs: notes,
        outputs: Some(blanks.outputs.clone()),
        prefer_async: false,
    };
    let client = {
        let (url, client) = (dying.url("/v1/melt/bolt11"), dying.client.clone());
        tokio::spawn(async move { client.post(url).json(&request).send().await })
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while store.melt_quote(&quote.quote).await.unwrap().unwrap().state != MeltQuoteState::Pending {
        assert!(tokio::time::Instant::now() < deadline, "the melt never started");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    client.abort();
    // The dying instance's lease runs out (as after its death): set it to the past.
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    sqlx::query("UPDATE melt_quotes SET lease_until = 0").execute(&raw).await.unwrap();

    assert_eq!(survivor.mint.recover_pending_melts().await.unwrap(), 1);
    assert_eq!(store.melt_quote(&quote.quote).await.unwrap().unwrap().state, MeltQuoteState::Paid);
    let restored: RestoreResponse =
        survivor.post("/v1/restore", &RestoreRequest { outputs: blanks.outputs.clone() }).await.unwrap();
    let amounts: Vec<u64> = restored.signatures.iter().map(|s| s.amount.to_u64()).collect();
    assert_eq!(amounts, [64, 32, 16, 2, 1], "128 - 10 - 3 = 115 comes back");
    // The quote's state carries the change too, in the blanks' order.
    let state: MeltQuoteBolt11Response = survivor.get(&format!("/v1/melt/quote/bolt11/{}", quote.quote)).await.unwrap();
    assert_eq!(state.change, Some(restored.signatures));
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
