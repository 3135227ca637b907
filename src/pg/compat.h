/*
 * compat.h -- every PostgreSQL-version difference pg_logship cares about, in one place.
 *
 *   PG15     archive module API in postmaster/pgarch.h: void _PG_archive_module_init(callbacks *),
 *            callbacks without state; an ERROR in a callback becomes FATAL (the archiver restarts),
 *            so callbacks must catch their own errors. shmem_request_hook is new in 15.
 *   PG16     archive/archive_module.h; const ArchiveModuleCallbacks *_PG_archive_module_init(void);
 *            every callback gets ArchiveModuleState *; new startup_cb.
 *   PG17+    the archiver catches callback ERRORs itself (our own catch stays, and puts the
 *            archiver's handler back on return).
 *
 * The other differences have small wrappers beside this file: procs.hpp (PGPROC numbering, 17),
 * backend_status.hpp (local backend status, 17), slots.hpp (invalidation fields 16, inactive_since
 * 17, idle_replication_slot_timeout and ReplicationSlotAcquire's third argument 18).
 * Built and tested against 15, 17 and 18 (make test PG_MAJOR=N); 16 is built by the same guards
 * but not compiled here (README "Supported versions").
 *
 * Checked and unchanged: core's pg_replication_slots.safe_wal_size on a standby is measured from
 * a write position that is 0 during recovery (a constant) on 15.x, 17.x and 18.x, so
 * pg_logship.slots computes it itself on every version (t/071_archive_cleanup.pl checks both).
 * Revisit when a version fixes it.
 */
#pragma once

#if PG_VERSION_NUM < 150000
#error "pg_logship needs PostgreSQL 15 or later"
#endif

#if PG_VERSION_NUM >= 160000
extern "C"
{
#include "archive/archive_module.h"
}
#define PGLS_ARCHIVE_STATE_PARAM ArchiveModuleState *state pg_attribute_unused(),
#define PGLS_ARCHIVE_STATE_ONLY ArchiveModuleState *state pg_attribute_unused()
#else
extern "C"
{
#include "postmaster/pgarch.h"
}
#define PGLS_ARCHIVE_STATE_PARAM
#define PGLS_ARCHIVE_STATE_ONLY void
#endif

#if PG_VERSION_NUM >= 170000
#define PGLS_ARCHIVER_CATCHES_ERRORS 1
#else
#define PGLS_ARCHIVER_CATCHES_ERRORS 0
#endif

/*
 * PGLS_ARCHIVE_MODULE_INIT(callbacks): defines _PG_archive_module_init for a static
 * ArchiveModuleCallbacks object, in the signature of the server being built against.
 */
#if PG_VERSION_NUM >= 160000
#define PGLS_ARCHIVE_MODULE_INIT(cbs)                                                              \
	extern "C" PGDLLEXPORT const ArchiveModuleCallbacks *_PG_archive_module_init(void);            \
	const ArchiveModuleCallbacks *_PG_archive_module_init(void)                                    \
	{                                                                                              \
		return &(cbs);                                                                             \
	}
#else
#define PGLS_ARCHIVE_MODULE_INIT(cbs)                                                              \
	extern "C" PGDLLEXPORT void _PG_archive_module_init(ArchiveModuleCallbacks *cb);               \
	void _PG_archive_module_init(ArchiveModuleCallbacks *cb)                                       \
	{                                                                                              \
		*cb = (cbs);                                                                               \
	}
#endif
