-- sql/areas/11-recon.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

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

-- the statement files as the loaders received them, kept once per file: the
-- evidence of what the channel or bank served, and where each line's raw
-- fields come from (ledger.statement_raw)
CREATE SEQUENCE ledger.statement_file_id_seq;
COMMENT ON SEQUENCE ledger.statement_file_id_seq IS 'ids of ledger.statement_file';

CREATE TABLE ledger.statement_file (
	id         bigint NOT NULL DEFAULT nextval('ledger.statement_file_id_seq'),
	source     text NOT NULL,
	format     text NOT NULL,
	ref_field  text NULL,
	encoding   text NOT NULL,
	content    bytea NOT NULL,
	loaded_at  timestamptz NOT NULL DEFAULT now(),
	loaded_by  text NOT NULL DEFAULT session_user,
	CONSTRAINT statement_file_pkey PRIMARY KEY (id),
	CONSTRAINT statement_file_format_check CHECK (format IN ('wechat', 'wechat_fundflow', 'alipay', 'alipay_account', 'mt940', 'camt053')),
	CONSTRAINT statement_file_encoding_check CHECK (encoding IN ('UTF8', 'GBK'))
);
ALTER SEQUENCE ledger.statement_file_id_seq OWNED BY ledger.statement_file.id;
-- lz4 where the server has it: a bill compresses about tenfold, fast
DO $$
BEGIN
	IF 'lz4' = ANY ((SELECT s.enumvals FROM pg_catalog.pg_settings s WHERE s.name = 'default_toast_compression')::text[]) THEN
		ALTER TABLE ledger.statement_file ALTER COLUMN content SET COMPRESSION lz4;
	END IF;
END
$$;
COMMENT ON TABLE ledger.statement_file IS
	'the statement files the loaders read (one row per call of load_wechat_bill, load_wechat_fundflow, load_alipay_bill, load_alipay_account, load_mt940, load_camt053), kept as received; ledger.statement_raw() reads each line back from here';
COMMENT ON COLUMN ledger.statement_file.id IS 'file id, repeated on the imports (statement_import.file_id) made from it';
COMMENT ON COLUMN ledger.statement_file.source IS 'the source argument of the load';
COMMENT ON COLUMN ledger.statement_file.format IS 'the loader''s format: wechat, wechat_fundflow, alipay, alipay_account, mt940 or camt053';
COMMENT ON COLUMN ledger.statement_file.ref_field IS 'the ref_field argument of load_wechat_bill; NULL for the other loaders';
COMMENT ON COLUMN ledger.statement_file.encoding IS 'GBK for an Alipay file passed as downloaded (bytea), else UTF8 (text, or staged with \copy)';
COMMENT ON COLUMN ledger.statement_file.content IS 'the file''s bytes as the loader read them (compressed in storage)';
COMMENT ON COLUMN ledger.statement_file.loaded_at IS 'when the file was loaded';
COMMENT ON COLUMN ledger.statement_file.loaded_by IS 'session user that loaded it';

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
	file_id        bigint NULL,
	CONSTRAINT statement_import_pkey PRIMARY KEY (id),
	CONSTRAINT statement_import_file_id_fkey FOREIGN KEY (file_id) REFERENCES ledger.statement_file (id) ON DELETE SET NULL,
	CONSTRAINT statement_import_format_check CHECK (format IN ('wechat', 'alipay', 'csv', 'wechat_fundflow', 'alipay_account', 'mt940', 'camt053'))
);
ALTER SEQUENCE ledger.statement_import_id_seq OWNED BY ledger.statement_import.id;
CREATE INDEX statement_import_source_date_idx ON ledger.statement_import (source, statement_date);
COMMENT ON TABLE ledger.statement_import IS
	'one row per statement file loaded by a loader (load_wechat_bill, load_wechat_fundflow, load_alipay_bill, load_alipay_account, load_statement_csv), one per bank statement (load_mt940, load_camt053)';
COMMENT ON COLUMN ledger.statement_import.id IS 'import id, repeated on the lines it loaded';
COMMENT ON COLUMN ledger.statement_import.source IS 'channel name the lines were loaded under';
COMMENT ON COLUMN ledger.statement_import.statement_date IS 'statement (bill) date';
COMMENT ON COLUMN ledger.statement_import.format IS 'wechat (微信支付交易账单), wechat_fundflow (微信支付资金账单), alipay (支付宝业务明细), alipay_account (支付宝账务明细), mt940 (SWIFT MT940), camt053 (ISO 20022 camt.053) or csv (generic)';
COMMENT ON COLUMN ledger.statement_import.line_count IS 'number of statement lines loaded';
COMMENT ON COLUMN ledger.statement_import.total_amount IS 'sum of the amounts loaded (payments positive, refunds negative)';
COMMENT ON COLUMN ledger.statement_import.fee_amount IS 'sum of the channel fees loaded';
COMMENT ON COLUMN ledger.statement_import.file_header IS 'what the file says about itself (account, period), as read';
COMMENT ON COLUMN ledger.statement_import.file_totals IS 'the totals the file states (summary rows), checked against its lines';
COMMENT ON COLUMN ledger.statement_import.replaced_lines IS 'lines of the same source and date that this load replaced';
COMMENT ON COLUMN ledger.statement_import.loaded_at IS 'when the file was loaded';
COMMENT ON COLUMN ledger.statement_import.loaded_by IS 'session user that loaded it';
COMMENT ON COLUMN ledger.statement_import.file_id IS 'the ledger.statement_file it was read from; NULL for the generic CSV loader, for loads before version 1.1, or once the file was deleted';

-- a loader takes a million ids in one call: each session keeps a hundred at
-- hand (ids are unique, not gapless)
CREATE SEQUENCE ledger.statement_line_id_seq CACHE 100;
COMMENT ON SEQUENCE ledger.statement_line_id_seq IS 'ids of ledger.statement_line';

-- source, ref and external_id are codes: compared and indexed byte by byte
-- (COLLATE "C"), as equality compares them in every collation anyway; a
-- load's index insertions then compare with memcmp() instead of going
-- through the database's collation (strcoll()) for every key
CREATE TABLE ledger.statement_line (
	id             bigint NOT NULL DEFAULT nextval('ledger.statement_line_id_seq'),
	source         text COLLATE "C" NOT NULL,
	statement_date date NOT NULL,
	ref            text COLLATE "C" NOT NULL,
	external_id    text COLLATE "C" NOT NULL,
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
COMMENT ON COLUMN ledger.statement_line.raw IS 'the line as the channel wrote it (column name → value), as given to COPY or by load_statement_csv; the other loaders keep the file instead (ledger.statement_raw gives each line), unless ledger.statement_raw_lines is on';
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
	statement_missing       boolean NOT NULL DEFAULT false,
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
COMMENT ON COLUMN ledger.recon_run.statement_missing IS 'no statement of the source and date had been loaded (no line, no import) when the latest run was made: its internal items were kept pending, none became a break';

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
COMMENT ON COLUMN ledger.recon_pending.closed_run IS 'the run that matched, classified or expired it: a later date''s, or a re-run of its own date that settles it after a later date took it from the pool; NULL while pending';
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
	candidates           jsonb NOT NULL DEFAULT '[]',
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
-- an adjusting voucher resolves one break: unique, so that two sessions
-- resolving two breaks with one voucher at the same time cannot both commit
CREATE UNIQUE INDEX recon_break_voucher_key ON ledger.recon_break (voucher_id) WHERE voucher_id IS NOT NULL;
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
COMMENT ON COLUMN ledger.recon_break.candidates IS 'why it did not match: for a missing_internal or missing_external break the nearest unmatched counterparts of the other side (smallest amount difference, then time difference), for the other classes the statement lines of the key; a JSON array of objects with ref, amount, time and difference (internal - external), plus external_id of a line';

-- --- matching rules and the matches they made ------------------------------

CREATE TABLE ledger.recon_rule (
	source       text NOT NULL,
	tolerance    ledger.amount NULL,
	match_window interval NULL,
	group_key    text NULL,
	net_of_fee   boolean NOT NULL DEFAULT false,
	CONSTRAINT recon_rule_pkey PRIMARY KEY (source),
	CONSTRAINT recon_rule_tolerance_check CHECK (ledger.minor_units(tolerance) >= 0),
	CONSTRAINT recon_rule_match_window_check CHECK (match_window >= interval '0'),
	CONSTRAINT recon_rule_group_key_check CHECK (group_key <> '')
);
COMMENT ON TABLE ledger.recon_rule IS
	'how ledger.reconcile matches one source beyond its exact key (SPEC 9.2); a source without a row matches by ref exactly';
COMMENT ON COLUMN ledger.recon_rule.source IS 'the channel (first argument of ledger.reconcile)';
COMMENT ON COLUMN ledger.recon_rule.tolerance IS 'amounts that differ by at most this much count as equal (matched, the difference recorded in ledger.recon_match); in the clearing account''s currency; NULL: exact';
COMMENT ON COLUMN ledger.recon_rule.match_window IS 'after key matching, unmatched items of both sides are paired by amount (within the tolerance) when the voucher''s created_at and the line''s occurred_at are at most this far apart; an item with two equally good candidates is never paired; NULL: no pairing';
COMMENT ON COLUMN ledger.recon_rule.group_key IS 'many-to-one: vouchers whose metadata->>group_key is set are matched as one group, by their sum, against the line whose ref is that value (a batch payout, a net settlement); NULL: no groups';
COMMENT ON COLUMN ledger.recon_rule.net_of_fee IS 'compare our amounts with the line''s amount - fee (channels that settle net of their fee)';

CREATE TABLE ledger.recon_match (
	run_id               bigint NOT NULL,
	source               text NOT NULL,
	statement_date       date NOT NULL,
	method               text NOT NULL,
	ref                  text NOT NULL,
	external_ref         text NOT NULL,
	internal_amount      ledger.amount NOT NULL,
	external_amount      ledger.amount NOT NULL,
	difference           ledger.amount NOT NULL,
	internal_count       integer NOT NULL,
	internal_voucher_ids bigint[] NOT NULL,
	external_ids         text[] NOT NULL,
	time_difference      interval NULL,
	CONSTRAINT recon_match_pkey PRIMARY KEY (run_id, ref),
	CONSTRAINT recon_match_method_check CHECK (method IN ('tolerance', 'window', 'group'))
);
CREATE INDEX recon_match_source_date_idx ON ledger.recon_match (source, statement_date);
COMMENT ON TABLE ledger.recon_match IS
	'the matches a run made by its rule rather than by an exact key: within the tolerance, paired within the match window, or a group against one line; replaced by a re-run';
COMMENT ON COLUMN ledger.recon_match.run_id IS 'the ledger.recon_run that made the match';
COMMENT ON COLUMN ledger.recon_match.source IS 'the channel';
COMMENT ON COLUMN ledger.recon_match.statement_date IS 'the statement date of the run';
COMMENT ON COLUMN ledger.recon_match.method IS 'tolerance (same key, amounts within the tolerance), window (no common key, paired by amount and time) or group (a group of vouchers against one line)';
COMMENT ON COLUMN ledger.recon_match.ref IS 'our key: the voucher''s ref, or the group''s value';
COMMENT ON COLUMN ledger.recon_match.external_ref IS 'the statement line''s ref (another key than ours for a window match)';
COMMENT ON COLUMN ledger.recon_match.internal_amount IS 'our amount (the group''s sum)';
COMMENT ON COLUMN ledger.recon_match.external_amount IS 'the line''s amount as compared (net of its fee under net_of_fee)';
COMMENT ON COLUMN ledger.recon_match.difference IS 'internal - external, within the tolerance';
COMMENT ON COLUMN ledger.recon_match.internal_count IS 'our vouchers matched (the group''s members)';
COMMENT ON COLUMN ledger.recon_match.internal_voucher_ids IS 'those vouchers';
COMMENT ON COLUMN ledger.recon_match.external_ids IS 'the channel serials (external_id) of the line';
COMMENT ON COLUMN ledger.recon_match.time_difference IS 'line occurred_at - voucher created_at, for a window match';

