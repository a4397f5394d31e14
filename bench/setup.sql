-- bench/setup.sql — the chart of accounts every benchmark database starts with.
--
--   psql -v start=2026-01-01 -f bench/setup.sql
--
-- 10,000 leaf wallet accounts (liabilities, ids 1..10000, codes 100001..110000)
-- under the summary account 2241; every odd-numbered wallet has a floor of
-- 0 CNY.  Each wallet is funded with 1,000,000.00 CNY from the bank account,
-- which is 10,000 times the largest debit any workload posts to one wallet
-- (100.00 CNY in P1, P3 and the day-end days, 200.01 CNY in P2): a floor
-- could only be reached after an account took thousands more debits than
-- credits, which random accounts do not produce in any run of the runner.  A
-- refused voucher would abort its pgbench client and fail the run loudly.
--
--   1002  bank (asset)                          id 20002
--   6021  fee income, hot                       id 20003
--   6022  fee income, the same but not hot      id 20004  (P2 for information)
--
-- The ids are fixed so that the plain-SQL baselines can name accounts by id.

\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS ledger;
SELECT ledger.open_books(:'start');

INSERT INTO ledger.account (id, code, name, kind, currency) VALUES
	(20001, '2241', 'Customer wallets', 'liability', 'CNY');
INSERT INTO ledger.account (id, code, name, kind, currency, parent_code, floor)
	SELECT n, (100000 + n)::text, 'Wallet ' || n, 'liability', 'CNY', '2241',
	       CASE WHEN n % 2 = 1 THEN '0 CNY'::ledger.amount END
	  FROM generate_series(1, 10000) n;
INSERT INTO ledger.account (id, code, name, kind, currency, hot) VALUES
	(20002, '1002', 'Bank deposits', 'asset', 'CNY', false),
	(20003, '6021', 'Fee income (hot)', 'revenue', 'CNY', true),
	(20004, '6022', 'Fee income (not hot)', 'revenue', 'CNY', false);
SELECT setval('ledger.account_id_seq', 30000);

SELECT ledger.post('funding',
	ARRAY['1002'] || array_agg((100000 + n)::text ORDER BY n),
	ARRAY[ledger.amount_of_units(10000 * 100000000::bigint, 'CNY')]
		|| array_agg(ledger.amount_of_units(-100000000, 'CNY') ORDER BY n))
  FROM generate_series(1, 10000) n;

CREATE SCHEMA IF NOT EXISTS bench;
CREATE SEQUENCE IF NOT EXISTS bench.key_seq;

VACUUM ANALYZE ledger.account;
VACUUM ANALYZE ledger.account_balance;
VACUUM ANALYZE ledger.voucher;
VACUUM ANALYZE ledger.entry;
