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
-- the team works in Beijing time
SET TimeZone = 'Asia/Shanghai';

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
       pending_count AS pending, open_breaks
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

-- 资金对账: the reserve-fund bank account against the bank's statement.  During
-- 2026-11-03 ICBC executes Li Si's withdrawal that was waiting for the bank
-- (hold 3 of holds.sql, transfer ICBC-TRF-5503), and operations pays out two
-- merchants in one ICBC batch (代付批次): one voucher per payout, each naming
-- the batch in its metadata.  The bank debits the batch's total as one entry,
-- under the batch's id: a many-to-one match, which the rule of the source
-- 'icbc' declares.
SELECT ledger.post_hold((SELECT id FROM ledger.hold WHERE idempotency_key = 'WDR-HOLD-0005'),
	'WDR-0005', NULL, 'Li Si withdrawal, confirmed by ICBC') AS li_si_withdrawal;
SELECT ledger.post('PAYOUT-20261103-01', ARRAY['2241.20002', '1002.01'],
	ARRAY['20.00 CNY', '-20.00 CNY']::ledger.amount[], 'Riverside Books payout', 'PO-20261103-0001',
	'{"payout_batch": "ICBC-B20261103-01"}') AS payout_1,
       ledger.post('PAYOUT-20261103-02', ARRAY['2241.20001', '1002.01'],
	ARRAY['5.00 CNY', '-5.00 CNY']::ledger.amount[], 'Corner Coffee payout', 'PO-20261103-0002',
	'{"payout_batch": "ICBC-B20261103-01"}') AS payout_2,
       ledger.post('PAYOUT-20261103-03', ARRAY['2241.20002', '1002.01'],
	ARRAY['5.00 CNY', '-5.00 CNY']::ledger.amount[], 'Riverside Books payout', 'PO-20261103-0003',
	'{"payout_batch": "ICBC-B20261103-01"}') AS payout_3;
INSERT INTO ledger.recon_rule (source, group_key, match_window) VALUES ('icbc', 'payout_batch', '2 hours');

-- ICBC serves the day's statement of the reserve-fund account overnight as
-- ISO 20022 camt.053 (statements/icbc_camt053_20261103.xml): the opening
-- balance 1169.22 (ours at the close of 2026-11-02), Li Si's transfer under its
-- end-to-end id, the batch as one entry under the batch's id, and the closing
-- balance.  The loader checks opening + entries = closing.
SELECT ledger.stage_statement() \gset
\copy ledger_statement_stage (line) FROM 'statements/icbc_camt053_20261103.xml' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')
SELECT source, statement_date, format, file_header->>'account' AS account, file_totals->>'opening' AS opening,
       line_count, total_amount, file_totals->>'closing' AS closing
  FROM ledger.load_camt053('icbc');
SELECT ref, external_id, amount, occurred_at FROM ledger.statement_line
 WHERE source = 'icbc' AND statement_date = '2026-11-03' ORDER BY line_no;
\echo 'Our side: the reserve-fund account''s entries of 2026-11-03 (明细账)'
SELECT voucher_id, ref, summary, debit, credit, balance FROM ledger.account_history('1002.01', '2026-11-03');

-- Li Si's transfer matches by its key; the three payouts match the batch's
-- entry as a group
CALL ledger.reconcile('icbc', '2026-11-03', '1002.01');
\echo 'The batch against the bank''s entry (N:1)'
SELECT method, ref AS batch, external_ref, internal_count AS payouts, internal_voucher_ids, internal_amount,
       external_amount, difference, external_ids
  FROM ledger.recon_match WHERE source = 'icbc';
SELECT source, statement_date, internal_count AS ours, external_count AS theirs, matched_count AS matched,
       open_breaks, statement_missing
  FROM ledger.recon_report WHERE source = 'icbc';
