-- P1 baseline: the same rows written by plain SQL into the unconstrained
-- copies of bench/plain.sql, in one statement (one round trip, like
-- ledger.post): the voucher, its 4 entries, and one balance-row update per
-- account with the voucher's net movement, in account order.  The caller
-- names accounts by id (ledger.post looks codes up); no checks at all.
\set a random(1, 10000)
\set b random(1, 10000)
\set c random(1, 10000)
\set d random(1, 10000)
\set x random(1, 10000)
\set y random(1, 10000)
\set nx 0 - :x
\set ny 0 - :y
WITH v AS (
	INSERT INTO plain.voucher (idempotency_key) VALUES ('b' || nextval('bench.key_seq'))
	RETURNING id, book_date),
l (line_no, account_id, units) AS (
	VALUES (1, :a::bigint, :x::bigint), (2, :b, :nx), (3, :c, :y), (4, :d, :ny)),
e AS (
	INSERT INTO plain.entry (voucher_id, line_no, account_id, amount, book_date)
	SELECT v.id, l.line_no, l.account_id, ledger.amount_of_units(l.units, 'CNY'), v.book_date
	  FROM v, l),
u AS (
	UPDATE plain.account_balance b SET units = b.units + m.delta
	  FROM (SELECT l.account_id, sum(l.units)::bigint AS delta FROM l
	         GROUP BY l.account_id ORDER BY l.account_id) m
	 WHERE b.account_id = m.account_id AND b.slot = 0)
SELECT id FROM v;
