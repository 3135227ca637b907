/*
 * probe.cpp -- live reads of walsenders, the walreceiver and recovery state.
 */
#include "monitor/probe.hpp"

#include "pg/backend_status.hpp"

extern "C"
{
#include "common/ip.h"
#include "replication/slot.h"
#include "replication/syncrep.h"
#include "replication/walreceiver.h"
#include "replication/walsender.h"
#include "replication/walsender_private.h"
#include "utils/backend_status.h"
}

namespace pgls
{

namespace
{
void
fill_names(SenderProbe *out, int n)
{
	int backends = pgstat_fetch_stat_numbackends();
	for (int b = 1; b <= backends; b++)
	{
		PgBackendStatus *st = local_backend_status(b);
		if (st == nullptr)
			continue;
		for (int i = 0; i < n; i++)
		{
			if (st->st_procpid != out[i].pid)
				continue;
			strlcpy(out[i].name, st->st_appname ? st->st_appname : "", sizeof out[i].name);
			/* As pg_stat_get_activity: numeric host of TCP clients, nothing for sockets. */
			int family = st->st_clientaddr.addr.ss_family;
			if ((family == AF_INET || family == AF_INET6) &&
				pg_getnameinfo_all(&st->st_clientaddr.addr, st->st_clientaddr.salen,
								   out[i].client_addr, sizeof out[i].client_addr, nullptr, 0,
								   NI_NUMERICHOST | NI_NUMERICSERV) == 0)
				clean_ipv6_addr(family, out[i].client_addr);
			else
				out[i].client_addr[0] = '\0';
		}
	}
	pgstat_clear_backend_activity_snapshot();
}
} // namespace

int
probe_senders(SenderProbe *out, int max, bool with_names)
{
	int n = 0;
	if (WalSndCtl == nullptr)
		return 0;
	for (int i = 0; i < max_wal_senders && n < max; i++)
	{
		WalSnd *w = &WalSndCtl->walsnds[i];
		SenderProbe p;
		memset(&p, 0, sizeof p);
		SpinLockAcquire(&w->mutex);
		p.pid = w->pid;
		p.state = w->state;
		p.sent = w->sentPtr;
		p.write = w->write;
		p.flush = w->flush;
		p.replay = w->apply;
		SpinLockRelease(&w->mutex);
		/* sync_standby_priority is protected by SyncRepLock, read as walsender.c does. */
		p.sync_priority = w->sync_standby_priority;
		p.walsnd_index = i;
		if (p.pid == 0)
			continue;
		out[n++] = p;
	}
	if (with_names && n > 0)
		fill_names(out, n);
	return n;
}

void
probe_self(SelfProbe *out)
{
	memset(out, 0, sizeof *out);
	out->now = GetCurrentTimestamp();
	out->in_recovery = RecoveryInProgress();
	out->receiver_state = -1;
	if (!out->in_recovery)
	{
		out->current_lsn = GetFlushRecPtr(nullptr);
		return;
	}

	out->replayed_lsn = GetXLogReplayRecPtr(nullptr);
	out->replay_paused = GetRecoveryPauseState() != RECOVERY_NOT_PAUSED;
	if (WalRcv != nullptr)
	{
		SpinLockAcquire(&WalRcv->mutex);
		out->receiver_pid = WalRcv->pid;
		out->receiver_state = WalRcv->walRcvState;
		out->flushed_lsn = WalRcv->flushedUpto;
		out->last_msg_receipt = WalRcv->lastMsgReceiptTime;
		strlcpy(out->upstream_host, WalRcv->sender_host, sizeof out->upstream_host);
		out->upstream_port = WalRcv->sender_port;
		strlcpy(out->slot_name, WalRcv->slotname, sizeof out->slot_name);
		SpinLockRelease(&WalRcv->mutex);
		out->received_lsn = pg_atomic_read_u64(&WalRcv->writtenUpto);
		if (out->received_lsn < out->flushed_lsn)
			out->received_lsn = out->flushed_lsn;
	}
	out->current_lsn = Max(out->flushed_lsn, out->replayed_lsn);

	/* The link is up while the walreceiver streams and has heard from upstream within
	 * wal_receiver_timeout (after which the walreceiver itself gives up). */
	bool heard_recently =
		wal_receiver_timeout <= 0 ||
		(out->last_msg_receipt != 0 &&
		 !TimestampDifferenceExceeds(out->last_msg_receipt, out->now, wal_receiver_timeout));
	out->link_ok =
		out->receiver_pid != 0 && out->receiver_state == WALRCV_STREAMING && heard_recently;
}

void
probe_sync_states(const SenderProbe *senders, int n, const char **sync_state)
{
	SyncRepStandbyData *sync = nullptr;
	int n_sync = SyncRepGetCandidateStandbys(&sync);
	for (int i = 0; i < n; i++)
	{
		/* A client that never reports a flush position (pg_basebackup) is async. */
		int priority = XLogRecPtrIsInvalid(senders[i].flush) ? 0 : senders[i].sync_priority;
		bool is_sync = false;
		for (int k = 0; k < n_sync; k++)
			is_sync |= sync[k].walsnd_index == senders[i].walsnd_index;
		if (priority == 0)
			sync_state[i] = "async";
		else if (is_sync)
			sync_state[i] = SyncRepConfig && SyncRepConfig->syncrep_method == SYNC_REP_PRIORITY
								? "sync"
								: "quorum";
		else
			sync_state[i] = "potential";
	}
	if (sync)
		pfree(sync);
}

const char *
probe_slot_of(int pid, char *buf, size_t len)
{
	const char *found = nullptr;
	LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
	for (int i = 0; i < max_replication_slots && !found; i++)
	{
		ReplicationSlot *slot = &ReplicationSlotCtl->replication_slots[i];
		SpinLockAcquire(&slot->mutex);
		if (slot->in_use && slot->active_pid == pid)
		{
			strlcpy(buf, NameStr(slot->data.name), len);
			found = buf;
		}
		SpinLockRelease(&slot->mutex);
	}
	LWLockRelease(ReplicationSlotControlLock);
	return found;
}

const char *
walsender_state_name(int state)
{
	switch (state)
	{
		case WALSNDSTATE_STARTUP:
			return "startup";
		case WALSNDSTATE_BACKUP:
			return "backup";
		case WALSNDSTATE_CATCHUP:
			return "catchup";
		case WALSNDSTATE_STREAMING:
			return "streaming";
		case WALSNDSTATE_STOPPING:
			return "stopping";
	}
	return "unknown";
}

const char *
receiver_state_name(int state)
{
	switch (state)
	{
		case -1:
			return "none";
		case WALRCV_STOPPED:
			return "stopped";
		case WALRCV_STARTING:
			return "starting";
		case WALRCV_STREAMING:
			return "streaming";
		case WALRCV_WAITING:
			return "waiting";
		case WALRCV_RESTARTING:
			return "restarting";
		case WALRCV_STOPPING:
			return "stopping";
	}
	return "unknown";
}

} // namespace pgls
