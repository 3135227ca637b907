/*
 * settings.hpp -- the pg_logship.* settings (postgresql.conf) and what they resolve to.
 */
#pragma once

#include "pg/pg_headers.hpp"

#include <cstddef>

extern "C"
{
	extern char *pgls_archive_dir;
	extern int pgls_archive_layout; /* pgls::Layout as int */
	extern char *pgls_server_name;
	extern int pgls_compression;       /* pgls::Compression as int */
	extern int pgls_compression_level; /* 0 = the library's default */
}

namespace pgls
{

/* Defines every setting and reserves the prefix; called from _PG_init. */
void define_settings(void);

/*
 * The server name in force: pg_logship.server_name, else core/identity.hpp
 * default_server_name(): "<host>-<cluster_name>" made safe, or "<host>-<port>" without a
 * cluster_name (cluster_name alone is often the same on every host: Debian's "15/main").
 */
void effective_server_name(char *buf, size_t len) noexcept;

} // namespace pgls
