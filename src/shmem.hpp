/*
 * shmem.hpp -- pg_logship's shared memory: a registry of named structs, and the archive counters.
 *
 * A feature calls shmem_register() from _PG_init (only while shared_preload_libraries is being
 * processed); the request hook reserves the sum, the startup hook creates or attaches each struct
 * and stores its address. Without preloading nothing is registered and the pointers stay nullptr:
 * callers degrade (the archive module still archives, views say counters are unavailable).
 */
#pragma once

#include "pg/pg_headers.hpp"

extern "C"
{
#include "port/atomics.h"
}

namespace pgls
{

/* Initialises a freshly created struct (found == false) or nothing (found == true). */
using ShmemInitFn = void (*)(void *mem);

/* Registers a struct named `name` of `size` bytes; *ptr is set at shared memory startup. */
void shmem_register(const char *name, Size size, ShmemInitFn init, void **ptr);

/* Registers the shmem request/startup hooks; only from _PG_init during preload. */
void install_shmem_hooks(void);

struct ArchiveCounters
{
	pg_atomic_uint64 published;        /* files this server wrote into the archive */
	pg_atomic_uint64 acknowledged;     /* files found already archived, identical */
	pg_atomic_uint64 conflicts;        /* files found archived with other content */
	pg_atomic_uint64 refused;          /* offered files refused (bad name, other cluster, size) */
	pg_atomic_uint64 io_failures;      /* attempts that failed on I/O (retried by the archiver) */
	pg_atomic_uint64 bytes_written;    /* bytes written into the archive (incl. quarantine) */
	pg_atomic_uint64 bytes_original;   /* original size of what bytes_written holds */
	pg_atomic_uint64 temp_files_swept; /* stale temp files removed */
	slock_t mutex;                     /* protects the fields below */
	char last_conflict_file[64];
	TimestampTz last_conflict_time;
	char last_error[256];
	TimestampTz last_error_time;
};

struct SharedState
{
	ArchiveCounters archive;
};

/* Registers the archive counters (from _PG_init during preload). */
void register_archive_shmem(void);

/* The shared state, or nullptr when not preloaded. */
SharedState *shared(void);

/* Records a conflict / an error (copies text under the spinlock). */
void note_conflict(const char *file);
void note_error(const char *message);

} // namespace pgls
