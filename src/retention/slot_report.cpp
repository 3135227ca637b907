/*
 * slot_report.cpp -- computing the pg_logship.slots columns (see slot_report.hpp).
 */
#include "retention/slot_report.hpp"

#include "pg/guard.hpp"
#include "monitor/history.hpp"
#include "retention/archive_check.hpp"
#include "retention/retention.hpp"

namespace pgls
{

namespace
{

/* C++ only: whether each slot's completed segments are all in the archive. */
void
check_archived(SlotReport *reports, int n, const ArchiveTarget &target, XLogRecPtr current)
{
	const uint64_t seg = static_cast<uint64_t>(wal_segment_size);
	ArchiveChecker checker(target, seg);
	for (int i = 0; i < n; i++)
	{
		SlotReport &r = reports[i];
		r.archived = -1;
		if (!checker.usable() || !r.has_retained)
			continue;
		uint64_t from = r.row.restart_lsn / seg;
		uint64_t to = current / seg; /* the current segment is not complete */
		r.archived = (from >= to || checker.all_archived(from, to)) ? 1 : 0;
	}
}

} // namespace

int
collect_slot_reports(SlotReport **out, ReportContext *ctx)
{
	memset(ctx, 0, sizeof *ctx);
	read_server_pos(&ctx->pos);
	ctx->now = GetCurrentTimestamp();
	ctx->limit = retention_limit_bytes();
	ctx->policy = retention_policy();
	ctx->disk_free = pg_wal_free_bytes();
	ctx->idle_timeout_s = idle_slot_timeout_seconds();
	ctx->has_wal_rate = history_rate(Series::Current, 0, ctx->pos.current_lsn, ctx->now,
									 kForecastWindowSeconds, &ctx->wal_rate);

	SlotRow *rows;
	int n = read_slots(&rows);
	*out = nullptr;
	if (n == 0)
		return 0;
	SlotReport *reports = static_cast<SlotReport *>(palloc0(sizeof(SlotReport) * n));
	XLogRecPtr slots_min = slots_min_restart(rows, n);
	WalKeepSettings keep = wal_keep_settings();

	for (int i = 0; i < n; i++)
	{
		SlotReport &r = reports[i];
		r.row = rows[i];
		r.status = slot_wal_status(r.row, ctx->pos, slots_min);
		/* An invalidated slot holds no WAL, even where it keeps a restart_lsn (PG18's idle
		 * timeout). */
		if (!XLogRecPtrIsInvalid(r.row.restart_lsn) && !slot_lost(r.row))
		{
			r.has_retained = true;
			r.retained = ctx->pos.current_lsn > r.row.restart_lsn
							 ? static_cast<int64>(ctx->pos.current_lsn - r.row.restart_lsn)
							 : 0;
		}
		std::optional<int64_t> safe = safe_wal_size(r.row.restart_lsn, ctx->pos.current_lsn, keep,
													r.status == WalStatus::Lost);
		r.has_safe = safe.has_value();
		r.safe = safe.value_or(0);

		r.has_track = slot_track_copy(r.row.index, r.row.name, &r.track);
		/* Inactive since: the server's own record (PG17+; exact, and the worker may have missed
		 * a short active spell), else since the worker first saw the slot inactive. */
		TimestampTz since = r.row.active ? 0 : r.row.inactive_since;
		if (!r.row.active && since == 0 && r.has_track)
			since = r.track.inactive_since;
		if (since != 0)
		{
			r.has_inactive = true;
			r.inactive_seconds = static_cast<double>(ctx->now - since) / USECS_PER_SEC;
		}
		/* PG18: idle_replication_slot_timeout invalidates the slot at the first checkpoint after
		 * it has been inactive that long, by the server's inactive_since. */
		std::optional<double> idle_left;
		if (ctx->idle_timeout_s > 0 && !r.row.active && !slot_lost(r.row) &&
			!XLogRecPtrIsInvalid(r.row.restart_lsn) && r.row.inactive_since != 0)
			idle_left = ctx->idle_timeout_s -
						static_cast<double>(ctx->now - r.row.inactive_since) / USECS_PER_SEC;

		/* How fast the slot's retained WAL grows. */
		if (ctx->has_wal_rate && r.status != WalStatus::Lost && r.has_retained)
		{
			if (!r.row.active)
			{
				r.has_rate = true;
				r.growth_rate = ctx->wal_rate;
			}
			else
			{
				double standby_rate;
				if (history_rate(Series::SenderReplay, r.row.active_pid, r.row.restart_lsn,
								 ctx->now, kForecastWindowSeconds, &standby_rate))
				{
					r.has_rate = true;
					r.growth_rate = ctx->wal_rate - standby_rate;
				}
			}
		}
		if (!slot_lost(r.row) && r.has_retained)
		{
			std::optional<int64_t> retention_headroom;
			if (ctx->limit > 0)
				retention_headroom = ctx->limit - r.retained;
			std::optional<uint64_t> disk;
			if (ctx->disk_free >= 0)
				disk = static_cast<uint64_t>(ctx->disk_free);
			std::optional<double> rate;
			if (r.has_rate)
				rate = r.growth_rate;
			Forecast f = forecast_to_limit(retention_headroom, safe, disk, rate, idle_left);
			r.limit_kind = f.kind;
			r.headroom = f.headroom_bytes;
			r.has_seconds = f.seconds.has_value();
			r.seconds_to_limit = f.seconds.value_or(0);
		}
	}

	ArchiveTarget *target = static_cast<ArchiveTarget *>(palloc(sizeof(ArchiveTarget)));
	read_archive_target(target, ctx->pos.tli);
	XLogRecPtr current = ctx->pos.current_lsn;
	cpp_entry([&]() { check_archived(reports, n, *target, current); });
	pfree(target);
	*out = reports;
	return n;
}

} // namespace pgls
