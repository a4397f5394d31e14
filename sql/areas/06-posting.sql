-- sql/areas/06-posting.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- ===========================================================================
-- 6. Posting, reversing, balances
-- ===========================================================================

CREATE FUNCTION ledger.post(idempotency_key text, accounts text[], amounts ledger.amount[],
		summary text DEFAULT NULL, ref text DEFAULT NULL, metadata jsonb DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_post'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.post(text, text[], ledger.amount[], text, text, jsonb) IS
	'posts one balanced voucher on the open day and returns its id; idempotent on idempotency_key (same content returns the same id, different content is 23505)';

CREATE FUNCTION ledger.reverse(voucher_id bigint, idempotency_key text, summary text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_reverse'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.reverse(bigint, text, text) IS
	'posts the negation of a voucher (红字冲销) on the open day, linked by reverses; a voucher is reversed at most once';

CREATE FUNCTION ledger.balance(code text) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_balance'
	LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ledger.balance(text) IS
	'current balance of an account on its normal side (a summary account sums its leaves); includes this transaction''s own postings';

