-- sql/areas/13-reconcile.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- --- reconcile -------------------------------------------------------------

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

/*
 * Reconciles (source, statement_date) against the entries on clearing
 * account `account`:
 *
 *   internal side  the vouchers of book date statement_date with a ref and
 *                  entries on the account (one item per voucher: the sum of
 *                  its entries there; status reversed once it is reversed),
 *                  leaving out adjusting vouchers named by a break, plus the
 *                  items of earlier book dates still in the pending pool;
 *   external side  the statement lines of the source and date.
 *
 * ledger.recon_diff classifies each ref.  A ref found only on our side
 * stays pending (in ledger.recon_pending) until book_date +
 * ledger.recon_grace_days <= statement_date, then it is a missing_external
 * break; a reversed item absent from the statement is closed without a break.
 *
 * A re-run of the same (source, date) first undoes the previous run's work
 * on the pool (items it closed are pending again, items it added leave it),
 * then runs again; items of the date that a later run has since closed stay
 * closed (a NOTICE says to re-run the later dates).  Breaks are unique per
 * (run, class, ref): an open break found again keeps its id and takes the new
 * figures, one no longer found is deleted; a resolved break stays resolved
 * and is marked obsolete if no longer found.  Runs of one source are serialised (and with the
 * loaders); posting is never blocked: the books are only read.
 */
CREATE PROCEDURE ledger.reconcile(source text, statement_date date, account text)
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
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
BEGIN
	IF src IS NULL OR d IS NULL OR reconcile.account IS NULL THEN
		RAISE EXCEPTION 'source, statement_date and account must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = pg_catalog.format('ledger.reconcile() was called with source %s, statement_date %s and account %s.',
					COALESCE('"' || src || '"', 'NULL'), COALESCE(pg_catalog.to_char(d, 'YYYY-MM-DD'), 'NULL'),
					COALESCE('"' || reconcile.account || '"', 'NULL'));
	END IF;
	SELECT * INTO acc FROM ledger.account a WHERE a.code = reconcile.account;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'account "%" does not exist', reconcile.account
			USING ERRCODE = 'foreign_key_violation',
				DETAIL = pg_catalog.format('Reconciliation of source "%s" for %s names clearing account "%s".',
					src, pg_catalog.to_char(d, 'YYYY-MM-DD'), reconcile.account);
	END IF;
	IF acc.currency IS NULL OR EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = acc.code) THEN
		RAISE EXCEPTION 'account "%" is a summary account', acc.code
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'Reconciliation reads the entries of one clearing account; a summary account has none.',
				HINT = 'Name the leaf account of the channel, e.g. 1122.01.';
	END IF;
	IF NOT acc.reconcilable THEN
		RAISE EXCEPTION 'account "%" is not reconcilable', acc.code
			USING ERRCODE = 'insufficient_privilege',
				DETAIL = pg_catalog.format('Reconciliation of source "%s" for %s names account "%s"; only clearing and settlement accounts that the accounts operator marked reconcilable may be reconciled, since a run shows their postings.',
					src, pg_catalog.to_char(d, 'YYYY-MM-DD'), acc.code),
				HINT = 'An accounts operator marks a clearing account with UPDATE ledger.account SET reconcilable = true.';
	END IF;

	-- one run per source at a time (loaders of the source wait too)
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('ledger.recon'), pg_catalog.hashtext(src));

	SELECT l.ref, l.external_id, l.amount, l.line_no INTO bad
	  FROM ledger.statement_line l
	 WHERE l.source = src AND l.statement_date = d AND ledger.currency(l.amount) <> acc.currency
	 ORDER BY l.id LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'statement line in % cannot be reconciled against account "%" in %',
				ledger.currency(bad.amount), acc.code, acc.currency
			USING ERRCODE = 'datatype_mismatch',
				DETAIL = pg_catalog.format('Source "%s", statement date %s, ref "%s", external id "%s"%s: amount %s.',
					src, pg_catalog.to_char(d, 'YYYY-MM-DD'), bad.ref, bad.external_id,
					CASE WHEN bad.line_no IS NOT NULL THEN pg_catalog.format(', line %s', bad.line_no) ELSE '' END, bad.amount);
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
	-- (the books are read by ledger._recon_items and ledger._recon_voucher,
	-- which take no predicate locks: a SERIALIZABLE run never becomes a
	-- read/write conflict of the posters, see bookread.c)
	CREATE TEMP TABLE _recon_int ON COMMIT DROP AS
	SELECT i.voucher_id, i.ref, d AS book_date, i.amount,
	       CASE WHEN i.reversed THEN 'reversed' ELSE 'success' END AS status,
	       -- after the undo, an item of this date still in the pool was closed by a later run
	       i.voucher_id IN (SELECT p.voucher_id FROM ledger.recon_pending p WHERE p.source = src) AS pooled
	  FROM ledger._recon_items(acc.id, d) i
	 WHERE NOT EXISTS (SELECT 1 FROM ledger.recon_break b WHERE b.voucher_id = i.voucher_id)
	UNION ALL
	SELECT p.voucher_id, p.ref, p.book_date, p.amount,
	       CASE WHEN (ledger._recon_voucher(p.voucher_id)).reversed THEN 'reversed' ELSE 'success' END,
	       true
	  FROM ledger.recon_pending p
	 WHERE p.source = src AND p.closed_run IS NULL AND p.book_date < d AND p.account_id = acc.id;
	ANALYZE pg_temp._recon_int;

	-- classification of every ref
	IF pg_catalog.to_regclass('pg_temp._recon_cls') IS NOT NULL THEN
		DROP TABLE pg_temp._recon_cls;
	END IF;
	CREATE TEMP TABLE _recon_cls ON COMMIT DROP AS
	SELECT g.ref, (g.r).class, (g.r).internal_count, (g.r).external_count,
	       (g.r).internal_amount, (g.r).external_amount, (g.r).difference,
	       g.book_date, g.reversed,
	       CASE WHEN (g.r).class = 'missing_external' AND g.reversed THEN 'reversed'
	            WHEN (g.r).class = 'missing_external' AND g.book_date + grace > d THEN 'pending'
	            ELSE (g.r).class END AS outcome
	  FROM (SELECT u.ref, ledger.recon_diff(u.side, u.amount, u.status) AS r,
	               min(u.book_date) AS book_date,
	               bool_and(u.status = 'reversed') FILTER (WHERE u.side = 'internal') AS reversed
	          FROM (SELECT 'internal' AS side, i.ref, i.amount, i.status, i.book_date FROM pg_temp._recon_int i
	                UNION ALL
	                SELECT 'external', l.ref, l.amount, l.status, NULL::date
	                  FROM ledger.statement_line l WHERE l.source = src AND l.statement_date = d) u
	         GROUP BY u.ref) g;
	ANALYZE pg_temp._recon_cls;

	-- the pool: earlier items are closed by this run unless still pending;
	-- today's items still within the grace days join it
	UPDATE ledger.recon_pending p SET closed_run = this_run, closed_class = c.outcome
	  FROM pg_temp._recon_cls c
	 WHERE p.source = src AND p.closed_run IS NULL AND p.book_date < d AND p.account_id = acc.id
	   AND p.ref = c.ref AND c.outcome <> 'pending';
	INSERT INTO ledger.recon_pending (source, voucher_id, ref, book_date, account_id, amount, status, added_run)
	SELECT src, i.voucher_id, i.ref, i.book_date, acc.id, i.amount, i.status, this_run
	  FROM pg_temp._recon_int i JOIN pg_temp._recon_cls c ON c.ref = i.ref
	 WHERE c.outcome = 'pending' AND NOT i.pooled;

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
		SELECT i.ref, min(i.status) AS status, array_agg(i.voucher_id ORDER BY i.voucher_id) AS ids
		  FROM pg_temp._recon_int i JOIN brk ON brk.ref = i.ref
		 GROUP BY i.ref),
	theirs AS (
		SELECT l.ref, min(l.status) AS status, array_agg(l.external_id ORDER BY l.external_id) AS ids
		  FROM ledger.statement_line l JOIN brk ON brk.ref = l.ref
		 WHERE l.source = src AND l.statement_date = d
		 GROUP BY l.ref)
	SELECT brk.class, brk.ref, brk.internal_amount, brk.external_amount, brk.difference,
	       brk.internal_count, brk.external_count,
	       ours.status AS internal_status, theirs.status AS external_status,
	       brk.book_date, ours.ids AS internal_voucher_ids, theirs.ids AS external_ids
	  FROM brk
	  LEFT JOIN ours ON ours.ref = brk.ref
	  LEFT JOIN theirs ON theirs.ref = brk.ref;
	ANALYZE pg_temp._recon_brk;

	-- (NOT IN: one hashed pass, whatever the statistics of recon_break say)
	DELETE FROM ledger.recon_break b
	 WHERE b.run_id = this_run AND b.status = 'open'
	   AND (b.class, b.ref) NOT IN (SELECT n.class, n.ref FROM pg_temp._recon_brk n);
	UPDATE ledger.recon_break b
	   SET internal_amount = n.internal_amount, external_amount = n.external_amount, difference = n.difference,
	       internal_count = n.internal_count, external_count = n.external_count,
	       internal_status = n.internal_status, external_status = n.external_status, book_date = n.book_date,
	       internal_voucher_ids = n.internal_voucher_ids, external_ids = n.external_ids
	  FROM pg_temp._recon_brk n
	 WHERE b.run_id = this_run AND b.status = 'open' AND n.class = b.class AND n.ref = b.ref;
	INSERT INTO ledger.recon_break (run_id, source, statement_date, class, ref, internal_amount, external_amount,
			difference, internal_count, external_count, internal_status, external_status, book_date,
			internal_voucher_ids, external_ids)
	SELECT this_run, src, d, n.class, n.ref, n.internal_amount, n.external_amount, n.difference,
	       n.internal_count, n.external_count, n.internal_status, n.external_status, n.book_date,
	       n.internal_voucher_ids, n.external_ids
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
		finished_at = pg_catalog.clock_timestamp()
	 WHERE r.id = this_run;

	RAISE NOTICE 'reconciled "%": % matched, % breaks, % pending', src, st.matched_count,
		st.missing_internal_count + st.missing_external_count + st.amount_mismatch_count
			+ st.status_mismatch_count + st.duplicate_count,
		st.pending_count
		USING DETAIL = pg_catalog.format('Statement date %s, account "%s", run %s.', pg_catalog.to_char(d, 'YYYY-MM-DD'), acc.code, this_run);
END
$$;
COMMENT ON PROCEDURE ledger.reconcile(text, date, text) IS
	'reconciles the entries with a ref on clearing account `account` for book date statement_date against the statement lines of (source, statement_date); unmatched internal items wait in the pending pool for ledger.recon_grace_days; results in ledger.recon_run and ledger.recon_break; re-running replaces the results';

CREATE FUNCTION ledger.resolve_break(break_id bigint, note text, voucher_id bigint DEFAULT NULL)
	RETURNS ledger.recon_break
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	b ledger.recon_break;
BEGIN
	IF break_id IS NULL THEN
		RAISE EXCEPTION 'break_id must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'ledger.resolve_break() needs the id of a break in ledger.recon_break.';
	END IF;
	IF note IS NULL OR pg_catalog.btrim(note) = '' THEN
		RAISE EXCEPTION 'a note is required to resolve break %', break_id
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'The note records how the break was dealt with (差错处理), for the audit trail.';
	END IF;
	SELECT * INTO b FROM ledger.recon_break x WHERE x.id = break_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'break % does not exist', break_id
			USING ERRCODE = 'foreign_key_violation',
				DETAIL = pg_catalog.format('ledger.recon_break has no break with id %s; running reconcile again for a date deletes the open breaks it no longer finds.', break_id);
	END IF;
	IF b.status = 'resolved' THEN
		RAISE EXCEPTION 'break % is already resolved', break_id
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = pg_catalog.format('Break %s (%s, ref "%s", source "%s", %s) was resolved at %s by %s with the note "%s".',
					b.id, b.class, b.ref, b.source, pg_catalog.to_char(b.statement_date, 'YYYY-MM-DD'),
					pg_catalog.to_char(b.resolved_at, 'YYYY-MM-DD HH24:MI:SS TZ'), b.resolved_by, b.note);
	END IF;
	IF resolve_break.voucher_id IS NOT NULL THEN
		IF NOT EXISTS (SELECT 1 FROM ledger.voucher v WHERE v.id = resolve_break.voucher_id) THEN
			RAISE EXCEPTION 'voucher % does not exist', resolve_break.voucher_id
				USING ERRCODE = 'foreign_key_violation',
					DETAIL = pg_catalog.format('Break %s (%s, ref "%s") names it as its adjusting voucher.', b.id, b.class, b.ref);
		END IF;
		IF EXISTS (SELECT 1 FROM ledger.recon_break x WHERE x.voucher_id = resolve_break.voucher_id) THEN
			RAISE EXCEPTION 'voucher % already resolves another break', resolve_break.voucher_id
				USING ERRCODE = 'unique_violation',
					DETAIL = (SELECT pg_catalog.format('Break %s (%s, ref "%s") names it.', x.id, x.class, x.ref)
					            FROM ledger.recon_break x WHERE x.voucher_id = resolve_break.voucher_id LIMIT 1);
		END IF;
	END IF;
	UPDATE ledger.recon_break x
	   SET status = 'resolved', note = resolve_break.note, voucher_id = resolve_break.voucher_id,
	       resolved_at = pg_catalog.now(), resolved_by = session_user
	 WHERE x.id = break_id
	RETURNING * INTO b;
	RETURN b;
END
$$;
COMMENT ON FUNCTION ledger.resolve_break(bigint, text, bigint) IS
	'marks a break resolved with a note, optionally naming the adjusting voucher (差错处理) that corrects it; the voucher must exist and resolve no other break';

-- --- the morning report ----------------------------------------------------

CREATE VIEW ledger.recon_report AS
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
	       r.runs, r.finished_at
	  FROM ledger.recon_run r
	  LEFT JOIN LATERAL (
		SELECT count(*) FILTER (WHERE x.statement_date = r.statement_date) AS open_breaks,
		       count(*) AS source_open_breaks,
		       CURRENT_DATE - min(x.statement_date) AS oldest_open_days
		  FROM ledger.recon_break x
		 WHERE x.source = r.source AND x.statement_date <= r.statement_date AND x.status = 'open') b ON true;
COMMENT ON VIEW ledger.recon_report IS
	'the morning reconciliation report: per source and statement date, match keys and amounts per class, the open breaks of that date, the open breaks of the source up to that date and the age in days of the oldest of them';

-- --- dump registration and privileges --------------------------------------

SELECT pg_catalog.pg_extension_config_dump('ledger.statement_import', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.statement_import_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.statement_line', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.statement_line_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_run', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_pending', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_break', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_break_id_seq', '');

REVOKE ALL ON ledger.statement_import, ledger.statement_line, ledger.recon_run, ledger.recon_pending,
	ledger.recon_break, ledger.recon_report FROM PUBLIC;
REVOKE ALL ON SEQUENCE ledger.statement_import_id_seq, ledger.statement_line_id_seq, ledger.recon_run_id_seq,
	ledger.recon_break_id_seq FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION
	ledger._csv_fields(text, text), ledger._try_amount(text, text), ledger._recon_grace_days(),
	ledger.stage_statement(), ledger._statement_lines(text),
	ledger._statement_error(text, text, date, integer, text), ledger._statement_check_args(text, date),
	ledger._statement_store(text, date, text, jsonb, jsonb),
	ledger.load_wechat_bill(text, date, text, text), ledger.load_alipay_bill(text, date, bytea),
	ledger.load_statement_csv(text, date, text, text),
	ledger.resolve_break(bigint, text, bigint)
	FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE ledger.reconcile(text, date, text) FROM PUBLIC;
