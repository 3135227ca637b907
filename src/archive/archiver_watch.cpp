/*
 * archiver_watch.cpp -- waking the archiver when an archive fault clears (archiver_watch.hpp).
 */
#include "archive/archiver_watch.hpp"
#include "s3_settings.hpp"
#include "archive/store_cache.hpp"

#include "archive/archive_dir.hpp"
#include "archive/ready_files.hpp"
#include "core/layout.hpp"
#include "pg/guard.hpp"
#include "settings.hpp"
#include "shmem.hpp"
#include "worker/worker.hpp"

extern "C"
{
#include "port/atomics.h"
#include "postmaster/pgarch.h"
}

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace pgls
{

namespace
{

constexpr long kWatchIntervalMs = 1000;
constexpr long kFirstBackoffMs = 2000;
constexpr long kMaxBackoffMs = 60 * 1000;

struct WatchShared
{
	pg_atomic_uint32 failing; /* the archiver's last attempt failed */
	pg_atomic_uint32 blocked; /* ... because the archive was not accessible, writable or full */
	pg_atomic_uint64 wakeups;
};

WatchShared *watch = nullptr;

/* The monitor worker's own state. */
bool saw_blocked = false;    /* the watch saw the archive not accessible since the failure */
TimestampTz next_wakeup = 0; /* no wake-up before this */
long backoff_ms = 0;         /* the next spacing */

void
init_watch(void *mem)
{
	WatchShared *w = static_cast<WatchShared *>(mem);
	pg_atomic_init_u32(&w->failing, 0);
	pg_atomic_init_u32(&w->blocked, 0);
	pg_atomic_init_u64(&w->wakeups, 0);
}

long
watch_interval(void)
{
	return watch ? kWatchIntervalMs : 0;
}

/* The folder this server writes archived files to (core/layout.hpp), into buf. */
void
write_folder(char *buf, size_t len)
{
	char server[64];
	effective_server_name(server, sizeof server);
	const char *root = pgls_archive_dir;
	int layout = pgls_archive_layout;
	cpp_entry(
		[&]()
		{
			ArchiveLayout l;
			l.root = root;
			l.layout = static_cast<Layout>(layout);
			l.server = server;
			strlcpy(buf, l.wal_dir().c_str(), len);
		});
}

/*
 * Whether an attempt could succeed as far as can be seen from outside: the root is a writable
 * directory, so is this server's folder in it (or it can be made), and their filesystem has room
 * for one more segment.
 */
bool
archive_accessible(void)
{
	char problem[MAXPGPATH + 128];
	if (archive_dir_problem(problem, sizeof problem))
		return false;
	if (strncmp(pgls_archive_dir, "s3://", 5) == 0)
	{
		/* An object store: whether it answers (one quick request, only while failing). */
		StoreSpec spec;
		spec.location = pgls_archive_dir;
		spec.s3 = s3_settings_from(s3_setting_values());
		return store_reachable(spec);
	}
	char folder[MAXPGPATH];
	write_folder(folder, sizeof folder);
	struct stat st;
	const char *fs_path = folder;
	if (stat(folder, &st) == 0)
	{
		if (!S_ISDIR(st.st_mode) || access(folder, W_OK | X_OK) != 0)
			return false;
	}
	else if (errno == ENOENT)
		fs_path = pgls_archive_dir; /* made at the next attempt */
	else
		return false;
	struct statvfs vfs;
	if (statvfs(fs_path, &vfs) != 0)
		return false;
	uint64 room = static_cast<uint64>(vfs.f_bavail) * static_cast<uint64>(vfs.f_frsize);
	return room > static_cast<uint64>(wal_segment_size);
}

/* Whether at least one .ready file waits. */
bool
ready_files_wait(void)
{
	DIR *dir = AllocateDir(kArchiveStatusDir);
	struct dirent *de;
	bool found = false;
	while (!found && (de = ReadDirExtended(dir, kArchiveStatusDir, LOG)) != nullptr)
	{
		char name[MAXPGPATH];
		found = ready_file_name(de->d_name, name, sizeof name);
	}
	FreeDir(dir);
	return found;
}

void
watch_run(void)
{
	if (pg_atomic_read_u32(&watch->failing) == 0)
	{
		saw_blocked = false;
		backoff_ms = 0;
		next_wakeup = 0;
		return;
	}
	if (pgls_archive_dir == nullptr || pgls_archive_dir[0] == '\0')
		return; /* not configured: the archiver does not even try */
	bool accessible = archive_accessible();
	bool blocked = pg_atomic_read_u32(&watch->blocked) != 0;
	TimestampTz now = GetCurrentTimestamp();
	elog(DEBUG1,
		 "pg_logship archiver watch: the archiver is failing; archive accessible: %s, attempt "
		 "blocked: %s, seen blocked: %s, next wake-up in %ld ms",
		 accessible ? "yes" : "no", blocked ? "yes" : "no", saw_blocked ? "yes" : "no",
		 next_wakeup > now ? static_cast<long>((next_wakeup - now) / 1000) : 0L);
	if (!accessible)
	{
		saw_blocked = true;
		return;
	}
	/* Only a fault the watch can see clear: others (a refused file, a damaged archived copy)
	 * are retried at the archiver's own pace. */
	if (!saw_blocked && !blocked)
		return;
	if (now < next_wakeup || !ready_files_wait())
		return;

	pg_atomic_write_u32(&watch->blocked, 0);
	saw_blocked = false;
	uint64 n = pg_atomic_add_fetch_u64(&watch->wakeups, 1);
	PgArchWakeup();
	ereport(LOG,
			(errmsg("pg_logship woke the archiver: the archive \"%s\" is accessible again",
					pgls_archive_dir),
			 errdetail("Its last attempt failed and files are waiting; without a wake-up it "
					   "would retry only after up to a minute. Wake-ups so far: " UINT64_FORMAT ".",
					   n)));
	backoff_ms = backoff_ms == 0 ? kFirstBackoffMs : Min(backoff_ms * 2, kMaxBackoffMs);
	next_wakeup = TimestampTzPlusMilliseconds(now, backoff_ms);
}

} // namespace

bool
archive_error_blocks(int err)
{
	switch (err)
	{
		case EACCES:
		case EPERM:
		case EROFS:
		case ENOSPC:
		case EDQUOT:
		case ENOENT:
		case ENOTDIR:
			return true;
		default:
			return false;
	}
}

void
archiver_watch_note(bool failed, bool blocked)
{
	if (watch == nullptr)
		return;
	if (failed && blocked)
		pg_atomic_write_u32(&watch->blocked, 1);
	pg_atomic_write_u32(&watch->failing, failed ? 1 : 0);
	if (!failed)
		pg_atomic_write_u32(&watch->blocked, 0);
}

uint64
archiver_watch_wakeups(void)
{
	return watch ? pg_atomic_read_u64(&watch->wakeups) : 0;
}

void
archiver_watch_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	shmem_register("pg_logship archiver watch", sizeof(WatchShared), init_watch,
				   reinterpret_cast<void **>(&watch));
	worker_register_task(
		WorkerTask{"archiver watch", WorkerKind::Monitor, watch_interval, watch_run});
}

} // namespace pgls
