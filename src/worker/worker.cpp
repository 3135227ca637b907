/*
 * worker.cpp -- the "pg_logship monitor" background worker's main loop.
 */
#include "worker/worker.hpp"

extern "C"
{
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
}

namespace pgls
{

namespace
{

constexpr int kMaxTasks = 8;
constexpr long kIdleSleepMs = 10 * 1000;
WorkerTask tasks[kMaxTasks];
TimestampTz last_run[kMaxTasks];
int n_tasks = 0;

/* Runs one task, catching its ERROR so that the worker and the other tasks carry on. */
void
run_task_caught(const WorkerTask &task, MemoryContext pass_ctx)
{
	MemoryContextSwitchTo(pass_ctx);
	PG_TRY();
	{
		task.run();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(pass_ctx);
		EmitErrorReport();
		FlushErrorState();
	}
	PG_END_TRY();
}

/* One pass: runs the due tasks; returns ms until the next one is due. */
long
run_due_tasks(MemoryContext pass_ctx)
{
	long sleep_ms = kIdleSleepMs;
	for (int i = 0; i < n_tasks; i++)
	{
		long interval = tasks[i].interval_ms();
		if (interval <= 0)
			continue;
		TimestampTz now = GetCurrentTimestamp();
		if (last_run[i] == 0 || TimestampDifferenceExceeds(last_run[i], now, interval))
		{
			last_run[i] = now;
			run_task_caught(tasks[i], pass_ctx);
			MemoryContextReset(pass_ctx);
		}
		long left = interval - TimestampDifferenceMilliseconds(last_run[i], GetCurrentTimestamp());
		sleep_ms = Max(1, Min(sleep_ms, left));
	}
	return sleep_ms;
}

} // namespace

void
worker_register_task(const WorkerTask &task)
{
	if (n_tasks >= kMaxTasks)
		elog(ERROR, "pg_logship: too many worker tasks");
	tasks[n_tasks++] = task;
}

void
worker_register(void)
{
	BackgroundWorker bgw;

	if (n_tasks == 0)
		return;
	memset(&bgw, 0, sizeof bgw);
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS;
	bgw.bgw_start_time = BgWorkerStart_PostmasterStart;
	bgw.bgw_restart_time = 5;
	strlcpy(bgw.bgw_library_name, "pg_logship", sizeof bgw.bgw_library_name);
	strlcpy(bgw.bgw_function_name, "pgls_worker_main", sizeof bgw.bgw_function_name);
	strlcpy(bgw.bgw_name, "pg_logship monitor", sizeof bgw.bgw_name);
	strlcpy(bgw.bgw_type, "pg_logship monitor", sizeof bgw.bgw_type);
	RegisterBackgroundWorker(&bgw);
}

} // namespace pgls

extern "C"
{
	PGDLLEXPORT void pgls_worker_main(Datum arg);

	void
	pgls_worker_main(Datum arg)
	{
		pqsignal(SIGHUP, SignalHandlerForConfigReload);
		pqsignal(SIGTERM, die);
		BackgroundWorkerUnblockSignals();

		MemoryContext pass_ctx = AllocSetContextCreate(TopMemoryContext, "pg_logship monitor pass",
													   ALLOCSET_DEFAULT_SIZES);

		for (;;)
		{
			CHECK_FOR_INTERRUPTS();
			if (ConfigReloadPending)
			{
				ConfigReloadPending = false;
				ProcessConfigFile(PGC_SIGHUP);
			}
			long sleep_ms = pgls::run_due_tasks(pass_ctx);
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, sleep_ms,
							 PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
}
