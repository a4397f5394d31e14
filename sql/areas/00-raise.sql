-- sql/areas/00-raise.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- ===========================================================================
-- 0. Errors for the user
-- ===========================================================================

/*
 * The ledger's PL/pgSQL functions raise their errors through this instead of
 * RAISE EXCEPTION: the user sees the message, DETAIL and HINT, and no CONTEXT
 * lines naming the ledger's internal functions.  It only raises: executable
 * by PUBLIC, as the cutoff runs with the operator's rights.
 */
CREATE FUNCTION ledger._raise(sqlstate text, message text, detail text DEFAULT NULL, hint text DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'ledger_raise'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ledger._raise(text, text, text, text) IS
	'raises an error with the given SQLSTATE, message, DETAIL and HINT and no CONTEXT (RAISE EXCEPTION without the internal context lines)';

/*
 * The write entry points written in PL/pgSQL (the cutoff, the loaders,
 * reconcile, resolve_break, open_books) call this first: in a read-only
 * transaction (a hot standby, default_transaction_read_only) they are
 * refused with 25006 naming what was called, instead of with PostgreSQL's
 * own 25006 from deep inside, whose CONTEXT lines name internal functions.
 * Reads no table: executable by PUBLIC, like ledger._raise().
 */
CREATE FUNCTION ledger._check_writable(what text) RETURNS void
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF pg_catalog.current_setting('transaction_read_only')::boolean THEN
		PERFORM ledger._raise('25006', pg_catalog.format('cannot run %s in a read-only transaction', what),
			detail => CASE WHEN pg_catalog.pg_is_in_recovery()
			               THEN 'This server is a standby: it replays the primary''s books and writes nothing.'
			               ELSE 'The transaction is read-only (SET TRANSACTION READ ONLY or default_transaction_read_only).' END,
			hint => CASE WHEN pg_catalog.pg_is_in_recovery() THEN 'Run it on the primary.' END);
	END IF;
END
$$;
COMMENT ON FUNCTION ledger._check_writable(text) IS
	'raises 25006 naming what was called when the transaction is read-only (a hot standby); the first step of the write entry points written in PL/pgSQL';
