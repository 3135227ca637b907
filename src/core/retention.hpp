/*
 * retention.hpp -- slot-aware WAL retention: what a slot holds, how safe it is, what to do.
 *
 * The server glue (src/retention/) reads replication slots and positions from shared memory and
 * asks these pure functions what they mean:
 *
 *   wal_availability()  wal_status as PostgreSQL 15's GetWALAvailability() computes it, but
 *                       against a current position the caller chooses (on a standby core uses
 *                       the write position, which is 0 during recovery);
 *   safe_wal_size()     bytes of WAL that can still be written before the slot is lost to
 *                       max_slot_wal_keep_size (core's formula, same caveat);
 *   decide_retention()  the policy: warn about, or advance, an inactive physical slot that holds
 *                       more than pg_logship.slot_retention_limit, never past a segment that is
 *                       not durably in the archive;
 *   forecast_to_limit() seconds until the nearest limit (retention limit, max_slot_wal_keep_size,
 *                       free space of pg_wal's filesystem) at the slot's growth rate.
 */
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace pgls
{

/* ---- wal_status ------------------------------------------------------------------------------ */

enum class WalStatus
{
	Invalid,    /* the slot reserves no WAL (never reserved): NULL in the views */
	Reserved,   /* within max_wal_size */
	Extended,   /* beyond max_wal_size, kept by slots or wal_keep_size */
	Unreserved, /* no longer kept; removed at the next checkpoint or restartpoint */
	Lost,       /* removed */
};

const char *wal_status_name(WalStatus s);

/* The WAL-keeping settings in force (as PostgreSQL's *_mb variables). */
struct WalKeepSettings
{
	uint64_t seg_size = 16 * 1024 * 1024;
	int max_wal_size_mb = 1024;
	int wal_keep_size_mb = 0;
	int max_slot_wal_keep_size_mb = -1; /* -1: unlimited */
};

/* Segments in a *_mb setting (XLogMBVarToSegs). */
uint64_t mb_to_segments(int mb, uint64_t seg_size);

/*
 * GetWALAvailability(target) of PostgreSQL 15, measured from current_lsn:
 *   slots_min_lsn     the oldest restart_lsn of all slots (0: none), as KeepLogSeg sees it;
 *   last_removed_seg  XLogGetLastRemovedSegno().
 */
WalStatus wal_availability(uint64_t target_lsn, uint64_t current_lsn, uint64_t slots_min_lsn,
						   uint64_t last_removed_seg, const WalKeepSettings &keep);

/*
 * Core's safe_wal_size against current_lsn: bytes until the slot's restart segment falls out of
 * max_slot_wal_keep_size (or wal_keep_size, if larger). nullopt when the slot is lost, has no
 * restart_lsn, or max_slot_wal_keep_size is -1. May be negative (about to be lost).
 */
std::optional<int64_t> safe_wal_size(uint64_t restart_lsn, uint64_t current_lsn,
									 const WalKeepSettings &keep, bool lost);

/* ---- the policy ------------------------------------------------------------------------------ */

enum class RetentionPolicy
{
	Warn,
	AdvanceArchived,
};

const char *retention_policy_name(RetentionPolicy p);

struct SlotView
{
	std::string name;
	bool physical = true;
	bool active = false;
	bool persistent = true; /* temporary and ephemeral slots belong to a session */
	uint64_t restart_lsn = 0;
};

enum class RetentionAction
{
	None,          /* within the limit, no limit, or nothing retained */
	Warn,          /* over the limit, policy warn */
	Advance,       /* over the limit, advance from..to */
	Blocked,       /* over the limit, but the next segment to release is not archived */
	SkipActive,    /* over the limit, but a standby is connected: never touched */
	SkipLogical,   /* over the limit, logical slot: never touched */
	SkipTemporary, /* over the limit, temporary slot: never touched */
};

const char *retention_action_name(RetentionAction a);

struct RetentionInput
{
	int64_t limit_bytes = -1; /* <= 0: no limit */
	RetentionPolicy policy = RetentionPolicy::Warn;
	uint64_t seg_size = 16 * 1024 * 1024;
	uint64_t current_lsn =
		0;                /* where WAL ends (primary: write; standby: max(received, replayed)) */
	uint64_t cap_lsn = 0; /* never advance past (primary: flush; standby: replay); 0: current */
	/* True when segment segno is durably in the archive. Asked only for segments from the slot's
	 * restart segment upwards, in order, stopping at the first false. */
	std::function<bool(uint64_t segno)> archived;
};

struct RetentionDecision
{
	RetentionAction action = RetentionAction::None;
	uint64_t retained_bytes = 0;
	uint64_t from_lsn = 0;        /* the slot's restart_lsn */
	uint64_t to_lsn = 0;          /* Advance: the new restart_lsn (a segment start) */
	uint64_t wanted_lsn = 0;      /* where the limit alone would put restart_lsn */
	uint64_t missing_segno = 0;   /* Advance (short of wanted) or Blocked: first unarchived seg */
	bool short_of_wanted = false; /* Advance stopped at missing_segno */
};

/*
 * What the policy does with one slot. The wanted restart_lsn keeps at most limit_bytes:
 * current_lsn - limit, rounded up to a segment start; it is capped at cap_lsn (rounded down to a
 * segment start) and at the start of the first segment from the restart segment on that is not
 * in the archive, so every segment the slot releases can be restored from the archive.
 */
RetentionDecision decide_retention(const SlotView &slot, const RetentionInput &in);

/* ---- the forecast ---------------------------------------------------------------------------- */

enum class LimitKind
{
	None,
	RetentionLimit, /* pg_logship.slot_retention_limit */
	SlotKeepSize,   /* max_slot_wal_keep_size: the slot is lost there */
	Disk,           /* free space of pg_wal's filesystem */
	IdleTimeout,    /* PG18's idle_replication_slot_timeout: the slot is invalidated there */
};

const char *limit_kind_name(LimitKind k);

struct Forecast
{
	LimitKind kind = LimitKind::None;
	int64_t headroom_bytes = 0;
	std::optional<double> seconds; /* nullopt: not growing, or no rate known */
};

/*
 * The nearest limit ahead of a slot and the seconds until it is reached at growth_rate bytes/s:
 *   retention_headroom  limit - retained (only a positive headroom counts: a slot already over
 *                       the retention limit is forecast against the next limit);
 *   safe_wal_size       as above (<= 0: 0 seconds);
 *   disk_free           free bytes of pg_wal's filesystem.
 * The smallest headroom wins. seconds is nullopt when the rate is unknown or <= 0.
 *   idle_seconds_left   seconds until idle_replication_slot_timeout invalidates the slot (PG18;
 *                       <= 0: 0 seconds). A time, not a size: it wins when it comes before the
 *                       byte limit's forecast, or when that has no forecast; headroom_bytes then
 *                       stays the byte limit's.
 */
Forecast forecast_to_limit(std::optional<int64_t> retention_headroom,
						   std::optional<int64_t> safe_wal_size, std::optional<uint64_t> disk_free,
						   std::optional<double> growth_rate,
						   std::optional<double> idle_seconds_left = std::nullopt);

/* "12 MB", "3.4 GB": sizes for messages (binary units, as pg_size_pretty). */
std::string pretty_bytes(uint64_t bytes);

/* "45 s", "12 min", "3.5 h", "2.1 days": durations for messages. */
std::string pretty_seconds(double seconds);

} // namespace pgls
