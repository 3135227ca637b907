/*
 * test_untrusted.cpp -- archive entries are untrusted input: FIFOs, symlinks, sockets and
 * directories under WAL names, decompression bombs, damaged history and backup files, and a
 * filesystem without hard links. Each of these hung, misread or installed the wrong thing before.
 */
#include "core/archive_writer.hpp"
#include "core/cleanup.hpp"
#include "core/content_rules.hpp"
#include "core/fs_store.hpp"
#include "core/restore.hpp"
#include "core/verify.hpp"

#include "fixtures.hpp"

#include <gtest/gtest.h>

#include <lz4frame.h>
#include <xxhash.h>
#include <zstd.h>

#include <cerrno>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace pgls
{
namespace
{

using namespace pgls::test;

const char *const kHistory = "00000002.history";
const char *const kBackup = "000000010000000000000002.00000028.backup";
const char *const kBackupText = "START WAL LOCATION: 0/200028 (file 000000010000000000000002)\n"
								"STOP WAL LOCATION: 0/200100 (file 000000010000000000000002)\n";
const char *const kHistoryText = "1\t0/300000\tno recovery target specified\n";

class UntrustedTest : public ::testing::Test
{
protected:
	TempDir tmp;
	std::string archive = tmp / "archive";
	std::string wal = archive + "/wal";
	std::string pg_wal = tmp / "pg_wal";
	std::string dest = pg_wal + "/RECOVERYXLOG";

	void
	SetUp() override
	{
		make_dir(archive);
		make_dir(wal);
		make_dir(pg_wal);
	}

	void
	mkfifo_at(const std::string &path)
	{
		ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0) << path;
	}

	void
	mksocket_at(const std::string &path)
	{
		int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
		ASSERT_GE(fd, 0);
		struct sockaddr_un addr = {};
		addr.sun_family = AF_UNIX;
		ASSERT_LT(path.size(), sizeof addr.sun_path);
		std::strcpy(addr.sun_path, path.c_str());
		ASSERT_EQ(::bind(fd, reinterpret_cast<struct sockaddr *>(&addr), sizeof addr), 0);
		::close(fd);
	}

	/* restore must refuse name (RestoreRefused, the message containing part) and leave dest and
	 * pg_wal as they were. */
	void
	expect_restore_refused(const std::string &name, const std::string &part)
	{
		write_file(dest, "previous");
		try
		{
			restore_file({wal}, name, dest);
			ADD_FAILURE() << "restored " << name;
		}
		catch (const RestoreRefused &e)
		{
			EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
		}
		EXPECT_EQ(read_file(dest), "previous");
		EXPECT_EQ(dir_names(pg_wal), std::vector<std::string>{"RECOVERYXLOG"});
	}

	/* An archive file with a header claiming `claimed` original bytes, payload compressed from
	 * `payload` with c, and the checksum of `payload`. */
	void
	write_forged(const std::string &path, Compression c, const std::string &payload,
				 uint64_t claimed)
	{
		std::string compressed;
		if (c == Compression::Zstd)
		{
			compressed.resize(ZSTD_compressBound(payload.size()));
			size_t n = ZSTD_compress(compressed.data(), compressed.size(), payload.data(),
									 payload.size(), 19);
			ASSERT_FALSE(ZSTD_isError(n));
			compressed.resize(n);
		}
		else
		{
			LZ4F_preferences_t prefs = {};
			compressed.resize(LZ4F_compressFrameBound(payload.size(), &prefs));
			size_t n = LZ4F_compressFrame(compressed.data(), compressed.size(), payload.data(),
										  payload.size(), &prefs);
			ASSERT_FALSE(LZ4F_isError(n));
			compressed.resize(n);
		}
		FormatHeader h;
		h.algorithm = c;
		h.original_size = claimed;
		h.payload_size = compressed.size();
		XXH128_hash_t sum = XXH3_128bits(payload.data(), payload.size());
		h.checksum = Checksum128{sum.low64, sum.high64};
		h.sysid = kSysid;
		h.tli = 1;
		unsigned char header[kFormatHeaderSize];
		encode_format_header(h, header);
		write_file(path, std::string(reinterpret_cast<char *>(header), sizeof header) + compressed);
	}
};

/* A FIFO under a WAL name used to block restore in open() forever; a symlink was followed (%p
 * became /etc/passwd); a socket or directory gave odd errors. All are refused, by what they are. */
TEST_F(UntrustedTest, RestoreRefusesEntriesThatAreNotRegularFiles)
{
	SegmentSpec s;
	mkfifo_at(wal + "/" + segment_name(s));
	expect_restore_refused(segment_name(s), "is a FIFO, not a regular file");

	write_file(tmp / "secret", "1\t0/300000\tfrom elsewhere\n");
	ASSERT_EQ(::symlink((tmp / "secret").c_str(), (wal + "/" + kHistory).c_str()), 0);
	expect_restore_refused(kHistory, "is a symbolic link, not a regular file");

	mksocket_at(wal + "/" + kBackup);
	expect_restore_refused(kBackup, "is a socket, not a regular file");

	make_dir(wal + "/000000010000000000000005");
	expect_restore_refused("000000010000000000000005", "is a directory, not a regular file");
}

TEST_F(UntrustedTest, RestoreNeverReplacesADestinationThatIsNotARegularFile)
{
	write_file(wal + "/" + kHistory, kHistoryText);
	std::string target = tmp / "target";
	write_file(target, "untouched");
	std::string link = pg_wal + "/RECOVERYHISTORY";
	ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
	EXPECT_THROW(restore_file({wal}, kHistory, link), std::invalid_argument);
	struct stat st;
	ASSERT_EQ(::lstat(link.c_str(), &st), 0);
	EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the symlink was replaced";
	EXPECT_EQ(read_file(target), "untouched");
}

/* Formatted history and backup files whose magic number was zeroed or lower-cased, or that were
 * truncated to 0-3 bytes, read as raw files: they used to be installed as they were. A raw one
 * must now be text of its kind. */
TEST_F(UntrustedTest, DamagedHistoryAndBackupFilesAreRefused)
{
	struct Case
	{
		const char *name;
		const char *text;
	};
	for (Case k : {Case{kHistory, kHistoryText}, Case{kBackup, kBackupText}})
		for (Compression c : kAllCompressions)
		{
			uint32_t tli = k.name == kHistory ? 2 : 1;
			std::string path = write_encoded(wal, k.name, k.text, c, 0, kSysid, tli);
			std::string good = read_file(path);
			std::string ctx = std::string(k.name) + " " + compression_name(c);

			std::string zeroed = good, lowered = good;
			std::fill(zeroed.begin(), zeroed.begin() + 8, '\0');
			for (int i = 0; i < 8; i++)
				lowered[i] = static_cast<char>(std::tolower(lowered[i]));
			for (const std::string &bad :
				 {zeroed, lowered, good.substr(0, 0), good.substr(0, 1), good.substr(0, 3)})
			{
				write_file(path, bad);
				SCOPED_TRACE(ctx + ", " + std::to_string(bad.size()) + " bytes");
				expect_restore_refused(k.name, "is not a valid");
				for (bool deep : {false, true})
				{
					VerifyReport r = verify_archive(wal, 0, deep);
					EXPECT_EQ(r.count(VerifyProblemKind::Damaged), 1u);
				}
			}
			write_file(path, good);
			ASSERT_EQ(restore_file({wal}, k.name, dest).result, RestoreResult::Restored) << ctx;
			EXPECT_EQ(read_file(dest), k.text) << ctx;
		}
}

TEST_F(UntrustedTest, RawHistoryAndBackupTextIsChecked)
{
	EXPECT_EQ(history_text_problem(2, kHistoryText), "");
	EXPECT_EQ(history_text_problem(3, "# comment\n\n1\t0/300000\tr\n2\t0/5000000\tr\n"), "");
	EXPECT_NE(history_text_problem(2, ""), "");
	EXPECT_NE(history_text_problem(2, "PGL"), "");
	EXPECT_NE(history_text_problem(2, "2\t0/300000\tnot a parent of 2\n"), "");
	EXPECT_NE(history_text_problem(3, "2\t0/300000\tr\n1\t0/500000\tr\n"), "") << "order";
	EXPECT_NE(history_text_problem(2, std::string("1\t0/300000\tr\n\0", 15)), "") << "NUL";
	EXPECT_EQ(backup_text_problem(kBackup, kBackupText), "");
	EXPECT_NE(backup_text_problem(kBackup, "START WAL LOCATION\n"), "");
	EXPECT_NE(backup_text_problem(kBackup, std::string("\x01\x00", 2) + kBackupText), "")
		<< "binary before a valid label";
}

/* Decompression bombs: a header claiming 2^63-1 bytes is refused before anything is decoded; a
 * header claiming a segment while the stream expands far beyond stops at the claimed size. */
TEST_F(UntrustedTest, DecompressionBombsStopAtTheBound)
{
	SegmentSpec s;
	std::string seg = segment_bytes(s);
	std::string bomb = seg + std::string(63 * kSegSize, '\0'); /* 64 segments' worth */
	for (Compression c : {Compression::Zstd, Compression::Lz4})
	{
		SCOPED_TRACE(compression_name(c));
		std::string path = wal + "/" + segment_name(s);
		/* A true header: it says what the stream holds, 64 segments; the page header says
		 * segments are smaller, and is read before more than a page is written. */
		write_forged(path, c, bomb, bomb.size());
		expect_restore_refused(segment_name(s), "wrong size: 67108864 bytes");
		write_forged(path, c, bomb + "x", bomb.size() + 1);
		expect_restore_refused(segment_name(s), "not a WAL segment size");
		/* A huge claim. */
		write_forged(path, c, bomb, UINT64_C(0x7FFFFFFFFFFFFFFF));
		expect_restore_refused(segment_name(s), "not a WAL segment size");
		/* A false, plausible header: one segment. Decoding stops there. */
		write_forged(path, c, bomb, kSegSize);
		expect_restore_refused(segment_name(s), "decodes to more than");
		uint64_t passed = 0;
		auto reader = open_local_object(path);
		ArchivedObject obj(*reader);
		EXPECT_THROW(obj.decode([&](const char *, size_t n) { passed += n; }), ArchiveFormatError);
		EXPECT_LE(passed, kSegSize) << "more than the claimed size reached the sink";

		/* History files have a small cap, whatever the header says. */
		std::string hist = std::string(kHistoryText) + std::string(2 * kMaxHistoryFileSize, '#');
		write_forged(wal + "/" + kHistory, c, hist, hist.size());
		expect_restore_refused(kHistory, "more than a history file may");
	}
}

/* A FIFO under the name being archived used to hang the archiver in open(), and shutdown with
 * it. Now the attempt fails with an error naming it, and a FIFO in quarantine is passed by. */
TEST_F(UntrustedTest, ArchiverFailsOnANonRegularEntryWithoutBlocking)
{
	SegmentSpec s;
	std::string src = tmp / "src";
	write_segment(pg_wal, s);
	src = pg_wal + "/" + segment_name(s);
	mkfifo_at(wal + "/" + segment_name(s));

	ArchiveRequest req;
	req.layout.root = archive;
	req.layout.server = "node1";
	req.file = segment_name(s);
	req.src_path = src;
	req.pid = 4242;
	req.sysid = kSysid;
	req.seg_size = kSegSize;
	try
	{
		archive_file(req);
		ADD_FAILURE() << "archived over a FIFO";
	}
	catch (const NotRegularFile &e)
	{
		EXPECT_NE(std::string(e.what()).find("is a FIFO, not a regular file"), std::string::npos)
			<< e.what();
	}

	/* A conflicting copy goes to quarantine; a FIFO there under its name is skipped. */
	ASSERT_EQ(::unlink((wal + "/" + segment_name(s)).c_str()), 0);
	SegmentSpec other = s;
	other.fill = 'x';
	write_segment(wal, other);
	make_dir(archive + "/quarantine");
	make_dir(archive + "/quarantine/node1");
	mkfifo_at(archive + "/quarantine/node1/" + segment_name(s));
	ArchiveOutcome out = archive_file(req);
	EXPECT_EQ(out.result, ArchiveResult::Conflict);
	EXPECT_EQ(out.quarantine_path, archive + "/quarantine/node1/" + segment_name(s) + ".1");
}

/* On a filesystem without hard links (vfat, some FUSE filesystems), link(2) fails with EPERM:
 * the error says so, instead of an opaque "Operation not permitted". */
TEST_F(UntrustedTest, FilesystemWithoutHardLinksIsNamed)
{
	SegmentSpec s;
	write_segment(pg_wal, s);
	FsStore store(archive, StoreWriter{"node1", 4242, ""});
	store.set_link_function(
		[](const char *, const char *) -> int
		{
			errno = EPERM;
			return -1;
		});
	ArchiveRequest req;
	req.layout.root = archive;
	req.layout.server = "node1";
	req.file = segment_name(s);
	req.src_path = pg_wal + "/" + segment_name(s);
	try
	{
		archive_file(store, req);
		ADD_FAILURE() << "published without link(2)";
	}
	catch (const IoError &e)
	{
		EXPECT_NE(std::string(e.what()).find("does not support hard links"), std::string::npos)
			<< e.what();
	}
	EXPECT_EQ(dir_names(wal), std::vector<std::string>{}) << "no temp file, no final name";
}

/* Files and folders a server creates follow its data directory's mode (initdb -g: group read). */
TEST_F(UntrustedTest, ArchiveFilesFollowTheGivenModes)
{
	mode_t old = ::umask(0);
	SegmentSpec s;
	write_segment(pg_wal, s);
	FsStore store(archive + "/g", StoreWriter{"node1", 4242, ""}, FileModes{0640, 0750});
	make_dir(archive + "/g");
	ArchiveRequest req;
	req.layout.root = archive + "/g";
	req.layout.server = "node1";
	req.file = segment_name(s);
	req.src_path = pg_wal + "/" + segment_name(s);
	archive_file(store, req);
	::umask(old);
	struct stat st;
	ASSERT_EQ(::stat((archive + "/g/wal").c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0750u);
	ASSERT_EQ(::stat((archive + "/g/wal/" + segment_name(s)).c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0640u);
}

/* A directory (or FIFO) named like a segment used to stop cleanup with an error, removing
 * nothing after it; it is skipped and reported now. */
TEST_F(UntrustedTest, CleanupSkipsEntriesThatAreNotRegularFiles)
{
	for (uint64_t n = 1; n <= 4; n++)
	{
		SegmentSpec s;
		s.segno = n;
		write_segment(wal, s);
	}
	make_dir(wal + "/000000010000000000000000");
	mkfifo_at(wal + "/000000010000000000000001.partial");
	FsStore store(archive);
	std::vector<std::string> skipped;
	std::vector<std::string> removed =
		run_cleanup(store, "wal", "000000010000000000000003", false, &skipped);
	EXPECT_EQ(removed,
			  (std::vector<std::string>{"000000010000000000000001", "000000010000000000000002"}));
	std::sort(skipped.begin(), skipped.end());
	EXPECT_EQ(skipped, (std::vector<std::string>{"000000010000000000000000 (a directory)",
												 "000000010000000000000001.partial (a FIFO)"}));
	EXPECT_EQ(dir_names(wal), (std::vector<std::string>{
								  "000000010000000000000000", "000000010000000000000001.partial",
								  "000000010000000000000003", "000000010000000000000004"}));
}

TEST_F(UntrustedTest, VerifyReportsEntriesThatAreNotRegularFiles)
{
	SegmentSpec s;
	write_segment(wal, s);
	mkfifo_at(wal + "/000000010000000000000002");
	mkfifo_at(wal + "/" + std::string(kBackup));
	for (bool deep : {false, true})
	{
		VerifyReport r = verify_archive(wal, 0, deep);
		EXPECT_EQ(r.count(VerifyProblemKind::NotRegular), 2u);
	}
}

} // namespace
} // namespace pgls
