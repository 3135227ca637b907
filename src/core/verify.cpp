/*
 * verify.cpp -- checking an archive folder from its names and segment headers.
 */
#include "pure.hpp"
#include "verify.hpp"

#include "archive_format.hpp"
#include "content_rules.hpp"
#include "fs_store.hpp"
#include "interrupt.hpp"
#include "store.hpp"
#include "fileio.hpp"
#include "layout.hpp"
#include "wal_header.hpp"
#include "wal_name.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
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

/* What examining one archived file found. */
struct Examined
{
	bool gone = false;   /* it was removed since the folder was listed (a concurrent cleanup) */
	std::string problem; /* "" when sound */
	VerifyProblemKind kind = VerifyProblemKind::BadHeader;
	std::optional<ArchivedFileInfo> info; /* when its archive header could be read */
	std::optional<WalLongHeader> hdr;     /* a segment's WAL long header */
};

/*
 * Examines one archived file: its archive header and claimed size (deep: its whole content), a
 * raw history or backup file's text, and for a segment the WAL long header at its start.
 */
Examined
examine(Store &store, const std::string &folder, const std::string &name, const WalFileName &wal,
		bool deep)
{
	Examined x;
	bool segment = wal.kind == WalFileKind::Segment || wal.kind == WalFileKind::Partial;
	std::string prefix;
	try
	{
		std::unique_ptr<ObjectReader> reader = store.open(folder, name);
		if (!reader)
		{
			x.gone = true;
			return x;
		}
		ArchivedObject obj(*reader);
		x.info = obj.info();
		if (wal.kind == WalFileKind::Segment && !valid_segment_size(obj.info().original_size()))
		{
			/* Not decoded; reported as a wrong size once (check_segments skips it). */
			x.kind = VerifyProblemKind::WrongSize;
			x.problem = "is " + std::to_string(obj.info().original_size()) +
						" bytes, not a WAL segment size";
			return x;
		}
		check_original_size(wal, obj.info(), 0, reader->where());
		bool text = obj.info().raw && !segment;
		if (deep || text)
		{
			std::string body;
			obj.decode(
				[&](const char *p, size_t n)
				{
					if (segment && prefix.size() < kWalLongHeaderSize)
						prefix.append(p, std::min(n, kWalLongHeaderSize - prefix.size()));
					if (text)
						body.append(p, n);
				});
			if (text)
				check_raw_text(wal, body, reader->where());
		}
		else if (segment)
			prefix = obj.prefix(kWalLongHeaderSize);
	}
	catch (const ArchiveFormatError &e)
	{
		x.kind = VerifyProblemKind::Damaged;
		x.problem = e.problem();
		return x;
	}
	catch (const NotRegularFile &e)
	{
		x.kind = VerifyProblemKind::NotRegular;
		x.problem = "is a " + e.type_name() + ", not a regular file";
		return x;
	}
	catch (const IoError &e)
	{
		x.kind = VerifyProblemKind::Unreadable;
		x.problem = e.what();
		return x;
	}
	const ArchivedFileInfo &i = *x.info;
	x.kind = VerifyProblemKind::BadHeader;
	if (!i.raw && i.header.tli != 0 && i.header.tli != wal.tli)
		x.problem = "archive header says timeline " + std::to_string(i.header.tli) +
					", the name says " + std::to_string(wal.tli);
	else if (segment)
	{
		if (prefix.size() < kWalLongHeaderSize)
			x.problem =
				"too short for a WAL segment header (" + std::to_string(prefix.size()) + " bytes)";
		else if (!(x.hdr = decode_wal_long_header(
					   reinterpret_cast<const unsigned char *>(prefix.data()), prefix.size())))
			x.problem = "has no WAL long page header";
		else if (!i.raw && i.header.sysid != 0 && i.header.sysid != x.hdr->sysid)
			x.problem = "archive header names database system " + std::to_string(i.header.sysid) +
						", the WAL page header " + std::to_string(x.hdr->sysid);
	}
	return x;
}

/* A temp file: reported unless it may be a write in progress. */
void
note_temp_file(std::vector<VerifyProblem> &problems, uint64_t *in_progress, const std::string &file,
			   const StoreEntry &e, const TempFileName &t, int64_t now)
{
	if (now - e.mtime < kTempInProgressSeconds)
	{
		(*in_progress)++;
		return;
	}
	add_problem(problems, VerifyProblemKind::StrayTemp, file,
				"temp file of a write by server " + t.server + " (pid " + std::to_string(t.pid) +
					") that did not finish: unchanged for " + std::to_string((now - e.mtime) / 60) +
					" minutes");
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

/* Looks at every name in the folder; segments and .partial files go to *segs for the later
 * checks. */
void
scan_names(Store &store, const std::string &folder, int64_t now, VerifyReport &r,
		   std::vector<Segment> *segs, std::set<uint32_t> *histories, std::set<uint32_t> *timelines)
{
	std::vector<StoreEntry> entries = store.list(folder);
	std::sort(entries.begin(), entries.end(),
			  [](const StoreEntry &a, const StoreEntry &b) { return a.name < b.name; });
	for (const StoreEntry &entry : entries)
	{
		check_interrupts();
		const std::string &name = entry.name;
		if (auto t = parse_temp_file_name(name))
		{
			note_temp_file(r.problems, &r.writes_in_progress, name, entry, *t, now);
			continue;
		}
		WalFileName wal = parse_wal_file_name(name);
		if (!wal.valid())
		{
			add_problem(r.problems, VerifyProblemKind::UnknownFile, name, "not a WAL file name");
			continue;
		}
		if (entry.type != EntryType::Regular)
		{
			add_problem(r.problems, VerifyProblemKind::NotRegular, name,
						"is a " + entry.type_name + ", not a regular file");
			continue;
		}
		Examined x = examine(store, folder, name, wal, r.deep);
		if (x.gone)
			continue;
		if (!x.problem.empty())
			add_problem(r.problems, x.kind, name, x.problem);
		if (x.info)
			count_format(r.formats, *x.info);

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
		s.size = x.info ? x.info->original_size() : 0;
		s.size_known = x.info.has_value() && x.kind != VerifyProblemKind::WrongSize;
		s.hdr = x.hdr;
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
		case VerifyProblemKind::NotRegular:
			return "not a regular file";
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
verify_archive(Store &store, const std::string &folder, uint64_t expected_sysid, bool deep,
			   int64_t now)
{
	VerifyReport r;
	r.dir = store.where(folder);
	r.deep = deep;
	if (!store.folder_exists(folder))
		throw IoError("archive folder \"" + r.dir + "\" does not exist", ENOENT);
	std::vector<Segment> segs;
	std::set<uint32_t> histories, timelines;
	scan_names(store, folder, now, r, &segs, &histories, &timelines);

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

VerifyReport
verify_archive(const std::string &dir, uint64_t expected_sysid, bool deep)
{
	FsStore store("");
	return verify_archive(store, dir, expected_sysid, deep,
						  static_cast<int64_t>(std::time(nullptr)));
}

std::vector<VerifyProblem>
scan_quarantine(Store &store, int64_t now)
{
	std::vector<VerifyProblem> out;
	uint64_t in_progress = 0;
	std::vector<StoreEntry> servers = store.list("quarantine");
	std::sort(servers.begin(), servers.end(),
			  [](const StoreEntry &a, const StoreEntry &b) { return a.name < b.name; });
	for (const StoreEntry &server : servers)
	{
		std::string rel = "quarantine/" + server.name;
		if (server.type != EntryType::Directory)
		{
			add_problem(out, VerifyProblemKind::UnknownFile, rel, "unexpected file in quarantine");
			continue;
		}
		std::vector<StoreEntry> entries = store.list(rel);
		std::sort(entries.begin(), entries.end(),
				  [](const StoreEntry &a, const StoreEntry &b) { return a.name < b.name; });
		for (const StoreEntry &e : entries)
		{
			check_interrupts();
			if (auto t = parse_temp_file_name(e.name))
				note_temp_file(out, &in_progress, rel + "/" + e.name, e, *t, now);
			else
				add_problem(out, VerifyProblemKind::Quarantined, rel + "/" + e.name,
							"server " + server.name + "'s copy of " + quarantined_file(e.name) +
								" conflicted with the archive's and was kept aside");
		}
	}
	return out;
}

std::vector<VerifyProblem>
scan_quarantine(const std::string &root)
{
	FsStore store(root);
	return scan_quarantine(store, static_cast<int64_t>(std::time(nullptr)));
}

} // namespace pgls
