-- ledger_router--1.1.sql: books spread over several PostgreSQL nodes, routed by PL/Proxy.
\echo Use "CREATE EXTENSION ledger_router" to load this file. \quit

-- ===========================================================================
-- The registry of books and PL/Proxy's cluster configuration
-- ===========================================================================

CREATE TABLE ledger_router.book (
	book      text NOT NULL,
	connstr   text NOT NULL,
	partition integer NOT NULL,
	added_at  timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT book_pkey PRIMARY KEY (book),
	CONSTRAINT book_partition_key UNIQUE (partition),
	CONSTRAINT book_connstr_key UNIQUE (connstr),
	CONSTRAINT book_name_check CHECK (book ~ '^[A-Za-z0-9_.-]{1,63}$')
);
COMMENT ON TABLE ledger_router.book IS 'registered books: each is one node database holding a complete ledger';
COMMENT ON COLUMN ledger_router.book.book IS 'book name (letters, digits, _ . -)';
COMMENT ON COLUMN ledger_router.book.connstr IS 'libpq connection string of the node database that holds the book';
COMMENT ON COLUMN ledger_router.book.partition IS 'the book''s partition number in PL/Proxy cluster ledger_router (0, 1, ... in the order added)';
COMMENT ON COLUMN ledger_router.book.added_at IS 'when the book was registered';

CREATE TABLE ledger_router.registry (
	singleton boolean NOT NULL DEFAULT true,
	version   integer NOT NULL,
	CONSTRAINT registry_pkey PRIMARY KEY (singleton),
	CONSTRAINT registry_singleton_check CHECK (singleton)
);
COMMENT ON TABLE ledger_router.registry IS 'version of the book registry, which PL/Proxy compares with the configuration it cached';
COMMENT ON COLUMN ledger_router.registry.singleton IS 'always true: the table has one row';
COMMENT ON COLUMN ledger_router.registry.version IS 'changes with every change of ledger_router.book or ledger_router.cluster_option';
CREATE SEQUENCE ledger_router.registry_version_seq;
COMMENT ON SEQUENCE ledger_router.registry_version_seq IS 'versions of the book registry (never reused, even after a rollback)';
INSERT INTO ledger_router.registry (version) VALUES (nextval('ledger_router.registry_version_seq')::integer);

CREATE TABLE ledger_router.cluster_option (
	key text NOT NULL,
	val text NOT NULL,
	CONSTRAINT cluster_option_pkey PRIMARY KEY (key)
);
COMMENT ON TABLE ledger_router.cluster_option IS 'PL/Proxy cluster options of cluster ledger_router (connection_lifetime, query_timeout, ...); modular_mapping is always 1';
COMMENT ON COLUMN ledger_router.cluster_option.key IS 'option name, as PL/Proxy''s get_cluster_config documents it';
COMMENT ON COLUMN ledger_router.cluster_option.val IS 'option value';
INSERT INTO ledger_router.cluster_option (key, val) VALUES ('connection_lifetime', '1800');

CREATE FUNCTION ledger_router._registry_changed() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	UPDATE ledger_router.registry SET version = nextval('ledger_router.registry_version_seq')::integer;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION ledger_router._registry_changed() IS 'gives the registry a new version, so that PL/Proxy reloads the cluster configuration';
CREATE TRIGGER book_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ledger_router.book
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_router._registry_changed();
CREATE TRIGGER cluster_option_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ledger_router.cluster_option
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_router._registry_changed();

CREATE VIEW ledger_router.books AS
	SELECT b.book, b.connstr, b.partition, b.added_at FROM ledger_router.book b;
COMMENT ON VIEW ledger_router.books IS 'the registered books and the node databases that hold them';
COMMENT ON COLUMN ledger_router.books.book IS 'book name';
COMMENT ON COLUMN ledger_router.books.connstr IS 'libpq connection string of the node database';
COMMENT ON COLUMN ledger_router.books.partition IS 'partition number in PL/Proxy cluster ledger_router';
COMMENT ON COLUMN ledger_router.books.added_at IS 'when the book was registered';

-- PL/Proxy reads its cluster configuration through these three functions
-- (https://plproxy.github.io/config.html); cluster ledger_router is the registry.
CREATE SCHEMA IF NOT EXISTS plproxy;

CREATE FUNCTION plproxy.get_cluster_version(cluster_name text) RETURNS integer
	LANGUAGE plpgsql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF cluster_name = 'ledger_router' THEN
		RETURN (SELECT r.version FROM ledger_router.registry r);
	END IF;
	RAISE EXCEPTION 'unknown PL/Proxy cluster "%"', cluster_name
		USING ERRCODE = 'undefined_object',
			DETAIL = 'The cluster configuration of this database is the book registry of ledger_router, cluster ledger_router.';
END
$$;
COMMENT ON FUNCTION plproxy.get_cluster_version(text) IS 'PL/Proxy cluster configuration: the version of cluster ledger_router (the book registry)';

CREATE FUNCTION plproxy.get_cluster_partitions(cluster_name text) RETURNS SETOF text
	LANGUAGE plpgsql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF cluster_name = 'ledger_router' THEN
		RETURN QUERY SELECT b.connstr FROM ledger_router.book b ORDER BY b.partition;
		RETURN;
	END IF;
	RAISE EXCEPTION 'unknown PL/Proxy cluster "%"', cluster_name
		USING ERRCODE = 'undefined_object',
			DETAIL = 'The cluster configuration of this database is the book registry of ledger_router, cluster ledger_router.';
END
$$;
COMMENT ON FUNCTION plproxy.get_cluster_partitions(text) IS 'PL/Proxy cluster configuration: one partition per registered book, in partition order';

CREATE FUNCTION plproxy.get_cluster_config(IN cluster_name text, OUT key text, OUT val text) RETURNS SETOF record
	LANGUAGE plpgsql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF cluster_name = 'ledger_router' THEN
		RETURN QUERY SELECT 'modular_mapping'::text, '1'::text
			UNION ALL
			SELECT o.key, o.val FROM ledger_router.cluster_option o WHERE o.key <> 'modular_mapping';
		RETURN;
	END IF;
	RAISE EXCEPTION 'unknown PL/Proxy cluster "%"', cluster_name
		USING ERRCODE = 'undefined_object',
			DETAIL = 'The cluster configuration of this database is the book registry of ledger_router, cluster ledger_router.';
END
$$;
COMMENT ON FUNCTION plproxy.get_cluster_config(text) IS 'PL/Proxy cluster configuration: modular_mapping (any number of books) and ledger_router.cluster_option';

CREATE FUNCTION ledger_router._partition(book text) RETURNS integer
	LANGUAGE plpgsql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p integer;
BEGIN
	SELECT b.partition INTO p FROM ledger_router.book b WHERE b.book = $1;
	IF p IS NULL THEN
		RAISE EXCEPTION 'book "%" is not registered', $1
			USING ERRCODE = 'foreign_key_violation',
				DETAIL = format('No row of ledger_router.books names book "%s".', $1),
				HINT = 'Register the book''s node database with ledger_router.add_book(book, connstr).';
	END IF;
	RETURN p;
END
$$;
COMMENT ON FUNCTION ledger_router._partition(text) IS 'PL/Proxy RUN ON: the partition of a book (23503 for a book not registered)';

-- ===========================================================================
-- Routed functions: the node's own function, on the node of the book
-- ===========================================================================

CREATE FUNCTION ledger_router.post(book text, idempotency_key text, accounts text[], amounts ledger.amount[],
		summary text DEFAULT NULL, ref text DEFAULT NULL, metadata jsonb DEFAULT NULL)
	RETURNS bigint
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.post(idempotency_key, accounts, amounts, summary, ref, metadata) AS post;
$$;
COMMENT ON FUNCTION ledger_router.post(text, text, text[], ledger.amount[], text, text, jsonb) IS
	'ledger.post on the node of the book';

CREATE FUNCTION ledger_router.post(book text, idempotency_key text, accounts text[], amounts text[],
		summary text DEFAULT NULL, ref text DEFAULT NULL, metadata jsonb DEFAULT NULL)
	RETURNS bigint
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.post(idempotency_key, accounts, amounts::ledger.amount[], summary, ref, metadata) AS post;
$$;
COMMENT ON FUNCTION ledger_router.post(text, text, text[], text[], text, text, jsonb) IS
	'ledger.post on the node of the book, amounts written as text (for drivers that send a list of strings)';

CREATE FUNCTION ledger_router.reverse(book text, voucher_id bigint, idempotency_key text, summary text DEFAULT NULL)
	RETURNS bigint
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.reverse(voucher_id, idempotency_key, summary) AS reverse;
$$;
COMMENT ON FUNCTION ledger_router.reverse(text, bigint, text, text) IS
	'ledger.reverse on the node of the book';

CREATE FUNCTION ledger_router.reverse(book text, voucher_id bigint, idempotency_key text, summary text, red boolean)
	RETURNS bigint
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.reverse(voucher_id, idempotency_key, summary, red) AS reverse;
$$;
COMMENT ON FUNCTION ledger_router.reverse(text, bigint, text, text, boolean) IS
	'ledger.reverse on the node of the book, red (红字) or blue as red says';

CREATE FUNCTION ledger_router.hold(book text, idempotency_key text, accounts text[], amounts ledger.amount[],
		summary text DEFAULT NULL, ref text DEFAULT NULL, expires_at timestamptz DEFAULT NULL, metadata jsonb DEFAULT NULL)
	RETURNS bigint
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.hold(idempotency_key, accounts, amounts, summary, ref, expires_at, metadata) AS hold;
$$;
COMMENT ON FUNCTION ledger_router.hold(text, text, text[], ledger.amount[], text, text, timestamptz, jsonb) IS
	'ledger.hold on the node of the book';

CREATE FUNCTION ledger_router.hold(book text, idempotency_key text, accounts text[], amounts text[],
		summary text DEFAULT NULL, ref text DEFAULT NULL, expires_at timestamptz DEFAULT NULL, metadata jsonb DEFAULT NULL)
	RETURNS bigint
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.hold(idempotency_key, accounts, amounts::ledger.amount[], summary, ref, expires_at, metadata) AS hold;
$$;
COMMENT ON FUNCTION ledger_router.hold(text, text, text[], text[], text, text, timestamptz, jsonb) IS
	'ledger.hold on the node of the book, amounts written as text';

CREATE FUNCTION ledger_router.post_hold(book text, hold_id bigint, idempotency_key text,
		amounts ledger.amount[] DEFAULT NULL, summary text DEFAULT NULL)
	RETURNS bigint
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.post_hold(hold_id, idempotency_key, amounts, summary) AS post_hold;
$$;
COMMENT ON FUNCTION ledger_router.post_hold(text, bigint, text, ledger.amount[], text) IS
	'ledger.post_hold on the node of the book';

CREATE FUNCTION ledger_router.void_hold(book text, hold_id bigint, reason text DEFAULT NULL)
	RETURNS void
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.void_hold(hold_id, reason) AS void_hold;
$$;
COMMENT ON FUNCTION ledger_router.void_hold(text, bigint, text) IS
	'ledger.void_hold on the node of the book';

CREATE FUNCTION ledger_router.balance(book text, code text)
	RETURNS ledger.amount
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.balance(code) AS balance;
$$;
COMMENT ON FUNCTION ledger_router.balance(text, text) IS
	'ledger.balance (current, on the normal side) on the node of the book';

CREATE FUNCTION ledger_router.balance(book text, code text, as_of date)
	RETURNS ledger.amount
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.balance(code, as_of) AS balance;
$$;
COMMENT ON FUNCTION ledger_router.balance(text, text, date) IS
	'ledger.balance at the end of a book date, on the node of the book';

CREATE FUNCTION ledger_router.available(book text, code text)
	RETURNS ledger.amount
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.available(code) AS available;
$$;
COMMENT ON FUNCTION ledger_router.available(text, text) IS
	'ledger.available (balance less what holds reserve) on the node of the book';

CREATE FUNCTION ledger_router.current_book_date(book text)
	RETURNS date
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.current_book_date() AS current_book_date;
$$;
COMMENT ON FUNCTION ledger_router.current_book_date(text) IS
	'the open book date of the book';

-- ===========================================================================
-- Registering books
-- ===========================================================================

CREATE FUNCTION ledger_router._node_info(i_book text)
	RETURNS TABLE(ledger_version text, database text)
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(i_book);
	SELECT (SELECT e.extversion::text FROM pg_catalog.pg_extension e WHERE e.extname = 'ledger') AS ledger_version,
	       pg_catalog.current_database()::text AS database;
$$;
COMMENT ON FUNCTION ledger_router._node_info(text) IS 'the ledger extension''s version in the node database of a book, and the database''s name';

CREATE FUNCTION ledger_router.add_book(book text, connstr text) RETURNS void
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	old text;
	info record;
BEGIN
	IF book IS NULL OR connstr IS NULL THEN
		RAISE EXCEPTION 'book and connstr must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'ledger_router.add_book() registers a book by its name and the connection string of its node database.';
	END IF;
	LOCK TABLE ledger_router.book IN EXCLUSIVE MODE;
	SELECT b.connstr INTO old FROM ledger_router.book b WHERE b.book = add_book.book;
	IF FOUND THEN
		IF old = connstr THEN
			RETURN;
		END IF;
		RAISE EXCEPTION 'book "%" is already registered', book
			USING ERRCODE = 'unique_violation',
				DETAIL = format('Book "%s" is held by the node database "%s".', book, old),
				HINT = 'To move a book to another node (a promoted standby, say), UPDATE ledger_router.book SET connstr.';
	END IF;
	IF EXISTS (SELECT 1 FROM ledger_router.book b WHERE b.connstr = add_book.connstr) THEN
		RAISE EXCEPTION 'the node database "%" already holds a book', connstr
			USING ERRCODE = 'unique_violation',
				DETAIL = format('Book "%s" is registered with this connection string; a book is one database.',
					(SELECT b.book FROM ledger_router.book b WHERE b.connstr = add_book.connstr));
	END IF;
	INSERT INTO ledger_router.book (book, connstr, partition)
		VALUES (book, connstr, (SELECT COALESCE(max(b.partition) + 1, 0) FROM ledger_router.book b));
	-- the node must answer and hold a ledger; otherwise nothing is registered
	SELECT * INTO info FROM ledger_router._node_info(book);
	IF info.ledger_version IS NULL THEN
		RAISE EXCEPTION 'the node database of book "%" has no ledger', book
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = format('Database "%s" reached by "%s" has not installed the extension ledger.', info.database, connstr),
				HINT = 'Run CREATE EXTENSION ledger in the node database first.';
	END IF;
END
$$;
COMMENT ON FUNCTION ledger_router.add_book(text, text) IS
	'registers a book: the libpq connection string of the node database that holds it (which must answer and hold the ledger extension)';

-- ===========================================================================
-- Inter-book transfers through clearing accounts
-- ===========================================================================

CREATE TABLE ledger_router.clearing (
	book              text NOT NULL,
	counterparty_book text NOT NULL,
	account           text NOT NULL,
	currency          text NULL,
	CONSTRAINT clearing_book_fkey FOREIGN KEY (book) REFERENCES ledger_router.book (book),
	CONSTRAINT clearing_counterparty_book_fkey FOREIGN KEY (counterparty_book) REFERENCES ledger_router.book (book),
	CONSTRAINT clearing_two_books_check CHECK (book <> counterparty_book)
);
CREATE UNIQUE INDEX clearing_key ON ledger_router.clearing (book, counterparty_book, COALESCE(currency, ''));
COMMENT ON TABLE ledger_router.clearing IS
	'inter-book clearing accounts: the account of book that carries its transfers with counterparty_book';
COMMENT ON COLUMN ledger_router.clearing.book IS 'the book that holds the account';
COMMENT ON COLUMN ledger_router.clearing.counterparty_book IS 'the other book of the transfers the account carries';
COMMENT ON COLUMN ledger_router.clearing.account IS 'account code in book (an open leaf; hot, without floor or ceiling, when busy)';
COMMENT ON COLUMN ledger_router.clearing.currency IS 'the currency the account carries; NULL: the account for every currency without a row of its own';

CREATE FUNCTION ledger_router._clearing_account(i_book text, i_counterparty text, i_currency text) RETURNS text
	LANGUAGE plpgsql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	acc text;
BEGIN
	PERFORM ledger_router._partition(i_book);
	SELECT c.account INTO acc FROM ledger_router.clearing c
	 WHERE c.book = i_book AND c.counterparty_book = i_counterparty AND (c.currency = i_currency OR c.currency IS NULL)
	 ORDER BY c.currency NULLS LAST LIMIT 1;
	IF acc IS NULL THEN
		RAISE EXCEPTION 'book "%" has no clearing account for book "%"', i_book, i_counterparty
			USING ERRCODE = 'foreign_key_violation',
				DETAIL = format('No row of ledger_router.clearing has book "%s", counterparty_book "%s" and currency %s or NULL.',
					i_book, i_counterparty, i_currency),
				HINT = 'INSERT INTO ledger_router.clearing (book, counterparty_book, account) the clearing account of each book for the other.';
	END IF;
	RETURN acc;
END
$$;
COMMENT ON FUNCTION ledger_router._clearing_account(text, text, text) IS 'the clearing account of a book for a counterparty book and a currency (23503 if none)';

-- the first half, on the book money leaves: from_account's normal-side balance
-- goes down by the amount, the clearing account takes the other side
CREATE FUNCTION ledger_router._transfer_from(i_book text, i_key text, i_account text, i_clearing text,
		i_amount ledger.amount, i_summary text, i_ref text, i_metadata jsonb, i_cancel_key text)
	RETURNS TABLE(voucher bigint, leg ledger.amount, cancelled_by bigint)
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(i_book);
	SELECT p.id AS voucher, p.leg AS leg,
	       (SELECT c.id FROM ledger.voucher c WHERE c.idempotency_key OPERATOR(pg_catalog.=) i_cancel_key) AS cancelled_by
	  FROM (SELECT ledger.post(i_key, ARRAY[i_account, i_clearing],
	                           ARRAY[i_amount OPERATOR(ledger.*) s.sign, i_amount OPERATOR(ledger.*) (0 OPERATOR(pg_catalog.-) s.sign)],
	                           i_summary, i_ref, i_metadata) AS id,
	               i_amount OPERATOR(ledger.*) s.sign AS leg
	          FROM (SELECT COALESCE((SELECT CASE ledger.normal_side(a.kind, a.metadata) WHEN 'debit' THEN -1 ELSE 1 END
	                                   FROM ledger.account a WHERE a.code OPERATOR(pg_catalog.=) i_account), 1) AS sign) s
	        OFFSET 0) p;
$$;
COMMENT ON FUNCTION ledger_router._transfer_from(text, text, text, text, ledger.amount, text, text, jsonb, text) IS
	'the first half of a transfer (idempotent on its key); also says whether the transfer was refused and this half reversed';

-- the second half, on the book money arrives: the negation of the first half's leg
CREATE FUNCTION ledger_router._transfer_to(i_book text, i_key text, i_account text, i_clearing text,
		i_leg ledger.amount, i_summary text, i_ref text, i_metadata jsonb)
	RETURNS bigint
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(i_book);
	SELECT ledger.post(i_key, ARRAY[i_clearing, i_account], ARRAY[OPERATOR(ledger.-) i_leg, i_leg],
	                   i_summary, i_ref, i_metadata) AS _transfer_to;
$$;
COMMENT ON FUNCTION ledger_router._transfer_to(text, text, text, text, ledger.amount, text, text, jsonb) IS
	'the second half of a transfer (idempotent on its key)';

-- a refused second half: its key is taken by a voucher that moves nothing
-- (the clearing account debited and credited), so that the half can never be
-- posted later, and the refusal stays in the book
CREATE FUNCTION ledger_router._transfer_refuse(i_book text, i_key text, i_clearing text,
		i_amount ledger.amount, i_summary text, i_ref text, i_metadata jsonb)
	RETURNS bigint
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(i_book);
	SELECT ledger.post(i_key, ARRAY[i_clearing, i_clearing], ARRAY[i_amount, OPERATOR(ledger.-) i_amount],
	                   i_summary, i_ref, i_metadata) AS _transfer_refuse;
$$;
COMMENT ON FUNCTION ledger_router._transfer_refuse(text, text, text, ledger.amount, text, text, jsonb) IS
	'takes the key of a refused second half with a voucher that moves nothing';

CREATE FUNCTION ledger_router._voucher(i_book text, i_key text)
	RETURNS TABLE(id bigint, book_date date, reverses bigint, metadata jsonb)
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(i_book);
	SELECT v.id, v.book_date, v.reverses, v.metadata FROM ledger.voucher v
	 WHERE v.idempotency_key OPERATOR(pg_catalog.=) i_key;
$$;
COMMENT ON FUNCTION ledger_router._voucher(text, text) IS 'the voucher of an idempotency key in a book, if any';

CREATE FUNCTION ledger_router.transfer(idempotency_key text, from_book text, from_account text,
		to_book text, to_account text, amount ledger.amount, summary text DEFAULT NULL)
	RETURNS TABLE(from_voucher bigint, to_voucher bigint)
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k text := transfer.idempotency_key;
	cur text;
	from_clearing text;
	to_clearing text;
	s text;
	meta jsonb;
	f record;
	t bigint;
	v record;
	st text;
	msg text;
	det text;
	cancel bigint;
	tries integer := 0;
BEGIN
	IF k IS NULL OR from_book IS NULL OR from_account IS NULL OR to_book IS NULL OR to_account IS NULL OR amount IS NULL THEN
		RAISE EXCEPTION 'the arguments of ledger_router.transfer() must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = format('Transfer "%s": idempotency_key, from_book, from_account, to_book, to_account and amount are all needed.', k);
	END IF;
	IF from_book = to_book THEN
		RAISE EXCEPTION 'transfer "%" names book "%" twice', k, from_book
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'A transfer moves money between two books.',
				HINT = 'Within one book, post one voucher with ledger_router.post().';
	END IF;
	IF ledger.minor_units(amount) <= 0 THEN
		RAISE EXCEPTION 'the amount of transfer "%" must be positive', k
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('Transfer "%s" from book "%s" to book "%s" moves %s.', k, from_book, to_book, amount);
	END IF;
	cur := ledger.currency(amount);
	from_clearing := ledger_router._clearing_account(from_book, to_book, cur);
	to_clearing := ledger_router._clearing_account(to_book, from_book, cur);
	s := COALESCE(summary, format('transfer %s from book %s to book %s', k, from_book, to_book));
	meta := jsonb_build_object('transfer', k, 'from_book', from_book, 'from_account', from_account,
	                           'to_book', to_book, 'to_account', to_account);
	-- the day-end of all books switches while no transfer runs (ledger_router.close_day)
	PERFORM pg_advisory_xact_lock_shared(76825, 1);

	-- 1. the half on the book the money leaves: posted once, whatever happens after
	SELECT * INTO f FROM ledger_router._transfer_from(from_book, k || ':from', from_account, from_clearing, amount,
		s, k, meta || '{"leg": "from"}', k || ':cancel');
	IF f.cancelled_by IS NOT NULL THEN
		SELECT * INTO v FROM ledger_router._voucher(to_book, k || ':to');
		RAISE EXCEPTION 'transfer "%" was refused by book "%"', k, to_book
			USING ERRCODE = COALESCE(v.metadata->>'sqlstate', 'object_not_in_prerequisite_state'),
				DETAIL = format('Book "%s" refused the second half (%s); the first half, voucher %s of book "%s", was reversed by voucher %s.',
					to_book, COALESCE(v.metadata->>'refused', 'refused'), f.voucher, from_book, f.cancelled_by),
				HINT = 'A refused transfer stays refused: use a new idempotency key.';
	END IF;

	-- 2. the half on the book the money reaches
	LOOP
		tries := tries + 1;
		BEGIN
			t := ledger_router._transfer_to(to_book, k || ':to', to_account, to_clearing, OPERATOR(ledger.-) f.leg,
				s, k, meta || '{"leg": "to"}');
			from_voucher := f.voucher;
			to_voucher := t;
			RETURN NEXT;
			RETURN;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
		END;
		msg := regexp_replace(msg, '^[^ ]+ \[[^]]*\] REMOTE ERROR: ', '');
		IF st = '23505' THEN
			-- the key of the second half is taken: by this transfer's refusal?
			SELECT * INTO v FROM ledger_router._voucher(to_book, k || ':to');
			IF v.metadata->>'refused' IS NULL THEN
				RAISE EXCEPTION '%', msg USING ERRCODE = st, DETAIL = det;
			END IF;
			st := COALESCE(v.metadata->>'sqlstate', 'object_not_in_prerequisite_state');
			msg := v.metadata->>'refused';
		ELSIF (st LIKE '22%' OR st LIKE '23%' OR st IN ('42804', '55000')) AND tries = 1 THEN
			-- refused for good (an account missing, frozen or closed, a bound, a currency):
			-- take the key of the second half, unless the half itself got there first
			BEGIN
				PERFORM ledger_router._transfer_refuse(to_book, k || ':to', to_clearing, amount,
					format('transfer %s refused by book %s', k, to_book), k,
					meta || jsonb_build_object('leg', 'refused', 'refused', msg, 'sqlstate', st));
			EXCEPTION WHEN unique_violation THEN
				CONTINUE;
			END;
		ELSE
			-- the node is down, the connection dropped, a deadlock...: a retry completes the transfer
			RAISE EXCEPTION '%', msg USING ERRCODE = st, DETAIL = COALESCE(det, ''),
				HINT = format('Transfer "%s": the first half is voucher %s of book "%s"; call ledger_router.transfer again with the same arguments to complete it.',
					k, f.voucher, from_book);
		END IF;
		-- 3. refused: the first half is reversed (once: the reversal has its own key)
		cancel := ledger_router.reverse(from_book, f.voucher, k || ':cancel',
			format('transfer %s refused by book %s', k, to_book));
		RAISE EXCEPTION 'transfer "%" was refused by book "%"', k, to_book
			USING ERRCODE = st,
				DETAIL = format('Book "%s" refused the second half (%s); the first half, voucher %s of book "%s", was reversed by voucher %s.',
					to_book, msg, f.voucher, from_book, cancel),
				HINT = 'A refused transfer stays refused: use a new idempotency key.';
	END LOOP;
END
$$;
COMMENT ON FUNCTION ledger_router.transfer(text, text, text, text, text, ledger.amount, text) IS
	'moves money between two books through their clearing accounts, as two vouchers keyed idempotency_key:from and :to; a retry completes the transfer or returns the same pair';
