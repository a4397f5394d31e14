-- posting: catalog facts of SPEC sections 0, 2, 3 and 4, and the SQLSTATE of
-- every refusal.  (Checks that happen at COMMIT are in sql/voucher.sql: a
-- pgTAP file runs inside one transaction.)
BEGIN;
SET LOCAL search_path = public, ledger;
SELECT plan(126);

-- ---- packaging ----
SELECT has_extension('ledger');
SELECT has_schema('ledger');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'ledger'), false, 'not relocatable');
SELECT is((SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname = 'ledger'), 'ledger', 'installed in schema ledger');

-- ---- tables and columns of the contract ----
SELECT has_table('ledger', t, 'table ledger.' || t)
  FROM unnest(ARRAY['account', 'book_day', 'voucher', 'entry', 'account_balance']) t;
SELECT columns_are('ledger', 'account', ARRAY['id', 'code', 'name', 'parent_code', 'kind', 'currency',
	'floor', 'ceiling', 'hot', 'status', 'created_at', 'metadata', 'reconcilable']);
SELECT col_type_is('ledger', 'account', 'id', 'bigint', 'account.id is bigint');
SELECT col_type_is('ledger', 'account', 'floor', 'amount', 'account.floor is ledger.amount');
SELECT col_type_is('ledger', 'account', 'metadata', 'jsonb', 'account.metadata is jsonb');
SELECT col_is_unique('ledger', 'account', ARRAY['code'], 'account.code is unique');
SELECT col_not_null('ledger', 'account', 'code', 'account.code is not null');
SELECT col_not_null('ledger', 'account', 'name', 'account.name is not null');
SELECT col_not_null('ledger', 'account', 'kind', 'account.kind is not null');
SELECT col_default_is('ledger', 'account', 'hot', 'false', 'account.hot defaults to false');
SELECT col_default_is('ledger', 'account', 'status', 'open'::text, 'account.status defaults to open');
SELECT col_is_pk('ledger', 'book_day', ARRAY['book_date'], 'book_day.book_date is the primary key');
SELECT has_column('ledger', 'book_day', c, 'book_day.' || c)
  FROM unnest(ARRAY['status', 'opened_at', 'closed_at', 'digest']) c;
SELECT col_type_is('ledger', 'book_day', 'digest', 'bytea', 'book_day.digest is bytea');
SELECT has_column('ledger', 'voucher', c, 'voucher.' || c)
  FROM unnest(ARRAY['id', 'book_date', 'idempotency_key', 'ref', 'summary', 'reverses', 'created_at', 'created_by', 'metadata']) c;
SELECT col_is_unique('ledger', 'voucher', ARRAY['idempotency_key'], 'voucher.idempotency_key is unique');
SELECT col_not_null('ledger', 'voucher', 'idempotency_key', 'voucher.idempotency_key is not null');
SELECT has_column('ledger', 'entry', c, 'entry.' || c)
  FROM unnest(ARRAY['voucher_id', 'line_no', 'account_id', 'amount', 'book_date', 'memo']) c;
SELECT col_type_is('ledger', 'entry', 'amount', 'amount', 'entry.amount is ledger.amount');
SELECT has_view('ledger', 'journal', 'view ledger.journal');
SELECT columns_are('ledger', 'journal', ARRAY['book_date', 'voucher_id', 'idempotency_key', 'ref', 'summary',
	'line_no', 'account_code', 'account_name', 'debit', 'credit', 'memo']);
SELECT has_view('ledger', 'balances', 'view ledger.balances');
SELECT columns_are('ledger', 'balances', ARRAY['account_code', 'account_name', 'kind', 'currency', 'balance',
	'held_debit', 'held_credit', 'available']);

-- ---- functions ----
SELECT function_returns('ledger', 'post', ARRAY['text', 'text[]', 'amount[]', 'text', 'text', 'jsonb'], 'bigint');
SELECT function_returns('ledger', 'reverse', ARRAY['bigint', 'text', 'text', 'boolean'], 'bigint');
SELECT function_returns('ledger', 'balance', ARRAY['text'], 'amount');
SELECT function_returns('ledger', 'current_book_date', ARRAY[]::text[], 'date');
SELECT function_returns('ledger', 'open_books', ARRAY['date'], 'date');
SELECT is_definer('ledger', 'post', ARRAY['text', 'text[]', 'amount[]', 'text', 'text', 'jsonb']);
SELECT is_definer('ledger', 'reverse', ARRAY['bigint', 'text', 'text', 'boolean']);
SELECT volatility_is('ledger', 'post', ARRAY['text', 'text[]', 'amount[]', 'text', 'text', 'jsonb'], 'volatile');
SELECT volatility_is('ledger', 'balance', ARRAY['text'], 'stable');
SELECT is(
	(SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	  WHERE n.nspname = 'ledger' AND p.prosecdef
	    AND NOT ('search_path=pg_catalog, pg_temp' = ANY (COALESCE(p.proconfig, '{}')))),
	0, 'every SECURITY DEFINER function pins search_path to pg_catalog, pg_temp');

-- ---- triggers enforce the invariants on every write path ----
SELECT trigger_is('ledger', 'voucher', 'voucher_inserted', 'ledger', '_voucher_inserted');
SELECT trigger_is('ledger', 'entry', 'entry_inserted', 'ledger', '_entry_inserted');
SELECT trigger_is('ledger', 'voucher', 'voucher_immutable', 'ledger', '_immutable');
SELECT trigger_is('ledger', 'entry', 'entry_immutable', 'ledger', '_immutable');
SELECT trigger_is('ledger', 'entry', 'entry_no_truncate', 'ledger', '_immutable');
SELECT is((SELECT tgtype & 1 FROM pg_trigger WHERE tgname = 'entry_inserted')::int, 0,
	'the entry check is a statement trigger, so COPY keeps its batched inserts');
SELECT isnt((SELECT tgnewtable FROM pg_trigger WHERE tgname = 'entry_inserted'), NULL,
	'the entry check reads the statement''s transition table');
SELECT is((SELECT array_agg(t.tgname::text ORDER BY t.tgname) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE c.relname IN ('voucher', 'entry') AND NOT t.tgisinternal AND (t.tgtype & 2) <> 0
              AND (t.tgtype & 4) <> 0), ARRAY['voucher_stamp'],
	'no BEFORE INSERT ROW trigger on entry (COPY of entries keeps its batched inserts); on voucher only the audit stamp');

-- ---- dump registration and privileges ----
SELECT ok((SELECT array_agg(c.relname::text) FROM pg_extension e, unnest(e.extconfig) x JOIN pg_class c ON c.oid = x
            WHERE e.extname = 'ledger') @> ARRAY['account', 'account_balance', 'book_day', 'voucher', 'entry',
            'voucher_id_seq', 'account_id_seq'], 'user-data tables and sequences are dumped by pg_dump');
SELECT is((SELECT count(*)::int FROM information_schema.role_table_grants
            WHERE table_schema = 'ledger' AND grantee = 'PUBLIC'), 0, 'PUBLIC has no privileges on ledger tables');
SELECT ok(NOT has_function_privilege('public', 'ledger.post(text, text[], ledger.amount[], text, text, jsonb)', 'EXECUTE'),
	'PUBLIC cannot execute ledger.post');
SELECT ok(NOT has_function_privilege('public', 'ledger.reverse(bigint, text, text, boolean)', 'EXECUTE'),
	'PUBLIC cannot execute ledger.reverse');

-- ---- one open day ----
SELECT is((SELECT count(*)::int FROM ledger.book_day WHERE status = 'open'), 1, 'exactly one open day');
SELECT is(ledger.current_book_date(), (SELECT book_date FROM ledger.book_day WHERE status = 'open'),
	'current_book_date() is the open day');

-- ---- a small chart for the refusals ----
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('t.sum', 'summary', 'asset', 'CNY'),
	('t.usd', 'usd', 'asset', 'USD');
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES
	('t.bank', 'bank', 'asset', 'CNY', 't.sum');
INSERT INTO ledger.account (code, name, kind, currency, floor, ceiling) VALUES
	('t.wallet', 'wallet', 'liability', 'CNY', '0 CNY', '100 CNY'),
	('t.frozen', 'frozen', 'liability', 'CNY', NULL, NULL);
UPDATE ledger.account SET status = 'frozen' WHERE code = 't.frozen';

SELECT lives_ok($$SELECT ledger.post('t-1', ARRAY['t.bank', 't.wallet'], ARRAY['60 CNY', '-60 CNY']::ledger.amount[])$$,
	'a balanced voucher posts');
SELECT is(ledger.post('t-1', ARRAY['t.bank', 't.wallet'], ARRAY['60 CNY', '-60 CNY']::ledger.amount[]),
	(SELECT id FROM ledger.voucher WHERE idempotency_key = 't-1'), 'a replay returns the same voucher');
SELECT is(ledger.balance('t.wallet'), '60.00 CNY'::ledger.amount, 'balance on the normal side');

SELECT throws_ok($$SELECT ledger.post('t-1', ARRAY['t.bank', 't.wallet'], ARRAY['61 CNY', '-61 CNY']::ledger.amount[])$$,
	'23505', NULL, 'same key, other content: 23505');
SELECT throws_ok($$SELECT ledger.post(NULL, ARRAY['t.bank', 't.wallet'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$,
	'22004', NULL, 'NULL key: 22004');
SELECT throws_ok($$SELECT ledger.post('t-x', ARRAY['t.bank', NULL], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$,
	'22004', NULL, 'NULL account: 22004');
SELECT throws_ok($$SELECT ledger.post('t-x', ARRAY['t.bank', 't.wallet'], ARRAY['1 CNY']::ledger.amount[])$$,
	'22023', NULL, 'arrays of different lengths: 22023');
SELECT throws_ok($$SELECT ledger.post('t-x', ARRAY['t.bank', 'no.such'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$,
	'23503', NULL, 'unknown account: 23503');
SELECT throws_ok($$SELECT ledger.post('t-x', ARRAY['t.bank', 't.wallet'], ARRAY['1 CNY', '-2 CNY']::ledger.amount[])$$,
	'23514', NULL, 'unbalanced: 23514');
SELECT throws_ok($$SELECT ledger.post('t-x', ARRAY['t.bank'], ARRAY['1 CNY']::ledger.amount[])$$,
	'23514', NULL, 'one entry: 23514');
SELECT throws_ok($$SELECT ledger.post('t-x', ARRAY['t.bank', 't.wallet'], ARRAY['0 CNY', '0 CNY']::ledger.amount[])$$,
	'22023', NULL, 'zero amount: 22023');
SELECT throws_ok($$SELECT ledger.post('t-x', ARRAY['t.usd', 't.wallet'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$,
	'42804', NULL, 'amount not in the account''s currency: 42804');
SELECT throws_ok($$SELECT ledger.post('t-x', ARRAY['t.sum', 't.wallet'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$,
	'55000', NULL, 'summary account: 55000');
SELECT throws_ok($$SELECT ledger.post('t-x', ARRAY['t.bank', 't.frozen'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])$$,
	'55000', NULL, 'frozen account: 55000');
SELECT throws_ok($$SELECT ledger.post('t-x', ARRAY['t.wallet', 't.bank'], ARRAY['60.01 CNY', '-60.01 CNY']::ledger.amount[])$$,
	'23514', NULL, 'below the floor: 23514');
SELECT throws_ok($$SELECT ledger.post('t-x', ARRAY['t.bank', 't.wallet'], ARRAY['40.01 CNY', '-40.01 CNY']::ledger.amount[])$$,
	'23514', NULL, 'above the ceiling: 23514');
SELECT is((SELECT count(*)::int FROM ledger.voucher WHERE idempotency_key = 't-x'), 0, 'refused vouchers wrote nothing');
SELECT is(ledger.balance('t.wallet'), '60.00 CNY'::ledger.amount, 'refused vouchers moved no balance');
SELECT throws_ok($$SELECT ledger.balance('no.such')$$, '23503', NULL, 'balance of an unknown account: 23503');
SELECT throws_ok($$SELECT ledger.balance(NULL)$$, '22004', 'code must not be null', 'balance of NULL: 22004');
SELECT throws_ok($$SELECT ledger.balance(NULL, ledger.current_book_date())$$, '22004', 'code must not be null',
	'balance of NULL as of a date: 22004');
SELECT throws_ok($$SELECT * FROM ledger.check_books(NULL)$$, '22004', 'book_date must not be null', 'check_books(NULL): 22004');

-- reversal
SELECT lives_ok($$SELECT ledger.reverse((SELECT id FROM ledger.voucher WHERE idempotency_key = 't-1'), 't-1-r')$$,
	'a voucher reverses');
SELECT is(ledger.balance('t.wallet'), '0.00 CNY'::ledger.amount, 'the reversal restores the balance');
SELECT throws_ok($$SELECT ledger.reverse((SELECT id FROM ledger.voucher WHERE idempotency_key = 't-1'), 't-1-r2')$$,
	'55000', NULL, 'a second reversal: 55000');
SELECT throws_ok($$SELECT ledger.reverse((SELECT id FROM ledger.voucher WHERE idempotency_key = 't-1-r'), 't-1-rr')$$,
	'55000', NULL, 'reversing a reversal: 55000');
SELECT throws_ok($$SELECT ledger.reverse(-1, 't-none')$$, '23503', NULL, 'reversing nothing: 23503');

-- plain SQL paths meet the same checks
SELECT throws_ok($$INSERT INTO ledger.voucher (idempotency_key, book_date) VALUES ('t-d', ledger.current_book_date() - 1)$$,
	'55000', NULL, 'a voucher on a past day: 55000');
SELECT throws_ok($$INSERT INTO ledger.voucher (idempotency_key, book_date) VALUES ('t-d', ledger.current_book_date() + 1)$$,
	'55000', NULL, 'a voucher on a future day: 55000');
SELECT throws_ok($$INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (-5, 1, 1, '1 CNY')$$,
	'23503', NULL, 'an entry of a missing voucher: 23503');
SELECT throws_ok($$INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (
	(SELECT id FROM ledger.voucher WHERE idempotency_key = 't-1'), 9, -1, '1 CNY')$$,
	'23503', NULL, 'an entry on a missing account: 23503');

-- immutability
SELECT throws_ok($$UPDATE ledger.voucher SET summary = 'x'$$, '55000', NULL, 'UPDATE voucher: 55000');
SELECT throws_ok($$DELETE FROM ledger.voucher$$, '55000', NULL, 'DELETE voucher: 55000');
SELECT throws_ok($$TRUNCATE ledger.voucher$$, '55000', NULL, 'TRUNCATE voucher: 55000');
SELECT throws_ok($$UPDATE ledger.entry SET memo = 'x'$$, '55000', NULL, 'UPDATE entry: 55000');
SELECT throws_ok($$DELETE FROM ledger.entry$$, '55000', NULL, 'DELETE entry: 55000');
SELECT throws_ok($$TRUNCATE ledger.entry$$, '55000', NULL, 'TRUNCATE entry: 55000');

-- accounts
SELECT lives_ok($$SELECT ledger.post('t-2', ARRAY['t.bank', 't.wallet'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[])$$,
	'the bank holds money again');
SELECT throws_ok($$DELETE FROM ledger.account WHERE code = 't.bank'$$, '55000', NULL, 'deleting a posted account: 55000');
SELECT throws_ok($$UPDATE ledger.account SET currency = 'USD' WHERE code = 't.bank'$$, '55000', NULL,
	'changing the currency of a posted account: 55000');
SELECT throws_ok($$UPDATE ledger.account SET status = 'closed' WHERE code = 't.bank'$$, '55000', NULL,
	'closing an account with a balance: 55000');
SELECT throws_ok($$INSERT INTO ledger.account (code, name, kind, currency, hot, floor) VALUES ('t.hot', 'x', 'asset', 'CNY', true, '0 CNY')$$,
	'23514', NULL, 'a hot account with a floor: 23514');
SELECT throws_ok($$INSERT INTO ledger.account (code, name, kind, currency) VALUES ('t.bad', 'x', 'asset', 'ZZZ')$$,
	'22P02', NULL, 'an unknown currency: 22P02');
SELECT throws_ok($$INSERT INTO ledger.account (code, name, kind, currency, floor) VALUES ('t.bad', 'x', 'asset', 'CNY', '0 USD')$$,
	'42804', NULL, 'a floor in another currency: 42804');
SELECT throws_ok($$INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('t.bad', 'x', 'asset', 'CNY', 'no.such')$$,
	'23503', NULL, 'a missing parent: 23503');
SELECT throws_ok($$INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('t.bad', 'x', 'asset', 'CNY', 't.bank')$$,
	'55000', NULL, 'a posted account cannot become a summary: 55000');
SELECT throws_ok($$SELECT ledger.open_books('2000-01-01')$$, '55000', NULL, 'open_books once vouchers exist: 55000');

-- balances beyond 64 bits: 22003, nothing written
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('t.jpy', 'jpy asset', 'asset', 'JPY'), ('t.jpy2', 'jpy asset', 'asset', 'JPY'),
	('t.jpyl', 'jpy liability', 'liability', 'JPY'), ('t.jpyl2', 'jpy liability', 'liability', 'JPY');
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES ('t.jpyhot', 'jpy clearing', 'asset', 'JPY', true);
SELECT lives_ok($$SELECT ledger.post('t-max', ARRAY['t.jpy', 't.jpyl'],
	ARRAY['9223372036854775807 JPY', '-9223372036854775807 JPY']::ledger.amount[])$$, 'the largest balance posts');
SELECT throws_ok($$SELECT ledger.post('t-over', ARRAY['t.jpy', 't.jpyl2'], ARRAY['1 JPY', '-1 JPY']::ledger.amount[])$$,
	'22003', 'balance of account "t.jpy" would be out of range', 'an asset balance past 64 bits: 22003');
SELECT throws_ok($$SELECT ledger.post('t-over', ARRAY['t.jpy2', 't.jpyl'], ARRAY['1 JPY', '-1 JPY']::ledger.amount[])$$,
	'22003', 'balance of account "t.jpyl" would be out of range', 'a liability balance past 64 bits: 22003');
SELECT throws_ok($$SELECT ledger.post('t-over', ARRAY['t.jpyhot', 't.jpyl2'],
	ARRAY['576460752303423488 JPY', '-576460752303423488 JPY']::ledger.amount[])$$,
	'22003', 'balance of account "t.jpyhot" would be out of range',
	'a slot of a hot account past its 1/16 share of 64 bits (16 slots could sum past 64 bits): 22003');
SELECT lives_ok($$SELECT ledger.post('t-share', ARRAY['t.jpyhot', 't.jpyl2'],
	ARRAY['576460752303423487 JPY', '-576460752303423487 JPY']::ledger.amount[])$$, 'a hot slot holds its full share');
SELECT throws_ok($$UPDATE ledger.account SET hot = true WHERE code = 't.jpy'$$, '22003', NULL,
	'an account whose balance one slot cannot hold does not become hot: 22003');
SELECT is((SELECT count(*)::int FROM ledger.voucher WHERE idempotency_key = 't-over'), 0, 'the refused vouchers wrote nothing');
SELECT is(ARRAY[ledger.balance('t.jpy'), ledger.balance('t.jpyl'), ledger.balance('t.jpy2'), ledger.balance('t.jpyhot')],
	ARRAY['9223372036854775807 JPY', '9223372036854775807 JPY', '0 JPY', '576460752303423487 JPY']::ledger.amount[],
	'and moved no balance');

SELECT * FROM finish();
ROLLBACK;
