/*
 * raise.c — errors for the user without internal CONTEXT lines, and the
 * check of the book dates users give.  See raise.h.
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

#include "catalog.h"
#include "raise.h"

static DateADT
date_of(int year, int month, int day)
{
	return date2j(year, month, day) - POSTGRES_EPOCH_JDATE;
}

/* ISO 8601 whatever DateStyle says, with BC for years before 1 */
static char *
date_text(DateADT d)
{
	int			year,
				month,
				day;

	if (DATE_NOT_FINITE(d))
		return date_to_cstring(d);
	j2date(d + POSTGRES_EPOCH_JDATE, &year, &month, &day);
	if (year <= 0)
		return psprintf("%04d-%02d-%02d BC", 1 - year, month, day);
	return psprintf("%04d-%02d-%02d", year, month, day);
}

/*
 * ledger._check_book_date(d date, argument text, open_bounds boolean DEFAULT false)
 *
 * 22008 unless d is a finite date from 1900-01-01 to 9999-12-31 (with
 * open_bounds, -infinity and infinity pass too: the bounds of a range that
 * means "every day").  NULL passes: each caller says itself that its
 * argument is required.
 */
PG_FUNCTION_INFO_V1(ledger_check_book_date);
Datum
ledger_check_book_date(PG_FUNCTION_ARGS)
{
	DateADT		d;
	const char *arg;
	bool		open_bounds = PG_NARGS() > 2 && !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);

	if (PG_ARGISNULL(0))
		PG_RETURN_VOID();
	d = PG_GETARG_DATEADT(0);
	arg = PG_ARGISNULL(1) ? "date" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (DATE_NOT_FINITE(d))
	{
		if (open_bounds)
			PG_RETURN_VOID();
		ereport_quietly(errcode(ERRCODE_DATETIME_FIELD_OVERFLOW),
						errmsg("%s must be a finite date, not %s", arg, date_text(d)),
						errdetail("Book dates are the days from %s to %s.",
								  LEDGER_FIRST_BOOK_DATE, LEDGER_LAST_BOOK_DATE));
	}
	if (d < date_of(1900, 1, 1) || d > date_of(9999, 12, 31))
		ereport_quietly(errcode(ERRCODE_DATETIME_FIELD_OVERFLOW),
						errmsg("%s %s is out of the range of book dates", arg, date_text(d)),
						errdetail("Book dates are the days from %s to %s.",
								  LEDGER_FIRST_BOOK_DATE, LEDGER_LAST_BOOK_DATE));
	PG_RETURN_VOID();
}
