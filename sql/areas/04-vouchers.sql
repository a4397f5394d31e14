-- sql/areas/04-vouchers.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

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
	hold_id         bigint NULL,
	CONSTRAINT voucher_pkey PRIMARY KEY (id),
	CONSTRAINT voucher_idempotency_key_key UNIQUE (idempotency_key),
	CONSTRAINT voucher_not_self_reversal CHECK (reverses <> id)
);
ALTER SEQUENCE ledger.voucher_id_seq OWNED BY ledger.voucher.id;
CREATE UNIQUE INDEX voucher_reverses_key ON ledger.voucher (reverses) WHERE reverses IS NOT NULL;
CREATE UNIQUE INDEX voucher_hold_id_key ON ledger.voucher (hold_id) WHERE hold_id IS NOT NULL;
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
COMMENT ON COLUMN ledger.voucher.hold_id IS 'the hold this voucher posts (set by ledger.post_hold only), if any';

CREATE TABLE ledger.entry (
	voucher_id bigint NOT NULL,
	line_no    integer NOT NULL,
	account_id bigint NOT NULL,
	amount     ledger.amount NOT NULL,
	book_date  date NOT NULL DEFAULT ledger.current_book_date(),
	memo       text NULL,
	red        boolean NOT NULL DEFAULT false,
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
COMMENT ON COLUMN ledger.entry.red IS
	'red-letter entry (红字): stands on the side opposite to its amount''s sign, as a negative figure; only in a voucher that reverses another';

