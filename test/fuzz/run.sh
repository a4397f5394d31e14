#!/usr/bin/env bash
# test/fuzz/run.sh [seconds] — builds the harnesses and fuzzes each of them
# for a bounded time (default 60 s each), starting from the seed corpus in
# test/fuzz/corpus/<harness>/.  Works from any directory.
#
# New inputs go to test/fuzz/build/corpus-<harness>/ (git-ignored), crashes
# to test/fuzz/build/crash-<harness>-*; the committed corpus is only read.
# Exits non-zero if a harness crashes, hits a sanitizer report or fails a
# check.  Replay a crash with: test/fuzz/build/fuzz_<harness> <crash file>
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
secs=${1:-60}
case $secs in
	'' | *[!0-9]*) echo "usage: $0 [seconds]" >&2; exit 2 ;;
esac

bash "$here/build.sh" || exit 1

status=0
for h in amount binary statement; do
	work="$here/build/corpus-$h"
	mkdir -p "$work"
	echo "== fuzz_$h for ${secs}s"
	maxlen=256
	dict="$here/amount.dict"
	if [ "$h" = statement ]; then maxlen=4096; dict="$here/statement.dict"; fi
	if ! "$here/build/fuzz_$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$maxlen" -print_final_stats=1 -dict="$dict" \
		-artifact_prefix="$here/build/crash-$h-" "$work" "$here/corpus/$h"; then
		echo "fuzz_$h FAILED: see $here/build/crash-$h-*" >&2
		status=1
	fi
done
exit $status
