/*
 * amount.h — the ledger.amount type: an exact, currency-tagged amount.
 *
 * Fixed length (24 bytes), passed by reference, double-aligned.  Every value
 * is built with palloc0 (or a zeroed struct) so that the reserved field and
 * any padding are zero: the hash functions hash the bytes.
 */
#ifndef LEDGER_AMOUNT_H
#define LEDGER_AMOUNT_H

#include "postgres.h"
#include "utils/numeric.h"
#include "fmgr.h"

#include "amount_parse.h"

typedef struct LedgerAmount
{
	int64		units;			/* value in minor units */
	uint64		code;			/* packed currency code (currency.h) */
	int32		decimals;		/* decimal places, 0..18 */
	int32		reserved;		/* always zero */
} LedgerAmount;

#define DatumGetLedgerAmountP(X)	((LedgerAmount *) DatumGetPointer(X))
#define LedgerAmountPGetDatum(X)	PointerGetDatum(X)
#define PG_GETARG_LEDGER_AMOUNT_P(n) DatumGetLedgerAmountP(PG_GETARG_DATUM(n))
#define PG_RETURN_LEDGER_AMOUNT_P(x) return LedgerAmountPGetDatum(x)

static inline la_currency
amount_currency(const LedgerAmount *a)
{
	la_currency c;

	c.code = a->code;
	c.decimals = a->decimals;
	return c;
}

static inline bool
currency_equal(la_currency a, la_currency b)
{
	return a.code == b.code && a.decimals == b.decimals;
}

static inline bool
amount_same_currency(const LedgerAmount *a, const LedgerAmount *b)
{
	return a->code == b->code && a->decimals == b->decimals;
}

/* A palloc'd amount. */
extern LedgerAmount *amount_make(int64 units, la_currency cur);

/* The currency as written on output ("CNY", "USDT/6"), palloc'd. */
extern char *currency_to_cstring(la_currency cur);

/* The amount as written on output, palloc'd. */
extern char *amount_to_cstring(int64 units, la_currency cur);

/* Parses a currency, raising 22P02 with a helpful detail on failure. */
extern la_currency currency_from_cstring(const char *str);

/* Raises 42804 naming both currencies; verb is "add", "compare", ... */
extern void currency_mismatch_error(la_currency a, la_currency b,
									const char *verb) pg_attribute_noreturn();

/*
 * The currency tag of an aggregate's state: the first amount's currency sets
 * it, every later one must match (42804, verb as for currency_mismatch_error).
 */
static inline void
currency_tag(bool *has, la_currency *tag, la_currency cur, const char *verb)
{
	if (!*has)
	{
		*has = true;
		*tag = cur;
	}
	else if (!currency_equal(*tag, cur))
		currency_mismatch_error(*tag, cur, verb);
}

/* The aggregate's memory context; fname names the caller in the error. */
extern MemoryContext amount_agg_context(FunctionCallInfo fcinfo, const char *fname);

/* 22003 for a result beyond the 64-bit minor units. */
extern void amount_out_of_range_error(void) pg_attribute_noreturn();

/*
 * 22003 for a sum (a summary account's roll-up, a total, a period's
 * turnover) beyond the range of an amount: names the account (code NULL: the
 * total over the top-level accounts), the currency, what the sum is, and its
 * value in minor units when the caller has it (units may be NULL).
 */
extern void sum_out_of_range_error(const char *code, la_currency cur, const char *what,
								   Numeric units) pg_attribute_noreturn();

/* units as int64 when they fit (integral numeric within 64 bits) */
extern bool numeric_units_fit(Numeric units, int64 *out);

/* Three-way comparison of the total order (currency, units). */
extern int	amount_cmp_internal(const LedgerAmount *a, const LedgerAmount *b);

#endif							/* LEDGER_AMOUNT_H */
