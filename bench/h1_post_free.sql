-- H1 baseline: P1's 4-entry ledger.post on wallets 5001..10000, which carry no
-- hold (see h1_post_held.sql).
\set a random(5001, 10000)
\set b random(5001, 10000)
\set c random(5001, 10000)
\set d random(5001, 10000)
\set x random(1, 10000)
\set y random(1, 10000)
\set ca 100000 + :a
\set cb 100000 + :b
\set cc 100000 + :c
\set cd 100000 + :d
\set nx 0 - :x
\set ny 0 - :y
SELECT ledger.post('b' || nextval('bench.key_seq'),
	ARRAY[:ca, :cb, :cc, :cd]::text[],
	ARRAY[ledger.amount_of_units(:x, 'CNY'), ledger.amount_of_units(:nx, 'CNY'),
	      ledger.amount_of_units(:y, 'CNY'), ledger.amount_of_units(:ny, 'CNY')]);
