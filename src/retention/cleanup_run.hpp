/*
 * cleanup_run.hpp -- one archive cleanup, for pg_logship.archive_cleanup() and the worker.
 *
 * Gathers what still needs archived WAL (slots, the hold file of advanced slots, connected
 * standbys, the current position; PG calls on plain structs), then lists the archive folder,
 * reads the .backup files, plans with core/retention_cleanup.hpp and removes (C++, no PG calls
 * but palloc through pg_call). Primary only.
 */
#pragma once

#include "pg/pg_headers.hpp"

#include "retention/slot_state.hpp"

namespace pgls
{

enum class CleanupRunStatus
{
	Done,    /* planned (and removed, unless a dry run) */
	Refused, /* something needed could not be read: nothing removed */
	Failed,  /* an error: archive unreadable, a removal failed (files removed so far listed) */
};

struct CleanupFile
{
	char name[MAXFNAMELEN + 16];
	bool removed;
};

struct CleanupRun
{
	/* in */
	bool dry_run;
	/* out */
	CleanupRunStatus status;
	char message[1024]; /* Refused / Failed: why */
	char dir[MAXPGPATH];
	char oldest_kept[MAXFNAMELEN];
	char kept_by[192];
	XLogRecPtr kept_lsn; /* the position that set the boundary (0 for the minimum age) */
	int nbackups_kept;
	int nfiles;
	CleanupFile *files; /* palloc'd */
};

/*
 * Runs one cleanup. ERRORs (not a primary, no archive_dir) before anything is read; otherwise
 * the outcome is in run->status, and, unless dry_run, recorded for slot_health().
 */
void run_archive_cleanup(CleanupRun *run, bool by_worker);

} // namespace pgls
