/*
 * sender_lag.hpp -- one walsender's byte and time lags, as the view and the sampler show them.
 *
 * A standby reports write, flush and replay positions; a client may never report some of them
 * (pg_receivewal reports no replay position, and no flush position without a slot). An
 * unreported position is unknown, not 0: its stage's bytes and time lag are NULL, and the total
 * is measured to the furthest position the client does report.
 */
#pragma once

#include "core/lag.hpp"
#include "monitor/probe.hpp"

namespace pgls
{

struct SenderLag
{
	bool has_write, has_flush, has_replay;
	uint64 not_sent;
	uint64 not_written;  /* valid with has_write */
	uint64 not_flushed;  /* valid with has_write && has_flush */
	uint64 not_replayed; /* valid with has_flush && has_replay */
	uint64 total;        /* to the furthest reported position */
	double write_lag;    /* valid with has_write */
	double flush_lag;    /* valid with has_flush */
	double replay_lag;   /* valid with has_replay */
	Bottleneck bottleneck;
};

/* current: the upstream's WAL end (SelfProbe::current_lsn) at now. */
void compute_sender_lag(const SenderProbe &p, XLogRecPtr current, TimestampTz now, SenderLag *out);

} // namespace pgls
