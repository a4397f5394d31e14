#!/usr/bin/env bash
# tools/upgrade_sync.sh — after merging changes that redefine the same
# functions: run the upgrade test, and for every function whose definition
# after `ALTER EXTENSION ledger UPDATE` differs from a fresh install, replace its
# CREATE OR REPLACE statements in sql/ledger--1.0--1.1.sql by the fresh
# install's definition (tools/upgrade_sync.py).  Read the diff before committing.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
KEEP=1 SUITES=scripts ONLY=upgrade bash test/run.sh >/dev/null 2>&1
source tools/pgenv.sh
export PGHOST="$LEDGER_TMP/test/sock" PGPORT=${LEDGER_PORT:-54329} PGUSER=postgres
trap 'ledger_cluster_stop test' EXIT
d="$LEDGER_TMP/scripts/upgrade/ledger_upgrade_from_1_0.diff"
[ -s "$d" ] || { echo "upgrade_sync: no difference"; exit 0; }
sigs=$(grep -E '^[-+]function ' "$d" | sed -E 's/^[-+]function ([^ ]+) kind.*/\1/' | sort -u)
[ -n "$sigs" ] || { echo "upgrade_sync: the differences are not function definitions:"; grep -E '^[-+]' "$d" | head; exit 1; }
defs=$(mktemp)
for s in $sigs; do
	psql -X -At -d ledger_upgrade_fresh -c "SELECT pg_get_functiondef('$s'::regprocedure)" >>"$defs" || exit 1
	printf '\n-- next\n' >>"$defs"
	echo "upgrade_sync: $s"
done
python3 tools/upgrade_sync.py sql/ledger--1.0--1.1.sql "$defs"
rm -f "$defs"
