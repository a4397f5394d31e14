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

# books_hold DB : the invariants above, and those of the days: no closed day
# holds a balance beyond a bound, no balance was beyond a bound after any
# commit (with track_commit_timestamp), every closed day sealed exactly its
# vouchers, reversals negate what they reverse, check_books passes for every
# day not left closing and verify_books for every closed day
books_hold() {
	local db=$1
	invariants "$db"
	expect "$db" "SELECT count(*) FROM (SELECT e.voucher_id FROM ledger.entry e GROUP BY e.voucher_id, ledger.currency(e.amount)
	               HAVING sum(ledger.minor_units(e.amount)) <> 0) x" 0 "$db: every voucher balances in every currency"
	expect "$db" "SELECT count(*) FROM ledger.book_day WHERE status = 'open'" 1 "$db: exactly one day is open"
	expect "$db" "SELECT count(*) FROM ledger.daily_balance r JOIN ledger.account a ON a.id = r.account_id
	               WHERE NOT r.summary AND (
	                     (a.floor IS NOT NULL AND ledger.minor_units(r.closing) * ledger._normal_sign(a.kind, a.metadata) < ledger.minor_units(a.floor))
	                  OR (a.ceiling IS NOT NULL AND ledger.minor_units(r.closing) * ledger._normal_sign(a.kind, a.metadata) > ledger.minor_units(a.ceiling)))" \
		0 "$db: no day closed with a balance beyond a floor or ceiling"
	if [ "$(q "$db" -c "SHOW track_commit_timestamp")" = on ]; then
		# in commit order a bounded account's balance never left its bounds
		# (its postings are serialised by the row lock on its balance, so
		# their commit timestamps are in the order they were applied)
		expect "$db" "WITH moves AS (
		                 SELECT e.account_id, pg_xact_commit_timestamp(v.xmin) AS ts, v.id, sum(ledger.minor_units(e.amount)) AS units
		                   FROM ledger.entry e JOIN ledger.voucher v ON v.id = e.voucher_id
		                   JOIN ledger.account a ON a.id = e.account_id
		                  WHERE a.floor IS NOT NULL OR a.ceiling IS NOT NULL
		                  GROUP BY 1, 2, 3),
		               running AS (
		                 SELECT m.account_id, m.ts, sum(m.units) OVER (PARTITION BY m.account_id ORDER BY m.ts, m.id) AS units
		                   FROM moves m)
		               SELECT count(*) FROM running r JOIN ledger.account a ON a.id = r.account_id
		                WHERE r.ts IS NULL
		                   OR (a.floor IS NOT NULL AND r.units * ledger._normal_sign(a.kind, a.metadata) < ledger.minor_units(a.floor))
		                   OR (a.ceiling IS NOT NULL AND r.units * ledger._normal_sign(a.kind, a.metadata) > ledger.minor_units(a.ceiling))" \
			0 "$db: no floor or ceiling was crossed after any commit"
	else
		note "skipped: the balance after every commit (track_commit_timestamp is off)"
	fi
	expect "$db" "SELECT count(*) FROM ledger.day_close c JOIN ledger.book_day d USING (book_date)
	               WHERE d.status = 'closed' AND c.vouchers <> (SELECT count(*) FROM ledger.voucher v WHERE v.book_date = c.book_date)" \
		0 "$db: every closed day sealed exactly the vouchers it holds"
	expect "$db" "SELECT count(*) FROM ledger.voucher v JOIN ledger.day_close d ON d.book_date = v.book_date
	               WHERE v.created_at > d.switched_at" 0 "$db: nothing begun after a cutoff's switch is on the day it closed"
	expect "$db" "SELECT count(*) FROM (SELECT r.id, e.account_id FROM ledger.voucher r
	                 JOIN ledger.entry e ON e.voucher_id IN (r.id, r.reverses) WHERE r.reverses IS NOT NULL
	                GROUP BY 1, 2 HAVING sum(ledger.minor_units(e.amount)) <> 0) x" 0 "$db: every reversal negates what it reverses"
	expect "$db" "SELECT count(*) FROM ledger.book_day b, ledger.check_books(b.book_date) c
	               WHERE b.status <> 'closing' AND NOT c.ok" 0 "$db: check_books passes for every day"
	expect "$db" "SELECT count(*) FROM ledger.verify_books('-infinity', 'infinity') v JOIN ledger.book_day d USING (book_date)
	               WHERE d.status = 'closed' AND v.ok IS NOT TRUE" 0 "$db: verify_books passes for every closed day"
}

# clients_agree DB LOG [UNACKNOWLEDGED] : what the clients logged (lines
# "client key id why", id "-" when refused) is what the books hold.  Every
# acknowledged voucher exists with the id its client got, no key got two
# ids, a key only ever refused does not exist, and at most UNACKNOWLEDGED
# (default 0) vouchers of the workload exist that no client acknowledged
# (committed just before a crash, say), refused ones included.  Workload
# keys start with t-, d-, r-.
clients_agree() {
	local db=$1 log=$2 unacked=${3:-0}
	q "$db" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS public.client_log" \
		-c "CREATE TABLE public.client_log (client int, k text, id text, why text)" >/dev/null
	q "$db" -c "COPY public.client_log FROM STDIN (DELIMITER ' ')" <"$log" >/dev/null ||
		fail "$db: could not load the client log $log"
	note "$(q "$db" -c "SELECT format('%s calls logged: %s posted, %s replayed, %s refused by a floor, %s by a ceiling',
	               count(*), count(*) FILTER (WHERE why = 'posted'), count(*) FILTER (WHERE why = 'replayed'),
	               count(*) FILTER (WHERE why = 'floor'), count(*) FILTER (WHERE why = 'ceiling')) FROM public.client_log")"
	expect "$db" "SELECT count(*) FROM public.client_log l LEFT JOIN ledger.voucher v ON v.idempotency_key = l.k
	               WHERE l.id <> '-' AND l.why <> 'none' AND v.id IS DISTINCT FROM l.id::bigint" 0 \
		"$db: every voucher a client was told of exists, with the id it was told"
	expect "$db" "SELECT count(*) FROM (SELECT k FROM public.client_log WHERE id <> '-' GROUP BY k
	               HAVING count(DISTINCT id) > 1) x" 0 "$db: no key was answered with two ids"
	local phantoms
	phantoms=$(q "$db" -c "SELECT count(*) FROM ledger.voucher v
	               WHERE v.idempotency_key ~ '^[tdr]-' AND NOT EXISTS (
	                 SELECT 1 FROM public.client_log l WHERE l.k = v.idempotency_key AND l.id <> '-')")
	[ "$phantoms" -le "$unacked" ] ||
		fail "$db: $phantoms vouchers exist that no client was told of (at most $unacked allowed)"
	note "ok: $db: $phantoms vouchers exist that no client was told of (at most $unacked allowed)"
	expect "$db" "SELECT count(*) FROM (SELECT idempotency_key FROM ledger.voucher GROUP BY 1 HAVING count(*) > 1) x" 0 \
		"$db: no voucher is duplicated"
}

# holds_agree DB LOG [UNACKNOWLEDGED] : what the hold clients logged (lines
# "client op key hold voucher why", op hold / post / void / expire / none,
# "-" for what a client was not given) is what the books hold.  Every hold a
# client was told of exists with its id; every settlement a client was told
# of stands (the hold posted by the voucher the client got, or voided); no
# hold was settled twice; every posted hold has exactly one voucher naming
# it and every voucher naming a hold posts it, within the held amounts; at
# most UNACKNOWLEDGED (default 0) holds of the workload exist that no client
# was told of.  Then holds_hold.
holds_agree() {
	local db=$1 log=$2 unacked=${3:-0} phantoms
	q "$db" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS public.hold_log" \
		-c "CREATE TABLE public.hold_log (client int, op text, k text, hold text, voucher text, why text)" >/dev/null
	q "$db" -c "COPY public.hold_log FROM STDIN (DELIMITER ' ')" <"$log" >/dev/null ||
		fail "$db: could not load the hold log $log"
	note "$(q "$db" -c "SELECT format('%s hold calls logged: %s held, %s refused by a floor, %s by a ceiling, %s by their expiry; %s posted in full, %s in part, %s voided, %s too late; %s expire_holds runs expired %s',
	               count(*) FILTER (WHERE op <> 'none'), count(*) FILTER (WHERE why = 'held'), count(*) FILTER (WHERE op = 'hold' AND why = 'floor'),
	               count(*) FILTER (WHERE op = 'hold' AND why = 'ceiling'), count(*) FILTER (WHERE op = 'hold' AND why = 'expired'),
	               count(*) FILTER (WHERE why = 'posted'),
	               count(*) FILTER (WHERE why = 'partial'), count(*) FILTER (WHERE why = 'voided'), count(*) FILTER (WHERE why = 'late'),
	               count(*) FILTER (WHERE op = 'expire'), COALESCE(sum(why::int) FILTER (WHERE op = 'expire'), 0)) FROM public.hold_log")"
	expect "$db" "SELECT count(*) FROM public.hold_log l LEFT JOIN ledger.hold h ON h.idempotency_key = l.k
	               WHERE l.op = 'hold' AND l.hold <> '-' AND h.id IS DISTINCT FROM l.hold::bigint" 0 \
		"$db: every hold a client was told of exists, with the id it was told"
	expect "$db" "SELECT count(*) FROM public.hold_log l JOIN ledger.hold h ON h.idempotency_key = l.k
	               WHERE l.op = 'hold' AND l.hold = '-'" 0 "$db: no hold a bound or its own expiry refused exists"
	expect "$db" "SELECT count(*) FROM public.hold_log l
	                LEFT JOIN ledger.voucher v ON v.id = l.voucher::bigint LEFT JOIN ledger.hold h ON h.id = l.hold::bigint
	               WHERE l.op = 'post' AND l.voucher <> '-'
	                 AND NOT COALESCE(v.idempotency_key = l.k AND v.hold_id = h.id AND h.status = 'posted' AND h.voucher_id = v.id, false)" 0 \
		"$db: every posting of a hold a client was told of stands: the hold is posted by the voucher the client got"
	expect "$db" "SELECT count(*) FROM public.hold_log l LEFT JOIN ledger.hold h ON h.id = l.hold::bigint
	               WHERE l.op = 'void' AND l.why = 'voided' AND h.status IS DISTINCT FROM 'voided'" 0 \
		"$db: every hold a client was told was voided is voided"
	expect "$db" "SELECT count(*) FROM (SELECT hold FROM public.hold_log WHERE why IN ('posted', 'partial', 'voided') GROUP BY hold
	               HAVING count(DISTINCT CASE WHEN why = 'voided' THEN 'void' ELSE voucher END) > 1) x" 0 \
		"$db: no hold was settled twice (no two vouchers, no voucher and a void)"
	expect "$db" "SELECT (SELECT count(*) FROM ledger.hold h
	                       WHERE (h.status = 'posted') <> EXISTS (SELECT 1 FROM ledger.voucher v WHERE v.hold_id = h.id))
	                   + (SELECT count(*) FROM (SELECT hold_id FROM ledger.voucher WHERE hold_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1) x)
	                   + (SELECT count(*) FROM ledger.voucher v LEFT JOIN ledger.hold h ON h.id = v.hold_id
	                       WHERE v.hold_id IS NOT NULL AND h.voucher_id IS DISTINCT FROM v.id)" 0 \
		"$db: every posted hold has exactly one voucher naming it, and every voucher naming a hold is the one that posted it"
	expect "$db" "SELECT count(*) FROM ledger.voucher v JOIN ledger.entry e ON e.voucher_id = v.id
	                LEFT JOIN ledger.hold_line l ON l.hold_id = v.hold_id AND l.line_no = e.line_no
	               WHERE v.hold_id IS NOT NULL
	                 AND (l.hold_id IS NULL OR l.account_id <> e.account_id
	                      OR sign(ledger.minor_units(e.amount)) <> sign(ledger.minor_units(l.amount))
	                      OR abs(ledger.minor_units(e.amount)) > abs(ledger.minor_units(l.amount)))" 0 \
		"$db: every voucher of a hold posts its lines, at most the amounts held, with their signs"
	expect "$db" "SELECT count(*) FROM ledger.hold WHERE status = 'expired' AND NOT expires_at <= settled_at" 0 \
		"$db: no hold was marked expired before its expiry"
	phantoms=$(q "$db" -c "SELECT count(*) FROM ledger.hold h WHERE h.idempotency_key ~ '^h-' AND NOT EXISTS (
	               SELECT 1 FROM public.hold_log l WHERE l.k = h.idempotency_key AND l.hold <> '-')")
	[ "$phantoms" -le "$unacked" ] ||
		fail "$db: $phantoms holds exist that no client was told of (at most $unacked allowed)"
	note "ok: $db: $phantoms holds exist that no client was told of (at most $unacked allowed)"
	holds_hold "$db"
}

# holds_hold DB : the held totals of the balance rows are the lines of the
# pending holds; on every book day, no hold begun after its switch; every
# bounded account's available balance is within its bounds now and (with
# track_commit_timestamp) was after every commit: entries counted when their
# voucher committed, a hold's lines held from its commit until the commit
# that settled it or its expiry, whichever came first
holds_hold() {
	local db=$1
	expect "$db" "WITH lines AS (
	                 SELECT l.account_id,
	                        sum(greatest(ledger.minor_units(l.amount), 0)) AS debit,
	                        sum(greatest(-ledger.minor_units(l.amount), 0)) AS credit
	                   FROM ledger.hold h JOIN ledger.hold_line l ON l.hold_id = h.id
	                  WHERE h.status = 'pending' GROUP BY 1),
	               rows AS (
	                 SELECT account_id, sum(held_debit) AS debit, sum(held_credit) AS credit
	                   FROM ledger.account_balance GROUP BY 1)
	               SELECT count(*) FROM rows FULL JOIN lines USING (account_id)
	                WHERE COALESCE(rows.debit, 0) <> COALESCE(lines.debit, 0) OR COALESCE(rows.credit, 0) <> COALESCE(lines.credit, 0)" 0 \
		"$db: the held totals of the balance rows are the lines of the pending holds"
	expect "$db" "SELECT count(*) FROM ledger.hold h JOIN ledger.day_close d ON d.book_date = h.book_date
	               WHERE h.created_at > d.switched_at" 0 "$db: no hold begun after a cutoff's switch is on the day it closed"
	expect "$db" "SELECT count(*) FROM ledger.account a
	                CROSS JOIN LATERAL (SELECT sum(b.units) AS units, sum(b.held_debit) AS hd, sum(b.held_credit) AS hc
	                                      FROM ledger.account_balance b WHERE b.account_id = a.id) b
	                CROSS JOIN LATERAL ledger._expired_held(a.id) x
	                CROSS JOIN LATERAL (SELECT ledger._normal_sign(a.kind, a.metadata) AS sign) s
	               WHERE (a.floor IS NOT NULL AND COALESCE(b.units, 0) * s.sign
	                        - CASE WHEN s.sign > 0 THEN COALESCE(b.hc, 0) - x.credit ELSE COALESCE(b.hd, 0) - x.debit END
	                        < ledger.minor_units(a.floor))
	                  OR (a.ceiling IS NOT NULL AND COALESCE(b.units, 0) * s.sign
	                        + CASE WHEN s.sign > 0 THEN COALESCE(b.hd, 0) - x.debit ELSE COALESCE(b.hc, 0) - x.credit END
	                        > ledger.minor_units(a.ceiling))" 0 \
		"$db: no available balance is below its floor, no balance with what holds would add above its ceiling"
	if [ "$(q "$db" -c "SHOW track_commit_timestamp")" = on ]; then
		expect "$db" "WITH bounded AS (
		                 SELECT a.id, ledger._normal_sign(a.kind, a.metadata) AS sign,
		                        ledger.minor_units(a.floor) AS lo, ledger.minor_units(a.ceiling) AS hi
		                   FROM ledger.account a WHERE a.floor IS NOT NULL OR a.ceiling IS NOT NULL),
		               settled AS (
		                 SELECT h.id, h.expires_at,
		                        CASE WHEN h.status = 'posted' THEN pg_xact_commit_timestamp(v.xmin)
		                             WHEN h.status <> 'pending' THEN pg_xact_commit_timestamp(h.xmin) END AS ts
		                   FROM ledger.hold h LEFT JOIN ledger.voucher v ON v.id = h.voucher_id),
		               moves AS (
		                 SELECT e.account_id, pg_xact_commit_timestamp(v.xmin) AS ts,
		                        sum(ledger.minor_units(e.amount)) AS units, 0 AS debit, 0 AS credit
		                   FROM ledger.entry e JOIN ledger.voucher v ON v.id = e.voucher_id
		                  WHERE e.account_id IN (SELECT id FROM bounded) GROUP BY 1, 2
		                 UNION ALL
		                 SELECT l.account_id, pg_xact_commit_timestamp(l.xmin), 0,
		                        greatest(ledger.minor_units(l.amount), 0), greatest(-ledger.minor_units(l.amount), 0)
		                   FROM ledger.hold_line l WHERE l.account_id IN (SELECT id FROM bounded)
		                 UNION ALL
		                 SELECT l.account_id, least(s.ts, s.expires_at), 0,
		                        -greatest(ledger.minor_units(l.amount), 0), -greatest(-ledger.minor_units(l.amount), 0)
		                   FROM settled s JOIN ledger.hold_line l ON l.hold_id = s.id
		                  WHERE l.account_id IN (SELECT id FROM bounded) AND (s.ts IS NOT NULL OR s.expires_at IS NOT NULL)),
		               running AS (
		                 SELECT m.account_id, m.ts, sum(m.units) OVER w AS units, sum(m.debit) OVER w AS debit, sum(m.credit) OVER w AS credit
		                   FROM moves m WINDOW w AS (PARTITION BY m.account_id ORDER BY m.ts))
		               SELECT count(*) FROM running r JOIN bounded b ON b.id = r.account_id
		                WHERE r.ts IS NULL
		                   OR (b.lo IS NOT NULL AND r.units * b.sign - CASE WHEN b.sign > 0 THEN r.credit ELSE r.debit END < b.lo)
		                   OR (b.hi IS NOT NULL AND r.units * b.sign + CASE WHEN b.sign > 0 THEN r.debit ELSE r.credit END > b.hi)" 0 \
			"$db: no available balance was below its floor after any commit, nor a balance with what holds would add above its ceiling"
	else
		note "skipped: the available balance after every commit (track_commit_timestamp is off)"
	fi
}
