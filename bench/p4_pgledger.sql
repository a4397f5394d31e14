-- P4, peer side: pgledger_create_transfer between two different random
-- wallets of the same chart (every other wallet refuses a negative balance),
-- named through an indexed table of pgledger's account ids.
\set a random(1, 10000)
\set b 1 + (:a + random(0, 9998)) % 10000
\set x random(1, 10000)
SELECT id FROM pgledger_create_transfer(
	(SELECT id FROM bench.pgl_account WHERE n = :a),
	(SELECT id FROM bench.pgl_account WHERE n = :b),
	(:x)::numeric / 100);
