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

# the columns the README lists for a table or view (Reference: Tables, Views)
# are the catalog's, in order
perl -0777 -ne '
	for my $sec ("Tables", "Views") {
		my ($t) = /^### \Q$sec\E\n(.*?)^### /ms or die "README: no section $sec\n";
		for my $row ($t =~ /^(\| `ledger\.\w+` \| .* \|)$/mg) {
			my ($name, $cell) = $row =~ /^\| `ledger\.(\w+)` \| (.*) \|$/ or next;
			my @cols;
			for my $g ($cell =~ /`([^`]*)`/g) {
				next unless $g =~ /,/;
				$g =~ s/\s*\([^)]*\)//g;
				push @cols, map { s/^\s+|\s+$//gr } split /,/, $g;
			}
			print "$name ", join(",", @cols), "\n" if @cols;
		}
	}' "$TOP/README.md" >"$WORK/documented.txt"
[ "$(wc -l <"$WORK/documented.txt")" -ge 10 ] || fail "found column lists for only $(wc -l <"$WORK/documented.txt") tables and views in the README"
newdb ledger_readme
cut -d' ' -f1 "$WORK/documented.txt" | while read -r rel; do
	q ledger_readme -c "SELECT '$rel ' || string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
	                     WHERE attrelid = 'ledger.$rel'::regclass AND attnum > 0 AND NOT attisdropped"
done >"$WORK/catalog.txt"
diff -u "$WORK/documented.txt" "$WORK/catalog.txt" ||
	fail "the README lists other columns than the catalog has (Reference: Tables, Views)"
note "ok: the columns the README lists for $(wc -l <"$WORK/documented.txt") tables and views are the catalog's"
