/*
 * bookread.c — reads of the books for reconciliation that take no predicate
 * locks.
 *
 * A reconciliation may run in a SERIALIZABLE transaction and stay open a
 * while, beside posters that insert vouchers and entries all the time.  Read
 * through the executor, its scans of ledger.entry and ledger.voucher take
 * SIREAD locks that end up covering the whole relations, and every poster
 * that commits meanwhile becomes an rw-conflict of the reconciliation.  The
 * conflicts are kept until it ends, and when PostgreSQL's pool of them runs
 * dry, posters fail with 53200, which no retry cures.
 *
 * The reconciliation only reads the books, and posters never read what it
 * writes, so it cannot close a dangerous cycle through them.  These
 * functions therefore read the rows the reconciliation needs through the
 * indexes with SnapshotAny, which SSI ignores, and apply the statement's own
 * MVCC snapshot to each heap tuple themselves: the same rows as a plain
 * query would return, without predicate locks and without conflict checks.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "common/int.h"
#include "executor/tuptable.h"
#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

#include "bookread.h"
#include "catalog.h"

/*
 * The next tuple of an index scan begun with SnapshotAny that the snapshot
 * sees, or false at the end.
 */
static bool
next_visible(IndexScanDesc scan, TupleTableSlot *slot, Snapshot snap)
{
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		BufferHeapTupleTableSlot *bslot = (BufferHeapTupleTableSlot *) slot;
		bool		visible;

		CHECK_FOR_INTERRUPTS();
		LockBuffer(bslot->buffer, BUFFER_LOCK_SHARE);
		visible = HeapTupleSatisfiesVisibility(bslot->base.tuple, snap, bslot->buffer);
		LockBuffer(bslot->buffer, BUFFER_LOCK_UNLOCK);
		if (visible)
			return true;
	}
	return false;
}

/* An index scan of one key, or two, read with SnapshotAny. */
static IndexScanDesc
begin_any(Relation heap, Relation idx, ScanKey keys, int nkeys)
{
	IndexScanDesc scan = index_beginscan(heap, idx, SnapshotAny, nkeys, 0);

	index_rescan(scan, keys, nkeys, NULL, 0);
	return scan;
}

static Oid
reverses_index(const LedgerCatalog *cat)
{
	Oid			oid = get_relname_relid("voucher_reverses_key", cat->nsp);

	if (!OidIsValid(oid))
		elog(ERROR, "index ledger.voucher_reverses_key does not exist");
	return oid;
}

/* Whether a voucher that reverses `id` is visible to snap. */
static bool
voucher_reversed(Relation voucher, Relation rev_idx, TupleTableSlot *slot, Snapshot snap, int64 id)
{
	ScanKeyData key;
	IndexScanDesc scan;
	bool		found;

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	scan = begin_any(voucher, rev_idx, &key, 1);
	found = next_visible(scan, slot, snap);
	index_endscan(scan);
	return found;
}

typedef struct ReconItem
{
	int64		voucher_id;		/* hash key */
	int64		units;
	la_currency cur;
} ReconItem;

static int
cmp_item(const void *a, const void *b)
{
	int64		x = (*(ReconItem *const *) a)->voucher_id;
	int64		y = (*(ReconItem *const *) b)->voucher_id;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * ledger._recon_items(account_id bigint, book_date date)
 *   → TABLE(voucher_id bigint, ref text, amount ledger.amount, reversed boolean,
 *           created_at timestamptz, metadata jsonb)
 *
 * One row per voucher of the book date with a ref and entries on the
 * account: their sum there (vouchers whose entries there net to zero are
 * left out), whether a voucher reversing it exists, and the voucher's
 * created_at and metadata; as the statement's snapshot sees them, without
 * predicate locks.
 */
PG_FUNCTION_INFO_V1(ledger_recon_items);
Datum
ledger_recon_items(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		account_id = PG_GETARG_INT64(0);
	DateADT		book_date = PG_GETARG_DATEADT(1);
	const LedgerCatalog *cat = ledger_catalog();
	Snapshot	snap = GetActiveSnapshot();
	Relation	entry;
	Relation	entry_idx;
	Relation	voucher;
	Relation	voucher_idx;
	Relation	rev_idx;
	TupleTableSlot *eslot;
	TupleTableSlot *vslot;
	ScanKeyData keys[2];
	IndexScanDesc scan;
	HASHCTL		ctl;
	HTAB	   *items;
	HASH_SEQ_STATUS seq;
	ReconItem  *item;
	ReconItem **sorted;
	long		n;
	long		i;

	InitMaterializedSRF(fcinfo, 0);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(ReconItem);
	ctl.hcxt = CurrentMemoryContext;
	items = hash_create("ledger reconciliation items", 256, &ctl,
						HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	/* the account's entries of the day, summed per voucher */
	entry = table_open(cat->entry, AccessShareLock);
	entry_idx = index_open(cat->entry_account_idx, AccessShareLock);
	eslot = table_slot_create(entry, NULL);
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(account_id));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_DATE_EQ, DateADTGetDatum(book_date));
	scan = begin_any(entry, entry_idx, keys, 2);
	while (next_visible(scan, eslot, snap))
	{
		bool		isnull;
		int64		vid = DatumGetInt64(slot_getattr(eslot, cat->e_voucher, &isnull));
		LedgerAmount *amt = DatumGetLedgerAmountP(slot_getattr(eslot, cat->e_amount, &isnull));
		bool		found;

		CHECK_FOR_INTERRUPTS();
		item = hash_search(items, &vid, HASH_ENTER, &found);
		if (!found)
		{
			item->units = 0;
			item->cur = amount_currency(amt);
		}
		else if (!currency_equal(item->cur, amount_currency(amt)))
			currency_mismatch_error(item->cur, amount_currency(amt), "add");
		if (pg_add_s64_overflow(item->units, amt->units, &item->units))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("ledger.amount out of range"),
					 errdetail("The entries of voucher %lld on account id %lld add up beyond the range of ledger.amount.",
							   (long long) vid, (long long) account_id)));
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(eslot);
	index_close(entry_idx, AccessShareLock);
	table_close(entry, AccessShareLock);

	n = hash_get_num_entries(items);
	sorted = palloc(sizeof(ReconItem *) * Max(n, 1));
	i = 0;
	hash_seq_init(&seq, items);
	while ((item = hash_seq_search(&seq)) != NULL)
		sorted[i++] = item;
	qsort(sorted, n, sizeof(ReconItem *), cmp_item);

	/* each voucher's ref, and whether it was reversed */
	voucher = table_open(cat->voucher, AccessShareLock);
	voucher_idx = index_open(cat->voucher_pkey, AccessShareLock);
	rev_idx = index_open(reverses_index(cat), AccessShareLock);
	vslot = table_slot_create(voucher, NULL);
	for (i = 0; i < n; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};
		bool		isnull;
		Datum		ref;
		Datum		meta;

		CHECK_FOR_INTERRUPTS();
		item = sorted[i];
		if (item->units == 0)
			continue;
		ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(item->voucher_id));
		scan = begin_any(voucher, voucher_idx, keys, 1);
		if (!next_visible(scan, vslot, snap))
		{
			index_endscan(scan);
			continue;
		}
		ref = slot_getattr(vslot, cat->v_ref, &isnull);
		if (isnull)
		{
			index_endscan(scan);
			continue;
		}
		values[1] = PointerGetDatum(PG_DETOAST_DATUM_COPY(ref));
		values[4] = slot_getattr(vslot, cat->v_created_at, &isnull);
		nulls[4] = isnull;
		meta = slot_getattr(vslot, cat->v_metadata, &isnull);
		nulls[5] = isnull;
		values[5] = isnull ? (Datum) 0 : PointerGetDatum(PG_DETOAST_DATUM_COPY(meta));
		index_endscan(scan);

		values[0] = Int64GetDatum(item->voucher_id);
		values[2] = LedgerAmountPGetDatum(amount_make(item->units, item->cur));
		values[3] = BoolGetDatum(voucher_reversed(voucher, rev_idx, vslot, snap, item->voucher_id));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	ExecDropSingleTupleTableSlot(vslot);
	index_close(rev_idx, AccessShareLock);
	index_close(voucher_idx, AccessShareLock);
	table_close(voucher, AccessShareLock);
	return (Datum) 0;
}

/*
 * ledger._recon_voucher(voucher_id bigint, OUT reversed boolean,
 *                       OUT created_at timestamptz, OUT metadata jsonb)
 *
 * What reconciliation needs of a voucher of its pending pool: whether a
 * voucher reversing it exists, its created_at and metadata (NULLs if the
 * snapshot does not see it); without predicate locks.
 */
PG_FUNCTION_INFO_V1(ledger_recon_voucher);
Datum
ledger_recon_voucher(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	const LedgerCatalog *cat = ledger_catalog();
	Snapshot	snap = GetActiveSnapshot();
	Relation	voucher = table_open(cat->voucher, AccessShareLock);
	Relation	voucher_idx = index_open(cat->voucher_pkey, AccessShareLock);
	Relation	rev_idx = index_open(reverses_index(cat), AccessShareLock);
	TupleTableSlot *slot = table_slot_create(voucher, NULL);
	TupleDesc	desc;
	Datum		values[3];
	bool		nulls[3] = {false, true, true};
	ScanKeyData key;
	IndexScanDesc scan;
	bool		isnull;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "ledger._recon_voucher must return a record");
	desc = BlessTupleDesc(desc);

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	scan = begin_any(voucher, voucher_idx, &key, 1);
	if (next_visible(scan, slot, snap))
	{
		Datum		meta;

		values[1] = slot_getattr(slot, cat->v_created_at, &isnull);
		nulls[1] = isnull;
		meta = slot_getattr(slot, cat->v_metadata, &isnull);
		nulls[2] = isnull;
		values[2] = isnull ? (Datum) 0 : PointerGetDatum(PG_DETOAST_DATUM_COPY(meta));
	}
	index_endscan(scan);
	values[0] = BoolGetDatum(voucher_reversed(voucher, rev_idx, slot, snap, id));

	ExecDropSingleTupleTableSlot(slot);
	index_close(rev_idx, AccessShareLock);
	index_close(voucher_idx, AccessShareLock);
	table_close(voucher, AccessShareLock);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
