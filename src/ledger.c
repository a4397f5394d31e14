/*
 * ledger.c — module entry point and configuration parameters.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "storage/lock.h"
#include "utils/guc.h"

#include "catalog.h"
#include "ledger.h"
#include "posting.h"

PG_MODULE_MAGIC;

int			ledger_hot_slots = 16;
int			ledger_recon_grace_days = 1;
char	   *ledger_book_timezone = NULL;
bool		ledger_statement_raw_lines = false;

void		_PG_init(void);

/* ledger.book_timezone: empty (the session's TimeZone) or a time zone name */
static bool
ledger_book_timezone_check(char **newval, void **extra pg_attribute_unused(), GucSource source pg_attribute_unused())
{
	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (pg_tzset(*newval) == NULL)
	{
		GUC_check_errdetail("\"%s\" is not a time zone name known to the server.", *newval);
		GUC_check_errhint("Use a name from pg_timezone_names, such as \"Asia/Shanghai\", or an empty string for the session's TimeZone.");
		return false;
	}
	return true;
}

void
_PG_init(void)
{
	DefineCustomIntVariable("ledger.hot_slots",
							"Number of balance slots given to an account when it is marked hot.",
							"Each posting session adds to one slot, so up to this many sessions post to a hot account without waiting for each other.",
							&ledger_hot_slots,
							16, 1, 1024,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("ledger.recon_grace_days",
							"Days an internal item may wait for its statement line before reconciliation reports it missing on the channel side.",
							NULL,
							&ledger_recon_grace_days,
							1, 0, 366,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomStringVariable("ledger.book_timezone",
							   "The books' time zone: CREATE EXTENSION ledger opens its calendar date as the first book day, and bank statements' dates written without a zone are in it.",
							   "Empty means the session's TimeZone.  Later book days follow from the cutoff, not from the clock.",
							   &ledger_book_timezone,
							   "",
							   PGC_SUSET, 0,
							   ledger_book_timezone_check, NULL, NULL);

	DefineCustomBoolVariable("ledger.statement_raw_lines",
							 "Whether the statement loaders also write each line's raw jsonb into ledger.statement_line.",
							 "Off: a loaded file is kept once, in ledger.statement_file, and ledger.statement_raw() gives each line as the channel wrote it; on: each line's raw is stored as well, which costs about three times the writing.",
							 &ledger_statement_raw_lines,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("ledger");

	ledger_catalog_init();
	ledger_posting_init();
}

/* ledger._hot_slots(): the setting, for the account triggers */
PG_FUNCTION_INFO_V1(ledger_hot_slots_setting);
Datum
ledger_hot_slots_setting(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(ledger_hot_slots);
}

/* ---------- the ledger's own locks (see ledger.h) ---------- */

/*
 * Takes the lock (key1, key2) exclusively, for the transaction or for the
 * session; without wait, returns false at once when another session holds
 * it.  Taking a session lock again counts: each take needs its release.
 */
bool
ledger_lock(uint32 key1, uint32 key2, bool session, bool wait)
{
	return ledger_lock_mode(key1, key2, ExclusiveLock, session, wait);
}

/* The same in the given mode: ShareLock takes hold beside other ShareLocks. */
bool
ledger_lock_mode(uint32 key1, uint32 key2, LOCKMODE mode, bool session, bool wait)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, key1, key2, LEDGER_LOCK_SPACE);
	return LockAcquire(&tag, mode, session, !wait) != LOCKACQUIRE_NOT_AVAIL;
}

/* Releases every take of the session lock (key1, key2); returns how many. */
int
ledger_unlock_session(uint32 key1, uint32 key2)
{
	return ledger_unlock_session_mode(key1, key2, ExclusiveLock);
}

/* The same for the takes in the given mode. */
int
ledger_unlock_session_mode(uint32 key1, uint32 key2, LOCKMODE mode)
{
	LOCKTAG		tag;
	int			n = 0;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, key1, key2, LEDGER_LOCK_SPACE);
	while (LockHeldByMe(&tag, mode) && LockRelease(&tag, mode, true))
		n++;
	return n;
}
