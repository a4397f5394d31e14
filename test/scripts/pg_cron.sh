#!/usr/bin/env bash
# The README's pg_cron recipe, as written, for the operator: a cluster with
# the settings of "Scheduling the cutoff with pg_cron" (taken from the README)
# and a pg_hba.conf that asks every role but the superuser for a password,
# as Debian's does; the superuser's statements of the README in database
# postgres; the operator's grants of "Roles and privileges"; the operator's
# statement run by `ops`, a login member of ledger_operator, with the
# schedule set to every minute.  pg_cron 1.4 schedules by the minute: this
# waits for the job's first run, which must close the day as `ops`.
source "$(dirname "$0")/lib.bash"
source "$TOP/tools/pgenv.sh"

# readme_block NAME : the fenced block after "<!-- pg_cron: NAME -->"
readme_block() {
	B=$1 perl -0777 -ne '/^<!-- pg_cron: \Q$ENV{B}\E -->\n```\w*\n(.*?)^```/ms and print $1' "$TOP/README.md"
}
conf=$(readme_block postgresql.conf)
superuser_sql=$(readme_block superuser)
operator_sql=$(readme_block operator)
operator_grants=$(perl -0777 -ne '/^#### Operator — accounts and day-end\n.*?^```sql\n(.*?)^```/ms and print $1' "$TOP/README.md")
for v in conf superuser_sql operator_sql operator_grants; do
	[ -n "${!v}" ] || fail "README: no $v block for pg_cron"
done
grep -q "'0 16 \* \* \*'" <<<"$operator_sql" || fail "README: the operator's statement has no schedule '0 16 * * *'"
note "ok: the README's pg_cron settings, statements and the operator's grants"

mapfile -t conf_lines <<<"$conf"
LEDGER_PORT=${CRON_PORT:-54340} ledger_cluster_start cron "${conf_lines[@]}" || fail "could not start the pg_cron cluster"
trap 'ledger_cluster_stop cron; rm -rf "$LEDGER_TMP/cron"' EXIT
printf 'local all postgres trust\nlocal all all scram-sha-256\n' | ledger_as_server tee "$PGDATA/pg_hba.conf" >/dev/null
q postgres -c "SELECT pg_reload_conf()" >/dev/null
expect postgres "SHOW cron.use_background_workers" on "the cluster runs with the README's settings"

psql -X -q -d postgres -c "CREATE DATABASE payments" >/dev/null || fail "createdb failed"
q payments >/dev/null <<SQL || fail "could not set up the books and the operator"
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'bank', 'asset', 'CNY'), ('wallet', 'wallet', 'liability', 'CNY');
SELECT ledger.post('p1', ARRAY['bank', 'wallet'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[]);
CREATE ROLE ledger_operator NOLOGIN;
$operator_grants
CREATE ROLE ops LOGIN PASSWORD 'ops-secret' IN ROLE ledger_operator;
SQL
as_ops() { PGPASSWORD=ops-secret q "$1" -U ops "${@:2}"; }
as_ops payments -c "SELECT 1" >/dev/null 2>&1 || fail "ops cannot log in with its password"
PGPASSWORD= psql -X -w -q -U ops -d payments -c "SELECT 1" >/dev/null 2>&1 &&
	fail "ops logs in without a password: pg_hba.conf is not as Debian's"
note "ok: ops logs in with its password only, as under Debian's pg_hba.conf"

q postgres <<<"$superuser_sql" >/dev/null || fail "the superuser's statements of the README failed"
note "ok: the superuser's statements of the README"

# the operator's statement, every minute instead of at 16:00 GMT
every_minute=${operator_sql//\'0 16 \* \* \*\'/\'* * * * *\'}
as_ops postgres <<<"$every_minute" >"$WORK/operator.out" 2>&1 ||
	{ cat "$WORK/operator.out"; fail "the operator's statement of the README failed as ops"; }
job=$(as_ops postgres -c "SELECT jobid FROM cron.job WHERE jobname = 'ledger-day-end'")
[ -n "$job" ] || fail "ops sees no job ledger-day-end in cron.job"
expect postgres "SELECT username || ' ' || database || ' ' || command FROM cron.job WHERE jobid = $job" \
	"ops payments CALL ledger.close_day()" "ops scheduled the cutoff in payments, to run as ops"
note "waiting for the first run of job $job"
status=
for i in $(seq 1 150); do
	status=$(as_ops postgres -c "SELECT status FROM cron.job_run_details WHERE jobid = $job ORDER BY runid DESC LIMIT 1")
	case $status in succeeded|failed) break ;; esac
	sleep 1
done
[ "$status" = succeeded ] ||
	fail "the cron run did not succeed: ${status:-no run} $(as_ops postgres -c "SELECT return_message FROM cron.job_run_details WHERE jobid = $job")"
note "ok: pg_cron ran CALL ledger.close_day() for ops; ops reads the run in cron.job_run_details"
expect payments "SELECT status FROM ledger.book_day WHERE book_date = '2026-11-02'" closed "the scheduled cutoff closed the day"
expect payments "SELECT count(*) FROM ledger.check_books('2026-11-02') WHERE NOT ok" 0 "and its checks pass"
as_ops postgres -c "SELECT cron.unschedule($job)" >/dev/null || fail "ops cannot unschedule its job"
note "ok: ops unscheduled its job"
