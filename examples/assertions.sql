-- examples/assertions.sql — the balance assertions (勾稽关系) Example Pay Co.
-- lives by, checked at every cutoff.  Loaded by `make demo`.
--
-- 1. Customer money is covered (备付金 coverage): what the wallets owe the
--    customers and merchants is at most the reserve funds at ICBC plus the
--    funds in transit, i.e. what the channels collected and still owe us.
-- 2. The WeChat Pay clearing account is at zero once WeChat Pay's settlement
--    of the day is booked: every top-up collected was settled.

\set ON_ERROR_STOP on

INSERT INTO ledger.assertion (name, lhs, relation, rhs, currency) VALUES
	('reserve_coverage', '{2241}', '<=', '{1002.01,1122}', 'CNY'),
	('wechat_settled', '{1122.01}', '=', '{}', 'CNY');

SELECT name, lhs, relation, rhs, currency, tolerance, blocking FROM ledger.assertion ORDER BY name;

-- on the current balances
SELECT * FROM ledger.check_assertions();
