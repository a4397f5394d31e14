/*
 * statement.c — the C side of the statement loaders:
 *
 *   ledger._csv_fields(), ledger._try_amount()   CSV field splitting and
 *       amount parsing that report a bad field as NULL instead of raising;
 *       since 1.0, used by the generic CSV loader (load_statement_csv),
 *       which checks a whole file in one set-based pass and names the
 *       first bad line itself
 *   ledger._parse_statement(), _parse_statement_gbk(), _statement_parsed()
 *       (1.1)  the channels' and banks' own files, parsed in one pass by
 *       stmt_parse.c; see the section below
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

/* ------------------------------------------------------------------------
 * The statement file loaders' parser: ledger._parse_statement()
 *
 * Runs one of the parsers of stmt_parse.c over the whole file and returns
 * its lines, one row each, then one row per bank statement and one row for
 * the file:
 *
 *   kind 'line':  stmt, line_no, ref, external_id, amount, status, fee,
 *                 occurred_at, raw
 *   kind 'stmt':  stmt, line_no, info (id, account, currency, opening,
 *                 closing, opening_date, closing_date, lines)
 *   kind 'file':  info (what the file states about itself)
 *
 * A problem anywhere is 22P04 naming the line; serials repeated within a
 * bill are refused, within a bank statement made unique ("REF/2").
 * ------------------------------------------------------------------------ */

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/toast_compression.h"
#include "access/toast_internals.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_conversion.h"
#include "commands/sequence.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "pgtime.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "ledger.h"
#include "raise.h"
#include "stmt_parse.h"

#define PARSE_NATTS 11

/* serials are at most this long (bytes) */
#define SERIAL_MAX 127

/*
 * sources are at most this long (bytes): with a ref of LEDGER_INDEXED_TEXT_MAX
 * beside it, an entry of the pending pool's (source, ref) index still fits
 */
#define SOURCE_MAX 256

/* a serial seen in the file: its bytes (kept by the parse), their hash */
typedef struct serial_key
{
	const char *p;
	uint32		n;
	uint32		h;
} serial_key;

typedef struct serial_ent
{
	serial_key	key;
	long		line;
	int			count;
	char		status;			/* simplehash's */
} serial_ent;

/*
 * The serials of a file (a bank statement's) in an open-addressing table:
 * a bill of a million lines makes a million entries, sized once from the
 * file's line count, each probe a compare of the stored hashes first.
 */
#define SH_PREFIX serials
#define SH_ELEMENT_TYPE serial_ent
#define SH_KEY_TYPE serial_key
#define SH_KEY key
#define SH_HASH_KEY(tb, k) ((k).h)
#define SH_EQUAL(tb, a, b) ((a).h == (b).h && (a).n == (b).n && memcmp((a).p, (b).p, (a).n) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->key.h)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

#define WRITE_BATCH 1000

enum
{
	W_ID, W_SOURCE, W_DATE, W_REF, W_EXT, W_AMOUNT, W_STATUS, W_FEE, W_AT, W_RAW, W_IMPORT,
	W_LINE, W_LOADED, W_NCOLS
};

static const char *const w_names[W_NCOLS] = {
	"id", "source", "statement_date", "ref", "external_id", "amount", "status", "fee",
	"occurred_at", "raw", "import_id", "line_no", "loaded_at"
};

/* where the lines of one statement of the file go */
typedef struct stmt_target
{
	Datum		source;			/* text */
	DateADT		date;
	int64		import_id;
	text	   *prefix;			/* "ID/" before each serial, for statements side by side */
	int			group;			/* statements of one source and date share a group */
} stmt_target;

typedef struct group_key
{
	int			group;
	char		id[252];
} group_key;

typedef struct group_ent
{
	group_key	key;
	long		line;
} group_ent;

typedef struct line_writer
{
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	BulkInsertState bistate;
	CommandId	cid;
	SPIPlanPtr	plan;			/* the table has triggers: one INSERT per line */
	AttrNumber	att[W_NCOLS];
	Oid			seq;
	Datum		loaded_at;
	TupleTableSlot *slots[WRITE_BATCH];
	int			nbuf;
	int			ntargets;
	stmt_target *targets;
	bool		grouped;		/* some source and date has several statements */
	HTAB	   *group_serials;
	bool		keep_raw;
	bool		known_checks;	/* the table's constraints are the extension's own */
} line_writer;

typedef enum parse_mode
{
	PARSE_ALL, PARSE_HEADS, PARSE_CHECK, PARSE_CHECKED
} parse_mode;

typedef struct parse_ctx
{
	sp_format	format;
	const char *kind;			/* "WeChat Pay bill" ... for messages */
	const char *source;
	const char *date;			/* "2026-11-02" or NULL */
	bool		bank;
	Tuplestorestate *ts;
	TupleDesc	desc;
	serials_hash *serials;
	uint32		serials_size;	/* entries to size the serial table for */
	char	   *arena;			/* the serials' bytes, kept for the whole parse */
	size_t		arena_left;
	int			serial_stmt;	/* statement the serial table belongs to */
	long		stmt_lines;
	MemoryContext rowcxt;
	line_writer *w;				/* _statement_write(): lines go to the table */
	bool		heads_only;		/* _statement_heads(): no line rows */
	bool		check_only;		/* _statement_check(): lines checked, not kept */
	bool		serials_checked;	/* a bill checked before: no serial table */
	char		stmt_id[128];
	/* the lines' count and sums (bills: one currency) */
	int64		nlines;
	bool		mixed;
	la_currency cur;
	int64		total;
	int64		fee;
	bool		has_fee;
	pg_tz	   *tz;				/* a bank's dates without an offset are in it */
	/* a WeChat bill's payments' days against the statement date (the check pass) */
	bool		check_day;
	int64		day;			/* the statement date, sp_days() */
	bool		on_day;			/* a payment dated the statement date */
	bool		by_request;		/* refunds dated by their 退款申请时间 (REFUND bill) */
	long		first_line;
	int64		min_day,
				max_day;
} parse_ctx;

/*
 * What the last parse of this backend found about its file (the 'file' row's
 * info, with the lines' count and sums), for ledger._statement_parsed(): the
 * bill loaders insert the lines straight from the parser and read this after.
 */
static Jsonb *last_file_info = NULL;

static void writer_line(parse_ctx *c, int stmt, long line_no, Datum *values, bool *nulls);

static const char *
format_kind(sp_format f)
{
	switch (f)
	{
		case SP_WECHAT_BILL:
			return "WeChat Pay bill";
		case SP_WECHAT_FUNDFLOW:
			return "WeChat Pay fund-flow bill";
		case SP_ALIPAY_BILL:
			return "Alipay bill";
		case SP_ALIPAY_ACCOUNT:
			return "Alipay account statement";
		case SP_MT940:
			return "MT940 statement";
		case SP_CAMT053:
			return "camt.053 statement";
	}
	return "statement";
}

static void pg_attribute_noreturn()
bad_line(parse_ctx *c, long line, const char *reason)
{
	/* quietly: the user sees the line and the reason, not the loader's internals */
	if (c->date)
		ereport_quietly(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
						errmsg("malformed %s at line %ld", c->kind, line),
						errdetail("Line %ld %s (source \"%s\", statement date %s).", line, reason, c->source, c->date),
						errhint("Nothing was loaded; fix or download the file again."));
	ereport_quietly(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
					errmsg("malformed %s at line %ld", c->kind, line),
					errdetail("Line %ld %s (source \"%s\").", line, reason, c->source),
					errhint("Nothing was loaded; fix or download the file again."));
}

static Datum
str_text(sp_str s)
{
	return PointerGetDatum(cstring_to_text_with_len(s.p, (int) s.n));
}

/*
 * The raw jsonb of a line.  Its keys are the same on every line of a file
 * (the header), so they are put in jsonb's key order (length, then bytes;
 * the last of equal names kept) once, and each line's object is built
 * directly in that order instead of being sorted again.
 */
typedef struct raw_order
{
	int			n;
	const sp_str *keys;			/* the key array it was computed for */
	sp_str		saved[SP_MAX_FIELDS];
	int			nout;
	int			idx[SP_MAX_FIELDS];
} raw_order;

/*
 * Per-backend cache: the key order computed for the last header seen, reused
 * while the lines of one file come with the same key array; reset by each
 * parse (ledger._parse_statement) before its first line, and never read
 * across calls, so a stale entry can only cost one recomputation.
 */
static raw_order raw_cache;

static int
raw_key_cmp(const void *a, const void *b)
{
	const sp_str *ka = &raw_cache.saved[*(const int *) a];
	const sp_str *kb = &raw_cache.saved[*(const int *) b];
	int			c;

	if (ka->n != kb->n)
		return ka->n < kb->n ? -1 : 1;
	c = memcmp(ka->p, kb->p, ka->n);
	if (c != 0)
		return c;
	/* equal names: the later column after the earlier */
	return *(const int *) a - *(const int *) b;
}

static Datum
make_raw(int n, const sp_str *keys, const sp_str *vals)
{
	JsonbValue	obj;
	bool		same = (n == raw_cache.n && n <= SP_MAX_FIELDS);

	for (int i = 0; same && i < n; i++)
		same = keys[i].p == raw_cache.saved[i].p && keys[i].n == raw_cache.saved[i].n;
	if (!same)
	{
		int			k = 0;

		if (n > SP_MAX_FIELDS)
			elog(ERROR, "statement line of %d fields", n);
		raw_cache.n = n;
		for (int i = 0; i < n; i++)
		{
			raw_cache.saved[i] = keys[i];
			raw_cache.idx[i] = i;
		}
		qsort(raw_cache.idx, n, sizeof(int), raw_key_cmp);
		/* of equal names keep the last (jsonb's rule) */
		for (int i = 0; i < n; i++)
		{
			if (i + 1 < n && raw_cache.saved[raw_cache.idx[i]].n == raw_cache.saved[raw_cache.idx[i + 1]].n &&
				memcmp(raw_cache.saved[raw_cache.idx[i]].p, raw_cache.saved[raw_cache.idx[i + 1]].p,
					   raw_cache.saved[raw_cache.idx[i]].n) == 0)
				continue;
			raw_cache.idx[k++] = raw_cache.idx[i];
		}
		raw_cache.nout = k;
	}
	obj.type = jbvObject;
	obj.val.object.nPairs = raw_cache.nout;
	obj.val.object.pairs = palloc(sizeof(JsonbPair) * Max(raw_cache.nout, 1));
	for (int j = 0; j < raw_cache.nout; j++)
	{
		JsonbPair  *pr = &obj.val.object.pairs[j];
		int			i = raw_cache.idx[j];

		pr->key.type = jbvString;
		pr->key.val.string.val = (char *) keys[i].p;
		pr->key.val.string.len = (int) keys[i].n;
		pr->value.type = jbvString;
		pr->value.val.string.val = (char *) vals[i].p;
		pr->value.val.string.len = (int) vals[i].n;
		pr->order = (uint32) j;
	}
	return JsonbPGetDatum(JsonbValueToJsonb(&obj));
}

static Datum
make_jsonb(int n, const sp_str *keys, const sp_str *vals)
{
	JsonbParseState *st = NULL;
	JsonbValue *res;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < n; i++)
	{
		JsonbValue	k,
					v;

		k.type = jbvString;
		k.val.string.val = (char *) keys[i].p;
		k.val.string.len = (int) keys[i].n;
		v.type = jbvString;
		v.val.string.val = (char *) vals[i].p;
		v.val.string.len = (int) vals[i].n;
		pushJsonbValue(&st, WJB_KEY, &k);
		pushJsonbValue(&st, WJB_VALUE, &v);
	}
	res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(res));
}

/*
 * a point in time of the file as timestamptz: bills are in Beijing time
 * (UTC+8, no daylight saving since 1991); a bank's date or time without an
 * offset is in tz, the books' time zone (ledger.book_timezone, else the
 * session's), so that a file loads the same from every session
 */
static Datum
sp_timestamptz(const sp_time *t, bool beijing, pg_tz *tz)
{
	int64		secs;
	int			offset_sec;

	secs = sp_days(t->y, t->mo, t->d) * SECS_PER_DAY + t->h * 3600 + t->mi * 60 + t->s;
	if (t->has_offset)
		offset_sec = t->offset_min * 60;
	else if (beijing)
		offset_sec = 8 * 3600;
	else
	{
		struct pg_tm tm;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = t->y;
		tm.tm_mon = t->mo;
		tm.tm_mday = t->d;
		tm.tm_hour = t->h;
		tm.tm_min = t->mi;
		tm.tm_sec = t->s;
		/* DetermineTimeZoneOffset gives seconds west of Greenwich */
		offset_sec = -DetermineTimeZoneOffset(&tm, tz);
	}
	return TimestampTzGetDatum((secs - offset_sec) * USECS_PER_SEC + t->usec);
}

/*
 * A serial the table has just taken in points at bytes of the line (or of a
 * name made for it): keep a copy of them for the whole parse.
 */
static void
serial_keep(parse_ctx *c, serial_ent *ent, long line_no)
{
	uint32		n = ent->key.n;

	if (c->arena_left < n)
	{
		c->arena_left = Max(n, 65536);
		c->arena = MemoryContextAlloc(CurrentMemoryContext->parent, c->arena_left);
	}
	memcpy(c->arena, ent->key.p, n);
	ent->key.p = c->arena;
	c->arena += n;
	c->arena_left -= n;
	ent->line = line_no;
	ent->count = 1;
}

static void
parse_row(void *ctx, const sp_row *r)
{
	parse_ctx  *c = (parse_ctx *) ctx;
	Datum		values[PARSE_NATTS];
	bool		nulls[PARSE_NATTS];
	char		extbuf[160];
	sp_str		ext = r->external_id;
	sp_str		ref = r->ref;
	MemoryContext old;
	serial_key	key;
	serial_ent *ent;
	bool		found;

	CHECK_FOR_INTERRUPTS();
	if (c->heads_only)
		return;					/* a bank file's first pass: its statements only */
	old = MemoryContextSwitchTo(c->rowcxt);
	MemoryContextReset(c->rowcxt);

	if (c->bank)
	{
		if (c->serial_stmt != r->stmt)
		{
			if (c->serials)
				serials_destroy(c->serials);
			c->serials = NULL;
			c->serial_stmt = r->stmt;
			c->stmt_lines = 0;
		}
		c->stmt_lines++;
		if (ext.n == 0)
		{
			/* no bank reference: the line's place in the statement */
			snprintf(extbuf, sizeof(extbuf), "line %ld", r->line_no);
			ext.p = extbuf;
			ext.n = strlen(extbuf);
		}
		if (ref.n == 0)
			ref = ext;
	}
	if (ext.n > SERIAL_MAX)
		bad_line(c, r->line_no, psprintf("has a serial of %zu bytes; at most %d are kept", ext.n, SERIAL_MAX));
	if (ref.n > LEDGER_INDEXED_TEXT_MAX)
		bad_line(c, r->line_no, psprintf("has a reference of %zu bytes; at most %d are kept", ref.n, LEDGER_INDEXED_TEXT_MAX));
	if (c->check_day && (r->has_day ||
						 (r->has_at &&
						  (c->format == SP_WECHAT_FUNDFLOW ||
						   (r->amount >= 0 && r->status.n == 7 && memcmp(r->status.p, "success", 7) == 0)))))
	{
		/*
		 * A WeChat bill has no date of its own: it is the day's by its
		 * successful payments' 交易时间 (a fund-flow bill by every line's
		 * 记账时间, a REFUND bill by its refunds' 退款申请时间), in Beijing
		 * time as written.  None may be later than the statement date.
		 * Refunds of the other bill types and revoked payments are not looked
		 * at: they may carry their payment's earlier day, or succeed after
		 * midnight.
		 */
		const sp_time *at = r->has_day ? &r->day : &r->at;
		int64		d = sp_days(at->y, at->mo, at->d);

		if (d > c->day)
			bad_line(c, r->line_no, psprintf("is dated %04d-%02d-%02d, after the statement date: the bill is of another day",
											 at->y, at->mo, at->d));
		if (c->first_line == 0)
		{
			c->first_line = r->line_no;
			c->min_day = c->max_day = d;
		}
		c->min_day = Min(c->min_day, d);
		c->max_day = Max(c->max_day, d);
		if (d == c->day)
			c->on_day = true;
		/*
		 * A refund requested just before midnight and succeeded after it may
		 * stand in the bill of its success's day: that day counts too (its
		 * request can still not be later than the statement date).
		 */
		if (r->has_day && r->has_at && sp_days(r->at.y, r->at.mo, r->at.d) == c->day)
			c->on_day = true;
		if (r->has_day)
			c->by_request = true;
	}
	if (!c->serials_checked)
	{
		if (c->serials == NULL)
			c->serials = serials_create(CurrentMemoryContext->parent,	/* the function's context */
										c->serials_size, NULL);
		key.p = ext.p;
		key.n = (uint32) ext.n;
		key.h = hash_bytes((const unsigned char *) ext.p, (int) ext.n);
		ent = serials_insert(c->serials, key, &found);
		if (!found)
			serial_keep(c, ent, r->line_no);
		else if (!c->bank)
			bad_line(c, r->line_no, psprintf("repeats the serial \"%s\" of line %ld", pnstrdup(ext.p, ext.n), ent->line));
		else
		{
			/*
			 * A bank may repeat its reference within a statement: the n-th
			 * is "REF/n", skipping the numbers whose name the statement
			 * already has (a reference of the bank's own, or an earlier
			 * one's "/n"), so that every line keeps an external_id of its
			 * own.  (Inserting may move the table's entries: the count is
			 * kept aside and stored back in the first's entry after.)
			 */
			int			n = ent->count;
			serial_key	name;
			serial_ent *taken;

			for (;;)
			{
				n++;
				snprintf(extbuf, sizeof(extbuf), "%.*s/%d", (int) ext.n, ext.p, n);
				name.p = extbuf;
				name.n = (uint32) strlen(extbuf);
				name.h = hash_bytes((const unsigned char *) name.p, (int) name.n);
				taken = serials_insert(c->serials, name, &found);
				if (!found)
				{
					serial_keep(c, taken, r->line_no);
					break;
				}
			}
			serials_lookup(c->serials, key)->count = n;
			ext.p = pstrdup(extbuf);
			ext.n = strlen(extbuf);
			if (r->ref.n == 0 || (ref.p == r->external_id.p && ref.n == r->external_id.n))
				ref = ext;
		}
	}
	if (c->check_only)
	{
		MemoryContextSwitchTo(old);
		return;					/* a bill's first pass: checked, nothing kept */
	}

	memset(nulls, 0, sizeof(nulls));
	values[0] = CStringGetTextDatum("line");
	values[1] = Int32GetDatum(r->stmt);
	values[2] = Int32GetDatum((int32) r->line_no);
	values[3] = str_text(ref);
	values[4] = str_text(ext);
	values[5] = LedgerAmountPGetDatum(amount_make(r->amount, r->cur));
	{
		char	   *st = pnstrdup(r->status.p, r->status.n);

		for (char *q = st; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char) (*q - 'A' + 'a');
		values[6] = CStringGetTextDatum(st);
	}
	if (r->has_fee)
		values[7] = LedgerAmountPGetDatum(amount_make(r->fee, r->cur));
	else
		nulls[7] = true;
	if (r->has_at)
		values[8] = sp_timestamptz(&r->at, !c->bank, c->tz);
	else
		nulls[8] = true;
	if (c->w == NULL || c->w->keep_raw)
		values[9] = make_raw(r->nraw, r->raw_keys, r->raw_vals);
	else
		nulls[9] = true;
	c->nlines++;
	if (c->nlines == 1)
		c->cur = r->cur;
	else if (c->cur.code != r->cur.code || c->cur.decimals != r->cur.decimals)
		c->mixed = true;
	if (!c->mixed)
	{
		if (pg_add_s64_overflow(c->total, r->amount, &c->total) ||
			(r->has_fee && pg_add_s64_overflow(c->fee, r->fee, &c->fee)))
			bad_line(c, r->line_no, "makes the total of the file overflow");
		c->has_fee |= r->has_fee;
	}
	nulls[10] = true;
	if (c->w)
		writer_line(c, r->stmt, r->line_no, values, nulls);
	else
		tuplestore_putvalues(c->ts, c->desc, values, nulls);
	MemoryContextSwitchTo(old);
}

static sp_str
cstr(const char *s)
{
	return (sp_str) {s, strlen(s)};
}

static void
parse_stmt(void *ctx, const sp_stmt *s)
{
	parse_ctx  *c = (parse_ctx *) ctx;
	Datum		values[PARSE_NATTS];
	bool		nulls[PARSE_NATTS];
	sp_str		keys[10],
				vals[10];
	char		ccy[LA_CURRENCY_BUFSIZE];
	char		open[LA_AMOUNT_BUFSIZE],
				close[LA_AMOUNT_BUFSIZE],
				od[16],
				cd[16],
				n[24];
	MemoryContext old;

	if (c->w)
		return;					/* the caller made the imports from the first pass */
	old = MemoryContextSwitchTo(c->rowcxt);
	MemoryContextReset(c->rowcxt);
	la_format_currency(s->cur, ccy);
	ccy[la_format_currency(s->cur, ccy)] = '\0';
	sp_format_units(s->opening, s->cur.decimals, open, sizeof(open));
	sp_format_units(s->closing, s->cur.decimals, close, sizeof(close));
	snprintf(od, sizeof(od), "%04d-%02d-%02d", s->opening_date.y, s->opening_date.mo, s->opening_date.d);
	snprintf(cd, sizeof(cd), "%04d-%02d-%02d", s->closing_date.y, s->closing_date.mo, s->closing_date.d);
	snprintf(n, sizeof(n), "%ld", s->lines);
	keys[0] = cstr("id");
	vals[0] = s->id;
	keys[1] = cstr("account");
	vals[1] = s->account;
	keys[2] = cstr("number");
	vals[2] = s->number;
	keys[3] = cstr("currency");
	vals[3] = cstr(ccy);
	keys[4] = cstr("opening");
	vals[4] = cstr(open);
	keys[5] = cstr("closing");
	vals[5] = cstr(close);
	keys[6] = cstr("opening_date");
	vals[6] = s->opening_date.y ? cstr(od) : cstr("");
	keys[7] = cstr("closing_date");
	vals[7] = cstr(cd);
	keys[8] = cstr("lines");
	vals[8] = cstr(n);
	memset(nulls, true, sizeof(nulls));
	values[0] = CStringGetTextDatum("stmt");
	nulls[0] = false;
	values[1] = Int32GetDatum(s->index);
	nulls[1] = false;
	values[2] = Int32GetDatum((int32) s->line_no);
	nulls[2] = false;
	values[10] = make_jsonb(9, keys, vals);
	nulls[10] = false;
	tuplestore_putvalues(c->ts, c->desc, values, nulls);
	MemoryContextSwitchTo(old);
}

static sp_format
parse_format(const char *f)
{
	if (strcmp(f, "wechat") == 0)
		return SP_WECHAT_BILL;
	if (strcmp(f, "wechat_fundflow") == 0)
		return SP_WECHAT_FUNDFLOW;
	if (strcmp(f, "alipay") == 0)
		return SP_ALIPAY_BILL;
	if (strcmp(f, "alipay_account") == 0)
		return SP_ALIPAY_ACCOUNT;
	if (strcmp(f, "mt940") == 0)
		return SP_MT940;
	if (strcmp(f, "camt053") == 0)
		return SP_CAMT053;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown statement format \"%s\"", f),
			 errdetail("The formats are wechat, wechat_fundflow, alipay, alipay_account, mt940 and camt053.")));
	pg_unreachable();
}

/*
 * Parses the whole file: its lines go to the tuplestore (ts, desc) or to the
 * writer (w).  PARSE_HEADS makes only the statement and file rows (a bank
 * file's first pass), PARSE_CHECK checks the lines and keeps none (a bill's
 * first pass), PARSE_CHECKED writes a bill so checked without checking its
 * serials again.
 * Sets last_file_info.
 */
static void
run_parser(sp_format format, char *buf, size_t len, bool ref_txid, const char *source,
		   const char *date, Tuplestorestate *ts, TupleDesc desc, line_writer *w, parse_mode mode)
{
	parse_ctx	c;
	sp_sink		sink;
	sp_meta		meta;
	sp_error	err;
	sp_options	opt;
	bool		empty = true;

	{
		size_t		i = (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;

		for (; i < len && empty; i++)
			if (!(buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
				empty = false;
	}
	if (empty)
		ereport_quietly(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
						errmsg("statement file is empty"),
						errdetail("No line of the file has any content."),
						errhint("Nothing was loaded."));

	memset(&c, 0, sizeof(c));
	memset(&raw_cache, 0, sizeof(raw_cache));
	if (last_file_info)
	{
		pfree(last_file_info);
		last_file_info = NULL;
	}
	c.format = format;
	c.kind = format_kind(format);
	c.source = source;
	c.date = date;
	c.bank = (format == SP_MT940 || format == SP_CAMT053);
	c.tz = session_timezone;
	if (ledger_book_timezone != NULL && ledger_book_timezone[0] != '\0')
	{
		pg_tz	   *btz = pg_tzset(ledger_book_timezone);

		if (btz != NULL)
			c.tz = btz;
	}
	c.serial_stmt = -1;
	c.ts = ts;
	c.desc = desc;
	c.w = w;
	c.heads_only = (mode == PARSE_HEADS);
	c.check_only = (mode == PARSE_CHECK);
	c.serials_checked = (mode == PARSE_CHECKED);
	/*
	 * a bill's serial table is sized for its lines (counted here, at memchr()
	 * speed) rather than grown a doubling at a time; a bank file's is one per
	 * statement and starts small
	 */
	c.serials_size = 1024;
	if (!c.bank && !c.serials_checked && !c.heads_only)
	{
		const char *p = buf;
		const char *end = buf + len;
		uint64		lines = 1;

		while ((p = memchr(p, '\n', end - p)) != NULL)
		{
			lines++;
			p++;
		}
		c.serials_size = (uint32) Min(lines, (uint64) PG_UINT32_MAX / 2);
	}
	c.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "ledger statement row", ALLOCSET_DEFAULT_SIZES);
	sink.ctx = &c;
	sink.row = parse_row;
	sink.stmt = parse_stmt;
	opt.ref_transaction_id = ref_txid;
	if (c.check_only && date != NULL && (format == SP_WECHAT_BILL || format == SP_WECHAT_FUNDFLOW))
	{
		int			y,
					m,
					d;

		if (sscanf(date, "%d-%d-%d", &y, &m, &d) == 3 && sp_valid_date(y, m, d))
		{
			c.check_day = true;
			c.day = sp_days(y, m, d);
		}
	}

	if (!sp_parse(format, buf, len, &opt, &sink, &meta, &err))
		bad_line(&c, err.line, err.msg);

	/* a bill whose payments (fund flows) are none of the statement date is another day's */
	if (c.check_day && c.first_line > 0 && !c.on_day)
	{
		char		lo[16],
					hi[16];
		int			y,
					m,
					d;

		sp_date_of(c.min_day, &y, &m, &d);
		snprintf(lo, sizeof(lo), "%04d-%02d-%02d", y, m, d);
		sp_date_of(c.max_day, &y, &m, &d);
		snprintf(hi, sizeof(hi), "%04d-%02d-%02d", y, m, d);
		bad_line(&c, c.first_line,
				 psprintf("begins a bill none of whose %s is dated the statement date (they are of %s%s%s): the bill is of another day",
						  format == SP_WECHAT_FUNDFLOW ? "lines" : c.by_request ? "refunds (by 退款申请时间)" : "payments",
						  lo, c.min_day == c.max_day ? "" : " to ", c.min_day == c.max_day ? "" : hi));
	}

	/* the file row */
	{
		Datum		values[PARSE_NATTS];
		bool		nulls[PARSE_NATTS];
		sp_str		keys[SP_MAX_META],
					vals[SP_MAX_META];

		int			n = 0;
		char		cnt[24];
		char	   *tot = NULL,
				   *fee = NULL;
		MemoryContext old;

		for (int i = 0; i < meta.n; i++)
		{
			keys[n] = cstr(meta.keys[i]);
			vals[n++] = cstr(meta.vals[i]);
		}
		/* the lines' count and sums, for the import row ("_" keys) */
		snprintf(cnt, sizeof(cnt), INT64_FORMAT, c.nlines);
		keys[n] = cstr("_lines");
		vals[n++] = cstr(cnt);
		if (c.nlines > 0 && !c.mixed)
		{
			tot = amount_to_cstring(c.total, c.cur);
			keys[n] = cstr("_total");
			vals[n++] = cstr(tot);
			if (c.has_fee)
			{
				fee = amount_to_cstring(c.fee, c.cur);
				keys[n] = cstr("_fee");
				vals[n++] = cstr(fee);
			}
		}
		memset(nulls, true, sizeof(nulls));
		values[0] = CStringGetTextDatum("file");
		nulls[0] = false;
		values[10] = make_jsonb(n, keys, vals);
		nulls[10] = false;
		if (c.ts)
			tuplestore_putvalues(c.ts, c.desc, values, nulls);
		old = MemoryContextSwitchTo(TopMemoryContext);
		last_file_info = DatumGetJsonbP(datumCopy(values[10], false, -1));
		MemoryContextSwitchTo(old);
	}
}

/* whether ref_field asks for the channel's serials (transaction_id) */
static bool
ref_field_txid(text *t)
{
	char	   *rf;

	if (t == NULL)
		return false;
	rf = text_to_cstring(t);
	if (strcmp(rf, "transaction_id") == 0)
		return true;
	if (strcmp(rf, "out_trade_no") == 0)
		return false;
	ereport_quietly(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("invalid ref_field \"%s\"", rf),
					errdetail("ref_field is out_trade_no (商户订单号 / 商户退款单号) or transaction_id (微信订单号 / 微信退款单号)."));
	pg_unreachable();
}

/*
 * The text of a file argument.  The parsers read no further than len; only
 * those of the Alipay files write into the buffer (they unescape quoted
 * fields in place), so only they get a copy: a bill of a million lines is
 * not copied for nothing.
 */
static char *
file_text(sp_format format, text *bill, size_t *len)
{
	char	   *buf;

	*len = VARSIZE_ANY_EXHDR(bill);
	if (format != SP_ALIPAY_BILL && format != SP_ALIPAY_ACCOUNT)
		return VARDATA_ANY(bill);
	buf = palloc(*len + 1);
	memcpy(buf, VARDATA_ANY(bill), *len);
	buf[*len] = '\0';
	return buf;
}

/*
 * The Alipay files as downloaded: GBK bytes, converted to the database
 * encoding in one pass; a byte sequence that is not GBK is a bad line.
 */
static char *
file_gbk(sp_format format, bytea *bill, const char *source, const char *date, size_t *len)
{
	unsigned char *src = (unsigned char *) VARDATA_ANY(bill);
	int			srclen = (int) VARSIZE_ANY_EXHDR(bill);
	unsigned char *dst;
	int			done;
	Oid			proc;

	if (GetDatabaseEncoding() != PG_UTF8)
		ereport_quietly(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("the Alipay loaders need a UTF8 database"),
						errdetail("The database encoding is %s.", GetDatabaseEncodingName()));
	if ((Size) srclen >= (MaxAllocSize - 1) / MAX_CONVERSION_GROWTH)
		ereport_quietly(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("statement file of %d bytes is too large to convert from GBK", srclen),
						errdetail("A file converted from GBK may take at most %zu bytes.", (Size) ((MaxAllocSize - 1) / MAX_CONVERSION_GROWTH)));
	proc = FindDefaultConversionProc(PG_GBK, PG_UTF8);
	if (!OidIsValid(proc))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("no conversion from GBK to UTF8")));
	dst = palloc((Size) srclen * MAX_CONVERSION_GROWTH + 1);
	done = pg_do_encoding_conversion_buf(proc, PG_GBK, PG_UTF8, src, srclen, dst,
										 srclen * MAX_CONVERSION_GROWTH + 1, true);
	if (done < srclen)
	{
		long		line = 1;
		parse_ctx	c;

		for (int i = 0; i < done; i++)
			if (src[i] == '\n')
				line++;
		memset(&c, 0, sizeof(c));
		c.kind = format_kind(format);
		c.source = source;
		c.date = date;
		bad_line(&c, line, "is not valid GBK text");
	}
	*len = strlen((char *) dst);
	return (char *) dst;
}

static sp_format
format_arg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("format and file must not be null")));
	return parse_format(text_to_cstring(PG_GETARG_TEXT_PP(0)));
}

#define OPT_TEXT_ARG(n) (PG_NARGS() > (n) && !PG_ARGISNULL(n) ? PG_GETARG_TEXT_PP(n) : NULL)

/* the source argument n for messages ("" when null) */
static const char *
source_arg(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/* the statement date argument n for messages (NULL when null) */
static const char *
date_arg(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : date_to_cstring(PG_GETARG_DATEADT(n));
}

/* the file to parse: the GBK bytes gbk if given, else the text bill */
static char *
file_of(sp_format format, text *bill, bytea *gbk, const char *source, const char *date, size_t *len)
{
	if (gbk != NULL)
		return file_gbk(format, gbk, source, date, len);
	return file_text(format, bill, len);
}

#define OPT_BYTEA_ARG(n) (PG_NARGS() > (n) && !PG_ARGISNULL(n) ? PG_GETARG_BYTEA_PP(n) : NULL)

/* a parse whose rows are the set the function returns */
static Datum
parse_to_srf(FunctionCallInfo fcinfo, sp_format format, char *buf, size_t len, bool txid,
			 const char *source, const char *date, parse_mode mode)
{
	ReturnSetInfo *rsinfo;

	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	run_parser(format, buf, len, txid, source, date, rsinfo->setResult, rsinfo->setDesc, NULL, mode);
	return (Datum) 0;
}

/*
 * ledger._parse_statement(format text, bill text, source text,
 *                         statement_date date, ref_field text)
 */
PG_FUNCTION_INFO_V1(ledger_parse_statement);
Datum
ledger_parse_statement(PG_FUNCTION_ARGS)
{
	sp_format	format = format_arg(fcinfo);
	const char *source = source_arg(fcinfo, 2);
	const char *date = date_arg(fcinfo, 3);
	size_t		len;
	char	   *buf = file_of(format, PG_GETARG_TEXT_PP(1), NULL, source, date, &len);

	return parse_to_srf(fcinfo, format, buf, len, ref_field_txid(OPT_TEXT_ARG(4)), source, date, PARSE_ALL);
}

/*
 * ledger._parse_statement_gbk(format text, bill bytea, source text,
 *                             statement_date date)
 */
PG_FUNCTION_INFO_V1(ledger_parse_statement_gbk);
Datum
ledger_parse_statement_gbk(PG_FUNCTION_ARGS)
{
	sp_format	format = format_arg(fcinfo);
	const char *source = source_arg(fcinfo, 2);
	const char *date = date_arg(fcinfo, 3);
	size_t		len;
	char	   *buf = file_of(format, NULL, PG_GETARG_BYTEA_PP(1), source, date, &len);

	return parse_to_srf(fcinfo, format, buf, len, false, source, date, PARSE_ALL);
}

/*
 * ledger._statement_heads(format text, bill text, source text)
 *
 * The statement rows and the file row of ledger._parse_statement(), without
 * the lines: what a bank file's loader needs to make its imports before the
 * lines are written (the whole file is still checked).
 */
PG_FUNCTION_INFO_V1(ledger_statement_heads);
Datum
ledger_statement_heads(PG_FUNCTION_ARGS)
{
	sp_format	format = format_arg(fcinfo);
	const char *source = source_arg(fcinfo, 2);
	size_t		len;
	char	   *buf = file_of(format, PG_GETARG_TEXT_PP(1), NULL, source, NULL, &len);

	return parse_to_srf(fcinfo, format, buf, len, false, source, NULL, PARSE_HEADS);
}

/* ------------------------------------------------------------------------
 * Writing the lines: ledger._statement_write()
 *
 * Once the file is checked (ledger._statement_check for a bill, the
 * statements pass for a bank file), the loaders parse it again and write
 * its lines into ledger.statement_line as they come, the way COPY writes:
 * rows formed directly, checked against the table's constraints, inserted a
 * thousand at a time (table_multi_insert, one WAL record per page) and then
 * indexed.  Nothing is staged in between, so a file costs about what its
 * lines cost to store; should a line still fail (a DBA's constraint, a
 * serial taken meanwhile), the transaction takes back what was written.  If statement_line has triggers (a DBA's audit
 * trigger, say), the lines go through one INSERT each instead, which fires
 * them.
 * ------------------------------------------------------------------------ */

/*
 * Whether the table's constraints are exactly those the extension made: its
 * four checks by name, NOT NULL only on columns every line fills.  Then a
 * line is checked here, in a few comparisons (ExecConstraints() still
 * raises the error when one fails); a DBA's own constraint makes every line
 * go through ExecConstraints().
 */
static bool
writer_known_checks(line_writer *w)
{
	static const char *const known[] = {
		"statement_line_source_check", "statement_line_ref_check",
		"statement_line_external_id_check", "statement_line_fee_currency_check"
	};
	TupleDesc	desc = RelationGetDescr(w->rel);
	TupleConstr *constr = desc->constr;

	if (constr == NULL)
		return true;
	if (constr->has_generated_stored || constr->num_check > (uint16) lengthof(known))
		return false;
	for (int i = 0; i < constr->num_check; i++)
	{
		bool		found = false;

		for (int k = 0; k < (int) lengthof(known) && !found; k++)
			found = strcmp(constr->check[i].ccname, known[k]) == 0;
		if (!found)
			return false;
	}
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (a->attnotnull &&
			(a->attnum == w->att[W_FEE] || a->attnum == w->att[W_AT] || a->attnum == w->att[W_RAW]))
			return false;
	}
	return true;
}

static void
writer_begin(line_writer *w)
{
	const LedgerCatalog *cat = ledger_catalog();
	Oid			relid = get_relname_relid("statement_line", cat->nsp);
	AclResult	aclresult;
	TupleDesc	desc;
	int			known = 0;

	if (!OidIsValid(relid))
		elog(ERROR, "table ledger.statement_line is missing");
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_INSERT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_TABLE, "statement_line");
	LockRelationOid(relid, RowExclusiveLock);
	w->seq = get_relname_relid("statement_line_id_seq", cat->nsp);
	if (!OidIsValid(w->seq))
		elog(ERROR, "sequence ledger.statement_line_id_seq is missing");
	w->loaded_at = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	w->cid = GetCurrentCommandId(true);

	{
		RangeTblEntry *rte = makeNode(RangeTblEntry);

		rte->rtekind = RTE_RELATION;
		rte->relid = relid;
		rte->relkind = RELKIND_RELATION;
		rte->rellockmode = RowExclusiveLock;
		rte->requiredPerms = ACL_INSERT;
		w->estate = CreateExecutorState();
		ExecInitRangeTable(w->estate, list_make1(rte));
		w->rri = makeNode(ResultRelInfo);
		ExecInitResultRelation(w->estate, w->rri, 1);
		w->rel = w->rri->ri_RelationDesc;
	}
	desc = RelationGetDescr(w->rel);
	for (int i = 0; i < W_NCOLS; i++)
	{
		w->att[i] = get_attnum(relid, w_names[i]);
		if (w->att[i] == InvalidAttrNumber)
			elog(ERROR, "column %s of ledger.statement_line is missing", w_names[i]);
	}
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			known++;
	if (known != W_NCOLS)
		elog(ERROR, "ledger.statement_line has %d columns, the loaders write %d", known, W_NCOLS);

	if (w->rel->trigdesc != NULL)
	{
		Oid			types[W_NCOLS];

		/* the columns in the order of w_names */
		for (int i = 0; i < W_NCOLS; i++)
			types[i] = TupleDescAttr(desc, w->att[i] - 1)->atttypid;
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		w->plan = SPI_prepare("INSERT INTO ledger.statement_line (id, source, statement_date, ref, external_id,"
							  " amount, status, fee, occurred_at, raw, import_id, line_no, loaded_at)"
							  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
							  W_NCOLS, types);
		if (w->plan == NULL)
			elog(ERROR, "could not prepare the insert of statement lines: %s", SPI_result_code_string(SPI_result));
		return;
	}
	ExecOpenIndices(w->rri, false);
	w->bistate = GetBulkInsertState();
	w->known_checks = writer_known_checks(w);
}

static void
writer_flush(line_writer *w)
{
	if (w->nbuf == 0)
		return;
	table_multi_insert(w->rel, w->slots, w->nbuf, w->cid, 0, w->bistate);
	for (int i = 0; i < w->nbuf; i++)
	{
		if (w->rri->ri_NumIndices > 0)
			list_free(ExecInsertIndexTuples(w->rri, w->slots[i], w->estate, false, false, NULL, NIL));
		ResetPerTupleExprContext(w->estate);
		ExecClearTuple(w->slots[i]);
	}
	w->nbuf = 0;
}

static void
writer_end(line_writer *w)
{
	if (w->plan)
	{
		SPI_finish();
	}
	else
	{
		writer_flush(w);
		FreeBulkInsertState(w->bistate);
		table_finish_bulk_insert(w->rel, 0);
		for (int i = 0; i < WRITE_BATCH && w->slots[i]; i++)
			ExecDropSingleTupleTableSlot(w->slots[i]);
	}
	ExecCloseResultRelations(w->estate);
	ExecCloseRangeTableRelations(w->estate);
	FreeExecutorState(w->estate);
}

static text *
concat_text(text *a, Datum b)
{
	text	   *bt = DatumGetTextPP(b);
	int			la = VARSIZE_ANY_EXHDR(a),
				lb = VARSIZE_ANY_EXHDR(bt);
	text	   *r = (text *) palloc(VARHDRSZ + la + lb);

	SET_VARSIZE(r, VARHDRSZ + la + lb);
	memcpy(VARDATA(r), VARDATA_ANY(a), la);
	memcpy(VARDATA(r) + la, VARDATA_ANY(bt), lb);
	return r;
}

/* one line, as parse_row made it (values[2..9]), to its statement's target */
static void
writer_line(parse_ctx *c, int stmt, long line_no, Datum *values, bool *nulls)
{
	line_writer *w = c->w;
	stmt_target *t;
	Datum		ref = values[3],
				ext = values[4];
	Datum		row[W_NCOLS];
	bool		isnull[W_NCOLS];

	if (stmt < 0 || stmt >= w->ntargets)
		elog(ERROR, "line %ld belongs to statement %d, of which nothing was said", line_no, stmt + 1);
	t = &w->targets[stmt];
	if (t->prefix)
	{
		bool		same = datumIsEqual(ref, ext, false, -1);

		ext = PointerGetDatum(concat_text(t->prefix, ext));
		if (same)
			ref = ext;
	}
	if (w->grouped)
	{
		group_key	key;
		group_ent  *ent;
		bool		found;
		text	   *e = DatumGetTextPP(ext);
		int			n = VARSIZE_ANY_EXHDR(e);

		if (n >= (int) sizeof(key.id))
			bad_line(c, line_no, psprintf("has a bank reference of %d bytes; at most %zu are kept", n, sizeof(key.id) - 1));
		memset(&key, 0, sizeof(key));
		key.group = t->group;
		memcpy(key.id, VARDATA_ANY(e), n);
		ent = hash_search(w->group_serials, &key, HASH_ENTER, &found);
		if (found)
			bad_line(c, line_no, psprintf("repeats the bank reference \"%s\" of line %ld in statements of the same account and date",
										  key.id, ent->line));
		ent->line = line_no;
	}

	row[W_ID] = Int64GetDatum(nextval_internal(w->seq, false));
	row[W_SOURCE] = t->source;
	row[W_DATE] = DateADTGetDatum(t->date);
	row[W_REF] = ref;
	row[W_EXT] = ext;
	row[W_AMOUNT] = values[5];
	row[W_STATUS] = values[6];
	row[W_FEE] = values[7];
	row[W_AT] = values[8];
	row[W_RAW] = values[9];
	row[W_IMPORT] = Int64GetDatum(t->import_id);
	row[W_LINE] = values[2];
	row[W_LOADED] = w->loaded_at;
	memset(isnull, 0, sizeof(isnull));
	isnull[W_FEE] = nulls[7];
	isnull[W_AT] = nulls[8];
	isnull[W_RAW] = nulls[9];

	if (w->plan)
	{
		char		n[W_NCOLS];

		for (int i = 0; i < W_NCOLS; i++)
			n[i] = isnull[i] ? 'n' : ' ';
		if (SPI_execute_plan(w->plan, row, n, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "insert of statement line %ld failed", line_no);
		return;
	}
	{
		TupleTableSlot *slot = w->slots[w->nbuf];
		TupleDesc	desc = RelationGetDescr(w->rel);

		if (slot == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(w->estate->es_query_cxt);

			slot = w->slots[w->nbuf] = table_slot_create(w->rel, NULL);
			MemoryContextSwitchTo(old);
		}
		ExecClearTuple(slot);
		for (int i = 0; i < desc->natts; i++)
			slot->tts_isnull[i] = true;
		for (int i = 0; i < W_NCOLS; i++)
		{
			slot->tts_values[w->att[i] - 1] = row[i];
			slot->tts_isnull[w->att[i] - 1] = isnull[i];
		}
		ExecStoreVirtualTuple(slot);
		ExecMaterializeSlot(slot);	/* the slot keeps its own copy */
		if (desc->constr &&
			(!w->known_checks ||
			 VARSIZE_ANY_EXHDR(DatumGetPointer(row[W_SOURCE])) == 0 ||
			 VARSIZE_ANY_EXHDR(DatumGetPointer(ref)) == 0 || VARSIZE_ANY_EXHDR(DatumGetPointer(ext)) == 0 ||
			 (!isnull[W_FEE] && !amount_same_currency(DatumGetLedgerAmountP(row[W_FEE]),
													   DatumGetLedgerAmountP(row[W_AMOUNT])))))
			ExecConstraints(w->rri, slot, w->estate);
		ResetPerTupleExprContext(w->estate);
		if (++w->nbuf == WRITE_BATCH)
			writer_flush(w);
	}
}

/*
 * ledger._statement_write(format text, bill text, gbk bytea, source text,
 *     ref_field text, sources text[], dates date[], import_ids bigint[],
 *     prefixes text[], groups integer[]) → jsonb
 *
 * Parses the file (bill, or gbk for the Alipay files as downloaded; source
 * is the loader's, for messages) and
 * writes its lines, those of its n-th statement (bills: the one) with
 * sources[n], dates[n], import_ids[n]; where prefixes[n] is not null the
 * statement lies side by side with others of its source and date, and its
 * serials (and refs that are the serial) are prefixed with it; groups[n]
 * numbers the (source, date) of the statement, in which serials must be
 * unique.  Returns what the parser found about the file, as
 * ledger._statement_parsed() does.  For the loaders only (they run as the
 * extension's owner): nobody else is granted it.
 */
PG_FUNCTION_INFO_V1(ledger_statement_write);
Datum
ledger_statement_write(PG_FUNCTION_ARGS)
{
	sp_format	format;
	line_writer w;
	Datum	   *srcs,
			   *dates,
			   *imps,
			   *prefs,
			   *grps;
	bool	   *srcn,
			   *daten,
			   *impn,
			   *prefn,
			   *grpn;
	int			n,
				n2;
	char	   *buf;
	size_t		len;
	const char *source;
	const char *date = NULL;
	bool		bank;

	if (PG_ARGISNULL(0) || (PG_ARGISNULL(1) && PG_ARGISNULL(2)))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("format and file must not be null")));
	for (int i = 5; i <= 9; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the statements' sources, dates, imports, prefixes and groups must not be null")));
	format = parse_format(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(5), TEXTOID, -1, false, TYPALIGN_INT, &srcs, &srcn, &n);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(6), DATEOID, 4, true, TYPALIGN_INT, &dates, &daten, &n2);
	if (n2 != n)
		elog(ERROR, "statement arrays of different lengths");
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(7), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &imps, &impn, &n2);
	if (n2 != n)
		elog(ERROR, "statement arrays of different lengths");
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(8), TEXTOID, -1, false, TYPALIGN_INT, &prefs, &prefn, &n2);
	if (n2 != n)
		elog(ERROR, "statement arrays of different lengths");
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(9), INT4OID, 4, true, TYPALIGN_INT, &grps, &grpn, &n2);
	if (n2 != n || n == 0)
		elog(ERROR, "statement arrays of different lengths");

	memset(&w, 0, sizeof(w));
	w.ntargets = n;
	w.targets = palloc0(sizeof(stmt_target) * n);
	for (int i = 0; i < n; i++)
	{
		if (srcn[i] || daten[i] || impn[i] || grpn[i])
			elog(ERROR, "statement %d has no source, date, import or group", i + 1);
		w.targets[i].source = srcs[i];
		w.targets[i].date = DatumGetDateADT(dates[i]);
		w.targets[i].import_id = DatumGetInt64(imps[i]);
		w.targets[i].prefix = prefn[i] ? NULL : DatumGetTextPP(prefs[i]);
		w.targets[i].group = DatumGetInt32(grps[i]);
		for (int j = 0; j < i; j++)
			if (w.targets[j].group == w.targets[i].group)
				w.grouped = true;
	}
	if (w.grouped)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(group_key);
		ctl.entrysize = sizeof(group_ent);
		ctl.hcxt = CurrentMemoryContext;
		w.group_serials = hash_create("ledger statement serials of a date", 1024, &ctl,
									  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	w.keep_raw = ledger_statement_raw_lines;
	source = source_arg(fcinfo, 3);
	bank = (format == SP_MT940 || format == SP_CAMT053);
	if (!bank)
		date = date_to_cstring(w.targets[0].date);

	buf = file_of(format, OPT_TEXT_ARG(1), OPT_BYTEA_ARG(2), source, date, &len);
	writer_begin(&w);
	run_parser(format, buf, len, ref_field_txid(OPT_TEXT_ARG(4)),
			   source, date, NULL, NULL, &w, bank ? PARSE_ALL : PARSE_CHECKED);
	writer_end(&w);
	PG_RETURN_JSONB_P(DatumGetJsonbPCopy(PointerGetDatum(last_file_info)));
}

/*
 * ledger._statement_check(format text, bill text, gbk bytea, source text,
 *                         statement_date date, ref_field text) → void
 *
 * A bill's first pass: the whole file is parsed and checked (fields, serials,
 * the summary rows) and nothing is kept, so that a bad file is refused before
 * the lines it would replace are touched: it costs a parse, not a load and a
 * rollback, and leaves no dead rows behind.  The loader then writes the file
 * with ledger._statement_write(), which checks no serial again.
 */
PG_FUNCTION_INFO_V1(ledger_statement_check);
Datum
ledger_statement_check(PG_FUNCTION_ARGS)
{
	sp_format	format;
	const char *source = source_arg(fcinfo, 3);
	const char *date = date_arg(fcinfo, 4);
	char	   *buf;
	size_t		len;

	if (PG_ARGISNULL(0) || (PG_ARGISNULL(1) && PG_ARGISNULL(2)))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("format and file must not be null")));
	format = parse_format(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	buf = file_of(format, OPT_TEXT_ARG(1), OPT_BYTEA_ARG(2), source, date, &len);
	run_parser(format, buf, len, ref_field_txid(OPT_TEXT_ARG(5)), source, date, NULL, NULL, NULL, PARSE_CHECK);
	PG_RETURN_VOID();
}

/*
 * ledger._statement_keep(source text, format text, ref_field text, bill text,
 *                        gbk bytea) → bigint
 *
 * Keeps the file a loader was given (gbk, the bytes of an Alipay file as
 * downloaded, or bill) in ledger.statement_file and returns its id.  The
 * file is compressed here, before the row is formed (with the column's
 * method, lz4 where the server has it), so that a bill of a million lines is
 * never copied whole into a heap tuple on its way to TOAST.
 */
PG_FUNCTION_INFO_V1(ledger_statement_keep);
Datum
ledger_statement_keep(PG_FUNCTION_ARGS)
{
	const LedgerCatalog *cat = ledger_catalog();
	Oid			relid = get_relname_relid("statement_file", cat->nsp);
	Datum		content;
	Datum		compressed;
	char		cmethod = InvalidCompressionMethod;
	AttrNumber	att;
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	Oid			types[5] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, BYTEAOID};
	bool		isnull;
	int64		id;
	SPIPlanPtr	plan;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || (PG_ARGISNULL(3) && PG_ARGISNULL(4)))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source, format and file must not be null")));
	if (!OidIsValid(relid))
		elog(ERROR, "table ledger.statement_file is missing");
	/* text and bytea share their layout: the UTF-8 bytes are the file */
	content = PG_ARGISNULL(4) ? PointerGetDatum(PG_DETOAST_DATUM(PG_GETARG_DATUM(3)))
		: PointerGetDatum(PG_DETOAST_DATUM(PG_GETARG_DATUM(4)));
	att = get_attnum(relid, "content");
	if (att != InvalidAttrNumber)
	{
		Relation	rel = table_open(relid, AccessShareLock);

		cmethod = TupleDescAttr(RelationGetDescr(rel), att - 1)->attcompression;
		table_close(rel, AccessShareLock);
	}
	if (!CompressionMethodIsValid(cmethod))
		cmethod = default_toast_compression;
	compressed = toast_compress_datum(content, cmethod);
	if (DatumGetPointer(compressed) != NULL)
		content = compressed;

	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);
	args[2] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	nulls[2] = PG_ARGISNULL(2) ? 'n' : ' ';
	args[3] = CStringGetTextDatum(PG_ARGISNULL(4) ? "UTF8" : "GBK");
	args[4] = content;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * A generic plan: a custom one would make the file a constant, which
	 * makeConst() decompresses again.
	 */
	plan = SPI_prepare_cursor("INSERT INTO ledger.statement_file (source, format, ref_field, encoding, content)"
							  " VALUES ($1, $2, $3, $4, $5) RETURNING id",
							  5, types, CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "could not prepare the insert of the statement file: %s", SPI_result_code_string(SPI_result));
	if (SPI_execute_plan(plan, args, nulls, false, 1) != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "could not keep the statement file");
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	PG_RETURN_INT64(id);
}

/*
 * ledger._statement_parsed() → jsonb
 *
 * What the last ledger._parse_statement() of this session found about its
 * file ('file' row's info, plus _lines, _total, _fee); NULL before any.
 */
PG_FUNCTION_INFO_V1(ledger_statement_parsed);
Datum
ledger_statement_parsed(PG_FUNCTION_ARGS)
{
	if (last_file_info == NULL)
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(DatumGetJsonbPCopy(PointerGetDatum(last_file_info)));
}

/*
 * ledger._statement_lock(source text) → void
 *
 * The loaders and reconcile of one source take turns: a transaction-level
 * lock on the source, with the keys of the advisory lock the 1.0 loaders
 * took (hashtext('ledger.recon'), hashtext(source)) in the ledger's own space
 * of lock tags (ledger.h), which pg_advisory_lock() cannot reach: a role that
 * can connect cannot stop a source's loads and reconciles by holding it.
 * Waiting for it is enough in READ COMMITTED, where each statement after it
 * sees what the other committed.  Under REPEATABLE READ or SERIALIZABLE the
 * transaction's snapshot may be older than the other's commit: a load would
 * then replace the lines it can see and keep the other load's lines beside
 * its own, a reconcile would read the statement as it was.  So there, a load
 * of the source that committed after the snapshot (an import the latest
 * snapshot sees and the transaction's does not) is a serialization failure,
 * 40001, which the client retries as any other.
 */
PG_FUNCTION_INFO_V1(ledger_statement_lock);
Datum
ledger_statement_lock(PG_FUNCTION_ARGS)
{
	text	   *source = PG_GETARG_TEXT_PP(0);
	static SPIPlanPtr plan = NULL;
	Datum		arg[1];
	int64		seen[2] = {0, 0};

	/*
	 * A source is a channel's or an account's name, kept in the indexes of
	 * the statement and reconciliation tables beside serials and refs: a
	 * name longer than that leaves them room for is refused here, where
	 * every loader and reconcile starts.
	 */
	if (VARSIZE_ANY_EXHDR(source) > SOURCE_MAX)
	{
		char	   *s = text_to_cstring(source);

		ereport_quietly((errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("the name of a statement source is too long"),
						 errdetail("The source beginning \"%.*s\" has %zu bytes; a source has at most %d.",
								   pg_mbcliplen(s, (int) strlen(s), 32), s, strlen(s), SOURCE_MAX),
						 errhint("Name the source as the channel or account it is (\"wechat\", \"cmb-reserve\").")));
	}
	(void) ledger_lock(DatumGetUInt32(DirectFunctionCall1Coll(hashtext, DEFAULT_COLLATION_OID,
															  CStringGetTextDatum("ledger.recon"))),
					   DatumGetUInt32(DirectFunctionCall1Coll(hashtext, DEFAULT_COLLATION_OID,
															  PointerGetDatum(source))),
					   false, true);
	if (!IsolationUsesXactSnapshot())
		PG_RETURN_VOID();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL)
	{
		Oid			t[1] = {TEXTOID};

		plan = ledger_prepare_kept("SELECT pg_catalog.max(i.id) FROM ledger.statement_import i"
								   " WHERE i.source OPERATOR(pg_catalog.=) $1", 1, t);
	}
	arg[0] = PointerGetDatum(source);
	for (int i = 0; i < 2; i++)
	{
		Snapshot	snap = RegisterSnapshot(i == 0 ? GetTransactionSnapshot() : GetLatestSnapshot());
		bool		isnull;
		int			rc = SPI_execute_snapshot(plan, arg, NULL, snap, InvalidSnapshot, true, false, 1);

		UnregisterSnapshot(snap);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "statement import lookup failed");
		seen[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (isnull)
			seen[i] = 0;
	}
	SPI_finish();
	if (seen[1] > seen[0])
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to a concurrent load of source \"%s\"",
						text_to_cstring(source)),
				 errdetail("Statement import %lld of the source was committed after this %s transaction took its snapshot, which does not show it.",
						   (long long) seen[1], IsolationIsSerializable() ? "SERIALIZABLE" : "REPEATABLE READ"),
				 errhint("Retry the transaction.")));
	PG_RETURN_VOID();
}
