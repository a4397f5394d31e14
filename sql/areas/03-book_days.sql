-- sql/areas/03-book_days.sql: one area of the install script; the Makefile assembles sql/areas/*.sql, in
-- name order, into the current version's ledger--X.Y.sql.  Changes here need a matching
-- step in the upgrade script from the previous version.

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
	digest_version smallint NULL,
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
COMMENT ON COLUMN ledger.book_day.digest_version IS
	'formula of the sealed digest: 2 covers every column of the vouchers and entries (days sealed since 1.1); 1 or NULL on a closed day, the formula of version 1.0 (days it sealed, verified with that formula); NULL until a day is sealed';

CREATE FUNCTION ledger._check_book_date(d date, argument text, open_bounds boolean DEFAULT false) RETURNS void
	AS 'MODULE_PATHNAME', 'ledger_check_book_date'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ledger._check_book_date(date, text, boolean) IS
	'22008 unless a book date given by the user is a finite date from 1900-01-01 to 9999-12-31 (with open_bounds, -infinity and infinity pass too); NULL passes';

