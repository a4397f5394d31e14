#!/usr/bin/env bash
# tools/upgrade_sync.sh — after merging changes that redefine the same
# functions: run the upgrade test, and for every function whose definition
# after `ALTER EXTENSION ledger UPDATE` differs from a fresh install, replace its
# definitions in sql/ledger--1.0--1.1.sql by the fresh install's definition
# (tools/upgrade_sync.py).  Read the diff before committing.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
KEEP=1 SUITES=scripts ONLY=upgrade bash test/run.sh >/dev/null 2>&1
source tools/pgenv.sh
export PGHOST="$LEDGER_TMP/test/sock" PGPORT=${LEDGER_PORT:-54329} PGUSER=postgres
trap 'ledger_cluster_stop test' EXIT
d="$LEDGER_TMP/scripts/upgrade/ledger_upgrade_from_1_0.diff"
# the functions whose definition differs after the update, and those the
# update script defines more than once
sigs=$( { [ -s "$d" ] && grep -E '^[-+]function ' "$d" | sed -E 's/^[-+]function ([^ ]+) kind.*/\1/'
	for n in $(python3 -c 'import sys, collections; sys.path.insert(0, "tools")
from upgrade_sync import statements, name_of
t = open("sql/ledger--1.0--1.1.sql").read()
c = collections.Counter(n for n in (name_of(t[s:e]) for s, e in statements(t)) if n)
print(" ".join(n.split(".")[1] for n, k in c.items() if k > 1))'); do
		psql -X -At -d ledger_upgrade_fresh -c "SELECT oid::regprocedure FROM pg_proc
			WHERE pronamespace = 'ledger'::regnamespace AND proname = '$n'
			  AND (SELECT count(*) FROM pg_proc WHERE pronamespace = 'ledger'::regnamespace AND proname = '$n') = 1"
	done; } | sort -u)
[ -n "$sigs" ] || { echo "upgrade_sync: nothing to do"; [ -s "$d" ] && grep -E '^[-+]' "$d" | head; exit 0; }
defs=$(mktemp)
for s in $sigs; do
	psql -X -At -d ledger_upgrade_fresh -c "SELECT pg_get_functiondef('$s'::regprocedure)" >>"$defs" || exit 1
	printf '\n-- next\n' >>"$defs"
	echo "upgrade_sync: $s"
done
LEDGER_OVERLOADED=$(psql -X -At -d ledger_upgrade_fresh -c "SELECT string_agg(DISTINCT 'ledger.' || proname, ' ')
	FROM pg_proc WHERE pronamespace = 'ledger'::regnamespace
	  AND proname IN (SELECT proname FROM pg_proc WHERE pronamespace = 'ledger'::regnamespace GROUP BY 1 HAVING count(*) > 1)") \
python3 tools/upgrade_sync.py sql/ledger--1.0--1.1.sql "$defs"
rm -f "$defs"
