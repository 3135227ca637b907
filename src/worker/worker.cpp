/*
 * worker.cpp -- the background workers' main loop (see worker.hpp).
 */
#include "worker/worker.hpp"

extern "C"
{
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
}

namespace pgls
{

namespace
{

constexpr int kMaxTasks = 8;
constexpr long kIdleSleepMs = 10 * 1000;
/* After an error, as PostgreSQL's auxiliary processes do: a failure likely repeats at once. */
constexpr long kErrorSleepMs = 1000;

const char *const kWorkerNames[kWorkerKinds] = {"pg_logship monitor", "pg_logship retention"};

WorkerTask tasks[kMaxTasks];
int n_tasks = 0;
/* This worker process's own: when each of its tasks last started. */
TimestampTz last_run[kMaxTasks];

/* One pass: runs this worker's due tasks; returns ms until the next one is due. */
long
run_due_tasks(WorkerKind kind, MemoryContext pass_ctx)
{
	long sleep_ms = kIdleSleepMs;
	for (int i = 0; i < n_tasks; i++)
	{
		if (tasks[i].worker != kind)
			continue;
		long interval = tasks[i].interval_ms();
		if (interval <= 0)
			continue;
		TimestampTz now = GetCurrentTimestamp();
		if (last_run[i] == 0 || TimestampDifferenceExceeds(last_run[i], now, interval))
		{
			/* Set first: a task that fails is not retried before its next interval. */
			last_run[i] = now;
			MemoryContextSwitchTo(pass_ctx);
			tasks[i].run();
			MemoryContextSwitchTo(TopMemoryContext);
			MemoryContextReset(pass_ctx);
		}
		long left = interval - TimestampDifferenceMilliseconds(last_run[i], GetCurrentTimestamp());
		sleep_ms = Max(1, Min(sleep_ms, left));
	}
	return sleep_ms;
}

/*
 * After an ERROR escaped a task: what PostgreSQL's auxiliary processes do at the top of their
 * loop (checkpointer.c, bgwriter.c), minus what a worker without buffers or transactions never
 * holds.
 */
void
recover_from_error(MemoryContext pass_ctx)
{
	/* Since not using PG_TRY, the error context stack must be reset by hand. */
	error_context_stack = nullptr;
	HOLD_INTERRUPTS();
	EmitErrorReport();
	LWLockReleaseAll();
	ConditionVariableCancelSleep();
	pgstat_report_wait_end();
	AtEOXact_Files(false);
	MemoryContextSwitchTo(TopMemoryContext);
	FlushErrorState();
	MemoryContextReset(pass_ctx);
	RESUME_INTERRUPTS();
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, kErrorSleepMs,
					 PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
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
	for (int kind = 0; kind < kWorkerKinds; kind++)
	{
		bool has_tasks = false;
		for (int i = 0; i < n_tasks; i++)
			has_tasks |= static_cast<int>(tasks[i].worker) == kind;
		if (!has_tasks)
			continue;

		BackgroundWorker bgw;
		memset(&bgw, 0, sizeof bgw);
		bgw.bgw_flags = BGWORKER_SHMEM_ACCESS;
		bgw.bgw_start_time = BgWorkerStart_PostmasterStart;
		bgw.bgw_restart_time = 5;
		bgw.bgw_main_arg = Int32GetDatum(kind);
		strlcpy(bgw.bgw_library_name, "pg_logship", sizeof bgw.bgw_library_name);
		strlcpy(bgw.bgw_function_name, "pgls_worker_main", sizeof bgw.bgw_function_name);
		strlcpy(bgw.bgw_name, kWorkerNames[kind], sizeof bgw.bgw_name);
		strlcpy(bgw.bgw_type, kWorkerNames[kind], sizeof bgw.bgw_type);
		RegisterBackgroundWorker(&bgw);
	}
}

} // namespace pgls

extern "C"
{
	PGDLLEXPORT void pgls_worker_main(Datum arg);

	void
	pgls_worker_main(Datum arg)
	{
		const pgls::WorkerKind kind = static_cast<pgls::WorkerKind>(DatumGetInt32(arg));
		sigjmp_buf local_sigjmp_buf;

		pqsignal(SIGHUP, SignalHandlerForConfigReload);
		pqsignal(SIGTERM, die);
		BackgroundWorkerUnblockSignals();

		MemoryContext pass_ctx = AllocSetContextCreate(TopMemoryContext, "pg_logship worker pass",
													   ALLOCSET_DEFAULT_SIZES);

		/* Every ERROR of a task lands here; the loop then goes on with the next pass. */
		if (sigsetjmp(local_sigjmp_buf, 1) != 0)
			pgls::recover_from_error(pass_ctx);
		PG_exception_stack = &local_sigjmp_buf;

		for (;;)
		{
			CHECK_FOR_INTERRUPTS();
			if (ConfigReloadPending)
			{
				ConfigReloadPending = false;
				ProcessConfigFile(PGC_SIGHUP);
			}
			long sleep_ms = pgls::run_due_tasks(kind, pass_ctx);
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, sleep_ms,
							 PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
}
