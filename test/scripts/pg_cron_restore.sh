#!/usr/bin/env bash
# Backup and restore of a database that also holds pg_cron (README, "Backup
# and restore"), with pg_cron kept in the ledger's database
# (cron.database_name = 'payments') and the cutoff scheduled there by the
# operator with cron.schedule (README, "Scheduling the cutoff with pg_cron").
#
#  1. The dump restored as the README says into a database of another name
#     fails at CREATE EXTENSION pg_cron ("can only create extension in
#     database payments") and leaves nothing behind.
#  2. The README's procedure for restoring elsewhere (a list without pg_cron)
#     restores the books, the same row for row, and they go on.
#  3. Restored as it was, into a fresh cluster set up the same way, the dump
#     brings back pg_cron and the job, which runs there as the operator and
#     closes the day.
# pg_dump's warning about circular foreign keys on ledger.account is the one
# the README explains; the restored tree is whole.
source "$(dirname "$0")/lib.bash"
source "$TOP/tools/pgenv.sh"

readme_block() {	# NAME : the fenced block after "<!-- NAME -->"
	B=$1 perl -0777 -ne '/^<!-- \Q$ENV{B}\E -->\n```\w*\n(.*?)^```/ms and print $1' "$TOP/README.md"
}
conf=$(readme_block "pg_cron: postgresql.conf")
operator_grants=$(perl -0777 -ne '/^#### Operator — accounts and day-end\n.*?^```sql\n(.*?)^```/ms and print $1' "$TOP/README.md")
restore_elsewhere=$(readme_block "restore: without pg_cron")
for v in conf operator_grants restore_elsewhere; do
	[ -n "${!v}" ] || fail "README: no $v block"
done
mapfile -t conf_lines < <(sed "s/^cron.database_name = .*/cron.database_name = 'payments'/" <<<"$conf")

# ---- the source: pg_cron in the ledger's database ----
LEDGER_PORT=${CRON_PORT:-54341} ledger_cluster_start cronsrc "${conf_lines[@]}" || fail "could not start the source cluster"
SRC_HOST=$PGHOST SRC_PORT=$PGPORT
trap 'ledger_cluster_stop cronsrc; ledger_cluster_stop crondst; rm -rf "$LEDGER_TMP/cronsrc" "$LEDGER_TMP/crondst"' EXIT
roles="CREATE ROLE ledger_operator NOLOGIN; CREATE ROLE ops LOGIN PASSWORD 'ops-secret' IN ROLE ledger_operator;"
q postgres -c "$roles" >/dev/null || fail "could not create the roles"
psql -X -q -d postgres -c "CREATE DATABASE payments" >/dev/null || fail "createdb failed"
q payments >/dev/null <<SQL || fail "could not set up the books, pg_cron and the operator"
SET client_min_messages = warning;
CREATE EXTENSION ledger;
CREATE EXTENSION pg_cron;
GRANT USAGE ON SCHEMA cron TO ledger_operator;
$operator_grants
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('1002', 'bank', 'asset', NULL);
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES
	('1002.01', 'bank CNY', 'asset', 'CNY', '1002'), ('2241', 'wallets', 'liability', 'CNY', NULL);
INSERT INTO ledger.account (code, name, kind, currency, parent_code, floor) VALUES
	('2241.1', 'wallet 1', 'liability', 'CNY', '2241', '0 CNY');
SELECT ledger.post('p' || i, ARRAY['1002.01', '2241.1'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[]) FROM generate_series(1, 5) i;
SQL
# the parent is updated after its child: its row now comes after the child's
q payments -c "UPDATE ledger.account SET name = 'bank deposits' WHERE code = '1002'" >/dev/null
# the operator schedules the cutoff in cron.database_name's database
PGPASSWORD=ops-secret q payments -U ops \
	-c "SELECT cron.schedule('ledger-day-end', '0 16 * * *', 'CALL ledger.close_day()')" >/dev/null ||
	fail "ops could not schedule with cron.schedule in payments"
note "ok: source: ops scheduled the cutoff with cron.schedule in pg_cron's database"

pg_dump -Fc -f "$WORK/books.dump" payments 2>"$WORK/pg_dump.err" || { cat "$WORK/pg_dump.err"; fail "pg_dump failed"; }
[ "$(id -u)" -eq 0 ] && chmod 644 "$WORK/books.dump"
grep -q 'circular foreign-key constraints on this table' "$WORK/pg_dump.err" && grep -q '^pg_dump: detail: account$' "$WORK/pg_dump.err" ||
	{ cat "$WORK/pg_dump.err"; fail "pg_dump did not warn as the README says"; }
note "ok: pg_dump warns about the circular foreign key on account, as the README says"
pg_restore -l "$WORK/books.dump" | grep -q 'EXTENSION - pg_cron' || fail "the dump holds no pg_cron"
describe() {	# DB [psql options]
	local db=$1; shift
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@" <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) || '' '' || md5(COALESCE(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) FROM ledger.%I t',
              'table ' || c.relname, c.relname)
  FROM pg_class c WHERE c.relnamespace = 'ledger'::regnamespace AND c.relkind = 'r' ORDER BY c.relname \gexec
SELECT 'balance ' || b::text FROM ledger.balances b ORDER BY b::text;
SQL
}
describe payments >"$WORK/source.txt" || fail "could not describe the source"

# ---- 1. the plain recipe, into another database: refused, nothing left ----
psql -X -q -d postgres -c "CREATE DATABASE payments_copy" >/dev/null || fail "createdb failed"
PGOPTIONS='-c session_replication_role=replica' \
	pg_restore --exit-on-error --single-transaction -d payments_copy "$WORK/books.dump" >"$WORK/naive.out" 2>&1 &&
	fail "restoring pg_cron into another database succeeded"
grep -q 'can only create extension in database payments' "$WORK/naive.out" ||
	{ cat "$WORK/naive.out"; fail "restoring pg_cron into another database failed otherwise"; }
expect payments_copy "SELECT count(*) FROM pg_extension WHERE extname IN ('ledger', 'pg_cron')" 0 \
	"restoring the whole dump into another database fails at pg_cron and leaves nothing behind"

# ---- 2. the README's procedure without pg_cron, into another database ----
psql -X -q -d postgres -c "DROP DATABASE payments_copy" >/dev/null || fail "dropdb failed"
pg_restore -l "$WORK/books.dump" >"$WORK/books.toc"
( cd "$WORK" && sed 's/\bpayments\b/payments_copy/g; s/payments_copy_copy/payments_copy/g' <<<"$restore_elsewhere" |
	bash -e ) >"$WORK/elsewhere.out" 2>&1 || { cat "$WORK/elsewhere.out"; fail "the README's restore without pg_cron failed"; }
describe payments_copy >"$WORK/copy.txt" || fail "could not describe the copy"
diff -u "$WORK/source.txt" "$WORK/copy.txt" || fail "the copy differs from the source"
expect payments_copy "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'" 0 \
	"restored without pg_cron: every row and balance is the source's"
expect payments_copy "SELECT count(*) FROM ledger.account c LEFT JOIN ledger.account p ON p.code = c.parent_code
	WHERE c.parent_code IS NOT NULL AND p.id IS NULL" 0 "every parent account of the restored tree exists"
books_hold payments_copy
q payments_copy -c "CALL ledger.close_day()" >/dev/null 2>&1 || fail "the copy cannot close its day"
note "ok: the copy closes its day"

# ---- 3. as it was: the same database name in a cluster set up the same way ----
LEDGER_PORT=${CRON_RESTORE_PORT:-54342} ledger_cluster_start crondst "${conf_lines[@]}" || fail "could not start the restore cluster"
printf 'local all postgres trust\nlocal all all scram-sha-256\n' | ledger_as_server tee "$PGDATA/pg_hba.conf" >/dev/null
q postgres -c "SELECT pg_reload_conf()" -c "$roles" >/dev/null || fail "could not create the roles"
psql -X -q -d postgres -c "CREATE DATABASE payments" >/dev/null || fail "createdb failed"
PGOPTIONS='-c session_replication_role=replica' \
	pg_restore --exit-on-error --single-transaction -d payments "$WORK/books.dump" >"$WORK/asis.out" 2>&1 ||
	{ cat "$WORK/asis.out"; fail "restoring into the same database name failed"; }
describe payments >"$WORK/asis.txt" || fail "could not describe the restored books"
diff -u "$WORK/source.txt" "$WORK/asis.txt" || fail "the restored books differ from the source"
expect payments "SELECT username || ' ' || command FROM cron.job WHERE jobname = 'ledger-day-end'" \
	"ops CALL ledger.close_day()" "restored as it was: the books and the operator's job"
# run the restored job every minute, as ops would
PGPASSWORD=ops-secret q payments -U ops -c "SELECT cron.schedule('ledger-day-end', '* * * * *', 'CALL ledger.close_day()')" >/dev/null ||
	fail "ops cannot change its restored job"
job=$(q payments -c "SELECT jobid FROM cron.job WHERE jobname = 'ledger-day-end'")
note "waiting for the restored job $job to run"
status=
for i in $(seq 1 150); do
	status=$(q payments -c "SELECT status FROM cron.job_run_details WHERE jobid = $job ORDER BY runid DESC LIMIT 1")
	case $status in succeeded|failed) break ;; esac
	sleep 1
done
[ "$status" = succeeded ] ||
	fail "the restored job did not succeed: ${status:-no run} $(q payments -c "SELECT return_message FROM cron.job_run_details WHERE jobid = $job")"
expect payments "SELECT string_agg(status, ' ' ORDER BY book_date) FROM ledger.book_day" "closed open" \
	"the restored job ran as ops and closed the restored day"
books_hold payments
