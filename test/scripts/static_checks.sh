#!/usr/bin/env bash
# Checks of the source that need no server:
#
#  1. No SQL built from strings.  PL/pgSQL in the install and upgrade scripts
#     runs no dynamic EXECUTE, unless through format() with %I and %L only;
#     the C code hands SPI string literals only (values go in as parameters).
#  2. the README and sql/privileges.sql grant the same: every GRANT of
#     the document appears, word for word, in the regression test (whose role
#     names carry a regress_ prefix), and every GRANT the test makes to a role
#     of the document appears in the document (the test's own role
#     regress_ledger_fresh, given USAGE and, for a while, EXECUTE on the
#     account history as a customer-service role would be, is not one).
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
status=0
fail() { echo "FAIL: $*" >&2; status=1; }
note() { echo "  $*"; }

# 1a. dynamic EXECUTE in PL/pgSQL.  Strip comments and the EXECUTE of
#     CREATE TRIGGER ... EXECUTE FUNCTION and of GRANT/REVOKE EXECUTE ON.
bad=$(perl -0777 -ne '
	s/--[^\n]*//g; s{/\*.*?\*/}{}gs;
	while (/\bEXECUTE\b(?!\s+(?:FUNCTION|PROCEDURE|ON)\b)([^;]*);/gis) {
		my $stmt = $1;
		next if $stmt =~ /^\s*pg_catalog\.format\s*\(\s*\x27[^\x27]*\x27/s
			&& $stmt !~ /%s/ && $stmt =~ /%[IL]/;
		print "$ARGV: EXECUTE$stmt\n";
	}' "$top"/sql/ledger--*.sql "$top"/sql/areas/*.sql)
[ -z "$bad" ] && note "ok: no dynamic SQL built from strings in the install and upgrade scripts" ||
	fail "dynamic SQL that does not quote through format(%I, %L): $bad"

# 1b. SPI calls in C take a string literal as their query
bad=$(perl -0777 -ne '
	s{/\*.*?\*/}{}gs;
	while (/\b(SPI_(?:execute|execute_with_args|prepare|prepare_params|prepare_cursor|cursor_open_with_args|exec))\s*\(\s*([^,]*)/g) {
		my ($fn, $arg) = ($1, $2);
		next if $arg =~ /^"/;
		next if $fn eq "SPI_prepare" && $arg eq "sql";	# ledger_prepare_kept(const char *sql, ...) in catalog.c
		print "$ARGV: $fn($arg ...)\n";
	}' "$top"/src/*.c)
# prepare_kept() itself must only ever be called with literals
bad=$bad$(perl -0777 -ne 'while (/\b(?:ledger_)?prepare_kept\s*\(\s*([^,]*)/g) { my $a = $1; next if $a =~ /^"/ || $a =~ /^const char/; print "$ARGV: prepare_kept($a ...)\n"; }' "$top"/src/*.c)
[ -z "$bad" ] && note "ok: the C code hands SPI string literals only" ||
	fail "SPI query that is not a string literal: $bad"

# 2. the GRANT sets of the README are the ones sql/privileges.sql tests
statements() {	# the GRANT statements of SQL (or of a document's sql blocks), one a line
	perl -0777 -ne '
		if ($ARGV =~ /\.md$/) {	# the section "Roles and privileges" only
			($_) = /^### Roles and privileges\n(.*?)^### /ms or die "$ARGV: no section Roles and privileges\n";
			$_ = join("", /^```sql\n(.*?)^```/gms);
		}
		s/--[^\n]*//g;
		while (/(GRANT\s[^;]*;)/g) { my $s = $1; $s =~ s/\s+/ /g; print "$s\n"; }' "$1"
}
tested=$(statements "$top/sql/privileges.sql" | sed 's/regress_ledger_/ledger_/g')
documented=$(statements "$top/README.md")
n=0
missing=0
while IFS= read -r g; do
	[ -n "$g" ] || continue
	n=$((n + 1))
	grep -qxF "$g" <<<"$tested" || { fail "the README grants what sql/privileges.sql does not test: $g"; missing=1; }
done <<<"$documented"
while IFS= read -r g; do
	[ -n "$g" ] || continue
	case $g in *" TO ledger_fresh;") continue ;; esac
	grep -qxF "$g" <<<"$documented" || { fail "sql/privileges.sql tests a GRANT the README does not document: $g"; missing=1; }
done <<<"$tested"
for role in ledger_poster ledger_analyst ledger_operator ledger_recon_operator ledger_recon_analyst; do
	grep -q " TO $role;\$" <<<"$documented" || { fail "the README grants nothing to $role"; missing=1; }
done
if [ $n -lt 3 ]; then
	fail "found only $n GRANT statements in the README"
elif [ $missing -eq 0 ]; then
	note "ok: the $n GRANT statements of the README are those sql/privileges.sql tests, for every role"
fi
exit $status
