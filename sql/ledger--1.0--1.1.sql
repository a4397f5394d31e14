/* ledger--1.0--1.1.sql — update from 1.0 to 1.1 (ALTER EXTENSION ledger UPDATE) */

\echo Use "ALTER EXTENSION ledger UPDATE TO '1.1'" to load this file. \quit

-- Every step below has its counterpart in sql/areas/, from which a fresh 1.1
-- install is assembled; test/scripts/upgrade.sh checks that both give the same
-- catalog and that the books survive the update.

-- ---- reliability: accounts under postings, normal side, reconcilable accounts, long readers (issue 10: 1, 3, 5, 6, 8) ----

-- accounts: a change of code, kind, currency, parent or normal side waits for
-- postings in flight and is refused once any exists; deletion likewise
CREATE OR REPLACE FUNCTION ledger._account_before() RETURNS trigger
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	parent ledger.account;
	posted boolean := false;
	bal bigint;
BEGIN
	IF NEW.code IS NULL OR NEW.code !~ '^[^[:space:][:cntrl:]]{1,64}$' THEN
		RAISE EXCEPTION 'invalid account code "%"', NEW.code
			USING ERRCODE = 'check_violation',
				DETAIL = 'An account code is 1 to 64 characters without spaces or control characters.';
	END IF;
	IF NEW.kind IS NULL OR NEW.kind NOT IN ('asset', 'liability', 'common', 'equity', 'cost', 'revenue', 'expense') THEN
		RAISE EXCEPTION 'invalid kind "%" of account "%"', NEW.kind, NEW.code
			USING ERRCODE = 'check_violation',
				DETAIL = 'The kind is one of asset, liability, common, equity, cost, revenue, expense.';
	END IF;
	IF NEW.status IS NULL OR NEW.status NOT IN ('open', 'frozen', 'closed') THEN
		RAISE EXCEPTION 'invalid status "%" of account "%"', NEW.status, NEW.code
			USING ERRCODE = 'check_violation',
				DETAIL = 'The status is open, frozen or closed.';
	END IF;
	IF NEW.metadata ? 'normal_side' AND (NEW.kind <> 'common' OR NEW.metadata->>'normal_side' NOT IN ('debit', 'credit')) THEN
		RAISE EXCEPTION 'invalid normal side of account "%"', NEW.code
			USING ERRCODE = 'check_violation',
				DETAIL = 'Only a common account names its normal side, and it is debit or credit.';
	END IF;
	IF NEW.hot AND (NEW.floor IS NOT NULL OR NEW.ceiling IS NOT NULL) THEN
		RAISE EXCEPTION 'hot account "%" cannot have a floor or ceiling', NEW.code
			USING ERRCODE = 'check_violation',
				DETAIL = 'A hot account spreads its balance over several slots; bounds need one row to check.';
	END IF;
	IF NEW.currency IS NOT NULL THEN
		NEW.currency := ledger.currency(ledger.zero(NEW.currency));
	END IF;
	IF TG_OP = 'UPDATE' THEN
		IF NEW.id IS DISTINCT FROM OLD.id THEN
			RAISE EXCEPTION 'cannot change the id of account "%"', OLD.code
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = format('Account "%s" has id %s, to which its balance rows and entries refer; an account keeps its id.', OLD.code, OLD.id);
		END IF;
		IF NEW.code IS DISTINCT FROM OLD.code OR NEW.kind IS DISTINCT FROM OLD.kind
			OR NEW.currency IS DISTINCT FROM OLD.currency OR NEW.parent_code IS DISTINCT FROM OLD.parent_code
			OR ledger.normal_side(NEW.kind, NEW.metadata) IS DISTINCT FROM ledger.normal_side(OLD.kind, OLD.metadata) THEN
			-- wait for posters that hold the balance rows, then look for their
			-- entries with a snapshot taken after they ended
			PERFORM 1 FROM ledger.account_balance b WHERE b.account_id = OLD.id FOR UPDATE;
			posted := ledger._account_posted(OLD.id);
		END IF;
		IF posted AND (NEW.code IS DISTINCT FROM OLD.code OR NEW.kind IS DISTINCT FROM OLD.kind
			OR NEW.currency IS DISTINCT FROM OLD.currency OR NEW.parent_code IS DISTINCT FROM OLD.parent_code) THEN
			RAISE EXCEPTION 'cannot change the code, kind, currency or parent of account "%"', OLD.code
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = 'Entries have been posted to the account; its history would change.',
					HINT = 'Open a new account and move the balance with a voucher.';
		END IF;
		IF posted AND ledger.normal_side(NEW.kind, NEW.metadata) IS DISTINCT FROM ledger.normal_side(OLD.kind, OLD.metadata) THEN
			RAISE EXCEPTION 'cannot change the normal side of account "%"', OLD.code
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = format('Entries have been posted to the account; its balances are on the %s side and would all turn around.',
						ledger.normal_side(OLD.kind, OLD.metadata)),
					HINT = 'Open a new account and move the balance with a voucher.';
		END IF;
		IF OLD.status = 'closed' AND NEW.status <> 'closed' THEN
			RAISE EXCEPTION 'account "%" is closed', OLD.code
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = 'A closed account cannot be reopened.';
		END IF;
	END IF;

	IF (NEW.floor IS NOT NULL OR NEW.ceiling IS NOT NULL) AND NEW.currency IS NULL THEN
		RAISE EXCEPTION 'account "%" has a floor or ceiling but no currency', NEW.code
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('The bounds of account "%s" (floor %s, ceiling %s) are amounts of its currency; an account without a currency has no balance to bound.',
					NEW.code, COALESCE(NEW.floor::text, 'none'), COALESCE(NEW.ceiling::text, 'none'));
	END IF;
	IF NEW.floor IS NOT NULL AND ledger.currency(NEW.floor) <> NEW.currency THEN
		RAISE EXCEPTION 'floor % of account "%" is not in its currency %', NEW.floor, NEW.code, NEW.currency
			USING ERRCODE = 'datatype_mismatch',
				DETAIL = format('Account "%s" holds %s; its floor must be an amount in %s, e.g. ''%s''.',
					NEW.code, NEW.currency, NEW.currency, ledger.zero(NEW.currency));
	END IF;
	IF NEW.ceiling IS NOT NULL AND ledger.currency(NEW.ceiling) <> NEW.currency THEN
		RAISE EXCEPTION 'ceiling % of account "%" is not in its currency %', NEW.ceiling, NEW.code, NEW.currency
			USING ERRCODE = 'datatype_mismatch',
				DETAIL = format('Account "%s" holds %s; its ceiling must be an amount in %s.',
					NEW.code, NEW.currency, NEW.currency);
	END IF;
	IF NEW.floor IS NOT NULL AND NEW.ceiling IS NOT NULL AND NEW.floor OPERATOR(ledger.>) NEW.ceiling THEN
		RAISE EXCEPTION 'floor % of account "%" is above its ceiling %', NEW.floor, NEW.code, NEW.ceiling
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('No balance of account "%s" could be at least %s and at most %s.', NEW.code, NEW.floor, NEW.ceiling);
	END IF;

	IF NEW.parent_code IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.parent_code IS DISTINCT FROM OLD.parent_code) THEN
		SELECT * INTO parent FROM ledger.account WHERE code = NEW.parent_code;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'parent account "%" of account "%" does not exist', NEW.parent_code, NEW.code
				USING ERRCODE = 'foreign_key_violation',
					DETAIL = format('Account "%s" names "%s" as its parent_code; no account in ledger.account has that code.',
						NEW.code, NEW.parent_code),
					HINT = 'Open the parent account first.';
		END IF;
		IF parent.kind <> NEW.kind THEN
			RAISE EXCEPTION 'account "%" is of kind %, its parent "%" of kind %', NEW.code, NEW.kind, parent.code, parent.kind
				USING ERRCODE = 'invalid_parameter_value',
					DETAIL = format('A summary account adds up its sub-accounts, so account "%s" under "%s" must be of kind %s.',
						NEW.code, parent.code, parent.kind),
					HINT = 'Sub-accounts have the kind of the account they belong to.';
		END IF;
		IF parent.currency IS NOT NULL AND parent.currency IS DISTINCT FROM NEW.currency THEN
			RAISE EXCEPTION 'account "%" holds %, its parent "%" holds %', NEW.code,
				COALESCE(NEW.currency, 'no currency'), parent.code, parent.currency
				USING ERRCODE = 'datatype_mismatch',
					DETAIL = format('A summary account with a currency adds up sub-accounts in that currency only: account "%s" under "%s" must hold %s.',
						NEW.code, parent.code, parent.currency),
					HINT = 'Give the parent no currency to make it a multi-currency summary account.';
		END IF;
		IF parent.status <> 'open' THEN
			RAISE EXCEPTION 'parent account "%" is %', parent.code, parent.status
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = format('Account "%s" cannot be placed under "%s"; only an open account takes new sub-accounts.',
						NEW.code, parent.code);
		END IF;
		-- serialise with postings to the parent, then make sure there were none
		PERFORM 1 FROM ledger.account_balance b WHERE b.account_id = parent.id FOR UPDATE;
		IF ledger._account_posted(parent.id) THEN
			RAISE EXCEPTION 'account "%" cannot become a summary account', parent.code
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = format('Entries have been posted to "%s"; a summary account takes no postings.', parent.code),
					HINT = 'Move its balance to a new leaf account first, or open the sub-account elsewhere.';
		END IF;
		IF TG_OP = 'UPDATE' AND EXISTS (
			WITH RECURSIVE sub(code) AS (
				SELECT NEW.code
				UNION
				SELECT c.code FROM ledger.account c JOIN sub ON c.parent_code = sub.code)
			SELECT 1 FROM sub WHERE sub.code = NEW.parent_code) THEN
			RAISE EXCEPTION 'account "%" cannot be placed under its own sub-account "%"', NEW.code, NEW.parent_code
				USING ERRCODE = 'invalid_parameter_value',
					DETAIL = format('Account "%s" is below "%s" in the chart of accounts, which is a tree.',
						NEW.parent_code, NEW.code);
		END IF;
	END IF;

	IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = OLD.code) THEN
		IF NEW.kind IS DISTINCT FROM OLD.kind THEN
			RAISE EXCEPTION 'cannot change the kind of summary account "%"', OLD.code
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = format('The sub-accounts of "%s" are of kind %s, the kind of the account they belong to.',
						OLD.code, OLD.kind);
		END IF;
		IF NEW.currency IS NOT NULL AND EXISTS (SELECT 1 FROM ledger.account c
				WHERE c.parent_code = OLD.code AND c.currency IS DISTINCT FROM NEW.currency) THEN
			RAISE EXCEPTION 'summary account "%" has sub-accounts in other currencies', OLD.code
				USING ERRCODE = 'datatype_mismatch',
					DETAIL = (SELECT format('Account "%s" would hold %s, but its sub-account "%s" holds %s.',
					                        OLD.code, NEW.currency, c.code, COALESCE(c.currency, 'no currency'))
					            FROM ledger.account c
					           WHERE c.parent_code = OLD.code AND c.currency IS DISTINCT FROM NEW.currency
					           ORDER BY c.code LIMIT 1);
		END IF;
	END IF;

	-- a new bound must hold for the balance the account already has
	IF TG_OP = 'UPDATE' AND (NEW.floor::text IS DISTINCT FROM OLD.floor::text OR NEW.ceiling::text IS DISTINCT FROM OLD.ceiling::text) THEN
		SELECT sum(b.units) * ledger._normal_sign(NEW.kind, NEW.metadata) INTO bal
			FROM (SELECT units FROM ledger.account_balance WHERE account_id = OLD.id FOR UPDATE) b;
		IF NEW.floor IS NOT NULL AND COALESCE(bal, 0) < ledger.minor_units(NEW.floor) THEN
			RAISE EXCEPTION 'balance of account "%" is below the new floor', NEW.code
				USING ERRCODE = 'check_violation',
					DETAIL = format('The balance is %s; the floor would be %s.',
						ledger.amount_of_units(COALESCE(bal, 0), NEW.currency), NEW.floor);
		END IF;
		IF NEW.ceiling IS NOT NULL AND COALESCE(bal, 0) > ledger.minor_units(NEW.ceiling) THEN
			RAISE EXCEPTION 'balance of account "%" is above the new ceiling', NEW.code
				USING ERRCODE = 'check_violation',
					DETAIL = format('The balance is %s; the ceiling would be %s.',
						ledger.amount_of_units(COALESCE(bal, 0), NEW.currency), NEW.ceiling);
		END IF;
	END IF;
	RETURN NEW;
END
$$;
CREATE OR REPLACE FUNCTION ledger._account_delete() RETURNS trigger
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_WHEN = 'BEFORE' THEN
		-- wait for posters that hold the balance rows, then look for their
		-- entries with a snapshot taken after they ended
		PERFORM 1 FROM ledger.account_balance b WHERE b.account_id = OLD.id FOR UPDATE;
		IF ledger._account_posted(OLD.id) THEN
			RAISE EXCEPTION 'cannot delete account "%"', OLD.code
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = 'Entries have been posted to it; accounts are never deleted once posted to.',
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

-- check_books: entries_match_accounts
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

-- the cutoff runs its steps at REPEATABLE READ
CREATE OR REPLACE PROCEDURE ledger._close_finish(d date)
	LANGUAGE plpgsql
AS $$
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
	SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
	RAISE NOTICE 'book day % is closed', d;
END
$$;
CREATE OR REPLACE PROCEDURE ledger.close_day(book_date date DEFAULT NULL)
	LANGUAGE plpgsql
AS $$
DECLARE
	requested date := close_day.book_date;
	d date;
	holder integer;
BEGIN
	-- like ledger._close_finish, qualifies every function and operator
	IF requested IS NOT NULL AND EXISTS (SELECT 1 FROM ledger.book_day b
	                                      WHERE b.book_date OPERATOR(pg_catalog.=) requested
	                                        AND b.status OPERATOR(pg_catalog.=) 'closed') THEN
		RAISE EXCEPTION 'book day % is already closed', requested
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = 'A closed day never changes.';
	END IF;
	IF NOT pg_catalog.pg_try_advisory_lock(1818585447, 1) THEN
		SELECT l.pid INTO holder FROM pg_catalog.pg_locks l
		 WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory' AND l.classid OPERATOR(pg_catalog.=) 1818585447::pg_catalog.oid
		   AND l.objid OPERATOR(pg_catalog.=) 1::pg_catalog.oid AND l.granted;
		RAISE EXCEPTION 'another session is closing the books'
			USING ERRCODE = 'lock_not_available',
				DETAIL = pg_catalog.format('Session %s holds the day-end lock.', holder),
				HINT = 'Wait for it to finish. A session whose cutoff failed keeps the lock until it runs ledger.close_day() again or ends.';
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
	WHILE EXISTS (SELECT 1 FROM pg_catalog.pg_locks l
	               WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory'
	                 AND l.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()
	                 AND l.classid OPERATOR(pg_catalog.=) 1818585447::pg_catalog.oid
	                 AND l.objid OPERATOR(pg_catalog.=) 1::pg_catalog.oid AND l.granted) LOOP
		PERFORM pg_catalog.pg_advisory_unlock(1818585447, 1);
	END LOOP;
END
$$;

-- reconciliation: only accounts marked reconcilable, read without predicate locks
-- (_account_blocked takes the table's row type in a SQL-standard body, which
-- forbids the ALTER: it is made again, the same, around it)
DROP FUNCTION ledger._account_blocked(ledger.account);
ALTER TABLE ledger.account ADD COLUMN reconcilable boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN ledger.account.reconcilable IS 'a clearing or settlement account that ledger.reconcile may read (set by the accounts operator); reconciling any other account is refused';
CREATE FUNCTION ledger._account_blocked(a ledger.account) RETURNS text
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	RETURN CASE
		WHEN EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code OPERATOR(pg_catalog.=) a.code) THEN 'a summary account'
		WHEN a.status OPERATOR(pg_catalog.<>) 'open' THEN a.status
	END;
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
