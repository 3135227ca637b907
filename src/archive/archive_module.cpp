/*
 * archive_module.cpp -- archive_library = 'pg_logship': the archiver's callbacks.
 *
 * check_configured: pg_logship.archive_dir must be set; else a WARNING says so and the archiver
 * waits (nothing is archived, nothing leaves pg_wal), as basic_archive does without its
 * directory. A set archive_dir that is missing, not a directory or not writable is an attempt
 * that fails, with an ERROR that says which: PostgreSQL counts it in pg_stat_archiver
 * (failed_count, last_failed_wal), and the archiver watch (archiver_watch.hpp) wakes the archiver
 * once the archive is accessible again.
 *
 * archive_file: first makes sure the server name is this server's in the archive
 * (server_identity.hpp: claimed on first use, re-read every minute; another server's name is an
 * ERROR and nothing is touched), then runs the core protocol (src/core/archive_writer.hpp) through
 * run_archive_call() with pg_logship.compression and pg_logship.compression_level, and reports.
 * Returns true only when the file is durably in the archive (or, on a standby, when the archive
 * holds the primary's differing copy and ours is in quarantine; see
 * conflict_counts_as_archived()). Every ERROR is caught here, as basic_archive does on PG15, so a
 * failure is a retry, not an archiver restart.
 */
#include "pg/pg_headers.hpp"

#include "archive/archive_call.hpp"
#include "archive/archive_dir.hpp"
#include "archive/archiver_watch.hpp"
#include "archive/pool.hpp"
#include "archive/s3_probe.hpp"
#include "s3_settings.hpp"
#include "archive/server_identity.hpp"
#include "core/archive_writer.hpp"
#include "core/wal_header.hpp"
#include "settings.hpp"
#include "shmem.hpp"

#include <sys/stat.h>
#include <unistd.h>

/* The core decodes WAL headers at fixed offsets; make sure they are this server's. */
static_assert(offsetof(XLogLongPageHeaderData, xlp_sysid) == pgls::kWalOffSysid, "xlp_sysid");
static_assert(offsetof(XLogLongPageHeaderData, xlp_seg_size) == pgls::kWalOffSegSize, "seg_size");
static_assert(offsetof(XLogLongPageHeaderData, xlp_xlog_blcksz) == pgls::kWalOffBlcksz, "blcksz");
static_assert(offsetof(XLogPageHeaderData, xlp_pageaddr) == pgls::kWalOffPageaddr, "pageaddr");
static_assert(XLP_LONG_HEADER == pgls::kWalLongHeaderFlag, "XLP_LONG_HEADER");
static_assert(XLOG_PAGE_MAGIC == pgls::kWalPageMagic, "XLOG_PAGE_MAGIC");

namespace
{

/* Sweep stale temp files at the first archive call of a process, then this often. */
constexpr long kSweepIntervalMs = 10 * 60 * 1000;
TimestampTz last_sweep = 0;
MemoryContext archive_context = nullptr;
/* The (algorithm, level) last warned about as above the algorithm's maximum. */
int clamp_warned_compression = -1;
int clamp_warned_level = -1;

bool
check_configured(PGLS_ARCHIVE_STATE_ONLY)
{
	if (pgls_archive_dir != nullptr && pgls_archive_dir[0] != '\0')
		return true;
	ereport(WARNING, (errmsg("pg_logship.archive_dir is not set"),
					  errhint("Set pg_logship.archive_dir (an existing directory the server's user "
							  "can write) and reload; WAL stays in pg_wal until then.")));
	return false;
}

/* A set archive_dir that cannot be used: a failed attempt, counted, with the reason. */
void
fail_on_archive_dir(const char *file)
{
	char problem[MAXPGPATH + 128];
	if (!pgls::archive_dir_problem(problem, sizeof problem))
		return;
	pgls::SharedState *sh = pgls::shared();
	if (sh)
		pg_atomic_fetch_add_u64(&sh->archive.io_failures, 1);
	pgls::note_error(problem);
	pgls::archiver_watch_note(true, true);
	ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					errmsg("could not archive \"%s\": %s", file, problem),
					errhint("Create the directory (the server's user must be able to write it) or "
							"fix pg_logship.archive_dir. The file stays in pg_wal, and archiving "
							"resumes by itself within seconds once the archive is usable.")));
}

void
report_conflict(const pgls::ArchiveCall &call, bool counts_as_archived)
{
	ereport(ERROR,
			(errcode(ERRCODE_DUPLICATE_FILE),
			 errmsg("archive already holds a different \"%s\"", call.file),
			 errdetail("The archive's copy \"%s\" was kept; this server's (%s) copy was saved as "
					   "\"%s\".",
					   call.final_path, call.server, call.quarantine_path),
			 counts_as_archived
				 ? errhint("This server is a standby: the archive's copy, normally the primary's, "
						   "stands and the file counts as archived here. Check that this standby "
						   "follows the primary's history.")
				 : errhint("Archiving of this file is retried and WAL stays in pg_wal. If the "
						   "archive's copy belongs to another history, move it aside.")));
}

/* On a standby a conflict is logged at ERROR level but archiving goes on. */
void
report_conflict_and_continue(const pgls::ArchiveCall &call)
{
	MemoryContext ctx = CurrentMemoryContext;
	PG_TRY();
	{
		report_conflict(call, true);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(ctx);
		EmitErrorReport();
		FlushErrorState();
	}
	PG_END_TRY();
}

/* May ereport(ERROR); holds no C++ object with a destructor. */
bool
archive_one(const char *file, const char *path)
{
	pgls::ArchiveCall call;
	pgls::SharedState *sh = pgls::shared();
	TimestampTz now = GetCurrentTimestamp();

	memset(&call, 0, sizeof call);
	call.root = pgls_archive_dir;
	call.layout = pgls_archive_layout;
	pgls::effective_server_name(call.server, sizeof call.server);
	call.file = file;
	call.path = path;
	call.pid = MyProcPid;
	call.sysid = GetSystemIdentifier();
	call.seg_size = wal_segment_size;
	call.sweep = last_sweep == 0 || TimestampDifferenceExceeds(last_sweep, now, kSweepIntervalMs);
	call.compression = pgls_compression;
	call.level = pgls_compression_level;
	call.file_mode = pg_file_create_mode;
	call.dir_mode = pg_dir_create_mode;
	call.s3 = pgls::s3_setting_values();
	call.probe_ok = pgls::s3_probe_known_ok(call.root, call.s3);

	/* A missing or unwritable archive directory: the failed attempt says so (and the claim
	 * below would only fail on it less clearly). */
	fail_on_archive_dir(file);

	/*
	 * The name must be this server's before anything in the archive is touched (sweep, look-ahead
	 * jobs for the workers, the file): ERROR when another server holds it.
	 */
	pgls::archive_identity_check(&call);

	/* A worker may have archived it already (look-ahead); else archive it here. */
	bool by_worker = pgls::archive_pool_take(&call);
	if (!by_worker)
		pgls::run_archive_call(&call);

	if (call.level_clamped &&
		(clamp_warned_compression != call.compression || clamp_warned_level != call.level))
	{
		clamp_warned_compression = call.compression;
		clamp_warned_level = call.level;
		ereport(WARNING,
				(errmsg("pg_logship.compression_level %d is above the maximum of %s; using %d",
						call.level,
						pgls::compression_name(static_cast<pgls::Compression>(call.compression)),
						call.level_used),
				 errhint("lz4 levels are 1..12, zstd levels 1..19; 0 is the library's default.")));
	}

	if (call.sweep && call.status != pgls::CallStatus::Failed)
		last_sweep = now;
	if (call.probe_ran)
		pgls::s3_probe_note_ok(call.root, call.s3);
	if (sh)
	{
		pg_atomic_fetch_add_u64(&sh->archive.bytes_written, call.bytes_written);
		pg_atomic_fetch_add_u64(&sh->archive.bytes_original, call.bytes_original);
		pg_atomic_fetch_add_u64(&sh->archive.temp_files_swept, call.swept);
	}
	if (call.swept > 0)
		ereport(LOG, (errmsg("pg_logship removed %d stale temp file(s) of server \"%s\"",
							 call.swept, call.server)));

	switch (call.status)
	{
		case pgls::CallStatus::Refused:
			if (sh)
				pg_atomic_fetch_add_u64(&sh->archive.refused, 1);
			pgls::note_error(call.message);
			pgls::archiver_watch_note(true, false);
			ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("%s", call.message),
							errdetail("%s", call.detail),
							errhint("pg_logship archives only this cluster's WAL, history, "
									"partial and backup files; the file stays in pg_wal.")));
			break;
		case pgls::CallStatus::Damaged:
			if (sh)
				pg_atomic_fetch_add_u64(&sh->archive.io_failures, 1);
			pgls::note_error(call.message);
			pgls::archiver_watch_note(true, false);
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("archive holds a damaged copy of \"%s\"", file),
					 errdetail("%s", call.message),
					 errhint("Nothing was overwritten; the archiver retries and the file stays in "
							 "pg_wal. Move \"%s\" aside (check it with pg_logship verify --deep): "
							 "this server then archives its own copy.",
							 call.detail)));
			break;
		case pgls::CallStatus::Failed:
			if (sh)
				pg_atomic_fetch_add_u64(&sh->archive.io_failures, 1);
			pgls::note_error(call.message);
			pgls::archiver_watch_note(true, pgls::archive_error_blocks(call.err) ||
												call.store_unreachable);
			errno = call.err;
			ereport(ERROR, (call.err ? errcode_for_file_access() : errcode(ERRCODE_INTERNAL_ERROR),
							errmsg("could not archive \"%s\": %s", file, call.message),
							call.detail[0] ? errdetail("%s", call.detail) : 0,
							errhint("The archiver retries; the file stays in pg_wal.")));
			break;
		case pgls::CallStatus::Ok:
			break;
	}
	pgls::archiver_watch_note(false, false);

	switch (static_cast<pgls::ArchiveResult>(call.result))
	{
		case pgls::ArchiveResult::Published:
			if (sh)
				pg_atomic_fetch_add_u64(&sh->archive.published, 1);
			ereport(DEBUG1, (errmsg("archived \"%s\" as \"%s\"", file, call.final_path)));
			pgls::archive_pool_note_done(by_worker);
			return true;
		case pgls::ArchiveResult::AlreadyArchived:
			if (sh)
				pg_atomic_fetch_add_u64(&sh->archive.acknowledged, 1);
			ereport(DEBUG1, (errmsg("\"%s\" is already archived with identical content", file)));
			pgls::archive_pool_note_done(by_worker);
			return true;
		case pgls::ArchiveResult::Conflict:
		{
			bool archived = pgls::conflict_counts_as_archived(RecoveryInProgress());
			pgls::note_conflict(file);
			if (!archived)
				report_conflict(call, false);
			report_conflict_and_continue(call);
			pgls::archive_pool_note_done(by_worker);
			return true;
		}
	}
	return false;
}

bool
archive_file(PGLS_ARCHIVE_STATE_PARAM const char *file, const char *path)
{
	sigjmp_buf local_sigjmp_buf;
	volatile bool result = false;
	/* NULL before PG17; since PG17 the archiver's own handler, which is put back on return. */
	sigjmp_buf *const outer_exception_stack = PG_exception_stack;

	if (archive_context == nullptr)
		archive_context =
			AllocSetContextCreate(TopMemoryContext, "pg_logship archive", ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcontext = MemoryContextSwitchTo(archive_context);

	/*
	 * The archiver runs at the bottom of the exception stack: before PG17 an ERROR here would be
	 * FATAL and restart it. Like basic_archive, catch it, log it, and report failure for a retry.
	 * PG17+ catch it in the archiver too; catching it here keeps one behaviour (and our memory
	 * context reset) on every version.
	 */
	if (sigsetjmp(local_sigjmp_buf, 1) != 0)
	{
		error_context_stack = nullptr;
		HOLD_INTERRUPTS();
		EmitErrorReport();
		FlushErrorState();
		AtEOSubXact_Files(false, InvalidSubTransactionId, InvalidSubTransactionId);
		MemoryContextSwitchTo(oldcontext);
		MemoryContextReset(archive_context);
		PG_exception_stack = outer_exception_stack;
		RESUME_INTERRUPTS();
		return false;
	}
	PG_exception_stack = &local_sigjmp_buf;
	result = archive_one(file, path);
	PG_exception_stack = outer_exception_stack;
	MemoryContextSwitchTo(oldcontext);
	MemoryContextReset(archive_context);
	return result;
}

void
shutdown_archiver(PGLS_ARCHIVE_STATE_ONLY)
{
}

#if PG_VERSION_NUM >= 160000
const ArchiveModuleCallbacks pgls_callbacks = {
	nullptr, /* startup_cb */
	check_configured,
	archive_file,
	shutdown_archiver,
};
#else
const ArchiveModuleCallbacks pgls_callbacks = {
	check_configured,
	archive_file,
	shutdown_archiver,
};
#endif

} // namespace

PGLS_ARCHIVE_MODULE_INIT(pgls_callbacks)
