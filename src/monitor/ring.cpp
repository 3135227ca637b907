/*
 * ring.cpp -- the seqlock ring of monitor samples (see ring.hpp).
 */
#include "monitor/ring.hpp"

#include "shmem.hpp"

namespace pgls
{

namespace
{
Ring *the_ring = nullptr;
int ring_capacity = 0;

void
init_ring(void *mem)
{
	Ring *r = static_cast<Ring *>(mem);
	r->capacity = ring_capacity;
	pg_atomic_init_u64(&r->written, 0);
	pg_atomic_init_u64(&r->link_last_ok, 0);
	pg_atomic_init_u64(&r->sampler_passes, 0);
	pg_atomic_init_u64(&r->sampler_usec, 0);
	for (int i = 0; i < r->capacity; i++)
		pg_atomic_init_u32(&r->samples[i].seq, 0);
}
} // namespace

void
ring_register(int capacity)
{
	ring_capacity = capacity;
	Size size = add_size(offsetof(Ring, samples), mul_size(capacity, sizeof(Sample)));
	shmem_register("pg_logship monitor history", size, init_ring,
				   reinterpret_cast<void **>(&the_ring));
}

Ring *
ring(void)
{
	return the_ring;
}

uint64
ring_written(void)
{
	return the_ring ? pg_atomic_read_u64(&the_ring->written) : 0;
}

void
ring_append(const Sample &sample)
{
	if (!the_ring)
		return;
	uint64 idx = pg_atomic_read_u64(&the_ring->written);
	Sample *slot = &the_ring->samples[idx % the_ring->capacity];
	uint32 seq = pg_atomic_read_u32(&slot->seq);

	pg_atomic_write_u32(&slot->seq, seq + 1); /* odd: being written */
	pg_write_barrier();
	/* Everything but the sequence number. */
	memcpy(reinterpret_cast<char *>(slot) + sizeof(slot->seq),
		   reinterpret_cast<const char *>(&sample) + sizeof(sample.seq),
		   sizeof(Sample) - sizeof(sample.seq));
	slot->index = idx;
	pg_write_barrier();
	pg_atomic_write_u32(&slot->seq, seq + 2);
	pg_atomic_fetch_add_u64(&the_ring->written, 1); /* full barrier */
}

bool
ring_read(uint64 idx, Sample *out)
{
	if (!the_ring)
		return false;
	for (int attempt = 0; attempt < 4; attempt++)
	{
		uint64 written = pg_atomic_read_u64(&the_ring->written);
		if (idx >= written || written - idx > static_cast<uint64>(the_ring->capacity))
			return false;
		Sample *slot = &the_ring->samples[idx % the_ring->capacity];
		uint32 before = pg_atomic_read_u32(&slot->seq);
		if (before & 1)
			continue;
		pg_read_barrier();
		memcpy(reinterpret_cast<char *>(out) + sizeof(out->seq),
			   reinterpret_cast<const char *>(slot) + sizeof(slot->seq),
			   sizeof(Sample) - sizeof(slot->seq));
		pg_read_barrier();
		uint32 after = pg_atomic_read_u32(&slot->seq);
		if (before == after && out->index == idx)
			return true;
	}
	return false;
}

} // namespace pgls
