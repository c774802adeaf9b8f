-- A melt is settled by whoever holds its lease: the request that started it, or, once the lease has expired
-- (the instance died), the background task of any instance. Taking it is one compare-and-set UPDATE.
ALTER TABLE melt_quotes ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE melt_quotes ADD COLUMN lease_holder TEXT;
