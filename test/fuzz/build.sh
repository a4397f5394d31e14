#!/usr/bin/env bash
# test/fuzz/build.sh — builds the libFuzzer harnesses into test/fuzz/build/.
#
#   bash test/fuzz/build.sh        (from any directory)
#
# Uses $FUZZ_CC, else the first of clang, clang-19 ... clang-14 found.  Exits
# 2 when there is no clang at all, 1 when the build fails.  The harnesses are
# built with AddressSanitizer and UndefinedBehaviorSanitizer, and any
# sanitizer report aborts the run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)

fuzz_find_clang() {
	local c
	if [ -n "${FUZZ_CC:-}" ]; then echo "$FUZZ_CC"; return 0; fi
	for c in clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14; do
		if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
	done
	return 1
}

cc=$(fuzz_find_clang) || { echo "build.sh: clang not found" >&2; exit 2; }
out="$here/build"
mkdir -p "$out"

flags=(-g -O1 -fno-omit-frame-pointer -std=gnu99 -Wall -Wextra
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-I"$top/src" -I"$here")

for h in amount binary statement; do
	extra=()
	[ "$h" = statement ] && extra=("$top/src/stmt_parse.c")
	"$cc" "${flags[@]}" -o "$out/fuzz_$h" \
		"$top/src/currency.c" "$top/src/amount_parse.c" "${extra[@]}" "$here/fuzz_$h.c" ||
		{ echo "build.sh: could not build fuzz_$h with $cc" >&2; exit 1; }
done
