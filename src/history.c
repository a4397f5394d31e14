/*
 * history.c — ledger.account_history: the account history (明细账) of one
 * leaf account.
 *
 * The opening balance is read where the day-end left it: the account's row
 * of the last closed day before from_date (no row: the balance was zero)
 * plus its entries of the days after it not yet closed.  The period's
 * entries are then read through the index on (account_id, book_date), in
 * posting order (book date, voucher, line), each with its voucher, and the
 * running balance is carried in C.  The cost is that of the period; the days
 * before cost one index probe, however many there were.  A hot account's entries
 * are ordinary entries, so its history is exact like any other.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "amount.h"
#include "catalog.h"
#include "raise.h"
#include "wide.h"

#define HISTORY_BATCH 4096

static SPIPlanPtr opening_plan = NULL;

/*
 * The period's entries with their vouchers, in posting order.  The vouchers
 * are joined on the period's book dates too, so that whichever join the
 * planner picks (a lookup of each voucher by key for an account with few
 * entries, a hash of the period's vouchers for a busy one) reads the period
 * and never the whole history.  Planned for each call with the values, as
 * the choice depends on them.
 */
/* (prepared at each call of ledger_account_history) */
static uint64 plans_generation = 0;

static void
prepare_plans(void)
{
	uint64		generation = ledger_catalog_generation();
	Oid			t[3] = {INT8OID, DATEOID, DATEOID};

	if (opening_plan != NULL && plans_generation == generation)
		return;
	if (opening_plan != NULL)
		SPI_freeplan(opening_plan);
	opening_plan = NULL;
	plans_generation = generation;
	opening_plan = ledger_prepare_kept(
		"SELECT (COALESCE((SELECT pg_catalog.sum(ledger.minor_units(r.closing)) FROM ledger.daily_balance r"
		"                   WHERE r.account_id OPERATOR(pg_catalog.=) $1 AND r.book_date OPERATOR(pg_catalog.=) s.d"
		"                     AND NOT r.summary), 0)"
		"      OPERATOR(pg_catalog.+)"
		"        COALESCE((SELECT pg_catalog.sum(ledger.minor_units(e.amount)) FROM ledger.entry e"
		"                   WHERE e.account_id OPERATOR(pg_catalog.=) $1"
		"                     AND e.book_date OPERATOR(pg_catalog.>) COALESCE(s.d, '-infinity'::pg_catalog.date)"
		"                     AND e.book_date OPERATOR(pg_catalog.<) $2), 0))::pg_catalog.int8"
		"  FROM (SELECT pg_catalog.max(b.book_date) AS d FROM ledger.book_day b"
		"         WHERE b.status OPERATOR(pg_catalog.=) 'closed' AND b.book_date OPERATOR(pg_catalog.<) $2) s",
		2, t);

}

/*
 * ledger.account_history(code, from_date, to_date) → TABLE(book_date,
 * voucher_id, line_no, ref, summary, debit, credit, balance, created_at)
 */
PG_FUNCTION_INFO_V1(ledger_account_history);
Datum
ledger_account_history(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *code;
	const AccountInfo *found;
	AccountInfo acc;
	DateADT		from_date,
				to_date;
	Datum		args[3];
	bool		isnull;
	int64		running;
	SPIPlanPtr	plan;
	Portal		portal;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("code must not be null"),
				 errdetail("ledger.account_history() needs the code of a leaf account.")));
	code = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("from_date must not be null"),
				 errdetail("The history of account \"%s\" starts at the opening of from_date.", code)));
	from_date = PG_GETARG_DATEADT(1);
	to_date = PG_ARGISNULL(2) ? DATEVAL_NOEND : PG_GETARG_DATEADT(2);
	/* 22008 for a date that is no book date, as for every book-date argument */
	DirectFunctionCall3(ledger_check_book_date, DateADTGetDatum(from_date),
						CStringGetTextDatum("from_date"), BoolGetDatum(false));
	if (!PG_ARGISNULL(2))
		DirectFunctionCall3(ledger_check_book_date, DateADTGetDatum(to_date),
							CStringGetTextDatum("to_date"), BoolGetDatum(true));
	found = account_by_code(code);
	if (found == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("account \"%s\" does not exist", code),
				 errdetail("No account in ledger.account has the code \"%s\"; account codes are case-sensitive.", code)));
	acc = *found;
	if (acc.summary)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("account \"%s\" is a summary account", code),
				 errdetail("The account history (明细账) lists the entries of a leaf account; \"%s\" has sub-accounts.", code),
				 errhint("Ask for the history of one of its leaf accounts, or use ledger.trial_balance().")));
	if (!acc.has_currency)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("account \"%s\" has no currency", code),
				 errdetail("A leaf account takes postings in its currency; \"%s\" has none.", code)));

	InitMaterializedSRF(fcinfo, 0);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();

	args[0] = Int64GetDatum(acc.id);
	args[1] = DateADTGetDatum(from_date);
	args[2] = DateADTGetDatum(to_date);
	if (SPI_execute_plan(opening_plan, args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "opening balance lookup failed");
	running = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);

	plan = SPI_prepare("SELECT e.book_date, e.voucher_id, e.line_no, v.ref, v.summary, e.amount, v.created_at, e.red"
					   "  FROM ledger.entry e"
					   "  JOIN ledger.voucher v ON v.id OPERATOR(pg_catalog.=) e.voucher_id"
					   "                       AND v.book_date OPERATOR(pg_catalog.=) e.book_date"
					   " WHERE e.account_id OPERATOR(pg_catalog.=) $1"
					   "   AND e.book_date OPERATOR(pg_catalog.>=) $2 AND e.book_date OPERATOR(pg_catalog.<=) $3"
					   "   AND v.book_date OPERATOR(pg_catalog.>=) $2 AND v.book_date OPERATOR(pg_catalog.<=) $3"
					   " ORDER BY e.book_date, e.voucher_id, e.line_no",
					   3, (Oid[]) {INT8OID, DATEOID, DATEOID});
	if (plan == NULL)
		elog(ERROR, "could not prepare the account history: %s", SPI_result_code_string(SPI_result));
	/* a plan prepared for this call only: planned for its values */
	portal = SPI_cursor_open(NULL, plan, args, NULL, true);
	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, HISTORY_BATCH);
		if (SPI_processed == 0)
			break;
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			Datum		values[9];
			bool		nulls[9] = {false, false, false, false, false, false, false, false, false};
			LedgerAmount *amt;
			LedgerAmount credit;
			LedgerAmount balance;
			int64		normal;
			bool		red;

			values[0] = SPI_getbinval(tup, desc, 1, &nulls[0]);
			values[1] = SPI_getbinval(tup, desc, 2, &nulls[1]);
			values[2] = SPI_getbinval(tup, desc, 3, &nulls[2]);
			values[3] = SPI_getbinval(tup, desc, 4, &nulls[3]);
			values[4] = SPI_getbinval(tup, desc, 5, &nulls[4]);
			amt = DatumGetLedgerAmountP(SPI_getbinval(tup, desc, 6, &isnull));
			values[8] = SPI_getbinval(tup, desc, 7, &nulls[8]);
			if (pg_add_s64_overflow(running, amt->units, &running))
				amount_out_of_range_error();
			red = DatumGetBool(SPI_getbinval(tup, desc, 8, &isnull)) && !isnull;

			/*
			 * A debit (positive) on the debit side, a credit on the credit
			 * side as a positive figure; a red-letter entry (红字) stands on
			 * the side opposite to its sign, as a negative figure, as in the
			 * journal.
			 */
			if ((amt->units > 0) != red)
			{
				values[5] = PointerGetDatum(amt);
				nulls[6] = true;
			}
			else
			{
				if (amt->units == PG_INT64_MIN)
					amount_out_of_range_error();
				nulls[5] = true;
				memset(&credit, 0, sizeof(credit));
				credit.units = -amt->units;
				credit.code = amt->code;
				credit.decimals = amt->decimals;
				values[6] = PointerGetDatum(&credit);
			}
			if (acc.sign < 0 && running == PG_INT64_MIN)
				amount_out_of_range_error();
			normal = acc.sign < 0 ? -running : running;
			memset(&balance, 0, sizeof(balance));
			balance.units = normal;
			balance.code = acc.cur.code;
			balance.decimals = acc.cur.decimals;
			values[7] = PointerGetDatum(&balance);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	return (Datum) 0;
}
