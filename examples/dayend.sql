-- examples/dayend.sql — the cutoff (日切) at Example Pay Co., and what the
-- operator does when a balance assertion fails.  Run by `make demo`.

-- The cutoff checks the books and every assertion on the day's closing
-- balances; a failing blocking assertion keeps the day closing (postings
-- already go to the next day).
\set SHOW_CONTEXT never
\set ON_ERROR_STOP off
CALL ledger.close_day();
\set ON_ERROR_STOP on
SELECT book_date, status FROM ledger.book_day ORDER BY book_date;

-- The operator looks at what is left on the WeChat Pay clearing account:
-- WeChat Pay's settlement (1300.00) covered WX4200000001 and WX4200000002;
-- Li Si's top-up WX4200000003 (88.00) is not in it.  The money is not lost
-- from our books — it is a question for the reconciliation team, who will
-- take it up against WeChat Pay's bill tomorrow.  The operator lets the day
-- close with the failure on record (the assertion does not block this run)
-- and makes the assertion blocking again.
SELECT voucher_id, ref, summary, debit, credit FROM ledger.journal
 WHERE account_code = '1122.01' ORDER BY voucher_id;
UPDATE ledger.assertion SET blocking = false WHERE name = 'wechat_settled';
CALL ledger.close_day('2026-11-02');
UPDATE ledger.assertion SET blocking = true WHERE name = 'wechat_settled';
SELECT check_name, ok, detail FROM ledger.book_check WHERE book_date = '2026-11-02' AND NOT ok;
