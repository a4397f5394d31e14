#!/usr/bin/env bash
# test/scripts/fuzz_corpus.sh — regression check of the fuzz harnesses: builds
# them (clang, libFuzzer, AddressSanitizer, UBSan) and runs each over its
# committed seed corpus, test/fuzz/corpus/<harness>/, once per file.  No
# fuzzing, a few seconds.  Works from any directory.
#
# Skips (exit 0) only when no clang is installed; a clang that cannot build
# the harnesses (libFuzzer runtime missing: libclang-rt-dev) is a failure.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fuzz="$top/test/fuzz"

bash "$fuzz/build.sh"
rc=$?
if [ $rc -eq 2 ]; then
	echo "fuzz_corpus.sh: SKIPPED: clang is not installed, the fuzz harnesses cannot be built"
	exit 0
elif [ $rc -ne 0 ]; then
	echo "fuzz_corpus.sh: could not build the fuzz harnesses" >&2
	exit 1
fi

status=0
for h in amount binary statement; do
	files=("$fuzz/corpus/$h"/*)
	if [ ! -e "${files[0]}" ]; then
		echo "fuzz_corpus.sh: no seed corpus in $fuzz/corpus/$h" >&2
		status=1
		continue
	fi
	if "$fuzz/build/fuzz_$h" -artifact_prefix="$fuzz/build/crash-$h-" "${files[@]}" \
		>"$fuzz/build/corpus-$h.log" 2>&1; then
		echo "fuzz_$h: ${#files[@]} corpus files ok"
	else
		tail -n 40 "$fuzz/build/corpus-$h.log" >&2
		echo "fuzz_$h: FAILED on its seed corpus (log: $fuzz/build/corpus-$h.log)" >&2
		status=1
	fi
done
exit $status
