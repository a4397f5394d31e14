-- sql/areas/13-reconcile.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- --- reconcile -------------------------------------------------------------

CREATE FUNCTION ledger._recon_pair(int_amount ledger.amount[], int_at timestamptz[],
		ext_amount ledger.amount[], ext_at timestamptz[], tolerance ledger.amount, match_window interval,
		candidates integer DEFAULT 3)
	RETURNS TABLE (kind text, idx integer, other integer, rank integer)
	AS 'MODULE_PATHNAME', 'ledger_recon_pair' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION ledger._recon_pair(ledger.amount[], timestamptz[], ledger.amount[], timestamptz[], ledger.amount, interval, integer) IS
	'reconcile''s key-less matching: pairs the unmatched internal and external items by amount (within tolerance) and time (within match_window, NULL: no pairing), never an item with two equally good candidates (kind pair: idx internal, other external, 1-based), then lists the nearest unpaired counterparts of each unpaired item (kind internal or external, rank 1 nearest)';

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
 * ledger.recon_diff classifies each key: the ref, or under a rule with a
 * group_key the group's value (metadata->>group_key), whose members are
 * summed into one item.  The rule of the source (ledger.recon_rule) adds a
 * tolerance and net-of-fee amounts to that, then pairs the keys left
 * unmatched on both sides by amount and time (ledger._recon_pair, in C);
 * what stays unmatched gets its nearest counterparts as candidates.
 * A key found only on our side
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
 * and is marked obsolete if no longer found.  A date without any statement
 * (no line, no import) is reconciled with a WARNING: nothing expires into a
 * break.  Runs of one source are serialised (and with the
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
$$;
COMMENT ON PROCEDURE ledger.reconcile(text, date, text) IS
	'reconciles the entries with a ref on clearing account `account` for book date statement_date against the statement lines of (source, statement_date), by ref or by the source''s ledger.recon_rule (tolerance, match window, groups, net of fee); unmatched internal items wait in the pending pool for ledger.recon_grace_days; a date without a statement is a WARNING and ages nothing into a break; results in ledger.recon_run, ledger.recon_break (with candidates) and ledger.recon_match; re-running replaces the results';

CREATE FUNCTION ledger.resolve_break(break_id bigint, note text, voucher_id bigint DEFAULT NULL)
	RETURNS ledger.recon_break
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
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
$$;
COMMENT ON FUNCTION ledger.resolve_break(bigint, text, bigint) IS
	'marks a break resolved with a note, optionally naming the adjusting voucher (差错处理) that corrects it; the voucher must exist, have an entry on the clearing account of the break''s run and resolve no other break';

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
COMMENT ON COLUMN ledger.recon_report.statement_missing IS 'true when no statement was loaded for the (source, date): nothing aged into a break';

-- --- dump registration and privileges --------------------------------------

SELECT pg_catalog.pg_extension_config_dump('ledger.statement_file', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.statement_file_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.statement_import', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.statement_import_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.statement_line', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.statement_line_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_run', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_pending', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_break', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_break_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_rule', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_match', '');

REVOKE ALL ON ledger.statement_file, ledger.statement_import, ledger.statement_line, ledger.recon_run, ledger.recon_pending,
	ledger.recon_break, ledger.recon_report, ledger.recon_rule, ledger.recon_match FROM PUBLIC;
REVOKE ALL ON SEQUENCE ledger.statement_file_id_seq, ledger.statement_import_id_seq, ledger.statement_line_id_seq, ledger.recon_run_id_seq,
	ledger.recon_break_id_seq FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION
	ledger._csv_fields(text, text), ledger._try_amount(text, text), ledger._recon_grace_days(),
	ledger.stage_statement(), ledger._statement_lines(text),
	ledger._statement_error(text, text, date, integer, text), ledger._statement_check_args(text, date),
	ledger._statement_store(text, date, text, jsonb, jsonb),
	ledger.load_wechat_bill(text, date, text, text), ledger.load_alipay_bill(text, date, bytea),
	ledger.load_statement_csv(text, date, text, text),
	ledger.resolve_break(bigint, text, bigint),
	ledger._recon_pair(ledger.amount[], timestamptz[], ledger.amount[], timestamptz[], ledger.amount, interval, integer)
	FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE ledger.reconcile(text, date, text) FROM PUBLIC;
