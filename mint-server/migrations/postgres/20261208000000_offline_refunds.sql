-- Every refund the mint has paid, by coin A (the coin is in offline_spent too, in the same commit): the
-- request's key (SHA-256 of its JSON) and the answer, so that the identical request again gets the identical
-- answer (a retry) while any other request for the coin is refused (13031). Rows of a keyset are pruned with
-- its spent coins after its refund window.
CREATE TABLE offline_refunds (
    coin        TEXT    PRIMARY KEY,
    keyset_id   TEXT    NOT NULL,
    request_key TEXT    NOT NULL,
    response    TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX offline_refunds_keyset ON offline_refunds (keyset_id);
