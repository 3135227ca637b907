/*
 * sender_lag.cpp -- per-walsender lags (see sender_lag.hpp).
 */
#include "monitor/sender_lag.hpp"

#include "monitor/history.hpp"

namespace pgls
{

void
compute_sender_lag(const SenderProbe &p, XLogRecPtr current, TimestampTz now, SenderLag *out)
{
	memset(out, 0, sizeof *out);
	out->has_write = !XLogRecPtrIsInvalid(p.write);
	out->has_flush = !XLogRecPtrIsInvalid(p.flush);
	out->has_replay = !XLogRecPtrIsInvalid(p.replay);

	out->not_sent = lsn_diff(current, p.sent);
	XLogRecPtr furthest = p.sent;
	if (out->has_write)
	{
		out->not_written = lsn_diff(p.sent, p.write);
		out->write_lag = history_lag_seconds(Series::Current, current, p.write, now);
		furthest = p.write;
	}
	if (out->has_flush)
	{
		if (out->has_write)
			out->not_flushed = lsn_diff(p.write, p.flush);
		out->flush_lag = history_lag_seconds(Series::Current, current, p.flush, now);
		furthest = p.flush;
	}
	if (out->has_replay)
	{
		if (out->has_flush)
			out->not_replayed = lsn_diff(p.flush, p.replay);
		out->replay_lag = history_lag_seconds(Series::Current, current, p.replay, now);
		furthest = p.replay;
	}
	out->total = lsn_diff(current, furthest);
	out->bottleneck =
		classify_bottleneck(out->not_sent, out->not_written, out->not_flushed, out->not_replayed);
}

} // namespace pgls
