/*
 * test_prefetch.cpp -- restore --prefetch: next-segment arithmetic, spool names and .wanted, a
 * restore served from the spool, and the prefetcher run in-process: it fills its window, stops
 * at a gap and at a damaged file, follows .wanted across timelines, and clears the spool when it
 * exits.
 */
#include "core/fileio.hpp"
#include "core/fs_store.hpp"
#include "core/prefetch_spool.hpp"
#include "core/prefetch_worker.hpp"
#include "core/restore.hpp"

#include "fixtures.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

namespace pgls
{
namespace
{

using namespace pgls::test;
using namespace std::chrono_literals;

constexpr uint64_t k16MB = 16 * 1024 * 1024;

TEST(PrefetchNames, NextSegmentCrossesLogAndSegBoundaries)
{
	EXPECT_EQ(next_segment_name("000000010000000000000001", k16MB), "000000010000000000000002");
	EXPECT_EQ(next_segment_name("0000000100000000000000FE", k16MB), "0000000100000000000000FF");
	EXPECT_EQ(next_segment_name("0000000100000000000000FF", k16MB), "000000010000000100000000");
	EXPECT_EQ(next_segment_name("00000003000000AB000000FF", k16MB), "00000003000000AC00000000");
	/* 1 MiB segments: 4096 per log id. */
	EXPECT_EQ(next_segment_name("0000000100000000000000FF", kSegSize), "000000010000000000000100");
	EXPECT_EQ(next_segment_name("000000010000000000000FFF", kSegSize), "000000010000000100000000");
	/* 1 GiB segments: 4 per log id. */
	EXPECT_EQ(next_segment_name("000000020000000500000003", UINT64_C(1) << 30),
			  "000000020000000600000000");
	/* The end of the address space, names invalid for the size, other kinds. */
	EXPECT_EQ(next_segment_name("00000001FFFFFFFF000000FF", k16MB), "");
	EXPECT_EQ(next_segment_name("000000010000000000000100", k16MB), "");
	EXPECT_EQ(next_segment_name("00000001.history", k16MB), "");
	EXPECT_EQ(next_segment_name("000000010000000000000001.partial", k16MB), "");
	EXPECT_EQ(next_segment_name("000000010000000000000001", 12345), "");
}

TEST(PrefetchNames, SpoolNaming)
{
	EXPECT_EQ(prefetch_spool_dir("pg_wal/RECOVERYXLOG"), "pg_wal/pgls_prefetch");
	EXPECT_EQ(prefetch_spool_dir("/data/pg_wal/RECOVERYXLOG"), "/data/pg_wal/pgls_prefetch");
	EXPECT_EQ(prefetch_spool_dir("RECOVERYXLOG"), "./pgls_prefetch");
	EXPECT_EQ(spool_segment_path("s", "000000010000000000000007"), "s/000000010000000000000007");
	EXPECT_EQ(spool_wanted_path("s"), "s/.wanted");
	EXPECT_EQ(spool_lock_path("s"), "s/.lock");
	EXPECT_EQ(spool_stats_path("s"), "s/.stats");

	/* The prefetcher's temp files (restore_file's) are never WAL names, but are recognised. */
	std::string temp = base_name(restore_temp_path("s/000000010000000000000007", 4242));
	EXPECT_EQ(temp, "000000010000000000000007.pgls-tmp.4242");
	EXPECT_FALSE(parse_wal_file_name(temp).valid());
	EXPECT_TRUE(is_spool_temp_name(temp));
	for (const char *name : {"000000010000000000000007", ".wanted", ".lock", ".stats",
							 "00000001.history.pgls-tmp.1", "x.pgls-tmp.1"})
	{
		EXPECT_FALSE(is_spool_temp_name(name)) << name;
		EXPECT_NE(parse_wal_file_name(name).kind == WalFileKind::Invalid,
				  std::string(name) == "000000010000000000000007")
			<< name;
	}
}

TEST(PrefetchNames, ParseDepth)
{
	auto d = parse_prefetch_depth("8");
	ASSERT_TRUE(d);
	EXPECT_TRUE(d->enabled());
	EXPECT_EQ(d->segments_for(k16MB), 8u);
	EXPECT_FALSE(parse_prefetch_depth("0")->enabled());
	d = parse_prefetch_depth("256MB");
	ASSERT_TRUE(d);
	EXPECT_EQ(d->bytes, UINT64_C(256) << 20);
	EXPECT_EQ(d->segments_for(k16MB), 16u);
	EXPECT_EQ(d->segments_for(kSegSize), 256u);
	EXPECT_EQ(parse_prefetch_depth("1kB")->segments_for(k16MB), 1u); /* at least one */
	EXPECT_EQ(parse_prefetch_depth("1GB")->segments_for(k16MB), 64u);
	EXPECT_EQ(parse_prefetch_depth("4096")->segments, kMaxPrefetchSegments);
	for (const char *bad : {"", "-1", "8x", "8 ", " 8", "4097", "65GB", "1mb", "MB", "1TB",
							"99999999999999999999999"})
		EXPECT_FALSE(parse_prefetch_depth(bad)) << bad;
}

/* An archive folder, a pg_wal with a spool, and segments 1 MiB each. */
class PrefetchTest : public ::testing::Test
{
protected:
	TempDir tmp;
	std::string archive = tmp / "archive";
	std::string pg_wal = tmp / "pg_wal";
	std::string dest = pg_wal + "/RECOVERYXLOG";
	std::string spool = pg_wal + "/pgls_prefetch";

	void
	SetUp() override
	{
		make_dir(archive);
		make_dir(pg_wal);
	}

	static SegmentSpec
	seg(uint64_t segno, uint32_t tli = 1)
	{
		SegmentSpec s;
		s.segno = segno;
		s.tli = tli;
		s.fill = static_cast<char>('a' + segno % 26);
		return s;
	}
	static std::string
	name(uint64_t segno, uint32_t tli = 1)
	{
		return segment_name(seg(segno, tli));
	}

	void
	archive_segments(uint64_t from, uint64_t to, uint32_t tli = 1)
	{
		for (uint64_t s = from; s <= to; s++)
			write_encoded_segment(archive, seg(s, tli), Compression::Lz4);
	}

	/* The segments in the spool, sorted. */
	std::vector<std::string>
	spooled() const
	{
		std::vector<std::string> out;
		if (!is_directory(spool))
			return out;
		for (const std::string &n : dir_names(spool))
			if (parse_wal_file_name(n).kind == WalFileKind::Segment)
				out.push_back(n);
		return out;
	}
	std::vector<std::string>
	names(uint64_t from, uint64_t to, uint32_t tli = 1) const
	{
		std::vector<std::string> out;
		for (uint64_t s = from; s <= to; s++)
			out.push_back(name(s, tli));
		return out;
	}
	std::vector<std::string>
	temps() const
	{
		std::vector<std::string> out;
		for (const std::string &n : dir_names(spool))
			if (n.find(".pgls-tmp.") != std::string::npos)
				out.push_back(n);
		return out;
	}

	SpoolRestore
	restore(const std::string &file)
	{
		FsStore store("");
		return restore_via_spool(store, {archive}, file, dest, spool);
	}

	PrefetchConfig
	config(uint64_t depth = 4) const
	{
		PrefetchConfig c;
		c.archive.location = archive;
		c.folders = {""};
		c.spool = spool;
		c.depth = PrefetchDepth{depth, 0};
		c.workers = 2;
		c.idle_timeout = 10s;
		c.poll = 5ms;
		c.missing_retry = 30ms;
		c.damaged_retry = 30ms;
		return c;
	}
};

/* Polls pred every 5 ms for up to timeout. */
bool
eventually(const std::function<bool()> &pred, std::chrono::milliseconds timeout = 5000ms)
{
	auto end = std::chrono::steady_clock::now() + timeout;
	while (std::chrono::steady_clock::now() < end)
	{
		if (pred())
			return true;
		std::this_thread::sleep_for(5ms);
	}
	return pred();
}

/* run_prefetcher() in a thread, holding the spool's lock as the daemon does. */
class RunningPrefetcher
{
public:
	explicit RunningPrefetcher(PrefetchConfig config) : config_(std::move(config))
	{
		make_dir(config_.spool);
		lock_ = try_lock_spool(config_.spool);
		EXPECT_GE(lock_.get(), 0);
		thread_ = std::thread([this] { exit_ = run_prefetcher(config_, &stop_, &stats_); });
	}
	~RunningPrefetcher() { finish(); }
	PrefetchExit
	finish()
	{
		stop_ = true;
		if (thread_.joinable())
			thread_.join();
		return exit_;
	}
	/* Waits for the prefetcher to exit by itself. */
	PrefetchExit
	wait()
	{
		thread_.join();
		return exit_;
	}
	const PrefetchStats &
	stats() const
	{
		return stats_;
	}

private:
	PrefetchConfig config_;
	Fd lock_;
	std::atomic<bool> stop_{false};
	PrefetchExit exit_ = PrefetchExit::Stopped;
	PrefetchStats stats_;
	std::thread thread_;
};

TEST_F(PrefetchTest, WantedRoundTrip)
{
	make_dir(spool);
	EXPECT_FALSE(read_spool_wanted(spool));
	SpoolWanted w{name(7), kSegSize, 3, 2};
	write_spool_wanted(spool, w);
	EXPECT_EQ(read_spool_wanted(spool), w);
	EXPECT_EQ(read_file(spool_wanted_path(spool)), name(7) + " 1048576 3 2\n");
	EXPECT_EQ(dir_names(spool), std::vector<std::string>{".wanted"}); /* no temp left */
	for (const char *bad :
		 {"", "garbage", "000000010000000000000007 1048576 3", "000000010000000000000007 1000 0 0",
		  "00000001.history 1048576 0 0", "000000010000000000000007 1048576 0 0 extra"})
	{
		write_file(spool_wanted_path(spool), bad);
		EXPECT_FALSE(read_spool_wanted(spool)) << bad;
	}
}

TEST_F(PrefetchTest, ServedFromSpoolRenamesAndCleansOlderFiles)
{
	make_dir(spool);
	for (uint64_t s : {4, 5, 6, 7})
		write_segment(spool, seg(s));
	write_segment(spool, seg(7, 2)); /* another timeline: never wanted once 1 is installed */
	write_file(spool + "/" + name(8) + ".pgls-tmp.99", "partial"); /* a prefetcher's temp */
	write_spool_wanted(spool, {name(4), kSegSize, 10, 2});

	SpoolRestore r = restore(name(6)); /* the archive is empty: only the spool has it */
	EXPECT_EQ(r.outcome.result, RestoreResult::Restored);
	EXPECT_TRUE(r.from_spool);
	EXPECT_TRUE(r.want_prefetcher);
	EXPECT_EQ(r.outcome.bytes, kSegSize);
	EXPECT_EQ(read_file(dest), segment_bytes(seg(6)));
	EXPECT_EQ(spooled(), names(7, 7)); /* 4 and 5 (older) and timeline 2 are gone */
	EXPECT_EQ(temps(), std::vector<std::string>{name(8) + ".pgls-tmp.99"});
	EXPECT_EQ(read_spool_wanted(spool), (SpoolWanted{name(6), kSegSize, 11, 2}));
	EXPECT_EQ(dir_names(pg_wal), (std::vector<std::string>{"RECOVERYXLOG", "pgls_prefetch"}));
}

TEST_F(PrefetchTest, SpooledCopyThatDoesNotFitIsNotServed)
{
	archive_segments(3, 3);
	make_dir(spool);
	SegmentSpec wrong = seg(3);
	wrong.pageaddr = 9 * kSegSize; /* the content of another segment */
	write_segment(spool, wrong, name(3));
	SpoolRestore r = restore(name(3));
	EXPECT_EQ(r.outcome.result, RestoreResult::Restored);
	EXPECT_FALSE(r.from_spool);
	EXPECT_EQ(read_file(dest), segment_bytes(seg(3)));
	EXPECT_EQ(spooled(), std::vector<std::string>{});
}

TEST_F(PrefetchTest, DirectRestoreCreatesSpoolAndRecordsWanted)
{
	archive_segments(3, 3);
	SpoolRestore r = restore(name(3));
	EXPECT_EQ(r.outcome.result, RestoreResult::Restored);
	EXPECT_FALSE(r.from_spool);
	EXPECT_TRUE(r.want_prefetcher);
	EXPECT_EQ(read_file(dest), segment_bytes(seg(3)));
	EXPECT_EQ(read_spool_wanted(spool), (SpoolWanted{name(3), kSegSize, 0, 1}));
}

TEST_F(PrefetchTest, NotFoundTouchesNothing)
{
	make_dir(spool);
	write_spool_wanted(spool, {name(3), kSegSize, 1, 1});
	SpoolRestore r = restore(name(4));
	EXPECT_EQ(r.outcome.result, RestoreResult::NotFound);
	EXPECT_FALSE(r.want_prefetcher);
	EXPECT_FALSE(path_exists(dest));
	EXPECT_EQ(read_spool_wanted(spool), (SpoolWanted{name(3), kSegSize, 1, 1}));
}

TEST_F(PrefetchTest, OtherFilesAreRestoredDirectly)
{
	write_file(archive + "/00000002.history", "1\t0/3000000\tno recovery target specified\n");
	SpoolRestore r = restore("00000002.history");
	EXPECT_EQ(r.outcome.result, RestoreResult::Restored);
	EXPECT_FALSE(r.want_prefetcher);
	EXPECT_FALSE(is_directory(spool));
	EXPECT_EQ(restore("00000003.history").outcome.result, RestoreResult::NotFound);
}

TEST_F(PrefetchTest, OneLockPerSpool)
{
	make_dir(spool);
	Fd first = try_lock_spool(spool);
	EXPECT_GE(first.get(), 0);
	EXPECT_LT(try_lock_spool(spool).get(), 0);
	first.reset();
	EXPECT_GE(try_lock_spool(spool).get(), 0);
}

TEST_F(PrefetchTest, PrefetcherFillsItsWindowAndFollowsRecovery)
{
	archive_segments(1, 12);
	ASSERT_EQ(restore(name(1)).outcome.result, RestoreResult::Restored); /* .wanted = 1 */
	RunningPrefetcher p(config(4));
	ASSERT_TRUE(eventually([&] { return spooled() == names(2, 5); }));

	for (uint64_t s = 2; s <= 8; s++)
	{
		ASSERT_TRUE(eventually([&] { return path_exists(spool_segment_path(spool, name(s))); }));
		SpoolRestore r = restore(name(s));
		EXPECT_TRUE(r.from_spool) << s;
		EXPECT_EQ(read_file(dest), segment_bytes(seg(s)));
	}
	/* Bounded: the four after the last served, no more (the archive has up to 12). */
	ASSERT_TRUE(eventually([&] { return spooled() == names(9, 12); }));
	std::this_thread::sleep_for(50ms);
	EXPECT_EQ(spooled(), names(9, 12));
	p.finish();
	EXPECT_EQ(p.stats().fetched, 11u);
	EXPECT_EQ(p.stats().served, 7u);
	EXPECT_EQ(p.stats().direct, 1u);
	EXPECT_EQ(p.stats().damaged, 0u);
	/* Stopping clears the spool and says so in .stats. */
	EXPECT_EQ(spooled(), std::vector<std::string>{});
	EXPECT_EQ(temps(), std::vector<std::string>{});
	std::string stats = read_file(spool_stats_path(spool));
	EXPECT_NE(stats.find("state: exited\nexit: stopped\n"), std::string::npos) << stats;
	EXPECT_NE(stats.find("\nfetched: 11\n"), std::string::npos) << stats;
	EXPECT_NE(stats.find("\nserved_from_spool: 7\n"), std::string::npos) << stats;
}

TEST_F(PrefetchTest, MissingSegmentIsNotFoundQuicklyWithPrefetcherRunning)
{
	archive_segments(1, 4);
	ASSERT_EQ(restore(name(1)).outcome.result, RestoreResult::Restored);
	RunningPrefetcher p(config(8));
	ASSERT_TRUE(eventually([&] { return spooled() == names(2, 4); }));
	for (uint64_t missing : {5, 9})
	{
		auto start = std::chrono::steady_clock::now();
		SpoolRestore r = restore(name(missing));
		auto took = std::chrono::steady_clock::now() - start;
		EXPECT_EQ(r.outcome.result, RestoreResult::NotFound);
		EXPECT_LT(took, 100ms);
	}
	EXPECT_FALSE(path_exists(dest + ".pgls-tmp." + std::to_string(::getpid())));
	EXPECT_EQ(read_spool_wanted(spool)->segment, name(1));
	EXPECT_EQ(spooled(), names(2, 4));
}

TEST_F(PrefetchTest, PrefetcherStopsAtGapAndRetries)
{
	archive_segments(1, 4);
	archive_segments(6, 8); /* 5 is not archived yet */
	ASSERT_EQ(restore(name(1)).outcome.result, RestoreResult::Restored);
	/* One worker: with more, those already fetching past the gap when it is found finish. */
	PrefetchConfig c = config(8);
	c.workers = 1;
	RunningPrefetcher p(c);
	ASSERT_TRUE(eventually([&] { return spooled() == names(2, 4); }));
	std::this_thread::sleep_for(200ms); /* several retries of 5 */
	EXPECT_EQ(spooled(), names(2, 4));

	archive_segments(5, 5); /* it arrives */
	ASSERT_TRUE(eventually([&] { return spooled() == names(2, 8); }));
	p.finish();
	EXPECT_GE(p.stats().missing, 2u);
	EXPECT_EQ(p.stats().fetched, 7u);
}

TEST_F(PrefetchTest, DamagedFileIsNotSpooled)
{
	archive_segments(1, 5);
	std::string victim = archive + "/" + name(3);
	flip_byte(victim, file_size(victim) / 2);
	ASSERT_EQ(restore(name(1)).outcome.result, RestoreResult::Restored);
	PrefetchConfig c = config(8);
	c.workers = 1;
	c.damaged_retry = 10s; /* no retry (and temp file) while we look */
	RunningPrefetcher p(c);
	ASSERT_TRUE(eventually([&] { return spooled() == names(2, 2); }));
	std::this_thread::sleep_for(150ms);
	EXPECT_EQ(spooled(), names(2, 2)); /* neither 3 nor what comes after it */
	EXPECT_EQ(temps(), std::vector<std::string>{});

	EXPECT_TRUE(restore(name(2)).from_spool);
	/* The direct path reports the damage, as without prefetching. */
	EXPECT_THROW(restore(name(3)), RestoreRefused);
	p.finish();
	EXPECT_GE(p.stats().damaged, 1u);
	EXPECT_NE(p.stats().last_error.find(name(3)), std::string::npos) << p.stats().last_error;
}

TEST_F(PrefetchTest, NewTimelineRestartsTheWindow)
{
	archive_segments(1, 6);
	archive_segments(4, 9, 2);
	ASSERT_EQ(restore(name(1)).outcome.result, RestoreResult::Restored);
	RunningPrefetcher p(config(3));
	ASSERT_TRUE(eventually([&] { return spooled() == names(2, 4); }));
	EXPECT_TRUE(restore(name(2)).from_spool);
	ASSERT_TRUE(eventually([&] { return spooled() == names(3, 5); }));

	/* Recovery switches to timeline 2 at segment 4 (the archive has it). */
	SpoolRestore r = restore(name(4, 2));
	EXPECT_FALSE(r.from_spool);
	EXPECT_EQ(read_file(dest), segment_bytes(seg(4, 2)));
	ASSERT_TRUE(eventually([&] { return spooled() == names(5, 7, 2); }));
	EXPECT_TRUE(restore(name(5, 2)).from_spool);
}

TEST_F(PrefetchTest, IdlePrefetcherClearsTheSpoolAndExits)
{
	archive_segments(1, 3);
	ASSERT_EQ(restore(name(1)).outcome.result, RestoreResult::Restored);
	make_dir(spool);
	write_file(spool + "/" + name(2) + ".pgls-tmp.12345", "left by a dead prefetcher");
	PrefetchConfig c = config(8);
	c.idle_timeout = 300ms;
	auto start = std::chrono::steady_clock::now();
	RunningPrefetcher p(c);
	ASSERT_TRUE(eventually([&] { return spooled() == names(2, 3); }));
	EXPECT_EQ(p.wait(), PrefetchExit::Idle);
	EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
	EXPECT_EQ(spooled(), std::vector<std::string>{});
	EXPECT_EQ(temps(), std::vector<std::string>{});
	std::string stats = read_file(spool_stats_path(spool));
	EXPECT_NE(stats.find("state: exited\nexit: idle\n"), std::string::npos) << stats;
	/* What remains: the lock, .wanted and the last counters. */
	EXPECT_EQ(dir_names(spool), (std::vector<std::string>{".lock", ".stats", ".wanted"}));
}

TEST_F(PrefetchTest, PrefetcherExitsWhenTheSpoolDisappears)
{
	archive_segments(1, 3);
	ASSERT_EQ(restore(name(1)).outcome.result, RestoreResult::Restored);
	RunningPrefetcher p(config(8));
	ASSERT_TRUE(eventually([&] { return spooled() == names(2, 3); }));
	std::filesystem::remove_all(pg_wal);
	EXPECT_EQ(p.wait(), PrefetchExit::SpoolGone);
}

TEST_F(PrefetchTest, DepthInBytes)
{
	archive_segments(1, 9);
	ASSERT_EQ(restore(name(1)).outcome.result, RestoreResult::Restored);
	PrefetchConfig c = config();
	c.depth = PrefetchDepth{0, 3 * kSegSize};
	RunningPrefetcher p(c);
	ASSERT_TRUE(eventually([&] { return spooled() == names(2, 4); }));
	std::this_thread::sleep_for(50ms);
	EXPECT_EQ(spooled(), names(2, 4));
}

} // namespace
} // namespace pgls
