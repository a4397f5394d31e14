/*
 * fuzz_common.h — helpers shared by the libFuzzer harnesses.
 *
 * Every harness hands the parsers an exactly sized heap copy of its input,
 * without a terminating NUL, so that AddressSanitizer catches any read past
 * the bytes a function was given.
 */
#ifndef LEDGER_FUZZ_COMMON_H
#define LEDGER_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amount_parse.h"

#define CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* An exactly sized copy of s[0..n): no NUL after it, no slack. */
static inline char *
exact_copy(const void *s, size_t n)
{
	char	   *p = malloc(n);

	CHECK(p != NULL || n == 0);
	if (n > 0)
		memcpy(p, s, n);
	return p;
}

static inline void
check_currency(la_currency cur)
{
	CHECK(cur.code != 0);
	CHECK(la_code_valid(cur.code));
	CHECK(cur.decimals >= 0 && cur.decimals <= LA_MAX_DECIMALS);
}

static inline bool
same_currency(la_currency a, la_currency b)
{
	return a.code == b.code && a.decimals == b.decimals;
}

/* an error leaves a status, a non-empty terminated detail and a terminated hint */
static inline void
check_error(const la_error *err, la_status st)
{
	CHECK(st != LA_OK);
	CHECK(err->status == st);
	CHECK(memchr(err->detail, '\0', sizeof(err->detail)) != NULL);
	CHECK(err->detail[0] != '\0');
	CHECK(memchr(err->hint, '\0', sizeof(err->hint)) != NULL);
}

/*
 * The round trips every valid amount must survive, whichever way it was
 * obtained: text in both orders, the currency and the number alone, and the
 * binary form.
 */
static inline void
check_amount_round_trips(int64_t units, la_currency cur)
{
	char		text[LA_AMOUNT_BUFSIZE];
	char		text2[LA_AMOUNT_BUFSIZE];
	char		ccy[LA_CURRENCY_BUFSIZE];
	char		num[LA_AMOUNT_BUFSIZE];
	char		swapped[LA_AMOUNT_BUFSIZE + LA_CURRENCY_BUFSIZE];
	char		bin[LA_BINARY_MAXLEN];
	char	   *copy;
	size_t		n,
				n2,
				cn,
				nn,
				bn,
				used;
	int64_t		u2;
	la_currency c2;
	la_error	err;

	check_currency(cur);

	/* format, parse, format again: the same value and the same text */
	n = la_format_amount(units, cur, text);
	CHECK(n < LA_AMOUNT_BUFSIZE);
	CHECK(strlen(text) == n);
	copy = exact_copy(text, n);
	CHECK(la_parse_amount(copy, n, &u2, &c2, &err) == LA_OK);
	CHECK(err.status == LA_OK);
	CHECK(u2 == units && same_currency(c2, cur));
	free(copy);
	n2 = la_format_amount(u2, c2, text2);
	CHECK(n2 == n && memcmp(text, text2, n) == 0);

	/* the pieces: currency alone, number alone, and "<CODE> <number>" */
	cn = la_format_currency(cur, ccy);
	CHECK(cn < LA_CURRENCY_BUFSIZE && strlen(ccy) == cn);
	nn = la_format_number(units, cur.decimals, num);
	CHECK(nn < LA_AMOUNT_BUFSIZE && strlen(num) == nn);
	CHECK(nn + 1 + cn == n);
	CHECK(memcmp(text, num, nn) == 0 && text[nn] == ' ' && memcmp(text + nn + 1, ccy, cn) == 0);

	copy = exact_copy(ccy, cn);
	CHECK(la_parse_currency(copy, cn, &c2, &err) == LA_OK);
	CHECK(same_currency(c2, cur));
	free(copy);

	copy = exact_copy(num, nn);
	CHECK(la_parse_number(copy, nn, cur, &u2, &err) == LA_OK);
	CHECK(u2 == units);
	free(copy);

	memcpy(swapped, ccy, cn);
	swapped[cn] = ' ';
	memcpy(swapped + cn + 1, num, nn);
	copy = exact_copy(swapped, cn + 1 + nn);
	CHECK(la_parse_amount(copy, cn + 1 + nn, &u2, &c2, &err) == LA_OK);
	CHECK(u2 == units && same_currency(c2, cur));
	free(copy);

	/* binary: encode, decode, encode again */
	bn = la_encode_binary(units, cur, bin);
	CHECK(bn > LA_BINARY_HEADER && bn <= LA_BINARY_MAXLEN);
	copy = exact_copy(bin, bn);
	CHECK(la_decode_binary(copy, bn, &u2, &c2, &used, &err) == LA_OK);
	CHECK(used == bn);
	CHECK(u2 == units && same_currency(c2, cur));
	free(copy);
	{
		char		bin2[LA_BINARY_MAXLEN];

		CHECK(la_encode_binary(u2, c2, bin2) == bn);
		CHECK(memcmp(bin, bin2, bn) == 0);
	}
}

#endif							/* LEDGER_FUZZ_COMMON_H */
