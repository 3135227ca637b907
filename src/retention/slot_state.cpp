/*
 * slot_state.cpp -- reading slots, positions and the archive target from shared memory.
 */
#include "retention/slot_state.hpp"

#include "archive/server_identity.hpp"
#include "s3_settings.hpp"
#include "settings.hpp"

extern "C"
{
#include "access/timeline.h"
#include "replication/walreceiver.h"
#include "nodes/pg_list.h"
}

#include <sys/statvfs.h>

namespace pgls
{

int
read_slots(SlotRow **out)
{
	*out = nullptr;
	if (ReplicationSlotCtl == nullptr || max_replication_slots <= 0)
		return 0;
	SlotRow *rows = static_cast<SlotRow *>(palloc0(sizeof(SlotRow) * max_replication_slots));
	int n = 0;
	LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
	for (int i = 0; i < max_replication_slots; i++)
	{
		ReplicationSlot *slot = &ReplicationSlotCtl->replication_slots[i];
		if (!slot->in_use)
			continue;
		SlotRow &r = rows[n++];
		SpinLockAcquire(&slot->mutex);
		r.index = i;
		strlcpy(r.name, NameStr(slot->data.name), sizeof r.name);
		r.physical = SlotIsPhysical(slot);
		r.persistent = slot->data.persistency == RS_PERSISTENT;
		r.active_pid = slot->active_pid;
		r.restart_lsn = slot->data.restart_lsn;
		SlotVersionFields v;
		slot_version_fields(slot, &v);
		SpinLockRelease(&slot->mutex);
		r.invalidated = v.invalidated;
		r.invalidated_at = v.invalidated_at;
		r.inactive_since = v.inactive_since;
		r.active = r.active_pid != 0;
	}
	LWLockRelease(ReplicationSlotControlLock);
	*out = rows;
	return n;
}

XLogRecPtr
slots_min_restart(const SlotRow *rows, int n)
{
	XLogRecPtr min = InvalidXLogRecPtr;
	for (int i = 0; i < n; i++)
		if (!XLogRecPtrIsInvalid(rows[i].restart_lsn) && !slot_lost(rows[i]) &&
			(XLogRecPtrIsInvalid(min) || rows[i].restart_lsn < min))
			min = rows[i].restart_lsn;
	return min;
}

void
read_server_pos(ServerPos *pos)
{
	memset(pos, 0, sizeof *pos);
	pos->in_recovery = RecoveryInProgress();
	if (!pos->in_recovery)
	{
		pos->current_lsn = GetXLogWriteRecPtr();
		pos->cap_lsn = GetFlushRecPtr(&pos->tli);
		return;
	}
	XLogRecPtr replayed = GetXLogReplayRecPtr(&pos->tli);
	XLogRecPtr received = GetWalRcvFlushRecPtr(nullptr, nullptr);
	pos->current_lsn = Max(received, replayed);
	pos->cap_lsn = replayed;
}

WalKeepSettings
wal_keep_settings(void)
{
	WalKeepSettings k;
	k.seg_size = static_cast<uint64_t>(wal_segment_size);
	k.max_wal_size_mb = max_wal_size_mb;
	k.wal_keep_size_mb = wal_keep_size_mb;
	k.max_slot_wal_keep_size_mb = max_slot_wal_keep_size_mb;
	return k;
}

WalStatus
slot_wal_status(const SlotRow &slot, const ServerPos &pos, XLogRecPtr slots_min)
{
	/* As pg_get_replication_slots: an invalidated slot is lost, or "unreserved" while a
	 * walsender still uses it with a restart_lsn (PG15: never, the position is cleared). */
	if (slot_lost(slot))
		return !XLogRecPtrIsInvalid(slot.restart_lsn) && slot.active ? WalStatus::Unreserved
																	 : WalStatus::Lost;
	if (XLogRecPtrIsInvalid(slot.restart_lsn))
		return WalStatus::Invalid;

	WalStatus st;
	if (!pos.in_recovery)
	{
		switch (GetWALAvailability(slot.restart_lsn))
		{
			case WALAVAIL_INVALID_LSN:
				st = WalStatus::Invalid;
				break;
			case WALAVAIL_RESERVED:
				st = WalStatus::Reserved;
				break;
			case WALAVAIL_EXTENDED:
				st = WalStatus::Extended;
				break;
			case WALAVAIL_UNRESERVED:
				st = WalStatus::Unreserved;
				break;
			default:
				st = WalStatus::Lost;
				break;
		}
	}
	else
		st = wal_availability(slot.restart_lsn, pos.current_lsn, slots_min,
							  XLogGetLastRemovedSegno(), wal_keep_settings());

	/* As pg_get_replication_slots: removed while a walsender still uses it is "unreserved". */
	if (st == WalStatus::Lost && slot.active)
		st = WalStatus::Unreserved;
	return st;
}

void
read_archive_target(ArchiveTarget *t, TimeLineID tli)
{
	char identity[1024];
	memset(t, 0, sizeof *t);
	/* Under a name another server holds, "this server's folder" may hold that server's files. */
	t->configured = pgls_archive_dir != nullptr && pgls_archive_dir[0] != '\0' &&
					!identity_problem(identity, sizeof identity);
	if (t->configured)
		strlcpy(t->root, pgls_archive_dir, sizeof t->root);
	t->layout = pgls_archive_layout;
	effective_server_name(t->server, sizeof t->server);
	t->s3 = s3_setting_values();
	t->tli = tli;
	if (tli <= 1)
	{
		t->nhist = 1;
		t->hist[0].tli = tli == 0 ? 1 : tli;
		return;
	}
	List *history = readTimeLineHistory(tli);
	ListCell *lc;
	foreach (lc, history)
	{
		if (t->nhist >= kMaxHistory)
			break;
		TimeLineHistoryEntry *e = static_cast<TimeLineHistoryEntry *>(lfirst(lc));
		t->hist[t->nhist].tli = e->tli;
		t->hist[t->nhist].begin = e->begin;
		t->hist[t->nhist].end = e->end;
		t->nhist++;
	}
	list_free_deep(history);
}

int64
pg_wal_free_bytes(void)
{
	struct statvfs st;
	if (statvfs(XLOGDIR, &st) != 0)
		return -1;
	return static_cast<int64>(st.f_bavail) * static_cast<int64>(st.f_frsize);
}

} // namespace pgls
