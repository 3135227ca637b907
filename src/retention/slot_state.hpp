/*
 * slot_state.hpp -- replication slots, this server's WAL position and its archive, read live.
 *
 * Plain structs filled by PG calls only (no C++ object is live across them), shared by the
 * pg_logship.slots view, slot_health(), the policy task and archive cleanup.
 */
#pragma once

#include "core/store_spec.hpp"

#include "pg/pg_headers.hpp"
#include "pg/slots.hpp"

#include "core/retention.hpp"

/* LSN_FORMAT_ARGS for C++ (core's macro uses a C-only type check): "%X/%X". */
#define PGLS_LSN_ARGS(lsn) static_cast<uint32>((lsn) >> 32), static_cast<uint32>(lsn)

namespace pgls
{

struct SlotRow
{
	int index; /* in ReplicationSlotCtl->replication_slots[] */
	char name[NAMEDATALEN];
	bool physical;
	bool persistent;
	bool active;
	int active_pid;
	XLogRecPtr restart_lsn;     /* InvalidXLogRecPtr: none (never reserved, or lost) */
	SlotCause invalidated;      /* None: valid (pg/slots.hpp) */
	XLogRecPtr invalidated_at;  /* PG15: restart_lsn when max_slot_wal_keep_size invalidated it */
	TimestampTz inactive_since; /* PG17+: the server's record; 0 before PG17 or while active */
};

/* Copies every in-use slot under ReplicationSlotControlLock and each slot's spinlock. Returns
 * the count; *out is palloc'd (nullptr when there is none). */
int read_slots(SlotRow **out);

/* A slot is lost when the server invalidated it (any version, any cause): it holds no WAL. */
inline bool
slot_lost(const SlotRow &s)
{
	return s.invalidated != SlotCause::None;
}

/* The oldest restart_lsn of all valid slots (what KeepLogSeg sees), 0 when none. */
XLogRecPtr slots_min_restart(const SlotRow *rows, int n);

struct ServerPos
{
	bool in_recovery;
	/* Where WAL ends here: the write position on a primary (as core's safe_wal_size), the
	 * later of received (flushed by the walreceiver) and replayed on a standby (as core's
	 * restartpoints, which remove WAL measured from it). */
	XLogRecPtr current_lsn;
	/* How far a slot may be advanced: flushed on a primary, replayed on a standby (as
	 * pg_replication_slot_advance). */
	XLogRecPtr cap_lsn;
	TimeLineID tli;
};

void read_server_pos(ServerPos *pos);

/* The WAL-keeping settings in force. */
WalKeepSettings wal_keep_settings(void);

/* wal_status of a slot as pg_replication_slots shows it on a primary (GetWALAvailability), and
 * measured from pos->current_lsn on a standby, where core measures from 0. */
WalStatus slot_wal_status(const SlotRow &slot, const ServerPos &pos, XLogRecPtr slots_min);

constexpr int kMaxHistory = 128;

/* Where this server's archived segments are, and its timeline history, to check segments. */
struct ArchiveTarget
{
	bool configured; /* pg_logship.archive_dir is set */
	char root[MAXPGPATH];
	int layout;
	char server[64];
	S3SettingValues s3; /* for an s3:// root */
	TimeLineID tli;
	int nhist;
	struct
	{
		TimeLineID tli;
		XLogRecPtr begin;
		XLogRecPtr end; /* InvalidXLogRecPtr: to the end */
	} hist[kMaxHistory];
};

/* Fills t for timeline tli (reads its history file from pg_wal when tli > 1). */
void read_archive_target(ArchiveTarget *t, TimeLineID tli);

/* Free bytes of pg_wal's filesystem for unprivileged writers; -1 when unknown. */
int64 pg_wal_free_bytes(void);

} // namespace pgls
