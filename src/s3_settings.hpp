/*
 * s3_settings.hpp -- the pg_logship.s3_* settings: how the server reaches an s3:// archive.
 *
 * All reload (PGC_SIGHUP). Secrets are never in a setting: the keys are read from the file
 * pg_logship.s3_credentials_file (AWS's shared-credentials format, readable only by the server's
 * user), so pg_settings and the log never show them.
 */
#pragma once

#include "pg/pg_headers.hpp"

#include "core/store_spec.hpp"

namespace pgls
{

/* Defines the settings; called from define_settings(). */
void define_s3_settings(void);

/* The values in force (pointers to the settings' strings: valid until the next reload). */
S3SettingValues s3_setting_values(void);

/* A check hook's test of an s3:// URL: "" when it parses, else why not. PG-free. */
void s3_url_problem(const char *url, char *why, size_t len);

} // namespace pgls
