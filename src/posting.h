/*
 * posting.h — the invariants of vouchers and entries, enforced for every
 * write path.
 *
 * Vouchers and entries are checked by AFTER ... FOR EACH STATEMENT triggers
 * that read the statement's transition table once (so COPY keeps its batched
 * inserts).  The entry trigger validates every row, adds the rows to the
 * per-transaction sums of their vouchers and applies the statement's net
 * movement per account to the maintained balances (one UPDATE per account, in
 * account order, checking floors and ceilings under the row lock).  At commit
 * every voucher written by the transaction must balance per currency and have
 * at least two entries.  A rolled-back subtransaction takes its rows out of
 * the sums.
 */
#ifndef LEDGER_POSTING_H
#define LEDGER_POSTING_H

#include "postgres.h"
#include "access/relscan.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "utils/date.h"
#include "utils/rel.h"

#include "catalog.h"
#include "wide.h"

/* Registers the transaction callbacks; called from _PG_init. */
extern void ledger_posting_init(void);

/*
 * The book day this transaction posts into: fixed by its first voucher (the
 * day open at that moment) and kept until the transaction ends, so that the
 * cutoff, which waits for every transaction holding a write lock on
 * ledger.voucher, sees all of a day's vouchers.
 */
extern DateADT posting_book_day(void);

/*
 * Held amounts to release from an account's balance row (ledger.post_hold):
 * announced just before the voucher's entries are inserted, applied by their
 * trigger in the same update of each balance row as the movement;
 * posting_expect_release_posted(): each entry of the voucher releases what
 * it posts (a hold posted in full).  posting_forget_release() returns true if
 * the release was not applied.
 */
typedef struct PostingRelease
{
	int64		account_id;
	int64		debit;			/* taken off held_debit */
	int64		credit;			/* taken off held_credit */
} PostingRelease;

extern void posting_expect_release(int64 voucher_id, int n, const PostingRelease *moves);
extern void posting_expect_release_posted(int64 voucher_id);
extern bool posting_forget_release(void);

/* true if the voucher was written by this transaction and not rolled back */
extern bool posting_voucher_pending(int64 voucher_id);

/*
 * The balance rows, shared with the holds (hold.c): lock the latest version
 * of an (account, slot) row, check its bounds, write new column values.
 * Callers lock rows in account order.
 */
extern bool posting_lock_balance_row(Relation rel, Relation idx, const AccountInfo *acc,
									 int slotno, const char *what, int64 id,
									 TupleTableSlot *slot);
extern void posting_update_balance_row(Relation rel, Relation idx, IndexInfo **ii,
									   TupleTableSlot *slot, int ncols, int *cols,
									   Datum *values);
extern void posting_row_held(TupleTableSlot *slot, int64 *held_debit, int64 *held_credit);
extern bool posting_bounds_hold(const AccountInfo *acc, TupleTableSlot *slot, INT128 normal,
								int64 held_debit, int64 held_credit,
								int64 *bound, int64 *held, bool *is_floor);
extern void posting_bound_error(const AccountInfo *acc, const char *who, INT128 normal,
								int64 held, int64 bound, bool is_floor) pg_attribute_noreturn();

#endif							/* LEDGER_POSTING_H */
