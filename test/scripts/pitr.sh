#!/usr/bin/env bash
# Point-in-time recovery (README, Backup and restore): a cluster of its own
# archives its WAL (archive_mode = on, archive_command copying each segment
# into a directory); a base backup is taken of books with closed days, a hot
# account and bounded wallets; more is written (postings into hot and
# bounded accounts, a reversal, holds posted, voided and pending, a
# statement and its reconciliation, a cutoff); a named restore point is
# made (pg_create_restore_point); and more is written after it (postings, a
# hold, a cutoff, a statement).  The base backup is restored into a new data
# directory with restore_command and recovery_target_name, paused at the
# target, checked read-only there, and promoted.  The restored books must be
# exactly those committed before the target — the same vouchers, holds,
# book days, digests, statement lines and reconciliation — pass check_books
# and verify_books, and go on: new vouchers and holds get ids after every
# restored one, the hot account books into its slots, the next cutoff
# chains onto the restored days.
#
#   PITR_PORT   the port of the cluster (default: the test cluster's + 1);
#               the restored cluster takes it when the first has stopped
source "$(dirname "$0")/lib.bash"
source "$TOP/tools/pgenv.sh"
DB=ledger_pitr
ARCHIVE=$WORK/archive
RESTORED=$WORK/restored
PORT=${PITR_PORT:-$((PGPORT + 1))}
start=$SECONDS

mkdir -p "$ARCHIVE" "$RESTORED/sock"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$ARCHIVE" "$RESTORED"
LEDGER_PORT=$PORT ledger_cluster_start pitr "wal_level = replica" "archive_mode = on" \
	"archive_command = 'test ! -f $ARCHIVE/%f && cp %p $ARCHIVE/%f'" "archive_timeout = 0" \
	"track_commit_timestamp = on" "shared_buffers = 32MB" || fail "could not start the pitr cluster"
cleanup() {
	[ -f "$RESTORED/data/postmaster.pid" ] && ledger_as_server pg_ctl -D "$RESTORED/data" -m immediate -w stop >/dev/null 2>&1
	ledger_cluster_stop pitr
	rm -rf "$LEDGER_TMP/pitr" "$RESTORED" "$WORK/base" "$ARCHIVE"
}
trap cleanup EXIT

# every row of every table, the sequences' use, the balances, the trial balance, the days
describe() {	# HOST PORT
	psql -X -q -At -h "$1" -p "$2" -d $DB -v ON_ERROR_STOP=1 <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) || '' '' || md5(COALESCE(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) FROM ledger.%I t',
              'table ' || c.relname, c.relname)
  FROM pg_class c
 WHERE c.relnamespace = 'ledger'::regnamespace AND c.relkind = 'r'
 ORDER BY c.relname \gexec
SELECT 'voucher ' || v.id || ' ' || v.idempotency_key || ' ' || v.book_date FROM ledger.voucher v ORDER BY v.id;
SELECT 'hold ' || h.id || ' ' || h.idempotency_key || ' ' || h.status FROM ledger.hold h ORDER BY h.id;
SELECT 'balance ' || a.code || ' ' || COALESCE(ledger.balance(a.code)::text, 'none') || ' ' || COALESCE(ledger.available(a.code)::text, 'none')
  FROM ledger.account a ORDER BY a.code;
SELECT 'trial ' || t::text FROM ledger.trial_balance((SELECT min(book_date) FROM ledger.book_day), ledger.current_book_date()) t;
SELECT 'day ' || d.book_date || ' ' || d.status || ' ' || COALESCE(encode(d.digest, 'hex'), '') FROM ledger.book_day d ORDER BY 1;
SQL
}

# ---- books with closed days, then the base backup ----
newdb $DB
q $DB >/dev/null <<SQL || fail "could not write the books"
SET client_min_messages = warning;
SELECT ledger.open_books(current_date - 3);
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES
	('1002', 'reserve funds', 'asset', 'CNY', true), ('6021', 'fee income', 'revenue', 'CNY', true),
	('1122', 'receivable, PSP', 'asset', 'CNY', false);
INSERT INTO ledger.account (code, name, kind, currency, floor) SELECT 'w' || i, 'wallet ' || i, 'liability', 'CNY', '0 CNY'
  FROM generate_series(1, 4) i;
SELECT ledger.post('open-' || i, ARRAY['1002', 'w' || i], ARRAY[ledger.amount(500, 'CNY'), ledger.amount(-500, 'CNY')])
  FROM generate_series(1, 4) i;
CALL ledger.close_day();
SELECT ledger.post('a-' || i, ARRAY['w' || (i % 4 + 1), 'w' || ((i + 1) % 4 + 1), '6021'],
	ARRAY[ledger.amount(3, 'CNY'), '-2 CNY', '-1 CNY']::ledger.amount[], 'payment ' || i, 'ORD-A' || i)
  FROM generate_series(1, 20) i;
SQL
ledger_as_server pg_basebackup -h "$PGHOST" -p "$PGPORT" -U postgres -D "$WORK/base" -X none -c fast \
	>"$WORK/basebackup.out" 2>&1 || { cat "$WORK/basebackup.out"; fail "pg_basebackup failed"; }
note "ok: base backup taken ($(du -sh "$WORK/base" | cut -f1)), its WAL archived"

# ---- after the backup, before the target ----
q $DB >/dev/null <<SQL || fail "could not write the books after the backup"
SET client_min_messages = warning;
SELECT ledger.post('b-' || i, ARRAY['w' || (i % 4 + 1), '6021', '1002'], ARRAY['5 CNY', '-1 CNY', '-4 CNY']::ledger.amount[],
	'withdrawal ' || i, 'ORD-B' || i) FROM generate_series(1, 20) i;
SELECT ledger.reverse((SELECT id FROM ledger.voucher WHERE idempotency_key = 'b-7'), 'b-7-r');
SELECT ledger.hold('h-posted', ARRAY['w1', '1122'], ARRAY['5 CNY', '-5 CNY']::ledger.amount[]);
SELECT ledger.hold('h-voided', ARRAY['w2', '1122'], ARRAY['6 CNY', '-6 CNY']::ledger.amount[]);
SELECT ledger.hold('h-pending', ARRAY['w3', '1122'], ARRAY['7 CNY', '-7 CNY']::ledger.amount[]);
SELECT ledger.post_hold((SELECT id FROM ledger.hold WHERE idempotency_key = 'h-posted'), 'h-posted-v');
SELECT ledger.void_hold((SELECT id FROM ledger.hold WHERE idempotency_key = 'h-voided'), 'cancelled');
SELECT ledger.load_statement_csv('psp', ledger.current_book_date(), E'ref,external_id,amount\n'
	|| (SELECT string_agg(format('ORD-B%s,PSP-%s,-1.00', i, i), E'\n') FROM generate_series(1, 15) i) || E'\nX-1,PSP-X,2.00\n');
UPDATE ledger.account SET reconcilable = true WHERE code = '6021';
CALL ledger.reconcile('psp', ledger.current_book_date(), '6021');
CALL ledger.close_day();
SELECT ledger.post('c-' || i, ARRAY['1002', 'w' || (i % 4 + 1)], ARRAY['1.50 CNY', '-1.50 CNY']::ledger.amount[])
  FROM generate_series(1, 10) i;
SQL
# postings of sessions open at the same time: the hot accounts' slots
for i in 1 2 3; do
	q $DB -c "SELECT ledger.post('slot-$i', ARRAY['1002', '6021'], ARRAY['$i CNY', '-$i CNY']::ledger.amount[])" \
		-c "SELECT pg_sleep(1)" >/dev/null 2>&1 &
done
wait
describe "$PGHOST" "$PGPORT" >"$WORK/target.txt" || fail "could not describe the books at the target"
q $DB -c "SELECT pg_create_restore_point('before_the_mistake')" >/dev/null || fail "could not create the restore point"
note "ok: restore point made: $(grep -c '^voucher ' "$WORK/target.txt") vouchers, $(grep -c '^hold ' "$WORK/target.txt") holds, $(grep '^day ' "$WORK/target.txt" | grep -c closed) closed days"

# ---- after the target: none of it may come back ----
q $DB >/dev/null <<SQL || fail "could not write the books after the target"
SET client_min_messages = warning;
SELECT ledger.post('d-' || i, ARRAY['w1', '6021', 'w2'], ARRAY['2 CNY', '-1 CNY', '-1 CNY']::ledger.amount[]) FROM generate_series(1, 15) i;
SELECT ledger.post_hold((SELECT id FROM ledger.hold WHERE idempotency_key = 'h-pending'), 'h-pending-v');
SELECT ledger.hold('h-late', ARRAY['w4', '1122'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
SELECT ledger.load_statement_csv('psp2', ledger.current_book_date(), E'ref,external_id,amount\nY-1,PSP-Y,3.00\n');
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('late', 'opened after the target', 'asset', 'CNY');
CALL ledger.close_day();
SELECT ledger.post('e-' || i, ARRAY['1002', 'w3'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]) FROM generate_series(1, 5) i;
SQL
describe "$PGHOST" "$PGPORT" >"$WORK/after.txt" || fail "could not describe the books after the target"
cmp -s "$WORK/target.txt" "$WORK/after.txt" && fail "the books did not change after the target"
# the segment holding the restore point and what follows it reach the archive
seg=$(q postgres -c "SELECT pg_walfile_name(pg_switch_wal())")
for i in $(seq 1 300); do
	[ -f "$ARCHIVE/$seg" ] && break
	sleep 0.1
done
[ -f "$ARCHIVE/$seg" ] || fail "WAL segment $seg was not archived: $(q postgres -c "SELECT * FROM pg_stat_archiver")"
note "ok: $(ls "$ARCHIVE" | wc -l) WAL segments archived, the last $seg"
ledger_cluster_stop pitr

# ---- restore the base backup to the restore point ----
ledger_as_server cp -a "$WORK/base" "$RESTORED/data" || fail "could not copy the base backup"
{
	echo "port = $PORT"
	echo "unix_socket_directories = '$RESTORED/sock'"
	echo "archive_mode = off"
	echo "restore_command = 'cp $ARCHIVE/%f %p'"
	echo "recovery_target_name = 'before_the_mistake'"
	echo "recovery_target_action = 'pause'"
} | ledger_as_server tee -a "$RESTORED/data/postgresql.conf" >/dev/null
ledger_as_server touch "$RESTORED/data/recovery.signal"
ledger_as_server pg_ctl -D "$RESTORED/data" -l "$RESTORED/server.log" -w -t 120 start >/dev/null ||
	{ tail -n 30 "$RESTORED/server.log"; fail "the restored cluster did not start"; }
export PGHOST=$RESTORED/sock PGPORT=$PORT
for i in $(seq 1 300); do
	[ "$(q postgres -c "SELECT pg_get_wal_replay_pause_state()" 2>/dev/null)" = paused ] && break
	sleep 0.1
done
expect postgres "SELECT pg_is_in_recovery() || ' ' || pg_get_wal_replay_pause_state()" "true paused" \
	"recovery stopped at the restore point, paused"
grep -q 'recovery stopping at restore point "before_the_mistake"' "$RESTORED/server.log" ||
	fail "the server log does not say recovery stopped at the restore point: $(grep -i recovery "$RESTORED/server.log" | tail -n 5)"
# paused at the target, the books read as they were (read only)
describe "$PGHOST" "$PGPORT" >"$WORK/paused.txt" || fail "could not describe the books paused at the target"
diff -u "$WORK/target.txt" "$WORK/paused.txt" >"$WORK/paused.diff" ||
	{ head -n 40 "$WORK/paused.diff"; fail "paused at the target, the books are not those committed before it"; }
note "ok: paused at the target: every row, voucher, hold, balance, trial balance line and digest is the one committed before it"
got=$(psql -X -q -At -d $DB -v VERBOSITY=sqlstate -c "SELECT ledger.post('paused', ARRAY['1002', 'w1'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])" 2>&1)
[ "$got" = "ERROR:  25006" ] || fail "posting while paused in recovery: expected ERROR:  25006, got '$got'"
note "ok: posting while paused in recovery fails with 25006"

expect postgres "SELECT pg_promote(true, 60)" t "promoted"
expect postgres "SELECT pg_is_in_recovery()" f "the restored cluster is out of recovery"
describe "$PGHOST" "$PGPORT" >"$WORK/restored.txt" || fail "could not describe the restored books"
diff -u "$WORK/target.txt" "$WORK/restored.txt" >"$WORK/restored.diff" ||
	{ head -n 40 "$WORK/restored.diff"; fail "the promoted books are not those committed before the target"; }
note "ok: promoted: the books are exactly those committed before the target ($(grep -c '^voucher ' "$WORK/restored.txt") vouchers; none of the $(( $(grep -c '^voucher ' "$WORK/after.txt") - $(grep -c '^voucher ' "$WORK/target.txt") )) written after it)"
expect $DB "SELECT count(*) FROM ledger.voucher WHERE idempotency_key ~ '^(d|e)-' OR idempotency_key = 'h-pending-v'" 0 \
	"no voucher posted after the target"
expect $DB "SELECT status FROM ledger.hold WHERE idempotency_key = 'h-pending'" pending "the hold posted after the target is pending again"
books_hold $DB
holds_hold $DB

# ---- the books go on ----
maxv=$(q $DB -c "SELECT max(id) FROM ledger.voucher") maxh=$(q $DB -c "SELECT max(id) FROM ledger.hold")
expect $DB "SELECT ledger.post('after-1', ARRAY['1002', '6021'], ARRAY['3 CNY', '-3 CNY']::ledger.amount[]) > $maxv" t \
	"a new voucher (hot accounts) gets an id after every restored one"
expect $DB "SELECT ledger.post('d-1', ARRAY['w1', '6021', 'w2'], ARRAY['2 CNY', '-1 CNY', '-1 CNY']::ledger.amount[]) > $maxv" t \
	"a key used only after the target posts anew"
expect $DB "SELECT ledger.post_hold((SELECT id FROM ledger.hold WHERE idempotency_key = 'h-pending'), 'h-pending-v') > $maxv" t \
	"the pending hold posts"
expect $DB "SELECT ledger.hold('h-after', ARRAY['w4', '1122'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]) > $maxh" t \
	"a new hold gets an id after every restored one"
for i in 1 2 3; do
	q $DB -c "SELECT ledger.post('after-slot-$i', ARRAY['1002', '6021'], ARRAY['$i CNY', '-$i CNY']::ledger.amount[])" \
		-c "SELECT pg_sleep(1)" >/dev/null 2>&1 &
done
wait
expect $DB "SELECT count(*) FROM ledger.voucher WHERE idempotency_key LIKE 'after-slot-%'" 3 "sessions at once post to the hot accounts"
expect $DB "SELECT count(*) FROM (SELECT id FROM ledger.voucher GROUP BY id HAVING count(*) > 1) x" 0 "no voucher id is used twice"
expect $DB "INSERT INTO ledger.account (code, name, kind, currency) VALUES ('late', 'opened after the restore', 'asset', 'CNY')
             RETURNING id > (SELECT max(id) FROM ledger.account WHERE code <> 'late')" t "a new account gets an id after every restored one"
q $DB -c "SET client_min_messages = warning" -c "CALL ledger.close_day()" >"$WORK/close.out" 2>&1 ||
	{ cat "$WORK/close.out"; fail "close_day failed after the restore"; }
expect $DB "SELECT count(*) FROM ledger.book_day WHERE status = 'closed'" \
	"$(( $(grep '^day ' "$WORK/target.txt" | grep -c closed) + 1 ))" "the next cutoff closed the restored open day"
expect $DB "SELECT count(*) FROM ledger.verify_books('-infinity', 'infinity') WHERE ok IS NOT TRUE" 1 \
	"verify_books passes for every closed day, the new one chained onto the restored ones (only the open day is not verified)"
recon="SELECT concat_ws(' ', statement_date, internal_count, external_count, matched_count, missing_internal_count,
         missing_external_count, amount_mismatch_count, status_mismatch_count, duplicate_count, pending_count)
         FROM ledger.recon_run WHERE source = 'psp'"
before=$(q $DB -c "$recon")
q $DB -c "SET client_min_messages = warning" -c "CALL ledger.reconcile('psp', '$(q $DB -c "SELECT statement_date FROM ledger.recon_run WHERE source = 'psp'")', '6021')" \
	>"$WORK/reconcile.out" 2>&1 || { cat "$WORK/reconcile.out"; fail "reconciling a restored day again failed"; }
expect $DB "$recon" "$before" "reconciling the restored day again gives what it gave"
books_hold $DB
holds_hold $DB
note "pitr.sh took $((SECONDS - start)) s"
