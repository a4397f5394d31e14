-- H1: P1's 4-entry ledger.post on wallets 1..5000, each of which carries a
-- pending hold (bench/run.sh holds 10.00 CNY on each before the runs); the
-- baseline h1_post_free.sql posts the same on wallets 5001..10000, which carry
-- none.  Debits at most 100.00 CNY; see setup.sql for why no floor is reached.
\set a random(1, 5000)
\set b random(1, 5000)
\set c random(1, 5000)
\set d random(1, 5000)
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
