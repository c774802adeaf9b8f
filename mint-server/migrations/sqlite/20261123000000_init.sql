-- Initial schema. Migrations are append-only: never edit a released file, add a new one.

-- Keysets the mint has created. Private keys are not stored: they are derived from the master secret and
-- (unit, derivation_index, max_order).
CREATE TABLE keysets (
    id               TEXT PRIMARY KEY,
    unit             TEXT    NOT NULL,
    derivation_index INTEGER NOT NULL,
    max_order        INTEGER NOT NULL,
    input_fee_ppk    INTEGER NOT NULL,
    final_expiry     INTEGER,
    active           INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (unit, derivation_index)
);

-- The spent set. The PRIMARY KEY on y (the note's serial) decides the first presentation: of two
-- concurrent inserts of the same y, exactly one commits.
CREATE TABLE proofs (
    y          BLOB PRIMARY KEY,
    keyset_id  TEXT    NOT NULL,
    amount     INTEGER NOT NULL,
    secret     TEXT    NOT NULL,
    c          BLOB    NOT NULL,
    witness    TEXT,
    state      TEXT    NOT NULL CHECK (state IN ('SPENT', 'PENDING')),
    quote_id   TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX proofs_quote ON proofs (quote_id);

-- Every signature the mint has issued, by blinded message, for restore (NUT-09). The PRIMARY KEY on b
-- means an output is never signed twice.
CREATE TABLE blind_signatures (
    b          BLOB PRIMARY KEY,
    amount     INTEGER NOT NULL,
    keyset_id  TEXT    NOT NULL,
    c          BLOB    NOT NULL,
    dleq_e     BLOB    NOT NULL,
    dleq_s     BLOB    NOT NULL,
    quote_id   TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE mint_quotes (
    id         TEXT PRIMARY KEY,
    method     TEXT    NOT NULL,
    unit       TEXT    NOT NULL,
    amount     INTEGER NOT NULL,
    request    TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('UNPAID', 'PAID', 'ISSUED')),
    expiry     INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE melt_quotes (
    id               TEXT PRIMARY KEY,
    method           TEXT    NOT NULL,
    unit             TEXT    NOT NULL,
    amount           INTEGER NOT NULL,
    fee_reserve      INTEGER NOT NULL,
    request          TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('UNPAID', 'PENDING', 'PAID')),
    expiry           INTEGER NOT NULL,
    payment_preimage TEXT,
    created_at       INTEGER NOT NULL
);

-- NUT-19: the response to each successful state-changing request, keyed by a hash of method, path and body,
-- written in the same transaction as the request's effects.
CREATE TABLE response_cache (
    key        BLOB PRIMARY KEY,
    response   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- The bank: internal accounts money enters from and leaves to. Offline coins will hang their identity
-- (I = u1 g1) and bond off this table.
CREATE TABLE accounts (
    id         TEXT PRIMARY KEY,
    pubkey     BLOB    NOT NULL UNIQUE,
    unit       TEXT    NOT NULL,
    balance    INTEGER NOT NULL CHECK (balance >= 0),
    blocked    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- Append-only ledger of every balance change, so balances can be audited.
CREATE TABLE account_entries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT    NOT NULL REFERENCES accounts (id),
    delta      INTEGER NOT NULL,
    reason     TEXT    NOT NULL,
    reference  TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX account_entries_account ON account_entries (account_id);
