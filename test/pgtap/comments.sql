--
-- \d+ is the reference a DBA reads first: every view of the ledger, and
-- every column of its views and tables, carries a comment (README, Views).
--
BEGIN;
SELECT plan(4);

SELECT ok((SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'ledger'::regnamespace AND c.relkind = 'v') >= 4,
          'the ledger has views to describe');

SELECT is(ARRAY(SELECT c.relname::text FROM pg_class c
                 WHERE c.relnamespace = 'ledger'::regnamespace AND c.relkind IN ('v', 'm')
                   AND obj_description(c.oid, 'pg_class') IS NULL ORDER BY 1),
          '{}'::text[], 'every view has a comment');

SELECT is(ARRAY(SELECT c.relname || '.' || a.attname FROM pg_class c
                  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                 WHERE c.relnamespace = 'ledger'::regnamespace AND c.relkind IN ('v', 'm')
                   AND col_description(c.oid, a.attnum) IS NULL ORDER BY 1),
          '{}'::text[], 'every column of every view has a comment');

SELECT is(ARRAY(SELECT c.relname || '.' || a.attname FROM pg_class c
                  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                 WHERE c.relnamespace = 'ledger'::regnamespace AND c.relkind IN ('r', 'p')
                   AND col_description(c.oid, a.attnum) IS NULL ORDER BY 1),
          '{}'::text[], 'every column of every table has a comment');

SELECT * FROM finish();
ROLLBACK;
