/* ledger--1.0--1.1.sql — update from 1.0 to 1.1 (ALTER EXTENSION ledger UPDATE) */

\echo Use "ALTER EXTENSION ledger UPDATE TO '1.1'" to load this file. \quit

-- Every step below has its counterpart in sql/areas/, from which a fresh 1.1
-- install is assembled; test/scripts/upgrade.sh checks that both give the same
-- catalog and that the books survive the update.

-- ---- red-letter reversals, balance assertions, drivers' text amounts, day digest version 2 ----

-- the day digest: days sealed by 1.0 keep version 1 (verified with the formula
-- that sealed them); days sealed from now on get version 2, which covers the
-- entries' book dates and red flags too.  The rows there are get 1 (a day not
-- sealed yet gets 2 when it is); new rows get NULL until sealed, and a 1.0
-- dump restored into 1.1 has NULL on its closed days, read as 1.
ALTER TABLE ledger.book_day ADD COLUMN digest_version smallint NULL DEFAULT 1;
ALTER TABLE ledger.book_day ALTER COLUMN digest_version DROP DEFAULT;
COMMENT ON COLUMN ledger.book_day.digest_version IS
	'formula of the sealed digest: 2 covers every column of the vouchers and entries (days sealed since 1.1); 1 or NULL on a closed day, the formula of version 1.0 (days it sealed, verified with that formula); NULL until a day is sealed';

-- red-letter entries (红字)
ALTER TABLE ledger.entry ADD COLUMN red boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN ledger.entry.red IS
	'red-letter entry (红字): stands on the side opposite to its amount''s sign, as a negative figure; only in a voucher that reverses another';

-- ledger.reverse gains red (default true).  The three-argument function is
-- replaced, not overloaded, so that no call becomes ambiguous; EXECUTE grants
-- on it go with it and are to be given again on the new signature.
DO $$
DECLARE
	grantees text;
BEGIN
	SELECT string_agg(DISTINCT a.grantee::regrole::text, ', ') INTO grantees
	  FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
	 WHERE p.oid = 'ledger.reverse(bigint, text, text)'::pg_catalog.regprocedure
	   AND a.privilege_type = 'EXECUTE' AND a.grantee <> 0 AND a.grantee <> p.proowner;
	IF grantees IS NOT NULL THEN
		RAISE WARNING 'ledger.reverse(bigint, text, text) is replaced by ledger.reverse(bigint, text, text, boolean)'
			USING DETAIL = format('Roles that could execute the old function: %s.', grantees),
				HINT = format('GRANT EXECUTE ON FUNCTION ledger.reverse(bigint, text, text, boolean) TO %s;', grantees);
	END IF;
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

CREATE OR REPLACE FUNCTION ledger._close_snapshot(d date) RETURNS bigint
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_custom_plan
	SET jit = off
AS $$
DECLARE
	prev date;
	prev_status text;
	prev_digest bytea;
	pass record;
	n bigint;
BEGIN
	PERFORM 1 FROM ledger.book_day b WHERE b.book_date = d AND b.status = 'closing' FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'book day % is not closing', d
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = format('The daily balances are written for a closing day; book day %s is %s.', d,
					COALESCE((SELECT b.status FROM ledger.book_day b WHERE b.book_date = d), 'not in ledger.book_day')),
				HINT = 'Run CALL ledger.close_day(), which takes each day through every step.';
	END IF;
	SELECT b.book_date, b.status, b.digest INTO prev, prev_status, prev_digest
	  FROM ledger.book_day b WHERE b.book_date < d ORDER BY b.book_date DESC LIMIT 1;
	IF prev IS NOT NULL AND prev_status <> 'closed' THEN
		RAISE EXCEPTION 'book day % is not closed', prev
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = format('The daily balances of book day %s start from those of the day before, %s, which is %s.', d, prev, prev_status),
				HINT = 'Run CALL ledger.close_day(), which finishes the earlier days first.';
	END IF;

	DELETE FROM ledger.daily_balance WHERE book_date = d;

	-- leaf rows: yesterday's balances plus today's movements
	INSERT INTO ledger.daily_balance
		(account_id, book_date, currency, opening, debit, credit, closing, entries, cum_debit, cum_credit, summary)
	SELECT k.account_id, d, k.currency,
	       ledger.amount_of_units(k.opening, k.currency),
	       ledger.amount_of_units(k.debit, k.currency),
	       ledger.amount_of_units(k.credit, k.currency),
	       ledger.amount_of_units((k.opening + k.debit - k.credit)::bigint, k.currency),
	       k.entries,
	       k.cum_debit + k.debit,
	       k.cum_credit + k.credit,
	       false
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

	-- summary rows: the sums of the leaf rows below each summary account
	INSERT INTO ledger.daily_balance
		(account_id, book_date, currency, opening, debit, credit, closing, entries, cum_debit, cum_credit, summary)
	SELECT c.ancestor_id, d, r.currency,
	       ledger.sum(r.opening), ledger.sum(r.debit), ledger.sum(r.credit), ledger.sum(r.closing),
	       sum(r.entries)::bigint, sum(r.cum_debit), sum(r.cum_credit), true
	  FROM ledger.daily_balance r
	  JOIN ledger._account_closure c ON c.account_id = r.account_id AND c.depth > 0
	 WHERE r.book_date = d AND NOT r.summary
	 GROUP BY c.ancestor_id, r.currency;

	-- one ordered pass over the day: digest, and the vouchers that do not balance
	SELECT * INTO pass FROM ledger._day_digest(d, prev_digest, 2);
	UPDATE ledger.day_close SET snapshot_at = now(), vouchers = pass.vouchers, entries = pass.entries,
		digest = pass.digest, problems = pass.problems, problem_count = pass.problem_count
	 WHERE book_date = d;
	RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION ledger._check_books(d date, at_close boolean)
	RETURNS TABLE(check_name text, currency text, ok boolean, detail text)
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_custom_plan
	SET jit = off
AS $$
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
		RAISE EXCEPTION 'book_date must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'ledger.check_books() checks the books of one book date.';
	END IF;
	SELECT b.status, b.digest, b.digest_version INTO st, stored_digest, stored_version
	  FROM ledger.book_day b WHERE b.book_date = d;
	IF st IS NULL THEN
		RAISE EXCEPTION 'book day % does not exist', d
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = (SELECT format('The books run from %s to the open day %s.', min(b.book_date),
				                        max(b.book_date) FILTER (WHERE b.status = 'open'))
				            FROM ledger.book_day b);
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

	IF st = 'open' THEN
		-- the open day: live entries and maintained balances
		RETURN QUERY
		SELECT 'period_debits_equal_credits'::text, t.currency, t.balanced,
		       format('debits %s, credits %s', t.debit, t.credit)
		  FROM (SELECT (ledger.trial(e.amount, e.red)).* FROM ledger.entry e WHERE e.book_date = d
		         GROUP BY ledger.currency(e.amount)) t;
		IF NOT FOUND THEN
			check_name := 'period_debits_equal_credits'; currency := NULL; ok := true; detail := 'no entries';
			RETURN NEXT;
		END IF;
		RETURN QUERY
		SELECT 'closing_balances_net_zero'::text, l.currency, sum(b.units) = 0,
		       format('balances net to %s', ledger.amount_of_units(sum(b.units)::bigint, l.currency))
		  FROM ledger._leaf l JOIN ledger.account_balance b ON b.account_id = l.id
		 WHERE l.currency IS NOT NULL GROUP BY l.currency;
	ELSE
		RETURN QUERY
		SELECT 'period_debits_equal_credits'::text, r.currency,
		       ledger.sum(r.debit) OPERATOR(ledger.=) ledger.sum(r.credit),
		       format('debits %s, credits %s', ledger.sum(r.debit), ledger.sum(r.credit))
		  FROM ledger.daily_balance r WHERE r.book_date = d AND NOT r.summary GROUP BY r.currency;
		IF NOT FOUND THEN
			check_name := 'period_debits_equal_credits'; currency := NULL; ok := true; detail := 'no entries';
			RETURN NEXT;
		END IF;
		RETURN QUERY
		SELECT 'closing_balances_net_zero'::text, r.currency,
		       ledger.minor_units(ledger.sum(r.closing)) = 0,
		       format('balances net to %s', ledger.sum(r.closing))
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
			         WHEN y.account_id IS NOT NULL AND (t.cum_debit - ledger.minor_units(t.debit) <> y.cum_debit
			              OR t.cum_credit - ledger.minor_units(t.credit) <> y.cum_credit)
			              THEN 'cumulative totals do not continue'
			       END AS problem
			  FROM today t
			  FULL JOIN yesterday y ON y.account_id = t.account_id AND y.currency = t.currency
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
	ELSE
		RETURN QUERY
		WITH kids AS (
			SELECT c.ancestor_id, r.currency,
			       sum(ledger.minor_units(r.opening)) AS opening, sum(ledger.minor_units(r.debit)) AS debit,
			       sum(ledger.minor_units(r.credit)) AS credit, sum(ledger.minor_units(r.closing)) AS closing,
			       sum(r.entries) AS entries
			  FROM ledger.daily_balance r
			  JOIN ledger._account_closure c ON c.account_id = r.account_id AND c.depth > 0
			 WHERE r.book_date = d AND NOT r.summary
			 GROUP BY c.ancestor_id, r.currency),
		sums AS (
			SELECT s.account_id, s.currency, ledger.minor_units(s.opening) AS opening,
			       ledger.minor_units(s.debit) AS debit, ledger.minor_units(s.credit) AS credit,
			       ledger.minor_units(s.closing) AS closing, s.entries
			  FROM ledger.daily_balance s WHERE s.book_date = d AND s.summary),
		cmp AS (
			SELECT COALESCE(k.currency, s.currency) AS currency, COALESCE(k.ancestor_id, s.account_id) AS id,
			       (k.opening, k.debit, k.credit, k.closing, k.entries)
			         IS DISTINCT FROM (s.opening, s.debit, s.credit, s.closing, s.entries::numeric) AS differs
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
	           ledger.amount_of_units(cmp.kept::bigint, cmp.currency),
	           ledger.amount_of_units(cmp.expected::bigint, cmp.currency)), '; ')
	           FILTER (WHERE cmp.expected <> cmp.kept), format('%s accounts', count(*)))
	  FROM cmp GROUP BY cmp.currency;

	-- snapshot_matches_entries: the stored daily balances are what the entries say
	IF st <> 'open' AND NOT at_close THEN
		RETURN QUERY
		WITH m AS (SELECT e.account_id, (ledger.trial(e.amount, e.red)).* FROM ledger.entry e
		            WHERE e.book_date = d GROUP BY e.account_id),
		s AS (SELECT r.account_id, r.currency, r.debit, r.credit, r.entries FROM ledger.daily_balance r
		       WHERE r.book_date = d AND NOT r.summary AND r.entries > 0),
		cmp AS (
			SELECT COALESCE(m.currency, s.currency) AS currency, COALESCE(m.account_id, s.account_id) AS id,
			       (m.debit::text, m.credit::text, m.entries) IS DISTINCT FROM (s.debit::text, s.credit::text, s.entries) AS differs
			  FROM m FULL JOIN s ON s.account_id = m.account_id)
		SELECT 'snapshot_matches_entries'::text, cmp.currency, NOT bool_or(cmp.differs),
		       COALESCE(string_agg(a.code, ', ') FILTER (WHERE cmp.differs), format('%s accounts moved', count(*)))
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
$$;

CREATE OR REPLACE FUNCTION ledger._close_check(d date) RETURNS text[]
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_custom_plan
	SET jit = off
AS $$
DECLARE
	failed text[];
BEGIN
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
$$;

CREATE OR REPLACE FUNCTION ledger._close_seal(d date) RETURNS bytea
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	dg bytea;
BEGIN
	SELECT c.digest INTO dg FROM ledger.day_close c
	 WHERE c.book_date = d AND c.failed_checks = '{}' AND c.checked_at >= c.snapshot_at;
	IF dg IS NULL THEN
		RAISE EXCEPTION 'book day % has not passed its checks', d
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = COALESCE((SELECT CASE WHEN c.checked_at IS NULL OR c.checked_at < c.snapshot_at
				                               THEN format('Book day %s was not checked after its daily balances were written.', d)
				                               WHEN c.failed_checks <> '{}'
				                               THEN format('Book day %s failed %s.', d, pg_catalog.array_to_string(c.failed_checks, ', '))
				                               ELSE format('Book day %s has no digest yet.', d) END
				                     FROM ledger.day_close c WHERE c.book_date = d),
				                  format('Book day %s has not been through the cutoff.', d)),
				HINT = 'Run CALL ledger.close_day(), which takes each day through every step.';
	END IF;
	UPDATE ledger.book_day SET status = 'closed', closed_at = now(), digest = dg, digest_version = 2
	 WHERE book_date = d AND status = 'closing';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'book day % is not closing', d
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = format('Only a closing day is sealed; book day %s is %s.', d,
					COALESCE((SELECT b.status FROM ledger.book_day b WHERE b.book_date = d), 'not in ledger.book_day'));
	END IF;
	-- the day's daily balances are final: index their pages for the reports
	PERFORM pg_catalog.brin_summarize_new_values('ledger.daily_balance_book_date_idx'::pg_catalog.regclass);
	RETURN dg;
END
$$;

CREATE OR REPLACE PROCEDURE ledger._close_finish(d date)
	LANGUAGE plpgsql
AS $$
DECLARE
	n integer;
	rows bigint;
	failed text[];
	dg bytea;
BEGIN
	-- no SET search_path here (a procedure with SET cannot COMMIT): every
	-- function and operator is schema-qualified, so that objects in the
	-- caller's search_path cannot stand in for them
	RAISE NOTICE 'book day %: waiting for transactions that may still post into it', d;
	n := ledger._close_wait(d);
	COMMIT;
	RAISE NOTICE 'book day %: writing daily balances', d;
	rows := ledger._close_snapshot(d);
	COMMIT;
	RAISE NOTICE 'book day %: % daily balances written; checking the books', d, rows;
	failed := ledger._close_check(d);
	COMMIT;
	IF pg_catalog.cardinality(failed) OPERATOR(pg_catalog.>) 0 THEN
		RAISE EXCEPTION 'book day % failed its day-end checks: %', d, pg_catalog.array_to_string(failed, ', ')
			USING ERRCODE = 'check_violation',
				DETAIL = (SELECT pg_catalog.string_agg(pg_catalog.format('%s%s: %s', c.check_name,
						CASE WHEN c.currency OPERATOR(pg_catalog.<>) '' THEN
							pg_catalog.format(' (%s)', c.currency) ELSE '' END, c.detail), E'\n')
					FROM ledger.book_check c WHERE c.book_date OPERATOR(pg_catalog.=) d AND NOT c.ok),
				HINT = pg_catalog.format('The day stays closing and postings continue on the next day. Fix the cause, then run CALL ledger.close_day(''%s'') again.', d);
	END IF;
	dg := ledger._close_seal(d);
	COMMIT;
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
$$;

CREATE OR REPLACE FUNCTION ledger.verify_books(from_date date, to_date date)
	RETURNS TABLE(book_date date, ok boolean, detail text)
	LANGUAGE plpgsql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_custom_plan
	SET jit = off
AS $$
DECLARE
	r record;
	prev bytea;
	pass record;
BEGIN
	IF from_date IS NULL OR to_date IS NULL THEN
		RAISE EXCEPTION 'from_date and to_date must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = format('ledger.verify_books() was called with from_date %s and to_date %s.',
					COALESCE(from_date::text, 'NULL'), COALESCE(to_date::text, 'NULL')),
				HINT = 'Pass ''-infinity'' and ''infinity'' to verify every day.';
	END IF;
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
$$;

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

CREATE FUNCTION ledger._assertion_check() RETURNS trigger
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	acode text;
	acc record;
BEGIN
	PERFORM ledger.amount_of_units(0, NEW.currency);
	IF NEW.tolerance IS NOT NULL THEN
		IF ledger.currency(NEW.tolerance) <> NEW.currency THEN
			RAISE EXCEPTION 'tolerance % is not in the assertion''s currency %', NEW.tolerance, NEW.currency
				USING ERRCODE = 'datatype_mismatch',
					DETAIL = format('Assertion "%s" compares balances in %s.', NEW.name, NEW.currency);
		END IF;
		IF ledger.minor_units(NEW.tolerance) < 0 THEN
			RAISE EXCEPTION 'tolerance must not be negative'
				USING ERRCODE = 'invalid_parameter_value',
					DETAIL = format('Assertion "%s" has tolerance %s.', NEW.name, NEW.tolerance);
		END IF;
	END IF;
	FOREACH acode IN ARRAY NEW.lhs || NEW.rhs LOOP
		SELECT a.code, a.currency, EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = a.code) AS summary
		  INTO acc FROM ledger.account a WHERE a.code = acode;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'account "%" does not exist', acode
				USING ERRCODE = 'foreign_key_violation',
					DETAIL = format('Assertion "%s" names it on its %s side.', NEW.name,
						CASE WHEN acode = ANY (NEW.lhs) THEN 'left' ELSE 'right' END);
		END IF;
		IF NOT acc.summary AND acc.currency IS DISTINCT FROM NEW.currency THEN
			RAISE EXCEPTION 'account "%" holds %, not %', acode, COALESCE(acc.currency, 'no currency'), NEW.currency
				USING ERRCODE = 'datatype_mismatch',
					DETAIL = format('Assertion "%s" compares balances in %s; account "%s" would add nothing.',
						NEW.name, NEW.currency, acode);
		END IF;
	END LOOP;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION ledger._assertion_check() IS
	'an assertion names existing accounts in its currency and a tolerance in that currency, not negative';
CREATE TRIGGER assertion_check BEFORE INSERT OR UPDATE ON ledger.assertion
	FOR EACH ROW EXECUTE FUNCTION ledger._assertion_check();

/*
 * Every assertion on the closing balances of book day d (its daily balances
 * once the cutoff wrote them), or on the current balances for d NULL or the
 * open day.  Sums are exact (numeric over minor units).
 */
CREATE FUNCTION ledger._assertions(d date)
	RETURNS TABLE(name text, currency text, ok boolean, blocking boolean, detail text)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
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
	             ledger.amount_of_units(j.l::bigint, j.currency), j.relation,
	             ledger.amount_of_units(j.r::bigint, j.currency),
	             CASE WHEN j.tolerance IS NOT NULL THEN format(' (tolerance %s)', j.tolerance) ELSE '' END)
	         ELSE format('%s %s %s fails by %s%s',
	             ledger.amount_of_units(j.l::bigint, j.currency), j.relation,
	             ledger.amount_of_units(j.r::bigint, j.currency),
	             ledger.amount_of_units(j.off::bigint, j.currency),
	             CASE WHEN j.tolerance IS NOT NULL THEN format(' (tolerance %s)', j.tolerance) ELSE '' END)
	       END
	  FROM judged j;
END
$$;
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
