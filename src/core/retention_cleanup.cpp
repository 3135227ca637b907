/*
 * retention_cleanup.cpp -- backup history files, the cleanup boundary, timelines of segments.
 */
#include "pure.hpp"
#include "retention_cleanup.hpp"

#include "cleanup.hpp"
#include "interrupt.hpp"
#include "wal_name.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace pgls
{

namespace
{

std::string
trim(const std::string &s)
{
	size_t b = s.find_first_not_of(" \t\r");
	if (b == std::string::npos)
		return "";
	size_t e = s.find_last_not_of(" \t\r");
	return s.substr(b, e - b + 1);
}

/* "0/2000028 (file 000000010000000000000002)" -> lsn, and the tli of the file name if any. */
bool
parse_location(const std::string &value, uint64_t *lsn, uint32_t *tli)
{
	std::string v = trim(value);
	size_t sp = v.find(' ');
	auto parsed = parse_lsn(v.substr(0, sp));
	if (!parsed)
		return false;
	*lsn = *parsed;
	*tli = 0;
	size_t f = v.find("(file ");
	if (f != std::string::npos)
	{
		size_t close = v.find(')', f);
		if (close == std::string::npos)
			return false;
		WalFileName name = parse_wal_file_name(v.substr(f + 6, close - f - 6));
		if (name.kind != WalFileKind::Segment)
			return false;
		*tli = name.tli;
	}
	return true;
}

bool
parse_uint32(const std::string &value, uint32_t *out)
{
	std::string v = trim(value);
	if (v.empty() || v.size() > 10 || v.find_first_not_of("0123456789") != std::string::npos)
		return false;
	unsigned long long n = std::stoull(v);
	if (n == 0 || n > UINT32_MAX)
		return false;
	*out = static_cast<uint32_t>(n);
	return true;
}

} // namespace

BackupInfo
parse_backup_file(const std::string &name, const std::string &contents, uint64_t seg_size)
{
	WalFileName wal = parse_wal_file_name(name);
	auto fail = [&name](const std::string &why) -> BackupFileError
	{ return BackupFileError("backup history file \"" + name + "\": " + why); };
	if (wal.kind != WalFileKind::Backup)
		throw fail("not a backup history file name");

	BackupInfo b;
	b.file = name;
	bool have_start = false, have_start_tli = false;
	uint32_t start_file_tli = 0;
	std::istringstream in(contents);
	std::string line;
	while (std::getline(in, line))
	{
		size_t colon = line.find(": ");
		if (colon == std::string::npos)
			continue;
		std::string key = line.substr(0, colon);
		std::string value = line.substr(colon + 2);
		if (key == "START WAL LOCATION")
		{
			if (!parse_location(value, &b.start_lsn, &start_file_tli))
				throw fail("malformed START WAL LOCATION \"" + trim(value) + "\"");
			have_start = true;
		}
		else if (key == "STOP WAL LOCATION")
		{
			uint32_t tli;
			if (!parse_location(value, &b.stop_lsn, &tli))
				throw fail("malformed STOP WAL LOCATION \"" + trim(value) + "\"");
		}
		else if (key == "START TIMELINE")
		{
			if (!parse_uint32(value, &b.start_tli))
				throw fail("malformed START TIMELINE \"" + trim(value) + "\"");
			have_start_tli = true;
		}
		else if (key == "STOP TIMELINE")
		{
			if (!parse_uint32(value, &b.stop_tli))
				throw fail("malformed STOP TIMELINE \"" + trim(value) + "\"");
		}
		else if (key == "LABEL")
			b.label = trim(value);
	}
	if (!have_start)
		throw fail("no START WAL LOCATION");
	if (!have_start_tli)
		b.start_tli = start_file_tli != 0 ? start_file_tli : wal.tli;
	if (b.stop_tli == 0)
		b.stop_tli = wal.tli;
	/* The name is <stop timeline><start segment>.<start offset>.backup. With seg_size 0, the
	 * segment size is the one (1 MB .. 1 GB) that makes them agree. */
	auto agrees = [&b, &wal](uint64_t size) {
		return b.start_lsn / size == wal_segno(wal, size) &&
			   b.start_lsn % size == wal.backup_offset;
	};
	bool ok = false;
	if (seg_size != 0)
		ok = agrees(seg_size);
	else
		for (uint64_t size = 1024 * 1024; size <= 1024 * 1024 * 1024 && !ok; size *= 2)
			ok = agrees(size);
	if (!ok)
		throw fail("START WAL LOCATION " + format_lsn(b.start_lsn) + " does not match the name");
	if (b.stop_lsn != 0 && b.stop_lsn < b.start_lsn)
		throw fail("STOP WAL LOCATION is before START WAL LOCATION");
	return b;
}

std::vector<BackupInfo>
newest_backups(std::vector<BackupInfo> all, int keep)
{
	std::sort(all.begin(), all.end(),
			  [](const BackupInfo &a, const BackupInfo &b)
			  {
				  if (a.start_lsn != b.start_lsn)
					  return a.start_lsn > b.start_lsn;
				  return a.file > b.file;
			  });
	if (keep < 0)
		keep = 0;
	if (all.size() > static_cast<size_t>(keep))
		all.resize(static_cast<size_t>(keep));
	return all;
}

namespace
{

/* The 16-hex-digit segment part of a segment or .partial name (timeline ignored). */
std::string
segment_part(const std::string &name)
{
	return name.substr(8, 16);
}

} // namespace

CleanupPlan
plan_archive_cleanup(const CleanupInput &in)
{
	CleanupPlan plan;
	if (!in.unreadable.empty())
	{
		plan.refused = true;
		plan.refusal = "cannot read " + in.unreadable.front();
		if (in.unreadable.size() > 1)
			plan.refusal += " (and " + std::to_string(in.unreadable.size() - 1) + " more)";
		return plan;
	}
	if (in.keep_backups > 0 && in.backups.empty())
	{
		plan.refused = true;
		plan.refusal = "no base backup (.backup file) in the archive: every archived segment may "
					   "be needed to restore one";
		return plan;
	}
	if (in.positions.empty() && in.keep_backups <= 0)
	{
		plan.refused = true;
		plan.refusal = "no position to keep WAL from";
		return plan;
	}

	/* The oldest position anything needs. */
	std::vector<KeepPosition> keep = in.positions;
	plan.kept_backups = newest_backups(in.backups, in.keep_backups);
	for (const BackupInfo &b : plan.kept_backups)
		keep.push_back(KeepPosition{"base backup " + b.file, b.start_lsn, b.start_tli});
	const KeepPosition *oldest = nullptr;
	for (const KeepPosition &p : keep)
		if (oldest == nullptr || p.lsn < oldest->lsn)
			oldest = &p;
	uint64_t boundary_seg = oldest->lsn / in.seg_size;
	uint32_t tli = oldest->tli != 0 ? oldest->tli : 1;
	plan.boundary_lsn = oldest->lsn;
	plan.kept_by = oldest->who;
	plan.oldest_kept = wal_segment_file_name(tli, boundary_seg, in.seg_size);

	std::vector<std::string> doomed = cleanup_candidates(in.names, plan.oldest_kept);

	/* The minimum age: the oldest young file, and everything after it, stays. */
	if (in.min_age_s > 0 && !doomed.empty() && in.mtime)
	{
		std::string young;
		for (const std::string &name : doomed)
		{
			check_interrupts();
			std::optional<int64_t> t = in.mtime(name);
			if (t && *t > in.now_s - in.min_age_s &&
				(young.empty() || segment_part(name) < segment_part(young)))
				young = name;
		}
		if (!young.empty())
		{
			std::string seg = young.substr(0, 24);
			plan.oldest_kept = seg;
			plan.kept_by = "pg_logship.archive_keep_min_age (" + young + " is younger)";
			plan.boundary_lsn = 0;
			doomed = cleanup_candidates(in.names, seg);
		}
	}
	plan.remove = std::move(doomed);
	return plan;
}

std::string
protect_kept_backups(const std::vector<std::string> &names, const std::string &oldest_kept,
					 int keep, uint64_t seg_size,
					 const std::function<std::string(const std::string &)> &read, bool *no_backups,
					 std::string *kept_by)
{
	std::string boundary = cleanup_boundary(oldest_kept);
	*no_backups = false;
	if (kept_by)
		*kept_by = "%r";
	if (keep <= 0)
		return boundary;
	std::vector<BackupInfo> all;
	for (const std::string &name : names)
	{
		if (parse_wal_file_name(name).kind != WalFileKind::Backup)
			continue;
		std::string contents;
		try
		{
			contents = read(name);
		}
		catch (const std::exception &e)
		{
			throw BackupFileError(e.what());
		}
		all.push_back(parse_backup_file(name, contents, seg_size));
	}
	if (all.empty())
	{
		*no_backups = true;
		return boundary;
	}
	std::vector<BackupInfo> kept = newest_backups(all, keep);
	const BackupInfo &oldest = kept.back();
	/* The backup file's name holds its start segment (after the stop timeline). */
	char tli[9];
	std::snprintf(tli, sizeof tli, "%08X", oldest.start_tli);
	std::string start = tli + segment_part(oldest.file);
	if (segment_part(start) < segment_part(boundary))
	{
		if (kept_by)
			*kept_by = "base backup " + oldest.file;
		return start;
	}
	return boundary;
}

uint32_t
timeline_of_segment(const std::vector<TimelineSpan> &history, uint64_t segno, uint64_t seg_size,
					uint32_t fallback_tli)
{
	uint64_t last_byte = (segno + 1) * seg_size - 1;
	for (const TimelineSpan &t : history)
		if (last_byte >= t.begin && (t.end == 0 || last_byte < t.end))
			return t.tli;
	return fallback_tli;
}

} // namespace pgls
