//! The storage contract (see `mint_server::store`), checked against SQLite and PostgreSQL alike.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use mint_server::store::{
    Account, AccountChange, Commit, KeysetRecord, MintQuote, MintStore, QuoteTransition, StoreError,
};
use shared::keyset::MintKeySet;
use shared::nuts::{MintQuoteState, State};
use shared::{Amount, BlindSignature, CurrencyUnit, Proof, PublicKey, Secret, SecretKey, dhke, dleq};

fn keyset() -> MintKeySet {
    MintKeySet::derive(b"conformance", CurrencyUnit::Sat, 0, 8, 0, None).unwrap()
}

/// A valid proof and its serial.
fn proof(keyset: &MintKeySet, amount: u64) -> (PublicKey, Proof) {
    let amount = Amount::from_u64(amount);
    let secret = Secret::generate().unwrap();
    let (blinded, r) = dhke::blind_message(secret.as_bytes(), None).unwrap();
    let k = keyset.secret_key(amount).unwrap();
    let c = dhke::unblind_message(&dhke::sign_message(k, &blinded).unwrap(), &r, &k.public_key()).unwrap();
    let y = secret.to_y().unwrap();
    (y, Proof { amount, keyset_id: keyset.id, secret, c, witness: None, dleq: None })
}

/// A signature on a fresh output.
fn signature(keyset: &MintKeySet, amount: u64) -> (PublicKey, BlindSignature) {
    let amount = Amount::from_u64(amount);
    let (blinded, _) = dhke::blind_message(Secret::generate().unwrap().as_bytes(), None).unwrap();
    let k = keyset.secret_key(amount).unwrap();
    let c = dhke::sign_message(k, &blinded).unwrap();
    let proof = dleq::calculate_dleq(k, &blinded, &c).unwrap();
    (blinded, BlindSignature { amount, keyset_id: keyset.id, c, dleq: Some(proof) })
}

async fn state_of(store: &dyn MintStore, y: PublicKey) -> Option<State> {
    store.proof_states(&[y]).await.unwrap().first().map(|s| s.state)
}

async fn keysets_round_trip(store: Arc<dyn MintStore>) {
    let ks = keyset();
    let record = KeysetRecord {
        id: ks.id,
        unit: CurrencyUnit::Sat,
        derivation_index: 0,
        max_order: 8,
        input_fee_ppk: 100,
        final_expiry: Some(2_000_000_000),
        active: true,
    };
    store.add_keyset(&record).await.unwrap();
    assert!(matches!(store.add_keyset(&record).await, Err(StoreError::Duplicate)));
    assert_eq!(store.keysets().await.unwrap(), vec![record.clone()]);
    store.set_keyset_active(&ks.id, false).await.unwrap();
    assert!(!store.keysets().await.unwrap()[0].active);
}

async fn first_presentation_wins(store: Arc<dyn MintStore>) {
    let ks = keyset();
    let (y, p) = proof(&ks, 4);
    let first = Commit { spend: vec![(y, p.clone())], signatures: vec![signature(&ks, 4)], ..Commit::default() };
    store.commit(&first).await.unwrap();
    assert_eq!(state_of(&*store, y).await, Some(State::Spent));
    let second = Commit { spend: vec![(y, p)], signatures: vec![signature(&ks, 4)], ..Commit::default() };
    match store.commit(&second).await {
        Err(StoreError::AlreadySpent(ys)) => assert_eq!(ys, vec![y]),
        other => panic!("expected AlreadySpent, got {other:?}"),
    }
}

async fn concurrent_presentations_succeed_once(store: Arc<dyn MintStore>) {
    let ks = keyset();
    let (y, p) = proof(&ks, 2);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = Arc::clone(&store);
            let commit =
                Commit { spend: vec![(y, p.clone())], signatures: vec![signature(&ks, 2)], ..Commit::default() };
            tokio::spawn(async move { store.commit(&commit).await })
        })
        .collect();
    let mut successes = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => successes += 1,
            Err(StoreError::AlreadySpent(_)) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(successes, 1);
}

/// Many concurrent swaps, some of them presenting one note already spent: (SQLite commits concurrent
/// requests in shared transactions) the double spends fail alone, every other swap is committed whole.
async fn double_spends_among_concurrent_swaps_fail_alone(store: Arc<dyn MintStore>) {
    let ks = keyset();
    let (y_spent, p_spent) = proof(&ks, 1);
    store.commit(&Commit { spend: vec![(y_spent, p_spent.clone())], ..Commit::default() }).await.unwrap();
    let tasks: Vec<_> = (0..60u8)
        .map(|i| {
            let store = Arc::clone(&store);
            let input = if i % 3 == 0 { (y_spent, p_spent.clone()) } else { proof(&ks, 1) };
            let output = signature(&ks, 1);
            let commit = Commit {
                spend: vec![input.clone()],
                signatures: vec![output.clone()],
                cache: Some(([i; 32], format!("response {i}"))),
                ..Commit::default()
            };
            tokio::spawn(async move { (i, input.0, output.0, store.commit(&commit).await) })
        })
        .collect();
    for task in tasks {
        let (i, y, b, outcome) = task.await.unwrap();
        let cached = store.cached_response(&[i; 32]).await.unwrap();
        let signed = store.signatures(&[b]).await.unwrap();
        if i % 3 == 0 {
            assert!(matches!(outcome, Err(StoreError::AlreadySpent(ref ys)) if *ys == vec![y]), "{i}: {outcome:?}");
            assert!(cached.is_none() && signed.is_empty(), "{i}: a refused swap left effects");
        } else {
            assert!(outcome.is_ok(), "{i}: {outcome:?}");
            assert_eq!(state_of(&*store, y).await, Some(State::Spent));
            assert_eq!(cached.as_deref(), Some(format!("response {i}").as_str()));
            assert_eq!(signed.len(), 1);
        }
    }
}

async fn a_failed_commit_has_no_effect(store: Arc<dyn MintStore>) {
    let ks = keyset();
    let (blinded, sig) = signature(&ks, 1);
    let (y1, p1) = proof(&ks, 1);
    store
        .commit(&Commit { spend: vec![(y1, p1)], signatures: vec![(blinded, sig.clone())], ..Commit::default() })
        .await
        .unwrap();
    // Reusing the output: refused, and the new input must not stay spent, nor the cache entry be written.
    let (y2, p2) = proof(&ks, 1);
    let key = [7u8; 32];
    let reuse = Commit {
        spend: vec![(y2, p2)],
        signatures: vec![(blinded, sig)],
        cache: Some((key, "{}".into())),
        ..Commit::default()
    };
    assert!(matches!(store.commit(&reuse).await, Err(StoreError::OutputsAlreadySigned)));
    assert_eq!(state_of(&*store, y2).await, None);
    assert_eq!(store.cached_response(&key).await.unwrap(), None);
    // Duplicate inputs inside one commit are refused as a whole too.
    let (y3, p3) = proof(&ks, 1);
    let dup = Commit { spend: vec![(y3, p3.clone()), (y3, p3)], ..Commit::default() };
    assert!(store.commit(&dup).await.is_err());
    assert_eq!(state_of(&*store, y3).await, None);
}

async fn pending_inputs(store: Arc<dyn MintStore>) {
    let ks = keyset();
    let (y, p) = proof(&ks, 8);
    let quote = "melt-quote-1".to_string();
    store
        .commit(&Commit {
            spend: vec![(y, p.clone())],
            spend_pending: true,
            quote_id: Some(quote.clone()),
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(state_of(&*store, y).await, Some(State::Pending));
    assert_eq!(store.pending_for_quote(&quote).await.unwrap(), vec![y]);
    // Presenting a pending proof elsewhere says so.
    match store.commit(&Commit { spend: vec![(y, p.clone())], ..Commit::default() }).await {
        Err(StoreError::Pending(ys)) => assert_eq!(ys, vec![y]),
        other => panic!("expected Pending, got {other:?}"),
    }
    // Released: unspent again, and spendable.
    store.commit(&Commit { release_pending: vec![y], ..Commit::default() }).await.unwrap();
    assert_eq!(state_of(&*store, y).await, None);
    store.commit(&Commit { spend: vec![(y, p)], spend_pending: true, ..Commit::default() }).await.unwrap();
    store.commit(&Commit { settle_pending: vec![y], ..Commit::default() }).await.unwrap();
    assert_eq!(state_of(&*store, y).await, Some(State::Spent));
    // Settling something that is not pending fails and changes nothing.
    assert!(store.commit(&Commit { settle_pending: vec![y], ..Commit::default() }).await.is_err());
}

async fn quote_transitions_compare_and_set(store: Arc<dyn MintStore>) {
    let quote = MintQuote {
        id: "q1".into(),
        method: "bolt11".into(),
        unit: CurrencyUnit::Sat,
        amount: Amount::from_u64(100),
        request: "lnbc...".into(),
        state: MintQuoteState::Unpaid,
        expiry: 2_000_000_000,
    };
    store.add_mint_quote(&quote).await.unwrap();
    assert!(matches!(store.add_mint_quote(&quote).await, Err(StoreError::Duplicate)));
    let ks = keyset();
    // Issuing an unpaid quote is refused, and its signatures are not stored.
    let (blinded, sig) = signature(&ks, 64);
    let issue = Commit {
        quote: Some(QuoteTransition::MintIssued("q1".into())),
        signatures: vec![(blinded, sig)],
        ..Commit::default()
    };
    assert!(matches!(store.commit(&issue).await, Err(StoreError::QuoteStateConflict(_))));
    assert!(store.signatures(&[blinded]).await.unwrap().is_empty());
    store.commit(&Commit { quote: Some(QuoteTransition::MintPaid("q1".into())), ..Commit::default() }).await.unwrap();
    store.commit(&issue).await.unwrap();
    assert_eq!(store.mint_quote("q1").await.unwrap().unwrap().state, MintQuoteState::Issued);
    // Issued once only.
    assert!(matches!(store.commit(&issue).await, Err(StoreError::QuoteStateConflict(_))));
    assert_eq!(store.signatures(&[blinded]).await.unwrap().len(), 1);
    assert!(store.mint_quote("nope").await.unwrap().is_none());
}

async fn accounts_never_go_negative(store: Arc<dyn MintStore>) {
    let key = SecretKey::random().unwrap().public_key();
    let account =
        Account { id: "alice".into(), pubkey: key, unit: CurrencyUnit::Sat, balance: Amount::ZERO, blocked: false };
    store.add_account(&account).await.unwrap();
    let change = |delta: i64| Commit {
        account: Some(AccountChange { account_id: "alice".into(), delta, reason: "test".into(), reference: None }),
        ..Commit::default()
    };
    store.commit(&change(100)).await.unwrap();
    assert!(matches!(store.commit(&change(-101)).await, Err(StoreError::InsufficientFunds)));
    store.commit(&change(-100)).await.unwrap();
    assert_eq!(store.account("alice").await.unwrap().unwrap().balance, Amount::ZERO);
    store.commit(&change(i64::MAX)).await.unwrap();
    assert!(matches!(store.commit(&change(1)).await, Err(StoreError::OutOfRange)));
    store.set_account_blocked("alice", true).await.unwrap();
    assert!(matches!(store.commit(&change(-1)).await, Err(StoreError::UnknownAccount)));
    assert!(matches!(
        store
            .commit(&Commit {
                account: Some(AccountChange {
                    account_id: "bob".into(),
                    delta: 1,
                    reason: "x".into(),
                    reference: None
                }),
                ..Commit::default()
            })
            .await,
        Err(StoreError::UnknownAccount)
    ));
    // Concurrent debits never overdraw: 20 debits of 10 against a balance of 100 → exactly 10 succeed.
    let other = Account { id: "carol".into(), pubkey: SecretKey::random().unwrap().public_key(), ..account };
    store.add_account(&other).await.unwrap();
    let credit = Commit {
        account: Some(AccountChange { account_id: "carol".into(), delta: 100, reason: "t".into(), reference: None }),
        ..Commit::default()
    };
    store.commit(&credit).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .commit(&Commit {
                        account: Some(AccountChange {
                            account_id: "carol".into(),
                            delta: -10,
                            reason: "t".into(),
                            reference: None,
                        }),
                        ..Commit::default()
                    })
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        if task.await.unwrap().is_ok() {
            ok += 1;
        }
    }
    assert_eq!(ok, 10);
    assert_eq!(store.account("carol").await.unwrap().unwrap().balance, Amount::ZERO);
}

async fn cache_and_restore(store: Arc<dyn MintStore>) {
    let ks = keyset();
    let (y, p) = proof(&ks, 16);
    let (blinded, sig) = signature(&ks, 16);
    let key = [42u8; 32];
    store
        .commit(&Commit {
            spend: vec![(y, p)],
            signatures: vec![(blinded, sig.clone())],
            cache: Some((key, "{\"signatures\":[]}".into())),
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(store.cached_response(&key).await.unwrap().as_deref(), Some("{\"signatures\":[]}"));
    let restored = store.signatures(&[blinded, signature(&ks, 16).0]).await.unwrap();
    assert_eq!(restored, vec![(blinded, sig)]);
}

async fn cached_responses_are_evicted_by_age(store: Arc<dyn MintStore>) {
    let ks = keyset();
    let (y, p) = proof(&ks, 1);
    let key = [9u8; 32];
    let before = mint_server::store::unix_time();
    store.commit(&Commit { spend: vec![(y, p)], cache: Some((key, "{}".into())), ..Commit::default() }).await.unwrap();
    // Stored at `before` or later: an eviction of older entries keeps it, one of newer entries takes it.
    assert_eq!(store.evict_cached_responses(before).await.unwrap(), 0);
    assert!(store.cached_response(&key).await.unwrap().is_some());
    assert_eq!(store.evict_cached_responses(mint_server::store::unix_time() + 1).await.unwrap(), 1);
    assert_eq!(store.cached_response(&key).await.unwrap(), None);
    // Only the cache goes: the note stays spent.
    assert_eq!(state_of(&*store, y).await, Some(State::Spent));
}

/// A commit's request key is stored on its spent rows (all of them, and only with them): a retried swap is
/// recognised by it.
async fn request_keys_are_stored_with_the_spent_rows(store: Arc<dyn MintStore>) {
    let ks = keyset();
    let (y1, p1) = proof(&ks, 1);
    let (y2, p2) = proof(&ks, 2);
    let key = [5u8; 32];
    let swap = Commit {
        spend: vec![(y1, p1.clone()), (y2, p2)],
        signatures: vec![signature(&ks, 2), signature(&ks, 1)],
        request: Some(key),
        ..Commit::default()
    };
    store.commit(&swap).await.unwrap();
    let states = store.proof_states(&[y1, y2]).await.unwrap();
    assert_eq!(states.len(), 2);
    assert!(states.iter().all(|s| s.state == State::Spent && s.request == Some(key)), "{states:?}");
    // The identical retry fails like any second presentation; no response was cached for it.
    assert!(matches!(store.commit(&swap).await, Err(StoreError::AlreadySpent(_))));
    assert_eq!(store.cached_response(&key).await.unwrap(), None);

    // A refused commit leaves no key behind; a commit without a key stores none.
    let (y3, p3) = proof(&ks, 1);
    let refused = Commit { spend: vec![(y3, p3.clone()), (y1, p1)], request: Some([6u8; 32]), ..Commit::default() };
    assert!(matches!(store.commit(&refused).await, Err(StoreError::AlreadySpent(_))));
    assert_eq!(state_of(&*store, y3).await, None);
    store.commit(&Commit { spend: vec![(y3, p3)], ..Commit::default() }).await.unwrap();
    assert_eq!(store.proof_states(&[y3]).await.unwrap()[0].request, None);
}

macro_rules! conformance {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $name() {
                        #[allow(unused_variables)]
                        let (store, guard) = $make;
                        super::$name(store).await;
                    }
                };
            }

            case!(keysets_round_trip);
            case!(first_presentation_wins);
            case!(concurrent_presentations_succeed_once);
            case!(double_spends_among_concurrent_swaps_fail_alone);
            case!(a_failed_commit_has_no_effect);
            case!(pending_inputs);
            case!(quote_transitions_compare_and_set);
            case!(accounts_never_go_negative);
            case!(cache_and_restore);
            case!(cached_responses_are_evicted_by_age);
            case!(request_keys_are_stored_with_the_spent_rows);
        }
    };
}

conformance!(sqlite, common::sqlite_store().await);
conformance!(postgres, (common::postgres_store().await, ()));
