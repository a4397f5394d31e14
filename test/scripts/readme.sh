#!/usr/bin/env bash
# The README tells the truth: its tour's outputs are what the commands print.
# tools/readme_tour.sh regenerates them from a real run (against this
# cluster) into a copy of README.md, which must equal README.md except for
# the day's SHA-256 digests (they cover the vouchers' creation times, so
# every run seals other ones).  On a difference: `make readme` rewrites the
# blocks; read the diff before committing it.
source "$(dirname "$0")/lib.bash"
n=$(grep -c '^<!-- tour: [a-z_]* -->$' "$TOP/README.md")
[ "$n" -ge 6 ] || fail "README.md has $n tour blocks marked for regeneration, expected 6 or more"
LEDGER_TOUR_SERVER=1 bash "$TOP/tools/readme_tour.sh" "$WORK/README.md" >"$WORK/tour.out" 2>&1 ||
	{ cat "$WORK/tour.out"; fail "tools/readme_tour.sh failed"; }
mask() { sed -E 's/[0-9a-f]{64}/<sha256>/g' "$1"; }
diff -u <(mask "$TOP/README.md") <(mask "$WORK/README.md") >"$WORK/README.diff" ||
	{ cat "$WORK/README.diff"; fail "the README's tour differs from what the commands print (make readme regenerates it)"; }
note "ok: the $n blocks of the README's tour are what the commands print"
