-- holds and the account history: catalog facts of SPEC section 8 and the
-- SQLSTATE of every refusal.  (Races are in test/specs/hold_*.spec; the
-- cutoff, which commits, in sql/holds.sql.)
BEGIN;
SET LOCAL search_path = public, ledger;
SELECT plan(64);

-- ---- tables, columns, views ----
SELECT has_table('ledger', t, 'table ledger.' || t) FROM unnest(ARRAY['hold', 'hold_line']) t;
SELECT has_column('ledger', 'hold', c, 'hold.' || c)
  FROM unnest(ARRAY['id', 'idempotency_key', 'status', 'book_date', 'summary', 'ref', 'metadata',
                    'created_at', 'expires_at', 'settled_at', 'voucher_id']) c;
SELECT col_is_unique('ledger', 'hold', ARRAY['idempotency_key'], 'hold.idempotency_key is unique');
SELECT columns_are('ledger', 'hold_line', ARRAY['hold_id', 'line_no', 'account_id', 'amount']);
SELECT col_type_is('ledger', 'hold_line', 'amount', 'amount', 'hold_line.amount is ledger.amount');
SELECT has_column('ledger', 'voucher', 'hold_id', 'voucher.hold_id');
SELECT has_column('ledger', 'daily_balance', c, 'daily_balance.' || c) FROM unnest(ARRAY['held_debit', 'held_credit']) c;
SELECT has_view('ledger', 'holds', 'view ledger.holds');
SELECT is((SELECT count(*)::int FROM pg_extension e, unnest(e.extconfig) c
            WHERE e.extname = 'ledger' AND c IN ('ledger.hold'::regclass, 'ledger.hold_line'::regclass,
                                                 'ledger.hold_id_seq'::regclass)), 3,
          'the hold tables and their sequence are registered for pg_dump');

-- ---- functions ----
SELECT function_returns('ledger', 'hold', ARRAY['text', 'text[]', 'amount[]', 'text', 'text', 'timestamp with time zone', 'jsonb'], 'bigint');
SELECT function_returns('ledger', 'hold', ARRAY['text', 'text[]', 'text[]', 'text', 'text', 'timestamp with time zone', 'jsonb'], 'bigint');
SELECT function_returns('ledger', 'post_hold', ARRAY['bigint', 'text', 'amount[]', 'text'], 'bigint');
SELECT function_returns('ledger', 'void_hold', ARRAY['bigint', 'text'], 'void');
SELECT function_returns('ledger', 'expire_holds', ARRAY[]::text[], 'integer');
SELECT function_returns('ledger', 'available', ARRAY['text'], 'amount');
SELECT function_returns('ledger', 'account_history', ARRAY['text', 'date', 'date'], 'setof record');
SELECT is_definer('ledger', f, 'ledger.' || f || ' is SECURITY DEFINER')
  FROM unnest(ARRAY['post_hold', 'void_hold', 'expire_holds', 'available']) f;
-- the history streams: a SQL function the planner inlines, around a C function that checks the caller's right
SELECT function_lang_is('ledger', 'account_history', ARRAY['text', 'date', 'date'], 'sql');
SELECT isnt_definer('ledger', 'account_history', ARRAY['text', 'date', 'date'], 'ledger.account_history is not SECURITY DEFINER (it could not be inlined)');
SELECT isnt_definer('ledger', '_account_history', ARRAY['text', 'date', 'date'], 'ledger._account_history is not SECURITY DEFINER');
SELECT function_lang_is('ledger', '_account_history', ARRAY['text', 'date', 'date'], 'c');
SELECT volatility_is('ledger', 'post_hold', ARRAY['bigint', 'text', 'amount[]', 'text'], 'volatile');
SELECT volatility_is('ledger', 'account_history', ARRAY['text', 'date', 'date'], 'stable');
SELECT is(has_function_privilege('public', 'ledger.hold(text, text[], ledger.amount[], text, text, timestamptz, jsonb)', 'EXECUTE'),
          false, 'PUBLIC cannot hold');
SELECT trigger_is('ledger', 'hold', 'hold_guard', 'ledger', '_hold_guard');
SELECT trigger_is('ledger', 'hold_line', 'hold_line_guard', 'ledger', '_hold_guard');

-- ---- the books ----
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('bank', 'bank', 'asset', 'CNY'),
	('transit', 'in transit', 'asset', 'CNY'), ('wallets', 'wallets', 'liability', 'CNY'),
	('usd', 'dollars', 'liability', 'USD');
INSERT INTO ledger.account (code, name, kind, currency, parent_code, floor) VALUES
	('w1', 'wallet', 'liability', 'CNY', 'wallets', '0 CNY');
INSERT INTO ledger.account (code, name, kind, currency, status) VALUES ('fz', 'frozen', 'liability', 'CNY', 'frozen');
SELECT ledger.post('fund', ARRAY['bank', 'w1'], ARRAY['100 CNY', '-100 CNY']::ledger.amount[]);
SELECT ledger.hold('h', ARRAY['w1', 'transit'], ARRAY['60 CNY', '-60 CNY']) AS h \gset

-- ---- the SQLSTATE of every refusal ----
SELECT throws_ok($$SELECT ledger.hold('x1', ARRAY['w1', 'transit'], ARRAY['1 CNY']::ledger.amount[])$$, '22023', NULL, 'lengths differ: 22023');
SELECT throws_ok($$SELECT ledger.hold('x2', ARRAY['w1', 'nope'], ARRAY['1 CNY', '-1 CNY'])$$, '23503', NULL, 'unknown account: 23503');
SELECT throws_ok($$SELECT ledger.hold('x3', ARRAY['fz', 'transit'], ARRAY['1 CNY', '-1 CNY'])$$, '55000', NULL, 'frozen account: 55000');
SELECT throws_ok($$SELECT ledger.hold('x4', ARRAY['wallets', 'transit'], ARRAY['1 CNY', '-1 CNY'])$$, '55000', NULL, 'summary account: 55000');
SELECT throws_ok($$SELECT ledger.hold('x5', ARRAY['usd', 'transit'], ARRAY['1 CNY', '-1 CNY'])$$, '42804', NULL, 'currency: 42804');
SELECT throws_ok($$SELECT ledger.hold('x6', ARRAY['w1', 'transit'], ARRAY['0 CNY', '0 CNY'])$$, '22023', NULL, 'zero amount: 22023');
SELECT throws_ok($$SELECT ledger.hold('x7', ARRAY['w1', 'transit'], ARRAY['2 CNY', '-1 CNY'])$$, '23514', NULL, 'not balanced: 23514');
SELECT throws_ok($$SELECT ledger.hold('x8', ARRAY['w1', 'transit'], ARRAY['41 CNY', '-41 CNY'])$$, '23514', NULL, 'past the floor with the held money: 23514');
SELECT throws_ok($$SELECT ledger.post('x9', ARRAY['w1', 'bank'], ARRAY['41 CNY', '-41 CNY']::ledger.amount[])$$, '23514', NULL, 'a voucher past the floor with the held money: 23514');
SELECT throws_ok($$SELECT ledger.hold('h', ARRAY['w1', 'transit'], ARRAY['61 CNY', '-61 CNY'])$$, '23505', NULL, 'key reused for another hold: 23505');
SELECT throws_ok(format('SELECT ledger.post_hold(%s, %L, ARRAY[%L, %L]::ledger.amount[])', :h, 'p', '61 CNY', '-61 CNY'), '22023', NULL, 'posting more than held: 22023');
SELECT throws_ok(format('SELECT ledger.post_hold(%s, %L, ARRAY[%L, %L]::ledger.amount[])', :h, 'p', '1 USD', '-1 USD'), '42804', NULL, 'posting another currency: 42804');
SELECT throws_ok(format('SELECT ledger.post_hold(%s, %L, ARRAY[%L, %L]::ledger.amount[])', :h, 'p', '2 CNY', '-1 CNY'), '23514', NULL, 'posting unbalanced: 23514');
SELECT throws_ok(format('SELECT ledger.post_hold(%s, %L)', :h, 'fund'), '23505', NULL, 'the key of another voucher: 23505');
SELECT throws_ok($$SELECT ledger.post_hold(424242, 'p')$$, '23503', NULL, 'unknown hold: 23503');
SELECT throws_ok($$SELECT ledger.void_hold(424242)$$, '23503', NULL, 'unknown hold: 23503');
SELECT lives_ok(format('SELECT ledger.void_hold(%s)', :h), 'void');
SELECT throws_ok(format('SELECT ledger.void_hold(%s)', :h), '55000', NULL, 'voided twice: 55000');
SELECT throws_ok(format('SELECT ledger.post_hold(%s, %L)', :h, 'p'), '55000', NULL, 'posting a voided hold: 55000');
SELECT throws_ok($$UPDATE ledger.hold SET status = 'pending'$$, '55000', NULL, 'status only through the functions: 55000');
SELECT throws_ok($$DELETE FROM ledger.hold_line$$, '55000', NULL, 'hold lines are immutable: 55000');
SELECT throws_ok($$SELECT * FROM ledger.account_history('wallets', '2026-11-02')$$, '22023', NULL, 'history of a summary account: 22023');
SELECT is(ledger.available('w1'), '100 CNY'::ledger.amount, 'nothing held after the void');

SELECT * FROM finish();
ROLLBACK;
