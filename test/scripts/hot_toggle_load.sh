#!/usr/bin/env bash
# Turning hot on and off under load (issue 10, item 8).
#
# pgbench sessions transfer between wallets, every transfer crediting the
# hot fee account, while another session turns `hot` off and on again and
# again.  No posting may fail for it (no retry is allowed: pgbench runs with
# --max-tries=1, so even a serialization failure counts), and the books must
# hold afterwards.
#
#   LEDGER_SEED   seed of the clients' random choices (default: a new one)
source "$(dirname "$0")/lib.bash"
SEED=${LEDGER_SEED:-$(( (RANDOM << 15) | RANDOM ))}
note "seed $SEED (LEDGER_SEED=$SEED replays the clients' choices)"
db=ledger_hot_toggle
newdb "$db"
q "$db" -f "$TOP/test/stress/setup.sql" >/dev/null || fail "setup failed"
[ "$(id -u)" -eq 0 ] && chmod 777 "$WORK"

toggle() {	# turns hot off and on until $WORK/stop exists
	local n=0
	while [ ! -e "$WORK/stop" ]; do
		q "$db" -c "UPDATE ledger.account SET hot = NOT hot WHERE code = 'fees'" >/dev/null 2>>"$WORK/toggle.err" &&
			n=$((n + 1))
		sleep 0.05
	done
	echo "$n" >"$WORK/toggles"
}
toggle &
toggler=$!
pgbench -n -c 4 -j 4 -T 4 --random-seed="$SEED" --max-tries=1 --failures-detailed -D logfile="$WORK/clients.log" \
	-f "$TOP/test/stress/transfer.pgbench" "$db" >"$WORK/pgbench.out" 2>&1
rc=$?
touch "$WORK/stop"
wait $toggler
note "$(grep -E "^number of (transactions actually processed|failed transactions)" "$WORK/pgbench.out" | tr '\n' ';')"
note "hot turned over $(cat "$WORK/toggles") times"
[ "$(cat "$WORK/toggles")" -gt 2 ] || { cat "$WORK/toggle.err"; fail "the account was hardly turned over"; }
[ $rc -eq 0 ] && ! grep -qE "aborted|ERROR" "$WORK/pgbench.out" &&
	grep -q "^number of failed transactions: 0 " "$WORK/pgbench.out" ||
	{ grep -E "ERROR|failed" "$WORK/pgbench.out" | sort | uniq -c | head; fail "a posting failed while hot was turned over"; }
note "ok: no posting failed while hot was turned on and off"
expect "$db" "SELECT count(*) FROM ledger.account_balance b JOIN ledger.account a ON a.id = b.account_id
               WHERE a.code = 'fees' AND (a.hot OR b.slot = 0)" \
	"$(q "$db" -c "SELECT CASE WHEN hot THEN (SELECT count(*) FROM ledger.account_balance b WHERE b.account_id = a.id) ELSE 1 END FROM ledger.account a WHERE code = 'fees'")" \
	"the fee account has the slots its hot flag says"
books_hold "$db"
