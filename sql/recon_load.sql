--
-- Statement lines: COPY of the canonical columns, and the loaders for the
-- WeChat Pay trade bill, the Alipay trade bill (GBK) and a generic CSV, on
-- good and on broken files.  Files are read by the server (the tests run as
-- a superuser); operators use psql's \copy the same way.
--
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set copy_ok :abs_srcdir '/test/data/statement_copy.csv'
\set copy_bad :abs_srcdir '/test/data/statement_copy_bad.csv'
\set wx_demo :abs_srcdir '/examples/statements/wechat_20261102.csv'
\set wx_ok :abs_srcdir '/test/data/wechat_ok.csv'
\set wx_bad_total :abs_srcdir '/test/data/wechat_bad_total.csv'
\set wx_bad_count :abs_srcdir '/test/data/wechat_bad_count.csv'
\set wx_bad_amount :abs_srcdir '/test/data/wechat_bad_amount.csv'
\set wx_bad_fields :abs_srcdir '/test/data/wechat_bad_fields.csv'
\set wx_truncated :abs_srcdir '/test/data/wechat_truncated.csv'
\set wx_dup :abs_srcdir '/test/data/wechat_dup_serial.csv'
\set ap_demo :abs_srcdir '/examples/statements/alipay_20261102.csv'
\set ap_ok :abs_srcdir '/test/data/alipay_ok.csv'
\set ap_bad_count :abs_srcdir '/test/data/alipay_bad_count.csv'
\set ap_bad_total :abs_srcdir '/test/data/alipay_bad_total.csv'
\set ap_bad_period :abs_srcdir '/test/data/alipay_bad_period.csv'
\set ap_truncated :abs_srcdir '/test/data/alipay_truncated.csv'
\set ap_bad_refund :abs_srcdir '/test/data/alipay_bad_refund.csv'
\set csv_ok :abs_srcdir '/test/data/generic_ok.csv'
\set csv_bad_amount :abs_srcdir '/test/data/generic_bad_amount.csv'
\set csv_bad_quote :abs_srcdir '/test/data/generic_bad_quote.csv'
\set csv_dup :abs_srcdir '/test/data/generic_dup.csv'

CREATE TEMP VIEW lines AS
	SELECT source, statement_date, ref, external_id, amount, status, fee, occurred_at AT TIME ZONE 'Asia/Shanghai' AS beijing_time, line_no
	  FROM ledger.statement_line WHERE source LIKE 'load-%';

-- ---------------------------------------------------------------------------
-- COPY ... CSV HEADER of the canonical columns
-- ---------------------------------------------------------------------------
COPY ledger.statement_line (source, statement_date, ref, external_id, amount, status, fee, occurred_at, raw)
	FROM :'copy_ok' CSV HEADER;
SELECT ref, external_id, amount, status, fee, raw FROM ledger.statement_line WHERE source = 'copychan' ORDER BY external_id;
-- a malformed line rejects the whole load and COPY names the line
\set SHOW_CONTEXT errors
COPY ledger.statement_line (source, statement_date, ref, external_id, amount, status, fee, occurred_at, raw)
	FROM :'copy_bad' CSV HEADER;
-- the same file twice: the serials are unique per source and date
COPY ledger.statement_line (source, statement_date, ref, external_id, amount, status, fee, occurred_at, raw)
	FROM :'copy_ok' CSV HEADER;
\set SHOW_CONTEXT never
SELECT count(*) AS copychan_lines FROM ledger.statement_line WHERE source = 'copychan';
DELETE FROM ledger.statement_line WHERE source = 'copychan';

-- ---------------------------------------------------------------------------
-- WeChat Pay: staged with COPY (psql: \copy), then loaded
-- ---------------------------------------------------------------------------
SELECT ledger.stage_statement();
COPY ledger_statement_stage (line) FROM :'wx_ok' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e');
SELECT format, source, statement_date, line_count, total_amount, fee_amount, replaced_lines, file_totals
  FROM ledger.load_wechat_bill('load-wechat', '2026-11-02');
SELECT * FROM lines WHERE source = 'load-wechat' ORDER BY line_no;
SELECT r.raw->>'微信订单号' AS transaction_id, r.raw->>'交易状态' AS state, r.raw->>'退款金额' AS refund
  FROM ledger.statement_raw((SELECT max(import_id) FROM ledger.statement_line WHERE source = 'load-wechat')) r
 ORDER BY r.line_no;
-- the stage was consumed
SELECT ledger.load_wechat_bill('load-wechat', '2026-11-02');
-- the same file again (as an argument this time) replaces the lines: no duplicates
SELECT line_count, replaced_lines FROM ledger.load_wechat_bill('load-wechat', '2026-11-02', pg_read_file(:'wx_ok'));
SELECT count(*) AS wechat_lines FROM ledger.statement_line WHERE source = 'load-wechat';
-- keyed by WeChat's own order numbers instead of ours
SELECT line_count FROM ledger.load_wechat_bill('load-wechat', '2026-11-02', pg_read_file(:'wx_ok'), 'transaction_id');
SELECT ref, external_id, amount, status FROM lines WHERE source = 'load-wechat' ORDER BY line_no;
SELECT ledger.load_wechat_bill('load-wechat', '2026-11-02', pg_read_file(:'wx_ok'), 'order_no');
-- broken files: nothing is loaded and the error names the line
SELECT ledger.load_wechat_bill('load-wechat', '2026-11-02', pg_read_file(:'wx_bad_total'));
SELECT ledger.load_wechat_bill('load-wechat', '2026-11-02', pg_read_file(:'wx_bad_count'));
SELECT ledger.load_wechat_bill('load-wechat', '2026-11-02', pg_read_file(:'wx_bad_amount'));
SELECT ledger.load_wechat_bill('load-wechat', '2026-11-02', pg_read_file(:'wx_bad_fields'));
-- a line of thousands of fields: the parser stops counting at 64 and says so
SELECT ledger.load_wechat_bill('load-wechat', '2026-11-02',
	regexp_replace(pg_read_file(:'wx_bad_fields'), E'\n`', E'\n' || repeat('`x,', 4000) || '`', 2));
SELECT ledger.load_wechat_bill('load-wechat', '2026-11-02', pg_read_file(:'wx_truncated'));
SELECT ledger.load_wechat_bill('load-wechat', '2026-11-02', pg_read_file(:'wx_dup'));
SELECT ledger.load_wechat_bill('load-wechat', '2026-11-02', 'not a bill');
SELECT ledger.load_wechat_bill('load-wechat', '2026-11-02', E'\n\n');
SELECT ledger.load_wechat_bill(NULL, '2026-11-02', pg_read_file(:'wx_ok'));
SELECT count(*) AS wechat_lines, ledger.sum(amount) AS total FROM ledger.statement_line WHERE source = 'load-wechat';
-- the demo's sample bill
SELECT line_count, total_amount, fee_amount FROM ledger.load_wechat_bill('load-wechat-demo', '2026-11-02', pg_read_file(:'wx_demo'));
SELECT ref, amount, status FROM lines WHERE source = 'load-wechat-demo' ORDER BY line_no;

-- ---------------------------------------------------------------------------
-- Alipay (GBK): staged with COPY ... ENCODING 'GBK', or the bytes as an argument
-- ---------------------------------------------------------------------------
SELECT ledger.stage_statement();
COPY ledger_statement_stage (line) FROM :'ap_ok' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e', ENCODING 'GBK');
SELECT format, line_count, total_amount, fee_amount, replaced_lines, file_header, file_totals
  FROM ledger.load_alipay_bill('load-alipay', '2026-11-02');
SELECT * FROM lines WHERE source = 'load-alipay' ORDER BY line_no;
SELECT line_count, replaced_lines FROM ledger.load_alipay_bill('load-alipay', '2026-11-02', pg_read_binary_file(:'ap_ok'));
SELECT count(*) AS alipay_lines FROM ledger.statement_line WHERE source = 'load-alipay';
SELECT ledger.load_alipay_bill('load-alipay', '2026-11-02', pg_read_binary_file(:'ap_bad_count'));
SELECT ledger.load_alipay_bill('load-alipay', '2026-11-02', pg_read_binary_file(:'ap_bad_total'));
SELECT ledger.load_alipay_bill('load-alipay', '2026-11-02', pg_read_binary_file(:'ap_bad_period'));
SELECT ledger.load_alipay_bill('load-alipay', '2026-11-02', pg_read_binary_file(:'ap_truncated'));
SELECT ledger.load_alipay_bill('load-alipay', '2026-11-02', pg_read_binary_file(:'ap_bad_refund'));
-- the bill for another day
SELECT ledger.load_alipay_bill('load-alipay', '2026-11-03', pg_read_binary_file(:'ap_ok'));
-- a UTF-8 file is not GBK; a WeChat bill is not an Alipay bill
SELECT ledger.load_alipay_bill('load-alipay', '2026-11-02', convert_to(pg_read_file(:'wx_ok'), 'UTF8'));
SELECT ledger.load_alipay_bill('load-alipay', '2026-11-02', convert_to(pg_read_file(:'wx_ok'), 'GBK'));
SELECT count(*) AS alipay_lines, ledger.sum(amount) AS total FROM ledger.statement_line WHERE source = 'load-alipay';
-- the demo's sample bill
SELECT line_count, total_amount FROM ledger.load_alipay_bill('load-alipay-demo', '2026-11-02', pg_read_binary_file(:'ap_demo'));
SELECT ref, external_id, amount FROM lines WHERE source = 'load-alipay-demo' ORDER BY line_no;

-- ---------------------------------------------------------------------------
-- generic CSV
-- ---------------------------------------------------------------------------
SELECT format, line_count, total_amount, fee_amount FROM ledger.load_statement_csv('load-bank', '2026-11-02', pg_read_file(:'csv_ok'));
SELECT * FROM lines WHERE source = 'load-bank' ORDER BY line_no;
SELECT raw->>'channel_memo' AS memo FROM ledger.statement_line WHERE source = 'load-bank' ORDER BY line_no;
-- the generic CSV loader keeps each line's raw with the line: statement_raw reads it there
SELECT count(*) FILTER (WHERE l.raw = r.raw) AS same, count(*) AS lines
  FROM ledger.statement_line l
  JOIN ledger.statement_raw((SELECT max(import_id) FROM ledger.statement_line WHERE source = 'load-bank')) r
    ON r.line_no = l.line_no AND l.source = 'load-bank';
SELECT ledger.stage_statement();
COPY ledger_statement_stage (line) FROM :'csv_ok' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e');
SELECT line_count, replaced_lines FROM ledger.load_statement_csv('load-bank', '2026-11-02');
SELECT ledger.load_statement_csv('load-bank', '2026-11-02', pg_read_file(:'csv_bad_amount'));
SELECT ledger.load_statement_csv('load-bank', '2026-11-02', pg_read_file(:'csv_bad_quote'));
SELECT ledger.load_statement_csv('load-bank', '2026-11-02', pg_read_file(:'csv_dup'));
SELECT ledger.load_statement_csv('load-bank', '2026-11-02', E'ref,amount\nX,1.00\n');
SELECT ledger.load_statement_csv('load-bank', '2026-11-02', E'ref,external_id,amount\nX,Y,1.00\nX,Z,1.00,extra\n');
SELECT ledger.load_statement_csv('load-bank', '2026-11-02', E'ref,external_id,amount\n,Y,1.00\n');
SELECT ledger.load_statement_csv('load-usd', '2026-11-02', E'ref,external_id,amount,fee\nX,Y,1.00,0.001\n', 'USD');
SELECT line_count, total_amount FROM ledger.load_statement_csv('load-usd', '2026-11-02', E'ref,external_id,amount\nX,Y,1.00\n', 'USD');
SELECT amount FROM ledger.statement_line WHERE source = 'load-usd';
SELECT count(*) AS bank_lines FROM ledger.statement_line WHERE source = 'load-bank';

-- imports are recorded
SELECT source, format, line_count, replaced_lines FROM ledger.statement_import WHERE source LIKE 'load-%' ORDER BY id;

-- helpers
SELECT ledger._csv_fields('`a,`b,,"c,d",  e  ,"x""y"', '`');
SELECT ledger._csv_fields('"open', NULL) IS NULL AS malformed;
SELECT ledger._try_amount('12.30', 'CNY'), ledger._try_amount('12.30 USD', 'CNY'), ledger._try_amount('12.345', 'CNY') IS NULL AS too_precise,
       ledger._try_amount('abc', 'CNY') IS NULL AS junk;

DELETE FROM ledger.statement_line WHERE source LIKE 'load-%';
