/*
 * prefetch_spool.hpp -- the spool of "pg_logship restore --prefetch": WAL segments decoded ahead
 * of time, and how a restore call serves one.
 *
 * The spool is a folder next to %p: pg_wal/pgls_prefetch when %p is pg_wal/RECOVERYXLOG, so that
 * a spooled segment is put in place by one rename(2) within a filesystem. PostgreSQL ignores
 * folders inside pg_wal. It holds:
 *
 *   <segment>                 a complete segment, decoded and checked like any restore
 *                             (restore.hpp). It gets this name only by the rename of its temp
 *                             file: a final name never holds a partial file.
 *   <segment>.pgls-tmp.<pid>  the prefetcher's temp file while it decodes (not a WAL name)
 *   .wanted                   "<segment> <segment size> <served> <direct>": the segment restore
 *                             installed last, and how many came from the spool and from the
 *                             archive. Restore calls write it (temp + rename); it tells the
 *                             prefetcher where recovery is.
 *   .lock                     flock(2)ed by the spool's one prefetcher (never removed)
 *   .stats                    the prefetcher's counters (prefetch_worker.hpp)
 *
 * Only WAL segments go through the spool; history, backup and .partial files are restored
 * directly. The prefetcher is in prefetch_worker.hpp.
 */
#pragma once

#include "fileio.hpp"
#include "restore.hpp"
#include "wal_name.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pgls
{

constexpr const char *kSpoolDirName = "pgls_prefetch";

/* The spool for a destination: "<folder of dest>/pgls_prefetch". */
std::string prefetch_spool_dir(const std::string &dest);

/* Where the spool keeps a segment, its lock, its .wanted and its .stats. */
std::string spool_segment_path(const std::string &spool, const std::string &segment);
std::string spool_lock_path(const std::string &spool);
std::string spool_wanted_path(const std::string &spool);
std::string spool_stats_path(const std::string &spool);

/* The segment after `segment` on its timeline, for a segment size; "" when there is none (the
 * last segment of the address space) or the name is not a segment name valid for that size. */
std::string next_segment_name(const std::string &segment, uint64_t seg_size);

/* What .wanted says. */
struct SpoolWanted
{
	std::string segment;   /* the segment restore installed last */
	uint64_t seg_size = 0; /* its size: the cluster's segment size */
	uint64_t served = 0;   /* segments served from the spool (since the spool was made) */
	uint64_t direct = 0;   /* segments restored from the archive with the spool on */

	bool
	operator==(const SpoolWanted &o) const
	{
		return segment == o.segment && seg_size == o.seg_size && served == o.served &&
			   direct == o.direct;
	}
	bool
	operator!=(const SpoolWanted &o) const
	{
		return !(*this == o);
	}
};

/* nullopt when .wanted is missing or does not parse. */
std::optional<SpoolWanted> read_spool_wanted(const std::string &spool);

/* Replaces .wanted atomically (a temp file, then rename; no fsync: the spool is a cache). */
void write_spool_wanted(const std::string &spool, const SpoolWanted &wanted);

/*
 * Removes the spooled segments recovery will not ask for once it has installed `installed`: the
 * ones not after it, and those of other timelines (recovery never goes back to an older timeline,
 * and the prefetcher only fetches on the timeline of .wanted). Returns how many it removed.
 * Leaves temp files alone.
 */
int remove_stale_spool_segments(const std::string &spool, const WalFileName &installed,
								uint64_t seg_size);

/* Removes every segment and temp file from the spool (keeps .lock, .wanted, .stats); returns
 * how many. A missing spool is empty. */
int clear_spool(const std::string &spool);

/* Opens spool/.lock and takes its flock without waiting. An empty Fd when another process (or
 * another open of it) holds the lock. Throws IoError. */
Fd try_lock_spool(const std::string &spool);

/* True when a name in the spool is a prefetcher's temp file. */
bool is_spool_temp_name(const std::string &name);

/* What restore_via_spool did. */
struct SpoolRestore
{
	RestoreOutcome outcome;
	bool from_spool = false;      /* installed by renaming a spooled copy */
	bool want_prefetcher = false; /* a segment was installed: a prefetcher should run */
};

/*
 * restore_command with a spool. For a segment: if the spool holds it (and its page header fits
 * its name and size), it is renamed to dest; otherwise it is restored from the archive with
 * restore_file(). When a segment was installed, older spooled segments are removed and .wanted
 * names it. A segment in neither place is NotFound at once; nothing else is touched then. Other
 * files are restored directly. Throws what restore_file() throws; the spool's own bookkeeping is
 * best effort and never fails a restore.
 */
SpoolRestore restore_via_spool(Store &store, const std::vector<std::string> &folders,
							   const std::string &file, const std::string &dest,
							   const std::string &spool);

} // namespace pgls
