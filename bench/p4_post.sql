-- P4, ledger side: a 2-entry ledger.post moving money between two different
-- random wallets (every other wallet has a floor), as pgledger's transfer.
\set a random(1, 10000)
\set b 1 + (:a + random(0, 9998)) % 10000
\set x random(1, 10000)
\set ca 100000 + :a
\set cb 100000 + :b
\set nx 0 - :x
SELECT ledger.post('b' || nextval('bench.key_seq'),
	ARRAY[:ca, :cb]::text[],
	ARRAY[ledger.amount_of_units(:x, 'CNY'), ledger.amount_of_units(:nx, 'CNY')]);
