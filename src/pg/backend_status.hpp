/*
 * backend_status.hpp -- the local snapshot of backend status entries (version wrapper).
 *
 *   PG15, PG16  pgstat_fetch_stat_local_beentry(i)
 *   PG17+       pgstat_get_local_beentry_by_index(i)
 * Both take a 1-based index up to pgstat_fetch_stat_numbackends().
 */
#pragma once

#include "pg/pg_headers.hpp"

extern "C"
{
#include "utils/backend_status.h"
}

namespace pgls
{

/* Entry i (1-based) of this backend's snapshot, nullptr when out of range. */
PgBackendStatus *local_backend_status(int i);

} // namespace pgls
