-- sql/areas/08-privileges.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- ===========================================================================
-- 8. Dump registration, privileges, the first open day
-- ===========================================================================

SELECT pg_catalog.pg_extension_config_dump('ledger.account', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.account_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.account_balance', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.account_tree', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.book_day', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.voucher', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.voucher_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.entry', '');

REVOKE ALL ON ALL TABLES IN SCHEMA ledger FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA ledger FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION
	ledger._voucher_inserted(), ledger._entry_inserted(), ledger._immutable(), ledger._invalidate(),
	ledger._hot_slots(), ledger._account_posted(bigint), ledger._account_blocked(ledger.account),
	ledger._account_before(), ledger._account_after(), ledger._account_delete(), ledger._book_day_guard(),
	ledger.open_books(date),
	ledger.post(text, text[], ledger.amount[], text, text, jsonb),
	ledger.post(text, text[], text[], text, text, jsonb),
	ledger.post(text, text[], text, text, text, jsonb),
	ledger.reverse(bigint, text, text, boolean),
	ledger.balance(text)
	FROM PUBLIC;

-- the first book day: today's date in ledger.book_timezone (empty: the session's TimeZone)
INSERT INTO ledger.book_day (book_date, status)
VALUES ((pg_catalog.now() AT TIME ZONE COALESCE(NULLIF(pg_catalog.current_setting('ledger.book_timezone', true), ''),
                                                pg_catalog.current_setting('TimeZone')))::date, 'open');

