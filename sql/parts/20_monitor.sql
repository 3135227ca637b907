-- Lag views and health (the monitor). How each column is computed: README.md, "Lag views".

CREATE FUNCTION pg_logship.archive_dir_problem()
RETURNS text
AS 'MODULE_PATHNAME', 'pgls_archive_dir_problem'
LANGUAGE C VOLATILE PARALLEL SAFE;

-- NULL, or why the archiver does not archive under this server's name (another server holds it).
CREATE FUNCTION pg_logship.server_name_problem()
RETURNS text
AS 'MODULE_PATHNAME', 'pgls_server_name_problem'
LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION pg_logship.replication_internal(
    OUT application_name text,
    OUT client_addr inet,
    OUT pid integer,
    OUT state text,
    OUT sync_state text,
    OUT slot_name text,
    OUT upstream_lsn pg_lsn,
    OUT sent_lsn pg_lsn,
    OUT write_lsn pg_lsn,
    OUT flush_lsn pg_lsn,
    OUT replay_lsn pg_lsn,
    OUT not_sent_bytes bigint,
    OUT not_written_bytes bigint,
    OUT not_flushed_bytes bigint,
    OUT not_replayed_bytes bigint,
    OUT total_lag_bytes bigint,
    OUT write_lag_seconds double precision,
    OUT flush_lag_seconds double precision,
    OUT replay_lag_seconds double precision,
    OUT bottleneck text,
    OUT catchup_eta_seconds double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pgls_replication_internal'
LANGUAGE C VOLATILE;

CREATE FUNCTION pg_logship.receiver_internal(
    OUT status text,
    OUT upstream_host text,
    OUT upstream_port integer,
    OUT slot_name text,
    OUT received_lsn pg_lsn,
    OUT flushed_lsn pg_lsn,
    OUT replayed_lsn pg_lsn,
    OUT receive_replay_lag_bytes bigint,
    OUT replay_delay_seconds double precision,
    OUT last_message_age_seconds double precision,
    OUT link_ok boolean,
    OUT replay_paused boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pgls_receiver_internal'
LANGUAGE C VOLATILE;

CREATE FUNCTION pg_logship.lag_history_internal(
    since timestamptz,
    OUT sample_time timestamptz,
    OUT source text,
    OUT application_name text,
    OUT pid integer,
    OUT state text,
    OUT upstream_lsn pg_lsn,
    OUT sent_lsn pg_lsn,
    OUT write_lsn pg_lsn,
    OUT flush_lsn pg_lsn,
    OUT replay_lsn pg_lsn,
    OUT total_lag_bytes bigint,
    OUT not_replayed_bytes bigint,
    OUT write_lag_seconds double precision,
    OUT flush_lag_seconds double precision,
    OUT replay_lag_seconds double precision,
    OUT link_ok boolean,
    OUT replay_paused boolean,
    OUT ready_count bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pgls_lag_history_internal'
LANGUAGE C VOLATILE CALLED ON NULL INPUT;

CREATE FUNCTION pg_logship.monitor_stats(
    OUT sampler_passes bigint,
    OUT sampler_usec bigint,
    OUT samples_written bigint,
    OUT history_size bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pgls_monitor_stats'
LANGUAGE C VOLATILE;

-- One row per standby (walsender) on a primary or a cascading standby. Everything, names and
-- sync_state included, is read in one pass over shared memory (no join with pg_stat_replication).
CREATE VIEW pg_logship.replication AS
SELECT * FROM pg_logship.replication_internal();

-- On a standby: its walreceiver and replay. No row on a primary.
CREATE VIEW pg_logship.receiver AS
SELECT * FROM pg_logship.receiver_internal();

-- The monitor's history ring (pg_logship.history_size samples), oldest first.
CREATE VIEW pg_logship.lag_history AS
SELECT * FROM pg_logship.lag_history_internal(NULL);

-- The history from a moment on, without reading older samples:
--   SELECT * FROM pg_logship.lag_history_since(now() - interval '1 minute');
CREATE FUNCTION pg_logship.lag_history_since(since timestamptz)
RETURNS SETOF pg_logship.lag_history
LANGUAGE sql STABLE
AS $$ SELECT * FROM pg_logship.lag_history_internal(since) $$;

-- Everything a DBA should know about, one row per finding, worst first. One "ok" row when
-- nothing is wrong. `pg_logship check` prints this and exits 0/1/2.
CREATE FUNCTION pg_logship.health(
    OUT severity text,
    OUT component text,
    OUT message text,
    OUT hint text)
RETURNS SETOF record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    in_recovery boolean := pg_is_in_recovery();
    lag_bytes bigint;
    lag_seconds double precision;
    ready_warn bigint := current_setting('pg_logship.ready_warning')::bigint;
    uses_pgls boolean := current_setting('archive_library') = 'pg_logship';
    mode text := current_setting('archive_mode');
    problem text;
    a record;
    r record;
    n bigint;
    -- Findings as rows of [severity, component, message, hint]; no table, so that health()
    -- runs on a read-only hot standby.
    f text[] := '{}';
BEGIN
    -- current_setting() shows units ('16MB', '1min').
    lag_bytes := pg_size_bytes(current_setting('pg_logship.lag_warning_bytes'));
    lag_seconds := extract(epoch FROM current_setting('pg_logship.lag_warning_seconds')::interval);

    -- Configuration.
    IF current_setting('wal_level') = 'minimal' THEN
        f := f || ARRAY[ARRAY['critical', 'config',
            'wal_level is minimal: no archiving, no standbys',
            'Set wal_level = replica (or logical) and restart.']::text[]];
    END IF;
    IF uses_pgls AND mode = 'off' THEN
        f := f || ARRAY[ARRAY['warning', 'config',
            'archive_library is pg_logship but archive_mode is off: nothing is archived',
            'Set archive_mode = on (always on standbys that should archive) and restart.']::text[]];
    END IF;
    SELECT count(*) INTO n FROM pg_stat_replication;
    IF n > 0 AND n >= current_setting('max_wal_senders')::int THEN
        f := f || ARRAY[ARRAY['warning', 'config',
            format('all %s max_wal_senders are in use', current_setting('max_wal_senders')),
            'Raise max_wal_senders (restart) so that a reconnecting or new standby finds a slot.']::text[]];
    END IF;
    SELECT count(*) INTO n FROM pg_replication_slots;
    IF n > 0 AND n >= current_setting('max_replication_slots')::int THEN
        f := f || ARRAY[ARRAY['warning', 'config',
            format('all %s max_replication_slots are in use', current_setting('max_replication_slots')),
            'Raise max_replication_slots (restart) or drop unused slots.']::text[]];
    END IF;
    IF in_recovery AND current_setting('hot_standby') = 'off' THEN
        f := f || ARRAY[ARRAY['warning', 'config',
            'hot_standby is off: this standby accepts no queries',
            'Set hot_standby = on and restart if it should serve reads.']::text[]];
    END IF;

    -- Archiving.
    IF uses_pgls AND (mode = 'always' OR (mode = 'on' AND NOT in_recovery)) THEN
        problem := pg_logship.archive_dir_problem();
        IF problem IS NOT NULL THEN
            f := f || ARRAY[ARRAY['critical', 'archive', problem,
                'Archiving waits and WAL accumulates in pg_wal until it is fixed.']::text[]];
        END IF;
        problem := pg_logship.server_name_problem();
        IF problem IS NOT NULL THEN
            f := f || ARRAY[ARRAY['critical', 'archive', problem,
                'Give this server a name of its own with pg_logship.server_name and reload; if the '
                'server that holds the claim is retired, remove its claim file to release the name '
                '(README "Server names"). WAL accumulates in pg_wal until then.']::text[]];
        END IF;
        SELECT * INTO a FROM pg_logship.archive_status;
        IF a.failed_count > 0 AND a.last_failed_time > coalesce(a.last_archived_time, '-infinity')
           AND a.ready_count > 0 THEN
            f := f || ARRAY[ARRAY['critical', 'archive',
                format('archiving is failing: %s failed at %s%s', a.last_failed_wal,
                       a.last_failed_time, coalesce(': ' || a.last_error, '')),
                'See the server log; the archiver retries and WAL stays in pg_wal.']::text[]];
        END IF;
        IF a.ready_count > ready_warn THEN
            f := f || ARRAY[ARRAY['warning', 'archive',
                format('%s files (%s) wait to be archived, the oldest (%s) for %s s',
                       a.ready_count, pg_size_pretty(a.ready_bytes), a.oldest_ready_file,
                       round(a.oldest_ready_age_seconds::numeric, 1)),
                'Archiving is behind (pg_logship.ready_warning); pg_wal grows until it catches up.']::text[]];
        END IF;
        IF a.conflict_count > 0 OR a.quarantined_files > 0 THEN
            f := f || ARRAY[ARRAY['critical', 'archive',
                format('%s conflict(s) since start, %s file(s) in quarantine; last: %s',
                       coalesce(a.conflict_count, 0), coalesce(a.quarantined_files, 0),
                       coalesce(a.last_conflict_file, 'unknown')),
                'The archive holds files that differ from this server''s: see README "Conflicts".']::text[]];
        END IF;
    END IF;

    -- Standbys of this server.
    FOR r IN SELECT * FROM pg_logship.replication LOOP
        IF r.state IS DISTINCT FROM 'streaming' THEN
            f := f || ARRAY[ARRAY['warning', 'replication',
                format('standby %s is in state %s', coalesce(r.application_name, r.pid::text), r.state),
                NULL]::text[]];
        END IF;
        IF r.total_lag_bytes > lag_bytes OR r.replay_lag_seconds > lag_seconds THEN
            f := f || ARRAY[ARRAY['warning', 'replication',
                format('standby %s lags %s (%s s), bottleneck %s',
                       coalesce(r.application_name, r.pid::text), pg_size_pretty(r.total_lag_bytes),
                       round(r.replay_lag_seconds::numeric, 1), r.bottleneck),
                format('Catch-up estimate: %s.', coalesce(round(r.catchup_eta_seconds::numeric) || ' s',
                       'not catching up'))]::text[]];
        END IF;
    END LOOP;

    -- This server as a standby.
    FOR r IN SELECT * FROM pg_logship.receiver LOOP
        IF NOT r.link_ok THEN
            f := f || ARRAY[ARRAY['critical', 'receiver',
                format('no streaming from upstream (walreceiver %s), replay %s s behind',
                       r.status, round(r.replay_delay_seconds::numeric, 1)),
                'Check primary_conninfo, the upstream server and the network; recovery falls back to restore_command.']::text[]];
        END IF;
        IF r.replay_paused THEN
            f := f || ARRAY[ARRAY['warning', 'receiver',
                'WAL replay is paused', 'SELECT pg_wal_replay_resume(); to resume.']::text[]];
        END IF;
        IF r.receive_replay_lag_bytes > lag_bytes OR r.replay_delay_seconds > lag_seconds THEN
            f := f || ARRAY[ARRAY['warning', 'receiver',
                format('replay is %s (%s s) behind what was received',
                       pg_size_pretty(r.receive_replay_lag_bytes), round(r.replay_delay_seconds::numeric, 1)),
                NULL]::text[]];
        END IF;
    END LOOP;

    -- Slots PostgreSQL itself considers at risk.
    FOR r IN SELECT * FROM pg_replication_slots WHERE wal_status IN ('unreserved', 'lost') LOOP
        f := f || ARRAY[ARRAY[
            CASE r.wal_status WHEN 'lost' THEN 'critical' ELSE 'warning' END, 'slot',
            -- invalidation_reason: PostgreSQL 17 and later (to_jsonb: no error where it is missing)
            format('slot %s: wal_status %s%s', r.slot_name, r.wal_status,
                   coalesce(' (' || (to_jsonb(r) ->> 'invalidation_reason') || ')', '')),
            CASE WHEN r.wal_status <> 'lost'
                 THEN 'This slot will lose its WAL at the next checkpoint (max_slot_wal_keep_size).'
                 WHEN to_jsonb(r) ->> 'invalidation_reason' = 'idle_timeout'
                 THEN 'idle_replication_slot_timeout invalidated it; its standby can no longer use it: drop the slot and create it again, the standby restores what it misses from the archive.'
                 ELSE 'The WAL this slot needed is gone from pg_wal; its standby must restore it from the archive (PostgreSQL 16 and later no longer keep WAL for it, 18 refuses it: create it again).' END]::text[]];
    END LOOP;

    -- Findings of the retention policy, when that part is installed.
    IF to_regprocedure('pg_logship.slot_health()') IS NOT NULL THEN
        FOR r IN EXECUTE 'SELECT * FROM pg_logship.slot_health()' LOOP
            f := f || ARRAY[ARRAY[r.severity, r.component, r.message, r.hint]::text[]];
        END LOOP;
    END IF;

    IF cardinality(f) = 0 THEN
        RETURN QUERY SELECT 'ok'::text, 'pg_logship'::text, 'no problems found'::text, NULL::text;
        RETURN;
    END IF;
    RETURN QUERY
        SELECT f[i][1], f[i][2], f[i][3], f[i][4]
          FROM generate_subscripts(f, 1) AS i
         ORDER BY CASE f[i][1] WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                  f[i][2], f[i][3];
END
$$;

REVOKE ALL ON FUNCTION pg_logship.archive_dir_problem() FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_logship.server_name_problem() FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_logship.replication_internal() FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_logship.receiver_internal() FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_logship.lag_history_internal(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_logship.lag_history_since(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_logship.monitor_stats() FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_logship.health() FROM PUBLIC;
REVOKE ALL ON pg_logship.replication, pg_logship.receiver, pg_logship.lag_history FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pg_logship.archive_dir_problem(), pg_logship.server_name_problem(),
    pg_logship.replication_internal(),
    pg_logship.receiver_internal(), pg_logship.lag_history_internal(timestamptz),
    pg_logship.lag_history_since(timestamptz),
    pg_logship.monitor_stats(), pg_logship.health() TO pg_monitor;
GRANT SELECT ON pg_logship.replication, pg_logship.receiver, pg_logship.lag_history TO pg_monitor;
