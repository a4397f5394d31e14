#!/usr/bin/env bash
# The cutoff scheduled with pg_cron, as the README shows, runs and closes the
# day.  pg_cron 1.4 schedules by the minute: this waits for one real run.
source "$(dirname "$0")/lib.bash"
DB=ledger_cron
newdb $DB
q $DB <<'SQL' >/dev/null
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'bank', 'asset', 'CNY'), ('wallet', 'wallet', 'liability', 'CNY');
SELECT ledger.post('p1', ARRAY['bank', 'wallet'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[]);
SQL
q postgres -c "CREATE EXTENSION IF NOT EXISTS pg_cron" >/dev/null
q postgres -c "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = 'ledger-day-end'" >/dev/null
job=$(q postgres -c "SELECT cron.schedule_in_database('ledger-day-end', '* * * * *', 'CALL ledger.close_day()', '$DB')")
trap 'q postgres -c "SELECT cron.unschedule($job)" >/dev/null 2>&1' EXIT
note "scheduled job $job; waiting for its first run"
for i in $(seq 1 90); do
	status=$(q postgres -c "SELECT status FROM cron.job_run_details WHERE jobid = $job ORDER BY runid DESC LIMIT 1")
	case $status in succeeded|failed) break ;; esac
	sleep 1
done
[ "$status" = succeeded ] ||
	fail "the cron run did not succeed: $status $(q postgres -c "SELECT return_message FROM cron.job_run_details WHERE jobid = $job")"
note "ok: pg_cron ran CALL ledger.close_day()"
expect $DB "SELECT status FROM ledger.book_day WHERE book_date = '2026-11-02'" closed "the scheduled cutoff closed the day"
expect $DB "SELECT count(*) FROM ledger.check_books('2026-11-02') WHERE NOT ok" 0 "and its checks pass"
