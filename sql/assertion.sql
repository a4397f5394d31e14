--
-- assertion: balance assertions (勾稽关系) — defined, checked on the current
-- balances and on a day's closing balances, blocking the cutoff or not,
-- with summary accounts and an empty side.
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS ledger_regress_assertion;
CREATE DATABASE ledger_regress_assertion;
\c ledger_regress_assertion
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('1002', 'reserve funds (备付金)', 'asset', 'CNY'),
	('1012', 'funds in transit', 'asset', 'CNY'),
	('1131', 'settlement clearing', 'asset', 'CNY'),
	('2241', 'customer wallets', 'liability', 'CNY'),
	('6021', 'fee income', 'revenue', 'CNY'),
	('1002U', 'reserve funds USD', 'asset', 'USD');
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES
	('1002.01', 'reserve at bank A', 'asset', 'CNY', '1002'),
	('1002.02', 'reserve at bank B', 'asset', 'CNY', '1002'),
	('2241.01', 'wallet A', 'liability', 'CNY', '2241'),
	('2241.02', 'wallet B', 'liability', 'CNY', '2241');

-- customer wallets are covered by the reserve funds plus the funds in transit
-- (from the bank, and collected by a channel but not settled yet; summary
-- accounts allowed), the settlement clearing account is zero (an empty right
-- side), and fee income stays small (not blocking)
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES
	('reserve_coverage', '{2241}', '<=', '{1002,1012,1131}', 'CNY'),
	('clearing_zero', '{1131}', '=', '{}', 'CNY');
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency, tolerance, blocking) VALUES
	('fees_small', '{6021}', '<=', '{}', 'CNY', '1.00 CNY', false);
SELECT * FROM ledger.assertion ORDER BY name;

-- what an assertion must be
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES ('x', '{2241,nope}', '<=', '{1002}', 'CNY');
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES ('x', '{2241}', '<', '{1002}', 'CNY');
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency, tolerance) VALUES ('x', '{2241}', '=', '{1002}', 'CNY', '1 USD');
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency, tolerance) VALUES ('x', '{2241}', '=', '{1002}', 'CNY', '-1 CNY');
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES ('x', '{2241}', '<=', '{1002U}', 'CNY');
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES ('x', '{2241}', '<=', '{1002}', 'XYZ');
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES ('reserve_coverage', '{2241}', '<=', '{1002}', 'CNY');

-- empty books: every assertion holds
SELECT * FROM ledger.check_assertions();

-- top-ups collected through a channel: the money is in clearing until the channel settles
SELECT ledger.post('topup-a', ARRAY['1131', '2241.01'], ARRAY['300.00 CNY', '-300.00 CNY']::ledger.amount[]) IS NOT NULL AS posted;
SELECT ledger.post('topup-b', ARRAY['1131', '2241.02'], ARRAY['200.00 CNY', '-200.00 CNY']::ledger.amount[]) IS NOT NULL AS posted;
SELECT * FROM ledger.check_assertions();
-- the channel settles 400.00 into bank A and 100.00 is on its way
SELECT ledger.post('settle-1', ARRAY['1002.01', '1131'], ARRAY['400.00 CNY', '-400.00 CNY']::ledger.amount[]) IS NOT NULL AS posted;
SELECT ledger.post('settle-2', ARRAY['1012', '1131'], ARRAY['100.00 CNY', '-100.00 CNY']::ledger.amount[]) IS NOT NULL AS posted;
SELECT * FROM ledger.check_assertions();
-- a fee of 2.00 taken from wallet A: over the non-blocking limit
SELECT ledger.post('fee-1', ARRAY['2241.01', '6021'], ARRAY['2.00 CNY', '-2.00 CNY']::ledger.amount[]) IS NOT NULL AS posted;
SELECT * FROM ledger.check_assertions();
-- the open day's checks carry the assertions
SELECT check_name, currency, ok, detail FROM ledger.check_books('2026-11-02') WHERE check_name LIKE 'assertion:%';

-- a withdrawal paid out of the reserve
SELECT ledger.post('withdraw', ARRAY['2241.02', '1002.01'], ARRAY['50.00 CNY', '-50.00 CNY']::ledger.amount[]) IS NOT NULL AS posted;
-- a second top-up collected late in the day: clearing is not zero at the close
SELECT ledger.post('topup-c', ARRAY['1131', '2241.01'], ARRAY['20.00 CNY', '-20.00 CNY']::ledger.amount[]) IS NOT NULL AS posted;
SELECT * FROM ledger.check_assertions();

-- the cutoff: a failing blocking assertion keeps the day closing, like any failed check
CALL ledger.close_day();
SELECT book_date, status FROM ledger.book_day ORDER BY 1;
SELECT check_name, ok, detail FROM ledger.book_check WHERE book_date = '2026-11-02' AND check_name LIKE 'assertion:%' ORDER BY 1;
SELECT failed_checks FROM ledger.day_close WHERE book_date = '2026-11-02';
-- postings go on, on the next day
SELECT ledger.post('settle-3', ARRAY['1002.02', '1131'], ARRAY['20.00 CNY', '-20.00 CNY']::ledger.amount[]) IS NOT NULL AS posted;
SELECT ledger.current_book_date();
-- the closing day's balances are what they are; the operator confirms the 20.00
-- arrived on the next day, lets this day close with the failure on record, and
-- makes the assertion blocking again
UPDATE ledger.assertion SET blocking = false WHERE name = 'clearing_zero';
CALL ledger.close_day('2026-11-02');
UPDATE ledger.assertion SET blocking = true WHERE name = 'clearing_zero';
SELECT book_date, status FROM ledger.book_day ORDER BY 1;
SELECT check_name, ok, detail FROM ledger.book_check WHERE book_date = '2026-11-02' AND check_name LIKE 'assertion:%' ORDER BY 1;
-- on a closed day the assertions read its closing balances (the daily balances, summary rows included)
SELECT check_name, currency, ok, detail FROM ledger.check_books('2026-11-02') WHERE check_name LIKE 'assertion:%';
-- and the current balances are fine again, except for the fees
SELECT * FROM ledger.check_assertions();

-- a tolerance: rounding differences up to 0.05 are accepted
UPDATE ledger.assertion SET tolerance = '0.05 CNY' WHERE name = 'clearing_zero';
SELECT ledger.post('odd', ARRAY['1131', '2241.01'], ARRAY['0.03 CNY', '-0.03 CNY']::ledger.amount[]) IS NOT NULL AS posted;
SELECT * FROM ledger.check_assertions() WHERE name = 'clearing_zero';
-- '>=' reads the other way round
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES ('reserve_over_wallets', '{1002,1012}', '>=', '{2241}', 'CNY');
SELECT * FROM ledger.check_assertions() WHERE name = 'reserve_over_wallets';
-- an account deleted under an assertion: the assertion fails until it is fixed
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('tmp', 'temporary', 'asset', 'CNY');
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES ('tmp_zero', '{tmp}', '=', '{}', 'CNY');
DELETE FROM ledger.account WHERE code = 'tmp';
SELECT * FROM ledger.check_assertions() WHERE name = 'tmp_zero';
DELETE FROM ledger.assertion WHERE name = 'tmp_zero';

-- dumped with the books
SELECT 'ledger.assertion'::regclass = ANY (e.extconfig) AS dumped FROM pg_extension e WHERE e.extname = 'ledger';

\c :regress_db
DROP DATABASE ledger_regress_assertion;
