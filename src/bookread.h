/*
 * bookread.h — reads of the books that take no predicate locks (see
 * bookread.c): the SQL functions ledger._recon_items() and
 * ledger._recon_voucher(), used by ledger.reconcile.
 */
#ifndef LEDGER_BOOKREAD_H
#define LEDGER_BOOKREAD_H

#include "postgres.h"
#include "fmgr.h"

#include "amount.h"

extern Datum ledger_recon_items(PG_FUNCTION_ARGS);
extern Datum ledger_recon_voucher(PG_FUNCTION_ARGS);

#endif							/* LEDGER_BOOKREAD_H */
