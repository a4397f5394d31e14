#!/usr/bin/env bash
# Reports on a hot standby: a streaming replica of the test cluster
# (pg_basebackup -R -X stream, its own socket and port, removed at the end,
# also on failure) replays books written on the primary after the base
# backup: accounts with a hot account and bounded wallets, postings spread
# over several balance slots of the hot accounts, a reversal, holds
# (pending, posted, voided), a WeChat Pay bill and a camt.053 statement
# loaded, a reconciliation with a break resolved, a balance assertion, two
# cutoffs and postings on the new open day.  Once the standby has replayed
# the primary's WAL:
#
#  - every read entry point gives on the standby, byte for byte, what it
#    gives on the primary: balance (now and at the end of every day),
#    available, account_history, trial_balance (every day, closed periods,
#    periods reaching the open day), check_books (every day), verify_books,
#    statement_raw (every import), check_assertions, the views balances,
#    journal, holds and recon_report, and every row of every table;
#  - the hot accounts' balances while their movements sit in several slots
#    (not folded), and again after the primary folds them (hot off);
#  - a standby session that read before a change on the primary (a new
#    child account, a cutoff) sees the change once it is replayed: the
#    ledger's per-session caches are invalidated by replay;
#  - every write entry point fails with SQLSTATE 25006 and the standby stays
#    up and goes on replaying;
#  - a REPEATABLE READ transaction on the standby reads the same books, open
#    day included, from start to end while the primary posts and closes a
#    day, and the next transaction sees the new postings;
#  - SERIALIZABLE is refused by PostgreSQL on a standby (0A000);
#  - recovery conflicts: with hot_standby_feedback off and
#    max_standby_streaming_delay = 1s, a REPEATABLE READ report is cancelled
#    (40001) when the primary vacuums rows its snapshot sees; with
#    hot_standby_feedback on (the primary holds the standby's xmin) the same
#    report runs to its end.
#
#   STANDBY_PORT   the standby's port (default: the test cluster's + 1)
source "$(dirname "$0")/lib.bash"
source "$TOP/tools/pgenv.sh"
DB=ledger_standby
SB=$WORK/standby
SBPORT=${STANDBY_PORT:-$((PGPORT + 1))}
PRIMARY_HOST=$PGHOST PRIMARY_PORT=$PGPORT

cleanup() {
	[ -n "${poster:-}" ] && kill "$poster" 2>/dev/null
	[ -f "$SB/data/postmaster.pid" ] && ledger_as_server pg_ctl -D "$SB/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$SB"
}
trap cleanup EXIT

# sq DB SQL... : q on the standby
sq() { local db=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -At -h "$SB/sock" -p "$SBPORT" -d "$db" "$@"; }
sexpect() {	# sexpect DB "SQL" "value" "what" : expect, on the standby
	local got; got=$(sq "$1" -c "$2" 2>&1)
	[ "$got" = "$3" ] || fail "standby: $4: expected '$3', got '$got'"
	note "ok: standby: $4"
}
# caught_up : waits until the standby has replayed everything the primary has
# written (30 s at most).  The insert position, not pg_current_wal_lsn() (the
# write position): with synchronous_commit = off, as in the test cluster, a
# commit that has returned may still be in the WAL buffers, behind it.
caught_up() {
	local lsn i
	lsn=$(q postgres -c "SELECT pg_current_wal_insert_lsn()") || fail "could not read the primary's WAL position"
	for i in $(seq 1 300); do
		[ "$(sq postgres -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	fail "the standby did not replay up to $lsn in 30 s (it is at $(sq postgres -c "SELECT pg_last_wal_replay_lsn()" 2>&1))"
}

newdb $DB

# ---- the standby: a base backup of the primary with the books still empty,
# so that everything below reaches it by streaming replication ----
start=$SECONDS
mkdir -p "$SB/sock"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$SB"
ledger_as_server pg_basebackup -h "$PGHOST" -p "$PGPORT" -U postgres -D "$SB/data" -R -X stream -c fast \
	>"$WORK/basebackup.out" 2>&1 || { cat "$WORK/basebackup.out"; fail "pg_basebackup failed"; }
{
	echo "port = $SBPORT"
	echo "unix_socket_directories = '$SB/sock'"
	echo "hot_standby = on"
	echo "hot_standby_feedback = on"
	echo "shared_buffers = 32MB"
} | ledger_as_server tee -a "$SB/data/postgresql.conf" >/dev/null
ledger_as_server pg_ctl -D "$SB/data" -l "$SB/server.log" -w -t 60 start >/dev/null ||
	{ cat "$SB/server.log"; fail "the standby did not start"; }
sexpect postgres "SELECT pg_is_in_recovery()" t "the standby is in recovery (streaming from the primary)"
note "standby up in $((SECONDS - start)) s ($(du -sh "$SB/data" | cut -f1))"

# ---- the books, written on the primary ----
q $DB >/dev/null <<SQL || fail "could not write the books on the primary"
SET client_min_messages = warning;
SELECT ledger.open_books(current_date - 2);
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES
	('1002', 'bank deposits', 'asset', NULL, false),
	('6021', 'fee income', 'revenue', 'CNY', true),
	('1122', 'receivable, WeChat Pay', 'asset', 'CNY', false),
	('1002.02', 'EUR account', 'asset', 'EUR', false),
	('3001', 'clearing', 'equity', 'EUR', false);
INSERT INTO ledger.account (code, name, kind, currency, parent_code, hot) VALUES
	('1002.01', 'reserve funds', 'asset', 'CNY', '1002', true);
INSERT INTO ledger.account (code, name, kind, currency, floor, ceiling)
SELECT 'w' || i, 'wallet ' || i, 'liability', 'CNY', '0 CNY', CASE WHEN i = 1 THEN '5000 CNY'::ledger.amount END
  FROM generate_series(1, 4) i;
INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES
	('reserve covers wallets', ARRAY['1002.01'], '>=', ARRAY['w1', 'w2', 'w3', 'w4'], 'CNY');
SELECT ledger.post('open-' || i, ARRAY['1002.01', 'w' || i], ARRAY[ledger.amount(1000, 'CNY'), ledger.amount(-1000, 'CNY')],
	'opening deposit', 'DEP' || i) FROM generate_series(1, 4) i;
SELECT ledger.post('eur-1', ARRAY['1002.02', '3001'], ARRAY['250.00 EUR', '-250.00 EUR']::ledger.amount[]);
SELECT ledger.post('pay-' || i, ARRAY['w' || (i % 4 + 1), 'w' || ((i + 1) % 4 + 1), '6021'],
	ARRAY[ledger.amount(10 + i, 'CNY'), ledger.amount(-(9 + i), 'CNY'), '-1 CNY']::ledger.amount[], 'payment ' || i, 'ORD' || i)
  FROM generate_series(1, 20) i;
SELECT ledger.reverse((SELECT id FROM ledger.voucher WHERE idempotency_key = 'pay-3'), 'pay-3-r');
SELECT ledger.hold('h-posted', ARRAY['w1', '1122'], ARRAY['5 CNY', '-5 CNY']::ledger.amount[]);
SELECT ledger.hold('h-voided', ARRAY['w2', '1122'], ARRAY['6 CNY', '-6 CNY']::ledger.amount[]);
SELECT ledger.hold('h-pending', ARRAY['w3', '1122'], ARRAY['7 CNY', '-7 CNY']::ledger.amount[], 'pending hold', 'H3');
SELECT ledger.post_hold((SELECT id FROM ledger.hold WHERE idempotency_key = 'h-posted'), 'h-posted-v');
SELECT ledger.void_hold((SELECT id FROM ledger.hold WHERE idempotency_key = 'h-voided'), 'customer cancelled');
-- the WeChat Pay bill of the first day (its lines dated that day) against the receivable
SELECT ledger.post('wx-' || r, ARRAY['1122', '6021'], ARRAY[a, OPERATOR(ledger.-) a], 'WeChat Pay ' || r, r)
  FROM (VALUES ('T-WX-101', '100.00 CNY'::ledger.amount), ('T-WX-102', '25.50 CNY')) v(r, a);
SELECT ledger.load_wechat_bill('wechat', current_date - 2,
	replace(pg_read_file('$TOP/test/data/wechat_ok.csv'), '2026-11-02', (current_date - 2)::text));
SELECT ledger.load_camt053('camt', pg_read_file('$TOP/test/data/camt053_v08.xml'));
UPDATE ledger.account SET reconcilable = true WHERE code = '1122';
CALL ledger.reconcile('wechat', current_date - 2, '1122');
SELECT ledger.resolve_break((SELECT min(id) FROM ledger.recon_break), 'looked into');
CALL ledger.close_day();
SELECT ledger.post('d2-' || i, ARRAY['w1', '6021', 'w2'], ARRAY['2 CNY', '-0.5 CNY', '-1.5 CNY']::ledger.amount[])
  FROM generate_series(1, 10) i;
CALL ledger.close_day();
SELECT ledger.post('d3-' || i, ARRAY['w2', '6021', 'w4'], ARRAY['3 CNY', '-1 CNY', '-2 CNY']::ledger.amount[])
  FROM generate_series(1, 5) i;
SQL
# postings from sessions open at the same time: each books the hot accounts
# into the slot of its backend, so their movements sit in several slots
for i in 1 2 3 4; do
	q $DB -c "SELECT ledger.post('slot-$i', ARRAY['1002.01', '6021'], ARRAY['$i CNY', '-$i CNY']::ledger.amount[])" \
		-c "SELECT pg_sleep(1)" >/dev/null 2>&1 &
done
wait
expect $DB "SELECT count(*) FROM ledger.voucher WHERE idempotency_key LIKE 'slot-%'" 4 "primary: the postings of four sessions at once"
slots=$(q $DB -c "SELECT count(*) FROM ledger.account_balance b JOIN ledger.account a ON a.id = b.account_id
                   WHERE a.code = '6021' AND b.units <> 0")
[ "$slots" -ge 2 ] || fail "the hot account's movements sit in $slots slot(s), not several"
note "ok: primary: the hot account's movements sit in $slots balance slots"
expect $DB "SELECT string_agg(status, ' ' ORDER BY book_date) FROM ledger.book_day" "closed closed open" \
	"primary: two closed days and the open day"
expect $DB "SELECT string_agg(status, ' ' ORDER BY id) FROM ledger.hold" "posted voided pending" "primary: holds posted, voided, pending"
expect $DB "SELECT count(*) > 0 FROM ledger.recon_break WHERE status = 'resolved'" t "primary: a break resolved"
caught_up
note "ok: the standby replayed the primary's WAL"

# ---- every read entry point, byte for byte ----
cat >"$WORK/reads.sql" <<'SQL'
\pset null (null)
SET client_min_messages = warning;
SELECT 'day ' || d.book_date || ' ' || d.status || ' ' || COALESCE(encode(d.digest, 'hex'), '') FROM ledger.book_day d ORDER BY d.book_date;
SELECT 'current_book_date ' || ledger.current_book_date();
SELECT 'balance ' || a.code || ' ' || COALESCE(ledger.balance(a.code)::text, 'none') FROM ledger.account a ORDER BY a.code;
SELECT 'balance ' || a.code || ' ' || d.book_date || ' ' || COALESCE(ledger.balance(a.code, d.book_date)::text, 'none')
  FROM ledger.account a, ledger.book_day d ORDER BY a.code, d.book_date;
SELECT 'available ' || a.code || ' ' || COALESCE(ledger.available(a.code)::text, 'none') FROM ledger.account a ORDER BY a.code;
SELECT 'history ' || a.code || ' ' || h.ordinality || ' ' || h::text
  FROM ledger.account a
 CROSS JOIN LATERAL ledger.account_history(a.code, (SELECT min(book_date) FROM ledger.book_day)) WITH ORDINALITY h
 WHERE NOT EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = a.code)
 ORDER BY a.code, h.ordinality;
SELECT 'history ' || a.code || ' last day ' || h.ordinality || ' ' || h::text
  FROM ledger.account a
 CROSS JOIN LATERAL ledger.account_history(a.code, ledger.current_book_date() - 1, ledger.current_book_date() - 1) WITH ORDINALITY h
 WHERE a.code IN ('w1', '6021', '1002.01') ORDER BY a.code, h.ordinality;
SELECT 'trial ' || d.book_date || ' ' || t.ordinality || ' ' || t::text
  FROM ledger.book_day d CROSS JOIN LATERAL ledger.trial_balance(d.book_date) WITH ORDINALITY t ORDER BY d.book_date, t.ordinality;
SELECT 'trial closed ' || t.ordinality || ' ' || t::text
  FROM ledger.trial_balance((SELECT min(book_date) FROM ledger.book_day),
                            (SELECT max(book_date) FROM ledger.book_day WHERE status = 'closed')) WITH ORDINALITY t ORDER BY t.ordinality;
SELECT 'trial all ' || t.ordinality || ' ' || t::text
  FROM ledger.trial_balance((SELECT min(book_date) FROM ledger.book_day), ledger.current_book_date()) WITH ORDINALITY t ORDER BY t.ordinality;
SELECT 'check ' || d.book_date || ' ' || c.ordinality || ' ' || c::text
  FROM ledger.book_day d CROSS JOIN LATERAL ledger.check_books(d.book_date) WITH ORDINALITY c ORDER BY d.book_date, c.ordinality;
SELECT 'verify ' || v.ordinality || ' ' || v::text FROM ledger.verify_books('-infinity', 'infinity') WITH ORDINALITY v ORDER BY v.ordinality;
SELECT 'raw ' || i.id || ' ' || r.ordinality || ' ' || r::text
  FROM ledger.statement_import i CROSS JOIN LATERAL ledger.statement_raw(i.id) WITH ORDINALITY r ORDER BY i.id, r.ordinality;
SELECT 'assertions ' || c.ordinality || ' ' || c::text FROM ledger.check_assertions() WITH ORDINALITY c ORDER BY c.ordinality;
SELECT 'balances ' || v::text FROM ledger.balances v ORDER BY v::text;
SELECT 'journal ' || v::text FROM ledger.journal v ORDER BY v.voucher_id, v.line_no;
SELECT 'holds ' || v::text FROM ledger.holds v ORDER BY v.hold_id, v.line_no;
SELECT 'recon_report ' || v::text FROM ledger.recon_report v ORDER BY v.source, v.statement_date;
\copy (SELECT 'csv' AS csv, account_code, account_name, currency, opening_debit::numeric AS opening_debit, opening_credit::numeric AS opening_credit, period_debit::numeric AS period_debit, period_credit::numeric AS period_credit, closing_debit::numeric AS closing_debit, closing_credit::numeric AS closing_credit FROM ledger.trial_balance(ledger.current_book_date())) TO STDOUT WITH (FORMAT csv, HEADER)
SELECT format('SELECT %L || '' '' || count(*) || '' '' || md5(COALESCE(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) FROM ledger.%I t',
              'table ' || c.relname, c.relname)
  FROM pg_class c
 WHERE c.relnamespace = 'ledger'::regnamespace AND c.relkind = 'r'
 ORDER BY c.relname \gexec
SQL
[ "$(id -u)" -eq 0 ] && chmod 644 "$WORK/reads.sql"
# reads NAME [ROLE] : the reads on the primary and on the standby (as ROLE),
# which must be the same
reads() {
	q $DB -f "$WORK/reads.sql" >"$WORK/$1.primary.txt" 2>&1 || { tail -n 5 "$WORK/$1.primary.txt"; fail "$1: the reads failed on the primary"; }
	sq $DB -U "${2:-postgres}" -f "$WORK/reads.sql" >"$WORK/$1.standby.txt" 2>&1 || { tail -n 5 "$WORK/$1.standby.txt"; fail "$1: the reads failed on the standby"; }
	diff -u "$WORK/$1.primary.txt" "$WORK/$1.standby.txt" >"$WORK/$1.diff" ||
		{ head -n 40 "$WORK/$1.diff"; fail "$1: the standby reads other books than the primary"; }
	local what
	for what in day balance available history trial check verify raw assertions balances journal holds recon_report csv table; do
		grep -q "^$what[ ,]" "$WORK/$1.standby.txt" || fail "$1: the reads gave no '$what' line"
	done
	note "ok: $1: the standby gives the primary's output byte for byte ($(wc -l <"$WORK/$1.standby.txt") lines: $(cut -d' ' -f1 "$WORK/$1.standby.txt" | cut -d, -f1 | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}' | sed 's/, $//'))"
}
reads slots
grep -q '^check .*,f,' "$WORK/slots.standby.txt" && fail "a check of the books fails: $(grep '^check .*,f,' "$WORK/slots.standby.txt" | head -n 3)"
grep -q '^verify .*,t,' "$WORK/slots.standby.txt" || fail "verify_books verified no day"
grep '^verify ' "$WORK/slots.standby.txt" | grep -q ',f,' && fail "verify_books fails: $(grep '^verify ' "$WORK/slots.standby.txt")"
grep -q '^assertions .*reserve covers wallets",t,' "$WORK/slots.standby.txt" || fail "the balance assertion does not hold on the standby"
note "ok: standby: check_books passes on every day, verify_books on every closed day, the assertion holds"
sexpect $DB "SELECT count(*) FROM ledger.account_balance b JOIN ledger.account a ON a.id = b.account_id
              WHERE a.code = '6021' AND b.units <> 0" "$slots" "the hot account's movements sit in $slots slots on the standby too"
sexpect $DB "SELECT ledger.balance('6021')::text = ledger.amount_of_units((-sum(ledger.minor_units(e.amount)))::bigint, 'CNY')::text
               FROM ledger.entry e JOIN ledger.account a ON a.id = e.account_id WHERE a.code = '6021'" t \
	"the hot account's balance, summed over its slots, is the sum of its entries"

# ---- the primary folds the slots (hot off): same balances on the standby ----
before=$(sq $DB -c "SELECT ledger.balance('6021') || ' ' || ledger.balance('1002.01') || ' ' || ledger.balance('1002')")
q $DB -c "UPDATE ledger.account SET hot = false WHERE code IN ('6021', '1002.01')" >/dev/null || fail "could not fold the hot accounts"
caught_up
sexpect $DB "SELECT count(*) FROM ledger.account_balance b JOIN ledger.account a ON a.id = b.account_id
              WHERE a.code IN ('6021', '1002.01')" 2 "the primary's fold replayed: one balance row each"
sexpect $DB "SELECT ledger.balance('6021') || ' ' || ledger.balance('1002.01') || ' ' || ledger.balance('1002')" "$before" \
	"the balances after the fold are those read from the slots"
reads folded
q $DB -c "UPDATE ledger.account SET hot = true WHERE code IN ('6021', '1002.01')" >/dev/null || fail "could not make the accounts hot again"

# ---- a standby session's caches follow the replay ----
# wait.sh SQL VALUE : run by a standby session (\!) to wait until the
# standby has replayed what makes SQL return VALUE (30 s at most)
cat >"$WORK/wait.sh" <<EOF
for i in \$(seq 1 300); do
	[ "\$(psql -X -At -h '$SB/sock' -p $SBPORT -d $DB -c "\$1")" = "\$2" ] && exit 0
	sleep 0.1
done
echo "timed out waiting for: \$1 = \$2"
EOF
[ "$(id -u)" -eq 0 ] && chmod 644 "$WORK/wait.sh"
{
	echo "SELECT 'before ' || ledger.balance('1002') || ' ' || ledger.current_book_date();"
	echo "\\! psql -X -q -v ON_ERROR_STOP=1 -h '$PRIMARY_HOST' -p $PRIMARY_PORT -d $DB -f '$WORK/change.sql' >'$WORK/change.out' 2>&1"
	echo "\\! bash '$WORK/wait.sh' \"SELECT count(*) FROM ledger.voucher WHERE idempotency_key = 'grp-1'\" 1"
	echo "SELECT 'after ' || ledger.balance('1002') || ' ' || ledger.current_book_date();"
	echo "SELECT 'child ' || ledger.balance('1002.01');"
} >"$WORK/cache.sql"
cat >"$WORK/change.sql" <<'SQL'
SET client_min_messages = warning;
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('1002.03', 'new bank account', 'asset', 'CNY', '1002');
CALL ledger.close_day();
SELECT ledger.post('grp-1', ARRAY['1002.03', 'w4'], ARRAY['40 CNY', '-40 CNY']::ledger.amount[]);
SQL
[ "$(id -u)" -eq 0 ] && chmod 644 "$WORK/cache.sql" "$WORK/change.sql"
before_1002=$(sq $DB -c "SELECT ledger.balance('1002.01')") day=$(q $DB -c "SELECT ledger.current_book_date()")
sq $DB -f "$WORK/cache.sql" >"$WORK/cache.out" 2>&1 || { cat "$WORK/cache.out" "$WORK/change.out"; fail "the standby session failed"; }
grep -q "^before .* $day\$" "$WORK/cache.out" || fail "the standby session's first read: $(cat "$WORK/cache.out")"
after_expected=$(sq $DB -c "SELECT ledger.amount_of_units(ledger.minor_units('$before_1002'::ledger.amount) + 4000, 'CNY') || ' ' || ledger.current_book_date()")
grep -qx "after $after_expected" "$WORK/cache.out" ||
	fail "a standby session that read before the change does not see it after its replay: expected 'after $after_expected', got: $(cat "$WORK/cache.out")"
note "ok: standby: a session that read before a new child account and a cutoff sees them once replayed ($(grep '^after' "$WORK/cache.out"))"
caught_up
reads after_cutoff

# ---- every write entry point is refused: 25006, the standby stays up ----
refused=0
while IFS= read -r stmt; do
	[ -z "$stmt" ] && continue
	got=$(PGOPTIONS='-c client_min_messages=error' psql -X -q -At -h "$SB/sock" -p "$SBPORT" -d $DB -v VERBOSITY=sqlstate -c "$stmt" 2>&1)
	[ "$got" = "ERROR:  25006" ] || fail "standby: $stmt: expected ERROR:  25006, got '$got'"
	# refused by name, without CONTEXT lines naming the ledger's internal functions
	got=$(PGOPTIONS='-c client_min_messages=error' psql -X -q -At -h "$SB/sock" -p "$SBPORT" -d $DB -c "$stmt" 2>&1)
	case $got in *CONTEXT:*) fail "standby: $stmt: the refusal shows internal CONTEXT lines: $got" ;; esac
	refused=$((refused + 1))
done <<SQL
SELECT ledger.post('sb-1', ARRAY['w1', 'w2'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])
SELECT ledger.post('sb-2', ARRAY['w1', 'w2'], ARRAY['1 CNY', '-1 CNY'])
SELECT ledger.post('sb-3', ARRAY['w1', 'w2'], '{1 CNY,-1 CNY}')
SELECT ledger.post('pay-1', ARRAY['w2', 'w3', '6021'], ARRAY['11 CNY', '-10 CNY', '-1 CNY']::ledger.amount[], 'payment 1', 'ORD1')
SELECT ledger.reverse((SELECT id FROM ledger.voucher WHERE idempotency_key = 'pay-5'), 'sb-r')
SELECT ledger.reverse((SELECT id FROM ledger.voucher WHERE idempotency_key = 'pay-3'), 'pay-3-r')
SELECT ledger.hold('sb-h', ARRAY['w1', '1122'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])
SELECT ledger.hold('sb-h2', ARRAY['w1', '1122'], ARRAY['1 CNY', '-1 CNY'])
SELECT ledger.hold('h-pending', ARRAY['w3', '1122'], ARRAY['7 CNY', '-7 CNY']::ledger.amount[], 'pending hold', 'H3')
SELECT ledger.post_hold((SELECT id FROM ledger.hold WHERE idempotency_key = 'h-pending'), 'sb-ph')
SELECT ledger.post_hold((SELECT id FROM ledger.hold WHERE idempotency_key = 'h-posted'), 'h-posted-v')
SELECT ledger.void_hold((SELECT id FROM ledger.hold WHERE idempotency_key = 'h-pending'))
SELECT ledger.void_hold((SELECT id FROM ledger.hold WHERE idempotency_key = 'h-voided'), 'customer cancelled')
SELECT ledger.expire_holds()
CALL ledger.close_day()
CALL ledger.close_day(ledger.current_book_date())
SELECT ledger.open_books(current_date)
SELECT ledger.stage_statement()
SELECT ledger.load_wechat_bill('wechat', current_date - 2, replace(pg_read_file('$TOP/test/data/wechat_ok.csv'), '2026-11-02', (current_date - 2)::text))
SELECT ledger.load_wechat_bill('wechat', current_date - 2)
SELECT ledger.load_wechat_fundflow('wxflow', '2021-02-01', pg_read_file('$TOP/test/data/wechat_fundflow.csv'))
SELECT ledger.load_alipay_bill('alipay', '2026-11-02', pg_read_binary_file('$TOP/test/data/alipay_ok.csv'))
SELECT ledger.load_alipay_account('alipay-acct', '2012-12-29', pg_read_binary_file('$TOP/test/data/alipay_account.csv'))
SELECT ledger.load_camt053('camt', pg_read_file('$TOP/test/data/camt053_v08.xml'))
SELECT ledger.load_mt940('mt940', pg_read_file('$TOP/test/data/mt940_zenith.sta'))
SELECT ledger.load_statement_csv('psp', current_date - 1, E'ref,external_id,amount\nX-1,PSP-X,1.00\n')
CALL ledger.reconcile('wechat', current_date - 2, '1122')
SELECT ledger.resolve_break((SELECT max(id) FROM ledger.recon_break), 'from the standby')
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('sb', 'standby', 'asset', 'CNY')
UPDATE ledger.account SET hot = false WHERE code = '6021'
SQL
sq postgres -c "SELECT 1" >/dev/null || fail "the standby is down after the refused writes"
grep -E 'PANIC|terminated by signal|server process .* was terminated' "$SB/server.log" && fail "a backend of the standby crashed"
note "ok: standby: all $refused write entry points fail with SQLSTATE 25006, no backend crashed"
sexpect $DB "SELECT count(*) FROM ledger.voucher WHERE idempotency_key LIKE 'sb-%'" 0 "nothing the standby refused is in its books"

# SERIALIZABLE: refused by PostgreSQL on a standby, REPEATABLE READ is the level for reports
got=$(psql -X -q -At -h "$SB/sock" -p "$SBPORT" -d $DB -v VERBOSITY=sqlstate \
	-c "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE" -c "SELECT ledger.balance('w1')" 2>&1 | head -n 1)
[ "$got" = "ERROR:  0A000" ] || fail "standby: SERIALIZABLE READ ONLY DEFERRABLE: expected ERROR:  0A000, got '$got'"
note "ok: standby: SERIALIZABLE (even READ ONLY DEFERRABLE) is refused with 0A000"

# ---- a REPEATABLE READ report while the primary posts and closes a day ----
cat >"$WORK/snapshot.sql" <<'SQL'
SELECT 'current_book_date ' || ledger.current_book_date();
SELECT 'days ' || string_agg(book_date || ' ' || status, ', ' ORDER BY book_date) FROM ledger.book_day;
SELECT 'journal ' || count(*) || ' ' || md5(string_agg(j::text, E'\n' ORDER BY j.voucher_id, j.line_no)) FROM ledger.journal j;
SELECT 'balances ' || md5(string_agg(b::text, E'\n' ORDER BY b::text)) FROM ledger.balances b;
SELECT 'balance ' || ledger.balance('w1') || ' ' || ledger.balance('6021') || ' ' || ledger.balance('1002') || ' ' || ledger.available('w3');
SELECT 'history ' || count(*) || ' ' || md5(string_agg(h::text, E'\n')) FROM ledger.account_history('w1', current_date - 2) h;
SELECT 'history hot ' || count(*) || ' ' || md5(string_agg(h::text, E'\n')) FROM ledger.account_history('6021', current_date - 2) h;
-- the running balance ends on the balance, the trial balance of the open day on the balances
SELECT 'history ends on the balance ' || ((SELECT h.balance FROM ledger.account_history('w1', current_date - 2) WITH ORDINALITY h
                                            ORDER BY h.ordinality DESC LIMIT 1)::text = ledger.balance('w1')::text);
SELECT 'trial open ' || md5(string_agg(t::text, E'\n')) FROM ledger.trial_balance(ledger.current_book_date()) t;
SELECT 'trial closes on the balance ' || ((SELECT t.closing_credit FROM ledger.trial_balance(ledger.current_book_date()) t
                                           WHERE t.account_code = 'w1')::text = ledger.balance('w1')::text);
SELECT 'check ' || bool_and(c.ok) FROM ledger.check_books(ledger.current_book_date()) c;
SELECT 'entries ' || count(*) FROM ledger.entry;
SQL
cat >"$WORK/rr.sql" <<SQL
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
\\o $WORK/rr.1.txt
\\i $WORK/snapshot.sql
\\o
\\! bash '$WORK/wait.sh' "SELECT count(*) >= 20 FROM ledger.voucher WHERE idempotency_key LIKE 'rr-%'" t
\\o $WORK/rr.2.txt
\\i $WORK/snapshot.sql
\\o
\\! bash '$WORK/wait.sh' "SELECT count(*) FROM ledger.book_day WHERE status = 'closed'" 4
\\o $WORK/rr.3.txt
\\i $WORK/snapshot.sql
\\o
COMMIT;
\\o $WORK/rr.4.txt
\\i $WORK/snapshot.sql
\\o
SQL
[ "$(id -u)" -eq 0 ] && chmod 644 "$WORK/snapshot.sql" "$WORK/rr.sql"
# the primary posts to the wallets and the hot account (40 postings), closes the day half way
(
	for i in $(seq 1 40); do
		q $DB -c "SELECT ledger.post('rr-$i', ARRAY['w3', '6021', 'w1'], ARRAY['2 CNY', '-1 CNY', '-1 CNY']::ledger.amount[])" >/dev/null || exit 1
		[ "$i" = 20 ] && { q $DB -c "SET client_min_messages = warning" -c "CALL ledger.close_day()" >/dev/null || exit 1; }
		sleep 0.05
	done
) &
poster=$!
sq $DB -f "$WORK/rr.sql" >"$WORK/rr.out" 2>&1 || { cat "$WORK/rr.out"; fail "the REPEATABLE READ report failed on the standby"; }
wait "$poster" || fail "the postings on the primary failed"
poster=
grep -q 'timed out' "$WORK/rr.out" && fail "during the REPEATABLE READ report: $(cat "$WORK/rr.out")"
for n in 2 3; do
	diff -u "$WORK/rr.1.txt" "$WORK/rr.$n.txt" >"$WORK/rr.$n.diff" ||
		{ cat "$WORK/rr.$n.diff"; fail "a REPEATABLE READ transaction on the standby read other books as the primary posted$([ $n = 3 ] && echo ' and closed a day')"; }
done
grep -qx 'history ends on the balance true' "$WORK/rr.1.txt" && grep -qx 'trial closes on the balance true' "$WORK/rr.1.txt" &&
	grep -qx 'check true' "$WORK/rr.1.txt" || fail "the report's reads disagree with each other: $(cat "$WORK/rr.1.txt")"
note "ok: standby: a REPEATABLE READ report read the same books (open day, journal, balances, history, trial balance, checks) three times while the primary posted 40 vouchers and closed a day"
cmp -s "$WORK/rr.1.txt" "$WORK/rr.4.txt" && fail "the transaction after the report does not see the new postings"
grep -qx 'check true' "$WORK/rr.4.txt" || fail "after the report: $(cat "$WORK/rr.4.txt")"
note "ok: standby: the next transaction sees the new postings and the new open day ($(grep current_book_date "$WORK/rr.4.txt"))"
# ---- recovery conflicts (README, Reports on a standby) ----
# standby_conf LINE... : appends to the standby's configuration and reloads it
standby_conf() {
	printf '%s\n' "$@" | ledger_as_server tee -a "$SB/data/postgresql.conf" >/dev/null
	ledger_as_server pg_ctl -D "$SB/data" reload >/dev/null || fail "could not reload the standby's configuration"
	sleep 0.5
}
# conflict : a REPEATABLE READ report on the standby, in the middle of which
# the primary updates balance rows the report's snapshot sees and vacuums
# them away; prints what the report's last statement got
cat >"$WORK/vacuum.sql" <<'SQL'
SET client_min_messages = warning;
SELECT count(ledger.post('vac-' || g || '-' || i, ARRAY['w1', 'w2'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]))
  FROM generate_series(1, 20) i, (SELECT coalesce(max(id), 0) AS g FROM ledger.voucher) x;
VACUUM ledger.account_balance;
SQL
[ "$(id -u)" -eq 0 ] && chmod 644 "$WORK/vacuum.sql"
conflict() {
	sq $DB -v ON_ERROR_STOP=0 -v VERBOSITY=sqlstate >"$WORK/conflict.out" 2>&1 <<SQL
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SELECT 'before ' || ledger.balance('w1');
\\! psql -X -q -h '$PRIMARY_HOST' -p $PRIMARY_PORT -d $DB -f '$WORK/vacuum.sql' >/dev/null 2>&1
SELECT pg_sleep(4);
SELECT 'after ' || ledger.balance('w1');
COMMIT;
SQL
	grep -E 'ERROR|FATAL|^after' "$WORK/conflict.out" | head -n 1
}
standby_conf "hot_standby_feedback = off" "max_standby_streaming_delay = 1s"
sexpect postgres "SELECT current_setting('hot_standby_feedback') || ' ' || current_setting('max_standby_streaming_delay')" "off 1s" \
	"hot_standby_feedback off, max_standby_streaming_delay 1s"
got=$(conflict)
[[ "$got" = *40001 ]] || fail "without hot_standby_feedback, a report holding back the primary's vacuum for over 1 s: expected a cancel with 40001, got '$got' ($(cat "$WORK/conflict.out"))"
note "ok: standby: without hot_standby_feedback, the primary's vacuum cancels a report after max_standby_streaming_delay ($got)"
standby_conf "hot_standby_feedback = on" "max_standby_streaming_delay = 30s"
for i in $(seq 1 100); do
	[ "$(q postgres -c "SELECT count(*) FROM pg_stat_replication WHERE backend_xmin IS NOT NULL")" = 1 ] && break
	sleep 0.1
done
expect postgres "SELECT count(*) FROM pg_stat_replication WHERE backend_xmin IS NOT NULL" 1 "the primary holds the standby's xmin (hot_standby_feedback on)"
got=$(conflict)
[[ "$got" = after* ]] || fail "with hot_standby_feedback, the report was cancelled: '$got' ($(cat "$WORK/conflict.out"))"
note "ok: standby: with hot_standby_feedback on, the same report runs to its end"

# the analyst of the README (Operations, Roles and privileges: read only),
# granted on the primary, reads the same on the standby
q $DB >/dev/null <<'SQL' || fail "could not create the analyst role"
SET client_min_messages = warning;
DROP ROLE IF EXISTS ledger_standby_analyst;
CREATE ROLE ledger_standby_analyst LOGIN;
GRANT USAGE ON SCHEMA ledger TO ledger_standby_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA ledger TO ledger_standby_analyst;
GRANT EXECUTE ON FUNCTION ledger.balance(text), ledger.balance(text, date), ledger.trial_balance(date, date),
	ledger.check_books(date), ledger.verify_books(date, date), ledger.check_assertions(), ledger.available(text),
	ledger.account_history(text, date, date) TO ledger_standby_analyst;
SQL
caught_up
reads final
reads analyst ledger_standby_analyst
books_hold $DB
note "standby.sh took $((SECONDS - start)) s"
