/*
 * recon_match.h — key-less matching of reconciliation leftovers (SPEC 9.2).
 *
 * ledger._recon_pair(int_amount ledger.amount[], int_at timestamptz[],
 *                    ext_amount ledger.amount[], ext_at timestamptz[],
 *                    tolerance ledger.amount, match_window interval,
 *                    candidates integer)
 *   RETURNS TABLE(kind text, idx integer, other integer, rank integer)
 *
 * The arrays are the items that key matching left unmatched, one array pair
 * per side (1-based positions are the items' identities).  With a window,
 * items are paired by amount (|internal - external| <= tolerance, same
 * currency) and time (|int_at - ext_at| <= window), best pairs first: a pair
 * is better than another when its amount difference is smaller, then when its
 * time difference is.  Each item is used at most once; an item that has more
 * than one free candidate of the same best quality is not paired at all and
 * its candidates of that quality are not taken either ("ambiguous": it stays
 * a break).  Rows of kind 'pair' give (internal idx, external idx).
 *
 * Then, for every item left unpaired, its `candidates` nearest unpaired
 * counterparts (smallest amount difference, then time difference, no bound)
 * as rows of kind 'internal' (idx an internal item, other an external one) or
 * 'external', rank 1 = nearest.
 *
 * Both steps sort the items by (amount, time) and look up neighbours by
 * binary search, O(n log n) in the number of items; no item is compared with
 * every other.
 */
#ifndef LEDGER_RECON_MATCH_H
#define LEDGER_RECON_MATCH_H

#include "postgres.h"

/* Free candidates of one item kept per amount when pairing (ties need two). */
#define RECON_PAIR_PER_BUCKET	4

/* Counterparts examined per item when listing its nearest candidates. */
#define RECON_CANDIDATE_SCAN	32

#endif							/* LEDGER_RECON_MATCH_H */
