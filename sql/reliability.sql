--
-- reliability: promises that broke when the books were attacked (issue 10)
--
--   what a poster learns from an idempotency conflict (item 5)
--   the normal side of a posted account is locked like its kind (item 6)
--   the cutoff refuses a day whose entries disagree with their accounts (item 3)
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS ledger_regress_reliability;
CREATE DATABASE ledger_regress_reliability;
\c ledger_regress_reliability
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'reserve funds', 'asset', 'CNY'), ('w1', 'wallet 1', 'liability', 'CNY'),
	('w2', 'wallet 2', 'liability', 'CNY'), ('cmn', 'clearing', 'common', 'CNY');

-- ---------------------------------------------------------------------------
-- what a poster learns from an idempotency conflict: two posters with the
-- README's grants, logged in as themselves
-- ---------------------------------------------------------------------------
CREATE ROLE regress_rel_alice LOGIN;
CREATE ROLE regress_rel_bob LOGIN;
GRANT USAGE ON SCHEMA ledger TO regress_rel_alice, regress_rel_bob;
GRANT EXECUTE ON FUNCTION
	ledger.post(text, text[], ledger.amount[], text, text, jsonb),
	ledger.reverse(bigint, text, text, boolean),
	ledger.balance(text),
	ledger.balance(text, date)
	TO regress_rel_alice, regress_rel_bob;

SET SESSION AUTHORIZATION regress_rel_alice;
SELECT ledger.post('salary-7', ARRAY['bank', 'w1'], ARRAY['8888.88 CNY', '-8888.88 CNY']::ledger.amount[],
                   'salary of employee 7', 'HR-7') AS salary \gset
-- alice wrote it: a conflict names what differs, with the values
SELECT ledger.post('salary-7', ARRAY['bank', 'w1'], ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[],
                   'salary of employee 7', 'HR-7');
SELECT ledger.post('salary-7', ARRAY['bank', 'w1'], ARRAY['8888.88 CNY', '-8888.88 CNY']::ledger.amount[], 'guess', 'HR-7');
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION regress_rel_bob;
-- bob did not write it and cannot read the books: he learns which parts
-- differ, never what they hold
SELECT ledger.post('salary-7', ARRAY['bank', 'w2'], ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[]);
SELECT ledger.post('salary-7', ARRAY['bank', 'w1'], ARRAY['8888.88 CNY', '-8888.88 CNY']::ledger.amount[], 'guess', 'HR-7');
SELECT ledger.post('salary-7', ARRAY['bank', 'w1'], ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[], 'guess', 'guess');
-- the same content is the same voucher, as for anyone
SELECT ledger.post('salary-7', ARRAY['bank', 'w1'], ARRAY['8888.88 CNY', '-8888.88 CNY']::ledger.amount[],
                   'salary of employee 7', 'HR-7') = :salary AS replayed;
-- the probe: a reversal bob writes repeats alice's lines; posting against
-- its key in a transaction rolled back must not walk them line by line
BEGIN;
SELECT ledger.reverse(:salary, 'probe') > 0 AS reversed;
SAVEPOINT s;
SELECT ledger.post('probe', ARRAY['bank', 'w1'], ARRAY['-1.00 CNY', '1.00 CNY']::ledger.amount[]);
ROLLBACK TO s;
SELECT ledger.post('probe', ARRAY['bank', 'w1'], ARRAY['-8888.88 CNY', '8888.88 CNY']::ledger.amount[]);
ROLLBACK;
-- his own vouchers he may read about
SELECT ledger.post('bob-1', ARRAY['bank', 'w2'], ARRAY['3.00 CNY', '-3.00 CNY']::ledger.amount[], 'mine') > 0 AS posted;
SELECT ledger.post('bob-1', ARRAY['bank', 'w2'], ARRAY['4.00 CNY', '-4.00 CNY']::ledger.amount[], 'mine');
RESET SESSION AUTHORIZATION;
-- who reads the books (here the superuser) sees the content
SELECT ledger.post('salary-7', ARRAY['bank', 'w2'], ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[]);

-- ---------------------------------------------------------------------------
-- the normal side of a posted account is locked like its kind
-- ---------------------------------------------------------------------------
-- before any posting it may change
UPDATE ledger.account SET metadata = '{"normal_side": "credit"}' WHERE code = 'cmn';
UPDATE ledger.account SET metadata = NULL WHERE code = 'cmn';
SELECT ledger.post('cmn-1', ARRAY['cmn', 'w1'], ARRAY['5.00 CNY', '-5.00 CNY']::ledger.amount[]) > 0 AS posted;
UPDATE ledger.account SET metadata = '{"normal_side": "credit"}' WHERE code = 'cmn';
UPDATE ledger.account SET metadata = '{"normal_side": "debit", "note": "same side"}' WHERE code = 'cmn';
SELECT code, ledger.normal_side(kind, metadata) AS side, ledger.balance(code) FROM ledger.account WHERE code = 'cmn';

-- ---------------------------------------------------------------------------
-- the cutoff refuses a day whose entries disagree with their accounts: an
-- account changed behind the triggers' back (session_replication_role)
-- ---------------------------------------------------------------------------
SELECT check_name, ok, detail FROM ledger.check_books('2026-11-02') WHERE check_name = 'entries_match_accounts';
SET session_replication_role = replica;
UPDATE ledger.account SET currency = 'USD' WHERE code = 'w2';
SET session_replication_role = DEFAULT;
SELECT check_name, ok, detail FROM ledger.check_books('2026-11-02') WHERE check_name = 'entries_match_accounts';
CALL ledger.close_day();
SELECT book_date, status FROM ledger.book_day ORDER BY 1;
-- an entry whose account is gone
SET session_replication_role = replica;
UPDATE ledger.account SET currency = 'CNY' WHERE code = 'w2';
DELETE FROM ledger.account WHERE code = 'cmn';
SET session_replication_role = DEFAULT;
SELECT check_name, ok, detail FROM ledger.check_books('2026-11-02') WHERE check_name = 'entries_match_accounts';
CALL ledger.close_day('2026-11-02');
SELECT book_date, status FROM ledger.book_day ORDER BY 1;
-- put back, the next call finishes the day
SET session_replication_role = replica;
INSERT INTO ledger.account (id, code, name, kind, currency) SELECT e.account_id, 'cmn', 'clearing', 'common', 'CNY'
  FROM ledger.entry e WHERE NOT EXISTS (SELECT 1 FROM ledger.account a WHERE a.id = e.account_id) LIMIT 1;
SET session_replication_role = DEFAULT;
CALL ledger.close_day('2026-11-02');
SELECT book_date, status FROM ledger.book_day ORDER BY 1;

\c :regress_db
DROP DATABASE ledger_regress_reliability;
DROP ROLE regress_rel_alice, regress_rel_bob;
