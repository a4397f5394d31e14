#!/usr/bin/env bash
# Dump and restore: a ledger with closed days, an open day, a tree of
# accounts, hot, frozen and closed accounts, several currencies and
# reversals, and its reconciliation (statements loaded by each loader, runs
# of three days, items waiting in the pending pool and items it closed,
# breaks of every class, open and resolved) is dumped with pg_dump and
# restored into a fresh cluster, in the custom format with pg_restore and as
# plain SQL with psql, both with session_replication_role = replica
# (README, Backup and restore).  The restored books must be the same row for row,
# give the same balances and trial balance, pass check_books and
# verify_books, and go on: new vouchers and accounts get new ids, the next
# cutoff chains onto the restored days, and reconciling the three days again
# gives what reconciling them again gives in the source, which is what they
# gave before.  A restore without replica mode must fail rather than
# half-succeed.
source "$(dirname "$0")/lib.bash"
source "$TOP/tools/pgenv.sh"
SRC=ledger_dump_source
newdb $SRC
SRC_HOST=$PGHOST SRC_PORT=$PGPORT

# ---- the books to dump: three closed days and the open day, which is today,
# the day CREATE EXTENSION opens in the fresh database ----
q $SRC >/dev/null <<'SQL' || fail "could not build the books to dump"
SET client_min_messages = warning;
SELECT ledger.open_books(current_date - 3);
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES
	('1002', 'bank deposits', 'asset', NULL, false),
	('6021', 'fee income', 'revenue', 'CNY', true),
	('3001', 'clearing', 'common', 'CNY', false),
	('fx', 'exchange', 'equity', 'USD', false);
UPDATE ledger.account SET metadata = '{"normal_side": "credit"}' WHERE code = '3001';
INSERT INTO ledger.account (code, name, kind, currency, parent_code, hot) VALUES
	('1002.01', 'reserve funds', 'asset', 'CNY', '1002', true),
	('1002.02', 'USD account', 'asset', 'USD', '1002', false);
INSERT INTO ledger.account (code, name, kind, currency, floor, ceiling)
SELECT 'w' || i, 'wallet ' || i, 'liability', 'CNY', '0 CNY', CASE WHEN i = 1 THEN '5000 CNY'::ledger.amount END
  FROM generate_series(1, 5) i;
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('w.frozen', 'frozen wallet', 'liability', 'CNY'), ('w.closed', 'closed wallet', 'liability', 'CNY');
SELECT ledger.post('open-' || i, ARRAY['1002.01', 'w' || i], ARRAY[ledger.amount(1000, 'CNY'), ledger.amount(-1000, 'CNY')],
	'opening deposit', 'DEP' || i, jsonb_build_object('channel', 'wechat'))
  FROM generate_series(1, 5) i;
SELECT ledger.post('usd-1', ARRAY['1002.02', 'fx'], ARRAY['250.00 USD', '-250.00 USD']::ledger.amount[]);
SELECT ledger.post('frz', ARRAY['1002.01', 'w.frozen'], ARRAY['5 CNY', '-5 CNY']::ledger.amount[]);
UPDATE ledger.account SET status = 'frozen' WHERE code = 'w.frozen';
UPDATE ledger.account SET status = 'closed' WHERE code = 'w.closed';
CALL ledger.close_day();
SELECT ledger.post('pay-' || i, ARRAY['w' || (i % 5 + 1), 'w' || ((i + 1) % 5 + 1), '6021', '3001', '3001'],
	ARRAY[ledger.amount(10 + i, 'CNY'), ledger.amount(-(9 + i), 'CNY'), '-1 CNY', '2 CNY', '-2 CNY']::ledger.amount[],
	'payment ' || i, 'ORD' || i)
  FROM generate_series(1, 40) i;
SELECT ledger.reverse((SELECT id FROM ledger.voucher WHERE idempotency_key = 'pay-3'), 'pay-3-r');
CALL ledger.close_day();
CALL ledger.close_day();
SELECT ledger.post('pay-day4-' || i, ARRAY['w1', 'w2'], ARRAY['1.01 CNY', '-1.01 CNY']::ledger.amount[], NULL, 'D4-' || i)
  FROM generate_series(1, 10) i;
SELECT ledger.reverse((SELECT id FROM ledger.voucher WHERE idempotency_key = 'pay-5'), 'pay-5-r');
SQL
# ---- its reconciliation: the second day's fees (ORD1..40 on 6021) against a
# statement with a wrong amount, a wrong status, a duplicate, two lines we do
# not have and seven missing; the third day's statement brings two of those,
# the other five expire; the open day's wallet payments, half of them on the
# statement, the other half pending ----
q $SRC >/dev/null <<SQL || fail "could not reconcile the books to dump"
SET client_min_messages = warning;
-- the bill of 2026-11-02, dated two days ago (a bill's lines must be of its day)
SELECT ledger.load_wechat_bill('wechat', current_date - 2,
	replace(pg_read_file('$TOP/test/data/wechat_ok.csv'), '2026-11-02', (current_date - 2)::text));
SELECT ledger.load_alipay_bill('alipay', '2026-11-02', pg_read_binary_file('$TOP/test/data/alipay_ok.csv'));
SELECT ledger.load_statement_csv('psp', current_date - 2, E'ref,external_id,amount,status,fee,occurred_at\n' || string_agg(l, E'\n'))
  FROM (SELECT format('ORD%s,PSP-%s,-1.00,success,0.01,%s 12:00:00+08', i, i, current_date - 2) FROM generate_series(1, 30) i
        UNION ALL VALUES ('ORD31,PSP-31,-2.00,success,,'), ('ORD32,PSP-32,-1.00,processing,,'),
                         ('ORD33,PSP-33a,-1.00,success,,'), ('ORD33,PSP-33b,-1.00,success,,'),
                         ('X1,PSP-X1,5.00,success,,'), ('X2,PSP-X2,6.00,success,,')) s(l);
SELECT ledger.load_statement_csv('psp', current_date - 1, E'ref,external_id,amount\nORD34,PSP-34,-1.00\nORD35,PSP-35,-1.00\n');
SELECT ledger.load_statement_csv('bank', current_date, E'ref,external_id,amount\n'
	|| (SELECT string_agg(format('D4-%s,BANK-%s,1.01', i, i), E'\n') FROM generate_series(1, 5) i));
UPDATE ledger.account SET reconcilable = true WHERE code IN ('6021', 'w1', '1002.01');
CALL ledger.reconcile('psp', current_date - 2, '6021');
CALL ledger.reconcile('psp', current_date - 1, '6021');
CALL ledger.reconcile('bank', current_date, 'w1');
CALL ledger.reconcile('wechat', current_date - 2, '1002.01');
SELECT ledger.resolve_break((SELECT id FROM ledger.recon_break WHERE ref = 'X1'), 'refund of a test payment');
SELECT ledger.post('adj-X2', ARRAY['1002.01', '6021'], ARRAY['6 CNY', '-6 CNY']::ledger.amount[], 'X2 booked late (差错处理)');
SELECT ledger.resolve_break((SELECT id FROM ledger.recon_break WHERE ref = 'X2'), 'booked by an adjusting voucher',
	(SELECT id FROM ledger.voucher WHERE idempotency_key = 'adj-X2'));
SQL
expect $SRC "SELECT string_agg(status, ' ' ORDER BY book_date) FROM ledger.book_day" "closed closed closed open" \
	"source: three closed days and the open day"
expect $SRC "SELECT ledger.current_book_date() = current_date" t "source: the open day is today"
expect $SRC "SELECT string_agg(c || ' ' || n, ', ' ORDER BY c) FROM (SELECT class c, count(*) n FROM ledger.recon_break
               GROUP BY 1 UNION ALL SELECT 'pending', count(*) FROM ledger.recon_pending WHERE closed_run IS NULL
               UNION ALL SELECT 'resolved', count(*) FROM ledger.recon_break WHERE status = 'resolved'
               UNION ALL SELECT 'runs', count(*) FROM ledger.recon_run
               UNION ALL SELECT 'statement lines', count(*) FROM ledger.statement_line) x" \
	"amount_mismatch 1, duplicate 1, missing_external 5, missing_internal 6, pending 5, resolved 2, runs 4, statement lines 50, status_mismatch 3" \
	"source: reconciliation runs, breaks of every class, open and resolved, and items pending"

# the reconciliation's results, without when and how often it ran
recon_results() {	# HOST PORT DB
	psql -X -q -At -h "$1" -p "$2" -d "$3" -v ON_ERROR_STOP=1 <<'SQL'
SELECT 'run ' || concat_ws(' ', source, statement_date, account_code, currency, grace_days, internal_count, internal_amount,
       external_count, external_amount, matched_count, matched_amount, missing_internal_count, missing_internal_amount,
       missing_external_count, missing_external_amount, amount_mismatch_count, amount_mismatch_amount,
       status_mismatch_count, status_mismatch_amount, duplicate_count, duplicate_amount, pending_count, pending_amount,
       reversed_count)
  FROM ledger.recon_run ORDER BY source, statement_date;
SELECT 'break ' || concat_ws(' ', id, run_id, source, statement_date, class, ref, internal_amount, external_amount, difference,
       internal_count, external_count, internal_status, external_status, book_date, internal_voucher_ids, external_ids,
       status, note, voucher_id, obsolete)
  FROM ledger.recon_break ORDER BY id;
SELECT 'pending ' || concat_ws(' ', source, voucher_id, ref, book_date, account_id, amount, status, added_run, closed_run, closed_class)
  FROM ledger.recon_pending ORDER BY source, voucher_id;
SELECT 'report ' || concat_ws(' ', source, statement_date, matched_count, open_breaks, source_open_breaks, oldest_open_days)
  FROM ledger.recon_report ORDER BY source, statement_date;
SQL
}
# every run of the source done again, in the order of their dates
recon_again() {	# HOST PORT DB
	psql -X -q -At -h "$1" -p "$2" -d "$3" -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
SELECT format('CALL ledger.reconcile(%L, %L, %L)', source, statement_date, account_code)
  FROM ledger.recon_run ORDER BY statement_date, id \gexec
SQL
}
recon_results "$SRC_HOST" "$SRC_PORT" $SRC >"$WORK/recon.before.txt" || fail "could not describe the source's reconciliation"

# every row of every table, every balance, the trial balance, the sequences
describe() {	# HOST PORT DB
	psql -X -q -At -h "$1" -p "$2" -d "$3" -v ON_ERROR_STOP=1 <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) || '' '' || md5(COALESCE(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) FROM ledger.%I t',
              'table ' || c.relname, c.relname)
  FROM pg_class c
 WHERE c.relnamespace = 'ledger'::regnamespace AND c.relkind = 'r'
 ORDER BY c.relname \gexec
SELECT 'sequence ' || s.sequencename || ' ' || s.last_value FROM pg_sequences s WHERE s.schemaname = 'ledger' ORDER BY 1;
SELECT 'balance ' || a.code || ' ' || COALESCE(ledger.balance(a.code)::text, 'none') FROM ledger.account a
 WHERE a.currency IS NOT NULL ORDER BY a.code;
SELECT 'balance ' || a.code || ' ' || d.book_date || ' ' || COALESCE(ledger.balance(a.code, d.book_date)::text, 'none')
  FROM ledger.account a, ledger.book_day d WHERE a.currency IS NOT NULL ORDER BY a.code, d.book_date;
SELECT 'balances ' || b::text FROM ledger.balances b ORDER BY b::text;
SELECT 'trial ' || t::text FROM ledger.trial_balance((SELECT min(book_date) FROM ledger.book_day),
                                                    ledger.current_book_date()) t;
SELECT 'day ' || d.book_date || ' ' || d.status || ' ' || COALESCE(encode(d.digest, 'hex'), '') FROM ledger.book_day d ORDER BY 1;
SQL
}
describe "$SRC_HOST" "$SRC_PORT" $SRC >"$WORK/source.txt" || fail "could not describe the source"
[ "$(grep -c '^table ' "$WORK/source.txt")" -ge 8 ] || fail "the description lists too few tables: $(cat "$WORK/source.txt")"

pg_dump -h "$SRC_HOST" -p "$SRC_PORT" -Fc -f "$WORK/ledger.dump" $SRC 2>"$WORK/pg_dump.err" ||
	{ cat "$WORK/pg_dump.err"; fail "pg_dump (custom) failed"; }
pg_dump -h "$SRC_HOST" -p "$SRC_PORT" -f "$WORK/ledger.sql" $SRC 2>>"$WORK/pg_dump.err" ||
	{ cat "$WORK/pg_dump.err"; fail "pg_dump (plain) failed"; }
[ "$(id -u)" -eq 0 ] && chmod 644 "$WORK/ledger.dump" "$WORK/ledger.sql"
note "ok: dumped $(grep -c '^balance ' "$WORK/source.txt") balances' worth of books"

# reconciling every day again in the source gives what it gave
recon_again "$SRC_HOST" "$SRC_PORT" $SRC >"$WORK/recon.again.out" 2>&1 ||
	{ cat "$WORK/recon.again.out"; fail "source: reconciling again failed"; }
recon_results "$SRC_HOST" "$SRC_PORT" $SRC >"$WORK/recon.source.txt" || fail "could not describe the source's reconciliation"
diff -u "$WORK/recon.before.txt" "$WORK/recon.source.txt" >"$WORK/recon.source.diff" ||
	{ head -n 40 "$WORK/recon.source.diff"; fail "source: reconciling again changed the results"; }
note "ok: source: reconciling every day again gives the same $(grep -c '^break ' "$WORK/recon.source.txt") breaks and $(grep -c '^run ' "$WORK/recon.source.txt") runs"

# ---- a fresh cluster ----
LEDGER_PORT=${RESTORE_PORT:-54338} ledger_cluster_start restore || fail "could not start the restore cluster"
trap 'ledger_cluster_stop restore; rm -rf "$LEDGER_TMP/restore"' EXIT

restored() {	# DB : the checks of a restored database
	local db=$1
	describe "$PGHOST" "$PGPORT" "$db" >"$WORK/$db.txt" || fail "$db: could not describe the restored books"
	diff -u "$WORK/source.txt" "$WORK/$db.txt" >"$WORK/$db.diff" ||
		{ head -n 40 "$WORK/$db.diff"; fail "$db: the restored books differ from the source"; }
	note "ok: $db: every row, balance, trial balance line, sequence and digest is the same as in the source"
	books_hold "$db"
	# reconciliation goes on: the same runs again give the same results
	recon_again "$PGHOST" "$PGPORT" "$db" >"$WORK/$db.recon.out" 2>&1 ||
		{ cat "$WORK/$db.recon.out"; fail "$db: reconciling the restored days again failed"; }
	recon_results "$PGHOST" "$PGPORT" "$db" >"$WORK/$db.recon.txt" || fail "$db: could not describe the reconciliation"
	diff -u "$WORK/recon.source.txt" "$WORK/$db.recon.txt" >"$WORK/$db.recon.diff" ||
		{ head -n 40 "$WORK/$db.recon.diff"; fail "$db: reconciling again after the restore gives other results than in the source"; }
	note "ok: $db: reconciling every restored day again gives the source's results"
	expect "$db" "SELECT count(*) FROM ledger.account_balance b JOIN ledger.account a ON a.id = b.account_id
	               WHERE a.code = '6021'" "$(q $SRC -h "$SRC_HOST" -p "$SRC_PORT" -c "SELECT count(*) FROM ledger.account_balance b
	               JOIN ledger.account a ON a.id = b.account_id WHERE a.code = '6021'")" "$db: the hot account keeps its slots"
	# the books go on
	expect "$db" "SELECT ledger.post('after-restore', ARRAY['w3', 'w4'], ARRAY['2 CNY', '-2 CNY']::ledger.amount[])
	               > $(grep '^sequence voucher_id_seq ' "$WORK/source.txt" | awk '{print $3}')" t \
		"$db: a new voucher gets an id after every restored one"
	expect "$db" "INSERT INTO ledger.account (code, name, kind, currency) VALUES ('new', 'new', 'asset', 'CNY') RETURNING id
	               > $(grep '^sequence account_id_seq ' "$WORK/source.txt" | awk '{print $3}')" t \
		"$db: a new account gets an id after every restored one"
	expect "$db" "SELECT ledger.post('pay-1', ARRAY['w2', 'w3', '6021', '3001', '3001'],
	               ARRAY['11 CNY', '-10 CNY', '-1 CNY', '2 CNY', '-2 CNY']::ledger.amount[], 'payment 1', 'ORD1')
	               = (SELECT id FROM ledger.voucher WHERE idempotency_key = 'pay-1')" t \
		"$db: a restored key replays to its restored voucher"
	q "$db" -c "CALL ledger.close_day()" >"$WORK/$db.close.out" 2>&1 ||
		{ cat "$WORK/$db.close.out"; fail "$db: close_day failed on the restored books"; }
	expect "$db" "SELECT string_agg(status, ' ' ORDER BY book_date) FROM ledger.book_day" "closed closed closed closed open" \
		"$db: the next cutoff closed the restored open day"
	books_hold "$db"
}

# the custom format, with pg_restore in replica mode
psql -X -q -d postgres -c "CREATE DATABASE restored_custom" || fail "createdb failed"
PGOPTIONS='-c session_replication_role=replica' \
	pg_restore --exit-on-error --single-transaction -d restored_custom "$WORK/ledger.dump" >"$WORK/pg_restore.out" 2>&1 ||
	{ cat "$WORK/pg_restore.out"; fail "pg_restore in replica mode failed"; }
restored restored_custom

# plain SQL, with psql in replica mode
psql -X -q -d postgres -c "CREATE DATABASE restored_plain" || fail "createdb failed"
PGOPTIONS='-c session_replication_role=replica' \
	psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d restored_plain -f "$WORK/ledger.sql" >"$WORK/psql.out" 2>&1 ||
	{ cat "$WORK/psql.out"; fail "restoring the plain dump in replica mode failed"; }
restored restored_plain

# without replica mode the triggers refuse the history: the restore fails
# as a whole and leaves nothing behind
psql -X -q -d postgres -c "CREATE DATABASE restored_wrongly" || fail "createdb failed"
pg_restore --exit-on-error --single-transaction -d restored_wrongly "$WORK/ledger.dump" >"$WORK/pg_restore.wrong.out" 2>&1 &&
	fail "pg_restore without replica mode succeeded"
note "ok: without replica mode pg_restore fails: $(grep -m1 'ERROR' "$WORK/pg_restore.wrong.out")"
expect restored_wrongly "SELECT count(*) FROM pg_extension WHERE extname = 'ledger'" 0 "and leaves nothing behind"
