/*
 * module.cpp -- the library's entry: magic block and _PG_init.
 *
 * Loaded with shared_preload_libraries = 'pg_logship' (shared memory, background workers) and
 * used as archive_library = 'pg_logship' (src/archive/archive_module.cpp).
 */
#include "pg/pg_headers.hpp"

#include "settings.hpp"
#include "shmem.hpp"
#include "worker/worker.hpp"

extern "C"
{
	PG_MODULE_MAGIC;

	PGDLLEXPORT void _PG_init(void);

	void
	_PG_init(void)
	{
		if (IsBinaryUpgrade)
			return;

		pgls::define_settings();
		MarkGUCPrefixReserved("pg_logship");

		/*
		 * Shared memory and workers need shared_preload_libraries. Without it the archive module
		 * still works when loaded through archive_library alone (no counters in the views).
		 */
		if (!process_shared_preload_libraries_in_progress)
			return;

		pgls::register_archive_shmem();
		pgls::install_shmem_hooks();

		/* Features register their shared memory and worker tasks here, then the worker. */
		pgls::worker_register();
	}
}
