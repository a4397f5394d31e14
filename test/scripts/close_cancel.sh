#!/usr/bin/env bash
# close_day cancelled in the middle, and killed with its session, picks up
# where it stopped on the next call.
source "$(dirname "$0")/lib.bash"
DB=ledger_close_cancel
newdb $DB
trap 'q postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"'"'$DB'"'"' AND pid <> pg_backend_pid()" >/dev/null 2>&1' EXIT
q $DB <<'SQL' >/dev/null
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'bank', 'asset', 'CNY'), ('wallet', 'wallet', 'liability', 'CNY'),
	('bank-2', 'bank', 'asset', 'CNY'), ('wallet-2', 'wallet', 'liability', 'CNY');
SELECT ledger.post('p' || i, ARRAY['bank', 'wallet'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[])
  FROM generate_series(1, 100) i;
SQL

# 1. cancelled while waiting for a poster: the day stays closing
q $DB -c "BEGIN; SELECT ledger.post('late', ARRAY['bank', 'wallet'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
          SELECT pg_sleep(30); COMMIT;" > "$WORK/poster.out" 2>&1 &
poster=$!
sleep 0.5
PGAPPNAME=cutoff q $DB -c "CALL ledger.close_day()" > "$WORK/close1.out" 2>&1 &
closer=$!
for i in $(seq 1 50); do
	[ "$(q $DB -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cutoff' AND wait_event_type = 'Lock'")" = 1 ] && break
	sleep 0.1
done
expect $DB "SELECT status FROM ledger.book_day WHERE book_date = '2026-11-02'" closing "the day is closing while the cutoff waits"
q $DB -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'cutoff'" >/dev/null
wait $closer && fail "the cancelled close_day succeeded"
grep -q "canceling statement due to user request" "$WORK/close1.out" || fail "unexpected: $(cat "$WORK/close1.out")"
note "ok: close_day cancelled while waiting"
expect $DB "SELECT status FROM ledger.book_day WHERE book_date = '2026-11-02'" closing "the cancelled day stays closing"
expect $DB "SELECT ledger.post('next-day', ARRAY['bank-2', 'wallet-2'], ARRAY['2 CNY', '-2 CNY']::ledger.amount[]) > 0" t \
	"posting goes on meanwhile (on accounts the open poster does not hold)"
expect $DB "SELECT book_date FROM ledger.voucher WHERE idempotency_key = 'next-day'" 2026-11-03 "onto the next day"
# the session that was cancelled let go of the day-end lock
expect $DB "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1818585447" 0 "no day-end lock is left"

# 2. killed (its session terminated) while waiting: same story
PGAPPNAME=cutoff q $DB -c "CALL ledger.close_day()" > "$WORK/close2.out" 2>&1 &
closer=$!
for i in $(seq 1 50); do
	[ "$(q $DB -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cutoff' AND wait_event_type = 'Lock'")" = 1 ] && break
	sleep 0.1
done
q $DB -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cutoff'" >/dev/null
wait $closer && fail "the terminated close_day succeeded"
note "ok: close_day terminated while waiting"
expect $DB "SELECT status FROM ledger.book_day WHERE book_date = '2026-11-02'" closing "the day is still closing"

# the poster ends; the next call finishes the day, and only that day
kill $poster 2>/dev/null; q $DB -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                                     WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
wait $poster 2>/dev/null
q $DB -c "CALL ledger.close_day('2026-11-02')" > "$WORK/close3.out" 2>&1 || { cat "$WORK/close3.out"; fail "the second close_day failed"; }
expect $DB "SELECT string_agg(book_date || ' ' || status, ', ' ORDER BY book_date) FROM ledger.book_day" \
	"2026-11-02 closed, 2026-11-03 open" "the resumed cutoff closed the day and opened no other"
expect $DB "SELECT count(*) FROM ledger.check_books('2026-11-02') WHERE NOT ok" 0 "its checks pass"
expect $DB "SELECT vouchers FROM ledger.day_close WHERE book_date = '2026-11-02'" 100 "the killed poster's voucher is not on the day"

# 3. cancelled while writing the daily balances (a lock held on them stalls step 3)
q $DB -c "BEGIN; LOCK TABLE ledger.daily_balance IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30); COMMIT;" > /dev/null 2>&1 &
locker=$!
sleep 0.5
PGAPPNAME=cutoff q $DB -c "CALL ledger.close_day()" > "$WORK/close4.out" 2>&1 &
closer=$!
for i in $(seq 1 50); do
	grep -q "writing daily balances" "$WORK/close4.out" 2>/dev/null &&
		[ "$(q $DB -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cutoff' AND wait_event_type = 'Lock'")" = 1 ] && break
	sleep 0.1
done
grep -q "writing daily balances" "$WORK/close4.out" || fail "the cutoff did not reach step 3: $(cat "$WORK/close4.out")"
q $DB -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'cutoff'" >/dev/null
wait $closer && fail "the cancelled close_day succeeded"
note "ok: close_day cancelled while writing daily balances"
kill $locker 2>/dev/null; q $DB -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                                     WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
wait $locker 2>/dev/null
expect $DB "SELECT count(*) FROM ledger.daily_balance WHERE book_date = '2026-11-03'" 0 "no half-written daily balances"
q $DB -c "CALL ledger.close_day()" > "$WORK/close5.out" 2>&1 || { cat "$WORK/close5.out"; fail "the resumed close_day failed"; }
expect $DB "SELECT string_agg(book_date || ' ' || status, ', ' ORDER BY book_date) FROM ledger.book_day" \
	"2026-11-02 closed, 2026-11-03 closed, 2026-11-04 closed, 2026-11-05 open" \
	"the next call finished 11-03, then closed the open day 11-04"
expect $DB "SELECT count(*) FROM ledger.verify_books('2026-11-02', '2026-11-04') WHERE NOT ok" 0 "the digests verify"

# 4. a poster's transaction left prepared (PREPARE TRANSACTION): the cutoff
# waits for it and says that it is a prepared transaction, which only COMMIT
# PREPARED or ROLLBACK PREPARED ends; committed, its voucher is on the day
q $DB -c "BEGIN" -c "SELECT ledger.post('prepared', ARRAY['bank', 'wallet'], ARRAY['3 CNY', '-3 CNY']::ledger.amount[])" \
	-c "PREPARE TRANSACTION 'ledger_close_cancel_prepared'" >/dev/null
xid=$(q $DB -c "SELECT transaction FROM pg_prepared_xacts WHERE gid = 'ledger_close_cancel_prepared'")
PGAPPNAME=cutoff q $DB -c "CALL ledger.close_day()" > "$WORK/close6.out" 2>&1 &
closer=$!
for i in $(seq 1 50); do
	[ "$(q $DB -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cutoff' AND wait_event_type = 'Lock'")" = 1 ] && break
	sleep 0.1
done
expect $DB "SELECT status FROM ledger.book_day WHERE book_date = '2026-11-05'" closing "the day is closing while the cutoff waits for the prepared transaction"
q $DB -c "COMMIT PREPARED 'ledger_close_cancel_prepared'" >/dev/null
wait $closer || { cat "$WORK/close6.out"; fail "close_day failed after COMMIT PREPARED"; }
grep -q "waiting for prepared transaction $xid (gid \"ledger_close_cancel_prepared\", owner postgres," "$WORK/close6.out" ||
	fail "the cutoff did not name the prepared transaction $xid: $(cat "$WORK/close6.out")"
note "ok: close_day names the prepared transaction it waits for"
expect $DB "SELECT book_date FROM ledger.voucher WHERE idempotency_key = 'prepared'" 2026-11-05 "the prepared voucher, committed, is on the closed day"
expect $DB "SELECT count(*) FROM ledger.verify_books('2026-11-05', '2026-11-05') WHERE NOT ok" 0 "and the day verifies"
invariants $DB
