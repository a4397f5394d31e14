#!/usr/bin/env bash
# Upgrades keep the books row for row.  For every older version with an
# install script in sql/ (ledger--X.sql, X other than default_version):
# CREATE EXTENSION ledger VERSION 'X', books of every kind written with X's
# functions (a summary tree, a hot account, several currencies, bounds, a
# reversal, closed days, a day left closing by a failed check and finished,
# statements loaded, reconciled over two days with a pending item, breaks
# open and resolved), then ALTER EXTENSION ledger UPDATE.  Every row of
# every table X had, on the columns X had, every sequence X had, every balance
# (now and at the end of each day), the trial balance of every day and of
# the whole period, and every sealed digest must be what they were before.
# test/scripts/upgrade.sh compares the catalog; this compares the data.
source "$(dirname "$0")/lib.bash"
default=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$TOP/ledger.control")
[ -n "$default" ] || fail "no default_version in ledger.control"

old=$(for f in "$TOP"/sql/ledger--*.sql; do
	b=$(basename "$f" .sql); b=${b#ledger--}
	case $b in *--*) ;; "$default") ;; *) echo "$b" ;; esac
done | sort -u)
[ -n "$old" ] || { note "skipped: no version older than $default has an install script"; exit 0; }

# describe DB OBJECTS-FILE : the data, on the tables and columns and the
# sequences listed in OBJECTS-FILE ("table NAME col1,col2,...", "sequence
# NAME": the old version's)
describe() {
	local db=$1 objects=$2 kind t c
	while read -r kind t c; do
		case $kind in
			table) q "$db" -c "SELECT 'row $t ' || ROW($c)::text FROM ledger.$t ORDER BY 1" ;;
			sequence) q "$db" -c "SELECT 'sequence $t ' || COALESCE(last_value::text, '') FROM pg_sequences
			                      WHERE schemaname = 'ledger' AND sequencename = '$t'" ;;
		esac || return 1
	done <"$objects"
	q "$db" <<'SQL'
SELECT 'balance ' || a.code || ' ' || COALESCE(ledger.balance(a.code)::text, 'none') FROM ledger.account a
 WHERE a.currency IS NOT NULL ORDER BY a.code;
SELECT 'balance ' || a.code || ' ' || d.book_date || ' ' || COALESCE(ledger.balance(a.code, d.book_date)::text, 'none')
  FROM ledger.account a, ledger.book_day d WHERE a.currency IS NOT NULL ORDER BY a.code, d.book_date;
SELECT 'balances ' || concat_ws(' ', b.account_code, b.currency, b.balance) FROM ledger.balances b ORDER BY 1;
SELECT 'trial ' || d.book_date || ' ' || concat_ws(' ', t.account_code, t.currency, t.opening_debit, t.opening_credit,
       t.period_debit, t.period_credit, t.closing_debit, t.closing_credit)
  FROM ledger.book_day d, ledger.trial_balance(d.book_date) t ORDER BY d.book_date, t.account_code NULLS LAST, t.currency;
SELECT 'trial all ' || concat_ws(' ', t.account_code, t.currency, t.opening_debit, t.opening_credit,
       t.period_debit, t.period_credit, t.closing_debit, t.closing_credit)
  FROM ledger.trial_balance((SELECT min(book_date) FROM ledger.book_day), ledger.current_book_date()) t
 ORDER BY t.account_code NULLS LAST, t.currency;
SELECT 'day ' || d.book_date || ' ' || d.status || ' ' || COALESCE(encode(d.digest, 'hex'), '') FROM ledger.book_day d ORDER BY 1;
SELECT 'verify ' || v.book_date || ' ' || COALESCE(v.ok::text, '') FROM ledger.verify_books('-infinity', 'infinity') v ORDER BY 1;
SQL
}

for v in $old; do
	db=ledger_upgrade_rows_${v//[^0-9a-zA-Z]/_}
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null 2>&1 ||
		fail "could not create database $db"
	q $db -c "CREATE EXTENSION ledger VERSION '$v'" >/dev/null || fail "CREATE EXTENSION ledger VERSION '$v' failed"
	q $db >"$WORK/$db.books.out" 2>&1 <<'SQL' || { cat "$WORK/$db.books.out"; fail "$db: could not write the books in version $v"; }
SET client_min_messages = warning;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES
	('1002', 'bank deposits', 'asset', NULL, false),
	('2241', 'customer wallets', 'liability', NULL, false),
	('6021', 'fee income', 'revenue', 'CNY', true);
INSERT INTO ledger.account (code, name, kind, currency, parent_code, floor, ceiling) VALUES
	('1002.01', 'reserve CNY', 'asset', 'CNY', '1002', NULL, NULL),
	('1002.02', 'reserve USD', 'asset', 'USD', '1002', NULL, NULL),
	('2241.01', 'wallet A', 'liability', 'CNY', '2241', '0 CNY', NULL),
	('2241.02', 'wallet B', 'liability', 'CNY', '2241', '0 CNY', '10000 CNY'),
	('2241.03', 'wallet C', 'liability', 'USD', '2241', '0 USD', NULL),
	('1122', 'channel clearing', 'asset', 'CNY', NULL, NULL, NULL);
-- day 1: top-ups through the channel, payments with a fee, a reversal, USD
SELECT ledger.post('t1', ARRAY['1122', '2241.01'], ARRAY['100.00 CNY', '-100.00 CNY']::ledger.amount[], 'top-up', 'R1');
SELECT ledger.post('t2', ARRAY['1122', '2241.02'], ARRAY['50.00 CNY', '-50.00 CNY']::ledger.amount[], 'top-up', 'R2',
	'{"channel": "wechat"}');
SELECT ledger.post('t3', ARRAY['1122', '2241.01'], ARRAY['20.00 CNY', '-20.00 CNY']::ledger.amount[], 'top-up', 'R3');
SELECT ledger.post('p1', ARRAY['2241.01', '2241.02', '6021'], ARRAY['30.00 CNY', '-29.70 CNY', '-0.30 CNY']::ledger.amount[], 'payment');
SELECT ledger.reverse((SELECT id FROM ledger.voucher WHERE idempotency_key = 'p1'), 'p1-r', 'refund');
SELECT ledger.post('u1', ARRAY['1002.02', '2241.03'], ARRAY['500.00 USD', '-500.00 USD']::ledger.amount[], 'USD in');
CALL ledger.close_day();
-- day 2: the channel settles into the bank; the statement of day 1 arrives
SELECT ledger.post('s1', ARRAY['1002.01', '1122'], ARRAY['150.00 CNY', '-150.00 CNY']::ledger.amount[], 'settlement');
SELECT ledger.post('p2', ARRAY['2241.02', '2241.01', '6021'], ARRAY['10.00 CNY', '-9.90 CNY', '-0.10 CNY']::ledger.amount[], 'payment');
SELECT ledger.load_statement_csv('psp', '2026-11-02', E'ref,external_id,amount\nR1,PSP-1,100.00\nR2,PSP-2,49.00\nR9,PSP-9,7.00\n');
SQL
	# since 1.1 only accounts marked reconcilable are reconciled (the update
	# marks those reconciled before it): mark the clearing account if the
	# version has the column
	q $db >/dev/null 2>&1 <<'SQL' || fail "$db: could not mark the clearing account"
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'ledger.account'::regclass AND attname = 'reconcilable') THEN
		EXECUTE format('UPDATE ledger.account SET reconcilable = true WHERE code = %L', '1122');
	END IF;
END $$;
SQL
	q $db >>"$WORK/$db.books.out" 2>&1 <<'SQL' || { cat "$WORK/$db.books.out"; fail "$db: could not reconcile in version $v"; }
SET client_min_messages = warning;
CALL ledger.reconcile('psp', '2026-11-02', '1122');
SELECT ledger.resolve_break((SELECT id FROM ledger.recon_break WHERE ref = 'R9'), 'not ours, returned to the channel');
SQL
	# day 2 left closing by a failed check, then repaired and finished
	q $db -c "UPDATE ledger.account_balance SET units = units + 1 WHERE account_id = (SELECT id FROM ledger.account WHERE code = '2241.02')" \
		>/dev/null || fail "$db: could not break a balance"
	q $db -c "SET client_min_messages = warning" -c "CALL ledger.close_day()" >/dev/null 2>&1 &&
		fail "$db: the cutoff of a broken day succeeded"
	q $db -c "UPDATE ledger.account_balance SET units = units - 1 WHERE account_id = (SELECT id FROM ledger.account WHERE code = '2241.02')" \
		>/dev/null || fail "$db: could not repair the balance"
	q $db >>"$WORK/$db.books.out" 2>&1 <<'SQL' || { cat "$WORK/$db.books.out"; fail "$db: could not finish the days in version $v"; }
SET client_min_messages = warning;
CALL ledger.close_day('2026-11-03');
-- day 3: the statement of day 2, a pending item, a posting on the open day
SELECT ledger.post('t4', ARRAY['1122', '2241.01'], ARRAY['5.00 CNY', '-5.00 CNY']::ledger.amount[], 'top-up', 'R4');
SELECT ledger.load_statement_csv('psp', '2026-11-03', E'ref,external_id,amount\nR3,PSP-3,20.00\n');
CALL ledger.reconcile('psp', '2026-11-03', '1122');
SQL
	expect $db "SELECT string_agg(book_date || ' ' || status, ', ' ORDER BY book_date) FROM ledger.book_day" \
		"2026-11-02 closed, 2026-11-03 closed, 2026-11-04 open" "$db: version $v wrote two closed days and an open one"
	expect $db "SELECT string_agg(class || ' ' || ref || ' ' || status, ', ' ORDER BY ref) FROM ledger.recon_break" \
		"amount_mismatch R2 open, missing_internal R9 resolved" "$db: version $v reconciled with a break open and one resolved"

	# the tables and columns of the old version, and its data on them
	q $db -c "SELECT 'table ' || c.relname || ' ' || string_agg(quote_ident(a.attname), ',' ORDER BY a.attnum)
	            FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	           WHERE c.relnamespace = 'ledger'::regnamespace AND c.relkind IN ('r', 'p')
	           GROUP BY c.relname ORDER BY c.relname" \
	      -c "SELECT 'sequence ' || sequencename FROM pg_sequences WHERE schemaname = 'ledger' ORDER BY 1" \
		>"$WORK/$db.columns" || fail "$db: could not list the tables and sequences"
	[ "$(grep -c '^table ' "$WORK/$db.columns")" -ge 10 ] || fail "$db: only $(grep -c '^table ' "$WORK/$db.columns") tables in version $v"
	describe $db "$WORK/$db.columns" >"$WORK/$db.before" || fail "$db: could not describe the books before the update"
	for t in account account_balance book_day voucher entry daily_balance day_close book_check statement_line recon_run recon_break; do
		grep -q "^row $t " "$WORK/$db.before" || fail "$db: version $v wrote no row in table $t"
	done

	q $db -c "ALTER EXTENSION ledger UPDATE" >"$WORK/$db.update.out" 2>&1 ||
		{ cat "$WORK/$db.update.out"; fail "ALTER EXTENSION ledger UPDATE from $v failed"; }
	expect $db "SELECT extversion FROM pg_extension WHERE extname = 'ledger'" "$default" "$v updates to $default"
	describe $db "$WORK/$db.columns" >"$WORK/$db.after" || fail "$db: could not describe the books after the update"
	diff -u "$WORK/$db.before" "$WORK/$db.after" >"$WORK/$db.diff" ||
		{ head -n 60 "$WORK/$db.diff"; fail "$db: the update from $v changed the books (see $WORK/$db.diff)"; }
	note "ok: $v updated to $default: every row on $v's columns, sequence, balance, trial balance line and digest is what it was ($(wc -l <"$WORK/$db.before") lines)"
	# the account history reads entries written before the update (they lack
	# the columns added since, such as red): every entry, and after each day
	# the balance of that day's end
	expect $db "SELECT count(*) FROM ledger.account a
	             CROSS JOIN LATERAL ledger.account_history(a.code, '2026-11-02') h
	            WHERE a.currency IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = a.code)" \
		"$(q $db -c "SELECT count(*) FROM ledger.entry")" "$db: the account history lists every entry written in $v"
	expect $db "SELECT count(*) FROM ledger.account a
	             CROSS JOIN LATERAL ledger.account_history(a.code, '2026-11-02') h
	            WHERE a.currency IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = a.code)
	              AND ((h.debit IS NULL) = (h.credit IS NULL) OR ledger.minor_units(coalesce(h.debit, h.credit)) <= 0)" \
		0 "$db: each entry written in $v stands on one side as a positive figure (none is red)"
	expect $db "SELECT count(*) FROM ledger.account a
	             CROSS JOIN LATERAL (SELECT DISTINCT ON (h.book_date) h.book_date, h.balance
	                                   FROM ledger.account_history(a.code, '2026-11-02') h
	                                  ORDER BY h.book_date, h.voucher_id DESC, h.line_no DESC) last
	            WHERE a.currency IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = a.code)
	              AND last.book_date < ledger.current_book_date()
	              AND last.balance::text IS DISTINCT FROM ledger.balance(a.code, last.book_date)::text" \
		0 "$db: after the entries of $v of each closed day the account history shows that day's closing balance"
	books_hold $db
	psql -X -q -d postgres -c "DROP DATABASE $db WITH (FORCE)" >/dev/null 2>&1
done
