--
-- red: red-letter reversals (红字冲销) in the journal, the trial aggregate,
-- the trial balance, the checks and the day digest; red entries written by
-- plain INSERT; the day digest covering every column (entry book dates
-- included); a voucher in ten currencies through the cutoff; ledger.post
-- with the amounts as text.
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS ledger_regress_red;
CREATE DATABASE ledger_regress_red;
\c ledger_regress_red
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('1002', 'reserve funds', 'asset', 'CNY'),
	('2241', 'customer wallets', 'liability', 'CNY'),
	('2202', 'merchant payables', 'liability', 'CNY'),
	('6021', 'fee income', 'revenue', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES
	('2241.01', 'wallet A', 'liability', 'CNY', '2241'),
	('2241.02', 'wallet B', 'liability', 'CNY', '2241');

-- a top-up, a payment posted by mistake, and its red reversal
SELECT ledger.post('topup', ARRAY['1002', '2241.01'], ARRAY['100.00 CNY', '-100.00 CNY']::ledger.amount[]) AS topup \gset
SELECT ledger.post('pay', ARRAY['2241.01', '2202', '6021'], ARRAY['30.00 CNY', '-29.70 CNY', '-0.30 CNY']::ledger.amount[],
	'payment to merchant') AS pay \gset
SELECT ledger.reverse(:pay, 'pay-red') AS pay_red \gset
-- the journal: the red entries on their original sides, as negative figures
SELECT voucher_id - :topup AS v, line_no, account_code, debit, credit, summary
  FROM ledger.journal ORDER BY voucher_id, line_no;
SELECT voucher_id - :topup AS v, line_no, amount, red FROM ledger.entry ORDER BY voucher_id, line_no;
-- balances move as with any reversal
SELECT account_code, balance FROM ledger.balances ORDER BY 1;
-- the aggregate: the one-argument form as before, the two-argument form nets the red entries on their side
SELECT (ledger.trial(amount)).* FROM ledger.entry;
SELECT (ledger.trial(amount, red)).* FROM ledger.entry;
SELECT (ledger.trial(x, r)).* FROM (VALUES ('-30.00 CNY'::ledger.amount, true)) v(x, r);
SELECT (ledger.trial(x, r)).* FROM (VALUES ('30.00 CNY'::ledger.amount, true), ('30 CNY', NULL)) v(x, r);
-- the account history (明细账) shows the red entries as the journal does: on
-- their original side, as negative figures, the running balance as with any reversal
SELECT voucher_id - :topup AS v, line_no, debit, credit, balance
  FROM ledger.account_history('2241.01', '2026-11-02');
-- the trial balance of the open day: period debits and credits do not both grow
SELECT account_code, period_debit, period_credit, closing_debit, closing_credit
  FROM ledger.trial_balance('2026-11-02') ORDER BY account_code NULLS LAST;

-- a blue reversal (red => false): today's opposite-side entries
SELECT ledger.post('pay2', ARRAY['2241.01', '2202'], ARRAY['10.00 CNY', '-10.00 CNY']::ledger.amount[]) AS pay2 \gset
SELECT ledger.reverse(:pay2, 'pay2-blue', 'wrong merchant', red => false) AS pay2_blue \gset
SELECT line_no, account_code, debit, credit, summary FROM ledger.journal WHERE voucher_id = :pay2_blue ORDER BY 1;
SELECT bool_or(red) AS any_red FROM ledger.entry WHERE voucher_id = :pay2_blue;
-- idempotent: the same call returns the same reversal; red and blue are different content
SELECT ledger.reverse(:pay, 'pay-red') = :pay_red AS same_reversal;
SELECT ledger.reverse(:pay, 'pay-red', NULL, false);
SELECT ledger.reverse(:pay, 'pay-red', NULL, NULL);
-- positional calls of the 1.0 form still resolve
SELECT ledger.post('pay3', ARRAY['2241.01', '2202'], ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[]) AS pay3 \gset
SELECT ledger.reverse(:pay3, 'pay3-r', 'three arguments') IS NOT NULL AS reversed;
SELECT bool_and(red) AS all_red FROM ledger.entry e JOIN ledger.voucher v ON v.id = e.voucher_id
 WHERE v.idempotency_key = 'pay3-r';

-- red entries by plain INSERT: in a voucher that reverses another, checked like ledger.reverse()
SELECT ledger.post('pay4', ARRAY['2241.01', '2202'], ARRAY['2.00 CNY', '-2.00 CNY']::ledger.amount[]) AS pay4 \gset
BEGIN;
INSERT INTO ledger.voucher (idempotency_key, reverses, summary) VALUES ('pay4-manual', :pay4, 'red by hand') RETURNING id - :topup AS v;
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, red)
	SELECT currval('ledger.voucher_id_seq'), 1, id, '-2.00 CNY', true FROM ledger.account WHERE code = '2241.01';
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, red)
	SELECT currval('ledger.voucher_id_seq'), 2, id, '2.00 CNY', true FROM ledger.account WHERE code = '2202';
COMMIT;
SELECT line_no, account_code, debit, credit FROM ledger.journal WHERE idempotency_key = 'pay4-manual' ORDER BY 1;
-- a red entry in a voucher that reverses nothing: refused when written
BEGIN;
INSERT INTO ledger.voucher (idempotency_key) VALUES ('red-alone');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, red)
	SELECT currval('ledger.voucher_id_seq'), 1, id, '-5.00 CNY', true FROM ledger.account WHERE code = '2241.02';
ROLLBACK;
-- red entries that do not negate the voucher they reverse: refused at commit
SELECT ledger.post('pay5', ARRAY['2241.01', '2202'], ARRAY['3.00 CNY', '-3.00 CNY']::ledger.amount[]) AS pay5 \gset
BEGIN;
INSERT INTO ledger.voucher (idempotency_key, reverses) VALUES ('pay5-wrong', :pay5);
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, red)
	SELECT currval('ledger.voucher_id_seq'), 1, id, '3.00 CNY', true FROM ledger.account WHERE code = '2241.01';
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, red)
	SELECT currval('ledger.voucher_id_seq'), 2, id, '-3.00 CNY', true FROM ledger.account WHERE code = '2202';
COMMIT;

-- a voucher in ten currencies: posted, checked and closed like any other
INSERT INTO ledger.account (code, name, kind, currency)
	SELECT 'fx.' || c, 'nostro ' || c, 'asset', c FROM unnest('{CNY,USD,EUR,GBP,JPY,HKD,SGD,AUD,CAD,CHF}'::text[]) c
	UNION ALL
	SELECT 'fxl.' || c, 'client ' || c, 'liability', c FROM unnest('{CNY,USD,EUR,GBP,JPY,HKD,SGD,AUD,CAD,CHF}'::text[]) c;
SELECT ledger.post('ten-currencies',
	ARRAY(SELECT p || c FROM unnest('{CNY,USD,EUR,GBP,JPY,HKD,SGD,AUD,CAD,CHF}'::text[]) c, unnest('{fx.,fxl.}'::text[]) p ORDER BY c, p),
	ARRAY(SELECT (CASE p WHEN 'fx.' THEN '' ELSE '-' END || '7 ' || c)::ledger.amount
	        FROM unnest('{CNY,USD,EUR,GBP,JPY,HKD,SGD,AUD,CAD,CHF}'::text[]) c, unnest('{fx.,fxl.}'::text[]) p ORDER BY c, p))
	IS NOT NULL AS posted;
SELECT check_name, ok FROM ledger.check_books('2026-11-02') WHERE check_name IN ('vouchers_balanced', 'red_entries_reverse');

-- the cutoff: the snapshots net the red entries on their side
SET client_min_messages = warning;
CALL ledger.close_day();
SELECT book_date, status, digest_version FROM ledger.book_day ORDER BY 1;
SELECT a.code, r.debit, r.credit, r.closing, r.entries
  FROM ledger.daily_balance r JOIN ledger.account a ON a.id = r.account_id
 WHERE r.book_date = '2026-11-02' AND a.code !~ '^fx' ORDER BY a.code;
SELECT account_code, period_debit, period_credit FROM ledger.trial_balance('2026-11-02')
 WHERE account_code IS NULL OR account_code !~ '^fx' ORDER BY account_code NULLS LAST, currency;
SELECT check_name, ok FROM ledger.check_books('2026-11-02') WHERE NOT ok;
SELECT book_date, ok FROM ledger.verify_books('2026-11-02', '2026-11-02');

-- history rewritten with the triggers off (superuser): the digest covers the red flag and the entry's book date
CREATE FUNCTION pg_temp.failing(d date) RETURNS TABLE(check_name text, ok boolean)
	LANGUAGE sql AS $$ SELECT c.check_name, c.ok FROM ledger.check_books(d) c WHERE NOT c.ok $$;
SET session_replication_role = replica;
UPDATE ledger.entry SET red = NOT red WHERE voucher_id = :pay_red AND line_no = 1;
SELECT * FROM pg_temp.failing('2026-11-02');
SELECT book_date, ok FROM ledger.verify_books('2026-11-02', '2026-11-02');
UPDATE ledger.entry SET red = NOT red WHERE voucher_id = :pay_red AND line_no = 1;
-- a blue entry turned red in a voucher that reverses nothing
UPDATE ledger.entry SET red = true WHERE voucher_id = :topup AND line_no = 1;
SELECT * FROM pg_temp.failing('2026-11-02');
UPDATE ledger.entry SET red = false WHERE voucher_id = :topup AND line_no = 1;
-- an entry moved to the next day
UPDATE ledger.entry SET book_date = '2026-11-03' WHERE voucher_id = :topup AND line_no = 2;
SELECT book_date, ok FROM ledger.verify_books('2026-11-02', '2026-11-02');
UPDATE ledger.entry SET book_date = '2026-11-02' WHERE voucher_id = :topup AND line_no = 2;
RESET session_replication_role;
SELECT book_date, ok FROM ledger.verify_books('2026-11-02', '2026-11-02');
SELECT count(*) AS failing FROM ledger.check_books('2026-11-02') WHERE NOT ok;

-- ledger.post with the amounts as text: text[] (a driver's list of strings), an untyped literal, amount[]
SELECT ledger.post('t-1', ARRAY['1002', '2241.02'], ARRAY['5.00 CNY', '-5.00 CNY']) IS NOT NULL AS text_array;
SELECT ledger.post('t-2', ARRAY['1002', '2241.02'], '{5.00 CNY,-5.00 CNY}') IS NOT NULL AS untyped_literal;
SELECT ledger.post('t-3', '{1002,2241.02}', '{5.00 CNY,-5.00 CNY}', 'all untyped', 'R-3') IS NOT NULL AS all_untyped;
SELECT ledger.post('t-4', ARRAY['1002', '2241.02'], ARRAY['5.00 CNY', '-5.00 CNY']::ledger.amount[]) IS NOT NULL AS amount_array;
SELECT ledger.post('t-5', ARRAY['1002', '2241.02'], ARRAY['5.00 CNY'::ledger.amount, '-5.00 CNY']) IS NOT NULL AS amount_elements;
SELECT ledger.post(idempotency_key => 't-6', accounts => ARRAY['1002', '2241.02'], amounts => ARRAY['5 CNY', '-5 CNY'],
	summary => 'named') IS NOT NULL AS named_arguments;
-- the same key and content through another form is the same voucher
SELECT ledger.post('t-1', ARRAY['1002', '2241.02'], ARRAY['5.00 CNY', '-5.00 CNY']::ledger.amount[])
     = ledger.post('t-1', ARRAY['1002', '2241.02'], ARRAY['5.00 CNY', '-5.00 CNY']) AS same_voucher;
-- errors as with amount[]
SELECT ledger.post('t-7', ARRAY['1002', '2241.02'], ARRAY['5.00 CNY', '-4.00 CNY']);
SELECT ledger.post('t-7', ARRAY['1002', '2241.02'], ARRAY['5.00 CNY', 'five']);
SELECT ledger.post('t-7', ARRAY['1002', '2241.02'], ARRAY['5.00 CNY', NULL]);
SELECT ledger.post('t-7', ARRAY['1002', '2241.02'], '5.00 CNY');
SELECT ledger.post('t-7', ARRAY['1002', '2241.02'], '{5.00 CNY,five}');
SELECT ledger.post('t-7', ARRAY['1002', '2241.02'], ARRAY['5.00 CNY']);
SELECT ledger.balance('2241.02');

\c :regress_db
DROP DATABASE ledger_regress_red;
