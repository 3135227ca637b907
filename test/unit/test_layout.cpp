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
	std::string t =
		temp_file_name("000000010000000000000001", "node-1", "0123456789abcdef", 12345, 987654321);
	EXPECT_EQ(t, "000000010000000000000001.pgls-tmp.node-1.0123456789abcdef.12345.987654321");
	EXPECT_FALSE(parse_wal_file_name(t).valid());
	auto parsed = parse_temp_file_name(t);
	ASSERT_TRUE(parsed.has_value());
	EXPECT_EQ(parsed->file, "000000010000000000000001");
	EXPECT_EQ(parsed->server, "node-1");
	EXPECT_EQ(parsed->instance, "0123456789abcdef");
	EXPECT_EQ(parsed->pid, 12345);

	auto h = parse_temp_file_name(temp_file_name("00000002.history", "s", kNoInstance, 1, 0));
	ASSERT_TRUE(h.has_value());
	EXPECT_EQ(h->file, "00000002.history");
	EXPECT_EQ(h->server, "s");
	EXPECT_EQ(h->instance, kNoInstance);
	EXPECT_EQ(h->pid, 1);
}

TEST(Layout, ParsesTempNamesWithoutInstance)
{
	/* The form before instance ids: still a temp file (verify, cleanup), nobody's own. */
	auto t = parse_temp_file_name("000000010000000000000001.pgls-tmp.node-1.12345.987654321");
	ASSERT_TRUE(t.has_value());
	EXPECT_EQ(t->server, "node-1");
	EXPECT_EQ(t->instance, "");
	EXPECT_EQ(t->pid, 12345);
	auto dead = [](long) { return false; };
	EXPECT_FALSE(temp_file_is_ours_and_dead(*t, "", 1, dead));
	EXPECT_FALSE(temp_file_is_ours_and_dead(*t, "0123456789abcdef", 1, dead));
}

TEST(Layout, OursAndDead)
{
	const std::string mine = "00000000000000aa";
	const std::string other = "00000000000000bb";
	auto parse = [](const std::string &instance, long pid)
	{ return *parse_temp_file_name(temp_file_name("00000001.history", "s", instance, pid, 7)); };
	auto dead = [](long) { return false; };
	auto alive = [](long) { return true; };
	EXPECT_TRUE(temp_file_is_ours_and_dead(parse(mine, 10), mine, 99, dead));
	EXPECT_FALSE(temp_file_is_ours_and_dead(parse(mine, 10), mine, 99, alive)) << "still writing";
	EXPECT_FALSE(temp_file_is_ours_and_dead(parse(mine, 99), mine, 99, dead)) << "my own pid";
	/* Another instance's pid may be another host's: it is never looked up. */
	bool looked_up = false;
	auto spy = [&looked_up](long)
	{
		looked_up = true;
		return false;
	};
	EXPECT_FALSE(temp_file_is_ours_and_dead(parse(other, 10), mine, 99, spy));
	EXPECT_FALSE(looked_up);
	/* A writer without an instance id owns nothing. */
	EXPECT_FALSE(temp_file_is_ours_and_dead(parse(std::string(kNoInstance), 10),
											std::string(kNoInstance), 99, dead));
}

TEST(Layout, RejectsNonTempNames)
{
	for (const char *name :
		 {"000000010000000000000001", "000000010000000000000001.pgls-tmp.", ".pgls-tmp.node.1.2",
		  "x.pgls-tmp.node.12a.5", "x.pgls-tmp.node.1", "x.pgls-tmp.no/de.1.2", "x.pgls-tmp..1.2",
		  "x.pgls-tmp.node..2", "x.pgls-tmp.node.12345678901.2", "x.tmp", "x.pgls-tmp.node.1.",
		  "x.pgls-tmp.node.0123456789ABCDEF.1.2", "x.pgls-tmp.node.0123456789abcde.1.2",
		  "x.pgls-tmp.node.0123456789abcdef..2", "x.pgls-tmp.node.0123456789abcdef.1.2.3"})
		EXPECT_FALSE(parse_temp_file_name(name).has_value()) << name;
	EXPECT_FALSE(valid_instance_id("0123456789abcdeg"));
	EXPECT_TRUE(valid_instance_id("0123456789abcdef"));
}

} // namespace
} // namespace pgls
