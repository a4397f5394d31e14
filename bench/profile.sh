#!/usr/bin/env bash
# bench/profile.sh — where the time of one P1 ledger.post goes.
#
#   1. Instructions: callgrind on one backend (single-user mode) executing N
#      prepared P1 posts, then N prepared P1 baseline statements, after a
#      warm-up that loads every account into the backend's cache and touches
#      every page both sides use.  Each part is dumped on its own; prints the
#      instructions per transaction of each side and the inclusive and
#      exclusive shares of the main functions of the ledger side.
#   2. Commit wait: pgbench -c 1 latency of both sides with
#      synchronous_commit on and off (alternating rounds), whose difference is
#      the time spent waiting for the commit record to reach the disk.
#
# Usage: bench/profile.sh [N]    (N transactions per side, default 2000)
# Needs valgrind.  Output and the callgrind files: tmp_check/profile-out/.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/tools/pgenv.sh"
n=${1:-2000}
out="$LEDGER_TMP/profile-out"
db=ledger_profile

command -v valgrind >/dev/null || ledger_die "valgrind is needed (apt-get install valgrind)"
mkdir -p "$LEDGER_TMP"
ledger_ensure_deps
ledger_build
ledger_cluster_start profile "fsync = on" "synchronous_commit = on" "shared_buffers = 512MB"
trap 'ledger_cluster_stop profile' EXIT
rm -rf "$out"; mkdir -p "$out"
[ "$(id -u)" -eq 0 ] && chown postgres: "$out"

q() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$db" "$@"; }
psql -X -q -d postgres -c "CREATE DATABASE $db" >/dev/null || ledger_die "could not create $db"
q -v start=2026-01-01 -f "$top/bench/setup.sql" >/dev/null || ledger_die "setup failed"
q -f "$top/bench/plain.sql" >/dev/null || ledger_die "baseline setup failed"

# ---------------------------------------------------------------------------
# 2. commit wait (the server is up now)
# ---------------------------------------------------------------------------

if [ "${SKIP_LATENCY:-0}" = 0 ]; then
echo "== pgbench -c 1 -T 5, synchronous_commit on / off, 3 alternating rounds"
declare -A lat
for r in 1 2 3; do
	for s in p1_post p1_plain; do
		for sc in on off; do
			l=$(PGOPTIONS="-c synchronous_commit=$sc" pgbench -n -M prepared -c 1 -T 5 -f "$top/bench/$s.sql" $db 2>&1 |
				sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
			[ -n "$l" ] || ledger_die "pgbench $s failed"
			lat[$s:$sc]="${lat[$s:$sc]:-} $l"
		done
	done
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for s in p1_post p1_plain; do
	on=$(median ${lat[$s:on]}); off=$(median ${lat[$s:off]})
	awk -v s="$s" -v on="$on" -v off="$off" 'BEGIN {
		printf "   %-9s latency %.3f ms with synchronous_commit = on, %.3f ms off: %.3f ms (%.0f%%) waiting for the WAL flush at commit\n",
			s, on, off, on - off, 100 * (on - off) / on }'
done
fi

# ---------------------------------------------------------------------------
# 1. instructions
# ---------------------------------------------------------------------------

q <<'SQL' >/dev/null
-- touches every wallet once, so that the measured posts find them all in the
-- backend's account cache
CREATE FUNCTION bench.warm_accounts() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	FOR i IN 1..10000 BY 4 LOOP
		PERFORM ledger.post('warm-' || i,
			ARRAY[(100000 + i)::text, (100001 + i)::text, (100002 + i)::text, (100003 + i)::text],
			ARRAY[ledger.amount_of_units(1, 'CNY'), ledger.amount_of_units(-1, 'CNY'),
			      ledger.amount_of_units(1, 'CNY'), ledger.amount_of_units(-1, 'CNY')]);
	END LOOP;
END $$;
SQL
ledger_cluster_stop profile

post_sql=$(sed -n '/^SELECT ledger.post/,$p' "$top/bench/p1_post.sql" | tr '\n\t' '  ' |
	sed 's/:ca/$1/; s/:cb/$2/; s/:cc/$3/; s/:cd/$4/; s/:x/$5/; s/:nx/$6/; s/:y/$7/; s/:ny/$8/')
plain_sql=$(sed -n '/^WITH v AS/,$p' "$top/bench/p1_plain.sql" | tr '\n\t' '  ' |
	sed 's/:a::bigint/$1/; s/:b,/$2,/; s/:c,/$3,/; s/:d,/$4,/; s/:x::bigint/$5/; s/:nx)/$6)/; s/:y)/$7)/; s/:ny)/$8)/')
statements() {	# statements NAME COUNT
	local i a b c d x y
	for ((i = 0; i < $2; i++)); do
		a=$((RANDOM % 10000 + 1)) b=$((RANDOM % 10000 + 1)) c=$((RANDOM % 10000 + 1)) d=$((RANDOM % 10000 + 1))
		x=$((RANDOM % 10000 + 1)) y=$((RANDOM % 10000 + 1))
		if [ "$1" = post ]; then
			echo "EXECUTE post('$((100000 + a))', '$((100000 + b))', '$((100000 + c))', '$((100000 + d))', $x, -$x, $y, -$y)"
		else
			echo "EXECUTE plain($a, $b, $c, $d, $x, -$x, $y, -$y)"
		fi
	done
}
wait_for() {	# wait_for MARK: the single-user backend has answered up to MARK
	local i
	for ((i = 0; i < 6000; i++)); do
		grep -q "$1" "$out/single.log" 2>/dev/null && return 0
		sleep 0.1
	done
	ledger_die "the profiled backend did not answer (see $out/single.log)"
}

bindir=$("$(ledger_pg_config)" --bindir)
mkfifo "$out/in"
[ "$(id -u)" -eq 0 ] && chown postgres: "$out/in"
echo "== callgrind: one single-user backend, $n prepared P1 posts, then $n baseline statements"
ledger_as_server valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" --dump-instr=no \
	"$bindir/postgres" --single -D "$PGDATA" $db <"$out/in" >"$out/single.log" 2>"$out/valgrind.log" &
vg=$!
exec 3>"$out/in"
pid=""
for ((i = 0; i < 100 && ${#pid} == 0; i++)); do
	sleep 0.1
	pid=$(pgrep -u "$(ledger_server_user)" -f -- "--callgrind-out-file=$out/callgrind.out" | head -1)
done
[ -n "$pid" ] || ledger_die "valgrind did not start (see $out/valgrind.log)"
{
	echo "PREPARE post(text, text, text, text, bigint, bigint, bigint, bigint) AS $post_sql"
	echo "PREPARE plain(bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint) AS $plain_sql"
	echo "SELECT bench.warm_accounts()"
	statements post 300
	statements plain 300
	echo "SELECT 'warm-done'"
} >&3
wait_for warm-done
ledger_as_server callgrind_control -z "$pid" >/dev/null 2>&1 || ledger_die "callgrind_control could not reach the backend"
{ statements post "$n"; echo "SELECT 'post-done'"; } >&3
wait_for post-done
ledger_as_server callgrind_control -d post "$pid" >/dev/null 2>&1
{ statements plain "$n"; echo "SELECT 'plain-done'"; } >&3
wait_for plain-done
ledger_as_server callgrind_control -d plain "$pid" >/dev/null 2>&1
exec 3>&-
wait $vg
grep -q ERROR "$out/single.log" && { grep -m3 ERROR "$out/single.log"; ledger_die "a profiled statement failed"; }

post_file=$(grep -l "^desc: Trigger: Client Request: post" "$out"/callgrind.out* 2>/dev/null | head -1)
[ -n "$post_file" ] || post_file=$(ls "$out"/callgrind.out.* | sort -t. -k3 -n | sed -n 1p)
plain_file=$(grep -l "plain" "$out"/callgrind.out* 2>/dev/null | head -1)
[ -n "$plain_file" ] || plain_file=$(ls "$out"/callgrind.out.* | sort -t. -k3 -n | sed -n 2p)
total() { sed -n 's/^summary: *\([0-9]*\).*/\1/p; s/^totals: *\([0-9]*\).*/\1/p' "$1" | head -1; }
tp=$(total "$post_file"); tb=$(total "$plain_file")
awk -v p="$tp" -v b="$tb" -v n="$n" 'BEGIN {
	printf "   instructions per transaction: ledger.post %.0f, plain SQL %.0f (ratio %.2f)\n", p / n, b / n, p / b }'

annotate() { callgrind_annotate --threshold=100 --auto=no "$@" 2>/dev/null; }
annotate --inclusive=yes "$post_file" >"$out/post-inclusive.txt"
annotate --inclusive=no "$post_file" >"$out/post-exclusive.txt"
annotate --inclusive=yes "$plain_file" >"$out/plain-inclusive.txt"
share() {	# share FILE TOTAL: function name and share of the total, from callgrind_annotate
	awk -v t="$2" -v n="$n" '/^ *[0-9,]+ +\( *[0-9.]+%\) / {
		v = $1; gsub(",", "", v)
		f = $0; sub(/^[^)]*\) +/, "", f); sub(/ \[.*$/, "", f); sub(/^[^:]*:/, "", f)
		if (f ~ /^0x|below main|libc_start|^main$|PostgresSingleUserMain|PostgresMain|PROGRAM TOTALS/) next
		if (seen[f]++) next
		printf "   %6.1f%%  %9.0f/txn  %s\n", 100 * v / t, v / n, f }' "$1"
}
echo ""
echo "== ledger.post, inclusive (the function and everything it calls), top 45"
share "$out/post-inclusive.txt" "$tp" | head -45
echo ""
echo "== ledger.post, exclusive (the function's own instructions), top 20"
share "$out/post-exclusive.txt" "$tp" | head -20
awk -v t="$tp" '/^ *[0-9,]+ +\( *[0-9.]+%\) .*:0x/ && !/\(100.0%\)/ { v = $1; gsub(",", "", v); s += v }
	END { printf "   (%.1f%% in static functions of the server, which its stripped binary does not name)\n", 100 * s / t }' \
	"$out/post-exclusive.txt"
echo ""
echo "== plain baseline, inclusive, top 25"
share "$out/plain-inclusive.txt" "$tb" | head -25
echo ""
echo "Files: $out (callgrind_annotate --inclusive=yes $post_file)"
