/* ledger--1.0--1.1.sql — update from 1.0 to 1.1 (ALTER EXTENSION ledger UPDATE) */

\echo Use "ALTER EXTENSION ledger UPDATE TO '1.1'" to load this file. \quit

-- Every step below has its counterpart in sql/areas/, from which a fresh 1.1
-- install is assembled; test/scripts/upgrade.sh checks that both give the same
-- catalog and that the books survive the update.

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
CREATE OR REPLACE FUNCTION ledger._account_after() RETURNS trigger
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
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
				RAISE EXCEPTION 'balance of account "%" is too large for a hot account', NEW.code
					USING ERRCODE = 'numeric_value_out_of_range',
						DETAIL = format('Its balance is %s; spread over %s slots, a hot account holds at most %s either side of zero in each.',
							ledger.amount_of_units(bal * sign, NEW.currency), nslots,
							ledger.amount_of_units(9223372036854775807 / nslots, NEW.currency));
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
				RAISE EXCEPTION 'cannot close account "%"', NEW.code
					USING ERRCODE = 'object_not_in_prerequisite_state',
						DETAIL = format('Its balance is %s; only an account with a zero balance can be closed.',
							ledger.amount_of_units(bal * sign, NEW.currency)),
						HINT = 'Move the balance to another account with a voucher first.';
			END IF;
			IF EXISTS (SELECT 1 FROM ledger.account_balance WHERE account_id = NEW.id
			            GROUP BY account_id HAVING sum(held_debit) <> 0 OR sum(held_credit) <> 0) THEN
				RAISE EXCEPTION 'cannot close account "%"', NEW.code
					USING ERRCODE = 'object_not_in_prerequisite_state',
						DETAIL = 'Pending holds reserve money on it; only an account without pending holds can be closed.',
						HINT = 'Post or void its holds first (ledger.holds lists them).';
			END IF;
		END IF;
		IF OLD.parent_code IS NOT NULL AND OLD.parent_code IS DISTINCT FROM NEW.parent_code THEN
			UPDATE ledger.account_balance b SET blocked = ledger._account_blocked(p)
				FROM ledger.account p WHERE p.code = OLD.parent_code AND b.account_id = p.id;
		END IF;
	END IF;
	IF NEW.parent_code IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.parent_code IS DISTINCT FROM OLD.parent_code) THEN
		UPDATE ledger.account_balance b SET blocked = 'a summary account'
			FROM ledger.account p WHERE p.code = NEW.parent_code AND b.account_id = p.id;
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
$$;

-- an account a hold names is never deleted
CREATE OR REPLACE FUNCTION ledger._account_delete() RETURNS trigger
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_WHEN = 'BEFORE' THEN
		IF ledger._account_posted(OLD.id) THEN
			RAISE EXCEPTION 'cannot delete account "%"', OLD.code
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = 'Entries have been posted to it; accounts are never deleted once posted to.',
					HINT = 'Close it instead: UPDATE ledger.account SET status = ''closed''.';
		END IF;
		IF EXISTS (SELECT 1 FROM ledger.hold_line l WHERE l.account_id = OLD.id) THEN
			RAISE EXCEPTION 'cannot delete account "%"', OLD.code
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = 'Holds have been placed on it; accounts are never deleted once a hold names them.',
					HINT = 'Close it instead: UPDATE ledger.account SET status = ''closed''.';
		END IF;
		RETURN OLD;
	END IF;
	IF OLD.parent_code IS NOT NULL THEN
		UPDATE ledger.account_balance b SET blocked = ledger._account_blocked(p)
			FROM ledger.account p WHERE p.code = OLD.parent_code AND b.account_id = p.id;
	END IF;
	RETURN NULL;
END
$$;

-- the balances gain the held amounts and the available balance
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
	       ledger.amount_of_units((r.units * ledger._normal_sign(a.kind, a.metadata))::bigint, r.currency) AS balance,
	       ledger.amount_of_units(r.held_debit::bigint, r.currency) AS held_debit,
	       ledger.amount_of_units(r.held_credit::bigint, r.currency) AS held_credit,
	       ledger.amount_of_units((r.units * ledger._normal_sign(a.kind, a.metadata)
	           - CASE WHEN ledger._normal_sign(a.kind, a.metadata) > 0 THEN r.held_credit ELSE r.held_debit END)::bigint,
	           r.currency) AS available
	  FROM rolled r JOIN ledger.account a ON a.id = r.ancestor;
COMMENT ON VIEW ledger.balances IS
	'current balance of every account on its normal side, summary accounts rolled up from their leaves (one row per currency), with the money pending holds reserve';
COMMENT ON COLUMN ledger.balances.account_code IS 'account code';
COMMENT ON COLUMN ledger.balances.account_name IS 'account name';
COMMENT ON COLUMN ledger.balances.kind IS 'account kind';
COMMENT ON COLUMN ledger.balances.currency IS 'currency of the row';
COMMENT ON COLUMN ledger.balances.balance IS 'balance on the normal side, as ledger.balance() returns it';
COMMENT ON COLUMN ledger.balances.held_debit IS 'debits of pending holds (until ledger.expire_holds() marks a hold past its expiry, it is counted here)';
COMMENT ON COLUMN ledger.balances.held_credit IS 'credits of pending holds (until ledger.expire_holds() marks a hold past its expiry, it is counted here)';
COMMENT ON COLUMN ledger.balances.available IS 'balance less the held amounts that would lower it (ledger.available() also leaves out holds past their expiry)';

-- the daily balances record the held amounts at the close
ALTER TABLE ledger.daily_balance ADD COLUMN held_debit ledger.amount NULL;
ALTER TABLE ledger.daily_balance ADD COLUMN held_credit ledger.amount NULL;
COMMENT ON COLUMN ledger.daily_balance.held_debit IS 'debits of the holds pending at the close (created by the day, settled after it); NULL for days closed before version 1.1';
COMMENT ON COLUMN ledger.daily_balance.held_credit IS 'credits of the holds pending at the close (created by the day, settled after it); NULL for days closed before version 1.1';

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
		  FROM (SELECT e.account_id, (ledger.trial(e.amount)).*
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

	-- one ordered pass over the day: digest, and the vouchers that do not balance
	SELECT * INTO pass FROM ledger._day_digest(d, prev_digest);
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
	pass record;
	day_entries bigint;
BEGIN
	IF d IS NULL THEN
		RAISE EXCEPTION 'book_date must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'ledger.check_books() checks the books of one book date.';
	END IF;
	SELECT b.status, b.digest INTO st, stored_digest FROM ledger.book_day b WHERE b.book_date = d;
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
		SELECT * INTO pass FROM ledger._day_digest(d, prev_digest);
	END IF;

	-- vouchers_balanced: every voucher of the day has two entries or more and balances per currency
	check_name := 'vouchers_balanced'; currency := NULL;
	ok := NOT EXISTS (SELECT 1 FROM unnest(pass.problems) p WHERE p LIKE 'voucher %');
	detail := CASE WHEN ok THEN format('%s vouchers, %s entries', pass.vouchers, pass.entries)
		ELSE (SELECT string_agg(p, '; ') FROM unnest(pass.problems) p WHERE p LIKE 'voucher %') END;
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
		  FROM (SELECT (ledger.trial(e.amount)).* FROM ledger.entry e WHERE e.book_date = d
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

	-- holds_match_lines: the held totals of the balance rows are the lines of
	-- the pending holds; for a closed day, its snapshot's held amounts are
	-- the lines of the holds pending at its close
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
		                ledger.amount_of_units(COALESCE(kept.debit, 0)::bigint, l.currency),
		                ledger.amount_of_units(COALESCE(kept.credit, 0)::bigint, l.currency),
		                ledger.amount_of_units(COALESCE(pending.debit, 0)::bigint, l.currency),
		                ledger.amount_of_units(COALESCE(pending.credit, 0)::bigint, l.currency))
		         WHEN st <> 'open' AND NOT at_close
		              AND (snap.account_id IS NOT NULL OR at_day.account_id IS NOT NULL)
		              AND (COALESCE(snap.debit, 0), COALESCE(snap.credit, 0))
		                  IS DISTINCT FROM (COALESCE(at_day.debit, 0), COALESCE(at_day.credit, 0))
		         THEN format('%s: held %s / %s at the close of %s, the holds say %s / %s', l.code,
		                ledger.amount_of_units(COALESCE(snap.debit, 0)::bigint, l.currency),
		                ledger.amount_of_units(COALESCE(snap.credit, 0)::bigint, l.currency), d,
		                ledger.amount_of_units(COALESCE(at_day.debit, 0)::bigint, l.currency),
		                ledger.amount_of_units(COALESCE(at_day.credit, 0)::bigint, l.currency))
		       END AS problem,
		       COALESCE(pending.debit, 0) + COALESCE(pending.credit, 0) <> 0 AS holding
		  FROM ledger._leaf l
		  LEFT JOIN kept ON kept.account_id = l.id
		  LEFT JOIN pending ON pending.account_id = l.id
		  LEFT JOIN at_day ON at_day.account_id = l.id
		  LEFT JOIN snap ON snap.account_id = l.id
		 WHERE l.currency IS NOT NULL)
	SELECT 'holds_match_lines'::text, cmp.currency, count(cmp.problem) = 0,
	       COALESCE(string_agg(cmp.problem, '; '),
	                format('%s accounts with pending holds', count(*) FILTER (WHERE cmp.holding)))
	  FROM cmp GROUP BY cmp.currency;

	-- snapshot_matches_entries: the stored daily balances are what the entries say
	IF st <> 'open' AND NOT at_close THEN
		RETURN QUERY
		WITH m AS (SELECT e.account_id, (ledger.trial(e.amount)).* FROM ledger.entry e
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
END
$$;
COMMENT ON FUNCTION ledger.check_books(date) IS
	'the books'' checks for one day: vouchers_balanced, entries_match_vouchers, period_debits_equal_credits, closing_balances_net_zero, opening_plus_movement_equals_closing, summary_equals_children, balances_match_entries, holds_match_lines, snapshot_matches_entries and, for a closed day, digest_matches';

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

/*
 * ledger.hold takes its amounts as ledger.amount[] or as text[].  An untyped
 * array literal (node-postgres sends every array so) must pick one form: the
 * array of ledger.amount is made the preferred type of the array category,
 * so that it wins over text[] (and over any other array form of the same
 * argument).
 */
UPDATE pg_catalog.pg_type SET typispreferred = true WHERE oid = 'ledger.amount[]'::pg_catalog.regtype;

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
CREATE FUNCTION ledger._expired_held(account_id bigint, OUT debit bigint, OUT credit bigint)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	BEGIN ATOMIC
	SELECT COALESCE(sum(ledger.minor_units(l.amount)) FILTER (WHERE ledger.minor_units(l.amount) > 0), 0)::bigint,
	       COALESCE(-sum(ledger.minor_units(l.amount)) FILTER (WHERE ledger.minor_units(l.amount) < 0), 0)::bigint
	  FROM ledger.hold h
	  JOIN ledger.hold_line l ON l.hold_id = h.id
	 WHERE h.status = 'pending' AND h.expires_at <= pg_catalog.clock_timestamp()
	   AND l.account_id = _expired_held.account_id;
	END;
COMMENT ON FUNCTION ledger._expired_held(bigint) IS
	'held debits and credits of an account''s pending holds past their expiry (they reserve nothing)';

/*
 * The available balance: the normal-side balance less the held amounts that
 * would lower it (held debits of a credit-normal account, held credits of a
 * debit-normal one), holds past their expiry left out.  A summary account
 * sums its leaves, on its own normal side.
 */
CREATE FUNCTION ledger.available(code text) RETURNS ledger.amount
	LANGUAGE plpgsql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_custom_plan
	SET jit = off
AS $$
DECLARE
	a ledger.account;
	sign integer;
	units numeric;
	low numeric;
	cur text;
	ncur bigint;
BEGIN
	IF available.code IS NULL THEN
		RAISE EXCEPTION 'code must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'ledger.available() needs the code of an account.';
	END IF;
	SELECT * INTO a FROM ledger.account WHERE account.code = available.code;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'account "%" does not exist', code
			USING ERRCODE = 'foreign_key_violation',
				DETAIL = format('No account in ledger.account has the code "%s"; account codes are case-sensitive.', code);
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
		RAISE EXCEPTION 'account "%" holds more than one currency', code
			USING ERRCODE = 'datatype_mismatch',
				DETAIL = format('Its leaf accounts hold %s currencies.', ncur),
				HINT = 'Use ledger.balances for multi-currency summary accounts.';
	END IF;
	cur := COALESCE(cur, a.currency);
	IF cur IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN ledger.amount_of_units((COALESCE(units, 0) * sign - COALESCE(low, 0))::bigint, cur);
END
$$;
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

CREATE FUNCTION ledger.account_history(code text, from_date date, to_date date DEFAULT NULL)
	RETURNS TABLE(book_date date, voucher_id bigint, line_no integer, ref text, summary text,
		debit ledger.amount, credit ledger.amount, balance ledger.amount, created_at timestamptz)
	AS 'MODULE_PATHNAME', 'ledger_account_history'
	LANGUAGE C STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET jit = off;
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
