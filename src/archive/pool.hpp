/*
 * pool.hpp -- parallel look-ahead archiving: archive workers and their job slots.
 *
 * PostgreSQL's archiver hands over one file at a time. With pg_logship.archive_workers > 0, the
 * archive callback, when offered file F, looks ahead in pg_wal/archive_status (a sorted batch of
 * .ready names read in one directory scan and refilled only when it runs out, as PostgreSQL's
 * own archiver batches its scans), hands the next .ready files to worker processes (through a
 * Boost.Lockfree queue of slot numbers; each slot holds the job and, when done, its outcome),
 * archives F itself if no worker has it, and for a file a worker has, waits for and takes the
 * worker's outcome. While it waits it runs queued jobs itself (this file's among them, if no worker
 * took it yet), so that a core does not idle while the workers wait for their fsyncs. Workers run
 * the same protocol as the archiver (temp + fsync + link(2), never overwriting), so the callback
 * only confirms what is already durable; the reporting, counting and conflict policy stay in the
 * callback.
 *
 * Workers are background worker processes (no threads), started at postmaster start so that
 * standbys with archive_mode = always have them too. They are not started when the queue is not
 * lock-free on the platform (job_queue.hpp).
 */
#pragma once

#include "pg/pg_headers.hpp"

#include "archive/archive_call.hpp"

extern "C"
{
	extern int pgls_archive_workers;
}

namespace pgls
{

/* Defines pg_logship.archive_workers; with preload, registers the pool and the workers. */
void archive_pool_init(void);

/* True when workers are configured and the pool exists. */
bool archive_pool_active(void);

/*
 * In the archiver: if a worker has (or is archiving) `file` with the same settings as `call`,
 * waits for it and copies its outcome into *call, returning true. Otherwise returns false and
 * the caller archives inline. Either way, first queues look-ahead jobs for the next .ready files.
 */
bool archive_pool_take(ArchiveCall *call);

struct PoolStats
{
	int workers; /* configured */
	int workers_running;
	int queued;              /* jobs waiting or running */
	uint64 worker_files;     /* outcomes produced by workers */
	uint64 inline_files;     /* files the archiver archived itself */
	uint64 lookahead_scans;  /* directory scans of pg_wal/archive_status by the look-ahead */
	double files_per_second; /* over the last minute of completions */
};

void archive_pool_stats(PoolStats *out);

/* Called by the callback after every file it confirmed, for the throughput figure. */
void archive_pool_note_done(bool by_worker);

} // namespace pgls
