--
-- account: the chart of accounts, book days, balance rows
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;

-- the books start on a fixed date (no voucher exists yet)
SELECT ledger.open_books('2026-11-02');
SELECT ledger.current_book_date();
SELECT book_date, status FROM ledger.book_day;
SELECT ledger.open_books('2026-11-02');	-- again, still empty: fine
SELECT ledger.open_books(NULL);

-- a small chart: summary accounts first, then their leaves
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('1002', 'Bank deposits', 'asset', NULL),
	('1122', 'Channel receivables', 'asset', 'cny'),
	('2241', 'Customer wallets', 'liability', 'CNY'),
	('6021', 'Fee income', 'revenue', 'CNY'),
	('6602', 'Channel fees', 'expense', 'CNY'),
	('3001', 'Clearing (common, credit side)', 'common', 'CNY');
UPDATE ledger.account SET metadata = '{"normal_side": "credit"}' WHERE code = '3001';
INSERT INTO ledger.account (code, name, kind, currency, parent_code, hot) VALUES
	('1002.01', 'Reserve funds', 'asset', 'CNY', '1002', true),
	('1002.02', 'USD account', 'asset', 'USD', '1002', false),
	('1122.01', 'WeChat Pay receivable', 'asset', 'CNY', '1122', false),
	('1122.02', 'Alipay receivable', 'asset', 'CNY', '1122', false);
INSERT INTO ledger.account (code, name, kind, currency, parent_code, floor, ceiling) VALUES
	('2241.001', 'Wallet A', 'liability', 'CNY', '2241', '0 CNY', NULL),
	('2241.002', 'Wallet B', 'liability', 'CNY', '2241', '0 CNY', '500.00 CNY'),
	('2241.003', 'Wallet C', 'liability', 'CNY', '2241', NULL, NULL);

-- currencies are stored as ledger.currency() writes them
SELECT code, kind, currency, ledger.normal_side(kind, metadata), hot, status
  FROM ledger.account ORDER BY code;

-- balance rows: one per account, a hot account gets ledger.hot_slots slots;
-- blocked says why an account takes no postings, bounds on the normal side
SHOW ledger.hot_slots;
SELECT a.code, count(*) AS slots, min(b.blocked) AS blocked,
       min(b.floor_units) AS floor_units, min(b.ceiling_units) AS ceiling_units
  FROM ledger.account a JOIN ledger.account_balance b ON b.account_id = a.id
 GROUP BY a.code ORDER BY a.code;

-- balances start at zero; a multi-currency summary has no single balance
SELECT ledger.balance('2241.001'), ledger.balance('2241'), ledger.balance('1122');
SELECT ledger.balance('1002');
SELECT ledger.balance('nope');

-- bad accounts
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('9001', 'x', 'income', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('9001', 'x', 'asset', 'CN');
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('9001', 'x', 'asset', 'POINTS');
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('90 01', 'x', 'asset', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency, floor) VALUES ('9001', 'x', 'asset', 'CNY', '0 USD');
INSERT INTO ledger.account (code, name, kind, currency, floor, ceiling) VALUES ('9001', 'x', 'asset', 'CNY', '10 CNY', '5 CNY');
INSERT INTO ledger.account (code, name, kind, currency, floor) VALUES ('9001', 'x', 'asset', NULL, '0 CNY');
INSERT INTO ledger.account (code, name, kind, currency, hot, floor) VALUES ('9001', 'x', 'asset', 'CNY', true, '0 CNY');
INSERT INTO ledger.account (code, name, kind, currency, metadata) VALUES ('9001', 'x', 'asset', 'CNY', '{"normal_side": "credit"}');
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('9001', 'x', 'asset', 'CNY', '9999');
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('2241.009', 'x', 'asset', 'CNY', '2241');
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('2241.009', 'x', 'liability', 'USD', '2241');
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('2241.001', 'dup', 'liability', 'CNY');
UPDATE ledger.account SET parent_code = '2241.001' WHERE code = '2241';	-- a cycle
UPDATE ledger.account SET id = 999 WHERE code = '6602';

-- an account without postings may be changed and deleted
UPDATE ledger.account SET name = 'Channel fee expense', currency = 'cny' WHERE code = '6602';
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('9002', 'temporary', 'asset', 'CNY');
DELETE FROM ledger.account WHERE code = '9002';
SELECT count(*) FROM ledger.account_balance b
 WHERE NOT EXISTS (SELECT 1 FROM ledger.account a WHERE a.id = b.account_id);

-- a leaf that becomes a parent is blocked; deleting its child unblocks it
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('9003', 'leaf for now', 'asset', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('9003.1', 'child', 'asset', 'CNY', '9003');
SELECT b.blocked FROM ledger.account_balance b JOIN ledger.account a ON a.id = b.account_id WHERE a.code = '9003';
DELETE FROM ledger.account WHERE code = '9003.1';
SELECT b.blocked FROM ledger.account_balance b JOIN ledger.account a ON a.id = b.account_id WHERE a.code = '9003';
DELETE FROM ledger.account WHERE code = '9003';

-- the account tree (ledger.account_tree) follows inserts, moves of a subtree
-- and deletes: it always equals the closure of parent_code
CREATE TEMP VIEW tree_drift AS
WITH RECURSIVE up(account_id, ancestor_id, depth) AS (
	SELECT a.id, a.id, 0 FROM ledger.account a
	UNION ALL
	SELECT up.account_id, p.id, up.depth + 1
	  FROM up JOIN ledger.account c ON c.id = up.ancestor_id JOIN ledger.account p ON p.code = c.parent_code)
(SELECT 'missing' AS what, * FROM up EXCEPT SELECT 'missing', * FROM ledger.account_tree)
UNION ALL
(SELECT 'extra', * FROM ledger.account_tree EXCEPT SELECT 'extra', * FROM up);
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES
	('9100', 'tree A', 'asset', NULL, NULL),
	('9200', 'tree B', 'asset', NULL, NULL);
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('9100.1', 'A.1', 'asset', NULL, '9100');
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('9100.1.1', 'A.1.1', 'asset', 'CNY', '9100.1'),
	('9100.1.2', 'A.1.2', 'asset', 'CNY', '9100.1');
SELECT count(*) AS drift FROM tree_drift;
SELECT a.code, string_agg(p.code, ' < ' ORDER BY t.depth) AS ancestors
  FROM ledger.account a JOIN ledger.account_tree t ON t.account_id = a.id JOIN ledger.account p ON p.id = t.ancestor_id
 WHERE a.code LIKE '9100.1%' GROUP BY a.code ORDER BY a.code;
UPDATE ledger.account SET parent_code = '9200' WHERE code = '9100.1';	-- the subtree moves
SELECT count(*) AS drift FROM tree_drift;
SELECT a.code, string_agg(p.code, ' < ' ORDER BY t.depth) AS ancestors
  FROM ledger.account a JOIN ledger.account_tree t ON t.account_id = a.id JOIN ledger.account p ON p.id = t.ancestor_id
 WHERE a.code LIKE '9100.1%' GROUP BY a.code ORDER BY a.code;
UPDATE ledger.account SET parent_code = NULL WHERE code = '9100.1';	-- to the top
SELECT count(*) AS drift FROM tree_drift;
DELETE FROM ledger.account WHERE code IN ('9100.1.1', '9100.1.2');
DELETE FROM ledger.account WHERE code IN ('9100.1', '9100', '9200');
SELECT (SELECT count(*) FROM tree_drift) AS drift,
       (SELECT count(*) FROM ledger.account_tree t
         WHERE NOT EXISTS (SELECT FROM ledger.account a WHERE a.id = t.account_id)) AS rows_of_deleted;
DROP VIEW tree_drift;

-- hot on and off: slots appear and fold back
UPDATE ledger.account SET hot = true WHERE code = '6021';
SELECT count(*) FROM ledger.account_balance b JOIN ledger.account a ON a.id = b.account_id WHERE a.code = '6021';
UPDATE ledger.account SET hot = false WHERE code = '6021';
SELECT count(*) FROM ledger.account_balance b JOIN ledger.account a ON a.id = b.account_id WHERE a.code = '6021';
UPDATE ledger.account SET hot = true WHERE code = '6021';

-- book days: one open day, moves only while the books are empty
INSERT INTO ledger.book_day (book_date, status) VALUES ('2026-11-03', 'open');
UPDATE ledger.book_day SET status = 'closed';
DELETE FROM ledger.book_day;
TRUNCATE ledger.book_day;
TRUNCATE ledger.account;
SELECT book_date, status FROM ledger.book_day;
