#!/usr/bin/env bash
# test/stress.sh [--short | --full] — `make stress`: the long tests.
#
#   concurrency  test/scripts/concurrency.sh at every isolation level, longer
#                and with more sessions than in `make test` (postings and
#                holds: test/stress/*.pgbench on the books of setup.sql)
#   crash        test/scripts/crash.sh, the whole sequence several times,
#                postings and holds in the load
#   fuzz         test/fuzz/run.sh, every libFuzzer harness for a bounded time
#   router       test/scripts/router.sh with more sessions, transfers and node kills
#
# --short (the default, and what CI runs): a few minutes in all.
# --full (`make stress FULL=1`): about half an hour.
# The environment overrides either: STRESS_SECONDS (per isolation level),
# STRESS_CLIENTS, CRASH_ROUNDS, FUZZ_SECONDS (per harness), ROUTER_CLIENTS,
# ROUTER_TRANSFERS, ROUTER_KILLS; STRESS_PARTS picks parts ("concurrency crash
# fuzz router").  KEEP=1 leaves the cluster running.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mode=short
case ${1:-} in
	'' | --short) mode=short ;;
	--full) mode=full ;;
	-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "usage: $0 [--short | --full]" >&2; exit 2 ;;
esac
if [ $mode = short ]; then
	: "${STRESS_SECONDS:=30}" "${STRESS_CLIENTS:=12}" "${CRASH_ROUNDS:=2}" "${FUZZ_SECONDS:=30}"
	: "${ROUTER_CLIENTS:=8}" "${ROUTER_TRANSFERS:=300}" "${ROUTER_KILLS:=3}"
else
	: "${STRESS_SECONDS:=300}" "${STRESS_CLIENTS:=24}" "${CRASH_ROUNDS:=10}" "${FUZZ_SECONDS:=300}"
	: "${ROUTER_CLIENTS:=16}" "${ROUTER_TRANSFERS:=2000}" "${ROUTER_KILLS:=10}"
fi
export STRESS_SECONDS STRESS_CLIENTS CRASH_ROUNDS ROUTER_CLIENTS ROUTER_TRANSFERS ROUTER_KILLS
parts=${STRESS_PARTS:-concurrency crash fuzz router}

source "$top/tools/pgenv.sh"
mkdir -p "$LEDGER_TMP"
ledger_ensure_deps
ledger_log "stress ($mode): concurrency ${STRESS_SECONDS}s per isolation level with $STRESS_CLIENTS sessions," \
	"$CRASH_ROUNDS crash rounds, fuzzing ${FUZZ_SECONDS}s per harness"
ledger_build
LEDGER_PORT=${STRESS_PORT:-54336} ledger_cluster_start stress "fsync = off" "synchronous_commit = off" \
	"full_page_writes = off" "track_commit_timestamp = on" "max_connections = 300" "shared_buffers = 256MB" \
	"max_pred_locks_per_transaction = 256"
[ "${KEEP:-0}" = 1 ] || trap 'ledger_cluster_stop stress' EXIT

failures=()
run() {	# NAME COMMAND...
	local name=$1 start rc
	shift
	ledger_log "$name"
	start=$(date +%s)
	( cd "$top" && "$@" ) 2>&1 | tee "$LEDGER_TMP/stress-$name.log"
	rc=${PIPESTATUS[0]}
	if [ $rc -eq 0 ]; then
		echo "ok - $name ($(($(date +%s) - start))s)"
	else
		echo "not ok - $name ($(($(date +%s) - start))s)"
		failures+=("$name")
	fi
}

for part in $parts; do
	case $part in
		concurrency) run concurrency bash test/scripts/concurrency.sh ;;
		crash) run crash bash test/scripts/crash.sh ;;
		router) run router bash test/scripts/router.sh ;;
		fuzz)
			if bash "$top/test/fuzz/build.sh" >/dev/null 2>&1 || [ $? -ne 2 ]; then
				run fuzz bash test/fuzz/run.sh "$FUZZ_SECONDS"
			else
				echo "ok - fuzz # SKIP clang is not installed"
			fi ;;
		*) ledger_die "unknown part $part" ;;
	esac
done

echo
if [ ${#failures[@]} -eq 0 ]; then
	echo "stress ($mode): all passed"
else
	for name in "${failures[@]}"; do
		ledger_failure_summary "$name" "$LEDGER_TMP/stress-$name.log"
	done
	echo "stress ($mode): failed: ${failures[*]}"
	exit 1
fi
