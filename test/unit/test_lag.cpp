/*
 * test_lag.cpp -- lag interpolation, rates, catch-up estimates and bottlenecks (core/lag).
 */
#include "core/lag.hpp"

#include <gtest/gtest.h>

#include <vector>

using pgls::Bottleneck;
using pgls::LsnPoint;

namespace
{
constexpr int64_t kSec = 1000000;

/* WAL written at 1000 bytes/s from t=0 to t=10 s. */
std::vector<LsnPoint>
steady()
{
	std::vector<LsnPoint> pts;
	for (int64_t t = 0; t <= 10; t++)
		pts.push_back(LsnPoint{t * kSec, static_cast<uint64_t>(1000 * t)});
	return pts;
}
} // namespace

TEST(Lag, CaughtUpReadsZeroEvenWhenIdleForLong)
{
	std::vector<LsnPoint> idle = {{0, 5000}, {100 * kSec, 5000}};
	EXPECT_DOUBLE_EQ(pgls::lag_seconds(idle.data(), idle.size(), 5000, 5000, 500 * kSec), 0.0);
	/* A standby ahead (positions sampled at different moments) is not behind. */
	EXPECT_DOUBLE_EQ(pgls::lag_seconds(idle.data(), idle.size(), 5000, 6000, 500 * kSec), 0.0);
}

TEST(Lag, InterpolatesWhenThePositionWasPassed)
{
	auto pts = steady();
	/* Position 4500 was passed at t=4.5 s; at t=10 s the lag is 5.5 s. */
	EXPECT_NEAR(pgls::lag_seconds(pts.data(), pts.size(), 10000, 4500, 10 * kSec), 5.5, 1e-9);
	EXPECT_NEAR(*pgls::time_position_passed(pts.data(), pts.size(), 4500), 4.5 * kSec, 1.0);
}

TEST(Lag, GrowsWhileReplayStaysBehind)
{
	auto pts = steady();
	double at10 = pgls::lag_seconds(pts.data(), pts.size(), 10000, 3000, 10 * kSec);
	double at20 = pgls::lag_seconds(pts.data(), pts.size(), 10000, 3000, 20 * kSec);
	EXPECT_GT(at10, 0.0);
	EXPECT_NEAR(at20 - at10, 10.0, 1e-9);
}

TEST(Lag, OlderThanHistoryIsALowerBoundFromTheOldestSample)
{
	std::vector<LsnPoint> pts = {{50 * kSec, 9000}, {60 * kSec, 10000}};
	EXPECT_NEAR(pgls::lag_seconds(pts.data(), pts.size(), 10000, 100, 70 * kSec), 20.0, 1e-9);
}

TEST(Lag, PassedAfterTheLastSampleCountsFromThatSample)
{
	std::vector<LsnPoint> pts = {{0, 1000}, {kSec, 1000}};
	/* The upstream moved past 1000 after t=1 s; at t=1.5 s the lag is at most 0.5 s. */
	EXPECT_NEAR(pgls::lag_seconds(pts.data(), pts.size(), 2000, 1000, kSec + kSec / 2), 0.5, 1e-9);
	EXPECT_FALSE(pgls::time_position_passed(pts.data(), pts.size(), 1000).has_value());
}

TEST(Lag, EmptyHistory)
{
	EXPECT_DOUBLE_EQ(pgls::lag_seconds(nullptr, 0, 2000, 1000, 5 * kSec), 0.0);
	EXPECT_FALSE(pgls::time_position_passed(nullptr, 0, 1).has_value());
}

TEST(Rate, OverTheWindowOnly)
{
	std::vector<LsnPoint> pts = {{0, 0}, {kSec, 1000000}};
	for (int64_t t = 2; t <= 10; t++)
		pts.push_back(LsnPoint{t * kSec, 1000000 + static_cast<uint64_t>(100 * (t - 1))});
	/* The last 5 s: 100 bytes/s, not the early burst. */
	EXPECT_NEAR(*pgls::rate_bytes_per_second(pts.data(), pts.size(), 5 * kSec), 100.0, 1e-9);
	EXPECT_FALSE(pgls::rate_bytes_per_second(pts.data(), 1, 5 * kSec).has_value());
}

TEST(CatchUp, Estimates)
{
	EXPECT_DOUBLE_EQ(*pgls::catchup_eta_seconds(0, 0, 100), 0.0);
	EXPECT_DOUBLE_EQ(*pgls::catchup_eta_seconds(1000, 300, 100), 5.0);
	EXPECT_FALSE(pgls::catchup_eta_seconds(1000, 100, 100).has_value());
	EXPECT_FALSE(pgls::catchup_eta_seconds(1000, 0, 0).has_value());
	/* Replay stopped a moment ago: the recent rate (0) wins over the long window's. */
	EXPECT_DOUBLE_EQ(pgls::catchup_standby_rate(300, 0.0), 0.0);
	EXPECT_FALSE(pgls::catchup_eta_seconds(1000, pgls::catchup_standby_rate(300, 0.0), 100));
	EXPECT_DOUBLE_EQ(pgls::catchup_standby_rate(300, 900.0), 300.0);
	EXPECT_DOUBLE_EQ(pgls::catchup_standby_rate(300, std::nullopt), 300.0);
}

TEST(Bottleneck, NoiseFloorAndLargestStage)
{
	const uint64_t mb = 1024 * 1024;
	EXPECT_EQ(pgls::classify_bottleneck(0, 0, 0, 0), Bottleneck::None);
	EXPECT_EQ(pgls::classify_bottleneck(1000, 1000, 1000, 1000), Bottleneck::None);
	EXPECT_EQ(pgls::classify_bottleneck(5 * mb, mb, 0, 0), Bottleneck::Primary);
	EXPECT_EQ(pgls::classify_bottleneck(0, 5 * mb, mb, 0), Bottleneck::Network);
	EXPECT_EQ(pgls::classify_bottleneck(0, 0, 5 * mb, mb), Bottleneck::StandbyIo);
	EXPECT_EQ(pgls::classify_bottleneck(0, 0, 0, 5 * mb), Bottleneck::StandbyReplay);
	EXPECT_STREQ(pgls::bottleneck_name(Bottleneck::StandbyReplay), "standby_replay");
	EXPECT_EQ(pgls::lsn_diff(5, 7), 0u);
	EXPECT_EQ(pgls::lsn_diff(7, 5), 2u);
}
