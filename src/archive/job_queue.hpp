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

/* Non-blocking; false when full / empty. */
bool job_queue_push(void *mem, uint32_t slot);
bool job_queue_pop(void *mem, uint32_t *slot);

} // namespace pgls
