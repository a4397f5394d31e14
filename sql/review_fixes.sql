--
-- review_fixes: defects a review found
--
--   a red/blue replay of a reversal names the red-letter / opposite-side form
--   an assertion's currency is stored as the accounts write it ('cny' -> CNY)
--   an Alipay account header cut at 90 bytes never holds half a character
--   the day digest (version 2) covers voucher.hold_id
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
\getenv abs_srcdir PG_ABS_SRCDIR
\set ap_acct :abs_srcdir '/test/data/alipay_account.csv'
DROP DATABASE IF EXISTS ledger_regress_review_fixes;
CREATE DATABASE ledger_regress_review_fixes;
\c ledger_regress_review_fixes
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'reserve funds', 'asset', 'CNY'), ('wallets', 'wallets', 'liability', NULL),
	('transit', 'in transit', 'liability', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES
	('w1', 'wallet 1', 'liability', 'CNY', 'wallets'), ('w2', 'wallet 2', 'liability', 'CNY', 'wallets');

-- ---------------------------------------------------------------------------
-- a red reversal replayed as a blue one (red => false): other content, and
-- the DETAIL says what differs, to a reader and to a poster who cannot read
-- ---------------------------------------------------------------------------
CREATE ROLE regress_rf_alice LOGIN;
CREATE ROLE regress_rf_bob LOGIN;
GRANT USAGE ON SCHEMA ledger TO regress_rf_alice, regress_rf_bob;
GRANT EXECUTE ON FUNCTION
	ledger.post(text, text[], ledger.amount[], text, text, jsonb),
	ledger.reverse(bigint, text, text, boolean)
	TO regress_rf_alice, regress_rf_bob;
SET SESSION AUTHORIZATION regress_rf_alice;
SELECT ledger.post('p4', ARRAY['bank', 'w1'], ARRAY['40.00 CNY', '-40.00 CNY']::ledger.amount[]) AS p4 \gset
SELECT ledger.reverse(:p4, 'r4') AS r4 \gset
-- alice wrote both: she may read them, the DETAIL says how they differ
SELECT ledger.reverse(:p4, 'r4', red => false);
RESET SESSION AUTHORIZATION;
SELECT ledger.post('p5', ARRAY['bank', 'w1'], ARRAY['5.00 CNY', '-5.00 CNY']::ledger.amount[]) AS p5 \gset
SELECT ledger.reverse(:p5, 'r5', red => false) AS r5 \gset
SELECT ledger.reverse(:p5, 'r5');
SET SESSION AUTHORIZATION regress_rf_bob;
-- bob cannot read the books: he learns which part differs, not what it holds
SELECT ledger.reverse(:p4, 'r4', red => false);
SELECT ledger.reverse(:p4, 'r4', 'other summary', red => false);
SELECT ledger.reverse(:p4, 'r4') = :r4 AS same_reversal;
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------------------
-- an assertion's currency as the accounts write it: 'cny' on a summary
-- account sums the CNY balances instead of nothing
-- ---------------------------------------------------------------------------
SELECT ledger.post('p7', ARRAY['bank', 'w1'], ARRAY['7.00 CNY', '-7.00 CNY']::ledger.amount[]) > 0 AS posted;
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES
	('wallets_empty', '{wallets}', '=', '{}', 'cny');
SELECT name, currency FROM ledger.assertion;
SELECT name, ok, detail FROM ledger.check_assertions();
UPDATE ledger.assertion SET currency = 'usdt/6' WHERE name = 'wallets_empty';
SELECT name, currency FROM ledger.assertion;
DELETE FROM ledger.assertion;

-- ---------------------------------------------------------------------------
-- the Alipay account statement's #账号 header, longer than 90 bytes, is cut
-- at a character boundary: file_header holds valid UTF-8 (a dump restores)
-- ---------------------------------------------------------------------------
SELECT octet_length(file_header->>'account') AS bytes,
       convert_from(textsend(file_header->>'account'), 'UTF8') = file_header->>'account' AS valid_utf8,
       file_header->>'account' AS account
  FROM ledger.load_alipay_account('ap-long', '2012-12-29',
         convert_to(regexp_replace(convert_from(pg_read_binary_file(:'ap_acct'), 'GBK'),
                                   '#账号：\[[^]]*\]', '#账号：[x' || repeat('商户', 20) || ']'), 'GBK'));

-- ---------------------------------------------------------------------------
-- the day digest covers voucher.hold_id: a voucher tied to another hold (or
-- to none) with the triggers off no longer verifies
-- ---------------------------------------------------------------------------
SELECT ledger.hold('h1', ARRAY['w2', 'transit'], ARRAY['3.00 CNY', '-3.00 CNY']::ledger.amount[]) AS h1 \gset
SELECT ledger.post('top', ARRAY['bank', 'w2'], ARRAY['10.00 CNY', '-10.00 CNY']::ledger.amount[]) > 0 AS posted;
SELECT ledger.post_hold(:h1, 'h1-post') AS h1_post \gset
SELECT hold_id = :h1 AS tied FROM ledger.voucher WHERE id = :h1_post;
CALL ledger.close_day();
SELECT book_date, status, digest_version FROM ledger.book_day ORDER BY 1;
SELECT book_date, ok FROM ledger.verify_books('2026-11-02', '2026-11-02');
SET session_replication_role = replica;
UPDATE ledger.voucher SET hold_id = NULL WHERE id = :h1_post;
SELECT book_date, ok FROM ledger.verify_books('2026-11-02', '2026-11-02');
UPDATE ledger.voucher SET hold_id = :h1 WHERE id = :h1_post;
SET session_replication_role = DEFAULT;
SELECT book_date, ok FROM ledger.verify_books('2026-11-02', '2026-11-02');

\c :regress_db
DROP DATABASE ledger_regress_review_fixes;
DROP ROLE regress_rf_alice, regress_rf_bob;
