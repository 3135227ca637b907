/*
 * ready_files.hpp -- the archiver's backlog: pg_wal/archive_status/<file>.ready.
 *
 * The sampler counts it, archive_status reports it and the archive workers' look-ahead reads it;
 * they all recognise its entries through ready_file_name().
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace pgls
{

constexpr const char *kArchiveStatusDir = XLOGDIR "/archive_status";

/* For a directory entry "<file>.ready" copies <file> into buf and returns true; false for any
 * other entry, or when <file> does not fit in len bytes. */
inline bool
ready_file_name(const char *entry, char *buf, size_t len)
{
	size_t n = strlen(entry);
	if (n <= 6 || n - 6 >= len || strcmp(entry + n - 6, ".ready") != 0)
		return false;
	memcpy(buf, entry, n - 6);
	buf[n - 6] = '\0';
	return true;
}

} // namespace pgls
