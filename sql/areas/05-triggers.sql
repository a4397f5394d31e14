-- sql/areas/05-triggers.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- ===========================================================================
-- 5. Triggers: invariants for every write path
-- ===========================================================================

CREATE FUNCTION ledger._voucher_inserted() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ledger_voucher_inserted' LANGUAGE C;
CREATE FUNCTION ledger._entry_inserted() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ledger_entry_inserted' LANGUAGE C;
CREATE FUNCTION ledger._immutable() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ledger_immutable' LANGUAGE C;
CREATE FUNCTION ledger._invalidate() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ledger_invalidate' LANGUAGE C;
CREATE FUNCTION ledger._hot_slots() RETURNS integer
	AS 'MODULE_PATHNAME', 'ledger_hot_slots_setting' LANGUAGE C STABLE;

COMMENT ON FUNCTION ledger._voucher_inserted() IS
	'statement trigger on ledger.voucher: book date is the open day, reversal target is valid; registers the vouchers for the commit check';
COMMENT ON FUNCTION ledger._entry_inserted() IS
	'statement trigger on ledger.entry: validates every row (voucher, book date, account, currency, non-zero) and books the movements into the balances, checking floors and ceilings';
COMMENT ON FUNCTION ledger._immutable() IS 'rejects UPDATE, DELETE and TRUNCATE of the books (55000)';
COMMENT ON FUNCTION ledger._invalidate() IS 'tells every session to reload its cached chart of accounts or open day';
COMMENT ON FUNCTION ledger._hot_slots() IS 'value of ledger.hot_slots';

CREATE TRIGGER voucher_inserted AFTER INSERT ON ledger.voucher
	REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ledger._voucher_inserted();
CREATE TRIGGER entry_inserted AFTER INSERT ON ledger.entry
	REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ledger._entry_inserted();
CREATE TRIGGER voucher_immutable BEFORE UPDATE OR DELETE ON ledger.voucher
	FOR EACH ROW EXECUTE FUNCTION ledger._immutable();
CREATE TRIGGER voucher_no_truncate BEFORE TRUNCATE ON ledger.voucher
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._immutable();
CREATE TRIGGER entry_immutable BEFORE UPDATE OR DELETE ON ledger.entry
	FOR EACH ROW EXECUTE FUNCTION ledger._immutable();
CREATE TRIGGER entry_no_truncate BEFORE TRUNCATE ON ledger.entry
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._immutable();
CREATE TRIGGER account_balance_no_truncate BEFORE TRUNCATE ON ledger.account_balance
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._immutable();
CREATE TRIGGER account_no_truncate BEFORE TRUNCATE ON ledger.account
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._immutable();
CREATE TRIGGER book_day_no_truncate BEFORE TRUNCATE ON ledger.book_day
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._immutable();

CREATE TRIGGER account_invalidate AFTER INSERT OR UPDATE OR DELETE ON ledger.account
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._invalidate();
CREATE TRIGGER book_day_invalidate AFTER INSERT OR UPDATE OR DELETE ON ledger.book_day
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._invalidate();
ALTER TABLE ledger.account ENABLE ALWAYS TRIGGER account_invalidate;
ALTER TABLE ledger.book_day ENABLE ALWAYS TRIGGER book_day_invalidate;

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

-- --- accounts --------------------------------------------------------------

CREATE FUNCTION ledger.normal_side(kind text, metadata jsonb DEFAULT NULL) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	RETURN CASE
		WHEN kind IN ('asset', 'cost', 'expense') THEN 'debit'
		WHEN kind IN ('liability', 'equity', 'revenue') THEN 'credit'
		WHEN kind = 'common' THEN COALESCE(metadata->>'normal_side', 'debit')
	END;
COMMENT ON FUNCTION ledger.normal_side(text, jsonb) IS
	'normal balance side of an account kind: debit for asset, cost, expense; credit for liability, equity, revenue; common accounts say in metadata';

CREATE FUNCTION ledger._normal_sign(kind text, metadata jsonb) RETURNS integer
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	RETURN CASE ledger.normal_side(kind, metadata) WHEN 'debit' THEN 1 ELSE -1 END;
COMMENT ON FUNCTION ledger._normal_sign(text, jsonb) IS '+1 for debit-normal accounts, -1 for credit-normal ones';

CREATE FUNCTION ledger._currency_code(currency text) RETURNS text
	AS 'MODULE_PATHNAME', 'ledger_currency_code'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger._currency_code(text) IS
	'a currency as ledger.currency() writes it; 22P02 without CONTEXT for an unknown one (for the account trigger)';
REVOKE EXECUTE ON FUNCTION ledger._currency_code(text) FROM PUBLIC;

CREATE FUNCTION ledger._account_posted(account_id bigint) RETURNS boolean
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	RETURN EXISTS (SELECT 1 FROM ledger.entry e WHERE e.account_id OPERATOR(pg_catalog.=) $1);
COMMENT ON FUNCTION ledger._account_posted(bigint) IS 'whether any entry was ever posted to the account';

CREATE FUNCTION ledger._account_blocked(a ledger.account) RETURNS text
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	RETURN CASE
		-- (not EXISTS: planned without the code, with one parent holding most of
		-- the chart, it would read the whole table; the first child in index order
		-- is one index probe whatever the statistics say)
		WHEN (SELECT true FROM ledger.account c WHERE c.parent_code OPERATOR(pg_catalog.=) a.code
		       ORDER BY c.parent_code LIMIT 1) THEN 'a summary account'
		WHEN a.status OPERATOR(pg_catalog.<>) 'open' THEN a.status
	END;
COMMENT ON FUNCTION ledger._account_blocked(ledger.account) IS 'why an account takes no postings, NULL if it does';

/*
 * Validates a new or changed account.  Runs for operators, not for posters:
 * PL/pgSQL is fine here.  The account triggers are SECURITY DEFINER: whoever
 * may write ledger.account need not be able to write the balance rows (nor
 * read the entries) they maintain.
 */
CREATE FUNCTION ledger._account_before() RETURNS trigger
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
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
$$;
COMMENT ON FUNCTION ledger._account_before() IS
	'validates accounts: currency, bounds, tree (kind, currency, no postings or holds on a parent, no cycles), immutability once posted to or named by a hold';

/*
 * Keeps the balance rows in step with the account: creates them, spreads a
 * hot account over slots (or folds the slots back), and repeats status and
 * bounds on them.  Updating the rows takes the lock posters take.
 */
CREATE FUNCTION ledger._account_after() RETURNS trigger
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
$$;
COMMENT ON FUNCTION ledger._account_after() IS
	'creates and maintains the balance rows of an account (slots of hot accounts, status and bounds repeated for posters)';

CREATE FUNCTION ledger._account_delete() RETURNS trigger
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
$$;
COMMENT ON FUNCTION ledger._account_delete() IS 'accounts with postings are never deleted; a parent left without children takes postings again';

CREATE TRIGGER account_before BEFORE INSERT OR UPDATE ON ledger.account
	FOR EACH ROW EXECUTE FUNCTION ledger._account_before();
CREATE TRIGGER account_after AFTER INSERT OR UPDATE ON ledger.account
	FOR EACH ROW EXECUTE FUNCTION ledger._account_after();
CREATE TRIGGER account_before_delete BEFORE DELETE ON ledger.account
	FOR EACH ROW EXECUTE FUNCTION ledger._account_delete();
CREATE TRIGGER account_after_delete AFTER DELETE ON ledger.account
	FOR EACH ROW EXECUTE FUNCTION ledger._account_delete();

-- --- book days -------------------------------------------------------------

/*
 * Guards the life of a day: open → closing → closed, nothing else.  In
 * restore mode (session_replication_role = replica) the first restored day
 * replaces the day CREATE EXTENSION opened.
 */
CREATE FUNCTION ledger._book_day_guard() RETURNS trigger
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
COMMENT ON FUNCTION ledger._book_day_guard() IS 'book days go open → closing → closed; closed days never change';

CREATE TRIGGER book_day_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger.book_day
	FOR EACH ROW EXECUTE FUNCTION ledger._book_day_guard();
ALTER TABLE ledger.book_day ENABLE ALWAYS TRIGGER book_day_guard;

CREATE FUNCTION ledger.open_books(start_date date) RETURNS date
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
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
$$;
COMMENT ON FUNCTION ledger.open_books(date) IS
	'starts the books on the given date instead of the day CREATE EXTENSION ran; only while no voucher exists';

