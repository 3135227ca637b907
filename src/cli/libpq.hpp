/*
 * libpq.hpp -- libpq, loaded by the commands that need it ("check", "status").
 *
 * restore_command runs this tool once per WAL segment. Linked against libpq, every run would
 * load libpq and what it depends on (TLS, Kerberos, LDAP): about 3 ms a run on the benchmark
 * machine, on recovery's critical path. So the tool is not linked against it; "check" and
 * "status" load it with dlopen(3), from PostgreSQL's libdir first (PGLS_LIBPQ_PATH, set by the
 * Makefile), then from the loader's search path.
 */
#pragma once

#include <libpq-fe.h>

namespace pgls::cli
{

/* The libpq functions the tool uses. */
struct LibPq
{
	decltype(&PQconnectdb) connectdb;
	decltype(&PQstatus) status;
	decltype(&PQerrorMessage) error_message;
	decltype(&PQfinish) finish;
	decltype(&PQexec) exec;
	decltype(&PQexecParams) exec_params;
	decltype(&PQclear) clear;
	decltype(&PQresultStatus) result_status;
	decltype(&PQresultErrorField) result_error_field;
	decltype(&PQresultErrorMessage) result_error_message;
	decltype(&PQntuples) ntuples;
	decltype(&PQgetvalue) getvalue;
};

/* Loads libpq on first use. Throws std::runtime_error saying what could not be loaded. */
const LibPq &libpq();

} // namespace pgls::cli
