/*
 * cmd_cleanup.cpp -- "pg_logship cleanup": archive_cleanup_command, as pg_archivecleanup.
 *
 *   archive_cleanup_command = 'pg_logship cleanup --archive-dir /archive --keep-backups 2 %r'
 *
 * With --keep-backups N, the start of the oldest of the newest N base backups (.backup files in
 * the archive) is kept as well (core/retention_cleanup.hpp): a file such a backup needs is never
 * removed. A .backup file that cannot be read refuses the cleanup (exit 2, nothing removed); with
 * no .backup file at all nothing is removed either.
 *
 * Exit 0 done; 2 any failure, bad usage included (as pg_archivecleanup).
 */
#include "cli.hpp"

#include "core/archive_format.hpp"
#include "core/cleanup.hpp"
#include "core/fileio.hpp"
#include "core/store.hpp"
#include "core/retention_cleanup.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace pgls::cli
{

namespace
{

enum
{
	kOptKeepBackups = 2000,
};

int
parse_keep_backups(const char *arg)
{
	char *end = nullptr;
	errno = 0;
	long n = std::strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || n < 0 || n > 10000)
		throw UsageError("invalid --keep-backups \"" + std::string(arg) +
						 "\" (a number of backups, 0 to 10000)");
	return static_cast<int>(n);
}

void
usage()
{
	std::printf("pg_logship cleanup removes archived WAL files older than a given one, for\n"
				"archive_cleanup_command (the same rule as pg_archivecleanup).\n\n"
				"Usage:\n"
				"  pg_logship cleanup --archive-dir DIR [OPTION]... OLDESTKEPTWALFILE\n\n"
				"Options:\n");
	std::fputs(kArchiveOptionsHelp, stdout);
	std::printf(
		"  --keep-backups N        also keep what the newest N base backups (.backup files\n"
		"                          in the archive) need; 0 (default): the plain rule\n"
		"  -n, --dry-run           print the files that would be removed, remove nothing\n"
		"  -d, --debug             report each file removed on stderr\n"
		"  -h, --help              show this help, then exit\n\n"
		"In postgresql.conf:\n"
		"  archive_cleanup_command = 'pg_logship cleanup --archive-dir /archive --keep-backups 2 "
		"%%r'\n\n"
		"With the shared layout every server reads the same folder: clean it only from the\n"
		"server whose %%r is the oldest still needed.\n\n"
		"Exit status: 0 done, 2 error or bad usage.\n");
}

} // namespace

int
cmd_cleanup(int argc, char **argv)
{
	static const struct option long_options[] = {
		PGLS_ARCHIVE_LONG_OPTIONS,
		{"keep-backups", required_argument, nullptr, kOptKeepBackups},
		{"dry-run", no_argument, nullptr, 'n'},
		{"debug", no_argument, nullptr, 'd'},
		{"help", no_argument, nullptr, 'h'},
		{nullptr, 0, nullptr, 0},
	};
	ArchiveOptions opts;
	bool dry_run = false, debug = false;
	int keep_backups = 0;
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
			case kOptKeepBackups:
				keep_backups = parse_keep_backups(optarg);
				break;
			default:
				bad_option(c, argv);
		}
	}
	if (argc - optind != 1)
		throw UsageError("expected the oldest kept WAL file name (%r), got " +
						 std::to_string(argc - optind) + " argument(s)");
	std::string oldest_kept = argv[optind];
	std::string boundary = cleanup_boundary(oldest_kept);
	OpenArchive archive = open_archive(opts, 1);
	Store &store = *archive.store;
	const std::string &folder = archive.folders.front();
	std::string dir = store.where(folder);
	if (!store.folder_exists(folder))
		throw std::runtime_error("archive folder \"" + dir + "\" does not exist");
	std::vector<StoreEntry> entries = store.list(folder);

	if (keep_backups > 0)
	{
		bool no_backups = false;
		std::string kept_by;
		/* Every name: a .backup entry that is not a regular file cannot be read, and refuses. */
		std::vector<std::string> names;
		for (const StoreEntry &e : entries)
			names.push_back(e.name);
		std::string protected_from = protect_kept_backups(
			names, oldest_kept, keep_backups, 0,
			[&](const std::string &name) { return read_archived_text(store, folder, name); },
			&no_backups, &kept_by);
		if (no_backups)
		{
			std::fprintf(stderr,
						 "pg_logship cleanup: no base backup (.backup file) in \"%s\"; removing "
						 "nothing (--keep-backups %d)\n",
						 dir.c_str(), keep_backups);
			return kExitOk;
		}
		if (protected_from != boundary)
		{
			if (debug)
				std::fprintf(stderr, "pg_logship cleanup: %s needs WAL from %s on\n",
							 kept_by.c_str(), protected_from.c_str());
			oldest_kept = protected_from;
			boundary = protected_from;
		}
	}

	if (debug)
		std::fprintf(stderr, "pg_logship cleanup: keeping WAL file \"%s/%s\" and later\n",
					 dir.c_str(), boundary.c_str());
	std::vector<std::string> skipped;
	std::vector<std::string> removed =
		run_cleanup(store, folder, oldest_kept, dry_run, &skipped, &entries);
	for (const std::string &name : skipped)
		std::fprintf(stderr, "pg_logship cleanup: warning: skipping %s/%s: not a regular file\n",
					 dir.c_str(), name.c_str());
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
