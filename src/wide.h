/*
 * wide.h — 128-bit accumulators for the aggregates (sum, trial, recon).
 *
 * Thin helpers over common/int128.h: add/subtract a 64-bit value, test
 * whether the total fits in 64 bits, and move a total through the aggregate
 * serialisation format (two 64-bit halves).
 */
#ifndef LEDGER_WIDE_H
#define LEDGER_WIDE_H

#include "postgres.h"
#include "common/int128.h"
#include "libpq/pqformat.h"

static inline INT128
wide_zero(void)
{
	return int64_to_int128(0);
}

static inline void
wide_add(INT128 *acc, int64 v)
{
	int128_add_int64(acc, v);
}

static inline void
wide_sub(INT128 *acc, int64 v)
{
	int128_add_int64_mul_int64(acc, v, -1);
}

static inline void
wide_add_wide(INT128 *acc, INT128 v)
{
#if USE_NATIVE_INT128
	*acc += v;
#else
	int128_add_uint64(acc, v.lo);
	acc->hi += v.hi;
#endif
}

static inline bool
wide_fits_int64(INT128 v)
{
	return int128_compare(v, int64_to_int128(PG_INT64_MAX)) <= 0 &&
		int128_compare(v, int64_to_int128(PG_INT64_MIN)) >= 0;
}

static inline int
wide_sign(INT128 v)
{
	return int128_compare(v, int64_to_int128(0));
}

static inline void
wide_send(StringInfo buf, INT128 v)
{
#if USE_NATIVE_INT128
	pq_sendint64(buf, (int64) (uint64) ((uint128) v >> 64));
	pq_sendint64(buf, (int64) (uint64) v);
#else
	pq_sendint64(buf, v.hi);
	pq_sendint64(buf, (int64) v.lo);
#endif
}

static inline INT128
wide_recv(StringInfo buf)
{
	int64		hi = pq_getmsgint64(buf);
	uint64		lo = (uint64) pq_getmsgint64(buf);
	INT128		v;

#if USE_NATIVE_INT128
	v = (int128) ((((uint128) (uint64) hi) << 64) | (uint128) lo);
#else
	v.hi = hi;
	v.lo = lo;
#endif
	return v;
}

/* Reads an aggregate's serialised state in place (PostgreSQL 15 has no
 * initReadOnlyStringInfo). */
static inline void
serial_begin(StringInfo buf, bytea *raw)
{
	buf->data = VARDATA_ANY(raw);
	buf->len = VARSIZE_ANY_EXHDR(raw);
	buf->maxlen = buf->len;
	buf->cursor = 0;
}

#endif							/* LEDGER_WIDE_H */
