--
-- Reconciliation (对账): the recon_diff / recon_total aggregates, and
-- ledger.reconcile with its pending pool, breaks and re-runs.
--
-- The books may already hold other tests' vouchers on the open day: this file
-- uses its own accounts, refs and source, and the open day as statement date.
--
\set SHOW_CONTEXT never

-- ---------------------------------------------------------------------------
-- recon_diff: every class
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE rd_int (ref text, amount ledger.amount, status text);
CREATE TEMP TABLE rd_ext (ref text, amount ledger.amount, status text);
INSERT INTO rd_int VALUES
	('A', '10.00 CNY', 'success'),	-- matched
	('B', '5.00 CNY', 'success'),	-- amount_mismatch
	('C', '7.00 CNY', 'success'),	-- status_mismatch
	('D', '1.00 CNY', 'success'),	-- missing_external
	('E', '2.00 CNY', 'success'),	-- duplicate on our side
	('E', '2.00 CNY', 'success'),
	('G', '3.00 CNY', 'success'),	-- duplicate on their side
	('H', '4.00 CNY', NULL),		-- NULL statuses agree
	('I', '4.00 CNY', NULL);		-- NULL differs from 'success'
INSERT INTO rd_ext VALUES
	('A', '10.00 CNY', 'success'),
	('B', '6.00 CNY', 'success'),
	('C', '7.00 CNY', 'closed'),
	('F', '4.00 CNY', 'success'),	-- missing_internal
	('E', '2.00 CNY', 'success'),
	('G', '3.00 CNY', 'success'),
	('G', '3.00 CNY', 'success'),
	('H', '4.00 CNY', NULL),
	('I', '4.00 CNY', 'success');

SELECT ref, (ledger.recon_diff(side, amount, status)).*
  FROM (SELECT 'internal' AS side, * FROM rd_int UNION ALL SELECT 'external', * FROM rd_ext) u
 GROUP BY ref ORDER BY ref;

-- without statuses, C and I are matched
SELECT ref, (ledger.recon_diff(side, amount)).class
  FROM (SELECT 'internal' AS side, * FROM rd_int UNION ALL SELECT 'external', * FROM rd_ext) u
 GROUP BY ref ORDER BY ref;

-- a duplicate needs only one side: two records on our side and none on theirs
SELECT (ledger.recon_diff(side, amount::ledger.amount)).*
  FROM (VALUES ('internal', '1.00 CNY'), ('internal', '1.00 CNY')) v(side, amount);

-- ---------------------------------------------------------------------------
-- the tolerance form
-- ---------------------------------------------------------------------------
SELECT ext, (ledger.recon_diff(side, amount::ledger.amount, 'success', '0.01 CNY')).*
  FROM (VALUES ('3.01 CNY'), ('2.99 CNY'), ('3.02 CNY'), ('3.00 CNY')) e(ext),
       LATERAL (VALUES ('internal', '3.00 CNY'), ('external', e.ext)) v(side, amount)
 GROUP BY ext ORDER BY ext;
-- within tolerance but a status differs: status_mismatch
SELECT (ledger.recon_diff(side, amount::ledger.amount, status, '0.05 CNY')).class
  FROM (VALUES ('internal', '3.00 CNY', 'success'), ('external', '3.04 CNY', 'refunded')) v(side, amount, status);
-- a NULL tolerance is an exact match
SELECT (ledger.recon_diff(side, amount::ledger.amount, NULL, NULL)).class
  FROM (VALUES ('internal', '3.00 CNY'), ('external', '3.01 CNY')) v(side, amount);

-- ---------------------------------------------------------------------------
-- recon_total: one-to-many (a settlement batch against a bank credit)
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE rt_batch (batch text, amount ledger.amount);
INSERT INTO rt_batch VALUES
	('S1', '100.00 CNY'), ('S1', '250.00 CNY'), ('S1', '-30.00 CNY'),	-- 320.00, bank credits 320.00
	('S2', '80.00 CNY'), ('S2', '20.00 CNY'),							-- 100.00, bank credits 99.40
	('S3', '10.00 CNY');												-- no bank credit
CREATE TEMP TABLE rt_bank (batch text, amount ledger.amount);
INSERT INTO rt_bank VALUES ('S1', '320.00 CNY'), ('S2', '99.40 CNY'), ('S4', '55.00 CNY');
SELECT batch, (ledger.recon_total(side, amount)).*
  FROM (SELECT 'internal' AS side, * FROM rt_batch UNION ALL SELECT 'external', * FROM rt_bank) u
 GROUP BY batch ORDER BY batch;
-- the same with a tolerance of 1.00 for the bank's fee
SELECT batch, (ledger.recon_total(side, amount, '1.00 CNY')).class
  FROM (SELECT 'internal' AS side, * FROM rt_batch UNION ALL SELECT 'external', * FROM rt_bank) u
 GROUP BY batch ORDER BY batch;
-- recon_total never says duplicate: several records per side are summed
SELECT (ledger.recon_total(side, amount::ledger.amount)).class
  FROM (VALUES ('internal', '1.00 CNY'), ('internal', '2.00 CNY'), ('external', '1.50 CNY'), ('external', '1.50 CNY')) v(side, amount);

-- ---------------------------------------------------------------------------
-- strictness
-- ---------------------------------------------------------------------------
SELECT ledger.recon_diff(side, amount::ledger.amount) FROM (VALUES ('inside', '1 CNY')) v(side, amount);
SELECT ledger.recon_diff(side, amount::ledger.amount) FROM (VALUES ('Internal', '1 CNY')) v(side, amount);
SELECT ledger.recon_diff(side, amount::ledger.amount) FROM (VALUES (NULL, '1 CNY')) v(side, amount);
SELECT ledger.recon_diff(side, amount::ledger.amount) FROM (VALUES ('internal', NULL)) v(side, amount);
-- two currencies within a side, and across the sides
SELECT ledger.recon_diff(side, amount::ledger.amount)
  FROM (VALUES ('internal', '1 CNY'), ('internal', '1 USD')) v(side, amount);
SELECT ledger.recon_total(side, amount::ledger.amount)
  FROM (VALUES ('internal', '1 CNY'), ('external', '1 USD')) v(side, amount);
-- per currency it works
SELECT ledger.currency(amount::ledger.amount) AS currency, (ledger.recon_total(side, amount::ledger.amount)).class
  FROM (VALUES ('internal', '1 CNY'), ('external', '1 CNY'), ('internal', '2 USD')) v(side, amount)
 GROUP BY 1 ORDER BY 1;
-- tolerance: negative, another currency, changing within a group
SELECT ledger.recon_diff(side, amount::ledger.amount, NULL, '-0.01 CNY') FROM (VALUES ('internal', '1 CNY')) v(side, amount);
SELECT ledger.recon_diff(side, amount::ledger.amount, NULL, '0.01 USD') FROM (VALUES ('internal', '1 CNY')) v(side, amount);
SELECT ledger.recon_diff(side, amount::ledger.amount, NULL, tol::ledger.amount)
  FROM (VALUES ('internal', '1 CNY', '0.01 CNY'), ('external', '1 CNY', '0.02 CNY')) v(side, amount, tol);
-- no rows: NULL
SELECT ledger.recon_diff(side, amount) IS NULL AS no_rows FROM rd_int, LATERAL (SELECT 'internal' AS side) s WHERE false;
-- sums are exact on 128 bits in between; only a final total beyond 64 bits is 22003
SELECT (ledger.recon_total(side, amount::ledger.amount)).*
  FROM (VALUES ('internal', '92233720368547758.07 CNY'), ('internal', '92233720368547758.07 CNY'),
               ('internal', '-92233720368547758.07 CNY'), ('external', '92233720368547758.07 CNY')) v(side, amount);
SELECT (ledger.recon_total(side, amount::ledger.amount)).*
  FROM (VALUES ('internal', '92233720368547758.07 CNY'), ('internal', '0.01 CNY')) v(side, amount);
SELECT (ledger.recon_diff(side, amount::ledger.amount)).difference
  FROM (VALUES ('internal', '92233720368547758.07 CNY'), ('external', '-1.00 CNY')) v(side, amount);

-- ---------------------------------------------------------------------------
-- parallel aggregation gives the serial result
-- ---------------------------------------------------------------------------
-- no statistics (and no autovacuum to gather them): the planner guesses few
-- groups and aggregates partially in the workers, so the per-ref states go
-- through serialise / combine
CREATE TABLE recon_par (side text, ref text, amount ledger.amount, status text) WITH (autovacuum_enabled = off);
INSERT INTO recon_par
	SELECT 'internal', 'R' || g, ledger.amount_of_units(g, 'CNY'), 'success'
	  FROM generate_series(1, 60000) g WHERE g % 101 <> 0;							-- missing_internal every 101st
INSERT INTO recon_par
	SELECT 'external', 'R' || g,
	       ledger.amount_of_units(CASE WHEN g % 97 = 0 THEN g + 1 ELSE g END, 'CNY'),	-- amount_mismatch
	       CASE WHEN g % 89 = 0 THEN 'closed' ELSE 'success' END						-- status_mismatch
	  FROM generate_series(1, 60000) g WHERE g % 103 <> 0;							-- missing_external
INSERT INTO recon_par
	SELECT 'external', 'R' || g, ledger.amount_of_units(g, 'CNY'), 'success'
	  FROM generate_series(1, 60000) g WHERE g % 107 = 0;							-- duplicate

SET max_parallel_workers_per_gather = 0;
CREATE TABLE recon_par_serial AS
	SELECT ref, (r).* FROM (SELECT ref, ledger.recon_diff(side, amount, status) AS r FROM recon_par GROUP BY ref) s;
CREATE TABLE recon_par_total_serial AS
	SELECT (r).* FROM (SELECT ledger.recon_total(side, amount) AS r FROM recon_par) s;
SELECT class, count(*), ledger.sum(difference) FROM recon_par_serial GROUP BY class ORDER BY class;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
	SELECT (r).* FROM (SELECT ledger.recon_total(side, amount) AS r FROM recon_par) s;
EXPLAIN (COSTS OFF)
	SELECT ref, ledger.recon_diff(side, amount, status) FROM recon_par GROUP BY ref;
-- parallel = serial, both ways
SELECT count(*) AS only_in_parallel FROM (
	SELECT ref, (r).* FROM (SELECT ref, ledger.recon_diff(side, amount, status) AS r FROM recon_par GROUP BY ref) s
	EXCEPT ALL TABLE recon_par_serial) x;
SELECT count(*) AS only_in_serial FROM (
	TABLE recon_par_serial
	EXCEPT ALL SELECT ref, (r).* FROM (SELECT ref, ledger.recon_diff(side, amount, status) AS r FROM recon_par GROUP BY ref) s) x;
SELECT (r).* FROM (SELECT ledger.recon_total(side, amount) AS r FROM recon_par) s;
SELECT (SELECT (r).difference FROM (SELECT ledger.recon_total(side, amount) AS r FROM recon_par) s)
       OPERATOR(ledger.=) (SELECT difference FROM recon_par_total_serial) AS total_same;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP TABLE recon_par, recon_par_serial, recon_par_total_serial;
-- a group of two currencies is refused when the partial states are combined
-- too (a partitionwise plan: one partition per currency), and the error names
-- the aggregate that was called
CREATE TABLE recon_part (c text, side text, amount ledger.amount) PARTITION BY LIST (c);
CREATE TABLE recon_part_cny PARTITION OF recon_part FOR VALUES IN ('CNY');
CREATE TABLE recon_part_usd PARTITION OF recon_part FOR VALUES IN ('USD');
INSERT INTO recon_part VALUES ('CNY', 'internal', '1.00 CNY'), ('USD', 'internal', '1.00 USD');
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF) SELECT ledger.recon_total(side, amount) FROM recon_part;
SELECT ledger.recon_total(side, amount) FROM recon_part;
SELECT ledger.recon_diff(side, amount) FROM recon_part;
RESET enable_partitionwise_aggregate;
DROP TABLE recon_part;

-- ---------------------------------------------------------------------------
-- ledger.reconcile
-- ---------------------------------------------------------------------------
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('recon.clearing', 'Test channel receivable', 'asset', 'CNY'),
	('recon.wallet', 'Test wallet', 'liability', 'CNY'),
	('recon.wallet2', 'Test wallet 2', 'liability', 'CNY'),
	('recon.usd', 'Test USD receivable', 'asset', 'USD');
SELECT ledger.current_book_date() AS d0 \gset

-- our side, on the open day
SELECT count(ledger.post('recon-' || r, ARRAY['recon.clearing', 'recon.wallet'],
		ARRAY[(a || ' CNY')::ledger.amount, ('-' || a || ' CNY')::ledger.amount], 'test top-up', r)) AS posted
  FROM (VALUES ('RC-001', '10.00'), ('RC-002', '20.00'), ('RC-003', '30.00'), ('RC-004', '40.00'),
               ('RC-005', '50.00'), ('RC-006', '60.00'), ('RC-007', '70.00'), ('RC-008', '80.00'),
               ('RC-009', '90.00')) v(r, a);
-- RC-006 booked twice under two keys: a duplicate on our side
SELECT ledger.post('recon-RC-006-again', ARRAY['recon.clearing', 'recon.wallet'],
	ARRAY['60.00 CNY', '-60.00 CNY']::ledger.amount[], 'test top-up', 'RC-006') > 0 AS posted;
-- a voucher without a ref is not reconciled
SELECT ledger.post('recon-noref', ARRAY['recon.clearing', 'recon.wallet'],
	ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[], 'settlement, no ref') > 0 AS posted;
-- RC-004 and RC-009 were reversed (the app cancelled them)
SELECT count(ledger.reverse(v.id, 'recon-rev-' || v.ref)) AS reversed
  FROM ledger.voucher v WHERE v.idempotency_key IN ('recon-RC-004', 'recon-RC-009');

-- their side: the statement of the open day, and of the next day
INSERT INTO ledger.statement_line (source, statement_date, ref, external_id, amount, status) VALUES
	('testpay', :'d0', 'RC-001', 'T-0001', '10.00 CNY', 'success'),		-- matched
	('testpay', :'d0', 'RC-002', 'T-0002', '20.01 CNY', 'success'),		-- amount_mismatch
	('testpay', :'d0', 'RC-003', 'T-0003', '30.00 CNY', 'processing'),	-- status_mismatch
	('testpay', :'d0', 'RC-004', 'T-0004', '40.00 CNY', 'success'),		-- we reversed it: status_mismatch
	('testpay', :'d0', 'RC-005', 'T-0005', '50.00 CNY', 'success'),		-- paid twice: duplicate
	('testpay', :'d0', 'RC-005', 'T-0015', '50.00 CNY', 'success'),
	('testpay', :'d0', 'RC-006', 'T-0006', '60.00 CNY', 'success'),		-- booked twice: duplicate
	('testpay', :'d0', 'RC-X01', 'T-0101', '5.00 CNY', 'success'),		-- missing_internal
	-- RC-007 comes a day late, RC-008 never; RC-009 (reversed) never: nothing to do
	('testpay', (:'d0'::date + 1), 'RC-007', 'T-0007', '70.00 CNY', 'success');

-- grace days 1 (the default): RC-007 and RC-008 wait in the pending pool
SHOW ledger.recon_grace_days;
SET client_min_messages = warning;
-- the accounts operator marks the clearing accounts reconcilable
UPDATE ledger.account SET reconcilable = true WHERE code IN ('recon.clearing', 'recon.usd');
CALL ledger.reconcile('testpay', :'d0', 'recon.clearing');
RESET client_min_messages;

CREATE TEMP VIEW run_figures AS
	SELECT statement_date - :'d0'::date AS day, account_code, currency, grace_days,
	       internal_count, internal_amount, external_count, external_amount,
	       matched_count, matched_amount, missing_internal_count, missing_internal_amount,
	       missing_external_count, missing_external_amount, amount_mismatch_count, amount_mismatch_amount,
	       status_mismatch_count, status_mismatch_amount, duplicate_count, duplicate_amount,
	       pending_count, pending_amount, reversed_count, runs, finished_at >= started_at AS finished
	  FROM ledger.recon_run WHERE source = 'testpay';
CREATE TEMP VIEW breaks AS
	SELECT id, statement_date - :'d0'::date AS day, class, ref, internal_amount, external_amount, difference,
	       internal_count, external_count, internal_status, external_status, book_date - :'d0'::date AS booked,
	       cardinality(internal_voucher_ids) AS vouchers, external_ids, status, note, obsolete
	  FROM ledger.recon_break WHERE source = 'testpay';
CREATE TEMP VIEW pool AS
	SELECT p.ref, p.book_date - :'d0'::date AS booked, p.amount, p.status, p.closed_class,
	       (SELECT r.statement_date - :'d0'::date FROM ledger.recon_run r WHERE r.id = p.closed_run) AS closed_on
	  FROM ledger.recon_pending p WHERE p.source = 'testpay';

\x on
SELECT * FROM run_figures ORDER BY day;
\x off
SELECT * FROM breaks ORDER BY id;
SELECT * FROM pool ORDER BY ref;

-- re-running the same date gives the same figures and the same breaks (ids kept)
SELECT count(*) AS breaks_before, max(id) AS last_id FROM ledger.recon_break WHERE source = 'testpay' \gset
SET client_min_messages = warning;
CALL ledger.reconcile('testpay', :'d0', 'recon.clearing');
CALL ledger.reconcile('testpay', :'d0', 'recon.clearing');
RESET client_min_messages;
SELECT count(*) = :breaks_before AS same_count, max(id) = :last_id AS same_ids,
       count(DISTINCT (class, ref)) = count(*) AS no_duplicates
  FROM ledger.recon_break WHERE source = 'testpay';
SELECT day, matched_count, missing_internal_count, amount_mismatch_count, status_mismatch_count,
       duplicate_count, pending_count, reversed_count, runs
  FROM run_figures ORDER BY day;
SELECT * FROM pool ORDER BY ref;

-- resolve_break
SELECT id AS dup_break FROM ledger.recon_break WHERE source = 'testpay' AND ref = 'RC-006' \gset
SELECT id AS mi_break FROM ledger.recon_break WHERE source = 'testpay' AND ref = 'RC-X01' \gset
SELECT id AS am_break FROM ledger.recon_break WHERE source = 'testpay' AND ref = 'RC-002' \gset
SELECT id = :dup_break AS same, class, ref, status, note, voucher_id, resolved_at IS NOT NULL AS stamped
  FROM ledger.resolve_break(:dup_break, 'second voucher reversed by the poster team');
-- 平台漏单: the channel has a top-up we never booked; book it and name the voucher
SELECT ledger.post('recon-adj-RC-X01', ARRAY['recon.clearing', 'recon.wallet'],
	ARRAY['5.00 CNY', '-5.00 CNY']::ledger.amount[], 'missed top-up booked (差错处理)', 'RC-X01') AS adj \gset
SELECT class, ref, status, note, voucher_id = :adj AS by_adjustment
  FROM ledger.resolve_break(:mi_break, 'top-up booked late', :adj);
-- errors (terse: the detail names when it was resolved)
\set VERBOSITY terse
SELECT ledger.resolve_break(:dup_break, 'again');
\set VERBOSITY default
SELECT ledger.resolve_break(-1, 'no such break');
SELECT ledger.resolve_break(:am_break, '   ');
SELECT ledger.resolve_break(:am_break, NULL);
SELECT ledger.resolve_break(:am_break, 'a voucher that does not exist', -1);
-- a voucher with no entry on the clearing account of the break (a mistyped
-- id would take that voucher out of every later reconciliation)
SELECT ledger.post('recon-unrelated', ARRAY['recon.wallet', 'recon.wallet2'],
	ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[], 'a transfer between wallets') AS unrelated \gset
SELECT ledger.resolve_break(:am_break, 'a voucher of other accounts', :unrelated);
\set VERBOSITY sqlstate
SELECT ledger.resolve_break(:am_break, 'the voucher already resolves another break', :adj);
\set VERBOSITY default
SELECT status FROM ledger.recon_break WHERE id = :am_break;

-- the channel sends a corrected statement for RC-002; the re-run drops that
-- break, keeps the resolved ones as they are (the adjusting voucher is not an
-- internal item, so RC-X01 is still found and stays resolved)
UPDATE ledger.statement_line SET amount = '20.00 CNY' WHERE source = 'testpay' AND ref = 'RC-002';
SET client_min_messages = warning;
CALL ledger.reconcile('testpay', :'d0', 'recon.clearing');
RESET client_min_messages;
SELECT id, class, ref, status, note, obsolete FROM breaks ORDER BY id;
SELECT (SELECT count(*) FROM ledger.recon_break WHERE id = :am_break) AS amount_break_left;

-- the next day: RC-007 matches from the pool (跨日), RC-008 has waited its
-- grace day and becomes missing_external; no internal items that day is fine
SET client_min_messages = warning;
CALL ledger.reconcile('testpay', (:'d0'::date + 1), 'recon.clearing');
RESET client_min_messages;
SELECT day, internal_count, external_count, matched_count, matched_amount, missing_external_count,
       missing_external_amount, pending_count, runs
  FROM run_figures ORDER BY day;
SELECT * FROM breaks WHERE day = 1 ORDER BY id;
SELECT * FROM pool ORDER BY ref;

-- re-running the next day changes nothing
SET client_min_messages = warning;
CALL ledger.reconcile('testpay', (:'d0'::date + 1), 'recon.clearing');
RESET client_min_messages;
SELECT count(*) AS breaks_next_day FROM ledger.recon_break WHERE source = 'testpay' AND statement_date = :'d0'::date + 1;
SELECT * FROM pool ORDER BY ref;

-- with two grace days RC-008 may still wait: the re-run puts it back in the pool
SET ledger.recon_grace_days = 2;
SET client_min_messages = warning;
CALL ledger.reconcile('testpay', (:'d0'::date + 1), 'recon.clearing');
RESET client_min_messages;
SELECT day, matched_count, missing_external_count, pending_count, pending_amount, grace_days, runs
  FROM run_figures WHERE day = 1;
SELECT * FROM pool ORDER BY ref;
SELECT count(*) AS breaks_next_day FROM ledger.recon_break WHERE source = 'testpay' AND statement_date = :'d0'::date + 1;
-- and the day after, with nothing from the channel: no statement was loaded, so a
-- WARNING, and RC-008 still waits instead of expiring (SPEC 9.2)
SET client_min_messages = warning;
CALL ledger.reconcile('testpay', (:'d0'::date + 2), 'recon.clearing');
RESET client_min_messages;
SELECT * FROM breaks WHERE day = 2 ORDER BY id;
RESET ledger.recon_grace_days;

-- with no grace days an unmatched item is a break on its own day
INSERT INTO ledger.statement_line (source, statement_date, ref, external_id, amount)
	VALUES ('testpay0', :'d0', 'RC-001', 'Z-1', '10.00 CNY');
SET ledger.recon_grace_days = 0;
SET client_min_messages = warning;
CALL ledger.reconcile('testpay0', :'d0', 'recon.clearing');
RESET client_min_messages;
RESET ledger.recon_grace_days;
SELECT matched_count, missing_external_count, pending_count, reversed_count, duplicate_count
  FROM ledger.recon_run WHERE source = 'testpay0';
SELECT count(*) AS pending_testpay0 FROM ledger.recon_pending WHERE source = 'testpay0';

-- re-running an earlier date after a later one keeps the later results and says so
\set VERBOSITY terse
CALL ledger.reconcile('testpay', :'d0', 'recon.clearing');
\set VERBOSITY default
SELECT day, pending_count, runs FROM run_figures ORDER BY day;
-- ... and, as the NOTICE says, re-running the later date brings it up to
-- date.  Here the channel's corrected statement of day 0 has RC-007 after
-- all, so RC-007's line of day 1 is a second charge: the re-run of day 0
-- matches RC-007 and closes its pool row, and the re-run of day 1 no longer
-- takes it from the pool (each item is used once): the line of day 1 is a
-- missing_internal break
INSERT INTO ledger.statement_line (source, statement_date, ref, external_id, amount, status)
	VALUES ('testpay', :'d0', 'RC-007', 'T-0007-0', '70.00 CNY', 'success');
SET client_min_messages = warning;
CALL ledger.reconcile('testpay', :'d0', 'recon.clearing');
CALL ledger.reconcile('testpay', (:'d0'::date + 1), 'recon.clearing');
RESET client_min_messages;
SELECT day, matched_count, matched_amount, missing_internal_count, missing_internal_amount, pending_count, runs
  FROM run_figures WHERE day <= 1 ORDER BY day;
SELECT * FROM pool WHERE ref = 'RC-007';
SELECT day, class, ref, external_amount, status FROM breaks WHERE ref = 'RC-007' ORDER BY day;

-- the morning report
SELECT source, statement_date - :'d0'::date AS day, matched_count, missing_internal_count, missing_external_count,
       amount_mismatch_count, status_mismatch_count, duplicate_count, pending_count,
       open_breaks, source_open_breaks, oldest_open_days = CURRENT_DATE - :'d0'::date AS oldest_is_day0
  FROM ledger.recon_report WHERE source LIKE 'testpay%' ORDER BY source, day;

-- errors (terse where the detail names the open day)
\set VERBOSITY terse
CALL ledger.reconcile('testpay', :'d0', 'no.such.account');
CALL ledger.reconcile('testpay', :'d0', NULL);
CALL ledger.reconcile(NULL, :'d0', 'recon.clearing');
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('recon.parent', 'Summary', 'asset', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('recon.child', 'Leaf', 'asset', 'CNY', 'recon.parent');
CALL ledger.reconcile('testpay', :'d0', 'recon.parent');
-- a statement line in another currency than the account
CALL ledger.reconcile('testpay', :'d0', 'recon.usd');
\set VERBOSITY default
-- the procedure is not for everyone
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_recon_nobody;
RESET client_min_messages;
CREATE ROLE regress_recon_nobody;
GRANT USAGE ON SCHEMA ledger TO regress_recon_nobody;
SET ROLE regress_recon_nobody;
CALL ledger.reconcile('testpay', '2026-11-02', 'recon.clearing');
SELECT count(*) FROM ledger.recon_break;
SELECT ledger.resolve_break(1, 'x');
SELECT ledger.load_statement_csv('x', '2026-11-02', E'ref,external_id,amount\nX,Y,1.00\n');
SELECT count(*) FROM ledger.recon_report;
SELECT * FROM ledger.statement_line;
RESET ROLE;
REVOKE USAGE ON SCHEMA ledger FROM regress_recon_nobody;
DROP ROLE regress_recon_nobody;
