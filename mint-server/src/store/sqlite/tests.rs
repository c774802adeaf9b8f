//! The group commit against a real database file: batches with failing requests, durability before
//! answers, the commit delay, checkpoints.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use shared::nuts::{MintQuoteState, State};
use shared::{Amount, BlindSignature, BlindSignatureDleq, Id, Proof, PublicKey, Secret, SecretKey};

use super::FaultInjection;
use super::checkpointer::CheckpointPolicy;
use super::pool::{SqliteOptions, SqliteStore};
use super::writer::{BUSY_TASKS, MAX_BATCH, Writer, apply_batch, open_connection};
use crate::store::{Commit, MintQuote, MintStore, StoreError, Unhealthy, unix_now};

fn keyset_id() -> Id {
    shared::keyset::MintKeySet::derive(b"writer tests", shared::CurrencyUnit::Sat, 0, 1, 0, None).unwrap().id
}

fn point() -> PublicKey {
    SecretKey::random().unwrap().public_key()
}

fn spend() -> (PublicKey, Proof) {
    let proof = Proof {
        amount: Amount::from_u64(1),
        keyset_id: keyset_id(),
        secret: Secret::generate().unwrap(),
        c: point(),
        witness: None,
        dleq: None,
    };
    (proof.y().unwrap(), proof)
}

fn signature() -> (PublicKey, BlindSignature) {
    let dleq = BlindSignatureDleq { e: SecretKey::random().unwrap(), s: SecretKey::random().unwrap() };
    (point(), BlindSignature { amount: Amount::from_u64(1), keyset_id: keyset_id(), c: point(), dleq: Some(dleq) })
}

fn swap(input: (PublicKey, Proof), key: u8) -> Commit {
    Commit::Swap { inputs: vec![input], outputs: vec![signature()], request: [key; 32] }
}

/// A swap's first input and output.
fn input_and_output(commit: &Commit) -> (PublicKey, (PublicKey, BlindSignature)) {
    match commit {
        Commit::Swap { inputs, outputs, .. } => (inputs[0].0, outputs[0].clone()),
        other => panic!("not a swap: {other:?}"),
    }
}

async fn store_and_writer_connection(dir: &std::path::Path) -> (SqliteStore, Connection) {
    let path = dir.join("mint.sqlite");
    let store = SqliteStore::open(&path).await.unwrap();
    (store, open_connection(&path).unwrap())
}

fn apply(connection: &mut Connection, commits: &[Commit]) -> Vec<Result<(), StoreError>> {
    apply_batch(connection, &commits.iter().collect::<Vec<_>>(), unix_now())
}

/// One batch: two fresh swaps, a double spend of a note spent earlier, a second presentation of a note
/// spent earlier in the same batch, and a reused output. Only the failing requests are rolled back.
#[tokio::test]
async fn a_failing_request_rolls_back_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut connection) = store_and_writer_connection(dir.path()).await;
    let spent_before = spend();
    store.commit(&swap(spent_before.clone(), 1)).await.unwrap();

    let (fresh_a, fresh_b, shared_note) = (spend(), spend(), spend());
    let reused_output = swap(spend(), 6);
    let (reused_input, output) = input_and_output(&reused_output);
    let commits = vec![
        swap(fresh_a.clone(), 2),
        swap(spent_before.clone(), 3),
        swap(shared_note.clone(), 4),
        swap(shared_note.clone(), 5),
        Commit::Swap { inputs: vec![spend()], outputs: vec![output], request: [7; 32] },
        reused_output.clone(),
        swap(fresh_b.clone(), 8),
    ];
    // The sixth commit signs an output the fifth signed in the same batch: apply in this order.
    let outcomes = apply(&mut connection, &commits);
    let verdicts: Vec<String> = outcomes
        .iter()
        .map(|o| match o {
            Ok(()) => "ok".to_owned(),
            Err(StoreError::AlreadySpent(ys)) => format!("spent {}", ys.len()),
            Err(other) => format!("{other:?}"),
        })
        .collect();
    assert_eq!(verdicts, ["ok", "spent 1", "ok", "spent 1", "ok", "OutputsAlreadySigned", "ok"]);

    // Committed: the successful requests' spends (each carrying its request key) and signatures; nothing of
    // the others.
    let ys = [fresh_a.0, fresh_b.0, shared_note.0, reused_input];
    let states = store.proof_states(&ys).await.unwrap();
    assert_eq!(states.len(), 3, "the reused-output request's input must not be spent: {states:?}");
    assert!(states.iter().all(|s| s.state == State::Spent && s.y != reused_input));
    for (commit, expected) in commits.iter().zip([true, false, true, false, true, false, true]) {
        let Commit::Swap { inputs, request, .. } = commit else { panic!("not a swap") };
        let states = store.proof_states(&[inputs[0].0]).await.unwrap();
        let recorded = states.iter().any(|s| s.request == Some(*request));
        assert_eq!(recorded, expected, "request {}", request[0]);
    }
    let signed =
        store.signatures(&[input_and_output(&commits[0]).1.0, input_and_output(&commits[1]).1.0]).await.unwrap();
    assert_eq!(signed.len(), 1, "the double spend's output must not be signed");
}

/// A full batch of commits that all succeed is applied whole.
#[tokio::test]
async fn a_full_batch_is_applied_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut connection) = store_and_writer_connection(dir.path()).await;
    let inputs: Vec<_> = (0..MAX_BATCH).map(|_| spend()).collect();
    let commits: Vec<Commit> = inputs.iter().enumerate().map(|(i, input)| swap(input.clone(), i as u8)).collect();
    assert!(apply(&mut connection, &commits).iter().all(Result::is_ok));
    let ys: Vec<PublicKey> = inputs.iter().map(|(y, _)| *y).collect();
    assert_eq!(store.proof_states(&ys).await.unwrap().len(), MAX_BATCH);
    let outputs: Vec<PublicKey> = commits.iter().map(|c| input_and_output(c).1.0).collect();
    assert_eq!(store.signatures(&outputs).await.unwrap().len(), MAX_BATCH);
}

/// A batch mixing swaps with account changes, one of which overdraws: the overdraft (a quote paid from the
/// account) fails alone, and its quote stays unpaid.
#[tokio::test]
async fn an_overdraft_in_a_batch_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut connection) = store_and_writer_connection(dir.path()).await;
    let account = crate::store::Account {
        id: "acc".into(),
        pubkey: point(),
        unit: shared::CurrencyUnit::Sat,
        balance: Amount::ZERO,
        blocked: false,
    };
    store.commit(&Commit::CreateAccount(account)).await.unwrap();
    for amount in [5, 6] {
        let quote = MintQuote {
            id: format!("q{amount}"),
            method: "bank".into(),
            unit: shared::CurrencyUnit::Sat,
            amount: Amount::from_u64(amount),
            request: "bank".into(),
            state: MintQuoteState::Unpaid,
            expiry: 2_000_000_000,
            pubkey: None,
        };
        store.commit(&Commit::CreateMintQuote(quote)).await.unwrap();
    }
    let pay = |amount: u64| Commit::PayMintQuote {
        quote_id: format!("q{amount}"),
        account_id: "acc".into(),
        amount: Amount::from_u64(amount),
    };
    let credit = Commit::CreditAccount { account_id: "acc".into(), amount: Amount::from_u64(5), reference: None };
    let input = spend();
    let commits = vec![credit, pay(6), swap(input.clone(), 9), pay(5)];
    let outcomes = apply(&mut connection, &commits);
    assert!(outcomes[0].is_ok() && outcomes[2].is_ok() && outcomes[3].is_ok(), "{outcomes:?}");
    assert!(matches!(outcomes[1], Err(StoreError::InsufficientFunds)));
    assert_eq!(store.account("acc").await.unwrap().unwrap().balance, Amount::ZERO);
    assert_eq!(store.mint_quote("q6").await.unwrap().unwrap().state, MintQuoteState::Unpaid);
    assert_eq!(store.mint_quote("q5").await.unwrap().unwrap().state, MintQuoteState::Paid);
    assert_eq!(store.proof_states(&[input.0]).await.unwrap().len(), 1);
}

/// Answers wait for the fsync of the write-ahead log: when that fsync cannot be done (here: the log
/// path names a missing file), a request that was applied is still answered with an error, never with
/// success, because its durability is unknown; and from then on the writer refuses every write.
#[tokio::test]
async fn answers_wait_for_the_log_to_be_durable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mint.sqlite");
    let store = SqliteStore::open(&path).await.unwrap();
    let good = Writer::start(&path, dir.path().join("mint.sqlite-wal"), Duration::ZERO, None).unwrap();
    good.commit(swap(spend(), 1)).await.unwrap();
    let broken = Writer::start(&path, dir.path().join("missing-wal"), Duration::ZERO, None).unwrap();
    let input = spend();
    let outcome = broken.commit(swap(input.clone(), 2)).await;
    assert!(matches!(&outcome, Err(StoreError::Unavailable(text)) if text.contains("write-ahead log")), "{outcome:?}");
    // It was applied nonetheless (a retry finds the note spent), but not durably: readers that must only
    // see durable rows are refused.
    assert_eq!(store.proof_states(&[input.0]).await.unwrap().len(), 1);
    assert!(matches!(broken.durable().await, Err(StoreError::Unavailable(_))));
    // Fatal to writes: a later commit is refused without being applied, and the health says why.
    let later = spend();
    let outcome = broken.commit(swap(later.clone(), 3)).await;
    assert!(matches!(&outcome, Err(StoreError::Unavailable(text)) if text.contains("write-ahead log")), "{outcome:?}");
    assert!(store.proof_states(&[later.0]).await.unwrap().is_empty());
    assert!(matches!(broken.health(), Err(Unhealthy::WritesRefused(_))));
    assert_eq!(good.health(), Ok(()));
    good.durable().await.unwrap();
    drop(store);
}

/// Creating an unpaid quote is answered once applied, without waiting for the log's sync (a writer whose
/// log cannot be synced still answers it); a quote created paid waits like every other commit.
#[tokio::test]
async fn an_unpaid_quote_is_answered_before_its_sync() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mint.sqlite");
    let store = SqliteStore::open(&path).await.unwrap();
    let quote = |id: &str, state| MintQuote {
        id: id.into(),
        method: "bank".into(),
        unit: shared::CurrencyUnit::Sat,
        amount: Amount::from_u64(8),
        request: "bank".into(),
        state,
        expiry: 2_000_000_000,
        pubkey: None,
    };
    let melt = crate::store::MeltQuote {
        id: "melt".into(),
        method: "bank".into(),
        unit: shared::CurrencyUnit::Sat,
        amount: Amount::from_u64(8),
        fee_reserve: Amount::ZERO,
        request: "account".into(),
        state: shared::nuts::MeltQuoteState::Unpaid,
        expiry: 2_000_000_000,
        payment_preimage: None,
        change_request: None,
    };
    let cases = [
        (Commit::CreateMintQuote(quote("unpaid", MintQuoteState::Unpaid)), true),
        (Commit::CreateMeltQuote(melt), true),
        (Commit::CreateMintQuote(quote("paid", MintQuoteState::Paid)), false),
    ];
    for (n, (commit, answered)) in cases.into_iter().enumerate() {
        // A fresh writer whose log cannot be synced for each (one failed sync refuses every later write).
        let broken = Writer::start(&path, dir.path().join(format!("missing-wal-{n}")), Duration::ZERO, None).unwrap();
        let outcome = broken.commit(commit.clone()).await;
        if answered {
            outcome.unwrap();
        } else {
            assert!(matches!(outcome, Err(StoreError::Unavailable(_))), "{commit:?}: {outcome:?}");
        }
    }
    assert!(store.mint_quote("unpaid").await.unwrap().is_some());
    assert!(store.melt_quote("melt").await.unwrap().is_some());
}

/// The real writer and syncer with an injected sync failure: the batch is refused, every later write is
/// refused (the next fsync might "succeed" for pages the kernel dropped), the store reports it.
#[tokio::test]
async fn one_failed_sync_refuses_every_later_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mint.sqlite");
    let faults = Arc::new(FaultInjection::default());
    let options = SqliteOptions { faults: Some(Arc::clone(&faults)), ..SqliteOptions::default() };
    let store = SqliteStore::open_with(&path, options).await.unwrap();
    store.commit(&swap(spend(), 1)).await.unwrap();
    assert_eq!(store.health(), Ok(()));
    faults.fail_syncs();
    assert!(matches!(store.commit(&swap(spend(), 2)).await, Err(StoreError::Unavailable(_))));
    assert!(matches!(store.health(), Err(Unhealthy::WritesRefused(reason)) if reason.contains("injected")));
    for n in 3..6 {
        let input = spend();
        assert!(matches!(store.commit(&swap(input.clone(), n)).await, Err(StoreError::Unavailable(_))));
        assert!(store.proof_states(&[input.0]).await.unwrap().is_empty(), "a refused write was applied");
    }
    assert!(matches!(store.evict_cached_responses(i64::MAX).await, Err(StoreError::Unavailable(_))));
}

/// A writer thread that dies leaves a store that says so (and refuses writes) instead of answering
/// "the writer has stopped" forever.
#[tokio::test]
async fn a_dead_writer_makes_the_store_unhealthy() {
    let dir = tempfile::tempdir().unwrap();
    let faults = Arc::new(FaultInjection::default());
    let options = SqliteOptions { faults: Some(Arc::clone(&faults)), ..SqliteOptions::default() };
    let store = SqliteStore::open_with(&dir.path().join("mint.sqlite"), options).await.unwrap();
    store.commit(&swap(spend(), 1)).await.unwrap();
    faults.panic_writer();
    assert!(store.commit(&swap(spend(), 2)).await.is_err());
    assert!(matches!(store.health(), Err(Unhealthy::Stopped(reason)) if reason.contains("sqlite-writer")));
    assert!(matches!(store.commit(&swap(spend(), 3)).await, Err(StoreError::Unavailable(_))));
}

/// Writer with a long commit delay on a fresh database, and `tasks` idle tasks alive on the runtime (as
/// if that many connections were open).
async fn delayed_writer(dir: &std::path::Path, tasks: usize) -> (SqliteStore, Writer) {
    let path = dir.join("mint.sqlite");
    let store = SqliteStore::open(&path).await.unwrap();
    for _ in 0..tasks {
        tokio::spawn(std::future::pending::<()>());
    }
    let writer = Writer::start(&path, dir.join("mint.sqlite-wal"), Duration::from_secs(3), None).unwrap();
    (store, writer)
}

/// Under load (many connections), a batch waits for a request that is still preparing, and is committed
/// as soon as nobody is preparing any more, with what arrived meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_batch_waits_for_requests_still_preparing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, writer) = delayed_writer(dir.path(), BUSY_TASKS).await;
    let intent = writer.intend();
    let (first, second) = (spend(), spend());
    let early = tokio::spawn({
        let (writer, commit) = (writer.clone(), swap(first.clone(), 1));
        async move { writer.commit(commit).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!early.is_finished(), "the batch must wait while a request is preparing");
    // The request that was preparing sends its commit, then withdraws its intent.
    let late = tokio::spawn({
        let (writer, commit) = (writer.clone(), swap(second.clone(), 2));
        async move { writer.commit(commit).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(intent);
    let waited = Instant::now();
    early.await.unwrap().unwrap();
    late.await.unwrap().unwrap();
    assert!(waited.elapsed() < Duration::from_secs(2), "committed long before the delay ran out");
    assert_eq!(store.proof_states(&[first.0, second.0]).await.unwrap().len(), 2);
}

/// A lone request is never delayed: nobody else is preparing, however many connections are open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_request_is_not_delayed() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, busy) = delayed_writer(dir.path(), BUSY_TASKS).await;
    let started = Instant::now();
    busy.commit(swap(spend(), 1)).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2), "a lone request waited for the delay");
}

/// Nor are the requests of a mint with few connections, even while another request is preparing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_mint_is_not_delayed() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, quiet) = delayed_writer(dir.path(), 0).await;
    let _intent = quiet.intend();
    let started = Instant::now();
    quiet.commit(swap(spend(), 2)).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2), "a quiet mint delayed its batch");
}

/// The log is copied into the database file by the checkpointer, and once the checkpointer finds it longer
/// than the restart length, the writer catches up (so that its next transaction reuses the log from the
/// start); every row is there afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_log_makes_the_writer_catch_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mint.sqlite");
    let wal = dir.path().join("mint.sqlite-wal");
    let store = SqliteStore::open(&path).await.unwrap();
    let policy = CheckpointPolicy { after_rows: 40, restart_log_pages: 100 };
    let writer = Writer::start_with(&path, wal, Duration::ZERO, policy, None).unwrap();
    let database_before = std::fs::metadata(&path).unwrap().len();
    // 16 requests at a time keep the writer busy, so the checkpointer's runs never catch up with it on their
    // own: the writer has to.
    let inputs: Vec<_> = (0..1600).map(|_| spend()).collect();
    let ys: Vec<PublicKey> = inputs.iter().map(|(y, _)| *y).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in inputs.chunks(100) {
        let (writer, chunk) = (writer.clone(), chunk.to_vec());
        tasks.spawn(async move {
            for input in chunk {
                writer.commit(swap(input, 0)).await.unwrap();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    // The writer caught up (a checkpoint of its own between two batches, after which its next transaction
    // reuses the log from the start). Whether the log file also stays short depends on how the threads are
    // scheduled (a loaded machine lets the log run ahead of the checkpointer), so its length is not asserted.
    assert!(writer.catch_ups() > 0, "the writer never caught up with a log past the restart length");
    assert!(std::fs::metadata(&path).unwrap().len() > database_before, "nothing was checkpointed");
    assert_eq!(store.proof_states(&ys).await.unwrap().len(), ys.len());
}
