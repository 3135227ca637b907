/*
 * shmem.cpp -- the shared-memory registry and the archive counters.
 */
#include "shmem.hpp"

namespace pgls
{

namespace
{

struct ShmemEntry
{
	const char *name;
	Size size;
	ShmemInitFn init;
	void **ptr;
};

constexpr int kMaxEntries = 16;
ShmemEntry entries[kMaxEntries];
int n_entries = 0;

shmem_request_hook_type prev_request_hook = nullptr;
shmem_startup_hook_type prev_startup_hook = nullptr;
SharedState *state = nullptr;

void
request_shmem(void)
{
	if (prev_request_hook)
		prev_request_hook();
	for (int i = 0; i < n_entries; i++)
		RequestAddinShmemSpace(MAXALIGN(entries[i].size));
}

void
startup_shmem(void)
{
	if (prev_startup_hook)
		prev_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	for (int i = 0; i < n_entries; i++)
	{
		bool found;
		void *mem = ShmemInitStruct(entries[i].name, entries[i].size, &found);
		if (!found)
		{
			memset(mem, 0, entries[i].size);
			if (entries[i].init)
				entries[i].init(mem);
		}
		*entries[i].ptr = mem;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
init_archive_state(void *mem)
{
	ArchiveCounters &a = static_cast<SharedState *>(mem)->archive;
	pg_atomic_init_u64(&a.published, 0);
	pg_atomic_init_u64(&a.acknowledged, 0);
	pg_atomic_init_u64(&a.conflicts, 0);
	pg_atomic_init_u64(&a.refused, 0);
	pg_atomic_init_u64(&a.io_failures, 0);
	pg_atomic_init_u64(&a.bytes_written, 0);
	pg_atomic_init_u64(&a.bytes_original, 0);
	pg_atomic_init_u64(&a.temp_files_swept, 0);
	SpinLockInit(&a.mutex);
}

} // namespace

void
shmem_register(const char *name, Size size, ShmemInitFn init, void **ptr)
{
	if (n_entries >= kMaxEntries)
		elog(ERROR, "pg_logship: too many shared memory structs");
	entries[n_entries++] = ShmemEntry{name, size, init, ptr};
}

void
install_shmem_hooks(void)
{
	prev_request_hook = shmem_request_hook;
	shmem_request_hook = request_shmem;
	prev_startup_hook = shmem_startup_hook;
	shmem_startup_hook = startup_shmem;
}

void
register_archive_shmem(void)
{
	shmem_register("pg_logship archive", sizeof(SharedState), init_archive_state,
				   reinterpret_cast<void **>(&state));
}

SharedState *
shared(void)
{
	return state;
}

void
note_conflict(const char *file)
{
	if (!state)
		return;
	TimestampTz now = GetCurrentTimestamp();
	pg_atomic_fetch_add_u64(&state->archive.conflicts, 1);
	SpinLockAcquire(&state->archive.mutex);
	strlcpy(state->archive.last_conflict_file, file, sizeof state->archive.last_conflict_file);
	state->archive.last_conflict_time = now;
	SpinLockRelease(&state->archive.mutex);
}

void
note_error(const char *message)
{
	if (!state)
		return;
	TimestampTz now = GetCurrentTimestamp();
	SpinLockAcquire(&state->archive.mutex);
	strlcpy(state->archive.last_error, message, sizeof state->archive.last_error);
	state->archive.last_error_time = now;
	SpinLockRelease(&state->archive.mutex);
}

} // namespace pgls
