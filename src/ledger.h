/*
 * ledger.h — configuration parameters shared by the C files.
 */
#ifndef LEDGER_H
#define LEDGER_H

extern int	ledger_hot_slots;
extern int	ledger_recon_grace_days;
extern bool ledger_statement_raw_lines;
extern char *ledger_book_timezone;

/*
 * Idempotency keys and refs live in B-tree indexes (the keys' unique ones,
 * the refs' for reconciliation), whose entries have a size limit: from 1.1 a
 * key or ref has at most this many bytes, refused with a clear error instead
 * of the index's own (which depends on how well the value compresses).  A
 * transfer's key on the router has at most 2000 bytes, so that key:cancel
 * fits.  The loaders keep statement refs to the same limit.
 */
#define LEDGER_INDEXED_TEXT_MAX 2048

/*
 * The ledger's own locks: advisory locks of the lock manager (a transaction
 * lock is released when the transaction ends, a session lock when it is
 * released or the session ends, as pg_advisory_lock's are, or when the
 * session releases all its advisory locks: pg_advisory_unlock_all(), DISCARD
 * ALL), in a space of tags no SQL function can name.  pg_advisory_lock() and its kin set the
 * tag's last field to 1 (one bigint key) or 2 (two integer keys); these set
 * it to LEDGER_LOCK_SPACE.  So a role that can merely connect to the
 * database cannot take the day-end's lock or a statement source's turn and
 * sit on it.  pg_locks shows them as locktype 'advisory' with objsubid 3.
 */
#define LEDGER_LOCK_SPACE 3

#include "storage/lockdefs.h"

extern bool ledger_lock(uint32 key1, uint32 key2, bool session, bool wait);
extern int	ledger_unlock_session(uint32 key1, uint32 key2);
extern bool ledger_lock_mode(uint32 key1, uint32 key2, LOCKMODE mode, bool session, bool wait);
extern int	ledger_unlock_session_mode(uint32 key1, uint32 key2, LOCKMODE mode);

#endif							/* LEDGER_H */
