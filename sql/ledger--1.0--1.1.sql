/* ledger--1.0--1.1.sql — update from 1.0 to 1.1 (ALTER EXTENSION ledger UPDATE) */

\echo Use "ALTER EXTENSION ledger UPDATE TO '1.1'" to load this file. \quit

-- Every step below has its counterpart in sql/areas/, from which a fresh 1.1
-- install is assembled; test/scripts/upgrade.sh checks that both give the same
-- catalog and that the books survive the update.

-- ---- matching rules (SPEC 9.2): recon_rule, recon_match, candidates, missing statements ----

ALTER TABLE ledger.recon_run ADD COLUMN statement_missing boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN ledger.recon_run.statement_missing IS 'no statement of the source and date had been loaded (no line, no import) when the latest run was made: its internal items were kept pending, none became a break';
ALTER TABLE ledger.recon_break ADD COLUMN candidates jsonb NOT NULL DEFAULT '[]';
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

CREATE OR REPLACE PROCEDURE ledger.reconcile(source text, statement_date date, account text)
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

	-- the rule of the source; without one, matching is by ref, exactly
	SELECT * INTO rule FROM ledger.recon_rule r WHERE r.source = src;
	IF FOUND THEN
		tol := rule.tolerance;
		win := rule.match_window;
		gkey := rule.group_key;
		net := rule.net_of_fee;
		IF tol IS NOT NULL AND ledger.currency(tol) <> acc.currency THEN
			RAISE EXCEPTION 'tolerance of source "%" is in %, account "%" in %', src, ledger.currency(tol), acc.code, acc.currency
				USING ERRCODE = 'datatype_mismatch',
					DETAIL = pg_catalog.format('ledger.recon_rule gives source "%s" the tolerance %s.', src, tol),
					HINT = 'Give the tolerance in the currency of the clearing account.';
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
	-- key: the ref, or the group's value for a voucher of a group (not reversed)
	CREATE TEMP TABLE _recon_int ON COMMIT DROP AS
	SELECT x.voucher_id, x.ref, x.book_date, x.amount, x.status, x.pooled, x.created_at,
	       COALESCE(CASE WHEN x.status = 'success' THEN x.grp END, x.ref) AS key,
	       x.grp IS NOT NULL AND x.status = 'success' AS grouped
	  FROM (
	SELECT i.voucher_id, i.ref, i.book_date, i.amount,
	       -- (IN rather than EXISTS: one hashed pass instead of a probe per item)
	       CASE WHEN i.voucher_id IN (SELECT r.reverses FROM ledger.voucher r WHERE r.reverses IS NOT NULL)
	            THEN 'reversed' ELSE 'success' END AS status,
	       -- after the undo, an item of this date still in the pool was closed by a later run
	       i.voucher_id IN (SELECT p.voucher_id FROM ledger.recon_pending p WHERE p.source = src) AS pooled,
	       i.created_at, i.grp
	  FROM (SELECT v.id AS voucher_id, v.ref, v.book_date, v.created_at, v.metadata ->> gkey AS grp,
	               ledger.sum(e.amount) AS amount
	          FROM ledger.entry e
	          JOIN ledger.voucher v ON v.id = e.voucher_id
	         WHERE e.account_id = acc.id AND e.book_date = d AND v.ref IS NOT NULL
	           AND NOT EXISTS (SELECT 1 FROM ledger.recon_break b WHERE b.voucher_id = v.id)
	         GROUP BY v.id, v.ref, v.book_date) i
	 WHERE ledger.minor_units(i.amount) <> 0
	UNION ALL
	SELECT p.voucher_id, p.ref, p.book_date, p.amount,
	       CASE WHEN EXISTS (SELECT 1 FROM ledger.voucher r WHERE r.reverses = p.voucher_id)
	            THEN 'reversed' ELSE 'success' END,
	       true, v.created_at, v.metadata ->> gkey
	  FROM ledger.recon_pending p
	  JOIN ledger.voucher v ON v.id = p.voucher_id
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

SELECT pg_catalog.pg_extension_config_dump('ledger.recon_rule', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_match', '');
REVOKE ALL ON ledger.recon_rule, ledger.recon_match FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION
	ledger._recon_pair(ledger.amount[], timestamptz[], ledger.amount[], timestamptz[], ledger.amount, interval, integer)
	FROM PUBLIC;
