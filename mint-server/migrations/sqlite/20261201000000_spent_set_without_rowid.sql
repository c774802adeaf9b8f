-- The spent set and the issued signatures become WITHOUT ROWID tables: each row lives only in the B-tree of
-- its PRIMARY KEY (a rowid table keeps the row in a second B-tree besides the key's), so inserting a spent
-- note or a signature changes one B-tree instead of two. A swap's commit is mostly such inserts.
--
-- proofs gains request_key (NUT-19): the hash of the request that spent the row. A retried swap is
-- recognised by its inputs carrying its own key, so swaps store no cached response (their response is
-- computed again, identically: signatures and DLEQ nonces are deterministic).
--
-- The index on quote_id only holds rows that have one (melts); swaps leave quote_id empty.

CREATE TABLE proofs_v2 (
    y           BLOB PRIMARY KEY,
    keyset_id   TEXT    NOT NULL,
    amount      INTEGER NOT NULL,
    secret      TEXT    NOT NULL,
    c           BLOB    NOT NULL,
    witness     TEXT,
    state       TEXT    NOT NULL CHECK (state IN ('SPENT', 'PENDING')),
    quote_id    TEXT,
    request_key BLOB,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO proofs_v2 (y, keyset_id, amount, secret, c, witness, state, quote_id, created_at)
    SELECT y, keyset_id, amount, secret, c, witness, state, quote_id, created_at FROM proofs;
DROP TABLE proofs;
ALTER TABLE proofs_v2 RENAME TO proofs;
CREATE INDEX proofs_quote ON proofs (quote_id) WHERE quote_id IS NOT NULL;

CREATE TABLE blind_signatures_v2 (
    b          BLOB PRIMARY KEY,
    amount     INTEGER NOT NULL,
    keyset_id  TEXT    NOT NULL,
    c          BLOB    NOT NULL,
    dleq_e     BLOB    NOT NULL,
    dleq_s     BLOB    NOT NULL,
    quote_id   TEXT,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO blind_signatures_v2 SELECT b, amount, keyset_id, c, dleq_e, dleq_s, quote_id, created_at
    FROM blind_signatures;
DROP TABLE blind_signatures;
ALTER TABLE blind_signatures_v2 RENAME TO blind_signatures;
