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
# Serialization failures and deadlocks are retried by pgbench (--max-tries);
# any other error aborts the run.  Afterwards the books must hold (see
# books_hold and clients_agree in lib.bash).
#
#   STRESS_SECONDS   seconds of load per isolation level (default 4)
#   STRESS_CLIENTS   pgbench sessions (default 6)
#   STRESS_LEVELS    isolation levels (default: all three)
source "$(dirname "$0")/lib.bash"
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

for level in $LEVELS; do
	db=ledger_conc_${level//-/_}
	dir=$WORK/$level
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chmod 777 "$dir"
	newdb "$db"
	q "$db" -f "$TOP/test/stress/setup.sql" >/dev/null || fail "$db: setup failed"
	note "$level: $CLIENTS sessions for ${SECS}s"

	export PGOPTIONS="-c default_transaction_isolation=${level//-/\\ }"
	( sleep "$(echo "$SECS / 2" | bc -l)"; close_day_retrying "$db" "$dir/close_day.out" ) &
	closer=$!
	pgbench -n -c "$CLIENTS" -j "$CLIENTS" -T "$SECS" --max-tries=100 --failures-detailed -D logfile="$dir/clients.log" \
		-f "$TOP/test/stress/transfer.pgbench@6" -f "$TOP/test/stress/topup.pgbench@3" \
		-f "$TOP/test/stress/reverse.pgbench@1" -f "$TOP/test/stress/replay.pgbench@1" \
		"$db" >"$dir/pgbench.out" 2>&1
	rc=$?
	wait $closer
	closed=$?
	unset PGOPTIONS

	[ $rc -eq 0 ] && ! grep -q "aborted" "$dir/pgbench.out" ||
		{ tail -n 30 "$dir/pgbench.out"; fail "$db: pgbench failed (a client met an error other than 40001/40P01)"; }
	[ $closed -eq 0 ] || { cat "$dir/close_day.out"; fail "$db: close_day failed"; }
	note "$(grep -E "^number of (transactions actually processed|failed transactions|transactions retried|serialization failures|deadlock failures)" "$dir/pgbench.out" | tr '\n' ';')"
	note "close_day: $(tail -n 1 "$dir/close_day.out")"
	# every kind of call ran
	calls=
	for s in transfer topup reverse replay; do
		n=$(awk -v s="$s.pgbench" '$0 ~ "SQL script [0-9]+: .*" s { getline; getline; print $2 }' "$dir/pgbench.out")
		[ "${n:-0}" -gt 0 ] || fail "$db: no $s transaction completed"
		calls="$calls $s $n"
	done
	note "calls:$calls"
	expect "$db" "SELECT count(*) > 0 FROM ledger.voucher WHERE book_date = '2026-11-03'" t "$db: postings went on after the switch"
	expect "$db" "SELECT status FROM ledger.book_day WHERE book_date = '2026-11-02'" closed "$db: the day closed under load"
	clients_agree "$db" "$dir/clients.log" 0
	expect "$db" "SELECT count(*) > 0 FROM public.client_log WHERE why = 'floor'" t "$db: floors refused vouchers"
	books_hold "$db"
done
