/*
 * pool_take.cpp -- the archiver's side of the hand-over: queue look-ahead jobs, take a worker's
 * outcome for the offered file, run queued jobs while waiting (pool.hpp).
 */
#include "archive/pool.hpp"

#include "archive/pool_shared.hpp"
#include "pg/procs.hpp"

extern "C"
{
#include "storage/latch.h"
#include "storage/proc.h"
}

namespace pgls
{

namespace
{

constexpr long kWaitForWorkerMs = 60 * 1000; /* then archive inline (the protocol is race-safe) */
constexpr long kStaleSlotMs = 10 * 60 * 1000;

bool
same_job(const Slot &s, const ArchiveCall *call)
{
	return strcmp(s.file, call->file) == 0 && strcmp(s.root, call->root) == 0 &&
		   s.layout == call->layout && strcmp(s.server, call->server) == 0 &&
		   s.compression == call->compression && s.level == call->level;
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

} // namespace

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

} // namespace pgls
