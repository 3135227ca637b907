/*
 * policy_task.hpp -- the parts of the "slot retention" task (policy_task.cpp), shared by its files.
 *
 *   policy_task.cpp     the pass: read slots, decide (C++, guarded), write holds, act
 *   policy_tracks.cpp   each slot's track in shared memory and the hold file
 *   policy_report.cpp   logging and recording each condition once, advancing a slot
 *
 * Everything here is PG-side: PG calls on plain structs, no C++ object with a destructor, no
 * C++ allocation (texts are made in the guarded decision phase).
 */
#pragma once

#include "pg/pg_headers.hpp"

#include "core/retention.hpp"
#include "retention/retention_shmem.hpp"
#include "retention/slot_state.hpp"

namespace pgls
{

/* One slot of a pass: the slot as read, and the policy's decision for it. */
struct PassSlot
{
	SlotRow row;
	RetentionAction action;
	uint64 retained;
	XLogRecPtr from;
	XLogRecPtr to;
	bool short_of_wanted;
	char missing[MAXFNAMELEN]; /* the first segment not archived, when it matters */
	char held[32];             /* retained, as text */
};

/* Brings the tracks in line with the slots: names, inactivity, holds of streaming slots.
 * Returns true when a hold changed. */
bool sync_tracks(RetentionShared *sh, const SlotRow *rows, int n, TimestampTz now);

/* Once after start: the holds recorded before. Returns false when the file cannot be read. */
bool load_holds_once(RetentionShared *sh, const SlotRow *rows, int n, bool *holds_changed);

/* Writes every track's hold; false (with a WARNING) when it could not. */
bool persist_holds(RetentionShared *sh);

/* The condition last logged for track i, and setting it. */
int32 reported_of(RetentionShared *sh, int i);
void set_reported(RetentionShared *sh, int i, RetentionAction a);

/* Logs and records a condition the first time it is seen (until the slot is within its limit).
 * lim: the limit as text. */
void report_condition(RetentionShared *sh, const PassSlot &p, const char *lim);

/* Advances one slot (its hold is already on disk). lim: the limit as text. */
void do_advance(RetentionShared *sh, const PassSlot &p, const char *lim);

} // namespace pgls
