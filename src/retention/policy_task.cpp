/*
 * policy_task.cpp -- the worker's "slot retention" task, every second.
 *
 * Each pass: reads every slot and this server's WAL end; keeps each slot's track (since when it
 * is inactive, the hold of an advanced slot, released once its standby streams again); asks
 * core/retention.hpp what the policy wants for each slot; logs each new condition once; and
 * with advance_archived advances inactive physical slots over archived WAL -- after writing the
 * position their standby still needs to the hold file, so that archive cleanup keeps it even
 * across a crash.
 *
 * Phases: PG calls on plain structs, then the decision in C++ (no PG calls), then PG calls again.
 */
#include "retention/retention.hpp"

#include "pg/guard.hpp"
#include "retention/archive_check.hpp"
#include "retention/holds.hpp"
#include "retention/retention_shmem.hpp"
#include "retention/slot_advance.hpp"
#include "retention/slot_state.hpp"

namespace pgls
{

namespace
{

struct PassSlot
{
	SlotRow row;
	RetentionAction action;
	uint64 retained;
	XLogRecPtr from;
	XLogRecPtr to;
	bool short_of_wanted;
	char missing[MAXFNAMELEN]; /* the first segment not archived, when it matters */
};

/* C++ only: the policy's decision for each slot. */
void
decide_all(PassSlot *slots, int n, const ServerPos &pos, const ArchiveTarget &target, int64 limit,
		   RetentionPolicy policy)
{
	ArchiveChecker checker(target, static_cast<uint64_t>(wal_segment_size));
	RetentionInput in;
	in.limit_bytes = limit;
	in.policy = policy;
	in.seg_size = static_cast<uint64_t>(wal_segment_size);
	in.current_lsn = pos.current_lsn;
	in.cap_lsn = pos.cap_lsn;
	if (checker.usable())
		in.archived = [&checker](uint64_t segno) { return checker.archived(segno); };

	for (int i = 0; i < n; i++)
	{
		PassSlot &p = slots[i];
		SlotView v;
		v.name = p.row.name;
		v.physical = p.row.physical;
		v.active = p.row.active;
		v.persistent = p.row.persistent;
		v.restart_lsn = p.row.restart_lsn;
		RetentionDecision d = decide_retention(v, in);
		p.action = d.action;
		p.retained = d.retained_bytes;
		p.from = d.from_lsn;
		p.to = d.to_lsn;
		p.short_of_wanted = d.short_of_wanted;
		if (d.action == RetentionAction::Blocked || d.short_of_wanted)
			strlcpy(p.missing, checker.segment_name(d.missing_segno).c_str(), sizeof p.missing);
	}
}

const char *
mb_text(uint64 bytes, char *buf, size_t len)
{
	snprintf(buf, len, "%s", pretty_bytes(bytes).c_str());
	return buf;
}

/* Records the last action of track i (spinlock held only for the copy). */
void
record_action(RetentionShared *sh, int i, RetentionAction action, XLogRecPtr from, XLogRecPtr to,
			  const char *detail)
{
	TimestampTz now = GetCurrentTimestamp();
	SpinLockAcquire(&sh->mutex);
	SlotTrack &t = sh->slots[i];
	t.action = static_cast<int32>(action);
	t.action_time = now;
	t.action_from = from;
	t.action_to = to;
	strlcpy(t.detail, detail, sizeof t.detail);
	t.reported = static_cast<int32>(action);
	SpinLockRelease(&sh->mutex);
}

/* Brings the tracks in line with the slots: names, inactivity, holds of streaming slots.
 * Returns true when a hold changed. */
bool
sync_tracks(RetentionShared *sh, const SlotRow *rows, int n, TimestampTz now)
{
	bool holds_changed = false;
	bool *seen = static_cast<bool *>(palloc0(sizeof(bool) * Max(sh->nslots, 1)));
	for (int k = 0; k < n; k++)
	{
		const SlotRow &r = rows[k];
		if (r.index >= sh->nslots)
			continue;
		seen[r.index] = true;
		XLogRecPtr released = InvalidXLogRecPtr;
		SpinLockAcquire(&sh->mutex);
		SlotTrack &t = sh->slots[r.index];
		if (strcmp(t.name, r.name) != 0)
		{
			holds_changed |= !XLogRecPtrIsInvalid(t.hold_lsn);
			memset(&t, 0, sizeof t);
			strlcpy(t.name, r.name, sizeof t.name);
		}
		/* PG16+ keep no record of where an invalidated slot was (PG15: invalidated_at); hold
		 * the last restart_lsn seen, so that archive cleanup keeps its standby's WAL. */
		if (!slot_lost(r) && !XLogRecPtrIsInvalid(r.restart_lsn))
			t.last_restart = r.restart_lsn;
		else if (slot_lost(r) && XLogRecPtrIsInvalid(r.invalidated_at) &&
				 XLogRecPtrIsInvalid(t.hold_lsn) && !XLogRecPtrIsInvalid(t.last_restart) &&
				 !r.active)
		{
			t.hold_lsn = t.last_restart;
			holds_changed = true;
		}
		if (r.active)
		{
			t.inactive_since = 0;
			if (!XLogRecPtrIsInvalid(t.hold_lsn))
			{
				released = t.hold_lsn;
				t.hold_lsn = InvalidXLogRecPtr;
				holds_changed = true;
			}
		}
		else if (t.inactive_since == 0)
			t.inactive_since = now;
		SpinLockRelease(&sh->mutex);
		if (!XLogRecPtrIsInvalid(released))
			ereport(LOG, (errmsg("pg_logship: replication slot \"%s\" is in use again; archive "
								 "cleanup no longer keeps WAL from %X/%X for it",
								 r.name, PGLS_LSN_ARGS(released))));
	}
	for (int i = 0; i < sh->nslots; i++)
	{
		if (seen[i])
			continue;
		SpinLockAcquire(&sh->mutex);
		SlotTrack &t = sh->slots[i];
		if (t.name[0] != '\0')
		{
			holds_changed |= !XLogRecPtrIsInvalid(t.hold_lsn);
			memset(&t, 0, sizeof t);
		}
		SpinLockRelease(&sh->mutex);
	}
	pfree(seen);
	return holds_changed;
}

/* Once after start: the holds recorded before. Returns false when the file cannot be read. */
bool
load_holds_once(RetentionShared *sh, const SlotRow *rows, int n, bool *holds_changed)
{
	if (sh->holds_loaded)
		return true;
	HoldEntry *holds = static_cast<HoldEntry *>(palloc(sizeof(HoldEntry) * Max(sh->nslots, 1)));
	char why[512];
	int nh = load_holds(holds, Max(sh->nslots, 1), why, sizeof why);
	if (nh < 0)
	{
		if (!sh->holds_error_logged)
			ereport(WARNING,
					(errmsg("pg_logship: cannot read the retention hold file: %s", why),
					 errdetail("No replication slot is advanced and no archived WAL is removed "
							   "until it can be read."),
					 errhint("Fix or remove \"%s\" in the data directory; removing it forgets "
							 "where the standbys of advanced slots are.",
							 kHoldFile)));
		sh->holds_error_logged = true;
		pfree(holds);
		return false;
	}
	for (int h = 0; h < nh; h++)
	{
		bool kept = false;
		for (int k = 0; k < n; k++)
		{
			/* A slot gone or streaming again no longer needs its hold. */
			if (strcmp(rows[k].name, holds[h].slot) != 0 || rows[k].index >= sh->nslots ||
				rows[k].active)
				continue;
			SpinLockAcquire(&sh->mutex);
			sh->slots[rows[k].index].hold_lsn = holds[h].lsn;
			SpinLockRelease(&sh->mutex);
			kept = true;
			break;
		}
		if (!kept)
			*holds_changed = true; /* rewrite the file without it */
	}
	sh->holds_loaded = true;
	sh->holds_error_logged = false;
	pfree(holds);
	return true;
}

/* Writes every track's hold. */
bool
persist_holds(RetentionShared *sh)
{
	HoldEntry *holds = static_cast<HoldEntry *>(palloc0(sizeof(HoldEntry) * Max(sh->nslots, 1)));
	int nh = 0;
	SpinLockAcquire(&sh->mutex);
	for (int i = 0; i < sh->nslots; i++)
		if (sh->slots[i].name[0] != '\0' && !XLogRecPtrIsInvalid(sh->slots[i].hold_lsn))
		{
			memcpy(holds[nh].slot, sh->slots[i].name, NAMEDATALEN);
			holds[nh].lsn = sh->slots[i].hold_lsn;
			nh++;
		}
	SpinLockRelease(&sh->mutex);
	char why[512];
	bool ok = save_holds(holds, nh, why, sizeof why);
	if (!ok)
		ereport(WARNING, (errmsg("pg_logship: could not write the retention hold file \"%s\": %s",
								 kHoldFile, why),
						  errdetail("No replication slot is advanced until it can be written.")));
	pfree(holds);
	return ok;
}

int32
reported_of(RetentionShared *sh, int i)
{
	SpinLockAcquire(&sh->mutex);
	int32 r = sh->slots[i].reported;
	SpinLockRelease(&sh->mutex);
	return r;
}

void
set_reported(RetentionShared *sh, int i, RetentionAction a)
{
	SpinLockAcquire(&sh->mutex);
	sh->slots[i].reported = static_cast<int32>(a);
	SpinLockRelease(&sh->mutex);
}

/* Logs and records a condition the first time it is seen (until the slot is within its limit). */
void
report_condition(RetentionShared *sh, const PassSlot &p, int64 limit)
{
	int i = p.row.index;
	if (reported_of(sh, i) == static_cast<int32>(p.action))
		return;
	char held[64], lim[64], detail[kActionDetailLen];
	mb_text(p.retained, held, sizeof held);
	mb_text(static_cast<uint64>(limit), lim, sizeof lim);
	switch (p.action)
	{
		case RetentionAction::Warn:
			snprintf(detail, sizeof detail,
					 "holds %s of WAL, more than pg_logship.slot_retention_limit (%s); policy warn",
					 held, lim);
			ereport(WARNING,
					(errmsg("replication slot \"%s\" holds %s of WAL, more than "
							"pg_logship.slot_retention_limit (%s)",
							p.row.name, held, lim),
					 errdetail("The slot is inactive; pg_wal grows until its standby "
							   "reconnects."),
					 errhint("Set pg_logship.slot_retention_policy = advance_archived to release "
							 "archived WAL while keeping the slot, or drop the slot if its "
							 "standby is gone.")));
			break;
		case RetentionAction::Blocked:
			snprintf(detail, sizeof detail,
					 "holds %s of WAL, more than pg_logship.slot_retention_limit (%s), but WAL "
					 "segment %s is not in the archive",
					 held, lim, p.missing);
			ereport(WARNING,
					(errmsg("pg_logship cannot advance replication slot \"%s\": WAL segment %s is "
							"not in the archive",
							p.row.name, p.missing),
					 errdetail("The slot holds %s of WAL, more than "
							   "pg_logship.slot_retention_limit (%s); it is advanced only over "
							   "WAL that is in the archive.",
							   held, lim),
					 errhint("Check archiving (pg_logship.archive_status) and "
							 "pg_logship.archive_dir.")));
			break;
		case RetentionAction::SkipActive:
		case RetentionAction::SkipLogical:
		case RetentionAction::SkipTemporary:
		{
			const char *why = p.action == RetentionAction::SkipActive    ? "it is in use"
							  : p.action == RetentionAction::SkipLogical ? "it is a logical slot"
																		 : "it is a temporary slot";
			snprintf(detail, sizeof detail,
					 "holds %s of WAL, more than pg_logship.slot_retention_limit (%s); not "
					 "touched: %s",
					 held, lim, why);
			ereport(WARNING, (errmsg("replication slot \"%s\" holds %s of WAL, more than "
									 "pg_logship.slot_retention_limit (%s)",
									 p.row.name, held, lim),
							  errdetail("pg_logship never moves this slot: %s.", why)));
			break;
		}
		default:
			return;
	}
	record_action(sh, i, p.action, p.from, InvalidXLogRecPtr, detail);
}

/* Advances one slot (its hold is already on disk). */
void
do_advance(RetentionShared *sh, const PassSlot &p, int64 limit)
{
	char held[64], lim[64], why[256], detail[kActionDetailLen], more[160];
	mb_text(p.retained, held, sizeof held);
	mb_text(static_cast<uint64>(limit), lim, sizeof lim);
	more[0] = '\0';
	if (p.short_of_wanted)
		snprintf(more, sizeof more, " (not further: WAL segment %s is not archived yet)",
				 p.missing);

	AdvanceResult r =
		advance_physical_slot(p.row.name, p.from, p.to, p.row.inactive_since, why, sizeof why);
	if (r == AdvanceResult::Skipped)
	{
		ereport(DEBUG1,
				(errmsg("pg_logship: replication slot \"%s\" not advanced: %s", p.row.name, why)));
		return;
	}
	XLogRecPtr hold = InvalidXLogRecPtr;
	SpinLockAcquire(&sh->mutex);
	hold = sh->slots[p.row.index].hold_lsn;
	SpinLockRelease(&sh->mutex);
	if (r == AdvanceResult::Failed)
	{
		snprintf(detail, sizeof detail, "advancing to %X/%X failed: %s", PGLS_LSN_ARGS(p.to), why);
		ereport(WARNING, (errmsg("pg_logship could not advance replication slot \"%s\" to %X/%X: "
								 "%s",
								 p.row.name, PGLS_LSN_ARGS(p.to), why)));
		record_action(sh, p.row.index, RetentionAction::Blocked, p.from, p.to, detail);
		return;
	}
	snprintf(detail, sizeof detail,
			 "held %s > pg_logship.slot_retention_limit (%s); released WAL before %X/%X is in "
			 "the archive%s; its standby needs WAL from %X/%X",
			 held, lim, PGLS_LSN_ARGS(p.to), more, PGLS_LSN_ARGS(hold));
	ereport(LOG, (errmsg("pg_logship advanced replication slot \"%s\" from %X/%X to %X/%X",
						 p.row.name, PGLS_LSN_ARGS(p.from), PGLS_LSN_ARGS(p.to)),
				  errdetail("The inactive slot held %s of WAL, more than "
							"pg_logship.slot_retention_limit (%s). The WAL before %X/%X is in the "
							"archive%s; its standby restores it from there and then streams again. "
							"Archive cleanup keeps the WAL from %X/%X for it.",
							held, lim, PGLS_LSN_ARGS(p.to), more, PGLS_LSN_ARGS(hold))));
	record_action(sh, p.row.index, RetentionAction::Advance, p.from, p.to, detail);
}

} // namespace

void
policy_task_run(void)
{
	RetentionShared *sh = retention_shared();
	if (sh == nullptr)
		return;

	SlotRow *rows;
	int n = read_slots(&rows);
	ServerPos pos;
	read_server_pos(&pos);
	TimestampTz now = GetCurrentTimestamp();
	int64 limit = retention_limit_bytes();
	RetentionPolicy policy = retention_policy();

	bool holds_changed = sync_tracks(sh, rows, n, now);
	bool holds_ok = load_holds_once(sh, rows, n, &holds_changed);
	if (n == 0)
	{
		if (holds_changed)
			sh->holds_dirty = true;
		if (holds_ok && sh->holds_dirty && persist_holds(sh))
			sh->holds_dirty = false;
		return;
	}

	ArchiveTarget *target = static_cast<ArchiveTarget *>(palloc(sizeof(ArchiveTarget)));
	read_archive_target(target, pos.tli);
	PassSlot *slots = static_cast<PassSlot *>(palloc0(sizeof(PassSlot) * n));
	for (int k = 0; k < n; k++)
		slots[k].row = rows[k];
	cpp_entry([&]() { decide_all(slots, n, pos, *target, limit, policy); });

	/* The holds of the slots about to be advanced go to disk first. */
	bool any_advance = false;
	for (int k = 0; k < n; k++)
	{
		PassSlot &p = slots[k];
		if (p.action != RetentionAction::Advance || p.row.index >= sh->nslots)
			continue;
		if (!holds_ok)
		{
			p.action = RetentionAction::None;
			continue;
		}
		any_advance = true;
		SpinLockAcquire(&sh->mutex);
		SlotTrack &t = sh->slots[p.row.index];
		if (XLogRecPtrIsInvalid(t.hold_lsn))
		{
			t.hold_lsn = p.from;
			holds_changed = true;
		}
		SpinLockRelease(&sh->mutex);
	}
	/* Dirty until written: a failed write is retried, and nothing advances before it works. */
	if (holds_changed)
		sh->holds_dirty = true;
	if (holds_ok && sh->holds_dirty)
	{
		if (persist_holds(sh))
			sh->holds_dirty = false;
		else
			any_advance = false;
	}
	if (!holds_ok)
		any_advance = false;

	for (int k = 0; k < n; k++)
	{
		const PassSlot &p = slots[k];
		if (p.row.index >= sh->nslots)
			continue;
		switch (p.action)
		{
			case RetentionAction::None:
				if (reported_of(sh, p.row.index) != static_cast<int32>(RetentionAction::None) &&
					(limit <= 0 || p.retained <= static_cast<uint64>(limit)))
					set_reported(sh, p.row.index, RetentionAction::None);
				break;
			case RetentionAction::Advance:
				if (any_advance)
					do_advance(sh, p, limit);
				break;
			default:
				report_condition(sh, p, limit);
				break;
		}
	}
}

} // namespace pgls
