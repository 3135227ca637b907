/*
 * cleanup_task.cpp -- the worker's "archive cleanup" task, every
 * pg_logship.archive_cleanup_interval, on a primary only.
 *
 * Logs what it removed; logs a refusal or failure once until the reason changes (each outcome is
 * also in slot_health()).
 */
#include "retention/retention.hpp"

#include "retention/cleanup_run.hpp"
#include "retention/retention_shmem.hpp"
#include "settings.hpp"

namespace pgls
{

void
cleanup_task_run(void)
{
	if (RecoveryInProgress() || pgls_archive_dir == nullptr || pgls_archive_dir[0] == '\0')
		return;

	CleanupStatus before;
	cleanup_status_copy(&before);

	CleanupRun *run = static_cast<CleanupRun *>(palloc0(sizeof(CleanupRun)));
	run->dry_run = false;
	run_archive_cleanup(run, true);

	int removed = 0;
	for (int i = 0; i < run->nfiles; i++)
		removed += run->files[i].removed ? 1 : 0;

	switch (run->status)
	{
		case CleanupRunStatus::Done:
			if (removed > 0)
				ereport(LOG,
						(errmsg("pg_logship archive cleanup removed %d archived WAL file(s) "
								"older than %s from \"%s\"",
								removed, run->oldest_kept, run->dir),
						 errdetail("The oldest WAL still needed is kept for %s.", run->kept_by)));
			break;
		case CleanupRunStatus::Refused:
		case CleanupRunStatus::Failed:
			/* Once per reason: the same outcome again is in slot_health() already. */
			if (before.outcome == (run->status == CleanupRunStatus::Refused
									   ? CleanupOutcome::Refused
									   : CleanupOutcome::Failed) &&
				strncmp(before.detail, run->message, sizeof before.detail - 1) == 0)
				break;
			ereport(WARNING,
					(errmsg("pg_logship archive cleanup %s: %s",
							run->status == CleanupRunStatus::Refused ? "refused" : "failed",
							run->message),
					 removed > 0 ? errdetail("%d file(s) were removed before the failure.", removed)
								 : errdetail("Nothing was removed from the archive.")));
			break;
	}
}

} // namespace pgls
