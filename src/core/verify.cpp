/*
 * verify.cpp -- checking an archive folder from its names and segment headers.
 */
#include "pure.hpp"
#include "verify.hpp"

#include "archive_format.hpp"
#include "fileio.hpp"
#include "layout.hpp"
#include "wal_header.hpp"
#include "wal_name.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace pgls
{

namespace
{

/* For segment numbering when no header tells the segment size. */
constexpr uint64_t kDefaultSegSize = UINT64_C(16) * 1024 * 1024;

struct Segment
{
	std::string name;
	WalFileName wal;
	uint64_t size = 0; /* original size */
	bool size_known = false;
	std::optional<WalLongHeader> hdr;
};

void
add_problem(std::vector<VerifyProblem> &problems, VerifyProblemKind kind, const std::string &file,
			const std::string &what)
{
	problems.push_back(VerifyProblem{kind, file, file + ": " + what});
}

/*
 * Examines one archived file: its archive header (deep: its whole content) and, for a segment, the
 * WAL long header at its start. Returns "" when sound, else what is wrong, with *kind. *info is
 * set when the archive header could be read.
 */
std::string
examine(const std::string &path, const WalFileName &wal, bool segment, bool deep,
		std::optional<ArchivedFileInfo> *info, std::optional<WalLongHeader> *hdr,
		VerifyProblemKind *kind)
{
	std::string prefix;
	try
	{
		ArchivedFileInfo i;
		if (deep)
			i = verify_archived_file(path);
		if (segment)
			prefix = read_original_prefix(path, kWalLongHeaderSize, &i);
		else if (!deep)
			i = inspect_archived_file(path);
		*info = i;
	}
	catch (const ArchiveFormatError &e)
	{
		*kind = VerifyProblemKind::Damaged;
		return e.problem();
	}
	catch (const IoError &e)
	{
		*kind = VerifyProblemKind::Unreadable;
		return e.what();
	}
	const ArchivedFileInfo &i = **info;
	*kind = VerifyProblemKind::BadHeader;
	if (!i.raw && i.header.tli != 0 && i.header.tli != wal.tli)
		return "archive header says timeline " + std::to_string(i.header.tli) + ", the name says " +
			   std::to_string(wal.tli);
	if (!segment)
		return std::string();
	if (prefix.size() < kWalLongHeaderSize)
		return "too short for a WAL segment header (" + std::to_string(prefix.size()) + " bytes)";
	*hdr = decode_wal_long_header(reinterpret_cast<const unsigned char *>(prefix.data()),
								  prefix.size());
	if (!*hdr)
		return "has no WAL long page header";
	if (!i.raw && i.header.sysid != 0 && i.header.sysid != (*hdr)->sysid)
		return "archive header names database system " + std::to_string(i.header.sysid) +
			   ", the WAL page header " + std::to_string((*hdr)->sysid);
	return std::string();
}

void
count_format(FormatCounts &c, const ArchivedFileInfo &info)
{
	if (info.raw)
		c.raw++;
	else if (info.header.algorithm == Compression::None)
		c.none++;
	else if (info.header.algorithm == Compression::Lz4)
		c.lz4++;
	else
		c.zstd++;
	c.original_bytes += info.original_size();
	c.stored_bytes += info.file_size;
}

/* The system identifier most headers carry (the first seen on a tie); 0 when none. */
uint64_t
majority_sysid(const std::vector<Segment> &segs)
{
	std::vector<std::pair<uint64_t, size_t>> seen;
	for (const Segment &s : segs)
	{
		if (!s.hdr)
			continue;
		auto it = std::find_if(seen.begin(), seen.end(),
							   [&](const auto &p) { return p.first == s.hdr->sysid; });
		if (it == seen.end())
			seen.emplace_back(s.hdr->sysid, 1);
		else
			it->second++;
	}
	uint64_t best = 0;
	size_t best_count = 0;
	for (const auto &p : seen)
		if (p.second > best_count)
		{
			best = p.first;
			best_count = p.second;
		}
	return best;
}

/* Looks at every name in dir; segments and .partial files go to *segs for the later checks. */
void
scan_names(const std::string &dir, VerifyReport &r, std::vector<Segment> *segs,
		   std::set<uint32_t> *histories, std::set<uint32_t> *timelines)
{
	std::vector<std::string> names = list_dir(dir);
	std::sort(names.begin(), names.end());
	for (const std::string &name : names)
	{
		if (auto t = parse_temp_file_name(name))
		{
			add_problem(r.problems, VerifyProblemKind::StrayTemp, name,
						"temp file of an unfinished write by server " + t->server + " (pid " +
							std::to_string(t->pid) + ")");
			continue;
		}
		WalFileName wal = parse_wal_file_name(name);
		if (!wal.valid())
		{
			add_problem(r.problems, VerifyProblemKind::UnknownFile, name, "not a WAL file name");
			continue;
		}
		std::string path = dir + "/" + name;
		struct stat st;
		if (::lstat(path.c_str(), &st) != 0)
		{
			add_problem(r.problems, VerifyProblemKind::Unreadable, name,
						std::string("could not stat: ") + std::strerror(errno));
			continue;
		}
		if (!S_ISREG(st.st_mode))
		{
			add_problem(r.problems, VerifyProblemKind::UnknownFile, name, "not a regular file");
			continue;
		}
		bool segment = wal.kind == WalFileKind::Segment || wal.kind == WalFileKind::Partial;
		std::optional<ArchivedFileInfo> info;
		std::optional<WalLongHeader> hdr;
		VerifyProblemKind kind = VerifyProblemKind::BadHeader;
		std::string why = examine(path, wal, segment, r.deep, &info, &hdr, &kind);
		if (!why.empty())
			add_problem(r.problems, kind, name, why);
		if (info)
			count_format(r.formats, *info);

		if (wal.kind == WalFileKind::History)
		{
			histories->insert(wal.tli);
			r.history_files++;
			continue;
		}
		timelines->insert(wal.tli);
		if (wal.kind == WalFileKind::Backup)
		{
			r.backup_files++;
			continue;
		}
		Segment s;
		s.name = name;
		s.wal = wal;
		/* The size PostgreSQL wrote; a damaged file's is unknown, and not reported twice. */
		s.size = info ? info->original_size() : 0;
		s.size_known = info.has_value();
		s.hdr = hdr;
		segs->push_back(std::move(s));
	}
}

/* Size, header and system identifier of each segment; returns the segment numbers present per
 * timeline (true = a full segment, false = only a .partial). */
std::map<uint32_t, std::map<uint64_t, bool>>
check_segments(const std::vector<Segment> &segs, VerifyReport &r)
{
	std::map<uint32_t, std::map<uint64_t, bool>> present;
	uint64_t seg_size = r.seg_size ? r.seg_size : kDefaultSegSize;
	for (const Segment &s : segs)
	{
		if (s.wal.seg >= UINT64_C(0x100000000) / seg_size)
		{
			add_problem(r.problems, VerifyProblemKind::UnknownFile, s.name,
						"not a valid segment name with segment size " + std::to_string(seg_size));
			continue;
		}
		uint64_t segno = wal_segno(s.wal, seg_size);
		bool &full = present[s.wal.tli][segno];
		full = full || s.wal.kind == WalFileKind::Segment;

		if (r.seg_size != 0 && s.size_known && s.size != r.seg_size)
			add_problem(r.problems, VerifyProblemKind::WrongSize, s.name,
						"is " + std::to_string(s.size) + " bytes, segments are " +
							std::to_string(r.seg_size));
		if (!s.hdr)
			continue;
		if (r.seg_size == 0)
			add_problem(r.problems, VerifyProblemKind::BadHeader, s.name,
						"header gives an invalid segment size (" + std::to_string(s.hdr->seg_size) +
							")");
		else
		{
			std::string why = check_wal_header(*s.hdr, segno * seg_size, 0, r.seg_size);
			if (!why.empty())
				add_problem(r.problems, VerifyProblemKind::BadHeader, s.name,
							"header does not fit the name: " + why);
		}
		if (s.hdr->sysid != r.sysid)
			add_problem(r.problems, VerifyProblemKind::SysidMismatch, s.name,
						"belongs to database system " + std::to_string(s.hdr->sysid) +
							", the archive's is " + std::to_string(r.sysid));
	}
	return present;
}

TimelineSummary
summarize_timeline(uint32_t tli, const std::map<uint64_t, bool> &present, uint64_t seg_size,
				   VerifyReport &r)
{
	TimelineSummary t;
	t.tli = tli;
	t.first = wal_segment_file_name(tli, present.begin()->first, seg_size);
	t.last = wal_segment_file_name(tli, present.rbegin()->first, seg_size);
	t.segments = present.size();
	uint64_t prev = present.begin()->first;
	for (const auto &[segno, full] : present)
	{
		if (!full)
			t.partials++;
		if (segno > prev + 1)
		{
			uint64_t lo = prev + 1, hi = segno - 1;
			t.gaps.emplace_back(lo, hi);
			t.missing += hi - lo + 1;
			std::string first = wal_segment_file_name(tli, lo, seg_size);
			if (lo == hi)
				add_problem(r.problems, VerifyProblemKind::Gap, first,
							"missing (gap on timeline " + std::to_string(tli) + ")");
			else
				add_problem(r.problems, VerifyProblemKind::Gap, first,
							"missing, through " + wal_segment_file_name(tli, hi, seg_size) + " (" +
								std::to_string(hi - lo + 1) + " segments, gap on timeline " +
								std::to_string(tli) + ")");
		}
		prev = segno;
	}
	return t;
}

/* The archived name a quarantine copy stands for: "<file>" or "<file>.<n>". */
std::string
quarantined_file(const std::string &name)
{
	auto dot = name.rfind('.');
	if (parse_wal_file_name(name).valid() || dot == std::string::npos || dot + 1 == name.size())
		return name;
	for (size_t i = dot + 1; i < name.size(); i++)
		if (name[i] < '0' || name[i] > '9')
			return name;
	return parse_wal_file_name(name.substr(0, dot)).valid() ? name.substr(0, dot) : name;
}

} // namespace

const char *
verify_problem_kind_name(VerifyProblemKind kind)
{
	switch (kind)
	{
		case VerifyProblemKind::Gap:
			return "gap";
		case VerifyProblemKind::MissingHistory:
			return "missing history";
		case VerifyProblemKind::WrongSize:
			return "wrong size";
		case VerifyProblemKind::BadHeader:
			return "bad header";
		case VerifyProblemKind::SysidMismatch:
			return "system identifier mismatch";
		case VerifyProblemKind::Unreadable:
			return "unreadable";
		case VerifyProblemKind::StrayTemp:
			return "stray temp file";
		case VerifyProblemKind::UnknownFile:
			return "unknown file";
		case VerifyProblemKind::Quarantined:
			return "quarantined";
		case VerifyProblemKind::Damaged:
			return "damaged";
	}
	return "?";
}

size_t
VerifyReport::count(VerifyProblemKind kind) const
{
	return static_cast<size_t>(std::count_if(
		problems.begin(), problems.end(), [&](const VerifyProblem &p) { return p.kind == kind; }));
}

VerifyReport
verify_archive(const std::string &dir, uint64_t expected_sysid, bool deep)
{
	VerifyReport r;
	r.dir = dir;
	r.deep = deep;
	std::vector<Segment> segs;
	std::set<uint32_t> histories, timelines;
	scan_names(dir, r, &segs, &histories, &timelines);

	for (const Segment &s : segs)
		if (s.hdr && valid_segment_size(s.hdr->seg_size))
		{
			r.seg_size = s.hdr->seg_size;
			break;
		}
	r.sysid = expected_sysid != 0 ? expected_sysid : majority_sysid(segs);

	auto present = check_segments(segs, r);
	uint64_t seg_size = r.seg_size ? r.seg_size : kDefaultSegSize;
	for (const auto &[tli, segnos] : present)
	{
		r.timelines.push_back(summarize_timeline(tli, segnos, seg_size, r));
		r.timelines.back().has_history = histories.count(tli) > 0;
	}
	for (uint32_t tli : timelines)
		if (tli > 1 && histories.count(tli) == 0)
		{
			char name[32];
			std::snprintf(name, sizeof name, "%08X.history", tli);
			add_problem(r.problems, VerifyProblemKind::MissingHistory, name,
						"missing: timeline " + std::to_string(tli) +
							" has files but no history file");
		}

	/* In name order, so that a file's problems are together and gaps fall where they are. */
	std::stable_sort(r.problems.begin(), r.problems.end(),
					 [](const VerifyProblem &a, const VerifyProblem &b)
					 { return a.file < b.file; });
	return r;
}

std::vector<VerifyProblem>
scan_quarantine(const std::string &root)
{
	std::vector<VerifyProblem> out;
	std::string qroot = root + "/quarantine";
	if (!is_directory(qroot))
		return out;
	std::vector<std::string> servers = list_dir(qroot);
	std::sort(servers.begin(), servers.end());
	for (const std::string &server : servers)
	{
		std::string rel = "quarantine/" + server;
		if (!is_directory(qroot + "/" + server))
		{
			add_problem(out, VerifyProblemKind::UnknownFile, rel, "unexpected file in quarantine");
			continue;
		}
		std::vector<std::string> names = list_dir(qroot + "/" + server);
		std::sort(names.begin(), names.end());
		for (const std::string &name : names)
		{
			if (parse_temp_file_name(name))
				add_problem(out, VerifyProblemKind::StrayTemp, rel + "/" + name,
							"temp file of an unfinished quarantine write");
			else
				add_problem(out, VerifyProblemKind::Quarantined, rel + "/" + name,
							"server " + server + "'s copy of " + quarantined_file(name) +
								" conflicted with the archive's and was kept aside");
		}
	}
	return out;
}

} // namespace pgls
