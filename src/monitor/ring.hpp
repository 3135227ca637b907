/*
 * ring.hpp -- the monitor's history: a ring of samples in shared memory.
 *
 * One writer (the monitor worker), any number of readers (views on the primary and on hot
 * standbys, which cannot write tables). Readers never block the writer: each slot carries a
 * sequence number (a seqlock: odd while being written) and its absolute index, so a reader copies
 * a slot and keeps the copy only if the sequence did not move and the slot still holds the sample
 * it wanted. Boost.Lockfree's queues consume what they hand out, which is not what a history read
 * by many should do; the seqlock is the simpler fit here.
 */
#pragma once

#include "pg/pg_headers.hpp"

extern "C"
{
#include "port/atomics.h"
}

namespace pgls
{

constexpr int kHistorySenders = 8;

struct SenderSample
{
	int32 pid;
	int32 state;
	XLogRecPtr sent;
	XLogRecPtr write;
	XLogRecPtr flush;
	XLogRecPtr replay;
	int64 total;        /* bytes to the furthest reported position */
	int64 not_replayed; /* -1: unknown */
	float4 write_lag;   /* seconds; -1: unknown (position never reported) */
	float4 flush_lag;
	float4 replay_lag;
	char name[NAMEDATALEN];
};

struct Sample
{
	pg_atomic_uint32 seq;
	uint64 index; /* absolute sample number */
	TimestampTz time;
	bool in_recovery;
	bool link_ok;
	bool replay_paused;
	int32 n_senders;
	int32 ready_count;       /* .ready files in pg_wal/archive_status */
	XLogRecPtr current_lsn;  /* see SelfProbe::current_lsn */
	XLogRecPtr received_lsn; /* standby */
	XLogRecPtr replayed_lsn; /* standby */
	float4 replay_delay;     /* standby: seconds, as in the receiver view */
	SenderSample senders[kHistorySenders];
};

struct Ring
{
	int32 capacity;
	pg_atomic_uint64 written;        /* samples written so far */
	pg_atomic_uint64 link_last_ok;   /* TimestampTz the sampler last saw the link up */
	pg_atomic_uint64 sampler_passes; /* for the overhead figure */
	pg_atomic_uint64 sampler_usec;   /* total time spent sampling */
	Sample samples[FLEXIBLE_ARRAY_MEMBER];
};

/* Registers the ring (from _PG_init during preload, after history_size is defined). */
void ring_register(int capacity);

/* nullptr when not preloaded. */
Ring *ring(void);

/* Writer side (the monitor worker only): appends a sample under its slot's seqlock. */
void ring_append(const Sample &sample);

/* Copies sample number idx; false if it is not (or no longer) in the ring. */
bool ring_read(uint64 idx, Sample *out);

/* Number of samples written so far (the newest is written - 1). */
uint64 ring_written(void);

} // namespace pgls
