/*
 * s3_probe.hpp -- which object stores are known to honour If-None-Match: *, in shared memory.
 *
 * Before anything is archived into an s3:// location, a probe checks that the store refuses a
 * second conditional PUT of a key (archive_call.cpp). The first process that passes it records
 * the location here, so that the archiver and the workers probe once per location and settings,
 * not per file and process. A failed probe is not recorded: it runs again at the next attempt,
 * after the settings or the store may have been fixed. Without shared_preload_libraries each
 * process probes once for itself.
 */
#pragma once

#include "pg/pg_headers.hpp"

#include "core/store_spec.hpp"

namespace pgls
{

/* Reserves the table (from _PG_init during preload). */
void register_s3_probe_shmem(void);

/* The location (with the endpoint it is reached at) passed the probe. */
bool s3_probe_known_ok(const char *location, const S3SettingValues &s3);
void s3_probe_note_ok(const char *location, const S3SettingValues &s3);

} // namespace pgls
