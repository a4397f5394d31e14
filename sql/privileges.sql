--
-- privileges: what PUBLIC, a poster, an analyst and an operator can and
-- cannot do.  The GRANT sets are those of doc/privileges.md, word for word
-- (test/scripts/static_checks.sh compares them).
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS ledger_regress_privileges;
CREATE DATABASE ledger_regress_privileges;
\c ledger_regress_privileges
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES ('bank', 'reserve funds', 'asset', 'CNY', true);
INSERT INTO ledger.account (code, name, kind, currency, floor) VALUES
	('w1', 'wallet 1', 'liability', 'CNY', '0 CNY'), ('w2', 'wallet 2', 'liability', 'CNY', '0 CNY');
SELECT ledger.post('fund', ARRAY['bank', 'w1'], ARRAY['100 CNY', '-100 CNY']::ledger.amount[]) AS fund \gset

CREATE ROLE regress_ledger_fresh;
CREATE ROLE regress_ledger_poster;
CREATE ROLE regress_ledger_analyst;
CREATE ROLE regress_ledger_operator;

-- ---------------------------------------------------------------------------
-- PUBLIC: nothing.  No USAGE on the schema, no privilege on any relation,
-- EXECUTE only on the type's own functions (I/O, operators, aggregates,
-- constructors and accessors) and a few that read no table.
-- ---------------------------------------------------------------------------
SELECT has_schema_privilege('regress_ledger_fresh', 'ledger', 'USAGE') AS usage,
       has_schema_privilege('regress_ledger_fresh', 'ledger', 'CREATE') AS "create";
SELECT c.oid::regclass AS relation_public_can_touch
  FROM pg_class c
 WHERE c.relnamespace = 'ledger'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
   AND has_table_privilege('regress_ledger_fresh', c.oid,
	'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER');
SELECT s.oid::regclass AS sequence_public_can_touch
  FROM pg_class s
 WHERE s.relnamespace = 'ledger'::regnamespace AND s.relkind = 'S'
   AND CASE WHEN s.relkind = 'S' THEN has_sequence_privilege('regress_ledger_fresh', s.oid, 'USAGE, SELECT, UPDATE') END;
SELECT count(*) AS relations_checked FROM pg_class c
 WHERE c.relnamespace = 'ledger'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f', 'S');
-- every routine PUBLIC may execute, and why (a new one must be added here knowingly)
SELECT p.oid::regprocedure AS public_may_execute,
       CASE
         WHEN p.prokind = 'a' THEN 'aggregate'
         WHEN EXISTS (SELECT 1 FROM pg_type t WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend)) THEN 'type I/O'
         WHEN EXISTS (SELECT 1 FROM pg_operator o WHERE o.oprcode = p.oid) THEN 'operator'
         WHEN EXISTS (SELECT 1 FROM pg_amproc a WHERE a.amproc = p.oid) THEN 'operator class support'
         WHEN EXISTS (SELECT 1 FROM pg_aggregate g WHERE p.oid IN (g.aggtransfn, g.aggfinalfn, g.aggcombinefn,
                 g.aggserialfn, g.aggdeserialfn, g.aggmtransfn, g.aggminvtransfn, g.aggmfinalfn)) THEN 'aggregate support'
         WHEN EXISTS (SELECT 1 FROM pg_cast c WHERE c.castfunc = p.oid) THEN 'cast'
         ELSE 'function'
       END AS what
  FROM pg_proc p
 WHERE p.pronamespace = 'ledger'::regnamespace
   AND has_function_privilege('regress_ledger_fresh', p.oid, 'EXECUTE')
 ORDER BY 2, p.oid::regprocedure::text COLLATE "C";
SET ROLE regress_ledger_fresh;
SELECT '1 CNY'::ledger.amount;
SELECT count(*) FROM ledger.account;
SELECT count(*) FROM ledger.voucher;
SELECT count(*) FROM ledger.balances;
SELECT ledger.current_book_date();
SELECT ledger.balance('w1');
SELECT ledger.post('fresh-1', ARRAY['w1', 'w2'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
CALL ledger.close_day();
RESET ROLE;
-- USAGE alone (as every role below has) adds only the type and the functions above
GRANT USAGE ON SCHEMA ledger TO regress_ledger_fresh;
SET ROLE regress_ledger_fresh;
SELECT '1 CNY'::ledger.amount OPERATOR(ledger.+) '2 CNY'::ledger.amount AS type_works, ledger.current_book_date();
SELECT count(*) FROM ledger.account;
SELECT ledger.balance('w1');
SELECT ledger.balance('w1', '2026-11-02');
SELECT ledger.post('fresh-1', ARRAY['w1', 'w2'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
SELECT ledger.reverse(:fund, 'fresh-r');
SELECT * FROM ledger.check_books('2026-11-02');
SELECT * FROM ledger.verify_books('2026-11-02', '2026-11-02');
SELECT * FROM ledger.trial_balance('2026-11-02');
SELECT ledger.open_books('2026-11-03');
CALL ledger.close_day();
SELECT ledger._close_switch(NULL);
RESET ROLE;
REVOKE USAGE ON SCHEMA ledger FROM regress_ledger_fresh;

-- ---------------------------------------------------------------------------
-- poster: posts and reverses through the functions, reads balances; cannot
-- write a table directly, change accounts or run the cutoff
-- ---------------------------------------------------------------------------
GRANT USAGE ON SCHEMA ledger TO regress_ledger_poster;
GRANT EXECUTE ON FUNCTION
	ledger.post(text, text[], ledger.amount[], text, text, jsonb),
	ledger.reverse(bigint, text, text),
	ledger.balance(text),
	ledger.balance(text, date)
	TO regress_ledger_poster;

SET SESSION AUTHORIZATION regress_ledger_poster;
SELECT ledger.post('p-1', ARRAY['w1', 'w2'], ARRAY['30 CNY', '-30 CNY']::ledger.amount[], 'transfer') AS p1 \gset
SELECT ledger.post('p-1', ARRAY['w1', 'w2'], ARRAY['30 CNY', '-30 CNY']::ledger.amount[], 'transfer') = :p1 AS replay_same_id;
SELECT ledger.post('p-1', ARRAY['w1', 'w2'], ARRAY['31 CNY', '-31 CNY']::ledger.amount[], 'transfer');
SELECT ledger.post('p-2', ARRAY['w2', 'w1'], ARRAY['31 CNY', '-31 CNY']::ledger.amount[]);
SELECT ledger.reverse(:p1, 'p-1-r') IS NOT NULL AS reversed;
SELECT ledger.balance('w1') AS w1, ledger.balance('w2') AS w2, ledger.balance('bank') AS bank,
       ledger.balance('w1', '2026-11-02') AS w1_as_of;
-- direct writes and reads of the tables
INSERT INTO ledger.voucher (idempotency_key) VALUES ('direct');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (:p1, 9, 1, '1 CNY');
UPDATE ledger.account_balance SET units = units + 100;
UPDATE ledger.voucher SET summary = 'changed';
DELETE FROM ledger.entry;
TRUNCATE ledger.daily_balance;
SELECT count(*) FROM ledger.voucher;
SELECT count(*) FROM ledger.journal;
SELECT nextval('ledger.voucher_id_seq');
-- accounts
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('p.new', 'x', 'asset', 'CNY');
UPDATE ledger.account SET status = 'frozen' WHERE code = 'w2';
UPDATE ledger.account SET floor = NULL WHERE code = 'w1';
-- the cutoff and the books' checks
CALL ledger.close_day();
SELECT ledger._close_switch(NULL);
SELECT ledger._close_snapshot('2026-11-02');
SELECT ledger.open_books('2026-11-03');
SELECT * FROM ledger.check_books('2026-11-02');
RESET SESSION AUTHORIZATION;
SELECT idempotency_key, created_by, summary FROM ledger.voucher WHERE idempotency_key LIKE 'p-%' ORDER BY id;

-- ---------------------------------------------------------------------------
-- analyst: reads every table and view and the reports; writes nothing
-- ---------------------------------------------------------------------------
GRANT USAGE ON SCHEMA ledger TO regress_ledger_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA ledger TO regress_ledger_analyst;
GRANT EXECUTE ON FUNCTION
	ledger.balance(text),
	ledger.balance(text, date),
	ledger.trial_balance(date, date),
	ledger.check_books(date),
	ledger.verify_books(date, date)
	TO regress_ledger_analyst;

SET ROLE regress_ledger_analyst;
SELECT count(*) AS accounts FROM ledger.account;
SELECT count(*) AS vouchers FROM ledger.voucher;
SELECT count(*) AS entries FROM ledger.entry;
SELECT count(*) AS journal_rows FROM ledger.journal;
SELECT account_code, balance FROM ledger.balances ORDER BY 1;
SELECT ledger.currency(amount), (ledger.trial(amount)).* FROM ledger.entry GROUP BY 1;
SELECT check_name, ok FROM ledger.check_books('2026-11-02') WHERE NOT ok;
SELECT account_code, closing_debit, closing_credit FROM ledger.trial_balance('2026-11-02') ORDER BY 1 NULLS LAST;
SELECT ledger.balance('w1', '2026-11-02');
INSERT INTO ledger.voucher (idempotency_key) VALUES ('direct');
UPDATE ledger.account SET name = 'renamed' WHERE code = 'w1';
DELETE FROM ledger.book_check;
SELECT ledger.post('a-1', ARRAY['w1', 'w2'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
CALL ledger.close_day();
RESET ROLE;

-- ---------------------------------------------------------------------------
-- operator: manages accounts, opens the books and runs the cutoff; cannot
-- post, nor touch balances, vouchers, entries or book days directly
-- ---------------------------------------------------------------------------
GRANT USAGE ON SCHEMA ledger TO regress_ledger_operator;
GRANT SELECT, INSERT, UPDATE, DELETE ON ledger.account TO regress_ledger_operator;
GRANT USAGE ON SEQUENCE ledger.account_id_seq TO regress_ledger_operator;
GRANT SELECT ON ledger.book_day, ledger.book_check TO regress_ledger_operator;
GRANT EXECUTE ON PROCEDURE
	ledger.close_day(date),
	ledger._close_finish(date)
	TO regress_ledger_operator;
GRANT EXECUTE ON FUNCTION
	ledger.open_books(date),
	ledger._close_switch(date),
	ledger._close_wait(date),
	ledger._close_snapshot(date),
	ledger._close_check(date),
	ledger._close_seal(date),
	ledger.check_books(date),
	ledger.verify_books(date, date)
	TO regress_ledger_operator;

SET ROLE regress_ledger_operator;
-- accounts: open, tree, bounds, hot, freeze, delete an unused one, close an empty one
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('2241', 'customer wallets', 'liability', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency, parent_code, floor) VALUES ('2241.01', 'wallet', 'liability', 'CNY', '2241', '0 CNY');
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES ('fees', 'fee income', 'revenue', 'CNY', true);
UPDATE ledger.account SET ceiling = '5000 CNY' WHERE code = 'w1';
UPDATE ledger.account SET hot = false WHERE code = 'fees';
UPDATE ledger.account SET status = 'frozen' WHERE code = 'w2';
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('tmp', 'opened by mistake', 'asset', 'CNY');
DELETE FROM ledger.account WHERE code = 'tmp';
UPDATE ledger.account SET status = 'closed' WHERE code = '2241.01';
-- refused by the rules, not by privileges
UPDATE ledger.account SET floor = '1000 CNY' WHERE code = 'w1';
DELETE FROM ledger.account WHERE code = 'w1';
SELECT ledger.open_books('2026-12-01');
-- what an operator may not do
UPDATE ledger.account_balance SET units = units + 100;
INSERT INTO ledger.account_balance (account_id, slot) VALUES (1, 99);
SELECT count(*) FROM ledger.entry;
INSERT INTO ledger.voucher (idempotency_key) VALUES ('direct');
UPDATE ledger.book_day SET status = 'closed';
DELETE FROM ledger.daily_balance;
SELECT ledger.post('o-1', ARRAY['w1', 'bank'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
SELECT ledger.balance('w1');
-- the cutoff
CALL ledger.close_day();
SELECT book_date, status FROM ledger.book_day ORDER BY 1;
SELECT book_date, ok FROM ledger.verify_books('2026-11-02', '2026-11-02');
SELECT check_name, ok FROM ledger.check_books('2026-11-02') WHERE NOT ok;
RESET ROLE;
-- a failing cutoff reports its failed checks to the operator
UPDATE ledger.account_balance SET units = units + 1 WHERE account_id = (SELECT id FROM ledger.account WHERE code = 'w1');
SET ROLE regress_ledger_operator;
CALL ledger.close_day();
RESET ROLE;
UPDATE ledger.account_balance SET units = units - 1 WHERE account_id = (SELECT id FROM ledger.account WHERE code = 'w1');
SET ROLE regress_ledger_operator;
CALL ledger.close_day('2026-11-03');
SELECT book_date, status FROM ledger.book_day ORDER BY 1;
RESET ROLE;
SELECT a.code, a.status, a.hot, a.floor, a.ceiling, count(b.slot) AS balance_rows, max(b.blocked) AS blocked
  FROM ledger.account a LEFT JOIN ledger.account_balance b ON b.account_id = a.id
 GROUP BY a.id ORDER BY a.code;
SELECT count(*) AS checks_failed FROM ledger.check_books('2026-11-04') WHERE NOT ok;

\c :regress_db
DROP DATABASE ledger_regress_privileges;
DROP ROLE regress_ledger_fresh, regress_ledger_poster, regress_ledger_analyst, regress_ledger_operator;
