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
						errmsg("%s must be a finite date, not %s", arg, date_to_cstring(d)),
						errdetail("Book dates are the days from %s to %s.",
								  LEDGER_FIRST_BOOK_DATE, LEDGER_LAST_BOOK_DATE));
	}
	if (d < date_of(1900, 1, 1) || d > date_of(9999, 12, 31))
		ereport_quietly(errcode(ERRCODE_DATETIME_FIELD_OVERFLOW),
						errmsg("%s %s is out of the range of book dates", arg, date_to_cstring(d)),
						errdetail("Book dates are the days from %s to %s.",
								  LEDGER_FIRST_BOOK_DATE, LEDGER_LAST_BOOK_DATE));
	PG_RETURN_VOID();
}

/*
 * ledger._raise(sqlstate text, message text, detail text DEFAULT NULL,
 *               hint text DEFAULT NULL)
 *
 * What RAISE EXCEPTION ... USING ERRCODE, DETAIL, HINT does, without the
 * CONTEXT lines: the ledger's PL/pgSQL functions raise their user-facing
 * errors through it.
 */
PG_FUNCTION_INFO_V1(ledger_raise);
Datum
ledger_raise(PG_FUNCTION_ARGS)
{
	const char *state = PG_ARGISNULL(0) ? "P0001" : text_to_cstring(PG_GETARG_TEXT_PP(0));
	const char *message = PG_ARGISNULL(1) ? "unspecified error" : text_to_cstring(PG_GETARG_TEXT_PP(1));
	const char *detail = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	const char *hint = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));

	if (strlen(state) != 5 || strspn(state, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 5 ||
		strncmp(state, "00", 2) == 0 || strncmp(state, "01", 2) == 0 || strncmp(state, "02", 2) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid SQLSTATE \"%s\"", state),
				 errdetail("An error's SQLSTATE is five digits or upper-case letters, of a class other than 00, 01 or 02.")));

	ereport_quietly(errcode(MAKE_SQLSTATE(state[0], state[1], state[2], state[3], state[4])),
					errmsg_internal("%s", message),
					detail ? errdetail_internal("%s", detail) : 0,
					hint ? errhint("%s", hint) : 0);
	PG_RETURN_VOID();
}

extern Datum ledger_amount_zero(PG_FUNCTION_ARGS);
extern Datum ledger_amount_currency(PG_FUNCTION_ARGS);

/*
 * ledger._currency_code(currency text) → text
 *
 * The currency as ledger.currency() writes it (ledger.currency(ledger.zero(c))),
 * for the account trigger: an unknown currency is 22P02 with the amount
 * type's message, DETAIL and HINT and without CONTEXT.
 */
PG_FUNCTION_INFO_V1(ledger_currency_code);
Datum
ledger_currency_code(PG_FUNCTION_ARGS)
{
	Datum		result = (Datum) 0;

	PG_TRY();
	{
		error_context_stack = NULL;
		result = DirectFunctionCall1(ledger_amount_currency,
									 DirectFunctionCall1(ledger_amount_zero, PG_GETARG_DATUM(0)));
	}
	PG_CATCH();
	{
		PG_RE_THROW();
	}
	PG_END_TRY();
	PG_RETURN_DATUM(result);
}
