/*
 * amount_parse.c — parser and formatter of the amount text form.
 *
 * Pure C: no PostgreSQL headers, no allocation, reads exactly the bytes it is
 * given.  See amount_parse.h for the grammar.
 */
#include "amount_parse.h"

#include <stdio.h>
#include <string.h>

#define UNITS_MAX_MAG	((uint64_t) INT64_MAX)
#define UNITS_MIN_MAG	((uint64_t) INT64_MAX + 1)	/* |INT64_MIN| */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static la_status
fail(la_error *err, la_status status, const char *detail, const char *hint)
{
	if (err)
	{
		err->status = status;
		err->value = 0;
		snprintf(err->detail, sizeof(err->detail), "%s", detail ? detail : "");
		snprintf(err->hint, sizeof(err->hint), "%s", hint ? hint : "");
	}
	return status;
}

static la_status
truncated(la_error *err, int field_size)
{
	fail(err, LA_TRUNCATED, "The binary value ends inside a field.", NULL);
	if (err)
		err->value = field_size;
	return LA_TRUNCATED;
}

/* Copies at most 12 bytes of a code token, upper-cased, for messages. */
static void
code_for_message(const char *s, size_t len, char *buf)
{
	size_t		i;

	if (len > LA_CODE_MAXLEN)
		len = LA_CODE_MAXLEN;
	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if (c >= 'a' && c <= 'z')
			c = (char) (c - 'a' + 'A');
		buf[i] = (c >= 0x20 && c < 0x7f && c != '"') ? c : '?';
	}
	buf[len] = '\0';
}

la_status
la_parse_currency(const char *s, size_t len, la_currency *out, la_error *err)
{
	const char *slash = memchr(s, '/', len);
	size_t		codelen = slash ? (size_t) (slash - s) : len;
	char		code[LA_CODE_MAXLEN + 1];
	char		msg[160];
	uint64_t	packed;
	int			decimals;

	if (codelen == 0)
		return fail(err, LA_CURRENCY, "The currency code is missing.",
					"Write the amount as \"<number> <CODE>\", e.g. \"12.34 CNY\".");
	if (codelen > LA_CODE_MAXLEN)
		return fail(err, LA_CURRENCY,
					"A currency code has at most 12 characters.", NULL);
	if (!la_code_pack(s, codelen, &packed))
		return fail(err, LA_CURRENCY,
					"A currency code consists of the letters A-Z, the digits 0-9 and \"_\".",
					NULL);
	code_for_message(s, codelen, code);

	if (slash)
	{
		const char *d = slash + 1;
		size_t		dlen = len - codelen - 1;
		size_t		i;

		decimals = 0;
		if (dlen == 0 || dlen > 2)
			return fail(err, LA_CURRENCY,
						"The number of decimal places after \"/\" must be between 0 and 18.",
						NULL);
		for (i = 0; i < dlen; i++)
		{
			if (!is_digit(d[i]))
				return fail(err, LA_CURRENCY,
							"The number of decimal places after \"/\" must be between 0 and 18.",
							NULL);
			decimals = decimals * 10 + (d[i] - '0');
		}
		if (decimals > LA_MAX_DECIMALS)
			return fail(err, LA_CURRENCY,
						"The number of decimal places after \"/\" must be between 0 and 18.",
						NULL);
	}
	else
	{
		decimals = la_iso_decimals(packed);
		if (decimals == LA_ISO_NO_MINOR)
		{
			snprintf(msg, sizeof(msg),
					 "ISO 4217 gives currency \"%s\" no minor unit.", code);
			return fail(err, LA_CURRENCY, msg,
						"Write it with its number of decimal places, e.g. \"XAU/4\".");
		}
		if (decimals == LA_ISO_UNKNOWN)
		{
			snprintf(msg, sizeof(msg),
					 "\"%s\" is not an ISO 4217 currency code.", code);
			return fail(err, LA_CURRENCY, msg,
						"Write other assets as CODE/N, where N is the number of decimal places, e.g. \"POINTS/0\" or \"USDT/6\".");
		}
	}
	out->code = packed;
	out->decimals = decimals;
	if (err)
		err->status = LA_OK;
	return LA_OK;
}

/* true if s[0..len) has the shape of a currency: code characters and "/" */
static bool
looks_like_currency(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if (s[i] != '/' && la_code_digit((unsigned char) s[i]) < 0)
			return false;
	return len > 0;
}

/* true if s[0..len) has the shape of a number */
static bool
looks_like_number(const char *s, size_t len)
{
	size_t		i = 0;
	bool		digits = false;
	bool		point = false;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	for (; i < len; i++)
	{
		if (is_digit(s[i]))
			digits = true;
		else if (s[i] == '.' && !point)
			point = true;
		else
			return false;
	}
	return digits;
}

la_status
la_parse_number(const char *s, size_t len, la_currency cur, int64_t *units,
				la_error *err)
{
	size_t		i = 0;
	bool		neg = false;
	uint64_t	mag = 0;
	uint64_t	limit;
	int			frac = 0;
	bool		excess = false;
	bool		range = false;
	char		code[LA_CURRENCY_BUFSIZE];
	char		msg[160];

	if (!looks_like_number(s, len))
		return fail(err, LA_SYNTAX, "The number is malformed.",
					"Write the amount as \"<number> <CODE>\", e.g. \"12.34 CNY\".");
	if (s[0] == '+' || s[0] == '-')
	{
		neg = (s[0] == '-');
		i++;
	}
	limit = neg ? UNITS_MIN_MAG : UNITS_MAX_MAG;

	for (; i < len && s[i] != '.'; i++)
	{
		unsigned	d = (unsigned) (s[i] - '0');

		if (mag > (limit - d) / 10)
			range = true;
		else
			mag = mag * 10 + d;
	}
	if (i < len)				/* the decimal point */
	{
		for (i++; i < len; i++)
		{
			unsigned	d = (unsigned) (s[i] - '0');

			if (frac >= cur.decimals)
			{
				if (d != 0)
					excess = true;
				continue;
			}
			frac++;
			if (mag > (limit - d) / 10)
				range = true;
			else
				mag = mag * 10 + d;
		}
	}
	if (excess)
	{
		la_format_currency(cur, code);
		snprintf(msg, sizeof(msg), "Currency \"%s\" has %d decimal place%s.",
				 code, cur.decimals, cur.decimals == 1 ? "" : "s");
		return fail(err, LA_PRECISION, msg,
					"Amounts are never rounded: round the value before converting it.");
	}
	for (; frac < cur.decimals && !range; frac++)
	{
		if (mag > limit / 10)
			range = true;
		else
			mag *= 10;
	}
	if (range)
		return fail(err, LA_RANGE,
					"An amount holds from -9223372036854775808 to 9223372036854775807 minor units.",
					NULL);

	if (neg)
		*units = (mag == UNITS_MIN_MAG) ? INT64_MIN : -(int64_t) mag;
	else
		*units = (int64_t) mag;
	if (err)
		err->status = LA_OK;
	return LA_OK;
}

la_status
la_parse_amount(const char *s, size_t len, int64_t *units, la_currency *cur,
				la_error *err)
{
	size_t		start = 0,
				end = len;
	size_t		t1s,
				t1e,
				t2s,
				t2e;
	const char *num,
			   *ccy;
	size_t		numlen,
				ccylen;
	la_status	st;

	while (start < end && is_space(s[start]))
		start++;
	while (end > start && is_space(s[end - 1]))
		end--;
	if (start == end)
		return fail(err, LA_SYNTAX, "The input is empty.",
					"Write the amount as \"<number> <CODE>\", e.g. \"12.34 CNY\".");

	/* exactly two tokens separated by white space */
	t1s = start;
	for (t1e = t1s; t1e < end && !is_space(s[t1e]); t1e++)
		;
	for (t2s = t1e; t2s < end && is_space(s[t2s]); t2s++)
		;
	if (t2s == end)
	{
		/* a single token: say which half is missing */
		if (looks_like_number(s + t1s, t1e - t1s))
			return fail(err, LA_SYNTAX, "The currency code is missing.",
						"Write the amount as \"<number> <CODE>\", e.g. \"12.34 CNY\".");
		if (looks_like_currency(s + t1s, t1e - t1s))
			return fail(err, LA_SYNTAX, "The number is missing.",
						"Write the amount as \"<number> <CODE>\", e.g. \"12.34 CNY\".");
		return fail(err, LA_SYNTAX,
					"An amount is a number and a currency code separated by white space.",
					"Write the amount as \"<number> <CODE>\", e.g. \"12.34 CNY\".");
	}
	for (t2e = t2s; t2e < end && !is_space(s[t2e]); t2e++)
		;
	if (t2e != end)
		return fail(err, LA_SYNTAX,
					"An amount is a number and a currency code separated by white space.",
					"Write the amount as \"<number> <CODE>\", e.g. \"12.34 CNY\".");

	if (looks_like_number(s + t1s, t1e - t1s))
	{
		num = s + t1s;
		numlen = t1e - t1s;
		ccy = s + t2s;
		ccylen = t2e - t2s;
	}
	else
	{
		ccy = s + t1s;
		ccylen = t1e - t1s;
		num = s + t2s;
		numlen = t2e - t2s;
		if (!looks_like_number(num, numlen))
			return fail(err, LA_SYNTAX, "The number is malformed.",
						"Write the amount as \"<number> <CODE>\", e.g. \"12.34 CNY\".");
	}

	st = la_parse_currency(ccy, ccylen, cur, err);
	if (st != LA_OK)
		return st;
	return la_parse_number(num, numlen, *cur, units, err);
}

size_t
la_format_currency(la_currency cur, char *buf)
{
	size_t		n = la_code_unpack(cur.code, buf);

	if (la_iso_decimals(cur.code) != cur.decimals)
		n += (size_t) snprintf(buf + n, LA_CURRENCY_BUFSIZE - n, "/%d", cur.decimals);
	return n;
}

size_t
la_format_number(int64_t units, int decimals, char *buf)
{
	char		tmp[24];
	int			nd = 0;
	size_t		n = 0;
	uint64_t	mag;

	mag = units < 0 ? (uint64_t) (-(units + 1)) + 1 : (uint64_t) units;
	do
	{
		tmp[nd++] = (char) ('0' + mag % 10);
		mag /= 10;
	} while (mag != 0);
	while (nd < decimals + 1)
		tmp[nd++] = '0';

	if (units < 0)
		buf[n++] = '-';
	while (nd > 0)
	{
		if (nd == decimals)
			buf[n++] = '.';
		buf[n++] = tmp[--nd];
	}
	buf[n] = '\0';
	return n;
}

size_t
la_format_amount(int64_t units, la_currency cur, char *buf)
{
	size_t		n = la_format_number(units, cur.decimals, buf);

	buf[n++] = ' ';
	n += la_format_currency(cur, buf + n);
	return n;
}

/* ---------- binary form ---------- */

la_status
la_decode_binary(const char *buf, size_t len, int64_t *units, la_currency *cur,
				 size_t *used, la_error *err)
{
	const unsigned char *b = (const unsigned char *) buf;
	uint64_t	u = 0;
	int			decimals;
	size_t		codelen;
	uint64_t	packed;
	char		msg[160];
	int			i;

	/* the three fixed fields, each read whole or reported cut short */
	if (len < 8)
		return truncated(err, 8);
	for (i = 0; i < 8; i++)
		u = (u << 8) | b[i];
	if (len < 8 + 2)
		return truncated(err, 2);
	decimals = (b[8] << 8) | b[9];
	if (decimals >= 0x8000)
		decimals -= 0x10000;	/* an int16 */
	if (len < LA_BINARY_HEADER)
		return truncated(err, 1);
	codelen = b[10];

	if (decimals < 0 || decimals > LA_MAX_DECIMALS)
	{
		snprintf(msg, sizeof(msg),
				 "The number of decimal places must be between 0 and %d.",
				 LA_MAX_DECIMALS);
		fail(err, LA_DECIMALS, msg, NULL);
		if (err)
			err->value = decimals;
		return LA_DECIMALS;
	}
	if (codelen < 1 || codelen > LA_CODE_MAXLEN)
	{
		fail(err, LA_CODELEN, "A currency code has 1 to 12 characters.", NULL);
		if (err)
			err->value = (int) codelen;
		return LA_CODELEN;
	}
	if (len - LA_BINARY_HEADER < codelen)
		return truncated(err, (int) codelen);
	if (!la_code_pack(buf + LA_BINARY_HEADER, codelen, &packed))
		return fail(err, LA_CURRENCY,
					"A currency code consists of the letters A-Z, the digits 0-9 and \"_\".",
					NULL);

	/* two's complement without relying on the conversion of large values */
	*units = (u <= (uint64_t) INT64_MAX) ? (int64_t) u : -(int64_t) (~u) - 1;
	cur->code = packed;
	cur->decimals = decimals;
	*used = LA_BINARY_HEADER + codelen;
	if (err)
		err->status = LA_OK;
	return LA_OK;
}

size_t
la_encode_binary(int64_t units, la_currency cur, char *buf)
{
	unsigned char *b = (unsigned char *) buf;
	uint64_t	u = (uint64_t) units;
	uint16_t	d = (uint16_t) (int16_t) cur.decimals;
	char		code[LA_CODE_MAXLEN + 1];
	size_t		codelen = la_code_unpack(cur.code, code);
	int			i;

	for (i = 7; i >= 0; i--)
	{
		b[i] = (unsigned char) (u & 0xff);
		u >>= 8;
	}
	b[8] = (unsigned char) (d >> 8);
	b[9] = (unsigned char) (d & 0xff);
	b[10] = (unsigned char) codelen;
	memcpy(b + LA_BINARY_HEADER, code, codelen);
	return LA_BINARY_HEADER + codelen;
}
