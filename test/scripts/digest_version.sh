#!/usr/bin/env bash
# Day digests across the update from 1.0: days sealed by 1.0 keep digest
# version 1 and verify with the formula that sealed them; a day left closing
# by 1.0 and every day closed after the update are sealed with version 2,
# which also covers the entries' book dates and red flags; the chain runs on
# across the versions.  The 1.0 functions work on the new library before the
# update (a blue reversal), red reversals of 1.0 vouchers work after it.
source "$(dirname "$0")/lib.bash"
db=ledger_digest_version
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null 2>&1 ||
	fail "could not create database $db"
q $db -c "CREATE EXTENSION ledger VERSION '1.0'" >/dev/null || fail "CREATE EXTENSION ledger VERSION '1.0' failed"

# version 1.0: a closed day, a reversal, and a day left closing by a failed check
q $db >/dev/null 2>&1 <<'SQL' || fail "could not write the 1.0 books"
SET client_min_messages = warning;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'bank', 'asset', 'CNY'), ('w1', 'wallet', 'liability', 'CNY'), ('w2', 'wallet', 'liability', 'CNY');
SELECT ledger.post('k1', ARRAY['bank', 'w1'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[]);
SELECT ledger.post('k2', ARRAY['w1', 'w2'], ARRAY['4 CNY', '-4 CNY']::ledger.amount[]);
SELECT ledger.reverse((SELECT id FROM ledger.voucher WHERE idempotency_key = 'k2'), 'k2-r');
CALL ledger.close_day();
SELECT ledger.post('k3', ARRAY['bank', 'w2'], ARRAY['5 CNY', '-5 CNY']::ledger.amount[]);
UPDATE ledger.account_balance SET units = units + 1 WHERE account_id = (SELECT id FROM ledger.account WHERE code = 'w2');
SQL
q $db -c "SET client_min_messages = warning" -c "CALL ledger.close_day()" >/dev/null 2>&1 &&
	fail "1.0: the cutoff of a broken day succeeded"
expect $db "SELECT string_agg(book_date || ' ' || status, ', ' ORDER BY book_date) FROM ledger.book_day" \
	"2026-11-02 closed, 2026-11-03 closing, 2026-11-04 open" "1.0: one day closed, one left closing"
expect $db "SELECT string_agg(CASE WHEN ledger.minor_units(amount) > 0 THEN 'debit' ELSE 'credit' END, ' ' ORDER BY line_no)
              FROM ledger.entry e JOIN ledger.voucher v ON v.id = e.voucher_id WHERE v.idempotency_key = 'k2-r'" \
	"credit debit" "1.0 on the new library: ledger.reverse writes a blue reversal"
sealed=$(q $db -c "SELECT encode(digest, 'hex') FROM ledger.book_day WHERE book_date = '2026-11-02'")

# a dump of the 1.0 books restored where CREATE EXTENSION gives 1.1: the day
# sealed by 1.0 comes back without a digest version, read as version 1
pg_dump -Fc -f "$WORK/v10.dump" $db 2>"$WORK/pg_dump.err" || { cat "$WORK/pg_dump.err"; fail "pg_dump of the 1.0 books failed"; }
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_restored WITH (FORCE)" -c "CREATE DATABASE ${db}_restored" >/dev/null 2>&1 ||
	fail "could not create database ${db}_restored"
PGOPTIONS='-c session_replication_role=replica' \
	pg_restore --exit-on-error --single-transaction -d ${db}_restored "$WORK/v10.dump" >"$WORK/pg_restore.out" 2>&1 ||
	{ cat "$WORK/pg_restore.out"; fail "restoring the 1.0 dump failed"; }
expect ${db}_restored "SELECT extversion FROM pg_extension WHERE extname = 'ledger'" 1.1 "the 1.0 dump restores into 1.1"
expect ${db}_restored "SELECT string_agg(book_date || ' ' || ok, ', ') FROM ledger.verify_books('2026-11-02', '2026-11-02')" \
	"2026-11-02 true" "the day sealed by 1.0 verifies in the restored 1.1 books"
psql -X -q -d postgres -c "DROP DATABASE ${db}_restored WITH (FORCE)" >/dev/null 2>&1

q $db -c "ALTER EXTENSION ledger UPDATE TO '1.1'" >/dev/null 2>&1 || fail "ALTER EXTENSION ledger UPDATE failed"
expect $db "SELECT string_agg(book_date || ' ' || digest_version, ', ' ORDER BY book_date) FROM ledger.book_day WHERE status = 'closed'" \
	"2026-11-02 1" "the day sealed by 1.0 has digest version 1 after the update"
expect $db "SELECT encode(digest, 'hex') FROM ledger.book_day WHERE book_date = '2026-11-02'" "$sealed" \
	"the update leaves the sealed digest as it was"
expect $db "SELECT ok FROM ledger.verify_books('2026-11-02', '2026-11-02')" t \
	"the day sealed by 1.0 verifies after the update"
expect $db "SELECT ok FROM ledger.check_books('2026-11-02') WHERE check_name = 'digest_matches'" t \
	"check_books: the 1.0 day's digest matches"

# the day left closing: fixed, then finished by 1.1 with version 2
q $db -c "UPDATE ledger.account_balance SET units = units - 1 WHERE account_id = (SELECT id FROM ledger.account WHERE code = 'w2')" >/dev/null ||
	fail "could not repair the balance"
q $db -c "SET client_min_messages = warning" -c "CALL ledger.close_day('2026-11-03')" >/dev/null || fail "finishing the day left closing failed"
# a red reversal of a 1.0 voucher, on a day closed after the update
q $db -c "SELECT ledger.reverse((SELECT id FROM ledger.voucher WHERE idempotency_key = 'k1'), 'k1-r')" >/dev/null ||
	fail "red reversal of a 1.0 voucher failed"
expect $db "SELECT string_agg(concat_ws(' ', debit, credit), ', ' ORDER BY line_no) FROM ledger.journal WHERE idempotency_key = 'k1-r'" \
	"-10.00 CNY, -10.00 CNY" "a red reversal of a 1.0 voucher: negative figures on the original sides"
q $db -c "SET client_min_messages = warning" -c "CALL ledger.close_day()" >/dev/null || fail "the cutoff after the update failed"
expect $db "SELECT string_agg(book_date || ' ' || digest_version, ', ' ORDER BY book_date) FROM ledger.book_day WHERE status = 'closed'" \
	"2026-11-02 1, 2026-11-03 2, 2026-11-04 2" "days sealed after the update have digest version 2"
expect $db "SELECT string_agg(book_date || ' ' || ok, ', ' ORDER BY book_date) FROM ledger.verify_books('-infinity', 'infinity') WHERE ok IS NOT NULL" \
	"2026-11-02 true, 2026-11-03 true, 2026-11-04 true" "the chain verifies across the versions"
expect $db "SELECT count(*) FROM ledger.check_books('2026-11-04') WHERE NOT ok" 0 "check_books passes on the new day"

# version 2 covers the entry's book date and red flag; version 1 its other columns
tamper() {	# tamper DAY SQL-UPDATE SQL-UNDO
	q $db -c "SET session_replication_role = replica" -c "$2" >/dev/null || fail "could not tamper: $2"
	got=$(q $db -c "SELECT ok FROM ledger.verify_books('$1', '$1')")
	q $db -c "SET session_replication_role = replica" -c "$3" >/dev/null || fail "could not undo: $3"
	[ "$got" = f ] || fail "verify_books did not see on $1: $2"
	note "ok: verify_books sees on $1: $2"
}
tamper 2026-11-04 \
	"UPDATE ledger.entry SET book_date = '2026-11-05' WHERE voucher_id = (SELECT id FROM ledger.voucher WHERE idempotency_key = 'k1-r') AND line_no = 1" \
	"UPDATE ledger.entry SET book_date = '2026-11-04' WHERE voucher_id = (SELECT id FROM ledger.voucher WHERE idempotency_key = 'k1-r') AND line_no = 1"
tamper 2026-11-04 \
	"UPDATE ledger.entry SET red = false WHERE voucher_id = (SELECT id FROM ledger.voucher WHERE idempotency_key = 'k1-r') AND line_no = 2" \
	"UPDATE ledger.entry SET red = true WHERE voucher_id = (SELECT id FROM ledger.voucher WHERE idempotency_key = 'k1-r') AND line_no = 2"
tamper 2026-11-02 \
	"UPDATE ledger.entry SET memo = 'forged' WHERE voucher_id = (SELECT id FROM ledger.voucher WHERE idempotency_key = 'k1') AND line_no = 1" \
	"UPDATE ledger.entry SET memo = NULL WHERE voucher_id = (SELECT id FROM ledger.voucher WHERE idempotency_key = 'k1') AND line_no = 1"
expect $db "SELECT count(*) FROM ledger.verify_books('-infinity', 'infinity') WHERE NOT ok" 0 "after undoing, every day verifies again"
books_hold $db

# a day 1.0 left closing after its snapshot and checks, just before the
# seal: after the update no step seals its version-1 digest (the update
# forgot it; the snapshot wants a wait first); the cutoff redoes the wait,
# snapshot and checks and seals with version 2.  Open and closing days have no
# digest version, as in a fresh install.
sdb=${db}_seal
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $sdb WITH (FORCE)" -c "CREATE DATABASE $sdb" >/dev/null 2>&1 ||
	fail "could not create database $sdb"
q $sdb -c "CREATE EXTENSION ledger VERSION '1.0'" >/dev/null || fail "CREATE EXTENSION ledger VERSION '1.0' failed"
q $sdb >/dev/null 2>&1 <<'SQL' || fail "could not write the 1.0 books of $sdb"
SET client_min_messages = warning;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'bank', 'asset', 'CNY'), ('w1', 'wallet', 'liability', 'CNY');
SELECT ledger.post('s1', ARRAY['bank', 'w1'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[]);
CALL ledger.close_day();
SELECT ledger.post('s2', ARRAY['bank', 'w1'], ARRAY['3 CNY', '-3 CNY']::ledger.amount[]);
SELECT ledger._close_switch(NULL);
SQL
q $sdb -c "SELECT ledger._close_wait('2026-11-03')" -c "SELECT ledger._close_snapshot('2026-11-03')" \
	-c "SELECT ledger._close_check('2026-11-03')" >/dev/null || fail "1.0: the steps before the seal failed"
expect $sdb "SELECT failed_checks = '{}' AND digest IS NOT NULL FROM ledger.day_close WHERE book_date = '2026-11-03'" t \
	"1.0: a day left closing with its checks passed and its digest computed"
q $sdb -c "ALTER EXTENSION ledger UPDATE TO '1.1'" >/dev/null 2>&1 || fail "$sdb: ALTER EXTENSION ledger UPDATE failed"
expect $sdb "SELECT string_agg(book_date || ' ' || status || ' ' || COALESCE(digest_version::text, '-'), ', ' ORDER BY book_date) FROM ledger.book_day" \
	"2026-11-02 closed 1, 2026-11-03 closing -, 2026-11-04 open -" "after the update only the closed day has a digest version"
expect $sdb "SELECT digest IS NULL AND snapshot_at IS NULL AND checked_at IS NULL FROM ledger.day_close WHERE book_date = '2026-11-03'" t \
	"the update forgets the 1.0 snapshot, checks and digest of the closing day"
q $sdb -c "SELECT ledger._close_seal('2026-11-03')" >"$WORK/seal.out" 2>&1 && fail "the seal of the day left closing by 1.0 ran without redoing its steps"
grep -q 'ERROR:  book day 2026-11-03 has not passed its checks' "$WORK/seal.out" ||
	{ cat "$WORK/seal.out"; fail "the seal's refusal does not say why"; }
note "ok: _close_seal refuses the day left closing by 1.0 until its steps are redone"
q $sdb -c "SELECT ledger._close_snapshot('2026-11-03')" >/dev/null 2>&1 && fail "the snapshot of the day left closing by 1.0 ran without a wait"
q $sdb -c "SET client_min_messages = warning" -c "CALL ledger.close_day('2026-11-03')" >/dev/null || fail "finishing the day left closing failed"
expect $sdb "SELECT string_agg(book_date || ' ' || status || ' ' || COALESCE(digest_version::text, '-'), ', ' ORDER BY book_date) FROM ledger.book_day" \
	"2026-11-02 closed 1, 2026-11-03 closed 2, 2026-11-04 open -" "the day left closing by 1.0 is sealed with version 2"
expect $sdb "SELECT string_agg(book_date || ' ' || ok, ', ' ORDER BY book_date) FROM ledger.verify_books('-infinity', 'infinity') WHERE ok IS NOT NULL" \
	"2026-11-02 true, 2026-11-03 true" "the day left closing by 1.0 verifies with its version-2 seal"
books_hold $sdb
psql -X -q -d postgres -c "DROP DATABASE $sdb WITH (FORCE)" >/dev/null 2>&1
