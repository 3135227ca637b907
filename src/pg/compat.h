/*
 * compat.h -- every PostgreSQL-version difference pg_logship cares about, in one place.
 *
 *   PG15     archive module API in postmaster/pgarch.h: void _PG_archive_module_init(callbacks *),
 *            callbacks without state; an ERROR in a callback becomes FATAL (the archiver restarts),
 *            so callbacks must catch their own errors. shmem_request_hook is new in 15.
 *   PG16     archive/archive_module.h; const ArchiveModuleCallbacks *_PG_archive_module_init(void);
 *            every callback gets ArchiveModuleState *; new startup_cb.
 *   PG17+    the archiver catches callback ERRORs itself (our own catch stays harmless).
 *
 * Only PG15 builds and runs here; the other branches follow the documented API.
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
