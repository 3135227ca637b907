/*
 * pool.cpp -- archive workers' shared state, look-ahead and hand-over (see pool.hpp).
 */
#include "archive/pool.hpp"

#include "archive/job_queue.hpp"
#include "archive/ready_files.hpp"
#include "archive/s3_probe.hpp"
#include "s3_settings.hpp"
#include "pg/procs.hpp"
#include "shmem.hpp"

extern "C"
{
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
}

#include <sys/stat.h>

int pgls_archive_workers = 2;

namespace pgls
{

namespace
{

constexpr int kMaxWorkers = 16;
constexpr int kSlots = static_cast<int>(kJobQueueCapacity);
constexpr long kWaitForWorkerMs = 60 * 1000; /* then archive inline (the protocol is race-safe) */
constexpr long kStaleSlotMs = 10 * 60 * 1000;
constexpr int kRecent = 64;

enum SlotState : uint32
{
	SlotFree = 0,
	SlotQueued,
	SlotRunning,
	SlotDone,
};

struct Slot
{
	pg_atomic_uint32 state;
	TimestampTz since; /* queued or done at */
	/* The job: everything a worker needs, copied from the archiver's settings at queue time. */
	char file[MAXFNAMELEN];
	char root[MAXPGPATH];
	int layout;
	char server[64];
	char instance[17];
	int compression;
	int level;
	uint64 sysid;
	uint64 seg_size;
	/* The outcome (valid in SlotDone); pointers in it are not used across processes. */
	ArchiveCall result;
};

struct Pool
{
	int n_workers;
	pg_atomic_uint32 workers_running;
	int worker_procno[kMaxWorkers];   /* -1 when not running */
	pg_atomic_uint32 archiver_procno; /* set by the archiver, to wake it when a job is done */
	pg_atomic_uint64 worker_files;
	pg_atomic_uint64 inline_files;
	slock_t mutex; /* protects recent[] */
	TimestampTz recent[kRecent];
	int recent_next;
	Slot slots[kSlots];
	/* The Boost.Lockfree queue of slot numbers follows, aligned. */
};

Pool *pool = nullptr;

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
init_pool(void *mem)
{
	Pool *p = static_cast<Pool *>(mem);
	p->n_workers = pgls_archive_workers;
	pg_atomic_init_u32(&p->workers_running, 0);
	for (int i = 0; i < kMaxWorkers; i++)
		p->worker_procno[i] = -1;
	pg_atomic_init_u32(&p->archiver_procno, UINT32_MAX);
	pg_atomic_init_u64(&p->worker_files, 0);
	pg_atomic_init_u64(&p->inline_files, 0);
	SpinLockInit(&p->mutex);
	for (int i = 0; i < kSlots; i++)
		pg_atomic_init_u32(&p->slots[i].state, SlotFree);
	if (!job_queue_init(queue_of(p)))
		elog(WARNING, "pg_logship: the archive job queue is not lock-free on this platform");
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
same_job(const Slot &s, const ArchiveCall *call)
{
	return strcmp(s.file, call->file) == 0 && strcmp(s.root, call->root) == 0 &&
		   s.layout == call->layout && strcmp(s.server, call->server) == 0 &&
		   s.compression == call->compression && s.level == call->level;
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

/* Frees Done slots nobody asked for in a long time (their .ready went away). */
void
reap_stale(TimestampTz now)
{
	for (int i = 0; i < kSlots; i++)
	{
		Slot &s = pool->slots[i];
		if (pg_atomic_read_u32(&s.state) == SlotDone &&
			TimestampDifferenceExceeds(s.since, now, kStaleSlotMs))
			pg_atomic_write_u32(&s.state, SlotFree);
	}
}

int
compare_ready(const void *a, const void *b)
{
	const char *x = static_cast<const char *>(a);
	const char *y = static_cast<const char *>(b);
	/* Like the archiver: history files first, then the oldest. */
	bool hx = strstr(x, ".history") != nullptr;
	bool hy = strstr(y, ".history") != nullptr;
	if (hx != hy)
		return hx ? -1 : 1;
	return strcmp(x, y);
}

/*
 * Queues up to `want` .ready files other than the offered one that no slot holds yet: the first
 * `want` in archiving order, kept sorted while the directory is read (want is at most two per
 * worker, so a backlog of any size costs one pass).
 */
void
queue_lookahead(const ArchiveCall *call, int want)
{
	char(*names)[MAXFNAMELEN] = static_cast<char(*)[MAXFNAMELEN]>(palloc(want * MAXFNAMELEN));
	int n = 0;
	DIR *dir = AllocateDir(kArchiveStatusDir);
	struct dirent *de;
	while ((de = ReadDirExtended(dir, kArchiveStatusDir, LOG)) != nullptr)
	{
		char name[MAXFNAMELEN];
		if (!ready_file_name(de->d_name, name, sizeof name) || strcmp(name, call->file) == 0 ||
			find_slot(name) >= 0)
			continue;
		if (n == want && compare_ready(name, names[n - 1]) >= 0)
			continue;
		/* Insert in order; when full, the last one falls off. */
		int pos = n < want ? n : n - 1;
		while (pos > 0 && compare_ready(name, names[pos - 1]) < 0)
		{
			memcpy(names[pos], names[pos - 1], MAXFNAMELEN);
			pos--;
		}
		strlcpy(names[pos], name, MAXFNAMELEN);
		if (n < want)
			n++;
	}
	FreeDir(dir);

	TimestampTz now = GetCurrentTimestamp();
	int queued = 0;
	for (int k = 0; k < n && queued < want; k++)
	{
		for (int i = 0; i < kSlots; i++)
		{
			Slot &s = pool->slots[i];
			uint32 expected = SlotFree;
			if (pg_atomic_read_u32(&s.state) != SlotFree)
				continue;
			/* Only the archiver claims free slots; the CAS guards against a restarted one. */
			strlcpy(s.file, names[k], sizeof s.file);
			strlcpy(s.root, call->root, sizeof s.root);
			s.layout = call->layout;
			strlcpy(s.server, call->server, sizeof s.server);
			strlcpy(s.instance, call->instance, sizeof s.instance);
			s.compression = call->compression;
			s.level = call->level;
			s.sysid = call->sysid;
			s.seg_size = call->seg_size;
			s.since = now;
			pg_write_barrier();
			if (!pg_atomic_compare_exchange_u32(&s.state, &expected, SlotQueued))
				continue;
			if (!job_queue_push(queue_of(pool), static_cast<uint32>(i)))
				pg_atomic_write_u32(&s.state, SlotFree);
			else
				queued++;
			break;
		}
	}
	pfree(names);
	if (queued > 0)
		wake_workers();
}

/* Runs one job; PG calls only around run_archive_call (which never throws). */
void
run_job(Slot &s)
{
	char path[MAXPGPATH];
	snprintf(path, sizeof path, XLOGDIR "/%s", s.file);
	ArchiveCall call;
	memset(&call, 0, sizeof call);
	call.root = s.root;
	call.layout = s.layout;
	strlcpy(call.server, s.server, sizeof call.server);
	strlcpy(call.instance, s.instance, sizeof call.instance);
	call.file = s.file;
	call.path = path;
	call.pid = MyProcPid;
	call.sysid = s.sysid;
	call.seg_size = s.seg_size;
	call.compression = s.compression;
	call.level = s.level;
	call.file_mode = pg_file_create_mode;
	call.dir_mode = pg_dir_create_mode;
	call.s3 = s3_setting_values();
	call.probe_ok = s3_probe_known_ok(call.root, call.s3);
	call.sweep = false;
	run_archive_call(&call);
	if (call.probe_ran)
		s3_probe_note_ok(call.root, call.s3);
	s.result = call;
	s.since = GetCurrentTimestamp();
	pg_write_barrier();
	pg_atomic_write_u32(&s.state, SlotDone);
}

/* Pops one queued job and runs it here; false when the queue was empty. */
bool
run_queued_job(void)
{
	uint32 slot;
	if (!job_queue_pop(queue_of(pool), &slot) || slot >= static_cast<uint32>(kSlots))
		return false;
	Slot &s = pool->slots[slot];
	uint32 expected = SlotQueued;
	if (pg_atomic_compare_exchange_u32(&s.state, &expected, SlotRunning))
	{
		pg_read_barrier();
		run_job(s);
	}
	return true;
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

long
worker_sleep_ms(void)
{
	return 1000;
}

} // namespace

bool
archive_pool_active(void)
{
	return pool != nullptr && pool->n_workers > 0;
}

bool
archive_pool_take(ArchiveCall *call)
{
	if (!archive_pool_active())
		return false;
	TimestampTz now = GetCurrentTimestamp();
	pg_atomic_write_u32(&pool->archiver_procno, static_cast<uint32>(my_proc_number()));
	reap_stale(now);

	/* Keep every worker busy with up to two files each, in archiving order. */
	int in_flight = busy_slots();
	int want = 2 * pool->n_workers - in_flight;
	if (want > 0)
		queue_lookahead(call, want);

	int i = find_slot(call->file);
	if (i < 0)
		return false;
	Slot &s = pool->slots[i];
	if (!same_job(s, call))
	{
		/* Settings changed since it was queued: archive inline with the new ones. */
		if (pg_atomic_read_u32(&s.state) == SlotDone)
			pg_atomic_write_u32(&s.state, SlotFree);
		return false;
	}
	for (;;)
	{
		uint32 st = pg_atomic_read_u32(&s.state);
		if (st == SlotDone)
			break;
		if (st == SlotFree ||
			TimestampDifferenceExceeds(now, GetCurrentTimestamp(), kWaitForWorkerMs))
			return false;
		/*
		 * Rather than sleep while a worker has this file, archive a queued one (this file's own
		 * job, if no worker took it yet): when a worker waits for its fsync, a core would idle.
		 */
		if (run_queued_job())
			continue;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	pg_read_barrier();
	/* Copy the outcome; the input pointers are this process's own. */
	ArchiveCall result = s.result;
	pg_atomic_write_u32(&s.state, SlotFree);
	result.root = call->root;
	result.file = call->file;
	result.path = call->path;
	result.sweep = false;
	*call = result;
	return true;
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
	shmem_register("pg_logship archive workers", add_size(queue_offset(), job_queue_size()),
				   init_pool, reinterpret_cast<void **>(&pool));
	for (int i = 0; i < pgls_archive_workers; i++)
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

extern "C"
{
	PGDLLEXPORT void pgls_archive_worker_main(Datum arg);
}

void
pgls_archive_worker_main(Datum arg)
{
	using namespace pgls;
	int index = DatumGetInt32(arg);

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (pool == nullptr || index >= kMaxWorkers)
		proc_exit(0);
	pool->worker_procno[index] = my_proc_number();
	pg_atomic_fetch_add_u32(&pool->workers_running, 1);
	before_shmem_exit(
		[](int, Datum a)
		{
			pool->worker_procno[DatumGetInt32(a)] = -1;
			pg_atomic_fetch_sub_u32(&pool->workers_running, 1);
		},
		arg);

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (run_queued_job())
		{
			/* Wake the archiver, which may be waiting for this file. */
			uint32 procno = pg_atomic_read_u32(&pool->archiver_procno);
			if (procno != UINT32_MAX)
				set_proc_latch(static_cast<int>(procno));
			continue;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 worker_sleep_ms(), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
