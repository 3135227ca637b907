/*
 * pool.cpp -- archive workers' shared state, settings, registration and statistics (pool.hpp).
 */
#include "archive/pool.hpp"

#include "archive/pool_shared.hpp"
#include "pg/procs.hpp"
#include "shmem.hpp"

extern "C"
{
#include "postmaster/bgworker.h"
#include "storage/latch.h"
#include "storage/proc.h"
}

int pgls_archive_workers = 2;

namespace pgls
{

Pool *pool = nullptr;

namespace
{

/* Workers this server runs: pgls_archive_workers, or 0 when they had to be disabled. */
int workers_allowed = 0;

Size
queue_offset(void)
{
	Size align = Max(job_queue_align(), static_cast<size_t>(MAXIMUM_ALIGNOF));
	return TYPEALIGN(align, sizeof(Pool));
}

void *
queue_of(Pool *p)
{
	return reinterpret_cast<char *>(p) + queue_offset();
}

void
report_not_lock_free(int configured)
{
	ereport(WARNING,
			(errmsg("pg_logship.archive_workers = %d is ignored: the archive job queue is not "
					"lock-free on this platform",
					configured),
			 errdetail("Boost.Lockfree falls back to locks that work only within one process, so "
					   "its queue cannot be shared by the archiver and the archive workers. The "
					   "workers are not started; the archiver archives every file itself, one at "
					   "a time."),
			 errhint("Set pg_logship.archive_workers = 0 to archive inline without this "
					 "warning.")));
}

void
init_pool(void *mem)
{
	Pool *p = static_cast<Pool *>(mem);
	p->n_workers = workers_allowed;
	pg_atomic_init_u32(&p->workers_running, 0);
	for (int i = 0; i < kMaxWorkers; i++)
		p->worker_procno[i] = -1;
	pg_atomic_init_u32(&p->archiver_procno, UINT32_MAX);
	pg_atomic_init_u64(&p->worker_files, 0);
	pg_atomic_init_u64(&p->inline_files, 0);
	pg_atomic_init_u64(&p->lookahead_scans, 0);
	SpinLockInit(&p->mutex);
	for (int i = 0; i < kSlots; i++)
		pg_atomic_init_u32(&p->slots[i].state, SlotFree);
	/* Checked at _PG_init on a queue of the same type; this one is the one shared. */
	p->n_workers = archive_workers_allowed(p->n_workers, job_queue_init(queue_of(p)));
	if (p->n_workers == 0 && workers_allowed > 0)
		report_not_lock_free(workers_allowed);
}

} // namespace

void *
pool_queue(void)
{
	return queue_of(pool);
}

int
find_slot(const char *file)
{
	for (int i = 0; i < kSlots; i++)
	{
		uint32 st = pg_atomic_read_u32(&pool->slots[i].state);
		if (st != SlotFree && strcmp(pool->slots[i].file, file) == 0)
			return i;
	}
	return -1;
}

int
busy_slots(void)
{
	int busy = 0;
	for (int i = 0; i < kSlots; i++)
	{
		uint32 st = pg_atomic_read_u32(&pool->slots[i].state);
		busy += st == SlotQueued || st == SlotRunning;
	}
	return busy;
}

void
wake_workers(void)
{
	for (int i = 0; i < pool->n_workers && i < kMaxWorkers; i++)
	{
		int procno = pool->worker_procno[i];
		if (procno >= 0)
			set_proc_latch(procno);
	}
}

bool
archive_pool_active(void)
{
	return pool != nullptr && pool->n_workers > 0;
}

void
archive_pool_note_done(bool by_worker)
{
	if (!pool)
		return;
	pg_atomic_fetch_add_u64(by_worker ? &pool->worker_files : &pool->inline_files, 1);
	TimestampTz now = GetCurrentTimestamp();
	SpinLockAcquire(&pool->mutex);
	pool->recent[pool->recent_next] = now;
	pool->recent_next = (pool->recent_next + 1) % kRecent;
	SpinLockRelease(&pool->mutex);
}

void
archive_pool_stats(PoolStats *out)
{
	memset(out, 0, sizeof *out);
	out->workers = pgls_archive_workers;
	if (!pool)
		return;
	out->workers_running = static_cast<int>(pg_atomic_read_u32(&pool->workers_running));
	out->queued = busy_slots();
	out->worker_files = pg_atomic_read_u64(&pool->worker_files);
	out->inline_files = pg_atomic_read_u64(&pool->inline_files);
	out->lookahead_scans = pg_atomic_read_u64(&pool->lookahead_scans);

	TimestampTz now = GetCurrentTimestamp();
	TimestampTz recent[kRecent];
	SpinLockAcquire(&pool->mutex);
	memcpy(recent, pool->recent, sizeof recent);
	SpinLockRelease(&pool->mutex);
	int n = 0;
	TimestampTz oldest = now;
	for (int i = 0; i < kRecent; i++)
		if (recent[i] != 0 && !TimestampDifferenceExceeds(recent[i], now, 60 * 1000))
		{
			n++;
			oldest = Min(oldest, recent[i]);
		}
	if (n > 1 && now > oldest)
		out->files_per_second = n / (static_cast<double>(now - oldest) / USECS_PER_SEC);
}

void
archive_pool_init(void)
{
	DefineCustomIntVariable(
		"pg_logship.archive_workers",
		"Worker processes that archive upcoming WAL files in parallel with the archiver.",
		"0 archives inline in the archiver, one file at a time.", &pgls_archive_workers, 2, 0,
		kMaxWorkers, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);

	if (!process_shared_preload_libraries_in_progress || pgls_archive_workers == 0)
		return;
	/* A queue that is not lock-free here would lock only within one process: no workers. */
	workers_allowed = archive_workers_allowed(pgls_archive_workers, job_queue_lock_free());
	if (workers_allowed == 0)
	{
		report_not_lock_free(pgls_archive_workers);
		return;
	}
	shmem_register("pg_logship archive workers", add_size(queue_offset(), job_queue_size()),
				   init_pool, reinterpret_cast<void **>(&pool));
	for (int i = 0; i < workers_allowed; i++)
	{
		BackgroundWorker bgw;
		memset(&bgw, 0, sizeof bgw);
		bgw.bgw_flags = BGWORKER_SHMEM_ACCESS;
		bgw.bgw_start_time = BgWorkerStart_PostmasterStart;
		bgw.bgw_restart_time = 5;
		bgw.bgw_main_arg = Int32GetDatum(i);
		strlcpy(bgw.bgw_library_name, "pg_logship", sizeof bgw.bgw_library_name);
		strlcpy(bgw.bgw_function_name, "pgls_archive_worker_main", sizeof bgw.bgw_function_name);
		snprintf(bgw.bgw_name, sizeof bgw.bgw_name, "pg_logship archive worker %d", i + 1);
		strlcpy(bgw.bgw_type, "pg_logship archive worker", sizeof bgw.bgw_type);
		RegisterBackgroundWorker(&bgw);
	}
}

} // namespace pgls
