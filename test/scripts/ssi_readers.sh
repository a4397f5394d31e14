#!/usr/bin/env bash
# The long readers take no predicate locks on the books (issue 10, item 1).
#
# At SERIALIZABLE, every predicate (SIREAD) lock a long reader holds on
# ledger.voucher, ledger.entry or ledger.account_balance turns each poster
# that commits meanwhile into a read/write conflict of the reader, kept until
# the reader ends; PostgreSQL keeps them in a fixed pool, and when it runs
# dry posters fail with 53200, which no retry cures.  So:
#
#   - a reconciliation in a SERIALIZABLE transaction holds no SIREAD lock on
#     the books, on the open day or a closed one, and finds the same as at
#     READ COMMITTED;
#   - the cutoff, called with default_transaction_isolation = serializable,
#     leaves no SIREAD lock on the books (its steps run at REPEATABLE READ),
#     even while another serializable transaction keeps old locks alive.
# (test/scripts/concurrency.sh posts at SERIALIZABLE beside reconciliations
# held open and a cutoff, and allows no error but serialization failures.)
source "$(dirname "$0")/lib.bash"
db=ledger_ssi_readers
newdb "$db"
q "$db" -f "$TOP/test/stress/setup.sql" >/dev/null || fail "setup failed"
q "$db" -c "SELECT ledger.post('Tt-' || i, ARRAY['w' || (1 + i % 8), 'fees'], ARRAY[ledger.amount(1, 'CNY'), ledger.amount(-1, 'CNY')], NULL, 'Tt-' || i)
	             FROM generate_series(1, 200) i" >/dev/null || fail "could not post"
q "$db" -c "SELECT ledger.load_statement_csv('psp', '2026-11-02', E'ref,external_id,amount\\n'
             || (SELECT string_agg(format('Tt-%s,PSP-%s,-1.00', i, i), E'\\n') FROM generate_series(1, 150) i))" >/dev/null ||
	fail "could not load the statement"

# SIREAD locks of the session on the books' tables and their indexes
books="('ledger.voucher'::regclass, 'ledger.entry'::regclass, 'ledger.account_balance'::regclass)"
siread="SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
         WHERE l.mode = 'SIReadLock' AND l.pid = %s
           AND (c.oid IN $books OR c.oid IN (SELECT i.indexrelid FROM pg_index i WHERE i.indrelid IN $books))"

reconcile_locks() {	# DAY : SIREAD locks on the books a serializable reconciliation holds
	q "$db" -c "SET client_min_messages = warning" -c "BEGIN ISOLATION LEVEL SERIALIZABLE" \
		-c "CALL ledger.reconcile('psp', '$1', 'fees')" \
		-c "$(printf "$siread" 'pg_backend_pid()')" -c "COMMIT" | tail -n 1
}
n=$(reconcile_locks 2026-11-02)
[ "$n" = 0 ] || fail "a serializable reconciliation of the open day holds $n SIREAD locks on the books"
note "ok: a serializable reconciliation of the open day holds no SIREAD lock on the books"
ser=$(q "$db" -c "SELECT matched_count, missing_internal_count, missing_external_count, pending_count FROM ledger.recon_run WHERE source = 'psp'")
q "$db" -c "SET client_min_messages = warning" -c "CALL ledger.reconcile('psp', '2026-11-02', 'fees')" >/dev/null || fail "reconcile failed"
rc=$(q "$db" -c "SELECT matched_count, missing_internal_count, missing_external_count, pending_count FROM ledger.recon_run WHERE source = 'psp'")
[ "$ser" = "$rc" ] && [ "${ser%%|*}" -gt 0 ] || fail "a serializable run found $ser, a READ COMMITTED one $rc"
note "ok: it finds what a READ COMMITTED run finds ($rc)"

# the cutoff, called at SERIALIZABLE, while an old serializable transaction
# keeps the predicate locks of everything that committed after it began
mkfifo "$WORK/hold"
( { echo "BEGIN ISOLATION LEVEL SERIALIZABLE;"; echo "SELECT count(*) FROM ledger.book_day;"; cat "$WORK/hold"; echo "COMMIT;"; } |
	psql -X -q -At -d "$db" >/dev/null 2>&1 ) &
holder=$!
exec 7>"$WORK/hold"
sleep 0.5
closer=$(PGOPTIONS="-c default_transaction_isolation=serializable" psql -X -q -At -d "$db" \
	-c "SET client_min_messages = warning" -c "CALL ledger.close_day()" -c "SELECT pg_backend_pid()" 2>&1 | tail -n 1)
[[ "$closer" =~ ^[0-9]+$ ]] || { exec 7>&-; wait $holder; fail "close_day failed: $closer"; }
n=$(q "$db" -c "$(printf "$siread" "$closer")")
exec 7>&-
wait $holder
expect "$db" "SELECT status FROM ledger.book_day WHERE book_date = '2026-11-02'" closed "the day closed"
[ "$n" = 0 ] || fail "the cutoff run at SERIALIZABLE left $n SIREAD locks on the books"
note "ok: the cutoff called at SERIALIZABLE leaves no SIREAD lock on the books"

n=$(reconcile_locks 2026-11-02)
[ "$n" = 0 ] || fail "a serializable reconciliation of a closed day holds $n SIREAD locks on the books"
note "ok: a serializable reconciliation of a closed day holds no SIREAD lock on the books"
books_hold "$db"
