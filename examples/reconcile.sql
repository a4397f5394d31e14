-- examples/reconcile.sql — the next morning at Example Pay Co.: the
-- reconciliation team (对账组) loads the channels' bills for 2026-11-02,
-- reconciles the clearing accounts against them, reads the report and deals
-- with a break.  Run by `make demo` from the examples directory.

\set ON_ERROR_STOP on

-- An internal item missing from the channel's bill normally waits one day in
-- the pending pool (ledger.recon_grace_days = 1), because a payment made just
-- before midnight often appears on the next day's bill (跨日).  The demo has no
-- next day's bill, so it lets such items become breaks at once, to show the
-- missing_external class (短款 / 渠道漏单) today.
SET ledger.recon_grace_days = 0;

-- the WeChat Pay trade bill (交易账单): backtick-prefixed CSV with summary rows
SELECT ledger.stage_statement() \gset
\copy ledger_statement_stage (line) FROM 'statements/wechat_20261102.csv' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')
SELECT source, statement_date, format, line_count, total_amount, fee_amount
  FROM ledger.load_wechat_bill('wechat', '2026-11-02');

-- the Alipay trade bill (业务明细): GBK text with # header and footer lines
SELECT ledger.stage_statement() \gset
\copy ledger_statement_stage (line) FROM 'statements/alipay_20261102.csv' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e', ENCODING 'GBK')
SELECT source, statement_date, format, line_count, total_amount, fee_amount
  FROM ledger.load_alipay_bill('alipay', '2026-11-02');

SELECT source, ref, external_id, amount, status, fee FROM ledger.statement_line
 WHERE statement_date = '2026-11-02' ORDER BY source, line_no;

-- reconcile each channel's clearing account against its bill
CALL ledger.reconcile('wechat', '2026-11-02', '1122.01');
CALL ledger.reconcile('alipay', '2026-11-02', '1122.02');

-- the morning report
\echo
\echo The reconciliation report (对账报告)
SELECT source, statement_date, internal_count AS ours, external_count AS theirs,
       matched_count AS matched, missing_internal_count AS "长款", missing_external_count AS "短款",
       amount_mismatch_count AS "金额不符", status_mismatch_count AS "状态不符", duplicate_count AS "重复",
       pending_count AS pending, open_breaks, oldest_open_days
  FROM ledger.recon_report WHERE statement_date = '2026-11-02' ORDER BY source;

\echo The open breaks (差错)
SELECT id, source, class, ref, internal_amount, external_amount, difference, internal_status, external_status
  FROM ledger.recon_break WHERE status = 'open' ORDER BY source, class;

-- WeChat Pay took 50.00 from a user for top-up WX4200000009, but the app
-- never booked it (长款 / 平台漏单).  Customer service confirms it was Zhang
-- San: book the top-up with an adjusting voucher (差错处理) and resolve the
-- break with it.  2026-11-02 is closed, so the voucher goes to the open day;
-- reconcile leaves vouchers that resolve a break out of the internal side.
SELECT ledger.post('ADJ-WX4200000009', ARRAY['1122.01', '2241.10001'],
	ARRAY['50.00 CNY', '-50.00 CNY']::ledger.amount[],
	'差错处理: WeChat Pay top-up missing from our books', 'WX4200000009') AS adjusting_voucher \gset
SELECT id, class, ref, status, note, voucher_id
  FROM ledger.resolve_break(
	(SELECT id FROM ledger.recon_break WHERE source = 'wechat' AND ref = 'WX4200000009'),
	'Zhang San''s top-up booked late, customer service ticket CS-20261103-17', :adjusting_voucher);

-- re-running is safe: the resolved break stays resolved, nothing is duplicated
CALL ledger.reconcile('wechat', '2026-11-02', '1122.01');
\echo After resolving one break
SELECT source, status, count(*) AS breaks FROM ledger.recon_break GROUP BY source, status ORDER BY source, status;
SELECT account_code, balance FROM ledger.balances WHERE account_code IN ('1122.01', '2241.10001') ORDER BY account_code;
