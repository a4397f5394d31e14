-- sql/areas/12-statements.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- --- statement loaders -----------------------------------------------------
--
-- A loader reads one statement file, checks all of it (fields, amounts,
-- duplicated serials, the file's own totals) and only then replaces the lines
-- of that source and date with the file's lines: a bad file loads nothing and
-- the error names its first bad line; the same file loaded twice gives the
-- same lines once.  The file comes either as an argument (an application that
-- downloaded the bill) or from the session's stage table, filled by psql:
--
--   SELECT ledger.stage_statement();
--   \copy ledger_statement_stage (line) FROM 'bill.csv' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')
--   SELECT * FROM ledger.load_wechat_bill('wechat', '2026-11-02');

CREATE FUNCTION ledger.stage_statement() RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF pg_catalog.to_regclass('pg_temp.ledger_statement_stage') IS NULL THEN
		CREATE TEMP TABLE ledger_statement_stage (
			line_no bigint GENERATED ALWAYS AS IDENTITY,
			line    text
		);
	ELSE
		TRUNCATE pg_temp.ledger_statement_stage RESTART IDENTITY;
	END IF;
END
$$;
COMMENT ON FUNCTION ledger.stage_statement() IS
	'creates (or empties) this session''s temporary table ledger_statement_stage (line_no, line) for \copy of a statement file, one raw line per row';

-- the lines of the file, numbered from 1, into pg_temp._ledger_lines
CREATE FUNCTION ledger._statement_lines(bill text) RETURNS integer
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
	stage_fault text;
BEGIN
	IF pg_catalog.to_regclass('pg_temp._ledger_lines') IS NOT NULL THEN
		DROP TABLE pg_temp._ledger_lines;
	END IF;
	CREATE TEMP TABLE _ledger_lines (line_no integer PRIMARY KEY, line text NOT NULL) ON COMMIT DROP;
	IF bill IS NOT NULL THEN
		INSERT INTO pg_temp._ledger_lines
			SELECT u.n, pg_catalog.rtrim(u.l, E'\r')
			  FROM pg_catalog.unnest(pg_catalog.string_to_array(bill, E'\n')) WITH ORDINALITY AS u(l, n);
	ELSIF pg_catalog.to_regclass('pg_temp.ledger_statement_stage') IS NULL THEN
		PERFORM ledger._raise('55000', 'no statement file is staged in this session',
			detail => 'The loader was called without the file and the session has no ledger_statement_stage table.',
			hint => 'Run SELECT ledger.stage_statement(); then \copy ledger_statement_stage (line) FROM ''file'' WITH (FORMAT csv, DELIMITER E''\x1f'', QUOTE E''\x1e''), or pass the file''s text.');
	ELSE
		-- The stage table belongs to the caller, and the loaders that read it
		-- run as the extension's owner: a view, a trigger, a rule, a policy, a
		-- child table or a column type of the caller's making would run the
		-- caller's code with the owner's rights.  Only the plain table that
		-- ledger.stage_statement() creates is read.
		SELECT pg_catalog.concat_ws('; ',
		         CASE WHEN c.relkind <> 'r' THEN
		           pg_catalog.format('it is a %s, not a table',
		             CASE c.relkind WHEN 'v' THEN 'view' WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table'
		                            ELSE 'relation of kind ' || c.relkind::text END) END,
		         CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid)
		              THEN 'it has triggers' END,
		         CASE WHEN c.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite w WHERE w.ev_class = c.oid)
		              THEN 'it has rules' END,
		         CASE WHEN c.relrowsecurity OR EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid)
		              THEN 'it has row security' END,
		         CASE WHEN c.relispartition OR EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
		                                                WHERE i.inhrelid = c.oid OR i.inhparent = c.oid)
		              THEN 'it has a parent or child table' END,
		         CASE WHEN ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
		                          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
		                   IS DISTINCT FROM ARRAY['line_no', 'line']
		                OR ARRAY(SELECT a.atttypid FROM pg_catalog.pg_attribute a
		                          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
		                   IS DISTINCT FROM ARRAY['pg_catalog.int8'::pg_catalog.regtype, 'pg_catalog.text'::pg_catalog.regtype]::pg_catalog.oid[]
		              THEN 'its columns are not (line_no bigint, line text)' END)
		  INTO stage_fault
		  FROM pg_catalog.pg_class c
		 WHERE c.oid = pg_catalog.to_regclass('pg_temp.ledger_statement_stage');
		IF stage_fault <> '' THEN
			PERFORM ledger._raise('55000', 'cannot read the staged statement file from "ledger_statement_stage"',
				detail => pg_catalog.format('The session''s temporary relation ledger_statement_stage is not the plain table ledger.stage_statement() creates: %s.', stage_fault),
				hint => 'Drop it and run SELECT ledger.stage_statement(); then \copy the file into ledger_statement_stage, or pass the file''s text.');
		END IF;
		INSERT INTO pg_temp._ledger_lines
			SELECT pg_catalog.row_number() OVER (ORDER BY s.line_no), COALESCE(pg_catalog.rtrim(s.line, E'\r'), '')
			  FROM pg_temp.ledger_statement_stage s;
		IF NOT FOUND THEN
			PERFORM ledger._raise('55000', 'no statement file is staged in this session',
				detail => 'The stage table ledger_statement_stage is empty: the last load consumed it, or \copy loaded nothing.',
				hint => 'Run SELECT ledger.stage_statement(); then \copy the file into ledger_statement_stage, or pass the file''s text.');
		END IF;
		-- the staged file is consumed by a successful load
		DELETE FROM pg_temp.ledger_statement_stage;
	END IF;
	-- a UTF-8 byte order mark
	UPDATE pg_temp._ledger_lines SET line = pg_catalog.substr(line, 2)
	 WHERE line_no = 1 AND pg_catalog.left(line, 1) = U&'\FEFF';
	-- a trailing newline makes a last empty line that is not part of the
	-- file; the loaders skip blank lines, so a file of nothing else is empty
	SELECT count(*) INTO n FROM pg_temp._ledger_lines WHERE pg_catalog.btrim(line) <> '';
	IF n = 0 THEN
		PERFORM ledger._raise('22P04', 'statement file is empty',
			detail => 'No line of the file has any content.',
			hint => 'Nothing was loaded.');
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION ledger._statement_lines(text) IS
	'loader helper: the file''s lines (from the argument or the stage table) into pg_temp._ledger_lines, numbered from 1';

CREATE FUNCTION ledger._statement_error(kind text, source text, statement_date date, line_no integer, reason text)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM ledger._raise('22P04', pg_catalog.format('malformed %s at line %s', kind, line_no),
		detail => pg_catalog.format('Line %s %s (source "%s", statement date %s).', line_no, reason, source,
				pg_catalog.to_char(statement_date, 'YYYY-MM-DD')),
		hint => 'Nothing was loaded; fix or download the file again.');
END
$$;
COMMENT ON FUNCTION ledger._statement_error(text, text, date, integer, text) IS
	'loader helper: raises 22P04 naming the file kind, the line, the reason, the source and the date';

CREATE FUNCTION ledger._statement_check_args(source text, statement_date date) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF source IS NULL OR source = '' THEN
		PERFORM ledger._raise('22004', 'source must not be null or empty',
			detail => format('Statement lines are filed under the name of their channel, e.g. ''wechat''; the statement of %s was given %s.',
					COALESCE(pg_catalog.to_char(statement_date, 'YYYY-MM-DD'), 'no date'),
					CASE WHEN source IS NULL THEN 'no source' ELSE 'an empty source' END));
	END IF;
	IF statement_date IS NULL THEN
		PERFORM ledger._raise('22004', 'statement_date must not be null',
			detail => format('The statement of source "%s" needs the date it covers.', source));
	END IF;
	PERFORM ledger._check_book_date(statement_date, 'statement_date');
END
$$;
COMMENT ON FUNCTION ledger._statement_check_args(text, date) IS 'loader helper: source and statement date are required';

/*
 * Writes the checked lines of pg_temp._ledger_parsed (line_no, ref,
 * external_id, amount, status, fee, occurred_at, raw) as the statement of
 * (source, statement_date), replacing what that source and date had.
 * Serialised with ledger.reconcile of the same source.
 */
CREATE FUNCTION ledger._statement_store(source text, statement_date date, format text,
		file_header jsonb, file_totals jsonb) RETURNS ledger.statement_import
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	imp ledger.statement_import;
	replaced integer;
BEGIN
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('ledger.recon'), pg_catalog.hashtext(_statement_store.source));
	DELETE FROM ledger.statement_line l
	 WHERE l.source = _statement_store.source AND l.statement_date = _statement_store.statement_date;
	GET DIAGNOSTICS replaced = ROW_COUNT;
	INSERT INTO ledger.statement_import (source, statement_date, format, line_count, total_amount, fee_amount,
			file_header, file_totals, replaced_lines)
		SELECT _statement_store.source, _statement_store.statement_date, _statement_store.format, count(*)::integer,
		       ledger.sum(p.amount), ledger.sum(p.fee), file_header, file_totals, replaced
		  FROM pg_temp._ledger_parsed p
		RETURNING * INTO imp;
	INSERT INTO ledger.statement_line (source, statement_date, ref, external_id, amount, status, fee,
			occurred_at, raw, import_id, line_no)
		SELECT _statement_store.source, _statement_store.statement_date, p.ref, p.external_id, p.amount, p.status,
		       p.fee, p.occurred_at, p.raw, imp.id, p.line_no
		  FROM pg_temp._ledger_parsed p
		 ORDER BY p.line_no;
	RETURN imp;
END
$$;
COMMENT ON FUNCTION ledger._statement_store(text, date, text, jsonb, jsonb) IS
	'loader helper: replaces the statement lines of a source and date with the checked lines of the file and records the import';

/*
 * The WeChat Pay trade bill (微信支付交易账单, bill_type ALL): a header row,
 * detail rows whose every field starts with a backtick, then the summary
 * header (总交易单数,应结订单总金额,退款总金额,...,手续费总金额,...) and the
 * summary values.  Amounts are in yuan.  A payment (交易状态 SUCCESS) is a
 * line of +应结订单金额 keyed by 商户订单号 (or 微信订单号); a refund (REFUND)
 * is a line of -退款金额 keyed by 商户退款单号 (or 微信退款单号), its status the
 * 退款状态; a revoked payment (REVOKED) has status reversed.
 */
CREATE FUNCTION ledger.load_wechat_bill(source text, statement_date date, bill text DEFAULT NULL,
		ref_field text DEFAULT 'out_trade_no')
	RETURNS ledger.statement_import
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	kind constant text := 'WeChat Pay bill';
	src text := load_wechat_bill.source;
	d date := load_wechat_bill.statement_date;
	hdr text[];
	hdr_line integer;
	sum_line integer;
	val_line integer;
	sumhdr text[];
	sums text[];
	extra integer;
	c_time integer; c_txid integer; c_order integer; c_state integer; c_ccy integer; c_settle integer;
	c_refund_id integer; c_refund_no integer; c_refund integer; c_refund_state integer; c_fee integer;
	s_count integer; s_settle integer; s_refund integer; s_fee integer;
	col text;
	bad record;
	bill_ccy text;
	totals jsonb;
	got record;
BEGIN
	PERFORM ledger._statement_check_args(src, d);
	IF ref_field IS NULL THEN
		PERFORM ledger._raise('22004', 'ref_field must not be null',
			detail => pg_catalog.format('The WeChat Pay bill of source "%s" for %s is keyed by out_trade_no (商户订单号 / 商户退款单号, the default) or transaction_id (微信订单号 / 微信退款单号).',
					src, pg_catalog.to_char(d, 'YYYY-MM-DD')));
	END IF;
	IF ref_field NOT IN ('out_trade_no', 'transaction_id') THEN
		PERFORM ledger._raise('22023', pg_catalog.format('invalid ref_field "%s"', ref_field),
			detail => 'ref_field is out_trade_no (商户订单号 / 商户退款单号) or transaction_id (微信订单号 / 微信退款单号).');
	END IF;
	PERFORM ledger._statement_lines(bill);

	IF pg_catalog.to_regclass('pg_temp._ledger_fields') IS NOT NULL THEN
		DROP TABLE pg_temp._ledger_fields;
	END IF;
	CREATE TEMP TABLE _ledger_fields ON COMMIT DROP AS
		SELECT l.line_no, ledger._csv_fields(l.line, '`') AS f
		  FROM pg_temp._ledger_lines l WHERE pg_catalog.btrim(l.line) <> '';

	SELECT x.line_no, x.f INTO hdr_line, hdr FROM pg_temp._ledger_fields x ORDER BY x.line_no LIMIT 1;
	IF hdr IS NULL OR hdr[1] IS DISTINCT FROM '交易时间' THEN
		PERFORM ledger._statement_error(kind, src, d, hdr_line, 'is not the WeChat Pay header row (交易时间,公众账号ID,商户号,...)');
	END IF;
	c_time := pg_catalog.array_position(hdr, '交易时间');
	c_txid := pg_catalog.array_position(hdr, '微信订单号');
	c_order := pg_catalog.array_position(hdr, '商户订单号');
	c_state := pg_catalog.array_position(hdr, '交易状态');
	c_ccy := pg_catalog.array_position(hdr, '货币种类');
	c_settle := pg_catalog.array_position(hdr, '应结订单金额');
	c_refund_id := pg_catalog.array_position(hdr, '微信退款单号');
	c_refund_no := pg_catalog.array_position(hdr, '商户退款单号');
	c_refund := pg_catalog.array_position(hdr, '退款金额');
	c_refund_state := pg_catalog.array_position(hdr, '退款状态');
	c_fee := pg_catalog.array_position(hdr, '手续费');
	FOREACH col IN ARRAY ARRAY['微信订单号', '商户订单号', '交易状态', '货币种类', '应结订单金额',
			'微信退款单号', '商户退款单号', '退款金额', '退款状态', '手续费'] LOOP
		IF pg_catalog.array_position(hdr, col) IS NULL THEN
			PERFORM ledger._statement_error(kind, src, d, hdr_line, pg_catalog.format('has no column %s', col));
		END IF;
	END LOOP;

	SELECT min(x.line_no) INTO sum_line FROM pg_temp._ledger_fields x WHERE x.f[1] = '总交易单数';
	IF sum_line IS NULL THEN
		SELECT max(x.line_no) INTO sum_line FROM pg_temp._ledger_fields x;
		PERFORM ledger._statement_error(kind, src, d, sum_line,
			'is the last line, but the summary rows (总交易单数,应结订单总金额,...) are missing: the file is cut short');
	END IF;
	SELECT x.f INTO sumhdr FROM pg_temp._ledger_fields x WHERE x.line_no = sum_line;
	SELECT x.line_no, x.f INTO val_line, sums FROM pg_temp._ledger_fields x
	 WHERE x.line_no > sum_line ORDER BY x.line_no LIMIT 1;
	IF val_line IS NULL THEN
		PERFORM ledger._statement_error(kind, src, d, sum_line, 'is the summary header, but the summary values row is missing');
	END IF;
	SELECT min(x.line_no) INTO extra FROM pg_temp._ledger_fields x WHERE x.line_no > val_line;
	IF extra IS NOT NULL THEN
		PERFORM ledger._statement_error(kind, src, d, extra, 'follows the summary rows; nothing may follow them');
	END IF;
	s_count := pg_catalog.array_position(sumhdr, '总交易单数');
	s_settle := pg_catalog.array_position(sumhdr, '应结订单总金额');
	s_refund := pg_catalog.array_position(sumhdr, '退款总金额');
	s_fee := pg_catalog.array_position(sumhdr, '手续费总金额');
	IF s_settle IS NULL OR s_refund IS NULL OR s_fee IS NULL THEN
		PERFORM ledger._statement_error(kind, src, d, sum_line, 'lacks 应结订单总金额, 退款总金额 or 手续费总金额');
	END IF;
	IF sums IS NULL OR pg_catalog.cardinality(sums) <> pg_catalog.cardinality(sumhdr) THEN
		PERFORM ledger._statement_error(kind, src, d, val_line,
			pg_catalog.format('has %s fields, the summary header has %s',
				COALESCE(pg_catalog.cardinality(sums), 0), pg_catalog.cardinality(sumhdr)));
	END IF;

	-- detail rows
	IF pg_catalog.to_regclass('pg_temp._ledger_parsed') IS NOT NULL THEN
		DROP TABLE pg_temp._ledger_parsed;
	END IF;
	CREATE TEMP TABLE _ledger_parsed ON COMMIT DROP AS
	SELECT q.*,
	       CASE
	         WHEN q.f IS NULL THEN 'has an unterminated or misplaced quote'
	         WHEN pg_catalog.cardinality(q.f) <> pg_catalog.cardinality(hdr) THEN
	           pg_catalog.format('has %s fields, the header has %s', pg_catalog.cardinality(q.f), pg_catalog.cardinality(hdr))
	         WHEN q.state NOT IN ('SUCCESS', 'REFUND', 'REVOKED') THEN pg_catalog.format('has an unknown 交易状态 "%s"', q.state)
	         WHEN ledger._try_amount('0', q.f[c_ccy]) IS NULL THEN pg_catalog.format('has an unknown 货币种类 "%s"', q.f[c_ccy])
	         WHEN q.state <> 'REFUND' AND q.settle IS NULL THEN pg_catalog.format('has an invalid 应结订单金额 "%s"', q.f[c_settle])
	         WHEN q.state = 'REFUND' AND (q.refund IS NULL OR ledger.minor_units(q.refund) <= 0) THEN
	           pg_catalog.format('has an invalid 退款金额 "%s"', q.f[c_refund])
	         WHEN q.fee IS NULL THEN pg_catalog.format('has an invalid 手续费 "%s"', q.f[c_fee])
	         WHEN q.ref IS NULL OR q.ref = '' THEN
	           pg_catalog.format('has no %s', CASE WHEN q.state = 'REFUND' THEN
	             CASE ref_field WHEN 'out_trade_no' THEN '商户退款单号' ELSE '微信退款单号' END
	             ELSE CASE ref_field WHEN 'out_trade_no' THEN '商户订单号' ELSE '微信订单号' END END)
	         WHEN q.external_id IS NULL OR q.external_id = '' THEN
	           pg_catalog.format('has no %s', CASE WHEN q.state = 'REFUND' THEN '微信退款单号' ELSE '微信订单号' END)
	         WHEN q.state = 'REFUND' AND COALESCE(q.f[c_refund_state], '') = '' THEN 'has no 退款状态'
	         WHEN q.f[c_time] !~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$' THEN
	           pg_catalog.format('has an invalid 交易时间 "%s"', q.f[c_time])
	       END AS error
	  FROM (SELECT x.line_no, x.f, x.f[c_state] AS state,
	               CASE WHEN x.f[c_state] = 'REFUND'
	                    THEN CASE ref_field WHEN 'out_trade_no' THEN x.f[c_refund_no] ELSE x.f[c_refund_id] END
	                    ELSE CASE ref_field WHEN 'out_trade_no' THEN x.f[c_order] ELSE x.f[c_txid] END END AS ref,
	               CASE WHEN x.f[c_state] = 'REFUND' THEN x.f[c_refund_id] ELSE x.f[c_txid] END AS external_id,
	               ledger._try_amount(x.f[c_settle], x.f[c_ccy]) AS settle,
	               ledger._try_amount(x.f[c_refund], x.f[c_ccy]) AS refund,
	               ledger._try_amount(x.f[c_fee], x.f[c_ccy]) AS fee,
	               CASE x.f[c_state] WHEN 'SUCCESS' THEN 'success' WHEN 'REVOKED' THEN 'reversed'
	                    ELSE pg_catalog.lower(x.f[c_refund_state]) END AS status,
	               x.f[c_ccy] AS ccy
	          FROM pg_temp._ledger_fields x
	         WHERE x.line_no > hdr_line AND x.line_no < sum_line) q;

	SELECT p.line_no, p.error INTO bad FROM pg_temp._ledger_parsed p WHERE p.error IS NOT NULL ORDER BY p.line_no LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._statement_error(kind, src, d, bad.line_no, bad.error);
	END IF;
	SELECT p.ccy INTO bill_ccy FROM pg_temp._ledger_parsed p ORDER BY p.line_no LIMIT 1;
	bill_ccy := COALESCE(bill_ccy, 'CNY');
	SELECT p.line_no, p.ccy INTO bad FROM pg_temp._ledger_parsed p WHERE p.ccy <> bill_ccy ORDER BY p.line_no LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._statement_error(kind, src, d, bad.line_no,
			pg_catalog.format('has 货币种类 %s, earlier lines have %s; one bill holds one currency', bad.ccy, bill_ccy));
	END IF;
	SELECT p.line_no, p.external_id, p.first INTO bad
	  FROM (SELECT p.line_no, p.external_id, min(p.line_no) OVER (PARTITION BY p.external_id) AS first
	          FROM pg_temp._ledger_parsed p) p
	 WHERE p.line_no > p.first ORDER BY p.line_no LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._statement_error(kind, src, d, bad.line_no,
			pg_catalog.format('repeats the serial "%s" of line %s', bad.external_id, bad.first));
	END IF;

	ALTER TABLE pg_temp._ledger_parsed
		ADD COLUMN amount ledger.amount, ADD COLUMN occurred_at timestamptz, ADD COLUMN raw jsonb;
	UPDATE pg_temp._ledger_parsed p
	   SET amount = CASE WHEN p.state = 'REFUND' THEN OPERATOR(ledger.-) p.refund ELSE p.settle END,
	       occurred_at = (p.f[c_time])::timestamp AT TIME ZONE 'Asia/Shanghai',
	       raw = pg_catalog.jsonb_object(hdr, p.f);

	-- the summary must agree with the detail rows
	SELECT count(*) AS n,
	       COALESCE(ledger.sum(p.settle) FILTER (WHERE p.state <> 'REFUND'), ledger.zero(bill_ccy)) AS settle,
	       COALESCE(ledger.sum(p.refund) FILTER (WHERE p.state = 'REFUND'), ledger.zero(bill_ccy)) AS refund,
	       COALESCE(ledger.sum(p.fee), ledger.zero(bill_ccy)) AS fee
	  INTO got FROM pg_temp._ledger_parsed p;
	totals := pg_catalog.jsonb_object(sumhdr, sums);
	IF sums[s_count] !~ '^[0-9]+$' OR sums[s_count]::bigint <> got.n THEN
		PERFORM ledger._statement_error(kind, src, d, val_line,
			pg_catalog.format('states 总交易单数 %s, but the bill has %s detail rows', sums[s_count], got.n));
	END IF;
	IF COALESCE(ledger._try_amount(sums[s_settle], bill_ccy) OPERATOR(ledger.<>) got.settle, true) THEN
		PERFORM ledger._statement_error(kind, src, d, val_line,
			pg_catalog.format('states 应结订单总金额 %s, but the payment rows add up to %s', sums[s_settle], got.settle));
	END IF;
	IF COALESCE(ledger._try_amount(sums[s_refund], bill_ccy) OPERATOR(ledger.<>) got.refund, true) THEN
		PERFORM ledger._statement_error(kind, src, d, val_line,
			pg_catalog.format('states 退款总金额 %s, but the refund rows add up to %s', sums[s_refund], got.refund));
	END IF;
	IF COALESCE(ledger._try_amount(sums[s_fee], bill_ccy) OPERATOR(ledger.<>) got.fee, true) THEN
		PERFORM ledger._statement_error(kind, src, d, val_line,
			pg_catalog.format('states 手续费总金额 %s, but the rows add up to %s', sums[s_fee], got.fee));
	END IF;

	RETURN ledger._statement_store(src, d, 'wechat', NULL, totals);
END
$$;
COMMENT ON FUNCTION ledger.load_wechat_bill(text, date, text, text) IS
	'loads a WeChat Pay trade bill (交易账单, backtick-prefixed CSV) as the statement of (source, statement_date), replacing that source and date; checks the summary rows; ref_field out_trade_no (商户订单号, default) or transaction_id (微信订单号)';

/*
 * The Alipay trade bill (支付宝业务明细), GBK text: '#' header lines
 * (#支付宝业务明细查询, #账号：[...], #起始日期：[...] 终止日期：[...]), the
 * column header, detail rows (业务类型 交易 or 退款; refunds negative), and '#'
 * footer lines (#交易合计：N笔..., #退款合计：N笔..., #导出时间：[...]).  Fields may
 * be padded with tabs.  A trade is a line of 订单金额 keyed by 商户订单号; a
 * refund a line of its (negative) 订单金额 keyed by 退款批次号/请求号.  The
 * footer's counts, and its amounts where it states them (the first "X元" after
 * "N笔"), must agree with the rows.  As an argument the file is bytea (the
 * bytes as downloaded); staged with \copy, give ENCODING 'GBK'.
 */
CREATE FUNCTION ledger.load_alipay_bill(source text, statement_date date, bill bytea DEFAULT NULL)
	RETURNS ledger.statement_import
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	kind constant text := 'Alipay bill';
	src text := load_alipay_bill.source;
	d date := load_alipay_bill.statement_date;
	txt text;
	hdr text[];
	hdr_line integer;
	first_line text;
	foot_line integer;
	period_line integer;
	m text[];
	account text;
	c_txid integer; c_order integer; c_type integer; c_done integer; c_amount integer; c_fee integer; c_refund_no integer;
	col text;
	bad record;
	got record;
	t_line integer; t_count bigint; t_amount text;
	r_line integer; r_count bigint; r_amount text;
	pos integer;
	nl integer;
	lineno integer;
	rest bytea;
BEGIN
	PERFORM ledger._statement_check_args(src, d);
	IF bill IS NOT NULL THEN
		BEGIN
			txt := pg_catalog.convert_from(bill, 'GBK');
		EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character THEN
			-- find the line that is not GBK
			rest := bill;
			lineno := 0;
			LOOP
				lineno := lineno + 1;
				nl := pg_catalog.position(rest, '\x0a'::bytea);
				BEGIN
					PERFORM pg_catalog.convert_from(CASE WHEN nl = 0 THEN rest ELSE pg_catalog.substr(rest, 1, nl - 1) END, 'GBK');
				EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character THEN
					PERFORM ledger._statement_error(kind, src, d, lineno, 'is not valid GBK text');
				END;
				EXIT WHEN nl = 0;
				rest := pg_catalog.substr(rest, nl + 1);
			END LOOP;
			RAISE;
		END;
	END IF;
	PERFORM ledger._statement_lines(txt);

	SELECT l.line INTO first_line FROM pg_temp._ledger_lines l WHERE pg_catalog.btrim(l.line) <> '' ORDER BY l.line_no LIMIT 1;
	IF first_line IS DISTINCT FROM '#支付宝业务明细查询' THEN
		SELECT min(l.line_no) INTO hdr_line FROM pg_temp._ledger_lines l WHERE pg_catalog.btrim(l.line) <> '';
		PERFORM ledger._statement_error(kind, src, d, hdr_line, 'is not #支付宝业务明细查询: not an Alipay trade bill');
	END IF;
	SELECT min(l.line_no) INTO hdr_line FROM pg_temp._ledger_lines l
	 WHERE pg_catalog.btrim(l.line) <> '' AND pg_catalog.left(l.line, 1) <> '#';
	IF hdr_line IS NULL THEN
		SELECT max(l.line_no) INTO hdr_line FROM pg_temp._ledger_lines l;
		PERFORM ledger._statement_error(kind, src, d, hdr_line, 'ends the file, which has no column header and no rows');
	END IF;
	SELECT ledger._csv_fields(pg_catalog.translate(l.line, '()', '（）')) INTO hdr FROM pg_temp._ledger_lines l WHERE l.line_no = hdr_line;
	FOREACH col IN ARRAY ARRAY['支付宝交易号', '商户订单号', '业务类型', '完成时间', '订单金额（元）', '服务费（元）', '退款批次号/请求号'] LOOP
		IF hdr IS NULL OR pg_catalog.array_position(hdr, col) IS NULL THEN
			PERFORM ledger._statement_error(kind, src, d, hdr_line, pg_catalog.format('is the column header but has no column %s', col));
		END IF;
	END LOOP;
	c_txid := pg_catalog.array_position(hdr, '支付宝交易号');
	c_order := pg_catalog.array_position(hdr, '商户订单号');
	c_type := pg_catalog.array_position(hdr, '业务类型');
	c_done := pg_catalog.array_position(hdr, '完成时间');
	c_amount := pg_catalog.array_position(hdr, '订单金额（元）');
	c_fee := pg_catalog.array_position(hdr, '服务费（元）');
	c_refund_no := pg_catalog.array_position(hdr, '退款批次号/请求号');

	-- header lines: the account and the period, which must be the statement date
	SELECT pg_catalog.substring(l.line, '#账号：\[([^]]*)\]') INTO account
	  FROM pg_temp._ledger_lines l WHERE l.line_no < hdr_line AND l.line LIKE '#账号：%' LIMIT 1;
	SELECT l.line_no, pg_catalog.regexp_match(l.line,
			'起始日期：\[([0-9]{4})年([0-9]{2})月([0-9]{2})日[^]]*\][[:space:]]*终止日期：\[([0-9]{4})年([0-9]{2})月([0-9]{2})日')
	  INTO period_line, m
	  FROM pg_temp._ledger_lines l WHERE l.line_no < hdr_line AND l.line LIKE '#起始日期%' LIMIT 1;
	IF period_line IS NULL THEN
		PERFORM ledger._statement_error(kind, src, d, hdr_line, 'is the column header, but no #起始日期 line precedes it');
	END IF;
	IF m IS NULL OR pg_catalog.make_date(m[1]::integer, m[2]::integer, m[3]::integer) <> d
	   OR pg_catalog.make_date(m[4]::integer, m[5]::integer, m[6]::integer) <> d + 1 THEN
		PERFORM ledger._statement_error(kind, src, d, period_line,
			pg_catalog.format('does not cover exactly the statement date %s', pg_catalog.to_char(d, 'YYYY-MM-DD')));
	END IF;

	-- detail rows run to the next '#' line; the footer follows
	SELECT min(l.line_no) INTO foot_line FROM pg_temp._ledger_lines l WHERE l.line_no > hdr_line AND pg_catalog.left(l.line, 1) = '#';
	IF foot_line IS NULL THEN
		SELECT max(l.line_no) INTO foot_line FROM pg_temp._ledger_lines l;
		PERFORM ledger._statement_error(kind, src, d, foot_line,
			'is the last line, but the footer (#交易合计, #退款合计) is missing: the file is cut short');
	END IF;
	SELECT min(l.line_no) INTO pos FROM pg_temp._ledger_lines l
	 WHERE l.line_no > foot_line AND pg_catalog.btrim(l.line) <> '' AND pg_catalog.left(l.line, 1) <> '#';
	IF pos IS NOT NULL THEN
		PERFORM ledger._statement_error(kind, src, d, pos, 'follows the footer; only # lines may follow it');
	END IF;
	SELECT l.line_no, (pg_catalog.regexp_match(l.line, '交易合计：([0-9]+)笔'))[1]::bigint,
	       (pg_catalog.regexp_match(l.line, '交易合计：[0-9]+笔，[^：，]*：(-?[0-9]+(\.[0-9]+)?)元'))[1]
	  INTO t_line, t_count, t_amount
	  FROM pg_temp._ledger_lines l WHERE l.line_no >= foot_line AND l.line ~ '交易合计：[0-9]+笔' LIMIT 1;
	SELECT l.line_no, (pg_catalog.regexp_match(l.line, '退款合计：([0-9]+)笔'))[1]::bigint,
	       (pg_catalog.regexp_match(l.line, '退款合计：[0-9]+笔，[^：，]*：(-?[0-9]+(\.[0-9]+)?)元'))[1]
	  INTO r_line, r_count, r_amount
	  FROM pg_temp._ledger_lines l WHERE l.line_no >= foot_line AND l.line ~ '退款合计：[0-9]+笔' LIMIT 1;
	IF t_line IS NULL OR r_line IS NULL THEN
		SELECT max(l.line_no) INTO pos FROM pg_temp._ledger_lines l WHERE pg_catalog.btrim(l.line) <> '';
		PERFORM ledger._statement_error(kind, src, d, pos,
			'ends the footer, which lacks its #交易合计 or #退款合计 line: the file is cut short');
	END IF;

	IF pg_catalog.to_regclass('pg_temp._ledger_parsed') IS NOT NULL THEN
		DROP TABLE pg_temp._ledger_parsed;
	END IF;
	CREATE TEMP TABLE _ledger_parsed ON COMMIT DROP AS
	SELECT q.*,
	       CASE
	         WHEN q.f IS NULL THEN 'has an unterminated or misplaced quote'
	         WHEN pg_catalog.cardinality(q.f) <> pg_catalog.cardinality(hdr) THEN
	           pg_catalog.format('has %s fields, the header has %s', pg_catalog.cardinality(q.f), pg_catalog.cardinality(hdr))
	         WHEN q.btype NOT IN ('交易', '退款') THEN pg_catalog.format('has an unknown 业务类型 "%s"', q.btype)
	         WHEN q.amount IS NULL THEN pg_catalog.format('has an invalid 订单金额（元） "%s"', q.f[c_amount])
	         WHEN q.btype = '交易' AND ledger.minor_units(q.amount) <= 0 THEN
	           pg_catalog.format('is a 交易 with 订单金额 %s; trades are positive', q.f[c_amount])
	         WHEN q.btype = '退款' AND ledger.minor_units(q.amount) >= 0 THEN
	           pg_catalog.format('is a 退款 with 订单金额 %s; refunds are negative', q.f[c_amount])
	         WHEN q.fee IS NULL AND COALESCE(q.f[c_fee], '') <> '' THEN pg_catalog.format('has an invalid 服务费（元） "%s"', q.f[c_fee])
	         WHEN q.f[c_txid] = '' THEN 'has no 支付宝交易号'
	         WHEN q.ref IS NULL OR q.ref = '' THEN
	           pg_catalog.format('has no %s', CASE q.btype WHEN '退款' THEN '退款批次号/请求号' ELSE '商户订单号' END)
	         WHEN q.f[c_done] !~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$' THEN
	           pg_catalog.format('has an invalid 完成时间 "%s"', q.f[c_done])
	       END AS error
	  FROM (SELECT l.line_no, f.f, f.f[c_type] AS btype,
	               CASE f.f[c_type] WHEN '退款' THEN f.f[c_refund_no] ELSE f.f[c_order] END AS ref,
	               CASE f.f[c_type] WHEN '退款' THEN f.f[c_txid] || '/' || f.f[c_refund_no] ELSE f.f[c_txid] END AS external_id,
	               ledger._try_amount(f.f[c_amount], 'CNY') AS amount,
	               ledger._try_amount(NULLIF(f.f[c_fee], ''), 'CNY') AS fee,
	               'success'::text AS status
	          FROM pg_temp._ledger_lines l
	          CROSS JOIN LATERAL (SELECT ledger._csv_fields(l.line) AS f) f
	         WHERE l.line_no > hdr_line AND l.line_no < foot_line AND pg_catalog.btrim(l.line) <> '') q;

	SELECT p.line_no, p.error INTO bad FROM pg_temp._ledger_parsed p WHERE p.error IS NOT NULL ORDER BY p.line_no LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._statement_error(kind, src, d, bad.line_no, bad.error);
	END IF;
	SELECT p.line_no, p.external_id, p.first INTO bad
	  FROM (SELECT p.line_no, p.external_id, min(p.line_no) OVER (PARTITION BY p.external_id) AS first
	          FROM pg_temp._ledger_parsed p) p
	 WHERE p.line_no > p.first ORDER BY p.line_no LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._statement_error(kind, src, d, bad.line_no,
			pg_catalog.format('repeats the serial "%s" of line %s', bad.external_id, bad.first));
	END IF;

	ALTER TABLE pg_temp._ledger_parsed ADD COLUMN occurred_at timestamptz, ADD COLUMN raw jsonb;
	UPDATE pg_temp._ledger_parsed p
	   SET occurred_at = (p.f[c_done])::timestamp AT TIME ZONE 'Asia/Shanghai',
	       raw = pg_catalog.jsonb_object(hdr, p.f);

	SELECT count(*) FILTER (WHERE p.btype = '交易') AS t_n,
	       COALESCE(ledger.sum(p.amount) FILTER (WHERE p.btype = '交易'), ledger.zero('CNY')) AS t_sum,
	       count(*) FILTER (WHERE p.btype = '退款') AS r_n,
	       COALESCE(ledger.sum(p.amount) FILTER (WHERE p.btype = '退款'), ledger.zero('CNY')) AS r_sum
	  INTO got FROM pg_temp._ledger_parsed p;
	IF t_count <> got.t_n THEN
		PERFORM ledger._statement_error(kind, src, d, t_line,
			pg_catalog.format('states 交易合计 %s笔, but the bill has %s 交易 rows', t_count, got.t_n));
	END IF;
	IF t_amount IS NOT NULL AND COALESCE(ledger._try_amount(t_amount, 'CNY') OPERATOR(ledger.<>) got.t_sum, true) THEN
		PERFORM ledger._statement_error(kind, src, d, t_line,
			pg_catalog.format('states a 交易 total of %s元, but the 交易 rows add up to %s', t_amount, got.t_sum));
	END IF;
	IF r_count <> got.r_n THEN
		PERFORM ledger._statement_error(kind, src, d, r_line,
			pg_catalog.format('states 退款合计 %s笔, but the bill has %s 退款 rows', r_count, got.r_n));
	END IF;
	IF r_amount IS NOT NULL AND COALESCE(ledger._try_amount(r_amount, 'CNY') OPERATOR(ledger.<>) got.r_sum, true) THEN
		PERFORM ledger._statement_error(kind, src, d, r_line,
			pg_catalog.format('states a 退款 total of %s元, but the 退款 rows add up to %s', r_amount, got.r_sum));
	END IF;

	RETURN ledger._statement_store(src, d, 'alipay',
		pg_catalog.jsonb_build_object('account', account, 'from', pg_catalog.make_date(m[1]::integer, m[2]::integer, m[3]::integer),
			'to', pg_catalog.make_date(m[4]::integer, m[5]::integer, m[6]::integer)),
		pg_catalog.jsonb_build_object('trade_count', t_count, 'trade_amount', t_amount,
			'refund_count', r_count, 'refund_amount', r_amount));
END
$$;
COMMENT ON FUNCTION ledger.load_alipay_bill(text, date, bytea) IS
	'loads an Alipay trade bill (业务明细, GBK CSV with # header and footer lines) as the statement of (source, statement_date), replacing that source and date; checks the period and the footer totals';

/*
 * A generic CSV statement: a header row naming the columns, in any order:
 * ref, external_id, amount (required), status, fee, occurred_at, currency
 * (optional); other columns are kept in raw.  amount and fee are '12.30 CNY'
 * or plain numbers in the currency column or the currency argument.
 */
CREATE FUNCTION ledger.load_statement_csv(source text, statement_date date, csv text DEFAULT NULL,
		currency text DEFAULT 'CNY')
	RETURNS ledger.statement_import
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	kind constant text := 'statement CSV';
	src text := load_statement_csv.source;
	d date := load_statement_csv.statement_date;
	dccy text := load_statement_csv.currency;
	hdr text[];
	hdr_line integer;
	c_ref integer; c_ext integer; c_amount integer; c_status integer; c_fee integer; c_at integer; c_ccy integer;
	col text;
	bad record;
BEGIN
	PERFORM ledger._statement_check_args(src, d);
	IF dccy IS NULL THEN
		PERFORM ledger._raise('22004', 'currency must not be null',
			detail => format('The statement CSV of source "%s" for %s reads plain numbers as amounts in this currency.',
					src, pg_catalog.to_char(d, 'YYYY-MM-DD')));
	END IF;
	-- an unknown currency is 22P02 here, not an "invalid amount" on every line
	PERFORM ledger.zero(dccy);
	PERFORM ledger._statement_lines(csv);
	SELECT l.line_no, ledger._csv_fields(pg_catalog.lower(l.line)) INTO hdr_line, hdr
	  FROM pg_temp._ledger_lines l WHERE pg_catalog.btrim(l.line) <> '' ORDER BY l.line_no LIMIT 1;
	FOREACH col IN ARRAY ARRAY['ref', 'external_id', 'amount'] LOOP
		IF hdr IS NULL OR pg_catalog.array_position(hdr, col) IS NULL THEN
			PERFORM ledger._statement_error(kind, src, d, hdr_line,
				pg_catalog.format('is the header row but has no column %s (required: ref, external_id, amount)', col));
		END IF;
	END LOOP;
	c_ref := pg_catalog.array_position(hdr, 'ref');
	c_ext := pg_catalog.array_position(hdr, 'external_id');
	c_amount := pg_catalog.array_position(hdr, 'amount');
	c_status := pg_catalog.array_position(hdr, 'status');
	c_fee := pg_catalog.array_position(hdr, 'fee');
	c_at := pg_catalog.array_position(hdr, 'occurred_at');
	c_ccy := pg_catalog.array_position(hdr, 'currency');

	IF pg_catalog.to_regclass('pg_temp._ledger_parsed') IS NOT NULL THEN
		DROP TABLE pg_temp._ledger_parsed;
	END IF;
	CREATE TEMP TABLE _ledger_parsed ON COMMIT DROP AS
	SELECT q.*,
	       CASE
	         WHEN q.f IS NULL THEN 'has an unterminated or misplaced quote'
	         WHEN pg_catalog.cardinality(q.f) <> pg_catalog.cardinality(hdr) THEN
	           pg_catalog.format('has %s fields, the header has %s', pg_catalog.cardinality(q.f), pg_catalog.cardinality(hdr))
	         WHEN q.ref = '' THEN 'has no ref'
	         WHEN q.external_id = '' THEN 'has no external_id'
	         WHEN q.amount IS NULL THEN pg_catalog.format('has an invalid amount "%s"', q.f[c_amount])
	         WHEN q.fee IS NULL AND COALESCE(q.f[c_fee], '') <> '' THEN pg_catalog.format('has an invalid fee "%s"', q.f[c_fee])
	         WHEN q.fee IS NOT NULL AND ledger.currency(q.fee) <> ledger.currency(q.amount) THEN
	           pg_catalog.format('has a fee in %s and an amount in %s', ledger.currency(q.fee), ledger.currency(q.amount))
	         WHEN COALESCE(q.f[c_at], '') <> '' AND q.f[c_at] !~
	           '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?([+-][0-9]{2}(:?[0-9]{2})?|Z)?)?$' THEN
	           pg_catalog.format('has an invalid occurred_at "%s"', q.f[c_at])
	       END AS error
	  FROM (SELECT l.line_no, f.f, f.f[c_ref] AS ref, f.f[c_ext] AS external_id,
	               ledger._try_amount(f.f[c_amount], COALESCE(NULLIF(f.f[c_ccy], ''), dccy)) AS amount,
	               ledger._try_amount(NULLIF(f.f[c_fee], ''), COALESCE(NULLIF(f.f[c_ccy], ''), dccy)) AS fee,
	               COALESCE(NULLIF(pg_catalog.lower(f.f[c_status]), ''), 'success') AS status
	          FROM pg_temp._ledger_lines l
	          CROSS JOIN LATERAL (SELECT ledger._csv_fields(l.line) AS f) f
	         WHERE l.line_no > hdr_line AND pg_catalog.btrim(l.line) <> '') q;

	SELECT p.line_no, p.error INTO bad FROM pg_temp._ledger_parsed p WHERE p.error IS NOT NULL ORDER BY p.line_no LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._statement_error(kind, src, d, bad.line_no, bad.error);
	END IF;
	SELECT p.line_no, p.external_id, p.first INTO bad
	  FROM (SELECT p.line_no, p.external_id, min(p.line_no) OVER (PARTITION BY p.external_id) AS first
	          FROM pg_temp._ledger_parsed p) p
	 WHERE p.line_no > p.first ORDER BY p.line_no LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._statement_error(kind, src, d, bad.line_no,
			pg_catalog.format('repeats the external_id "%s" of line %s', bad.external_id, bad.first));
	END IF;
	ALTER TABLE pg_temp._ledger_parsed ADD COLUMN occurred_at timestamptz, ADD COLUMN raw jsonb;
	UPDATE pg_temp._ledger_parsed p
	   SET occurred_at = (NULLIF(p.f[c_at], ''))::timestamptz,
	       raw = pg_catalog.jsonb_object(hdr, p.f);
	RETURN ledger._statement_store(src, d, 'csv', NULL, NULL);
END
$$;
COMMENT ON FUNCTION ledger.load_statement_csv(text, date, text, text) IS
	'loads a generic CSV statement (header: ref, external_id, amount [, status, fee, occurred_at, currency, ...]) as the statement of (source, statement_date), replacing that source and date';

