/* ledger--1.0--1.1.sql — update from 1.0 to 1.1 (ALTER EXTENSION ledger UPDATE) */

\echo Use "ALTER EXTENSION ledger UPDATE TO '1.1'" to load this file. \quit

-- Every step below has its counterpart in sql/areas/, from which a fresh 1.1
-- install is assembled; test/scripts/upgrade.sh checks that both give the same
-- catalog and that the books survive the update.

-- ---- reliability: long codes, concurrent reversals, rules, book dates, audit columns, error context ----

-- account codes: one limit, 64 characters (not bytes); the C code compares codes whole
COMMENT ON COLUMN ledger.account.code IS 'account code, e.g. ''1002.01'': 1 to 64 characters (not bytes) without white space, control, format or bidirectional characters, compared whole; immutable once posted to';

-- errors for the user without internal CONTEXT lines (ledger._raise replaces RAISE EXCEPTION)
/*
 * The ledger's PL/pgSQL functions raise their errors through this instead of
 * RAISE EXCEPTION: the user sees the message, DETAIL and HINT, and no CONTEXT
 * lines naming the ledger's internal functions.  It only raises: executable
 * by PUBLIC, as the cutoff runs with the operator's rights.
 */
CREATE FUNCTION ledger._raise(sqlstate text, message text, detail text DEFAULT NULL, hint text DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'ledger_raise'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ledger._raise(text, text, text, text) IS
	'raises an error with the given SQLSTATE, message, DETAIL and HINT and no CONTEXT (RAISE EXCEPTION without the internal context lines)';

CREATE FUNCTION ledger._currency_code(currency text) RETURNS text
	AS 'MODULE_PATHNAME', 'ledger_currency_code'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger._currency_code(text) IS
	'a currency as ledger.currency() writes it; 22P02 without CONTEXT for an unknown one (for the account trigger)';
REVOKE EXECUTE ON FUNCTION ledger._currency_code(text) FROM PUBLIC;

-- book dates from users: finite, from 1900-01-01 to 9999-12-31, else 22008
CREATE FUNCTION ledger._check_book_date(d date, argument text, open_bounds boolean DEFAULT false) RETURNS void
	AS 'MODULE_PATHNAME', 'ledger_check_book_date'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger._check_book_date(date, text, boolean) IS
	'22008 unless a book date given by the user is a finite date from 1900-01-01 to 9999-12-31 (with open_bounds, -infinity and infinity pass too); NULL passes';

-- no rules on the ledger's tables (a rewritten INSERT in ledger.post is 55000 too, in C)
/*
 * No rules on the ledger's tables: a rule rewrites or drops the writes that
 * ledger.post and the triggers check (an INSTEAD NOTHING on ledger.entry
 * would leave vouchers without entries).  Fires for the owner and superusers
 * too, in every replication role.
 */
CREATE FUNCTION ledger._no_rules() RETURNS event_trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT w.rulename, w.ev_class::pg_catalog.regclass AS rel
	           FROM pg_catalog.pg_event_trigger_ddl_commands() x
	           JOIN pg_catalog.pg_rewrite w ON w.oid OPERATOR(pg_catalog.=) x.objid
	           JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) w.ev_class
	          WHERE x.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass
	            AND c.relnamespace OPERATOR(pg_catalog.=) 'ledger'::pg_catalog.regnamespace
	LOOP
		PERFORM ledger._raise('55000', pg_catalog.format('cannot create rule "%s" on relation %s', r.rulename, r.rel),
			detail => pg_catalog.format('The ledger''s tables take no rules: a rule on %s would rewrite or drop the writes that ledger.post and the ledger''s triggers check.', r.rel),
			hint => 'Use a trigger on a table of your own, or a view over the ledger''s tables.');
	END LOOP;
END
$$;
COMMENT ON FUNCTION ledger._no_rules() IS 'event trigger function: refuses CREATE RULE on the relations of schema ledger (55000)';
CREATE EVENT TRIGGER ledger_no_rules ON ddl_command_end WHEN TAG IN ('CREATE RULE')
	EXECUTE FUNCTION ledger._no_rules();
ALTER EVENT TRIGGER ledger_no_rules ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER ledger_no_rules IS 'refuses rules on the ledger''s tables (see ledger._no_rules)';
REVOKE EXECUTE ON FUNCTION ledger._no_rules() FROM PUBLIC;

-- the audit columns of a voucher are set by a trigger on every path
/*
 * The audit columns of a voucher are the ledger's to set: every voucher,
 * whatever path writes it, is stamped with now() and session_user (not in
 * restore mode, where the dumped values stay).
 */
CREATE FUNCTION ledger._voucher_stamp() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ledger_voucher_stamp' LANGUAGE C;
COMMENT ON FUNCTION ledger._voucher_stamp() IS
	'row trigger on ledger.voucher: sets created_at to now() and created_by to session_user, whatever the writer gave';
CREATE TRIGGER voucher_stamp BEFORE INSERT ON ledger.voucher
	FOR EACH ROW EXECUTE FUNCTION ledger._voucher_stamp();
REVOKE EXECUTE ON FUNCTION ledger._voucher_stamp() FROM PUBLIC;

-- the functions that check book dates or raise through ledger._raise, with their 1.1 bodies

CREATE OR REPLACE FUNCTION ledger._book_day_guard() RETURNS trigger
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		IF current_setting('session_replication_role') = 'replica' THEN
			DELETE FROM ledger.book_day d
				WHERE d.status = 'open'
				  AND (SELECT count(*) FROM ledger.book_day) = 1
				  AND NOT EXISTS (SELECT 1 FROM ledger.voucher v WHERE v.book_date = d.book_date);
		END IF;
		RETURN NEW;
	END IF;
	IF TG_OP = 'DELETE' THEN
		IF current_setting('session_replication_role') = 'replica' THEN
			RETURN OLD;
		END IF;
		PERFORM ledger._raise('55000', pg_catalog.format('cannot delete book day %s', OLD.book_date),
			detail => 'Book days are part of the books.');
	END IF;
	-- UPDATE
	IF OLD.status = 'closed' THEN
		PERFORM ledger._raise('55000', pg_catalog.format('book day %s is closed', OLD.book_date),
			detail => 'A closed day never changes.');
	END IF;
	IF NEW.book_date <> OLD.book_date AND
	   (OLD.status <> 'open' OR EXISTS (SELECT 1 FROM ledger.voucher)) THEN
		PERFORM ledger._raise('55000', pg_catalog.format('cannot move book day %s', OLD.book_date),
			detail => 'Only the open day of books without vouchers can move (ledger.open_books).');
	END IF;
	IF NOT ((OLD.status = NEW.status)
			OR (OLD.status = 'open' AND NEW.status = 'closing')
			OR (OLD.status = 'closing' AND NEW.status = 'closed')) THEN
		PERFORM ledger._raise('55000', pg_catalog.format('book day %s cannot go from %s to %s', OLD.book_date, OLD.status, NEW.status),
			detail => format('A book day goes from open to closing to closed, and book day %s is %s.', OLD.book_date, OLD.status),
			hint => 'Close the open day with CALL ledger.close_day().');
	END IF;
	RETURN NEW;
END
$$;

/*
 * The write entry points written in PL/pgSQL (the cutoff, the loaders,
 * reconcile, resolve_break, open_books) call this first: in a read-only
 * transaction (a hot standby, default_transaction_read_only) they are
 * refused with 25006 naming what was called, instead of with PostgreSQL's
 * own 25006 from deep inside, whose CONTEXT lines name internal functions.
 * Reads no table: executable by PUBLIC, like ledger._raise().
 */
CREATE FUNCTION ledger._check_writable(what text) RETURNS void
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF pg_catalog.current_setting('transaction_read_only')::boolean THEN
		PERFORM ledger._raise('25006', pg_catalog.format('cannot run %s in a read-only transaction', what),
			detail => CASE WHEN pg_catalog.pg_is_in_recovery()
			               THEN 'This server is a standby: it replays the primary''s books and writes nothing.'
			               ELSE 'The transaction is read-only (SET TRANSACTION READ ONLY or default_transaction_read_only).' END,
			hint => CASE WHEN pg_catalog.pg_is_in_recovery() THEN 'Run it on the primary.' END);
	END IF;
END
$$;
COMMENT ON FUNCTION ledger._check_writable(text) IS
	'raises 25006 naming what was called when the transaction is read-only (a hot standby); the first step of the write entry points written in PL/pgSQL';

CREATE OR REPLACE FUNCTION ledger.open_books(start_date date)
 RETURNS date
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
	PERFORM ledger._check_writable('ledger.open_books()');
	IF start_date IS NULL THEN
		PERFORM ledger._raise('22004', 'start_date must not be null',
			detail => 'ledger.open_books() needs the first book date of the books.');
	END IF;
	PERFORM ledger._check_book_date(start_date, 'start_date');
	LOCK TABLE ledger.book_day IN EXCLUSIVE MODE;
	LOCK TABLE ledger.voucher IN SHARE MODE;
	IF EXISTS (SELECT 1 FROM ledger.voucher) OR EXISTS (SELECT 1 FROM ledger.book_day WHERE status <> 'open') THEN
		PERFORM ledger._raise('55000', pg_catalog.format('cannot open the books on %s', start_date),
			detail => 'Vouchers have already been posted; the books can only start on another date while they are empty.');
	END IF;
	UPDATE ledger.book_day SET book_date = start_date, opened_at = now() WHERE status = 'open';
	RETURN start_date;
END
$function$;

CREATE OR REPLACE FUNCTION ledger._daily_balance_guard() RETURNS trigger
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF current_setting('session_replication_role') = 'replica' THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'TRUNCATE' OR EXISTS (SELECT 1 FROM ledger.book_day d
			WHERE d.book_date = OLD.book_date AND d.status = 'closed') THEN
		PERFORM ledger._raise('55000', 'cannot change the daily balances of a closed day',
			detail => CASE WHEN TG_OP = 'TRUNCATE' THEN 'ledger.daily_balance holds closed days.'
					ELSE format('Book day %s is closed.', OLD.book_date) END);
	END IF;
	RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE OR REPLACE FUNCTION ledger._close_switch(requested date) RETURNS date
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d date;
	st text;
	open_day date;
BEGIN
	LOCK TABLE ledger.book_day IN SHARE ROW EXCLUSIVE MODE;
	SELECT b.book_date INTO open_day FROM ledger.book_day b WHERE b.status = 'open';
	IF requested IS NULL THEN
		d := open_day;
		IF d IS NULL THEN
			PERFORM ledger._raise('55000', 'no book day is open',
				detail => format('Every day in ledger.book_day is closing or closed; the latest is %s.',
						(SELECT max(b.book_date) FROM ledger.book_day b)));
		END IF;
	ELSE
		SELECT b.status INTO st FROM ledger.book_day b WHERE b.book_date = requested;
		IF st IS NULL THEN
			PERFORM ledger._raise('55000', pg_catalog.format('book day %s does not exist', requested),
				detail => format('The open book day is %s.', open_day));
		ELSIF st = 'closed' THEN
			PERFORM ledger._raise('55000', pg_catalog.format('book day %s is already closed', requested),
				detail => 'A closed day never changes.');
		ELSIF st = 'closing' THEN
			RETURN requested;
		END IF;
		d := requested;
	END IF;
	IF EXISTS (SELECT 1 FROM ledger.book_day b WHERE b.book_date < d AND b.status <> 'closed') THEN
		PERFORM ledger._raise('55000', pg_catalog.format('cannot close book day %s before the days before it', d),
			detail => (SELECT format('Book day %s is still %s; days close in order.', b.book_date, b.status)
				            FROM ledger.book_day b WHERE b.book_date < d AND b.status <> 'closed'
				           ORDER BY b.book_date LIMIT 1),
			hint => 'Run CALL ledger.close_day() without a date: it finishes the earlier days first.');
	END IF;
	UPDATE ledger.book_day SET status = 'closing', closing_at = now() WHERE book_date = d;
	INSERT INTO ledger.book_day (book_date, status) VALUES (d + 1, 'open');
	INSERT INTO ledger.day_close (book_date) VALUES (d) ON CONFLICT (book_date) DO NOTHING;
	RETURN d;
END
$$;

CREATE OR REPLACE FUNCTION ledger._check_as_of(as_of date) RETURNS void
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF as_of IS NULL THEN
		PERFORM ledger._raise('22004', 'date must not be null',
			detail => 'A balance or trial balance as of a book date needs that date.');
	END IF;
	IF as_of > (SELECT b.book_date FROM ledger.book_day b WHERE b.status = 'open') THEN
		PERFORM ledger._raise('22023', pg_catalog.format('book date %s has not begun', as_of),
			detail => format('The open book date is %s.', (SELECT b.book_date FROM ledger.book_day b WHERE b.status = 'open')));
	END IF;
END
$$;

CREATE OR REPLACE FUNCTION ledger.trial_balance(from_date date, to_date date DEFAULT NULL::date)
 RETURNS TABLE(account_code text, account_name text, depth integer, currency text, opening_debit ledger.amount, opening_credit ledger.amount, period_debit ledger.amount, period_credit ledger.amount, closing_debit ledger.amount, closing_credit ledger.amount)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_custom_plan'
 SET jit TO 'off'
AS $function$
DECLARE
	upto date := COALESCE(to_date, from_date);
	closed date;
BEGIN
	IF from_date IS NULL THEN
		PERFORM ledger._raise('22004', 'from_date must not be null',
			detail => 'ledger.trial_balance() needs the first book date of the period.');
	END IF;
	PERFORM ledger._check_book_date(from_date, 'from_date');
	PERFORM ledger._check_book_date(to_date, 'to_date');
	IF upto < from_date THEN
		PERFORM ledger._raise('22023', pg_catalog.format('to_date %s is before from_date %s', upto, from_date),
			detail => format('The period of ledger.trial_balance() runs from from_date to to_date; %s to %s holds no day.', from_date, upto));
	END IF;
	PERFORM ledger._check_as_of(upto);
	SELECT max(b.book_date) INTO closed FROM ledger.book_day b WHERE b.status = 'closed';
	IF upto <= closed THEN
		-- a period of closed days: read off the daily balances of its two ends
		RETURN QUERY SELECT * FROM ledger._trial_closed(from_date, upto);
		RETURN;
	END IF;
	RETURN QUERY
	WITH
	-- a period reaching days not yet closed: the leaves from their last daily
	-- balances and the live entries, rolled up the tree
	rolled AS (
		SELECT t.ancestor_id AS id, m.currency, sum(m.opening) AS opening, sum(m.debit) AS debit,
		       sum(m.credit) AS credit, sum(m.closing) AS closing
		  FROM ledger._leaf_movement(from_date, upto) m
		  JOIN ledger.account_tree t ON t.account_id = m.account_id
		 GROUP BY t.ancestor_id, m.currency),
	depths AS (
		SELECT t.account_id AS id, max(t.depth) AS depth FROM ledger.account_tree t GROUP BY t.account_id),
	sides AS (
		SELECT r.id, r.currency, GREATEST(r.opening, 0) AS od, GREATEST(-r.opening, 0) AS oc,
		       r.debit AS pd, r.credit AS pc, GREATEST(r.closing, 0) AS cd, GREATEST(-r.closing, 0) AS cc
		  FROM rolled r),
	rows AS (
		SELECT a.code, a.name, depths.depth, s.currency, s.od, s.oc, s.pd, s.pc, s.cd, s.cc
		  FROM sides s JOIN ledger.account a ON a.id = s.id JOIN depths ON depths.id = s.id
		UNION ALL
		-- totals over the top-level accounts, which between them hold every leaf once
		SELECT NULL, 'total', NULL, s.currency, sum(s.od), sum(s.oc), sum(s.pd), sum(s.pc), sum(s.cd), sum(s.cc)
		  FROM sides s JOIN depths ON depths.id = s.id AND depths.depth = 0
		 GROUP BY s.currency)
	SELECT rows.code, rows.name, rows.depth, rows.currency,
	       ledger._amount_of_sum(rows.od, rows.currency, rows.code, 'opening debit balance'),
	       ledger._amount_of_sum(rows.oc, rows.currency, rows.code, 'opening credit balance'),
	       ledger._amount_of_sum(rows.pd, rows.currency, rows.code, 'debit turnover of the period'),
	       ledger._amount_of_sum(rows.pc, rows.currency, rows.code, 'credit turnover of the period'),
	       ledger._amount_of_sum(rows.cd, rows.currency, rows.code, 'closing debit balance'),
	       ledger._amount_of_sum(rows.cc, rows.currency, rows.code, 'closing credit balance')
	  FROM rows
	 ORDER BY rows.code IS NULL, rows.code COLLATE "C", rows.currency COLLATE "C";
END
$function$;

CREATE OR REPLACE FUNCTION ledger._statement_lines(bill text) RETURNS integer
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

CREATE OR REPLACE FUNCTION ledger._statement_error(kind text, source text, statement_date date, line_no integer, reason text)
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

CREATE OR REPLACE FUNCTION ledger._statement_check_args(source text, statement_date date)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
$function$;

CREATE OR REPLACE FUNCTION ledger.load_statement_csv(source text, statement_date date, csv text DEFAULT NULL::text, currency text DEFAULT 'CNY'::text)
 RETURNS ledger.statement_import
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
$function$;

CREATE OR REPLACE FUNCTION ledger.resolve_break(break_id bigint, note text, voucher_id bigint DEFAULT NULL::bigint)
 RETURNS ledger.recon_break
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
	b ledger.recon_break;
	acct text;
BEGIN
	PERFORM ledger._check_writable('ledger.resolve_break()');
	IF break_id IS NULL THEN
		PERFORM ledger._raise('22004', 'break_id must not be null',
			detail => 'ledger.resolve_break() needs the id of a break in ledger.recon_break.');
	END IF;
	IF note IS NULL OR pg_catalog.btrim(note) = '' THEN
		PERFORM ledger._raise('22004', pg_catalog.format('a note is required to resolve break %s', break_id),
			detail => 'The note records how the break was dealt with (差错处理), for the audit trail.');
	END IF;
	SELECT * INTO b FROM ledger.recon_break x WHERE x.id = break_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM ledger._raise('23503', pg_catalog.format('break %s does not exist', break_id),
			detail => pg_catalog.format('ledger.recon_break has no break with id %s; running reconcile again for a date deletes the open breaks it no longer finds.', break_id));
	END IF;
	IF b.status = 'resolved' THEN
		PERFORM ledger._raise('55000', pg_catalog.format('break %s is already resolved', break_id),
			detail => pg_catalog.format('Break %s (%s, ref "%s", source "%s", %s) was resolved at %s by %s with the note "%s".',
					b.id, b.class, b.ref, b.source, pg_catalog.to_char(b.statement_date, 'YYYY-MM-DD'),
					pg_catalog.to_char(b.resolved_at, 'YYYY-MM-DD HH24:MI:SS TZ'), b.resolved_by, b.note));
	END IF;
	IF resolve_break.voucher_id IS NOT NULL THEN
		IF NOT EXISTS (SELECT 1 FROM ledger.voucher v WHERE v.id = resolve_break.voucher_id) THEN
			PERFORM ledger._raise('23503', pg_catalog.format('voucher %s does not exist', resolve_break.voucher_id),
				detail => pg_catalog.format('Break %s (%s, ref "%s") names it as its adjusting voucher.', b.id, b.class, b.ref));
		END IF;
		-- an adjusting voucher corrects the clearing account the break is on;
		-- reconcile leaves the vouchers that resolve breaks out of every run,
		-- so a mistyped id would take some other item out of the books'
		-- side of a reconciliation
		SELECT r.account_code INTO acct FROM ledger.recon_run r WHERE r.id = b.run_id;
		IF NOT EXISTS (SELECT 1 FROM ledger.entry e JOIN ledger.account a ON a.id = e.account_id
		                WHERE e.voucher_id = resolve_break.voucher_id AND a.code = acct) THEN
			PERFORM ledger._raise('22023', pg_catalog.format('voucher %s has no entry on account "%s"', resolve_break.voucher_id, acct),
				detail => pg_catalog.format('Break %s (%s, ref "%s", source "%s", %s) is a difference on the clearing account "%s"; the voucher that resolves it corrects that account.',
					b.id, b.class, b.ref, b.source, pg_catalog.to_char(b.statement_date, 'YYYY-MM-DD'), acct),
				hint => 'Resolve the break without a voucher, or name the adjusting voucher posted on that account.');
		END IF;
	END IF;
	-- one voucher resolves one break (recon_break_voucher_key, which also
	-- makes a second session naming the voucher wait for the first)
	BEGIN
		UPDATE ledger.recon_break x
		   SET status = 'resolved', note = resolve_break.note, voucher_id = resolve_break.voucher_id,
		       resolved_at = pg_catalog.now(), resolved_by = session_user
		 WHERE x.id = break_id
		RETURNING * INTO b;
	EXCEPTION WHEN unique_violation THEN
		PERFORM ledger._raise('23505', pg_catalog.format('voucher %s already resolves another break', resolve_break.voucher_id),
			detail => COALESCE((SELECT pg_catalog.format('Break %s (%s, ref "%s") names it.', x.id, x.class, x.ref)
			                      FROM ledger.recon_break x WHERE x.voucher_id = resolve_break.voucher_id LIMIT 1),
			                   'Another session resolved a break with it at the same time.'));
	END;
	RETURN b;
END
$function$;
COMMENT ON FUNCTION ledger.resolve_break(bigint, text, bigint) IS
	'marks a break resolved with a note, optionally naming the adjusting voucher (差错处理) that corrects it; the voucher must exist, have an entry on the clearing account of the break''s run and resolve no other break';

-- ---- comments on every view column (README tells the truth) ----

COMMENT ON COLUMN ledger.journal.book_date IS 'the voucher''s book date (会计日期)';
COMMENT ON COLUMN ledger.journal.voucher_id IS 'the voucher (记账凭证)';
COMMENT ON COLUMN ledger.journal.idempotency_key IS 'the voucher''s idempotency key';
COMMENT ON COLUMN ledger.journal.ref IS 'the voucher''s business reference, matched by reconciliation';
COMMENT ON COLUMN ledger.journal.summary IS 'the voucher''s summary (摘要)';
COMMENT ON COLUMN ledger.journal.line_no IS 'the entry''s line number within the voucher';
COMMENT ON COLUMN ledger.journal.account_code IS 'code of the entry''s account';
COMMENT ON COLUMN ledger.journal.account_name IS 'name of the entry''s account';
COMMENT ON COLUMN ledger.journal.debit IS 'the entry''s amount if a debit (positive), else NULL';
COMMENT ON COLUMN ledger.journal.credit IS 'the negated amount of a credit entry (positive), else NULL';
COMMENT ON COLUMN ledger.journal.memo IS 'the entry''s memo';
COMMENT ON COLUMN ledger.balances.account_code IS 'account code';
COMMENT ON COLUMN ledger.balances.account_name IS 'account name';
COMMENT ON COLUMN ledger.balances.kind IS 'account kind, which fixes the normal side';
COMMENT ON COLUMN ledger.balances.currency IS 'currency of the row (a multi-currency summary account has one row per currency)';
COMMENT ON COLUMN ledger.balances.balance IS 'current balance on the account''s normal side, summary accounts rolled up from their leaves';
COMMENT ON COLUMN ledger._account_closure.account_id IS 'the account';
COMMENT ON COLUMN ledger._account_closure.ancestor_id IS 'the account itself or a summary account above it';
COMMENT ON COLUMN ledger._account_closure.depth IS 'levels from the account up to the ancestor (0 for the account itself)';
COMMENT ON COLUMN ledger._leaf.id IS 'account id';
COMMENT ON COLUMN ledger._leaf.code IS 'account code';
COMMENT ON COLUMN ledger._leaf.currency IS 'account currency';
COMMENT ON COLUMN ledger._leaf.kind IS 'account kind';
COMMENT ON COLUMN ledger._leaf.metadata IS 'account metadata (normal_side of a common account)';
COMMENT ON COLUMN ledger.recon_report.source IS 'the channel reconciled';
COMMENT ON COLUMN ledger.recon_report.statement_date IS 'the statement date and book date reconciled';
COMMENT ON COLUMN ledger.recon_report.account_code IS 'the clearing account whose entries were the internal side';
COMMENT ON COLUMN ledger.recon_report.currency IS 'currency of the clearing account';
COMMENT ON COLUMN ledger.recon_report.internal_count IS 'internal items considered: the day''s vouchers with a ref on the account plus the pending items of earlier days';
COMMENT ON COLUMN ledger.recon_report.internal_amount IS 'sum of the internal items considered';
COMMENT ON COLUMN ledger.recon_report.external_count IS 'statement lines of the source and date';
COMMENT ON COLUMN ledger.recon_report.external_amount IS 'sum of those statement lines';
COMMENT ON COLUMN ledger.recon_report.matched_count IS 'keys matched (对平)';
COMMENT ON COLUMN ledger.recon_report.matched_amount IS 'amount matched';
COMMENT ON COLUMN ledger.recon_report.missing_internal_count IS 'keys only the statement has (长款 / 平台漏单)';
COMMENT ON COLUMN ledger.recon_report.missing_internal_amount IS 'statement amount of those keys';
COMMENT ON COLUMN ledger.recon_report.missing_external_count IS 'keys only our books have, past the grace days (短款 / 渠道漏单)';
COMMENT ON COLUMN ledger.recon_report.missing_external_amount IS 'our amount of those keys';
COMMENT ON COLUMN ledger.recon_report.amount_mismatch_count IS 'keys whose amounts differ (金额不符)';
COMMENT ON COLUMN ledger.recon_report.amount_mismatch_amount IS 'net difference (internal - external) of those keys';
COMMENT ON COLUMN ledger.recon_report.status_mismatch_count IS 'keys whose statuses differ (状态不符)';
COMMENT ON COLUMN ledger.recon_report.status_mismatch_amount IS 'our amount of those keys';
COMMENT ON COLUMN ledger.recon_report.duplicate_count IS 'keys with more than one record on a side (重复)';
COMMENT ON COLUMN ledger.recon_report.duplicate_amount IS 'net difference (internal - external, a missing side as zero) of those keys';
COMMENT ON COLUMN ledger.recon_report.pending_count IS 'internal items left in the pending pool, within the grace days (not breaks)';
COMMENT ON COLUMN ledger.recon_report.pending_amount IS 'amount of those items';
COMMENT ON COLUMN ledger.recon_report.open_breaks IS 'breaks of this statement date still open';
COMMENT ON COLUMN ledger.recon_report.source_open_breaks IS 'breaks of the source still open, of this statement date or earlier';
COMMENT ON COLUMN ledger.recon_report.oldest_open_days IS 'age in days (from today) of the oldest of those open breaks, NULL if none';
COMMENT ON COLUMN ledger.recon_report.runs IS 'how many times the (source, date) was reconciled';
COMMENT ON COLUMN ledger.recon_report.finished_at IS 'end of the latest run';

-- ---- matching rules (SPEC 9.2): recon_rule, recon_match, candidates, missing statements ----

ALTER TABLE ledger.recon_run ADD COLUMN statement_missing boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN ledger.recon_run.statement_missing IS 'no statement of the source and date had been loaded (no line, no import) when the latest run was made: its internal items were kept pending, none became a break';
ALTER TABLE ledger.recon_break ADD COLUMN candidates jsonb NOT NULL DEFAULT '[]';
COMMENT ON COLUMN ledger.recon_pending.closed_run IS 'the run that matched, classified or expired it: a later date''s, or a re-run of its own date that settles it after a later date took it from the pool; NULL while pending';
-- an adjusting voucher resolves one break: the plain index of 1.0 becomes a
-- unique one (two sessions could each resolve a break with the same voucher)
DO $$
DECLARE
	d record;
BEGIN
	SELECT x.voucher_id, pg_catalog.string_agg(x.id::text, ', ' ORDER BY x.id) AS breaks INTO d
	  FROM ledger.recon_break x
	 WHERE x.voucher_id IS NOT NULL
	 GROUP BY x.voucher_id HAVING pg_catalog.count(*) > 1
	 ORDER BY x.voucher_id LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._raise('23505', pg_catalog.format('voucher %s resolves more than one break', d.voucher_id),
			detail => pg_catalog.format('Breaks %s name it as their adjusting voucher; from version 1.1 a voucher resolves one break.', d.breaks),
			hint => 'Keep it on one of them (UPDATE ledger.recon_break SET voucher_id = NULL WHERE id = ...; the note stays), then update the extension again.');
	END IF;
END
$$;
DROP INDEX ledger.recon_break_voucher_idx;
CREATE UNIQUE INDEX recon_break_voucher_key ON ledger.recon_break (voucher_id) WHERE voucher_id IS NOT NULL;
COMMENT ON COLUMN ledger.recon_break.candidates IS 'why it did not match: for a missing_internal or missing_external break the nearest unmatched counterparts of the other side (smallest amount difference, then time difference), for the other classes the statement lines of the key; a JSON array of objects with ref, amount, time and difference (internal - external), plus external_id of a line';

CREATE TABLE ledger.recon_rule (
	source       text NOT NULL,
	tolerance    ledger.amount NULL,
	match_window interval NULL,
	group_key    text NULL,
	net_of_fee   boolean NOT NULL DEFAULT false,
	CONSTRAINT recon_rule_pkey PRIMARY KEY (source),
	CONSTRAINT recon_rule_tolerance_check CHECK (ledger.minor_units(tolerance) >= 0),
	CONSTRAINT recon_rule_match_window_check CHECK (match_window >= interval '0'),
	CONSTRAINT recon_rule_group_key_check CHECK (group_key <> '')
);
COMMENT ON TABLE ledger.recon_rule IS
	'how ledger.reconcile matches one source beyond its exact key (SPEC 9.2); a source without a row matches by ref exactly';
COMMENT ON COLUMN ledger.recon_rule.source IS 'the channel (first argument of ledger.reconcile)';
COMMENT ON COLUMN ledger.recon_rule.tolerance IS 'amounts that differ by at most this much count as equal (matched, the difference recorded in ledger.recon_match); in the clearing account''s currency; NULL: exact';
COMMENT ON COLUMN ledger.recon_rule.match_window IS 'after key matching, unmatched items of both sides are paired by amount (within the tolerance) when the voucher''s created_at and the line''s occurred_at are at most this far apart; an item with two equally good candidates is never paired; NULL: no pairing';
COMMENT ON COLUMN ledger.recon_rule.group_key IS 'many-to-one: vouchers whose metadata->>group_key is set are matched as one group, by their sum, against the line whose ref is that value (a batch payout, a net settlement); NULL: no groups';
COMMENT ON COLUMN ledger.recon_rule.net_of_fee IS 'compare our amounts with the line''s amount - fee (channels that settle net of their fee)';

CREATE TABLE ledger.recon_match (
	run_id               bigint NOT NULL,
	source               text NOT NULL,
	statement_date       date NOT NULL,
	method               text NOT NULL,
	ref                  text NOT NULL,
	external_ref         text NOT NULL,
	internal_amount      ledger.amount NOT NULL,
	external_amount      ledger.amount NOT NULL,
	difference           ledger.amount NOT NULL,
	internal_count       integer NOT NULL,
	internal_voucher_ids bigint[] NOT NULL,
	external_ids         text[] NOT NULL,
	time_difference      interval NULL,
	CONSTRAINT recon_match_pkey PRIMARY KEY (run_id, ref),
	CONSTRAINT recon_match_method_check CHECK (method IN ('tolerance', 'window', 'group'))
);
CREATE INDEX recon_match_source_date_idx ON ledger.recon_match (source, statement_date);
COMMENT ON TABLE ledger.recon_match IS
	'the matches a run made by its rule rather than by an exact key: within the tolerance, paired within the match window, or a group against one line; replaced by a re-run';
COMMENT ON COLUMN ledger.recon_match.run_id IS 'the ledger.recon_run that made the match';
COMMENT ON COLUMN ledger.recon_match.source IS 'the channel';
COMMENT ON COLUMN ledger.recon_match.statement_date IS 'the statement date of the run';
COMMENT ON COLUMN ledger.recon_match.method IS 'tolerance (same key, amounts within the tolerance), window (no common key, paired by amount and time) or group (a group of vouchers against one line)';
COMMENT ON COLUMN ledger.recon_match.ref IS 'our key: the voucher''s ref, or the group''s value';
COMMENT ON COLUMN ledger.recon_match.external_ref IS 'the statement line''s ref (another key than ours for a window match)';
COMMENT ON COLUMN ledger.recon_match.internal_amount IS 'our amount (the group''s sum)';
COMMENT ON COLUMN ledger.recon_match.external_amount IS 'the line''s amount as compared (net of its fee under net_of_fee)';
COMMENT ON COLUMN ledger.recon_match.difference IS 'internal - external, within the tolerance';
COMMENT ON COLUMN ledger.recon_match.internal_count IS 'our vouchers matched (the group''s members)';
COMMENT ON COLUMN ledger.recon_match.internal_voucher_ids IS 'those vouchers';
COMMENT ON COLUMN ledger.recon_match.external_ids IS 'the channel serials (external_id) of the line';
COMMENT ON COLUMN ledger.recon_match.time_difference IS 'line occurred_at - voucher created_at, for a window match';

CREATE FUNCTION ledger._recon_pair(int_amount ledger.amount[], int_at timestamptz[],
		ext_amount ledger.amount[], ext_at timestamptz[], tolerance ledger.amount, match_window interval,
		candidates integer DEFAULT 3)
	RETURNS TABLE (kind text, idx integer, other integer, rank integer)
	AS 'MODULE_PATHNAME', 'ledger_recon_pair' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION ledger._recon_pair(ledger.amount[], timestamptz[], ledger.amount[], timestamptz[], ledger.amount, interval, integer) IS
	'reconcile''s key-less matching: pairs the unmatched internal and external items by amount (within tolerance) and time (within match_window, NULL: no pairing), never an item with two equally good candidates (kind pair: idx internal, other external, 1-based), then lists the nearest unpaired counterparts of each unpaired item (kind internal or external, rank 1 nearest)';

COMMENT ON PROCEDURE ledger.reconcile(text, date, text) IS
	'reconciles the entries with a ref on clearing account `account` for book date statement_date against the statement lines of (source, statement_date), by ref or by the source''s ledger.recon_rule (tolerance, match window, groups, net of fee); unmatched internal items wait in the pending pool for ledger.recon_grace_days; a date without a statement is a WARNING and ages nothing into a break; results in ledger.recon_run, ledger.recon_break (with candidates) and ledger.recon_match; re-running replaces the results';

CREATE OR REPLACE VIEW ledger.recon_report AS
	SELECT r.source, r.statement_date, r.account_code, r.currency,
	       r.internal_count, r.internal_amount, r.external_count, r.external_amount,
	       r.matched_count, r.matched_amount,
	       r.missing_internal_count, r.missing_internal_amount,
	       r.missing_external_count, r.missing_external_amount,
	       r.amount_mismatch_count, r.amount_mismatch_amount,
	       r.status_mismatch_count, r.status_mismatch_amount,
	       r.duplicate_count, r.duplicate_amount,
	       r.pending_count, r.pending_amount,
	       COALESCE(b.open_breaks, 0) AS open_breaks,
	       COALESCE(b.source_open_breaks, 0) AS source_open_breaks,
	       b.oldest_open_days,
	       r.runs, r.finished_at, r.statement_missing
	  FROM ledger.recon_run r
	  LEFT JOIN LATERAL (
		SELECT count(*) FILTER (WHERE x.statement_date = r.statement_date) AS open_breaks,
		       count(*) AS source_open_breaks,
		       CURRENT_DATE - min(x.statement_date) AS oldest_open_days
		  FROM ledger.recon_break x
		 WHERE x.source = r.source AND x.statement_date <= r.statement_date AND x.status = 'open') b ON true;
COMMENT ON VIEW ledger.recon_report IS
	'the morning reconciliation report: per source and statement date, match keys and amounts per class, the open breaks of that date, the open breaks of the source up to that date and the age in days of the oldest of them, and whether the statement was missing';
COMMENT ON COLUMN ledger.recon_report.statement_missing IS 'true when no statement was loaded for the (source, date): nothing aged into a break';

SELECT pg_catalog.pg_extension_config_dump('ledger.recon_rule', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_match', '');
REVOKE ALL ON ledger.recon_rule, ledger.recon_match FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION
	ledger._recon_pair(ledger.amount[], timestamptz[], ledger.amount[], timestamptz[], ledger.amount, interval, integer)
	FROM PUBLIC;

-- ---- red-letter reversals, balance assertions, drivers' text amounts, day digest version 2 ----

-- the day digest: days sealed by 1.0 keep version 1 (verified with the formula
-- that sealed them); days sealed from now on get version 2, which covers the
-- entries' book dates and red flags too.  The closed days there are get 1;
-- the open and closing days NULL, as in a fresh install, until they are
-- sealed (with 2); a 1.0 dump restored into 1.1 has NULL on its closed days,
-- read as 1.
ALTER TABLE ledger.book_day ADD COLUMN digest_version smallint NULL DEFAULT 1;
ALTER TABLE ledger.book_day ALTER COLUMN digest_version DROP DEFAULT;
UPDATE ledger.book_day SET digest_version = NULL WHERE status <> 'closed';

-- the cutoff's steps check that the one before them ran: the wait is
-- recorded.  A day 1.0 left closing goes through every step again in 1.1:
-- its snapshot, checks and digest (of version 1) are forgotten, so that no
-- step can seal a version-1 digest as version 2; CALL ledger.close_day()
-- finishes it.
ALTER TABLE ledger.day_close ADD COLUMN waited_at timestamptz NULL;
COMMENT ON COLUMN ledger.day_close.waited_at IS 'when the wait for the transactions that could still post into the day last completed (the start of its transaction); the snapshot requires it';
UPDATE ledger.day_close c
   SET snapshot_at = NULL, checked_at = NULL, vouchers = NULL, entries = NULL, digest = NULL,
       problems = NULL, problem_count = NULL, failed_checks = NULL
  FROM ledger.book_day b
 WHERE b.book_date = c.book_date AND b.status = 'closing';

-- sums of minor units in an amount's text form, beyond the amount's range too
CREATE FUNCTION ledger._format_units(units numeric, currency text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN units OPERATOR(pg_catalog.>=) -9223372036854775808 AND units OPERATOR(pg_catalog.<=) 9223372036854775807
            THEN ledger.amount_of_units(units::bigint, currency)::text
            ELSE pg_catalog.round((units::text OPERATOR(pg_catalog.||) 'e-' OPERATOR(pg_catalog.||) ledger.decimals(ledger.zero(currency))::text)::numeric,
                                  ledger.decimals(ledger.zero(currency)))::text
                 OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) ledger.currency(ledger.zero(currency)) END;
COMMENT ON FUNCTION ledger._format_units(numeric, text) IS
	'minor units (numeric) as an amount''s text, e.g. 1234, ''CNY'' is ''12.34 CNY''; beyond the range of ledger.amount the same form without the 64-bit limit';
REVOKE EXECUTE ON FUNCTION ledger._format_units(numeric, text) FROM PUBLIC;
COMMENT ON COLUMN ledger.book_day.digest_version IS
	'formula of the sealed digest: 2 covers every column of the vouchers and entries (days sealed since 1.1); 1 or NULL on a closed day, the formula of version 1.0 (days it sealed, verified with that formula); NULL until a day is sealed';

-- red-letter entries (红字)
ALTER TABLE ledger.entry ADD COLUMN red boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN ledger.entry.red IS
	'red-letter entry (红字): stands on the side opposite to its amount''s sign, as a negative figure; only in a voucher that reverses another';

-- ledger.reverse gains red (default true).  The three-argument function is
-- replaced, not overloaded, so that no call becomes ambiguous; the roles that
-- could run it may run the new one (the grants are given again below).
DO $$
BEGIN
	PERFORM pg_catalog.set_config('ledger_update.reverse_grantees',
		(SELECT pg_catalog.array_agg(DISTINCT pg_catalog.pg_get_userbyid(a.grantee))::pg_catalog.text
		   FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
		  WHERE p.oid = 'ledger.reverse(bigint, text, text)'::pg_catalog.regprocedure
		    AND a.grantee <> 0 AND a.grantee <> p.proowner), true);
END
$$;
DROP FUNCTION ledger.reverse(bigint, text, text);
/*
 * The amounts as text: a driver's list of strings arrives as text[] (psycopg,
 * JDBC, pgx, node-postgres), and needs no cast.  The form taking one text
 * keeps an untyped array literal '{...}' resolving as it did: PostgreSQL
 * finds the amount[] and text[] forms equally good for it, and picks the
 * string-typed form before either.
 */
CREATE FUNCTION ledger.post(idempotency_key text, accounts text[], amounts text[],
		summary text DEFAULT NULL, ref text DEFAULT NULL, metadata jsonb DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_post'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.post(text, text[], text[], text, text, jsonb) IS
	'ledger.post with the amounts as text (''12.50 CNY''), as drivers send a list of strings; same behaviour';

CREATE FUNCTION ledger.post(idempotency_key text, accounts text[], amounts text,
		summary text DEFAULT NULL, ref text DEFAULT NULL, metadata jsonb DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_post'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.post(text, text[], text, text, text, jsonb) IS
	'ledger.post with the amounts as one array literal (''{12.50 CNY,-12.50 CNY}''), the form an untyped literal resolves to; same behaviour';

CREATE FUNCTION ledger.reverse(voucher_id bigint, idempotency_key text, summary text DEFAULT NULL,
		red boolean DEFAULT true)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_reverse'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.reverse(bigint, text, text, boolean) IS
	'posts the negation of a voucher on the open day, linked by reverses; red (default): red-letter entries on the original sides (红字冲销), red => false: opposite-side entries; a voucher is reversed at most once';

REVOKE EXECUTE ON FUNCTION
	ledger.post(text, text[], text[], text, text, jsonb),
	ledger.post(text, text[], text, text, text, jsonb),
	ledger.reverse(bigint, text, text, boolean)
	FROM PUBLIC;
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY COALESCE(NULLIF(pg_catalog.current_setting('ledger_update.reverse_grantees', true), '')::text[], '{}') LOOP
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION ledger.reverse(bigint, text, text, boolean) TO %I', r);
		RAISE NOTICE 'role "%" may run ledger.reverse(bigint, text, text, boolean), as it could the three-argument form', r;
	END LOOP;
END
$$;

-- the journal shows a red entry on its side as a negative figure
CREATE OR REPLACE VIEW ledger.journal AS
	SELECT v.book_date, v.id AS voucher_id, v.idempotency_key, v.ref, v.summary,
	       e.line_no, a.code AS account_code, a.name AS account_name,
	       CASE WHEN (ledger.minor_units(e.amount) > 0) <> e.red THEN e.amount END AS debit,
	       CASE WHEN (ledger.minor_units(e.amount) < 0) <> e.red THEN OPERATOR(ledger.-) e.amount END AS credit,
	       e.memo
	  FROM ledger.entry e
	  JOIN ledger.voucher v ON v.id = e.voucher_id
	  JOIN ledger.account a ON a.id = e.account_id;
COMMENT ON VIEW ledger.journal IS
	'the journal (日记账): one row per entry, debit and credit as positive amounts; a red-letter entry (红字) on its side as a negative figure';
COMMENT ON COLUMN ledger.journal.debit IS 'amount on the debit side: positive, or negative for a red entry; NULL on the credit side';
COMMENT ON COLUMN ledger.journal.credit IS 'amount on the credit side: positive, or negative for a red entry; NULL on the debit side';

-- ledger.trial(amount, red), and the daily balances netting red entries on their side
COMMENT ON TYPE ledger.trial_result IS
	'result of ledger.trial(): debits, credits (positive, less any red entries on their side), net = debit - credit, number of entries, balanced = (net = 0)';
CREATE FUNCTION ledger.trial_accum(internal, ledger.amount, boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_trial_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger.trial_accum(internal, ledger.amount, boolean) IS 'ledger.trial(amount, red) transition';

CREATE AGGREGATE ledger.trial(amount ledger.amount, red boolean) (
	SFUNC = ledger.trial_accum,
	STYPE = internal,
	SSPACE = 64,
	FINALFUNC = ledger.trial_final,
	COMBINEFUNC = ledger.trial_combine,
	SERIALFUNC = ledger.trial_serialize,
	DESERIALFUNC = ledger.trial_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE ledger.trial(ledger.amount, boolean) IS
	'trial balance of entries of one currency, red-letter entries (red = true) counted on their side as negative figures: debit, credit, net, entries, balanced';

COMMENT ON COLUMN ledger.daily_balance.debit IS 'the day''s debits, less the red entries on the debit side (negative if they outweigh them)';
COMMENT ON COLUMN ledger.daily_balance.credit IS 'the day''s credits, less the red entries on the credit side (negative if they outweigh them)';

-- the digest pass takes the digest's version; no currency limit per voucher
DROP FUNCTION ledger._day_digest(date, bytea);
CREATE FUNCTION ledger._day_digest(book_date date, previous bytea, version integer,
		OUT digest bytea, OUT vouchers bigint, OUT entries bigint, OUT problems text[], OUT problem_count bigint)
	AS 'MODULE_PATHNAME', 'ledger_day_digest' LANGUAGE C STABLE;
COMMENT ON FUNCTION ledger._day_digest(date, bytea, integer) IS
	'one ordered pass over a day''s vouchers and entries: chained SHA-256 digest of the given version (book_day.digest_version), counts, the vouchers that do not balance and red entries outside reversals';
REVOKE EXECUTE ON FUNCTION ledger._day_digest(date, bytea, integer) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ledger._close_check(d date)
 RETURNS text[]
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_custom_plan'
 SET jit TO 'off'
AS $function$
DECLARE
	failed text[];
BEGIN
	-- step 3 first: the checks read the daily balances and the digest pass it wrote
	PERFORM 1 FROM ledger.book_day b WHERE b.book_date = d AND b.status = 'closing' FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM ledger._raise('55000', pg_catalog.format('book day %s is not closing', d),
			detail => format('The day-end checks are recorded for a closing day; book day %s is %s.', d,
					COALESCE((SELECT b.status FROM ledger.book_day b WHERE b.book_date = d), 'not in ledger.book_day')),
			hint => 'Run ledger.check_books() to check any day without recording the result.');
	END IF;
	IF NOT EXISTS (SELECT 1 FROM ledger.day_close c WHERE c.book_date = d AND c.snapshot_at >= c.waited_at) THEN
		PERFORM ledger._raise('55000', pg_catalog.format('the daily balances of book day %s have not been written', d),
			detail => format('Step 3 (ledger._close_snapshot) has not run for book day %s since its wait (ledger._close_wait).', d),
			hint => 'Run CALL ledger.close_day(), which takes each day through every step.');
	END IF;
	DELETE FROM ledger.book_check WHERE book_date = d;
	INSERT INTO ledger.book_check (book_date, check_name, currency, ok, detail)
	SELECT d, c.check_name, COALESCE(c.currency, ''), c.ok, c.detail FROM ledger._check_books(d, true) c;
	-- a failing assertion that is not blocking is recorded but keeps no day open
	SELECT COALESCE(array_agg(DISTINCT c.check_name ORDER BY c.check_name), '{}') INTO failed
	  FROM ledger.book_check c WHERE c.book_date = d AND NOT c.ok
	   AND NOT EXISTS (SELECT 1 FROM ledger.assertion a
	                    WHERE c.check_name = 'assertion:' || a.name AND NOT a.blocking);
	UPDATE ledger.day_close SET checked_at = now(), failed_checks = failed WHERE book_date = d;
	RETURN failed;
END
$function$;

CREATE OR REPLACE FUNCTION ledger._leaf_position(as_of date)
	RETURNS TABLE(account_id bigint, currency text, balance numeric, cum_debit numeric, cum_credit numeric)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_custom_plan
	SET jit = off
AS $$
DECLARE
	closed date;
	first_closed date;
	snap_day date;
BEGIN
	-- the dates are values, not joins: the planner prunes what a date rules out
	SELECT max(b.book_date), min(b.book_date) INTO closed, first_closed
	  FROM ledger.book_day b WHERE b.status = 'closed';
	snap_day := CASE WHEN as_of >= first_closed THEN LEAST(as_of, closed) END;
	RETURN QUERY
	WITH leaf AS (
		SELECT l.id, l.currency FROM ledger._leaf l WHERE l.currency IS NOT NULL),
	-- every account with a balance or a movement has a row on each closed day:
	-- read that day's rows in one range scan ...
	on_day AS (
		SELECT r.account_id, r.closing, r.cum_debit, r.cum_credit FROM ledger.daily_balance r
		 WHERE r.book_date = snap_day AND NOT r.summary),
	-- ... and look further back only for accounts without one (balance zero
	-- that day), whose running totals stand on their last row
	earlier AS (
		SELECT leaf.id AS account_id, s.closing, s.cum_debit, s.cum_credit
		  FROM leaf
		  CROSS JOIN LATERAL (
			SELECT r.closing, r.cum_debit, r.cum_credit FROM ledger.daily_balance r
			 WHERE r.account_id = leaf.id AND r.book_date < snap_day AND NOT r.summary
			 ORDER BY r.book_date DESC LIMIT 1) s
		 WHERE snap_day IS NOT NULL
		   AND NOT EXISTS (SELECT 1 FROM on_day WHERE on_day.account_id = leaf.id)),
	snap AS (
		SELECT * FROM on_day UNION ALL SELECT * FROM earlier),
	live AS (
		SELECT e.account_id, (ledger.trial(e.amount, e.red)).*
		  FROM ledger.entry e
		 WHERE as_of > COALESCE(closed, '-infinity')
		   AND e.book_date > COALESCE(closed, '-infinity') AND e.book_date <= as_of
		 GROUP BY e.account_id)
	SELECT leaf.id, leaf.currency,
	       COALESCE(ledger.minor_units(snap.closing), 0)::numeric + COALESCE(ledger.minor_units(live.net), 0),
	       COALESCE(snap.cum_debit, 0) + COALESCE(ledger.minor_units(live.debit), 0),
	       COALESCE(snap.cum_credit, 0) + COALESCE(ledger.minor_units(live.credit), 0)
	  FROM leaf
	  LEFT JOIN snap ON snap.account_id = leaf.id
	  LEFT JOIN live ON live.account_id = leaf.id;
END
$$;

COMMENT ON FUNCTION ledger.check_books(date) IS
	'the books'' checks for one day: vouchers_balanced, red_entries_reverse, entries_match_vouchers, period_debits_equal_credits, closing_balances_net_zero, opening_plus_movement_equals_closing, summary_equals_children, balances_match_entries, snapshot_matches_entries, assertion:<name> for each balance assertion and, for a closed day, digest_matches';
COMMENT ON FUNCTION ledger.verify_books(date, date) IS
	'recomputes the chained digest of every closed day in the range (with the formula that sealed it) and reports any day whose vouchers or entries changed';

-- balance assertions (勾稽关系)
/*
 * An assertion states that the sum of the normal-side balances of the lhs
 * accounts stands in relation to the sum over the rhs accounts, in one
 * currency, within a tolerance: customer wallets <= reserve funds + funds in
 * transit (备付金 coverage), a clearing account = nothing (rhs '{}') at the
 * close.  check_books() evaluates each on a day's closing balances as check
 * assertion:<name>; ledger.check_assertions() on the current balances.
 */
CREATE TABLE ledger.assertion (
	name      text NOT NULL,
	lhs       text[] NOT NULL,
	relation  text NOT NULL,
	rhs       text[] NOT NULL DEFAULT '{}',
	currency  text NOT NULL,
	tolerance ledger.amount NULL,
	blocking  boolean NOT NULL DEFAULT true,
	CONSTRAINT assertion_pkey PRIMARY KEY (name),
	CONSTRAINT assertion_relation_check CHECK (relation IN ('=', '<=', '>=')),
	CONSTRAINT assertion_name_check CHECK (name <> '')
);
COMMENT ON TABLE ledger.assertion IS
	'balance assertions (勾稽关系): sum of the lhs accounts'' balances relation sum of the rhs accounts'', checked at every cutoff';
COMMENT ON COLUMN ledger.assertion.name IS 'name; check_books() reports the assertion as check assertion:<name>';
COMMENT ON COLUMN ledger.assertion.lhs IS 'account codes (summary accounts allowed) whose normal-side balances are summed; empty = zero';
COMMENT ON COLUMN ledger.assertion.relation IS '=, <= or >=: how the lhs sum stands to the rhs sum';
COMMENT ON COLUMN ledger.assertion.rhs IS 'account codes (summary accounts allowed) whose normal-side balances are summed; empty = zero';
COMMENT ON COLUMN ledger.assertion.currency IS 'the currency whose balances are compared';
COMMENT ON COLUMN ledger.assertion.tolerance IS 'how far the relation may be missed and still hold (NULL: exactly), in the assertion''s currency';
COMMENT ON COLUMN ledger.assertion.blocking IS 'true: a failure keeps the day closing like any failed check; false: reported only';

CREATE OR REPLACE FUNCTION ledger._assertion_check()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
	acode text;
	acc record;
BEGIN
	-- an unknown currency is 22P02 (without CONTEXT), and the code is stored
	-- as the accounts and balances write it: 'cny' would match nothing
	NEW.currency := ledger._currency_code(NEW.currency);
	IF NEW.tolerance IS NOT NULL THEN
		IF ledger.currency(NEW.tolerance) <> NEW.currency THEN
			PERFORM ledger._raise('42804', pg_catalog.format('tolerance %s is not in the assertion''s currency %s', NEW.tolerance, NEW.currency),
				detail => format('Assertion "%s" compares balances in %s.', NEW.name, NEW.currency));
		END IF;
		IF ledger.minor_units(NEW.tolerance) < 0 THEN
			PERFORM ledger._raise('22023', 'tolerance must not be negative',
				detail => format('Assertion "%s" has tolerance %s.', NEW.name, NEW.tolerance));
		END IF;
	END IF;
	FOREACH acode IN ARRAY NEW.lhs || NEW.rhs LOOP
		SELECT a.code, a.currency, EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = a.code) AS summary
		  INTO acc FROM ledger.account a WHERE a.code = acode;
		IF NOT FOUND THEN
			PERFORM ledger._raise('23503', pg_catalog.format('account "%s" does not exist', acode),
				detail => format('Assertion "%s" names it on its %s side.', NEW.name,
						CASE WHEN acode = ANY (NEW.lhs) THEN 'left' ELSE 'right' END));
		END IF;
		IF NOT acc.summary AND acc.currency IS DISTINCT FROM NEW.currency THEN
			PERFORM ledger._raise('42804', pg_catalog.format('account "%s" holds %s, not %s', acode, COALESCE(acc.currency, 'no currency'), NEW.currency),
				detail => format('Assertion "%s" compares balances in %s; account "%s" would add nothing.',
						NEW.name, NEW.currency, acode));
		END IF;
	END LOOP;
	RETURN NEW;
END
$function$;
COMMENT ON FUNCTION ledger._assertion_check() IS
	'an assertion names existing accounts in its currency and a tolerance in that currency, not negative';
CREATE TRIGGER assertion_check BEFORE INSERT OR UPDATE ON ledger.assertion
	FOR EACH ROW EXECUTE FUNCTION ledger._assertion_check();

/*
 * Every assertion on the closing balances of book day d (its daily balances
 * once the cutoff wrote them), or on the current balances for d NULL or the
 * open day.  Sums are exact (numeric over minor units).
 */
CREATE OR REPLACE FUNCTION ledger._assertions(d date)
 RETURNS TABLE(name text, currency text, ok boolean, blocking boolean, detail text)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
	live boolean := d IS NULL OR EXISTS (SELECT 1 FROM ledger.book_day b WHERE b.book_date = d AND b.status = 'open');
	codes text[];
BEGIN
	-- only the accounts the assertions name are read (nothing at all without assertions)
	SELECT array_agg(DISTINCT c) INTO codes FROM ledger.assertion s, unnest(s.lhs || s.rhs) c;
	IF NOT EXISTS (SELECT 1 FROM ledger.assertion) THEN
		RETURN;
	END IF;
	RETURN QUERY
	WITH bal AS MATERIALIZED (
		SELECT v.account_code AS code, v.currency AS cur, ledger.minor_units(v.balance)::numeric AS units
		  FROM ledger.balances v WHERE live AND v.account_code = ANY (codes)
		UNION ALL
		SELECT a.code, r.currency, ledger.minor_units(r.closing)::numeric * ledger._normal_sign(a.kind, a.metadata)
		  FROM ledger.account a JOIN ledger.daily_balance r ON r.account_id = a.id AND r.book_date = d
		 WHERE NOT live AND a.code = ANY (codes)),
	sides AS (
		SELECT s.name, s.currency, s.relation, s.blocking, s.tolerance,
		       COALESCE(ledger.minor_units(s.tolerance), 0)::numeric AS tol,
		       (SELECT COALESCE(sum(b.units), 0) FROM unnest(s.lhs) c JOIN bal b ON b.code = c AND b.cur = s.currency) AS l,
		       (SELECT COALESCE(sum(b.units), 0) FROM unnest(s.rhs) c JOIN bal b ON b.code = c AND b.cur = s.currency) AS r,
		       (SELECT string_agg(format('"%s"', c), ', ') FROM unnest(s.lhs || s.rhs) c
		         WHERE NOT EXISTS (SELECT 1 FROM ledger.account x WHERE x.code = c)) AS missing
		  FROM ledger.assertion s),
	judged AS (
		SELECT sides.*,
		       sides.missing IS NULL AND CASE sides.relation
		         WHEN '=' THEN abs(sides.l - sides.r) <= sides.tol
		         WHEN '<=' THEN sides.l <= sides.r + sides.tol
		         ELSE sides.l + sides.tol >= sides.r END AS holds,
		       CASE sides.relation WHEN '=' THEN abs(sides.l - sides.r)
		         WHEN '<=' THEN sides.l - sides.r ELSE sides.r - sides.l END AS off
		  FROM sides)
	SELECT j.name, j.currency, j.holds, j.blocking,
	       CASE
	         WHEN j.missing IS NOT NULL THEN format('account %s does not exist', j.missing)
	         WHEN j.holds THEN format('%s %s %s%s',
	             ledger._format_units(j.l, j.currency), j.relation,
	             ledger._format_units(j.r, j.currency),
	             CASE WHEN j.tolerance IS NOT NULL THEN format(' (tolerance %s)', j.tolerance) ELSE '' END)
	         ELSE format('%s %s %s fails by %s%s',
	             ledger._format_units(j.l, j.currency), j.relation,
	             ledger._format_units(j.r, j.currency),
	             ledger._format_units(j.off, j.currency),
	             CASE WHEN j.tolerance IS NOT NULL THEN format(' (tolerance %s)', j.tolerance) ELSE '' END)
	       END
	  FROM judged j;
END
$function$;
COMMENT ON FUNCTION ledger._assertions(date) IS
	'every balance assertion on a day''s closing balances (the current ones for NULL or the open day)';

CREATE FUNCTION ledger.check_assertions()
	RETURNS TABLE(name text, ok boolean, detail text)
	LANGUAGE sql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT a.name, a.ok, CASE WHEN a.ok OR a.blocking THEN a.detail ELSE a.detail || ' (not blocking)' END
	  FROM ledger._assertions(NULL) a
	 ORDER BY a.name COLLATE "C"
$$;
COMMENT ON FUNCTION ledger.check_assertions() IS
	'evaluates every balance assertion (勾稽关系) on the current balances: name, ok, detail';

SELECT pg_catalog.pg_extension_config_dump('ledger.assertion', '');
REVOKE ALL ON ledger.assertion FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION ledger._assertion_check(), ledger._assertions(date), ledger.check_assertions() FROM PUBLIC;

-- ---- holds and the account history (issue 12) ----

-- held totals in the balance rows, the hold a voucher posts
ALTER TABLE ledger.account_balance ADD COLUMN held_debit bigint NOT NULL DEFAULT 0;
ALTER TABLE ledger.account_balance ADD COLUMN held_credit bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN ledger.account_balance.held_debit IS 'debits of the account''s pending holds booked into this slot, in minor units, positive';
COMMENT ON COLUMN ledger.account_balance.held_credit IS 'credits of the account''s pending holds booked into this slot, in minor units, positive';
ALTER TABLE ledger.voucher ADD COLUMN hold_id bigint NULL;
CREATE UNIQUE INDEX voucher_hold_id_key ON ledger.voucher (hold_id) WHERE hold_id IS NOT NULL;
COMMENT ON COLUMN ledger.voucher.hold_id IS 'the hold this voucher posts (set by ledger.post_hold only), if any';

-- folding a hot account's slots folds its held totals; an account with pending holds cannot close

-- an account a hold names is never deleted

-- the balances gain the held amounts and the available balance
-- sums beyond the range of an amount (a summary's roll-up, a total) are a
-- 22003 naming the account, in ledger.balances, balance(), available() and
-- trial_balance(): before the view that uses it
CREATE FUNCTION ledger._amount_of_sum(units numeric, currency text, account_code text, what text)
	RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_of_sum'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger._amount_of_sum(numeric, text, text, text) IS
	'minor units (numeric, a sum) as an amount; beyond the range of ledger.amount a 22003 naming the account (NULL: the total), the currency, what the sum is and its value';

CREATE OR REPLACE VIEW ledger.balances AS
	WITH leaf AS (
		SELECT a.id, a.currency, sum(b.units) AS units, sum(b.held_debit) AS held_debit,
		       sum(b.held_credit) AS held_credit
		  FROM ledger.account a
		  JOIN ledger.account_balance b ON b.account_id = a.id
		 WHERE NOT EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = a.code)
		   AND a.currency IS NOT NULL
		 GROUP BY a.id, a.currency),
	rolled AS (
		SELECT t.ancestor_id AS ancestor, l.currency, sum(l.units) AS units,
		       sum(l.held_debit) AS held_debit, sum(l.held_credit) AS held_credit
		  FROM ledger.account_tree t JOIN leaf l ON l.id = t.account_id
		 GROUP BY t.ancestor_id, l.currency)
	SELECT a.code AS account_code, a.name AS account_name, a.kind, r.currency,
	       ledger._amount_of_sum(r.units * ledger._normal_sign(a.kind, a.metadata), r.currency, a.code, 'balance') AS balance,
	       ledger._amount_of_sum(r.held_debit, r.currency, a.code, 'held debit total') AS held_debit,
	       ledger._amount_of_sum(r.held_credit, r.currency, a.code, 'held credit total') AS held_credit,
	       ledger._amount_of_sum(r.units * ledger._normal_sign(a.kind, a.metadata)
	           - CASE WHEN ledger._normal_sign(a.kind, a.metadata) > 0 THEN r.held_credit ELSE r.held_debit END,
	           r.currency, a.code, 'available balance') AS available
	  FROM rolled r JOIN ledger.account a ON a.id = r.ancestor;
COMMENT ON VIEW ledger.balances IS
	'current balance of every account on its normal side, summary accounts rolled up from their leaves (one row per currency), with the money pending holds reserve';
COMMENT ON COLUMN ledger.balances.account_code IS 'account code';
COMMENT ON COLUMN ledger.balances.account_name IS 'account name';
COMMENT ON COLUMN ledger.balances.kind IS 'account kind, which fixes the normal side';
COMMENT ON COLUMN ledger.balances.currency IS 'currency of the row (a multi-currency summary account has one row per currency)';
COMMENT ON COLUMN ledger.balances.balance IS 'current balance on the account''s normal side, summary accounts rolled up from their leaves';
COMMENT ON COLUMN ledger.balances.held_debit IS 'debits of pending holds (until ledger.expire_holds() marks a hold past its expiry, it is counted here)';
COMMENT ON COLUMN ledger.balances.held_credit IS 'credits of pending holds (until ledger.expire_holds() marks a hold past its expiry, it is counted here)';
COMMENT ON COLUMN ledger.balances.available IS 'balance less the held amounts that would lower it (ledger.available() also leaves out holds past their expiry)';

-- the daily balances record the held amounts at the close
ALTER TABLE ledger.daily_balance ADD COLUMN held_debit ledger.amount NULL;
ALTER TABLE ledger.daily_balance ADD COLUMN held_credit ledger.amount NULL;
COMMENT ON COLUMN ledger.daily_balance.held_debit IS 'debits of the holds pending at the close (created by the day, settled after it); NULL for days closed before version 1.1';
COMMENT ON COLUMN ledger.daily_balance.held_credit IS 'credits of the holds pending at the close (created by the day, settled after it); NULL for days closed before version 1.1';

COMMENT ON FUNCTION ledger.check_books(date) IS
	'the books'' checks for one day: vouchers_balanced, red_entries_reverse, entries_match_vouchers, entries_match_accounts, period_debits_equal_credits, closing_balances_net_zero, opening_plus_movement_equals_closing, summary_equals_children, balances_match_entries, holds_match_lines, snapshot_matches_entries, assertion:<name> for each balance assertion and, for a closed day, digest_matches';

-- the holds, their functions and views, the account history
/*
 * A hold is a two-phase voucher: its lines reserve money now (they count in
 * the held_debit / held_credit of the accounts' balance rows, which the
 * bound check reads under the row lock it takes anyway) and a later
 * ledger.post_hold() posts them, in full or in part, as a voucher;
 * ledger.void_hold() releases them, and a hold past its expires_at reserves
 * nothing (ledger.expire_holds() marks it).  Holds and their lines are
 * written only by those functions (ledger._hold_guard).
 */
CREATE SEQUENCE ledger.hold_id_seq;
COMMENT ON SEQUENCE ledger.hold_id_seq IS 'ids of ledger.hold';

CREATE TABLE ledger.hold (
	id                bigint NOT NULL DEFAULT nextval('ledger.hold_id_seq'),
	idempotency_key   text NOT NULL,
	status            text NOT NULL DEFAULT 'pending',
	book_date         date NOT NULL,
	summary           text NULL,
	ref               text NULL,
	metadata          jsonb NULL,
	created_at        timestamptz NOT NULL DEFAULT now(),
	expires_at        timestamptz NULL,
	settled_at        timestamptz NULL,
	voucher_id        bigint NULL,
	settled_book_date date NULL,
	reason            text NULL,
	created_by        text NOT NULL DEFAULT session_user,
	CONSTRAINT hold_pkey PRIMARY KEY (id),
	CONSTRAINT hold_idempotency_key_key UNIQUE (idempotency_key),
	CONSTRAINT hold_status_check CHECK (status IN ('pending', 'posted', 'voided', 'expired')),
	CONSTRAINT hold_settled_check CHECK ((status = 'pending') = (settled_at IS NULL)
		AND (status = 'pending') = (settled_book_date IS NULL)
		AND (status = 'posted') = (voucher_id IS NOT NULL))
);
ALTER SEQUENCE ledger.hold_id_seq OWNED BY ledger.hold.id;
CREATE INDEX hold_pending_idx ON ledger.hold (expires_at) WHERE status = 'pending';
CREATE INDEX hold_settled_book_date_idx ON ledger.hold (settled_book_date) WHERE settled_book_date IS NOT NULL;

COMMENT ON TABLE ledger.hold IS
	'holds (冻结 / 预授权 / 在途): two-phase vouchers that reserve money until posted, voided or expired; written only by the hold functions';
COMMENT ON COLUMN ledger.hold.id IS 'hold id';
COMMENT ON COLUMN ledger.hold.idempotency_key IS 'caller''s unique key: holding with the same key again returns the same hold';
COMMENT ON COLUMN ledger.hold.status IS 'pending, posted (by ledger.post_hold), voided (by ledger.void_hold) or expired (by ledger.expire_holds)';
COMMENT ON COLUMN ledger.hold.book_date IS 'the open book day when the hold was created';
COMMENT ON COLUMN ledger.hold.summary IS 'summary (摘要), the default summary of the voucher that posts it';
COMMENT ON COLUMN ledger.hold.ref IS 'business reference, carried to the voucher that posts it';
COMMENT ON COLUMN ledger.hold.metadata IS 'free-form attributes, carried to the voucher that posts it';
COMMENT ON COLUMN ledger.hold.created_at IS 'when the hold was created';
COMMENT ON COLUMN ledger.hold.expires_at IS 'from this moment the hold reserves nothing and cannot be posted; NULL: never';
COMMENT ON COLUMN ledger.hold.settled_at IS 'when the hold was posted, voided or marked expired';
COMMENT ON COLUMN ledger.hold.voucher_id IS 'the voucher that posted the hold';
COMMENT ON COLUMN ledger.hold.settled_book_date IS 'the open book day when the hold was settled (the daily balances count it held until then)';
COMMENT ON COLUMN ledger.hold.reason IS 'why the hold was voided';
COMMENT ON COLUMN ledger.hold.created_by IS 'session user that created the hold';

CREATE TABLE ledger.hold_line (
	hold_id    bigint NOT NULL,
	line_no    integer NOT NULL,
	account_id bigint NOT NULL,
	amount     ledger.amount NOT NULL,
	CONSTRAINT hold_line_pkey PRIMARY KEY (hold_id, line_no),
	CONSTRAINT hold_line_line_no_check CHECK (line_no > 0)
);
COMMENT ON TABLE ledger.hold_line IS 'lines of a hold: signed amounts (debit positive) on leaf accounts; immutable';
COMMENT ON COLUMN ledger.hold_line.hold_id IS 'the hold';
COMMENT ON COLUMN ledger.hold_line.line_no IS 'line number within the hold, and of the entry that posts it';
COMMENT ON COLUMN ledger.hold_line.account_id IS 'a leaf account, open when the hold was created';
COMMENT ON COLUMN ledger.hold_line.amount IS 'signed amount held: debit positive, credit negative, never zero';
CREATE INDEX hold_line_account_idx ON ledger.hold_line (account_id, hold_id);

/*
 * Hold lines are part of an account's history, as its entries are: once a
 * hold names an account, pending or settled, the account keeps its code,
 * kind, currency, normal side and parent and stays a leaf (the account
 * triggers), so that the hold's lines, posted, voided or still pending,
 * always match their account; and it is never deleted.
 */
CREATE FUNCTION ledger._account_hold(account_id bigint) RETURNS bigint
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	BEGIN ATOMIC
	SELECT min(l.hold_id) FROM ledger.hold_line l
	 WHERE l.account_id OPERATOR(pg_catalog.=) _account_hold.account_id;
	END;
COMMENT ON FUNCTION ledger._account_hold(bigint) IS
	'the first hold, pending or settled, with a line on the account; NULL if no hold names it';
REVOKE EXECUTE ON FUNCTION ledger._account_hold(bigint) FROM PUBLIC;

CREATE FUNCTION ledger._hold_guard() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ledger_hold_guard' LANGUAGE C;
COMMENT ON FUNCTION ledger._hold_guard() IS
	'statement trigger on ledger.hold and ledger.hold_line: only the hold functions write holds; hold lines never change (55000)';
CREATE TRIGGER hold_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger.hold
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._hold_guard();
CREATE TRIGGER hold_no_truncate BEFORE TRUNCATE ON ledger.hold
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._hold_guard();
CREATE TRIGGER hold_line_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger.hold_line
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._hold_guard();
CREATE TRIGGER hold_line_no_truncate BEFORE TRUNCATE ON ledger.hold_line
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._hold_guard();

-- --- the functions -----------------------------------------------------------

CREATE FUNCTION ledger.hold(idempotency_key text, accounts text[], amounts ledger.amount[],
		summary text DEFAULT NULL, ref text DEFAULT NULL, expires_at timestamptz DEFAULT NULL,
		metadata jsonb DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_hold'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.hold(text, text[], ledger.amount[], text, text, timestamptz, jsonb) IS
	'creates a pending hold (validated like a voucher, counted against floors and ceilings, no entry written) and returns its id; idempotent on idempotency_key';

CREATE FUNCTION ledger.hold(idempotency_key text, accounts text[], amounts text[],
		summary text DEFAULT NULL, ref text DEFAULT NULL, expires_at timestamptz DEFAULT NULL,
		metadata jsonb DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_hold'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.hold(text, text[], text[], text, text, timestamptz, jsonb) IS
	'ledger.hold with the amounts as text (''12.34 CNY''), for drivers that send a list of strings';

CREATE FUNCTION ledger.post_hold(hold_id bigint, idempotency_key text, amounts ledger.amount[] DEFAULT NULL,
		summary text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_post_hold'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.post_hold(bigint, text, ledger.amount[], text) IS
	'posts a pending hold as a voucher on the open day, in full (amounts NULL) or in part, releasing the rest; returns the voucher id, the same one for a replay of the key';

CREATE FUNCTION ledger.void_hold(hold_id bigint, reason text DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'ledger_void_hold'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.void_hold(bigint, text) IS
	'releases a pending hold (voided); a hold is settled once: a hold that is not pending is 55000';

CREATE FUNCTION ledger.expire_holds()
	RETURNS integer
	AS 'MODULE_PATHNAME', 'ledger_expire_holds'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.expire_holds() IS
	'marks the pending holds past their expires_at expired and releases their held amounts; returns how many (for pg_cron)';

/*
 * Money held on an account by pending holds past their expiry: counted in
 * the balance rows until ledger.expire_holds() marks them, but reserving
 * nothing.  The bound check reads it only when a bound looks broken.
 */
CREATE OR REPLACE FUNCTION ledger._expired_held(account_id bigint, OUT debit bigint, OUT credit bigint)
 RETURNS record
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
BEGIN ATOMIC
 SELECT (COALESCE(sum(ledger.minor_units(l.amount)) FILTER (WHERE (ledger.minor_units(l.amount) > 0)), (0)::numeric))::bigint AS "coalesce",
     (COALESCE((- sum(ledger.minor_units(l.amount)) FILTER (WHERE (ledger.minor_units(l.amount) < 0))), (0)::numeric))::bigint AS "coalesce"
    FROM (ledger.hold h
      JOIN ledger.hold_line l ON ((l.hold_id = h.id)))
   WHERE ((h.status = 'pending'::text) AND (h.expires_at <= now()) AND (l.account_id = _expired_held.account_id));
END;
COMMENT ON FUNCTION ledger._expired_held(bigint) IS
	'held debits and credits of an account''s pending holds past their expiry (they reserve nothing)';

/*
 * The available balance: the normal-side balance less the held amounts that
 * would lower it (held debits of a credit-normal account, held credits of a
 * debit-normal one), holds past their expiry left out.  A summary account
 * sums its leaves, on its own normal side.
 */
CREATE OR REPLACE FUNCTION ledger.available(code text)
 RETURNS ledger.amount
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_custom_plan'
 SET jit TO 'off'
AS $function$
DECLARE
	a ledger.account;
	sign integer;
	units numeric;
	low numeric;
	cur text;
	ncur bigint;
BEGIN
	IF available.code IS NULL THEN
		PERFORM ledger._raise('22004', 'code must not be null',
			detail => 'ledger.available() needs the code of an account.');
	END IF;
	SELECT * INTO a FROM ledger.account WHERE account.code = available.code;
	IF NOT FOUND THEN
		PERFORM ledger._raise('23503', pg_catalog.format('account "%s" does not exist', code),
			detail => format('No account in ledger.account has the code "%s"; account codes are case-sensitive.', code));
	END IF;
	sign := ledger._normal_sign(a.kind, a.metadata);
	SELECT sum(b.units),
	       sum(CASE WHEN sign > 0 THEN b.held_credit - x.credit ELSE b.held_debit - x.debit END),
	       min(l.currency), count(DISTINCT l.currency)
	  INTO units, low, cur, ncur
	  FROM ledger._account_closure c
	  JOIN ledger._leaf l ON l.id = c.account_id
	  CROSS JOIN LATERAL (
		SELECT sum(r.units) AS units, sum(r.held_debit) AS held_debit, sum(r.held_credit) AS held_credit
		  FROM ledger.account_balance r WHERE r.account_id = l.id) b
	  CROSS JOIN LATERAL ledger._expired_held(l.id) x
	 WHERE c.ancestor_id = a.id AND l.currency IS NOT NULL;
	IF ncur > 1 THEN
		PERFORM ledger._raise('42804', pg_catalog.format('account "%s" holds more than one currency', code),
			detail => format('Its leaf accounts hold %s currencies.', ncur),
			hint => 'Use ledger.balances for multi-currency summary accounts.');
	END IF;
	cur := COALESCE(cur, a.currency);
	IF cur IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN ledger._amount_of_sum(COALESCE(units, 0) * sign - COALESCE(low, 0), cur, a.code, 'available balance');
END
$function$;
COMMENT ON FUNCTION ledger.available(text) IS
	'available balance of an account: its normal-side balance less the money pending holds would take from it (holds past their expiry reserve nothing)';

-- --- views -----------------------------------------------------------------

CREATE VIEW ledger.holds AS
	SELECT h.id AS hold_id, h.idempotency_key, h.book_date, h.ref, h.summary, h.created_at, h.expires_at,
	       l.line_no, a.code AS account_code, a.name AS account_name,
	       CASE WHEN ledger.minor_units(l.amount) > 0 THEN l.amount END AS debit,
	       CASE WHEN ledger.minor_units(l.amount) < 0 THEN OPERATOR(ledger.-) l.amount END AS credit
	  FROM ledger.hold h
	  JOIN ledger.hold_line l ON l.hold_id = h.id
	  JOIN ledger.account a ON a.id = l.account_id
	 WHERE h.status = 'pending';
COMMENT ON VIEW ledger.holds IS 'pending holds, one row per line, debit and credit as positive amounts';
COMMENT ON COLUMN ledger.holds.hold_id IS 'the hold';
COMMENT ON COLUMN ledger.holds.idempotency_key IS 'the hold''s idempotency key';
COMMENT ON COLUMN ledger.holds.book_date IS 'the book day the hold was created on';
COMMENT ON COLUMN ledger.holds.ref IS 'business reference';
COMMENT ON COLUMN ledger.holds.summary IS 'summary (摘要)';
COMMENT ON COLUMN ledger.holds.created_at IS 'when the hold was created';
COMMENT ON COLUMN ledger.holds.expires_at IS 'when the hold stops reserving money (NULL: never)';
COMMENT ON COLUMN ledger.holds.line_no IS 'line number within the hold';
COMMENT ON COLUMN ledger.holds.account_code IS 'account code';
COMMENT ON COLUMN ledger.holds.account_name IS 'account name';
COMMENT ON COLUMN ledger.holds.debit IS 'amount held on the debit side, or NULL';
COMMENT ON COLUMN ledger.holds.credit IS 'amount held on the credit side, or NULL';

-- --- the account history (明细账) --------------------------------------------

/*
 * The rows come from a value-per-call C function, one per call; the SQL
 * function around it is one SELECT with a SQL-standard body, which the
 * planner inlines into the caller's query, so the rows stream to it instead
 * of being stored first in a function scan's tuplestore.  The body is parsed
 * when it is created: no name in it is looked up on the caller's search_path.
 * The C function's columns put the fixed-width ones and the balance first, so
 * that a caller reads them at fixed offsets in each row.
 * ledger._account_history() may be called by anyone but returns rows only to
 * a caller with EXECUTE on ledger.account_history() (42501 otherwise); it
 * reads the books as their owner.
 */
CREATE FUNCTION ledger._account_history(code text, from_date date, to_date date,
		OUT book_date date, OUT voucher_id bigint, OUT line_no integer, OUT created_at timestamptz,
		OUT balance ledger.amount, OUT debit ledger.amount, OUT credit ledger.amount, OUT ref text,
		OUT summary text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'ledger_account_history'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION ledger._account_history(text, date, date) IS
	'the rows of ledger.account_history(), one per call; only a caller with the right to call ledger.account_history() gets them (42501 otherwise)';

CREATE FUNCTION ledger.account_history(code text, from_date date, to_date date DEFAULT NULL)
	RETURNS TABLE(book_date date, voucher_id bigint, line_no integer, ref text, summary text,
		debit ledger.amount, credit ledger.amount, balance ledger.amount, created_at timestamptz)
	LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT (h.r).book_date, (h.r).voucher_id, (h.r).line_no, (h.r).ref, (h.r).summary,
	       (h.r).debit, (h.r).credit, (h.r).balance, (h.r).created_at
	  FROM (SELECT ledger._account_history(account_history.code, account_history.from_date,
	                                       account_history.to_date) AS r) h;
END;
COMMENT ON FUNCTION ledger.account_history(text, date, date) IS
	'the account history (明细账) of a leaf account: every entry of the book days from_date .. to_date (NULL: up to the open day) in posting order, with the normal-side balance after it';

-- --- dump registration and privileges ----------------------------------------

SELECT pg_catalog.pg_extension_config_dump('ledger.hold', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.hold_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.hold_line', '');

REVOKE ALL ON ledger.hold, ledger.hold_line, ledger.holds FROM PUBLIC;
REVOKE ALL ON SEQUENCE ledger.hold_id_seq FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION
	ledger._hold_guard(),
	ledger.hold(text, text[], ledger.amount[], text, text, timestamptz, jsonb),
	ledger.hold(text, text[], text[], text, text, timestamptz, jsonb),
	ledger.post_hold(bigint, text, ledger.amount[], text),
	ledger.void_hold(bigint, text),
	ledger.expire_holds(),
	ledger._expired_held(bigint),
	ledger.available(text),
	ledger.account_history(text, date, date)
	FROM PUBLIC;

-- ---- reliability: accounts under postings, normal side, reconcilable accounts, long readers (issue 10: 1, 3, 5, 6, 8) ----

-- accounts: a change of code, kind, currency, parent or normal side waits for
-- postings in flight and is refused once any exists; deletion likewise

-- check_books: entries_match_accounts

-- the cutoff runs its steps at REPEATABLE READ

-- reconciliation: only accounts marked reconcilable, read without predicate locks
-- (_account_blocked takes the table's row type in a SQL-standard body, which
-- forbids the ALTER: it is made again, the same, around it)
DROP FUNCTION ledger._account_blocked(ledger.account);
ALTER TABLE ledger.account ADD COLUMN reconcilable boolean NOT NULL DEFAULT false;
-- account codes: the characters a code may not hold are listed by code point
-- (1.0's [:space:][:cntrl:] depended on the database's locale and let through
-- look-alike codes such as '1002' followed by a no-break space, a zero-width
-- space or a bidirectional override).  A code 1.0 accepted that 1.1 refuses
-- stops the update, naming it.
DO $$
DECLARE
	bad text;
	n bigint;
BEGIN
	SELECT pg_catalog.string_agg(pg_catalog.format('%s (id %s)', pg_catalog.quote_literal(a.code), a.id), ', ' ORDER BY a.id),
	       pg_catalog.count(*)
	  INTO bad, n
	  FROM (SELECT a.id, a.code FROM ledger.account a
	         WHERE a.code !~ '^[^\u0001-\u0020\u007f-\u00a0\u00ad\u0600-\u0605\u061c\u06dd\u070f\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff\ufff9-\ufffb\U000e0001\U000e0020-\U000e007f]{1,64}$'
	         ORDER BY a.id LIMIT 20) a;
	IF n > 0 THEN
		PERFORM ledger._raise('23514', 'account codes with white space, control, format or bidirectional characters',
			detail => pg_catalog.format('Version 1.1 refuses these codes, which look like other codes: %s%s.', bad,
					CASE WHEN n >= 20 THEN ' and maybe more' ELSE '' END),
			hint => 'Give those accounts codes without such characters (UPDATE ledger.account SET code = ... WHERE id = ...) under version 1.0, then run ALTER EXTENSION ledger UPDATE again.');
	END IF;
END
$$;
ALTER TABLE ledger.account DROP CONSTRAINT account_code_check;
ALTER TABLE ledger.account ADD CONSTRAINT account_code_check CHECK (code ~ '^[^\u0001-\u0020\u007f-\u00a0\u00ad\u0600-\u0605\u061c\u06dd\u070f\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff\ufff9-\ufffb\U000e0001\U000e0020-\U000e007f]{1,64}$');
COMMENT ON COLUMN ledger.account.reconcilable IS 'a clearing or settlement account that ledger.reconcile may read (set by the accounts operator); reconciling any other account is refused';
CREATE OR REPLACE FUNCTION ledger._account_blocked(a ledger.account)
 RETURNS text
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
RETURN CASE WHEN (SELECT true FROM ledger.account c WHERE (c.parent_code = (_account_blocked.a).code) ORDER BY c.parent_code LIMIT 1) THEN 'a summary account'::text WHEN ((a).status <> 'open'::text) THEN (a).status ELSE NULL::text END;
COMMENT ON FUNCTION ledger._account_blocked(ledger.account) IS 'why an account takes no postings, NULL if it does';
REVOKE EXECUTE ON FUNCTION ledger._account_blocked(ledger.account) FROM PUBLIC;
-- the accounts already reconciled in 1.0 stay reconcilable
UPDATE ledger.account SET reconcilable = true
 WHERE code IN (SELECT r.account_code FROM ledger.recon_run r);

CREATE FUNCTION ledger._recon_items(account_id bigint, book_date date)
	RETURNS TABLE(voucher_id bigint, ref text, amount ledger.amount, reversed boolean,
		created_at timestamptz, metadata jsonb)
	AS 'MODULE_PATHNAME', 'ledger_recon_items'
	LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ledger._recon_items(bigint, date) IS
	'the vouchers of a book date with a ref and entries on an account: their sum there, whether they were reversed, their created_at and metadata; reads the books without predicate locks';
CREATE FUNCTION ledger._recon_voucher(voucher_id bigint,
		OUT reversed boolean, OUT created_at timestamptz, OUT metadata jsonb)
	AS 'MODULE_PATHNAME', 'ledger_recon_voucher'
	LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ledger._recon_voucher(bigint) IS
	'whether a voucher reversing the given one exists, and its created_at and metadata; reads the books without predicate locks';
REVOKE EXECUTE ON FUNCTION ledger._recon_items(bigint, date), ledger._recon_voucher(bigint) FROM PUBLIC;

-- ---- statement loaders: the channels' and banks' own files, parsed in C (issue 11) ----

ALTER TABLE ledger.statement_import DROP CONSTRAINT statement_import_format_check;
ALTER TABLE ledger.statement_import ADD CONSTRAINT statement_import_format_check
	CHECK (format IN ('wechat', 'alipay', 'csv', 'wechat_fundflow', 'alipay_account', 'mt940', 'camt053'));
COMMENT ON TABLE ledger.statement_import IS
	'one row per statement file loaded by a loader (load_wechat_bill, load_wechat_fundflow, load_alipay_bill, load_alipay_account, load_statement_csv), one per bank statement (load_mt940, load_camt053)';
COMMENT ON COLUMN ledger.statement_import.format IS 'wechat (微信支付交易账单), wechat_fundflow (微信支付资金账单), alipay (支付宝业务明细), alipay_account (支付宝账务明细), mt940 (SWIFT MT940), camt053 (ISO 20022 camt.053) or csv (generic)';

-- the statement files as the loaders received them, kept once per file: the
-- evidence of what the channel or bank served, and where each line's raw
-- fields come from (ledger.statement_raw)
CREATE SEQUENCE ledger.statement_file_id_seq;
COMMENT ON SEQUENCE ledger.statement_file_id_seq IS 'ids of ledger.statement_file';

CREATE TABLE ledger.statement_file (
	id         bigint NOT NULL DEFAULT nextval('ledger.statement_file_id_seq'),
	source     text NOT NULL,
	format     text NOT NULL,
	ref_field  text NULL,
	encoding   text NOT NULL,
	content    bytea NOT NULL,
	loaded_at  timestamptz NOT NULL DEFAULT now(),
	loaded_by  text NOT NULL DEFAULT session_user,
	CONSTRAINT statement_file_pkey PRIMARY KEY (id),
	CONSTRAINT statement_file_format_check CHECK (format IN ('wechat', 'wechat_fundflow', 'alipay', 'alipay_account', 'mt940', 'camt053')),
	CONSTRAINT statement_file_encoding_check CHECK (encoding IN ('UTF8', 'GBK'))
);
ALTER SEQUENCE ledger.statement_file_id_seq OWNED BY ledger.statement_file.id;
-- lz4 where the server has it: a bill compresses about tenfold, fast
DO $$
BEGIN
	IF 'lz4' = ANY ((SELECT s.enumvals FROM pg_catalog.pg_settings s WHERE s.name = 'default_toast_compression')::text[]) THEN
		ALTER TABLE ledger.statement_file ALTER COLUMN content SET COMPRESSION lz4;
	END IF;
END
$$;
COMMENT ON TABLE ledger.statement_file IS
	'the statement files the loaders read (one row per call of load_wechat_bill, load_wechat_fundflow, load_alipay_bill, load_alipay_account, load_mt940, load_camt053), kept as received; ledger.statement_raw() reads each line back from here';
COMMENT ON COLUMN ledger.statement_file.id IS 'file id, repeated on the imports (statement_import.file_id) made from it';
COMMENT ON COLUMN ledger.statement_file.source IS 'the source argument of the load';
COMMENT ON COLUMN ledger.statement_file.format IS 'the loader''s format: wechat, wechat_fundflow, alipay, alipay_account, mt940 or camt053';
COMMENT ON COLUMN ledger.statement_file.ref_field IS 'the ref_field argument of load_wechat_bill; NULL for the other loaders';
COMMENT ON COLUMN ledger.statement_file.encoding IS 'GBK for an Alipay file passed as downloaded (bytea), else UTF8 (text, or staged with \copy)';
COMMENT ON COLUMN ledger.statement_file.content IS 'the file''s bytes as the loader read them (compressed in storage)';
COMMENT ON COLUMN ledger.statement_file.loaded_at IS 'when the file was loaded';
COMMENT ON COLUMN ledger.statement_file.loaded_by IS 'session user that loaded it';

-- the lines of an import are found through (source, statement_date); an
-- index on import_id only slowed every load
DROP INDEX ledger.statement_line_import_idx;
-- codes compared byte by byte; ids cached per session (see 11-recon.sql)
ALTER TABLE ledger.statement_line
	ALTER COLUMN source TYPE text COLLATE "C",
	ALTER COLUMN ref TYPE text COLLATE "C",
	ALTER COLUMN external_id TYPE text COLLATE "C";
ALTER SEQUENCE ledger.statement_line_id_seq CACHE 100;
ALTER TABLE ledger.statement_import ADD COLUMN file_id bigint NULL;
ALTER TABLE ledger.statement_import ADD CONSTRAINT statement_import_file_id_fkey
	FOREIGN KEY (file_id) REFERENCES ledger.statement_file (id) ON DELETE SET NULL;
COMMENT ON COLUMN ledger.statement_import.file_id IS 'the ledger.statement_file it was read from; NULL for the generic CSV loader, for loads before version 1.1, or once the file was deleted';
COMMENT ON COLUMN ledger.statement_line.raw IS 'the line as the channel wrote it (column name → value), as given to COPY or by load_statement_csv; the other loaders keep the file instead (ledger.statement_raw gives each line), unless ledger.statement_raw_lines is on';
SELECT pg_catalog.pg_extension_config_dump('ledger.statement_file', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.statement_file_id_seq', '');
REVOKE ALL ON ledger.statement_file FROM PUBLIC;
REVOKE ALL ON SEQUENCE ledger.statement_file_id_seq FROM PUBLIC;

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
REVOKE EXECUTE ON FUNCTION ledger._statement_lock(text) FROM PUBLIC;

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
CREATE OR REPLACE FUNCTION ledger._statement_text(bill text)
 RETURNS text
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
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
$function$;
COMMENT ON FUNCTION ledger._statement_text(text) IS
	'loader helper: the file given as the argument, or the lines staged in ledger_statement_stage joined again (the stage is consumed)';

/*
 * Loads the parsed lines of one channel bill (WeChat, Alipay) as the
 * statement of (source, statement_date), replacing what that source and date
 * had.  Serialised with ledger.reconcile of the same source.  The parser
 * checks everything; a bad file raises before anything is written.
 */
CREATE OR REPLACE FUNCTION ledger._statement_load(source text, statement_date date, format text, bill text, gbk bytea, ref_field text)
 RETURNS ledger.statement_import
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
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
$function$;
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
CREATE OR REPLACE FUNCTION ledger.load_wechat_bill(source text, statement_date date, bill text DEFAULT NULL::text, ref_field text DEFAULT 'out_trade_no'::text)
 RETURNS ledger.statement_import
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
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
$function$;
COMMENT ON FUNCTION ledger.load_wechat_bill(text, date, text, text) IS
	'loads a WeChat Pay trade bill (交易账单, bill type ALL, SUCCESS or REFUND) as the statement of (source, statement_date), replacing that source and date; checks the summary rows; ref_field out_trade_no (商户订单号, default) or transaction_id (微信订单号)';

/*
 * The WeChat Pay fund-flow bill (资金账单) of one fund account: 记账时间,
 * 微信支付业务单号, 资金流水单号, ..., 收支类型, 收支金额(元), ..., 业务凭证号,
 * then 资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额 — all checked.
 * Income is positive, expense negative; ref the 业务凭证号 (the
 * 微信支付业务单号 when empty); external_id the 资金流水单号.
 */
CREATE OR REPLACE FUNCTION ledger.load_wechat_fundflow(source text, statement_date date, bill text DEFAULT NULL::text)
 RETURNS ledger.statement_import
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
BEGIN
	PERFORM ledger._statement_check_args(source, statement_date);
	RETURN ledger._statement_load(source, statement_date, 'wechat_fundflow', COALESCE(bill, ledger._statement_text(NULL)), NULL, NULL);
END
$function$;
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
CREATE OR REPLACE FUNCTION ledger.load_alipay_bill(source text, statement_date date, bill bytea DEFAULT NULL::bytea)
 RETURNS ledger.statement_import
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
BEGIN
	PERFORM ledger._statement_check_args(source, statement_date);
	IF bill IS NOT NULL THEN
		RETURN ledger._statement_load(source, statement_date, 'alipay', NULL, bill, NULL);
	END IF;
	RETURN ledger._statement_load(source, statement_date, 'alipay', ledger._statement_text(NULL), NULL, NULL);
END
$function$;
COMMENT ON FUNCTION ledger.load_alipay_bill(text, date, bytea) IS
	'loads an Alipay trade bill (业务明细, GBK CSV with # header and footer lines) as the statement of (source, statement_date), replacing that source and date; checks the period and the footer''s counts and amounts';

/*
 * The Alipay account statement (支付宝账务明细), GBK: '#' header lines, the
 * column header (账务流水号,业务流水号,商户订单号,...,收入金额（+元）,支出金额（-元）,...),
 * rows, and the footer #支出合计：N笔，共X元 / #收入合计：N笔，共X元, checked.
 * amount = 收入金额 − 支出金额; ref the 商户订单号 (the 业务流水号 when empty);
 * external_id the 账务流水号.
 */
CREATE OR REPLACE FUNCTION ledger.load_alipay_account(source text, statement_date date, bill bytea DEFAULT NULL::bytea)
 RETURNS ledger.statement_import
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
BEGIN
	PERFORM ledger._statement_check_args(source, statement_date);
	IF bill IS NOT NULL THEN
		RETURN ledger._statement_load(source, statement_date, 'alipay_account', NULL, bill, NULL);
	END IF;
	RETURN ledger._statement_load(source, statement_date, 'alipay_account', ledger._statement_text(NULL), NULL, NULL);
END
$function$;
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
CREATE OR REPLACE FUNCTION ledger._statement_load_bank(source text, format text, bill text)
 RETURNS SETOF ledger.statement_import
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
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
$function$;
COMMENT ON FUNCTION ledger._statement_load_bank(text, text, text) IS
	'loader helper: parses a bank statement file (mt940, camt053) and loads each of its statements as an import of its source and closing date';

/*
 * SWIFT MT940 customer statements: :20: :25: :28C: :60F:/:60M:, :61: lines
 * with their :86: details, :62F:/:62M:, several messages (statements,
 * accounts, currencies) per file, with or without the {1:}{2:}{4: ... -}
 * envelope.  Each statement must satisfy opening + lines = closing.
 */
CREATE OR REPLACE FUNCTION ledger.load_mt940(source text, statement text DEFAULT NULL::text)
 RETURNS SETOF ledger.statement_import
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
BEGIN
	RETURN QUERY SELECT * FROM ledger._statement_load_bank(source, 'mt940', COALESCE(statement, ledger._statement_text(NULL)));
END
$function$;
COMMENT ON FUNCTION ledger.load_mt940(text, text) IS
	'loads a SWIFT MT940 file: one import per statement, dated by its closing balance (:62F:/:62M:), source || ''/'' || :25: when the file holds several accounts; credit +, debit −; ref the customer reference (else the bank reference), external_id the bank reference; opening + lines = closing checked';

/*
 * ISO 20022 camt.053 (BankToCustomerStatement, camt.053.001.02 to .13):
 * every <Stmt> is one import; booked entries (<Sts> BOOK) are its lines;
 * opening (OPBD) + entries = closing (CLBD) is checked.
 */
CREATE OR REPLACE FUNCTION ledger.load_camt053(source text, statement text DEFAULT NULL::text)
 RETURNS SETOF ledger.statement_import
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
BEGIN
	RETURN QUERY SELECT * FROM ledger._statement_load_bank(source, 'camt053', COALESCE(statement, ledger._statement_text(NULL)));
END
$function$;
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
CREATE OR REPLACE FUNCTION ledger.statement_raw(import_id bigint)
 RETURNS TABLE(line_no integer, raw jsonb)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
$function$;
COMMENT ON FUNCTION ledger.statement_raw(bigint) IS
	'each line of a statement import as the channel or bank wrote it (column name → value), read back from the file kept in ledger.statement_file; the lines'' own raw for imports without one';

-- ledger._parse_statement() and _parse_statement_gbk() only parse the text
-- they are given (ledger.statement_raw runs them with the caller's rights)
REVOKE EXECUTE ON FUNCTION
	ledger._statement_parsed(), ledger._statement_text(text), ledger._statement_load(text, date, text, text, bytea, text),
	ledger._statement_load_bank(text, text, text), ledger._statement_heads(text, text, text),
	ledger._statement_write(text, text, bytea, text, text, text[], date[], bigint[], text[], integer[]),
	ledger._statement_keep(text, text, text, text, bytea),
	ledger._statement_check(text, text, bytea, text, date, text),
	ledger.load_wechat_fundflow(text, date, text), ledger.load_alipay_account(text, date, bytea),
	ledger.load_mt940(text, text), ledger.load_camt053(text, text)
	FROM PUBLIC;

CREATE OR REPLACE FUNCTION ledger._account_after()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
	sign integer := ledger._normal_sign(NEW.kind, NEW.metadata);
	nslots integer;
	bal bigint;
BEGIN
	IF TG_OP = 'INSERT' THEN
		nslots := CASE WHEN NEW.hot THEN ledger._hot_slots() ELSE 1 END;
		INSERT INTO ledger.account_balance (account_id, slot, blocked, floor_units, ceiling_units)
			SELECT NEW.id, s, ledger._account_blocked(NEW),
				CASE WHEN s = 0 THEN ledger.minor_units(NEW.floor) END,
				CASE WHEN s = 0 THEN ledger.minor_units(NEW.ceiling) END
			FROM generate_series(0, nslots - 1) s;
	ELSE
		IF NEW.hot AND NOT OLD.hot THEN
			nslots := ledger._hot_slots();
			-- each slot of a hot account holds at most its share of the range
			-- of ledger.amount, so that their sum always fits (see posting.c)
			SELECT sum(b.units) INTO bal FROM ledger.account_balance b WHERE b.account_id = NEW.id;
			IF abs(COALESCE(bal, 0)::numeric) > 9223372036854775807 / nslots THEN
				PERFORM ledger._raise('22003', pg_catalog.format('balance of account "%s" is too large for a hot account', NEW.code),
					detail => format('Its balance is %s; spread over %s slots, a hot account holds at most %s either side of zero in each.',
							ledger.amount_of_units(bal * sign, NEW.currency), nslots,
							ledger.amount_of_units(9223372036854775807 / nslots, NEW.currency)));
			END IF;
			INSERT INTO ledger.account_balance (account_id, slot, blocked)
				SELECT NEW.id, s, ledger._account_blocked(NEW) FROM generate_series(1, nslots - 1) s;
		ELSIF OLD.hot AND NOT NEW.hot THEN
			-- fold the slots into slot 0
			WITH gone AS (
				DELETE FROM ledger.account_balance WHERE account_id = NEW.id AND slot > 0
					RETURNING units, held_debit, held_credit)
			UPDATE ledger.account_balance
				SET units = units + (SELECT COALESCE(sum(units), 0) FROM gone)::bigint,
					held_debit = held_debit + (SELECT COALESCE(sum(held_debit), 0) FROM gone)::bigint,
					held_credit = held_credit + (SELECT COALESCE(sum(held_credit), 0) FROM gone)::bigint
				WHERE account_id = NEW.id AND slot = 0;
		END IF;
		UPDATE ledger.account_balance
			SET blocked = ledger._account_blocked(NEW),
				floor_units = CASE WHEN slot = 0 THEN ledger.minor_units(NEW.floor) END,
				ceiling_units = CASE WHEN slot = 0 THEN ledger.minor_units(NEW.ceiling) END
			WHERE account_id = NEW.id;
		IF NEW.status = 'closed' AND OLD.status <> 'closed' THEN
			SELECT sum(units) INTO bal FROM ledger.account_balance WHERE account_id = NEW.id;
			IF COALESCE(bal, 0) <> 0 THEN
				PERFORM ledger._raise('55000', pg_catalog.format('cannot close account "%s"', NEW.code),
					detail => format('Its balance is %s; only an account with a zero balance can be closed.',
							ledger.amount_of_units(bal * sign, NEW.currency)),
					hint => 'Move the balance to another account with a voucher first.');
			END IF;
			IF EXISTS (SELECT 1 FROM ledger.account_balance WHERE account_id = NEW.id
			            GROUP BY account_id HAVING sum(held_debit) <> 0 OR sum(held_credit) <> 0) THEN
				PERFORM ledger._raise('55000', pg_catalog.format('cannot close account "%s"', NEW.code),
					detail => 'Pending holds reserve money on it; only an account without pending holds can be closed.',
					hint => 'Post or void its holds first (ledger.holds lists them).');
			END IF;
		END IF;
		IF OLD.parent_code IS NOT NULL AND OLD.parent_code IS DISTINCT FROM NEW.parent_code THEN
			UPDATE ledger.account_balance b SET blocked = ledger._account_blocked(p)
				FROM ledger.account p WHERE p.code = OLD.parent_code AND b.account_id = p.id;
		END IF;
	END IF;
	IF NEW.parent_code IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.parent_code IS DISTINCT FROM OLD.parent_code) THEN
		UPDATE ledger.account_balance b SET blocked = 'a summary account'
			FROM ledger.account p WHERE p.code = NEW.parent_code AND b.account_id = p.id
			  AND b.blocked IS DISTINCT FROM 'a summary account';
	END IF;

	-- the tree: a new account sits under its parent's ancestors; a moved one
	-- takes its sub-accounts along
	IF TG_OP = 'INSERT' THEN
		INSERT INTO ledger.account_tree (account_id, ancestor_id, depth)
		SELECT NEW.id, NEW.id, 0
		UNION ALL
		SELECT NEW.id, t.ancestor_id, t.depth + 1
		  FROM ledger.account_tree t JOIN ledger.account p ON p.id = t.account_id
		 WHERE p.code = NEW.parent_code;
	ELSIF NEW.parent_code IS DISTINCT FROM OLD.parent_code THEN
		DELETE FROM ledger.account_tree t
		 WHERE t.account_id IN (SELECT s.account_id FROM ledger.account_tree s WHERE s.ancestor_id = NEW.id)
		   AND t.ancestor_id IN (SELECT u.ancestor_id FROM ledger.account_tree u
		                          WHERE u.account_id = NEW.id AND u.depth > 0);
		INSERT INTO ledger.account_tree (account_id, ancestor_id, depth)
		SELECT s.account_id, t.ancestor_id, s.depth + 1 + t.depth
		  FROM ledger.account_tree s, ledger.account_tree t JOIN ledger.account p ON p.id = t.account_id
		 WHERE s.ancestor_id = NEW.id AND p.code = NEW.parent_code;
	END IF;
	RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION ledger._account_before()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
	parent ledger.account;
	posted boolean := false;
	held bigint;
	fix text;
	bal bigint;
	nsign integer;
	held_low numeric;
	held_high numeric;
	lvl integer;
	below integer;
BEGIN
	IF NEW.code IS NULL OR NEW.code !~ '^[^\u0001-\u0020\u007f-\u00a0\u00ad\u0600-\u0605\u061c\u06dd\u070f\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff\ufff9-\ufffb\U000e0001\U000e0020-\U000e007f]{1,64}$' THEN
		PERFORM ledger._raise('23514', pg_catalog.format('invalid account code "%s"', NEW.code),
			detail => CASE WHEN pg_catalog.length(NEW.code) > 64
				THEN pg_catalog.format('It is %s characters long; an account code is 1 to 64 characters (not bytes) without white space, control, format or bidirectional characters.',
					pg_catalog.length(NEW.code))
				ELSE 'An account code is 1 to 64 characters without white space, control, format or bidirectional characters.' END);
	END IF;
	-- one spelling per code: a decomposed form (e + U+0301 for é) looks like
	-- its composed form and would be another account to ledger.post
	IF (TG_OP = 'INSERT' OR NEW.code IS DISTINCT FROM OLD.code)
			AND pg_catalog.getdatabaseencoding() = 'UTF8' AND NEW.code IS NOT NFC NORMALIZED THEN
		PERFORM ledger._raise('23514', pg_catalog.format('invalid account code "%s"', NEW.code),
			detail => pg_catalog.format('The code is not in Unicode normalization form NFC: it looks like "%s" (%s characters, not %s) and would be another account to ledger.post.',
				pg_catalog.normalize(NEW.code, 'NFC'), pg_catalog.length(pg_catalog.normalize(NEW.code, 'NFC')), pg_catalog.length(NEW.code)),
			hint => 'Write the code in NFC, e.g. normalize(code, NFC).');
	END IF;
	IF NEW.kind IS NULL OR NEW.kind NOT IN ('asset', 'liability', 'common', 'equity', 'cost', 'revenue', 'expense') THEN
		PERFORM ledger._raise('23514', pg_catalog.format('invalid kind "%s" of account "%s"', NEW.kind, NEW.code),
			detail => 'The kind is one of asset, liability, common, equity, cost, revenue, expense.');
	END IF;
	IF NEW.status IS NULL OR NEW.status NOT IN ('open', 'frozen', 'closed') THEN
		PERFORM ledger._raise('23514', pg_catalog.format('invalid status "%s" of account "%s"', NEW.status, NEW.code),
			detail => 'The status is open, frozen or closed.');
	END IF;
	IF NEW.metadata ? 'normal_side' AND (NEW.kind <> 'common' OR NEW.metadata->>'normal_side' NOT IN ('debit', 'credit')) THEN
		PERFORM ledger._raise('23514', pg_catalog.format('invalid normal side of account "%s"', NEW.code),
			detail => 'Only a common account names its normal side, and it is debit or credit.');
	END IF;
	IF NEW.hot AND (NEW.floor IS NOT NULL OR NEW.ceiling IS NOT NULL) THEN
		PERFORM ledger._raise('23514', pg_catalog.format('hot account "%s" cannot have a floor or ceiling', NEW.code),
			detail => 'A hot account spreads its balance over several slots; bounds need one row to check.');
	END IF;
	IF NEW.currency IS NOT NULL THEN
		NEW.currency := ledger._currency_code(NEW.currency);
	END IF;
	IF TG_OP = 'UPDATE' THEN
		IF NEW.id IS DISTINCT FROM OLD.id THEN
			PERFORM ledger._raise('55000', pg_catalog.format('cannot change the id of account "%s"', OLD.code),
				detail => format('Account "%s" has id %s, to which its balance rows and entries refer; an account keeps its id.', OLD.code, OLD.id));
		END IF;
		IF NEW.code IS DISTINCT FROM OLD.code OR NEW.kind IS DISTINCT FROM OLD.kind
			OR NEW.currency IS DISTINCT FROM OLD.currency OR NEW.parent_code IS DISTINCT FROM OLD.parent_code
			OR ledger.normal_side(NEW.kind, NEW.metadata) IS DISTINCT FROM ledger.normal_side(OLD.kind, OLD.metadata) THEN
			-- wait for posters that hold the balance rows, then look for their
			-- entries with a snapshot taken after they ended
			PERFORM 1 FROM ledger.account_balance b WHERE b.account_id = OLD.id FOR UPDATE;
			posted := ledger._account_posted(OLD.id);
			-- hold lines are history too (ledger.hold takes the same rows)
			IF NOT posted THEN
				held := ledger._account_hold(OLD.id);
			END IF;
		END IF;
		-- entries, or hold lines (pending or settled), are history the account must keep matching
		IF posted OR held IS NOT NULL THEN
			fix := CASE WHEN posted THEN 'Open a new account and move the balance with a voucher.'
			            ELSE 'Open a new account and hold or post there instead.' END;
			IF NEW.code IS DISTINCT FROM OLD.code OR NEW.kind IS DISTINCT FROM OLD.kind
				OR NEW.currency IS DISTINCT FROM OLD.currency OR NEW.parent_code IS DISTINCT FROM OLD.parent_code THEN
				PERFORM ledger._raise('55000', pg_catalog.format('cannot change the code, kind, currency or parent of account "%s"', OLD.code),
					detail => CASE WHEN posted THEN 'Entries have been posted to the account; its history would change.'
					               ELSE format('Hold %s has a line on the account; its lines, pending or settled, would no longer match it.', held) END,
					hint => fix);
			END IF;
			IF ledger.normal_side(NEW.kind, NEW.metadata) IS DISTINCT FROM ledger.normal_side(OLD.kind, OLD.metadata) THEN
				PERFORM ledger._raise('55000', pg_catalog.format('cannot change the normal side of account "%s"', OLD.code),
					detail => CASE WHEN posted
						THEN format('Entries have been posted to the account; its balances are on the %s side and would all turn around.',
						            ledger.normal_side(OLD.kind, OLD.metadata))
						ELSE format('Hold %s has a line on the account; what holds take from it is counted on the %s side, which would turn around.',
						            held, ledger.normal_side(OLD.kind, OLD.metadata)) END,
					hint => fix);
			END IF;
		END IF;
		IF OLD.status = 'closed' AND NEW.status <> 'closed' THEN
			PERFORM ledger._raise('55000', pg_catalog.format('account "%s" is closed', OLD.code),
				detail => 'A closed account cannot be reopened.');
		END IF;
	END IF;

	IF (NEW.floor IS NOT NULL OR NEW.ceiling IS NOT NULL) AND NEW.currency IS NULL THEN
		PERFORM ledger._raise('22023', pg_catalog.format('account "%s" has a floor or ceiling but no currency', NEW.code),
			detail => format('The bounds of account "%s" (floor %s, ceiling %s) are amounts of its currency; an account without a currency has no balance to bound.',
					NEW.code, COALESCE(NEW.floor::text, 'none'), COALESCE(NEW.ceiling::text, 'none')));
	END IF;
	IF NEW.floor IS NOT NULL AND ledger.currency(NEW.floor) <> NEW.currency THEN
		PERFORM ledger._raise('42804', pg_catalog.format('floor %s of account "%s" is not in its currency %s', NEW.floor, NEW.code, NEW.currency),
			detail => format('Account "%s" holds %s; its floor must be an amount in %s, e.g. ''%s''.',
					NEW.code, NEW.currency, NEW.currency, ledger.zero(NEW.currency)));
	END IF;
	IF NEW.ceiling IS NOT NULL AND ledger.currency(NEW.ceiling) <> NEW.currency THEN
		PERFORM ledger._raise('42804', pg_catalog.format('ceiling %s of account "%s" is not in its currency %s', NEW.ceiling, NEW.code, NEW.currency),
			detail => format('Account "%s" holds %s; its ceiling must be an amount in %s.',
					NEW.code, NEW.currency, NEW.currency));
	END IF;
	IF NEW.floor IS NOT NULL AND NEW.ceiling IS NOT NULL AND NEW.floor OPERATOR(ledger.>) NEW.ceiling THEN
		PERFORM ledger._raise('22023', pg_catalog.format('floor %s of account "%s" is above its ceiling %s', NEW.floor, NEW.code, NEW.ceiling),
			detail => format('No balance of account "%s" could be at least %s and at most %s.', NEW.code, NEW.floor, NEW.ceiling));
	END IF;

	-- kind and currency follow the parent: checked when either or the parent
	-- changes; the parent's state, postings and holds when the parent changes
	IF NEW.parent_code IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.parent_code IS DISTINCT FROM OLD.parent_code
			OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.currency IS DISTINCT FROM OLD.currency) THEN
		SELECT * INTO parent FROM ledger.account WHERE code = NEW.parent_code;
		IF NOT FOUND THEN
			PERFORM ledger._raise('23503', pg_catalog.format('parent account "%s" of account "%s" does not exist', NEW.parent_code, NEW.code),
				detail => format('Account "%s" names "%s" as its parent_code; no account in ledger.account has that code.',
						NEW.code, NEW.parent_code),
				hint => 'Open the parent account first.');
		END IF;
		IF parent.kind <> NEW.kind THEN
			PERFORM ledger._raise('22023', pg_catalog.format('account "%s" is of kind %s, its parent "%s" of kind %s', NEW.code, NEW.kind, parent.code, parent.kind),
				detail => format('A summary account adds up its sub-accounts, so account "%s" under "%s" must be of kind %s.',
						NEW.code, parent.code, parent.kind),
				hint => 'Sub-accounts have the kind of the account they belong to.');
		END IF;
		IF parent.currency IS NOT NULL AND parent.currency IS DISTINCT FROM NEW.currency THEN
			PERFORM ledger._raise('42804', pg_catalog.format('account "%s" holds %s, its parent "%s" holds %s', NEW.code, COALESCE(NEW.currency, 'no currency'), parent.code, parent.currency),
				detail => format('A summary account with a currency adds up sub-accounts in that currency only: account "%s" under "%s" must hold %s.',
						NEW.code, parent.code, parent.currency),
				hint => 'Give the parent no currency to make it a multi-currency summary account.');
		END IF;
	END IF;
	IF NEW.parent_code IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.parent_code IS DISTINCT FROM OLD.parent_code) THEN
		IF parent.status <> 'open' THEN
			PERFORM ledger._raise('55000', pg_catalog.format('parent account "%s" is %s', parent.code, parent.status),
				detail => format('Account "%s" cannot be placed under "%s"; only an open account takes new sub-accounts.',
						NEW.code, parent.code));
		END IF;
		-- serialise with postings to the parent, then make sure there were none
		PERFORM 1 FROM ledger.account_balance b WHERE b.account_id = parent.id FOR UPDATE;
		IF ledger._account_posted(parent.id) THEN
			PERFORM ledger._raise('55000', pg_catalog.format('account "%s" cannot become a summary account', parent.code),
				detail => format('Entries have been posted to "%s"; a summary account takes no postings.', parent.code),
				hint => 'Move its balance to a new leaf account first, or open the sub-account elsewhere.');
		END IF;
		held := ledger._account_hold(parent.id);
		IF held IS NOT NULL THEN
			PERFORM ledger._raise('55000', pg_catalog.format('account "%s" cannot become a summary account', parent.code),
				detail => format('Hold %s has a line on "%s"; a summary account takes no postings or holds.', held, parent.code),
				hint => 'Open the sub-account elsewhere: an account a hold names stays a leaf.');
		END IF;
		-- the tree keeps a row for every account and each of its ancestors: a
		-- chart of accounts has at most 16 levels (real ones have 4 to 6)
		lvl := (SELECT COALESCE(pg_catalog.max(t.depth), 0) FROM ledger.account_tree t WHERE t.account_id = parent.id) + 2;
		below := CASE WHEN TG_OP = 'UPDATE'
		              THEN (SELECT COALESCE(pg_catalog.max(t.depth), 0) FROM ledger.account_tree t WHERE t.ancestor_id = OLD.id)
		              ELSE 0 END;
		IF lvl + below > 16 THEN
			PERFORM ledger._raise('54000', pg_catalog.format('the chart of accounts would be more than 16 levels deep under "%s"', parent.code),
				detail => format('Account "%s" under "%s" would be on level %s%s (a top-level account is on level 1); a chart of accounts has at most 16.',
						NEW.code, parent.code, lvl,
						CASE WHEN below > 0 THEN format(', its deepest sub-account on level %s', lvl + below) ELSE '' END),
				hint => 'Flatten the chart: sub-accounts of sub-accounts rarely need more than five levels.');
		END IF;
		IF TG_OP = 'UPDATE' AND EXISTS (
			WITH RECURSIVE sub(code) AS (
				SELECT NEW.code
				UNION
				SELECT c.code FROM ledger.account c JOIN sub ON c.parent_code = sub.code)
			SELECT 1 FROM sub WHERE sub.code = NEW.parent_code) THEN
			PERFORM ledger._raise('22023', pg_catalog.format('account "%s" cannot be placed under its own sub-account "%s"', NEW.code, NEW.parent_code),
				detail => format('Account "%s" is below "%s" in the chart of accounts, which is a tree.',
						NEW.parent_code, NEW.code));
		END IF;
	END IF;

	IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = OLD.code) THEN
		IF NEW.kind IS DISTINCT FROM OLD.kind THEN
			PERFORM ledger._raise('55000', pg_catalog.format('cannot change the kind of summary account "%s"', OLD.code),
				detail => format('The sub-accounts of "%s" are of kind %s, the kind of the account they belong to.',
						OLD.code, OLD.kind));
		END IF;
		IF NEW.currency IS NOT NULL AND EXISTS (SELECT 1 FROM ledger.account c
				WHERE c.parent_code = OLD.code AND c.currency IS DISTINCT FROM NEW.currency) THEN
			PERFORM ledger._raise('42804', pg_catalog.format('summary account "%s" has sub-accounts in other currencies', OLD.code),
				detail => (SELECT format('Account "%s" would hold %s, but its sub-account "%s" holds %s.',
					                        OLD.code, NEW.currency, c.code, COALESCE(c.currency, 'no currency'))
					            FROM ledger.account c
					           WHERE c.parent_code = OLD.code AND c.currency IS DISTINCT FROM NEW.currency
					           ORDER BY c.code LIMIT 1));
		END IF;
	END IF;

	-- a new bound must hold for the available balance the account already
	-- has: the balance less the held money that would lower it (against a
	-- floor), plus the held money that would raise it (against a ceiling),
	-- holds past their expiry left out, as the bound check of a posting
	IF TG_OP = 'UPDATE' AND (NEW.floor::text IS DISTINCT FROM OLD.floor::text OR NEW.ceiling::text IS DISTINCT FROM OLD.ceiling::text) THEN
		nsign := ledger._normal_sign(NEW.kind, NEW.metadata);
		SELECT sum(b.units) * nsign,
		       sum(CASE WHEN nsign > 0 THEN b.held_credit ELSE b.held_debit END),
		       sum(CASE WHEN nsign > 0 THEN b.held_debit ELSE b.held_credit END)
			INTO bal, held_low, held_high
			FROM (SELECT units, held_debit, held_credit FROM ledger.account_balance WHERE account_id = OLD.id FOR UPDATE) b;
		bal := COALESCE(bal, 0);
		held_low := COALESCE(held_low, 0);
		held_high := COALESCE(held_high, 0);
		IF held_low <> 0 OR held_high <> 0 THEN
			SELECT held_low - CASE WHEN nsign > 0 THEN x.credit ELSE x.debit END,
			       held_high - CASE WHEN nsign > 0 THEN x.debit ELSE x.credit END
				INTO held_low, held_high
				FROM ledger._expired_held(OLD.id) x;
		END IF;
		IF NEW.floor IS NOT NULL AND bal - held_low < ledger.minor_units(NEW.floor) THEN
			PERFORM ledger._raise('23514', pg_catalog.format('balance of account "%s" is below the new floor', NEW.code),
				detail => CASE WHEN held_low = 0
					THEN format('The balance is %s; the floor would be %s.',
						ledger.amount_of_units(bal, NEW.currency), NEW.floor)
					ELSE format('The available balance is %s (balance %s, held by pending holds %s); the floor would be %s.',
						ledger.amount_of_units((bal - held_low)::bigint, NEW.currency), ledger.amount_of_units(bal, NEW.currency),
						ledger.amount_of_units(held_low::bigint, NEW.currency), NEW.floor) END,
				hint => CASE WHEN held_low <> 0 THEN 'Held money counts against the bounds until its hold is posted, voided or expires.' END);
		END IF;
		IF NEW.ceiling IS NOT NULL AND bal + held_high > ledger.minor_units(NEW.ceiling) THEN
			PERFORM ledger._raise('23514', pg_catalog.format('balance of account "%s" is above the new ceiling', NEW.code),
				detail => CASE WHEN held_high = 0
					THEN format('The balance is %s; the ceiling would be %s.',
						ledger.amount_of_units(bal, NEW.currency), NEW.ceiling)
					ELSE format('The balance with the held money is %s (balance %s, held by pending holds %s); the ceiling would be %s.',
						ledger.amount_of_units((bal + held_high)::bigint, NEW.currency), ledger.amount_of_units(bal, NEW.currency),
						ledger.amount_of_units(held_high::bigint, NEW.currency), NEW.ceiling) END,
				hint => CASE WHEN held_high <> 0 THEN 'Held money counts against the bounds until its hold is posted, voided or expires.' END);
		END IF;
	END IF;
	RETURN NEW;
END
$function$;
COMMENT ON FUNCTION ledger._account_before() IS
	'validates accounts: currency, bounds, tree (kind, currency, no postings or holds on a parent, no cycles), immutability once posted to or named by a hold';

CREATE OR REPLACE FUNCTION ledger._account_delete()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
	IF TG_WHEN = 'BEFORE' THEN
		-- wait for posters that hold the balance rows, then look for their
		-- entries with a snapshot taken after they ended
		PERFORM 1 FROM ledger.account_balance b WHERE b.account_id = OLD.id FOR UPDATE;
		IF ledger._account_posted(OLD.id) THEN
			PERFORM ledger._raise('55000', pg_catalog.format('cannot delete account "%s"', OLD.code),
				detail => 'Entries have been posted to it; accounts are never deleted once posted to.',
				hint => 'Close it instead: UPDATE ledger.account SET status = ''closed''.');
		END IF;
		IF EXISTS (SELECT 1 FROM ledger.hold_line l WHERE l.account_id = OLD.id) THEN
			PERFORM ledger._raise('55000', pg_catalog.format('cannot delete account "%s"', OLD.code),
				detail => 'Holds have been placed on it; accounts are never deleted once a hold names them.',
				hint => 'Close it instead: UPDATE ledger.account SET status = ''closed''.');
		END IF;
		RETURN OLD;
	END IF;
	IF OLD.parent_code IS NOT NULL THEN
		UPDATE ledger.account_balance b SET blocked = ledger._account_blocked(p)
			FROM ledger.account p WHERE p.code = OLD.parent_code AND b.account_id = p.id;
	END IF;
	RETURN NULL;
END
$function$;

CREATE OR REPLACE PROCEDURE ledger.reconcile(IN source text, IN statement_date date, IN account text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $procedure$
#variable_conflict use_column
DECLARE
	src text := reconcile.source;
	d date := reconcile.statement_date;
	grace integer := ledger._recon_grace_days();
	acc ledger.account;
	this_run bigint;
	bad record;
	later text;
	st record;
	started timestamptz := pg_catalog.clock_timestamp();
	rule ledger.recon_rule;
	tol ledger.amount;
	win interval;
	gkey text;
	net boolean := false;
	missing boolean;
BEGIN
	PERFORM ledger._check_writable('ledger.reconcile()');
	IF src IS NULL OR d IS NULL OR reconcile.account IS NULL THEN
		PERFORM ledger._raise('22004', 'source, statement_date and account must not be null',
			detail => pg_catalog.format('ledger.reconcile() was called with source %s, statement_date %s and account %s.',
					COALESCE('"' || src || '"', 'NULL'), COALESCE(pg_catalog.to_char(d, 'YYYY-MM-DD'), 'NULL'),
					COALESCE('"' || reconcile.account || '"', 'NULL')));
	END IF;
	PERFORM ledger._check_book_date(d, 'statement_date');
	SELECT * INTO acc FROM ledger.account a WHERE a.code = reconcile.account;
	IF NOT FOUND THEN
		PERFORM ledger._raise('23503', pg_catalog.format('account "%s" does not exist', reconcile.account),
			detail => pg_catalog.format('Reconciliation of source "%s" for %s names clearing account "%s".',
					src, pg_catalog.to_char(d, 'YYYY-MM-DD'), reconcile.account));
	END IF;
	IF acc.currency IS NULL OR EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = acc.code) THEN
		PERFORM ledger._raise('22023', pg_catalog.format('account "%s" is a summary account', acc.code),
			detail => 'Reconciliation reads the entries of one clearing account; a summary account has none.',
			hint => 'Name the leaf account of the channel, e.g. 1122.01.');
	END IF;
	IF NOT acc.reconcilable THEN
		PERFORM ledger._raise('42501', pg_catalog.format('account "%s" is not reconcilable', acc.code),
			detail => pg_catalog.format('Reconciliation of source "%s" for %s names account "%s"; only clearing and settlement accounts that the accounts operator marked reconcilable may be reconciled, since a run shows their postings.',
					src, pg_catalog.to_char(d, 'YYYY-MM-DD'), acc.code),
			hint => 'An accounts operator marks a clearing account with UPDATE ledger.account SET reconcilable = true.');
	END IF;

	-- one run per source at a time (loaders of the source wait too)
	PERFORM ledger._statement_lock(src);

	SELECT l.ref, l.external_id, l.amount, l.line_no INTO bad
	  FROM ledger.statement_line l
	 WHERE l.source = src AND l.statement_date = d AND ledger.currency(l.amount) <> acc.currency
	 ORDER BY l.id LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._raise('42804', pg_catalog.format('statement line in %s cannot be reconciled against account "%s" in %s', ledger.currency(bad.amount), acc.code, acc.currency),
			detail => pg_catalog.format('Source "%s", statement date %s, ref "%s", external id "%s"%s: amount %s.',
					src, pg_catalog.to_char(d, 'YYYY-MM-DD'), bad.ref, bad.external_id,
					CASE WHEN bad.line_no IS NOT NULL THEN pg_catalog.format(', line %s', bad.line_no) ELSE '' END, bad.amount));
	END IF;

	-- the rule of the source; without one, matching is by ref, exactly
	SELECT * INTO rule FROM ledger.recon_rule r WHERE r.source = src;
	IF FOUND THEN
		tol := rule.tolerance;
		win := rule.match_window;
		gkey := rule.group_key;
		net := rule.net_of_fee;
		IF tol IS NOT NULL AND ledger.currency(tol) <> acc.currency THEN
			PERFORM ledger._raise('42804', pg_catalog.format('tolerance of source "%s" is in %s, account "%s" in %s', src, ledger.currency(tol), acc.code, acc.currency),
				detail => pg_catalog.format('ledger.recon_rule gives source "%s" the tolerance %s.', src, tol),
				hint => 'Give the tolerance in the currency of the clearing account.');
		END IF;
	END IF;

	-- a statement that was never loaded is not a channel that lost everything
	missing := NOT EXISTS (SELECT 1 FROM ledger.statement_line l WHERE l.source = src AND l.statement_date = d)
	       AND NOT EXISTS (SELECT 1 FROM ledger.statement_import i WHERE i.source = src AND i.statement_date = d);
	IF missing THEN
		RAISE WARNING 'no statement of source "%" was loaded for %', src, pg_catalog.to_char(d, 'YYYY-MM-DD')
			USING DETAIL = pg_catalog.format('Account "%s": every internal item stays in the pending pool; none becomes a missing_external break.', acc.code),
				HINT = 'Load the statement (an empty one if the channel had no business that day), then reconcile the date again.';
	END IF;

	-- the run row; a re-run undoes the previous run of this date first
	SELECT r.id INTO this_run FROM ledger.recon_run r WHERE r.source = src AND r.statement_date = d FOR UPDATE;
	IF FOUND THEN
		UPDATE ledger.recon_pending p SET closed_run = NULL, closed_class = NULL
		 WHERE p.closed_run = this_run AND p.added_run <> this_run;
		DELETE FROM ledger.recon_pending p
		 WHERE p.added_run = this_run AND (p.closed_run IS NULL OR p.closed_run = this_run);
		UPDATE ledger.recon_run r SET account_code = acc.code, currency = acc.currency, grace_days = grace,
				runs = r.runs + 1, started_at = started, finished_at = NULL, run_by = session_user
		 WHERE r.id = this_run;
	ELSE
		INSERT INTO ledger.recon_run (source, statement_date, account_code, currency, grace_days, started_at)
			VALUES (src, d, acc.code, acc.currency, grace, started)
			RETURNING id INTO this_run;
	END IF;
	SELECT pg_catalog.string_agg(pg_catalog.to_char(r.statement_date, 'YYYY-MM-DD'), ', ' ORDER BY r.statement_date) INTO later
	  FROM ledger.recon_run r WHERE r.source = src AND r.statement_date > d;
	IF later IS NOT NULL THEN
		RAISE NOTICE 'source "%" was already reconciled for later dates', src
			USING DETAIL = pg_catalog.format('Later runs: %s.  Their results were computed from the pending pool as it was before this run.', later),
				HINT = 'Reconcile those dates again, in order, to bring them up to date.';
	END IF;

	-- internal items
	IF pg_catalog.to_regclass('pg_temp._recon_int') IS NOT NULL THEN
		DROP TABLE pg_temp._recon_int;
	END IF;
	-- key: the ref, or the group's value for a voucher of a group (not reversed);
	-- the books are read by ledger._recon_items and ledger._recon_voucher,
	-- which take no predicate locks: a SERIALIZABLE run never becomes a
	-- read/write conflict of the posters (see bookread.c)
	CREATE TEMP TABLE _recon_int ON COMMIT DROP AS
	SELECT x.voucher_id, x.ref, x.book_date, x.amount, x.status, x.pooled, x.created_at,
	       COALESCE(CASE WHEN x.status = 'success' THEN x.grp END, x.ref) AS key,
	       x.grp IS NOT NULL AND x.status = 'success' AS grouped
	  FROM (
	SELECT i.voucher_id, i.ref, d AS book_date, i.amount,
	       CASE WHEN i.reversed THEN 'reversed' ELSE 'success' END AS status,
	       -- after the undo, an item of this date still in the pool was closed by a later run
	       i.voucher_id IN (SELECT p.voucher_id FROM ledger.recon_pending p WHERE p.source = src) AS pooled,
	       i.created_at, i.metadata ->> gkey AS grp
	  FROM ledger._recon_items(acc.id, d) i
	 WHERE NOT EXISTS (SELECT 1 FROM ledger.recon_break b WHERE b.voucher_id = i.voucher_id)
	UNION ALL
	SELECT p.voucher_id, p.ref, p.book_date, p.amount,
	       CASE WHEN rv.reversed THEN 'reversed' ELSE 'success' END,
	       true, rv.created_at, rv.metadata ->> gkey
	  FROM ledger.recon_pending p
	 CROSS JOIN LATERAL ledger._recon_voucher(p.voucher_id) rv
	 WHERE p.source = src AND p.closed_run IS NULL AND p.book_date < d AND p.account_id = acc.id) x;
	ANALYZE pg_temp._recon_int;

	-- classification of every ref
	IF pg_catalog.to_regclass('pg_temp._recon_cls') IS NOT NULL THEN
		DROP TABLE pg_temp._recon_cls;
	END IF;
	-- (a group's members enter recon_diff as one item: their sum; lines are
	-- compared net of their fee under net_of_fee)
	CREATE TEMP TABLE _recon_cls ON COMMIT DROP AS
	SELECT g.ref, (g.r).class, (g.r).internal_count, (g.r).external_count,
	       (g.r).internal_amount, (g.r).external_amount, (g.r).difference,
	       g.book_date, g.reversed, false AS grouped, NULL::text AS method, NULL::text AS partner,
	       NULL::interval AS time_difference,
	       CASE WHEN (g.r).class = 'missing_external' AND missing THEN 'pending'
	            WHEN (g.r).class = 'missing_external' AND g.reversed THEN 'reversed'
	            WHEN (g.r).class = 'missing_external' AND g.book_date + grace > d THEN 'pending'
	            ELSE (g.r).class END AS outcome
	  FROM (SELECT u.ref, ledger.recon_diff(u.side, u.amount, u.status, tol) AS r,
	               min(u.book_date) AS book_date,
	               bool_and(u.status = 'reversed') FILTER (WHERE u.side = 'internal') AS reversed
	          FROM (SELECT 'internal' AS side, i.key AS ref, i.amount, i.status, i.book_date
	                  FROM pg_temp._recon_int i WHERE NOT i.grouped
	                UNION ALL
	                SELECT 'internal', i.key, ledger.sum(i.amount), 'success', min(i.book_date)
	                  FROM pg_temp._recon_int i WHERE i.grouped AND gkey IS NOT NULL GROUP BY i.key
	                UNION ALL
	                SELECT 'external', l.ref,
	                       CASE WHEN net THEN l.amount OPERATOR(ledger.-) COALESCE(l.fee, ledger.zero(acc.currency))
	                            ELSE l.amount END,
	                       l.status, NULL::date
	                  FROM ledger.statement_line l WHERE l.source = src AND l.statement_date = d) u
	         GROUP BY u.ref) g;
	ANALYZE pg_temp._recon_cls;
	IF gkey IS NOT NULL THEN
		UPDATE pg_temp._recon_cls c SET grouped = true, internal_count = m.members
		  FROM (SELECT i.key, count(*)::integer AS members FROM pg_temp._recon_int i WHERE i.grouped GROUP BY i.key) m
		 WHERE c.ref = m.key;
	END IF;

	-- what key matching left unmatched on each side (a group as one item, at
	-- its latest voucher's time; only a line of status success may pair) ...
	IF pg_catalog.to_regclass('pg_temp._recon_li') IS NOT NULL THEN
		DROP TABLE pg_temp._recon_li, pg_temp._recon_le, pg_temp._recon_pairs;
	END IF;
	CREATE TEMP TABLE _recon_li ON COMMIT DROP AS
	SELECT (pg_catalog.row_number() OVER (ORDER BY c.ref))::integer AS idx, c.ref, c.internal_amount AS amount,
	       max(i.created_at) AS at, pg_catalog.array_agg(i.voucher_id ORDER BY i.voucher_id) AS voucher_ids
	  FROM pg_temp._recon_cls c JOIN pg_temp._recon_int i ON i.key = c.ref
	 WHERE c.class = 'missing_external' AND c.outcome <> 'reversed'
	 GROUP BY c.ref, c.internal_amount;
	CREATE TEMP TABLE _recon_le ON COMMIT DROP AS
	SELECT (pg_catalog.row_number() OVER (ORDER BY c.ref))::integer AS idx, c.ref, c.external_amount AS amount,
	       l.occurred_at AS at, l.external_id, l.status
	  FROM pg_temp._recon_cls c
	  JOIN ledger.statement_line l ON l.ref = c.ref AND l.source = src AND l.statement_date = d
	 WHERE c.class = 'missing_internal';
	-- ... paired by amount and time under a match window, and the nearest
	-- counterparts of what stays unmatched (ledger._recon_pair, sort and merge in C)
	CREATE TEMP TABLE _recon_pairs ON COMMIT DROP AS
	SELECT p.kind, p.idx, p.other, p.rank
	  FROM ledger._recon_pair(
			COALESCE((SELECT pg_catalog.array_agg(li.amount ORDER BY li.idx) FROM pg_temp._recon_li li), '{}'),
			COALESCE((SELECT pg_catalog.array_agg(li.at ORDER BY li.idx) FROM pg_temp._recon_li li), '{}'),
			COALESCE((SELECT pg_catalog.array_agg(le.amount ORDER BY le.idx) FROM pg_temp._recon_le le), '{}'),
			COALESCE((SELECT pg_catalog.array_agg(CASE WHEN le.status = 'success' THEN le.at END ORDER BY le.idx)
			            FROM pg_temp._recon_le le), '{}'),
			tol, CASE WHEN NOT missing THEN win END, 3) p;
	IF EXISTS (SELECT 1 FROM pg_temp._recon_pairs p WHERE p.kind = 'pair') THEN
		UPDATE pg_temp._recon_cls c
		   SET outcome = 'matched', method = 'window', partner = le.ref, external_count = 1, external_amount = le.amount,
		       difference = li.amount OPERATOR(ledger.-) le.amount, time_difference = le.at - li.at
		  FROM pg_temp._recon_pairs p
		  JOIN pg_temp._recon_li li ON li.idx = p.idx
		  JOIN pg_temp._recon_le le ON le.idx = p.other
		 WHERE p.kind = 'pair' AND c.ref = li.ref;
		UPDATE pg_temp._recon_cls c SET outcome = 'paired', partner = li.ref
		  FROM pg_temp._recon_pairs p
		  JOIN pg_temp._recon_li li ON li.idx = p.idx
		  JOIN pg_temp._recon_le le ON le.idx = p.other
		 WHERE p.kind = 'pair' AND c.ref = le.ref;
	END IF;

	-- the pool: earlier items are closed by this run unless still pending;
	-- today's items still within the grace days join it
	UPDATE ledger.recon_pending p SET closed_run = this_run, closed_class = c.outcome
	  FROM pg_temp._recon_int i JOIN pg_temp._recon_cls c ON c.ref = i.key
	 WHERE p.source = src AND p.closed_run IS NULL AND p.book_date < d AND p.account_id = acc.id
	   AND i.pooled AND i.book_date < d AND p.voucher_id = i.voucher_id AND c.outcome <> 'pending';
	INSERT INTO ledger.recon_pending (source, voucher_id, ref, book_date, account_id, amount, status, added_run)
	SELECT src, i.voucher_id, i.ref, i.book_date, acc.id, i.amount, i.status, this_run
	  FROM pg_temp._recon_int i JOIN pg_temp._recon_cls c ON c.ref = i.key
	 WHERE c.outcome = 'pending' AND NOT i.pooled;
	-- a re-run of an earlier date: an item of this date that was pending
	-- here and taken from the pool by a later run, but that this run settles
	-- (a corrected statement of this date has it), leaves the pool closed by
	-- this run, so that the later run, re-run, no longer reopens it and
	-- matches it a second time (each item is used once)
	UPDATE ledger.recon_pending p SET closed_run = this_run, closed_class = c.outcome
	  FROM pg_temp._recon_int i JOIN pg_temp._recon_cls c ON c.ref = i.key
	 WHERE p.source = src AND p.added_run = this_run AND p.closed_run <> this_run
	   AND i.pooled AND i.book_date = d AND p.voucher_id = i.voucher_id AND c.outcome <> 'pending';

	-- the matches made by the rule rather than by an exact key (a few: a
	-- table of their own, so that the plan is made for a few)
	DELETE FROM ledger.recon_match m WHERE m.run_id = this_run;
	IF rule.source IS NOT NULL THEN
		IF pg_catalog.to_regclass('pg_temp._recon_m') IS NOT NULL THEN
			DROP TABLE pg_temp._recon_m;
		END IF;
		CREATE TEMP TABLE _recon_m ON COMMIT DROP AS
		SELECT c.ref, COALESCE(c.partner, c.ref) AS external_ref,
		       CASE WHEN c.method = 'window' THEN 'window' WHEN c.grouped THEN 'group' ELSE 'tolerance' END AS method,
		       c.internal_amount, c.external_amount, c.difference, c.internal_count, c.time_difference
		  FROM pg_temp._recon_cls c
		 WHERE c.outcome = 'matched'
		   AND (c.method = 'window' OR c.grouped OR ledger.minor_units(c.difference) <> 0);
		ANALYZE pg_temp._recon_m;
		INSERT INTO ledger.recon_match (run_id, source, statement_date, method, ref, external_ref, internal_amount,
				external_amount, difference, internal_count, internal_voucher_ids, external_ids, time_difference)
		WITH ours AS (
			SELECT i.key, pg_catalog.array_agg(i.voucher_id ORDER BY i.voucher_id) AS ids
			  FROM pg_temp._recon_int i JOIN pg_temp._recon_m m ON m.ref = i.key
			 GROUP BY i.key),
		theirs AS (
			SELECT l.ref, pg_catalog.array_agg(l.external_id ORDER BY l.external_id) AS ids
			  FROM ledger.statement_line l JOIN pg_temp._recon_m m ON m.external_ref = l.ref
			 WHERE l.source = src AND l.statement_date = d
			 GROUP BY l.ref)
		SELECT this_run, src, d, m.method, m.ref, m.external_ref, m.internal_amount, m.external_amount, m.difference,
		       m.internal_count, ours.ids, theirs.ids, m.time_difference
		  FROM pg_temp._recon_m m JOIN ours ON ours.key = m.ref JOIN theirs ON theirs.ref = m.external_ref;
	END IF;

	-- breaks: one row per (run, class, ref).  Open ones found again keep their
	-- id and take the new figures, open ones no longer found go, resolved ones
	-- stay resolved (obsolete when no longer found).
	IF pg_catalog.to_regclass('pg_temp._recon_brk') IS NOT NULL THEN
		DROP TABLE pg_temp._recon_brk;
	END IF;
	CREATE TEMP TABLE _recon_brk ON COMMIT DROP AS
	WITH brk AS (
		SELECT c.* FROM pg_temp._recon_cls c
		 WHERE c.outcome IN ('missing_internal', 'missing_external', 'amount_mismatch', 'status_mismatch', 'duplicate')),
	ours AS (
		SELECT i.key AS ref, min(i.status) AS status, array_agg(i.voucher_id ORDER BY i.voucher_id) AS ids
		  FROM pg_temp._recon_int i JOIN brk ON brk.ref = i.key
		 GROUP BY i.key),
	theirs AS (
		SELECT l.ref, min(l.status) AS status, array_agg(l.external_id ORDER BY l.external_id) AS ids,
		       -- the lines of the key, as the candidates of a break found by key
		       pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('ref', l.ref, 'external_id', l.external_id,
		               'amount', x.amount, 'time', l.occurred_at,
		               'difference', brk.internal_amount OPERATOR(ledger.-) x.amount) ORDER BY l.external_id)
		           FILTER (WHERE brk.internal_amount IS NOT NULL) AS candidates
		  FROM ledger.statement_line l JOIN brk ON brk.ref = l.ref
		  CROSS JOIN LATERAL (SELECT CASE WHEN net THEN l.amount OPERATOR(ledger.-) COALESCE(l.fee, ledger.zero(acc.currency))
		                                  ELSE l.amount END AS amount) x
		 WHERE l.source = src AND l.statement_date = d
		 GROUP BY l.ref),
	near AS (
		-- the nearest unmatched counterparts of an unmatched item
		SELECT li.ref, 'missing_external' AS class,
		       pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('ref', le.ref, 'external_id', le.external_id,
		               'amount', le.amount, 'time', le.at,
		               'difference', li.amount OPERATOR(ledger.-) le.amount) ORDER BY p.rank) AS candidates
		  FROM pg_temp._recon_pairs p
		  JOIN pg_temp._recon_li li ON li.idx = p.idx
		  JOIN pg_temp._recon_le le ON le.idx = p.other
		 WHERE p.kind = 'internal'
		 GROUP BY li.ref
		UNION ALL
		SELECT le.ref, 'missing_internal',
		       pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('ref', li.ref, 'voucher_ids', li.voucher_ids,
		               'amount', li.amount, 'time', li.at,
		               'difference', li.amount OPERATOR(ledger.-) le.amount) ORDER BY p.rank)
		  FROM pg_temp._recon_pairs p
		  JOIN pg_temp._recon_le le ON le.idx = p.idx
		  JOIN pg_temp._recon_li li ON li.idx = p.other
		 WHERE p.kind = 'external'
		 GROUP BY le.ref)
	SELECT brk.class, brk.ref, brk.internal_amount, brk.external_amount, brk.difference,
	       brk.internal_count, brk.external_count,
	       ours.status AS internal_status, theirs.status AS external_status,
	       brk.book_date, ours.ids AS internal_voucher_ids, theirs.ids AS external_ids,
	       COALESCE(near.candidates, theirs.candidates, '[]') AS candidates
	  FROM brk
	  LEFT JOIN ours ON ours.ref = brk.ref
	  LEFT JOIN theirs ON theirs.ref = brk.ref
	  LEFT JOIN near ON near.ref = brk.ref AND near.class = brk.class;
	ANALYZE pg_temp._recon_brk;

	-- (NOT IN: one hashed pass, whatever the statistics of recon_break say)
	DELETE FROM ledger.recon_break b
	 WHERE b.run_id = this_run AND b.status = 'open'
	   AND (b.class, b.ref) NOT IN (SELECT n.class, n.ref FROM pg_temp._recon_brk n);
	UPDATE ledger.recon_break b
	   SET internal_amount = n.internal_amount, external_amount = n.external_amount, difference = n.difference,
	       internal_count = n.internal_count, external_count = n.external_count,
	       internal_status = n.internal_status, external_status = n.external_status, book_date = n.book_date,
	       internal_voucher_ids = n.internal_voucher_ids, external_ids = n.external_ids, candidates = n.candidates
	  FROM pg_temp._recon_brk n
	 WHERE b.run_id = this_run AND b.status = 'open' AND n.class = b.class AND n.ref = b.ref;
	INSERT INTO ledger.recon_break (run_id, source, statement_date, class, ref, internal_amount, external_amount,
			difference, internal_count, external_count, internal_status, external_status, book_date,
			internal_voucher_ids, external_ids, candidates)
	SELECT this_run, src, d, n.class, n.ref, n.internal_amount, n.external_amount, n.difference,
	       n.internal_count, n.external_count, n.internal_status, n.external_status, n.book_date,
	       n.internal_voucher_ids, n.external_ids, n.candidates
	  FROM pg_temp._recon_brk n
	 WHERE NOT EXISTS (SELECT 1 FROM ledger.recon_break b
	                    WHERE b.run_id = this_run AND b.class = n.class AND b.ref = n.ref)
	 ORDER BY n.class, n.ref;
	UPDATE ledger.recon_break b
	   SET obsolete = (b.class, b.ref) NOT IN (SELECT n.class, n.ref FROM pg_temp._recon_brk n)
	 WHERE b.run_id = this_run AND b.status = 'resolved';

	-- the figures of the run
	SELECT (SELECT count(*) FROM pg_temp._recon_int) AS internal_count,
	       (SELECT ledger.sum(i.amount) FROM pg_temp._recon_int i) AS internal_amount,
	       (SELECT count(*) FROM ledger.statement_line l WHERE l.source = src AND l.statement_date = d) AS external_count,
	       (SELECT ledger.sum(l.amount) FROM ledger.statement_line l WHERE l.source = src AND l.statement_date = d) AS external_amount,
	       count(*) FILTER (WHERE c.outcome = 'matched') AS matched_count,
	       ledger.sum(c.internal_amount) FILTER (WHERE c.outcome = 'matched') AS matched_amount,
	       count(*) FILTER (WHERE c.outcome = 'missing_internal') AS missing_internal_count,
	       ledger.sum(c.external_amount) FILTER (WHERE c.outcome = 'missing_internal') AS missing_internal_amount,
	       count(*) FILTER (WHERE c.outcome = 'missing_external') AS missing_external_count,
	       ledger.sum(c.internal_amount) FILTER (WHERE c.outcome = 'missing_external') AS missing_external_amount,
	       count(*) FILTER (WHERE c.outcome = 'amount_mismatch') AS amount_mismatch_count,
	       ledger.sum(c.difference) FILTER (WHERE c.outcome = 'amount_mismatch') AS amount_mismatch_amount,
	       count(*) FILTER (WHERE c.outcome = 'status_mismatch') AS status_mismatch_count,
	       ledger.sum(c.internal_amount) FILTER (WHERE c.outcome = 'status_mismatch') AS status_mismatch_amount,
	       count(*) FILTER (WHERE c.outcome = 'duplicate') AS duplicate_count,
	       ledger.sum(COALESCE(c.internal_amount, ledger.zero(acc.currency)) OPERATOR(ledger.-)
	                  COALESCE(c.external_amount, ledger.zero(acc.currency))) FILTER (WHERE c.outcome = 'duplicate') AS duplicate_amount,
	       count(*) FILTER (WHERE c.outcome = 'pending') AS pending_count,
	       ledger.sum(c.internal_amount) FILTER (WHERE c.outcome = 'pending') AS pending_amount,
	       count(*) FILTER (WHERE c.outcome = 'reversed') AS reversed_count
	  INTO st
	  FROM pg_temp._recon_cls c;

	UPDATE ledger.recon_run r SET
		internal_count = st.internal_count,
		internal_amount = COALESCE(st.internal_amount, ledger.zero(acc.currency)),
		external_count = st.external_count,
		external_amount = COALESCE(st.external_amount, ledger.zero(acc.currency)),
		matched_count = st.matched_count,
		matched_amount = COALESCE(st.matched_amount, ledger.zero(acc.currency)),
		missing_internal_count = st.missing_internal_count,
		missing_internal_amount = COALESCE(st.missing_internal_amount, ledger.zero(acc.currency)),
		missing_external_count = st.missing_external_count,
		missing_external_amount = COALESCE(st.missing_external_amount, ledger.zero(acc.currency)),
		amount_mismatch_count = st.amount_mismatch_count,
		amount_mismatch_amount = COALESCE(st.amount_mismatch_amount, ledger.zero(acc.currency)),
		status_mismatch_count = st.status_mismatch_count,
		status_mismatch_amount = COALESCE(st.status_mismatch_amount, ledger.zero(acc.currency)),
		duplicate_count = st.duplicate_count,
		duplicate_amount = COALESCE(st.duplicate_amount, ledger.zero(acc.currency)),
		pending_count = st.pending_count,
		pending_amount = COALESCE(st.pending_amount, ledger.zero(acc.currency)),
		reversed_count = st.reversed_count,
		statement_missing = missing,
		finished_at = pg_catalog.clock_timestamp()
	 WHERE r.id = this_run;

	RAISE NOTICE 'reconciled "%": % matched, % breaks, % pending', src, st.matched_count,
		st.missing_internal_count + st.missing_external_count + st.amount_mismatch_count
			+ st.status_mismatch_count + st.duplicate_count,
		st.pending_count
		USING DETAIL = pg_catalog.format('Statement date %s, account "%s", run %s.', pg_catalog.to_char(d, 'YYYY-MM-DD'), acc.code, this_run);
END
$procedure$;

CREATE OR REPLACE FUNCTION ledger._check_books(d date, at_close boolean)
 RETURNS TABLE(check_name text, currency text, ok boolean, detail text)
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_custom_plan'
 SET jit TO 'off'
AS $function$
DECLARE
	st text;
	last_closed date;
	prev_digest bytea;
	stored_digest bytea;
	stored_version smallint;
	pass record;
	day_entries bigint;
BEGIN
	IF d IS NULL THEN
		PERFORM ledger._raise('22004', 'book_date must not be null',
			detail => 'ledger.check_books() checks the books of one book date.');
	END IF;
	PERFORM ledger._check_book_date(d, 'book_date');
	SELECT b.status, b.digest, b.digest_version INTO st, stored_digest, stored_version
	  FROM ledger.book_day b WHERE b.book_date = d;
	IF st IS NULL THEN
		PERFORM ledger._raise('55000', pg_catalog.format('book day %s does not exist', d),
			detail => (SELECT format('The books run from %s to the open day %s.', min(b.book_date),
				                        max(b.book_date) FILTER (WHERE b.status = 'open'))
				            FROM ledger.book_day b));
	END IF;
	SELECT b.digest INTO prev_digest FROM ledger.book_day b WHERE b.book_date < d ORDER BY b.book_date DESC LIMIT 1;
	SELECT max(b.book_date) INTO last_closed FROM ledger.book_day b WHERE b.status = 'closed' AND b.book_date < d;

	IF at_close THEN
		SELECT c.digest, c.vouchers, c.entries, c.problems, c.problem_count INTO pass
		  FROM ledger.day_close c WHERE c.book_date = d;
	ELSE
		-- a closed day with the formula that sealed it, any other with today's
		SELECT * INTO pass FROM ledger._day_digest(d, prev_digest,
			CASE WHEN st = 'closed' THEN COALESCE(stored_version, 1) ELSE 2 END);
	END IF;

	-- vouchers_balanced: every voucher of the day has two entries or more and balances per currency
	check_name := 'vouchers_balanced'; currency := NULL;
	ok := NOT EXISTS (SELECT 1 FROM unnest(pass.problems) p WHERE p LIKE 'voucher %');
	detail := CASE WHEN ok THEN format('%s vouchers, %s entries', pass.vouchers, pass.entries)
		ELSE (SELECT string_agg(p, '; ') FROM unnest(pass.problems) p WHERE p LIKE 'voucher %') END;
	RETURN NEXT;

	-- red_entries_reverse: every red-letter entry of the day is in a voucher that reverses another
	check_name := 'red_entries_reverse'; currency := NULL;
	ok := NOT EXISTS (SELECT 1 FROM unnest(pass.problems) p WHERE p LIKE 'red entry %');
	detail := CASE WHEN ok THEN 'every red entry is in a reversal'
		ELSE (SELECT string_agg(p, '; ') FROM unnest(pass.problems) p WHERE p LIKE 'red entry %') END;
	RETURN NEXT;

	-- entries_match_vouchers: every entry of the day belongs to a voucher of the day
	IF st = 'open' THEN
		SELECT count(*) INTO day_entries FROM ledger.entry e WHERE e.book_date = d;
	ELSE
		SELECT COALESCE(sum(r.entries), 0) INTO day_entries FROM ledger.daily_balance r
		 WHERE r.book_date = d AND NOT r.summary;
	END IF;
	check_name := 'entries_match_vouchers'; currency := NULL;
	ok := day_entries = pass.entries AND NOT EXISTS (SELECT 1 FROM unnest(pass.problems) p WHERE p LIKE 'entry %');
	detail := CASE WHEN ok THEN format('%s entries', day_entries)
		ELSE concat_ws('; ', CASE WHEN day_entries <> pass.entries THEN
				format('%s entries are on the day, %s belong to its vouchers', day_entries, pass.entries) END,
			(SELECT string_agg(p, '; ') FROM unnest(pass.problems) p WHERE p LIKE 'entry %')) END;
	RETURN NEXT;

	-- entries_match_accounts: every entry of the day is on an existing account of its currency
	check_name := 'entries_match_accounts'; currency := NULL;
	SELECT count(*) = 0,
	       CASE WHEN count(*) = 0 THEN 'every entry is on an account of its currency'
	            ELSE format('%s entr%s disagree%s with %s account%s: %s', count(*),
	                        CASE WHEN count(*) = 1 THEN 'y' ELSE 'ies' END, CASE WHEN count(*) = 1 THEN 's' ELSE '' END,
	                        CASE WHEN count(*) = 1 THEN 'its' ELSE 'their' END, CASE WHEN count(*) = 1 THEN '' ELSE 's' END,
	                        string_agg(x.what, '; ' ORDER BY x.voucher_id, x.line_no) FILTER (WHERE x.n <= 10)) END
	  INTO ok, detail
	  FROM (SELECT e.voucher_id, e.line_no, row_number() OVER (ORDER BY e.voucher_id, e.line_no) AS n,
	               CASE WHEN a.id IS NULL
	                    THEN format('voucher %s line %s posts %s to account id %s, which does not exist',
	                                e.voucher_id, e.line_no, e.amount, e.account_id)
	                    ELSE format('voucher %s line %s posts %s to account "%s", which holds %s',
	                                e.voucher_id, e.line_no, e.amount, a.code, COALESCE(a.currency, 'no currency')) END AS what
	          FROM ledger.entry e LEFT JOIN ledger.account a ON a.id = e.account_id
	         WHERE e.book_date = d AND (a.id IS NULL OR a.currency IS DISTINCT FROM ledger.currency(e.amount))) x;
	RETURN NEXT;

	IF st = 'open' THEN
		-- the open day: live entries and maintained balances
		RETURN QUERY
		SELECT 'period_debits_equal_credits'::text, t.currency, t.debit = t.credit,
		       format('debits %s, credits %s', ledger._format_units(t.debit, t.currency),
		              ledger._format_units(t.credit, t.currency))
		  FROM (SELECT ledger.currency(e.amount) AS currency,
		               COALESCE(sum(ledger.minor_units(e.amount)) FILTER (WHERE (ledger.minor_units(e.amount) > 0) <> e.red), 0) AS debit,
		               -COALESCE(sum(ledger.minor_units(e.amount)) FILTER (WHERE (ledger.minor_units(e.amount) > 0) = e.red), 0) AS credit
		          FROM ledger.entry e WHERE e.book_date = d
		         GROUP BY ledger.currency(e.amount)) t;
		IF NOT FOUND THEN
			check_name := 'period_debits_equal_credits'; currency := NULL; ok := true; detail := 'no entries';
			RETURN NEXT;
		END IF;
		RETURN QUERY
		SELECT 'closing_balances_net_zero'::text, l.currency, sum(b.units) = 0,
		       format('balances net to %s', ledger._format_units(sum(b.units), l.currency))
		  FROM ledger._leaf l JOIN ledger.account_balance b ON b.account_id = l.id
		 WHERE l.currency IS NOT NULL GROUP BY l.currency;
	ELSE
		RETURN QUERY
		SELECT 'period_debits_equal_credits'::text, r.currency,
		       sum(ledger.minor_units(r.debit)) = sum(ledger.minor_units(r.credit)),
		       format('debits %s, credits %s', ledger._format_units(sum(ledger.minor_units(r.debit)), r.currency),
		              ledger._format_units(sum(ledger.minor_units(r.credit)), r.currency))
		  FROM ledger.daily_balance r WHERE r.book_date = d AND NOT r.summary GROUP BY r.currency;
		IF NOT FOUND THEN
			check_name := 'period_debits_equal_credits'; currency := NULL; ok := true; detail := 'no entries';
			RETURN NEXT;
		END IF;
		RETURN QUERY
		SELECT 'closing_balances_net_zero'::text, r.currency,
		       sum(ledger.minor_units(r.closing)) = 0,
		       format('balances net to %s', ledger._format_units(sum(ledger.minor_units(r.closing)), r.currency))
		  FROM ledger.daily_balance r WHERE r.book_date = d AND NOT r.summary GROUP BY r.currency;
	END IF;

	-- opening_plus_movement_equals_closing, per account
	IF st = 'open' THEN
		RETURN QUERY
		WITH live AS (
			SELECT l.id, l.code, l.currency,
			       COALESCE((SELECT sum(ledger.minor_units(s.closing)) FROM ledger.daily_balance s
			                  WHERE s.account_id = l.id AND s.book_date = last_closed AND NOT s.summary), 0)
			       + COALESCE((SELECT sum(ledger.minor_units(e.amount)) FROM ledger.entry e
			                  WHERE e.account_id = l.id AND e.book_date > COALESCE(last_closed, '-infinity') AND e.book_date < d), 0)
			         AS opening,
			       COALESCE((SELECT sum(ledger.minor_units(e.amount)) FROM ledger.entry e
			                  WHERE e.account_id = l.id AND e.book_date = d), 0) AS movement,
			       (SELECT sum(b.units) FROM ledger.account_balance b WHERE b.account_id = l.id) AS closing
			  FROM ledger._leaf l WHERE l.currency IS NOT NULL)
		SELECT 'opening_plus_movement_equals_closing'::text, live.currency,
		       count(*) FILTER (WHERE live.opening + live.movement <> live.closing) = 0,
		       COALESCE(string_agg(format('%s: opening %s + movement %s <> closing %s', live.code,
		           live.opening, live.movement, live.closing), '; ')
		           FILTER (WHERE live.opening + live.movement <> live.closing),
		           format('%s accounts', count(*)))
		  FROM live GROUP BY live.currency;
	ELSE
		RETURN QUERY
		WITH today AS (
			SELECT r.*, a.code FROM ledger.daily_balance r JOIN ledger.account a ON a.id = r.account_id
			 WHERE r.book_date = d AND NOT r.summary),
		yesterday AS (
			SELECT y.* FROM ledger.daily_balance y WHERE y.book_date = last_closed AND NOT y.summary),
		bad AS (
			SELECT COALESCE(t.currency, y.currency) AS currency, COALESCE(t.code, y.account_id::text) AS what,
			       CASE
			         WHEN t.account_id IS NULL THEN 'balance carried from the day before is missing'
			         WHEN ledger.minor_units(t.opening) + ledger.minor_units(t.debit) - ledger.minor_units(t.credit)
			              <> ledger.minor_units(t.closing) THEN 'opening + debit - credit <> closing'
			         WHEN ledger.minor_units(t.opening) <> COALESCE(ledger.minor_units(y.closing), 0)
			              THEN 'opening differs from the previous closing'
			         WHEN t.cum_debit - ledger.minor_units(t.debit) <> COALESCE(y.cum_debit, h.cum_debit, 0)
			              OR t.cum_credit - ledger.minor_units(t.credit) <> COALESCE(y.cum_credit, h.cum_credit, 0)
			              THEN 'cumulative totals do not continue'
			       END AS problem
			  FROM today t
			  FULL JOIN yesterday y ON y.account_id = t.account_id AND y.currency = t.currency
			  -- without a row the day before: the account's latest earlier row, or none (totals start at zero)
			  LEFT JOIN LATERAL (
				SELECT h.cum_debit, h.cum_credit FROM ledger.daily_balance h
				 WHERE y.account_id IS NULL AND h.account_id = t.account_id AND h.currency = t.currency
				   AND h.book_date < d AND NOT h.summary
				 ORDER BY h.book_date DESC LIMIT 1) h ON true
			 WHERE t.account_id IS NOT NULL OR ledger.minor_units(y.closing) <> 0)
		SELECT 'opening_plus_movement_equals_closing'::text, c.currency,
		       count(bad.problem) = 0,
		       COALESCE(string_agg(bad.what || ': ' || bad.problem, '; ') FILTER (WHERE bad.problem IS NOT NULL),
		                format('%s accounts', count(*)))
		  FROM (SELECT DISTINCT r.currency FROM ledger.daily_balance r WHERE r.book_date IN (d, last_closed)) c
		  LEFT JOIN bad ON bad.currency = c.currency
		 GROUP BY c.currency;
	END IF;

	-- summary_equals_children (总分核对)
	IF st = 'open' THEN
		BEGIN
			RETURN QUERY
			WITH leafsum AS (
				SELECT c.ancestor_id, l.currency, sum(b.units) AS units
				  FROM ledger._account_closure c
				  JOIN ledger._leaf l ON l.id = c.account_id
				  JOIN ledger.account_balance b ON b.account_id = l.id
				 WHERE c.depth > 0 AND l.currency IS NOT NULL
				 GROUP BY c.ancestor_id, l.currency),
			viewsum AS (
				SELECT a.id, v.currency, ledger.minor_units(v.balance) * ledger._normal_sign(a.kind, a.metadata) AS units
				  FROM ledger.balances v JOIN ledger.account a ON a.code = v.account_code)
			SELECT 'summary_equals_children'::text, ls.currency,
			       count(*) FILTER (WHERE vs.units IS DISTINCT FROM ls.units) = 0,
			       COALESCE(string_agg(a.code, ', ') FILTER (WHERE vs.units IS DISTINCT FROM ls.units),
			                format('%s summary accounts', count(*)))
			  FROM leafsum ls JOIN ledger.account a ON a.id = ls.ancestor_id
			  LEFT JOIN viewsum vs ON vs.id = ls.ancestor_id AND vs.currency = ls.currency
			 GROUP BY ls.currency;
		EXCEPTION WHEN numeric_value_out_of_range THEN
			-- a summary account whose balance (the sum of its leaves') is beyond
			-- the range of ledger.amount: ledger.balances cannot show it, so
			-- nothing is compared; the check fails naming it
			RETURN QUERY
			WITH leafsum AS (
				SELECT c.ancestor_id, l.currency, sum(b.units) AS units
				  FROM ledger._account_closure c
				  JOIN ledger._leaf l ON l.id = c.account_id
				  JOIN ledger.account_balance b ON b.account_id = l.id
				 WHERE c.depth > 0 AND l.currency IS NOT NULL
				 GROUP BY c.ancestor_id, l.currency)
			SELECT 'summary_equals_children'::text, ls.currency, false,
			       COALESCE(string_agg(format('%s: %s, beyond the range of ledger.amount', a.code,
			                                  ledger._format_units(ls.units * ledger._normal_sign(a.kind, a.metadata), ls.currency)),
			                           ', ' ORDER BY a.code)
			                  FILTER (WHERE ls.units NOT BETWEEN -9223372036854775807 AND 9223372036854775807),
			                'not compared: ledger.balances cannot show a summary account of another currency')
			  FROM leafsum ls JOIN ledger.account a ON a.id = ls.ancestor_id
			 GROUP BY ls.currency;
		END;
	ELSE
		RETURN QUERY
		WITH kids AS (
			SELECT c.ancestor_id, r.currency,
			       sum(ledger.minor_units(r.opening)) AS opening, sum(ledger.minor_units(r.debit)) AS debit,
			       sum(ledger.minor_units(r.credit)) AS credit, sum(ledger.minor_units(r.closing)) AS closing,
			       sum(r.entries) AS entries, sum(r.cum_debit) AS cum_debit, sum(r.cum_credit) AS cum_credit
			  FROM ledger.daily_balance r
			  JOIN ledger._account_closure c ON c.account_id = r.account_id AND c.depth > 0
			 WHERE r.book_date = d AND NOT r.summary
			 GROUP BY c.ancestor_id, r.currency),
		sums AS (
			SELECT s.account_id, s.currency, ledger.minor_units(s.opening) AS opening,
			       ledger.minor_units(s.debit) AS debit, ledger.minor_units(s.credit) AS credit,
			       ledger.minor_units(s.closing) AS closing, s.entries, s.cum_debit, s.cum_credit
			  FROM ledger.daily_balance s WHERE s.book_date = d AND s.summary),
		cmp AS (
			SELECT COALESCE(k.currency, s.currency) AS currency, COALESCE(k.ancestor_id, s.account_id) AS id,
			       (k.opening, k.debit, k.credit, k.closing, k.entries, k.cum_debit, k.cum_credit)
			         IS DISTINCT FROM (s.opening, s.debit, s.credit, s.closing, s.entries::numeric, s.cum_debit, s.cum_credit) AS differs
			  FROM kids k FULL JOIN sums s ON s.account_id = k.ancestor_id AND s.currency = k.currency)
		SELECT 'summary_equals_children'::text, cmp.currency, NOT bool_or(cmp.differs),
		       COALESCE(string_agg(a.code, ', ') FILTER (WHERE cmp.differs), format('%s summary rows', count(*)))
		  FROM cmp JOIN ledger.account a ON a.id = cmp.id
		 GROUP BY cmp.currency;
	END IF;

	-- balances_match_entries: the maintained balances equal the entries
	RETURN QUERY
	WITH base AS (
		SELECT s.account_id, sum(ledger.minor_units(s.closing)) AS units
		  FROM ledger.daily_balance s
		 WHERE s.book_date = CASE WHEN st = 'open' THEN last_closed ELSE d END AND NOT s.summary
		 GROUP BY s.account_id),
	later AS (
		SELECT e.account_id, sum(ledger.minor_units(e.amount)) AS units
		  FROM ledger.entry e
		 WHERE e.book_date > COALESCE(CASE WHEN st = 'open' THEN last_closed ELSE d END, '-infinity')
		 GROUP BY e.account_id),
	kept AS (
		SELECT b.account_id, sum(b.units) AS units FROM ledger.account_balance b GROUP BY b.account_id),
	cmp AS (
		SELECT l.code, l.currency, COALESCE(base.units, 0) + COALESCE(later.units, 0) AS expected,
		       COALESCE(kept.units, 0) AS kept
		  FROM ledger._leaf l
		  LEFT JOIN base ON base.account_id = l.id
		  LEFT JOIN later ON later.account_id = l.id
		  LEFT JOIN kept ON kept.account_id = l.id
		 WHERE l.currency IS NOT NULL)
	SELECT 'balances_match_entries'::text, cmp.currency, count(*) FILTER (WHERE cmp.expected <> cmp.kept) = 0,
	       COALESCE(string_agg(format('%s: maintained %s, entries say %s', cmp.code,
	           ledger._format_units(cmp.kept, cmp.currency),
	           ledger._format_units(cmp.expected, cmp.currency)), '; ')
	           FILTER (WHERE cmp.expected <> cmp.kept), format('%s accounts', count(*)))
	  FROM cmp GROUP BY cmp.currency;

	-- holds_match_lines: the held totals of the balance rows are the lines of
	-- the pending holds; for a closed day, its snapshot's held amounts are
	-- the lines of the holds pending at its close; and every line of those
	-- holds is on a leaf account of its currency (the account triggers keep
	-- an account a hold names as it is, but not with the triggers off)
	RETURN QUERY
	WITH kept AS (
		SELECT b.account_id, sum(b.held_debit) AS debit, sum(b.held_credit) AS credit
		  FROM ledger.account_balance b GROUP BY b.account_id),
	pending AS (
		SELECT l.account_id, sum(GREATEST(ledger.minor_units(l.amount), 0)) AS debit,
		       sum(GREATEST(-ledger.minor_units(l.amount), 0)) AS credit
		  FROM ledger.hold h JOIN ledger.hold_line l ON l.hold_id = h.id
		 WHERE h.status = 'pending' GROUP BY l.account_id),
	at_day AS (
		SELECT l.account_id, sum(GREATEST(ledger.minor_units(l.amount), 0)) AS debit,
		       sum(GREATEST(-ledger.minor_units(l.amount), 0)) AS credit
		  FROM ledger.hold h JOIN ledger.hold_line l ON l.hold_id = h.id
		 WHERE st <> 'open' AND NOT at_close AND h.book_date <= d
		   AND (h.status = 'pending' OR h.settled_book_date > d)
		 GROUP BY l.account_id),
	snap AS (
		SELECT r.account_id, ledger.minor_units(r.held_debit) AS debit, ledger.minor_units(r.held_credit) AS credit
		  FROM ledger.daily_balance r
		 WHERE st <> 'open' AND NOT at_close AND r.book_date = d AND NOT r.summary AND r.held_debit IS NOT NULL),
	cmp AS (
		SELECT l.code, l.currency,
		       CASE
		         WHEN (COALESCE(kept.debit, 0), COALESCE(kept.credit, 0))
		              IS DISTINCT FROM (COALESCE(pending.debit, 0), COALESCE(pending.credit, 0))
		         THEN format('%s: held %s / %s in the balances, the pending holds say %s / %s', l.code,
		                ledger._format_units(COALESCE(kept.debit, 0), l.currency),
		                ledger._format_units(COALESCE(kept.credit, 0), l.currency),
		                ledger._format_units(COALESCE(pending.debit, 0), l.currency),
		                ledger._format_units(COALESCE(pending.credit, 0), l.currency))
		         WHEN st <> 'open' AND NOT at_close
		              AND (snap.account_id IS NOT NULL OR at_day.account_id IS NOT NULL)
		              AND (COALESCE(snap.debit, 0), COALESCE(snap.credit, 0))
		                  IS DISTINCT FROM (COALESCE(at_day.debit, 0), COALESCE(at_day.credit, 0))
		         THEN format('%s: held %s / %s at the close of %s, the holds say %s / %s', l.code,
		                ledger._format_units(COALESCE(snap.debit, 0), l.currency),
		                ledger._format_units(COALESCE(snap.credit, 0), l.currency), d,
		                ledger._format_units(COALESCE(at_day.debit, 0), l.currency),
		                ledger._format_units(COALESCE(at_day.credit, 0), l.currency))
		       END AS problem,
		       COALESCE(pending.debit, 0) + COALESCE(pending.credit, 0) <> 0 AS holding
		  FROM ledger._leaf l
		  LEFT JOIN kept ON kept.account_id = l.id
		  LEFT JOIN pending ON pending.account_id = l.id
		  LEFT JOIN at_day ON at_day.account_id = l.id
		  LEFT JOIN snap ON snap.account_id = l.id
		 WHERE l.currency IS NOT NULL),
	stray AS (
		SELECT ledger.currency(l.amount) AS currency, a.code, l.hold_id, l.line_no,
		       format('%s: line %s of hold %s holds %s on %s', a.code, l.line_no, l.hold_id, l.amount,
		              CASE WHEN a.currency IS DISTINCT FROM ledger.currency(l.amount)
		                   THEN format('an account of %s', COALESCE(a.currency, 'no currency'))
		                   ELSE 'a summary account' END) AS problem
		  FROM ledger.hold h
		  JOIN ledger.hold_line l ON l.hold_id = h.id
		  JOIN ledger.account a ON a.id = l.account_id
		 WHERE (h.status = 'pending'
		        OR (st <> 'open' AND NOT at_close AND h.book_date <= d AND h.settled_book_date > d))
		   AND (a.currency IS DISTINCT FROM ledger.currency(l.amount)
		        OR EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = a.code))),
	checked AS (
		SELECT cmp.currency, cmp.problem, cmp.holding, 0 AS part, cmp.code, 0::bigint AS hold_id, 0 AS line_no FROM cmp
		UNION ALL
		SELECT stray.currency, stray.problem, false, 1, stray.code, stray.hold_id, stray.line_no FROM stray)
	SELECT 'holds_match_lines'::text, checked.currency, count(checked.problem) = 0,
	       COALESCE(string_agg(checked.problem, '; ' ORDER BY checked.part, checked.code, checked.hold_id, checked.line_no),
	                format('%s accounts with pending holds', count(*) FILTER (WHERE checked.holding)))
	  FROM checked GROUP BY checked.currency;

	-- snapshot_matches_entries: the stored daily balances are what the entries say
	IF st <> 'open' AND NOT at_close THEN
		RETURN QUERY
		-- (in numeric: a day whose snapshot failed on a turnover beyond the
		-- range of ledger.amount is checked too); a row without entries
		-- (a balance carried over, held money) shows no movement
		WITH m AS (SELECT e.account_id, ledger.currency(e.amount) AS currency,
		                  COALESCE(sum(ledger.minor_units(e.amount)) FILTER (WHERE (ledger.minor_units(e.amount) > 0) <> e.red), 0) AS debit,
		                  -COALESCE(sum(ledger.minor_units(e.amount)) FILTER (WHERE (ledger.minor_units(e.amount) > 0) = e.red), 0) AS credit,
		                  count(*) AS entries
		             FROM ledger.entry e WHERE e.book_date = d GROUP BY e.account_id, ledger.currency(e.amount)),
		s AS (SELECT r.account_id, r.currency, ledger.minor_units(r.debit)::numeric AS debit,
		             ledger.minor_units(r.credit)::numeric AS credit, r.entries,
		             ledger.minor_units(r.opening) = ledger.minor_units(r.closing) AS unchanged
		        FROM ledger.daily_balance r WHERE r.book_date = d AND NOT r.summary),
		cmp AS (
			SELECT COALESCE(m.currency, s.currency) AS currency, COALESCE(m.account_id, s.account_id) AS id,
			       m.account_id IS NOT NULL AS moved,
			       CASE WHEN m.account_id IS NULL
			            THEN (s.debit, s.credit, s.entries, s.unchanged) IS DISTINCT FROM (0::numeric, 0::numeric, 0::bigint, true)
			            ELSE (m.debit, m.credit, m.entries) IS DISTINCT FROM (s.debit, s.credit, s.entries) END AS differs
			  FROM m FULL JOIN s ON s.account_id = m.account_id AND s.currency = m.currency)
		SELECT 'snapshot_matches_entries'::text, cmp.currency, NOT bool_or(cmp.differs),
		       COALESCE(string_agg(a.code, ', ') FILTER (WHERE cmp.differs),
		                format('%s accounts moved', count(*) FILTER (WHERE cmp.moved)))
		  FROM cmp JOIN ledger.account a ON a.id = cmp.id GROUP BY cmp.currency;
	END IF;

	-- digest_matches: a closed day's vouchers and entries are what was sealed
	IF st = 'closed' THEN
		check_name := 'digest_matches'; currency := NULL;
		ok := pass.digest = stored_digest;
		detail := CASE WHEN ok THEN 'sha256:' || encode(stored_digest, 'hex')
			ELSE format('sealed sha256:%s, recomputed sha256:%s', encode(stored_digest, 'hex'), encode(pass.digest, 'hex')) END;
		RETURN NEXT;
	END IF;

	-- the balance assertions (勾稽关系) on the day's closing balances
	RETURN QUERY
	SELECT 'assertion:' || a.name, a.currency, a.ok,
	       CASE WHEN a.ok OR a.blocking THEN a.detail ELSE a.detail || ' (not blocking)' END
	  FROM ledger._assertions(d) a;
END
$function$;

CREATE OR REPLACE PROCEDURE ledger._close_finish(IN d date)
 LANGUAGE plpgsql
AS $procedure$
DECLARE
	n integer;
	rows bigint;
	failed text[];
	dg bytea;
BEGIN
	-- each step commits and the next runs at REPEATABLE READ (see close_day);
	-- no SET search_path here (a procedure with SET cannot COMMIT): every
	-- function and operator is schema-qualified, so that objects in the
	-- caller's search_path cannot stand in for them
	RAISE NOTICE 'book day %: waiting for transactions that may still post into it', d;
	n := ledger._close_wait(d);
	COMMIT;
	SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
	RAISE NOTICE 'book day %: writing daily balances', d;
	rows := ledger._close_snapshot(d);
	COMMIT;
	SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
	RAISE NOTICE 'book day %: % daily balances written; checking the books', d, rows;
	failed := ledger._close_check(d);
	COMMIT;
	SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
	IF pg_catalog.cardinality(failed) OPERATOR(pg_catalog.>) 0 THEN
		PERFORM ledger._raise('23514', pg_catalog.format('book day %s failed its day-end checks: %s', d, pg_catalog.array_to_string(failed, ', ')),
			detail => (SELECT pg_catalog.string_agg(pg_catalog.format('%s%s: %s', c.check_name,
						CASE WHEN c.currency OPERATOR(pg_catalog.<>) '' THEN
							pg_catalog.format(' (%s)', c.currency) ELSE '' END, c.detail), E'\n')
					FROM ledger.book_check c WHERE c.book_date OPERATOR(pg_catalog.=) d AND NOT c.ok),
			hint => pg_catalog.format('The day stays closing and postings continue on the next day. Fix the cause, then run CALL ledger.close_day(''%s'') again.', d));
	END IF;
	dg := ledger._close_seal(d);
	COMMIT;
	SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
	RAISE NOTICE 'book day % is closed', d;
	FOR n IN SELECT 1 FROM ledger.book_check c
	          WHERE c.book_date OPERATOR(pg_catalog.=) d AND NOT c.ok LOOP
		-- only assertions that do not block can fail on a closed day
		RAISE WARNING 'book day %: balance assertions failed: %', d,
			(SELECT pg_catalog.string_agg(c.check_name, ', ' ORDER BY c.check_name) FROM ledger.book_check c
			  WHERE c.book_date OPERATOR(pg_catalog.=) d AND NOT c.ok)
			USING DETAIL = (SELECT pg_catalog.string_agg(pg_catalog.format('%s: %s', c.check_name, c.detail), E'\n'
			                         ORDER BY c.check_name)
			                  FROM ledger.book_check c WHERE c.book_date OPERATOR(pg_catalog.=) d AND NOT c.ok),
				HINT = 'These assertions do not block the cutoff (blocking = false); see ledger.book_check.';
		EXIT;
	END LOOP;
END
$procedure$;

-- The day-end's lock: one session at a time closes the books.  In C, in the
-- ledger's own space of lock tags, which pg_advisory_lock() cannot reach (a
-- role that may only connect cannot hold it to keep the books from closing).
CREATE FUNCTION ledger._day_end_lock() RETURNS boolean
	AS 'MODULE_PATHNAME', 'ledger_day_end_lock' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ledger._day_end_lock() IS
	'day-end helper: takes the session-level day-end lock if no other session holds it (true) or returns false; only for a caller with EXECUTE on ledger.close_day(date) (42501 otherwise); pg_locks shows it as advisory (1818585447, 1), objsubid 3';
CREATE FUNCTION ledger._day_end_unlock() RETURNS integer
	AS 'MODULE_PATHNAME', 'ledger_day_end_unlock' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ledger._day_end_unlock() IS
	'day-end helper: releases the day-end lock as often as this session took it and returns how often; only for a caller with EXECUTE on ledger.close_day(date) (42501 otherwise)';
-- The router's transfers lock (extension ledger_router on a router's database,
-- which needs this library): the same protection for its transfers and its
-- day-end.
CREATE FUNCTION ledger._transfers_lock(exclusive boolean) RETURNS void
	AS 'MODULE_PATHNAME', 'ledger_transfers_lock' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION ledger._transfers_lock(boolean) IS
	'router helper: takes the session-level lock of the router''s transfers, shared (a transfer: only for a caller with EXECUTE on ledger_router.transfer) or exclusive (ledger_router.close_day: EXECUTE on it), waiting for it within lock_timeout (55P03); 42501 for anyone else, 55000 without ledger_router; pg_locks shows it as advisory (76825, 1), objsubid 3';
CREATE FUNCTION ledger._transfers_unlock(exclusive boolean) RETURNS integer
	AS 'MODULE_PATHNAME', 'ledger_transfers_unlock' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION ledger._transfers_unlock(boolean) IS
	'router helper: releases the takes of the router''s transfers lock in that mode by this session and returns how many';

CREATE OR REPLACE PROCEDURE ledger.close_day(IN book_date date DEFAULT NULL::date)
 LANGUAGE plpgsql
AS $procedure$
DECLARE
	requested date := close_day.book_date;
	d date;
	holder integer;
BEGIN
	-- like ledger._close_finish, qualifies every function and operator
	PERFORM ledger._check_writable('ledger.close_day()');
	PERFORM ledger._check_book_date(requested, 'book_date');
	IF requested IS NOT NULL AND EXISTS (SELECT 1 FROM ledger.book_day b
	                                      WHERE b.book_date OPERATOR(pg_catalog.=) requested
	                                        AND b.status OPERATOR(pg_catalog.=) 'closed') THEN
		PERFORM ledger._raise('55000', pg_catalog.format('book day %s is already closed', requested),
			detail => 'A closed day never changes.');
	END IF;
	IF NOT ledger._day_end_lock() THEN
		SELECT l.pid INTO holder FROM pg_catalog.pg_locks l
		 WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory' AND l.classid OPERATOR(pg_catalog.=) 1818585447::pg_catalog.oid
		   AND l.objid OPERATOR(pg_catalog.=) 1::pg_catalog.oid AND l.objsubid OPERATOR(pg_catalog.=) 3 AND l.granted;
		PERFORM ledger._raise('55P03', 'another session is closing the books',
			detail => pg_catalog.format('Session %s holds the day-end lock.', holder),
			hint => 'Wait for it to finish. A session whose cutoff failed keeps the lock until it runs ledger.close_day() again, releases its advisory locks (pg_advisory_unlock_all(), DISCARD ALL) or ends.');
	END IF;
	-- Every step after the first runs in a transaction of its own at
	-- REPEATABLE READ, whatever the caller's default: the cutoff reads a day
	-- nobody writes any more and serialises with posters by its locks and its
	-- wait, so SERIALIZABLE would only add predicate locks on the books that
	-- every poster runs into (and whose read/write conflicts PostgreSQL keeps
	-- in a fixed-size pool).  The first (the switch, or the wait of a day
	-- left closing) reads only the book days.
	-- days left closing by an interrupted or failed run are finished first, oldest first
	FOR d IN SELECT b.book_date FROM ledger.book_day b
	          WHERE b.status OPERATOR(pg_catalog.=) 'closing'
	            AND (requested IS NULL OR b.book_date OPERATOR(pg_catalog.<=) requested)
	          ORDER BY b.book_date LOOP
		RAISE NOTICE 'book day % was left closing: finishing it', d;
		CALL ledger._close_finish(d);
	END LOOP;
	IF requested IS NULL OR NOT EXISTS (SELECT 1 FROM ledger.book_day b
	                                     WHERE b.book_date OPERATOR(pg_catalog.=) requested
	                                       AND b.status OPERATOR(pg_catalog.=) 'closed') THEN
		d := ledger._close_switch(requested);
		COMMIT;
		SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
		RAISE NOTICE 'book day % is closing; postings now go to %', d, d OPERATOR(pg_catalog.+) 1;
		CALL ledger._close_finish(d);
	END IF;
	PERFORM ledger._day_end_unlock();
END
$procedure$;

CREATE OR REPLACE FUNCTION ledger._close_snapshot(d date)
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_custom_plan'
 SET jit TO 'off'
AS $function$
DECLARE
	prev date;
	prev_status text;
	prev_digest bytea;
	pass record;
	n bigint;
	big record;
BEGIN
	PERFORM 1 FROM ledger.book_day b WHERE b.book_date = d AND b.status = 'closing' FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM ledger._raise('55000', pg_catalog.format('book day %s is not closing', d),
			detail => format('The daily balances are written for a closing day; book day %s is %s.', d,
					COALESCE((SELECT b.status FROM ledger.book_day b WHERE b.book_date = d), 'not in ledger.book_day')),
			hint => 'Run CALL ledger.close_day(), which takes each day through every step.');
	END IF;
	SELECT b.book_date, b.status, b.digest INTO prev, prev_status, prev_digest
	  FROM ledger.book_day b WHERE b.book_date < d ORDER BY b.book_date DESC LIMIT 1;
	IF prev IS NOT NULL AND prev_status <> 'closed' THEN
		PERFORM ledger._raise('55000', pg_catalog.format('book day %s is not closed', prev),
			detail => format('The daily balances of book day %s start from those of the day before, %s, which is %s.', d, prev, prev_status),
			hint => 'Run CALL ledger.close_day(), which finishes the earlier days first.');
	END IF;
	-- step 2 first: a transaction that began before the switch may still post into the day
	PERFORM 1 FROM ledger.day_close c WHERE c.book_date = d AND c.waited_at IS NOT NULL FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM ledger._raise('55000', pg_catalog.format('book day %s has not been through the wait', d),
			detail => format('Step 2 (ledger._close_wait) has not completed for book day %s since it became closing: transactions begun before the switch may still post into it.', d),
			hint => 'Run CALL ledger.close_day(), which takes each day through every step.');
	END IF;
	-- and in a transaction of its own, committed before this one: a snapshot
	-- taken before the wait ended would miss what the posters it waited for
	-- committed meanwhile
	IF EXISTS (SELECT 1 FROM ledger.day_close c
	            WHERE c.book_date = d AND c.xmin = pg_catalog.pg_current_xact_id_if_assigned()::xid) THEN
		PERFORM ledger._raise('55000', pg_catalog.format('the wait of book day %s has not committed', d),
			detail => format('This transaction waited for the posters of book day %s (ledger._close_wait); its snapshot may be older than what they committed.', d),
			hint => 'Commit the wait, then take the snapshot in a new transaction.');
	END IF;

	DELETE FROM ledger.daily_balance WHERE book_date = d;

	-- leaf rows: yesterday's balances plus today's movements
	BEGIN
	INSERT INTO ledger.daily_balance
		(account_id, book_date, currency, opening, debit, credit, closing, entries, cum_debit, cum_credit, summary,
		 held_debit, held_credit)
	SELECT k.account_id, d, k.currency,
	       ledger.amount_of_units(k.opening, k.currency),
	       ledger.amount_of_units(k.debit, k.currency),
	       ledger.amount_of_units(k.credit, k.currency),
	       ledger.amount_of_units((k.opening + k.debit - k.credit)::bigint, k.currency),
	       k.entries,
	       k.cum_debit + k.debit,
	       k.cum_credit + k.credit,
	       false,
	       ledger.zero(k.currency),
	       ledger.zero(k.currency)
	  FROM (
		SELECT COALESCE(m.account_id, y.account_id) AS account_id,
		       COALESCE(m.currency, y.currency) AS currency,
		       COALESCE(ledger.minor_units(y.closing), 0) AS opening,
		       COALESCE(ledger.minor_units(m.debit), 0) AS debit,
		       COALESCE(ledger.minor_units(m.credit), 0) AS credit,
		       COALESCE(m.entries, 0) AS entries,
		       COALESCE(y.cum_debit, h.cum_debit, 0) AS cum_debit,
		       COALESCE(y.cum_credit, h.cum_credit, 0) AS cum_credit
		  FROM (SELECT e.account_id, (ledger.trial(e.amount, e.red)).*
		          FROM ledger.entry e WHERE e.book_date = d GROUP BY e.account_id) m
		  FULL JOIN (SELECT * FROM ledger.daily_balance y
		              WHERE y.book_date = prev AND NOT y.summary
		                AND ledger.minor_units(y.closing) <> 0) y
		    ON y.account_id = m.account_id
		  -- cumulative totals of an account moving today after days without a row
		  LEFT JOIN LATERAL (
			SELECT h.cum_debit, h.cum_credit FROM ledger.daily_balance h
			 WHERE m.account_id IS NOT NULL AND h.account_id = m.account_id
			   AND h.book_date < d AND NOT h.summary
			 ORDER BY h.book_date DESC LIMIT 1) h ON y.account_id IS NULL
	  ) k;
	GET DIAGNOSTICS n = ROW_COUNT;
	EXCEPTION WHEN numeric_value_out_of_range THEN
		-- an account's debits or credits of the day beyond the 64-bit
		-- ledger.amount the row stores them in: name it
		SELECT a.code, t.currency, t.what, t.units INTO big
		  FROM (SELECT e.account_id, ledger.currency(e.amount) AS currency,
		               sum(ledger.minor_units(e.amount)) FILTER (WHERE (ledger.minor_units(e.amount) > 0) <> e.red) AS debit,
		               -sum(ledger.minor_units(e.amount)) FILTER (WHERE (ledger.minor_units(e.amount) > 0) = e.red) AS credit
		          FROM ledger.entry e WHERE e.book_date = d
		         GROUP BY e.account_id, ledger.currency(e.amount)) m
		 CROSS JOIN LATERAL (VALUES (m.currency, 'debits', m.debit), (m.currency, 'credits', m.credit)) t(currency, what, units)
		  JOIN ledger.account a ON a.id = m.account_id
		 WHERE t.units NOT BETWEEN -9223372036854775808 AND 9223372036854775807
		 ORDER BY a.code, t.what DESC LIMIT 1;
		IF FOUND THEN
			PERFORM ledger._raise('22003', pg_catalog.format('the daily balances of book day %s are out of range of ledger.amount', d),
				detail => format('The day''s %s of account "%s" are %s (%s minor units of %s); a daily balance holds at most 9223372036854775807.',
						big.what, big.code, ledger._format_units(big.units, big.currency), big.units, big.currency),
				hint => 'Every balance, summary roll-up and day''s debits or credits of an account must fit 9223372036854775807 minor units, about 9.22 units of a currency with 18 decimals. The day stays closing and cannot be closed; book such amounts in a currency with fewer decimals (e.g. ETH/9).');
		END IF;
		RAISE;
	END;

	-- held amounts at the close: the holds created by the end of the day and
	-- settled after it (or not yet); an account with nothing but held money
	-- gets a row of its own
	WITH held AS (
		SELECT l.account_id, ledger.currency(l.amount) AS currency,
		       sum(GREATEST(ledger.minor_units(l.amount), 0))::bigint AS debit,
		       sum(GREATEST(-ledger.minor_units(l.amount), 0))::bigint AS credit
		  FROM (SELECT h.id FROM ledger.hold h WHERE h.status = 'pending' AND h.book_date <= d
		        UNION ALL
		        SELECT h.id FROM ledger.hold h WHERE h.settled_book_date > d AND h.book_date <= d) p
		  JOIN ledger.hold_line l ON l.hold_id = p.id
		 GROUP BY l.account_id, ledger.currency(l.amount)),
	upd AS (
		UPDATE ledger.daily_balance r
		   SET held_debit = ledger.amount_of_units(held.debit, held.currency),
		       held_credit = ledger.amount_of_units(held.credit, held.currency)
		  FROM held
		 WHERE r.account_id = held.account_id AND r.book_date = d AND r.currency = held.currency AND NOT r.summary
		RETURNING r.account_id)
	INSERT INTO ledger.daily_balance
		(account_id, book_date, currency, opening, debit, credit, closing, entries, cum_debit, cum_credit, summary,
		 held_debit, held_credit)
	SELECT held.account_id, d, held.currency, ledger.zero(held.currency), ledger.zero(held.currency),
	       ledger.zero(held.currency), ledger.zero(held.currency), 0,
	       COALESCE(h.cum_debit, 0), COALESCE(h.cum_credit, 0), false,
	       ledger.amount_of_units(held.debit, held.currency), ledger.amount_of_units(held.credit, held.currency)
	  FROM held
	  LEFT JOIN LATERAL (
		SELECT y.cum_debit, y.cum_credit FROM ledger.daily_balance y
		 WHERE y.account_id = held.account_id AND y.book_date < d AND NOT y.summary
		 ORDER BY y.book_date DESC LIMIT 1) h ON true
	 WHERE held.account_id NOT IN (SELECT upd.account_id FROM upd);

	-- summary rows: the sums of the leaf rows below each summary account
	BEGIN
	INSERT INTO ledger.daily_balance
		(account_id, book_date, currency, opening, debit, credit, closing, entries, cum_debit, cum_credit, summary,
		 held_debit, held_credit)
	SELECT c.ancestor_id, d, r.currency,
	       ledger.sum(r.opening), ledger.sum(r.debit), ledger.sum(r.credit), ledger.sum(r.closing),
	       sum(r.entries)::bigint, sum(r.cum_debit), sum(r.cum_credit), true,
	       ledger.sum(r.held_debit), ledger.sum(r.held_credit)
	  FROM ledger.daily_balance r
	  JOIN ledger._account_closure c ON c.account_id = r.account_id AND c.depth > 0
	 WHERE r.book_date = d AND NOT r.summary
	 GROUP BY c.ancestor_id, r.currency;
	EXCEPTION WHEN numeric_value_out_of_range THEN
		-- a summary account's roll-up beyond the range of ledger.amount: name it
		SELECT a.code, k.currency, t.what, t.units INTO big
		  FROM (SELECT c.ancestor_id, r.currency,
		               sum(ledger.minor_units(r.opening)) AS opening, sum(ledger.minor_units(r.debit)) AS debit,
		               sum(ledger.minor_units(r.credit)) AS credit, sum(ledger.minor_units(r.closing)) AS closing,
		               sum(ledger.minor_units(r.held_debit)) AS held_debit, sum(ledger.minor_units(r.held_credit)) AS held_credit
		          FROM ledger.daily_balance r
		          JOIN ledger._account_closure c ON c.account_id = r.account_id AND c.depth > 0
		         WHERE r.book_date = d AND NOT r.summary
		         GROUP BY c.ancestor_id, r.currency) k
		 CROSS JOIN LATERAL (VALUES (1, 'opening balances', k.opening), (2, 'debits of the day', k.debit),
		                            (3, 'credits of the day', k.credit), (4, 'closing balances', k.closing),
		                            (5, 'held debits', k.held_debit), (6, 'held credits', k.held_credit)) t(i, what, units)
		  JOIN ledger.account a ON a.id = k.ancestor_id
		 WHERE t.units NOT BETWEEN -9223372036854775808 AND 9223372036854775807
		 ORDER BY a.code, k.currency, t.i LIMIT 1;
		IF FOUND THEN
			PERFORM ledger._raise('22003', pg_catalog.format('the daily balances of book day %s are out of range of ledger.amount', d),
				detail => format('The roll-up of the %s of the accounts under summary account "%s" is %s (%s minor units of %s); a daily balance holds at most 9223372036854775807.',
						big.what, big.code, ledger._format_units(big.units, big.currency), big.units, big.currency),
				hint => 'Every balance, summary roll-up and day''s debits or credits of an account must fit 9223372036854775807 minor units, about 9.22 units of a currency with 18 decimals. The day stays closing and cannot be closed; book such amounts in a currency with fewer decimals (e.g. ETH/9), or give the summary account fewer accounts under it.');
		END IF;
		RAISE;
	END;

	-- one ordered pass over the day: digest, and the vouchers that do not balance
	SELECT * INTO pass FROM ledger._day_digest(d, prev_digest, 2);
	UPDATE ledger.day_close SET snapshot_at = now(), vouchers = pass.vouchers, entries = pass.entries,
		digest = pass.digest, problems = pass.problems, problem_count = pass.problem_count
	 WHERE book_date = d;
	RETURN n;
END
$function$;

CREATE OR REPLACE FUNCTION ledger.check_books(book_date date)
 RETURNS TABLE(check_name text, currency text, ok boolean, detail text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_custom_plan'
 SET jit TO 'off'
AS $function$
	SELECT c.check_name, c.currency, c.ok, c.detail
	  FROM ledger._check_books($1, false) c
	 ORDER BY c.check_name, c.currency NULLS FIRST
$function$;

CREATE OR REPLACE FUNCTION ledger._close_seal(d date)
 RETURNS bytea
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
	dg bytea;
BEGIN
	SELECT c.digest INTO dg FROM ledger.day_close c
	 WHERE c.book_date = d AND c.failed_checks = '{}' AND c.snapshot_at >= c.waited_at AND c.checked_at >= c.snapshot_at;
	IF dg IS NULL THEN
		PERFORM ledger._raise('55000', pg_catalog.format('book day %s has not passed its checks', d),
			detail => COALESCE((SELECT CASE WHEN c.waited_at IS NULL
				                               THEN format('Step 2 (ledger._close_wait) has not completed for book day %s.', d)
				                               WHEN c.snapshot_at IS NULL OR c.snapshot_at < c.waited_at
				                               THEN format('Step 3 (ledger._close_snapshot) has not run for book day %s since its wait.', d)
				                               WHEN c.checked_at IS NULL OR c.checked_at < c.snapshot_at
				                               THEN format('Book day %s was not checked after its daily balances were written.', d)
				                               WHEN c.failed_checks <> '{}'
				                               THEN format('Book day %s failed %s.', d, pg_catalog.array_to_string(c.failed_checks, ', '))
				                               ELSE format('Book day %s has no digest yet.', d) END
				                     FROM ledger.day_close c WHERE c.book_date = d),
				                  format('Book day %s has not been through the cutoff.', d)),
			hint => 'Run CALL ledger.close_day(), which takes each day through every step.');
	END IF;
	UPDATE ledger.book_day SET status = 'closed', closed_at = now(), digest = dg, digest_version = 2
	 WHERE book_date = d AND status = 'closing';
	IF NOT FOUND THEN
		PERFORM ledger._raise('55000', pg_catalog.format('book day %s is not closing', d),
			detail => format('Only a closing day is sealed; book day %s is %s.', d,
					COALESCE((SELECT b.status FROM ledger.book_day b WHERE b.book_date = d), 'not in ledger.book_day')));
	END IF;
	-- the day's daily balances are final: index their pages for the reports
	PERFORM pg_catalog.brin_summarize_new_values('ledger.daily_balance_book_date_idx'::pg_catalog.regclass);
	RETURN dg;
END
$function$;

CREATE OR REPLACE FUNCTION ledger.verify_books(from_date date, to_date date)
 RETURNS TABLE(book_date date, ok boolean, detail text)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_custom_plan'
 SET jit TO 'off'
AS $function$
DECLARE
	r record;
	prev bytea;
	pass record;
BEGIN
	IF from_date IS NULL OR to_date IS NULL THEN
		PERFORM ledger._raise('22004', 'from_date and to_date must not be null',
			detail => format('ledger.verify_books() was called with from_date %s and to_date %s.',
					COALESCE(from_date::text, 'NULL'), COALESCE(to_date::text, 'NULL')),
			hint => 'Pass ''-infinity'' and ''infinity'' to verify every day.');
	END IF;
	PERFORM ledger._check_book_date(from_date, 'from_date', true);
	PERFORM ledger._check_book_date(to_date, 'to_date', true);
	SELECT b.digest INTO prev FROM ledger.book_day b WHERE b.book_date < from_date ORDER BY b.book_date DESC LIMIT 1;
	FOR r IN SELECT b.book_date AS d, b.status, b.digest, b.digest_version FROM ledger.book_day b
	          WHERE b.book_date BETWEEN from_date AND to_date ORDER BY b.book_date LOOP
		book_date := r.d;
		IF r.status <> 'closed' THEN
			ok := NULL;
			detail := format('not closed (%s)', r.status);
		ELSE
			-- with the formula that sealed the day (1 for days closed by version 1.0)
			SELECT * INTO pass FROM ledger._day_digest(r.d, prev, COALESCE(r.digest_version, 1));
			ok := pass.digest = r.digest;
			detail := CASE WHEN ok
				THEN format('%s vouchers, %s entries, sha256:%s%s', pass.vouchers, pass.entries, encode(r.digest, 'hex'),
					CASE WHEN COALESCE(r.digest_version, 1) = 1 THEN ' (digest version 1: entry book dates not covered)' ELSE '' END)
				ELSE format('history changed: sealed sha256:%s, now sha256:%s (%s vouchers, %s entries)',
					encode(r.digest, 'hex'), encode(pass.digest, 'hex'), pass.vouchers, pass.entries) END;
		END IF;
		prev := r.digest;
		RETURN NEXT;
	END LOOP;
END
$function$;

-- ---- end of the final definitions ----

-- ---- holds review: ledger.hold's one-literal form instead of a preferred array type; expired holds at now() ----
/*
 * As for ledger.post: the form taking one text is the one an untyped array
 * literal '{...}' resolves to (PostgreSQL finds the amount[] and text[] forms
 * equally good for it, and picks the string-typed form before either).
 */
CREATE FUNCTION ledger.hold(idempotency_key text, accounts text[], amounts text,
		summary text DEFAULT NULL, ref text DEFAULT NULL, expires_at timestamptz DEFAULT NULL,
		metadata jsonb DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_hold'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.hold(text, text[], text, text, text, timestamptz, jsonb) IS
	'ledger.hold with the amounts as one array literal (''{12.34 CNY,-12.34 CNY}''), the form an untyped literal resolves to; same behaviour';

REVOKE EXECUTE ON FUNCTION ledger.hold(text, text[], text, text, text, timestamptz, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION ledger._expired_held(bigint) IS
	'held debits and credits of an account''s pending holds past their expiry (they reserve nothing)';

COMMENT ON COLUMN ledger.balances.available IS 'balance less the held amounts that would lower it, a hold past its expiry counted until ledger.expire_holds() marks it (ledger.available() and the bound checks leave it out at once)';

CREATE OR REPLACE FUNCTION ledger._statement_store(source text, statement_date date, format text, file_header jsonb, file_totals jsonb)
 RETURNS ledger.statement_import
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
$function$;

CREATE OR REPLACE FUNCTION ledger._close_wait(d date)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
	n integer;
	px record;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM ledger.book_day b WHERE b.book_date = d AND b.status = 'closing') THEN
		PERFORM ledger._raise('55000', pg_catalog.format('book day %s is not closing', d),
			detail => format('The wait is for a day the switch (ledger._close_switch) made closing; book day %s is %s.', d,
					COALESCE((SELECT b.status FROM ledger.book_day b WHERE b.book_date = d), 'not in ledger.book_day')),
			hint => 'Run CALL ledger.close_day(), which takes each day through every step.');
	END IF;
	-- runs in a transaction begun after the switch committed: a transaction
	-- that made the day closing itself has not let the posters see the switch
	IF EXISTS (SELECT 1 FROM ledger.book_day b
	            WHERE b.book_date = d AND b.xmin = pg_catalog.pg_current_xact_id_if_assigned()::xid) THEN
		PERFORM ledger._raise('55000', pg_catalog.format('the switch of book day %s has not committed', d),
			detail => format('This transaction made book day %s closing; transactions beginning now still post into it.', d),
			hint => 'Commit the switch (ledger._close_switch), then wait in a new transaction.');
	END IF;
	UPDATE ledger.day_close SET switched_at = now() WHERE book_date = d AND switched_at IS NULL;
	-- a prepared transaction that wrote vouchers (PREPARE TRANSACTION after a
	-- posting) ends only when someone commits or rolls it back: name it, or
	-- the cutoff seems to hang for no reason
	FOR px IN SELECT p.transaction, p.gid, p.owner, p.prepared
	            FROM pg_catalog.pg_prepared_xacts p
	           WHERE p.database = pg_catalog.current_database()
	             AND EXISTS (SELECT 1 FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_locks t
	                                 ON t.virtualtransaction = l.virtualtransaction
	                          WHERE l.locktype = 'relation' AND l.relation = 'ledger.voucher'::pg_catalog.regclass
	                            AND l.mode = 'RowExclusiveLock' AND l.pid IS NULL
	                            AND t.locktype = 'transactionid' AND t.transactionid = p.transaction)
	           ORDER BY p.prepared
	LOOP
		RAISE NOTICE 'book day %: waiting for prepared transaction % (gid "%", owner %, prepared at %), which may still post into it; it ends only with COMMIT PREPARED or ROLLBACK PREPARED',
			d, px.transaction, px.gid, px.owner, px.prepared;
	END LOOP;
	n := ledger._wait_for_posters();
	-- the snapshot may now be written: nothing posts into the day any more
	UPDATE ledger.day_close SET waited_at = now() WHERE book_date = d;
	RETURN n;
END
$function$;

CREATE OR REPLACE FUNCTION ledger.balance(code text, as_of date)
 RETURNS ledger.amount
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_custom_plan'
 SET jit TO 'off'
AS $function$
DECLARE
	a ledger.account;
	units numeric;
	cur text;
	ncur integer;
BEGIN
	IF balance.code IS NULL THEN
		PERFORM ledger._raise('22004', 'code must not be null',
			detail => 'ledger.balance() needs the code of an account.');
	END IF;
	PERFORM ledger._check_book_date(as_of, 'as_of');
	PERFORM ledger._check_as_of(as_of);
	SELECT * INTO a FROM ledger.account WHERE account.code = balance.code;
	IF NOT FOUND THEN
		PERFORM ledger._raise('23503', pg_catalog.format('account "%s" does not exist', code),
			detail => format('No account in ledger.account has the code "%s"; account codes are case-sensitive.', code));
	END IF;
	SELECT sum(p.balance), min(p.currency), count(DISTINCT p.currency) INTO units, cur, ncur
	  FROM ledger._leaf_position(as_of) p
	  JOIN ledger._account_closure c ON c.account_id = p.account_id
	 WHERE c.ancestor_id = a.id;
	IF ncur > 1 THEN
		PERFORM ledger._raise('42804', pg_catalog.format('account "%s" holds more than one currency', code),
			detail => (SELECT format('Its leaf accounts hold %s.', string_agg(DISTINCT p.currency, ' and ' ORDER BY p.currency))
				            FROM ledger._leaf_position(as_of) p
				            JOIN ledger._account_closure c ON c.account_id = p.account_id
				           WHERE c.ancestor_id = a.id),
			hint => 'Use ledger.trial_balance() for multi-currency summary accounts.');
	END IF;
	cur := COALESCE(cur, a.currency);
	IF cur IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN ledger._amount_of_sum(COALESCE(units, 0) * ledger._normal_sign(a.kind, a.metadata), cur, a.code,
		'balance at the end of ' || pg_catalog.to_char(as_of, 'YYYY-MM-DD'));
END
$function$;

CREATE OR REPLACE FUNCTION ledger.stage_statement()
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
$function$;

-- ---- drivers: ledger.post_hold's amounts as text[] and as one array literal (JDBC, psycopg2, node-postgres) ----
/*
 * As for ledger.post and ledger.hold: the amounts as text[] (JDBC's
 * createArrayOf("text", ...), psycopg2's list of str) and as one array
 * literal (an untyped '{...}', a JDBC setString).  The amounts have no
 * default here, so that a call without them names the form above alone; a
 * NULL for them resolves to the text form and posts the hold in full.
 */
CREATE FUNCTION ledger.post_hold(hold_id bigint, idempotency_key text, amounts text[],
		summary text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_post_hold'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.post_hold(bigint, text, text[], text) IS
	'ledger.post_hold with the amounts as text (''4.00 CNY''), for drivers that send a list of strings; same behaviour';

CREATE FUNCTION ledger.post_hold(hold_id bigint, idempotency_key text, amounts text,
		summary text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_post_hold'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.post_hold(bigint, text, text, text) IS
	'ledger.post_hold with the amounts as one array literal (''{4.00 CNY,-4.00 CNY}''), the form an untyped literal resolves to; same behaviour';

REVOKE EXECUTE ON FUNCTION ledger.post_hold(bigint, text, text[], text), ledger.post_hold(bigint, text, text, text) FROM PUBLIC;

-- ---- guards on the tables the ledger keeps in step itself (red-team review) ----
-- ===========================================================================
-- 16. Guards on the tables the ledger keeps in step itself
-- ===========================================================================

/*
 * The maintained balances, the tree of the chart, the daily balances, the
 * cutoff's records and the reconciliation's results are written by the
 * ledger's own functions and triggers, which run as the extension's owner
 * (SECURITY DEFINER) or write the rows from C.  No role the README names is
 * granted a write on them; but a role given pg_write_all_data (PostgreSQL 14
 * and later), or a GRANT made by mistake, could otherwise UPDATE a balance
 * row past its floor, unfreeze an account, hide a failed check or resolve a
 * break behind the ledger's back.  Refused here (42501) for every role that
 * cannot act as the table's owner; the owner and superusers, who may disable
 * triggers anyway, are let through (the tests break the books on purpose
 * that way).  A restore in replica mode fires no trigger.
 */
CREATE FUNCTION ledger._owner_writes_only() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	owner oid := (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) TG_RELID);
BEGIN
	IF NOT pg_catalog.pg_has_role(pg_catalog.current_user(), owner, 'USAGE') THEN
		PERFORM ledger._raise('42501', pg_catalog.format('cannot %s %s.%s directly',
				CASE TG_OP WHEN 'INSERT' THEN 'insert into' WHEN 'DELETE' THEN 'delete from' ELSE 'update' END,
				TG_TABLE_SCHEMA, TG_TABLE_NAME),
			detail => pg_catalog.format('%s.%s is kept in step with the books by the ledger''s own functions, which run as its owner %s; role %s is not that owner (a write privilege on it, e.g. through pg_write_all_data, is not enough).',
				TG_TABLE_SCHEMA, TG_TABLE_NAME, owner::pg_catalog.regrole, pg_catalog.current_user()),
			hint => 'Post, hold, close the day or reconcile through the ledger''s functions.');
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION ledger._owner_writes_only() IS
	'statement trigger: refuses (42501) writes to the tables the ledger keeps itself by any role that cannot act as their owner (pg_write_all_data, a GRANT made by mistake)';
REVOKE EXECUTE ON FUNCTION ledger._owner_writes_only() FROM PUBLIC;

CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.account_balance
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.account_tree
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.daily_balance
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.day_close
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.book_check
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.statement_import
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.statement_file
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.recon_run
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.recon_pending
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.recon_break
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.recon_match
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();

/*
 * Daily balances are written by the cutoff while their day is closing
 * (ledger._close_snapshot), and those of a closed day never change: the row
 * guard refuses UPDATE and DELETE, this refuses a row added afterwards (an
 * account the day's trial balance and balance(code, day) would then show with
 * a figure no entry made), for the owner too.
 */
CREATE FUNCTION ledger._daily_balance_inserted() RETURNS trigger
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	bad record;
BEGIN
	SELECT n.book_date, COALESCE(d.status, 'not in ledger.book_day') AS status INTO bad
	  FROM (SELECT DISTINCT i.book_date FROM inserted i) n
	  LEFT JOIN ledger.book_day d ON d.book_date = n.book_date
	 WHERE d.status IS DISTINCT FROM 'closing'
	 ORDER BY n.book_date LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._raise('55000', pg_catalog.format('cannot add daily balances to book day %s', bad.book_date),
			detail => pg_catalog.format('Book day %s is %s; daily balances are written by the cutoff while their day is closing, and those of a closed day are immutable.',
					bad.book_date, bad.status),
			hint => 'Run CALL ledger.close_day(), which writes the daily balances of the day it closes.');
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION ledger._daily_balance_inserted() IS
	'statement trigger: daily balances are added only to a closing day (by the cutoff), never to a closed, open or unknown one (55000)';
REVOKE EXECUTE ON FUNCTION ledger._daily_balance_inserted() FROM PUBLIC;
CREATE TRIGGER daily_balance_inserted AFTER INSERT ON ledger.daily_balance
	REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ledger._daily_balance_inserted();
