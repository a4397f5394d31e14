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
