/*
 * test_job_queue.cpp -- the archive workers' Boost.Lockfree job queue (archive/job_queue).
 */
#include "archive/job_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <set>
#include <thread>
#include <vector>

namespace
{
struct QueueMem
{
	void *mem;
	QueueMem()
	{
		size_t align = std::max<size_t>(pgls::job_queue_align(), 64);
		mem = std::aligned_alloc(align, (pgls::job_queue_size() + align - 1) / align * align);
	}
	~QueueMem() { std::free(mem); }
};
} // namespace

TEST(JobQueue, LockFreeBoundedAndInOrderForOneProducer)
{
	QueueMem q;
	ASSERT_TRUE(pgls::job_queue_init(q.mem)) << "must be lock-free to live in shared memory";
	for (uint32_t i = 0; i < pgls::kJobQueueCapacity; i++)
		ASSERT_TRUE(pgls::job_queue_push(q.mem, i));
	EXPECT_FALSE(pgls::job_queue_push(q.mem, 999)) << "bounded: no allocation when full";
	uint32_t v;
	for (uint32_t i = 0; i < pgls::kJobQueueCapacity; i++)
	{
		ASSERT_TRUE(pgls::job_queue_pop(q.mem, &v));
		EXPECT_EQ(v, i);
	}
	EXPECT_FALSE(pgls::job_queue_pop(q.mem, &v));
}

TEST(JobQueue, ManyConsumersTakeEachJobExactlyOnce)
{
	QueueMem q;
	ASSERT_TRUE(pgls::job_queue_init(q.mem));
	constexpr uint32_t kJobs = 20000;
	std::atomic<bool> done{false};
	std::vector<std::vector<uint32_t>> taken(4);
	std::vector<std::thread> consumers;
	for (int c = 0; c < 4; c++)
		consumers.emplace_back(
			[&, c]
			{
				uint32_t v;
				for (;;)
				{
					if (pgls::job_queue_pop(q.mem, &v))
						taken[c].push_back(v);
					else if (done.load())
					{
						while (pgls::job_queue_pop(q.mem, &v))
							taken[c].push_back(v);
						return;
					}
				}
			});
	for (uint32_t i = 0; i < kJobs; i++)
		while (!pgls::job_queue_push(q.mem, i))
			std::this_thread::yield();
	done = true;
	for (auto &t : consumers)
		t.join();
	std::set<uint32_t> all;
	size_t count = 0;
	for (auto &v : taken)
	{
		count += v.size();
		all.insert(v.begin(), v.end());
	}
	EXPECT_EQ(count, kJobs) << "no job lost or taken twice";
	EXPECT_EQ(all.size(), kJobs);
}

TEST(JobQueue, WorkersRunOnlyOnALockFreeQueue)
{
	/* A queue that is not lock-free locks within one process only: no workers then. */
	EXPECT_EQ(pgls::archive_workers_allowed(2, true), 2);
	EXPECT_EQ(pgls::archive_workers_allowed(16, true), 16);
	EXPECT_EQ(pgls::archive_workers_allowed(2, false), 0);
	EXPECT_EQ(pgls::archive_workers_allowed(16, false), 0);
	EXPECT_EQ(pgls::archive_workers_allowed(0, true), 0);
	/* What _PG_init checks agrees with the queue put in shared memory. */
	QueueMem q;
	EXPECT_EQ(pgls::job_queue_lock_free(), pgls::job_queue_init(q.mem));
}
