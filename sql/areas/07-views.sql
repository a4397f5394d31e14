-- sql/areas/07-views.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- ===========================================================================
-- 7. Views
-- ===========================================================================

CREATE VIEW ledger.journal AS
	SELECT v.book_date, v.id AS voucher_id, v.idempotency_key, v.ref, v.summary,
	       e.line_no, a.code AS account_code, a.name AS account_name,
	       CASE WHEN ledger.minor_units(e.amount) > 0 THEN e.amount END AS debit,
	       CASE WHEN ledger.minor_units(e.amount) < 0 THEN OPERATOR(ledger.-) e.amount END AS credit,
	       e.memo
	  FROM ledger.entry e
	  JOIN ledger.voucher v ON v.id = e.voucher_id
	  JOIN ledger.account a ON a.id = e.account_id;
COMMENT ON VIEW ledger.journal IS 'the journal (日记账): one row per entry, debit and credit as positive amounts';

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
	       ledger.amount_of_units((r.units * ledger._normal_sign(a.kind, a.metadata))::bigint, r.currency) AS balance,
	       ledger.amount_of_units(r.held_debit::bigint, r.currency) AS held_debit,
	       ledger.amount_of_units(r.held_credit::bigint, r.currency) AS held_credit,
	       ledger.amount_of_units((r.units * ledger._normal_sign(a.kind, a.metadata)
	           - CASE WHEN ledger._normal_sign(a.kind, a.metadata) > 0 THEN r.held_credit ELSE r.held_debit END)::bigint,
	           r.currency) AS available
	  FROM rolled r JOIN ledger.account a ON a.id = r.ancestor;
COMMENT ON VIEW ledger.balances IS
	'current balance of every account on its normal side, summary accounts rolled up from their leaves (one row per currency), with the money pending holds reserve';
COMMENT ON COLUMN ledger.balances.account_code IS 'account code';
COMMENT ON COLUMN ledger.balances.account_name IS 'account name';
COMMENT ON COLUMN ledger.balances.kind IS 'account kind';
COMMENT ON COLUMN ledger.balances.currency IS 'currency of the row';
COMMENT ON COLUMN ledger.balances.balance IS 'balance on the normal side, as ledger.balance() returns it';
COMMENT ON COLUMN ledger.balances.held_debit IS 'debits of pending holds (until ledger.expire_holds() marks a hold past its expiry, it is counted here)';
COMMENT ON COLUMN ledger.balances.held_credit IS 'credits of pending holds (until ledger.expire_holds() marks a hold past its expiry, it is counted here)';
COMMENT ON COLUMN ledger.balances.available IS 'balance less the held amounts that would lower it (ledger.available() also leaves out holds past their expiry)';
