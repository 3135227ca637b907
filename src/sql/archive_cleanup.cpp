/*
 * archive_cleanup.cpp -- pg_logship.archive_cleanup(dry_run) and archive_cleanup_boundary().
 *
 * archive_cleanup() returns one row per file it would remove (dry_run, the default) or removed;
 * removing needs a superuser, checked here (pg_monitor may look). A refusal (a .backup file, the
 * hold file or a standby position that cannot be read) or a failure is an ERROR that says why;
 * nothing was removed, or the files removed before a failure are in the server log.
 * archive_cleanup_boundary() explains the plan in one row and reports a refusal instead of
 * raising it.
 */
#include "pg/guard.hpp"

#include "retention/cleanup_run.hpp"

extern "C"
{
#include "utils/pg_lsn.h"
}

PGLS_FUNCTION(pgls_archive_cleanup)

static Datum
pgls_archive_cleanup_impl(FunctionCallInfo fcinfo)
{
	bool dry_run = PG_ARGISNULL(0) ? true : PG_GETARG_BOOL(0);
	if (!dry_run && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser may remove archived WAL with "
						"pg_logship.archive_cleanup(dry_run => false)"),
				 errhint("pg_logship.archive_cleanup() with dry_run => true lists the files.")));

	ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	InitMaterializedSRF(fcinfo, 0);

	pgls::CleanupRun *run = static_cast<pgls::CleanupRun *>(palloc0(sizeof(pgls::CleanupRun)));
	run->dry_run = dry_run;
	pgls::run_archive_cleanup(run, false);

	if (run->status == pgls::CleanupRunStatus::Refused)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("pg_logship archive cleanup refused: %s", run->message),
						errdetail("Nothing was removed from the archive.")));

	int removed = 0;
	for (int i = 0; i < run->nfiles; i++)
	{
		Datum values[2];
		bool nulls[2] = {false, false};
		values[0] = CStringGetTextDatum(run->files[i].name);
		values[1] = BoolGetDatum(run->files[i].removed);
		removed += run->files[i].removed ? 1 : 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	if (run->status == pgls::CleanupRunStatus::Failed)
		ereport(ERROR,
				(errmsg("pg_logship archive cleanup failed: %s", run->message),
				 removed > 0 ? errdetail("%d file(s) were removed before the failure.", removed)
							 : errdetail("Nothing was removed from the archive.")));
	if (removed > 0)
		ereport(LOG, (errmsg("pg_logship archive cleanup removed %d archived WAL file(s) older "
							 "than %s from \"%s\"",
							 removed, run->oldest_kept, run->dir),
					  errdetail("The oldest WAL still needed is kept for %s.", run->kept_by)));
	return (Datum) 0;
}

PGLS_FUNCTION(pgls_archive_cleanup_boundary)

static Datum
pgls_archive_cleanup_boundary_impl(FunctionCallInfo fcinfo)
{
	TupleDesc tupdesc;
	if (get_call_result_type(fcinfo, nullptr, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR, (errmsg("return type must be a row type")));

	pgls::CleanupRun *run = static_cast<pgls::CleanupRun *>(palloc0(sizeof(pgls::CleanupRun)));
	run->dry_run = true;
	pgls::run_archive_cleanup(run, false);

	Datum values[7];
	bool nulls[7];
	memset(nulls, 0, sizeof nulls);
	bool planned = run->status == pgls::CleanupRunStatus::Done;
	values[0] = CStringGetTextDatum(run->dir);
	if (planned)
	{
		values[1] = CStringGetTextDatum(run->oldest_kept);
		values[2] = CStringGetTextDatum(run->kept_by);
		if (XLogRecPtrIsInvalid(run->kept_lsn))
			nulls[3] = true;
		else
			values[3] = LSNGetDatum(run->kept_lsn);
		values[4] = Int32GetDatum(run->nbackups_kept);
		values[5] = Int64GetDatum(run->nfiles);
		nulls[6] = true;
	}
	else
	{
		for (int i = 1; i <= 5; i++)
			nulls[i] = true;
		values[6] = CStringGetTextDatum(run->message);
	}
	HeapTuple tuple = heap_form_tuple(tupdesc, values, nulls);
	return HeapTupleGetDatum(tuple);
}
