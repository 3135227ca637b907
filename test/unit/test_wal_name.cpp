/*
 * test_wal_name.cpp -- WAL file names, segment numbers and LSN text.
 */
#include "core/wal_name.hpp"

#include <gtest/gtest.h>

namespace pgls
{
namespace
{

TEST(WalName, ParsesSegment)
{
	WalFileName n = parse_wal_file_name("000000020000000A000000FF");
	ASSERT_EQ(n.kind, WalFileKind::Segment);
	EXPECT_EQ(n.tli, 2u);
	EXPECT_EQ(n.log, 0xAu);
	EXPECT_EQ(n.seg, 0xFFu);
	EXPECT_EQ(n.name, "000000020000000A000000FF");
	EXPECT_EQ(n.segment_name(), "000000020000000A000000FF");
	EXPECT_TRUE(n.has_segment());
	EXPECT_STREQ(wal_file_kind_name(n.kind), "segment");
}

TEST(WalName, ParsesPartial)
{
	WalFileName n = parse_wal_file_name("000000010000000000000003.partial");
	ASSERT_EQ(n.kind, WalFileKind::Partial);
	EXPECT_EQ(n.tli, 1u);
	EXPECT_EQ(n.seg, 3u);
	EXPECT_EQ(n.segment_name(), "000000010000000000000003");
	EXPECT_STREQ(wal_file_kind_name(n.kind), "partial");
}

TEST(WalName, ParsesBackup)
{
	WalFileName n = parse_wal_file_name("000000010000000000000003.00000028.backup");
	ASSERT_EQ(n.kind, WalFileKind::Backup);
	EXPECT_EQ(n.backup_offset, 0x28u);
	EXPECT_EQ(n.seg, 3u);
	EXPECT_EQ(n.segment_name(), "000000010000000000000003");
	EXPECT_STREQ(wal_file_kind_name(n.kind), "backup");
}

TEST(WalName, ParsesHistory)
{
	WalFileName n = parse_wal_file_name("0000000A.history");
	ASSERT_EQ(n.kind, WalFileKind::History);
	EXPECT_EQ(n.tli, 10u);
	EXPECT_FALSE(n.has_segment());
	EXPECT_EQ(n.segment_name(), "");
	EXPECT_STREQ(wal_file_kind_name(n.kind), "history");
}

TEST(WalName, RejectsLowerCaseHex)
{
	EXPECT_FALSE(parse_wal_file_name("00000001000000000000000a").valid());
	EXPECT_FALSE(parse_wal_file_name("0000000a.history").valid());
	EXPECT_FALSE(parse_wal_file_name("000000010000000000000003.0000002a.backup").valid());
}

TEST(WalName, RejectsTimelineZero)
{
	EXPECT_FALSE(parse_wal_file_name("000000000000000000000001").valid());
	EXPECT_FALSE(parse_wal_file_name("000000000000000000000001.partial").valid());
	EXPECT_FALSE(parse_wal_file_name("00000000.history").valid());
}

TEST(WalName, RejectsTraversalAndJunk)
{
	for (const char *bad : {"",
							"../../etc/passwd",
							"000000010000000000000001/../x",
							"../000000010000000000000001",
							"/000000010000000000000001",
							"./000000010000000000000001",
							"000000010000000000000001/",
							"000000010000000000000001 ",
							" 000000010000000000000001",
							"00000001000000000000001",
							"0000000100000000000000011",
							"00000001000000000000000G",
							"000000010000000000000001.PARTIAL",
							"000000010000000000000001.partial.1",
							"000000010000000000000001.tmp",
							"000000010000000000000001.0000002.backup",
							"000000010000000000000001.00000028.backup.1",
							"00000001.HISTORY",
							"0000001.history",
							"00000001.history/..",
							"RECOVERYXLOG"})
	{
		WalFileName n = parse_wal_file_name(bad);
		EXPECT_FALSE(n.valid()) << "accepted \"" << bad << "\"";
		EXPECT_EQ(n.kind, WalFileKind::Invalid);
		EXPECT_STREQ(wal_file_kind_name(n.kind), "invalid");
	}
	/* An embedded NUL must not end the name early. */
	EXPECT_FALSE(parse_wal_file_name(std::string("000000010000000000000001\0/x", 27)).valid());
}

TEST(WalName, ValidSegmentSizes)
{
	EXPECT_TRUE(valid_segment_size(1u << 20));
	EXPECT_TRUE(valid_segment_size(16u << 20));
	EXPECT_TRUE(valid_segment_size(1u << 30));
	EXPECT_FALSE(valid_segment_size(0));
	EXPECT_FALSE(valid_segment_size(1u << 19));
	EXPECT_FALSE(valid_segment_size(UINT64_C(1) << 31));
	EXPECT_FALSE(valid_segment_size((16u << 20) + 8192));
}

TEST(WalName, SegmentNumbers)
{
	const uint64_t mb16 = 16u << 20;
	WalFileName n = parse_wal_file_name("000000010000000A000000FF");
	EXPECT_EQ(wal_segno(n, mb16), 0xAu * 256 + 0xFF);
	EXPECT_EQ(wal_segment_file_name(1, 0xAu * 256 + 0xFF, mb16), "000000010000000A000000FF");
	EXPECT_EQ(wal_segment_file_name(1, 256, mb16), "000000010000000100000000");
	/* 1 MiB segments: 4096 per xlogid. */
	EXPECT_EQ(wal_segment_file_name(3, 4096 + 5, 1u << 20), "000000030000000100000005");
	EXPECT_EQ(wal_segno(parse_wal_file_name("000000030000000100000005"), 1u << 20), 4096u + 5);
	for (uint64_t segno : {UINT64_C(0), UINT64_C(1), UINT64_C(255), UINT64_C(256), UINT64_C(70000)})
	{
		std::string name = wal_segment_file_name(7, segno, mb16);
		EXPECT_EQ(wal_segno(parse_wal_file_name(name), mb16), segno) << name;
	}
}

TEST(WalName, ParsesLsn)
{
	EXPECT_EQ(parse_lsn("16/B374D848"), UINT64_C(0x16B374D848));
	EXPECT_EQ(parse_lsn("0/0"), UINT64_C(0));
	EXPECT_EQ(parse_lsn("16/b374d848"), UINT64_C(0x16B374D848));
	EXPECT_EQ(parse_lsn("FFFFFFFF/FFFFFFFF"), UINT64_MAX);
	for (const char *bad : {"", "/", "16/", "/1", "16", "123456789/0", "0/123456789", "G/0", "0/-1",
							"0//1", "0/1/2", " 0/1"})
		EXPECT_FALSE(parse_lsn(bad).has_value()) << "accepted \"" << bad << "\"";
}

TEST(WalName, FormatsLsn)
{
	EXPECT_EQ(format_lsn(UINT64_C(0x16B374D848)), "16/B374D848");
	EXPECT_EQ(format_lsn(0), "0/0");
	EXPECT_EQ(format_lsn(UINT64_C(0x100000000)), "1/0");
	for (uint64_t lsn :
		 {UINT64_C(0), UINT64_C(1), UINT64_C(0xFFFFFFFF), UINT64_C(0x123456789ABCDEF0), UINT64_MAX})
		EXPECT_EQ(parse_lsn(format_lsn(lsn)), lsn);
}

} // namespace
} // namespace pgls
