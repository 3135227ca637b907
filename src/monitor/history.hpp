/*
 * history.hpp -- lags and rates computed from the ring (core/lag.hpp does the arithmetic).
 *
 * Each function reads the ring backwards only as far as it needs: a caught-up standby costs one
 * or two samples.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace pgls
{

/* Which position of a sample a series follows. */
enum class Series
{
	Current,      /* this server's WAL end (primary: flushed) */
	Received,     /* standby: received by the walreceiver */
	SenderReplay, /* a walsender's standby's replay position (by pid) */
};

/*
 * Seconds `pos` is behind the series, whose live value is `live` at `now`: 0 when pos >= live,
 * else how long ago the series passed pos (see core/lag.hpp).
 */
double history_lag_seconds(Series series, XLogRecPtr live, XLogRecPtr pos, TimestampTz now);

/* Bytes per second of the series over the last window_s seconds (plus the live point); returns
 * false with fewer than two points. */
bool history_rate(Series series, int pid, XLogRecPtr live, TimestampTz now, double window_s,
				  double *rate);

} // namespace pgls
