/*
 * probe.hpp -- reading replication state live from shared memory, under the owners' locks.
 *
 * Used both by the sampler (each sample) and by the views (the current row), so a view shows the
 * present, not the last sample. Plain structs, PG calls only: no C++ object is live across them.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace pgls
{

struct SenderProbe
{
	int pid;
	int state; /* WalSndState */
	XLogRecPtr sent;
	XLogRecPtr write;
	XLogRecPtr flush;
	XLogRecPtr replay;
	int sync_priority;
	int walsnd_index;       /* in WalSndCtl->walsnds */
	char name[NAMEDATALEN]; /* application_name, when found */
	char client_addr[64];   /* numeric address; empty for Unix sockets */
};

struct SelfProbe
{
	TimestampTz now;
	bool in_recovery;
	/* Where WAL ends on this server: flushed on a primary, max(received, replayed) on a standby
	 * (what a cascading walsender can send and what restartpoints measure against). */
	XLogRecPtr current_lsn;
	/* Standby only. */
	int receiver_state; /* WalRcvState, -1 when there is no walreceiver */
	int receiver_pid;
	XLogRecPtr received_lsn; /* written by the walreceiver */
	XLogRecPtr flushed_lsn;  /* flushed by the walreceiver */
	XLogRecPtr replayed_lsn;
	TimestampTz last_msg_receipt;
	bool replay_paused;
	bool link_ok;
	char upstream_host[NI_MAXHOST];
	int upstream_port;
	char slot_name[NAMEDATALEN];
};

/* Fills up to max senders; returns how many are active. With names, looks up application_name
 * in the backend status table (a snapshot, cleared afterwards). */
int probe_senders(SenderProbe *out, int max, bool with_names);

void probe_self(SelfProbe *out);

/*
 * sync_state as pg_stat_replication computes it: "async", "potential", "sync" or "quorum". Needs
 * the senders' probes from one probe_senders() call; fills sync_state[i] for each.
 */
void probe_sync_states(const SenderProbe *senders, int n, const char **sync_state);

/* Name of the replication slot the walsender with this pid uses, or nullptr (copied to buf). */
const char *probe_slot_of(int pid, char *buf, size_t len);

const char *walsender_state_name(int state);
const char *receiver_state_name(int state);

} // namespace pgls
