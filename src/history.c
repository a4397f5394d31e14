/*
 * history.c — ledger.account_history: the account history (明细账) of one
 * leaf account.
 *
 * The opening balance is read where the day-end left it: the account's row
 * of the last closed day before from_date (no row: the balance was zero)
 * plus its entries of the days after it not yet closed.  The period's
 * entries are then read through the index on (account_id, book_date), a day
 * at a time, put in posting order (book date, voucher, line) in memory, and
 * returned one per call (a value-per-call set-returning function), with
 * their vouchers' fields and the running balance carried in C.  The SQL
 * function ledger.account_history() is a one-SELECT wrapper that the planner
 * inlines, so the rows stream to the caller's query instead of being stored
 * first in a function scan's tuplestore (written to a temporary file and
 * read back, once the history outgrows work_mem).
 * Vouchers are found near the last one read on its heap page (they are
 * stored in about id order), a primary-key probe only when not.  The cost is
 * that of the period; the days before cost one index probe, however many
 * there were.  A hot account's entries are ordinary entries, so its history
 * is exact like any other.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/predicate.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "amount.h"
#include "catalog.h"
#include "raise.h"
#include "wide.h"

/* the opening balance: one probe of the day-end rows, the entries of the days not closed */
static SPIPlanPtr opening_plan = NULL;
static uint64 plans_generation = 0;

static void
prepare_plans(void)
{
	uint64		generation = ledger_catalog_generation();
	Oid			t[2] = {INT8OID, DATEOID};

	if (opening_plan != NULL && plans_generation == generation)
		return;
	if (opening_plan != NULL)
		SPI_freeplan(opening_plan);
	opening_plan = NULL;
	plans_generation = generation;
	opening_plan = ledger_prepare_kept(
		"SELECT (COALESCE((SELECT pg_catalog.sum(ledger.minor_units(r.closing)) FROM ledger.daily_balance r"
		"                   WHERE r.account_id OPERATOR(pg_catalog.=) $1 AND r.book_date OPERATOR(pg_catalog.=) s.d"
		"                     AND NOT r.summary), 0)"
		"      OPERATOR(pg_catalog.+)"
		"        COALESCE((SELECT pg_catalog.sum(ledger.minor_units(e.amount)) FROM ledger.entry e"
		"                   WHERE e.account_id OPERATOR(pg_catalog.=) $1"
		"                     AND e.book_date OPERATOR(pg_catalog.>) COALESCE(s.d, '-infinity'::pg_catalog.date)"
		"                     AND e.book_date OPERATOR(pg_catalog.<) $2), 0))::pg_catalog.int8"
		"  FROM (SELECT pg_catalog.max(b.book_date) AS d FROM ledger.book_day b"
		"         WHERE b.status OPERATOR(pg_catalog.=) 'closed' AND b.book_date OPERATOR(pg_catalog.<) $2) s",
		2, t);
}

/* ---------- the period's entries ---------- */

/* One entry of the day being read: what its row needs besides its voucher. */
typedef struct HistEntry
{
	int64		voucher_id;
	int64		units;			/* in the account's currency */
	int32		line_no;
	bool		red;
} HistEntry;

/* entries read from the heap at a time, their pages locked once each */
#define TID_BATCH 1024

static int
cmp_hist_entry(const void *a, const void *b)
{
	const HistEntry *x = (const HistEntry *) a;
	const HistEntry *y = (const HistEntry *) b;

	if (x->voucher_id != y->voucher_id)
		return x->voucher_id < y->voucher_id ? -1 : 1;
	return x->line_no < y->line_no ? -1 : x->line_no > y->line_no ? 1 : 0;
}

/*
 * Finding the vouchers.  The entries of a day are shown in voucher order,
 * and vouchers are stored in about the order of their ids, so the next
 * voucher is usually just after the last one, on its page or at the start of
 * the next: those are looked at first (on the page this reader keeps pinned),
 * and only a voucher not found there costs a probe of the primary key.
 * Either way the voucher is the version the snapshot sees.
 *
 * When the reader pins a page it notes, under one share lock, the id and
 * line pointer of every voucher on it that the snapshot sees (all of them,
 * without a check each, on a page marked all-visible); the vouchers of the
 * following entries are then found in that list without locking the page
 * again.  That is safe while the page stays pinned: a pinned page is not
 * pruned or compacted, so its tuples stay where they are, and what a given
 * snapshot sees of it does not change.
 */
#define PROBE_BEFORE 8
#define PROBE_AFTER 32

typedef struct VoucherReader
{
	Relation	rel;
	Relation	idx;
	Snapshot	snapshot;
	TupleDesc	desc;
	bool		id_first;		/* the id is the first column, a bigint (it is) */
	AttrNumber	v_id;
	IndexScanDesc scan;			/* on the primary key, opened when first needed */
	ScanKeyData key;
	TupleTableSlot *slot;		/* what the primary-key probe returns */
	HeapTupleData copy;			/* a voucher found on the pinned page, in place */
	Buffer		buf;			/* the page of the last voucher, pinned */
	BlockNumber blk;
	BlockNumber nblocks;
	/* the vouchers of the pinned page the snapshot sees, in line-pointer order */
	int			npage;
	int			pos;			/* the last one found, or -1 */
	int64		page_ids[MaxHeapTuplesPerPage];
	OffsetNumber page_offs[MaxHeapTuplesPerPage];
	int64		probes;			/* primary-key probes, for the tests' DEBUG line */
	int64		found_near;
} VoucherReader;

/* The id of a voucher tuple (0 if none): its first column, a bigint, read in place. */
static inline int64
voucher_tuple_id(VoucherReader *vr, HeapTuple tup)
{
	HeapTupleHeader t = tup->t_data;
	bool		isnull;
	Datum		d;

	if (vr->id_first)
	{
		if ((t->t_infomask & HEAP_HASNULL) && att_isnull(0, t->t_bits))
			return 0;
		return *(int64 *) ((char *) t + t->t_hoff);
	}
	d = heap_getattr(tup, vr->v_id, vr->desc, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

/* Pins page blk and notes the vouchers on it that the snapshot sees. */
static void
voucher_pin(VoucherReader *vr, BlockNumber blk)
{
	Page		page;
	OffsetNumber maxoff;
	OffsetNumber off;
	bool		all_visible;

	vr->buf = ReleaseAndReadBuffer(vr->buf, vr->rel, blk);
	vr->blk = blk;
	vr->npage = 0;
	vr->pos = -1;
	LockBuffer(vr->buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(vr->buf);
	maxoff = PageGetMaxOffsetNumber(page);
	all_visible = PageIsAllVisible(page) && !vr->snapshot->takenDuringRecovery;
	for (off = FirstOffsetNumber; off <= maxoff; off++)
	{
		ItemId		lp = PageGetItemId(page, off);
		HeapTupleData tup;

		if (!ItemIdIsNormal(lp))
			continue;
		tup.t_data = (HeapTupleHeader) PageGetItem(page, lp);
		tup.t_len = ItemIdGetLength(lp);
		tup.t_tableOid = RelationGetRelid(vr->rel);
		ItemPointerSet(&tup.t_self, blk, off);
		if (!all_visible && !HeapTupleSatisfiesVisibility(&tup, vr->snapshot, vr->buf))
			continue;
		vr->page_ids[vr->npage] = voucher_tuple_id(vr, &tup);
		vr->page_offs[vr->npage] = off;
		vr->npage++;
	}
	LockBuffer(vr->buf, BUFFER_LOCK_UNLOCK);
}

/* The i-th noted voucher of the pinned page (valid while the page is pinned). */
static HeapTuple
voucher_take(VoucherReader *vr, int i)
{
	Page		page = BufferGetPage(vr->buf);
	ItemId		lp = PageGetItemId(page, vr->page_offs[i]);

	vr->pos = i;
	vr->copy.t_data = (HeapTupleHeader) PageGetItem(page, lp);
	vr->copy.t_len = ItemIdGetLength(lp);
	vr->copy.t_tableOid = RelationGetRelid(vr->rel);
	ItemPointerSet(&vr->copy.t_self, vr->blk, vr->page_offs[i]);
	PredicateLockTID(vr->rel, &vr->copy.t_self, vr->snapshot, HeapTupleHeaderGetXmin(vr->copy.t_data));
	vr->found_near++;
	return &vr->copy;
}

/* The index of voucher id among the noted ones from..to (clamped), or -1. */
static int
voucher_noted(VoucherReader *vr, int64 id, int from, int to)
{
	int			i;

	for (i = Max(from, 0); i <= to && i < vr->npage; i++)
		if (vr->page_ids[i] == id)
			return i;
	return -1;
}

/*
 * Voucher id (valid until the next call).  Called in the memory that
 * outlives the rows (the primary-key scan allocates there).
 */
static HeapTuple
voucher_read(VoucherReader *vr, int64 id)
{
	int			i;

	if (BufferIsValid(vr->buf))
	{
		/* just after the last one, or a little before it */
		if ((i = voucher_noted(vr, id, vr->pos + 1, vr->pos + PROBE_AFTER)) >= 0 ||
			(i = voucher_noted(vr, id, vr->pos - PROBE_BEFORE, vr->pos)) >= 0)
			return voucher_take(vr, i);
		/* at the start of the next page */
		if (vr->blk + 1 < vr->nblocks && vr->pos >= vr->npage - PROBE_AFTER)
		{
			voucher_pin(vr, vr->blk + 1);
			if ((i = voucher_noted(vr, id, 0, PROBE_AFTER - 1)) >= 0)
				return voucher_take(vr, i);
		}
	}

	/* not near the last one: probe the primary key */
	vr->probes++;
	if (vr->scan == NULL)
	{
		vr->scan = index_beginscan(vr->rel, vr->idx, vr->snapshot, 1, 0);
		vr->slot = table_slot_create(vr->rel, NULL);
	}
	ScanKeyInit(&vr->key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	index_rescan(vr->scan, &vr->key, 1, NULL, 0);
	if (!index_getnext_slot(vr->scan, ForwardScanDirection, vr->slot))
		elog(ERROR, "voucher %lld of an entry of the account history is missing", (long long) id);
	/* the next vouchers are probably near this one */
	voucher_pin(vr, ItemPointerGetBlockNumber(&vr->slot->tts_tid));
	vr->pos = -1;
	for (i = 0; i < vr->npage; i++)
		if (vr->page_offs[i] == ItemPointerGetOffsetNumber(&vr->slot->tts_tid))
			vr->pos = i;
	return ExecFetchSlotHeapTuple(vr->slot, false, NULL);
}

/*
 * The first natts columns of a voucher, as heap_deform_tuple() takes them
 * apart (a column the tuple lacks takes the value it was added with).
 */
static void
voucher_columns(TupleDesc desc, HeapTuple tup, int natts, Datum *values, bool *isnull)
{
	HeapTupleHeader t = tup->t_data;
	bool		hasnulls = HeapTupleHasNulls(tup);
	char	   *tp = (char *) t + t->t_hoff;
	int			tupnatts = Min(HeapTupleHeaderGetNatts(t), natts);
	uint32		off = 0;
	int			i;

	for (i = 0; i < tupnatts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (hasnulls && att_isnull(i, t->t_bits))
		{
			values[i] = (Datum) 0;
			isnull[i] = true;
			continue;
		}
		isnull[i] = false;
		if (att->attlen == -1)
			off = att_align_pointer(off, att->attalign, -1, tp + off);
		else
			off = att_align_nominal(off, att->attalign);
		values[i] = fetchatt(att, tp + off);
		off = att_addlength_pointer(off, att->attlen, tp + off);
	}
	for (; i < natts; i++)
		values[i] = getmissingattr(desc, i + 1, &isnull[i]);
}

/* A text column of a voucher, detoasted if it lives out of line. */
static Datum
inline_text(Datum d)
{
	if (VARATT_IS_EXTERNAL(DatumGetPointer(d)))
		return PointerGetDatum(detoast_external_attr((struct varlena *) DatumGetPointer(d)));
	return d;
}

/*
 * Where the columns the history needs sit in an entry tuple.  The columns of
 * ledger.entry before memo are fixed-width and NOT NULL, so each of them is at
 * the same offset in every tuple that has it; red comes after memo, at a
 * fixed offset too when memo is null (as it usually is).  An offset of -1
 * means "not fixed": the column is then read with heap_getattr(), as is any
 * column a tuple lacks (one written before the column was added).
 */
typedef struct EntryLayout
{
	TupleDesc	desc;
	AttrNumber	voucher,
				line,
				amount,
				book_date,
				memo,
				red;			/* InvalidAttrNumber before version 1.1 */
	int			off_voucher,
				off_line,
				off_amount,
				off_book_date,
				off_red;		/* when memo is null */
} EntryLayout;

/* The offset of column attnum if every column before it but skip is fixed-width and NOT NULL. */
static int
fixed_offset(TupleDesc desc, AttrNumber attnum, AttrNumber skip)
{
	int			off = 0;
	AttrNumber	a;

	if (attnum == InvalidAttrNumber)
		return -1;
	for (a = 1; a <= attnum; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a - 1);

		if (a == skip)
			continue;
		if (att->attisdropped || !att->attnotnull || att->attlen <= 0)
			return -1;
		off = att_align_nominal(off, att->attalign);
		if (a < attnum)
			off += att->attlen;
	}
	return off;
}

static void
entry_layout_init(EntryLayout *lay, TupleDesc desc, const LedgerCatalog *cat)
{
	lay->desc = desc;
	lay->voucher = cat->e_voucher;
	lay->line = cat->e_line;
	lay->amount = cat->e_amount;
	lay->book_date = cat->e_book_date;
	lay->memo = cat->e_memo;
	lay->red = cat->e_red;
	lay->off_voucher = fixed_offset(desc, lay->voucher, InvalidAttrNumber);
	lay->off_line = fixed_offset(desc, lay->line, InvalidAttrNumber);
	lay->off_amount = fixed_offset(desc, lay->amount, InvalidAttrNumber);
	lay->off_book_date = fixed_offset(desc, lay->book_date, InvalidAttrNumber);
	lay->off_red = fixed_offset(desc, lay->red, lay->memo);
}

/* Column attnum of an entry tuple, at offset off when that is known to hold. */
static inline Datum
entry_field(HeapTuple tup, const EntryLayout *lay, AttrNumber attnum, int off, bool *isnull)
{
	if (off >= 0 && HeapTupleHeaderGetNatts(tup->t_data) >= attnum)
	{
		*isnull = false;
		return fetchatt(TupleDescAttr(lay->desc, attnum - 1),
						(char *) tup->t_data + tup->t_data->t_hoff + off);
	}
	return heap_getattr(tup, attnum, lay->desc, isnull);
}

/*
 * Appends the entries at tids (in index order: book date, then the order of
 * their pages) that the snapshot sees to out[*n..], each page locked once for
 * all its entries, as long as they are of book date *day (the first one seen
 * sets it when *have_day is false); returns how many tids it used, fewer
 * than ntids when it met the first entry of a later day.
 *
 * On a page marked all-visible an index entry that points at a normal line
 * pointer points at the tuple it was made for, and that tuple is visible to
 * every snapshot (no dead tuple, so no HOT chain to follow): it is read
 * without a visibility check, as a sequential scan reads such a page.
 */
static int
read_entries(Relation rel, Snapshot snapshot, const EntryLayout *lay, const AccountInfo *acc,
			 ItemPointerData *tids, int ntids, HistEntry *out, Size *n, Buffer *buf,
			 DateADT *day, bool *have_day)
{
	BlockNumber cur = InvalidBlockNumber;
	Page		page = NULL;
	bool		all_visible = false;
	int			i;

	for (i = 0; i < ntids; i++)
	{
		BlockNumber blk = ItemPointerGetBlockNumber(&tids[i]);
		ItemPointerData tid = tids[i];
		HeapTupleData tup;
		bool		all_dead;
		bool		isnull;
		HistEntry  *e;
		LedgerAmount *amt;
		DateADT		d;
		ItemId		lp;

		if (blk != cur)
		{
			if (cur != InvalidBlockNumber)
				LockBuffer(*buf, BUFFER_LOCK_UNLOCK);
			*buf = ReleaseAndReadBuffer(*buf, rel, blk);
			LockBuffer(*buf, BUFFER_LOCK_SHARE);
			page = BufferGetPage(*buf);
			/* with old_snapshot_threshold a page may be all-visible past an old snapshot's horizon */
			all_visible = PageIsAllVisible(page) && !snapshot->takenDuringRecovery &&
				!OldSnapshotThresholdActive();
			cur = blk;
		}
		if (all_visible && ItemPointerGetOffsetNumber(&tid) <= PageGetMaxOffsetNumber(page) &&
			ItemIdIsNormal(lp = PageGetItemId(page, ItemPointerGetOffsetNumber(&tid))))
		{
			tup.t_data = (HeapTupleHeader) PageGetItem(page, lp);
			tup.t_len = ItemIdGetLength(lp);
			tup.t_tableOid = RelationGetRelid(rel);
			tup.t_self = tid;
			/* what heap_hot_search_buffer() does with a visible tuple */
			HeapCheckForSerializableConflictOut(true, rel, &tup, *buf, snapshot);
			PredicateLockTID(rel, &tid, snapshot, HeapTupleHeaderGetXmin(tup.t_data));
		}
		else if (!heap_hot_search_buffer(&tid, rel, *buf, snapshot, &tup, &all_dead, true))
			continue;
		d = DatumGetDateADT(entry_field(&tup, lay, lay->book_date, lay->off_book_date, &isnull));
		if (!*have_day)
		{
			*day = d;
			*have_day = true;
		}
		else if (d != *day)
			break;				/* the next day starts here */
		e = &out[(*n)++];
		e->voucher_id = DatumGetInt64(entry_field(&tup, lay, lay->voucher, lay->off_voucher, &isnull));
		e->line_no = DatumGetInt32(entry_field(&tup, lay, lay->line, lay->off_line, &isnull));
		e->red = false;
		if (lay->red != InvalidAttrNumber)
		{
			bool		memo_null = HeapTupleHasNulls(&tup) &&
				att_isnull(lay->memo - 1, tup.t_data->t_bits);
			Datum		red = entry_field(&tup, lay, lay->red, memo_null ? lay->off_red : -1, &isnull);

			e->red = !isnull && DatumGetBool(red);
		}
		amt = DatumGetLedgerAmountP(entry_field(&tup, lay, lay->amount, lay->off_amount, &isnull));
		if (amt->code != acc->cur.code || amt->decimals != acc->cur.decimals)
		{
			LockBuffer(*buf, BUFFER_LOCK_UNLOCK);
			elog(ERROR, "entry line %d of voucher %lld is not in the currency of account \"%s\"",
				 e->line_no, (long long) e->voucher_id, acc->code);
		}
		e->units = amt->units;
	}
	if (cur != InvalidBlockNumber)
		LockBuffer(*buf, BUFFER_LOCK_UNLOCK);
	return i;
}

/*
 * The columns of ledger._account_history(): the fixed-width ones first, then
 * the balance, before any column that can be null, so that the caller's
 * query reads them from the row at fixed offsets.
 */
enum
{
	HC_BOOK_DATE,
	HC_VOUCHER,
	HC_LINE,
	HC_CREATED_AT,
	HC_BALANCE,
	HC_DEBIT,
	HC_CREDIT,
	HC_REF,
	HC_SUMMARY,
	HC_COLUMNS
};

/*
 * The state of one account history between calls: the scan of the period's
 * entries, the entries of the day being returned, and the voucher reader.
 * It lives in the set-returning function's multi-call memory; its relations,
 * scans and pins are released when the last row has been returned, or by the
 * expression context's shutdown callback when the caller stops early (LIMIT,
 * a rescan, the end of a cursor).
 */
typedef struct HistoryScan
{
	LedgerCatalog cat;			/* a copy: the cache may be rebuilt between calls */
	AccountInfo acc;			/* a copy, with a copy of its code */
	Snapshot	snapshot;
	int64		running;		/* the account's balance in units, signed */
	Relation	erel;
	Relation	eidx;
	IndexScanDesc scan;
	VoucherReader vr;
	MemoryContext scancxt;		/* the multi-call memory: what the scans allocate */
	ItemPointerData *tids;		/* entries the index gave, not read yet */
	int			ntids;
	HistEntry  *day_entries;	/* the day's entries, in posting order once read */
	Size		max_entries;
	Size		n;				/* entries of the day */
	Size		next;			/* the next one to return */
	DateADT		day;			/* their book date */
	bool		index_done;
	Buffer		ebuf;			/* pinned only while a day is read */
	EntryLayout elay;
	struct RowTemplate *templates[1 << HC_COLUMNS];	/* by the columns that are null */
	AttrNumber	v_last;
	Datum	   *vvalues;		/* the voucher's columns up to v_last */
	bool	   *vnulls;
	bool		open;
} HistoryScan;

static void
history_close(HistoryScan *hs)
{
	if (!hs->open)
		return;
	hs->open = false;
	ereport(DEBUG1,
			(errmsg_internal("account history of \"%s\": %lld vouchers found near the last one, %lld by the primary key",
							 hs->acc.code, (long long) hs->vr.found_near, (long long) hs->vr.probes)));
	if (BufferIsValid(hs->ebuf))
		ReleaseBuffer(hs->ebuf);
	hs->ebuf = InvalidBuffer;
	index_endscan(hs->scan);
	if (hs->vr.scan != NULL)
	{
		ExecDropSingleTupleTableSlot(hs->vr.slot);
		index_endscan(hs->vr.scan);
	}
	if (BufferIsValid(hs->vr.buf))
		ReleaseBuffer(hs->vr.buf);
	index_close(hs->vr.idx, AccessShareLock);
	table_close(hs->vr.rel, AccessShareLock);
	index_close(hs->eidx, AccessShareLock);
	table_close(hs->erel, AccessShareLock);
}

/* the caller stopped before the last row */
static void
history_shutdown(Datum arg)
{
	history_close((HistoryScan *) DatumGetPointer(arg));
}

/* Opens the scan of the period's entries (in the multi-call memory). */
static void
history_open(HistoryScan *hs, DateADT from_date, DateADT to_date)
{
	const LedgerCatalog *cat = &hs->cat;
	ScanKeyData keys[3];

	hs->snapshot = GetActiveSnapshot();
	hs->erel = table_open(cat->entry, AccessShareLock);
	hs->eidx = index_open(cat->entry_account_idx, AccessShareLock);
	hs->vr.rel = table_open(cat->voucher, AccessShareLock);
	hs->vr.idx = index_open(cat->voucher_pkey, AccessShareLock);
	hs->vr.snapshot = hs->snapshot;
	hs->vr.desc = RelationGetDescr(hs->vr.rel);
	hs->vr.v_id = cat->v_id;
	hs->vr.id_first = cat->v_id == 1 && TupleDescAttr(hs->vr.desc, 0)->atttypid == INT8OID;
	hs->vr.buf = InvalidBuffer;
	hs->vr.nblocks = RelationGetNumberOfBlocks(hs->vr.rel);
	hs->v_last = Max(Max(cat->v_ref, cat->v_summary), cat->v_created_at);
	hs->vvalues = palloc(sizeof(Datum) * hs->v_last);
	hs->vnulls = palloc(sizeof(bool) * hs->v_last);

	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(hs->acc.id));
	ScanKeyInit(&keys[1], 2, BTGreaterEqualStrategyNumber, F_DATE_GE, DateADTGetDatum(from_date));
	ScanKeyInit(&keys[2], 2, BTLessEqualStrategyNumber, F_DATE_LE, DateADTGetDatum(to_date));
	hs->scan = index_beginscan(hs->erel, hs->eidx, hs->snapshot, 3, 0);
	index_rescan(hs->scan, keys, 3, NULL, 0);
	hs->tids = palloc(sizeof(ItemPointerData) * TID_BATCH);
	hs->max_entries = 1024;
	hs->day_entries = palloc(sizeof(HistEntry) * hs->max_entries);
	hs->ebuf = InvalidBuffer;
	entry_layout_init(&hs->elay, RelationGetDescr(hs->erel), cat);
	hs->open = true;
}

/*
 * Reads the next book day of the period that has entries the snapshot sees,
 * in posting order (voucher, line) unless the index gave them in it already;
 * false when there is none.  The book date is read from each entry (the
 * index scan returns no index tuples, so that it keeps no leaf page pinned
 * between calls), and the entry heap page is let go once the day is read.
 */
static bool
history_next_day(HistoryScan *hs)
{
	bool		have_day = false;
	Size		i;

	hs->n = 0;
	hs->next = 0;
	for (;;)
	{
		int			used;

		if (hs->ntids == 0)
		{
			while (!hs->index_done && hs->ntids < TID_BATCH)
			{
				ItemPointer tid = index_getnext_tid(hs->scan, ForwardScanDirection);

				if (tid == NULL)
					hs->index_done = true;
				else
					hs->tids[hs->ntids++] = *tid;
			}
			if (hs->ntids == 0)
				break;
		}
		if (hs->n + hs->ntids > hs->max_entries)
		{
			while (hs->n + hs->ntids > hs->max_entries)
				hs->max_entries *= 2;
			hs->day_entries = repalloc_huge(hs->day_entries, sizeof(HistEntry) * hs->max_entries);
		}
		used = read_entries(hs->erel, hs->snapshot, &hs->elay, &hs->acc, hs->tids, hs->ntids,
							hs->day_entries, &hs->n, &hs->ebuf, &hs->day, &have_day);
		if (used < hs->ntids)
		{
			/* the rest are of the next day */
			memmove(hs->tids, hs->tids + used, sizeof(ItemPointerData) * (hs->ntids - used));
			hs->ntids -= used;
			break;
		}
		hs->ntids = 0;
	}
	if (BufferIsValid(hs->ebuf))
		ReleaseBuffer(hs->ebuf);
	hs->ebuf = InvalidBuffer;
	for (i = 1; i < hs->n; i++)
	{
		if (cmp_hist_entry(&hs->day_entries[i - 1], &hs->day_entries[i]) > 0)
		{
			qsort(hs->day_entries, hs->n, sizeof(HistEntry), cmp_hist_entry);
			break;
		}
	}
	return hs->n > 0;
}

/*
 * Forming the rows.  The rows of one history differ only in their values:
 * the header of a row (its length aside) depends only on which of its
 * columns are null, and its values are fixed-width ones and short texts,
 * laid out in column order, each fixed-width one at its alignment and each
 * short text where the one before ends, as heap_fill_tuple() lays them out.
 * So the header of each pattern of nulls is taken once from a row that
 * heap_form_tuple() made, and the values are copied after it; a text that is
 * not short (over 126 bytes, or compressed) sends the row through
 * heap_form_tuple() instead.  heap_form_tuple() works all of that out again
 * for every row, at a third of the history's time.
 */
#define HC_FIXED HC_REF			/* the columns before it are fixed-width, the rest texts */

typedef struct RowTemplate
{
	int			hoff;			/* the header's length, with its null bitmap */
	int			fixed_len;		/* the fixed-width values' length, padding included */
	int			off[HC_FIXED];	/* where each fixed-width value goes after the header */
	/* the header, then the fixed-width values' place, zeroed */
	char		bytes[MAXALIGN(SizeofHeapTupleHeader + BITMAPLEN(HC_COLUMNS)) + HC_FIXED * MAXIMUM_ALIGNOF + 3 * sizeof(LedgerAmount)];
} RowTemplate;

/*
 * Copies n bytes (a row's header, a short text) eight at a time.  The
 * compiler lays out memcpy() of a length it knows to be small as "rep movsq",
 * whose start-up costs more than copying these few bytes (it was a sixth of
 * the history's time).
 */
static inline void
copy_short(char *dst, const char *src, size_t n)
{
	size_t		i = 0;

	if (n >= 8)
	{
		for (; i + 8 <= n; i += 8)
		{
			uint64		w;

			memcpy(&w, src + i, 8);
			memcpy(dst + i, &w, 8);
		}
		if (i < n)
		{
			uint64		w;

			memcpy(&w, src + n - 8, 8);
			memcpy(dst + n - 8, &w, 8);
		}
		return;
	}
	for (; i < n; i++)
		dst[i] = src[i];
}

/* A row of the history as a composite datum's header, in the current memory. */
static HeapTupleHeader
history_form(HistoryScan *hs, TupleDesc desc, const Datum *values, const bool *nulls)
{
	uint32		mask = 0;
	RowTemplate *t;
	HeapTuple	made = NULL;
	HeapTupleHeader td;
	char	   *data;
	Size		texts = 0;
	int			i;

	for (i = 0; i < HC_COLUMNS; i++)
	{
		if (nulls[i])
			mask |= 1 << i;
		else if (i >= HC_FIXED)
		{
			Pointer		p = DatumGetPointer(values[i]);

			if (!VARATT_IS_SHORT(p) || VARATT_IS_EXTERNAL(p))
				return heap_form_tuple(desc, (Datum *) values, (bool *) nulls)->t_data;
			texts += VARSIZE_SHORT(p);
		}
	}
	if ((t = hs->templates[mask]) == NULL)
	{
		int			off = 0;

		made = heap_form_tuple(desc, (Datum *) values, (bool *) nulls);

		t = MemoryContextAllocZero(hs->scancxt, sizeof(RowTemplate));
		t->hoff = made->t_data->t_hoff;
		for (i = 0; i < HC_FIXED; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			t->off[i] = -1;
			if (nulls[i])
				continue;
			off = att_align_nominal(off, att->attalign);
			t->off[i] = off;
			off += att->attlen;
		}
		t->fixed_len = off;
		if ((Size) (t->hoff + t->fixed_len) > sizeof(t->bytes))
			elog(ERROR, "a row of the account history does not fit its template");
		memcpy(t->bytes, made->t_data, t->hoff);
		hs->templates[mask] = t;
	}
	td = palloc(t->hoff + t->fixed_len + texts);
	copy_short((char *) td, t->bytes, t->hoff + t->fixed_len);
	HeapTupleHeaderSetDatumLength(td, t->hoff + t->fixed_len + texts);
	data = (char *) td + t->hoff;
	for (i = 0; i < HC_FIXED; i++)
	{
		Form_pg_attribute att;

		if (nulls[i])
			continue;
		att = TupleDescAttr(desc, i);
		if (att->attbyval)
			store_att_byval(data + t->off[i], values[i], att->attlen);
		else
			memcpy(data + t->off[i], DatumGetPointer(values[i]), att->attlen);
	}
	data += t->fixed_len;
	for (i = HC_FIXED; i < HC_COLUMNS; i++)
	{
		if (nulls[i])
			continue;
		copy_short(data, DatumGetPointer(values[i]), VARSIZE_SHORT(DatumGetPointer(values[i])));
		data += VARSIZE_SHORT(DatumGetPointer(values[i]));
	}
#ifdef USE_ASSERT_CHECKING
	if (made == NULL)
		made = heap_form_tuple(desc, (Datum *) values, (bool *) nulls);
#endif
	/* the first row of each pattern, and with assertions every row, as heap_form_tuple() lays it out */
	if (made != NULL && (made->t_len != VARSIZE(td) || memcmp(made->t_data, td, made->t_len) != 0))
		elog(ERROR, "a row of the account history is not laid out as heap_form_tuple() lays it out");
	return td;
}

/* The row of the next entry, in the caller's (per-call) memory. */
static HeapTupleHeader
history_row(HistoryScan *hs, TupleDesc desc)
{
	const LedgerCatalog *cat = &hs->cat;
	const AccountInfo *acc = &hs->acc;
	HistEntry  *e = &hs->day_entries[hs->next++];
	Datum		values[HC_COLUMNS];
	bool		nulls[HC_COLUMNS] = {false, false, false, false, false, false, false, false, false};
	LedgerAmount side;
	LedgerAmount balance;
	int64		normal;
	HeapTuple	voucher;
	Datum	   *vvalues = hs->vvalues;
	bool	   *vnulls = hs->vnulls;
	MemoryContext old;

	/* the scans allocate in their own memory: the caller's is reset at each row */
	old = MemoryContextSwitchTo(hs->scancxt);
	voucher = voucher_read(&hs->vr, e->voucher_id);
	MemoryContextSwitchTo(old);
	voucher_columns(hs->vr.desc, voucher, hs->v_last, vvalues, vnulls);
	values[HC_BOOK_DATE] = DateADTGetDatum(hs->day);
	values[HC_VOUCHER] = Int64GetDatum(e->voucher_id);
	values[HC_LINE] = Int32GetDatum(e->line_no);
	nulls[HC_REF] = vnulls[cat->v_ref - 1];
	if (!nulls[HC_REF])
		values[HC_REF] = inline_text(vvalues[cat->v_ref - 1]);
	nulls[HC_SUMMARY] = vnulls[cat->v_summary - 1];
	if (!nulls[HC_SUMMARY])
		values[HC_SUMMARY] = inline_text(vvalues[cat->v_summary - 1]);
	values[HC_CREATED_AT] = vvalues[cat->v_created_at - 1];
	nulls[HC_CREATED_AT] = vnulls[cat->v_created_at - 1];
	if (pg_add_s64_overflow(hs->running, e->units, &hs->running))
		amount_out_of_range_error();

	/*
	 * A debit (positive) on the debit side, a credit on the credit side as a
	 * positive figure; a red-letter entry (红字) stands on the side opposite
	 * to its sign, as a negative figure, as in the journal.
	 */
	memset(&side, 0, sizeof(side));
	side.code = acc->cur.code;
	side.decimals = acc->cur.decimals;
	if ((e->units > 0) != e->red)
	{
		side.units = e->units;
		values[HC_DEBIT] = PointerGetDatum(&side);
		nulls[HC_CREDIT] = true;
	}
	else
	{
		if (e->units == PG_INT64_MIN)
			amount_out_of_range_error();
		side.units = -e->units;
		nulls[HC_DEBIT] = true;
		values[HC_CREDIT] = PointerGetDatum(&side);
	}
	if (acc->sign < 0 && hs->running == PG_INT64_MIN)
		amount_out_of_range_error();
	normal = acc->sign < 0 ? -hs->running : hs->running;
	memset(&balance, 0, sizeof(balance));
	balance.units = normal;
	balance.code = acc->cur.code;
	balance.decimals = acc->cur.decimals;
	values[HC_BALANCE] = PointerGetDatum(&balance);
	/* the row is formed while the voucher's page is pinned: its texts are copied */
	return history_form(hs, desc, values, nulls);
}

/*
 * The opening balance of the account at from_date, in units: the day-end
 * row of the last closed day before it, plus the entries of the days after
 * that one.  The query runs as the owner of the books, as the rest of the
 * history reads them (the caller's right is EXECUTE on
 * ledger.account_history).
 */
static int64
history_opening(const HistoryScan *hs, DateADT from_date)
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	Datum		args[2];
	bool		isnull;
	int64		running;

	/* as the SECURITY DEFINER function it replaces: without JIT, whatever the caller's setting */
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(hs->erel->rd_rel->relowner,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	/* an error restores the user id and the setting with the transaction's (sub)abort */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();
	args[0] = Int64GetDatum(hs->acc.id);
	args[1] = DateADTGetDatum(from_date);
	if (SPI_execute_plan(opening_plan, args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "opening balance lookup failed");
	running = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	SetUserIdAndSecContext(save_userid, save_sec_context);
	AtEOXact_GUC(true, save_nestlevel);
	return running;
}

/*
 * The OID of ledger.account_history(text, date, date), in the schema of
 * ledger._account_history (self): the function whose EXECUTE right the rows
 * need.  Looked up in the catalog cache at each call, without the USAGE
 * check a lookup by name would make (the caller may reach the function
 * through a view or another function), and never remembered across a DROP
 * and CREATE EXTENSION.
 */
static Oid
history_function_oid(Oid self)
{
	Oid			argtypes[3] = {TEXTOID, DATEOID, DATEOID};

	return ledger_sibling_function(self, "account_history", 3, argtypes);
}

/*
 * ledger._account_history(code, from_date, to_date) → SETOF record(book_date,
 * voucher_id, line_no, created_at, balance, debit, credit, ref, summary): the
 * rows of ledger.account_history(), one per call.
 */
PG_FUNCTION_INFO_V1(ledger_account_history);
Datum
ledger_account_history(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	HistoryScan *hs;

	if (SRF_IS_FIRSTCALL())
	{
		ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
		char	   *code;
		const AccountInfo *found;
		DateADT		from_date,
					to_date;
		TupleDesc	desc;
		MemoryContext old;
		Oid			history_fn = history_function_oid(fcinfo->flinfo->fn_oid);

		/* the rows are the function's: the right to them is the right to call it */
		if (pg_proc_aclcheck(history_fn, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
			aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FUNCTION, get_func_name(history_fn));
		if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) || (rsinfo->allowedModes & SFRM_ValuePerCall) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("set-valued function called in context that cannot accept a set")));
		if (PG_ARGISNULL(0))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("code must not be null"),
					 errdetail("ledger.account_history() needs the code of a leaf account.")));
		code = text_to_cstring(PG_GETARG_TEXT_PP(0));
		if (PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("from_date must not be null"),
					 errdetail("The history of account \"%s\" starts at the opening of from_date.", code)));
		from_date = PG_GETARG_DATEADT(1);
		to_date = PG_ARGISNULL(2) ? DATEVAL_NOEND : PG_GETARG_DATEADT(2);
		/* 22008 for a date that is no book date, as for every book-date argument */
		DirectFunctionCall3(ledger_check_book_date, DateADTGetDatum(from_date),
							CStringGetTextDatum("from_date"), BoolGetDatum(false));
		if (!PG_ARGISNULL(2))
			DirectFunctionCall3(ledger_check_book_date, DateADTGetDatum(to_date),
								CStringGetTextDatum("to_date"), BoolGetDatum(true));
		found = account_by_code_or_error(code);
		if (found->summary)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("account \"%s\" is a summary account", code),
					 errdetail("The account history (明细账) lists the entries of a leaf account; \"%s\" has sub-accounts.", code),
					 errhint("Ask for the history of one of its leaf accounts, or use ledger.trial_balance().")));
		if (!found->has_currency)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("account \"%s\" has no currency", code),
					 errdetail("A leaf account takes postings in its currency; \"%s\" has none.", code)));

		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE || desc->natts != HC_COLUMNS ||
			TupleDescAttr(desc, HC_BOOK_DATE)->atttypid != DATEOID ||
			TupleDescAttr(desc, HC_VOUCHER)->atttypid != INT8OID ||
			TupleDescAttr(desc, HC_LINE)->atttypid != INT4OID ||
			TupleDescAttr(desc, HC_CREATED_AT)->atttypid != TIMESTAMPTZOID ||
			TupleDescAttr(desc, HC_BALANCE)->attlen != sizeof(LedgerAmount) ||
			TupleDescAttr(desc, HC_BALANCE)->atttypid != TupleDescAttr(desc, HC_DEBIT)->atttypid ||
			TupleDescAttr(desc, HC_BALANCE)->atttypid != TupleDescAttr(desc, HC_CREDIT)->atttypid ||
			TupleDescAttr(desc, HC_REF)->atttypid != TEXTOID ||
			TupleDescAttr(desc, HC_SUMMARY)->atttypid != TEXTOID)
			elog(ERROR, "ledger._account_history() is not declared as this library returns it: install the extension's SQL and library of the same version");
		funcctx->tuple_desc = BlessTupleDesc(desc);
		hs = palloc0(sizeof(HistoryScan));
		hs->scancxt = funcctx->multi_call_memory_ctx;
		hs->acc = *found;		/* before anything else may look an account up */
		hs->acc.code = pstrdup(found->code);
		hs->cat = *ledger_catalog();
		history_open(hs, from_date, to_date);
		/* registered after the multi-call context's own: called before it is deleted */
		RegisterExprContextCallback(rsinfo->econtext, history_shutdown, PointerGetDatum(hs));
		funcctx->user_fctx = hs;
		MemoryContextSwitchTo(old);
		hs->running = history_opening(hs, from_date);
	}

	funcctx = SRF_PERCALL_SETUP();
	hs = (HistoryScan *) funcctx->user_fctx;
	CHECK_FOR_INTERRUPTS();
	if (hs->next >= hs->n)
	{
		MemoryContext old = MemoryContextSwitchTo(hs->scancxt);
		bool		more = history_next_day(hs);

		MemoryContextSwitchTo(old);
		if (!more)
		{
			history_close(hs);
			UnregisterExprContextCallback(((ReturnSetInfo *) fcinfo->resultinfo)->econtext,
										  history_shutdown, PointerGetDatum(hs));
			SRF_RETURN_DONE(funcctx);
		}
	}
	SRF_RETURN_NEXT(funcctx, HeapTupleHeaderGetDatum(history_row(hs, funcctx->tuple_desc)));
}
