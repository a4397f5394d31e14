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
