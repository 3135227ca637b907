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
	write_file(wal + "/000000010000000000000002.00000028.backup",
			   "START WAL LOCATION: 0/200028 (file 000000010000000000000002)\n");

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

/* A temp file may be a write in progress: verify, run while servers archive, does not report it
 * until it is older than kTempInProgressSeconds. */
TEST_F(VerifyTest, YoungTempIsAWriteInProgress)
{
	segments(1, 1, 2);
	std::string temp = temp_file_name("000000010000000000000003", "node1", kNoInstance, 4242, 7);
	write_file(wal + "/" + temp, "half");
	VerifyReport r = verify_archive(wal);
	EXPECT_TRUE(r.ok()) << dump(r);
	EXPECT_EQ(r.writes_in_progress, 1u);
}

TEST_F(VerifyTest, FindsStrayTemp)
{
	segments(1, 1, 2);
	std::string temp = temp_file_name("000000010000000000000003", "node1", kNoInstance, 4242, 7);
	write_file(wal + "/" + temp, "half");
	set_age(wal + "/" + temp, kTempInProgressSeconds + 60);
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
	EXPECT_EQ(r.count(VerifyProblemKind::BadHeader), 2u) << dump(r);
	EXPECT_EQ(r.count(VerifyProblemKind::WrongSize), 1u) << dump(r); /* "short": not decoded */
	EXPECT_EQ(r.count(VerifyProblemKind::Gap), 0u) << "damaged files still cover their segment";
	EXPECT_EQ(r.problems.size(), 3u) << dump(r);
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
	EXPECT_EQ(r.count(VerifyProblemKind::UnknownFile), 2u) << dump(r);
	EXPECT_EQ(r.count(VerifyProblemKind::NotRegular), 1u) << dump(r); /* the directory */
	EXPECT_EQ(r.problems.size(), 3u) << dump(r);
}

TEST_F(VerifyTest, MixedFormatsAreSound)
{
	/* What an archive looks like after settings changes: every format, and raw files. */
	const Compression order[] = {Compression::Lz4, Compression::Zstd, Compression::None};
	for (uint64_t segno = 1; segno <= 6; segno++)
	{
		SegmentSpec s;
		s.segno = segno;
		if (segno == 6)
			write_segment(wal, s); /* raw */
		else
			write_encoded_segment(wal, s, order[segno % 3]);
	}
	SegmentSpec t2;
	t2.tli = 2;
	t2.segno = 6;
	write_encoded_segment(wal, t2, Compression::Zstd);
	write_encoded(wal, "00000002.history", "1\t0/600000\tno recovery target specified\n",
				  Compression::Lz4, 0, kSysid, 2);
	write_encoded(wal, "000000010000000000000002.00000028.backup",
				  "START WAL LOCATION: 0/200028 (file 000000010000000000000002)\n",
				  Compression::Zstd, 0, kSysid, 1);

	for (bool deep : {false, true})
	{
		VerifyReport r = verify_archive(wal, 0, deep);
		EXPECT_TRUE(r.ok()) << dump(r);
		EXPECT_EQ(r.deep, deep);
		EXPECT_EQ(r.seg_size, kSegSize);
		EXPECT_EQ(r.sysid, kSysid);
		ASSERT_EQ(r.timelines.size(), 2u);
		EXPECT_EQ(r.timelines[0].segments, 6u);
		EXPECT_EQ(r.formats.raw, 1u);
		EXPECT_EQ(r.formats.none, 2u);
		EXPECT_EQ(r.formats.lz4, 2u);  /* segment 3 and the history file */
		EXPECT_EQ(r.formats.zstd, 4u); /* segments 1 and 4, TL2's and the backup file */
		EXPECT_EQ(r.formats.original_bytes, 7 * kSegSize + 40 + 61);
		EXPECT_LT(r.formats.stored_bytes, r.formats.original_bytes);
	}
}

TEST_F(VerifyTest, FindsDamagedFiles)
{
	for (uint64_t segno = 1; segno <= 8; segno++)
	{
		SegmentSpec s;
		s.segno = segno;
		/* Incompressible content after the page header, so that the end of the payload is far
		 * from the first compressed block. */
		std::string bytes = segment_bytes(s);
		uint32_t x = static_cast<uint32_t>(segno);
		for (size_t i = kWalLongHeaderSize; i < bytes.size(); i++)
		{
			x = x * 1664525u + 1013904223u;
			bytes[i] = static_cast<char>(x >> 24);
		}
		write_encoded(wal, segment_name(s), bytes,
					  segno % 2 ? Compression::Lz4 : Compression::Zstd);
	}
	auto path = [&](uint64_t segno)
	{
		SegmentSpec s;
		s.segno = segno;
		return wal + "/" + segment_name(s);
	};
	/* 2, 3: payload damaged near the end, which only a deep check sees. */
	flip_byte(path(2), file_size(path(2)) - 30, 0x04);
	flip_byte(path(3), file_size(path(3)) - 30, 0x04);
	/* 4: header damaged; 5: truncated; 6: unknown version. */
	flip_byte(path(4), 17);
	std::string five = read_file(path(5));
	write_file(path(5), five.substr(0, five.size() / 2));
	std::string six = read_file(path(6));
	six[8] = 9;
	write_file(path(6), six);

	VerifyReport fast = verify_archive(wal);
	EXPECT_EQ(fast.count(VerifyProblemKind::Damaged), 3u) << dump(fast);
	EXPECT_EQ(fast.problems.size(), 3u) << dump(fast);
	EXPECT_EQ(fast.count(VerifyProblemKind::Gap), 0u) << "damaged files still cover their segment";
	ASSERT_EQ(fast.problems.size(), 3u);
	EXPECT_EQ(fast.problems[0].file, "000000010000000000000004");
	EXPECT_NE(fast.problems[0].message.find("header checksum mismatch"), std::string::npos)
		<< dump(fast);
	EXPECT_NE(fast.problems[1].message.find("truncated"), std::string::npos) << dump(fast);
	EXPECT_NE(fast.problems[2].message.find("format version 9"), std::string::npos) << dump(fast);

	VerifyReport deep = verify_archive(wal, 0, true);
	EXPECT_EQ(deep.count(VerifyProblemKind::Damaged), 5u) << dump(deep);
	EXPECT_EQ(deep.problems.size(), 5u) << dump(deep);
	EXPECT_EQ(deep.problems[0].file, "000000010000000000000002");
	EXPECT_NE(deep.problems[0].message.find("payload damaged"), std::string::npos) << dump(deep);
	EXPECT_EQ(deep.problems[1].file, "000000010000000000000003");
	EXPECT_STREQ(verify_problem_kind_name(VerifyProblemKind::Damaged), "damaged");
}

TEST_F(VerifyTest, ChecksWalHeadersInsideCompressedFiles)
{
	segment(1, 1);
	SegmentSpec moved;
	moved.segno = 7; /* segment 7's content under segment 2's name */
	write_encoded(wal, "000000010000000000000002", segment_bytes(moved), Compression::Lz4);
	SegmentSpec s3;
	s3.segno = 3;
	/* the archive header says timeline 2 */
	write_encoded(wal, segment_name(s3), segment_bytes(s3), Compression::Zstd, 0, kSysid, 2);
	SegmentSpec s4;
	s4.segno = 4;
	/* the archive header names another system than the page header */
	write_encoded(wal, segment_name(s4), segment_bytes(s4), Compression::Zstd, 0, kSysid + 1, 1);
	SegmentSpec s5;
	s5.segno = 5;
	s5.file_size = kSegSize - 8192;
	write_encoded_segment(wal, s5, Compression::Lz4);

	VerifyReport r = verify_archive(wal);
	EXPECT_EQ(r.count(VerifyProblemKind::BadHeader), 3u) << dump(r);
	EXPECT_EQ(r.count(VerifyProblemKind::WrongSize), 1u) << dump(r);
	ASSERT_EQ(r.problems.size(), 4u) << dump(r);
	EXPECT_NE(r.problems[0].message.find("header does not fit the name"), std::string::npos)
		<< dump(r);
	EXPECT_NE(r.problems[1].message.find("archive header says timeline 2"), std::string::npos)
		<< dump(r);
	EXPECT_NE(r.problems[2].message.find("archive header names database system"), std::string::npos)
		<< dump(r);
	EXPECT_EQ(r.problems[3].file, segment_name(s5));
	EXPECT_EQ(r.problems[3].kind, VerifyProblemKind::WrongSize);
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
