/*
 * stmt_parse.h — parsers of the channels' and banks' statement files.
 *
 * Pure C (no PostgreSQL headers), like amount_parse.h: the loaders in
 * statement.c and the libFuzzer harness in test/fuzz/ both link it.  Each
 * parser reads the whole file once, front to back (linear in its size, a bad
 * file too), hands every statement line to sink->row() as soon as it is
 * checked, and at the end checks the file's own totals.  It stops at the
 * first problem with the line number and a reason ("has 25 fields, the
 * header has 27") in *err and returns false.
 *
 * The buffer is modified in place (quoted CSV fields are unescaped) and must
 * stay alive while the parser runs; every sp_str handed to the sink points
 * into it and is valid only during the call.  Text is UTF-8 (the GBK files
 * of Alipay are converted by the caller).
 */
#ifndef LEDGER_STMT_PARSE_H
#define LEDGER_STMT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amount_parse.h"

#define SP_MAX_FIELDS	64
#define SP_MAX_META		24

typedef struct sp_str
{
	const char *p;
	size_t		n;
} sp_str;

/* a point in time as the file writes it */
typedef struct sp_time
{
	int			y, mo, d, h, mi, s;
	int			usec;
	bool		has_time;		/* false: a date alone */
	bool		has_offset;		/* true: offset_min is the UTC offset written */
	int			offset_min;
} sp_time;

typedef enum sp_format
{
	SP_WECHAT_BILL,
	SP_WECHAT_FUNDFLOW,
	SP_ALIPAY_BILL,
	SP_ALIPAY_ACCOUNT,
	SP_MT940,
	SP_CAMT053
} sp_format;

/* one statement line */
typedef struct sp_row
{
	int			stmt;			/* bank files: statement number from 0; bills: 0 */
	long		line_no;
	sp_str		ref;			/* may be empty: the caller falls back */
	sp_str		external_id;	/* may be empty: the caller makes one */
	sp_str		status;			/* lower case */
	la_currency cur;
	int64_t		amount;
	bool		has_fee;
	int64_t		fee;
	bool		has_at;
	sp_time		at;
	bool		has_day;		/* WeChat REFUND bill: a refund's 退款申请时间, which */
	sp_time		day;			/* dates it within its bill (at is its 退款成功时间) */
	int			nraw;			/* the line as written: name -> value */
	const sp_str *raw_keys;
	const sp_str *raw_vals;
} sp_row;

/* one bank statement (MT940 message, camt.053 <Stmt>) */
typedef struct sp_stmt
{
	int			index;
	long		line_no;		/* where it starts */
	sp_str		id;				/* :20: / <Stmt><Id> */
	sp_str		account;		/* :25: / <Acct><Id> as written */
	sp_str		number;			/* :28C: / <ElctrncSeqNb> */
	la_currency cur;
	int64_t		opening;
	int64_t		closing;
	sp_time		opening_date;
	sp_time		closing_date;	/* the statement date */
	long		lines;
} sp_stmt;

/* what the file says about itself: name -> value pairs (UTF-8) */
typedef struct sp_meta
{
	int			n;
	char		keys[SP_MAX_META][48];
	char		vals[SP_MAX_META][96];
} sp_meta;

typedef struct sp_sink
{
	void	   *ctx;
	void		(*row) (void *ctx, const sp_row *row);
	void		(*stmt) (void *ctx, const sp_stmt *stmt);	/* bank files, after its lines */
} sp_sink;

typedef struct sp_error
{
	long		line;
	char		msg[480];		/* "has 25 fields, the header has 27" */
} sp_error;

/* options of the parsers */
typedef struct sp_options
{
	bool		ref_transaction_id; /* WeChat: key by 微信订单号 instead of 商户订单号 */
} sp_options;

/*
 * Parses buf[0..len) in the given format.  On success fills *meta (header
 * and totals: "bill_type", "account", "from", "to", the summary figures...)
 * and returns true.
 */
extern bool sp_parse(sp_format format, char *buf, size_t len, const sp_options *opt,
					 const sp_sink *sink, sp_meta *meta, sp_error *err);

/* Days since 2000-01-01 of a valid date (may be negative). */
extern int64_t sp_days(int y, int m, int d);
/* the civil date of sp_days()'s count */
extern void sp_date_of(int64_t days, int *y, int *m, int *d);

/* true if y-m-d exists */
extern bool sp_valid_date(int y, int m, int d);

/* Writes a number of minor units as text with the given decimals ("-0.50"). */
extern size_t sp_format_units(int64_t units, int decimals, char *buf, size_t size);

#endif							/* LEDGER_STMT_PARSE_H */
