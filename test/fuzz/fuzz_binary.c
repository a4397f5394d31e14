/*
 * fuzz_binary.c — libFuzzer harness of the binary form (send/receive).
 *
 * Feeds the input, as an exactly sized buffer, to la_decode_binary() (the
 * checks of ledger.amount_recv) and checks:
 *
 *   - no crash, no undefined behaviour, no read outside the input;
 *   - the verdict agrees with a reference written from the format: int64
 *     units, int16 decimals 0..18, uint8 code length 1..12, code characters,
 *     each field read whole before the next is looked at;
 *   - decode -> encode -> decode gives the same value, and the encoding is
 *     the input's first bytes with the code in upper case;
 *   - receive accepts nothing that text input would refuse: the decoded
 *     value formatted as text parses back to itself (and all the other
 *     round trips of check_amount_round_trips()).
 *
 * Build and run with test/fuzz/run.sh.
 */
#include "fuzz_common.h"

static la_status
ref_decode(const unsigned char *b, size_t n, int *field)
{
	int			decimals;
	size_t		len,
				i;

	*field = 0;
	if (n < 8)
		return (*field = 8), LA_TRUNCATED;
	if (n < 10)
		return (*field = 2), LA_TRUNCATED;
	if (n < 11)
		return (*field = 1), LA_TRUNCATED;
	decimals = (int16_t) (uint16_t) ((b[8] << 8) | b[9]);
	if (decimals < 0 || decimals > 18)
		return (*field = decimals), LA_DECIMALS;
	len = b[10];
	if (len < 1 || len > 12)
		return (*field = (int) len), LA_CODELEN;
	if (n < 11 + len)
		return (*field = (int) len), LA_TRUNCATED;
	for (i = 0; i < len; i++)
	{
		unsigned char c = b[11 + i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || c == '_'))
			return LA_CURRENCY;
	}
	return LA_OK;
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *b = exact_copy(data, size);
	int64_t		units;
	la_currency cur;
	size_t		used = 0;
	la_error	err;
	la_status	st,
				ref_st;
	int			field;

	st = la_decode_binary(b, size, &units, &cur, &used, &err);
	ref_st = ref_decode(data, size, &field);
	CHECK(st == ref_st);
	if (st == LA_OK)
	{
		char		enc[LA_BINARY_MAXLEN];
		size_t		n,
					i;

		CHECK(err.status == LA_OK);
		CHECK(used > LA_BINARY_HEADER && used <= size && used <= LA_BINARY_MAXLEN);
		check_currency(cur);

		/* the canonical encoding: the same bytes, the code upper-cased */
		n = la_encode_binary(units, cur, enc);
		CHECK(n == used);
		CHECK(memcmp(enc, data, LA_BINARY_HEADER) == 0);
		for (i = LA_BINARY_HEADER; i < n; i++)
		{
			unsigned char c = data[i];

			if (c >= 'a' && c <= 'z')
				c = (unsigned char) (c - 'a' + 'A');
			CHECK((unsigned char) enc[i] == c);
		}
		check_amount_round_trips(units, cur);
	}
	else
	{
		CHECK(st == LA_TRUNCATED || st == LA_DECIMALS || st == LA_CODELEN ||
			  st == LA_CURRENCY);
		check_error(&err, st);
		if (st != LA_CURRENCY)
			CHECK(err.value == field);
	}
	free(b);
	return 0;
}
