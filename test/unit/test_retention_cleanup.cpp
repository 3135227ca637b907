/*
 * test_retention_cleanup.cpp -- backup history files, the safe cleanup boundary, timelines.
 */
#include "core/retention_cleanup.hpp"
#include "core/wal_name.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace pgls
{
namespace
{

constexpr uint64_t kSeg = 16 * 1024 * 1024;

using Names = std::vector<std::string>;

std::string
seg(uint32_t tli, uint64_t segno)
{
	return wal_segment_file_name(tli, segno, kSeg);
}

/* A backup history file as PostgreSQL 15 writes it. */
std::string
backup_contents(uint32_t tli, uint64_t start, uint64_t stop, const std::string &label = "b")
{
	char buf[1024];
	std::snprintf(buf, sizeof buf,
				  "START WAL LOCATION: %s (file %s)\n"
				  "STOP WAL LOCATION: %s (file %s)\n"
				  "CHECKPOINT LOCATION: %s\n"
				  "BACKUP METHOD: streamed\n"
				  "BACKUP FROM: primary\n"
				  "START TIME: 2024-05-01 10:00:00 UTC\n"
				  "LABEL: %s\n"
				  "START TIMELINE: %u\n"
				  "STOP TIME: 2024-05-01 10:00:01 UTC\n"
				  "STOP TIMELINE: %u\n",
				  format_lsn(start).c_str(), seg(tli, start / kSeg).c_str(),
				  format_lsn(stop).c_str(), seg(tli, stop / kSeg).c_str(),
				  format_lsn(start + 0x60).c_str(), label.c_str(), tli, tli);
	return buf;
}

std::string
backup_name(uint32_t tli, uint64_t start)
{
	char off[32];
	std::snprintf(off, sizeof off, ".%08X.backup", static_cast<unsigned>(start % kSeg));
	return seg(tli, start / kSeg) + off;
}

BackupInfo
backup(uint32_t tli, uint64_t start)
{
	return parse_backup_file(backup_name(tli, start), backup_contents(tli, start, start + 0x100),
							 kSeg);
}

/* ---- backup history files -------------------------------------------------------------------- */

TEST(BackupFile, ParsesWhatPostgresWrites)
{
	uint64_t start = 2 * kSeg + 0x28;
	BackupInfo b = parse_backup_file(backup_name(1, start),
									 backup_contents(1, start, 2 * kSeg + 0x100, "nightly"), kSeg);
	EXPECT_EQ(b.start_lsn, start);
	EXPECT_EQ(b.stop_lsn, 2 * kSeg + 0x100);
	EXPECT_EQ(b.start_tli, 1u);
	EXPECT_EQ(b.stop_tli, 1u);
	EXPECT_EQ(b.label, "nightly");
	EXPECT_EQ(b.file, "000000010000000000000002.00000028.backup");
}

TEST(BackupFile, SegmentSizeFromTheFileItself)
{
	/* With seg_size 0 the size that makes name and contents agree is used (here 16 MB). */
	uint64_t start = 0x123 * kSeg + 0x28;
	BackupInfo b =
		parse_backup_file(backup_name(1, start), backup_contents(1, start, start + 8), 0);
	EXPECT_EQ(b.start_lsn, start);
	/* 64 MB segments: segment 2 starts at 0/8000000. */
	uint64_t big = 64 * 1024 * 1024;
	std::string contents = "START WAL LOCATION: 0/8000028 (file 000000010000000000000002)\n";
	b = parse_backup_file("000000010000000000000002.00000028.backup", contents, 0);
	EXPECT_EQ(b.start_lsn, 2 * big + 0x28);
	EXPECT_THROW(parse_backup_file("000000010000000000000002.00000028.backup", contents, kSeg),
				 BackupFileError);
}

TEST(BackupFile, RefusesWhatItCannotTrust)
{
	uint64_t start = 2 * kSeg + 0x28;
	std::string name = backup_name(1, start);
	EXPECT_THROW(parse_backup_file(name, "", kSeg), BackupFileError);
	EXPECT_THROW(parse_backup_file(name, "garbage\x01\x02", kSeg), BackupFileError);
	EXPECT_THROW(parse_backup_file(name, "START WAL LOCATION: nonsense\n", kSeg), BackupFileError);
	/* The contents name another start than the file name. */
	EXPECT_THROW(
		parse_backup_file(name, backup_contents(1, 3 * kSeg + 0x28, 3 * kSeg + 0x100), kSeg),
		BackupFileError);
	/* Not a .backup name at all. */
	EXPECT_THROW(parse_backup_file(seg(1, 2), backup_contents(1, start, start), kSeg),
				 BackupFileError);
	try
	{
		parse_backup_file(name, "", kSeg);
	}
	catch (const BackupFileError &e)
	{
		EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
	}
}

TEST(BackupFile, NewestByStartPosition)
{
	std::vector<BackupInfo> all = {backup(1, 5 * kSeg + 0x28), backup(1, 2 * kSeg + 0x28),
								   backup(2, 9 * kSeg + 0x28)};
	auto kept = newest_backups(all, 2);
	ASSERT_EQ(kept.size(), 2u);
	EXPECT_EQ(kept[0].start_lsn, 9 * kSeg + 0x28);
	EXPECT_EQ(kept[1].start_lsn, 5 * kSeg + 0x28);
	EXPECT_EQ(newest_backups(all, 10).size(), 3u);
	EXPECT_TRUE(newest_backups(all, 0).empty());
}

/* ---- the plan ----------------------------------------------------------------------------------
 */

class Plan : public ::testing::Test
{
protected:
	CleanupInput in;

	void
	SetUp() override
	{
		in.seg_size = kSeg;
		/* Timeline 1 to segment 20 (its .partial), timeline 2 from segment 20 on. */
		for (uint64_t s = 1; s < 20; s++)
			in.names.push_back(seg(1, s));
		in.names.push_back(seg(1, 20) + ".partial");
		for (uint64_t s = 20; s <= 30; s++)
			in.names.push_back(seg(2, s));
		in.names.push_back("00000002.history");
		for (uint64_t start : {3 * kSeg + 0x28, 8 * kSeg + 0x28, 14 * kSeg + 0x28})
		{
			in.backups.push_back(backup(1, start));
			in.names.push_back(backup_name(1, start));
		}
		in.backups.push_back(backup(2, 25 * kSeg + 0x28));
		in.names.push_back(backup_name(2, 25 * kSeg + 0x28));
		in.names.push_back(seg(2, 31) + ".pgls-tmp.primary.1.2");
		in.keep_backups = 2;
		in.positions.push_back(KeepPosition{"current WAL position", 30 * kSeg + 500, 2});
	}

	std::vector<uint64_t>
	removed_segnos(const CleanupPlan &p)
	{
		std::vector<uint64_t> out;
		for (const std::string &n : p.remove)
			out.push_back(wal_segno(parse_wal_file_name(n), kSeg));
		return out;
	}
};

TEST_F(Plan, KeepsFromTheOldestKeptBackupOnEveryTimeline)
{
	CleanupPlan p = plan_archive_cleanup(in);
	ASSERT_FALSE(p.refused) << p.refusal;
	/* keep_backups 2: the TL2 backup at 25 and the TL1 backup at 14. */
	ASSERT_EQ(p.kept_backups.size(), 2u);
	EXPECT_EQ(p.oldest_kept, seg(1, 14));
	EXPECT_EQ(p.kept_by, "base backup " + backup_name(1, 14 * kSeg + 0x28));
	EXPECT_EQ(p.remove.size(), 13u);
	for (uint64_t s : removed_segnos(p))
		EXPECT_LT(s, 14u);
	/* Never history, backup, temp files; the kept backup's segments on TL1 stay, and TL2's. */
	for (const std::string &n : p.remove)
	{
		EXPECT_EQ(parse_wal_file_name(n).kind, WalFileKind::Segment) << n;
		EXPECT_EQ(n.find(".history"), std::string::npos);
		EXPECT_EQ(n.find(".backup"), std::string::npos);
	}
	EXPECT_TRUE(std::is_sorted(p.remove.begin(), p.remove.end()));
}

TEST_F(Plan, ASlotOrStandbyBehindTheBackupsWins)
{
	in.positions.push_back(KeepPosition{"slot \"sb\"", 6 * kSeg + 10, 1});
	in.positions.push_back(KeepPosition{"standby pid 42", 9 * kSeg, 1});
	CleanupPlan p = plan_archive_cleanup(in);
	ASSERT_FALSE(p.refused);
	EXPECT_EQ(p.oldest_kept, seg(1, 6));
	EXPECT_EQ(p.kept_by, "slot \"sb\"");
	EXPECT_EQ(p.boundary_lsn, 6 * kSeg + 10);
	EXPECT_EQ(removed_segnos(p), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

TEST_F(Plan, KeepsAPartialOfTheOldTimelineAfterTheBoundary)
{
	in.keep_backups = 1; /* the TL2 backup at 25 */
	CleanupPlan p = plan_archive_cleanup(in);
	ASSERT_FALSE(p.refused);
	EXPECT_EQ(p.oldest_kept, seg(2, 25));
	/* TL1 1..19, its .partial at 20, TL2 20..24. */
	EXPECT_EQ(p.remove.size(), 19u + 1 + 5);
	EXPECT_NE(std::find(p.remove.begin(), p.remove.end(), seg(1, 20) + ".partial"), p.remove.end());
	EXPECT_EQ(std::find(p.remove.begin(), p.remove.end(), seg(2, 25)), p.remove.end());
}

TEST_F(Plan, RefusesOnAnUnreadableBackupFile)
{
	in.unreadable.push_back("backup history file \"x.backup\": no START WAL LOCATION");
	CleanupPlan p = plan_archive_cleanup(in);
	EXPECT_TRUE(p.refused);
	EXPECT_TRUE(p.remove.empty());
	EXPECT_NE(p.refusal.find("x.backup"), std::string::npos);
}

TEST_F(Plan, RefusesWithoutAnyBackupUnlessBackupsAreNotKept)
{
	in.backups.clear();
	CleanupPlan p = plan_archive_cleanup(in);
	EXPECT_TRUE(p.refused);
	EXPECT_TRUE(p.remove.empty());
	EXPECT_NE(p.refusal.find("no base backup"), std::string::npos);

	in.keep_backups = 0;
	p = plan_archive_cleanup(in);
	ASSERT_FALSE(p.refused);
	EXPECT_EQ(p.oldest_kept, seg(2, 30));
	EXPECT_EQ(p.kept_by, "current WAL position");
}

TEST_F(Plan, MinimumAgeKeepsTheYoungestAndEverythingAfter)
{
	in.keep_backups = 1;
	in.now_s = 100000;
	in.min_age_s = 3600;
	std::map<std::string, int64_t> asked;
	in.mtime = [this, &asked](const std::string &name) -> std::optional<int64_t>
	{
		WalFileName n = parse_wal_file_name(name);
		uint64_t s = wal_segno(n, kSeg);
		int64_t t = s >= 10 ? in.now_s - 60 : in.now_s - 7200; /* 10 and later: a minute old */
		asked[name] = t;
		return t;
	};
	CleanupPlan p = plan_archive_cleanup(in);
	ASSERT_FALSE(p.refused);
	EXPECT_EQ(p.oldest_kept, seg(1, 10));
	EXPECT_NE(p.kept_by.find("archive_keep_min_age"), std::string::npos);
	EXPECT_EQ(removed_segnos(p), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
	/* Only files below the position boundary were looked at. */
	for (const auto &[name, t] : asked)
		EXPECT_LT(wal_segno(parse_wal_file_name(name), kSeg), 25u) << name;
}

TEST_F(Plan, NothingBelowTheBoundaryIsNothingToDo)
{
	in.positions.push_back(KeepPosition{"slot \"old\"", 1 * kSeg, 1});
	CleanupPlan p = plan_archive_cleanup(in);
	ASSERT_FALSE(p.refused);
	EXPECT_TRUE(p.remove.empty());
	EXPECT_EQ(p.oldest_kept, seg(1, 1));
}

/* ---- the CLI's protection ----------------------------------------------------------------------
 */

TEST(ProtectBackups, KeepsTheOldestKeptBackupsStart)
{
	std::map<std::string, std::string> files = {
		{backup_name(1, 3 * kSeg + 0x28), backup_contents(1, 3 * kSeg + 0x28, 3 * kSeg + 0x200)},
		{backup_name(1, 8 * kSeg + 0x28), backup_contents(1, 8 * kSeg + 0x28, 8 * kSeg + 0x200)},
	};
	Names names = {seg(1, 1), seg(1, 9)};
	for (const auto &[n, c] : files)
		names.push_back(n);
	auto read = [&files](const std::string &n) { return files.at(n); };
	bool none;
	std::string by;
	EXPECT_EQ(protect_kept_backups(names, seg(1, 12), 1, kSeg, read, &none, &by), seg(1, 8));
	EXPECT_FALSE(none);
	EXPECT_EQ(by, "base backup " + backup_name(1, 8 * kSeg + 0x28));
	EXPECT_EQ(protect_kept_backups(names, seg(1, 12), 2, kSeg, read, &none, &by), seg(1, 3));
	/* %r older than every kept backup: %r stands. */
	EXPECT_EQ(protect_kept_backups(names, seg(1, 2), 2, kSeg, read, &none, &by), seg(1, 2));
	EXPECT_EQ(by, "%r");
	/* --keep-backups 0: the plain pg_archivecleanup rule. */
	EXPECT_EQ(protect_kept_backups(names, seg(1, 12), 0, kSeg, read, &none, &by), seg(1, 12));
	/* The segment size taken from the files. */
	EXPECT_EQ(protect_kept_backups(names, seg(1, 12), 2, 0, read, &none, &by), seg(1, 3));
}

TEST(ProtectBackups, NoBackupsOrUnreadable)
{
	bool none;
	auto never = [](const std::string &) -> std::string { throw std::runtime_error("unreadable"); };
	EXPECT_EQ(protect_kept_backups({seg(1, 1)}, seg(1, 5), 2, kSeg, never, &none, nullptr),
			  seg(1, 5));
	EXPECT_TRUE(none);
	Names names = {backup_name(1, 3 * kSeg + 0x28)};
	EXPECT_THROW(protect_kept_backups(names, seg(1, 5), 2, kSeg, never, &none, nullptr),
				 BackupFileError);
	auto garbage = [](const std::string &) { return std::string("garbage"); };
	EXPECT_THROW(protect_kept_backups(names, seg(1, 5), 2, kSeg, garbage, &none, nullptr),
				 BackupFileError);
}

/* ---- timelines
 * ----------------------------------------------------------------------------------- */

TEST(Timeline, SegmentOfTheSwitchBelongsToTheNewTimeline)
{
	/* TL1 [0, 20 seg + 0x100), TL2 [.., 30 seg), TL3 after. */
	std::vector<TimelineSpan> h = {
		{3, 30 * kSeg, 0}, {2, 20 * kSeg + 0x100, 30 * kSeg}, {1, 0, 20 * kSeg + 0x100}};
	EXPECT_EQ(timeline_of_segment(h, 19, kSeg, 9), 1u);
	EXPECT_EQ(timeline_of_segment(h, 20, kSeg, 9), 2u);
	EXPECT_EQ(timeline_of_segment(h, 29, kSeg, 9), 2u);
	/* A switch exactly at a segment boundary. */
	EXPECT_EQ(timeline_of_segment(h, 30, kSeg, 9), 3u);
	EXPECT_EQ(timeline_of_segment(h, 1000, kSeg, 9), 3u);
	EXPECT_EQ(timeline_of_segment({}, 5, kSeg, 9), 9u);
}

} // namespace
} // namespace pgls
