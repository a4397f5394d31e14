/*
 * currency.h — currency codes and the built-in ISO 4217 table.
 *
 * Pure C (no PostgreSQL headers) so that the amount parser built on it can be
 * compiled into a libFuzzer harness.
 *
 * A currency (asset) is a code of 1-12 characters from A-Z, 0-9 and '_' plus a
 * number of decimal places 0-18.  The code is packed into a uint64 in base 38
 * (0 = padding, '0'-'9' = 1-10, 'A'-'Z' = 11-36, '_' = 37), most significant
 * character first and padded to 12 characters.  38^12 < 2^63, and comparing two
 * packed codes as integers compares the codes as strings.
 */
#ifndef LEDGER_CURRENCY_H
#define LEDGER_CURRENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LA_CODE_MAXLEN		12
#define LA_MAX_DECIMALS		18

/* ISO table lookups: decimals, or one of these */
#define LA_ISO_UNKNOWN		(-1)	/* not an ISO 4217 code */
#define LA_ISO_NO_MINOR		(-2)	/* ISO code without minor unit (XAU, XDR...) */

typedef struct la_currency
{
	uint64_t	code;			/* packed code, never 0 for a valid currency */
	int			decimals;		/* 0..LA_MAX_DECIMALS */
} la_currency;

/* character <-> digit of the base-38 packing; -1 if not a code character */
extern int	la_code_digit(int c);

/*
 * Packs s[0..len) (case-insensitive).  Returns false if len is 0 or more than
 * 12, or a character is not allowed.
 */
extern bool la_code_pack(const char *s, size_t len, uint64_t *out);

/* Unpacks into buf (at least LA_CODE_MAXLEN + 1 bytes); returns the length. */
extern size_t la_code_unpack(uint64_t code, char *buf);

/* true if code is a valid packing (no character after a padding position) */
extern bool la_code_valid(uint64_t code);

/* Decimals of an ISO 4217 code, or LA_ISO_UNKNOWN / LA_ISO_NO_MINOR. */
extern int	la_iso_decimals(uint64_t code);

/* Number of entries in the built-in table and the i-th one, for listings. */
extern int	la_iso_count(void);
extern const char *la_iso_code(int i, int *decimals);

#endif							/* LEDGER_CURRENCY_H */
