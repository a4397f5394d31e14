--
-- ledger.amount: catalog facts and error classes (SPEC section 1)
--
BEGIN;
SELECT plan(147);

--
-- The type and its functions: IMMUTABLE, STRICT where they take no
-- aggregate state, PARALLEL SAFE, independent of locale, GUCs and tables.
--
SELECT has_type('ledger', 'amount', 'type ledger.amount exists');
SELECT is((SELECT typlen::int FROM pg_type WHERE oid = 'ledger.amount'::regtype), 24,
          'ledger.amount is fixed-length, 24 bytes');
SELECT is((SELECT typalign FROM pg_type WHERE oid = 'ledger.amount'::regtype), 'd',
          'ledger.amount is double-aligned');

SELECT volatility_is('ledger', 'amount_in', ARRAY['cstring'], 'immutable', 'ledger.amount_in(cstring) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_out', ARRAY['ledger.amount'], 'immutable', 'ledger.amount_out(ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_recv', ARRAY['internal'], 'immutable', 'ledger.amount_recv(internal) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_send', ARRAY['ledger.amount'], 'immutable', 'ledger.amount_send(ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_eq', ARRAY['ledger.amount', 'ledger.amount'], 'immutable', 'ledger.amount_eq(ledger.amount, ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_ne', ARRAY['ledger.amount', 'ledger.amount'], 'immutable', 'ledger.amount_ne(ledger.amount, ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_lt', ARRAY['ledger.amount', 'ledger.amount'], 'immutable', 'ledger.amount_lt(ledger.amount, ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_le', ARRAY['ledger.amount', 'ledger.amount'], 'immutable', 'ledger.amount_le(ledger.amount, ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_gt', ARRAY['ledger.amount', 'ledger.amount'], 'immutable', 'ledger.amount_gt(ledger.amount, ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_ge', ARRAY['ledger.amount', 'ledger.amount'], 'immutable', 'ledger.amount_ge(ledger.amount, ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_cmp', ARRAY['ledger.amount', 'ledger.amount'], 'immutable', 'ledger.amount_cmp(ledger.amount, ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_sortsupport', ARRAY['internal'], 'immutable', 'ledger.amount_sortsupport(internal) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_hash', ARRAY['ledger.amount'], 'immutable', 'ledger.amount_hash(ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_hash_extended', ARRAY['ledger.amount', 'bigint'], 'immutable', 'ledger.amount_hash_extended(ledger.amount, bigint) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_smaller', ARRAY['ledger.amount', 'ledger.amount'], 'immutable', 'ledger.amount_smaller(ledger.amount, ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_larger', ARRAY['ledger.amount', 'ledger.amount'], 'immutable', 'ledger.amount_larger(ledger.amount, ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_pl', ARRAY['ledger.amount', 'ledger.amount'], 'immutable', 'ledger.amount_pl(ledger.amount, ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_mi', ARRAY['ledger.amount', 'ledger.amount'], 'immutable', 'ledger.amount_mi(ledger.amount, ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_um', ARRAY['ledger.amount'], 'immutable', 'ledger.amount_um(ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_mul_int8', ARRAY['ledger.amount', 'bigint'], 'immutable', 'ledger.amount_mul_int8(ledger.amount, bigint) is IMMUTABLE');
SELECT volatility_is('ledger', 'int8_mul_amount', ARRAY['bigint', 'ledger.amount'], 'immutable', 'ledger.int8_mul_amount(bigint, ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_mul_int4', ARRAY['ledger.amount', 'integer'], 'immutable', 'ledger.amount_mul_int4(ledger.amount, integer) is IMMUTABLE');
SELECT volatility_is('ledger', 'int4_mul_amount', ARRAY['integer', 'ledger.amount'], 'immutable', 'ledger.int4_mul_amount(integer, ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'abs', ARRAY['ledger.amount'], 'immutable', 'ledger.abs(ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount', ARRAY['numeric', 'text'], 'immutable', 'ledger.amount(numeric, text) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_of_units', ARRAY['bigint', 'text'], 'immutable', 'ledger.amount_of_units(bigint, text) is IMMUTABLE');
SELECT volatility_is('ledger', 'currency', ARRAY['ledger.amount'], 'immutable', 'ledger.currency(ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'minor_units', ARRAY['ledger.amount'], 'immutable', 'ledger.minor_units(ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'decimals', ARRAY['ledger.amount'], 'immutable', 'ledger.decimals(ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'zero', ARRAY['text'], 'immutable', 'ledger.zero(text) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_to_numeric', ARRAY['ledger.amount'], 'immutable', 'ledger.amount_to_numeric(ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_sum_accum', ARRAY['internal', 'ledger.amount'], 'immutable', 'ledger.amount_sum_accum(internal, ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_sum_inv', ARRAY['internal', 'ledger.amount'], 'immutable', 'ledger.amount_sum_inv(internal, ledger.amount) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_sum_final', ARRAY['internal'], 'immutable', 'ledger.amount_sum_final(internal) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_sum_combine', ARRAY['internal', 'internal'], 'immutable', 'ledger.amount_sum_combine(internal, internal) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_sum_serialize', ARRAY['internal'], 'immutable', 'ledger.amount_sum_serialize(internal) is IMMUTABLE');
SELECT volatility_is('ledger', 'amount_sum_deserialize', ARRAY['bytea', 'internal'], 'immutable', 'ledger.amount_sum_deserialize(bytea, internal) is IMMUTABLE');

SELECT is_strict('ledger', 'amount_in', ARRAY['cstring'], 'ledger.amount_in(cstring) is STRICT');
SELECT is_strict('ledger', 'amount_out', ARRAY['ledger.amount'], 'ledger.amount_out(ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_recv', ARRAY['internal'], 'ledger.amount_recv(internal) is STRICT');
SELECT is_strict('ledger', 'amount_send', ARRAY['ledger.amount'], 'ledger.amount_send(ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_eq', ARRAY['ledger.amount', 'ledger.amount'], 'ledger.amount_eq(ledger.amount, ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_ne', ARRAY['ledger.amount', 'ledger.amount'], 'ledger.amount_ne(ledger.amount, ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_lt', ARRAY['ledger.amount', 'ledger.amount'], 'ledger.amount_lt(ledger.amount, ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_le', ARRAY['ledger.amount', 'ledger.amount'], 'ledger.amount_le(ledger.amount, ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_gt', ARRAY['ledger.amount', 'ledger.amount'], 'ledger.amount_gt(ledger.amount, ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_ge', ARRAY['ledger.amount', 'ledger.amount'], 'ledger.amount_ge(ledger.amount, ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_cmp', ARRAY['ledger.amount', 'ledger.amount'], 'ledger.amount_cmp(ledger.amount, ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_sortsupport', ARRAY['internal'], 'ledger.amount_sortsupport(internal) is STRICT');
SELECT is_strict('ledger', 'amount_hash', ARRAY['ledger.amount'], 'ledger.amount_hash(ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_hash_extended', ARRAY['ledger.amount', 'bigint'], 'ledger.amount_hash_extended(ledger.amount, bigint) is STRICT');
SELECT is_strict('ledger', 'amount_smaller', ARRAY['ledger.amount', 'ledger.amount'], 'ledger.amount_smaller(ledger.amount, ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_larger', ARRAY['ledger.amount', 'ledger.amount'], 'ledger.amount_larger(ledger.amount, ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_pl', ARRAY['ledger.amount', 'ledger.amount'], 'ledger.amount_pl(ledger.amount, ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_mi', ARRAY['ledger.amount', 'ledger.amount'], 'ledger.amount_mi(ledger.amount, ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_um', ARRAY['ledger.amount'], 'ledger.amount_um(ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_mul_int8', ARRAY['ledger.amount', 'bigint'], 'ledger.amount_mul_int8(ledger.amount, bigint) is STRICT');
SELECT is_strict('ledger', 'int8_mul_amount', ARRAY['bigint', 'ledger.amount'], 'ledger.int8_mul_amount(bigint, ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount_mul_int4', ARRAY['ledger.amount', 'integer'], 'ledger.amount_mul_int4(ledger.amount, integer) is STRICT');
SELECT is_strict('ledger', 'int4_mul_amount', ARRAY['integer', 'ledger.amount'], 'ledger.int4_mul_amount(integer, ledger.amount) is STRICT');
SELECT is_strict('ledger', 'abs', ARRAY['ledger.amount'], 'ledger.abs(ledger.amount) is STRICT');
SELECT is_strict('ledger', 'amount', ARRAY['numeric', 'text'], 'ledger.amount(numeric, text) is STRICT');
SELECT is_strict('ledger', 'amount_of_units', ARRAY['bigint', 'text'], 'ledger.amount_of_units(bigint, text) is STRICT');
SELECT is_strict('ledger', 'currency', ARRAY['ledger.amount'], 'ledger.currency(ledger.amount) is STRICT');
SELECT is_strict('ledger', 'minor_units', ARRAY['ledger.amount'], 'ledger.minor_units(ledger.amount) is STRICT');
SELECT is_strict('ledger', 'decimals', ARRAY['ledger.amount'], 'ledger.decimals(ledger.amount) is STRICT');
SELECT is_strict('ledger', 'zero', ARRAY['text'], 'ledger.zero(text) is STRICT');
SELECT is_strict('ledger', 'amount_to_numeric', ARRAY['ledger.amount'], 'ledger.amount_to_numeric(ledger.amount) is STRICT');
SELECT isnt_strict('ledger', 'amount_sum_accum', ARRAY['internal', 'ledger.amount'], 'ledger.amount_sum_accum(internal, ledger.amount) is not STRICT (aggregate state)');
SELECT isnt_strict('ledger', 'amount_sum_inv', ARRAY['internal', 'ledger.amount'], 'ledger.amount_sum_inv(internal, ledger.amount) is not STRICT (aggregate state)');
SELECT isnt_strict('ledger', 'amount_sum_final', ARRAY['internal'], 'ledger.amount_sum_final(internal) is not STRICT (aggregate state)');
SELECT isnt_strict('ledger', 'amount_sum_combine', ARRAY['internal', 'internal'], 'ledger.amount_sum_combine(internal, internal) is not STRICT (aggregate state)');
SELECT is_strict('ledger', 'amount_sum_serialize', ARRAY['internal'], 'ledger.amount_sum_serialize(internal) is STRICT');
SELECT is_strict('ledger', 'amount_sum_deserialize', ARRAY['bytea', 'internal'], 'ledger.amount_sum_deserialize(bytea, internal) is STRICT');

SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	WHERE p.oid IN (
		'ledger.amount_in(cstring)'::regprocedure,
		'ledger.amount_out(ledger.amount)'::regprocedure,
		'ledger.amount_recv(internal)'::regprocedure,
		'ledger.amount_send(ledger.amount)'::regprocedure,
		'ledger.amount_eq(ledger.amount, ledger.amount)'::regprocedure,
		'ledger.amount_ne(ledger.amount, ledger.amount)'::regprocedure,
		'ledger.amount_lt(ledger.amount, ledger.amount)'::regprocedure,
		'ledger.amount_le(ledger.amount, ledger.amount)'::regprocedure,
		'ledger.amount_gt(ledger.amount, ledger.amount)'::regprocedure,
		'ledger.amount_ge(ledger.amount, ledger.amount)'::regprocedure,
		'ledger.amount_cmp(ledger.amount, ledger.amount)'::regprocedure,
		'ledger.amount_sortsupport(internal)'::regprocedure,
		'ledger.amount_hash(ledger.amount)'::regprocedure,
		'ledger.amount_hash_extended(ledger.amount, bigint)'::regprocedure,
		'ledger.amount_smaller(ledger.amount, ledger.amount)'::regprocedure,
		'ledger.amount_larger(ledger.amount, ledger.amount)'::regprocedure,
		'ledger.amount_pl(ledger.amount, ledger.amount)'::regprocedure,
		'ledger.amount_mi(ledger.amount, ledger.amount)'::regprocedure,
		'ledger.amount_um(ledger.amount)'::regprocedure,
		'ledger.amount_mul_int8(ledger.amount, bigint)'::regprocedure,
		'ledger.int8_mul_amount(bigint, ledger.amount)'::regprocedure,
		'ledger.amount_mul_int4(ledger.amount, integer)'::regprocedure,
		'ledger.int4_mul_amount(integer, ledger.amount)'::regprocedure,
		'ledger.abs(ledger.amount)'::regprocedure,
		'ledger.amount(numeric, text)'::regprocedure,
		'ledger.amount_of_units(bigint, text)'::regprocedure,
		'ledger.currency(ledger.amount)'::regprocedure,
		'ledger.minor_units(ledger.amount)'::regprocedure,
		'ledger.decimals(ledger.amount)'::regprocedure,
		'ledger.zero(text)'::regprocedure,
		'ledger.amount_to_numeric(ledger.amount)'::regprocedure,
		'ledger.amount_sum_accum(internal, ledger.amount)'::regprocedure,
		'ledger.amount_sum_inv(internal, ledger.amount)'::regprocedure,
		'ledger.amount_sum_final(internal)'::regprocedure,
		'ledger.amount_sum_combine(internal, internal)'::regprocedure,
		'ledger.amount_sum_serialize(internal)'::regprocedure,
		'ledger.amount_sum_deserialize(bytea, internal)'::regprocedure)
	  AND p.proparallel <> 's'
$$, 'every type function is PARALLEL SAFE');

-- every function the catalogs tie to the type (I/O, operators, operator
-- classes, casts, aggregates) is immutable and parallel safe
SELECT is_empty($$
	WITH fns(f) AS (
		SELECT unnest(ARRAY[typinput, typoutput, typreceive, typsend]::oid[])
		  FROM pg_type WHERE oid = 'ledger.amount'::regtype
		UNION SELECT oprcode FROM pg_operator
		 WHERE 'ledger.amount'::regtype IN (oprleft, oprright, oprresult)
		UNION SELECT amproc FROM pg_amproc
		 WHERE 'ledger.amount'::regtype IN (amproclefttype, amprocrighttype)
		UNION SELECT castfunc FROM pg_cast
		 WHERE 'ledger.amount'::regtype IN (castsource, casttarget) AND castfunc <> 0
		UNION SELECT unnest(ARRAY[a.aggfnoid, a.aggtransfn, a.aggfinalfn, a.aggcombinefn,
		                          a.aggserialfn, a.aggdeserialfn, a.aggmtransfn,
		                          a.aggminvtransfn, a.aggmfinalfn]::oid[])
		  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
		 WHERE p.proargtypes[0] = 'ledger.amount'::regtype AND p.pronargs = 1
		   AND p.proname IN ('sum', 'min', 'max')
		   AND p.pronamespace = 'ledger'::regnamespace
	)
	SELECT p.oid::regprocedure::text FROM fns JOIN pg_proc p ON p.oid = fns.f
	WHERE p.provolatile <> 'i' OR p.proparallel <> 's'
$$, 'every function tied to ledger.amount is IMMUTABLE and PARALLEL SAFE');
SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	WHERE p.pronamespace = 'ledger'::regnamespace AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
	  AND p.prosrc LIKE 'ledger\_amount\_%' AND (p.provolatile <> 'i' OR p.proparallel <> 's')
$$, 'every C function of the amount type is IMMUTABLE and PARALLEL SAFE');
SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	WHERE p.oid IN ('ledger.amount_eq(ledger.amount, ledger.amount)'::regprocedure,
	                'ledger.amount_ne(ledger.amount, ledger.amount)'::regprocedure,
	                'ledger.amount_lt(ledger.amount, ledger.amount)'::regprocedure,
	                'ledger.amount_le(ledger.amount, ledger.amount)'::regprocedure,
	                'ledger.amount_gt(ledger.amount, ledger.amount)'::regprocedure,
	                'ledger.amount_ge(ledger.amount, ledger.amount)'::regprocedure,
	                'ledger.amount_cmp(ledger.amount, ledger.amount)'::regprocedure,
	                'ledger.amount_hash(ledger.amount)'::regprocedure,
	                'ledger.amount_hash_extended(ledger.amount, bigint)'::regprocedure)
	  AND NOT p.proleakproof
$$, 'comparison and hash functions never raise, so they are LEAKPROOF');

--
-- Operator classes: btree and hash (with the extended hash), both default
--
SELECT has_opclass('ledger', 'amount_ops', 'btree operator class ledger.amount_ops exists');
SELECT has_opclass('ledger', 'amount_hash_ops', 'hash operator class ledger.amount_hash_ops exists');
SELECT results_eq($$
	SELECT am.amname::text COLLATE "default", c.opcname::text COLLATE "default", c.opcdefault
	  FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod
	 WHERE c.opcintype = 'ledger.amount'::regtype ORDER BY 1
$$, $$VALUES ('btree', 'amount_ops', true), ('hash', 'amount_hash_ops', true)$$,
'the btree and hash operator classes are the defaults for ledger.amount');
SELECT results_eq($$
	SELECT am.amname::text COLLATE "default", p.amprocnum::int, p.amproc::regprocedure::text
	  FROM pg_amproc p JOIN pg_opfamily f ON f.oid = p.amprocfamily
	  JOIN pg_am am ON am.oid = f.opfmethod
	 WHERE p.amproclefttype = 'ledger.amount'::regtype ORDER BY 1, 2
$$, $$VALUES ('btree', 1, 'ledger.amount_cmp(ledger.amount,ledger.amount)'),
             ('btree', 2, 'ledger.amount_sortsupport(internal)'),
             ('hash', 1, 'ledger.amount_hash(ledger.amount)'),
             ('hash', 2, 'ledger.amount_hash_extended(ledger.amount,bigint)')$$,
'support functions: btree comparison and sort support, hash and extended hash');
SELECT results_eq($$
	SELECT o.amopstrategy::int, o.amopopr::regoperator::text
	  FROM pg_amop o JOIN pg_opfamily f ON f.oid = o.amopfamily
	 WHERE f.opfmethod = (SELECT oid FROM pg_am WHERE amname = 'btree')
	   AND o.amoplefttype = 'ledger.amount'::regtype ORDER BY 1
$$, $$VALUES (1, 'ledger.<(ledger.amount,ledger.amount)'), (2, 'ledger.<=(ledger.amount,ledger.amount)'),
             (3, 'ledger.=(ledger.amount,ledger.amount)'), (4, 'ledger.>=(ledger.amount,ledger.amount)'),
             (5, 'ledger.>(ledger.amount,ledger.amount)')$$,
'the btree strategies are < <= = >= >');
SELECT ok((SELECT oprcanhash AND oprcanmerge FROM pg_operator
           WHERE oid = 'ledger.=(ledger.amount, ledger.amount)'::regoperator),
          'ledger.= supports hash joins and merge joins');

--
-- Operators
--

SELECT has_operator('ledger.amount', 'ledger', '=', 'ledger.amount', 'boolean', 'operator ledger.amount = ledger.amount');
SELECT has_operator('ledger.amount', 'ledger', '<>', 'ledger.amount', 'boolean', 'operator ledger.amount <> ledger.amount');
SELECT has_operator('ledger.amount', 'ledger', '<', 'ledger.amount', 'boolean', 'operator ledger.amount < ledger.amount');
SELECT has_operator('ledger.amount', 'ledger', '<=', 'ledger.amount', 'boolean', 'operator ledger.amount <= ledger.amount');
SELECT has_operator('ledger.amount', 'ledger', '>', 'ledger.amount', 'boolean', 'operator ledger.amount > ledger.amount');
SELECT has_operator('ledger.amount', 'ledger', '>=', 'ledger.amount', 'boolean', 'operator ledger.amount >= ledger.amount');
SELECT has_operator('ledger.amount', 'ledger', '+', 'ledger.amount', 'ledger.amount', 'operator ledger.amount + ledger.amount');
SELECT has_operator('ledger.amount', 'ledger', '-', 'ledger.amount', 'ledger.amount', 'operator ledger.amount - ledger.amount');
SELECT has_leftop('ledger', '-', 'ledger.amount', 'ledger.amount', 'prefix operator - ledger.amount');
SELECT has_operator('ledger.amount', 'ledger', '*', 'bigint', 'ledger.amount', 'operator ledger.amount * bigint');
SELECT has_operator('bigint', 'ledger', '*', 'ledger.amount', 'ledger.amount', 'operator bigint * ledger.amount');
SELECT has_operator('ledger.amount', 'ledger', '*', 'integer', 'ledger.amount', 'operator ledger.amount * integer');
SELECT has_operator('integer', 'ledger', '*', 'ledger.amount', 'ledger.amount', 'operator integer * ledger.amount');
SELECT hasnt_operator('ledger.amount', 'ledger', '*', 'ledger.amount', 'ledger.amount',
                      'no operator multiplies two amounts');
SELECT has_cast('ledger.amount', 'numeric', 'cast ledger.amount AS numeric exists');
SELECT is((SELECT castcontext::text FROM pg_cast
           WHERE castsource = 'ledger.amount'::regtype AND casttarget = 'numeric'::regtype), 'e',
          'the cast to numeric is explicit only: the currency is never dropped silently');

--
-- Aggregates: parallel safe with combine, serialize and deserialize; sum has
-- a moving-aggregate form
--
SELECT is_aggregate('ledger', 'sum', ARRAY['ledger.amount'], 'ledger.sum(ledger.amount) is an aggregate');
SELECT is_aggregate('ledger', 'min', ARRAY['ledger.amount'], 'ledger.min(ledger.amount) is an aggregate');
SELECT is_aggregate('ledger', 'max', ARRAY['ledger.amount'], 'ledger.max(ledger.amount) is an aggregate');
SELECT is_empty($$
	SELECT p.oid::regprocedure::text FROM pg_proc p
	WHERE p.oid IN ('ledger.sum(ledger.amount)'::regprocedure, 'ledger.min(ledger.amount)'::regprocedure,
	                'ledger.max(ledger.amount)'::regprocedure)
	  AND p.proparallel <> 's'
$$, 'sum, min and max are PARALLEL SAFE');
SELECT results_eq($$
	SELECT aggtransfn::regprocedure::text, aggfinalfn::regprocedure::text,
	       aggcombinefn::regprocedure::text, aggserialfn::regprocedure::text,
	       aggdeserialfn::regprocedure::text, aggtranstype::regtype::text
	  FROM pg_aggregate WHERE aggfnoid = 'ledger.sum(ledger.amount)'::regprocedure
$$, $$VALUES ('ledger.amount_sum_accum(internal,ledger.amount)', 'ledger.amount_sum_final(internal)',
              'ledger.amount_sum_combine(internal,internal)', 'ledger.amount_sum_serialize(internal)',
              'ledger.amount_sum_deserialize(bytea,internal)', 'internal')$$,
'sum has transition, final, combine, serialize and deserialize functions');
SELECT results_eq($$
	SELECT aggmtransfn::regprocedure::text, aggminvtransfn::regprocedure::text,
	       aggmfinalfn::regprocedure::text, aggmtranstype::regtype::text
	  FROM pg_aggregate WHERE aggfnoid = 'ledger.sum(ledger.amount)'::regprocedure
$$, $$VALUES ('ledger.amount_sum_accum(internal,ledger.amount)', 'ledger.amount_sum_inv(internal,ledger.amount)',
              'ledger.amount_sum_final(internal)', 'internal')$$,
'sum has a moving-aggregate form with an inverse transition');
SELECT results_eq($$
	SELECT aggfnoid::regproc::text, aggcombinefn::regproc::text, aggsortop::regoperator::text
	  FROM pg_aggregate
	 WHERE aggfnoid IN ('ledger.min(ledger.amount)'::regprocedure, 'ledger.max(ledger.amount)'::regprocedure)
	 ORDER BY 1
$$, $$VALUES ('ledger.max', 'ledger.amount_larger', 'ledger.>(ledger.amount,ledger.amount)'),
             ('ledger.min', 'ledger.amount_smaller', 'ledger.<(ledger.amount,ledger.amount)')$$,
'min and max combine with smaller/larger and can use a btree index');

--
-- The built-in ISO 4217 table: every current code with its minor unit
-- (list one to amendment 180, September 2025); the codes without a minor
-- unit are refused unless written with /N
--
CREATE FUNCTION pg_temp.iso_decimals(code text) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
	RETURN ledger.decimals(ledger.zero(code));
EXCEPTION WHEN invalid_text_representation THEN
	RETURN NULL;
END
$$;
SELECT is_empty($$
	SELECT code, minor, pg_temp.iso_decimals(code) FROM (VALUES
		('AED', 2), ('AFN', 2), ('ALL', 2), ('AMD', 2), ('ANG', 2), ('AOA', 2), ('ARS', 2), ('AUD', 2),
		('AWG', 2), ('AZN', 2), ('BAM', 2), ('BBD', 2), ('BDT', 2), ('BGN', 2), ('BHD', 3), ('BIF', 0),
		('BMD', 2), ('BND', 2), ('BOB', 2), ('BOV', 2), ('BRL', 2), ('BSD', 2), ('BTN', 2), ('BWP', 2),
		('BYN', 2), ('BZD', 2), ('CAD', 2), ('CDF', 2), ('CHE', 2), ('CHF', 2), ('CHW', 2), ('CLF', 4),
		('CLP', 0), ('CNY', 2), ('COP', 2), ('COU', 2), ('CRC', 2), ('CUC', 2), ('CUP', 2), ('CVE', 2),
		('CZK', 2), ('DJF', 0), ('DKK', 2), ('DOP', 2), ('DZD', 2), ('EGP', 2), ('ERN', 2), ('ETB', 2),
		('EUR', 2), ('FJD', 2), ('FKP', 2), ('GBP', 2), ('GEL', 2), ('GHS', 2), ('GIP', 2), ('GMD', 2),
		('GNF', 0), ('GTQ', 2), ('GYD', 2), ('HKD', 2), ('HNL', 2), ('HTG', 2), ('HUF', 2), ('IDR', 2),
		('ILS', 2), ('INR', 2), ('IQD', 3), ('IRR', 2), ('ISK', 0), ('JMD', 2), ('JOD', 3), ('JPY', 0),
		('KES', 2), ('KGS', 2), ('KHR', 2), ('KMF', 0), ('KPW', 2), ('KRW', 0), ('KWD', 3), ('KYD', 2),
		('KZT', 2), ('LAK', 2), ('LBP', 2), ('LKR', 2), ('LRD', 2), ('LSL', 2), ('LYD', 3), ('MAD', 2),
		('MDL', 2), ('MGA', 2), ('MKD', 2), ('MMK', 2), ('MNT', 2), ('MOP', 2), ('MRU', 2), ('MUR', 2),
		('MVR', 2), ('MWK', 2), ('MXN', 2), ('MXV', 2), ('MYR', 2), ('MZN', 2), ('NAD', 2), ('NGN', 2),
		('NIO', 2), ('NOK', 2), ('NPR', 2), ('NZD', 2), ('OMR', 3), ('PAB', 2), ('PEN', 2), ('PGK', 2),
		('PHP', 2), ('PKR', 2), ('PLN', 2), ('PYG', 0), ('QAR', 2), ('RON', 2), ('RSD', 2), ('RUB', 2),
		('RWF', 0), ('SAR', 2), ('SBD', 2), ('SCR', 2), ('SDG', 2), ('SEK', 2), ('SGD', 2), ('SHP', 2),
		('SLE', 2), ('SOS', 2), ('SRD', 2), ('SSP', 2), ('STN', 2), ('SVC', 2), ('SYP', 2), ('SZL', 2),
		('THB', 2), ('TJS', 2), ('TMT', 2), ('TND', 3), ('TOP', 2), ('TRY', 2), ('TTD', 2), ('TWD', 2),
		('TZS', 2), ('UAH', 2), ('UGX', 0), ('USD', 2), ('USN', 2), ('UYI', 0), ('UYU', 2), ('UYW', 4),
		('UZS', 2), ('VED', 2), ('VES', 2), ('VND', 0), ('VUV', 0), ('WST', 2), ('XAD', 2), ('XAF', 0),
		('XCD', 2), ('XCG', 2), ('XOF', 0), ('XPF', 0), ('YER', 2), ('ZAR', 2), ('ZMW', 2), ('ZWG', 2)
	) v(code, minor)
	WHERE pg_temp.iso_decimals(code) IS DISTINCT FROM minor
$$, 'every current ISO 4217 code has its minor unit');
SELECT is_empty($$
	SELECT code FROM unnest(ARRAY['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT',
	                              'XSU', 'XTS', 'XUA', 'XXX']) code
	WHERE pg_temp.iso_decimals(code) IS NOT NULL OR pg_temp.iso_decimals(code || '/4') <> 4
$$, 'ISO codes without a minor unit need /N');
SELECT is_empty($$
	SELECT code FROM unnest(ARRAY['VEF', 'MRO', 'STD', 'LTL', 'EEK', 'BYR', 'ZMK', 'ABC', 'US', 'USDT']) code
	WHERE pg_temp.iso_decimals(code) IS NOT NULL
$$, 'codes that are not (or no longer) ISO 4217 are refused without /N');

--
-- Error classes
--
SET LOCAL search_path = public, ledger;

-- 22P02: text that is not an amount
SELECT throws_ok($$SELECT '12.345 CNY'::ledger.amount$$, '22P02',
                 'invalid input syntax for type ledger.amount: "12.345 CNY"',
                 'more decimals than the currency has: 22P02');
SELECT throws_ok($$SELECT '1.5 JPY'::ledger.amount$$, '22P02', NULL, 'decimals on JPY: 22P02');
SELECT throws_ok($$SELECT '1.0000001 USDT/6'::ledger.amount$$, '22P02', NULL, 'more decimals than CODE/N: 22P02');
SELECT throws_ok($$SELECT '1 ABC'::ledger.amount$$, '22P02', NULL, 'unknown 3-letter code: 22P02');
SELECT throws_ok($$SELECT '1 XAU'::ledger.amount$$, '22P02', NULL, 'ISO code without minor unit: 22P02');
SELECT throws_ok($$SELECT ''::ledger.amount$$, '22P02', NULL, 'empty string: 22P02');
SELECT throws_ok($$SELECT '12.34'::ledger.amount$$, '22P02', NULL, 'missing code: 22P02');
SELECT throws_ok($$SELECT 'CNY'::ledger.amount$$, '22P02', NULL, 'missing number: 22P02');
SELECT throws_ok($$SELECT 'twelve CNY'::ledger.amount$$, '22P02', NULL, 'junk: 22P02');
SELECT throws_ok($$SELECT '1 ABCDEFGHIJKLM/2'::ledger.amount$$, '22P02', NULL, '13-character code: 22P02');
SELECT throws_ok($$SELECT '1 USDT/19'::ledger.amount$$, '22P02', NULL, '19 decimals: 22P02');
SELECT throws_ok($$SELECT ledger.amount(12.345, 'CNY')$$, '22P02', NULL, 'ledger.amount(numeric) with excess precision: 22P02');
SELECT throws_ok($$SELECT ledger.amount('NaN', 'CNY')$$, '22P02', NULL, 'ledger.amount(NaN): 22P02');
SELECT throws_ok($$SELECT ledger.amount('Infinity', 'CNY')$$, '22P02', NULL, 'ledger.amount(Infinity): 22P02');
SELECT throws_ok($$SELECT ledger.zero('XYZ')$$, '22P02', NULL, 'ledger.zero with an unknown code: 22P02');
SELECT throws_ok($$SELECT ledger.amount_of_units(1, 'XAU')$$, '22P02', NULL, 'ledger.amount_of_units with XAU: 22P02');

-- 22003: beyond the signed 64-bit minor units, never a wrap-around
SELECT throws_ok($$SELECT '92233720368547758.08 CNY'::ledger.amount$$, '22003', NULL, 'input beyond the range: 22003');
SELECT throws_ok($$SELECT ledger.amount(92233720368547758.08, 'CNY')$$, '22003', NULL, 'ledger.amount(numeric) beyond the range: 22003');
SELECT throws_ok($$SELECT '92233720368547758.07 CNY'::ledger.amount + '0.01 CNY'$$, '22003',
                 'ledger.amount out of range', 'overflow in +: 22003');
SELECT throws_ok($$SELECT '-92233720368547758.08 CNY'::ledger.amount - '0.01 CNY'$$, '22003', NULL, 'overflow in -: 22003');
SELECT throws_ok($$SELECT - '-92233720368547758.08 CNY'::ledger.amount$$, '22003', NULL, 'overflow in unary -: 22003');
SELECT throws_ok($$SELECT abs('-92233720368547758.08 CNY'::ledger.amount)$$, '22003', NULL, 'overflow in abs: 22003');
SELECT throws_ok($$SELECT '46116860184273879.04 CNY'::ledger.amount * 2$$, '22003', NULL, 'overflow in amount * integer: 22003');
SELECT throws_ok($$SELECT 2 * '46116860184273879.04 CNY'::ledger.amount$$, '22003', NULL, 'overflow in integer * amount: 22003');
SELECT throws_ok($$SELECT '-92233720368547758.08 CNY'::ledger.amount * (-1)::bigint$$, '22003', NULL, 'overflow in amount * bigint: 22003');
SELECT throws_ok($$SELECT 9223372036854775807 * '2 JPY'::ledger.amount$$, '22003', NULL, 'overflow in bigint * amount: 22003');
SELECT throws_ok($$SELECT sum(a) FROM (VALUES ('92233720368547758.07 CNY'::ledger.amount), ('0.01 CNY')) v(a)$$,
                 '22003', NULL, 'a sum beyond the range: 22003');
SELECT lives_ok($$SELECT sum(a) FROM (VALUES ('92233720368547758.07 CNY'::ledger.amount), ('0.01 CNY'), ('-0.01 CNY')) v(a)$$,
                'a sum that passes beyond the range and comes back is fine');

-- 42804: arithmetic between currencies
SELECT throws_ok($$SELECT '1 CNY'::ledger.amount + '1 USD'$$, '42804',
                 'cannot add amounts in different currencies "CNY" and "USD"', '+ across currencies: 42804');
SELECT throws_ok($$SELECT '1 CNY'::ledger.amount - '1 USD'$$, '42804',
                 'cannot subtract amounts in different currencies "CNY" and "USD"', '- across currencies: 42804');
SELECT throws_ok($$SELECT '1 USD'::ledger.amount + '1 USD/4'$$, '42804', NULL, 'USD and USD/4 are different assets: 42804');
SELECT throws_ok($$SELECT sum(a) FROM (VALUES ('1 CNY'::ledger.amount), ('1 USD')) v(a)$$, '42804',
                 'cannot sum amounts in different currencies "CNY" and "USD"', 'sum across currencies: 42804');

-- comparison never raises
SELECT lives_ok($$SELECT '1 CNY'::ledger.amount < '1 USD', '1 CNY'::ledger.amount = '1 USD',
                         ledger.amount_cmp('1 USD', '1 USD/4'), min(a), max(a)
                    FROM (VALUES ('1 CNY'::ledger.amount), ('1 USD')) v(a)$$,
                'comparison across currencies never raises');
SELECT ok('1 USD/2'::ledger.amount = '1 USD' AND '1 USD/4'::ledger.amount <> '1 USD',
          'USD/2 is USD; USD/4 is another asset');

SELECT * FROM finish();
ROLLBACK;
