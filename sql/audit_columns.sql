-- audit_columns: voucher.created_at and voucher.created_by are set by the
-- ledger on every path (ledger.post, INSERT, COPY): now() and the session
-- user, whatever the writer gave.  Only a restore (replica mode) keeps the
-- values it brings.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS ledger_regress_audit_columns;
CREATE DATABASE ledger_regress_audit_columns;
\c ledger_regress_audit_columns
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'bank', 'asset', 'CNY'),
	('wallet', 'wallet', 'liability', 'CNY');
DROP ROLE IF EXISTS regress_ledger_clerk;
CREATE ROLE regress_ledger_clerk;
GRANT USAGE ON SCHEMA ledger TO regress_ledger_clerk;
GRANT INSERT, SELECT ON ledger.voucher, ledger.entry TO regress_ledger_clerk;
GRANT SELECT ON ledger.account TO regress_ledger_clerk;
GRANT USAGE ON SEQUENCE ledger.voucher_id_seq TO regress_ledger_clerk;
GRANT EXECUTE ON FUNCTION ledger.post(text, text[], ledger.amount[], text, text, jsonb) TO regress_ledger_clerk;

SET SESSION AUTHORIZATION regress_ledger_clerk;
SELECT session_user;
-- a plain INSERT that names someone else and another time
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key, created_by, created_at)
	VALUES (100, 'forged-insert', 'the_auditor', '2000-01-01 00:00+00');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount)
	SELECT 100, 1, id, '1.00 CNY'::ledger.amount FROM ledger.account WHERE code = 'bank'
	UNION ALL
	SELECT 100, 2, id, '-1.00 CNY'::ledger.amount FROM ledger.account WHERE code = 'wallet';
SELECT created_by, created_at = now() AS created_now FROM ledger.voucher WHERE id = 100;
COMMIT;
-- COPY, likewise
BEGIN;
COPY ledger.voucher (id, idempotency_key, created_by, created_at) FROM stdin;
101	forged-copy	the_auditor	2000-01-01 00:00:00+00
\.
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount)
	SELECT 101, 1, id, '2.00 CNY'::ledger.amount FROM ledger.account WHERE code = 'bank'
	UNION ALL
	SELECT 101, 2, id, '-2.00 CNY'::ledger.amount FROM ledger.account WHERE code = 'wallet';
SELECT created_by, created_at = now() AS created_now FROM ledger.voucher WHERE id = 101;
COMMIT;
-- and ledger.post, as before
BEGIN;
SELECT ledger.post('posted', ARRAY['bank', 'wallet'], ARRAY['3.00 CNY', '-3.00 CNY']::ledger.amount[]) AS v \gset
SELECT created_by, created_at = now() AS created_now FROM ledger.voucher WHERE id = :v;
COMMIT;
RESET SESSION AUTHORIZATION;
SELECT idempotency_key, created_by, created_at > '2020-01-01' AS recent FROM ledger.voucher ORDER BY id;

-- a restore (replica mode: the ledger's ordinary triggers do not fire) keeps what it brings
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO ledger.voucher (id, book_date, idempotency_key, created_by, created_at)
	VALUES (200, '2026-11-02', 'restored', 'someone_then', '2026-11-02 09:00+00');
SELECT created_by, created_at FROM ledger.voucher WHERE id = 200;
ROLLBACK;

\c :regress_db
DROP DATABASE ledger_regress_audit_columns;
DROP ROLE regress_ledger_clerk;
