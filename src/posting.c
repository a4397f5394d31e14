/*
 * posting.c — triggers on ledger.voucher and ledger.entry, the per-transaction
 * voucher sums, the commit-time balance check and the balance maintenance.
 *
 * See posting.h for the design.
 */
#include "postgres.h"

#include "access/genam.h"
#include "common/int.h"
#include "catalog/index.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "catalog.h"
#include "hold.h"
#include "posting.h"
#include "wide.h"

/* ---------- per-transaction state ---------- */

typedef struct VoucherSum
{
	la_currency cur;
	INT128		sum;
} VoucherSum;

typedef struct PendingVoucher
{
	int64		id;				/* hash key */
	DateADT		book_date;
	int64		reverses;		/* 0 if none */
	int32		nentries;
	int32		nsums;
	int32		maxsums;
	VoucherSum *sums;			/* points at inline_sums until it grows */
	VoucherSum	inline_sums[2];
	char	   *key;			/* idempotency key, for messages */
} PendingVoucher;

/* undo log, kept only while a subtransaction is open */
typedef struct UndoRec
{
	SubTransactionId subid;
	bool		is_register;
	int64		voucher_id;
	la_currency cur;
	int64		units;
} UndoRec;

static MemoryContext txn_cxt = NULL;
static HTAB *pending = NULL;
static UndoRec *undo = NULL;
static int	nundo = 0;
static int	maxundo = 0;

static bool txn_day_fixed = false;
static DateADT txn_day;
static SubTransactionId txn_day_subid = InvalidSubTransactionId;

/*
 * ledger.voucher when the transaction's state (pending vouchers, undo log,
 * book day) began: a DROP EXTENSION ledger (and CREATE) inside the
 * transaction takes those vouchers and that day away with their tables.
 */
static Oid	txn_voucher_rel = InvalidOid;

/* the held amounts the entries of one voucher release (posting_expect_release) */
static int64 release_voucher = 0;
static int	release_n = 0;
static PostingRelease *release_moves = NULL;


static void
txn_state_reset(void)
{
	txn_cxt = NULL;				/* freed with TopTransactionContext */
	pending = NULL;
	undo = NULL;
	nundo = maxundo = 0;
	txn_day_fixed = false;
	txn_day_subid = InvalidSubTransactionId;
	txn_voucher_rel = InvalidOid;
	posting_forget_release();
}

/*
 * Called before the transaction's state is used: it must describe the
 * ledger.voucher that is the ledger's now.  If the ledger was dropped (and
 * created again) in this transaction after the state began, the state still
 * describes vouchers of the old tables, which a ROLLBACK TO SAVEPOINT may
 * bring back and which are then checked at commit: they are never forgotten
 * or mixed with the new tables' (whose voucher ids start again at 1), so
 * writing into the new ledger is refused until the transaction ends.
 */
static void
txn_state_current(void)
{
	Oid			voucher = ledger_catalog()->voucher;

	if (txn_voucher_rel == voucher)
		return;
	if (OidIsValid(txn_voucher_rel) &&
		((pending != NULL && hash_get_num_entries(pending) > 0) || nundo > 0))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the ledger was dropped in this transaction after the transaction wrote vouchers"),
				 errdetail("The vouchers written before DROP EXTENSION ledger are checked at commit against the tables they were written to; the ledger created since cannot take vouchers or give a book day in the same transaction."),
				 errhint("Commit or roll back first.")));
	/* nothing written: only the day, which was the old books' */
	txn_day_fixed = false;
	txn_day_subid = InvalidSubTransactionId;
	txn_voucher_rel = voucher;
}

static void
txn_state_ensure(void)
{
	HASHCTL		ctl;

	txn_state_current();
	if (txn_cxt != NULL)
		return;
	txn_cxt = AllocSetContextCreate(TopTransactionContext,
									"ledger pending vouchers",
									ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(PendingVoucher);
	ctl.hcxt = txn_cxt;
	pending = hash_create("ledger pending vouchers", 64, &ctl,
						  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static inline bool
in_subtransaction(void)
{
	return GetCurrentSubTransactionId() != TopSubTransactionId;
}

static void
undo_push(bool is_register, int64 voucher_id, la_currency cur, int64 units)
{
	UndoRec    *r;

	if (nundo == maxundo)
	{
		maxundo = maxundo ? maxundo * 2 : 64;
		undo = undo ? repalloc(undo, sizeof(UndoRec) * maxundo)
			: MemoryContextAlloc(txn_cxt, sizeof(UndoRec) * maxundo);
	}
	r = &undo[nundo++];
	r->subid = GetCurrentSubTransactionId();
	r->is_register = is_register;
	r->voucher_id = voucher_id;
	r->cur = cur;
	r->units = units;
}

/* Adds one entry's amount to its voucher's sums. */
static void
voucher_add(PendingVoucher *pv, la_currency cur, int64 units, bool subtract)
{
	int			i;

	for (i = 0; i < pv->nsums; i++)
		if (currency_equal(pv->sums[i].cur, cur))
			break;
	if (i == pv->nsums)
	{
		if (pv->nsums == pv->maxsums)
		{
			VoucherSum *grown = MemoryContextAlloc(txn_cxt,
												   sizeof(VoucherSum) * pv->maxsums * 2);

			memcpy(grown, pv->sums, sizeof(VoucherSum) * pv->nsums);
			pv->sums = grown;
			pv->maxsums *= 2;
		}
		pv->sums[i].cur = cur;
		pv->sums[i].sum = wide_zero();
		pv->nsums++;
	}
	if (subtract)
	{
		wide_sub(&pv->sums[i].sum, units);
		pv->nentries--;
	}
	else
	{
		wide_add(&pv->sums[i].sum, units);
		pv->nentries++;
	}
}

static PendingVoucher *
voucher_register(int64 id, DateADT book_date, const char *key, int64 reverses)
{
	PendingVoucher *pv;
	bool		found;

	txn_state_ensure();
	pv = hash_search(pending, &id, HASH_ENTER, &found);
	if (found)
		return pv;
	pv->book_date = book_date;
	pv->reverses = reverses;
	pv->nentries = 0;
	pv->nsums = 0;
	pv->maxsums = lengthof(pv->inline_sums);
	pv->sums = pv->inline_sums;
	pv->key = MemoryContextStrdup(txn_cxt, key);
	if (in_subtransaction())
	{
		la_currency none = {0, 0};

		undo_push(true, id, none, 0);
	}
	return pv;
}

bool
posting_voucher_pending(int64 voucher_id)
{
	return pending != NULL &&
		hash_search(pending, &voucher_id, HASH_FIND, NULL) != NULL;
}

static void
undo_to(SubTransactionId subid)
{
	while (nundo > 0 && undo[nundo - 1].subid >= subid)
	{
		UndoRec    *r = &undo[--nundo];
		PendingVoucher *pv = hash_search(pending, &r->voucher_id, HASH_FIND, NULL);

		if (pv == NULL)
			continue;
		if (r->is_register)
			hash_search(pending, &r->voucher_id, HASH_REMOVE, NULL);
		else
			voucher_add(pv, r->cur, r->units, true);
	}
}

/* ---------- the book day of the transaction ---------- */

DateADT
posting_book_day(void)
{
	txn_state_current();
	if (!txn_day_fixed)
	{
		txn_day = ledger_open_day();
		txn_day_fixed = true;
		txn_day_subid = GetCurrentSubTransactionId();
	}
	return txn_day;
}

/*
 * ledger.current_book_date(): the day this transaction posts into if it has
 * posted (or is posting: the default of voucher.book_date is evaluated while
 * the INSERT holds its lock on ledger.voucher), otherwise the open day (in a
 * READ ONLY transaction at REPEATABLE READ or SERIALIZABLE, the open day of
 * the transaction's snapshot).
 */
PG_FUNCTION_INFO_V1(ledger_current_book_date);
Datum
ledger_current_book_date(PG_FUNCTION_ARGS)
{
	const LedgerCatalog *cat;
	LOCKTAG		tag;

	if (txn_day_fixed)
		txn_state_current();
	if (txn_day_fixed)
		PG_RETURN_DATEADT(txn_day);
	cat = ledger_catalog();
	SET_LOCKTAG_RELATION(tag, MyDatabaseId, cat->voucher);
	if (LockHeldByMe(&tag, RowExclusiveLock))
		PG_RETURN_DATEADT(posting_book_day());

	/*
	 * A read-only reader at REPEATABLE READ or SERIALIZABLE (a report, on
	 * the primary or on a standby, where every transaction is read-only) gets
	 * the open day of its snapshot: a cutoff that commits while it runs does
	 * not move the day under the book days, vouchers and balances it reads.
	 * A transaction that may write keeps the latest open day, the one its
	 * postings go into, so that the day it is told before posting is the
	 * day it posts into.
	 */
	if (IsolationUsesXactSnapshot() && XactReadOnly)
	{
		/* the snapshot is the transaction's: one look per transaction, not per row */
		static LocalTransactionId snapshot_day_lxid = InvalidLocalTransactionId;
		static DateADT snapshot_day;

		if (snapshot_day_lxid != MyProc->lxid)
		{
			snapshot_day = ledger_open_day_as_of(GetTransactionSnapshot());
			snapshot_day_lxid = MyProc->lxid;
		}
		PG_RETURN_DATEADT(snapshot_day);
	}
	PG_RETURN_DATEADT(ledger_open_day());
}

/* ---------- the commit check ---------- */

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

static int
cmp_pending(const void *a, const void *b)
{
	return cmp_int64(&(*(PendingVoucher *const *) a)->id,
					 &(*(PendingVoucher *const *) b)->id);
}

/* "Debits exceed credits by 10.00 CNY; credits exceed debits by 1.00 USD." */
static void
describe_imbalance(StringInfo buf, const PendingVoucher *pv)
{
	int			i;
	bool		first = true;

	for (i = 0; i < pv->nsums; i++)
	{
		INT128		s = pv->sums[i].sum;
		int			sign = wide_sign(s);
		char	   *diff;

		if (sign == 0)
			continue;
		if (wide_fits_int64(s) && int128_to_int64(s) != PG_INT64_MIN)
		{
			int64		v = int128_to_int64(s);

			diff = amount_to_cstring(v < 0 ? -v : v, pv->sums[i].cur);
		}
		else
			diff = psprintf("more than the range of ledger.amount in %s",
							currency_to_cstring(pv->sums[i].cur));
		appendStringInfo(buf, "%s%s exceed %s by %s", first ? "" : "; ",
						 sign > 0 ? "debits" : "credits",
						 sign > 0 ? "credits" : "debits", diff);
		first = false;
	}
	appendStringInfoChar(buf, '.');
}

/*
 * A voucher that names another in "reverses" must post exactly the negation
 * of its entries.  Compares the two multisets of (account, amount).
 */
typedef struct LineKey
{
	int64		account;
	uint64		code;
	int32		decimals;
	int64		units;
} LineKey;

static int
cmp_linekey(const void *a, const void *b)
{
	const LineKey *x = a;
	const LineKey *y = b;

	if (x->account != y->account)
		return x->account < y->account ? -1 : 1;
	if (x->code != y->code)
		return x->code < y->code ? -1 : 1;
	if (x->decimals != y->decimals)
		return x->decimals < y->decimals ? -1 : 1;
	if (x->units != y->units)
		return x->units < y->units ? -1 : 1;
	return 0;
}

static LineKey *
voucher_lines(Relation rel, const LedgerCatalog *cat, int64 voucher_id,
			  Snapshot snap, bool negate, int *n)
{
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	int			max = 8;
	LineKey    *lines = palloc(sizeof(LineKey) * max);
	TupleDesc	desc = RelationGetDescr(rel);
	bool		isnull;

	*n = 0;
	ScanKeyInit(&key, cat->e_voucher, BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(voucher_id));
	scan = systable_beginscan(rel, cat->entry_pkey, true, snap, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		LedgerAmount *a = DatumGetLedgerAmountP(heap_getattr(tup, cat->e_amount, desc, &isnull));

		if (*n == max)
		{
			max *= 2;
			lines = repalloc(lines, sizeof(LineKey) * max);
		}
		lines[*n].account = DatumGetInt64(heap_getattr(tup, cat->e_account, desc, &isnull));
		lines[*n].code = a->code;
		lines[*n].decimals = a->decimals;
		lines[*n].units = negate ? -a->units : a->units;
		(*n)++;
	}
	systable_endscan(scan);
	qsort(lines, *n, sizeof(LineKey), cmp_linekey);
	return lines;
}

static void
check_reversal(const PendingVoucher *pv)
{
	const LedgerCatalog *cat = ledger_catalog();
	Relation	rel = table_open(cat->entry, AccessShareLock);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	int			n1,
				n2;
	LineKey    *mine = voucher_lines(rel, cat, pv->id, snap, false, &n1);
	LineKey    *theirs = voucher_lines(rel, cat, pv->reverses, snap, true, &n2);
	bool		same = (n1 == n2);
	int			i;

	for (i = 0; same && i < n1; i++)
		same = (cmp_linekey(&mine[i], &theirs[i]) == 0);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	if (!same)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("voucher %lld does not reverse voucher %lld",
						(long long) pv->id, (long long) pv->reverses),
				 errdetail("A reversal must post exactly the negated entries of the voucher it reverses (%d entries against %d)."
						   , n1, n2),
				 errhint("Use ledger.reverse() to reverse a voucher.")));
}

static void
check_pending_vouchers(void)
{
	HASH_SEQ_STATUS seq;
	PendingVoucher *pv;
	PendingVoucher **all;
	long		n,
				i = 0;

	if (pending == NULL || (n = hash_get_num_entries(pending)) == 0)
		return;
	/*
	 * ledger.voucher dropped in this transaction (DROP EXTENSION, not rolled
	 * back to a savepoint before it): so are the vouchers written into it
	 */
	if (!ledger_catalog_is_voucher(txn_voucher_rel) &&
		!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(txn_voucher_rel)))
		return;

	all = palloc(sizeof(PendingVoucher *) * n);
	hash_seq_init(&seq, pending);
	while ((pv = hash_seq_search(&seq)) != NULL)
		all[i++] = pv;
	qsort(all, n, sizeof(PendingVoucher *), cmp_pending);

	for (i = 0; i < n; i++)
	{
		int			j;
		bool		balanced = true;

		pv = all[i];
		if (pv->nentries < 2)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("voucher %lld has fewer than two entries", (long long) pv->id),
					 errdetail("Voucher %lld (key \"%s\") has %d entr%s; a voucher needs at least two.",
							   (long long) pv->id, pv->key, pv->nentries,
							   pv->nentries == 1 ? "y" : "ies")));
		for (j = 0; j < pv->nsums; j++)
			if (wide_sign(pv->sums[j].sum) != 0)
				balanced = false;
		if (!balanced)
		{
			StringInfoData detail;

			initStringInfo(&detail);
			appendStringInfo(&detail, "Voucher %lld (key \"%s\"): ",
							 (long long) pv->id, pv->key);
			describe_imbalance(&detail, pv);
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("voucher %lld is not balanced", (long long) pv->id),
					 errdetail_internal("%s", detail.data),
					 errhint("The amounts of a voucher must sum to zero in every currency (debits positive, credits negative).")));
		}
		if (pv->reverses != 0)
			check_reversal(pv);
	}
	pfree(all);
}

static void
posting_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			check_pending_vouchers();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			txn_state_reset();
			break;
		default:
			break;
	}
}

static void
posting_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid pg_attribute_unused(),
						 void *arg pg_attribute_unused())
{
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	posting_forget_release();
	if (pending != NULL)
		undo_to(mySubid);
	if (txn_day_fixed && txn_day_subid >= mySubid)
	{
		/* the subtransaction that fixed the day, and its voucher lock, are gone */
		txn_day_fixed = false;
		txn_day_subid = InvalidSubTransactionId;
	}
}

void
ledger_posting_init(void)
{
	RegisterXactCallback(posting_xact_callback, NULL);
	RegisterSubXactCallback(posting_subxact_callback, NULL);
}

/* ---------- trigger plumbing ---------- */

static TriggerData *
statement_trigger(FunctionCallInfo fcinfo, const char *name)
{
	TriggerData *td;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager", name),
				 errdetail("It is a trigger function of the ledger, attached by CREATE EXTENSION ledger; it cannot be called directly.")));
	td = (TriggerData *) fcinfo->context;
	if (!TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(td->tg_event) ||
		td->tg_newtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired AFTER INSERT FOR EACH STATEMENT with a transition table",
						name),
				 errdetail("Trigger \"%s\" on relation \"%s\" fires it otherwise.",
						   td->tg_trigger->tgname, RelationGetRelationName(td->tg_relation))));
	return td;
}

/* A slot reading the transition table from its start. */
static TupleTableSlot *
transition_slot(TriggerData *td)
{
	Tuplestorestate *ts = td->tg_newtable;
	int			ptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);

	tuplestore_select_read_pointer(ts, ptr);
	tuplestore_rescan(ts);
	return MakeSingleTupleTableSlot(RelationGetDescr(td->tg_relation),
									&TTSOpsMinimalTuple);
}

/* What a day is, for messages: "closed", "closing", "in the future", ... */
static const char *
day_state(DateADT d, DateADT open)
{
	const LedgerCatalog *cat = ledger_catalog();
	Relation	rel = table_open(cat->book_day, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	const char *state;

	ScanKeyInit(&key, cat->day_date, BTEqualStrategyNumber, F_DATE_EQ,
				DateADTGetDatum(d));
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;

		state = psprintf("%s", TextDatumGetCString(heap_getattr(tup, cat->day_status,
																RelationGetDescr(rel), &isnull)));
	}
	else
		state = d > open ? "in the future" : "not a book day";
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return state;
}

static void
wrong_day_error(int64 voucher_id, DateADT named, DateADT day)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot post voucher %lld into book date %s",
					(long long) voucher_id, date_to_cstring(named)),
			 errdetail("Book date %s is %s; vouchers go to the open book date %s.",
					   date_to_cstring(named), day_state(named, day), date_to_cstring(day)),
			 errhint("Leave ledger.voucher.book_date to its default.")));
}

/* ---------- voucher trigger ---------- */

/*
 * Fetches a voucher row by id.  Returns false if there is none visible to
 * snap; otherwise fills the arguments that are not NULL.
 */
static bool
voucher_fetch(int64 id, Snapshot snap, DateADT *book_date, int64 *reverses,
			  char **key, bool *mine)
{
	const LedgerCatalog *cat = ledger_catalog();
	Relation	rel = table_open(cat->voucher, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	ScanKeyData skey;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;
	bool		isnull;

	ScanKeyInit(&skey, cat->v_id, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	scan = systable_beginscan(rel, cat->voucher_pkey, true, snap, 1, &skey);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		Datum		d;

		found = true;
		if (book_date)
			*book_date = DatumGetDateADT(heap_getattr(tup, cat->v_book_date, desc, &isnull));
		if (reverses)
		{
			d = heap_getattr(tup, cat->v_reverses, desc, &isnull);
			*reverses = isnull ? 0 : DatumGetInt64(d);
		}
		if (key)
			*key = TextDatumGetCString(heap_getattr(tup, cat->v_key, desc, &isnull));
		if (mine)
			*mine = TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tup->t_data));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

PG_FUNCTION_INFO_V1(ledger_voucher_inserted);
Datum
ledger_voucher_inserted(PG_FUNCTION_ARGS)
{
	TriggerData *td = statement_trigger(fcinfo, "ledger_voucher_inserted");
	const LedgerCatalog *cat = ledger_catalog();
	TupleTableSlot *slot = transition_slot(td);
	DateADT		day = posting_book_day();

	while (tuplestore_gettupleslot(td->tg_newtable, true, false, slot))
	{
		bool		isnull;
		int64		id = DatumGetInt64(slot_getattr(slot, cat->v_id, &isnull));
		DateADT		book_date = DatumGetDateADT(slot_getattr(slot, cat->v_book_date, &isnull));
		char	   *key = TextDatumGetCString(slot_getattr(slot, cat->v_key, &isnull));
		Datum		d = slot_getattr(slot, cat->v_reverses, &isnull);
		int64		reverses = isnull ? 0 : DatumGetInt64(d);

		if (book_date != day)
			wrong_day_error(id, book_date, day);
		if (cat->v_hold_id != InvalidAttrNumber && !hold_writing_now())
		{
			d = slot_getattr(slot, cat->v_hold_id, &isnull);
			if (!isnull)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("voucher %lld cannot name hold %lld", (long long) id,
								(long long) DatumGetInt64(d)),
						 errdetail("Voucher %lld (key \"%s\") sets ledger.voucher.hold_id, which only ledger.post_hold() sets when it settles the hold.",
								   (long long) id, key),
						 errhint("Post a hold with ledger.post_hold().")));
		}

		if (reverses != 0)
		{
			int64		target_reverses;

			if (!voucher_fetch(reverses, SnapshotSelf, NULL, &target_reverses, NULL, NULL))
				ereport(ERROR,
						(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
						 errmsg("voucher %lld reverses voucher %lld, which does not exist",
								(long long) id, (long long) reverses),
						 errdetail("Voucher %lld (key \"%s\") names voucher %lld in its column reverses; no voucher has that id.",
								   (long long) id, key, (long long) reverses),
						 errhint("Use ledger.reverse() to reverse a voucher.")));
			if (target_reverses != 0)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("voucher %lld is a reversal and cannot be reversed",
								(long long) reverses),
						 errdetail("Voucher %lld reverses voucher %lld.",
								   (long long) reverses, (long long) target_reverses),
						 errhint("Post a new voucher to correct it.")));
		}
		voucher_register(id, book_date, key, reverses);
		pfree(key);
	}
	ExecDropSingleTupleTableSlot(slot);
	return PointerGetDatum(NULL);
}

/* ---------- entry trigger and balance maintenance ---------- */

typedef struct AccountDelta
{
	int64		account_id;		/* hash key */
	INT128		delta;
	int64		voucher_id;		/* a voucher that moved it, for messages */
	int32		nvouchers;
	int64		release_debit;	/* held amounts released with the movement */
	int64		release_credit;
} AccountDelta;

/*
 * ledger.post_hold() releases a hold's held amounts and posts its voucher:
 * it announces the release here just before it inserts the voucher's
 * entries, and the entry trigger applies it in the same update of each
 * balance row as the movement (one locked update per account instead of
 * two).  The bound check then sees the posting alone, as if the hold had
 * been released first.
 */
void
posting_expect_release(int64 voucher_id, int n, const PostingRelease *moves)
{
	if (release_moves != NULL)
		pfree(release_moves);
	release_moves = MemoryContextAlloc(TopTransactionContext, sizeof(PostingRelease) * Max(n, 1));
	memcpy(release_moves, moves, sizeof(PostingRelease) * n);
	release_n = n;
	release_voucher = voucher_id;
}

/*
 * The same when the voucher posts a hold in full: each entry releases what it
 * posts (a debit the held debit, a credit the held credit).
 */
void
posting_expect_release_posted(int64 voucher_id)
{
	release_moves = NULL;
	release_n = -1;
	release_voucher = voucher_id;
}

/* true if the announced release is still to be applied (and forgets it) */
bool
posting_forget_release(void)
{
	bool		was = release_voucher != 0;

	release_voucher = 0;
	release_n = 0;
	release_moves = NULL;		/* freed with TopTransactionContext */
	return was;
}

static int
cmp_delta(const void *a, const void *b)
{
	return cmp_int64(&((const AccountDelta *) a)->account_id,
					 &((const AccountDelta *) b)->account_id);
}

static PendingVoucher *
entry_voucher(int64 voucher_id, int32 line_no)
{
	PendingVoucher *pv = pending ? hash_search(pending, &voucher_id, HASH_FIND, NULL) : NULL;
	DateADT		book_date;
	int64		reverses;
	char	   *key;
	bool		mine;

	if (pv != NULL)
		return pv;

	/*
	 * Not registered: written by the same statement (a CTE whose voucher
	 * trigger has not fired yet), by an earlier transaction, or not at all.
	 */
	if (!voucher_fetch(voucher_id, SnapshotSelf, &book_date, &reverses, &key, &mine))
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("voucher %lld does not exist", (long long) voucher_id),
				 errdetail("Entry line %d refers to voucher %lld.", line_no, (long long) voucher_id),
				 errhint("Insert the voucher before its entries, in the same transaction.")));
	if (!mine)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot add entries to posted voucher %lld", (long long) voucher_id),
				 errdetail("Entry line %d was written after voucher %lld was committed; posted vouchers are immutable.",
						   line_no, (long long) voucher_id),
				 errhint("Post a new voucher to correct it.")));
	if (book_date != posting_book_day())
		wrong_day_error(voucher_id, book_date, posting_book_day());
	return voucher_register(voucher_id, book_date, key, reverses);
}

static void
entry_row_check(const PendingVoucher *pv, int32 line_no, DateADT book_date,
				const LedgerAmount *amt, int64 account_id, const AccountInfo *acc)
{
	if (book_date != pv->book_date)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("entry book date %s does not match voucher %lld",
						date_to_cstring(book_date), (long long) pv->id),
				 errdetail("Voucher %lld line %d: the voucher is on book date %s.",
						   (long long) pv->id, line_no, date_to_cstring(pv->book_date)),
				 errhint("Leave ledger.entry.book_date to its default: it is derived from the voucher.")));
	if (acc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("account %lld does not exist", (long long) account_id),
				 errdetail("Voucher %lld line %d refers to account id %lld.",
						   (long long) pv->id, line_no, (long long) account_id)));
	if (amt->units == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("entry amount must not be zero"),
				 errdetail("Voucher %lld line %d posts %s to account \"%s\".",
						   (long long) pv->id, line_no,
						   amount_to_cstring(0, amount_currency(amt)), acc->code)));
	if (acc->summary)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("account \"%s\" is a summary account", acc->code),
				 errdetail("Voucher %lld line %d posts to it; summary accounts take no postings.",
						   (long long) pv->id, line_no),
				 errhint("Post to one of its leaf accounts.")));
	if (acc->status != ACCOUNT_OPEN)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("account \"%s\" is %s", acc->code, account_status_name(acc->status)),
				 errdetail("Voucher %lld line %d posts to it; only open accounts take postings.",
						   (long long) pv->id, line_no)));
	if (!acc->has_currency || !currency_equal(acc->cur, amount_currency(amt)))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("currency %s does not match account \"%s\"",
						currency_to_cstring(amount_currency(amt)), acc->code),
				 acc->has_currency ?
				 errdetail("Voucher %lld line %d posts %s to account \"%s\", which holds %s.",
						   (long long) pv->id, line_no,
						   amount_to_cstring(amt->units, amount_currency(amt)),
						   acc->code, currency_to_cstring(acc->cur)) :
				 errdetail("Voucher %lld line %d posts %s to account \"%s\", which has no currency.",
						   (long long) pv->id, line_no,
						   amount_to_cstring(amt->units, amount_currency(amt)), acc->code)));
}

/*
 * A floor or ceiling would be broken: 23514 naming the account, the balance,
 * the money held against the bound (when there is any) and the bound.
 */
void
posting_bound_error(const AccountInfo *acc, const char *who, INT128 normal,
					int64 held, int64 bound, bool is_floor)
{
	char	   *bal = wide_fits_int64(normal) ?
		amount_to_cstring(int128_to_int64(normal), acc->cur) :
		pstrdup("a value beyond the range of ledger.amount");

	if (held != 0)
	{
		INT128		with_held = normal;
		char	   *reach;

		int128_add_int64_mul_int64(&with_held, held, is_floor ? -1 : 1);
		reach = wide_fits_int64(with_held) ?
			amount_to_cstring(int128_to_int64(with_held), acc->cur) :
			pstrdup("a value beyond the range of ledger.amount");
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("balance of account \"%s\" would %s its %s", acc->code,
						is_floor ? "fall below" : "rise above", is_floor ? "floor" : "ceiling"),
				 errdetail("%s would leave the %s at %s (balance %s, held by pending holds %s); the %s is %s.",
						   who, is_floor ? "available balance" : "balance with the held money",
						   reach, bal, amount_to_cstring(held, acc->cur),
						   is_floor ? "floor" : "ceiling", amount_to_cstring(bound, acc->cur)),
				 errhint("Held money counts against the bounds until its hold is posted, voided or expires.")));
	}
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("balance of account \"%s\" would %s its %s", acc->code,
					is_floor ? "fall below" : "rise above", is_floor ? "floor" : "ceiling"),
			 errdetail("%s would leave the balance at %s; the %s is %s.", who, bal,
					   is_floor ? "floor" : "ceiling", amount_to_cstring(bound, acc->cur))));
}

static const char *
delta_who(const AccountDelta *d)
{
	return d->nvouchers > 1 ?
		psprintf("Vouchers %lld and %d more in this statement", (long long) d->voucher_id, d->nvouchers - 1) :
		psprintf("Voucher %lld", (long long) d->voucher_id);
}

/*
 * Checks a locked balance row's floor and ceiling against the normal-side
 * balance and the held totals the row will carry.  Held debits lower a
 * credit-normal account's available balance and raise a debit-normal one's
 * balance once posted (and the other way round).  Only when a bound looks
 * broken with money held are the holds past their expiry (which reserve
 * nothing, but are still counted until ledger.expire_holds() marks them)
 * looked up and left out: the check that passes costs no query.  Returns
 * false, with the bound, the held amount counted and which bound, if broken.
 */
bool
posting_bounds_hold(const AccountInfo *acc, TupleTableSlot *slot, INT128 normal,
					int64 held_debit, int64 held_credit,
					int64 *bound, int64 *held, bool *is_floor)
{
	const LedgerCatalog *cat = ledger_catalog();
	bool		isnull;
	Datum		datum;
	int64		low = acc->sign > 0 ? held_credit : held_debit;
	int64		high = acc->sign > 0 ? held_debit : held_credit;
	bool		expired_known = false;
	int64		exp_debit = 0,
				exp_credit = 0;

	datum = slot_getattr(slot, cat->bal_floor, &isnull);
	if (!isnull)
	{
		INT128		avail = normal;

		int128_add_int64_mul_int64(&avail, low, -1);
		if (int128_compare(avail, int64_to_int128(DatumGetInt64(datum))) < 0 && low != 0)
		{
			hold_expired_held(acc->id, &exp_debit, &exp_credit);
			expired_known = true;
			low -= acc->sign > 0 ? exp_credit : exp_debit;
			avail = normal;
			int128_add_int64_mul_int64(&avail, low, -1);
		}
		if (int128_compare(avail, int64_to_int128(DatumGetInt64(datum))) < 0)
		{
			*bound = DatumGetInt64(datum);
			*held = low;
			*is_floor = true;
			return false;
		}
	}
	datum = slot_getattr(slot, cat->bal_ceiling, &isnull);
	if (!isnull)
	{
		INT128		top = normal;

		int128_add_int64_mul_int64(&top, high, 1);
		if (int128_compare(top, int64_to_int128(DatumGetInt64(datum))) > 0 && high != 0)
		{
			if (!expired_known)
				hold_expired_held(acc->id, &exp_debit, &exp_credit);
			high -= acc->sign > 0 ? exp_debit : exp_credit;
			top = normal;
			int128_add_int64_mul_int64(&top, high, 1);
		}
		if (int128_compare(top, int64_to_int128(DatumGetInt64(datum))) > 0)
		{
			*bound = DatumGetInt64(datum);
			*held = high;
			*is_floor = false;
			return false;
		}
	}
	return true;
}

/* The held totals of a locked balance row (zero before version 1.1). */
void
posting_row_held(TupleTableSlot *slot, int64 *held_debit, int64 *held_credit)
{
	const LedgerCatalog *cat = ledger_catalog();
	bool		isnull;

	*held_debit = *held_credit = 0;
	if (cat->bal_held_debit == InvalidAttrNumber)
		return;
	*held_debit = DatumGetInt64(slot_getattr(slot, cat->bal_held_debit, &isnull));
	*held_credit = DatumGetInt64(slot_getattr(slot, cat->bal_held_credit, &isnull));
}

/*
 * The movement would take the balance out of the range of ledger.amount.  A
 * hot account's balance is the sum of its slots, so each slot is held to its
 * share of the range: then the sum always fits, whatever the other slots hold.
 */
static void
balance_range_error(const AccountInfo *acc, const AccountDelta *d, int slotno,
					int64 slot_bound)
{
	char	   *who = d->nvouchers > 1 ?
		psprintf("Vouchers %lld and %d more in this statement", (long long) d->voucher_id, d->nvouchers - 1) :
		psprintf("Voucher %lld", (long long) d->voucher_id);

	if (acc->nslots > 1)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("balance of account \"%s\" would be out of range", acc->code),
				 errdetail("%s would take slot %d of the hot account beyond %s either side of zero; each of its %d slots holds at most that much, so that the balance always fits in ledger.amount.",
						   who, slotno, amount_to_cstring(slot_bound, acc->cur), acc->nslots)));
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("balance of account \"%s\" would be out of range", acc->code),
			 errdetail("%s would take the balance beyond %s either side of zero, the range of ledger.amount.",
					   who, amount_to_cstring(PG_INT64_MAX, acc->cur))));
}

/*
 * Finds the balance row of (account, slot), which voucher (or hold) id moves,
 * and locks its latest version for update, waiting for a poster that holds
 * it.  Returns with the row in slot, or false if there is no such row (any
 * more): the account was deleted, or a change of hot folded the slot away,
 * while this poster looked at an older picture of the account.
 */
bool
posting_lock_balance_row(Relation rel, Relation idx, const AccountInfo *acc, int slotno,
						 const char *what, int64 id, TupleTableSlot *slot)
{
	ScanKeyData keys[2];
	IndexScanDesc scan;
	bool		found;
	TM_FailureData tmfd;
	TM_Result	res;
	Snapshot	snap;

	/*
	 * An MVCC snapshot taken now sees exactly one version of the row (a
	 * non-MVCC one could miss both while a concurrent update moves it); the
	 * lock then follows the update chain to the newest version.
	 */
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(acc->id));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(slotno));
	snap = RegisterSnapshot(GetLatestSnapshot());
	scan = index_beginscan(rel, idx, snap, 2, 0);
	index_rescan(scan, keys, 2, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	index_endscan(scan);
	UnregisterSnapshot(snap);
	if (!found)
		return false;

	res = table_tuple_lock(rel, &slot->tts_tid, GetActiveSnapshot(), slot,
						   GetCurrentCommandId(false), LockTupleNoKeyExclusive,
						   LockWaitBlock, TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
	if (res == TM_Deleted)
		return false;
	if (res != TM_Ok)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not lock the balance row of account \"%s\"", acc->code),
				 errdetail("The row was changed in the same command while %s %lld was being written.",
						   what, (long long) id),
				 errhint("Retry the transaction.")));
	return true;
}

/* The account changed between the checks of its entries and its booking. */
static void
account_changed_error(const AccountInfo *acc, const AccountDelta *d, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("account \"%s\" changed while voucher %lld was being posted",
					acc->code, (long long) d->voucher_id),
			 errdetail("A concurrent transaction %s.", what),
			 errhint("Retry the transaction: it checks the voucher against the account as it is now.")));
}

/* Writes new values of ncols columns into the locked row, and its index entry unless HOT. */
void
posting_update_balance_row(Relation rel, Relation idx, IndexInfo **ii, TupleTableSlot *slot,
						   int ncols, int *cols, Datum *values)
{
	bool		should_free;
	HeapTuple	oldtup = ExecFetchSlotHeapTuple(slot, false, &should_free);
	bool		isnull[4] = {false, false, false, false};
	HeapTuple	newtup;

	Assert(ncols <= lengthof(isnull));
	newtup = heap_modify_tuple_by_cols(oldtup, RelationGetDescr(rel), ncols,
									   cols, values, isnull);

	simple_heap_update(rel, &slot->tts_tid, newtup);
	if (!HeapTupleIsHeapOnly(newtup))
	{
		Datum		values[INDEX_MAX_KEYS];
		bool		nulls[INDEX_MAX_KEYS];

		TupleTableSlot *islot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsHeapTuple);

		if (*ii == NULL)
			*ii = BuildIndexInfo(idx);
		ExecStoreHeapTuple(newtup, islot, false);
		FormIndexDatum(*ii, islot, NULL, values, nulls);
		index_insert(idx, values, nulls, &newtup->t_self, rel, UNIQUE_CHECK_YES, false, *ii);
		ExecDropSingleTupleTableSlot(islot);
	}
	ExecClearTuple(slot);
	if (should_free)
		heap_freetuple(oldtup);
	heap_freetuple(newtup);
}

/*
 * Applies the statement's net movements, in account order so that posters
 * lock balance rows in one global order.  Each balance row is locked in its
 * latest version, checked (status, range, floor, ceiling) and updated in
 * place, without going through the executor: a voucher's few rows cost a
 * few page accesses, not a planned statement each.
 */
static void
apply_deltas(HTAB *deltas, uint64 generation)
{
	long		n = hash_get_num_entries(deltas);
	AccountDelta *all;
	HASH_SEQ_STATUS seq;
	AccountDelta *d;
	long		i = 0;
	const LedgerCatalog *cat = ledger_catalog();
	Relation	rel;
	Relation	idx;
	TupleTableSlot *slot;
	IndexInfo  *ii = NULL;
	AccountInfo *used;

	if (n == 0)
		return;
	all = palloc(sizeof(AccountDelta) * n);
	used = palloc(sizeof(AccountInfo) * n);
	hash_seq_init(&seq, deltas);
	while ((d = hash_seq_search(&seq)) != NULL)
		all[i++] = *d;
	qsort(all, n, sizeof(AccountDelta), cmp_delta);

	/* rows this transaction updated in the current command become lockable */
	CommandCounterIncrement();
	rel = table_open(cat->balance, RowExclusiveLock);
	idx = index_open(cat->balance_pkey, RowExclusiveLock);
	slot = table_slot_create(rel, NULL);

	for (i = 0; i < n; i++)
	{
		AccountInfo acc;
		const AccountInfo *found;
		int			slotno;
		int			attempt;
		int64		slot_bound;
		int64		units;
		int64		delta;
		bool		isnull;
		Datum		datum;
		INT128		normal;
		bool		moving;

		d = &all[i];
		moving = wide_sign(d->delta) != 0;
		if (!moving && d->release_debit == 0 && d->release_credit == 0)
			continue;
		found = account_by_id(d->account_id);
		if (found == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("account %lld changed while voucher %lld was being posted",
							(long long) d->account_id, (long long) d->voucher_id),
					 errdetail("A concurrent transaction deleted it."),
					 errhint("Retry the transaction: it checks the voucher against the account as it is now.")));
		acc = *found;
		acc.code = pstrdup(found->code);	/* outlives later cache look-ups */
		used[i] = acc;
		if (!wide_fits_int64(d->delta))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("movement of account \"%s\" is out of range", acc.code),
					 errdetail("The entries of this statement move the account by more than 9223372036854775807 minor units.")));
		delta = int128_to_int64(d->delta);

		/*
		 * The slot this session books into.  If it is gone, the account
		 * changed (hot turned off, or deleted) after this session last read
		 * it: read it again and take the slot it has now.
		 */
		for (attempt = 0;; attempt++)
		{
			slotno = acc.hot ? (int) (MyBackendId % acc.nslots) : 0;
			if (posting_lock_balance_row(rel, idx, &acc, slotno, "Voucher", d->voucher_id, slot))
				break;
			AcceptInvalidationMessages();
			if (!account_fresh(d->account_id, &acc))
				account_changed_error(&used[i], d, "deleted it");
			if (attempt >= 10)
				account_changed_error(&used[i], d, "kept changing its balance slots");
		}
		/* a hot account's slots each hold a share of the range: their sum fits */
		slot_bound = PG_INT64_MAX / Max(acc.nslots, 1);

		if (moving)
		{
			datum = slot_getattr(slot, cat->bal_blocked, &isnull);
			if (!isnull)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("account \"%s\" is %s", acc.code, TextDatumGetCString(datum)),
						 errdetail("Voucher %lld posts to it; the account changed while the voucher was being posted.",
								   (long long) d->voucher_id)));
		}

		units = DatumGetInt64(slot_getattr(slot, cat->bal_units, &isnull));
		if (pg_add_s64_overflow(units, delta, &units) || units > slot_bound || units < -slot_bound)
			balance_range_error(&acc, d, slotno, slot_bound);
		normal = int64_to_int128(0);
		int128_add_int64_mul_int64(&normal, units, acc.sign);
		if (!wide_fits_int64(normal))
			balance_range_error(&acc, d, slotno, slot_bound);

		{
			int64		hd,
						hc,
						bound,
						held;
			bool		is_floor;
			int			cols[3];
			Datum		values[3];
			int			ncols = 1;

			posting_row_held(slot, &hd, &hc);
			cols[0] = cat->bal_units;
			values[0] = Int64GetDatum(units);
			if (d->release_debit != 0 || d->release_credit != 0)
			{
				/* a hold being posted: its held amounts go as its voucher comes */
				if (cat->bal_held_debit == InvalidAttrNumber ||
					pg_sub_s64_overflow(hd, d->release_debit, &hd) ||
					pg_sub_s64_overflow(hc, d->release_credit, &hc))
					amount_out_of_range_error();
				cols[ncols] = cat->bal_held_debit;
				values[ncols++] = Int64GetDatum(hd);
				cols[ncols] = cat->bal_held_credit;
				values[ncols++] = Int64GetDatum(hc);
			}
			/* a release alone always goes through, as ledger.void_hold() does */
			if (moving &&
				!posting_bounds_hold(&acc, slot, normal, hd, hc, &bound, &held, &is_floor))
			{
				/* a hold being posted that expired meanwhile: 55000 instead */
				hold_posting_refused(d->voucher_id);
				posting_bound_error(&acc, delta_who(d), normal, held, bound, is_floor);
			}
			posting_update_balance_row(rel, idx, &ii, slot, ncols, cols, values);
		}
	}

	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, RowExclusiveLock);
	table_close(rel, RowExclusiveLock);

	/*
	 * The entries were checked against this session's picture of the
	 * accounts.  An operator's change of an account locks its balance rows,
	 * so it committed before this session got them, and its invalidation is
	 * queued: if one arrived, compare with the accounts as they are now.
	 */
	AcceptInvalidationMessages();
	if (ledger_accounts_generation() != generation)
	{
		for (i = 0; i < n; i++)
		{
			AccountInfo now;

			d = &all[i];
			if (wide_sign(d->delta) == 0)
				continue;
			if (!account_fresh(d->account_id, &now))
				account_changed_error(&used[i], d, "deleted it");
			if (now.has_currency != used[i].has_currency ||
				(now.has_currency && !currency_equal(now.cur, used[i].cur)))
				account_changed_error(&used[i], d, "changed its currency");
			if (now.sign != used[i].sign)
				account_changed_error(&used[i], d, "changed its normal side");
			if (now.summary || now.status != ACCOUNT_OPEN)
				account_changed_error(&used[i], d, now.summary ? "gave it sub-accounts" : "froze or closed it");
		}
	}
	pfree(used);
	pfree(all);
}

PG_FUNCTION_INFO_V1(ledger_entry_inserted);
Datum
ledger_entry_inserted(PG_FUNCTION_ARGS)
{
	TriggerData *td = statement_trigger(fcinfo, "ledger_entry_inserted");
	const LedgerCatalog *cat = ledger_catalog();
	TupleTableSlot *slot = transition_slot(td);
	HASHCTL		ctl;
	HTAB	   *deltas;
	PendingVoucher *pv = NULL;
	AccountDelta *d = NULL;
	bool		subxact = in_subtransaction();
	uint64		generation = ledger_accounts_generation();
	bool		releasing = false;

	txn_state_ensure();
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(AccountDelta);
	ctl.hcxt = CurrentMemoryContext;
	deltas = hash_create("ledger statement movements", 64, &ctl,
						 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	while (tuplestore_gettupleslot(td->tg_newtable, true, false, slot))
	{
		bool		isnull;
		int64		voucher_id;
		int32		line_no;
		int64		account_id;
		LedgerAmount *amt;
		DateADT		book_date;
		const AccountInfo *acc;
		bool		found;
		bool		red;

		slot_getallattrs(slot);
		voucher_id = DatumGetInt64(slot->tts_values[cat->e_voucher - 1]);
		line_no = DatumGetInt32(slot->tts_values[cat->e_line - 1]);
		account_id = DatumGetInt64(slot->tts_values[cat->e_account - 1]);
		amt = DatumGetLedgerAmountP(slot->tts_values[cat->e_amount - 1]);
		book_date = DatumGetDateADT(slot->tts_values[cat->e_book_date - 1]);
		red = cat->e_red != InvalidAttrNumber && !slot->tts_isnull[cat->e_red - 1] &&
			DatumGetBool(slot->tts_values[cat->e_red - 1]);
		(void) isnull;

		if (pv == NULL || pv->id != voucher_id)
			pv = entry_voucher(voucher_id, line_no);
		acc = account_by_id(account_id);
		entry_row_check(pv, line_no, book_date, amt, account_id, acc);
		if (red && pv->reverses == 0)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("red entry in voucher %lld, which reverses no voucher", (long long) voucher_id),
					 errdetail("Voucher %lld (key \"%s\") line %d is red; red-letter entries (红字) only correct another voucher.",
							   (long long) voucher_id, pv->key, line_no),
					 errhint("Use ledger.reverse() to post a red-letter reversal, or set reverses on the voucher.")));

		voucher_add(pv, amount_currency(amt), amt->units, false);
		if (subxact)
			undo_push(false, voucher_id, amount_currency(amt), amt->units);

		if (d == NULL || d->account_id != account_id)
		{
			d = hash_search(deltas, &account_id, HASH_ENTER, &found);
			if (!found)
			{
				d->delta = wide_zero();
				d->voucher_id = voucher_id;
				d->nvouchers = 1;
				d->release_debit = d->release_credit = 0;
			}
		}
		if (release_voucher != 0 && voucher_id == release_voucher)
		{
			releasing = true;
			if (release_n < 0)
			{
				/* the entry releases what it posts */
				int64		u = amt->units;

				if (u == PG_INT64_MIN ||
					pg_add_s64_overflow(d->release_debit, u > 0 ? u : 0, &d->release_debit) ||
					pg_add_s64_overflow(d->release_credit, u < 0 ? -u : 0, &d->release_credit))
					amount_out_of_range_error();
			}
		}
		wide_add(&d->delta, amt->units);
		if (d->voucher_id != voucher_id)
		{
			d->voucher_id = voucher_id;
			d->nvouchers++;
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	if (releasing)
	{
		int			i;

		for (i = 0; i < release_n; i++)
		{
			bool		found;

			d = hash_search(deltas, &release_moves[i].account_id, HASH_ENTER, &found);
			if (!found)
			{
				d->delta = wide_zero();
				d->voucher_id = release_voucher;
				d->nvouchers = 1;
				d->release_debit = d->release_credit = 0;
			}
			if (pg_add_s64_overflow(d->release_debit, release_moves[i].debit, &d->release_debit) ||
				pg_add_s64_overflow(d->release_credit, release_moves[i].credit, &d->release_credit))
				amount_out_of_range_error();
		}
		(void) posting_forget_release();
	}
	apply_deltas(deltas, generation);
	hash_destroy(deltas);
	return PointerGetDatum(NULL);
}

/* ---------- immutability ---------- */

PG_FUNCTION_INFO_V1(ledger_immutable);
Datum
ledger_immutable(PG_FUNCTION_ARGS)
{
	TriggerData *td;
	const char *relname;
	const char *what;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger_immutable\" was not called by trigger manager"),
				 errdetail("It is a trigger function of the ledger, attached by CREATE EXTENSION ledger; it cannot be called directly.")));
	td = (TriggerData *) fcinfo->context;
	if (!TRIGGER_FIRED_BEFORE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger_immutable\" must be fired BEFORE"),
				 errdetail("Trigger \"%s\" on relation \"%s\" fires it after the change it should stop.",
						   td->tg_trigger->tgname, RelationGetRelationName(td->tg_relation))));
	relname = RelationGetRelationName(td->tg_relation);
	what = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? "update" :
		TRIGGER_FIRED_BY_DELETE(td->tg_event) ? "delete from" : "truncate";

	if (TRIGGER_FIRED_FOR_ROW(td->tg_event) && strcmp(relname, "voucher") == 0)
	{
		bool		isnull;
		int64		id = DatumGetInt64(heap_getattr(td->tg_trigtuple, ledger_catalog()->v_id,
													RelationGetDescr(td->tg_relation), &isnull));

		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot %s ledger.voucher", what),
				 errdetail("Voucher %lld is posted; posted vouchers are immutable.", (long long) id),
				 errhint("Correct it with a new voucher, e.g. ledger.reverse().")));
	}
	if (TRIGGER_FIRED_FOR_ROW(td->tg_event) && strcmp(relname, "entry") == 0)
	{
		const LedgerCatalog *cat = ledger_catalog();
		TupleDesc	desc = RelationGetDescr(td->tg_relation);
		bool		isnull;
		int64		vid = DatumGetInt64(heap_getattr(td->tg_trigtuple, cat->e_voucher, desc, &isnull));
		int32		line = DatumGetInt32(heap_getattr(td->tg_trigtuple, cat->e_line, desc, &isnull));

		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot %s ledger.entry", what),
				 errdetail("Entry line %d of voucher %lld is posted; posted entries are immutable.",
						   line, (long long) vid),
				 errhint("Correct it with a new voucher, e.g. ledger.reverse().")));
	}
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot %s ledger.%s", what, relname),
			 errdetail("ledger.%s is append-only: its rows are part of the books.", relname)));
	return PointerGetDatum(NULL);
}

/*
 * Statement trigger on ledger.account and ledger.book_day: tells every
 * backend to drop its cached copy at commit (and this one at once).
 */
PG_FUNCTION_INFO_V1(ledger_invalidate);
Datum
ledger_invalidate(PG_FUNCTION_ARGS)
{
	TriggerData *td;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"ledger_invalidate\" was not called by trigger manager"),
				 errdetail("It is a trigger function of the ledger, attached by CREATE EXTENSION ledger; it cannot be called directly.")));
	td = (TriggerData *) fcinfo->context;
	CacheInvalidateRelcacheByRelid(RelationGetRelid(td->tg_relation));
	return PointerGetDatum(NULL);
}
