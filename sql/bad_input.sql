--
-- bad_input: every malformed input the contract names, from one table.
--
-- Each case runs in a subtransaction of its own.  It must fail with its own
-- SQLSTATE (never XX000), with a message, and leave every table of the books
-- exactly as it was (a digest of all their rows is compared before and
-- after).  The whole run is one transaction that then commits, and a voucher
-- posted after it must go through: no refused voucher may linger in the
-- per-transaction bookkeeping.
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS ledger_regress_bad_input;
CREATE DATABASE ledger_regress_bad_input;
\c ledger_regress_bad_input
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;

-- ---- the books the cases run against ----
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES
	('bank', 'bank', 'asset', 'CNY', false),
	('hot', 'clearing', 'asset', 'CNY', true),
	('sum', 'summary', 'asset', 'CNY', false),
	('mc', 'multi-currency summary', 'asset', NULL, false),
	('usd', 'USD bank', 'asset', 'USD', false),
	('jpy.a', 'JPY asset', 'asset', 'JPY', false),
	('jpy.a2', 'JPY asset 2', 'asset', 'JPY', false),
	('jpy.hot', 'JPY clearing', 'asset', 'JPY', true),
	('jpy.l', 'JPY liability', 'liability', 'JPY', false),
	('jpy.l2', 'JPY liability 2', 'liability', 'JPY', false);
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES
	('sum.1', 'leaf', 'asset', 'CNY', 'sum'),
	('mc.cny', 'CNY leaf', 'asset', 'CNY', 'mc'),
	('mc.usd', 'USD leaf', 'asset', 'USD', 'mc');
INSERT INTO ledger.account (code, name, kind, currency, floor, ceiling) VALUES
	('w1', 'wallet 1', 'liability', 'CNY', '0 CNY', '1000 CNY'),
	('w2', 'wallet 2', 'liability', 'CNY', '0 CNY', NULL),
	('frozen', 'frozen wallet', 'liability', 'CNY', NULL, NULL),
	('closed', 'closed wallet', 'liability', 'CNY', NULL, NULL);
UPDATE ledger.account SET status = 'frozen' WHERE code = 'frozen';
UPDATE ledger.account SET status = 'closed' WHERE code = 'closed';
SELECT ledger.post('fund', ARRAY['bank', 'w1'], ARRAY['100 CNY', '-100 CNY']::ledger.amount[], 'fund', 'F1') AS fund \gset
-- jpy.a holds the largest balance an amount can: 9223372036854775807 JPY
SELECT ledger.post('jpy-max', ARRAY['jpy.a', 'jpy.l'],
	ARRAY['9223372036854775807 JPY', '-9223372036854775807 JPY']::ledger.amount[]) IS NOT NULL AS posted;
CALL ledger.close_day();
SELECT ledger.post('pay', ARRAY['w1', 'w2'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[], 'pay', 'P1') AS pay \gset
SELECT ledger.reverse(:pay, 'pay-r') AS pay_r \gset
SELECT ledger.post('pay-2', ARRAY['w1', 'w2'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[], 'pay again', 'P2') AS pay2 \gset
SELECT book_date, status FROM ledger.book_day ORDER BY 1;
SELECT code, ledger.balance(code) FROM ledger.account WHERE code IN ('w1', 'w2', 'jpy.a', 'jpy.l') ORDER BY 1;
-- reconciliation: the statement of 2026-11-03 against wallet 1 (pay P1,
-- reversed, and pay-2 P2), a run with two breaks, one of them resolved by
-- the voucher fund; a USD statement
SELECT line_count FROM ledger.load_statement_csv('psp', '2026-11-03',
	E'ref,external_id,amount\nP2,PSP-2,10.00\nX8,PSP-8,8.00\nX9,PSP-9,9.00\n');
SELECT line_count FROM ledger.load_statement_csv('psp-usd', '2026-11-03', E'ref,external_id,amount\nP2,USD-2,10.00\n', 'USD');
UPDATE ledger.account SET reconcilable = true WHERE code = 'w1';
CALL ledger.reconcile('psp', '2026-11-03', 'w1');
SELECT id AS brk8 FROM ledger.recon_break WHERE ref = 'X8' \gset
SELECT id AS brk9 FROM ledger.recon_break WHERE ref = 'X9' \gset
SELECT class, ref, status FROM ledger.resolve_break(:brk9, 'written off', :fund);
SELECT source, statement_date, matched_count, missing_internal_count, reversed_count FROM ledger.recon_run;

-- a landing table for binary COPY, and a way to feed it raw bytes: a bytea
-- field of a binary COPY file is its bytes, so a file written from a bytea
-- column is read back as ledger.amount through ledger.amount_recv
CREATE TABLE public.landing (a ledger.amount);
CREATE FUNCTION pg_temp.copy_binary(raw bytea) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	f text := current_setting('data_directory') || '/ledger_bad_input.copy';
BEGIN
	CREATE TEMP TABLE IF NOT EXISTS raw_field (b bytea);
	TRUNCATE raw_field;
	INSERT INTO raw_field VALUES (raw);
	EXECUTE format('COPY raw_field TO %L (FORMAT binary)', f);
	EXECUTE format('COPY public.landing FROM %L (FORMAT binary)', f);
END $$;
-- the way works: 12.34 CNY and -5 USDT/6 come in whole
SELECT pg_temp.copy_binary('\x00000000000004d2000203434e59'::bytea);
SELECT pg_temp.copy_binary(ledger.amount_send('-5.000000 USDT/6'));
SELECT a FROM public.landing;
TRUNCATE public.landing;

-- every row of every table of the books
CREATE FUNCTION pg_temp.books() RETURNS text LANGUAGE sql AS $$
	SELECT md5(concat_ws('|',
		(SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.account t),
		(SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.account_balance t),
		(SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.book_day t),
		(SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.voucher t),
		(SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.entry t),
		(SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.daily_balance t),
		(SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.day_close t),
		(SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.book_check t),
		(SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.statement_import t),
		(SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.statement_line t),
		(SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.recon_run t),
		(SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.recon_pending t),
		(SELECT string_agg(t::text, ',' ORDER BY t::text) FROM ledger.recon_break t),
		(SELECT string_agg(t::text, ',' ORDER BY t::text) FROM public.landing t)))
$$;

CREATE TABLE bad_case (n serial, label text NOT NULL, sqlstate text NOT NULL, stmt text NOT NULL);
INSERT INTO bad_case (label, sqlstate, stmt) VALUES
-- ---- amount: text input ----
('amount: more decimals than the currency', '22P02', $$SELECT '12.345 CNY'::ledger.amount$$),
('amount: more decimals than JPY has', '22P02', $$SELECT '1.5 JPY'::ledger.amount$$),
('amount: empty string', '22P02', $$SELECT ''::ledger.amount$$),
('amount: white space only', '22P02', $$SELECT '   '::ledger.amount$$),
('amount: number without a code', '22P02', $$SELECT '12.34'::ledger.amount$$),
('amount: code without a number', '22P02', $$SELECT 'CNY'::ledger.amount$$),
('amount: unknown three-letter code', '22P02', $$SELECT '1 XYZ'::ledger.amount$$),
('amount: 19 decimals', '22P02', $$SELECT '1 USDT/19'::ledger.amount$$),
('amount: negative decimals', '22P02', $$SELECT '1 USDT/-1'::ledger.amount$$),
('amount: 13-character code', '22P02', $$SELECT '1 ABCDEFGHIJKLM/2'::ledger.amount$$),
('amount: bad character in code', '22P02', $$SELECT '1 US-D'::ledger.amount$$),
('amount: thousands separator', '22P02', $$SELECT '1,000 CNY'::ledger.amount$$),
('amount: exponent', '22P02', $$SELECT '1e3 CNY'::ledger.amount$$),
('amount: two numbers', '22P02', $$SELECT '1 2 CNY'::ledger.amount$$),
('amount: two signs', '22P02', $$SELECT '+-1 CNY'::ledger.amount$$),
('amount: sign alone', '22P02', $$SELECT '- CNY'::ledger.amount$$),
('amount: no space', '22P02', $$SELECT '1CNY'::ledger.amount$$),
('amount: non-ASCII digit', '22P02', $$SELECT E'\u0661 CNY'::ledger.amount$$),
('amount: junk', '22P02', $$SELECT 'twelve yuan'::ledger.amount$$),
('amount: above the range', '22003', $$SELECT '9223372036854775808 JPY'::ledger.amount$$),
('amount: below the range', '22003', $$SELECT '-9223372036854775809 JPY'::ledger.amount$$),
('amount: above the range in cents', '22003', $$SELECT '92233720368547758.08 CNY'::ledger.amount$$),
('amount(): more decimals than the currency', '22P02', $$SELECT ledger.amount(1.234, 'CNY')$$),
('amount(): unknown currency', '22P02', $$SELECT ledger.amount(1, 'XYZ')$$),
('amount(): NaN', '22P02', $$SELECT ledger.amount('NaN', 'CNY')$$),
('amount(): infinity', '22P02', $$SELECT ledger.amount('Infinity', 'CNY')$$),
('amount(): above the range', '22003', $$SELECT ledger.amount(9223372036854775808, 'JPY')$$),
('amount_of_units(): bad currency', '22P02', $$SELECT ledger.amount_of_units(1, 'C N Y')$$),
('amount_of_units(): empty currency', '22P02', $$SELECT ledger.amount_of_units(1, '')$$),
('zero(): unknown currency', '22P02', $$SELECT ledger.zero('XYZ')$$),
('zero(): empty currency', '22P02', $$SELECT ledger.zero('')$$),
-- ---- amount: binary input (COPY ... FORMAT binary through ledger.amount_recv) ----
('binary: empty field', '08P01', $$SELECT pg_temp.copy_binary('\x')$$),
('binary: units cut short', '08P01', $$SELECT pg_temp.copy_binary('\x00000000')$$),
('binary: decimals cut short', '08P01', $$SELECT pg_temp.copy_binary('\x00000000000004d200')$$),
('binary: code length missing', '08P01', $$SELECT pg_temp.copy_binary('\x00000000000004d20002')$$),
('binary: code cut short', '08P01', $$SELECT pg_temp.copy_binary('\x00000000000004d2000203434e')$$),
('binary: 19 decimals', '22P03', $$SELECT pg_temp.copy_binary('\x00000000000004d2001303434e59')$$),
('binary: negative decimals', '22P03', $$SELECT pg_temp.copy_binary('\x00000000000004d2ffff03434e59')$$),
('binary: code length 0', '22P03', $$SELECT pg_temp.copy_binary('\x00000000000004d2000200')$$),
('binary: code length 13', '22P03', $$SELECT pg_temp.copy_binary('\x00000000000004d200020d4142434445464748494a4b4c4d')$$),
('binary: bad character in code', '22P03', $$SELECT pg_temp.copy_binary('\x00000000000004d2000203244e59')$$),
('binary: NUL in code', '22P03', $$SELECT pg_temp.copy_binary('\x00000000000004d2000203430059')$$),
('binary: trailing byte', '22P03', $$SELECT pg_temp.copy_binary('\x00000000000004d2000203434e59ff')$$),
-- ---- amount: arithmetic, aggregates ----
('+ across currencies', '42804', $$SELECT '1 CNY'::ledger.amount OPERATOR(ledger.+) '1 USD'::ledger.amount$$),
('- across currencies', '42804', $$SELECT '1 CNY'::ledger.amount OPERATOR(ledger.-) '1 USD/4'::ledger.amount$$),
('sum across currencies', '42804', $$SELECT ledger.sum(a) FROM (VALUES ('1 CNY'::ledger.amount), ('1 USD')) v(a)$$),
('trial across currencies', '42804', $$SELECT ledger.trial(a) FROM (VALUES ('1 CNY'::ledger.amount), ('1 USD')) v(a)$$),
('+ beyond 64 bits', '22003', $$SELECT '9223372036854775807 JPY'::ledger.amount OPERATOR(ledger.+) '1 JPY'::ledger.amount$$),
('- beyond 64 bits', '22003', $$SELECT '-9223372036854775807 JPY'::ledger.amount OPERATOR(ledger.-) '2 JPY'::ledger.amount$$),
('unary - of the smallest amount', '22003', $$SELECT OPERATOR(ledger.-) ledger.amount_of_units(-9223372036854775808, 'JPY')$$),
('abs of the smallest amount', '22003', $$SELECT ledger.abs(ledger.amount_of_units(-9223372036854775808, 'JPY'))$$),
('amount * bigint beyond 64 bits', '22003', $$SELECT '4611686018427387904 JPY'::ledger.amount OPERATOR(ledger.*) 2::bigint$$),
('bigint * amount beyond 64 bits', '22003', $$SELECT (-2)::bigint OPERATOR(ledger.*) '4611686018427387905 JPY'::ledger.amount$$),
('amount * integer beyond 64 bits', '22003', $$SELECT '4611686018427387904 JPY'::ledger.amount OPERATOR(ledger.*) 2$$),
('integer * amount beyond 64 bits', '22003', $$SELECT 3 OPERATOR(ledger.*) '3074457345618258603 JPY'::ledger.amount$$),
('sum beyond 64 bits', '22003', $$SELECT ledger.sum(a) FROM (VALUES ('9223372036854775807 JPY'::ledger.amount), ('1 JPY')) v(a)$$),
('sum below 64 bits', '22003', $$SELECT ledger.sum(a) FROM (VALUES ('-9223372036854775807 JPY'::ledger.amount), ('-2 JPY')) v(a)$$),
('moving sum beyond 64 bits', '22003', $$SELECT ledger.sum(a) OVER (ORDER BY n ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM (VALUES (1, '1 JPY'::ledger.amount), (2, '9223372036854775807 JPY'), (3, '1 JPY')) v(n, a)$$),
('trial debits beyond 64 bits', '22003', $$SELECT ledger.trial(a) FROM (VALUES ('9223372036854775807 JPY'::ledger.amount), ('1 JPY')) v(a)$$),
('trial credits beyond 64 bits', '22003', $$SELECT ledger.trial(a) FROM (VALUES ('-9223372036854775807 JPY'::ledger.amount), ('-2 JPY')) v(a)$$),
-- ---- ledger.post: arguments ----
('post: NULL key', '22004', $$SELECT ledger.post(NULL, ARRAY['bank', 'w2'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$),
('post: empty key', '22004', $$SELECT ledger.post('', ARRAY['bank', 'w2'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$),
('post: blank key', '22004', $$SELECT ledger.post(E' \t\n', ARRAY['bank', 'w2'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$),
('post: NULL accounts', '22004', $$SELECT ledger.post('x', NULL, ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$),
('post: NULL amounts', '22004', $$SELECT ledger.post('x', ARRAY['bank', 'w2'], NULL)$$),
('post: NULL account in the array', '22004', $$SELECT ledger.post('x', ARRAY['bank', NULL], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$),
('post: NULL amount in the array', '22004', $$SELECT ledger.post('x', ARRAY['bank', 'w2'], ARRAY['1 CNY', NULL]::ledger.amount[])$$),
('post: arrays of different lengths', '22023', $$SELECT ledger.post('x', ARRAY['bank', 'w2', 'w1'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$),
('post: two-dimensional arrays', '2202E', $$SELECT ledger.post('x', ARRAY[['bank', 'w2']], ARRAY[['1 CNY', '-1 CNY']]::ledger.amount[])$$),
('post: empty arrays', '23514', $$SELECT ledger.post('x', ARRAY[]::text[], ARRAY[]::ledger.amount[])$$),
('post: one line', '23514', $$SELECT ledger.post('x', ARRAY['bank'], ARRAY['1 CNY']::ledger.amount[])$$),
('post: unbalanced', '23514', $$SELECT ledger.post('x', ARRAY['bank', 'w2'], ARRAY['1.00 CNY', '-0.99 CNY']::ledger.amount[])$$),
('post: unbalanced beyond 64 bits', '23514', $$SELECT ledger.post('x', ARRAY['jpy.a2', 'jpy.a2'], ARRAY['9223372036854775807 JPY', '9223372036854775807 JPY']::ledger.amount[])$$),
('post: balanced in one currency only', '23514', $$SELECT ledger.post('x', ARRAY['bank', 'w2', 'usd'], ARRAY['1 CNY', '-1 CNY', '1 USD']::ledger.amount[])$$),
('post: unknown account', '23503', $$SELECT ledger.post('x', ARRAY['bank', 'nope'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$),
('post: account code longer than any', '23503', $$SELECT ledger.post('x', ARRAY['bank', repeat('w', 65)], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$),
('post: summary account', '55000', $$SELECT ledger.post('x', ARRAY['sum', 'w2'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$),
('post: multi-currency summary account', '55000', $$SELECT ledger.post('x', ARRAY['mc', 'w2'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$),
('post: frozen account', '55000', $$SELECT ledger.post('x', ARRAY['bank', 'frozen'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$),
('post: closed account', '55000', $$SELECT ledger.post('x', ARRAY['bank', 'closed'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$),
('post: amount in another currency than the account', '42804', $$SELECT ledger.post('x', ARRAY['usd', 'w2'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$),
('post: amount in an asset code with other decimals', '42804', $$SELECT ledger.post('x', ARRAY['bank', 'w2'], ARRAY['1 CNY/4', '-1 CNY/4']::ledger.amount[])$$),
('post: zero amount', '22023', $$SELECT ledger.post('x', ARRAY['bank', 'w2', 'w1'], ARRAY['1 CNY', '-1 CNY', '0 CNY']::ledger.amount[])$$),
('post: below the floor', '23514', $$SELECT ledger.post('x', ARRAY['w1', 'bank'], ARRAY['100.01 CNY', '-100.01 CNY']::ledger.amount[])$$),
('post: above the ceiling', '23514', $$SELECT ledger.post('x', ARRAY['bank', 'w1'], ARRAY['1000 CNY', '-1000 CNY']::ledger.amount[])$$),
('post: lines that together cross the floor', '23514', $$SELECT ledger.post('x', ARRAY['w2', 'w2', 'bank'], ARRAY['30 CNY', '-10 CNY', '-20 CNY']::ledger.amount[])$$),
('post: an asset balance driven past 64 bits', '22003', $$SELECT ledger.post('x', ARRAY['jpy.a', 'jpy.l2'], ARRAY['1 JPY', '-1 JPY']::ledger.amount[])$$),
('post: a liability balance driven past 64 bits', '22003', $$SELECT ledger.post('x', ARRAY['jpy.a2', 'jpy.l'], ARRAY['1 JPY', '-1 JPY']::ledger.amount[])$$),
('post: one statement moves an account past 64 bits', '22003', $$SELECT ledger.post('x', ARRAY['jpy.a2', 'jpy.a2', 'jpy.l2', 'jpy.l2'], ARRAY['9223372036854775807 JPY', '9223372036854775807 JPY', '-9223372036854775807 JPY', '-9223372036854775807 JPY']::ledger.amount[])$$),
('post: a hot account''s slot past its share of 64 bits', '22003', $$SELECT ledger.post('x', ARRAY['jpy.hot', 'jpy.l2'], ARRAY['576460752303423488 JPY', '-576460752303423488 JPY']::ledger.amount[])$$),
-- ---- ledger.post: idempotency ----
('post: same key, other amounts', '23505', $$SELECT ledger.post('pay-2', ARRAY['w1', 'w2'], ARRAY['11 CNY', '-11 CNY']::ledger.amount[], 'pay again', 'P2')$$),
('post: same key, other accounts', '23505', $$SELECT ledger.post('pay-2', ARRAY['w1', 'bank'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[], 'pay again', 'P2')$$),
('post: same key, lines in another order', '23505', $$SELECT ledger.post('pay-2', ARRAY['w2', 'w1'], ARRAY['-10 CNY', '10 CNY']::ledger.amount[], 'pay again', 'P2')$$),
('post: same key, one line more', '23505', $$SELECT ledger.post('pay-2', ARRAY['w1', 'w2', 'w2'], ARRAY['10 CNY', '-5 CNY', '-5 CNY']::ledger.amount[], 'pay again', 'P2')$$),
('post: same key, other summary', '23505', $$SELECT ledger.post('pay-2', ARRAY['w1', 'w2'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[], 'pay twice', 'P2')$$),
('post: same key, no summary', '23505', $$SELECT ledger.post('pay-2', ARRAY['w1', 'w2'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[], NULL, 'P2')$$),
('post: same key, other ref', '23505', $$SELECT ledger.post('pay-2', ARRAY['w1', 'w2'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[], 'pay again', 'P3')$$),
('post: the key of a reversal', '23505', $$SELECT ledger.post('pay-r', ARRAY['w1', 'w2'], ARRAY['-10 CNY', '10 CNY']::ledger.amount[], 'reversal of voucher $$ || :pay || $$: pay')$$),
-- ---- ledger.reverse ----
('reverse: NULL voucher', '22004', $$SELECT ledger.reverse(NULL, 'x')$$),
('reverse: NULL key', '22004', $$SELECT ledger.reverse($$ || :pay2 || $$, NULL)$$),
('reverse: empty key', '22004', $$SELECT ledger.reverse($$ || :pay2 || $$, '')$$),
('hold: empty key', '22004', $$SELECT ledger.hold('', ARRAY['w2', 'bank'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$),
('post_hold: blank key', '22004', $$SELECT ledger.post_hold(-1, ' ')$$),
('reverse: unknown voucher', '23503', $$SELECT ledger.reverse(-1, 'x')$$),
('reverse: a reversal', '55000', $$SELECT ledger.reverse($$ || :pay_r || $$, 'x')$$),
('reverse: a second time, other key', '55000', $$SELECT ledger.reverse($$ || :pay || $$, 'x')$$),
('reverse: the key of another voucher', '23505', $$SELECT ledger.reverse($$ || :pay2 || $$, 'fund')$$),
('reverse: past a floor', '23514', $$SELECT ledger.reverse($$ || :fund || $$, 'x')$$),
-- ---- balances and reports ----
('balance: NULL code', '22004', $$SELECT ledger.balance(NULL)$$),
('balance as of: NULL code', '22004', $$SELECT ledger.balance(NULL, '2026-11-02')$$),
('balance as of: NULL date', '22004', $$SELECT ledger.balance('w1', NULL)$$),
('balance: unknown account', '23503', $$SELECT ledger.balance('nope')$$),
('balance as of: unknown account', '23503', $$SELECT ledger.balance('nope', '2026-11-02')$$),
('balance as of: a day not begun', '22023', $$SELECT ledger.balance('w1', '2026-11-04')$$),
('balance: multi-currency summary', '42804', $$SELECT ledger.balance('mc')$$),
('balance as of: multi-currency summary', '42804', $$SELECT ledger.balance('mc', '2026-11-03')$$),
('trial_balance: NULL from', '22004', $$SELECT * FROM ledger.trial_balance(NULL)$$),
('trial_balance: to before from', '22023', $$SELECT * FROM ledger.trial_balance('2026-11-03', '2026-11-02')$$),
('trial_balance: a day not begun', '22023', $$SELECT * FROM ledger.trial_balance('2026-11-02', '2026-11-05')$$),
('check_books: NULL day', '22004', $$SELECT * FROM ledger.check_books(NULL)$$),
('check_books: no such day', '55000', $$SELECT * FROM ledger.check_books('2026-11-09')$$),
('verify_books: NULL from', '22004', $$SELECT * FROM ledger.verify_books(NULL, '2026-11-03')$$),
('verify_books: NULL to', '22004', $$SELECT * FROM ledger.verify_books('2026-11-02', NULL)$$),
-- ---- book days ----
('open_books: NULL', '22004', $$SELECT ledger.open_books(NULL)$$),
('open_books: vouchers exist', '55000', $$SELECT ledger.open_books('2026-12-01')$$),
('close_day: a closed day', '55000', $$CALL ledger.close_day('2026-11-02')$$),
('close_day: a day that does not exist', '55000', $$CALL ledger.close_day('2026-11-09')$$),
('close_day: inside a transaction block', '2D000', $$CALL ledger.close_day()$$),
('voucher on a closed day', '55000', $$INSERT INTO ledger.voucher (idempotency_key, book_date) VALUES ('x', '2026-11-02')$$),
('voucher on a future day', '55000', $$INSERT INTO ledger.voucher (idempotency_key, book_date) VALUES ('x', '2026-11-04')$$),
('voucher reversing a missing voucher', '23503', $$INSERT INTO ledger.voucher (idempotency_key, reverses) VALUES ('x', -1)$$),
('voucher with an empty key', '22004', $$INSERT INTO ledger.voucher (idempotency_key) VALUES ('')$$),
('entry added to a posted voucher', '55000', $$INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES ($$ || :pay2 || $$, 9, (SELECT id FROM ledger.account WHERE code = 'bank'), '1 CNY')$$),
('entry of a missing voucher', '23503', $$INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (-1, 1, 1, '1 CNY')$$),
('entry on another day than its voucher', '55000', $$WITH v AS (INSERT INTO ledger.voucher (idempotency_key) VALUES ('x') RETURNING id) INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, book_date) SELECT v.id, 1, (SELECT id FROM ledger.account WHERE code = 'bank'), '1 CNY', '2026-11-02' FROM v$$),
('entry on a missing account', '23503', $$WITH v AS (INSERT INTO ledger.voucher (idempotency_key) VALUES ('x') RETURNING id) INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) SELECT v.id, 1, -1, '1 CNY' FROM v$$),
-- ---- immutability ----
('UPDATE a voucher', '55000', $$UPDATE ledger.voucher SET summary = 'changed'$$),
('DELETE a voucher', '55000', $$DELETE FROM ledger.voucher$$),
('TRUNCATE the vouchers', '55000', $$TRUNCATE ledger.voucher$$),
('UPDATE an entry', '55000', $$UPDATE ledger.entry SET memo = 'changed'$$),
('DELETE an entry', '55000', $$DELETE FROM ledger.entry$$),
('TRUNCATE the entries', '55000', $$TRUNCATE ledger.entry$$),
('TRUNCATE the balances', '55000', $$TRUNCATE ledger.account_balance$$),
('TRUNCATE the accounts', '55000', $$TRUNCATE ledger.account CASCADE$$),
('TRUNCATE the book days', '55000', $$TRUNCATE ledger.book_day$$),
('change a closed day', '55000', $$UPDATE ledger.book_day SET digest = '\x00' WHERE book_date = '2026-11-02'$$),
('reopen a closed day', '55000', $$UPDATE ledger.book_day SET status = 'open', digest = NULL, closed_at = NULL WHERE book_date = '2026-11-02'$$),
('delete a book day', '55000', $$DELETE FROM ledger.book_day WHERE book_date = '2026-11-03'$$),
('close the open day by hand', '55000', $$UPDATE ledger.book_day SET status = 'closed', digest = '\x00', closed_at = now() WHERE book_date = '2026-11-03'$$),
('change the daily balances of a closed day', '55000', $$UPDATE ledger.daily_balance SET entries = 0$$),
('TRUNCATE the daily balances', '55000', $$TRUNCATE ledger.daily_balance$$),
-- ---- accounts ----
('account: code with a space', '23514', $$INSERT INTO ledger.account (code, name, kind, currency) VALUES ('a b', 'x', 'asset', 'CNY')$$),
('account: empty code', '23514', $$INSERT INTO ledger.account (code, name, kind, currency) VALUES ('', 'x', 'asset', 'CNY')$$),
('account: duplicate code', '23505', $$INSERT INTO ledger.account (code, name, kind, currency) VALUES ('bank', 'x', 'asset', 'CNY')$$),
('account: NULL name', '23502', $$INSERT INTO ledger.account (code, name, kind, currency) VALUES ('x', NULL, 'asset', 'CNY')$$),
('account: unknown kind', '23514', $$INSERT INTO ledger.account (code, name, kind, currency) VALUES ('x', 'x', 'income', 'CNY')$$),
('account: unknown status', '23514', $$INSERT INTO ledger.account (code, name, kind, currency, status) VALUES ('x', 'x', 'asset', 'CNY', 'dormant')$$),
('account: unknown currency', '22P02', $$INSERT INTO ledger.account (code, name, kind, currency) VALUES ('x', 'x', 'asset', 'XYZ')$$),
('account: normal side of a non-common account', '23514', $$INSERT INTO ledger.account (code, name, kind, currency, metadata) VALUES ('x', 'x', 'asset', 'CNY', '{"normal_side": "credit"}')$$),
('account: floor in another currency', '42804', $$INSERT INTO ledger.account (code, name, kind, currency, floor) VALUES ('x', 'x', 'liability', 'CNY', '0 USD')$$),
('account: floor above the ceiling', '22023', $$INSERT INTO ledger.account (code, name, kind, currency, floor, ceiling) VALUES ('x', 'x', 'liability', 'CNY', '10 CNY', '5 CNY')$$),
('account: hot with a floor', '23514', $$INSERT INTO ledger.account (code, name, kind, currency, hot, floor) VALUES ('x', 'x', 'asset', 'CNY', true, '0 CNY')$$),
('account: missing parent', '23503', $$INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('x', 'x', 'asset', 'CNY', 'nope')$$),
('account: parent of another kind', '22023', $$INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('x', 'x', 'liability', 'CNY', 'sum')$$),
('account: parent in another currency', '42804', $$INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('x', 'x', 'asset', 'USD', 'sum')$$),
('account: a posted account becomes a summary', '55000', $$INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('x', 'x', 'asset', 'CNY', 'bank')$$),
('account: change the currency of a posted account', '55000', $$UPDATE ledger.account SET currency = 'USD' WHERE code = 'bank'$$),
('account: change the code of a posted account', '55000', $$UPDATE ledger.account SET code = 'bank2' WHERE code = 'bank'$$),
('account: close an account with a balance', '55000', $$UPDATE ledger.account SET status = 'closed' WHERE code = 'w1'$$),
('account: reopen a closed account', '55000', $$UPDATE ledger.account SET status = 'open' WHERE code = 'closed'$$),
('account: delete a posted account', '55000', $$DELETE FROM ledger.account WHERE code = 'w2'$$),
('account: under its own sub-account', '22023', $$UPDATE ledger.account SET parent_code = 'sum.1' WHERE code = 'sum'$$),
('account: a floor above the balance', '23514', $$UPDATE ledger.account SET floor = '1000 CNY' WHERE code = 'w2'$$),
('account: a ceiling below the balance', '23514', $$UPDATE ledger.account SET ceiling = '1 CNY' WHERE code = 'w2'$$),
('account: make hot an account with a floor', '23514', $$UPDATE ledger.account SET hot = true WHERE code = 'w1'$$),
('account: make hot an account whose balance one slot cannot hold', '22003', $$UPDATE ledger.account SET hot = true WHERE code = 'jpy.a'$$),
-- ---- reconciliation: the aggregates ----
('recon_diff: NULL side', '22004', $$SELECT ledger.recon_diff(s, a) FROM (VALUES (NULL::text, '1 CNY'::ledger.amount)) v(s, a)$$),
('recon_diff: unknown side', '22023', $$SELECT ledger.recon_diff('ours', '1 CNY')$$),
('recon_diff: side in upper case', '22023', $$SELECT ledger.recon_diff('INTERNAL', '1 CNY')$$),
('recon_diff: NULL amount', '22004', $$SELECT ledger.recon_diff('external', NULL::ledger.amount, 'success')$$),
('recon_diff: two currencies in a group', '42804', $$SELECT ledger.recon_diff(s, a) FROM (VALUES ('internal', '1 CNY'::ledger.amount), ('external', '1 USD')) v(s, a)$$),
('recon_diff: negative tolerance', '22023', $$SELECT ledger.recon_diff('internal', '1 CNY', 'success', '-0.01 CNY')$$),
('recon_diff: tolerance changing within a group', '22023', $$SELECT ledger.recon_diff(s, '1 CNY', NULL, t) FROM (VALUES ('internal', '0.01 CNY'::ledger.amount), ('external', '0.02 CNY')) v(s, t)$$),
('recon_diff: tolerance in another currency', '42804', $$SELECT ledger.recon_diff('internal', '1 CNY', NULL, '0.01 USD')$$),
('recon_total: unknown side', '22023', $$SELECT ledger.recon_total('both', '1 CNY')$$),
('recon_total: NULL amount', '22004', $$SELECT ledger.recon_total('internal', NULL::ledger.amount)$$),
('recon_total: two currencies in a group', '42804', $$SELECT ledger.recon_total(s, a) FROM (VALUES ('internal', '1 CNY'::ledger.amount), ('internal', '1 JPY')) v(s, a)$$),
('recon_total: negative tolerance', '22023', $$SELECT ledger.recon_total('external', '1 CNY', '-1 CNY')$$),
-- ---- reconciliation: the loaders ----
('load_statement_csv: NULL source', '22004', $$SELECT ledger.load_statement_csv(NULL, '2026-11-03', E'ref,external_id,amount\nA,B,1.00\n')$$),
('load_statement_csv: empty source', '22004', $$SELECT ledger.load_statement_csv('', '2026-11-03', E'ref,external_id,amount\nA,B,1.00\n')$$),
('load_statement_csv: NULL date', '22004', $$SELECT ledger.load_statement_csv('psp', NULL, E'ref,external_id,amount\nA,B,1.00\n')$$),
('load_statement_csv: NULL currency', '22004', $$SELECT ledger.load_statement_csv('psp', '2026-11-03', E'ref,external_id,amount\nA,B,1.00\n', NULL)$$),
('load_statement_csv: unknown currency', '22P02', $$SELECT ledger.load_statement_csv('psp', '2026-11-03', E'ref,external_id,amount\nA,B,1.00\n', 'XYZ')$$),
('load_statement_csv: no file and nothing staged', '55000', $$SELECT ledger.load_statement_csv('psp', '2026-11-03')$$),
('load_statement_csv: the stage is a view', '55000', $$CREATE TEMP VIEW ledger_statement_stage AS SELECT 1::bigint AS line_no, 'ref,external_id,amount'::text AS line; SELECT ledger.load_statement_csv('psp', '2026-11-03')$$),
('load_statement_csv: staged, but empty', '55000', $$SELECT ledger.stage_statement(); SELECT ledger.load_statement_csv('psp', '2026-11-03')$$),
('load_statement_csv: a file of blank lines', '22P04', $$SELECT ledger.load_statement_csv('psp', '2026-11-03', E'\n \n')$$),
('load_statement_csv: no header', '22P04', $$SELECT ledger.load_statement_csv('psp', '2026-11-03', E'P2,PSP-2,10.00\n')$$),
('load_statement_csv: a line with an extra field', '22P04', $$SELECT ledger.load_statement_csv('psp', '2026-11-03', E'ref,external_id,amount\nA,B,1.00,x\n')$$),
('load_statement_csv: an unterminated quote', '22P04', $$SELECT ledger.load_statement_csv('psp', '2026-11-03', E'ref,external_id,amount\n"A,B,1.00\n')$$),
('load_statement_csv: a bad amount', '22P04', $$SELECT ledger.load_statement_csv('psp', '2026-11-03', E'ref,external_id,amount\nA,B,1.001\n')$$),
('load_statement_csv: an amount beyond 64 bits', '22P04', $$SELECT ledger.load_statement_csv('psp', '2026-11-03', E'ref,external_id,amount\nA,B,92233720368547758.08\n')$$),
('load_statement_csv: a fee in another currency', '22P04', $$SELECT ledger.load_statement_csv('psp', '2026-11-03', E'ref,external_id,amount,fee\nA,B,1.00,0.01 USD\n')$$),
('load_statement_csv: no ref', '22P04', $$SELECT ledger.load_statement_csv('psp', '2026-11-03', E'ref,external_id,amount\n,B,1.00\n')$$),
('load_statement_csv: a serial twice', '22P04', $$SELECT ledger.load_statement_csv('psp', '2026-11-03', E'ref,external_id,amount\nA,B,1.00\nC,B,2.00\n')$$),
('load_statement_csv: a bad time', '22P04', $$SELECT ledger.load_statement_csv('psp', '2026-11-03', E'ref,external_id,amount,occurred_at\nA,B,1.00,yesterday\n')$$),
('load_wechat_bill: NULL source', '22004', $$SELECT ledger.load_wechat_bill(NULL, '2026-11-03', 'x')$$),
('load_wechat_bill: NULL date', '22004', $$SELECT ledger.load_wechat_bill('wechat', NULL, 'x')$$),
('load_wechat_bill: NULL ref_field', '22004', $$SELECT ledger.load_wechat_bill('wechat', '2026-11-03', 'x', NULL)$$),
('load_wechat_bill: unknown ref_field', '22023', $$SELECT ledger.load_wechat_bill('wechat', '2026-11-03', 'x', 'order_no')$$),
('load_wechat_bill: not a bill', '22P04', $$SELECT ledger.load_wechat_bill('wechat', '2026-11-03', E'ref,external_id,amount\nA,B,1.00\n')$$),
('load_wechat_bill: empty file', '22P04', $$SELECT ledger.load_wechat_bill('wechat', '2026-11-03', '')$$),
('load_wechat_bill: no file and nothing staged', '55000', $$SELECT ledger.load_wechat_bill('wechat', '2026-11-03')$$),
('load_alipay_bill: NULL source', '22004', $$SELECT ledger.load_alipay_bill(NULL, '2026-11-03', '\x23'::bytea)$$),
('load_alipay_bill: NULL date', '22004', $$SELECT ledger.load_alipay_bill('alipay', NULL, '\x23'::bytea)$$),
('load_alipay_bill: not GBK', '22P04', $$SELECT ledger.load_alipay_bill('alipay', '2026-11-03', '\x230aff0a'::bytea)$$),
('load_alipay_bill: not a bill', '22P04', $$SELECT ledger.load_alipay_bill('alipay', '2026-11-03', convert_to(E'ref,external_id,amount\nA,B,1.00\n', 'GBK'))$$),
('load_alipay_bill: empty file', '22P04', $$SELECT ledger.load_alipay_bill('alipay', '2026-11-03', ''::bytea)$$),
('load_alipay_bill: no file and nothing staged', '55000', $$SELECT ledger.load_alipay_bill('alipay', '2026-11-03')$$),
('_csv_fields: a strip of two characters', '22023', $$SELECT ledger._csv_fields('a,b', '``')$$),
-- ---- reconciliation: reconcile and resolve_break ----
('reconcile: NULL source', '22004', $$CALL ledger.reconcile(NULL, '2026-11-03', 'w1')$$),
('reconcile: NULL date', '22004', $$CALL ledger.reconcile('psp', NULL, 'w1')$$),
('reconcile: NULL account', '22004', $$CALL ledger.reconcile('psp', '2026-11-03', NULL)$$),
('reconcile: unknown account', '23503', $$CALL ledger.reconcile('psp', '2026-11-03', 'nope')$$),
('reconcile: summary account', '22023', $$CALL ledger.reconcile('psp', '2026-11-03', 'sum')$$),
('reconcile: multi-currency summary account', '22023', $$CALL ledger.reconcile('psp', '2026-11-03', 'mc')$$),
('reconcile: statement in another currency than the account', '42804', $$CALL ledger.reconcile('psp-usd', '2026-11-03', 'w1')$$),
('resolve_break: NULL break', '22004', $$SELECT ledger.resolve_break(NULL, 'note')$$),
('resolve_break: NULL note', '22004', $$SELECT ledger.resolve_break($$ || :brk8 || $$, NULL)$$),
('resolve_break: blank note', '22004', $$SELECT ledger.resolve_break($$ || :brk8 || $$, '  ')$$),
('resolve_break: unknown break', '23503', $$SELECT ledger.resolve_break(-1, 'note')$$),
('resolve_break: resolved already', '55000', $$SELECT ledger.resolve_break($$ || :brk9 || $$, 'again')$$),
('resolve_break: unknown voucher', '23503', $$SELECT ledger.resolve_break($$ || :brk8 || $$, 'note', -1)$$),
('resolve_break: a voucher that resolves another break', '23505', $$SELECT ledger.resolve_break($$ || :brk8 || $$, 'note', $$ || :fund || $$)$$);

-- ---- run them ----
CREATE TABLE bad_result (n int, label text, expected text, got text, message text, detail text, hint text, wrote boolean);
DO $$
DECLARE
	c record;
	before text;
	st text;
	msg text;
	det text;
	hnt text;
	changed boolean;
BEGIN
	FOR c IN SELECT * FROM bad_case ORDER BY n LOOP
		before := pg_temp.books();
		BEGIN
			EXECUTE c.stmt;
			-- it should have failed: note what it did, then undo it so that
			-- the next cases run against the same books
			st := '00000';
			msg := NULL;
			det := NULL;
			hnt := NULL;
			changed := pg_temp.books() <> before;
			RAISE EXCEPTION 'undo' USING ERRCODE = 'LGR99';
		EXCEPTION
			WHEN SQLSTATE 'LGR99' THEN
				NULL;
			WHEN OTHERS THEN
				GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
					det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
				changed := pg_temp.books() <> before;
		END;
		INSERT INTO bad_result VALUES (c.n, c.label, c.sqlstate, st, msg, NULLIF(det, ''), NULLIF(hnt, ''), changed);
	END LOOP;
END $$;

-- every case, its SQLSTATE and what it tells the caller
\pset format unaligned
\pset fieldsep ' | '
\pset tuples_only on
-- (the time of day and the slot of a hot account, which depends on the
-- backend, are masked)
SELECT n, label, got, message,
       COALESCE('DETAIL: ' || regexp_replace(regexp_replace(detail,
           '\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?([+-]\d\d| [A-Z]{3,5})', '<now>', 'g'), 'slot \d+ of', 'slot <n> of'), '') AS detail
  FROM bad_result ORDER BY n;
\pset format aligned
\pset fieldsep '|'
\pset tuples_only off
-- the verdict
SELECT count(*) AS cases,
       count(*) FILTER (WHERE got <> expected) AS wrong_sqlstate,
       count(*) FILTER (WHERE got = 'XX000') AS internal_errors,
       count(*) FILTER (WHERE coalesce(message, '') = '') AS without_message,
       count(*) FILTER (WHERE detail IS NULL) AS without_detail,
       count(*) FILTER (WHERE wrote) AS wrote_something
  FROM bad_result;
SELECT n, label, expected, got, wrote FROM bad_result WHERE got <> expected OR wrote ORDER BY n;
-- the errors without a DETAIL: only PostgreSQL's own (COMMIT inside a
-- transaction block, which CALL ledger.close_day() does)
SELECT n, label, got, message FROM bad_result WHERE detail IS NULL ORDER BY n;

-- the transaction that ran them all committed; the books go on
SELECT ledger.post('after', ARRAY['w2', 'w1'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]) IS NOT NULL AS posted;
SELECT check_name, ok FROM ledger.check_books('2026-11-03') WHERE NOT ok;
SELECT count(*) AS landed FROM public.landing;
-- and so does reconciliation: the same run again finds the same
CALL ledger.reconcile('psp', '2026-11-03', 'w1');
SELECT source, statement_date, matched_count, missing_internal_count, reversed_count, runs FROM ledger.recon_run;
SELECT class, ref, status FROM ledger.recon_break ORDER BY ref;

\c :regress_db
DROP DATABASE ledger_regress_bad_input;
