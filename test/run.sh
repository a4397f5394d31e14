#!/usr/bin/env bash
# test/run.sh — `make test`: every suite against a throwaway cluster.
#
#   pg_regress   sql/*.sql against expected/*.out         (REGRESS in the Makefile)
#   pgTAP        test/pgtap/*.sql through pg_prove
#   isolation    test/specs/*.spec against test/expected/*.out
#   scripts      test/scripts/*.sh (concurrency under load, cancel, crash, dump/restore, ...)
#
# SUITES="regress tap" limits the run; ONLY="crash upgrade" limits the
# scripts suite to those names; KEEP=1 leaves the cluster running.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/tools/pgenv.sh"

mkdir -p "$LEDGER_TMP"
ledger_ensure_deps
ledger_ensure_optional hledger bc clang libclang-rt-dev python3-psycopg2 \
	default-jre-headless libpostgresql-jdbc-java node-pg
ledger_build
ledger_cluster_start test "fsync = off" "synchronous_commit = off" "full_page_writes = off" "track_commit_timestamp = on" \
	"max_connections = 120" "shared_buffers = 256MB" "work_mem = 16MB" "max_pred_locks_per_transaction = 256"
[ "${KEEP:-0}" = 1 ] || trap 'ledger_cluster_stop test' EXIT

pgxs=$(cd "$(dirname "$("$(ledger_pg_config)" --pgxs)")/../.." && pwd)
bindir=$("$(ledger_pg_config)" --bindir)
suites=${SUITES:-regress tap isolation scripts}
passed=0
failed=0
failures=()

record() {	# record NAME STATUS
	if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$1"); fi
}

run_regress() {
	ledger_log "pg_regress"
	local out="$LEDGER_TMP/regress"
	rm -rf "$out"; mkdir -p "$out"
	local tests; tests=$(make -s -C "$top" regress-list)
	"$pgxs/src/test/regress/pg_regress" --inputdir="$top" --outputdir="$out" --bindir="$bindir" \
		--host="$PGHOST" --port="$PGPORT" --user=postgres --dbname=ledger_regress \
		--load-extension=ledger $tests 2>&1 | tee "$out/stdout.log"
	local rc=${PIPESTATUS[0]}
	if [ $rc -ne 0 ] && [ -f "$out/regression.diffs" ]; then
		cat "$out/regression.diffs"
	fi
	local n_ok n_fail
	n_ok=$(grep -cE '\.\.\. ok' "$out/stdout.log"); n_ok=${n_ok:-0}
	n_fail=$(grep -cE '\.\.\. FAILED' "$out/stdout.log"); n_fail=${n_fail:-0}
	passed=$((passed + n_ok)); failed=$((failed + n_fail))
	[ $rc -eq 0 ] || failures+=("pg_regress")
	[ $rc -ne 0 ] && [ "$n_fail" -eq 0 ] && failed=$((failed + 1))
}

run_tap() {
	ledger_log "pgTAP"
	ledger_psql -d postgres -c "DROP DATABASE IF EXISTS ledger_tap" -c "CREATE DATABASE ledger_tap"
	ledger_psql -d ledger_tap -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION ledger"
	local f rc
	for f in "$top"/test/pgtap/*.sql; do
		[ -e "$f" ] || continue
		pg_prove --ext .sql -d ledger_tap -h "$PGHOST" -p "$PGPORT" -U postgres "$f"
		rc=$?
		record "pgtap/$(basename "$f")" $rc
	done
}

run_isolation() {
	ledger_log "isolation"
	local out="$LEDGER_TMP/isolation"
	rm -rf "$out"; mkdir -p "$out"
	local specs=() f
	for f in "$top"/test/specs/*.spec; do
		[ -e "$f" ] || continue
		specs+=("$(basename "$f" .spec)")
	done
	[ ${#specs[@]} -gt 0 ] || return 0
	"$pgxs/src/test/isolation/pg_isolation_regress" --inputdir="$top/test" --outputdir="$out" \
		--bindir="$bindir" --host="$PGHOST" --port="$PGPORT" --user=postgres \
		--dbname=ledger_isolation --load-extension=ledger "${specs[@]}" 2>&1 | tee "$out/stdout.log"
	local rc=${PIPESTATUS[0]}
	[ $rc -ne 0 ] && [ -f "$out/regression.diffs" ] && cat "$out/regression.diffs"
	local n_ok n_fail
	n_ok=$(grep -cE '\.\.\. ok' "$out/stdout.log"); n_ok=${n_ok:-0}
	n_fail=$(grep -cE '\.\.\. FAILED' "$out/stdout.log"); n_fail=${n_fail:-0}
	passed=$((passed + n_ok)); failed=$((failed + n_fail))
	[ $rc -eq 0 ] || failures+=("isolation")
	[ $rc -ne 0 ] && [ "$n_fail" -eq 0 ] && failed=$((failed + 1))
}

run_scripts() {
	local f rc
	for f in "$top"/test/scripts/*.sh; do
		[ -e "$f" ] || continue
		if [ -n "${ONLY:-}" ] && ! [[ " $ONLY " == *" $(basename "$f" .sh) "* ]]; then
			continue
		fi
		ledger_log "script $(basename "$f")"
		( cd "$top" && bash "$f" ) 2>&1 | tee "$LEDGER_TMP/script-$(basename "$f" .sh).log"
		rc=${PIPESTATUS[0]}
		record "scripts/$(basename "$f")" $rc
		[ $rc -eq 0 ] && echo "ok - $(basename "$f")" || echo "not ok - $(basename "$f")"
	done
}

for s in $suites; do
	case $s in
		regress) run_regress ;;
		tap) run_tap ;;
		isolation) run_isolation ;;
		scripts) run_scripts ;;
		*) ledger_die "unknown suite $s" ;;
	esac
done

echo
for name in "${failures[@]}"; do
	log="$LEDGER_TMP/script-$(basename "$name" .sh).log"
	case $name in scripts/*) [ -f "$log" ] && ledger_failure_summary "$name" "$log" ;; esac
done
[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
# a passing run leaves nothing under $LEDGER_TMP; a failing one keeps its
# logs, diffs and clusters' data for a look, KEEP=1 everything
if [ "$failed" -eq 0 ] && [ "${KEEP:-0}" != 1 ]; then
	ledger_cluster_stop test
	ledger_tmp_clean
fi
[ "$failed" -eq 0 ]
