/*
 * catalog.h — where the ledger's tables are, and per-backend caches of the
 * chart of accounts and of the open book day.
 *
 * The caches are documented per-backend state.  They are dropped whenever a
 * relcache invalidation arrives for ledger.account or ledger.book_day (the
 * statement triggers on those tables send one on every change, see
 * ledger_invalidate) or for every relation (a cache reset).  Loads read with
 * the latest snapshot, so a cache is never older than the last invalidation
 * this backend has processed.
 */
#ifndef LEDGER_CATALOG_H
#define LEDGER_CATALOG_H

#include "postgres.h"
#include "access/attnum.h"
#include "executor/spi.h"
#include "utils/date.h"
#include "utils/snapshot.h"

#include "amount.h"
#include "utils/hsearch.h"

typedef struct LedgerCatalog
{
	Oid			nsp;
	Oid			owner;			/* owner of the tables: internal writes run as it */

	Oid			account;
	Oid			account_pkey;
	Oid			account_code_key;
	Oid			account_parent_idx;
	Oid			balance;
	Oid			balance_pkey;
	Oid			book_day;
	Oid			book_day_one_open;
	Oid			voucher;
	Oid			voucher_pkey;
	Oid			voucher_key_idx;
	Oid			entry;
	Oid			entry_pkey;
	Oid			entry_account_idx;

	/* column numbers */
	AttrNumber	acc_id,
				acc_code,
				acc_name,
				acc_parent,
				acc_kind,
				acc_currency,
				acc_floor,
				acc_ceiling,
				acc_hot,
				acc_status,
				acc_metadata;
	AttrNumber	bal_account,
				bal_slot,
				bal_units,
				bal_blocked,
				bal_floor,
				bal_ceiling,
				bal_held_debit,	/* InvalidAttrNumber before version 1.1 */
				bal_held_credit;
	AttrNumber	day_date,
				day_status;
	AttrNumber	v_id,
				v_book_date,
				v_key,
				v_ref,
				v_summary,
				v_reverses,
				v_created_at,
				v_created_by,
				v_metadata,
				v_hold_id;		/* InvalidAttrNumber before version 1.1 */
	AttrNumber	e_voucher,
				e_line,
				e_account,
				e_amount,
				e_book_date,
				e_memo,
				e_red;			/* InvalidAttrNumber before version 1.1 */
} LedgerCatalog;

/* The catalog, resolved on first use after any invalidation. */
extern const LedgerCatalog *ledger_catalog(void);

/*
 * Bumped whenever the ledger's tables turn out to be different relations
 * than before (the extension was dropped and created again): anything that
 * remembers OIDs, such as prepared statements with typed parameters, must be
 * rebuilt.
 */
extern uint64 ledger_catalog_generation(void);

/*
 * Whether relid is ledger.voucher as the cached catalog knows it: no lookup,
 * false when the cache has been invalidated (e.g. by a DROP of the table).
 */
extern bool ledger_catalog_is_voucher(Oid relid);

typedef enum AccountStatus
{
	ACCOUNT_OPEN,
	ACCOUNT_FROZEN,
	ACCOUNT_CLOSED
} AccountStatus;

typedef struct AccountInfo
{
	int64		id;
	const char *code;			/* whole code, in the cache (see below) */
	bool		has_currency;
	la_currency cur;
	int			sign;			/* +1 debit-normal, -1 credit-normal */
	bool		summary;		/* has child accounts */
	AccountStatus status;
	bool		hot;
	int			nslots;			/* balance slots (1 unless hot) */
} AccountInfo;

/*
 * Account by id or by code (compared whole, whatever its length); NULL if
 * there is none.  The result, and the code it points to, stay valid until
 * the next call of either: a caller that keeps a copy of the struct across
 * further look-ups copies the code too.
 */
extern const AccountInfo *account_by_id(int64 id);
extern const AccountInfo *account_by_code(const char *code);

/* The same, but an account that does not exist is an error (23503). */
extern const AccountInfo *account_by_code_or_error(const char *code);

/*
 * The account as committed now, bypassing (and dropping) the cache; false if
 * it does not exist.  ledger_accounts_generation() moves whenever the cache
 * is invalidated.
 */
extern bool account_fresh(int64 id, AccountInfo *out);
extern uint64 ledger_accounts_generation(void);

/* The open book day; raises 55000 if no day is open. */
extern DateADT ledger_open_day(void);

/*
 * The open book day as the snapshot sees it (not cached): the open day of a
 * REPEATABLE READ or SERIALIZABLE reader, which must agree with the book
 * days its snapshot shows.  Raises 55000 if the snapshot sees none.
 */
extern DateADT ledger_open_day_as_of(Snapshot snap);

/* "frozen" / "closed" / "open" */
extern const char *account_status_name(AccountStatus st);

/* date as text, for messages */
extern char *date_to_cstring(DateADT d);
extern SPIPlanPtr ledger_prepare_kept(const char *sql, int nargs, Oid *types);

/*
 * The function or procedure name(argtypes) in the schema of the function
 * self (the ledger's), looked up in the catalog cache without the USAGE
 * check a lookup by name makes; an error names what is missing beside what.
 */
extern Oid	ledger_sibling_function(Oid self, const char *name, int nargs, const Oid *argtypes);

/* The routine name(argtypes) of schema nsp, InvalidOid if there is none. */
extern Oid	ledger_function_in(Oid nsp, const char *name, int nargs, const Oid *argtypes);

/*
 * A hash table keyed by whole account codes: each entry starts with a
 * const char * pointing to its code, which must live as long as the entry.
 * Search with the address of such a pointer.
 */
extern HTAB *code_hash_create(const char *name, long nelem, Size entrysize,
							  MemoryContext cxt);

extern void ledger_catalog_init(void);

#endif							/* LEDGER_CATALOG_H */
