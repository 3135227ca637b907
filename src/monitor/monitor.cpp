/*
 * monitor.cpp -- the sampler: every pg_logship.sample_interval, one sample into the ring.
 *
 * A sample holds this server's WAL end, its walreceiver and replay positions (on a standby), each
 * walsender's positions and the time lags computed then (so history rows keep the lags as they
 * were), and the archiver's .ready backlog. It reads shared memory under the owners' locks
 * (probe.cpp); it never runs SQL, so it works on any standby.
 */
#include "monitor/monitor.hpp"

#include "archive/ready_files.hpp"
#include "monitor/history.hpp"
#include "monitor/probe.hpp"
#include "monitor/ring.hpp"
#include "monitor/sender_lag.hpp"
#include "worker/worker.hpp"

int pgls_sample_interval_ms = 1000;
int pgls_history_size = 3600;
int pgls_lag_warning_kb = 16 * 1024;
int pgls_lag_warning_seconds = 60;
int pgls_ready_warning = 32;

namespace pgls
{

namespace
{

long
sample_interval(void)
{
	return ring() ? pgls_sample_interval_ms : 0;
}

} // namespace

double
standby_replay_delay(const SelfProbe &self)
{
	if (!self.in_recovery)
		return 0;
	double delay =
		history_lag_seconds(Series::Received, self.received_lsn, self.replayed_lsn, self.now);
	if (self.link_ok)
	{
		/* Whoever sees the link up (sampler or view) records it, so an outage is measured from
		 * the last moment anyone saw it up, not from the last sample. */
		if (ring())
			pg_atomic_write_u64(&ring()->link_last_ok, static_cast<uint64>(self.now));
	}
	else
	{
		TimestampTz since =
			ring() ? static_cast<TimestampTz>(pg_atomic_read_u64(&ring()->link_last_ok)) : 0;
		if (since == 0)
			since = PgStartTime;
		delay = Max(delay, static_cast<double>(self.now - since) / USECS_PER_SEC);
	}
	return delay;
}

namespace
{

void
take_sample(void)
{
	instr_time start, duration;
	INSTR_TIME_SET_CURRENT(start);

	SelfProbe self;
	probe_self(&self);

	SenderProbe senders[kHistorySenders];
	int n = probe_senders(senders, kHistorySenders, true);

	Sample s;
	memset(&s, 0, sizeof s);
	s.time = self.now;
	s.in_recovery = self.in_recovery;
	s.link_ok = self.link_ok;
	s.replay_paused = self.replay_paused;
	s.current_lsn = self.current_lsn;
	s.received_lsn = self.received_lsn;
	s.replayed_lsn = self.replayed_lsn;
	s.replay_delay = static_cast<float4>(standby_replay_delay(self));
	s.ready_count = count_ready_files();
	s.n_senders = n;
	for (int i = 0; i < n; i++)
	{
		SenderSample &o = s.senders[i];
		const SenderProbe &p = senders[i];
		o.pid = p.pid;
		o.state = p.state;
		o.sent = p.sent;
		o.write = p.write;
		o.flush = p.flush;
		o.replay = p.replay;
		SenderLag lag;
		compute_sender_lag(p, self.current_lsn, self.now, &lag);
		o.total = static_cast<int64>(lag.total);
		o.not_replayed =
			lag.has_flush && lag.has_replay ? static_cast<int64>(lag.not_replayed) : -1;
		o.write_lag = lag.has_write ? static_cast<float4>(lag.write_lag) : -1;
		o.flush_lag = lag.has_flush ? static_cast<float4>(lag.flush_lag) : -1;
		o.replay_lag = lag.has_replay ? static_cast<float4>(lag.replay_lag) : -1;
		strlcpy(o.name, p.name, sizeof o.name);
	}
	ring_append(s);

	INSTR_TIME_SET_CURRENT(duration);
	INSTR_TIME_SUBTRACT(duration, start);
	pg_atomic_fetch_add_u64(&ring()->sampler_passes, 1);
	pg_atomic_fetch_add_u64(&ring()->sampler_usec, INSTR_TIME_GET_MICROSEC(duration));
}

} // namespace

int
count_ready_files(void)
{
	DIR *dir = AllocateDir(kArchiveStatusDir);
	struct dirent *de;
	int n = 0;
	char name[MAXPGPATH];
	while ((de = ReadDirExtended(dir, kArchiveStatusDir, LOG)) != nullptr)
		n += ready_file_name(de->d_name, name, sizeof name);
	FreeDir(dir);
	return n;
}

void
monitor_init(void)
{
	DefineCustomIntVariable("pg_logship.sample_interval",
							"How often the monitor samples replication and archiving state.",
							"The history holds pg_logship.history_size samples.",
							&pgls_sample_interval_ms, 1000, 100, 3600 * 1000, PGC_SIGHUP,
							GUC_UNIT_MS, nullptr, nullptr, nullptr);
	DefineCustomIntVariable("pg_logship.history_size",
							"Number of monitor samples kept in shared memory (lag_history).",
							"About 1 kB of shared memory per sample.", &pgls_history_size, 3600, 10,
							1000000, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
	DefineCustomIntVariable("pg_logship.lag_warning_bytes",
							"Replication lag in bytes above which health() warns.", nullptr,
							&pgls_lag_warning_kb, 16 * 1024, 1, INT_MAX, PGC_SIGHUP, GUC_UNIT_KB,
							nullptr, nullptr, nullptr);
	DefineCustomIntVariable("pg_logship.lag_warning_seconds",
							"Replication lag in seconds above which health() warns.", nullptr,
							&pgls_lag_warning_seconds, 60, 1, INT_MAX, PGC_SIGHUP, GUC_UNIT_S,
							nullptr, nullptr, nullptr);
	DefineCustomIntVariable("pg_logship.ready_warning",
							"Number of files waiting to be archived above which health() warns.",
							nullptr, &pgls_ready_warning, 32, 1, INT_MAX, PGC_SIGHUP, 0, nullptr,
							nullptr, nullptr);

	if (!process_shared_preload_libraries_in_progress)
		return;
	ring_register(pgls_history_size);
	worker_register_task(WorkerTask{"sampler", WorkerKind::Monitor, sample_interval, take_sample});
}

} // namespace pgls
