/*
 * slots.cpp -- pg_logship.slots_internal() (behind the pg_logship.slots view) and
 * pg_logship.slot_health().
 *
 * Both read live state (retention/slot_report.hpp) and work on primaries and hot standbys.
 * slot_health() returns (severity, component, message, hint) rows for health(): slots at risk
 * that core's view misses (on a standby), slots over pg_logship.slot_retention_limit, forecasts,
 * advanced slots whose standby has not come back, and archive cleanup refusals or failures.
 */
#include "pg/guard.hpp"

#include "core/retention.hpp"
#include "retention/retention.hpp"
#include "retention/retention_shmem.hpp"
#include "retention/slot_report.hpp"

extern "C"
{
#include "utils/pg_lsn.h"
}

namespace
{

using namespace pgls;

constexpr int kSlotCols = 18;

/* Forecasts closer than this warn; closer than kCriticalSeconds to loss or a full disk is
 * critical. */
constexpr double kWarnSeconds = 3600;
constexpr double kCriticalSeconds = 600;

void
put_lsn(Datum *values, bool *nulls, int i, XLogRecPtr lsn)
{
	if (XLogRecPtrIsInvalid(lsn))
		nulls[i] = true;
	else
		values[i] = LSNGetDatum(lsn);
}

/* C++ formatting into a plain buffer (the strings die before any PG call). */
void
fmt_bytes(int64 bytes, char *buf, size_t len)
{
	strlcpy(buf, pretty_bytes(static_cast<uint64_t>(Max(bytes, 0))).c_str(), len);
}

void
fmt_seconds(double s, char *buf, size_t len)
{
	strlcpy(buf, pretty_seconds(s).c_str(), len);
}

void
emit(ReturnSetInfo *rsinfo, const char *severity, const char *component, const char *message,
	 const char *hint)
{
	Datum values[4];
	bool nulls[4] = {false, false, false, false};
	values[0] = CStringGetTextDatum(severity);
	values[1] = CStringGetTextDatum(component);
	values[2] = CStringGetTextDatum(message);
	if (hint && hint[0])
		values[3] = CStringGetTextDatum(hint);
	else
		nulls[3] = true;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* " pg_wal's filesystem is full in about 3.0 h at 1.2 MB/s" and the like. */
void
forecast_text(const SlotReport &r, char *buf, size_t len)
{
	char when[64], rate[64];
	buf[0] = '\0';
	if (r.limit_kind == LimitKind::None)
		return;
	if (r.limit_kind == LimitKind::IdleTimeout)
	{
		fmt_seconds(r.seconds_to_limit, when, sizeof when);
		snprintf(buf, len, "; idle_replication_slot_timeout invalidates it in about %s", when);
		return;
	}
	if (!r.has_seconds)
	{
		snprintf(buf, len, "; no recent WAL rate to forecast from");
		return;
	}
	fmt_seconds(r.seconds_to_limit, when, sizeof when);
	fmt_bytes(static_cast<int64>(r.growth_rate), rate, sizeof rate);
	const char *what = r.limit_kind == LimitKind::Disk ? "pg_wal's filesystem is full"
					   : r.limit_kind == LimitKind::SlotKeepSize
						   ? "it is lost to max_slot_wal_keep_size"
						   : "it reaches pg_logship.slot_retention_limit";
	snprintf(buf, len, "; %s in about %s at %s/s", what, when, rate);
}

void
slot_rows(ReturnSetInfo *rsinfo, const SlotReport &r, const ReportContext &ctx)
{
	char msg[1024], hint[512], held[64], lim[64], fc[256];
	const char *name = r.row.name;
	fmt_bytes(r.retained, held, sizeof held);
	fmt_bytes(ctx.limit, lim, sizeof lim);
	forecast_text(r, fc, sizeof fc);

	/* On a standby core's wal_status is measured from 0; ours is not. */
	if (ctx.pos.in_recovery && (r.status == WalStatus::Lost || r.status == WalStatus::Unreserved))
	{
		snprintf(msg, sizeof msg, "slot %s on this standby: wal_status %s", name,
				 wal_status_name(r.status));
		emit(rsinfo, r.status == WalStatus::Lost ? "critical" : "warning", "retention", msg,
			 r.status == WalStatus::Lost
				 ? "The WAL this slot needed is gone; its standby must restore it from the archive."
				 : "This slot loses its WAL at the next restartpoint (max_slot_wal_keep_size).");
		return;
	}

	bool over =
		ctx.limit > 0 && r.has_retained && r.retained > ctx.limit && r.status != WalStatus::Lost;
	bool reported = false;
	if (over)
	{
		RetentionAction last =
			r.has_track ? static_cast<RetentionAction>(r.track.action) : RetentionAction::None;
		if (!r.row.physical || !r.row.persistent || r.row.active)
		{
			snprintf(msg, sizeof msg,
					 "%s slot %s holds %s of WAL, more than pg_logship.slot_retention_limit "
					 "(%s)%s",
					 r.row.active     ? "active"
					 : r.row.physical ? "temporary"
									  : "logical",
					 name, held, lim, fc);
			emit(rsinfo, "warning", "retention", msg,
				 r.row.active ? "Its standby is connected but slow; pg_logship never moves a slot "
								"in use."
							  : "pg_logship never moves logical or temporary slots.");
			reported = true;
		}
		else if (ctx.policy == RetentionPolicy::Warn)
		{
			snprintf(msg, sizeof msg,
					 "inactive slot %s holds %s of WAL, more than "
					 "pg_logship.slot_retention_limit (%s)%s",
					 name, held, lim, fc);
			emit(rsinfo, "warning", "retention", msg,
				 "Set pg_logship.slot_retention_policy = advance_archived to release archived WAL "
				 "while keeping the slot, or drop the slot if its standby is gone.");
			reported = true;
		}
		else if (last == RetentionAction::Blocked)
		{
			snprintf(msg, sizeof msg, "slot %s cannot be advanced: %s%s", name, r.track.detail, fc);
			emit(rsinfo, "warning", "retention", msg,
				 "It is advanced only over WAL that is in the archive: check archiving.");
			reported = true;
		}
	}

	/* A lost slot whose standby has not come back: where the worker last saw it (PG16+). */
	if (r.has_track && !XLogRecPtrIsInvalid(r.track.hold_lsn) && !r.row.active && slot_lost(r.row))
	{
		snprintf(msg, sizeof msg,
				 "slot %s was invalidated (%s); its standby needs WAL from %X/%X, which it must "
				 "restore from the archive",
				 name, slot_cause_name(r.row.invalidated), PGLS_LSN_ARGS(r.track.hold_lsn));
		emit(rsinfo, "warning", "retention", msg,
			 "Archive cleanup keeps that WAL. An invalidated slot holds no WAL (and PostgreSQL 18 "
			 "refuses it): drop it and create it again for the standby.");
	}
	/* An advanced slot whose standby has not come back. */
	else if (r.has_track && !XLogRecPtrIsInvalid(r.track.hold_lsn) && !r.row.active)
	{
		snprintf(msg, sizeof msg,
				 "slot %s was advanced by the retention policy to %X/%X; its standby needs WAL "
				 "from %X/%X, which it must restore from the archive",
				 name, PGLS_LSN_ARGS(r.track.action_to), PGLS_LSN_ARGS(r.track.hold_lsn));
		snprintf(hint, sizeof hint,
				 "Archive cleanup keeps that WAL. Start the standby (restore_command = "
				 "'pg_logship restore ...'), or drop the slot if it is gone.");
		emit(rsinfo, "warning", "retention", msg, hint);
	}

	/* A forecast close enough to matter, when not said above. */
	if (!reported && r.has_seconds && r.seconds_to_limit < kWarnSeconds &&
		!(r.limit_kind == LimitKind::RetentionLimit &&
		  ctx.policy == RetentionPolicy::AdvanceArchived && r.row.physical && !r.row.active))
	{
		bool critical =
			r.limit_kind != LimitKind::RetentionLimit && r.seconds_to_limit < kCriticalSeconds;
		if (r.limit_kind == LimitKind::IdleTimeout)
			snprintf(msg, sizeof msg, "inactive slot %s%s", name, fc);
		else
			snprintf(msg, sizeof msg, "slot %s holds %s of WAL%s", name, held, fc);
		emit(rsinfo, critical ? "critical" : "warning", "retention", msg,
			 r.limit_kind == LimitKind::Disk
				 ? "Free space in pg_wal, or set pg_logship.slot_retention_limit with "
				   "slot_retention_policy = advance_archived."
			 : r.limit_kind == LimitKind::IdleTimeout
				 ? "At the first checkpoint after that, the slot is invalidated and its standby "
				   "can no longer use it. Start the standby, or raise or turn off "
				   "idle_replication_slot_timeout; advancing the slot does not reset its idle time."
				 : nullptr);
	}
}

void
cleanup_rows(ReturnSetInfo *rsinfo)
{
	CleanupStatus st;
	cleanup_status_copy(&st);
	if (st.outcome != CleanupOutcome::Refused && st.outcome != CleanupOutcome::Failed)
		return;
	char msg[1024];
	snprintf(msg, sizeof msg, "archive cleanup %s at %s: %s",
			 st.outcome == CleanupOutcome::Refused ? "refused" : "failed",
			 timestamptz_to_str(st.time), st.detail);
	emit(rsinfo, "warning", "archive_cleanup", msg,
		 st.outcome == CleanupOutcome::Refused
			 ? "Nothing is removed from the archive until it can read every .backup file, slot and "
			   "standby position; see pg_logship.archive_cleanup_boundary()."
			 : "See the server log.");
}

} // namespace

PGLS_FUNCTION(pgls_slots_internal)

static Datum
pgls_slots_internal_impl(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	InitMaterializedSRF(fcinfo, 0);
	if (rsinfo->setDesc->natts != kSlotCols)
		ereport(ERROR, (errmsg("pg_logship.slots_internal: expected %d columns, got %d", kSlotCols,
							   rsinfo->setDesc->natts)));

	SlotReport *reports;
	ReportContext ctx;
	int n = collect_slot_reports(&reports, &ctx);
	for (int k = 0; k < n; k++)
	{
		const SlotReport &r = reports[k];
		Datum values[kSlotCols];
		bool nulls[kSlotCols];
		memset(nulls, 0, sizeof nulls);
		int i = 0;
		values[i++] = CStringGetTextDatum(r.row.name);
		values[i++] = CStringGetTextDatum(r.row.physical ? "physical" : "logical");
		values[i++] = BoolGetDatum(r.row.active);
		if (r.row.active)
			values[i++] = Int32GetDatum(r.row.active_pid);
		else
			nulls[i++] = true;
		put_lsn(values, nulls, i++, r.row.restart_lsn);
		if (r.has_retained)
			values[i++] = Int64GetDatum(r.retained);
		else
			nulls[i++] = true;
		if (const char *st = wal_status_name(r.status))
			values[i++] = CStringGetTextDatum(st);
		else
			nulls[i++] = true;
		if (r.has_safe)
			values[i++] = Int64GetDatum(r.safe);
		else
			nulls[i++] = true;
		if (r.archived >= 0)
			values[i++] = BoolGetDatum(r.archived == 1);
		else
			nulls[i++] = true;
		if (r.has_inactive)
			values[i++] = Float8GetDatum(r.inactive_seconds);
		else
			nulls[i++] = true;
		if (r.has_seconds)
			values[i++] = Float8GetDatum(r.seconds_to_limit);
		else
			nulls[i++] = true;
		if (const char *kind = limit_kind_name(r.limit_kind))
			values[i++] = CStringGetTextDatum(kind);
		else
			nulls[i++] = true;
		bool acted = r.has_track && r.track.action != static_cast<int32>(RetentionAction::None);
		if (acted)
		{
			values[i++] = CStringGetTextDatum(
				retention_action_name(static_cast<RetentionAction>(r.track.action)));
			values[i++] = TimestampTzGetDatum(r.track.action_time);
			put_lsn(values, nulls, i++, r.track.action_from);
			put_lsn(values, nulls, i++, r.track.action_to);
			values[i++] = CStringGetTextDatum(r.track.detail);
		}
		else
			for (int k2 = 0; k2 < 5; k2++)
				nulls[i++] = true;
		put_lsn(values, nulls, i++, r.has_track ? r.track.hold_lsn : InvalidXLogRecPtr);
		Assert(i == kSlotCols);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PGLS_FUNCTION(pgls_slot_health)

static Datum
pgls_slot_health_impl(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	InitMaterializedSRF(fcinfo, 0);

	SlotReport *reports;
	ReportContext ctx;
	int n = collect_slot_reports(&reports, &ctx);
	for (int k = 0; k < n; k++)
		slot_rows(rsinfo, reports[k], ctx);
	cleanup_rows(rsinfo);
	return (Datum) 0;
}
