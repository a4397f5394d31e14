-- examples/company.sql — the chart of accounts of Example Pay Co. (示例支付),
-- a small licensed payment institution.  Loaded by `make demo`.
--
-- Customer money sits in reserve funds (备付金) at ICBC; the WeChat Pay and
-- Alipay channels owe us what users paid through them until they settle;
-- every customer and merchant has a wallet, a liability that may not go below
-- zero.  Fee income and the reserve account are touched by most vouchers, so
-- they are hot accounts (热点账户).

SELECT ledger.open_books('2026-11-02');

INSERT INTO ledger.account (code, name, kind, currency, hot) VALUES
	('1002',       'Bank deposits (银行存款)',                   'asset',     NULL,  false),
	('1002.01',    'Reserve funds at ICBC (备付金)',             'asset',     'CNY', true),
	('1002.02',    'Own funds at CMB (自有资金)',                'asset',     'CNY', false),
	('1002.03',    'Reserve funds in USD at BOC',                'asset',     'USD', false),
	('1122',       'Channel receivables (应收账款)',             'asset',     'CNY', false),
	('2241',       'Customer wallets (客户备付金负债)',          'liability', NULL,  false),
	('4001',       'Paid-in capital (实收资本)',                 'equity',    'CNY', false),
	('6021',       'Fee income (手续费收入)',                    'revenue',   'CNY', true),
	('6602',       'Channel fees (渠道手续费)',                  'expense',   'CNY', false);

UPDATE ledger.account SET parent_code = '1002' WHERE code IN ('1002.01', '1002.02', '1002.03');

INSERT INTO ledger.account (code, name, kind, currency, parent_code) VALUES
	('1122.01',    'WeChat Pay receivable (微信支付)',           'asset',     'CNY', '1122'),
	('1122.02',    'Alipay receivable (支付宝)',                 'asset',     'CNY', '1122');
-- the channel receivables and the reserve-fund bank account are clearing accounts: reconciliation may read them
UPDATE ledger.account SET reconcilable = true WHERE code IN ('1122.01', '1122.02', '1002.01');

INSERT INTO ledger.account (code, name, kind, currency, parent_code, floor, ceiling) VALUES
	('2241.10001', 'Wallet: Zhang San',                          'liability', 'CNY', '2241', '0 CNY', NULL),
	('2241.10002', 'Wallet: Li Si',                              'liability', 'CNY', '2241', '0 CNY', NULL),
	('2241.10003', 'Wallet: Wang Wu (Class II, ceiling 10000)',  'liability', 'CNY', '2241', '0 CNY', '10000 CNY'),
	('2241.20001', 'Merchant: Corner Coffee',                    'liability', 'CNY', '2241', '0 CNY', NULL),
	('2241.20002', 'Merchant: Riverside Books',                  'liability', 'CNY', '2241', '0 CNY', NULL),
	('2241.30001', 'Merchant: Lotus Export Ltd (USD)',           'liability', 'USD', '2241', '0 USD', NULL);
