-- H2: P1's voucher in two phases, as a withdrawal or a card payment runs: a
-- hold of the same four lines on four random wallets, then ledger.post_hold
-- of it in full (two calls, two transactions); compared with P1's one
-- ledger.post.
\set a random(1, 10000)
\set b random(1, 10000)
\set c random(1, 10000)
\set d random(1, 10000)
\set x random(1, 10000)
\set y random(1, 10000)
\set ca 100000 + :a
\set cb 100000 + :b
\set cc 100000 + :c
\set cd 100000 + :d
\set nx 0 - :x
\set ny 0 - :y
SELECT ledger.hold('h' || nextval('bench.key_seq'),
	ARRAY[:ca, :cb, :cc, :cd]::text[],
	ARRAY[ledger.amount_of_units(:x, 'CNY'), ledger.amount_of_units(:nx, 'CNY'),
	      ledger.amount_of_units(:y, 'CNY'), ledger.amount_of_units(:ny, 'CNY')]) AS hold_id \gset
SELECT ledger.post_hold(:hold_id, 'b' || nextval('bench.key_seq'));
