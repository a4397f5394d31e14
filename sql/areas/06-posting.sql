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

/*
 * The amounts as text: a driver's list of strings arrives as text[] (psycopg,
 * JDBC, pgx, node-postgres), and needs no cast.  The form taking one text
 * keeps an untyped array literal '{...}' resolving as it did in 1.0 (read as
 * ledger.amount[]): PostgreSQL finds the amount[] and text[] forms equally
 * good for it, and picks the string-typed form before either.  ledger.hold
 * has the same three forms.
 */
CREATE FUNCTION ledger.post(idempotency_key text, accounts text[], amounts text[],
		summary text DEFAULT NULL, ref text DEFAULT NULL, metadata jsonb DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_post'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.post(text, text[], text[], text, text, jsonb) IS
	'ledger.post with the amounts as text (''12.50 CNY''), as drivers send a list of strings; same behaviour';

CREATE FUNCTION ledger.post(idempotency_key text, accounts text[], amounts text,
		summary text DEFAULT NULL, ref text DEFAULT NULL, metadata jsonb DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_post'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.post(text, text[], text, text, text, jsonb) IS
	'ledger.post with the amounts as one array literal (''{12.50 CNY,-12.50 CNY}''), the form an untyped literal resolves to; same behaviour';

CREATE FUNCTION ledger.reverse(voucher_id bigint, idempotency_key text, summary text DEFAULT NULL,
		red boolean DEFAULT true)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_reverse'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.reverse(bigint, text, text, boolean) IS
	'posts the negation of a voucher on the open day, linked by reverses; red (default): red-letter entries on the original sides (红字冲销), red => false: opposite-side entries; a voucher is reversed at most once';

CREATE FUNCTION ledger.balance(code text) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_balance'
	LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ledger.balance(text) IS
	'current balance of an account on its normal side (a summary account sums its leaves); includes this transaction''s own postings';

