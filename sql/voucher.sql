--
-- voucher: the invariants hold for every write path (INSERT, multi-row
-- INSERT, voucher and entries in one statement, COPY, several statements,
-- savepoints, two-phase commit), not only for ledger.post
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;

-- accounts with fixed ids, so that COPY data can name them
INSERT INTO ledger.account (id, code, name, kind, currency, parent_code, floor, hot) VALUES
	(9101, '1122.11', 'UnionPay receivable', 'asset', 'CNY', '1122', NULL, false),
	(9102, '2241.101', 'Wallet D', 'liability', 'CNY', '2241', '0 CNY', false),
	(9103, '2241.102', 'Wallet E', 'liability', 'CNY', '2241', '0 CNY', false),
	(9104, '6021.01', 'Fee income, cards', 'revenue', 'CNY', NULL, NULL, true),
	(9105, '1002.11', 'USD clearing', 'asset', 'USD', '1002', NULL, false),
	(9106, '2241.103', 'Wallet F (USD)', 'liability', 'USD', NULL, '0 USD', false);

-- one voucher, entries in a multi-row INSERT
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key, ref, summary) VALUES (1001, 'sql-1001', 'UP1001', 'top-up');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES
	(1001, 1, 9101, '500.00 CNY'),
	(1001, 2, 9102, '-500.00 CNY');
COMMIT;

-- voucher and entries in one statement
WITH v AS (
	INSERT INTO ledger.voucher (id, idempotency_key, ref, summary)
	VALUES (1002, 'sql-1002', 'UP1002', 'top-up') RETURNING id)
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount)
SELECT v.id, x.line, x.account, x.amount::ledger.amount
  FROM v, (VALUES (1, 9101, '120.00 CNY'), (2, 9103, '-120.00 CNY')) AS x(line, account, amount);

-- COPY, two vouchers in one transaction
BEGIN;
COPY ledger.voucher (id, idempotency_key, summary) FROM stdin;
1003	sql-1003	payment D to E
1004	sql-1004	payment E to D
\.
COPY ledger.entry (voucher_id, line_no, account_id, amount, memo) FROM stdin WITH (FORMAT csv);
1003,1,9102,30.00 CNY,payer
1003,2,9103,-29.80 CNY,payee
1003,3,9104,-0.20 CNY,fee
1004,1,9103,20.00 CNY,
1004,2,9102,-20.00 CNY,
\.
COMMIT;

-- binary COPY of entries round-trips through the checks
CREATE TEMP TABLE entry_copy AS SELECT * FROM ledger.entry WHERE voucher_id = 1003;
COPY entry_copy TO '/tmp/ledger_regress_entries.bin' WITH (FORMAT binary);
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key, summary) VALUES (1005, 'sql-1005', 'binary copy');
CREATE TEMP TABLE entry_in (LIKE ledger.entry);
COPY entry_in FROM '/tmp/ledger_regress_entries.bin' WITH (FORMAT binary);
UPDATE entry_in SET voucher_id = 1005;
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, memo)
	SELECT voucher_id, line_no, account_id, amount, memo FROM entry_in;
COMMIT;

-- several statements for one voucher, a savepoint rolled back in between
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key, summary) VALUES (1006, 'sql-1006', 'three statements');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (1006, 1, 9101, '10.00 CNY');
SAVEPOINT s1;
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (1006, 2, 9102, '-99.00 CNY');
ROLLBACK TO SAVEPOINT s1;
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (1006, 2, 9102, '-10.00 CNY');
COMMIT;

-- a savepoint that removes entries leaves the voucher unbalanced: refused
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (1007, 'sql-1007');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (1007, 1, 9101, '10.00 CNY');
SAVEPOINT s1;
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (1007, 2, 9102, '-10.00 CNY');
ROLLBACK TO SAVEPOINT s1;
COMMIT;

-- a voucher rolled back to a savepoint is forgotten entirely
BEGIN;
SAVEPOINT s1;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (1008, 'sql-1008');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (1008, 1, 9101, '10.00 CNY');
ROLLBACK TO SAVEPOINT s1;
COMMIT;

-- the commit check: at least two entries, debits equal credits per currency
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (1009, 'sql-1009');
COMMIT;
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (1009, 'sql-1009');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (1009, 1, 9101, '10.00 CNY');
COMMIT;
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (1009, 'sql-1009');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES
	(1009, 1, 9101, '10.00 CNY'), (1009, 2, 9102, '-9.99 CNY');
COMMIT;
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (1009, 'sql-1009');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES
	(1009, 1, 9101, '10.00 CNY'), (1009, 2, 9102, '-10.00 CNY'),
	(1009, 3, 9105, '5.00 USD'), (1009, 4, 9106, '-4.00 USD');
COMMIT;
-- several currencies, each balanced: accepted
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key, summary) VALUES (1009, 'sql-1009', 'two currencies');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES
	(1009, 1, 9101, '10.00 CNY'), (1009, 2, 9102, '-10.00 CNY'),
	(1009, 3, 9105, '5.00 USD'), (1009, 4, 9106, '-5.00 USD');
COMMIT;

-- two-phase commit checks at PREPARE
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (1010, 'sql-1010');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (1010, 1, 9101, '1.00 CNY');
PREPARE TRANSACTION 'ledger_unbalanced';
SELECT count(*) FROM pg_prepared_xacts WHERE gid = 'ledger_unbalanced';

-- rows are checked when written
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (1011, 'sql-1011');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (1011, 1, 9101, '0.00 CNY');
ROLLBACK;
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (1011, 'sql-1011');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (1011, 1, 9101, '1.00 USD');
ROLLBACK;
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (1011, 'sql-1011');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (1011, 1, 424242, '1.00 CNY');
ROLLBACK;
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (1011, 'sql-1011');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount)
	SELECT 1011, 1, id, '1.00 CNY' FROM ledger.account WHERE code = '2241';
ROLLBACK;
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (77777, 1, 9101, '1.00 CNY');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (1001, 3, 9101, '1.00 CNY');
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (1011, 'sql-1011');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES (1011, 0, 9101, '1.00 CNY');
ROLLBACK;

-- a frozen account takes no postings
UPDATE ledger.account SET status = 'frozen' WHERE id = 9103;
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (1011, 'sql-1011');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES
	(1011, 1, 9101, '1.00 CNY'), (1011, 2, 9103, '-1.00 CNY');
ROLLBACK;
UPDATE ledger.account SET status = 'open' WHERE id = 9103;

-- book dates: always the open day, derived for entries
INSERT INTO ledger.voucher (id, idempotency_key, book_date) VALUES (1012, 'sql-1012', '2026-11-01');
INSERT INTO ledger.voucher (id, idempotency_key, book_date) VALUES (1012, 'sql-1012', '2026-11-03');
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key, book_date) VALUES (1012, 'sql-1012', '2026-11-02');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, book_date) VALUES
	(1012, 1, 9101, '1.00 CNY', '2026-11-02'), (1012, 2, 9102, '-1.00 CNY', '2026-11-01');
ROLLBACK;

-- ON CONFLICT DO NOTHING leaves nothing behind
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (1013, 'sql-1001') ON CONFLICT DO NOTHING;
COMMIT;

-- reversals named by hand must negate the voucher exactly
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key, reverses) VALUES (1014, 'sql-1014', 1006);
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES
	(1014, 1, 9101, '-9.00 CNY'), (1014, 2, 9102, '9.00 CNY');
COMMIT;
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key, reverses) VALUES (1014, 'sql-1014', 1006);
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount) VALUES
	(1014, 1, 9102, '10.00 CNY'), (1014, 2, 9101, '-10.00 CNY');
COMMIT;
-- a voucher is reversed once; a reversal is not reversed
INSERT INTO ledger.voucher (id, idempotency_key, reverses) VALUES (1015, 'sql-1015', 1006);
INSERT INTO ledger.voucher (id, idempotency_key, reverses) VALUES (1015, 'sql-1015', 1014);
INSERT INTO ledger.voucher (id, idempotency_key, reverses) VALUES (1015, 'sql-1015', 88888);

-- the books are immutable, for the owner too
UPDATE ledger.voucher SET summary = 'changed' WHERE id = 1001;
DELETE FROM ledger.voucher WHERE id = 1001;
UPDATE ledger.entry SET amount = '1.00 CNY' WHERE voucher_id = 1001;
DELETE FROM ledger.entry WHERE voucher_id = 1001;
TRUNCATE ledger.entry;
TRUNCATE ledger.voucher;

-- what was posted
SELECT voucher_id, line_no, account_code, debit, credit, memo
  FROM ledger.journal WHERE voucher_id BETWEEN 1001 AND 1099 ORDER BY voucher_id, line_no;
SELECT DISTINCT book_date FROM ledger.entry;
SELECT code, ledger.balance(code) FROM ledger.account WHERE id BETWEEN 9101 AND 9106 ORDER BY code;
