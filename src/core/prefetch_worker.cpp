/*
 * prefetch_worker.cpp -- the prefetcher's loop: a coordinator that follows .wanted and trims the
 * spool, and worker threads that restore the next segments into it.
 */
#include "pure.hpp"
#include "prefetch_worker.hpp"

#include "archive_format.hpp"
#include "fileio.hpp"
#include "prefetch_spool.hpp"
#include "restore.hpp"
#include "wal_name.hpp"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <fcntl.h>
#include <mutex>
#include <set>
#include <thread>
#include <unistd.h>

namespace pgls
{

namespace
{

using Clock = std::chrono::steady_clock;

constexpr auto kStatsInterval = std::chrono::milliseconds(200);

/* Where recovery is, and the window of segments to keep spooled: (segno, segno + depth]. */
struct Target
{
	uint32_t tli = 0;
	uint64_t segno = 0;
	uint64_t seg_size = 0;
	uint64_t depth = 0;

	bool
	in_window(const WalFileName &name) const
	{
		if (name.kind != WalFileKind::Segment || name.tli != tli ||
			name.seg >= UINT64_C(0x100000000) / seg_size)
			return false;
		uint64_t s = wal_segno(name, seg_size);
		return s > segno && s - segno <= depth;
	}
};

class Prefetcher
{
public:
	explicit Prefetcher(const PrefetchConfig &config) : config_(config) {}

	PrefetchExit run(const std::atomic<bool> *stop, PrefetchStats *stats_out);

private:
	void worker();
	std::optional<uint64_t> pick_locked(Clock::time_point now);
	void fetch(Store &store, const Target &t, uint64_t segno);
	void refresh_target_locked();
	void miss_locked(const Target &t, uint64_t segno, std::chrono::milliseconds retry);
	void discard_outside_window();
	void write_stats(const char *state, const char *exit_reason);

	const PrefetchConfig &config_;
	std::mutex mu_;
	std::condition_variable cv_;
	std::optional<SpoolWanted> wanted_;
	std::optional<Target> target_;
	std::set<uint64_t> in_flight_;
	std::set<uint64_t> fetched_; /* spooled for this target: gone since means consumed */
	uint64_t gap_ = UINT64_MAX;  /* the first segment found missing or damaged */
	Clock::time_point gap_retry_at_;
	Clock::time_point last_activity_ = Clock::now();
	bool stopping_ = false;
	PrefetchStats stats_;
	bool stats_dirty_ = true;
};

/* Reads .wanted; a new value moves the window (a new timeline starts afresh). */
void
Prefetcher::refresh_target_locked()
{
	std::optional<SpoolWanted> w = read_spool_wanted(config_.spool);
	if (!w || w == wanted_)
		return;
	WalFileName name = parse_wal_file_name(w->segment);
	if (name.seg >= UINT64_C(0x100000000) / w->seg_size)
		return;
	Target t;
	t.tli = name.tli;
	t.segno = wal_segno(name, w->seg_size);
	t.seg_size = w->seg_size;
	t.depth = config_.depth.segments_for(w->seg_size);
	if (!target_ || target_->tli != t.tli || target_->seg_size != t.seg_size || t.segno >= gap_)
		gap_ = UINT64_MAX;
	if (!target_ || target_->tli != t.tli || target_->seg_size != t.seg_size ||
		t.segno < target_->segno)
		fetched_.clear(); /* another timeline, or recovery went back: fetch afresh */
	else
		fetched_.erase(fetched_.begin(), fetched_.upper_bound(t.segno));
	wanted_ = w;
	target_ = t;
	stats_.served = w->served;
	stats_.direct = w->direct;
	stats_dirty_ = true;
	last_activity_ = Clock::now();
	cv_.notify_all();
}

/* The next segment to fetch: the first of the window that is neither spooled (now or before: a
 * spooled segment that is gone was served) nor being fetched, never past the gap, and the gap
 * itself only once its retry time has come. */
std::optional<uint64_t>
Prefetcher::pick_locked(Clock::time_point now)
{
	refresh_target_locked();
	if (!target_)
		return std::nullopt;
	const Target &t = *target_;
	uint64_t last_segno = UINT64_C(0x100000000) * (UINT64_C(0x100000000) / t.seg_size) - 1;
	for (uint64_t s = t.segno + 1; s <= t.segno + t.depth && s <= last_segno; s++)
	{
		if (s > gap_ || (s == gap_ && now < gap_retry_at_))
			break;
		if (in_flight_.count(s) || fetched_.count(s))
			continue;
		if (path_exists(
				spool_segment_path(config_.spool, wal_segment_file_name(t.tli, s, t.seg_size))))
			continue;
		return s;
	}
	return std::nullopt;
}

/* A segment of target t could not be fetched: nothing at or after it until the retry time. */
void
Prefetcher::miss_locked(const Target &t, uint64_t segno, std::chrono::milliseconds retry)
{
	if (!target_ || target_->tli != t.tli || target_->seg_size != t.seg_size)
		return; /* the window moved to another timeline meanwhile */
	if (gap_ != UINT64_MAX && segno > gap_)
		return;
	gap_ = segno;
	gap_retry_at_ = Clock::now() + retry;
}

void
Prefetcher::fetch(Store &store, const Target &t, uint64_t segno)
{
	std::string name = wal_segment_file_name(t.tli, segno, t.seg_size);
	std::string dest = spool_segment_path(config_.spool, name);
	std::optional<RestoreOutcome> out;
	std::string error;
	bool damaged = false;
	try
	{
		/* fsynced here, so PostgreSQL's fsync of the restored segment has nothing left to
		 * write: the write-back happens ahead of recovery, not on its critical path. */
		out = restore_file(store, config_.folders, name, dest, true);
	}
	catch (const RestoreRefused &e)
	{
		error = e.what();
		damaged = true;
	}
	catch (const ArchiveFormatError &e)
	{
		error = e.what();
		damaged = true;
	}
	catch (const std::exception &e)
	{
		error = e.what();
	}

	std::lock_guard<std::mutex> lock(mu_);
	in_flight_.erase(segno);
	stats_dirty_ = true;
	if (out && out->result == RestoreResult::Restored)
	{
		stats_.fetched++;
		stats_.fetched_bytes += out->bytes;
		last_activity_ = Clock::now();
		if (target_ && target_->tli == t.tli && target_->seg_size == t.seg_size)
			fetched_.insert(segno);
		if (gap_ == segno)
			gap_ = UINT64_MAX;
	}
	else if (out)
	{
		stats_.missing++;
		miss_locked(t, segno, config_.missing_retry);
	}
	else
	{
		(damaged ? stats_.damaged : stats_.errors)++;
		stats_.last_error = error;
		miss_locked(t, segno, config_.damaged_retry);
	}
	cv_.notify_all();
}

void
Prefetcher::worker()
{
	/* Each thread its own store: an object store's client is not shared between threads. */
	std::unique_ptr<Store> store;
	try
	{
		store = open_store(config_.archive);
	}
	catch (const std::exception &e)
	{
		std::lock_guard<std::mutex> lock(mu_);
		stats_.errors++;
		stats_.last_error = e.what();
		return;
	}
	std::unique_lock<std::mutex> lock(mu_);
	while (!stopping_)
	{
		std::optional<uint64_t> segno = pick_locked(Clock::now());
		if (!segno)
		{
			cv_.wait_for(lock, config_.poll);
			continue;
		}
		Target t = *target_;
		in_flight_.insert(*segno);
		lock.unlock();
		fetch(*store, t, *segno);
		lock.lock();
	}
}

/* Removes spooled segments outside the window (consumed, skipped, another timeline). */
void
Prefetcher::discard_outside_window()
{
	Target t;
	{
		std::lock_guard<std::mutex> lock(mu_);
		if (!target_)
			return;
		t = *target_;
	}
	int removed = 0;
	for (const std::string &entry : list_dir(config_.spool))
	{
		WalFileName name = parse_wal_file_name(entry);
		if (name.kind != WalFileKind::Segment || t.in_window(name))
			continue;
		if (::unlink(spool_segment_path(config_.spool, entry).c_str()) == 0)
			removed++;
	}
	if (removed > 0)
	{
		std::lock_guard<std::mutex> lock(mu_);
		stats_.discarded += static_cast<uint64_t>(removed);
		stats_dirty_ = true;
	}
}

void
Prefetcher::write_stats(const char *state, const char *exit_reason)
{
	std::string text;
	{
		std::lock_guard<std::mutex> lock(mu_);
		auto line = [&text](const char *key, const std::string &value)
		{ text += std::string(key) + ": " + value + "\n"; };
		line("state", state);
		if (exit_reason)
			line("exit", exit_reason);
		line("pid", std::to_string(static_cast<long>(::getpid())));
		line("wanted", wanted_ ? wanted_->segment : "");
		line("depth", target_ ? std::to_string(target_->depth) : "");
		line("workers", std::to_string(config_.workers));
		line("fetched", std::to_string(stats_.fetched));
		line("fetched_bytes", std::to_string(stats_.fetched_bytes));
		line("served_from_spool", std::to_string(stats_.served));
		line("restored_direct", std::to_string(stats_.direct));
		line("missing", std::to_string(stats_.missing));
		line("damaged", std::to_string(stats_.damaged));
		line("errors", std::to_string(stats_.errors));
		line("discarded", std::to_string(stats_.discarded));
		line("last_error", stats_.last_error);
		stats_dirty_ = false;
	}
	std::string path = spool_stats_path(config_.spool);
	std::string temp = path + "." + std::to_string(static_cast<long>(::getpid()));
	try
	{
		{
			Fd fd = open_or_throw(temp, O_WRONLY | O_CREAT | O_TRUNC, 0600, "create file");
			write_all(fd.get(), text.data(), text.size(), temp);
		}
		if (::rename(temp.c_str(), path.c_str()) != 0)
			throw_io("rename file to", path, errno);
	}
	catch (const std::exception &)
	{
		::unlink(temp.c_str());
	}
}

PrefetchExit
Prefetcher::run(const std::atomic<bool> *stop, PrefetchStats *stats_out)
{
	for (const std::string &entry : list_dir(config_.spool))
		if (is_spool_temp_name(entry))
			remove_if_exists(spool_segment_path(config_.spool, entry));

	std::vector<std::thread> threads;
	for (unsigned i = 0; i < std::max(1u, config_.workers); i++)
		threads.emplace_back([this] { worker(); });

	PrefetchExit why;
	auto last_stats = Clock::now() - kStatsInterval;
	for (;;)
	{
		if (stop && stop->load())
		{
			why = PrefetchExit::Stopped;
			break;
		}
		if (!is_directory(config_.spool))
		{
			why = PrefetchExit::SpoolGone;
			break;
		}
		bool idle, dirty;
		{
			std::lock_guard<std::mutex> lock(mu_);
			refresh_target_locked();
			idle = in_flight_.empty() && Clock::now() - last_activity_ >= config_.idle_timeout;
			dirty = stats_dirty_;
		}
		if (idle)
		{
			why = PrefetchExit::Idle;
			break;
		}
		try
		{
			discard_outside_window();
		}
		catch (const IoError &)
		{
			/* the spool is going away: the next pass sees it */
		}
		if (dirty && Clock::now() - last_stats >= kStatsInterval)
		{
			write_stats("running", nullptr);
			last_stats = Clock::now();
		}
		std::this_thread::sleep_for(config_.poll);
	}

	{
		std::lock_guard<std::mutex> lock(mu_);
		stopping_ = true;
		cv_.notify_all();
	}
	for (std::thread &t : threads)
		t.join();
	if (why != PrefetchExit::SpoolGone)
	{
		try
		{
			clear_spool(config_.spool);
		}
		catch (const IoError &)
		{
		}
		write_stats("exited", prefetch_exit_name(why));
	}
	if (stats_out)
	{
		std::lock_guard<std::mutex> lock(mu_);
		*stats_out = stats_;
	}
	return why;
}

} // namespace

PrefetchExit
run_prefetcher(const PrefetchConfig &config, const std::atomic<bool> *stop, PrefetchStats *stats)
{
	Prefetcher p(config);
	return p.run(stop, stats);
}

} // namespace pgls
