/*
 * test_archive_call.cpp -- run_archive_call() (archive/archive_call), the archive callback's
 * catch-all: nothing may escape it, not even when memory runs out.
 */
#include "archive/archive_call.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <new>

namespace
{
/* Fault injection: when budget >= 0, operator new fails once `allocations` reaches it. */
std::atomic<long> budget{-1};
std::atomic<long> allocations{0};
} // namespace

void *
operator new(std::size_t n)
{
	if (budget.load(std::memory_order_relaxed) >= 0 &&
		allocations.fetch_add(1, std::memory_order_relaxed) >= budget.load())
		throw std::bad_alloc();
	void *p = std::malloc(n ? n : 1);
	if (p == nullptr)
		throw std::bad_alloc();
	return p;
}

void
operator delete(void *p) noexcept
{
	std::free(p);
}

void
operator delete(void *p, std::size_t) noexcept
{
	std::free(p);
}

namespace
{

void
fill_call(pgls::ArchiveCall *call)
{
	std::memset(call, 0, sizeof *call);
	call->root = "/nonexistent/pg_logship/unit-test/a-root-too-long-for-a-short-string";
	call->layout = 0;
	std::strcpy(call->server, "unit_test_server_with_a_long_name");
	call->file = "000000010000000000000001";
	call->path = "/nonexistent/pg_logship/unit-test/pg_wal/000000010000000000000001";
	call->pid = 1;
	call->seg_size = 16 * 1024 * 1024;
}

} // namespace

TEST(ArchiveCall, OutOfMemoryAnywhereIsAFailureNotATermination)
{
	pgls::ArchiveCall call;
	fill_call(&call);
	/* How many allocations one (failing) attempt makes. */
	allocations = 0;
	budget = LONG_MAX;
	pgls::run_archive_call(&call);
	budget = -1;
	long total = allocations;
	ASSERT_GT(total, 0);
	/*
	 * Make the first, second, ... allocation fail, and the ones after it too. Wherever it
	 * happens -- in the protocol, or in a catch handler reporting its error (a std::string made
	 * there from e.what() would throw bad_alloc out of the noexcept function, and std::terminate
	 * would take the archiver down) -- the attempt must end as a failure with a message.
	 */
	for (long b = 0; b <= total; b++)
	{
		fill_call(&call);
		allocations = 0;
		budget = b;
		pgls::run_archive_call(&call);
		budget = -1;
		EXPECT_EQ(call.status, pgls::CallStatus::Failed) << "allocation " << b << " failed";
		EXPECT_NE(call.message[0], '\0') << "allocation " << b << " failed";
	}
}

TEST(ArchiveCall, AnIoFailureIsReportedWithItsErrno)
{
	pgls::ArchiveCall call;
	fill_call(&call);
	pgls::run_archive_call(&call);
	EXPECT_EQ(call.status, pgls::CallStatus::Failed);
	EXPECT_NE(call.message[0], '\0');
}
