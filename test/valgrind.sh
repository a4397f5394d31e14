#!/usr/bin/env bash
# test/valgrind.sh [TEST ...] — `make valgrind`: the pg_regress suite (or
# the tests named) against a server running under Valgrind's memcheck.
#
# An ordinary PostgreSQL build (not USE_VALGRIND) is enough: the postmaster
# is started under valgrind --trace-children=yes, every backend is checked,
# each process logs to tmp_check/valgrind/logs/<pid>.log.  test/valgrind.supp
# suppresses the benign reports of PostgreSQL itself; its entries name
# PostgreSQL and C library functions only.  The run fails if pg_regress fails
# or if any report involves the extension: a frame in ledger.so or one of
# src/*.c, in the stack or in the origin of an uninitialised value.  Other
# reports are listed and left to PostgreSQL.  Slow: 10-30 minutes.
#
# VALGRIND_OPTS adds options (e.g. --gen-suppressions=all).  KEEP=1 leaves
# the cluster running.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/tools/pgenv.sh"
mkdir -p "$LEDGER_TMP"
ledger_ensure_deps valgrind
command -v valgrind >/dev/null || ledger_die "valgrind is not installed"
ledger_build

bindir=$("$(ledger_pg_config)" --bindir)
pgxs=$(cd "$(dirname "$("$(ledger_pg_config)" --pgxs)")/../.." && pwd)
dir=$LEDGER_TMP/valgrind
logs=$dir/logs

# an ordinary cluster first (initdb and the configuration), then restarted
# with the postmaster under valgrind
LEDGER_PORT=${VALGRIND_PORT:-54335} ledger_cluster_start valgrind "shared_preload_libraries = ''" \
	"max_connections = 20" "shared_buffers = 32MB" "max_prepared_transactions = 10" \
	"log_min_messages = warning" "jit = off" || ledger_die "could not start the cluster"
ledger_as_server "$bindir/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || ledger_die "could not stop the cluster"
[ "${KEEP:-0}" = 1 ] || trap 'ledger_cluster_stop valgrind' EXIT

rm -rf "$logs"
mkdir -p "$logs"
cp "$top/test/valgrind.supp" "$dir/valgrind.supp"
cat >"$dir/postgres" <<EOF
#!/bin/sh
exec valgrind --quiet --tool=memcheck --trace-children=yes --leak-check=no \\
	--track-origins=yes --num-callers=40 --read-var-info=no \\
	--error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END \\
	--suppressions="$dir/valgrind.supp" ${VALGRIND_OPTS:-} \\
	--log-file="$logs/%p.log" "$bindir/postgres" "\$@"
EOF
chmod 755 "$dir/postgres"
if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$dir"; fi

ledger_log "starting the server under valgrind (slow)"
ledger_as_server "$bindir/pg_ctl" -D "$PGDATA" -p "$dir/postgres" -l "$dir/server.log" -w -t 600 start >/dev/null ||
	{ tail -n 30 "$dir/server.log" >&2; ledger_die "the server did not start under valgrind"; }

tests=${*:-$(make -s -C "$top" regress-list)}
out=$dir/regress
rm -rf "$out"; mkdir -p "$out"
[ "$(id -u)" -eq 0 ] && chmod 777 "$out"
ledger_log "pg_regress under valgrind: $tests"
"$pgxs/src/test/regress/pg_regress" --inputdir="$top" --outputdir="$out" --bindir="$bindir" \
	--host="$PGHOST" --port="$PGPORT" --user=postgres --dbname=ledger_valgrind \
	--load-extension=ledger $tests 2>&1 | tee "$out/stdout.log"
regress_rc=${PIPESTATUS[0]}
[ $regress_rc -ne 0 ] && [ -f "$out/regression.diffs" ] && cat "$out/regression.diffs"

# stop the server so that every process has written its log
ledger_as_server "$bindir/pg_ctl" -D "$PGDATA" -m fast -w -t 600 stop >/dev/null
trap - EXIT

# the error reports, one block each, from every process's log
ledger_log "reading the valgrind logs"
perl -e '
	my ($ours, $theirs) = (0, 0);
	for my $f (@ARGV) {
		open(my $h, "<", $f) or next;
		my ($in, $block) = (0, "");
		while (<$h>) {
			if (/VALGRINDERROR-BEGIN/) { $in = 1; $block = ""; next; }
			if (/VALGRINDERROR-END/) {
				$in = 0;
				if ($block =~ m{ledger\.so|\((?:amount|amount_parse|catalog|currency|dayend|ledger|post|posting|trial)\.c:}) {
					$ours++;
					print "== error in the extension ($f)\n$block\n";
				} else {
					$theirs++;
					my ($first) = $block =~ /^==\d+== (\S.*)$/m;
					print STDERR "   (not the extension: $first in $f)\n";
				}
				next;
			}
			$block .= $_ if $in;
		}
	}
	print "valgrind: $ours error report(s) involving the extension, $theirs elsewhere\n";
	exit($ours > 0 ? 1 : 0);
' "$logs"/*.log
valgrind_rc=$?
nlogs=$(ls "$logs" | wc -l)
echo "valgrind: $nlogs processes checked; logs in $logs"
[ "$nlogs" -gt 3 ] || { echo "valgrind: too few process logs: did the backends run under valgrind?" >&2; exit 1; }

if [ $regress_rc -ne 0 ]; then
	echo "valgrind: pg_regress failed under valgrind" >&2
	exit 1
fi
exit $valgrind_rc
