/*
 * module.cpp -- the library's entry: magic block and _PG_init.
 *
 * Loaded with shared_preload_libraries = 'pg_logship' (shared memory, background worker) and
 * used as archive_library = 'pg_logship' (src/archive/archive_module.cpp).
 */
#include "pg/pg_headers.hpp"

#include "archive/pool.hpp"
#include "core/interrupt.hpp"
#include "archive/s3_probe.hpp"
#include "archive/server_identity.hpp"
#include "monitor/monitor.hpp"
#include "retention/retention.hpp"
#include "settings.hpp"
#include "shmem.hpp"
#include "worker/worker.hpp"

extern "C"
{
#include "postmaster/interrupt.h"

	PG_MODULE_MAGIC;

	PGDLLEXPORT void _PG_init(void);
}

namespace
{

/* Long waits in the core (an object store's retries) give up when the process is asked to stop:
 * the archiver's shutdown request, or a worker's terminate. */
bool
stop_requested_now()
{
	return ShutdownRequestPending || ProcDiePending;
}

} // namespace

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

	pgls::set_stop_hook(stop_requested_now);
	pgls::define_settings();
	pgls::monitor_init();
	pgls::retention_init();
	pgls::archive_pool_init();
	/* Further features' init calls go here, before the prefix is reserved. */
	MarkGUCPrefixReserved("pg_logship");

	if (!process_shared_preload_libraries_in_progress)
		return;
	pgls::register_archive_shmem();
	pgls::register_s3_probe_shmem();
	pgls::identity_shmem_register();
	pgls::install_shmem_hooks();
	pgls::worker_register();
}
