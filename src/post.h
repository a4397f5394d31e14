/*
 * post.h — what ledger.post shares with the other functions that write
 * vouchers or holds (hold.c): who may read an existing row in an error
 * message, the amounts argument in its three forms, and the error for an
 * insert a rule rewrote.
 */
#ifndef LEDGER_POST_H
#define LEDGER_POST_H

#include "postgres.h"
#include "fmgr.h"
#include "utils/array.h"

#include "ledger.h"

/*
 * Whether the caller may read an existing row's content in an error
 * message: it can SELECT both relations (checked for the role outside the
 * SECURITY DEFINER function), or its session user is created_by (and, when
 * also_by is true, also_created_by too).
 */
extern bool post_caller_may_read(Oid rel1, Oid rel2, const char *created_by,
								 bool also_by, const char *also_created_by);

/*
 * The amounts argument argno as ledger.amount[]: declared ledger.amount[],
 * text[] (each element read as an amount; a malformed one names its line)
 * or text (one array literal).  what names the row ("voucher", "hold").
 */
extern ArrayType *post_amounts_argument(FunctionCallInfo fcinfo, int argno,
										const char *what, const char *key);

/*
 * 55000 for an INSERT that a rule rewrote: rc is what SPI returned,
 * processed the rows it inserted, n the rows (called rows) it should have;
 * what and key name the row being written.  Callers free their plans first.
 */
extern void post_rewritten_error(const char *table, int rc, uint64 processed,
								 const char *what, const char *key, int n,
								 const char *rows) pg_attribute_noreturn();

/*
 * The parts of a row that differ from a call's, for a reader who may not see
 * their content: "summary", "summary and lines", "summary, ref and lines".
 */
extern char *post_list_parts(const char *const *parts, int nparts);

/*
 * 54000 unless the value (a text datum, possibly toasted) of the "what"
 * ("idempotency key", "ref") of a row ("voucher", "hold") has at most
 * LEDGER_INDEXED_TEXT_MAX bytes.
 */
extern void post_check_indexed_text(const char *what, const char *row, Datum value);
extern void post_check_key(const char *row, Datum value);

#endif							/* LEDGER_POST_H */
