/*
 * monitor.hpp -- the lag monitor: settings, the sampler task and its registration.
 */
#pragma once

#include "pg/pg_headers.hpp"

extern "C"
{
	extern int pgls_sample_interval_ms;
	extern int pgls_history_size;
	extern int pgls_lag_warning_kb;
	extern int pgls_lag_warning_seconds;
	extern int pgls_ready_warning;
}

namespace pgls
{

/* Defines the monitor's settings; with preload also registers the ring and the sampler task. */
void monitor_init(void);

struct SelfProbe;

/*
 * A standby's replay delay in seconds: 0 when replay has caught up with what was received and the
 * link is up; else how long ago the replay position was received, and never less than how long
 * the link has been down (so a broken link never reads 0). 0 on a primary.
 */
double standby_replay_delay(const SelfProbe &self);

/* Counts .ready files in pg_wal/archive_status (PG calls only). */
int count_ready_files(void);

/* Rate window for catch-up estimates, seconds. */
constexpr double kRateWindowSeconds = 30.0;

/* A standby whose replay has not moved over this many seconds, while it lags, is not catching
 * up, whatever its rate over kRateWindowSeconds (replay paused, or stuck on a conflict). */
constexpr double kStallWindowSeconds = 5.0; /* at least 2.5 samples */

} // namespace pgls
