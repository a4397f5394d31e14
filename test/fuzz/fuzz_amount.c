/*
 * fuzz_amount.c — libFuzzer harness of the amount text form.
 *
 * Feeds the input, as an exactly sized buffer without a NUL, to
 * la_parse_amount(), la_parse_currency() and la_parse_number() (the first
 * byte choosing the decimal places of the latter), and checks:
 *
 *   - no crash, no undefined behaviour, no read outside the input;
 *   - each result agrees with a plain reference implementation written from
 *     the grammar in amount_parse.h (status and value);
 *   - whatever parses survives the round trips of check_amount_round_trips():
 *     format then parse gives the same (units, code, decimals), and
 *     format(parse(format(x))) == format(x), in both word orders and in the
 *     binary form.
 *
 * Build and run with test/fuzz/run.sh.
 */
#include "fuzz_common.h"

/* ---------- reference implementation ---------- */

static bool
ref_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* [+|-] digits [. digits] or [+|-] . digits, at least one digit */
static bool
ref_is_number(const char *s, size_t n)
{
	size_t		i = 0;
	int			digits = 0,
				points = 0;

	if (n > 0 && (s[0] == '+' || s[0] == '-'))
		i = 1;
	for (; i < n; i++)
	{
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '.')
			points++;
		else
			return false;
	}
	return digits > 0 && points <= 1;
}

/* the number as minor units with the given decimals, computed in 128 bits */
static la_status
ref_number(const char *s, size_t n, int decimals, int64_t *units)
{
	__int128	v = 0;
	const __int128 cap = (__int128) 1 << 100;	/* far beyond any int64 */
	bool		neg = false,
				big = false,
				point = false,
				excess = false;
	int			frac = 0;
	size_t		i = 0;

	if (!ref_is_number(s, n))
		return LA_SYNTAX;
	if (s[0] == '+' || s[0] == '-')
	{
		neg = (s[0] == '-');
		i = 1;
	}
	for (; i < n; i++)
	{
		if (s[i] == '.')
		{
			point = true;
			continue;
		}
		if (point && frac == decimals)
		{
			if (s[i] != '0')
				excess = true;
			continue;
		}
		if (point)
			frac++;
		v = v * 10 + (s[i] - '0');
		if (v > cap)
		{
			big = true;
			v = cap;
		}
	}
	if (excess)
		return LA_PRECISION;
	for (; frac < decimals; frac++)
	{
		v *= 10;
		if (v > cap)
		{
			big = true;
			v = cap;
		}
	}
	if (neg)
		v = -v;
	if (big || v > INT64_MAX || v < INT64_MIN)
		return LA_RANGE;
	*units = (int64_t) v;
	return LA_OK;
}

static int
ref_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0' + 1;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 11;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 11;
	return c == '_' ? 37 : -1;
}

/* CODE or CODE/N, as the header describes it */
static la_status
ref_currency(const char *s, size_t n, la_currency *cur)
{
	size_t		codelen = 0,
				i;
	uint64_t	packed = 0;
	int			decimals;

	while (codelen < n && s[codelen] != '/')
		codelen++;
	if (codelen < 1 || codelen > LA_CODE_MAXLEN)
		return LA_CURRENCY;
	for (i = 0; i < LA_CODE_MAXLEN; i++)
	{
		int			d = 0;

		if (i < codelen && (d = ref_digit(s[i])) < 0)
			return LA_CURRENCY;
		packed = packed * 38 + (uint64_t) d;
	}
	if (codelen < n)
	{
		size_t		dlen = n - codelen - 1;

		if (dlen < 1 || dlen > 2)
			return LA_CURRENCY;
		decimals = 0;
		for (i = codelen + 1; i < n; i++)
		{
			if (s[i] < '0' || s[i] > '9')
				return LA_CURRENCY;
			decimals = decimals * 10 + (s[i] - '0');
		}
		if (decimals > LA_MAX_DECIMALS)
			return LA_CURRENCY;
	}
	else
	{
		decimals = la_iso_decimals(packed);
		if (decimals < 0)
			return LA_CURRENCY;
		CHECK(codelen == 3);
	}
	cur->code = packed;
	cur->decimals = decimals;
	return LA_OK;
}

static la_status
ref_amount(const char *s, size_t n, int64_t *units, la_currency *cur)
{
	size_t		start[3],
				len[3];
	int			tokens = 0;
	size_t		i = 0;
	const char *num,
			   *ccy;
	size_t		numlen,
				ccylen;
	la_status	st;

	while (i < n && tokens < 3)
	{
		while (i < n && ref_space(s[i]))
			i++;
		if (i == n)
			break;
		start[tokens] = i;
		while (i < n && !ref_space(s[i]))
			i++;
		len[tokens] = i - start[tokens];
		tokens++;
	}
	if (tokens != 2)
		return LA_SYNTAX;
	if (ref_is_number(s + start[0], len[0]))
	{
		num = s + start[0], numlen = len[0];
		ccy = s + start[1], ccylen = len[1];
	}
	else
	{
		ccy = s + start[0], ccylen = len[0];
		num = s + start[1], numlen = len[1];
		if (!ref_is_number(num, numlen))
			return LA_SYNTAX;
	}
	st = ref_currency(ccy, ccylen, cur);
	if (st != LA_OK)
		return st;
	return ref_number(num, numlen, cur->decimals, units);
}

/* ---------- the harness ---------- */

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = exact_copy(data, size);
	int64_t		units,
				ref_units;
	la_currency cur,
				ref_cur;
	la_error	err;
	la_status	st,
				ref_st;

	/* the whole input as an amount */
	st = la_parse_amount(s, size, &units, &cur, &err);
	ref_st = ref_amount(s, size, &ref_units, &ref_cur);
	CHECK(st == ref_st);
	if (st == LA_OK)
	{
		CHECK(err.status == LA_OK);
		CHECK(units == ref_units && same_currency(cur, ref_cur));
		check_amount_round_trips(units, cur);
	}
	else
	{
		CHECK(st == LA_SYNTAX || st == LA_CURRENCY || st == LA_PRECISION || st == LA_RANGE);
		check_error(&err, st);
	}

	/* the whole input as a currency */
	st = la_parse_currency(s, size, &cur, &err);
	ref_st = ref_currency(s, size, &ref_cur);
	CHECK(st == ref_st);
	if (st == LA_OK)
	{
		char		buf[LA_CURRENCY_BUFSIZE];
		size_t		n;
		la_currency again;
		char	   *copy;

		CHECK(same_currency(cur, ref_cur));
		check_currency(cur);
		n = la_format_currency(cur, buf);
		CHECK(n < LA_CURRENCY_BUFSIZE && strlen(buf) == n);
		copy = exact_copy(buf, n);
		CHECK(la_parse_currency(copy, n, &again, &err) == LA_OK);
		CHECK(same_currency(again, cur));
		free(copy);
		check_amount_round_trips(0, cur);
		check_amount_round_trips(INT64_MIN, cur);
		check_amount_round_trips(INT64_MAX, cur);
	}
	else
	{
		CHECK(st == LA_CURRENCY);
		check_error(&err, st);
	}

	/* the rest of the input as a number, the first byte choosing decimals */
	if (size > 0)
	{
		la_currency x;
		char	   *rest = exact_copy(s + 1, size - 1);

		CHECK(la_code_pack("X", 1, &x.code));
		x.decimals = (unsigned char) s[0] % (LA_MAX_DECIMALS + 1);
		st = la_parse_number(rest, size - 1, x, &units, &err);
		ref_st = ref_number(rest, size - 1, x.decimals, &ref_units);
		CHECK(st == ref_st);
		if (st == LA_OK)
		{
			CHECK(units == ref_units);
			check_amount_round_trips(units, x);
		}
		else
		{
			CHECK(st == LA_SYNTAX || st == LA_PRECISION || st == LA_RANGE);
			check_error(&err, st);
		}
		free(rest);
	}

	free(s);
	return 0;
}
