#!/usr/bin/env bash
# Concurrency under load at every isolation level.
#
# pgbench sessions transfer money between a few wallets with floors and
# ceilings (so that the bounds refuse vouchers all the time), top up and
# withdraw (several sessions racing to post the same key), reverse random
# earlier vouchers and post earlier vouchers again (same content: same id;
# other content: 23505), while CALL ledger.close_day() runs in the middle.
# Every client logs the key and id of every voucher it was told of (one line
# per call: client, key, id or "-" when refused, what happened).
#
# Holds race with those postings on the same wallets: sessions hold money of
# a wallet (floors and ceilings refuse holds too), some with an expiry within
# a second, and settle random pending holds: post them in full or in half
# (sessions picking the same hold race with one key or with two), void them,
# or run ledger.expire_holds().  They log every hold and settlement they
# were told of (test/stress/hold.pgbench, settle.pgbench); afterwards the
# holds must agree with the books (holds_agree in lib.bash).
# Serialization failures and deadlocks are retried by pgbench (--max-tries);
# any other error aborts the run.  Afterwards the books must hold (see
# books_hold and clients_agree in lib.bash).
#
# Meanwhile ledger.reconcile runs again and again on the day under load,
# against the hot fee account every transfer credits, and keeps its
# transaction open a while after each run: no posting session may wait for
# it, postings must go on while it is open, and it must have written and
# locked no row of the books.  Once the day is closed, a last run must have
# taken in every voucher of the day.
#
#   STRESS_SECONDS   seconds of load per isolation level (default 4)
#   STRESS_CLIENTS   pgbench sessions (default 6)
#   STRESS_LEVELS    isolation levels (default: all three)
#   LEDGER_SEED      seed of the clients' random choices (default: a new one,
#                    printed, so that a failing run can be replayed)
source "$(dirname "$0")/lib.bash"
SEED=${LEDGER_SEED:-$(( (RANDOM << 15) | RANDOM ))}
note "seed $SEED (LEDGER_SEED=$SEED replays the clients' choices)"
SECS=${STRESS_SECONDS:-4}
CLIENTS=${STRESS_CLIENTS:-6}
LEVELS=${STRESS_LEVELS:-read-committed repeatable-read serializable}

close_day_retrying() {	# DB OUT : CALL ledger.close_day(), retried on 40001/40P01
	local db=$1 out=$2 i
	for i in $(seq 1 20); do
		if psql -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d "$db" -c "CALL ledger.close_day()" >>"$out" 2>&1; then
			echo "closed after $i attempt(s)" >>"$out"
			return 0
		fi
		grep -qE "ERROR:  (40001|40P01)" "$out" || return 1
		sleep 0.2
	done
	return 1
}

# one reconciliation after another on 2026-11-02, each transaction held open
# for a second after the run, until DIR/stop exists; one line per run in
# DIR/reconcile.out: "ok touched=N blocked=N posted=N", "retry" after a
# serialization failure or a deadlock, or "error" after the error itself
reconcile_during_load() {	# DB DIR
	local db=$1 dir=$2
	while [ ! -e "$dir/stop" ]; do
		if ! psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" >"$dir/reconcile.run" 2>&1 <<'SQL'; then
SET client_min_messages = warning;
BEGIN;
SELECT last_value AS before FROM ledger.voucher_id_seq \gset
CALL ledger.reconcile('psp', '2026-11-02', 'fees');
SELECT pg_current_xact_id()::xid AS run_xid \gset
-- while the transaction stays open: the most sessions waiting for a lock it holds
DO $$
DECLARE
	n integer;
	worst integer := 0;
BEGIN
	FOR i IN 1..20 LOOP
		SELECT count(DISTINCT l.pid) INTO n FROM pg_locks l
		 WHERE NOT l.granted AND pg_backend_pid() = ANY (pg_blocking_pids(l.pid));
		worst := greatest(worst, n);
		PERFORM pg_sleep(0.05);
	END LOOP;
	PERFORM set_config('ledger_test.blocked', worst::text, false);
END $$;
SELECT current_setting('ledger_test.blocked') AS blocked,
       (SELECT last_value FROM ledger.voucher_id_seq) - :before AS posted \gset
COMMIT;
-- rows of the books the run wrote, updated, deleted or locked, read after it
-- ended (read in the run's SERIALIZABLE transaction, this test's own scans
-- of the books would make it the long reader of everything it checks)
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT count(*) AS touched FROM (
	SELECT xmin AS a, xmax AS b FROM ledger.voucher
	UNION ALL SELECT xmin, xmax FROM ledger.entry
	UNION ALL SELECT xmin, xmax FROM ledger.account_balance
	UNION ALL SELECT xmin, xmax FROM ledger.account
	UNION ALL SELECT xmin, xmax FROM ledger.book_day
	UNION ALL SELECT xmin, xmax FROM ledger.daily_balance) t
 WHERE t.a = :'run_xid'::xid OR t.b = :'run_xid'::xid \gset
COMMIT;
\echo ok touched=:touched blocked=:blocked posted=:posted
SQL
			if grep -qE 'ERROR:  (could not serialize access|deadlock detected)' "$dir/reconcile.run"; then
				echo retry >>"$dir/reconcile.out"
			else
				cat "$dir/reconcile.run" >>"$dir/reconcile.out"
				echo error >>"$dir/reconcile.out"
			fi
		else
			cat "$dir/reconcile.run" >>"$dir/reconcile.out"
		fi
	done
}

for level in $LEVELS; do
	db=ledger_conc_${level//-/_}
	dir=$WORK/$level
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chmod 777 "$dir"
	newdb "$db"
	q "$db" -f "$TOP/test/stress/setup.sql" >/dev/null || fail "$db: setup failed"
	# the channel's statement of the day: the transfers' fees, some of them
	q "$db" -c "SELECT ledger.load_statement_csv('psp', '2026-11-02', E'ref,external_id,amount\\n'
	             || (SELECT string_agg(format('Tt-%s,PSP-%s,-1.00', i, i), E'\\n') FROM generate_series(1, 200) i))" >/dev/null ||
		fail "$db: could not load the statement"
	note "$level: $CLIENTS sessions for ${SECS}s"

	export PGOPTIONS="-c default_transaction_isolation=${level//-/\\ }"
	( sleep "$(echo "$SECS / 2" | bc -l)"; close_day_retrying "$db" "$dir/close_day.out" ) &
	closer=$!
	reconcile_during_load "$db" "$dir" &
	reconciler=$!
	: >"$dir/holds.log"
	[ "$(id -u)" -eq 0 ] && chmod 666 "$dir/holds.log"
	pgbench -n -c "$CLIENTS" -j "$CLIENTS" -T "$SECS" --random-seed="$SEED" --max-tries=100 --failures-detailed \
		-D logfile="$dir/clients.log" -D holdlog="$dir/holds.log" \
		-f "$TOP/test/stress/transfer.pgbench@6" -f "$TOP/test/stress/topup.pgbench@3" \
		-f "$TOP/test/stress/reverse.pgbench@1" -f "$TOP/test/stress/replay.pgbench@1" \
		-f "$TOP/test/stress/hold.pgbench@3" -f "$TOP/test/stress/settle.pgbench@3" \
		"$db" >"$dir/pgbench.out" 2>&1
	rc=$?
	wait $closer
	closed=$?
	touch "$dir/stop"
	wait $reconciler
	unset PGOPTIONS

	[ $rc -eq 0 ] && ! grep -q "aborted" "$dir/pgbench.out" ||
		{ grep -m 10 -E "aborted|ERROR|FATAL" "$dir/pgbench.out"; tail -n 30 "$dir/pgbench.out"; fail "$db: pgbench failed (a client met an error other than 40001/40P01)"; }
	[ $closed -eq 0 ] || { cat "$dir/close_day.out"; fail "$db: close_day failed"; }
	note "$(grep -E "^number of (transactions actually processed|failed transactions|transactions retried|serialization failures|deadlock failures)" "$dir/pgbench.out" | tr '\n' ';')"
	note "close_day: $(tail -n 1 "$dir/close_day.out")"
	# every kind of call ran
	calls=
	for s in transfer topup reverse replay hold settle; do
		n=$(awk -v s="$s.pgbench" '$0 ~ "SQL script [0-9]+: .*" s { getline; getline; print $2 }' "$dir/pgbench.out")
		[ "${n:-0}" -gt 0 ] || fail "$db: no $s transaction completed"
		calls="$calls $s $n"
	done
	note "calls:$calls"
	expect "$db" "SELECT count(*) > 0 FROM ledger.voucher WHERE book_date = '2026-11-03'" t "$db: postings went on after the switch"
	expect "$db" "SELECT status FROM ledger.book_day WHERE book_date = '2026-11-02'" closed "$db: the day closed under load"
	clients_agree "$db" "$dir/clients.log" 0
	expect "$db" "SELECT count(*) > 0 FROM public.client_log WHERE why = 'floor'" t "$db: floors refused vouchers"
	holds_agree "$db" "$dir/holds.log" 0
	books_hold "$db"
	expect "$db" "SELECT count(DISTINCT why) FROM public.hold_log WHERE why IN ('held', 'posted', 'partial', 'voided')
	               OR (op = 'hold' AND why = 'floor')" 5 "$db: holds were created, refused by a floor, posted in full and in part, voided"
	# (whether a hold was pending at the cutoff depends on the clients' timing)
	expect "$db" "SELECT NOT EXISTS (SELECT 1 FROM ledger.hold h WHERE h.book_date <= '2026-11-02'
	                                  AND (h.settled_book_date IS NULL OR h.settled_book_date > '2026-11-02'))
	               OR EXISTS (SELECT 1 FROM ledger.daily_balance WHERE book_date = '2026-11-02' AND NOT summary
	                           AND ledger.minor_units(held_debit) <> 0)" t \
		"$db: holds pending at the cutoff, if any, are in the day's daily balances"
	# the holds left pending expire; then none reserves anything past its expiry.
	# (Whether any hold with an expiry is still pending when the load stops
	# depends on the clients' timing: the settling clients may have posted or
	# voided every one in time.  Those that are, all expire.)
	left=$(q "$db" -c "SELECT count(*) FROM ledger.hold WHERE status = 'pending' AND expires_at IS NOT NULL")
	before=$(q "$db" -c "SELECT count(*) FROM ledger.hold WHERE status = 'expired'")
	sleep "$(q "$db" -c "SELECT greatest(COALESCE(extract(epoch FROM max(expires_at) - clock_timestamp()), 0), 0) + 0.1
	                     FROM ledger.hold WHERE status = 'pending'")"
	q "$db" -c "SELECT ledger.expire_holds()" >/dev/null || fail "$db: expire_holds failed"
	expect "$db" "SELECT count(*) FROM ledger.hold WHERE status = 'expired'" "$((before + left))" \
		"$db: holds expired: the $before the load expired and the $left left pending with an expiry"
	expect "$db" "SELECT count(*) FROM ledger.hold WHERE status = 'pending' AND expires_at <= clock_timestamp()" 0 \
		"$db: expire_holds left no pending hold past its expiry"
	holds_hold "$db"
	expect "$db" "SELECT count(*) FROM ledger.check_books(ledger.current_book_date()) WHERE NOT ok" 0 \
		"$db: check_books passes after the expiry (holds_match_lines among its checks)"

	# reconciliation under load: it ran, blocked no poster, changed no row of
	# the books; failures other than serialization failures are errors
	runs=$(grep -c '^ok ' "$dir/reconcile.out")
	note "reconcile: $runs runs under load, $(grep -c '^retry$' "$dir/reconcile.out") serialization failures"
	grep -q '^error$' "$dir/reconcile.out" &&
		{ cat "$dir/reconcile.out"; fail "$db: reconciliation under load failed otherwise than by a serialization failure"; }
	[ "$runs" -gt 0 ] || { cat "$dir/reconcile.out"; fail "$db: no reconciliation finished under load"; }
	grep '^ok ' "$dir/reconcile.out" | grep -qv ' touched=0 ' &&
		{ grep '^ok ' "$dir/reconcile.out"; fail "$db: reconciliation wrote or locked rows of the books"; }
	note "ok: $db: reconciliation wrote and locked no row of the books"
	grep '^ok ' "$dir/reconcile.out" | grep -qv ' blocked=0 ' &&
		{ grep '^ok ' "$dir/reconcile.out"; fail "$db: a session waited for a lock an open reconciliation held"; }
	note "ok: $db: no session waited for an open reconciliation"
	grep '^ok ' "$dir/reconcile.out" | grep -qv ' posted=0$' ||
		{ grep '^ok ' "$dir/reconcile.out"; fail "$db: nothing was posted while a reconciliation was open"; }
	note "ok: $db: postings went on while a reconciliation was open"
	# on the closed day, a run takes in exactly the day's vouchers on the account
	q "$db" -c "SET client_min_messages = warning" -c "CALL ledger.reconcile('psp', '2026-11-02', 'fees')" >/dev/null ||
		fail "$db: reconcile of the closed day failed"
	expect "$db" "SELECT r.internal_count = (SELECT count(DISTINCT e.voucher_id) FROM ledger.entry e JOIN ledger.voucher v ON v.id = e.voucher_id
	                                          WHERE e.account_id = (SELECT id FROM ledger.account WHERE code = 'fees')
	                                            AND e.book_date = '2026-11-02' AND v.ref IS NOT NULL)
	                AND r.external_count = 200 AND r.internal_count > 0
	                AND r.matched_count + r.missing_internal_count + r.missing_external_count + r.amount_mismatch_count
	                    + r.status_mismatch_count + r.duplicate_count + r.pending_count + r.reversed_count
	                    = (SELECT count(*) FROM (SELECT v.ref FROM ledger.entry e JOIN ledger.voucher v ON v.id = e.voucher_id
	                                              WHERE e.account_id = (SELECT id FROM ledger.account WHERE code = 'fees')
	                                                AND e.book_date = '2026-11-02' AND v.ref IS NOT NULL
	                                             UNION SELECT ref FROM ledger.statement_line WHERE source = 'psp') k)
	               FROM ledger.recon_run r WHERE r.source = 'psp' AND r.statement_date = '2026-11-02'" t \
		"$db: reconciling the closed day takes in each of its vouchers and statement lines once"
done
