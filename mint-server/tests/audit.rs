//! `mint-server audit` (the real binary, and `Audit::of` in-process) on SQLite and PostgreSQL: after real
//! mints, swaps, melts, a keyset rotation and bank operations over HTTP, each keyset's outstanding value is
//! exactly what the test's wallet holds in it and the ledger sums to the balances; a ledger corrupted by
//! direct SQL makes the audit fail (exit status non-zero, the violation named).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;

use common::wallet::TestMint;
use mint_server::audit::Audit;
use mint_server::mint::MintSettings;
use mint_server::store::{MintStore, PostgresStore, SqliteStore};
use shared::nuts::bank::{AccountInfo, MeltQuoteBankRequest};
use shared::nuts::{MeltQuoteBolt11Request, MeltQuoteBolt11Response, MeltQuoteState, MeltRequest};
use shared::{Amount, CurrencyUnit, Proof, SecretKey};

const TOKEN: [u8; 32] = [3; 32];

/// Where the database is: what the binary is pointed at, and how the test corrupts it.
enum Database {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl Database {
    async fn store(&self) -> Arc<dyn MintStore> {
        match self {
            Database::Sqlite(dir) => Arc::new(SqliteStore::open(&dir.path().join("mint.sqlite")).await.unwrap()),
            Database::Postgres(url) => Arc::new(PostgresStore::connect(url, 8).await.unwrap()),
        }
    }

    /// `mint-server audit --json`: (exit status ok, the printed audit, stderr).
    fn audit_binary(&self) -> (bool, serde_json::Value, String) {
        let data_dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_mint-server"));
        match self {
            Database::Sqlite(dir) => command.arg("--data-dir").arg(dir.path()),
            Database::Postgres(url) => command.arg("--data-dir").arg(data_dir.path()).arg("--database-url").arg(url),
        };
        let output = command
            .args(["audit", "--json"])
            .env("RUST_LOG", "warn")
            .env_remove("MINT_DATABASE_URL")
            .env_remove("MINT_MASTER_SECRET")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let printed = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
        // No master secret is read or created by the audit.
        assert!(!data_dir.path().join("master.secret").exists());
        (output.status.success(), printed, String::from_utf8_lossy(&output.stderr).into_owned())
    }

    /// Add `delta` to an account's stored balance, bypassing the ledger.
    async fn corrupt_balance(&self, account: &str, delta: i64) {
        let statement = "UPDATE accounts SET balance = balance + $1 WHERE id = $2";
        let changed = match self {
            Database::Sqlite(dir) => {
                let url = format!("sqlite://{}", dir.path().join("mint.sqlite").display());
                let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                sqlx::query(statement).bind(delta).bind(account).execute(&pool).await.unwrap().rows_affected()
            }
            Database::Postgres(url) => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                sqlx::query(statement).bind(delta).bind(account).execute(&pool).await.unwrap().rows_affected()
            }
        };
        assert_eq!(changed, 1);
    }
}

async fn admin<T: serde::de::DeserializeOwned>(mint: &TestMint, path: &str, body: serde_json::Value) -> T {
    let response = mint.client.post(mint.url(path)).bearer_auth(hex::encode(TOKEN)).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The wallet's notes, value per keyset id.
fn held(notes: &[Proof]) -> BTreeMap<String, i128> {
    let mut held = BTreeMap::new();
    for note in notes {
        *held.entry(note.keyset_id.to_string()).or_default() += i128::from(note.amount.to_u64());
    }
    held
}

/// Each keyset's outstanding value as the audit prints it (JSON), keysets with nothing outstanding left out.
fn outstanding(printed: &serde_json::Value) -> BTreeMap<String, i128> {
    printed["keysets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|book| (book["id"].as_str().unwrap().to_owned(), i128::from(book["outstanding"].as_i64().unwrap())))
        .filter(|(_, value)| *value != 0)
        .collect()
}

async fn books_balance(database: Database) {
    let store = database.store().await;
    let mint = TestMint::start_with_admin_token(Arc::clone(&store), MintSettings::default(), TOKEN.to_vec()).await;
    // Bank: an account, credited twice.
    let holder = SecretKey::random().unwrap();
    let account: AccountInfo =
        admin(&mint, "/admin/accounts", serde_json::json!({ "pubkey": holder.public_key() })).await;
    for amount in [100, 23] {
        let _: AccountInfo = admin(
            &mint,
            &format!("/admin/accounts/{}/credit", account.id),
            serde_json::json!({ "amount": amount, "reference": "cash desk" }),
        )
        .await;
    }
    // Mint, swap, melt (fake bolt11: 10 sat) in the first keyset.
    let mut notes = mint.mint_notes(&[1, 2, 4, 8, 16, 32, 64]).await;
    let swapped = mint.swap(notes.drain(..3).collect(), &[1, 2, 2, 2]).await.unwrap();
    notes.extend(swapped);
    let quote: MeltQuoteBolt11Response = mint
        .post(
            "/v1/melt/quote/bolt11",
            &MeltQuoteBolt11Request { request: "lnbc100n1fake".into(), unit: CurrencyUnit::Sat, options: None },
        )
        .await
        .unwrap();
    let inputs: Vec<Proof> = notes.iter().filter(|n| n.amount == Amount::from_u64(16)).cloned().collect();
    notes.retain(|n| n.amount != Amount::from_u64(16));
    let melted: MeltQuoteBolt11Response = mint
        .post("/v1/melt/bolt11", &MeltRequest { quote: quote.quote, inputs, outputs: None, prefer_async: false })
        .await
        .unwrap();
    assert_eq!(melted.state, MeltQuoteState::Paid);
    // A new keyset; notes of both; a bank melt of 32 into the account from the old keyset.
    let _: serde_json::Value = admin(&mint, "/admin/keysets/rotate", serde_json::json!({ "input_fee_ppk": 0 })).await;
    notes.extend(mint.mint_notes(&[4, 1]).await);
    let quote: MeltQuoteBolt11Response = mint
        .post(
            "/v1/melt/quote/bank",
            &MeltQuoteBankRequest {
                request: account.id.clone(),
                unit: CurrencyUnit::Sat,
                amount: Amount::from_u64(32),
            },
        )
        .await
        .unwrap();
    let inputs: Vec<Proof> = notes.iter().filter(|n| n.amount == Amount::from_u64(32)).cloned().collect();
    notes.retain(|n| n.amount != Amount::from_u64(32));
    let melted: MeltQuoteBolt11Response = mint
        .post("/v1/melt/bank", &MeltRequest { quote: quote.quote, inputs, outputs: None, prefer_async: false })
        .await
        .unwrap();
    assert_eq!(melted.state, MeltQuoteState::Paid);
    assert_eq!(held(&notes).len(), 2, "notes of both keysets");

    // In-process and through the binary: outstanding per keyset is what the wallet holds.
    let audit = Audit::of(store.as_ref()).await.unwrap();
    assert!(audit.holds(), "{:?}", audit.violations);
    let (ok, printed, err) = database.audit_binary();
    assert!(ok, "{err}");
    assert_eq!(outstanding(&printed), held(&notes), "{printed:#}");
    assert_eq!(printed["outstanding_total"].as_i64().unwrap(), audit.outstanding_total as i64);
    let balance = 100 + 23 + 32;
    assert_eq!(printed["accounts"][0]["balance"], balance);
    assert_eq!(printed["accounts"][0]["ledger"], balance);
    assert_eq!(printed["accounts"][0]["entries"], 3);
    assert_eq!(printed["violations"].as_array().unwrap().len(), 0);

    // A balance changed behind the ledger's back: the audit fails and says which account.
    database.corrupt_balance(&account.id, 7).await;
    let (ok, printed, err) = database.audit_binary();
    assert!(!ok, "the audit passed a corrupted ledger: {printed:#}");
    assert!(err.contains("1 violation"), "{err}");
    let violation = printed["violations"][0]["detail"].as_str().unwrap();
    assert!(violation.contains(&account.id) && violation.contains("162"), "{violation}");
    assert!(!Audit::of(store.as_ref()).await.unwrap().holds());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_books_balance_and_a_corrupted_ledger_fails() {
    books_balance(Database::Sqlite(tempfile::tempdir().unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_books_balance_and_a_corrupted_ledger_fails() {
    books_balance(Database::Postgres(common::postgres_url().await)).await;
}
