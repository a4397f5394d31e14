/*
 * audit.c — the audit columns of a voucher (created_at, created_by) are set
 * by the ledger, never by the writer: a BEFORE INSERT row trigger stamps
 * every voucher with the transaction's start time (now()) and the session
 * user, whatever the INSERT or COPY gave, as ledger.post does.  In restore
 * mode (session_replication_role = replica) the trigger does not fire and
 * the dumped values stay.
 *
 * From 1.1 it also refuses, on every path, an idempotency key or ref too long
 * for its index (post_check_indexed_text), with a clear 54000 instead of the
 * index's error.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "post.h"

PG_FUNCTION_INFO_V1(ledger_voucher_stamp);
Datum
ledger_voucher_stamp(PG_FUNCTION_ARGS)
{
	TriggerData *td;
	const LedgerCatalog *cat;
	int			cols[2];
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager", "ledger_voucher_stamp"),
				 errdetail("It is a trigger function of the ledger, attached by CREATE EXTENSION ledger; it cannot be called directly.")));
	td = (TriggerData *) fcinfo->context;
	if (!TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired BEFORE INSERT FOR EACH ROW", "ledger_voucher_stamp"),
				 errdetail("Trigger \"%s\" on relation \"%s\" fires it otherwise.",
						   td->tg_trigger->tgname, RelationGetRelationName(td->tg_relation))));

	cat = ledger_catalog();
	if (cat->v_hold_id != InvalidAttrNumber)	/* version 1.1 */
	{
		TupleDesc	desc = RelationGetDescr(td->tg_relation);
		bool		isnull;
		Datum		d;

		d = heap_getattr(td->tg_trigtuple, cat->v_key, desc, &isnull);
		if (!isnull)
		{
			post_check_indexed_text("idempotency key", "voucher", d);
			post_check_key("voucher", d);
		}
		d = heap_getattr(td->tg_trigtuple, cat->v_ref, desc, &isnull);
		if (!isnull)
			post_check_indexed_text("ref", "voucher", d);
	}
	cols[0] = cat->v_created_at;
	values[0] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	cols[1] = cat->v_created_by;
	values[1] = CStringGetTextDatum(GetUserNameFromId(GetSessionUserId(), false));
	return PointerGetDatum(heap_modify_tuple_by_cols(td->tg_trigtuple,
													 RelationGetDescr(td->tg_relation),
													 2, cols, values, nulls));
}
