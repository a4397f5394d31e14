/*
 * recon.h — the reconciliation aggregates (对账): recon_diff and recon_total.
 *
 * Both aggregates read records of two sides, 'internal' (our books) and
 * 'external' (a channel's statement), usually grouped by the match key over a
 * UNION ALL of the two sides, and return a ledger.recon_result:
 *
 *   (class text, internal_count int, external_count int,
 *    internal_amount ledger.amount, external_amount ledger.amount,
 *    difference ledger.amount)
 *
 * recon_diff compares records: more than one record on a side is a
 * duplicate; with one record on each side the amounts (within a tolerance)
 * and then the statuses decide.  recon_total compares the totals of the two
 * sides only.  The state keeps 64-bit counts and 128-bit sums, so nothing
 * overflows before the final function, which raises 22003 for a total beyond
 * the 64-bit minor units and for a count beyond int.
 *
 * Strictness: a NULL side or amount is 22004, a side other than 'internal' or
 * 'external' is 22023, amounts of two currencies anywhere in a group (within a
 * side or across the sides) are 42804, and so is a tolerance in another
 * currency; a negative tolerance is 22023.  A NULL status is a status of its
 * own (two NULLs agree, NULL and 'success' differ); a NULL tolerance means an
 * exact match.
 */
#ifndef LEDGER_RECON_H
#define LEDGER_RECON_H

#include "postgres.h"

/* Break classes, in the order recon_diff decides them. */
typedef enum ReconClass
{
	RECON_MATCHED = 0,
	RECON_MISSING_INTERNAL,
	RECON_MISSING_EXTERNAL,
	RECON_AMOUNT_MISMATCH,
	RECON_STATUS_MISMATCH,
	RECON_DUPLICATE
} ReconClass;

/* The class names of the contract ("matched", "missing_internal", ...). */
extern const char *recon_class_name(ReconClass cls);

#endif							/* LEDGER_RECON_H */
