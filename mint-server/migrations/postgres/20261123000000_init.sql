-- Initial schema. Migrations are append-only: never edit a released file, add a new one.

-- Keysets the mint has created. Private keys are not stored: they are derived from the master secret and
-- (unit, derivation_index, max_order).
CREATE TABLE keysets (
    id               TEXT PRIMARY KEY,
    unit             TEXT    NOT NULL,
    derivation_index BIGINT NOT NULL,
    max_order        BIGINT NOT NULL,
    input_fee_ppk    BIGINT NOT NULL,
    final_expiry     BIGINT,
    active           BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    UNIQUE (unit, derivation_index)
);

-- The spent set. The PRIMARY KEY on y (the note's serial) decides the first presentation: of two
-- concurrent inserts of the same y, exactly one commits.
CREATE TABLE proofs (
    y          BYTEA PRIMARY KEY,
    keyset_id  TEXT    NOT NULL,
    amount     BIGINT NOT NULL,
    secret     TEXT    NOT NULL,
    c          BYTEA    NOT NULL,
    witness    TEXT,
    state      TEXT    NOT NULL CHECK (state IN ('SPENT', 'PENDING')),
    quote_id   TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX proofs_quote ON proofs (quote_id);

-- Every signature the mint has issued, by blinded message, for restore (NUT-09). The PRIMARY KEY on b
-- means an output is never signed twice.
CREATE TABLE blind_signatures (
    b          BYTEA PRIMARY KEY,
    amount     BIGINT NOT NULL,
    keyset_id  TEXT    NOT NULL,
    c          BYTEA    NOT NULL,
    dleq_e     BYTEA    NOT NULL,
    dleq_s     BYTEA    NOT NULL,
    quote_id   TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE mint_quotes (
    id         TEXT PRIMARY KEY,
    method     TEXT    NOT NULL,
    unit       TEXT    NOT NULL,
    amount     BIGINT NOT NULL,
    request    TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('UNPAID', 'PAID', 'ISSUED')),
    expiry     BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE melt_quotes (
    id               TEXT PRIMARY KEY,
    method           TEXT    NOT NULL,
    unit             TEXT    NOT NULL,
    amount           BIGINT NOT NULL,
    fee_reserve      BIGINT NOT NULL,
    request          TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('UNPAID', 'PENDING', 'PAID')),
    expiry           BIGINT NOT NULL,
    payment_preimage TEXT,
    created_at       BIGINT NOT NULL
);

-- NUT-19: the response to each successful state-changing request, keyed by a hash of method, path and body,
-- written in the same transaction as the request's effects.
CREATE TABLE response_cache (
    key        BYTEA PRIMARY KEY,
    response   TEXT    NOT NULL,
    created_at BIGINT NOT NULL
);

-- The bank: internal accounts money enters from and leaves to. Offline coins will hang their identity
-- (I = u1 g1) and bond off this table.
CREATE TABLE accounts (
    id         TEXT PRIMARY KEY,
    pubkey     BYTEA    NOT NULL UNIQUE,
    unit       TEXT    NOT NULL,
    balance    BIGINT NOT NULL CHECK (balance >= 0),
    blocked    BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Append-only ledger of every balance change, so balances can be audited.
CREATE TABLE account_entries (
    id         BIGSERIAL PRIMARY KEY,
    account_id TEXT    NOT NULL REFERENCES accounts (id),
    delta      BIGINT NOT NULL,
    reason     TEXT    NOT NULL,
    reference  TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX account_entries_account ON account_entries (account_id);
