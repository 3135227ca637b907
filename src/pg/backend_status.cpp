/*
 * backend_status.cpp -- see backend_status.hpp.
 */
#include "pg/backend_status.hpp"

namespace pgls
{

PgBackendStatus *
local_backend_status(int i)
{
#if PG_VERSION_NUM >= 170000
	LocalPgBackendStatus *local = pgstat_get_local_beentry_by_index(i);
#else
	LocalPgBackendStatus *local = pgstat_fetch_stat_local_beentry(i);
#endif
	return local != nullptr ? &local->backendStatus : nullptr;
}

} // namespace pgls
