/*
 * lag.hpp -- time lags, rates and bottlenecks from sampled WAL positions.
 *
 * PostgreSQL's own lag columns go NULL on an idle system, and `now() - last replay timestamp`
 * grows while the primary is idle. Here a lag is measured against a history of (time, position)
 * samples of the WAL the upstream has written:
 *
 *   lag(standby position P) = 0                          if P >= current position
 *                           = now - T(P)                 otherwise
 *
 * where T(P) is when the upstream's position first passed P, interpolated linearly between the
 * two samples around it (or the oldest sample's time when P is older than the history: a lower
 * bound). So a caught-up idle system reads 0, and a standby that stopped replaying while WAL
 * arrives reads the age of the oldest WAL it has not replayed, growing by one second per second.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace pgls
{

struct LsnPoint
{
	int64_t time_us; /* microseconds, any epoch, ascending */
	uint64_t lsn;    /* non-decreasing */
};

/* When the position first exceeded lsn; nullopt if it never did in pts; pts[0].time_us if it had
 * already before the first sample. */
std::optional<int64_t> time_position_passed(const LsnPoint *pts, size_t n, uint64_t lsn);

/* Seconds of lag of standby_lsn behind current_lsn at now_us (see the header comment). */
double lag_seconds(const LsnPoint *pts, size_t n, uint64_t current_lsn, uint64_t standby_lsn,
				   int64_t now_us);

/* Bytes per second over the samples within window_us before the last one; nullopt with fewer
 * than two samples in the window. */
std::optional<double> rate_bytes_per_second(const LsnPoint *pts, size_t n, int64_t window_us);

/* Seconds until a standby lag_bytes behind, applying at standby_rate while the upstream writes at
 * upstream_rate, catches up: 0 when no lag, nullopt when it is not catching up. */
std::optional<double> catchup_eta_seconds(uint64_t lag_bytes, double standby_rate,
										  double upstream_rate);

/* The standby rate a catch-up estimate uses: its rate over the long window, unless its rate over
 * the recent stall window is lower (a standby that stopped replaying a moment ago is not
 * catching up, although its long-window rate still shows the replay before it stopped). */
double catchup_standby_rate(double window_rate, std::optional<double> recent_rate);

enum class Bottleneck
{
	None,
	Primary,       /* WAL written but not sent: the sender is overloaded */
	Network,       /* sent but not written by the standby: network or standby receive */
	StandbyIo,     /* written but not flushed on the standby */
	StandbyReplay, /* flushed but not replayed: replay is slower (or paused) */
};

const char *bottleneck_name(Bottleneck b);

/* Lags below this many bytes in total are noise: bottleneck "none". */
constexpr uint64_t kLagNoiseBytes = 1024 * 1024;

/* The stage holding most of the lag, or None below kLagNoiseBytes in total. */
Bottleneck classify_bottleneck(uint64_t not_sent, uint64_t not_written, uint64_t not_flushed,
							   uint64_t not_replayed);

/* a - b, or 0 when b >= a (positions from different moments may cross). */
inline uint64_t
lsn_diff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

} // namespace pgls
