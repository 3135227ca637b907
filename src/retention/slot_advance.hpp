/*
 * slot_advance.hpp -- moving an inactive physical slot's restart_lsn forward (worker only).
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace pgls
{

enum class AdvanceResult
{
	Advanced,
	Skipped, /* in use, dropped, changed since it was read, or no longer physical */
	Failed,  /* an error while saving; why says which */
};

/*
 * As pg_replication_slot_advance() does for a physical slot: acquires it without waiting (a
 * walsender using it makes this fail: skipped), checks it is still the persistent physical slot
 * at expected_restart, sets restart_lsn = target, marks it dirty, recomputes the WAL every slot
 * needs, saves it to disk and releases it. Any ERROR is caught; the slot is always released.
 * inactive_since (SlotRow's, PG17+) is put back after the release: the slot stays as idle as it
 * was (pg/slots.hpp, slot_restore_inactive_since).
 */
AdvanceResult advance_physical_slot(const char *name, XLogRecPtr expected_restart,
									XLogRecPtr target, TimestampTz inactive_since, char *why,
									size_t why_len);

} // namespace pgls
