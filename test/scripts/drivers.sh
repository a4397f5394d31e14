#!/usr/bin/env bash
# From an application: Python's psycopg2 (Debian python3-psycopg2) posts with
# plain lists of strings (text[] amounts, no cast), reverses, reads the
# balance back, replays a key, and sees the SQLSTATEs the README tells an
# application to handle: 23514 (unbalanced), 23505 (key reused with other
# content) and 40001 (retry).
source "$(dirname "$0")/lib.bash"
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
"$py" -c 'import psycopg2' 2>/dev/null || fail "psycopg2 is not installed (Debian package python3-psycopg2)"
db=ledger_drivers
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
invariants $db
