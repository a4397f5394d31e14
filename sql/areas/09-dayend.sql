-- sql/areas/09-dayend.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- ===========================================================================
-- 9. Day-end cutoff (日切), daily balances, trial balance (试算平衡)
-- ===========================================================================

CREATE TYPE ledger.trial_result AS (
	currency text,
	debit    ledger.amount,
	credit   ledger.amount,
	net      ledger.amount,
	entries  bigint,
	balanced boolean
);
COMMENT ON TYPE ledger.trial_result IS
	'result of ledger.trial(): debits, credits (positive, less any red entries on their side), net = debit - credit, number of entries, balanced = (net = 0)';

CREATE FUNCTION ledger.trial_accum(internal, ledger.amount) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_trial_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.trial_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_trial_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.trial_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'ledger_trial_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.trial_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_trial_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.trial_final(internal) RETURNS ledger.trial_result
	AS 'MODULE_PATHNAME', 'ledger_trial_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger.trial_accum(internal, ledger.amount) IS 'ledger.trial() transition';
COMMENT ON FUNCTION ledger.trial_combine(internal, internal) IS 'ledger.trial() combine for parallel aggregation';
COMMENT ON FUNCTION ledger.trial_serialize(internal) IS 'ledger.trial() state serialisation';
COMMENT ON FUNCTION ledger.trial_deserialize(bytea, internal) IS 'ledger.trial() state deserialisation';
COMMENT ON FUNCTION ledger.trial_final(internal) IS 'ledger.trial() final: the trial_result of the group';

CREATE AGGREGATE ledger.trial(ledger.amount) (
	SFUNC = ledger.trial_accum,
	STYPE = internal,
	SSPACE = 64,
	FINALFUNC = ledger.trial_final,
	COMBINEFUNC = ledger.trial_combine,
	SERIALFUNC = ledger.trial_serialize,
	DESERIALFUNC = ledger.trial_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE ledger.trial(ledger.amount) IS
	'trial balance of a group of amounts of one currency: debit, credit, net, entries, balanced (42804 across currencies)';

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

/*
 * Daily balances: one row per account and currency for every account with a
 * balance or a movement that day, written by the cutoff.  Leaf rows come
 * from the previous day's rows plus the day's entries; summary rows
 * (summary = true) are rolled up from the leaf rows under them.  cum_debit
 * and cum_credit are the totals since the books began, in minor units (an
 * account's turnover outgrows 64 bits long before its balance does), so that
 * the movement
 * over any period is the difference of two rows.
 */
CREATE TABLE ledger.daily_balance (
	account_id bigint NOT NULL,
	book_date  date NOT NULL,
	currency   text NOT NULL,
	opening    ledger.amount NOT NULL,
	debit      ledger.amount NOT NULL,
	credit     ledger.amount NOT NULL,
	closing    ledger.amount NOT NULL,
	entries    bigint NOT NULL,
	cum_debit  numeric NOT NULL,
	cum_credit numeric NOT NULL,
	summary    boolean NOT NULL DEFAULT false,
	held_debit  ledger.amount NULL,
	held_credit ledger.amount NULL,
	CONSTRAINT daily_balance_pkey PRIMARY KEY (account_id, book_date, currency)
);
CREATE INDEX daily_balance_book_date_idx ON ledger.daily_balance USING brin (book_date) WITH (autosummarize = on);
COMMENT ON TABLE ledger.daily_balance IS 'daily balance snapshots (日终余额), written by ledger.close_day()';
COMMENT ON COLUMN ledger.daily_balance.account_id IS 'the account';
COMMENT ON COLUMN ledger.daily_balance.book_date IS 'the closed day';
COMMENT ON COLUMN ledger.daily_balance.currency IS 'currency of the row (a multi-currency summary account has one row per currency)';
COMMENT ON COLUMN ledger.daily_balance.opening IS 'balance at the start of the day, debit positive';
COMMENT ON COLUMN ledger.daily_balance.debit IS 'the day''s debits, less the red entries on the debit side (negative if they outweigh them)';
COMMENT ON COLUMN ledger.daily_balance.credit IS 'the day''s credits, less the red entries on the credit side (negative if they outweigh them)';
COMMENT ON COLUMN ledger.daily_balance.closing IS 'balance at the end of the day, debit positive: opening + debit - credit';
COMMENT ON COLUMN ledger.daily_balance.entries IS 'number of the day''s entries';
COMMENT ON COLUMN ledger.daily_balance.cum_debit IS 'debits since the books began, up to and including this day, in minor units of the row''s currency';
COMMENT ON COLUMN ledger.daily_balance.cum_credit IS 'credits since the books began, up to and including this day, in minor units of the row''s currency';
COMMENT ON COLUMN ledger.daily_balance.summary IS 'true for a summary account''s row, rolled up from its leaves';
COMMENT ON COLUMN ledger.daily_balance.held_debit IS 'debits of the holds pending at the close (created by the day, settled after it); NULL for days closed before version 1.1';
COMMENT ON COLUMN ledger.daily_balance.held_credit IS 'credits of the holds pending at the close (created by the day, settled after it); NULL for days closed before version 1.1';

CREATE TABLE ledger.day_close (
	book_date     date NOT NULL,
	switched_at   timestamptz NULL,
	snapshot_at   timestamptz NULL,
	checked_at    timestamptz NULL,
	vouchers      bigint NULL,
	entries       bigint NULL,
	digest        bytea NULL,
	problems      text[] NULL,
	problem_count bigint NULL,
	failed_checks text[] NULL,
	waited_at     timestamptz NULL,
	CONSTRAINT day_close_pkey PRIMARY KEY (book_date)
);
COMMENT ON TABLE ledger.day_close IS 'progress and results of each day''s cutoff, for restarts and for the auditor';
COMMENT ON COLUMN ledger.day_close.book_date IS 'the day being closed';
COMMENT ON COLUMN ledger.day_close.switched_at IS 'a time by which the switch had committed: every transaction begun later posts into the next day';
COMMENT ON COLUMN ledger.day_close.snapshot_at IS 'when the daily balances were last written';
COMMENT ON COLUMN ledger.day_close.checked_at IS 'when the checks last ran';
COMMENT ON COLUMN ledger.day_close.vouchers IS 'vouchers of the day';
COMMENT ON COLUMN ledger.day_close.entries IS 'entries of the day''s vouchers';
COMMENT ON COLUMN ledger.day_close.digest IS 'digest computed by the last snapshot pass (sealed into book_day.digest at close)';
COMMENT ON COLUMN ledger.day_close.problems IS 'first problems found in the vouchers and entries of the day';
COMMENT ON COLUMN ledger.day_close.problem_count IS 'number of problems found';
COMMENT ON COLUMN ledger.day_close.failed_checks IS 'names of the checks that failed in the last run, empty when all passed';
COMMENT ON COLUMN ledger.day_close.waited_at IS 'when the wait for the transactions that could still post into the day last completed (the start of its transaction); the snapshot requires it';

CREATE TABLE ledger.book_check (
	book_date  date NOT NULL,
	check_name text NOT NULL,
	currency   text NOT NULL DEFAULT '',
	ok         boolean NOT NULL,
	detail     text NULL,
	checked_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT book_check_pkey PRIMARY KEY (book_date, check_name, currency)
);
COMMENT ON TABLE ledger.book_check IS 'results of the last day-end checks of each day (ledger.check_books at cutoff)';
COMMENT ON COLUMN ledger.book_check.book_date IS 'the day checked';
COMMENT ON COLUMN ledger.book_check.check_name IS 'name of the check, as ledger.check_books() returns it';
COMMENT ON COLUMN ledger.book_check.currency IS 'currency the row is about, '''' when the check is not per currency';
COMMENT ON COLUMN ledger.book_check.ok IS 'whether the check passed';
COMMENT ON COLUMN ledger.book_check.detail IS 'what was found';
COMMENT ON COLUMN ledger.book_check.checked_at IS 'when';

/*
 * Rows of a closed day never change; rows of a day still closing are
 * rewritten by the next run of the cutoff.
 */
CREATE FUNCTION ledger._daily_balance_guard() RETURNS trigger
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
COMMENT ON FUNCTION ledger._daily_balance_guard() IS 'the daily balances of a closed day are immutable';
CREATE TRIGGER daily_balance_guard BEFORE UPDATE OR DELETE ON ledger.daily_balance
	FOR EACH ROW EXECUTE FUNCTION ledger._daily_balance_guard();
CREATE TRIGGER daily_balance_no_truncate BEFORE TRUNCATE ON ledger.daily_balance
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._daily_balance_guard();

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

CREATE FUNCTION ledger._wait_for_posters() RETURNS integer
	AS 'MODULE_PATHNAME', 'ledger_close_wait' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ledger._wait_for_posters() IS
	'waits until every transaction that held a write lock on ledger.voucher has ended; returns how many there were';

CREATE FUNCTION ledger._day_digest(book_date date, previous bytea, version integer,
		OUT digest bytea, OUT vouchers bigint, OUT entries bigint, OUT problems text[], OUT problem_count bigint)
	AS 'MODULE_PATHNAME', 'ledger_day_digest' LANGUAGE C STABLE;
COMMENT ON FUNCTION ledger._day_digest(date, bytea, integer) IS
	'one ordered pass over a day''s vouchers and entries: chained SHA-256 digest of the given version (book_day.digest_version), counts, the vouchers that do not balance and red entries outside reversals';

/* The books' tree: every account with each of its ancestors (itself included). */
CREATE VIEW ledger._account_closure AS
	SELECT t.account_id, t.ancestor_id, t.depth FROM ledger.account_tree t;
COMMENT ON VIEW ledger._account_closure IS 'every account paired with itself and each of its ancestors';
COMMENT ON COLUMN ledger._account_closure.account_id IS 'the account';
COMMENT ON COLUMN ledger._account_closure.ancestor_id IS 'the account itself or a summary account above it';
COMMENT ON COLUMN ledger._account_closure.depth IS 'levels from the account up to the ancestor (0 for the account itself)';

CREATE VIEW ledger._leaf AS
	SELECT a.id, a.code, a.currency, a.kind, a.metadata
	  FROM ledger.account a
	 WHERE NOT EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = a.code);
COMMENT ON VIEW ledger._leaf IS 'accounts without sub-accounts: the ones that take postings';
COMMENT ON COLUMN ledger._leaf.id IS 'account id';
COMMENT ON COLUMN ledger._leaf.code IS 'account code';
COMMENT ON COLUMN ledger._leaf.currency IS 'account currency';
COMMENT ON COLUMN ledger._leaf.kind IS 'account kind';
COMMENT ON COLUMN ledger._leaf.metadata IS 'account metadata (normal_side of a common account)';

-- --- step 1: switch ---------------------------------------------------------

CREATE FUNCTION ledger._close_switch(requested date) RETURNS date
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
COMMENT ON FUNCTION ledger._close_switch(date) IS
	'day-end step 1: the day becomes closing and the next day opens (returns the closing day)';

-- --- step 2: wait ------------------------------------------------------------

CREATE FUNCTION ledger._close_wait(d date) RETURNS integer
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
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
$$;
COMMENT ON FUNCTION ledger._close_wait(date) IS
	'day-end step 2: waits for every transaction that could still post into the closing day';

-- --- step 3: snapshot ------------------------------------------------------

CREATE FUNCTION ledger._close_snapshot(d date) RETURNS bigint
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
$$;
COMMENT ON FUNCTION ledger._close_snapshot(date) IS
	'day-end step 3: daily balances from the previous day''s plus the day''s entries, and the digest pass';

-- --- step 4: checks ----------------------------------------------------------

/*
 * The checks of a day.  For a closing or closed day they read the daily
 * balances; for the open day, the live entries and balances.  With
 * at_close, the results of the pass the cutoff just made are reused and the
 * snapshot is not compared with the entries it was just computed from.
 */
CREATE FUNCTION ledger._check_books(d date, at_close boolean)
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
$$;
COMMENT ON FUNCTION ledger._check_books(date, boolean) IS 'the checks behind ledger.check_books() and the cutoff';

CREATE FUNCTION ledger.check_books(book_date date)
	RETURNS TABLE(check_name text, currency text, ok boolean, detail text)
	LANGUAGE sql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_custom_plan
	SET jit = off
AS $$
	SELECT c.check_name, c.currency, c.ok, c.detail
	  FROM ledger._check_books($1, false) c
	 ORDER BY c.check_name, c.currency NULLS FIRST
$$;
COMMENT ON FUNCTION ledger.check_books(date) IS
	'the books'' checks for one day: vouchers_balanced, red_entries_reverse, entries_match_vouchers, entries_match_accounts, period_debits_equal_credits, closing_balances_net_zero, opening_plus_movement_equals_closing, summary_equals_children, balances_match_entries, holds_match_lines, snapshot_matches_entries, assertion:<name> for each balance assertion and, for a closed day, digest_matches';

CREATE FUNCTION ledger._close_check(d date) RETURNS text[]
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_custom_plan
	SET jit = off
AS $$
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
$$;
COMMENT ON FUNCTION ledger._close_check(date) IS
	'day-end step 4: runs the checks, records them in ledger.book_check, returns the names of those that failed';

-- --- step 5: seal -------------------------------------------------------------

CREATE FUNCTION ledger._close_seal(d date) RETURNS bytea
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
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
$$;
COMMENT ON FUNCTION ledger._close_seal(date) IS 'day-end step 5: seals the day with its chained digest and marks it closed';

-- --- the procedure ------------------------------------------------------------

CREATE PROCEDURE ledger._close_finish(d date)
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
$$;
COMMENT ON PROCEDURE ledger._close_finish(date) IS 'day-end steps 2 to 5 for a closing day; each step commits';

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

CREATE PROCEDURE ledger.close_day(book_date date DEFAULT NULL)
	LANGUAGE plpgsql
AS $$
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
$$;
COMMENT ON PROCEDURE ledger.close_day(date) IS
	'day-end cutoff (日切): switch the books to the next day, wait for posters, snapshot daily balances, check, seal with a chained digest; restartable; run outside a transaction block';

