-- NUT-08: a pending melt's blank outputs and the most change they may carry (JSON, written with the PENDING
-- state), so whoever settles the melt, also after the request died, signs the same change.
ALTER TABLE melt_quotes ADD COLUMN change_request TEXT;
