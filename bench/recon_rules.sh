#!/usr/bin/env bash
# bench/recon_rules.sh — ledger.reconcile with a matching rule (SPEC 9.2)
# against the key-only run of the same books and statement.
#
#   key only   CALL ledger.reconcile with no ledger.recon_rule for the source:
#              every item matched by ref, exactly (the baseline)
#   rule       the same CALL with a rule that uses a tolerance, a match window
#              and groups: key matching within the tolerance, groups summed
#              against their one line, then the key-less pairing by amount and
#              time (C, sort and binary search) and the candidates of every
#              break
#
# N vouchers on a clearing account and about N statement lines, by g % 100:
#   0-93  same ref, same amount                     (matched either way)
#   94    same ref, the line 0.01 more              (matched within the tolerance)
#   95    the line has the bank's ref, not ours,    (paired by the window)
#         2 minutes after the voucher
#   96-97 vouchers of a batch of ten, one line per  (a group)
#         batch with the batch's id and sum
#   98    no line                                   (missing_external)
#   99    a line only, a day off                    (missing_internal)
# Vouchers are 80 ms apart; an amount comes back every 50,000 vouchers (over an
# hour later), so no pair is ambiguous.  The two runs alternate for several
# rounds (each a re-run of the same date, replacing the other's results); the
# figures of both are checked before the medians are compared.
#
# Needs a running cluster where the extension can be created (PGHOST, PGPORT,
# PGUSER as for psql).  Usage: bench/recon_rules.sh [--quick] [--n N] [--rounds N]
#   --quick   100,000 vouchers instead of 1,000,000
# The last line is "RATIO <rule / key only> <key-only ms> <rule ms>".
set -euo pipefail

n=1000000
rounds=3
while [ $# -gt 0 ]; do
	case $1 in
		--quick) n=100000 ;;
		--n) n=$2; shift ;;
		--rounds) rounds=$2; shift ;;
		*) echo "usage: $0 [--quick] [--n N] [--rounds N]" >&2; exit 2 ;;
	esac
	shift
done

db=${BENCH_DB:-ledger_bench_recon_rules}
work_mem=${BENCH_WORK_MEM:-64MB}
q() { psql -X -q -v ON_ERROR_STOP=1 --pset=pager=off -d "$db" "$@"; }
now_ms() { date +%s%3N; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== reconcile with a rule (tolerance, window, groups) vs by key only: $n vouchers, $rounds rounds"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
q -c "CREATE EXTENSION ledger"

t0=$(now_ms)
q <<SQL
SET search_path = public, ledger;
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('R1122', 'Bench channel receivable', 'asset', 'CNY'),
	('R2241', 'Bench wallets', 'liability', 'CNY');
BEGIN;
CREATE TEMP TABLE v AS
SELECT nextval('ledger.voucher_id_seq') AS id, g, 'R' || g AS ref,
       ledger.amount_of_units(100 + g % 50000, 'CNY') AS amount,
       timestamptz '2026-11-01 00:00:00+00' + g * interval '80 milliseconds' AS created_at,
       CASE WHEN g % 100 IN (96, 97) THEN jsonb_build_object('batch', 'BATCH-' || g / 500) END AS metadata
  FROM generate_series(1, $n) g
 WHERE g % 100 <> 99;
INSERT INTO ledger.voucher (id, idempotency_key, ref, summary, created_at, metadata)
	SELECT id, 'bench-' || id, ref, 'bench payment', created_at, metadata FROM v;
INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount)
	SELECT v.id, 1, (SELECT id FROM ledger.account WHERE code = 'R1122'), v.amount FROM v
	UNION ALL
	SELECT v.id, 2, (SELECT id FROM ledger.account WHERE code = 'R2241'), -v.amount FROM v;
COMMIT;
INSERT INTO ledger.statement_line (source, statement_date, ref, external_id, amount, occurred_at)
SELECT 'rulepay', ledger.current_book_date(),
       CASE WHEN g % 100 = 95 THEN 'BANK' || g ELSE 'R' || g END,
       'X' || g,
       ledger.amount_of_units(100 + g % 50000 + CASE WHEN g % 100 = 94 THEN 1 ELSE 0 END, 'CNY'),
       timestamptz '2026-11-01 00:00:00+00' + g * interval '80 milliseconds'
         + CASE WHEN g % 100 = 95 THEN interval '2 minutes' WHEN g % 100 = 99 THEN interval '1 day' ELSE interval '1 second' END
  FROM generate_series(1, $n) g
 WHERE g % 100 NOT IN (96, 97, 98)
UNION ALL
SELECT 'rulepay', ledger.current_book_date(), 'BATCH-' || g / 500, 'XB' || g / 500,
       ledger.sum(ledger.amount_of_units(100 + g % 50000, 'CNY')),
       max(timestamptz '2026-11-01 00:00:00+00' + g * interval '80 milliseconds')
  FROM generate_series(1, $n) g
 WHERE g % 100 IN (96, 97)
 GROUP BY g / 500;
VACUUM ANALYZE ledger.voucher;
VACUUM ANALYZE ledger.entry;
VACUUM ANALYZE ledger.statement_line;
SQL
lines=$(q -At -c "SELECT count(*) FROM ledger.statement_line")
echo "posted $(q -At -c "SELECT count(*) FROM ledger.voucher") vouchers and loaded $lines statement lines in $(( $(now_ms) - t0 )) ms"

settings="SET work_mem = '$work_mem'; SET client_min_messages = warning; SET ledger.recon_grace_days = 0;"
rule="INSERT INTO ledger.recon_rule (source, tolerance, match_window, group_key) VALUES ('rulepay', '0.02 CNY', '10 minutes', 'batch')"
norule="DELETE FROM ledger.recon_rule WHERE source = 'rulepay'"
call="CALL ledger.reconcile('rulepay', ledger.current_book_date(), 'R1122')"
figures="SELECT matched_count, missing_internal_count, missing_external_count, amount_mismatch_count, duplicate_count,
	(SELECT count(*) FROM ledger.recon_break WHERE source = 'rulepay'),
	(SELECT count(*) FILTER (WHERE method = 'tolerance') || '/' || count(*) FILTER (WHERE method = 'window') || '/' || count(*) FILTER (WHERE method = 'group')
	   FROM ledger.recon_match WHERE source = 'rulepay')
	FROM ledger.recon_run WHERE source = 'rulepay'"

# what each run must find (per 100 vouchers: 94 + 1 by key, 1 by window, 2 in
# groups, 1 missing on each side)
expect_key=$(q -At <<SQL
SELECT count(*) FILTER (WHERE g % 100 < 94) || '|'
    || count(*) FILTER (WHERE g % 100 IN (95, 99)) + count(DISTINCT g / 500) FILTER (WHERE g % 100 IN (96, 97)) || '|'
    || count(*) FILTER (WHERE g % 100 IN (95, 96, 97, 98)) || '|'
    || count(*) FILTER (WHERE g % 100 = 94) || '|0'
  FROM generate_series(1, $n) g
SQL
)
expect_rule=$(q -At <<SQL
SELECT count(*) FILTER (WHERE g % 100 < 96) + count(DISTINCT g / 500) FILTER (WHERE g % 100 IN (96, 97)) || '|'
    || count(*) FILTER (WHERE g % 100 = 99) || '|'
    || count(*) FILTER (WHERE g % 100 = 98) || '|0|0'
  FROM generate_series(1, $n) g
SQL
)

key_ms=() rule_ms=()
for r in $(seq 1 "$rounds"); do
	q -c "$norule"
	t=$(now_ms); q -c "$settings" -c "$call"; key_ms+=("$(( $(now_ms) - t ))")
	got=$(q -At -c "$figures" | cut -d'|' -f1-5)
	[ "$got" = "$expect_key" ] || { echo "key-only run found $got, expected $expect_key" >&2; exit 1; }
	q -c "$rule"
	t=$(now_ms); q -c "$settings" -c "$call"; rule_ms+=("$(( $(now_ms) - t ))")
	got=$(q -At -c "$figures" | cut -d'|' -f1-5)
	[ "$got" = "$expect_rule" ] || { echo "run with the rule found $got, expected $expect_rule" >&2; exit 1; }
	echo "round $r: key only ${key_ms[-1]} ms, rule ${rule_ms[-1]} ms"
done
echo "key only: matched|missing_internal|missing_external|amount_mismatch|duplicate = $expect_key"
echo "rule:     matched|missing_internal|missing_external|amount_mismatch|duplicate|breaks|tolerance/window/group matches = $(q -At -c "$figures")"
k=$(median "${key_ms[@]}")
w=$(median "${rule_ms[@]}")
ratio=$(awk -v a="$w" -v b="$k" 'BEGIN { printf "%.2f", a / b }')
echo
echo "reconcile of $n vouchers against $lines lines, median of $rounds rounds:"
echo "  by key only (no rule)                   $k ms"
echo "  rule: tolerance + window + groups       $w ms   ($ratio x the key-only run; target <= 3)"
[ "${BENCH_KEEP:-0}" = 1 ] || psql -X -q -d postgres -c "DROP DATABASE $db"
echo "RATIO $ratio $k $w"
