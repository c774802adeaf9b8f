//! The wallet against a real mint: mint, send, receive, double receive, reclaim, restore, bank, bad input,
//! and that secrets never leave the browser.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::rc::Rc;

use shared::Amount;
use shared::derivation::{WalletSeed, parse_mnemonic};
use shared::nuts::{MintQuoteState, PaymentMethod};
use support::{account_balance, fresh_wallet, fund, mint_url, open_account, total};
use wallet_web::store::{MemoryStore, Table, WalletStore, get_all_json};
use wallet_web::wallet::records::MintRecord;
use wallet_web::{DleqStatus, HistoryKind, HistoryStatus, Wallet, WalletError};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn sat(n: u64) -> Amount {
    Amount::from(n)
}

#[wasm_bindgen_test]
async fn mint_send_receive_reclaim_restore() {
    let (alice, _alice_store, _) = fresh_wallet().await;
    let (bob, _bob_store, _) = fresh_wallet().await;
    let mint = mint_url();

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
    let carol = Wallet::open(carol_store.clone(), support::TestConnector::new()).await.unwrap();
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

#[wasm_bindgen_test]
async fn exact_subsets_need_no_swap_and_unknown_mints_need_trust() {
    let (alice, _, connector) = fresh_wallet().await;
    fund(&alice, 12).await; // 4 + 8
    let before = connector.bodies.borrow().len();
    let sent = alice.send(&mint_url(), sat(8), None).await.unwrap();
    assert_eq!(connector.bodies.borrow().len(), before, "an exact subset is sent without asking the mint");

    // A wallet that does not know the mint refuses until told to trust it.
    let stranger = Wallet::open(Rc::new(MemoryStore::new()), support::TestConnector::new()).await.unwrap();
    stranger.set_mnemonic(&Wallet::new_mnemonic().unwrap()).await.unwrap();
    let preview = stranger.inspect_token(&sent.token).await.unwrap();
    assert_eq!((preview.mint_known, preview.dleq), (false, DleqStatus::Missing));
    assert!(matches!(stranger.receive(&sent.token, false).await, Err(WalletError::UnknownMint(_))));
    assert_eq!(stranger.receive(&sent.token, true).await.unwrap().amount, sat(8));
    assert_eq!(stranger.mints().await.unwrap().len(), 1);
    // The mint cannot be removed while it holds notes.
    assert_eq!(stranger.remove_mint(&mint_url()).await, Err(WalletError::MintNotEmpty));
}

#[wasm_bindgen_test]
async fn bank_account_in_and_out() {
    let (alice, _, _) = fresh_wallet().await;
    let mint = mint_url();
    let pubkey = alice.account_pubkey(&mint).await.unwrap();
    assert_eq!(pubkey.len(), 66);
    let account = open_account(&pubkey, 500).await;

    // A bank quote is unpaid until paid from the account: minting it before is refused and rolled back.
    let quote = alice.request_mint_quote(&mint, PaymentMethod::Bank, sat(100)).await.unwrap();
    assert_eq!(quote.state, MintQuoteState::Unpaid);
    assert_eq!(alice.mint_paid_quote(&mint, &quote.id).await, Err(WalletError::QuoteNotPaid));
    assert_eq!(alice.recover().await.unwrap(), wallet_web::RecoveryReport::default());
    alice.pay_quote_from_account(&mint, &quote.id, &account).await.unwrap();
    assert_eq!(alice.check_mint_quote(&mint, &quote.id).await.unwrap().state, MintQuoteState::Paid);
    assert_eq!(alice.mint_paid_quote(&mint, &quote.id).await.unwrap(), sat(100));
    assert_eq!(account_balance(&account).await, 400);

    // Withdraw 37 (needs a swap into exact denominations first: the mint gives no change).
    assert_eq!(alice.withdraw_to_account(&mint, sat(37), &account).await.unwrap(), sat(37));
    assert_eq!(alice.balance().await.unwrap(), sat(63));
    assert_eq!(account_balance(&account).await, 437);
    let last = &alice.history().await.unwrap()[0];
    assert_eq!((last.kind, last.amount, last.status), (HistoryKind::Withdrawn, sat(37), HistoryStatus::Done));

    // Another wallet's key cannot pay from this account.
    let (mallory, _, _) = fresh_wallet().await;
    let stolen = mallory.request_mint_quote(&mint, PaymentMethod::Bank, sat(10)).await.unwrap();
    assert!(matches!(mallory.pay_quote_from_account(&mint, &stolen.id, &account).await, Err(WalletError::Mint { .. })));
}

#[wasm_bindgen_test]
async fn bad_input_gives_the_right_errors() {
    let store = Rc::new(MemoryStore::new());
    let wallet = Wallet::open(store, support::TestConnector::new()).await.unwrap();
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

    wallet.add_mint(&mint_url()).await.unwrap();
    assert_eq!(
        wallet.send(&mint_url(), sat(5), None).await,
        Err(WalletError::InsufficientFunds { available: sat(0), needed: sat(5) })
    );
    assert!(matches!(
        wallet.request_mint_quote(&mint_url(), PaymentMethod::from("paypal"), sat(5)).await,
        Err(WalletError::Invalid(_))
    ));
    assert!(matches!(wallet.reclaim("nope").await, Err(WalletError::Invalid(_))));
}

/// Every request body the wallets sent, checked against every secret they hold: the mnemonic, the seed,
/// each blinding factor, and each note secret (allowed only as an input being spent in that very request).
#[wasm_bindgen_test]
async fn secrets_never_leave_the_browser() {
    let (alice, alice_store, alice_wire) = fresh_wallet().await;
    let (bob, bob_store, bob_wire) = fresh_wallet().await;
    let mint = mint_url();
    fund(&alice, 100).await;
    let sent = alice.send(&mint, sat(30), None).await.unwrap();
    bob.receive(&sent.token, false).await.unwrap();
    let unclaimed = alice.send(&mint, sat(7), None).await.unwrap();
    alice.reclaim(&unclaimed.send_id).await.unwrap();
    alice.refresh_pending_sends().await.unwrap();
    let account = open_account(&alice.account_pubkey(&mint).await.unwrap(), 0).await;
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
#[wasm_bindgen_test]
async fn input_fees_are_paid_and_shown() {
    let mint = support::fee_mint_url();
    let (alice, alice_store, _) = fresh_wallet().await;
    let (bob, _, _) = fresh_wallet().await;
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
    let account = support::open_account_at(&mint, &alice.account_pubkey(&mint).await.unwrap(), 0).await;
    assert_eq!(alice.withdraw_to_account(&mint, sat(10), &account).await.unwrap(), sat(10));
    assert_eq!(support::account_balance_at(&mint, &account).await, 10);
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
#[wasm_bindgen_test]
async fn receives_cashu_a_and_short_keyset_ids() {
    use shared::token::{Token, TokenKeysetId, TokenV3, TokenV3Entry};
    let (alice, _, _) = fresh_wallet().await;
    let (bob, _, _) = fresh_wallet().await;
    fund(&alice, 6).await; // 2 + 4

    let first = Token::decode(&alice.send(&mint_url(), sat(2), Some("v3".into())).await.unwrap().token).unwrap();
    let proofs = first.proofs(&[]).unwrap();
    let v3 = Token::V3(TokenV3 {
        token: vec![TokenV3Entry { mint: mint_url(), proofs }],
        unit: Some(shared::CurrencyUnit::Sat),
        memo: Some("v3".into()),
    })
    .encode()
    .unwrap();
    assert!(v3.starts_with("cashuA"));
    let preview = bob.inspect_token(&v3).await.unwrap();
    assert_eq!((preview.amount, preview.dleq), (sat(2), DleqStatus::AllValid));
    assert_eq!(bob.receive(&v3, false).await.unwrap().amount, sat(2));

    let Token::V4(mut second) = Token::decode(&alice.send(&mint_url(), sat(4), None).await.unwrap().token).unwrap()
    else {
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
