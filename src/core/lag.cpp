/*
 * lag.cpp -- lag interpolation, rates and bottleneck classification (see lag.hpp).
 */
#include "pure.hpp"
#include "lag.hpp"

namespace pgls
{

std::optional<int64_t>
time_position_passed(const LsnPoint *pts, size_t n, uint64_t lsn)
{
	if (n == 0)
		return std::nullopt;
	if (pts[0].lsn > lsn)
		return pts[0].time_us;
	for (size_t i = 1; i < n; i++)
	{
		if (pts[i].lsn <= lsn)
			continue;
		/* pts[i-1].lsn <= lsn < pts[i].lsn: interpolate. */
		const LsnPoint &a = pts[i - 1];
		const LsnPoint &b = pts[i];
		double frac = static_cast<double>(lsn - a.lsn) / static_cast<double>(b.lsn - a.lsn);
		return a.time_us + static_cast<int64_t>(frac * static_cast<double>(b.time_us - a.time_us));
	}
	return std::nullopt;
}

double
lag_seconds(const LsnPoint *pts, size_t n, uint64_t current_lsn, uint64_t standby_lsn,
			int64_t now_us)
{
	if (standby_lsn >= current_lsn)
		return 0.0;
	std::optional<int64_t> t = time_position_passed(pts, n, standby_lsn);
	/* Not in the history yet: the upstream passed it after the last sample, i.e. just now. */
	int64_t since = t ? *t : (n > 0 ? pts[n - 1].time_us : now_us);
	return since >= now_us ? 0.0 : static_cast<double>(now_us - since) / 1e6;
}

std::optional<double>
rate_bytes_per_second(const LsnPoint *pts, size_t n, int64_t window_us)
{
	if (n < 2)
		return std::nullopt;
	const LsnPoint &last = pts[n - 1];
	size_t first = n - 1;
	while (first > 0 && last.time_us - pts[first - 1].time_us <= window_us)
		first--;
	if (first == n - 1 || last.time_us <= pts[first].time_us)
		return std::nullopt;
	return static_cast<double>(lsn_diff(last.lsn, pts[first].lsn)) /
		   (static_cast<double>(last.time_us - pts[first].time_us) / 1e6);
}

std::optional<double>
catchup_eta_seconds(uint64_t lag_bytes, double standby_rate, double upstream_rate)
{
	if (lag_bytes == 0)
		return 0.0;
	double net = standby_rate - upstream_rate;
	if (net <= 0.0)
		return std::nullopt;
	return static_cast<double>(lag_bytes) / net;
}

double
catchup_standby_rate(double window_rate, std::optional<double> recent_rate)
{
	return recent_rate && *recent_rate < window_rate ? *recent_rate : window_rate;
}

const char *
bottleneck_name(Bottleneck b)
{
	switch (b)
	{
		case Bottleneck::None:
			return "none";
		case Bottleneck::Primary:
			return "primary";
		case Bottleneck::Network:
			return "network";
		case Bottleneck::StandbyIo:
			return "standby_io";
		case Bottleneck::StandbyReplay:
			return "standby_replay";
	}
	return "none";
}

Bottleneck
classify_bottleneck(uint64_t not_sent, uint64_t not_written, uint64_t not_flushed,
					uint64_t not_replayed)
{
	if (not_sent + not_written + not_flushed + not_replayed < kLagNoiseBytes)
		return Bottleneck::None;
	Bottleneck b = Bottleneck::Primary;
	uint64_t most = not_sent;
	if (not_written > most)
	{
		most = not_written;
		b = Bottleneck::Network;
	}
	if (not_flushed > most)
	{
		most = not_flushed;
		b = Bottleneck::StandbyIo;
	}
	if (not_replayed > most)
		b = Bottleneck::StandbyReplay;
	return b;
}

} // namespace pgls
