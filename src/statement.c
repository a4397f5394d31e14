/*
 * statement.c — helpers of the statement loaders: CSV field splitting and
 * amount parsing that report a bad field as NULL instead of raising, so that
 * the loaders can check a whole file in one set-based pass and name the
 * first bad line themselves.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "amount.h"

/*
 * ledger._csv_fields(line text, strip text DEFAULT NULL) → text[]
 *
 * Splits one CSV line on commas (RFC 4180 quoting: "a,b" and "" inside quotes).
 * Spaces and tabs around a field are dropped (Alipay pads its fields with
 * tabs); inside quotes they are kept.  When strip is a single character, one
 * leading occurrence of it is removed from every field (the backtick WeChat
 * Pay puts before each field so that spreadsheets keep long numbers as text).
 * Returns NULL for a line with an unterminated or misplaced quote.
 */
PG_FUNCTION_INFO_V1(ledger_csv_fields);
Datum
ledger_csv_fields(PG_FUNCTION_ARGS)
{
	text	   *line = PG_GETARG_TEXT_PP(0);
	const char *p = VARDATA_ANY(line);
	const char *end = p + VARSIZE_ANY_EXHDR(line);
	char		strip = '\0';
	ArrayBuildState *astate = NULL;
	StringInfoData field;

	if (!PG_ARGISNULL(1))
	{
		text	   *s = PG_GETARG_TEXT_PP(1);

		if (VARSIZE_ANY_EXHDR(s) == 1)
			strip = *VARDATA_ANY(s);
		else if (VARSIZE_ANY_EXHDR(s) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("strip must be a single character"),
					 errdetail("ledger._csv_fields() was given the strip \"%s\", which is %d bytes long; it removes one leading character from each field.",
							   text_to_cstring(s), (int) VARSIZE_ANY_EXHDR(s))));
	}

	initStringInfo(&field);
	for (;;)
	{
		bool		quoted = false;

		resetStringInfo(&field);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (strip != '\0' && p < end && *p == strip)
			p++;
		if (p < end && *p == '"')
		{
			quoted = true;
			p++;
			for (;;)
			{
				if (p >= end)
					PG_RETURN_NULL();	/* unterminated quote */
				if (*p == '"')
				{
					if (p + 1 < end && p[1] == '"')
					{
						appendStringInfoChar(&field, '"');
						p += 2;
						continue;
					}
					p++;
					break;
				}
				appendStringInfoChar(&field, *p++);
			}
		}
		while (p < end && *p != ',')
		{
			/* after a closing quote only white space may follow */
			if (quoted && *p != ' ' && *p != '\t')
				PG_RETURN_NULL();
			if (!quoted && *p == '"')
				PG_RETURN_NULL();
			if (!quoted)
				appendStringInfoChar(&field, *p);
			p++;
		}
		if (!quoted)
			while (field.len > 0 && (field.data[field.len - 1] == ' ' || field.data[field.len - 1] == '\t'))
				field.data[--field.len] = '\0';
		astate = accumArrayResult(astate,
								  PointerGetDatum(cstring_to_text_with_len(field.data, field.len)),
								  false, TEXTOID, CurrentMemoryContext);
		if (p >= end)
			break;
		p++;					/* the comma */
	}
	PG_RETURN_DATUM(makeArrayResult(astate, CurrentMemoryContext));
}

/*
 * ledger._try_amount(value text, currency text) → ledger.amount
 *
 * '12.30 CNY' or 'CNY 12.30' as the amount type reads them, or a plain
 * number ('12.30', '-0.5') in the given currency.  NULL when the text is not
 * a valid amount (junk, too many decimals, out of range, unknown currency).
 */
PG_FUNCTION_INFO_V1(ledger_try_amount);
Datum
ledger_try_amount(PG_FUNCTION_ARGS)
{
	char	   *s;
	size_t		len;
	int64		units;
	la_currency cur;
	la_error	err;
	size_t		i;
	bool		plain = true;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = text_to_cstring(PG_GETARG_TEXT_PP(0));
	/* trim white space */
	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0)
		PG_RETURN_NULL();
	for (i = 0; i < len; i++)
		if (!(s[i] == '-' || s[i] == '+' || s[i] == '.' || (s[i] >= '0' && s[i] <= '9')))
			plain = false;

	if (!plain)
	{
		if (la_parse_amount(s, len, &units, &cur, &err) != LA_OK)
			PG_RETURN_NULL();
		PG_RETURN_LEDGER_AMOUNT_P(amount_make(units, cur));
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	{
		char	   *c = text_to_cstring(PG_GETARG_TEXT_PP(1));

		if (la_parse_currency(c, strlen(c), &cur, &err) != LA_OK)
			PG_RETURN_NULL();
	}
	if (la_parse_number(s, len, cur, &units, &err) != LA_OK)
		PG_RETURN_NULL();
	PG_RETURN_LEDGER_AMOUNT_P(amount_make(units, cur));
}
