//! Two mint processes' worth of mints (separate routers, pools and keyset caches) on one PostgreSQL
//! database behave as one mint: the same note presented to both at once succeeds exactly once, and a
//! keyset rotated on one is honoured by the other.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::wallet::TestMint;
use mint_server::mint::{Mint, MintSettings};
use mint_server::store::PostgresStore;
use shared::CurrencyUnit;
use shared::nuts::{ErrorCode, SwapRequest, SwapResponse};

async fn instance(url: &str) -> Arc<TestMint> {
    let store = Arc::new(PostgresStore::connect(url, 16).await.unwrap());
    let settings = MintSettings { fake_bolt11: true, ..MintSettings::default() };
    let mint = Arc::new(Mint::new(store, vec![7u8; 32], settings).await.unwrap());
    Arc::new(TestMint::serve(mint).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_note_presented_to_two_instances_succeeds_once() {
    let url = common::postgres_url().await;
    // Both start at once on an empty database: they must agree on one first keyset.
    let (a, b) = tokio::join!(instance(&url), instance(&url));
    assert_eq!(a.keyset().await.id, b.keyset().await.id);

    for round in 0..20 {
        let note = a.mint_notes(&[2]).await;
        let keyset = a.keyset().await;
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let mint = if i % 2 == 0 { Arc::clone(&a) } else { Arc::clone(&b) };
                let request = SwapRequest { inputs: note.clone(), outputs: TestMint::outputs(&keyset, &[2]).outputs };
                tokio::spawn(async move { mint.post::<_, SwapResponse>("/v1/swap", &request).await })
            })
            .collect();
        let mut successes = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => successes += 1,
                Err(error) => assert_eq!(error.code, ErrorCode::TokenAlreadySpent),
            }
        }
        assert_eq!(successes, 1, "round {round}");
    }

    // A rotation on A: B signs with the new keyset once it looks it up, and still redeems the old one.
    let old_notes = b.mint_notes(&[1, 4]).await;
    a.mint.rotate_keyset(CurrencyUnit::Sat, 0).await.unwrap();
    b.mint.reload_keysets().await.unwrap();
    let new_keyset = b.keyset().await;
    assert_eq!(new_keyset.id, a.keyset().await.id);
    let swapped = b.swap(old_notes, &[1, 4]).await.unwrap();
    assert!(swapped.iter().all(|p| p.keyset_id == new_keyset.id));
}
