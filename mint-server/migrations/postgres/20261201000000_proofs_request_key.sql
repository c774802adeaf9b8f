-- NUT-19 for swaps: the hash of the request that spent the row. A retried swap is recognised by its inputs
-- carrying its own key, so swaps store no cached response (their response is computed again, identically:
-- signatures and DLEQ nonces are deterministic).
ALTER TABLE proofs ADD COLUMN request_key BYTEA;
