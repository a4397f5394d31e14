-- The statement loaders on files built from what the channels and banks
-- publish (test/data/README.md names the source of each): every format loads
-- with the figures the file states, and a copy with one broken total, count
-- or balance is refused naming its line, loading nothing.
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\set d :abs_srcdir '/test/data/'
\set wx_all :d 'wechat_all.csv'
\set wx_all_bad :d 'wechat_all_bad_refund_total.csv'
\set wx_success :d 'wechat_success.csv'
\set wx_success_bad :d 'wechat_success_bad_count.csv'
\set wx_refund :d 'wechat_refund.csv'
\set wx_refund_bad :d 'wechat_refund_bad_total.csv'
\set wx_success3 :d 'wechat_success_20191103.csv'
\set wx_success3_bad :d 'wechat_success_20191103_bad_refund_total.csv'
\set wx_v2 :d 'wechat_all_v2_20180507.csv'
\set wx_v2_bad :d 'wechat_all_v2_20180507_bad_total.csv'
\set wx_refund3 :d 'wechat_refund_v3.csv'
\set wx_refund3_bad :d 'wechat_refund_v3_bad_requested.csv'
\set wx_flow :d 'wechat_fundflow.csv'
\set wx_flow_sdk :d 'wechat_fundflow_sdk_count.csv'
\set wx_flow_bad :d 'wechat_fundflow_bad_sum.csv'
\set wx_revoked :d 'wechat_revoked_refund.csv'
\set ap_trade :d 'alipay_trade.csv'
\set ap_trade_bad :d 'alipay_trade_bad_refund_total.csv'
\set ap_trade_gbk :d 'alipay_trade_bad_gbk.csv'
\set ap_fee :d 'alipay_trade_fee.csv'
\set ap_ok :d 'alipay_ok.csv'
\set ap_acct :d 'alipay_account.csv'
\set ap_acct_bad :d 'alipay_account_bad_income.csv'
\set mt :d 'mt940_three_accounts.sta'
\set mt_bad :d 'mt940_bad_balance.sta'
\set mt_date :d 'mt940_bad_date.sta'
\set mt_abn :d 'mt940_abnamro.sta'
\set mt_ing :d 'mt940_ing.sta'
\set mt_mbank :d 'mt940_mbank.sta'
\set mt_zenith :d 'mt940_zenith.sta'
\set mt_rabo :d 'mt940_rabobank_sub.sta'
\set mt_db :d 'mt940_deutschebank.sta'
\set mt_vbkm :d 'mt940_volksbank_atat.sta'
\set mt_vbkm_bad :d 'mt940_volksbank_atat_bad.sta'
\set mt_spk :d 'mt940_sparkasse_feb30.sta'
\set mt_mollie :d 'mt940_mollie.sta'
\set mt_eco :d 'mt940_ecobank_xof.sta'
\set camt_tz :d 'camt053_raiffeisen_tz.xml'
\set camt_dupref :d 'camt053_dupref.xml'
\set camt :d 'camt053_two_statements.xml'
\set camt_bad :d 'camt053_bad_balance.xml'
\set camt8 :d 'camt053_v08.xml'
\set camt8_bad :d 'camt053_v08_unbalanced.xml'

CREATE VIEW st AS
SELECT source, statement_date, line_no, ref, external_id, amount, status, fee,
       occurred_at AT TIME ZONE 'Asia/Shanghai' AS beijing_time
  FROM ledger.statement_line;
-- each line as the file wrote it, read back from the kept file (one parse per import)
CREATE VIEW raws AS
SELECT l.source, l.line_no, r.raw
  FROM (SELECT DISTINCT import_id FROM ledger.statement_line) i
 CROSS JOIN LATERAL ledger.statement_raw(i.import_id) r
  JOIN ledger.statement_line l ON l.import_id = i.import_id AND l.line_no = r.line_no;

-- ---- WeChat Pay trade bill, type ALL: BOM, CRLF, a JSON 商户数据包 holding
-- a '"' and a comma, a payment refunded twice in part
SELECT format, line_count, total_amount, fee_amount, file_header, file_totals
  FROM ledger.load_wechat_bill('wx', '2021-01-28', pg_read_file(:'wx_all'));
SELECT line_no, ref, external_id, amount, status, fee, beijing_time FROM st WHERE source = 'wx' ORDER BY line_no;
SELECT raw->>'商户数据包' AS attach, raw->>'交易状态' AS state FROM raws WHERE source = 'wx' AND line_no = 5;
-- the partial refunds of one payment: two lines, each with its own serial
SELECT r.raw->>'微信订单号' AS payment, count(*), ledger.sum(l.amount)
  FROM ledger.statement_line l JOIN raws r USING (source, line_no)
 WHERE l.source = 'wx' AND l.status = 'success' GROUP BY 1 ORDER BY 1;
-- the file is kept as it was read, once; the lines carry no raw of their own
SELECT f.source, f.format, f.ref_field, f.encoding, f.content = convert_to(pg_read_file(:'wx_all'), 'UTF8') AS as_read,
       (SELECT count(*) FROM ledger.statement_line l WHERE l.import_id = i.id AND l.raw IS NOT NULL) AS lines_with_raw
  FROM ledger.statement_import i JOIN ledger.statement_file f ON f.id = i.file_id WHERE i.source = 'wx';
-- with ledger.statement_raw_lines on, each line's raw is stored too, the same
SET ledger.statement_raw_lines = on;
SELECT line_count FROM ledger.load_wechat_bill('wx', '2021-01-28', pg_read_file(:'wx_all'));
RESET ledger.statement_raw_lines;
SELECT count(*) AS lines, count(*) FILTER (WHERE l.raw IS DISTINCT FROM r.raw) AS differing
  FROM ledger.statement_line l JOIN raws r USING (source, line_no) WHERE l.source = 'wx';
-- an import that does not exist: 42704
SELECT ledger.statement_raw(-1);
-- the same bill staged with \copy, keyed by 微信订单号 / 微信退款单号
SELECT ledger.stage_statement();
COPY ledger_statement_stage (line) FROM :'wx_all' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e');
SELECT line_count, total_amount, replaced_lines FROM ledger.load_wechat_bill('wx', '2021-01-28', NULL, 'transaction_id');
SELECT line_no, ref FROM st WHERE source = 'wx' AND amount OPERATOR(ledger.<) '0 CNY'::ledger.amount ORDER BY line_no;
-- a broken 退款总金额: refused naming the summary line; the loaded bill stays
SELECT ledger.load_wechat_bill('wx', '2021-01-28', pg_read_file(:'wx_all_bad'));
SELECT count(*) FROM ledger.statement_line WHERE source = 'wx';

-- ---- type SUCCESS: no refund columns
SELECT line_count, total_amount, file_header->>'bill_type' AS bill_type
  FROM ledger.load_wechat_bill('wx-success', '2019-11-04', pg_read_file(:'wx_success'));
SELECT ledger.load_wechat_bill('wx-success', '2019-11-04', pg_read_file(:'wx_success_bad'));

-- ---- type REFUND: occurred_at is the 退款成功时间, not the payment's 交易时间
SELECT line_count, total_amount, file_header->>'bill_type' AS bill_type, file_totals
  FROM ledger.load_wechat_bill('wx-refund', '2018-08-21', pg_read_file(:'wx_refund'));
SELECT s.line_no, s.ref, s.amount, s.status, s.beijing_time, l.raw->>'交易时间' AS paid_at, l.raw->>'退款成功时间' AS refunded_at
  FROM st s JOIN raws l USING (source, line_no) WHERE s.source = 'wx-refund' ORDER BY s.line_no;
SELECT ledger.load_wechat_bill('wx-refund', '2018-08-21', pg_read_file(:'wx_refund_bad'));
-- the v3 REFUND layout (29 columns: 应结订单金额, 充值券退款金额, 申请退款金额):
-- two refunds requested on 2021-02-01 of payments of 01-24 and 01-19, each
-- at its 退款成功时间; 申请退款总金额 0.03 for 0.02 is refused
SELECT line_count, total_amount, file_header->>'bill_type' AS bill_type, file_totals->>'申请退款总金额' AS requested
  FROM ledger.load_wechat_bill('wx-refund3', '2021-02-01', pg_read_file(:'wx_refund3'));
SELECT s.line_no, s.ref, s.external_id, s.amount, s.beijing_time, l.raw->>'退款申请时间' AS requested_at
  FROM st s JOIN raws l USING (source, line_no) WHERE s.source = 'wx-refund3' ORDER BY s.line_no;
SELECT ledger.load_wechat_bill('wx-refund3', '2021-02-01', pg_read_file(:'wx_refund3_bad'));
-- the bill is not updated after it is written: a refund still PROCESSING has no
-- 退款成功时间 and is at its 退款申请时间, not at its payment's 交易时间 (01-19)
SELECT line_count FROM ledger.load_wechat_bill('wx-refund3', '2021-02-01',
	replace(pg_read_file(:'wx_refund3'), '`2021-02-01 14:00:50,`50300907032021020105978998710,`S20210201140044552846,`0.01,`0.00,`ORIGINAL,`SUCCESS',
	        '`,`50300907032021020105978998710,`S20210201140044552846,`0.01,`0.00,`ORIGINAL,`PROCESSING'));
SELECT line_no, amount, status, beijing_time FROM st WHERE source = 'wx-refund3' ORDER BY line_no;
-- a refund requested just before midnight and succeeded after it, in the bill
-- of its success's day (both refunds moved so): that day is the bill's too
SELECT line_count, total_amount FROM ledger.load_wechat_bill('wx-refund3', '2021-02-01',
	replace(replace(pg_read_file(:'wx_refund3'),
		'`2021-02-01 14:33:21,`2021-02-01 14:33:24,', '`2021-01-31 23:59:57,`2021-02-01 00:00:03,'),
		'`2021-02-01 14:00:45,`2021-02-01 14:00:50,', '`2021-01-31 23:59:58,`2021-02-01 00:00:01,'));
SELECT line_no, amount, beijing_time FROM st WHERE source = 'wx-refund3' ORDER BY line_no;
-- the same merchant's SUCCESS bill of the day before (19 payments): its summary
-- states the refund totals the SUCCESS layout has no column for; they are 0.00,
-- and a bill stating 退款总金额 0.01 is refused (nothing in it can add to it)
SELECT line_count, total_amount, fee_amount, file_totals->>'退款总金额' AS refunds
  FROM ledger.load_wechat_bill('wx-success', '2019-11-03', pg_read_file(:'wx_success3'));
SELECT ledger.load_wechat_bill('wx-success', '2019-11-03', pg_read_file(:'wx_success3_bad'));

-- ---- type ALL in the older v2 layout (总金额, 企业红包金额, 24 columns) with a
-- refund row, and its summary in the older wording (总交易额, 总退款金额,
-- 总企业红包退款金额): 9 payments 2400.09, one refund 0.02, fees 14.40
SELECT line_count, total_amount, fee_amount, file_header->>'bill_type' AS bill_type, file_totals
  FROM ledger.load_wechat_bill('wx-v2', '2018-05-07', pg_read_file(:'wx_v2'));
SELECT line_no, ref, external_id, amount, fee, status, beijing_time FROM st
 WHERE source = 'wx-v2' AND line_no IN (2, 3, 5) ORDER BY line_no;
SELECT ledger.load_wechat_bill('wx-v2', '2018-05-07', pg_read_file(:'wx_v2_bad'));
-- a payment row in a SUCCESS bill cannot be a refund
SELECT ledger.load_wechat_bill('wx-success', '2019-11-04',
	replace(pg_read_file(:'wx_success'), '`NATIVE,`SUCCESS,`GDB_CREDIT', '`NATIVE,`REFUND,`GDB_CREDIT'));

-- ---- WeChat Pay fund-flow bill (资金账单)
SELECT format, line_count, total_amount, file_totals
  FROM ledger.load_wechat_fundflow('wx-flow', '2021-02-01', pg_read_file(:'wx_flow'));
SELECT line_no, ref, external_id, amount, beijing_time FROM st WHERE source = 'wx-flow' ORDER BY line_no;
-- the SDK's own sample states 3 flows but holds 2; a broken 支出金额
SELECT ledger.load_wechat_fundflow('wx-flow', '2021-02-01', pg_read_file(:'wx_flow_sdk'));
SELECT ledger.load_wechat_fundflow('wx-flow', '2021-02-01', pg_read_file(:'wx_flow_bad'));
SELECT ledger.load_wechat_fundflow('wx-flow', '2021-02-01', pg_read_file(:'wx_all'));

-- ---- a WeChat bill is its day's: none of its payments later than the
-- statement date, and some payment of that date (the bill of 2021-01-28 given
-- as the 27th's and as the 29th's, the SUCCESS bill of 2019-11-04 as the 3rd's,
-- the fund flow of 2021-02-01 as the 2nd's); refunds are not looked at (the
-- REFUND bill of 2018-08-21 holds refunds of payments of the 20th)
SELECT ledger.load_wechat_bill('wx-day', '2021-01-27', pg_read_file(:'wx_all'));
SELECT ledger.load_wechat_bill('wx-day', '2021-01-29', pg_read_file(:'wx_all'));
SELECT ledger.load_wechat_bill('wx-day', '2019-11-03', pg_read_file(:'wx_success'));
SELECT ledger.load_wechat_fundflow('wx-day', '2021-02-02', pg_read_file(:'wx_flow'));
SELECT count(*) FROM ledger.statement_line WHERE source = 'wx-day';
-- a REFUND bill is its day's by its refunds' 退款申请时间 (both real REFUND
-- bills hold the refunds requested on their day; their 交易时间 is the
-- payment's, their 退款成功时间 may be after midnight): given another day it
-- is refused, as before it loaded as any day's
SELECT ledger.load_wechat_bill('wx-day', '2021-02-02', pg_read_file(:'wx_refund3'));
SELECT ledger.load_wechat_bill('wx-day', '2021-01-31', pg_read_file(:'wx_refund3'));
SELECT ledger.load_wechat_bill('wx-day', '2018-08-22', pg_read_file(:'wx_refund'));
-- a day with a revocation of the day before and a refund, and no payment
SELECT line_count, total_amount FROM ledger.load_wechat_bill('wx-day', '2026-11-03', pg_read_file(:'wx_revoked'));

-- ---- Alipay 业务明细, GBK, with the footer Alipay writes
SELECT format, line_count, total_amount, fee_amount, file_header, file_totals
  FROM ledger.load_alipay_bill('ap', '2019-09-16', pg_read_binary_file(:'ap_trade'));
SELECT line_no, ref, external_id, amount, beijing_time FROM st WHERE source = 'ap' ORDER BY line_no LIMIT 4;
-- the footer's refund amount disagrees with the rows; a bad GBK byte near the end
SELECT ledger.load_alipay_bill('ap', '2019-09-16', pg_read_binary_file(:'ap_trade_bad'));
SELECT ledger.load_alipay_bill('ap', '2019-09-16', pg_read_binary_file(:'ap_trade_gbk'));
-- staged with \copy ... ENCODING 'GBK'
SELECT ledger.stage_statement();
COPY ledger_statement_stage (line) FROM :'ap_trade' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e', ENCODING 'GBK');
SELECT line_count, total_amount, replaced_lines FROM ledger.load_alipay_bill('ap', '2019-09-16');

-- ---- Alipay 业务明细 with a 服务费: Alipay signs it from the merchant's side
-- like every money column of the bill (a trade's fee -0.59, its 实收净额
-- 294.41); the line's fee is the channel's charge, the figure negated
SELECT format, line_count, total_amount, fee_amount, file_totals
  FROM ledger.load_alipay_bill('ap-fee', '2019-05-09', pg_read_binary_file(:'ap_fee'));
SELECT s.line_no, s.ref, s.external_id, s.amount, s.fee, r.raw->>'服务费（元）' AS fee_written,
       r.raw->>'实收净额（元）' AS net_written, s.beijing_time
  FROM st s JOIN raws r USING (source, line_no) WHERE source = 'ap-fee' ORDER BY line_no;
-- the fee a refund gives back is written positive: the line's fee is negative
SELECT line_count, total_amount, fee_amount FROM ledger.load_alipay_bill('ap-ok', '2026-11-02', pg_read_binary_file(:'ap_ok'));
SELECT line_no, ref, amount, fee FROM st WHERE source = 'ap-ok' ORDER BY line_no;
-- a trade's fee written positive, a refund's negative: refused, naming the line
SELECT ledger.load_alipay_bill('ap-fee', '2019-05-09',
	convert_to(regexp_replace(convert_from(pg_read_binary_file(:'ap_fee'), 'GBK'), ',-0\.59,', ',0.59,'), 'GBK'));
SELECT ledger.load_alipay_bill('ap-ok', '2026-11-02',
	convert_to(replace(convert_from(pg_read_binary_file(:'ap_ok'), 'GBK'), E'R1\t,0.12', E'R1\t,-0.12'), 'GBK'));
-- net of fee (ledger.recon_rule): the books hold what Alipay settles, 295.00 − 0.59
BEGIN;
SET LOCAL client_min_messages = warning;
INSERT INTO ledger.account (code, name, kind, currency, reconcilable) VALUES
	('ap.net', 'Alipay clearing, net of fee', 'asset', 'CNY', true),
	('ap.net.wallet', 'Alipay fee test: wallets', 'liability', 'CNY', false);
SELECT count(ledger.post('ap-net-' || r, ARRAY['ap.net', 'ap.net.wallet'],
	ARRAY['294.41 CNY'::ledger.amount, '-294.41 CNY'::ledger.amount], 'Alipay, net of fee', r)) AS posted
  FROM (VALUES ('pagy_ssn0'), ('pagy_ssn1')) v(r);
-- the loaded lines, as the statement of the open day
INSERT INTO ledger.statement_line (source, statement_date, ref, external_id, amount, fee, occurred_at)
SELECT 'ap-net', ledger.current_book_date(), ref, external_id, amount, fee, occurred_at
  FROM ledger.statement_line WHERE source = 'ap-fee';
INSERT INTO ledger.recon_rule (source, net_of_fee) VALUES ('ap-net', true);
SELECT ledger.current_book_date() AS ap_day \gset
CALL ledger.reconcile('ap-net', :'ap_day', 'ap.net');
-- both match: 2 × 294.41; without the rule each is 0.59 off
SELECT internal_count, external_count, matched_count, matched_amount, amount_mismatch_count, missing_internal_count,
       missing_external_count FROM ledger.recon_run WHERE source = 'ap-net';
DELETE FROM ledger.recon_rule WHERE source = 'ap-net';
CALL ledger.reconcile('ap-net', :'ap_day', 'ap.net');
SELECT matched_count, amount_mismatch_count FROM ledger.recon_run WHERE source = 'ap-net';
SELECT ref, internal_amount, external_amount, difference FROM ledger.recon_break WHERE source = 'ap-net' ORDER BY ref;
ROLLBACK;

-- ---- Alipay 账务明细, GBK: amount = 收入 − 支出
SELECT format, line_count, total_amount, file_header, file_totals
  FROM ledger.load_alipay_account('ap-acct', '2012-12-29', pg_read_binary_file(:'ap_acct'));
SELECT line_no, ref, external_id, amount, beijing_time FROM st WHERE source = 'ap-acct' ORDER BY line_no;
-- the sample's own footer (18 rows) over the 3 rows it shows
SELECT ledger.load_alipay_account('ap-acct', '2012-12-29', pg_read_binary_file(:'ap_acct_bad'));
SELECT ledger.load_alipay_account('ap-acct', '2012-12-30', pg_read_binary_file(:'ap_acct'));
SELECT ledger.load_alipay_account('ap-acct', '2012-12-29', pg_read_binary_file(:'ap_trade'));
-- a file without its period line: its date cannot be checked
SELECT ledger.load_alipay_account('ap-acct', '2012-12-29',
	convert_to(regexp_replace(convert_from(pg_read_binary_file(:'ap_acct'), 'GBK'), '#起始日期[^\n]*\n', ''), 'GBK'));
SELECT ledger.load_alipay_bill('ap', '2019-09-16',
	convert_to(regexp_replace(convert_from(pg_read_binary_file(:'ap_trade'), 'GBK'), '#起始日期[^\n]*\n', ''), 'GBK'));

-- ---- MT940: statements of three accounts in three currencies
SELECT source, statement_date, format, line_count, total_amount, replaced_lines,
       file_totals->>'opening' AS opening, file_totals->>'closing' AS closing
  FROM ledger.load_mt940('bank', pg_read_file(:'mt'));
SELECT source, statement_date, line_no, ref, external_id, amount FROM st WHERE source LIKE 'bank/%' ORDER BY source, line_no;
SELECT raw->>'tag61' AS tag61, raw->>'supplementary' AS supplementary, raw->>'info' AS info
  FROM raws WHERE source = 'bank/123456789' AND line_no = 21;
-- loaded again: each (account, date) replaced, never duplicated
SELECT source, statement_date, replaced_lines FROM ledger.load_mt940('bank', pg_read_file(:'mt'));
SELECT count(*) FROM ledger.statement_line WHERE source LIKE 'bank/%';
-- one account: the source as given
SELECT source, statement_date, line_count
  FROM ledger.load_mt940('bank-eur', split_part(pg_read_file(:'mt'), E'-\n:20:asdfsdfdsf', 1));
-- the banks' transmission envelopes: the lines before a statement that are
-- not fields (ABN AMRO's ABNANL2A / 940 before each message, ING's
-- 0000 01INGBNL2AXXXX00001 / 940 00) are skipped and counted; the control
-- bytes around mBank's messages (SOH, ETX) are not part of any line
SELECT source, statement_date, line_count, total_amount, file_header->>'envelope_lines' AS envelope,
       file_totals->>'opening' AS opening, file_totals->>'closing' AS closing
  FROM ledger.load_mt940('abn', pg_read_file(:'mt_abn'));
SELECT source, statement_date, line_count, total_amount, file_header->>'envelope_lines' AS envelope,
       file_totals->>'opening' AS opening, file_totals->>'closing' AS closing
  FROM ledger.load_mt940('ing', pg_read_file(:'mt_ing'));
SELECT source, statement_date, line_count, total_amount, file_header->>'envelope_lines' AS envelope,
       file_totals->>'opening' AS opening, file_totals->>'closing' AS closing
  FROM ledger.load_mt940('mbank', pg_read_file(:'mt_mbank'));
SELECT source, line_no, ref, external_id, amount FROM st WHERE source IN ('ing', 'mbank') ORDER BY source, line_no;
-- what real exports do beside the standard: Zenith Bank leaves out the
-- transaction type (the amount is followed by //reference), Deutsche Bank and
-- Commerzbank write a space before it, Rabobank glues the DOS end-of-file byte
-- (0x1A) to the :20: of the next export and writes a line's information as
-- several :86: fields
SELECT source, statement_date, line_count, total_amount,
       file_totals->>'opening' AS opening, file_totals->>'closing' AS closing
  FROM ledger.load_mt940('zenith', pg_read_file(:'mt_zenith'));
SELECT source, statement_date, line_count, total_amount,
       file_totals->>'opening' AS opening, file_totals->>'closing' AS closing
  FROM ledger.load_mt940('db', pg_read_file(:'mt_db'));
SELECT source, statement_date, line_count, total_amount,
       file_totals->>'opening' AS opening, file_totals->>'closing' AS closing
  FROM ledger.load_mt940('rabo', pg_read_file(:'mt_rabo'));
SELECT source, line_no, ref, external_id, amount FROM st WHERE source IN ('zenith', 'db') OR source LIKE 'rabo/%' ORDER BY source, line_no;
SELECT r.line_no, r.raw->>'type' AS type, r.raw->>'customer_ref' AS customer_ref, r.raw->>'bank_ref' AS bank_ref, r.raw->>'info' AS info
  FROM ledger.statement_import i, ledger.statement_raw(i.id) r
 WHERE i.source IN ('zenith', 'db', 'rabo/1567.50.961EUR') AND r.line_no IN (6, 8, 5)
 ORDER BY i.source, r.line_no;
-- MT940 as German banks deliver it over FinTS: the lines end at "@@", here
-- all in one physical line (a Volksbank's four statements); an error names
-- the "@@" line.  Interest and fees of the end of February are value-dated
-- 30 February by the 30/360 convention (the Volksbank's of 2018, a
-- Sparkasse's fee closing of 2016): the month's last day
SELECT source, statement_date, line_count, total_amount, file_header->>'statements' AS statements,
       file_totals->>'opening' AS opening, file_totals->>'closing' AS closing
  FROM ledger.load_mt940('vbkm', pg_read_file(:'mt_vbkm'));
SELECT line_no, ref, external_id, amount, occurred_at::date AS day FROM ledger.statement_line
 WHERE source = 'vbkm' AND statement_date = '2018-02-28' ORDER BY line_no;
SELECT ledger.load_mt940('vbkm', pg_read_file(:'mt_vbkm_bad'));
SELECT source, statement_date, line_count, total_amount
  FROM ledger.load_mt940('spk', pg_read_file(:'mt_spk'));
SELECT line_no, amount, occurred_at::date AS day FROM ledger.statement_line WHERE source = 'spk';
-- any other day that does not exist is still an error: 31 February, a 30 February balance
SELECT ledger.load_mt940('spk', replace(pg_read_file(:'mt_spk'), ':61:160230', ':61:160231'));
SELECT ledger.load_mt940('spk', replace(pg_read_file(:'mt_spk'), ':60F:C160229', ':60F:C160230'));
-- the end-to-end reference in the :86: is the ref: Mollie's /EREF/ (its
-- payment id; /EREF/NOTPROVIDED is none), as Deutsche Bank's EREF+ above
-- (running from ?20 into ?21; its :61: says only "KREF+")
SELECT source, statement_date, line_count, total_amount,
       file_totals->>'opening' AS opening, file_totals->>'closing' AS closing
  FROM ledger.load_mt940('mollie', pg_read_file(:'mt_mollie'));
SELECT line_no, ref, external_id, amount FROM st WHERE source = 'mollie' AND line_no IN (5, 7, 43, 45) ORDER BY line_no;
-- Ecobank (Benin): XOF, a currency without decimals (47000000,), the funds
-- code F after the mark, a bank reference three times (numbered)
SELECT source, statement_date, line_count, total_amount,
       file_totals->>'opening' AS opening, file_totals->>'closing' AS closing
  FROM ledger.load_mt940('eco', pg_read_file(:'mt_eco'));
SELECT line_no, ref, external_id, amount FROM st WHERE source = 'eco' ORDER BY line_no;
-- a bank's dates without a zone are midnight in ledger.book_timezone (the
-- session's TimeZone when it is empty): a file loads the same from every
-- session that shares the books' setting
SET ledger.book_timezone = 'Asia/Shanghai';
SET TimeZone = 'America/New_York';
SELECT line_count FROM ledger.load_mt940('tz-book', pg_read_file(:'mt_zenith'));
RESET ledger.book_timezone;
SELECT line_count FROM ledger.load_mt940('tz-session', pg_read_file(:'mt_zenith'));
SET TimeZone = 'UTC';
SELECT source, min(occurred_at) AS first_line_at FROM ledger.statement_line
 WHERE source IN ('tz-book', 'tz-session') GROUP BY source ORDER BY source;
-- no type and the customer reference NONREF after a space: the bank's reference is the ref
SELECT line_count FROM ledger.load_mt940('nonref', E':20:X\n:25:ACC\n:28C:1\n:60F:C240312EUR100,00\n:61:240312C1,00 NONREF//B1\n:86:a\n:86:\n:62F:C240312EUR101,00\n');
SELECT line_no, ref, external_id, amount FROM st WHERE source = 'nonref';
-- a bank reference repeated within a statement is numbered ("REF/2"), never
-- onto a reference the statement has of its own: every line keeps an
-- external_id of its own, whatever the order (MT940 and camt.053)
SELECT line_count FROM ledger.load_mt940('dupref', E':20:X\n:25:ACC\n:28C:1\n:60F:C240312EUR100,00\n'
	':61:240312C10,00NTRFREF1//BANKREF\n:86:a\n:61:240312C10,00NTRFREF2//BANKREF\n:86:b\n'
	':61:240312C10,00NTRFREF3//BANKREF/2\n:86:c\n:61:240312C10,00NTRFREF4//BANKREF/3\n:86:d\n'
	':61:240312C10,00NTRFREF5//BANKREF\n:86:e\n:62F:C240312EUR150,00\n');
SELECT line_no, ref, external_id, amount FROM st WHERE source = 'dupref' ORDER BY line_no;
SELECT line_count FROM ledger.load_camt053('dupref-camt', pg_read_file(:'camt_dupref'));
SELECT line_no, ref, external_id, amount FROM st WHERE source = 'dupref-camt' ORDER BY line_no;
-- camt.053.001.04 of Raiffeisen (Switzerland): every date with its zone (2017-04-01+02:00)
SELECT source, statement_date, line_count, total_amount, file_header->>'version' AS version,
       file_totals->>'opening' AS opening, file_totals->>'closing' AS closing
  FROM ledger.load_camt053('raiffeisen', pg_read_file(:'camt_tz'));
SELECT line_no, ref, external_id, amount, beijing_time FROM st WHERE source = 'raiffeisen' ORDER BY line_no LIMIT 4;
-- a text longer than the loader keeps is cut between characters, never inside one
SELECT line_count FROM ledger.load_mt940('long', E':20:1\n:25:2\n:28C:3\n:60F:C240312CNY1,00\n:61:240312C1,00NTRFREF//X\n' || repeat('补', 50) || E'\n:86:' || repeat('信', 400) || E'\n:62F:C240312CNY2,00\n');
SELECT length(r.raw->>'info') AS info, length(r.raw->>'supplementary') AS supplementary, right(r.raw->>'info', 3) AS info_end
  FROM ledger.statement_import i, ledger.statement_raw(i.id) r WHERE i.source = 'long';
-- an error quoting bytes that split a character shows '?' for them (the
-- message stays UTF-8)
SELECT ledger.load_mt940('bank', E':20:G\n:25:11\n:60F:C110101E资金0,00\n');
-- an MT942 interim report is not a statement (the self-provided sample of wolph/mt940)
SELECT ledger.load_mt940('bank', E':20:CGNGHKLI0290980\n:25:GJB0291077111\n:28C:03917/00001\n:34F:EURD0,00\n:34F:EURC0,00\n:13D:1610301730+0000\n:61:1610301031D0,42MCI0NONREF//055001022000001\nYAY MT942 CHG\n:86:REMIT:Costs to MT940 Parsing.\n:90D:1EUR2,30\n:90C:0EUR0,00\n-\n');
SELECT ledger.load_mt940('bank', E':20:CGNGHKLI0290980\n:25:GJB0291077111\n:28C:03917/00001\n:34F:EURD0,00\n:13D:1610301730+0000\n:90D:0EUR0,00\n:90C:0EUR0,00\n-\n');
-- a statement that never opens, followed by the next one, is an error
SELECT ledger.load_mt940('bank', E':20:A\n:25:1\n:28C:1\n:20:B\n:25:1\n:28C:2\n:60F:C240312USD1,00\n:62F:C240312USD1,00\n');
-- a message that ends ("-") before its statement's closing balance is an
-- error naming the "-" line (no line of a field starts with "-" in SWIFT);
-- a line that is not a field inside a statement is still an error
SELECT ledger.load_mt940('bank', E':20:X\n:25:1\n:28C:1\n:60F:C240312USD1,00\n-\nABNANL2A\n:62F:C240312USD1,00\n');
SELECT ledger.load_mt940('bank', E':20:X\n:25:1\n:28C:1\n:60F:C240312USD1,00\nABNANL2A\n:62F:C240312USD1,00\n');
-- a closing balance that the lines do not reach; a date that does not exist
SELECT ledger.load_mt940('bank', pg_read_file(:'mt_bad'));
SELECT ledger.load_mt940('bank', pg_read_file(:'mt_date'));
SELECT ledger.load_mt940('bank', E':20:X\n:25:1\n:28C:1\n:60F:C240312USD1,00\n:61:240312C1,00NTRFREF\n');
SELECT ledger.load_mt940('bank', 'hello');

-- ---- camt.053: two statements of one account and one day, side by side
SELECT source, statement_date, format, line_count, total_amount, replaced_lines,
       file_header->>'id' AS id, file_totals->>'opening' AS opening, file_totals->>'closing' AS closing
  FROM ledger.load_camt053('camt', pg_read_file(:'camt'));
SELECT line_no, ref, external_id, amount FROM st WHERE source = 'camt' ORDER BY line_no;
SELECT source, statement_date, line_count, replaced_lines FROM ledger.load_camt053('camt', pg_read_file(:'camt'));
SELECT count(*) FROM ledger.statement_line WHERE source = 'camt';
SELECT ledger.load_camt053('camt', pg_read_file(:'camt_bad'));
-- camt.053.001.08: booking date with a time and an offset, AcctSvcrRef
SELECT source, statement_date, line_count, total_amount, file_header->>'version' AS version
  FROM ledger.load_camt053('camt8', pg_read_file(:'camt8'));
SELECT line_no, ref, external_id, amount, beijing_time FROM st WHERE source = 'camt8';
-- text that a comment splits is one text; an amount with any number of
-- leading zeros (xs:decimal) is its number, never cut into another one
SELECT line_count, total_amount, file_totals->>'opening' AS opening
  FROM ledger.load_camt053('camt8-xml', replace(replace(pg_read_file(:'camt8'),
	'<Amt Ccy="EUR">8.85</Amt>', '<Amt Ccy="EUR">8<!-- eight -->.8<![CDATA[5]]></Amt>'),
	'<Amt Ccy="EUR">18.15</Amt>', '<Amt Ccy="EUR">' || repeat('0', 60) || '18.15</Amt>'));
SELECT ledger.load_camt053('camt8-xml', replace(pg_read_file(:'camt8'),
	'<Amt Ccy="EUR">8.85</Amt>', '<Amt Ccy="EUR">' || repeat('1', 60) || '.85</Amt>'));
SELECT ledger.load_camt053('camt8-xml', replace(pg_read_file(:'camt8'),
	'<Amt Ccy="EUR">8.85</Amt>', '<Amt Ccy="EUR">' || repeat('0', 600) || '8.85</Amt>'));
-- the parser library's own v08 sample: its closing balance is in another currency
SELECT ledger.load_camt053('camt8', pg_read_file(:'camt8_bad'));
-- a balance without its credit/debit indicator (the schema requires one)
SELECT ledger.load_camt053('camt8', regexp_replace(pg_read_file(:'camt8'), '<CdtDbtInd>CRDT</CdtDbtInd>', ''));
SELECT ledger.load_camt053('camt', '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"/>');
SELECT ledger.load_camt053('camt', replace(pg_read_file(:'camt'), '</BkToCstmrStmt>', ''));

-- ---- arguments
SELECT ledger.load_mt940(NULL, pg_read_file(:'mt'));
SELECT ledger.load_camt053('camt', E'\n \n');
SELECT ledger.load_wechat_fundflow('wx-flow', NULL, pg_read_file(:'wx_flow'));

SELECT format, count(*) FROM ledger.statement_import WHERE source ~ '^(wx|ap|bank|camt)' GROUP BY format ORDER BY format;
-- a trigger a DBA put on the lines fires for every line the loaders write
CREATE TABLE line_audit (id bigint, source text);
CREATE FUNCTION audit_line() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.line_audit VALUES (NEW.id, NEW.source);
	RETURN NEW;
END $$;
CREATE TRIGGER audit_line AFTER INSERT ON ledger.statement_line FOR EACH ROW EXECUTE FUNCTION audit_line();
SELECT line_count FROM ledger.load_wechat_bill('wx-audited', '2021-01-28', pg_read_file(:'wx_all'));
SELECT (SELECT count(*) FROM line_audit WHERE source = 'wx-audited') AS audited,
       (SELECT count(*) FROM ledger.statement_line WHERE source = 'wx-audited') AS lines,
       (SELECT count(*) FROM raws WHERE source = 'wx-audited' AND raw ? '商户订单号') AS raws;
DROP TRIGGER audit_line ON ledger.statement_line;
DROP FUNCTION audit_line();
DROP TABLE line_audit;
-- so is a constraint a DBA added (here: no line of status success)
ALTER TABLE ledger.statement_line ADD CONSTRAINT dba_no_success CHECK (status <> 'success') NOT VALID;
\set VERBOSITY terse
SELECT line_count FROM ledger.load_wechat_bill('wx-checked', '2021-01-28', pg_read_file(:'wx_all'));
\set VERBOSITY default
ALTER TABLE ledger.statement_line DROP CONSTRAINT dba_no_success;
SELECT count(*) FROM ledger.statement_line WHERE source = 'wx-checked';
DROP VIEW st, raws;
