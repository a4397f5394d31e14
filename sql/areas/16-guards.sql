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
			detail => format('Book day %s is %s; daily balances are written by the cutoff while their day is closing, and those of a closed day are immutable.',
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
