-- bench/pgledger_setup.sql — pgledger's side of P4, after pgledger.sql is
-- installed: the same 10,000 wallets (every other one refuses a negative
-- balance, pgledger's form of a floor) funded with 1,000,000.00 each from a
-- bank account, and a table naming pgledger's account ids by wallet number.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE TABLE bench.pgl_account (n integer PRIMARY KEY, id text NOT NULL);
INSERT INTO bench.pgl_account
	SELECT n, (pgledger_create_account('wallet ' || n, 'CNY', n % 2 = 0, true)).id
	  FROM generate_series(0, 10000) n;
SELECT count(*) AS transfers FROM pgledger_create_transfers(
	(SELECT array_agg(((SELECT id FROM bench.pgl_account WHERE n = 0), a.id, 1000000.00)::transfer_request ORDER BY a.n)
	   FROM bench.pgl_account a WHERE a.n > 0));
VACUUM ANALYZE;
