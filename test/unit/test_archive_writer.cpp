/*
 * test_archive_writer.cpp -- publishing into the archive: the archive format, refusals, conflicts,
 * quarantine, duplicate detection across compression settings and raw (pre-format) copies,
 * damaged archived copies, concurrent writers and the temp-file sweep.
 */
#include "core/archive_writer.hpp"
#include "core/fileio.hpp"

#include "fixtures.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <ctime>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pgls
{
namespace
{

using namespace pgls::test;

class ArchiveWriterTest : public ::testing::Test
{
protected:
	TempDir tmp;
	std::string root = tmp / "archive";
	std::string src_dir = tmp / "src";

	void
	SetUp() override
	{
		make_dir(src_dir);
		make_dir(root); /* the archive directory exists; its folders are made on demand */
	}

	ArchiveRequest
	request(const std::string &server, const std::string &file, const std::string &src_path,
			Compression compression = Compression::None, int level = 0)
	{
		ArchiveRequest req;
		req.compression = compression;
		req.level = level;
		req.layout = ArchiveLayout{root, Layout::Shared, server};
		req.file = file;
		req.src_path = src_path;
		req.pid = static_cast<long>(::getpid());
		req.sysid = kSysid;
		req.seg_size = kSegSize;
		return req;
	}

	/* A source segment written under src/<server>/ so that servers have separate copies. */
	std::string
	source(const std::string &server, const SegmentSpec &s, const std::string &name = "")
	{
		make_dir(src_dir + "/" + server);
		return write_segment(src_dir + "/" + server, s, name);
	}

	std::string
	wal_dir() const
	{
		return root + "/wal";
	}

	bool
	archive_empty() const
	{
		return !path_exists(wal_dir()) || dir_names(wal_dir()).empty();
	}

	static size_t
	count_temps(const std::string &dir)
	{
		size_t n = 0;
		for (const std::string &name : dir_names(dir))
			if (parse_temp_file_name(name))
				n++;
		return n;
	}
};

TEST_F(ArchiveWriterTest, PublishesSegment)
{
	SegmentSpec s;
	s.segno = 3;
	std::string src = source("a", s);
	ArchiveOutcome out = archive_file(request("a", segment_name(s), src));
	EXPECT_EQ(out.result, ArchiveResult::Published);
	EXPECT_STREQ(archive_result_name(out.result), "published");
	EXPECT_EQ(out.final_path, wal_dir() + "/000000010000000000000003");
	EXPECT_EQ(out.bytes_written, kSegSize + kFormatHeaderSize);
	EXPECT_EQ(out.bytes_original, kSegSize);
	EXPECT_TRUE(out.quarantine_path.empty());
	EXPECT_EQ(decoded(out.final_path), read_file(src));
	EXPECT_EQ(read_file(out.final_path).substr(kFormatHeaderSize), read_file(src)); /* none */
	EXPECT_EQ(dir_names(wal_dir()), std::vector<std::string>{"000000010000000000000003"});
}

TEST_F(ArchiveWriterTest, PublishesInTheArchiveFormat)
{
	for (Compression c : kAllCompressions)
	{
		SegmentSpec s;
		s.segno = 10 + static_cast<uint64_t>(c);
		s.tli = 3;
		std::string src = source("a", s);
		int level = c == Compression::None ? 0 : 5;
		ArchiveOutcome out = archive_file(request("a", segment_name(s), src, c, level));
		ASSERT_EQ(out.result, ArchiveResult::Published) << compression_name(c);
		EXPECT_EQ(decoded(out.final_path), read_file(src)) << compression_name(c);
		ArchivedFileInfo info = inspect_archived_file(out.final_path);
		EXPECT_FALSE(info.raw);
		EXPECT_EQ(info.header.algorithm, c);
		EXPECT_EQ(info.header.level, level);
		EXPECT_EQ(info.header.original_size, kSegSize);
		EXPECT_EQ(info.header.sysid, kSysid);
		EXPECT_EQ(info.header.tli, 3u);
		EXPECT_EQ(info.header.content(), content_id_of_file(src));
		EXPECT_EQ(out.bytes_written, file_size(out.final_path));
		EXPECT_EQ(out.bytes_original, kSegSize);
		if (c != Compression::None)
		{
			EXPECT_LT(out.bytes_written, kSegSize / 10) << "a fake segment compresses well";
		}
	}
	/* A history file names its timeline; its sysid is the cluster's as requested. */
	std::string hist = src_dir + "/00000007.history";
	write_file(hist, "6\t0/3000000\tno recovery target specified\n");
	ArchiveOutcome out = archive_file(request("a", "00000007.history", hist, Compression::Zstd));
	ArchivedFileInfo info = inspect_archived_file(out.final_path);
	EXPECT_EQ(info.header.tli, 7u);
	EXPECT_EQ(info.header.sysid, kSysid);
	EXPECT_EQ(decoded(out.final_path), read_file(hist));
}

TEST_F(ArchiveWriterTest, PublishesHistoryPartialAndBackup)
{
	std::string hist = src_dir + "/00000002.history";
	write_file(hist, "1\t0/3000000\tno recovery target specified\n");
	EXPECT_EQ(archive_file(request("a", "00000002.history", hist)).result,
			  ArchiveResult::Published);

	SegmentSpec s;
	s.segno = 3;
	std::string partial = source("a", s, "000000010000000000000003.partial");
	EXPECT_EQ(archive_file(request("a", "000000010000000000000003.partial", partial)).result,
			  ArchiveResult::Published);

	std::string backup = src_dir + "/000000010000000000000003.00000028.backup";
	write_file(backup, "START WAL LOCATION: 0/3000028\n");
	EXPECT_EQ(archive_file(request("a", "000000010000000000000003.00000028.backup", backup)).result,
			  ArchiveResult::Published);

	EXPECT_EQ(dir_names(wal_dir()),
			  (std::vector<std::string>{"000000010000000000000003.00000028.backup",
										"000000010000000000000003.partial", "00000002.history"}));
	EXPECT_EQ(decoded(wal_dir() + "/00000002.history"), read_file(hist));
	EXPECT_EQ(decoded(wal_dir() + "/000000010000000000000003.partial"), read_file(partial));
	EXPECT_EQ(decoded(wal_dir() + "/000000010000000000000003.00000028.backup"), read_file(backup));
}

TEST_F(ArchiveWriterTest, IdenticalCopyIsAlreadyArchived)
{
	SegmentSpec s;
	std::string name = segment_name(s);
	ASSERT_EQ(archive_file(request("a", name, source("a", s))).result, ArchiveResult::Published);

	ArchiveOutcome again = archive_file(request("a", name, source("a", s)));
	EXPECT_EQ(again.result, ArchiveResult::AlreadyArchived);
	EXPECT_EQ(again.bytes_written, 0u);

	ArchiveOutcome standby = archive_file(request("b", name, source("b", s)));
	EXPECT_EQ(standby.result, ArchiveResult::AlreadyArchived);
	EXPECT_STREQ(archive_result_name(standby.result), "already archived");
	EXPECT_FALSE(path_exists(root + "/quarantine"));
	EXPECT_EQ(dir_names(wal_dir()), std::vector<std::string>{name});
}

TEST_F(ArchiveWriterTest, ConflictKeepsArchiveCopyAndQuarantinesOurs)
{
	SegmentSpec primary;
	primary.segno = 4;
	primary.fill = 'p';
	SegmentSpec diverged = primary;
	diverged.fill = 'd';
	std::string name = segment_name(primary);
	std::string primary_src = source("a", primary);
	ASSERT_EQ(archive_file(request("a", name, primary_src)).result, ArchiveResult::Published);
	std::string archived_before = read_file(wal_dir() + "/" + name);

	std::string ours = source("b", diverged);
	ArchiveOutcome out = archive_file(request("b", name, ours));
	EXPECT_EQ(out.result, ArchiveResult::Conflict);
	EXPECT_STREQ(archive_result_name(out.result), "conflict");
	EXPECT_EQ(out.quarantine_path, root + "/quarantine/b/" + name);
	EXPECT_TRUE(out.quarantine_new);
	EXPECT_EQ(read_file(wal_dir() + "/" + name), archived_before);
	EXPECT_EQ(decoded(wal_dir() + "/" + name), read_file(primary_src));
	EXPECT_EQ(decoded(out.quarantine_path), read_file(ours));
	EXPECT_NE(read_file(out.quarantine_path), archived_before);

	/* The same conflicting content again: the quarantine copy is reused. */
	ArchiveOutcome again = archive_file(request("b", name, ours));
	EXPECT_EQ(again.result, ArchiveResult::Conflict);
	EXPECT_EQ(again.quarantine_path, out.quarantine_path);
	EXPECT_FALSE(again.quarantine_new);
	EXPECT_EQ(dir_names(root + "/quarantine/b"), std::vector<std::string>{name});

	/* Yet another content gets a second quarantine name. */
	SegmentSpec third = primary;
	third.fill = '3';
	std::string third_src = source("b", third, name + ".third");
	ArchiveOutcome other = archive_file(request("b", name, third_src));
	EXPECT_EQ(other.result, ArchiveResult::Conflict);
	EXPECT_EQ(other.quarantine_path, root + "/quarantine/b/" + name + ".1");
	EXPECT_TRUE(other.quarantine_new);
	EXPECT_EQ(decoded(other.quarantine_path), read_file(third_src));

	EXPECT_EQ(read_file(wal_dir() + "/" + name), archived_before);
	EXPECT_EQ(dir_names(wal_dir()), std::vector<std::string>{name});
	EXPECT_EQ(count_temps(root + "/quarantine/b"), 0u);
}

TEST_F(ArchiveWriterTest, ConflictPolicy)
{
	EXPECT_FALSE(conflict_counts_as_archived(false));
	EXPECT_TRUE(conflict_counts_as_archived(true));
}

TEST_F(ArchiveWriterTest, RefusesOtherSystem)
{
	SegmentSpec s;
	s.sysid = kSysid + 1;
	ArchiveRequest req = request("a", segment_name(s), source("a", s));
	EXPECT_THROW(archive_file(req), ArchiveRefused);
	EXPECT_TRUE(archive_empty());
	req.sysid = 0; /* not checked */
	EXPECT_EQ(archive_file(req).result, ArchiveResult::Published);
}

TEST_F(ArchiveWriterTest, RefusesWrongSize)
{
	SegmentSpec s;
	s.file_size = kSegSize / 2;
	ArchiveRequest req = request("a", segment_name(s), source("a", s));
	try
	{
		archive_file(req);
		FAIL() << "a half segment was archived";
	}
	catch (const ArchiveRefused &e)
	{
		EXPECT_NE(std::string(e.what()).find("wrong size"), std::string::npos) << e.what();
		EXPECT_NE(e.detail().find(std::to_string(kSegSize / 2)), std::string::npos) << e.detail();
	}
	EXPECT_TRUE(archive_empty());

	SegmentSpec big;
	req = request("a", segment_name(big), source("a", big));
	req.seg_size = 16u << 20;
	EXPECT_THROW(archive_file(req), ArchiveRefused);
	EXPECT_TRUE(archive_empty());
}

TEST_F(ArchiveWriterTest, RefusesWrongPageaddr)
{
	SegmentSpec s;
	s.segno = 2;
	s.pageaddr = 3 * kSegSize; /* segment 3's content under segment 2's name */
	ArchiveRequest req = request("a", segment_name(s), source("a", s));
	EXPECT_THROW(archive_file(req), ArchiveRefused);
	EXPECT_TRUE(archive_empty());
}

TEST_F(ArchiveWriterTest, RefusesMissingHeader)
{
	SegmentSpec s;
	std::string src = src_dir + "/" + segment_name(s);
	write_file(src, std::string(kSegSize, '\0'));
	EXPECT_THROW(archive_file(request("a", segment_name(s), src)), ArchiveRefused);
	EXPECT_TRUE(archive_empty());
}

TEST_F(ArchiveWriterTest, RefusesInvalidNames)
{
	SegmentSpec s;
	std::string src = source("a", s);
	for (const char *bad : {"../x", "000000010000000000000001/../x", "../../etc/passwd",
							"00000001000000000000000a", "", "RECOVERYXLOG"})
	{
		EXPECT_THROW(archive_file(request("a", bad, src)), ArchiveRefused) << bad;
		EXPECT_TRUE(archive_empty()) << bad;
	}
	EXPECT_FALSE(path_exists(tmp / "x"));
	EXPECT_FALSE(path_exists(root + "/x"));
}

TEST_F(ArchiveWriterTest, IdenticalContentWhateverTheCompression)
{
	SegmentSpec s;
	s.segno = 5;
	std::string name = segment_name(s);
	ArchiveOutcome first = archive_file(request("a", name, source("a", s), Compression::Lz4, 1));
	ASSERT_EQ(first.result, ArchiveResult::Published);
	std::string stored = read_file(first.final_path);

	/* A standby with zstd, another with none, one with lz4 at another level: all acknowledge. */
	EXPECT_EQ(archive_file(request("b", name, source("b", s), Compression::Zstd, 19)).result,
			  ArchiveResult::AlreadyArchived);
	EXPECT_EQ(archive_file(request("c", name, source("c", s), Compression::None)).result,
			  ArchiveResult::AlreadyArchived);
	EXPECT_EQ(archive_file(request("d", name, source("d", s), Compression::Lz4, 9)).result,
			  ArchiveResult::AlreadyArchived);
	EXPECT_EQ(read_file(first.final_path), stored);
	EXPECT_FALSE(path_exists(root + "/quarantine"));

	/* Other content with another compression is still a conflict, and quarantined in that
	 * server's format. */
	SegmentSpec other = s;
	other.fill = 'o';
	ArchiveOutcome out = archive_file(request("b", name, source("b", other), Compression::Zstd));
	EXPECT_EQ(out.result, ArchiveResult::Conflict);
	EXPECT_EQ(read_file(first.final_path), stored);
	EXPECT_EQ(inspect_archived_file(out.quarantine_path).header.algorithm, Compression::Zstd);
	EXPECT_EQ(decoded(out.quarantine_path), segment_bytes(other));
}

TEST_F(ArchiveWriterTest, RawArchivedCopyIsComparedByContent)
{
	/* What the foundation stored: the segment as PostgreSQL wrote it, no header. */
	SegmentSpec s;
	s.segno = 6;
	std::string name = segment_name(s);
	make_dir(wal_dir());
	write_segment(wal_dir(), s);
	EXPECT_EQ(archive_file(request("a", name, source("a", s), Compression::Lz4)).result,
			  ArchiveResult::AlreadyArchived);
	EXPECT_EQ(read_file(wal_dir() + "/" + name), segment_bytes(s)) << "left raw";

	SegmentSpec other = s;
	other.fill = 'x';
	ArchiveOutcome out = archive_file(request("a", name, source("a", other), Compression::Lz4));
	EXPECT_EQ(out.result, ArchiveResult::Conflict);
	EXPECT_EQ(read_file(wal_dir() + "/" + name), segment_bytes(s)) << "never replaced";
	EXPECT_EQ(decoded(out.quarantine_path), segment_bytes(other));
}

TEST_F(ArchiveWriterTest, DamagedArchivedCopyIsNeverAcknowledged)
{
	for (Compression c : kAllCompressions)
	{
		SegmentSpec s;
		s.segno = 20 + static_cast<uint64_t>(c);
		std::string name = segment_name(s);
		ArchiveOutcome first = archive_file(request("a", name, source("a", s), c));
		ASSERT_EQ(first.result, ArchiveResult::Published);
		/* Bit rot in the middle of the payload: the header still says the right content. */
		uint64_t size = file_size(first.final_path);
		flip_byte(first.final_path, kFormatHeaderSize + (size - kFormatHeaderSize) / 2, 0x01);
		std::string damaged = read_file(first.final_path);

		try
		{
			archive_file(request("b", name, source("b", s), Compression::Lz4));
			ADD_FAILURE() << compression_name(c) << ": a damaged copy was acknowledged";
		}
		catch (const ArchivedCopyDamaged &e)
		{
			EXPECT_EQ(e.path(), first.final_path);
			EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
		}
		EXPECT_EQ(read_file(first.final_path), damaged) << "never overwritten";
		EXPECT_FALSE(path_exists(root + "/quarantine"));
		EXPECT_EQ(count_temps(wal_dir()), 0u);

		/* Once the damaged copy is moved aside, this server's copy is published. */
		ASSERT_EQ(::rename(first.final_path.c_str(), (tmp / "aside").c_str()), 0);
		EXPECT_EQ(archive_file(request("b", name, source("b", s), Compression::Lz4)).result,
				  ArchiveResult::Published);
		EXPECT_EQ(decoded(first.final_path), segment_bytes(s));
	}
}

TEST_F(ArchiveWriterTest, DamagedHeaderOfArchivedCopyIsNeverAcknowledged)
{
	SegmentSpec s;
	std::string name = segment_name(s);
	ArchiveOutcome first = archive_file(request("a", name, source("a", s), Compression::Zstd));
	flip_byte(first.final_path, 20); /* inside original_size */
	EXPECT_THROW(archive_file(request("b", name, source("b", s), Compression::Zstd)),
				 ArchivedCopyDamaged);
	EXPECT_FALSE(path_exists(root + "/quarantine"));
}

TEST_F(ArchiveWriterTest, DamagedQuarantineCopyIsSkipped)
{
	SegmentSpec primary;
	primary.fill = 'p';
	SegmentSpec diverged = primary;
	diverged.fill = 'd';
	std::string name = segment_name(primary);
	archive_file(request("a", name, source("a", primary), Compression::Lz4));
	ArchiveOutcome q = archive_file(request("b", name, source("b", diverged), Compression::Lz4));
	ASSERT_EQ(q.result, ArchiveResult::Conflict);
	flip_byte(q.quarantine_path, kFormatHeaderSize + 10);
	ArchiveOutcome again =
		archive_file(request("b", name, source("b", diverged), Compression::Lz4));
	EXPECT_EQ(again.result, ArchiveResult::Conflict);
	EXPECT_EQ(again.quarantine_path, root + "/quarantine/b/" + name + ".1");
	EXPECT_EQ(decoded(again.quarantine_path), segment_bytes(diverged));
}

TEST_F(ArchiveWriterTest, LevelOutOfRangeFailsWithoutATrace)
{
	SegmentSpec s;
	EXPECT_THROW(archive_file(request("a", segment_name(s), source("a", s), Compression::Lz4, 13)),
				 std::invalid_argument);
	EXPECT_EQ(count_temps(wal_dir()), 0u);
	EXPECT_TRUE(archive_empty());
}

/* Codes a child process exits with. */
int
result_code(ArchiveResult r)
{
	switch (r)
	{
		case ArchiveResult::Published:
			return 10;
		case ArchiveResult::AlreadyArchived:
			return 11;
		case ArchiveResult::Conflict:
			return 12;
	}
	return 13;
}

TEST_F(ArchiveWriterTest, ConcurrentWritersPublishExactlyOnce)
{
	constexpr int kWriters = 8;
	constexpr int kRounds = 20;
	for (int round = 0; round < kRounds; round++)
	{
		SegmentSpec s;
		s.segno = static_cast<uint64_t>(round + 1);
		s.fill = static_cast<char>('a' + round);
		std::string name = segment_name(s);
		std::vector<ArchiveRequest> reqs;
		/* Writers with different compression settings still agree on one copy. */
		for (int w = 0; w < kWriters; w++)
			reqs.push_back(request("s" + std::to_string(w), name,
								   source("s" + std::to_string(w), s), kAllCompressions[w % 3]));

		int go[2];
		ASSERT_EQ(::pipe(go), 0);
		std::vector<pid_t> children;
		for (int w = 0; w < kWriters; w++)
		{
			pid_t pid = ::fork();
			ASSERT_GE(pid, 0);
			if (pid == 0)
			{
				::close(go[1]);
				char c;
				while (::read(go[0], &c, 1) < 0 && errno == EINTR)
				{
				}
				int code = 14;
				try
				{
					ArchiveRequest req = reqs[static_cast<size_t>(w)];
					req.pid = static_cast<long>(::getpid());
					code = result_code(archive_file(req).result);
				}
				catch (...)
				{
					code = 15;
				}
				::_exit(code);
			}
			children.push_back(pid);
		}
		::close(go[0]);
		::close(go[1]); /* every child starts now */

		int published = 0, already = 0;
		for (pid_t pid : children)
		{
			int status = 0;
			ASSERT_EQ(::waitpid(pid, &status, 0), pid);
			ASSERT_TRUE(WIFEXITED(status));
			int code = WEXITSTATUS(status);
			EXPECT_TRUE(code == 10 || code == 11) << "round " << round << ": child exited " << code;
			published += code == 10;
			already += code == 11;
		}
		EXPECT_EQ(published, 1) << "round " << round;
		EXPECT_EQ(already, kWriters - 1) << "round " << round;
		EXPECT_EQ(decoded(wal_dir() + "/" + name), segment_bytes(s)) << "round " << round;
		EXPECT_EQ(count_temps(wal_dir()), 0u) << "round " << round;
		EXPECT_EQ(dir_names(wal_dir()).size(), static_cast<size_t>(round + 1));
	}
	EXPECT_FALSE(path_exists(root + "/quarantine"));
}

class SweepTest : public ::testing::Test
{
protected:
	TempDir dir;
	const std::string a = "00000000000000aa"; /* this instance */
	const std::string b = "00000000000000bb"; /* another instance, maybe on another host */

	std::string
	temp(const std::string &server, const std::string &instance, long pid)
	{
		std::string name = temp_file_name("000000010000000000000001", server, instance, pid, 42);
		write_file(dir / name, "partial copy");
		return name;
	}

	static long
	dead_pid()
	{
		pid_t pid = ::fork();
		if (pid == 0)
			::_exit(0);
		int status;
		::waitpid(pid, &status, 0);
		return static_cast<long>(pid);
	}
};

TEST_F(SweepTest, RemovesDeadWritersTempsOfThisInstanceOnly)
{
	long me = static_cast<long>(::getpid());
	long live = static_cast<long>(::getppid());
	long dead = dead_pid();
	ASSERT_FALSE(pid_is_alive(dead));
	ASSERT_TRUE(pid_is_alive(live));
	ASSERT_TRUE(pid_is_alive(me));
	EXPECT_FALSE(pid_is_alive(0));

	std::string mine = temp("s", a, me);
	std::string lives = temp("s", a, live);
	std::string died = temp("s", a, dead);
	std::string died_other_name = temp("t", a, dead); /* this instance under an earlier name */
	/* The same server name on another host (Debian's "15/main" everywhere): its pid means
	 * nothing here, and it may be writing right now. */
	std::string same_name_other_host = temp("s", b, dead);
	std::string other_server = temp("u", b, dead);
	std::string earlier_form = "000000010000000000000001.pgls-tmp.s." + std::to_string(dead) + ".9";
	write_file(dir / earlier_form, "partial copy");
	write_file(dir / "000000010000000000000001", "archived");

	std::vector<std::string> removed =
		sweep_temp_files(dir.path(), a, me, pid_is_alive, std::time(nullptr), 3600);
	std::vector<std::string> expect_removed{died, died_other_name};
	std::sort(expect_removed.begin(), expect_removed.end());
	std::sort(removed.begin(), removed.end());
	EXPECT_EQ(removed, expect_removed);
	std::vector<std::string> expect{"000000010000000000000001", lives,        mine,
									same_name_other_host,       other_server, earlier_form};
	std::sort(expect.begin(), expect.end());
	EXPECT_EQ(dir_names(dir.path()), expect);
}

TEST_F(SweepTest, RemovesOldTempsOfAnyone)
{
	std::string old = temp("s", b, 12345);
	std::string young = temp("s", b, 12346);
	std::string old_earlier_form = "000000010000000000000002.pgls-tmp.s.12347.9";
	write_file(dir / old_earlier_form, "partial copy");
	struct timeval times[2];
	times[0].tv_sec = times[1].tv_sec = std::time(nullptr) - 7200;
	times[0].tv_usec = times[1].tv_usec = 0;
	ASSERT_EQ(::utimes((dir / old).c_str(), times), 0);
	ASSERT_EQ(::utimes((dir / old_earlier_form).c_str(), times), 0);

	auto always_alive = [](long) { return true; };
	std::vector<std::string> removed =
		sweep_temp_files(dir.path(), a, 1, always_alive, std::time(nullptr), 3600);
	std::sort(removed.begin(), removed.end());
	EXPECT_EQ(removed, (std::vector<std::string>{old, old_earlier_form}));
	EXPECT_EQ(dir_names(dir.path()), std::vector<std::string>{young});
}

TEST_F(SweepTest, MissingFolderIsNothingToDo)
{
	EXPECT_TRUE(sweep_temp_files(dir / "nope", a, 1, pid_is_alive, std::time(nullptr), 60).empty());
}

} // namespace
} // namespace pgls
