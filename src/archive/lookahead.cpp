/*
 * lookahead.cpp -- the archiver's batch of .ready names, and queueing jobs from it.
 *
 * Reading all of pg_wal/archive_status for every offered file costs O(n) per file, O(n^2) over
 * a backlog of n files. PostgreSQL 15's own archiver stopped doing that by keeping the first 64
 * names of one scan; so does the look-ahead: one scan fills a batch with the first kBatchSize
 * .ready names in the archiver's order (history files first, then the oldest) that no slot holds
 * yet, and the look-ahead takes names from it until it runs out; only then does it scan again
 * (at most once per offered file). That is one scan per kBatchSize files over a backlog.
 *
 * A name taken from the batch is skipped when it is the offered file, when a slot holds it, or
 * when its .ready file is gone (the archiver archived it meanwhile): one stat, as the archiver
 * checks its own batch. The batch is the archiver process's own memory; a new archiver starts
 * with an empty one.
 */
#include "archive/pool_shared.hpp"
#include "archive/ready_files.hpp"

#include <sys/stat.h>

namespace pgls
{

namespace
{

constexpr int kBatchSize = 64; /* as PostgreSQL's NUM_FILES_PER_DIRECTORY_SCAN */

struct Batch
{
	char names[kBatchSize][MAXFNAMELEN];
	int n;    /* names in the batch */
	int next; /* the next one to take */
};

Batch batch;

int
compare_ready(const char *x, const char *y)
{
	/* Like the archiver: history files first, then the oldest. */
	bool hx = strstr(x, ".history") != nullptr;
	bool hy = strstr(y, ".history") != nullptr;
	if (hx != hy)
		return hx ? -1 : 1;
	return strcmp(x, y);
}

/*
 * Refills the batch from one directory scan: the first kBatchSize .ready names in archiving order
 * other than `offered` that no slot holds, kept sorted while the directory is read.
 */
void
scan_ready_dir(const char *offered)
{
	int n = 0;
	DIR *dir = AllocateDir(kArchiveStatusDir);
	struct dirent *de;
	while ((de = ReadDirExtended(dir, kArchiveStatusDir, LOG)) != nullptr)
	{
		char name[MAXFNAMELEN];
		if (!ready_file_name(de->d_name, name, sizeof name) || strcmp(name, offered) == 0)
			continue;
		if (n == kBatchSize && compare_ready(name, batch.names[n - 1]) >= 0)
			continue;
		if (find_slot(name) >= 0)
			continue;
		/* Insert in order; when full, the last one falls off. */
		int pos = n < kBatchSize ? n : n - 1;
		while (pos > 0 && compare_ready(name, batch.names[pos - 1]) < 0)
		{
			memcpy(batch.names[pos], batch.names[pos - 1], MAXFNAMELEN);
			pos--;
		}
		strlcpy(batch.names[pos], name, MAXFNAMELEN);
		if (n < kBatchSize)
			n++;
	}
	FreeDir(dir);
	batch.n = n;
	batch.next = 0;
	pg_atomic_fetch_add_u64(&pool->lookahead_scans, 1);
}

/* Whether <file>.ready is still there (the archiver may have archived it since the scan). */
bool
still_ready(const char *file)
{
	char path[MAXPGPATH];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s.ready", kArchiveStatusDir, file);
	return stat(path, &st) == 0;
}

/* Claims a free slot for `file` with the job settings of `call` and queues it; false when no
 * slot is free or the queue is full. */
bool
queue_job(const ArchiveCall *call, const char *file, TimestampTz now)
{
	for (int i = 0; i < kSlots; i++)
	{
		Slot &s = pool->slots[i];
		uint32 expected = SlotFree;
		if (pg_atomic_read_u32(&s.state) != SlotFree)
			continue;
		/* Only the archiver claims free slots; the CAS guards against a restarted one. */
		strlcpy(s.file, file, sizeof s.file);
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
		if (job_queue_push(pool_queue(), static_cast<uint32>(i)))
			return true;
		pg_atomic_write_u32(&s.state, SlotFree);
		return false;
	}
	return false;
}

} // namespace

void
queue_lookahead(const ArchiveCall *call, int want)
{
	TimestampTz now = GetCurrentTimestamp();
	bool scanned = false;
	int queued = 0;
	while (queued < want)
	{
		if (batch.next >= batch.n)
		{
			/* Run out: one scan per call at most (the backlog may hold nothing more). */
			if (scanned)
				break;
			scan_ready_dir(call->file);
			scanned = true;
			continue;
		}
		const char *name = batch.names[batch.next];
		if (strcmp(name, call->file) == 0 || find_slot(name) >= 0 || !still_ready(name))
		{
			batch.next++;
			continue;
		}
		if (!queue_job(call, name, now))
			break; /* no free slot: this name is the first to try next time */
		batch.next++;
		queued++;
	}
	if (queued > 0)
		wake_workers();
}

} // namespace pgls
