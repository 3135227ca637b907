/*
 * holds.hpp -- the retention hold file, $PGDATA/pg_logship/retention.state (core/retention_state).
 *
 * Plain interface: these functions use C++ inside but catch everything and call no PostgreSQL
 * function, so PG-side code may call them anywhere.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace pgls
{

constexpr const char *kHoldDir = "pg_logship";
constexpr const char *kHoldFile = "pg_logship/retention.state";

struct HoldEntry
{
	char slot[NAMEDATALEN];
	XLogRecPtr lsn;
};

/* Reads up to max entries (relative to the data directory). Returns the count (0 when the file
 * does not exist), or -1 with why set when it cannot be read or is malformed. */
int load_holds(HoldEntry *out, int max, char *why, size_t why_len);

/* Replaces the file durably. Returns false with why set on failure. */
bool save_holds(const HoldEntry *holds, int n, char *why, size_t why_len);

} // namespace pgls
