-- sql/areas/14-holds.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- ===========================================================================
-- 14. Holds (冻结 / 预授权 / 在途) and the account history (明细账)
-- ===========================================================================

/*
 * A hold is a two-phase voucher: its lines reserve money now (they count in
 * the held_debit / held_credit of the accounts' balance rows, which the
 * bound check reads under the row lock it takes anyway) and a later
 * ledger.post_hold() posts them, in full or in part, as a voucher;
 * ledger.void_hold() releases them, and a hold past its expires_at reserves
 * nothing (ledger.expire_holds() marks it).  Holds and their lines are
 * written only by those functions (ledger._hold_guard).
 */
CREATE SEQUENCE ledger.hold_id_seq;
COMMENT ON SEQUENCE ledger.hold_id_seq IS 'ids of ledger.hold';

CREATE TABLE ledger.hold (
	id                bigint NOT NULL DEFAULT nextval('ledger.hold_id_seq'),
	idempotency_key   text NOT NULL,
	status            text NOT NULL DEFAULT 'pending',
	book_date         date NOT NULL,
	summary           text NULL,
	ref               text NULL,
	metadata          jsonb NULL,
	created_at        timestamptz NOT NULL DEFAULT now(),
	expires_at        timestamptz NULL,
	settled_at        timestamptz NULL,
	voucher_id        bigint NULL,
	settled_book_date date NULL,
	reason            text NULL,
	created_by        text NOT NULL DEFAULT session_user,
	CONSTRAINT hold_pkey PRIMARY KEY (id),
	CONSTRAINT hold_idempotency_key_key UNIQUE (idempotency_key),
	CONSTRAINT hold_status_check CHECK (status IN ('pending', 'posted', 'voided', 'expired')),
	CONSTRAINT hold_settled_check CHECK ((status = 'pending') = (settled_at IS NULL)
		AND (status = 'pending') = (settled_book_date IS NULL)
		AND (status = 'posted') = (voucher_id IS NOT NULL))
);
ALTER SEQUENCE ledger.hold_id_seq OWNED BY ledger.hold.id;
CREATE INDEX hold_pending_idx ON ledger.hold (expires_at) WHERE status = 'pending';
CREATE INDEX hold_settled_book_date_idx ON ledger.hold (settled_book_date) WHERE settled_book_date IS NOT NULL;

COMMENT ON TABLE ledger.hold IS
	'holds (冻结 / 预授权 / 在途): two-phase vouchers that reserve money until posted, voided or expired; written only by the hold functions';
COMMENT ON COLUMN ledger.hold.id IS 'hold id';
COMMENT ON COLUMN ledger.hold.idempotency_key IS 'caller''s unique key: holding with the same key again returns the same hold';
COMMENT ON COLUMN ledger.hold.status IS 'pending, posted (by ledger.post_hold), voided (by ledger.void_hold) or expired (by ledger.expire_holds)';
COMMENT ON COLUMN ledger.hold.book_date IS 'the open book day when the hold was created';
COMMENT ON COLUMN ledger.hold.summary IS 'summary (摘要), the default summary of the voucher that posts it';
COMMENT ON COLUMN ledger.hold.ref IS 'business reference, carried to the voucher that posts it';
COMMENT ON COLUMN ledger.hold.metadata IS 'free-form attributes, carried to the voucher that posts it';
COMMENT ON COLUMN ledger.hold.created_at IS 'when the hold was created';
COMMENT ON COLUMN ledger.hold.expires_at IS 'from this moment the hold reserves nothing and cannot be posted; NULL: never';
COMMENT ON COLUMN ledger.hold.settled_at IS 'when the hold was posted, voided or marked expired';
COMMENT ON COLUMN ledger.hold.voucher_id IS 'the voucher that posted the hold';
COMMENT ON COLUMN ledger.hold.settled_book_date IS 'the open book day when the hold was settled (the daily balances count it held until then)';
COMMENT ON COLUMN ledger.hold.reason IS 'why the hold was voided';
COMMENT ON COLUMN ledger.hold.created_by IS 'session user that created the hold';

CREATE TABLE ledger.hold_line (
	hold_id    bigint NOT NULL,
	line_no    integer NOT NULL,
	account_id bigint NOT NULL,
	amount     ledger.amount NOT NULL,
	CONSTRAINT hold_line_pkey PRIMARY KEY (hold_id, line_no),
	CONSTRAINT hold_line_line_no_check CHECK (line_no > 0)
);
COMMENT ON TABLE ledger.hold_line IS 'lines of a hold: signed amounts (debit positive) on leaf accounts; immutable';
COMMENT ON COLUMN ledger.hold_line.hold_id IS 'the hold';
COMMENT ON COLUMN ledger.hold_line.line_no IS 'line number within the hold, and of the entry that posts it';
COMMENT ON COLUMN ledger.hold_line.account_id IS 'a leaf account, open when the hold was created';
COMMENT ON COLUMN ledger.hold_line.amount IS 'signed amount held: debit positive, credit negative, never zero';
CREATE INDEX hold_line_account_idx ON ledger.hold_line (account_id, hold_id);

/*
 * Hold lines are part of an account's history, as its entries are: once a
 * hold names an account, pending or settled, the account keeps its code,
 * kind, currency, normal side and parent and stays a leaf (the account
 * triggers), so that the hold's lines, posted, voided or still pending,
 * always match their account; and it is never deleted.
 */
CREATE FUNCTION ledger._account_hold(account_id bigint) RETURNS bigint
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	BEGIN ATOMIC
	SELECT min(l.hold_id) FROM ledger.hold_line l
	 WHERE l.account_id OPERATOR(pg_catalog.=) _account_hold.account_id;
	END;
COMMENT ON FUNCTION ledger._account_hold(bigint) IS
	'the first hold, pending or settled, with a line on the account; NULL if no hold names it';

CREATE FUNCTION ledger._hold_guard() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ledger_hold_guard' LANGUAGE C;
COMMENT ON FUNCTION ledger._hold_guard() IS
	'statement trigger on ledger.hold and ledger.hold_line: only the hold functions write holds; hold lines never change (55000)';
CREATE TRIGGER hold_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger.hold
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._hold_guard();
CREATE TRIGGER hold_no_truncate BEFORE TRUNCATE ON ledger.hold
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._hold_guard();
CREATE TRIGGER hold_line_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger.hold_line
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._hold_guard();
CREATE TRIGGER hold_line_no_truncate BEFORE TRUNCATE ON ledger.hold_line
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._hold_guard();

-- --- the functions -----------------------------------------------------------

CREATE FUNCTION ledger.hold(idempotency_key text, accounts text[], amounts ledger.amount[],
		summary text DEFAULT NULL, ref text DEFAULT NULL, expires_at timestamptz DEFAULT NULL,
		metadata jsonb DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_hold'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.hold(text, text[], ledger.amount[], text, text, timestamptz, jsonb) IS
	'creates a pending hold (validated like a voucher, counted against floors and ceilings, no entry written) and returns its id; idempotent on idempotency_key';

CREATE FUNCTION ledger.hold(idempotency_key text, accounts text[], amounts text[],
		summary text DEFAULT NULL, ref text DEFAULT NULL, expires_at timestamptz DEFAULT NULL,
		metadata jsonb DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_hold'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.hold(text, text[], text[], text, text, timestamptz, jsonb) IS
	'ledger.hold with the amounts as text (''12.34 CNY''), for drivers that send a list of strings';

/*
 * As for ledger.post: the form taking one text is the one an untyped array
 * literal '{...}' resolves to (PostgreSQL finds the amount[] and text[] forms
 * equally good for it, and picks the string-typed form before either).
 */
CREATE FUNCTION ledger.hold(idempotency_key text, accounts text[], amounts text,
		summary text DEFAULT NULL, ref text DEFAULT NULL, expires_at timestamptz DEFAULT NULL,
		metadata jsonb DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_hold'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.hold(text, text[], text, text, text, timestamptz, jsonb) IS
	'ledger.hold with the amounts as one array literal (''{12.34 CNY,-12.34 CNY}''), the form an untyped literal resolves to; same behaviour';

CREATE FUNCTION ledger.post_hold(hold_id bigint, idempotency_key text, amounts ledger.amount[] DEFAULT NULL,
		summary text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_post_hold'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.post_hold(bigint, text, ledger.amount[], text) IS
	'posts a pending hold as a voucher on the open day, in full (amounts NULL) or in part, releasing the rest; returns the voucher id, the same one for a replay of the key';

/*
 * As for ledger.post and ledger.hold: the amounts as text[] (JDBC's
 * createArrayOf("text", ...), psycopg2's list of str) and as one array
 * literal (an untyped '{...}', a JDBC setString).  The amounts have no
 * default here, so that a call without them names the form above alone; a
 * NULL for them resolves to the text form and posts the hold in full.
 */
CREATE FUNCTION ledger.post_hold(hold_id bigint, idempotency_key text, amounts text[],
		summary text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_post_hold'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.post_hold(bigint, text, text[], text) IS
	'ledger.post_hold with the amounts as text (''4.00 CNY''), for drivers that send a list of strings; same behaviour';

CREATE FUNCTION ledger.post_hold(hold_id bigint, idempotency_key text, amounts text,
		summary text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_post_hold'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.post_hold(bigint, text, text, text) IS
	'ledger.post_hold with the amounts as one array literal (''{4.00 CNY,-4.00 CNY}''), the form an untyped literal resolves to; same behaviour';

CREATE FUNCTION ledger.void_hold(hold_id bigint, reason text DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'ledger_void_hold'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.void_hold(bigint, text) IS
	'releases a pending hold (voided); a hold is settled once: a hold that is not pending is 55000';

CREATE FUNCTION ledger.expire_holds()
	RETURNS integer
	AS 'MODULE_PATHNAME', 'ledger_expire_holds'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.expire_holds() IS
	'marks the pending holds past their expires_at expired and releases their held amounts; returns how many (for pg_cron)';

/*
 * Money held on an account by pending holds past their expiry: counted in
 * the balance rows until ledger.expire_holds() marks them, but reserving
 * nothing.  The bound check reads it only when a bound looks broken.
 * "Past" is at the transaction's start (now()), so that the function is
 * stable, as ledger.available() is: a hold that expires during a
 * transaction still reserves its money in it.
 */
CREATE FUNCTION ledger._expired_held(account_id bigint, OUT debit bigint, OUT credit bigint)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	BEGIN ATOMIC
	SELECT COALESCE(sum(ledger.minor_units(l.amount)) FILTER (WHERE ledger.minor_units(l.amount) > 0), 0)::bigint,
	       COALESCE(-sum(ledger.minor_units(l.amount)) FILTER (WHERE ledger.minor_units(l.amount) < 0), 0)::bigint
	  FROM ledger.hold h
	  JOIN ledger.hold_line l ON l.hold_id = h.id
	 WHERE h.status = 'pending' AND h.expires_at <= pg_catalog.now()
	   AND l.account_id = _expired_held.account_id;
	END;
COMMENT ON FUNCTION ledger._expired_held(bigint) IS
	'held debits and credits of an account''s pending holds past their expiry (they reserve nothing)';

/*
 * The available balance: the normal-side balance less the held amounts that
 * would lower it (held debits of a credit-normal account, held credits of a
 * debit-normal one), holds past their expiry left out.  A summary account
 * sums its leaves, on its own normal side.
 */
CREATE FUNCTION ledger.available(code text) RETURNS ledger.amount
	LANGUAGE plpgsql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_custom_plan
	SET jit = off
AS $$
DECLARE
	a ledger.account;
	sign integer;
	units numeric;
	low numeric;
	cur text;
	ncur bigint;
BEGIN
	IF available.code IS NULL THEN
		PERFORM ledger._raise('22004', 'code must not be null',
			detail => 'ledger.available() needs the code of an account.');
	END IF;
	SELECT * INTO a FROM ledger.account WHERE account.code = available.code;
	IF NOT FOUND THEN
		PERFORM ledger._raise('23503', pg_catalog.format('account "%s" does not exist', code),
			detail => format('No account in ledger.account has the code "%s"; account codes are case-sensitive.', code));
	END IF;
	sign := ledger._normal_sign(a.kind, a.metadata);
	SELECT sum(b.units),
	       sum(CASE WHEN sign > 0 THEN b.held_credit - x.credit ELSE b.held_debit - x.debit END),
	       min(l.currency), count(DISTINCT l.currency)
	  INTO units, low, cur, ncur
	  FROM ledger._account_closure c
	  JOIN ledger._leaf l ON l.id = c.account_id
	  CROSS JOIN LATERAL (
		SELECT sum(r.units) AS units, sum(r.held_debit) AS held_debit, sum(r.held_credit) AS held_credit
		  FROM ledger.account_balance r WHERE r.account_id = l.id) b
	  CROSS JOIN LATERAL ledger._expired_held(l.id) x
	 WHERE c.ancestor_id = a.id AND l.currency IS NOT NULL;
	IF ncur > 1 THEN
		PERFORM ledger._raise('42804', pg_catalog.format('account "%s" holds more than one currency', code),
			detail => format('Its leaf accounts hold %s currencies.', ncur),
			hint => 'Use ledger.balances for multi-currency summary accounts.');
	END IF;
	cur := COALESCE(cur, a.currency);
	IF cur IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN ledger._amount_of_sum(COALESCE(units, 0) * sign - COALESCE(low, 0), cur, a.code, 'available balance');
END
$$;
COMMENT ON FUNCTION ledger.available(text) IS
	'available balance of an account: its normal-side balance less the money pending holds would take from it (holds past their expiry reserve nothing)';

-- --- views -----------------------------------------------------------------

CREATE VIEW ledger.holds AS
	SELECT h.id AS hold_id, h.idempotency_key, h.book_date, h.ref, h.summary, h.created_at, h.expires_at,
	       l.line_no, a.code AS account_code, a.name AS account_name,
	       CASE WHEN ledger.minor_units(l.amount) > 0 THEN l.amount END AS debit,
	       CASE WHEN ledger.minor_units(l.amount) < 0 THEN OPERATOR(ledger.-) l.amount END AS credit
	  FROM ledger.hold h
	  JOIN ledger.hold_line l ON l.hold_id = h.id
	  JOIN ledger.account a ON a.id = l.account_id
	 WHERE h.status = 'pending';
COMMENT ON VIEW ledger.holds IS 'pending holds, one row per line, debit and credit as positive amounts';
COMMENT ON COLUMN ledger.holds.hold_id IS 'the hold';
COMMENT ON COLUMN ledger.holds.idempotency_key IS 'the hold''s idempotency key';
COMMENT ON COLUMN ledger.holds.book_date IS 'the book day the hold was created on';
COMMENT ON COLUMN ledger.holds.ref IS 'business reference';
COMMENT ON COLUMN ledger.holds.summary IS 'summary (摘要)';
COMMENT ON COLUMN ledger.holds.created_at IS 'when the hold was created';
COMMENT ON COLUMN ledger.holds.expires_at IS 'when the hold stops reserving money (NULL: never)';
COMMENT ON COLUMN ledger.holds.line_no IS 'line number within the hold';
COMMENT ON COLUMN ledger.holds.account_code IS 'account code';
COMMENT ON COLUMN ledger.holds.account_name IS 'account name';
COMMENT ON COLUMN ledger.holds.debit IS 'amount held on the debit side, or NULL';
COMMENT ON COLUMN ledger.holds.credit IS 'amount held on the credit side, or NULL';

-- --- the account history (明细账) --------------------------------------------

/*
 * The rows come from a value-per-call C function, one per call; the SQL
 * function around it is one SELECT with a SQL-standard body, which the
 * planner inlines into the caller's query, so the rows stream to it instead
 * of being stored first in a function scan's tuplestore.  The body is parsed
 * when it is created: no name in it is looked up on the caller's search_path.
 * The C function's columns put the fixed-width ones and the balance first, so
 * that a caller reads them at fixed offsets in each row.
 * ledger._account_history() may be called by anyone but returns rows only to
 * a caller with EXECUTE on ledger.account_history() (42501 otherwise); it
 * reads the books as their owner.
 */
CREATE FUNCTION ledger._account_history(code text, from_date date, to_date date,
		OUT book_date date, OUT voucher_id bigint, OUT line_no integer, OUT created_at timestamptz,
		OUT balance ledger.amount, OUT debit ledger.amount, OUT credit ledger.amount, OUT ref text,
		OUT summary text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'ledger_account_history'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION ledger._account_history(text, date, date) IS
	'the rows of ledger.account_history(), one per call; only a caller with the right to call ledger.account_history() gets them (42501 otherwise)';

CREATE FUNCTION ledger.account_history(code text, from_date date, to_date date DEFAULT NULL)
	RETURNS TABLE(book_date date, voucher_id bigint, line_no integer, ref text, summary text,
		debit ledger.amount, credit ledger.amount, balance ledger.amount, created_at timestamptz)
	LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT (h.r).book_date, (h.r).voucher_id, (h.r).line_no, (h.r).ref, (h.r).summary,
	       (h.r).debit, (h.r).credit, (h.r).balance, (h.r).created_at
	  FROM (SELECT ledger._account_history(account_history.code, account_history.from_date,
	                                       account_history.to_date) AS r) h;
END;
COMMENT ON FUNCTION ledger.account_history(text, date, date) IS
	'the account history (明细账) of a leaf account: every entry of the book days from_date .. to_date (NULL: up to the open day) in posting order, with the normal-side balance after it';

-- --- dump registration and privileges ----------------------------------------

SELECT pg_catalog.pg_extension_config_dump('ledger.hold', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.hold_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.hold_line', '');

REVOKE ALL ON ledger.hold, ledger.hold_line, ledger.holds FROM PUBLIC;
REVOKE ALL ON SEQUENCE ledger.hold_id_seq FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION
	ledger._hold_guard(),
	ledger.hold(text, text[], ledger.amount[], text, text, timestamptz, jsonb),
	ledger.hold(text, text[], text[], text, text, timestamptz, jsonb),
	ledger.hold(text, text[], text, text, text, timestamptz, jsonb),
	ledger.post_hold(bigint, text, ledger.amount[], text),
	ledger.post_hold(bigint, text, text[], text),
	ledger.post_hold(bigint, text, text, text),
	ledger.void_hold(bigint, text),
	ledger.expire_holds(),
	ledger._expired_held(bigint),
	ledger._account_hold(bigint),
	ledger.available(text),
	ledger.account_history(text, date, date)
	FROM PUBLIC;
