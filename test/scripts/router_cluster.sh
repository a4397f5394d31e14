#!/usr/bin/env bash
# ledger_router: PL/Proxy's cluster configuration is the SQL/MED server
# ledger_router, written by the book registry.  A routed call runs no function
# on the router but the routed one (no configuration query, no lookup function
# of its own: the RUN ON lookup is inlined); a change of the registry reaches a
# session that has routed before on its next call; the cluster options are
# written and a bad one is refused (23514); a deleted book leaves its
# partition number to a placeholder and the other books route as before.
#
#   ROUTER_PORT   router.sh's router port; this script takes the router port + 5
#                 and the next two (default 54355)
source "$(dirname "$0")/lib.bash"
source "$TOP/tools/pgenv.sh"
source "$TOP/tools/router_env.sh"
PORT=$(( ${ROUTER_PORT:-54350} + 5 ))

router_clusters_start router-cluster "$PORT" 2 || fail "could not start the clusters"
cleanup() {
	router_clusters_stop router-cluster 2
	rm -rf "$LEDGER_TMP"/router-cluster-router "$LEDGER_TMP"/router-cluster-node1 "$LEDGER_TMP"/router-cluster-node2
}
[ "${KEEP:-0}" = 1 ] || trap cleanup EXIT
export PGOPTIONS="-c client_min_messages=warning"

# node 1 holds book_a, node 2 book_b and book_b2 (where book b moves)
for db in 1:book_a 2:book_b 2:book_b2; do
	( router_node_env "${db%%:*}"; newdb "${db#*:}"
	  q "${db#*:}" -c "SELECT ledger.open_books('2026-11-02')" \
		-c "INSERT INTO ledger.account (code, name, kind, currency) VALUES ('1002', 'bank', 'asset', 'CNY'), ('2241', 'wallet', 'liability', 'CNY')" \
		>/dev/null ) || fail "setup of ${db#*:} failed"
done
router_env
newdb router
q router >/dev/null <<SQL || fail "setup of the router failed"
CREATE EXTENSION ledger_router CASCADE;
SELECT ledger_router.add_book('a', '$(router_connstr 1 book_a)');
SELECT ledger_router.add_book('b', '$(router_connstr 2 book_b)');
SQL

expect router "SELECT count(*) FROM pg_foreign_server s, unnest(s.srvoptions) o
                WHERE s.srvname = 'ledger_router'
                  AND o IN ('modular_mapping=1', 'connection_lifetime=1800', 'p0=$(router_connstr 1 book_a)', 'p1=$(router_connstr 2 book_b)')
                HAVING count(*) = cardinality((SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'ledger_router'))" 4 \
	"the server ledger_router holds one partition per book, modular_mapping and connection_lifetime"

# one session: ten routed posts in a transaction, then the functions it called
got=$(q router -c "SET track_functions = 'all'" -c "BEGIN" \
	-c "SELECT count(ledger_router.post('a', 'k' || i, ARRAY['1002', '2241'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])) FROM generate_series(1, 10) i" \
	-c "SELECT string_agg(funcname || ':' || calls, ' ' ORDER BY funcname) FROM pg_stat_xact_user_functions" -c "COMMIT" 2>&1)
[ "$got" = "$(printf '10\npost:10')" ] || fail "routed posts called other functions on the router: $got"
note "ok: a routed call runs no function on the router but the routed one (no configuration query, the RUN ON lookup inlined)"

# one session routes to b, the registry moves b to another database, the same session follows
got=$(q router -c "SELECT database FROM ledger_router._node_info('b')" \
	-c "UPDATE ledger_router.book SET connstr = '$(router_connstr 2 book_b2)' WHERE book = 'b'" \
	-c "SELECT database FROM ledger_router._node_info('b')" 2>&1)
[ "$got" = "$(printf 'book_b\nbook_b2')" ] || fail "a session did not follow a book moved: $got"
note "ok: a book moved (UPDATE connstr) is reached at its new node by a session that routed before"
( router_node_env 2; expect book_b2 "SELECT count(*) FROM ledger.voucher" 0 "(book_b2 holds no voucher yet)" )
expect router "SELECT ledger_router.post('b', 'm1', ARRAY['1002', '2241'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]) > 0" t \
	"a routed post reaches the book's new node"
( router_node_env 2; expect book_b2 "SELECT count(*) FROM ledger.voucher WHERE idempotency_key = 'm1'" 1 "the post is on the new node" )

# one database holds one book: another spelling of a registered book's connection string is refused
got=$(q router -v VERBOSITY=verbose -c "SELECT ledger_router.add_book('a2', '$(router_connstr 1 book_a) ')" 2>&1)
[[ $got == *'23505'*'the node database of book "a2" already holds book "a"'* ]] || fail "a second book on one database: $got"
got=$(q router -v VERBOSITY=verbose -c "UPDATE ledger_router.book SET connstr = 'dbname=book_b2 $(router_connstr 2 book_b2 | sed 's/ dbname=book_b2//')' WHERE book = 'a'" 2>&1)
[[ $got == *'23505'*'the node database of book "a" already holds book "b"'* ]] || fail "a book moved onto another book's database: $got"
expect router "SELECT string_agg(book || ' ' || connstr, ', ' ORDER BY book) FROM ledger_router.books" \
	"a $(router_connstr 1 book_a), b $(router_connstr 2 book_b2)" "a second book on one database is refused (23505), by add_book and by UPDATE connstr"
# a connection string must not choose the role the nodes are reached as
for cs in "$(router_connstr 2 book_b) user=postgres" "$(router_connstr 2 book_b) options='-c role=postgres'" \
	"postgresql://postgres@localhost/book_b" "dbname='$(router_connstr 2 book_b) user=postgres'" \
	"dbname=postgresql://postgres@localhost/book_b" "postgresql://localhost/book_b?us%65r=postgres" \
	"dbname='host=localhost dbname=book_b'"; do
	got=$(q router -v VERBOSITY=verbose -c "SELECT ledger_router.add_book('x', \$\$$cs\$\$)" 2>&1)
	[[ $got == *'22023'*'the connection string of book "x" must not set user or options'* ]] || fail "add_book with $cs: $got"
done
got=$(q router -v VERBOSITY=verbose -c "UPDATE ledger_router.book SET connstr = connstr || ' user=postgres' WHERE book = 'a'" 2>&1)
[[ $got == *'22023'*'the connection string of book "a" must not set user or options'* ]] || fail "UPDATE connstr with user: $got"
expect router "SELECT count(*) FROM ledger_router.books WHERE connstr ~ 'user|options'" 0 \
	"a connection string that sets user or options is refused (22023), by add_book and by UPDATE connstr"
# a book must be open on the other books' open day
( router_node_env 1; newdb book_c; q book_c -c "SELECT ledger.open_books('2026-11-09')" >/dev/null )
got=$(q router -v VERBOSITY=verbose -c "SELECT ledger_router.add_book('c', '$(router_connstr 1 book_c)')" 2>&1)
[[ $got == *'55000'*'the open day of book "c" is not the day the router closes next'*'HINT:  Add the book once the other books are open on 2026-11-09'* ]] ||
	fail "a book open ahead of the others: $got"
note "ok: a book open ahead of the other books is refused (55000)"

# cluster options
q router -c "INSERT INTO ledger_router.cluster_option VALUES ('query_timeout', '60'), ('connection_lifetime', '600')" >/dev/null ||
	fail "cluster options refused"
expect router "SELECT count(*) FROM pg_foreign_server s, unnest(s.srvoptions) o
                WHERE s.srvname = 'ledger_router' AND o IN ('query_timeout=60', 'connection_lifetime=600')" 2 \
	"cluster options are written into the server"
got=$(q router -v VERBOSITY=verbose -c "INSERT INTO ledger_router.cluster_option VALUES ('no_such_option', '1')" 2>&1)
[[ $got == *'23514'*'cluster_option_key_check'* ]] || fail "an unknown cluster option: $got"
got=$(q router -v VERBOSITY=verbose -c "INSERT INTO ledger_router.cluster_option VALUES ('query_timeout', 'soon')" 2>&1)
[[ $got == *'23514'*'cluster_option_val_check'* ]] || fail "a cluster option that is not a number: $got"
got=$(q router -v VERBOSITY=verbose -c "INSERT INTO ledger_router.cluster_option VALUES ('default_user', 'postgres')" 2>&1)
[[ $got == *'23514'*'cluster_option_key_check'* ]] || fail "default_user as a cluster option: $got"
note "ok: an unknown option, a value that is not a number and default_user are refused (23514)"
q router -c "DELETE FROM ledger_router.cluster_option" >/dev/null || fail "delete of the cluster options failed"
expect router "SELECT count(*) FROM pg_foreign_server s, unnest(s.srvoptions) o
                WHERE s.srvname = 'ledger_router' AND (o LIKE 'query_timeout=%' OR o = 'connection_lifetime=1800')" 1 \
	"options deleted go, connection_lifetime is 1800 again"

# a deleted book: its partition number holds a placeholder, the others route as before
q router -c "DELETE FROM ledger_router.book WHERE book = 'a'" >/dev/null || fail "delete of book a failed"
expect router "SELECT o FROM pg_foreign_server s, unnest(s.srvoptions) o WHERE s.srvname = 'ledger_router' AND o LIKE 'p0=%'" \
	"p0=dbname=ledger_router_no_book" "a deleted book's partition holds the placeholder"
expect router "SELECT ledger_router.post('b', 'm2', ARRAY['1002', '2241'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]) > 0" t \
	"the other books route as before"
got=$(q router -c "\\set VERBOSITY sqlstate" -c "SELECT ledger_router.balance('a', '1002')" 2>&1)
[ "$got" = "ERROR:  23503" ] || fail "a deleted book: $got"
note "ok: a deleted book is not registered (23503)"

# the day-end waits for running transfers (here a session holding their lock), says for whom, and gives up after lock_timeout
( q router -c "SELECT ledger._transfers_lock(false)" -c "SELECT pg_sleep(4) AS holding_transfers" >/dev/null 2>&1 ) &
holder=$!
for i in $(seq 1 50); do
	[ "$(q router -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 76825")" = 1 ] && break
	sleep 0.1
done
holder_pid=$(q router -c "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = 76825")
got=$(q router -v VERBOSITY=verbose -c "SET client_min_messages = notice" -c "SET lock_timeout = '2s'" -c "CALL ledger_router.close_day()" 2>&1)
[[ $got == *"waiting for the transfers of sessions $holder_pid"*'55P03'*"Sessions $holder_pid hold the transfers' lock"* ]] ||
	fail "close_day behind a session holding the transfers' lock: $got"
( router_node_env 2; expect book_b2 "SELECT status FROM ledger.book_day WHERE book_date = '2026-11-02'" open "close_day names the sessions it waits for and gives up after lock_timeout (55P03), no book switched" )
wait "$holder"
# a role that may only connect cannot hold the transfers' lock: pg_advisory_lock(76825, 1) is
# another lock, and the ledger's function refuses it (42501); transfers and the day-end go on
# (USAGE on the schema, so that it reaches the function and meets its own check)
q router -c "DROP ROLE IF EXISTS router_squatter" -c "CREATE ROLE router_squatter LOGIN" \
	-c "GRANT USAGE ON SCHEMA ledger TO router_squatter" >/dev/null || fail "creating the squatter"
( psql -X -q -At -U router_squatter -d router -c "SELECT pg_advisory_lock(76825, 1), pg_advisory_lock_shared(76825, 1)" \
	-c "SELECT pg_sleep(6) AS squatting" >/dev/null 2>&1 ) &
squatter=$!
for i in $(seq 1 50); do
	[ "$(q router -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 76825 AND objsubid = 2")" = 2 ] && break
	sleep 0.1
done
for mode in true false; do
	got=$(psql -X -q -At -U router_squatter -d router -c "SELECT ledger._transfers_lock($mode)" 2>&1)
	want="permission denied for function transfer"
	[ "$mode" = true ] && want="permission denied for procedure close_day"
	[[ $got == *"$want"* ]] || fail "the squatter took the transfers' lock ($mode): $got"
done
for mode in false true; do
	got=$(q router -c "SET lock_timeout = '3s'" -c "SELECT ledger._transfers_lock($mode)" -c "SELECT ledger._transfers_unlock($mode)" 2>&1)
	[ "$(printf '%s' "$got" | tail -1)" = "1" ] || fail "a transfer's / the day-end's side of the transfers' lock ($mode) behind the squatter: $got"
done
note "ok: a role that may only connect cannot take the transfers' lock (42501) nor hold it up with pg_advisory_lock"
wait "$squatter"
q router -c "REVOKE USAGE ON SCHEMA ledger FROM router_squatter" -c "DROP ROLE router_squatter" >/dev/null || fail "dropping the squatter"
# a day-end cancelled while it holds the transfers' lock (book b held up at its switch) releases it
( router_node_env 2; q book_b2 -c "BEGIN" -c "LOCK TABLE ledger.book_day IN SHARE ROW EXCLUSIVE MODE" -c "SELECT pg_sleep(4)" >/dev/null 2>&1 ) &
holder=$!
sleep 0.5
got=$(psql -X -q -At -d router -c "SET statement_timeout = '1s'" -c "CALL ledger_router.close_day()" -c "RESET statement_timeout" \
	-c "SELECT 'locks held: ' || count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()" 2>&1)
[[ $got == *'canceling statement due to statement timeout'*'locks held: 0'* ]] || fail "a close_day cancelled: $got"
note "ok: a close_day cancelled while books switch releases the transfers' lock"
wait "$holder"
