-- bench/plain.sql — the baseline: unconstrained copies of the ledger's tables.
--
-- Same columns, same types, same indexes (primary keys, the unique
-- idempotency key, the partial and BRIN indexes), the same fillfactor on the
-- balance rows, the same defaults where they are plain SQL; no triggers, no
-- check constraints, no foreign keys.  The benchmarks therefore compare the
-- ledger's checks and balance maintenance, not its indexes.  Run after
-- bench/setup.sql: the balance rows start as the ledger's (funded) ones.

\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE SCHEMA plain;

CREATE SEQUENCE plain.voucher_id_seq;
CREATE TABLE plain.voucher (LIKE ledger.voucher INCLUDING INDEXES);
ALTER TABLE plain.voucher
	ALTER COLUMN id SET DEFAULT nextval('plain.voucher_id_seq'),
	ALTER COLUMN book_date SET DEFAULT CURRENT_DATE,
	ALTER COLUMN created_at SET DEFAULT now(),
	ALTER COLUMN created_by SET DEFAULT session_user;

CREATE TABLE plain.entry (LIKE ledger.entry INCLUDING INDEXES);
ALTER TABLE plain.entry ALTER COLUMN book_date SET DEFAULT CURRENT_DATE;
-- 1.1: a red-letter flag on every entry (false unless a red reversal wrote it)
ALTER TABLE plain.entry ALTER COLUMN red SET DEFAULT false;

CREATE TABLE plain.account_balance (LIKE ledger.account_balance INCLUDING INDEXES)
	WITH (fillfactor = 50);
INSERT INTO plain.account_balance SELECT * FROM ledger.account_balance;

VACUUM ANALYZE plain.account_balance;
VACUUM ANALYZE plain.voucher;
VACUUM ANALYZE plain.entry;

-- the comparison is about the checks: refuse to run if the indexes differ
DO $$
DECLARE
	diff text;
BEGIN
	WITH defs AS (
		SELECT n.nspname AS side, c.relname AS tab,
		       regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '') AS def
		  FROM pg_index i
		  JOIN pg_class c ON c.oid = i.indrelid
		  JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname IN ('ledger', 'plain') AND c.relname IN ('voucher', 'entry', 'account_balance'))
	SELECT string_agg(format('%s.%s: %s', side, tab, def), '; ') INTO diff
	  FROM ((SELECT 'ledger' AS side, tab, def FROM defs WHERE side = 'ledger'
	         EXCEPT SELECT 'ledger', tab, def FROM defs WHERE side = 'plain')
	        UNION ALL
	        (SELECT 'plain', tab, def FROM defs WHERE side = 'plain'
	         EXCEPT SELECT 'plain', tab, def FROM defs WHERE side = 'ledger')) d;
	IF diff IS NOT NULL THEN
		RAISE EXCEPTION 'the baseline tables do not have the ledger''s indexes: %', diff;
	END IF;
END
$$;
