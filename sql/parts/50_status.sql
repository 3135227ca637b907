-- The replication picture in one JSON document, for `pg_logship status` (one round trip per
-- redraw) and for scripts. How it is built: README.md, "pg_logship status".

-- A lag series of the monitor's history as sparkline points: one point per sample while there are
-- at most max_points samples, else max_points points, each the largest value of its run of
-- samples. Returns {"samples": n, "lag_seconds": [...], "total_lag_bytes": [...]}.
CREATE FUNCTION pg_logship.history_points(
    lag_seconds double precision[],
    total_lag_bytes bigint[],
    max_points integer)
RETURNS json
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT json_build_object(
               'samples', coalesce(cardinality(lag_seconds), 0),
               'lag_seconds', coalesce(json_agg(p.s ORDER BY p.b), '[]'),
               'total_lag_bytes', coalesce(json_agg(p.y ORDER BY p.b), '[]'))
      FROM (SELECT CASE WHEN u.n <= max_points THEN u.i - 1
                        ELSE (u.i - 1) * max_points / u.n END AS b,
                   max(u.s) AS s, max(u.y) AS y
              FROM (SELECT t.s, t.y, t.i, cardinality(lag_seconds) AS n
                      FROM unnest(lag_seconds, total_lag_bytes) WITH ORDINALITY AS t(s, y, i)) u
             GROUP BY 1) p
$$;

-- Everything `pg_logship status` shows, as one JSON document. The objects of the views keep
-- the views' column names (a column added to a view appears here by itself); "history" is the
-- lag series of each standby (and of this standby's replay) from now() - since on.
CREATE FUNCTION pg_logship.status(since interval DEFAULT '1 hour', max_points integer DEFAULT 60)
RETURNS json
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    in_recovery boolean := pg_is_in_recovery();
    t0 timestamptz;
    tli bigint;
    lsn pg_lsn;
    doc json;
BEGIN
    IF since IS NULL OR since <= interval '0' THEN
        RAISE EXCEPTION 'since must be a positive interval, not %', coalesce(since::text, 'NULL');
    END IF;
    IF max_points IS NULL OR max_points < 1 THEN
        RAISE EXCEPTION 'max_points must be at least 1, not %', coalesce(max_points::text, 'NULL');
    END IF;
    t0 := now() - since;

    IF in_recovery THEN
        lsn := greatest(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn());
        SELECT received_tli INTO tli FROM pg_stat_wal_receiver WHERE pid IS NOT NULL;
        IF tli IS NULL THEN
            SELECT timeline_id INTO tli FROM pg_control_checkpoint();
        END IF;
    ELSE
        lsn := pg_current_wal_lsn();
        tli := ('x' || left(pg_walfile_name(lsn), 8))::bit(32)::bigint;
    END IF;

    WITH h AS MATERIALIZED (
        SELECT * FROM pg_logship.lag_history_since(t0)
    ), a AS (
        SELECT s.*, CASE WHEN s.last_archived_time IS NOT NULL THEN
                    greatest(0, extract(epoch FROM now() - s.last_archived_time))::float8 END
                    AS last_archived_age_seconds
          FROM pg_logship.archive_status s
    ), r AS (
        SELECT r, count(*) OVER (PARTITION BY r.application_name) AS same_name
          FROM pg_logship.replication r
    ), f AS (
        SELECT row_number() OVER () AS n, hf AS finding FROM pg_logship.health() hf
    ), m AS (
        SELECT * FROM pg_logship.monitor_stats()
    )
    SELECT json_build_object(
        'status', (SELECT CASE min(CASE (f.finding).severity WHEN 'critical' THEN 0
                                                     WHEN 'warning' THEN 1 ELSE 2 END)
                          WHEN 0 THEN 'critical' WHEN 1 THEN 'warning' ELSE 'ok' END FROM f),
        'server', json_build_object(
            'server_name', (SELECT server_name FROM a),
            'cluster_name', current_setting('cluster_name'),
            'role', CASE WHEN in_recovery THEN 'standby' ELSE 'primary' END,
            'timeline', tli,
            'current_lsn', lsn,
            'server_version', current_setting('server_version'),
            'now', now(),
            'postmaster_start_time', pg_postmaster_start_time()),
        'monitor', json_build_object(
            'uptime_seconds', extract(epoch FROM now() - pg_postmaster_start_time())::float8,
            'last_sample_time', (SELECT max(sample_time) FROM h),
            'last_sample_age_seconds',
                (SELECT CASE WHEN max(sample_time) IS NOT NULL THEN
                     greatest(0, extract(epoch FROM now() - max(sample_time)))::float8 END FROM h),
            'samples_written', (SELECT samples_written FROM m),
            'history_size', (SELECT history_size FROM m)),
        'settings', json_build_object(
            'sample_interval_seconds',
                extract(epoch FROM current_setting('pg_logship.sample_interval')::interval)::float8,
            'history_size', current_setting('pg_logship.history_size')::bigint,
            'lag_warning_bytes', pg_size_bytes(current_setting('pg_logship.lag_warning_bytes')),
            'lag_warning_seconds',
                extract(epoch FROM current_setting('pg_logship.lag_warning_seconds')::interval)
                    ::float8,
            'ready_warning', current_setting('pg_logship.ready_warning')::bigint,
            'archive_mode', current_setting('archive_mode'),
            'archive_library', current_setting('archive_library')),
        'history', json_build_object(
            'since', t0,
            'samples', (SELECT count(*) FROM h WHERE h.source = 'self'),
            'oldest_sample_time', (SELECT min(sample_time) FROM h)),
        'archive', (SELECT row_to_json(a) FROM a),
        'replication', (
            SELECT coalesce(json_agg(row_to_json(x) ORDER BY
                       CASE x.sync_state WHEN 'sync' THEN 0 WHEN 'quorum' THEN 1
                                         WHEN 'potential' THEN 2 ELSE 3 END,
                       x.application_name, x.pid), '[]')
              FROM (SELECT (r.r).*,
                           (SELECT pg_logship.history_points(
                                       array_agg(coalesce(h.replay_lag_seconds,
                                                          h.flush_lag_seconds, h.write_lag_seconds)
                                                 ORDER BY h.sample_time),
                                       array_agg(h.total_lag_bytes ORDER BY h.sample_time),
                                       max_points)
                              FROM h
                             WHERE h.source = 'standby'
                               AND h.application_name IS NOT DISTINCT FROM (r.r).application_name
                               AND (r.same_name = 1 OR h.pid = (r.r).pid)) AS history
                      FROM r) x),
        'receiver', (
            SELECT row_to_json(x)
              FROM (SELECT rc.*,
                           (SELECT pg_logship.history_points(
                                       array_agg(h.replay_lag_seconds ORDER BY h.sample_time),
                                       array_agg(h.total_lag_bytes ORDER BY h.sample_time),
                                       max_points)
                              FROM h WHERE h.source = 'self' AND h.state = 'standby') AS history
                      FROM pg_logship.receiver rc) x
             LIMIT 1),
        'slots', (SELECT coalesce(json_agg(row_to_json(s) ORDER BY s.slot_name), '[]')
                    FROM pg_logship.slots s),
        'health', (SELECT coalesce(json_agg(row_to_json(f.finding) ORDER BY f.n), '[]') FROM f))
      INTO doc;
    RETURN doc;
END
$$;

REVOKE ALL ON FUNCTION pg_logship.history_points(double precision[], bigint[], integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION pg_logship.status(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pg_logship.history_points(double precision[], bigint[], integer),
    pg_logship.status(interval, integer) TO pg_monitor;
