/*
 * retention_shmem.hpp -- what the retention worker knows about each slot, in shared memory.
 *
 * One SlotTrack per replication slot index (sized by max_replication_slots), holding the slot's
 * name so that a dropped and re-created slot starts afresh: since when the worker has seen it
 * inactive (PostgreSQL 15 does not record it), the position its standby still needs after an
 * advance, and the last policy action. Plus the last archive cleanup's outcome. The worker
 * writes, views read; a spinlock protects short copies.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace pgls
{

constexpr int kActionDetailLen = 320;

struct SlotTrack
{
	char name[NAMEDATALEN];     /* "" when unused */
	TimestampTz inactive_since; /* 0 while active or not yet seen */
	XLogRecPtr hold_lsn;        /* standby of an advanced or lost slot still needs WAL from here */
	XLogRecPtr last_restart;    /* the restart_lsn last seen while the slot was valid */
	int32 action;               /* RetentionAction of the last action (None: none yet) */
	TimestampTz action_time;
	XLogRecPtr action_from;
	XLogRecPtr action_to;
	char detail[kActionDetailLen];
	int32 reported;      /* the condition last logged, so that it is logged once */
	uint64 reported_seg; /* Blocked: the segment it was blocked on */
};

enum class CleanupOutcome : int32
{
	None,    /* never ran */
	Removed, /* removed files (or found nothing to remove) */
	Refused, /* refused: could not read backup, slot or standby state */
	Failed,  /* an error (archive unreadable, removal failed) */
};

struct CleanupStatus
{
	CleanupOutcome outcome;
	TimestampTz time;
	bool by_worker;
	int64 removed;
	char oldest_kept[32];
	char kept_by[160];
	char detail[kActionDetailLen];
};

struct RetentionShared
{
	slock_t mutex;
	int32 nslots;
	bool holds_loaded; /* the worker read the hold file since start */
	bool holds_dirty;  /* the tracks' holds differ from the file: write before advancing */
	bool holds_error_logged;
	CleanupStatus cleanup;
	SlotTrack slots[FLEXIBLE_ARRAY_MEMBER];
};

/* Registers the struct (from retention_init during preload). */
void retention_shmem_register(void);

/* nullptr without shared_preload_libraries. */
RetentionShared *retention_shared(void);

/* A copy of the track of slot index i if it belongs to `name`; false otherwise. */
bool slot_track_copy(int i, const char *name, SlotTrack *out);

/* Records a cleanup outcome (any process). */
void cleanup_status_set(const CleanupStatus &status);

/* A copy of the last cleanup outcome. */
void cleanup_status_copy(CleanupStatus *out);

} // namespace pgls
