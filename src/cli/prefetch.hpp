/*
 * prefetch.hpp -- "pg_logship restore --prefetch": its options, the restore call that goes
 * through the spool, and starting the prefetcher as a detached process.
 *
 * The spool and the prefetcher's loop are in the core (core/prefetch_spool.hpp,
 * core/prefetch_worker.hpp); this part parses the flags and forks.
 */
#pragma once

#include "core/prefetch_worker.hpp"
#include "core/restore.hpp"

#include <string>
#include <vector>

namespace pgls::cli
{

struct PrefetchOptions
{
	PrefetchDepth depth;     /* off unless --prefetch */
	unsigned workers = 0;    /* --prefetch-workers; 0: the store's default (below) */
	unsigned idle_secs = 10; /* --prefetch-idle */
	bool given = false;      /* --prefetch given (0 included) */
	bool tuned = false;      /* --prefetch-workers or --prefetch-idle given */
};

/* Segments restored in parallel by default: more for object storage, where each fetch waits
 * on a request (README "Performance": 4 workers met the recovery target from a bucket, 2 did
 * not, on 2 cores). */
constexpr unsigned kPrefetchWorkersLocal = 2;
constexpr unsigned kPrefetchWorkersObjectStore = 4;

/* getopt_long codes of the prefetch options (for cmd_restore's struct option table). */
enum
{
	kOptPrefetch = 2100,
	kOptPrefetchWorkers,
	kOptPrefetchIdle,
};

/* Takes a prefetch option; returns false when c is not one. Throws UsageError. */
bool take_prefetch_option(int c, const char *arg, PrefetchOptions *opts);

/* Throws UsageError for --prefetch-workers or --prefetch-idle without --prefetch (0 is fine:
 * a template may turn prefetching off that way). */
void check_prefetch_options(const PrefetchOptions &opts);

/*
 * restore_file() through the spool next to dest (restore_via_spool), then makes sure a
 * prefetcher runs once a segment was installed. Throws what restore_file() throws. A prefetcher
 * that cannot be started is a warning on stderr, not a failed restore.
 */
struct OpenArchive;
RestoreOutcome restore_prefetching(OpenArchive &archive, const std::string &file,
								   const std::string &dest, const PrefetchOptions &opts);

/*
 * Starts the prefetcher of config.spool as a detached process (its own session, standard streams
 * on /dev/null, cwd /) unless one holds the spool's lock. Returns true when it started one.
 * config's paths must be absolute. Throws IoError when it cannot fork.
 */
bool start_prefetcher(const PrefetchConfig &config);

} // namespace pgls::cli
