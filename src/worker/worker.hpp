/*
 * worker.hpp -- the one background worker, "pg_logship monitor", and the tasks it runs.
 *
 * Started at postmaster start (BgWorkerStart_PostmasterStart, shared memory, no database), so it
 * runs on primaries, hot and non-hot standbys, and survives promotion. Features register tasks
 * from _PG_init; each pass runs every task that is due, each under its own error catch (a failing
 * task is logged and retried at its next interval, the others keep running), then sleeps until the
 * next task is due or the latch is set.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace pgls
{

struct WorkerTask
{
	const char *name;
	/* Milliseconds between runs as the settings say now; <= 0 means the task is off. */
	long (*interval_ms)(void);
	/* One run. May ereport(ERROR); must not leave C++ objects live across PG calls. */
	void (*run)(void);
};

/* Adds a task (from _PG_init during preload). */
void worker_register_task(const WorkerTask &task);

/* Registers the background worker if any task was registered (from _PG_init during preload,
 * after the tasks). */
void worker_register(void);

} // namespace pgls
