//! SQLite migrations on a database that already holds data: a mint upgraded in place keeps every spent note,
//! pending note and issued signature when the spent set and the signatures move to WITHOUT ROWID tables.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use mint_server::store::{Commit, MintStore, SqliteStore, StoreError};
use shared::nuts::State;
use shared::{Amount, Proof, Secret, SecretKey};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

/// The migration that rebuilds the tables; everything before it is the schema a running mint had.
const REBUILD: &str = "20261201000000_spent_set_without_rowid.sql";

fn point() -> [u8; 33] {
    SecretKey::random().unwrap().public_key().to_bytes()
}

/// A database migrated up to (not including) [`REBUILD`], as an older mint left it.
async fn old_database(path: &Path, migrations: &Path) -> sqlx::SqlitePool {
    let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    std::fs::create_dir_all(migrations).unwrap();
    for entry in std::fs::read_dir(&all).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.as_str() < REBUILD {
            std::fs::copy(entry.path(), migrations.join(&name)).unwrap();
        }
    }
    assert!(all.join(REBUILD).is_file(), "the rebuild migration was renamed: update this test");
    let options =
        SqliteConnectOptions::new().filename(path).create_if_missing(true).journal_mode(SqliteJournalMode::Wal);
    let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(migrations).await.unwrap().run(&pool).await.unwrap();
    pool
}

#[tokio::test]
async fn rows_survive_the_move_to_without_rowid_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mint.sqlite");
    let pool = old_database(&path, &dir.path().join("old-migrations")).await;

    // A spent note, a note pending for a melt quote, and a signature, written with the old schema.
    let keyset = shared::keyset::MintKeySet::derive(b"migrations", shared::CurrencyUnit::Sat, 0, 4, 0, None).unwrap();
    let secret = Secret::generate().unwrap();
    let spent = Proof {
        amount: Amount::from_u64(2),
        keyset_id: keyset.id,
        secret: secret.clone(),
        c: shared::PublicKey::from_slice(&point()).unwrap(),
        witness: None,
        dleq: None,
    };
    let spent_y = spent.y().unwrap();
    let pending_y = point();
    let (b, c, e, s) = (point(), point(), [1u8; 32], [2u8; 32]);
    let insert_proof = "INSERT INTO proofs (y, keyset_id, amount, secret, c, witness, state, quote_id, created_at) \
                        VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, 1)";
    sqlx::query(insert_proof)
        .bind(&spent_y.to_bytes()[..])
        .bind(keyset.id.to_string())
        .bind(2i64)
        .bind(secret.as_str())
        .bind(&spent.c.to_bytes()[..])
        .bind("SPENT")
        .bind(None::<&str>)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(insert_proof)
        .bind(&pending_y[..])
        .bind(keyset.id.to_string())
        .bind(4i64)
        .bind("another secret")
        .bind(&point()[..])
        .bind("PENDING")
        .bind(Some("melt-quote"))
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO blind_signatures (b, amount, keyset_id, c, dleq_e, dleq_s, quote_id, created_at) \
         VALUES ($1, 8, $2, $3, $4, $5, NULL, 1)",
    )
    .bind(&b[..])
    .bind(keyset.id.to_string())
    .bind(&c[..])
    .bind(&e[..])
    .bind(&s[..])
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    // The current mint opens it: the remaining migration runs, and everything is still there.
    let store = SqliteStore::open(&path).await.unwrap();
    let pending = shared::PublicKey::from_slice(&pending_y).unwrap();
    let mut states = store.proof_states(&[spent_y, pending]).await.unwrap();
    states.sort_by_key(|state| state.y == pending);
    assert_eq!(states.len(), 2);
    assert_eq!((states[0].y, states[0].state, states[0].request), (spent_y, State::Spent, None));
    assert_eq!((states[1].y, states[1].state), (pending, State::Pending));
    assert_eq!(store.pending_for_quote("melt-quote").await.unwrap(), vec![pending]);
    let blinded = shared::PublicKey::from_slice(&b).unwrap();
    let signatures = store.signatures(&[blinded]).await.unwrap();
    assert_eq!(signatures.len(), 1);
    assert_eq!((signatures[0].1.amount, signatures[0].1.c.to_bytes()), (Amount::from_u64(8), c));

    // The spent note is still spent: presenting it again is refused.
    let again = Commit::Swap { inputs: vec![(spent_y, spent)], outputs: Vec::new(), request: [0; 32] };
    assert!(matches!(store.commit(&again).await, Err(StoreError::AlreadySpent(_))));

    // And the tables are WITHOUT ROWID now (they have no rowid column).
    let options = SqliteConnectOptions::new().filename(&path);
    let check = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
    for table in ["proofs", "blind_signatures"] {
        let rowid = sqlx::query(&format!("SELECT rowid FROM {table} LIMIT 1")).fetch_all(&check).await;
        assert!(rowid.is_err(), "{table} still has a rowid");
    }
}
