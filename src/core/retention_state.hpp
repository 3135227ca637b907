/*
 * retention_state.hpp -- the positions standbys of advanced slots really need (a small file).
 *
 * When the retention policy advances an inactive slot, the slot's restart_lsn no longer says
 * where its standby is: the standby still needs the WAL from the old restart_lsn on, now only in
 * the archive. Archive cleanup must keep it. The worker records "slot -> position" in
 * $PGDATA/pg_logship/retention.state (written atomically before the slot is advanced, so a crash
 * cannot lose it) and drops the entry once the slot's standby streams again.
 *
 * Format: '#' comments, then one "<slot name> <LSN>" per line.
 */
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgls
{

struct SlotHold
{
	std::string slot;
	uint64_t lsn = 0;
};

class HoldStateError : public std::runtime_error
{
public:
	explicit HoldStateError(const std::string &msg) : std::runtime_error(msg) {}
};

std::string format_hold_state(const std::vector<SlotHold> &holds);

/* Throws HoldStateError (with the line number) on anything malformed. */
std::vector<SlotHold> parse_hold_state(const std::string &text);

} // namespace pgls
