#!/usr/bin/env bash
# `make demo` on one machine works, and its balance assertions are the
# README's: the files of examples/ run in the order examples/demo.sh runs
# them, each to its end (they stop on any error they do not expect); the two
# assertions a payment company lives by (备付金 coverage, the WeChat Pay
# clearing account at zero) stop the first cutoff, the operator's steps of
# examples/dayend.sql close the day with the failure on record; and the
# statements the README's tour shows for them (tools/readme_tour.sh runs
# its own copy) are those of examples/assertions.sql and examples/dayend.sql.
# (The end of the demo, examples/router_demo.sh, is what
# test/scripts/router.sh tests.)
source "$(dirname "$0")/lib.bash"
db=ledger_demo_files
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null 2>&1 ||
	fail "could not create database $db"
cd "$TOP/examples" || fail "no examples/"
run() { psql -X -q -v ON_ERROR_STOP=1 --pset=pager=off -d $db "$@" 2>&1; }
run -c "CREATE EXTENSION ledger" -f company.sql >"$WORK/company.out" || { cat "$WORK/company.out"; fail "examples/company.sql failed"; }
for f in morning holds assertions dayend reconcile; do
	run -v VERBOSITY=default -f $f.sql >"$WORK/$f.out" || { tail -n 30 "$WORK/$f.out"; fail "examples/$f.sql failed as make demo runs it"; }
done
note "ok: examples/company, morning, holds, assertions, dayend and reconcile.sql run to their end as make demo runs them"

expect $db "SELECT string_agg(name || ' ' || relation || ' ' || blocking, ', ' ORDER BY name) FROM ledger.assertion" \
	"reserve_coverage <= true, wechat_settled = true" "the demo defines the two assertions, both blocking"
grep -q 'ERROR:  book day 2026-11-02 failed its day-end checks: assertion:wechat_settled' "$WORK/dayend.out" ||
	{ cat "$WORK/dayend.out"; fail "the demo's first cutoff was not stopped by assertion:wechat_settled"; }
note "ok: the WeChat Pay clearing assertion stops the demo's first cutoff"
expect $db "SELECT string_agg(check_name || ' ' || ok, ', ') FROM ledger.book_check WHERE book_date = '2026-11-02' AND check_name LIKE 'assertion:%'" \
	"assertion:reserve_coverage true, assertion:wechat_settled false" "the operator's steps close the day with the failure on record"
expect $db "SELECT string_agg(book_date || ' ' || status, ', ' ORDER BY book_date) FROM ledger.book_day WHERE book_date = '2026-11-02'" \
	"2026-11-02 closed" "the demo's day is closed"
invariants $db	# (check_books fails on purpose: the WeChat Pay assertion is blocking again)

# the statements of the tour (the assertions, the cutoff and the operator's steps) are the demo's
norm() { tr -s ' \t\n' '   ' | sed -e 's/ *; */;/g' -e 's/^ //' -e 's/ $//'; }
tour_sql() {	# NAME : the statements of the README's tour block NAME (the lines up to each ';')
	B=$1 perl -0777 -ne '
		/^<!-- tour: \Q$ENV{B}\E -->\n```\w*\n(.*?)^```/ms or die "README: no tour block $ENV{B}\n";
		my $b = $1; print "$1\n" while $b =~ /^((?:INSERT|UPDATE|CALL)\b.*?;)$/msg' "$TOP/README.md"
}
n=0
for pair in assertions:assertions close_day_again:dayend close_day:dayend; do
	block=${pair%%:*} file=${pair##*:}
	stmts=$(tour_sql $block) || fail "README: no tour block $block"
	[ -n "$stmts" ] || fail "README: the tour block $block shows no statement"
	have=$(grep -v '^\s*--' "$file.sql" | norm)
	while IFS= read -r -d ';' s; do
		s=$(printf '%s' "$s" | norm)
		[ -n "$s" ] || continue
		n=$((n + 1))
		[[ $have == *"$s;"* ]] || fail "the README's tour ($block) shows \"$s;\", which examples/$file.sql does not run"
	done < <(printf '%s' "$stmts")
done
[ $n -ge 5 ] || fail "found only $n statements in the README's tour blocks of the assertions and the cutoff"
note "ok: the $n statements the README's tour shows for the assertions and the cutoff are those of examples/assertions.sql and dayend.sql"
psql -X -q -d postgres -c "DROP DATABASE $db WITH (FORCE)" >/dev/null 2>&1
