--
-- limits: values too long for the ledger's indexes are refused with a clear
-- error naming what is too long, on every path
--
--   idempotency keys and refs of vouchers (post, reverse, post_hold, INSERT,
--   COPY) and holds: at most 2048 bytes, 54000
--   a summary account's roll-up beyond 64 bits: a 22003 naming the account,
--   the currency and the sum from ledger.balance, ledger.available,
--   ledger.balances and ledger.trial_balance (not "bigint out of range")
--   statement lines' refs from the loaders: 22P04 naming the line; a source
--   name of more than 256 bytes: 54000, from every loader and reconcile
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS ledger_regress_limits;
CREATE DATABASE ledger_regress_limits;
\c ledger_regress_limits
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('bank', 'reserve funds', 'asset', 'CNY'), ('wallet', 'wallet', 'liability', 'CNY');
-- a random (incompressible) text of n bytes, the same on every run
CREATE FUNCTION pg_temp.noise(n int) RETURNS text LANGUAGE sql AS $$
	SELECT left(string_agg(md5(i::text), ''), n) FROM generate_series(1, n / 32 + 1) i
$$;

-- 2048 bytes is a key; 2049 is not (54000, naming the start of the key)
SELECT ledger.post(pg_temp.noise(2048), '{bank,wallet}', '{1.00 CNY,-1.00 CNY}') > 0 AS posted;
SELECT ledger.post(pg_temp.noise(2049), '{bank,wallet}', '{1.00 CNY,-1.00 CNY}');
-- a key that compresses well fit the index before; it is refused all the same
SELECT ledger.post(repeat('k', 5000), '{bank,wallet}', '{1.00 CNY,-1.00 CNY}');
-- the ref
SELECT ledger.post('long-ref', '{bank,wallet}', '{1.00 CNY,-1.00 CNY}', ref => pg_temp.noise(3000));
SELECT ledger.post('ok-ref', '{bank,wallet}', '{1.00 CNY,-1.00 CNY}', ref => pg_temp.noise(2048)) > 0 AS posted;
-- multibyte: the DETAIL quotes whole characters
SELECT ledger.post(repeat('键', 700), '{bank,wallet}', '{1.00 CNY,-1.00 CNY}');
-- reverse
SELECT ledger.reverse((SELECT id FROM ledger.voucher WHERE idempotency_key = 'ok-ref'), pg_temp.noise(2100));
-- plain INSERT and COPY
BEGIN;
INSERT INTO ledger.voucher (id, idempotency_key) VALUES (nextval('ledger.voucher_id_seq'), pg_temp.noise(2700));
ROLLBACK;
-- holds: the key, and the ref the posting voucher will carry
SELECT ledger.hold(pg_temp.noise(2049), '{bank,wallet}', '{1.00 CNY,-1.00 CNY}');
SELECT ledger.hold('h-ref', '{bank,wallet}', '{1.00 CNY,-1.00 CNY}', ref => pg_temp.noise(2049));
SELECT ledger.hold('h1', '{bank,wallet}', '{1.00 CNY,-1.00 CNY}') AS h1 \gset
SELECT ledger.post_hold(:h1, pg_temp.noise(4000));
SELECT count(*) AS vouchers, max(octet_length(idempotency_key)) AS longest_key FROM ledger.voucher;

-- statements: a WeChat bill whose 商户订单号 (the ref) is 3,000 bytes
CREATE FUNCTION pg_temp.wx_bill(ref text) RETURNS text LANGUAGE sql AS $$
	SELECT E'交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\n'
	       || E'`2026-11-02 08:00:01,`wx2421b1c4370ec43b,`1900000109,`0,`,`4200000101202611020000000101,`'
	       || ref || E',`oUpF8uMuAJO,`APP,`SUCCESS,`CMB_DEBIT,`CNY,`100.00,`0.00,`,`,`0.00,`0.00,`,`,`x,`,`0.60,`0.60%,`100.00,`0.00,`\n'
	       || E'总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n`1,`100.00,`0.00,`0.00,`0.60,`100.00,`0.00\n'
$$;
SELECT ledger.load_wechat_bill('wx', '2026-11-02', pg_temp.wx_bill(pg_temp.noise(3000)));
SELECT line_count FROM ledger.load_wechat_bill('wx', '2026-11-02', pg_temp.wx_bill(pg_temp.noise(2048)));
-- the generic CSV loader
SELECT ledger.load_statement_csv('csv', '2026-11-02',
	E'ref,external_id,amount\nT-1,S-1,1.00\n' || pg_temp.noise(2049) || E',S-2,10.00\n');
SELECT ledger.load_statement_csv('csv', '2026-11-02',
	E'ref,external_id,amount\nT-1,' || pg_temp.noise(2049) || E',10.00\n');
-- a source name of more than 256 bytes, from a loader and from reconcile
SELECT ledger.load_wechat_bill(repeat('源', 86), '2026-11-02', pg_temp.wx_bill('T-1'));
SELECT line_count FROM ledger.load_wechat_bill(repeat('源', 85), '2026-11-02', pg_temp.wx_bill('T-1'));
INSERT INTO ledger.account (code, name, kind, currency, reconcilable) VALUES ('wx-clearing', 'wechat receivable', 'asset', 'CNY', true);
CALL ledger.reconcile(repeat('s', 257), '2026-11-02', 'wx-clearing');
-- the longest source with the longest ref fits the pending pool's index
SELECT ledger.post('wx-long-ref', '{wx-clearing,bank}', '{5.00 CNY,-5.00 CNY}', ref => pg_temp.noise(2048)) > 0 AS posted;
CALL ledger.reconcile(repeat('s', 256), '2026-11-02', 'wx-clearing');
SELECT source = repeat('s', 256) AS source_kept, statement_date FROM ledger.recon_run;
SELECT octet_length(source) AS source_bytes, octet_length(ref) AS ref_bytes FROM ledger.recon_pending;
-- and the break of the longest ref (the bill loaded above carries it, for 100.00)
CALL ledger.reconcile('wx', '2026-11-02', 'wx-clearing');
SELECT class, octet_length(ref) AS ref_bytes, internal_amount, external_amount FROM ledger.recon_break WHERE source = 'wx';

-- a summary account whose leaves' balances add up beyond 64 bits
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('T', 'summary', 'asset', 'CNY'), ('L1', 'l1', 'liability', 'CNY'), ('L2', 'l2', 'liability', 'CNY');
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES
	('T.1', 't1', 'asset', 'CNY', 'T'), ('T.2', 't2', 'asset', 'CNY', 'T');
SELECT ledger.post('big-1', '{T.1,L1}', '{92233720368547758.07 CNY,-92233720368547758.07 CNY}') > 0 AS posted,
       ledger.post('big-2', '{T.2,L2}', '{92233720368547758.07 CNY,-92233720368547758.07 CNY}') > 0 AS posted;
SELECT ledger.balance('T.1'), ledger.available('T.2');
SELECT ledger.balance('T');
SELECT ledger.balance('T', ledger.current_book_date());
SELECT ledger.available('T');
SELECT * FROM ledger.balances WHERE account_code = 'T';
SELECT account_code, balance FROM ledger.balances WHERE account_code IN ('T.1', 'T.2') ORDER BY 1;
SELECT * FROM ledger.trial_balance(ledger.current_book_date());

-- closed days (the trial balance reads the daily balances): two top-level
-- accounts whose total is beyond 64 bits, and a debit turnover over three
-- days beyond 64 bits, are named as on the open day
\c :regress_db
DROP DATABASE ledger_regress_limits;
CREATE DATABASE ledger_regress_limits;
\c ledger_regress_limits
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION ledger;
SELECT ledger.open_books('2026-11-02');
INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('A1', 'a1', 'asset', 'CNY'), ('A2', 'a2', 'asset', 'CNY'), ('M1', 'm1', 'liability', 'CNY'), ('M2', 'm2', 'liability', 'CNY');
SELECT ledger.post('big-3', '{A1,M1}', '{92233720368547758.07 CNY,-92233720368547758.07 CNY}') > 0 AS posted,
       ledger.post('big-4', '{A2,M2}', '{92233720368547758.07 CNY,-92233720368547758.07 CNY}') > 0 AS posted;
CALL ledger.close_day();
SELECT * FROM ledger.trial_balance('2026-11-02');
SELECT ledger.post('back', '{A1,M1}', '{-92233720368547758.07 CNY,92233720368547758.07 CNY}') > 0 AS posted;
CALL ledger.close_day();
SELECT ledger.post('again', '{A1,M1}', '{92233720368547758.07 CNY,-92233720368547758.07 CNY}') > 0 AS posted;
CALL ledger.close_day();
SELECT * FROM ledger.trial_balance('2026-11-03', '2026-11-04') WHERE account_code = 'A1';
SELECT * FROM ledger.trial_balance('2026-11-02', '2026-11-04') WHERE account_code = 'A1';

-- the chart of accounts has at most 16 levels (the tree keeps a row for every
-- account and each of its ancestors): a chain of 16 is taken, a 17th level is
-- refused (54000), and so is moving a branch of 2 under level 15
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('L1', 'level 1', 'asset', NULL);
DO $$
BEGIN
	FOR i IN 2..16 LOOP
		INSERT INTO ledger.account (code, name, kind, currency, parent_code)
			VALUES ('L' || i, 'level ' || i, 'asset', NULL, 'L' || (i - 1));
	END LOOP;
END $$;
SELECT max(depth) + 1 AS levels FROM ledger.account_tree t JOIN ledger.account a ON a.id = t.account_id WHERE a.code = 'L16';
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('L17', 'level 17', 'asset', NULL, 'L16');
INSERT INTO ledger.account (code, name, kind, currency) VALUES ('B1', 'branch', 'asset', NULL);
INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES ('B2', 'branch leaf', 'asset', 'CNY', 'B1');
UPDATE ledger.account SET parent_code = 'L14' WHERE code = 'B1';
UPDATE ledger.account SET parent_code = 'L15' WHERE code = 'B1';

-- a statement line has at most 65,536 bytes (the generic CSV loader splits
-- each line in SQL; a line of megabytes took a hundred times its size in memory)
SELECT line_count FROM ledger.load_statement_csv('csvlong', '2026-11-05',
	E'ref,external_id,amount,memo\nR-1,E-1,1.00,' || repeat('m', 65500) || E'\n');
SELECT ledger.load_statement_csv('csvlong', '2026-11-05',
	E'ref,external_id,amount,memo\nR-1,E-1,1.00,x\nR-2,E-2,1.00,' || repeat('m', 65537) || E'\n');

\c :regress_db
DROP DATABASE ledger_regress_limits;
