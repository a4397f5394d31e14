--
-- privileges: what PUBLIC, a poster, an analyst, an operator, a
-- reconciliation operator and a reconciliation analyst can and cannot do.
-- The GRANT sets are those of the README (Roles and privileges), word for word
-- (test/scripts/static_checks.sh compares them).
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
\getenv abs_srcdir PG_ABS_SRCDIR
\set wx_ok :abs_srcdir '/test/data/wechat_ok.csv'
\set ap_ok :abs_srcdir '/test/data/alipay_ok.csv'
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
CREATE ROLE regress_ledger_recon_operator;
CREATE ROLE regress_ledger_recon_analyst;

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
	ledger.post(text, text[], text[], text, text, jsonb),
	ledger.post(text, text[], text, text, text, jsonb),
	ledger.reverse(bigint, text, text, boolean),
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
GRANT EXECUTE ON FUNCTION ledger.check_assertions() TO regress_ledger_analyst;

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
SELECT * FROM ledger.check_assertions();
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES ('a', '{w1}', '<=', '{bank}', 'CNY');
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
GRANT SELECT, INSERT, UPDATE, DELETE ON ledger.assertion TO regress_ledger_operator;
GRANT EXECUTE ON FUNCTION ledger.check_assertions() TO regress_ledger_operator;

SET ROLE regress_ledger_operator;
-- accounts: open, tree, bounds, hot, freeze, delete an unused one, close an empty one
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('2241', 'customer wallets', 'liability', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency, parent_code, floor) VALUES ('2241.01', 'wallet', 'liability', 'CNY', '2241', '0 CNY');
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES ('fees', 'fee income', 'revenue', 'CNY', true);
UPDATE ledger.account SET ceiling = '5000 CNY' WHERE code = 'w1';
UPDATE ledger.account SET hot = false WHERE code = 'fees';
UPDATE ledger.account SET status = 'frozen' WHERE code = 'w2';
-- marks the clearing account the reconciliation operator may reconcile
UPDATE ledger.account SET reconcilable = true WHERE code = 'bank';
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('tmp', 'opened by mistake', 'asset', 'CNY');
DELETE FROM ledger.account WHERE code = 'tmp';
UPDATE ledger.account SET status = 'closed' WHERE code = '2241.01';
-- refused by the rules, not by privileges
UPDATE ledger.account SET floor = '1000 CNY' WHERE code = 'w1';
DELETE FROM ledger.account WHERE code = 'w1';
SELECT ledger.open_books('2026-12-01');
-- balance assertions: the reserve covers the wallets
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES ('wallets_covered', '{w1,w2}', '<=', '{bank}', 'CNY');
UPDATE ledger.assertion SET blocking = false WHERE name = 'wallets_covered';
SELECT * FROM ledger.check_assertions();
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

-- ---------------------------------------------------------------------------
-- reconciliation operator: loads statements (staged with COPY, as psql's
-- \copy does, or as an argument), reconciles, resolves breaks and reads the
-- results; cannot post, read the books or write the reconciliation tables
-- directly
-- ---------------------------------------------------------------------------
GRANT USAGE ON SCHEMA ledger TO regress_ledger_recon_operator;
GRANT EXECUTE ON FUNCTION
	ledger.stage_statement(),
	ledger.load_wechat_bill(text, date, text, text),
	ledger.load_alipay_bill(text, date, bytea),
	ledger.load_wechat_fundflow(text, date, text),
	ledger.load_alipay_account(text, date, bytea),
	ledger.load_mt940(text, text),
	ledger.load_camt053(text, text),
	ledger.load_statement_csv(text, date, text, text),
	ledger.resolve_break(bigint, text, bigint)
	TO regress_ledger_recon_operator;
GRANT EXECUTE ON PROCEDURE ledger.reconcile(text, date, text) TO regress_ledger_recon_operator;
GRANT SELECT ON ledger.statement_line, ledger.statement_import, ledger.statement_file, ledger.recon_run,
	ledger.recon_pending, ledger.recon_break, ledger.recon_report TO regress_ledger_recon_operator;
GRANT SELECT, INSERT, UPDATE, DELETE ON ledger.recon_rule TO regress_ledger_recon_operator;
GRANT SELECT ON ledger.recon_match TO regress_ledger_recon_operator;

-- a payment of the day with a ref on the clearing account (the reserve funds)
SELECT ledger.post('r-1', ARRAY['bank', 'w1'], ARRAY['5 CNY', '-5 CNY']::ledger.amount[], 'top-up', 'ORD-1') AS r1 \gset
-- the files, read by the superuser (pg_read_file is not the operator's)
SELECT pg_read_file(:'wx_ok') AS wx_text, pg_read_binary_file(:'ap_ok') AS ap_bytes \gset

SET SESSION AUTHORIZATION regress_ledger_recon_operator;
SELECT ledger.stage_statement();
COPY ledger_statement_stage (line) FROM STDIN WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e');
ref,external_id,amount
ORD-1,PSP-0001,5.00
ORD-2,PSP-0002,3.00
\.
SELECT format, line_count, total_amount, loaded_by FROM ledger.load_statement_csv('psp', '2026-11-04');
SELECT format, line_count, total_amount FROM ledger.load_wechat_bill('wechat', '2026-11-02', :'wx_text');
SELECT format, line_count, total_amount FROM ledger.load_alipay_bill('alipay', '2026-11-02', :'ap_bytes');
CALL ledger.reconcile('psp', '2026-11-04', 'bank');
-- a customer wallet is no clearing account: reconciling it (and reading its
-- postings from the breaks) is refused, and the reconciliation operator
-- cannot mark it reconcilable
CALL ledger.reconcile('psp', '2026-11-04', 'w1');
UPDATE ledger.account SET reconcilable = true WHERE code = 'w1';
SELECT r.source, r.statement_date, r.matched_count, r.missing_internal_count, p.open_breaks, r.run_by
  FROM ledger.recon_run r JOIN ledger.recon_report p USING (source, statement_date);
SELECT id AS brk FROM ledger.recon_break WHERE ref = 'ORD-2' \gset
SELECT class, ref, status, note, resolved_by FROM ledger.resolve_break(:brk, 'the channel confirmed a test payment');
SELECT count(*) AS lines FROM ledger.statement_line;
SELECT count(*) AS imports FROM ledger.statement_import;
SELECT count(*) AS pending FROM ledger.recon_pending;
-- the operator keeps the matching rules and reads the matches they make
INSERT INTO ledger.recon_rule (source, tolerance) VALUES ('psp', '0.01 CNY');
UPDATE ledger.recon_rule SET match_window = '1 hour' WHERE source = 'psp';
SELECT source, tolerance, match_window, group_key, net_of_fee FROM ledger.recon_rule;
SELECT count(*) AS rule_matches FROM ledger.recon_match;
DELETE FROM ledger.recon_rule WHERE source = 'psp';
-- what a reconciliation operator may not do
DELETE FROM ledger.recon_match;
INSERT INTO ledger.statement_line (source, statement_date, ref, external_id, amount) VALUES ('psp', '2026-11-04', 'X', 'X', '1 CNY');
UPDATE ledger.recon_break SET status = 'resolved';
DELETE FROM ledger.statement_line;
DELETE FROM ledger.recon_run;
TRUNCATE ledger.recon_pending;
SELECT count(*) FROM ledger.entry;
SELECT count(*) FROM ledger.voucher;
SELECT ledger.balance('bank');
SELECT ledger.post('ro-1', ARRAY['bank', 'w1'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
CALL ledger.close_day();
RESET SESSION AUTHORIZATION;

-- with the two grants for plain COPY of canonical files
GRANT INSERT ON ledger.statement_line TO regress_ledger_recon_operator;
GRANT USAGE ON SEQUENCE ledger.statement_line_id_seq TO regress_ledger_recon_operator;
SET SESSION AUTHORIZATION regress_ledger_recon_operator;
COPY ledger.statement_line (source, statement_date, ref, external_id, amount, status) FROM STDIN WITH (FORMAT csv);
bank,2026-11-04,ORD-1,BANK-0001,5.00 CNY,success
\.
SELECT source, ref, external_id, amount, import_id FROM ledger.statement_line WHERE source = 'bank';
UPDATE ledger.statement_line SET amount = '6 CNY' WHERE source = 'bank';
DELETE FROM ledger.statement_line WHERE source = 'bank';
RESET SESSION AUTHORIZATION;

-- the day-end operator and the poster do not reconcile
SET ROLE regress_ledger_operator;
CALL ledger.reconcile('psp', '2026-11-04', 'bank');
SELECT count(*) FROM ledger.recon_break;
RESET ROLE;
SET ROLE regress_ledger_poster;
SELECT ledger.load_statement_csv('psp', '2026-11-04', 'ref,external_id,amount');
RESET ROLE;
-- the analyst reads them (GRANT SELECT ON ALL TABLES covered them), and no more
SET ROLE regress_ledger_analyst;
SELECT source, statement_date, open_breaks FROM ledger.recon_report ORDER BY 1, 2;
SELECT count(*) AS breaks FROM ledger.recon_break;
CALL ledger.reconcile('psp', '2026-11-04', 'bank');
RESET ROLE;

-- ---------------------------------------------------------------------------
-- reconciliation analyst: reads the statements and the reconciliation's
-- results and runs the aggregates over them; not the books, writes nothing
-- ---------------------------------------------------------------------------
GRANT USAGE ON SCHEMA ledger TO regress_ledger_recon_analyst;
GRANT SELECT ON ledger.statement_line, ledger.statement_import, ledger.statement_file, ledger.recon_run,
	ledger.recon_pending, ledger.recon_break, ledger.recon_report TO regress_ledger_recon_analyst;
GRANT SELECT ON ledger.recon_rule, ledger.recon_match TO regress_ledger_recon_analyst;

SET ROLE regress_ledger_recon_analyst;
SELECT source, statement_date, matched_count, missing_internal_count, open_breaks FROM ledger.recon_report ORDER BY 1, 2;
SELECT class, ref, status FROM ledger.recon_break ORDER BY ref;
-- the aggregates: the psp statement against the bank's lines, by ref
SELECT ref, (ledger.recon_diff(side, amount, status)).class
  FROM (SELECT 'internal' AS side, ref, amount, status FROM ledger.statement_line WHERE source = 'bank'
        UNION ALL
        SELECT 'external', ref, amount, status FROM ledger.statement_line WHERE source = 'psp') u
 GROUP BY ref ORDER BY ref;
SELECT source, (ledger.recon_total(CASE WHEN source = 'wechat' THEN 'internal' ELSE 'external' END, amount)).class
  FROM ledger.statement_line WHERE source IN ('wechat', 'alipay') GROUP BY source ORDER BY source;
SELECT count(*) FROM ledger.entry;
SELECT count(*) FROM ledger.journal;
SELECT ledger.balance('bank');
SELECT ledger.stage_statement();
SELECT ledger.load_statement_csv('psp', '2026-11-04', 'ref,external_id,amount');
CALL ledger.reconcile('psp', '2026-11-04', 'bank');
SELECT ledger.resolve_break(1, 'x');
UPDATE ledger.recon_break SET note = 'x';
SELECT count(*) AS rules, (SELECT count(*) FROM ledger.recon_match) AS matches FROM ledger.recon_rule;
INSERT INTO ledger.recon_rule (source) VALUES ('psp');
INSERT INTO ledger.statement_line (source, statement_date, ref, external_id, amount) VALUES ('psp', '2026-11-04', 'X', 'X', '1 CNY');
RESET ROLE;
-- nothing the refused statements tried was written
SELECT source, count(*) AS lines FROM ledger.statement_line GROUP BY 1 ORDER BY 1;
SELECT source, statement_date, runs, run_by FROM ledger.recon_run ORDER BY 1, 2;
SELECT count(*) AS vouchers_after FROM ledger.voucher WHERE id > :r1;

-- ---------------------------------------------------------------------------
-- holds: the poster reserves, posts and releases money and reads available
-- balances (not histories: it cannot read the journal); the analyst reads
-- them; the operator expires holds.
-- None of them writes the hold tables directly.
-- ---------------------------------------------------------------------------
GRANT EXECUTE ON FUNCTION
	ledger.hold(text, text[], ledger.amount[], text, text, timestamptz, jsonb),
	ledger.hold(text, text[], text[], text, text, timestamptz, jsonb),
	ledger.hold(text, text[], text, text, text, timestamptz, jsonb),
	ledger.post_hold(bigint, text, ledger.amount[], text),
	ledger.post_hold(bigint, text, text[], text),
	ledger.post_hold(bigint, text, text, text),
	ledger.void_hold(bigint, text),
	ledger.available(text)
	TO regress_ledger_poster;
GRANT EXECUTE ON FUNCTION
	ledger.available(text),
	ledger.account_history(text, date, date)
	TO regress_ledger_analyst;
GRANT EXECUTE ON FUNCTION ledger.expire_holds() TO regress_ledger_operator;

SET SESSION AUTHORIZATION regress_ledger_poster;
SELECT ledger.hold('p-h1', ARRAY['w1', 'bank'], ARRAY['10 CNY', '-10 CNY'], 'withdrawal') AS ph1 \gset
SELECT ledger.hold('p-h2', ARRAY['w1', 'bank'], ARRAY['5 CNY', '-5 CNY']::ledger.amount[]) AS ph2 \gset
SELECT ledger.hold('p-h3', ARRAY['w1', 'bank'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[], NULL, NULL, now() + interval '1 day') AS ph3 \gset
SELECT ledger.available('w1') AS w1_available, ledger.balance('w1') AS w1_balance;
SELECT ledger.post_hold(:ph1, 'p-h1-post', ARRAY['8 CNY', '-8 CNY']) IS NOT NULL AS posted;
SELECT ledger.void_hold(:ph2, 'bank rejected');
SELECT count(*) > 0 AS history_rows FROM ledger.account_history('w1', '2026-11-02');  -- refused: the poster cannot read the journal
SELECT count(*) > 0 AS history_rows FROM ledger._account_history('w1', '2026-11-02', NULL);  -- nor through the rows' function
SELECT ledger._account_history('w1', '2026-11-02', NULL);  -- in any form
UPDATE ledger.hold SET status = 'voided';
INSERT INTO ledger.hold_line (hold_id, line_no, account_id, amount) VALUES (:ph1, 9, 1, '1 CNY');
SELECT count(*) FROM ledger.hold;
SELECT count(*) FROM ledger.holds;
SELECT ledger.expire_holds();
RESET SESSION AUTHORIZATION;
SET ROLE regress_ledger_analyst;
SELECT idempotency_key, account_code, debit, credit FROM ledger.holds ORDER BY 1, 2;
SELECT ledger.available('w1') AS w1_available;
SELECT count(*) > 0 AS history_rows FROM ledger.account_history('w1', '2026-11-02');
SELECT ledger.void_hold(:ph3);
RESET ROLE;
-- EXECUTE on ledger.account_history alone is enough: a customer-service role
-- that reads no table gets the history (its opening balance included)
GRANT USAGE ON SCHEMA ledger TO regress_ledger_fresh;
GRANT EXECUTE ON FUNCTION ledger.account_history(text, date, date) TO regress_ledger_fresh;
SET ROLE regress_ledger_fresh;
SELECT count(*) FROM ledger.entry;
SELECT count(*) AS history_rows, ledger.sum(debit) AS debits, ledger.sum(credit) AS credits
  FROM ledger.account_history('w1', '2026-11-02');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION ledger.account_history(text, date, date) FROM regress_ledger_fresh;
REVOKE USAGE ON SCHEMA ledger FROM regress_ledger_fresh;
SET ROLE regress_ledger_operator;
SELECT ledger.expire_holds();
SELECT ledger.hold('o-h', ARRAY['w1', 'bank'], ARRAY['1 CNY', '-1 CNY']);
SELECT ledger.void_hold(:ph3);
RESET ROLE;
SELECT idempotency_key, status, created_by FROM ledger.hold ORDER BY id;

\c :regress_db
DROP DATABASE ledger_regress_privileges;
DROP ROLE regress_ledger_fresh, regress_ledger_poster, regress_ledger_analyst, regress_ledger_operator,
	regress_ledger_recon_operator, regress_ledger_recon_analyst;
