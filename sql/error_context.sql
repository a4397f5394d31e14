-- error_context: the errors the ledger's SQL and PL/pgSQL functions raise for
-- users carry their message, DETAIL and HINT only: no CONTEXT lines naming
-- the ledger's internal functions ("PL/pgSQL function ledger.xxx line N at
-- RAISE", "SQL statement ...").  psql prints any CONTEXT here.
\set VERBOSITY default
\set SHOW_CONTEXT always
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS ledger_regress_error_context;
CREATE DATABASE ledger_regress_error_context;
\c ledger_regress_error_context
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'bank', 'asset', 'CNY'),
	('wallet', 'wallet', 'liability', 'CNY');
SELECT ledger.post('p1', ARRAY['bank', 'wallet'], ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[]) AS voucher;

-- ledger.balance(code, date): three CONTEXT lines before
SELECT ledger.balance('nope', '2026-11-02');
SELECT ledger.balance('wallet', '2026-12-01');
SELECT ledger.balance('wallet', NULL);
-- book days and the cutoff
SELECT ledger.open_books('2026-11-03');
SELECT ledger.open_books(NULL);
SELECT ledger.open_books('infinity');
CALL ledger.close_day('2026-10-01');
SELECT * FROM ledger.check_books('2026-10-01');
SELECT * FROM ledger.check_books(NULL);
SELECT * FROM ledger.trial_balance('2026-11-03', '2026-11-02');
SELECT * FROM ledger.verify_books(NULL, '2026-11-02');
-- the chart of accounts (triggers)
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('a b', 'spaces', 'asset', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('x', 'unknown currency', 'asset', 'XYZ');
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('bank.1', 'sub', 'asset', 'CNY', 'bank');
UPDATE ledger.account SET currency = 'USD' WHERE code = 'bank';
DELETE FROM ledger.account WHERE code = 'bank';
-- balance assertions: an unknown currency
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES ('x', '{wallet}', '<=', '{bank}', 'XYZ');
-- rules on the ledger's tables
CREATE RULE skip AS ON INSERT TO ledger.entry DO INSTEAD NOTHING;
-- reconciliation
CALL ledger.reconcile('wechat', '2026-11-02', 'nope');
CALL ledger.reconcile('wechat', NULL, 'bank');
SELECT * FROM ledger.resolve_break(1, 'no such break');
SELECT * FROM ledger.resolve_break(1, NULL);
SELECT * FROM ledger.load_statement_csv('', '2026-11-02', E'ref,amount\n');
SELECT * FROM ledger.load_statement_csv('wechat', '2026-11-02', E'ref,amount\nA1,one yuan\n');
-- the loaders that parse in C: a bad line, an empty file, a bad argument,
-- each format, as an argument and staged
SELECT * FROM ledger.load_wechat_bill('wechat', '2026-11-02', E'交易时间,微信订单号\n`2026-11-02 10:00:00,`4200\n');
SELECT * FROM ledger.load_wechat_bill('wechat', '2026-11-02', E'\n\n');
SELECT * FROM ledger.load_wechat_bill('wechat', '2026-11-02', E'x\n', 'nope');
SELECT * FROM ledger.load_wechat_fundflow('wechat', '2026-11-02', E'记账时间\n`x\n');
SELECT * FROM ledger.load_alipay_bill('alipay', '2026-11-02', '\x23e6b58be8af950a'::bytea);
SELECT * FROM ledger.load_alipay_account('alipay', '2026-11-02', '\x230a'::bytea);
SELECT * FROM ledger.load_mt940('bank', E':20:X\n:25:NL26VAYB8060476890\n:28C:1/1\n:60F:C240312EUR0,00\n:61:2403120312C1,0xNTRFREF//B\n-\n');
SELECT * FROM ledger.load_camt053('bank', '<Document><BkToCstmrStmt></BkToCstmrStmt></Document>');
SELECT ledger.stage_statement();
INSERT INTO pg_temp.ledger_statement_stage (line) VALUES ('交易时间,微信订单号'), ('`2026-11-02 10:00:00,`4200');
SELECT * FROM ledger.load_wechat_bill('wechat', '2026-11-02');

-- no function of the ledger raises with RAISE EXCEPTION (which adds CONTEXT);
-- tools/raise2call.py rewrites one as a call of ledger._raise
SELECT p.oid::regprocedure AS raises_with_context
  FROM pg_proc p
 WHERE p.pronamespace = 'ledger'::regnamespace AND p.prosrc ~* 'raise\s+exception';

\c :regress_db
DROP DATABASE ledger_regress_error_context;
