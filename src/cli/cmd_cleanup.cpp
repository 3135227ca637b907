/*
 * cmd_cleanup.cpp -- "pg_logship cleanup": archive_cleanup_command, as pg_archivecleanup.
 *
 *   archive_cleanup_command = 'pg_logship cleanup --archive-dir /archive %r'
 *
 * Exit 0 done; 2 any failure, bad usage included (as pg_archivecleanup).
 */
#include "cli.hpp"

#include "core/cleanup.hpp"

#include <cstdio>

namespace pgls::cli
{

namespace
{

void
usage()
{
	std::printf(
		"pg_logship cleanup removes archived WAL files older than a given one, for\n"
		"archive_cleanup_command (the same rule as pg_archivecleanup).\n\n"
		"Usage:\n"
		"  pg_logship cleanup --archive-dir DIR [OPTION]... OLDESTKEPTWALFILE\n\n"
		"Options:\n"
		"  --archive-dir DIR       root of the archive (pg_logship.archive_dir)\n"
		"  --layout LAYOUT         shared (default) or per_server\n"
		"  --server NAME           with per_server: the server whose folder to clean\n"
		"  -n, --dry-run           print the files that would be removed, remove nothing\n"
		"  -d, --debug             report each file removed on stderr\n"
		"  -h, --help              show this help, then exit\n\n"
		"In postgresql.conf:\n"
		"  archive_cleanup_command = 'pg_logship cleanup --archive-dir /archive %%r'\n\n"
		"With the shared layout every server reads the same folder: clean it only from the\n"
		"server whose %%r is the oldest still needed.\n\n"
		"Exit status: 0 done, 2 error or bad usage.\n");
}

} // namespace

int
cmd_cleanup(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"archive-dir", required_argument, nullptr, kOptArchiveDir},
		{"layout", required_argument, nullptr, kOptLayout},
		{"server", required_argument, nullptr, kOptServer},
		{"dry-run", no_argument, nullptr, 'n'},
		{"debug", no_argument, nullptr, 'd'},
		{"help", no_argument, nullptr, 'h'},
		{nullptr, 0, nullptr, 0},
	};
	ArchiveOptions opts;
	bool dry_run = false, debug = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ndh", long_options, nullptr)) != -1)
	{
		if (take_archive_option(c, optarg, &opts))
			continue;
		switch (c)
		{
			case 'n':
				dry_run = true;
				break;
			case 'd':
				debug = true;
				break;
			case 'h':
				usage();
				return kExitOk;
			default:
				bad_option(c, argv);
		}
	}
	if (argc - optind != 1)
		throw UsageError("expected the oldest kept WAL file name (%r), got " +
						 std::to_string(argc - optind) + " argument(s)");
	std::string oldest_kept = argv[optind];
	std::string boundary = cleanup_boundary(oldest_kept);
	std::string dir = archive_dirs(opts, 1).front();

	if (debug)
		std::fprintf(stderr, "pg_logship cleanup: keeping WAL file \"%s/%s\" and later\n",
					 dir.c_str(), boundary.c_str());
	std::vector<std::string> removed = run_cleanup(dir, oldest_kept, dry_run);
	for (const std::string &name : removed)
	{
		std::string path = dir + "/" + name;
		if (dry_run)
			std::printf("%s\n", path.c_str());
		if (debug)
			std::fprintf(stderr, "pg_logship cleanup: %s \"%s\"\n",
						 dry_run ? "would remove file" : "removed file", path.c_str());
	}
	return kExitOk;
}

} // namespace pgls::cli
