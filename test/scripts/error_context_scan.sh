#!/usr/bin/env bash
# error_context_scan.sh — no error the ledger raises in the regression suite
# carries CONTEXT lines that name the ledger's internals.
#
# The pg_regress tests mostly run with psql's SHOW_CONTEXT = never (their
# expected outputs stay readable), so a CONTEXT line that a user would see
# under psql's default (errors) goes unnoticed there; sql/error_context.sql
# checks a list of calls.  This script runs the whole pg_regress suite again
# with SHOW_CONTEXT = always and fails on every ERROR whose CONTEXT names the
# ledger (a function ledger.xxx, or the SQL of one), listing each with its
# test and statement.  The differences from the expected outputs (the CONTEXT
# lines of notices and warnings) do not matter here.
#
# One error is PostgreSQL's own, in a case the ledger refuses before it can
# happen: a rule on ledger.voucher that got in while the ledger_no_rules event
# trigger was disabled (sql/holds_review.sql) makes PostgreSQL refuse the
# INSERT ... RETURNING of post_hold, with its own message and context.
source "$(dirname "$0")/lib.bash"
source "$TOP/tools/pgenv.sh"

pgxs=$(cd "$(dirname "$("$(ledger_pg_config)" --pgxs)")/../.." && pwd)
bindir=$("$(ledger_pg_config)" --bindir)
in="$WORK/in" out="$WORK/out"
mkdir -p "$in/sql" "$in/expected" "$out"
for f in "$TOP"/sql/*.sql; do
	{ echo '\set SHOW_CONTEXT always'; sed 's/SHOW_CONTEXT \(never\|errors\)/SHOW_CONTEXT always/'; } <"$f" >"$in/sql/$(basename "$f")"
done
cp "$TOP"/expected/*.out "$in/expected/"
[ "$(id -u)" -eq 0 ] && chmod -R a+rwX "$WORK"
tests=$(make -s -C "$TOP" regress-list)
"$pgxs/src/test/regress/pg_regress" --inputdir="$in" --outputdir="$out" --bindir="$bindir" \
	--host="$PGHOST" --port="$PGPORT" --user=postgres --dbname=ledger_regress_context \
	--load-extension=ledger $tests >"$out/stdout.log" 2>&1
n=$(ls "$out"/results/*.out 2>/dev/null | wc -l)
[ "$n" -eq "$(echo $tests | wc -w)" ] || { cat "$out/stdout.log"; fail "pg_regress ran $n of the $(echo $tests | wc -w) tests"; }
note "ok: the $n pg_regress tests ran with SHOW_CONTEXT = always"

# every ERROR whose CONTEXT (the CONTEXT line and its continuation lines)
# names the ledger: test, line, the statement, the error and the context
found=$(perl -ne '
	BEGIN { $stmt = ""; }
	if (/^(ERROR|WARNING|NOTICE|INFO|LOG|DEBUG\d?):  /) { $sev = $1; $msg = $_; $inctx = 0; next; }
	if (/^CONTEXT:  /) { $inctx = 1; $ctx = $_; }
	elsif ($inctx && /^(PL\/pgSQL function|SQL statement|SQL function|PL\/pgSQL|\s)/) { $ctx .= $_; }
	else {
		if ($inctx) { report(); }
		$inctx = 0;
		$stmt = $_ if /^[A-Za-z(\\]/ && !/^(DETAIL|HINT|QUERY|LINE \d+):/;
		next;
	}
	sub report {
		return unless $sev eq "ERROR" && $ctx =~ /\bledger\./;
		return if $msg =~ /cannot perform INSERT RETURNING on relation "voucher"/;
		my $t = $ARGV; $t =~ s{.*/}{};
		print "$t: $stmt  $msg  $ctx";
		$sev = "";
	}
	END { report() if $inctx; }
' "$out"/results/*.out)
[ -z "$found" ] && note "ok: no error of the ledger carries CONTEXT lines naming its internals" ||
	fail "errors with CONTEXT lines naming the ledger's internals:
$found"
exit 0
