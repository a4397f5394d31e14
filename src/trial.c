/*
 * trial.c — the ledger.trial(ledger.amount) and ledger.trial(ledger.amount,
 * boolean) aggregates (试算平衡).
 *
 * debit = sum of the positive amounts, credit = sum of the negated negative
 * amounts, net = debit - credit, entries = number of amounts, balanced =
 * (net = 0).  One currency per group.  128-bit accumulators; parallel-safe.
 *
 * The two-argument form takes the entry's red flag: a red-letter entry (红字)
 * stands on the side opposite to its amount's sign and counts there as a
 * negative figure, so a red entry of -30.00 lowers the debits by 30.00 and
 * one of +30.00 lowers the credits by 30.00.  net is the same either way.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "amount.h"
#include "wide.h"

typedef struct TrialState
{
	bool		has;
	la_currency cur;
	int64		count;
	INT128		debit;
	INT128		credit;			/* positive */
} TrialState;

PG_FUNCTION_INFO_V1(ledger_trial_accum);
Datum
ledger_trial_accum(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = amount_agg_context(fcinfo, "ledger.trial");
	TrialState *st = PG_ARGISNULL(0) ? NULL : (TrialState *) PG_GETARG_POINTER(0);
	LedgerAmount *a;
	bool		red;

	if (st == NULL)
		st = (TrialState *) MemoryContextAllocZero(ctx, sizeof(TrialState));
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	a = PG_GETARG_LEDGER_AMOUNT_P(1);
	currency_tag(&st->has, &st->cur, amount_currency(a), "balance");
	/* red (second argument of the two-argument form): on the other side */
	red = PG_NARGS() > 2 && !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	if ((a->units > 0) != red)
		wide_add(&st->debit, a->units);
	else
		wide_sub(&st->credit, a->units);
	st->count++;
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(ledger_trial_combine);
Datum
ledger_trial_combine(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = amount_agg_context(fcinfo, "ledger.trial");
	TrialState *a = PG_ARGISNULL(0) ? NULL : (TrialState *) PG_GETARG_POINTER(0);
	TrialState *b = PG_ARGISNULL(1) ? NULL : (TrialState *) PG_GETARG_POINTER(1);

	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
	{
		a = (TrialState *) MemoryContextAlloc(ctx, sizeof(TrialState));
		*a = *b;
		PG_RETURN_POINTER(a);
	}
	if (b->has)
	{
		currency_tag(&a->has, &a->cur, b->cur, "balance");
		wide_add_wide(&a->debit, b->debit);
		wide_add_wide(&a->credit, b->credit);
		a->count += b->count;
	}
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(ledger_trial_serialize);
Datum
ledger_trial_serialize(PG_FUNCTION_ARGS)
{
	TrialState *st = (TrialState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) amount_agg_context(fcinfo, "ledger.trial");
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, st->has ? 1 : 0);
	pq_sendint64(&buf, (int64) st->cur.code);
	pq_sendint32(&buf, st->cur.decimals);
	pq_sendint64(&buf, st->count);
	wide_send(&buf, st->debit);
	wide_send(&buf, st->credit);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(ledger_trial_deserialize);
Datum
ledger_trial_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	MemoryContext ctx = amount_agg_context(fcinfo, "ledger.trial");
	TrialState *st = (TrialState *) MemoryContextAllocZero(ctx, sizeof(TrialState));
	StringInfoData buf;

	serial_begin(&buf, raw);
	st->has = pq_getmsgbyte(&buf) != 0;
	st->cur.code = (uint64) pq_getmsgint64(&buf);
	st->cur.decimals = pq_getmsgint(&buf, 4);
	st->count = pq_getmsgint64(&buf);
	st->debit = wide_recv(&buf);
	st->credit = wide_recv(&buf);
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(ledger_trial_final);
Datum
ledger_trial_final(PG_FUNCTION_ARGS)
{
	TrialState *st = PG_ARGISNULL(0) ? NULL : (TrialState *) PG_GETARG_POINTER(0);
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	int64		debit,
				credit;
	INT128		net;

	if (st == NULL || !st->has)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "ledger.trial must return a composite type");
	desc = BlessTupleDesc(desc);

	if (!wide_fits_int64(st->debit) || !wide_fits_int64(st->credit))
		amount_out_of_range_error();
	debit = int128_to_int64(st->debit);
	credit = int128_to_int64(st->credit);
	net = int64_to_int128(debit);
	wide_sub(&net, credit);
	if (!wide_fits_int64(net))
		amount_out_of_range_error();

	values[0] = CStringGetTextDatum(currency_to_cstring(st->cur));
	values[1] = LedgerAmountPGetDatum(amount_make(debit, st->cur));
	values[2] = LedgerAmountPGetDatum(amount_make(credit, st->cur));
	/* red entries can make either side negative: the difference is checked above */
	values[3] = LedgerAmountPGetDatum(amount_make(int128_to_int64(net), st->cur));
	values[4] = Int64GetDatum(st->count);
	values[5] = BoolGetDatum(debit == credit);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
