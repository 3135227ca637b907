/*
 * prefetch_worker.hpp -- the prefetcher of "pg_logship restore --prefetch": it keeps the spool
 * (prefetch_spool.hpp) filled with the segments recovery will ask for next.
 *
 * One prefetcher runs per spool, holding the spool's lock. It reads .wanted (the segment restore
 * installed last, on timeline T) and, with a few threads, restores the next segments of T into
 * the spool with restore_file(): decoded and checked into a temp file, renamed into place. It
 * fetches in order and stops at the first segment the archive does not hold (it tries that one
 * again a little later: WAL may still be arriving). A damaged archived segment is not spooled
 * either; the prefetcher stops there, and the direct restore reports it with the right exit
 * code. The spool holds at most `depth` segments: those after the wanted one; whatever falls out
 * of that window (consumed, another timeline, recovery went back) is removed.
 *
 * It stops when it has been idle (.wanted unchanged and nothing fetched) for idle_timeout,
 * removing its spooled segments; when the spool folder disappears (the data directory was
 * removed); or when asked to. It writes its counters to .stats.
 */
#pragma once

#include "store_spec.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgls
{

/* How far ahead to fetch: a number of segments, or bytes (a number with kB, MB or GB). */
struct PrefetchDepth
{
	uint64_t segments = 0;
	uint64_t bytes = 0;

	bool
	enabled() const
	{
		return segments > 0 || bytes > 0;
	}
	/* Segments ahead for a segment size: `segments`, or bytes / seg_size, at least 1. */
	uint64_t segments_for(uint64_t seg_size) const;
};

constexpr uint64_t kMaxPrefetchSegments = 4096;
constexpr unsigned kMaxPrefetchWorkers = 64;

/* "8" (segments), "256MB", "1GB", "512kB"; "0" is off. nullopt when malformed or above the
 * limits (kMaxPrefetchSegments segments, 64 GB). */
std::optional<PrefetchDepth> parse_prefetch_depth(std::string_view text);

struct PrefetchConfig
{
	StoreSpec archive;                /* the archive (an absolute path for a daemon) */
	std::vector<std::string> folders; /* its folders, in search order */
	std::string spool;                /* the spool folder (absolute for a daemon) */
	PrefetchDepth depth{8, 0};
	unsigned workers = 2;
	std::chrono::milliseconds idle_timeout{10000};
	std::chrono::milliseconds poll{20};            /* how often .wanted is read */
	std::chrono::milliseconds missing_retry{500};  /* a segment not (yet) archived */
	std::chrono::milliseconds damaged_retry{5000}; /* a damaged archived segment, an error */
};

enum class PrefetchExit
{
	Idle,      /* nothing to do for idle_timeout: spooled segments removed */
	SpoolGone, /* the spool folder (or the data directory) disappeared */
	Stopped,   /* *stop was set: spooled segments removed */
};

const char *prefetch_exit_name(PrefetchExit e);

struct PrefetchStats
{
	uint64_t fetched = 0;       /* segments put in the spool */
	uint64_t fetched_bytes = 0; /* their size */
	uint64_t missing = 0;       /* tries that found a segment not (yet) archived */
	uint64_t damaged = 0;       /* tries that found a damaged archived copy */
	uint64_t errors = 0;        /* other failures (I/O) */
	uint64_t discarded = 0;     /* spooled segments removed unused (out of the window) */
	uint64_t served = 0;        /* from .wanted: restores served from the spool */
	uint64_t direct = 0;        /* from .wanted: restores from the archive */
	std::string last_error;
};

/*
 * Runs the prefetcher of config.spool in this process until it exits (see above); the caller
 * holds the spool's lock (try_lock_spool). Temp files a dead prefetcher left are removed first.
 * stop, when given, is polled. *stats, when given, gets the final counters.
 */
PrefetchExit run_prefetcher(const PrefetchConfig &config, const std::atomic<bool> *stop = nullptr,
							PrefetchStats *stats = nullptr);

} // namespace pgls
