/*
 * post.c — ledger.post, ledger.reverse and ledger.balance.
 *
 * ledger.post writes a voucher and its entries with two prepared statements;
 * the triggers of posting.c then check and book them exactly as they check
 * any other INSERT or COPY.  Idempotency rests on the unique index on
 * voucher.idempotency_key: INSERT ... ON CONFLICT DO NOTHING waits for a
 * racing session with the same key and, if that one committed, the existing
 * voucher is compared with the request.  The insert skips a key already
 * there before drawing an id, so a plain retry uses up no voucher number.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "post.h"
#include "posting.h"
#include "wide.h"

static SPIPlanPtr insert_voucher_plan = NULL;
static SPIPlanPtr insert_reversal_plan = NULL;
static SPIPlanPtr insert_entries_plan = NULL;
static SPIPlanPtr find_voucher_plan = NULL;
static SPIPlanPtr voucher_entries_plan = NULL;
static SPIPlanPtr find_reversal_plan = NULL;

static Oid	amount_type = InvalidOid;
static Oid	amount_array_type = InvalidOid;
static uint64 plans_generation = 0;
static bool plans_red = false;	/* the plans write and read entry.red (1.1) */

static void
resolve_types(void)
{
	const LedgerCatalog *cat = ledger_catalog();

	/* re-resolve every time the catalog was reloaded is cheap enough */
	amount_type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
								  CStringGetDatum("amount"), ObjectIdGetDatum(cat->nsp));
	if (!OidIsValid(amount_type))
		elog(ERROR, "type ledger.amount does not exist");
	amount_array_type = get_array_type(amount_type);
}

static void
free_plan(SPIPlanPtr *plan)
{
	if (*plan != NULL)
		SPI_freeplan(*plan);
	*plan = NULL;
}

static void
free_plans(void)
{
	free_plan(&insert_voucher_plan);
	free_plan(&insert_reversal_plan);
	free_plan(&find_reversal_plan);
	free_plan(&insert_entries_plan);
	free_plan(&find_voucher_plan);
	free_plan(&voucher_entries_plan);
}

static void
prepare_plans(void)
{
	uint64		generation = ledger_catalog_generation();
	bool		have_red = ledger_catalog()->e_red != InvalidAttrNumber;

	if (insert_voucher_plan != NULL && plans_generation == generation && plans_red == have_red)
		return;
	free_plans();
	plans_generation = generation;
	plans_red = have_red;
	resolve_types();
	{
		Oid			t[5] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID, INT8OID};

		insert_voucher_plan = ledger_prepare_kept(
			"INSERT INTO ledger.voucher (idempotency_key, ref, summary, metadata, reverses)"
			" SELECT $1, $2, $3, $4, $5"
			"  WHERE NOT EXISTS (SELECT FROM ledger.voucher v"
			"                     WHERE v.idempotency_key OPERATOR(pg_catalog.=) $1)"
			" ON CONFLICT (idempotency_key) DO NOTHING RETURNING id", 5, t);

		/*
		 * A reversal also yields to a concurrent reversal of the same
		 * voucher (the unique index on reverses): it waits for it and, if
		 * that one commits, inserts nothing instead of failing with 23505.
		 */
		insert_reversal_plan = ledger_prepare_kept(
			"INSERT INTO ledger.voucher (idempotency_key, ref, summary, metadata, reverses)"
			" SELECT $1, $2, $3, $4, $5"
			"  WHERE NOT EXISTS (SELECT FROM ledger.voucher v"
			"                     WHERE v.idempotency_key OPERATOR(pg_catalog.=) $1)"
			" ON CONFLICT DO NOTHING RETURNING id", 5, t);
	}
	{
		Oid			t[4] = {INT8OID, INT8ARRAYOID, amount_array_type, BOOLOID};

		/* $4: the entries are red-letter (红字) entries */
		if (have_red)
			insert_entries_plan = ledger_prepare_kept(
				"INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount, red)"
				" SELECT $1, u.n::pg_catalog.int4, u.a, u.m, $4"
				"   FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) WITH ORDINALITY AS u(a, m, n)", 4, t);
		else
			insert_entries_plan = ledger_prepare_kept(
				"INSERT INTO ledger.entry (voucher_id, line_no, account_id, amount)"
				" SELECT $1, u.n::pg_catalog.int4, u.a, u.m"
				"   FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)) WITH ORDINALITY AS u(a, m, n)"
				"  WHERE $4 IS NOT NULL", 4, t);
	}
	{
		Oid			t[1] = {TEXTOID};

		find_voucher_plan = ledger_prepare_kept(
			"SELECT v.id, v.summary, v.ref, v.reverses, v.created_by,"
			"       (SELECT o.created_by FROM ledger.voucher o WHERE o.id OPERATOR(pg_catalog.=) v.reverses)"
			"  FROM ledger.voucher v"
			" WHERE v.idempotency_key OPERATOR(pg_catalog.=) $1", 1, t);
	}
	{
		Oid			t[1] = {INT8OID};

		if (have_red)
			voucher_entries_plan = ledger_prepare_kept(
				"SELECT e.account_id, e.amount, a.code, e.red FROM ledger.entry e"
				"   JOIN ledger.account a ON a.id OPERATOR(pg_catalog.=) e.account_id"
				" WHERE e.voucher_id OPERATOR(pg_catalog.=) $1 ORDER BY e.line_no", 1, t);
		else
			voucher_entries_plan = ledger_prepare_kept(
				"SELECT e.account_id, e.amount, a.code, false FROM ledger.entry e"
				"   JOIN ledger.account a ON a.id OPERATOR(pg_catalog.=) e.account_id"
				" WHERE e.voucher_id OPERATOR(pg_catalog.=) $1 ORDER BY e.line_no", 1, t);
	}
	{
		Oid			t[1] = {INT8OID};

		find_reversal_plan = ledger_prepare_kept(
			"SELECT id, idempotency_key FROM ledger.voucher"
			" WHERE reverses OPERATOR(pg_catalog.=) $1", 1, t);
	}
}

/* 55000: the voucher was reversed already, by voucher `reversal` with key `key` */
static void
already_reversed_error(int64 target, int64 reversal, const char *key)
pg_attribute_noreturn();

static void
already_reversed_error(int64 target, int64 reversal, const char *key)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("voucher %lld has already been reversed", (long long) target),
			 errdetail("Voucher %lld (key \"%s\") reverses it; a voucher can be reversed once.",
					   (long long) reversal, key)));
}

/* A request to post one voucher. */
typedef struct PostRequest
{
	char	   *key;
	int			n;
	int64	   *account_ids;
	const char **account_codes;
	LedgerAmount **amounts;
	Datum		amounts_array;	/* amount[] */
	char	   *summary;		/* NULL if none */
	char	   *ref;
	Datum		metadata;		/* jsonb, or 0 */
	int64		reverses;		/* 0 if none */
	bool		red;			/* red-letter entries (a red reversal) */
} PostRequest;

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
 * Whether the caller may read the content of an existing row in an error
 * message: it reads the relations (SELECT on both, checked for the role
 * outside the SECURITY DEFINER function), or its session user wrote the row
 * (and, when also_by, the other row too: a reversal repeats the lines of the
 * voucher it reverses).
 */
bool
post_caller_may_read(Oid rel1, Oid rel2, const char *created_by,
					 bool also_by, const char *also_created_by)
{
	Oid			caller = GetOuterUserId();
	const char *me;

	if (pg_class_aclcheck(rel1, caller, ACL_SELECT) == ACLCHECK_OK &&
		pg_class_aclcheck(rel2, caller, ACL_SELECT) == ACLCHECK_OK)
		return true;
	me = GetUserNameFromId(GetSessionUserId(), true);
	if (me == NULL || created_by == NULL || strcmp(me, created_by) != 0)
		return false;
	if (also_by && (also_created_by == NULL || strcmp(me, also_created_by) != 0))
		return false;
	return true;
}

/* post_caller_may_read for an existing voucher */
static bool
caller_may_read(const char *created_by, const char *reversed_created_by, bool is_reversal)
{
	const LedgerCatalog *cat = ledger_catalog();

	return post_caller_may_read(cat->voucher, cat->entry, created_by, is_reversal, reversed_created_by);
}

/*
 * The key is taken: return the existing voucher's id if it is the same
 * voucher, raise 23505 saying what differs otherwise.  The DETAIL quotes the
 * existing voucher only to a caller that may read it (caller_may_read);
 * others learn which parts differ, not what they hold.
 */
static int64
replay(const PostRequest *req)
{
	Datum		arg[1];
	int			rc;
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	int64		id;
	char	   *summary;
	char	   *ref;
	int64		reverses;
	Datum		d;
	char	   *difference = NULL;
	int			i;
	bool		may_read;
	bool		differs_summary;
	bool		differs_ref;
	bool		differs_reversal;
	bool		differs_lines = false;
	bool		differs_red = false;

	arg[0] = CStringGetTextDatum(req->key);
	rc = SPI_execute_plan(find_voucher_plan, arg, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "voucher lookup failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0 && req->reverses != 0)
	{
		/* not the key: a concurrent reversal of the same voucher committed */
		arg[0] = Int64GetDatum(req->reverses);
		rc = SPI_execute_plan(find_reversal_plan, arg, NULL, false, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "reversal lookup failed: %s", SPI_result_code_string(rc));
		if (SPI_processed == 1)
			already_reversed_error(req->reverses,
								   DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
															   SPI_tuptable->tupdesc, 1, &isnull)),
								   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	}
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access to idempotency key \"%s\"", req->key),
				 errdetail("Another transaction posted a voucher with this key after this transaction's snapshot was taken."),
				 errhint("Retry the transaction.")));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
	summary = SPI_getvalue(tup, desc, 2);
	ref = SPI_getvalue(tup, desc, 3);
	d = SPI_getbinval(tup, desc, 4, &isnull);
	reverses = isnull ? 0 : DatumGetInt64(d);
	may_read = caller_may_read(SPI_getvalue(tup, desc, 5), SPI_getvalue(tup, desc, 6), reverses != 0);
	differs_summary = !text_equal(summary, req->summary);
	differs_ref = !text_equal(ref, req->ref);
	differs_reversal = reverses != req->reverses;

	if (!text_equal(summary, req->summary))
		difference = psprintf("its summary is %s, this call's is %s",
							  quoted_or_null(summary), quoted_or_null(req->summary));
	else if (!text_equal(ref, req->ref))
		difference = psprintf("its ref is %s, this call's is %s",
							  quoted_or_null(ref), quoted_or_null(req->ref));
	else if (reverses != req->reverses)
		difference = reverses ?
			psprintf("it reverses voucher %lld", (long long) reverses) :
			pstrdup("it is not a reversal");

	if (difference == NULL || !may_read)
	{
		arg[0] = Int64GetDatum(id);
		rc = SPI_execute_plan(voucher_entries_plan, arg, NULL, false, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "entry lookup failed: %s", SPI_result_code_string(rc));
		desc = SPI_tuptable->tupdesc;
		differs_lines = (int) SPI_processed != req->n;
		for (i = 0; i < Min((int) SPI_processed, req->n); i++)
		{
			tup = SPI_tuptable->vals[i];
			if (DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull)) != req->account_ids[i] ||
				amount_cmp_internal(DatumGetLedgerAmountP(SPI_getbinval(tup, desc, 2, &isnull)),
									req->amounts[i]) != 0)
				differs_lines = true;
		}
		/*
		 * red-letter or opposite-side: one flag for the whole voucher, which
		 * is a form of the reversal of one voucher (a call that reverses
		 * another voucher, or none, differs in its reversal target already)
		 */
		for (i = 0; !differs_reversal && i < (int) SPI_processed; i++)
			if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], desc, 4, &isnull)) != req->red)
				differs_red = true;
		if (difference == NULL && differs_red)
			difference = req->red ?
				pstrdup("it is an opposite-side reversal, this call's is a red-letter (红字) one") :
				pstrdup("it is a red-letter (红字) reversal, this call's is an opposite-side one");
		for (i = 0; difference == NULL && i < Max((int) SPI_processed, req->n); i++)
		{
			int64		acc;
			LedgerAmount *amt;
			char	   *code;

			if (i >= (int) SPI_processed)
			{
				difference = psprintf("it has %d entries, this call has %d",
									  (int) SPI_processed, req->n);
				break;
			}
			if (i >= req->n)
			{
				difference = psprintf("it has %d entries, this call has %d",
									  (int) SPI_processed, req->n);
				break;
			}
			tup = SPI_tuptable->vals[i];
			acc = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
			amt = DatumGetLedgerAmountP(SPI_getbinval(tup, desc, 2, &isnull));
			code = SPI_getvalue(tup, desc, 3);
			if (acc != req->account_ids[i] ||
				amount_cmp_internal(amt, req->amounts[i]) != 0)
				difference = psprintf("its line %d posts %s to account \"%s\", this call's posts %s to account \"%s\"",
									  i + 1,
									  amount_to_cstring(amt->units, amount_currency(amt)), code,
									  amount_to_cstring(req->amounts[i]->units,
														amount_currency(req->amounts[i])),
									  req->account_codes[i]);
		}
	}
	if (difference != NULL && !may_read)
	{
		const char *parts[5];
		int			nparts = 0;

		if (differs_summary)
			parts[nparts++] = "summary";
		if (differs_ref)
			parts[nparts++] = "ref";
		if (differs_reversal)
			parts[nparts++] = "reversal target";
		if (differs_red)
			parts[nparts++] = "red-letter / opposite-side form";
		if (differs_lines)
			parts[nparts++] = "lines";
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("idempotency key \"%s\" was already used for a different voucher", req->key),
				 errdetail("Voucher %lld was posted with this key; its %s differ%s from this call's.",
						   (long long) id, post_list_parts(parts, nparts), nparts == 1 && !differs_lines ? "s" : ""),
				 errhint("Use a new key for a new voucher; repeat a call only with exactly the same content.")));
	}
	if (difference != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("idempotency key \"%s\" was already used for a different voucher", req->key),
				 errdetail("Voucher %lld was posted with this key; %s.", (long long) id, difference),
				 errhint("Use a new key for a new voucher; repeat a call only with exactly the same content.")));
	return id;
}

char *
post_list_parts(const char *const *parts, int nparts)
{
	StringInfoData list;
	int			i;

	initStringInfo(&list);
	for (i = 0; i < nparts; i++)
		appendStringInfo(&list, "%s%s", i == 0 ? "" : i == nparts - 1 ? " and " : ", ", parts[i]);
	return list.data;
}

/*
 * Runs a prepared statement; an error it raises reaches the caller without
 * the CONTEXT line naming the internal statement, which would only confuse.
 */
static int
execute_quietly(SPIPlanPtr plan, Datum *values, const char *nulls, long tcount)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile int rc = 0;

	PG_TRY();
	{
		rc = SPI_execute_plan(plan, values, nulls, false, tcount);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		edata->context = NULL;
		ReThrowError(edata);
	}
	PG_END_TRY();
	return rc;
}

/*
 * An INSERT that did not run as written: a rule on the table rewrote it (the
 * event trigger ledger_no_rules refuses new ones, but rules made while it was
 * disabled, or before it existed, remain).
 */
void
post_rewritten_error(const char *table, int rc, uint64 processed,
					 const char *what, const char *key, int n, const char *rows)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("the insert into %s was rewritten by a rule", table),
			 rc == SPI_OK_INSERT ?
			 errdetail("The %s with key \"%s\" has %d %s; a rule on %s let %llu of them be inserted.",
					   what, key, n, rows, table, (unsigned long long) processed) :
			 errdetail("The %s with key \"%s\" is written with a plain INSERT into %s; a rule on the table turned it into %s.",
					   what, key, table, SPI_result_code_string(rc)),
			 errhint("The ledger's tables take no rules: drop the rules on %s (see pg_rules).", table)));
}

static void
rewritten_error(const char *table, int rc, const PostRequest *req)
pg_attribute_noreturn();

static void
rewritten_error(const char *table, int rc, const PostRequest *req)
{
	uint64		processed = SPI_processed;

	/*
	 * A statement rewritten to nothing depends on no relation, so the plan
	 * cache would never notice the rule going away: prepare afresh next time.
	 */
	free_plans();
	post_rewritten_error(table, rc, processed, "voucher", req->key, req->n, "entries");
}

static int64
post_voucher(const PostRequest *req)
{
	Datum		vargs[5];
	char		vnulls[5];
	Datum		eargs[4];
	Datum	   *ids;
	int			rc;
	int64		id;
	bool		isnull;
	int			i;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();

	vargs[0] = CStringGetTextDatum(req->key);
	vnulls[0] = ' ';
	vargs[1] = req->ref ? CStringGetTextDatum(req->ref) : (Datum) 0;
	vnulls[1] = req->ref ? ' ' : 'n';
	vargs[2] = req->summary ? CStringGetTextDatum(req->summary) : (Datum) 0;
	vnulls[2] = req->summary ? ' ' : 'n';
	vargs[3] = req->metadata;
	vnulls[3] = req->metadata ? ' ' : 'n';
	vargs[4] = Int64GetDatum(req->reverses);
	vnulls[4] = req->reverses ? ' ' : 'n';

	rc = execute_quietly(req->reverses ? insert_reversal_plan : insert_voucher_plan,
						 vargs, vnulls, 0);
	if (rc != SPI_OK_INSERT_RETURNING)
		rewritten_error("ledger.voucher", rc, req);
	if (SPI_processed == 0)
	{
		id = replay(req);
		SPI_finish();
		return id;
	}
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	ids = palloc(sizeof(Datum) * req->n);
	for (i = 0; i < req->n; i++)
		ids[i] = Int64GetDatum(req->account_ids[i]);
	eargs[0] = Int64GetDatum(id);
	eargs[1] = PointerGetDatum(construct_array(ids, req->n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	eargs[2] = req->amounts_array;
	eargs[3] = BoolGetDatum(req->red);
	if (req->red && !plans_red)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("red-letter reversals need version 1.1 of the ledger extension"),
				 errdetail("The reversal with key \"%s\" would write red entries; ledger.entry has no column red.", req->key),
				 errhint("Run ALTER EXTENSION ledger UPDATE.")));
	rc = execute_quietly(insert_entries_plan, eargs, NULL, 0);
	if (rc != SPI_OK_INSERT || SPI_processed != (uint64) req->n)
		rewritten_error("ledger.entry", rc, req);
	SPI_finish();
	return id;
}

/*
 * Checks that a request balances before anything is written, so that the
 * caller gets the error from ledger.post itself rather than at commit.
 */
static void
precheck_balance(const PostRequest *req)
{
	int			i,
				j;

	if (req->n < 2)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("voucher has fewer than two entries"),
				 errdetail("The voucher with key \"%s\" has %d entr%s; a voucher needs at least two.",
						   req->key, req->n, req->n == 1 ? "y" : "ies")));
	for (i = 0; i < req->n; i++)
	{
		la_currency cur = amount_currency(req->amounts[i]);
		INT128		sum = wide_zero();
		bool		seen = false;

		for (j = 0; j < i && !seen; j++)
			seen = currency_equal(cur, amount_currency(req->amounts[j]));
		if (seen)
			continue;
		for (j = i; j < req->n; j++)
			if (currency_equal(cur, amount_currency(req->amounts[j])))
				wide_add(&sum, req->amounts[j]->units);
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
					 errmsg("voucher is not balanced"),
					 errdetail("The voucher with key \"%s\": %s exceed %s by %s.", req->key,
							   wide_sign(sum) > 0 ? "debits" : "credits",
							   wide_sign(sum) > 0 ? "credits" : "debits", diff),
					 errhint("The amounts of a voucher must sum to zero in every currency (debits positive, credits negative).")));
		}
	}
}

static char *
opt_text(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

void
post_check_indexed_text(const char *what, const char *row, Datum value)
{
	Size		len = toast_raw_datum_size(value) - VARHDRSZ;
	char	   *s;
	int			shown;

	if (len <= LEDGER_INDEXED_TEXT_MAX)
		return;
	s = TextDatumGetCString(value);
	shown = pg_mbcliplen(s, (int) len, 32);
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("the %s of a %s is too long", what, row),
			 errdetail("The %s beginning \"%.*s\" has %zu bytes; a %s's %s has at most %d bytes, as it is kept in an index.",
					   what, shown, s, len, row, what, LEDGER_INDEXED_TEXT_MAX),
			 strcmp(what, "ref") == 0
			 ? errhint("Use the reference the channel's statements carry (an order number, a serial).")
			 : errhint("Use a shorter key (a hash of a long one, say).")));
}

/*
 * An idempotency key of nothing but white space (or empty) is refused like a
 * NULL one (22004): every call that forgot its key would share it, and a
 * second payment with the same lines would be answered with the first
 * voucher's id instead of being posted.  row names what the key is for
 * ("voucher", "reversal", "hold", "voucher posting a hold").
 */
void
post_check_key(const char *row, Datum value)
{
	text	   *t = DatumGetTextPP(value);
	const char *p = VARDATA_ANY(t);
	Size		len = VARSIZE_ANY_EXHDR(t);
	Size		i;

	for (i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r' && p[i] != '\f' && p[i] != '\v')
			return;
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("idempotency_key must not be %s", len == 0 ? "empty" : "blank"),
			 errdetail("The %s was given %s; an empty or blank key would be shared by every call that lacks a real one, and a second %s with the same content would return the first instead of being written.",
					   row, len == 0 ? "an empty key" :
					   psprintf("a key of %zu white-space character%s", (size_t) len, len == 1 ? "" : "s"),
					   row),
			 errhint("Use the caller's own reference for the operation (an order number, a request id).")));
}

/* 22004 for the NULL argument name, with a DETAIL formatted from fmt */
static void
null_argument_error(const char *name, const char *fmt,...)
pg_attribute_printf(2, 3) pg_attribute_noreturn();

static void
null_argument_error(const char *name, const char *fmt,...)
{
	StringInfoData detail;

	initStringInfo(&detail);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&detail, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&detail, needed);
	}
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s must not be null", name),
			 errdetail_internal("%s", detail.data)));
}

extern Datum ledger_amount_in(PG_FUNCTION_ARGS);

/*
 * The amounts argument of ledger.post as ledger.amount[], whichever form was
 * called: ledger.amount[]; text[] (what drivers send for a list of strings),
 * each element read as an amount; or text, one array literal (the form an
 * untyped '{...}' literal resolves to).
 */
static Oid
declared_argtype(FunctionCallInfo fcinfo, int argno)
{
	Oid			argtype = get_fn_expr_argtype(fcinfo->flinfo, argno);
	HeapTuple	tup;

	if (OidIsValid(argtype))
		return argtype;
	/* called without an expression (fmgr): the function's own signature */
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	argtype = ((Form_pg_proc) GETSTRUCT(tup))->proargtypes.values[argno];
	ReleaseSysCache(tup);
	return argtype;
}

/* One amount of a text[] argument; a malformed one names its line. */
static Datum
amount_of_text(Datum elem, int line, const char *what, const char *key)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile Datum result = (Datum) 0;

	PG_TRY();
	{
		result = DirectFunctionCall1(ledger_amount_in, CStringGetDatum(TextDatumGetCString(elem)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		edata->detail = psprintf("Line %d of the %s with key \"%s\"%s%s", line, what, key,
								 edata->detail ? ": " : ".", edata->detail ? edata->detail : "");
		ReThrowError(edata);
	}
	PG_END_TRY();
	return result;
}

ArrayType *
post_amounts_argument(FunctionCallInfo fcinfo, int argno, const char *what, const char *key)
{
	Oid			argtype = declared_argtype(fcinfo, argno);
	ArrayType  *in;
	Datum	   *vals;
	bool	   *nulls;
	int			n,
				i;
	int			dims[1];
	int			lbs[1] = {1};

	if (argtype == TEXTOID)
	{
		MemoryContext oldcxt = CurrentMemoryContext;
		char	   *literal = text_to_cstring(PG_GETARG_TEXT_PP(argno));
		volatile Datum result = (Datum) 0;

		resolve_types();
		PG_TRY();
		{
			result = OidInputFunctionCall(F_ARRAY_IN, literal, amount_type, -1);
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(oldcxt);
			edata = CopyErrorData();
			FlushErrorState();
			edata->detail = psprintf("The amounts of the %s with key \"%s\" are written as one array literal%s%s",
									 what, key, edata->detail ? ": " : ".", edata->detail ? edata->detail : "");
			ReThrowError(edata);
		}
		PG_END_TRY();
		return DatumGetArrayTypeP(result);
	}
	if (argtype != TEXTARRAYOID)
		return PG_GETARG_ARRAYTYPE_P(argno);

	in = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(in) > 1)
		return in;				/* reported as any other array of more dimensions */
	resolve_types();
	deconstruct_array(in, TEXTOID, -1, false, TYPALIGN_INT, &vals, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			vals[i] = amount_of_text(vals[i], i + 1, what, key);
	dims[0] = n;
	if (n == 0)
		return construct_empty_array(amount_type);
	return construct_md_array(vals, nulls, 1, dims, lbs, amount_type,
							  sizeof(LedgerAmount), false, TYPALIGN_DOUBLE);
}

/*
 * ledger.post(idempotency_key, accounts text[], amounts ledger.amount[],
 *             summary, ref, metadata) → bigint
 *
 * Also the C function of the forms with amounts text[] and text (1.1).
 */
PG_FUNCTION_INFO_V1(ledger_post);
Datum
ledger_post(PG_FUNCTION_ARGS)
{
	PostRequest req;
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

	if (PG_ARGISNULL(0))
		null_argument_error("idempotency_key",
							"Every voucher posted by ledger.post() needs an idempotency key, so that a repeated call returns the first voucher instead of posting again.");
	post_check_key("voucher", PG_GETARG_DATUM(0));
	if (PG_ARGISNULL(1))
		null_argument_error("accounts", "ledger.post() was called for the voucher with key \"%s\" without its accounts.",
							text_to_cstring(PG_GETARG_TEXT_PP(0)));
	if (PG_ARGISNULL(2))
		null_argument_error("amounts", "ledger.post() was called for the voucher with key \"%s\" without its amounts.",
							text_to_cstring(PG_GETARG_TEXT_PP(0)));

	memset(&req, 0, sizeof(req));
	req.key = text_to_cstring(PG_GETARG_TEXT_PP(0));
	acc_arr = PG_GETARG_ARRAYTYPE_P(1);
	amt_arr = post_amounts_argument(fcinfo, 2, "voucher", req.key);
	if (ARR_NDIM(acc_arr) > 1 || ARR_NDIM(amt_arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("accounts and amounts must be one-dimensional arrays"),
				 errdetail("The voucher with key \"%s\" has accounts of %d dimensions and amounts of %d.",
						   req.key, ARR_NDIM(acc_arr), ARR_NDIM(amt_arr))));

	deconstruct_array(acc_arr, TEXTOID, -1, false, TYPALIGN_INT, &acc_vals, &acc_nulls, &nacc);
	get_typlenbyvalalign(ARR_ELEMTYPE(amt_arr), &typlen, &typbyval, &typalign);
	deconstruct_array(amt_arr, ARR_ELEMTYPE(amt_arr), typlen, typbyval, typalign,
					  &amt_vals, &amt_nulls, &namt);
	if (nacc != namt)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("accounts and amounts must have the same length"),
				 errdetail("The voucher with key \"%s\" has %d accounts and %d amounts.",
						   req.key, nacc, namt)));

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
					 errdetail("Line %d of the voucher with key \"%s\" has no %s.",
							   i + 1, req.key, acc_nulls[i] ? "account" : "amount")));
		req.account_codes[i] = TextDatumGetCString(acc_vals[i]);
		req.amounts[i] = DatumGetLedgerAmountP(amt_vals[i]);
		acc = account_by_code(req.account_codes[i]);
		if (acc == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("account \"%s\" does not exist", req.account_codes[i]),
					 errdetail("Line %d of the voucher with key \"%s\" posts to it.",
							   i + 1, req.key)));
		req.account_ids[i] = acc->id;
	}
	req.amounts_array = PointerGetDatum(amt_arr);
	req.summary = opt_text(fcinfo, 3);
	req.ref = opt_text(fcinfo, 4);
	req.metadata = (PG_NARGS() > 5 && !PG_ARGISNULL(5)) ? PG_GETARG_DATUM(5) : (Datum) 0;

	precheck_balance(&req);
	PG_RETURN_INT64(post_voucher(&req));
}

/*
 * ledger.reverse(voucher_id, idempotency_key, summary [, red]) → bigint
 *
 * red (1.1, default true): each entry is written on its original side with
 * the negated amount and entry.red set (红字冲销); the amounts, and so the
 * balances, are those of an opposite-side (blue) reversal either way.
 * Version 1.0's three-argument SQL function writes blue reversals.
 */
PG_FUNCTION_INFO_V1(ledger_reverse);
Datum
ledger_reverse(PG_FUNCTION_ARGS)
{
	int64		target;
	PostRequest req;
	Datum		arg[1];
	int			rc;
	bool		isnull;
	HeapTuple	tup;
	TupleDesc	desc;
	Datum		d;
	char	   *orig_summary;
	int64		reversal = 0;
	char	   *reversal_key = NULL;
	Datum	   *amts;
	int			i;
	MemoryContext old;
	MemoryContext outer = CurrentMemoryContext;

	if (PG_ARGISNULL(0))
		null_argument_error("voucher_id", "ledger.reverse() was called without the voucher to reverse%s.",
							PG_ARGISNULL(1) ? "" :
							psprintf(" (the reversal's key is \"%s\")", text_to_cstring(PG_GETARG_TEXT_PP(1))));
	if (PG_ARGISNULL(1))
		null_argument_error("idempotency_key",
							"The reversal of voucher %lld needs an idempotency key, so that a repeated call returns the first reversal instead of posting again.",
							(long long) PG_GETARG_INT64(0));
	post_check_key("reversal", PG_GETARG_DATUM(1));
	target = PG_GETARG_INT64(0);
	memset(&req, 0, sizeof(req));
	req.key = text_to_cstring(PG_GETARG_TEXT_PP(1));
	req.reverses = target;
	if (PG_NARGS() > 3 && PG_ARGISNULL(3))
		null_argument_error("red",
							"The reversal of voucher %lld (key \"%s\") must be red (true, 红字冲销) or blue (false).",
							(long long) target, req.key);
	req.red = PG_NARGS() > 3 && PG_GETARG_BOOL(3);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();

	arg[0] = Int64GetDatum(target);
	rc = SPI_execute_with_args("SELECT v.reverses, v.summary, r.id, r.idempotency_key"
							   "  FROM ledger.voucher v"
							   "  LEFT JOIN ledger.voucher r ON r.reverses OPERATOR(pg_catalog.=) v.id"
							   " WHERE v.id OPERATOR(pg_catalog.=) $1",
							   1, (Oid[]) {INT8OID}, arg, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "voucher lookup failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("voucher %lld does not exist", (long long) target),
				 errdetail("The reversal with key \"%s\" names voucher %lld; no voucher has that id.",
						   req.key, (long long) target)));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	d = SPI_getbinval(tup, desc, 1, &isnull);
	if (!isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("voucher %lld is a reversal and cannot be reversed", (long long) target),
				 errdetail("Voucher %lld reverses voucher %lld.", (long long) target,
						   (long long) DatumGetInt64(d)),
				 errhint("Post a new voucher to correct it.")));
	orig_summary = SPI_getvalue(tup, desc, 2);
	if (orig_summary)
		orig_summary = MemoryContextStrdup(outer, orig_summary);
	d = SPI_getbinval(tup, desc, 3, &isnull);
	if (!isnull)
	{
		reversal = DatumGetInt64(d);
		reversal_key = SPI_getvalue(tup, desc, 4);
	}
	if (reversal != 0 && strcmp(reversal_key, req.key) != 0)
		already_reversed_error(target, reversal, reversal_key);

	old = MemoryContextSwitchTo(outer);
	req.summary = !PG_ARGISNULL(2) ? text_to_cstring(PG_GETARG_TEXT_PP(2)) :
		orig_summary ? psprintf("reversal of voucher %lld: %s", (long long) target, orig_summary) :
		psprintf("reversal of voucher %lld", (long long) target);
	MemoryContextSwitchTo(old);

	rc = SPI_execute_plan(voucher_entries_plan, arg, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "entry lookup failed: %s", SPI_result_code_string(rc));
	req.n = (int) SPI_processed;
	old = MemoryContextSwitchTo(outer);
	req.account_ids = palloc(sizeof(int64) * Max(req.n, 1));
	req.account_codes = palloc(sizeof(char *) * Max(req.n, 1));
	req.amounts = palloc(sizeof(LedgerAmount *) * Max(req.n, 1));
	amts = palloc(sizeof(Datum) * Max(req.n, 1));
	MemoryContextSwitchTo(old);
	desc = SPI_tuptable->tupdesc;
	for (i = 0; i < req.n; i++)
	{
		LedgerAmount *a;
		char	   *code;

		tup = SPI_tuptable->vals[i];
		req.account_ids[i] = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		a = DatumGetLedgerAmountP(SPI_getbinval(tup, desc, 2, &isnull));
		code = SPI_getvalue(tup, desc, 3);
		old = MemoryContextSwitchTo(outer);
		req.account_codes[i] = pstrdup(code);
		if (a->units == PG_INT64_MIN)
			amount_out_of_range_error();
		req.amounts[i] = amount_make(-a->units, amount_currency(a));
		MemoryContextSwitchTo(old);
		amts[i] = PointerGetDatum(req.amounts[i]);
	}
	SPI_finish();

	resolve_types();
	req.amounts_array = PointerGetDatum(construct_array(amts, req.n, amount_type,
														sizeof(LedgerAmount), false,
														TYPALIGN_DOUBLE));
	PG_RETURN_INT64(post_voucher(&req));
}

/* ---------- balances ---------- */

/* Sum of the balance slots of one account, under the active snapshot. */
static void
add_slots(Relation rel, const LedgerCatalog *cat, int64 account_id, Snapshot snap,
		  INT128 *sum)
{
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		isnull;

	ScanKeyInit(&key, cat->bal_account, BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(account_id));
	scan = systable_beginscan(rel, cat->balance_pkey, true, snap, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
		wide_add(sum, DatumGetInt64(heap_getattr(tup, cat->bal_units,
												 RelationGetDescr(rel), &isnull)));
	systable_endscan(scan);
}

/*
 * Adds the balances of the leaves under a summary account.  Leaves must all
 * have one currency (*cur, set by the first one found).
 */
static void
add_descendants(Relation accrel, Relation balrel, const LedgerCatalog *cat,
				const char *code, Snapshot snap, INT128 *sum, la_currency *cur,
				bool *has_cur, const char *top)
{
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *children = NIL;
	ListCell   *lc;

	ScanKeyInit(&key, cat->acc_parent, BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(code));
	scan = systable_beginscan(accrel, cat->account_parent_idx, true, snap, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;

		children = lappend(children,
						   TextDatumGetCString(heap_getattr(tup, cat->acc_code,
															RelationGetDescr(accrel), &isnull)));
	}
	systable_endscan(scan);

	foreach(lc, children)
	{
		const char *child = lfirst(lc);
		const AccountInfo *acc = account_by_code(child);
		AccountInfo info;

		if (acc == NULL)
			continue;
		info = *acc;
		if (info.summary)
		{
			add_descendants(accrel, balrel, cat, child, snap, sum, cur, has_cur, top);
			continue;
		}
		if (!info.has_currency)
			continue;
		if (!*has_cur)
		{
			*cur = info.cur;
			*has_cur = true;
		}
		else if (!currency_equal(*cur, info.cur))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("account \"%s\" holds more than one currency", top),
					 errdetail("Its leaf accounts hold %s and %s.",
							   currency_to_cstring(*cur), currency_to_cstring(info.cur)),
					 errhint("Use ledger.balances or ledger.trial_balance() for multi-currency summary accounts.")));
		add_slots(balrel, cat, info.id, snap, sum);
	}
}

/* ledger.balance(code) → ledger.amount, on the account's normal side */
PG_FUNCTION_INFO_V1(ledger_balance);
Datum
ledger_balance(PG_FUNCTION_ARGS)
{
	char	   *code;
	const LedgerCatalog *cat;
	const AccountInfo *found;
	AccountInfo acc;
	Relation	balrel;
	Snapshot	snap = GetActiveSnapshot();
	INT128		sum = wide_zero();
	int64		units;
	la_currency cur;
	bool		has_cur;

	if (PG_ARGISNULL(0))
		null_argument_error("code", "ledger.balance() needs the code of an account.");
	code = text_to_cstring(PG_GETARG_TEXT_PP(0));
	cat = ledger_catalog();
	found = account_by_code_or_error(code);
	acc = *found;
	cur = acc.cur;
	has_cur = acc.has_currency;

	balrel = table_open(cat->balance, AccessShareLock);
	if (!acc.summary)
		add_slots(balrel, cat, acc.id, snap, &sum);
	else
	{
		Relation	accrel = table_open(cat->account, AccessShareLock);

		/* code, not acc.code: the cache may be reloaded on the way down */
		add_descendants(accrel, balrel, cat, code, snap, &sum, &cur, &has_cur, code);
		table_close(accrel, AccessShareLock);
	}
	table_close(balrel, AccessShareLock);

	if (!has_cur)
		PG_RETURN_NULL();
	if (!wide_fits_int64(sum) ||
		(acc.sign < 0 && int128_to_int64(sum) == PG_INT64_MIN))
		sum_out_of_range_error(code, cur, "balance", NULL);
	units = int128_to_int64(sum);
	if (acc.sign < 0)
		units = -units;
	PG_RETURN_LEDGER_AMOUNT_P(amount_make(units, cur));
}
