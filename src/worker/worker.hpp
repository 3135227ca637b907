/*
 * worker.hpp -- pg_logship's background workers and the tasks they run.
 *
 * Two workers, each with its own tasks, so that a slow task never holds up another worker's:
 *
 *   pg_logship monitor    the sampler (every pg_logship.sample_interval) and the archiver
 *                         watch: short passes over shared memory and pg_wal/archive_status only;
 *   pg_logship retention  the slot retention policy and the archive cleanup, which read (and
 *                         remove from) the archive and may run long on a large or slow one.
 *
 * Both start at postmaster start (BgWorkerStart_PostmasterStart, shared memory, no database), so
 * they run on primaries, hot and non-hot standbys, and survive promotion. Features register
 * tasks from _PG_init; each pass runs every task of the worker that is due, then sleeps until
 * the next one is due or the latch is set. An ERROR in a task goes to the worker's one top-level
 * handler, which cleans up as PostgreSQL's own auxiliary processes do (locks, condition
 * variables, wait event, files, memory), sleeps a moment and goes on with the next pass: the
 * failed task runs again at its next interval, the others when they are due.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace pgls
{

enum class WorkerKind : int
{
	Monitor = 0,
	Retention = 1,
};

constexpr int kWorkerKinds = 2;

struct WorkerTask
{
	const char *name;
	WorkerKind worker;
	/* Milliseconds between runs as the settings say now; <= 0 means the task is off. */
	long (*interval_ms)(void);
	/* One run. May ereport(ERROR); must not leave C++ objects live across PG calls. */
	void (*run)(void);
};

/* Adds a task (from _PG_init during preload). */
void worker_register_task(const WorkerTask &task);

/* Registers each worker that has tasks (from _PG_init during preload, after the tasks). */
void worker_register(void);

} // namespace pgls
