-- pg_logship.status(): the document `pg_logship status` draws, on pg_regress's temporary
-- instance (a primary without standbys, archiving off).
CREATE EXTENSION pg_logship;
-- Wait for two samples of the monitor.
DO $$
BEGIN
    FOR i IN 1..100 LOOP
        EXIT WHEN (SELECT count(*) FROM pg_logship.lag_history WHERE source = 'self') >= 2;
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
-- The sections, in order.
SELECT json_object_keys(pg_logship.status());
SELECT json_object_keys(pg_logship.status()->'server');
SELECT json_object_keys(pg_logship.status()->'monitor');
SELECT json_object_keys(pg_logship.status()->'settings');
-- The server, from the functions that say it.
SELECT d->'server'->>'role' AS role, d->'server'->>'timeline' AS timeline,
       (d->'server'->>'current_lsn')::pg_lsn <= pg_current_wal_lsn() AS lsn_ok,
       d->'server'->>'server_version' = current_setting('server_version') AS version_ok,
       (d->'monitor'->>'uptime_seconds')::float8 > 0 AS up,
       (d->'monitor'->>'last_sample_age_seconds')::float8 < 60 AS sampling,
       (d->'history'->>'samples')::int >= 2 AS history_samples,
       d->'settings'->>'lag_warning_bytes' AS lag_warning_bytes,
       d->'settings'->>'lag_warning_seconds' AS lag_warning_seconds,
       d->'settings'->>'ready_warning' AS ready_warning
  FROM pg_logship.status() d;
-- Each view's row under its own column names: every column is there, whatever the view gains.
SELECT attname FROM pg_attribute
 WHERE attrelid = 'pg_logship.archive_status'::regclass AND attnum > 0
EXCEPT SELECT json_object_keys(pg_logship.status()->'archive');
SELECT d->'archive'->>'server_name' = (SELECT server_name FROM pg_logship.archive_status)
           AS same_server_name,
       d->'archive'->>'archive_mode_active' AS archive_mode_active,
       d->'archive'->'last_archived_age_seconds' AS last_archived_age_seconds
  FROM pg_logship.status() d;
-- No standbys, not a standby, no slots.
SELECT d->'replication' AS replication, d->'receiver' AS receiver, d->'slots' AS slots
  FROM pg_logship.status() d;
-- health() as it is, worst first, and the status is its worst severity.
SELECT (d->'health')::text = (SELECT json_agg(row_to_json(h)) FROM pg_logship.health() h)::text
           AS health_as_is,
       d->>'status' AS status
  FROM pg_logship.status() d;
-- A slot shows with the slots view's columns.
SELECT slot_name FROM pg_create_physical_replication_slot('regress_status', true);
SELECT json_array_length(d->'slots') AS slots, d->'slots'->0->>'slot_name' AS slot_name,
       d->'slots'->0->>'wal_status' AS wal_status,
       (SELECT count(*) FROM pg_attribute
         WHERE attrelid = 'pg_logship.slots'::regclass AND attnum > 0
           AND attname NOT IN (SELECT json_object_keys(d->'slots'->0))) AS missing_columns
  FROM pg_logship.status() d;
SELECT pg_drop_replication_slot('regress_status');
-- Sparkline points: one per sample up to max_points, else the largest of each run of samples.
SELECT pg_logship.history_points('{0,1.5,NULL}', '{0,100,NULL}', 5);
SELECT pg_logship.history_points('{1,2,3,4,5,6,7,8,9,10}', '{10,20,30,40,50,60,70,80,90,100}', 4);
SELECT pg_logship.history_points('{}', '{}', 5);
SELECT pg_logship.history_points(NULL, NULL, 5);
-- Bad arguments are refused by name.
SELECT pg_logship.status('-1 hour');
SELECT pg_logship.status(NULL);
SELECT pg_logship.status('1 hour', 0);
-- pg_monitor may call it; a plain role may not.
CREATE ROLE pgls_status_plain LOGIN;
CREATE ROLE pgls_status_monitor LOGIN IN ROLE pg_monitor;
SET ROLE pgls_status_plain;
SELECT pg_logship.status();
RESET ROLE;
SET ROLE pgls_status_monitor;
SELECT pg_logship.status()->>'status' AS status;
RESET ROLE;
DROP ROLE pgls_status_plain;
DROP ROLE pgls_status_monitor;
DROP EXTENSION pg_logship;
