//! `mint-server backup PATH` (the real binary) copies a serving SQLite mint: a mint started on the copy
//! with the same master secret refuses every note spent before the backup and restores (NUT-09) every
//! signature issued before it; swaps that ran during the backup are in the copy whole or not at all.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::sync::Arc;

use common::wallet::TestMint;
use mint_server::mint::MintSettings;
use mint_server::store::{MintStore, SqliteStore};
use shared::nuts::{
    CheckStateRequest, CheckStateResponse, RestoreRequest, RestoreResponse, State, SwapRequest, SwapResponse,
};
use shared::{BlindedMessage, Proof};

async fn states(mint: &TestMint, proofs: &[Proof]) -> Vec<State> {
    let ys = proofs.iter().map(|proof| proof.y().unwrap()).collect();
    let answer: CheckStateResponse = mint.post("/v1/checkstate", &CheckStateRequest { ys }).await.unwrap();
    answer.states.into_iter().map(|state| state.state).collect()
}

async fn restore(mint: &TestMint, outputs: &[BlindedMessage]) -> RestoreResponse {
    mint.post("/v1/restore", &RestoreRequest { outputs: outputs.to_vec() }).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_serving_mint_keeps_what_was_spent_and_signed_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn MintStore> = Arc::new(SqliteStore::open(&dir.path().join("mint.sqlite")).await.unwrap());
    let mint = Arc::new(TestMint::start(store, MintSettings::default()).await);
    let keyset = mint.keyset().await;

    // Before the backup: a swap spends two notes and signs new ones.
    let notes = mint.mint_notes(&[4, 4, 8]).await;
    let before = TestMint::outputs(&keyset, &[8]);
    let swapped: SwapResponse = mint
        .post("/v1/swap", &SwapRequest { inputs: notes[..2].to_vec(), outputs: before.outputs.clone() })
        .await
        .unwrap();
    let kept = TestMint::unblind(&keyset, &before, &swapped.signatures);

    // During the backup: swaps keep running, each one note of 8 into fresh outputs.
    let during = {
        let mint = Arc::clone(&mint);
        let keyset = keyset.clone();
        let mut note = notes[2].clone();
        tokio::spawn(async move {
            let mut done = Vec::new();
            for _ in 0..40 {
                let pending = TestMint::outputs(&keyset, &[8]);
                let request = SwapRequest { inputs: vec![note.clone()], outputs: pending.outputs.clone() };
                let answer: SwapResponse = mint.post("/v1/swap", &request).await.unwrap();
                done.push((note.clone(), pending.outputs.clone()));
                note = TestMint::unblind(&keyset, &pending, &answer.signatures).remove(0);
            }
            done
        })
    };
    let copy = dir.path().join("backups/copy.sqlite");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_mint-server"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("backup")
        .arg(&copy)
        .env("RUST_LOG", "warn")
        .env_remove("MINT_DATABASE_URL")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(printed["bytes"].as_u64().unwrap() > 0, "{printed}");
    let during = during.await.unwrap();
    // A second backup into the same file is refused, not merged.
    let again = Command::new(env!("CARGO_BIN_EXE_mint-server"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["backup".as_ref(), copy.as_os_str()])
        .env_remove("MINT_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!again.status.success());

    // After the backup: one of the kept notes is spent.
    mint.swap(vec![kept[0].clone()], &[8]).await.unwrap();

    // A mint on the copy, same master secret.
    let restored = TestMint::start(Arc::new(SqliteStore::open(&copy).await.unwrap()), MintSettings::default()).await;
    assert_eq!(restored.keyset().await.id, keyset.id);
    assert_eq!(states(&restored, &notes[..2]).await, vec![State::Spent, State::Spent]);
    let refused = restored.swap(notes[..2].to_vec(), &[8]).await.unwrap_err();
    assert_eq!(refused.code.to_code(), 11001, "{}", refused.detail);
    let found = restore(&restored, &before.outputs).await;
    assert_eq!(found.signatures, swapped.signatures);
    // What the copy holds of the swaps that ran during the backup is a prefix of them, each whole.
    let mut in_copy = Vec::new();
    for (input, outputs) in &during {
        let spent = states(&restored, std::slice::from_ref(input)).await == vec![State::Spent];
        let signed = !restore(&restored, outputs).await.signatures.is_empty();
        assert_eq!(spent, signed, "a swap is half in the copy");
        in_copy.push(spent);
    }
    assert!(in_copy.windows(2).all(|pair| pair[0] || !pair[1]), "not a prefix: {in_copy:?}");
    // A note spent after the backup is unspent in the copy: why the README says to keep the log too.
    let later: HashSet<State> = states(&restored, &kept).await.into_iter().collect();
    assert_eq!(later, HashSet::from([State::Unspent]));
}
