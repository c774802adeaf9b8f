//! The operator commands of the real binary: open an account, credit it, show it, rotate the keyset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use shared::nuts::bank::AccountInfo;
use shared::{Amount, SecretKey};

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
