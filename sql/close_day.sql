--
-- close_day: the cutoff, daily balances, checks, digests, the trial balance
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET datestyle = 'ISO, YMD';
SET client_min_messages = notice;

SELECT book_date, status FROM ledger.book_day ORDER BY 1;

-- the open day, checked live
SELECT * FROM ledger.check_books('2026-11-02');

-- the cutoff
CALL ledger.close_day();
SELECT book_date, status, digest IS NOT NULL AS sealed, closing_at IS NOT NULL AS switched
  FROM ledger.book_day ORDER BY 1;
SELECT book_date, vouchers, entries, problem_count, failed_checks FROM ledger.day_close;
SELECT check_name, currency, ok, regexp_replace(detail, '[0-9a-f]{64}', '<digest>') AS detail
  FROM ledger.check_books('2026-11-02');
SELECT count(*) FROM ledger.book_check WHERE book_date = '2026-11-02' AND NOT ok;

-- daily balances: one row per account with a balance or movement, summaries rolled up
SELECT a.code, r.currency, r.opening, r.debit, r.credit, r.closing, r.entries, r.summary
  FROM ledger.daily_balance r JOIN ledger.account a ON a.id = r.account_id
 WHERE a.code ~ '^(1002|1122|2241|6021|6602)($|\.0)' ORDER BY a.code, r.currency;
-- a hot account's snapshot is exact: it equals its entries
SELECT (SELECT closing FROM ledger.daily_balance r JOIN ledger.account a ON a.id = r.account_id
         WHERE a.code = '6021' AND r.book_date = '2026-11-02') AS snapshot,
       (SELECT ledger.sum(e.amount) FROM ledger.entry e JOIN ledger.account a ON a.id = e.account_id
         WHERE a.code = '6021') AS entries;

-- the trial balance of the closed day
SELECT * FROM ledger.trial_balance('2026-11-02')
 WHERE account_code IS NULL OR account_code !~ '^(9|1002\.1|1122\.1|2241\.1|6021\.0)';

-- a second day: postings land on the new open day
SELECT ledger.current_book_date();
SELECT ledger.post('day2-topup', ARRAY['1122.01', '2241.003'], ARRAY['40.00 CNY', '-40.00 CNY']::ledger.amount[]) IS NOT NULL AS posted;
SELECT ledger.post('day2-pay', ARRAY['2241.003', '2241.002', '6021'],
	ARRAY['20.00 CNY', '-19.88 CNY', '-0.12 CNY']::ledger.amount[]) IS NOT NULL AS posted;
SELECT DISTINCT book_date FROM ledger.voucher WHERE idempotency_key LIKE 'day2-%';
-- balances at the end of each day; the open day reads live entries
SELECT ledger.balance('2241.003', '2026-11-01') AS before_books,
       ledger.balance('2241.003', '2026-11-02') AS day1,
       ledger.balance('2241.003', '2026-11-03') AS day2,
       ledger.balance('2241.003') AS now;
SELECT ledger.balance('2241', '2026-11-02') AS summary_day1, ledger.balance('2241', '2026-11-03') AS summary_day2;
SELECT ledger.balance('2241.003', '2026-11-04');
SELECT ledger.balance('nope', '2026-11-02');
-- the trial balance across a closed day and the open one
SELECT * FROM ledger.trial_balance('2026-11-02', '2026-11-03')
 WHERE account_code IN ('2241', '2241.003', '6021') OR account_code IS NULL;
SELECT * FROM ledger.trial_balance('2026-11-03') WHERE account_code = '2241.003' OR account_code IS NULL;
SELECT * FROM ledger.trial_balance('2026-11-03', '2026-11-02');
SELECT * FROM ledger.trial_balance('2026-11-03', '2026-11-09');

-- naming days
CALL ledger.close_day('2026-11-02');
CALL ledger.close_day('2026-11-09');

-- close day 2 by name
CALL ledger.close_day('2026-11-03');
SELECT book_date, ok, regexp_replace(detail, '[0-9a-f]{64}', '<digest>') AS detail
  FROM ledger.verify_books('2026-11-01', '2026-11-30');

-- a failed check leaves the day closing, postings go on, and a later run
-- finishes the job once the cause is fixed.  Break the books on purpose:
-- a voucher with one line, written with the triggers off (superuser only).
SELECT ledger.post('day3-ok', ARRAY['1122.01', '2241.003'], ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[]) IS NOT NULL AS posted;
SET session_replication_role = replica;
INSERT INTO ledger.voucher (id, idempotency_key, book_date) VALUES (5001, 'one-sided', '2026-11-04');
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, book_date)
	SELECT 5001, 1, id, '3.00 CNY', '2026-11-04' FROM ledger.account WHERE code = '1122.01';
RESET session_replication_role;
CALL ledger.close_day();
SELECT book_date, status FROM ledger.book_day ORDER BY 1;
SELECT check_name, currency, detail FROM ledger.book_check WHERE book_date = '2026-11-04' AND NOT ok ORDER BY 1, 2;
-- postings continue on the next day meanwhile
SELECT ledger.post('day4-topup', ARRAY['1122.01', '2241.003'], ARRAY['2.00 CNY', '-2.00 CNY']::ledger.amount[]) IS NOT NULL AS posted;
SELECT book_date FROM ledger.voucher WHERE idempotency_key = 'day4-topup';
-- fix: the missing side of the voucher, and the balances it should have moved
SET session_replication_role = replica;
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, book_date)
	SELECT 5001, 2, id, '-3.00 CNY', '2026-11-04' FROM ledger.account WHERE code = '2241.003';
UPDATE ledger.account_balance b SET units = units + 300 FROM ledger.account a
 WHERE a.id = b.account_id AND a.code = '1122.01';
UPDATE ledger.account_balance b SET units = units - 300 FROM ledger.account a
 WHERE a.id = b.account_id AND a.code = '2241.003';
RESET session_replication_role;
CALL ledger.close_day('2026-11-04');
SELECT book_date, status FROM ledger.book_day ORDER BY 1;

-- every check catches its invariant broken on purpose
CREATE FUNCTION pg_temp.failing(d date) RETURNS TABLE(check_name text, currency text)
	LANGUAGE sql AS $$ SELECT c.check_name, c.currency FROM ledger.check_books(d) c WHERE NOT c.ok $$;
SELECT * FROM pg_temp.failing('2026-11-03');

SET session_replication_role = replica;
-- a daily balance changed after the day closed
UPDATE ledger.daily_balance r SET closing = ledger.amount(9, 'CNY')
  FROM ledger.account a WHERE a.id = r.account_id AND a.code = '1122.01' AND r.book_date = '2026-11-03';
SELECT * FROM pg_temp.failing('2026-11-03');
UPDATE ledger.daily_balance r SET closing = ledger.amount(40, 'CNY')
  FROM ledger.account a WHERE a.id = r.account_id AND a.code = '1122.01' AND r.book_date = '2026-11-03';
-- a summary row that disagrees with its sub-accounts
UPDATE ledger.daily_balance r SET entries = entries + 1
  FROM ledger.account a WHERE a.id = r.account_id AND a.code = '2241' AND r.book_date = '2026-11-03';
SELECT * FROM pg_temp.failing('2026-11-03');
UPDATE ledger.daily_balance r SET entries = entries - 1
  FROM ledger.account a WHERE a.id = r.account_id AND a.code = '2241' AND r.book_date = '2026-11-03';
-- movements in the snapshot that the entries do not show
UPDATE ledger.daily_balance r SET debit = ledger.amount(41, 'CNY'), credit = ledger.amount(1, 'CNY')
  FROM ledger.account a WHERE a.id = r.account_id AND a.code = '1122.01' AND r.book_date = '2026-11-03';
SELECT * FROM pg_temp.failing('2026-11-03');
UPDATE ledger.daily_balance r SET debit = ledger.amount(40, 'CNY'), credit = ledger.amount(0, 'CNY')
  FROM ledger.account a WHERE a.id = r.account_id AND a.code = '1122.01' AND r.book_date = '2026-11-03';
-- a maintained balance that drifted from the entries
UPDATE ledger.account_balance b SET units = units + 1 FROM ledger.account a
 WHERE a.id = b.account_id AND a.code = '2241.002';
SELECT * FROM pg_temp.failing('2026-11-03');
SELECT * FROM pg_temp.failing('2026-11-05');
UPDATE ledger.account_balance b SET units = units - 1 FROM ledger.account a
 WHERE a.id = b.account_id AND a.code = '2241.002';
-- history rewritten: a closed day's voucher changed, even with triggers off
UPDATE ledger.voucher SET summary = 'rewritten' WHERE idempotency_key = 'day2-pay';
SELECT * FROM pg_temp.failing('2026-11-03');
SELECT book_date, ok FROM ledger.verify_books('2026-11-02', '2026-11-05');
UPDATE ledger.voucher SET summary = NULL WHERE idempotency_key = 'day2-pay';
-- an entry that no voucher of its day owns
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, book_date)
	SELECT 424242, 1, id, '1.00 CNY', '2026-11-05' FROM ledger.account WHERE code = '1122.01';
SELECT * FROM pg_temp.failing('2026-11-05');
DELETE FROM ledger.entry WHERE voucher_id = 424242;
RESET session_replication_role;

-- all is well again
SELECT * FROM pg_temp.failing('2026-11-02');
SELECT * FROM pg_temp.failing('2026-11-03');
SELECT * FROM pg_temp.failing('2026-11-05');
SELECT book_date, ok FROM ledger.verify_books('2026-11-02', '2026-11-05');

-- the trial aggregate
SELECT ledger.currency(amount), (ledger.trial(amount)).*
  FROM ledger.entry WHERE book_date = '2026-11-03' GROUP BY 1;
SELECT (ledger.trial(x)).* FROM (VALUES ('1 CNY'::ledger.amount), ('1 USD')) v(x);
SELECT ledger.trial(x) FROM (VALUES (NULL::ledger.amount)) v(x);
