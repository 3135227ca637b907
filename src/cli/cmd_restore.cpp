/*
 * cmd_restore.cpp -- "pg_logship restore": restore_command.
 *
 *   restore_command = 'pg_logship restore --archive-dir /archive %f "%p"'
 *
 * Exit codes, decided in one place (restore_exit_code, README "Exit codes of restore"):
 *   0    restored;
 *   1    not in the archive: the archive's root and every folder searched exist and could be
 *        read, and none holds the file (silently: the server asks for files that do not exist,
 *        e.g. the next timeline's history, and takes a failure as "not there");
 *   126  any other failure in an archive recovery that is not a standby (recovery.signal without
 *        standby.signal in the data directory, the command's working directory): PostgreSQL takes
 *        exit codes up to 125 as "the archive ends here" and would end the recovery early, short
 *        of what the archive holds; from 126 on it stops with an error instead;
 *   2    any other failure elsewhere (a standby retries, and can stream the WAL instead): a
 *        damaged copy, an archive folder that does not exist, an I/O error;
 *   3    bad usage or an invalid file name, outside such a recovery.
 * --on-error=retry|abort overrides the choice between 2/3 and 126.
 *
 * --prefetch N serves segments from a spool in pg_wal that a detached prefetcher fills ahead of
 * recovery (prefetch.hpp); the exit codes stay the same. DESTINATION "-" writes the checked
 * copy to standard output (for pg_waldump and the like).
 */
#include "cli.hpp"
#include "prefetch.hpp"

#include "core/restore.hpp"
#include "core/wal_name.hpp"

#include "core/archive_format.hpp"
#include "core/fileio.hpp"
#include "core/store.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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
		"DESTINATION \"-\" writes the file to standard output.\n\n"
		"Options:\n");
	std::fputs(kArchiveOptionsHelp, stdout);
	std::printf(
		"  --on-error=MODE         any failure but \"not in the archive\": retry (exit 2, or 3\n"
		"                          for bad usage: the server tries again or streams), abort\n"
		"                          (exit 126: recovery stops with an error) or auto (default:\n"
		"                          abort in an archive recovery without standby.signal, retry\n"
		"                          on a standby)\n"
		"  --prefetch=N            restore the next N segments ahead, in the background, into\n"
		"                          a spool next to DESTINATION (pg_wal/pgls_prefetch); N may\n"
		"                          be a size such as 256MB (default 0: off)\n"
		"  --prefetch-workers=W    segments restored in parallel by the prefetcher (default 2;\n"
		"                          4 for an s3:// archive)\n"
		"  --prefetch-idle=SECS    the prefetcher exits after SECS without work (default 10)\n"
		"  -h, --help              show this help, then exit\n\n"
		"In postgresql.conf:\n"
		"  restore_command = 'pg_logship restore --archive-dir /archive %%f \"%%p\"'\n\n"
		"The archived copy is decoded (lz4, zstd or uncompressed) and checked against the size\n"
		"and checksum in its header, and a segment against its page header, before it is put\n"
		"at DESTINATION; a damaged copy is an error and DESTINATION is not written.\n\n"
		"Exit status: 0 restored; 1 not in the archive (every folder searched exists); in an\n"
		"archive recovery without standby.signal any other failure is 126, so that the\n"
		"recovery stops rather than ending early; elsewhere 2 for an error, 3 for bad usage.\n");
}

enum
{
	kOptOnError = 2000,
};

enum class OnError
{
	Auto,
	Retry,
	Abort,
};

enum class Failure
{
	None,
	NotFound,
	Usage,
	Error,
};

/* Exit code that makes PostgreSQL abort the recovery (see the file's header comment). */
constexpr int kExitAbortRecovery = 126;

bool
file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* An archive recovery that is not a standby: the working directory is the data directory. */
bool
in_point_in_time_recovery()
{
	return file_exists("recovery.signal") && !file_exists("standby.signal");
}

/* The one exit-code policy of restore. */
int
restore_exit_code(Failure f, OnError mode)
{
	switch (f)
	{
		case Failure::None:
			return kExitOk;
		case Failure::NotFound:
			return kExitNotFound;
		case Failure::Usage:
		case Failure::Error:
			break;
	}
	bool abort = mode == OnError::Abort || (mode == OnError::Auto && in_point_in_time_recovery());
	if (abort)
		return kExitAbortRecovery;
	return f == Failure::Usage ? kExitUsage : kExitError;
}

OnError
parse_on_error(const std::string &v)
{
	if (v == "auto")
		return OnError::Auto;
	if (v == "retry")
		return OnError::Retry;
	if (v == "abort")
		return OnError::Abort;
	throw UsageError("invalid --on-error \"" + v + "\" (auto, retry or abort)");
}

/* Restores into a temp file, then copies the checked bytes to standard output. */
RestoreOutcome
restore_to_stdout(OpenArchive &archive, const std::string &file)
{
	const char *tmpdir = std::getenv("TMPDIR");
	std::string temp = std::string(tmpdir && tmpdir[0] ? tmpdir : "/tmp") + "/pgls-restore." +
					   std::to_string(::getpid()) + "." + file;
	remove_if_exists(temp);
	RestoreOutcome out = restore_file(*archive.store, archive.folders, file, temp);
	if (out.result != RestoreResult::Restored)
		return out;
	try
	{
		Fd in = open_or_throw(temp, O_RDONLY, 0, "open file");
		char buf[1 << 16];
		for (ssize_t n; (n = read_some(in.get(), buf, sizeof buf, temp)) > 0;)
			write_all(STDOUT_FILENO, buf, static_cast<size_t>(n), "standard output");
	}
	catch (...)
	{
		::unlink(temp.c_str());
		throw;
	}
	::unlink(temp.c_str());
	return out;
}

struct Parsed
{
	ArchiveOptions archive;
	PrefetchOptions prefetch;
	std::string file;
	std::string dest;
	bool help = false;
};

Parsed
parse(int argc, char **argv, OnError *on_error)
{
	static const struct option long_options[] = {
		PGLS_ARCHIVE_LONG_OPTIONS,
		{"on-error", required_argument, nullptr, kOptOnError},
		{"on-damage", required_argument, nullptr, kOptOnError}, /* its name before 1.0 */
		{"prefetch", required_argument, nullptr, kOptPrefetch},
		{"prefetch-workers", required_argument, nullptr, kOptPrefetchWorkers},
		{"prefetch-idle", required_argument, nullptr, kOptPrefetchIdle},
		{"help", no_argument, nullptr, 'h'},
		{nullptr, 0, nullptr, 0},
	};
	Parsed p;
	int c;
	opterr = 0;
	/* "+": options end at the first argument, so that %f and %p are never taken for options. */
	while ((c = getopt_long(argc, argv, "+:h", long_options, nullptr)) != -1)
	{
		if (take_archive_option(c, optarg, &p.archive) ||
			take_prefetch_option(c, optarg, &p.prefetch))
			continue;
		if (c == 'h')
			p.help = true;
		else if (c == kOptOnError)
			*on_error = parse_on_error(optarg);
		else
			bad_option(c, argv);
	}
	if (p.help)
	{
		if (argc != 2)
			throw UsageError("--help takes no other arguments");
		return p;
	}
	check_prefetch_options(p.prefetch);
	if (argc - optind != 2)
		throw UsageError("expected a file name and a destination path (%f %p), got " +
						 std::to_string(argc - optind) + " argument(s)");
	p.file = argv[optind];
	p.dest = argv[optind + 1];
	if (!parse_wal_file_name(p.file).valid())
		throw InvalidWalFileName("invalid WAL file name \"" + p.file + "\"");
	if (p.dest.empty())
		throw UsageError("destination path must not be empty");
	return p;
}

Failure
run(const Parsed &p)
{
	OpenArchive archive = open_archive(p.archive, SIZE_MAX);
	RestoreOutcome out;
	if (p.dest == "-")
		out = restore_to_stdout(archive, p.file);
	else if (p.prefetch.depth.enabled())
		out = restore_prefetching(archive, p.file, p.dest, p.prefetch);
	else
		out = restore_file(*archive.store, archive.folders, p.file, p.dest);
	return out.result == RestoreResult::Restored ? Failure::None : Failure::NotFound;
}

} // namespace

int
cmd_restore(int argc, char **argv)
{
	OnError on_error = OnError::Auto;
	Failure failure = Failure::Error;
	std::string message;
	try
	{
		Parsed p = parse(argc, argv, &on_error);
		if (p.help)
		{
			usage();
			return kExitOk;
		}
		failure = run(p);
	}
	catch (const UsageError &e)
	{
		failure = Failure::Usage;
		message =
			std::string(e.what()) + "\nTry \"pg_logship restore --help\" for more information.";
	}
	catch (const InvalidWalFileName &e)
	{
		failure = Failure::Usage;
		message = std::string("error: ") + e.what();
	}
	catch (const std::exception &e)
	{
		failure = Failure::Error;
		message = std::string("error: ") + e.what();
	}
	catch (...)
	{
		failure = Failure::Error;
		message = "error: unexpected exception";
	}
	int code = restore_exit_code(failure, on_error);
	if (!message.empty())
		std::fprintf(stderr, "pg_logship restore: %s\n", message.c_str());
	if (code == kExitAbortRecovery)
		std::fprintf(stderr,
					 "pg_logship restore: aborting the archive recovery (exit %d) rather than "
					 "ending it early at a file it could not restore\n",
					 kExitAbortRecovery);
	return code;
}

} // namespace pgls::cli
