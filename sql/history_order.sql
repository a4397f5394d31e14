--
-- history_order: ledger.account_history reads the period's entries through
-- the index on (account_id, book_date) and returns them in posting order
-- (book date, voucher, line) whatever order the table stores them in; it
-- finds each voucher near the last one read or, stored elsewhere, through the
-- primary key.  Row for row it is what plain SQL over the entries and their
-- vouchers gives, with the running balance from the opening of from_date,
-- red-letter entries on the side opposite to their sign, and a hot account.
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS ledger_regress_history;
CREATE DATABASE ledger_regress_history;
\c ledger_regress_history
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (id, code, name, kind, currency) VALUES
	(1, '1002', 'bank', 'asset', 'CNY'),
	(2, '2202', 'a merchant', 'liability', 'CNY'),
	(3, '6021', 'fee income', 'revenue', 'CNY'),
	(4, '2241', 'a wallet', 'liability', 'CNY');
SELECT setval('ledger.account_id_seq', 10);
-- n top-ups of the wallet from the bank, voucher ids first + 1 .. first + n:
-- vouchers of other accounts that put the merchant's next one far from its last
CREATE PROCEDURE pg_temp.top_ups(first bigint, n integer, key text) LANGUAGE sql AS $$
	INSERT INTO ledger.voucher (id, idempotency_key, summary)
		SELECT first + g, key || g, 'wallet top-up' FROM generate_series(1, n) g;
	INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount)
		SELECT first + g, l, CASE l WHEN 1 THEN 1 ELSE 4 END,
		       ledger.amount_of_units(CASE l WHEN 1 THEN 100 ELSE -100 END, 'CNY')
		  FROM generate_series(1, n) g, generate_series(1, 2) l;
$$;
-- a payment of 1.00 CNY from the bank to the merchant, voucher id given
CREATE PROCEDURE pg_temp.payment(id bigint, key text, ref text) LANGUAGE sql AS $$
	INSERT INTO ledger.voucher (id, idempotency_key, ref) VALUES (id, key, ref);
	INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES
		(id, 1, 1, '1.00 CNY'), (id, 2, 2, '-1.00 CNY');
$$;

-- what the history must show: plain SQL over the entries and their vouchers
CREATE TEMP VIEW expected AS
SELECT a.code, e.book_date, e.voucher_id, e.line_no, v.ref, v.summary,
       CASE WHEN (ledger.minor_units(e.amount) > 0) <> e.red THEN ledger.minor_units(e.amount) END AS debit,
       CASE WHEN (ledger.minor_units(e.amount) > 0) <> e.red THEN NULL ELSE -ledger.minor_units(e.amount) END AS credit,
       -sum(ledger.minor_units(e.amount)) OVER (PARTITION BY a.code ORDER BY e.book_date, e.voucher_id, e.line_no)
           * CASE WHEN a.kind IN ('asset', 'expense') THEN -1 ELSE 1 END AS balance,
       v.created_at
  FROM ledger.entry e JOIN ledger.voucher v ON v.id = e.voucher_id JOIN ledger.account a ON a.id = e.account_id;

-- day 1: vouchers 1000, then 999, then 1001 (the table holds 999 after 1000)
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key, ref, summary) VALUES (1000, 'k1000', 'ORD-1000', 'second');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES
	(1000, 1, 1, '20.00 CNY'), (1000, 2, 2, '-19.80 CNY'), (1000, 3, 3, '-0.20 CNY');
COMMIT;
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key, ref, summary) VALUES (999, 'k999', 'ORD-999', 'first');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES
	(999, 2, 2, '-9.90 CNY'), (999, 1, 1, '10.00 CNY'), (999, 3, 3, '-0.10 CNY');
COMMIT;
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key, ref) VALUES (1001, 'k1001', 'ORD-1001');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES
	(1001, 1, 1, '5.00 CNY'), (1001, 2, 2, '-5.00 CNY');
COMMIT;
SELECT setval('ledger.voucher_id_seq', 2000);
-- 300 vouchers of other accounts: the merchant's next voucher is stored far from its last one
BEGIN;
CALL pg_temp.top_ups(2000, 300, 'w');
COMMIT;
SELECT setval('ledger.voucher_id_seq', 3000);
SELECT ledger.post('pay-1', ARRAY['1002', '2202'], ARRAY['7.00 CNY', '-7.00 CNY']::ledger.amount[],
	summary => 'far away') AS pay1 \gset
-- a red-letter reversal: on the side opposite to its sign, as a negative figure
SELECT ledger.reverse(:pay1, 'pay-1-red') AS pay1_red \gset
SELECT ledger.post('refund-1', ARRAY['2202', '1002'], ARRAY['3.00 CNY', '-3.00 CNY']::ledger.amount[]) IS NOT NULL AS refunded;
CALL ledger.close_day();

-- day 2: the merchant turns hot; again a voucher stored before a lower one
UPDATE ledger.account SET hot = true WHERE code = '2202';
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key, ref) VALUES (5001, 'k5001', 'ORD-5001');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES
	(5001, 1, 1, '1.00 CNY'), (5001, 2, 2, '-1.00 CNY');
COMMIT;
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key, ref) VALUES (5000, 'k5000', 'ORD-5000');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES
	(5000, 1, 1, '2.00 CNY'), (5000, 2, 2, '-2.00 CNY');
COMMIT;
SELECT setval('ledger.voucher_id_seq', 6000);
SELECT ledger.post('pay-2', ARRAY['1002', '2202'], ARRAY['4.00 CNY', '-4.00 CNY']::ledger.amount[]) IS NOT NULL AS posted;
-- entries with a memo (the red flag then follows a text that is not null)
-- and a red reversal of them, one line with a memo and one without
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key, ref) VALUES (6500, 'k6500', 'ORD-6500');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, memo) VALUES
	(6500, 1, 1, '7.00 CNY', 'paid by card'), (6500, 2, 2, '-7.00 CNY', repeat('a long memo ', 20));
INSERT INTO ledger.voucher (id, idempotency_key, ref, summary, reverses) VALUES (6501, 'k6501', 'ORD-6500', 'reversed', 6500);
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, memo, red) VALUES
	(6501, 1, 1, '-7.00 CNY', 'card payment reversed', true), (6501, 2, 2, '7.00 CNY', NULL, true);
COMMIT;

-- the merchant's history, in posting order
SELECT book_date, voucher_id, line_no, ref, summary, debit, credit, balance
  FROM ledger.account_history('2202', '2026-11-02');
-- every account, every period: the same rows, in the same order, as plain SQL
CREATE TEMP VIEW history_vs_expected AS
WITH f(d) AS (VALUES ('2026-11-02'::date), ('2026-11-03')),
h AS (
	SELECT a.code, f.d, h.*
	  FROM ledger.account a CROSS JOIN f
	 CROSS JOIN LATERAL ledger.account_history(a.code, f.d) WITH ORDINALITY
	       h(book_date, voucher_id, line_no, ref, summary, debit, credit, balance, created_at, n)),
x AS (
	SELECT x.*, f.d, row_number() OVER (PARTITION BY x.code, f.d ORDER BY x.book_date, x.voucher_id, x.line_no) AS n
	  FROM expected x JOIN f ON x.book_date >= f.d)
SELECT coalesce(h.code, x.code) AS code, coalesce(h.d, x.d) AS from_date, count(*) AS rows,
       count(*) FILTER (WHERE h.voucher_id IS DISTINCT FROM x.voucher_id OR h.line_no IS DISTINCT FROM x.line_no
                           OR h.book_date IS DISTINCT FROM x.book_date OR h.ref IS DISTINCT FROM x.ref
                           OR h.summary IS DISTINCT FROM x.summary OR h.created_at IS DISTINCT FROM x.created_at
                           OR ledger.minor_units(h.debit) IS DISTINCT FROM x.debit
                           OR ledger.minor_units(h.credit) IS DISTINCT FROM x.credit
                           OR ledger.minor_units(h.balance) IS DISTINCT FROM x.balance) AS differing
  FROM h FULL JOIN x ON x.code = h.code AND x.d = h.d AND x.n = h.n
 GROUP BY 1, 2;
SELECT * FROM history_vs_expected ORDER BY 1, 2;

-- the rows stream from a value-per-call function into the caller's query
-- (ledger.account_history is inlined, no function scan stores them first):
-- a caller that stops early, a cursor left half read, the function started
-- again for each row of a join, an error half-way, and the forms that are not
-- inlined all give the same rows and leave nothing open behind them
EXPLAIN (COSTS OFF) SELECT count(*), ledger.sum(balance) FROM ledger.account_history('2202', '2026-11-02');
SELECT voucher_id, line_no, balance FROM ledger.account_history('2202', '2026-11-02') LIMIT 2;
BEGIN;
DECLARE half CURSOR FOR SELECT voucher_id, line_no, balance FROM ledger.account_history('2202', '2026-11-02');
FETCH 2 FROM half;
CLOSE half;
DECLARE open_at_commit CURSOR FOR SELECT voucher_id FROM ledger.account_history('2202', '2026-11-02');
FETCH 1 FROM open_at_commit;
COMMIT;
SELECT a.code, h.voucher_id, h.line_no, h.balance
  FROM ledger.account a
 CROSS JOIN LATERAL (SELECT * FROM ledger.account_history(a.code, '2026-11-02') LIMIT 1) h
 ORDER BY 1;
SELECT voucher_id, CASE WHEN voucher_id = 1001 THEN 1 / 0 END FROM ledger.account_history('2202', '2026-11-02');
SELECT count(*) AS rows_after_the_error FROM ledger.account_history('2202', '2026-11-02');
SELECT (h).voucher_id, (h).balance FROM (SELECT ledger.account_history('2202', '2026-11-03') AS h) s;
SELECT count(*) AS function_scan_rows FROM ledger._account_history('2202', '2026-11-02', NULL);
SELECT count(*) AS with_ordinality FROM ledger.account_history('2202', '2026-11-02') WITH ORDINALITY;

-- cursors: held past the commit, scrollable, rolled back half read, a
-- savepoint rolled back after a fetch, an error in a PL/pgSQL block around
-- fetches (the portal fails, the rest of the transaction goes on)
BEGIN;
DECLARE held CURSOR WITH HOLD FOR SELECT voucher_id, balance FROM ledger.account_history('2202', '2026-11-02');
FETCH 2 FROM held;
COMMIT;
FETCH ALL FROM held;
CLOSE held;
BEGIN;
DECLARE back SCROLL CURSOR FOR SELECT voucher_id, balance FROM ledger.account_history('2202', '2026-11-02');
FETCH 3 FROM back;
FETCH PRIOR FROM back;
FETCH LAST FROM back;
FETCH FIRST FROM back;
COMMIT;
BEGIN;
DECLARE undone CURSOR FOR SELECT voucher_id FROM ledger.account_history('2202', '2026-11-02');
FETCH 1 FROM undone;
ROLLBACK;
BEGIN;
DECLARE kept CURSOR FOR SELECT voucher_id FROM ledger.account_history('2202', '2026-11-02');
FETCH 1 FROM kept;
SAVEPOINT s;
FETCH 1 FROM kept;
ROLLBACK TO SAVEPOINT s;
FETCH 1 FROM kept;
COMMIT;
CREATE TEMP TABLE seen (step text, voucher_id bigint);
DO $$
DECLARE
	c refcursor;
	r record;
BEGIN
	OPEN c FOR SELECT h.voucher_id, 1 / (h.voucher_id - 1001) AS x FROM ledger.account_history('2202', '2026-11-02') h;
	FETCH c INTO r;
	INSERT INTO seen VALUES ('before the block', r.voucher_id);
	BEGIN
		LOOP
			FETCH c INTO r;
			EXIT WHEN NOT FOUND;
		END LOOP;
	EXCEPTION WHEN division_by_zero THEN
		INSERT INTO seen VALUES ('division by zero caught', NULL);
	END;
END $$;
SELECT * FROM seen;

-- a voucher found through the primary key past the index entry of an
-- aborted insert of the same id (the scan marks that entry dead, in memory
-- that must outlive the row being returned), twice in one history
BEGIN;
CALL pg_temp.payment(7000, 'k7000-aborted', 'aborted');
ROLLBACK;
BEGIN;
CALL pg_temp.payment(8000, 'k8000-aborted', 'aborted');
ROLLBACK;
BEGIN;
CALL pg_temp.top_ups(6100, 300, 'w2-');
CALL pg_temp.payment(7000, 'k7000', 'ORD-7000');
CALL pg_temp.top_ups(7100, 300, 'w3-');
CALL pg_temp.payment(8000, 'k8000', 'ORD-8000');
COMMIT;
SELECT setval('ledger.voucher_id_seq', 9000);
SELECT voucher_id, ref, balance FROM ledger.account_history('2202', '2026-11-03');
SELECT voucher_id, ref, balance FROM ledger.account_history('2202', '2026-11-03');

-- long texts: a ref too long for a short header, a summary compressed in
-- line, a 2,048-byte ref that does not compress (the tuple goes to TOAST):
-- the rows carry them whole
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key, ref, summary) VALUES
	(8100, 'k8100', repeat('R', 200), repeat('compressible summary ', 300)),
	(8101, 'k8101', (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 64) g), NULL);
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES
	(8100, 1, 1, '1.00 CNY'), (8100, 2, 2, '-1.00 CNY'), (8101, 1, 1, '1.00 CNY'), (8101, 2, 2, '-1.00 CNY');
COMMIT;
SELECT h.voucher_id, length(h.ref) AS ref_length, h.ref = v.ref AS ref_whole, length(h.summary) AS summary_length,
       h.summary IS NOT DISTINCT FROM v.summary AS summary_whole, pg_column_size(v.ref) AS ref_stored,
       pg_column_size(v.summary) AS summary_stored
  FROM ledger.account_history('2202', '2026-11-03') h JOIN ledger.voucher v ON v.id = h.voucher_id
 WHERE h.voucher_id >= 8100;

-- the same once the pages are marked all-visible (their entries are then
-- read without a visibility check each)
VACUUM (FREEZE) ledger.entry, ledger.voucher;
SELECT relallvisible > 0 AS entry_pages_all_visible FROM pg_class WHERE oid = 'ledger.entry'::regclass;
SELECT * FROM history_vs_expected ORDER BY 1, 2;

\c :regress_db
DROP DATABASE ledger_regress_history;
