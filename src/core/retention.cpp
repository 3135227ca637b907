/*
 * retention.cpp -- wal_status, safe_wal_size, the retention decision and the forecast.
 */
#include "pure.hpp"
#include "retention.hpp"

#include <algorithm>
#include <cstdio>

namespace pgls
{

const char *
wal_status_name(WalStatus s)
{
	switch (s)
	{
		case WalStatus::Invalid:
			return nullptr;
		case WalStatus::Reserved:
			return "reserved";
		case WalStatus::Extended:
			return "extended";
		case WalStatus::Unreserved:
			return "unreserved";
		case WalStatus::Lost:
			return "lost";
	}
	return nullptr;
}

uint64_t
mb_to_segments(int mb, uint64_t seg_size)
{
	if (mb <= 0)
		return 0;
	uint64_t seg_mb = seg_size / (1024 * 1024);
	return seg_mb == 0 ? 0 : static_cast<uint64_t>(mb) / seg_mb;
}

namespace
{

/* KeepLogSeg(): the oldest segment kept by slots (capped by max_slot_wal_keep_size) and
 * wal_keep_size, starting from the current segment. */
uint64_t
keep_log_seg(uint64_t current_lsn, uint64_t slots_min_lsn, const WalKeepSettings &keep)
{
	uint64_t curr_seg = current_lsn / keep.seg_size;
	uint64_t segno = curr_seg;
	if (slots_min_lsn != 0)
	{
		segno = slots_min_lsn / keep.seg_size;
		if (keep.max_slot_wal_keep_size_mb >= 0)
		{
			uint64_t slot_keep = mb_to_segments(keep.max_slot_wal_keep_size_mb, keep.seg_size);
			if (curr_seg > segno && curr_seg - segno > slot_keep)
				segno = curr_seg - slot_keep;
		}
	}
	if (keep.wal_keep_size_mb > 0)
	{
		uint64_t keep_segs = mb_to_segments(keep.wal_keep_size_mb, keep.seg_size);
		if (curr_seg >= segno && curr_seg - segno < keep_segs)
			segno = curr_seg <= keep_segs ? 1 : curr_seg - keep_segs;
	}
	return std::min(segno, curr_seg);
}

} // namespace

WalStatus
wal_availability(uint64_t target_lsn, uint64_t current_lsn, uint64_t slots_min_lsn,
				 uint64_t last_removed_seg, const WalKeepSettings &keep)
{
	if (target_lsn == 0)
		return WalStatus::Invalid;

	uint64_t oldest_slot_seg = keep_log_seg(current_lsn, slots_min_lsn, keep);
	uint64_t oldest_seg = last_removed_seg + 1;
	uint64_t curr_seg = current_lsn / keep.seg_size;
	uint64_t keep_segs = mb_to_segments(keep.max_wal_size_mb, keep.seg_size) + 1;
	uint64_t oldest_seg_max_wal_size = curr_seg > keep_segs ? curr_seg - keep_segs : 1;
	uint64_t target_seg = target_lsn / keep.seg_size;

	if (target_seg >= oldest_slot_seg)
		return target_seg >= oldest_seg_max_wal_size ? WalStatus::Reserved : WalStatus::Extended;
	if (target_seg >= oldest_seg)
		return WalStatus::Unreserved;
	return WalStatus::Lost;
}

std::optional<int64_t>
safe_wal_size(uint64_t restart_lsn, uint64_t current_lsn, const WalKeepSettings &keep, bool lost)
{
	if (lost || restart_lsn == 0 || keep.max_slot_wal_keep_size_mb < 0)
		return std::nullopt;
	uint64_t target_seg = restart_lsn / keep.seg_size;
	uint64_t slot_keep = mb_to_segments(keep.max_slot_wal_keep_size_mb, keep.seg_size);
	uint64_t wal_keep = mb_to_segments(keep.wal_keep_size_mb, keep.seg_size);
	uint64_t fail_seg = target_seg + std::max(slot_keep, wal_keep) + 1;
	uint64_t fail_lsn = fail_seg * keep.seg_size;
	return static_cast<int64_t>(fail_lsn - current_lsn);
}

const char *
retention_policy_name(RetentionPolicy p)
{
	return p == RetentionPolicy::Warn ? "warn" : "advance_archived";
}

const char *
retention_action_name(RetentionAction a)
{
	switch (a)
	{
		case RetentionAction::None:
			return "none";
		case RetentionAction::Warn:
			return "warned";
		case RetentionAction::Advance:
			return "advanced";
		case RetentionAction::Blocked:
			return "blocked";
		case RetentionAction::SkipActive:
			return "skipped_active";
		case RetentionAction::SkipLogical:
			return "skipped_logical";
		case RetentionAction::SkipTemporary:
			return "skipped_temporary";
	}
	return "none";
}

RetentionDecision
decide_retention(const SlotView &slot, const RetentionInput &in)
{
	RetentionDecision d;
	d.from_lsn = slot.restart_lsn;
	if (slot.restart_lsn == 0 || in.current_lsn <= slot.restart_lsn)
		return d;
	d.retained_bytes = in.current_lsn - slot.restart_lsn;
	if (in.limit_bytes <= 0 || d.retained_bytes <= static_cast<uint64_t>(in.limit_bytes))
		return d;

	if (!slot.physical)
	{
		d.action = RetentionAction::SkipLogical;
		return d;
	}
	if (!slot.persistent)
	{
		d.action = RetentionAction::SkipTemporary;
		return d;
	}
	if (slot.active)
	{
		d.action = RetentionAction::SkipActive;
		return d;
	}
	if (in.policy == RetentionPolicy::Warn)
	{
		d.action = RetentionAction::Warn;
		return d;
	}

	const uint64_t seg = in.seg_size;
	/* Keep at most limit_bytes: current - limit, rounded up to a segment start. */
	uint64_t low = in.current_lsn - static_cast<uint64_t>(in.limit_bytes);
	uint64_t wanted = (low + seg - 1) / seg * seg;
	uint64_t cap = in.cap_lsn != 0 ? std::min(in.cap_lsn, in.current_lsn) : in.current_lsn;
	wanted = std::min(wanted, cap / seg * seg);
	d.wanted_lsn = wanted;

	uint64_t first = slot.restart_lsn / seg;
	uint64_t wanted_seg = wanted / seg;
	if (wanted <= slot.restart_lsn || wanted_seg <= first)
	{
		/* The limit lies within the restart segment: releasing it needs a segment boundary. */
		return d;
	}
	/* Every segment the slot releases, [first, wanted_seg), must be in the archive. */
	uint64_t s = first;
	if (in.archived)
		while (s < wanted_seg && in.archived(s))
			s++;
	if (s == first)
	{
		d.action = RetentionAction::Blocked;
		d.missing_segno = first;
		return d;
	}
	d.action = RetentionAction::Advance;
	d.to_lsn = s * seg;
	if (s < wanted_seg)
	{
		d.short_of_wanted = true;
		d.missing_segno = s;
	}
	return d;
}

const char *
limit_kind_name(LimitKind k)
{
	switch (k)
	{
		case LimitKind::None:
			return nullptr;
		case LimitKind::RetentionLimit:
			return "retention_limit";
		case LimitKind::SlotKeepSize:
			return "max_slot_wal_keep_size";
		case LimitKind::Disk:
			return "disk";
		case LimitKind::IdleTimeout:
			return "idle_replication_slot_timeout";
	}
	return nullptr;
}

Forecast
forecast_to_limit(std::optional<int64_t> retention_headroom, std::optional<int64_t> safe_wal_size,
				  std::optional<uint64_t> disk_free, std::optional<double> growth_rate,
				  std::optional<double> idle_seconds_left)
{
	Forecast f;
	auto consider = [&f](LimitKind kind, int64_t headroom)
	{
		if (f.kind == LimitKind::None || headroom < f.headroom_bytes)
		{
			f.kind = kind;
			f.headroom_bytes = headroom;
		}
	};
	if (retention_headroom && *retention_headroom > 0)
		consider(LimitKind::RetentionLimit, *retention_headroom);
	if (safe_wal_size)
		consider(LimitKind::SlotKeepSize, std::max<int64_t>(*safe_wal_size, 0));
	if (disk_free)
		consider(LimitKind::Disk, static_cast<int64_t>(std::min<uint64_t>(*disk_free, INT64_MAX)));
	if (f.kind != LimitKind::None)
	{
		if (f.headroom_bytes == 0)
			f.seconds = 0.0;
		else if (growth_rate && *growth_rate > 0)
			f.seconds = static_cast<double>(f.headroom_bytes) / *growth_rate;
	}
	if (idle_seconds_left)
	{
		double idle = std::max(*idle_seconds_left, 0.0);
		if (f.kind == LimitKind::None || !f.seconds || idle < *f.seconds)
		{
			f.kind = LimitKind::IdleTimeout;
			f.seconds = idle;
		}
	}
	return f;
}

std::string
pretty_bytes(uint64_t bytes)
{
	static const char *units[] = {"bytes", "kB", "MB", "GB", "TB", "PB"};
	double v = static_cast<double>(bytes);
	int u = 0;
	while (v >= 1024.0 && u < 5)
	{
		v /= 1024.0;
		u++;
	}
	char buf[64];
	if (u == 0)
		std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
	else if (v < 10.0 && v != static_cast<double>(static_cast<uint64_t>(v)))
		std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
	else
		std::snprintf(buf, sizeof buf, "%.0f %s", v, units[u]);
	return buf;
}

std::string
pretty_seconds(double seconds)
{
	char buf[64];
	if (seconds < 0)
		seconds = 0;
	if (seconds < 120)
		std::snprintf(buf, sizeof buf, "%.0f s", seconds);
	else if (seconds < 2 * 3600)
		std::snprintf(buf, sizeof buf, "%.0f min", seconds / 60);
	else if (seconds < 2 * 86400)
		std::snprintf(buf, sizeof buf, "%.1f h", seconds / 3600);
	else
		std::snprintf(buf, sizeof buf, "%.1f days", seconds / 86400);
	return buf;
}

} // namespace pgls
