#!/usr/bin/env bash
# Several sessions post continuously while close_day runs.  A transaction
# that started posting before the switch holds the cutoff for a few seconds:
# meanwhile posting goes on, onto the new day, without waiting for it.
# Afterwards every voucher is on exactly one day, the closed day's snapshot
# equals its entries, and nothing begun after the switch landed on the closed
# day.
source "$(dirname "$0")/lib.bash"
DB=ledger_close_load
newdb $DB

q $DB <<'SQL' >/dev/null
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES
	('bank', 'reserve funds', 'asset', 'CNY', true),
	('fees', 'fee income', 'revenue', 'CNY', true);
INSERT INTO ledger.account (code, name, kind, currency, floor)
	SELECT 'w' || i, 'wallet ' || i, 'liability', 'CNY', '0 CNY' FROM generate_series(1, 50) i;
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('long-a', 'account of the long transaction', 'asset', 'CNY'),
	('long-b', 'account of the long transaction', 'liability', 'CNY');
SELECT ledger.post('fund-' || i, ARRAY['bank', 'w' || i], ARRAY['1000 CNY', '-1000 CNY']::ledger.amount[])
  FROM generate_series(1, 50) i;
-- a transfer that may be refused by a floor; the refusal is the caller's business
CREATE FUNCTION public.transfer(k text, a int, b int, cents int) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
	RETURN ledger.post(k, ARRAY['w' || a, 'w' || b, 'fees'],
		ARRAY[ledger.amount_of_units(cents + 1, 'CNY'), ledger.amount_of_units(-cents, 'CNY'), '-0.01 CNY']::ledger.amount[]);
EXCEPTION WHEN check_violation THEN
	RETURN NULL;
END $$;
SQL

cat > "$WORK/post.sql" <<'EOF2'
\set a random(1, 50)
\set b random(1, 50)
\set cents random(1, 5000)
SELECT public.transfer('t-' || :client_id || '-' || :scale || '-' || random(), :a, :b, :cents);
EOF2

# posting load for 12 seconds, per-transaction latencies logged
( cd "$WORK" && pgbench -n -c 4 -j 2 -T 12 -f post.sql -l --log-prefix=lat $DB > pgbench.out 2>&1; echo $? > pgbench.rc ) &
loader=$!
sleep 2

# a transaction that starts posting before the switch and stays open 4 s
# (on accounts of its own: the point is the cutoff, not row locks)
q $DB -c "BEGIN; SELECT ledger.post('long-one', ARRAY['long-a', 'long-b'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]);
          SELECT pg_sleep(4); COMMIT;" > "$WORK/long.out" 2>&1 &
long=$!
sleep 0.5

start=$(date +%s.%N)
q $DB -c "CALL ledger.close_day()" > "$WORK/close.out" 2>&1 || { cat "$WORK/close.out"; fail "close_day failed"; }
end=$(date +%s.%N)
wait $long || fail "the long posting transaction failed: $(cat "$WORK/long.out")"
wait $loader
close_secs=$(echo "$end - $start" | bc)
note "close_day took ${close_secs}s while waiting for the long transaction"
[ "$(cat "$WORK/pgbench.rc")" = 0 ] || { cat "$WORK/pgbench.out"; fail "pgbench reported errors"; }
grep -q "number of failed transactions: 0" "$WORK/pgbench.out" 2>/dev/null ||
	! grep -q "number of failed transactions" "$WORK/pgbench.out" || fail "some postings failed"
txns=$(grep -h "number of transactions actually processed" "$WORK/pgbench.out" | awk '{print $NF}' | cut -d/ -f1)
note "$txns postings during the test"

# no posting waited for the cutoff: the slowest is far below the cutoff's wait
max_us=$(cat "$WORK"/lat.* | awk '{ if ($3 > m) m = $3 } END { print m + 0 }')
note "slowest posting: $((max_us / 1000)) ms"
awk -v m="$max_us" -v c="$close_secs" 'BEGIN { exit !(m / 1e6 < c / 2) }' ||
	fail "a posting took $((max_us / 1000)) ms, as long as the cutoff (${close_secs}s): posters waited"
(( $(echo "$close_secs > 3" | bc) )) || fail "close_day did not wait for the open posting transaction"

expect $DB "SELECT status FROM ledger.book_day WHERE book_date = '2026-11-02'" closed "day 1 is closed"
expect $DB "SELECT book_date FROM ledger.voucher WHERE idempotency_key = 'long-one'" 2026-11-02 \
	"the transaction open across the switch landed on the closing day"
expect $DB "SELECT count(*) FROM ledger.voucher v JOIN ledger.day_close d ON d.book_date = v.book_date
             WHERE v.book_date = '2026-11-02' AND v.created_at > d.switched_at" 0 \
	"nothing begun after the switch is on the closed day"
expect $DB "SELECT count(*) > 0 FROM ledger.voucher WHERE book_date = '2026-11-03'" t "postings went on onto the new day"
expect $DB "SELECT count(*) FROM ledger.check_books('2026-11-02') WHERE NOT ok" 0 "the closed day's checks pass"
expect $DB "SELECT ok FROM ledger.verify_books('2026-11-02', '2026-11-02')" t "the closed day's digest verifies"
expect $DB "SELECT count(*) FROM ledger.check_books('2026-11-03') WHERE NOT ok" 0 "the open day's checks pass"
invariants $DB
