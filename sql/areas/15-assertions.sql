-- sql/areas/15-assertions.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- ===========================================================================
-- 15. Balance assertions (勾稽关系)
-- ===========================================================================

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
