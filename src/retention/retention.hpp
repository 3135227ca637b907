/*
 * retention.hpp -- slot-aware WAL retention and safe archive cleanup: settings and set-up.
 *
 *   pg_logship.slot_retention_limit      WAL an inactive slot may hold (MB; -1 off)
 *   pg_logship.slot_retention_policy     warn | advance_archived
 *   pg_logship.archive_cleanup_interval  how often the worker cleans the archive (s; 0 off)
 *   pg_logship.keep_backups              base backups whose WAL cleanup keeps
 *   pg_logship.archive_keep_min_age      archived files younger than this are kept (s)
 *
 * retention_init() defines them (always) and, during shared_preload_libraries, registers the
 * shared state (retention_shmem.hpp) and two worker tasks: the slot policy (policy_task.cpp)
 * and the archive cleanup (cleanup_task.cpp).
 */
#pragma once

#include "pg/pg_headers.hpp"

#include "core/retention.hpp"

extern "C"
{
	extern int pgls_slot_retention_limit_mb; /* -1: off */
	extern int pgls_slot_retention_policy;   /* pgls::RetentionPolicy as int */
	extern int pgls_archive_cleanup_interval_s;
	extern int pgls_keep_backups;
	extern int pgls_archive_keep_min_age_s;
}

namespace pgls
{

/* Called from _PG_init, before worker_register(). */
void retention_init(void);

/* The limit in bytes, or -1 when off. */
int64 retention_limit_bytes(void);

inline RetentionPolicy
retention_policy(void)
{
	return static_cast<RetentionPolicy>(pgls_slot_retention_policy);
}

/* The worker tasks (registered by retention_init). */
void policy_task_run(void);
void cleanup_task_run(void);

} // namespace pgls
