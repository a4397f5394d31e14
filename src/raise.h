/*
 * raise.h — errors for the user, raised from the ledger's SQL and PL/pgSQL
 * functions without the CONTEXT lines that name the ledger's internals
 * ("PL/pgSQL function ledger.xxx line N at RAISE", "SQL statement ...").
 * The user sees the message, DETAIL and HINT.
 *
 * Book dates: every date the ledger takes from the user as a book date is a
 * finite date from LEDGER_FIRST_BOOK_DATE to LEDGER_LAST_BOOK_DATE, else
 * 22008.
 */
#ifndef LEDGER_RAISE_H
#define LEDGER_RAISE_H

#include "postgres.h"
#include "fmgr.h"

/* ledger._check_book_date(d date, argument text, open_bounds boolean): 22008 unless a book date */
extern Datum ledger_check_book_date(PG_FUNCTION_ARGS);

/*
 * ereport(ERROR, ...) with no error context callbacks: the error carries no
 * CONTEXT.  The callers' context stack is back in place once the error is
 * caught, as after any error.
 */
#define ereport_quietly(...) \
	do { \
		PG_TRY(); \
		{ \
			error_context_stack = NULL; \
			ereport(ERROR, __VA_ARGS__); \
		} \
		PG_CATCH(); \
		{ \
			PG_RE_THROW(); \
		} \
		PG_END_TRY(); \
		pg_unreachable(); \
	} while (0)

#define LEDGER_FIRST_BOOK_DATE	"1900-01-01"
#define LEDGER_LAST_BOOK_DATE	"9999-12-31"

#endif							/* LEDGER_RAISE_H */
