/* ledger--1.0.sql — double-entry books, day-end cutoff and reconciliation */

\echo Use "CREATE EXTENSION ledger" to load this file. \quit

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

-- ===========================================================================
-- 2. Chart of accounts
-- ===========================================================================

CREATE SEQUENCE ledger.account_id_seq;
COMMENT ON SEQUENCE ledger.account_id_seq IS 'ids of ledger.account';

CREATE TABLE ledger.account (
	id          bigint NOT NULL DEFAULT nextval('ledger.account_id_seq'),
	code        text NOT NULL,
	name        text NOT NULL,
	parent_code text NULL,
	kind        text NOT NULL,
	currency    text NULL,
	floor       ledger.amount NULL,
	ceiling     ledger.amount NULL,
	hot         boolean NOT NULL DEFAULT false,
	status      text NOT NULL DEFAULT 'open',
	created_at  timestamptz NOT NULL DEFAULT now(),
	metadata    jsonb NULL,
	CONSTRAINT account_pkey PRIMARY KEY (id),
	CONSTRAINT account_code_key UNIQUE (code),
	CONSTRAINT account_parent_fkey FOREIGN KEY (parent_code)
		REFERENCES ledger.account (code) ON UPDATE RESTRICT ON DELETE RESTRICT,
	CONSTRAINT account_code_check CHECK (code ~ '^[^[:space:][:cntrl:]]{1,64}$'),
	CONSTRAINT account_kind_check CHECK (kind IN ('asset', 'liability', 'common', 'equity', 'cost', 'revenue', 'expense')),
	CONSTRAINT account_status_check CHECK (status IN ('open', 'frozen', 'closed')),
	CONSTRAINT account_hot_unbounded CHECK (NOT hot OR (floor IS NULL AND ceiling IS NULL)),
	CONSTRAINT account_normal_side_check CHECK (metadata IS NULL OR metadata->>'normal_side' IS NULL
		OR (kind = 'common' AND metadata->>'normal_side' IN ('debit', 'credit')))
);
ALTER SEQUENCE ledger.account_id_seq OWNED BY ledger.account.id;
CREATE INDEX account_parent_code_idx ON ledger.account (parent_code);

COMMENT ON TABLE ledger.account IS 'chart of accounts (会计科目): a tree of summary accounts and postable leaf accounts, one currency each';
COMMENT ON COLUMN ledger.account.id IS 'account id, referenced by ledger.entry.account_id';
COMMENT ON COLUMN ledger.account.code IS 'account code, e.g. ''1002.01''; immutable once posted to';
COMMENT ON COLUMN ledger.account.name IS 'account name';
COMMENT ON COLUMN ledger.account.parent_code IS 'code of the summary account above this one (NULL at the top of the tree)';
COMMENT ON COLUMN ledger.account.kind IS 'asset, liability, common, equity, cost, revenue or expense (资产/负债/共同/所有者权益/成本/损益)';
COMMENT ON COLUMN ledger.account.currency IS 'currency as ledger.currency() writes it; NULL only for a multi-currency summary account';
COMMENT ON COLUMN ledger.account.floor IS 'lowest allowed balance on the normal side (e.g. ''0 CNY'' for a wallet), checked exactly at posting';
COMMENT ON COLUMN ledger.account.ceiling IS 'highest allowed balance on the normal side, checked exactly at posting';
COMMENT ON COLUMN ledger.account.hot IS 'account most vouchers touch (热点账户): its balance is spread over slots so posters never queue on one row';
COMMENT ON COLUMN ledger.account.status IS 'open; frozen (no postings); closed (no postings, balance zero)';
COMMENT ON COLUMN ledger.account.created_at IS 'when the account was created';
COMMENT ON COLUMN ledger.account.metadata IS 'free-form attributes; for a common account, normal_side = debit | credit';

/*
 * Maintained balances.  An ordinary account has one row (slot 0); a hot
 * account has ledger.hot_slots rows and each posting session adds to the slot
 * of its backend, so concurrent posters do not wait for each other.  The
 * balance is the sum of the slots.  blocked, floor_units and ceiling_units
 * repeat the account's state on the row that posters lock, so that a change
 * of status or bounds and a posting are serialised by the same row lock.
 */
CREATE TABLE ledger.account_balance (
	account_id    bigint NOT NULL REFERENCES ledger.account (id) ON DELETE CASCADE,
	slot          integer NOT NULL,
	units         bigint NOT NULL DEFAULT 0,
	blocked       text NULL,
	floor_units   bigint NULL,
	ceiling_units bigint NULL,
	CONSTRAINT account_balance_pkey PRIMARY KEY (account_id, slot)
) WITH (fillfactor = 50);
COMMENT ON TABLE ledger.account_balance IS 'maintained balances, one row per account (several slots for a hot account)';
COMMENT ON COLUMN ledger.account_balance.account_id IS 'the account';
COMMENT ON COLUMN ledger.account_balance.slot IS '0 for an ordinary account; 0 .. ledger.hot_slots-1 for a hot account';
COMMENT ON COLUMN ledger.account_balance.units IS 'sum of the entries booked into this slot, in minor units, debit positive';
COMMENT ON COLUMN ledger.account_balance.blocked IS 'why the account takes no postings (frozen, closed, summary), NULL if it does';
COMMENT ON COLUMN ledger.account_balance.floor_units IS 'the account''s floor on its normal side, in minor units';
COMMENT ON COLUMN ledger.account_balance.ceiling_units IS 'the account''s ceiling on its normal side, in minor units';

-- ===========================================================================
-- 3. Book days
-- ===========================================================================

CREATE TABLE ledger.book_day (
	book_date  date NOT NULL,
	status     text NOT NULL DEFAULT 'open',
	opened_at  timestamptz NOT NULL DEFAULT now(),
	closing_at timestamptz NULL,
	closed_at  timestamptz NULL,
	digest     bytea NULL,
	CONSTRAINT book_day_pkey PRIMARY KEY (book_date),
	CONSTRAINT book_day_status_check CHECK (status IN ('open', 'closing', 'closed')),
	CONSTRAINT book_day_digest_check CHECK ((status = 'closed') = (digest IS NOT NULL AND closed_at IS NOT NULL))
);
CREATE UNIQUE INDEX book_day_one_open ON ledger.book_day ((true)) WHERE status = 'open';
COMMENT ON TABLE ledger.book_day IS 'accounting dates (会计日期): exactly one is open, earlier ones are closing or closed';
COMMENT ON COLUMN ledger.book_day.book_date IS 'the accounting date';
COMMENT ON COLUMN ledger.book_day.status IS 'open (takes postings), closing (cutoff under way), closed (frozen)';
COMMENT ON COLUMN ledger.book_day.opened_at IS 'when the day was opened';
COMMENT ON COLUMN ledger.book_day.closing_at IS 'when the cutoff switched the books to the next day';
COMMENT ON COLUMN ledger.book_day.closed_at IS 'when the day was closed';
COMMENT ON COLUMN ledger.book_day.digest IS 'SHA-256 over the day''s vouchers and entries, chained with the previous closed day';

-- ===========================================================================
-- 4. Vouchers and entries
-- ===========================================================================

CREATE SEQUENCE ledger.voucher_id_seq;
COMMENT ON SEQUENCE ledger.voucher_id_seq IS 'ids of ledger.voucher';

CREATE FUNCTION ledger.current_book_date() RETURNS date
	AS 'MODULE_PATHNAME', 'ledger_current_book_date'
	LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ledger.current_book_date() IS
	'the open accounting date; inside a transaction that has posted, the date its vouchers land on';

CREATE TABLE ledger.voucher (
	id              bigint NOT NULL DEFAULT nextval('ledger.voucher_id_seq'),
	book_date       date NOT NULL DEFAULT ledger.current_book_date(),
	idempotency_key text NOT NULL,
	ref             text NULL,
	summary         text NULL,
	reverses        bigint NULL,
	created_at      timestamptz NOT NULL DEFAULT now(),
	created_by      text NOT NULL DEFAULT session_user,
	metadata        jsonb NULL,
	CONSTRAINT voucher_pkey PRIMARY KEY (id),
	CONSTRAINT voucher_idempotency_key_key UNIQUE (idempotency_key),
	CONSTRAINT voucher_not_self_reversal CHECK (reverses <> id)
);
ALTER SEQUENCE ledger.voucher_id_seq OWNED BY ledger.voucher.id;
CREATE UNIQUE INDEX voucher_reverses_key ON ledger.voucher (reverses) WHERE reverses IS NOT NULL;
CREATE INDEX voucher_ref_idx ON ledger.voucher (ref) WHERE ref IS NOT NULL;
CREATE INDEX voucher_book_date_idx ON ledger.voucher USING brin (book_date);

COMMENT ON TABLE ledger.voucher IS 'vouchers (记账凭证): immutable; each balances per currency and has at least two entries';
COMMENT ON COLUMN ledger.voucher.id IS 'voucher id';
COMMENT ON COLUMN ledger.voucher.book_date IS 'accounting date the voucher belongs to: always the open day when it was posted';
COMMENT ON COLUMN ledger.voucher.idempotency_key IS 'caller''s unique key: posting the same key again returns the same voucher';
COMMENT ON COLUMN ledger.voucher.ref IS 'business reference (order number, channel serial) matched by reconciliation';
COMMENT ON COLUMN ledger.voucher.summary IS 'summary (摘要)';
COMMENT ON COLUMN ledger.voucher.reverses IS 'the voucher this one reverses (红字冲销), if any';
COMMENT ON COLUMN ledger.voucher.created_at IS 'when the voucher was written';
COMMENT ON COLUMN ledger.voucher.created_by IS 'session user that wrote the voucher';
COMMENT ON COLUMN ledger.voucher.metadata IS 'free-form attributes';

CREATE TABLE ledger.entry (
	voucher_id bigint NOT NULL,
	line_no    integer NOT NULL,
	account_id bigint NOT NULL,
	amount     ledger.amount NOT NULL,
	book_date  date NOT NULL DEFAULT ledger.current_book_date(),
	memo       text NULL,
	CONSTRAINT entry_pkey PRIMARY KEY (voucher_id, line_no),
	CONSTRAINT entry_line_no_check CHECK (line_no > 0)
);
CREATE INDEX entry_account_idx ON ledger.entry (account_id, book_date);
CREATE INDEX entry_book_date_idx ON ledger.entry USING brin (book_date);

COMMENT ON TABLE ledger.entry IS 'entries (分录): signed amounts (debit positive, credit negative) on leaf accounts';
COMMENT ON COLUMN ledger.entry.voucher_id IS 'the voucher, written in the same transaction';
COMMENT ON COLUMN ledger.entry.line_no IS 'line number within the voucher';
COMMENT ON COLUMN ledger.entry.account_id IS 'a leaf account that is open';
COMMENT ON COLUMN ledger.entry.amount IS 'signed amount in the account''s currency: debit positive, credit negative, never zero';
COMMENT ON COLUMN ledger.entry.book_date IS 'the voucher''s accounting date (derived, never supplied)';
COMMENT ON COLUMN ledger.entry.memo IS 'line memo';

-- ===========================================================================
-- 5. Triggers: invariants for every write path
-- ===========================================================================

CREATE FUNCTION ledger._voucher_inserted() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ledger_voucher_inserted' LANGUAGE C;
CREATE FUNCTION ledger._entry_inserted() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ledger_entry_inserted' LANGUAGE C;
CREATE FUNCTION ledger._immutable() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ledger_immutable' LANGUAGE C;
CREATE FUNCTION ledger._invalidate() RETURNS trigger
	AS 'MODULE_PATHNAME', 'ledger_invalidate' LANGUAGE C;
CREATE FUNCTION ledger._hot_slots() RETURNS integer
	AS 'MODULE_PATHNAME', 'ledger_hot_slots_setting' LANGUAGE C STABLE;

COMMENT ON FUNCTION ledger._voucher_inserted() IS
	'statement trigger on ledger.voucher: book date is the open day, reversal target is valid; registers the vouchers for the commit check';
COMMENT ON FUNCTION ledger._entry_inserted() IS
	'statement trigger on ledger.entry: validates every row (voucher, book date, account, currency, non-zero) and books the movements into the balances, checking floors and ceilings';
COMMENT ON FUNCTION ledger._immutable() IS 'rejects UPDATE, DELETE and TRUNCATE of the books (55000)';
COMMENT ON FUNCTION ledger._invalidate() IS 'tells every session to reload its cached chart of accounts or open day';
COMMENT ON FUNCTION ledger._hot_slots() IS 'value of ledger.hot_slots';

CREATE TRIGGER voucher_inserted AFTER INSERT ON ledger.voucher
	REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ledger._voucher_inserted();
CREATE TRIGGER entry_inserted AFTER INSERT ON ledger.entry
	REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ledger._entry_inserted();
CREATE TRIGGER voucher_immutable BEFORE UPDATE OR DELETE ON ledger.voucher
	FOR EACH ROW EXECUTE FUNCTION ledger._immutable();
CREATE TRIGGER voucher_no_truncate BEFORE TRUNCATE ON ledger.voucher
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._immutable();
CREATE TRIGGER entry_immutable BEFORE UPDATE OR DELETE ON ledger.entry
	FOR EACH ROW EXECUTE FUNCTION ledger._immutable();
CREATE TRIGGER entry_no_truncate BEFORE TRUNCATE ON ledger.entry
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._immutable();
CREATE TRIGGER account_balance_no_truncate BEFORE TRUNCATE ON ledger.account_balance
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._immutable();
CREATE TRIGGER account_no_truncate BEFORE TRUNCATE ON ledger.account
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._immutable();
CREATE TRIGGER book_day_no_truncate BEFORE TRUNCATE ON ledger.book_day
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._immutable();

CREATE TRIGGER account_invalidate AFTER INSERT OR UPDATE OR DELETE ON ledger.account
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._invalidate();
CREATE TRIGGER book_day_invalidate AFTER INSERT OR UPDATE OR DELETE ON ledger.book_day
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._invalidate();
ALTER TABLE ledger.account ENABLE ALWAYS TRIGGER account_invalidate;
ALTER TABLE ledger.book_day ENABLE ALWAYS TRIGGER book_day_invalidate;

-- --- accounts --------------------------------------------------------------

CREATE FUNCTION ledger.normal_side(kind text, metadata jsonb DEFAULT NULL) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	RETURN CASE
		WHEN kind IN ('asset', 'cost', 'expense') THEN 'debit'
		WHEN kind IN ('liability', 'equity', 'revenue') THEN 'credit'
		WHEN kind = 'common' THEN COALESCE(metadata->>'normal_side', 'debit')
	END;
COMMENT ON FUNCTION ledger.normal_side(text, jsonb) IS
	'normal balance side of an account kind: debit for asset, cost, expense; credit for liability, equity, revenue; common accounts say in metadata';

CREATE FUNCTION ledger._normal_sign(kind text, metadata jsonb) RETURNS integer
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	RETURN CASE ledger.normal_side(kind, metadata) WHEN 'debit' THEN 1 ELSE -1 END;
COMMENT ON FUNCTION ledger._normal_sign(text, jsonb) IS '+1 for debit-normal accounts, -1 for credit-normal ones';

CREATE FUNCTION ledger._account_posted(account_id bigint) RETURNS boolean
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	RETURN EXISTS (SELECT 1 FROM ledger.entry e WHERE e.account_id OPERATOR(pg_catalog.=) $1);
COMMENT ON FUNCTION ledger._account_posted(bigint) IS 'whether any entry was ever posted to the account';

CREATE FUNCTION ledger._account_blocked(a ledger.account) RETURNS text
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	RETURN CASE
		WHEN EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code OPERATOR(pg_catalog.=) a.code) THEN 'a summary account'
		WHEN a.status OPERATOR(pg_catalog.<>) 'open' THEN a.status
	END;
COMMENT ON FUNCTION ledger._account_blocked(ledger.account) IS 'why an account takes no postings, NULL if it does';

/*
 * Validates a new or changed account.  Runs for operators, not for posters:
 * PL/pgSQL is fine here.  The account triggers are SECURITY DEFINER: whoever
 * may write ledger.account need not be able to write the balance rows (nor
 * read the entries) they maintain.
 */
CREATE FUNCTION ledger._account_before() RETURNS trigger
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	parent ledger.account;
	posted boolean := false;
	bal bigint;
BEGIN
	IF NEW.code IS NULL OR NEW.code !~ '^[^[:space:][:cntrl:]]{1,64}$' THEN
		RAISE EXCEPTION 'invalid account code "%"', NEW.code
			USING ERRCODE = 'check_violation',
				DETAIL = 'An account code is 1 to 64 characters without spaces or control characters.';
	END IF;
	IF NEW.kind IS NULL OR NEW.kind NOT IN ('asset', 'liability', 'common', 'equity', 'cost', 'revenue', 'expense') THEN
		RAISE EXCEPTION 'invalid kind "%" of account "%"', NEW.kind, NEW.code
			USING ERRCODE = 'check_violation',
				DETAIL = 'The kind is one of asset, liability, common, equity, cost, revenue, expense.';
	END IF;
	IF NEW.status IS NULL OR NEW.status NOT IN ('open', 'frozen', 'closed') THEN
		RAISE EXCEPTION 'invalid status "%" of account "%"', NEW.status, NEW.code
			USING ERRCODE = 'check_violation',
				DETAIL = 'The status is open, frozen or closed.';
	END IF;
	IF NEW.metadata ? 'normal_side' AND (NEW.kind <> 'common' OR NEW.metadata->>'normal_side' NOT IN ('debit', 'credit')) THEN
		RAISE EXCEPTION 'invalid normal side of account "%"', NEW.code
			USING ERRCODE = 'check_violation',
				DETAIL = 'Only a common account names its normal side, and it is debit or credit.';
	END IF;
	IF NEW.hot AND (NEW.floor IS NOT NULL OR NEW.ceiling IS NOT NULL) THEN
		RAISE EXCEPTION 'hot account "%" cannot have a floor or ceiling', NEW.code
			USING ERRCODE = 'check_violation',
				DETAIL = 'A hot account spreads its balance over several slots; bounds need one row to check.';
	END IF;
	IF NEW.currency IS NOT NULL THEN
		NEW.currency := ledger.currency(ledger.zero(NEW.currency));
	END IF;
	IF TG_OP = 'UPDATE' THEN
		IF NEW.id IS DISTINCT FROM OLD.id THEN
			RAISE EXCEPTION 'cannot change the id of account "%"', OLD.code
				USING ERRCODE = 'object_not_in_prerequisite_state';
		END IF;
		posted := ledger._account_posted(OLD.id);
		IF posted AND (NEW.code IS DISTINCT FROM OLD.code OR NEW.kind IS DISTINCT FROM OLD.kind
			OR NEW.currency IS DISTINCT FROM OLD.currency OR NEW.parent_code IS DISTINCT FROM OLD.parent_code) THEN
			RAISE EXCEPTION 'cannot change the code, kind, currency or parent of account "%"', OLD.code
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = 'Entries have been posted to the account; its history would change.',
					HINT = 'Open a new account and move the balance with a voucher.';
		END IF;
		IF OLD.status = 'closed' AND NEW.status <> 'closed' THEN
			RAISE EXCEPTION 'account "%" is closed', OLD.code
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = 'A closed account cannot be reopened.';
		END IF;
	END IF;

	IF (NEW.floor IS NOT NULL OR NEW.ceiling IS NOT NULL) AND NEW.currency IS NULL THEN
		RAISE EXCEPTION 'account "%" has a floor or ceiling but no currency', NEW.code
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NEW.floor IS NOT NULL AND ledger.currency(NEW.floor) <> NEW.currency THEN
		RAISE EXCEPTION 'floor % of account "%" is not in its currency %', NEW.floor, NEW.code, NEW.currency
			USING ERRCODE = 'datatype_mismatch';
	END IF;
	IF NEW.ceiling IS NOT NULL AND ledger.currency(NEW.ceiling) <> NEW.currency THEN
		RAISE EXCEPTION 'ceiling % of account "%" is not in its currency %', NEW.ceiling, NEW.code, NEW.currency
			USING ERRCODE = 'datatype_mismatch';
	END IF;
	IF NEW.floor IS NOT NULL AND NEW.ceiling IS NOT NULL AND NEW.floor OPERATOR(ledger.>) NEW.ceiling THEN
		RAISE EXCEPTION 'floor % of account "%" is above its ceiling %', NEW.floor, NEW.code, NEW.ceiling
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	IF NEW.parent_code IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.parent_code IS DISTINCT FROM OLD.parent_code) THEN
		SELECT * INTO parent FROM ledger.account WHERE code = NEW.parent_code;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'parent account "%" of account "%" does not exist', NEW.parent_code, NEW.code
				USING ERRCODE = 'foreign_key_violation';
		END IF;
		IF parent.kind <> NEW.kind THEN
			RAISE EXCEPTION 'account "%" is of kind %, its parent "%" of kind %', NEW.code, NEW.kind, parent.code, parent.kind
				USING ERRCODE = 'invalid_parameter_value',
					HINT = 'Sub-accounts have the kind of the account they belong to.';
		END IF;
		IF parent.currency IS NOT NULL AND parent.currency IS DISTINCT FROM NEW.currency THEN
			RAISE EXCEPTION 'account "%" holds %, its parent "%" holds %', NEW.code,
				COALESCE(NEW.currency, 'no currency'), parent.code, parent.currency
				USING ERRCODE = 'datatype_mismatch',
					HINT = 'Give the parent no currency to make it a multi-currency summary account.';
		END IF;
		IF parent.status <> 'open' THEN
			RAISE EXCEPTION 'parent account "%" is %', parent.code, parent.status
				USING ERRCODE = 'object_not_in_prerequisite_state';
		END IF;
		-- serialise with postings to the parent, then make sure there were none
		PERFORM 1 FROM ledger.account_balance b WHERE b.account_id = parent.id FOR UPDATE;
		IF ledger._account_posted(parent.id) THEN
			RAISE EXCEPTION 'account "%" cannot become a summary account', parent.code
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = format('Entries have been posted to "%s"; a summary account takes no postings.', parent.code),
					HINT = 'Move its balance to a new leaf account first, or open the sub-account elsewhere.';
		END IF;
		IF TG_OP = 'UPDATE' AND EXISTS (
			WITH RECURSIVE sub(code) AS (
				SELECT NEW.code
				UNION
				SELECT c.code FROM ledger.account c JOIN sub ON c.parent_code = sub.code)
			SELECT 1 FROM sub WHERE sub.code = NEW.parent_code) THEN
			RAISE EXCEPTION 'account "%" cannot be placed under its own sub-account "%"', NEW.code, NEW.parent_code
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
	END IF;

	IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = OLD.code) THEN
		IF NEW.kind IS DISTINCT FROM OLD.kind THEN
			RAISE EXCEPTION 'cannot change the kind of summary account "%"', OLD.code
				USING ERRCODE = 'object_not_in_prerequisite_state';
		END IF;
		IF NEW.currency IS NOT NULL AND EXISTS (SELECT 1 FROM ledger.account c
				WHERE c.parent_code = OLD.code AND c.currency IS DISTINCT FROM NEW.currency) THEN
			RAISE EXCEPTION 'summary account "%" has sub-accounts in other currencies', OLD.code
				USING ERRCODE = 'datatype_mismatch';
		END IF;
	END IF;

	-- a new bound must hold for the balance the account already has
	IF TG_OP = 'UPDATE' AND (NEW.floor::text IS DISTINCT FROM OLD.floor::text OR NEW.ceiling::text IS DISTINCT FROM OLD.ceiling::text) THEN
		SELECT sum(b.units) * ledger._normal_sign(NEW.kind, NEW.metadata) INTO bal
			FROM (SELECT units FROM ledger.account_balance WHERE account_id = OLD.id FOR UPDATE) b;
		IF NEW.floor IS NOT NULL AND COALESCE(bal, 0) < ledger.minor_units(NEW.floor) THEN
			RAISE EXCEPTION 'balance of account "%" is below the new floor', NEW.code
				USING ERRCODE = 'check_violation',
					DETAIL = format('The balance is %s; the floor would be %s.',
						ledger.amount_of_units(COALESCE(bal, 0), NEW.currency), NEW.floor);
		END IF;
		IF NEW.ceiling IS NOT NULL AND COALESCE(bal, 0) > ledger.minor_units(NEW.ceiling) THEN
			RAISE EXCEPTION 'balance of account "%" is above the new ceiling', NEW.code
				USING ERRCODE = 'check_violation',
					DETAIL = format('The balance is %s; the ceiling would be %s.',
						ledger.amount_of_units(COALESCE(bal, 0), NEW.currency), NEW.ceiling);
		END IF;
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION ledger._account_before() IS
	'validates accounts: currency, bounds, tree (kind, currency, no postings on a parent, no cycles), immutability once posted';

/*
 * Keeps the balance rows in step with the account: creates them, spreads a
 * hot account over slots (or folds the slots back), and repeats status and
 * bounds on them.  Updating the rows takes the lock posters take.
 */
CREATE FUNCTION ledger._account_after() RETURNS trigger
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	sign integer := ledger._normal_sign(NEW.kind, NEW.metadata);
	nslots integer;
	bal bigint;
BEGIN
	IF TG_OP = 'INSERT' THEN
		nslots := CASE WHEN NEW.hot THEN ledger._hot_slots() ELSE 1 END;
		INSERT INTO ledger.account_balance (account_id, slot, blocked, floor_units, ceiling_units)
			SELECT NEW.id, s, ledger._account_blocked(NEW),
				CASE WHEN s = 0 THEN ledger.minor_units(NEW.floor) END,
				CASE WHEN s = 0 THEN ledger.minor_units(NEW.ceiling) END
			FROM generate_series(0, nslots - 1) s;
	ELSE
		IF NEW.hot AND NOT OLD.hot THEN
			nslots := ledger._hot_slots();
			-- each slot of a hot account holds at most its share of the range
			-- of ledger.amount, so that their sum always fits (see posting.c)
			SELECT sum(b.units) INTO bal FROM ledger.account_balance b WHERE b.account_id = NEW.id;
			IF abs(COALESCE(bal, 0)::numeric) > 9223372036854775807 / nslots THEN
				RAISE EXCEPTION 'balance of account "%" is too large for a hot account', NEW.code
					USING ERRCODE = 'numeric_value_out_of_range',
						DETAIL = format('Its balance is %s; spread over %s slots, a hot account holds at most %s either side of zero in each.',
							ledger.amount_of_units(bal * sign, NEW.currency), nslots,
							ledger.amount_of_units(9223372036854775807 / nslots, NEW.currency));
			END IF;
			INSERT INTO ledger.account_balance (account_id, slot, blocked)
				SELECT NEW.id, s, ledger._account_blocked(NEW) FROM generate_series(1, nslots - 1) s;
		ELSIF OLD.hot AND NOT NEW.hot THEN
			-- fold the slots into slot 0
			WITH gone AS (
				DELETE FROM ledger.account_balance WHERE account_id = NEW.id AND slot > 0 RETURNING units)
			UPDATE ledger.account_balance
				SET units = units + (SELECT COALESCE(sum(units), 0) FROM gone)::bigint
				WHERE account_id = NEW.id AND slot = 0;
		END IF;
		UPDATE ledger.account_balance
			SET blocked = ledger._account_blocked(NEW),
				floor_units = CASE WHEN slot = 0 THEN ledger.minor_units(NEW.floor) END,
				ceiling_units = CASE WHEN slot = 0 THEN ledger.minor_units(NEW.ceiling) END
			WHERE account_id = NEW.id;
		IF NEW.status = 'closed' AND OLD.status <> 'closed' THEN
			SELECT sum(units) INTO bal FROM ledger.account_balance WHERE account_id = NEW.id;
			IF COALESCE(bal, 0) <> 0 THEN
				RAISE EXCEPTION 'cannot close account "%"', NEW.code
					USING ERRCODE = 'object_not_in_prerequisite_state',
						DETAIL = format('Its balance is %s; only an account with a zero balance can be closed.',
							ledger.amount_of_units(bal * sign, NEW.currency)),
						HINT = 'Move the balance to another account with a voucher first.';
			END IF;
		END IF;
		IF OLD.parent_code IS NOT NULL AND OLD.parent_code IS DISTINCT FROM NEW.parent_code THEN
			UPDATE ledger.account_balance b SET blocked = ledger._account_blocked(p)
				FROM ledger.account p WHERE p.code = OLD.parent_code AND b.account_id = p.id;
		END IF;
	END IF;
	IF NEW.parent_code IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.parent_code IS DISTINCT FROM OLD.parent_code) THEN
		UPDATE ledger.account_balance b SET blocked = 'a summary account'
			FROM ledger.account p WHERE p.code = NEW.parent_code AND b.account_id = p.id;
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION ledger._account_after() IS
	'creates and maintains the balance rows of an account (slots of hot accounts, status and bounds repeated for posters)';

CREATE FUNCTION ledger._account_delete() RETURNS trigger
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_WHEN = 'BEFORE' THEN
		IF ledger._account_posted(OLD.id) THEN
			RAISE EXCEPTION 'cannot delete account "%"', OLD.code
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = 'Entries have been posted to it; accounts are never deleted once posted to.',
					HINT = 'Close it instead: UPDATE ledger.account SET status = ''closed''.';
		END IF;
		RETURN OLD;
	END IF;
	IF OLD.parent_code IS NOT NULL THEN
		UPDATE ledger.account_balance b SET blocked = ledger._account_blocked(p)
			FROM ledger.account p WHERE p.code = OLD.parent_code AND b.account_id = p.id;
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION ledger._account_delete() IS 'accounts with postings are never deleted; a parent left without children takes postings again';

CREATE TRIGGER account_before BEFORE INSERT OR UPDATE ON ledger.account
	FOR EACH ROW EXECUTE FUNCTION ledger._account_before();
CREATE TRIGGER account_after AFTER INSERT OR UPDATE ON ledger.account
	FOR EACH ROW EXECUTE FUNCTION ledger._account_after();
CREATE TRIGGER account_before_delete BEFORE DELETE ON ledger.account
	FOR EACH ROW EXECUTE FUNCTION ledger._account_delete();
CREATE TRIGGER account_after_delete AFTER DELETE ON ledger.account
	FOR EACH ROW EXECUTE FUNCTION ledger._account_delete();

-- --- book days -------------------------------------------------------------

/*
 * Guards the life of a day: open → closing → closed, nothing else.  In
 * restore mode (session_replication_role = replica) the first restored day
 * replaces the day CREATE EXTENSION opened.
 */
CREATE FUNCTION ledger._book_day_guard() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		IF current_setting('session_replication_role') = 'replica' THEN
			DELETE FROM ledger.book_day d
				WHERE d.status = 'open'
				  AND (SELECT count(*) FROM ledger.book_day) = 1
				  AND NOT EXISTS (SELECT 1 FROM ledger.voucher v WHERE v.book_date = d.book_date);
		END IF;
		RETURN NEW;
	END IF;
	IF TG_OP = 'DELETE' THEN
		IF current_setting('session_replication_role') = 'replica' THEN
			RETURN OLD;
		END IF;
		RAISE EXCEPTION 'cannot delete book day %', OLD.book_date
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = 'Book days are part of the books.';
	END IF;
	-- UPDATE
	IF OLD.status = 'closed' THEN
		RAISE EXCEPTION 'book day % is closed', OLD.book_date
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = 'A closed day never changes.';
	END IF;
	IF NEW.book_date <> OLD.book_date AND
	   (OLD.status <> 'open' OR EXISTS (SELECT 1 FROM ledger.voucher)) THEN
		RAISE EXCEPTION 'cannot move book day %', OLD.book_date
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = 'Only the open day of books without vouchers can move (ledger.open_books).';
	END IF;
	IF NOT ((OLD.status = NEW.status)
			OR (OLD.status = 'open' AND NEW.status = 'closing')
			OR (OLD.status = 'closing' AND NEW.status = 'closed')) THEN
		RAISE EXCEPTION 'book day % cannot go from % to %', OLD.book_date, OLD.status, NEW.status
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION ledger._book_day_guard() IS 'book days go open → closing → closed; closed days never change';

CREATE TRIGGER book_day_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger.book_day
	FOR EACH ROW EXECUTE FUNCTION ledger._book_day_guard();
ALTER TABLE ledger.book_day ENABLE ALWAYS TRIGGER book_day_guard;

CREATE FUNCTION ledger.open_books(start_date date) RETURNS date
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF start_date IS NULL THEN
		RAISE EXCEPTION 'start_date must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	LOCK TABLE ledger.book_day IN EXCLUSIVE MODE;
	LOCK TABLE ledger.voucher IN SHARE MODE;
	IF EXISTS (SELECT 1 FROM ledger.voucher) OR EXISTS (SELECT 1 FROM ledger.book_day WHERE status <> 'open') THEN
		RAISE EXCEPTION 'cannot open the books on %', start_date
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = 'Vouchers have already been posted; the books can only start on another date while they are empty.';
	END IF;
	UPDATE ledger.book_day SET book_date = start_date, opened_at = now() WHERE status = 'open';
	RETURN start_date;
END
$$;
COMMENT ON FUNCTION ledger.open_books(date) IS
	'starts the books on the given date instead of the day CREATE EXTENSION ran; only while no voucher exists';

-- ===========================================================================
-- 6. Posting, reversing, balances
-- ===========================================================================

CREATE FUNCTION ledger.post(idempotency_key text, accounts text[], amounts ledger.amount[],
		summary text DEFAULT NULL, ref text DEFAULT NULL, metadata jsonb DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_post'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.post(text, text[], ledger.amount[], text, text, jsonb) IS
	'posts one balanced voucher on the open day and returns its id; idempotent on idempotency_key (same content returns the same id, different content is 23505)';

CREATE FUNCTION ledger.reverse(voucher_id bigint, idempotency_key text, summary text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'ledger_reverse'
	LANGUAGE C VOLATILE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ledger.reverse(bigint, text, text) IS
	'posts the negation of a voucher (红字冲销) on the open day, linked by reverses; a voucher is reversed at most once';

CREATE FUNCTION ledger.balance(code text) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_balance'
	LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ledger.balance(text) IS
	'current balance of an account on its normal side (a summary account sums its leaves); includes this transaction''s own postings';

-- ===========================================================================
-- 7. Views
-- ===========================================================================

CREATE VIEW ledger.journal AS
	SELECT v.book_date, v.id AS voucher_id, v.idempotency_key, v.ref, v.summary,
	       e.line_no, a.code AS account_code, a.name AS account_name,
	       CASE WHEN ledger.minor_units(e.amount) > 0 THEN e.amount END AS debit,
	       CASE WHEN ledger.minor_units(e.amount) < 0 THEN OPERATOR(ledger.-) e.amount END AS credit,
	       e.memo
	  FROM ledger.entry e
	  JOIN ledger.voucher v ON v.id = e.voucher_id
	  JOIN ledger.account a ON a.id = e.account_id;
COMMENT ON VIEW ledger.journal IS 'the journal (日记账): one row per entry, debit and credit as positive amounts';

CREATE VIEW ledger.balances AS
	WITH RECURSIVE leaf AS (
		SELECT a.id, a.currency, sum(b.units) AS units
		  FROM ledger.account a
		  JOIN ledger.account_balance b ON b.account_id = a.id
		 WHERE NOT EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = a.code)
		   AND a.currency IS NOT NULL
		 GROUP BY a.id, a.currency),
	closure (ancestor, leaf_id) AS (
		SELECT id, id FROM ledger.account
		UNION ALL
		SELECT cl.ancestor, c.id
		  FROM closure cl
		  JOIN ledger.account p ON p.id = cl.leaf_id
		  JOIN ledger.account c ON c.parent_code = p.code),
	rolled AS (
		SELECT cl.ancestor, l.currency, sum(l.units) AS units
		  FROM closure cl JOIN leaf l ON l.id = cl.leaf_id
		 GROUP BY cl.ancestor, l.currency)
	SELECT a.code AS account_code, a.name AS account_name, a.kind, r.currency,
	       ledger.amount_of_units((r.units * ledger._normal_sign(a.kind, a.metadata))::bigint, r.currency) AS balance
	  FROM rolled r JOIN ledger.account a ON a.id = r.ancestor;
COMMENT ON VIEW ledger.balances IS
	'current balance of every account on its normal side, summary accounts rolled up from their leaves (one row per currency)';

-- ===========================================================================
-- 8. Dump registration, privileges, the first open day
-- ===========================================================================

SELECT pg_catalog.pg_extension_config_dump('ledger.account', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.account_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.account_balance', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.book_day', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.voucher', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.voucher_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.entry', '');

REVOKE ALL ON ALL TABLES IN SCHEMA ledger FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA ledger FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION
	ledger._voucher_inserted(), ledger._entry_inserted(), ledger._immutable(), ledger._invalidate(),
	ledger._hot_slots(), ledger._account_posted(bigint), ledger._account_blocked(ledger.account),
	ledger._account_before(), ledger._account_after(), ledger._account_delete(), ledger._book_day_guard(),
	ledger.open_books(date),
	ledger.post(text, text[], ledger.amount[], text, text, jsonb),
	ledger.reverse(bigint, text, text),
	ledger.balance(text)
	FROM PUBLIC;

INSERT INTO ledger.book_day (book_date, status) VALUES (current_date, 'open');

-- ===========================================================================
-- 9. Day-end cutoff (日切), daily balances, trial balance (试算平衡)
-- ===========================================================================

CREATE TYPE ledger.trial_result AS (
	currency text,
	debit    ledger.amount,
	credit   ledger.amount,
	net      ledger.amount,
	entries  bigint,
	balanced boolean
);
COMMENT ON TYPE ledger.trial_result IS
	'result of ledger.trial(): debits, credits (both positive), net = debit - credit, number of entries, balanced = (net = 0)';

CREATE FUNCTION ledger.trial_accum(internal, ledger.amount) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_trial_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.trial_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_trial_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.trial_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'ledger_trial_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.trial_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_trial_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.trial_final(internal) RETURNS ledger.trial_result
	AS 'MODULE_PATHNAME', 'ledger_trial_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger.trial_accum(internal, ledger.amount) IS 'ledger.trial() transition';
COMMENT ON FUNCTION ledger.trial_combine(internal, internal) IS 'ledger.trial() combine for parallel aggregation';
COMMENT ON FUNCTION ledger.trial_serialize(internal) IS 'ledger.trial() state serialisation';
COMMENT ON FUNCTION ledger.trial_deserialize(bytea, internal) IS 'ledger.trial() state deserialisation';
COMMENT ON FUNCTION ledger.trial_final(internal) IS 'ledger.trial() final: the trial_result of the group';

CREATE AGGREGATE ledger.trial(ledger.amount) (
	SFUNC = ledger.trial_accum,
	STYPE = internal,
	SSPACE = 64,
	FINALFUNC = ledger.trial_final,
	COMBINEFUNC = ledger.trial_combine,
	SERIALFUNC = ledger.trial_serialize,
	DESERIALFUNC = ledger.trial_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE ledger.trial(ledger.amount) IS
	'trial balance of a group of amounts of one currency: debit, credit, net, entries, balanced (42804 across currencies)';

/*
 * Daily balances: one row per account and currency for every account with a
 * balance or a movement that day, written by the cutoff.  Leaf rows come
 * from the previous day's rows plus the day's entries; summary rows
 * (summary = true) are rolled up from the leaf rows under them.  cum_debit
 * and cum_credit are the totals since the books began, so that the movement
 * over any period is the difference of two rows.
 */
CREATE TABLE ledger.daily_balance (
	account_id bigint NOT NULL,
	book_date  date NOT NULL,
	currency   text NOT NULL,
	opening    ledger.amount NOT NULL,
	debit      ledger.amount NOT NULL,
	credit     ledger.amount NOT NULL,
	closing    ledger.amount NOT NULL,
	entries    bigint NOT NULL,
	cum_debit  ledger.amount NOT NULL,
	cum_credit ledger.amount NOT NULL,
	summary    boolean NOT NULL DEFAULT false,
	CONSTRAINT daily_balance_pkey PRIMARY KEY (account_id, book_date, currency)
);
CREATE INDEX daily_balance_book_date_idx ON ledger.daily_balance USING brin (book_date);
COMMENT ON TABLE ledger.daily_balance IS 'daily balance snapshots (日终余额), written by ledger.close_day()';
COMMENT ON COLUMN ledger.daily_balance.account_id IS 'the account';
COMMENT ON COLUMN ledger.daily_balance.book_date IS 'the closed day';
COMMENT ON COLUMN ledger.daily_balance.currency IS 'currency of the row (a multi-currency summary account has one row per currency)';
COMMENT ON COLUMN ledger.daily_balance.opening IS 'balance at the start of the day, debit positive';
COMMENT ON COLUMN ledger.daily_balance.debit IS 'the day''s debits, positive';
COMMENT ON COLUMN ledger.daily_balance.credit IS 'the day''s credits, positive';
COMMENT ON COLUMN ledger.daily_balance.closing IS 'balance at the end of the day, debit positive: opening + debit - credit';
COMMENT ON COLUMN ledger.daily_balance.entries IS 'number of the day''s entries';
COMMENT ON COLUMN ledger.daily_balance.cum_debit IS 'debits since the books began, up to and including this day';
COMMENT ON COLUMN ledger.daily_balance.cum_credit IS 'credits since the books began, up to and including this day';
COMMENT ON COLUMN ledger.daily_balance.summary IS 'true for a summary account''s row, rolled up from its leaves';

CREATE TABLE ledger.day_close (
	book_date     date NOT NULL,
	switched_at   timestamptz NULL,
	snapshot_at   timestamptz NULL,
	checked_at    timestamptz NULL,
	vouchers      bigint NULL,
	entries       bigint NULL,
	digest        bytea NULL,
	problems      text[] NULL,
	problem_count bigint NULL,
	failed_checks text[] NULL,
	CONSTRAINT day_close_pkey PRIMARY KEY (book_date)
);
COMMENT ON TABLE ledger.day_close IS 'progress and results of each day''s cutoff, for restarts and for the auditor';
COMMENT ON COLUMN ledger.day_close.book_date IS 'the day being closed';
COMMENT ON COLUMN ledger.day_close.switched_at IS 'a time by which the switch had committed: every transaction begun later posts into the next day';
COMMENT ON COLUMN ledger.day_close.snapshot_at IS 'when the daily balances were last written';
COMMENT ON COLUMN ledger.day_close.checked_at IS 'when the checks last ran';
COMMENT ON COLUMN ledger.day_close.vouchers IS 'vouchers of the day';
COMMENT ON COLUMN ledger.day_close.entries IS 'entries of the day''s vouchers';
COMMENT ON COLUMN ledger.day_close.digest IS 'digest computed by the last snapshot pass (sealed into book_day.digest at close)';
COMMENT ON COLUMN ledger.day_close.problems IS 'first problems found in the vouchers and entries of the day';
COMMENT ON COLUMN ledger.day_close.problem_count IS 'number of problems found';
COMMENT ON COLUMN ledger.day_close.failed_checks IS 'names of the checks that failed in the last run, empty when all passed';

CREATE TABLE ledger.book_check (
	book_date  date NOT NULL,
	check_name text NOT NULL,
	currency   text NOT NULL DEFAULT '',
	ok         boolean NOT NULL,
	detail     text NULL,
	checked_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT book_check_pkey PRIMARY KEY (book_date, check_name, currency)
);
COMMENT ON TABLE ledger.book_check IS 'results of the last day-end checks of each day (ledger.check_books at cutoff)';
COMMENT ON COLUMN ledger.book_check.book_date IS 'the day checked';
COMMENT ON COLUMN ledger.book_check.check_name IS 'name of the check, as ledger.check_books() returns it';
COMMENT ON COLUMN ledger.book_check.currency IS 'currency the row is about, '''' when the check is not per currency';
COMMENT ON COLUMN ledger.book_check.ok IS 'whether the check passed';
COMMENT ON COLUMN ledger.book_check.detail IS 'what was found';
COMMENT ON COLUMN ledger.book_check.checked_at IS 'when';

/*
 * Rows of a closed day never change; rows of a day still closing are
 * rewritten by the next run of the cutoff.
 */
CREATE FUNCTION ledger._daily_balance_guard() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF current_setting('session_replication_role') = 'replica' THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'TRUNCATE' OR EXISTS (SELECT 1 FROM ledger.book_day d
			WHERE d.book_date = OLD.book_date AND d.status = 'closed') THEN
		RAISE EXCEPTION 'cannot change the daily balances of a closed day'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = CASE WHEN TG_OP = 'TRUNCATE' THEN 'ledger.daily_balance holds closed days.'
					ELSE format('Book day %s is closed.', OLD.book_date) END;
	END IF;
	RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION ledger._daily_balance_guard() IS 'the daily balances of a closed day are immutable';
CREATE TRIGGER daily_balance_guard BEFORE UPDATE OR DELETE ON ledger.daily_balance
	FOR EACH ROW EXECUTE FUNCTION ledger._daily_balance_guard();
CREATE TRIGGER daily_balance_no_truncate BEFORE TRUNCATE ON ledger.daily_balance
	FOR EACH STATEMENT EXECUTE FUNCTION ledger._daily_balance_guard();

CREATE FUNCTION ledger._wait_for_posters() RETURNS integer
	AS 'MODULE_PATHNAME', 'ledger_close_wait' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ledger._wait_for_posters() IS
	'waits until every transaction that held a write lock on ledger.voucher has ended; returns how many there were';

CREATE FUNCTION ledger._day_digest(book_date date, previous bytea,
		OUT digest bytea, OUT vouchers bigint, OUT entries bigint, OUT problems text[], OUT problem_count bigint)
	AS 'MODULE_PATHNAME', 'ledger_day_digest' LANGUAGE C STABLE;
COMMENT ON FUNCTION ledger._day_digest(date, bytea) IS
	'one ordered pass over a day''s vouchers and entries: chained SHA-256 digest, counts and the vouchers that do not balance';

/* The books' tree: every account with each of its ancestors (itself included). */
CREATE VIEW ledger._account_closure AS
	WITH RECURSIVE up (account_id, ancestor_id, depth) AS (
		SELECT a.id, a.id, 0 FROM ledger.account a
		UNION ALL
		SELECT up.account_id, p.id, up.depth + 1
		  FROM up
		  JOIN ledger.account c ON c.id = up.ancestor_id
		  JOIN ledger.account p ON p.code = c.parent_code)
	SELECT account_id, ancestor_id, depth FROM up;
COMMENT ON VIEW ledger._account_closure IS 'every account paired with itself and each of its ancestors';

CREATE VIEW ledger._leaf AS
	SELECT a.id, a.code, a.currency, a.kind, a.metadata
	  FROM ledger.account a
	 WHERE NOT EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = a.code);
COMMENT ON VIEW ledger._leaf IS 'accounts without sub-accounts: the ones that take postings';

-- --- step 1: switch ---------------------------------------------------------

CREATE FUNCTION ledger._close_switch(requested date) RETURNS date
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d date;
	st text;
	open_day date;
BEGIN
	LOCK TABLE ledger.book_day IN SHARE ROW EXCLUSIVE MODE;
	SELECT b.book_date INTO open_day FROM ledger.book_day b WHERE b.status = 'open';
	IF requested IS NULL THEN
		d := open_day;
		IF d IS NULL THEN
			RAISE EXCEPTION 'no book day is open' USING ERRCODE = 'object_not_in_prerequisite_state';
		END IF;
	ELSE
		SELECT b.status INTO st FROM ledger.book_day b WHERE b.book_date = requested;
		IF st IS NULL THEN
			RAISE EXCEPTION 'book day % does not exist', requested
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = format('The open book day is %s.', open_day);
		ELSIF st = 'closed' THEN
			RAISE EXCEPTION 'book day % is already closed', requested
				USING ERRCODE = 'object_not_in_prerequisite_state';
		ELSIF st = 'closing' THEN
			RETURN requested;
		END IF;
		d := requested;
	END IF;
	IF EXISTS (SELECT 1 FROM ledger.book_day b WHERE b.book_date < d AND b.status <> 'closed') THEN
		RAISE EXCEPTION 'cannot close book day % before the days before it', d
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	UPDATE ledger.book_day SET status = 'closing', closing_at = now() WHERE book_date = d;
	INSERT INTO ledger.book_day (book_date, status) VALUES (d + 1, 'open');
	INSERT INTO ledger.day_close (book_date) VALUES (d) ON CONFLICT (book_date) DO NOTHING;
	RETURN d;
END
$$;
COMMENT ON FUNCTION ledger._close_switch(date) IS
	'day-end step 1: the day becomes closing and the next day opens (returns the closing day)';

-- --- step 2: wait ------------------------------------------------------------

CREATE FUNCTION ledger._close_wait(d date) RETURNS integer
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- runs in a transaction begun after the switch committed
	UPDATE ledger.day_close SET switched_at = now() WHERE book_date = d AND switched_at IS NULL;
	RETURN ledger._wait_for_posters();
END
$$;
COMMENT ON FUNCTION ledger._close_wait(date) IS
	'day-end step 2: waits for every transaction that could still post into the closing day';

-- --- step 3: snapshot ------------------------------------------------------

CREATE FUNCTION ledger._close_snapshot(d date) RETURNS bigint
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	prev date;
	prev_status text;
	prev_digest bytea;
	pass record;
	n bigint;
BEGIN
	PERFORM 1 FROM ledger.book_day b WHERE b.book_date = d AND b.status = 'closing' FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'book day % is not closing', d USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	SELECT b.book_date, b.status, b.digest INTO prev, prev_status, prev_digest
	  FROM ledger.book_day b WHERE b.book_date < d ORDER BY b.book_date DESC LIMIT 1;
	IF prev IS NOT NULL AND prev_status <> 'closed' THEN
		RAISE EXCEPTION 'book day % is not closed', prev USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;

	DELETE FROM ledger.daily_balance WHERE book_date = d;

	-- leaf rows: yesterday's balances plus today's movements
	INSERT INTO ledger.daily_balance
		(account_id, book_date, currency, opening, debit, credit, closing, entries, cum_debit, cum_credit, summary)
	SELECT k.account_id, d, k.currency,
	       ledger.amount_of_units(k.opening, k.currency),
	       ledger.amount_of_units(k.debit, k.currency),
	       ledger.amount_of_units(k.credit, k.currency),
	       ledger.amount_of_units((k.opening + k.debit - k.credit)::bigint, k.currency),
	       k.entries,
	       ledger.amount_of_units((k.cum_debit + k.debit)::bigint, k.currency),
	       ledger.amount_of_units((k.cum_credit + k.credit)::bigint, k.currency),
	       false
	  FROM (
		SELECT COALESCE(m.account_id, y.account_id) AS account_id,
		       COALESCE(m.currency, y.currency) AS currency,
		       COALESCE(ledger.minor_units(y.closing), 0) AS opening,
		       COALESCE(ledger.minor_units(m.debit), 0) AS debit,
		       COALESCE(ledger.minor_units(m.credit), 0) AS credit,
		       COALESCE(m.entries, 0) AS entries,
		       COALESCE(ledger.minor_units(y.cum_debit), ledger.minor_units(h.cum_debit), 0) AS cum_debit,
		       COALESCE(ledger.minor_units(y.cum_credit), ledger.minor_units(h.cum_credit), 0) AS cum_credit
		  FROM (SELECT e.account_id, (ledger.trial(e.amount)).*
		          FROM ledger.entry e WHERE e.book_date = d GROUP BY e.account_id) m
		  FULL JOIN (SELECT * FROM ledger.daily_balance y
		              WHERE y.book_date = prev AND NOT y.summary
		                AND ledger.minor_units(y.closing) <> 0) y
		    ON y.account_id = m.account_id
		  -- cumulative totals of an account moving today after days without a row
		  LEFT JOIN LATERAL (
			SELECT h.cum_debit, h.cum_credit FROM ledger.daily_balance h
			 WHERE m.account_id IS NOT NULL AND h.account_id = m.account_id
			   AND h.book_date < d AND NOT h.summary
			 ORDER BY h.book_date DESC LIMIT 1) h ON y.account_id IS NULL
	  ) k;
	GET DIAGNOSTICS n = ROW_COUNT;

	-- summary rows: the sums of the leaf rows below each summary account
	INSERT INTO ledger.daily_balance
		(account_id, book_date, currency, opening, debit, credit, closing, entries, cum_debit, cum_credit, summary)
	SELECT c.ancestor_id, d, r.currency,
	       ledger.sum(r.opening), ledger.sum(r.debit), ledger.sum(r.credit), ledger.sum(r.closing),
	       sum(r.entries)::bigint, ledger.sum(r.cum_debit), ledger.sum(r.cum_credit), true
	  FROM ledger.daily_balance r
	  JOIN ledger._account_closure c ON c.account_id = r.account_id AND c.depth > 0
	 WHERE r.book_date = d AND NOT r.summary
	 GROUP BY c.ancestor_id, r.currency;

	-- one ordered pass over the day: digest, and the vouchers that do not balance
	SELECT * INTO pass FROM ledger._day_digest(d, prev_digest);
	UPDATE ledger.day_close SET snapshot_at = now(), vouchers = pass.vouchers, entries = pass.entries,
		digest = pass.digest, problems = pass.problems, problem_count = pass.problem_count
	 WHERE book_date = d;
	RETURN n;
END
$$;
COMMENT ON FUNCTION ledger._close_snapshot(date) IS
	'day-end step 3: daily balances from the previous day''s plus the day''s entries, and the digest pass';

-- --- step 4: checks ----------------------------------------------------------

/*
 * The checks of a day.  For a closing or closed day they read the daily
 * balances; for the open day, the live entries and balances.  With
 * at_close, the results of the pass the cutoff just made are reused and the
 * snapshot is not compared with the entries it was just computed from.
 */
CREATE FUNCTION ledger._check_books(d date, at_close boolean)
	RETURNS TABLE(check_name text, currency text, ok boolean, detail text)
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	st text;
	last_closed date;
	prev_digest bytea;
	stored_digest bytea;
	pass record;
	day_entries bigint;
BEGIN
	IF d IS NULL THEN
		RAISE EXCEPTION 'book_date must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT b.status, b.digest INTO st, stored_digest FROM ledger.book_day b WHERE b.book_date = d;
	IF st IS NULL THEN
		RAISE EXCEPTION 'book day % does not exist', d USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	SELECT b.digest INTO prev_digest FROM ledger.book_day b WHERE b.book_date < d ORDER BY b.book_date DESC LIMIT 1;
	SELECT max(b.book_date) INTO last_closed FROM ledger.book_day b WHERE b.status = 'closed' AND b.book_date < d;

	IF at_close THEN
		SELECT c.digest, c.vouchers, c.entries, c.problems, c.problem_count INTO pass
		  FROM ledger.day_close c WHERE c.book_date = d;
	ELSE
		SELECT * INTO pass FROM ledger._day_digest(d, prev_digest);
	END IF;

	-- vouchers_balanced: every voucher of the day has two entries or more and balances per currency
	check_name := 'vouchers_balanced'; currency := NULL;
	ok := NOT EXISTS (SELECT 1 FROM unnest(pass.problems) p WHERE p LIKE 'voucher %');
	detail := CASE WHEN ok THEN format('%s vouchers, %s entries', pass.vouchers, pass.entries)
		ELSE (SELECT string_agg(p, '; ') FROM unnest(pass.problems) p WHERE p LIKE 'voucher %') END;
	RETURN NEXT;

	-- entries_match_vouchers: every entry of the day belongs to a voucher of the day
	IF st = 'open' THEN
		SELECT count(*) INTO day_entries FROM ledger.entry e WHERE e.book_date = d;
	ELSE
		SELECT COALESCE(sum(r.entries), 0) INTO day_entries FROM ledger.daily_balance r
		 WHERE r.book_date = d AND NOT r.summary;
	END IF;
	check_name := 'entries_match_vouchers'; currency := NULL;
	ok := day_entries = pass.entries AND NOT EXISTS (SELECT 1 FROM unnest(pass.problems) p WHERE p LIKE 'entry %');
	detail := CASE WHEN ok THEN format('%s entries', day_entries)
		ELSE concat_ws('; ', CASE WHEN day_entries <> pass.entries THEN
				format('%s entries are on the day, %s belong to its vouchers', day_entries, pass.entries) END,
			(SELECT string_agg(p, '; ') FROM unnest(pass.problems) p WHERE p LIKE 'entry %')) END;
	RETURN NEXT;

	IF st = 'open' THEN
		-- the open day: live entries and maintained balances
		RETURN QUERY
		SELECT 'period_debits_equal_credits'::text, t.currency, t.balanced,
		       format('debits %s, credits %s', t.debit, t.credit)
		  FROM (SELECT (ledger.trial(e.amount)).* FROM ledger.entry e WHERE e.book_date = d
		         GROUP BY ledger.currency(e.amount)) t;
		IF NOT FOUND THEN
			check_name := 'period_debits_equal_credits'; currency := NULL; ok := true; detail := 'no entries';
			RETURN NEXT;
		END IF;
		RETURN QUERY
		SELECT 'closing_balances_net_zero'::text, l.currency, sum(b.units) = 0,
		       format('balances net to %s', ledger.amount_of_units(sum(b.units)::bigint, l.currency))
		  FROM ledger._leaf l JOIN ledger.account_balance b ON b.account_id = l.id
		 WHERE l.currency IS NOT NULL GROUP BY l.currency;
	ELSE
		RETURN QUERY
		SELECT 'period_debits_equal_credits'::text, r.currency,
		       ledger.sum(r.debit) OPERATOR(ledger.=) ledger.sum(r.credit),
		       format('debits %s, credits %s', ledger.sum(r.debit), ledger.sum(r.credit))
		  FROM ledger.daily_balance r WHERE r.book_date = d AND NOT r.summary GROUP BY r.currency;
		IF NOT FOUND THEN
			check_name := 'period_debits_equal_credits'; currency := NULL; ok := true; detail := 'no entries';
			RETURN NEXT;
		END IF;
		RETURN QUERY
		SELECT 'closing_balances_net_zero'::text, r.currency,
		       ledger.minor_units(ledger.sum(r.closing)) = 0,
		       format('balances net to %s', ledger.sum(r.closing))
		  FROM ledger.daily_balance r WHERE r.book_date = d AND NOT r.summary GROUP BY r.currency;
	END IF;

	-- opening_plus_movement_equals_closing, per account
	IF st = 'open' THEN
		RETURN QUERY
		WITH live AS (
			SELECT l.id, l.code, l.currency,
			       COALESCE((SELECT sum(ledger.minor_units(s.closing)) FROM ledger.daily_balance s
			                  WHERE s.account_id = l.id AND s.book_date = last_closed AND NOT s.summary), 0)
			       + COALESCE((SELECT sum(ledger.minor_units(e.amount)) FROM ledger.entry e
			                  WHERE e.account_id = l.id AND e.book_date > COALESCE(last_closed, '-infinity') AND e.book_date < d), 0)
			         AS opening,
			       COALESCE((SELECT sum(ledger.minor_units(e.amount)) FROM ledger.entry e
			                  WHERE e.account_id = l.id AND e.book_date = d), 0) AS movement,
			       (SELECT sum(b.units) FROM ledger.account_balance b WHERE b.account_id = l.id) AS closing
			  FROM ledger._leaf l WHERE l.currency IS NOT NULL)
		SELECT 'opening_plus_movement_equals_closing'::text, live.currency,
		       count(*) FILTER (WHERE live.opening + live.movement <> live.closing) = 0,
		       COALESCE(string_agg(format('%s: opening %s + movement %s <> closing %s', live.code,
		           live.opening, live.movement, live.closing), '; ')
		           FILTER (WHERE live.opening + live.movement <> live.closing),
		           format('%s accounts', count(*)))
		  FROM live GROUP BY live.currency;
	ELSE
		RETURN QUERY
		WITH today AS (
			SELECT r.*, a.code FROM ledger.daily_balance r JOIN ledger.account a ON a.id = r.account_id
			 WHERE r.book_date = d AND NOT r.summary),
		yesterday AS (
			SELECT y.* FROM ledger.daily_balance y WHERE y.book_date = last_closed AND NOT y.summary),
		bad AS (
			SELECT COALESCE(t.currency, y.currency) AS currency, COALESCE(t.code, y.account_id::text) AS what,
			       CASE
			         WHEN t.account_id IS NULL THEN 'balance carried from the day before is missing'
			         WHEN ledger.minor_units(t.opening) + ledger.minor_units(t.debit) - ledger.minor_units(t.credit)
			              <> ledger.minor_units(t.closing) THEN 'opening + debit - credit <> closing'
			         WHEN ledger.minor_units(t.opening) <> COALESCE(ledger.minor_units(y.closing), 0)
			              THEN 'opening differs from the previous closing'
			         WHEN y.account_id IS NOT NULL AND (ledger.minor_units(t.cum_debit) - ledger.minor_units(t.debit)
			              <> ledger.minor_units(y.cum_debit) OR ledger.minor_units(t.cum_credit) - ledger.minor_units(t.credit)
			              <> ledger.minor_units(y.cum_credit)) THEN 'cumulative totals do not continue'
			       END AS problem
			  FROM today t
			  FULL JOIN yesterday y ON y.account_id = t.account_id AND y.currency = t.currency
			 WHERE t.account_id IS NOT NULL OR ledger.minor_units(y.closing) <> 0)
		SELECT 'opening_plus_movement_equals_closing'::text, c.currency,
		       count(bad.problem) = 0,
		       COALESCE(string_agg(bad.what || ': ' || bad.problem, '; ') FILTER (WHERE bad.problem IS NOT NULL),
		                format('%s accounts', count(*)))
		  FROM (SELECT DISTINCT r.currency FROM ledger.daily_balance r WHERE r.book_date IN (d, last_closed)) c
		  LEFT JOIN bad ON bad.currency = c.currency
		 GROUP BY c.currency;
	END IF;

	-- summary_equals_children (总分核对)
	IF st = 'open' THEN
		RETURN QUERY
		WITH leafsum AS (
			SELECT c.ancestor_id, l.currency, sum(b.units) AS units
			  FROM ledger._account_closure c
			  JOIN ledger._leaf l ON l.id = c.account_id
			  JOIN ledger.account_balance b ON b.account_id = l.id
			 WHERE c.depth > 0 AND l.currency IS NOT NULL
			 GROUP BY c.ancestor_id, l.currency),
		viewsum AS (
			SELECT a.id, v.currency, ledger.minor_units(v.balance) * ledger._normal_sign(a.kind, a.metadata) AS units
			  FROM ledger.balances v JOIN ledger.account a ON a.code = v.account_code)
		SELECT 'summary_equals_children'::text, ls.currency,
		       count(*) FILTER (WHERE vs.units IS DISTINCT FROM ls.units) = 0,
		       COALESCE(string_agg(a.code, ', ') FILTER (WHERE vs.units IS DISTINCT FROM ls.units),
		                format('%s summary accounts', count(*)))
		  FROM leafsum ls JOIN ledger.account a ON a.id = ls.ancestor_id
		  LEFT JOIN viewsum vs ON vs.id = ls.ancestor_id AND vs.currency = ls.currency
		 GROUP BY ls.currency;
	ELSE
		RETURN QUERY
		WITH kids AS (
			SELECT c.ancestor_id, r.currency,
			       sum(ledger.minor_units(r.opening)) AS opening, sum(ledger.minor_units(r.debit)) AS debit,
			       sum(ledger.minor_units(r.credit)) AS credit, sum(ledger.minor_units(r.closing)) AS closing,
			       sum(r.entries) AS entries
			  FROM ledger.daily_balance r
			  JOIN ledger._account_closure c ON c.account_id = r.account_id AND c.depth > 0
			 WHERE r.book_date = d AND NOT r.summary
			 GROUP BY c.ancestor_id, r.currency),
		sums AS (
			SELECT s.account_id, s.currency, ledger.minor_units(s.opening) AS opening,
			       ledger.minor_units(s.debit) AS debit, ledger.minor_units(s.credit) AS credit,
			       ledger.minor_units(s.closing) AS closing, s.entries
			  FROM ledger.daily_balance s WHERE s.book_date = d AND s.summary),
		cmp AS (
			SELECT COALESCE(k.currency, s.currency) AS currency, COALESCE(k.ancestor_id, s.account_id) AS id,
			       (k.opening, k.debit, k.credit, k.closing, k.entries)
			         IS DISTINCT FROM (s.opening, s.debit, s.credit, s.closing, s.entries::numeric) AS differs
			  FROM kids k FULL JOIN sums s ON s.account_id = k.ancestor_id AND s.currency = k.currency)
		SELECT 'summary_equals_children'::text, cmp.currency, NOT bool_or(cmp.differs),
		       COALESCE(string_agg(a.code, ', ') FILTER (WHERE cmp.differs), format('%s summary rows', count(*)))
		  FROM cmp JOIN ledger.account a ON a.id = cmp.id
		 GROUP BY cmp.currency;
	END IF;

	-- balances_match_entries: the maintained balances equal the entries
	RETURN QUERY
	WITH base AS (
		SELECT s.account_id, sum(ledger.minor_units(s.closing)) AS units
		  FROM ledger.daily_balance s
		 WHERE s.book_date = CASE WHEN st = 'open' THEN last_closed ELSE d END AND NOT s.summary
		 GROUP BY s.account_id),
	later AS (
		SELECT e.account_id, sum(ledger.minor_units(e.amount)) AS units
		  FROM ledger.entry e
		 WHERE e.book_date > COALESCE(CASE WHEN st = 'open' THEN last_closed ELSE d END, '-infinity')
		 GROUP BY e.account_id),
	kept AS (
		SELECT b.account_id, sum(b.units) AS units FROM ledger.account_balance b GROUP BY b.account_id),
	cmp AS (
		SELECT l.code, l.currency, COALESCE(base.units, 0) + COALESCE(later.units, 0) AS expected,
		       COALESCE(kept.units, 0) AS kept
		  FROM ledger._leaf l
		  LEFT JOIN base ON base.account_id = l.id
		  LEFT JOIN later ON later.account_id = l.id
		  LEFT JOIN kept ON kept.account_id = l.id
		 WHERE l.currency IS NOT NULL)
	SELECT 'balances_match_entries'::text, cmp.currency, count(*) FILTER (WHERE cmp.expected <> cmp.kept) = 0,
	       COALESCE(string_agg(format('%s: maintained %s, entries say %s', cmp.code,
	           ledger.amount_of_units(cmp.kept::bigint, cmp.currency),
	           ledger.amount_of_units(cmp.expected::bigint, cmp.currency)), '; ')
	           FILTER (WHERE cmp.expected <> cmp.kept), format('%s accounts', count(*)))
	  FROM cmp GROUP BY cmp.currency;

	-- snapshot_matches_entries: the stored daily balances are what the entries say
	IF st <> 'open' AND NOT at_close THEN
		RETURN QUERY
		WITH m AS (SELECT e.account_id, (ledger.trial(e.amount)).* FROM ledger.entry e
		            WHERE e.book_date = d GROUP BY e.account_id),
		s AS (SELECT r.account_id, r.currency, r.debit, r.credit, r.entries FROM ledger.daily_balance r
		       WHERE r.book_date = d AND NOT r.summary AND r.entries > 0),
		cmp AS (
			SELECT COALESCE(m.currency, s.currency) AS currency, COALESCE(m.account_id, s.account_id) AS id,
			       (m.debit::text, m.credit::text, m.entries) IS DISTINCT FROM (s.debit::text, s.credit::text, s.entries) AS differs
			  FROM m FULL JOIN s ON s.account_id = m.account_id)
		SELECT 'snapshot_matches_entries'::text, cmp.currency, NOT bool_or(cmp.differs),
		       COALESCE(string_agg(a.code, ', ') FILTER (WHERE cmp.differs), format('%s accounts moved', count(*)))
		  FROM cmp JOIN ledger.account a ON a.id = cmp.id GROUP BY cmp.currency;
	END IF;

	-- digest_matches: a closed day's vouchers and entries are what was sealed
	IF st = 'closed' THEN
		check_name := 'digest_matches'; currency := NULL;
		ok := pass.digest = stored_digest;
		detail := CASE WHEN ok THEN 'sha256:' || encode(stored_digest, 'hex')
			ELSE format('sealed sha256:%s, recomputed sha256:%s', encode(stored_digest, 'hex'), encode(pass.digest, 'hex')) END;
		RETURN NEXT;
	END IF;
END
$$;
COMMENT ON FUNCTION ledger._check_books(date, boolean) IS 'the checks behind ledger.check_books() and the cutoff';

CREATE FUNCTION ledger.check_books(book_date date)
	RETURNS TABLE(check_name text, currency text, ok boolean, detail text)
	LANGUAGE sql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT c.check_name, c.currency, c.ok, c.detail
	  FROM ledger._check_books($1, false) c
	 ORDER BY c.check_name, c.currency NULLS FIRST
$$;
COMMENT ON FUNCTION ledger.check_books(date) IS
	'the books'' checks for one day: vouchers_balanced, entries_match_vouchers, period_debits_equal_credits, closing_balances_net_zero, opening_plus_movement_equals_closing, summary_equals_children, balances_match_entries, snapshot_matches_entries and, for a closed day, digest_matches';

CREATE FUNCTION ledger._close_check(d date) RETURNS text[]
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	failed text[];
BEGIN
	DELETE FROM ledger.book_check WHERE book_date = d;
	INSERT INTO ledger.book_check (book_date, check_name, currency, ok, detail)
	SELECT d, c.check_name, COALESCE(c.currency, ''), c.ok, c.detail FROM ledger._check_books(d, true) c;
	SELECT COALESCE(array_agg(DISTINCT c.check_name ORDER BY c.check_name), '{}') INTO failed
	  FROM ledger.book_check c WHERE c.book_date = d AND NOT c.ok;
	UPDATE ledger.day_close SET checked_at = now(), failed_checks = failed WHERE book_date = d;
	RETURN failed;
END
$$;
COMMENT ON FUNCTION ledger._close_check(date) IS
	'day-end step 4: runs the checks, records them in ledger.book_check, returns the names of those that failed';

-- --- step 5: seal -------------------------------------------------------------

CREATE FUNCTION ledger._close_seal(d date) RETURNS bytea
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	dg bytea;
BEGIN
	SELECT c.digest INTO dg FROM ledger.day_close c
	 WHERE c.book_date = d AND c.failed_checks = '{}' AND c.checked_at >= c.snapshot_at;
	IF dg IS NULL THEN
		RAISE EXCEPTION 'book day % has not passed its checks', d USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	UPDATE ledger.book_day SET status = 'closed', closed_at = now(), digest = dg
	 WHERE book_date = d AND status = 'closing';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'book day % is not closing', d USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	RETURN dg;
END
$$;
COMMENT ON FUNCTION ledger._close_seal(date) IS 'day-end step 5: seals the day with its chained digest and marks it closed';

-- --- the procedure ------------------------------------------------------------

CREATE PROCEDURE ledger._close_finish(d date)
	LANGUAGE plpgsql
AS $$
DECLARE
	n integer;
	rows bigint;
	failed text[];
	dg bytea;
BEGIN
	-- no SET search_path here (a procedure with SET cannot COMMIT): every
	-- function and operator is schema-qualified, so that objects in the
	-- caller's search_path cannot stand in for them
	RAISE NOTICE 'book day %: waiting for transactions that may still post into it', d;
	n := ledger._close_wait(d);
	COMMIT;
	RAISE NOTICE 'book day %: writing daily balances', d;
	rows := ledger._close_snapshot(d);
	COMMIT;
	RAISE NOTICE 'book day %: % daily balances written; checking the books', d, rows;
	failed := ledger._close_check(d);
	COMMIT;
	IF pg_catalog.cardinality(failed) OPERATOR(pg_catalog.>) 0 THEN
		RAISE EXCEPTION 'book day % failed its day-end checks: %', d, pg_catalog.array_to_string(failed, ', ')
			USING ERRCODE = 'check_violation',
				DETAIL = (SELECT pg_catalog.string_agg(pg_catalog.format('%s%s: %s', c.check_name,
						CASE WHEN c.currency OPERATOR(pg_catalog.<>) '' THEN
							pg_catalog.format(' (%s)', c.currency) ELSE '' END, c.detail), E'\n')
					FROM ledger.book_check c WHERE c.book_date OPERATOR(pg_catalog.=) d AND NOT c.ok),
				HINT = pg_catalog.format('The day stays closing and postings continue on the next day. Fix the cause, then run CALL ledger.close_day(''%s'') again.', d);
	END IF;
	dg := ledger._close_seal(d);
	COMMIT;
	RAISE NOTICE 'book day % is closed', d;
END
$$;
COMMENT ON PROCEDURE ledger._close_finish(date) IS 'day-end steps 2 to 5 for a closing day; each step commits';

CREATE PROCEDURE ledger.close_day(book_date date DEFAULT NULL)
	LANGUAGE plpgsql
AS $$
DECLARE
	requested date := close_day.book_date;
	d date;
	holder integer;
BEGIN
	-- like ledger._close_finish, qualifies every function and operator
	IF requested IS NOT NULL AND EXISTS (SELECT 1 FROM ledger.book_day b
	                                      WHERE b.book_date OPERATOR(pg_catalog.=) requested
	                                        AND b.status OPERATOR(pg_catalog.=) 'closed') THEN
		RAISE EXCEPTION 'book day % is already closed', requested
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = 'A closed day never changes.';
	END IF;
	IF NOT pg_catalog.pg_try_advisory_lock(1818585447, 1) THEN
		SELECT l.pid INTO holder FROM pg_catalog.pg_locks l
		 WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory' AND l.classid OPERATOR(pg_catalog.=) 1818585447::pg_catalog.oid
		   AND l.objid OPERATOR(pg_catalog.=) 1::pg_catalog.oid AND l.granted;
		RAISE EXCEPTION 'another session is closing the books'
			USING ERRCODE = 'lock_not_available',
				DETAIL = pg_catalog.format('Session %s holds the day-end lock.', holder),
				HINT = 'Wait for it to finish. A session whose cutoff failed keeps the lock until it runs ledger.close_day() again or ends.';
	END IF;
	-- days left closing by an interrupted or failed run are finished first, oldest first
	FOR d IN SELECT b.book_date FROM ledger.book_day b
	          WHERE b.status OPERATOR(pg_catalog.=) 'closing'
	            AND (requested IS NULL OR b.book_date OPERATOR(pg_catalog.<=) requested)
	          ORDER BY b.book_date LOOP
		RAISE NOTICE 'book day % was left closing: finishing it', d;
		CALL ledger._close_finish(d);
	END LOOP;
	IF requested IS NULL OR NOT EXISTS (SELECT 1 FROM ledger.book_day b
	                                     WHERE b.book_date OPERATOR(pg_catalog.=) requested
	                                       AND b.status OPERATOR(pg_catalog.=) 'closed') THEN
		d := ledger._close_switch(requested);
		COMMIT;
		RAISE NOTICE 'book day % is closing; postings now go to %', d, d OPERATOR(pg_catalog.+) 1;
		CALL ledger._close_finish(d);
	END IF;
	WHILE EXISTS (SELECT 1 FROM pg_catalog.pg_locks l
	               WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory'
	                 AND l.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()
	                 AND l.classid OPERATOR(pg_catalog.=) 1818585447::pg_catalog.oid
	                 AND l.objid OPERATOR(pg_catalog.=) 1::pg_catalog.oid AND l.granted) LOOP
		PERFORM pg_catalog.pg_advisory_unlock(1818585447, 1);
	END LOOP;
END
$$;
COMMENT ON PROCEDURE ledger.close_day(date) IS
	'day-end cutoff (日切): switch the books to the next day, wait for posters, snapshot daily balances, check, seal with a chained digest; restartable; run outside a transaction block';

-- --- reading the books -----------------------------------------------------------

CREATE FUNCTION ledger.verify_books(from_date date, to_date date)
	RETURNS TABLE(book_date date, ok boolean, detail text)
	LANGUAGE plpgsql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	prev bytea;
	pass record;
BEGIN
	IF from_date IS NULL OR to_date IS NULL THEN
		RAISE EXCEPTION 'from_date and to_date must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT b.digest INTO prev FROM ledger.book_day b WHERE b.book_date < from_date ORDER BY b.book_date DESC LIMIT 1;
	FOR r IN SELECT b.book_date AS d, b.status, b.digest FROM ledger.book_day b
	          WHERE b.book_date BETWEEN from_date AND to_date ORDER BY b.book_date LOOP
		book_date := r.d;
		IF r.status <> 'closed' THEN
			ok := NULL;
			detail := format('not closed (%s)', r.status);
		ELSE
			SELECT * INTO pass FROM ledger._day_digest(r.d, prev);
			ok := pass.digest = r.digest;
			detail := CASE WHEN ok
				THEN format('%s vouchers, %s entries, sha256:%s', pass.vouchers, pass.entries, encode(r.digest, 'hex'))
				ELSE format('history changed: sealed sha256:%s, now sha256:%s (%s vouchers, %s entries)',
					encode(r.digest, 'hex'), encode(pass.digest, 'hex'), pass.vouchers, pass.entries) END;
		END IF;
		prev := r.digest;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION ledger.verify_books(date, date) IS
	'recomputes the chained digest of every closed day in the range and reports any day whose vouchers or entries changed';

/*
 * Balances of the leaf accounts at the end of a day, with the debits and
 * credits since the books began: from the daily balances for a closed day,
 * plus live entries for days not yet closed.
 */
CREATE FUNCTION ledger._leaf_position(as_of date)
	RETURNS TABLE(account_id bigint, currency text, balance numeric, cum_debit numeric, cum_credit numeric)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH closed AS (
		SELECT max(b.book_date) AS d FROM ledger.book_day b WHERE b.status = 'closed'),
	snap AS (
		SELECT l.id, l.currency, s.closing, s.cum_debit, s.cum_credit
		  FROM ledger._leaf l, closed
		  CROSS JOIN LATERAL (
			SELECT r.closing, r.cum_debit, r.cum_credit FROM ledger.daily_balance r
			 WHERE r.account_id = l.id AND r.book_date <= LEAST($1, closed.d) AND NOT r.summary
			 ORDER BY r.book_date DESC LIMIT 1) s
		 WHERE l.currency IS NOT NULL),
	live AS (
		SELECT e.account_id, (ledger.trial(e.amount)).*
		  FROM ledger.entry e, closed
		 WHERE e.book_date > COALESCE(closed.d, '-infinity') AND e.book_date <= $1
		 GROUP BY e.account_id)
	SELECT l.id, l.currency,
	       COALESCE(ledger.minor_units(snap.closing), 0) + COALESCE(ledger.minor_units(live.net), 0),
	       COALESCE(ledger.minor_units(snap.cum_debit), 0) + COALESCE(ledger.minor_units(live.debit), 0),
	       COALESCE(ledger.minor_units(snap.cum_credit), 0) + COALESCE(ledger.minor_units(live.credit), 0)
	  FROM ledger._leaf l
	  LEFT JOIN snap ON snap.id = l.id
	  LEFT JOIN live ON live.account_id = l.id
	 WHERE l.currency IS NOT NULL
$$;
COMMENT ON FUNCTION ledger._leaf_position(date) IS
	'balance and cumulative debits and credits of every leaf account at the end of a day';

CREATE FUNCTION ledger._check_as_of(as_of date) RETURNS void
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF as_of IS NULL THEN
		RAISE EXCEPTION 'date must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF as_of > (SELECT b.book_date FROM ledger.book_day b WHERE b.status = 'open') THEN
		RAISE EXCEPTION 'book date % has not begun', as_of
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('The open book date is %s.', (SELECT b.book_date FROM ledger.book_day b WHERE b.status = 'open'));
	END IF;
END
$$;
COMMENT ON FUNCTION ledger._check_as_of(date) IS 'rejects a date after the open book day';

CREATE FUNCTION ledger.balance(code text, as_of date) RETURNS ledger.amount
	LANGUAGE plpgsql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a ledger.account;
	units numeric;
	cur text;
	ncur integer;
BEGIN
	IF balance.code IS NULL THEN
		RAISE EXCEPTION 'code must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM ledger._check_as_of(as_of);
	SELECT * INTO a FROM ledger.account WHERE account.code = balance.code;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'account "%" does not exist', code USING ERRCODE = 'foreign_key_violation';
	END IF;
	SELECT sum(p.balance), min(p.currency), count(DISTINCT p.currency) INTO units, cur, ncur
	  FROM ledger._leaf_position(as_of) p
	  JOIN ledger._account_closure c ON c.account_id = p.account_id
	 WHERE c.ancestor_id = a.id;
	IF ncur > 1 THEN
		RAISE EXCEPTION 'account "%" holds more than one currency', code
			USING ERRCODE = 'datatype_mismatch',
				HINT = 'Use ledger.trial_balance() for multi-currency summary accounts.';
	END IF;
	cur := COALESCE(cur, a.currency);
	IF cur IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN ledger.amount_of_units((COALESCE(units, 0) * ledger._normal_sign(a.kind, a.metadata))::bigint, cur);
END
$$;
COMMENT ON FUNCTION ledger.balance(text, date) IS
	'balance of an account on its normal side at the end of a book date: from the daily balances, plus live entries for days not yet closed';

CREATE FUNCTION ledger.trial_balance(from_date date, to_date date DEFAULT NULL)
	RETURNS TABLE(account_code text, account_name text, depth integer, currency text,
		opening_debit ledger.amount, opening_credit ledger.amount,
		period_debit ledger.amount, period_credit ledger.amount,
		closing_debit ledger.amount, closing_credit ledger.amount)
	LANGUAGE plpgsql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	upto date := COALESCE(to_date, from_date);
BEGIN
	IF from_date IS NULL THEN
		RAISE EXCEPTION 'from_date must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF upto < from_date THEN
		RAISE EXCEPTION 'to_date % is before from_date %', upto, from_date USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM ledger._check_as_of(upto);
	RETURN QUERY
	WITH o AS (SELECT * FROM ledger._leaf_position(from_date - 1)),
	     c AS (SELECT * FROM ledger._leaf_position(upto)),
	     leaf AS (
		SELECT c.account_id, c.currency, o.balance AS opening,
		       c.cum_debit - o.cum_debit AS debit, c.cum_credit - o.cum_credit AS credit, c.balance AS closing
		  FROM c JOIN o ON o.account_id = c.account_id),
	     rolled AS (
		SELECT t.ancestor_id AS id, leaf.currency, sum(leaf.opening) AS opening, sum(leaf.debit) AS debit,
		       sum(leaf.credit) AS credit, sum(leaf.closing) AS closing
		  FROM leaf JOIN ledger._account_closure t ON t.account_id = leaf.account_id
		 GROUP BY t.ancestor_id, leaf.currency),
	     depths AS (
		SELECT t.account_id AS id, max(t.depth) AS depth FROM ledger._account_closure t GROUP BY t.account_id),
	     sides AS (
		SELECT r.id, r.currency, GREATEST(r.opening, 0) AS od, GREATEST(-r.opening, 0) AS oc,
		       r.debit AS pd, r.credit AS pc, GREATEST(r.closing, 0) AS cd, GREATEST(-r.closing, 0) AS cc
		  FROM rolled r),
	     rows AS (
		SELECT a.code, a.name, depths.depth, s.currency, s.od, s.oc, s.pd, s.pc, s.cd, s.cc
		  FROM sides s JOIN ledger.account a ON a.id = s.id JOIN depths ON depths.id = s.id
		UNION ALL
		-- totals over the top-level accounts, which between them hold every leaf once
		SELECT NULL, 'total', NULL, s.currency, sum(s.od), sum(s.oc), sum(s.pd), sum(s.pc), sum(s.cd), sum(s.cc)
		  FROM sides s JOIN depths ON depths.id = s.id AND depths.depth = 0
		 GROUP BY s.currency)
	SELECT rows.code, rows.name, rows.depth, rows.currency,
	       ledger.amount_of_units(rows.od::bigint, rows.currency),
	       ledger.amount_of_units(rows.oc::bigint, rows.currency),
	       ledger.amount_of_units(rows.pd::bigint, rows.currency),
	       ledger.amount_of_units(rows.pc::bigint, rows.currency),
	       ledger.amount_of_units(rows.cd::bigint, rows.currency),
	       ledger.amount_of_units(rows.cc::bigint, rows.currency)
	  FROM rows
	 ORDER BY rows.code IS NULL, rows.code, rows.currency;
END
$$;
COMMENT ON FUNCTION ledger.trial_balance(date, date) IS
	'six-column trial balance (期初/本期发生/期末 借贷) for every account, summary accounts rolled up, one total row per currency (account_code NULL)';

SELECT pg_catalog.pg_extension_config_dump('ledger.daily_balance', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.day_close', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.book_check', '');
REVOKE ALL ON ledger.daily_balance, ledger.day_close, ledger.book_check FROM PUBLIC;
REVOKE ALL ON ledger._account_closure, ledger._leaf FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION
	ledger._daily_balance_guard(), ledger._wait_for_posters(), ledger._close_wait(date), ledger._day_digest(date, bytea),
	ledger._close_switch(date), ledger._close_snapshot(date), ledger._check_books(date, boolean),
	ledger._close_check(date), ledger._close_seal(date), ledger.check_books(date),
	ledger.verify_books(date, date), ledger._leaf_position(date), ledger._check_as_of(date),
	ledger.balance(text, date), ledger.trial_balance(date, date)
	FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE ledger._close_finish(date), ledger.close_day(date) FROM PUBLIC;
