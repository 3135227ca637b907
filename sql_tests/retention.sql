-- Slot-aware retention and archive cleanup on pg_regress's temporary instance (a primary without
-- standbys, archiving off, pg_logship.archive_dir set to a folder that does not exist).
CREATE EXTENSION pg_logship;
-- Settings: defaults, and bad values refused by name.
SELECT name, setting, unit, context FROM pg_settings
 WHERE name IN ('pg_logship.slot_retention_limit', 'pg_logship.slot_retention_policy',
                'pg_logship.archive_cleanup_interval', 'pg_logship.keep_backups',
                'pg_logship.archive_keep_min_age')
 ORDER BY name;
ALTER SYSTEM SET pg_logship.slot_retention_limit = 0;
ALTER SYSTEM SET pg_logship.slot_retention_limit = '1MB';
ALTER SYSTEM SET pg_logship.slot_retention_limit = -2;
ALTER SYSTEM SET pg_logship.slot_retention_limit = '64MB';
ALTER SYSTEM RESET pg_logship.slot_retention_limit;
ALTER SYSTEM SET pg_logship.slot_retention_policy = 'drop_slot';
ALTER SYSTEM SET pg_logship.slot_retention_policy = 'advance_archived';
ALTER SYSTEM RESET pg_logship.slot_retention_policy;
ALTER SYSTEM SET pg_logship.keep_backups = -1;
ALTER SYSTEM SET pg_logship.archive_cleanup_interval = -5;
ALTER SYSTEM SET pg_logship.archive_keep_min_age = '-1s';
SET pg_logship.slot_retention_limit = '64MB';
-- The view's columns.
SELECT attname, format_type(atttypid, atttypmod)
  FROM pg_attribute WHERE attrelid = 'pg_logship.slots'::regclass AND attnum > 0
 ORDER BY attnum;
-- No slot: no rows, and nothing to report.
SELECT count(*) FROM pg_logship.slots;
SELECT count(*) FROM pg_logship.slot_health();
-- An inactive physical slot, and a temporary one this session holds.
SELECT slot_name FROM pg_create_physical_replication_slot('regress_inactive', true);
SELECT slot_name FROM pg_create_physical_replication_slot('regress_temp', true, true);
SELECT slot_name, slot_type, active, active_pid = pg_backend_pid() AS mine,
       restart_lsn IS NOT NULL AS reserved, retained_bytes >= 0 AS retains,
       wal_status, safe_wal_size, retained_archived, seconds_to_limit IS NULL OR
       seconds_to_limit >= 0 AS forecast_ok, limit_kind IN ('disk') AS limit_kind_disk,
       last_action, standby_needs_lsn
  FROM pg_logship.slots ORDER BY slot_name;
-- The same restart_lsn and wal_status as PostgreSQL's own view (a primary).
SELECT s.slot_name, s.restart_lsn = c.restart_lsn AS same_restart,
       s.wal_status = c.wal_status AS same_status,
       s.safe_wal_size IS NOT DISTINCT FROM c.safe_wal_size AS same_safe_size
  FROM pg_logship.slots s JOIN pg_replication_slots c USING (slot_name)
 ORDER BY 1;
-- The worker tracks since when a slot is inactive (PostgreSQL 15 does not): wait for it.
DO $$
BEGIN
    FOR i IN 1..100 LOOP
        EXIT WHEN (SELECT inactive_seconds IS NOT NULL FROM pg_logship.slots
                    WHERE slot_name = 'regress_inactive');
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
SELECT slot_name, inactive_seconds >= 0 AS inactive_tracked
  FROM pg_logship.slots ORDER BY slot_name;
-- (A temporary slot goes away at the session's first error: drop it now.)
SELECT pg_drop_replication_slot('regress_temp');
-- No limit set: no finding (the findings themselves, so that a wrong one shows). The
-- forecast against the free space of pg_wal's filesystem depends on this machine's disk and on
-- the WAL rate of the tests before (pg_switch_wal() counts 16 MB): left out.
SELECT severity, component, message FROM pg_logship.slot_health()
 WHERE message NOT LIKE '%pg_wal''s filesystem is full%';
-- Archive cleanup: the archive folder does not exist here, which is an error naming it.
SELECT * FROM pg_logship.archive_cleanup();
SELECT archive_folder, oldest_kept, refusal FROM pg_logship.archive_cleanup_boundary();
-- Permissions: nothing for PUBLIC; pg_monitor may look but only a superuser may remove.
CREATE ROLE pgls_ret_plain LOGIN;
CREATE ROLE pgls_ret_monitor LOGIN IN ROLE pg_monitor;
SET ROLE pgls_ret_plain;
SELECT count(*) FROM pg_logship.slots;
SELECT count(*) FROM pg_logship.slot_health();
RESET ROLE;
SET ROLE pgls_ret_monitor;
SELECT count(*) FROM pg_logship.slots;
SELECT count(*) FROM pg_logship.slot_health()
 WHERE message NOT LIKE '%pg_wal''s filesystem is full%';
SELECT * FROM pg_logship.archive_cleanup(dry_run => false);
SELECT * FROM pg_logship.archive_cleanup(true);
RESET ROLE;
SELECT has_table_privilege('public', 'pg_logship.slots', 'SELECT') AS public_select,
       has_function_privilege('public', 'pg_logship.slot_health()', 'EXECUTE') AS public_health,
       has_function_privilege('public', 'pg_logship.archive_cleanup(boolean)', 'EXECUTE')
           AS public_cleanup,
       has_function_privilege('pg_monitor', 'pg_logship.archive_cleanup(boolean)', 'EXECUTE')
           AS monitor_cleanup;
DROP ROLE pgls_ret_plain;
DROP ROLE pgls_ret_monitor;
SELECT pg_drop_replication_slot('regress_inactive');
DROP EXTENSION pg_logship;
