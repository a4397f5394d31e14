#!/usr/bin/env bash
# bench/router.sh — ledger_router: the price of the extra hop, and transfers.
#
#   direct    ledger.post of a 2-entry voucher on two random wallets, on the node
#   routed    the same through ledger_router.post on the router (PL/Proxy)
#   transfer  ledger_router.transfer between wallets of two books on two nodes
#             (two vouchers, one on each node), against two direct postings
#   noop      the hop alone: SELECT 1 on the node, against a PL/Proxy function
#             on the router that runs SELECT 1 on the node of a book the way
#             the routed functions do (the processes stay busy: no one waits)
#   touch     the hop of the smallest call that commits: a one-row INSERT into
#             a table of the node (the commit waits for its WAL flush, as a
#             post's does), directly and routed as noop is.  Its price is the
#             floor of a routed post's, whatever the routed function does: the
#             best ratio a routed post can reach is post / (post + that price)
#
# Starts its own clusters (a router and two nodes, tmp_check/bench-router-*,
# fsync and synchronous_commit on) and stops them at the end.  The workloads
# alternate over several rounds; medians are compared.  Prints a table.
#
# Each workload runs in two placements (on a machine with 2 cores or more):
#   shared  the router, the nodes and pgbench float over all cores: the router's
#           work takes CPU from the node it calls
#   apart   the nodes' processes on the last core, the router's and pgbench's on
#           the others (taskset), for the direct posts as for the routed ones: the
#           router is on its own machine, as it is deployed, and the node's CPU
#           is the node's alone
# and the CPU time each cluster spent per transaction (all its processes, from
# /proc) is reported: the router's own overhead, and what a routed call costs
# the node beyond a direct one.
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
-- the idempotency keys of the benchmark: unlogged, so that the key (which a
-- client brings in real life) never costs a WAL flush of its own
CREATE UNLOGGED SEQUENCE public.key_seq;
-- the smallest call that commits (bench only)
CREATE TABLE public.touch_t (x int);
CREATE FUNCTION public.touch() RETURNS int LANGUAGE sql AS 'INSERT INTO public.touch_t VALUES (1) RETURNING 1';
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
CREATE UNLOGGED SEQUENCE public.key_seq;
-- the hop alone, routed as ledger_router.post is (bench only)
CREATE FUNCTION public.noop(book text) RETURNS int LANGUAGE plproxy AS \$\$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT 1::int AS noop;
\$\$;
CREATE FUNCTION public.touch(book text) RETURNS int LANGUAGE plproxy AS \$\$
	CLUSTER 'ledger_router';
	RUN ON ledger_router._partition(book);
	SELECT public.touch() AS touch;
\$\$;
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

echo 'SELECT 1;' >"$out/noop_direct.sql"
echo "SELECT public.noop('a');" >"$out/noop_routed.sql"
echo 'SELECT public.touch();' >"$out/touch_direct.sql"
echo "SELECT public.touch('a');" >"$out/touch_routed.sql"

# CPU time (clock ticks) a cluster has spent: its postmaster, the children it
# has reaped, and the children alive
cluster_ticks() {
	local pm s c t
	pm=$(head -n 1 "$LEDGER_TMP/bench-router-$1/data/postmaster.pid")
	s=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat")
	for c in $(pgrep -P "$pm"); do
		t=$(awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null) && s=$((s + t))
	done
	echo "$s"
}
hz=$(getconf CLK_TCK)
ncpu=$(nproc)
placements=shared
[ "$ncpu" -ge 2 ] && placements="shared apart"
# place PLACEMENT: move every process of the clusters (and so the backends they
# will start) to its cores; pgbench_cpus is where pgbench runs
place() {
	local c p pm rc_cpus node_cpus
	if [ "$1" = apart ]; then rc_cpus="0-$((ncpu - 2))" node_cpus=$((ncpu - 1))
	else rc_cpus="0-$((ncpu - 1))" node_cpus=$rc_cpus; fi
	pgbench_cpus=$rc_cpus
	for c in router node1 node2; do
		pm=$(head -n 1 "$LEDGER_TMP/bench-router-$c/data/postmaster.pid")
		for p in $pm $(pgrep -P "$pm"); do
			if [ $c = router ]; then taskset -a -p -c "$rc_cpus" "$p"; else taskset -a -p -c "$node_cpus" "$p"; fi >/dev/null 2>&1
		done
	done
}

# run WORKLOAD CLIENTS: pgbench on the node (direct) or the router; prints
# tps and the CPU milliseconds per transaction of the router and of the nodes
run() {
	local w=$1 c=$2 log="$out/$1.$2.log" rc r0 n0 r1 n1
	case $w in direct|noop_direct|touch_direct) router_node_env 1; db=book1 ;; *) router_env; db=router ;; esac
	r0=$(cluster_ticks router) n0=$(( $(cluster_ticks node1) + $(cluster_ticks node2) ))
	taskset -c "$pgbench_cpus" pgbench -n -M prepared -c "$c" -j "$c" -T "$secs" -f "$out/$w.sql" "$db" >"$log" 2>&1
	rc=$?
	sleep 0.2   # the backends exit and are reaped
	r1=$(cluster_ticks router) n1=$(( $(cluster_ticks node1) + $(cluster_ticks node2) ))
	local tps; tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$log")
	local failed; failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
	local done_; done_=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
	if [ $rc -ne 0 ] || [ -z "$tps" ] || [ "${failed:-0}" -ne 0 ] || [ "${done_:-0}" -eq 0 ]; then cat "$log" >&2; ledger_die "pgbench $w with $c clients failed"; fi
	echo "$tps $(calc "($r1 - $r0) * 1000 / $hz / $done_" 3) $(calc "($n1 - $n0) * 1000 / $hz / $done_" 3)"
}

place shared
for w in direct routed transfer noop_direct noop_routed touch_direct touch_routed; do secs=2 run $w 2 >/dev/null; done
declare -A tps rcpu ncpu_
for r in $(seq 1 "$rounds"); do
	for p in $placements; do
		place "$p"
		for c in $clients; do
			for w in direct routed transfer noop_direct noop_routed touch_direct touch_routed; do
				read -r t rc_ nc_ < <(run $w "$c")
				[ -n "$t" ] || exit 1
				tps[$p.$w.$c]="${tps[$p.$w.$c]:-} $t"
				rcpu[$p.$w.$c]="${rcpu[$p.$w.$c]:-} $rc_"
				ncpu_[$p.$w.$c]="${ncpu_[$p.$w.$c]:-} $nc_"
			done
		done
	done
done
place shared

# the books hold, every transfer is one pair
router_env
bad=$(q router -c "SELECT count(*) FROM ledger_router.check_books(ledger_router.current_book_date('a')) WHERE NOT ok")
[ "$bad" = 0 ] || ledger_die "the books do not hold after the benchmark: $(q router -c "SELECT * FROM ledger_router.check_books(ledger_router.current_book_date('a')) WHERE NOT ok")"
n1=$(router_node_env 1; q book1 -c "SELECT count(*) FROM ledger.voucher WHERE idempotency_key LIKE 't%:from'")
n2=$(router_node_env 2; q book2 -c "SELECT count(*) FROM ledger.voucher WHERE idempotency_key LIKE 't%:to'")
[ "$n1" = "$n2" ] || ledger_die "transfers: $n1 first halves but $n2 second halves"

echo "ledger_router, $rounds rounds of ${secs}s, $ncpu cores, load $(cut -d' ' -f1-3 /proc/loadavg); fsync and synchronous_commit on"
echo
echo "| workload | placement | clients | tps (median) | baseline | baseline tps | ratio | target |"
echo "|---|---|---:|---:|---|---:|---:|---|"
for p in $placements; do
	for c in $clients; do
		d=$(median ${tps[$p.direct.$c]}); r=$(median ${tps[$p.routed.$c]}); t=$(median ${tps[$p.transfer.$c]})
		echo "| routed post (2 entries) | $p | $c | $(calc "$r" 0) | direct post on the node | $(calc "$d" 0) | $(calc "$r / $d") | ≥ 0.80 |"
		echo "| transfer (2 vouchers on 2 nodes) | $p | $c | $(calc "$t" 0) | two direct posts | $(calc "$d / 2" 0) | $(calc "$t * 2 / $d") | — |"
	done
done
echo
echo "The hop alone: SELECT 1, and the smallest call that commits (a one-row INSERT), on the node and through PL/Proxy"
echo "(ms per call = clients / tps; the best ratio a routed post can reach is post / (post + the committing call's hop)):"
echo
echo "| placement | clients | SELECT 1: direct, routed, hop (ms) | one-row INSERT: direct, routed, hop (ms) | direct post (ms) | routed post (ms) | the routed post beyond that hop (ms) | best routed / direct a post can reach |"
echo "|---|---:|---|---|---:|---:|---:|---:|"
ms() { calc "$1 * 1000 / $2" 3; }
for p in $placements; do
	for c in $clients; do
		nd=$(ms "$c" "$(median ${tps[$p.noop_direct.$c]})") nr=$(ms "$c" "$(median ${tps[$p.noop_routed.$c]})")
		td=$(ms "$c" "$(median ${tps[$p.touch_direct.$c]})") tr=$(ms "$c" "$(median ${tps[$p.touch_routed.$c]})")
		pd=$(ms "$c" "$(median ${tps[$p.direct.$c]})") pr=$(ms "$c" "$(median ${tps[$p.routed.$c]})")
		hop=$(calc "$tr - $td" 3)
		echo "| $p | $c | $nd, $nr, $(calc "$nr - $nd" 3) | $td, $tr, $hop | $pd | $pr | $(calc "$pr - $pd - $hop" 3) | $(calc "$pd / ($pd + $hop)") |"
	done
done
echo
echo "CPU milliseconds per transaction (medians; all processes of each cluster, from /proc):"
echo
echo "| workload | placement | clients | router | nodes | nodes, beyond the direct post(s) | router + nodes, against the direct post(s) |"
echo "|---|---|---:|---:|---:|---:|---:|"
for p in $placements; do
	for c in $clients; do
		nd=$(median ${ncpu_[$p.direct.$c]}) nr=$(median ${ncpu_[$p.routed.$c]}) nt=$(median ${ncpu_[$p.transfer.$c]})
		rr=$(median ${rcpu[$p.routed.$c]}) rt=$(median ${rcpu[$p.transfer.$c]})
		echo "| direct post on the node | $p | $c | — | $(calc "$nd" 3) | — | — |"
		echo "| routed post | $p | $c | $(calc "$rr" 3) | $(calc "$nr" 3) | $(calc "$nr - $nd" 3) | $(calc "($rr + $nr) / $nd")× |"
		echo "| transfer | $p | $c | $(calc "$rt" 3) | $(calc "$nt" 3) | $(calc "$nt - 2 * $nd" 3) | $(calc "($rt + $nt) / (2 * $nd)")× |"
	done
done
echo
echo "($n1 transfers checked: one voucher on each node for every key; check_books passes on both books and for the clearing accounts)"
