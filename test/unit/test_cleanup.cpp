/*
 * test_cleanup.cpp -- pg_archivecleanup's rule and the removal.
 */
#include "core/cleanup.hpp"
#include "core/fileio.hpp"
#include "core/restore.hpp"

#include "fixtures.hpp"

#include <gtest/gtest.h>

namespace pgls
{
namespace
{

using namespace pgls::test;

using Names = std::vector<std::string>;

const Names kArchive = {
	"000000010000000000000001",
	"000000010000000000000002",
	"000000010000000000000003",
	"000000010000000000000003.partial",
	"000000010000000000000004",
	"000000010000000000000004.partial",
	"000000010000000000000005",
	"000000020000000000000003",
	"000000020000000000000004",
	"000000020000000000000005",
	"000000020000000000000006",
	"00000002.history",
	"00000003.history",
	"000000010000000000000002.00000028.backup",
	"000000010000000000000001.pgls-tmp.node1.123.456",
	"000000020000000000000002.pgls-tmp.node2.7.8",
	"README",
	"00000001000000000000000a",
	"000000000000000000000001",
};

TEST(Cleanup, Boundary)
{
	EXPECT_EQ(cleanup_boundary("000000020000000000000004"), "000000020000000000000004");
	EXPECT_EQ(cleanup_boundary("000000020000000000000004.partial"), "000000020000000000000004");
	EXPECT_EQ(cleanup_boundary("000000020000000000000004.00000028.backup"),
			  "000000020000000000000004");
	for (const char *bad : {"00000002.history", "", "README", "00000002000000000000000a",
							"../000000020000000000000004", "000000020000000000000004.gz"})
		EXPECT_THROW(cleanup_boundary(bad), InvalidWalFileName) << bad;
}

TEST(Cleanup, RemovesOlderSegmentsOfEveryTimeline)
{
	Names expected = {
		"000000010000000000000001",         "000000010000000000000002", "000000010000000000000003",
		"000000010000000000000003.partial", "000000020000000000000003",
	};
	EXPECT_EQ(cleanup_candidates(kArchive, "000000020000000000000004"), expected);
	/* A .partial or .backup %r stands for its segment. */
	EXPECT_EQ(cleanup_candidates(kArchive, "000000020000000000000004.partial"), expected);
	EXPECT_EQ(cleanup_candidates(kArchive, "000000010000000000000004.00000028.backup"), expected);
}

TEST(Cleanup, KeepsTheKeptSegmentsPartialAndNeverTouchesOtherFiles)
{
	Names doomed = cleanup_candidates(kArchive, "000000010000000000000006");
	EXPECT_EQ(doomed.size(), 10u);
	for (const std::string &name : doomed)
	{
		WalFileName n = parse_wal_file_name(name);
		EXPECT_TRUE(n.kind == WalFileKind::Segment || n.kind == WalFileKind::Partial) << name;
	}
	EXPECT_EQ(std::count(doomed.begin(), doomed.end(), "000000010000000000000004.partial"), 1);
	EXPECT_EQ(std::count(doomed.begin(), doomed.end(), "000000020000000000000006"), 0);

	/* The segment's own .partial sorts after it and stays, like pg_archivecleanup. */
	Names small = {"000000010000000000000004.partial", "000000010000000000000004",
				   "000000010000000000000003.partial"};
	EXPECT_EQ(cleanup_candidates(small, "000000010000000000000004"),
			  Names{"000000010000000000000003.partial"});
}

TEST(Cleanup, NothingBeforeTheFirstSegment)
{
	EXPECT_TRUE(cleanup_candidates(kArchive, "000000010000000000000001").empty());
	EXPECT_TRUE(cleanup_candidates({}, "000000010000000000000009").empty());
}

TEST(Cleanup, InvalidOldestKeptThrows)
{
	EXPECT_THROW(cleanup_candidates(kArchive, "00000002.history"), InvalidWalFileName);
	EXPECT_THROW(cleanup_candidates(kArchive, "../../etc"), InvalidWalFileName);
}

class CleanupDirTest : public ::testing::Test
{
protected:
	TempDir dir;

	void
	SetUp() override
	{
		for (const std::string &name : kArchive)
			write_file(dir / name, name);
	}
};

TEST_F(CleanupDirTest, DryRunRemovesNothing)
{
	Names would = run_cleanup(dir.path(), "000000020000000000000004", true);
	EXPECT_EQ(would.size(), 5u);
	EXPECT_EQ(would.front(), "000000010000000000000001");
	Names all = kArchive;
	std::sort(all.begin(), all.end());
	EXPECT_EQ(dir_names(dir.path()), all);
}

TEST_F(CleanupDirTest, RemovesCandidates)
{
	Names removed = run_cleanup(dir.path(), "000000020000000000000004", false);
	EXPECT_EQ(removed, cleanup_candidates(kArchive, "000000020000000000000004"));
	Names left;
	for (const std::string &name : kArchive)
		if (std::find(removed.begin(), removed.end(), name) == removed.end())
			left.push_back(name);
	std::sort(left.begin(), left.end());
	EXPECT_EQ(dir_names(dir.path()), left);
	EXPECT_EQ(dir_names(dir.path()).size(), kArchive.size() - 5);
	EXPECT_TRUE(path_exists(dir / "00000002.history"));
	EXPECT_TRUE(path_exists(dir / "000000010000000000000002.00000028.backup"));
	EXPECT_TRUE(path_exists(dir / "000000010000000000000001.pgls-tmp.node1.123.456"));

	/* Again: nothing left to remove. */
	EXPECT_TRUE(run_cleanup(dir.path(), "000000020000000000000004", false).empty());
}

TEST_F(CleanupDirTest, MissingFolderIsAnError)
{
	EXPECT_THROW(run_cleanup(dir / "nope", "000000020000000000000004", false), IoError);
}

} // namespace
} // namespace pgls
