#!/usr/bin/env bash
# Cross-check against an independent implementation: a random multi-currency
# journal (ISO currencies and a CODE/N asset, a tree of summary accounts) is
# posted over four days, three of them closed; the same journal is exported
# in hledger's format, and for every day hledger's balances (at the end of the
# day) and changes (during the day), for every account at every depth, must
# equal what ledger.trial_balance() reports — from daily snapshots for the
# closed days and from live entries for the open one.
source "$(dirname "$0")/lib.bash"
command -v hledger >/dev/null || fail "hledger is not installed (Debian package hledger)"
DB=ledger_hledger
newdb $DB

q $DB <<'SQL' >/dev/null
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('1002', 'bank deposits', 'asset', NULL),
	('1122', 'receivables', 'asset', 'CNY'),
	('2241', 'wallets', 'liability', NULL),
	('6021', 'fee income', 'revenue', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency, parent_code, hot) VALUES
	('1002.01', 'CNY reserve', 'asset', 'CNY', '1002', true),
	('1002.02', 'USD reserve', 'asset', 'USD', '1002', false),
	('1002.03', 'JPY reserve', 'asset', 'JPY', '1002', false),
	('1002.04', 'USDT reserve', 'asset', 'USDT/6', '1002', false),
	('1122.01', 'WeChat Pay', 'asset', 'CNY', '1122', false),
	('1122.02', 'Alipay', 'asset', 'CNY', '1122', false);
INSERT INTO ledger.account (code, name, kind, currency, parent_code)
	SELECT '1122.02.' || i, 'Alipay store ' || i, 'asset', 'CNY', '1122.02' FROM generate_series(1, 3) i;
INSERT INTO ledger.account (code, name, kind, currency, parent_code)
	SELECT '2241.' || lpad(i::text, 3, '0'), 'wallet ' || i, 'liability',
	       (ARRAY['CNY', 'USD', 'JPY', 'USDT/6'])[1 + i % 4], '2241'
	  FROM generate_series(1, 12) i;

-- a random voucher: 2 to 5 lines on accounts of one currency, or two
-- currencies at once; amounts random, the last line of each currency balancing
CREATE FUNCTION public.random_voucher(k text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	curs text[] := CASE WHEN random() < 0.15 THEN ARRAY['CNY', 'USD'] ELSE
		ARRAY[(ARRAY['CNY', 'CNY', 'USD', 'JPY', 'USDT/6'])[1 + floor(random() * 5)::int]] END;
	c text;
	accs text[] := '{}';
	amts ledger.amount[] := '{}';
	n int;
	total bigint;
	u bigint;
	pick text;
	i int;
BEGIN
	FOREACH c IN ARRAY curs LOOP
		n := 2 + floor(random() * 4)::int;
		total := 0;
		FOR i IN 1 .. n LOOP
			SELECT l.code INTO pick FROM ledger._leaf l WHERE l.currency = c ORDER BY random() LIMIT 1;
			IF i < n THEN
				u := (floor(random() * 2000000) - 1000000)::bigint;
				IF u = 0 THEN u := 1; END IF;
				total := total + u;
			ELSE
				u := -total;
				IF u = 0 THEN   -- keep every line non-zero
					u := 7;
					amts[array_length(amts, 1)] := amts[array_length(amts, 1)] OPERATOR(ledger.-) ledger.amount_of_units(7, c);
				END IF;
			END IF;
			accs := accs || pick;
			amts := amts || ledger.amount_of_units(u, c);
		END LOOP;
	END LOOP;
	PERFORM ledger.post(k, accs, amts, 'random ' || k);
END $$;
SQL

for day in 1 2 3 4; do
	q $DB -c "SELECT setseed(0.$day)" -c "SELECT count(public.random_voucher('d$day-' || i)) FROM generate_series(1, 250) i" >/dev/null ||
		fail "posting the random journal of day $day failed"
	if [ $day -lt 4 ]; then
		q $DB -c "CALL ledger.close_day()" >/dev/null 2>&1 || fail "close_day of day $day failed"
	fi
done
expect $DB "SELECT string_agg(status, ',' ORDER BY book_date) FROM ledger.book_day" "closed,closed,closed,open" \
	"three closed days and an open one"
note "$(q $DB -c "SELECT count(*) || ' vouchers, ' || (SELECT count(*) FROM ledger.entry) || ' entries in ' ||
                    (SELECT count(DISTINCT ledger.currency(amount)) FROM ledger.entry) || ' currencies' FROM ledger.voucher")"

# the journal in hledger's format; accounts named by their path in the tree
q $DB > "$WORK/books.journal" <<'SQL'
WITH path AS (
	SELECT c.account_id, string_agg(a.code, ':' ORDER BY c.depth DESC) AS name
	  FROM ledger._account_closure c JOIN ledger.account a ON a.id = c.ancestor_id
	 GROUP BY c.account_id)
SELECT format(E'%s (V%s) %s\n%s\n', v.book_date, v.id, v.summary,
       string_agg(format('    %s  %s %s', p.name, ledger.amount_to_numeric(e.amount),
                  CASE WHEN ledger.currency(e.amount) ~ '^[A-Z]+$' THEN ledger.currency(e.amount)
                       ELSE '"' || ledger.currency(e.amount) || '"' END), E'\n' ORDER BY e.line_no))
  FROM ledger.voucher v JOIN ledger.entry e ON e.voucher_id = v.id JOIN path p ON p.account_id = e.account_id
 GROUP BY v.id ORDER BY v.id;
SQL
hledger -f "$WORK/books.journal" check >/dev/null 2>&1 || hledger -f "$WORK/books.journal" balance >/dev/null ||
	fail "hledger cannot read the exported journal"

# hledger's figures: for each day, and for two periods of several days (one
# of closed days only, one reaching the open day), balances at the start and
# the end and changes during it, at every depth of the tree (depth-limited
# reports sum the sub-accounts)
periods="2026-11-02:2026-11-02 2026-11-03:2026-11-03 2026-11-04:2026-11-04 2026-11-05:2026-11-05
2026-11-02:2026-11-04 2026-11-03:2026-11-05"
: > "$WORK/hledger.csv"
for p in $periods; do
	from=${p%:*} to=${p#*:}
	next=$(date -d "$to + 1 day" +%F)
	for depth in 1 2 3; do
		hledger -f "$WORK/books.journal" balance --flat --no-total -O csv --layout=bare --depth $depth \
			-H -e "$from" | tail -n +2 | sed "s/^/\"$p\",\"opening\",/" >> "$WORK/hledger.csv"
		hledger -f "$WORK/books.journal" balance --flat --no-total -O csv --layout=bare --depth $depth \
			-H -e "$next" | tail -n +2 | sed "s/^/\"$p\",\"closing\",/" >> "$WORK/hledger.csv"
		hledger -f "$WORK/books.journal" balance --flat --no-total -O csv --layout=bare --depth $depth \
			-b "$from" -e "$next" | tail -n +2 | sed "s/^/\"$p\",\"change\",/" >> "$WORK/hledger.csv"
	done
done
sort -u -o "$WORK/hledger.csv" "$WORK/hledger.csv"
note "$(wc -l < "$WORK/hledger.csv") figures from hledger"
[ "$(wc -l < "$WORK/hledger.csv")" -gt 100 ] || fail "hledger produced too few figures"

# ours: ledger.trial_balance() for each period, in the same shape
q $DB -c "CREATE TABLE hl (period text, what text, account text, commodity text, amount numeric)" >/dev/null
q $DB -c "\copy hl FROM '$WORK/hledger.csv' WITH (FORMAT csv)" >/dev/null || fail "could not load hledger's figures"
bad=$(q $DB <<'SQL'
WITH path AS (
	SELECT c.account_id, string_agg(a.code, ':' ORDER BY c.depth DESC) AS name
	  FROM ledger._account_closure c JOIN ledger.account a ON a.id = c.ancestor_id
	 GROUP BY c.account_id),
periods AS (SELECT DISTINCT period, split_part(period, ':', 1)::date AS f, split_part(period, ':', 2)::date AS t FROM hl),
ours AS (
	SELECT periods.period, x.what, p.name AS account, t.currency AS commodity, x.amount
	  FROM periods
	  CROSS JOIN LATERAL ledger.trial_balance(periods.f, periods.t) t
	  JOIN ledger.account a ON a.code = t.account_code
	  JOIN path p ON p.account_id = a.id
	  CROSS JOIN LATERAL (VALUES
		('opening', ledger.amount_to_numeric(t.opening_debit) - ledger.amount_to_numeric(t.opening_credit)),
		('closing', ledger.amount_to_numeric(t.closing_debit) - ledger.amount_to_numeric(t.closing_credit)),
		('change', ledger.amount_to_numeric(t.period_debit) - ledger.amount_to_numeric(t.period_credit))) x(what, amount)
	 WHERE x.amount <> 0),
theirs AS (SELECT period, what, account, commodity, amount FROM hl WHERE amount <> 0),
diff AS ((SELECT 'ledger only' AS side, * FROM ours EXCEPT SELECT 'ledger only', * FROM theirs)
         UNION ALL
         (SELECT 'hledger only', * FROM theirs EXCEPT SELECT 'hledger only', * FROM ours))
SELECT count(*) || coalesce(': ' || string_agg(format('%s %s %s %s %s %s', side, period, what, account, commodity, amount), '; '), '')
  FROM (SELECT * FROM diff ORDER BY 2, 3, 4, 5 LIMIT 10) x;
SQL
)
[ "$bad" = 0 ] || fail "ledger and hledger disagree: $bad"
note "ok: every opening, change and closing of every account, period and currency agrees with hledger"
expect $DB "SELECT count(*) FROM hl WHERE account !~ ':' AND what = 'closing'" \
	"$(q $DB -c "SELECT count(*) FROM hl WHERE account !~ ':' AND what = 'closing'")" "top-level accounts compared"
expect $DB "SELECT count(DISTINCT commodity) FROM hl" 4 "four currencies compared"
expect $DB "SELECT count(DISTINCT period) FROM hl WHERE what = 'opening'" 4 "openings of four periods compared (the two from the first day open at zero)"
for d in 2026-11-02 2026-11-03 2026-11-04; do
	expect $DB "SELECT count(*) FROM ledger.check_books('$d') WHERE NOT ok" 0 "checks of $d pass"
done
invariants $DB
