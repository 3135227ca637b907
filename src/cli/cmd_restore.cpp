/*
 * cmd_restore.cpp -- "pg_logship restore": restore_command.
 *
 *   restore_command = 'pg_logship restore --archive-dir /archive %f "%p"'
 *
 * Exit 0 restored; 1 not in the archive, silently (the server asks for files that do not exist,
 * e.g. the next timeline's history, and takes a failure as "not there"); 2 any other failure,
 * with one line on stderr; 3 bad usage or an invalid file name.
 */
#include "cli.hpp"

#include "core/restore.hpp"
#include "core/wal_name.hpp"

#include <cstdint>
#include <cstdio>

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
		"  -h, --help              show this help, then exit\n\n"
		"In postgresql.conf:\n"
		"  restore_command = 'pg_logship restore --archive-dir /archive %%f \"%%p\"'\n\n"
		"Exit status: 0 restored, 1 not in the archive, 2 error, 3 bad usage.\n");
}

} // namespace

int
cmd_restore(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"archive-dir", required_argument, nullptr, kOptArchiveDir},
		{"layout", required_argument, nullptr, kOptLayout},
		{"server", required_argument, nullptr, kOptServer},
		{"help", no_argument, nullptr, 'h'},
		{nullptr, 0, nullptr, 0},
	};
	ArchiveOptions opts;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_options, nullptr)) != -1)
	{
		if (take_archive_option(c, optarg, &opts))
			continue;
		if (c == 'h')
		{
			usage();
			return kExitOk;
		}
		bad_option(c, argv);
	}
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
	RestoreOutcome out = restore_file(dirs, file, dest);
	return out.result == RestoreResult::Restored ? kExitOk : kExitNotFound;
}

} // namespace pgls::cli
