/*
 * test_layout.cpp -- archive folders, server names and temp-file names.
 */
#include "core/layout.hpp"
#include "core/wal_name.hpp"

#include <gtest/gtest.h>

namespace pgls
{
namespace
{

TEST(Layout, NamesRoundTrip)
{
	EXPECT_STREQ(layout_name(Layout::Shared), "shared");
	EXPECT_STREQ(layout_name(Layout::PerServer), "per_server");
	EXPECT_EQ(parse_layout("shared"), Layout::Shared);
	EXPECT_EQ(parse_layout("per_server"), Layout::PerServer);
	EXPECT_FALSE(parse_layout("Shared").has_value());
	EXPECT_FALSE(parse_layout("per-server").has_value());
	EXPECT_FALSE(parse_layout("").has_value());
}

TEST(Layout, Folders)
{
	ArchiveLayout shared{"/arch", Layout::Shared, "node1"};
	EXPECT_EQ(shared.wal_dir(), "/arch/wal");
	EXPECT_EQ(shared.quarantine_dir(), "/arch/quarantine/node1");
	EXPECT_EQ(shared.final_path("000000010000000000000001"), "/arch/wal/000000010000000000000001");

	ArchiveLayout per{"/arch", Layout::PerServer, "node2"};
	EXPECT_EQ(per.wal_dir(), "/arch/servers/node2");
	EXPECT_EQ(per.quarantine_dir(), "/arch/quarantine/node2");
	EXPECT_EQ(per.final_path("00000002.history"), "/arch/servers/node2/00000002.history");

	EXPECT_EQ(archive_read_dir("/a", Layout::Shared, "ignored"), "/a/wal");
	EXPECT_EQ(archive_read_dir("/a", Layout::PerServer, "s"), "/a/servers/s");
}

TEST(Layout, ServerNames)
{
	std::string why;
	EXPECT_TRUE(valid_server_name("node-1_A"));
	EXPECT_TRUE(valid_server_name(std::string(63, 'x')));
	EXPECT_FALSE(valid_server_name(std::string(64, 'x'), &why));
	EXPECT_FALSE(why.empty());
	why.clear();
	EXPECT_FALSE(valid_server_name("", &why));
	EXPECT_FALSE(why.empty());
	for (const char *bad : {"a/b", "..", "a.b", "a b", "15/main", "é"})
		EXPECT_FALSE(valid_server_name(bad)) << bad;
}

TEST(Layout, SanitizesServerNames)
{
	EXPECT_EQ(sanitize_server_name("15/main"), "15_main");
	EXPECT_EQ(sanitize_server_name("ok-name_1"), "ok-name_1");
	EXPECT_EQ(sanitize_server_name(""), "");
	EXPECT_EQ(sanitize_server_name(std::string(100, 'a')).size(), 63u);
	EXPECT_TRUE(valid_server_name(sanitize_server_name("../x y.z")));
}

TEST(Layout, TempNameRoundTrip)
{
	std::string t = temp_file_name("000000010000000000000001", "node-1", 12345, 987654321);
	EXPECT_EQ(t, "000000010000000000000001.pgls-tmp.node-1.12345.987654321");
	EXPECT_FALSE(parse_wal_file_name(t).valid());
	auto parsed = parse_temp_file_name(t);
	ASSERT_TRUE(parsed.has_value());
	EXPECT_EQ(parsed->file, "000000010000000000000001");
	EXPECT_EQ(parsed->server, "node-1");
	EXPECT_EQ(parsed->pid, 12345);

	auto h = parse_temp_file_name(temp_file_name("00000002.history", "s", 1, 0));
	ASSERT_TRUE(h.has_value());
	EXPECT_EQ(h->file, "00000002.history");
	EXPECT_EQ(h->server, "s");
	EXPECT_EQ(h->pid, 1);
}

TEST(Layout, RejectsNonTempNames)
{
	for (const char *name :
		 {"000000010000000000000001", "000000010000000000000001.pgls-tmp.", ".pgls-tmp.node.1.2",
		  "x.pgls-tmp.node.12a.5", "x.pgls-tmp.node.1", "x.pgls-tmp.no/de.1.2", "x.pgls-tmp..1.2",
		  "x.pgls-tmp.node..2", "x.pgls-tmp.node.12345678901.2", "x.tmp"})
		EXPECT_FALSE(parse_temp_file_name(name).has_value()) << name;
}

} // namespace
} // namespace pgls
