--
-- post: ledger.post, ledger.reverse, balances, bounds, the views
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;

-- a top-up, then the same call again: one voucher
SELECT ledger.post('top-up-1', ARRAY['1122.01', '2241.001'],
	ARRAY['300.00 CNY', '-300.00 CNY']::ledger.amount[], 'top-up', 'WX0001') AS v1 \gset
SELECT ledger.post('top-up-1', ARRAY['1122.01', '2241.001'],
	ARRAY['300.00 CNY', '-300.00 CNY']::ledger.amount[], 'top-up', 'WX0001') = :v1 AS same_voucher;
SELECT count(*) FROM ledger.voucher WHERE idempotency_key = 'top-up-1';

-- the same key with other content: 23505, saying what differs
SELECT ledger.post('top-up-1', ARRAY['1122.01', '2241.001'],
	ARRAY['300.00 CNY', '-300.00 CNY']::ledger.amount[], 'top-up again', 'WX0001');
SELECT ledger.post('top-up-1', ARRAY['1122.01', '2241.001'],
	ARRAY['300.00 CNY', '-300.00 CNY']::ledger.amount[], 'top-up', 'WX0002');
SELECT ledger.post('top-up-1', ARRAY['1122.01', '2241.002'],
	ARRAY['300.00 CNY', '-300.00 CNY']::ledger.amount[], 'top-up', 'WX0001');
SELECT ledger.post('top-up-1', ARRAY['1122.01', '2241.001'],
	ARRAY['301.00 CNY', '-301.00 CNY']::ledger.amount[], 'top-up', 'WX0001');
SELECT ledger.post('top-up-1', ARRAY['1122.01', '2241.001', '2241.001'],
	ARRAY['300.00 CNY', '-200.00 CNY', '-100.00 CNY']::ledger.amount[], 'top-up', 'WX0001');

-- bad calls write nothing
SELECT ledger.post(NULL, ARRAY['1122.01', '2241.001'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
SELECT ledger.post('bad', NULL, ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
SELECT ledger.post('bad', ARRAY['1122.01', '2241.001'], NULL);
SELECT ledger.post('bad', ARRAY['1122.01', '2241.001'], ARRAY['1 CNY']::ledger.amount[]);
SELECT ledger.post('bad', ARRAY['1122.01', NULL], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
SELECT ledger.post('bad', ARRAY['1122.01', '2241.001'], ARRAY['1 CNY', NULL]::ledger.amount[]);
SELECT ledger.post('bad', ARRAY['1122.01', '9999.99'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
SELECT ledger.post('bad', ARRAY['1122.01'], ARRAY['1 CNY']::ledger.amount[]);
SELECT ledger.post('bad', ARRAY[]::text[], ARRAY[]::ledger.amount[]);
SELECT ledger.post('bad', ARRAY['1122.01', '2241.001'], ARRAY['1.00 CNY', '-0.99 CNY']::ledger.amount[]);
SELECT ledger.post('bad', ARRAY['1122.01', '2241.001'], ARRAY['1.00 CNY', '-1.00 USD']::ledger.amount[]);
SELECT ledger.post('bad', ARRAY['1122.01', '2241.001'], ARRAY['0 CNY', '0 CNY']::ledger.amount[]);
SELECT ledger.post('bad', ARRAY['1122', '2241.001'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
SELECT ledger.post('bad', ARRAY['1002.02', '2241.001'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
SELECT ledger.post('bad', ARRAY[['1122.01', '2241.001']], ARRAY[['1 CNY', '-1 CNY']]::ledger.amount[]);
SELECT count(*) FROM ledger.voucher WHERE idempotency_key = 'bad';

-- floors and ceilings are checked on the normal side; the voucher is refused whole
SELECT ledger.post('wd-1', ARRAY['2241.001', '1122.01'],
	ARRAY['300.01 CNY', '-300.01 CNY']::ledger.amount[], 'withdrawal');
SELECT ledger.post('wd-2', ARRAY['2241.001', '1122.01'],
	ARRAY['300.00 CNY', '-300.00 CNY']::ledger.amount[], 'withdrawal of everything');
SELECT ledger.balance('2241.001');
SELECT ledger.post('top-up-2', ARRAY['1122.02', '2241.002'],
	ARRAY['500.00 CNY', '-500.00 CNY']::ledger.amount[], 'top-up to the ceiling');
SELECT ledger.post('top-up-3', ARRAY['1122.02', '2241.002'],
	ARRAY['0.01 CNY', '-0.01 CNY']::ledger.amount[], 'one fen over the ceiling');
-- the net movement of a voucher counts, not the order of its lines
SELECT ledger.post('shuffle', ARRAY['2241.002', '2241.002', '1122.02'],
	ARRAY['-0.01 CNY', '0.01 CNY', '0 CNY']::ledger.amount[]);
SELECT ledger.post('shuffle', ARRAY['2241.002', '2241.002', '2241.003', '2241.003'],
	ARRAY['-0.01 CNY', '0.02 CNY', '-0.02 CNY', '0.01 CNY']::ledger.amount[], 'lines that net out');

-- payments touching hot accounts (fee income, reserve funds)
SELECT ledger.post('pay-1', ARRAY['2241.002', '2241.003', '6021'],
	ARRAY['100.00 CNY', '-99.40 CNY', '-0.60 CNY']::ledger.amount[], 'payment');
SELECT ledger.post('settle-1', ARRAY['1002.01', '6602', '1122.02'],
	ARRAY['499.50 CNY', '0.50 CNY', '-500.00 CNY']::ledger.amount[], 'settlement');
SELECT ledger.balance('6021'), ledger.balance('1002.01'), ledger.balance('6602'), ledger.balance('1122');

-- a voucher in two currencies
SELECT ledger.post('fx-1', ARRAY['1002.02', '2241.103', '1122.01', '2241.003'],
	ARRAY['10.00 USD', '-10.00 USD', '70.00 CNY', '-70.00 CNY']::ledger.amount[], 'two currencies') AS fx \gset

-- reversal (红字冲销): once, idempotent, never of a reversal
SELECT ledger.post('pay-2', ARRAY['2241.003', '2241.002', '6021'],
	ARRAY['50.00 CNY', '-49.70 CNY', '-0.30 CNY']::ledger.amount[], 'payment to be refunded') AS pay2 \gset
SELECT ledger.reverse(:pay2, 'refund-1') AS refund \gset
SELECT ledger.reverse(:pay2, 'refund-1') = :refund AS same_reversal;
SELECT ledger.reverse(:pay2, 'refund-2');
SELECT ledger.reverse(:refund, 'refund-3');
SELECT ledger.reverse(424242, 'refund-4');
SELECT ledger.reverse(NULL, 'refund-5');
SELECT ledger.reverse(:pay2, NULL);
SELECT ledger.reverse(:fx, 'fx-1-undo', 'custom summary') IS NOT NULL AS reversed;
SELECT v.idempotency_key, v.summary, r.idempotency_key AS reverses_key
  FROM ledger.voucher v JOIN ledger.voucher r ON r.id = v.reverses ORDER BY v.id;
-- the key of a reversal is taken like any other
SELECT ledger.reverse(:v1, 'pay-1');

-- the journal and the balances
SELECT voucher_id = :v1 AS first, idempotency_key, ref, summary, line_no, account_code, debit, credit
  FROM ledger.journal WHERE idempotency_key IN ('top-up-1', 'pay-1', 'fx-1', 'refund-1')
 ORDER BY voucher_id, line_no;
SELECT account_code, kind, currency, balance FROM ledger.balances
 WHERE account_code !~ '^(9|1002\.1|1122\.1|2241\.1|6021\.0)' ORDER BY account_code, currency;
-- ledger.balance() agrees with the view
SET search_path = public, ledger;
SELECT b.account_code FROM ledger.balances b
  JOIN ledger.account a ON a.code = b.account_code
 WHERE a.currency IS NOT NULL AND ledger.balance(b.account_code) <> b.balance;
RESET search_path;
-- balances equal the sum of the entries of every account
SELECT a.code FROM ledger.account a
  JOIN (SELECT account_id, sum(units) AS units FROM ledger.account_balance GROUP BY 1) b ON b.account_id = a.id
  LEFT JOIN (SELECT account_id, sum(ledger.minor_units(amount)) AS units FROM ledger.entry GROUP BY 1) e ON e.account_id = a.id
 WHERE b.units <> COALESCE(e.units, 0);
-- a hot account spreads over slots and still sums exactly
SELECT count(*) > 1 AS several_slots, sum(units) FROM ledger.account_balance b
  JOIN ledger.account a ON a.id = b.account_id WHERE a.code = '6021';

-- inside a transaction, balances include the transaction's own postings
BEGIN;
SELECT ledger.post('in-tx', ARRAY['1122.01', '2241.001'], ARRAY['5.00 CNY', '-5.00 CNY']::ledger.amount[]) IS NOT NULL AS posted;
SELECT ledger.balance('2241.001');
ROLLBACK;
SELECT ledger.balance('2241.001');

-- accounts once posted to: bounds, status, structure
UPDATE ledger.account SET floor = '100.00 CNY' WHERE code = '2241.002';
UPDATE ledger.account SET ceiling = '1.00 CNY' WHERE code = '2241.003';
UPDATE ledger.account SET code = '2241.0031' WHERE code = '2241.003';
UPDATE ledger.account SET currency = 'USD' WHERE code = '2241.003';
UPDATE ledger.account SET kind = 'asset' WHERE code = '2241.003';
UPDATE ledger.account SET parent_code = NULL WHERE code = '2241.003';
INSERT INTO ledger.account (code, name, kind, currency, parent_code)
	VALUES ('2241.003.1', 'sub-wallet', 'liability', 'CNY', '2241.003');
DELETE FROM ledger.account WHERE code = '2241.003';
UPDATE ledger.account SET status = 'closed' WHERE code = '2241.003';
UPDATE ledger.account SET status = 'frozen' WHERE code = '2241.003';
SELECT ledger.post('to-frozen', ARRAY['1122.01', '2241.003'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
UPDATE ledger.account SET status = 'open' WHERE code = '2241.003';
-- an account with a zero balance closes, and then takes nothing
SELECT ledger.post('empty-1', ARRAY['1122.01', '2241.001'], ARRAY['7.00 CNY', '-7.00 CNY']::ledger.amount[]) IS NOT NULL AS posted;
SELECT ledger.post('empty-2', ARRAY['2241.001', '1122.01'], ARRAY['7.00 CNY', '-7.00 CNY']::ledger.amount[]) IS NOT NULL AS posted;
UPDATE ledger.account SET status = 'closed' WHERE code = '2241.001';
SELECT ledger.post('to-closed', ARRAY['1122.01', '2241.001'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
UPDATE ledger.account SET status = 'open' WHERE code = '2241.001';
SELECT code, status FROM ledger.account WHERE code LIKE '2241.00_' ORDER BY code;
