/*
 * hold.c — ledger.hold, ledger.post_hold, ledger.void_hold,
 * ledger.expire_holds and the guard trigger of the hold tables.
 *
 * See hold.h for the design.  Lock order: the hold row (FOR UPDATE) first,
 * then the balance rows in account order, as posting locks them.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "common/int.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "hold.h"
#include "post.h"
#include "posting.h"
#include "wide.h"

static bool hold_writing = false;

bool
hold_writing_now(void)
{
	return hold_writing;
}

/* ---------- prepared statements ---------- */

static SPIPlanPtr insert_hold_plan = NULL;
static SPIPlanPtr insert_lines_plan = NULL;
static SPIPlanPtr find_hold_plan = NULL;
static SPIPlanPtr hold_lines_plan = NULL;
static SPIPlanPtr lock_hold_plan = NULL;
static SPIPlanPtr post_pending_plan = NULL;
static SPIPlanPtr voucher_by_key_plan = NULL;
static SPIPlanPtr voucher_key_plan = NULL;
static SPIPlanPtr settle_plan = NULL;
static SPIPlanPtr insert_voucher_plan = NULL;
static SPIPlanPtr insert_entries_plan = NULL;
static SPIPlanPtr insert_posted_plan = NULL;
static SPIPlanPtr expire_plan = NULL;
static SPIPlanPtr expired_lines_plan = NULL;
static SPIPlanPtr expired_held_plan = NULL;
static uint64 plans_generation = 0;
static Oid	voucher_seq = InvalidOid;
static Oid	amount_type = InvalidOid;
static Oid	amount_array_type = InvalidOid;

static void
free_plan(SPIPlanPtr *plan)
{
	if (*plan != NULL)
		SPI_freeplan(*plan);
	*plan = NULL;
}

static void
resolve_types(void)
{
	const LedgerCatalog *cat = ledger_catalog();

	amount_type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
								  CStringGetDatum("amount"), ObjectIdGetDatum(cat->nsp));
	if (!OidIsValid(amount_type))
		elog(ERROR, "type ledger.amount does not exist");
	amount_array_type = get_array_type(amount_type);
}

static void
free_plans(void)
{
	free_plan(&insert_hold_plan);
	free_plan(&insert_lines_plan);
	free_plan(&find_hold_plan);
	free_plan(&hold_lines_plan);
	free_plan(&lock_hold_plan);
	free_plan(&post_pending_plan);
	free_plan(&voucher_by_key_plan);
	free_plan(&voucher_key_plan);
	free_plan(&settle_plan);
	free_plan(&insert_voucher_plan);
	free_plan(&insert_entries_plan);
	free_plan(&insert_posted_plan);
	free_plan(&expire_plan);
	free_plan(&expired_lines_plan);
	free_plan(&expired_held_plan);
}

static void
prepare_plans(void)
{
	uint64		generation = ledger_catalog_generation();

	if (insert_hold_plan != NULL && plans_generation == generation)
		return;
	free_plans();
	plans_generation = generation;
	resolve_types();
	{
		Oid			t[6] = {TEXTOID, DATEOID, TEXTOID, TEXTOID, JSONBOID, TIMESTAMPTZOID};

		insert_hold_plan = ledger_prepare_kept(
			"INSERT INTO ledger.hold (idempotency_key, book_date, summary, ref, metadata, expires_at)"
			" SELECT $1, $2, $3, $4, $5, $6"
			"  WHERE NOT EXISTS (SELECT FROM ledger.hold h"
			"                     WHERE h.idempotency_key OPERATOR(pg_catalog.=) $1)"
			" ON CONFLICT (idempotency_key) DO NOTHING RETURNING id", 6, t);
	}
	{
		Oid			t[3] = {INT8OID, INT8ARRAYOID, amount_array_type};

		insert_lines_plan = ledger_prepare_kept(
			"INSERT INTO ledger.hold_line (hold_id, line_no, account_id, amount)"
			" SELECT $1, u.n::pg_catalog.int4, u.a, u.m"
			"   FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) WITH ORDINALITY AS u(a, m, n)", 3, t);
	}
	{
		Oid			t[1] = {TEXTOID};

		find_hold_plan = ledger_prepare_kept(
			"SELECT id, summary, ref, expires_at, created_by FROM ledger.hold"
			" WHERE idempotency_key OPERATOR(pg_catalog.=) $1", 1, t);
		voucher_by_key_plan = ledger_prepare_kept(
			"SELECT id, hold_id FROM ledger.voucher"
			" WHERE idempotency_key OPERATOR(pg_catalog.=) $1", 1, t);
	}
	{
		Oid			t[1] = {INT8OID};

		hold_lines_plan = ledger_prepare_kept(
			"SELECT l.line_no, l.account_id, l.amount FROM ledger.hold_line l"
			" WHERE l.hold_id OPERATOR(pg_catalog.=) $1 ORDER BY l.line_no", 1, t);
		lock_hold_plan = ledger_prepare_kept(
			"SELECT status, expires_at, expires_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp(),"
			"       summary, ref, metadata, voucher_id, settled_at, idempotency_key, created_by"
			"  FROM ledger.hold WHERE id OPERATOR(pg_catalog.=) $1 FOR UPDATE", 1, t);
		post_pending_plan = ledger_prepare_kept(
			"UPDATE ledger.hold SET status = 'posted', settled_at = pg_catalog.clock_timestamp(),"
			"       settled_book_date = $2, voucher_id = pg_catalog.nextval('ledger.voucher_id_seq'::pg_catalog.regclass)"
			" WHERE id OPERATOR(pg_catalog.=) $1 AND status OPERATOR(pg_catalog.=) 'pending'"
			"   AND (expires_at IS NULL OR expires_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp())"
			" RETURNING voucher_id, expires_at, summary, ref, metadata, idempotency_key, created_by", 2,
			(Oid[]) {INT8OID, DATEOID});
		voucher_key_plan = ledger_prepare_kept(
			"SELECT idempotency_key FROM ledger.voucher WHERE id OPERATOR(pg_catalog.=) $1", 1, t);
		expired_held_plan = ledger_prepare_kept(
			"SELECT debit, credit FROM ledger._expired_held($1)", 1, t);
	}
	voucher_seq = get_relname_relid("voucher_id_seq", ledger_catalog()->nsp);
	if (!OidIsValid(voucher_seq))
		elog(ERROR, "sequence ledger.voucher_id_seq does not exist");
	{
		Oid			t[5] = {INT8OID, TEXTOID, DATEOID, INT8OID, TEXTOID};

		settle_plan = ledger_prepare_kept(
			"UPDATE ledger.hold SET status = $2, settled_at = pg_catalog.clock_timestamp(),"
			"       settled_book_date = $3, voucher_id = $4, reason = $5"
			" WHERE id OPERATOR(pg_catalog.=) $1", 5, t);
	}
	{
		Oid			t[6] = {INT8OID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, INT8OID};

		insert_voucher_plan = ledger_prepare_kept(
			"INSERT INTO ledger.voucher (id, idempotency_key, ref, summary, metadata, hold_id)"
			" VALUES ($1, $2, $3, $4, $5, $6)"
			" ON CONFLICT (idempotency_key) DO NOTHING RETURNING id", 6, t);
	}
	{
		Oid			t[4] = {INT8OID, INT4ARRAYOID, INT8ARRAYOID, amount_array_type};

		insert_posted_plan = ledger_prepare_kept(
			"INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount)"
			" SELECT $1, l.line_no, l.account_id, l.amount FROM ledger.hold_line l"
			"  WHERE l.hold_id OPERATOR(pg_catalog.=) $2 ORDER BY l.line_no", 2,
			(Oid[]) {INT8OID, INT8OID});
		insert_entries_plan = ledger_prepare_kept(
			"INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount)"
			" SELECT $1, u.n, u.a, u.m"
			"   FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(n, a, m)",
			4, t);
	}
	{
		Oid			t[1] = {DATEOID};

		expire_plan = ledger_prepare_kept(
			"WITH due AS ("
			"   SELECT h.id FROM ledger.hold h"
			"    WHERE h.status OPERATOR(pg_catalog.=) 'pending'"
			"      AND h.expires_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp()"
			"    ORDER BY h.id FOR UPDATE SKIP LOCKED)"
			" UPDATE ledger.hold h SET status = 'expired', settled_at = pg_catalog.clock_timestamp(),"
			"        settled_book_date = $1"
			"   FROM due WHERE h.id OPERATOR(pg_catalog.=) due.id"
			" RETURNING h.id", 1, t);
	}
	{
		Oid			t[1] = {INT8ARRAYOID};

		expired_lines_plan = ledger_prepare_kept(
			"SELECT l.line_no, l.account_id, l.amount, ''::pg_catalog.text FROM ledger.hold_line l"
			" WHERE l.hold_id OPERATOR(pg_catalog.=) ANY ($1)", 1, t);
	}
}

/* Runs a prepared statement with the guard open; errors lose their CONTEXT line. */
static int
run(SPIPlanPtr plan, Datum *values, const char *nulls, bool read_only, long tcount)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile int rc = 0;
	bool		was = hold_writing;

	hold_writing = true;
	PG_TRY();
	{
		rc = SPI_execute_plan(plan, values, nulls, read_only, tcount);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		hold_writing = was;
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		edata->context = NULL;
		ReThrowError(edata);
	}
	PG_END_TRY();
	hold_writing = was;
	if (rc < 0)
		elog(ERROR, "internal statement of the holds failed: %s", SPI_result_code_string(rc));
	return rc;
}

/* ---------- messages ---------- */

/* An account's code for a message (its id if it is gone). */
static char *
account_code_of(int64 account_id)
{
	const AccountInfo *acc = account_by_id(account_id);

	return acc ? pstrdup(acc->code) : psprintf("%lld", (long long) account_id);
}

/* An insert a rule rewrote (see post.h): prepare the plans afresh next time. */
static void
rewritten_error(const char *table, int rc, const char *what, const char *key, int n, const char *rows)
pg_attribute_noreturn();

static void
rewritten_error(const char *table, int rc, const char *what, const char *key, int n, const char *rows)
{
	uint64		processed = SPI_processed;

	free_plans();
	post_rewritten_error(table, rc, processed, what, key, n, rows);
}

static void
null_argument_error(const char *name, const char *detail)
pg_attribute_noreturn();

static void
null_argument_error(const char *name, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s must not be null", name),
			 errdetail_internal("%s", detail)));
}

static char *
opt_text(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

static bool
text_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static const char *
quoted_or_null(const char *s)
{
	return s ? psprintf("\"%s\"", s) : "none";
}

/*
 * Checks that amounts balance per currency, with at least two non-zero
 * lines; what names the hold or voucher in the DETAIL.
 */
static void
check_balanced(int n, LedgerAmount **amounts, const char *what)
{
	int			i,
				j,
				nonzero = 0;

	for (i = 0; i < n; i++)
		if (amounts[i]->units != 0)
			nonzero++;
	if (nonzero < 2)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("%s has fewer than two lines", what),
				 errdetail("It has %d line%s with a non-zero amount; a voucher needs at least two.",
						   nonzero, nonzero == 1 ? "" : "s")));
	for (i = 0; i < n; i++)
	{
		la_currency cur = amount_currency(amounts[i]);
		INT128		sum = wide_zero();
		bool		seen = false;

		for (j = 0; j < i && !seen; j++)
			seen = currency_equal(cur, amount_currency(amounts[j]));
		if (seen)
			continue;
		for (j = i; j < n; j++)
			if (currency_equal(cur, amount_currency(amounts[j])))
				wide_add(&sum, amounts[j]->units);
		if (wide_sign(sum) != 0)
		{
			char	   *diff;

			if (wide_fits_int64(sum) && int128_to_int64(sum) != PG_INT64_MIN)
			{
				int64		v = int128_to_int64(sum);

				diff = amount_to_cstring(v < 0 ? -v : v, cur);
			}
			else
				diff = psprintf("more than the range of ledger.amount in %s",
								currency_to_cstring(cur));
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("%s is not balanced", what),
					 errdetail("Its %s exceed its %s by %s.",
							   wide_sign(sum) > 0 ? "debits" : "credits",
							   wide_sign(sum) > 0 ? "credits" : "debits", diff),
					 errhint("The amounts must sum to zero in every currency (debits positive, credits negative).")));
		}
	}
}

/* ---------- held totals in the balance rows ---------- */

typedef struct HeldMove
{
	int64		account_id;
	int64		debit;			/* change of held_debit */
	int64		credit;			/* change of held_credit */
} HeldMove;

static int
cmp_move(const void *a, const void *b)
{
	int64		x = ((const HeldMove *) a)->account_id;
	int64		y = ((const HeldMove *) b)->account_id;

	return x < y ? -1 : x > y ? 1 : 0;
}

static void
held_range_error(const AccountInfo *acc, int64 hold_id)
pg_attribute_noreturn();

static void
held_range_error(const AccountInfo *acc, int64 hold_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("held amount of account \"%s\" would be out of range", acc->code),
			 errdetail("Hold %lld would take the money held on the account beyond %s.",
					   (long long) hold_id, amount_to_cstring(PG_INT64_MAX, acc->cur))));
}

/*
 * Adds the moves to the held totals of the accounts' balance rows, in
 * account order.  Creating a hold checks the accounts take postings and
 * the bounds; releasing one (post, void, expire) always goes through.
 */
static void
move_held(HeldMove *moves, int n, int64 hold_id, bool creating)
{
	const LedgerCatalog *cat = ledger_catalog();
	Relation	rel;
	Relation	idx;
	TupleTableSlot *slot;
	IndexInfo  *ii = NULL;
	int			i,
				m = 0;

	if (n == 0)
		return;
	/* one move per account */
	qsort(moves, n, sizeof(HeldMove), cmp_move);
	for (i = 1; i < n; i++)
	{
		if (moves[i].account_id == moves[m].account_id)
		{
			if (pg_add_s64_overflow(moves[m].debit, moves[i].debit, &moves[m].debit) ||
				pg_add_s64_overflow(moves[m].credit, moves[i].credit, &moves[m].credit))
				amount_out_of_range_error();
		}
		else
			moves[++m] = moves[i];
	}
	n = m + 1;

	CommandCounterIncrement();
	rel = table_open(cat->balance, RowExclusiveLock);
	idx = index_open(cat->balance_pkey, RowExclusiveLock);
	slot = table_slot_create(rel, NULL);
	for (i = 0; i < n; i++)
	{
		const AccountInfo *found = account_by_id(moves[i].account_id);
		AccountInfo acc;
		int			slotno;
		int			attempt;
		bool		isnull;
		Datum		datum;
		int64		hd,
					hc;
		int			cols[2];
		Datum		values[2];

		if (found == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("account %lld changed while hold %lld was being written",
							(long long) moves[i].account_id, (long long) hold_id),
					 errdetail("A concurrent transaction deleted it."),
					 errhint("Retry the transaction.")));
		acc = *found;
		acc.code = pstrdup(found->code);	/* outlives later cache look-ups */

		/*
		 * As for vouchers: if the slot is gone, the account changed (hot
		 * turned off, or deleted) after this session last read it: read it
		 * again and take the slot it has now.
		 */
		for (attempt = 0;; attempt++)
		{
			slotno = acc.hot ? (int) (MyBackendId % acc.nslots) : 0;
			if (posting_lock_balance_row(rel, idx, &acc, slotno, "Hold", hold_id, slot))
				break;
			AcceptInvalidationMessages();
			if (!account_fresh(moves[i].account_id, &acc) || attempt >= 10)
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("account \"%s\" changed while hold %lld was being written", acc.code,
								(long long) hold_id),
						 errdetail("An operator deleted the account or changed its balance slots meanwhile."),
						 errhint("Retry the transaction.")));
		}
		if (creating)
		{
			datum = slot_getattr(slot, cat->bal_blocked, &isnull);
			if (!isnull)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("account \"%s\" is %s", acc.code, TextDatumGetCString(datum)),
						 errdetail("Hold %lld holds money on it; the account changed while the hold was being written.",
								   (long long) hold_id)));
		}
		posting_row_held(slot, &hd, &hc);
		if (pg_add_s64_overflow(hd, moves[i].debit, &hd) ||
			pg_add_s64_overflow(hc, moves[i].credit, &hc))
			held_range_error(&acc, hold_id);
		if (creating)
		{
			int64		units = DatumGetInt64(slot_getattr(slot, cat->bal_units, &isnull));
			INT128		normal = int64_to_int128(0);
			int64		bound,
						held;
			bool		is_floor;

			int128_add_int64_mul_int64(&normal, units, acc.sign);
			if (!posting_bounds_hold(&acc, slot, normal, hd, hc, &bound, &held, &is_floor))
				posting_bound_error(&acc, psprintf("Hold %lld", (long long) hold_id),
									normal, held, bound, is_floor);
		}
		cols[0] = cat->bal_held_debit;
		cols[1] = cat->bal_held_credit;
		values[0] = Int64GetDatum(hd);
		values[1] = Int64GetDatum(hc);
		posting_update_balance_row(rel, idx, &ii, slot, 2, cols, values);
	}
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, RowExclusiveLock);
	table_close(rel, RowExclusiveLock);
}

/* The moves that release (sign -1) or take (sign +1) the given lines. */
static HeldMove *
moves_of(int n, const int64 *accounts, LedgerAmount **amounts, int sign)
{
	HeldMove   *moves = palloc0(sizeof(HeldMove) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
	{
		int64		u = amounts[i]->units;

		moves[i].account_id = accounts[i];
		if (u > 0)
			moves[i].debit = sign * u;
		else
		{
			if (u == PG_INT64_MIN)
				amount_out_of_range_error();
			moves[i].credit = sign * -u;
		}
	}
	return moves;
}

void
hold_expired_held(int64 account_id, int64 *debit, int64 *credit)
{
	Datum		arg[1];
	bool		isnull;
	Snapshot	snap;
	int			rc;

	*debit = *credit = 0;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();
	arg[0] = Int64GetDatum(account_id);

	/*
	 * The held totals were read from the balance row as its latest version,
	 * locked; so must the holds be.  Every session that settles a hold on
	 * the account updates that row, so it has committed by now, and a
	 * snapshot taken now sees its hold settled.  The transaction's snapshot
	 * (REPEATABLE READ, SERIALIZABLE) could still show it pending and, past
	 * its expiry, leave out money the row no longer holds a second time.
	 */
	snap = RegisterSnapshot(GetLatestSnapshot());
	rc = SPI_execute_snapshot(expired_held_plan, arg, NULL, snap, InvalidSnapshot, true, false, 1);
	UnregisterSnapshot(snap);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "expired hold lookup failed");
	if (SPI_processed == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		*debit = isnull ? 0 : DatumGetInt64(d);
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		*credit = isnull ? 0 : DatumGetInt64(d);
	}
	SPI_finish();
}

/* The day a hold is created or settled on; fixed like a poster's (see posting.h). */
static DateADT
hold_book_day(void)
{
	/* the cutoff waits for the writers of ledger.voucher: be one */
	LockRelationOid(ledger_catalog()->voucher, RowExclusiveLock);
	return posting_book_day();
}

/* ---------- ledger.hold ---------- */

typedef struct HoldRequest
{
	char	   *key;
	int			n;
	int64	   *account_ids;
	const char **account_codes;
	LedgerAmount **amounts;
	Datum		amounts_array;	/* ledger.amount[] */
	char	   *summary;
	char	   *ref;
	bool		has_expiry;
	TimestampTz expires_at;
	Datum		metadata;		/* jsonb, or 0 */
} HoldRequest;

/*
 * Whether the caller may read an existing hold in an error message: it can
 * SELECT ledger.hold and ledger.hold_line, or its login created the hold
 * (as ledger.post does for vouchers).  The tables are looked up at each call
 * (a replay or an error, never the hot path): the hold tables came with 1.1,
 * and an update to 1.1 rolled back in this session, or the extension dropped
 * and created again, leaves no OID of theirs to remember.
 */
static bool
caller_may_read_hold(const char *created_by)
{
	Oid			nsp = ledger_catalog()->nsp;

	return post_caller_may_read(get_relname_relid("hold", nsp), get_relname_relid("hold_line", nsp),
								created_by, false, NULL);
}

/*
 * The key is taken: the existing hold's id if it is the same hold, 23505
 * otherwise.  The DETAIL quotes the existing hold only to a caller that may
 * read it; others learn which parts differ, not what they hold.
 */
static int64
hold_replay(const HoldRequest *req)
{
	Datum		arg[1];
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	int64		id;
	char	   *summary;
	char	   *ref;
	Datum		d;
	bool		has_expiry;
	TimestampTz expires_at = 0;
	char	   *difference = NULL;
	int			i;
	bool		may_read;
	bool		differs_summary;
	bool		differs_ref;
	bool		differs_expiry;
	bool		differs_lines = false;

	arg[0] = CStringGetTextDatum(req->key);
	run(find_hold_plan, arg, NULL, false, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access to hold key \"%s\"", req->key),
				 errdetail("Another transaction created a hold with this key after this transaction's snapshot was taken."),
				 errhint("Retry the transaction.")));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
	summary = SPI_getvalue(tup, desc, 2);
	ref = SPI_getvalue(tup, desc, 3);
	d = SPI_getbinval(tup, desc, 4, &isnull);
	has_expiry = !isnull;
	if (has_expiry)
		expires_at = DatumGetTimestampTz(d);
	may_read = caller_may_read_hold(SPI_getvalue(tup, desc, 5));
	differs_summary = !text_equal(summary, req->summary);
	differs_ref = !text_equal(ref, req->ref);
	differs_expiry = has_expiry != req->has_expiry || (has_expiry && expires_at != req->expires_at);

	if (differs_summary)
		difference = psprintf("its summary is %s, this call's is %s",
							  quoted_or_null(summary), quoted_or_null(req->summary));
	else if (differs_ref)
		difference = psprintf("its ref is %s, this call's is %s",
							  quoted_or_null(ref), quoted_or_null(req->ref));
	else if (differs_expiry)
		difference = psprintf("it expires %s, this call's %s",
							  has_expiry ? psprintf("at %s", timestamptz_to_str(expires_at)) : "never",
							  req->has_expiry ? psprintf("at %s", timestamptz_to_str(req->expires_at)) : "never");
	if (difference == NULL || !may_read)
	{
		char	   *line_difference = NULL;

		arg[0] = Int64GetDatum(id);
		run(hold_lines_plan, arg, NULL, false, 0);
		desc = SPI_tuptable->tupdesc;
		if ((int) SPI_processed != req->n)
			line_difference = psprintf("it has %d lines, this call has %d", (int) SPI_processed, req->n);
		for (i = 0; line_difference == NULL && i < req->n; i++)
		{
			int64		acc;
			LedgerAmount *amt;

			tup = SPI_tuptable->vals[i];
			acc = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
			amt = DatumGetLedgerAmountP(SPI_getbinval(tup, desc, 3, &isnull));
			if (acc != req->account_ids[i] || amount_cmp_internal(amt, req->amounts[i]) != 0)
				line_difference = psprintf("its line %d holds %s on account \"%s\", this call's holds %s on account \"%s\"",
										   i + 1, amount_to_cstring(amt->units, amount_currency(amt)),
										   account_code_of(acc),
										   amount_to_cstring(req->amounts[i]->units,
															 amount_currency(req->amounts[i])),
										   req->account_codes[i]);
		}
		differs_lines = line_difference != NULL;
		if (difference == NULL)
			difference = line_difference;
	}
	if (difference != NULL && !may_read)
	{
		const char *parts[4];
		int			nparts = 0;

		if (differs_summary)
			parts[nparts++] = "summary";
		if (differs_ref)
			parts[nparts++] = "ref";
		if (differs_expiry)
			parts[nparts++] = "expiry";
		if (differs_lines)
			parts[nparts++] = "lines";
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("idempotency key \"%s\" was already used for a different hold", req->key),
				 errdetail("Hold %lld was created with this key; its %s differ%s from this call's.",
						   (long long) id, post_list_parts(parts, nparts), nparts == 1 && !differs_lines ? "s" : ""),
				 errhint("Use a new key for a new hold; repeat a call only with exactly the same content.")));
	}
	if (difference != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("idempotency key \"%s\" was already used for a different hold", req->key),
				 errdetail("Hold %lld was created with this key; %s.", (long long) id, difference),
				 errhint("Use a new key for a new hold; repeat a call only with exactly the same content.")));
	return id;
}

/* Whether a hold with the key exists (in the statement's snapshot). */
static bool
hold_key_taken(const char *key)
{
	Datum		arg[1];

	arg[0] = CStringGetTextDatum(key);
	run(find_hold_plan, arg, NULL, false, 1);
	return SPI_processed > 0;
}

/*
 * Checks one line of a hold as the entry trigger checks a voucher's line.
 * An amount of zero is refused outright.  An account that takes no holds
 * now (a summary, frozen or closed account, or one of another currency) is
 * refused only for a new hold: if the key is taken, returns true and the
 * caller replays (hold_replay), as ledger.post replays a voucher before
 * its entries are checked, so a repeated call returns the hold it made
 * whatever its accounts' state is now.
 */
static bool
hold_line_check(const HoldRequest *req, int i, const AccountInfo *found)
{
	const LedgerAmount *amt = req->amounts[i];
	AccountInfo acc = *found;

	if (amt->units == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hold amount must not be zero"),
				 errdetail("Line %d of the hold with key \"%s\" holds %s on account \"%s\".",
						   i + 1, req->key, amount_to_cstring(0, amount_currency(amt)), acc.code)));
	if (!acc.summary && acc.status == ACCOUNT_OPEN &&
		acc.has_currency && currency_equal(acc.cur, amount_currency(amt)))
		return false;
	acc.code = pstrdup(found->code);	/* the look-up below may move it */
	if (hold_key_taken(req->key))
		return true;
	if (acc.summary)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("account \"%s\" is a summary account", acc.code),
				 errdetail("Line %d of the hold with key \"%s\" holds money on it; summary accounts take no postings.",
						   i + 1, req->key),
				 errhint("Hold money on one of its leaf accounts.")));
	if (acc.status != ACCOUNT_OPEN)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("account \"%s\" is %s", acc.code, account_status_name(acc.status)),
				 errdetail("Line %d of the hold with key \"%s\" holds money on it; only open accounts take holds.",
						   i + 1, req->key)));
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("currency %s does not match account \"%s\"",
					currency_to_cstring(amount_currency(amt)), acc.code),
			 errdetail("Line %d of the hold with key \"%s\" holds %s on account \"%s\", which holds %s.",
					   i + 1, req->key, amount_to_cstring(amt->units, amount_currency(amt)),
					   acc.code, acc.has_currency ? currency_to_cstring(acc.cur) : "no currency")));
	return false;
}

/* Line i of a hold just written, against its account as it is now (40001). */
static void
recheck_line(const HoldRequest *req, int i, int64 hold_id)
{
	AccountInfo now;
	const char *what = NULL;

	if (!account_fresh(req->account_ids[i], &now))
		what = "deleted it";
	else if (!now.has_currency || !currency_equal(now.cur, amount_currency(req->amounts[i])))
		what = "changed its currency";
	else if (now.summary)
		what = "gave it sub-accounts";
	else if (now.status != ACCOUNT_OPEN)
		what = "froze or closed it";
	if (what != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("account \"%s\" changed while hold %lld was being written",
						req->account_codes[i], (long long) hold_id),
				 errdetail("A concurrent transaction %s.", what),
				 errhint("Retry the transaction: it checks the hold against the account as it is now.")));
}

/*
 * ledger.hold(idempotency_key, accounts text[], amounts ledger.amount[],
 *             text[] or text, summary, ref, expires_at, metadata) → bigint
 */
PG_FUNCTION_INFO_V1(ledger_hold);
Datum
ledger_hold(PG_FUNCTION_ARGS)
{
	HoldRequest req;
	ArrayType  *acc_arr;
	ArrayType  *amt_arr;
	Datum	   *acc_vals;
	bool	   *acc_nulls;
	Datum	   *amt_vals;
	bool	   *amt_nulls;
	int			nacc,
				namt;
	int			i;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum		hargs[6];
	char		hnulls[6];
	Datum		largs[3];
	Datum	   *ids;
	int64		id;
	bool		isnull;
	int			rc;
	uint64		generation;
	MemoryContext outer = CurrentMemoryContext;

	if (PG_ARGISNULL(0))
		null_argument_error("idempotency_key",
							"Every hold needs an idempotency key, so that a repeated call returns the first hold instead of holding again.");
	memset(&req, 0, sizeof(req));
	post_check_key("hold", PG_GETARG_DATUM(0));
	post_check_indexed_text("idempotency key", "hold", PG_GETARG_DATUM(0));
	/* the ref goes to the voucher that posts the hold, whose ref is indexed */
	if (!PG_ARGISNULL(4))
		post_check_indexed_text("ref", "hold", PG_GETARG_DATUM(4));
	req.key = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (PG_ARGISNULL(1))
		null_argument_error("accounts", psprintf("ledger.hold() was called for the hold with key \"%s\" without its accounts.", req.key));
	if (PG_ARGISNULL(2))
		null_argument_error("amounts", psprintf("ledger.hold() was called for the hold with key \"%s\" without its amounts.", req.key));
	acc_arr = PG_GETARG_ARRAYTYPE_P(1);
	amt_arr = post_amounts_argument(fcinfo, 2, "hold", req.key);
	if (ARR_NDIM(acc_arr) > 1 || ARR_NDIM(amt_arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("accounts and amounts must be one-dimensional arrays"),
				 errdetail("The hold with key \"%s\" has accounts of %d dimensions and amounts of %d.",
						   req.key, ARR_NDIM(acc_arr), ARR_NDIM(amt_arr))));
	deconstruct_array(acc_arr, TEXTOID, -1, false, TYPALIGN_INT, &acc_vals, &acc_nulls, &nacc);
	get_typlenbyvalalign(ARR_ELEMTYPE(amt_arr), &typlen, &typbyval, &typalign);
	deconstruct_array(amt_arr, ARR_ELEMTYPE(amt_arr), typlen, typbyval, typalign,
					  &amt_vals, &amt_nulls, &namt);
	if (nacc != namt)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("accounts and amounts must have the same length"),
				 errdetail("The hold with key \"%s\" has %d accounts and %d amounts.",
						   req.key, nacc, namt)));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();
	MemoryContextSwitchTo(outer);

	req.n = nacc;
	req.account_ids = palloc(sizeof(int64) * Max(nacc, 1));
	req.account_codes = palloc(sizeof(char *) * Max(nacc, 1));
	req.amounts = palloc(sizeof(LedgerAmount *) * Max(nacc, 1));
	for (i = 0; i < nacc; i++)
	{
		const AccountInfo *acc;

		if (acc_nulls[i] || amt_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain nulls", acc_nulls[i] ? "accounts" : "amounts"),
					 errdetail("Line %d of the hold with key \"%s\" has no %s.",
							   i + 1, req.key, acc_nulls[i] ? "account" : "amount")));
		req.account_codes[i] = TextDatumGetCString(acc_vals[i]);
		req.amounts[i] = DatumGetLedgerAmountP(amt_vals[i]);
		acc = account_by_code(req.account_codes[i]);
		if (acc == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("account \"%s\" does not exist", req.account_codes[i]),
					 errdetail("Line %d of the hold with key \"%s\" holds money on it.",
							   i + 1, req.key)));
		req.account_ids[i] = acc->id;
	}
	req.amounts_array = PointerGetDatum(amt_arr);
	req.summary = opt_text(fcinfo, 3);
	req.ref = opt_text(fcinfo, 4);
	req.has_expiry = PG_NARGS() > 5 && !PG_ARGISNULL(5);
	if (req.has_expiry)
		req.expires_at = PG_GETARG_TIMESTAMPTZ(5);
	req.metadata = (PG_NARGS() > 6 && !PG_ARGISNULL(6)) ? PG_GETARG_DATUM(6) : (Datum) 0;
	generation = ledger_accounts_generation();
	for (i = 0; i < req.n; i++)
	{
		const AccountInfo *acc = account_by_id(req.account_ids[i]);

		if (acc == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("account \"%s\" changed while the hold with key \"%s\" was being written",
							req.account_codes[i], req.key),
					 errdetail("A concurrent transaction deleted it."),
					 errhint("Retry the transaction.")));
		if (hold_line_check(&req, i, acc))
		{
			/* the key is taken: a replay, whatever the accounts' state now */
			id = hold_replay(&req);
			SPI_finish();
			PG_RETURN_INT64(id);
		}
	}
	check_balanced(req.n, req.amounts, psprintf("hold with key \"%s\"", req.key));

	hargs[0] = CStringGetTextDatum(req.key);
	hnulls[0] = ' ';
	hargs[1] = DateADTGetDatum(hold_book_day());
	hnulls[1] = ' ';
	hargs[2] = req.summary ? CStringGetTextDatum(req.summary) : (Datum) 0;
	hnulls[2] = req.summary ? ' ' : 'n';
	hargs[3] = req.ref ? CStringGetTextDatum(req.ref) : (Datum) 0;
	hnulls[3] = req.ref ? ' ' : 'n';
	hargs[4] = req.metadata;
	hnulls[4] = req.metadata ? ' ' : 'n';
	hargs[5] = TimestampTzGetDatum(req.expires_at);
	hnulls[5] = req.has_expiry ? ' ' : 'n';
	rc = run(insert_hold_plan, hargs, hnulls, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING)
		rewritten_error("ledger.hold", rc, "hold", req.key, 1, "rows");
	if (SPI_processed == 0)
	{
		id = hold_replay(&req);
		SPI_finish();
		PG_RETURN_INT64(id);
	}
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (req.has_expiry && req.expires_at <= GetCurrentTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hold with key \"%s\" would expire before it is created", req.key),
				 errdetail("Its expires_at is %s; a hold past its expiry reserves nothing.",
						   timestamptz_to_str(req.expires_at))));

	ids = palloc(sizeof(Datum) * Max(req.n, 1));
	for (i = 0; i < req.n; i++)
		ids[i] = Int64GetDatum(req.account_ids[i]);
	largs[0] = Int64GetDatum(id);
	largs[1] = PointerGetDatum(construct_array(ids, req.n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	largs[2] = req.amounts_array;
	rc = run(insert_lines_plan, largs, NULL, false, 0);
	if (rc != SPI_OK_INSERT || SPI_processed != (uint64) req.n)
		rewritten_error("ledger.hold_line", rc, "hold", req.key, req.n, "lines");

	move_held(moves_of(req.n, req.account_ids, req.amounts, 1), req.n, id, true);

	/*
	 * The lines were checked against this session's picture of the
	 * accounts.  An operator's change of an account locks its balance rows,
	 * so one that committed before move_held() got them has its invalidation
	 * queued now: check the lines again against the accounts as they are.
	 * (One that comes later finds the hold's lines and is refused.)
	 */
	AcceptInvalidationMessages();
	if (ledger_accounts_generation() != generation)
		for (i = 0; i < req.n; i++)
			recheck_line(&req, i, id);
	SPI_finish();
	PG_RETURN_INT64(id);
}

/* ---------- settling a hold ---------- */

typedef struct LockedHold
{
	int64		id;
	char	   *status;
	char	   *key;
	bool		has_expiry;
	TimestampTz expires_at;
	bool		expired;
	char	   *summary;
	char	   *ref;
	Datum		metadata;		/* or 0 */
	int64		voucher_id;		/* 0 if none */
	char	   *settled_at;
	char	   *created_by;
	/* lines */
	int			n;
	int32	   *line_nos;
	int64	   *account_ids;
	char	  **account_codes;
	LedgerAmount **amounts;
} LockedHold;

/*
 * Locks the hold row (waiting for a session settling it) and reads it; 23503
 * if there is none.  Allocates in the caller's context.
 */
static void
lock_hold(int64 hold_id, const char *caller, LockedHold *h, MemoryContext outer)
{
	Datum		arg[1];
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;
	MemoryContext old;

	arg[0] = Int64GetDatum(hold_id);
	run(lock_hold_plan, arg, NULL, false, 0);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("hold %lld does not exist", (long long) hold_id),
				 errdetail("%s was called for hold %lld; no hold has that id.", caller, (long long) hold_id)));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	old = MemoryContextSwitchTo(outer);
	memset(h, 0, sizeof(*h));
	h->id = hold_id;
	h->status = SPI_getvalue(tup, desc, 1);
	d = SPI_getbinval(tup, desc, 2, &isnull);
	h->has_expiry = !isnull;
	h->expires_at = isnull ? 0 : DatumGetTimestampTz(d);
	d = SPI_getbinval(tup, desc, 3, &isnull);
	h->expired = !isnull && DatumGetBool(d);
	h->summary = SPI_getvalue(tup, desc, 4);
	h->ref = SPI_getvalue(tup, desc, 5);
	d = SPI_getbinval(tup, desc, 6, &isnull);
	h->metadata = isnull ? (Datum) 0 : datumCopy(d, false, -1);
	d = SPI_getbinval(tup, desc, 7, &isnull);
	h->voucher_id = isnull ? 0 : DatumGetInt64(d);
	h->settled_at = SPI_getvalue(tup, desc, 8);
	h->key = SPI_getvalue(tup, desc, 9);
	h->created_by = SPI_getvalue(tup, desc, 10);
	MemoryContextSwitchTo(old);
}

/*
 * Marks the hold posted with a new voucher id if it is pending and not past
 * its expiry, locking it as lock_hold() does, and reads it; returns the
 * voucher id, or 0 (nothing changed) for lock_hold() to tell what it is.
 */
static int64
settle_pending_posted(int64 hold_id, DateADT day, LockedHold *h, MemoryContext outer)
{
	Datum		args[2];
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;
	int64		voucher_id;
	MemoryContext old;

	args[0] = Int64GetDatum(hold_id);
	args[1] = DateADTGetDatum(day);
	if (run(post_pending_plan, args, NULL, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "could not settle hold %lld", (long long) hold_id);
	if (SPI_processed == 0)
		return 0;
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	old = MemoryContextSwitchTo(outer);
	memset(h, 0, sizeof(*h));
	h->id = hold_id;
	h->status = pstrdup("pending");	/* as it was read */
	voucher_id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
	d = SPI_getbinval(tup, desc, 2, &isnull);
	h->has_expiry = !isnull;
	h->expires_at = isnull ? 0 : DatumGetTimestampTz(d);
	h->summary = SPI_getvalue(tup, desc, 3);
	h->ref = SPI_getvalue(tup, desc, 4);
	d = SPI_getbinval(tup, desc, 5, &isnull);
	h->metadata = isnull ? (Datum) 0 : datumCopy(d, false, -1);
	h->key = SPI_getvalue(tup, desc, 6);
	h->created_by = SPI_getvalue(tup, desc, 7);
	MemoryContextSwitchTo(old);
	return voucher_id;
}

static void
read_lines(LockedHold *h, MemoryContext outer)
{
	Datum		arg[1];
	TupleDesc	desc;
	bool		isnull;
	int			i;
	MemoryContext old;

	arg[0] = Int64GetDatum(h->id);
	run(hold_lines_plan, arg, NULL, false, 0);
	desc = SPI_tuptable->tupdesc;
	old = MemoryContextSwitchTo(outer);
	h->n = (int) SPI_processed;
	h->line_nos = palloc(sizeof(int32) * Max(h->n, 1));
	h->account_ids = palloc(sizeof(int64) * Max(h->n, 1));
	h->account_codes = palloc(sizeof(char *) * Max(h->n, 1));
	h->amounts = palloc(sizeof(LedgerAmount *) * Max(h->n, 1));
	for (i = 0; i < h->n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		LedgerAmount *a;

		h->line_nos[i] = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
		h->account_ids[i] = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
		a = DatumGetLedgerAmountP(SPI_getbinval(tup, desc, 3, &isnull));
		h->amounts[i] = amount_make(a->units, amount_currency(a));
		h->account_codes[i] = account_code_of(h->account_ids[i]);
	}
	MemoryContextSwitchTo(old);
}

/* What releasing the hold takes off its accounts' held totals. */
static PostingRelease *
releases_of(const LockedHold *h)
{
	PostingRelease *r = palloc0(sizeof(PostingRelease) * Max(h->n, 1));
	int			i;

	for (i = 0; i < h->n; i++)
	{
		int64		u = h->amounts[i]->units;

		r[i].account_id = h->account_ids[i];
		if (u > 0)
			r[i].debit = u;
		else
		{
			if (u == PG_INT64_MIN)
				amount_out_of_range_error();
			r[i].credit = -u;
		}
	}
	return r;
}

/*
 * 55000 for a hold that is not pending, or past its expiry.  Its key, expiry
 * and settlement are told only to a caller that may read it
 * (caller_may_read_hold); others learn its state.
 */
static void
not_pending_error(const LockedHold *h, const char *doing)
pg_attribute_noreturn();

static void
not_pending_error(const LockedHold *h, const char *doing)
{
	if (!caller_may_read_hold(h->created_by))
	{
		const char *state = strcmp(h->status, "pending") == 0 ? "expired" : h->status;

		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot %s hold %lld: it %s %s", doing, (long long) h->id,
						strcmp(h->status, "pending") == 0 ? "has" : "is", state),
				 errdetail("Only a pending hold can be settled, and a hold is settled once.")));
	}
	if (strcmp(h->status, "pending") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot %s hold %lld: it has expired", doing, (long long) h->id),
				 errdetail("Hold %lld (key \"%s\") expired at %s; a hold past its expiry reserves nothing and cannot be settled.",
						   (long long) h->id, h->key, timestamptz_to_str(h->expires_at)),
				 errhint("ledger.expire_holds() marks it expired; hold the money again with a new key if it is still needed.")));
	if (h->voucher_id != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot %s hold %lld: it is %s", doing, (long long) h->id, h->status),
				 errdetail("Hold %lld (key \"%s\") was posted by voucher %lld at %s; a hold is settled once.",
						   (long long) h->id, h->key, (long long) h->voucher_id, h->settled_at)));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot %s hold %lld: it is %s", doing, (long long) h->id, h->status),
			 errdetail("Hold %lld (key \"%s\") was %s at %s; a hold is settled once.",
					   (long long) h->id, h->key, h->status, h->settled_at)));
}

static void
settle(const LockedHold *h, const char *status, DateADT day, int64 voucher_id, const char *reason)
{
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', 'n', 'n'};

	args[0] = Int64GetDatum(h->id);
	args[1] = CStringGetTextDatum(status);
	args[2] = DateADTGetDatum(day);
	args[3] = Int64GetDatum(voucher_id);
	if (voucher_id != 0)
		nulls[3] = ' ';
	args[4] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
	if (reason)
		nulls[4] = ' ';
	if (run(settle_plan, args, nulls, false, 0) != SPI_OK_UPDATE || SPI_processed != 1)
		elog(ERROR, "could not settle hold %lld", (long long) h->id);
}

/*
 * The hold ledger.post_hold() is posting while its entries go in, and the
 * voucher that posts it.  The entries' trigger locks the balance rows and
 * checks the bounds; if a bound refuses them, the hold may have expired
 * while this session waited for a row: a poster that took the row first,
 * in a transaction begun past the expiry, counted the hold as reserving
 * nothing and spent the money.  Then the hold is what is refused (55000, as
 * for any post_hold() past the expiry), not the posting of its money.
 */
static LockedHold posting_hold;
static int64 posting_hold_voucher = 0;

void
hold_posting_refused(int64 voucher_id)
{
	LockedHold	h;

	if (posting_hold_voucher == 0 || voucher_id != posting_hold_voucher)
		return;
	h = posting_hold;
	posting_hold_voucher = 0;
	if (h.has_expiry && h.expires_at <= GetCurrentTimestamp())
	{
		h.expired = true;
		not_pending_error(&h, "post");
	}
}

/*
 * The voucher key is taken: the voucher's id if it posts this hold (a
 * replay), 23505 otherwise.
 */
static int64
voucher_key_taken(const char *key, int64 hold_id)
{
	Datum		arg[1];
	bool		isnull;
	int64		existing;
	Datum		d;

	arg[0] = CStringGetTextDatum(key);
	run(voucher_by_key_plan, arg, NULL, false, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access to idempotency key \"%s\"", key),
				 errdetail("Another transaction posted a voucher with this key after this transaction's snapshot was taken."),
				 errhint("Retry the transaction.")));
	existing = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (!isnull && DatumGetInt64(d) == hold_id)
		return existing;
	ereport(ERROR,
			(errcode(ERRCODE_UNIQUE_VIOLATION),
			 errmsg("idempotency key \"%s\" was already used for a different voucher", key),
			 errdetail("Voucher %lld was posted with this key; it does not post hold %lld.",
					   (long long) existing, (long long) hold_id),
			 errhint("Use a new key for a new voucher; repeat a call only with exactly the same content.")));
	return 0;
}

/*
 * The errors of post_hold's amounts.  The DETAIL quotes the held lines only
 * to a caller that may read the hold (caller_may_read_hold); others learn
 * which of their amounts is wrong, not what the hold holds or where.
 */
static void
amounts_count_error(const LockedHold *h, int given)
pg_attribute_noreturn();

static void
amounts_count_error(const LockedHold *h, int given)
{
	if (caller_may_read_hold(h->created_by))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amounts must have one amount per line of hold %lld", (long long) h->id),
				 errdetail("Hold %lld has %d lines; %d amounts were given.", (long long) h->id, h->n, given)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("amounts must have one amount per line of hold %lld", (long long) h->id),
			 errdetail("%d amount%s given; the amounts are the hold's lines one for one, in line order.",
					   given, given == 1 ? " was" : "s were")));
}

/* Amount i of post_hold: the held line's currency and sign, at most its magnitude. */
static void
check_posted_amount(const LockedHold *h, int i, const LedgerAmount *a)
{
	const LedgerAmount *held = h->amounts[i];
	bool		may_read;

	if (!amount_same_currency(a, held))
	{
		may_read = caller_may_read_hold(h->created_by);
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("currency %s does not match line %d of hold %lld",
						currency_to_cstring(amount_currency(a)), h->line_nos[i], (long long) h->id),
				 may_read ?
				 errdetail("Line %d holds %s on account \"%s\"; %s was given.",
						   h->line_nos[i], amount_to_cstring(held->units, amount_currency(held)),
						   h->account_codes[i], amount_to_cstring(a->units, amount_currency(a))) :
				 errdetail("The amount given for line %d, %s, is not in the currency the line holds.",
						   h->line_nos[i], amount_to_cstring(a->units, amount_currency(a)))));
	}
	if (held->units > 0 ? (a->units >= 0 && a->units <= held->units)
		: (a->units <= 0 && a->units >= held->units))
		return;
	may_read = caller_may_read_hold(h->created_by);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("amount %s exceeds line %d of hold %lld",
					amount_to_cstring(a->units, amount_currency(a)), h->line_nos[i], (long long) h->id),
			 may_read ?
			 errdetail("Line %d holds %s on account \"%s\"; a hold posts at most the amount held, with its sign.",
					   h->line_nos[i], amount_to_cstring(held->units, amount_currency(held)),
					   h->account_codes[i]) :
			 errdetail("The amount given for line %d is more than the line holds, or of the other sign; a hold posts at most the amount held, with its sign.",
					   h->line_nos[i])));
}

/*
 * ledger.post_hold(hold_id, idempotency_key, amounts ledger.amount[],
 *                  summary) → bigint
 *
 * Also the C function of the forms with amounts text[] and text (one array
 * literal), as for ledger.post: what JDBC's createArrayOf("text", ...) and
 * psycopg2's lists send, and what an untyped '{...}' resolves to.
 */
PG_FUNCTION_INFO_V1(ledger_post_hold);
Datum
ledger_post_hold(PG_FUNCTION_ARGS)
{
	int64		hold_id;
	char	   *key;
	char	   *summary;
	LockedHold	h;
	LedgerAmount **post;
	Datum		arg[1];
	DateADT		day;
	int64		voucher_id;
	int			i,
				n;
	Datum		vargs[6];
	char		vnulls[6];
	Datum		eargs[4];
	Datum	   *lines;
	Datum	   *accs;
	Datum	   *amts;
	int			rc;
	bool		fast;
	MemoryContext outer = CurrentMemoryContext;

	if (PG_ARGISNULL(0))
		null_argument_error("hold_id", "ledger.post_hold() needs the hold to post.");
	hold_id = PG_GETARG_INT64(0);
	if (PG_ARGISNULL(1))
		null_argument_error("idempotency_key",
							psprintf("The voucher posting hold %lld needs an idempotency key, so that a repeated call returns the first voucher instead of posting again.",
									 (long long) hold_id));
	post_check_key("voucher posting a hold", PG_GETARG_DATUM(1));
	key = text_to_cstring(PG_GETARG_TEXT_PP(1));
	summary = opt_text(fcinfo, 3);

	day = hold_book_day();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();

	/*
	 * The usual case, a pending hold posted in full: lock it and mark it
	 * posted in one statement (its full amounts balance, as it did when it
	 * was made, so nothing can refuse them before the entries do).  Partial
	 * amounts are checked first, so that a refused call uses up no voucher
	 * number.
	 */
	voucher_id = 0;
	if (PG_NARGS() <= 2 || PG_ARGISNULL(2))
		voucher_id = settle_pending_posted(hold_id, day, &h, outer);
	if (voucher_id == 0)
		lock_hold(hold_id, "ledger.post_hold()", &h, outer);
	if (voucher_id == 0 && strcmp(h.status, "posted") == 0)
	{
		/* a session with the same key posted it while this one waited */
		arg[0] = Int64GetDatum(h.voucher_id);
		run(voucher_key_plan, arg, NULL, false, 1);
		if (SPI_processed == 1 && strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), key) == 0)
		{
			SPI_finish();
			PG_RETURN_INT64(h.voucher_id);
		}
	}
	if (strcmp(h.status, "pending") != 0 || h.expired)
		not_pending_error(&h, "post");
	fast = voucher_id != 0;
	if (!fast)
		read_lines(&h, outer);

	/* what to post: the held amounts, or at most them with their signs */
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		ArrayType  *arr = post_amounts_argument(fcinfo, 2, "voucher", key);
		Datum	   *vals;
		bool	   *nulls;
		int			nvals;

		/* before deconstructing: a text[] of more dimensions is returned as it came */
		if (ARR_NDIM(arr) > 1)
			amounts_count_error(&h, ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)));
		deconstruct_array(arr, ARR_ELEMTYPE(arr), sizeof(LedgerAmount), false, TYPALIGN_DOUBLE,
						  &vals, &nulls, &nvals);
		if (nvals != h.n)
			amounts_count_error(&h, nvals);
		post = palloc(sizeof(LedgerAmount *) * Max(h.n, 1));
		for (i = 0; i < h.n; i++)
		{
			LedgerAmount *a;

			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("amounts must not contain nulls"),
						 errdetail("Line %d of hold %lld has no amount to post; give 0 to post nothing of it.",
								   h.line_nos[i], (long long) hold_id)));
			a = DatumGetLedgerAmountP(vals[i]);
			check_posted_amount(&h, i, a);
			post[i] = a;
		}
	}
	else
		post = h.amounts;
	if (!fast)
		check_balanced(h.n, post, psprintf("voucher posting hold %lld", (long long) hold_id));

	if (voucher_id == 0)
	{
		voucher_id = nextval_internal(voucher_seq, false);
		settle(&h, "posted", day, voucher_id, NULL);
	}

	vargs[0] = Int64GetDatum(voucher_id);
	vargs[1] = CStringGetTextDatum(key);
	vargs[2] = h.ref ? CStringGetTextDatum(h.ref) : (Datum) 0;
	vargs[3] = summary ? CStringGetTextDatum(summary) : h.summary ? CStringGetTextDatum(h.summary) : (Datum) 0;
	vargs[4] = h.metadata;
	vargs[5] = Int64GetDatum(hold_id);
	vnulls[0] = ' ';
	vnulls[1] = ' ';
	vnulls[2] = h.ref ? ' ' : 'n';
	vnulls[3] = (summary || h.summary) ? ' ' : 'n';
	vnulls[4] = h.metadata ? ' ' : 'n';
	vnulls[5] = ' ';
	rc = run(insert_voucher_plan, vargs, vnulls, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING)
		rewritten_error("ledger.voucher", rc, "voucher", key, 1, "rows");
	if (SPI_processed == 0)
		(void) voucher_key_taken(key, hold_id);		/* raises: the hold was pending */

	/*
	 * Release everything held and post: the entries' trigger takes the held
	 * amounts off each balance row in the update that books the movement
	 * (posting_expect_release), so the bound check sees the posting alone.
	 */
	if (fast)
	{
		/* in full: the hold's lines are the entries, and each releases what it posts */
		eargs[0] = Int64GetDatum(voucher_id);
		eargs[1] = Int64GetDatum(hold_id);
		posting_expect_release_posted(voucher_id);
		posting_hold = h;
		posting_hold_voucher = voucher_id;
		rc = run(insert_posted_plan, eargs, NULL, false, 0);
		posting_hold_voucher = 0;
		if (rc != SPI_OK_INSERT || SPI_processed < 2)
		{
			(void) posting_forget_release();
			rewritten_error("ledger.entry", rc, "voucher", key, 2, "entries");
		}
	}
	else
	{
		lines = palloc(sizeof(Datum) * Max(h.n, 1));
		accs = palloc(sizeof(Datum) * Max(h.n, 1));
		amts = palloc(sizeof(Datum) * Max(h.n, 1));
		for (i = 0, n = 0; i < h.n; i++)
		{
			if (post[i]->units == 0)
				continue;
			lines[n] = Int32GetDatum(h.line_nos[i]);
			accs[n] = Int64GetDatum(h.account_ids[i]);
			amts[n] = PointerGetDatum(post[i]);
			n++;
		}
		eargs[0] = Int64GetDatum(voucher_id);
		eargs[1] = PointerGetDatum(construct_array(lines, n, INT4OID, 4, true, TYPALIGN_INT));
		eargs[2] = PointerGetDatum(construct_array(accs, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		eargs[3] = PointerGetDatum(construct_array(amts, n, amount_type, sizeof(LedgerAmount), false, TYPALIGN_DOUBLE));
		posting_expect_release(voucher_id, h.n, releases_of(&h));
		posting_hold = h;
		posting_hold_voucher = voucher_id;
		rc = run(insert_entries_plan, eargs, NULL, false, 0);
		posting_hold_voucher = 0;
		if (rc != SPI_OK_INSERT || SPI_processed != (uint64) n)
		{
			(void) posting_forget_release();
			rewritten_error("ledger.entry", rc, "voucher", key, n, "entries");
		}
	}
	/* with the ledger's triggers off (session_replication_role), release here */
	if (posting_forget_release())
	{
		if (fast)
			read_lines(&h, outer);
		move_held(moves_of(h.n, h.account_ids, h.amounts, -1), h.n, hold_id, false);
	}

	/*
	 * Whether the hold has expired is decided again now that its balance rows
	 * are locked: a poster that took them first may have found the hold
	 * expired (it reserves nothing then) and spent the money; every such
	 * poster decided at a time before this one, so this session finds the
	 * hold expired too, instead of posting money that is no longer there.
	 * (When that money is missing, the bound check of the entries refused
	 * them first and asked hold_posting_refused(), which decided the same.)
	 */
	if (h.has_expiry && h.expires_at <= GetCurrentTimestamp())
	{
		h.expired = true;
		not_pending_error(&h, "post");
	}
	SPI_finish();
	PG_RETURN_INT64(voucher_id);
}

/* ledger.void_hold(hold_id, reason) → void */
PG_FUNCTION_INFO_V1(ledger_void_hold);
Datum
ledger_void_hold(PG_FUNCTION_ARGS)
{
	int64		hold_id;
	char	   *reason;
	LockedHold	h;
	DateADT		day;
	MemoryContext outer = CurrentMemoryContext;

	if (PG_ARGISNULL(0))
		null_argument_error("hold_id", "ledger.void_hold() needs the hold to void.");
	hold_id = PG_GETARG_INT64(0);
	reason = opt_text(fcinfo, 1);
	day = hold_book_day();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();
	lock_hold(hold_id, "ledger.void_hold()", &h, outer);
	if (strcmp(h.status, "pending") != 0 || h.expired)
		not_pending_error(&h, "void");
	read_lines(&h, outer);
	move_held(moves_of(h.n, h.account_ids, h.amounts, -1), h.n, hold_id, false);
	settle(&h, "voided", day, 0, reason);
	SPI_finish();
	PG_RETURN_VOID();
}

/* ledger.expire_holds() → integer */
PG_FUNCTION_INFO_V1(ledger_expire_holds);
Datum
ledger_expire_holds(PG_FUNCTION_ARGS)
{
	DateADT		day = hold_book_day();
	Datum		arg[1];
	Datum	   *ids;
	int			nids,
				i;
	bool		isnull;
	TupleDesc	desc;
	HeldMove   *moves;
	int			n;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();
	arg[0] = DateADTGetDatum(day);
	run(expire_plan, arg, NULL, false, 0);
	nids = (int) SPI_processed;
	if (nids == 0)
	{
		SPI_finish();
		PG_RETURN_INT32(0);
	}
	ids = palloc(sizeof(Datum) * nids);
	for (i = 0; i < nids; i++)
		ids[i] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
	arg[0] = PointerGetDatum(construct_array(ids, nids, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	run(expired_lines_plan, arg, NULL, false, 0);
	n = (int) SPI_processed;
	desc = SPI_tuptable->tupdesc;
	moves = palloc0(sizeof(HeldMove) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		LedgerAmount *a = DatumGetLedgerAmountP(SPI_getbinval(tup, desc, 3, &isnull));

		moves[i].account_id = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
		if (a->units > 0)
			moves[i].debit = -a->units;
		else
			moves[i].credit = a->units;
	}
	/* messages name the first of the holds */
	move_held(moves, n, ids[0], false);
	SPI_finish();
	PG_RETURN_INT32(nids);
}

/* ---------- the guard ---------- */

PG_FUNCTION_INFO_V1(ledger_hold_guard);
Datum
ledger_hold_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td;
	const char *relname;
	const char *what;
	bool		lines;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger_hold_guard\" was not called by trigger manager"),
				 errdetail("It is a trigger function of the ledger, attached by CREATE EXTENSION ledger; it cannot be called directly.")));
	td = (TriggerData *) fcinfo->context;
	if (!TRIGGER_FIRED_BEFORE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger_hold_guard\" must be fired BEFORE"),
				 errdetail("Trigger \"%s\" on relation \"%s\" fires it after the change it should stop.",
						   td->tg_trigger->tgname, RelationGetRelationName(td->tg_relation))));
	relname = RelationGetRelationName(td->tg_relation);
	lines = strcmp(relname, "hold_line") == 0;
	what = TRIGGER_FIRED_BY_INSERT(td->tg_event) ? "insert into" :
		TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? "update" :
		TRIGGER_FIRED_BY_DELETE(td->tg_event) ? "delete from" : "truncate";

	if (hold_writing &&
		(TRIGGER_FIRED_BY_INSERT(td->tg_event) ||
		 (!lines && TRIGGER_FIRED_BY_UPDATE(td->tg_event))))
		return PointerGetDatum(NULL);
	if (lines && !TRIGGER_FIRED_BY_INSERT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot %s ledger.hold_line", what),
				 errdetail("The lines of a hold are immutable.")));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot %s ledger.%s", what, relname),
			 errdetail("Holds are written only by ledger.hold(), ledger.post_hold(), ledger.void_hold() and ledger.expire_holds(), which keep the held amounts of the balances in step."),
			 errhint("Void or post a hold to settle it.")));
	return PointerGetDatum(NULL);
}
