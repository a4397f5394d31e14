/*
 * catalog.c — the ledger's relations, the account cache and the open-day
 * cache.  See catalog.h for the invalidation rules.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "catalog.h"

static LedgerCatalog cat;
static bool cat_valid = false;
static uint64 cat_generation = 0;

static MemoryContext account_cxt = NULL;
static HTAB *accounts_by_id = NULL;
static HTAB *accounts_by_code = NULL;
static bool accounts_valid = false;
static uint64 accounts_generation = 0;

static DateADT open_day;
static bool open_day_valid = false;

typedef struct AccountIdEntry
{
	int64		id;
	AccountInfo info;
} AccountIdEntry;

typedef struct AccountCodeEntry
{
	const char *code;			/* key: points into account_cxt */
	int64		id;
} AccountCodeEntry;

/* ---------- invalidation ---------- */

static void
ledger_relcache_callback(Datum arg pg_attribute_unused(), Oid relid)
{
	if (relid == InvalidOid)
	{
		cat_valid = false;
		accounts_valid = false;
		accounts_generation++;
		open_day_valid = false;
		return;
	}
	if (relid == cat.account)
	{
		accounts_valid = false;
		accounts_generation++;
	}
	if (relid == cat.book_day)
		open_day_valid = false;
	if (relid == cat.account || relid == cat.balance || relid == cat.book_day ||
		relid == cat.voucher || relid == cat.entry)
		cat_valid = false;
}

void
ledger_catalog_init(void)
{
	CacheRegisterRelcacheCallback(ledger_relcache_callback, (Datum) 0);
}

/* ---------- relations ---------- */

static Oid
relation_oid(const char *name)
{
	Oid			relid = get_relname_relid(name, cat.nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"ledger.%s\" does not exist", name),
				 errdetail("The ledger's C functions read relation \"ledger.%s\"; it was dropped or renamed.", name),
				 errhint("The ledger extension is damaged; reinstall it.")));
	return relid;
}

static AttrNumber
column_number(Oid relid, const char *name)
{
	AttrNumber	attno = get_attnum(relid, name);

	if (attno == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						name, get_rel_name(relid)),
				 errdetail("The ledger's C functions read column \"%s\" of relation \"ledger.%s\"; it was dropped or renamed.",
						   name, get_rel_name(relid)),
				 errhint("The ledger extension is damaged; reinstall it.")));
	return attno;
}

/* A column added by a later version: InvalidAttrNumber while not there yet. */
static AttrNumber
optional_column_number(Oid relid, const char *name)
{
	return get_attnum(relid, name);
}

bool
ledger_catalog_is_voucher(Oid relid)
{
	return cat_valid && cat.voucher == relid;
}

uint64
ledger_catalog_generation(void)
{
	(void) ledger_catalog();
	return cat_generation;
}

const LedgerCatalog *
ledger_catalog(void)
{
	HeapTuple	tup;
	Oid			old_voucher = cat.voucher;
	Oid			old_entry = cat.entry;
	Oid			old_account = cat.account;

	if (cat_valid)
		return &cat;

	cat.nsp = get_namespace_oid("ledger", true);
	if (!OidIsValid(cat.nsp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"ledger\" does not exist"),
				 errdetail("The ledger's C functions read the tables of schema \"ledger\", which CREATE EXTENSION ledger creates."),
				 errhint("Run CREATE EXTENSION ledger.")));

	cat.account = relation_oid("account");
	cat.account_pkey = relation_oid("account_pkey");
	cat.account_code_key = relation_oid("account_code_key");
	cat.account_parent_idx = relation_oid("account_parent_code_idx");
	cat.balance = relation_oid("account_balance");
	cat.balance_pkey = relation_oid("account_balance_pkey");
	cat.book_day = relation_oid("book_day");
	cat.book_day_one_open = relation_oid("book_day_one_open");
	cat.voucher = relation_oid("voucher");
	cat.voucher_pkey = relation_oid("voucher_pkey");
	cat.voucher_key_idx = relation_oid("voucher_idempotency_key_key");
	cat.entry = relation_oid("entry");
	cat.entry_pkey = relation_oid("entry_pkey");
	cat.entry_account_idx = relation_oid("entry_account_idx");

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(cat.balance));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", cat.balance);
	cat.owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);

	cat.acc_id = column_number(cat.account, "id");
	cat.acc_code = column_number(cat.account, "code");
	cat.acc_name = column_number(cat.account, "name");
	cat.acc_parent = column_number(cat.account, "parent_code");
	cat.acc_kind = column_number(cat.account, "kind");
	cat.acc_currency = column_number(cat.account, "currency");
	cat.acc_floor = column_number(cat.account, "floor");
	cat.acc_ceiling = column_number(cat.account, "ceiling");
	cat.acc_hot = column_number(cat.account, "hot");
	cat.acc_status = column_number(cat.account, "status");
	cat.acc_metadata = column_number(cat.account, "metadata");
	cat.bal_account = column_number(cat.balance, "account_id");
	cat.bal_slot = column_number(cat.balance, "slot");
	cat.bal_units = column_number(cat.balance, "units");
	cat.bal_blocked = column_number(cat.balance, "blocked");
	cat.bal_floor = column_number(cat.balance, "floor_units");
	cat.bal_ceiling = column_number(cat.balance, "ceiling_units");
	cat.bal_held_debit = optional_column_number(cat.balance, "held_debit");
	cat.bal_held_credit = optional_column_number(cat.balance, "held_credit");
	cat.day_date = column_number(cat.book_day, "book_date");
	cat.day_status = column_number(cat.book_day, "status");
	cat.v_id = column_number(cat.voucher, "id");
	cat.v_book_date = column_number(cat.voucher, "book_date");
	cat.v_key = column_number(cat.voucher, "idempotency_key");
	cat.v_ref = column_number(cat.voucher, "ref");
	cat.v_summary = column_number(cat.voucher, "summary");
	cat.v_reverses = column_number(cat.voucher, "reverses");
	cat.v_created_at = column_number(cat.voucher, "created_at");
	cat.v_created_by = column_number(cat.voucher, "created_by");
	cat.v_metadata = column_number(cat.voucher, "metadata");
	cat.v_hold_id = optional_column_number(cat.voucher, "hold_id");
	cat.e_voucher = column_number(cat.entry, "voucher_id");
	cat.e_line = column_number(cat.entry, "line_no");
	cat.e_account = column_number(cat.entry, "account_id");
	cat.e_amount = column_number(cat.entry, "amount");
	cat.e_book_date = column_number(cat.entry, "book_date");
	cat.e_memo = column_number(cat.entry, "memo");
	/* red-letter entries came with 1.1; a 1.0 install being updated has none */
	cat.e_red = get_attnum(cat.entry, "red");

	if (cat.voucher != old_voucher || cat.entry != old_entry || cat.account != old_account)
		cat_generation++;
	cat_valid = true;
	return &cat;
}

/* ---------- accounts ---------- */

static void
accounts_reset(void)
{
	HASHCTL		ctl;

	if (account_cxt == NULL)
		account_cxt = AllocSetContextCreate(CacheMemoryContext,
											"ledger account cache",
											ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(account_cxt);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(AccountIdEntry);
	ctl.hcxt = account_cxt;
	accounts_by_id = hash_create("ledger accounts by id", 256, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	accounts_by_code = code_hash_create("ledger accounts by code", 256,
										sizeof(AccountCodeEntry), account_cxt);
	accounts_valid = true;
}

/* ---------- hash tables keyed by whole codes ---------- */

static uint32
code_hash(const void *key, Size keysize pg_attribute_unused())
{
	const char *code = *(const char *const *) key;

	return hash_bytes((const unsigned char *) code, (int) strlen(code));
}

static int
code_match(const void *key1, const void *key2, Size keysize pg_attribute_unused())
{
	return strcmp(*(const char *const *) key1, *(const char *const *) key2);
}

HTAB *
code_hash_create(const char *name, long nelem, Size entrysize, MemoryContext cxt)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(const char *);
	ctl.entrysize = entrysize;
	ctl.hash = code_hash;
	ctl.match = code_match;
	ctl.hcxt = cxt;
	return hash_create(name, nelem, &ctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

const char *
account_status_name(AccountStatus st)
{
	switch (st)
	{
		case ACCOUNT_OPEN:
			return "open";
		case ACCOUNT_FROZEN:
			return "frozen";
		case ACCOUNT_CLOSED:
			return "closed";
	}
	return "?";
}

static int
normal_sign(const char *kind, Jsonb *metadata)
{
	if (strcmp(kind, "asset") == 0 || strcmp(kind, "cost") == 0 ||
		strcmp(kind, "expense") == 0)
		return 1;
	if (strcmp(kind, "common") == 0)
	{
		if (metadata != NULL && JB_ROOT_IS_OBJECT(metadata))
		{
			JsonbValue	v;
			JsonbValue *found;

			found = getKeyJsonValueFromContainer(&metadata->root, "normal_side",
												 strlen("normal_side"), &v);
			if (found != NULL && found->type == jbvString &&
				found->val.string.len == 6 &&
				strncmp(found->val.string.val, "credit", 6) == 0)
				return -1;
		}
		return 1;
	}
	return -1;					/* liability, equity, revenue */
}

/* Does any visible account name this code as its parent? */
static bool
account_has_children(Relation accrel, const char *code, Snapshot snap)
{
	ScanKeyData key;
	SysScanDesc scan;
	bool		found;

	ScanKeyInit(&key, cat.acc_parent, BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(code));
	scan = systable_beginscan(accrel, cat.account_parent_idx, true, snap, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	return found;
}

static int
count_slots(int64 account_id, Snapshot snap)
{
	Relation	rel = table_open(cat.balance, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	int			n = 0;

	ScanKeyInit(&key, cat.bal_account, BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(account_id));
	scan = systable_beginscan(rel, cat.balance_pkey, true, snap, 1, &key);
	while (HeapTupleIsValid(systable_getnext(scan)))
		n++;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return n;
}

/*
 * Looks the account up by id (code == NULL) or by code and copies it into
 * *out.  Returns false if there is no such account.
 */
static bool
account_load(int64 id, const char *code, AccountInfo *out)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Snapshot	snap;
	TupleDesc	desc;
	Datum		d;
	bool		isnull;
	char	   *s;
	bool		found = false;

	rel = table_open(cat.account, AccessShareLock);
	snap = RegisterSnapshot(GetLatestSnapshot());
	desc = RelationGetDescr(rel);

	if (code == NULL)
	{
		ScanKeyInit(&key, cat.acc_id, BTEqualStrategyNumber, F_INT8EQ,
					Int64GetDatum(id));
		scan = systable_beginscan(rel, cat.account_pkey, true, snap, 1, &key);
	}
	else
	{
		ScanKeyInit(&key, cat.acc_code, BTEqualStrategyNumber, F_TEXTEQ,
					CStringGetTextDatum(code));
		scan = systable_beginscan(rel, cat.account_code_key, true, snap, 1, &key);
	}
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		Jsonb	   *metadata = NULL;
		char	   *kind;

		found = true;
		memset(out, 0, sizeof(*out));
		out->id = DatumGetInt64(heap_getattr(tup, cat.acc_id, desc, &isnull));
		out->code = TextDatumGetCString(heap_getattr(tup, cat.acc_code, desc, &isnull));

		d = heap_getattr(tup, cat.acc_currency, desc, &isnull);
		if (!isnull)
		{
			la_error	err;

			s = TextDatumGetCString(d);
			out->has_currency =
				(la_parse_currency(s, strlen(s), &out->cur, &err) == LA_OK);
		}

		d = heap_getattr(tup, cat.acc_metadata, desc, &isnull);
		if (!isnull)
			metadata = DatumGetJsonbP(d);
		kind = TextDatumGetCString(heap_getattr(tup, cat.acc_kind, desc, &isnull));
		out->sign = normal_sign(kind, metadata);

		s = TextDatumGetCString(heap_getattr(tup, cat.acc_status, desc, &isnull));
		out->status = strcmp(s, "frozen") == 0 ? ACCOUNT_FROZEN :
			strcmp(s, "closed") == 0 ? ACCOUNT_CLOSED : ACCOUNT_OPEN;
		out->hot = DatumGetBool(heap_getattr(tup, cat.acc_hot, desc, &isnull));
	}
	systable_endscan(scan);

	if (found)
	{
		out->summary = account_has_children(rel, out->code, snap);
		out->nslots = out->hot ? Max(count_slots(out->id, snap), 1) : 1;
	}
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return found;
}

static void
account_remember(const AccountInfo *info)
{
	AccountIdEntry *ie;
	AccountCodeEntry *ce;
	bool		found;
	const char *code = MemoryContextStrdup(account_cxt, info->code);

	ie = hash_search(accounts_by_id, &info->id, HASH_ENTER, &found);
	ie->info = *info;
	ie->info.code = code;
	ce = hash_search(accounts_by_code, &code, HASH_ENTER, &found);
	ce->id = info->id;
}

/*
 * Locks the account table first: acquiring the lock processes pending
 * invalidations, so the validity test below sees all of them.
 */
static void
accounts_prepare(void)
{
	(void) ledger_catalog();
	LockRelationOid(cat.account, AccessShareLock);
	if (!accounts_valid || accounts_by_id == NULL)
		accounts_reset();
	/* keep the cache bounded for charts with millions of wallets */
	if (hash_get_num_entries(accounts_by_id) > 100000)
		accounts_reset();
}

const AccountInfo *
account_by_id(int64 id)
{
	AccountIdEntry *ie;
	AccountInfo info;

	accounts_prepare();
	ie = hash_search(accounts_by_id, &id, HASH_FIND, NULL);
	if (ie != NULL)
		return &ie->info;
	if (!account_load(id, NULL, &info))
		return NULL;
	if (!accounts_valid)
		accounts_reset();
	account_remember(&info);
	ie = hash_search(accounts_by_id, &id, HASH_FIND, NULL);
	return &ie->info;
}

/*
 * Counts the invalidations of the chart of accounts this backend has
 * processed: a poster that sees it move while it holds balance rows knows
 * that an account may have changed under it.
 */
uint64
ledger_accounts_generation(void)
{
	return accounts_generation;
}

/*
 * The account as it is now, read with the latest snapshot and bypassing the
 * cache (which is dropped, so that later lookups see the change too).
 * Returns false if there is no such account.
 */
bool
account_fresh(int64 id, AccountInfo *out)
{
	accounts_prepare();
	accounts_valid = false;
	return account_load(id, NULL, out);
}

const AccountInfo *
account_by_code(const char *code)
{
	AccountCodeEntry *ce;
	AccountInfo info;

	accounts_prepare();
	ce = hash_search(accounts_by_code, &code, HASH_FIND, NULL);
	if (ce != NULL)
		return account_by_id(ce->id);
	if (!account_load(0, code, &info))
		return NULL;
	if (!accounts_valid)
		accounts_reset();
	account_remember(&info);
	return account_by_id(info.id);
}

const AccountInfo *
account_by_code_or_error(const char *code)
{
	const AccountInfo *found = account_by_code(code);

	if (found == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("account \"%s\" does not exist", code),
				 errdetail("No account in ledger.account has the code \"%s\"; account codes are case-sensitive.", code)));
	return found;
}

/* ---------- book days ---------- */

/* The open day as snap sees it; false if it sees none. */
static bool
open_day_in(Snapshot snap, DateADT *day)
{
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		isnull;
	bool		found = false;

	rel = table_open(cat.book_day, AccessShareLock);
	scan = systable_beginscan(rel, cat.book_day_one_open, true, snap, 0, NULL);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		*day = DatumGetDateADT(heap_getattr(tup, cat.day_date,
											RelationGetDescr(rel), &isnull));
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

static void
no_open_day_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("no book day is open"),
			 errdetail("Every day in ledger.book_day is closing or closed; vouchers are posted only into the open day."),
			 errhint("Open one with ledger.open_books(date), or finish the interrupted cutoff with CALL ledger.close_day().")));
}

DateADT
ledger_open_day(void)
{
	Snapshot	snap;
	bool		found;

	(void) ledger_catalog();
	LockRelationOid(cat.book_day, AccessShareLock);
	if (open_day_valid)
		return open_day;

	snap = RegisterSnapshot(GetLatestSnapshot());
	found = open_day_in(snap, &open_day);
	UnregisterSnapshot(snap);
	if (!found)
		no_open_day_error();
	open_day_valid = true;
	return open_day;
}

DateADT
ledger_open_day_as_of(Snapshot snap)
{
	DateADT		day;

	(void) ledger_catalog();
	if (!open_day_in(snap, &day))
		no_open_day_error();
	return day;
}

/*
 * A date as YYYY-MM-DD whatever DateStyle says (messages are read and
 * grepped; the loaders compare it with what a file states), with " BC" for
 * years before 1; -infinity and infinity as date_out writes them.  The one
 * date formatter of the extension.
 */
char *
date_to_cstring(DateADT d)
{
	int			year,
				month,
				day;

	if (DATE_NOT_FINITE(d))
		return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d)));
	j2date(d + POSTGRES_EPOCH_JDATE, &year, &month, &day);
	if (year <= 0)
		return psprintf("%04d-%02d-%02d BC", 1 - year, month, day);
	return psprintf("%04d-%02d-%02d", year, month, day);
}

/*
 * SPI_prepare + SPI_keepplan: a plan kept for the life of the backend (the
 * callers keep it in a static and free it when the catalog changes).
 */
SPIPlanPtr
ledger_prepare_kept(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

	if (plan == NULL || SPI_keepplan(plan) != 0)
		elog(ERROR, "could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	return plan;
}

Oid
ledger_function_in(Oid nsp, const char *name, int nargs, const Oid *argtypes)
{
	return GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid, CStringGetDatum(name),
						   PointerGetDatum(buildoidvector(argtypes, nargs)),
						   ObjectIdGetDatum(nsp));
}

Oid
ledger_sibling_function(Oid self, const char *name, int nargs, const Oid *argtypes)
{
	Oid			oid = ledger_function_in(get_func_namespace(self), name, nargs, argtypes);

	if (!OidIsValid(oid))
		elog(ERROR, "function ledger.%s is missing beside %s()", name, get_func_name(self));
	return oid;
}
