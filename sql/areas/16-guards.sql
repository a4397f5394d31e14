-- sql/areas/16-guards.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- ===========================================================================
-- 16. Guards on the tables the ledger keeps in step itself
-- ===========================================================================

/*
 * The maintained balances, the tree of the chart, the daily balances, the
 * cutoff's records and the reconciliation's results are written by the
 * ledger's own functions and triggers, which run as the extension's owner
 * (SECURITY DEFINER) or write the rows from C.  No role the README names is
 * granted a write on them; but a role given pg_write_all_data (PostgreSQL 14
 * and later), or a GRANT made by mistake, could otherwise UPDATE a balance
 * row past its floor, unfreeze an account, hide a failed check or resolve a
 * break behind the ledger's back.  Refused here (42501) for every role that
 * cannot act as the table's owner; the owner and superusers, who may disable
 * triggers anyway, are let through (the tests break the books on purpose
 * that way).  A restore in replica mode fires no trigger.
 */
CREATE FUNCTION ledger._owner_writes_only() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	owner oid := (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) TG_RELID);
BEGIN
	IF NOT pg_catalog.pg_has_role(pg_catalog.current_user(), owner, 'USAGE') THEN
		PERFORM ledger._raise('42501', pg_catalog.format('cannot %s %s.%s directly',
				CASE TG_OP WHEN 'INSERT' THEN 'insert into' WHEN 'DELETE' THEN 'delete from' ELSE 'update' END,
				TG_TABLE_SCHEMA, TG_TABLE_NAME),
			detail => pg_catalog.format('%s.%s is kept in step with the books by the ledger''s own functions, which run as its owner %s; role %s is not that owner (a write privilege on it, e.g. through pg_write_all_data, is not enough).',
				TG_TABLE_SCHEMA, TG_TABLE_NAME, owner::pg_catalog.regrole, pg_catalog.current_user()),
			hint => 'Post, hold, close the day or reconcile through the ledger''s functions.');
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION ledger._owner_writes_only() IS
	'statement trigger: refuses (42501) writes to the tables the ledger keeps itself by any role that cannot act as their owner (pg_write_all_data, a GRANT made by mistake)';
REVOKE EXECUTE ON FUNCTION ledger._owner_writes_only() FROM PUBLIC;

CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.account_balance
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.account_tree
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.daily_balance
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.day_close
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.book_check
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.statement_import
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.statement_file
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.recon_run
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.recon_pending
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.recon_break
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
CREATE TRIGGER owner_writes_only BEFORE INSERT OR UPDATE OR DELETE ON ledger.recon_match
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._owner_writes_only();
