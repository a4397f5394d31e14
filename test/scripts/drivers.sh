#!/usr/bin/env bash
# From an application, through the drivers payment companies use:
#
# - Python's psycopg2 (Debian python3-psycopg2) posts with plain lists of
#   strings (text[] amounts, no cast), reverses, reads the balance back,
#   replays a key, and sees the SQLSTATEs the README tells an application to
#   handle: 23514 (unbalanced), 23505 (key reused with other content) and
#   40001 (retry); posts a hold in part with a list, and one in full (None).
# - Java's JDBC driver, pgjdbc (Debian libpostgresql-jdbc-java and a JRE),
#   test/scripts/drivers/Drivers.java: amounts as createArrayOf("text"), as a
#   String[] through setObject, as one literal through setString (with and
#   without stringtype=unspecified); prepareThreshold 0, 1, -1 and 5 with one
#   statement executed many times (pgjdbc's named server-side statements);
#   executeBatch in autocommit and in a transaction, with an unbalanced
#   voucher in it (nothing of the batch is posted); hold, post_hold in full
#   and in part, void_hold, available; balances read as text, BigDecimal
#   (::numeric, amount_to_numeric), account_history with a LocalDate, the
#   balances view; getSQLState() 23514, 23505, 23503, 22P02 with no internal
#   CONTEXT; autosave=always/conservative; a pool's resets (DISCARD ALL,
#   DEALLOCATE ALL, RESET ALL) between posts; a hostile-looking search_path;
#   two threads racing on bounded wallets at SERIALIZABLE, retrying 40001 and
#   40P01, nothing lost or doubled.  pgjdbc speaks TCP only and the test
#   cluster listens on a Unix socket only: the program relays a loopback port
#   of its own to the socket.
# - node-postgres (pg), test/scripts/drivers/drivers.js: the same with
#   untyped parameters (JS arrays, literal strings, null), named prepared
#   queries, JS Dates, bigint and numeric as strings, err.code, a pool's
#   DISCARD ALL, two clients racing.  Debian's node-pg when node can load it;
#   Debian 12's node-pg depends on Debian's nodejs and cannot be installed
#   beside a nodejs from elsewhere (NodeSource), so the test then installs pg
#   from the npm registry into its work directory, and skips this part, saying
#   why, when that fails too.
#
# Java and Node run at once, each on a database of its own.
source "$(dirname "$0")/lib.bash"
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
"$py" -c 'import psycopg2' 2>/dev/null || fail "psycopg2 is not installed (Debian package python3-psycopg2)"
db=ledger_drivers
java=$(command -v java)
jar=/usr/share/java/postgresql.jar
[ -n "$java" ] || fail "java is not installed (Debian package default-jre-headless)"
[ -r "$jar" ] || fail "pgjdbc is not installed (Debian package libpostgresql-jdbc-java)"
start=$(date +%s)
# the books the Java and the Node programs start from, each in a database of its own
client_books() {
	newdb "$1"
	q "$1" >/dev/null <<'SQL' || fail "could not set up the accounts of $1"
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'reserve funds', 'asset', 'CNY'), ('w1', 'wallet 1', 'liability', 'CNY'), ('w2', 'wallet 2', 'liability', 'CNY'),
	('sink0', 'merchant 0', 'liability', 'CNY'), ('sink1', 'merchant 1', 'liability', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency, floor) VALUES
	('f1', 'bounded wallet 1', 'liability', 'CNY', '0 CNY'), ('f2', 'bounded wallet 2', 'liability', 'CNY', '0 CNY');
SELECT ledger.post('fund', ARRAY['bank', 'f1', 'f2'], ARRAY['10.00 CNY', '-5.00 CNY', '-5.00 CNY']);
SQL
}
client_books ${db}_java
"$java" -cp "$jar" "$TOP/test/scripts/drivers/Drivers.java" "$PGHOST/.s.PGSQL.$PGPORT" ${db}_java >"$WORK/java.out" 2>&1 &
java_pid=$!

# node-postgres: Debian's node-pg, else pg from the npm registry, else skipped
node_skip=
node_path=/usr/share/nodejs:/usr/lib/nodejs:/usr/lib/$(uname -m)-linux-gnu/nodejs
if ! command -v node >/dev/null; then
	node_skip="node is not installed (Debian packages nodejs and node-pg)"
elif NODE_PATH=$node_path node -e 'require("pg")' 2>/dev/null; then
	node_from="Debian's node-pg"
elif ! command -v npm >/dev/null; then
	node_skip="node cannot load Debian's node-pg (not installed, or not installable beside this nodejs) and npm is not installed"
elif (cd "$WORK" && timeout 60 npm install --prefix "$WORK/node" --no-audit --no-fund --no-save --fetch-retries=1 \
		--fetch-timeout=20000 pg@8 >"$WORK/npm.log" 2>&1); then
	node_path=$WORK/node/node_modules
	node_from="pg $(NODE_PATH=$node_path node -p 'require("pg/package.json").version') from the npm registry"
else
	node_skip="node cannot load Debian's node-pg (not installed, or not installable beside this nodejs) and npm could not install pg from the registry ($(grep -m 1 -E 'Error|error [A-Z]' "$WORK/npm.log" | sed 's/^npm error *//' || echo "timed out"))"
fi
if [ -z "$node_skip" ]; then
	client_books ${db}_node
	NODE_PATH=$node_path node "$TOP/test/scripts/drivers/drivers.js" "$PGHOST" "$PGPORT" ${db}_node >"$WORK/node.out" 2>&1 &
	node_pid=$!
fi

newdb $db
q $db >/dev/null <<'SQL' || fail "could not set up the accounts"
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'reserve funds', 'asset', 'CNY'), ('w1', 'wallet 1', 'liability', 'CNY'), ('w2', 'wallet 2', 'liability', 'CNY');
SQL

DB=$db "$py" - >"$WORK/python.out" 2>&1 <<'PY' || { cat "$WORK/python.out"; fail "the Python client failed"; }
import os, threading
import psycopg2, psycopg2.errors

conn = psycopg2.connect(dbname=os.environ["DB"])
conn.autocommit = True
cur = conn.cursor()

def post(key, accounts, amounts, summary=None, ref=None):
    cur.execute("SELECT ledger.post(%s, %s, %s, %s, %s)", (key, accounts, amounts, summary, ref))
    return cur.fetchone()[0]

# plain lists of str: ledger.post(unknown, text[], text[], unknown, unknown)
v1 = post("py-1", ["bank", "w1"], ["100.00 CNY", "-100.00 CNY"], "top-up", "ORDER-1")
v2 = post("py-2", ["w1", "w2"], ["30.00 CNY", "-30.00 CNY"], "transfer")
print("posted", v1 > 0, v2 > v1)
# the same call again returns the same voucher
print("replay same id", post("py-2", ["w1", "w2"], ["30.00 CNY", "-30.00 CNY"], "transfer") == v2)
# and three arguments only
print("three arguments", post("py-3", ["w2", "w1"], ["5 CNY", "-5 CNY"]) > v2)

cur.execute("SELECT ledger.balance(%s)::text, ledger.balance(%s)::text", ("w1", "w2"))
print("balances", *cur.fetchone())

# a red-letter reversal, read back from the journal
cur.execute("SELECT ledger.reverse(%s, %s)", (v2, "py-2-r"))
r = cur.fetchone()[0]
cur.execute("SELECT debit::text, credit::text FROM ledger.journal WHERE voucher_id = %s ORDER BY line_no", (r,))
print("red reversal", cur.fetchall())
cur.execute("SELECT ledger.balance(%s)::text", ("w1",))
print("w1 after reversal", cur.fetchone()[0])

# the errors an application handles
try:
    post("py-4", ["w1", "w2"], ["1.00 CNY", "-2.00 CNY"])
except psycopg2.Error as e:
    print("unbalanced", e.pgcode, e.diag.message_primary)
try:
    post("py-1", ["bank", "w1"], ["99.00 CNY", "-99.00 CNY"], "top-up", "ORDER-1")
except psycopg2.errors.UniqueViolation as e:
    print("key reused", e.pgcode, e.diag.message_primary)

# 40001: a serializable transaction that lost a race is retried as a whole
def transfer_serializable(key, barrier):
    c = psycopg2.connect(dbname=os.environ["DB"])
    c.set_session(isolation_level="SERIALIZABLE")
    attempts = 0
    while True:
        attempts += 1
        try:
            with c:
                with c.cursor() as k:
                    k.execute("SELECT ledger.balance('w1')")
                    if barrier is not None and attempts == 1:
                        barrier.wait()
                    k.execute("SELECT ledger.post(%s, %s, %s)", (key, ["w1", "w2"], ["1.00 CNY", "-1.00 CNY"]))
            break
        except psycopg2.errors.SerializationFailure:
            continue  # 40001: run the whole transaction again
    c.close()
    return attempts

barrier = threading.Barrier(2)
out = []
threads = [threading.Thread(target=lambda k=k: out.append(transfer_serializable(k, barrier))) for k in ("py-s1", "py-s2")]
for t in threads: t.start()
for t in threads: t.join()
cur.execute("SELECT count(*) FROM ledger.voucher WHERE idempotency_key IN ('py-s1', 'py-s2')")
print("serializable transfers", cur.fetchone()[0])
print("attempts", sorted(out))
cur.execute("SELECT ledger.balance(%s)::text", ("w1",))
print("w1 at the end", cur.fetchone()[0])

# holds: post_hold in part with a list of str, in full with None
cur.execute("SELECT ledger.hold(%s, %s, %s)", ("py-h1", ["w1", "w2"], ["4.00 CNY", "-4.00 CNY"]))
h1 = cur.fetchone()[0]
cur.execute("SELECT ledger.post_hold(%s, %s, %s)", (h1, "py-h1-p", ["1.50 CNY", "-1.50 CNY"]))
v = cur.fetchone()[0]
cur.execute("SELECT ledger.hold(%s, %s, %s)", ("py-h2", ["w1", "w2"], ["2.00 CNY", "-2.00 CNY"]))
h2 = cur.fetchone()[0]
cur.execute("SELECT ledger.post_hold(%s, %s, %s, %s)", (h2, "py-h2-p", None, "in full"))
cur.execute("SELECT ledger.balance(%s)::text, ledger.available(%s)::text", ("w1", "w1"))
print("holds posted", v > 0, *cur.fetchone())
PY
cat "$WORK/python.out" | sed 's/^/    /'
grep -qx "posted True True" "$WORK/python.out" || fail "psycopg2: posting with lists of str"
note "ok: psycopg2 posts with plain lists of str (text[] amounts, no cast)"
grep -qx "replay same id True" "$WORK/python.out" || fail "psycopg2: replay"
note "ok: a replayed call returns the same voucher"
grep -qx "three arguments True" "$WORK/python.out" || fail "psycopg2: three arguments"
grep -qx "balances 75.00 CNY 25.00 CNY" "$WORK/python.out" || fail "psycopg2: balances read back"
note "ok: the balances read back are those posted"
grep -qx "red reversal \[('-30.00 CNY', None), (None, '-30.00 CNY')\]" "$WORK/python.out" || fail "psycopg2: red reversal in the journal"
grep -qx "w1 after reversal 105.00 CNY" "$WORK/python.out" || fail "psycopg2: balance after the reversal"
note "ok: a red reversal, read back from the journal"
grep -qx "unbalanced 23514 voucher is not balanced" "$WORK/python.out" || fail "psycopg2: 23514"
grep -qx "key reused 23505 idempotency key \"py-1\" was already used for a different voucher" "$WORK/python.out" || fail "psycopg2: 23505"
note "ok: 23514 and 23505 reach the application with their SQLSTATE"
grep -qx "serializable transfers 2" "$WORK/python.out" || fail "psycopg2: serializable retries"
grep -qx "w1 at the end 103.00 CNY" "$WORK/python.out" || fail "psycopg2: balance after the serializable transfers"
note "ok: serializable transactions retried on 40001 post exactly once each"
grep -qx "holds posted True 99.50 CNY 99.50 CNY" "$WORK/python.out" || fail "psycopg2: post_hold in part with a list of str, in full with None"
note "ok: post_hold in part with a list of str, in full with None"
invariants $db

wait $java_pid
java_rc=$?
echo "  Java $("$java" -version 2>&1 | sed -n '1s/.*version "\(.*\)".*/\1/p'), $jar:"
sed 's/^/    /' "$WORK/java.out"
[ $java_rc -eq 0 ] && ! grep -q '^FAIL' "$WORK/java.out" || fail "pgjdbc: $(grep -c '^FAIL' "$WORK/java.out") checks failed (above)"
note "ok: pgjdbc: every check passed"
invariants ${db}_java
if [ -n "$node_skip" ]; then
	note "skipped: node-postgres: $node_skip"
else
	wait $node_pid
	node_rc=$?
	echo "  Node.js $(node --version), $node_from:"
	sed 's/^/    /' "$WORK/node.out"
	[ $node_rc -eq 0 ] && ! grep -q '^FAIL' "$WORK/node.out" || fail "node-postgres: $(grep -c '^FAIL' "$WORK/node.out") checks failed (above)"
	note "ok: node-postgres: every check passed"
	invariants ${db}_node
fi
note "drivers: $(($(date +%s) - start)) s"
