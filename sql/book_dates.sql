-- book_dates: every book date a user gives is a finite date from 1900-01-01
-- to 9999-12-31, else 22008 naming the argument; nothing happens.
-- verify_books alone takes -infinity and infinity, as the bounds of "every day".
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS ledger_regress_book_dates;
CREATE DATABASE ledger_regress_book_dates;
\c ledger_regress_book_dates
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'bank', 'asset', 'CNY'),
	('wallet', 'wallet', 'liability', 'CNY');

-- open_books, before any voucher: not infinity, nor an absurd date
SELECT ledger.open_books('infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.open_books('-infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.open_books('5874897-12-31');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.open_books('0044-03-15 BC');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.open_books('1899-12-31');
\echo :LAST_ERROR_SQLSTATE
SELECT book_date, status FROM ledger.book_day;
-- the ends of the range are book dates
SELECT ledger.open_books('9999-12-31');
SELECT ledger.open_books('1900-01-01');
SELECT ledger.open_books('2026-11-02');

SELECT ledger.post('p1', ARRAY['bank', 'wallet'], ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[]) AS voucher;
SELECT book_date FROM ledger.voucher;

-- close_day: refused before anything is done
CALL ledger.close_day('infinity');
\echo :LAST_ERROR_SQLSTATE
CALL ledger.close_day('10000-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT book_date, status FROM ledger.book_day;

-- the reports
SELECT ledger.balance('wallet', 'infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.balance('wallet', '-infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.balance('wallet', '1066-10-14');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ledger.trial_balance('-infinity', '2026-11-02');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ledger.trial_balance('2026-11-02', 'infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ledger.check_books('infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ledger.check_books('0001-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ledger.verify_books('2026-11-02', '12026-11-02');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ledger.verify_books('-infinity', 'infinity');

-- reconciliation: the statement date is a book date
CALL ledger.reconcile('wechat', 'infinity', 'bank');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ledger.load_statement_csv('wechat', 'infinity', E'ref,amount\nA1,1.00 CNY\n');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM ledger.load_statement_csv('wechat', '1800-01-01', E'ref,amount\nA1,1.00 CNY\n');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS statement_lines FROM ledger.statement_line;

-- a real date still works everywhere
CALL ledger.close_day();
SELECT ledger.balance('wallet', '2026-11-02');
SELECT count(*) AS checks, bool_and(ok) AS ok FROM ledger.check_books('2026-11-02');
SELECT book_date, ok FROM ledger.verify_books('2026-11-02', '2026-11-02');

\c :regress_db
DROP DATABASE ledger_regress_book_dates;
