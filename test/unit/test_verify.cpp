/*
 * test_verify.cpp -- archive verification: coverage, damaged and foreign files, quarantine.
 */
#include "core/verify.hpp"
#include "core/archive_writer.hpp"
#include "core/fileio.hpp"
#include "core/layout.hpp"

#include "fixtures.hpp"

#include <gtest/gtest.h>

namespace pgls
{
namespace
{

using namespace pgls::test;

class VerifyTest : public ::testing::Test
{
protected:
	TempDir tmp;
	std::string root = tmp.path();
	std::string wal = tmp / "wal";

	void
	SetUp() override
	{
		make_dir(wal);
	}

	void
	segment(uint32_t tli, uint64_t segno, const std::string &name = "")
	{
		SegmentSpec s;
		s.tli = tli;
		s.segno = segno;
		write_segment(wal, s, name);
	}

	void
	segments(uint32_t tli, uint64_t from, uint64_t to)
	{
		for (uint64_t segno = from; segno <= to; segno++)
			segment(tli, segno);
	}

	static const VerifyProblem *
	find(const VerifyReport &r, VerifyProblemKind kind)
	{
		for (const VerifyProblem &p : r.problems)
			if (p.kind == kind)
				return &p;
		return nullptr;
	}

	static std::string
	dump(const VerifyReport &r)
	{
		std::string out;
		for (const VerifyProblem &p : r.problems)
			out += std::string(verify_problem_kind_name(p.kind)) + ": " + p.message + "\n";
		return out;
	}
};

TEST_F(VerifyTest, SoundArchiveIsOk)
{
	segments(1, 1, 4);
	segment(1, 5, "000000010000000000000005.partial");
	segments(2, 5, 7);
	write_file(wal + "/00000002.history", "1\t0/500000\tno recovery target specified\n");
	write_file(wal + "/000000010000000000000002.00000028.backup", "START WAL LOCATION\n");

	VerifyReport r = verify_archive(wal);
	EXPECT_TRUE(r.ok()) << dump(r);
	EXPECT_EQ(r.dir, wal);
	EXPECT_EQ(r.seg_size, kSegSize);
	EXPECT_EQ(r.sysid, kSysid);
	EXPECT_EQ(r.history_files, 1u);
	EXPECT_EQ(r.backup_files, 1u);
	ASSERT_EQ(r.timelines.size(), 2u);

	const TimelineSummary &t1 = r.timelines[0];
	EXPECT_EQ(t1.tli, 1u);
	EXPECT_EQ(t1.first, "000000010000000000000001");
	EXPECT_EQ(t1.last, "000000010000000000000005");
	EXPECT_EQ(t1.segments, 5u);
	EXPECT_EQ(t1.partials, 1u);
	EXPECT_EQ(t1.missing, 0u);
	EXPECT_TRUE(t1.gaps.empty());
	EXPECT_FALSE(t1.has_history);

	const TimelineSummary &t2 = r.timelines[1];
	EXPECT_EQ(t2.tli, 2u);
	EXPECT_EQ(t2.first, "000000020000000000000005");
	EXPECT_EQ(t2.last, "000000020000000000000007");
	EXPECT_EQ(t2.segments, 3u);
	EXPECT_TRUE(t2.has_history);

	EXPECT_TRUE(verify_archive(wal, kSysid).ok());
}

TEST_F(VerifyTest, EmptyArchiveIsOk)
{
	VerifyReport r = verify_archive(wal);
	EXPECT_TRUE(r.ok());
	EXPECT_TRUE(r.timelines.empty());
	EXPECT_EQ(r.seg_size, 0u);
}

TEST_F(VerifyTest, FindsGaps)
{
	segments(1, 1, 2);
	segments(1, 5, 6);
	segment(1, 9);
	VerifyReport r = verify_archive(wal);
	EXPECT_EQ(r.count(VerifyProblemKind::Gap), 2u) << dump(r);
	EXPECT_EQ(r.problems.size(), 2u) << dump(r);
	ASSERT_EQ(r.timelines.size(), 1u);
	const TimelineSummary &t = r.timelines[0];
	EXPECT_EQ(t.segments, 5u);
	EXPECT_EQ(t.missing, 4u);
	ASSERT_EQ(t.gaps.size(), 2u);
	EXPECT_EQ(t.gaps[0], (std::pair<uint64_t, uint64_t>(3, 4)));
	EXPECT_EQ(t.gaps[1], (std::pair<uint64_t, uint64_t>(7, 8)));
	EXPECT_EQ(r.problems[0].file, "000000010000000000000003");
	EXPECT_NE(r.problems[0].message.find("000000010000000000000004"), std::string::npos)
		<< r.problems[0].message;
	EXPECT_EQ(r.problems[1].file, "000000010000000000000007");
	EXPECT_FALSE(r.ok());
}

TEST_F(VerifyTest, PartialCoversItsSegment)
{
	segment(1, 1);
	segment(1, 2, "000000010000000000000002.partial");
	segment(1, 3);
	VerifyReport r = verify_archive(wal);
	EXPECT_TRUE(r.ok()) << dump(r);
	ASSERT_EQ(r.timelines.size(), 1u);
	EXPECT_EQ(r.timelines[0].segments, 3u);
	EXPECT_EQ(r.timelines[0].partials, 1u);
}

TEST_F(VerifyTest, FindsStrayTemp)
{
	segments(1, 1, 2);
	std::string temp = temp_file_name("000000010000000000000003", "node1", 4242, 7);
	write_file(wal + "/" + temp, "half");
	VerifyReport r = verify_archive(wal);
	ASSERT_EQ(r.problems.size(), 1u) << dump(r);
	EXPECT_EQ(r.problems[0].kind, VerifyProblemKind::StrayTemp);
	EXPECT_EQ(r.problems[0].file, temp);
	EXPECT_NE(r.problems[0].message.find("4242"), std::string::npos);
	EXPECT_EQ(r.timelines[0].segments, 2u) << "a temp file covers nothing";
}

TEST_F(VerifyTest, FindsBadHeaders)
{
	segment(1, 1);
	SegmentSpec moved;
	moved.segno = 7; /* segment 7's content under segment 2's name */
	write_segment(wal, moved, "000000010000000000000002");
	write_file(wal + "/000000010000000000000003", std::string(kSegSize, '\0'));
	write_file(wal + "/000000010000000000000004", "short");
	segment(1, 5);

	VerifyReport r = verify_archive(wal);
	EXPECT_EQ(r.count(VerifyProblemKind::BadHeader), 3u) << dump(r);
	EXPECT_EQ(r.count(VerifyProblemKind::WrongSize), 1u) << dump(r);
	EXPECT_EQ(r.count(VerifyProblemKind::Gap), 0u) << "damaged files still cover their segment";
	EXPECT_EQ(r.problems.size(), 4u) << dump(r);
	EXPECT_EQ(r.problems[0].file, "000000010000000000000002");
	EXPECT_NE(r.problems[0].message.find("name says 0/200000"), std::string::npos) << dump(r);
	EXPECT_EQ(r.seg_size, kSegSize);
}

TEST_F(VerifyTest, FindsWrongSize)
{
	segment(1, 1);
	SegmentSpec s;
	s.segno = 2;
	s.file_size = kSegSize + 1;
	write_segment(wal, s);
	VerifyReport r = verify_archive(wal);
	ASSERT_EQ(r.problems.size(), 1u) << dump(r);
	EXPECT_EQ(r.problems[0].kind, VerifyProblemKind::WrongSize);
	EXPECT_EQ(r.problems[0].file, "000000010000000000000002");
}

TEST_F(VerifyTest, FindsForeignSystem)
{
	segments(1, 1, 3);
	SegmentSpec foreign;
	foreign.segno = 4;
	foreign.sysid = kSysid + 99;
	write_segment(wal, foreign);
	segment(1, 5);

	VerifyReport r = verify_archive(wal);
	EXPECT_EQ(r.sysid, kSysid) << "the system most segments belong to";
	ASSERT_EQ(r.problems.size(), 1u) << dump(r);
	EXPECT_EQ(r.problems[0].kind, VerifyProblemKind::SysidMismatch);
	EXPECT_EQ(r.problems[0].file, "000000010000000000000004");

	VerifyReport expected = verify_archive(wal, kSysid + 99);
	EXPECT_EQ(expected.sysid, kSysid + 99);
	EXPECT_EQ(expected.count(VerifyProblemKind::SysidMismatch), 4u) << dump(expected);
}

TEST_F(VerifyTest, FindsMissingHistory)
{
	segments(1, 1, 2);
	segments(2, 2, 3);
	segments(3, 3, 4);
	write_file(wal + "/00000002.history", "1\t0/200000\tx\n");
	VerifyReport r = verify_archive(wal);
	ASSERT_EQ(r.problems.size(), 1u) << dump(r);
	EXPECT_EQ(r.problems[0].kind, VerifyProblemKind::MissingHistory);
	EXPECT_EQ(r.problems[0].file, "00000003.history");
	ASSERT_EQ(r.timelines.size(), 3u);
	EXPECT_TRUE(r.timelines[1].has_history);
	EXPECT_FALSE(r.timelines[2].has_history);
}

TEST_F(VerifyTest, FindsUnknownFiles)
{
	segment(1, 1);
	write_file(wal + "/notes.txt", "hello");
	write_file(wal + "/00000001000000000000000a", "lower case");
	make_dir(wal + "/000000010000000000000002");
	VerifyReport r = verify_archive(wal);
	EXPECT_EQ(r.count(VerifyProblemKind::UnknownFile), 3u) << dump(r);
	EXPECT_EQ(r.problems.size(), 3u) << dump(r);
}

TEST_F(VerifyTest, MissingFolderIsAnError)
{
	EXPECT_THROW(verify_archive(tmp / "nope"), IoError);
}

TEST_F(VerifyTest, QuarantineScan)
{
	EXPECT_TRUE(scan_quarantine(root).empty());

	SegmentSpec primary;
	primary.fill = 'p';
	SegmentSpec diverged = primary;
	diverged.fill = 'd';
	make_dir(tmp / "src");
	std::string p = write_segment(tmp / "src", primary, "p");
	std::string d = write_segment(tmp / "src", diverged, "d");
	ArchiveRequest req;
	req.file = segment_name(primary);
	req.layout = ArchiveLayout{root, Layout::Shared, "node1"};
	req.src_path = p;
	ASSERT_EQ(archive_file(req).result, ArchiveResult::Published);
	req.layout.server = "node2";
	req.src_path = d;
	ASSERT_EQ(archive_file(req).result, ArchiveResult::Conflict);

	std::vector<VerifyProblem> q = scan_quarantine(root);
	ASSERT_EQ(q.size(), 1u);
	EXPECT_EQ(q[0].kind, VerifyProblemKind::Quarantined);
	EXPECT_EQ(q[0].file, "quarantine/node2/" + segment_name(primary));
	EXPECT_NE(q[0].message.find("node2"), std::string::npos) << q[0].message;

	/* The archive folder itself is sound: the conflict is only in the quarantine. */
	EXPECT_TRUE(verify_archive(wal).ok()) << dump(verify_archive(wal));

	write_file(root + "/quarantine/node2/" + segment_name(primary) + ".1", "another");
	write_file(root + "/quarantine/stray", "x");
	q = scan_quarantine(root);
	ASSERT_EQ(q.size(), 3u);
	EXPECT_EQ(q[0].kind, VerifyProblemKind::Quarantined);
	EXPECT_EQ(q[1].kind, VerifyProblemKind::Quarantined);
	EXPECT_NE(q[1].message.find("copy of " + segment_name(primary) + " "), std::string::npos)
		<< q[1].message;
	EXPECT_EQ(q[2].kind, VerifyProblemKind::UnknownFile);
	EXPECT_EQ(q[2].file, "quarantine/stray");
}

TEST(VerifyKinds, Names)
{
	EXPECT_STREQ(verify_problem_kind_name(VerifyProblemKind::Gap), "gap");
	EXPECT_STREQ(verify_problem_kind_name(VerifyProblemKind::Quarantined), "quarantined");
}

} // namespace
} // namespace pgls
