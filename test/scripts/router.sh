#!/usr/bin/env bash
# More than one machine (ledger_router): a router cluster and two node
# clusters of their own (tmp_check/router-*), three books (a and c on node 1,
# b on node 2).  Clients move money between the books with
# ledger_router.transfer under load; node 2 is killed with SIGKILL in the
# middle and restarted, and every client retries until its transfer is done.
# Afterwards: every key is one pair of vouchers (or one refusal that moved
# nothing), every wallet holds what the clients moved, no money was created or
# lost in any currency, every book's check_books and verify_books pass and so
# do the global checks; the day-end of all books is interrupted by a node
# killed in the middle and finished by another CALL; the consolidated trial
# balance is the sum of the books' and agrees with hledger over the union of
# the books' journals.
#
#   ROUTER_PORT      the router's port; the nodes take the next ones (default 54350)
#   ROUTER_CLIENTS   transferring sessions (default 4)
#   ROUTER_TRANSFERS transfers per session (default 80)
#   ROUTER_KILLS     nodes killed during the load, node 2 first, then node 1, ... (default 1)
source "$(dirname "$0")/lib.bash"
source "$TOP/tools/pgenv.sh"
source "$TOP/tools/router_env.sh"
PORT=${ROUTER_PORT:-54350}
CLIENTS=${ROUTER_CLIENTS:-4}
TRANSFERS=${ROUTER_TRANSFERS:-80}
KILLS=${ROUTER_KILLS:-1}
R=router

router_clusters_start router "$PORT" 2 || fail "could not start the clusters"
cleanup() {
	router_clusters_stop router 2
	rm -rf "$LEDGER_TMP"/router-router "$LEDGER_TMP"/router-node1 "$LEDGER_TMP"/router-node2
}
[ "${KEEP:-0}" = 1 ] || trap cleanup EXIT

# book BOOK : the node of a book and a psql on its database
node_of() { case $1 in a|c) echo 1 ;; b) echo 2 ;; esac; }
nq() { local b=$1; shift; ( router_node_env "$(node_of "$b")"; q "book_$b" "$@" ); }
rq() { ( router_env; q $R "$@" ); }
rexpect() { ( router_env; expect "$@" ) || exit 1; }
expect_node() { local b=$1; shift; ( router_node_env "$(node_of "$b")"; expect "book_$b" "$@" ) || exit 1; }
# (PL/Proxy tells of the connection it drops after a node's error with a NOTICE)
export PGOPTIONS="-c client_min_messages=warning"

# --- the books: one chart of accounts, wallets with a floor, clearing accounts for each other book
for b in a b c; do
	( router_node_env "$(node_of $b)"; newdb "book_$b" )
	nq $b -c "SELECT ledger.open_books('2026-11-02')" >/dev/null
	others=$(echo a b c | tr ' ' '\n' | grep -v "^$b$")
	nq $b >/dev/null <<SQL || fail "setup of book $b failed"
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('1002', 'bank deposits', 'asset', NULL), ('1221', 'inter-book clearing', 'common', NULL), ('2241', 'wallets', 'liability', NULL);
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES
	('1002.01', 'CNY bank', 'asset', 'CNY', '1002'), ('1002.02', 'USD bank', 'asset', 'USD', '1002');
INSERT INTO ledger.account (code, name, kind, currency, parent_code, floor)
	SELECT '2241.' || c || i, 'wallet ' || c || i, 'liability', c, '2241', ledger.zero(c)
	  FROM unnest(ARRAY['CNY', 'USD']) c, generate_series(1, 5) i;
INSERT INTO ledger.account (code, name, kind, currency, parent_code, hot)
	SELECT '1221.' || o || '.' || c, 'clearing with book ' || o || ' ' || c, 'common', c, '1221', true
	  FROM unnest(string_to_array('$(echo $others)', ' ')) o, unnest(ARRAY['CNY', 'USD']) c;
SELECT ledger.post('fund', array_agg(code ORDER BY code) || ARRAY['1002.01', '1002.02'],
                   array_agg(ledger.amount(-100, currency) ORDER BY code) || ARRAY['500 CNY', '500 USD']::ledger.amount[])
  FROM ledger.account WHERE code LIKE '2241.%';
SQL
done

router_env
psql -X -q -d postgres -c "CREATE DATABASE $R" >/dev/null || fail "could not create the router database"
rq -c "SET client_min_messages = warning" -c "CREATE EXTENSION ledger_router CASCADE" >/dev/null || fail "CREATE EXTENSION ledger_router failed"
for b in a b c; do
	rq -c "SELECT ledger_router.add_book('$b', '$(router_connstr "$(node_of $b)" "book_$b")')" >/dev/null || fail "add_book $b failed"
done
rq -c "INSERT INTO ledger_router.clearing (book, counterparty_book, account, currency)
        SELECT x.book, y.book, '1221.' || y.book || '.' || c, c
          FROM ledger_router.books x, ledger_router.books y, unnest(ARRAY['CNY', 'USD']) c WHERE x.book <> y.book" >/dev/null
rexpect $R "SELECT string_agg(book || '@' || partition, ' ' ORDER BY book) FROM ledger_router.books" "a@0 b@1 c@2" "three books registered"
rexpect $R "SELECT ledger_router.add_book('a', (SELECT connstr FROM ledger_router.books WHERE book = 'a'))::text" "" "add_book again with the same node is a no-op"

# --- routed functions
rexpect $R "SELECT ledger_router.post('a', 'p-1', ARRAY['1002.01', '2241.CNY1'], ARRAY['5 CNY', '-5 CNY']::ledger.amount[])
            = (SELECT ledger_router.post('a', 'p-1', ARRAY['1002.01', '2241.CNY1'], ARRAY['5.00 CNY', '-5 CNY']))" t \
	"routed post (amount[] and text[]) is idempotent on the node"
rexpect $R "SELECT ledger_router.balance('a', '2241.CNY1')" "105.00 CNY" "routed balance"
rexpect $R "SELECT ledger_router.reverse('a', ledger_router.post('a', 'p-1', ARRAY['1002.01', '2241.CNY1'], ARRAY['5 CNY', '-5 CNY']), 'p-1r')
             IS NOT NULL AND ledger_router.balance('a', '2241.CNY1')::text = '100.00 CNY'" t "routed reverse"
got=$(rq -c "SELECT ledger_router.post('zz', 'p-2', ARRAY['x', 'y'], ARRAY['1 CNY', '-1 CNY'])" 2>&1)
[[ $got == *'book "zz" is not registered'* ]] || fail "an unknown book: $got"
note "ok: an unknown book is refused (23503)"
got=$(rq -c "\\set VERBOSITY sqlstate" -c "SELECT ledger_router.post('b', 'p-3', ARRAY['1002.01', '2241.CNY1'], ARRAY['1 CNY', '-2 CNY'])" 2>&1)
[ "$got" = "ERROR:  23514" ] || fail "a node's error keeps its SQLSTATE: $got"
note "ok: a node's error reaches the caller with its SQLSTATE"
if [ "$(nq a -c "SELECT to_regprocedure('ledger.hold(text, text[], ledger.amount[], text, text, timestamptz, jsonb)') IS NOT NULL")" = t ]; then
	rexpect $R "SELECT ledger_router.post_hold('a', ledger_router.hold('a', 'h-1', ARRAY['2241.CNY2', '1002.01'], ARRAY['3 CNY', '-3 CNY']), 'h-1p') > 0
	             AND ledger_router.balance('a', '2241.CNY2')::text = '97.00 CNY'" t "routed hold and post_hold"
	rexpect $R "SELECT ledger_router.void_hold('a', ledger_router.hold('a', 'h-2', ARRAY['2241.CNY2', '1002.01'], ARRAY['3 CNY', '-3 CNY']))::text || ledger_router.available('a', '2241.CNY2')" \
		"97.00 CNY" "routed hold, void_hold and available"
	# the amounts as drivers send them: text[] (JDBC, psycopg2) and untyped literals (node-postgres)
	rexpect $R "SELECT ledger_router.post_hold('a', ledger_router.hold('a', 'h-4', ARRAY['2241.CNY2', '1002.01'], '{3 CNY,-3 CNY}'), 'h-4p', ARRAY['1 CNY', '-1 CNY']) > 0
	             AND ledger_router.post_hold('a', ledger_router.hold('a', 'h-5', '{2241.CNY2,1002.01}', '{3 CNY,-3 CNY}'), 'h-5p', '{1 CNY,-1 CNY}') > 0
	             AND ledger_router.balance('a', '2241.CNY2')::text = '95.00 CNY'" t \
		"routed hold and post_hold in part with the amounts as text[] and as untyped literals"
	rexpect $R "SELECT ledger_router.post('a', 'h-n', '{1002.01,2241.CNY2}', '{2 CNY,-2 CNY}')
	             = ledger_router.post('a', 'h-n', ARRAY['1002.01', '2241.CNY2'], ARRAY['2 CNY', '-2 CNY'])
	             AND ledger_router.balance('a', '2241.CNY2')::text = '97.00 CNY'" t \
		"routed post with untyped literals (node-postgres), replayed as text[]"
	nq a -c "SELECT ledger.post('h-3', ARRAY['1002.01', '2241.CNY2'], ARRAY['3 CNY', '-3 CNY']::ledger.amount[])" >/dev/null
else
	note "skipped: routed holds (the node's ledger has no ledger.hold)"
fi

# --- privileges: a poster posts and transfers through the router with the GRANTs of the README, and no more
for b in a b c; do
	nq $b -c "DO \$\$ BEGIN CREATE ROLE ledger_poster LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" \
		-c "GRANT USAGE ON SCHEMA ledger TO ledger_poster" \
		-c "GRANT EXECUTE ON FUNCTION ledger.post(text, text[], ledger.amount[], text, text, jsonb), ledger.reverse,
		      ledger.balance(text), ledger.balance(text, date) TO ledger_poster" \
		-c "GRANT SELECT (code, kind, metadata) ON ledger.account TO ledger_poster" \
		-c "GRANT SELECT (id, idempotency_key, book_date, reverses, metadata) ON ledger.voucher TO ledger_poster" >/dev/null ||
		fail "node grants failed"
done
rq >/dev/null <<'SQL' || fail "router grants failed"
CREATE ROLE ledger_poster LOGIN;
GRANT USAGE ON SCHEMA ledger, ledger_router TO ledger_poster;
GRANT USAGE ON FOREIGN SERVER ledger_router TO ledger_poster;
GRANT SELECT (book, partition) ON ledger_router.book TO ledger_poster;
GRANT EXECUTE ON FUNCTION
	ledger_router._partition(text), ledger_router._no_book(text), ledger_router._clearing_account(text, text, text),
	ledger_router._transfer_key(text, text, text, text, text, ledger.amount, text),
	ledger_router._transfer_from(text, text, text, text, ledger.amount, text, text, jsonb, text),
	ledger_router._transfer_to(text, text, text, text, ledger.amount, text, text, jsonb),
	ledger_router._transfer_refuse(text, text, text, ledger.amount, text, text, jsonb),
	ledger_router._voucher(text, text),
	ledger_router.post(text, text, text[], ledger.amount[], text, text, jsonb),
	ledger_router.post(text, text, text[], text[], text, text, jsonb),
	ledger_router.post(text, text, text[], text, text, text, jsonb),
	ledger_router.reverse(text, bigint, text, text),
	ledger_router.balance(text, text),
	ledger_router.balance(text, text, date),
	ledger_router.transfer(text, text, text, text, text, ledger.amount, text)
	TO ledger_poster;
-- and for holds through the router
GRANT EXECUTE ON FUNCTION
	ledger_router.hold(text, text, text[], ledger.amount[], text, text, timestamptz, jsonb),
	ledger_router.hold(text, text, text[], text[], text, text, timestamptz, jsonb),
	ledger_router.hold(text, text, text[], text, text, text, timestamptz, jsonb),
	ledger_router.post_hold(text, bigint, text, ledger.amount[], text),
	ledger_router.post_hold(text, bigint, text, text[], text),
	ledger_router.post_hold(text, bigint, text, text, text),
	ledger_router.void_hold(text, bigint, text),
	ledger_router.available(text, text)
	TO ledger_poster;
SQL
rexpect $R "SET ROLE ledger_poster; SELECT ledger_router.reverse('a', ledger_router.post('a', 'g-lit', ARRAY['2241.CNY2', '1002.01'], '{1 CNY,-1 CNY}'), 'g-lit-r') > 0" t \
	"a poster posts (and reverses) through the router with the amounts as one untyped literal (node-postgres), with the README's grants"
rexpect $R "SET ROLE ledger_poster; SELECT count(*) FROM ledger_router.transfer('g-1', 'a', '2241.CNY3', 'c', '2241.CNY3', '1 CNY')
            WHERE to_voucher > 0 AND ledger_router.balance('c', '2241.CNY3')::text = '101.00 CNY'" 1 \
	"a poster transfers and reads balances through the router, connected to the nodes as itself"
for sql in "CALL ledger_router.close_day()" "SELECT ledger_router.add_book('x', 'dbname=x')" "SELECT * FROM ledger_router.books" \
	"SELECT * FROM ledger_router.check_books('2026-11-02')" "DELETE FROM ledger_router.clearing"; do
	got=$(rq -c "\\set VERBOSITY sqlstate" -c "SET ROLE ledger_poster" -c "$sql" 2>&1)
	[ "$got" = "ERROR:  42501" ] || fail "a poster ran: $sql: $got"
done
note "ok: a poster cannot run the day-end, register books, read the registry or the reports, or change the clearing accounts"
# an empty or blank transfer key is refused like a NULL one (22004), as ledger.post refuses it on
# the books: the halves' keys (":from", ":to") are not blank, so the books would take them
for key in "''" "'  '"; do
	got=$(rq -c "\\set VERBOSITY sqlstate" -c "SET ROLE ledger_poster" \
		-c "SELECT * FROM ledger_router.transfer($key, 'a', '2241.CNY3', 'c', '2241.CNY3', '1 CNY')" 2>&1)
	[ "$got" = "ERROR:  22004" ] || fail "a transfer with the key $key: $got"
done
rexpect $R "SELECT count(*) FROM ledger_router.transfer_key WHERE btrim(idempotency_key) = ''" 0 \
	"an empty or blank transfer key is refused (22004) and recorded nowhere"
rq -c "SELECT * FROM ledger_router.transfer('g-1r', 'c', '2241.CNY3', 'a', '2241.CNY3', '1 CNY')" >/dev/null || fail "transferring back failed"
# a poster's router transaction left open after a transfer holds no lock the day-end waits for
( router_env; q $R -c "SET ROLE ledger_poster" -c "BEGIN" -c "SELECT count(*) FROM ledger_router.transfer('g-2', 'a', '2241.CNY3', 'c', '2241.CNY3', '1 CNY')" \
	-c "SELECT pg_sleep(3) AS idle_poster" -c "COMMIT" >/dev/null 2>&1 ) &
idle_pid=$!
for i in $(seq 1 50); do
	[ "$(rq -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%AS idle_poster%' AND pid <> pg_backend_pid()")" = 1 ] && break
	sleep 0.1
done
rexpect $R "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 76825" 0 \
	"a transfer holds the transfers' lock only while it runs, not for the rest of the caller's transaction"
wait "$idle_pid" || fail "the poster's transfer g-2 failed"
rq -c "SELECT * FROM ledger_router.transfer('g-2r', 'c', '2241.CNY3', 'a', '2241.CNY3', '1 CNY')" >/dev/null || fail "transferring back failed"

# --- a refused second half: the first is reversed, a retry gives the same answer
nq b -c "UPDATE ledger.account SET status = 'frozen' WHERE code = '2241.CNY5'" >/dev/null
for i in 1 2; do
	got=$(rq -c "\\set VERBOSITY sqlstate" -c "SELECT * FROM ledger_router.transfer('x-1', 'a', '2241.CNY1', 'b', '2241.CNY5', '7 CNY')" 2>&1)
	[ "$got" = "ERROR:  55000" ] || fail "a transfer to a frozen account (call $i): $got"
done
nq b -c "UPDATE ledger.account SET status = 'open' WHERE code = '2241.CNY5'" >/dev/null
got=$(rq -c "SELECT * FROM ledger_router.transfer('x-1', 'a', '2241.CNY1', 'b', '2241.CNY5', '7 CNY')" 2>&1)
[[ $got == *'transfer "x-1" was refused by book "b"'* ]] || fail "a refused transfer stays refused: $got"
expect_node a "SELECT string_agg(idempotency_key, ' ' ORDER BY id) FROM ledger.voucher WHERE idempotency_key LIKE 'x-1:%'" \
	"x-1:from x-1:cancel" "refused: the first half is reversed, once"
expect_node b "SELECT string_agg(idempotency_key || ' ' || (metadata->>'leg'), ' ') FROM ledger.voucher WHERE idempotency_key LIKE 'x-1:%'" \
	"x-1:to refused" "refused: the second half's key is taken by a refusal that moves nothing"
expect_node a "SELECT ledger.balance('2241.CNY1')" "100.00 CNY" "refused: the wallet has its money back"

# sqlstate SQL : the SQLSTATE of a router statement that fails (empty if it succeeds)
sqlstate() { rq -c "\\set VERBOSITY sqlstate" -c "$1" 2>&1 | sed -n 's/^ERROR:  //p'; }
# vouchers KEYPATTERN BOOK : the keys of a book's vouchers matching a LIKE pattern
vouchers() { nq "$2" -c "SELECT coalesce(string_agg(idempotency_key, ' ' ORDER BY id), '-') FROM ledger.voucher WHERE idempotency_key LIKE '$1'"; }

# --- one key, one transfer: another content under a key is refused before anything is posted
rq -c "SELECT * FROM ledger_router.transfer('kr-1', 'a', '2241.CNY1', 'b', '2241.CNY1', '10 CNY')" >/dev/null || fail "transfer kr-1 failed"
for args in "'c', '2241.CNY1', 'b', '2241.CNY1', '10 CNY'" "'b', '2241.CNY1', 'a', '2241.CNY1', '10 CNY'" \
	"'a', '2241.CNY1', 'b', '2241.CNY1', '11 CNY'" "'a', '2241.CNY1', 'b', '2241.CNY1', '10 CNY', 'another summary'"; do
	got=$(sqlstate "SELECT * FROM ledger_router.transfer('kr-1', $args)")
	[ "$got" = 23505 ] || fail "key kr-1 reused with ($args): $got"
done
got=$(rq -c "SELECT * FROM ledger_router.transfer('kr-1', 'c', '2241.CNY1', 'b', '2241.CNY1', '10 CNY')" 2>&1)
[[ $got == *'idempotency key "kr-1" is already used by another transfer'*'Nothing was posted.'* ]] || fail "key kr-1 reused: $got"
[ "$(vouchers 'kr-1:%' a) $(vouchers 'kr-1:%' b) $(vouchers 'kr-1:%' c)" = "kr-1:from kr-1:to -" ] ||
	fail "a reused key posted something: $(vouchers 'kr-1:%' a) $(vouchers 'kr-1:%' b) $(vouchers 'kr-1:%' c)"
note "ok: a key reused with other books, another amount or summary is refused (23505) and nothing is posted"
rexpect $R "SELECT count(*) FROM ledger_router.transfer('kr-1', 'a', '2241.CNY1', 'b', '2241.CNY1', '10 CNY') t
             WHERE t.from_voucher = (SELECT id FROM ledger_router._voucher('a', 'kr-1:from'))
               AND t.to_voucher = (SELECT id FROM ledger_router._voucher('b', 'kr-1:to'))" 1 "a retry with the same content returns the same pair"
rq -c "SELECT * FROM ledger_router.transfer('kr-1r', 'b', '2241.CNY1', 'a', '2241.CNY1', '10 CNY')" >/dev/null || fail "transferring back failed"
# the key of the second half taken by a plain post on the receiving book: refused, the first half reversed
rq -c "SELECT ledger_router.reverse('b', ledger_router.post('b', 'kr-2:to', ARRAY['1002.01', '2241.CNY2'], ARRAY['1 CNY', '-1 CNY']), 'kr-2:to-r')" >/dev/null
for i in 1 2; do
	got=$(rq -v VERBOSITY=verbose -c "SELECT * FROM ledger_router.transfer('kr-2', 'a', '2241.CNY1', 'b', '2241.CNY1', '3 CNY')" 2>&1)
	[[ $got == *'23505'*'transfer "kr-2" was refused by book "b"'*'key "kr-2:to" is taken by voucher'*'was reversed by voucher'* ]] ||
		fail "a second half whose key is taken by another voucher (call $i): $got"
done
[ "$(vouchers 'kr-2:%' a)" = "kr-2:from kr-2:cancel" ] || fail "the first half of kr-2 was not reversed: $(vouchers 'kr-2:%' a)"
expect_node a "SELECT ledger.balance('2241.CNY1')" "100.00 CNY" "a second half whose key another voucher took: refused (23505), the first half reversed, once"
# a transfer whose key record rolled back with its router transaction, called again to another
# account: its two halves stand (nothing reversed), the call is refused (23505) naming them
rq -c "BEGIN" -c "SELECT * FROM ledger_router.transfer('kr-3', 'a', '2241.CNY1', 'b', '2241.CNY1', '4 CNY')" -c "ROLLBACK" >/dev/null ||
	fail "transfer kr-3 failed"
got=$(rq -v VERBOSITY=verbose -c "SELECT * FROM ledger_router.transfer('kr-3', 'a', '2241.CNY1', 'b', '2241.CNY2', '4 CNY')" 2>&1)
[[ $got == *'23505'*'transfer key "kr-3" was used for another transfer'*'this call names account "2241.CNY1" to "2241.CNY2"'* ]] ||
	fail "a key whose record rolled back, called to another account: $got"
[ "$(vouchers 'kr-3:%' a) $(vouchers 'kr-3:%' b)" = "kr-3:from kr-3:to" ] ||
	fail "a key whose record rolled back: $(vouchers 'kr-3:%' a) $(vouchers 'kr-3:%' b)"
rexpect $R "SELECT count(*) FROM ledger_router.transfer('kr-3', 'a', '2241.CNY1', 'b', '2241.CNY1', '4 CNY') t
             WHERE t.to_voucher = (SELECT id FROM ledger_router._voucher('b', 'kr-3:to'))" 1 \
	"a key whose record rolled back: called again to another account it is refused (23505) and nothing is reversed; with its own arguments it returns its pair"
rq -c "SELECT * FROM ledger_router.transfer('kr-3r', 'b', '2241.CNY1', 'a', '2241.CNY1', '4 CNY')" >/dev/null || fail "transferring kr-3 back failed"
# a voucher keyed <key>:cancel on the sending book that is not the reversal of the first half
rq -c "SELECT ledger_router.reverse('a', ledger_router.post('a', 'order-9:cancel', ARRAY['1002.01', '2241.CNY2'], ARRAY['1 CNY', '-1 CNY']), 'order-9:cancel-r')" >/dev/null
got=$(rq -v VERBOSITY=verbose -c "SELECT * FROM ledger_router.transfer('order-9', 'a', '2241.CNY2', 'b', '2241.CNY2', '20 CNY')" 2>&1)
[[ $got == *'23505'*'idempotency key "order-9:cancel" of book "a" is taken by another voucher'* ]] || fail "a voucher keyed order-9:cancel: $got"
[ "$(vouchers 'order-9:%' a) $(vouchers 'order-9%' b)" = "order-9:cancel order-9:cancel-r -" ] ||
	fail "a transfer whose cancel key is taken posted: $(vouchers 'order-9:%' a) $(vouchers 'order-9%' b)"
note "ok: a voucher keyed <key>:cancel that does not reverse the first half is no reversal: refused (23505), nothing posted"
# a clearing account named as the account money leaves or reaches
for args in "'a', '1221.b.USD', 'b', '2241.USD1'" "'a', '2241.USD1', 'b', '1221.a.USD'" "'a', '1221.c.USD', 'b', '2241.USD1'"; do
	got=$(sqlstate "SELECT * FROM ledger_router.transfer('ca-1', $args, '7 USD')")
	[ "$got" = 22023 ] || fail "a transfer naming a clearing account ($args): $got"
done
[ "$(vouchers 'ca-1%' a) $(vouchers 'ca-1%' b)" = "- -" ] || fail "a transfer naming a clearing account posted"
note "ok: a transfer naming a clearing account as from_account or to_account is refused (22023), nothing posted"
# the refusal cannot be recorded (the receiving clearing account frozen, or missing): the first half is reversed all the same
nq b -c "UPDATE ledger.account SET status = 'frozen' WHERE code = '1221.a.CNY'" >/dev/null
got=$(rq -v VERBOSITY=verbose -c "SELECT * FROM ledger_router.transfer('rc-1', 'a', '2241.CNY3', 'b', '2241.CNY3', '5 CNY')" 2>&1)
[[ $got == *'55000'*'transfer "rc-1" was refused by book "b"'*'was reversed by voucher'*'could not be recorded'*'HINT:  A refused transfer stays refused'* ]] ||
	fail "a refusal that cannot be recorded: $got"
nq b -c "UPDATE ledger.account SET status = 'open' WHERE code = '1221.a.CNY'" >/dev/null
got=$(sqlstate "SELECT * FROM ledger_router.transfer('rc-1', 'a', '2241.CNY3', 'b', '2241.CNY3', '5 CNY')")
[ "$got" = 55000 ] || fail "a refused transfer whose refusal was not recorded, retried: $got"
[ "$(vouchers 'rc-1:%' a) $(vouchers 'rc-1:%' b)" = "rc-1:from rc-1:cancel -" ] || fail "rc-1: $(vouchers 'rc-1:%' a) $(vouchers 'rc-1:%' b)"
rq -c "UPDATE ledger_router.clearing SET account = '1221.nope' WHERE book = 'c' AND counterparty_book = 'a' AND currency = 'USD'" >/dev/null
got=$(sqlstate "SELECT * FROM ledger_router.transfer('rc-2', 'a', '2241.USD3', 'c', '2241.USD3', '5 USD')")
rq -c "UPDATE ledger_router.clearing SET account = '1221.a.USD' WHERE book = 'c' AND counterparty_book = 'a' AND currency = 'USD'" >/dev/null
[ "$got" = 23503 ] || fail "a transfer to a clearing account that does not exist: $got"
[ "$(vouchers 'rc-2:%' a) $(vouchers 'rc-2:%' c)" = "rc-2:from rc-2:cancel -" ] || fail "rc-2: $(vouchers 'rc-2:%' a) $(vouchers 'rc-2:%' c)"
expect_node a "SELECT ledger.balance('2241.CNY3') || ' ' || ledger.balance('2241.USD3')" "100.00 CNY 100.00 USD" \
	"a refusal that cannot be recorded (clearing account frozen: 55000, missing: 23503): the first half is reversed all the same"
K=$(rq -c "SELECT repeat('k', 2001)")
got=$(sqlstate "SELECT * FROM ledger_router.transfer('$K', 'a', '2241.CNY3', 'b', '2241.CNY3', '4 CNY')")
[ "$got" = 54000 ] || fail "a key too long: $got"
[ "$(vouchers 'kkkk%' a)" = "-" ] || fail "a key too long posted"
note "ok: a key too long for its derived keys (key:cancel) is refused (54000) before anything is posted"

# --- the load: transfers between the books from several sessions, node 2 killed in the middle
rq >/dev/null <<'SQL' || fail "could not create the clients"
CREATE TABLE public.client_log (client int, k text, from_book text, from_account text, to_book text, to_account text,
	amount ledger.amount, from_voucher bigint, to_voucher bigint, outcome text, attempts int, last_error text);
CREATE PROCEDURE public.client_run(c int, n int) LANGUAGE plpgsql AS $$
DECLARE
	books text[] := ARRAY['a', 'b', 'c'];
	k text; fb text; tb text; fa text; ta text; cur text; amt ledger.amount; r record;
	tries int; st text; msg text; done boolean;
BEGIN
	PERFORM setseed(c / 100.0);
	FOR i IN 1 .. n LOOP
		k := format('t-%s-%s', c, i);
		fb := books[1 + floor(random() * 3)::int];
		tb := books[1 + (array_position(books, fb) + floor(random() * 2)::int) % 3];
		cur := CASE WHEN random() < 0.7 THEN 'CNY' ELSE 'USD' END;
		fa := '2241.' || cur || (1 + floor(random() * 5)::int);
		ta := '2241.' || cur || (1 + floor(random() * 5)::int);
		amt := ledger.amount_of_units((1 + floor(random() * 3000))::bigint, cur);
		tries := 0; done := false; msg := NULL;
		WHILE NOT done LOOP
			tries := tries + 1;
			BEGIN
				SELECT * INTO r FROM ledger_router.transfer(k, fb, fa, tb, ta, amt);
				INSERT INTO public.client_log VALUES (c, k, fb, fa, tb, ta, amt, r.from_voucher, r.to_voucher, 'moved', tries, msg);
				done := true;
			EXCEPTION WHEN OTHERS THEN
				GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
				IF st = '23514' THEN   -- refused by the floor of the wallet the money would leave
					INSERT INTO public.client_log VALUES (c, k, fb, fa, tb, ta, amt, NULL, NULL, 'refused', tries, msg);
					done := true;
				ELSIF tries >= 400 THEN
					RAISE;
				END IF;
			END;
			IF NOT done THEN
				COMMIT;
				PERFORM pg_sleep(0.05);
			END IF;
		END LOOP;
		COMMIT;
		PERFORM pg_sleep(0.005);
	END LOOP;
END $$;
SQL
pids=()
for c in $(seq 1 "$CLIENTS"); do
	( router_env; q $R -c "SET client_min_messages = warning" -c "CALL public.client_run($c, $TRANSFERS)" >"$WORK/client$c.out" 2>&1 ) &
	pids+=($!)
done
for kill in $(seq 1 "$KILLS"); do
	victim=$((1 + kill % 2))   # node 2, then node 1, then node 2 ...
	for i in $(seq 1 600); do
		[ "$(rq -c "SELECT count(*) >= $((CLIENTS * TRANSFERS * kill / (KILLS + 3))) FROM public.client_log")" = t ] && break
		sleep 0.1
	done
	router_node_kill $victim || fail "could not kill node $victim"
	note "node $victim killed with SIGKILL after $(rq -c "SELECT count(*) FROM public.client_log") transfers"
	sleep 1
	router_node_restart $victim || fail "node $victim did not come back"
	note "node $victim restarted"
done
for p in "${pids[@]}"; do wait "$p" || { cat "$WORK"/client*.out; fail "a client gave up"; }; done
note "$(rq -c "SELECT format('%s transfers: %s moved, %s refused by a floor; %s needed retries (%s attempts at most)',
                count(*), count(*) FILTER (WHERE outcome = 'moved'), count(*) FILTER (WHERE outcome = 'refused'),
                count(*) FILTER (WHERE attempts > 1), max(attempts)) FROM public.client_log")"
rexpect $R "SELECT count(*) FROM public.client_log" $((CLIENTS * TRANSFERS)) "every client did every transfer"
rexpect $R "SELECT count(*) > 0 FROM public.client_log WHERE attempts > 1" t "some transfers were interrupted by the crash and retried"

# every transfer voucher of every book, next to what the clients were told
rq -c "CREATE TABLE public.node_voucher (book text, k text, id bigint, leg text, book_date date)" >/dev/null
for b in a b c; do
	nq $b -c "COPY (SELECT '$b', idempotency_key, id, metadata->>'leg', book_date FROM ledger.voucher WHERE idempotency_key LIKE 't-%') TO STDOUT" |
		rq -c "COPY public.node_voucher FROM STDIN" >/dev/null || fail "could not collect the vouchers of book $b"
done
rexpect $R "SELECT count(*) FROM public.client_log l
             WHERE l.outcome = 'moved' AND (
               (SELECT string_agg(v.id::text, ',') FROM public.node_voucher v WHERE v.k = l.k || ':from' AND v.book = l.from_book) IS DISTINCT FROM l.from_voucher::text
            OR (SELECT string_agg(v.id::text, ',') FROM public.node_voucher v WHERE v.k = l.k || ':to' AND v.book = l.to_book) IS DISTINCT FROM l.to_voucher::text)" 0 \
	"every key moved is one pair: the vouchers its client was told of, one on each book"
rexpect $R "SELECT count(*) FROM public.node_voucher v WHERE v.k NOT LIKE '%:from' AND v.k NOT LIKE '%:to'" 0 "no transfer was refused or reversed under the load"
rexpect $R "SELECT count(*) FROM public.client_log l JOIN public.node_voucher v ON split_part(v.k, ':', 1) = l.k WHERE l.outcome = 'refused'" 0 \
	"a transfer refused by a floor left nothing in any book"
rexpect $R "SELECT count(*) FROM public.node_voucher v WHERE NOT EXISTS (SELECT 1 FROM public.client_log l WHERE l.k = split_part(v.k, ':', 1))" 0 \
	"no voucher exists that no client was told of"

# every wallet holds exactly what the clients moved
rq -c "CREATE TABLE public.wallet (book text, code text, balance ledger.amount)" >/dev/null
for b in a b c; do
	nq $b -c "COPY (SELECT '$b', code, ledger.balance(code) FROM ledger.account WHERE code LIKE '2241.%') TO STDOUT" |
		rq -c "COPY public.wallet FROM STDIN" >/dev/null
done
rexpect $R "SELECT count(*) FROM public.wallet w
             WHERE ledger.minor_units(w.balance) <> 10000
                 + COALESCE((SELECT sum(ledger.minor_units(l.amount)) FROM public.client_log l
                              WHERE l.outcome = 'moved' AND l.to_book = w.book AND l.to_account = w.code), 0)
                 - COALESCE((SELECT sum(ledger.minor_units(l.amount)) FROM public.client_log l
                              WHERE l.outcome = 'moved' AND l.from_book = w.book AND l.from_account = w.code), 0)" 0 \
	"every wallet holds its funding plus what the clients moved in, less what they moved out"
rexpect $R "SELECT string_agg(c || ' ' || s, ', ' ORDER BY c) FROM (SELECT ledger.currency(balance) c, ledger.sum(balance) s FROM public.wallet GROUP BY 1) x" \
	"CNY 1500.00 CNY, USD 1500.00 USD" "no money was created or lost: the wallets of all books hold 1500 in each currency, as funded"

# the checks of every book and the global ones
day=2026-11-02
rexpect $R "SELECT count(*) FROM ledger_router.check_books('$day') WHERE NOT ok" 0 "check_books of every book and interbook_clearing_nets_zero pass"
rexpect $R "SELECT count(*) FROM ledger_router.check_books('$day') WHERE check_name = 'interbook_clearing_nets_zero'" 6 \
	"interbook_clearing_nets_zero covers three pairs of books in two currencies"

# --- a day that is not the books' open day is refused before anything is recorded
for d in 2026-12-25 2026-11-01; do
	got=$(sqlstate "CALL ledger_router.close_day('$d')")
	[ "$got" = 22023 ] || fail "close_day of a day no book has open ($d): $got"
done
rexpect $R "SELECT count(*) FROM ledger_router.global_day" 0 "close_day of a mistyped date is refused (22023) and records nothing"

# --- the day-end of all books, a node killed in the middle of it, finished by another CALL
hold_pid=
( router_node_env 2; q book_b -c "BEGIN" -c "LOCK TABLE ledger.daily_balance IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 ) &
hold_pid=$!
sleep 0.5
( router_env; psql -X -q -d $R -c "CALL ledger_router.close_day()" >"$WORK/close1.out" 2>&1 ) &
close_pid=$!
for i in $(seq 1 200); do
	[ "$(nq a -c "SELECT status FROM ledger.book_day WHERE book_date = '$day'")" = closed ] &&
		[ "$(nq c -c "SELECT status FROM ledger.book_day WHERE book_date = '$day'")" = closed ] && break
	sleep 0.1
done
expect_node b "SELECT status FROM ledger.book_day WHERE book_date = '$day'" closing "book b is closing, held up at its daily balances"
router_node_kill 2
wait "$close_pid" && fail "close_day succeeded with a node killed in the middle"
kill "$hold_pid" 2>/dev/null; wait "$hold_pid" 2>/dev/null
grep -q "is not closed on every book" "$WORK/close1.out" || fail "close_day did not report the failed node: $(cat "$WORK/close1.out")"
rexpect $R "SELECT status || ' ' || array_length(failed_checks, 1) FROM ledger_router.global_day WHERE book_date = '$day'" "closing 1" \
	"the global day stays closing, naming the failure"
router_node_restart 2 || fail "node 2 did not come back"
rq -c "CALL ledger_router.close_day()" >"$WORK/close2.out" 2>&1 || fail "the second close_day failed: $(cat "$WORK/close2.out")"
rexpect $R "SELECT status FROM ledger_router.global_day WHERE book_date = '$day'" closed "another CALL finished the day on every book"
for b in a b c; do
	expect_node $b "SELECT string_agg(status, ',' ORDER BY book_date) FROM ledger.book_day" "closed,open" "book $b: $day closed, the next day open"
done
rexpect $R "SELECT count(*) FROM ledger_router.verify_books('-infinity', 'infinity') WHERE ok IS NOT TRUE AND book_date <= '$day'" 0 \
	"verify_books passes on every book and for the global digest"
rexpect $R "SELECT count(*) FROM ledger_router.check_books('$day') WHERE NOT ok" 0 "the checks of the closed day pass"
for b in a b c; do ( router_node_env "$(node_of $b)"; invariants "book_$b" ) || fail "the books of $b do not hold"; done

# the next day: a few transfers, then a global digest chained to the first
# (the load may have emptied any wallet: the two this part draws on are topped up first)
nq a -c "SELECT ledger.post('d2-fund', ARRAY['1002.02', '2241.USD1'], ARRAY['10 USD', '-10 USD']::ledger.amount[])" >/dev/null ||
	fail "could not top up wallet 2241.USD1 of book a"
nq c -c "SELECT ledger.post('d2-fund', ARRAY['1002.01', '2241.CNY4'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[])" >/dev/null ||
	fail "could not top up wallet 2241.CNY4 of book c"
for i in 1 2 3; do rq -c "SELECT * FROM ledger_router.transfer('d2-$i', 'a', '2241.USD1', 'c', '2241.USD2', '1.25 USD')" >/dev/null || fail "transfer d2-$i failed"; done
# a transfer half done over the cutoff: its second half's node is down, the day-end finds it in flight
router_node_kill 2
got=$(rq -c "SELECT * FROM ledger_router.transfer('h-1', 'c', '2241.CNY4', 'b', '2241.CNY4', '2.50 CNY')" 2>&1) &&
	fail "a transfer to a node that is down succeeded: $got"
[[ $got == *"call ledger_router.transfer again with the same arguments to complete it"* ]] ||
	fail "a transfer to a node that is down: $got"
note "ok: a transfer whose second half's node is down fails, telling to call again"
router_node_restart 2 || fail "node 2 did not come back"
got=$(rq -c "CALL ledger_router.close_day()" 2>&1) && fail "close_day passed with a transfer half done"
[[ $got == *"global checks of book day 2026-11-03 failed"*"2.50 CNY not settled: a transfer is half done"* ]] ||
	fail "close_day with a transfer half done: $got"
rexpect $R "SELECT status FROM ledger_router.global_day WHERE book_date = '2026-11-03'" closing \
	"the day-end finds the half-done transfer and keeps the global day closing"
rexpect $R "SELECT count(*) FROM ledger_router.transfer('h-1', 'c', '2241.CNY4', 'b', '2241.CNY4', '2.50 CNY')" 1 \
	"calling the transfer again completes it, its second half on the next day"
rq -c "CALL ledger_router.close_day()" >"$WORK/close3.out" 2>&1 || fail "close_day after the transfer was completed failed: $(cat "$WORK/close3.out")"
rexpect $R "SELECT count(*) FROM ledger_router.check_books('2026-11-03') WHERE check_name = 'interbook_clearing_nets_zero' AND ok
              AND detail LIKE '%of which -2.50 CNY in transit over the cutoff%'" 1 \
	"another CALL closes the day: the transfer was in transit over the cutoff"
rexpect $R "SELECT digest = ledger_router._global_digest((SELECT digest FROM ledger_router.global_day WHERE book_date = '$day'),
              (SELECT array_agg(book ORDER BY book) FROM ledger_router.global_day_book WHERE book_date = g.book_date),
              (SELECT array_agg(digest ORDER BY book) FROM ledger_router.global_day_book WHERE book_date = g.book_date))
             FROM ledger_router.global_day g WHERE book_date = '2026-11-03'" t "the second global digest is chained to the first"
# a book sealed into global days stays registered
got=$(rq -v VERBOSITY=verbose -c "BEGIN" -c "DELETE FROM ledger_router.clearing WHERE 'c' IN (book, counterparty_book)" \
	-c "DELETE FROM ledger_router.book WHERE book = 'c'" 2>&1)
[[ $got == *'55000'*'cannot remove book "c"'*'sealed into its global digest'* ]] || fail "removing a book sealed into global days: $got"
got=$(sqlstate "UPDATE ledger_router.book SET book = 'c2' WHERE book = 'c'")
[ "$got" = 55000 ] || fail "renaming a book sealed into global days: $got"
rexpect $R "SELECT count(*) FROM ledger_router.books" 3 "removing or renaming a book that global days cover is refused (55000)"
# a book added must be open on the day the router closes next (2026-11-04 now)
for d in 2026-11-02 2026-11-09; do
	( router_node_env 2; newdb book_d; q book_d -c "SELECT ledger.open_books('$d')" >/dev/null )
	got=$(rq -v VERBOSITY=verbose -c "SELECT ledger_router.add_book('d', '$(router_connstr 2 book_d)')" 2>&1)
	[[ $got == *'55000'*'the open day of book "d" is not the day the router closes next'*"is open on $d; the other books are open on 2026-11-04"* ]] ||
		fail "a book open on $d added: $got"
done
rexpect $R "SELECT count(*) FROM ledger_router.books" 3 "a book whose open day lags behind or runs ahead of the other books' is refused (55000)"
( router_node_env 1; q book_c -c "SET session_replication_role = replica" -c "UPDATE ledger.entry SET memo = 'altered' WHERE voucher_id = 1 AND line_no = 1" ) >/dev/null
rexpect $R "SELECT string_agg(coalesce(book, 'global') || ' ' || book_date, ', ' ORDER BY book NULLS LAST, book_date)
             FROM ledger_router.verify_books('-infinity', 'infinity') WHERE ok = false" "c 2026-11-02" \
	"verify_books finds a book day altered behind the ledger's back"
( router_node_env 1; q book_c -c "SET session_replication_role = replica" -c "UPDATE ledger.entry SET memo = NULL WHERE voucher_id = 1 AND line_no = 1" ) >/dev/null

# --- the consolidated trial balance: the sum of the books' (asked of each node directly), and hledger's figures
rq -c "CREATE TABLE public.node_tb (book text, currency text, od ledger.amount, oc ledger.amount, pd ledger.amount, pc ledger.amount, cd ledger.amount, cc ledger.amount)" >/dev/null
for b in a b c; do
	nq $b -c "COPY (SELECT '$b', currency, opening_debit, opening_credit, period_debit, period_credit, closing_debit, closing_credit
	                FROM ledger.trial_balance('$day', '2026-11-04') WHERE account_code IS NULL) TO STDOUT" | rq -c "COPY public.node_tb FROM STDIN" >/dev/null
done
rexpect $R "SELECT count(*) FROM (
              SELECT currency, opening_debit, opening_credit, period_debit, period_credit, closing_debit, closing_credit
                FROM ledger_router.trial_balance('$day', '2026-11-04') WHERE book IS NULL AND account_code IS NULL
              EXCEPT
              SELECT currency, ledger.sum(od), ledger.sum(oc), ledger.sum(pd), ledger.sum(pc), ledger.sum(cd), ledger.sum(cc)
                FROM public.node_tb GROUP BY currency) x" 0 "the total rows over all books are the sums of the books' own trial balances"
rexpect $R "SELECT count(*) FROM ledger_router.trial_balance('$day', '2026-11-04') WHERE book IS NULL AND account_code IS NULL" 2 \
	"one total row per currency"
rexpect $R "SELECT count(*) FROM (SELECT * FROM ledger_router.trial_balance('$day', '2026-11-04') WHERE book = 'b'
                                   EXCEPT SELECT * FROM ledger_router._trial_balance(ARRAY['b'], '$day', '2026-11-04')) x" 0 \
	"a book's rows are its node's trial balance"
if command -v hledger >/dev/null; then
	: > "$WORK/books.journal"
	for b in a b c; do
		nq $b >> "$WORK/books.journal" <<'SQL'
WITH path AS (
	SELECT c.account_id, string_agg(a.code, ':' ORDER BY c.depth DESC) AS name
	  FROM ledger._account_closure c JOIN ledger.account a ON a.id = c.ancestor_id
	 GROUP BY c.account_id)
SELECT format(E'%s (%s V%s) %s\n%s\n', v.book_date, current_database(), v.id, v.idempotency_key,
       string_agg(format('    %s  %s %s', p.name, ledger.amount_to_numeric(e.amount), ledger.currency(e.amount)), E'\n' ORDER BY e.line_no))
  FROM ledger.voucher v JOIN ledger.entry e ON e.voucher_id = v.id JOIN path p ON p.account_id = e.account_id
 GROUP BY v.id ORDER BY v.id;
SQL
	done
	: > "$WORK/hledger.csv"
	for p in $day:2026-11-04; do
		from=${p%:*} to=${p#*:}
		next=$(date -d "$to + 1 day" +%F)
		for depth in 1 2 3; do
			hledger -f "$WORK/books.journal" balance --flat --no-total -O csv --layout=bare --depth $depth -H -e "$from" |
				tail -n +2 | sed "s/^/\"$p\",\"opening\",/" >> "$WORK/hledger.csv"
			hledger -f "$WORK/books.journal" balance --flat --no-total -O csv --layout=bare --depth $depth -H -e "$next" |
				tail -n +2 | sed "s/^/\"$p\",\"closing\",/" >> "$WORK/hledger.csv"
			hledger -f "$WORK/books.journal" balance --flat --no-total -O csv --layout=bare --depth $depth -b "$from" -e "$next" |
				tail -n +2 | sed "s/^/\"$p\",\"change\",/" >> "$WORK/hledger.csv"
		done
	done
	sort -u -o "$WORK/hledger.csv" "$WORK/hledger.csv"
	rq -c "CREATE TABLE public.hl (period text, what text, account text, commodity text, amount numeric)" >/dev/null
	( router_env; q $R -c "\\copy public.hl FROM '$WORK/hledger.csv' WITH (FORMAT csv)" ) >/dev/null || fail "could not load hledger's figures"
	# account paths as the journal names them (the books share one chart of accounts)
	rq -c "CREATE TABLE public.path (code text, name text)" >/dev/null
	nq a -c "COPY (SELECT a.code, string_agg(p.code, ':' ORDER BY c.depth DESC) FROM ledger.account a
	               JOIN ledger._account_closure c ON c.account_id = a.id JOIN ledger.account p ON p.id = c.ancestor_id GROUP BY a.code) TO STDOUT" |
		rq -c "COPY public.path FROM STDIN" >/dev/null
	nq b -c "COPY (SELECT a.code, string_agg(p.code, ':' ORDER BY c.depth DESC) FROM ledger.account a
	               JOIN ledger._account_closure c ON c.account_id = a.id JOIN ledger.account p ON p.id = c.ancestor_id
	              WHERE a.code LIKE '1221.a%' GROUP BY a.code) TO STDOUT" | rq -c "COPY public.path FROM STDIN" >/dev/null
	bad=$(rq <<'SQL'
WITH periods AS (SELECT DISTINCT period, split_part(period, ':', 1)::date AS f, split_part(period, ':', 2)::date AS t FROM public.hl),
ours AS (
	SELECT periods.period, x.what, p.name AS account, t.currency AS commodity, x.amount
	  FROM periods
	  CROSS JOIN LATERAL ledger_router.trial_balance(periods.f, periods.t) t
	  JOIN public.path p ON p.code = t.account_code
	  CROSS JOIN LATERAL (VALUES
		('opening', ledger.amount_to_numeric(t.opening_debit) - ledger.amount_to_numeric(t.opening_credit)),
		('closing', ledger.amount_to_numeric(t.closing_debit) - ledger.amount_to_numeric(t.closing_credit)),
		('change', ledger.amount_to_numeric(t.period_debit) - ledger.amount_to_numeric(t.period_credit))) x(what, amount)
	 WHERE t.book IS NULL AND x.amount <> 0),
theirs AS (SELECT period, what, account, commodity, amount FROM public.hl WHERE amount <> 0),
diff AS ((SELECT 'ledger_router only' AS side, * FROM ours EXCEPT SELECT 'ledger_router only', * FROM theirs)
         UNION ALL
         (SELECT 'hledger only', * FROM theirs EXCEPT SELECT 'hledger only', * FROM ours))
SELECT count(*) || coalesce(': ' || string_agg(format('%s %s %s %s %s %s', side, period, what, account, commodity, amount), '; '), '')
  FROM (SELECT * FROM diff ORDER BY 2, 3, 4, 5 LIMIT 10) x;
SQL
)
	[ "$bad" = 0 ] || fail "the consolidated trial balance and hledger over the union of the books' journals disagree: $bad"
	note "ok: every opening, change and closing of every account over all books agrees with hledger ($(wc -l < "$WORK/hledger.csv") figures)"
else
	note "skipped: the cross-check with hledger (not installed)"
fi
