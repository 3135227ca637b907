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

#include "core/interrupt.hpp"
#include "pg/guard.hpp"
#include "retention/archive_check.hpp"
#include "retention/policy_task.hpp"

namespace pgls
{

namespace
{

constexpr size_t kSizeTextLen = 32;

/* Copies a size as text ("64 MB") into buf; C++ only, may throw (bad_alloc). */
void
size_text(uint64 bytes, char *buf, size_t len)
{
	strlcpy(buf, pretty_bytes(bytes).c_str(), len);
}

/*
 * C++ only: the policy's decision for each slot, and every text the reports need (so that
 * nothing outside this guarded phase allocates C++ memory).
 */
void
decide_all(PassSlot *slots, int n, const ServerPos &pos, const ArchiveTarget &target, int64 limit,
		   RetentionPolicy policy, char *limit_text)
{
	size_text(static_cast<uint64>(limit), limit_text, kSizeTextLen);
	ArchiveChecker checker(target, static_cast<uint64_t>(wal_segment_size));
	RetentionInput in;
	in.limit_bytes = limit;
	in.policy = policy;
	in.seg_size = static_cast<uint64_t>(wal_segment_size);
	in.current_lsn = pos.current_lsn;
	in.cap_lsn = pos.cap_lsn;
	if (checker.usable())
		in.archived = [&checker](uint64_t segno)
		{
			check_interrupts();
			return checker.archived(segno);
		};

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
		size_text(p.retained, p.held, sizeof p.held);
	}
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
	char *lim = static_cast<char *>(palloc0(kSizeTextLen));
	cpp_entry([&]() { decide_all(slots, n, pos, *target, limit, policy, lim); });

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
					do_advance(sh, p, lim);
				break;
			default:
				report_condition(sh, p, lim);
				break;
		}
	}
}

} // namespace pgls
