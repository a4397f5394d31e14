#!/usr/bin/env bash
# Crash safety: the postmaster is killed with SIGKILL while sessions post and
# while the cutoff stands at each of its steps, then restarted (crash
# recovery).  After every restart the books must hold, every voucher a
# client was told of must exist, and the interrupted close_day must finish
# with another CALL.  Runs on a cluster of its own (tmp_check/crash), so
# that the main test cluster is not disturbed.
#
# The cutoff is held at the step wanted by a lock another session keeps:
#   step 2 (waiting for posters)       a transaction that has posted stays open
#   step 3 (writing daily balances)    LOCK ledger.daily_balance
#   step 4 (checking the books)        LOCK ledger.book_check
#   step 5 (sealing the day)           LOCK ledger.book_day IN SHARE MODE
#
# Holds are part of the load: sessions hold money of the wallets, settle
# pending holds (post in full or in part, void) and run ledger.expire_holds();
# after every restart every hold and settlement a client was told of stands,
# and the held totals are the pending holds' lines (holds_agree in lib.bash).
#
# Then a reconciliation of the closed day is killed the same way while it
# waits to write its breaks (LOCK ledger.recon_break): nothing of it may stay,
# and another CALL reconciles the day.
#
#   CRASH_ROUNDS   how many times the whole sequence runs (default 1)
#   CRASH_CLIENTS  posting sessions (default 4)
#   LEDGER_SEED    seed of the clients' random choices (default: a new one,
#                  printed, so that a failing run can be replayed)
source "$(dirname "$0")/lib.bash"
source "$TOP/tools/pgenv.sh"
SEED=${LEDGER_SEED:-$(( (RANDOM << 15) | RANDOM ))}
note "seed $SEED (LEDGER_SEED=$SEED replays the clients' choices)"
ROUNDS=${CRASH_ROUNDS:-1}
CLIENTS=${CRASH_CLIENTS:-4}
DB=ledger_crash
LOG=$WORK/clients.log
HOLDLOG=$WORK/holds.log
crashes=0

LEDGER_PORT=${CRASH_PORT:-54339} ledger_cluster_start crash "fsync = off" "track_commit_timestamp = on" \
	"max_connections = 40" || fail "could not start the crash cluster"
cleanup() {
	[ -n "${loader:-}" ] && kill "$loader" 2>/dev/null
	ledger_cluster_stop crash
	rm -rf "$LEDGER_TMP/crash"
}
trap cleanup EXIT

newdb $DB
q $DB -f "$TOP/test/stress/setup.sql" >/dev/null || fail "setup failed"
# accounts of the transaction the cutoff waits for, which no other session
# touches (the balance rows it locks would hold up the load, not the cutoff)
q $DB -c "INSERT INTO ledger.account (code, name, kind, currency) VALUES
            ('hold-a', 'held open', 'asset', 'CNY'), ('hold-b', 'held open', 'liability', 'CNY')" >/dev/null ||
	fail "setup failed"
: >"$LOG"
: >"$HOLDLOG"
[ "$(id -u)" -eq 0 ] && chmod 666 "$LOG" "$HOLDLOG"

# posting load in the background until the crash cuts it off
start_load() {
	pgbench -n -c "$CLIENTS" -j "$CLIENTS" -T 120 --random-seed="$((SEED + crashes))" -D logfile="$LOG" -D holdlog="$HOLDLOG" \
		-f "$TOP/test/stress/transfer.pgbench@6" -f "$TOP/test/stress/topup.pgbench@3" \
		-f "$TOP/test/stress/reverse.pgbench@1" -f "$TOP/test/stress/hold.pgbench@3" \
		-f "$TOP/test/stress/settle.pgbench@3" $DB >"$WORK/pgbench.$crashes.out" 2>&1 &
	loader=$!
}

# crash: SIGKILL the postmaster, wait for its children to go, start again
crash() {
	local pm kids pid i
	pm=$(head -n 1 "$PGDATA/postmaster.pid")
	kids=$(pgrep -P "$pm")
	kill -9 "$pm" || fail "could not kill the postmaster $pm"
	for i in $(seq 1 100); do
		alive=
		for pid in $kids; do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for pid in $alive; do kill -9 "$pid" 2>/dev/null; done
	[ -n "${loader:-}" ] && { wait "$loader" 2>/dev/null; loader=; }
	wait 2>/dev/null
	crashes=$((crashes + 1))
	local logsize; logsize=$(stat -c %s "$LEDGER_TMP/crash/server.log")
	ledger_as_server pg_ctl -D "$PGDATA" -l "$LEDGER_TMP/crash/server.log" -w -t 120 start >/dev/null 2>&1 ||
		{ tail -n 30 "$LEDGER_TMP/crash/server.log"; fail "the server did not come back after crash $crashes"; }
	tail -c +$((logsize + 1)) "$LEDGER_TMP/crash/server.log" | grep -q "was not properly shut down" ||
		fail "the restart after crash $crashes did not recover from a crash"
	note "crash $crashes: postmaster $pm killed, server recovered"
}

# wait_for WHAT SQL : polls until SQL returns t (20 s at most)
wait_for() {
	local i
	for i in $(seq 1 200); do
		[ "$(q $DB -c "$2" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	fail "timed out waiting for $1"
}

# a session that takes a lock and keeps it until the crash
hold() {
	q $DB -c "BEGIN" -c "$1" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
	wait_for "the lock to be taken" "SELECT count(*) = 1 FROM pg_stat_activity
	                                 WHERE query = 'SELECT pg_sleep(600)' AND state = 'active'"
}

# the cutoff, in the background
cutoff() {
	PGAPPNAME=cutoff psql -X -q -d $DB -c "CALL ledger.close_day(${1:-})" >"$WORK/cutoff.out" 2>&1 &
}
# the cutoff waits for the session that holds a lock
cutoff_blocked_by_holder="SELECT count(*) = 1 FROM pg_stat_activity c, pg_stat_activity h
                           WHERE c.application_name = 'cutoff' AND h.query = 'SELECT pg_sleep(600)'
                             AND h.pid = ANY (pg_blocking_pids(c.pid))"
# the cutoff waits for a lock on the table named
cutoff_waits_for() {
	echo "SELECT count(*) = 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
	       WHERE a.application_name = 'cutoff' AND NOT l.granted AND l.relation = '$1'::regclass"
}

after_restart() {	# the checks after every restart
	clients_agree $DB "$LOG" $((CLIENTS * crashes))
	holds_agree $DB "$HOLDLOG" $((CLIENTS * crashes))
	books_hold $DB
	expect $DB "SELECT ledger.post('probe-$crashes', ARRAY['bank', 'w1'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])
	             > (SELECT max(id) FROM ledger.voucher WHERE idempotency_key <> 'probe-$crashes')" t \
		"posting works again, with ids after every id before the crash"
}

for round in $(seq 1 "$ROUNDS"); do
	day=$(q $DB -c "SELECT ledger.current_book_date()")
	next=$(q $DB -c "SELECT ledger.current_book_date() + 1")
	note "round $round: book day $day"

	# 1. in the middle of posting
	start_load
	wait_for "postings" "SELECT count(*) > 30 FROM ledger.voucher WHERE book_date = '$day'"
	wait_for "holds settled" "SELECT count(*) > 3 FROM ledger.hold WHERE status IN ('posted', 'voided') AND settled_book_date = '$day'"
	crash
	after_restart

	# 2. while the cutoff waits for a transaction that has posted
	start_load
	hold "SELECT ledger.post('open-$round', ARRAY['hold-a', 'hold-b'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[])"
	cutoff
	wait_for "the cutoff to wait for the poster" "$cutoff_blocked_by_holder"
	crash
	expect $DB "SELECT string_agg(book_date || ' ' || status, ', ' ORDER BY book_date) FROM ledger.book_day WHERE book_date >= '$day'" \
		"$day closing, $next open" "the switch survived the crash: $day closing, $next open"
	expect $DB "SELECT count(*) FROM ledger.voucher WHERE idempotency_key = 'open-$round'" 0 \
		"the posting the cutoff waited for is gone with its transaction"
	after_restart
	expect $DB "SELECT book_date FROM ledger.voucher WHERE idempotency_key = 'probe-$crashes'" "$next" "postings go to $next"

	# 3. while the cutoff writes the daily balances
	start_load
	hold "LOCK TABLE ledger.daily_balance IN ACCESS EXCLUSIVE MODE"
	cutoff "'$day'"
	wait_for "the cutoff to wait at step 3" "$(cutoff_waits_for ledger.daily_balance)"
	grep -q "writing daily balances" "$WORK/cutoff.out" || fail "the cutoff did not reach step 3: $(cat "$WORK/cutoff.out")"
	crash
	expect $DB "SELECT count(*) FROM ledger.daily_balance WHERE book_date = '$day'" 0 "no daily balance of $day was left half-written"
	expect $DB "SELECT status FROM ledger.book_day WHERE book_date = '$day'" closing "$day is still closing"
	after_restart

	# 4. while the cutoff checks the books
	start_load
	hold "LOCK TABLE ledger.book_check IN ACCESS EXCLUSIVE MODE"
	cutoff "'$day'"
	wait_for "the cutoff to wait at step 4" "$(cutoff_waits_for ledger.book_check)"
	expect $DB "SELECT snapshot_at IS NOT NULL FROM ledger.day_close WHERE book_date = '$day'" t "step 3 had committed"
	crash
	expect $DB "SELECT count(*) > 0 FROM ledger.daily_balance WHERE book_date = '$day'" t "the daily balances of $day, written before the crash, stay"
	expect $DB "SELECT checked_at IS NULL FROM ledger.day_close WHERE book_date = '$day'" t "the checks of $day had not run"
	expect $DB "SELECT status FROM ledger.book_day WHERE book_date = '$day'" closing "$day is still closing"
	after_restart

	# 5. while the cutoff seals the day
	start_load
	hold "LOCK TABLE ledger.book_day IN SHARE MODE"
	cutoff "'$day'"
	wait_for "the cutoff to wait at step 5" "$(cutoff_waits_for ledger.book_day)"
	expect $DB "SELECT checked_at > snapshot_at AND failed_checks = '{}' FROM ledger.day_close WHERE book_date = '$day'" t \
		"step 4 had committed"
	crash
	expect $DB "SELECT status FROM ledger.book_day WHERE book_date = '$day'" closing "$day is still closing"
	expect $DB "SELECT count(*) FROM ledger.book_check WHERE book_date = '$day' AND NOT ok" 0 "the checks of $day passed before the crash"
	after_restart

	# another CALL finishes the day, and only that day
	q $DB -c "CALL ledger.close_day('$day')" >"$WORK/finish.out" 2>&1 || { cat "$WORK/finish.out"; fail "the resumed close_day failed"; }
	expect $DB "SELECT string_agg(book_date || ' ' || status, ', ' ORDER BY book_date) FROM ledger.book_day WHERE book_date >= '$day'" \
		"$day closed, $next open" "another CALL closed $day and opened no other day"
	expect $DB "SELECT count(*) FROM ledger.check_books('$day') WHERE NOT ok" 0 "the checks of $day pass"
	expect $DB "SELECT ok FROM ledger.verify_books('$day', '$day')" t "the digest of $day verifies"
	books_hold $DB
	holds_hold $DB

	# 6. while a reconciliation of the day, which has written its run, waits to write its breaks
	q $DB -c "SELECT ledger.load_statement_csv('psp', '$day', E'ref,external_id,amount\\nX-$round,PSP-X,1.00\\n')" >/dev/null ||
		fail "could not load the statement of $day"
	start_load
	hold "LOCK TABLE ledger.recon_break IN ACCESS EXCLUSIVE MODE"
	PGAPPNAME=reconcile psql -X -q -d $DB -c "CALL ledger.reconcile('psp', '$day', 'fees')" >"$WORK/reconcile.out" 2>&1 &
	wait_for "the reconciliation to wait at its breaks" "SELECT count(*) = 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
	                                                   WHERE a.application_name = 'reconcile' AND NOT l.granted
	                                                     AND l.relation = 'ledger.recon_break'::regclass"
	crash
	expect $DB "SELECT (SELECT count(*) FROM ledger.recon_run WHERE source = 'psp' AND statement_date = '$day')
	                 + (SELECT count(*) FROM ledger.recon_pending WHERE source = 'psp' AND book_date = '$day')
	                 + (SELECT count(*) FROM ledger.recon_break WHERE source = 'psp' AND statement_date = '$day')" 0 \
		"nothing of the interrupted reconciliation of $day stays"
	after_restart
	q $DB -c "SET client_min_messages = warning" -c "CALL ledger.reconcile('psp', '$day', 'fees')" >"$WORK/reconcile.out" 2>&1 ||
		{ cat "$WORK/reconcile.out"; fail "reconciling $day again failed"; }
	# (from the second round on, the earlier days' unmatched fees are past their
	# grace days and are breaks of this run too: missing on the channel's side)
	expect $DB "SELECT concat_ws(' ', r.missing_internal_count, r.internal_count > 0, b.ref)
	              FROM ledger.recon_run r JOIN ledger.recon_break b ON b.run_id = r.id AND b.class = 'missing_internal'
	             WHERE r.source = 'psp' AND r.statement_date = '$day'" "1 t X-$round" "another CALL reconciled $day"
done
