-- P2: a payment of 3 random wallets that also credits the hot fee-income
-- account 6021 on every voucher: payer +(x+y+1), payees -x and -y, fee -0.01.
\set a random(1, 10000)
\set b random(1, 10000)
\set c random(1, 10000)
\set x random(1, 10000)
\set y random(1, 10000)
\set s :x + :y + 1
\set ca 100000 + :a
\set cb 100000 + :b
\set cc 100000 + :c
\set nx 0 - :x
\set ny 0 - :y
SELECT ledger.post('b' || nextval('bench.key_seq'),
	ARRAY[:ca, :cb, :cc, '6021']::text[],
	ARRAY[ledger.amount_of_units(:s, 'CNY'), ledger.amount_of_units(:nx, 'CNY'),
	      ledger.amount_of_units(:ny, 'CNY'), ledger.amount_of_units(-1, 'CNY')]);
