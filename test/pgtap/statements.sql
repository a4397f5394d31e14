-- test/pgtap/statements.sql — catalog facts and error classes of the statement loaders
BEGIN;
SELECT plan(30);

SELECT has_function('ledger', 'load_wechat_bill', ARRAY['text', 'date', 'text', 'text'], 'load_wechat_bill(source, statement_date, bill, ref_field)');
SELECT has_function('ledger', 'load_wechat_fundflow', ARRAY['text', 'date', 'text'], 'load_wechat_fundflow(source, statement_date, bill)');
SELECT has_function('ledger', 'load_alipay_bill', ARRAY['text', 'date', 'bytea'], 'load_alipay_bill(source, statement_date, bill)');
SELECT has_function('ledger', 'load_alipay_account', ARRAY['text', 'date', 'bytea'], 'load_alipay_account(source, statement_date, bill)');
SELECT has_function('ledger', 'load_mt940', ARRAY['text', 'text'], 'load_mt940(source, statement)');
SELECT has_function('ledger', 'load_camt053', ARRAY['text', 'text'], 'load_camt053(source, statement)');
SELECT function_returns('ledger', 'load_mt940', ARRAY['text', 'text'], 'setof ledger.statement_import', 'load_mt940 returns SETOF statement_import');
SELECT function_returns('ledger', 'load_camt053', ARRAY['text', 'text'], 'setof ledger.statement_import', 'load_camt053 returns SETOF statement_import');
SELECT function_returns('ledger', 'load_wechat_fundflow', ARRAY['text', 'date', 'text'], 'ledger.statement_import', 'load_wechat_fundflow returns statement_import');
SELECT function_returns('ledger', 'load_alipay_account', ARRAY['text', 'date', 'bytea'], 'ledger.statement_import', 'load_alipay_account returns statement_import');
SELECT is_definer('ledger', 'load_wechat_fundflow', ARRAY['text', 'date', 'text'], 'load_wechat_fundflow is SECURITY DEFINER');
SELECT is_definer('ledger', 'load_alipay_account', ARRAY['text', 'date', 'bytea'], 'load_alipay_account is SECURITY DEFINER');
SELECT is_definer('ledger', 'load_mt940', ARRAY['text', 'text'], 'load_mt940 is SECURITY DEFINER');
SELECT is_definer('ledger', 'load_camt053', ARRAY['text', 'text'], 'load_camt053 is SECURITY DEFINER');
SELECT is(
	(SELECT count(*)::int FROM pg_proc p
	  WHERE p.pronamespace = 'ledger'::regnamespace
	    AND p.proname IN ('load_wechat_bill', 'load_wechat_fundflow', 'load_alipay_bill', 'load_alipay_account', 'load_mt940', 'load_camt053',
	                      '_statement_text', '_statement_load', '_statement_load_bank', '_statement_heads', '_statement_write',
	                      '_statement_keep', '_statement_check')
	    AND has_function_privilege('public', p.oid, 'EXECUTE')),
	0, 'no loader nor helper that writes is executable by PUBLIC');
SELECT is(
	(SELECT count(*)::int FROM pg_proc p
	  WHERE p.pronamespace = 'ledger'::regnamespace AND p.prosecdef
	    AND p.proname LIKE 'load\_%'
	    AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)),
	0, 'every SECURITY DEFINER loader pins search_path');
SELECT ok(pg_get_constraintdef((SELECT oid FROM pg_constraint WHERE conname = 'statement_import_format_check'))
	~ 'mt940' AND pg_get_constraintdef((SELECT oid FROM pg_constraint WHERE conname = 'statement_import_format_check')) ~ 'camt053'
	AND pg_get_constraintdef((SELECT oid FROM pg_constraint WHERE conname = 'statement_import_format_check')) ~ 'wechat_fundflow'
	AND pg_get_constraintdef((SELECT oid FROM pg_constraint WHERE conname = 'statement_import_format_check')) ~ 'alipay_account',
	'statement_import.format admits the new formats');

-- error classes
SELECT throws_ok($$SELECT ledger.load_wechat_bill('w', '2026-11-02', 'garbage')$$, '22P04', NULL, 'a WeChat bill that is not one: 22P04');
SELECT throws_ok($$SELECT ledger.load_wechat_fundflow('w', '2026-11-02', 'garbage')$$, '22P04', NULL, 'a fund-flow bill that is not one: 22P04');
SELECT throws_ok($$SELECT ledger.load_alipay_bill('a', '2026-11-02', '\x81'::bytea)$$, '22P04', NULL, 'a byte that is not GBK: 22P04');
SELECT throws_ok($$SELECT ledger.load_alipay_account('a', '2026-11-02', convert_to('#支付宝业务明细查询', 'GBK'))$$, '22P04', NULL, 'a trade bill is not an account statement: 22P04');
SELECT throws_ok($$SELECT * FROM ledger.load_mt940('b', E':20:X\n:25:1\n:60F:C240312USD1,00\n:62F:C240312USD2,00\n')$$, '22P04',
	'malformed MT940 statement at line 4', 'an MT940 statement that does not balance: 22P04 at its closing line');
SELECT throws_ok($$SELECT * FROM ledger.load_mt940('b', E':20:X\n:25:1\n:60F:C021131USD1,00\n:62F:C021131USD1,00\n')$$, '22P04',
	'malformed MT940 statement at line 3', 'a date that does not exist: 22P04');
SELECT throws_ok($$SELECT * FROM ledger.load_camt053('c', '<Document/>')$$, '22P04', NULL, 'a camt.053 without its namespace: 22P04');
SELECT throws_ok($$SELECT * FROM ledger.load_camt053('c', ' ')$$, '22P04', 'statement file is empty', 'an empty file: 22P04');
SELECT throws_ok($$SELECT * FROM ledger.load_mt940(NULL, ':20:X')$$, '22004', NULL, 'a NULL source: 22004');
SELECT throws_ok($$SELECT * FROM ledger.load_mt940('', ':20:X')$$, '22004', NULL, 'an empty source: 22004');
SELECT throws_ok($$SELECT ledger.load_wechat_fundflow('w', NULL, 'x')$$, '22004', NULL, 'a NULL date: 22004');
SELECT throws_ok($$SELECT * FROM ledger._parse_statement('nope', 'x', 's', NULL)$$, '22023', NULL, 'an unknown format: 22023');

-- a balanced MT940 statement loads as one import
SELECT is((SELECT line_count FROM ledger.load_mt940('tap-bank', E':20:X\n:25:1\n:28C:1\n:60F:C240312USD1,00\n:61:240312C1,00NTRFREF1//B1\n:86:x\n:62F:C240312USD2,00\n')),
	1, 'a balanced MT940 statement loads its line');

SELECT * FROM finish();
ROLLBACK;
