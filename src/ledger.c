/*
 * ledger.c — module entry point and configuration parameters.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "catalog.h"
#include "ledger.h"
#include "posting.h"

PG_MODULE_MAGIC;

int			ledger_hot_slots = 16;
int			ledger_recon_grace_days = 1;

void		_PG_init(void);

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
