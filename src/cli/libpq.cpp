/*
 * libpq.cpp -- loading libpq with dlopen(3) (see libpq.hpp).
 */
#include "libpq.hpp"

#include <dlfcn.h>
#include <stdexcept>
#include <string>

#ifndef PGLS_LIBPQ_PATH
#define PGLS_LIBPQ_PATH "libpq.so.5"
#endif

namespace pgls::cli
{

namespace
{

void *
open_libpq()
{
	std::string errors;
	for (const char *name : {PGLS_LIBPQ_PATH, "libpq.so.5"})
	{
		if (void *h = ::dlopen(name, RTLD_NOW | RTLD_LOCAL))
			return h;
		const char *why = ::dlerror();
		errors += std::string(errors.empty() ? "" : "; ") + (why ? why : name);
	}
	throw std::runtime_error("could not load libpq: " + errors);
}

template <typename F>
void
bind(void *handle, const char *symbol, F *out)
{
	void *p = ::dlsym(handle, symbol);
	if (p == nullptr)
		throw std::runtime_error(std::string("could not load libpq: no symbol ") + symbol);
	*out = reinterpret_cast<F>(p);
}

LibPq
load()
{
	void *h = open_libpq();
	LibPq pq;
	bind(h, "PQconnectdb", &pq.connectdb);
	bind(h, "PQstatus", &pq.status);
	bind(h, "PQerrorMessage", &pq.error_message);
	bind(h, "PQfinish", &pq.finish);
	bind(h, "PQexec", &pq.exec);
	bind(h, "PQexecParams", &pq.exec_params);
	bind(h, "PQclear", &pq.clear);
	bind(h, "PQresultStatus", &pq.result_status);
	bind(h, "PQresultErrorField", &pq.result_error_field);
	bind(h, "PQresultErrorMessage", &pq.result_error_message);
	bind(h, "PQntuples", &pq.ntuples);
	bind(h, "PQgetvalue", &pq.getvalue);
	return pq; /* the handle stays open for the life of the process */
}

} // namespace

const LibPq &
libpq()
{
	static const LibPq pq = load();
	return pq;
}

} // namespace pgls::cli
