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

#endif							/* LEDGER_H */
