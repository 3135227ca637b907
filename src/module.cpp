/*
 * module.cpp -- the library's entry: magic block and _PG_init.
 *
 * Loaded with shared_preload_libraries = 'pg_logship' (shared memory, background worker) and
 * used as archive_library = 'pg_logship' (src/archive/archive_module.cpp).
 */
#include "pg/pg_headers.hpp"

#include "archive/archiver_watch.hpp"
#include "archive/pool.hpp"
#include "core/interrupt.hpp"
#include "archive/s3_probe.hpp"
#include "archive/server_identity.hpp"
#include "monitor/monitor.hpp"
#include "pg/guard.hpp"
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

/*
 * The core's long loops (listing, decoding, removing in the archive) call this once per entry or
 * chunk. A cancel, statement_timeout or terminate then arrives as PgError, which unwinds the C++
 * frames and is raised again by the entry point's guard (a terminate ends the process). Nothing
 * pending: no sigsetjmp at all.
 */
void
check_pg_interrupts()
{
	if (INTERRUPTS_PENDING_CONDITION())
		pgls::pg_call([]() { CHECK_FOR_INTERRUPTS(); });
}

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
	pgls::set_interrupt_hook(check_pg_interrupts);
	pgls::define_settings();
	pgls::monitor_init();
	pgls::retention_init();
	pgls::archive_pool_init();
	pgls::archiver_watch_init();
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
