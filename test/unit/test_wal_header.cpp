/*
 * test_wal_header.cpp -- decoding and checking a segment's long page header.
 */
#include "core/wal_header.hpp"

#include "fixtures.hpp"

#include <gtest/gtest.h>

namespace pgls
{
namespace
{

using namespace pgls::test;

const unsigned char *
bytes(const std::string &s)
{
	return reinterpret_cast<const unsigned char *>(s.data());
}

TEST(WalHeader, Decodes)
{
	std::string h = long_header(3, UINT64_C(0x1200000000), kSysid, 16u << 20);
	auto hdr = decode_wal_long_header(bytes(h), h.size());
	ASSERT_TRUE(hdr.has_value());
	EXPECT_EQ(hdr->magic, kMagic);
	EXPECT_TRUE(hdr->info & kWalLongHeaderFlag);
	EXPECT_EQ(hdr->tli, 3u);
	EXPECT_EQ(hdr->pageaddr, UINT64_C(0x1200000000));
	EXPECT_EQ(hdr->sysid, kSysid);
	EXPECT_EQ(hdr->seg_size, 16u << 20);
	EXPECT_EQ(hdr->blcksz, 8192u);
}

TEST(WalHeader, RejectsShortOrShortHeader)
{
	std::string h = long_header(1, 0, kSysid, kSegSize);
	EXPECT_FALSE(decode_wal_long_header(bytes(h), h.size() - 1).has_value());
	EXPECT_FALSE(decode_wal_long_header(bytes(h), 0).has_value());
	std::string short_page = long_header(1, 0, kSysid, kSegSize, 0);
	EXPECT_FALSE(decode_wal_long_header(bytes(short_page), short_page.size()).has_value());
	std::string zeros(kWalLongHeaderSize, '\0');
	EXPECT_FALSE(decode_wal_long_header(bytes(zeros), zeros.size()).has_value());
}

TEST(WalHeader, ChecksAgainstNameAndCluster)
{
	WalLongHeader hdr;
	hdr.magic = kWalPageMagic;
	hdr.info = kWalLongHeaderFlag;
	hdr.tli = 1;
	hdr.pageaddr = 5 * kSegSize;
	hdr.sysid = kSysid;
	hdr.seg_size = kSegSize;

	EXPECT_EQ(check_wal_header(hdr, 5 * kSegSize, kSysid, kSegSize), "");
	EXPECT_EQ(check_wal_header(hdr, 5 * kSegSize, 0, 0), "") << "0 means do not check";

	std::string why = check_wal_header(hdr, 5 * kSegSize, kSysid + 1, kSegSize);
	EXPECT_NE(why.find(std::to_string(kSysid)), std::string::npos) << why;
	EXPECT_NE(why.find(std::to_string(kSysid + 1)), std::string::npos) << why;

	why = check_wal_header(hdr, 5 * kSegSize, 0, 16u << 20);
	EXPECT_NE(why.find("segment size"), std::string::npos) << why;

	why = check_wal_header(hdr, 6 * kSegSize, 0, kSegSize);
	EXPECT_NE(why.find("0/500000"), std::string::npos) << why;
	EXPECT_NE(why.find("0/600000"), std::string::npos) << why;

	/* Another PostgreSQL version's WAL (or a damaged first page) is refused by its magic. */
	WalLongHeader other = hdr;
	other.magic = static_cast<uint16_t>(kWalPageMagic + 3);
	why = check_wal_header(other, 5 * kSegSize, kSysid, kSegSize);
	EXPECT_NE(why.find("page magic"), std::string::npos) << why;
	other.magic = 0x2EEF;
	EXPECT_NE(check_wal_header(other, 5 * kSegSize, 0, 0), "");
}

TEST(WalHeader, ReadsFromFile)
{
	TempDir dir;
	SegmentSpec s;
	s.segno = 7;
	std::string path = write_segment(dir.path(), s);
	auto hdr = read_wal_long_header(path);
	ASSERT_TRUE(hdr.has_value());
	EXPECT_EQ(hdr->pageaddr, 7 * kSegSize);
	EXPECT_EQ(hdr->sysid, kSysid);

	write_file(dir / "short", long_header(1, 0, kSysid, kSegSize).substr(0, 39));
	EXPECT_FALSE(read_wal_long_header(dir / "short").has_value());
	EXPECT_FALSE(read_wal_long_header(dir / "missing").has_value());
}

} // namespace
} // namespace pgls
