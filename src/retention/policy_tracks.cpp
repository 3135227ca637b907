/*
 * policy_tracks.cpp -- the slot retention task's tracks (shared memory) and the hold file.
 */
#include "retention/policy_task.hpp"

#include "retention/holds.hpp"

namespace pgls
{

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

} // namespace pgls
