//! The operator commands of the real binary: open an account, credit it, show it, rotate the keyset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use clap::Parser;
use mint_server::Config;
use mint_server::store::{Commit, MeltQuote, MintStore, SqliteStore};
use shared::nuts::MeltQuoteState;
use shared::nuts::bank::AccountInfo;
use shared::{Amount, CurrencyUnit, SecretKey};

fn run(data_dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_mint-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("MINT_DATABASE_URL")
        .env_remove("MINT_MASTER_SECRET")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn accounts_and_keysets_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey::random().unwrap().public_key().to_hex();
    let (ok, out, err) = run(dir.path(), &["create-account", "--pubkey", &key]);
    assert!(ok, "{err}");
    let account: AccountInfo = serde_json::from_str(&out).unwrap();
    assert_eq!(account.balance, Amount::ZERO);
    let (ok, out, err) =
        run(dir.path(), &["credit", "--account", &account.id, "--amount", "250", "--reference", "cash desk"]);
    assert!(ok, "{err}");
    assert_eq!(serde_json::from_str::<AccountInfo>(&out).unwrap().balance, Amount::from_u64(250));
    let (ok, out, _) = run(dir.path(), &["show-account", "--account", &account.id]);
    assert!(ok);
    assert_eq!(serde_json::from_str::<AccountInfo>(&out).unwrap().balance, Amount::from_u64(250));
    // Mistakes get a plain error and a failing exit status, not a panic.
    let (ok, _, err) = run(dir.path(), &["credit", "--account", "nobody", "--amount", "1"]);
    assert!(!ok && err.contains("unknown or blocked account"), "{err}");
    let (ok, _, err) = run(dir.path(), &["create-account", "--pubkey", "02abc"]);
    assert!(!ok && err.contains("--pubkey"), "{err}");
    // Rotation makes a new active keyset; the master secret file was created with mode 0600.
    let (ok, out, err) = run(dir.path(), &["rotate-keyset", "--input-fee-ppk", "100"]);
    assert!(ok, "{err}");
    let rotated: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rotated["input_fee_ppk"], 100);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in ["master.secret", "admin.token"] {
            let mode = std::fs::metadata(dir.path().join(file)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{file}");
        }
    }
}

/// The state of melt quote `id` in the data directory's database.
async fn melt_state(data_dir: &std::path::Path, id: &str) -> MeltQuoteState {
    let store = SqliteStore::open(&data_dir.join("mint.sqlite")).await.unwrap();
    store.melt_quote(id).await.unwrap().unwrap().state
}

/// A command may run while the server serves the same database, where a pending melt is in flight, not
/// interrupted: commands must not run the server's start-up task that finishes pending melts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_leave_pending_melts_to_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey::random().unwrap().public_key().to_hex();
    let (ok, out, err) = run(dir.path(), &["create-account", "--pubkey", &key]);
    assert!(ok, "{err}");
    let account: AccountInfo = serde_json::from_str(&out).unwrap();
    // A melt of 100 into the account, pending as if a running server were paying it.
    {
        let store = SqliteStore::open(&dir.path().join("mint.sqlite")).await.unwrap();
        let quote = MeltQuote {
            id: "in-flight".into(),
            method: "bank".into(),
            unit: CurrencyUnit::Sat,
            amount: Amount::from_u64(100),
            fee_reserve: Amount::ZERO,
            request: account.id.clone(),
            state: MeltQuoteState::Unpaid,
            expiry: u64::MAX / 2,
            payment_preimage: None,
            change_request: None,
        };
        let pending = Commit::MeltStart { quote_id: quote.id.clone(), inputs: Vec::new(), change: None, request: None };
        store.commit(&Commit::CreateMeltQuote(quote)).await.unwrap();
        store.commit(&pending).await.unwrap();
    }
    for args in [
        vec!["show-account", "--account", &account.id],
        vec!["credit", "--account", &account.id, "--amount", "5"],
        vec!["rotate-keyset"],
    ] {
        let (ok, _, err) = run(dir.path(), &args);
        assert!(ok, "{args:?}: {err}");
        assert_eq!(melt_state(dir.path(), "in-flight").await, MeltQuoteState::Pending, "{args:?}");
    }
    let (_, out, _) = run(dir.path(), &["show-account", "--account", &account.id]);
    assert_eq!(serde_json::from_str::<AccountInfo>(&out).unwrap().balance, Amount::from_u64(5));
    // Starting to serve does finish it (the bank pays into the account).
    // (Database and secret named explicitly, so that MINT_* variables in the environment cannot interfere.)
    let data_dir = dir.path().to_str().unwrap();
    let database = format!("sqlite://{data_dir}/mint.sqlite");
    let secret = std::fs::read_to_string(dir.path().join("master.secret")).unwrap();
    let args = ["mint-server", "--data-dir", data_dir, "--database-url", &database, "--master-secret", &secret];
    let config = Config::try_parse_from(args).unwrap();
    let state = mint_server::setup::build_state(&config).await.unwrap();
    assert_eq!(melt_state(dir.path(), "in-flight").await, MeltQuoteState::Paid);
    assert_eq!(state.mint.account(&account.id).await.unwrap().balance, Amount::from_u64(105));
}
