--
-- What the README tells a user who writes SQL over amounts is true:
-- Installing (the search_path advice: without schema ledger on the path the
-- aggregates are not found, qualified they are, sorting, grouping and
-- DISTINCT work regardless) and Concepts, Amounts (comparisons across
-- currencies follow the order of the codes; the recipe that compares within
-- one currency).
--
BEGIN;
SELECT plan(11);

CREATE TEMP TABLE amounts (x ledger.amount);
INSERT INTO amounts VALUES ('5.00 CNY'), ('10.00 CNY'), ('12.00 CNY'), ('1.00 USD'), ('1 JPY'), ('99.00 AUD');

-- Installing: without ledger on the search_path
SET LOCAL search_path = public;
SELECT throws_ok($$SELECT sum(x) FROM amounts$$, '42883', 'function sum(ledger.amount) does not exist',
                 'without ledger on the search_path, sum(amount) fails as the README says');
SELECT throws_ok($$SELECT x FROM amounts WHERE x = '5.00 CNY'$$, '42883', NULL,
                 'without ledger on the search_path, = on amounts needs OPERATOR(ledger.=)');
SELECT is((SELECT ledger.sum(x)::text FROM amounts WHERE ledger.currency(x) = 'CNY'), '27.00 CNY',
          'ledger.sum(amount), qualified, works without ledger on the search_path');
SELECT is((SELECT ledger.min(x)::text || ' ' || ledger.max(x)::text FROM amounts WHERE ledger.currency(x) = 'CNY'),
          '5.00 CNY 12.00 CNY', 'ledger.min and ledger.max, qualified, work without it');
SELECT is((SELECT count(*)::int FROM amounts WHERE x OPERATOR(ledger.=) '5.00 CNY'), 1,
          'OPERATOR(ledger.=) works without it');
SELECT is(ARRAY(SELECT x::text AS t FROM amounts ORDER BY x),
          '{99.00 AUD,5.00 CNY,10.00 CNY,12.00 CNY,1 JPY,1.00 USD}'::text[],
          'ORDER BY on amounts works without it');
SELECT is((WITH d AS (SELECT x FROM amounts UNION ALL SELECT x FROM amounts)
           SELECT (SELECT count(DISTINCT x) FROM d) || ' ' || (SELECT count(*) FROM (SELECT x FROM d GROUP BY x) g)), '6 6',
          'DISTINCT and GROUP BY on amounts work without it');

-- with ledger on the search_path, as the README advises
SET LOCAL search_path = "$user", public, ledger;
SELECT is((SELECT sum(x)::text FROM amounts WHERE currency(x) = 'CNY'), '27.00 CNY',
          'with ledger on the search_path, sum(amount) works');

-- Concepts, Amounts: comparison across currencies follows the codes
SELECT is(ARRAY(SELECT x::text AS t FROM amounts WHERE x >= '10 CNY' ORDER BY x),
          '{10.00 CNY,12.00 CNY,1 JPY,1.00 USD}'::text[],
          'amount >= ''10 CNY'' also returns every USD and JPY row, and no AUD row');
SELECT is(ARRAY(SELECT x::text AS t FROM amounts WHERE ledger.currency(x) = 'CNY' AND x >= '10 CNY' ORDER BY x),
          '{10.00 CNY,12.00 CNY}'::text[],
          'the README''s recipe compares within one currency');
SELECT is(ARRAY(SELECT x::text AS t FROM amounts WHERE ledger.currency(x) = 'CNY' AND ledger.minor_units(x) >= 1000 ORDER BY x),
          '{10.00 CNY,12.00 CNY}'::text[],
          'and so does comparing minor units with the currency test');

SELECT * FROM finish();
ROLLBACK;
