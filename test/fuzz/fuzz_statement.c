/*
 * fuzz_statement.c — libFuzzer harness of the statement file parsers
 * (src/stmt_parse.c): the WeChat Pay trade and fund-flow bills, the Alipay
 * trade bill and account statement, MT940 and camt.053.
 *
 * The first byte of the input chooses the format (and, for WeChat, the key);
 * the rest is the file, handed over as an exactly sized heap buffer without a
 * NUL.  Checks:
 *
 *   - no crash, no undefined behaviour, no read or write outside the file;
 *   - every string handed to the sink lies inside the file or is a short
 *     string of the parser's own (a serial it composed), and is never longer
 *     than the file;
 *   - line numbers never decrease and never exceed the number of lines;
 *   - a bank statement's closing balance equals its opening balance plus the
 *     amounts of its lines, in its currency (the check the parser promises);
 *   - an error names a line of the file and gives a reason;
 *   - from a UTF-8 file (formats other than Alipay's GBK), every string and
 *     the error message are UTF-8: a text the parser cuts is cut between
 *     characters.
 *
 * Build and run with test/fuzz/run.sh.
 */
#include "fuzz_common.h"
#include "stmt_parse.h"

typedef struct fz
{
	const char *buf;
	size_t		len;
	long		nlines;
	long		last_line;
	int			stmt;
	int64_t		sum;
	long		rows;
	la_currency cur;
	bool		utf8;			/* the file is UTF-8 and the format reads UTF-8 */
} fz;

static bool utf8_ok(const char *p, size_t n);

static void
check_str(const fz *z, sp_str s)
{
	CHECK(s.n == 0 || s.p != NULL);
	if (s.n == 0)
		return;
	if (s.p >= z->buf && s.p < z->buf + z->len)
		CHECK(s.p + s.n <= z->buf + z->len);
	else
		CHECK(s.n <= 1100);	/* a string of the parser's own: a serial, joined details */
	/* touch every byte: ASan reports a read outside */
	{
		volatile char x = 0;

		for (size_t i = 0; i < s.n; i++)
			x ^= s.p[i];
		(void) x;
	}
	if (z->utf8)
		CHECK(utf8_ok(s.p, s.n));
}

static void
on_row(void *ctx, const sp_row *r)
{
	fz		   *z = ctx;

	CHECK(r->line_no >= 1 && r->line_no <= z->nlines);
	CHECK(r->line_no >= z->last_line || r->stmt != z->stmt);
	z->last_line = r->line_no;
	check_str(z, r->ref);
	check_str(z, r->external_id);
	check_str(z, r->status);
	CHECK(r->status.n > 0);
	CHECK(r->nraw >= 0 && r->nraw <= SP_MAX_FIELDS);
	for (int i = 0; i < r->nraw; i++)
	{
		check_str(z, r->raw_keys[i]);
		check_str(z, r->raw_vals[i]);
	}
	CHECK(r->cur.code != 0);
	if (r->has_at)
	{
		CHECK(sp_valid_date(r->at.y, r->at.mo, r->at.d));
		CHECK(r->at.h >= 0 && r->at.h <= 23 && r->at.mi >= 0 && r->at.mi <= 59 && r->at.s >= 0 && r->at.s <= 59);
	}
	if (r->stmt != z->stmt)
	{
		z->stmt = r->stmt;
		z->sum = 0;
		z->rows = 0;
	}
	z->cur = r->cur;
	CHECK(!__builtin_add_overflow(z->sum, r->amount, &z->sum));
	z->rows++;
}

static void
on_stmt(void *ctx, const sp_stmt *s)
{
	fz		   *z = ctx;
	int64_t		expect = s->opening;
	long		rows = (z->stmt == s->index) ? z->rows : 0;
	int64_t		sum = (z->stmt == s->index) ? z->sum : 0;

	check_str(z, s->id);
	check_str(z, s->account);
	check_str(z, s->number);
	CHECK(s->lines == rows);
	CHECK(!__builtin_add_overflow(expect, sum, &expect));
	CHECK(expect == s->closing);
	CHECK(rows == 0 || z->cur.code == s->cur.code);
	CHECK(sp_valid_date(s->closing_date.y, s->closing_date.mo, s->closing_date.d));
	/* the next statement starts afresh */
	z->stmt = s->index + 1;
	z->sum = 0;
	z->rows = 0;
}

/* whether p[0..n) is well-formed UTF-8 (overlongs and surrogates not judged) */
static bool
utf8_ok(const char *p, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		unsigned char c = (unsigned char) p[i];
		size_t		len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 :
			(c & 0xF8) == 0xF0 ? 4 : 0;

		if (len == 0 || i + len > n)
			return false;
		for (size_t k = 1; k < len; k++)
			if ((((unsigned char) p[i + k]) & 0xC0) != 0x80)
				return false;
		i += len;
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const sp_format formats[] = {SP_WECHAT_BILL, SP_WECHAT_FUNDFLOW, SP_ALIPAY_BILL,
	SP_ALIPAY_ACCOUNT, SP_MT940, SP_CAMT053};
	sp_format	f;
	sp_options	opt;
	sp_sink		sink;
	sp_meta		meta;
	sp_error	err;
	fz			z;
	char	   *buf;
	bool		ok;

	if (size < 1)
		return 0;
	f = formats[data[0] % 6];
	opt.ref_transaction_id = (data[0] / 6) % 2;
	buf = exact_copy(data + 1, size - 1);
	memset(&z, 0, sizeof(z));
	z.buf = buf;
	z.len = size - 1;
	z.nlines = 1;
	for (size_t i = 0; i < z.len; i++)
		if (buf[i] == '\n' || (buf[i] == '@' && i + 1 < z.len && buf[i + 1] == '@'))
			z.nlines++;			/* MT940 lines may end at "@@" (FinTS) */
	z.stmt = 0;
	z.utf8 = f != SP_ALIPAY_BILL && f != SP_ALIPAY_ACCOUNT && utf8_ok(buf, z.len);
	sink.ctx = &z;
	sink.row = on_row;
	sink.stmt = on_stmt;
	ok = sp_parse(f, buf, z.len, &opt, &sink, &meta, &err);
	if (!ok)
	{
		CHECK(err.line >= 1 && err.line <= z.nlines);
		CHECK(err.msg[0] != '\0');
		CHECK(strlen(err.msg) < sizeof(err.msg));
		if (z.utf8)
			CHECK(utf8_ok(err.msg, strlen(err.msg)));
	}
	else
	{
		CHECK(meta.n >= 0 && meta.n <= SP_MAX_META);
		for (int i = 0; i < meta.n; i++)
			CHECK(strlen(meta.keys[i]) < sizeof(meta.keys[0]) && strlen(meta.vals[i]) < sizeof(meta.vals[0]));
		/* the header goes into jsonb: a UTF-8 file gives UTF-8 keys and values */
		if (utf8_ok(buf, z.len))
			for (int i = 0; i < meta.n; i++)
				CHECK(utf8_ok(meta.keys[i], strlen(meta.keys[i])) &&
					  utf8_ok(meta.vals[i], strlen(meta.vals[i])));
	}
	free(buf);
	return 0;
}
