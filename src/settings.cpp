/*
 * settings.cpp -- defining and validating the pg_logship.* settings.
 *
 * All are PGC_SIGHUP: a reload changes them; a bad value is refused by the check hook with a
 * message naming the setting, and the old value stays in force.
 */
#include "settings.hpp"

#include "core/archive_format.hpp"
#include "core/identity.hpp"
#include "core/instance_file.hpp"
#include "core/layout.hpp"
#include "s3_settings.hpp"

extern "C"
{
#include "postmaster/postmaster.h"
}

#include <cstdio>
#include <cstring>
#include <string>

char *pgls_archive_dir = nullptr;
int pgls_archive_layout = static_cast<int>(pgls::Layout::Shared);
char *pgls_server_name = nullptr;
int pgls_compression = static_cast<int>(pgls::Compression::Lz4);
int pgls_compression_level = 0;

namespace pgls
{

namespace
{

const struct config_enum_entry layout_options[] = {
	{"shared", static_cast<int>(Layout::Shared), false},
	{"per_server", static_cast<int>(Layout::PerServer), false},
	{nullptr, 0, false},
};

const struct config_enum_entry compression_options[] = {
	{"none", static_cast<int>(Compression::None), false},
	{"lz4", static_cast<int>(Compression::Lz4), false},
	{"zstd", static_cast<int>(Compression::Zstd), false},
	{nullptr, 0, false},
};

bool
check_archive_dir(char **newval, void **extra, GucSource source)
{
	const char *v = *newval;
	if (v == nullptr || v[0] == '\0')
		return true;
	if (strncmp(v, "s3://", 5) == 0)
	{
		char why[256];
		s3_url_problem(v, why, sizeof why);
		if (why[0] == '\0')
			return true;
		GUC_check_errdetail("pg_logship.archive_dir: %s.", why);
		return false;
	}
	if (v[0] != '/')
	{
		GUC_check_errdetail("pg_logship.archive_dir must be an absolute path or an "
							"s3://bucket/prefix URL.");
		return false;
	}
	if (strpbrk(v, "\n\r") != nullptr)
	{
		GUC_check_errdetail("pg_logship.archive_dir must not contain line breaks.");
		return false;
	}
	if (strlen(v) > MAXPGPATH - 128)
	{
		GUC_check_errdetail("pg_logship.archive_dir is too long.");
		return false;
	}
	return true;
}

bool
check_server_name(char **newval, void **extra, GucSource source)
{
	const char *v = *newval;
	if (v == nullptr || v[0] == '\0')
		return true;
	size_t len = strlen(v);
	bool ok = len <= kMaxServerName;
	for (size_t i = 0; ok && i < len; i++)
		ok = is_server_name_char(v[i]);
	if (!ok)
	{
		GUC_check_errdetail("pg_logship.server_name may contain only letters, digits, \"_\" and "
							"\"-\", at most 63 of them.");
		return false;
	}
	return true;
}

} // namespace

void
define_settings(void)
{
	DefineCustomStringVariable(
		"pg_logship.archive_dir", "Root directory of the WAL archive pg_logship writes and reads.",
		"Required for archiving. Must be an absolute path; it must exist and be writable by the "
		"server. With archive_mode=always, primary and standbys may share it.",
		&pgls_archive_dir, "", PGC_SIGHUP, 0, check_archive_dir, nullptr, nullptr);

	DefineCustomEnumVariable("pg_logship.archive_layout",
							 "Archive layout: shared (one archive for every server of the cluster) "
							 "or per_server (a folder per server).",
							 nullptr, &pgls_archive_layout, static_cast<int>(Layout::Shared),
							 layout_options, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);

	DefineCustomStringVariable(
		"pg_logship.server_name",
		"Name of this server in the archive (per-server folders, temp files, conflict reports).",
		"Defaults to the host name followed by cluster_name, else by the port; each server's "
		"name is claimed in the archive, and a server whose name another one holds archives "
		"nothing.",
		&pgls_server_name, "", PGC_SIGHUP, 0, check_server_name, nullptr, nullptr);

	DefineCustomEnumVariable(
		"pg_logship.compression", "Compression of newly archived files: none, lz4 or zstd.",
		"Every archived file carries a header with its algorithm, original size and checksum, so "
		"files written with any setting stay readable.",
		&pgls_compression, static_cast<int>(Compression::Lz4), compression_options, PGC_SIGHUP, 0,
		nullptr, nullptr, nullptr);

	define_s3_settings();

	DefineCustomIntVariable(
		"pg_logship.compression_level", "Compression level; 0 uses the library's default.",
		"lz4 uses 1..12 (3 and above: LZ4 HC), zstd 1..19; a level above the algorithm's maximum "
		"is used as that maximum, with a warning.",
		&pgls_compression_level, 0, 0, compression_max_level(Compression::Zstd), PGC_SIGHUP, 0,
		nullptr, nullptr, nullptr);
}

void
effective_server_name(char *buf, size_t len) noexcept
{
	if (pgls_server_name && pgls_server_name[0])
	{
		strlcpy(buf, pgls_server_name, len);
		return;
	}
	/* No PostgreSQL call in here: nothing can jump over the strings. */
	try
	{
		std::string name = default_server_name(local_host_name(), cluster_name ? cluster_name : "",
											   PostPortNumber);
		strlcpy(buf, name.c_str(), len);
	}
	catch (...)
	{
		snprintf(buf, len, "pg-%d", PostPortNumber);
	}
}

} // namespace pgls
