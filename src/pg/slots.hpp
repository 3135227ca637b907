/*
 * slots.hpp -- replication slot fields and calls that differ between versions.
 *
 *   PG15   a lost slot: restart_lsn cleared, data.invalidated_at = where it was; WAL removal is
 *          the only cause. An invalidated physical slot comes back when its standby streams.
 *   PG16+  data.invalidated = the cause (RS_INVAL_*), no invalidated_at; restart_lsn cleared
 *          for WAL removal. An invalidated slot no longer holds WAL, even if used again.
 *   PG17+  ReplicationSlot::inactive_since: since when the slot is released (set at startup
 *          for every slot; kept, not updated, once invalidated).
 *   PG18   RS_INVAL_IDLE_TIMEOUT (idle_replication_slot_timeout, seconds, at checkpoints); causes
 *          are bit flags; ReplicationSlotAcquire(name, nowait, error_if_invalid); a walsender
 *          refuses an invalidated slot ("can no longer access replication slot").
 */
#pragma once

#include "pg/pg_headers.hpp"

extern "C"
{
#include "replication/slot.h"
}

namespace pgls
{

enum class SlotCause
{
	None,
	WalRemoved,  /* max_slot_wal_keep_size */
	RowsRemoved, /* logical slots: needed rows removed */
	WalLevel,    /* logical slots: wal_level too low */
	IdleTimeout, /* PG18: idle_replication_slot_timeout */
};

/* As pg_replication_slots.invalidation_reason: "wal_removed", "idle_timeout", ...; nullptr for
 * None. */
const char *slot_cause_name(SlotCause c);

struct SlotVersionFields
{
	SlotCause invalidated;      /* None: the slot is valid */
	XLogRecPtr invalidated_at;  /* PG15: restart_lsn when it was invalidated; else Invalid */
	TimestampTz inactive_since; /* PG17+: the server's; 0 before PG17 or while in use */
};

/* Plain field reads; the caller holds slot->mutex. */
static inline void
slot_version_fields(const ReplicationSlot *slot, SlotVersionFields *out)
{
#if PG_VERSION_NUM >= 180000
	/* 18: bit flags (one set per invalidation). */
	const int cause = static_cast<int>(slot->data.invalidated);
	out->invalidated = cause == RS_INVAL_NONE           ? SlotCause::None
					   : (cause & RS_INVAL_WAL_REMOVED) ? SlotCause::WalRemoved
					   : (cause & RS_INVAL_HORIZON)     ? SlotCause::RowsRemoved
					   : (cause & RS_INVAL_WAL_LEVEL)   ? SlotCause::WalLevel
														: SlotCause::IdleTimeout;
	out->invalidated_at = InvalidXLogRecPtr;
#elif PG_VERSION_NUM >= 160000
	/* 16, 17: plain enum values (WAL_LEVEL is 3: no bit tests). */
	switch (slot->data.invalidated)
	{
		case RS_INVAL_NONE:
			out->invalidated = SlotCause::None;
			break;
		case RS_INVAL_WAL_REMOVED:
			out->invalidated = SlotCause::WalRemoved;
			break;
		case RS_INVAL_HORIZON:
			out->invalidated = SlotCause::RowsRemoved;
			break;
		default:
			out->invalidated = SlotCause::WalLevel;
			break;
	}
	out->invalidated_at = InvalidXLogRecPtr;
#else
	out->invalidated_at = slot->data.invalidated_at;
	out->invalidated =
		XLogRecPtrIsInvalid(slot->data.restart_lsn) && !XLogRecPtrIsInvalid(out->invalidated_at)
			? SlotCause::WalRemoved
			: SlotCause::None;
#endif
#if PG_VERSION_NUM >= 170000
	out->inactive_since = slot->inactive_since;
#else
	out->inactive_since = 0;
#endif
}

/* ReplicationSlotAcquire(name, nowait = true); on PG18 an invalidated slot is an ERROR, as in
 * pg_replication_slot_advance(). */
void slot_acquire_nowait(const char *name);

/*
 * After ReplicationSlotRelease() of a slot pg_logship only advanced: puts back the
 * inactive_since it had before (PG17+; nothing before), unless another process uses it by now.
 * Release sets it to "now", which would reset idle_replication_slot_timeout's clock and
 * inactive_since for a slot whose standby is still away.
 */
void slot_restore_inactive_since(ReplicationSlot *slot, TimestampTz since);

/* idle_replication_slot_timeout in seconds (0: off); -1 when the server has no such setting. */
int idle_slot_timeout_seconds(void);

} // namespace pgls
