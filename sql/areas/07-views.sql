-- sql/areas/07-views.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- ===========================================================================
-- 7. Views
-- ===========================================================================

CREATE VIEW ledger.journal AS
	SELECT v.book_date, v.id AS voucher_id, v.idempotency_key, v.ref, v.summary,
	       e.line_no, a.code AS account_code, a.name AS account_name,
	       CASE WHEN (ledger.minor_units(e.amount) > 0) <> e.red THEN e.amount END AS debit,
	       CASE WHEN (ledger.minor_units(e.amount) < 0) <> e.red THEN OPERATOR(ledger.-) e.amount END AS credit,
	       e.memo
	  FROM ledger.entry e
	  JOIN ledger.voucher v ON v.id = e.voucher_id
	  JOIN ledger.account a ON a.id = e.account_id;
COMMENT ON VIEW ledger.journal IS
	'the journal (日记账): one row per entry, debit and credit as positive amounts; a red-letter entry (红字) on its side as a negative figure';
COMMENT ON COLUMN ledger.journal.book_date IS 'the voucher''s book date (会计日期)';
COMMENT ON COLUMN ledger.journal.voucher_id IS 'the voucher (记账凭证)';
COMMENT ON COLUMN ledger.journal.idempotency_key IS 'the voucher''s idempotency key';
COMMENT ON COLUMN ledger.journal.ref IS 'the voucher''s business reference, matched by reconciliation';
COMMENT ON COLUMN ledger.journal.summary IS 'the voucher''s summary (摘要)';
COMMENT ON COLUMN ledger.journal.line_no IS 'the entry''s line number within the voucher';
COMMENT ON COLUMN ledger.journal.account_code IS 'code of the entry''s account';
COMMENT ON COLUMN ledger.journal.account_name IS 'name of the entry''s account';
COMMENT ON COLUMN ledger.journal.debit IS 'amount on the debit side: positive, or negative for a red entry; NULL on the credit side';
COMMENT ON COLUMN ledger.journal.credit IS 'amount on the credit side: positive, or negative for a red entry; NULL on the debit side';
COMMENT ON COLUMN ledger.journal.memo IS 'the entry''s memo';

CREATE VIEW ledger.balances AS
	WITH leaf AS (
		SELECT a.id, a.currency, sum(b.units) AS units, sum(b.held_debit) AS held_debit,
		       sum(b.held_credit) AS held_credit
		  FROM ledger.account a
		  JOIN ledger.account_balance b ON b.account_id = a.id
		 WHERE NOT EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = a.code)
		   AND a.currency IS NOT NULL
		 GROUP BY a.id, a.currency),
	rolled AS (
		SELECT t.ancestor_id AS ancestor, l.currency, sum(l.units) AS units,
		       sum(l.held_debit) AS held_debit, sum(l.held_credit) AS held_credit
		  FROM ledger.account_tree t JOIN leaf l ON l.id = t.account_id
		 GROUP BY t.ancestor_id, l.currency)
	SELECT a.code AS account_code, a.name AS account_name, a.kind, r.currency,
	       ledger._amount_of_sum(r.units * ledger._normal_sign(a.kind, a.metadata), r.currency, a.code, 'balance') AS balance,
	       ledger._amount_of_sum(r.held_debit, r.currency, a.code, 'held debit total') AS held_debit,
	       ledger._amount_of_sum(r.held_credit, r.currency, a.code, 'held credit total') AS held_credit,
	       ledger._amount_of_sum(r.units * ledger._normal_sign(a.kind, a.metadata)
	           - CASE WHEN ledger._normal_sign(a.kind, a.metadata) > 0 THEN r.held_credit ELSE r.held_debit END,
	           r.currency, a.code, 'available balance') AS available
	  FROM rolled r JOIN ledger.account a ON a.id = r.ancestor;
COMMENT ON VIEW ledger.balances IS
	'current balance of every account on its normal side, summary accounts rolled up from their leaves (one row per currency), with the money pending holds reserve';
COMMENT ON COLUMN ledger.balances.account_code IS 'account code';
COMMENT ON COLUMN ledger.balances.account_name IS 'account name';
COMMENT ON COLUMN ledger.balances.kind IS 'account kind, which fixes the normal side';
COMMENT ON COLUMN ledger.balances.currency IS 'currency of the row (a multi-currency summary account has one row per currency)';
COMMENT ON COLUMN ledger.balances.balance IS 'current balance on the account''s normal side, summary accounts rolled up from their leaves';
COMMENT ON COLUMN ledger.balances.held_debit IS 'debits of pending holds (until ledger.expire_holds() marks a hold past its expiry, it is counted here)';
COMMENT ON COLUMN ledger.balances.held_credit IS 'credits of pending holds (until ledger.expire_holds() marks a hold past its expiry, it is counted here)';
COMMENT ON COLUMN ledger.balances.available IS 'balance less the held amounts that would lower it, a hold past its expiry counted until ledger.expire_holds() marks it (ledger.available() and the bound checks leave it out at once)';

