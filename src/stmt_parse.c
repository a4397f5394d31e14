/*
 * stmt_parse.c — the statement file parsers (see stmt_parse.h).
 *
 * One pass over the file for every format; nothing here allocates.  The
 * formats, as the channels and banks publish them:
 *
 *   WeChat Pay trade bill (交易账单, bill_type ALL / SUCCESS / REFUND): a
 *   header row, detail rows whose every field starts with a backtick (fields
 *   are split at ",`" — they are never quoted, so a '"' or a comma inside
 *   商户数据包 is data), then the summary header (总交易单数,...) and the
 *   summary values.
 *   WeChat Pay fund-flow bill (资金账单): the same shape, summary
 *   资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额.
 *   Alipay 业务明细 and 账务明细: '#' header lines, a CSV header, rows padded
 *   with tabs, '#' footer lines stating counts and amounts.
 *   SWIFT MT940: messages of tagged fields (:20: :25: :28C: :60F: :61: :86:
 *   :62F: ...), optionally inside {1:..}{2:..}{4: ... -} blocks, its lines
 *   ended by CRLF, LF or (FinTS) "@@".
 *   ISO 20022 camt.053.001.02 - .13: XML, read by the small tokenizer below.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "stmt_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define S(lit)	((sp_str) {(lit), sizeof(lit) - 1})

/* ---------- small helpers ---------- */

/* the length of the UTF-8 sequence lead byte c starts (0: c cannot start one) */
static inline size_t
utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
}

static bool fail(sp_error *err, long line, const char *fmt,...) __attribute__((format(printf, 3, 4)));

static bool
fail(sp_error *err, long line, const char *fmt,...)
{
	va_list		ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/*
	 * The message quotes the file: a few bytes taken at fixed places (a
	 * currency code, a date) may split a character, as may the buffer's end.
	 * Each byte of an incomplete or malformed sequence becomes '?'.
	 */
	for (unsigned char *q = (unsigned char *) err->msg; *q;)
	{
		size_t		len = utf8_len(*q);
		size_t		k = 1;

		while (k < len && (q[k] & 0xC0) == 0x80)
			k++;
		if (len == 0 || k < len)
		{
			*q++ = '?';
			continue;
		}
		q += len;
	}
	return false;
}

/* a line whose fields do not match the header's (nf > SP_MAX_FIELDS: counting stopped there) */
static bool
fields_mismatch(sp_error *err, long line, int nf, int nh)
{
	if (nf > SP_MAX_FIELDS)
		return fail(err, line, "has more than %d fields, the header has %d", SP_MAX_FIELDS, nh);
	return fail(err, line, "has %d fields, the header has %d", nf, nh);
}

/*
 * The length of the longest prefix of p[0..n) that does not end inside a
 * UTF-8 character: a sequence that the cut left incomplete is dropped.
 */
static size_t
utf8_cut(const char *p, size_t n)
{
	size_t		j = n;
	size_t		need;
	unsigned char c;

	/* back over at most three continuation bytes to the character's start */
	while (j > 0 && n - j < 3 && (((unsigned char) p[j - 1]) & 0xC0) == 0x80)
		j--;
	if (j == 0)
		return 0;
	c = (unsigned char) p[j - 1];
	if ((c & 0xC0) == 0x80)
		return j - 1;			/* four continuation bytes: not UTF-8 */
	need = utf8_len(c) ? utf8_len(c) : 4;
	return (j - 1) + need > n ? j - 1 : n;
}

/*
 * At most max bytes of s, cut at a UTF-8 character boundary: for messages
 * and for what goes into the file's jsonb header (half a character there
 * would be stored, and a dump of it would not restore).
 */
static int
clip(sp_str s, size_t max)
{
	if (s.n <= max)
		return (int) s.n;
	return (int) utf8_cut(s.p, max);
}

#define SHOW(s)	clip((s), 80), (s).p

static bool
eq(sp_str a, const char *lit)
{
	size_t		n = strlen(lit);

	return a.n == n && memcmp(a.p, lit, n) == 0;
}

static bool
starts(sp_str a, const char *lit)
{
	size_t		n = strlen(lit);

	return a.n >= n && memcmp(a.p, lit, n) == 0;
}

static sp_str
trim(sp_str s)
{
	while (s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t'))
		s.p++, s.n--;
	while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	return s;
}

static bool
blank(sp_str s)
{
	return trim(s).n == 0;
}

/* header names compare with full-width and ASCII parentheses alike */
static bool
name_eq(sp_str a, const char *lit)
{
	size_t		i = 0,
				j = 0,
				n = strlen(lit);

	while (i < a.n && j < n)
	{
		if (i + 3 <= a.n && (unsigned char) a.p[i] == 0xEF && (unsigned char) a.p[i + 1] == 0xBC &&
			((unsigned char) a.p[i + 2] == 0x88 || (unsigned char) a.p[i + 2] == 0x89))
		{
			if (lit[j] != ((unsigned char) a.p[i + 2] == 0x88 ? '(' : ')'))
				return false;
			i += 3;
			j++;
			continue;
		}
		if (a.p[i] != lit[j])
			return false;
		i++, j++;
	}
	return i == a.n && j == n;
}

static int
col(const sp_str *hdr, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (name_eq(hdr[i], name))
			return i;
	return -1;
}

static void meta_add(sp_meta *m, const char *key, const char *fmt,...) __attribute__((format(printf, 3, 4)));

static void
meta_add(sp_meta *m, const char *key, const char *fmt,...)
{
	va_list		ap;

	if (m->n >= SP_MAX_META)
		return;
	snprintf(m->keys[m->n], sizeof(m->keys[0]), "%s", key);
	va_start(ap, fmt);
	vsnprintf(m->vals[m->n], sizeof(m->vals[0]), fmt, ap);
	va_end(ap);
	/* never leave half a UTF-8 character at the end */
	m->vals[m->n][utf8_cut(m->vals[m->n], strlen(m->vals[m->n]))] = '\0';
	m->n++;
}

size_t
sp_format_units(int64_t units, int decimals, char *buf, size_t size)
{
	char		tmp[LA_AMOUNT_BUFSIZE];
	size_t		n = la_format_number(units, decimals, tmp);

	if (n >= size)
		n = size - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return n;
}

/* ---------- lines ---------- */

typedef struct lines
{
	char	   *p;
	char	   *end;
	long		no;
	char	   *nl;				/* the next '\n' (or end) once found: at_at_line() */
} lines;

static void
lines_init(lines *it, char *buf, size_t len)
{
	it->p = buf;
	it->end = buf + len;
	it->no = 0;
	it->nl = NULL;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		it->p += 3;
}

static bool
next_line(lines *it, sp_str *line)
{
	char	   *q;
	size_t		n;

	if (it->p >= it->end)
		return false;
	q = memchr(it->p, '\n', (size_t) (it->end - it->p));
	n = q ? (size_t) (q - it->p) : (size_t) (it->end - it->p);
	line->p = it->p;
	line->n = n;
	while (line->n > 0 && line->p[line->n - 1] == '\r')
		line->n--;
	it->p = q ? q + 1 : it->end;
	it->no++;
	return true;
}

/*
 * next_line() for a file whose lines also end at "@@": MT940 as some German
 * banks deliver it over FinTS/HBCI, often as one physical line
 * (":20:STARTUMS@@:25:...@@:62F:...@@-").  Each piece is a line and is
 * counted as one.  The next '\n' is searched once, not at every piece, so
 * that a file of one long line is still read in one pass.
 */
static bool
at_at_line(lines *it, sp_str *line)
{
	const char *q;

	if (it->p >= it->end)
		return false;
	if (it->nl == NULL || it->nl < it->p)
	{
		it->nl = memchr(it->p, '\n', (size_t) (it->end - it->p));
		if (it->nl == NULL)
			it->nl = it->end;
	}
	q = memmem(it->p, (size_t) (it->nl - it->p), "@@", 2);
	line->p = it->p;
	if (q != NULL)
	{
		line->n = (size_t) (q - it->p);
		it->p = (char *) q + 2;
	}
	else
	{
		line->n = (size_t) (it->nl - it->p);
		while (line->n > 0 && line->p[line->n - 1] == '\r')
			line->n--;
		it->p = it->nl < it->end ? it->nl + 1 : it->end;
	}
	it->no++;
	return true;
}

/* ---------- numbers, dates ---------- */

/*
 * [+|-] digits [sep digits] into units with `decimals` places.  *exact is
 * false when non-zero digits go beyond them (the value is then rounded half
 * away from zero).  False on malformed text or overflow.
 */
static bool
decimal(sp_str s, char sep, int decimals, int64_t *out, bool *exact)
{
	size_t		i = 0;
	bool		neg = false;
	int			digits = 0,
				frac = 0;
	uint64_t	mag = 0;
	bool		point = false,
				ex = true,
				up = false;
	const uint64_t limit = (uint64_t) INT64_MAX;

	if (s.n > 0 && (s.p[0] == '+' || s.p[0] == '-'))
	{
		neg = s.p[0] == '-';
		i++;
	}
	for (; i < s.n; i++)
	{
		char		c = s.p[i];

		if (c == sep && !point)
		{
			point = true;
			continue;
		}
		if (c < '0' || c > '9')
			return false;
		digits++;
		if (point && frac >= decimals)
		{
			if (frac == decimals && c >= '5')
				up = true;
			if (c != '0')
				ex = false;
			frac++;
			continue;
		}
		if (point)
			frac++;
		if (mag > (limit - (uint64_t) (c - '0')) / 10)
			return false;
		mag = mag * 10 + (uint64_t) (c - '0');
	}
	if (digits == 0)
		return false;
	for (; frac < decimals; frac++)
	{
		if (mag > limit / 10)
			return false;
		mag *= 10;
	}
	if (!ex && up)
	{
		if (mag >= limit)
			return false;
		mag++;
	}
	*out = neg ? -(int64_t) mag : (int64_t) mag;
	if (exact)
		*exact = ex;
	else if (!ex)
		return false;
	return true;
}

static bool
add(int64_t *acc, int64_t v)
{
	return !__builtin_add_overflow(*acc, v, acc);
}

bool
sp_valid_date(int y, int m, int d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			lim;

	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	lim = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		lim = 29;
	return d <= lim;
}

int64_t
sp_days(int y, int m, int d)
{
	/* days from civil (Howard Hinnant), relative to 2000-01-01 */
	int64_t		yy = y - (m <= 2);
	int64_t		era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t		yoe = yy - era * 400;
	int64_t		doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468 - 10957;
}

void
sp_date_of(int64_t days, int *y, int *m, int *d)
{
	/* civil from days (Howard Hinnant), the inverse of sp_days() */
	int64_t		z = days + 10957 + 719468;
	int64_t		era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t		doe = z - era * 146097;
	int64_t		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t		mp = (5 * doy + 2) / 153;

	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (yoe + era * 400 + (*m <= 2));
}

static int
digits_at(sp_str s, size_t at, int n)
{
	int			v = 0;

	if (at + (size_t) n > s.n)
		return -1;
	for (int i = 0; i < n; i++)
	{
		char		c = s.p[at + (size_t) i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	return v;
}

/* "YYYY-MM-DD HH:MM:SS" (a 'T' accepted too) */
static bool
datetime(sp_str s, sp_time *t)
{
	memset(t, 0, sizeof(*t));
	s = trim(s);
	if (s.n != 19 || s.p[4] != '-' || s.p[7] != '-' || (s.p[10] != ' ' && s.p[10] != 'T') ||
		s.p[13] != ':' || s.p[16] != ':')
		return false;
	t->y = digits_at(s, 0, 4);
	t->mo = digits_at(s, 5, 2);
	t->d = digits_at(s, 8, 2);
	t->h = digits_at(s, 11, 2);
	t->mi = digits_at(s, 14, 2);
	t->s = digits_at(s, 17, 2);
	t->has_time = true;
	return t->y >= 0 && t->mo >= 0 && t->d >= 0 && sp_valid_date(t->y, t->mo, t->d) &&
		t->h >= 0 && t->h <= 23 && t->mi >= 0 && t->mi <= 59 && t->s >= 0 && t->s <= 59;
}

/* ISO 8601 date or date-time as XML writes it: 2014-12-31[T13:15:00[.ffffff][Z|+01:00]] */
static bool
iso_datetime(sp_str s, sp_time *t)
{
	size_t		i;

	memset(t, 0, sizeof(*t));
	s = trim(s);
	if (s.n < 10 || s.p[4] != '-' || s.p[7] != '-')
		return false;
	t->y = digits_at(s, 0, 4);
	t->mo = digits_at(s, 5, 2);
	t->d = digits_at(s, 8, 2);
	if (t->y < 0 || t->mo < 0 || t->d < 0 || !sp_valid_date(t->y, t->mo, t->d))
		return false;
	i = 10;
	if (i < s.n && s.p[i] == 'T')
	{
		if (s.n < 19 || s.p[13] != ':' || s.p[16] != ':')
			return false;
		t->h = digits_at(s, 11, 2);
		t->mi = digits_at(s, 14, 2);
		t->s = digits_at(s, 17, 2);
		if (t->h < 0 || t->h > 23 || t->mi < 0 || t->mi > 59 || t->s < 0 || t->s > 59)
			return false;
		t->has_time = true;
		i = 19;
		if (i < s.n && s.p[i] == '.')
		{
			int			nd = 0;

			for (i++; i < s.n && s.p[i] >= '0' && s.p[i] <= '9'; i++, nd++)
				if (nd < 6)
					t->usec = t->usec * 10 + (s.p[i] - '0');
			if (nd == 0)
				return false;
			for (; nd < 6; nd++)
				t->usec *= 10;
		}
	}

	/*
	 * The time zone: a date-time's offset is kept; a date may carry one too
	 * (xs:date allows it: Raiffeisen writes <Dt>2017-04-01+02:00</Dt>), which
	 * names the zone of that calendar day and leaves the day as it is.
	 */
	if (i < s.n && s.p[i] == 'Z')
	{
		t->has_offset = t->has_time;
		i++;
	}
	else if (i < s.n && (s.p[i] == '+' || s.p[i] == '-'))
	{
		int			hh = digits_at(s, i + 1, 2),
					mm = (i + 3 < s.n && s.p[i + 3] == ':') ? digits_at(s, i + 4, 2) : -1;

		if (hh < 0 || hh > 14 || mm < 0 || mm > 59)
			return false;
		if (t->has_time)
		{
			t->has_offset = true;
			t->offset_min = (hh * 60 + mm) * (s.p[i] == '-' ? -1 : 1);
		}
		i += 6;
	}
	return i == s.n;
}

/* YYMMDD as SWIFT writes it (YY 00-79: 20YY, 80-99: 19YY) */
static bool
yymmdd(sp_str s, size_t at, sp_time *t)
{
	int			yy = digits_at(s, at, 2),
				mm = digits_at(s, at + 2, 2),
				dd = digits_at(s, at + 4, 2);

	memset(t, 0, sizeof(*t));
	if (yy < 0 || mm < 0 || dd < 0)
		return false;
	t->y = yy < 80 ? 2000 + yy : 1900 + yy;
	t->mo = mm;
	t->d = dd;
	return sp_valid_date(t->y, mm, dd);
}

/* ---------- CSV fields ---------- */

/* WeChat detail/summary values: "`a,`b,`c": fields are split at ",`" */
static int
split_backtick(sp_str line, sp_str *f, int max)
{
	size_t		i = 1,
				start = 1;
	int			n = 0;

	if (line.n == 0 || line.p[0] != '`')
		return -1;
	for (; i < line.n; i++)
	{
		if (line.p[i] == ',' && i + 1 < line.n && line.p[i + 1] == '`')
		{
			if (n >= max)
				return max + 1;
			f[n].p = line.p + start;
			f[n].n = i - start;
			n++;
			start = i + 2;
			i++;
		}
	}
	if (n >= max)
		return max + 1;
	f[n].p = line.p + start;
	f[n].n = line.n - start;
	return n + 1;
}

/*
 * A plain CSV line (RFC 4180 quotes, fields trimmed of spaces and tabs, as
 * Alipay pads them).  Quoted fields are unescaped in place.  -1 on a bad
 * quote, max+1 on too many fields.
 */
static int
split_csv(sp_str line, sp_str *f, int max)
{
	char	   *p = (char *) line.p;
	char	   *end = p + line.n;
	int			n = 0;

	for (;;)
	{
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (n >= max)
			return max + 1;
		if (p < end && *p == '"')
		{
			char	   *w = p,
					   *start = p;

			p++;
			for (;;)
			{
				if (p >= end)
					return -1;
				if (*p == '"')
				{
					if (p + 1 < end && p[1] == '"')
					{
						*w++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				*w++ = *p++;
			}
			f[n].p = start;
			f[n].n = (size_t) (w - start);
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if (p < end && *p != ',')
				return -1;
		}
		else
		{
			char	   *start = p;

			while (p < end && *p != ',')
			{
				if (*p == '"')
					return -1;
				p++;
			}
			f[n].p = start;
			f[n].n = (size_t) (p - start);
			f[n] = trim(f[n]);
		}
		n++;
		if (p >= end)
			break;
		p++;					/* the comma */
	}
	return n;
}

static int
split_commas(sp_str line, sp_str *f, int max)
{
	size_t		start = 0;
	int			n = 0;

	for (size_t i = 0; i <= line.n; i++)
	{
		if (i == line.n || line.p[i] == ',')
		{
			if (n >= max)
				return max + 1;
			f[n].p = line.p + start;
			f[n].n = i - start;
			f[n] = trim(f[n]);
			n++;
			start = i + 1;
		}
	}
	return n;
}

static bool
currency(const char *code, la_currency *cur)
{
	la_error	e;

	return la_parse_currency(code, strlen(code), cur, &e) == LA_OK;
}

/* ---------- WeChat Pay ---------- */

#define WX_FEE_DECIMALS 5

typedef struct colsum
{
	bool		summed;			/* an amount column: summed over the rows */
	bool		ok;				/* every value parsed */
	int64_t		sum;			/* at WX_FEE_DECIMALS places */
} colsum;

/*
 * The detail column a summary column adds up, by WeChat's naming; -1 when the
 * bill has no such column.  name[] gets the column's name ("" when the summary
 * name is too long to be one).
 */
#define WX_NAME_SIZE 160
static int
summary_source(const sp_str *hdr, int nh, sp_str sname, int c_settle, int c_fee, char *name)
{
	size_t		n = 0;
	const char *z = "总";		/* 3 bytes in UTF-8 */

	name[0] = '\0';
	if (sname.n >= WX_NAME_SIZE)
		return -1;
	/* drop the first 总 */
	{
		const char *zz = memmem(sname.p, sname.n, z, 3);

		if (zz)
		{
			size_t		at = (size_t) (zz - sname.p);

			memcpy(name, sname.p, at);
			memcpy(name + at, zz + 3, sname.n - at - 3);
			n = sname.n - 3;
		}
		else
		{
			memcpy(name, sname.p, sname.n);
			n = sname.n;
		}
	}
	name[n] = '\0';
	if (strcmp(name, "交易额") == 0)
		return c_settle;
	if (strcmp(name, "手续费金额") == 0 || strcmp(name, "手续费") == 0)
		return c_fee;
	return col(hdr, nh, name);
}

static bool
wechat_bill(char *buf, size_t len, const sp_options *opt, const sp_sink *sink,
			sp_meta *meta, sp_error *err)
{
	lines		it;
	sp_str		line;
	sp_str		hdr[SP_MAX_FIELDS],
				f[SP_MAX_FIELDS],
				sh[SP_MAX_FIELDS],
				sv[SP_MAX_FIELDS];
	int			nh = 0,
				nsh = 0,
				nsv;
	long		hdr_line = 0,
				sum_line = 0,
				val_line = 0,
				last = 0;
	int			c_time = 0, c_txid = -1, c_order = -1, c_state = -1, c_ccy = -1, c_settle = -1, c_fee = -1,
				c_rid = -1, c_rno = -1, c_refund = -1, c_rstate = -1, c_rtime = -1, c_rapply = -1;
	colsum		sums[SP_MAX_FIELDS];
	int64_t		count = 0;
	bool		have_cur = false;
	la_currency cur = {0, 0};
	char		ccy[LA_CURRENCY_BUFSIZE] = "CNY";
	const char *bill_type;
	sp_row		r;

	memset(sums, 0, sizeof(sums));
	lines_init(&it, buf, len);
	while (next_line(&it, &line))
	{
		if (blank(line))
			continue;
		last = it.no;
		if (hdr_line == 0)
		{
			hdr_line = it.no;
			nh = split_commas(line, hdr, SP_MAX_FIELDS);
			if (nh < 1 || nh > SP_MAX_FIELDS || !eq(hdr[0], "交易时间"))
				return fail(err, it.no, "is not the header row of a WeChat Pay trade bill (交易时间,公众账号ID,商户号,...)");
			c_time = 0;
			c_txid = col(hdr, nh, "微信订单号");
			c_order = col(hdr, nh, "商户订单号");
			c_state = col(hdr, nh, "交易状态");
			c_ccy = col(hdr, nh, "货币种类");
			c_settle = col(hdr, nh, "应结订单金额");
			if (c_settle < 0)
				c_settle = col(hdr, nh, "总金额");
			c_fee = col(hdr, nh, "手续费");
			c_rid = col(hdr, nh, "微信退款单号");
			c_rno = col(hdr, nh, "商户退款单号");
			c_refund = col(hdr, nh, "退款金额");
			c_rstate = col(hdr, nh, "退款状态");
			c_rtime = col(hdr, nh, "退款成功时间");
			c_rapply = col(hdr, nh, "退款申请时间");
			{
				const char *need[] = {"微信订单号", "商户订单号", "交易状态", "货币种类", "手续费"};
				int			have[] = {c_txid, c_order, c_state, c_ccy, c_fee};

				for (int i = 0; i < 5; i++)
					if (have[i] < 0)
						return fail(err, it.no, "is the header row but has no column %s", need[i]);
				if (c_settle < 0)
					return fail(err, it.no, "is the header row but has no column 应结订单金额");
			}
			if (c_rid >= 0 || c_rno >= 0 || c_refund >= 0 || c_rstate >= 0)
			{
				if (c_rid < 0 || c_rno < 0 || c_refund < 0 || c_rstate < 0)
					return fail(err, it.no, "has refund columns but not all of 微信退款单号, 商户退款单号, 退款金额, 退款状态");
			}
			bill_type = c_rid < 0 ? "SUCCESS" : c_rtime >= 0 ? "REFUND" : "ALL";
			for (int i = 0; i < nh; i++)
				sums[i].summed = sums[i].ok = (i == c_fee || i == c_settle || i == c_refund ||
											   memmem(hdr[i].p, hdr[i].n, "金额", 6) != NULL);
			continue;
		}
		if (sum_line == 0 && starts(line, "总交易单数"))
		{
			sum_line = it.no;
			nsh = split_commas(line, sh, SP_MAX_FIELDS);
			if (nsh > SP_MAX_FIELDS)
				return fail(err, it.no, "has more than %d fields", SP_MAX_FIELDS);
			continue;
		}
		if (sum_line != 0)
		{
			if (val_line != 0)
				return fail(err, it.no, "follows the summary rows; nothing may follow them");
			val_line = it.no;
			nsv = split_backtick(line, sv, SP_MAX_FIELDS);
			if (nsv != nsh)
				return fail(err, it.no, "has %d fields, the summary header has %d", nsv < 0 ? 0 : nsv, nsh);
			continue;
		}
		/* a detail row */
		{
			int			nf = split_backtick(line, f, SP_MAX_FIELDS);
			sp_str		state;
			bool		refund;
			int64_t		settle = 0,
						rfd = 0,
						fee5 = 0;
			sp_time		at;

			if (nf < 0)
				return fail(err, it.no, "is not a detail row: its first field does not start with a backtick");
			if (nf != nh)
				return fields_mismatch(err, it.no, nf, nh);
			if (!have_cur)
			{
				sp_str		c = trim(f[c_ccy]);

				if (c.n == 0 || c.n >= sizeof(ccy))
					return fail(err, it.no, "has an unknown 货币种类 \"%.*s\"", SHOW(c));
				memcpy(ccy, c.p, c.n);
				ccy[c.n] = '\0';
				if (!currency(ccy, &cur))
					return fail(err, it.no, "has an unknown 货币种类 \"%.*s\"", SHOW(c));
				have_cur = true;
			}
			else if (!eq(trim(f[c_ccy]), ccy))
				return fail(err, it.no, "has 货币种类 %.*s, earlier lines have %s; one bill holds one currency",
							SHOW(f[c_ccy]), ccy);
			state = trim(f[c_state]);
			refund = eq(state, "REFUND");
			if (!refund && !eq(state, "SUCCESS") && !eq(state, "REVOKED"))
				return fail(err, it.no, "has an unknown 交易状态 \"%.*s\"", SHOW(state));
			if (refund && c_rid < 0)
				return fail(err, it.no, "is a refund, but the bill has no refund columns (bill type SUCCESS)");
			if (!datetime(f[c_time], &at))
				return fail(err, it.no, "has an invalid 交易时间 \"%.*s\"", SHOW(f[c_time]));
			if (!decimal(trim(f[c_settle]), '.', cur.decimals, &settle, NULL))
				return fail(err, it.no, "has an invalid %.*s \"%.*s\"", SHOW(hdr[c_settle]), SHOW(f[c_settle]));
			if (refund && (!decimal(trim(f[c_refund]), '.', cur.decimals, &rfd, NULL) || rfd <= 0))
				return fail(err, it.no, "has an invalid 退款金额 \"%.*s\"", SHOW(f[c_refund]));
			if (!decimal(trim(f[c_fee]), '.', WX_FEE_DECIMALS, &fee5, NULL))
				return fail(err, it.no, "has an invalid 手续费 \"%.*s\"", SHOW(f[c_fee]));
			for (int i = 0; i < nh; i++)
			{
				int64_t		v;

				if (!sums[i].summed || !sums[i].ok)
					continue;
				if (trim(f[i]).n == 0)
					continue;
				if (!decimal(trim(f[i]), '.', WX_FEE_DECIMALS, &v, NULL) || !add(&sums[i].sum, v))
					sums[i].ok = false;
			}
			memset(&r, 0, sizeof(r));
			r.line_no = it.no;
			r.cur = cur;
			r.has_at = true;
			r.at = at;
			if (refund)
			{
				r.amount = -rfd;
				r.ref = trim(opt->ref_transaction_id ? f[c_rid] : f[c_rno]);
				r.external_id = trim(f[c_rid]);
				r.status = trim(f[c_rstate]);
				if (r.status.n == 0)
					return fail(err, it.no, "has no 退款状态");
				if (c_rtime >= 0 && trim(f[c_rtime]).n > 0)
				{
					if (!datetime(f[c_rtime], &r.at))
						return fail(err, it.no, "has an invalid 退款成功时间 \"%.*s\"", SHOW(f[c_rtime]));
				}
				/*
				 * A REFUND bill holds the refunds requested on its day; its
				 * 交易时间 is the payment's, so a refund not yet succeeded (no
				 * 退款成功时间: the bill is not updated after it is written)
				 * is at its 退款申请时间.
				 */
				if (c_rapply >= 0)
				{
					if (!datetime(f[c_rapply], &r.day))
						return fail(err, it.no, "has an invalid 退款申请时间 \"%.*s\"", SHOW(f[c_rapply]));
					r.has_day = true;
					if (c_rtime < 0 || trim(f[c_rtime]).n == 0)
						r.at = r.day;
				}
				if (r.ref.n == 0)
					return fail(err, it.no, "has no %s", opt->ref_transaction_id ? "微信退款单号" : "商户退款单号");
				if (r.external_id.n == 0)
					return fail(err, it.no, "has no 微信退款单号");
			}
			else
			{
				r.amount = settle;
				r.ref = trim(opt->ref_transaction_id ? f[c_txid] : f[c_order]);
				r.external_id = trim(f[c_txid]);
				r.status = eq(state, "SUCCESS") ? S("success") : S("reversed");
				if (r.ref.n == 0)
					return fail(err, it.no, "has no %s", opt->ref_transaction_id ? "微信订单号" : "商户订单号");
				if (r.external_id.n == 0)
					return fail(err, it.no, "has no 微信订单号");
			}
			/* the fee in the line's currency: WeChat writes it to 5 places */
			{
				int64_t		q = 1;
				int64_t		fee;

				for (int k = cur.decimals; k < WX_FEE_DECIMALS; k++)
					q *= 10;
				if (cur.decimals >= WX_FEE_DECIMALS)
					fee = fee5;
				else
					fee = fee5 >= 0 ? (fee5 + q / 2) / q : -((-fee5 + q / 2) / q);
				r.has_fee = true;
				r.fee = fee;
			}
			r.nraw = nh;
			r.raw_keys = hdr;
			r.raw_vals = f;
			count++;
			sink->row(sink->ctx, &r);
		}
	}
	if (hdr_line == 0)
		return fail(err, it.no > 0 ? it.no : 1, "ends a file that has no header row: the file is empty");
	if (sum_line == 0)
		return fail(err, last, "is the last line, but the summary rows (总交易单数,应结订单总金额,...) are missing: the file is cut short");
	if (val_line == 0)
		return fail(err, sum_line, "is the summary header, but the summary values row is missing: the file is cut short");

	meta_add(meta, "bill_type", "%s", bill_type);
	meta_add(meta, "currency", "%s", ccy);
	{
		bool		counted = false;

		for (int i = 0; i < nsh; i++)
		{
			sp_str		v = trim(sv[i]);

			meta_add(meta, "", "%.*s", clip(v, 90), v.p);
			snprintf(meta->keys[meta->n - 1], sizeof(meta->keys[0]), "%.*s", clip(sh[i], 46), sh[i].p);
			if (eq(sh[i], "总交易单数"))
			{
				int64_t		n;

				if (!decimal(v, '.', 0, &n, NULL) || n != count)
					return fail(err, val_line, "states 总交易单数 %.*s, but the bill has %lld detail rows",
								SHOW(v), (long long) count);
				counted = true;
				continue;
			}
			{
				char		want[WX_NAME_SIZE];
				int			src = summary_source(hdr, nh, sh[i], c_settle, c_fee, want);
				int64_t		stated;
				char		a[LA_AMOUNT_BUFSIZE];

				/*
				 * A figure whose column the bill type leaves out (the refund
				 * totals of a SUCCESS bill): WeChat's summary adds up the rows
				 * of the file (a REFUND bill states 总交易额 0.00), so nothing
				 * can add to it.
				 */
				if (src < 0 && want[0] != '\0' && decimal(v, '.', WX_FEE_DECIMALS, &stated, NULL))
				{
					if (stated != 0)
						return fail(err, val_line, "states %.*s %.*s, but the bill has no column %s: none of its rows adds to it",
									SHOW(sh[i]), SHOW(v), want);
					continue;
				}
				if (src < 0 || !sums[src].summed)
					continue;	/* a figure without a detail column */
				if (!sums[src].ok)
					return fail(err, val_line, "states %.*s, but the column %.*s holds values that are not amounts",
								SHOW(sh[i]), SHOW(hdr[src]));
				if (!decimal(v, '.', WX_FEE_DECIMALS, &stated, NULL))
					return fail(err, val_line, "has an invalid %.*s \"%.*s\"", SHOW(sh[i]), SHOW(v));
				if (stated != sums[src].sum)
				{
					/* show the sum with the decimals the bill writes */
					{
						const char *dot = memchr(v.p, '.', v.n);
						int			k = dot ? (int) (v.p + v.n - dot - 1) : 0;
						int64_t		q = 1;

						if (k < cur.decimals)
							k = cur.decimals;
						for (int j = k; j < WX_FEE_DECIMALS; j++)
							q *= 10;
						if (k < WX_FEE_DECIMALS && sums[src].sum % q == 0)
							sp_format_units(sums[src].sum / q, k, a, sizeof(a));
						else
							sp_format_units(sums[src].sum, WX_FEE_DECIMALS, a, sizeof(a));
					}
					return fail(err, val_line, "states %.*s %.*s, but the rows' %.*s add up to %s",
								SHOW(sh[i]), SHOW(v), SHOW(hdr[src]), a);
				}
			}
		}
		if (!counted)
			return fail(err, sum_line, "is the summary header but has no 总交易单数");
	}
	return true;
}

static bool
wechat_fundflow(char *buf, size_t len, const sp_sink *sink, sp_meta *meta, sp_error *err)
{
	lines		it;
	sp_str		line;
	sp_str		hdr[SP_MAX_FIELDS],
				f[SP_MAX_FIELDS],
				sh[SP_MAX_FIELDS],
				sv[SP_MAX_FIELDS];
	int			nh = 0,
				nsh = 0,
				nsv = 0;
	long		hdr_line = 0,
				sum_line = 0,
				val_line = 0,
				last = 0;
	int			c_time = 0, c_txid = -1, c_flow = -1, c_dir = -1, c_amount = -1, c_voucher = -1;
	int64_t		n_all = 0,
				n_in = 0,
				n_out = 0,
				s_in = 0,
				s_out = 0;
	la_currency cur;
	sp_row		r;

	currency("CNY", &cur);
	lines_init(&it, buf, len);
	while (next_line(&it, &line))
	{
		if (blank(line))
			continue;
		last = it.no;
		if (hdr_line == 0)
		{
			hdr_line = it.no;
			nh = split_commas(line, hdr, SP_MAX_FIELDS);
			if (nh < 1 || nh > SP_MAX_FIELDS || !eq(hdr[0], "记账时间"))
				return fail(err, it.no, "is not the header row of a WeChat Pay fund-flow bill (记账时间,微信支付业务单号,资金流水单号,...)");
			c_txid = col(hdr, nh, "微信支付业务单号");
			c_flow = col(hdr, nh, "资金流水单号");
			c_dir = col(hdr, nh, "收支类型");
			c_amount = col(hdr, nh, "收支金额(元)");
			c_voucher = col(hdr, nh, "业务凭证号");
			{
				const char *need[] = {"微信支付业务单号", "资金流水单号", "收支类型", "收支金额(元)", "业务凭证号"};
				int			have[] = {c_txid, c_flow, c_dir, c_amount, c_voucher};

				for (int i = 0; i < 5; i++)
					if (have[i] < 0)
						return fail(err, it.no, "is the header row but has no column %s", need[i]);
			}
			continue;
		}
		if (sum_line == 0 && starts(line, "资金流水总笔数"))
		{
			sum_line = it.no;
			nsh = split_commas(line, sh, SP_MAX_FIELDS);
			if (nsh > SP_MAX_FIELDS)
				return fail(err, it.no, "has more than %d fields", SP_MAX_FIELDS);
			continue;
		}
		if (sum_line != 0)
		{
			if (val_line != 0)
				return fail(err, it.no, "follows the summary rows; nothing may follow them");
			val_line = it.no;
			nsv = split_backtick(line, sv, SP_MAX_FIELDS);
			if (nsv != nsh)
				return fail(err, it.no, "has %d fields, the summary header has %d", nsv < 0 ? 0 : nsv, nsh);
			continue;
		}
		{
			int			nf = split_backtick(line, f, SP_MAX_FIELDS);
			int64_t		v;
			sp_str		dir;

			if (nf < 0)
				return fail(err, it.no, "is not a detail row: its first field does not start with a backtick");
			if (nf != nh)
				return fields_mismatch(err, it.no, nf, nh);
			memset(&r, 0, sizeof(r));
			if (!datetime(f[c_time], &r.at))
				return fail(err, it.no, "has an invalid 记账时间 \"%.*s\"", SHOW(f[c_time]));
			r.has_at = true;
			if (!decimal(trim(f[c_amount]), '.', cur.decimals, &v, NULL) || v < 0)
				return fail(err, it.no, "has an invalid 收支金额(元) \"%.*s\"", SHOW(f[c_amount]));
			dir = trim(f[c_dir]);
			if (eq(dir, "收入"))
			{
				n_in++;
				if (!add(&s_in, v))
					return fail(err, it.no, "makes the income total overflow");
			}
			else if (eq(dir, "支出"))
			{
				n_out++;
				if (!add(&s_out, v))
					return fail(err, it.no, "makes the expense total overflow");
				v = -v;
			}
			else
				return fail(err, it.no, "has an unknown 收支类型 \"%.*s\" (收入 or 支出)", SHOW(dir));
			n_all++;
			r.line_no = it.no;
			r.cur = cur;
			r.amount = v;
			r.ref = trim(f[c_voucher]);
			if (r.ref.n == 0)
				r.ref = trim(f[c_txid]);
			if (r.ref.n == 0)
				return fail(err, it.no, "has neither a 业务凭证号 nor a 微信支付业务单号");
			r.external_id = trim(f[c_flow]);
			if (r.external_id.n == 0)
				return fail(err, it.no, "has no 资金流水单号");
			r.status = S("success");
			r.nraw = nh;
			r.raw_keys = hdr;
			r.raw_vals = f;
			sink->row(sink->ctx, &r);
		}
	}
	if (hdr_line == 0)
		return fail(err, it.no > 0 ? it.no : 1, "ends a file that has no header row: the file is empty");
	if (sum_line == 0)
		return fail(err, last, "is the last line, but the summary rows (资金流水总笔数,收入笔数,...) are missing: the file is cut short");
	if (val_line == 0)
		return fail(err, sum_line, "is the summary header, but the summary values row is missing: the file is cut short");
	{
		const char *names[] = {"资金流水总笔数", "收入笔数", "收入金额", "支出笔数", "支出金额"};
		int64_t		got[] = {n_all, n_in, s_in, n_out, s_out};
		bool		money[] = {false, false, true, false, true};

		for (int k = 0; k < 5; k++)
		{
			int			i = col(sh, nsh, names[k]);
			int64_t		stated;
			char		a[LA_AMOUNT_BUFSIZE];

			if (i < 0)
				return fail(err, sum_line, "is the summary header but has no %s", names[k]);
			meta_add(meta, names[k], "%.*s", clip(trim(sv[i]), 90), trim(sv[i]).p);
			if (!decimal(trim(sv[i]), '.', money[k] ? cur.decimals : 0, &stated, NULL))
				return fail(err, val_line, "has an invalid %s \"%.*s\"", names[k], SHOW(sv[i]));
			if (stated != got[k])
			{
				if (money[k])
					sp_format_units(got[k], cur.decimals, a, sizeof(a));
				else
					snprintf(a, sizeof(a), "%lld", (long long) got[k]);
				return fail(err, val_line, "states %s %.*s, but the rows give %s", names[k], SHOW(trim(sv[i])), a);
			}
		}
	}
	return true;
}

/* ---------- Alipay ---------- */

/* "#账号：[2088...]" and "#起始日期：[2019年09月16日 00:00:00]   终止日期：[...]" */
static bool
cn_date(const char *p, const char *end, sp_time *t)
{
	sp_str		s = {p, (size_t) (end - p)};

	memset(t, 0, sizeof(*t));
	/* YYYY年MM月DD日: 年 月 日 are 3 bytes each */
	if (s.n < 4 + 3 + 2 + 3 + 2 + 3)
		return false;
	t->y = digits_at(s, 0, 4);
	if (memcmp(p + 4, "年", 3) != 0)
		return false;
	t->mo = digits_at(s, 7, 2);
	if (memcmp(p + 9, "月", 3) != 0)
		return false;
	t->d = digits_at(s, 12, 2);
	if (memcmp(p + 14, "日", 3) != 0)
		return false;
	return t->y >= 0 && t->mo >= 0 && t->d >= 0 && sp_valid_date(t->y, t->mo, t->d);
}

static const char *
find(sp_str s, const char *lit)
{
	return memmem(s.p, s.n, lit, strlen(lit));
}

static bool
alipay_head(sp_str line, long no, sp_meta *meta, sp_error *err)
{
	const char *a,
			   *b;

	if (starts(line, "#账号："))
	{
		a = find(line, "[");
		b = find(line, "]");
		if (a && b && b > a)
		{
			sp_str		acc = {a + 1, (size_t) (b - a - 1)};

			meta_add(meta, "account", "%.*s", clip(acc, 90), acc.p);
		}
	}
	else if (starts(line, "#起始日期："))
	{
		sp_time		from,
					to;
		const char *e = line.p + line.n;
		const char *t = find(line, "终止日期：[");

		a = find(line, "[");
		if (!a || !t || !cn_date(a + 1, e, &from) || !cn_date(t + strlen("终止日期：["), e, &to))
			return fail(err, no, "is not a period line of the form #起始日期：[YYYY年MM月DD日 hh:mm:ss]   终止日期：[...]");
		meta_add(meta, "period_line", "%ld", no);
		meta_add(meta, "from", "%04d-%02d-%02d", from.y, from.mo, from.d);
		meta_add(meta, "to", "%04d-%02d-%02d", to.y, to.mo, to.d);
	}
	return true;
}

/*
 * A footer line "#交易合计：6笔，商家实收共0.06元，商家优惠共0.00元": the count,
 * then (label, amount) pairs.
 */
typedef struct footer
{
	long		line;
	sp_str		text;			/* after the colon, as written */
	int64_t		count;
	int			n;
	sp_str		label[6];
	sp_str		amount[6];
} footer;

static bool
parse_footer(sp_str line, long no, const char *key, footer *ft, sp_error *err)
{
	const char *p = line.p + strlen(key),
			   *end = line.p + line.n,
			   *q;
	sp_str		num;

	memset(ft, 0, sizeof(*ft));
	ft->line = no;
	ft->text.p = p;
	ft->text.n = (size_t) (end - p);
	while (ft->text.n > 0 && (ft->text.p[ft->text.n - 1] == ',' || ft->text.p[ft->text.n - 1] == ' '))
		ft->text.n--;
	q = p;
	while (q < end && *q >= '0' && *q <= '9')
		q++;
	num.p = p;
	num.n = (size_t) (q - p);
	if (num.n == 0 || (size_t) (end - q) < 3 || memcmp(q, "笔", 3) != 0 ||
		!decimal(num, '.', 0, &ft->count, NULL))
		return fail(err, no, "is not a footer line of the form %sN笔，...共X元", key);
	p = q + 3;
	/* trailing commas of a CSV export */
	while (end > p && (end[-1] == ',' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	while (p < end)
	{
		const char *gong,
				   *yuan;

		if ((size_t) (end - p) >= 3 && memcmp(p, "，", 3) == 0)
			p += 3;
		else if (*p == ',')
			p++;
		else
			return fail(err, no, "is not a footer line of the form %sN笔，...共X元", key);
		gong = memmem(p, (size_t) (end - p), "共", 3);
		if (!gong)
			return fail(err, no, "is not a footer line of the form %sN笔，...共X元", key);
		yuan = memmem(gong, (size_t) (end - gong), "元", 3);
		if (!yuan || ft->n >= 6)
			return fail(err, no, "is not a footer line of the form %sN笔，...共X元", key);
		ft->label[ft->n].p = p;
		ft->label[ft->n].n = (size_t) (gong - p);
		ft->amount[ft->n].p = gong + 3;
		ft->amount[ft->n].n = (size_t) (yuan - gong - 3);
		ft->n++;
		p = yuan + 3;
	}
	return true;
}

typedef struct alisum
{
	int64_t		count;
	int64_t		order;			/* 订单金额 */
	int64_t		actual;			/* 商家实收 */
	int64_t		discount;		/* 商家优惠 */
} alisum;

static bool
check_footer(const footer *ft, const char *what, const alisum *s, bool has_actual, bool has_discount,
			 la_currency cur, sp_meta *meta, const char *key, sp_error *err)
{
	char		a[LA_AMOUNT_BUFSIZE];

	meta_add(meta, key, "%.*s", clip(ft->text, 90), ft->text.p);
	if (ft->count != s->count)
		return fail(err, ft->line, "states %s%lld笔, but the bill has %lld %s rows", what,
					(long long) ft->count, (long long) s->count, what[0] == '\xe4' ? "交易" : "退款");
	for (int i = 0; i < ft->n; i++)
	{
		sp_str		l = ft->label[i];
		int64_t		stated,
					got;
		bool		ok = true;

		/* "商家实收退款" reads as "商家实收", "交易退款金额" as "交易金额" */
		if (eq(l, "商家实收") || eq(l, "商家实收退款") || eq(l, "实收金额") || eq(l, "实收退款金额"))
		{
			ok = has_actual;
			got = s->actual;
		}
		else if (eq(l, "商家优惠") || eq(l, "商家优惠退款") || eq(l, "优惠金额") || eq(l, "优惠退款金额"))
		{
			ok = has_discount;
			got = s->discount;
		}
		else if (eq(l, "交易金额") || eq(l, "订单金额") || eq(l, "总金额") || eq(l, "交易退款金额") ||
				 eq(l, "退款金额") || eq(l, "退款") || eq(l, "订单退款金额"))
			got = s->order;
		else
			return fail(err, ft->line, "states an amount for \"%.*s\", a figure this loader does not know how to check", SHOW(l));
		if (!ok)
			return fail(err, ft->line, "states %.*s, but the bill has no column for it", SHOW(l));
		if (!decimal(trim(ft->amount[i]), '.', cur.decimals, &stated, NULL))
			return fail(err, ft->line, "has an invalid amount \"%.*s\" for %.*s", SHOW(ft->amount[i]), SHOW(l));
		if (stated != got)
		{
			sp_format_units(got, cur.decimals, a, sizeof(a));
			return fail(err, ft->line, "states %.*s共%.*s元, but the %s rows add up to %s",
						SHOW(l), SHOW(trim(ft->amount[i])), what[0] == '\xe4' ? "交易" : "退款", a);
		}
	}
	return true;
}

static bool
alipay_bill(char *buf, size_t len, const sp_sink *sink, sp_meta *meta, sp_error *err)
{
	lines		it;
	sp_str		line;
	sp_str		hdr[SP_MAX_FIELDS],
				f[SP_MAX_FIELDS];
	int			nh = 0;
	long		first = 0,
				hdr_line = 0,
				foot_line = 0,
				last = 0;
	int			c_txid = -1, c_order = -1, c_type = -1, c_done = -1, c_amount = -1, c_actual = -1, c_disc = -1, c_fee = -1, c_rno = -1;
	footer		ft_trade = {0},
				ft_refund = {0};
	bool		got_trade = false,
				got_refund = false;
	alisum		trade = {0},
				refund = {0};
	la_currency cur;
	char		extbuf[256];
	sp_row		r;

	currency("CNY", &cur);
	lines_init(&it, buf, len);
	while (next_line(&it, &line))
	{
		if (blank(line))
			continue;
		last = it.no;
		if (first == 0)
		{
			first = it.no;
			if (!starts(trim(line), "#支付宝业务明细查询"))
				return fail(err, it.no, "is not #支付宝业务明细查询: not an Alipay trade bill");
			continue;
		}
		if (hdr_line == 0)
		{
			if (line.p[0] == '#')
			{
				if (!alipay_head(line, it.no, meta, err))
					return false;
				continue;
			}
			hdr_line = it.no;
			nh = split_csv(line, hdr, SP_MAX_FIELDS);
			if (nh < 0 || nh > SP_MAX_FIELDS)
				return fail(err, it.no, "is not a column header row");
			c_txid = col(hdr, nh, "支付宝交易号");
			c_order = col(hdr, nh, "商户订单号");
			c_type = col(hdr, nh, "业务类型");
			c_done = col(hdr, nh, "完成时间");
			c_amount = col(hdr, nh, "订单金额(元)");
			c_actual = col(hdr, nh, "商家实收(元)");
			c_disc = col(hdr, nh, "商家优惠(元)");
			c_fee = col(hdr, nh, "服务费(元)");
			c_rno = col(hdr, nh, "退款批次号/请求号");
			{
				const char *need[] = {"支付宝交易号", "商户订单号", "业务类型", "完成时间", "订单金额（元）", "服务费（元）", "退款批次号/请求号"};
				int			have[] = {c_txid, c_order, c_type, c_done, c_amount, c_fee, c_rno};

				for (int i = 0; i < 7; i++)
					if (have[i] < 0)
						return fail(err, it.no, "is the column header but has no column %s", need[i]);
			}
			continue;
		}
		if (line.p[0] == '#')
		{
			if (foot_line == 0)
				foot_line = it.no;
			if (starts(line, "#交易合计："))
			{
				if (!parse_footer(line, it.no, "#交易合计：", &ft_trade, err))
					return false;
				got_trade = true;
			}
			else if (starts(line, "#退款合计："))
			{
				if (!parse_footer(line, it.no, "#退款合计：", &ft_refund, err))
					return false;
				got_refund = true;
			}
			continue;
		}
		if (foot_line != 0)
			return fail(err, it.no, "follows the footer; only # lines may follow it");
		{
			int			nf = split_csv(line, f, SP_MAX_FIELDS);
			sp_str		type;
			bool		is_refund;
			int64_t		amount,
						v;
			alisum	   *s;

			if (nf < 0)
				return fail(err, it.no, "has an unterminated or misplaced quote");
			if (nf != nh)
				return fields_mismatch(err, it.no, nf, nh);
			type = f[c_type];
			is_refund = eq(type, "退款");
			if (!is_refund && !eq(type, "交易"))
				return fail(err, it.no, "has an unknown 业务类型 \"%.*s\"", SHOW(type));
			if (!decimal(f[c_amount], '.', cur.decimals, &amount, NULL))
				return fail(err, it.no, "has an invalid 订单金额（元） \"%.*s\"", SHOW(f[c_amount]));
			if (!is_refund && amount <= 0)
				return fail(err, it.no, "is a 交易 with 订单金额 %.*s; trades are positive", SHOW(f[c_amount]));
			if (is_refund && amount >= 0)
				return fail(err, it.no, "is a 退款 with 订单金额 %.*s; refunds are negative", SHOW(f[c_amount]));
			s = is_refund ? &refund : &trade;
			s->count++;
			if (!add(&s->order, amount))
				return fail(err, it.no, "makes the 订单金额 total overflow");
			if (c_actual >= 0)
			{
				if (!decimal(f[c_actual], '.', cur.decimals, &v, NULL))
					return fail(err, it.no, "has an invalid 商家实收（元） \"%.*s\"", SHOW(f[c_actual]));
				if (!add(&s->actual, v))
					return fail(err, it.no, "makes the 商家实收 total overflow");
			}
			if (c_disc >= 0 && f[c_disc].n > 0)
			{
				if (!decimal(f[c_disc], '.', cur.decimals, &v, NULL))
					return fail(err, it.no, "has an invalid 商家优惠（元） \"%.*s\"", SHOW(f[c_disc]));
				if (!add(&s->discount, v))
					return fail(err, it.no, "makes the 商家优惠 total overflow");
			}
			memset(&r, 0, sizeof(r));
			r.line_no = it.no;
			r.cur = cur;
			r.amount = amount;
			if (f[c_fee].n > 0)
			{
				/*
				 * Alipay signs every money column of the bill from the
				 * merchant's side, 服务费 too: a trade's fee is money taken
				 * (-0.59 on a 295.00 trade, whose 实收净额 is 294.41), the fee
				 * a refund gives back is money returned (positive).  The
				 * line's fee is the channel's charge, as amount - fee
				 * expects: the figure negated.  The other signs would mean
				 * a fee paid to the merchant on a trade or charged on a
				 * refund; such a file is refused rather than guessed at.
				 */
				if (!decimal(f[c_fee], '.', cur.decimals, &v, NULL))
					return fail(err, it.no, "has an invalid 服务费（元） \"%.*s\"", SHOW(f[c_fee]));
				if (!is_refund && v > 0)
					return fail(err, it.no, "is a 交易 with 服务费（元） %.*s; Alipay writes a trade's fee as a negative figure (money taken from the merchant)",
								SHOW(f[c_fee]));
				if (is_refund && v < 0)
					return fail(err, it.no, "is a 退款 with 服务费（元） %.*s; Alipay writes the fee a refund returns as a positive figure (money back to the merchant)",
								SHOW(f[c_fee]));
				r.fee = -v;
				r.has_fee = true;
			}
			if (f[c_txid].n == 0)
				return fail(err, it.no, "has no 支付宝交易号");
			r.ref = is_refund ? f[c_rno] : f[c_order];
			if (r.ref.n == 0)
				return fail(err, it.no, "has no %s", is_refund ? "退款批次号/请求号" : "商户订单号");
			if (is_refund)
			{
				int			n = snprintf(extbuf, sizeof(extbuf), "%.*s/%.*s",
										 (int) f[c_txid].n, f[c_txid].p, (int) f[c_rno].n, f[c_rno].p);

				if (n < 0 || (size_t) n >= sizeof(extbuf))
					return fail(err, it.no, "has a 支付宝交易号 and 退款批次号/请求号 too long to be a serial");
				r.external_id.p = extbuf;
				r.external_id.n = (size_t) n;
			}
			else
				r.external_id = f[c_txid];
			if (!datetime(f[c_done], &r.at))
				return fail(err, it.no, "has an invalid 完成时间 \"%.*s\"", SHOW(f[c_done]));
			r.has_at = true;
			r.status = S("success");
			r.nraw = nh;
			r.raw_keys = hdr;
			r.raw_vals = f;
			sink->row(sink->ctx, &r);
		}
	}
	if (first == 0)
		return fail(err, it.no > 0 ? it.no : 1, "ends a file that has no content: the file is empty");
	if (hdr_line == 0)
		return fail(err, last, "ends the file, which has no column header and no rows");
	if (!got_trade || !got_refund)
		return fail(err, last, "ends the file, but the footer lacks its %s line: the file is cut short",
					got_trade ? "#退款合计" : "#交易合计");
	if (!check_footer(&ft_trade, "交易合计：", &trade, c_actual >= 0, c_disc >= 0, cur, meta, "交易合计", err))
		return false;
	if (!check_footer(&ft_refund, "退款合计：", &refund, c_actual >= 0, c_disc >= 0, cur, meta, "退款合计", err))
		return false;
	return true;
}

static bool
alipay_account(char *buf, size_t len, const sp_sink *sink, sp_meta *meta, sp_error *err)
{
	lines		it;
	sp_str		line;
	sp_str		hdr[SP_MAX_FIELDS],
				f[SP_MAX_FIELDS];
	int			nh = 0;
	long		first = 0,
				hdr_line = 0,
				foot_line = 0,
				last = 0;
	int			c_flow = -1, c_biz = -1, c_order = -1, c_time = -1, c_in = -1, c_out = -1;
	footer		ft_in = {0},
				ft_out = {0};
	bool		got_in = false,
				got_out = false;
	int64_t		n_in = 0,
				n_out = 0,
				s_in = 0,
				s_out = 0;
	la_currency cur;
	sp_row		r;

	currency("CNY", &cur);
	lines_init(&it, buf, len);
	while (next_line(&it, &line))
	{
		if (blank(line))
			continue;
		last = it.no;
		if (first == 0)
		{
			first = it.no;
			if (!starts(trim(line), "#支付宝账务明细查询"))
				return fail(err, it.no, "is not #支付宝账务明细查询: not an Alipay account statement");
			continue;
		}
		if (hdr_line == 0)
		{
			if (line.p[0] == '#')
			{
				if (!alipay_head(line, it.no, meta, err))
					return false;
				continue;
			}
			hdr_line = it.no;
			nh = split_csv(line, hdr, SP_MAX_FIELDS);
			if (nh < 0 || nh > SP_MAX_FIELDS)
				return fail(err, it.no, "is not a column header row");
			c_flow = col(hdr, nh, "账务流水号");
			c_biz = col(hdr, nh, "业务流水号");
			c_order = col(hdr, nh, "商户订单号");
			c_time = col(hdr, nh, "发生时间");
			c_in = col(hdr, nh, "收入金额(+元)");
			c_out = col(hdr, nh, "支出金额(-元)");
			{
				const char *need[] = {"账务流水号", "业务流水号", "商户订单号", "发生时间", "收入金额（+元）", "支出金额（-元）"};
				int			have[] = {c_flow, c_biz, c_order, c_time, c_in, c_out};

				for (int i = 0; i < 6; i++)
					if (have[i] < 0)
						return fail(err, it.no, "is the column header but has no column %s", need[i]);
			}
			continue;
		}
		if (line.p[0] == '#')
		{
			if (foot_line == 0)
				foot_line = it.no;
			if (starts(line, "#收入合计："))
			{
				if (!parse_footer(line, it.no, "#收入合计：", &ft_in, err))
					return false;
				got_in = true;
			}
			else if (starts(line, "#支出合计："))
			{
				if (!parse_footer(line, it.no, "#支出合计：", &ft_out, err))
					return false;
				got_out = true;
			}
			continue;
		}
		if (foot_line != 0)
			return fail(err, it.no, "follows the footer; only # lines may follow it");
		{
			int			nf = split_csv(line, f, SP_MAX_FIELDS);
			int64_t		in = 0,
						out = 0;

			if (nf < 0)
				return fail(err, it.no, "has an unterminated or misplaced quote");
			/* exports pad the rows with empty fields after the last column */
			while (nf > nh && nf <= SP_MAX_FIELDS && f[nf - 1].n == 0)
				nf--;
			if (nf != nh)
				return fields_mismatch(err, it.no, nf, nh);
			if (f[c_in].n > 0 && !decimal(f[c_in], '.', cur.decimals, &in, NULL))
				return fail(err, it.no, "has an invalid 收入金额（+元） \"%.*s\"", SHOW(f[c_in]));
			if (f[c_out].n > 0 && !decimal(f[c_out], '.', cur.decimals, &out, NULL))
				return fail(err, it.no, "has an invalid 支出金额（-元） \"%.*s\"", SHOW(f[c_out]));
			if (in < 0)
				return fail(err, it.no, "has a negative 收入金额（+元） %.*s", SHOW(f[c_in]));
			/* the expense column is written as 6.00 or as -6.00: money out either way */
			if (out < 0)
				out = -out;
			if (in != 0 && out != 0)
				return fail(err, it.no, "has both a 收入金额 and a 支出金额");
			if (in != 0)
			{
				n_in++;
				if (!add(&s_in, in))
					return fail(err, it.no, "makes the income total overflow");
			}
			if (out != 0)
			{
				n_out++;
				if (!add(&s_out, out))
					return fail(err, it.no, "makes the expense total overflow");
			}
			memset(&r, 0, sizeof(r));
			r.line_no = it.no;
			r.cur = cur;
			r.amount = in - out;
			r.ref = f[c_order].n > 0 ? f[c_order] : f[c_biz];
			if (r.ref.n == 0)
				return fail(err, it.no, "has neither a 商户订单号 nor a 业务流水号");
			r.external_id = f[c_flow];
			if (r.external_id.n == 0)
				return fail(err, it.no, "has no 账务流水号");
			if (!datetime(f[c_time], &r.at))
				return fail(err, it.no, "has an invalid 发生时间 \"%.*s\"", SHOW(f[c_time]));
			r.has_at = true;
			r.status = S("success");
			r.nraw = nh;
			r.raw_keys = hdr;
			r.raw_vals = f;
			sink->row(sink->ctx, &r);
		}
	}
	if (first == 0)
		return fail(err, it.no > 0 ? it.no : 1, "ends a file that has no content: the file is empty");
	if (hdr_line == 0)
		return fail(err, last, "ends the file, which has no column header and no rows");
	if (!got_in || !got_out)
		return fail(err, last, "ends the file, but the footer lacks its %s line: the file is cut short",
					got_in ? "#支出合计" : "#收入合计");
	{
		const footer *fts[2] = {&ft_in, &ft_out};
		const char *what[2] = {"收入合计", "支出合计"};
		int64_t		n[2] = {n_in, n_out},
					s[2] = {s_in, s_out};

		for (int k = 0; k < 2; k++)
		{
			const footer *ft = fts[k];
			int64_t		stated;
			char		a[LA_AMOUNT_BUFSIZE];

			meta_add(meta, what[k], "%.*s", clip(ft->text, 90), ft->text.p);
			if (ft->count != n[k])
				return fail(err, ft->line, "states %s：%lld笔, but the statement has %lld %s rows", what[k],
							(long long) ft->count, (long long) n[k], k == 0 ? "收入" : "支出");
			if (ft->n != 1)
				return fail(err, ft->line, "is not a footer line of the form #%s：N笔，共X元", what[k]);
			if (!decimal(trim(ft->amount[0]), '.', cur.decimals, &stated, NULL))
				return fail(err, ft->line, "has an invalid amount \"%.*s\"", SHOW(ft->amount[0]));
			if (stated < 0)
				stated = -stated;
			if (stated != s[k])
			{
				sp_format_units(s[k], cur.decimals, a, sizeof(a));
				return fail(err, ft->line, "states %s共%.*s元, but the %s rows add up to %s", what[k],
							SHOW(trim(ft->amount[0])), k == 0 ? "收入" : "支出", a);
			}
		}
	}
	return true;
}

/* ---------- MT940 ---------- */

typedef struct field
{
	long		line;
	char		tag[8];
	sp_str		first;			/* the text after :tag: on its first line */
	sp_str		all;			/* the whole field, continuation lines included */
} field;

/* :60F: / :62F: ... C240312USD17376,67 */
static bool
mt_balance(const field *fl, la_currency *cur, int64_t *amount, sp_time *date, sp_error *err)
{
	sp_str		s = trim(fl->first);
	char		code[4];
	sp_str		num;

	if (s.n < 1 + 6 + 3 + 1 || (s.p[0] != 'C' && s.p[0] != 'D'))
		return fail(err, fl->line, "is not a balance of the form C|D YYMMDD CCY amount: \"%.*s\"", SHOW(s));
	if (!yymmdd(s, 1, date))
		return fail(err, fl->line, "has a balance date that does not exist or is malformed: \"%.6s\"", s.p + 1);
	memcpy(code, s.p + 7, 3);
	code[3] = '\0';
	if (!currency(code, cur))
		return fail(err, fl->line, "has an unknown currency \"%s\"", code);
	num.p = s.p + 10;
	num.n = s.n - 10;
	if (!decimal(num, ',', cur->decimals, amount, NULL))
		return fail(err, fl->line, "has an invalid amount \"%.*s\" for %s", SHOW(num), code);
	if (s.p[0] == 'D')
		*amount = -*amount;
	return true;
}

typedef struct mt_state
{
	const sp_sink *sink;
	int			index;
	sp_stmt		st;
	bool		open;			/* inside a statement, :60: seen */
	bool		have_line;		/* a :61: waits for its :86: */
	bool		mt942;			/* :34F: or :13D: since the :20: */
	field		line61;
	size_t		info_n;			/* the :86: fields of the waiting :61:, in infobuf */
	int64_t		sum;
	char		idbuf[64];
	char		acctbuf[64];
	char		numbuf[32];
	char		sepabuf[1024];	/* the ?20-?29, ?60-?63 text of a DK :86: */
	char		infobuf[1024];
	char		suppbuf[128];
} mt_state;

/*
 * copy s into buf, joining continuation lines with nothing in between; a text
 * longer than buf is cut, never in the middle of a UTF-8 character
 */
static sp_str
join(sp_str s, char *buf, size_t size)
{
	size_t		n = 0;
	size_t		i;

	for (i = 0; i < s.n && n + 1 < size; i++)
	{
		if (s.p[i] == '\r' || s.p[i] == '\n')
			continue;
		buf[n++] = s.p[i];
	}
	if (i < s.n)
		n = utf8_cut(buf, n);
	buf[n] = '\0';
	return (sp_str) {buf, n};
}

/* a printable ASCII character: an identification code's (Sberbank writes "S   ") */
static inline bool
print_ascii(char c)
{
	return c >= ' ' && c <= '~';
}

/*
 * A :61: customer reference that only says where the reference is: NONREF,
 * or the code of the :86: field that holds it — ING and Rabobank write EREF,
 * PREF or MARF (the /EREF/, /PREF/, /MARF/ of their structured :86:),
 * Deutsche Bank KREF+ (the KREF+ of its ?20-?29 SEPA text).
 */
static bool
mt_ref_pointer(sp_str c)
{
	if (eq(c, "NONREF") || eq(c, "EREF") || eq(c, "PREF") || eq(c, "MARF"))
		return true;
	if (c.n == 5 && c.p[4] == '+')
	{
		for (int i = 0; i < 4; i++)
			if (c.p[i] < 'A' || c.p[i] > 'Z')
				return false;
		return true;
	}
	return false;
}

/*
 * the SEPA keywords of a DK :86: (Deutsche Kreditwirtschaft), each ending
 * the text of the one before
 */
static const char *const sepa_keys[] = {
	"EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "COAM+", "OAMT+",
	"SVWZ+", "ABWA+", "ABWE+", "IBAN+", "BIC+", NULL
};

/*
 * The value of a reference code (EREF, PREF, KREF, ...) in a line's :86:
 * information, or an empty string: the Dutch structured form
 * "/EREF/value/" (ING, ABN AMRO, Rabobank, Triodos), or the German DK form
 * "GVC?00...?20EREF+value ?21value KREF+..." whose SEPA text runs through
 * the subfields ?20-?29 and ?60-?63 (a value, even a keyword, may be split
 * between two of them); NOTPROVIDED and NONREF are no value, nor is a text
 * longer than a SEPA reference can be (35 characters: the 2007 layout that
 * ends EREF+ with "MTLG:" rather than a keyword).
 */
static sp_str
mt86_ref(mt_state *m, const char *code)
{
	sp_str		info = {m->infobuf, m->info_n};
	sp_str		v = {NULL, 0};
	size_t		cn = strlen(code);
	char		key[8];

	if (info.n == 0 || cn > 4)
		return v;
	/* Dutch structured: /CODE/value/ */
	snprintf(key, sizeof(key), "/%s/", code);
	{
		const char *k = memmem(info.p, info.n, key, cn + 2);

		if (k)
		{
			const char *e;

			v.p = k + cn + 2;
			e = memchr(v.p, '/', (size_t) (info.p + info.n - v.p));
			v.n = (size_t) ((e ? e : info.p + info.n) - v.p);
		}
	}
	/* German DK: NNN?00...?20...?29 ?60...?63 */
	if (v.p == NULL && info.n > 4 && digits_at(info, 0, 3) >= 0 && info.p[3] == '?')
	{
		size_t		n = 0;
		size_t		i = 3;

		while (i + 2 < info.n)
		{
			int			sub = digits_at(info, i + 1, 2);
			size_t		j = i + 3;

			while (j < info.n && info.p[j] != '?')
				j++;
			if ((sub >= 20 && sub <= 29) || (sub >= 60 && sub <= 63))
			{
				size_t		k = j - (i + 3);

				if (k > sizeof(m->sepabuf) - 1 - n)
					k = sizeof(m->sepabuf) - 1 - n;
				memcpy(m->sepabuf + n, info.p + i + 3, k);
				n += k;
			}
			i = j;
		}
		m->sepabuf[n] = '\0';
		snprintf(key, sizeof(key), "%s+", code);
		{
			const char *k = memmem(m->sepabuf, n, key, cn + 1);

			if (k)
			{
				const char *end = m->sepabuf + n;

				v.p = k + cn + 1;
				for (int x = 0; sepa_keys[x]; x++)
				{
					const char *o = memmem(v.p, (size_t) (end - v.p), sepa_keys[x], strlen(sepa_keys[x]));

					if (o && o < end)
						end = o;
				}
				v.n = (size_t) (end - v.p);
			}
		}
	}
	v = trim(v);
	/* a SEPA reference has at most 35 characters: a longer text is none */
	if (eq(v, "NOTPROVIDED") || eq(v, "NONREF") || v.n > 35)
		v.n = 0;
	return v;
}

static bool
mt_emit_line(mt_state *m, sp_error *err)
{
	sp_str		s = m->line61.first;
	size_t		i = 6;
	int			sign = 1;
	bool		reversal = false;
	int64_t		amount;
	sp_time		val;
	sp_str		num,
				cref,
				bref = {NULL, 0},
				supp = {NULL, 0};
	sp_str		keys[6],
				vals[6];
	char		typebuf[8];
	sp_row		r;
	long		ln = m->line61.line;

	/*
	 * German and Dutch banks date interest and fees of the end of February by
	 * the 30/360 convention, every month of 30 days: a value date 30 (or, in
	 * a common year, 29) February is the month's last day (Sparkasse
	 * "160230", Triodos "130230").  Any other date that does not exist is an
	 * error.
	 */
	if (!yymmdd(s, 0, &val))
	{
		if (val.mo == 2 && (val.d == 29 || val.d == 30) && sp_valid_date(val.y, 2, 28))
			val.d = sp_valid_date(val.y, 2, 29) ? 29 : 28;
		else
			return fail(err, ln, "has a value date that does not exist or is malformed: \"%.*s\"", clip(s, 6), s.p);
	}
	/* optional entry date MMDD (or four spaces) */
	if (i + 4 <= s.n && digits_at(s, i, 4) >= 0)
	{
		int			mm = digits_at(s, i, 2),
					dd = digits_at(s, i + 2, 2);
		int			y = val.y;

		/* an entry date in January of a December value date is next year */
		if (mm == 1 && val.mo == 12)
			y++;
		else if (mm == 12 && val.mo == 1)
			y--;
		/* (30 February as above: the entry date is only checked, not kept) */
		if (!sp_valid_date(y, mm, dd) && !(mm == 2 && (dd == 29 || dd == 30)))
			return fail(err, ln, "has an entry date that does not exist: \"%.*s\"", 4, s.p + 6);
		i += 4;
	}
	else if (i + 4 <= s.n && memcmp(s.p + i, "    ", 4) == 0)
		i += 4;
	if (i < s.n && s.p[i] == 'R')
	{
		reversal = true;
		i++;
	}
	else if (i < s.n && s.p[i] == 'E')	/* expected (MT942 style) */
		i++;
	if (i >= s.n || (s.p[i] != 'C' && s.p[i] != 'D'))
		return fail(err, ln, "has no debit/credit mark (C, D, RC, RD) after its dates: \"%.*s\"", SHOW(s));
	sign = s.p[i] == 'C' ? 1 : -1;
	if (reversal)
		sign = -sign;
	i++;
	/* optional funds code: the third letter of the currency */
	if (i < s.n && s.p[i] >= 'A' && s.p[i] <= 'Z')
		i++;
	num.p = s.p + i;
	while (i < s.n && ((s.p[i] >= '0' && s.p[i] <= '9') || s.p[i] == ','))
		i++;
	num.n = (size_t) (s.p + i - num.p);
	if (!decimal(num, ',', m->st.cur.decimals, &amount, NULL))
		return fail(err, ln, "has an invalid amount \"%.*s\"", SHOW(num));
	/*
	 * transaction type: N|F|S + 3 characters.  Deutsche Bank and Commerzbank
	 * write a space before it; Zenith Bank leaves it out (the amount is
	 * followed by the bank's reference "//..." or nothing).
	 */
	while (i < s.n && s.p[i] == ' ')
		i++;
	if (i == s.n || (i + 2 <= s.n && s.p[i] == '/' && s.p[i + 1] == '/') ||
		(i + 6 <= s.n && memcmp(s.p + i, "NONREF", 6) == 0 &&
		 (i + 6 == s.n || s.p[i + 6] == '/' || s.p[i + 6] == ' ')))
		typebuf[0] = '\0';		/* no type: "NONREF" is the customer reference */
	else
	{
		if (i + 4 > s.n || (s.p[i] != 'N' && s.p[i] != 'F' && s.p[i] != 'S') ||
			!print_ascii(s.p[i + 1]) || !print_ascii(s.p[i + 2]) || !print_ascii(s.p[i + 3]))
			return fail(err, ln, "has no transaction type (N, F or S and 3 characters) after its amount");
		memcpy(typebuf, s.p + i, 4);
		typebuf[4] = '\0';
		i += 4;
	}
	cref.p = s.p + i;
	{
		const char *dd = memmem(s.p + i, s.n - i, "//", 2);

		if (dd)
		{
			cref.n = (size_t) (dd - cref.p);
			bref.p = dd + 2;
			bref.n = (size_t) (s.p + s.n - bref.p);
		}
		else
			cref.n = s.n - i;
	}
	cref = trim(cref);
	bref = trim(bref);
	/* the supplementary details: the rest of the field after its first line */
	if (m->line61.all.n > m->line61.first.n)
	{
		sp_str		rest = {m->line61.first.p + m->line61.first.n, m->line61.all.n - m->line61.first.n};

		supp = trim(join(rest, m->suppbuf, sizeof(m->suppbuf)));
	}
	if (__builtin_mul_overflow(amount, sign, &amount) || !add(&m->sum, amount))
		return fail(err, ln, "makes the statement's total overflow");
	memset(&r, 0, sizeof(r));
	r.stmt = m->index;
	r.line_no = ln;
	r.cur = m->st.cur;
	r.amount = amount;
	/*
	 * ref: the end-to-end reference of the :86: (/EREF/, EREF+), as
	 * camt.053's EndToEndId comes first there; else the customer reference
	 * of the :61:, or the :86: field it points to (PREF: the batch's payment
	 * information id); else the bank's reference
	 */
	r.ref = mt86_ref(m, "EREF");
	if (r.ref.n == 0 && !mt_ref_pointer(cref))
		r.ref = cref;
	else if (r.ref.n == 0 && !eq(cref, "NONREF"))
	{
		char		code[5];

		memcpy(code, cref.p, 4);
		code[4] = '\0';
		r.ref = mt86_ref(m, code);
	}
	if (r.ref.n == 0)
		r.ref = bref;
	r.external_id = bref.n > 0 ? bref : (mt_ref_pointer(cref) ? (sp_str) {NULL, 0} : cref);
	r.status = S("success");
	r.has_at = true;
	r.at = val;
	keys[0] = S("tag61");
	vals[0] = trim(m->line61.first);
	keys[1] = S("type");
	vals[1] = (sp_str) {typebuf, strlen(typebuf)};
	keys[2] = S("customer_ref");
	vals[2] = cref;
	keys[3] = S("bank_ref");
	vals[3] = bref;
	keys[4] = S("supplementary");
	vals[4] = supp;
	keys[5] = S("info");
	vals[5] = (sp_str) {m->infobuf, m->info_n};
	r.nraw = 6;
	r.raw_keys = keys;
	r.raw_vals = vals;
	m->st.lines++;
	m->sink->row(m->sink->ctx, &r);
	m->have_line = false;
	m->info_n = 0;
	return true;
}

/* the statement begun at m->st.line_no is an MT942, never opened */
static bool
mt942_fail(const mt_state *m, sp_error *err)
{
	return fail(err, m->st.line_no, "starts an MT942 interim transaction report (:34F:, :13D:, no opening balance), which is not a statement: load the day's MT940");
}

static bool
mt_field(mt_state *m, const field *fl, sp_error *err)
{
	const char *t = fl->tag;

	if (strcmp(t, "86") == 0)
	{
		sp_str		j;

		if (!m->have_line)
			return true;		/* statement-level information */

		/*
		 * The line's information; a bank may write it as several :86:
		 * fields (Rabobank), kept in order, a space between them.  The line
		 * is emitted at the next field that is not a :86:.
		 */
		{
			size_t		sep = (m->info_n > 0 && m->info_n + 2 < sizeof(m->infobuf)) ? 1 : 0;

			j = join(fl->all, m->infobuf + m->info_n + sep, sizeof(m->infobuf) - m->info_n - sep);
			if (j.n > 0)
			{
				if (sep)
					m->infobuf[m->info_n] = ' ';
				m->info_n += sep + j.n;
			}
		}
		/* (join() cuts a long text between characters and ends it with a NUL) */
		m->infobuf[m->info_n] = '\0';
		return true;
	}
	if (m->have_line && !mt_emit_line(m, err))
		return false;
	if (strcmp(t, "20") == 0)
	{
		if (m->open)
			return fail(err, fl->line, "starts a new statement (:20:) but the statement of line %ld has no closing balance (:62F:)",
						m->st.line_no);
		if (m->st.line_no != 0 && m->mt942)
			return mt942_fail(m, err);
		if (m->st.line_no != 0)
			return fail(err, fl->line, "starts a new statement (:20:) but the statement of line %ld has no opening balance (:60F:)",
						m->st.line_no);
		memset(&m->st, 0, sizeof(m->st));
		m->mt942 = false;
		m->st.index = m->index;
		m->st.line_no = fl->line;
		m->st.id = join(trim(fl->first), m->idbuf, sizeof(m->idbuf));
		m->sum = 0;
		return true;
	}
	if (strcmp(t, "25") == 0)
	{
		m->st.account = join(trim(fl->all), m->acctbuf, sizeof(m->acctbuf));
		return true;
	}
	if (strcmp(t, "28C") == 0 || strcmp(t, "28") == 0)
	{
		m->st.number = join(trim(fl->first), m->numbuf, sizeof(m->numbuf));
		return true;
	}
	if (strcmp(t, "60F") == 0 || strcmp(t, "60M") == 0)
	{
		if (m->st.line_no == 0)
			return fail(err, fl->line, "is an opening balance outside a statement (no :20: before it)");
		if (m->open)
			return fail(err, fl->line, "is a second opening balance in the statement of line %ld", m->st.line_no);
		if (m->st.account.n == 0)
			return fail(err, fl->line, "opens a statement that has no account identification (:25:)");
		if (!mt_balance(fl, &m->st.cur, &m->st.opening, &m->st.opening_date, err))
			return false;
		m->open = true;
		return true;
	}
	if (strcmp(t, "61") == 0)
	{
		if (!m->open && m->mt942)
			return fail(err, fl->line, "is a line of an MT942 interim transaction report (:34F:, :13D:, no opening balance), which is not a statement: load the day's MT940");
		if (!m->open)
			return fail(err, fl->line, "is a statement line outside a statement (no opening balance :60F: before it)");
		m->line61 = *fl;
		m->have_line = true;
		m->info_n = 0;
		return true;
	}
	if (strcmp(t, "62F") == 0 || strcmp(t, "62M") == 0)
	{
		la_currency c;
		int64_t		expect;
		char		a[LA_AMOUNT_BUFSIZE],
					b[LA_AMOUNT_BUFSIZE],
					o[LA_AMOUNT_BUFSIZE];

		if (!m->open)
			return fail(err, fl->line, "is a closing balance without an opening balance (:60F:)");
		if (!mt_balance(fl, &c, &m->st.closing, &m->st.closing_date, err))
			return false;
		if (c.code != m->st.cur.code)
			return fail(err, fl->line, "closes in another currency than the opening balance of the statement");
		expect = m->st.opening;
		if (!add(&expect, m->sum))
			return fail(err, fl->line, "closes a statement whose total overflows");
		if (expect != m->st.closing)
		{
			sp_format_units(m->st.closing, c.decimals, a, sizeof(a));
			sp_format_units(m->st.opening, c.decimals, o, sizeof(o));
			sp_format_units(expect, c.decimals, b, sizeof(b));
			return fail(err, fl->line, "states the closing balance %s, but the opening balance %s and the %ld lines of the statement give %s",
						a, o, m->st.lines, b);
		}
		m->sink->stmt(m->sink->ctx, &m->st);
		m->index++;
		m->open = false;
		m->st.line_no = 0;
		return true;
	}
	if (strcmp(t, "34F") == 0 || strcmp(t, "13D") == 0)
		m->mt942 = true;
	/* :21: :34F: :13D: :64: :65: :90D: :90C: :NS: ... carry nothing we load */
	return true;
}

static bool
mt940(char *buf, size_t len, const sp_sink *sink, sp_meta *meta, sp_error *err)
{
	lines		it;
	sp_str		line;
	mt_state   *m;
	field		cur;
	bool		have = false;
	long		last = 0;
	long		envelope = 0;
	bool		any_field = false;
	bool		at_at;
	static mt_state state;	/* large buffers off the stack */

	m = &state;
	memset(m, 0, sizeof(*m));
	m->sink = sink;
	memset(&cur, 0, sizeof(cur));
	lines_init(&it, buf, len);
	/* "@@" before a field: the lines end at "@@" too (FinTS/HBCI delivery) */
	at_at = memmem(buf, len, "@@:", 3) != NULL;
	while (at_at ? at_at_line(&it, &line) : next_line(&it, &line))
	{
		sp_str		l = line;
		size_t		k;

		/*
		 * Control bytes that transmissions put around messages (SOH and ETX
		 * from mBank, the DOS end-of-file SUB glued to the next ":20:" when
		 * exports are concatenated) are not part of a field.
		 */
		while (l.n > 0 && (unsigned char) l.p[0] < 0x20 && l.p[0] != '\t')
		{
			l.p++;
			l.n--;
		}
		while (l.n > 0 && (unsigned char) l.p[l.n - 1] < 0x20 && l.p[l.n - 1] != '\t')
			l.n--;
		if (blank(l))
			continue;
		last = it.no;
		/* SWIFT blocks: {1:...}{2:...}{3:{...}}{4: then the fields, then -} */
		if (l.p[0] == '{')
		{
			const char *b4 = find(l, "{4:");

			if (!b4)
				continue;
			l.n -= (size_t) (b4 + 3 - l.p);
			l.p = b4 + 3;
			if (blank(l))
				continue;
		}
		if (eq(trim(l), "-") || eq(trim(l), "-}") || starts(trim(l), "-}"))
		{
			if (have && !mt_field(m, &cur, err))
				return false;
			have = false;
			/*
			 * a message ends with its statement closed (:62F: or :62M:); a
			 * "-" line before that is no text of a field (SWIFT lets no line
			 * of a field start with "-"), it ends the message early
			 */
			if (m->have_line && !mt_emit_line(m, err))
				return false;	/* an error of the line comes first */
			if (m->open)
				return fail(err, it.no, "ends the message (\"-\") inside the statement of line %ld, before its closing balance (:62F:)",
							m->st.line_no);
			continue;
		}
		if (l.p[0] == ':' && l.n >= 3)
		{
			for (k = 1; k < l.n && k < 6 && l.p[k] != ':'; k++)
				;
			if (k < l.n && l.p[k] == ':' && k >= 2)
			{
				if (have && !mt_field(m, &cur, err))
					return false;
				memset(&cur, 0, sizeof(cur));
				cur.line = it.no;
				memcpy(cur.tag, l.p + 1, k - 1);
				cur.tag[k - 1] = '\0';
				cur.first.p = l.p + k + 1;
				cur.first.n = l.n - k - 1;
				cur.all = cur.first;
				have = true;
				any_field = true;
				continue;
			}
		}
		/*
		 * A balance (:60F: :62F: :64: :65: ...) is one line: text after it is
		 * no part of it (before, "ABNANL2A" after a :60F: was taken in
		 * silently).  After a closing balance it is outside the statement.
		 */
		if (have && cur.tag[0] == '6' &&
			(cur.tag[1] == '0' || cur.tag[1] == '2' || cur.tag[1] == '4' || cur.tag[1] == '5'))
		{
			if (!mt_field(m, &cur, err))
				return false;
			have = false;
		}
		if (!have)
		{
			/*
			 * Outside a statement (before the first field of the file or
			 * after a "-" that ends a message), a line that is not a field
			 * is the bank's transmission envelope: ABN AMRO's "ABNANL2A" /
			 * "940", ING's "0000 01INGBNL2AXXXX00001" / "940 00".  Inside a
			 * statement it is an error as before.
			 */
			if (!m->open && m->st.line_no == 0)
			{
				envelope++;
				continue;
			}
			return fail(err, it.no, "is not a field of an MT940 statement (:20:, :25:, :60F:, :61: ...)");
		}
		/* a continuation line: the field runs on to the end of this line */
		cur.all.n = (size_t) (l.p + l.n - cur.all.p);
	}
	if (have && !mt_field(m, &cur, err))
		return false;
	if (m->have_line && !mt_emit_line(m, err))
		return false;
	if (!m->open && m->st.line_no != 0 && m->mt942)
		return mt942_fail(m, err);
	if (m->open || m->st.line_no != 0)
		return fail(err, last > 0 ? last : 1, "ends the file inside the statement of line %ld, which has no closing balance (:62F:): the file is cut short",
					m->st.line_no);
	if (!any_field)
		return fail(err, last > 0 ? last : 1, "ends a file in which no line is a field of an MT940 statement (:20:, :25:, :60F:, :61: ...)");
	if (m->index == 0)
		return fail(err, last > 0 ? last : 1, "ends a file that holds no statement (:20: ... :62F:)");
	meta_add(meta, "statements", "%d", m->index);
	if (envelope > 0)
		meta_add(meta, "envelope_lines", "%ld", envelope);
	return true;
}

/* ---------- camt.053: a small XML reader ---------- */

typedef struct xml
{
	const char *p;
	const char *end;
	long		line;
	sp_error   *err;
} xml;

typedef enum xtok
{
	X_END, X_OPEN, X_CLOSE, X_TEXT, X_ERROR
} xtok;

typedef struct xitem
{
	xtok		kind;
	long		line;
	sp_str		name;			/* local name, without a prefix */
	bool		empty;			/* <a/> */
	sp_str		attrs;			/* raw attribute text of an open tag */
	sp_str		text;
} xitem;

static void
xml_advance(xml *x, const char *to)
{
	for (const char *q = x->p; q < to; q++)
		if (*q == '\n')
			x->line++;
	x->p = to;
}

static sp_str
local_name(sp_str n)
{
	const char *c = memchr(n.p, ':', n.n);

	if (c)
	{
		n.n -= (size_t) (c + 1 - n.p);
		n.p = c + 1;
	}
	return n;
}

static bool
xml_next(xml *x, xitem *it)
{
	memset(it, 0, sizeof(*it));
	for (;;)
	{
		const char *q;

		if (x->p >= x->end)
		{
			it->kind = X_END;
			return true;
		}
		it->line = x->line;
		if (*x->p != '<')
		{
			q = memchr(x->p, '<', (size_t) (x->end - x->p));
			if (!q)
				q = x->end;
			it->kind = X_TEXT;
			it->text.p = x->p;
			it->text.n = (size_t) (q - x->p);
			xml_advance(x, q);
			return true;
		}
		if (x->end - x->p >= 4 && memcmp(x->p, "<!--", 4) == 0)
		{
			q = memmem(x->p + 4, (size_t) (x->end - x->p - 4), "-->", 3);
			if (!q)
				return fail(x->err, x->line, "opens a comment that is never closed");
			xml_advance(x, q + 3);
			continue;
		}
		if (x->end - x->p >= 9 && memcmp(x->p, "<![CDATA[", 9) == 0)
		{
			q = memmem(x->p + 9, (size_t) (x->end - x->p - 9), "]]>", 3);
			if (!q)
				return fail(x->err, x->line, "opens a CDATA section that is never closed");
			it->kind = X_TEXT;
			it->text.p = x->p + 9;
			it->text.n = (size_t) (q - x->p - 9);
			it->attrs.p = "cdata";	/* marks the text as raw */
			xml_advance(x, q + 3);
			return true;
		}
		if (x->end - x->p >= 2 && (x->p[1] == '?' || x->p[1] == '!'))
		{
			if (x->p[1] == '!' && x->end - x->p >= 9 && memcmp(x->p, "<!DOCTYPE", 9) == 0)
				return fail(x->err, x->line, "has a document type declaration, which a camt.053 file does not have");
			q = memchr(x->p, '>', (size_t) (x->end - x->p));
			if (!q)
				return fail(x->err, x->line, "has a declaration that is never closed");
			xml_advance(x, q + 1);
			continue;
		}
		/* a tag */
		{
			const char *s = x->p + 1;
			const char *e;
			const char *n0;
			bool		close = false;

			if (s < x->end && *s == '/')
			{
				close = true;
				s++;
			}
			n0 = s;
			while (s < x->end && *s != '>' && *s != '/' && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
				s++;
			if (s == n0)
				return fail(x->err, x->line, "has a malformed tag");
			it->name = local_name((sp_str) {n0, (size_t) (s - n0)});
			/* the end of the tag, skipping quoted attribute values */
			e = s;
			{
				char		quote = 0;

				for (; e < x->end; e++)
				{
					if (quote)
					{
						if (*e == quote)
							quote = 0;
					}
					else if (*e == '"' || *e == '\'')
						quote = *e;
					else if (*e == '>' || *e == '<')
						break;
				}
			}
			if (e >= x->end || *e != '>')
				return fail(x->err, x->line, "has a tag <%.*s that is never closed", SHOW(it->name));
			it->kind = close ? X_CLOSE : X_OPEN;
			it->attrs.p = s;
			it->attrs.n = (size_t) (e - s);
			if (!close && e > s && e[-1] == '/')
			{
				it->empty = true;
				it->attrs.n--;
			}
			xml_advance(x, e + 1);
			return true;
		}
	}
}

/* the value of attribute `name` in raw attribute text */
static sp_str
attr(sp_str attrs, const char *name)
{
	size_t		n = strlen(name);
	size_t		i = 0;

	while (i < attrs.n)
	{
		size_t		k0,
					k1;
		char		q;
		size_t		v0;

		while (i < attrs.n && (attrs.p[i] == ' ' || attrs.p[i] == '\t' || attrs.p[i] == '\r' || attrs.p[i] == '\n'))
			i++;
		k0 = i;
		while (i < attrs.n && attrs.p[i] != '=' && attrs.p[i] != ' ')
			i++;
		k1 = i;
		while (i < attrs.n && attrs.p[i] != '"' && attrs.p[i] != '\'')
			i++;
		if (i >= attrs.n)
			break;
		q = attrs.p[i++];
		v0 = i;
		while (i < attrs.n && attrs.p[i] != q)
			i++;
		if (k1 - k0 == n && memcmp(attrs.p + k0, name, n) == 0)
			return (sp_str) {attrs.p + v0, i - v0};
		i++;
	}
	return (sp_str) {NULL, 0};
}

/*
 * Decodes the five entities and character references into buf; a text
 * longer than buf is cut there and *cut set (long texts are only kept in
 * raw; an amount must not be cut).
 */
static bool
xml_text(sp_str s, bool raw, char *buf, size_t size, sp_str *out, bool *cut)
{
	size_t		n = 0;

	for (size_t i = 0; i < s.n; i++)
	{
		if (n + 5 >= size)
		{
			*cut = true;
			break;
		}
		if (raw || s.p[i] != '&')
		{
			buf[n++] = s.p[i];
			continue;
		}
		{
			const char *semi = memchr(s.p + i, ';', s.n - i > 12 ? 12 : s.n - i);
			sp_str		ent;

			if (!semi)
				return false;
			ent.p = s.p + i + 1;
			ent.n = (size_t) (semi - ent.p);
			if (eq(ent, "amp"))
				buf[n++] = '&';
			else if (eq(ent, "lt"))
				buf[n++] = '<';
			else if (eq(ent, "gt"))
				buf[n++] = '>';
			else if (eq(ent, "quot"))
				buf[n++] = '"';
			else if (eq(ent, "apos"))
				buf[n++] = '\'';
			else if (ent.n >= 2 && ent.p[0] == '#')
			{
				unsigned long cp = 0;
				bool		hex = ent.p[1] == 'x';

				for (size_t k = hex ? 2 : 1; k < ent.n; k++)
				{
					char		c = ent.p[k];
					int			d = (c >= '0' && c <= '9') ? c - '0' :
						(hex && c >= 'a' && c <= 'f') ? c - 'a' + 10 :
						(hex && c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;

					if (d < 0 || cp > 0x10FFFF)
						return false;
					cp = cp * (hex ? 16 : 10) + (unsigned long) d;
				}
				if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
					return false;
				if (cp < 0x80)
					buf[n++] = (char) cp;
				else if (cp < 0x800)
				{
					buf[n++] = (char) (0xC0 | (cp >> 6));
					buf[n++] = (char) (0x80 | (cp & 0x3F));
				}
				else if (cp < 0x10000)
				{
					buf[n++] = (char) (0xE0 | (cp >> 12));
					buf[n++] = (char) (0x80 | ((cp >> 6) & 0x3F));
					buf[n++] = (char) (0x80 | (cp & 0x3F));
				}
				else
				{
					buf[n++] = (char) (0xF0 | (cp >> 18));
					buf[n++] = (char) (0x80 | ((cp >> 12) & 0x3F));
					buf[n++] = (char) (0x80 | ((cp >> 6) & 0x3F));
					buf[n++] = (char) (0x80 | (cp & 0x3F));
				}
			}
			else
				return false;
			i = (size_t) (semi - s.p);
		}
	}
	buf[n] = '\0';
	*out = (sp_str) {buf, n};
	return true;
}

#define CAMT_DEPTH 24
#define CAMT_TEXT 256

typedef struct camt_entry
{
	long		line;
	char		amt[48];
	char		ccy[8];
	long		amt_line;
	char		cdi[8];
	char		rvsl[8];
	char		sts[8];
	char		bookg[40];
	char		valdt[40];
	char		svcr[CAMT_TEXT];
	char		e2e[CAMT_TEXT];
	char		instr[CAMT_TEXT];
	char		info[CAMT_TEXT];
	int			ntx;
} camt_entry;

typedef struct camt_bal
{
	long		line;
	char		tp[8];
	char		amt[48];
	char		ccy[8];
	char		cdi[8];
	char		dt[40];
} camt_bal;

typedef struct camt_state
{
	const sp_sink *sink;
	sp_stmt		st;
	char		id[CAMT_TEXT];
	char		acct[CAMT_TEXT];
	char		acct_ccy[8];
	char		seq[40];
	bool		have_open,
				have_close;
	camt_bal	open,
				close,
				bal;
	camt_entry	e;
	int64_t		sum;
	int			index;
	bool		in_entry;
	bool		in_bal;
} camt_state;

static void
setf(char *dst, size_t size, sp_str v)
{
	size_t		n = v.n < size - 1 ? v.n : size - 1;

	while (n > 0 && n < v.n && (((unsigned char) v.p[n]) & 0xC0) == 0x80)
		n--;
	if (n > 0)
		memcpy(dst, v.p, n);
	dst[n] = '\0';
}

/*
 * An amount's text into its field, without the leading zeros xs:decimal
 * allows any number of: the field's size never cuts a number into another
 * one (fifty zeros and 100.00 are 100.00); a longer text is an error.
 */
static bool
set_amount(char *dst, size_t size, sp_str v, bool cut, long line, sp_error *err)
{
	size_t		n = 0;

	if (cut)
		return fail(err, line, "has an amount of more than %d characters (\"%.*s...\")", CAMT_TEXT * 2 - 6, 20, v.p);

	if (v.n > 0 && (v.p[0] == '+' || v.p[0] == '-'))
	{
		dst[n++] = v.p[0];
		v.p++, v.n--;
	}
	while (v.n > 1 && v.p[0] == '0' && v.p[1] != '.')
		v.p++, v.n--;
	if (n + v.n >= size)
		return fail(err, line, "has an amount of %zu characters (\"%.*s...\")", n + v.n, 20, v.p);
	memcpy(dst + n, v.p, v.n);
	dst[n + v.n] = '\0';
	return true;
}

static bool
camt_amount(const char *amt, const char *ccy, const char *cdi, long line, la_currency *cur,
			int64_t *out, sp_error *err)
{
	sp_str		a = {amt, strlen(amt)};

	if (ccy[0] == '\0')
		return fail(err, line, "has an amount without its Ccy attribute");
	if (!currency(ccy, cur))
		return fail(err, line, "has an unknown currency \"%s\"", ccy);
	if (!decimal(trim(a), '.', cur->decimals, out, NULL) || *out < 0)
		return fail(err, line, "has an invalid amount \"%s\" for %s", amt, ccy);
	if (cdi[0] == '\0')
		return fail(err, line, "has an amount without its credit/debit indicator (<CdtDbtInd>, CRDT or DBIT), which camt.053 requires");
	if (strcmp(cdi, "DBIT") == 0)
		*out = -*out;
	else if (strcmp(cdi, "CRDT") != 0)
		return fail(err, line, "has the credit/debit indicator \"%s\" (CRDT or DBIT)", cdi);
	return true;
}

static bool
camt_date(const char *s, long line, const char *what, sp_time *t, sp_error *err)
{
	sp_str		v = {s, strlen(s)};

	if (!iso_datetime(v, t))
		return fail(err, line, "has a %s \"%s\" that is not a valid date", what, s);
	return true;
}

static bool
camt_end_entry(camt_state *c, sp_error *err)
{
	camt_entry *e = &c->e;
	la_currency cur;
	int64_t		v;
	sp_row		r;
	sp_str		keys[8],
				vals[8];

	if (strcmp(e->sts, "BOOK") != 0 && e->sts[0] != '\0')
		return true;			/* pending and information entries move no booked balance */
	if (e->sts[0] == '\0')
		return fail(err, e->line, "is an entry (<Ntry>) without a status (<Sts>)");
	if (!c->have_open && c->st.cur.code == 0)
		return fail(err, e->line, "is an entry of a statement that states no opening booked balance (OPBD or PRCD) before its entries");
	if (e->amt[0] == '\0' || e->cdi[0] == '\0')
		return fail(err, e->line, "is an entry without an amount (<Amt>) or a credit/debit indicator (<CdtDbtInd>)");
	if (!camt_amount(e->amt, e->ccy, e->cdi, e->amt_line ? e->amt_line : e->line, &cur, &v, err))
		return false;
	if (c->st.cur.code != 0 && cur.code != c->st.cur.code)
		return fail(err, e->amt_line, "is an entry in %s in a statement in another currency", e->ccy);
	if (!add(&c->sum, v))
		return fail(err, e->line, "makes the statement's total overflow");
	memset(&r, 0, sizeof(r));
	r.stmt = c->index;
	r.line_no = e->line;
	r.cur = cur;
	r.amount = v;
	r.ref = (sp_str) {e->e2e, strlen(e->e2e)};
	if (eq(r.ref, "NOTPROVIDED") || e->ntx > 1)
		r.ref.n = 0;
	if (r.ref.n == 0 && e->instr[0] != '\0' && !eq((sp_str) {e->instr, strlen(e->instr)}, "NOTPROVIDED") && e->ntx <= 1)
		r.ref = (sp_str) {e->instr, strlen(e->instr)};
	r.external_id = (sp_str) {e->svcr, strlen(e->svcr)};
	if (r.ref.n == 0)
		r.ref = r.external_id;
	r.status = S("success");
	if (e->bookg[0] || e->valdt[0])
	{
		if (!camt_date(e->bookg[0] ? e->bookg : e->valdt, e->line, e->bookg[0] ? "booking date" : "value date", &r.at, err))
			return false;
		r.has_at = true;
	}
	keys[0] = S("Amt");
	vals[0] = (sp_str) {e->amt, strlen(e->amt)};
	keys[1] = S("Ccy");
	vals[1] = (sp_str) {e->ccy, strlen(e->ccy)};
	keys[2] = S("CdtDbtInd");
	vals[2] = (sp_str) {e->cdi, strlen(e->cdi)};
	keys[3] = S("BookgDt");
	vals[3] = (sp_str) {e->bookg, strlen(e->bookg)};
	keys[4] = S("ValDt");
	vals[4] = (sp_str) {e->valdt, strlen(e->valdt)};
	keys[5] = S("AcctSvcrRef");
	vals[5] = (sp_str) {e->svcr, strlen(e->svcr)};
	keys[6] = S("EndToEndId");
	vals[6] = (sp_str) {e->e2e, strlen(e->e2e)};
	keys[7] = S("AddtlNtryInf");
	vals[7] = (sp_str) {e->info, strlen(e->info)};
	r.nraw = 8;
	r.raw_keys = keys;
	r.raw_vals = vals;
	c->st.lines++;
	c->sink->row(c->sink->ctx, &r);
	return true;
}

static bool
camt_end_balance(camt_state *c, sp_error *err)
{
	camt_bal   *b = &c->bal;

	if (strcmp(b->tp, "OPBD") == 0 || (strcmp(b->tp, "PRCD") == 0 && !c->have_open))
	{
		if (strcmp(b->tp, "OPBD") == 0 && c->have_open && strcmp(c->open.tp, "OPBD") == 0)
			return fail(err, b->line, "is a second opening booked balance (OPBD) of the statement");
		if (c->st.lines > 0)
			return fail(err, b->line, "is an opening balance after the statement's entries");
		c->open = *b;
		c->have_open = true;
		if (!camt_amount(b->amt, b->ccy, b->cdi, b->line, &c->st.cur, &c->st.opening, err))
			return false;
		if (b->dt[0] && !camt_date(b->dt, b->line, "balance date", &c->st.opening_date, err))
			return false;
	}
	else if (strcmp(b->tp, "CLBD") == 0)
	{
		if (c->have_close)
			return fail(err, b->line, "is a second closing booked balance (CLBD) of the statement");
		c->close = *b;
		c->have_close = true;
	}
	return true;
}

static bool
camt_end_stmt(camt_state *c, long line, sp_error *err)
{
	la_currency cur;
	int64_t		expect;
	char		a[LA_AMOUNT_BUFSIZE],
				o[LA_AMOUNT_BUFSIZE],
				b[LA_AMOUNT_BUFSIZE];

	if (!c->have_open)
		return fail(err, c->st.line_no, "is a statement (<Stmt>) without an opening booked balance (OPBD)");
	if (!c->have_close)
		return fail(err, line, "ends a statement (<Stmt>) without a closing booked balance (CLBD)");
	if (!camt_amount(c->close.amt, c->close.ccy, c->close.cdi, c->close.line, &cur, &c->st.closing, err))
		return false;
	if (cur.code != c->st.cur.code)
		return fail(err, c->close.line, "states the closing balance in %s, but the opening balance is in %s",
					c->close.ccy, c->open.ccy);
	if (c->close.dt[0] == '\0')
		return fail(err, c->close.line, "is the closing booked balance (CLBD) without its date");
	if (!camt_date(c->close.dt, c->close.line, "balance date", &c->st.closing_date, err))
		return false;
	if (c->acct[0] == '\0')
		return fail(err, c->st.line_no, "is a statement (<Stmt>) without an account identification (<Acct><Id>)");
	expect = c->st.opening;
	if (!add(&expect, c->sum))
		return fail(err, c->close.line, "closes a statement whose total overflows");
	if (expect != c->st.closing)
	{
		sp_format_units(c->st.closing, cur.decimals, a, sizeof(a));
		sp_format_units(c->st.opening, cur.decimals, o, sizeof(o));
		sp_format_units(expect, cur.decimals, b, sizeof(b));
		return fail(err, c->close.line, "states the closing booked balance %s %s, but the opening balance %s and the %ld booked entries give %s",
					a, c->close.ccy, o, c->st.lines, b);
	}
	c->st.id = (sp_str) {c->id, strlen(c->id)};
	c->st.account = (sp_str) {c->acct, strlen(c->acct)};
	c->st.number = (sp_str) {c->seq, strlen(c->seq)};
	c->sink->stmt(c->sink->ctx, &c->st);
	c->index++;
	return true;
}

static bool
camt053(char *buf, size_t len, const sp_sink *sink, sp_meta *meta, sp_error *err)
{
	xml			x;
	xitem		it;
	sp_str		path[CAMT_DEPTH];
	int			depth = 0;
	bool		root = false;
	static camt_state state;
	camt_state *c = &state;
	char		tbuf[CAMT_TEXT * 2];
	long		last = 1;
	xitem		next;
	bool		have_next = false;
	bool		cut;

	memset(c, 0, sizeof(*c));
	c->sink = sink;
	x.p = buf;
	x.end = buf + len;
	x.line = 1;
	x.err = err;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		x.p += 3;
	for (;;)
	{
		if (have_next)
		{
			it = next;
			have_next = false;
		}
		else if (!xml_next(&x, &it))
			return false;
		if (it.kind == X_END)
			break;
		last = it.line;
		if (it.kind == X_OPEN)
		{
			if (!root)
			{
				sp_str		ns = attr(it.attrs, "xmlns");

				if (!eq(it.name, "Document"))
					return fail(err, it.line, "starts with <%.*s>, not <Document>: not a camt.053 file", SHOW(it.name));
				if (ns.n == 0)
				{
					/* a prefixed root: xmlns:<prefix>="urn:...camt.053..." */
					const char *u = memmem(it.attrs.p, it.attrs.n, "urn:iso:std:iso:20022:tech:xsd:camt.053", 39);

					if (u)
					{
						const char *q = u;

						while (q < it.attrs.p + it.attrs.n && *q != '"' && *q != '\'')
							q++;
						ns.p = u;
						ns.n = (size_t) (q - u);
					}
				}
				if (!starts(ns, "urn:iso:std:iso:20022:tech:xsd:camt.053.001."))
					return fail(err, it.line, "is a <Document> of namespace \"%.*s\", not camt.053 (urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN)",
								SHOW(ns));
				{
					const size_t pre = strlen("urn:iso:std:iso:20022:tech:xsd:camt.053.001.");
					sp_str		v = {ns.p + pre, ns.n - pre};
					int			ver = digits_at(v, 0, 2);

					if (v.n != 2 || ver < 2 || ver > 13)
						return fail(err, it.line, "is a camt.053 <Document> of version \"%.*s\"; versions 02 to 13 are read", SHOW(v));
					meta_add(meta, "version", "camt.053.001.%.*s", 2, v.p);
				}
				root = true;
			}
			if (depth >= CAMT_DEPTH)
				return fail(err, it.line, "nests elements deeper than a camt.053 statement does");
			path[depth++] = it.name;
			/* element starts */
			if (depth == 3 && eq(it.name, "Stmt"))
			{
				memset(&c->st, 0, sizeof(c->st));
				c->st.index = c->index;
				c->st.line_no = it.line;
				c->id[0] = c->acct[0] = c->acct_ccy[0] = c->seq[0] = '\0';
				c->have_open = c->have_close = false;
				c->sum = 0;
			}
			else if (depth == 4 && eq(it.name, "Ntry"))
			{
				memset(&c->e, 0, sizeof(c->e));
				c->e.line = it.line;
				c->in_entry = true;
			}
			else if (depth == 4 && eq(it.name, "Bal"))
			{
				memset(&c->bal, 0, sizeof(c->bal));
				c->bal.line = it.line;
				c->in_bal = true;
			}
			else if (c->in_entry && depth == 5 && eq(it.name, "Amt"))
			{
				setf(c->e.ccy, sizeof(c->e.ccy), attr(it.attrs, "Ccy"));
				c->e.amt_line = it.line;
			}
			else if (c->in_entry && depth == 6 && eq(it.name, "TxDtls"))
				c->e.ntx++;
			else if (c->in_bal && depth == 5 && eq(it.name, "Amt"))
				setf(c->bal.ccy, sizeof(c->bal.ccy), attr(it.attrs, "Ccy"));
			if (it.empty)
				depth--;
			continue;
		}
		if (it.kind == X_CLOSE)
		{
			if (depth == 0 || path[depth - 1].n != it.name.n || memcmp(path[depth - 1].p, it.name.p, it.name.n) != 0)
				return fail(err, it.line, "closes </%.*s>, but the open element is <%.*s>",
							SHOW(it.name), depth > 0 ? clip(path[depth - 1], 80) : 0, depth > 0 ? path[depth - 1].p : "");
			if (depth == 4 && eq(it.name, "Ntry"))
			{
				c->in_entry = false;
				if (!camt_end_entry(c, err))
					return false;
			}
			else if (depth == 4 && eq(it.name, "Bal"))
			{
				c->in_bal = false;
				if (!camt_end_balance(c, err))
					return false;
			}
			else if (depth == 3 && eq(it.name, "Stmt"))
			{
				if (!camt_end_stmt(c, it.line, err))
					return false;
			}
			depth--;
			continue;
		}
		/* text */
		{
			sp_str		t;
			sp_str		leaf;

			if (depth == 0)
			{
				if (!blank(it.text) && !(it.text.n == 1 && (it.text.p[0] == '\n' || it.text.p[0] == '\r')))
				{
					bool		ws = true;

					for (size_t i = 0; i < it.text.n; i++)
						if (!(it.text.p[i] == ' ' || it.text.p[i] == '\t' || it.text.p[i] == '\r' || it.text.p[i] == '\n'))
							ws = false;
					if (!ws)
						return fail(err, it.line, "has text outside the <Document> element");
				}
				continue;
			}
			cut = false;
			if (!xml_text(it.text, it.attrs.p != NULL, tbuf, sizeof(tbuf), &t, &cut))
				return fail(err, it.line, "has a malformed entity or character reference (&...;)");
			/*
			 * text that a comment, a processing instruction or a CDATA
			 * section splits is one text: <Amt>1<!-- x -->00.00</Amt> is
			 * 100.00 (xml_next() skips the first two and returns the pieces)
			 */
			for (;;)
			{
				sp_str		more;

				if (!xml_next(&x, &next))
					return false;
				if (next.kind != X_TEXT)
				{
					have_next = true;
					break;
				}
				if (!xml_text(next.text, next.attrs.p != NULL, tbuf + t.n, sizeof(tbuf) - t.n, &more, &cut))
					return fail(err, next.line, "has a malformed entity or character reference (&...;)");
				t.n += more.n;
			}
			t = trim(t);
			{
				/* strip newlines around values */
				while (t.n > 0 && (t.p[0] == '\n' || t.p[0] == '\r' || t.p[0] == ' '))
					t.p++, t.n--;
				while (t.n > 0 && (t.p[t.n - 1] == '\n' || t.p[t.n - 1] == '\r' || t.p[t.n - 1] == ' '))
					t.n--;
			}
			if (t.n == 0)
				continue;
			leaf = path[depth - 1];
			if (depth < 4 || !eq(path[2], "Stmt"))
				continue;
			if (depth == 4 && eq(leaf, "Id"))
				setf(c->id, sizeof(c->id), t);
			else if (depth == 4 && eq(leaf, "ElctrncSeqNb"))
				setf(c->seq, sizeof(c->seq), t);
			else if (depth >= 6 && eq(path[3], "Acct") && eq(path[4], "Id") &&
					 (eq(leaf, "IBAN") || (eq(leaf, "Id") && depth == 7 && eq(path[5], "Othr"))))
				setf(c->acct, sizeof(c->acct), t);
			else if (depth == 5 && eq(path[3], "Acct") && eq(leaf, "Ccy"))
				setf(c->acct_ccy, sizeof(c->acct_ccy), t);
			else if (c->in_bal)
			{
				if (depth == 7 && eq(leaf, "Cd") && eq(path[4], "Tp") && eq(path[5], "CdOrPrtry"))
					setf(c->bal.tp, sizeof(c->bal.tp), t);
				else if (depth == 5 && eq(leaf, "Amt"))
				{
					if (!set_amount(c->bal.amt, sizeof(c->bal.amt), t, cut, it.line, err))
						return false;
				}
				else if (depth == 5 && eq(leaf, "CdtDbtInd"))
					setf(c->bal.cdi, sizeof(c->bal.cdi), t);
				else if (depth == 6 && eq(path[4], "Dt") && (eq(leaf, "Dt") || eq(leaf, "DtTm")))
					setf(c->bal.dt, sizeof(c->bal.dt), t);
			}
			else if (c->in_entry)
			{
				if (depth == 5 && eq(leaf, "Amt"))
				{
					if (!set_amount(c->e.amt, sizeof(c->e.amt), t, cut, it.line, err))
						return false;
				}
				else if (depth == 5 && eq(leaf, "CdtDbtInd"))
					setf(c->e.cdi, sizeof(c->e.cdi), t);
				else if (depth == 5 && eq(leaf, "RvslInd"))
					setf(c->e.rvsl, sizeof(c->e.rvsl), t);
				else if ((depth == 5 && eq(leaf, "Sts")) || (depth == 6 && eq(path[4], "Sts") && eq(leaf, "Cd")))
					setf(c->e.sts, sizeof(c->e.sts), t);
				else if (depth == 6 && eq(path[4], "BookgDt"))
					setf(c->e.bookg, sizeof(c->e.bookg), t);
				else if (depth == 6 && eq(path[4], "ValDt"))
					setf(c->e.valdt, sizeof(c->e.valdt), t);
				else if (depth == 5 && eq(leaf, "AcctSvcrRef"))
					setf(c->e.svcr, sizeof(c->e.svcr), t);
				else if (depth == 5 && eq(leaf, "AddtlNtryInf"))
					setf(c->e.info, sizeof(c->e.info), t);
				else if (depth == 8 && eq(path[4], "NtryDtls") && eq(path[6], "Refs") && eq(leaf, "EndToEndId") && c->e.e2e[0] == '\0')
					setf(c->e.e2e, sizeof(c->e.e2e), t);
				else if (depth == 8 && eq(path[4], "NtryDtls") && eq(path[6], "Refs") && eq(leaf, "InstrId") && c->e.instr[0] == '\0')
					setf(c->e.instr, sizeof(c->e.instr), t);
			}
		}
	}
	if (!root)
		return fail(err, last, "ends a file that has no <Document> element");
	if (depth != 0)
		return fail(err, last, "ends the file inside <%.*s>: the file is cut short", SHOW(path[depth - 1]));
	if (c->index == 0)
		return fail(err, last, "ends a file that holds no statement (<Stmt>)");
	meta_add(meta, "statements", "%d", c->index);
	return true;
}

/* ---------- entry point ---------- */

bool
sp_parse(sp_format format, char *buf, size_t len, const sp_options *opt,
		 const sp_sink *sink, sp_meta *meta, sp_error *err)
{
	static const sp_options defaults = {false};

	memset(meta, 0, sizeof(*meta));
	err->line = 0;
	err->msg[0] = '\0';
	if (!opt)
		opt = &defaults;
	switch (format)
	{
		case SP_WECHAT_BILL:
			return wechat_bill(buf, len, opt, sink, meta, err);
		case SP_WECHAT_FUNDFLOW:
			return wechat_fundflow(buf, len, sink, meta, err);
		case SP_ALIPAY_BILL:
			return alipay_bill(buf, len, sink, meta, err);
		case SP_ALIPAY_ACCOUNT:
			return alipay_account(buf, len, sink, meta, err);
		case SP_MT940:
			return mt940(buf, len, sink, meta, err);
		case SP_CAMT053:
			return camt053(buf, len, sink, meta, err);
	}
	return fail(err, 1, "is in an unknown format");
}
