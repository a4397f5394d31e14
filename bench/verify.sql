-- bench/verify.sql — the books still hold after a benchmark run.
--
--   psql -v full=1 -f bench/verify.sql      everything
--   psql -v full=0 -f bench/verify.sql      what changed since the last call
--
-- On the real tables: every voucher has two entries or more and balances per
-- currency; every entry belongs to a voucher; the maintained balances (sum of
-- ledger.account_balance.units per account) equal the sum of the entries; no
-- floor or ceiling is crossed.  The incremental form checks the vouchers with
-- ids above the last verified one and that every account's balance moved by
-- exactly the sum of their entries since the last (full or incremental)
-- verification; the runner does a full one at the start and at the end.
-- Raises an error (psql exits non-zero) on the first failed check.

\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
SET bench.verify_all = :'full';

CREATE TABLE IF NOT EXISTS bench.verified_balance (account_id bigint PRIMARY KEY, units numeric NOT NULL);
CREATE TABLE IF NOT EXISTS bench.verified_upto (voucher_id bigint NOT NULL);

DO $$
DECLARE
	full_check boolean := current_setting('bench.verify_all') = '1'
		OR NOT EXISTS (SELECT 1 FROM bench.verified_upto);
	upto bigint := CASE WHEN full_check THEN 0
		ELSE (SELECT max(voucher_id) FROM bench.verified_upto) END;
	last_id bigint;
	n_vouchers bigint;
	n_entries bigint;
	bad text;
	low text;
BEGIN
	SELECT COALESCE(max(id), 0), count(*) INTO last_id, n_vouchers FROM ledger.voucher WHERE id > upto;
	SELECT count(*) INTO n_entries FROM ledger.entry WHERE voucher_id > upto;

	-- every voucher has two entries or more
	SELECT string_agg(format('voucher %s has %s entries', id, n), '; ') INTO bad
	  FROM (SELECT v.id, count(e.voucher_id) AS n
	          FROM ledger.voucher v LEFT JOIN ledger.entry e ON e.voucher_id = v.id
	         WHERE v.id > upto GROUP BY v.id HAVING count(e.voucher_id) < 2 LIMIT 5) x;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'CORRECTNESS: vouchers with fewer than two entries: %', bad;
	END IF;

	-- every voucher balances per currency
	SELECT string_agg(format('voucher %s is off by %s minor units of %s', voucher_id, s, cur), '; ') INTO bad
	  FROM (SELECT e.voucher_id, ledger.currency(e.amount) AS cur, sum(ledger.minor_units(e.amount)) AS s
	          FROM ledger.entry e WHERE e.voucher_id > upto
	         GROUP BY 1, 2 HAVING sum(ledger.minor_units(e.amount)) <> 0 LIMIT 5) x;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'CORRECTNESS: unbalanced vouchers: %', bad;
	END IF;

	-- every entry belongs to a voucher
	SELECT string_agg(DISTINCT e.voucher_id::text, ', ') INTO bad
	  FROM ledger.entry e WHERE e.voucher_id > upto
	   AND NOT EXISTS (SELECT 1 FROM ledger.voucher v WHERE v.id = e.voucher_id);
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'CORRECTNESS: entries of vouchers that do not exist: %', bad;
	END IF;

	-- maintained balances equal the entries (all of them, or the last
	-- verified balances plus the entries since)
	WITH kept AS (
		SELECT account_id, sum(units) AS units FROM ledger.account_balance GROUP BY 1),
	moved AS (
		SELECT account_id, sum(ledger.minor_units(amount)) AS units
		  FROM ledger.entry WHERE voucher_id > upto GROUP BY 1),
	cmp AS (
		SELECT a.code, COALESCE(k.units, 0) AS kept,
		       CASE WHEN full_check THEN 0 ELSE COALESCE(b.units, 0) END + COALESCE(m.units, 0) AS expected
		  FROM ledger.account a
		  LEFT JOIN kept k ON k.account_id = a.id
		  LEFT JOIN moved m ON m.account_id = a.id
		  LEFT JOIN bench.verified_balance b ON b.account_id = a.id)
	SELECT string_agg(format('account %s: maintained %s, entries say %s', code, kept, expected), '; ') INTO bad
	  FROM (SELECT * FROM cmp WHERE kept <> expected LIMIT 5) x;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'CORRECTNESS: maintained balances differ from the entries: %', bad;
	END IF;

	-- no floor or ceiling crossed
	SELECT string_agg(format('account %s: balance %s, floor %s, ceiling %s', code, bal, floor, ceiling), '; ') INTO bad
	  FROM (SELECT a.code, ledger.balance(a.code) AS bal, a.floor, a.ceiling
	          FROM ledger.account a WHERE a.floor IS NOT NULL OR a.ceiling IS NOT NULL) x
	 WHERE (floor IS NOT NULL AND bal OPERATOR(ledger.<) floor)
	    OR (ceiling IS NOT NULL AND bal OPERATOR(ledger.>) ceiling);
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'CORRECTNESS: bounds crossed: %', bad;
	END IF;
	SELECT format('%s (account %s)', ledger.min(bal), (array_agg(code ORDER BY bal))[1]) INTO low
	  FROM (SELECT a.code, ledger.balance(a.code) AS bal FROM ledger.account a WHERE a.floor IS NOT NULL) x;

	-- remember what was verified
	TRUNCATE bench.verified_balance, bench.verified_upto;
	INSERT INTO bench.verified_balance SELECT account_id, sum(units) FROM ledger.account_balance GROUP BY 1;
	INSERT INTO bench.verified_upto VALUES (GREATEST(last_id, upto));
	SET LOCAL client_min_messages = notice;

	RAISE NOTICE 'verified (%): % vouchers and % entries balance, maintained balances equal the entries, no bound crossed (lowest floored balance %)',
		CASE WHEN full_check THEN 'all' ELSE format('ids above %s', upto) END, n_vouchers, n_entries, low;
END
$$;
