/*
 * archive_worker.cpp -- running one archive job, and the archive workers' main loop (pool.hpp).
 */
#include "archive/pool_shared.hpp"
#include "archive/s3_probe.hpp"
#include "pg/procs.hpp"
#include "s3_settings.hpp"

extern "C"
{
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
}

namespace pgls
{

namespace
{

long
worker_sleep_ms(void)
{
	return 1000;
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

} // namespace

bool
run_queued_job(void)
{
	uint32 slot;
	if (!job_queue_pop(pool_queue(), &slot) || slot >= static_cast<uint32>(kSlots))
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

	/* No pool, or workers disabled (the queue is not lock-free here): nothing to do, ever. */
	if (pool == nullptr || index >= kMaxWorkers || index >= pool->n_workers)
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
