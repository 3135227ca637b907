/*
 * archive_status.cpp -- pg_logship.archive_status_internal(), behind the archive_status view.
 *
 * One row: the settings in force, this server's archive counters (since server start), the
 * .ready backlog (listing pg_wal/archive_status, the only place it is visible), and quarantine.
 */
#include "pg/guard.hpp"

#include "archive/archive_dir.hpp"
#include "archive/archiver_watch.hpp"
#include "archive/pool.hpp"
#include "archive/server_identity.hpp"
#include "archive/ready_files.hpp"
#include "core/archive_format.hpp"
#include "core/layout.hpp"
#include "settings.hpp"
#include "s3_settings.hpp"
#include "archive/store_cache.hpp"
#include "shmem.hpp"

#include <sys/stat.h>

namespace
{

struct ReadyBacklog
{
	int64 count;
	int64 bytes;
	TimestampTz oldest_mtime;
	char oldest_file[MAXFNAMELEN + 16];
};

/* Lists pg_wal/archive_status/<name>.ready. PG calls only; no C++ objects. */
void
scan_ready(ReadyBacklog *b)
{
	DIR *dir = AllocateDir(pgls::kArchiveStatusDir);
	struct dirent *de;

	memset(b, 0, sizeof *b);
	while ((de = ReadDir(dir, pgls::kArchiveStatusDir)) != nullptr)
	{
		char name[MAXPGPATH];
		char path[2 * MAXPGPATH];
		struct stat st;
		if (!pgls::ready_file_name(de->d_name, name, sizeof name))
			continue;
		b->count++;
		snprintf(path, sizeof path, XLOGDIR "/%s", name);
		if (stat(path, &st) == 0)
			b->bytes += st.st_size;
		snprintf(path, sizeof path, "%s/%s", pgls::kArchiveStatusDir, de->d_name);
		if (stat(path, &st) == 0)
		{
			TimestampTz t = time_t_to_timestamptz(st.st_mtime);
			if (b->oldest_file[0] == '\0' || t < b->oldest_mtime ||
				(t == b->oldest_mtime && strcmp(name, b->oldest_file) < 0))
			{
				b->oldest_mtime = t;
				strlcpy(b->oldest_file, name, sizeof b->oldest_file);
			}
		}
	}
	FreeDir(dir);
}

/* Files in quarantine/<server>, through the archive's store (a listing in object storage);
 * -1 when it cannot be read (or no archive_dir). An interrupt (PgError) goes through. */
int64
count_quarantine(const char *server)
{
	if (!pgls_archive_dir || !pgls_archive_dir[0])
		return -1;
	pgls::StoreSpec spec;
	spec.location = pgls_archive_dir;
	spec.s3 = pgls::s3_settings_from(pgls::s3_setting_values());
	try
	{
		int64 n = 0;
		pgls::Store &store = pgls::archive_store(spec);
		for (const pgls::StoreEntry &e : store.list(pgls::quarantine_folder(server)))
			n += e.type == pgls::EntryType::Regular && !pgls::parse_temp_file_name(e.name);
		return n;
	}
	catch (const pgls::PgError &)
	{
		throw;
	}
	catch (const std::exception &)
	{
		return -1;
	}
}

} // namespace

PGLS_FUNCTION(pgls_archive_status_internal)

static Datum
pgls_archive_status_internal_impl(FunctionCallInfo fcinfo)
{
	TupleDesc tupdesc;
	if (get_call_result_type(fcinfo, nullptr, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR, (errmsg("return type must be a row type")));

	enum
	{
		NCOLS = 31
	};
	Datum values[NCOLS];
	bool nulls[NCOLS];
	memset(nulls, 0, sizeof nulls);
	if (tupdesc->natts != NCOLS)
		ereport(ERROR, (errmsg("pg_logship.archive_status_internal: expected %d columns, got %d",
							   NCOLS, tupdesc->natts)));

	char server[64];
	pgls::effective_server_name(server, sizeof server);
	ReadyBacklog ready;
	scan_ready(&ready);
	pgls::SharedState *sh = pgls::shared();

	int i = 0;
	values[i++] = CStringGetTextDatum(pgls_archive_dir ? pgls_archive_dir : "");
	values[i++] = CStringGetTextDatum(pgls_archive_layout == 0 ? "shared" : "per_server");
	values[i++] = CStringGetTextDatum(server);
	values[i++] = CStringGetTextDatum(
		pgls::compression_name(static_cast<pgls::Compression>(pgls_compression)));
	values[i++] = BoolGetDatum(XLogArchivingActive());
	values[i++] = BoolGetDatum(XLogArchiveLibrary && strcmp(XLogArchiveLibrary, "pg_logship") == 0);
	values[i++] = Int64GetDatum(ready.count);
	values[i++] = Int64GetDatum(ready.bytes);
	if (ready.count > 0 && ready.oldest_file[0])
	{
		values[i++] = CStringGetTextDatum(ready.oldest_file);
		values[i++] =
			Float8GetDatum((double) (GetCurrentTimestamp() - ready.oldest_mtime) / USECS_PER_SEC);
	}
	else
	{
		nulls[i++] = true;
		nulls[i++] = true;
	}
	if (sh)
	{
		pgls::ArchiveCounters &a = sh->archive;
		values[i++] = Int64GetDatum(pg_atomic_read_u64(&a.published));
		values[i++] = Int64GetDatum(pg_atomic_read_u64(&a.acknowledged));
		values[i++] = Int64GetDatum(pg_atomic_read_u64(&a.conflicts));
		values[i++] = Int64GetDatum(pg_atomic_read_u64(&a.refused));
		values[i++] = Int64GetDatum(pg_atomic_read_u64(&a.io_failures));
		values[i++] = Int64GetDatum(pg_atomic_read_u64(&a.bytes_written));
		values[i++] = Int64GetDatum(pg_atomic_read_u64(&a.bytes_original));
		values[i++] = Int64GetDatum(pg_atomic_read_u64(&a.temp_files_swept));
		char last_conflict[64], last_error[256];
		TimestampTz conflict_time, error_time;
		SpinLockAcquire(&a.mutex);
		memcpy(last_conflict, a.last_conflict_file, sizeof last_conflict);
		conflict_time = a.last_conflict_time;
		memcpy(last_error, a.last_error, sizeof last_error);
		error_time = a.last_error_time;
		SpinLockRelease(&a.mutex);
		if (last_conflict[0])
		{
			values[i++] = CStringGetTextDatum(last_conflict);
			values[i++] = TimestampTzGetDatum(conflict_time);
		}
		else
		{
			nulls[i++] = true;
			nulls[i++] = true;
		}
		if (last_error[0])
		{
			values[i++] = CStringGetTextDatum(last_error);
			values[i++] = TimestampTzGetDatum(error_time);
		}
		else
		{
			nulls[i++] = true;
			nulls[i++] = true;
		}
	}
	else
	{
		for (int k = 0; k < 12; k++)
			nulls[i++] = true;
	}
	int64 q = count_quarantine(server);
	if (q >= 0)
		values[i] = Int64GetDatum(q);
	else
		nulls[i] = true;
	i++;

	/* Parallel archiving: workers, queue, who archived what, throughput. */
	pgls::PoolStats ps;
	pgls::archive_pool_stats(&ps);
	values[i++] = Int32GetDatum(ps.workers);
	values[i++] = Int32GetDatum(ps.workers_running);
	values[i++] = Int32GetDatum(ps.queued);
	values[i++] = Int64GetDatum(static_cast<int64>(ps.worker_files));
	values[i++] = Int64GetDatum(static_cast<int64>(ps.inline_files));
	values[i++] = Float8GetDatum(ps.files_per_second);
	values[i++] = Int64GetDatum(static_cast<int64>(ps.lookahead_scans));
	values[i++] = Int64GetDatum(static_cast<int64>(pgls::archiver_watch_wakeups()));
	Assert(i == NCOLS);

	HeapTuple tuple = heap_form_tuple(tupdesc, values, nulls);
	return HeapTupleGetDatum(tuple);
}

/*
 * pg_logship.archive_dir_problem(): NULL when the archive directory is usable, else why not.
 */
PGLS_FUNCTION(pgls_archive_dir_problem)

static Datum
pgls_archive_dir_problem_impl(FunctionCallInfo fcinfo)
{
	char problem[MAXPGPATH + 128];
	if (!pgls::archive_dir_problem(problem, sizeof problem))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(problem));
}

/*
 * pg_logship.server_name_problem(): NULL, or why the archiver refuses to archive under this
 * server's name (another server claimed it in the archive).
 */
PGLS_FUNCTION(pgls_server_name_problem)

static Datum
pgls_server_name_problem_impl(FunctionCallInfo fcinfo)
{
	char problem[1024];
	if (!pgls::identity_problem(problem, sizeof problem))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(problem));
}
