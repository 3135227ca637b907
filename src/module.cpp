/*
 * module.cpp -- the library's entry: magic block and _PG_init.
 *
 * Loaded with shared_preload_libraries = 'pg_logship' (shared memory, background worker) and
 * used as archive_library = 'pg_logship' (src/archive/archive_module.cpp).
 */
#include "pg/pg_headers.hpp"

#include "archive/pool.hpp"
#include "archive/server_identity.hpp"
#include "monitor/monitor.hpp"
#include "retention/retention.hpp"
#include "settings.hpp"
#include "shmem.hpp"
#include "worker/worker.hpp"

extern "C"
{
	PG_MODULE_MAGIC;

	PGDLLEXPORT void _PG_init(void);
}

/*
 * Each feature's init defines its settings and, when preloading, registers its shared memory and
 * worker tasks. Without shared_preload_libraries only the settings exist: the archive module
 * still works when loaded through archive_library alone (no counters in the views).
 */
void
_PG_init(void)
{
	if (IsBinaryUpgrade)
		return;

	pgls::define_settings();
	pgls::monitor_init();
	pgls::retention_init();
	pgls::archive_pool_init();
	/* Further features' init calls go here, before the prefix is reserved. */
	MarkGUCPrefixReserved("pg_logship");

	if (!process_shared_preload_libraries_in_progress)
		return;
	pgls::register_archive_shmem();
	pgls::identity_shmem_register();
	pgls::install_shmem_hooks();
	pgls::worker_register();
}
