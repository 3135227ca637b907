/*
 * job_queue.hpp -- the archive workers' job queue: a Boost.Lockfree queue in shared memory.
 *
 * A fixed-capacity boost::lockfree::queue of slot numbers. With a compile-time capacity it keeps
 * its nodes inside the object and links them by index, so it can live in PostgreSQL's shared
 * memory (mapped at the same address in every process) and be used from any backend. It is kept
 * in its own PostgreSQL-free file so that Boost's headers never meet PostgreSQL's macros.
 */
#pragma once

#include <cstddef>
#include <cstdint>

namespace pgls
{

constexpr uint32_t kJobQueueCapacity = 64;

/* Bytes (and alignment) the queue needs in shared memory. */
size_t job_queue_size();
size_t job_queue_align();

/* Constructs an empty queue at mem; false if the queue would not be lock-free here. */
bool job_queue_init(void *mem);

/* Whether a queue of this type is lock-free on this machine (checked on a private one). */
bool job_queue_lock_free();

/*
 * How many archive workers may run: `configured` when the queue is lock-free, else none. A
 * Boost.Lockfree queue that is not lock-free falls back to locks that live in each process's own
 * memory, so the archiver and the workers would not exclude each other: the queue must not be
 * shared then, and archiving stays inline.
 */
int archive_workers_allowed(int configured, bool queue_lock_free);

/* Non-blocking; false when full / empty. */
bool job_queue_push(void *mem, uint32_t slot);
bool job_queue_pop(void *mem, uint32_t *slot);

} // namespace pgls
