/*
 * retention_settings.cpp -- the retention and cleanup settings, and retention_init().
 *
 * All are PGC_SIGHUP. Values out of range are refused by PostgreSQL with the setting's name;
 * the check hooks refuse what a range cannot express, also naming the setting.
 */
#include "retention/retention.hpp"

#include "retention/retention_shmem.hpp"
#include "worker/worker.hpp"

int pgls_slot_retention_limit_mb = -1;
int pgls_slot_retention_policy = static_cast<int>(pgls::RetentionPolicy::Warn);
int pgls_archive_cleanup_interval_s = 0;
int pgls_keep_backups = 2;
int pgls_archive_keep_min_age_s = 3600;

namespace pgls
{

namespace
{

const struct config_enum_entry policy_options[] = {
	{"warn", static_cast<int>(RetentionPolicy::Warn), false},
	{"advance_archived", static_cast<int>(RetentionPolicy::AdvanceArchived), false},
	{nullptr, 0, false},
};

bool
check_retention_limit(int *newval, void **extra, GucSource source)
{
	if (*newval == -1)
		return true;
	if (*newval <= 0)
	{
		GUC_check_errdetail("pg_logship.slot_retention_limit must be -1 (off) or a positive size.");
		return false;
	}
	int seg_mb = wal_segment_size / (1024 * 1024);
	if (seg_mb > 0 && *newval < seg_mb)
	{
		GUC_check_errdetail("pg_logship.slot_retention_limit must be at least one WAL segment "
							"(%d MB).",
							seg_mb);
		return false;
	}
	return true;
}

constexpr long kPolicyIntervalMs = 1000;

long
policy_interval(void)
{
	return retention_shared() ? kPolicyIntervalMs : 0;
}

long
cleanup_interval(void)
{
	if (pgls_archive_cleanup_interval_s <= 0 || !retention_shared())
		return 0;
	return static_cast<long>(pgls_archive_cleanup_interval_s) * 1000L;
}

} // namespace

int64
retention_limit_bytes(void)
{
	if (pgls_slot_retention_limit_mb <= 0)
		return -1;
	return static_cast<int64>(pgls_slot_retention_limit_mb) * 1024 * 1024;
}

void
retention_init(void)
{
	DefineCustomIntVariable(
		"pg_logship.slot_retention_limit",
		"WAL an inactive physical replication slot may hold before the retention policy acts.",
		"-1 turns it off. With pg_logship.slot_retention_policy = advance_archived the slot is "
		"advanced, never past WAL that is not in the archive; with warn it is reported.",
		&pgls_slot_retention_limit_mb, -1, -1, INT_MAX, PGC_SIGHUP, GUC_UNIT_MB,
		check_retention_limit, nullptr, nullptr);

	DefineCustomEnumVariable(
		"pg_logship.slot_retention_policy",
		"What to do with an inactive physical slot holding more than "
		"pg_logship.slot_retention_limit: warn, or advance_archived.",
		"advance_archived moves the slot's restart_lsn forward over WAL that is in the archive, "
		"so that checkpoints can remove it while the slot stays valid. Active and logical slots "
		"are never touched.",
		&pgls_slot_retention_policy, static_cast<int>(RetentionPolicy::Warn), policy_options,
		PGC_SIGHUP, 0, nullptr, nullptr, nullptr);

	DefineCustomIntVariable(
		"pg_logship.archive_cleanup_interval",
		"How often the pg_logship worker removes archived WAL nothing needs any more (primary "
		"only).",
		"0 turns it off; pg_logship.archive_cleanup() can still be called.",
		&pgls_archive_cleanup_interval_s, 0, 0, INT_MAX / 1000, PGC_SIGHUP, GUC_UNIT_S, nullptr,
		nullptr, nullptr);

	DefineCustomIntVariable(
		"pg_logship.keep_backups",
		"Number of newest base backups (.backup files in the archive) whose WAL archive cleanup "
		"keeps.",
		"0: backups do not limit cleanup (only slots, standbys and the minimum age do).",
		&pgls_keep_backups, 2, 0, 10000, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);

	DefineCustomIntVariable(
		"pg_logship.archive_keep_min_age",
		"Archived files younger than this, and everything archived after them, are never "
		"removed by archive cleanup.",
		nullptr, &pgls_archive_keep_min_age_s, 3600, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_S, nullptr,
		nullptr, nullptr);

	if (!process_shared_preload_libraries_in_progress)
		return;
	retention_shmem_register();
	worker_register_task(
		WorkerTask{"slot retention", WorkerKind::Retention, policy_interval, policy_task_run});
	worker_register_task(
		WorkerTask{"archive cleanup", WorkerKind::Retention, cleanup_interval, cleanup_task_run});
}

} // namespace pgls
