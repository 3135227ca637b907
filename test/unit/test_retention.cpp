/*
 * test_retention.cpp -- wal_status, safe_wal_size, the retention decision and the forecast.
 */
#include "core/retention.hpp"
#include "core/retention_state.hpp"

#include <gtest/gtest.h>

#include <set>

namespace pgls
{
namespace
{

constexpr uint64_t MB = 1024 * 1024;
constexpr uint64_t kSeg = 16 * MB;

WalKeepSettings
keep(int max_wal_size_mb = 64, int wal_keep_size_mb = 0, int max_slot_mb = -1)
{
	WalKeepSettings k;
	k.seg_size = kSeg;
	k.max_wal_size_mb = max_wal_size_mb;
	k.wal_keep_size_mb = wal_keep_size_mb;
	k.max_slot_wal_keep_size_mb = max_slot_mb;
	return k;
}

/* ---- wal_status --------------------------------------------------------------------------- */

TEST(WalAvailability, InvalidWithoutRestartLsn)
{
	EXPECT_EQ(wal_availability(0, 100 * kSeg, 0, 0, keep()), WalStatus::Invalid);
	EXPECT_EQ(wal_status_name(WalStatus::Invalid), nullptr);
}

TEST(WalAvailability, ReservedWithinMaxWalSize)
{
	/* max_wal_size 64MB = 4 segments (+1): segments >= current - 5 are reserved. */
	uint64_t cur = 20 * kSeg + 100;
	EXPECT_EQ(wal_availability(19 * kSeg, cur, 19 * kSeg, 0, keep()), WalStatus::Reserved);
	EXPECT_EQ(wal_availability(15 * kSeg, cur, 15 * kSeg, 0, keep()), WalStatus::Reserved);
	EXPECT_EQ(wal_availability(14 * kSeg, cur, 14 * kSeg, 0, keep()), WalStatus::Extended);
	EXPECT_STREQ(wal_status_name(WalStatus::Extended), "extended");
}

TEST(WalAvailability, SlotKeepSizeMakesItUnreservedThenLost)
{
	/* max_slot_wal_keep_size 64MB = 4 segments: the slot at segment 10 is no longer kept. */
	uint64_t cur = 20 * kSeg;
	EXPECT_EQ(wal_availability(10 * kSeg, cur, 10 * kSeg, 5, keep(64, 0, 64)),
			  WalStatus::Unreserved);
	EXPECT_EQ(wal_availability(10 * kSeg, cur, 10 * kSeg, 12, keep(64, 0, 64)), WalStatus::Lost);
	/* Within max_slot_wal_keep_size it is kept. */
	EXPECT_EQ(wal_availability(17 * kSeg, cur, 17 * kSeg, 12, keep(64, 0, 64)),
			  WalStatus::Reserved);
	/* wal_keep_size keeps more than the slot limit. */
	EXPECT_EQ(wal_availability(10 * kSeg, cur, 10 * kSeg, 5, keep(64, 256, 64)),
			  WalStatus::Extended);
}

TEST(WalAvailability, StandbyCurrentPositionMatters)
{
	/* The core view measures from 0 on a standby: always "reserved". */
	EXPECT_EQ(wal_availability(10 * kSeg, 0, 10 * kSeg, 0, keep(64, 0, 64)), WalStatus::Reserved);
	/* Measured from max(received, replayed), the same slot is at risk. */
	EXPECT_EQ(wal_availability(10 * kSeg, 40 * kSeg, 10 * kSeg, 0, keep(64, 0, 64)),
			  WalStatus::Unreserved);
}

/* ---- safe_wal_size ------------------------------------------------------------------------- */

TEST(SafeWalSize, CoreFormula)
{
	/* fail at restart segment + 4 + 1 = segment 15. */
	EXPECT_EQ(safe_wal_size(10 * kSeg + 5, 12 * kSeg, keep(64, 0, 64), false),
			  static_cast<int64_t>(3 * kSeg));
	/* wal_keep_size larger than the slot limit wins. */
	EXPECT_EQ(safe_wal_size(10 * kSeg, 12 * kSeg, keep(64, 128, 64), false),
			  static_cast<int64_t>(7 * kSeg));
	/* Past the limit: negative. */
	EXPECT_LT(*safe_wal_size(10 * kSeg, 16 * kSeg, keep(64, 0, 64), false), 0);
}

TEST(SafeWalSize, NullWhenUnlimitedLostOrUnreserved)
{
	EXPECT_FALSE(safe_wal_size(10 * kSeg, 12 * kSeg, keep(64, 0, -1), false));
	EXPECT_FALSE(safe_wal_size(10 * kSeg, 12 * kSeg, keep(64, 0, 64), true));
	EXPECT_FALSE(safe_wal_size(0, 12 * kSeg, keep(64, 0, 64), false));
}

TEST(SafeWalSize, ShrinksAsWalArrivesOnAStandby)
{
	/* What the core view cannot show on a standby: each byte received is a byte less. */
	auto a = safe_wal_size(10 * kSeg, 11 * kSeg, keep(64, 0, 128), false);
	auto b = safe_wal_size(10 * kSeg, 11 * kSeg + 5 * MB, keep(64, 0, 128), false);
	ASSERT_TRUE(a && b);
	EXPECT_EQ(*a - *b, static_cast<int64_t>(5 * MB));
}

/* ---- the policy ------------------------------------------------------------------------------ */

SlotView
slot(uint64_t restart, bool active = false, bool physical = true, bool persistent = true)
{
	SlotView s;
	s.name = "s1";
	s.restart_lsn = restart;
	s.active = active;
	s.physical = physical;
	s.persistent = persistent;
	return s;
}

RetentionInput
input(
	uint64_t current, int64_t limit, RetentionPolicy policy,
	std::function<bool(uint64_t)> archived = [](uint64_t) { return true; })
{
	RetentionInput in;
	in.limit_bytes = limit;
	in.policy = policy;
	in.seg_size = kSeg;
	in.current_lsn = current;
	in.archived = std::move(archived);
	return in;
}

TEST(Retention, NothingWithinLimitOrWithoutLimit)
{
	auto d = decide_retention(slot(10 * kSeg), input(13 * kSeg, 64 * MB, RetentionPolicy::Warn));
	EXPECT_EQ(d.action, RetentionAction::None);
	EXPECT_EQ(d.retained_bytes, 3 * kSeg);
	d = decide_retention(slot(10 * kSeg), input(100 * kSeg, -1, RetentionPolicy::AdvanceArchived));
	EXPECT_EQ(d.action, RetentionAction::None);
	EXPECT_EQ(d.retained_bytes, 90 * kSeg);
	/* No restart_lsn: nothing held. */
	d = decide_retention(slot(0), input(100 * kSeg, 64 * MB, RetentionPolicy::AdvanceArchived));
	EXPECT_EQ(d.action, RetentionAction::None);
	EXPECT_EQ(d.retained_bytes, 0u);
}

TEST(Retention, WarnPolicyOnlyWarns)
{
	auto d = decide_retention(slot(10 * kSeg), input(30 * kSeg, 64 * MB, RetentionPolicy::Warn));
	EXPECT_EQ(d.action, RetentionAction::Warn);
	EXPECT_STREQ(retention_action_name(d.action), "warned");
}

TEST(Retention, ActiveLogicalAndTemporarySlotsAreNeverTouched)
{
	auto in = input(30 * kSeg, 64 * MB, RetentionPolicy::AdvanceArchived);
	EXPECT_EQ(decide_retention(slot(10 * kSeg, true), in).action, RetentionAction::SkipActive);
	EXPECT_EQ(decide_retention(slot(10 * kSeg, false, false), in).action,
			  RetentionAction::SkipLogical);
	EXPECT_EQ(decide_retention(slot(10 * kSeg, false, true, false), in).action,
			  RetentionAction::SkipTemporary);
}

TEST(Retention, AdvancesToKeepAtMostTheLimit)
{
	/* current 30 seg + 1 MB, limit 4 seg: keep from 26 seg + 1 MB, rounded up to segment 27. */
	auto d = decide_retention(slot(10 * kSeg + 40),
							  input(30 * kSeg + MB, 64 * MB, RetentionPolicy::AdvanceArchived));
	ASSERT_EQ(d.action, RetentionAction::Advance);
	EXPECT_EQ(d.from_lsn, 10 * kSeg + 40);
	EXPECT_EQ(d.to_lsn, 27 * kSeg);
	EXPECT_FALSE(d.short_of_wanted);
	EXPECT_LE(30 * kSeg + MB - d.to_lsn, 64 * MB);
	/* At a segment boundary the limit is exact. */
	d = decide_retention(slot(10 * kSeg),
						 input(30 * kSeg, 64 * MB, RetentionPolicy::AdvanceArchived));
	EXPECT_EQ(d.to_lsn, 26 * kSeg);
	EXPECT_EQ(30 * kSeg - d.to_lsn, 64 * MB);
}

TEST(Retention, NeverPastTheFirstSegmentNotInTheArchive)
{
	std::set<uint64_t> asked;
	auto archived = [&asked](uint64_t s)
	{
		asked.insert(s);
		return s < 15;
	};
	auto d =
		decide_retention(slot(10 * kSeg + 40),
						 input(30 * kSeg, 64 * MB, RetentionPolicy::AdvanceArchived, archived));
	ASSERT_EQ(d.action, RetentionAction::Advance);
	EXPECT_EQ(d.to_lsn, 15 * kSeg);
	EXPECT_TRUE(d.short_of_wanted);
	EXPECT_EQ(d.missing_segno, 15u);
	EXPECT_EQ(d.wanted_lsn, 26 * kSeg);
	/* Asked in order from the restart segment, up to the first missing one. */
	EXPECT_EQ(asked, (std::set<uint64_t>{10, 11, 12, 13, 14, 15}));
}

TEST(Retention, GapInTheArchiveStopsAtTheGap)
{
	auto archived = [](uint64_t s) { return s != 12; };
	auto d = decide_retention(
		slot(10 * kSeg), input(30 * kSeg, 64 * MB, RetentionPolicy::AdvanceArchived, archived));
	ASSERT_EQ(d.action, RetentionAction::Advance);
	EXPECT_EQ(d.to_lsn, 12 * kSeg);
}

TEST(Retention, BlockedWhenTheRestartSegmentIsNotArchived)
{
	auto d = decide_retention(slot(10 * kSeg + 40),
							  input(30 * kSeg, 64 * MB, RetentionPolicy::AdvanceArchived,
									[](uint64_t) { return false; }));
	EXPECT_EQ(d.action, RetentionAction::Blocked);
	EXPECT_EQ(d.missing_segno, 10u);
	/* No archive to check at all: blocked as well. */
	auto in = input(30 * kSeg, 64 * MB, RetentionPolicy::AdvanceArchived);
	in.archived = nullptr;
	EXPECT_EQ(decide_retention(slot(10 * kSeg), in).action, RetentionAction::Blocked);
}

TEST(Retention, CappedAtFlushOrReplay)
{
	auto in = input(30 * kSeg, 64 * MB, RetentionPolicy::AdvanceArchived);
	in.cap_lsn = 20 * kSeg + 5;
	auto d = decide_retention(slot(10 * kSeg), in);
	ASSERT_EQ(d.action, RetentionAction::Advance);
	EXPECT_EQ(d.to_lsn, 20 * kSeg);
	/* A cap within the restart segment leaves nothing to do. */
	in.cap_lsn = 10 * kSeg + 100;
	EXPECT_EQ(decide_retention(slot(10 * kSeg), in).action, RetentionAction::None);
}

TEST(Retention, NeverMovesBackwards)
{
	/* current - limit is before restart: within the limit. */
	auto d = decide_retention(slot(28 * kSeg),
							  input(30 * kSeg, 64 * MB, RetentionPolicy::AdvanceArchived));
	EXPECT_EQ(d.action, RetentionAction::None);
	/* Restart ahead of current (a standby's slot before WAL arrives). */
	d = decide_retention(slot(31 * kSeg),
						 input(30 * kSeg, 64 * MB, RetentionPolicy::AdvanceArchived));
	EXPECT_EQ(d.action, RetentionAction::None);
	EXPECT_EQ(d.retained_bytes, 0u);
}

/* ---- the forecast ---------------------------------------------------------------------------- */

TEST(Forecast, NearestLimitWins)
{
	auto f = forecast_to_limit(int64_t(100 * MB), int64_t(50 * MB), uint64_t(1000 * MB), 10.0 * MB);
	EXPECT_EQ(f.kind, LimitKind::SlotKeepSize);
	ASSERT_TRUE(f.seconds);
	EXPECT_DOUBLE_EQ(*f.seconds, 5.0);
	EXPECT_STREQ(limit_kind_name(f.kind), "max_slot_wal_keep_size");

	f = forecast_to_limit(int64_t(30 * MB), std::nullopt, uint64_t(1000 * MB), 10.0 * MB);
	EXPECT_EQ(f.kind, LimitKind::RetentionLimit);
	EXPECT_DOUBLE_EQ(*f.seconds, 3.0);
}

TEST(Forecast, OverTheRetentionLimitForecastsTheDisk)
{
	auto f = forecast_to_limit(-int64_t(30 * MB), std::nullopt, uint64_t(1000 * MB), 10.0 * MB);
	EXPECT_EQ(f.kind, LimitKind::Disk);
	EXPECT_EQ(f.headroom_bytes, int64_t(1000 * MB));
	EXPECT_DOUBLE_EQ(*f.seconds, 100.0);
}

TEST(Forecast, NoRateNoSecondsButLossIsNow)
{
	auto f = forecast_to_limit(std::nullopt, std::nullopt, uint64_t(1000 * MB), std::nullopt);
	EXPECT_EQ(f.kind, LimitKind::Disk);
	EXPECT_FALSE(f.seconds);
	f = forecast_to_limit(std::nullopt, std::nullopt, uint64_t(1000 * MB), 0.0);
	EXPECT_FALSE(f.seconds);
	/* safe_wal_size already negative: 0 seconds whatever the rate. */
	f = forecast_to_limit(std::nullopt, -int64_t(MB), uint64_t(1000 * MB), std::nullopt);
	EXPECT_EQ(f.kind, LimitKind::SlotKeepSize);
	ASSERT_TRUE(f.seconds);
	EXPECT_EQ(*f.seconds, 0.0);
	/* Nothing known at all. */
	EXPECT_EQ(forecast_to_limit(std::nullopt, std::nullopt, std::nullopt, 1.0).kind,
			  LimitKind::None);
}

TEST(Forecast, IdleTimeoutIsATime)
{
	/* Sooner than the byte limit at this rate (50 MB at 10 MB/s: 5 s). */
	auto f = forecast_to_limit(std::nullopt, int64_t(50 * MB), uint64_t(1000 * MB), 10.0 * MB, 2.0);
	EXPECT_EQ(f.kind, LimitKind::IdleTimeout);
	ASSERT_TRUE(f.seconds);
	EXPECT_DOUBLE_EQ(*f.seconds, 2.0);
	EXPECT_EQ(f.headroom_bytes, int64_t(50 * MB));
	EXPECT_STREQ(limit_kind_name(f.kind), "idle_replication_slot_timeout");
	/* Later than the byte limit: the byte limit stays. */
	f = forecast_to_limit(std::nullopt, int64_t(50 * MB), uint64_t(1000 * MB), 10.0 * MB, 60.0);
	EXPECT_EQ(f.kind, LimitKind::SlotKeepSize);
	EXPECT_DOUBLE_EQ(*f.seconds, 5.0);
	/* No WAL rate (an idle primary): the timeout is the only forecast there is. */
	f = forecast_to_limit(std::nullopt, std::nullopt, uint64_t(1000 * MB), std::nullopt, 600.0);
	EXPECT_EQ(f.kind, LimitKind::IdleTimeout);
	EXPECT_DOUBLE_EQ(*f.seconds, 600.0);
	/* Already past it (invalidated at the next checkpoint): 0 seconds. */
	f = forecast_to_limit(std::nullopt, std::nullopt, std::nullopt, std::nullopt, -5.0);
	EXPECT_EQ(f.kind, LimitKind::IdleTimeout);
	EXPECT_DOUBLE_EQ(*f.seconds, 0.0);
}

TEST(Pretty, BytesAndSeconds)
{
	EXPECT_EQ(pretty_bytes(512), "512 bytes");
	EXPECT_EQ(pretty_bytes(64 * MB), "64 MB");
	EXPECT_EQ(pretty_bytes(3 * 1024 * MB / 2), "1.5 GB");
	EXPECT_EQ(pretty_seconds(45), "45 s");
	EXPECT_EQ(pretty_seconds(600), "10 min");
	EXPECT_EQ(pretty_seconds(3 * 3600), "3.0 h");
	EXPECT_EQ(pretty_seconds(3 * 86400), "3.0 days");
}

/* ---- the hold file --------------------------------------------------------------------------- */

TEST(HoldState, RoundTrip)
{
	std::vector<SlotHold> holds = {{"standby_1", 0x3000028}, {"s2", 0x100000000ULL}};
	std::string text = format_hold_state(holds);
	auto back = parse_hold_state(text);
	ASSERT_EQ(back.size(), 2u);
	EXPECT_EQ(back[0].slot, "standby_1");
	EXPECT_EQ(back[0].lsn, 0x3000028u);
	EXPECT_EQ(back[1].lsn, 0x100000000ULL);
	EXPECT_TRUE(parse_hold_state("").empty());
	EXPECT_TRUE(parse_hold_state("# only a comment\n").empty());
}

TEST(HoldState, MalformedThrows)
{
	for (const char *bad : {"s1\n", "s1 nonsense\n", "S1 0/1\n", "s1 0/0\n", "../x 0/1\n"})
		EXPECT_THROW(parse_hold_state(bad), HoldStateError) << bad;
}

} // namespace
} // namespace pgls
