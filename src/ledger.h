/*
 * ledger.h — configuration parameters shared by the C files.
 */
#ifndef LEDGER_H
#define LEDGER_H

extern int	ledger_hot_slots;
extern int	ledger_recon_grace_days;
extern bool ledger_statement_raw_lines;
extern char *ledger_book_timezone;

#endif							/* LEDGER_H */
