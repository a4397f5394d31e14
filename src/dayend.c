/*
 * dayend.c — the C parts of the day-end cutoff (日切):
 *
 *   ledger._close_wait()            waits for every transaction that could
 *                                   still write a voucher into the closing day
 *   ledger._day_digest(date, bytea) one ordered pass over a day's vouchers and
 *                                   entries: the chained SHA-256 digest and
 *                                   the check of every voucher
 *   ledger._day_end_lock(),         the day-end's lock, which one session at a
 *   ledger._day_end_unlock()        time holds while it closes the books
 *
 * The digest covers, in this order (integers big-endian, texts as a 4-byte
 * length and the UTF-8 bytes, NULL as length -1):
 *
 *   "ledger-day-v1", the book date as YYYY-MM-DD, the previous closed day's
 *   digest (bytea, NULL for the first day); then for each voucher of the day
 *   by id: 'V', id, idempotency_key, ref, summary, reverses (int64, 0 if
 *   none), created_at (microseconds since 2000-01-01 UTC), created_by,
 *   metadata (jsonb text); and after each voucher its entries by line number:
 *   'E', line_no (int32), account_id, minor units, currency (as
 *   ledger.currency() writes it), memo.
 *
 * That is version 1 of the digest, which sealed the days closed by version
 * 1.0 of the extension.  Version 2 (every day sealed since 1.1) covers every
 * column that carries meaning: it starts with "ledger-day-v2" instead,
 * adds after each voucher's metadata the hold it posts (hold_id, int64, 0 if
 * none), and after each entry's memo the entry's book date (int32 days since
 * 2000-01-01) and its red flag (one byte, 1 for a red-letter entry).  The
 * version a day was sealed with is ledger.book_day.digest_version.
 *
 * Anyone holding a copy of the books can recompute it with that description.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "ledger.h"
#include "wide.h"

#define MAX_PROBLEMS 20

/* ---------- the day-end's lock ---------- */

/*
 * One session at a time closes the books: ledger.close_day() holds this
 * session lock from its start to its end (and keeps it after a failure, until
 * the session runs close_day again, releases its advisory locks or ends).  Its keys are those of the
 * advisory lock (1818585447, 1) that version 1.0 took; its tag is in the
 * ledger's own space (ledger.h), so that no role, whatever it may run, can
 * take it with pg_advisory_lock() and keep the books from closing.
 */
#define DAY_END_KEY1 1818585447
#define DAY_END_KEY2 1

/*
 * Only a caller who may run the cutoff may take or release its lock: one
 * with EXECUTE on ledger.close_day(date) beside this function (self).  The
 * functions are PUBLIC, so that the operators granted close_day under 1.0
 * keep it after the update without a new grant.
 */
static void
check_may_close(Oid self)
{
	Oid			argtypes[1] = {DATEOID};
	Oid			close_day = ledger_sibling_function(self, "close_day", 1, argtypes);

	if (pg_proc_aclcheck(close_day, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_PROCEDURE, get_func_name(close_day));
}

/* ledger._day_end_lock() → boolean: takes the lock if no other session holds it */
PG_FUNCTION_INFO_V1(ledger_day_end_lock);
Datum
ledger_day_end_lock(PG_FUNCTION_ARGS)
{
	check_may_close(fcinfo->flinfo->fn_oid);
	PG_RETURN_BOOL(ledger_lock(DAY_END_KEY1, DAY_END_KEY2, true, false));
}

/* ledger._day_end_unlock() → integer: releases every take of the lock by this session */
PG_FUNCTION_INFO_V1(ledger_day_end_unlock);
Datum
ledger_day_end_unlock(PG_FUNCTION_ARGS)
{
	check_may_close(fcinfo->flinfo->fn_oid);
	PG_RETURN_INT32(ledger_unlock_session(DAY_END_KEY1, DAY_END_KEY2));
}

/* ---------- the router's transfers lock ---------- */

/*
 * On a router's database (the ledger_router extension, SQL only, which needs
 * this library for ledger.amount), a transfer holds this session lock shared
 * while it runs and ledger_router.close_day() exclusively while the books
 * switch days, so that both halves of a transfer fall on one book date.  Its
 * keys are those of the advisory lock (76825, 1) the router took before; in
 * the ledger's own space of tags, so that a role that can merely connect to
 * the router's database cannot hold it to stop the transfers or the day-end.
 * The shared lock is for callers with EXECUTE on ledger_router.transfer, the
 * exclusive one for callers with EXECUTE on ledger_router.close_day; a
 * session releases only its own takes, so the release needs no check.
 */
#define TRANSFER_KEY1 76825
#define TRANSFER_KEY2 1

static void
check_may_route(Oid self, bool exclusive)
{
	Oid			nsp = get_namespace_oid("ledger_router", true);
	Oid			routine = InvalidOid;

	if (OidIsValid(nsp))
	{
		if (exclusive)
		{
			Oid			argtypes[1] = {DATEOID};

			routine = ledger_function_in(nsp, "close_day", 1, argtypes);
		}
		else
		{
			Oid			amount = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("amount"),
												 ObjectIdGetDatum(get_func_namespace(self)));
			Oid			argtypes[7] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, amount, TEXTOID};

			routine = ledger_function_in(nsp, "transfer", 7, argtypes);
		}
	}
	if (!OidIsValid(routine))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the transfers' lock is the router's, and extension \"ledger_router\" is not installed in this database")));
	if (pg_proc_aclcheck(routine, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, exclusive ? OBJECT_PROCEDURE : OBJECT_FUNCTION, get_func_name(routine));
}

/*
 * ledger._transfers_lock(exclusive boolean): takes the router's transfers
 * lock for the session, shared or exclusive, waiting for it (lock_timeout
 * applies: 55P03)
 */
PG_FUNCTION_INFO_V1(ledger_transfers_lock);
Datum
ledger_transfers_lock(PG_FUNCTION_ARGS)
{
	bool		exclusive = PG_GETARG_BOOL(0);

	check_may_route(fcinfo->flinfo->fn_oid, exclusive);
	(void) ledger_lock_mode(TRANSFER_KEY1, TRANSFER_KEY2, exclusive ? ExclusiveLock : ShareLock, true, true);
	PG_RETURN_VOID();
}

/*
 * ledger._transfers_unlock(exclusive boolean) → integer: releases every take
 * of the lock in that mode by this session; how many
 */
PG_FUNCTION_INFO_V1(ledger_transfers_unlock);
Datum
ledger_transfers_unlock(PG_FUNCTION_ARGS)
{
	bool		exclusive = PG_GETARG_BOOL(0);

	PG_RETURN_INT32(ledger_unlock_session_mode(TRANSFER_KEY1, TRANSFER_KEY2,
											   exclusive ? ExclusiveLock : ShareLock));
}

/* ---------- waiting for posters ---------- */

/*
 * ledger._close_wait() → integer: waits until every transaction that held a
 * write lock on ledger.voucher when it was called has ended, and returns how
 * many there were.  A transaction that takes the lock later sees the switched
 * book day (taking the lock processes the invalidation the switch sent), so
 * after this returns nothing more can be written into the closing day.
 * Transactions starting meanwhile are not waited for: posting goes on.
 */
PG_FUNCTION_INFO_V1(ledger_close_wait);
Datum
ledger_close_wait(PG_FUNCTION_ARGS)
{
	const LedgerCatalog *cat = ledger_catalog();
	LOCKTAG		tag;
	VirtualTransactionId *holders;
	int			count = 0;
	int			i;

	SET_LOCKTAG_RELATION(tag, MyDatabaseId, cat->voucher);
	holders = GetLockConflicts(&tag, ShareLock, &count);
	if (count > 0)
		ereport(NOTICE,
				(errmsg("waiting for %d transaction%s that may still post into the closing day",
						count, count == 1 ? "" : "s")));
	for (i = 0; VirtualTransactionIdIsValid(holders[i]); i++)
	{
		CHECK_FOR_INTERRUPTS();
		VirtualXactLock(holders[i], true);
	}
	PG_RETURN_INT32(count);
}

/* ---------- the digest pass ---------- */

typedef struct Digest
{
	pg_cryptohash_ctx *ctx;
} Digest;

static void
feed(Digest *d, const void *data, size_t len)
{
	if (pg_cryptohash_update(d->ctx, (const uint8 *) data, len) < 0)
		elog(ERROR, "could not update the SHA-256 digest: %s",
			 pg_cryptohash_error(d->ctx));
}

static void
feed_int64(Digest *d, int64 v)
{
	uint64		u = (uint64) v;
	uint8		b[8];
	int			i;

	for (i = 7; i >= 0; i--)
	{
		b[i] = (uint8) (u & 0xff);
		u >>= 8;
	}
	feed(d, b, 8);
}

static void
feed_int32(Digest *d, int32 v)
{
	uint32		u = (uint32) v;
	uint8		b[4] = {(uint8) (u >> 24), (uint8) (u >> 16), (uint8) (u >> 8), (uint8) u};

	feed(d, b, 4);
}

static void
feed_bytes(Digest *d, const char *s, int32 len)
{
	feed_int32(d, len);
	if (len > 0)
		feed(d, s, (size_t) len);
}

static void
feed_text_datum(Digest *d, Datum v, bool isnull)
{
	text	   *t;

	if (isnull)
	{
		feed_int32(d, -1);
		return;
	}
	t = DatumGetTextPP(v);
	feed_bytes(d, VARDATA_ANY(t), (int32) VARSIZE_ANY_EXHDR(t));
}

static void
feed_cstring(Digest *d, const char *s)
{
	if (s == NULL)
		feed_int32(d, -1);
	else
		feed_bytes(d, s, (int32) strlen(s));
}

/* The sums of one voucher per currency; as many currencies as it has. */
typedef struct VoucherCheck
{
	int			nsums;
	int			maxsums;
	la_currency *cur;
	INT128	   *sum;
} VoucherCheck;

typedef struct Problems
{
	List	   *list;
	int64		count;
} Problems;

static void
problem(Problems *p, char *text)
{
	p->count++;
	if (list_length(p->list) < MAX_PROBLEMS)
		p->list = lappend(p->list, text);
}

static void
voucher_sum(VoucherCheck *vc, const LedgerAmount *a)
{
	int			i;

	for (i = 0; i < vc->nsums; i++)
		if (currency_equal(vc->cur[i], amount_currency(a)))
			break;
	if (i == vc->nsums)
	{
		if (vc->nsums == vc->maxsums)
		{
			vc->maxsums = vc->maxsums == 0 ? 8 : vc->maxsums * 2;
			vc->cur = vc->cur ? repalloc(vc->cur, sizeof(la_currency) * vc->maxsums) :
				palloc(sizeof(la_currency) * vc->maxsums);
			vc->sum = vc->sum ? repalloc(vc->sum, sizeof(INT128) * vc->maxsums) :
				palloc(sizeof(INT128) * vc->maxsums);
		}
		vc->cur[i] = amount_currency(a);
		vc->sum[i] = wide_zero();
		vc->nsums++;
	}
	wide_add(&vc->sum[i], a->units);
}

/* Index range scan of a table by its first key column between lo and hi. */
static IndexScanDesc
range_scan(Relation rel, Relation idx, Snapshot snap, AttrNumber col, int64 lo, int64 hi,
		   ScanKeyData *keys)
{
	IndexScanDesc scan;

	ScanKeyInit(&keys[0], 1, BTGreaterEqualStrategyNumber, F_INT8GE, Int64GetDatum(lo));
	ScanKeyInit(&keys[1], 1, BTLessEqualStrategyNumber, F_INT8LE, Int64GetDatum(hi));
	(void) col;
	scan = index_beginscan(rel, idx, snap, 2, 0);
	index_rescan(scan, keys, 2, NULL, 0);
	return scan;
}

/*
 * ledger._day_digest(book_date date, previous bytea [, version integer],
 *                    OUT digest bytea, OUT vouchers bigint, OUT entries bigint,
 *                    OUT problems text[], OUT problem_count bigint)
 *
 * version is the digest's (1 or 2, see above); the two-argument form of
 * version 1.0's SQL computes version 1.
 */
PG_FUNCTION_INFO_V1(ledger_day_digest);
Datum
ledger_day_digest(PG_FUNCTION_ARGS)
{
	DateADT		day = PG_GETARG_DATEADT(0);
	bytea	   *prev = PG_ARGISNULL(1) ? NULL : PG_GETARG_BYTEA_PP(1);
	const LedgerCatalog *cat = ledger_catalog();
	TupleDesc	resdesc;
	Digest		dg;
	uint8		hash[PG_SHA256_DIGEST_LENGTH];
	Problems	probs = {NIL, 0};
	int64		nvouchers = 0;
	int64		nentries = 0;
	int64		lo = 0,
				hi = -1;
	char	   *daytext = date_to_cstring(day);
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	int32		version = PG_NARGS() > 2 && !PG_ARGISNULL(2) ? PG_GETARG_INT32(2) : 1;

	if (version != 1 && version != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("digest version %d does not exist", version),
				 errdetail("Book day %s: the day digest has versions 1 (sealed by 1.0) and 2.", daytext)));

	if (get_call_result_type(fcinfo, NULL, &resdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "ledger._day_digest must return a composite type");
	resdesc = BlessTupleDesc(resdesc);

	/* the id range of the day's vouchers (BRIN on book_date) */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		Datum		arg[1] = {DateADTGetDatum(day)};
		bool		isnull;
		int			rc = SPI_execute_with_args("SELECT min(id), max(id) FROM ledger.voucher"
											   " WHERE book_date OPERATOR(pg_catalog.=) $1",
											   1, (Oid[]) {DATEOID}, arg, NULL, true, 1);

		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "could not find the vouchers of %s", daytext);
		lo = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (isnull)
		{
			lo = 0;
			hi = -1;
		}
		else
			hi = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	}
	SPI_finish();

	dg.ctx = pg_cryptohash_create(PG_SHA256);
	if (pg_cryptohash_init(dg.ctx) < 0)
		elog(ERROR, "could not initialise the SHA-256 digest");
	feed_cstring(&dg, version == 1 ? "ledger-day-v1" : "ledger-day-v2");
	feed_cstring(&dg, daytext);
	if (prev)
		feed_bytes(&dg, VARDATA_ANY(prev), (int32) VARSIZE_ANY_EXHDR(prev));
	else
		feed_int32(&dg, -1);

	if (hi >= lo)
	{
		Snapshot	snap = RegisterSnapshot(GetActiveSnapshot());
		Relation	vrel = table_open(cat->voucher, AccessShareLock);
		Relation	vidx = index_open(cat->voucher_pkey, AccessShareLock);
		Relation	erel = table_open(cat->entry, AccessShareLock);
		Relation	eidx = index_open(cat->entry_pkey, AccessShareLock);
		TupleTableSlot *vslot = table_slot_create(vrel, NULL);
		TupleTableSlot *eslot = table_slot_create(erel, NULL);
		ScanKeyData vkeys[2],
					ekeys[2];
		IndexScanDesc vscan = range_scan(vrel, vidx, snap, cat->v_id, lo, hi, vkeys);
		IndexScanDesc escan = range_scan(erel, eidx, snap, cat->e_voucher, lo, hi, ekeys);
		bool		have_entry = index_getnext_slot(escan, ForwardScanDirection, eslot);

		while (index_getnext_slot(vscan, ForwardScanDirection, vslot))
		{
			int64		vid;
			VoucherCheck vc;
			int			n = 0;
			int			i;
			bool		balanced = true;
			bool		isnull;
			Datum		d;

			CHECK_FOR_INTERRUPTS();
			slot_getallattrs(vslot);
			vid = DatumGetInt64(vslot->tts_values[cat->v_id - 1]);

			/* entries before this voucher: of other days' vouchers, or orphans */
			while (have_entry)
			{
				int64		evid;

				slot_getallattrs(eslot);
				evid = DatumGetInt64(eslot->tts_values[cat->e_voucher - 1]);
				if (evid >= vid)
					break;
				if (DatumGetDateADT(eslot->tts_values[cat->e_book_date - 1]) == day)
					problem(&probs, psprintf("entry %lld/%d is on book date %s but its voucher is not",
											 (long long) evid,
											 DatumGetInt32(eslot->tts_values[cat->e_line - 1]),
											 daytext));
				have_entry = index_getnext_slot(escan, ForwardScanDirection, eslot);
			}

			if (DatumGetDateADT(vslot->tts_values[cat->v_book_date - 1]) != day)
				continue;		/* a voucher of another day within the id range */

			nvouchers++;
			feed(&dg, "V", 1);
			feed_int64(&dg, vid);
			feed_text_datum(&dg, vslot->tts_values[cat->v_key - 1], vslot->tts_isnull[cat->v_key - 1]);
			feed_text_datum(&dg, vslot->tts_values[cat->v_ref - 1], vslot->tts_isnull[cat->v_ref - 1]);
			feed_text_datum(&dg, vslot->tts_values[cat->v_summary - 1], vslot->tts_isnull[cat->v_summary - 1]);
			feed_int64(&dg, vslot->tts_isnull[cat->v_reverses - 1] ? 0 :
					   DatumGetInt64(vslot->tts_values[cat->v_reverses - 1]));
			feed_int64(&dg, vslot->tts_isnull[cat->v_created_at - 1] ? 0 :
					   DatumGetInt64(vslot->tts_values[cat->v_created_at - 1]));
			feed_text_datum(&dg, vslot->tts_values[cat->v_created_by - 1], vslot->tts_isnull[cat->v_created_by - 1]);
			isnull = vslot->tts_isnull[cat->v_metadata - 1];
			d = vslot->tts_values[cat->v_metadata - 1];
			if (isnull)
				feed_int32(&dg, -1);
			else
			{
				Jsonb	   *jb = DatumGetJsonbP(d);

				feed_cstring(&dg, JsonbToCString(NULL, &jb->root, VARSIZE(jb)));
			}
			if (version >= 2)
				feed_int64(&dg, cat->v_hold_id == InvalidAttrNumber ||
						   vslot->tts_isnull[cat->v_hold_id - 1] ? 0 :
						   DatumGetInt64(vslot->tts_values[cat->v_hold_id - 1]));

			memset(&vc, 0, sizeof(vc));
			while (have_entry)
			{
				int64		evid;
				int32		line;
				LedgerAmount *amt;
				char		ccy[LA_CURRENCY_BUFSIZE];
				bool		red;

				slot_getallattrs(eslot);
				evid = DatumGetInt64(eslot->tts_values[cat->e_voucher - 1]);
				if (evid != vid)
					break;
				line = DatumGetInt32(eslot->tts_values[cat->e_line - 1]);
				amt = DatumGetLedgerAmountP(eslot->tts_values[cat->e_amount - 1]);
				if (DatumGetDateADT(eslot->tts_values[cat->e_book_date - 1]) != day)
					problem(&probs, psprintf("entry %lld/%d has book date %s but its voucher is on %s",
											 (long long) vid, line,
											 date_to_cstring(DatumGetDateADT(eslot->tts_values[cat->e_book_date - 1])),
											 daytext));
				feed(&dg, "E", 1);
				feed_int32(&dg, line);
				feed_int64(&dg, DatumGetInt64(eslot->tts_values[cat->e_account - 1]));
				feed_int64(&dg, amt->units);
				la_format_currency(amount_currency(amt), ccy);
				feed_cstring(&dg, ccy);
				feed_text_datum(&dg, eslot->tts_values[cat->e_memo - 1], eslot->tts_isnull[cat->e_memo - 1]);
				red = cat->e_red != InvalidAttrNumber && !eslot->tts_isnull[cat->e_red - 1] &&
					DatumGetBool(eslot->tts_values[cat->e_red - 1]);
				if (version >= 2)
				{
					uint8		flag = red ? 1 : 0;

					feed_int32(&dg, (int32) DatumGetDateADT(eslot->tts_values[cat->e_book_date - 1]));
					feed(&dg, &flag, 1);
				}
				if (red && vslot->tts_isnull[cat->v_reverses - 1])
					problem(&probs, psprintf("red entry %lld/%d: voucher %lld reverses no voucher",
											 (long long) vid, line, (long long) vid));
				voucher_sum(&vc, amt);
				n++;
				nentries++;
				have_entry = index_getnext_slot(escan, ForwardScanDirection, eslot);
			}

			if (n < 2)
				problem(&probs, psprintf("voucher %lld has %d entr%s", (long long) vid, n,
										 n == 1 ? "y" : "ies"));
			for (i = 0; i < vc.nsums; i++)
				if (wide_sign(vc.sum[i]) != 0)
					balanced = false;
			if (!balanced)
			{
				StringInfoData msg;

				initStringInfo(&msg);
				appendStringInfo(&msg, "voucher %lld is not balanced:", (long long) vid);
				for (i = 0; i < vc.nsums; i++)
					if (wide_sign(vc.sum[i]) != 0)
						appendStringInfo(&msg, " %s off by %s%s",
										 currency_to_cstring(vc.cur[i]),
										 wide_fits_int64(vc.sum[i]) ?
										 amount_to_cstring(int128_to_int64(vc.sum[i]), vc.cur[i]) :
										 "more than 64 bits",
										 "");
				problem(&probs, msg.data);
			}
			if (vc.cur)
				pfree(vc.cur);
			if (vc.sum)
				pfree(vc.sum);
		}
		while (have_entry)
		{
			slot_getallattrs(eslot);
			if (DatumGetDateADT(eslot->tts_values[cat->e_book_date - 1]) == day)
				problem(&probs, psprintf("entry %lld/%d is on book date %s but its voucher is not",
										 (long long) DatumGetInt64(eslot->tts_values[cat->e_voucher - 1]),
										 DatumGetInt32(eslot->tts_values[cat->e_line - 1]), daytext));
			have_entry = index_getnext_slot(escan, ForwardScanDirection, eslot);
		}

		index_endscan(vscan);
		index_endscan(escan);
		ExecDropSingleTupleTableSlot(vslot);
		ExecDropSingleTupleTableSlot(eslot);
		index_close(vidx, AccessShareLock);
		index_close(eidx, AccessShareLock);
		table_close(vrel, AccessShareLock);
		table_close(erel, AccessShareLock);
		UnregisterSnapshot(snap);
	}

	if (pg_cryptohash_final(dg.ctx, hash, sizeof(hash)) < 0)
		elog(ERROR, "could not finish the SHA-256 digest");
	pg_cryptohash_free(dg.ctx);

	{
		bytea	   *out = (bytea *) palloc(VARHDRSZ + sizeof(hash));
		Datum	   *items;
		ListCell   *lc;
		int			i = 0;

		SET_VARSIZE(out, VARHDRSZ + sizeof(hash));
		memcpy(VARDATA(out), hash, sizeof(hash));
		values[0] = PointerGetDatum(out);
		values[1] = Int64GetDatum(nvouchers);
		values[2] = Int64GetDatum(nentries);
		items = palloc(sizeof(Datum) * Max(list_length(probs.list), 1));
		foreach(lc, probs.list)
			items[i++] = CStringGetTextDatum((char *) lfirst(lc));
		values[3] = PointerGetDatum(construct_array(items, i, TEXTOID, -1, false, TYPALIGN_INT));
		values[4] = Int64GetDatum(probs.count);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(resdesc, values, nulls)));
}
