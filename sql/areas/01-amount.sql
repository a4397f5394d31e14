-- sql/areas/01-amount.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

-- ===========================================================================
-- 1. The amount type
-- ===========================================================================

CREATE TYPE ledger.amount;

CREATE FUNCTION ledger.amount_in(cstring) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_in'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.amount_out(ledger.amount) RETURNS cstring
	AS 'MODULE_PATHNAME', 'ledger_amount_out'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.amount_recv(internal) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_recv'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.amount_send(ledger.amount) RETURNS bytea
	AS 'MODULE_PATHNAME', 'ledger_amount_send'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE ledger.amount (
	INTERNALLENGTH = 24,
	INPUT = ledger.amount_in,
	OUTPUT = ledger.amount_out,
	RECEIVE = ledger.amount_recv,
	SEND = ledger.amount_send,
	ALIGNMENT = double,
	STORAGE = plain
);
COMMENT ON TYPE ledger.amount IS
	'exact currency-tagged amount: signed 64-bit minor units and an ISO 4217 currency or CODE/N asset, e.g. ''12.30 CNY''';
COMMENT ON FUNCTION ledger.amount_in(cstring) IS 'text input of ledger.amount (''12.34 CNY'' or ''CNY 12.34'')';
COMMENT ON FUNCTION ledger.amount_out(ledger.amount) IS 'canonical text output of ledger.amount';
COMMENT ON FUNCTION ledger.amount_recv(internal) IS 'binary input of ledger.amount: int64 units, int16 decimals, int8 code length, code';
COMMENT ON FUNCTION ledger.amount_send(ledger.amount) IS 'binary output of ledger.amount';

-- comparison: a total order on (currency, units) that never raises
CREATE FUNCTION ledger.amount_eq(ledger.amount, ledger.amount) RETURNS boolean
	AS 'MODULE_PATHNAME', 'ledger_amount_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION ledger.amount_ne(ledger.amount, ledger.amount) RETURNS boolean
	AS 'MODULE_PATHNAME', 'ledger_amount_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION ledger.amount_lt(ledger.amount, ledger.amount) RETURNS boolean
	AS 'MODULE_PATHNAME', 'ledger_amount_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION ledger.amount_le(ledger.amount, ledger.amount) RETURNS boolean
	AS 'MODULE_PATHNAME', 'ledger_amount_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION ledger.amount_gt(ledger.amount, ledger.amount) RETURNS boolean
	AS 'MODULE_PATHNAME', 'ledger_amount_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION ledger.amount_ge(ledger.amount, ledger.amount) RETURNS boolean
	AS 'MODULE_PATHNAME', 'ledger_amount_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION ledger.amount_cmp(ledger.amount, ledger.amount) RETURNS integer
	AS 'MODULE_PATHNAME', 'ledger_amount_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION ledger.amount_sortsupport(internal) RETURNS void
	AS 'MODULE_PATHNAME', 'ledger_amount_sortsupport' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.amount_hash(ledger.amount) RETURNS integer
	AS 'MODULE_PATHNAME', 'ledger_amount_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION ledger.amount_hash_extended(ledger.amount, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_amount_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION ledger.amount_smaller(ledger.amount, ledger.amount) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_smaller' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.amount_larger(ledger.amount, ledger.amount) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_larger' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.amount_eq(ledger.amount, ledger.amount) IS 'same currency and same units';
COMMENT ON FUNCTION ledger.amount_ne(ledger.amount, ledger.amount) IS 'different currency or different units';
COMMENT ON FUNCTION ledger.amount_lt(ledger.amount, ledger.amount) IS 'less than in the order (currency, units)';
COMMENT ON FUNCTION ledger.amount_le(ledger.amount, ledger.amount) IS 'less than or equal in the order (currency, units)';
COMMENT ON FUNCTION ledger.amount_gt(ledger.amount, ledger.amount) IS 'greater than in the order (currency, units)';
COMMENT ON FUNCTION ledger.amount_ge(ledger.amount, ledger.amount) IS 'greater than or equal in the order (currency, units)';
COMMENT ON FUNCTION ledger.amount_cmp(ledger.amount, ledger.amount) IS 'btree comparison: -1, 0 or 1 in the order (currency, units)';
COMMENT ON FUNCTION ledger.amount_sortsupport(internal) IS 'btree sort support for ledger.amount';
COMMENT ON FUNCTION ledger.amount_hash(ledger.amount) IS 'hash of ledger.amount';
COMMENT ON FUNCTION ledger.amount_hash_extended(ledger.amount, bigint) IS 'seeded 64-bit hash of ledger.amount (hash partitioning)';
COMMENT ON FUNCTION ledger.amount_smaller(ledger.amount, ledger.amount) IS 'the smaller of two amounts in the order (currency, units)';
COMMENT ON FUNCTION ledger.amount_larger(ledger.amount, ledger.amount) IS 'the larger of two amounts in the order (currency, units)';

CREATE OPERATOR ledger.= (
	LEFTARG = ledger.amount, RIGHTARG = ledger.amount, PROCEDURE = ledger.amount_eq,
	COMMUTATOR = OPERATOR(ledger.=), NEGATOR = OPERATOR(ledger.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR ledger.<> (
	LEFTARG = ledger.amount, RIGHTARG = ledger.amount, PROCEDURE = ledger.amount_ne,
	COMMUTATOR = OPERATOR(ledger.<>), NEGATOR = OPERATOR(ledger.=),
	RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR ledger.< (
	LEFTARG = ledger.amount, RIGHTARG = ledger.amount, PROCEDURE = ledger.amount_lt,
	COMMUTATOR = OPERATOR(ledger.>), NEGATOR = OPERATOR(ledger.>=),
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR ledger.<= (
	LEFTARG = ledger.amount, RIGHTARG = ledger.amount, PROCEDURE = ledger.amount_le,
	COMMUTATOR = OPERATOR(ledger.>=), NEGATOR = OPERATOR(ledger.>),
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR ledger.> (
	LEFTARG = ledger.amount, RIGHTARG = ledger.amount, PROCEDURE = ledger.amount_gt,
	COMMUTATOR = OPERATOR(ledger.<), NEGATOR = OPERATOR(ledger.<=),
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR ledger.>= (
	LEFTARG = ledger.amount, RIGHTARG = ledger.amount, PROCEDURE = ledger.amount_ge,
	COMMUTATOR = OPERATOR(ledger.<=), NEGATOR = OPERATOR(ledger.<),
	RESTRICT = scalargesel, JOIN = scalargejoinsel);

COMMENT ON OPERATOR ledger.= (ledger.amount, ledger.amount) IS 'equal: same currency and units';
COMMENT ON OPERATOR ledger.<> (ledger.amount, ledger.amount) IS 'not equal';
COMMENT ON OPERATOR ledger.< (ledger.amount, ledger.amount) IS 'less than in the order (currency, units)';
COMMENT ON OPERATOR ledger.<= (ledger.amount, ledger.amount) IS 'less than or equal in the order (currency, units)';
COMMENT ON OPERATOR ledger.> (ledger.amount, ledger.amount) IS 'greater than in the order (currency, units)';
COMMENT ON OPERATOR ledger.>= (ledger.amount, ledger.amount) IS 'greater than or equal in the order (currency, units)';

CREATE OPERATOR CLASS ledger.amount_ops DEFAULT FOR TYPE ledger.amount USING btree AS
	OPERATOR 1 ledger.<,
	OPERATOR 2 ledger.<=,
	OPERATOR 3 ledger.=,
	OPERATOR 4 ledger.>=,
	OPERATOR 5 ledger.>,
	FUNCTION 1 ledger.amount_cmp(ledger.amount, ledger.amount),
	FUNCTION 2 ledger.amount_sortsupport(internal);
COMMENT ON OPERATOR CLASS ledger.amount_ops USING btree IS 'total order of ledger.amount: currency, then units';

CREATE OPERATOR CLASS ledger.amount_hash_ops DEFAULT FOR TYPE ledger.amount USING hash AS
	OPERATOR 1 ledger.=,
	FUNCTION 1 ledger.amount_hash(ledger.amount),
	FUNCTION 2 ledger.amount_hash_extended(ledger.amount, bigint);
COMMENT ON OPERATOR CLASS ledger.amount_hash_ops USING hash IS 'hashing of ledger.amount (hash joins, hash aggregation, hash partitioning)';

-- arithmetic: overflow-checked, same currency only
CREATE FUNCTION ledger.amount_pl(ledger.amount, ledger.amount) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_pl' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.amount_mi(ledger.amount, ledger.amount) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_mi' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.amount_um(ledger.amount) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_um' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.amount_mul_int8(ledger.amount, bigint) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_mul_int8' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.int8_mul_amount(bigint, ledger.amount) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_int8_mul_amount' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.amount_mul_int4(ledger.amount, integer) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_mul_int4' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.int4_mul_amount(integer, ledger.amount) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_int4_mul_amount' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.abs(ledger.amount) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_abs' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.amount_pl(ledger.amount, ledger.amount) IS 'sum of two amounts of one currency (22003 on overflow, 42804 across currencies)';
COMMENT ON FUNCTION ledger.amount_mi(ledger.amount, ledger.amount) IS 'difference of two amounts of one currency (22003 on overflow, 42804 across currencies)';
COMMENT ON FUNCTION ledger.amount_um(ledger.amount) IS 'negation (22003 on overflow)';
COMMENT ON FUNCTION ledger.amount_mul_int8(ledger.amount, bigint) IS 'amount times an integer (22003 on overflow)';
COMMENT ON FUNCTION ledger.int8_mul_amount(bigint, ledger.amount) IS 'integer times an amount (22003 on overflow)';
COMMENT ON FUNCTION ledger.amount_mul_int4(ledger.amount, integer) IS 'amount times an integer (22003 on overflow)';
COMMENT ON FUNCTION ledger.int4_mul_amount(integer, ledger.amount) IS 'integer times an amount (22003 on overflow)';
COMMENT ON FUNCTION ledger.abs(ledger.amount) IS 'absolute value of an amount (22003 on overflow)';

CREATE OPERATOR ledger.+ (LEFTARG = ledger.amount, RIGHTARG = ledger.amount,
	PROCEDURE = ledger.amount_pl, COMMUTATOR = OPERATOR(ledger.+));
CREATE OPERATOR ledger.- (LEFTARG = ledger.amount, RIGHTARG = ledger.amount,
	PROCEDURE = ledger.amount_mi);
CREATE OPERATOR ledger.- (RIGHTARG = ledger.amount, PROCEDURE = ledger.amount_um);
CREATE OPERATOR ledger.* (LEFTARG = ledger.amount, RIGHTARG = bigint,
	PROCEDURE = ledger.amount_mul_int8, COMMUTATOR = OPERATOR(ledger.*));
CREATE OPERATOR ledger.* (LEFTARG = bigint, RIGHTARG = ledger.amount,
	PROCEDURE = ledger.int8_mul_amount, COMMUTATOR = OPERATOR(ledger.*));
CREATE OPERATOR ledger.* (LEFTARG = ledger.amount, RIGHTARG = integer,
	PROCEDURE = ledger.amount_mul_int4, COMMUTATOR = OPERATOR(ledger.*));
CREATE OPERATOR ledger.* (LEFTARG = integer, RIGHTARG = ledger.amount,
	PROCEDURE = ledger.int4_mul_amount, COMMUTATOR = OPERATOR(ledger.*));

COMMENT ON OPERATOR ledger.+ (ledger.amount, ledger.amount) IS 'add amounts of one currency';
COMMENT ON OPERATOR ledger.- (ledger.amount, ledger.amount) IS 'subtract amounts of one currency';
COMMENT ON OPERATOR ledger.- (NONE, ledger.amount) IS 'negate an amount';
COMMENT ON OPERATOR ledger.* (ledger.amount, bigint) IS 'multiply an amount by an integer';
COMMENT ON OPERATOR ledger.* (bigint, ledger.amount) IS 'multiply an amount by an integer';
COMMENT ON OPERATOR ledger.* (ledger.amount, integer) IS 'multiply an amount by an integer';
COMMENT ON OPERATOR ledger.* (integer, ledger.amount) IS 'multiply an amount by an integer';

-- constructors and accessors
CREATE FUNCTION ledger.amount(numeric, text) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_from_numeric' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.amount_of_units(bigint, text) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_from_units' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.currency(ledger.amount) RETURNS text
	AS 'MODULE_PATHNAME', 'ledger_amount_currency' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.minor_units(ledger.amount) RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_amount_minor_units' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.decimals(ledger.amount) RETURNS integer
	AS 'MODULE_PATHNAME', 'ledger_amount_decimals' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.zero(text) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_zero' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.amount_to_numeric(ledger.amount) RETURNS numeric
	AS 'MODULE_PATHNAME', 'ledger_amount_to_numeric' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.amount(numeric, text) IS
	'amount from a decimal value and a currency; more decimal places than the currency has is 22P02, never rounded';
COMMENT ON FUNCTION ledger.amount_of_units(bigint, text) IS 'amount from minor units and a currency (e.g. 1234, ''CNY'' is 12.34 CNY)';
COMMENT ON FUNCTION ledger.currency(ledger.amount) IS 'the currency as written on output: ''CNY'', ''USDT/6''';
COMMENT ON FUNCTION ledger.minor_units(ledger.amount) IS 'the amount in minor units (fen, cents)';
COMMENT ON FUNCTION ledger.decimals(ledger.amount) IS 'the number of decimal places of the amount''s currency';
COMMENT ON FUNCTION ledger.zero(text) IS 'zero in the given currency';
COMMENT ON FUNCTION ledger.amount_to_numeric(ledger.amount) IS 'the decimal value without its currency (cast ledger.amount::numeric)';

/*
 * Sums of minor units (numeric) in the text form of an amount: what the
 * checks and assertions print for a total.  A total beyond the range of
 * ledger.amount (a sum over accounts, a roll-up) is printed as the same
 * decimal number with the currency's decimals instead of failing.
 */
CREATE FUNCTION ledger._format_units(units numeric, currency text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN units OPERATOR(pg_catalog.>=) -9223372036854775808 AND units OPERATOR(pg_catalog.<=) 9223372036854775807
            THEN ledger.amount_of_units(units::bigint, currency)::text
            ELSE pg_catalog.round((units::text OPERATOR(pg_catalog.||) 'e-' OPERATOR(pg_catalog.||) ledger.decimals(ledger.zero(currency))::text)::numeric,
                                  ledger.decimals(ledger.zero(currency)))::text
                 OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) ledger.currency(ledger.zero(currency)) END;
COMMENT ON FUNCTION ledger._format_units(numeric, text) IS
	'minor units (numeric) as an amount''s text, e.g. 1234, ''CNY'' is ''12.34 CNY''; beyond the range of ledger.amount the same form without the 64-bit limit';
REVOKE EXECUTE ON FUNCTION ledger._format_units(numeric, text) FROM PUBLIC;

-- A sum of amounts (a summary account's roll-up, a total) as an amount, or a
-- clear 22003 naming the account (NULL: the total), the currency, what the sum
-- is and its value, instead of "bigint out of range" with the query in its
-- CONTEXT.  Not STRICT: a NULL account names the total.
CREATE FUNCTION ledger._amount_of_sum(units numeric, currency text, account_code text, what text)
	RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_of_sum'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger._amount_of_sum(numeric, text, text, text) IS
	'minor units (numeric, a sum) as an amount; beyond the range of ledger.amount a 22003 naming the account (NULL: the total), the currency, what the sum is and its value';

CREATE CAST (ledger.amount AS numeric) WITH FUNCTION ledger.amount_to_numeric(ledger.amount);
COMMENT ON CAST (ledger.amount AS numeric) IS 'the decimal value of an amount, without its currency';

-- aggregates
CREATE FUNCTION ledger.amount_sum_accum(internal, ledger.amount) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_amount_sum_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.amount_sum_inv(internal, ledger.amount) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_amount_sum_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.amount_sum_final(internal) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_amount_sum_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.amount_sum_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_amount_sum_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.amount_sum_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'ledger_amount_sum_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.amount_sum_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_amount_sum_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.amount_sum_accum(internal, ledger.amount) IS 'sum(ledger.amount) transition: 128-bit accumulator';
COMMENT ON FUNCTION ledger.amount_sum_inv(internal, ledger.amount) IS 'sum(ledger.amount) inverse transition for window frames';
COMMENT ON FUNCTION ledger.amount_sum_final(internal) IS 'sum(ledger.amount) final: 22003 when the total is beyond 64 bits';
COMMENT ON FUNCTION ledger.amount_sum_combine(internal, internal) IS 'sum(ledger.amount) combine for parallel aggregation';
COMMENT ON FUNCTION ledger.amount_sum_serialize(internal) IS 'sum(ledger.amount) state serialisation';
COMMENT ON FUNCTION ledger.amount_sum_deserialize(bytea, internal) IS 'sum(ledger.amount) state deserialisation';

CREATE AGGREGATE ledger.sum(ledger.amount) (
	SFUNC = ledger.amount_sum_accum,
	STYPE = internal,
	SSPACE = 48,
	FINALFUNC = ledger.amount_sum_final,
	COMBINEFUNC = ledger.amount_sum_combine,
	SERIALFUNC = ledger.amount_sum_serialize,
	DESERIALFUNC = ledger.amount_sum_deserialize,
	MSFUNC = ledger.amount_sum_accum,
	MINVFUNC = ledger.amount_sum_inv,
	MSTYPE = internal,
	MSSPACE = 48,
	MFINALFUNC = ledger.amount_sum_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE ledger.sum(ledger.amount) IS
	'exact sum of amounts of one currency (42804 across currencies, 22003 if the total exceeds 64 bits)';

CREATE AGGREGATE ledger.min(ledger.amount) (
	SFUNC = ledger.amount_smaller, STYPE = ledger.amount,
	COMBINEFUNC = ledger.amount_smaller, SORTOP = OPERATOR(ledger.<), PARALLEL = SAFE);
CREATE AGGREGATE ledger.max(ledger.amount) (
	SFUNC = ledger.amount_larger, STYPE = ledger.amount,
	COMBINEFUNC = ledger.amount_larger, SORTOP = OPERATOR(ledger.>), PARALLEL = SAFE);
COMMENT ON AGGREGATE ledger.min(ledger.amount) IS 'smallest amount in the order (currency, units)';
COMMENT ON AGGREGATE ledger.max(ledger.amount) IS 'largest amount in the order (currency, units)';

