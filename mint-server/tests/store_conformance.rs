//! The storage contract (see `mint_server::store`), checked against SQLite and PostgreSQL alike.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use mint_server::store::{Account, CachedResponse, Commit, KeysetRecord, MeltQuote, MintQuote, MintStore, StoreError};
use shared::keyset::MintKeySet;
use shared::nuts::{MeltQuoteState, MintQuoteState, State};
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

fn swap(inputs: Vec<(PublicKey, Proof)>, outputs: Vec<(PublicKey, BlindSignature)>, key: u8) -> Commit {
    Commit::Swap { inputs, outputs, request: [key; 32] }
}

fn mint_quote(id: &str, amount: u64, state: MintQuoteState) -> MintQuote {
    MintQuote {
        id: id.into(),
        method: "bank".into(),
        unit: CurrencyUnit::Sat,
        amount: Amount::from_u64(amount),
        request: format!("bank:{id}"),
        state,
        expiry: 2_000_000_000,
        pubkey: None,
    }
}

fn melt_quote(id: &str) -> MeltQuote {
    MeltQuote {
        id: id.into(),
        method: "bolt11".into(),
        unit: CurrencyUnit::Sat,
        amount: Amount::from_u64(8),
        fee_reserve: Amount::ZERO,
        request: "lnbc80n1p".into(),
        state: MeltQuoteState::Unpaid,
        expiry: 2_000_000_000,
        payment_preimage: None,
        change_request: None,
    }
}

fn account(id: &str) -> Account {
    Account {
        id: id.into(),
        pubkey: SecretKey::random().unwrap().public_key(),
        unit: CurrencyUnit::Sat,
        balance: Amount::ZERO,
        blocked: false,
    }
}

fn credit(account_id: &str, amount: u64) -> Commit {
    Commit::CreditAccount { account_id: account_id.into(), amount: Amount::from_u64(amount), reference: None }
}

/// Create an unpaid mint quote and commit paying it from the account; the payment's outcome.
async fn pay_from_account(
    store: &dyn MintStore,
    quote_id: &str,
    account_id: &str,
    amount: u64,
) -> Result<(), StoreError> {
    store.commit(&Commit::CreateMintQuote(mint_quote(quote_id, amount, MintQuoteState::Unpaid))).await.unwrap();
    store
        .commit(&Commit::PayMintQuote {
            quote_id: quote_id.into(),
            account_id: account_id.into(),
            amount: Amount::from_u64(amount),
        })
        .await
}

fn keyset_record(index: u32, unit: CurrencyUnit) -> KeysetRecord {
    let derived = MintKeySet::derive(b"conformance", unit.clone(), index, 8, 0, None).unwrap();
    KeysetRecord {
        id: derived.id,
        unit,
        derivation_index: index,
        max_order: 8,
        input_fee_ppk: 100,
        final_expiry: Some(2_000_000_000),
        active: true,
    }
}

/// Active keysets of a unit, as a reader sees them.
async fn active_of(store: &dyn MintStore, unit: &CurrencyUnit) -> Vec<KeysetRecord> {
    store.keysets().await.unwrap().into_iter().filter(|k| k.unit == *unit && k.active).collect()
}

/// A rotation is one commit: the new keyset becomes active and every other keyset of its unit inactive
/// together. A reader polling during rotations always sees exactly one active keyset of the unit (with the
/// insert and the deactivations in separate commits it would see two); a failed rotation changes nothing.
async fn keyset_rotation_is_one_commit(store: Arc<dyn MintStore>) {
    let sat = CurrencyUnit::Sat;
    let first = keyset_record(0, sat.clone());
    store.commit(&Commit::RotateKeyset(first.clone())).await.unwrap();
    assert_eq!(store.keysets().await.unwrap(), vec![first.clone()]);
    assert!(matches!(store.commit(&Commit::RotateKeyset(first.clone())).await, Err(StoreError::Duplicate)));
    // A keyset of another unit is not touched by the rotations of this one.
    let usd = keyset_record(0, CurrencyUnit::Usd);
    store.commit(&Commit::RotateKeyset(usd.clone())).await.unwrap();

    let reader = {
        let store = Arc::clone(&store);
        let unit = sat.clone();
        tokio::spawn(async move {
            let mut reads = 0;
            loop {
                let active = active_of(&*store, &unit).await;
                assert_eq!(active.len(), 1, "a reader saw {} active keysets during a rotation", active.len());
                reads += 1;
                if active[0].derivation_index == 10 {
                    return reads;
                }
            }
        })
    };
    for index in 1..=10 {
        store.commit(&Commit::RotateKeyset(keyset_record(index, sat.clone()))).await.unwrap();
    }
    assert!(reader.await.unwrap() > 0);

    let keysets = store.keysets().await.unwrap();
    assert_eq!(keysets.len(), 12);
    let active: Vec<(CurrencyUnit, u32)> =
        keysets.iter().filter(|k| k.active).map(|k| (k.unit.clone(), k.derivation_index)).collect();
    assert_eq!(active, vec![(CurrencyUnit::Usd, 0), (sat.clone(), 10)]);
    // Rotating to a keyset that exists fails as a whole: the current one stays active.
    assert!(matches!(store.commit(&Commit::RotateKeyset(first)).await, Err(StoreError::Duplicate)));
    assert_eq!(active_of(&*store, &sat).await[0].derivation_index, 10);
    assert_eq!(active_of(&*store, &CurrencyUnit::Usd).await, vec![usd]);
}

async fn first_presentation_wins(store: Arc<dyn MintStore>) {
    let ks = keyset();
    let (y, p) = proof(&ks, 4);
    store.commit(&swap(vec![(y, p.clone())], vec![signature(&ks, 4)], 1)).await.unwrap();
    assert_eq!(state_of(&*store, y).await, Some(State::Spent));
    match store.commit(&swap(vec![(y, p)], vec![signature(&ks, 4)], 2)).await {
        Err(StoreError::AlreadySpent(ys)) => assert_eq!(ys, vec![y]),
        other => panic!("expected AlreadySpent, got {other:?}"),
    }
}

async fn concurrent_presentations_succeed_once(store: Arc<dyn MintStore>) {
    let ks = keyset();
    let (y, p) = proof(&ks, 2);
    let tasks: Vec<_> = (0..50u8)
        .map(|i| {
            let store = Arc::clone(&store);
            let commit = swap(vec![(y, p.clone())], vec![signature(&ks, 2)], i);
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
    store.commit(&swap(vec![(y_spent, p_spent.clone())], Vec::new(), 255)).await.unwrap();
    let tasks: Vec<_> = (0..60u8)
        .map(|i| {
            let store = Arc::clone(&store);
            let input = if i % 3 == 0 { (y_spent, p_spent.clone()) } else { proof(&ks, 1) };
            let output = signature(&ks, 1);
            let commit = swap(vec![input.clone()], vec![output.clone()], i);
            tokio::spawn(async move { (i, input.0, output.0, store.commit(&commit).await) })
        })
        .collect();
    for task in tasks {
        let (i, y, b, outcome) = task.await.unwrap();
        let states = store.proof_states(&[y]).await.unwrap();
        let signed = store.signatures(&[b]).await.unwrap();
        if i % 3 == 0 {
            assert!(matches!(outcome, Err(StoreError::AlreadySpent(ref ys)) if *ys == vec![y]), "{i}: {outcome:?}");
            assert!(signed.is_empty(), "{i}: a refused swap left effects");
            assert_eq!(states[0].request, Some([255; 32]), "{i}: a refused swap's key was recorded");
        } else {
            assert!(outcome.is_ok(), "{i}: {outcome:?}");
            assert_eq!(states[0].state, State::Spent);
            assert_eq!(states[0].request, Some([i; 32]));
            assert_eq!(signed.len(), 1);
        }
    }
}

async fn a_failed_commit_has_no_effect(store: Arc<dyn MintStore>) {
    let ks = keyset();
    let (blinded, sig) = signature(&ks, 1);
    let (y1, p1) = proof(&ks, 1);
    store.commit(&swap(vec![(y1, p1)], vec![(blinded, sig.clone())], 1)).await.unwrap();
    // Reusing the output: refused, and the new input must not stay spent.
    let (y2, p2) = proof(&ks, 1);
    let reuse = swap(vec![(y2, p2)], vec![(blinded, sig.clone())], 2);
    assert!(matches!(store.commit(&reuse).await, Err(StoreError::OutputsAlreadySigned)));
    assert_eq!(state_of(&*store, y2).await, None);
    // Issuing a quote onto that output: refused, the quote stays paid and no response is cached.
    store.commit(&Commit::CreateMintQuote(mint_quote("qf", 1, MintQuoteState::Paid))).await.unwrap();
    let key = [7u8; 32];
    let issue = Commit::Issue {
        quote_id: "qf".into(),
        outputs: vec![(blinded, sig)],
        response: CachedResponse { key, body: "{}".into() },
    };
    assert!(matches!(store.commit(&issue).await, Err(StoreError::OutputsAlreadySigned)));
    assert_eq!(store.mint_quote("qf").await.unwrap().unwrap().state, MintQuoteState::Paid);
    assert_eq!(store.cached_response(&key).await.unwrap(), None);
    // Duplicate inputs inside one commit are refused as a whole too.
    let (y3, p3) = proof(&ks, 1);
    let dup = swap(vec![(y3, p3.clone()), (y3, p3)], Vec::new(), 3);
    assert!(store.commit(&dup).await.is_err());
    assert_eq!(state_of(&*store, y3).await, None);
}

async fn pending_inputs(store: Arc<dyn MintStore>) {
    let ks = keyset();
    let (y, p) = proof(&ks, 8);
    let quote = "melt-quote-1".to_string();
    store.commit(&Commit::CreateMeltQuote(melt_quote(&quote))).await.unwrap();
    assert!(matches!(store.commit(&Commit::CreateMeltQuote(melt_quote(&quote))).await, Err(StoreError::Duplicate)));
    let start =
        Commit::MeltStart { quote_id: quote.clone(), inputs: vec![(y, p.clone())], change: None, request: None };
    store.commit(&start).await.unwrap();
    assert_eq!(state_of(&*store, y).await, Some(State::Pending));
    assert_eq!(store.pending_for_quote(&quote).await.unwrap(), vec![y]);
    assert_eq!(store.melt_quote(&quote).await.unwrap().unwrap().state, MeltQuoteState::Pending);
    assert_eq!(store.pending_melt_quotes().await.unwrap().len(), 1);
    // A second start of the same quote is refused.
    let (y_other, p_other) = proof(&ks, 8);
    let again =
        Commit::MeltStart { quote_id: quote.clone(), inputs: vec![(y_other, p_other)], change: None, request: None };
    assert!(matches!(store.commit(&again).await, Err(StoreError::QuoteStateConflict(_))));
    assert_eq!(state_of(&*store, y_other).await, None);
    // Presenting a pending proof elsewhere says so.
    match store.commit(&swap(vec![(y, p.clone())], Vec::new(), 1)).await {
        Err(StoreError::Pending(ys)) => assert_eq!(ys, vec![y]),
        other => panic!("expected Pending, got {other:?}"),
    }
    // Released: unspent again, and spendable; the quote unpaid again.
    store.commit(&Commit::MeltRelease { quote_id: quote.clone(), inputs: vec![y] }).await.unwrap();
    assert_eq!(state_of(&*store, y).await, None);
    assert_eq!(store.melt_quote(&quote).await.unwrap().unwrap().state, MeltQuoteState::Unpaid);
    store.commit(&start).await.unwrap();
    let key = [3u8; 32];
    let settle = Commit::MeltSettle {
        quote_id: quote.clone(),
        inputs: vec![y],
        preimage: Some("preimage".into()),
        credit: None,
        response: Some(CachedResponse { key, body: "{\"paid\":true}".into() }),
        change: Vec::new(),
    };
    store.commit(&settle).await.unwrap();
    assert_eq!(state_of(&*store, y).await, Some(State::Spent));
    let paid = store.melt_quote(&quote).await.unwrap().unwrap();
    assert_eq!((paid.state, paid.payment_preimage.as_deref()), (MeltQuoteState::Paid, Some("preimage")));
    assert!(store.cached_response(&key).await.unwrap().is_some());
    assert!(store.pending_melt_quotes().await.unwrap().is_empty());
    // Settling again fails: the quote is paid.
    assert!(matches!(store.commit(&settle).await, Err(StoreError::QuoteStateConflict(_))));
    // Settling serials that are not held for the quote fails and changes nothing.
    let other = "melt-quote-2".to_string();
    store.commit(&Commit::CreateMeltQuote(melt_quote(&other))).await.unwrap();
    let (y2, p2) = proof(&ks, 8);
    store
        .commit(&Commit::MeltStart { quote_id: other.clone(), inputs: vec![(y2, p2)], change: None, request: None })
        .await
        .unwrap();
    let wrong = Commit::MeltSettle {
        quote_id: other.clone(),
        inputs: vec![y],
        preimage: None,
        credit: None,
        response: None,
        change: Vec::new(),
    };
    assert!(store.commit(&wrong).await.is_err());
    assert_eq!(store.melt_quote(&other).await.unwrap().unwrap().state, MeltQuoteState::Pending);
    assert_eq!(state_of(&*store, y2).await, Some(State::Pending));
}

async fn quote_transitions_compare_and_set(store: Arc<dyn MintStore>) {
    let quote = mint_quote("q1", 100, MintQuoteState::Unpaid);
    store.commit(&Commit::CreateMintQuote(quote.clone())).await.unwrap();
    assert!(matches!(store.commit(&Commit::CreateMintQuote(quote)).await, Err(StoreError::Duplicate)));
    let ks = keyset();
    // Issuing an unpaid quote is refused, and its signatures are not stored.
    let (blinded, sig) = signature(&ks, 64);
    let issue = Commit::Issue {
        quote_id: "q1".into(),
        outputs: vec![(blinded, sig)],
        response: CachedResponse { key: [1; 32], body: "{}".into() },
    };
    assert!(matches!(store.commit(&issue).await, Err(StoreError::QuoteStateConflict(_))));
    assert!(store.signatures(&[blinded]).await.unwrap().is_empty());
    store.commit(&Commit::CreateAccount(account("payer"))).await.unwrap();
    store.commit(&credit("payer", 300)).await.unwrap();
    let pay = Commit::PayMintQuote { quote_id: "q1".into(), account_id: "payer".into(), amount: Amount::from_u64(100) };
    store.commit(&pay).await.unwrap();
    assert_eq!(store.mint_quote("q1").await.unwrap().unwrap().state, MintQuoteState::Paid);
    // Paid once only: the second payment is refused and debits nothing.
    assert!(matches!(store.commit(&pay).await, Err(StoreError::QuoteStateConflict(_))));
    assert_eq!(store.account("payer").await.unwrap().unwrap().balance, Amount::from_u64(200));
    store.commit(&issue).await.unwrap();
    assert_eq!(store.mint_quote("q1").await.unwrap().unwrap().state, MintQuoteState::Issued);
    // Issued once only.
    assert!(matches!(store.commit(&issue).await, Err(StoreError::QuoteStateConflict(_))));
    assert_eq!(store.signatures(&[blinded]).await.unwrap().len(), 1);
    assert!(store.mint_quote("nope").await.unwrap().is_none());
    // A NUT-20 quote keeps its key; one without has none.
    let locked = MintQuote {
        pubkey: Some(SecretKey::random().unwrap().public_key()),
        ..mint_quote("locked", 1, MintQuoteState::Unpaid)
    };
    store.commit(&Commit::CreateMintQuote(locked.clone())).await.unwrap();
    assert_eq!(store.mint_quote("locked").await.unwrap().unwrap(), locked);
    assert_eq!(store.mint_quote("q1").await.unwrap().unwrap().pubkey, None);
}

/// A quote the backend counts as paid at once is created paid in one commit: no reader ever sees it
/// unpaid, and it can be issued at once. A quote cannot be created issued.
async fn a_quote_created_paid_is_one_commit(store: Arc<dyn MintStore>) {
    let ids: Vec<String> = (0..20).map(|i| format!("paid-{i}")).collect();
    let reader = {
        let (store, ids) = (Arc::clone(&store), ids.clone());
        tokio::spawn(async move {
            let mut seen = 0;
            while seen < ids.len() {
                seen = 0;
                for id in &ids {
                    if let Some(quote) = store.mint_quote(id).await.unwrap() {
                        assert_eq!(quote.state, MintQuoteState::Paid, "{id} was seen unpaid");
                        seen += 1;
                    }
                }
            }
        })
    };
    for id in &ids {
        store.commit(&Commit::CreateMintQuote(mint_quote(id, 2, MintQuoteState::Paid))).await.unwrap();
    }
    reader.await.unwrap();
    let ks = keyset();
    let issue = Commit::Issue {
        quote_id: ids[0].clone(),
        outputs: vec![signature(&ks, 2)],
        response: CachedResponse { key: [2; 32], body: "{}".into() },
    };
    store.commit(&issue).await.unwrap();
    assert_eq!(store.mint_quote(&ids[0]).await.unwrap().unwrap().state, MintQuoteState::Issued);
    let issued = mint_quote("born-issued", 2, MintQuoteState::Issued);
    assert!(matches!(store.commit(&Commit::CreateMintQuote(issued)).await, Err(StoreError::QuoteStateConflict(_))));
    assert!(store.mint_quote("born-issued").await.unwrap().is_none());
}

async fn accounts_never_go_negative(store: Arc<dyn MintStore>) {
    let alice = account("alice");
    store.commit(&Commit::CreateAccount(alice.clone())).await.unwrap();
    let duplicate = Account { id: "alice-2".into(), ..alice };
    assert!(matches!(store.commit(&Commit::CreateAccount(duplicate)).await, Err(StoreError::Duplicate)));
    store.commit(&credit("alice", 100)).await.unwrap();
    assert!(matches!(pay_from_account(&*store, "a1", "alice", 101).await, Err(StoreError::InsufficientFunds)));
    assert_eq!(store.mint_quote("a1").await.unwrap().unwrap().state, MintQuoteState::Unpaid);
    pay_from_account(&*store, "a2", "alice", 100).await.unwrap();
    assert_eq!(store.account("alice").await.unwrap().unwrap().balance, Amount::ZERO);
    store.commit(&credit("alice", i64::MAX as u64)).await.unwrap();
    assert!(matches!(store.commit(&credit("alice", 1)).await, Err(StoreError::OutOfRange)));
    assert!(matches!(store.commit(&credit("alice", u64::MAX)).await, Err(StoreError::OutOfRange)));
    let block = |blocked| Commit::SetAccountBlocked { account_id: "alice".into(), blocked };
    store.commit(&block(true)).await.unwrap();
    assert!(store.account("alice").await.unwrap().unwrap().blocked);
    assert!(matches!(pay_from_account(&*store, "a3", "alice", 1).await, Err(StoreError::UnknownAccount)));
    store.commit(&block(false)).await.unwrap();
    pay_from_account(&*store, "a4", "alice", 1).await.unwrap();
    assert!(matches!(store.commit(&credit("bob", 1)).await, Err(StoreError::UnknownAccount)));
    let block_bob = Commit::SetAccountBlocked { account_id: "bob".into(), blocked: true };
    assert!(matches!(store.commit(&block_bob).await, Err(StoreError::UnknownAccount)));
    // Concurrent debits never overdraw: 20 debits of 10 against a balance of 100 → exactly 10 succeed.
    store.commit(&Commit::CreateAccount(account("carol"))).await.unwrap();
    store.commit(&credit("carol", 100)).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { pay_from_account(&*store, &format!("c{i}"), "carol", 10).await })
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
    let (blinded, sig) = signature(&ks, 16);
    let key = [42u8; 32];
    store.commit(&Commit::CreateMintQuote(mint_quote("cached", 16, MintQuoteState::Paid))).await.unwrap();
    store
        .commit(&Commit::Issue {
            quote_id: "cached".into(),
            outputs: vec![(blinded, sig.clone())],
            response: CachedResponse { key, body: "{\"signatures\":[]}".into() },
        })
        .await
        .unwrap();
    assert_eq!(store.cached_response(&key).await.unwrap().as_deref(), Some("{\"signatures\":[]}"));
    let restored = store.signatures(&[blinded, signature(&ks, 16).0]).await.unwrap();
    assert_eq!(restored, vec![(blinded, sig)]);
}

async fn cached_responses_are_evicted_by_age(store: Arc<dyn MintStore>) {
    let ks = keyset();
    let (blinded, sig) = signature(&ks, 1);
    let key = [9u8; 32];
    let before = mint_server::store::unix_time();
    store.commit(&Commit::CreateMintQuote(mint_quote("evicted", 1, MintQuoteState::Paid))).await.unwrap();
    let issue = Commit::Issue {
        quote_id: "evicted".into(),
        outputs: vec![(blinded, sig)],
        response: CachedResponse { key, body: "{}".into() },
    };
    store.commit(&issue).await.unwrap();
    // Stored at `before` or later: an eviction of older entries keeps it, one of newer entries takes it.
    assert_eq!(store.evict_cached_responses(before).await.unwrap(), 0);
    assert!(store.cached_response(&key).await.unwrap().is_some());
    assert_eq!(store.evict_cached_responses(mint_server::store::unix_time() + 1).await.unwrap(), 1);
    assert_eq!(store.cached_response(&key).await.unwrap(), None);
    // Only the cache goes: the output stays signed, the quote issued.
    assert_eq!(store.signatures(&[blinded]).await.unwrap().len(), 1);
    assert_eq!(store.mint_quote("evicted").await.unwrap().unwrap().state, MintQuoteState::Issued);
}

/// A swap's request key is stored on its spent rows (all of them, and only with them): a retried swap is
/// recognised by it.
async fn request_keys_are_stored_with_the_spent_rows(store: Arc<dyn MintStore>) {
    let ks = keyset();
    let (y1, p1) = proof(&ks, 1);
    let (y2, p2) = proof(&ks, 2);
    let key = [5u8; 32];
    let first = Commit::Swap {
        inputs: vec![(y1, p1.clone()), (y2, p2)],
        outputs: vec![signature(&ks, 2), signature(&ks, 1)],
        request: key,
    };
    store.commit(&first).await.unwrap();
    let states = store.proof_states(&[y1, y2]).await.unwrap();
    assert_eq!(states.len(), 2);
    assert!(states.iter().all(|s| s.state == State::Spent && s.request == Some(key)), "{states:?}");
    // The identical retry fails like any second presentation; no response was cached for it.
    assert!(matches!(store.commit(&first).await, Err(StoreError::AlreadySpent(_))));
    assert_eq!(store.cached_response(&key).await.unwrap(), None);

    // A refused commit leaves no key behind; a melt's pending rows carry its request's key, if given.
    let (y3, p3) = proof(&ks, 1);
    let refused = swap(vec![(y3, p3.clone()), (y1, p1)], Vec::new(), 6);
    assert!(matches!(store.commit(&refused).await, Err(StoreError::AlreadySpent(_))));
    assert_eq!(state_of(&*store, y3).await, None);
    store.commit(&Commit::CreateMeltQuote(melt_quote("keyless"))).await.unwrap();
    store
        .commit(&Commit::MeltStart { quote_id: "keyless".into(), inputs: vec![(y3, p3)], change: None, request: None })
        .await
        .unwrap();
    assert_eq!(store.proof_states(&[y3]).await.unwrap()[0].request, None);
    let (y4, p4) = proof(&ks, 1);
    store.commit(&Commit::CreateMeltQuote(melt_quote("keyed"))).await.unwrap();
    let start =
        Commit::MeltStart { quote_id: "keyed".into(), inputs: vec![(y4, p4)], change: None, request: Some([4; 32]) };
    store.commit(&start).await.unwrap();
    assert_eq!(store.proof_states(&[y4]).await.unwrap()[0].request, Some([4; 32]));
}

/// A melt's lease is taken by one of many concurrent takers, only in the state asked for, only once expired,
/// and given back only by its holder.
async fn melt_leases_are_taken_once(store: Arc<dyn MintStore>) {
    store.commit(&Commit::CreateMeltQuote(melt_quote("leased"))).await.unwrap();
    let now = 1_000;
    let takers = (0..16).map(|n| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store.take_melt_lease("leased", MeltQuoteState::Unpaid, &format!("taker {n}"), now + 60, now).await.unwrap()
        })
    });
    let mut taken = 0;
    for taker in takers.collect::<Vec<_>>() {
        taken += usize::from(taker.await.unwrap());
    }
    assert_eq!(taken, 1);
    // Not in the state asked for; not expired yet; someone else's to give back.
    assert!(!store.take_melt_lease("leased", MeltQuoteState::Pending, "other", now + 200, now + 100).await.unwrap());
    assert!(!store.take_melt_lease("leased", MeltQuoteState::Unpaid, "other", now + 90, now + 30).await.unwrap());
    store.release_melt_lease("leased", "not the holder").await.unwrap();
    assert!(!store.take_melt_lease("leased", MeltQuoteState::Unpaid, "other", now + 90, now + 30).await.unwrap());
    // Expired: anyone may take it; given back: at once.
    assert!(store.take_melt_lease("leased", MeltQuoteState::Unpaid, "late", now + 200, now + 61).await.unwrap());
    store.release_melt_lease("leased", "late").await.unwrap();
    assert!(store.take_melt_lease("leased", MeltQuoteState::Unpaid, "next", now + 10, now).await.unwrap());
    assert!(!store.take_melt_lease("missing", MeltQuoteState::Unpaid, "x", now + 10, now).await.unwrap());
}

/// Unpaid quotes past their expiry are deleted; a quote in any other state never is, however old.
async fn only_expired_unpaid_quotes_are_deleted(store: Arc<dyn MintStore>) {
    let keyset = keyset();
    let old = |mut quote: MintQuote| {
        quote.expiry = 1000;
        quote
    };
    for quote in [
        old(mint_quote("m-unpaid-old", 8, MintQuoteState::Unpaid)),
        mint_quote("m-unpaid-new", 8, MintQuoteState::Unpaid),
        old(mint_quote("m-paid-old", 8, MintQuoteState::Paid)),
        old(mint_quote("m-issued-old", 1, MintQuoteState::Paid)),
    ] {
        store.commit(&Commit::CreateMintQuote(quote)).await.unwrap();
    }
    let response = CachedResponse { key: [9; 32], body: "{}".into() };
    let outputs = vec![signature(&keyset, 1)];
    store.commit(&Commit::Issue { quote_id: "m-issued-old".into(), outputs, response }).await.unwrap();
    for id in ["x-unpaid-old", "x-pending-old", "x-paid-old"] {
        store.commit(&Commit::CreateMeltQuote(MeltQuote { expiry: 1000, ..melt_quote(id) })).await.unwrap();
    }
    store.commit(&Commit::CreateMeltQuote(melt_quote("x-unpaid-new"))).await.unwrap();
    let (held, input) = proof(&keyset, 8);
    store
        .commit(&Commit::MeltStart {
            quote_id: "x-pending-old".into(),
            inputs: vec![(held, input)],
            change: None,
            request: None,
        })
        .await
        .unwrap();
    let (paid, input) = proof(&keyset, 8);
    store
        .commit(&Commit::MeltStart {
            quote_id: "x-paid-old".into(),
            inputs: vec![(paid, input)],
            change: None,
            request: None,
        })
        .await
        .unwrap();
    let settle = Commit::MeltSettle {
        quote_id: "x-paid-old".into(),
        inputs: vec![paid],
        preimage: None,
        credit: None,
        response: None,
        change: Vec::new(),
    };
    store.commit(&settle).await.unwrap();

    assert_eq!(store.delete_expired_quotes(1500).await.unwrap(), 2);
    assert_eq!(store.delete_expired_quotes(1500).await.unwrap(), 0);
    assert!(store.mint_quote("m-unpaid-old").await.unwrap().is_none());
    assert!(store.melt_quote("x-unpaid-old").await.unwrap().is_none());
    for id in ["m-unpaid-new", "m-paid-old", "m-issued-old"] {
        assert!(store.mint_quote(id).await.unwrap().is_some(), "{id} deleted");
    }
    for id in ["x-unpaid-new", "x-pending-old", "x-paid-old"] {
        assert!(store.melt_quote(id).await.unwrap().is_some(), "{id} deleted");
    }
    assert_eq!(store.pending_for_quote("x-pending-old").await.unwrap(), vec![held]);
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

            case!(keyset_rotation_is_one_commit);
            case!(first_presentation_wins);
            case!(concurrent_presentations_succeed_once);
            case!(double_spends_among_concurrent_swaps_fail_alone);
            case!(a_failed_commit_has_no_effect);
            case!(pending_inputs);
            case!(quote_transitions_compare_and_set);
            case!(a_quote_created_paid_is_one_commit);
            case!(accounts_never_go_negative);
            case!(cache_and_restore);
            case!(cached_responses_are_evicted_by_age);
            case!(request_keys_are_stored_with_the_spent_rows);
            case!(melt_leases_are_taken_once);
            case!(only_expired_unpaid_quotes_are_deleted);
        }
    };
}

conformance!(sqlite, common::sqlite_store().await);
conformance!(postgres, (common::postgres_store().await, ()));
