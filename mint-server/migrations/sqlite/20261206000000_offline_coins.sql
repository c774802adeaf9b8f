-- Offline coins (issue 13, Brands' scheme): a second protocol beside Cashu's, with its own tables. Points
-- and scalars are stored as lowercase hex text, as the wire shows them. Offline keysets are not stored: they
-- are derived from the master secret and the period's index (like Cashu keysets).

-- An account registered for offline use: its identity key I = u1 g1, its bond (what is left of it), its
-- offline limit (value of coins it may withdraw per keyset period) and what it withdrew in the current
-- period. Blocked after a double spend.
CREATE TABLE offline_accounts (
    account_id       TEXT PRIMARY KEY REFERENCES accounts (id),
    identity         TEXT    NOT NULL UNIQUE,
    bond             INTEGER NOT NULL CHECK (bond >= 0),
    offline_limit    INTEGER NOT NULL CHECK (offline_limit >= 0),
    period_keyset    TEXT    NOT NULL,
    period_withdrawn INTEGER NOT NULL,
    blocked          INTEGER NOT NULL,
    created_at       INTEGER NOT NULL
);

-- Every movement of a bond: locked from the bank balance, paid out to an honest payee after a double spend.
CREATE TABLE offline_bond_entries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT    NOT NULL REFERENCES accounts (id),
    delta      INTEGER NOT NULL,
    reason     TEXT    NOT NULL,
    reference  TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX offline_bond_entries_account ON offline_bond_entries (account_id);

-- At most one open withdrawal session per account (the ROS attack on concurrent blind signing): a new one
-- replaces the row. The mint's nonce w is derived from the master secret and session_id, never stored.
CREATE TABLE offline_sessions (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    session_id TEXT    NOT NULL,
    keyset_id  TEXT    NOT NULL,
    amount     INTEGER NOT NULL,
    a0         TEXT    NOT NULL,
    b0         TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Each finished withdrawal's public transcript (session values, blinded challenge, response), kept for the
-- account so that a restored wallet can rebuild its coins.
CREATE TABLE offline_withdrawals (
    session_id TEXT PRIMARY KEY,
    account_id TEXT    NOT NULL REFERENCES accounts (id),
    keyset_id  TEXT    NOT NULL,
    amount     INTEGER NOT NULL,
    transcript TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX offline_withdrawals_account ON offline_withdrawals (account_id);

-- The offline spent set, keyed by the coin's A: the first deposit (or refund) of a coin inserts it; of two
-- concurrent inserts exactly one commits. Rows of a keyset may be pruned after its deposit deadline.
CREATE TABLE offline_spent (
    coin       TEXT PRIMARY KEY,
    keyset_id  TEXT    NOT NULL,
    amount     INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX offline_spent_keyset ON offline_spent (keyset_id);

-- Every deposit transcript, keyed by coin and payment challenge d: the same (coin, d) twice is a replay; the
-- same coin with another d is a double spend. The answer is kept for retries of the identical request.
CREATE TABLE offline_deposits (
    coin        TEXT    NOT NULL,
    challenge   TEXT    NOT NULL,
    keyset_id   TEXT    NOT NULL,
    amount      INTEGER NOT NULL,
    transcript  TEXT    NOT NULL,
    request_key TEXT    NOT NULL,
    response    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (coin, challenge)
);

-- Public double-spend evidence: one self-contained entry (keyset, both transcripts) per later deposit.
CREATE TABLE offline_evidence (
    coin       TEXT    NOT NULL,
    challenge  TEXT    NOT NULL,
    account_id TEXT    NOT NULL,
    evidence   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (coin, challenge)
);
