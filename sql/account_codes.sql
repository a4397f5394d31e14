-- account_codes: codes are compared whole, whatever their length in bytes.
-- The one limit is the CHECK on ledger.account.code: 1 to 64 characters
-- (characters, not bytes).  A is 64 bytes (61 letters and 中); B is A plus
-- one more 中 (67 bytes, 63 characters).  Both are distinct accounts for
-- ledger.post, ledger.balance, the roll-up of a summary account and the
-- trial balance.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS ledger_regress_account_codes;
CREATE DATABASE ledger_regress_account_codes;
\c ledger_regress_account_codes
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');

SELECT repeat('a', 61) || '中' AS a, repeat('a', 61) || '中中' AS b \gset
SELECT octet_length(:'a') AS a_bytes, length(:'a') AS a_chars,
       octet_length(:'b') AS b_bytes, length(:'b') AS b_chars;

INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('1001', 'cash', 'asset', 'CNY'),
	('L', 'summary of the long codes', 'asset', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES
	(:'a', 'A', 'asset', 'CNY', 'L'),
	(:'b', 'B', 'asset', 'CNY', 'L');

-- B is looked up first (the cache then holds it), then A: each is itself
SELECT ledger.balance(:'b') AS b_before, ledger.balance(:'a') AS a_before;
SELECT ledger.post('to-b', ARRAY[:'b', '1001'], ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[]);
SELECT ledger.post('to-a', ARRAY[:'a', '1001'], ARRAY['2.00 CNY', '-2.00 CNY']::ledger.amount[]);
-- a plain INSERT into B, then ledger.post on A: each line on its own account
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (100, 'plain-b');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount)
	SELECT 100, 1, id, '4.00 CNY'::ledger.amount FROM ledger.account WHERE code = :'b'
	UNION ALL
	SELECT 100, 2, id, '-4.00 CNY'::ledger.amount FROM ledger.account WHERE code = '1001';
COMMIT;
SELECT ledger.post('to-a-again', ARRAY[:'a', '1001'], ARRAY['8.00 CNY', '-8.00 CNY']::ledger.amount[]);
SELECT v.idempotency_key, a.name, e.amount
  FROM ledger.entry e JOIN ledger.voucher v ON v.id = e.voucher_id JOIN ledger.account a ON a.id = e.account_id
 WHERE a.code <> '1001' ORDER BY v.id;

-- balances, and the summary account sums both long leaves: 5 + 10
SELECT ledger.balance(:'a') AS a, ledger.balance(:'b') AS b, ledger.balance('L') AS l,
       ledger.balance('1001') AS cash;
SELECT account_name, balance FROM ledger.balances WHERE account_code IN (:'a', :'b', 'L') ORDER BY account_name;

-- the trial balance of the closed day, from the daily balances
CALL ledger.close_day();
SELECT account_name, depth, closing_debit, closing_credit
  FROM ledger.trial_balance('2026-11-02') ORDER BY account_code NULLS LAST;
SELECT ledger.balance(:'a', '2026-11-02') AS a, ledger.balance(:'b', '2026-11-02') AS b,
       ledger.balance('L', '2026-11-02') AS l;

-- the limit: 64 characters, whatever their bytes
SELECT ledger.post('long-missing', ARRAY[:'b' || 'x', '1001'], ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[]);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO ledger.account (code, name, kind, currency)
	VALUES (repeat('中', 64), '64 characters, 192 bytes', 'asset', 'CNY');
SELECT ledger.post('wide', ARRAY[repeat('中', 64), '1001'], ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[]) > 0 AS posted;
SELECT ledger.balance(repeat('中', 64));
INSERT INTO ledger.account (code, name, kind, currency)
	VALUES (repeat('a', 65), '65 characters', 'asset', 'CNY');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO ledger.account (code, name, kind, currency)
	VALUES (repeat('中', 65), '65 characters', 'asset', 'CNY');
\echo :LAST_ERROR_SQLSTATE

\c :regress_db
DROP DATABASE ledger_regress_account_codes;
