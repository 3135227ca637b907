-- Lag views and health() on a server without standbys (pg_regress's temporary instance).
CREATE EXTENSION pg_logship;
SELECT c.relname, count(*) AS columns
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
 WHERE c.relnamespace = 'pg_logship'::regnamespace AND c.relkind = 'v'
 GROUP BY c.relname ORDER BY c.relname;
SELECT attname, format_type(atttypid, atttypmod)
  FROM pg_attribute WHERE attrelid = 'pg_logship.replication'::regclass AND attnum > 0
 ORDER BY attnum;
SELECT attname, format_type(atttypid, atttypmod)
  FROM pg_attribute WHERE attrelid = 'pg_logship.receiver'::regclass AND attnum > 0
 ORDER BY attnum;
-- No standbys and not a standby: no rows.
SELECT count(*) FROM pg_logship.replication;
SELECT count(*) FROM pg_logship.receiver;
-- The monitor samples every pg_logship.sample_interval, on any server: wait for two samples.
DO $$
BEGIN
    FOR i IN 1..100 LOOP
        EXIT WHEN (SELECT count(*) FROM pg_logship.lag_history WHERE source = 'self') >= 2;
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SELECT source, state, replay_lag_seconds, link_ok, ready_count >= 0 AS has_ready_count
  FROM pg_logship.lag_history ORDER BY sample_time DESC LIMIT 1;
SELECT count(*) >= 2 AS sampled FROM pg_logship.lag_history;
SELECT samples_written >= 2 AS sampling, history_size FROM pg_logship.monitor_stats();
-- Healthy: one "ok" row.
SELECT * FROM pg_logship.health();
-- A plain role is refused everywhere; pg_monitor may read.
CREATE ROLE pgls_plain2 LOGIN;
CREATE ROLE pgls_monitor2 LOGIN IN ROLE pg_monitor;
SET ROLE pgls_plain2;
SELECT * FROM pg_logship.replication;
SELECT * FROM pg_logship.receiver;
SELECT * FROM pg_logship.lag_history;
SELECT * FROM pg_logship.health();
RESET ROLE;
SET ROLE pgls_monitor2;
SELECT severity FROM pg_logship.health();
SELECT count(*) FROM pg_logship.replication;
RESET ROLE;
SELECT p.proname, has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p WHERE p.pronamespace = 'pg_logship'::regnamespace ORDER BY p.proname;
DROP ROLE pgls_plain2;
DROP ROLE pgls_monitor2;
DROP EXTENSION pg_logship;
