-- test/pgtap/recon.sql — catalog facts and error classes of reconciliation
BEGIN;
SELECT plan(63);

-- the composite and the aggregates
SELECT has_type('ledger', 'recon_result', 'type ledger.recon_result exists');
SELECT columns_are('ledger', 'recon_result',
	ARRAY['class', 'internal_count', 'external_count', 'internal_amount', 'external_amount', 'difference'],
	'recon_result has the contract''s columns');
SELECT col_type_is('ledger', 'recon_result', 'internal_count', 'integer', 'internal_count is int');
SELECT col_type_is('ledger', 'recon_result', 'difference', 'ledger.amount', 'difference is ledger.amount');
SELECT has_function('ledger', 'recon_diff', ARRAY['text', 'ledger.amount'], 'recon_diff(side, amount)');
SELECT has_function('ledger', 'recon_diff', ARRAY['text', 'ledger.amount', 'text'], 'recon_diff(side, amount, status)');
SELECT has_function('ledger', 'recon_diff', ARRAY['text', 'ledger.amount', 'text', 'ledger.amount'], 'recon_diff(side, amount, status, tolerance)');
SELECT has_function('ledger', 'recon_total', ARRAY['text', 'ledger.amount'], 'recon_total(side, amount)');
SELECT is_aggregate('ledger', 'recon_diff', ARRAY['text', 'ledger.amount', 'text'], 'recon_diff is an aggregate');
SELECT is_aggregate('ledger', 'recon_total', ARRAY['text', 'ledger.amount'], 'recon_total is an aggregate');
SELECT function_returns('ledger', 'recon_diff', ARRAY['text', 'ledger.amount', 'text'], 'ledger.recon_result', 'recon_diff returns recon_result');
SELECT function_returns('ledger', 'recon_total', ARRAY['text', 'ledger.amount'], 'ledger.recon_result', 'recon_total returns recon_result');
SELECT is(
	(SELECT array_agg(DISTINCT p.proparallel) FROM pg_proc p
	  WHERE p.pronamespace = 'ledger'::regnamespace AND p.proname IN ('recon_diff', 'recon_total')),
	ARRAY['s']::"char"[], 'the aggregates are parallel safe');
SELECT is(
	(SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	  WHERE p.pronamespace = 'ledger'::regnamespace AND p.proname IN ('recon_diff', 'recon_total')
	    AND a.aggcombinefn <> 0 AND a.aggserialfn <> 0 AND a.aggdeserialfn <> 0 AND a.aggtranstype = 'internal'::regtype),
	5, 'every form has combine, serialise and deserialise functions over an internal state');
SELECT is(
	(SELECT bool_and(NOT p.proisstrict) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggtransfn
	  JOIN pg_proc g ON g.oid = a.aggfnoid
	  WHERE g.pronamespace = 'ledger'::regnamespace AND g.proname IN ('recon_diff', 'recon_total')),
	true, 'the transition functions are not strict');
SELECT volatility_is('ledger', 'recon_diff_final', ARRAY['internal'], 'immutable', 'recon_diff_final is immutable');

-- strictness: SQLSTATEs
SELECT throws_ok($$SELECT ledger.recon_diff(s, a::ledger.amount) FROM (VALUES ('inside', '1 CNY')) v(s, a)$$,
	'22023', NULL, 'a side other than internal/external is 22023');
SELECT throws_ok($$SELECT ledger.recon_total(s, a::ledger.amount) FROM (VALUES ('EXTERNAL', '1 CNY')) v(s, a)$$,
	'22023', NULL, 'sides are lower case: 22023');
SELECT throws_ok($$SELECT ledger.recon_diff(s, a::ledger.amount) FROM (VALUES (NULL, '1 CNY')) v(s, a)$$,
	'22004', NULL, 'a NULL side is 22004');
SELECT throws_ok($$SELECT ledger.recon_diff(s, a::ledger.amount) FROM (VALUES ('internal', NULL)) v(s, a)$$,
	'22004', NULL, 'a NULL amount is 22004');
SELECT throws_ok($$SELECT ledger.recon_diff(s, a::ledger.amount) FROM (VALUES ('internal', '1 CNY'), ('internal', '1 USD')) v(s, a)$$,
	'42804', NULL, 'two currencies on one side are 42804');
SELECT throws_ok($$SELECT ledger.recon_diff(s, a::ledger.amount) FROM (VALUES ('internal', '1 CNY'), ('external', '1 USD')) v(s, a)$$,
	'42804', NULL, 'two currencies across the sides are 42804');
SELECT throws_ok($$SELECT ledger.recon_diff(s, a::ledger.amount, NULL, '0.01 USD') FROM (VALUES ('internal', '1 CNY')) v(s, a)$$,
	'42804', NULL, 'a tolerance in another currency is 42804');
SELECT throws_ok($$SELECT ledger.recon_diff(s, a::ledger.amount, NULL, '-0.01 CNY') FROM (VALUES ('internal', '1 CNY')) v(s, a)$$,
	'22023', NULL, 'a negative tolerance is 22023');
SELECT throws_ok($$SELECT ledger.recon_total(s, a::ledger.amount) FROM (VALUES ('internal', '92233720368547758.07 CNY'), ('internal', '0.01 CNY')) v(s, a)$$,
	'22003', NULL, 'a total beyond 64 bits is 22003');
SELECT is((SELECT (ledger.recon_diff(s, a::ledger.amount)).class FROM (VALUES ('internal', '1 CNY'), ('internal', '1 CNY')) v(s, a)),
	'duplicate', 'two records on one side are a duplicate');
SELECT is((SELECT (ledger.recon_total(s, a::ledger.amount)).class FROM (VALUES ('internal', '1 CNY'), ('internal', '1 CNY'), ('external', '2 CNY')) v(s, a)),
	'matched', 'recon_total compares totals');

-- tables, sequences, views, functions
SELECT has_table('ledger', 'statement_line', 'ledger.statement_line exists');
SELECT columns_are('ledger', 'statement_line',
	ARRAY['id', 'source', 'statement_date', 'ref', 'external_id', 'amount', 'status', 'fee', 'occurred_at', 'raw',
	      'import_id', 'line_no', 'loaded_at'], 'statement_line columns');
SELECT col_default_is('ledger', 'statement_line', 'status', 'success', 'status defaults to success');
SELECT col_type_is('ledger', 'statement_line', 'raw', 'jsonb', 'raw is jsonb');
SELECT has_table('ledger', 'recon_run', 'ledger.recon_run exists');
SELECT has_table('ledger', 'recon_break', 'ledger.recon_break exists');
SELECT has_table('ledger', 'recon_pending', 'ledger.recon_pending exists');
SELECT has_table('ledger', 'statement_import', 'ledger.statement_import exists');
SELECT has_view('ledger', 'recon_report', 'ledger.recon_report exists');
SELECT is_empty($$SELECT c.oid::regclass FROM pg_class c
                   WHERE c.relnamespace = 'ledger'::regnamespace AND c.relkind IN ('r', 'p', 'S')
                     AND c.oid <> ALL ((SELECT e.extconfig FROM pg_extension e WHERE e.extname = 'ledger')::oid[])$$,
	'every table and sequence of the ledger, the reconciliation''s included, is dumped by pg_dump');
SELECT col_is_unique('ledger', 'recon_run', ARRAY['source', 'statement_date'], 'one run per (source, statement_date)');
SELECT has_check('ledger', 'recon_break', 'recon_break has checks (class, status)');
SELECT has_function('ledger', 'reconcile', ARRAY['text', 'date', 'text'], 'reconcile(source, statement_date, account)');
SELECT is((SELECT prokind FROM pg_proc WHERE oid = 'ledger.reconcile(text, date, text)'::regprocedure), 'p'::"char",
	'reconcile is a procedure');
SELECT is_definer('ledger', 'reconcile', ARRAY['text', 'date', 'text'], 'reconcile is SECURITY DEFINER');
SELECT is_definer('ledger', 'resolve_break', ARRAY['bigint', 'text', 'bigint'], 'resolve_break is SECURITY DEFINER');
SELECT is_definer('ledger', 'load_wechat_bill', ARRAY['text', 'date', 'text', 'text'], 'load_wechat_bill is SECURITY DEFINER');
SELECT is(
	(SELECT count(*)::int FROM pg_proc p
	  WHERE p.pronamespace = 'ledger'::regnamespace AND p.prosecdef
	    AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)),
	0, 'every SECURITY DEFINER function sets search_path = pg_catalog, pg_temp');

-- privileges: PUBLIC gets nothing
SELECT is(
	(SELECT count(*)::int FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
	  WHERE c.relnamespace = 'ledger'::regnamespace
	    AND c.relname IN ('statement_line', 'statement_import', 'recon_run', 'recon_break', 'recon_pending', 'recon_report',
	                      'statement_line_id_seq', 'statement_import_id_seq', 'recon_run_id_seq', 'recon_break_id_seq')
	    AND a.grantee = 0),
	0, 'PUBLIC has no privilege on the reconciliation tables, view and sequences');
SELECT function_privs_are('ledger', 'reconcile', ARRAY['text', 'date', 'text'], 'public', ARRAY[]::text[],
	'PUBLIC cannot call reconcile');
SELECT function_privs_are('ledger', 'resolve_break', ARRAY['bigint', 'text', 'bigint'], 'public', ARRAY[]::text[],
	'PUBLIC cannot call resolve_break');
SELECT function_privs_are('ledger', 'load_alipay_bill', ARRAY['text', 'date', 'bytea'], 'public', ARRAY[]::text[],
	'PUBLIC cannot call load_alipay_bill');

-- dump registration
SELECT is(
	(SELECT array_agg(c.relname::text ORDER BY c.relname)
	   FROM pg_extension e, unnest(e.extconfig) AS cfg(oid) JOIN pg_class c ON c.oid = cfg.oid
	  WHERE e.extname = 'ledger' AND (c.relname LIKE 'recon%' OR c.relname LIKE 'statement%')),
	ARRAY['recon_break', 'recon_break_id_seq', 'recon_match', 'recon_pending', 'recon_rule', 'recon_run', 'recon_run_id_seq',
	      'statement_file', 'statement_file_id_seq', 'statement_import', 'statement_import_id_seq', 'statement_line', 'statement_line_id_seq'],
	'every reconciliation table and sequence is registered with pg_extension_config_dump');

-- comments on everything of the section
SELECT is(
	(SELECT count(*)::int FROM pg_proc p
	  WHERE p.pronamespace = 'ledger'::regnamespace
	    AND (p.proname LIKE '%recon%' OR p.proname LIKE '%statement%' OR p.proname LIKE 'load_%'
	         OR p.proname IN ('resolve_break', '_csv_fields', '_try_amount'))
	    AND obj_description(p.oid, 'pg_proc') IS NULL),
	0, 'every reconciliation function, aggregate and procedure has a comment');
SELECT is(
	(SELECT count(*)::int FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
	  WHERE c.relnamespace = 'ledger'::regnamespace AND c.relkind = 'r'
	    AND (c.relname LIKE 'recon%' OR c.relname LIKE 'statement%')
	    AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL),
	0, 'every column of the reconciliation tables has a comment');

-- reconcile and the loaders: error classes
SELECT throws_ok($$CALL ledger.reconcile('x', '2026-11-02', 'no-such-account')$$, '23503', NULL, 'unknown account is 23503');
SELECT throws_ok($$CALL ledger.reconcile(NULL, '2026-11-02', 'x')$$, '22004', NULL, 'NULL source is 22004');
SELECT throws_ok($$SELECT ledger.resolve_break(-1, 'x')$$, '23503', NULL, 'unknown break is 23503');
SELECT throws_ok($$SELECT ledger.resolve_break(-1, NULL)$$, '22004', NULL, 'a note is required: 22004');
SELECT throws_ok($$SELECT ledger.load_wechat_bill('w', '2026-11-02', 'junk')$$, '22P04', NULL, 'a malformed WeChat bill is 22P04');
SELECT throws_ok($$SELECT ledger.load_wechat_bill('w', '2026-11-02', 'x', 'nope')$$, '22023', NULL, 'unknown ref_field is 22023');
SELECT throws_ok($$SELECT ledger.load_alipay_bill('a', '2026-11-02', '\xff'::bytea)$$, '22P04', NULL, 'a file that is not GBK is 22P04');
SELECT throws_ok($$SELECT ledger.load_statement_csv('c', '2026-11-02', E'ref,external_id,amount\nA,B,x\n')$$, '22P04', NULL,
	'a bad amount in a generic CSV is 22P04');
SELECT throws_ok($$SELECT ledger.load_statement_csv('c', NULL, E'ref,external_id,amount\nA,B,1\n')$$, '22004', NULL,
	'a NULL statement date is 22004');
SELECT throws_ok($$INSERT INTO ledger.statement_line (source, statement_date, ref, external_id, amount) VALUES
	('s', '2026-11-02', 'r', 'e1', '1 CNY'), ('s', '2026-11-02', 'r', 'e1', '1 CNY')$$, '23505', NULL,
	'a serial appears once per source and date');
SELECT throws_ok($$INSERT INTO ledger.statement_line (source, statement_date, ref, external_id, amount, fee) VALUES
	('s', '2026-11-02', 'r', 'e2', '1 CNY', '0.01 USD')$$, '23514', NULL, 'the fee is in the amount''s currency');

SELECT * FROM finish();
ROLLBACK;
