/*
 * job_queue.cpp -- Boost.Lockfree queue of archive job slots (see job_queue.hpp).
 */
#include "core/pure.hpp"
#include "archive/job_queue.hpp"

/* GCC 16 with Boost 1.92 (Debian sid) warns that freelist.hpp's tagged_index::get_next_tag()
 * reads an uninitialized tag once it is inlined here: the tag is the node's, written by the
 * freelist before any read (a false positive inside Boost). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 16
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/lockfree/queue.hpp>

#include <memory>
#include <new>

namespace pgls
{

namespace
{
using Queue = boost::lockfree::queue<uint32_t, boost::lockfree::capacity<kJobQueueCapacity>>;

Queue *
as_queue(void *mem)
{
	return static_cast<Queue *>(mem);
}
} // namespace

size_t
job_queue_size()
{
	return sizeof(Queue);
}

size_t
job_queue_align()
{
	return alignof(Queue);
}

bool
job_queue_init(void *mem)
{
	Queue *q = new (mem) Queue();
	return q->is_lock_free();
}

bool
job_queue_lock_free()
{
	std::unique_ptr<Queue> q(new Queue());
	return q->is_lock_free();
}

int
archive_workers_allowed(int configured, bool queue_lock_free)
{
	return queue_lock_free ? configured : 0;
}

bool
job_queue_push(void *mem, uint32_t slot)
{
	return as_queue(mem)->bounded_push(slot);
}

bool
job_queue_pop(void *mem, uint32_t *slot)
{
	return as_queue(mem)->pop(*slot);
}

} // namespace pgls
