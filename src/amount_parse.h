/*
 * amount_parse.h — parser and formatter of the amount text form.
 *
 * Pure C (no PostgreSQL headers): the PostgreSQL type in amount.c and the
 * libFuzzer harness in test/fuzz/ both link it.  Every function reads exactly
 * the len bytes it is given (the input need not be NUL-terminated) and never
 * allocates.
 *
 * The binary form (send/receive) is decoded and encoded here too, so that
 * the fuzz harness can reach it.
 *
 * Text form:  [ws] <number> ws+ <currency> [ws]
 *         or  [ws] <currency> ws+ <number> [ws]
 *   number:   [+|-] digits [ . digits ]   (or [+|-] . digits)
 *   currency: CODE | CODE/N   (CODE: 1-12 of A-Z 0-9 _, case-insensitive;
 *                              N: 0-18; CODE alone must be an ISO 4217 code)
 *
 * Digits after the currency's decimal places are accepted only when they are
 * zeros: "12.340 CNY" is 12.34 CNY, "12.345 CNY" is an error.  Nothing is
 * ever rounded.
 */
#ifndef LEDGER_AMOUNT_PARSE_H
#define LEDGER_AMOUNT_PARSE_H

#include "currency.h"

typedef enum la_status
{
	LA_OK = 0,
	LA_SYNTAX,					/* malformed text */
	LA_CURRENCY,				/* malformed or unknown currency */
	LA_PRECISION,				/* more decimal places than the currency has */
	LA_RANGE,					/* beyond the signed 64-bit minor units */
	LA_TRUNCATED,				/* binary: the input ends inside a field */
	LA_DECIMALS,				/* binary: decimal places outside 0..18 */
	LA_CODELEN					/* binary: code length outside 1..12 */
} la_status;

typedef struct la_error
{
	la_status	status;
	int			value;			/* binary errors: see la_decode_binary() */
	char		detail[200];	/* a full sentence for errdetail() */
	char		hint[200];		/* a full sentence for errhint(), or "" */
} la_error;

/* Longest text la_format_amount can produce, with its terminating NUL. */
#define LA_AMOUNT_BUFSIZE	64
#define LA_CURRENCY_BUFSIZE	(LA_CODE_MAXLEN + 4)

extern la_status la_parse_currency(const char *s, size_t len,
								   la_currency *out, la_error *err);
extern la_status la_parse_amount(const char *s, size_t len,
								 int64_t *units, la_currency *cur, la_error *err);

/*
 * Parses a plain number (no currency, no white space) into minor units with
 * the given number of decimals.  Used by ledger.amount(numeric, text).
 */
extern la_status la_parse_number(const char *s, size_t len, la_currency cur,
								 int64_t *units, la_error *err);

/* Writes "CNY", "USDT/6" or "USD/4"; returns the length. */
extern size_t la_format_currency(la_currency cur, char *buf);

/* Writes "12.30 CNY"; buf must hold LA_AMOUNT_BUFSIZE bytes; returns length. */
extern size_t la_format_amount(int64_t units, la_currency cur, char *buf);

/* Writes the number alone ("-0.50"); buf as above; returns the length. */
extern size_t la_format_number(int64_t units, int decimals, char *buf);

/*
 * Binary form: int64 minor units, int16 decimal places and uint8 code
 * length, all big-endian, then the code's characters.
 */
#define LA_BINARY_HEADER	(8 + 2 + 1)
#define LA_BINARY_MAXLEN	(LA_BINARY_HEADER + LA_CODE_MAXLEN)

/*
 * Decodes one amount from buf[0..len), checking what ledger.amount_recv
 * checks, in the same order.  On success *used is the number of bytes read;
 * bytes after them are the caller's business (recv leaves them to
 * pq_getmsgend and COPY, which reject them).  Errors:
 *   LA_TRUNCATED  the input ends inside a field; err->value is the size of
 *                 that field in bytes (1 for the code length byte)
 *   LA_DECIMALS   decimal places outside 0..18; err->value holds them
 *   LA_CODELEN    code length outside 1..12; err->value holds it
 *   LA_CURRENCY   a code character outside A-Z, a-z, 0-9 and "_"
 */
extern la_status la_decode_binary(const char *buf, size_t len, int64_t *units,
								  la_currency *cur, size_t *used, la_error *err);

/* Encodes into buf (LA_BINARY_MAXLEN bytes); returns the length. */
extern size_t la_encode_binary(int64_t units, la_currency cur, char *buf);

#endif							/* LEDGER_AMOUNT_PARSE_H */
