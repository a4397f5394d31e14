#!/usr/bin/env bash
# bench/recon.sh — reconciliation throughput.
#
#   recon_diff    GROUP BY ref over a UNION ALL of the two sides, the C aggregate
#   full join     the same classification written by hand: each side grouped by
#                 ref, FULL OUTER JOIN, CASE (the baseline)
#   reconcile     CALL ledger.reconcile on vouchers and statement lines of the
#                 same volume
#
# N internal and N external records with about 1% of each break class.  The
# two queries run alternately for several rounds in the same session settings;
# their results are compared before any figure is printed.  A last run with a
# small work_mem shows the aggregate spilling to disk instead of running out
# of memory.  Prints throughput and ratios.
#
# Needs a running cluster where the extension can be created (PGHOST, PGPORT,
# PGUSER as for psql).  Usage: bench/recon.sh [--quick] [--rounds N]
#   --quick   100,000 records a side instead of 1,000,000 (smoke run)
set -euo pipefail

n=1000000
rounds=3
while [ $# -gt 0 ]; do
	case $1 in
		--quick) n=100000 ;;
		--rounds) rounds=$2; shift ;;
		*) echo "usage: $0 [--quick] [--rounds N]" >&2; exit 2 ;;
	esac
	shift
done

db=${BENCH_DB:-ledger_bench_recon}
work_mem=${BENCH_WORK_MEM:-64MB}
small_work_mem=${BENCH_SMALL_WORK_MEM:-1MB}

q() { psql -X -q -v ON_ERROR_STOP=1 --pset=pager=off -d "$db" "$@"; }
now_ms() { date +%s%3N; }
# serial plans: with a UNION ALL the planner cannot estimate the number of refs
# and would aggregate partially in workers, which only pays on more cores
settings="SET work_mem = '$work_mem'; SET search_path = public, ledger; SET max_parallel_workers_per_gather = 0;"
par_settings="SET work_mem = '$work_mem'; SET search_path = public, ledger; SET max_parallel_workers_per_gather = 2;"

echo "== reconciliation benchmark: $n internal vs $n external records, $rounds rounds"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
q -c "CREATE EXTENSION ledger"

# ---------------------------------------------------------------------------
# data: ref R<g>; about 1% of refs in each class
#   g % 100 = 1  only on the statement          (missing_internal)
#   g % 100 = 2  only in our books              (missing_external)
#   g % 100 = 3  amounts differ by 0.01         (amount_mismatch)
#   g % 100 = 4  statuses differ                (status_mismatch)
#   g % 100 = 5  twice on the statement         (duplicate)
# ---------------------------------------------------------------------------
t0=$(now_ms)
q <<SQL
CREATE TABLE bench_int (ref text, amount ledger.amount, status text);
CREATE TABLE bench_ext (ref text, amount ledger.amount, status text);
INSERT INTO bench_int
	SELECT 'R' || g, ledger.amount_of_units(100 + g % 50000, 'CNY'), 'success'
	  FROM generate_series(1, $n) g WHERE g % 100 <> 1;
INSERT INTO bench_ext
	SELECT 'R' || g, ledger.amount_of_units(100 + g % 50000 + CASE WHEN g % 100 = 3 THEN 1 ELSE 0 END, 'CNY'),
	       CASE WHEN g % 100 = 4 THEN 'closed' ELSE 'success' END
	  FROM generate_series(1, $n) g WHERE g % 100 <> 2;
INSERT INTO bench_ext
	SELECT 'R' || g, ledger.amount_of_units(100 + g % 50000, 'CNY'), 'success'
	  FROM generate_series(1, $n) g WHERE g % 100 = 5;
VACUUM ANALYZE bench_int;
VACUUM ANALYZE bench_ext;
SQL
echo "data loaded in $(( $(now_ms) - t0 )) ms"

agg_query="SELECT class, count(*) AS keys, sum(internal_count) AS internal, sum(external_count) AS external,
       ledger.sum(internal_amount) AS internal_amount, ledger.sum(external_amount) AS external_amount,
       ledger.sum(difference) AS difference
  FROM (SELECT ref, (r).* FROM (
          SELECT ref, ledger.recon_diff(side, amount, status) AS r
            FROM (SELECT 'internal' AS side, ref, amount, status FROM bench_int
                  UNION ALL
                  SELECT 'external', ref, amount, status FROM bench_ext) u
           GROUP BY ref) s) c
 GROUP BY class ORDER BY class"

join_query="SELECT class, count(*) AS keys, sum(internal_count) AS internal, sum(external_count) AS external,
       ledger.sum(internal_amount) AS internal_amount, ledger.sum(external_amount) AS external_amount,
       ledger.sum(difference) AS difference
  FROM (SELECT COALESCE(i.ref, e.ref) AS ref,
               CASE WHEN i.n > 1 OR e.n > 1 THEN 'duplicate'
                    WHEN i.ref IS NULL THEN 'missing_internal'
                    WHEN e.ref IS NULL THEN 'missing_external'
                    WHEN i.amount <> e.amount THEN 'amount_mismatch'
                    WHEN i.status IS DISTINCT FROM e.status THEN 'status_mismatch'
                    ELSE 'matched' END AS class,
               COALESCE(i.n, 0) AS internal_count, COALESCE(e.n, 0) AS external_count,
               i.amount AS internal_amount, e.amount AS external_amount,
               i.amount - e.amount AS difference
          FROM (SELECT ref, count(*) AS n, ledger.sum(amount) AS amount, min(status) AS status
                  FROM bench_int GROUP BY ref) i
          FULL JOIN (SELECT ref, count(*) AS n, ledger.sum(amount) AS amount, min(status) AS status
                       FROM bench_ext GROUP BY ref) e ON e.ref = i.ref) c
 GROUP BY class ORDER BY class"

# the timed forms: the class of every key, counted per class (the full forms
# above add sums over the result that cost the same for both and would only
# dilute the comparison)
agg_timed="SELECT class, count(*) FROM (SELECT ref, (ledger.recon_diff(side, amount, status)).class
            FROM (SELECT 'internal' AS side, ref, amount, status FROM bench_int
                  UNION ALL
                  SELECT 'external', ref, amount, status FROM bench_ext) u
           GROUP BY ref) c GROUP BY class ORDER BY class"
join_timed="SELECT class, count(*) FROM (SELECT CASE WHEN i.n > 1 OR e.n > 1 THEN 'duplicate'
                    WHEN i.ref IS NULL THEN 'missing_internal'
                    WHEN e.ref IS NULL THEN 'missing_external'
                    WHEN i.amount <> e.amount THEN 'amount_mismatch'
                    WHEN i.status IS DISTINCT FROM e.status THEN 'status_mismatch'
                    ELSE 'matched' END AS class
          FROM (SELECT ref, count(*) AS n, ledger.sum(amount) AS amount, min(status) AS status
                  FROM bench_int GROUP BY ref) i
          FULL JOIN (SELECT ref, count(*) AS n, ledger.sum(amount) AS amount, min(status) AS status
                       FROM bench_ext GROUP BY ref) e ON e.ref = i.ref) c GROUP BY class ORDER BY class"

# the two must agree before anything is timed
a=$(q -At -c "$settings" -c "$agg_query")
b=$(q -At -c "$settings" -c "$join_query")
at=$(q -At -c "$settings" -c "$agg_timed")
bt=$(q -At -c "$settings" -c "$join_timed")
if [ "$a" != "$b" ] || [ "$at" != "$bt" ]; then
	echo "recon_diff and the full join disagree:" >&2
	diff <(echo "$a") <(echo "$b") >&2 || true
	exit 1
fi
echo
echo "results agree (class | keys | internal records | external records | internal | external | difference):"
echo "$a" | sed 's/^/  /'

time_query() {	# prints milliseconds; $2: settings
	local t; t=$(now_ms)
	q -c "${2:-$settings}" -c "$1" >/dev/null
	echo $(( $(now_ms) - t ))
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
small_settings="SET work_mem = '$small_work_mem'; SET search_path = public, ledger; SET max_parallel_workers_per_gather = 0;"

# alternate the two queries, round after round, under the given settings;
# sets agg_ms and join_ms to the medians
compare() {	# compare LABEL SETTINGS
	local label=$1 set=$2 r ta tj
	local at_=() jt_=()
	[ "$(q -At -c "$set" -c "$agg_timed")" = "$at" ] || { echo "recon_diff disagrees under $label" >&2; exit 1; }
	for r in $(seq 1 "$rounds"); do
		ta=$(time_query "$agg_timed" "$set"); at_+=("$ta")
		tj=$(time_query "$join_timed" "$set"); jt_+=("$tj")
		echo "$label round $r: recon_diff $ta ms, full join $tj ms"
	done
	agg_ms=$(median "${at_[@]}")
	join_ms=$(median "${jt_[@]}")
}
compare "work_mem $work_mem" "$settings"
big_agg_ms=$agg_ms
big_join_ms=$join_ms
compare "work_mem $small_work_mem" "$small_settings"
small_agg_ms=$agg_ms
small_join_ms=$join_ms
echo "with work_mem = $small_work_mem the aggregate spills to disk instead of running out of memory:"
q -c "$small_settings" \
	-c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT ref, ledger.recon_diff(side, amount, status)
	      FROM (SELECT 'internal' AS side, ref, amount, status FROM bench_int
	            UNION ALL SELECT 'external', ref, amount, status FROM bench_ext) u GROUP BY ref" |
	grep -E 'Aggregate|Batches|Disk' | sed 's/^/  /'

# the same with two parallel workers (partial aggregation), for information
par=$(q -At -c "$par_settings" -c "$agg_query")
[ "$par" = "$a" ] || { echo "parallel recon_diff disagrees with the serial one" >&2; exit 1; }
par_times=()
for r in $(seq 1 "$rounds"); do
	par_times+=("$(time_query "$agg_timed" "$par_settings")")
done
par_ms=$(median "${par_times[@]}")
echo "recon_diff with 2 parallel workers: ${par_times[*]} ms (same result as serial)"

# ---------------------------------------------------------------------------
# ledger.reconcile on the same volume: vouchers on a clearing account and
# statement lines of the open day
# ---------------------------------------------------------------------------
t0=$(now_ms)
q <<SQL
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('B1122', 'Bench channel receivable', 'asset', 'CNY'),
	('B2241', 'Bench wallets', 'liability', 'CNY');
UPDATE ledger.account SET reconcilable = true WHERE code = 'B1122';
SET search_path = public, ledger;
BEGIN;
CREATE TEMP TABLE v AS SELECT nextval('ledger.voucher_id_seq') AS id, ref, amount FROM bench_int;
INSERT INTO ledger.voucher (id, idempotency_key, ref, summary) SELECT id, 'bench-' || id, ref, 'bench top-up' FROM v;
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount)
	SELECT v.id, 1, (SELECT id FROM ledger.account WHERE code = 'B1122'), v.amount FROM v
	UNION ALL
	SELECT v.id, 2, (SELECT id FROM ledger.account WHERE code = 'B2241'), -v.amount FROM v;
COMMIT;
INSERT INTO ledger.statement_line (source, statement_date, ref, external_id, amount, status)
	SELECT 'benchpay', ledger.current_book_date(), ref, 'X' || row_number() OVER (), amount, status FROM bench_ext;
VACUUM ANALYZE ledger.voucher;
VACUUM ANALYZE ledger.entry;
VACUUM ANALYZE ledger.statement_line;
SQL
echo
echo "posted $n vouchers and loaded the statement in $(( $(now_ms) - t0 )) ms"
rec_times=()
for r in $(seq 1 "$rounds"); do
	t=$(now_ms)
	q -c "$par_settings SET client_min_messages = warning; SET ledger.recon_grace_days = 0;" \
		-c "CALL ledger.reconcile('benchpay', ledger.current_book_date(), 'B1122')" >/dev/null
	rec_times+=("$(( $(now_ms) - t ))")
	echo "reconcile round $r (run $r of the date: re-runs replace the results): ${rec_times[-1]} ms"
done
rec_ms=$(median "${rec_times[@]}")
check=$(q -At -c "SELECT matched_count, missing_internal_count, missing_external_count, amount_mismatch_count,
		status_mismatch_count, duplicate_count, (SELECT count(*) FROM ledger.recon_break WHERE source = 'benchpay')
	FROM ledger.recon_run WHERE source = 'benchpay'")
want=$(echo "$a" | awk -F'|' '{c[$1]=$2} END {printf "%d|%d|%d|%d|%d|%d|%d", c["matched"], c["missing_internal"], c["missing_external"], c["amount_mismatch"], c["status_mismatch"], c["duplicate"], c["missing_internal"]+c["missing_external"]+c["amount_mismatch"]+c["status_mismatch"]+c["duplicate"]}')
if [ "$check" != "$want" ]; then
	echo "reconcile disagrees with recon_diff: $check, expected $want" >&2
	exit 1
fi
echo "reconcile found the same classes as recon_diff ($check)"

records=$(( 2 * n ))
echo
echo "== summary ($n + $n records, median of $rounds rounds, serial unless said)"
awk -v n="$records" -v ba="$big_agg_ms" -v bj="$big_join_ms" -v sa="$small_agg_ms" -v sj="$small_join_ms" \
	-v r="$rec_ms" -v p="$par_ms" -v wm="$work_mem" -v swm="$small_work_mem" 'BEGIN {
	printf "%-44s %10s %14s %8s\n", "workload", "ms", "records/s", "ratio"
	printf "%-44s %10d %14.0f %8s\n", "full join + CASE, work_mem " wm " (baseline)", bj, n / (bj / 1000), "1.00"
	printf "%-44s %10d %14.0f %8.2f\n", "recon_diff, work_mem " wm, ba, n / (ba / 1000), bj / ba
	printf "%-44s %10d %14.0f %8.2f\n", "full join + CASE, work_mem " swm, sj, n / (sj / 1000), bj / sj
	printf "%-44s %10d %14.0f %8.2f\n", "recon_diff, work_mem " swm " (spills)", sa, n / (sa / 1000), bj / sa
	printf "%-44s %10d %14.0f %8.2f\n", "recon_diff, 2 parallel workers, " wm, p, n / (p / 1000), bj / p
	printf "%-44s %10d %14.0f %8.2f\n", "CALL ledger.reconcile, " wm, r, n / (r / 1000), bj / r
	printf "\nratio = baseline time / workload time (above 1: faster than the baseline)\n"
	printf "recon_diff vs full join at the same work_mem: %.2fx (%s), %.2fx (%s)\n", bj / ba, wm, sj / sa, swm
	printf "CALL ledger.reconcile takes %.2fx the time of the bare aggregate\n", r / ba
}'
[ "${BENCH_KEEP:-0}" = 1 ] || psql -X -q -d postgres -c "DROP DATABASE $db"
