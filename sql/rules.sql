-- rules: the ledger's tables take no rules.  CREATE RULE on any of them is
-- refused (55000) by the event trigger ledger_no_rules, for the owner too;
-- and a rule made while the event trigger was disabled makes ledger.post
-- fail with 55000 naming the table, never XX000.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS ledger_regress_rules;
CREATE DATABASE ledger_regress_rules;
\c ledger_regress_rules
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'bank', 'asset', 'CNY'),
	('wallet', 'wallet', 'liability', 'CNY');

-- refused on every table of the books, whatever the rule
CREATE RULE skip_entries AS ON INSERT TO ledger.entry DO INSTEAD NOTHING;
\echo :LAST_ERROR_SQLSTATE
CREATE RULE skip_vouchers AS ON INSERT TO ledger.voucher DO INSTEAD NOTHING;
\echo :LAST_ERROR_SQLSTATE
CREATE RULE keep_balances AS ON UPDATE TO ledger.account_balance DO INSTEAD NOTHING;
\echo :LAST_ERROR_SQLSTATE
CREATE RULE log_accounts AS ON INSERT TO ledger.account DO ALSO NOTIFY accounts;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS rules FROM pg_rules WHERE schemaname = 'ledger';
-- rules elsewhere are none of the ledger's business
CREATE TABLE public.mine (x int);
CREATE RULE mine_nothing AS ON INSERT TO public.mine DO INSTEAD NOTHING;
DROP TABLE public.mine;

-- a rule that got in anyway (the event trigger disabled): 55000, never XX000
ALTER EVENT TRIGGER ledger_no_rules DISABLE;
CREATE RULE skip_entries AS ON INSERT TO ledger.entry DO INSTEAD NOTHING;
SELECT ledger.post('p1', ARRAY['bank', 'wallet'], ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[]);
\echo :LAST_ERROR_SQLSTATE
DROP RULE skip_entries ON ledger.entry;
CREATE RULE skip_second AS ON INSERT TO ledger.entry WHERE NEW.line_no = 2 DO INSTEAD NOTHING;
SELECT ledger.post('p1', ARRAY['bank', 'wallet'], ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[]);
\echo :LAST_ERROR_SQLSTATE
DROP RULE skip_second ON ledger.entry;
ALTER EVENT TRIGGER ledger_no_rules ENABLE ALWAYS;
-- without the rule, the same session posts again; nothing was written before
SELECT count(*) AS vouchers FROM ledger.voucher;
SELECT ledger.post('p1', ARRAY['bank', 'wallet'], ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[]) > 0 AS posted;
SELECT ledger.balance('wallet');

\c :regress_db
DROP DATABASE ledger_regress_rules;
