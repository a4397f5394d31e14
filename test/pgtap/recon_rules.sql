-- test/pgtap/recon_rules.sql — catalog facts and error classes of the matching rules (SPEC 9.2)
BEGIN;
SELECT plan(20);

SELECT has_table('ledger', 'recon_rule', 'table ledger.recon_rule exists');
SELECT columns_are('ledger', 'recon_rule', ARRAY['source', 'tolerance', 'match_window', 'group_key', 'net_of_fee'],
	'recon_rule has the contract''s columns');
SELECT col_is_pk('ledger', 'recon_rule', 'source', 'one rule per source');
SELECT col_type_is('ledger', 'recon_rule', 'tolerance', 'ledger.amount', 'tolerance is ledger.amount');
SELECT col_type_is('ledger', 'recon_rule', 'match_window', 'interval', 'match_window is an interval');
SELECT col_not_null('ledger', 'recon_rule', 'net_of_fee', 'net_of_fee is NOT NULL');
SELECT col_default_is('ledger', 'recon_rule', 'net_of_fee', 'false', 'net_of_fee defaults to false');
SELECT has_table('ledger', 'recon_match', 'table ledger.recon_match exists');
SELECT col_type_is('ledger', 'recon_break', 'candidates', 'jsonb', 'recon_break.candidates is jsonb');
SELECT col_not_null('ledger', 'recon_break', 'candidates', 'every break carries candidates');
SELECT is((SELECT max(attnum) FROM pg_attribute WHERE attrelid = 'ledger.recon_break'::regclass AND attnum > 0),
	(SELECT attnum FROM pg_attribute WHERE attrelid = 'ledger.recon_break'::regclass AND attname = 'candidates'),
	'candidates is the last column of recon_break');
SELECT col_type_is('ledger', 'recon_run', 'statement_missing', 'boolean', 'recon_run.statement_missing is boolean');
SELECT is((SELECT max(attnum) FROM pg_attribute WHERE attrelid = 'ledger.recon_run'::regclass AND attnum > 0),
	(SELECT attnum FROM pg_attribute WHERE attrelid = 'ledger.recon_run'::regclass AND attname = 'statement_missing'),
	'statement_missing is the last column of recon_run');
SELECT volatility_is('ledger', '_recon_pair',
	ARRAY['ledger.amount[]', 'timestamp with time zone[]', 'ledger.amount[]', 'timestamp with time zone[]', 'ledger.amount', 'interval', 'integer'],
	'immutable', '_recon_pair is immutable');
SELECT ok(NOT has_function_privilege('public', 'ledger._recon_pair(ledger.amount[], timestamptz[], ledger.amount[], timestamptz[], ledger.amount, interval, integer)', 'EXECUTE'),
	'PUBLIC cannot execute _recon_pair');
SELECT ok(NOT has_table_privilege('public', 'ledger.recon_rule', 'SELECT') AND NOT has_table_privilege('public', 'ledger.recon_match', 'SELECT'),
	'PUBLIC cannot read the rules or the matches');

-- error classes
SELECT throws_ok($$INSERT INTO ledger.recon_rule (source, tolerance) VALUES ('x', '-1 CNY')$$, '23514',
	NULL, 'a negative tolerance is 23514');
SELECT throws_ok($$INSERT INTO ledger.recon_rule (source, match_window) VALUES ('x', '-1 second')$$, '23514',
	NULL, 'a negative window is 23514');
SELECT throws_ok($$SELECT * FROM ledger._recon_pair(ARRAY['1 CNY']::ledger.amount[], ARRAY[now()],
	ARRAY['1 CNY']::ledger.amount[], ARRAY[now()], '-0.01 CNY', '1 hour')$$, '22023',
	NULL, '_recon_pair: a negative tolerance is 22023');
SELECT throws_ok($$SELECT * FROM ledger._recon_pair(ARRAY['1 CNY']::ledger.amount[], ARRAY[now()],
	ARRAY['1 CNY']::ledger.amount[], ARRAY[now()], '0.01 USD', '1 hour')$$, '42804',
	NULL, '_recon_pair: a tolerance in another currency is 42804');

SELECT * FROM finish();
ROLLBACK;
