-- sql/areas/10-trial.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- --- reading the books -----------------------------------------------------------

CREATE FUNCTION ledger.verify_books(from_date date, to_date date)
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
$$;
COMMENT ON FUNCTION ledger.verify_books(date, date) IS
	'recomputes the chained digest of every closed day in the range (with the formula that sealed it) and reports any day whose vouchers or entries changed';

/*
 * Balances of the leaf accounts at the end of a day, with the debits and
 * credits since the books began: from the daily balances for a closed day,
 * plus live entries for days not yet closed.
 */
CREATE FUNCTION ledger._leaf_position(as_of date)
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
COMMENT ON FUNCTION ledger._leaf_position(date) IS
	'balance and cumulative debits and credits of every leaf account at the end of a day';

CREATE FUNCTION ledger._leaf_movement(from_date date, to_date date)
	RETURNS TABLE(account_id bigint, currency text, opening numeric, debit numeric, credit numeric, closing numeric)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT c.account_id, c.currency, o.balance, c.cum_debit - o.cum_debit, c.cum_credit - o.cum_credit, c.balance
	  FROM ledger._leaf_position(to_date) c
	  JOIN ledger._leaf_position(from_date - 1) o ON o.account_id = c.account_id
$$;
COMMENT ON FUNCTION ledger._leaf_movement(date, date) IS
	'opening balance, debits, credits and closing balance of every leaf account over a period of book days';

CREATE FUNCTION ledger._check_as_of(as_of date) RETURNS void
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
COMMENT ON FUNCTION ledger._check_as_of(date) IS 'rejects a date after the open book day';

CREATE FUNCTION ledger.balance(code text, as_of date) RETURNS ledger.amount
	LANGUAGE plpgsql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_custom_plan
	SET jit = off
AS $$
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
$$;
COMMENT ON FUNCTION ledger.balance(text, date) IS
	'balance of an account on its normal side at the end of a book date: from the daily balances, plus live entries for days not yet closed';

CREATE FUNCTION ledger._trial_closed(from_date date, to_date date)
	RETURNS TABLE(account_code text, account_name text, depth integer, currency text,
		opening_debit ledger.amount, opening_credit ledger.amount,
		period_debit ledger.amount, period_credit ledger.amount,
		closing_debit ledger.amount, closing_credit ledger.amount)
	AS 'MODULE_PATHNAME', 'ledger_trial_closed'
	LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ledger._trial_closed(date, date) IS
	'the rows of ledger.trial_balance() for a period of closed days, from the daily balances of its two ends';

CREATE FUNCTION ledger.trial_balance(from_date date, to_date date DEFAULT NULL)
	RETURNS TABLE(account_code text, account_name text, depth integer, currency text,
		opening_debit ledger.amount, opening_credit ledger.amount,
		period_debit ledger.amount, period_credit ledger.amount,
		closing_debit ledger.amount, closing_credit ledger.amount)
	LANGUAGE plpgsql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_custom_plan
	SET jit = off
AS $$
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
$$;
COMMENT ON FUNCTION ledger.trial_balance(date, date) IS
	'six-column trial balance (期初/本期发生/期末 借贷) for every account, summary accounts rolled up, one total row per currency (account_code NULL)';

SELECT pg_catalog.pg_extension_config_dump('ledger.daily_balance', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.day_close', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.book_check', '');
REVOKE ALL ON ledger.daily_balance, ledger.day_close, ledger.book_check FROM PUBLIC;
REVOKE ALL ON ledger._account_closure, ledger._leaf FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION
	ledger._daily_balance_guard(), ledger._wait_for_posters(), ledger._close_wait(date), ledger._day_digest(date, bytea, integer),
	ledger._close_switch(date), ledger._close_snapshot(date), ledger._check_books(date, boolean),
	ledger._close_check(date), ledger._close_seal(date), ledger.check_books(date),
	ledger.verify_books(date, date), ledger._leaf_position(date), ledger._leaf_movement(date, date), ledger._trial_closed(date, date), ledger._check_as_of(date),
	ledger.balance(text, date), ledger.trial_balance(date, date)
	FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE ledger._close_finish(date), ledger.close_day(date) FROM PUBLIC;

