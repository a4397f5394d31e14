/*
 * amount.c — the ledger.amount type: I/O, arithmetic, comparison, hashing,
 * constructors and the sum aggregate.
 *
 * All functions are immutable and depend on nothing but their arguments (the
 * currency table is compiled in).
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "common/int.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/sortsupport.h"

#include "amount.h"
#include "raise.h"
#include "wide.h"

/* ---------- helpers shared with the other files ---------- */

LedgerAmount *
amount_make(int64 units, la_currency cur)
{
	LedgerAmount *a = (LedgerAmount *) palloc0(sizeof(LedgerAmount));

	a->units = units;
	a->code = cur.code;
	a->decimals = cur.decimals;
	return a;
}

char *
currency_to_cstring(la_currency cur)
{
	char	   *buf = palloc(LA_CURRENCY_BUFSIZE);

	la_format_currency(cur, buf);
	return buf;
}

char *
amount_to_cstring(int64 units, la_currency cur)
{
	char	   *buf = palloc(LA_AMOUNT_BUFSIZE);

	la_format_amount(units, cur, buf);
	return buf;
}

la_currency
currency_from_cstring(const char *str)
{
	la_currency cur;
	la_error	err;

	if (la_parse_currency(str, strlen(str), &cur, &err) != LA_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid currency \"%s\"", str),
				 errdetail("%s", err.detail),
				 err.hint[0] ? errhint("%s", err.hint) : 0));
	return cur;
}

/*
 * verb is "add" or "subtract" (two operands) or the aggregate's "sum" or
 * "balance" (a group of rows).
 */
void
currency_mismatch_error(la_currency a, la_currency b, const char *verb)
{
	char	   *ca = currency_to_cstring(a);
	char	   *cb = currency_to_cstring(b);
	bool		operands = strcmp(verb, "add") == 0 || strcmp(verb, "subtract") == 0;

	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("cannot %s amounts in different currencies \"%s\" and \"%s\"",
					verb, ca, cb),
			 a.code == b.code ?
			 errdetail("\"%s\" has %d decimal places and \"%s\" %d: the same code with other decimal places is another asset.",
					   ca, a.decimals, cb, b.decimals) :
			 operands ?
			 errdetail("The left operand is in %s and the right operand in %s; amounts in different currencies never mix.",
					   ca, cb) :
			 errdetail("The group's first amount is in %s and another in %s; amounts in different currencies never mix.",
					   ca, cb),
			 operands ? 0 :
			 errhint("Group by ledger.currency(amount) to %s each currency separately.", verb)));
}

void
sum_out_of_range_error(const char *code, la_currency cur, const char *what, Numeric units)
{
	char	   *ccy = currency_to_cstring(cur);
	StringInfoData value;

	initStringInfo(&value);
	if (units != NULL)
	{
		/* the minor units as an amount's text: 18446744073709551614 -> 184467440737095516.14 CNY */
		char	   *digits = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(units)));
		bool		neg = digits[0] == '-';
		const char *d = neg ? digits + 1 : digits;
		int			n = (int) strlen(d);
		int			dec = cur.decimals;

		if (neg)
			appendStringInfoChar(&value, '-');
		if (strchr(d, '.') != NULL || dec == 0)
			appendStringInfoString(&value, d);
		else if (n <= dec)
		{
			appendStringInfoString(&value, "0.");
			for (int i = n; i < dec; i++)
				appendStringInfoChar(&value, '0');
			appendStringInfoString(&value, d);
		}
		else
		{
			appendBinaryStringInfo(&value, d, n - dec);
			appendStringInfo(&value, ".%s", d + n - dec);
		}
		appendStringInfo(&value, " %s", ccy);
	}
	ereport_quietly(
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 code != NULL
			 ? errmsg("the %s of account \"%s\" in %s is beyond the range of an amount", what, code, ccy)
			 : errmsg("the total %s in %s is beyond the range of an amount", what, ccy),
			 units != NULL
			 ? errdetail("It is %s; an amount holds at most 9223372036854775807 minor units either side of zero.", value.data)
			 : errdetail("It is more than 9223372036854775807 minor units either side of zero, which is all an amount holds."),
			 errhint("Every balance, summary roll-up and total must fit 64 bits: about 92,233,720,368,547,758.07 units of a currency with 2 decimals, 9.22 units of one with 18. Book such amounts in a currency with fewer decimals (e.g. ETH/9).")));
}

bool
numeric_units_fit(Numeric units, int64 *out)
{
	static Numeric lo = NULL;
	static Numeric hi = NULL;

	if (numeric_is_nan(units) || numeric_is_inf(units))
		return false;
	if (hi == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		lo = int64_to_numeric(PG_INT64_MIN);
		hi = int64_to_numeric(PG_INT64_MAX);
		MemoryContextSwitchTo(old);
	}
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(units), NumericGetDatum(lo))) < 0 ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(units), NumericGetDatum(hi))) > 0)
		return false;
	*out = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(units)));
	return true;
}

/*
 * ledger._amount_of_sum(units numeric, currency text, account_code text,
 * what text): a sum as an amount, or sum_out_of_range_error naming the
 * account (NULL: the total) and what the sum is.  For the views and reports
 * that roll balances up in numeric.
 */
PG_FUNCTION_INFO_V1(ledger_amount_of_sum);
Datum
ledger_amount_of_sum(PG_FUNCTION_ARGS)
{
	Numeric		units;
	la_currency cur;
	int64		v;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	units = PG_GETARG_NUMERIC(0);
	cur = currency_from_cstring(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	if (!numeric_units_fit(units, &v))
		sum_out_of_range_error(PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)), cur,
							   PG_ARGISNULL(3) ? "sum" : text_to_cstring(PG_GETARG_TEXT_PP(3)), units);
	PG_RETURN_LEDGER_AMOUNT_P(amount_make(v, cur));
}

void
amount_out_of_range_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("ledger.amount out of range"),
			 errdetail("An amount holds from -9223372036854775808 to 9223372036854775807 minor units.")));
}

int
amount_cmp_internal(const LedgerAmount *a, const LedgerAmount *b)
{
	if (a->code != b->code)
		return a->code < b->code ? -1 : 1;
	if (a->decimals != b->decimals)
		return a->decimals < b->decimals ? -1 : 1;
	if (a->units != b->units)
		return a->units < b->units ? -1 : 1;
	return 0;
}

static void
check_same_currency(const LedgerAmount *a, const LedgerAmount *b, const char *verb)
{
	if (!amount_same_currency(a, b))
		currency_mismatch_error(amount_currency(a), amount_currency(b), verb);
}

/* ---------- text and binary I/O ---------- */

PG_FUNCTION_INFO_V1(ledger_amount_in);
Datum
ledger_amount_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	int64_t		units;		/* as the pure-C parser declares it */
	la_currency cur;
	la_error	err;

	if (la_parse_amount(str, strlen(str), &units, &cur, &err) != LA_OK)
	{
		if (err.status == LA_RANGE)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value \"%s\" is out of range for type ledger.amount", str),
					 errdetail("%s", err.detail)));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type ledger.amount: \"%s\"", str),
				 errdetail("%s", err.detail),
				 err.hint[0] ? errhint("%s", err.hint) : 0));
	}
	PG_RETURN_LEDGER_AMOUNT_P(amount_make(units, cur));
}

PG_FUNCTION_INFO_V1(ledger_amount_out);
Datum
ledger_amount_out(PG_FUNCTION_ARGS)
{
	LedgerAmount *a = PG_GETARG_LEDGER_AMOUNT_P(0);

	PG_RETURN_CSTRING(amount_to_cstring(a->units, amount_currency(a)));
}

/*
 * Binary form: int64 minor units, int16 decimal places, int8 code length and
 * the code's ASCII characters (upper case); see la_decode_binary().
 */
PG_FUNCTION_INFO_V1(ledger_amount_send);
Datum
ledger_amount_send(PG_FUNCTION_ARGS)
{
	LedgerAmount *a = PG_GETARG_LEDGER_AMOUNT_P(0);
	StringInfoData buf;
	char		bytes[LA_BINARY_MAXLEN];
	size_t		len = la_encode_binary(a->units, amount_currency(a), bytes);

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, bytes, (int) len);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(ledger_amount_recv);
Datum
ledger_amount_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int64_t		units;
	la_currency cur;
	size_t		used;
	la_error	err;

	switch (la_decode_binary(buf->data + buf->cursor, (size_t) (buf->len - buf->cursor),
							 &units, &cur, &used, &err))
	{
		case LA_OK:
			break;
		case LA_TRUNCATED:
			/* what pq_getmsgbyte() and pq_getmsgint() report */
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 err.value == 1 ? errmsg("no data left in message") :
					 errmsg("insufficient data left in message"),
					 errdetail("An external ledger.amount value is 8 bytes of minor units, 2 of decimal places, 1 of code length and the code; this one is %d byte%s long.",
							   buf->len - buf->cursor, buf->len - buf->cursor == 1 ? "" : "s")));
			break;
		case LA_DECIMALS:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid decimal places %d in external ledger.amount value",
							err.value),
					 errdetail("%s", err.detail)));
			break;
		case LA_CODELEN:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid currency code length %d in external ledger.amount value",
							err.value),
					 errdetail("%s", err.detail)));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid currency code in external ledger.amount value"),
					 errdetail("%s", err.detail)));
	}
	/* what COPY and record_recv() would report, but naming the value */
	if ((int) used < buf->len - buf->cursor)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("incorrect binary data format"),
				 errdetail("The external ledger.amount value %s is followed by %d more byte%s.",
						   amount_to_cstring(units, cur), buf->len - buf->cursor - (int) used,
						   buf->len - buf->cursor - (int) used == 1 ? "" : "s")));
	buf->cursor += (int) used;
	PG_RETURN_LEDGER_AMOUNT_P(amount_make(units, cur));
}

/* ---------- comparison, hashing ---------- */

#define AMOUNT_CMP_FN(name, op) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(amount_cmp_internal(PG_GETARG_LEDGER_AMOUNT_P(0), \
									   PG_GETARG_LEDGER_AMOUNT_P(1)) op 0); \
}

AMOUNT_CMP_FN(ledger_amount_eq, ==)
AMOUNT_CMP_FN(ledger_amount_ne, !=)
AMOUNT_CMP_FN(ledger_amount_lt, <)
AMOUNT_CMP_FN(ledger_amount_le, <=)
AMOUNT_CMP_FN(ledger_amount_gt, >)
AMOUNT_CMP_FN(ledger_amount_ge, >=)

PG_FUNCTION_INFO_V1(ledger_amount_cmp);
Datum
ledger_amount_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(amount_cmp_internal(PG_GETARG_LEDGER_AMOUNT_P(0),
										PG_GETARG_LEDGER_AMOUNT_P(1)));
}

static int
amount_fastcmp(Datum x, Datum y, SortSupport ssup pg_attribute_unused())
{
	return amount_cmp_internal(DatumGetLedgerAmountP(x), DatumGetLedgerAmountP(y));
}

PG_FUNCTION_INFO_V1(ledger_amount_sortsupport);
Datum
ledger_amount_sortsupport(PG_FUNCTION_ARGS)
{
	SortSupport ssup = (SortSupport) PG_GETARG_POINTER(0);

	ssup->comparator = amount_fastcmp;
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ledger_amount_hash);
Datum
ledger_amount_hash(PG_FUNCTION_ARGS)
{
	LedgerAmount *a = PG_GETARG_LEDGER_AMOUNT_P(0);

	return hash_any((const unsigned char *) a, offsetof(LedgerAmount, reserved));
}

PG_FUNCTION_INFO_V1(ledger_amount_hash_extended);
Datum
ledger_amount_hash_extended(PG_FUNCTION_ARGS)
{
	LedgerAmount *a = PG_GETARG_LEDGER_AMOUNT_P(0);

	return hash_any_extended((const unsigned char *) a,
							 offsetof(LedgerAmount, reserved),
							 PG_GETARG_INT64(1));
}

PG_FUNCTION_INFO_V1(ledger_amount_smaller);
Datum
ledger_amount_smaller(PG_FUNCTION_ARGS)
{
	LedgerAmount *a = PG_GETARG_LEDGER_AMOUNT_P(0);
	LedgerAmount *b = PG_GETARG_LEDGER_AMOUNT_P(1);

	PG_RETURN_LEDGER_AMOUNT_P(amount_cmp_internal(a, b) <= 0 ? a : b);
}

PG_FUNCTION_INFO_V1(ledger_amount_larger);
Datum
ledger_amount_larger(PG_FUNCTION_ARGS)
{
	LedgerAmount *a = PG_GETARG_LEDGER_AMOUNT_P(0);
	LedgerAmount *b = PG_GETARG_LEDGER_AMOUNT_P(1);

	PG_RETURN_LEDGER_AMOUNT_P(amount_cmp_internal(a, b) >= 0 ? a : b);
}

/* ---------- arithmetic ---------- */

PG_FUNCTION_INFO_V1(ledger_amount_pl);
Datum
ledger_amount_pl(PG_FUNCTION_ARGS)
{
	LedgerAmount *a = PG_GETARG_LEDGER_AMOUNT_P(0);
	LedgerAmount *b = PG_GETARG_LEDGER_AMOUNT_P(1);
	int64		r;

	check_same_currency(a, b, "add");
	if (pg_add_s64_overflow(a->units, b->units, &r))
		amount_out_of_range_error();
	PG_RETURN_LEDGER_AMOUNT_P(amount_make(r, amount_currency(a)));
}

PG_FUNCTION_INFO_V1(ledger_amount_mi);
Datum
ledger_amount_mi(PG_FUNCTION_ARGS)
{
	LedgerAmount *a = PG_GETARG_LEDGER_AMOUNT_P(0);
	LedgerAmount *b = PG_GETARG_LEDGER_AMOUNT_P(1);
	int64		r;

	check_same_currency(a, b, "subtract");
	if (pg_sub_s64_overflow(a->units, b->units, &r))
		amount_out_of_range_error();
	PG_RETURN_LEDGER_AMOUNT_P(amount_make(r, amount_currency(a)));
}

PG_FUNCTION_INFO_V1(ledger_amount_um);
Datum
ledger_amount_um(PG_FUNCTION_ARGS)
{
	LedgerAmount *a = PG_GETARG_LEDGER_AMOUNT_P(0);

	if (a->units == PG_INT64_MIN)
		amount_out_of_range_error();
	PG_RETURN_LEDGER_AMOUNT_P(amount_make(-a->units, amount_currency(a)));
}

PG_FUNCTION_INFO_V1(ledger_amount_abs);
Datum
ledger_amount_abs(PG_FUNCTION_ARGS)
{
	LedgerAmount *a = PG_GETARG_LEDGER_AMOUNT_P(0);

	if (a->units == PG_INT64_MIN)
		amount_out_of_range_error();
	PG_RETURN_LEDGER_AMOUNT_P(amount_make(a->units < 0 ? -a->units : a->units,
										  amount_currency(a)));
}

static Datum
amount_times(const LedgerAmount *a, int64 factor)
{
	int64		r;

	if (pg_mul_s64_overflow(a->units, factor, &r))
		amount_out_of_range_error();
	PG_RETURN_LEDGER_AMOUNT_P(amount_make(r, amount_currency(a)));
}

PG_FUNCTION_INFO_V1(ledger_amount_mul_int8);
Datum
ledger_amount_mul_int8(PG_FUNCTION_ARGS)
{
	return amount_times(PG_GETARG_LEDGER_AMOUNT_P(0), PG_GETARG_INT64(1));
}

PG_FUNCTION_INFO_V1(ledger_int8_mul_amount);
Datum
ledger_int8_mul_amount(PG_FUNCTION_ARGS)
{
	return amount_times(PG_GETARG_LEDGER_AMOUNT_P(1), PG_GETARG_INT64(0));
}

PG_FUNCTION_INFO_V1(ledger_amount_mul_int4);
Datum
ledger_amount_mul_int4(PG_FUNCTION_ARGS)
{
	return amount_times(PG_GETARG_LEDGER_AMOUNT_P(0), (int64) PG_GETARG_INT32(1));
}

PG_FUNCTION_INFO_V1(ledger_int4_mul_amount);
Datum
ledger_int4_mul_amount(PG_FUNCTION_ARGS)
{
	return amount_times(PG_GETARG_LEDGER_AMOUNT_P(1), (int64) PG_GETARG_INT32(0));
}

/* ---------- constructors and accessors ---------- */

/* ledger.amount(numeric, text) */
PG_FUNCTION_INFO_V1(ledger_amount_from_numeric);
Datum
ledger_amount_from_numeric(PG_FUNCTION_ARGS)
{
	Numeric		num = PG_GETARG_NUMERIC(0);
	char	   *ccy = text_to_cstring(PG_GETARG_TEXT_PP(1));
	la_currency cur = currency_from_cstring(ccy);
	char	   *digits;
	int64_t		units;		/* as the pure-C parser declares it */
	la_error	err;

	if (numeric_is_nan(num) || numeric_is_inf(num))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("cannot convert %s to ledger.amount",
						numeric_is_nan(num) ? "NaN" : "infinity"),
				 errdetail("ledger.amount() was given %s for currency \"%s\"; an amount is a finite number.",
						   DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num))),
						   currency_to_cstring(cur))));

	digits = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)));
	if (la_parse_number(digits, strlen(digits), cur, &units, &err) != LA_OK)
	{
		if (err.status == LA_RANGE)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value %s %s is out of range for type ledger.amount",
							digits, currency_to_cstring(cur)),
					 errdetail("%s", err.detail)));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("value %s has more decimal places than currency \"%s\" allows",
						digits, currency_to_cstring(cur)),
				 errdetail("%s", err.detail),
				 err.hint[0] ? errhint("%s", err.hint) : 0));
	}
	PG_RETURN_LEDGER_AMOUNT_P(amount_make(units, cur));
}

/* ledger.amount::numeric */
PG_FUNCTION_INFO_V1(ledger_amount_to_numeric);
Datum
ledger_amount_to_numeric(PG_FUNCTION_ARGS)
{
	LedgerAmount *a = PG_GETARG_LEDGER_AMOUNT_P(0);

	PG_RETURN_NUMERIC(int64_div_fast_to_numeric(a->units, a->decimals));
}

PG_FUNCTION_INFO_V1(ledger_amount_currency);
Datum
ledger_amount_currency(PG_FUNCTION_ARGS)
{
	LedgerAmount *a = PG_GETARG_LEDGER_AMOUNT_P(0);

	PG_RETURN_TEXT_P(cstring_to_text(currency_to_cstring(amount_currency(a))));
}

PG_FUNCTION_INFO_V1(ledger_amount_minor_units);
Datum
ledger_amount_minor_units(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_LEDGER_AMOUNT_P(0)->units);
}

PG_FUNCTION_INFO_V1(ledger_amount_decimals);
Datum
ledger_amount_decimals(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_LEDGER_AMOUNT_P(0)->decimals);
}

PG_FUNCTION_INFO_V1(ledger_amount_zero);
Datum
ledger_amount_zero(PG_FUNCTION_ARGS)
{
	char	   *ccy = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_LEDGER_AMOUNT_P(amount_make(0, currency_from_cstring(ccy)));
}

/*
 * ledger.amount_of_units(bigint, text): from minor units.  Reports build many
 * amounts of few currencies: the last currency parsed is remembered (per
 * backend; only a text that parsed is ever remembered, so the empty string,
 * which is no currency, is always parsed and refused).
 */
PG_FUNCTION_INFO_V1(ledger_amount_from_units);
Datum
ledger_amount_from_units(PG_FUNCTION_ARGS)
{
	static char last_text[LA_CURRENCY_BUFSIZE + 8];
	static size_t last_len = 0;	/* 0: nothing remembered */
	static la_currency last_cur;
	int64		units = PG_GETARG_INT64(0);
	text	   *ccy = PG_GETARG_TEXT_PP(1);
	size_t		len = VARSIZE_ANY_EXHDR(ccy);

	if (len == 0 || len != last_len || memcmp(VARDATA_ANY(ccy), last_text, len) != 0)
	{
		char	   *s = text_to_cstring(ccy);

		last_cur = currency_from_cstring(s);
		last_len = len < sizeof(last_text) ? len : 0;
		memcpy(last_text, s, last_len);
	}
	PG_RETURN_LEDGER_AMOUNT_P(amount_make(units, last_cur));
}

/* ---------- sum(ledger.amount) ---------- */

/*
 * Internal state: the currency of the first non-NULL input, a 128-bit total
 * and the number of inputs (for the moving-aggregate inverse, which forgets
 * the currency when the frame empties).  Lives in the aggregate context.
 */
typedef struct AmountSumState
{
	bool		has;
	la_currency cur;
	int64		count;
	INT128		sum;
} AmountSumState;

MemoryContext
amount_agg_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext ctx;

	if (!AggCheckCallContext(fcinfo, &ctx))
		elog(ERROR, "%s called in non-aggregate context", fname);
	return ctx;
}

static AmountSumState *
sum_state_new(MemoryContext ctx)
{
	return (AmountSumState *) MemoryContextAllocZero(ctx, sizeof(AmountSumState));
}

PG_FUNCTION_INFO_V1(ledger_amount_sum_accum);
Datum
ledger_amount_sum_accum(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = amount_agg_context(fcinfo, "ledger_amount_sum_accum");
	AmountSumState *st = PG_ARGISNULL(0) ? NULL : (AmountSumState *) PG_GETARG_POINTER(0);
	LedgerAmount *a;

	if (st == NULL)
		st = sum_state_new(ctx);
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	a = PG_GETARG_LEDGER_AMOUNT_P(1);
	currency_tag(&st->has, &st->cur, amount_currency(a), "sum");
	wide_add(&st->sum, a->units);
	st->count++;
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(ledger_amount_sum_inv);
Datum
ledger_amount_sum_inv(PG_FUNCTION_ARGS)
{
	AmountSumState *st = PG_ARGISNULL(0) ? NULL : (AmountSumState *) PG_GETARG_POINTER(0);
	LedgerAmount *a;

	(void) amount_agg_context(fcinfo, "ledger_amount_sum_inv");
	if (st == NULL)
		elog(ERROR, "ledger_amount_sum_inv called with no state");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	a = PG_GETARG_LEDGER_AMOUNT_P(1);
	wide_sub(&st->sum, a->units);
	if (--st->count == 0)
	{
		st->has = false;
		st->sum = wide_zero();
	}
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(ledger_amount_sum_final);
Datum
ledger_amount_sum_final(PG_FUNCTION_ARGS)
{
	AmountSumState *st = PG_ARGISNULL(0) ? NULL : (AmountSumState *) PG_GETARG_POINTER(0);

	if (st == NULL || !st->has)
		PG_RETURN_NULL();
	if (!wide_fits_int64(st->sum))
		amount_out_of_range_error();
	PG_RETURN_LEDGER_AMOUNT_P(amount_make(int128_to_int64(st->sum), st->cur));
}

PG_FUNCTION_INFO_V1(ledger_amount_sum_combine);
Datum
ledger_amount_sum_combine(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = amount_agg_context(fcinfo, "ledger_amount_sum_combine");
	AmountSumState *a = PG_ARGISNULL(0) ? NULL : (AmountSumState *) PG_GETARG_POINTER(0);
	AmountSumState *b = PG_ARGISNULL(1) ? NULL : (AmountSumState *) PG_GETARG_POINTER(1);

	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
	{
		a = sum_state_new(ctx);
		*a = *b;
		PG_RETURN_POINTER(a);
	}
	if (b->has)
	{
		currency_tag(&a->has, &a->cur, b->cur, "sum");
		wide_add_wide(&a->sum, b->sum);
		a->count += b->count;
	}
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(ledger_amount_sum_serialize);
Datum
ledger_amount_sum_serialize(PG_FUNCTION_ARGS)
{
	AmountSumState *st = (AmountSumState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) amount_agg_context(fcinfo, "ledger_amount_sum_serialize");
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, st->has ? 1 : 0);
	pq_sendint64(&buf, (int64) st->cur.code);
	pq_sendint32(&buf, st->cur.decimals);
	pq_sendint64(&buf, st->count);
	wide_send(&buf, st->sum);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(ledger_amount_sum_deserialize);
Datum
ledger_amount_sum_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	MemoryContext ctx = amount_agg_context(fcinfo, "ledger_amount_sum_deserialize");
	AmountSumState *st = sum_state_new(ctx);
	StringInfoData buf;

	serial_begin(&buf, raw);
	st->has = pq_getmsgbyte(&buf) != 0;
	st->cur.code = (uint64) pq_getmsgint64(&buf);
	st->cur.decimals = pq_getmsgint(&buf, 4);
	st->count = pq_getmsgint64(&buf);
	st->sum = wide_recv(&buf);
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}
