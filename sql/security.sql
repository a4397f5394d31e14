--
-- security: objects planted by a hostile role in public or pg_temp cannot
-- hijack any ledger function (search_path attacks)
--
-- The hostile role may create objects in schema public, as every role could
-- before PostgreSQL 15.  It plants look-alikes of the built-in functions,
-- operators and aggregates the ledger uses, each of which records that it ran
-- and then returns the right answer, so that a hijack would go unnoticed by
-- the victim.  Then the victim, a superuser whose search_path puts public
-- first, runs every entry point of the ledger.  Nothing may be recorded.
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
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
SELECT ledger.post('fund-1', ARRAY['bank', 'w1'], ARRAY['100 CNY', '-100 CNY']::ledger.amount[]) AS fund \gset

CREATE ROLE regress_ledger_hostile;
GRANT CREATE ON SCHEMA public TO regress_ledger_hostile;
-- a poster: it may name ledger.amount, call ledger.post and read balances
GRANT USAGE ON SCHEMA ledger TO regress_ledger_hostile;
GRANT EXECUTE ON FUNCTION ledger.post(text, text[], ledger.amount[], text, text, jsonb),
	ledger.reverse(bigint, text, text), ledger.balance(text), ledger.balance(text, date)
	TO regress_ledger_hostile;
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
CREATE OPERATOR public.+ (LEFTARG = date, RIGHTARG = integer, FUNCTION = public.h_plus_date);
CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = public.h_cat);
CREATE OPERATOR public.= (LEFTARG = ledger.amount, RIGHTARG = ledger.amount, FUNCTION = public.h_eq_amount);
CREATE OPERATOR public.< (LEFTARG = ledger.amount, RIGHTARG = ledger.amount, FUNCTION = public.h_lt_amount);
CREATE OPERATOR public.+ (LEFTARG = ledger.amount, RIGHTARG = ledger.amount, FUNCTION = public.h_plus_amount);
RESET ROLE;

-- the traps work: a query that does not qualify its names springs them
SET search_path = public, pg_catalog;
SELECT cardinality(ARRAY['a']::text[]) AS trap, 'a'::text = 'a'::text AS trap;
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
SELECT count(*) AS temp_vouchers FROM pg_temp.voucher;
SELECT count(*) AS temp_entries FROM pg_temp.entry;
SELECT count(*) AS temp_balances FROM pg_temp.account_balance;
RESET search_path;
RESET ROLE;
SELECT idempotency_key, book_date FROM ledger.voucher WHERE idempotency_key LIKE 'temp-%' ORDER BY 1;
SELECT DISTINCT victim, what FROM public.hijacked ORDER BY 2;
SELECT is_called AS any_trap_sprung FROM public.traps_sprung;

-- every SECURITY DEFINER function pins search_path with pg_temp last; the
-- only functions that run SQL without pinning it are the two procedures that
-- COMMIT (a procedure with SET cannot), and they qualify every name
SELECT p.oid::regprocedure AS definer_without_pinned_path
  FROM pg_proc p
 WHERE p.pronamespace = 'ledger'::regnamespace AND p.prosecdef
   AND NOT ('search_path=pg_catalog, pg_temp' = ANY (COALESCE(p.proconfig, '{}')));
SELECT p.oid::regprocedure AS runs_sql_without_pinned_path, p.prokind
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'ledger'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
   AND NOT ('search_path=pg_catalog, pg_temp' = ANY (COALESCE(p.proconfig, '{}')))
 ORDER BY p.oid::regprocedure::text COLLATE "C";

\c :regress_db
DROP DATABASE ledger_regress_security;
DROP ROLE regress_ledger_hostile;
