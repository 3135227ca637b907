/*
 * slots.cpp -- see slots.hpp.
 */
#include "pg/slots.hpp"

namespace pgls
{

const char *
slot_cause_name(SlotCause c)
{
	switch (c)
	{
		case SlotCause::None:
			return nullptr;
		case SlotCause::WalRemoved:
			return "wal_removed";
		case SlotCause::RowsRemoved:
			return "rows_removed";
		case SlotCause::WalLevel:
			return "wal_level_insufficient";
		case SlotCause::IdleTimeout:
			return "idle_timeout";
	}
	return nullptr;
}

void
slot_acquire_nowait(const char *name)
{
#if PG_VERSION_NUM >= 180000
	ReplicationSlotAcquire(name, true, true);
#else
	ReplicationSlotAcquire(name, true);
#endif
}

void
slot_restore_inactive_since(ReplicationSlot *slot, TimestampTz since)
{
#if PG_VERSION_NUM >= 170000
	if (since == 0)
		return;
	SpinLockAcquire(&slot->mutex);
	if (slot->in_use && slot->active_pid == 0 && slot->inactive_since != 0)
		slot->inactive_since = since;
	SpinLockRelease(&slot->mutex);
#else
	(void) slot;
	(void) since;
#endif
}

int
idle_slot_timeout_seconds(void)
{
#if PG_VERSION_NUM >= 180000
	return idle_replication_slot_timeout_secs;
#else
	return -1;
#endif
}

} // namespace pgls
