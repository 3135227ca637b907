/*
 * cmd_verify.cpp -- "pg_logship verify": a report on an archive folder and its quarantine.
 *
 * Exit 0 no problem found; 1 problems (each on a line "problem: ..."); 2 the archive could not be
 * read; 3 bad usage. --deep decodes every file and checks its checksum.
 */
#include "cli.hpp"

#include "core/verify.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <cstdlib>

namespace pgls::cli
{

namespace
{

enum
{
	kOptSysid = 2000,
	kOptDeep,
};

void
usage()
{
	std::printf("pg_logship verify checks an archive: gaps, damaged or foreign segments, missing\n"
				"history files, stray temp files and quarantined conflicting copies.\n\n"
				"Usage:\n"
				"  pg_logship verify --archive-dir DIR [OPTION]...\n\n"
				"Options:\n");
	std::fputs(kArchiveOptionsHelp, stdout);
	std::printf(
		"  --system-identifier N        every segment must belong to database system N\n"
		"                               (default: the one most segments belong to)\n"
		"  --deep                       decode every file and check its size and checksum\n"
		"  -h, --help                   show this help, then exit\n\n"
		"Without --deep, only file names, archive headers and segment headers are read:\n"
		"quick, but damage inside a file's compressed content is found only with --deep.\n\n"
		"Exit status: 0 archive ok, 1 problems found, 2 error, 3 bad usage.\n");
}

uint64_t
parse_sysid(const char *arg)
{
	char *end = nullptr;
	errno = 0;
	unsigned long long v = std::strtoull(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 || v == 0)
		throw UsageError("invalid --system-identifier \"" + std::string(arg) +
						 "\" (a positive decimal number)");
	return static_cast<uint64_t>(v);
}

void
print_report(const VerifyReport &r)
{
	std::printf("archive folder: %s\n", r.dir.c_str());
	if (r.seg_size != 0)
		std::printf("segment size: %" PRIu64 " bytes\n", r.seg_size);
	if (r.sysid != 0)
		std::printf("database system identifier: %" PRIu64 "\n", r.sysid);
	if (r.timelines.empty())
		std::printf("no WAL segments\n");
	for (const TimelineSummary &t : r.timelines)
	{
		std::printf("timeline %u: %s .. %s, %" PRIu64 " segment(s)", t.tli, t.first.c_str(),
					t.last.c_str(), t.segments);
		if (t.partials != 0)
			std::printf(" (%" PRIu64 " only as .partial)", t.partials);
		if (t.missing != 0)
			std::printf(", %" PRIu64 " missing in %zu gap(s)", t.missing, t.gaps.size());
		std::printf("\n");
	}
	std::printf("history files: %" PRIu64 ", backup history files: %" PRIu64 "\n", r.history_files,
				r.backup_files);
	const FormatCounts &f = r.formats;
	std::printf("stored: lz4 %" PRIu64 ", zstd %" PRIu64 ", none %" PRIu64 ", raw %" PRIu64
				"; %" PRIu64 " bytes for %" PRIu64 " original bytes\n",
				f.lz4, f.zstd, f.none, f.raw, f.stored_bytes, f.original_bytes);
	std::printf("checked: %s\n", r.deep ? "every file's content against its size and checksum"
										: "names and headers (--deep also checks contents)");
	if (r.writes_in_progress != 0)
		std::printf("writes in progress: %" PRIu64 " temp file(s) younger than %" PRId64
					" minutes (not problems)\n",
					r.writes_in_progress, kTempInProgressSeconds / 60);
	for (const VerifyProblem &p : r.problems)
		std::printf("problem: %s\n", p.message.c_str());
	if (r.ok())
		std::printf("archive ok\n");
	else
		std::printf("archive has %zu problem(s)\n", r.problems.size());
}

} // namespace

int
cmd_verify(int argc, char **argv)
{
	static const struct option long_options[] = {
		PGLS_ARCHIVE_LONG_OPTIONS,
		{"system-identifier", required_argument, nullptr, kOptSysid},
		{"deep", no_argument, nullptr, kOptDeep},
		{"help", no_argument, nullptr, 'h'},
		{nullptr, 0, nullptr, 0},
	};
	ArchiveOptions opts;
	uint64_t sysid = 0;
	bool deep = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_options, nullptr)) != -1)
	{
		if (take_archive_option(c, optarg, &opts))
			continue;
		switch (c)
		{
			case kOptSysid:
				sysid = parse_sysid(optarg);
				break;
			case kOptDeep:
				deep = true;
				break;
			case 'h':
				usage();
				return kExitOk;
			default:
				bad_option(c, argv);
		}
	}
	if (optind != argc)
		throw UsageError("unexpected argument \"" + std::string(argv[optind]) + "\"");
	OpenArchive archive = open_archive(opts, 1);
	int64_t now = static_cast<int64_t>(std::time(nullptr));
	VerifyReport report = verify_archive(*archive.store, archive.folders.front(), sysid, deep, now);
	for (VerifyProblem &p : scan_quarantine(*archive.store, now))
		report.problems.push_back(std::move(p));
	print_report(report);
	return report.ok() ? kExitOk : kExitProblems;
}

} // namespace pgls::cli
