#!/usr/bin/env bash
# tools/readme_tour.sh — `make readme`: regenerate the output blocks of the
# README's tour ("A five-minute tour") from a real run of the demo's files.
#
#   bash tools/readme_tour.sh          rewrites README.md in place
#   bash tools/readme_tour.sh OUT      writes the regenerated README to OUT
#
# Every generated block in README.md is the fenced block right after a line
# "<!-- tour: NAME -->"; NAME is one of the blocks made below, in the order of
# the demo (examples/company.sql, examples/morning.sql, the cutoff, the trial
# balance, the checks, the reconciliation of examples/statements/).  A block
# shows each statement as written here, the NOTICEs and errors it printed,
# and its result (footers off; a long result abridged with "..." where
# `keep` says).  Nothing outside those blocks is touched.  Every marker must
# have a block and every block a marker.
#
# It starts a throwaway cluster under tmp_check/, unless LEDGER_TOUR_SERVER=1
# says that PGHOST/PGPORT already point to one with the extension installed
# (test/scripts/readme.sh, which compares the result with README.md).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/tools/pgenv.sh"
readme=$top/README.md
out=${1:-$readme}

if [ "${LEDGER_TOUR_SERVER:-0}" != 1 ]; then
	mkdir -p "$LEDGER_TMP"
	ledger_build
	LEDGER_PORT=${LEDGER_TOUR_PORT:-${LEDGER_PORT:-54329}} ledger_cluster_start tour >/dev/null
	trap 'ledger_cluster_stop tour' EXIT
fi
blocks=$(mktemp -d)
trap 'rm -rf "$blocks"; [ "${LEDGER_TOUR_SERVER:-0}" = 1 ] || ledger_cluster_stop tour' EXIT

DB=ledger_tour
PGOPTIONS='-c client_min_messages=warning' psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
run() { psql -X -q -v ON_ERROR_STOP=1 --pset=pager=off -d "$DB" "$@"; }

cur=
block() { cur=$blocks/$1; : >"$cur"; }
# stmt SQL [keep HEAD TAIL] : the statement as written, what it printed on
# stderr (NOTICEs, errors), a blank line and its result (the header and the
# first HEAD and last TAIL rows, with a line "..." between, when asked)
stmt() {
	local sql=$1 head=${3:-0} tail=${4:-0}
	[ -s "$cur" ] && echo >>"$cur"
	printf '%s\n' "$sql" >>"$cur"
	psql -X -q --pset=pager=off --pset=footer=off -v VERBOSITY=default -d "$DB" -c "$sql" \
		>"$blocks/.out" 2>"$blocks/.err" || true
	sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$blocks/.out"	# no blank lines at the end
	cat "$blocks/.err" >>"$cur"
	[ -s "$blocks/.out" ] || return 0
	echo >>"$cur"
	if [ "$head" -gt 0 ] && [ "$(wc -l <"$blocks/.out")" -gt $((2 + head + tail + 1)) ]; then
		head -n $((2 + head)) "$blocks/.out" >>"$cur"
		echo ' ...' >>"$cur"
		[ "$tail" -gt 0 ] && tail -n "$tail" "$blocks/.out" >>"$cur"
	else
		cat "$blocks/.out" >>"$cur"
	fi
	return 0
}

# ---- the demo, in its order ----
cd "$top/examples"
run -c "CREATE EXTENSION ledger" -f company.sql >/dev/null

block morning
run -v VERBOSITY=default -v ON_ERROR_STOP=0 -f morning.sql >>"$cur" 2>&1 || true

block holds
run -v VERBOSITY=default -v ON_ERROR_STOP=0 -f holds.sql >>"$cur" 2>&1 || true

block red
stmt "SELECT voucher_id, idempotency_key, line_no, account_code, debit, credit
  FROM ledger.journal WHERE idempotency_key IN ('PAY-0003', 'REFUND-0001') ORDER BY voucher_id, line_no;"

block balances
stmt "SELECT account_code, account_name, currency, balance FROM ledger.balances ORDER BY 1, 3;"

block assertions
stmt "INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES
	('reserve_coverage', '{2241}', '<=', '{1002.01,1122}', 'CNY'),
	('wechat_settled', '{1122.01}', '=', '{}', 'CNY');"
stmt "SELECT * FROM ledger.check_assertions();"

block close_day
stmt "CALL ledger.close_day();"

block close_day_again
stmt "UPDATE ledger.assertion SET blocking = false WHERE name = 'wechat_settled';"
stmt "CALL ledger.close_day('2026-11-02');"
stmt "UPDATE ledger.assertion SET blocking = true WHERE name = 'wechat_settled';"
stmt "SELECT book_date, status, encode(digest, 'hex') AS digest FROM ledger.book_day ORDER BY book_date;"

block trial_balance
stmt "SELECT account_code, account_name, currency, opening_debit, opening_credit,
       period_debit, period_credit, closing_debit, closing_credit
  FROM ledger.trial_balance('2026-11-02');" keep 4 3

block csv
stmt "\\copy (SELECT account_code, account_name, currency, opening_debit::numeric AS opening_debit, opening_credit::numeric AS opening_credit, period_debit::numeric AS period_debit, period_credit::numeric AS period_credit, closing_debit::numeric AS closing_debit, closing_credit::numeric AS closing_credit FROM ledger.trial_balance('2026-11-02')) TO STDOUT WITH (FORMAT csv, HEADER)" keep 4 2

block check_books
stmt "SELECT check_name, currency, ok, detail FROM ledger.check_books('2026-11-02');"

# the channels' bills of 2026-11-02, loaded as examples/reconcile.sql does;
# items missing from a bill become breaks at once (no grace day)
run >/dev/null <<'SQL'
SELECT ledger.stage_statement() \gset
\copy ledger_statement_stage (line) FROM 'statements/wechat_20261102.csv' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')
SELECT ledger.load_wechat_bill('wechat', '2026-11-02');
SELECT ledger.stage_statement() \gset
\copy ledger_statement_stage (line) FROM 'statements/alipay_20261102.csv' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e', ENCODING 'GBK')
SELECT ledger.load_alipay_bill('alipay', '2026-11-02');
SQL
run -c "ALTER DATABASE $DB SET ledger.recon_grace_days = 0" >/dev/null

block reconcile
stmt "CALL ledger.reconcile('wechat', '2026-11-02', '1122.01');"
stmt "CALL ledger.reconcile('alipay', '2026-11-02', '1122.02');"
stmt "SELECT id, source, class, ref, internal_amount, external_amount, difference
  FROM ledger.recon_break WHERE status = 'open' ORDER BY source, class;"

psql -X -q -d postgres -c "DROP DATABASE $DB" >/dev/null

# ---- the README with its blocks replaced ----
BLOCKS=$blocks perl -0777 -e '
	my $text = do { local $/; <STDIN> };
	opendir(my $d, $ENV{BLOCKS}) or die; my %left = map { $_ => 1 } grep { !/^\./ } readdir($d);
	$text =~ s{^(<!-- tour: (\w+) -->\n```)(\w*)\n.*?^```\n}{
		my ($head, $name, $lang) = ($1, $2, $3);
		open(my $f, "<", "$ENV{BLOCKS}/$name") or die "README: no block \"$name\" is made by tools/readme_tour.sh\n";
		my $b = do { local $/; <$f> }; delete $left{$name};
		$b =~ s/[ \t]+$//mg;
		"$head$lang\n$b```\n"
	}gmse;
	die "README: no marker <!-- tour: $_ --> for a block of tools/readme_tour.sh\n" for sort keys %left;
	print $text;' <"$readme" >"$blocks/.readme"
cp "$blocks/.readme" "$out"
