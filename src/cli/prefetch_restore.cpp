/*
 * prefetch_restore.cpp -- the --prefetch options of "pg_logship restore", and a restore call
 * that serves from the spool and keeps a prefetcher running.
 */
#include "cli.hpp"
#include "prefetch.hpp"

#include "core/fileio.hpp"
#include "core/prefetch_spool.hpp"

#include <cerrno>
#include <cstdio>
#include <unistd.h>

namespace pgls::cli
{

namespace
{

unsigned
parse_count(const char *option, const char *arg, unsigned min, unsigned max)
{
	std::string text = arg;
	unsigned long v = 0;
	bool ok = !text.empty() && text.size() <= 9 &&
			  text.find_first_not_of("0123456789") == std::string::npos;
	if (ok)
		v = std::stoul(text);
	if (!ok || v < min || v > max)
		throw UsageError("invalid " + std::string(option) + " \"" + text + "\" (" +
						 std::to_string(min) + " to " + std::to_string(max) + ")");
	return static_cast<unsigned>(v);
}

/* A path the detached prefetcher (cwd /) can use. */
std::string
absolute(const std::string &path)
{
	if (!path.empty() && path[0] == '/')
		return path;
	char buf[4096];
	if (::getcwd(buf, sizeof buf) == nullptr)
		throw_io("get the current directory for", path, errno);
	return std::string(buf) + "/" + path;
}

} // namespace

bool
take_prefetch_option(int c, const char *arg, PrefetchOptions *opts)
{
	switch (c)
	{
		case kOptPrefetch:
		{
			auto depth = parse_prefetch_depth(arg);
			if (!depth)
				throw UsageError("invalid --prefetch \"" + std::string(arg) +
								 "\" (segments, 0 to " + std::to_string(kMaxPrefetchSegments) +
								 ", or a size such as 256MB)");
			opts->depth = *depth;
			opts->given = true;
			return true;
		}
		case kOptPrefetchWorkers:
			opts->workers = parse_count("--prefetch-workers", arg, 1, kMaxPrefetchWorkers);
			opts->tuned = true;
			return true;
		case kOptPrefetchIdle:
			opts->idle_secs = parse_count("--prefetch-idle", arg, 1, 3600);
			opts->tuned = true;
			return true;
		default:
			return false;
	}
}

void
check_prefetch_options(const PrefetchOptions &opts)
{
	if (opts.tuned && !opts.given)
		throw UsageError("--prefetch-workers and --prefetch-idle need --prefetch");
}

RestoreOutcome
restore_prefetching(OpenArchive &archive, const std::string &file, const std::string &dest,
					const PrefetchOptions &opts)
{
	std::string spool = prefetch_spool_dir(dest);
	SpoolRestore r = restore_via_spool(*archive.store, archive.folders, file, dest, spool);
	if (!r.want_prefetcher)
		return r.outcome;
	try
	{
		PrefetchConfig config;
		config.archive = archive.spec;
		if (archive.store->local())
			config.archive.location = absolute(archive.spec.location);
		config.folders = archive.folders;
		config.spool = absolute(spool);
		config.depth = opts.depth;
		config.workers = opts.workers != 0        ? opts.workers
						 : archive.store->local() ? kPrefetchWorkersLocal
												  : kPrefetchWorkersObjectStore;
		config.idle_timeout = std::chrono::seconds(opts.idle_secs);
		start_prefetcher(config);
	}
	catch (const std::exception &e)
	{
		std::fprintf(stderr, "pg_logship restore: warning: could not start the prefetcher: %s\n",
					 e.what());
	}
	return r.outcome;
}

} // namespace pgls::cli
