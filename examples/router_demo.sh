#!/usr/bin/env bash
# examples/router_demo.sh — the end of `make demo`: Example Pay Co.'s two
# legal entities as two books on two nodes, routed by ledger_router (PL/Proxy):
# book cn (Example Pay Shanghai, CNY and USD) on node 1, book hk (Example Pay
# Hong Kong, USD) on node 2, and a router.  A customer of the Shanghai entity
# pays a merchant of the Hong Kong entity; then the consolidated trial
# balance, the global checks and the day-end of both books.
# Runs on throwaway clusters of its own (tmp_check/demo-multi-*).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/tools/pgenv.sh"
source "$top/tools/router_env.sh"

mkdir -p "$LEDGER_TMP"
if [ -z "${LEDGER_BUILT:-}" ]; then   # (examples/demo.sh has built and installed already)
	ledger_ensure_deps
	ledger_build
fi
router_clusters_start demo-multi "${ROUTER_DEMO_PORT:-54360}" 2
[ "${KEEP:-0}" = 1 ] || trap 'rc=$?; router_clusters_stop demo-multi 2; [ $rc -ne 0 ] || ledger_tmp_clean "demo-multi-*"' EXIT

banner() { printf '\n==== %s ====\n\n' "$*"; }
node() { local i=$1 db=$2; shift 2; ( router_node_env "$i"; ledger_psql -d "$db" "$@" 2>&1 ); }
router() { ( router_env; ledger_psql -d router "$@" 2>&1 ); }

banner "More than one machine: two books on two nodes, and a router"
for i in 1 2; do
	db=$([ $i = 1 ] && echo book_cn || echo book_hk)
	( router_node_env $i; ledger_psql -d postgres -c "CREATE DATABASE $db" >/dev/null )
	node $i $db -c "CREATE EXTENSION ledger" -c "SELECT ledger.open_books('2026-11-02')" >/dev/null
done
node 1 book_cn >/dev/null <<'SQL'
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES
	('1002.01', 'reserve funds CNY (备付金)', 'asset', 'CNY', true),
	('1002.02', 'reserve funds USD', 'asset', 'USD', true),
	('1221.hk', 'clearing with Example Pay Hong Kong', 'common', 'USD', true);
INSERT INTO ledger.account (code, name, kind, currency, floor) VALUES
	('2241.c001', 'customer Li Lei, CNY wallet', 'liability', 'CNY', '0 CNY'),
	('2241.c001u', 'customer Li Lei, USD wallet', 'liability', 'USD', '0 USD');
SQL
node 2 book_hk >/dev/null <<'SQL'
INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES
	('1002.02', 'reserve funds USD', 'asset', 'USD', true),
	('1221.cn', 'clearing with Example Pay Shanghai', 'common', 'USD', true);
INSERT INTO ledger.account (code, name, kind, currency, floor) VALUES
	('2241.m042', 'merchant Harbour Books, USD wallet', 'liability', 'USD', '0 USD');
SQL
( router_env; ledger_psql -d postgres -c "CREATE DATABASE router" >/dev/null )
router -c "SET client_min_messages = warning" -c "CREATE EXTENSION ledger_router CASCADE" >/dev/null
router -c "SELECT ledger_router.add_book('cn', '$(router_connstr 1 book_cn)')" \
	-c "SELECT ledger_router.add_book('hk', '$(router_connstr 2 book_hk)')" \
	-c "INSERT INTO ledger_router.clearing (book, counterparty_book, account) VALUES ('cn', 'hk', '1221.hk'), ('hk', 'cn', '1221.cn')" >/dev/null
router -c "SELECT book, connstr, partition FROM ledger_router.books"
router -c "SELECT * FROM ledger_router.clearing"

banner "Posting through the router: each call runs on the node of its book"
router -c "SELECT ledger_router.post('cn', 'topup-1', ARRAY['1002.01', '2241.c001'], ARRAY['5000 CNY', '-5000 CNY']) AS topup_cny,
                  ledger_router.post('cn', 'topup-2', ARRAY['1002.02', '2241.c001u'], ARRAY['800 USD', '-800 USD']) AS topup_usd,
                  ledger_router.post('hk', 'settle-1', ARRAY['1002.02', '2241.m042'], ARRAY['120 USD', '-120 USD']) AS merchant_sale"

banner "An inter-book transfer: Li Lei (book cn) pays Harbour Books (book hk) 250.00 USD"
router -c "SELECT * FROM ledger_router.transfer('order-7781', 'cn', '2241.c001u', 'hk', '2241.m042', '250 USD', 'order 7781')"
echo "The same call again (a client retrying after a timeout, say) returns the same pair:"
router -c "SELECT * FROM ledger_router.transfer('order-7781', 'cn', '2241.c001u', 'hk', '2241.m042', '250 USD', 'order 7781')"
echo "On node 1, book cn:"
node 1 book_cn -c "SELECT voucher_id, idempotency_key, account_code, debit, credit FROM ledger.journal WHERE ref = 'order-7781' ORDER BY voucher_id, line_no"
echo "On node 2, book hk:"
node 2 book_hk -c "SELECT voucher_id, idempotency_key, account_code, debit, credit FROM ledger.journal WHERE ref = 'order-7781' ORDER BY voucher_id, line_no"
router -c "SELECT ledger_router.balance('cn', '2241.c001u') AS li_lei_usd, ledger_router.balance('hk', '2241.m042') AS harbour_books_usd"

banner "Consolidated trial balance (合并试算平衡表) of 2026-11-02: each book, every account over both books, totals"
router -c "SELECT book, account_code, account_name, currency, period_debit, period_credit, closing_debit, closing_credit
             FROM ledger_router.trial_balance('2026-11-02')"

banner "Checks of both books and the global check"
router -c "SELECT book, check_name, currency, ok, detail FROM ledger_router.check_books('2026-11-02')
            WHERE book IS NULL OR check_name IN ('vouchers_balanced', 'closing_balances_net_zero')"

banner "Day-end of both books: CALL ledger_router.close_day()"
router -c "CALL ledger_router.close_day()"
router -c "SELECT book_date, status, books, encode(digest, 'hex') AS global_digest FROM ledger_router.global_day"
router -c "SELECT * FROM ledger_router.verify_books('2026-11-02', '2026-11-02')"
