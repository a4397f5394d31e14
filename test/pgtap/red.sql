-- red: catalog facts and error classes of SPEC section 10 — red-letter
-- reversals, the trial aggregate's red form, the day digest's version, balance
-- assertions, ledger.post with text amounts, and that no call of the 1.0
-- forms became ambiguous.  (The cutoff and the digest need COMMIT: see
-- sql/red.sql, sql/assertion.sql and test/scripts/digest_version.sh.)
BEGIN;
SET LOCAL search_path = public, ledger;
SELECT plan(68);

-- ---- red-letter reversals: the catalog ----
SELECT has_column('ledger', 'entry', 'red', 'entry.red');
SELECT col_type_is('ledger', 'entry', 'red', 'boolean', 'entry.red is boolean');
SELECT col_not_null('ledger', 'entry', 'red', 'entry.red is not null');
SELECT col_default_is('ledger', 'entry', 'red', 'false', 'entry.red defaults to false');
SELECT has_column('ledger', 'book_day', 'digest_version', 'book_day.digest_version');
SELECT col_hasnt_default('ledger', 'book_day', 'digest_version', 'book_day.digest_version is set when a day is sealed');
SELECT has_function('ledger', 'reverse', ARRAY['bigint', 'text', 'text', 'boolean'], 'ledger.reverse(voucher_id, idempotency_key, summary, red)');
SELECT hasnt_function('ledger', 'reverse', ARRAY['bigint', 'text', 'text'], 'the three-argument ledger.reverse is replaced, not overloaded');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE proname = 'reverse' AND pronamespace = 'ledger'::regnamespace), 1, 'one ledger.reverse');
SELECT is((SELECT pg_get_function_arguments('ledger.reverse(bigint, text, text, boolean)'::regprocedure)),
	'voucher_id bigint, idempotency_key text, summary text DEFAULT NULL::text, red boolean DEFAULT true',
	'ledger.reverse: summary defaults to NULL, red to true');
SELECT function_returns('ledger', 'reverse', ARRAY['bigint', 'text', 'text', 'boolean'], 'bigint');
SELECT is_definer('ledger', 'reverse', ARRAY['bigint', 'text', 'text', 'boolean']);
SELECT isa_ok(ledger.trial('1 CNY'::ledger.amount, true), 'ledger.trial_result', 'ledger.trial(amount, red)');
SELECT is_aggregate('ledger', 'trial', ARRAY['amount', 'boolean'], 'ledger.trial(amount, red) is an aggregate');
SELECT is((SELECT proparallel::text FROM pg_proc WHERE oid = 'ledger.trial(ledger.amount, boolean)'::regprocedure), 's',
	'ledger.trial(amount, red) is parallel safe');
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
            WHERE p.proname = 'trial' AND p.pronamespace = 'ledger'::regnamespace AND a.aggcombinefn <> 0
              AND a.aggserialfn <> 0 AND a.aggdeserialfn <> 0), 2, 'both trial aggregates combine, serialise and deserialise');

-- ---- the red form of the aggregate ----
SELECT is((SELECT (ledger.trial(x, r)).debit::text FROM (VALUES ('-30.00 CNY'::ledger.amount, true)) v(x, r)),
	'-30.00 CNY', 'a red entry of -30.00 lowers the debits by 30.00');
SELECT is((SELECT (ledger.trial(x, r)).credit::text FROM (VALUES ('30.00 CNY'::ledger.amount, true)) v(x, r)),
	'-30.00 CNY', 'a red entry of +30.00 lowers the credits by 30.00');
SELECT is((SELECT (ledger.trial(x, r)).debit::text FROM (VALUES ('30.00 CNY'::ledger.amount, false), ('-30.00 CNY', true)) v(x, r)),
	'0.00 CNY', 'a blue debit and its red correction net to zero debits');
SELECT is((SELECT row((ledger.trial(x, false)).*)::text FROM (VALUES ('5 CNY'::ledger.amount), ('-5 CNY')) v(x)),
          (SELECT row((ledger.trial(x)).*)::text FROM (VALUES ('5 CNY'::ledger.amount), ('-5 CNY')) v(x)),
	'ledger.trial(amount, false) equals ledger.trial(amount)');
SELECT throws_ok($$SELECT ledger.trial(x, true) FROM (VALUES ('1 CNY'::ledger.amount), ('1 USD')) v(x)$$, '42804', NULL,
	'ledger.trial(amount, red): one currency per group');

-- ---- red reversals: journal, balances, idempotency ----
SELECT ledger.open_books(current_date);
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('tap.bank', 'bank', 'asset', 'CNY'), ('tap.w1', 'wallet 1', 'liability', 'CNY'),
	('tap.w2', 'wallet 2', 'liability', 'CNY'), ('tap.fx', 'usd', 'asset', 'USD');
CREATE TEMP TABLE v AS SELECT ledger.post('tap-top', ARRAY['tap.bank', 'tap.w1'], ARRAY['100 CNY', '-100 CNY']::ledger.amount[]) AS top;
ALTER TABLE v ADD pay bigint, ADD pay_red bigint, ADD pay2 bigint, ADD pay2_blue bigint;
UPDATE v SET pay = ledger.post('tap-pay', ARRAY['tap.w1', 'tap.w2'], ARRAY['30 CNY', '-30 CNY']::ledger.amount[]);
UPDATE v SET pay_red = ledger.reverse(pay, 'tap-pay-red');
SELECT is((SELECT array_agg(concat_ws('|', debit, credit) ORDER BY line_no) FROM ledger.journal, v WHERE voucher_id = v.pay_red),
	ARRAY['-30.00 CNY', '-30.00 CNY'], 'the journal shows a red reversal on the original sides, as negative figures');
SELECT is((SELECT array_agg(debit IS NOT NULL ORDER BY line_no) FROM ledger.journal, v WHERE voucher_id = v.pay_red),
	ARRAY[true, false], 'the red entry of a debit is on the debit side');
SELECT is((SELECT bool_and(red) FROM ledger.entry, v WHERE voucher_id = v.pay_red), true, 'its entries are red');
SELECT is(ledger.balance('tap.w1')::text, '100.00 CNY', 'balances move as with an opposite-side reversal');
SELECT is(ledger.balance('tap.w2')::text, '0.00 CNY', 'balances move as with an opposite-side reversal (2)');
SELECT is((SELECT ledger.reverse(pay, 'tap-pay-red') FROM v), (SELECT pay_red FROM v), 'a repeated red reversal returns the first');
SELECT throws_ok($$SELECT ledger.reverse(pay, 'tap-pay-red', NULL, false) FROM v$$, '23505', NULL,
	'the same key for a blue reversal is other content (23505)');
SELECT throws_ok($$SELECT ledger.reverse(pay, 'tap-pay-red-2') FROM v$$, '55000', NULL, 'a voucher is reversed once');
SELECT throws_ok($$SELECT ledger.reverse(pay_red, 'tap-pay-red-red') FROM v$$, '55000', NULL, 'a red reversal cannot be reversed');
SELECT throws_ok($$SELECT ledger.reverse(pay, 'tap-null-red', NULL, NULL) FROM v$$, '22004', NULL, 'red must not be null');
UPDATE v SET pay2 = ledger.post('tap-pay2', ARRAY['tap.w1', 'tap.w2'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[]);
UPDATE v SET pay2_blue = ledger.reverse(pay2, 'tap-pay2-blue', red => false);
SELECT is((SELECT array_agg(concat_ws('|', debit, credit) ORDER BY line_no) FROM ledger.journal, v WHERE voucher_id = v.pay2_blue),
	ARRAY['10.00 CNY', '10.00 CNY'], 'red => false: positive figures on the opposite sides');
SELECT is((SELECT array_agg(credit IS NOT NULL ORDER BY line_no) FROM ledger.journal, v WHERE voucher_id = v.pay2_blue),
	ARRAY[true, false], 'red => false: the debit is reversed on the credit side');
SELECT is((SELECT bool_or(red) FROM ledger.entry, v WHERE voucher_id = v.pay2_blue), false, 'red => false writes no red entry');

-- ---- the day's trial and checks ----
SELECT is((SELECT (ledger.trial(amount, red)).debit::text FROM ledger.entry WHERE book_date = ledger.current_book_date()
             AND ledger.currency(amount) = 'CNY'),
	'120.00 CNY', 'period debits: the red reversal nets out, the blue one adds');
SELECT is((SELECT detail FROM ledger.check_books(ledger.current_book_date()) WHERE check_name = 'period_debits_equal_credits'),
	'debits 120.00 CNY, credits 120.00 CNY', 'check_books: period debits and credits net the red entries');
SELECT is((SELECT ok FROM ledger.check_books(ledger.current_book_date()) WHERE check_name = 'red_entries_reverse'), true,
	'check_books: red_entries_reverse');
SELECT is((SELECT period_debit::text FROM ledger.trial_balance(ledger.current_book_date()) WHERE account_code = 'tap.w1'),
	'10.00 CNY', 'trial balance: a wallet''s period debits net its red correction');

-- ---- red entries by plain INSERT ----
SELECT lives_ok($$
	WITH vch AS (INSERT INTO ledger.voucher (idempotency_key, reverses)
	             SELECT 'tap-top-red', top FROM v RETURNING id)
	INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, red)
	SELECT vch.id, x.n, a.id, x.amt::ledger.amount, true
	  FROM vch, (VALUES (1, 'tap.bank', '-100 CNY'), (2, 'tap.w1', '100 CNY')) x(n, code, amt)
	  JOIN ledger.account a ON a.code = x.code$$, 'red entries in a voucher that reverses another: accepted');
SELECT throws_ok($$
	WITH vch AS (INSERT INTO ledger.voucher (idempotency_key) VALUES ('tap-red-alone') RETURNING id)
	INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, red)
	SELECT vch.id, 1, a.id, '-1 CNY', true FROM vch, ledger.account a WHERE a.code = 'tap.w1'$$,
	'23514', NULL, 'a red entry in a voucher that reverses nothing: 23514 when written');

-- ---- ledger.post with text amounts, and no call became ambiguous ----
SELECT has_function('ledger', 'post', ARRAY['text', 'text[]', 'text[]', 'text', 'text', 'jsonb'], 'ledger.post with amounts text[]');
SELECT has_function('ledger', 'post', ARRAY['text', 'text[]', 'text', 'text', 'text', 'jsonb'], 'ledger.post with amounts as one literal');
SELECT is_definer('ledger', 'post', ARRAY['text', 'text[]', 'text[]', 'text', 'text', 'jsonb']);
SELECT is_definer('ledger', 'post', ARRAY['text', 'text[]', 'text', 'text', 'text', 'jsonb']);
SELECT lives_ok($$SELECT ledger.post('tap-t1', ARRAY['tap.bank', 'tap.w2'], ARRAY['1 CNY', '-1 CNY'])$$,
	'text[] amounts (a driver''s list of strings) need no cast');
SELECT lives_ok($$SELECT ledger.post('tap-t2', ARRAY['tap.bank', 'tap.w2'], ARRAY['1 CNY', '-1 CNY'], 's', 'r')$$,
	'post(unknown, text[], text[], unknown, unknown) resolves (psycopg2 with summary and ref)');
SELECT lives_ok($$SELECT ledger.post('tap-t3', ARRAY['tap.bank', 'tap.w2'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$,
	'amount[] amounts still resolve');
SELECT lives_ok($$SELECT ledger.post('tap-t4', ARRAY['tap.bank', 'tap.w2'], '{1 CNY,-1 CNY}')$$,
	'an untyped array literal still resolves');
SELECT lives_ok($$SELECT ledger.post('tap-t5', '{tap.bank,tap.w2}', '{1 CNY,-1 CNY}', NULL, NULL, NULL)$$,
	'all-untyped arguments still resolve');
SELECT lives_ok($$SELECT ledger.post('tap-t6', ARRAY['tap.bank', 'tap.w2'], ARRAY['1 CNY'::ledger.amount, '-1 CNY'])$$,
	'an ARRAY of amounts still resolves');
SELECT lives_ok($$SELECT ledger.post('tap-t7'::text, ARRAY['tap.bank', 'tap.w2']::text[], ARRAY['1 CNY', '-1 CNY']::text[],
	NULL::text, NULL::text, NULL::jsonb)$$, 'fully typed text[] arguments resolve');
UPDATE v SET pay = ledger.post('tap-r3', ARRAY['tap.bank', 'tap.w2'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
SELECT lives_ok($$SELECT ledger.reverse(pay, 'tap-ambiguity', 'summary') FROM v$$,
	'ledger.reverse with three arguments still resolves');
SELECT is((SELECT count(*)::int FROM ledger.voucher WHERE idempotency_key LIKE 'tap-t_'), 7, 'each form posted one voucher');
SELECT throws_ok($$SELECT ledger.post('tap-t8', ARRAY['tap.bank', 'tap.w2'], ARRAY['1 CNY', 'one'])$$, '22P02', NULL,
	'a bad amount in text[]: 22P02');
SELECT throws_ok($$SELECT ledger.post('tap-t8', ARRAY['tap.bank', 'tap.w2'], ARRAY['1 CNY', '-2 CNY'])$$, '23514', NULL,
	'an unbalanced voucher in text[]: 23514');

-- ---- balance assertions ----
SELECT has_table('ledger', 'assertion', 'table ledger.assertion');
SELECT columns_are('ledger', 'assertion', ARRAY['name', 'lhs', 'relation', 'rhs', 'currency', 'tolerance', 'blocking']);
SELECT col_is_pk('ledger', 'assertion', ARRAY['name'], 'assertion.name is the primary key');
SELECT col_type_is('ledger', 'assertion', 'tolerance', 'amount', 'assertion.tolerance is ledger.amount');
SELECT col_default_is('ledger', 'assertion', 'blocking', 'true', 'assertions block by default');
SELECT ok((SELECT 'ledger.assertion'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'ledger'),
	'ledger.assertion is dumped by pg_dump');
SELECT ok(NOT has_function_privilege('public', 'ledger.check_assertions()', 'EXECUTE'), 'PUBLIC cannot execute check_assertions');
SELECT throws_ok($$INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES ('x', '{nope}', '=', '{}', 'CNY')$$,
	'23503', NULL, 'an assertion names existing accounts');
SELECT throws_ok($$INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES ('x', '{tap.w1}', '<>', '{}', 'CNY')$$,
	'23514', NULL, 'relation is =, <= or >=');
SELECT throws_ok($$INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency, tolerance) VALUES ('x', '{tap.w1}', '=', '{}', 'CNY', '1 USD')$$,
	'42804', NULL, 'the tolerance is in the assertion''s currency');
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES
	('tap_cover', '{tap.w1,tap.w2}', '<=', '{tap.bank}', 'CNY'),
	('tap_w2_zero', '{tap.w2}', '=', '{}', 'CNY');
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency, blocking) VALUES ('tap_w2_soft', '{tap.w2}', '=', '{}', 'CNY', false);
SELECT results_eq($$SELECT name, ok FROM ledger.check_assertions() WHERE name LIKE 'tap%'$$,
	$$VALUES ('tap_cover'::text, true), ('tap_w2_soft', false), ('tap_w2_zero', false)$$,
	'check_assertions: pass and fail on the current balances');
SELECT alike((SELECT detail FROM ledger.check_assertions() WHERE name = 'tap_w2_soft'), '%(not blocking)',
	'a failing assertion that does not block says so');
SELECT results_eq($$SELECT check_name, ok FROM ledger.check_books(ledger.current_book_date()) WHERE check_name LIKE 'assertion:tap%'$$,
	$$VALUES ('assertion:tap_cover'::text, true), ('assertion:tap_w2_soft', false), ('assertion:tap_w2_zero', false)$$,
	'check_books evaluates each assertion as check assertion:<name>');

SELECT * FROM finish();
ROLLBACK;
