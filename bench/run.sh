#!/usr/bin/env bash
# bench/run.sh — `make bench`: the ledger's throughput beside plain-SQL
# baselines, on a throwaway cluster under tmp_check/.
#
#   P1  ledger.post of 4-entry vouchers on random wallets      vs the same rows by plain SQL
#   P2  the same with a hot fee account on every voucher        vs P1 (ledger.post)
#   P3  COPY of vouchers and entries in one transaction         vs COPY into plain tables
#   day-end  close_day, close time as history grows, trial_balance over closed days
#   reconciliation  bench/recon.sh, when that script exists
#   reconcile with a rule  bench/recon_rules.sh: tolerance, window and groups vs by key only
#   holds  H1 ledger.post on wallets carrying pending holds     vs the same on wallets without
#          H2 ledger.hold + ledger.post_hold                   vs one ledger.post (P1)
#          H3 ledger.account_history over a period              vs an indexed scan of the same entries
#   loaders  bench/loaders.sh: each statement loader beside COPY of the same file
#   P4  (--peers) 2-entry ledger.post vs pgledger's transfer (PGLEDGER_DIR=checkout)
#   router  bench/router.sh: ledger_router.post vs ledger.post on the node, transfers
#
# Each workload runs beside its baseline in the same run, alternating over
# several rounds; the median of each side is compared.  After every run of a
# ledger workload the books are verified on the real tables (bench/verify.sql)
# and the run stops with an error if they do not hold.
#
# Usage: bench/run.sh [--full] [--peers] [--only LIST]
#   --full     longer rounds and full volumes (about an hour)
#   --peers    also P4; needs PGLEDGER_DIR=<pgledger checkout>, or clones
#              github.com/pgr0ss/pgledger when PGLEDGER_DIR is not set
#   --only     comma-separated subset of: p1 (P1 and P2), p3, holds, dayend, recon, loaders, router, p4
# BENCH_ROUNDS and BENCH_SECS override the rounds and seconds of P1, P2 and
# P4, BENCH_P3_ENTRIES, BENCH_DAY_ENTRIES and BENCH_DAYS the volumes; KEEP=1 leaves the cluster running.  Results: bench/results/latest.md.
# Exits non-zero when the books do not hold or a step fails; targets that are
# not met are reported in the table, not as a failure.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/tools/pgenv.sh"

mode=quick
peers=0
only=""
args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
		--full) mode=full ;;
		--peers) peers=1 ;;
		--only) only=${2:-}; shift ;;
		-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		*) ledger_die "unknown option $1 (try --help)" ;;
	esac
	shift
done
if [ -z "$only" ]; then
	only="p1,p3,holds,dayend,recon,loaders,router"
	[ $peers = 1 ] && only="$only,p4"
fi
wants() { case ",$only," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

if [ $mode = quick ]; then
	rounds=5 secs=6            # P1, P2, P4: rounds of pgbench -T secs per side
	p3_entries=200000          # P3: entries per COPY (a quarter as many vouchers)
	p3_rounds=5
	day_entries=100000         # day-end: entries per day
	days=6                     # day-end: days closed after the funding day
	tb_rounds=3
	hist_day=50000             # H3: entries of the account per day (2 days of history, a period of 2 days)
else
	rounds=5 secs=30
	p3_entries=1000000
	p3_rounds=3
	day_entries=1000000
	days=30
	tb_rounds=5
	hist_day=500000
fi
hist_day=${BENCH_HIST_DAY:-$hist_day}
clients="2 8"
rounds=${BENCH_ROUNDS:-$rounds}
secs=${BENCH_SECS:-$secs}
p3_entries=${BENCH_P3_ENTRIES:-$p3_entries}
day_entries=${BENCH_DAY_ENTRIES:-$day_entries}
days=${BENCH_DAYS:-$days}

out="$LEDGER_TMP/bench-out"
results_dir="$top/bench/results"
failures=0

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

say() { printf '%s\n' "$*"; }
now_ns() { date +%s%N; }
q() { local db=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -At -d "$db" "$@"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
# 200000 → 200k, 1000000 → 1M, 1500000 → 1.5M
count() { awk "BEGIN { n = $1; if (n >= 1e6) printf \"%gM\", n / 1e6; else if (n >= 1e3) printf \"%gk\", n / 1e3; else printf \"%d\", n }"; }

# result rows: workload|clients|throughput|baseline|baseline throughput|ratio|target|result
rows=()
notes=()
add_row() { rows+=("$1|$2|$3|$4|$5|$6|$7|$8"); }
# verdict RATIO OP LIMIT: pass/fail (OP is >= or <=)
verdict() {
	if awk "BEGIN { exit !($1 $2 $3) }"; then echo pass; else echo fail; fi
}

checkpoint() { q "$1" -c "CHECKPOINT" >/dev/null; }

# verify DB FULL: the books hold (bench/verify.sql), or the run stops here
verify() {
	local db=$1 full=$2 log
	log=$(psql -X -q -v ON_ERROR_STOP=1 -d "$db" -v full="$full" -f "$top/bench/verify.sql" 2>&1)
	if [ $? -ne 0 ]; then
		say "$log" >&2
		say "" >&2
		say "BENCHMARK STOPPED: the books do not hold in database $db (see above)." >&2
		exit 1
	fi
	say "    $(printf '%s\n' "$log" | sed -n 's/.*NOTICE: *//p')"
}

# pgb DB SCRIPT CLIENTS LABEL: runs pgbench, sets TPS and PROCESSED; any
# failed transaction or aborted client stops the run
pgb() {
	local db=$1 script=$2 c=$3 label=$4 log="$out/$4.log" rc threads failed
	threads=$(( c < $(nproc) ? c : $(nproc) ))
	pgbench -n -M prepared -c "$c" -j "$threads" -T "$secs" -f "$top/bench/$script" "$db" >"$log" 2>&1
	rc=$?
	TPS=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$log")
	PROCESSED=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
	failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
	if [ $rc -ne 0 ] || [ -z "$TPS" ] || [ "${failed:-0}" -ne 0 ]; then
		cat "$log" >&2
		say "BENCHMARK STOPPED: pgbench $script with $c clients failed (log: $log)." >&2
		exit 1
	fi
}

# ledger_run DB SCRIPT CLIENTS LABEL: pgb on a ledger workload, then check
# that every transaction pgbench counted left one voucher and verify the books
ledger_run() {
	local db=$1 c=$3 before n
	before=$(q "$db" -c "SELECT COALESCE(max(id), 0) FROM ledger.voucher")
	pgb "$@"
	n=$(q "$db" -c "SELECT count(*) FROM ledger.voucher WHERE id > $before")
	# a transaction in flight when -T ends may commit without being counted
	if [ "$n" -lt "$PROCESSED" ] || [ "$n" -gt $((PROCESSED + c)) ]; then
		say "BENCHMARK STOPPED: pgbench counted $PROCESSED transactions of $2 but $n vouchers were written." >&2
		exit 1
	fi
	verify "$db" 0
}

# sql_ms DB SQL: server-side elapsed milliseconds of one statement (psql \timing)
sql_ms() {
	local db=$1 sql=$2 log
	log=$(psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c '\timing on' -c "$sql" 2>&1) ||
		{ say "$log" >&2; ledger_die "statement failed: $sql"; }
	printf '%s\n' "$log" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}

# gen_data DB ENTRIES NAME [plain]: writes NAME.vouchers and NAME.entries for
# COPY (ENTRIES/4 balanced 4-entry vouchers on random wallets, ids reserved in
# ledger.voucher_id_seq and, with plain, in plain.voucher_id_seq too)
gen_data() {
	local db=$1 n=$(( $2 / 4 )) name=$3 plain=${4:-}
	local files="$out/files" v0
	if [ -n "$plain" ]; then
		v0=$(q "$db" -c "SELECT GREATEST((SELECT last_value FROM ledger.voucher_id_seq),
		                                (SELECT last_value FROM plain.voucher_id_seq))")
		q "$db" -c "SELECT setval('plain.voucher_id_seq', $v0 + $n)" >/dev/null
	else
		v0=$(q "$db" -c "SELECT last_value FROM ledger.voucher_id_seq")
	fi
	q "$db" -c "SELECT setval('ledger.voucher_id_seq', $v0 + $n)" >/dev/null
	q "$db" <<-SQL >/dev/null
		COPY (SELECT $v0 + g, 'c' || ($v0 + g) FROM generate_series(1, $n) g)
		  TO '$files/$name.vouchers';
		COPY (SELECT $v0 + s.g, l.l,
		             CASE l.l WHEN 1 THEN s.a WHEN 2 THEN s.b WHEN 3 THEN s.c ELSE s.d END,
		             ledger.amount_of_units(CASE l.l WHEN 1 THEN s.x WHEN 2 THEN -s.x WHEN 3 THEN s.y ELSE -s.y END, 'CNY')
		        FROM (SELECT g, 1 + floor(random() * 10000)::int AS a, 1 + floor(random() * 10000)::int AS b,
		                     1 + floor(random() * 10000)::int AS c, 1 + floor(random() * 10000)::int AS d,
		                     1 + floor(random() * 10000)::bigint AS x, 1 + floor(random() * 10000)::bigint AS y
		                FROM generate_series(1, $n) g) s
		        CROSS JOIN generate_series(1, 4) l(l)
		       ORDER BY 1, 2)
		  TO '$files/$name.entries';
	SQL
}

# copy_load DB SCHEMA NAME: one transaction, COPY the vouchers then the
# entries; prints the elapsed seconds
copy_load() {
	local db=$1 schema=$2 name=$3 files="$out/files" t0 t1
	t0=$(now_ns)
	q "$db" <<-SQL >/dev/null || ledger_die "COPY into $schema failed"
		BEGIN;
		COPY $schema.voucher (id, idempotency_key) FROM '$files/$name.vouchers';
		COPY $schema.entry (voucher_id, line_no, account_id, amount) FROM '$files/$name.entries';
		COMMIT;
	SQL
	t1=$(now_ns)
	calc "($t1 - $t0) / 1e9" 3
}

newdb() {
	q postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" \
		-c "CREATE DATABASE $1" >/dev/null ||
		ledger_die "could not create database $1"
}

# ---------------------------------------------------------------------------
# cluster
# ---------------------------------------------------------------------------

mkdir -p "$LEDGER_TMP"
ledger_ensure_deps
ledger_build
settings=("fsync = on" "synchronous_commit = on" "shared_buffers = 512MB")
ledger_cluster_start bench "${settings[@]}"
[ "${KEEP:-0}" = 1 ] || trap 'ledger_cluster_stop bench' EXIT
rm -rf "$out"; mkdir -p "$out/files" "$results_dir"
[ "$(id -u)" -eq 0 ] && chown postgres: "$out/files"
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(now_ns)

pgversion=$(q postgres -c "SELECT version()" | sed 's/ on .*//')
nondefault=$(q postgres -c "SELECT string_agg(name || ' = ' || current_setting(name), ', ' ORDER BY lower(name))
	FROM pg_settings WHERE source = 'configuration file'
	  AND (setting IS DISTINCT FROM boot_val OR name IN ('fsync', 'synchronous_commit'))
	  AND lower(name) NOT IN ('listen_addresses', 'unix_socket_directories', 'port', 'extension_destdir',
	                          'cron.database_name', 'lc_messages', 'lc_monetary', 'lc_numeric', 'lc_time',
	                          'datestyle', 'timezone', 'log_timezone', 'default_text_search_config')")

say "== ledger benchmarks ($mode mode), $(date -u '+%Y-%m-%d %H:%M UTC')"
say "   server: $pgversion; defaults except: $nondefault"
say "   (shared_buffers raised from 128MB so that a day of 1,000,000 entries stays in memory;"
say "    fsync and synchronous_commit set explicitly; the rest comes from tools/pgenv.sh)"

# ---------------------------------------------------------------------------
# P1, P2: posting
# ---------------------------------------------------------------------------

db=ledger_bench
if wants p1 || wants p3 || wants holds; then
	say ""
	say "== setting up $db: 10,000 funded wallets (half with floors), the plain baseline tables"
	newdb $db
	q $db -v start=2026-01-01 -f "$top/bench/setup.sql" >/dev/null || ledger_die "setup failed"
	q $db -f "$top/bench/plain.sql" >/dev/null || ledger_die "the baseline tables could not be set up"
	say "   baseline tables have the same indexes as the ledger's (checked)"
	verify $db 1
fi

declare -A tps_of
if wants p1; then
	say ""
	say "== P1, P2: $rounds rounds of ${secs}s per side and client count (pgbench -M prepared)"
	for w in p1_post p1_plain p2_hot p2_not_hot; do
		if [ $w = p1_plain ]; then secs=2 pgb $db $w.sql 2 "warmup-$w"
		else secs=2 ledger_run $db $w.sql 2 "warmup-$w" >/dev/null; fi
	done
	say "   (warmed up: each workload ran 2s first, not counted)"
	for r in $(seq 1 "$rounds"); do
		for c in $clients; do
			if [ $((r % 2)) = 1 ]; then order="p1_post p1_plain p2_hot p2_not_hot"
			else order="p1_plain p1_post p2_not_hot p2_hot"; fi
			for w in $order; do
				checkpoint $db
				if [ $w = p1_plain ]; then pgb $db $w.sql "$c" "$w-c$c-r$r"
				else ledger_run $db $w.sql "$c" "$w-c$c-r$r"; fi
				tps_of[$w:$c]="${tps_of[$w:$c]:-} $TPS"
				say "   round $r, $c clients, $w: $(calc "$TPS" 0) tps"
			done
		done
	done
	for c in $clients; do
		post=$(median ${tps_of[p1_post:$c]}); plain=$(median ${tps_of[p1_plain:$c]})
		hot=$(median ${tps_of[p2_hot:$c]}); nothot=$(median ${tps_of[p2_not_hot:$c]})
		ratio=$(calc "$post / $plain"); add_row "P1 ledger.post, 4 entries" "$c" "$(calc "$post" 0) tps" \
			"plain SQL, same rows" "$(calc "$plain" 0) tps" "$ratio" "≥ 0.85" "$(verdict "$ratio" '>=' 0.85)"
		ratio=$(calc "$hot / $post"); add_row "P2 + hot fee account" "$c" "$(calc "$hot" 0) tps" \
			"P1 ledger.post" "$(calc "$post" 0) tps" "$ratio" "≥ 0.90" "$(verdict "$ratio" '>=' 0.90)"
		ratio=$(calc "$nothot / $post"); add_row "P2, fee account not hot" "$c" "$(calc "$nothot" 0) tps" \
			"P1 ledger.post" "$(calc "$post" 0) tps" "$ratio" "info" "-"
	done
	notes+=("P1 baseline: one statement per voucher (data-modifying CTEs, one round trip like ledger.post, pgbench -M prepared): insert the voucher, its 4 entries, and update the 4 balance rows with the voucher's net movement per account in account order, into copies of the tables with the same columns and the same indexes but no triggers, checks or foreign keys; the caller passes account ids (ledger.post takes codes). So the ratio is the cost of the checks and balance maintenance, not of indexes.")
	notes+=("P1/P2 amounts: every wallet is funded with 1,000,000.00 CNY and no entry debits more than 200.01 CNY, so no floor can refuse a voucher in any run here; a refusal would abort a pgbench client and stop the benchmark, and the books are verified after every run.")
	notes+=("P2: 3 random wallets + fee account 6021 (hot, ledger.hot_slots = 16 balance rows) on every voucher, compared with P1's ledger.post throughput. 'fee account not hot' is the same workload on account 6022, a single balance row that every voucher locks until commit, to show the contention hot removes.")
fi

# ---------------------------------------------------------------------------
# P3: bulk load
# ---------------------------------------------------------------------------

if wants p3; then
	say ""
	say "== P3: COPY of $p3_entries entries ($((p3_entries / 4)) vouchers) in one transaction, $p3_rounds rounds per side"
	p3_ledger=() p3_plain=()
	for r in $(seq 1 "$p3_rounds"); do
		gen_data $db "$p3_entries" "p3-$r" plain
		if [ $((r % 2)) = 1 ]; then order="ledger plain"; else order="plain ledger"; fi
		for side in $order; do
			checkpoint $db
			s=$(copy_load $db $side "p3-$r")
			say "   round $r, $side: ${s}s, $(calc "$p3_entries / $s" 0) entries/s"
			if [ $side = ledger ]; then
				p3_ledger+=("$(calc "$p3_entries / $s" 0)")
				verify $db 0
			else
				p3_plain+=("$(calc "$p3_entries / $s" 0)")
			fi
		done
		rm -f "$out/files/p3-$r".*
	done
	l=$(median "${p3_ledger[@]}"); p=$(median "${p3_plain[@]}")
	ratio=$(calc "$l / $p")
	add_row "P3 COPY, $(count "$p3_entries") entries, 1 txn" 1 "$(calc "$l" 0) entries/s" \
		"COPY into plain tables" "$(calc "$p" 0) entries/s" "$ratio" "≥ 0.70" "$(verdict "$ratio" '>=' 0.70)"
	notes+=("P3: BEGIN; COPY ledger.voucher (id, idempotency_key); COPY ledger.entry (voucher_id, line_no, account_id, amount); COMMIT, with voucher ids reserved by setval first; the baseline COPYs the same files into the plain tables. entries/s counts entry rows over the whole transaction (voucher rows included in the time).$([ $mode = quick ] && echo " Quick mode: $p3_entries entries instead of 1,000,000.")")
fi

# ---------------------------------------------------------------------------
# holds: H1, H2 (posting), H3 (the account history)
# ---------------------------------------------------------------------------

if wants holds; then
	say ""
	say "== H1, H2: $rounds rounds of ${secs}s per side and client count (pgbench -M prepared)"
	q $db -c "SELECT count(ledger.hold('seed-' || n, ARRAY[(100000 + n)::text, '1002'],
		ARRAY[ledger.amount_of_units(1000, 'CNY'), ledger.amount_of_units(-1000, 'CNY')]))
		FROM generate_series(1, 5000) n" >/dev/null || ledger_die "the seed holds could not be created"
	say "   a pending hold of 10.00 CNY on each of wallets 1..5000"
	for w in h1_post_held h1_post_free h2_hold_post p1_post; do
		secs=2 ledger_run $db $w.sql 2 "warmup-$w" >/dev/null
	done
	for r in $(seq 1 "$rounds"); do
		for c in $clients; do
			if [ $((r % 2)) = 1 ]; then order="h1_post_held h1_post_free h2_hold_post p1_post"
			else order="h1_post_free h1_post_held p1_post h2_hold_post"; fi
			for w in $order; do
				checkpoint $db
				ledger_run $db $w.sql "$c" "$w-c$c-r$r"
				tps_of[h$w:$c]="${tps_of[h$w:$c]:-} $TPS"
				say "   round $r, $c clients, $w: $(calc "$TPS" 0) tps"
			done
		done
	done
	pending=$(q $db -c "SELECT count(*) FROM ledger.hold WHERE status = 'pending'")
	bad=$(q $db -c "SELECT count(*) FROM ledger.check_books(ledger.current_book_date()) WHERE check_name = 'holds_match_lines' AND NOT ok")
	[ "$pending" = 5000 ] && [ "$bad" = 0 ] ||
		{ say "BENCHMARK STOPPED: $pending pending holds (5000 expected), holds_match_lines failed for $bad currencies." >&2; exit 1; }
	say "   the 5000 seed holds are still pending and held exactly (holds_match_lines)"
	for c in $clients; do
		held=$(median ${tps_of[hh1_post_held:$c]}); free=$(median ${tps_of[hh1_post_free:$c]})
		two=$(median ${tps_of[hh2_hold_post:$c]}); one=$(median ${tps_of[hp1_post:$c]})
		ratio=$(calc "$held / $free"); add_row "H1 ledger.post, wallets with pending holds" "$c" "$(calc "$held" 0) tps" \
			"the same, wallets without" "$(calc "$free" 0) tps" "$ratio" "≥ 0.95" "$(verdict "$ratio" '>=' 0.95)"
		ratio=$(calc "$two / $one"); add_row "H2 hold + post_hold" "$c" "$(calc "$two" 0) tps" \
			"one ledger.post (P1)" "$(calc "$one" 0) tps" "$ratio" "≥ 0.45" "$(verdict "$ratio" '>=' 0.45)"
	done
	notes+=("H1: P1's workload (4-entry ledger.post, amounts up to 100.00 CNY) on wallets 1..5000, each carrying a pending hold of 10.00 CNY (half of them with a floor, whose check counts the held money), against the same on wallets 5001..10000, which carry none; medians of $rounds alternating rounds.")
	notes+=("H2: one pgbench transaction = ledger.hold of P1's four lines on four random wallets, then ledger.post_hold of it in full (two statements, each its own transaction: the way a withdrawal or a card capture runs), against P1's single ledger.post; tps counts the pair.")

	hdb=ledger_bench_history
	say ""
	say "== H3: the account history of one account with $hist_day entries a day: 2 days of history, then a period of 2 days"
	newdb $hdb
	q $hdb <<-'SQL' >/dev/null || ledger_die "the history database could not be set up"
		SET client_min_messages = warning;
		CREATE EXTENSION ledger;
		SELECT ledger.open_books('2026-01-01');
		INSERT INTO ledger.account (id, code, name, kind, currency) VALUES
			(1, 'bank', 'bank', 'asset', 'CNY'), (2, 'merchant', 'a merchant''s settlement account', 'liability', 'CNY');
		SELECT setval('ledger.account_id_seq', 10);
		CREATE SCHEMA bench;
		CREATE PROCEDURE bench.day_of(n int) LANGUAGE plpgsql AS $$
		DECLARE v0 bigint := nextval('ledger.voucher_id_seq');
		BEGIN
			PERFORM setval('ledger.voucher_id_seq', v0 + n);
			INSERT INTO ledger.voucher (id, idempotency_key, ref, summary)
				SELECT v0 + g, 'k' || (v0 + g), 'ORD-' || (v0 + g), 'payment' FROM generate_series(1, n) g;
			INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount)
				SELECT v0 + g, l, l, ledger.amount_of_units(CASE l WHEN 1 THEN 100 + g % 97 ELSE -(100 + g % 97) END, 'CNY')
				  FROM generate_series(1, n) g, generate_series(1, 2) l;
		END $$;
	SQL
	for d in 1 2 3 4; do
		q $hdb -c "CALL bench.day_of($hist_day)" >/dev/null || ledger_die "loading day $d failed"
		q $hdb -c "SET client_min_messages = warning" -c "CALL ledger.close_day()" >/dev/null || ledger_die "closing day $d failed"
	done
	q $hdb -c "VACUUM ANALYZE" >/dev/null
	checkpoint $hdb
	hist="SELECT count(*), ledger.sum(balance) FROM ledger.account_history('merchant', '2026-01-03', '2026-01-04')"
	first="SELECT count(*), ledger.sum(balance) FROM ledger.account_history('merchant', '2026-01-01', '2026-01-02')"
	joined="SELECT count(*), ledger.sum(x.amount), max(x.ref), max(x.created_at) FROM (
		SELECT e.book_date, e.voucher_id, e.line_no, v.ref, v.summary, e.amount, v.created_at
		  FROM ledger.entry e JOIN ledger.voucher v ON v.id = e.voucher_id
		 WHERE e.account_id = 2 AND e.book_date BETWEEN '2026-01-03' AND '2026-01-04'
		 ORDER BY e.book_date, e.voucher_id, e.line_no) x"
	plain="SELECT count(*), ledger.sum(e.amount) FROM ledger.entry e
		WHERE e.account_id = 2 AND e.book_date BETWEEN '2026-01-03' AND '2026-01-04'"
	# in one session, as an application's pooled connection runs them: each
	# statement once to warm the session, then the rounds, alternating
	serial="SET max_parallel_workers_per_gather = 0; $plain; RESET max_parallel_workers_per_gather"
	h=() f=() j=() p=() s1=() hc=() pc=() i=0
	script=$(printf '\\timing on\n'; for r in $(seq 0 "$tb_rounds"); do printf '%s;\n' "$hist" "$plain" "$joined" "$first" "$serial"; done)
	times=$(printf '%s\n' "$script" | PGOPTIONS="-c jit=off" psql -X -q -v ON_ERROR_STOP=1 -d $hdb 2>&1 |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p') || ledger_die "the account history statements failed"
	# seven timings a round: the SET and RESET around the serial scan are timed too
	for t in $times; do
		if [ $i -ge 7 ]; then
			case $((i % 7)) in 0) h+=("$t") ;; 1) p+=("$t") ;; 2) j+=("$t") ;; 3) f+=("$t") ;; 5) s1+=("$t") ;; esac
		fi
		i=$((i + 1))
	done
	[ ${#h[@]} = "$tb_rounds" ] || ledger_die "the account history statements gave $i timings"
	# and each in a fresh connection (the session's first touch of every page costs extra)
	for r in $(seq 1 "$tb_rounds"); do
		hc+=("$(sql_ms $hdb "$hist")"); pc+=("$(sql_ms $hdb "SET jit = off; $plain")")
	done
	hm=$(median "${h[@]}"); jm=$(median "${j[@]}"); pm=$(median "${p[@]}"); fm=$(median "${f[@]}"); sm=$(median "${s1[@]}")
	hcm=$(median "${hc[@]}"); pcm=$(median "${pc[@]}")
	n=$(count $((2 * hist_day)))
	ratio=$(calc "$hm / $pm"); add_row "H3 account_history, $n entries" 1 "$(calc "$hm" 0) ms" \
		"plain SQL: an indexed scan of the entries" "$(calc "$pm" 0) ms" "$ratio" "≤ 1.5" "$(verdict "$ratio" '<=' 1.5)"
	add_row "H3 account_history, $n entries" 1 "$(calc "$hm" 0) ms" \
		"the indexed scan without parallel workers" "$(calc "$sm" 0) ms" "$(calc "$hm / $sm")" "info" "-"
	add_row "H3 account_history, $n entries" 1 "$(calc "$hm" 0) ms" \
		"plain SQL: the entries with their vouchers, in posting order" "$(calc "$jm" 0) ms" "$(calc "$hm / $jm")" "info" "-"
	add_row "H3 period after 2 days vs the first 2 days" 1 "$(calc "$hm" 0) ms" \
		"account_history of days 1-2" "$(calc "$fm" 0) ms" "$(calc "$hm / $fm")" "info" "-"
	add_row "H3 account_history, $n entries, fresh connection" 1 "$(calc "$hcm" 0) ms" \
		"the indexed scan, fresh connection" "$(calc "$pcm" 0) ms" "$(calc "$hcm / $pcm")" "info" "-"
	say "   account_history: median $(calc "$hm" 0) ms (days 1-2: $(calc "$fm" 0) ms); plain SQL with vouchers $(calc "$jm" 0) ms, entries alone $(calc "$pm" 0) ms (without parallel workers $(calc "$sm" 0) ms)"
	say "   in fresh connections: account_history $(calc "$hcm" 0) ms, entries alone $(calc "$pcm" 0) ms"
	notes+=("H3: one account with $hist_day entries a day (one 2-entry voucher each, loaded by INSERT ... SELECT), 4 closed days; SELECT count(*), ledger.sum(balance) FROM ledger.account_history(account, day 3, day 4) against plain SQL over the same $n entries: SELECT count(*), ledger.sum(amount) of the entries alone, unordered, through the index on (account_id, book_date) (the target's baseline: the planner's choice, a bitmap scan, parallel when it likes), and, for information, the same scan without parallel workers (max_parallel_workers_per_gather = 0: on this virtual machine a parallel worker's first touch of the shared buffers costs more than its share of the scan saves, so the planner's parallel plan is the slower one and its time varies with that cost) and the same index scan joined with their vouchers in posting order (the rows and columns the history shows, without the running balance); medians of $tb_rounds rounds in one session (as an application's pooled connection runs them; each statement run once first to warm it), psql \\timing, jit off. The fresh-connection row runs each statement in a new connection instead: on a virtual machine a process's first touch of each shared-buffer page costs far more than the read itself, and the history touches the vouchers' pages as well as the entries'. The last row compares the same period size at the start of the books (no days before) with days 3-4 (two days before).$([ $mode = quick ] && echo " Quick mode: $hist_day entries a day instead of 500,000.")")
fi

if wants p1 || wants p3; then
	say ""
	say "== full verification of $db"
	verify $db 1
fi

# ---------------------------------------------------------------------------
# day-end
# ---------------------------------------------------------------------------

if wants dayend; then
	dday=ledger_bench_day
	say ""
	say "== day-end: $days days of $day_entries entries each after a funding day, each closed with CALL ledger.close_day()"
	newdb $dday
	q $dday -v start=2026-01-01 -f "$top/bench/setup.sql" >/dev/null || ledger_die "setup failed"
	verify $dday 1
	q $dday -c "CALL ledger.close_day()" >/dev/null 2>"$out/close-0.log" || { cat "$out/close-0.log"; ledger_die "closing the funding day failed"; }
	close_ms=() scan_ms=() norm=()
	for d in $(seq 1 "$days"); do
		day=$(q $dday -c "SELECT ledger.current_book_date()")
		gen_data $dday "$day_entries" "day-$d"
		s=$(copy_load $dday ledger "day-$d")
		rm -f "$out/files/day-$d".*
		verify $dday 0 >/dev/null
		checkpoint $dday
		log=$(psql -X -q -v ON_ERROR_STOP=1 -d $dday -c '\timing on' -c "CALL ledger.close_day()" 2>&1) ||
			{ say "$log" >&2; say "BENCHMARK STOPPED: close_day of $day failed." >&2; exit 1; }
		ms=$(printf '%s\n' "$log" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
		# the same day's scan, right after its close: day 1's is the baseline
		# of the close; the others show how the machine and the scan itself
		# drift while history grows
		scan=()
		for r in 1 2 3; do
			scan+=("$(sql_ms $dday "SELECT count(*), ledger.sum(s) FROM (SELECT account_id, ledger.sum(amount) AS s
				FROM ledger.entry WHERE book_date = '$day' GROUP BY account_id) x")")
		done
		sm=$(median "${scan[@]}")
		close_ms+=("$ms") scan_ms+=("$sm") norm+=("$(calc "$ms / $sm" 3)")
		say "   day $d ($day): loaded in ${s}s, close_day $(calc "$ms / 1000" 2)s, scan of the day $(calc "$sm / 1000" 2)s (median of 3)"
		[ "$d" = 1 ] && day1=$day
		dayN=$day
	done
	verify $dday 1
	bad=$(q $dday -c "SELECT count(*) FROM ledger.verify_books('$day1', '$dayN') WHERE ok IS DISTINCT FROM true")
	[ "$bad" = 0 ] || { say "BENCHMARK STOPPED: ledger.verify_books reports $bad days that do not verify." >&2; exit 1; }
	say "   ledger.verify_books: all $days closed days verify"

	ratio=$(calc "${close_ms[0]} / ${scan_ms[0]}")
	add_row "close_day, day of $(count "$day_entries") entries" 1 "$(calc "${close_ms[0]} / 1000" 2) s" \
		"GROUP BY scan of the day" "$(calc "${scan_ms[0]} / 1000" 2) s" "$ratio" "≤ 3" "$(verdict "$ratio" '<=' 3)"
	k=$(( days >= 6 ? 3 : 1 ))
	first=$(median "${close_ms[@]:0:$k}"); last=$(median "${close_ms[@]: -$k}")
	ratio=$(calc "$last / $first")
	add_row "close_day, days $((days - k + 1))-$days vs 1-$k (median)" 1 "$(calc "$last / 1000" 2) s" \
		"close_day days 1-$k" "$(calc "$first / 1000" 2) s" "$ratio" "≤ 1.2" "$(verdict "$ratio" '<=' 1.2)"
	add_row "close_day, day $days vs day 1" 1 "$(calc "${close_ms[$((days - 1))]} / 1000" 2) s" \
		"close_day day 1" "$(calc "${close_ms[0]} / 1000" 2) s" "$(calc "${close_ms[$((days - 1))]} / ${close_ms[0]}")" "info" "-"
	first=$(median "${norm[@]:0:$k}"); last=$(median "${norm[@]: -$k}")
	add_row "close_day, days $((days - k + 1))-$days vs 1-$k, in scans" 1 "$(calc "$last" 2) × scan" \
		"close_day days 1-$k" "$(calc "$first" 2) × scan" "$(calc "$last / $first")" "info" "-"
	first=$(median "${scan_ms[@]:0:$k}"); last=$(median "${scan_ms[@]: -$k}")
	add_row "scan of the day, days $((days - k + 1))-$days vs 1-$k" 1 "$(calc "$last / 1000" 2) s" \
		"scan of days 1-$k" "$(calc "$first / 1000" 2) s" "$(calc "$last / $first")" "info" "-"

	tb=() raw=() tbnojit=()
	a="SELECT count(*), ledger.sum(closing_debit) FROM ledger.trial_balance('$day1', '$dayN') WHERE account_code IS NOT NULL"
	b="SELECT count(*), ledger.sum((t).debit) FROM (SELECT account_id, ledger.trial(amount) AS t FROM ledger.entry
		WHERE book_date BETWEEN '$day1' AND '$dayN' GROUP BY account_id) x"
	for r in $(seq 1 "$tb_rounds"); do
		if [ $((r % 2)) = 1 ]; then tb+=("$(sql_ms $dday "$a")"); raw+=("$(sql_ms $dday "$b")")
		else raw+=("$(sql_ms $dday "$b")"); tb+=("$(sql_ms $dday "$a")"); fi
		tbnojit+=("$(sql_ms $dday "SET jit = off; $a")")
	done
	tb_ms=$(median "${tb[@]}"); raw_ms=$(median "${raw[@]}"); tbnojit_ms=$(median "${tbnojit[@]}")
	ratio=$(calc "$raw_ms / $tb_ms" "$(awk "BEGIN { print ($raw_ms / $tb_ms >= 10) ? 0 : 2 }")")
	add_row "trial_balance over $days closed days" 1 "$(calc "$tb_ms / 1000" 3) s" \
		"GROUP BY of their $(count $((days * day_entries))) entries" "$(calc "$raw_ms / 1000" 3) s" \
		"${ratio}× faster" "≥ 100× faster" "$(verdict "$ratio" '>=' 100)"
	ratio=$(calc "$raw_ms / $tbnojit_ms" "$(awk "BEGIN { print ($raw_ms / $tbnojit_ms >= 10) ? 0 : 2 }")")
	add_row "trial_balance, session SET jit = off" 1 "$(calc "$tbnojit_ms / 1000" 3) s" \
		"GROUP BY of their $(count $((days * day_entries))) entries" "$(calc "$raw_ms / 1000" 3) s" \
		"${ratio}× faster" "info" "-"
	say "   trial_balance('$day1', '$dayN'): median $(calc "$tb_ms / 1000" 3)s ($(calc "$tbnojit_ms / 1000" 3)s with jit = off); GROUP BY over the raw entries: median $(calc "$raw_ms / 1000" 3)s"
	notes+=("Day-end: a funding day, then $days days of $day_entries entries each ($((day_entries / 4)) 4-entry vouchers on random wallets, loaded by COPY), each closed by CALL ledger.close_day() in its own psql command; times are psql \\timing of the CALL. Right after each close the day's entries are scanned with SELECT account_id, ledger.sum(amount) FROM ledger.entry WHERE book_date = <the day> GROUP BY account_id (median of 3); day 1's close is compared with day 1's scan. Growth with history is judged on the median close time of the last three days against the first three; day $days against day 1 alone, the same comparison with each close divided by its day's scan (the same work every day, timed at the same moment), and the scans themselves are shown for information. trial_balance(day 1, day $days) is compared with SELECT account_id, ledger.trial(amount) ... GROUP BY account_id over the same days' entries (medians of $tb_rounds, alternating); the jit = off row repeats trial_balance in a session with JIT compilation off, for information (the server default, jit = on, compiles its plan because the row estimates of its recursive account tree are far too high).$([ $mode = quick ] && echo " Quick mode: $days days of $day_entries entries instead of 30 days of 1,000,000, so the scans the day-end figures are compared with are smaller too.")")
	notes+=("close_day times, day 1..$days (s): $(for m in "${close_ms[@]}"; do printf '%s ' "$(calc "$m / 1000" 2)"; done)")
	notes+=("scan of the day right after, day 1..$days (s): $(for m in "${scan_ms[@]}"; do printf '%s ' "$(calc "$m / 1000" 2)"; done)")
fi

# ---------------------------------------------------------------------------
# P4: a peer
# ---------------------------------------------------------------------------

if wants p4; then
	say ""
	say "== P4: 2-entry ledger.post vs pgledger (github.com/pgr0ss/pgledger)"
	pgl=${PGLEDGER_DIR:-}
	if [ -z "$pgl" ]; then
		pgl="$LEDGER_TMP/peers/pgledger"
		if [ ! -f "$pgl/pgledger.sql" ]; then
			say "   PGLEDGER_DIR is not set: cloning https://github.com/pgr0ss/pgledger into $pgl"
			rm -rf "$pgl"; mkdir -p "$(dirname "$pgl")"
			git clone -q --depth 1 https://github.com/pgr0ss/pgledger "$pgl" 2>"$out/clone.log" ||
				ledger_die "could not clone github.com/pgr0ss/pgledger ($(tail -1 "$out/clone.log")). Without network, make a checkout elsewhere and run: PGLEDGER_DIR=/path/to/pgledger make bench PEERS=1"
		fi
	fi
	for f in vendor/scoville-pgsql-ulid/ulid-to-uuid.sql vendor/scoville-pgsql-ulid/uuid-to-ulid.sql pgledger.sql; do
		[ -f "$pgl/$f" ] || ledger_die "PGLEDGER_DIR=$pgl is not a pgledger checkout: $f is missing"
	done
	pgl_rev=$(git -C "$pgl" rev-parse --short HEAD 2>/dev/null || echo "not a git checkout")
	dpeer=ledger_bench_peer
	newdb $dpeer
	q $dpeer -v start=2026-01-01 -f "$top/bench/setup.sql" >/dev/null || ledger_die "setup failed"
	q $dpeer -1 -f "$pgl/vendor/scoville-pgsql-ulid/ulid-to-uuid.sql" -f "$pgl/vendor/scoville-pgsql-ulid/uuid-to-ulid.sql" \
		-f "$pgl/pgledger.sql" >"$out/pgledger-install.log" 2>&1 ||
		{ cat "$out/pgledger-install.log"; ledger_die "could not install pgledger from $pgl"; }
	q $dpeer -f "$top/bench/pgledger_setup.sql" >/dev/null || ledger_die "pgledger setup failed"
	verify $dpeer 1
	secs=2 ledger_run $dpeer p4_post.sql 2 warmup-p4_post >/dev/null
	secs=2 pgb $dpeer p4_pgledger.sql 2 warmup-p4_pgledger
	declare -A p4
	for r in $(seq 1 "$rounds"); do
		for c in $clients; do
			if [ $((r % 2)) = 1 ]; then order="p4_post p4_pgledger"; else order="p4_pgledger p4_post"; fi
			for w in $order; do
				checkpoint $dpeer
				if [ $w = p4_post ]; then ledger_run $dpeer $w.sql "$c" "$w-c$c-r$r"
				else pgb $dpeer $w.sql "$c" "$w-c$c-r$r"; fi
				p4[$w:$c]="${p4[$w:$c]:-} $TPS"
				say "   round $r, $c clients, $w: $(calc "$TPS" 0) tps"
			done
		done
	done
	bad=$(q $dpeer -c "SELECT count(*) FROM pgledger_accounts WHERE balance < 0 AND NOT allow_negative_balance")
	total=$(q $dpeer -c "SELECT sum(balance) FROM pgledger_accounts")
	say "   pgledger after the runs: $bad accounts below zero that refuse it, balances sum to $total"
	for c in $clients; do
		l=$(median ${p4[p4_post:$c]}); p=$(median ${p4[p4_pgledger:$c]})
		ratio=$(calc "$l / $p")
		add_row "P4 ledger.post, 2 entries" "$c" "$(calc "$l" 0) tps" "pgledger transfer" "$(calc "$p" 0) tps" \
			"$ratio" "info" "-"
	done
	notes+=("P4: pgledger $pgl_rev from $pgl, installed as its README says (the vendored ULID helpers, then pgledger.sql) in the same database as the ledger, with the same 10,000 wallets funded the same way (odd ones refuse a negative balance); pgledger_create_transfer(from, to, amount) with ids looked up by wallet number in an indexed table, against ledger.post of the equivalent 2-entry voucher.")
fi

# ---------------------------------------------------------------------------
# more than one machine: bench/router.sh runs its own router and node clusters
# ---------------------------------------------------------------------------

router_out=""
if wants router; then
	say ""
	say "== ledger_router: bench/router.sh --secs $secs --rounds $rounds"
	LEDGER_BUILT=1 bash "$top/bench/router.sh" --secs "$secs" --rounds "$rounds" >"$out/router.log" 2>&1
	rc=$?
	router_out=$(cat "$out/router.log")
	sed 's/^/   /' "$out/router.log"
	if [ $rc -ne 0 ]; then
		say "   bench/router.sh failed (exit $rc)"
		failures=$((failures + 1))
		router_out="$router_out
(bench/router.sh failed with exit status $rc)"
	fi
fi

# ---------------------------------------------------------------------------
# reconciliation
# ---------------------------------------------------------------------------

recon_out=""
if wants recon; then
	say ""
	if [ -f "$top/bench/recon.sh" ]; then
		say "== reconciliation: bench/recon.sh $([ $mode = quick ] && echo --quick)"
		if [ $mode = quick ]; then bash "$top/bench/recon.sh" --quick >"$out/recon.log" 2>&1
		else bash "$top/bench/recon.sh" >"$out/recon.log" 2>&1; fi
		rc=$?
		recon_out=$(cat "$out/recon.log")
		sed 's/^/   /' "$out/recon.log"
		if [ $rc -ne 0 ]; then
			say "   bench/recon.sh failed (exit $rc)"
			failures=$((failures + 1))
			recon_out="$recon_out
(bench/recon.sh failed with exit status $rc)"
		fi
	else
		say "== reconciliation: bench/recon.sh is not in this tree; skipped"
		recon_out="bench/recon.sh is not in this tree; reconciliation was not measured."
	fi
fi

# ---------------------------------------------------------------------------
# reconciliation with a matching rule (tolerance, window, groups) vs by key
# ---------------------------------------------------------------------------

if wants recon && [ -f "$top/bench/recon_rules.sh" ]; then
	say ""
	say "== reconcile with a rule: bench/recon_rules.sh $([ $mode = quick ] && echo --quick)"
	bash "$top/bench/recon_rules.sh" $([ $mode = quick ] && echo --quick) >"$out/recon_rules.log" 2>&1
	rc=$?
	sed 's/^/   /' "$out/recon_rules.log"
	if [ $rc -ne 0 ]; then
		say "   bench/recon_rules.sh failed (exit $rc)"
		failures=$((failures + 1))
	else
		read -r _ ratio key_ms rule_ms < <(grep '^RATIO ' "$out/recon_rules.log" | tail -1)
		add_row "reconcile with a rule (tolerance, window, groups)" 1 "$(calc "$rule_ms / 1000" 2) s" \
			"reconcile by key only" "$(calc "$key_ms / 1000" 2) s" "$ratio" "≤ 3" "$(verdict "$ratio" '<=' 3)"
	fi
fi

# ---------------------------------------------------------------------------
# statement loaders
# ---------------------------------------------------------------------------

loaders_out=""
if wants loaders; then
	say ""
	say "== statement loaders: bench/loaders.sh $([ $mode = quick ] && echo --quick)"
	if [ $mode = quick ]; then bash "$top/bench/loaders.sh" --quick >"$out/loaders.log" 2>&1
	else bash "$top/bench/loaders.sh" >"$out/loaders.log" 2>&1; fi
	rc=$?
	loaders_out=$(cat "$out/loaders.log")
	sed 's/^/   /' "$out/loaders.log"
	if [ $rc -ne 0 ]; then
		say "   bench/loaders.sh failed (exit $rc)"
		failures=$((failures + 1))
	fi
fi

# ---------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------

t_end=$(now_ns)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
dev=$(df -P "$LEDGER_TMP" | awk 'NR == 2 { print $1 }')
disk=$(lsblk -dno NAME,ROTA,TYPE,MODEL "$(echo "$dev" | sed 's/[0-9]*$//; s/p$//')" 2>/dev/null | awk '{ $1 = $1; print }')
[ -n "$disk" ] && disk="$dev: $disk (ROTA = 1 is what the kernel reports; 0 means SSD)" || disk="$dev: type unknown"
rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null)$(git -C "$top" diff --quiet HEAD 2>/dev/null || echo "+changes")
overrides=$(env | grep -E '^BENCH_(ROUNDS|SECS|P3_ENTRIES|DAY_ENTRIES|DAYS)=' | sort | tr '\n' ' ')
if [ -z "$overrides" ] && ! printf '%s\n' "${args[@]:-}" | grep -q -- '--only'; then
	cmd="make bench$([ $mode = full ] && echo " FULL=1")$([ $peers = 1 ] && echo " PEERS=1")"
	[ $peers = 1 ] && [ -n "${PGLEDGER_DIR:-}" ] && cmd="PGLEDGER_DIR=<pgledger checkout> $cmd"
else
	cmd="${overrides}bash bench/run.sh ${args[*]:-}"
	[ $peers = 1 ] && [ -n "${PGLEDGER_DIR:-}" ] && cmd="PGLEDGER_DIR=<pgledger checkout> $cmd"
fi

header="workload|clients|throughput|baseline|baseline throughput|ratio|target|result"
say ""
say "== results ($mode mode, medians; ratio = workload / baseline)"
say ""
{ say "$header"; printf '%s\n' "${rows[@]}"; } | column -t -s '|' -o '  '
say ""
say "Reproduce: $cmd   (at commit $rev)"
say "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), $mem memory, $pgversion, disk $disk"
say "Load average at start $load_start, at end $load_end (other work on the machine makes figures noisy)"
say "Run took $(( (t_end - t_start) / 1000000000 ))s."
nfail=$(printf '%s\n' "${rows[@]}" | awk -F'|' '$8 == "fail"' | wc -l)
say "$nfail target(s) not met; the books were verified after every run."

{
	say "# ledger benchmarks — $mode mode, $started"
	say ""
	say "| ${header//|/ | } |"
	say "|---|---:|---:|---|---:|---:|---|---|"
	for r in "${rows[@]}"; do say "| ${r//|/ | } |"; done
	say ""
	say "Reproduce: \`$cmd\` at commit $rev."
	say ""
	say "Machine: $(nproc) CPUs, $mem memory, $pgversion, disk $disk. Load average at start $load_start, at end $load_end."
	say ""
	say "Server: a throwaway cluster with default settings except $nondefault."
	say ""
	for n in "${notes[@]}"; do say "- $n"; done
	if [ -n "$router_out" ]; then
		say ""
		say "## More than one machine (bench/router.sh)"
		say ""
		say "$(printf '%s\n' "$router_out" | grep -v '^== ')"
	fi
	if [ -n "$recon_out" ]; then
		say ""
		say "## Reconciliation (bench/recon.sh)"
		say ""
		say '```'
		say "$recon_out"
		say '```'
	fi
	if [ -n "$loaders_out" ]; then
		say ""
		say "## Statement loaders (bench/loaders.sh)"
		say ""
		say "$loaders_out"
	fi
} >"$results_dir/latest.md"
say "Written to bench/results/latest.md"

[ "$failures" -eq 0 ] || exit 1
