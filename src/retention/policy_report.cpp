/*
 * policy_report.cpp -- the slot retention task's reports (each condition logged once) and its
 * slot advances.
 */
#include "retention/policy_task.hpp"

#include "retention/slot_advance.hpp"

namespace pgls
{

namespace
{

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

} // namespace

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

void
report_condition(RetentionShared *sh, const PassSlot &p, const char *lim)
{
	int i = p.row.index;
	if (reported_of(sh, i) == static_cast<int32>(p.action))
		return;
	const char *held = p.held;
	char detail[kActionDetailLen];
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

void
do_advance(RetentionShared *sh, const PassSlot &p, const char *lim)
{
	const char *held = p.held;
	char why[256], detail[kActionDetailLen], more[160];
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

} // namespace pgls
