/* ledger--1.0--1.1.sql — update from 1.0 to 1.1 (ALTER EXTENSION ledger UPDATE) */

\echo Use "ALTER EXTENSION ledger UPDATE TO '1.1'" to load this file. \quit

-- Every step below has its counterpart in sql/areas/, from which a fresh 1.1
-- install is assembled; test/scripts/upgrade.sh checks that both give the same
-- catalog and that the books survive the update.

-- ---- reliability: long codes, concurrent reversals, rules, book dates, audit columns, error context ----

-- account codes: one limit, 64 characters, compared whole by the C code
COMMENT ON COLUMN ledger.account.code IS 'account code, e.g. ''1002.01'': 1 to 64 characters (not bytes) without spaces or control characters, compared whole; immutable once posted to';

-- no rules on the ledger's tables (a rewritten INSERT in ledger.post is 55000 too, in C)
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
		RAISE EXCEPTION 'cannot create rule "%" on relation %', r.rulename, r.rel
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = pg_catalog.format('The ledger''s tables take no rules: a rule on %s would rewrite or drop the writes that ledger.post and the ledger''s triggers check.', r.rel),
				HINT = 'Use a trigger on a table of your own, or a view over the ledger''s tables.';
	END LOOP;
END
$$;
COMMENT ON FUNCTION ledger._no_rules() IS 'event trigger function: refuses CREATE RULE on the relations of schema ledger (55000)';
CREATE EVENT TRIGGER ledger_no_rules ON ddl_command_end WHEN TAG IN ('CREATE RULE')
	EXECUTE FUNCTION ledger._no_rules();
ALTER EVENT TRIGGER ledger_no_rules ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER ledger_no_rules IS 'refuses rules on the ledger''s tables (see ledger._no_rules)';
REVOKE EXECUTE ON FUNCTION ledger._no_rules() FROM PUBLIC;
