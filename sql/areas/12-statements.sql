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
	PERFORM ledger._check_writable('ledger.stage_statement()');
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
	PERFORM ledger._check_writable('a statement loader');
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
	PERFORM ledger._statement_lock(_statement_store.source);
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

-- --- the loaders of the channels' and banks' own files (parsing in C) ---------

CREATE FUNCTION ledger._parse_statement(format text, bill text, source text, statement_date date,
		ref_field text DEFAULT NULL)
	RETURNS TABLE (kind text, stmt integer, line_no integer, ref text, external_id text, amount ledger.amount,
		status text, fee ledger.amount, occurred_at timestamptz, raw jsonb, info jsonb)
	AS 'MODULE_PATHNAME', 'ledger_parse_statement' LANGUAGE C STABLE;
COMMENT ON FUNCTION ledger._parse_statement(text, text, text, date, text) IS
	'loader helper: parses a whole statement file (wechat, wechat_fundflow, alipay, alipay_account, mt940, camt053) in one pass: one row per line, per bank statement and for the file; 22P04 naming the first bad line';
CREATE FUNCTION ledger._parse_statement_gbk(format text, bill bytea, source text, statement_date date)
	RETURNS TABLE (kind text, stmt integer, line_no integer, ref text, external_id text, amount ledger.amount,
		status text, fee ledger.amount, occurred_at timestamptz, raw jsonb, info jsonb)
	AS 'MODULE_PATHNAME', 'ledger_parse_statement_gbk' LANGUAGE C STABLE;
COMMENT ON FUNCTION ledger._parse_statement_gbk(text, bytea, text, date) IS
	'loader helper: ledger._parse_statement() of a GBK file as downloaded (Alipay), converted in one pass; a byte sequence that is not GBK is a bad line';

CREATE FUNCTION ledger._statement_parsed() RETURNS jsonb
	AS 'MODULE_PATHNAME', 'ledger_statement_parsed' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ledger._statement_parsed() IS
	'loader helper: what the last ledger._parse_statement() of the session found about its file (header, totals, and _lines, _total, _fee of its lines)';

CREATE FUNCTION ledger._statement_heads(format text, bill text, source text)
	RETURNS TABLE (kind text, stmt integer, line_no integer, ref text, external_id text, amount ledger.amount,
		status text, fee ledger.amount, occurred_at timestamptz, raw jsonb, info jsonb)
	AS 'MODULE_PATHNAME', 'ledger_statement_heads' LANGUAGE C STABLE;
COMMENT ON FUNCTION ledger._statement_heads(text, text, text) IS
	'loader helper: the statement and file rows of ledger._parse_statement() without the lines (a bank file''s imports are made from them before its lines are written); the whole file is checked';

CREATE FUNCTION ledger._statement_check(format text, bill text, gbk bytea, source text, statement_date date,
		ref_field text) RETURNS void
	AS 'MODULE_PATHNAME', 'ledger_statement_check' LANGUAGE C STABLE;
COMMENT ON FUNCTION ledger._statement_check(text, text, bytea, text, date, text) IS
	'loader helper: a bill''s first pass, parsing and checking the whole file (fields, serials, summary rows) and keeping nothing: a bad file is refused before anything is written (what the file states: _statement_parsed)';

CREATE FUNCTION ledger._statement_lock(source text) RETURNS void
	AS 'MODULE_PATHNAME', 'ledger_statement_lock' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION ledger._statement_lock(text) IS
	'loader and reconcile helper: takes the source''s turn (a transaction-level advisory lock: loads and runs of one source never interleave); under REPEATABLE READ or SERIALIZABLE a load of the source committed after the transaction''s snapshot is a serialization failure (40001), since the snapshot would not show its lines';

CREATE FUNCTION ledger._statement_keep(source text, format text, ref_field text, bill text, gbk bytea) RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_statement_keep' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ledger._statement_keep(text, text, text, text, bytea) IS
	'loader helper: keeps the file a loader was given (gbk as downloaded, else bill) in ledger.statement_file, compressed before the row is formed; returns its id';

CREATE FUNCTION ledger._statement_write(format text, bill text, gbk bytea, source text, ref_field text,
		sources text[], dates date[], import_ids bigint[], prefixes text[], groups integer[]) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'ledger_statement_write' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ledger._statement_write(text, text, bytea, text, text, text[], date[], bigint[], text[], integer[]) IS
	'loader helper: parses a statement file and writes its lines into ledger.statement_line as it goes (batched, as COPY does), the n-th statement''s with sources[n], dates[n], import_ids[n], serials prefixed with prefixes[n], unique within groups[n]; returns what the file states (as _statement_parsed)';

-- the file from the argument, or the staged lines joined again
CREATE FUNCTION ledger._statement_text(bill text) RETURNS text
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	txt text;
BEGIN
	IF bill IS NOT NULL THEN
		RETURN bill;
	END IF;
	PERFORM ledger._statement_lines(NULL);
	SELECT pg_catalog.string_agg(l.line, E'\n' ORDER BY l.line_no) INTO txt FROM pg_temp._ledger_lines l;
	RETURN txt;
END
$$;
COMMENT ON FUNCTION ledger._statement_text(text) IS
	'loader helper: the file given as the argument, or the lines staged in ledger_statement_stage joined again (the stage is consumed)';

/*
 * Loads the parsed lines of one channel bill (WeChat, Alipay) as the
 * statement of (source, statement_date), replacing what that source and date
 * had.  Serialised with ledger.reconcile of the same source.  The parser
 * checks everything; a bad file raises before anything is written.
 */
CREATE FUNCTION ledger._statement_load(source text, statement_date date, format text, bill text, gbk bytea,
		ref_field text)
	RETURNS ledger.statement_import
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
	src text := _statement_load.source;
	d date := _statement_load.statement_date;
	fmt text := _statement_load.format;
	imp ledger.statement_import;
	replaced integer;
	finfo jsonb;
	n integer;
	tot ledger.amount;
	fees ledger.amount;
	fid bigint;
	hdr_keys constant text[] := ARRAY['bill_type', 'currency', 'account', 'from', 'to', 'period_line'];
BEGIN
	-- the whole file is checked before anything is touched: a bad file costs
	-- a parse and leaves the loaded statement and the tables as they were
	PERFORM ledger._statement_check(fmt, bill, gbk, src, d, ref_field);
	finfo := ledger._statement_parsed();
	-- an Alipay file states the period it covers: it must be the statement
	-- date (a file without its period line cannot be checked, so is refused)
	IF fmt IN ('alipay', 'alipay_account') AND NOT finfo ? 'from' THEN
		PERFORM ledger._statement_error(CASE fmt WHEN 'alipay' THEN 'Alipay bill' ELSE 'Alipay account statement' END,
			src, d, 1,
			'begins a file without the period line Alipay writes (#起始日期：[...]   终止日期：[...]): its date cannot be checked against the statement date');
	END IF;
	IF finfo ? 'from' AND ((finfo->>'from')::date <> d OR (finfo->>'to')::date <> d + 1) THEN
		PERFORM ledger._statement_error(CASE fmt WHEN 'alipay' THEN 'Alipay bill' ELSE 'Alipay account statement' END,
			src, d, (finfo->>'period_line')::integer,
			pg_catalog.format('covers %s to %s, not exactly the statement date %s', finfo->>'from', finfo->>'to',
				pg_catalog.to_char(d, 'YYYY-MM-DD')));
	END IF;
	PERFORM ledger._statement_lock(src);
	DELETE FROM ledger.statement_line l WHERE l.source = src AND l.statement_date = d;
	GET DIAGNOSTICS replaced = ROW_COUNT;
	fid := ledger._statement_keep(src, fmt, ref_field, bill, gbk);
	INSERT INTO ledger.statement_import (source, statement_date, format, line_count, replaced_lines, file_id)
		VALUES (src, d, fmt, 0, replaced, fid)
		RETURNING * INTO imp;
	-- the lines go straight from the parser into the table; what the parser
	-- found about the file (its header, totals, the lines' count and sums)
	-- comes back when it is done
	finfo := ledger._statement_write(fmt, bill, gbk, src, ref_field, ARRAY[src], ARRAY[d], ARRAY[imp.id],
		ARRAY[NULL::text], ARRAY[1]);
	n := (finfo->>'_lines')::integer;
	tot := (finfo->>'_total')::ledger.amount;
	fees := (finfo->>'_fee')::ledger.amount;
	UPDATE ledger.statement_import i
	   SET line_count = n, total_amount = tot, fee_amount = fees,
	       file_header = NULLIF((SELECT pg_catalog.jsonb_object_agg(e.key, e.value) FROM pg_catalog.jsonb_each(finfo) e
	                              WHERE e.key = ANY (hdr_keys) AND e.key <> 'period_line'), '{}'),
	       file_totals = NULLIF((SELECT pg_catalog.jsonb_object_agg(e.key, e.value) FROM pg_catalog.jsonb_each(finfo) e
	                              WHERE e.key <> ALL (hdr_keys) AND pg_catalog.left(e.key, 1) <> '_'), '{}')
	 WHERE i.id = imp.id
	RETURNING * INTO imp;
	RETURN imp;
END
$$;
COMMENT ON FUNCTION ledger._statement_load(text, date, text, text, bytea, text) IS
	'loader helper: parses a channel bill and replaces the statement lines of its source and date with its lines, recording the import';

/*
 * The WeChat Pay trade bill (微信支付交易账单) of bill type ALL, SUCCESS or
 * REFUND, v2 and v3 layouts: a header row, detail rows whose every field
 * starts with a backtick (never quoted: a '"' or JSON in 商户数据包 is data),
 * the summary header (总交易单数,应结订单总金额,退款总金额,...) and the summary
 * values, every figure of which is checked against its column.  A payment
 * (交易状态 SUCCESS) is a line of +应结订单金额 keyed by 商户订单号 (or
 * 微信订单号); a refund (REFUND) a line of −退款金额 keyed by 商户退款单号 (or
 * 微信退款单号), at its 退款成功时间 where the bill has that column, its status
 * the 退款状态; a revoked payment (REVOKED) has status reversed.
 */
CREATE FUNCTION ledger.load_wechat_bill(source text, statement_date date, bill text DEFAULT NULL,
		ref_field text DEFAULT 'out_trade_no')
	RETURNS ledger.statement_import
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
	PERFORM ledger._statement_check_args(source, statement_date);
	IF ref_field IS NULL THEN
		PERFORM ledger._raise('22004', 'ref_field must not be null',
			detail => pg_catalog.format('The WeChat Pay bill of source "%s" for %s is keyed by out_trade_no (商户订单号 / 商户退款单号, the default) or transaction_id (微信订单号 / 微信退款单号).',
					source, pg_catalog.to_char(statement_date, 'YYYY-MM-DD')));
	END IF;
	IF ref_field NOT IN ('out_trade_no', 'transaction_id') THEN
		PERFORM ledger._raise('22023', pg_catalog.format('invalid ref_field "%s"', ref_field),
			detail => 'ref_field is out_trade_no (商户订单号 / 商户退款单号) or transaction_id (微信订单号 / 微信退款单号).');
	END IF;
	RETURN ledger._statement_load(source, statement_date, 'wechat', COALESCE(bill, ledger._statement_text(NULL)), NULL, ref_field);
END
$$;
COMMENT ON FUNCTION ledger.load_wechat_bill(text, date, text, text) IS
	'loads a WeChat Pay trade bill (交易账单, bill type ALL, SUCCESS or REFUND) as the statement of (source, statement_date), replacing that source and date; checks the summary rows; ref_field out_trade_no (商户订单号, default) or transaction_id (微信订单号)';

/*
 * The WeChat Pay fund-flow bill (资金账单) of one fund account: 记账时间,
 * 微信支付业务单号, 资金流水单号, ..., 收支类型, 收支金额(元), ..., 业务凭证号,
 * then 资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额 — all checked.
 * Income is positive, expense negative; ref the 业务凭证号 (the
 * 微信支付业务单号 when empty); external_id the 资金流水单号.
 */
CREATE FUNCTION ledger.load_wechat_fundflow(source text, statement_date date, bill text DEFAULT NULL)
	RETURNS ledger.statement_import
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
	PERFORM ledger._statement_check_args(source, statement_date);
	RETURN ledger._statement_load(source, statement_date, 'wechat_fundflow', COALESCE(bill, ledger._statement_text(NULL)), NULL, NULL);
END
$$;
COMMENT ON FUNCTION ledger.load_wechat_fundflow(text, date, text) IS
	'loads a WeChat Pay fund-flow bill (资金账单) as the statement of (source, statement_date), replacing that source and date: income positive, expense negative, ref 业务凭证号 (else 微信支付业务单号), external_id 资金流水单号; checks the summary counts and sums';

/*
 * The Alipay trade bill (支付宝业务明细), GBK: '#' header lines
 * (#支付宝业务明细查询, #账号：[...], #起始日期：[...] 终止日期：[...]), the
 * column header, detail rows (业务类型 交易 or 退款; refunds negative), and '#'
 * footer lines as Alipay writes them: #交易合计：6笔，商家实收共0.06元，商家优惠共0.00元
 * and #退款合计：4笔，商家实收退款共-0.04元，商家优惠退款共0.00元 — every count and
 * amount is checked against its column.  A trade is a line of 订单金额 keyed
 * by 商户订单号; a refund a line of its (negative) 订单金额 keyed by
 * 退款批次号/请求号.  As an argument the file is bytea (the bytes as
 * downloaded); staged with \copy, give ENCODING 'GBK'.
 */
CREATE FUNCTION ledger.load_alipay_bill(source text, statement_date date, bill bytea DEFAULT NULL)
	RETURNS ledger.statement_import
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
	PERFORM ledger._statement_check_args(source, statement_date);
	IF bill IS NOT NULL THEN
		RETURN ledger._statement_load(source, statement_date, 'alipay', NULL, bill, NULL);
	END IF;
	RETURN ledger._statement_load(source, statement_date, 'alipay', ledger._statement_text(NULL), NULL, NULL);
END
$$;
COMMENT ON FUNCTION ledger.load_alipay_bill(text, date, bytea) IS
	'loads an Alipay trade bill (业务明细, GBK CSV with # header and footer lines) as the statement of (source, statement_date), replacing that source and date; checks the period and the footer''s counts and amounts';

/*
 * The Alipay account statement (支付宝账务明细), GBK: '#' header lines, the
 * column header (账务流水号,业务流水号,商户订单号,...,收入金额（+元）,支出金额（-元）,...),
 * rows, and the footer #支出合计：N笔，共X元 / #收入合计：N笔，共X元, checked.
 * amount = 收入金额 − 支出金额; ref the 商户订单号 (the 业务流水号 when empty);
 * external_id the 账务流水号.
 */
CREATE FUNCTION ledger.load_alipay_account(source text, statement_date date, bill bytea DEFAULT NULL)
	RETURNS ledger.statement_import
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
	PERFORM ledger._statement_check_args(source, statement_date);
	IF bill IS NOT NULL THEN
		RETURN ledger._statement_load(source, statement_date, 'alipay_account', NULL, bill, NULL);
	END IF;
	RETURN ledger._statement_load(source, statement_date, 'alipay_account', ledger._statement_text(NULL), NULL, NULL);
END
$$;
COMMENT ON FUNCTION ledger.load_alipay_account(text, date, bytea) IS
	'loads an Alipay account statement (账务明细, GBK) as the statement of (source, statement_date), replacing that source and date: amount = 收入金额 − 支出金额, ref 商户订单号 (else 业务流水号), external_id 账务流水号; checks the period and the footer totals';

/*
 * Loads the statements of one bank file (MT940, camt.053): one import per
 * statement, dated by its closing booked balance; when the file holds more
 * than one account, each import's source is source || '/' || the account
 * as written.  Statements sharing a source and date (intraday statements)
 * are loaded side by side, their serials prefixed with the statement's id;
 * the first load of a (source, date) in the call replaces what it had.
 */
CREATE FUNCTION ledger._statement_load_bank(source text, format text, bill text)
	RETURNS SETOF ledger.statement_import
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
	src text := _statement_load_bank.source;
	fmt text := _statement_load_bank.format;
	finfo jsonb;
	multi boolean;
	s record;
	g record;
	imp_id bigint;
	fid bigint;
	replaced integer;
BEGIN
	PERFORM ledger._check_writable('a statement loader');
	IF src IS NULL OR src = '' THEN
		PERFORM ledger._raise('22004', 'source must not be null or empty',
			detail => 'Bank statement lines are filed under the name of the bank account''s channel, e.g. ''icbc''.');
	END IF;
	IF pg_catalog.to_regclass('pg_temp._ledger_bank') IS NOT NULL THEN
		DROP TABLE pg_temp._ledger_bank;
	END IF;
	IF pg_catalog.to_regclass('pg_temp._ledger_bank_stmt') IS NOT NULL THEN
		DROP TABLE pg_temp._ledger_bank_stmt;
	END IF;
	-- first pass: the statements (the whole file is checked); their lines
	-- are written by the second
	CREATE TEMP TABLE _ledger_bank ON COMMIT DROP AS
		SELECT * FROM ledger._statement_heads(fmt, bill, src);
	SELECT b.info - '_lines' - '_total' - '_fee' INTO finfo FROM pg_temp._ledger_bank b WHERE b.kind = 'file';
	SELECT count(DISTINCT b.info->>'account') > 1 INTO multi FROM pg_temp._ledger_bank b WHERE b.kind = 'stmt';
	CREATE TEMP TABLE _ledger_bank_stmt ON COMMIT DROP AS
		SELECT b.stmt, b.line_no, b.info,
		       CASE WHEN multi THEN src || '/' || (b.info->>'account') ELSE src END AS src,
		       (b.info->>'closing_date')::date AS d,
		       count(*) OVER (PARTITION BY CASE WHEN multi THEN b.info->>'account' END, (b.info->>'closing_date')::date) AS side_by_side,
		       row_number() OVER (PARTITION BY CASE WHEN multi THEN b.info->>'account' END, (b.info->>'closing_date')::date
		                          ORDER BY b.stmt) AS nth,
		       dense_rank() OVER (ORDER BY CASE WHEN multi THEN b.info->>'account' END, (b.info->>'closing_date')::date)::integer AS grp,
		       NULL::bigint AS import_id
		  FROM pg_temp._ledger_bank b WHERE b.kind = 'stmt';
	FOR g IN SELECT DISTINCT x.src, x.d FROM pg_temp._ledger_bank_stmt x ORDER BY 1, 2 LOOP
		PERFORM ledger._statement_lock(g.src);
	END LOOP;
	fid := ledger._statement_keep(src, fmt, NULL, bill, NULL);
	FOR s IN SELECT * FROM pg_temp._ledger_bank_stmt x ORDER BY x.stmt LOOP
		replaced := 0;
		IF s.nth = 1 THEN
			DELETE FROM ledger.statement_line l WHERE l.source = s.src AND l.statement_date = s.d;
			GET DIAGNOSTICS replaced = ROW_COUNT;
		END IF;
		INSERT INTO ledger.statement_import (source, statement_date, format, line_count, total_amount, fee_amount,
				file_header, file_totals, replaced_lines, file_id)
			VALUES (s.src, s.d, fmt, 0, NULL, NULL,
			       pg_catalog.jsonb_build_object('statement', s.stmt + 1, 'line', s.line_no, 'id', s.info->'id',
			           'account', s.info->'account', 'number', s.info->'number', 'currency', s.info->'currency')
			         || COALESCE(finfo, '{}'),
			       pg_catalog.jsonb_build_object('opening', s.info->'opening', 'opening_date', s.info->'opening_date',
			           'closing', s.info->'closing', 'closing_date', s.info->'closing_date', 'lines', s.info->'lines'),
			       replaced, fid)
			RETURNING id INTO imp_id;
		UPDATE pg_temp._ledger_bank_stmt x SET import_id = imp_id WHERE x.stmt = s.stmt;
	END LOOP;
	-- second pass: the lines, each statement's to its import; intraday
	-- statements of one source and date get their serials prefixed with the
	-- statement id, and serials must be unique in each source and date
	PERFORM ledger._statement_write(fmt, bill, NULL, src, NULL,
		ARRAY(SELECT x.src FROM pg_temp._ledger_bank_stmt x ORDER BY x.stmt),
		ARRAY(SELECT x.d FROM pg_temp._ledger_bank_stmt x ORDER BY x.stmt),
		ARRAY(SELECT x.import_id FROM pg_temp._ledger_bank_stmt x ORDER BY x.stmt),
		ARRAY(SELECT CASE WHEN x.side_by_side > 1
		                  THEN COALESCE(NULLIF(x.info->>'id', ''), 'statement ' || (x.stmt + 1)::text) || '/' END
		        FROM pg_temp._ledger_bank_stmt x ORDER BY x.stmt),
		ARRAY(SELECT x.grp FROM pg_temp._ledger_bank_stmt x ORDER BY x.stmt));
	UPDATE ledger.statement_import i
	   SET line_count = t.n, total_amount = t.total
	  FROM (SELECT l.import_id, count(*)::integer AS n, ledger.sum(l.amount) AS total
	          FROM (SELECT DISTINCT x.src, x.d FROM pg_temp._ledger_bank_stmt x) g
	          JOIN ledger.statement_line l ON l.source = g.src AND l.statement_date = g.d
	         WHERE l.import_id IN (SELECT x.import_id FROM pg_temp._ledger_bank_stmt x)
	         GROUP BY l.import_id) t
	 WHERE i.id = t.import_id;
	RETURN QUERY
		SELECT i.* FROM ledger.statement_import i JOIN pg_temp._ledger_bank_stmt x ON x.import_id = i.id
		 ORDER BY x.stmt;
END
$$;
COMMENT ON FUNCTION ledger._statement_load_bank(text, text, text) IS
	'loader helper: parses a bank statement file (mt940, camt053) and loads each of its statements as an import of its source and closing date';

/*
 * SWIFT MT940 customer statements: :20: :25: :28C: :60F:/:60M:, :61: lines
 * with their :86: details, :62F:/:62M:, several messages (statements,
 * accounts, currencies) per file, with or without the {1:}{2:}{4: ... -}
 * envelope.  Each statement must satisfy opening + lines = closing.
 */
CREATE FUNCTION ledger.load_mt940(source text, statement text DEFAULT NULL)
	RETURNS SETOF ledger.statement_import
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
	RETURN QUERY SELECT * FROM ledger._statement_load_bank(source, 'mt940', COALESCE(statement, ledger._statement_text(NULL)));
END
$$;
COMMENT ON FUNCTION ledger.load_mt940(text, text) IS
	'loads a SWIFT MT940 file: one import per statement, dated by its closing balance (:62F:/:62M:), source || ''/'' || :25: when the file holds several accounts; credit +, debit −; ref the customer reference (else the bank reference), external_id the bank reference; opening + lines = closing checked';

/*
 * ISO 20022 camt.053 (BankToCustomerStatement, camt.053.001.02 to .13):
 * every <Stmt> is one import; booked entries (<Sts> BOOK) are its lines;
 * opening (OPBD) + entries = closing (CLBD) is checked.
 */
CREATE FUNCTION ledger.load_camt053(source text, statement text DEFAULT NULL)
	RETURNS SETOF ledger.statement_import
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
	RETURN QUERY SELECT * FROM ledger._statement_load_bank(source, 'camt053', COALESCE(statement, ledger._statement_text(NULL)));
END
$$;
COMMENT ON FUNCTION ledger.load_camt053(text, text) IS
	'loads an ISO 20022 camt.053 file: one import per <Stmt>, dated by its CLBD balance, source || ''/'' || <Acct><Id> when the file holds several accounts; CRDT +, DBIT −; ref the EndToEndId (else AcctSvcrRef), external_id the AcctSvcrRef; OPBD + booked entries = CLBD checked';

/*
 * Each line of an import as the channel or bank wrote it (column name →
 * value), read back from the file its loader kept in ledger.statement_file
 * (one parse of the file per call); for an import without a file (the
 * generic CSV loader, loads before version 1.1, a file deleted since) the
 * lines' own raw column.  Runs with the caller's rights: reading a file
 * needs SELECT on ledger.statement_import and ledger.statement_file.
 */
CREATE FUNCTION ledger.statement_raw(import_id bigint)
	RETURNS TABLE (line_no integer, raw jsonb)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	imp ledger.statement_import;
	f ledger.statement_file;
BEGIN
	SELECT * INTO imp FROM ledger.statement_import i WHERE i.id = statement_raw.import_id;
	IF NOT FOUND THEN
		PERFORM ledger._raise('42704', pg_catalog.format('statement import %s does not exist', statement_raw.import_id),
			detail => 'ledger.statement_import has no row with that id.');
	END IF;
	SELECT * INTO f FROM ledger.statement_file x WHERE x.id = imp.file_id;
	IF NOT FOUND THEN
		RETURN QUERY SELECT l.line_no, l.raw FROM ledger.statement_line l
		 WHERE l.source = imp.source AND l.statement_date = imp.statement_date AND l.import_id = imp.id
		 ORDER BY l.line_no;
	ELSIF f.encoding = 'GBK' THEN
		RETURN QUERY SELECT p.line_no, p.raw
		  FROM ledger._parse_statement_gbk(f.format, f.content, f.source, imp.statement_date) p
		 WHERE p.kind = 'line' ORDER BY p.line_no;
	ELSIF f.format IN ('mt940', 'camt053') THEN
		RETURN QUERY SELECT p.line_no, p.raw
		  FROM ledger._parse_statement(f.format, pg_catalog.convert_from(f.content, 'UTF8'), f.source, NULL) p
		 WHERE p.kind = 'line' AND p.stmt = (imp.file_header->>'statement')::integer - 1 ORDER BY p.line_no;
	ELSE
		RETURN QUERY SELECT p.line_no, p.raw
		  FROM ledger._parse_statement(f.format, pg_catalog.convert_from(f.content, 'UTF8'), f.source,
		                               imp.statement_date, f.ref_field) p
		 WHERE p.kind = 'line' ORDER BY p.line_no;
	END IF;
END
$$;
COMMENT ON FUNCTION ledger.statement_raw(bigint) IS
	'each line of a statement import as the channel or bank wrote it (column name → value), read back from the file kept in ledger.statement_file; the lines'' own raw for imports without one';

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
	-- a statement line is short: a line of megabytes is refused before it is
	-- split (its fields, read one by one, would be copied again for each)
	SELECT l.line_no, pg_catalog.octet_length(l.line) AS n INTO bad
	  FROM pg_temp._ledger_lines l WHERE pg_catalog.octet_length(l.line) > 65536 ORDER BY l.line_no LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._statement_error(kind, src, d, bad.line_no,
			pg_catalog.format('has %s bytes; a statement line has at most 65536', bad.n));
	END IF;
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
	         -- (refs and serials are indexed; see LEDGER_INDEXED_TEXT_MAX in src/ledger.h)
	         WHEN pg_catalog.octet_length(q.ref) > 2048 THEN
	           pg_catalog.format('has a ref of %s bytes; at most 2048 are kept', pg_catalog.octet_length(q.ref))
	         WHEN pg_catalog.octet_length(q.external_id) > 2048 THEN
	           pg_catalog.format('has an external_id of %s bytes; at most 2048 are kept', pg_catalog.octet_length(q.external_id))
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


-- ledger._parse_statement() and _parse_statement_gbk() only parse the text
-- they are given (ledger.statement_raw runs them with the caller's rights)
REVOKE EXECUTE ON FUNCTION
	ledger._statement_parsed(), ledger._statement_text(text), ledger._statement_load(text, date, text, text, bytea, text),
	ledger._statement_load_bank(text, text, text), ledger._statement_heads(text, text, text),
	ledger._statement_write(text, text, bytea, text, text, text[], date[], bigint[], text[], integer[]),
	ledger._statement_keep(text, text, text, text, bytea), ledger._statement_lock(text),
	ledger._statement_check(text, text, bytea, text, date, text),
	ledger.load_wechat_fundflow(text, date, text), ledger.load_alipay_account(text, date, bytea),
	ledger.load_mt940(text, text), ledger.load_camt053(text, text)
	FROM PUBLIC;
