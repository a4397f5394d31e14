--
-- Matching beyond one key (SPEC 9.2): ledger.recon_rule's tolerance, match
-- window, groups (N:1) and net-of-fee amounts, each with a match, a near miss
-- and an ambiguous case; the candidates on every break; a date whose
-- statement was never loaded.
--
-- Each rule has its own source and its own clearing account (reconcile reads
-- every voucher with a ref on the account).  Times on the statement lines are
-- set relative to the created_at of our vouchers, so the results do not depend
-- on when the test runs; the candidates are shown without their times.
--
\set SHOW_CONTEXT never
SET ledger.recon_grace_days = 0;
SET client_min_messages = warning;
SELECT ledger.current_book_date() AS d0 \gset

INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('rr.tol', 'Rules: tolerance', 'asset', 'CNY'),
	('rr.win', 'Rules: window', 'asset', 'CNY'),
	('rr.grp', 'Rules: groups (reserve-fund bank account)', 'asset', 'CNY'),
	('rr.net', 'Rules: net of fee', 'asset', 'CNY'),
	('rr.none', 'Rules: missing statement', 'asset', 'CNY'),
	('rr.day', 'Rules: window across days', 'asset', 'CNY'),
	('rr.wallet', 'Rules: wallets', 'liability', 'CNY');
-- the accounts operator marks the clearing accounts reconcilable
UPDATE ledger.account SET reconcilable = true WHERE code LIKE 'rr.%' AND code <> 'rr.wallet';

-- a voucher of `amount` on the clearing account; several in one statement share created_at
CREATE FUNCTION pg_temp.pay(acc text, ref text, amount text, meta jsonb DEFAULT NULL) RETURNS bigint
	LANGUAGE sql AS $$
	SELECT ledger.post('rr-' || acc || '-' || ref, ARRAY[acc, 'rr.wallet'],
		ARRAY[(amount || ' CNY')::ledger.amount, ledger.amount_of_units(-ledger.minor_units((amount || ' CNY')::ledger.amount), 'CNY')],
		'rules test', ref, meta)
$$;
-- a statement line of the open day, `shift` after the created_at of the voucher with ref at_ref
CREATE PROCEDURE pg_temp.line(src text, ref text, ext text, amount text, at_ref text DEFAULT NULL,
		shift interval DEFAULT '0', fee text DEFAULT NULL, day integer DEFAULT 0)
	LANGUAGE sql AS $$
	INSERT INTO ledger.statement_line (source, statement_date, ref, external_id, amount, fee, occurred_at)
	VALUES (src, ledger.current_book_date() + day, ref, ext, (amount || ' CNY')::ledger.amount,
	        (fee || ' CNY')::ledger.amount,
	        (SELECT v.created_at FROM ledger.voucher v WHERE v.ref = at_ref ORDER BY v.id DESC LIMIT 1) + shift)
$$;
-- the breaks of a source, candidates without their times and voucher ids
CREATE TEMP VIEW rr_breaks AS
	SELECT b.source, b.class, b.ref, b.internal_amount, b.external_amount, b.difference,
	       b.internal_count, b.external_count, b.external_ids,
	       (SELECT COALESCE(jsonb_agg(c - 'time' - 'voucher_ids' ORDER BY o), '[]')
	          FROM jsonb_array_elements(b.candidates) WITH ORDINALITY x(c, o)) AS candidates
	  FROM ledger.recon_break b;
CREATE TEMP VIEW rr_matches AS
	SELECT m.source, m.method, m.ref, m.external_ref, m.internal_amount, m.external_amount, m.difference,
	       m.internal_count, cardinality(m.internal_voucher_ids) AS vouchers, m.external_ids, m.time_difference
	  FROM ledger.recon_match m;
CREATE TEMP VIEW rr_runs AS
	SELECT r.source, r.statement_date - :'d0'::date AS day, r.internal_count, r.external_count, r.matched_count,
	       r.matched_amount, r.missing_internal_count, r.missing_external_count, r.amount_mismatch_count,
	       r.duplicate_count, r.pending_count, r.statement_missing
	  FROM ledger.recon_run r;

-- ---------------------------------------------------------------------------
-- tolerance: amounts within it are equal (matched, the difference recorded)
-- ---------------------------------------------------------------------------
INSERT INTO ledger.recon_rule (source, tolerance) VALUES ('rr_tol', '0.05 CNY');
SELECT count(pg_temp.pay('rr.tol', r, a)) AS posted
  FROM (VALUES ('T-1', '100.00'), ('T-2', '100.00'), ('T-3', '100.00'), ('T-4', '100.00')) v(r, a);
CALL pg_temp.line('rr_tol', 'T-1', 'X-1', '100.03');	-- match within 0.05
CALL pg_temp.line('rr_tol', 'T-2', 'X-2', '100.06');	-- near miss: 0.06 off
CALL pg_temp.line('rr_tol', 'T-3', 'X-3a', '100.02');	-- ambiguous: two lines within the tolerance
CALL pg_temp.line('rr_tol', 'T-3', 'X-3b', '99.98');
CALL pg_temp.line('rr_tol', 'T-4', 'X-4', '100.00');	-- exact
CALL ledger.reconcile('rr_tol', :'d0', 'rr.tol');
SELECT * FROM rr_runs WHERE source = 'rr_tol';
SELECT * FROM rr_matches WHERE source = 'rr_tol' ORDER BY ref;
SELECT * FROM rr_breaks WHERE source = 'rr_tol' ORDER BY ref;

-- ---------------------------------------------------------------------------
-- match window: items unmatched by key on both sides are paired by amount
-- (within the tolerance) and time; each item at most once; an item with two
-- equally good candidates is never paired
-- ---------------------------------------------------------------------------
INSERT INTO ledger.recon_rule (source, tolerance, match_window) VALUES ('rr_win', '0.01 CNY', '10 minutes');
SELECT pg_temp.pay('rr.win', 'W-1', '50.00') > 0 AS posted;
SELECT pg_temp.pay('rr.win', 'W-2', '60.00') > 0 AS posted;
SELECT pg_temp.pay('rr.win', 'W-3', '80.00') > 0 AS posted;
SELECT pg_temp.pay('rr.win', 'W-4a', '90.00') + pg_temp.pay('rr.win', 'W-4b', '90.00') > 0 AS posted_together;
SELECT pg_temp.pay('rr.win', 'W-5', '70.00') > 0 AS posted;
SELECT pg_temp.pay('rr.win', 'W-6', '30.00') > 0 AS posted;
SELECT pg_temp.pay('rr.win', 'W-7', '40.00') > 0 AS posted;
SELECT pg_temp.pay('rr.win', 'W-8a', '91.00') + pg_temp.pay('rr.win', 'W-8b', '91.02') > 0 AS posted_together;
CALL pg_temp.line('rr_win', 'BANK-1', 'B-1', '50.00', 'W-1', '3 minutes');		-- match
CALL pg_temp.line('rr_win', 'BANK-5', 'B-5', '70.01', 'W-5', '-1 minute');		-- match within the tolerance
CALL pg_temp.line('rr_win', 'BANK-2', 'B-2', '60.00', 'W-2', '11 minutes');	-- near miss: too late
CALL pg_temp.line('rr_win', 'BANK-3', 'B-3', '80.02', 'W-3', '1 minute');		-- near miss: 0.02 off
CALL pg_temp.line('rr_win', 'BANK-4', 'B-4', '90.00', 'W-4a', '2 minutes');	-- ambiguous: two vouchers alike
CALL pg_temp.line('rr_win', 'BANK-6a', 'B-6a', '30.00', 'W-6', '-2 minutes');	-- ambiguous: two lines
CALL pg_temp.line('rr_win', 'BANK-6b', 'B-6b', '30.00', 'W-6', '2 minutes');	-- equally far
CALL pg_temp.line('rr_win', 'BANK-7a', 'B-7a', '40.00', 'W-7', '1 minute');	-- the nearer of two is taken,
CALL pg_temp.line('rr_win', 'BANK-7b', 'B-7b', '40.00', 'W-7', '5 minutes');	-- the other stays a break
-- ambiguous, and the ambiguity is not resolved by a worse candidate: BANK-8
-- is 0.01 off both W-8a and W-8b, a minute after both; W-8a's next candidate,
-- BANK-8b (0.01 off, two minutes), is not taken either: all four stay breaks
CALL pg_temp.line('rr_win', 'BANK-8', 'B-8', '91.01', 'W-8a', '1 minute');
CALL pg_temp.line('rr_win', 'BANK-8b', 'B-8b', '90.99', 'W-8a', '2 minutes');
CALL ledger.reconcile('rr_win', :'d0', 'rr.win');
SELECT * FROM rr_runs WHERE source = 'rr_win';
SELECT * FROM rr_matches WHERE source = 'rr_win' ORDER BY ref;
SELECT * FROM rr_breaks WHERE source = 'rr_win' ORDER BY class, ref;
-- without the window the same statement pairs nothing; the candidates are the same
UPDATE ledger.recon_rule SET match_window = NULL WHERE source = 'rr_win';
CALL ledger.reconcile('rr_win', :'d0', 'rr.win');
SELECT matched_count, missing_internal_count, missing_external_count FROM rr_runs WHERE source = 'rr_win';
SELECT count(*) AS window_matches FROM ledger.recon_match WHERE source = 'rr_win';
SELECT candidates FROM rr_breaks WHERE source = 'rr_win' AND ref = 'W-1';
UPDATE ledger.recon_rule SET match_window = '10 minutes' WHERE source = 'rr_win';
CALL ledger.reconcile('rr_win', :'d0', 'rr.win');
SELECT matched_count, missing_internal_count, missing_external_count FROM rr_runs WHERE source = 'rr_win';

-- across days: an item of the pending pool is paired with a later statement's line
SET ledger.recon_grace_days = 1;
INSERT INTO ledger.recon_rule (source, match_window) VALUES ('rr_day', '1 hour');
SELECT pg_temp.pay('rr.day', 'D-1', '25.00') > 0 AS posted;
CALL pg_temp.line('rr_day', 'D-X', 'DX', '1.00', 'D-1');
CALL ledger.reconcile('rr_day', :'d0', 'rr.day');
CALL pg_temp.line('rr_day', 'BANK-D1', 'BD1', '25.00', 'D-1', '2 minutes', day => 1);
CALL ledger.reconcile('rr_day', (:'d0'::date + 1), 'rr.day');
SELECT * FROM rr_runs WHERE source = 'rr_day' ORDER BY day;
SELECT ref, closed_class FROM ledger.recon_pending WHERE source = 'rr_day';
SELECT method, ref, external_ref, difference, time_difference FROM rr_matches WHERE source = 'rr_day';
SET ledger.recon_grace_days = 0;

-- ---------------------------------------------------------------------------
-- groups (N:1): payouts of one batch against the bank's one line
-- ---------------------------------------------------------------------------
INSERT INTO ledger.recon_rule (source, group_key) VALUES ('rr_grp', 'batch');
SELECT count(pg_temp.pay('rr.grp', r, a, jsonb_build_object('batch', b))) AS posted
  FROM (VALUES ('PO-1', '-100.00', 'B-1'), ('PO-2', '-200.00', 'B-1'), ('PO-3', '-300.00', 'B-1'),
               ('PO-4', '-50.00', 'B-2'), ('PO-5', '-60.00', 'B-2'),
               ('PO-6', '-10.00', 'B-3'), ('PO-7', '-20.00', 'B-3')) v(r, a, b);
SELECT pg_temp.pay('rr.grp', 'PO-9', '5.00') > 0 AS posted;		-- not in a group: by its ref
CALL pg_temp.line('rr_grp', 'B-1', 'BK-1', '-600.00');		-- match: 100 + 200 + 300
CALL pg_temp.line('rr_grp', 'B-2', 'BK-2', '-111.00');		-- near miss: 110 paid, 111 debited
CALL pg_temp.line('rr_grp', 'B-3', 'BK-3a', '-30.00');		-- ambiguous: two lines for one batch
CALL pg_temp.line('rr_grp', 'B-3', 'BK-3b', '-30.00');
CALL pg_temp.line('rr_grp', 'PO-9', 'BK-9', '5.00');
CALL ledger.reconcile('rr_grp', :'d0', 'rr.grp');
SELECT * FROM rr_runs WHERE source = 'rr_grp';
SELECT * FROM rr_matches WHERE source = 'rr_grp' ORDER BY ref;
SELECT * FROM rr_breaks WHERE source = 'rr_grp' ORDER BY ref;
-- the group's break carries its members
SELECT ref, (SELECT array_agg(v.ref ORDER BY v.ref) FROM ledger.voucher v WHERE v.id = ANY (b.internal_voucher_ids)) AS members
  FROM ledger.recon_break b WHERE source = 'rr_grp' ORDER BY ref;

-- ---------------------------------------------------------------------------
-- net of fee: the channel settles the amount less its fee
-- ---------------------------------------------------------------------------
INSERT INTO ledger.recon_rule (source, net_of_fee) VALUES ('rr_net', true);
SELECT count(pg_temp.pay('rr.net', r, a)) AS posted
  FROM (VALUES ('N-1', '99.40'), ('N-2', '99.00'), ('N-3', '50.00'), ('N-4', '99.40')) v(r, a);
CALL pg_temp.line('rr_net', 'N-1', 'F-1', '100.00', fee => '0.60');	-- match: 100.00 - 0.60
CALL pg_temp.line('rr_net', 'N-2', 'F-2', '100.00', fee => '0.60');	-- near miss: 0.40 short
CALL pg_temp.line('rr_net', 'N-3', 'F-3', '50.00');					-- no fee: the amount itself
CALL pg_temp.line('rr_net', 'N-4', 'F-4a', '100.00', fee => '0.60');	-- ambiguous: two lines
CALL pg_temp.line('rr_net', 'N-4', 'F-4b', '100.00', fee => '0.60');
CALL ledger.reconcile('rr_net', :'d0', 'rr.net');
SELECT * FROM rr_runs WHERE source = 'rr_net';
SELECT * FROM rr_breaks WHERE source = 'rr_net' ORDER BY ref;
-- a source without a rule matches by key exactly, as before: N-1 is 0.60 off
DELETE FROM ledger.recon_rule WHERE source = 'rr_net';
CALL ledger.reconcile('rr_net', :'d0', 'rr.net');
SELECT class, ref, internal_amount, external_amount, difference FROM rr_breaks WHERE source = 'rr_net' ORDER BY ref;

-- ---------------------------------------------------------------------------
-- a date whose statement was never loaded: a WARNING, statement_missing, and
-- no item ages into a break (even with no grace days)
-- ---------------------------------------------------------------------------
SELECT pg_temp.pay('rr.none', 'M-1', '10.00') > 0 AS posted;
CALL ledger.reconcile('rr_none', :'d0', 'rr.none');
SELECT * FROM rr_runs WHERE source = 'rr_none';
SELECT ref FROM ledger.recon_pending WHERE source = 'rr_none' AND closed_run IS NULL;
SELECT count(*) AS breaks FROM ledger.recon_break WHERE source = 'rr_none';
SELECT statement_missing FROM ledger.recon_report WHERE source = 'rr_none';
-- an empty statement loaded for the date is a statement: M-1 is missing on the channel's side
INSERT INTO ledger.statement_import (source, statement_date, format, line_count) VALUES ('rr_none', :'d0', 'csv', 0);
CALL ledger.reconcile('rr_none', :'d0', 'rr.none');
SELECT * FROM rr_runs WHERE source = 'rr_none';
SELECT * FROM rr_breaks WHERE source = 'rr_none';
-- and with a line the break names it as the nearest candidate
CALL pg_temp.line('rr_none', 'M-X', 'MX', '10.01', 'M-1', '1 hour');
CALL ledger.reconcile('rr_none', :'d0', 'rr.none');
SELECT * FROM rr_breaks WHERE source = 'rr_none' ORDER BY class;

-- ---------------------------------------------------------------------------
-- rules are checked
-- ---------------------------------------------------------------------------
\set VERBOSITY terse
INSERT INTO ledger.recon_rule (source, tolerance) VALUES ('rr_bad', '-0.01 CNY');
INSERT INTO ledger.recon_rule (source, match_window) VALUES ('rr_bad', '-1 minute');
INSERT INTO ledger.recon_rule (source, group_key) VALUES ('rr_bad', '');
\set VERBOSITY default
INSERT INTO ledger.recon_rule (source, tolerance) VALUES ('rr_usd', '0.01 USD');
CALL pg_temp.line('rr_usd', 'U-1', 'U1', '1.00');
CALL ledger.reconcile('rr_usd', :'d0', 'rr.none');
-- the C pairing on its own.  The nearest pair first (internal 2 with
-- external 2, one minute apart), then internal 1 with external 1 (five
-- minutes; internal 2, as near, is taken already)
SELECT * FROM ledger._recon_pair(ARRAY['1 CNY', '1 CNY']::ledger.amount[],
	ARRAY['2026-01-01 10:00', '2026-01-01 10:10']::timestamptz[],
	ARRAY['1 CNY', '1 CNY', '2 CNY']::ledger.amount[],
	ARRAY['2026-01-01 10:05', '2026-01-01 10:11', '2026-01-01 10:00']::timestamptz[],
	NULL, '1 hour', 2) ORDER BY kind, idx, rank;
-- without external 2, internal 1 and 2 are equally near external 1: nothing is
-- paired, and each lists its nearest candidates (an untimed item comes last)
SELECT * FROM ledger._recon_pair(ARRAY['1 CNY', '1 CNY']::ledger.amount[],
	ARRAY['2026-01-01 10:00', '2026-01-01 10:10']::timestamptz[],
	ARRAY['1 CNY', '1 CNY', '2 CNY']::ledger.amount[],
	ARRAY['2026-01-01 10:05', NULL, '2026-01-01 10:00']::timestamptz[],
	NULL, '1 hour', 2) ORDER BY kind, idx, rank;
-- a tolerance lets 1.01 pair with 1.00; a window of 0 needs the same instant
SELECT * FROM ledger._recon_pair(ARRAY['1.00 CNY', '5.00 CNY']::ledger.amount[],
	ARRAY['2026-01-01 10:00', '2026-01-01 10:00']::timestamptz[],
	ARRAY['1.01 CNY', '5.00 CNY']::ledger.amount[],
	ARRAY['2026-01-01 10:00', '2026-01-01 10:00:01']::timestamptz[],
	'0.01 CNY', '0', 0) ORDER BY kind, idx, rank;
SELECT * FROM ledger._recon_pair(ARRAY['1 CNY']::ledger.amount[], ARRAY[NULL]::timestamptz[],
	ARRAY['1 USD']::ledger.amount[], ARRAY[NULL]::timestamptz[], NULL, '1 hour');
RESET ledger.recon_grace_days;
RESET client_min_messages;
