/*
 * verify.hpp -- checking an archive folder: is every segment there, sound and from one cluster?
 *
 * By default only names, archive headers (archive_format.hpp) and the start of each segment (its
 * long page header, decoding only the first block of a compressed file) are read, so a large
 * archive is checked quickly; the content past that is not checked. With deep, every file is
 * decoded in full and checked against its size and checksum. Conflicting copies kept in
 * <root>/quarantine/<server>/ are reported by a separate scan.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pgls
{

enum class VerifyProblemKind
{
	Gap,            /* segments missing between the first and last of a timeline */
	MissingHistory, /* a timeline > 1 without its .history file */
	WrongSize,      /* a segment or .partial whose size is not the segment size */
	BadHeader,      /* no long header, or one that does not fit the name or segment size */
	SysidMismatch,  /* a segment of another database system */
	Unreadable,     /* could not be examined */
	StrayTemp,      /* a temp file of a crashed write (not one in progress) */
	NotRegular,     /* a WAL name that is a FIFO, socket, device, directory or symlink */
	UnknownFile,    /* not a WAL file name (or a segment name impossible for the segment size) */
	Quarantined,    /* a conflicting copy kept in quarantine */
	Damaged,        /* archive header damaged or of an unknown version, truncated, or (deep) the
					 * content does not decode to its size and checksum */
};

const char *verify_problem_kind_name(VerifyProblemKind kind);

struct VerifyProblem
{
	VerifyProblemKind kind = VerifyProblemKind::UnknownFile;
	std::string file;    /* the name concerned: relative to the folder (quarantine: to the root) */
	std::string message; /* one line for the report, naming the file */
};

struct TimelineSummary
{
	uint32_t tli = 0;
	std::string first; /* first and last segment present (a .partial counts) */
	std::string last;
	uint64_t segments = 0;                           /* segment numbers present, full or .partial */
	uint64_t partials = 0;                           /* of which only as .partial */
	std::vector<std::pair<uint64_t, uint64_t>> gaps; /* missing segment numbers, inclusive ranges */
	uint64_t missing = 0;                            /* segments in the gaps */
	bool has_history = false;
};

/* Files examined, by how they are stored. */
struct FormatCounts
{
	uint64_t raw = 0; /* no archive header (stored before the archive format): no checksum */
	uint64_t none = 0;
	uint64_t lz4 = 0;
	uint64_t zstd = 0;
	uint64_t original_bytes = 0; /* what the files hold */
	uint64_t stored_bytes = 0;   /* what they take in the archive */
};

struct VerifyReport
{
	std::string dir;
	bool deep = false; /* every file was decoded and its checksum checked */
	FormatCounts formats;
	uint64_t seg_size = 0; /* from the first sound header; 0 when there is none */
	uint64_t sysid = 0;    /* the expected one, else the one most segments carry */
	uint64_t history_files = 0;
	uint64_t backup_files = 0;
	/* Temp files of writes that may still be under way: not problems (see kTempInProgress). */
	uint64_t writes_in_progress = 0;
	std::vector<TimelineSummary> timelines; /* by timeline */
	std::vector<VerifyProblem> problems;

	bool
	ok() const
	{
		return problems.empty();
	}
	size_t count(VerifyProblemKind kind) const;
};

/*
 * A temp file younger than this is taken for a write in progress, not debris: a server writes,
 * fsyncs and publishes a file in seconds, and verify may run while servers archive (a monitoring
 * job). Older ones are reported (the archivers sweep them after a day).
 */
constexpr int64_t kTempInProgressSeconds = 15 * 60;

class Store;

/* Checks the archive folder (e.g. archive_folder()) of a store. expected_sysid 0 = whichever most
 * segments carry. deep: decode every file and check its checksum. now: for the age of temp
 * files. Throws IoError when the folder does not exist or cannot be listed. */
VerifyReport verify_archive(Store &store, const std::string &folder, uint64_t expected_sysid,
							bool deep, int64_t now);
/* The same for a local folder (a path). */
VerifyReport verify_archive(const std::string &dir, uint64_t expected_sysid = 0, bool deep = false);

/* One problem per file in quarantine/<server>/ (none when there is no quarantine). */
std::vector<VerifyProblem> scan_quarantine(Store &store, int64_t now);
std::vector<VerifyProblem> scan_quarantine(const std::string &root);

} // namespace pgls
