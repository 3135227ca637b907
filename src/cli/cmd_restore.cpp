/*
 * cmd_restore.cpp -- "pg_logship restore": restore_command.
 *
 *   restore_command = 'pg_logship restore --archive-dir /archive %f "%p"'
 *
 * Exit 0 restored; 1 not in the archive, silently (the server asks for files that do not exist,
 * e.g. the next timeline's history, and takes a failure as "not there"); 2 any other failure,
 * with one line on stderr (a damaged archived copy among them: it names the file and what does
 * not match); 3 bad usage or an invalid file name.
 *
 * A damaged archived copy in an archive recovery that is not a standby (recovery.signal without
 * standby.signal in the data directory, the command's working directory) exits 126 instead:
 * PostgreSQL takes exit codes up to 125 as "the archive ends here" and would end the recovery
 * early and promote, silently short of the target; from 126 on it aborts the recovery, which is
 * what a damaged archive should do. A standby keeps exit 2: it retries, and can stream the WAL.
 * --on-damage=retry|abort overrides the choice.
 *
 * --prefetch N serves segments from a spool in pg_wal that a detached prefetcher fills ahead of
 * recovery (prefetch.hpp); the exit codes stay the same.
 */
#include "cli.hpp"
#include "prefetch.hpp"

#include "core/restore.hpp"
#include "core/wal_name.hpp"

#include "core/archive_format.hpp"

#include <cstdint>
#include <cstdio>
#include <sys/stat.h>

namespace pgls::cli
{

namespace
{

void
usage()
{
	std::printf(
		"pg_logship restore copies an archived WAL file into place, for restore_command.\n\n"
		"Usage:\n"
		"  pg_logship restore --archive-dir DIR [OPTION]... FILE DESTINATION\n\n"
		"Options:\n"
		"  --archive-dir DIR       root of the archive (pg_logship.archive_dir)\n"
		"  --layout LAYOUT         shared (default) or per_server\n"
		"  --server NAME           with per_server: a server whose folder to search; repeat to\n"
		"                          search several, in order\n"
		"  --on-damage=MODE        a damaged archived copy: retry (exit 2: the server tries\n"
		"                          again or streams), abort (exit 126: recovery stops with an\n"
		"                          error) or auto (default: abort in an archive recovery\n"
		"                          without standby.signal, retry on a standby)\n"
		"  --prefetch=N            restore the next N segments ahead, in the background, into\n"
		"                          a spool next to DESTINATION (pg_wal/pgls_prefetch); N may\n"
		"                          be a size such as 256MB (default 0: off)\n"
		"  --prefetch-workers=W    segments restored in parallel by the prefetcher (default 2)\n"
		"  --prefetch-idle=SECS    the prefetcher exits after SECS without work (default 10)\n"
		"  -h, --help              show this help, then exit\n\n"
		"In postgresql.conf:\n"
		"  restore_command = 'pg_logship restore --archive-dir /archive %%f \"%%p\"'\n\n"
		"The archived copy is decoded (lz4, zstd or uncompressed) and checked against the size\n"
		"and checksum in its header, and a segment against its page header, before it is put\n"
		"at DESTINATION; a damaged copy is an error and DESTINATION is not written.\n\n"
		"Exit status: 0 restored, 1 not in the archive, 2 error, 3 bad usage, 126 damaged copy\n"
		"with --on-damage=abort.\n");
}

enum
{
	kOptOnDamage = 2000,
};

enum class OnDamage
{
	Auto,
	Retry,
	Abort,
};

/* Exit code that makes PostgreSQL abort the recovery (see the file's header comment). */
constexpr int kExitAbortRecovery = 126;

bool
file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* auto: abort in a plain archive recovery (PITR), retry on a standby. */
bool
abort_on_damage(OnDamage mode)
{
	if (mode != OnDamage::Auto)
		return mode == OnDamage::Abort;
	return file_exists("recovery.signal") && !file_exists("standby.signal");
}

} // namespace

int
cmd_restore(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"archive-dir", required_argument, nullptr, kOptArchiveDir},
		{"layout", required_argument, nullptr, kOptLayout},
		{"server", required_argument, nullptr, kOptServer},
		{"on-damage", required_argument, nullptr, kOptOnDamage},
		{"prefetch", required_argument, nullptr, kOptPrefetch},
		{"prefetch-workers", required_argument, nullptr, kOptPrefetchWorkers},
		{"prefetch-idle", required_argument, nullptr, kOptPrefetchIdle},
		{"help", no_argument, nullptr, 'h'},
		{nullptr, 0, nullptr, 0},
	};
	ArchiveOptions opts;
	OnDamage on_damage = OnDamage::Auto;
	PrefetchOptions prefetch;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_options, nullptr)) != -1)
	{
		if (take_archive_option(c, optarg, &opts) || take_prefetch_option(c, optarg, &prefetch))
			continue;
		if (c == 'h')
		{
			usage();
			return kExitOk;
		}
		if (c == kOptOnDamage)
		{
			std::string v = optarg;
			if (v == "auto")
				on_damage = OnDamage::Auto;
			else if (v == "retry")
				on_damage = OnDamage::Retry;
			else if (v == "abort")
				on_damage = OnDamage::Abort;
			else
				throw UsageError("invalid --on-damage \"" + v + "\" (auto, retry or abort)");
			continue;
		}
		bad_option(c, argv);
	}
	check_prefetch_options(prefetch);
	if (argc - optind != 2)
		throw UsageError("expected a file name and a destination path (%f %p), got " +
						 std::to_string(argc - optind) + " argument(s)");
	std::string file = argv[optind];
	std::string dest = argv[optind + 1];
	if (!parse_wal_file_name(file).valid())
		throw InvalidWalFileName("invalid WAL file name \"" + file + "\"");
	if (dest.empty())
		throw UsageError("destination path must not be empty");

	std::vector<std::string> dirs = archive_dirs(opts, SIZE_MAX);
	try
	{
		RestoreOutcome out = prefetch.depth.enabled()
								 ? restore_prefetching(dirs, file, dest, prefetch)
								 : restore_file(dirs, file, dest);
		return out.result == RestoreResult::Restored ? kExitOk : kExitNotFound;
	}
	catch (const std::exception &e)
	{
		bool damaged = dynamic_cast<const ArchiveFormatError *>(&e) != nullptr ||
					   dynamic_cast<const RestoreRefused *>(&e) != nullptr;
		if (!damaged || !abort_on_damage(on_damage))
			throw;
		std::fprintf(stderr,
					 "pg_logship restore: error: %s\n"
					 "pg_logship restore: aborting the archive recovery (exit %d) rather than "
					 "ending it early at a damaged file\n",
					 e.what(), kExitAbortRecovery);
		return kExitAbortRecovery;
	}
}

} // namespace pgls::cli
