/* ledger--1.0--1.1.sql — update from 1.0 to 1.1 (ALTER EXTENSION ledger UPDATE) */

\echo Use "ALTER EXTENSION ledger UPDATE TO '1.1'" to load this file. \quit

-- Every step below has its counterpart in sql/areas/, from which a fresh 1.1
-- install is assembled; test/scripts/upgrade.sh checks that both give the same
-- catalog and that the books survive the update.

-- ---- comments on every view column (README tells the truth) ----

COMMENT ON COLUMN ledger.journal.book_date IS 'the voucher''s book date (会计日期)';
COMMENT ON COLUMN ledger.journal.voucher_id IS 'the voucher (记账凭证)';
COMMENT ON COLUMN ledger.journal.idempotency_key IS 'the voucher''s idempotency key';
COMMENT ON COLUMN ledger.journal.ref IS 'the voucher''s business reference, matched by reconciliation';
COMMENT ON COLUMN ledger.journal.summary IS 'the voucher''s summary (摘要)';
COMMENT ON COLUMN ledger.journal.line_no IS 'the entry''s line number within the voucher';
COMMENT ON COLUMN ledger.journal.account_code IS 'code of the entry''s account';
COMMENT ON COLUMN ledger.journal.account_name IS 'name of the entry''s account';
COMMENT ON COLUMN ledger.journal.debit IS 'the entry''s amount if a debit (positive), else NULL';
COMMENT ON COLUMN ledger.journal.credit IS 'the negated amount of a credit entry (positive), else NULL';
COMMENT ON COLUMN ledger.journal.memo IS 'the entry''s memo';
COMMENT ON COLUMN ledger.balances.account_code IS 'account code';
COMMENT ON COLUMN ledger.balances.account_name IS 'account name';
COMMENT ON COLUMN ledger.balances.kind IS 'account kind, which fixes the normal side';
COMMENT ON COLUMN ledger.balances.currency IS 'currency of the row (a multi-currency summary account has one row per currency)';
COMMENT ON COLUMN ledger.balances.balance IS 'current balance on the account''s normal side, summary accounts rolled up from their leaves';
COMMENT ON COLUMN ledger._account_closure.account_id IS 'the account';
COMMENT ON COLUMN ledger._account_closure.ancestor_id IS 'the account itself or a summary account above it';
COMMENT ON COLUMN ledger._account_closure.depth IS 'levels from the account up to the ancestor (0 for the account itself)';
COMMENT ON COLUMN ledger._leaf.id IS 'account id';
COMMENT ON COLUMN ledger._leaf.code IS 'account code';
COMMENT ON COLUMN ledger._leaf.currency IS 'account currency';
COMMENT ON COLUMN ledger._leaf.kind IS 'account kind';
COMMENT ON COLUMN ledger._leaf.metadata IS 'account metadata (normal_side of a common account)';
COMMENT ON COLUMN ledger.recon_report.source IS 'the channel reconciled';
COMMENT ON COLUMN ledger.recon_report.statement_date IS 'the statement date and book date reconciled';
COMMENT ON COLUMN ledger.recon_report.account_code IS 'the clearing account whose entries were the internal side';
COMMENT ON COLUMN ledger.recon_report.currency IS 'currency of the clearing account';
COMMENT ON COLUMN ledger.recon_report.internal_count IS 'internal items considered: the day''s vouchers with a ref on the account plus the pending items of earlier days';
COMMENT ON COLUMN ledger.recon_report.internal_amount IS 'sum of the internal items considered';
COMMENT ON COLUMN ledger.recon_report.external_count IS 'statement lines of the source and date';
COMMENT ON COLUMN ledger.recon_report.external_amount IS 'sum of those statement lines';
COMMENT ON COLUMN ledger.recon_report.matched_count IS 'keys matched (对平)';
COMMENT ON COLUMN ledger.recon_report.matched_amount IS 'amount matched';
COMMENT ON COLUMN ledger.recon_report.missing_internal_count IS 'keys only the statement has (长款 / 平台漏单)';
COMMENT ON COLUMN ledger.recon_report.missing_internal_amount IS 'statement amount of those keys';
COMMENT ON COLUMN ledger.recon_report.missing_external_count IS 'keys only our books have, past the grace days (短款 / 渠道漏单)';
COMMENT ON COLUMN ledger.recon_report.missing_external_amount IS 'our amount of those keys';
COMMENT ON COLUMN ledger.recon_report.amount_mismatch_count IS 'keys whose amounts differ (金额不符)';
COMMENT ON COLUMN ledger.recon_report.amount_mismatch_amount IS 'net difference (internal - external) of those keys';
COMMENT ON COLUMN ledger.recon_report.status_mismatch_count IS 'keys whose statuses differ (状态不符)';
COMMENT ON COLUMN ledger.recon_report.status_mismatch_amount IS 'our amount of those keys';
COMMENT ON COLUMN ledger.recon_report.duplicate_count IS 'keys with more than one record on a side (重复)';
COMMENT ON COLUMN ledger.recon_report.duplicate_amount IS 'net difference (internal - external, a missing side as zero) of those keys';
COMMENT ON COLUMN ledger.recon_report.pending_count IS 'internal items left in the pending pool, within the grace days (not breaks)';
COMMENT ON COLUMN ledger.recon_report.pending_amount IS 'amount of those items';
COMMENT ON COLUMN ledger.recon_report.open_breaks IS 'breaks of this statement date still open';
COMMENT ON COLUMN ledger.recon_report.source_open_breaks IS 'breaks of the source still open, of this statement date or earlier';
COMMENT ON COLUMN ledger.recon_report.oldest_open_days IS 'age in days (from today) of the oldest of those open breaks, NULL if none';
COMMENT ON COLUMN ledger.recon_report.runs IS 'how many times the (source, date) was reconciled';
COMMENT ON COLUMN ledger.recon_report.finished_at IS 'end of the latest run';
