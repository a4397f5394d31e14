/*
 * currency.c — base-38 currency code packing and the ISO 4217 table.
 *
 * Pure C: no PostgreSQL headers.
 */
#include "currency.h"

#include <string.h>

/*
 * ISO 4217 alphabetic codes with their minor units (list one, up to
 * amendment 180 of September 2025), in alphabetical order: the binary search
 * in la_iso_decimals() depends on that order.  -2 marks the codes whose minor
 * unit is "N.A." (precious metals, units of account, test and "no currency"
 * codes); those must be written with an explicit /N.
 *
 * Codes withdrawn recently (ANG, BGN, CUC, HRK, SLL, ZWL) are kept so that
 * historical records still parse; they carry their last minor unit.
 */
static const struct
{
	char		code[4];
	signed char decimals;
}			iso_table[] =
{
	{"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2},
	{"ARS", 2}, {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2},
	{"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2},
	{"BOB", 2}, {"BOV", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2},
	{"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHE", 2}, {"CHF", 2},
	{"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"COU", 2},
	{"CRC", 2}, {"CUC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0},
	{"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2},
	{"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2},
	{"GIP", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2},
	{"HNL", 2}, {"HRK", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2},
	{"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3},
	{"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2},
	{"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2},
	{"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2},
	{"MGA", 2}, {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2},
	{"MUR", 2}, {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MXV", 2}, {"MYR", 2},
	{"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2}, {"NPR", 2},
	{"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2},
	{"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2},
	{"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2},
	{"SEK", 2}, {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SLL", 2}, {"SOS", 2},
	{"SRD", 2}, {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2},
	{"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2},
	{"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2},
	{"USN", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2}, {"VED", 2},
	{"VES", 2}, {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAD", 2}, {"XAF", 0},
	{"XAG", -2}, {"XAU", -2}, {"XBA", -2}, {"XBB", -2}, {"XBC", -2}, {"XBD", -2},
	{"XCD", 2}, {"XCG", 2}, {"XDR", -2}, {"XOF", 0}, {"XPD", -2}, {"XPF", 0},
	{"XPT", -2}, {"XSU", -2}, {"XTS", -2}, {"XUA", -2}, {"XXX", -2}, {"YER", 2},
	{"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2}, {"ZWL", 2},
};

#define ISO_COUNT ((int) (sizeof(iso_table) / sizeof(iso_table[0])))

int
la_code_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0' + 1;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 11;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 11;
	if (c == '_')
		return 37;
	return -1;
}

static const char code_chars[] = "\0" "0123456789" "ABCDEFGHIJKLMNOPQRSTUVWXYZ" "_";

bool
la_code_pack(const char *s, size_t len, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (len == 0 || len > LA_CODE_MAXLEN)
		return false;
	for (i = 0; i < LA_CODE_MAXLEN; i++)
	{
		int			d = 0;

		if (i < len)
		{
			d = la_code_digit((unsigned char) s[i]);
			if (d < 0)
				return false;
		}
		v = v * 38 + (uint64_t) d;
	}
	*out = v;
	return true;
}

size_t
la_code_unpack(uint64_t code, char *buf)
{
	int			digits[LA_CODE_MAXLEN];
	size_t		n = 0;
	int			i;

	for (i = LA_CODE_MAXLEN - 1; i >= 0; i--)
	{
		digits[i] = (int) (code % 38);
		code /= 38;
	}
	for (i = 0; i < LA_CODE_MAXLEN && digits[i] != 0; i++)
		buf[n++] = code_chars[digits[i]];
	buf[n] = '\0';
	return n;
}

bool
la_code_valid(uint64_t code)
{
	int			digits[LA_CODE_MAXLEN];
	int			i;
	bool		padding = false;

	for (i = LA_CODE_MAXLEN - 1; i >= 0; i--)
	{
		digits[i] = (int) (code % 38);
		code /= 38;
	}
	if (code != 0)
		return false;			/* beyond 38^12 */
	for (i = 0; i < LA_CODE_MAXLEN; i++)
	{
		if (digits[i] == 0)
			padding = true;
		else if (padding)
			return false;		/* a character after the end */
	}
	return digits[0] != 0;
}

int
la_iso_decimals(uint64_t code)
{
	static uint64_t packed[ISO_COUNT];
	static bool ready = false;
	int			lo = 0,
				hi = ISO_COUNT - 1;

	if (!ready)
	{
		int			i;

		for (i = 0; i < ISO_COUNT; i++)
			(void) la_code_pack(iso_table[i].code, 3, &packed[i]);
		ready = true;
	}
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (packed[mid] == code)
			return iso_table[mid].decimals;
		if (packed[mid] < code)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return LA_ISO_UNKNOWN;
}

int
la_iso_count(void)
{
	return ISO_COUNT;
}

const char *
la_iso_code(int i, int *decimals)
{
	if (i < 0 || i >= ISO_COUNT)
		return NULL;
	*decimals = iso_table[i].decimals;
	return iso_table[i].code;
}
