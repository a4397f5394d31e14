#!/usr/bin/env bash
# Upgrades give what a fresh install gives.  For every version with an
# install script in sql/ (ledger--X.sql), and for every version an upgrade
# script starts from (ledger--X--Y.sql), CREATE EXTENSION ledger VERSION 'X'
# with some books in it, then ALTER EXTENSION ledger UPDATE: the catalog of
# the result must equal that of a fresh CREATE EXTENSION ledger, the books
# must still hold and take postings, and the reconciliation must still be
# there and find the same when run again.  With one version only this
# checks that UPDATE to the same version changes nothing; it starts checking
# real upgrades as soon as a second version appears.
source "$(dirname "$0")/lib.bash"
default=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$TOP/ledger.control")
[ -n "$default" ] || fail "no default_version in ledger.control"

# the versions found in sql/
versions=$(
	for f in "$TOP"/sql/ledger--*.sql; do
		b=$(basename "$f" .sql); b=${b#ledger--}
		case $b in
			*--*) echo "${b%%--*}" ;;		# an upgrade script: its start
			*) echo "$b" ;;			# an install script
		esac
	done | sort -u)
note "default version $default; versions in sql/: $(echo $versions)"

# every upgrade script in sql/ is installed (the Makefile's DATA lists them)
newdb ledger_upgrade_fresh
for f in "$TOP"/sql/ledger--*--*.sql; do
	[ -e "$f" ] || continue
	b=$(basename "$f" .sql); b=${b#ledger--}
	expect ledger_upgrade_fresh "SELECT count(*) FROM pg_extension_update_paths('ledger')
	                              WHERE source = '${b%%--*}' AND target = '${b##*--}' AND path = source || '--' || target" 1 \
		"the upgrade script $(basename "$f") is installed"
done

# The catalog of the extension, without OIDs: every member object and what
# hangs off the tables (columns, defaults, constraints, indexes, triggers),
# comments, privileges and the tables registered for pg_dump.
describe() {
	q "$1" <<'SQL'
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'ledger'),
member AS (SELECT d.classid, d.objid FROM pg_depend d, ext
            WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'),
rel AS (SELECT c.* FROM pg_class c JOIN member m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid)
SELECT line FROM (
	SELECT 'extension ' || e.extname || ' ' || e.extversion || ' relocatable ' || e.extrelocatable
	       || ' schema ' || e.extnamespace::regnamespace
	       || ' config ' || COALESCE((SELECT string_agg(x::regclass::text, ',' ORDER BY x::regclass::text)
	                                    FROM unnest(e.extconfig) x), '')
	       || ' conditions ' || COALESCE(array_to_string(e.extcondition, ','), '') AS line
	  FROM pg_extension e WHERE e.extname = 'ledger'
	UNION ALL
	SELECT 'schema ' || n.nspname || ' owner ' || pg_get_userbyid(n.nspowner) || ' acl ' || COALESCE(n.nspacl::text, '')
	       || ' comment ' || COALESCE(obj_description(n.oid, 'pg_namespace'), '')
	  FROM pg_namespace n WHERE n.nspname = 'ledger'
	UNION ALL
	SELECT 'function ' || p.oid::regprocedure || ' kind ' || p.prokind::text || ' acl ' || COALESCE(p.proacl::text, '')
	       || ' comment ' || COALESCE(obj_description(p.oid, 'pg_proc'), '') || ' '
	       || CASE WHEN p.prokind = 'a' THEN
	              (SELECT format('aggregate %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s', a.aggkind, a.aggtransfn::regprocedure,
	                      a.aggfinalfn::regprocedure, a.aggcombinefn::regprocedure, a.aggserialfn::regprocedure,
	                      a.aggdeserialfn::regprocedure, a.aggmtransfn::regprocedure, a.aggminvtransfn::regprocedure,
	                      a.aggmfinalfn::regprocedure, a.aggsortop::regoperator, a.aggtranstype::regtype, a.aggtransspace,
	                      a.aggmtranstype::regtype, a.aggmtransspace, a.agginitval)
	                 FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
	              || ' parallel ' || p.proparallel::text
	          ELSE replace(pg_get_functiondef(p.oid), E'\n', ' ') END
	  FROM pg_proc p JOIN member m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
	UNION ALL
	SELECT 'type ' || t.oid::regtype || ' ' || format('%s %s %s %s %s %s %s %s %s %s %s', t.typtype, t.typlen, t.typbyval,
	           t.typalign, t.typstorage, t.typinput::regprocedure, t.typoutput::regprocedure, t.typreceive::regprocedure,
	           t.typsend::regprocedure, t.typcategory, t.typdelim)
	       || ' acl ' || COALESCE(t.typacl::text, '') || ' comment ' || COALESCE(obj_description(t.oid, 'pg_type'), '')
	       || COALESCE(' attributes ' || (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
	                                        FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '')
	  FROM pg_type t JOIN member m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
	UNION ALL
	SELECT 'operator ' || o.oid::regoperator || ' ' || format('%s %s %s %s %s %s %s', o.oprcode::regprocedure,
	           o.oprcom::regoperator, o.oprnegate::regoperator, o.oprrest, o.oprjoin, o.oprcanhash, o.oprcanmerge)
	       || ' comment ' || COALESCE(obj_description(o.oid, 'pg_operator'), '')
	  FROM pg_operator o JOIN member m ON m.classid = 'pg_operator'::regclass AND m.objid = o.oid
	UNION ALL
	SELECT 'opclass ' || am.amname || ' ' || oc.opcname || ' for ' || oc.opcintype::regtype || ' default ' || oc.opcdefault
	       || ' family ' || f.opfname || ' comment ' || COALESCE(obj_description(oc.oid, 'pg_opclass'), '')
	       || ' operators ' || COALESCE((SELECT string_agg(ao.amopstrategy || ':' || ao.amopopr::regoperator, ' ' ORDER BY ao.amopstrategy)
	                                       FROM pg_amop ao WHERE ao.amopfamily = f.oid), '')
	       || ' support ' || COALESCE((SELECT string_agg(ap.amprocnum || ':' || ap.amproc::regprocedure, ' ' ORDER BY ap.amprocnum)
	                                     FROM pg_amproc ap WHERE ap.amprocfamily = f.oid), '')
	  FROM pg_opclass oc JOIN member m ON m.classid = 'pg_opclass'::regclass AND m.objid = oc.oid
	  JOIN pg_am am ON am.oid = oc.opcmethod JOIN pg_opfamily f ON f.oid = oc.opcfamily
	UNION ALL
	SELECT 'cast ' || c.castsource::regtype || ' as ' || c.casttarget::regtype || ' ' || COALESCE(c.castfunc::regprocedure::text, '')
	       || ' ' || c.castcontext::text || c.castmethod::text || ' comment ' || COALESCE(obj_description(c.oid, 'pg_cast'), '')
	  FROM pg_cast c JOIN member m ON m.classid = 'pg_cast'::regclass AND m.objid = c.oid
	UNION ALL
	SELECT 'relation ' || r.oid::regclass || ' kind ' || r.relkind::text || ' persistence ' || r.relpersistence::text
	       || ' options ' || COALESCE(r.reloptions::text, '') || ' acl ' || COALESCE(r.relacl::text, '')
	       || ' owner ' || pg_get_userbyid(r.relowner) || ' comment ' || COALESCE(obj_description(r.oid, 'pg_class'), '')
	       || CASE WHEN r.relkind = 'v' THEN ' view ' || replace(pg_get_viewdef(r.oid), E'\n', ' ') ELSE '' END
	       || CASE WHEN r.relkind = 'S' THEN (SELECT format(' sequence %s %s %s %s %s %s', s.seqtypid::regtype, s.seqstart,
	                                             s.seqincrement, s.seqmax, s.seqmin, s.seqcycle) FROM pg_sequence s WHERE s.seqrelid = r.oid)
	                                          || COALESCE(' owned by ' || (SELECT d.refobjid::regclass || '.' || a.attname
	                                             FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
	                                             WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid AND d.deptype = 'a'), '')
	              ELSE '' END
	  FROM rel r
	UNION ALL
	SELECT 'column ' || r.oid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
	       || ' notnull ' || a.attnotnull || ' default ' || COALESCE(pg_get_expr(d.adbin, d.adrelid), '')
	       || ' identity ' || a.attidentity::text || ' generated ' || a.attgenerated::text || ' position ' || a.attnum
	       || ' collation ' || COALESCE(a.attcollation::regcollation::text, '') || ' acl ' || COALESCE(a.attacl::text, '')
	       || ' comment ' || COALESCE(col_description(r.oid, a.attnum), '')
	  FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
	  LEFT JOIN pg_attrdef d ON d.adrelid = r.oid AND d.adnum = a.attnum
	UNION ALL
	SELECT 'constraint ' || r.oid::regclass || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid)
	       || ' deferrable ' || c.condeferrable || ' comment ' || COALESCE(obj_description(c.oid, 'pg_constraint'), '')
	  FROM rel r JOIN pg_constraint c ON c.conrelid = r.oid
	UNION ALL
	SELECT 'index ' || pg_get_indexdef(i.indexrelid) || ' comment ' || COALESCE(obj_description(i.indexrelid, 'pg_class'), '')
	  FROM rel r JOIN pg_index i ON i.indrelid = r.oid
	UNION ALL
	SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text
	       || ' comment ' || COALESCE(obj_description(t.oid, 'pg_trigger'), '')
	  FROM rel r JOIN pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
	UNION ALL
	SELECT 'rule ' || pg_get_ruledef(w.oid)
	  FROM rel r JOIN pg_rewrite w ON w.ev_class = r.oid AND w.rulename <> '_RETURN'
	UNION ALL
	SELECT 'member ' || pg_describe_object(m.classid, m.objid, 0) FROM member m
) x ORDER BY line COLLATE "C";
SQL
}

describe ledger_upgrade_fresh >"$WORK/fresh.txt" || fail "could not describe a fresh install"
n=$(wc -l <"$WORK/fresh.txt")
[ "$n" -ge 200 ] || fail "the description of a fresh install has only $n lines"
for kind in extension schema function type operator opclass cast relation column constraint index trigger member; do
	grep -q "^$kind " "$WORK/fresh.txt" || fail "the description lists no $kind"
done
note "ok: a fresh install of $default has $n catalog lines"

for v in $versions; do
	db=ledger_upgrade_from_${v//[^0-9a-zA-Z]/_}
	newdb_version() {
		psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null 2>&1 ||
			fail "could not create database $db"
		q $db -c "CREATE EXTENSION ledger VERSION '$v'" >/dev/null || fail "CREATE EXTENSION ledger VERSION '$v' failed"
	}
	newdb_version
	# some books in the old version: accounts, postings, a closed day, a
	# statement reconciled against them
	q $db >/dev/null 2>&1 <<'SQL' || fail "$db: could not post in version $v"
SET client_min_messages = warning;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES ('bank', 'bank', 'asset', 'CNY', true);
INSERT INTO ledger.account (code, name, kind, currency, floor) VALUES ('w1', 'wallet', 'liability', 'CNY', '0 CNY');
SELECT ledger.post('k1', ARRAY['bank', 'w1'], ARRAY['10 CNY', '-10 CNY']::ledger.amount[], NULL, 'R1');
CALL ledger.close_day();
SELECT ledger.post('k2', ARRAY['w1', 'bank'], ARRAY['3 CNY', '-3 CNY']::ledger.amount[]);
SELECT ledger.load_statement_csv('psp', '2026-11-02', E'ref,external_id,amount\nR1,PSP-1,10.00\nR2,PSP-2,2.00\n');
-- since 1.1 only accounts marked reconcilable are reconciled (the update
-- marks those reconciled before it)
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'ledger.account'::regclass AND attname = 'reconcilable') THEN
		EXECUTE format('UPDATE ledger.account SET reconcilable = true WHERE code = %L', 'bank');
	END IF;
END $$;
CALL ledger.reconcile('psp', '2026-11-02', 'bank');
SQL
	q $db -c "ALTER EXTENSION ledger UPDATE" >"$WORK/$db.update.out" 2>&1 ||
		{ cat "$WORK/$db.update.out"; fail "ALTER EXTENSION ledger UPDATE from $v failed"; }
	expect $db "SELECT extversion FROM pg_extension WHERE extname = 'ledger'" "$default" "$v updates to $default"
	describe $db >"$WORK/$db.txt" || fail "could not describe $db"
	diff -u "$WORK/fresh.txt" "$WORK/$db.txt" >"$WORK/$db.diff" ||
		{ head -n 60 "$WORK/$db.diff"; fail "$v updated to $default differs from a fresh install of $default (see $WORK/$db.diff)"; }
	note "ok: $v updated to $default has the catalog of a fresh install"
	expect $db "SELECT string_agg(code, ' ' ORDER BY code) FROM ledger.account WHERE reconcilable" "bank" \
		"$db: the accounts reconciled before the update are reconcilable, no other"
	expect $db "SELECT ledger.balance('w1')" "7.00 CNY" "$db: the books survived the update"
	expect $db "SELECT string_agg(class || ' ' || ref, ', ' ORDER BY ref) FROM ledger.recon_break" "missing_internal R2" \
		"$db: the reconciliation survived the update"
	q $db -c "SET client_min_messages = warning" -c "CALL ledger.reconcile('psp', '2026-11-02', 'bank')" >/dev/null ||
		fail "$db: reconcile after the update failed"
	expect $db "SELECT concat_ws(' ', matched_count, missing_internal_count, runs) FROM ledger.recon_run" "1 1 2" \
		"$db: reconciling again after the update finds the same"
	expect $db "SELECT ledger.post('k3', ARRAY['bank', 'w1'], ARRAY['1 CNY', '-1 CNY']::ledger.amount[]) > 0" t "$db: posting goes on"
	# holds (new in 1.1) on the updated books: held, posted in part, counted by the checks
	expect $db "SELECT ledger.hold('h1', ARRAY['w1', 'bank'], ARRAY['5 CNY', '-5 CNY']) > 0" t "$db: a hold after the update"
	expect $db "SELECT ledger.available('w1')" "3.00 CNY" "$db: the hold lowers the available balance"
	expect $db "SELECT ledger.post_hold((SELECT id FROM ledger.hold WHERE idempotency_key = 'h1'), 'h1-post', ARRAY['2 CNY', '-2 CNY']::ledger.amount[]) > 0" t \
		"$db: the hold posts in part"
	expect $db "SELECT ledger.balance('w1') || ' ' || ledger.available('w1')" "6.00 CNY 6.00 CNY" "$db: the rest of the hold is released"
	expect $db "SELECT ledger.hold('h2', ARRAY['w1', 'bank'], ARRAY['1 CNY', '-1 CNY']) > 0" t "$db: a hold left pending"
	expect $db "SELECT bool_and(ok) FROM ledger.check_books(ledger.current_book_date()) WHERE check_name = 'holds_match_lines'" t \
		"$db: the held totals match the pending holds"
	books_hold $db
done

# 1.0 -> 1.1 replaces ledger.reverse(bigint, text, text) by the four-argument
# form: a role that could run the old one may run the new one after the update
if [ -f "$TOP/sql/ledger--1.0.sql" ]; then
	db=ledger_upgrade_grants
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null 2>&1 ||
		fail "could not create database $db"
	q $db -c "CREATE EXTENSION ledger VERSION '1.0'" >/dev/null || fail "CREATE EXTENSION ledger VERSION '1.0' failed"
	q postgres -c "DROP ROLE IF EXISTS \"regress upgrade poster\"" -c "CREATE ROLE \"regress upgrade poster\"" >/dev/null
	q $db -c "GRANT USAGE ON SCHEMA ledger TO \"regress upgrade poster\"" \
		-c "GRANT EXECUTE ON FUNCTION ledger.reverse(bigint, text, text) TO \"regress upgrade poster\"" >/dev/null
	q $db -c "ALTER EXTENSION ledger UPDATE TO '1.1'" >/dev/null 2>&1 || fail "$db: the update failed"
	expect $db "SELECT has_function_privilege('regress upgrade poster', 'ledger.reverse(bigint, text, text, boolean)', 'EXECUTE')" t \
		"$db: a role that could run reverse in 1.0 can run it in 1.1"
	expect $db "SELECT has_function_privilege('public', 'ledger.reverse(bigint, text, text, boolean)', 'EXECUTE')" f \
		"$db: PUBLIC still cannot"
	psql -X -q -d postgres -c "DROP DATABASE $db WITH (FORCE)" -c "DROP ROLE \"regress upgrade poster\"" >/dev/null
fi

# 1.0 -> 1.1 lists by code point the characters an account code may not hold:
# a look-alike code 1.0 accepted (a no-break space) stops the update with an
# error naming it, and the update goes through once the code is changed
if [ -f "$TOP/sql/ledger--1.0.sql" ]; then
	db=ledger_upgrade_codes
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null 2>&1 ||
		fail "could not create database $db"
	q $db -c "CREATE EXTENSION ledger VERSION '1.0'" >/dev/null || fail "CREATE EXTENSION ledger VERSION '1.0' failed"
	q $db -c "INSERT INTO ledger.account (code, name, kind, currency) VALUES ('bank', 'bank', 'asset', 'CNY'), (E'bank\u00a0', 'look-alike', 'asset', 'CNY')" >/dev/null ||
		fail "$db: 1.0 refused a code with a no-break space"
	q $db -c "ALTER EXTENSION ledger UPDATE TO '1.1'" >"$WORK/$db.out" 2>&1 && fail "$db: the update passed over a look-alike code"
	grep -q "ERROR:  account codes with white space, control, format or bidirectional characters" "$WORK/$db.out" &&
		grep -q "DETAIL:  Version 1.1 refuses these codes, which look like other codes: E\?'bank" "$WORK/$db.out" ||
		{ cat "$WORK/$db.out"; fail "$db: the update's error does not name the code"; }
	note "ok: $db: a look-alike code stops the update, named"
	expect $db "SELECT extversion FROM pg_extension WHERE extname = 'ledger'" 1.0 "$db: the failed update left 1.0"
	q $db -c "UPDATE ledger.account SET code = 'bank2' WHERE code = E'bank\u00a0'" >/dev/null || fail "$db: could not rename the code"
	q $db -c "ALTER EXTENSION ledger UPDATE TO '1.1'" >/dev/null 2>&1 || fail "$db: the update failed after the code was changed"
	expect $db "SELECT extversion FROM pg_extension WHERE extname = 'ledger'" 1.1 "$db: updated once the code is changed"
	psql -X -q -d postgres -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
fi
