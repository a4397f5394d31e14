-- examples/holds.sql — withdrawals that wait for the bank (在途), posted with
-- holds: the money leaves the wallet's available balance when the customer
-- asks, and leaves the books only when the bank answers.  Loaded by `make demo`
-- after the morning's business.

\set ON_ERROR_STOP on

-- Riverside Books withdraws 100.00 to its bank card: held now; the bank
-- transfer is on its way
SELECT ledger.hold('WDR-HOLD-0003', ARRAY['2241.20002', '1002.01'],
	ARRAY['100.00 CNY', '-100.00 CNY']::ledger.amount[], 'Riverside Books withdrawal', 'ICBC-TRF-5501',
	now() + interval '3 days') AS h3 \gset
\echo 'Riverside Books asks to withdraw 100.00             ' hold :h3

-- Zhang San withdraws 200.00 to a card the bank will reject
SELECT ledger.hold('WDR-HOLD-0004', ARRAY['2241.10001', '1002.01'],
	ARRAY['200.00 CNY', '-200.00 CNY']::ledger.amount[], 'Zhang San withdrawal', 'ICBC-TRF-5502',
	now() + interval '3 days') AS h4 \gset
\echo 'Zhang San asks to withdraw 200.00                   ' hold :h4

-- Li Si withdraws 150.00 of the 288.00 in the wallet; the bank has not answered yet
SELECT ledger.hold('WDR-HOLD-0005', ARRAY['2241.10002', '1002.01'],
	ARRAY['150.00 CNY', '-150.00 CNY']::ledger.amount[], 'Li Si withdrawal', 'ICBC-TRF-5503',
	now() + interval '3 days') AS h5 \gset
\echo 'Li Si asks to withdraw 150.00                       ' hold :h5

\echo
\echo 'pending holds (ledger.holds):'
SELECT hold_id, ref, summary, line_no, account_code, debit, credit FROM ledger.holds ORDER BY hold_id, line_no;

-- the bank confirms Riverside Books' transfer: the hold becomes a voucher
SELECT ledger.post_hold(:h3, 'WDR-0003', NULL, 'Riverside Books withdrawal, confirmed by ICBC') AS v \gset
\echo 'ICBC confirms Riverside Books'' transfer             ' hold :h3 posted as voucher :v

-- the bank rejects Zhang San's card: the hold is voided, nothing is posted
SELECT ledger.void_hold(:h4, 'ICBC: card number invalid') \gset
\echo 'ICBC rejects Zhang San''s card                       ' hold :h4 voided

-- replays are safe: the app sends the confirmation again
SELECT ledger.post_hold(:h3, 'WDR-0003', NULL, 'Riverside Books withdrawal, confirmed by ICBC') AS v2 \gset
\echo 'the app sends the confirmation again                ' voucher :v2 (the same one)

\echo
\echo 'the holds:'
SELECT id, idempotency_key, status, voucher_id, reason FROM ledger.hold ORDER BY id;

\echo
\echo 'Li Si''s wallet: balance 288.00, of which 150.00 is held for the pending withdrawal:'
SELECT account_code, account_name, balance, held_debit, available
  FROM ledger.balances WHERE account_code LIKE '2241.%' ORDER BY account_code;
SELECT ledger.balance('2241.10002') AS balance, ledger.available('2241.10002') AS available;

-- Li Si tries to pay 200.00 while 150.00 is held: the floor counts the held money
\echo
\echo Li Si tries to pay Corner Coffee 200.00 (available 138.00):
\set ON_ERROR_STOP off
SELECT ledger.post('PAY-0004', ARRAY['2241.10002', '2241.20001'],
	ARRAY['200.00 CNY', '-200.00 CNY']::ledger.amount[], 'Corner Coffee, order 7790');
\set ON_ERROR_STOP on
