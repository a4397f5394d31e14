/* ledger--1.0--1.1.sql — update from 1.0 to 1.1 (ALTER EXTENSION ledger UPDATE) */

\echo Use "ALTER EXTENSION ledger UPDATE TO '1.1'" to load this file. \quit

-- Every step below has its counterpart in sql/areas/, from which a fresh 1.1
-- install is assembled; test/scripts/upgrade.sh checks that both give the same
-- catalog and that the books survive the update.

-- ---- reliability: long codes, concurrent reversals, rules, book dates, audit columns, error context ----

-- account codes: one limit, 64 characters, compared whole by the C code
COMMENT ON COLUMN ledger.account.code IS 'account code, e.g. ''1002.01'': 1 to 64 characters (not bytes) without spaces or control characters, compared whole; immutable once posted to';
