/*
 * report.c — the trial balance of a period of closed days, in one pass.
 *
 * For closed days the daily balances already hold every account with a
 * balance or a movement, summary accounts included, with running totals of
 * debits and credits since the books began.  The trial balance of a period
 * is then the rows of the day before it and of its last day: openings and
 * closings read off, the period's debits and credits the differences of the
 * running totals.  An account absent on one of those days (no balance, no
 * movement) stands on its last earlier row.  Nothing is rolled up and no
 * entry is read, so the cost depends on the number of accounts only.
 *
 * ledger.trial_balance() calls this for periods of closed days and computes
 * periods reaching days not yet closed from the live entries.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"

#include "catalog.h"
#include "wide.h"

typedef struct Acct
{
	int64		id;
	char	   *code;
	char	   *name;
	char	   *parent_code;
	bool		has_currency;
	la_currency cur;
	int			parent;			/* index, -1 at the top */
	int			depth;			/* -1 until computed */
	bool		summary;
} Acct;

typedef struct CellKey
{
	int64		account_id;
	uint64		code;
	int32		decimals;
} CellKey;

/* one row of the report: an account in one currency */
typedef struct Cell
{
	CellKey		key;			/* hash key: compared bytewise, padding included */
	int			acct;			/* index into the account array */
	bool		have[2];		/* a position was found for the day */
	int64		balance[2];		/* at the end of from_date - 1, of to_date */
	Numeric		cum_debit[2];
	Numeric		cum_credit[2];
} Cell;

typedef struct Chart
{
	int			count;
	Acct	   *accts;
} Chart;

static int
depth_of(Chart *chart, int i)
{
	Acct	   *a = &chart->accts[i];
	int			steps = 0;
	int			j = i;

	if (a->depth >= 0)
		return a->depth;
	/* walk up; a cycle cannot exist (the account trigger refuses it) but stop anyway */
	while (chart->accts[j].parent >= 0 && steps <= chart->count)
	{
		j = chart->accts[j].parent;
		steps++;
		if (chart->accts[j].depth >= 0)
		{
			steps += chart->accts[j].depth;
			break;
		}
	}
	a->depth = steps;
	return steps;
}

static Cell *
cell_for(HTAB *cells, Chart *chart, int acct, la_currency cur)
{
	CellKey		key;
	Cell	   *c;
	bool		found;

	memset(&key, 0, sizeof(key));
	key.account_id = chart->accts[acct].id;
	key.code = cur.code;
	key.decimals = cur.decimals;
	c = hash_search(cells, &key, HASH_ENTER, &found);
	if (!found)
	{
		c->acct = acct;
		c->have[0] = c->have[1] = false;
		c->balance[0] = c->balance[1] = 0;
		c->cum_debit[0] = c->cum_debit[1] = NULL;
		c->cum_credit[0] = c->cum_credit[1] = NULL;
	}
	return c;
}

static void
take_row(Cell *c, int which, HeapTuple tup, TupleDesc desc, MemoryContext cxt)
{
	bool		isnull;
	MemoryContext old = MemoryContextSwitchTo(cxt);

	c->have[which] = true;
	c->balance[which] = DatumGetLedgerAmountP(SPI_getbinval(tup, desc, 3, &isnull))->units;
	c->cum_debit[which] = DatumGetNumericCopy(SPI_getbinval(tup, desc, 4, &isnull));
	c->cum_credit[which] = DatumGetNumericCopy(SPI_getbinval(tup, desc, 5, &isnull));
	MemoryContextSwitchTo(old);
}

/* what the six figures of a row are, for an error about one of them */
static const char *const figure_name[6] = {
	"opening debit balance", "opening credit balance",
	"debit turnover of the period", "credit turnover of the period",
	"closing debit balance", "closing credit balance"
};

/* a period's turnover from two cumulative totals; 22003 naming it beyond 64 bits */
static int64
numeric_difference(Numeric later, Numeric earlier, const char *code, la_currency cur, int figure)
{
	Numeric		d;
	int64		v;

	if (later == NULL && earlier == NULL)
		return 0;
	if (later == NULL)
		later = int64_to_numeric(0);
	d = earlier == NULL ? later
		: DatumGetNumeric(DirectFunctionCall2(numeric_sub, NumericGetDatum(later), NumericGetDatum(earlier)));
	if (!numeric_units_fit(d, &v))
		sum_out_of_range_error(code, cur, figure_name[figure], d);
	return v;
}

typedef struct OutRow
{
	Cell	   *cell;			/* NULL for a total row */
	la_currency cur;
	char		cur_name[LA_CURRENCY_BUFSIZE];	/* cur as text, for sorting */
	int64		v[6];			/* od, oc, pd, pc, cd, cc */
} OutRow;

/* account code in byte order, then currency; the totals last */
static int
cmp_out(const void *a, const void *b, void *arg)
{
	const OutRow *x = a;
	const OutRow *y = b;
	Chart	   *chart = arg;
	int			r;

	if ((x->cell == NULL) != (y->cell == NULL))
		return x->cell == NULL ? 1 : -1;
	if (x->cell != NULL)
	{
		r = strcmp(chart->accts[x->cell->acct].code, chart->accts[y->cell->acct].code);
		if (r != 0)
			return r;
	}
	return strcmp(x->cur_name, y->cur_name);
}

/* a total's figure; 22003 naming it beyond 64 bits */
static void
add_checked(int64 *acc, int64 v, la_currency cur, int figure)
{
	if (pg_add_s64_overflow(*acc, v, acc))
		sum_out_of_range_error(NULL, cur, figure_name[figure], NULL);
}

/* a balance as the magnitudes of its debit side and its credit side */
static void
split_sides(int64 balance, int64 *debit, int64 *credit)
{
	if (balance == PG_INT64_MIN)
		amount_out_of_range_error();
	*debit = balance > 0 ? balance : 0;
	*credit = balance < 0 ? -balance : 0;
}

/*
 * ledger._trial_closed(from_date, to_date): the rows of ledger.trial_balance()
 * for a period whose days are all closed.
 */
PG_FUNCTION_INFO_V1(ledger_trial_closed);
Datum
ledger_trial_closed(PG_FUNCTION_ARGS)
{
	DateADT		from_date = PG_GETARG_DATEADT(0);
	DateADT		to_date = PG_GETARG_DATEADT(1);
	DateADT		days[2] = {from_date - 1, to_date};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const LedgerCatalog *cat = ledger_catalog();
	MemoryContext percall = CurrentMemoryContext;
	HASHCTL		ctl;
	HTAB	   *by_code;
	HTAB	   *cells;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	Snapshot	snap = GetActiveSnapshot();
	Chart		chart;
	int			i,
				which;
	HASH_SEQ_STATUS seq;
	Cell	   *c;
	OutRow	   *out;
	int			nout = 0;
	int			maxout;
	Tuplestorestate *ts;
	TupleDesc	resdesc;
	MemoryContext oldcxt;
	MemoryContext rowcxt;
	DateADT		first_day = 0;
	bool		have_first = false;
	SPIPlanPtr	last_row = NULL;	/* an absent account's last earlier row */

	typedef struct CodeEntry
	{
		const char *code;		/* key: the whole code, in percall */
		int			index;
	} CodeEntry;

	InitMaterializedSRF(fcinfo, 0);
	ts = rsinfo->setResult;
	resdesc = rsinfo->setDesc;

	/* the chart of accounts */
	by_code = code_hash_create("ledger trial accounts", 1024, sizeof(CodeEntry), percall);

	rel = table_open(cat->account, AccessShareLock);
	chart.count = 0;
	{
		int			max = 1024;
		TupleDesc	desc = RelationGetDescr(rel);

		chart.accts = palloc(sizeof(Acct) * max);
		scan = table_beginscan(rel, snap, 0, NULL);
		while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
		{
			Acct	   *a;
			bool		isnull;
			Datum		d;
			CodeEntry  *e;

			if (chart.count == max)
			{
				max *= 2;
				chart.accts = repalloc(chart.accts, sizeof(Acct) * max);
			}
			a = &chart.accts[chart.count];
			memset(a, 0, sizeof(*a));
			a->id = DatumGetInt64(heap_getattr(tup, cat->acc_id, desc, &isnull));
			a->code = TextDatumGetCString(heap_getattr(tup, cat->acc_code, desc, &isnull));
			a->name = TextDatumGetCString(heap_getattr(tup, cat->acc_name, desc, &isnull));
			d = heap_getattr(tup, cat->acc_parent, desc, &isnull);
			a->parent_code = isnull ? NULL : TextDatumGetCString(d);
			d = heap_getattr(tup, cat->acc_currency, desc, &isnull);
			if (!isnull)
			{
				char	   *s = TextDatumGetCString(d);
				la_error	err;

				a->has_currency = (la_parse_currency(s, strlen(s), &a->cur, &err) == LA_OK);
			}
			a->parent = -1;
			a->depth = -1;
			e = hash_search(by_code, &a->code, HASH_ENTER, NULL);
			e->index = chart.count;
			chart.count++;
		}
		table_endscan(scan);
	}
	table_close(rel, AccessShareLock);

	for (i = 0; i < chart.count; i++)
	{
		CodeEntry  *e;

		if (chart.accts[i].parent_code == NULL)
			continue;
		e = hash_search(by_code, &chart.accts[i].parent_code, HASH_FIND, NULL);
		if (e != NULL)
		{
			chart.accts[i].parent = e->index;
			chart.accts[e->index].summary = true;
		}
	}

	/* every (account, currency) a row can be about: leaves and their ancestors */
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(CellKey);
	ctl.entrysize = sizeof(Cell);
	ctl.hcxt = percall;
	cells = hash_create("ledger trial cells", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	for (i = 0; i < chart.count; i++)
	{
		int			j = i;
		int			steps = 0;

		if (chart.accts[i].summary || !chart.accts[i].has_currency)
			continue;
		while (j >= 0 && steps++ <= chart.count)
		{
			(void) cell_for(cells, &chart, j, chart.accts[i].cur);
			j = chart.accts[j].parent;
		}
	}

	/* the two days' daily balances, and for accounts absent that day their last row */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		bool		isnull;
		int			rc = SPI_execute("SELECT min(book_date) FROM ledger.book_day", true, 1);

		if (rc == SPI_OK_SELECT && SPI_processed == 1)
		{
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

			if (!isnull)
			{
				first_day = DatumGetDateADT(d);
				have_first = true;
			}
		}
	}
	for (which = 0; which < 2; which++)
	{
		Datum		arg[1] = {DateADTGetDatum(days[which])};
		int			rc;
		uint64		r;

		if (!have_first || days[which] < first_day)
			continue;			/* before the books: every position is zero */
		rc = SPI_execute_with_args("SELECT account_id, currency, closing, cum_debit, cum_credit"
								   "  FROM ledger.daily_balance"
								   " WHERE book_date OPERATOR(pg_catalog.=) $1",
								   1, (Oid[]) {DATEOID}, arg, NULL, true, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "could not read the daily balances: %s", SPI_result_code_string(rc));
		for (r = 0; r < SPI_processed; r++)
		{
			HeapTuple	row = SPI_tuptable->vals[r];
			bool		isnull;
			CellKey		key;
			LedgerAmount *closing = DatumGetLedgerAmountP(SPI_getbinval(row, SPI_tuptable->tupdesc, 3, &isnull));

			memset(&key, 0, sizeof(key));
			key.account_id = DatumGetInt64(SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull));
			key.code = closing->code;
			key.decimals = closing->decimals;
			c = hash_search(cells, &key, HASH_FIND, NULL);
			if (c != NULL)
				take_row(c, which, row, SPI_tuptable->tupdesc, percall);
		}
		SPI_freetuptable(SPI_tuptable);

		hash_seq_init(&seq, cells);
		while ((c = hash_seq_search(&seq)) != NULL)
		{
			Datum		args[3];

			if (c->have[which])
				continue;
			args[0] = Int64GetDatum(c->key.account_id);
			args[1] = CStringGetTextDatum(currency_to_cstring((la_currency) {c->key.code, c->key.decimals}));
			args[2] = DateADTGetDatum(days[which]);
			if (last_row == NULL)
			{
				last_row = SPI_prepare("SELECT account_id, currency, closing, cum_debit, cum_credit"
									   "  FROM ledger.daily_balance"
									   " WHERE account_id OPERATOR(pg_catalog.=) $1"
									   "   AND currency OPERATOR(pg_catalog.=) $2"
									   "   AND book_date OPERATOR(pg_catalog.<) $3"
									   " ORDER BY book_date DESC LIMIT 1",
									   3, (Oid[]) {INT8OID, TEXTOID, DATEOID});
				if (last_row == NULL)
					elog(ERROR, "could not prepare the daily balance lookup: %s",
						 SPI_result_code_string(SPI_result));
			}
			rc = SPI_execute_plan(last_row, args, NULL, true, 1);
			if (rc != SPI_OK_SELECT)
				elog(ERROR, "could not read the daily balances: %s", SPI_result_code_string(rc));
			if (SPI_processed == 1)
				take_row(c, which, SPI_tuptable->vals[0], SPI_tuptable->tupdesc, percall);
			SPI_freetuptable(SPI_tuptable);
		}
	}
	SPI_finish();

	/* the rows, and a total per currency over the top-level accounts */
	maxout = (int) hash_get_num_entries(cells) + 16;
	out = palloc0(sizeof(OutRow) * maxout);
	hash_seq_init(&seq, cells);
	while ((c = hash_seq_search(&seq)) != NULL)
	{
		OutRow	   *o = &out[nout++];
		int64		open = c->balance[0];
		int64		close = c->balance[1];

		o->cell = c;
		o->cur.code = c->key.code;
		o->cur.decimals = c->key.decimals;
		split_sides(open, &o->v[0], &o->v[1]);
		o->v[2] = numeric_difference(c->cum_debit[1], c->cum_debit[0], chart.accts[c->acct].code, o->cur, 2);
		o->v[3] = numeric_difference(c->cum_credit[1], c->cum_credit[0], chart.accts[c->acct].code, o->cur, 3);
		split_sides(close, &o->v[4], &o->v[5]);
	}
	{
		int			ncells = nout;
		int			k;

		for (i = 0; i < ncells; i++)
		{
			OutRow	   *t = NULL;

			if (depth_of(&chart, out[i].cell->acct) != 0)
				continue;
			for (k = ncells; k < nout; k++)
				if (currency_equal(out[k].cur, out[i].cur))
					t = &out[k];
			if (t == NULL)
			{
				if (nout == maxout)
				{
					maxout *= 2;
					out = repalloc(out, sizeof(OutRow) * maxout);
				}
				t = &out[nout++];
				memset(t, 0, sizeof(*t));
				t->cur = out[i].cur;
			}
			for (k = 0; k < 6; k++)
				add_checked(&t->v[k], out[i].v[k], t->cur, k);
		}
	}
	for (i = 0; i < nout; i++)
		(void) la_format_currency(out[i].cur, out[i].cur_name);
	qsort_arg(out, nout, sizeof(OutRow), cmp_out, &chart);

	/* the rows are copied into the tuplestore: build each in a context reset after it */
	rowcxt = AllocSetContextCreate(percall, "ledger trial row", ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(rowcxt);
	for (i = 0; i < nout; i++)
	{
		Datum		values[10];
		bool		nulls[10] = {false, false, false, false, false, false, false, false, false, false};
		LedgerAmount amounts[6];
		int			k;

		if (out[i].cell != NULL)
		{
			Acct	   *a = &chart.accts[out[i].cell->acct];

			values[0] = CStringGetTextDatum(a->code);
			values[1] = CStringGetTextDatum(a->name);
			values[2] = Int32GetDatum(depth_of(&chart, out[i].cell->acct));
		}
		else
		{
			nulls[0] = true;
			values[1] = CStringGetTextDatum("total");
			nulls[2] = true;
		}
		values[3] = CStringGetTextDatum(out[i].cur_name);
		memset(amounts, 0, sizeof(amounts));
		for (k = 0; k < 6; k++)
		{
			amounts[k].units = out[i].v[k];
			amounts[k].code = out[i].cur.code;
			amounts[k].decimals = out[i].cur.decimals;
			values[4 + k] = LedgerAmountPGetDatum(&amounts[k]);
		}
		tuplestore_putvalues(ts, resdesc, values, nulls);
		MemoryContextReset(rowcxt);
	}
	MemoryContextSwitchTo(oldcxt);
	return (Datum) 0;
}
