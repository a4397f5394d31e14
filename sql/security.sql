--
-- security: objects planted by a hostile role in public or pg_temp cannot
-- hijack any ledger function (search_path attacks)
--
-- The hostile role may create objects in schema public, as every role could
-- before PostgreSQL 15.  It plants look-alikes of the built-in functions,
-- operators and aggregates the ledger uses, each of which records that it ran
-- and then returns the right answer, so that a hijack would go unnoticed by
-- the victim.  Then the victim, a superuser whose search_path puts public
-- first, runs every entry point of the ledger, reconciliation included.
-- Nothing may be recorded.  Last, the hostile role itself, as a poster and
-- as a reconciliation operator, shadows the ledger's tables and plants a
-- stage table of its own making for the statement loaders, which run as the
-- extension's owner.
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
\getenv abs_srcdir PG_ABS_SRCDIR
\set wx_ok :abs_srcdir '/test/data/wechat_ok.csv'
\set wx_bad_total :abs_srcdir '/test/data/wechat_bad_total.csv'
\set ap_ok :abs_srcdir '/test/data/alipay_ok.csv'
\set ap_bad_count :abs_srcdir '/test/data/alipay_bad_count.csv'
\set csv_bad_amount :abs_srcdir '/test/data/generic_bad_amount.csv'
\set wx_flow :abs_srcdir '/test/data/wechat_fundflow.csv'
\set wx_flow_bad :abs_srcdir '/test/data/wechat_fundflow_bad_sum.csv'
\set ap_acct :abs_srcdir '/test/data/alipay_account.csv'
\set ap_acct_bad :abs_srcdir '/test/data/alipay_account_bad_income.csv'
\set mt :abs_srcdir '/test/data/mt940_three_accounts.sta'
\set mt_bad :abs_srcdir '/test/data/mt940_bad_balance.sta'
\set camt :abs_srcdir '/test/data/camt053_two_statements.xml'
\set camt_bad :abs_srcdir '/test/data/camt053_bad_balance.xml'
DROP DATABASE IF EXISTS ledger_regress_security;
CREATE DATABASE ledger_regress_security;
\c ledger_regress_security
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;

SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'bank', 'asset', 'CNY'), ('fees', 'fee income', 'revenue', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency, floor) VALUES
	('w1', 'wallet 1', 'liability', 'CNY', '0 CNY'), ('w2', 'wallet 2', 'liability', 'CNY', '0 CNY');
UPDATE ledger.account SET reconcilable = true WHERE code IN ('w1', 'w2');
SELECT ledger.post('fund-1', ARRAY['bank', 'w1'], ARRAY['100 CNY', '-100 CNY']::ledger.amount[]) AS fund \gset

CREATE ROLE regress_ledger_hostile;
GRANT CREATE ON SCHEMA public TO regress_ledger_hostile;
-- a poster: it may name ledger.amount, call ledger.post and read balances
GRANT USAGE ON SCHEMA ledger TO regress_ledger_hostile;
GRANT EXECUTE ON FUNCTION ledger.post(text, text[], ledger.amount[], text, text, jsonb),
	ledger.reverse(bigint, text, text, boolean), ledger.balance(text), ledger.balance(text, date)
	TO regress_ledger_hostile;
-- and a reconciliation operator (README, Roles and privileges): it may load statements,
-- reconcile and resolve breaks
GRANT EXECUTE ON FUNCTION ledger.stage_statement(),
	ledger.load_wechat_bill(text, date, text, text), ledger.load_alipay_bill(text, date, bytea),
	ledger.load_statement_csv(text, date, text, text), ledger.resolve_break(bigint, text, bigint)
	TO regress_ledger_hostile;
GRANT EXECUTE ON PROCEDURE ledger.reconcile(text, date, text) TO regress_ledger_hostile;
-- (1.1) and holds, the available balance and the account history
GRANT EXECUTE ON FUNCTION ledger.hold(text, text[], ledger.amount[], text, text, timestamptz, jsonb),
	ledger.post_hold(bigint, text, ledger.amount[], text), ledger.void_hold(bigint, text),
	ledger.available(text), ledger.account_history(text, date, date)
	TO regress_ledger_hostile;
GRANT SELECT ON ledger.statement_line, ledger.statement_import, ledger.recon_run,
	ledger.recon_pending, ledger.recon_break, ledger.recon_report TO regress_ledger_hostile;
-- a sprung trap warns at once and counts on a sequence: both survive the
-- rollback of a statement that fails later
CREATE TABLE public.hijacked (victim text, what text);
CREATE SEQUENCE public.traps_sprung;
GRANT SELECT, INSERT ON public.hijacked TO PUBLIC;
GRANT USAGE, SELECT ON public.traps_sprung TO PUBLIC;

SET ROLE regress_ledger_hostile;
CREATE FUNCTION public.trap(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	RAISE WARNING 'trap % sprung by %', what, current_user;
	PERFORM pg_catalog.nextval('public.traps_sprung');
	INSERT INTO public.hijacked VALUES (current_user, what);
END $$;
-- look-alike functions: exact matches for the argument types the ledger passes
CREATE FUNCTION public.cardinality(text[]) RETURNS integer LANGUAGE sql
	AS $$ SELECT public.trap('cardinality(text[])'); SELECT pg_catalog.cardinality($1) $$;
CREATE FUNCTION public.array_to_string(text[], text) RETURNS text LANGUAGE sql
	AS $$ SELECT public.trap('array_to_string(text[], text)'); SELECT pg_catalog.array_to_string($1, $2) $$;
CREATE FUNCTION public.format(text, integer) RETURNS text LANGUAGE sql
	AS $$ SELECT public.trap('format(text, integer)'); SELECT pg_catalog.format($1, $2) $$;
CREATE FUNCTION public.format(text, date) RETURNS text LANGUAGE sql
	AS $$ SELECT public.trap('format(text, date)'); SELECT pg_catalog.format($1, $2) $$;
CREATE FUNCTION public.format(text, text, text, text) RETURNS text LANGUAGE sql
	AS $$ SELECT public.trap('format(text, text, text, text)'); SELECT pg_catalog.format($1, $2, $3, $4) $$;
CREATE FUNCTION public.unnest(text[]) RETURNS SETOF text LANGUAGE sql
	AS $$ SELECT public.trap('unnest(text[])'); SELECT pg_catalog.unnest($1) $$;
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql
	AS $$ SELECT public.trap('now()'); SELECT pg_catalog.now() $$;

-- look-alike aggregates
CREATE FUNCTION public.hostile_min(bigint, bigint) RETURNS bigint LANGUAGE sql
	AS $$ SELECT public.trap('min(bigint)'); SELECT CASE WHEN $1 IS NULL OR $2 OPERATOR(pg_catalog.<) $1 THEN $2 ELSE $1 END $$;
CREATE FUNCTION public.hostile_max(bigint, bigint) RETURNS bigint LANGUAGE sql
	AS $$ SELECT public.trap('max(bigint)'); SELECT CASE WHEN $1 IS NULL OR $2 OPERATOR(pg_catalog.>) $1 THEN $2 ELSE $1 END $$;
CREATE FUNCTION public.hostile_agg(text, text, text) RETURNS text LANGUAGE sql
	AS $$ SELECT public.trap('string_agg(text, text)'); SELECT CASE WHEN $1 IS NULL THEN $2 ELSE $1 OPERATOR(pg_catalog.||) $3 OPERATOR(pg_catalog.||) $2 END $$;
CREATE AGGREGATE public.min(bigint) (SFUNC = public.hostile_min, STYPE = bigint);
CREATE AGGREGATE public.max(bigint) (SFUNC = public.hostile_max, STYPE = bigint);
CREATE AGGREGATE public.string_agg(text, text) (SFUNC = public.hostile_agg, STYPE = text);
-- (those the reconciliation uses: count(*), min and max of dates, integers
-- and text, array_agg, bool_and)
CREATE FUNCTION public.hostile_count(bigint) RETURNS bigint LANGUAGE sql
	AS $$ SELECT public.trap('count(*)'); SELECT $1 OPERATOR(pg_catalog.+) 1 $$;
CREATE FUNCTION public.hostile_min_date(date, date) RETURNS date LANGUAGE sql
	AS $$ SELECT public.trap('min(date)'); SELECT CASE WHEN $1 IS NULL OR $2 OPERATOR(pg_catalog.<) $1 THEN $2 ELSE $1 END $$;
CREATE FUNCTION public.hostile_min_int(integer, integer) RETURNS integer LANGUAGE sql
	AS $$ SELECT public.trap('min(integer)'); SELECT CASE WHEN $1 IS NULL OR $2 OPERATOR(pg_catalog.<) $1 THEN $2 ELSE $1 END $$;
CREATE FUNCTION public.hostile_max_int(integer, integer) RETURNS integer LANGUAGE sql
	AS $$ SELECT public.trap('max(integer)'); SELECT CASE WHEN $1 IS NULL OR $2 OPERATOR(pg_catalog.>) $1 THEN $2 ELSE $1 END $$;
CREATE FUNCTION public.hostile_min_text(text, text) RETURNS text LANGUAGE sql
	AS $$ SELECT public.trap('min(text)'); SELECT CASE WHEN $1 IS NULL OR $2 OPERATOR(pg_catalog.<) $1 THEN $2 ELSE $1 END $$;
CREATE FUNCTION public.hostile_array_agg(bigint[], bigint) RETURNS bigint[] LANGUAGE sql
	AS $$ SELECT public.trap('array_agg(bigint)'); SELECT COALESCE($1, '{}') OPERATOR(pg_catalog.||) $2 $$;
CREATE FUNCTION public.hostile_bool_and(boolean, boolean) RETURNS boolean LANGUAGE sql
	AS $$ SELECT public.trap('bool_and(boolean)'); SELECT COALESCE($1, true) AND $2 $$;
CREATE AGGREGATE public.count(*) (SFUNC = public.hostile_count, STYPE = bigint, INITCOND = '0');
CREATE AGGREGATE public.min(date) (SFUNC = public.hostile_min_date, STYPE = date);
CREATE AGGREGATE public.min(integer) (SFUNC = public.hostile_min_int, STYPE = integer);
CREATE AGGREGATE public.max(integer) (SFUNC = public.hostile_max_int, STYPE = integer);
CREATE AGGREGATE public.min(text) (SFUNC = public.hostile_min_text, STYPE = text);
CREATE AGGREGATE public.array_agg(bigint) (SFUNC = public.hostile_array_agg, STYPE = bigint[]);
CREATE AGGREGATE public.bool_and(boolean) (SFUNC = public.hostile_bool_and, STYPE = boolean);

-- look-alike operators, among them some on ledger.amount itself
CREATE FUNCTION public.hostile_op(l anyelement, r anyelement, op text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	res boolean;
BEGIN
	PERFORM public.trap(pg_catalog.format('%s(%s, %s)', op, pg_catalog.pg_typeof(l), pg_catalog.pg_typeof(r)));
	EXECUTE pg_catalog.format('SELECT $1 OPERATOR(pg_catalog.%s) $2', op) INTO res USING l, r;
	RETURN res;
END $$;
CREATE FUNCTION public.h_eq_text(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT public.hostile_op($1, $2, '=') $$;
CREATE FUNCTION public.h_ne_text(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT public.hostile_op($1, $2, '<>') $$;
CREATE FUNCTION public.h_eq_date(date, date) RETURNS boolean LANGUAGE sql AS $$ SELECT public.hostile_op($1, $2, '=') $$;
CREATE FUNCTION public.h_le_date(date, date) RETURNS boolean LANGUAGE sql AS $$ SELECT public.hostile_op($1, $2, '<=') $$;
CREATE FUNCTION public.h_gt_int(integer, integer) RETURNS boolean LANGUAGE sql AS $$ SELECT public.hostile_op($1, $2, '>') $$;
CREATE FUNCTION public.h_eq_int(integer, integer) RETURNS boolean LANGUAGE sql AS $$ SELECT public.hostile_op($1, $2, '=') $$;
CREATE FUNCTION public.h_eq_int8(bigint, bigint) RETURNS boolean LANGUAGE sql AS $$ SELECT public.hostile_op($1, $2, '=') $$;
CREATE FUNCTION public.h_eq_oid(oid, integer) RETURNS boolean LANGUAGE sql AS $$ SELECT public.hostile_op($1, $2::oid, '=') $$;
CREATE FUNCTION public.h_plus_date(date, integer) RETURNS date LANGUAGE sql
	AS $$ SELECT public.trap('+(date, integer)'); SELECT $1 OPERATOR(pg_catalog.+) $2 $$;
CREATE FUNCTION public.h_lt_date(date, date) RETURNS boolean LANGUAGE sql AS $$ SELECT public.hostile_op($1, $2, '<') $$;
CREATE FUNCTION public.h_gt_date(date, date) RETURNS boolean LANGUAGE sql AS $$ SELECT public.hostile_op($1, $2, '>') $$;
CREATE FUNCTION public.h_like(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT public.hostile_op($1, $2, '~~') $$;
CREATE FUNCTION public.h_match(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT public.hostile_op($1, $2, '~') $$;
CREATE FUNCTION public.h_nomatch(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT public.hostile_op($1, $2, '!~') $$;
CREATE FUNCTION public.h_cat(text, text) RETURNS text LANGUAGE sql
	AS $$ SELECT public.trap('||(text, text)'); SELECT $1 OPERATOR(pg_catalog.||) $2 $$;
CREATE FUNCTION public.h_eq_amount(ledger.amount, ledger.amount) RETURNS boolean LANGUAGE sql
	AS $$ SELECT public.trap('=(ledger.amount, ledger.amount)'); SELECT $1 OPERATOR(ledger.=) $2 $$;
CREATE FUNCTION public.h_lt_amount(ledger.amount, ledger.amount) RETURNS boolean LANGUAGE sql
	AS $$ SELECT public.trap('<(ledger.amount, ledger.amount)'); SELECT $1 OPERATOR(ledger.<) $2 $$;
CREATE FUNCTION public.h_plus_amount(ledger.amount, ledger.amount) RETURNS ledger.amount LANGUAGE sql
	AS $$ SELECT public.trap('+(ledger.amount, ledger.amount)'); SELECT $1 OPERATOR(ledger.+) $2 $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.h_eq_text);
CREATE OPERATOR public.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = public.h_ne_text);
CREATE OPERATOR public.= (LEFTARG = date, RIGHTARG = date, FUNCTION = public.h_eq_date);
CREATE OPERATOR public.<= (LEFTARG = date, RIGHTARG = date, FUNCTION = public.h_le_date);
CREATE OPERATOR public.> (LEFTARG = integer, RIGHTARG = integer, FUNCTION = public.h_gt_int);
CREATE OPERATOR public.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = public.h_eq_int);
CREATE OPERATOR public.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.h_eq_int8);
CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = integer, FUNCTION = public.h_eq_oid);
CREATE OPERATOR public.< (LEFTARG = date, RIGHTARG = date, FUNCTION = public.h_lt_date);
CREATE OPERATOR public.> (LEFTARG = date, RIGHTARG = date, FUNCTION = public.h_gt_date);
CREATE OPERATOR public.~~ (LEFTARG = text, RIGHTARG = text, FUNCTION = public.h_like);
CREATE OPERATOR public.~ (LEFTARG = text, RIGHTARG = text, FUNCTION = public.h_match);
CREATE OPERATOR public.!~ (LEFTARG = text, RIGHTARG = text, FUNCTION = public.h_nomatch);
CREATE OPERATOR public.+ (LEFTARG = date, RIGHTARG = integer, FUNCTION = public.h_plus_date);
CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = public.h_cat);
CREATE OPERATOR public.= (LEFTARG = ledger.amount, RIGHTARG = ledger.amount, FUNCTION = public.h_eq_amount);
CREATE OPERATOR public.< (LEFTARG = ledger.amount, RIGHTARG = ledger.amount, FUNCTION = public.h_lt_amount);
CREATE OPERATOR public.+ (LEFTARG = ledger.amount, RIGHTARG = ledger.amount, FUNCTION = public.h_plus_amount);
RESET ROLE;

-- the traps work: a query that does not qualify its names springs them
SET search_path = public, pg_catalog;
SELECT cardinality(ARRAY['a']::text[]) AS trap, 'a'::text = 'a'::text AS trap, 'a'::text LIKE 'a' AS trap,
       (SELECT count(*) FROM (VALUES (1)) v) AS trap;
RESET search_path;
SELECT DISTINCT victim, what FROM public.hijacked ORDER BY 2;
TRUNCATE public.hijacked;
ALTER SEQUENCE public.traps_sprung RESTART;

-- ---------------------------------------------------------------------------
-- The victim: a superuser with public first in its search_path runs every
-- entry point.  A few of these fail on purpose (their errors are formatted
-- with the same functions).
-- ---------------------------------------------------------------------------
SET search_path = public, pg_catalog;
-- (the statements below qualify their own operators: only the ledger's code is on trial)
INSERT INTO ledger.account (code, name, kind, currency, floor) VALUES ('w3', 'wallet 3', 'liability', 'CNY', '0 CNY');
UPDATE ledger.account SET ceiling = '1000 CNY' WHERE code OPERATOR(pg_catalog.=) 'w3';
-- refused: the balance is below the new floor
UPDATE ledger.account SET floor = '1 CNY' WHERE code OPERATOR(pg_catalog.=) 'w3';
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('w3.1', 'x', 'liability', 'CNY', 'w3');
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES ('hot', 'hot account', 'asset', 'CNY', true);
UPDATE ledger.account SET hot = false WHERE code OPERATOR(pg_catalog.=) 'hot';
DELETE FROM ledger.account WHERE code OPERATOR(pg_catalog.=) 'hot';
DELETE FROM ledger.account WHERE code OPERATOR(pg_catalog.=) 'w3.1';
SELECT ledger.post('pay-1', ARRAY['w1', 'w2', 'fees'], ARRAY['10 CNY', '-9 CNY', '-1 CNY']::ledger.amount[], 'pay', 'R1') IS NOT NULL AS posted;
SELECT ledger.post('pay-1', ARRAY['w1', 'w2', 'fees'], ARRAY['10 CNY', '-9 CNY', '-1 CNY']::ledger.amount[], 'pay', 'R1') IS NOT NULL AS replayed;
-- refused: the same key with other content
SELECT ledger.post('pay-1', ARRAY['w1', 'w2', 'fees'], ARRAY['10 CNY', '-8 CNY', '-2 CNY']::ledger.amount[], 'pay', 'R1');
-- refused: below the floor
SELECT ledger.post('pay-2', ARRAY['w2', 'bank'], ARRAY['100 CNY', '-100 CNY']::ledger.amount[]);
-- refused: the reversal would take wallet 1 below its floor
SELECT ledger.reverse(:fund, 'fund-1-r');
SELECT ledger.post('pay-3', ARRAY['w2', 'w1'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]) AS pay3 \gset
SELECT ledger.reverse(:pay3, 'pay-3-r') IS NOT NULL AS reversed;
SELECT ledger.balance('w1'), ledger.balance('w2'), ledger.balance('w1', '2026-11-02');
SELECT account_code, balance FROM ledger.balances ORDER BY 1;
SELECT voucher_id, line_no, account_code, debit, credit FROM ledger.journal ORDER BY 1, 2;
SELECT ledger.currency(amount), (ledger.trial(amount)).*, ledger.sum(amount) FROM ledger.entry GROUP BY 1;
SELECT account_code, closing_debit, closing_credit FROM ledger.trial_balance('2026-11-02') ORDER BY account_code NULLS LAST;
SELECT check_name, ok FROM ledger.check_books('2026-11-02');
-- reconciliation: the three loaders (from the stage table and as an
-- argument), broken files, a run against wallet 1 (voucher pay-1, ref R1),
-- its breaks, resolving one, the report and the aggregates
SELECT ledger.stage_statement();
COPY ledger_statement_stage (line) FROM STDIN WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e');
ref,external_id,amount,status,fee,occurred_at
R1,PSP-0001,10.00,success,0.06,2026-11-02 10:00:00+08
R8,PSP-0008,8.00 CNY,success,,2026-11-02 11:00:00+08
R9,PSP-0009,5.00,processing,,
\.
SELECT format, line_count, total_amount, fee_amount FROM ledger.load_statement_csv('psp', '2026-11-02');
SELECT format, line_count, total_amount, fee_amount FROM ledger.load_wechat_bill('wechat', '2026-11-02', pg_catalog.pg_read_file(:'wx_ok'));
SELECT format, line_count, total_amount, fee_amount FROM ledger.load_alipay_bill('alipay', '2026-11-02', pg_catalog.pg_read_binary_file(:'ap_ok'));
-- refused: broken files, a bad argument
SELECT ledger.load_wechat_bill('wechat', '2026-11-02', pg_catalog.pg_read_file(:'wx_bad_total'));
SELECT ledger.load_alipay_bill('alipay', '2026-11-02', pg_catalog.pg_read_binary_file(:'ap_bad_count'));
SELECT ledger.load_statement_csv('psp', '2026-11-02', pg_catalog.pg_read_file(:'csv_bad_amount'));
SELECT ledger.load_statement_csv('psp', '2026-11-02');
SELECT ledger.load_wechat_bill('wechat', '2026-11-02', pg_catalog.pg_read_file(:'wx_ok'), 'order_no');
CALL ledger.reconcile('psp', '2026-11-02', 'w1');
CALL ledger.reconcile('psp', '2026-11-02', 'w1');
CALL ledger.reconcile('wechat', '2026-11-02', 'w2');
-- refused: no such account
CALL ledger.reconcile('psp', '2026-11-02', 'nope');
SELECT source, class, ref, internal_amount, external_amount, status FROM ledger.recon_break ORDER BY source, ref;
SELECT id AS brk9 FROM ledger.recon_break WHERE source OPERATOR(pg_catalog.=) 'psp' AND ref OPERATOR(pg_catalog.=) 'R9' \gset
SELECT id AS brk8 FROM ledger.recon_break WHERE source OPERATOR(pg_catalog.=) 'psp' AND ref OPERATOR(pg_catalog.=) 'R8' \gset
SELECT status, note, voucher_id FROM ledger.resolve_break(:brk9, 'written off', :pay3);
-- refused: resolved already (the DETAIL, which says when, is left out), and
-- the voucher resolves another break
\set VERBOSITY terse
SELECT ledger.resolve_break(:brk9, 'again');
\set VERBOSITY default
SELECT ledger.resolve_break(:brk8, 'again', :pay3);
SELECT source, statement_date, matched_count, missing_internal_count, missing_external_count, pending_count,
       open_breaks, source_open_breaks
  FROM ledger.recon_report ORDER BY source, statement_date;
SELECT u.ref, (ledger.recon_diff(u.side, u.amount, u.status)).*
  FROM (SELECT 'internal' AS side, v.ref, e.amount, 'success' AS status
          FROM ledger.entry e JOIN ledger.voucher v ON v.id OPERATOR(pg_catalog.=) e.voucher_id
         WHERE e.account_id OPERATOR(pg_catalog.=) (SELECT a.id FROM ledger.account a WHERE a.code OPERATOR(pg_catalog.=) 'w1')
           AND v.ref IS NOT NULL
        UNION ALL
        SELECT 'external', l.ref, l.amount, l.status FROM ledger.statement_line l WHERE l.source OPERATOR(pg_catalog.=) 'psp') u
 GROUP BY u.ref ORDER BY u.ref;
SELECT (ledger.recon_diff('internal', a, NULL, '0.01 CNY')).class, (ledger.recon_total('external', a)).class,
       (ledger.recon_total('internal', a, '1 CNY')).class
  FROM (VALUES ('1 CNY'::ledger.amount)) v(a);
-- refused: the aggregates' own errors
SELECT ledger.recon_diff(s, '1 CNY') FROM (VALUES ('inside')) v(s);
SELECT ledger.recon_total(s, a) FROM (VALUES ('internal', '1 CNY'::ledger.amount), ('external', '1 USD')) v(s, a);
-- version 1.1: holds (one posted in part, one voided, one left pending
-- across the day-end), the available balance, the account history, matching
-- rules (tolerance, window, a group, net of fee), the fund-flow and account
-- statement loaders, the bank statement loaders, the kept files read back,
-- balance assertions
SELECT ledger.hold('hold-1', ARRAY['w1', 'bank'], ARRAY['5 CNY', '-5 CNY']::ledger.amount[], 'withdrawal', 'H1') AS hold1 \gset
SELECT ledger.hold('hold-1', ARRAY['w1', 'bank'], ARRAY['5 CNY', '-5 CNY']::ledger.amount[], 'withdrawal', 'H1')
       OPERATOR(pg_catalog.=) :hold1 AS replayed;
SELECT ledger.hold('hold-2', ARRAY['w1', 'bank'], ARRAY['3 CNY', '-3 CNY'], 'withdrawal', 'H2') AS hold2 \gset
SELECT ledger.hold('hold-3', ARRAY['w1', 'bank'], '{4 CNY,-4 CNY}', 'withdrawal', 'H3',
       pg_catalog.now() OPERATOR(pg_catalog.+) interval '7 days') IS NOT NULL AS held;
-- refused: past the floor, counting what is held
SELECT ledger.hold('hold-4', ARRAY['w1', 'bank'], ARRAY['79 CNY', '-79 CNY']::ledger.amount[]);
SELECT ledger.balance('w1'), ledger.available('w1');
SELECT ledger.post_hold(:hold1, 'hold-1-post', ARRAY['2 CNY', '-2 CNY']::ledger.amount[]) IS NOT NULL AS posted_in_part;
SELECT ledger.void_hold(:hold2, 'the bank rejected it');
-- refused: settled already (terse: the DETAIL says when)
\set VERBOSITY terse
SELECT ledger.post_hold(:hold2, 'hold-2-post');
SELECT ledger.void_hold(:hold1);
\set VERBOSITY default
SELECT ledger.expire_holds() AS expired;
SELECT ledger.balance('w1'), ledger.available('w1');
SELECT book_date, line_no, ref, summary, debit, credit, balance FROM ledger.account_history('w1', '2026-11-02');
-- refused: no such account
SELECT ledger.account_history('nope', '2026-11-02');
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES
	('wallets covered', ARRAY['w1', 'w2'], '<=', ARRAY['bank'], 'CNY');
SELECT name, ok FROM ledger.check_assertions();
-- matching rules: R1 within the tolerance net of its fee, a key-less line
-- paired with the hold's posting by amount and time, a batch of two vouchers
-- against one line
SELECT ledger.post('pay-5', ARRAY['w1', 'w2'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[], 'batch item', 'R5', '{"batch": "B1"}') IS NOT NULL AS posted,
       ledger.post('pay-6', ARRAY['w1', 'w2'], ARRAY['2 CNY', '-2 CNY']::ledger.amount[], 'batch item', 'R6', '{"batch": "B1"}') IS NOT NULL AS posted;
INSERT INTO ledger.recon_rule (source, tolerance, match_window, group_key, net_of_fee)
	VALUES ('psp-rules', '0.05 CNY', '1 hour', 'batch', true);
INSERT INTO ledger.statement_line (source, statement_date, ref, external_id, amount, fee, occurred_at)
	SELECT 'psp-rules', '2026-11-02', l.ref, l.ext, l.amount::ledger.amount, l.fee::ledger.amount,
	       (SELECT v.created_at FROM ledger.voucher v WHERE v.idempotency_key OPERATOR(pg_catalog.=) l.at_key)
	  FROM (VALUES ('R1', 'X-1', '10.03 CNY', '0.06 CNY', 'pay-1'), ('ZZ-1', 'X-2', '2 CNY', NULL, 'hold-1-post'),
	               ('B1', 'X-3', '3 CNY', NULL, 'pay-6')) l(ref, ext, amount, fee, at_key);
CALL ledger.reconcile('psp-rules', '2026-11-02', 'w1');
SELECT method, ref, external_ref, internal_amount, external_amount, internal_count
  FROM ledger.recon_match WHERE source OPERATOR(pg_catalog.=) 'psp-rules' ORDER BY ref;
SELECT class, ref, internal_amount, external_amount FROM ledger.recon_break
 WHERE source OPERATOR(pg_catalog.=) 'psp-rules' ORDER BY ref;
-- a date with no statement
CALL ledger.reconcile('psp-none', '2026-11-02', 'w1');
SELECT statement_missing FROM ledger.recon_run WHERE source OPERATOR(pg_catalog.=) 'psp-none';
SELECT format, line_count, total_amount FROM ledger.load_wechat_fundflow('wx-flow', '2021-02-01', pg_catalog.pg_read_file(:'wx_flow'));
SELECT format, line_count, total_amount FROM ledger.load_alipay_account('ap-acct', '2012-12-29', pg_catalog.pg_read_binary_file(:'ap_acct'));
SELECT source, statement_date, line_count, total_amount, file_totals->>'closing' AS closing
  FROM ledger.load_mt940('bank-mt', pg_catalog.pg_read_file(:'mt')) ORDER BY 1;
SELECT source, statement_date, line_count, total_amount, file_totals->>'closing' AS closing
  FROM ledger.load_camt053('bank-camt', pg_catalog.pg_read_file(:'camt')) ORDER BY 1;
-- refused: broken files
SELECT ledger.load_wechat_fundflow('wx-flow', '2021-02-01', pg_catalog.pg_read_file(:'wx_flow_bad'));
SELECT ledger.load_alipay_account('ap-acct', '2012-12-29', pg_catalog.pg_read_binary_file(:'ap_acct_bad'));
SELECT ledger.load_mt940('bank-mt', pg_catalog.pg_read_file(:'mt_bad'));
SELECT ledger.load_camt053('bank-camt', pg_catalog.pg_read_file(:'camt_bad'));
SELECT i.source, pg_catalog.count(*) AS raw_lines
  FROM ledger.statement_import i CROSS JOIN LATERAL ledger.statement_raw(i.id) r
 WHERE i.source OPERATOR(pg_catalog.~~) ANY (ARRAY['wx-flow', 'ap-acct', 'bank-mt%', 'bank-camt%'])
 GROUP BY 1 ORDER BY 1;
CALL ledger.close_day();
SELECT book_date, ok FROM ledger.verify_books('2026-11-01', '2026-11-03');
SELECT check_name, ok FROM ledger.check_books('2026-11-02') WHERE NOT ok;
SELECT ledger.balance('w2', '2026-11-02');
SELECT account_code, closing_debit, closing_credit FROM ledger.trial_balance('2026-11-02', '2026-11-03') ORDER BY account_code NULLS LAST;
-- refused: the day is closed
CALL ledger.close_day('2026-11-02');
RESET search_path;

-- a failing cutoff formats its error from the failed checks
UPDATE ledger.account_balance SET units = units + 1
 WHERE account_id = (SELECT id FROM ledger.account WHERE code = 'bank');
SET search_path = public, pg_catalog;
CALL ledger.close_day();
RESET search_path;
UPDATE ledger.account_balance SET units = units - 1
 WHERE account_id = (SELECT id FROM ledger.account WHERE code = 'bank');
SET search_path = public, pg_catalog;
CALL ledger.close_day('2026-11-03');
SELECT book_date, ok FROM ledger.verify_books('2026-11-01', '2026-11-04');
RESET search_path;

-- nothing the hostile role planted ran
SELECT DISTINCT victim, what FROM public.hijacked ORDER BY 2;
SELECT is_called AS any_trap_sprung FROM public.traps_sprung;

-- ---------------------------------------------------------------------------
-- The hostile role itself, as a poster, puts pg_temp first and shadows the
-- ledger's tables and some functions with temporary ones before it calls the
-- SECURITY DEFINER entry points.
-- ---------------------------------------------------------------------------
SET ROLE regress_ledger_hostile;
CREATE TEMP TABLE voucher (id bigint, idempotency_key text, book_date date);
CREATE TEMP TABLE entry (voucher_id bigint, line_no int, account_id bigint, amount ledger.amount);
CREATE TEMP TABLE account (id bigint, code text, currency text, hot boolean, status text);
CREATE TEMP TABLE account_balance (account_id bigint, slot int, units bigint);
CREATE TEMP TABLE book_day (book_date date, status text);
CREATE TEMP TABLE daily_balance (account_id bigint, book_date date);
CREATE TEMP TABLE hold (id bigint, idempotency_key text, status text);
CREATE TEMP TABLE hold_line (hold_id bigint, line_no int, account_id bigint, amount ledger.amount);
INSERT INTO pg_temp.account VALUES (1, 'w2', 'CNY', false, 'open');
INSERT INTO pg_temp.book_day VALUES ('2030-01-01', 'open');
CREATE FUNCTION pg_temp.cardinality(text[]) RETURNS integer LANGUAGE sql
	AS $$ SELECT public.trap('pg_temp.cardinality(text[])'); SELECT 0 $$;
CREATE FUNCTION pg_temp.unnest(text[]) RETURNS SETOF text LANGUAGE sql
	AS $$ SELECT public.trap('pg_temp.unnest(text[])'); SELECT 'x' $$;
SET search_path = pg_temp, public, ledger, pg_catalog;
SELECT post('temp-1', ARRAY['w2', 'bank'], ARRAY['1 CNY', '-1 CNY']::amount[]) AS temp1 \gset
SELECT reverse(:temp1, 'temp-1-r') IS NOT NULL AS reversed;
SELECT balance('w2'), balance('w2', '2026-11-03');
SELECT hold('temp-hold-1', ARRAY['w2', 'bank'], ARRAY['1 CNY', '-1 CNY']::amount[]) AS temp_hold1 \gset
SELECT hold('temp-hold-2', ARRAY['w2', 'bank'], ARRAY['1 CNY', '-1 CNY']::amount[]) AS temp_hold2 \gset
SELECT post_hold(:temp_hold1, 'temp-hold-1-post') IS NOT NULL AS posted;
SELECT void_hold(:temp_hold2);
SELECT available('w2');
SELECT line_no, ref, debit, credit, balance FROM account_history('w2', '2026-11-03');
SELECT count(*) AS temp_vouchers FROM pg_temp.voucher;
SELECT count(*) AS temp_entries FROM pg_temp.entry;
SELECT count(*) AS temp_balances FROM pg_temp.account_balance;
SELECT count(*) AS temp_holds FROM pg_temp.hold;
SELECT count(*) AS temp_hold_lines FROM pg_temp.hold_line;
RESET search_path;
RESET ROLE;
SELECT idempotency_key, book_date FROM ledger.voucher WHERE idempotency_key LIKE 'temp-%' ORDER BY 1;
SELECT idempotency_key, status FROM ledger.hold WHERE idempotency_key LIKE 'temp-%' ORDER BY 1;

-- ---------------------------------------------------------------------------
-- The hostile role, as a reconciliation operator, does the same to the
-- reconciliation tables, then stages statement files in relations of its
-- own making: the loaders run as the extension's owner, so a view, a
-- trigger or a rule on the stage table would run its code with the owner's
-- rights.  The loaders must refuse them without reading them.
-- ---------------------------------------------------------------------------
-- (the stage table the victim made in this session is the victim's)
DROP TABLE pg_temp.ledger_statement_stage;
SET ROLE regress_ledger_hostile;
CREATE TEMP TABLE statement_line (id bigint, source text, statement_date date, ref text, external_id text, amount ledger.amount);
CREATE TEMP TABLE statement_import (id bigint, source text);
CREATE TEMP TABLE recon_run (id bigint, source text, statement_date date);
CREATE TEMP TABLE recon_pending (source text, voucher_id bigint, ref text);
CREATE TEMP TABLE recon_break (id bigint, run_id bigint, source text, class text, ref text, status text);
SET search_path = pg_temp, public, ledger, pg_catalog;
SELECT stage_statement();
COPY ledger_statement_stage (line) FROM STDIN WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e');
ref,external_id,amount
R1,PSP-0101,10.00
R7,PSP-0107,7.00
\.
SELECT line_count, total_amount FROM load_statement_csv('psp', '2026-11-03');
CALL reconcile('psp', '2026-11-03', 'w1');
SELECT id AS hostile_brk FROM ledger.recon_break WHERE source OPERATOR(pg_catalog.=) 'psp' AND ref OPERATOR(pg_catalog.=) 'R7' \gset
SELECT status, note FROM resolve_break(:hostile_brk, 'resolved by the hostile role');
SELECT pg_catalog.count(*) AS temp_lines FROM pg_temp.statement_line;
SELECT pg_catalog.count(*) AS temp_runs FROM pg_temp.recon_run;
SELECT pg_catalog.count(*) AS temp_breaks FROM pg_temp.recon_break;
-- stage tables of the hostile role's making, each of which runs its code
-- when read or emptied
CREATE FUNCTION pg_temp.stage_line() RETURNS text LANGUAGE plpgsql
	AS $$ BEGIN PERFORM public.trap('stage view'); RETURN 'ref,external_id,amount'; END $$;
CREATE FUNCTION pg_temp.stage_trigger() RETURNS trigger LANGUAGE plpgsql
	AS $$ BEGIN PERFORM public.trap('stage trigger ' OPERATOR(pg_catalog.||) TG_OP); RETURN NULL; END $$;
DROP TABLE ledger_statement_stage;
CREATE TEMP VIEW ledger_statement_stage AS SELECT 1::bigint AS line_no, pg_temp.stage_line() AS line;
SELECT load_statement_csv('psp', '2026-11-03');
SELECT load_wechat_bill('psp', '2026-11-03');
SELECT load_alipay_bill('psp', '2026-11-03');
DROP VIEW ledger_statement_stage;
CREATE TEMP TABLE ledger_statement_stage (line_no bigint, line text);
INSERT INTO ledger_statement_stage VALUES (1, 'ref,external_id,amount'), (2, 'R1,PSP-0201,10.00');
CREATE TRIGGER stage_trap AFTER DELETE ON ledger_statement_stage FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.stage_trigger();
SELECT load_statement_csv('psp', '2026-11-03');
DROP TRIGGER stage_trap ON ledger_statement_stage;
CREATE RULE stage_trap AS ON DELETE TO ledger_statement_stage DO ALSO SELECT pg_temp.stage_line();
SELECT load_statement_csv('psp', '2026-11-03');
DROP RULE stage_trap ON ledger_statement_stage;
CREATE FUNCTION pg_temp.stage_policy() RETURNS boolean LANGUAGE plpgsql
	AS $$ BEGIN PERFORM public.trap('stage policy'); RETURN true; END $$;
CREATE POLICY stage_trap ON ledger_statement_stage USING (pg_temp.stage_policy());
ALTER TABLE ledger_statement_stage ENABLE ROW LEVEL SECURITY;
SELECT load_statement_csv('psp', '2026-11-03');
DROP TABLE ledger_statement_stage;
CREATE TEMP TABLE ledger_statement_stage (line_no bigint, line text, extra text);
INSERT INTO ledger_statement_stage VALUES (1, 'ref,external_id,amount', NULL);
SELECT load_statement_csv('psp', '2026-11-03');
-- the stage the loaders read still works for the hostile role
DROP TABLE ledger_statement_stage;
SELECT stage_statement();
INSERT INTO ledger_statement_stage (line) VALUES ('ref,external_id,amount'), ('R1,PSP-0101,10.00'), ('R7,PSP-0107,7.00');
SELECT line_count, replaced_lines FROM load_statement_csv('psp', '2026-11-03');
RESET search_path;
RESET ROLE;
SELECT l.statement_date, l.ref, l.external_id, l.amount FROM ledger.statement_line l
 WHERE l.source = 'psp' ORDER BY 1, 3;
SELECT r.statement_date, r.matched_count, r.missing_internal_count, r.runs, r.run_by
  FROM ledger.recon_run r WHERE r.source = 'psp' ORDER BY 1;
SELECT b.statement_date, b.class, b.ref, b.status, b.note, b.resolved_by
  FROM ledger.recon_break b WHERE b.source = 'psp' ORDER BY 1, 3;
SELECT DISTINCT victim, what FROM public.hijacked ORDER BY 2;
SELECT is_called AS any_trap_sprung FROM public.traps_sprung;

-- every SECURITY DEFINER function pins search_path with pg_temp last; the
-- only functions that run SQL without pinning it are the two procedures that
-- COMMIT (a procedure with SET cannot), and they qualify every name, and
-- functions with a SQL-standard body (BEGIN ATOMIC), parsed when created, so
-- that no name in them is looked up on the caller's path
SELECT p.oid::regprocedure AS definer_without_pinned_path
  FROM pg_proc p
 WHERE p.pronamespace = 'ledger'::regnamespace AND p.prosecdef
   AND NOT ('search_path=pg_catalog, pg_temp' = ANY (COALESCE(p.proconfig, '{}')));
SELECT p.oid::regprocedure AS runs_sql_without_pinned_path, p.prokind
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'ledger'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
   AND NOT ('search_path=pg_catalog, pg_temp' = ANY (COALESCE(p.proconfig, '{}')))
   AND p.prosqlbody IS NULL
 ORDER BY p.oid::regprocedure::text COLLATE "C";

-- ---------------------------------------------------------------------------
-- A role given pg_write_all_data (or a write GRANT made by mistake) on the
-- tables the ledger keeps in step itself: every write is refused (42501),
-- and the books are as they were.  Vouchers and entries it may insert go
-- through the same checks as any (and it cannot change them).
-- ---------------------------------------------------------------------------
CREATE ROLE regress_ledger_writer;
GRANT pg_write_all_data, pg_read_all_data TO regress_ledger_writer;
CREATE TEMP TABLE books_before AS
	SELECT (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.account_balance t) AS balances,
	       (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.account_tree t) AS tree,
	       (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.daily_balance t) AS daily,
	       (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.book_check t) AS checks,
	       (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.day_close t) AS closes,
	       (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.recon_break t) AS breaks;
GRANT SELECT ON books_before TO regress_ledger_writer;
SELECT max(book_date) AS closed_day FROM ledger.book_day WHERE status = 'closed' \gset
SET ROLE regress_ledger_writer;
-- past the floor, unfrozen, without a floor
UPDATE ledger.account_balance SET units = units + 100000;
UPDATE ledger.account_balance SET blocked = NULL, floor_units = NULL;
DELETE FROM ledger.account_balance;
INSERT INTO ledger.account_balance (account_id, slot) VALUES (-1, 0);
-- the roll-up of the summary accounts
DELETE FROM ledger.account_tree;
-- a closed day's figures, its checks and its record
INSERT INTO ledger.daily_balance (account_id, book_date, currency, opening, debit, credit, closing, entries, cum_debit, cum_credit)
	VALUES (-1, :'closed_day', 'CNY', '0 CNY', '0 CNY', '0 CNY', '0 CNY', 0, 0, 0);
DELETE FROM ledger.book_check;
UPDATE ledger.day_close SET problems = NULL;
-- the reconciliation's results
UPDATE ledger.recon_break SET status = 'resolved', note = 'gone';
DELETE FROM ledger.recon_pending;
DELETE FROM ledger.recon_match;
UPDATE ledger.recon_run SET missing_internal_count = 0;
DELETE FROM ledger.statement_import;
DELETE FROM ledger.statement_file;
SELECT (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.account_balance t) = b.balances AS balances_kept,
       (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.account_tree t) = b.tree AS tree_kept,
       (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.daily_balance t) = b.daily AS daily_kept,
       (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.book_check t) = b.checks AS checks_kept,
       (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.day_close t) = b.closes AS closes_kept,
       (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.recon_break t) = b.breaks AS breaks_kept
  FROM books_before b;
RESET ROLE;

-- a closed day's daily balances take no new row, for the owner too (the row
-- guard refuses UPDATE and DELETE); nor does the open day, before its cutoff
INSERT INTO ledger.daily_balance (account_id, book_date, currency, opening, debit, credit, closing, entries, cum_debit, cum_credit)
	SELECT a.id, :'closed_day', 'CNY', '0 CNY', '0 CNY', '1000000 CNY', '-1000000 CNY', 1, 0, 100000000
	  FROM ledger.account a
	 WHERE a.currency = 'CNY' AND NOT EXISTS (SELECT 1 FROM ledger.daily_balance r
	        WHERE r.account_id = a.id AND r.book_date = :'closed_day')
	 ORDER BY a.id LIMIT 1;
INSERT INTO ledger.daily_balance (account_id, book_date, currency, opening, debit, credit, closing, entries, cum_debit, cum_credit)
	SELECT a.id, ledger.current_book_date(), 'CNY', '0 CNY', '0 CNY', '0 CNY', '0 CNY', 0, 0, 0
	  FROM ledger.account a WHERE a.currency = 'CNY' ORDER BY a.id LIMIT 1;
SELECT (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.daily_balance t) = b.daily AS daily_kept
  FROM books_before b;
SELECT check_name, ok FROM ledger.check_books(:'closed_day') WHERE NOT ok;
DROP TABLE books_before;
DROP ROLE regress_ledger_writer;

\c :regress_db
DROP DATABASE ledger_regress_security;
DROP ROLE regress_ledger_hostile;
