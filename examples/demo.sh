#!/usr/bin/env bash
# examples/demo.sh — `make demo`: Example Pay Co.'s day on a throwaway cluster.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/tools/pgenv.sh"

mkdir -p "$LEDGER_TMP"
ledger_ensure_deps
ledger_build
ledger_cluster_start demo
# stopped in any case; removed (with the router's clusters) when the demo ran to its end
[ "${KEEP:-0}" = 1 ] || trap 'rc=$?; ledger_cluster_stop demo; [ $rc -ne 0 ] || ledger_tmp_clean demo "demo-multi-*"' EXIT

cd "$top/examples"
ledger_psql -d postgres -c "CREATE DATABASE ledger_demo" >/dev/null
run() { ledger_psql -d ledger_demo "$@" 2>&1; }
banner() { printf '\n==== %s ====\n\n' "$*"; }

banner "Installing the extension and Example Pay Co.'s chart of accounts"
run -c "CREATE EXTENSION ledger" -f company.sql >/dev/null
run -c "SELECT code, name, kind, currency, floor, ceiling, hot FROM ledger.account ORDER BY code"

banner "Posting the morning's business"
run -v VERBOSITY=default -f morning.sql

banner "Withdrawals waiting for the bank (在途): holds"
run -v VERBOSITY=default -f holds.sql

banner "The journal (日记账)"
run -c "SELECT voucher_id, idempotency_key, ref, summary, line_no, account_code, debit, credit
          FROM ledger.journal ORDER BY voucher_id, line_no"

banner "Balances on each account's normal side"
run -c "SELECT account_code, account_name, currency, balance FROM ledger.balances ORDER BY account_code, currency"

banner "A red-letter reversal (红字冲销): the refund of order 2214 on the original sides, as negative figures"
run -c "SELECT voucher_id, idempotency_key, line_no, account_code, debit, credit
          FROM ledger.journal WHERE idempotency_key IN ('PAY-0003', 'REFUND-0001') ORDER BY voucher_id, line_no"

banner "Balance assertions (勾稽关系)"
run -f assertions.sql

banner "Day-end cutoff (日切): CALL ledger.close_day()"
run -v VERBOSITY=default -f dayend.sql
run -c "SELECT book_date, status, encode(digest, 'hex') AS digest FROM ledger.book_day ORDER BY book_date"

banner "Trial balance (试算平衡) of 2026-11-02"
run -c "SELECT account_code, account_name, currency, opening_debit, opening_credit,
               period_debit, period_credit, closing_debit, closing_credit
          FROM ledger.trial_balance('2026-11-02')"

banner "The account history (明细账) of Riverside Books' wallet"
run -c "SELECT book_date, voucher_id, line_no, ref, summary, debit, credit, balance
          FROM ledger.account_history('2241.20002', '2026-11-02')"

banner "The day's checks"
run -c "SELECT check_name, currency, ok, detail FROM ledger.check_books('2026-11-02')"
run -c "SELECT * FROM ledger.verify_books('2026-11-02', '2026-11-02')"

banner "Reconciliation (对账): the WeChat Pay and Alipay bills of 2026-11-02, ICBC's camt.053 statement of 2026-11-03"
run -v VERBOSITY=default -f reconcile.sql

# more than one machine: two books on two nodes, routed by ledger_router
LEDGER_BUILT=1 bash "$top/examples/router_demo.sh"
