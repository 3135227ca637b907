/*
 * history.cpp -- reading the ring backwards into (time, position) series.
 */
#include "monitor/history.hpp"

#include "core/lag.hpp"
#include "monitor/ring.hpp"

namespace pgls
{

namespace
{

bool
series_value(const Sample &s, Series series, int pid, XLogRecPtr *out)
{
	switch (series)
	{
		case Series::Current:
			*out = s.current_lsn;
			return true;
		case Series::Received:
			*out = s.received_lsn;
			return s.in_recovery;
		case Series::SenderReplay:
			for (int i = 0; i < s.n_senders && i < kHistorySenders; i++)
				if (s.senders[i].pid == pid)
				{
					*out = s.senders[i].replay;
					return true;
				}
			return false;
	}
	return false;
}

/*
 * Collects points newest-first until one is older than min_time (included), then reverses them into
 * ascending order and appends the live point. Returns the count; pts must hold ring capacity + 1.
 */
int
collect(Series series, int pid, TimestampTz min_time, XLogRecPtr live, TimestampTz now,
		LsnPoint *pts, int max)
{
	int n = 0;
	uint64 written = ring_written();
	Sample s;
	for (uint64 k = 0; k < written && n < max - 1; k++)
	{
		if (!ring_read(written - 1 - k, &s))
			break;
		XLogRecPtr v;
		if (!series_value(s, series, pid, &v))
			break;
		pts[n++] = LsnPoint{s.time, v};
		if (s.time < min_time)
			break;
	}
	for (int i = 0; i < n / 2; i++)
	{
		LsnPoint t = pts[i];
		pts[i] = pts[n - 1 - i];
		pts[n - 1 - i] = t;
	}
	/* Positions never go back, but a sample may carry one from before a restart. */
	for (int i = n - 2; i >= 0; i--)
		if (pts[i].lsn > pts[i + 1].lsn)
			pts[i].lsn = pts[i + 1].lsn;
	if (n == 0 || pts[n - 1].time_us < now)
	{
		if (n > 0 && pts[n - 1].lsn > live)
			live = pts[n - 1].lsn;
		pts[n++] = LsnPoint{now, live};
	}
	return n;
}

int
capacity_plus_one(void)
{
	Ring *r = ring();
	return (r ? r->capacity : 0) + 1;
}

} // namespace

double
history_lag_seconds(Series series, XLogRecPtr live, XLogRecPtr pos, TimestampTz now)
{
	if (pos >= live)
		return 0.0;

	/*
	 * The series never decreases, so the samples around the moment it passed pos are found by
	 * binary search: O(log history_size) sample reads however far behind pos is.
	 */
	LsnPoint pts[3];
	int n = 0;
	uint64 written = ring_written();
	Ring *r = ring();
	uint64 lo = written > static_cast<uint64>(r ? r->capacity : 0) ? written - r->capacity : 0;
	uint64 hi = written;
	Sample s;
	XLogRecPtr v;

	/* Skip slots the writer is overwriting right now (the oldest ones). */
	while (lo < hi && !(ring_read(lo, &s) && series_value(s, series, 0, &v)))
		lo++;
	if (lo < hi)
	{
		LsnPoint first{s.time, v};
		if (v > pos)
			pts[n++] = first; /* passed before the history starts: a lower bound */
		else
		{
			/* Invariant: value(lo) <= pos; value(hi) > pos or hi == written. */
			uint64 good = lo;
			LsnPoint below = first;
			while (hi - good > 1)
			{
				uint64 mid = good + (hi - good) / 2;
				if (!(ring_read(mid, &s) && series_value(s, series, 0, &v)))
				{
					hi = mid; /* unreadable: look in the older half */
					continue;
				}
				if (v <= pos)
				{
					good = mid;
					below = LsnPoint{s.time, v};
				}
				else
					hi = mid;
			}
			pts[n++] = below;
			if (hi < written && ring_read(hi, &s) && series_value(s, series, 0, &v) && v > pos)
				pts[n++] = LsnPoint{s.time, v};
		}
	}
	if (n == 0 || pts[n - 1].time_us < now)
		pts[n++] = LsnPoint{now, Max(live, n > 0 ? pts[n - 1].lsn : live)};
	return lag_seconds(pts, n, live, pos, now);
}

bool
history_rate(Series series, int pid, XLogRecPtr live, TimestampTz now, double window_s,
			 double *rate)
{
	int max = capacity_plus_one();
	int64 window_us = static_cast<int64>(window_s * USECS_PER_SEC);
	LsnPoint *pts = static_cast<LsnPoint *>(palloc(sizeof(LsnPoint) * max));
	int n = collect(series, pid, now - window_us, live, now, pts, max);
	std::optional<double> r = rate_bytes_per_second(pts, n, window_us);
	pfree(pts);
	if (!r)
		return false;
	*rate = *r;
	return true;
}

} // namespace pgls
