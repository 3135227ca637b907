/*
 * guard.cpp -- turning exceptions into PostgreSQL errors (see guard.hpp).
 */
#include "pg/guard.hpp"

#include <cstring>
#include <new>

namespace pgls
{

ErrorData *
exception_to_buffer(std::exception_ptr ep, char *buf, size_t len)
{
	buf[0] = '\0';
	try
	{
		std::rethrow_exception(ep);
	}
	catch (const PgError &e)
	{
		return e.edata();
	}
	catch (const std::bad_alloc &)
	{
		strlcpy(buf, "out of memory in pg_logship", len);
	}
	catch (const std::exception &e)
	{
		strlcpy(buf, e.what(), len);
	}
	catch (...)
	{
		strlcpy(buf, "unknown C++ exception in pg_logship", len);
	}
	return nullptr;
}

void
rethrow_as_pg_error(ErrorData *edata, const char *message)
{
	if (edata)
		ReThrowError(edata);
	ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("%s", message)));
	pg_unreachable();
}

} // namespace pgls
