--
-- holds_review: what a reviewer found in the holds and the account history.
-- A caller that cannot read the books learns from ledger.hold, post_hold and
-- void_hold only which parts differ / the state, not another's hold; an
-- untyped array literal resolves to ledger.hold's one-text form (no global
-- preferred type); a new floor or ceiling is checked against the available
-- balance; rules give 55000; account_history's book dates give 22008; text
-- amounts name their line; a replay returns the hold whatever its accounts'
-- state; post_hold's amount errors quote the hold only to a reader; an
-- account a hold names keeps its code, kind, currency and parent, and stays
-- a leaf; check_books sees a held line that does not match its account.
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS ledger_regress_holds_review;
CREATE DATABASE ledger_regress_holds_review;
\c ledger_regress_holds_review
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'reserve funds', 'asset', 'CNY'),
	('transit', 'in transit', 'asset', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency, floor) VALUES
	('w1', 'wallet 1', 'liability', 'CNY', '0 CNY');
INSERT INTO ledger.account (code, name, kind, currency, ceiling) VALUES
	('w3', 'class II wallet', 'liability', 'CNY', '500 CNY');
SELECT ledger.post('fund-1', ARRAY['bank', 'w1'], ARRAY['120 CNY', '-120 CNY']::ledger.amount[], 'top-up');
SELECT ledger.post('fund-3', ARRAY['bank', 'w3'], ARRAY['400 CNY', '-400 CNY']::ledger.amount[], 'top-up');

-- errors whose DETAIL carries a time: the SQLSTATE and the DETAIL up to the time
CREATE FUNCTION pg_temp.detail(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	d text;
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ': ' || regexp_replace(d, ' at \d{4}-.*$', ' at <time>');
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.detail(text) TO PUBLIC;

-- ---- 1. the replay of a hold key quotes the hold only to a reader or its writer ----
DROP ROLE IF EXISTS regress_hr_alice;
DROP ROLE IF EXISTS regress_hr_bob;
CREATE ROLE regress_hr_alice LOGIN;
CREATE ROLE regress_hr_bob LOGIN;
GRANT USAGE ON SCHEMA ledger TO regress_hr_alice, regress_hr_bob;
GRANT EXECUTE ON FUNCTION
	ledger.hold(text, text[], ledger.amount[], text, text, timestamptz, jsonb),
	ledger.hold(text, text[], text[], text, text, timestamptz, jsonb),
	ledger.hold(text, text[], text, text, text, timestamptz, jsonb),
	ledger.post_hold(bigint, text, ledger.amount[], text),
	ledger.void_hold(bigint, text)
	TO regress_hr_alice, regress_hr_bob;
SET SESSION AUTHORIZATION regress_hr_alice;
SELECT ledger.hold('h1', ARRAY['w1', 'transit'], ARRAY['50 CNY', '-50 CNY'], 'salary advance for Zhang San') AS h1 \gset
SELECT ledger.hold('h2', ARRAY['w1', 'transit'], ARRAY['1 CNY', '-1 CNY'], 'card check') AS h2 \gset
SELECT ledger.void_hold(:h2, 'checked');
-- the writer reads its own hold
SELECT ledger.hold('h1', ARRAY['w1', 'transit'], ARRAY['50 CNY', '-50 CNY'], 'other');
SELECT pg_temp.detail($$SELECT ledger.void_hold($$ || :h2 || $$)$$);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_hr_bob;
-- another login without SELECT on the hold tables: which parts differ, not what they hold
SELECT ledger.hold('h1', ARRAY['w1', 'transit'], ARRAY['50 CNY', '-50 CNY'], 'other');
SELECT ledger.hold('h1', ARRAY['w1', 'transit'], ARRAY['49 CNY', '-49 CNY'], 'other', 'R-1');
SELECT ledger.hold('h1', ARRAY['w1', 'transit'], ARRAY['49 CNY', '-49 CNY'], 'salary advance for Zhang San');
-- the same content replays, for anyone with the key
SELECT ledger.hold('h1', ARRAY['w1', 'transit'], ARRAY['50 CNY', '-50 CNY'], 'salary advance for Zhang San') = :h1 AS replayed;
-- a settled hold: its state, not its key or when it was settled
SELECT ledger.void_hold(:h2);
SELECT ledger.post_hold(:h2, 'p-h2');
RESET SESSION AUTHORIZATION;
-- the owner reads the books: the full story
SELECT pg_temp.detail($$SELECT ledger.void_hold($$ || :h2 || $$)$$);

-- ---- 2. no global preferred type: an untyped literal resolves to the one-text form ----
SELECT typispreferred FROM pg_catalog.pg_type WHERE oid = 'ledger.amount[]'::regtype;
SELECT p.oid::regprocedure AS form FROM pg_catalog.pg_proc p
 WHERE p.proname = 'hold' AND p.pronamespace = 'ledger'::regnamespace ORDER BY 1::text;
SELECT ledger.hold('lit-1', ARRAY['w1', 'transit'], '{5 CNY,-5 CNY}', 'untyped') AS lit1 \gset
SELECT ledger.hold('lit-1', '{w1,transit}', '{5 CNY,-5 CNY}', 'untyped') = :lit1 AS untyped_replay;
SELECT ledger.hold('lit-1', ARRAY['w1', 'transit'], ARRAY['5 CNY', '-5 CNY'], 'untyped') = :lit1 AS text_array_replay;
SELECT ledger.void_hold(:lit1);
SELECT ledger.post('lit-p', ARRAY['bank', 'w1'], '{1 CNY,-1 CNY}', 'untyped') IS NOT NULL AS post_untyped;
-- a malformed literal
SELECT ledger.hold('lit-2', ARRAY['w1', 'transit'], '{5 CNY');

-- ---- 8. a malformed text amount names its line, as in ledger.post ----
SELECT ledger.hold('txt-1', ARRAY['w1', 'transit'], ARRAY['5 CNY', 'five']);
SELECT ledger.post('txt-p', ARRAY['w1', 'transit'], ARRAY['5 CNY', 'five']);

-- ---- 3. a new floor or ceiling is checked against the available balance ----
-- w1: balance 121, held 50 (h1) would lower it: available 71
SELECT ledger.balance('w1'), ledger.available('w1');
UPDATE ledger.account SET floor = '100 CNY' WHERE code = 'w1';
\echo :LAST_ERROR_SQLSTATE
UPDATE ledger.account SET floor = '71 CNY' WHERE code = 'w1';
-- a top-up still goes through
SELECT ledger.post('top-w1', ARRAY['bank', 'w1'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[]) IS NOT NULL AS topped_up;
UPDATE ledger.account SET floor = '0 CNY' WHERE code = 'w1';
-- w3: balance 400, 50 on its way in: 450 with the held money
SELECT ledger.hold('in-3', ARRAY['transit', 'w3'], ARRAY['50 CNY', '-50 CNY']) AS in3 \gset
UPDATE ledger.account SET ceiling = '420 CNY' WHERE code = 'w3';
\echo :LAST_ERROR_SQLSTATE
UPDATE ledger.account SET ceiling = '450 CNY' WHERE code = 'w3';
-- without held money the message is as before
UPDATE ledger.account SET ceiling = '300 CNY' WHERE code = 'bank';
SELECT ledger.void_hold(:in3);

-- ---- 4. a rule on the books: 55000 naming the table, as ledger.post gives ----
SELECT ledger.hold('r-1', ARRAY['w1', 'transit'], ARRAY['2 CNY', '-2 CNY']) AS r1 \gset
ALTER EVENT TRIGGER ledger_no_rules DISABLE;
CREATE RULE skip_entries AS ON INSERT TO ledger.entry DO INSTEAD NOTHING;
SELECT ledger.post_hold(:r1, 'r-1-post');
DROP RULE skip_entries ON ledger.entry;
CREATE RULE skip_second AS ON INSERT TO ledger.entry WHERE NEW.line_no = 2 DO INSTEAD NOTHING;
SELECT ledger.post_hold(:r1, 'r-1-post');
DROP RULE skip_second ON ledger.entry;
CREATE RULE skip_vouchers AS ON INSERT TO ledger.voucher DO INSTEAD NOTHING;
SELECT ledger.post_hold(:r1, 'r-1-post');
DROP RULE skip_vouchers ON ledger.voucher;
CREATE RULE skip_holds AS ON INSERT TO ledger.hold DO INSTEAD NOTHING;
SELECT ledger.hold('r-2', ARRAY['w1', 'transit'], ARRAY['2 CNY', '-2 CNY']);
DROP RULE skip_holds ON ledger.hold;
CREATE RULE skip_lines AS ON INSERT TO ledger.hold_line DO INSTEAD NOTHING;
SELECT ledger.hold('r-2', ARRAY['w1', 'transit'], ARRAY['2 CNY', '-2 CNY']);
DROP RULE skip_lines ON ledger.hold_line;
ALTER EVENT TRIGGER ledger_no_rules ENABLE ALWAYS;
-- without the rules the same session goes on
SELECT ledger.post_hold(:r1, 'r-1-post') IS NOT NULL AS posted;
SELECT ledger.hold('r-2', ARRAY['w1', 'transit'], ARRAY['2 CNY', '-2 CNY']) IS NOT NULL AS held;

-- ---- 6. account_history's dates are book dates: 22008 as everywhere ----
SELECT * FROM ledger.account_history('w1', '-infinity');
SELECT * FROM ledger.account_history('w1', 'infinity');
SELECT * FROM ledger.account_history('w1', '1899-12-31');
SELECT * FROM ledger.account_history('w1', '2026-11-02', '10000-01-01');
SELECT count(*) AS entries FROM ledger.account_history('w1', '2026-11-02', 'infinity');

-- ---- 7. _expired_held is stable: past its expiry at the transaction's start ----
SELECT provolatile FROM pg_catalog.pg_proc WHERE oid = 'ledger._expired_held(bigint)'::regprocedure;
BEGIN;
SELECT ledger.hold('soon', ARRAY['w1', 'transit'], ARRAY['3 CNY', '-3 CNY'], NULL, NULL,
	clock_timestamp() + interval '1 second') AS soon \gset
SELECT pg_sleep(1.2);
-- in this transaction the hold still reserves its money, in both views of it
SELECT debit, credit FROM ledger._expired_held((SELECT id FROM ledger.account WHERE code = 'w1'));
SELECT ledger.available('w1')::text = (SELECT available::text FROM ledger.balances WHERE account_code = 'w1') AS agree;
COMMIT;
-- in a later one it reserves nothing; the view counts it until expire_holds()
SELECT debit, credit FROM ledger._expired_held((SELECT id FROM ledger.account WHERE code = 'w1'));
SELECT ledger.available('w1') AS available, (SELECT available FROM ledger.balances WHERE account_code = 'w1') AS view_available;
SELECT ledger.expire_holds();
SELECT ledger.available('w1') AS available, (SELECT available FROM ledger.balances WHERE account_code = 'w1') AS view_available;

-- ---- 9. a replay returns the hold whatever its accounts' state is now ----
INSERT INTO ledger.account (code, name, kind, currency, floor) VALUES
	('w4', 'wallet 4', 'liability', 'CNY', '0 CNY');
SELECT ledger.post('fund-4', ARRAY['bank', 'w4'], ARRAY['100 CNY', '-100 CNY']::ledger.amount[]) IS NOT NULL AS funded;
SELECT ledger.hold('f1', ARRAY['w4', 'bank'], ARRAY['60 CNY', '-60 CNY']::ledger.amount[]) AS f1 \gset
UPDATE ledger.account SET status = 'frozen' WHERE code = 'w4';
SELECT ledger.hold('f1', ARRAY['w4', 'bank'], ARRAY['60 CNY', '-60 CNY']::ledger.amount[]) = :f1 AS replayed_frozen;
-- another content with the key is refused as before, the account's state aside
SELECT ledger.hold('f1', ARRAY['w4', 'bank'], ARRAY['61 CNY', '-61 CNY']::ledger.amount[]);
-- a new hold on the frozen account is refused
SELECT ledger.hold('f1-new', ARRAY['w4', 'bank'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
SET SESSION AUTHORIZATION regress_hr_bob;
SELECT ledger.hold('f1', ARRAY['w4', 'bank'], ARRAY['60 CNY', '-60 CNY']::ledger.amount[]) = :f1 AS replayed_by_another;
SELECT ledger.hold('f1', ARRAY['w4', 'bank'], ARRAY['61 CNY', '-61 CNY']::ledger.amount[]);
RESET SESSION AUTHORIZATION;
-- closed: the hold settled, the balance moved out
UPDATE ledger.account SET status = 'open' WHERE code = 'w4';
SELECT ledger.void_hold(:f1);
SELECT ledger.post('drain-4', ARRAY['w4', 'bank'], ARRAY['100 CNY', '-100 CNY']::ledger.amount[]) IS NOT NULL AS drained;
UPDATE ledger.account SET status = 'closed' WHERE code = 'w4';
SELECT ledger.hold('f1', ARRAY['w4', 'bank'], ARRAY['60 CNY', '-60 CNY']::ledger.amount[]) = :f1 AS replayed_closed;
SELECT ledger.hold('f1-new', ARRAY['w4', 'bank'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);

-- ---- 10. post_hold's amounts: the held lines only to a reader or the hold's writer ----
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('w5', 'wallet 5', 'liability', 'CNY');
SET SESSION AUTHORIZATION regress_hr_alice;
SELECT ledger.hold('p1', ARRAY['w5', 'transit'], ARRAY['60 CNY', '-60 CNY'], 'withdrawal') AS p1 \gset
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_hr_bob;
-- which of the amounts is wrong, not the hold's lines, accounts or amounts
SELECT ledger.post_hold(:p1, 'probe', ARRAY[]::ledger.amount[]);
SELECT ledger.post_hold(:p1, 'probe', ARRAY['1 CNY']::ledger.amount[]);
SELECT ledger.post_hold(:p1, 'probe', ARRAY['0.01 USD', '0.01 USD']::ledger.amount[]);
SELECT ledger.post_hold(:p1, 'probe', ARRAY['0 CNY', '1 CNY']::ledger.amount[]);
SELECT ledger.post_hold(:p1, 'probe', ARRAY['61 CNY', '-61 CNY']::ledger.amount[]);
RESET SESSION AUTHORIZATION;
-- the hold's writer reads them
SET SESSION AUTHORIZATION regress_hr_alice;
SELECT ledger.post_hold(:p1, 'probe', ARRAY[]::ledger.amount[]);
SELECT ledger.post_hold(:p1, 'probe', ARRAY['0.01 USD', '0.01 USD']::ledger.amount[]);
SELECT ledger.post_hold(:p1, 'probe', ARRAY['0 CNY', '1 CNY']::ledger.amount[]);
RESET SESSION AUTHORIZATION;
-- and so does a reader of the books
SELECT ledger.post_hold(:p1, 'probe', ARRAY['61 CNY', '-61 CNY']::ledger.amount[]);
-- nothing was posted, the hold is still pending
SELECT status FROM ledger.hold WHERE id = :p1;
SELECT ledger.void_hold(:p1);

-- ---- 11. an account a hold names keeps its code, kind, currency and parent, and stays a leaf ----
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('2241', 'wallets', 'liability', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES
	('2241.1', 'wallet a', 'liability', 'CNY', '2241'),
	('2241.2', 'wallet b', 'liability', 'CNY', '2241'),
	('2241.3', 'wallet c', 'liability', 'CNY', '2241'),
	('2241.4', 'wallet d', 'liability', 'CNY', '2241');
INSERT INTO ledger.account (code, name, kind, currency, metadata) VALUES
	('3001', 'clearing', 'common', 'CNY', '{"normal_side": "debit"}');
SELECT ledger.hold('ha', ARRAY['transit', '2241.3'], ARRAY['50 CNY', '-50 CNY']) AS ha \gset
SELECT ledger.hold('hb', ARRAY['transit', '2241.2'], ARRAY['40 CNY', '-40 CNY']) AS hb \gset
SELECT ledger.hold('hc', ARRAY['transit', '2241.1'], ARRAY['30 CNY', '-30 CNY']) AS hc \gset
SELECT ledger.hold('hd', ARRAY['3001', 'transit'], ARRAY['20 CNY', '-20 CNY']) AS hd \gset
UPDATE ledger.account SET currency = 'USD' WHERE code = '2241.3';
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('2241.2.1', 'child', 'liability', 'CNY', '2241.2');
UPDATE ledger.account SET kind = 'asset', parent_code = NULL WHERE code = '2241.1';
UPDATE ledger.account SET code = '2241.9' WHERE code = '2241.1';
UPDATE ledger.account SET metadata = '{"normal_side": "credit"}' WHERE code = '3001';
-- a settled hold is history too: voided, it still keeps its accounts as they are
SELECT ledger.void_hold(:hb);
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('2241.2.1', 'child', 'liability', 'CNY', '2241.2');
UPDATE ledger.account SET parent_code = NULL WHERE code = '2241.2';
-- what does not touch the lines goes through: the name, the status, bounds
UPDATE ledger.account SET name = 'wallet a (renamed)', floor = '-100 CNY' WHERE code = '2241.1';
UPDATE ledger.account SET status = 'frozen' WHERE code = '2241.2';
-- an account no hold names changes as before
UPDATE ledger.account SET parent_code = NULL, kind = 'asset', currency = 'USD' WHERE code = '2241.4';
-- a sub-account's kind and currency follow its parent also when only they change
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('2241.5', 'wallet e', 'liability', 'CNY', '2241');
UPDATE ledger.account SET currency = 'USD' WHERE code = '2241.5';
UPDATE ledger.account SET kind = 'asset' WHERE code = '2241.5';
SELECT code, kind, currency, parent_code FROM ledger.account WHERE code LIKE '2241%' OR code = '3001' ORDER BY code;
-- check_books sees a held line that no longer matches its account (triggers off)
SELECT check_name, currency, ok, detail FROM ledger.check_books(ledger.current_book_date())
 WHERE check_name = 'holds_match_lines' ORDER BY currency;
SET session_replication_role = replica;
UPDATE ledger.account SET currency = 'USD' WHERE code = '2241.3';
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('2241.1.1', 'child', 'liability', 'CNY', '2241.1');
RESET session_replication_role;
SELECT check_name, currency, ok, detail FROM ledger.check_books(ledger.current_book_date())
 WHERE check_name = 'holds_match_lines' ORDER BY currency;
SET session_replication_role = replica;
DELETE FROM ledger.account WHERE code = '2241.1.1';
UPDATE ledger.account SET currency = 'CNY' WHERE code = '2241.3';
RESET session_replication_role;
SELECT check_name, currency, ok FROM ledger.check_books(ledger.current_book_date())
 WHERE check_name = 'holds_match_lines' ORDER BY currency;

\c :regress_db
DROP DATABASE ledger_regress_holds_review;
DROP ROLE regress_hr_alice, regress_hr_bob;
