/*
 * hold.h — holds: two-phase vouchers that reserve money (冻结 / 预授权 / 在途).
 *
 * A hold's lines are validated like a voucher's and stored in
 * ledger.hold_line; instead of moving the balances they add to the
 * held_debit / held_credit of the accounts' balance rows, which the bound
 * check of every posting already holds locked: a floor or ceiling counts held
 * money at no extra cost, exactly under any concurrency.  A hot account
 * (which has no bounds) books its held amounts into the poster's slot, as it
 * books its movements, so holds on it do not serialise either.
 *
 * ledger.post_hold() releases the held amounts and posts a voucher (with
 * voucher.hold_id) in one transaction; ledger.void_hold() and
 * ledger.expire_holds() release them.  Each locks the hold row first, so a
 * hold is settled exactly once.  Holds and their lines are written only by
 * these functions: the guard trigger refuses every other write.
 */
#ifndef LEDGER_HOLD_H
#define LEDGER_HOLD_H

#include "postgres.h"

/* true while a hold function writes holds, hold lines or a voucher with hold_id */
extern bool hold_writing_now(void);

/*
 * Held debits and credits of the account's pending holds past their expiry,
 * in minor units: still in the balance rows until ledger.expire_holds()
 * marks them, but reserving nothing.  Looked up only when a bound would
 * otherwise be broken.
 */
extern void hold_expired_held(int64 account_id, int64 *debit, int64 *credit);

/*
 * Called by the bound check before it refuses a voucher: if the voucher is
 * the one ledger.post_hold() is posting and its hold has expired by now,
 * raises 55000 for the hold instead.  Returns otherwise.
 */
extern void hold_posting_refused(int64 voucher_id);

#endif							/* LEDGER_HOLD_H */
