/*
 * slot_advance.cpp -- the one place that writes a replication slot.
 *
 * Follows PostgreSQL's slotfuncs.c (pg_replication_slot_advance and
 * pg_physical_replication_slot_advance). The worker has no transaction, so the error path
 * does by hand what transaction abort would: release the slot and any LWLock.
 *
 * ReplicationSlotRelease() updates ProcGlobal->statusFlags[MyProc->pgxactoff] only when
 * PROC_IN_LOGICAL_DECODING is set (fixed in the 15.x minors, commit 9510a826); the worker is not
 * in the proc array, and a physical slot never sets that flag.
 */
#include "retention/slot_advance.hpp"

#include "pg/slots.hpp"

extern "C"
{
#include "storage/condition_variable.h"
}

namespace pgls
{

AdvanceResult
advance_physical_slot(const char *name, XLogRecPtr expected_restart, XLogRecPtr target,
					  TimestampTz inactive_since, char *why, size_t why_len)
{
	MemoryContext ctx = CurrentMemoryContext;
	volatile AdvanceResult result = AdvanceResult::Skipped;
	why[0] = '\0';

	Assert(MyReplicationSlot == nullptr);
	PG_TRY();
	{
		slot_acquire_nowait(name);
		ReplicationSlot *slot = MyReplicationSlot;
		if (!SlotIsPhysical(slot) || slot->data.persistency != RS_PERSISTENT ||
			slot->data.restart_lsn != expected_restart || target <= slot->data.restart_lsn)
		{
			snprintf(why, why_len, "the slot changed since it was read");
			ReplicationSlotRelease();
		}
		else
		{
			SpinLockAcquire(&slot->mutex);
			slot->data.restart_lsn = target;
			SpinLockRelease(&slot->mutex);
			ReplicationSlotMarkDirty();
			/* Saved before the WAL it released may go: a crash in between cannot leave the slot
			 * pointing at removed WAL. PG18 (and 17.6) compute what slots need from the saved
			 * restart_lsn, so computing before the save would keep the old WAL. */
			ReplicationSlotSave();
			ReplicationSlotsComputeRequiredLSN();
			ReplicationSlotRelease();
			slot_restore_inactive_since(slot, inactive_since);
			result = AdvanceResult::Advanced;
		}
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(ctx);
		ErrorData *edata = CopyErrorData();
		FlushErrorState();
		ConditionVariableCancelSleep();
		LWLockReleaseAll();
		bool held = MyReplicationSlot != nullptr;
		if (held)
			ReplicationSlotRelease();
		/* Not acquiring it (in use, dropped) is a skip; anything after that is a failure. */
		result = held ? AdvanceResult::Failed : AdvanceResult::Skipped;
		strlcpy(why, edata->message ? edata->message : "unknown error", why_len);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return result;
}

} // namespace pgls
