-- Every withdrawal-session request the mint has answered, by the wallet's nonce (signed in the request): an
-- identical request again gets the identical answer (a retry), any other with that nonce is refused (a
-- replay), so a captured request can neither open a session again nor abort the account's open one.
CREATE TABLE offline_session_requests (
    account_id  TEXT    NOT NULL REFERENCES accounts (id),
    nonce       TEXT    NOT NULL,
    request_key TEXT    NOT NULL,
    response    TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (account_id, nonce)
);
