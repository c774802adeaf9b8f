//! The engine natively against the real mint, in this process (tests/in_process/): mint by fake bolt11
//! quote, bank account in and out, send, receive, double receive refused, reclaim, withdraw, restore into a
//! fresh store, bad input, input fees, and that secrets never leave the wallet. The same flows run in
//! Chromium against a mint process in tests/wallet.rs.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod in_process;

use std::rc::Rc;

use in_process::{FEE_MINT, InProcess, MINT, Mints, fresh_wallet, fund, total};
use shared::Amount;
use shared::derivation::{WalletSeed, parse_mnemonic};
use shared::nuts::{MintQuoteState, PaymentMethod};
use wallet_web::store::{MemoryStore, Table, WalletStore, get_all_json};
use wallet_web::wallet::records::MintRecord;
use wallet_web::{DleqStatus, HistoryKind, HistoryStatus, Wallet, WalletError};

fn sat(n: u64) -> Amount {
    Amount::from(n)
}

#[tokio::test]
async fn mint_send_receive_reclaim_restore() {
    let mints = Mints::start().await;
    let (alice, _alice_store, _) = fresh_wallet(&mints).await;
    let (bob, _bob_store, _) = fresh_wallet(&mints).await;
    let mint = MINT.to_owned();

    // Mint 100 through the fake bolt11 backend.
    let quote = alice.request_mint_quote(&mint, PaymentMethod::Bolt11, sat(100)).await.unwrap();
    assert_eq!(quote.method, PaymentMethod::Bolt11);
    assert_eq!(alice.check_mint_quote(&mint, &quote.id).await.unwrap().state, MintQuoteState::Paid);
    assert_eq!(alice.mint_paid_quote(&mint, &quote.id).await.unwrap(), sat(100));
    assert_eq!(alice.balance().await.unwrap(), sat(100));
    assert_eq!(alice.check_mint_quote(&mint, &quote.id).await.unwrap().state, MintQuoteState::Issued);

    // Send 30 (100 = 4 + 32 + 64: no exact subset, so a swap).
    let sent = alice.send(&mint, sat(30), Some("lunch".into())).await.unwrap();
    assert!(sent.token.starts_with("cashuB"));
    assert_eq!((sent.amount, sent.fee), (sat(30), sat(0)));
    assert_eq!(alice.balance().await.unwrap(), sat(70));
    let views = alice.mints().await.unwrap();
    assert_eq!((views[0].balance, views[0].pending), (sat(70), sat(30)));
    assert_eq!(alice.pending_sends().await.unwrap().len(), 1);

    // Bob checks it offline, then receives it.
    let preview = bob.inspect_token(&sent.token).await.unwrap();
    assert_eq!((preview.amount, preview.memo.as_deref(), preview.dleq), (sat(30), Some("lunch"), DleqStatus::AllValid));
    assert!(preview.mint_known);
    let received = bob.receive(&sent.token, false).await.unwrap();
    assert_eq!((received.amount, received.fee), (sat(30), sat(0)));
    assert_eq!(bob.balance().await.unwrap(), sat(30));

    // A second receive of the same token is refused, and changes nothing.
    assert_eq!(bob.receive(&sent.token, false).await, Err(WalletError::AlreadySpent));
    assert_eq!(bob.balance().await.unwrap(), sat(30));

    // Alice learns the token was redeemed.
    assert_eq!(alice.refresh_pending_sends().await.unwrap(), 1);
    assert!(alice.pending_sends().await.unwrap().is_empty());

    // Alice sends 20 that nobody redeems, and takes it back.
    let unclaimed = alice.send(&mint, sat(20), None).await.unwrap();
    assert_eq!(alice.balance().await.unwrap(), sat(50));
    assert_eq!(alice.reclaim(&unclaimed.send_id).await.unwrap(), sat(20));
    assert_eq!(alice.balance().await.unwrap(), sat(70));
    assert!(alice.pending_sends().await.unwrap().is_empty());
    // The reclaimed token is dead for Bob.
    assert_eq!(bob.receive(&unclaimed.token, false).await, Err(WalletError::AlreadySpent));

    let kinds: Vec<HistoryKind> = alice.history().await.unwrap().iter().map(|h| h.kind).collect();
    assert_eq!(kinds, vec![HistoryKind::Reclaimed, HistoryKind::Sent, HistoryKind::Sent, HistoryKind::Minted]);
    assert!(alice.history().await.unwrap().iter().all(|h| h.status == HistoryStatus::Done));

    // Restore Alice's seed into a fresh store: exactly the 70 unspent come back (the spent notes, which
    // the mint also signed for this seed, stay dead).
    let carol_store = Rc::new(MemoryStore::new());
    let carol = Wallet::open(carol_store.clone(), InProcess::new(&mints)).await.unwrap();
    carol.set_mnemonic(&alice.mnemonic().await.unwrap()).await.unwrap();
    assert_eq!(carol.restore(&mint).await.unwrap(), sat(70));
    assert_eq!(carol.balance().await.unwrap(), sat(70));
    assert_eq!(total(&*carol_store).await, 70);
    // Restoring again finds nothing new.
    assert_eq!(carol.restore(&mint).await.unwrap(), sat(0));
    // Counters moved past the last used output: the restored wallet can spend and make change at once.
    let again = carol.send(&mint, sat(9), None).await.unwrap();
    assert_eq!(bob.receive(&again.token, false).await.unwrap().amount, sat(9));
    assert_eq!(carol.balance().await.unwrap(), sat(61));
}

#[tokio::test]
async fn exact_subsets_need_no_swap_and_unknown_mints_need_trust() {
    let mints = Mints::start().await;
    let (alice, _, connector) = fresh_wallet(&mints).await;
    fund(&alice, 12).await; // 4 + 8
    let before = connector.bodies.borrow().len();
    let sent = alice.send(MINT, sat(8), None).await.unwrap();
    assert_eq!(connector.bodies.borrow().len(), before, "an exact subset is sent without asking the mint");

    // A wallet that does not know the mint refuses until told to trust it.
    let stranger = Wallet::open(Rc::new(MemoryStore::new()), InProcess::new(&mints)).await.unwrap();
    stranger.set_mnemonic(&Wallet::new_mnemonic().unwrap()).await.unwrap();
    let preview = stranger.inspect_token(&sent.token).await.unwrap();
    assert_eq!((preview.mint_known, preview.dleq), (false, DleqStatus::Missing));
    assert!(matches!(stranger.receive(&sent.token, false).await, Err(WalletError::UnknownMint(_))));
    assert_eq!(stranger.receive(&sent.token, true).await.unwrap().amount, sat(8));
    assert_eq!(stranger.mints().await.unwrap().len(), 1);
    // The mint cannot be removed while it holds notes.
    assert_eq!(stranger.remove_mint(MINT).await, Err(WalletError::MintNotEmpty));
}

#[tokio::test]
async fn bank_account_in_and_out() {
    let mints = Mints::start().await;
    let (alice, _, _) = fresh_wallet(&mints).await;
    let mint = MINT.to_owned();
    let pubkey = alice.account_pubkey(MINT).await.unwrap();
    assert_eq!(pubkey.len(), 66);
    let account = mints.open_account(MINT, &pubkey, 500).await;

    // A bank quote is unpaid until paid from the account: minting it before is refused and rolled back.
    let quote = alice.request_mint_quote(&mint, PaymentMethod::Bank, sat(100)).await.unwrap();
    assert_eq!(quote.state, MintQuoteState::Unpaid);
    assert_eq!(alice.mint_paid_quote(&mint, &quote.id).await, Err(WalletError::QuoteNotPaid));
    assert_eq!(alice.recover().await.unwrap(), wallet_web::RecoveryReport::default());
    alice.pay_quote_from_account(&mint, &quote.id, &account).await.unwrap();
    assert_eq!(alice.check_mint_quote(&mint, &quote.id).await.unwrap().state, MintQuoteState::Paid);
    assert_eq!(alice.mint_paid_quote(&mint, &quote.id).await.unwrap(), sat(100));
    assert_eq!(mints.account_balance(MINT, &account).await, 400);

    // Withdraw 37 (needs a swap into exact denominations first: the mint gives no change).
    assert_eq!(alice.withdraw_to_account(&mint, sat(37), &account).await.unwrap(), sat(37));
    assert_eq!(alice.balance().await.unwrap(), sat(63));
    assert_eq!(mints.account_balance(MINT, &account).await, 437);
    let last = &alice.history().await.unwrap()[0];
    assert_eq!((last.kind, last.amount, last.status), (HistoryKind::Withdrawn, sat(37), HistoryStatus::Done));

    // Another wallet's key cannot pay from this account.
    let (mallory, _, _) = fresh_wallet(&mints).await;
    let stolen = mallory.request_mint_quote(&mint, PaymentMethod::Bank, sat(10)).await.unwrap();
    assert!(matches!(mallory.pay_quote_from_account(&mint, &stolen.id, &account).await, Err(WalletError::Mint { .. })));
}

#[tokio::test]
async fn bad_input_gives_the_right_errors() {
    let mints = Mints::start().await;
    let store = Rc::new(MemoryStore::new());
    let wallet = Wallet::open(store, InProcess::new(&mints)).await.unwrap();
    assert!(!wallet.has_seed().await.unwrap());
    assert_eq!(wallet.mnemonic().await, Err(WalletError::NoSeed));
    assert_eq!(wallet.set_mnemonic("correct horse battery staple").await, Err(WalletError::InvalidMnemonic));
    // Valid words, wrong checksum.
    let wrong = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon";
    assert_eq!(wallet.set_mnemonic(wrong).await, Err(WalletError::InvalidMnemonic));
    let words = Wallet::new_mnemonic().unwrap();
    assert_eq!(words.split_whitespace().count(), 12);
    wallet.set_mnemonic(&words).await.unwrap();
    assert_eq!(wallet.set_mnemonic(&words).await, Err(WalletError::SeedExists));
    assert_eq!(wallet.mnemonic().await.unwrap(), words);

    for garbage in ["", "hello", "cashuBnotbase64!!", "cashuAeyJ0b2tlbiI6W119", "cashuX123"] {
        assert!(
            matches!(wallet.inspect_token(garbage).await, Err(WalletError::InvalidToken(_))),
            "{garbage:?}: {:?}",
            wallet.inspect_token(garbage).await
        );
        assert!(matches!(wallet.receive(garbage, true).await, Err(WalletError::InvalidToken(_))));
    }

    // Nothing listens on port 9.
    let error = wallet.add_mint("http://127.0.0.1:9").await.unwrap_err();
    assert!(matches!(error, WalletError::Network { .. }), "{error:?}");
    assert!(error.to_string().starts_with("Could not reach the mint at http://127.0.0.1:9"));
    assert!(matches!(wallet.add_mint("ftp://example").await, Err(WalletError::Invalid(_))));
    assert!(matches!(wallet.send("http://127.0.0.1:9", sat(1), None).await, Err(WalletError::UnknownMint(_))));

    wallet.add_mint(MINT).await.unwrap();
    assert_eq!(
        wallet.send(MINT, sat(5), None).await,
        Err(WalletError::InsufficientFunds { available: sat(0), needed: sat(5) })
    );
    assert!(matches!(
        wallet.request_mint_quote(MINT, PaymentMethod::from("paypal"), sat(5)).await,
        Err(WalletError::Invalid(_))
    ));
    assert!(matches!(wallet.reclaim("nope").await, Err(WalletError::Invalid(_))));
}

/// Every request body the wallets sent, checked against every secret they hold: the mnemonic, the seed,
/// each blinding factor, and each note secret (allowed only as an input being spent in that very request).
#[tokio::test]
async fn secrets_never_leave_the_browser() {
    let mints = Mints::start().await;
    let (alice, alice_store, alice_wire) = fresh_wallet(&mints).await;
    let (bob, bob_store, bob_wire) = fresh_wallet(&mints).await;
    let mint = MINT.to_owned();
    fund(&alice, 100).await;
    let sent = alice.send(&mint, sat(30), None).await.unwrap();
    bob.receive(&sent.token, false).await.unwrap();
    let unclaimed = alice.send(&mint, sat(7), None).await.unwrap();
    alice.reclaim(&unclaimed.send_id).await.unwrap();
    alice.refresh_pending_sends().await.unwrap();
    let account = mints.open_account(MINT, &alice.account_pubkey(MINT).await.unwrap(), 0).await;
    alice.withdraw_to_account(&mint, sat(5), &account).await.unwrap();
    alice.restore(&mint).await.unwrap();

    for (wallet, store, wire) in [(&alice, &alice_store, &alice_wire), (&bob, &bob_store, &bob_wire)] {
        let words = wallet.mnemonic().await.unwrap();
        let seed = WalletSeed::from_mnemonic(&parse_mnemonic(&words).unwrap());
        let seed_hex = hex::encode(seed.as_bytes());
        // Every secret and blinding factor this seed has produced: counters 0..last for each keyset, plus
        // the restore's look-ahead.
        let mints: Vec<MintRecord> = get_all_json(&**store as &dyn WalletStore, Table::Mints).await.unwrap();
        let mut derived = Vec::new();
        for keyset in &mints[0].keysets {
            let counter: u32 =
                wallet_web::store::get_json(&**store as &dyn WalletStore, Table::Counters, &keyset.id.to_string())
                    .await
                    .unwrap()
                    .unwrap_or(0);
            for i in 0..counter + 300 {
                let (secret, r) = seed.derive(&keyset.id, i).unwrap();
                derived.push((secret.as_str().to_owned(), r.to_hex()));
            }
        }
        let bodies = wire.bodies.borrow();
        assert!(!bodies.is_empty());
        for (path, body) in bodies.iter() {
            assert!(!body.contains(&words), "{path} carries the mnemonic");
            assert!(!body.contains(&seed_hex), "{path} carries the seed");
            let json: serde_json::Value = serde_json::from_str(body).unwrap();
            let spent: Vec<String> = json["inputs"]
                .as_array()
                .map(|inputs| inputs.iter().map(|i| i["secret"].as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            for (secret, r) in &derived {
                assert!(!body.contains(r.as_str()), "{path} carries a blinding factor");
                assert!(
                    spent.contains(secret) || !body.contains(secret.as_str()),
                    "{path} carries an unspent note's secret"
                );
            }
            // No DLEQ proof (which holds r) travels to the mint.
            assert!(!body.contains("\"dleq\""), "{path} carries a DLEQ proof");
        }
    }
}

/// A mint that charges 500 ppk per input: the sender pays the swap's fee, the receiver the fee of the
/// token's notes, and a withdrawal's inputs cover the amount plus their own fee (the mint gives no change).
#[tokio::test]
async fn input_fees_are_paid_and_shown() {
    let mints = Mints::start().await;
    let mint = FEE_MINT.to_owned();
    let (alice, alice_store, _) = fresh_wallet(&mints).await;
    let (bob, _, _) = fresh_wallet(&mints).await;
    let view = alice.add_mint(&mint).await.unwrap();
    assert_eq!(view.input_fee_ppk, 500);
    let quote = alice.request_mint_quote(&mint, PaymentMethod::Bolt11, sat(100)).await.unwrap();
    assert_eq!(alice.mint_paid_quote(&mint, &quote.id).await.unwrap(), sat(100)); // 4 + 32 + 64

    // 30 from the 64 note: one input, fee 1; change 33.
    let sent = alice.send(&mint, sat(30), None).await.unwrap();
    assert_eq!((sent.amount, sent.fee), (sat(30), sat(1)));
    assert_eq!(alice.balance().await.unwrap(), sat(69));
    let history = alice.history().await.unwrap();
    assert_eq!((history[0].kind, history[0].fee), (HistoryKind::Sent, sat(1)));

    // 30 = 2 + 4 + 8 + 16: four inputs at 500 ppk cost 2.
    let preview = bob.inspect_token(&sent.token).await.unwrap();
    assert_eq!((preview.mint_known, preview.notes), (false, 4));
    let received = bob.receive(&sent.token, true).await.unwrap();
    assert_eq!((received.amount, received.fee), (sat(28), sat(2)));
    assert_eq!(bob.balance().await.unwrap(), sat(28));

    // Withdraw 10: the inputs hold 10 plus their own fee (and at most a unit or two more).
    let account = mints.open_account(&mint, &alice.account_pubkey(&mint).await.unwrap(), 0).await;
    assert_eq!(alice.withdraw_to_account(&mint, sat(10), &account).await.unwrap(), sat(10));
    assert_eq!(mints.account_balance(&mint, &account).await, 10);
    let withdrawn = &alice.history().await.unwrap()[0];
    assert_eq!((withdrawn.kind, withdrawn.status), (HistoryKind::Withdrawn, HistoryStatus::Done));
    let spent = 69 - alice.balance().await.unwrap().to_u64();
    assert_eq!(spent, 10 + withdrawn.fee.to_u64(), "what left the wallet is the amount and the fee shown");
    assert!((1..=4).contains(&withdrawn.fee.to_u64()), "fee {:?}", withdrawn.fee);
    // Besides the spendable notes the store holds only the 30 of the (redeemed, not yet refreshed) send.
    assert_eq!(total(&*alice_store).await, alice.balance().await.unwrap().to_u64() + 30);
    assert_eq!(alice.refresh_pending_sends().await.unwrap(), 1);
    assert_eq!(total(&*alice_store).await, alice.balance().await.unwrap().to_u64());

    // Not enough: what is available is the balance less the fee of spending every note.
    let all = alice.balance().await.unwrap();
    match alice.send(&mint, all.checked_add(sat(1)).unwrap(), None).await {
        Err(WalletError::InsufficientFunds { available, .. }) => assert!(available < all, "{available} < {all}"),
        other => panic!("{other:?}"),
    }
    // Sending everything is an exact subset: no swap, no fee now (the receiver pays the fee of its notes).
    assert_eq!(alice.send(&mint, all, None).await.unwrap().fee, sat(0));
    assert_eq!(alice.balance().await.unwrap(), sat(0));
}

/// Tokens other wallets make: `cashuA` (v3 JSON) and `cashuB` with short keyset ids (which the wallet resolves
/// against the mint's keysets).
#[tokio::test]
async fn receives_cashu_a_and_short_keyset_ids() {
    let mints = Mints::start().await;
    use shared::token::{Token, TokenKeysetId, TokenV3, TokenV3Entry};
    let (alice, _, _) = fresh_wallet(&mints).await;
    let (bob, _, _) = fresh_wallet(&mints).await;
    fund(&alice, 6).await; // 2 + 4

    let first = Token::decode(&alice.send(MINT, sat(2), Some("v3".into())).await.unwrap().token).unwrap();
    let proofs = first.proofs(&[]).unwrap();
    let v3 = Token::V3(TokenV3 {
        token: vec![TokenV3Entry { mint: MINT.to_owned(), proofs }],
        unit: Some(shared::CurrencyUnit::Sat),
        memo: Some("v3".into()),
    })
    .encode()
    .unwrap();
    assert!(v3.starts_with("cashuA"));
    let preview = bob.inspect_token(&v3).await.unwrap();
    assert_eq!((preview.amount, preview.dleq), (sat(2), DleqStatus::AllValid));
    assert_eq!(bob.receive(&v3, false).await.unwrap().amount, sat(2));

    let Token::V4(mut second) = Token::decode(&alice.send(MINT, sat(4), None).await.unwrap().token).unwrap() else {
        panic!("the wallet makes cashuB tokens")
    };
    let mut shortened = 0;
    for group in &mut second.groups {
        if let TokenKeysetId::Full(id) = group.keyset_id {
            if id.version() == 1 {
                group.keyset_id = TokenKeysetId::Short(id.short());
                shortened += 1;
            }
        }
    }
    assert!(shortened > 0, "the test mint's keysets have version 01 ids");
    let short = Token::V4(second).encode().unwrap();
    assert_eq!(bob.inspect_token(&short).await.unwrap().dleq, DleqStatus::AllValid);
    assert_eq!(bob.receive(&short, false).await.unwrap().amount, sat(4));
    assert_eq!(bob.balance().await.unwrap(), sat(6));
}

/// Two wallets on one store (two tabs, natively): they send at the same time and never use the same note or
/// the same derivation counter (the lock between tabs serializes them; each reloads its notes inside it).
#[tokio::test]
async fn two_wallets_on_one_store_never_share_a_note_or_a_counter() {
    let mints = Mints::start().await;
    let store: Rc<dyn WalletStore> = Rc::new(MemoryStore::new());
    let (wire_a, wire_b) = (InProcess::new(&mints), InProcess::new(&mints));
    let tab_a = Wallet::open(store.clone(), wire_a.clone()).await.unwrap();
    let tab_b = Wallet::open(store.clone(), wire_b.clone()).await.unwrap();
    tab_a.set_mnemonic(&Wallet::new_mnemonic().unwrap()).await.unwrap();
    assert!(tab_b.has_seed().await.unwrap());
    tab_a.add_mint(MINT).await.unwrap();
    fund(&tab_a, 1000).await;
    assert_eq!(tab_b.balance().await.unwrap(), sat(1000));

    let sends = |tab: Wallet| async move {
        let mut results = Vec::new();
        for _ in 0..6 {
            results.push(tab.send(MINT, sat(13), None).await);
        }
        results
    };
    let (a, b) = futures::join!(sends(tab_a.clone()), sends(tab_b.clone()));
    for result in a.iter().chain(&b) {
        assert!(result.is_ok(), "{result:?}");
    }
    assert_eq!(tab_a.balance().await.unwrap(), sat(1000 - 12 * 13));
    assert_eq!(tab_b.pending_sends().await.unwrap().len(), 12);

    let mut inputs = std::collections::HashSet::new();
    let mut outputs = std::collections::HashSet::new();
    for (path, body) in wire_a.bodies.borrow().iter().chain(wire_b.bodies.borrow().iter()) {
        if path != "/v1/swap" && !path.starts_with("/v1/mint/") {
            continue;
        }
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        for input in json["inputs"].as_array().into_iter().flatten() {
            assert!(inputs.insert(input["secret"].as_str().unwrap().to_owned()), "a note was spent twice");
        }
        for output in json["outputs"].as_array().into_iter().flatten() {
            assert!(outputs.insert(output["B_"].as_str().unwrap().to_owned()), "an output was reused");
        }
    }
    assert!(!inputs.is_empty() && !outputs.is_empty());
    let (bob, _, _) = fresh_wallet(&mints).await;
    for send in tab_a.pending_sends().await.unwrap() {
        assert_eq!(bob.receive(&send.token, false).await.unwrap().amount, sat(13));
    }
}

/// The bank account key at a mint is `HMAC-SHA256(seed, "chaumian-cash/bank/account-key/v2" || 0x00 ||
/// mint URL)`: for the BIP-39 test mnemonic "abandon … about" its secret keys at the two test mints are the
/// values below (computed independently); the address is normalised first; one key per mint.
#[tokio::test]
async fn the_account_key_is_derived_from_the_seed_per_mint() {
    let mints = Mints::start().await;
    let wallet = Wallet::open(Rc::new(MemoryStore::new()), InProcess::new(&mints)).await.unwrap();
    let words = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    wallet.set_mnemonic(words).await.unwrap();
    let public = |hex: &str| shared::SecretKey::from_hex(hex).unwrap().public_key().to_hex();
    let at_mint = wallet.account_pubkey(MINT).await.unwrap();
    assert_eq!(at_mint, public("55217df0b41f9f13282b08566b2fb074893023b4fa04a986f90a1d03bf5326a7"));
    assert_eq!(
        wallet.account_pubkey(FEE_MINT).await.unwrap(),
        public("2947bb53c0215f86daade322d46115b4ede95fdadf9f26ee43083a5d6e4d9cbe")
    );
    assert_eq!(wallet.account_pubkey(&format!("{MINT}/")).await.unwrap(), at_mint);
}

/// Issue 12 point 11 in the wallet: an account opened at one mint for the wallet's key at another mint
/// cannot be paid from (20008, nothing debited, nothing minted); the account opened for this mint's key can.
#[tokio::test]
async fn an_account_key_pays_only_at_its_own_mint() {
    let mints = Mints::start().await;
    let (wallet, _, _) = fresh_wallet(&mints).await;
    let other_mints_key = wallet.account_pubkey(FEE_MINT).await.unwrap();
    assert_ne!(other_mints_key, wallet.account_pubkey(MINT).await.unwrap());
    let misregistered = mints.open_account(MINT, &other_mints_key, 100).await;
    let quote = wallet.request_mint_quote(MINT, PaymentMethod::Bank, sat(10)).await.unwrap();
    match wallet.pay_and_mint(MINT, &quote.id, &misregistered).await {
        Err(WalletError::Mint { code, .. }) => assert_eq!(code, shared::nuts::ErrorCode::WitnessMissingOrInvalid),
        other => panic!("expected a refused signature, got {other:?}"),
    }
    assert_eq!(mints.account_balance(MINT, &misregistered).await, 100);
    assert_eq!(wallet.balance().await.unwrap(), sat(0));

    let account = mints.open_account(MINT, &wallet.account_pubkey(MINT).await.unwrap(), 100).await;
    assert_eq!(wallet.pay_and_mint(MINT, &quote.id, &account).await.unwrap(), sat(10));
    assert_eq!(mints.account_balance(MINT, &account).await, 90);
    assert_eq!(wallet.balance().await.unwrap(), sat(10));
}
