-- ledger_router--1.1.sql: books spread over several PostgreSQL nodes, routed by PL/Proxy.
\echo Use "CREATE EXTENSION ledger_router" to load this file. \quit

COMMENT ON SCHEMA ledger_router IS 'ledger_router: books on several nodes, routed by PL/Proxy';

-- ===========================================================================
-- The registry of books and PL/Proxy's cluster configuration
-- ===========================================================================

CREATE TABLE ledger_router.book (
	book      text NOT NULL,
	connstr   text NOT NULL,
	partition integer NOT NULL,
	added_at  timestamptz NOT NULL DEFAULT now(),
	node      text NULL,
	CONSTRAINT book_pkey PRIMARY KEY (book),
	CONSTRAINT book_partition_key UNIQUE (partition),
	CONSTRAINT book_connstr_key UNIQUE (connstr),
	CONSTRAINT book_node_key UNIQUE (node),
	CONSTRAINT book_name_check CHECK (book ~ '^[A-Za-z0-9_.-]{1,63}$')
);
COMMENT ON TABLE ledger_router.book IS 'registered books: each is one node database holding a complete ledger';
COMMENT ON COLUMN ledger_router.book.book IS 'book name (letters, digits, _ . -)';
COMMENT ON COLUMN ledger_router.book.connstr IS 'libpq connection string of the node database that holds the book';
COMMENT ON COLUMN ledger_router.book.partition IS 'the book''s partition number in PL/Proxy cluster ledger_router (0, 1, ... in the order added)';
COMMENT ON COLUMN ledger_router.book.added_at IS 'when the book was registered';
COMMENT ON COLUMN ledger_router.book.node IS 'the identity of the node database (system identifier/database oid), read by add_book and when connstr changes: one database holds one book';

CREATE TABLE ledger_router.cluster_option (
	key text NOT NULL,
	val text NOT NULL,
	CONSTRAINT cluster_option_pkey PRIMARY KEY (key),
	-- the options of a PL/Proxy cluster that take a number; modular_mapping is
	-- the registry's own, default_user would connect as another role
	CONSTRAINT cluster_option_key_check CHECK (key IN ('connection_lifetime', 'query_timeout', 'disable_binary',
		'keepalive_idle', 'keepalive_interval', 'keepalive_count')),
	CONSTRAINT cluster_option_val_check CHECK (val ~ '^[0-9]{1,9}$')
);
COMMENT ON TABLE ledger_router.cluster_option IS 'PL/Proxy cluster options of cluster ledger_router (connection_lifetime, 1800 s unless set here, query_timeout, ...); modular_mapping is always 1';
COMMENT ON COLUMN ledger_router.cluster_option.key IS 'option name, as PL/Proxy documents the options of a cluster';
COMMENT ON COLUMN ledger_router.cluster_option.val IS 'option value (an integer)';

CREATE VIEW ledger_router.books AS
	SELECT b.book, b.connstr, b.partition, b.added_at FROM ledger_router.book b;
COMMENT ON VIEW ledger_router.books IS 'the registered books and the node databases that hold them';
COMMENT ON COLUMN ledger_router.books.book IS 'book name';
COMMENT ON COLUMN ledger_router.books.connstr IS 'libpq connection string of the node database';
COMMENT ON COLUMN ledger_router.books.partition IS 'partition number in PL/Proxy cluster ledger_router';
COMMENT ON COLUMN ledger_router.books.added_at IS 'when the book was registered';

-- PL/Proxy's cluster ledger_router is a SQL/MED server of PL/Proxy's foreign
-- data wrapper (https://plproxy.github.io/config.html), whose options the
-- registry writes: partition p<N> is the book of partition N, plus
-- modular_mapping and the rows of ledger_router.cluster_option.  PL/Proxy reads
-- a server once per session and again only when a catalog invalidation says it
-- changed, so a routed call runs no configuration query (the plproxy.get_cluster_*
-- functions would cost one query per call).  Partition numbers without a book
-- (none registered yet, or a book deleted) hold a placeholder that no book routes to.
CREATE SERVER ledger_router FOREIGN DATA WRAPPER plproxy
	OPTIONS (modular_mapping '1', connection_lifetime '1800', p0 'dbname=ledger_router_no_book');
COMMENT ON SERVER ledger_router IS 'PL/Proxy cluster ledger_router: one partition per registered book (written by the book registry, ledger_router._write_cluster)';
-- PL/Proxy connects as the calling role (it adds user=<current_user>)
CREATE USER MAPPING FOR PUBLIC SERVER ledger_router;

CREATE FUNCTION ledger_router._write_cluster() RETURNS trigger
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	o record;
	changes text[] := '{}';
BEGIN
	-- the options the server must have (want) against those it has (have)
	FOR o IN
		WITH want AS (
			SELECT 'modular_mapping'::text AS k, '1'::text AS v
			UNION ALL
			SELECT 'connection_lifetime', '1800'
			 WHERE NOT EXISTS (SELECT 1 FROM ledger_router.cluster_option c WHERE c.key = 'connection_lifetime')
			UNION ALL
			SELECT c.key, c.val FROM ledger_router.cluster_option c WHERE c.key <> 'modular_mapping'
			UNION ALL
			SELECT 'p' || n, COALESCE(b.connstr, 'dbname=ledger_router_no_book')
			  FROM generate_series(0, COALESCE((SELECT max(x.partition) FROM ledger_router.book x), 0)) n
			  LEFT JOIN ledger_router.book b ON b.partition = n),
		have AS (
			SELECT split_part(s.opt, '=', 1) AS k, substr(s.opt, strpos(s.opt, '=') + 1) AS v
			  FROM pg_foreign_server f, unnest(f.srvoptions) s(opt)
			 WHERE f.srvname = 'ledger_router')
		SELECT COALESCE(w.k, h.k) AS k, w.v AS want, h.v AS have
		  FROM want w FULL JOIN have h ON h.k = w.k
		 WHERE w.v IS DISTINCT FROM h.v
		 ORDER BY 1
	LOOP
		changes := changes || CASE
			WHEN o.want IS NULL THEN format('DROP %I', o.k)
			WHEN o.have IS NULL THEN format('ADD %I %L', o.k, o.want)
			ELSE format('SET %I %L', o.k, o.want) END;
	END LOOP;
	IF cardinality(changes) > 0 THEN
		EXECUTE format('ALTER SERVER ledger_router OPTIONS (%s)', array_to_string(changes, ', '));
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION ledger_router._write_cluster() IS 'writes the book registry and the cluster options into the options of server ledger_router, which every router session''s PL/Proxy then reloads';
CREATE TRIGGER book_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ledger_router.book
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_router._write_cluster();
CREATE TRIGGER cluster_option_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ledger_router.cluster_option
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_router._write_cluster();

CREATE FUNCTION ledger_router._no_book(book text) RETURNS integer
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'book "%" is not registered', $1
		USING ERRCODE = 'foreign_key_violation',
			DETAIL = format('No row of ledger_router.books names book "%s".', $1),
			HINT = 'Register the book''s node database with ledger_router.add_book(book, connstr).';
END
$$;
COMMENT ON FUNCTION ledger_router._no_book(text) IS 'raises 23503 for a book not registered';

-- PL/Proxy runs "select * from ledger_router._partition($1)" for every routed
-- call: a set-returning SQL function without SECURITY DEFINER or SET is inlined
-- into that query (one index probe, no function call of its own), so the
-- caller needs SELECT on book and partition of ledger_router.book
CREATE FUNCTION ledger_router._partition(book text) RETURNS SETOF integer
	LANGUAGE sql STABLE
AS $$
	SELECT COALESCE((SELECT b.partition FROM ledger_router.book b WHERE b.book OPERATOR(pg_catalog.=) $1),
	                ledger_router._no_book($1))
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

-- the form an untyped '{...}' (node-postgres's arrays, a JDBC setString) resolves to, as on the node
CREATE FUNCTION ledger_router.post(book text, idempotency_key text, accounts text[], amounts text,
		summary text DEFAULT NULL, ref text DEFAULT NULL, metadata jsonb DEFAULT NULL)
	RETURNS bigint
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.post(idempotency_key, accounts, amounts::ledger.amount[], summary, ref, metadata) AS post;
$$;
COMMENT ON FUNCTION ledger_router.post(text, text, text[], text, text, text, jsonb) IS
	'ledger.post on the node of the book, amounts written as one array literal (the form an untyped literal resolves to)';

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

CREATE FUNCTION ledger_router.hold(book text, idempotency_key text, accounts text[], amounts text,
		summary text DEFAULT NULL, ref text DEFAULT NULL, expires_at timestamptz DEFAULT NULL, metadata jsonb DEFAULT NULL)
	RETURNS bigint
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.hold(idempotency_key, accounts, amounts::ledger.amount[], summary, ref, expires_at, metadata) AS hold;
$$;
COMMENT ON FUNCTION ledger_router.hold(text, text, text[], text, text, text, timestamptz, jsonb) IS
	'ledger.hold on the node of the book, amounts written as one array literal (the form an untyped literal resolves to)';

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

-- the amounts as text[] (JDBC's createArrayOf("text", ...), psycopg2's list) and as one literal
-- (node-postgres); no default, so that a call without amounts names the form above alone
CREATE FUNCTION ledger_router.post_hold(book text, hold_id bigint, idempotency_key text,
		amounts text[], summary text DEFAULT NULL)
	RETURNS bigint
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.post_hold(hold_id, idempotency_key, amounts::ledger.amount[], summary) AS post_hold;
$$;
COMMENT ON FUNCTION ledger_router.post_hold(text, bigint, text, text[], text) IS
	'ledger.post_hold on the node of the book, amounts written as text';

CREATE FUNCTION ledger_router.post_hold(book text, hold_id bigint, idempotency_key text,
		amounts text, summary text DEFAULT NULL)
	RETURNS bigint
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT ledger.post_hold(hold_id, idempotency_key, amounts::ledger.amount[], summary) AS post_hold;
$$;
COMMENT ON FUNCTION ledger_router.post_hold(text, bigint, text, text, text) IS
	'ledger.post_hold on the node of the book, amounts written as one array literal (the form an untyped literal resolves to)';

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
	RETURNS TABLE(ledger_version text, database text, node text)
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(i_book);
	SELECT (SELECT e.extversion::text FROM pg_catalog.pg_extension e WHERE e.extname = 'ledger') AS ledger_version,
	       pg_catalog.current_database()::text AS database,
	       (SELECT c.system_identifier::text FROM pg_catalog.pg_control_system() c) OPERATOR(pg_catalog.||) '/'
	         OPERATOR(pg_catalog.||) (SELECT d.oid::text FROM pg_catalog.pg_database d
	                                   WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()) AS node;
$$;
COMMENT ON FUNCTION ledger_router._node_info(text) IS 'the ledger extension''s version in the node database of a book, the database''s name, and its identity (system identifier/database oid)';

-- the node database of a book answers, holds a ledger and no other book;
-- records its identity in ledger_router.book.node
CREATE FUNCTION ledger_router._check_node(i_book text) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	info record;
	other record;
BEGIN
	SELECT * INTO info FROM ledger_router._node_info(i_book);
	IF info.ledger_version IS NULL THEN
		RAISE EXCEPTION 'the node database of book "%" has no ledger', i_book
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = format('Database "%s" reached by "%s" has not installed the extension ledger.', info.database,
					(SELECT b.connstr FROM ledger_router.book b WHERE b.book = i_book)),
				HINT = 'Run CREATE EXTENSION ledger in the node database first.';
	END IF;
	SELECT b.book, b.connstr INTO other FROM ledger_router.book b WHERE b.node = info.node AND b.book <> i_book;
	IF FOUND THEN
		RAISE EXCEPTION 'the node database of book "%" already holds book "%"', i_book, other.book
			USING ERRCODE = 'unique_violation',
				DETAIL = format('Connection strings "%s" and "%s" reach one database, "%s" (system identifier/oid %s); a book is one database.',
					(SELECT b.connstr FROM ledger_router.book b WHERE b.book = i_book), other.connstr, info.database, info.node),
				HINT = 'Create a database of its own for the book (CREATE DATABASE, CREATE EXTENSION ledger) and register that.';
	END IF;
	UPDATE ledger_router.book b SET node = info.node WHERE b.book = i_book AND b.node IS DISTINCT FROM info.node;
END
$$;
COMMENT ON FUNCTION ledger_router._check_node(text) IS 'checks that the node database of a book answers, holds a ledger and no other book, and records its identity';

-- a connection string must not choose the role the node is reached as
CREATE FUNCTION ledger_router._check_connstr() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- user= or options= anywhere (key=value, a URI's query), a URI's user
	-- (postgresql://user@host), a percent-encoded URI (libpq decodes
	-- parameter names: ?us%65r=), and a dbname that is itself a connection
	-- string or URI (libpq expands it: dbname=postgresql://user@host/db)
	IF NEW.connstr ~* '\m(user|options)\s*='
	   OR NEW.connstr ~* 'postgres(ql)?://[^/?#\s]*@'
	   OR NEW.connstr ~* 'postgres(ql)?://\S*%'
	   OR NEW.connstr ~* '\mdbname\s*=\s*(''([^''\\]|\\.)*(=|://)|[^\s'']*(=|://))' THEN
		RAISE EXCEPTION 'the connection string of book "%" must not set user or options', NEW.book
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('Connection string "%s" names a user or passes options; PL/Proxy connects to the node as the calling role, and a user or an option (a role, say) in the string would connect every caller as another role.', NEW.connstr),
				HINT = 'Remove user and options from the string; authenticate the router to the nodes with .pgpass, a service file (which must not set user or options either) or certificates.';
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION ledger_router._check_connstr() IS 'refuses a book''s connection string that sets user or options (every caller would reach the node as another role)';
CREATE TRIGGER book_connstr_check BEFORE INSERT OR UPDATE OF connstr ON ledger_router.book
	FOR EACH ROW EXECUTE FUNCTION ledger_router._check_connstr();

-- a book moved to another database (UPDATE connstr): the new one must answer,
-- hold a ledger and no other book (after book_changed has rewritten the cluster)
CREATE FUNCTION ledger_router._book_moved() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	b text;
BEGIN
	FOR b IN SELECT n.book FROM new_rows n JOIN old_rows o ON o.partition = n.partition
	          WHERE n.connstr IS DISTINCT FROM o.connstr ORDER BY n.book LOOP
		PERFORM ledger_router._check_node(b);
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION ledger_router._book_moved() IS 'checks the node database of each book whose connstr changed (ledger_router._check_node)';
CREATE TRIGGER book_moved AFTER UPDATE ON ledger_router.book
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_router._book_moved();

-- a book the day-end of all books covers stays registered under its name:
-- the global digests are recomputed from every book's digests
CREATE FUNCTION ledger_router._book_removed() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d date;
	st text;
	b text;
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		SELECT x.book_date, x.status, x.books[1] INTO d, st, b FROM ledger_router.global_day x ORDER BY x.book_date DESC LIMIT 1;
	ELSIF TG_OP = 'DELETE' OR NEW.book IS DISTINCT FROM OLD.book THEN
		SELECT x.book_date, x.status, OLD.book INTO d, st, b FROM ledger_router.global_day x
		 WHERE OLD.book = ANY (x.books) ORDER BY x.book_date DESC LIMIT 1;
	END IF;
	IF d IS NOT NULL THEN
		RAISE EXCEPTION 'cannot % book "%"', CASE TG_OP WHEN 'UPDATE' THEN 'rename' ELSE 'remove' END, b
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = format('The day-end of all books of %s covers book "%s" (%s): ledger_router.verify_books recomputes each global digest from the digests of the books it covers, and close_day finishes a day on the books it began with.',
					d, b, CASE st WHEN 'closed' THEN 'sealed into its global digest' ELSE 'still closing' END),
				HINT = 'A book a day-end of all books covered stays registered; to move it to another node, UPDATE ledger_router.book SET connstr.';
	END IF;
	RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION ledger_router._book_removed() IS 'refuses removing or renaming a book that a global day lists (55000)';
CREATE TRIGGER book_removed BEFORE DELETE OR UPDATE OF book ON ledger_router.book
	FOR EACH ROW EXECUTE FUNCTION ledger_router._book_removed();
CREATE TRIGGER book_truncated BEFORE TRUNCATE ON ledger_router.book
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_router._book_removed();

CREATE FUNCTION ledger_router.add_book(book text, connstr text) RETURNS void
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	old text;
	opens date;
	closing date;
	lo date;
	hi date;
	nextday date;
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
	-- the node must answer, hold a ledger and no other book; otherwise nothing is registered
	PERFORM ledger_router._check_node(book);
	-- its open day must be the day the router closes next, the open day of the other books
	SELECT x.open_date INTO opens FROM ledger_router._book_days(ARRAY[book], 'infinity', 'infinity') x;
	SELECT g.book_date INTO closing FROM ledger_router.global_day g WHERE g.status = 'closing' ORDER BY g.book_date LIMIT 1;
	IF closing IS NOT NULL THEN
		RAISE EXCEPTION 'cannot add book "%" while book day % is closing on every book', book, closing
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = format('The day-end of all books begun for %s covers the books registered when it began.', closing),
				HINT = 'CALL ledger_router.close_day() to finish that day-end, then add the book.';
	END IF;
	SELECT min(x.open_date), max(x.open_date) INTO lo, hi
	  FROM ledger_router._book_days(ARRAY(SELECT b.book FROM ledger_router.book b WHERE b.book <> add_book.book),
	                                'infinity', 'infinity') x;
	SELECT max(g.book_date) + 1 INTO nextday FROM ledger_router.global_day g;
	nextday := COALESCE(lo, nextday);
	IF opens IS NULL OR (nextday IS NOT NULL AND (opens <> nextday OR hi <> lo)) THEN
		RAISE EXCEPTION 'the open day of book "%" is not the day the router closes next', book
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = CASE WHEN hi <> lo THEN format('The registered books are open on days %s to %s.', lo, hi)
				              ELSE format('Book "%s" is open on %s; the other books are open on %s.', book,
				                          COALESCE(opens::text, 'no day'), nextday) END,
				HINT = CASE WHEN hi <> lo THEN 'Bring the registered books to one open day (CALL ledger_router.close_day()), then add the book.'
				            WHEN opens < nextday THEN format('Close the book''s days on its node (CALL ledger.close_day) until %s is open, then add it.', nextday)
				            ELSE format('Add the book once the other books are open on %s (after CALL ledger_router.close_day()), or open its books on %s.', opens, nextday) END;
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
	PERFORM FROM ledger_router._partition(i_book);   -- 23503 for a book not registered
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

-- every transfer's key and content, recorded before either half is posted:
-- a key names one transfer
CREATE TABLE ledger_router.transfer_key (
	idempotency_key text NOT NULL,
	from_book       text NOT NULL,
	from_account    text NOT NULL,
	to_book         text NOT NULL,
	to_account      text NOT NULL,
	amount          ledger.amount NOT NULL,
	summary         text NULL,
	created_at      timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT transfer_key_pkey PRIMARY KEY (idempotency_key)
);
COMMENT ON TABLE ledger_router.transfer_key IS 'the key of every transfer and what it moves (ledger_router.transfer records it before posting either half; another content under the key is 23505)';
COMMENT ON COLUMN ledger_router.transfer_key.idempotency_key IS 'the transfer''s key (its vouchers are keyed key:from, key:to and, when refused, key:cancel)';
COMMENT ON COLUMN ledger_router.transfer_key.from_book IS 'the book money leaves';
COMMENT ON COLUMN ledger_router.transfer_key.from_account IS 'the account money leaves';
COMMENT ON COLUMN ledger_router.transfer_key.to_book IS 'the book money reaches';
COMMENT ON COLUMN ledger_router.transfer_key.to_account IS 'the account money reaches';
COMMENT ON COLUMN ledger_router.transfer_key.amount IS 'the amount moved';
COMMENT ON COLUMN ledger_router.transfer_key.summary IS 'the summary given (NULL: the default one)';
COMMENT ON COLUMN ledger_router.transfer_key.created_at IS 'when the key was first used';

-- a transfer's key and content checked and recorded before anything is posted;
-- returns the clearing accounts of the two books
CREATE FUNCTION ledger_router._transfer_key(i_key text, i_from_book text, i_from_account text,
		i_to_book text, i_to_account text, i_amount ledger.amount, i_summary text)
	RETURNS TABLE(from_clearing text, to_clearing text)
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cur text := ledger.currency(i_amount);
	c record;
	n bigint;
BEGIN
	-- every key derived from it (key:from, key:to, key:cancel) must fit the books' unique index
	IF octet_length(i_key) > 2000 THEN
		RAISE EXCEPTION 'the idempotency key of a transfer is too long'
			USING ERRCODE = 'program_limit_exceeded',
				DETAIL = format('The key has %s bytes; a transfer''s key has at most 2000, so that the keys of its vouchers (key:from, key:to, key:cancel) fit the books'' unique index.', octet_length(i_key)),
				HINT = 'Use a shorter key (a hash of a long one, say).';
	END IF;
	from_clearing := ledger_router._clearing_account(i_from_book, i_to_book, cur);
	to_clearing := ledger_router._clearing_account(i_to_book, i_from_book, cur);
	-- a clearing account only carries the transfers' other legs
	SELECT x.book, x.account INTO c FROM ledger_router.clearing x
	 WHERE (x.book = i_from_book AND x.account = i_from_account) OR (x.book = i_to_book AND x.account = i_to_account)
	 ORDER BY x.book = i_to_book LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'transfer "%" names the clearing account "%" of book "%"', i_key, c.account, c.book
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('Account "%s" of book "%s" is an inter-book clearing account (ledger_router.clearing); a transfer posts its clearing legs itself.', c.account, c.book),
				HINT = 'Name the accounts money leaves and reaches (a wallet, a reserve); move money between clearing accounts with ledger_router.post.';
	END IF;
	INSERT INTO ledger_router.transfer_key (idempotency_key, from_book, from_account, to_book, to_account, amount, summary)
		VALUES (i_key, i_from_book, i_from_account, i_to_book, i_to_account, i_amount, i_summary)
		ON CONFLICT DO NOTHING;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n = 0 THEN
		SELECT * INTO c FROM ledger_router.transfer_key k WHERE k.idempotency_key = i_key;
		IF c.from_book IS DISTINCT FROM i_from_book OR c.from_account IS DISTINCT FROM i_from_account
		   OR c.to_book IS DISTINCT FROM i_to_book OR c.to_account IS DISTINCT FROM i_to_account
		   OR ledger.currency(c.amount) IS DISTINCT FROM cur OR ledger.minor_units(c.amount) IS DISTINCT FROM ledger.minor_units(i_amount)
		   OR c.summary IS DISTINCT FROM i_summary THEN
			RAISE EXCEPTION 'idempotency key "%" is already used by another transfer', i_key
				USING ERRCODE = 'unique_violation',
					DETAIL = format('Transfer "%s" moves %s from account "%s" of book "%s" to account "%s" of book "%s"%s; this call asks for %s from account "%s" of book "%s" to account "%s" of book "%s"%s. Nothing was posted.',
						i_key, c.amount, c.from_account, c.from_book, c.to_account, c.to_book,
						COALESCE(format(', summary "%s"', c.summary), ''),
						i_amount, i_from_account, i_from_book, i_to_account, i_to_book,
						COALESCE(format(', summary "%s"', i_summary), '')),
					HINT = 'A retry repeats the arguments of the first call; another transfer takes a new idempotency key.';
		END IF;
	END IF;
	RETURN NEXT;
END
$$;
COMMENT ON FUNCTION ledger_router._transfer_key(text, text, text, text, text, ledger.amount, text) IS
	'checks a transfer''s key (its length, its content if used before: 23505) and accounts (no clearing account: 22023), records the key, and returns the clearing accounts of the two books';

-- the first half, on the book money leaves: from_account's normal-side balance
-- goes down by the amount, the clearing account takes the other side.  Also
-- says whether the transfer was refused and this half reversed (the voucher
-- keyed i_cancel_key reverses it), and, without posting anything, whether
-- i_cancel_key is taken by a voucher that is not that reversal
CREATE FUNCTION ledger_router._transfer_from(i_book text, i_key text, i_account text, i_clearing text,
		i_amount ledger.amount, i_summary text, i_ref text, i_metadata jsonb, i_cancel_key text)
	RETURNS TABLE(voucher bigint, leg ledger.amount, cancelled_by bigint, cancel_key_taken bigint)
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(i_book);
	SELECT p.id AS voucher, p.leg AS leg,
	       (SELECT c.id FROM ledger.voucher c WHERE c.idempotency_key OPERATOR(pg_catalog.=) i_cancel_key
	           AND c.reverses OPERATOR(pg_catalog.=) p.id) AS cancelled_by,
	       p.taken AS cancel_key_taken
	  FROM (SELECT CASE WHEN x.taken IS NULL THEN
	                 ledger.post(i_key, ARRAY[i_account, i_clearing],
	                             ARRAY[i_amount OPERATOR(ledger.*) s.sign, i_amount OPERATOR(ledger.*) (0 OPERATOR(pg_catalog.-) s.sign)],
	                             i_summary, i_ref, i_metadata) END AS id,
	               i_amount OPERATOR(ledger.*) s.sign AS leg, x.taken
	          FROM (SELECT COALESCE((SELECT CASE ledger.normal_side(a.kind, a.metadata) WHEN 'debit' THEN -1 ELSE 1 END
	                                   FROM ledger.account a WHERE a.code OPERATOR(pg_catalog.=) i_account), 1) AS sign) s,
	               (SELECT (SELECT c.id FROM ledger.voucher c WHERE c.idempotency_key OPERATOR(pg_catalog.=) i_cancel_key
	                           AND (c.reverses IS NULL OR c.reverses IS DISTINCT FROM (SELECT f.id FROM ledger.voucher f
	                                                             WHERE f.idempotency_key OPERATOR(pg_catalog.=) i_key))) AS taken) x
	        OFFSET 0) p;
$$;
COMMENT ON FUNCTION ledger_router._transfer_from(text, text, text, text, ledger.amount, text, text, jsonb, text) IS
	'the first half of a transfer (idempotent on its key); also says whether the transfer was refused and this half reversed, or (posting nothing) that the key of the reversal is taken by another voucher';

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
	unrecorded text;
	cancel bigint;
	tries integer := 0;
BEGIN
	IF k IS NULL OR from_book IS NULL OR from_account IS NULL OR to_book IS NULL OR to_account IS NULL OR amount IS NULL THEN
		RAISE EXCEPTION 'the arguments of ledger_router.transfer() must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = format('Transfer "%s": idempotency_key, from_book, from_account, to_book, to_account and amount are all needed.', k);
	END IF;
	-- an empty or blank key is refused like a NULL one, as ledger.post does:
	-- its halves' keys (":from", ":to") are not blank, so the books would not
	-- refuse it, and every transfer that lacks a real key would share it
	IF pg_catalog.btrim(k, E' \t\n\r\f\v') OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'idempotency_key must not be %', CASE WHEN k OPERATOR(pg_catalog.=) '' THEN 'empty' ELSE 'blank' END
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = format('The transfer from book "%s" to book "%s" was given %s; an empty or blank key would be shared by every call that lacks a real one, and a second transfer with the same content would return the first instead of being written.',
					from_book, to_book, CASE WHEN k OPERATOR(pg_catalog.=) '' THEN 'an empty key'
						ELSE format('a key of %s white-space character%s', pg_catalog.length(k), CASE WHEN pg_catalog.length(k) OPERATOR(pg_catalog.=) 1 THEN '' ELSE 's' END) END),
				HINT = 'Use the caller''s own reference for the operation (an order number, a request id).';
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
	-- the key and its content recorded on the router before anything is posted
	-- (another content under the key is 23505; a second session with the key
	-- waits here until the first one's router transaction ends)
	SELECT x.from_clearing, x.to_clearing INTO from_clearing, to_clearing
	  FROM ledger_router._transfer_key(k, from_book, from_account, to_book, to_account, amount, summary) x;
	s := COALESCE(summary, format('transfer %s from book %s to book %s', k, from_book, to_book));
	meta := jsonb_build_object('transfer', k, 'from_book', from_book, 'from_account', from_account,
	                           'to_book', to_book, 'to_account', to_account);

	-- the day-end of all books (ledger_router.close_day) switches while no
	-- transfer runs: a session-level lock, held while this call runs and
	-- released when it returns or fails (a cancel too), never for the rest of
	-- the caller's transaction (the halves commit on their nodes by themselves).
	-- The ledger's own lock (pg_locks: advisory 76825, 1, objsubid 3), which
	-- pg_advisory_lock() cannot take: a role that can merely connect cannot
	-- hold it to stop the transfers or the day-end
	BEGIN
		PERFORM ledger._transfers_lock(false);

		-- 1. the half on the book the money leaves: posted once, whatever happens after
		SELECT * INTO f FROM ledger_router._transfer_from(from_book, k || ':from', from_account, from_clearing, amount,
			s, k, meta || '{"leg": "from"}', k || ':cancel');
		IF f.cancel_key_taken IS NOT NULL THEN
			RAISE EXCEPTION 'idempotency key "%" of book "%" is taken by another voucher', k || ':cancel', from_book
				USING ERRCODE = 'unique_violation',
					DETAIL = format('Voucher %s of book "%s" has the key a refused transfer "%s" would reverse its first half with, and it does not reverse that half. Nothing was posted.',
						f.cancel_key_taken, from_book, k),
					HINT = 'Use a new idempotency key for the transfer.';
		END IF;
		IF f.cancelled_by IS NOT NULL THEN
			SELECT * INTO v FROM ledger_router._voucher(to_book, k || ':to');
			RAISE EXCEPTION 'transfer "%" was refused by book "%"', k, to_book
				USING ERRCODE = CASE WHEN v.id IS NULL THEN 'object_not_in_prerequisite_state'
				                     WHEN v.metadata->>'leg' = 'refused' AND v.metadata->>'transfer' = k
				                     THEN COALESCE(v.metadata->>'sqlstate', 'object_not_in_prerequisite_state')
				                     ELSE 'unique_violation' END,
					DETAIL = format('Book "%s" refused the second half (%s); the first half, voucher %s of book "%s", was reversed by voucher %s.',
						to_book,
						CASE WHEN v.id IS NULL THEN 'the refusal could not be recorded there'
						     WHEN v.metadata->>'leg' = 'refused' AND v.metadata->>'transfer' = k THEN COALESCE(v.metadata->>'refused', 'refused')
						     ELSE format('its key "%s" is taken by voucher %s, which is not this transfer''s second half', k || ':to', v.id) END,
						f.voucher, from_book, f.cancelled_by),
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
				EXIT;
			EXCEPTION WHEN OTHERS THEN
				GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
			END;
			msg := regexp_replace(msg, '^[^ ]+ \[[^]]*\] REMOTE ERROR: ', '');
			unrecorded := NULL;
			IF st = '23505' THEN
				-- the key of the second half is taken: by this transfer's refusal, or by another voucher?
				SELECT * INTO v FROM ledger_router._voucher(to_book, k || ':to');
				IF v.id IS NULL THEN
					RAISE EXCEPTION '%', msg USING ERRCODE = st, DETAIL = COALESCE(det, ''),
						HINT = format('Transfer "%s": the first half is voucher %s of book "%s"; call ledger_router.transfer again with the same arguments to complete it.',
							k, f.voucher, from_book);
				ELSIF v.metadata->>'transfer' = k AND v.metadata->>'leg' = 'refused' THEN
					st := COALESCE(v.metadata->>'sqlstate', 'object_not_in_prerequisite_state');
					msg := v.metadata->>'refused';
				ELSIF v.metadata->>'transfer' = k AND v.metadata->>'leg' = 'to' AND v.metadata->>'from_book' = from_book
				      AND v.metadata->>'from_account' = from_account AND v.metadata->>'to_account' = to_account THEN
					-- this transfer's own second half (its lines written otherwise, the account's side changed since)
					from_voucher := f.voucher;
					to_voucher := v.id;
					EXIT;
				ELSIF v.metadata->>'transfer' = k AND v.metadata->>'leg' = 'to' AND v.metadata->>'from_book' = from_book
				      AND v.metadata->>'from_account' = from_account THEN
					-- the second half of the transfer made with this key to another
					-- account (its key record went with a router transaction that
					-- rolled back), whose first half this call replayed: both halves
					-- of that transfer stand, so nothing is reversed; this call is refused
					RAISE EXCEPTION 'transfer key "%" was used for another transfer', k
						USING ERRCODE = 'unique_violation',
							DETAIL = format('Voucher %s of book "%s" is the second half of transfer "%s" from account "%s" of book "%s" to account "%s"; this call names account "%s" to "%s".',
								v.id, to_book, k, v.metadata->>'from_account', v.metadata->>'from_book', v.metadata->>'to_account',
								from_account, to_account),
							HINT = 'Call ledger_router.transfer with the arguments of that transfer, or use a new idempotency key.';
				ELSE
					-- taken by another voucher for good: the transfer is refused
					msg := format('its key "%s" is taken by voucher %s, which is not this transfer''s second half', k || ':to', v.id);
				END IF;
			ELSIF (st LIKE '22%' OR st LIKE '23%' OR st IN ('42804', '55000')) AND tries = 1 THEN
				-- refused for good (an account missing, frozen or closed, a bound, a currency):
				-- take the key of the second half, unless the half itself got there first
				BEGIN
					PERFORM ledger_router._transfer_refuse(to_book, k || ':to', to_clearing, amount,
						format('transfer %s refused by book %s', k, to_book), k,
						meta || jsonb_build_object('leg', 'refused', 'refused', msg, 'sqlstate', st));
				EXCEPTION WHEN unique_violation THEN
					CONTINUE;
				WHEN OTHERS THEN
					-- the refusal cannot be written (the clearing account frozen or missing, say):
					-- the transfer is refused all the same, its first half reversed below
					GET STACKED DIAGNOSTICS unrecorded = MESSAGE_TEXT;
					unrecorded := regexp_replace(unrecorded, '^[^ ]+ \[[^]]*\] REMOTE ERROR: ', '');
				END;
			ELSE
				-- the node is down, the connection dropped, a deadlock...: a retry completes the transfer
				RAISE EXCEPTION '%', msg USING ERRCODE = st, DETAIL = COALESCE(det, ''),
					HINT = format('Transfer "%s": the first half is voucher %s of book "%s"; call ledger_router.transfer again with the same arguments to complete it.',
						k, f.voucher, from_book);
			END IF;
			-- 3. refused: the first half is reversed (once: the reversal has its own key)
			BEGIN
				cancel := ledger_router.reverse(from_book, f.voucher, k || ':cancel',
					format('transfer %s refused by book %s', k, to_book));
			EXCEPTION WHEN OTHERS THEN
				GET STACKED DIAGNOSTICS det = MESSAGE_TEXT;
				RAISE EXCEPTION 'transfer "%" was refused by book "%", and its first half could not be reversed', k, to_book
					USING ERRCODE = st,
						DETAIL = format('Book "%s" refused the second half (%s); reversing the first half, voucher %s of book "%s", failed: %s',
							to_book, msg, f.voucher, from_book, regexp_replace(det, '^[^ ]+ \[[^]]*\] REMOTE ERROR: ', '')),
						HINT = format('Transfer "%s": the first half is posted; call ledger_router.transfer again with the same arguments to reverse it.', k);
			END;
			RAISE EXCEPTION 'transfer "%" was refused by book "%"', k, to_book
				USING ERRCODE = st,
					DETAIL = format('Book "%s" refused the second half (%s); the first half, voucher %s of book "%s", was reversed by voucher %s.%s',
						to_book, msg, f.voucher, from_book, cancel,
						CASE WHEN unrecorded IS NOT NULL
						     THEN format(' The refusal could not be recorded on book "%s": %s.', to_book, unrecorded) ELSE '' END),
					HINT = 'A refused transfer stays refused: use a new idempotency key.';
		END LOOP;
	EXCEPTION WHEN query_canceled OR OTHERS THEN
		-- (a cancel while waiting for the lock leaves none to release)
		PERFORM ledger._transfers_unlock(false);
		RAISE;
	END;
	PERFORM ledger._transfers_unlock(false);
	RETURN NEXT;
END
$$;
COMMENT ON FUNCTION ledger_router.transfer(text, text, text, text, text, ledger.amount, text) IS
	'moves money between two books through their clearing accounts, as two vouchers keyed idempotency_key:from and :to; a retry completes the transfer or returns the same pair';

-- ===========================================================================
-- Reports over all books (each node's part runs in parallel: SPLIT by book)
-- ===========================================================================

CREATE FUNCTION ledger_router._all_books() RETURNS text[]
	LANGUAGE sql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	RETURN (SELECT COALESCE(array_agg(b.book ORDER BY b.partition), '{}') FROM ledger_router.book b);
COMMENT ON FUNCTION ledger_router._all_books() IS 'the registered books, in partition order';

CREATE FUNCTION ledger_router._trial_balance(i_books text[], i_from date, i_to date)
	RETURNS TABLE(book text, account_code text, account_name text, depth integer, currency text,
		opening_debit ledger.amount, opening_credit ledger.amount,
		period_debit ledger.amount, period_credit ledger.amount,
		closing_debit ledger.amount, closing_credit ledger.amount)
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	SPLIT i_books;
	RUN ON ledger_router._partition(i_books);
	SELECT b.b AS book, t.account_code, t.account_name, t.depth, t.currency, t.opening_debit, t.opening_credit,
	       t.period_debit, t.period_credit, t.closing_debit, t.closing_credit
	  FROM pg_catalog.unnest(i_books) AS b(b), ledger.trial_balance(i_from, i_to) AS t;
$$;
COMMENT ON FUNCTION ledger_router._trial_balance(text[], date, date) IS 'ledger.trial_balance of each book named, on its node';

CREATE FUNCTION ledger_router.trial_balance(from_date date, to_date date DEFAULT NULL)
	RETURNS TABLE(book text, account_code text, account_name text, depth integer, currency text,
		opening_debit ledger.amount, opening_credit ledger.amount,
		period_debit ledger.amount, period_credit ledger.amount,
		closing_debit ledger.amount, closing_credit ledger.amount)
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH t AS MATERIALIZED (
		SELECT * FROM ledger_router._trial_balance(ledger_router._all_books(), $1, $2)),
	-- every account over all books (books that share a chart of accounts, split by customer range, say):
	-- opening and closing netted per account, then on their sign's side
	acc AS (
		SELECT t.account_code, min(t.account_name) AS account_name, min(t.depth) AS depth, t.currency,
		       sum(ledger.minor_units(t.opening_debit) - ledger.minor_units(t.opening_credit)) AS o,
		       sum(ledger.minor_units(t.period_debit)) AS pd, sum(ledger.minor_units(t.period_credit)) AS pc,
		       sum(ledger.minor_units(t.closing_debit) - ledger.minor_units(t.closing_credit)) AS c
		  FROM t WHERE t.account_code IS NOT NULL
		 GROUP BY t.account_code, t.currency),
	rows AS (
		SELECT 0 AS part, t.* FROM t
		UNION ALL
		SELECT 1, NULL, acc.account_code, acc.account_name, acc.depth, acc.currency,
		       ledger.amount_of_units(GREATEST(acc.o, 0)::bigint, acc.currency),
		       ledger.amount_of_units(GREATEST(-acc.o, 0)::bigint, acc.currency),
		       ledger.amount_of_units(acc.pd::bigint, acc.currency),
		       ledger.amount_of_units(acc.pc::bigint, acc.currency),
		       ledger.amount_of_units(GREATEST(acc.c, 0)::bigint, acc.currency),
		       ledger.amount_of_units(GREATEST(-acc.c, 0)::bigint, acc.currency)
		  FROM acc
		UNION ALL
		-- one total row per currency over all books: the sum of the books' total rows
		SELECT 2, NULL, NULL, 'total', NULL, t.currency, ledger.sum(t.opening_debit), ledger.sum(t.opening_credit),
		       ledger.sum(t.period_debit), ledger.sum(t.period_credit), ledger.sum(t.closing_debit), ledger.sum(t.closing_credit)
		  FROM t WHERE t.account_code IS NULL
		 GROUP BY t.currency)
	SELECT r.book, r.account_code, r.account_name, r.depth, r.currency, r.opening_debit, r.opening_credit,
	       r.period_debit, r.period_credit, r.closing_debit, r.closing_credit
	  FROM rows r
	 ORDER BY r.part, r.book COLLATE "C", r.account_code IS NULL, r.account_code COLLATE "C", r.currency COLLATE "C"
$$;
COMMENT ON FUNCTION ledger_router.trial_balance(date, date) IS
	'the books'' trial balances (book set), every account over all books (book NULL), and one total row per currency over all books (book and account_code NULL)';

CREATE FUNCTION ledger_router._check_books(i_books text[], i_date date)
	RETURNS TABLE(book text, check_name text, currency text, ok boolean, detail text)
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	SPLIT i_books;
	RUN ON ledger_router._partition(i_books);
	SELECT b.b AS book, c.check_name, c.currency, c.ok, c.detail
	  FROM pg_catalog.unnest(i_books) AS b(b), ledger.check_books(i_date) AS c;
$$;
COMMENT ON FUNCTION ledger_router._check_books(text[], date) IS 'ledger.check_books of each book named, on its node';

-- signed (debit +) balances of accounts at the end of a book date
CREATE FUNCTION ledger_router._signed_balances(i_books text[], i_accounts text[], i_date date)
	RETURNS TABLE(book text, account text, balance ledger.amount)
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	SPLIT i_books, i_accounts;
	RUN ON ledger_router._partition(i_books);
	SELECT x.b AS book, x.a AS account,
	       ledger.balance(x.a, i_date) OPERATOR(ledger.*)
	         (CASE ledger.normal_side(c.kind, c.metadata) WHEN 'debit' THEN 1 ELSE -1 END) AS balance
	  FROM ROWS FROM (pg_catalog.unnest(i_books), pg_catalog.unnest(i_accounts)) AS x(b, a)
	  JOIN ledger.account c ON c.code OPERATOR(pg_catalog.=) x.a;
$$;
COMMENT ON FUNCTION ledger_router._signed_balances(text[], text[], date) IS 'balances (debit positive) of accounts of books at the end of a book date';

-- the legs of transfers on a clearing account on one day, and the days of the other halves
CREATE FUNCTION ledger_router._clearing_legs(i_book text, i_account text, i_date date)
	RETURNS TABLE(idempotency_key text, amount ledger.amount)
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(i_book);
	SELECT v.idempotency_key, e.amount
	  FROM ledger.entry e
	  JOIN ledger.account a ON a.id OPERATOR(pg_catalog.=) e.account_id
	  JOIN ledger.voucher v ON v.id OPERATOR(pg_catalog.=) e.voucher_id
	 WHERE a.code OPERATOR(pg_catalog.=) i_account AND e.book_date OPERATOR(pg_catalog.=) i_date
	   AND v.metadata OPERATOR(pg_catalog.->>) 'transfer' IS NOT NULL;
$$;
COMMENT ON FUNCTION ledger_router._clearing_legs(text, text, date) IS 'the entries of transfer vouchers on a clearing account on one book date';

CREATE FUNCTION ledger_router._key_dates(i_book text, i_keys text[])
	RETURNS TABLE(idempotency_key text, book_date date, refused boolean)
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(i_book);
	SELECT v.idempotency_key, v.book_date,
	       COALESCE(v.metadata OPERATOR(pg_catalog.->>) 'leg' OPERATOR(pg_catalog.=) 'refused', false) AS refused
	  FROM ledger.voucher v WHERE v.idempotency_key OPERATOR(pg_catalog.=) ANY (i_keys);
$$;
COMMENT ON FUNCTION ledger_router._key_dates(text, text[]) IS 'the book dates of the vouchers with these keys in a book';

-- the part of a pair's clearing net at the end of a day that is transfers in
-- transit over the cutoff: halves posted on the day whose other half (or
-- whose reversal, for a refused transfer) was posted on a later day
CREATE FUNCTION ledger_router._in_transit(a text, b text, cur text, d date) RETURNS bigint
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	x text;
	y text;
	acc text;
	total bigint := 0;
BEGIN
	FOREACH x IN ARRAY ARRAY[a, b] LOOP
		y := CASE WHEN x = a THEN b ELSE a END;
		acc := ledger_router._clearing_account(x, y, cur);
		CREATE TEMP TABLE IF NOT EXISTS pg_temp.ledger_router_legs (k text, base text, leg text, units bigint);
		TRUNCATE pg_temp.ledger_router_legs;
		INSERT INTO pg_temp.ledger_router_legs
			SELECT l.idempotency_key, regexp_replace(l.idempotency_key, ':[a-z]+$', ''),
			       substring(l.idempotency_key from ':([a-z]+)$'), ledger.minor_units(l.amount)
			  FROM ledger_router._clearing_legs(x, acc, d) l WHERE ledger.currency(l.amount) = cur;
		total := total + COALESCE((
			SELECT sum(l.units) FROM pg_temp.ledger_router_legs l
			 WHERE (l.leg = 'from' AND (
			         EXISTS (SELECT 1 FROM ledger_router._key_dates(y, (SELECT array_agg(m.base || ':to') FROM pg_temp.ledger_router_legs m WHERE m.leg = 'from')) o
			                  WHERE o.idempotency_key = l.base || ':to' AND o.book_date > d AND NOT o.refused)
			      OR EXISTS (SELECT 1 FROM ledger_router._key_dates(x, (SELECT array_agg(m.base || ':cancel') FROM pg_temp.ledger_router_legs m WHERE m.leg = 'from')) o
			                  WHERE o.idempotency_key = l.base || ':cancel' AND o.book_date > d)))
			    OR (l.leg = 'to' AND EXISTS (
			         SELECT 1 FROM ledger_router._key_dates(y, (SELECT array_agg(m.base || ':from') FROM pg_temp.ledger_router_legs m WHERE m.leg = 'to')) o
			          WHERE o.idempotency_key = l.base || ':from' AND o.book_date > d))), 0);
	END LOOP;
	RETURN total;
END
$$;
COMMENT ON FUNCTION ledger_router._in_transit(text, text, text, date) IS
	'what of the clearing net of two books at the end of a day is transfers in transit over the cutoff, settled on a later day (minor units)';

CREATE FUNCTION ledger_router._interbook_check(i_date date)
	RETURNS TABLE(book text, check_name text, currency text, ok boolean, detail text)
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH c AS MATERIALIZED (
		SELECT array_agg(c.book) AS books, array_agg(c.account) AS accounts FROM ledger_router.clearing c),
	bal AS MATERIALIZED (
		SELECT s.* FROM c, ledger_router._signed_balances(c.books, c.accounts, $1) s WHERE c.books IS NOT NULL),
	legs AS (
		SELECT LEAST(k.book, k.counterparty_book) AS a, GREATEST(k.book, k.counterparty_book) AS b,
		       ledger.currency(bal.balance) AS currency, k.book AS holder, k.account, bal.balance
		  FROM ledger_router.clearing k JOIN bal ON bal.book = k.book AND bal.account = k.account),
	pairs AS MATERIALIZED (
		SELECT l.a, l.b, l.currency, sum(ledger.minor_units(l.balance))::bigint AS net,
		       string_agg(format('%s of book %s %s', l.account, l.holder, l.balance), ', ' ORDER BY l.holder, l.account) AS what
		  FROM legs l GROUP BY l.a, l.b, l.currency),
	transit AS (
		SELECT p.*, CASE WHEN p.net <> 0 THEN ledger_router._in_transit(p.a, p.b, p.currency, $1) ELSE 0 END AS transit
		  FROM pairs p)
	SELECT NULL::text, 'interbook_clearing_nets_zero', t.currency, t.net = t.transit,
	       format('books %s and %s: %s; net %s', t.a, t.b, t.what, ledger.amount_of_units(t.net, t.currency)) ||
	       CASE WHEN t.transit <> 0 THEN format(', of which %s in transit over the cutoff (settled on a later day)',
	                                           ledger.amount_of_units(t.transit, t.currency)) ELSE '' END ||
	       CASE WHEN t.net <> t.transit THEN format('; %s not settled: a transfer is half done',
	                                               ledger.amount_of_units(t.net - t.transit, t.currency)) ELSE '' END
	  FROM transit t
$$;
COMMENT ON FUNCTION ledger_router._interbook_check(date) IS
	'interbook_clearing_nets_zero: for every pair of books and currency, their clearing accounts'' balances at the end of the date sum to zero, apart from transfers in transit over the cutoff and settled on a later day';

CREATE FUNCTION ledger_router.check_books(book_date date)
	RETURNS TABLE(book text, check_name text, currency text, ok boolean, detail text)
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT * FROM (
		SELECT * FROM ledger_router._check_books(ledger_router._all_books(), $1)
		UNION ALL
		SELECT * FROM ledger_router._interbook_check($1)) x
	 ORDER BY x.book COLLATE "C" NULLS LAST, x.check_name COLLATE "C", x.currency COLLATE "C" NULLS FIRST, x.detail
$$;
COMMENT ON FUNCTION ledger_router.check_books(date) IS
	'every book''s ledger.check_books (book set) and the global check interbook_clearing_nets_zero (book NULL)';

CREATE FUNCTION ledger_router._book_days(i_books text[], i_from date, i_to date)
	RETURNS TABLE(book text, book_date date, status text, digest bytea, open_date date)
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	SPLIT i_books;
	RUN ON ledger_router._partition(i_books);
	SELECT b.b AS book, d.book_date, d.status, d.digest,
	       (SELECT o.book_date FROM ledger.book_day o WHERE o.status OPERATOR(pg_catalog.=) 'open') AS open_date
	  FROM pg_catalog.unnest(i_books) AS b(b)
	  LEFT JOIN ledger.book_day d ON d.book_date OPERATOR(pg_catalog.>=) i_from AND d.book_date OPERATOR(pg_catalog.<=) i_to;
$$;
COMMENT ON FUNCTION ledger_router._book_days(text[], date, date) IS 'the book days of each book named in a period, and its open day';

CREATE FUNCTION ledger_router._verify_books(i_books text[], i_from date, i_to date)
	RETURNS TABLE(book text, book_date date, ok boolean, detail text)
	LANGUAGE plproxy
AS $$
	CLUSTER 'ledger_router';
	SPLIT i_books;
	RUN ON ledger_router._partition(i_books);
	SELECT b.b AS book, v.book_date, v.ok, v.detail
	  FROM pg_catalog.unnest(i_books) AS b(b), ledger.verify_books(i_from, i_to) AS v;
$$;
COMMENT ON FUNCTION ledger_router._verify_books(text[], date, date) IS 'ledger.verify_books of each book named, on its node';

-- ===========================================================================
-- Day-end of all books
-- ===========================================================================

CREATE TABLE ledger_router.global_day (
	book_date     date NOT NULL,
	status        text NOT NULL DEFAULT 'closing',
	books         text[] NOT NULL,
	started_at    timestamptz NOT NULL DEFAULT now(),
	closed_at     timestamptz NULL,
	failed_checks text[] NOT NULL DEFAULT '{}',
	digest        bytea NULL,
	CONSTRAINT global_day_pkey PRIMARY KEY (book_date),
	CONSTRAINT global_day_status_check CHECK (status IN ('closing', 'closed')),
	CONSTRAINT global_day_sealed_check CHECK ((status = 'closed') = (digest IS NOT NULL))
);
COMMENT ON TABLE ledger_router.global_day IS 'the day-end of all books (ledger_router.close_day): one row per book date';
COMMENT ON COLUMN ledger_router.global_day.book_date IS 'the book date closed on every book';
COMMENT ON COLUMN ledger_router.global_day.status IS 'closing (begun; a CALL of ledger_router.close_day finishes it) or closed';
COMMENT ON COLUMN ledger_router.global_day.books IS 'the books the day-end covers: those registered when it began';
COMMENT ON COLUMN ledger_router.global_day.started_at IS 'when the day-end began';
COMMENT ON COLUMN ledger_router.global_day.closed_at IS 'when the global digest was sealed';
COMMENT ON COLUMN ledger_router.global_day.failed_checks IS 'what kept the day closing at the last attempt: books whose day-end failed, global checks that failed';
COMMENT ON COLUMN ledger_router.global_day.digest IS 'global digest: SHA-256 over the previous global digest and every book''s digest of the day, in book order';

CREATE TABLE ledger_router.global_day_book (
	book_date date NOT NULL,
	book      text NOT NULL,
	digest    bytea NOT NULL,
	CONSTRAINT global_day_book_pkey PRIMARY KEY (book_date, book),
	CONSTRAINT global_day_book_book_date_fkey FOREIGN KEY (book_date) REFERENCES ledger_router.global_day (book_date)
);
COMMENT ON TABLE ledger_router.global_day_book IS 'the books'' digests sealed into each global digest';
COMMENT ON COLUMN ledger_router.global_day_book.book_date IS 'the book date';
COMMENT ON COLUMN ledger_router.global_day_book.book IS 'the book';
COMMENT ON COLUMN ledger_router.global_day_book.digest IS 'the book''s own digest of the day (ledger.book_day.digest on its node)';

CREATE FUNCTION ledger_router._global_digest(previous bytea, books text[], digests bytea[]) RETURNS bytea
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	RETURN sha256(COALESCE(previous, '\x'::bytea) || convert_to(
		(SELECT string_agg(x.b || ':' || encode(x.d, 'hex'), E'\n' ORDER BY x.b COLLATE "C")
		   FROM ROWS FROM (unnest(books), unnest(digests)) AS x(b, d)), 'UTF8'));
COMMENT ON FUNCTION ledger_router._global_digest(bytea, text[], bytea[]) IS
	'SHA-256 over the previous global digest and the lines "book:hex digest" of the books, in book order';

CREATE PROCEDURE ledger_router.close_day(book_date date DEFAULT NULL)
	LANGUAGE plpgsql
AS $$
DECLARE
	d date := close_day.book_date;
	books text[];
	b record;
	started text[] := '{}';
	switching text[] := '{}';
	failed text[] := '{}';
	conn text;
	err text;
	waited integer := 0;
	prev bytea;
	digests bytea[];
	global bytea;
	checks text[];
	last_closed date;
	limit_wait interval;
	old_timeout text;
	since timestamptz;
BEGIN
	-- like ledger.close_day, qualifies every function and operator
	IF d IS NOT NULL AND EXISTS (SELECT 1 FROM ledger_router.global_day g
	                              WHERE g.book_date OPERATOR(pg_catalog.=) d AND g.status OPERATOR(pg_catalog.=) 'closed') THEN
		RAISE EXCEPTION 'book day % is already closed on every book', d
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = 'A closed day never changes.';
	END IF;
	IF d IS NULL THEN
		-- a day-end left unfinished is finished first
		SELECT min(g.book_date) INTO d FROM ledger_router.global_day g WHERE g.status OPERATOR(pg_catalog.=) 'closing';
	END IF;
	IF d IS NULL THEN
		SELECT min(x.open_date) INTO d
		  FROM ledger_router._book_days(ledger_router._all_books(), 'infinity', 'infinity') x;
	END IF;
	IF d IS NULL THEN
		RAISE EXCEPTION 'no book is registered'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = 'ledger_router.close_day() closes the day of every book in ledger_router.books.';
	END IF;
	-- a day not begun yet must be a day of every book, after the last day closed on every book;
	-- nothing is recorded otherwise (a day recorded closing is finished by every later call)
	IF NOT EXISTS (SELECT 1 FROM ledger_router.global_day g WHERE g.book_date OPERATOR(pg_catalog.=) d) THEN
		SELECT pg_catalog.max(g.book_date) INTO last_closed FROM ledger_router.global_day g;
		IF d OPERATOR(pg_catalog.<=) last_closed THEN
			RAISE EXCEPTION 'book day % is not after the last day closed on every book, %', d, last_closed
				USING ERRCODE = CASE WHEN close_day.book_date IS NULL THEN 'object_not_in_prerequisite_state' ELSE 'invalid_parameter_value' END,
					DETAIL = pg_catalog.format('The global days are closed in order; %s.', (
						SELECT pg_catalog.string_agg(pg_catalog.format('book "%s" is open on %s', x.book, x.open_date), ', ' ORDER BY x.book)
						  FROM ledger_router._book_days(ledger_router._all_books(), 'infinity', 'infinity') x)),
					HINT = 'A book whose open day lags behind is closed on its node (CALL ledger.close_day) up to the others'' open day; CALL ledger_router.close_day() without a date closes the books'' open day.';
		END IF;
		SELECT pg_catalog.string_agg(pg_catalog.format('book "%s" is open on %s', x.book, COALESCE(x.open_date::text, 'no day')), ', ' ORDER BY x.book)
		  INTO err
		  FROM ledger_router._book_days(ledger_router._all_books(), d, d) x WHERE x.status IS NULL;
		IF err IS NOT NULL THEN
			RAISE EXCEPTION 'book day % is not a day of every book', d
				USING ERRCODE = CASE WHEN close_day.book_date IS NULL THEN 'object_not_in_prerequisite_state' ELSE 'invalid_parameter_value' END,
					DETAIL = pg_catalog.format('%s. Nothing was recorded.', err),
					HINT = CASE WHEN close_day.book_date IS NULL
					            THEN 'The books must share one open day: close a book that lags behind on its node (CALL ledger.close_day) up to the others'' open day.'
					            ELSE 'CALL ledger_router.close_day() without a date closes the books'' open day.' END;
		END IF;
	END IF;
	INSERT INTO ledger_router.global_day (book_date, books) VALUES (d, ledger_router._all_books())
		ON CONFLICT DO NOTHING;
	COMMIT;
	SELECT g.books INTO books FROM ledger_router.global_day g WHERE g.book_date OPERATOR(pg_catalog.=) d;
	RAISE NOTICE 'closing book day % on books %', d, pg_catalog.array_to_string(books, ', ');

	-- 1. every book not yet closed runs its own day-end, all at once; the books
	-- that are still open switch while no transfer runs, so that no transfer
	-- has one half on the day and the other on the next
	CREATE TEMP TABLE IF NOT EXISTS pg_temp.ledger_router_closing (book text, status text, connstr text);
	TRUNCATE pg_temp.ledger_router_closing;
	INSERT INTO pg_temp.ledger_router_closing
		SELECT x.book, x.status, k.connstr
		  FROM ledger_router._book_days(books, d, d) x JOIN ledger_router.book k ON k.book OPERATOR(pg_catalog.=) x.book;
	-- the lock must not stay behind: anything raised up to the unlock, a
	-- cancel too, releases it.  A transfer holds it (shared) while it runs;
	-- waiting for them is said every second, and lasts lock_timeout at most
	-- (1 min when it is not set)
	BEGIN
		limit_wait := COALESCE(NULLIF(pg_catalog.current_setting('lock_timeout'), '0')::interval, '1 min');
		old_timeout := pg_catalog.current_setting('lock_timeout');
		since := pg_catalog.clock_timestamp();
		LOOP
			BEGIN
				PERFORM pg_catalog.set_config('lock_timeout', '1s', true);
				PERFORM ledger._transfers_lock(true);
				PERFORM pg_catalog.set_config('lock_timeout', old_timeout, true);
				EXIT;
			EXCEPTION WHEN lock_not_available THEN
				SELECT pg_catalog.string_agg(l.pid::text, ', ' ORDER BY l.pid) INTO err FROM pg_catalog.pg_locks l
				 WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory' AND l.classid OPERATOR(pg_catalog.=) 76825
				   AND l.objid OPERATOR(pg_catalog.=) 1 AND l.objsubid OPERATOR(pg_catalog.=) 3 AND l.granted
				   AND l.database OPERATOR(pg_catalog.=) (SELECT x.oid FROM pg_catalog.pg_database x
				                                          WHERE x.datname OPERATOR(pg_catalog.=) pg_catalog.current_database());
				IF pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) since OPERATOR(pg_catalog.>=) limit_wait THEN
					RAISE EXCEPTION 'could not switch the books to the next day: transfers are running'
						USING ERRCODE = 'lock_not_available',
							DETAIL = pg_catalog.format('Sessions %s hold the transfers'' lock (advisory lock 76825, 1) after %s.',
								COALESCE(err, 'none now'), limit_wait),
							HINT = 'See what these sessions do (pg_stat_activity); CALL ledger_router.close_day() again once their transfers returned: it finishes the day.';
				END IF;
				RAISE NOTICE 'waiting for the transfers of sessions % (advisory lock 76825, 1)', COALESCE(err, 'none now');
			END;
		END LOOP;
		FOR b IN SELECT c.book, c.status, c.connstr FROM pg_temp.ledger_router_closing c ORDER BY c.book LOOP
			CONTINUE WHEN b.status OPERATOR(pg_catalog.=) 'closed';
			IF b.status IS NULL THEN
				failed := failed OPERATOR(pg_catalog.||) pg_catalog.format('book %s has no book day %s', b.book, d);
				CONTINUE;
			END IF;
			conn := 'ledger_router_close_' OPERATOR(pg_catalog.||) b.book;
			BEGIN
				IF conn OPERATOR(pg_catalog.=) ANY (public.dblink_get_connections()) THEN
					PERFORM public.dblink_disconnect(conn);
				END IF;
				PERFORM public.dblink_connect(conn, b.connstr);
				PERFORM public.dblink_send_query(conn, pg_catalog.format('CALL ledger.close_day(%L)', d));
				started := started OPERATOR(pg_catalog.||) b.book::text;
				IF b.status OPERATOR(pg_catalog.=) 'open' THEN
					switching := switching OPERATOR(pg_catalog.||) b.book::text;
				END IF;
			EXCEPTION WHEN OTHERS THEN
				GET STACKED DIAGNOSTICS err = MESSAGE_TEXT;
				failed := failed OPERATOR(pg_catalog.||) pg_catalog.format('book %s: %s', b.book, err);
			END;
		END LOOP;
		-- wait (10 s at most) until the books that were open have switched
		WHILE pg_catalog.cardinality(switching) OPERATOR(pg_catalog.>) 0 AND waited OPERATOR(pg_catalog.<) 1000 LOOP
			BEGIN
				SELECT COALESCE(pg_catalog.array_agg(x.book), '{}') INTO switching
				  FROM ledger_router._book_days(switching, d, d) x WHERE x.status OPERATOR(pg_catalog.=) 'open';
			EXCEPTION WHEN OTHERS THEN
				NULL;   -- a node down: its day-end fails below
			END;
			EXIT WHEN pg_catalog.cardinality(switching) OPERATOR(pg_catalog.=) 0;
			PERFORM pg_catalog.pg_sleep(0.01);
			waited := waited OPERATOR(pg_catalog.+) 1;
		END LOOP;
		PERFORM ledger._transfers_unlock(true);
	EXCEPTION WHEN query_canceled OR OTHERS THEN
		PERFORM ledger._transfers_unlock(true);
		RAISE;
	END;
	RAISE NOTICE 'books % switched to the next day', pg_catalog.array_to_string(started, ', ');
	FOREACH conn IN ARRAY started LOOP
		BEGIN
			PERFORM * FROM public.dblink_get_result('ledger_router_close_' OPERATOR(pg_catalog.||) conn) AS r(status text);
			PERFORM * FROM public.dblink_get_result('ledger_router_close_' OPERATOR(pg_catalog.||) conn) AS r(status text);
			RAISE NOTICE 'book % closed book day %', conn, d;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS err = MESSAGE_TEXT;
			failed := failed OPERATOR(pg_catalog.||) pg_catalog.format('book %s: %s', conn, err);
		END;
		BEGIN
			PERFORM public.dblink_disconnect('ledger_router_close_' OPERATOR(pg_catalog.||) conn);
		EXCEPTION WHEN OTHERS THEN
			NULL;
		END;
	END LOOP;
	IF pg_catalog.cardinality(failed) OPERATOR(pg_catalog.>) 0 THEN
		UPDATE ledger_router.global_day g SET failed_checks = failed WHERE g.book_date OPERATOR(pg_catalog.=) d;
		COMMIT;
		RAISE EXCEPTION 'book day % is not closed on every book', d
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = pg_catalog.array_to_string(failed, '; '),
				HINT = 'Once the cause is fixed (a node restarted, say), CALL ledger_router.close_day() again: it finishes the day.';
	END IF;

	-- 2. the global checks on the day's closing balances
	SELECT COALESCE(pg_catalog.array_agg(c.check_name OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) c.currency
	                OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||) c.detail), '{}') INTO checks
	  FROM ledger_router._interbook_check(d) c WHERE NOT c.ok;
	IF pg_catalog.cardinality(checks) OPERATOR(pg_catalog.>) 0 THEN
		UPDATE ledger_router.global_day g SET failed_checks = checks WHERE g.book_date OPERATOR(pg_catalog.=) d;
		COMMIT;
		RAISE EXCEPTION 'global checks of book day % failed', d
			USING ERRCODE = 'check_violation',
				DETAIL = pg_catalog.array_to_string(checks, '; '),
				HINT = 'A transfer left half done is completed by calling ledger_router.transfer again with its key; then CALL ledger_router.close_day() again.';
	END IF;

	-- 3. seal: the global digest over the books' digests, chained with the previous global day
	SELECT g.digest INTO prev FROM ledger_router.global_day g
	 WHERE g.book_date OPERATOR(pg_catalog.<) d AND g.status OPERATOR(pg_catalog.=) 'closed'
	 ORDER BY g.book_date DESC LIMIT 1;
	DELETE FROM ledger_router.global_day_book x WHERE x.book_date OPERATOR(pg_catalog.=) d;
	INSERT INTO ledger_router.global_day_book (book_date, book, digest)
		SELECT d, x.book, x.digest FROM ledger_router._book_days(books, d, d) x;
	SELECT pg_catalog.array_agg(x.digest ORDER BY x.book) INTO digests
	  FROM ledger_router.global_day_book x WHERE x.book_date OPERATOR(pg_catalog.=) d;
	global := ledger_router._global_digest(prev,
		(SELECT pg_catalog.array_agg(x.book ORDER BY x.book) FROM ledger_router.global_day_book x WHERE x.book_date OPERATOR(pg_catalog.=) d),
		digests);
	UPDATE ledger_router.global_day g SET status = 'closed', closed_at = pg_catalog.now(), failed_checks = '{}', digest = global
	 WHERE g.book_date OPERATOR(pg_catalog.=) d;
	COMMIT;
	RAISE NOTICE 'book day % closed on every book; global digest %', d, pg_catalog.encode(global, 'hex');
END
$$;
COMMENT ON PROCEDURE ledger_router.close_day(date) IS
	'closes the day on every book (each book''s own ledger.close_day, switched together), runs the global checks and seals a global digest chained over the books'' digests; restartable';

CREATE FUNCTION ledger_router.verify_books(from_date date, to_date date)
	RETURNS TABLE(book text, book_date date, ok boolean, detail text)
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH nodes AS MATERIALIZED (
		SELECT x.book, x.book_date, x.digest FROM ledger_router._book_days(ledger_router._all_books(), $1, $2) x),
	sealed AS (
		SELECT x.book_date, x.book, x.digest AS sealed, n.digest AS now
		  FROM ledger_router.global_day_book x LEFT JOIN nodes n ON n.book = x.book AND n.book_date = x.book_date
		 WHERE x.book_date BETWEEN $1 AND $2)
	SELECT * FROM (
		SELECT * FROM ledger_router._verify_books(ledger_router._all_books(), $1, $2)
		UNION ALL
		-- each global digest, recomputed from the books' digests as their nodes hold them now
		SELECT NULL, g.book_date,
		       g.digest = ledger_router._global_digest(
		           (SELECT p.digest FROM ledger_router.global_day p WHERE p.book_date < g.book_date AND p.status = 'closed'
		             ORDER BY p.book_date DESC LIMIT 1),
		           (SELECT array_agg(s.book ORDER BY s.book) FROM sealed s WHERE s.book_date = g.book_date),
		           (SELECT array_agg(s.now ORDER BY s.book) FROM sealed s WHERE s.book_date = g.book_date))
		       IS TRUE,
		       COALESCE('global digest: the digest of ' ||
		                (SELECT string_agg('book ' || s.book, ', ' ORDER BY s.book) FROM sealed s
		                  WHERE s.book_date = g.book_date AND s.now IS DISTINCT FROM s.sealed) ||
		                ' differs from the one sealed',
		                'global digest over ' || cardinality(g.books) || ' books')
		  FROM ledger_router.global_day g
		 WHERE g.status = 'closed' AND g.book_date BETWEEN $1 AND $2) x
	 ORDER BY x.book COLLATE "C" NULLS LAST, x.book_date
$$;
COMMENT ON FUNCTION ledger_router.verify_books(date, date) IS
	'every book''s ledger.verify_books (book set) and every global digest of the period recomputed from the books'' digests (book NULL)';

-- pg_dump keeps the registry, the clearing accounts, the transfers' keys and the global days
SELECT pg_catalog.pg_extension_config_dump('ledger_router.book', '');
SELECT pg_catalog.pg_extension_config_dump('ledger_router.cluster_option', '');
SELECT pg_catalog.pg_extension_config_dump('ledger_router.clearing', '');
SELECT pg_catalog.pg_extension_config_dump('ledger_router.transfer_key', '');
SELECT pg_catalog.pg_extension_config_dump('ledger_router.global_day', '');
SELECT pg_catalog.pg_extension_config_dump('ledger_router.global_day_book', '');

-- ===========================================================================
-- Privileges: PUBLIC gets nothing; the README grants the roles their sets
-- ===========================================================================

REVOKE ALL ON ALL TABLES IN SCHEMA ledger_router FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA ledger_router FROM PUBLIC;
REVOKE EXECUTE ON ALL ROUTINES IN SCHEMA ledger_router FROM PUBLIC;
REVOKE USAGE ON FOREIGN SERVER ledger_router FROM PUBLIC;
