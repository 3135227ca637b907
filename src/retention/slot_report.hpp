/*
 * slot_report.hpp -- everything pg_logship.slots and slot_health() say about each slot.
 *
 *   retained_bytes     current position - restart_lsn (ServerPos: write position on a primary,
 *                      max(received, replayed) on a standby)
 *   wal_status         slot_state.hpp, slot_wal_status()
 *   safe_wal_size      core's formula against the same current position
 *   retained_archived  every completed segment from the restart segment on is in the archive
 *   inactive_seconds   since the slot is inactive: the server's inactive_since (PG17+), or
 *                      since the worker first saw it inactive (PG15 and 16 do not record it)
 *   seconds_to_limit   the nearest limit (core/retention.hpp forecast_to_limit) at the slot's
 *                      growth rate: the WAL rate over the last kForecastWindowSeconds from the
 *                      monitor's history for an inactive slot; for an active one that rate minus
 *                      its walsender's replay rate; on PG18 also the time left until
 *                      idle_replication_slot_timeout invalidates an inactive slot
 */
#pragma once

#include "pg/pg_headers.hpp"

#include "core/retention.hpp"
#include "retention/retention_shmem.hpp"
#include "retention/slot_state.hpp"

namespace pgls
{

constexpr double kForecastWindowSeconds = 60.0;

struct SlotReport
{
	SlotRow row;
	WalStatus status;
	bool has_retained;
	int64 retained;
	bool has_safe;
	int64 safe;
	int archived; /* -1 unknown, 0 no, 1 yes */
	bool has_track;
	SlotTrack track;
	bool has_inactive;
	double inactive_seconds;
	bool has_rate;
	double growth_rate; /* bytes/s */
	LimitKind limit_kind;
	int64 headroom;
	bool has_seconds;
	double seconds_to_limit;
};

struct ReportContext
{
	ServerPos pos;
	TimestampTz now;
	int64 limit; /* -1: off */
	RetentionPolicy policy;
	int64 disk_free;    /* -1: unknown */
	int idle_timeout_s; /* idle_replication_slot_timeout: 0 off, -1 not in this server */
	bool has_wal_rate;
	double wal_rate;
};

/* Fills *out (palloc'd) with one report per slot; returns the count. */
int collect_slot_reports(SlotReport **out, ReportContext *ctx);

} // namespace pgls
