//! Helpers shared by the mint's integration tests: real databases for both backends.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use mint_server::store::{MintStore, PostgresStore, SqliteStore};

/// A fresh SQLite database in a temporary directory (kept alive by the returned guard).
pub async fn sqlite_store() -> (Arc<dyn MintStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("mint.sqlite")).await.unwrap();
    (Arc::new(store), dir)
}

/// The URL of a fresh, empty PostgreSQL database.
///
/// `MINT_TEST_POSTGRES_URL` names a server and a database the test user may `CREATE DATABASE` from
/// (scripts/test starts one: `postgres://mint:mint@127.0.0.1:5432/postgres`). Without it the test fails:
/// a silently skipped database test would hide a broken backend.
pub async fn postgres_url() -> String {
    let admin_url = std::env::var("MINT_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "MINT_TEST_POSTGRES_URL is not set. Run the tests through scripts/test (it starts PostgreSQL), \
             or set it to e.g. postgres://mint:mint@127.0.0.1:5432/postgres"
        )
    });
    let name = format!("mint_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&admin_url).await.expect("connect to MINT_TEST_POSTGRES_URL");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await.unwrap();
    admin.close().await;
    let (base, _) = admin_url.rsplit_once('/').expect("database URL ends with /<database>");
    format!("{base}/{name}")
}

/// A fresh PostgreSQL store.
pub async fn postgres_store() -> Arc<dyn MintStore> {
    Arc::new(PostgresStore::connect(&postgres_url().await, 16).await.unwrap())
}

pub mod wallet;
