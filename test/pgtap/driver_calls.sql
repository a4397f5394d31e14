--
-- ledger.post, ledger.hold and ledger.post_hold called the way drivers call them (SPEC section
-- 10, Drivers): JDBC binds strings as varchar and lists as text[];
-- node-postgres binds every parameter untyped (unknown), a list as an array
-- literal; psycopg2 writes a list as ARRAY['...'] and None as NULL inline.
-- Each call resolves to one function, without a cast, and writes once.
--
BEGIN;
SET LOCAL search_path = public, ledger;
SELECT plan(17);
SET LOCAL client_min_messages = warning;

INSERT INTO ledger.account (code, name, kind, currency) VALUES
	('drv.bank', 'bank', 'asset', 'CNY'), ('drv.wallet', 'wallet', 'liability', 'CNY');

-- JDBC: setString -> varchar, createArrayOf("text", ...) -> text[]
PREPARE jdbc_post(varchar, text[], text[], varchar, varchar) AS SELECT ledger.post($1, $2, $3, $4, $5);
PREPARE jdbc_hold(varchar, text[], text[], varchar, varchar, timestamptz) AS SELECT ledger.hold($1, $2, $3, $4, $5, $6);
-- node-postgres: every parameter unknown
PREPARE node_post(unknown, unknown, unknown, unknown, unknown) AS SELECT ledger.post($1, $2, $3, $4, $5);
PREPARE node_hold(unknown, unknown, unknown) AS SELECT ledger.hold($1, $2, $3);

SELECT lives_ok($$EXECUTE jdbc_post('drv-j1', '{drv.bank,drv.wallet}', '{10.00 CNY,-10.00 CNY}', 'top-up', NULL)$$,
                'JDBC: post(varchar, text[], text[], varchar, varchar) resolves');
SELECT lives_ok($$EXECUTE node_post('drv-n1', '{drv.bank,drv.wallet}', '{5.00 CNY,-5.00 CNY}', 'top-up', NULL)$$,
                'node-postgres: post with every parameter unknown resolves');
SELECT lives_ok($$SELECT ledger.post('drv-p1', ARRAY['drv.bank', 'drv.wallet'], ARRAY['1.00 CNY', '-1.00 CNY'], NULL, NULL)$$,
                'psycopg2: post(unknown, text[], text[], NULL, NULL) resolves');
SELECT lives_ok($$EXECUTE jdbc_hold('drv-j2', '{drv.wallet,drv.bank}', '{2.00 CNY,-2.00 CNY}', 'withdrawal', NULL, now() + interval '1 day')$$,
                'JDBC: hold(varchar, text[], text[], varchar, varchar, timestamptz) resolves');
SELECT lives_ok($$EXECUTE node_hold('drv-n2', '{drv.wallet,drv.bank}', '{1.00 CNY,-1.00 CNY}')$$,
                'node-postgres: hold with every parameter unknown resolves');
SELECT lives_ok($$SELECT ledger.hold('drv-p2', ARRAY['drv.wallet', 'drv.bank'], ARRAY['0.50 CNY', '-0.50 CNY'], NULL, NULL, NULL, NULL)$$,
                'psycopg2: hold(unknown, text[], text[], NULL, NULL, NULL, NULL) resolves');
SELECT lives_ok($$SELECT ledger.hold(idempotency_key => 'drv-p3', accounts => ARRAY['drv.wallet', 'drv.bank'],
                                     amounts => ARRAY['0.25 CNY', '-0.25 CNY'], expires_at => now() + interval '1 day')$$,
                'hold with named arguments and text amounts resolves');

-- post_hold in part: JDBC createArrayOf("text") / setString, node-postgres untyped, psycopg2 ARRAY['...'] and None
PREPARE jdbc_post_hold(bigint, varchar, text[]) AS SELECT ledger.post_hold($1, $2, $3);
PREPARE node_post_hold(unknown, unknown, unknown) AS SELECT ledger.post_hold($1, $2, $3);
SELECT lives_ok(format($$EXECUTE jdbc_post_hold(%s, 'drv-j2-p', '{1.00 CNY,-1.00 CNY}')$$,
                       (SELECT id FROM ledger.hold WHERE idempotency_key = 'drv-j2')),
                'JDBC: post_hold(bigint, varchar, text[]) resolves');
SELECT lives_ok(format($$EXECUTE node_post_hold('%s', 'drv-n2-p', '{0.50 CNY,-0.50 CNY}')$$,
                       (SELECT id FROM ledger.hold WHERE idempotency_key = 'drv-n2')),
                'node-postgres: post_hold with every parameter unknown resolves');
SELECT lives_ok($$SELECT ledger.post_hold((SELECT id FROM ledger.hold WHERE idempotency_key = 'drv-p2'), 'drv-p2-p', ARRAY['0.25 CNY', '-0.25 CNY'])$$,
                'psycopg2: post_hold(bigint, unknown, text[]) resolves');
SELECT lives_ok($$SELECT ledger.post_hold((SELECT id FROM ledger.hold WHERE idempotency_key = 'drv-p3'), 'drv-p3-p', NULL, NULL)$$,
                'psycopg2: post_hold(bigint, unknown, NULL, NULL) resolves (in full)');
SELECT is((SELECT ledger.post_hold((SELECT id FROM ledger.hold WHERE idempotency_key = 'drv-j2'), 'drv-j2-p', ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[])),
          (SELECT id FROM ledger.voucher WHERE idempotency_key = 'drv-j2-p'), 'post_hold: a replay through amount[] returns the same voucher');

-- a replay through another driver's form is the same voucher / hold
SELECT is((SELECT ledger.post('drv-j1', ARRAY['drv.bank', 'drv.wallet'], ARRAY['10.00 CNY', '-10.00 CNY']::ledger.amount[], 'top-up')),
          (SELECT id FROM ledger.voucher WHERE idempotency_key = 'drv-j1'), 'post: a replay through amount[] returns the same voucher');
SELECT is((SELECT ledger.hold('drv-n2', ARRAY['drv.wallet', 'drv.bank'], ARRAY['1.00 CNY', '-1.00 CNY']::ledger.amount[])),
          (SELECT id FROM ledger.hold WHERE idempotency_key = 'drv-n2'), 'hold: a replay through amount[] returns the same hold');
SELECT is((SELECT count(*)::int FROM ledger.voucher WHERE idempotency_key LIKE 'drv-%'), 7, 'seven vouchers, one per post and post_hold');
SELECT is((SELECT count(*)::int FROM ledger.hold WHERE idempotency_key LIKE 'drv-%'), 4, 'four holds, one per hold');
SELECT is(ledger.balance('drv.wallet')::text || ' ' || ledger.available('drv.wallet')::text, '14.00 CNY 14.00 CNY',
          'the balance and the available balance read back');

SELECT * FROM finish();
ROLLBACK;
