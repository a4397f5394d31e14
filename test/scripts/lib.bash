# test/scripts/lib.bash — helpers for the scripted tests.  Sourced by each
# test/scripts/*.sh, which run against the cluster test/run.sh started
# (PGHOST, PGPORT, PGUSER are set).  Not a test itself.

set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=${LEDGER_TMP:-$TOP/tmp_check}/scripts/$(basename "$0" .sh)
rm -rf "$WORK"; mkdir -p "$WORK"
[ "$(id -u)" -eq 0 ] && chmod 777 "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "  $*"; }

# q DB SQL... : run SQL, print unaligned tuples only
q() { local db=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -At -d "$db" "$@"; }

# newdb NAME : a fresh database with the extension
newdb() {
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null 2>&1 ||
		fail "could not create database $1"
	q "$1" -c "CREATE EXTENSION ledger" >/dev/null || fail "could not create the extension in $1"
}

# expect DB "SQL" "value" "what"
expect() {
	local got; got=$(q "$1" -c "$2" 2>&1)
	[ "$got" = "$3" ] || fail "$4: expected '$3', got '$got'"
	note "ok: $4"
}

# the books hold together: every currency nets to zero, balances equal entries,
# no floor or ceiling is crossed, every voucher is on one existing day
invariants() {
	local db=$1
	expect "$db" "SELECT count(*) FROM (SELECT ledger.currency(amount) FROM ledger.entry
	                GROUP BY 1 HAVING sum(ledger.minor_units(amount)) <> 0) x" 0 "$db: every currency nets to zero"
	expect "$db" "SELECT count(*) FROM ledger.account a
	                LEFT JOIN (SELECT account_id, sum(units) u FROM ledger.account_balance GROUP BY 1) b ON b.account_id = a.id
	                LEFT JOIN (SELECT account_id, sum(ledger.minor_units(amount)) u FROM ledger.entry GROUP BY 1) e ON e.account_id = a.id
	               WHERE COALESCE(b.u, 0) <> COALESCE(e.u, 0)" 0 "$db: balances equal the sum of entries"
	expect "$db" "SELECT count(*) FROM ledger.account a
	               WHERE (a.floor IS NOT NULL AND ledger.balance(a.code) OPERATOR(ledger.<) a.floor)
	                  OR (a.ceiling IS NOT NULL AND ledger.balance(a.code) OPERATOR(ledger.>) a.ceiling)" 0 "$db: no bound crossed"
	expect "$db" "SELECT count(*) FROM ledger.voucher v LEFT JOIN ledger.book_day d ON d.book_date = v.book_date
	               WHERE d.book_date IS NULL" 0 "$db: every voucher is on a book day"
	expect "$db" "SELECT count(*) FROM ledger.entry e JOIN ledger.voucher v ON v.id = e.voucher_id
	               WHERE e.book_date <> v.book_date" 0 "$db: every entry is on its voucher's day"
	expect "$db" "SELECT count(*) FROM (SELECT e.voucher_id FROM ledger.entry e GROUP BY 1
	               HAVING count(*) < 2) x" 0 "$db: every voucher has two entries or more"
}
