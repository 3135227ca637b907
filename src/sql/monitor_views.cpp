/*
 * monitor_views.cpp -- the functions behind pg_logship.replication, .receiver and .lag_history.
 *
 * replication and receiver read live state (monitor/probe.cpp) and take time lags and rates from
 * the monitor's history ring; lag_history returns the ring itself. All three work read-only on a
 * hot standby. How each column is computed is documented in README.md ("Lag views").
 */
#include "pg/guard.hpp"

#include "core/lag.hpp"
#include "monitor/history.hpp"
#include "monitor/monitor.hpp"
#include "monitor/probe.hpp"
#include "monitor/ring.hpp"
#include "monitor/sender_lag.hpp"

extern "C"
{
#include "replication/walsender.h"
#include "utils/pg_lsn.h"
}

namespace
{

void
require_monitor(void)
{
	if (pgls::ring() == nullptr)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_logship monitor is not running"),
				 errhint("Add pg_logship to shared_preload_libraries and restart the server.")));
}

/* Column values of one row, filled left to right. */
struct Row
{
	Datum values[24];
	bool nulls[24];
	int n = 0;

	Row() { memset(nulls, 0, sizeof nulls); }
	void
	add(Datum d)
	{
		values[n++] = d;
	}
	void
	null()
	{
		nulls[n++] = true;
	}
	void
	text(const char *s)
	{
		s ? add(CStringGetTextDatum(s)) : null();
	}
	void
	lsn(XLogRecPtr p)
	{
		XLogRecPtrIsInvalid(p) ? null() : add(LSNGetDatum(p));
	}
	void
	int8(int64 v)
	{
		add(Int64GetDatum(v));
	}
	void
	float8(double v)
	{
		add(Float8GetDatum(v));
	}
	void
	boolean(bool v)
	{
		add(BoolGetDatum(v));
	}
};

void
put_row(FunctionCallInfo fcinfo, Row &row)
{
	ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	if (row.n != rsinfo->setDesc->natts)
		elog(ERROR, "pg_logship: row has %d columns, the function returns %d", row.n,
			 rsinfo->setDesc->natts);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, row.values, row.nulls);
}

} // namespace

/*
 * One row per walsender: positions, byte lags per stage, time lags, bottleneck, catch-up ETA.
 */
PGLS_FUNCTION(pgls_replication_internal)

static Datum
pgls_replication_internal_impl(FunctionCallInfo fcinfo)
{
	require_monitor();
	InitMaterializedSRF(fcinfo, 0);

	pgls::SelfProbe self;
	pgls::probe_self(&self);
	int max = max_wal_senders > 0 ? max_wal_senders : 1;
	pgls::SenderProbe *senders =
		static_cast<pgls::SenderProbe *>(palloc0(sizeof(pgls::SenderProbe) * max));
	int n = pgls::probe_senders(senders, max, true);
	const char **sync_state = static_cast<const char **>(palloc0(sizeof(const char *) * max));
	pgls::probe_sync_states(senders, n, sync_state);

	double upstream_rate = 0;
	bool have_upstream_rate =
		pgls::history_rate(pgls::Series::Current, 0, self.current_lsn, self.now,
						   pgls::kRateWindowSeconds, &upstream_rate);

	for (int i = 0; i < n; i++)
	{
		const pgls::SenderProbe &p = senders[i];
		pgls::SenderLag lag;
		pgls::compute_sender_lag(p, self.current_lsn, self.now, &lag);
		Row row;
		char slot[NAMEDATALEN];
		row.text(p.name[0] ? p.name : nullptr);
		p.client_addr[0] ? row.add(DirectFunctionCall1(inet_in, CStringGetDatum(p.client_addr)))
						 : row.null();
		row.add(Int32GetDatum(p.pid));
		row.text(pgls::walsender_state_name(p.state));
		row.text(sync_state[i]);
		row.text(pgls::probe_slot_of(p.pid, slot, sizeof slot));
		row.lsn(self.current_lsn);
		row.lsn(p.sent);
		row.lsn(p.write);
		row.lsn(p.flush);
		row.lsn(p.replay);
		row.int8(lag.not_sent);
		lag.has_write ? row.int8(lag.not_written) : row.null();
		lag.has_write &&lag.has_flush ? row.int8(lag.not_flushed) : row.null();
		lag.has_flush &&lag.has_replay ? row.int8(lag.not_replayed) : row.null();
		row.int8(lag.total);
		lag.has_write ? row.float8(lag.write_lag) : row.null();
		lag.has_flush ? row.float8(lag.flush_lag) : row.null();
		lag.has_replay ? row.float8(lag.replay_lag) : row.null();
		row.text(pgls::bottleneck_name(lag.bottleneck));

		/* Catch-up: the standby's replay rate against the upstream's WAL rate. */
		std::optional<double> eta;
		double standby_rate = 0;
		if (lag.has_replay && lag.total == 0)
			eta = 0.0;
		else if (lag.has_replay && have_upstream_rate &&
				 pgls::history_rate(pgls::Series::SenderReplay, p.pid, p.replay, self.now,
									pgls::kRateWindowSeconds, &standby_rate))
		{
			double recent_rate = 0;
			bool have_recent = pgls::history_rate(
				pgls::Series::SenderReplay, p.pid, p.replay, self.now,
				std::max(pgls::kStallWindowSeconds, 2.5 * pgls_sample_interval_ms / 1000.0),
				&recent_rate);
			standby_rate = pgls::catchup_standby_rate(
				standby_rate, have_recent ? std::optional<double>(recent_rate) : std::nullopt);
			eta = pgls::catchup_eta_seconds(lag.total, standby_rate, upstream_rate);
		}
		eta ? row.float8(*eta) : row.null();
		put_row(fcinfo, row);
	}
	return (Datum) 0;
}

/*
 * On a standby, one row about its walreceiver and replay; no row on a primary.
 */
PGLS_FUNCTION(pgls_receiver_internal)

static Datum
pgls_receiver_internal_impl(FunctionCallInfo fcinfo)
{
	require_monitor();
	InitMaterializedSRF(fcinfo, 0);

	pgls::SelfProbe self;
	pgls::probe_self(&self);
	if (!self.in_recovery)
		return (Datum) 0;

	Row row;
	row.text(pgls::receiver_state_name(self.receiver_state));
	row.text(self.upstream_host[0] ? self.upstream_host : nullptr);
	self.upstream_port ? row.add(Int32GetDatum(self.upstream_port)) : row.null();
	row.text(self.slot_name[0] ? self.slot_name : nullptr);
	row.lsn(self.received_lsn);
	row.lsn(self.flushed_lsn);
	row.lsn(self.replayed_lsn);
	row.int8(pgls::lsn_diff(self.received_lsn, self.replayed_lsn));
	row.float8(pgls::standby_replay_delay(self));
	/* PostgreSQL resets the receipt time when a walreceiver starts: meaningful only while one
	 * runs. */
	if (self.receiver_pid != 0 && self.last_msg_receipt != 0)
		row.float8(static_cast<double>(self.now - self.last_msg_receipt) / USECS_PER_SEC);
	else
		row.null();
	row.boolean(self.link_ok);
	row.boolean(self.replay_paused);
	put_row(fcinfo, row);
	return (Datum) 0;
}

/*
 * The history ring as rows, oldest first, from `since` on (NULL: all): one "self" row per sample
 * and one "standby" row per walsender sampled.
 */
PGLS_FUNCTION(pgls_lag_history_internal)

static Datum
pgls_lag_history_internal_impl(FunctionCallInfo fcinfo)
{
	require_monitor();
	InitMaterializedSRF(fcinfo, 0);

	TimestampTz since = PG_ARGISNULL(0) ? DT_NOBEGIN : PG_GETARG_TIMESTAMPTZ(0);
	uint64 written = pgls::ring_written();
	uint64 capacity = static_cast<uint64>(pgls::ring()->capacity);
	uint64 first = written > capacity ? written - capacity : 0;
	pgls::Sample *s = static_cast<pgls::Sample *>(palloc(sizeof(pgls::Sample)));

	/* Samples are in time order: binary search for the first one at or after since. */
	uint64 lo = first, hi = written;
	while (lo < hi)
	{
		uint64 mid = lo + (hi - lo) / 2;
		if (pgls::ring_read(mid, s) && s->time < since)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;

	for (uint64 idx = first; idx < written; idx++)
	{
		if (!pgls::ring_read(idx, s))
			continue;
		Row self;
		self.add(TimestampTzGetDatum(s->time));
		self.text("self");
		self.null(); /* application_name */
		self.null(); /* pid */
		self.text(s->in_recovery ? "standby" : "primary");
		self.lsn(s->in_recovery ? s->received_lsn : s->current_lsn);
		self.null(); /* sent */
		self.null(); /* write */
		self.null(); /* flush */
		self.lsn(s->in_recovery ? s->replayed_lsn : s->current_lsn);
		uint64 behind = s->in_recovery ? pgls::lsn_diff(s->received_lsn, s->replayed_lsn) : 0;
		self.int8(behind);
		self.int8(behind);
		self.null();
		self.null();
		self.float8(s->replay_delay);
		self.boolean(s->in_recovery ? s->link_ok : true);
		self.boolean(s->replay_paused);
		self.int8(s->ready_count);
		put_row(fcinfo, self);

		for (int i = 0; i < s->n_senders && i < pgls::kHistorySenders; i++)
		{
			const pgls::SenderSample &o = s->senders[i];
			Row row;
			row.add(TimestampTzGetDatum(s->time));
			row.text("standby");
			row.text(o.name[0] ? o.name : nullptr);
			row.add(Int32GetDatum(o.pid));
			row.text(pgls::walsender_state_name(o.state));
			row.lsn(s->current_lsn);
			row.lsn(o.sent);
			row.lsn(o.write);
			row.lsn(o.flush);
			row.lsn(o.replay);
			/* Stages the client never reported are NULL (see sender_lag.hpp). */
			row.int8(o.total);
			o.not_replayed >= 0 ? row.int8(o.not_replayed) : row.null();
			o.write_lag >= 0 ? row.float8(o.write_lag) : row.null();
			o.flush_lag >= 0 ? row.float8(o.flush_lag) : row.null();
			o.replay_lag >= 0 ? row.float8(o.replay_lag) : row.null();
			row.null(); /* link_ok: see the standby's own receiver view */
			row.null(); /* replay_paused */
			row.null(); /* ready_count */
			put_row(fcinfo, row);
		}
	}
	return (Datum) 0;
}

/*
 * The sampler's own cost, for the benchmark: passes and microseconds spent.
 */
PGLS_FUNCTION(pgls_monitor_stats)

static Datum
pgls_monitor_stats_impl(FunctionCallInfo fcinfo)
{
	require_monitor();
	InitMaterializedSRF(fcinfo, 0);
	pgls::Ring *r = pgls::ring();
	Row row;
	row.int8(static_cast<int64>(pg_atomic_read_u64(&r->sampler_passes)));
	row.int8(static_cast<int64>(pg_atomic_read_u64(&r->sampler_usec)));
	row.int8(static_cast<int64>(pgls::ring_written()));
	row.int8(r->capacity);
	put_row(fcinfo, row);
	return (Datum) 0;
}
