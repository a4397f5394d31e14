/*
 * recon.c — the reconciliation aggregates ledger.recon_diff and
 * ledger.recon_total.
 *
 * See recon.h for what they compute and how strict they are.  The state is
 * one fixed-size struct per group plus the first status seen on each side,
 * all in the aggregate context; it is combined, serialised and deserialised
 * for parallel aggregation.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "common/int.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "amount.h"
#include "ledger.h"
#include "recon.h"
#include "wide.h"

#define SIDE_INTERNAL	0
#define SIDE_EXTERNAL	1

static const char *const class_names[] = {
	"matched",
	"missing_internal",
	"missing_external",
	"amount_mismatch",
	"status_mismatch",
	"duplicate"
};

static const char *const side_names[] = {"internal", "external"};

const char *
recon_class_name(ReconClass cls)
{
	Assert(cls >= RECON_MATCHED && cls <= RECON_DUPLICATE);
	return class_names[cls];
}

/*
 * One side of a group.  A status of up to RECON_INLINE_STATUS bytes (every
 * status a channel uses: "success", "processing", "reversed") is kept in the
 * struct, so a group costs one allocation.
 */
#define RECON_INLINE_STATUS 14

typedef struct ReconSide
{
	INT128		sum;			/* sum of their minor units */
	int64		count;			/* records */
	int32		status_len;
	bool		has_status;		/* the first record's status is known */
	bool		status_null;	/* ... and it was NULL */
	char		inline_status[RECON_INLINE_STATUS];
	char	   *status;			/* inline_status, or in the aggregate context;
								 * not terminated */
} ReconSide;

typedef struct ReconState
{
	ReconSide	side[2];
	bool		has_cur;		/* currency of the group (both sides) */
	la_currency cur;
	bool		has_tol;		/* a tolerance was given */
	int64		tol;			/* in minor units of tol_cur, >= 0 */
	la_currency tol_cur;
} ReconState;

/* ---------- helpers ---------- */

static ReconState *
state_new(MemoryContext ctx)
{
	return (ReconState *) MemoryContextAllocZero(ctx, sizeof(ReconState));
}

/* 'internal' or 'external', exactly; anything else is 22023. */
static int
side_of(text *t, const char *fname)
{
	const char *p = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);

	if (len == 8 && memcmp(p, "internal", 8) == 0)
		return SIDE_INTERNAL;
	if (len == 8 && memcmp(p, "external", 8) == 0)
		return SIDE_EXTERNAL;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid reconciliation side \"%s\"", text_to_cstring(t)),
			 errdetail("The side given to %s must be 'internal' (our books) or 'external' (the statement).",
					   fname)));
	return -1;					/* keep the compiler quiet */
}

static void
cross_currency_error(const char *fname, int side_a, la_currency a, int side_b, la_currency b)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("cannot reconcile amounts in different currencies \"%s\" and \"%s\"",
					currency_to_cstring(a), currency_to_cstring(b)),
			 errdetail("%s found %s on the %s side and %s on the %s side of one group.",
					   fname, currency_to_cstring(a), side_names[side_a],
					   currency_to_cstring(b), side_names[side_b]),
			 errhint("Reconcile each currency separately, e.g. GROUP BY the key and ledger.currency(amount).")));
}

/* Sets or checks the group currency; side is where cur was seen. */
static void
state_currency(ReconState *st, la_currency cur, int side, const char *fname)
{
	if (!st->has_cur)
	{
		st->has_cur = true;
		st->cur = cur;
		return;
	}
	if (!currency_equal(st->cur, cur))
	{
		/* name the side that set the group currency */
		int			first = st->side[side].count > 0 ? side : 1 - side;

		cross_currency_error(fname, first, st->cur, side, cur);
	}
}

static void
state_tolerance(ReconState *st, int64 tol, la_currency cur, const char *fname)
{
	if (!st->has_tol)
	{
		st->has_tol = true;
		st->tol = tol;
		st->tol_cur = cur;
		return;
	}
	if (st->tol != tol || !currency_equal(st->tol_cur, cur))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tolerance of %s changes within a group", fname),
				 errdetail("Tolerances %s and %s were given for one group.",
						   amount_to_cstring(st->tol, st->tol_cur),
						   amount_to_cstring(tol, cur)),
				 errhint("Pass one tolerance per group, e.g. a constant or a column of the channel's settings.")));
}

static void
side_set_status(ReconSide *s, MemoryContext ctx, bool isnull, const char *p, int len)
{
	s->has_status = true;
	s->status_null = isnull;
	s->status_len = isnull ? 0 : len;
	s->status = NULL;
	if (!isnull && len > 0)
	{
		s->status = len <= RECON_INLINE_STATUS ? s->inline_status : MemoryContextAlloc(ctx, len);
		memcpy(s->status, p, len);
	}
}

static bool
status_equal(const ReconSide *a, const ReconSide *b)
{
	if (a->status_null || b->status_null)
		return a->status_null && b->status_null;
	return a->status_len == b->status_len &&
		(a->status_len == 0 || memcmp(a->status, b->status, a->status_len) == 0);
}

/*
 * Transition shared by every form:
 *   (state, side text, amount ledger.amount [, status text [, tolerance ledger.amount]])
 * with_status tells whether argument 3 is a status (recon_diff) or a
 * tolerance (recon_total's three-argument form).
 */
static Datum
recon_accum(FunctionCallInfo fcinfo, const char *fname, bool with_status)
{
	MemoryContext ctx = amount_agg_context(fcinfo, fname);
	ReconState *st = PG_ARGISNULL(0) ? NULL : (ReconState *) PG_GETARG_POINTER(0);
	int			nargs = PG_NARGS();
	int			tolarg = with_status ? 4 : 3;
	int			side;
	LedgerAmount *a;
	ReconSide  *s;

	if (st == NULL)
		st = state_new(ctx);

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("reconciliation side must not be null"),
				 errdetail("Every record given to %s needs a side, 'internal' or 'external'.", fname)));
	side = side_of(PG_GETARG_TEXT_PP(1), fname);
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("reconciliation amount must not be null"),
				 errdetail("A record on the %s side of %s has no amount; a record without an amount cannot be reconciled.",
						   side_names[side], fname)));
	a = PG_GETARG_LEDGER_AMOUNT_P(2);
	state_currency(st, amount_currency(a), side, fname);

	if (nargs > tolarg && !PG_ARGISNULL(tolarg))
	{
		LedgerAmount *t = PG_GETARG_LEDGER_AMOUNT_P(tolarg);

		if (t->units < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tolerance of %s must not be negative", fname),
					 errdetail("The tolerance given is %s.",
							   amount_to_cstring(t->units, amount_currency(t)))));
		state_tolerance(st, t->units, amount_currency(t), fname);
	}

	s = &st->side[side];
	if (with_status && nargs > 3 && !s->has_status)
	{
		if (PG_ARGISNULL(3))
			side_set_status(s, ctx, true, NULL, 0);
		else
		{
			text	   *t = PG_GETARG_TEXT_PP(3);

			side_set_status(s, ctx, false, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		}
	}
	wide_add(&s->sum, a->units);
	s->count++;
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(ledger_recon_diff_accum);
Datum
ledger_recon_diff_accum(PG_FUNCTION_ARGS)
{
	return recon_accum(fcinfo, "ledger.recon_diff", true);
}

PG_FUNCTION_INFO_V1(ledger_recon_total_accum);
Datum
ledger_recon_total_accum(PG_FUNCTION_ARGS)
{
	return recon_accum(fcinfo, "ledger.recon_total", false);
}

/* ---------- combine, serialise, deserialise ---------- */

/*
 * The two aggregates share their combine function: name the one being
 * combined in its errors (a partitionwise or parallel plan combines states of
 * ledger.recon_total as well as of ledger.recon_diff).
 */
static const char *
combine_fname(FunctionCallInfo fcinfo)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	char	   *name = aggref != NULL ? get_func_name(aggref->aggfnoid) : NULL;

	if (name != NULL && strcmp(name, "recon_total") == 0)
		return "ledger.recon_total";
	return "ledger.recon_diff";
}

PG_FUNCTION_INFO_V1(ledger_recon_combine);
Datum
ledger_recon_combine(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = amount_agg_context(fcinfo, "ledger_recon_combine");
	ReconState *a = PG_ARGISNULL(0) ? NULL : (ReconState *) PG_GETARG_POINTER(0);
	ReconState *b = PG_ARGISNULL(1) ? NULL : (ReconState *) PG_GETARG_POINTER(1);
	int			i;

	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = state_new(ctx);

	if (b->has_cur)
	{
		int			bside = b->side[SIDE_INTERNAL].count > 0 ? SIDE_INTERNAL : SIDE_EXTERNAL;

		state_currency(a, b->cur, bside, combine_fname(fcinfo));
	}
	if (b->has_tol)
		state_tolerance(a, b->tol, b->tol_cur, combine_fname(fcinfo));
	for (i = 0; i < 2; i++)
	{
		ReconSide  *sa = &a->side[i];
		ReconSide  *sb = &b->side[i];

		if (!sa->has_status && sb->has_status)
			side_set_status(sa, ctx, sb->status_null, sb->status, sb->status_len);
		wide_add_wide(&sa->sum, sb->sum);
		sa->count += sb->count;
	}
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(ledger_recon_serialize);
Datum
ledger_recon_serialize(PG_FUNCTION_ARGS)
{
	ReconState *st = (ReconState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;

	(void) amount_agg_context(fcinfo, "ledger_recon_serialize");
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, st->has_cur ? 1 : 0);
	pq_sendint64(&buf, (int64) st->cur.code);
	pq_sendint32(&buf, st->cur.decimals);
	pq_sendbyte(&buf, st->has_tol ? 1 : 0);
	pq_sendint64(&buf, st->tol);
	pq_sendint64(&buf, (int64) st->tol_cur.code);
	pq_sendint32(&buf, st->tol_cur.decimals);
	for (i = 0; i < 2; i++)
	{
		const ReconSide *s = &st->side[i];

		pq_sendint64(&buf, s->count);
		wide_send(&buf, s->sum);
		pq_sendbyte(&buf, s->has_status ? 1 : 0);
		pq_sendbyte(&buf, s->status_null ? 1 : 0);
		pq_sendint32(&buf, s->status_len);
		if (s->status_len > 0)
			pq_sendbytes(&buf, s->status, s->status_len);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(ledger_recon_deserialize);
Datum
ledger_recon_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	MemoryContext ctx = amount_agg_context(fcinfo, "ledger_recon_deserialize");
	ReconState *st = state_new(ctx);
	StringInfoData buf;
	int			i;

	serial_begin(&buf, raw);
	st->has_cur = pq_getmsgbyte(&buf) != 0;
	st->cur.code = (uint64) pq_getmsgint64(&buf);
	st->cur.decimals = pq_getmsgint(&buf, 4);
	st->has_tol = pq_getmsgbyte(&buf) != 0;
	st->tol = pq_getmsgint64(&buf);
	st->tol_cur.code = (uint64) pq_getmsgint64(&buf);
	st->tol_cur.decimals = pq_getmsgint(&buf, 4);
	for (i = 0; i < 2; i++)
	{
		ReconSide  *s = &st->side[i];
		bool		has_status;
		bool		status_null;
		int32		len;

		s->count = pq_getmsgint64(&buf);
		s->sum = wide_recv(&buf);
		has_status = pq_getmsgbyte(&buf) != 0;
		status_null = pq_getmsgbyte(&buf) != 0;
		len = pq_getmsgint(&buf, 4);
		if (len < 0)
			elog(ERROR, "invalid status length %d in serialised reconciliation state", len);
		if (has_status)
			side_set_status(s, ctx, status_null, len > 0 ? pq_getmsgbytes(&buf, len) : NULL, len);
		else if (len > 0)
			(void) pq_getmsgbytes(&buf, len);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/* ---------- final functions ---------- */

/* *acc -= v on 128 bits (PostgreSQL 15's int128.h has no subtraction) */
static void
wide_sub_wide(INT128 *acc, INT128 v)
{
#if USE_NATIVE_INT128
	*acc -= v;
#else
	INT128		neg;

	neg.hi = ~v.hi;
	neg.lo = ~v.lo;
	int128_add_uint64(&neg, 1);
	wide_add_wide(acc, neg);
#endif
}

static Datum
amount_datum(INT128 v, la_currency cur)
{
	if (!wide_fits_int64(v))
		amount_out_of_range_error();
	return LedgerAmountPGetDatum(amount_make(int128_to_int64(v), cur));
}

static int32
count_value(int64 n)
{
	if (n > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("reconciliation count out of range"),
				 errdetail("One side of a group holds %lld records; the result counts up to %d.",
						   (long long) n, PG_INT32_MAX)));
	return (int32) n;
}

/* |internal - external| <= tolerance, exactly */
static bool
within_tolerance(const ReconState *st)
{
	INT128		d = st->side[SIDE_INTERNAL].sum;
	INT128		tol = int64_to_int128(st->has_tol ? st->tol : 0);
	INT128		neg = int64_to_int128(0);

	wide_sub_wide(&d, st->side[SIDE_EXTERNAL].sum);
	wide_sub_wide(&neg, tol);
	return int128_compare(d, tol) <= 0 && int128_compare(d, neg) >= 0;
}

static Datum
recon_result(FunctionCallInfo fcinfo, const ReconState *st, bool totals_only)
{
	const ReconSide *in = &st->side[SIDE_INTERNAL];
	const ReconSide *ex = &st->side[SIDE_EXTERNAL];
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	ReconClass	cls;
	const char *fname = totals_only ? "ledger.recon_total" : "ledger.recon_diff";

	if (st->has_tol && st->has_cur && !currency_equal(st->tol_cur, st->cur))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("tolerance of %s is in another currency than the amounts", fname),
				 errdetail("The tolerance is %s; the amounts are in %s.",
						   amount_to_cstring(st->tol, st->tol_cur), currency_to_cstring(st->cur))));

	if (!totals_only && (in->count > 1 || ex->count > 1))
		cls = RECON_DUPLICATE;
	else if (in->count == 0)
		cls = RECON_MISSING_INTERNAL;
	else if (ex->count == 0)
		cls = RECON_MISSING_EXTERNAL;
	else if (!within_tolerance(st))
		cls = RECON_AMOUNT_MISMATCH;
	else if (!totals_only && !status_equal(in, ex))
		cls = RECON_STATUS_MISMATCH;
	else
		cls = RECON_MATCHED;

	/* the row type is fixed; look it up once per call site */
	desc = (TupleDesc) fcinfo->flinfo->fn_extra;
	if (desc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "%s must return a composite type", fname);
		desc = BlessTupleDesc(desc);
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = desc;
	}

	values[0] = CStringGetTextDatum(class_names[cls]);
	values[1] = Int32GetDatum(count_value(in->count));
	values[2] = Int32GetDatum(count_value(ex->count));
	if (in->count > 0)
		values[3] = amount_datum(in->sum, st->cur);
	else
		nulls[3] = true;
	if (ex->count > 0)
		values[4] = amount_datum(ex->sum, st->cur);
	else
		nulls[4] = true;
	if (in->count > 0 && ex->count > 0)
	{
		INT128		d = in->sum;

		wide_sub_wide(&d, ex->sum);
		values[5] = amount_datum(d, st->cur);
	}
	else
		nulls[5] = true;

	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

PG_FUNCTION_INFO_V1(ledger_recon_diff_final);
Datum
ledger_recon_diff_final(PG_FUNCTION_ARGS)
{
	ReconState *st = PG_ARGISNULL(0) ? NULL : (ReconState *) PG_GETARG_POINTER(0);

	if (st == NULL || (st->side[0].count == 0 && st->side[1].count == 0))
		PG_RETURN_NULL();
	return recon_result(fcinfo, st, false);
}

PG_FUNCTION_INFO_V1(ledger_recon_total_final);
Datum
ledger_recon_total_final(PG_FUNCTION_ARGS)
{
	ReconState *st = PG_ARGISNULL(0) ? NULL : (ReconState *) PG_GETARG_POINTER(0);

	if (st == NULL || (st->side[0].count == 0 && st->side[1].count == 0))
		PG_RETURN_NULL();
	return recon_result(fcinfo, st, true);
}

/* ledger._recon_grace_days(): the setting ledger.recon_grace_days */
PG_FUNCTION_INFO_V1(ledger_recon_grace_days_setting);
Datum
ledger_recon_grace_days_setting(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(ledger_recon_grace_days);
}
