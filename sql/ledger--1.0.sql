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

/*
 * The chart as a tree: every account paired with itself (depth 0) and with
 * each of its ancestors (depth = levels up).  Kept by the account triggers,
 * so that reports roll up and indent without walking the tree.
 */
CREATE TABLE ledger.account_tree (
	account_id  bigint NOT NULL REFERENCES ledger.account (id) ON DELETE CASCADE,
	ancestor_id bigint NOT NULL REFERENCES ledger.account (id) ON DELETE CASCADE,
	depth       integer NOT NULL,
	CONSTRAINT account_tree_pkey PRIMARY KEY (account_id, ancestor_id)
);
CREATE INDEX account_tree_ancestor_idx ON ledger.account_tree (ancestor_id);
COMMENT ON TABLE ledger.account_tree IS 'every account with itself and each of its ancestors, kept by the account triggers';
COMMENT ON COLUMN ledger.account_tree.account_id IS 'the account';
COMMENT ON COLUMN ledger.account_tree.ancestor_id IS 'the account itself or a summary account above it';
COMMENT ON COLUMN ledger.account_tree.depth IS 'levels from the account up to the ancestor (0 for the account itself)';

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
CREATE INDEX voucher_book_date_idx ON ledger.voucher USING brin (book_date) WITH (autosummarize = on);

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
CREATE INDEX entry_book_date_idx ON ledger.entry USING brin (book_date) WITH (autosummarize = on);

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
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = format('Account "%s" has id %s, to which its balance rows and entries refer; an account keeps its id.', OLD.code, OLD.id);
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
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('The bounds of account "%s" (floor %s, ceiling %s) are amounts of its currency; an account without a currency has no balance to bound.',
					NEW.code, COALESCE(NEW.floor::text, 'none'), COALESCE(NEW.ceiling::text, 'none'));
	END IF;
	IF NEW.floor IS NOT NULL AND ledger.currency(NEW.floor) <> NEW.currency THEN
		RAISE EXCEPTION 'floor % of account "%" is not in its currency %', NEW.floor, NEW.code, NEW.currency
			USING ERRCODE = 'datatype_mismatch',
				DETAIL = format('Account "%s" holds %s; its floor must be an amount in %s, e.g. ''%s''.',
					NEW.code, NEW.currency, NEW.currency, ledger.zero(NEW.currency));
	END IF;
	IF NEW.ceiling IS NOT NULL AND ledger.currency(NEW.ceiling) <> NEW.currency THEN
		RAISE EXCEPTION 'ceiling % of account "%" is not in its currency %', NEW.ceiling, NEW.code, NEW.currency
			USING ERRCODE = 'datatype_mismatch',
				DETAIL = format('Account "%s" holds %s; its ceiling must be an amount in %s.',
					NEW.code, NEW.currency, NEW.currency);
	END IF;
	IF NEW.floor IS NOT NULL AND NEW.ceiling IS NOT NULL AND NEW.floor OPERATOR(ledger.>) NEW.ceiling THEN
		RAISE EXCEPTION 'floor % of account "%" is above its ceiling %', NEW.floor, NEW.code, NEW.ceiling
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('No balance of account "%s" could be at least %s and at most %s.', NEW.code, NEW.floor, NEW.ceiling);
	END IF;

	IF NEW.parent_code IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.parent_code IS DISTINCT FROM OLD.parent_code) THEN
		SELECT * INTO parent FROM ledger.account WHERE code = NEW.parent_code;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'parent account "%" of account "%" does not exist', NEW.parent_code, NEW.code
				USING ERRCODE = 'foreign_key_violation',
					DETAIL = format('Account "%s" names "%s" as its parent_code; no account in ledger.account has that code.',
						NEW.code, NEW.parent_code),
					HINT = 'Open the parent account first.';
		END IF;
		IF parent.kind <> NEW.kind THEN
			RAISE EXCEPTION 'account "%" is of kind %, its parent "%" of kind %', NEW.code, NEW.kind, parent.code, parent.kind
				USING ERRCODE = 'invalid_parameter_value',
					DETAIL = format('A summary account adds up its sub-accounts, so account "%s" under "%s" must be of kind %s.',
						NEW.code, parent.code, parent.kind),
					HINT = 'Sub-accounts have the kind of the account they belong to.';
		END IF;
		IF parent.currency IS NOT NULL AND parent.currency IS DISTINCT FROM NEW.currency THEN
			RAISE EXCEPTION 'account "%" holds %, its parent "%" holds %', NEW.code,
				COALESCE(NEW.currency, 'no currency'), parent.code, parent.currency
				USING ERRCODE = 'datatype_mismatch',
					DETAIL = format('A summary account with a currency adds up sub-accounts in that currency only: account "%s" under "%s" must hold %s.',
						NEW.code, parent.code, parent.currency),
					HINT = 'Give the parent no currency to make it a multi-currency summary account.';
		END IF;
		IF parent.status <> 'open' THEN
			RAISE EXCEPTION 'parent account "%" is %', parent.code, parent.status
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = format('Account "%s" cannot be placed under "%s"; only an open account takes new sub-accounts.',
						NEW.code, parent.code);
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
				USING ERRCODE = 'invalid_parameter_value',
					DETAIL = format('Account "%s" is below "%s" in the chart of accounts, which is a tree.',
						NEW.parent_code, NEW.code);
		END IF;
	END IF;

	IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = OLD.code) THEN
		IF NEW.kind IS DISTINCT FROM OLD.kind THEN
			RAISE EXCEPTION 'cannot change the kind of summary account "%"', OLD.code
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = format('The sub-accounts of "%s" are of kind %s, the kind of the account they belong to.',
						OLD.code, OLD.kind);
		END IF;
		IF NEW.currency IS NOT NULL AND EXISTS (SELECT 1 FROM ledger.account c
				WHERE c.parent_code = OLD.code AND c.currency IS DISTINCT FROM NEW.currency) THEN
			RAISE EXCEPTION 'summary account "%" has sub-accounts in other currencies', OLD.code
				USING ERRCODE = 'datatype_mismatch',
					DETAIL = (SELECT format('Account "%s" would hold %s, but its sub-account "%s" holds %s.',
					                        OLD.code, NEW.currency, c.code, COALESCE(c.currency, 'no currency'))
					            FROM ledger.account c
					           WHERE c.parent_code = OLD.code AND c.currency IS DISTINCT FROM NEW.currency
					           ORDER BY c.code LIMIT 1);
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

	-- the tree: a new account sits under its parent's ancestors; a moved one
	-- takes its sub-accounts along
	IF TG_OP = 'INSERT' THEN
		INSERT INTO ledger.account_tree (account_id, ancestor_id, depth)
		SELECT NEW.id, NEW.id, 0
		UNION ALL
		SELECT NEW.id, t.ancestor_id, t.depth + 1
		  FROM ledger.account_tree t JOIN ledger.account p ON p.id = t.account_id
		 WHERE p.code = NEW.parent_code;
	ELSIF NEW.parent_code IS DISTINCT FROM OLD.parent_code THEN
		DELETE FROM ledger.account_tree t
		 WHERE t.account_id IN (SELECT s.account_id FROM ledger.account_tree s WHERE s.ancestor_id = NEW.id)
		   AND t.ancestor_id IN (SELECT u.ancestor_id FROM ledger.account_tree u
		                          WHERE u.account_id = NEW.id AND u.depth > 0);
		INSERT INTO ledger.account_tree (account_id, ancestor_id, depth)
		SELECT s.account_id, t.ancestor_id, s.depth + 1 + t.depth
		  FROM ledger.account_tree s, ledger.account_tree t JOIN ledger.account p ON p.id = t.account_id
		 WHERE s.ancestor_id = NEW.id AND p.code = NEW.parent_code;
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
	SECURITY DEFINER
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
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = format('A book day goes from open to closing to closed, and book day %s is %s.', OLD.book_date, OLD.status),
				HINT = 'Close the open day with CALL ledger.close_day().';
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
		RAISE EXCEPTION 'start_date must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'ledger.open_books() needs the first book date of the books.';
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
	WITH leaf AS (
		SELECT a.id, a.currency, sum(b.units) AS units
		  FROM ledger.account a
		  JOIN ledger.account_balance b ON b.account_id = a.id
		 WHERE NOT EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = a.code)
		   AND a.currency IS NOT NULL
		 GROUP BY a.id, a.currency),
	rolled AS (
		SELECT t.ancestor_id AS ancestor, l.currency, sum(l.units) AS units
		  FROM ledger.account_tree t JOIN leaf l ON l.id = t.account_id
		 GROUP BY t.ancestor_id, l.currency)
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
SELECT pg_catalog.pg_extension_config_dump('ledger.account_tree', '');
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
 * and cum_credit are the totals since the books began, in minor units (an
 * account's turnover outgrows 64 bits long before its balance does), so that
 * the movement
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
	cum_debit  numeric NOT NULL,
	cum_credit numeric NOT NULL,
	summary    boolean NOT NULL DEFAULT false,
	CONSTRAINT daily_balance_pkey PRIMARY KEY (account_id, book_date, currency)
);
CREATE INDEX daily_balance_book_date_idx ON ledger.daily_balance USING brin (book_date) WITH (autosummarize = on);
COMMENT ON TABLE ledger.daily_balance IS 'daily balance snapshots (日终余额), written by ledger.close_day()';
COMMENT ON COLUMN ledger.daily_balance.account_id IS 'the account';
COMMENT ON COLUMN ledger.daily_balance.book_date IS 'the closed day';
COMMENT ON COLUMN ledger.daily_balance.currency IS 'currency of the row (a multi-currency summary account has one row per currency)';
COMMENT ON COLUMN ledger.daily_balance.opening IS 'balance at the start of the day, debit positive';
COMMENT ON COLUMN ledger.daily_balance.debit IS 'the day''s debits, positive';
COMMENT ON COLUMN ledger.daily_balance.credit IS 'the day''s credits, positive';
COMMENT ON COLUMN ledger.daily_balance.closing IS 'balance at the end of the day, debit positive: opening + debit - credit';
COMMENT ON COLUMN ledger.daily_balance.entries IS 'number of the day''s entries';
COMMENT ON COLUMN ledger.daily_balance.cum_debit IS 'debits since the books began, up to and including this day, in minor units of the row''s currency';
COMMENT ON COLUMN ledger.daily_balance.cum_credit IS 'credits since the books began, up to and including this day, in minor units of the row''s currency';
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
	SECURITY DEFINER
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
	SELECT t.account_id, t.ancestor_id, t.depth FROM ledger.account_tree t;
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
			RAISE EXCEPTION 'no book day is open'
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = format('Every day in ledger.book_day is closing or closed; the latest is %s.',
						(SELECT max(b.book_date) FROM ledger.book_day b));
		END IF;
	ELSE
		SELECT b.status INTO st FROM ledger.book_day b WHERE b.book_date = requested;
		IF st IS NULL THEN
			RAISE EXCEPTION 'book day % does not exist', requested
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = format('The open book day is %s.', open_day);
		ELSIF st = 'closed' THEN
			RAISE EXCEPTION 'book day % is already closed', requested
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = 'A closed day never changes.';
		ELSIF st = 'closing' THEN
			RETURN requested;
		END IF;
		d := requested;
	END IF;
	IF EXISTS (SELECT 1 FROM ledger.book_day b WHERE b.book_date < d AND b.status <> 'closed') THEN
		RAISE EXCEPTION 'cannot close book day % before the days before it', d
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = (SELECT format('Book day %s is still %s; days close in order.', b.book_date, b.status)
				            FROM ledger.book_day b WHERE b.book_date < d AND b.status <> 'closed'
				           ORDER BY b.book_date LIMIT 1),
				HINT = 'Run CALL ledger.close_day() without a date: it finishes the earlier days first.';
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
	SET plan_cache_mode = force_custom_plan
	SET jit = off
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
		RAISE EXCEPTION 'book day % is not closing', d
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = format('The daily balances are written for a closing day; book day %s is %s.', d,
					COALESCE((SELECT b.status FROM ledger.book_day b WHERE b.book_date = d), 'not in ledger.book_day')),
				HINT = 'Run CALL ledger.close_day(), which takes each day through every step.';
	END IF;
	SELECT b.book_date, b.status, b.digest INTO prev, prev_status, prev_digest
	  FROM ledger.book_day b WHERE b.book_date < d ORDER BY b.book_date DESC LIMIT 1;
	IF prev IS NOT NULL AND prev_status <> 'closed' THEN
		RAISE EXCEPTION 'book day % is not closed', prev
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = format('The daily balances of book day %s start from those of the day before, %s, which is %s.', d, prev, prev_status),
				HINT = 'Run CALL ledger.close_day(), which finishes the earlier days first.';
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
	       k.cum_debit + k.debit,
	       k.cum_credit + k.credit,
	       false
	  FROM (
		SELECT COALESCE(m.account_id, y.account_id) AS account_id,
		       COALESCE(m.currency, y.currency) AS currency,
		       COALESCE(ledger.minor_units(y.closing), 0) AS opening,
		       COALESCE(ledger.minor_units(m.debit), 0) AS debit,
		       COALESCE(ledger.minor_units(m.credit), 0) AS credit,
		       COALESCE(m.entries, 0) AS entries,
		       COALESCE(y.cum_debit, h.cum_debit, 0) AS cum_debit,
		       COALESCE(y.cum_credit, h.cum_credit, 0) AS cum_credit
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
	       sum(r.entries)::bigint, sum(r.cum_debit), sum(r.cum_credit), true
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
	SET plan_cache_mode = force_custom_plan
	SET jit = off
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
		RAISE EXCEPTION 'book_date must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'ledger.check_books() checks the books of one book date.';
	END IF;
	SELECT b.status, b.digest INTO st, stored_digest FROM ledger.book_day b WHERE b.book_date = d;
	IF st IS NULL THEN
		RAISE EXCEPTION 'book day % does not exist', d
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = (SELECT format('The books run from %s to the open day %s.', min(b.book_date),
				                        max(b.book_date) FILTER (WHERE b.status = 'open'))
				            FROM ledger.book_day b);
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
			         WHEN y.account_id IS NOT NULL AND (t.cum_debit - ledger.minor_units(t.debit) <> y.cum_debit
			              OR t.cum_credit - ledger.minor_units(t.credit) <> y.cum_credit)
			              THEN 'cumulative totals do not continue'
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
	SET plan_cache_mode = force_custom_plan
	SET jit = off
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
	SET plan_cache_mode = force_custom_plan
	SET jit = off
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
		RAISE EXCEPTION 'book day % has not passed its checks', d
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = COALESCE((SELECT CASE WHEN c.checked_at IS NULL OR c.checked_at < c.snapshot_at
				                               THEN format('Book day %s was not checked after its daily balances were written.', d)
				                               WHEN c.failed_checks <> '{}'
				                               THEN format('Book day %s failed %s.', d, pg_catalog.array_to_string(c.failed_checks, ', '))
				                               ELSE format('Book day %s has no digest yet.', d) END
				                     FROM ledger.day_close c WHERE c.book_date = d),
				                  format('Book day %s has not been through the cutoff.', d)),
				HINT = 'Run CALL ledger.close_day(), which takes each day through every step.';
	END IF;
	UPDATE ledger.book_day SET status = 'closed', closed_at = now(), digest = dg
	 WHERE book_date = d AND status = 'closing';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'book day % is not closing', d
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = format('Only a closing day is sealed; book day %s is %s.', d,
					COALESCE((SELECT b.status FROM ledger.book_day b WHERE b.book_date = d), 'not in ledger.book_day'));
	END IF;
	-- the day's daily balances are final: index their pages for the reports
	PERFORM pg_catalog.brin_summarize_new_values('ledger.daily_balance_book_date_idx'::pg_catalog.regclass);
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
	SET plan_cache_mode = force_custom_plan
	SET jit = off
AS $$
DECLARE
	r record;
	prev bytea;
	pass record;
BEGIN
	IF from_date IS NULL OR to_date IS NULL THEN
		RAISE EXCEPTION 'from_date and to_date must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = format('ledger.verify_books() was called with from_date %s and to_date %s.',
					COALESCE(from_date::text, 'NULL'), COALESCE(to_date::text, 'NULL')),
				HINT = 'Pass ''-infinity'' and ''infinity'' to verify every day.';
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
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_custom_plan
	SET jit = off
AS $$
DECLARE
	closed date;
	first_closed date;
	snap_day date;
BEGIN
	-- the dates are values, not joins: the planner prunes what a date rules out
	SELECT max(b.book_date), min(b.book_date) INTO closed, first_closed
	  FROM ledger.book_day b WHERE b.status = 'closed';
	snap_day := CASE WHEN as_of >= first_closed THEN LEAST(as_of, closed) END;
	RETURN QUERY
	WITH leaf AS (
		SELECT l.id, l.currency FROM ledger._leaf l WHERE l.currency IS NOT NULL),
	-- every account with a balance or a movement has a row on each closed day:
	-- read that day's rows in one range scan ...
	on_day AS (
		SELECT r.account_id, r.closing, r.cum_debit, r.cum_credit FROM ledger.daily_balance r
		 WHERE r.book_date = snap_day AND NOT r.summary),
	-- ... and look further back only for accounts without one (balance zero
	-- that day), whose running totals stand on their last row
	earlier AS (
		SELECT leaf.id AS account_id, s.closing, s.cum_debit, s.cum_credit
		  FROM leaf
		  CROSS JOIN LATERAL (
			SELECT r.closing, r.cum_debit, r.cum_credit FROM ledger.daily_balance r
			 WHERE r.account_id = leaf.id AND r.book_date < snap_day AND NOT r.summary
			 ORDER BY r.book_date DESC LIMIT 1) s
		 WHERE snap_day IS NOT NULL
		   AND NOT EXISTS (SELECT 1 FROM on_day WHERE on_day.account_id = leaf.id)),
	snap AS (
		SELECT * FROM on_day UNION ALL SELECT * FROM earlier),
	live AS (
		SELECT e.account_id, (ledger.trial(e.amount)).*
		  FROM ledger.entry e
		 WHERE as_of > COALESCE(closed, '-infinity')
		   AND e.book_date > COALESCE(closed, '-infinity') AND e.book_date <= as_of
		 GROUP BY e.account_id)
	SELECT leaf.id, leaf.currency,
	       COALESCE(ledger.minor_units(snap.closing), 0)::numeric + COALESCE(ledger.minor_units(live.net), 0),
	       COALESCE(snap.cum_debit, 0) + COALESCE(ledger.minor_units(live.debit), 0),
	       COALESCE(snap.cum_credit, 0) + COALESCE(ledger.minor_units(live.credit), 0)
	  FROM leaf
	  LEFT JOIN snap ON snap.account_id = leaf.id
	  LEFT JOIN live ON live.account_id = leaf.id;
END
$$;
COMMENT ON FUNCTION ledger._leaf_position(date) IS
	'balance and cumulative debits and credits of every leaf account at the end of a day';

CREATE FUNCTION ledger._leaf_movement(from_date date, to_date date)
	RETURNS TABLE(account_id bigint, currency text, opening numeric, debit numeric, credit numeric, closing numeric)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT c.account_id, c.currency, o.balance, c.cum_debit - o.cum_debit, c.cum_credit - o.cum_credit, c.balance
	  FROM ledger._leaf_position(to_date) c
	  JOIN ledger._leaf_position(from_date - 1) o ON o.account_id = c.account_id
$$;
COMMENT ON FUNCTION ledger._leaf_movement(date, date) IS
	'opening balance, debits, credits and closing balance of every leaf account over a period of book days';

CREATE FUNCTION ledger._check_as_of(as_of date) RETURNS void
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF as_of IS NULL THEN
		RAISE EXCEPTION 'date must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'A balance or trial balance as of a book date needs that date.';
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
	SET plan_cache_mode = force_custom_plan
	SET jit = off
AS $$
DECLARE
	a ledger.account;
	units numeric;
	cur text;
	ncur integer;
BEGIN
	IF balance.code IS NULL THEN
		RAISE EXCEPTION 'code must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'ledger.balance() needs the code of an account.';
	END IF;
	PERFORM ledger._check_as_of(as_of);
	SELECT * INTO a FROM ledger.account WHERE account.code = balance.code;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'account "%" does not exist', code
			USING ERRCODE = 'foreign_key_violation',
				DETAIL = format('No account in ledger.account has the code "%s"; account codes are case-sensitive.', code);
	END IF;
	SELECT sum(p.balance), min(p.currency), count(DISTINCT p.currency) INTO units, cur, ncur
	  FROM ledger._leaf_position(as_of) p
	  JOIN ledger._account_closure c ON c.account_id = p.account_id
	 WHERE c.ancestor_id = a.id;
	IF ncur > 1 THEN
		RAISE EXCEPTION 'account "%" holds more than one currency', code
			USING ERRCODE = 'datatype_mismatch',
				DETAIL = (SELECT format('Its leaf accounts hold %s.', string_agg(DISTINCT p.currency, ' and ' ORDER BY p.currency))
				            FROM ledger._leaf_position(as_of) p
				            JOIN ledger._account_closure c ON c.account_id = p.account_id
				           WHERE c.ancestor_id = a.id),
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

CREATE FUNCTION ledger._trial_closed(from_date date, to_date date)
	RETURNS TABLE(account_code text, account_name text, depth integer, currency text,
		opening_debit ledger.amount, opening_credit ledger.amount,
		period_debit ledger.amount, period_credit ledger.amount,
		closing_debit ledger.amount, closing_credit ledger.amount)
	AS 'MODULE_PATHNAME', 'ledger_trial_closed'
	LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ledger._trial_closed(date, date) IS
	'the rows of ledger.trial_balance() for a period of closed days, from the daily balances of its two ends';

CREATE FUNCTION ledger.trial_balance(from_date date, to_date date DEFAULT NULL)
	RETURNS TABLE(account_code text, account_name text, depth integer, currency text,
		opening_debit ledger.amount, opening_credit ledger.amount,
		period_debit ledger.amount, period_credit ledger.amount,
		closing_debit ledger.amount, closing_credit ledger.amount)
	LANGUAGE plpgsql STABLE
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET plan_cache_mode = force_custom_plan
	SET jit = off
AS $$
DECLARE
	upto date := COALESCE(to_date, from_date);
	closed date;
BEGIN
	IF from_date IS NULL THEN
		RAISE EXCEPTION 'from_date must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'ledger.trial_balance() needs the first book date of the period.';
	END IF;
	IF upto < from_date THEN
		RAISE EXCEPTION 'to_date % is before from_date %', upto, from_date
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('The period of ledger.trial_balance() runs from from_date to to_date; %s to %s holds no day.', from_date, upto);
	END IF;
	PERFORM ledger._check_as_of(upto);
	SELECT max(b.book_date) INTO closed FROM ledger.book_day b WHERE b.status = 'closed';
	IF upto <= closed THEN
		-- a period of closed days: read off the daily balances of its two ends
		RETURN QUERY SELECT * FROM ledger._trial_closed(from_date, upto);
		RETURN;
	END IF;
	RETURN QUERY
	WITH
	-- a period reaching days not yet closed: the leaves from their last daily
	-- balances and the live entries, rolled up the tree
	rolled AS (
		SELECT t.ancestor_id AS id, m.currency, sum(m.opening) AS opening, sum(m.debit) AS debit,
		       sum(m.credit) AS credit, sum(m.closing) AS closing
		  FROM ledger._leaf_movement(from_date, upto) m
		  JOIN ledger.account_tree t ON t.account_id = m.account_id
		 GROUP BY t.ancestor_id, m.currency),
	depths AS (
		SELECT t.account_id AS id, max(t.depth) AS depth FROM ledger.account_tree t GROUP BY t.account_id),
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
	 ORDER BY rows.code IS NULL, rows.code COLLATE "C", rows.currency COLLATE "C";
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
	ledger.verify_books(date, date), ledger._leaf_position(date), ledger._leaf_movement(date, date), ledger._trial_closed(date, date), ledger._check_as_of(date),
	ledger.balance(text, date), ledger.trial_balance(date, date)
	FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE ledger._close_finish(date), ledger.close_day(date) FROM PUBLIC;

-- ===========================================================================
-- 10. Reconciliation
-- ===========================================================================
--
-- Two layers.  The aggregates recon_diff and recon_total classify any two
-- record sets grouped by a match key.  Above them: statement lines imported
-- from the channels (loaders for the WeChat Pay and Alipay trade bills and a
-- generic CSV), and ledger.reconcile, which matches a clearing account's
-- entries against one channel's statement for one date, keeps unmatched
-- internal items in a pending pool for later statements (跨日), and records
-- the run and its breaks.

-- --- aggregates ------------------------------------------------------------

CREATE TYPE ledger.recon_result AS (
	class           text,
	internal_count  integer,
	external_count  integer,
	internal_amount ledger.amount,
	external_amount ledger.amount,
	difference      ledger.amount
);
COMMENT ON TYPE ledger.recon_result IS
	'result of ledger.recon_diff / ledger.recon_total: class, record counts and sums per side, difference = internal - external (NULL when a side is missing)';

CREATE FUNCTION ledger.recon_diff_accum(internal, text, ledger.amount) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_recon_diff_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.recon_diff_accum(internal, text, ledger.amount, text) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_recon_diff_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.recon_diff_accum(internal, text, ledger.amount, text, ledger.amount) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_recon_diff_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.recon_total_accum(internal, text, ledger.amount) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_recon_total_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.recon_total_accum(internal, text, ledger.amount, ledger.amount) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_recon_total_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.recon_diff_final(internal) RETURNS ledger.recon_result
	AS 'MODULE_PATHNAME', 'ledger_recon_diff_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.recon_total_final(internal) RETURNS ledger.recon_result
	AS 'MODULE_PATHNAME', 'ledger_recon_total_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.recon_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_recon_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger.recon_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'ledger_recon_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ledger.recon_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'ledger_recon_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION ledger.recon_diff_accum(internal, text, ledger.amount) IS 'recon_diff transition: counts and 128-bit sums per side';
COMMENT ON FUNCTION ledger.recon_diff_accum(internal, text, ledger.amount, text) IS 'recon_diff transition with status: also keeps the first status of each side';
COMMENT ON FUNCTION ledger.recon_diff_accum(internal, text, ledger.amount, text, ledger.amount) IS 'recon_diff transition with status and tolerance';
COMMENT ON FUNCTION ledger.recon_total_accum(internal, text, ledger.amount) IS 'recon_total transition: counts and 128-bit sums per side';
COMMENT ON FUNCTION ledger.recon_total_accum(internal, text, ledger.amount, ledger.amount) IS 'recon_total transition with tolerance';
COMMENT ON FUNCTION ledger.recon_diff_final(internal) IS 'recon_diff final: classifies the group (duplicate, missing_internal, missing_external, amount_mismatch, status_mismatch, matched)';
COMMENT ON FUNCTION ledger.recon_total_final(internal) IS 'recon_total final: classifies the group by its totals (missing_internal, missing_external, amount_mismatch, matched)';
COMMENT ON FUNCTION ledger.recon_combine(internal, internal) IS 'recon_diff / recon_total combine for parallel aggregation';
COMMENT ON FUNCTION ledger.recon_serialize(internal) IS 'recon_diff / recon_total state serialisation';
COMMENT ON FUNCTION ledger.recon_deserialize(bytea, internal) IS 'recon_diff / recon_total state deserialisation';

CREATE AGGREGATE ledger.recon_diff(side text, amount ledger.amount) (
	SFUNC = ledger.recon_diff_accum, STYPE = internal, SSPACE = 120,
	FINALFUNC = ledger.recon_diff_final,
	COMBINEFUNC = ledger.recon_combine,
	SERIALFUNC = ledger.recon_serialize, DESERIALFUNC = ledger.recon_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE ledger.recon_diff(side text, amount ledger.amount, status text) (
	SFUNC = ledger.recon_diff_accum, STYPE = internal, SSPACE = 140,
	FINALFUNC = ledger.recon_diff_final,
	COMBINEFUNC = ledger.recon_combine,
	SERIALFUNC = ledger.recon_serialize, DESERIALFUNC = ledger.recon_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE ledger.recon_diff(side text, amount ledger.amount, status text, tolerance ledger.amount) (
	SFUNC = ledger.recon_diff_accum, STYPE = internal, SSPACE = 140,
	FINALFUNC = ledger.recon_diff_final,
	COMBINEFUNC = ledger.recon_combine,
	SERIALFUNC = ledger.recon_serialize, DESERIALFUNC = ledger.recon_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE ledger.recon_total(side text, amount ledger.amount) (
	SFUNC = ledger.recon_total_accum, STYPE = internal, SSPACE = 120,
	FINALFUNC = ledger.recon_total_final,
	COMBINEFUNC = ledger.recon_combine,
	SERIALFUNC = ledger.recon_serialize, DESERIALFUNC = ledger.recon_deserialize,
	PARALLEL = SAFE);
CREATE AGGREGATE ledger.recon_total(side text, amount ledger.amount, tolerance ledger.amount) (
	SFUNC = ledger.recon_total_accum, STYPE = internal, SSPACE = 120,
	FINALFUNC = ledger.recon_total_final,
	COMBINEFUNC = ledger.recon_combine,
	SERIALFUNC = ledger.recon_serialize, DESERIALFUNC = ledger.recon_deserialize,
	PARALLEL = SAFE);

COMMENT ON AGGREGATE ledger.recon_diff(text, ledger.amount) IS
	'classifies the records of one match key: side ''internal'' or ''external''; duplicate if a side has more than one record, else missing_internal / missing_external / amount_mismatch / matched';
COMMENT ON AGGREGATE ledger.recon_diff(text, ledger.amount, text) IS
	'recon_diff comparing statuses too: one record per side with equal amounts but different statuses is status_mismatch (NULL statuses agree with each other only)';
COMMENT ON AGGREGATE ledger.recon_diff(text, ledger.amount, text, ledger.amount) IS
	'recon_diff with a tolerance: amounts within the tolerance (|internal - external| <= tolerance) agree; NULL tolerance is an exact match';
COMMENT ON AGGREGATE ledger.recon_total(text, ledger.amount) IS
	'compares the totals of the two sides of a group (资金对账, e.g. a bank credit against a settlement batch): missing_internal / missing_external / amount_mismatch / matched, never duplicate';
COMMENT ON AGGREGATE ledger.recon_total(text, ledger.amount, ledger.amount) IS
	'recon_total with a tolerance on the difference of the totals';

-- --- helpers of the loaders and of reconcile -------------------------------

CREATE FUNCTION ledger._csv_fields(line text, strip text DEFAULT NULL) RETURNS text[]
	AS 'MODULE_PATHNAME', 'ledger_csv_fields' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger._try_amount(value text, currency text) RETURNS ledger.amount
	AS 'MODULE_PATHNAME', 'ledger_try_amount' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ledger._recon_grace_days() RETURNS integer
	AS 'MODULE_PATHNAME', 'ledger_recon_grace_days_setting' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger._csv_fields(text, text) IS
	'fields of one CSV line (RFC 4180 quotes), with one leading strip character removed from each; NULL for a malformed line';
COMMENT ON FUNCTION ledger._try_amount(text, text) IS
	'an amount from ''12.30 CNY'' or from a plain number in the given currency; NULL instead of an error, so loaders can name the bad line';
COMMENT ON FUNCTION ledger._recon_grace_days() IS 'value of ledger.recon_grace_days';

-- --- statement lines -------------------------------------------------------

CREATE SEQUENCE ledger.statement_import_id_seq;
COMMENT ON SEQUENCE ledger.statement_import_id_seq IS 'ids of ledger.statement_import';

CREATE TABLE ledger.statement_import (
	id             bigint NOT NULL DEFAULT nextval('ledger.statement_import_id_seq'),
	source         text NOT NULL,
	statement_date date NOT NULL,
	format         text NOT NULL,
	line_count     integer NOT NULL,
	total_amount   ledger.amount NULL,
	fee_amount     ledger.amount NULL,
	file_header    jsonb NULL,
	file_totals    jsonb NULL,
	replaced_lines integer NOT NULL DEFAULT 0,
	loaded_at      timestamptz NOT NULL DEFAULT now(),
	loaded_by      text NOT NULL DEFAULT session_user,
	CONSTRAINT statement_import_pkey PRIMARY KEY (id),
	CONSTRAINT statement_import_format_check CHECK (format IN ('wechat', 'alipay', 'csv'))
);
ALTER SEQUENCE ledger.statement_import_id_seq OWNED BY ledger.statement_import.id;
CREATE INDEX statement_import_source_date_idx ON ledger.statement_import (source, statement_date);
COMMENT ON TABLE ledger.statement_import IS
	'one row per statement file loaded by a loader (load_wechat_bill, load_alipay_bill, load_statement_csv)';
COMMENT ON COLUMN ledger.statement_import.id IS 'import id, repeated on the lines it loaded';
COMMENT ON COLUMN ledger.statement_import.source IS 'channel name the lines were loaded under';
COMMENT ON COLUMN ledger.statement_import.statement_date IS 'statement (bill) date';
COMMENT ON COLUMN ledger.statement_import.format IS 'wechat (微信支付交易账单), alipay (支付宝业务明细) or csv (generic)';
COMMENT ON COLUMN ledger.statement_import.line_count IS 'number of statement lines loaded';
COMMENT ON COLUMN ledger.statement_import.total_amount IS 'sum of the amounts loaded (payments positive, refunds negative)';
COMMENT ON COLUMN ledger.statement_import.fee_amount IS 'sum of the channel fees loaded';
COMMENT ON COLUMN ledger.statement_import.file_header IS 'what the file says about itself (account, period), as read';
COMMENT ON COLUMN ledger.statement_import.file_totals IS 'the totals the file states (summary rows), checked against its lines';
COMMENT ON COLUMN ledger.statement_import.replaced_lines IS 'lines of the same source and date that this load replaced';
COMMENT ON COLUMN ledger.statement_import.loaded_at IS 'when the file was loaded';
COMMENT ON COLUMN ledger.statement_import.loaded_by IS 'session user that loaded it';

CREATE SEQUENCE ledger.statement_line_id_seq;
COMMENT ON SEQUENCE ledger.statement_line_id_seq IS 'ids of ledger.statement_line';

CREATE TABLE ledger.statement_line (
	id             bigint NOT NULL DEFAULT nextval('ledger.statement_line_id_seq'),
	source         text NOT NULL,
	statement_date date NOT NULL,
	ref            text NOT NULL,
	external_id    text NOT NULL,
	amount         ledger.amount NOT NULL,
	status         text NOT NULL DEFAULT 'success',
	fee            ledger.amount NULL,
	occurred_at    timestamptz NULL,
	raw            jsonb NULL,
	import_id      bigint NULL,
	line_no        integer NULL,
	loaded_at      timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT statement_line_pkey PRIMARY KEY (id),
	CONSTRAINT statement_line_external_id_key UNIQUE (source, statement_date, external_id),
	CONSTRAINT statement_line_source_check CHECK (source <> ''),
	CONSTRAINT statement_line_ref_check CHECK (ref <> ''),
	CONSTRAINT statement_line_external_id_check CHECK (external_id <> ''),
	CONSTRAINT statement_line_fee_currency_check CHECK (fee IS NULL OR ledger.currency(fee) = ledger.currency(amount))
);
ALTER SEQUENCE ledger.statement_line_id_seq OWNED BY ledger.statement_line.id;
CREATE INDEX statement_line_ref_idx ON ledger.statement_line (ref);
CREATE INDEX statement_line_import_idx ON ledger.statement_line (import_id);
COMMENT ON TABLE ledger.statement_line IS
	'lines of the channels'' statements (对账单), one per payment or refund; COPY ... CSV HEADER of (source, statement_date, ref, external_id, amount, status, fee, occurred_at, raw) or a loader';
COMMENT ON COLUMN ledger.statement_line.id IS 'line id';
COMMENT ON COLUMN ledger.statement_line.source IS 'channel name, e.g. ''wechat'', ''alipay'' (the first argument of ledger.reconcile)';
COMMENT ON COLUMN ledger.statement_line.statement_date IS 'the statement (bill) date the line belongs to';
COMMENT ON COLUMN ledger.statement_line.ref IS 'match key: the ref of our voucher (order number or refund number)';
COMMENT ON COLUMN ledger.statement_line.external_id IS 'the channel''s own serial (交易号 / 退款单号); unique per source and date';
COMMENT ON COLUMN ledger.statement_line.amount IS 'signed amount as it moves our clearing account: payments positive, refunds negative';
COMMENT ON COLUMN ledger.statement_line.status IS 'the channel''s status, lower case: success, processing, reversed, ...; our vouchers are success (reversed once reversed)';
COMMENT ON COLUMN ledger.statement_line.fee IS 'the channel''s fee on the line (手续费), in the line''s currency';
COMMENT ON COLUMN ledger.statement_line.occurred_at IS 'when the channel completed the payment or refund';
COMMENT ON COLUMN ledger.statement_line.raw IS 'the line as the channel wrote it (column name → value)';
COMMENT ON COLUMN ledger.statement_line.import_id IS 'the ledger.statement_import that loaded the line; NULL for a plain COPY';
COMMENT ON COLUMN ledger.statement_line.line_no IS 'line number in the loaded file';
COMMENT ON COLUMN ledger.statement_line.loaded_at IS 'when the line was loaded';

-- --- reconciliation runs, the pending pool, breaks ---------------------------

CREATE SEQUENCE ledger.recon_run_id_seq;
COMMENT ON SEQUENCE ledger.recon_run_id_seq IS 'ids of ledger.recon_run';

CREATE TABLE ledger.recon_run (
	id                      bigint NOT NULL DEFAULT nextval('ledger.recon_run_id_seq'),
	source                  text NOT NULL,
	statement_date          date NOT NULL,
	account_code            text NOT NULL,
	currency                text NOT NULL,
	grace_days              integer NOT NULL,
	internal_count          integer NOT NULL DEFAULT 0,
	internal_amount         ledger.amount NULL,
	external_count          integer NOT NULL DEFAULT 0,
	external_amount         ledger.amount NULL,
	matched_count           integer NOT NULL DEFAULT 0,
	matched_amount          ledger.amount NULL,
	missing_internal_count  integer NOT NULL DEFAULT 0,
	missing_internal_amount ledger.amount NULL,
	missing_external_count  integer NOT NULL DEFAULT 0,
	missing_external_amount ledger.amount NULL,
	amount_mismatch_count   integer NOT NULL DEFAULT 0,
	amount_mismatch_amount  ledger.amount NULL,
	status_mismatch_count   integer NOT NULL DEFAULT 0,
	status_mismatch_amount  ledger.amount NULL,
	duplicate_count         integer NOT NULL DEFAULT 0,
	duplicate_amount        ledger.amount NULL,
	pending_count           integer NOT NULL DEFAULT 0,
	pending_amount          ledger.amount NULL,
	reversed_count          integer NOT NULL DEFAULT 0,
	runs                    integer NOT NULL DEFAULT 1,
	started_at              timestamptz NOT NULL DEFAULT now(),
	finished_at             timestamptz NULL,
	run_by                  text NOT NULL DEFAULT session_user,
	CONSTRAINT recon_run_pkey PRIMARY KEY (id),
	CONSTRAINT recon_run_source_date_key UNIQUE (source, statement_date)
);
ALTER SEQUENCE ledger.recon_run_id_seq OWNED BY ledger.recon_run.id;
COMMENT ON TABLE ledger.recon_run IS
	'one row per reconciled (source, statement_date): counts of match keys and amounts per class; a re-run replaces the figures and keeps the id';
COMMENT ON COLUMN ledger.recon_run.id IS 'run id, referenced by ledger.recon_break.run_id';
COMMENT ON COLUMN ledger.recon_run.source IS 'the channel reconciled';
COMMENT ON COLUMN ledger.recon_run.statement_date IS 'the statement date and book date reconciled';
COMMENT ON COLUMN ledger.recon_run.account_code IS 'the clearing account whose entries were the internal side';
COMMENT ON COLUMN ledger.recon_run.currency IS 'currency of the clearing account';
COMMENT ON COLUMN ledger.recon_run.grace_days IS 'ledger.recon_grace_days in force for the run';
COMMENT ON COLUMN ledger.recon_run.internal_count IS 'internal items considered: the day''s vouchers with a ref on the account plus the pending items of earlier days';
COMMENT ON COLUMN ledger.recon_run.internal_amount IS 'sum of the internal items considered';
COMMENT ON COLUMN ledger.recon_run.external_count IS 'statement lines of the source and date';
COMMENT ON COLUMN ledger.recon_run.external_amount IS 'sum of those statement lines';
COMMENT ON COLUMN ledger.recon_run.matched_count IS 'keys matched (对平)';
COMMENT ON COLUMN ledger.recon_run.matched_amount IS 'amount matched';
COMMENT ON COLUMN ledger.recon_run.missing_internal_count IS 'keys only the statement has (长款 / 平台漏单)';
COMMENT ON COLUMN ledger.recon_run.missing_internal_amount IS 'statement amount of those keys';
COMMENT ON COLUMN ledger.recon_run.missing_external_count IS 'keys only our books have, past the grace days (短款 / 渠道漏单)';
COMMENT ON COLUMN ledger.recon_run.missing_external_amount IS 'our amount of those keys';
COMMENT ON COLUMN ledger.recon_run.amount_mismatch_count IS 'keys whose amounts differ (金额不符)';
COMMENT ON COLUMN ledger.recon_run.amount_mismatch_amount IS 'net difference (internal - external) of those keys';
COMMENT ON COLUMN ledger.recon_run.status_mismatch_count IS 'keys whose statuses differ (状态不符)';
COMMENT ON COLUMN ledger.recon_run.status_mismatch_amount IS 'our amount of those keys';
COMMENT ON COLUMN ledger.recon_run.duplicate_count IS 'keys with more than one record on a side (重复)';
COMMENT ON COLUMN ledger.recon_run.duplicate_amount IS 'net difference (internal - external, a missing side as zero) of those keys';
COMMENT ON COLUMN ledger.recon_run.pending_count IS 'internal items left in the pending pool, within the grace days (not breaks)';
COMMENT ON COLUMN ledger.recon_run.pending_amount IS 'amount of those items';
COMMENT ON COLUMN ledger.recon_run.reversed_count IS 'internal items reversed in our books and absent from the statement: nothing to reconcile';
COMMENT ON COLUMN ledger.recon_run.runs IS 'how many times the (source, date) was reconciled';
COMMENT ON COLUMN ledger.recon_run.started_at IS 'start of the latest run';
COMMENT ON COLUMN ledger.recon_run.finished_at IS 'end of the latest run';
COMMENT ON COLUMN ledger.recon_run.run_by IS 'session user of the latest run';

CREATE TABLE ledger.recon_pending (
	source       text NOT NULL,
	voucher_id   bigint NOT NULL,
	ref          text NOT NULL,
	book_date    date NOT NULL,
	account_id   bigint NOT NULL,
	amount       ledger.amount NOT NULL,
	status       text NOT NULL,
	added_run    bigint NOT NULL,
	closed_run   bigint NULL,
	closed_class text NULL,
	CONSTRAINT recon_pending_pkey PRIMARY KEY (source, voucher_id),
	CONSTRAINT recon_pending_closed_check CHECK ((closed_run IS NULL) = (closed_class IS NULL))
);
CREATE INDEX recon_pending_open_idx ON ledger.recon_pending (source, ref) WHERE closed_run IS NULL;
CREATE INDEX recon_pending_closed_run_idx ON ledger.recon_pending (closed_run);
CREATE INDEX recon_pending_added_run_idx ON ledger.recon_pending (added_run);
COMMENT ON TABLE ledger.recon_pending IS
	'the pending pool (跨日): internal items their own day''s statement did not have, waiting for a later statement; closed when matched or classified, or when they expire into missing_external after ledger.recon_grace_days';
COMMENT ON COLUMN ledger.recon_pending.source IS 'the channel whose statements the item waits for';
COMMENT ON COLUMN ledger.recon_pending.voucher_id IS 'the voucher of the internal item';
COMMENT ON COLUMN ledger.recon_pending.ref IS 'its ref (match key)';
COMMENT ON COLUMN ledger.recon_pending.book_date IS 'its book date';
COMMENT ON COLUMN ledger.recon_pending.account_id IS 'the clearing account';
COMMENT ON COLUMN ledger.recon_pending.amount IS 'the voucher''s amount on the clearing account';
COMMENT ON COLUMN ledger.recon_pending.status IS 'success, or reversed when the voucher has been reversed';
COMMENT ON COLUMN ledger.recon_pending.added_run IS 'the run (of its book date) that put it in the pool';
COMMENT ON COLUMN ledger.recon_pending.closed_run IS 'the later run that matched, classified or expired it; NULL while pending';
COMMENT ON COLUMN ledger.recon_pending.closed_class IS 'the class it was closed with (matched, missing_external, amount_mismatch, ...); NULL while pending';

CREATE SEQUENCE ledger.recon_break_id_seq;
COMMENT ON SEQUENCE ledger.recon_break_id_seq IS 'ids of ledger.recon_break';

CREATE TABLE ledger.recon_break (
	id                   bigint NOT NULL DEFAULT nextval('ledger.recon_break_id_seq'),
	run_id               bigint NOT NULL,
	source               text NOT NULL,
	statement_date       date NOT NULL,
	class                text NOT NULL,
	ref                  text NOT NULL,
	internal_amount      ledger.amount NULL,
	external_amount      ledger.amount NULL,
	difference           ledger.amount NULL,
	internal_count       integer NOT NULL,
	external_count       integer NOT NULL,
	internal_status      text NULL,
	external_status      text NULL,
	book_date            date NULL,
	internal_voucher_ids bigint[] NULL,
	external_ids         text[] NULL,
	status               text NOT NULL DEFAULT 'open',
	note                 text NULL,
	voucher_id           bigint NULL,
	obsolete             boolean NOT NULL DEFAULT false,
	created_at           timestamptz NOT NULL DEFAULT now(),
	resolved_at          timestamptz NULL,
	resolved_by          text NULL,
	CONSTRAINT recon_break_pkey PRIMARY KEY (id),
	CONSTRAINT recon_break_class_check CHECK (class IN ('missing_internal', 'missing_external',
		'amount_mismatch', 'status_mismatch', 'duplicate')),
	CONSTRAINT recon_break_status_check CHECK (status IN ('open', 'resolved')),
	CONSTRAINT recon_break_resolved_check CHECK ((status = 'resolved') = (resolved_at IS NOT NULL)),
	CONSTRAINT recon_break_obsolete_check CHECK (NOT obsolete OR status = 'resolved')
);
ALTER SEQUENCE ledger.recon_break_id_seq OWNED BY ledger.recon_break.id;
CREATE UNIQUE INDEX recon_break_run_class_ref_key ON ledger.recon_break (run_id, class, ref);
CREATE INDEX recon_break_open_idx ON ledger.recon_break (source, statement_date) WHERE status = 'open';
CREATE INDEX recon_break_ref_idx ON ledger.recon_break (ref);
CREATE INDEX recon_break_voucher_idx ON ledger.recon_break (voucher_id) WHERE voucher_id IS NOT NULL;
COMMENT ON TABLE ledger.recon_break IS
	'breaks (差错): one row per match key of a run that is neither matched nor pending, unique per (run_id, class, ref); a re-run updates or deletes the open ones and keeps the resolved ones';
COMMENT ON COLUMN ledger.recon_break.id IS 'break id, the argument of ledger.resolve_break';
COMMENT ON COLUMN ledger.recon_break.run_id IS 'the ledger.recon_run that found it';
COMMENT ON COLUMN ledger.recon_break.source IS 'the channel';
COMMENT ON COLUMN ledger.recon_break.statement_date IS 'the statement date of the run';
COMMENT ON COLUMN ledger.recon_break.class IS 'missing_internal (长款), missing_external (短款), amount_mismatch (金额不符), status_mismatch (状态不符) or duplicate (重复)';
COMMENT ON COLUMN ledger.recon_break.ref IS 'the match key';
COMMENT ON COLUMN ledger.recon_break.internal_amount IS 'sum of our items for the key (NULL if none)';
COMMENT ON COLUMN ledger.recon_break.external_amount IS 'sum of the statement lines for the key (NULL if none)';
COMMENT ON COLUMN ledger.recon_break.difference IS 'internal - external, NULL when a side is missing';
COMMENT ON COLUMN ledger.recon_break.internal_count IS 'our items for the key';
COMMENT ON COLUMN ledger.recon_break.external_count IS 'statement lines for the key';
COMMENT ON COLUMN ledger.recon_break.internal_status IS 'status of our item (success or reversed)';
COMMENT ON COLUMN ledger.recon_break.external_status IS 'status on the statement';
COMMENT ON COLUMN ledger.recon_break.book_date IS 'book date of our earliest item for the key (earlier than statement_date for an item that waited in the pending pool)';
COMMENT ON COLUMN ledger.recon_break.internal_voucher_ids IS 'our vouchers for the key';
COMMENT ON COLUMN ledger.recon_break.external_ids IS 'the channel serials (external_id) of the statement lines for the key';
COMMENT ON COLUMN ledger.recon_break.status IS 'open or resolved';
COMMENT ON COLUMN ledger.recon_break.note IS 'how the break was resolved';
COMMENT ON COLUMN ledger.recon_break.voucher_id IS 'the adjusting voucher (差错处理) that resolved the break, if any; reconcile leaves such vouchers out of the internal side';
COMMENT ON COLUMN ledger.recon_break.obsolete IS 'a resolved break that the latest run of its date no longer finds (kept for the record)';
COMMENT ON COLUMN ledger.recon_break.created_at IS 'when the break was first found';
COMMENT ON COLUMN ledger.recon_break.resolved_at IS 'when it was resolved';
COMMENT ON COLUMN ledger.recon_break.resolved_by IS 'session user that resolved it';

-- --- statement loaders -----------------------------------------------------
--
-- A loader reads one statement file, checks all of it (fields, amounts,
-- duplicated serials, the file's own totals) and only then replaces the lines
-- of that source and date with the file's lines: a bad file loads nothing and
-- the error names its first bad line; the same file loaded twice gives the
-- same lines once.  The file comes either as an argument (an application that
-- downloaded the bill) or from the session's stage table, filled by psql:
--
--   SELECT ledger.stage_statement();
--   \copy ledger_statement_stage (line) FROM 'bill.csv' WITH (FORMAT csv, DELIMITER E'\x1f', QUOTE E'\x1e')
--   SELECT * FROM ledger.load_wechat_bill('wechat', '2026-11-02');

CREATE FUNCTION ledger.stage_statement() RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF pg_catalog.to_regclass('pg_temp.ledger_statement_stage') IS NULL THEN
		CREATE TEMP TABLE ledger_statement_stage (
			line_no bigint GENERATED ALWAYS AS IDENTITY,
			line    text
		);
	ELSE
		TRUNCATE pg_temp.ledger_statement_stage RESTART IDENTITY;
	END IF;
END
$$;
COMMENT ON FUNCTION ledger.stage_statement() IS
	'creates (or empties) this session''s temporary table ledger_statement_stage (line_no, line) for \copy of a statement file, one raw line per row';

-- the lines of the file, numbered from 1, into pg_temp._ledger_lines
CREATE FUNCTION ledger._statement_lines(bill text) RETURNS integer
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
	stage_fault text;
BEGIN
	IF pg_catalog.to_regclass('pg_temp._ledger_lines') IS NOT NULL THEN
		DROP TABLE pg_temp._ledger_lines;
	END IF;
	CREATE TEMP TABLE _ledger_lines (line_no integer PRIMARY KEY, line text NOT NULL) ON COMMIT DROP;
	IF bill IS NOT NULL THEN
		INSERT INTO pg_temp._ledger_lines
			SELECT u.n, pg_catalog.rtrim(u.l, E'\r')
			  FROM pg_catalog.unnest(pg_catalog.string_to_array(bill, E'\n')) WITH ORDINALITY AS u(l, n);
	ELSIF pg_catalog.to_regclass('pg_temp.ledger_statement_stage') IS NULL THEN
		RAISE EXCEPTION 'no statement file is staged in this session'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = 'The loader was called without the file and the session has no ledger_statement_stage table.',
				HINT = 'Run SELECT ledger.stage_statement(); then \copy ledger_statement_stage (line) FROM ''file'' WITH (FORMAT csv, DELIMITER E''\x1f'', QUOTE E''\x1e''), or pass the file''s text.';
	ELSE
		-- The stage table belongs to the caller, and the loaders that read it
		-- run as the extension's owner: a view, a trigger, a rule, a policy, a
		-- child table or a column type of the caller's making would run the
		-- caller's code with the owner's rights.  Only the plain table that
		-- ledger.stage_statement() creates is read.
		SELECT pg_catalog.concat_ws('; ',
		         CASE WHEN c.relkind <> 'r' THEN
		           pg_catalog.format('it is a %s, not a table',
		             CASE c.relkind WHEN 'v' THEN 'view' WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table'
		                            ELSE 'relation of kind ' || c.relkind::text END) END,
		         CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid)
		              THEN 'it has triggers' END,
		         CASE WHEN c.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite w WHERE w.ev_class = c.oid)
		              THEN 'it has rules' END,
		         CASE WHEN c.relrowsecurity OR EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid)
		              THEN 'it has row security' END,
		         CASE WHEN c.relispartition OR EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
		                                                WHERE i.inhrelid = c.oid OR i.inhparent = c.oid)
		              THEN 'it has a parent or child table' END,
		         CASE WHEN ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
		                          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
		                   IS DISTINCT FROM ARRAY['line_no', 'line']
		                OR ARRAY(SELECT a.atttypid FROM pg_catalog.pg_attribute a
		                          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
		                   IS DISTINCT FROM ARRAY['pg_catalog.int8'::pg_catalog.regtype, 'pg_catalog.text'::pg_catalog.regtype]::pg_catalog.oid[]
		              THEN 'its columns are not (line_no bigint, line text)' END)
		  INTO stage_fault
		  FROM pg_catalog.pg_class c
		 WHERE c.oid = pg_catalog.to_regclass('pg_temp.ledger_statement_stage');
		IF stage_fault <> '' THEN
			RAISE EXCEPTION 'cannot read the staged statement file from "ledger_statement_stage"'
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = pg_catalog.format('The session''s temporary relation ledger_statement_stage is not the plain table ledger.stage_statement() creates: %s.', stage_fault),
					HINT = 'Drop it and run SELECT ledger.stage_statement(); then \copy the file into ledger_statement_stage, or pass the file''s text.';
		END IF;
		INSERT INTO pg_temp._ledger_lines
			SELECT pg_catalog.row_number() OVER (ORDER BY s.line_no), COALESCE(pg_catalog.rtrim(s.line, E'\r'), '')
			  FROM pg_temp.ledger_statement_stage s;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'no statement file is staged in this session'
				USING ERRCODE = 'object_not_in_prerequisite_state',
					DETAIL = 'The stage table ledger_statement_stage is empty: the last load consumed it, or \copy loaded nothing.',
					HINT = 'Run SELECT ledger.stage_statement(); then \copy the file into ledger_statement_stage, or pass the file''s text.';
		END IF;
		-- the staged file is consumed by a successful load
		DELETE FROM pg_temp.ledger_statement_stage;
	END IF;
	-- a UTF-8 byte order mark
	UPDATE pg_temp._ledger_lines SET line = pg_catalog.substr(line, 2)
	 WHERE line_no = 1 AND pg_catalog.left(line, 1) = U&'\FEFF';
	-- a trailing newline makes a last empty line that is not part of the
	-- file; the loaders skip blank lines, so a file of nothing else is empty
	SELECT count(*) INTO n FROM pg_temp._ledger_lines WHERE pg_catalog.btrim(line) <> '';
	IF n = 0 THEN
		RAISE EXCEPTION 'statement file is empty'
			USING ERRCODE = 'bad_copy_file_format',
				DETAIL = 'No line of the file has any content.',
				HINT = 'Nothing was loaded.';
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION ledger._statement_lines(text) IS
	'loader helper: the file''s lines (from the argument or the stage table) into pg_temp._ledger_lines, numbered from 1';

CREATE FUNCTION ledger._statement_error(kind text, source text, statement_date date, line_no integer, reason text)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'malformed % at line %', kind, line_no
		USING ERRCODE = 'bad_copy_file_format',
			DETAIL = pg_catalog.format('Line %s %s (source "%s", statement date %s).', line_no, reason, source,
				pg_catalog.to_char(statement_date, 'YYYY-MM-DD')),
			HINT = 'Nothing was loaded; fix or download the file again.';
END
$$;
COMMENT ON FUNCTION ledger._statement_error(text, text, date, integer, text) IS
	'loader helper: raises 22P04 naming the file kind, the line, the reason, the source and the date';

CREATE FUNCTION ledger._statement_check_args(source text, statement_date date) RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF source IS NULL OR source = '' THEN
		RAISE EXCEPTION 'source must not be null or empty'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = format('Statement lines are filed under the name of their channel, e.g. ''wechat''; the statement of %s was given %s.',
					COALESCE(pg_catalog.to_char(statement_date, 'YYYY-MM-DD'), 'no date'),
					CASE WHEN source IS NULL THEN 'no source' ELSE 'an empty source' END);
	END IF;
	IF statement_date IS NULL THEN
		RAISE EXCEPTION 'statement_date must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = format('The statement of source "%s" needs the date it covers.', source);
	END IF;
END
$$;
COMMENT ON FUNCTION ledger._statement_check_args(text, date) IS 'loader helper: source and statement date are required';

/*
 * Writes the checked lines of pg_temp._ledger_parsed (line_no, ref,
 * external_id, amount, status, fee, occurred_at, raw) as the statement of
 * (source, statement_date), replacing what that source and date had.
 * Serialised with ledger.reconcile of the same source.
 */
CREATE FUNCTION ledger._statement_store(source text, statement_date date, format text,
		file_header jsonb, file_totals jsonb) RETURNS ledger.statement_import
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	imp ledger.statement_import;
	replaced integer;
BEGIN
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('ledger.recon'), pg_catalog.hashtext(_statement_store.source));
	DELETE FROM ledger.statement_line l
	 WHERE l.source = _statement_store.source AND l.statement_date = _statement_store.statement_date;
	GET DIAGNOSTICS replaced = ROW_COUNT;
	INSERT INTO ledger.statement_import (source, statement_date, format, line_count, total_amount, fee_amount,
			file_header, file_totals, replaced_lines)
		SELECT _statement_store.source, _statement_store.statement_date, _statement_store.format, count(*)::integer,
		       ledger.sum(p.amount), ledger.sum(p.fee), file_header, file_totals, replaced
		  FROM pg_temp._ledger_parsed p
		RETURNING * INTO imp;
	INSERT INTO ledger.statement_line (source, statement_date, ref, external_id, amount, status, fee,
			occurred_at, raw, import_id, line_no)
		SELECT _statement_store.source, _statement_store.statement_date, p.ref, p.external_id, p.amount, p.status,
		       p.fee, p.occurred_at, p.raw, imp.id, p.line_no
		  FROM pg_temp._ledger_parsed p
		 ORDER BY p.line_no;
	RETURN imp;
END
$$;
COMMENT ON FUNCTION ledger._statement_store(text, date, text, jsonb, jsonb) IS
	'loader helper: replaces the statement lines of a source and date with the checked lines of the file and records the import';

/*
 * The WeChat Pay trade bill (微信支付交易账单, bill_type ALL): a header row,
 * detail rows whose every field starts with a backtick, then the summary
 * header (总交易单数,应结订单总金额,退款总金额,...,手续费总金额,...) and the
 * summary values.  Amounts are in yuan.  A payment (交易状态 SUCCESS) is a
 * line of +应结订单金额 keyed by 商户订单号 (or 微信订单号); a refund (REFUND)
 * is a line of -退款金额 keyed by 商户退款单号 (or 微信退款单号), its status the
 * 退款状态; a revoked payment (REVOKED) has status reversed.
 */
CREATE FUNCTION ledger.load_wechat_bill(source text, statement_date date, bill text DEFAULT NULL,
		ref_field text DEFAULT 'out_trade_no')
	RETURNS ledger.statement_import
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	kind constant text := 'WeChat Pay bill';
	src text := load_wechat_bill.source;
	d date := load_wechat_bill.statement_date;
	hdr text[];
	hdr_line integer;
	sum_line integer;
	val_line integer;
	sumhdr text[];
	sums text[];
	extra integer;
	c_time integer; c_txid integer; c_order integer; c_state integer; c_ccy integer; c_settle integer;
	c_refund_id integer; c_refund_no integer; c_refund integer; c_refund_state integer; c_fee integer;
	s_count integer; s_settle integer; s_refund integer; s_fee integer;
	col text;
	bad record;
	bill_ccy text;
	totals jsonb;
	got record;
BEGIN
	PERFORM ledger._statement_check_args(src, d);
	IF ref_field IS NULL THEN
		RAISE EXCEPTION 'ref_field must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = pg_catalog.format('The WeChat Pay bill of source "%s" for %s is keyed by out_trade_no (商户订单号 / 商户退款单号, the default) or transaction_id (微信订单号 / 微信退款单号).',
					src, pg_catalog.to_char(d, 'YYYY-MM-DD'));
	END IF;
	IF ref_field NOT IN ('out_trade_no', 'transaction_id') THEN
		RAISE EXCEPTION 'invalid ref_field "%"', ref_field
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'ref_field is out_trade_no (商户订单号 / 商户退款单号) or transaction_id (微信订单号 / 微信退款单号).';
	END IF;
	PERFORM ledger._statement_lines(bill);

	IF pg_catalog.to_regclass('pg_temp._ledger_fields') IS NOT NULL THEN
		DROP TABLE pg_temp._ledger_fields;
	END IF;
	CREATE TEMP TABLE _ledger_fields ON COMMIT DROP AS
		SELECT l.line_no, ledger._csv_fields(l.line, '`') AS f
		  FROM pg_temp._ledger_lines l WHERE pg_catalog.btrim(l.line) <> '';

	SELECT x.line_no, x.f INTO hdr_line, hdr FROM pg_temp._ledger_fields x ORDER BY x.line_no LIMIT 1;
	IF hdr IS NULL OR hdr[1] IS DISTINCT FROM '交易时间' THEN
		PERFORM ledger._statement_error(kind, src, d, hdr_line, 'is not the WeChat Pay header row (交易时间,公众账号ID,商户号,...)');
	END IF;
	c_time := pg_catalog.array_position(hdr, '交易时间');
	c_txid := pg_catalog.array_position(hdr, '微信订单号');
	c_order := pg_catalog.array_position(hdr, '商户订单号');
	c_state := pg_catalog.array_position(hdr, '交易状态');
	c_ccy := pg_catalog.array_position(hdr, '货币种类');
	c_settle := pg_catalog.array_position(hdr, '应结订单金额');
	c_refund_id := pg_catalog.array_position(hdr, '微信退款单号');
	c_refund_no := pg_catalog.array_position(hdr, '商户退款单号');
	c_refund := pg_catalog.array_position(hdr, '退款金额');
	c_refund_state := pg_catalog.array_position(hdr, '退款状态');
	c_fee := pg_catalog.array_position(hdr, '手续费');
	FOREACH col IN ARRAY ARRAY['微信订单号', '商户订单号', '交易状态', '货币种类', '应结订单金额',
			'微信退款单号', '商户退款单号', '退款金额', '退款状态', '手续费'] LOOP
		IF pg_catalog.array_position(hdr, col) IS NULL THEN
			PERFORM ledger._statement_error(kind, src, d, hdr_line, pg_catalog.format('has no column %s', col));
		END IF;
	END LOOP;

	SELECT min(x.line_no) INTO sum_line FROM pg_temp._ledger_fields x WHERE x.f[1] = '总交易单数';
	IF sum_line IS NULL THEN
		SELECT max(x.line_no) INTO sum_line FROM pg_temp._ledger_fields x;
		PERFORM ledger._statement_error(kind, src, d, sum_line,
			'is the last line, but the summary rows (总交易单数,应结订单总金额,...) are missing: the file is cut short');
	END IF;
	SELECT x.f INTO sumhdr FROM pg_temp._ledger_fields x WHERE x.line_no = sum_line;
	SELECT x.line_no, x.f INTO val_line, sums FROM pg_temp._ledger_fields x
	 WHERE x.line_no > sum_line ORDER BY x.line_no LIMIT 1;
	IF val_line IS NULL THEN
		PERFORM ledger._statement_error(kind, src, d, sum_line, 'is the summary header, but the summary values row is missing');
	END IF;
	SELECT min(x.line_no) INTO extra FROM pg_temp._ledger_fields x WHERE x.line_no > val_line;
	IF extra IS NOT NULL THEN
		PERFORM ledger._statement_error(kind, src, d, extra, 'follows the summary rows; nothing may follow them');
	END IF;
	s_count := pg_catalog.array_position(sumhdr, '总交易单数');
	s_settle := pg_catalog.array_position(sumhdr, '应结订单总金额');
	s_refund := pg_catalog.array_position(sumhdr, '退款总金额');
	s_fee := pg_catalog.array_position(sumhdr, '手续费总金额');
	IF s_settle IS NULL OR s_refund IS NULL OR s_fee IS NULL THEN
		PERFORM ledger._statement_error(kind, src, d, sum_line, 'lacks 应结订单总金额, 退款总金额 or 手续费总金额');
	END IF;
	IF sums IS NULL OR pg_catalog.cardinality(sums) <> pg_catalog.cardinality(sumhdr) THEN
		PERFORM ledger._statement_error(kind, src, d, val_line,
			pg_catalog.format('has %s fields, the summary header has %s',
				COALESCE(pg_catalog.cardinality(sums), 0), pg_catalog.cardinality(sumhdr)));
	END IF;

	-- detail rows
	IF pg_catalog.to_regclass('pg_temp._ledger_parsed') IS NOT NULL THEN
		DROP TABLE pg_temp._ledger_parsed;
	END IF;
	CREATE TEMP TABLE _ledger_parsed ON COMMIT DROP AS
	SELECT q.*,
	       CASE
	         WHEN q.f IS NULL THEN 'has an unterminated or misplaced quote'
	         WHEN pg_catalog.cardinality(q.f) <> pg_catalog.cardinality(hdr) THEN
	           pg_catalog.format('has %s fields, the header has %s', pg_catalog.cardinality(q.f), pg_catalog.cardinality(hdr))
	         WHEN q.state NOT IN ('SUCCESS', 'REFUND', 'REVOKED') THEN pg_catalog.format('has an unknown 交易状态 "%s"', q.state)
	         WHEN ledger._try_amount('0', q.f[c_ccy]) IS NULL THEN pg_catalog.format('has an unknown 货币种类 "%s"', q.f[c_ccy])
	         WHEN q.state <> 'REFUND' AND q.settle IS NULL THEN pg_catalog.format('has an invalid 应结订单金额 "%s"', q.f[c_settle])
	         WHEN q.state = 'REFUND' AND (q.refund IS NULL OR ledger.minor_units(q.refund) <= 0) THEN
	           pg_catalog.format('has an invalid 退款金额 "%s"', q.f[c_refund])
	         WHEN q.fee IS NULL THEN pg_catalog.format('has an invalid 手续费 "%s"', q.f[c_fee])
	         WHEN q.ref IS NULL OR q.ref = '' THEN
	           pg_catalog.format('has no %s', CASE WHEN q.state = 'REFUND' THEN
	             CASE ref_field WHEN 'out_trade_no' THEN '商户退款单号' ELSE '微信退款单号' END
	             ELSE CASE ref_field WHEN 'out_trade_no' THEN '商户订单号' ELSE '微信订单号' END END)
	         WHEN q.external_id IS NULL OR q.external_id = '' THEN
	           pg_catalog.format('has no %s', CASE WHEN q.state = 'REFUND' THEN '微信退款单号' ELSE '微信订单号' END)
	         WHEN q.state = 'REFUND' AND COALESCE(q.f[c_refund_state], '') = '' THEN 'has no 退款状态'
	         WHEN q.f[c_time] !~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$' THEN
	           pg_catalog.format('has an invalid 交易时间 "%s"', q.f[c_time])
	       END AS error
	  FROM (SELECT x.line_no, x.f, x.f[c_state] AS state,
	               CASE WHEN x.f[c_state] = 'REFUND'
	                    THEN CASE ref_field WHEN 'out_trade_no' THEN x.f[c_refund_no] ELSE x.f[c_refund_id] END
	                    ELSE CASE ref_field WHEN 'out_trade_no' THEN x.f[c_order] ELSE x.f[c_txid] END END AS ref,
	               CASE WHEN x.f[c_state] = 'REFUND' THEN x.f[c_refund_id] ELSE x.f[c_txid] END AS external_id,
	               ledger._try_amount(x.f[c_settle], x.f[c_ccy]) AS settle,
	               ledger._try_amount(x.f[c_refund], x.f[c_ccy]) AS refund,
	               ledger._try_amount(x.f[c_fee], x.f[c_ccy]) AS fee,
	               CASE x.f[c_state] WHEN 'SUCCESS' THEN 'success' WHEN 'REVOKED' THEN 'reversed'
	                    ELSE pg_catalog.lower(x.f[c_refund_state]) END AS status,
	               x.f[c_ccy] AS ccy
	          FROM pg_temp._ledger_fields x
	         WHERE x.line_no > hdr_line AND x.line_no < sum_line) q;

	SELECT p.line_no, p.error INTO bad FROM pg_temp._ledger_parsed p WHERE p.error IS NOT NULL ORDER BY p.line_no LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._statement_error(kind, src, d, bad.line_no, bad.error);
	END IF;
	SELECT p.ccy INTO bill_ccy FROM pg_temp._ledger_parsed p ORDER BY p.line_no LIMIT 1;
	bill_ccy := COALESCE(bill_ccy, 'CNY');
	SELECT p.line_no, p.ccy INTO bad FROM pg_temp._ledger_parsed p WHERE p.ccy <> bill_ccy ORDER BY p.line_no LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._statement_error(kind, src, d, bad.line_no,
			pg_catalog.format('has 货币种类 %s, earlier lines have %s; one bill holds one currency', bad.ccy, bill_ccy));
	END IF;
	SELECT p.line_no, p.external_id, p.first INTO bad
	  FROM (SELECT p.line_no, p.external_id, min(p.line_no) OVER (PARTITION BY p.external_id) AS first
	          FROM pg_temp._ledger_parsed p) p
	 WHERE p.line_no > p.first ORDER BY p.line_no LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._statement_error(kind, src, d, bad.line_no,
			pg_catalog.format('repeats the serial "%s" of line %s', bad.external_id, bad.first));
	END IF;

	ALTER TABLE pg_temp._ledger_parsed
		ADD COLUMN amount ledger.amount, ADD COLUMN occurred_at timestamptz, ADD COLUMN raw jsonb;
	UPDATE pg_temp._ledger_parsed p
	   SET amount = CASE WHEN p.state = 'REFUND' THEN OPERATOR(ledger.-) p.refund ELSE p.settle END,
	       occurred_at = (p.f[c_time])::timestamp AT TIME ZONE 'Asia/Shanghai',
	       raw = pg_catalog.jsonb_object(hdr, p.f);

	-- the summary must agree with the detail rows
	SELECT count(*) AS n,
	       COALESCE(ledger.sum(p.settle) FILTER (WHERE p.state <> 'REFUND'), ledger.zero(bill_ccy)) AS settle,
	       COALESCE(ledger.sum(p.refund) FILTER (WHERE p.state = 'REFUND'), ledger.zero(bill_ccy)) AS refund,
	       COALESCE(ledger.sum(p.fee), ledger.zero(bill_ccy)) AS fee
	  INTO got FROM pg_temp._ledger_parsed p;
	totals := pg_catalog.jsonb_object(sumhdr, sums);
	IF sums[s_count] !~ '^[0-9]+$' OR sums[s_count]::bigint <> got.n THEN
		PERFORM ledger._statement_error(kind, src, d, val_line,
			pg_catalog.format('states 总交易单数 %s, but the bill has %s detail rows', sums[s_count], got.n));
	END IF;
	IF COALESCE(ledger._try_amount(sums[s_settle], bill_ccy) OPERATOR(ledger.<>) got.settle, true) THEN
		PERFORM ledger._statement_error(kind, src, d, val_line,
			pg_catalog.format('states 应结订单总金额 %s, but the payment rows add up to %s', sums[s_settle], got.settle));
	END IF;
	IF COALESCE(ledger._try_amount(sums[s_refund], bill_ccy) OPERATOR(ledger.<>) got.refund, true) THEN
		PERFORM ledger._statement_error(kind, src, d, val_line,
			pg_catalog.format('states 退款总金额 %s, but the refund rows add up to %s', sums[s_refund], got.refund));
	END IF;
	IF COALESCE(ledger._try_amount(sums[s_fee], bill_ccy) OPERATOR(ledger.<>) got.fee, true) THEN
		PERFORM ledger._statement_error(kind, src, d, val_line,
			pg_catalog.format('states 手续费总金额 %s, but the rows add up to %s', sums[s_fee], got.fee));
	END IF;

	RETURN ledger._statement_store(src, d, 'wechat', NULL, totals);
END
$$;
COMMENT ON FUNCTION ledger.load_wechat_bill(text, date, text, text) IS
	'loads a WeChat Pay trade bill (交易账单, backtick-prefixed CSV) as the statement of (source, statement_date), replacing that source and date; checks the summary rows; ref_field out_trade_no (商户订单号, default) or transaction_id (微信订单号)';

/*
 * The Alipay trade bill (支付宝业务明细), GBK text: '#' header lines
 * (#支付宝业务明细查询, #账号：[...], #起始日期：[...] 终止日期：[...]), the
 * column header, detail rows (业务类型 交易 or 退款; refunds negative), and '#'
 * footer lines (#交易合计：N笔..., #退款合计：N笔..., #导出时间：[...]).  Fields may
 * be padded with tabs.  A trade is a line of 订单金额 keyed by 商户订单号; a
 * refund a line of its (negative) 订单金额 keyed by 退款批次号/请求号.  The
 * footer's counts, and its amounts where it states them (the first "X元" after
 * "N笔"), must agree with the rows.  As an argument the file is bytea (the
 * bytes as downloaded); staged with \copy, give ENCODING 'GBK'.
 */
CREATE FUNCTION ledger.load_alipay_bill(source text, statement_date date, bill bytea DEFAULT NULL)
	RETURNS ledger.statement_import
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	kind constant text := 'Alipay bill';
	src text := load_alipay_bill.source;
	d date := load_alipay_bill.statement_date;
	txt text;
	hdr text[];
	hdr_line integer;
	first_line text;
	foot_line integer;
	period_line integer;
	m text[];
	account text;
	c_txid integer; c_order integer; c_type integer; c_done integer; c_amount integer; c_fee integer; c_refund_no integer;
	col text;
	bad record;
	got record;
	t_line integer; t_count bigint; t_amount text;
	r_line integer; r_count bigint; r_amount text;
	pos integer;
	nl integer;
	lineno integer;
	rest bytea;
BEGIN
	PERFORM ledger._statement_check_args(src, d);
	IF bill IS NOT NULL THEN
		BEGIN
			txt := pg_catalog.convert_from(bill, 'GBK');
		EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character THEN
			-- find the line that is not GBK
			rest := bill;
			lineno := 0;
			LOOP
				lineno := lineno + 1;
				nl := pg_catalog.position(rest, '\x0a'::bytea);
				BEGIN
					PERFORM pg_catalog.convert_from(CASE WHEN nl = 0 THEN rest ELSE pg_catalog.substr(rest, 1, nl - 1) END, 'GBK');
				EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character THEN
					PERFORM ledger._statement_error(kind, src, d, lineno, 'is not valid GBK text');
				END;
				EXIT WHEN nl = 0;
				rest := pg_catalog.substr(rest, nl + 1);
			END LOOP;
			RAISE;
		END;
	END IF;
	PERFORM ledger._statement_lines(txt);

	SELECT l.line INTO first_line FROM pg_temp._ledger_lines l WHERE pg_catalog.btrim(l.line) <> '' ORDER BY l.line_no LIMIT 1;
	IF first_line IS DISTINCT FROM '#支付宝业务明细查询' THEN
		SELECT min(l.line_no) INTO hdr_line FROM pg_temp._ledger_lines l WHERE pg_catalog.btrim(l.line) <> '';
		PERFORM ledger._statement_error(kind, src, d, hdr_line, 'is not #支付宝业务明细查询: not an Alipay trade bill');
	END IF;
	SELECT min(l.line_no) INTO hdr_line FROM pg_temp._ledger_lines l
	 WHERE pg_catalog.btrim(l.line) <> '' AND pg_catalog.left(l.line, 1) <> '#';
	IF hdr_line IS NULL THEN
		SELECT max(l.line_no) INTO hdr_line FROM pg_temp._ledger_lines l;
		PERFORM ledger._statement_error(kind, src, d, hdr_line, 'ends the file, which has no column header and no rows');
	END IF;
	SELECT ledger._csv_fields(pg_catalog.translate(l.line, '()', '（）')) INTO hdr FROM pg_temp._ledger_lines l WHERE l.line_no = hdr_line;
	FOREACH col IN ARRAY ARRAY['支付宝交易号', '商户订单号', '业务类型', '完成时间', '订单金额（元）', '服务费（元）', '退款批次号/请求号'] LOOP
		IF hdr IS NULL OR pg_catalog.array_position(hdr, col) IS NULL THEN
			PERFORM ledger._statement_error(kind, src, d, hdr_line, pg_catalog.format('is the column header but has no column %s', col));
		END IF;
	END LOOP;
	c_txid := pg_catalog.array_position(hdr, '支付宝交易号');
	c_order := pg_catalog.array_position(hdr, '商户订单号');
	c_type := pg_catalog.array_position(hdr, '业务类型');
	c_done := pg_catalog.array_position(hdr, '完成时间');
	c_amount := pg_catalog.array_position(hdr, '订单金额（元）');
	c_fee := pg_catalog.array_position(hdr, '服务费（元）');
	c_refund_no := pg_catalog.array_position(hdr, '退款批次号/请求号');

	-- header lines: the account and the period, which must be the statement date
	SELECT pg_catalog.substring(l.line, '#账号：\[([^]]*)\]') INTO account
	  FROM pg_temp._ledger_lines l WHERE l.line_no < hdr_line AND l.line LIKE '#账号：%' LIMIT 1;
	SELECT l.line_no, pg_catalog.regexp_match(l.line,
			'起始日期：\[([0-9]{4})年([0-9]{2})月([0-9]{2})日[^]]*\][[:space:]]*终止日期：\[([0-9]{4})年([0-9]{2})月([0-9]{2})日')
	  INTO period_line, m
	  FROM pg_temp._ledger_lines l WHERE l.line_no < hdr_line AND l.line LIKE '#起始日期%' LIMIT 1;
	IF period_line IS NULL THEN
		PERFORM ledger._statement_error(kind, src, d, hdr_line, 'is the column header, but no #起始日期 line precedes it');
	END IF;
	IF m IS NULL OR pg_catalog.make_date(m[1]::integer, m[2]::integer, m[3]::integer) <> d
	   OR pg_catalog.make_date(m[4]::integer, m[5]::integer, m[6]::integer) <> d + 1 THEN
		PERFORM ledger._statement_error(kind, src, d, period_line,
			pg_catalog.format('does not cover exactly the statement date %s', pg_catalog.to_char(d, 'YYYY-MM-DD')));
	END IF;

	-- detail rows run to the next '#' line; the footer follows
	SELECT min(l.line_no) INTO foot_line FROM pg_temp._ledger_lines l WHERE l.line_no > hdr_line AND pg_catalog.left(l.line, 1) = '#';
	IF foot_line IS NULL THEN
		SELECT max(l.line_no) INTO foot_line FROM pg_temp._ledger_lines l;
		PERFORM ledger._statement_error(kind, src, d, foot_line,
			'is the last line, but the footer (#交易合计, #退款合计) is missing: the file is cut short');
	END IF;
	SELECT min(l.line_no) INTO pos FROM pg_temp._ledger_lines l
	 WHERE l.line_no > foot_line AND pg_catalog.btrim(l.line) <> '' AND pg_catalog.left(l.line, 1) <> '#';
	IF pos IS NOT NULL THEN
		PERFORM ledger._statement_error(kind, src, d, pos, 'follows the footer; only # lines may follow it');
	END IF;
	SELECT l.line_no, (pg_catalog.regexp_match(l.line, '交易合计：([0-9]+)笔'))[1]::bigint,
	       (pg_catalog.regexp_match(l.line, '交易合计：[0-9]+笔，[^：，]*：(-?[0-9]+(\.[0-9]+)?)元'))[1]
	  INTO t_line, t_count, t_amount
	  FROM pg_temp._ledger_lines l WHERE l.line_no >= foot_line AND l.line ~ '交易合计：[0-9]+笔' LIMIT 1;
	SELECT l.line_no, (pg_catalog.regexp_match(l.line, '退款合计：([0-9]+)笔'))[1]::bigint,
	       (pg_catalog.regexp_match(l.line, '退款合计：[0-9]+笔，[^：，]*：(-?[0-9]+(\.[0-9]+)?)元'))[1]
	  INTO r_line, r_count, r_amount
	  FROM pg_temp._ledger_lines l WHERE l.line_no >= foot_line AND l.line ~ '退款合计：[0-9]+笔' LIMIT 1;
	IF t_line IS NULL OR r_line IS NULL THEN
		SELECT max(l.line_no) INTO pos FROM pg_temp._ledger_lines l WHERE pg_catalog.btrim(l.line) <> '';
		PERFORM ledger._statement_error(kind, src, d, pos,
			'ends the footer, which lacks its #交易合计 or #退款合计 line: the file is cut short');
	END IF;

	IF pg_catalog.to_regclass('pg_temp._ledger_parsed') IS NOT NULL THEN
		DROP TABLE pg_temp._ledger_parsed;
	END IF;
	CREATE TEMP TABLE _ledger_parsed ON COMMIT DROP AS
	SELECT q.*,
	       CASE
	         WHEN q.f IS NULL THEN 'has an unterminated or misplaced quote'
	         WHEN pg_catalog.cardinality(q.f) <> pg_catalog.cardinality(hdr) THEN
	           pg_catalog.format('has %s fields, the header has %s', pg_catalog.cardinality(q.f), pg_catalog.cardinality(hdr))
	         WHEN q.btype NOT IN ('交易', '退款') THEN pg_catalog.format('has an unknown 业务类型 "%s"', q.btype)
	         WHEN q.amount IS NULL THEN pg_catalog.format('has an invalid 订单金额（元） "%s"', q.f[c_amount])
	         WHEN q.btype = '交易' AND ledger.minor_units(q.amount) <= 0 THEN
	           pg_catalog.format('is a 交易 with 订单金额 %s; trades are positive', q.f[c_amount])
	         WHEN q.btype = '退款' AND ledger.minor_units(q.amount) >= 0 THEN
	           pg_catalog.format('is a 退款 with 订单金额 %s; refunds are negative', q.f[c_amount])
	         WHEN q.fee IS NULL AND COALESCE(q.f[c_fee], '') <> '' THEN pg_catalog.format('has an invalid 服务费（元） "%s"', q.f[c_fee])
	         WHEN q.f[c_txid] = '' THEN 'has no 支付宝交易号'
	         WHEN q.ref IS NULL OR q.ref = '' THEN
	           pg_catalog.format('has no %s', CASE q.btype WHEN '退款' THEN '退款批次号/请求号' ELSE '商户订单号' END)
	         WHEN q.f[c_done] !~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$' THEN
	           pg_catalog.format('has an invalid 完成时间 "%s"', q.f[c_done])
	       END AS error
	  FROM (SELECT l.line_no, f.f, f.f[c_type] AS btype,
	               CASE f.f[c_type] WHEN '退款' THEN f.f[c_refund_no] ELSE f.f[c_order] END AS ref,
	               CASE f.f[c_type] WHEN '退款' THEN f.f[c_txid] || '/' || f.f[c_refund_no] ELSE f.f[c_txid] END AS external_id,
	               ledger._try_amount(f.f[c_amount], 'CNY') AS amount,
	               ledger._try_amount(NULLIF(f.f[c_fee], ''), 'CNY') AS fee,
	               'success'::text AS status
	          FROM pg_temp._ledger_lines l
	          CROSS JOIN LATERAL (SELECT ledger._csv_fields(l.line) AS f) f
	         WHERE l.line_no > hdr_line AND l.line_no < foot_line AND pg_catalog.btrim(l.line) <> '') q;

	SELECT p.line_no, p.error INTO bad FROM pg_temp._ledger_parsed p WHERE p.error IS NOT NULL ORDER BY p.line_no LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._statement_error(kind, src, d, bad.line_no, bad.error);
	END IF;
	SELECT p.line_no, p.external_id, p.first INTO bad
	  FROM (SELECT p.line_no, p.external_id, min(p.line_no) OVER (PARTITION BY p.external_id) AS first
	          FROM pg_temp._ledger_parsed p) p
	 WHERE p.line_no > p.first ORDER BY p.line_no LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._statement_error(kind, src, d, bad.line_no,
			pg_catalog.format('repeats the serial "%s" of line %s', bad.external_id, bad.first));
	END IF;

	ALTER TABLE pg_temp._ledger_parsed ADD COLUMN occurred_at timestamptz, ADD COLUMN raw jsonb;
	UPDATE pg_temp._ledger_parsed p
	   SET occurred_at = (p.f[c_done])::timestamp AT TIME ZONE 'Asia/Shanghai',
	       raw = pg_catalog.jsonb_object(hdr, p.f);

	SELECT count(*) FILTER (WHERE p.btype = '交易') AS t_n,
	       COALESCE(ledger.sum(p.amount) FILTER (WHERE p.btype = '交易'), ledger.zero('CNY')) AS t_sum,
	       count(*) FILTER (WHERE p.btype = '退款') AS r_n,
	       COALESCE(ledger.sum(p.amount) FILTER (WHERE p.btype = '退款'), ledger.zero('CNY')) AS r_sum
	  INTO got FROM pg_temp._ledger_parsed p;
	IF t_count <> got.t_n THEN
		PERFORM ledger._statement_error(kind, src, d, t_line,
			pg_catalog.format('states 交易合计 %s笔, but the bill has %s 交易 rows', t_count, got.t_n));
	END IF;
	IF t_amount IS NOT NULL AND COALESCE(ledger._try_amount(t_amount, 'CNY') OPERATOR(ledger.<>) got.t_sum, true) THEN
		PERFORM ledger._statement_error(kind, src, d, t_line,
			pg_catalog.format('states a 交易 total of %s元, but the 交易 rows add up to %s', t_amount, got.t_sum));
	END IF;
	IF r_count <> got.r_n THEN
		PERFORM ledger._statement_error(kind, src, d, r_line,
			pg_catalog.format('states 退款合计 %s笔, but the bill has %s 退款 rows', r_count, got.r_n));
	END IF;
	IF r_amount IS NOT NULL AND COALESCE(ledger._try_amount(r_amount, 'CNY') OPERATOR(ledger.<>) got.r_sum, true) THEN
		PERFORM ledger._statement_error(kind, src, d, r_line,
			pg_catalog.format('states a 退款 total of %s元, but the 退款 rows add up to %s', r_amount, got.r_sum));
	END IF;

	RETURN ledger._statement_store(src, d, 'alipay',
		pg_catalog.jsonb_build_object('account', account, 'from', pg_catalog.make_date(m[1]::integer, m[2]::integer, m[3]::integer),
			'to', pg_catalog.make_date(m[4]::integer, m[5]::integer, m[6]::integer)),
		pg_catalog.jsonb_build_object('trade_count', t_count, 'trade_amount', t_amount,
			'refund_count', r_count, 'refund_amount', r_amount));
END
$$;
COMMENT ON FUNCTION ledger.load_alipay_bill(text, date, bytea) IS
	'loads an Alipay trade bill (业务明细, GBK CSV with # header and footer lines) as the statement of (source, statement_date), replacing that source and date; checks the period and the footer totals';

/*
 * A generic CSV statement: a header row naming the columns, in any order:
 * ref, external_id, amount (required), status, fee, occurred_at, currency
 * (optional); other columns are kept in raw.  amount and fee are '12.30 CNY'
 * or plain numbers in the currency column or the currency argument.
 */
CREATE FUNCTION ledger.load_statement_csv(source text, statement_date date, csv text DEFAULT NULL,
		currency text DEFAULT 'CNY')
	RETURNS ledger.statement_import
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	kind constant text := 'statement CSV';
	src text := load_statement_csv.source;
	d date := load_statement_csv.statement_date;
	dccy text := load_statement_csv.currency;
	hdr text[];
	hdr_line integer;
	c_ref integer; c_ext integer; c_amount integer; c_status integer; c_fee integer; c_at integer; c_ccy integer;
	col text;
	bad record;
BEGIN
	PERFORM ledger._statement_check_args(src, d);
	IF dccy IS NULL THEN
		RAISE EXCEPTION 'currency must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = format('The statement CSV of source "%s" for %s reads plain numbers as amounts in this currency.',
					src, pg_catalog.to_char(d, 'YYYY-MM-DD'));
	END IF;
	-- an unknown currency is 22P02 here, not an "invalid amount" on every line
	PERFORM ledger.zero(dccy);
	PERFORM ledger._statement_lines(csv);
	SELECT l.line_no, ledger._csv_fields(pg_catalog.lower(l.line)) INTO hdr_line, hdr
	  FROM pg_temp._ledger_lines l WHERE pg_catalog.btrim(l.line) <> '' ORDER BY l.line_no LIMIT 1;
	FOREACH col IN ARRAY ARRAY['ref', 'external_id', 'amount'] LOOP
		IF hdr IS NULL OR pg_catalog.array_position(hdr, col) IS NULL THEN
			PERFORM ledger._statement_error(kind, src, d, hdr_line,
				pg_catalog.format('is the header row but has no column %s (required: ref, external_id, amount)', col));
		END IF;
	END LOOP;
	c_ref := pg_catalog.array_position(hdr, 'ref');
	c_ext := pg_catalog.array_position(hdr, 'external_id');
	c_amount := pg_catalog.array_position(hdr, 'amount');
	c_status := pg_catalog.array_position(hdr, 'status');
	c_fee := pg_catalog.array_position(hdr, 'fee');
	c_at := pg_catalog.array_position(hdr, 'occurred_at');
	c_ccy := pg_catalog.array_position(hdr, 'currency');

	IF pg_catalog.to_regclass('pg_temp._ledger_parsed') IS NOT NULL THEN
		DROP TABLE pg_temp._ledger_parsed;
	END IF;
	CREATE TEMP TABLE _ledger_parsed ON COMMIT DROP AS
	SELECT q.*,
	       CASE
	         WHEN q.f IS NULL THEN 'has an unterminated or misplaced quote'
	         WHEN pg_catalog.cardinality(q.f) <> pg_catalog.cardinality(hdr) THEN
	           pg_catalog.format('has %s fields, the header has %s', pg_catalog.cardinality(q.f), pg_catalog.cardinality(hdr))
	         WHEN q.ref = '' THEN 'has no ref'
	         WHEN q.external_id = '' THEN 'has no external_id'
	         WHEN q.amount IS NULL THEN pg_catalog.format('has an invalid amount "%s"', q.f[c_amount])
	         WHEN q.fee IS NULL AND COALESCE(q.f[c_fee], '') <> '' THEN pg_catalog.format('has an invalid fee "%s"', q.f[c_fee])
	         WHEN q.fee IS NOT NULL AND ledger.currency(q.fee) <> ledger.currency(q.amount) THEN
	           pg_catalog.format('has a fee in %s and an amount in %s', ledger.currency(q.fee), ledger.currency(q.amount))
	         WHEN COALESCE(q.f[c_at], '') <> '' AND q.f[c_at] !~
	           '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?([+-][0-9]{2}(:?[0-9]{2})?|Z)?)?$' THEN
	           pg_catalog.format('has an invalid occurred_at "%s"', q.f[c_at])
	       END AS error
	  FROM (SELECT l.line_no, f.f, f.f[c_ref] AS ref, f.f[c_ext] AS external_id,
	               ledger._try_amount(f.f[c_amount], COALESCE(NULLIF(f.f[c_ccy], ''), dccy)) AS amount,
	               ledger._try_amount(NULLIF(f.f[c_fee], ''), COALESCE(NULLIF(f.f[c_ccy], ''), dccy)) AS fee,
	               COALESCE(NULLIF(pg_catalog.lower(f.f[c_status]), ''), 'success') AS status
	          FROM pg_temp._ledger_lines l
	          CROSS JOIN LATERAL (SELECT ledger._csv_fields(l.line) AS f) f
	         WHERE l.line_no > hdr_line AND pg_catalog.btrim(l.line) <> '') q;

	SELECT p.line_no, p.error INTO bad FROM pg_temp._ledger_parsed p WHERE p.error IS NOT NULL ORDER BY p.line_no LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._statement_error(kind, src, d, bad.line_no, bad.error);
	END IF;
	SELECT p.line_no, p.external_id, p.first INTO bad
	  FROM (SELECT p.line_no, p.external_id, min(p.line_no) OVER (PARTITION BY p.external_id) AS first
	          FROM pg_temp._ledger_parsed p) p
	 WHERE p.line_no > p.first ORDER BY p.line_no LIMIT 1;
	IF FOUND THEN
		PERFORM ledger._statement_error(kind, src, d, bad.line_no,
			pg_catalog.format('repeats the external_id "%s" of line %s', bad.external_id, bad.first));
	END IF;
	ALTER TABLE pg_temp._ledger_parsed ADD COLUMN occurred_at timestamptz, ADD COLUMN raw jsonb;
	UPDATE pg_temp._ledger_parsed p
	   SET occurred_at = (NULLIF(p.f[c_at], ''))::timestamptz,
	       raw = pg_catalog.jsonb_object(hdr, p.f);
	RETURN ledger._statement_store(src, d, 'csv', NULL, NULL);
END
$$;
COMMENT ON FUNCTION ledger.load_statement_csv(text, date, text, text) IS
	'loads a generic CSV statement (header: ref, external_id, amount [, status, fee, occurred_at, currency, ...]) as the statement of (source, statement_date), replacing that source and date';

-- --- reconcile -------------------------------------------------------------

/*
 * Reconciles (source, statement_date) against the entries on clearing
 * account `account`:
 *
 *   internal side  the vouchers of book date statement_date with a ref and
 *                  entries on the account (one item per voucher: the sum of
 *                  its entries there; status reversed once it is reversed),
 *                  leaving out adjusting vouchers named by a break, plus the
 *                  items of earlier book dates still in the pending pool;
 *   external side  the statement lines of the source and date.
 *
 * ledger.recon_diff classifies each ref.  A ref found only on our side
 * stays pending (in ledger.recon_pending) until book_date +
 * ledger.recon_grace_days <= statement_date, then it is a missing_external
 * break; a reversed item absent from the statement is closed without a break.
 *
 * A re-run of the same (source, date) first undoes the previous run's work
 * on the pool (items it closed are pending again, items it added leave it),
 * then runs again; items of the date that a later run has since closed stay
 * closed (a NOTICE says to re-run the later dates).  Breaks are unique per
 * (run, class, ref): an open break found again keeps its id and takes the new
 * figures, one no longer found is deleted; a resolved break stays resolved
 * and is marked obsolete if no longer found.  Runs of one source are serialised (and with the
 * loaders); posting is never blocked: the books are only read.
 */
CREATE PROCEDURE ledger.reconcile(source text, statement_date date, account text)
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	src text := reconcile.source;
	d date := reconcile.statement_date;
	grace integer := ledger._recon_grace_days();
	acc ledger.account;
	this_run bigint;
	bad record;
	later text;
	st record;
	started timestamptz := pg_catalog.clock_timestamp();
BEGIN
	IF src IS NULL OR d IS NULL OR reconcile.account IS NULL THEN
		RAISE EXCEPTION 'source, statement_date and account must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = pg_catalog.format('ledger.reconcile() was called with source %s, statement_date %s and account %s.',
					COALESCE('"' || src || '"', 'NULL'), COALESCE(pg_catalog.to_char(d, 'YYYY-MM-DD'), 'NULL'),
					COALESCE('"' || reconcile.account || '"', 'NULL'));
	END IF;
	SELECT * INTO acc FROM ledger.account a WHERE a.code = reconcile.account;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'account "%" does not exist', reconcile.account
			USING ERRCODE = 'foreign_key_violation',
				DETAIL = pg_catalog.format('Reconciliation of source "%s" for %s names clearing account "%s".',
					src, pg_catalog.to_char(d, 'YYYY-MM-DD'), reconcile.account);
	END IF;
	IF acc.currency IS NULL OR EXISTS (SELECT 1 FROM ledger.account c WHERE c.parent_code = acc.code) THEN
		RAISE EXCEPTION 'account "%" is a summary account', acc.code
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'Reconciliation reads the entries of one clearing account; a summary account has none.',
				HINT = 'Name the leaf account of the channel, e.g. 1122.01.';
	END IF;

	-- one run per source at a time (loaders of the source wait too)
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('ledger.recon'), pg_catalog.hashtext(src));

	SELECT l.ref, l.external_id, l.amount, l.line_no INTO bad
	  FROM ledger.statement_line l
	 WHERE l.source = src AND l.statement_date = d AND ledger.currency(l.amount) <> acc.currency
	 ORDER BY l.id LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'statement line in % cannot be reconciled against account "%" in %',
				ledger.currency(bad.amount), acc.code, acc.currency
			USING ERRCODE = 'datatype_mismatch',
				DETAIL = pg_catalog.format('Source "%s", statement date %s, ref "%s", external id "%s"%s: amount %s.',
					src, pg_catalog.to_char(d, 'YYYY-MM-DD'), bad.ref, bad.external_id,
					CASE WHEN bad.line_no IS NOT NULL THEN pg_catalog.format(', line %s', bad.line_no) ELSE '' END, bad.amount);
	END IF;

	-- the run row; a re-run undoes the previous run of this date first
	SELECT r.id INTO this_run FROM ledger.recon_run r WHERE r.source = src AND r.statement_date = d FOR UPDATE;
	IF FOUND THEN
		UPDATE ledger.recon_pending p SET closed_run = NULL, closed_class = NULL
		 WHERE p.closed_run = this_run AND p.added_run <> this_run;
		DELETE FROM ledger.recon_pending p
		 WHERE p.added_run = this_run AND (p.closed_run IS NULL OR p.closed_run = this_run);
		UPDATE ledger.recon_run r SET account_code = acc.code, currency = acc.currency, grace_days = grace,
				runs = r.runs + 1, started_at = started, finished_at = NULL, run_by = session_user
		 WHERE r.id = this_run;
	ELSE
		INSERT INTO ledger.recon_run (source, statement_date, account_code, currency, grace_days, started_at)
			VALUES (src, d, acc.code, acc.currency, grace, started)
			RETURNING id INTO this_run;
	END IF;
	SELECT pg_catalog.string_agg(pg_catalog.to_char(r.statement_date, 'YYYY-MM-DD'), ', ' ORDER BY r.statement_date) INTO later
	  FROM ledger.recon_run r WHERE r.source = src AND r.statement_date > d;
	IF later IS NOT NULL THEN
		RAISE NOTICE 'source "%" was already reconciled for later dates', src
			USING DETAIL = pg_catalog.format('Later runs: %s.  Their results were computed from the pending pool as it was before this run.', later),
				HINT = 'Reconcile those dates again, in order, to bring them up to date.';
	END IF;

	-- internal items
	IF pg_catalog.to_regclass('pg_temp._recon_int') IS NOT NULL THEN
		DROP TABLE pg_temp._recon_int;
	END IF;
	CREATE TEMP TABLE _recon_int ON COMMIT DROP AS
	SELECT i.voucher_id, i.ref, i.book_date, i.amount,
	       -- (IN rather than EXISTS: one hashed pass instead of a probe per item)
	       CASE WHEN i.voucher_id IN (SELECT r.reverses FROM ledger.voucher r WHERE r.reverses IS NOT NULL)
	            THEN 'reversed' ELSE 'success' END AS status,
	       -- after the undo, an item of this date still in the pool was closed by a later run
	       i.voucher_id IN (SELECT p.voucher_id FROM ledger.recon_pending p WHERE p.source = src) AS pooled
	  FROM (SELECT v.id AS voucher_id, v.ref, v.book_date, ledger.sum(e.amount) AS amount
	          FROM ledger.entry e
	          JOIN ledger.voucher v ON v.id = e.voucher_id
	         WHERE e.account_id = acc.id AND e.book_date = d AND v.ref IS NOT NULL
	           AND NOT EXISTS (SELECT 1 FROM ledger.recon_break b WHERE b.voucher_id = v.id)
	         GROUP BY v.id, v.ref, v.book_date) i
	 WHERE ledger.minor_units(i.amount) <> 0
	UNION ALL
	SELECT p.voucher_id, p.ref, p.book_date, p.amount,
	       CASE WHEN EXISTS (SELECT 1 FROM ledger.voucher r WHERE r.reverses = p.voucher_id)
	            THEN 'reversed' ELSE 'success' END,
	       true
	  FROM ledger.recon_pending p
	 WHERE p.source = src AND p.closed_run IS NULL AND p.book_date < d AND p.account_id = acc.id;
	ANALYZE pg_temp._recon_int;

	-- classification of every ref
	IF pg_catalog.to_regclass('pg_temp._recon_cls') IS NOT NULL THEN
		DROP TABLE pg_temp._recon_cls;
	END IF;
	CREATE TEMP TABLE _recon_cls ON COMMIT DROP AS
	SELECT g.ref, (g.r).class, (g.r).internal_count, (g.r).external_count,
	       (g.r).internal_amount, (g.r).external_amount, (g.r).difference,
	       g.book_date, g.reversed,
	       CASE WHEN (g.r).class = 'missing_external' AND g.reversed THEN 'reversed'
	            WHEN (g.r).class = 'missing_external' AND g.book_date + grace > d THEN 'pending'
	            ELSE (g.r).class END AS outcome
	  FROM (SELECT u.ref, ledger.recon_diff(u.side, u.amount, u.status) AS r,
	               min(u.book_date) AS book_date,
	               bool_and(u.status = 'reversed') FILTER (WHERE u.side = 'internal') AS reversed
	          FROM (SELECT 'internal' AS side, i.ref, i.amount, i.status, i.book_date FROM pg_temp._recon_int i
	                UNION ALL
	                SELECT 'external', l.ref, l.amount, l.status, NULL::date
	                  FROM ledger.statement_line l WHERE l.source = src AND l.statement_date = d) u
	         GROUP BY u.ref) g;
	ANALYZE pg_temp._recon_cls;

	-- the pool: earlier items are closed by this run unless still pending;
	-- today's items still within the grace days join it
	UPDATE ledger.recon_pending p SET closed_run = this_run, closed_class = c.outcome
	  FROM pg_temp._recon_cls c
	 WHERE p.source = src AND p.closed_run IS NULL AND p.book_date < d AND p.account_id = acc.id
	   AND p.ref = c.ref AND c.outcome <> 'pending';
	INSERT INTO ledger.recon_pending (source, voucher_id, ref, book_date, account_id, amount, status, added_run)
	SELECT src, i.voucher_id, i.ref, i.book_date, acc.id, i.amount, i.status, this_run
	  FROM pg_temp._recon_int i JOIN pg_temp._recon_cls c ON c.ref = i.ref
	 WHERE c.outcome = 'pending' AND NOT i.pooled;

	-- breaks: one row per (run, class, ref).  Open ones found again keep their
	-- id and take the new figures, open ones no longer found go, resolved ones
	-- stay resolved (obsolete when no longer found).
	IF pg_catalog.to_regclass('pg_temp._recon_brk') IS NOT NULL THEN
		DROP TABLE pg_temp._recon_brk;
	END IF;
	CREATE TEMP TABLE _recon_brk ON COMMIT DROP AS
	WITH brk AS (
		SELECT c.* FROM pg_temp._recon_cls c
		 WHERE c.outcome IN ('missing_internal', 'missing_external', 'amount_mismatch', 'status_mismatch', 'duplicate')),
	ours AS (
		SELECT i.ref, min(i.status) AS status, array_agg(i.voucher_id ORDER BY i.voucher_id) AS ids
		  FROM pg_temp._recon_int i JOIN brk ON brk.ref = i.ref
		 GROUP BY i.ref),
	theirs AS (
		SELECT l.ref, min(l.status) AS status, array_agg(l.external_id ORDER BY l.external_id) AS ids
		  FROM ledger.statement_line l JOIN brk ON brk.ref = l.ref
		 WHERE l.source = src AND l.statement_date = d
		 GROUP BY l.ref)
	SELECT brk.class, brk.ref, brk.internal_amount, brk.external_amount, brk.difference,
	       brk.internal_count, brk.external_count,
	       ours.status AS internal_status, theirs.status AS external_status,
	       brk.book_date, ours.ids AS internal_voucher_ids, theirs.ids AS external_ids
	  FROM brk
	  LEFT JOIN ours ON ours.ref = brk.ref
	  LEFT JOIN theirs ON theirs.ref = brk.ref;
	ANALYZE pg_temp._recon_brk;

	-- (NOT IN: one hashed pass, whatever the statistics of recon_break say)
	DELETE FROM ledger.recon_break b
	 WHERE b.run_id = this_run AND b.status = 'open'
	   AND (b.class, b.ref) NOT IN (SELECT n.class, n.ref FROM pg_temp._recon_brk n);
	UPDATE ledger.recon_break b
	   SET internal_amount = n.internal_amount, external_amount = n.external_amount, difference = n.difference,
	       internal_count = n.internal_count, external_count = n.external_count,
	       internal_status = n.internal_status, external_status = n.external_status, book_date = n.book_date,
	       internal_voucher_ids = n.internal_voucher_ids, external_ids = n.external_ids
	  FROM pg_temp._recon_brk n
	 WHERE b.run_id = this_run AND b.status = 'open' AND n.class = b.class AND n.ref = b.ref;
	INSERT INTO ledger.recon_break (run_id, source, statement_date, class, ref, internal_amount, external_amount,
			difference, internal_count, external_count, internal_status, external_status, book_date,
			internal_voucher_ids, external_ids)
	SELECT this_run, src, d, n.class, n.ref, n.internal_amount, n.external_amount, n.difference,
	       n.internal_count, n.external_count, n.internal_status, n.external_status, n.book_date,
	       n.internal_voucher_ids, n.external_ids
	  FROM pg_temp._recon_brk n
	 WHERE NOT EXISTS (SELECT 1 FROM ledger.recon_break b
	                    WHERE b.run_id = this_run AND b.class = n.class AND b.ref = n.ref)
	 ORDER BY n.class, n.ref;
	UPDATE ledger.recon_break b
	   SET obsolete = (b.class, b.ref) NOT IN (SELECT n.class, n.ref FROM pg_temp._recon_brk n)
	 WHERE b.run_id = this_run AND b.status = 'resolved';

	-- the figures of the run
	SELECT (SELECT count(*) FROM pg_temp._recon_int) AS internal_count,
	       (SELECT ledger.sum(i.amount) FROM pg_temp._recon_int i) AS internal_amount,
	       (SELECT count(*) FROM ledger.statement_line l WHERE l.source = src AND l.statement_date = d) AS external_count,
	       (SELECT ledger.sum(l.amount) FROM ledger.statement_line l WHERE l.source = src AND l.statement_date = d) AS external_amount,
	       count(*) FILTER (WHERE c.outcome = 'matched') AS matched_count,
	       ledger.sum(c.internal_amount) FILTER (WHERE c.outcome = 'matched') AS matched_amount,
	       count(*) FILTER (WHERE c.outcome = 'missing_internal') AS missing_internal_count,
	       ledger.sum(c.external_amount) FILTER (WHERE c.outcome = 'missing_internal') AS missing_internal_amount,
	       count(*) FILTER (WHERE c.outcome = 'missing_external') AS missing_external_count,
	       ledger.sum(c.internal_amount) FILTER (WHERE c.outcome = 'missing_external') AS missing_external_amount,
	       count(*) FILTER (WHERE c.outcome = 'amount_mismatch') AS amount_mismatch_count,
	       ledger.sum(c.difference) FILTER (WHERE c.outcome = 'amount_mismatch') AS amount_mismatch_amount,
	       count(*) FILTER (WHERE c.outcome = 'status_mismatch') AS status_mismatch_count,
	       ledger.sum(c.internal_amount) FILTER (WHERE c.outcome = 'status_mismatch') AS status_mismatch_amount,
	       count(*) FILTER (WHERE c.outcome = 'duplicate') AS duplicate_count,
	       ledger.sum(COALESCE(c.internal_amount, ledger.zero(acc.currency)) OPERATOR(ledger.-)
	                  COALESCE(c.external_amount, ledger.zero(acc.currency))) FILTER (WHERE c.outcome = 'duplicate') AS duplicate_amount,
	       count(*) FILTER (WHERE c.outcome = 'pending') AS pending_count,
	       ledger.sum(c.internal_amount) FILTER (WHERE c.outcome = 'pending') AS pending_amount,
	       count(*) FILTER (WHERE c.outcome = 'reversed') AS reversed_count
	  INTO st
	  FROM pg_temp._recon_cls c;

	UPDATE ledger.recon_run r SET
		internal_count = st.internal_count,
		internal_amount = COALESCE(st.internal_amount, ledger.zero(acc.currency)),
		external_count = st.external_count,
		external_amount = COALESCE(st.external_amount, ledger.zero(acc.currency)),
		matched_count = st.matched_count,
		matched_amount = COALESCE(st.matched_amount, ledger.zero(acc.currency)),
		missing_internal_count = st.missing_internal_count,
		missing_internal_amount = COALESCE(st.missing_internal_amount, ledger.zero(acc.currency)),
		missing_external_count = st.missing_external_count,
		missing_external_amount = COALESCE(st.missing_external_amount, ledger.zero(acc.currency)),
		amount_mismatch_count = st.amount_mismatch_count,
		amount_mismatch_amount = COALESCE(st.amount_mismatch_amount, ledger.zero(acc.currency)),
		status_mismatch_count = st.status_mismatch_count,
		status_mismatch_amount = COALESCE(st.status_mismatch_amount, ledger.zero(acc.currency)),
		duplicate_count = st.duplicate_count,
		duplicate_amount = COALESCE(st.duplicate_amount, ledger.zero(acc.currency)),
		pending_count = st.pending_count,
		pending_amount = COALESCE(st.pending_amount, ledger.zero(acc.currency)),
		reversed_count = st.reversed_count,
		finished_at = pg_catalog.clock_timestamp()
	 WHERE r.id = this_run;

	RAISE NOTICE 'reconciled "%": % matched, % breaks, % pending', src, st.matched_count,
		st.missing_internal_count + st.missing_external_count + st.amount_mismatch_count
			+ st.status_mismatch_count + st.duplicate_count,
		st.pending_count
		USING DETAIL = pg_catalog.format('Statement date %s, account "%s", run %s.', pg_catalog.to_char(d, 'YYYY-MM-DD'), acc.code, this_run);
END
$$;
COMMENT ON PROCEDURE ledger.reconcile(text, date, text) IS
	'reconciles the entries with a ref on clearing account `account` for book date statement_date against the statement lines of (source, statement_date); unmatched internal items wait in the pending pool for ledger.recon_grace_days; results in ledger.recon_run and ledger.recon_break; re-running replaces the results';

CREATE FUNCTION ledger.resolve_break(break_id bigint, note text, voucher_id bigint DEFAULT NULL)
	RETURNS ledger.recon_break
	LANGUAGE plpgsql
	SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	b ledger.recon_break;
BEGIN
	IF break_id IS NULL THEN
		RAISE EXCEPTION 'break_id must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'ledger.resolve_break() needs the id of a break in ledger.recon_break.';
	END IF;
	IF note IS NULL OR pg_catalog.btrim(note) = '' THEN
		RAISE EXCEPTION 'a note is required to resolve break %', break_id
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'The note records how the break was dealt with (差错处理), for the audit trail.';
	END IF;
	SELECT * INTO b FROM ledger.recon_break x WHERE x.id = break_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'break % does not exist', break_id
			USING ERRCODE = 'foreign_key_violation',
				DETAIL = pg_catalog.format('ledger.recon_break has no break with id %s; running reconcile again for a date deletes the open breaks it no longer finds.', break_id);
	END IF;
	IF b.status = 'resolved' THEN
		RAISE EXCEPTION 'break % is already resolved', break_id
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = pg_catalog.format('Break %s (%s, ref "%s", source "%s", %s) was resolved at %s by %s with the note "%s".',
					b.id, b.class, b.ref, b.source, pg_catalog.to_char(b.statement_date, 'YYYY-MM-DD'),
					pg_catalog.to_char(b.resolved_at, 'YYYY-MM-DD HH24:MI:SS TZ'), b.resolved_by, b.note);
	END IF;
	IF resolve_break.voucher_id IS NOT NULL THEN
		IF NOT EXISTS (SELECT 1 FROM ledger.voucher v WHERE v.id = resolve_break.voucher_id) THEN
			RAISE EXCEPTION 'voucher % does not exist', resolve_break.voucher_id
				USING ERRCODE = 'foreign_key_violation',
					DETAIL = pg_catalog.format('Break %s (%s, ref "%s") names it as its adjusting voucher.', b.id, b.class, b.ref);
		END IF;
		IF EXISTS (SELECT 1 FROM ledger.recon_break x WHERE x.voucher_id = resolve_break.voucher_id) THEN
			RAISE EXCEPTION 'voucher % already resolves another break', resolve_break.voucher_id
				USING ERRCODE = 'unique_violation',
					DETAIL = (SELECT pg_catalog.format('Break %s (%s, ref "%s") names it.', x.id, x.class, x.ref)
					            FROM ledger.recon_break x WHERE x.voucher_id = resolve_break.voucher_id LIMIT 1);
		END IF;
	END IF;
	UPDATE ledger.recon_break x
	   SET status = 'resolved', note = resolve_break.note, voucher_id = resolve_break.voucher_id,
	       resolved_at = pg_catalog.now(), resolved_by = session_user
	 WHERE x.id = break_id
	RETURNING * INTO b;
	RETURN b;
END
$$;
COMMENT ON FUNCTION ledger.resolve_break(bigint, text, bigint) IS
	'marks a break resolved with a note, optionally naming the adjusting voucher (差错处理) that corrects it; the voucher must exist and resolve no other break';

-- --- the morning report ----------------------------------------------------

CREATE VIEW ledger.recon_report AS
	SELECT r.source, r.statement_date, r.account_code, r.currency,
	       r.internal_count, r.internal_amount, r.external_count, r.external_amount,
	       r.matched_count, r.matched_amount,
	       r.missing_internal_count, r.missing_internal_amount,
	       r.missing_external_count, r.missing_external_amount,
	       r.amount_mismatch_count, r.amount_mismatch_amount,
	       r.status_mismatch_count, r.status_mismatch_amount,
	       r.duplicate_count, r.duplicate_amount,
	       r.pending_count, r.pending_amount,
	       COALESCE(b.open_breaks, 0) AS open_breaks,
	       COALESCE(b.source_open_breaks, 0) AS source_open_breaks,
	       b.oldest_open_days,
	       r.runs, r.finished_at
	  FROM ledger.recon_run r
	  LEFT JOIN LATERAL (
		SELECT count(*) FILTER (WHERE x.statement_date = r.statement_date) AS open_breaks,
		       count(*) AS source_open_breaks,
		       CURRENT_DATE - min(x.statement_date) AS oldest_open_days
		  FROM ledger.recon_break x
		 WHERE x.source = r.source AND x.statement_date <= r.statement_date AND x.status = 'open') b ON true;
COMMENT ON VIEW ledger.recon_report IS
	'the morning reconciliation report: per source and statement date, match keys and amounts per class, the open breaks of that date, the open breaks of the source up to that date and the age in days of the oldest of them';

-- --- dump registration and privileges --------------------------------------

SELECT pg_catalog.pg_extension_config_dump('ledger.statement_import', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.statement_import_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.statement_line', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.statement_line_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_run', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_pending', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_break', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.recon_break_id_seq', '');

REVOKE ALL ON ledger.statement_import, ledger.statement_line, ledger.recon_run, ledger.recon_pending,
	ledger.recon_break, ledger.recon_report FROM PUBLIC;
REVOKE ALL ON SEQUENCE ledger.statement_import_id_seq, ledger.statement_line_id_seq, ledger.recon_run_id_seq,
	ledger.recon_break_id_seq FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION
	ledger._csv_fields(text, text), ledger._try_amount(text, text), ledger._recon_grace_days(),
	ledger.stage_statement(), ledger._statement_lines(text),
	ledger._statement_error(text, text, date, integer, text), ledger._statement_check_args(text, date),
	ledger._statement_store(text, date, text, jsonb, jsonb),
	ledger.load_wechat_bill(text, date, text, text), ledger.load_alipay_bill(text, date, bytea),
	ledger.load_statement_csv(text, date, text, text),
	ledger.resolve_break(bigint, text, bigint)
	FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE ledger.reconcile(text, date, text) FROM PUBLIC;
