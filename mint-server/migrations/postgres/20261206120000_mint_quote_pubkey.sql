-- NUT-20: the key (SEC1 compressed) a mint quote was locked to, if any; minting it then needs its signature.
ALTER TABLE mint_quotes ADD COLUMN pubkey BYTEA;
