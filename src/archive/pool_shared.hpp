/*
 * pool_shared.hpp -- the archive workers' shared state, for the files of the pool (pool.hpp).
 *
 *   pool.cpp            the shared struct, settings, worker registration, statistics
 *   lookahead.cpp       the archiver's batch of .ready names and queueing jobs from it
 *   pool_take.cpp       the archiver taking a worker's outcome (and running queued jobs itself)
 *   archive_worker.cpp  running one job; the archive workers' main loop
 *
 * Job slots: the archiver claims a free slot, fills in the job and queues its number; a worker
 * (or the archiver itself, while it waits) pops it, runs it and leaves the outcome in the slot;
 * the archiver takes the outcome and frees the slot.
 */
#pragma once

#include "pg/pg_headers.hpp"

#include "archive/archive_call.hpp"
#include "archive/job_queue.hpp"

extern "C"
{
#include "port/atomics.h"
}

namespace pgls
{

constexpr int kMaxWorkers = 16;
constexpr int kSlots = static_cast<int>(kJobQueueCapacity);
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
	int n_workers; /* 0: workers disabled (the queue is not lock-free here) */
	pg_atomic_uint32 workers_running;
	int worker_procno[kMaxWorkers];   /* -1 when not running */
	pg_atomic_uint32 archiver_procno; /* set by the archiver, to wake it when a job is done */
	pg_atomic_uint64 worker_files;
	pg_atomic_uint64 inline_files;
	pg_atomic_uint64 lookahead_scans; /* directory scans of pg_wal/archive_status */
	slock_t mutex;                    /* protects recent[] */
	TimestampTz recent[kRecent];
	int recent_next;
	Slot slots[kSlots];
	/* The Boost.Lockfree queue of slot numbers follows, aligned. */
};

/* The pool in shared memory; nullptr without preload or without workers. */
extern Pool *pool;

/* The job queue that follows the pool. */
void *pool_queue(void);

/* The slot holding `file` (in any state but free), or -1. */
int find_slot(const char *file);

/* Slots queued or running. */
int busy_slots(void);

/* Sets every running worker's latch. */
void wake_workers(void);

/* In the archiver: queues up to `want` .ready files after call->file for the workers. */
void queue_lookahead(const ArchiveCall *call, int want);

/* Pops one queued job and runs it in this process; false when the queue was empty. */
bool run_queued_job(void);

} // namespace pgls
