/*
 * test_restore.cpp -- restore_command: search order, not found, refusals and atomic install, for
 * files in the archive format (each compression) and raw files (as stored before the format).
 */
#include "core/restore.hpp"
#include "core/fileio.hpp"

#include "fixtures.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

namespace pgls
{
namespace
{

using namespace pgls::test;

class RestoreTest : public ::testing::Test
{
protected:
	TempDir tmp;
	std::string first = tmp / "servers_a";
	std::string second = tmp / "servers_b";
	std::string pg_wal = tmp / "pg_wal";
	std::string dest = pg_wal + "/RECOVERYXLOG";

	void
	SetUp() override
	{
		make_dir(first);
		make_dir(second);
		make_dir(pg_wal);
	}

	std::vector<std::string>
	dirs() const
	{
		return {first, second};
	}

	/* pg_wal holds nothing but what is expected (no temp file). */
	void
	expect_pg_wal(const std::vector<std::string> &names) const
	{
		EXPECT_EQ(dir_names(pg_wal), names);
		EXPECT_FALSE(path_exists(restore_temp_path(dest, static_cast<long>(::getpid()))));
	}
};

TEST_F(RestoreTest, TempPathIsNextToDest)
{
	EXPECT_EQ(restore_temp_path("/x/pg_wal/RECOVERYXLOG", 77),
			  "/x/pg_wal/RECOVERYXLOG.pgls-tmp.77");
}

TEST_F(RestoreTest, RestoresFromFirstFolderHoldingTheFile)
{
	SegmentSpec s;
	s.segno = 9;
	std::string src = write_segment(second, s);
	RestoreOutcome out = restore_file(dirs(), segment_name(s), dest);
	EXPECT_EQ(out.result, RestoreResult::Restored);
	EXPECT_EQ(out.source_path, src);
	EXPECT_EQ(out.bytes, kSegSize);
	EXPECT_EQ(read_file(dest), segment_bytes(s));
	expect_pg_wal({"RECOVERYXLOG"});
}

TEST_F(RestoreTest, FolderOrderDecides)
{
	SegmentSpec a;
	a.fill = 'a';
	SegmentSpec b = a;
	b.fill = 'b';
	write_segment(first, a);
	write_segment(second, b);
	EXPECT_EQ(restore_file(dirs(), segment_name(a), dest).source_path,
			  first + "/" + segment_name(a));
	EXPECT_EQ(read_file(dest), segment_bytes(a));
	EXPECT_EQ(restore_file({second, first}, segment_name(a), dest).source_path,
			  second + "/" + segment_name(a));
	EXPECT_EQ(read_file(dest), segment_bytes(b));
}

TEST_F(RestoreTest, NotFoundLeavesNothing)
{
	RestoreOutcome out = restore_file(dirs(), "000000010000000000000042", dest);
	EXPECT_EQ(out.result, RestoreResult::NotFound);
	EXPECT_TRUE(out.source_path.empty());
	expect_pg_wal({});
	EXPECT_EQ(restore_file(dirs(), "00000005.history", dest).result, RestoreResult::NotFound);
	expect_pg_wal({});
}

/* A missing folder does not stop a copy in another from being restored; but when no folder holds
 * the file, "not in the archive" can only be said if every folder exists. */
TEST_F(RestoreTest, MissingFolderIsAnErrorUnlessFoundElsewhere)
{
	SegmentSpec s;
	write_segment(second, s);
	RestoreOutcome out = restore_file({tmp / "no_such_server", second}, segment_name(s), dest);
	EXPECT_EQ(out.result, RestoreResult::Restored);
	EXPECT_EQ(read_file(dest), segment_bytes(s));
	EXPECT_THROW(restore_file({tmp / "nope"}, segment_name(s), dest), ArchiveFolderMissing);
	EXPECT_THROW(restore_file({second, tmp / "nope"}, "000000010000000000000009", dest),
				 ArchiveFolderMissing);
	EXPECT_EQ(restore_file({second}, "000000010000000000000009", dest).result,
			  RestoreResult::NotFound);
}

TEST_F(RestoreTest, RejectsInvalidNames)
{
	/* Files a traversal would reach, to be sure they are not read. */
	write_file(tmp / "x", "secret");
	write_file(first + "/x", "secret");
	for (const char *bad : {"../../etc/passwd", "000000010000000000000001/../x", "../x", "x",
							"00000001000000000000000a", "", "000000000000000000000001",
							"000000010000000000000001.tmp"})
		EXPECT_THROW(restore_file(dirs(), bad, dest), InvalidWalFileName) << bad;
	expect_pg_wal({});
}

TEST_F(RestoreTest, ReplacesExistingDest)
{
	write_file(dest, "old RECOVERYXLOG");
	SegmentSpec s;
	write_segment(first, s);
	ASSERT_EQ(restore_file(dirs(), segment_name(s), dest).result, RestoreResult::Restored);
	EXPECT_EQ(read_file(dest), segment_bytes(s));
	expect_pg_wal({"RECOVERYXLOG"});
}

TEST_F(RestoreTest, RestoresRawHistoryAndBackupTextChecked)
{
	write_file(first + "/00000002.history", "1\t0/3000000\tno recovery target specified\n");
	ASSERT_EQ(restore_file(dirs(), "00000002.history", dest).result, RestoreResult::Restored);
	EXPECT_EQ(read_file(dest), "1\t0/3000000\tno recovery target specified\n");

	write_file(second + "/000000010000000000000003.00000028.backup",
			   "START WAL LOCATION: 0/300028 (file 000000010000000000000003)\n");
	ASSERT_EQ(restore_file(dirs(), "000000010000000000000003.00000028.backup", dest).result,
			  RestoreResult::Restored);
	EXPECT_EQ(read_file(dest), "START WAL LOCATION: 0/300028 (file 000000010000000000000003)\n");
	expect_pg_wal({"RECOVERYXLOG"});
}

TEST_F(RestoreTest, RestoresPartial)
{
	SegmentSpec s;
	s.segno = 5;
	write_segment(first, s, "000000010000000000000005.partial");
	ASSERT_EQ(restore_file(dirs(), "000000010000000000000005.partial", dest).result,
			  RestoreResult::Restored);
	EXPECT_EQ(read_file(dest), segment_bytes(s));
}

/* A damaged archived segment: restore throws, dest keeps its old content, no temp remains. */
void
expect_refused(const std::vector<std::string> &dirs, const std::string &file,
			   const std::string &dest, const std::string &message_part)
{
	try
	{
		restore_file(dirs, file, dest);
		ADD_FAILURE() << "restored a damaged " << file;
	}
	catch (const RestoreRefused &e)
	{
		EXPECT_NE(std::string(e.what()).find(message_part), std::string::npos) << e.what();
	}
	EXPECT_EQ(read_file(dest), "previous");
}

TEST_F(RestoreTest, RefusesSegmentOfAnotherAddress)
{
	write_file(dest, "previous");
	SegmentSpec s;
	s.segno = 6;
	s.pageaddr = 7 * kSegSize;
	write_segment(first, s);
	expect_refused(dirs(), segment_name(s), dest, "is not segment 000000010000000000000006");
	expect_pg_wal({"RECOVERYXLOG"});
}

TEST_F(RestoreTest, RefusesTruncatedSegment)
{
	write_file(dest, "previous");
	SegmentSpec s;
	s.file_size = kSegSize - 8192;
	write_segment(first, s);
	expect_refused(dirs(), segment_name(s), dest, "not a WAL segment size");
	expect_pg_wal({"RECOVERYXLOG"});
}

TEST_F(RestoreTest, RefusesSegmentWithoutHeader)
{
	write_file(dest, "previous");
	write_file(first + "/000000010000000000000001", std::string(kSegSize, '\0'));
	expect_refused(dirs(), "000000010000000000000001", dest, "no valid WAL segment header");
	write_file(first + "/000000010000000000000002", "");
	expect_refused(dirs(), "000000010000000000000002", dest, "is 0 bytes, not a WAL segment size");
	expect_pg_wal({"RECOVERYXLOG"});
}

TEST_F(RestoreTest, RefusesHeaderWithInvalidSegmentSize)
{
	write_file(dest, "previous");
	SegmentSpec s;
	std::string bytes = segment_bytes(s);
	std::string bad_header = long_header(1, s.segno * kSegSize, kSysid, 12345);
	bytes.replace(0, bad_header.size(), bad_header);
	write_file(first + "/" + segment_name(s), bytes);
	expect_refused(dirs(), segment_name(s), dest, "invalid segment size");
	expect_pg_wal({"RECOVERYXLOG"});
}

TEST_F(RestoreTest, RefusesNameImpossibleForSegmentSize)
{
	write_file(dest, "previous");
	/* With 1 MiB segments an xlogid holds 4096 of them: seg part 0x1000 cannot exist. */
	SegmentSpec s;
	s.segno = 4096; /* header written for segment 0x1000 of xlogid 0 = first of xlogid 1 */
	write_segment(first, s, "000000010000000000001000");
	expect_refused(dirs(), "000000010000000000001000", dest, "not valid with segment size");
}

TEST_F(RestoreTest, RestoresEachFormat)
{
	for (Compression c : kAllCompressions)
	{
		SegmentSpec s;
		s.segno = 11;
		s.fill = static_cast<char>('a' + static_cast<int>(c));
		std::string src = write_encoded_segment(first, s, c);
		RestoreOutcome out = restore_file(dirs(), segment_name(s), dest);
		EXPECT_EQ(out.result, RestoreResult::Restored);
		EXPECT_EQ(out.source_path, src);
		EXPECT_EQ(out.bytes, kSegSize);
		EXPECT_FALSE(out.raw);
		EXPECT_EQ(out.compression, c);
		EXPECT_EQ(read_file(dest), segment_bytes(s)) << compression_name(c);
		expect_pg_wal({"RECOVERYXLOG"});

		std::string hist = "1\t0/3000000\tno recovery target specified\n";
		write_encoded(second, "00000002.history", hist, c, 0, kSysid, 2);
		ASSERT_EQ(restore_file(dirs(), "00000002.history", dest).result, RestoreResult::Restored);
		EXPECT_EQ(read_file(dest), hist);
	}
	/* A raw copy says so. */
	SegmentSpec s;
	s.segno = 12;
	write_segment(first, s);
	RestoreOutcome out = restore_file(dirs(), segment_name(s), dest);
	EXPECT_TRUE(out.raw);
	EXPECT_EQ(read_file(dest), segment_bytes(s));
}

/* The prefetcher's way: fsynced before the rename; the same checks and the same result. */
TEST_F(RestoreTest, SyncedCopyIsTheSame)
{
	SegmentSpec s;
	s.segno = 13;
	write_encoded_segment(first, s, Compression::Lz4);
	RestoreOutcome out = restore_file(dirs(), segment_name(s), dest, true);
	EXPECT_EQ(out.result, RestoreResult::Restored);
	EXPECT_EQ(read_file(dest), segment_bytes(s));
	expect_pg_wal({"RECOVERYXLOG"});

	SegmentSpec other = s;
	other.segno = 14;
	write_encoded_segment(first, other, Compression::Lz4);
	std::string wrong = first + "/" + segment_name(s);
	std::string right = first + "/" + segment_name(other);
	ASSERT_EQ(::rename(right.c_str(), wrong.c_str()), 0);
	EXPECT_THROW(restore_file(dirs(), segment_name(s), dest, true), RestoreRefused);
	EXPECT_EQ(read_file(dest), segment_bytes(s)); /* untouched */
	expect_pg_wal({"RECOVERYXLOG"});
}

TEST_F(RestoreTest, RefusesDamagedPayload)
{
	for (Compression c : kAllCompressions)
	{
		write_file(dest, "previous");
		SegmentSpec s;
		s.segno = 13;
		std::string path = write_encoded_segment(first, s, c);
		uint64_t size = file_size(path);
		flip_byte(path, kFormatHeaderSize + (size - kFormatHeaderSize) / 2, 0x10);
		/* The message names the archived file and says what does not match. */
		expect_refused(dirs(), segment_name(s), dest, path);
		expect_refused(dirs(), segment_name(s), dest, "payload damaged");
		expect_pg_wal({"RECOVERYXLOG"});
	}
}

TEST_F(RestoreTest, RefusesDamagedHistoryFile)
{
	/* No page header to check: the checksum is what protects it. */
	write_file(dest, "previous");
	std::string path =
		write_encoded(first, "00000002.history", "1\t0/3000000\tno recovery target specified\n",
					  Compression::None, 0, kSysid, 2);
	flip_byte(path, kFormatHeaderSize + 2, 0x01);
	expect_refused(dirs(), "00000002.history", dest, "does not match its checksum");
	expect_pg_wal({"RECOVERYXLOG"});
}

TEST_F(RestoreTest, RefusesDamagedHeaderTruncationAndUnknownVersion)
{
	write_file(dest, "previous");
	SegmentSpec s;
	std::string name = segment_name(s);
	std::string path = write_encoded_segment(first, s, Compression::Lz4);
	std::string whole = read_file(path);

	flip_byte(path, 30);
	expect_refused(dirs(), name, dest, "header checksum mismatch");

	write_file(path, whole.substr(0, whole.size() - 10));
	expect_refused(dirs(), name, dest, "truncated");

	write_file(path, whole.substr(0, 40));
	expect_refused(dirs(), name, dest, "truncated");

	std::string v2 = whole;
	v2[8] = 2;
	write_file(path, v2);
	expect_refused(dirs(), name, dest, "format version 2");
	expect_pg_wal({"RECOVERYXLOG"});
}

TEST_F(RestoreTest, RefusesHeaderThatDoesNotFitTheFile)
{
	write_file(dest, "previous");
	/* Timeline 2's file stored under timeline 1's name. */
	SegmentSpec s;
	s.segno = 14;
	std::string name = segment_name(s);
	write_encoded(first, name, segment_bytes(s), Compression::Zstd, 0, kSysid, 2);
	expect_refused(dirs(), name, dest, "its archive header says timeline 2");

	/* The archive header and the WAL page header disagree on the database system. */
	write_encoded(first, name, segment_bytes(s), Compression::Zstd, 0, kSysid + 1, 1);
	expect_refused(dirs(), name, dest, "header names database system");

	/* A well-formed file that holds another segment. */
	SegmentSpec other = s;
	other.segno = 15;
	write_encoded(first, name, segment_bytes(other), Compression::Lz4, 0, kSysid, 1);
	expect_refused(dirs(), name, dest, "is not segment " + name);
	expect_pg_wal({"RECOVERYXLOG"});
}

TEST_F(RestoreTest, RemovesStaleTempOfOurPid)
{
	write_file(restore_temp_path(dest, static_cast<long>(::getpid())), "crashed run");
	SegmentSpec s;
	write_segment(first, s);
	ASSERT_EQ(restore_file(dirs(), segment_name(s), dest).result, RestoreResult::Restored);
	EXPECT_EQ(read_file(dest), segment_bytes(s));
	expect_pg_wal({"RECOVERYXLOG"});
}

TEST_F(RestoreTest, MissingDestFolderIsAnError)
{
	SegmentSpec s;
	write_segment(first, s);
	EXPECT_THROW(restore_file(dirs(), segment_name(s), tmp / "no/such/dir/RECOVERYXLOG"), IoError);
}

TEST_F(RestoreTest, DirectoryInArchiveIsRefused)
{
	make_dir(first + "/000000010000000000000001");
	EXPECT_THROW(restore_file(dirs(), "000000010000000000000001", dest), RestoreRefused);
	expect_pg_wal({});
}

} // namespace
} // namespace pgls
