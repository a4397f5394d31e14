/*
 * recon_match.c — ledger._recon_pair: pairing by amount and time of the items
 * that key matching left unmatched, and the nearest candidates of what stays
 * unmatched.  See recon_match.h for the contract.
 *
 * Each side is sorted by (amount, timed first, time).  The items of one amount
 * form a bucket, sorted by time; the candidates of an item within one bucket
 * are found by binary search on time and a walk outwards, and the buckets
 * within the tolerance by binary search on the amount.  So pairing costs
 * O(n log n + n * buckets-within-tolerance * RECON_PAIR_PER_BUCKET): with a
 * narrow tolerance (a few distinct amounts within it) that is O(n log n),
 * but a tolerance wide enough to span every distinct amount of the other
 * side makes it O(n * distinct amounts), up to O(n^2) time and edges.  The
 * rule's tolerance is what bounds it; the loops check for interrupts, so a
 * run with a too-wide tolerance can be cancelled.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "amount.h"
#include "recon_match.h"

typedef struct MItem
{
	int64		units;			/* amount in minor units */
	int64		at;				/* time, when has_at */
	bool		has_at;			/* a finite time is known */
	int32		idx;			/* 0-based position in the caller's array */
} MItem;

/* one side sorted by (units, has_at desc, at), with its amount buckets */
typedef struct MSide
{
	MItem	   *items;
	int			n;
	int		   *bstart;			/* first position of the item's bucket */
	int		   *bend;			/* one past its bucket */
	int		   *tend;			/* one past the timed items of its bucket */
} MSide;

typedef struct MEdge
{
	uint64		adiff;			/* |internal - external| in minor units */
	uint64		tdiff;			/* |time difference| in microseconds */
	int32		in;				/* internal item */
	int32		ex;				/* external item */
} MEdge;

typedef struct MEdges
{
	MEdge	   *e;
	int64		n;
	int64		cap;
} MEdges;

#define ITEM_FREE		0
#define ITEM_USED		1
#define ITEM_BLOCKED	2

/* ---------- small helpers ---------- */

static uint64
abs_diff(int64 a, int64 b)
{
	/* exact on 64 unsigned bits for any two int64 */
	return a >= b ? (uint64) a - (uint64) b : (uint64) b - (uint64) a;
}

static int
item_cmp(const void *pa, const void *pb)
{
	const MItem *a = (const MItem *) pa;
	const MItem *b = (const MItem *) pb;

	if (a->units != b->units)
		return a->units < b->units ? -1 : 1;
	if (a->has_at != b->has_at)
		return a->has_at ? -1 : 1;
	if (a->has_at && a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return a->idx < b->idx ? -1 : (a->idx > b->idx ? 1 : 0);
}

static int
edge_cmp(const void *pa, const void *pb)
{
	const MEdge *a = (const MEdge *) pa;
	const MEdge *b = (const MEdge *) pb;

	if (a->adiff != b->adiff)
		return a->adiff < b->adiff ? -1 : 1;
	if (a->tdiff != b->tdiff)
		return a->tdiff < b->tdiff ? -1 : 1;
	if (a->in != b->in)
		return a->in < b->in ? -1 : 1;
	return a->ex < b->ex ? -1 : (a->ex > b->ex ? 1 : 0);
}

static void
edge_add(MEdges *es, int32 in, int32 ex, uint64 adiff, uint64 tdiff)
{
	if (es->n == es->cap)
	{
		es->cap = es->cap == 0 ? 1024 : es->cap * 2;
		if ((Size) es->cap * sizeof(MEdge) > MaxAllocHugeSize)
			elog(ERROR, "too many reconciliation candidates");
		es->e = es->e == NULL ? palloc_extended(es->cap * sizeof(MEdge), MCXT_ALLOC_HUGE)
			: repalloc_huge(es->e, es->cap * sizeof(MEdge));
	}
	es->e[es->n].adiff = adiff;
	es->e[es->n].tdiff = tdiff;
	es->e[es->n].in = in;
	es->e[es->n].ex = ex;
	es->n++;
}

/* Sorts items (n of them, owned by the side) and computes the buckets. */
static void
side_prepare(MSide *s, MItem *items, int n)
{
	int			i;

	s->items = items;
	s->n = n;
	if (n > 1)
		qsort(items, n, sizeof(MItem), item_cmp);
	s->bstart = palloc(sizeof(int) * (n + 1));
	s->bend = palloc(sizeof(int) * (n + 1));
	s->tend = palloc(sizeof(int) * (n + 1));
	for (i = 0; i < n;)
	{
		int			be = i + 1,
					te,
					j;

		while (be < n && items[be].units == items[i].units)
			be++;
		for (te = i; te < be && items[te].has_at; te++)
			;
		for (j = i; j < be; j++)
		{
			s->bstart[j] = i;
			s->bend[j] = be;
			s->tend[j] = te;
		}
		i = be;
	}
}

/* first position in [lo, hi) whose units >= u */
static int
lower_units(const MSide *s, int lo, int hi, int64 u)
{
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (s->items[mid].units < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* first position in [lo, hi) (timed items of one bucket) whose at >= t */
static int
lower_at(const MSide *s, int lo, int hi, int64 t)
{
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (s->items[mid].at < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The (at most max) items of the bucket [bs, be) nearest in time to t, within
 * window (when window >= 0; untimed items never are), nearest first; with
 * window < 0 also untimed items, after the timed ones.  Calls out() for each.
 */
typedef void (*near_out) (void *arg, const MItem *it, uint64 tdiff);

static int
bucket_nearest(const MSide *s, int bs, int te, int be, const MItem *q, int64 window,
			   int max, near_out out, void *arg)
{
	int			got = 0;

	if (q->has_at && te > bs)
	{
		int			ins = lower_at(s, bs, te, q->at);
		int			l = ins - 1;
		int			r = ins;

		while (got < max)
		{
			uint64		dl = PG_UINT64_MAX,
						dr = PG_UINT64_MAX;
			bool		okl = l >= bs,
						okr = r < te;

			if (okl)
				dl = abs_diff(q->at, s->items[l].at);
			if (okr)
				dr = abs_diff(q->at, s->items[r].at);
			if (window >= 0)
			{
				okl = okl && dl <= (uint64) window;
				okr = okr && dr <= (uint64) window;
			}
			if (!okl && !okr)
				break;
			if (okl && (!okr || dl <= dr))
			{
				out(arg, &s->items[l], dl);
				l--;
			}
			else
			{
				out(arg, &s->items[r], dr);
				r++;
			}
			got++;
		}
	}
	if (window < 0)
	{
		int			p;

		/* an untimed query: the timed items in order; then the untimed */
		if (!q->has_at)
			for (p = bs; p < te && got < max; p++, got++)
				out(arg, &s->items[p], PG_UINT64_MAX);
		for (p = te; p < be && got < max; p++, got++)
			out(arg, &s->items[p], PG_UINT64_MAX);
	}
	return got;
}

/* ---------- pairing ---------- */

typedef struct PairArg
{
	MEdges	   *edges;
	const MItem *q;
	bool		q_internal;
	uint64		adiff;
} PairArg;

static void
pair_out(void *arg, const MItem *it, uint64 tdiff)
{
	PairArg    *pa = (PairArg *) arg;

	if (pa->q_internal)
		edge_add(pa->edges, pa->q->idx, it->idx, pa->adiff, tdiff);
	else
		edge_add(pa->edges, it->idx, pa->q->idx, pa->adiff, tdiff);
}

/* the candidate edges of every timed item of `from` in the sorted side `to` */
static void
collect_edges(const MItem *from, int nfrom, bool from_internal, const MSide *to,
			  int64 tol, int64 window, MEdges *edges)
{
	int			i;

	for (i = 0; i < nfrom; i++)
	{
		const MItem *q = &from[i];
		int64		lo,
					hi;
		int			pos;

		CHECK_FOR_INTERRUPTS();
		if (!q->has_at)
			continue;
		if (pg_sub_s64_overflow(q->units, tol, &lo))
			lo = PG_INT64_MIN;
		if (pg_add_s64_overflow(q->units, tol, &hi))
			hi = PG_INT64_MAX;
		pos = lower_units(to, 0, to->n, lo);
		while (pos < to->n && to->items[pos].units <= hi)
		{
			PairArg		pa;

			CHECK_FOR_INTERRUPTS();
			pa.edges = edges;
			pa.q = q;
			pa.q_internal = from_internal;
			pa.adiff = abs_diff(q->units, to->items[pos].units);
			(void) bucket_nearest(to, pos, to->tend[pos], to->bend[pos], q, window,
								  RECON_PAIR_PER_BUCKET, pair_out, &pa);
			pos = to->bend[pos];
		}
	}
}

/*
 * Greedy by quality: the edges of one quality (amount difference, time
 * difference) whose two items are still free are taken when each of their
 * items has only that one edge at that quality; an item with two or more is
 * ambiguous: it and its candidates of that quality are blocked (never paired,
 * not even with a worse candidate later).
 */
static void
pair_greedy(MEdges *edges, char *st_in, char *st_ex, int nin, int nex)
{
	int32	   *deg_in = palloc0(sizeof(int32) * (nin + 1));
	int32	   *deg_ex = palloc0(sizeof(int32) * (nex + 1));
	int64		g = 0;
	int64		k,
				w;

	if (edges->n > 1)
		qsort(edges->e, edges->n, sizeof(MEdge), edge_cmp);
	/* the same pair is found from both sides: keep it once */
	for (k = 0, w = 0; k < edges->n; k++)
		if (w == 0 || edge_cmp(&edges->e[w - 1], &edges->e[k]) != 0)
			edges->e[w++] = edges->e[k];
	edges->n = w;

	while (g < edges->n)
	{
		int64		end = g;

		while (end < edges->n && edges->e[end].adiff == edges->e[g].adiff &&
			   edges->e[end].tdiff == edges->e[g].tdiff)
			end++;
		for (k = g; k < end; k++)
		{
			MEdge	   *e = &edges->e[k];

			if (st_in[e->in] == ITEM_FREE && st_ex[e->ex] == ITEM_FREE)
			{
				deg_in[e->in]++;
				deg_ex[e->ex]++;
			}
		}
		for (k = g; k < end; k++)
		{
			MEdge	   *e = &edges->e[k];

			if (st_in[e->in] == ITEM_FREE && st_ex[e->ex] == ITEM_FREE &&
				deg_in[e->in] == 1 && deg_ex[e->ex] == 1)
			{
				st_in[e->in] = ITEM_USED;
				st_ex[e->ex] = ITEM_USED;
				e->tdiff = PG_UINT64_MAX;	/* mark: taken */
				e->adiff = PG_UINT64_MAX;
			}
		}
		/* an ambiguous item blocks itself and its candidates of this quality */
		for (k = g; k < end; k++)
		{
			MEdge	   *e = &edges->e[k];

			if (deg_in[e->in] > 1 || deg_ex[e->ex] > 1)
			{
				if (st_in[e->in] == ITEM_FREE)
					st_in[e->in] = ITEM_BLOCKED;
				if (st_ex[e->ex] == ITEM_FREE)
					st_ex[e->ex] = ITEM_BLOCKED;
			}
		}
		for (k = g; k < end; k++)
		{
			deg_in[edges->e[k].in] = 0;
			deg_ex[edges->e[k].ex] = 0;
		}
		g = end;
	}
	pfree(deg_in);
	pfree(deg_ex);
}

/* ---------- candidates ---------- */

typedef struct CandBuf
{
	MEdge	   *c;				/* in = the query item, ex = the counterpart */
	int			n;
	int			cap;
	const MItem *q;
	uint64		adiff;
} CandBuf;

static void
cand_out(void *arg, const MItem *it, uint64 tdiff)
{
	CandBuf    *cb = (CandBuf *) arg;

	if (cb->n < cb->cap)
	{
		cb->c[cb->n].adiff = cb->adiff;
		cb->c[cb->n].tdiff = tdiff;
		cb->c[cb->n].in = cb->q->idx;
		cb->c[cb->n].ex = it->idx;
		cb->n++;
	}
}

/*
 * The k nearest items of the sorted side `to` for q: buckets in increasing
 * amount difference (both directions), within a bucket by time; stops when k
 * are found and the next bucket is farther.
 */
static int
nearest(const MSide *to, const MItem *q, int k, CandBuf *cb)
{
	int			p = lower_units(to, 0, to->n, q->units);
	int			r = p;			/* next bucket to the right starts here */
	int			l = p - 1;		/* next bucket to the left ends here */
	uint64		last = 0;

	cb->n = 0;
	cb->q = q;
	while (l >= 0 || r < to->n)
	{
		uint64		dl = l >= 0 ? abs_diff(q->units, to->items[l].units) : PG_UINT64_MAX;
		uint64		dr = r < to->n ? abs_diff(q->units, to->items[r].units) : PG_UINT64_MAX;
		uint64		d = Min(dl, dr);

		if (cb->n >= k && d > last)
			break;
		if (cb->n >= cb->cap)
			break;
		cb->adiff = d;
		last = d;
		if (dr <= dl && r < to->n)
		{
			int			bs = r;

			(void) bucket_nearest(to, bs, to->tend[bs], to->bend[bs], q, -1,
								  Min(k, cb->cap - cb->n), cand_out, cb);
			r = to->bend[bs];
		}
		else
		{
			int			bs = to->bstart[l];

			(void) bucket_nearest(to, bs, to->tend[bs], to->bend[bs], q, -1,
								  Min(k, cb->cap - cb->n), cand_out, cb);
			l = bs - 1;
		}
	}
	if (cb->n > 1)
		qsort(cb->c, cb->n, sizeof(MEdge), edge_cmp);
	return Min(cb->n, k);
}

/* ---------- the SQL function ---------- */

/* Reads an amount[] and a timestamptz[] of the same length into items. */
static MItem *
read_side(ArrayType *amounts, ArrayType *times, const char *side, int *n_out,
		  bool *has_cur, la_currency *cur)
{
	Oid			elemtype = ARR_ELEMTYPE(amounts);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *av,
			   *tv;
	bool	   *an,
			   *tn;
	int			na,
				nt,
				i;
	MItem	   *items;

	if (ARR_NDIM(amounts) > 1 || ARR_NDIM(times) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the %s items must be one-dimensional arrays", side)));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(amounts, elemtype, typlen, typbyval, typalign, &av, &an, &na);
	get_typlenbyvalalign(TIMESTAMPTZOID, &typlen, &typbyval, &typalign);
	deconstruct_array(times, TIMESTAMPTZOID, typlen, typbyval, typalign, &tv, &tn, &nt);
	if (na != nt)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the %s items have %d amounts but %d times", side, na, nt)));
	items = palloc0(sizeof(MItem) * (na + 1));
	for (i = 0; i < na; i++)
	{
		LedgerAmount *a;

		if (an[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("reconciliation amount must not be null"),
					 errdetail("The %s item at position %d has no amount.", side, i + 1)));
		a = DatumGetLedgerAmountP(av[i]);
		if (!*has_cur)
		{
			*has_cur = true;
			*cur = amount_currency(a);
		}
		else if (!currency_equal(*cur, amount_currency(a)))
			currency_mismatch_error(*cur, amount_currency(a), "reconcile");
		items[i].units = a->units;
		items[i].idx = i;
		items[i].has_at = !tn[i] && !TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(tv[i]));
		items[i].at = items[i].has_at ? DatumGetTimestampTz(tv[i]) : 0;
	}
	*n_out = na;
	return items;
}

static void
put_row(Tuplestorestate *ts, TupleDesc desc, const char *kind, int32 idx, int32 other, int32 rank)
{
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	values[0] = CStringGetTextDatum(kind);
	values[1] = Int32GetDatum(idx + 1);
	values[2] = Int32GetDatum(other + 1);
	values[3] = Int32GetDatum(rank);
	tuplestore_putvalues(ts, desc, values, nulls);
}

/* candidates of every unpaired item of `from` among the unpaired of `to` */
static void
emit_candidates(ReturnSetInfo *rsinfo, const char *kind, MItem *from, int nfrom, const char *st_from,
				MItem *to, int nto, const char *st_to, int k)
{
	MItem	   *free_to = palloc0(sizeof(MItem) * (nto + 1));
	int			nfree = 0;
	MSide		side;
	CandBuf		cb;
	int			i;

	for (i = 0; i < nto; i++)
		if (st_to[to[i].idx] != ITEM_USED)
			free_to[nfree++] = to[i];
	side_prepare(&side, free_to, nfree);
	cb.cap = Max(k, RECON_CANDIDATE_SCAN);
	cb.c = palloc0(sizeof(MEdge) * cb.cap);
	for (i = 0; i < nfrom; i++)
	{
		int			got,
					j;

		if (st_from[from[i].idx] == ITEM_USED)
			continue;
		got = nearest(&side, &from[i], k, &cb);
		for (j = 0; j < got; j++)
			put_row(rsinfo->setResult, rsinfo->setDesc, kind, cb.c[j].in, cb.c[j].ex, j + 1);
		CHECK_FOR_INTERRUPTS();
	}
}

PG_FUNCTION_INFO_V1(ledger_recon_pair);
Datum
ledger_recon_pair(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MItem	   *in,
			   *ex;
	int			nin,
				nex,
				k,
				i;
	bool		has_cur = false;
	la_currency cur;
	int64		tol = 0;
	int64		window = -1;
	char	   *st_in,
			   *st_ex;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			return (Datum) 0;
	in = read_side(PG_GETARG_ARRAYTYPE_P(0), PG_GETARG_ARRAYTYPE_P(1), "internal", &nin, &has_cur, &cur);
	ex = read_side(PG_GETARG_ARRAYTYPE_P(2), PG_GETARG_ARRAYTYPE_P(3), "external", &nex, &has_cur, &cur);
	if (!PG_ARGISNULL(4))
	{
		LedgerAmount *t = PG_GETARG_LEDGER_AMOUNT_P(4);

		if (t->units < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("reconciliation tolerance must not be negative"),
					 errdetail("The tolerance given is %s.", amount_to_cstring(t->units, amount_currency(t)))));
		if (has_cur && !currency_equal(cur, amount_currency(t)))
			currency_mismatch_error(cur, amount_currency(t), "reconcile");
		tol = t->units;
	}
	if (!PG_ARGISNULL(5))
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(5);
		int64		span;

		/* months as 30 days, as interval comparison counts them */
		if (pg_mul_s64_overflow((int64) iv->month * DAYS_PER_MONTH + iv->day, USECS_PER_DAY, &span) ||
			pg_add_s64_overflow(span, iv->time, &span))
			span = PG_INT64_MAX;
		if (span < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("reconciliation match window must not be negative")));
		window = span;
	}
	k = PG_ARGISNULL(6) ? 3 : PG_GETARG_INT32(6);
	if (k < 0 || k > 100)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of candidates must be between 0 and 100"),
				 errdetail("%d was given.", k)));

	st_in = palloc0(nin + 1);
	st_ex = palloc0(nex + 1);

	if (window >= 0 && nin > 0 && nex > 0)
	{
		MItem	   *sin = palloc(sizeof(MItem) * (nin + 1));
		MItem	   *sex = palloc(sizeof(MItem) * (nex + 1));
		MSide		side_in,
					side_ex;
		MEdges		edges = {NULL, 0, 0};
		int64		e;

		memcpy(sin, in, sizeof(MItem) * nin);
		memcpy(sex, ex, sizeof(MItem) * nex);
		side_prepare(&side_in, sin, nin);
		side_prepare(&side_ex, sex, nex);
		collect_edges(in, nin, true, &side_ex, tol, window, &edges);
		CHECK_FOR_INTERRUPTS();
		collect_edges(ex, nex, false, &side_in, tol, window, &edges);
		CHECK_FOR_INTERRUPTS();
		pair_greedy(&edges, st_in, st_ex, nin, nex);
		/* taken edges were marked with the largest quality */
		for (e = 0; e < edges.n; e++)
			if (edges.e[e].adiff == PG_UINT64_MAX && edges.e[e].tdiff == PG_UINT64_MAX &&
				st_in[edges.e[e].in] == ITEM_USED && st_ex[edges.e[e].ex] == ITEM_USED)
				put_row(rsinfo->setResult, rsinfo->setDesc, "pair", edges.e[e].in, edges.e[e].ex, 0);
		if (edges.e)
			pfree(edges.e);
	}

	if (k > 0)
	{
		emit_candidates(rsinfo, "internal", in, nin, st_in, ex, nex, st_ex, k);
		emit_candidates(rsinfo, "external", ex, nex, st_ex, in, nin, st_in, k);
	}
	return (Datum) 0;
}
