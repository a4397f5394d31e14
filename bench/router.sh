#!/usr/bin/env bash
# bench/router.sh — ledger_router: the price of the extra hop, and transfers.
#
#   direct    ledger.post of a 2-entry voucher on two random wallets, on the node
#   routed    the same through ledger_router.post on the router (PL/Proxy)
#   transfer  ledger_router.transfer between wallets of two books on two nodes
#             (two vouchers, one on each node), against two direct postings
#
# Starts its own clusters (a router and two nodes, tmp_check/bench-router-*,
# fsync and synchronous_commit on) and stops them at the end.  The workloads
# alternate over several rounds; medians are compared.  Prints a table.
#
# Usage: bench/router.sh [--secs S] [--rounds N] [--clients "1 4"]
#   BENCH_ROUTER_PORT  the router's port, the nodes the next two (default 54370)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/tools/pgenv.sh"
source "$top/tools/router_env.sh"
secs=5 rounds=3 clients="1 4"
while [ $# -gt 0 ]; do
	case $1 in
		--secs) secs=$2; shift ;;
		--rounds) rounds=$2; shift ;;
		--clients) clients=$2; shift ;;
		*) echo "usage: $0 [--secs S] [--rounds N] [--clients LIST]" >&2; exit 2 ;;
	esac
	shift
done
port=${BENCH_ROUTER_PORT:-54370}
out="$LEDGER_TMP/bench-router-out"
rm -rf "$out"; mkdir -p "$out"
[ "$(id -u)" -eq 0 ] && chmod 777 "$out"

mkdir -p "$LEDGER_TMP"
if [ -z "${LEDGER_BUILT:-}" ]; then   # (bench/run.sh has built and installed already)
	ledger_ensure_deps
	ledger_build
fi
router_clusters_start bench-router "$port" 2 "fsync = on" "synchronous_commit = on" || ledger_die "could not start the clusters"
trap 'router_clusters_stop bench-router 2' EXIT

q() { local db=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -At -d "$db" "$@"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }

for i in 1 2; do
	router_node_env $i
	q postgres -c "CREATE DATABASE book$i" >/dev/null
	q book$i >/dev/null <<'SQL' || ledger_die "setup of node $i failed"
CREATE EXTENSION ledger;
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES
	('bank', 'bank', 'asset', 'CNY', true), ('clearing', 'inter-book clearing', 'common', 'CNY', true);
INSERT INTO ledger.account (code, name, kind, currency) SELECT 'w' || i, 'wallet ' || i, 'liability', 'CNY' FROM generate_series(1, 10000) i;
CREATE SEQUENCE public.key_seq;
SQL
done
router_env
q postgres -c "CREATE DATABASE router" >/dev/null
q router >/dev/null <<SQL || ledger_die "setup of the router failed"
SET client_min_messages = warning;
CREATE EXTENSION ledger_router CASCADE;
SELECT ledger_router.add_book('a', '$(router_connstr 1 book1)');
SELECT ledger_router.add_book('b', '$(router_connstr 2 book2)');
INSERT INTO ledger_router.clearing (book, counterparty_book, account) VALUES ('a', 'b', 'clearing'), ('b', 'a', 'clearing');
CREATE SEQUENCE public.key_seq;
SQL

cat >"$out/direct.sql" <<'EOF2'
\set a random(1, 10000)
\set b random(1, 10000)
\set x random(1, 10000)
\set nx 0 - :x
SELECT ledger.post('d' || nextval('public.key_seq'), ARRAY['w' || :a, 'w' || :b],
	ARRAY[ledger.amount_of_units(:x, 'CNY'), ledger.amount_of_units(:nx, 'CNY')]);
EOF2
cat >"$out/routed.sql" <<'EOF2'
\set a random(1, 10000)
\set b random(1, 10000)
\set x random(1, 10000)
\set nx 0 - :x
SELECT ledger_router.post('a', 'r' || nextval('public.key_seq'), ARRAY['w' || :a, 'w' || :b],
	ARRAY[ledger.amount_of_units(:x, 'CNY'), ledger.amount_of_units(:nx, 'CNY')]);
EOF2
cat >"$out/transfer.sql" <<'EOF2'
\set a random(1, 10000)
\set b random(1, 10000)
\set x random(1, 10000)
\set nx 0 - :x
SELECT * FROM ledger_router.transfer('t' || nextval('public.key_seq'), 'a', 'w' || :a, 'b', 'w' || :b,
	ledger.amount_of_units(:x, 'CNY'));
EOF2

# run WORKLOAD CLIENTS: pgbench on the node (direct) or the router; prints tps
run() {
	local w=$1 c=$2 log="$out/$1.$2.log" rc
	if [ "$w" = direct ]; then router_node_env 1; db=book1; else router_env; db=router; fi
	pgbench -n -M prepared -c "$c" -j "$c" -T "$secs" -f "$out/$w.sql" "$db" >"$log" 2>&1
	rc=$?
	local tps; tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$log")
	local failed; failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
	if [ $rc -ne 0 ] || [ -z "$tps" ] || [ "${failed:-0}" -ne 0 ]; then cat "$log" >&2; ledger_die "pgbench $w with $c clients failed"; fi
	echo "$tps"
}

for w in direct routed transfer; do secs=2 run $w 2 >/dev/null; done
declare -A all
for r in $(seq 1 "$rounds"); do
	for c in $clients; do
		for w in direct routed transfer; do
			all[$w.$c]="${all[$w.$c]:-} $(run $w "$c")"
		done
	done
done

# the books hold, every transfer is one pair
router_env
bad=$(q router -c "SELECT count(*) FROM ledger_router.check_books(ledger_router.current_book_date('a')) WHERE NOT ok")
[ "$bad" = 0 ] || ledger_die "the books do not hold after the benchmark: $(q router -c "SELECT * FROM ledger_router.check_books(ledger_router.current_book_date('a')) WHERE NOT ok")"
n1=$(router_node_env 1; q book1 -c "SELECT count(*) FROM ledger.voucher WHERE idempotency_key LIKE 't%:from'")
n2=$(router_node_env 2; q book2 -c "SELECT count(*) FROM ledger.voucher WHERE idempotency_key LIKE 't%:to'")
[ "$n1" = "$n2" ] || ledger_die "transfers: $n1 first halves but $n2 second halves"

echo "ledger_router, $rounds rounds of ${secs}s, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); fsync and synchronous_commit on"
echo
echo "| workload | clients | tps (median) | baseline | baseline tps | ratio | target |"
echo "|---|---:|---:|---|---:|---:|---|"
for c in $clients; do
	d=$(median ${all[direct.$c]}); r=$(median ${all[routed.$c]}); t=$(median ${all[transfer.$c]})
	echo "| routed post (2 entries) | $c | $(calc "$r" 0) | direct post on the node | $(calc "$d" 0) | $(calc "$r / $d") | ≥ 0.80 |"
	echo "| transfer (2 vouchers on 2 nodes) | $c | $(calc "$t" 0) | two direct posts | $(calc "$d / 2" 0) | $(calc "$t * 2 / $d") | — |"
done
echo
echo "($n1 transfers checked: one voucher on each node for every key; check_books passes on both books and for the clearing accounts)"
