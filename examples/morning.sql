-- examples/morning.sql — a morning of business at Example Pay Co., posted the
-- way an application posts: one ledger.post call per business event.

\set ON_ERROR_STOP on

-- the owners pay in capital
SELECT ledger.post('CAP-0001', ARRAY['1002.02', '4001'],
	ARRAY['500000.00 CNY', '-500000.00 CNY']::ledger.amount[], 'paid-in capital') AS v \gset
\echo 'paid-in capital 500000.00 CNY                       ' voucher :v

-- top-ups: the channel owes us what the user paid, the wallet owes the user
SELECT ledger.post('TOPUP-0001', ARRAY['1122.01', '2241.10001'],
	ARRAY['1000.00 CNY', '-1000.00 CNY']::ledger.amount[], 'top-up via WeChat Pay', 'WX4200000001') AS v \gset
\echo 'Zhang San tops up 1000.00 via WeChat Pay            ' voucher :v
SELECT ledger.post('TOPUP-0002', ARRAY['1122.02', '2241.10002'],
	ARRAY['200.00 CNY', '-200.00 CNY']::ledger.amount[], 'top-up via Alipay', 'AP2026110222001') AS v \gset
\echo 'Li Si tops up 200.00 via Alipay                     ' voucher :v
SELECT ledger.post('TOPUP-0003', ARRAY['1122.01', '2241.10003'],
	ARRAY['300.00 CNY', '-300.00 CNY']::ledger.amount[], 'top-up via WeChat Pay', 'WX4200000002') AS v \gset
\echo 'Wang Wu tops up 300.00 via WeChat Pay               ' voucher :v
SELECT ledger.post('TOPUP-0004', ARRAY['1122.01', '2241.10002'],
	ARRAY['88.00 CNY', '-88.00 CNY']::ledger.amount[], 'top-up via WeChat Pay', 'WX4200000003') AS v \gset
\echo 'Li Si tops up 88.00 via WeChat Pay                  ' voucher :v
SELECT ledger.post('TOPUP-0005', ARRAY['1122.02', '2241.10001'],
	ARRAY['66.60 CNY', '-66.60 CNY']::ledger.amount[], 'top-up via Alipay', 'AP2026110222002') AS v \gset
\echo 'Zhang San tops up 66.60 via Alipay                  ' voucher :v

-- the app timed out and sent the first top-up again: the same voucher comes back
SELECT ledger.post('TOPUP-0001', ARRAY['1122.01', '2241.10001'],
	ARRAY['1000.00 CNY', '-1000.00 CNY']::ledger.amount[], 'top-up via WeChat Pay', 'WX4200000001') AS v \gset
\echo 'the app retries TOPUP-0001 after a timeout          ' voucher :v (the same one)

-- payments: the payer's wallet pays the merchant's wallet, less our 0.6% fee
SELECT ledger.post('PAY-0001', ARRAY['2241.10001', '2241.20001', '6021'],
	ARRAY['36.00 CNY', '-35.78 CNY', '-0.22 CNY']::ledger.amount[], 'Corner Coffee, order 7781') AS v \gset
\echo 'Zhang San pays Corner Coffee 36.00, fee 0.22        ' voucher :v
SELECT ledger.post('PAY-0002', ARRAY['2241.10003', '2241.20002', '6021'],
	ARRAY['128.00 CNY', '-127.23 CNY', '-0.77 CNY']::ledger.amount[], 'Riverside Books, order 2210') AS v \gset
\echo 'Wang Wu pays Riverside Books 128.00, fee 0.77       ' voucher :v
SELECT ledger.post('PAY-0003', ARRAY['2241.10001', '2241.20002', '6021'],
	ARRAY['59.00 CNY', '-58.65 CNY', '-0.35 CNY']::ledger.amount[], 'Riverside Books, order 2214') AS v \gset
\echo 'Zhang San pays Riverside Books 59.00, fee 0.35      ' voucher :v

-- the bookstore refunds order 2214: a red-letter reversal (红字冲销)
SELECT ledger.reverse(:v, 'REFUND-0001', 'refund of order 2214') AS r \gset
\echo 'Riverside Books refunds order 2214 (reversal)       ' voucher :r reverses :v

-- WeChat Pay settles top-ups into the reserve account, less its channel fee
SELECT ledger.post('SETTLE-WX-0001', ARRAY['1002.01', '6602', '1122.01'],
	ARRAY['1299.22 CNY', '0.78 CNY', '-1300.00 CNY']::ledger.amount[],
	'WeChat Pay settlement', NULL, '{"settlement_batch": "WXSETTLE20261102"}') AS v \gset
\echo 'WeChat Pay settles 1300.00 less 0.78 channel fee    ' voucher :v

-- a merchant withdraws to its bank card: money leaves the reserve account
SELECT ledger.post('WDR-0001', ARRAY['2241.20001', '1002.01'],
	ARRAY['30.00 CNY', '-30.00 CNY']::ledger.amount[], 'Corner Coffee withdrawal') AS v \gset
\echo 'Corner Coffee withdraws 30.00                       ' voucher :v

-- a cross-border merchant receives USD
SELECT ledger.post('TOPUP-USD-0001', ARRAY['1002.03', '2241.30001'],
	ARRAY['2000.00 USD', '-2000.00 USD']::ledger.amount[], 'USD receipt for Lotus Export', 'BOC-TT-0091') AS v \gset
\echo 'Lotus Export receives 2000.00 USD                   ' voucher :v

-- Li Si asks to withdraw more than the wallet holds: the floor refuses the
-- whole voucher and nothing is written
\echo Li Si asks to withdraw 1000.00 (the wallet holds 288.00):
\set ON_ERROR_STOP off
SELECT ledger.post('WDR-0002', ARRAY['2241.10002', '1002.01'],
	ARRAY['1000.00 CNY', '-1000.00 CNY']::ledger.amount[], 'Li Si withdrawal');
\set ON_ERROR_STOP on
